"""Two independent pieces of work at once on a 2-core machine: one in a forked process, one here
(:func:`run_beside`, which says why by hand). Used by matching: blocking's two forks, the clustering
beside the evidence, the plan's files beside its learning.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

__all__ = ["run_beside"]

T = TypeVar("T")
U = TypeVar("U")


def run_beside(task: Callable[[], T], here: Callable[[], U], *, fork: bool = True) -> tuple[T, U]:
    """``task()`` in a forked process while ``here()`` runs in this one; both results.

    For two independent stages of one job on a 2-core machine (clustering beside the evidence of the
    listed pairs): the forked process inherits everything ``task`` reads, and only its result is
    pickled back, so ``task`` must return what it computes (or write it where both see it: a file,
    Redis) rather than change shared objects. Without ``fork``, where fork is unavailable, when
    forking fails or the forked process dies, both run here, one after the other: the results are the
    same either way (a task that writes must write the same again).

    Forked by hand (``os.fork`` and a pipe), not by :mod:`multiprocessing`: a Celery prefork worker's
    pool processes are daemonic, and multiprocessing refuses a daemonic process children, so a full
    match's gather in the worker ran the two in turn (1M records on a slow 2-core machine: the gather
    job 42.7-45.6 s in turn, 36.4-42.0 s forked).
    The forked process ends itself if this one dies first (a worker's hard time limit): no orphan
    clusters on for nobody; and it is the kernel's first choice when memory runs out."""
    if not fork or "fork" not in multiprocessing.get_all_start_methods():
        return task(), here()
    parent = os.getpid()
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory or process left to fork: in turn, here
        os.close(reader)
        os.close(writer)
        return task(), here()
    if pid == 0:
        _serve_beside(task, reader, writer, parent)
    os.close(writer)
    # Read as soon as it is sent, so the forked process ends (and frees its copied pages) then.
    sent: list[bytes] = []
    pipe = os.fdopen(reader, "rb")

    def receive() -> None:
        with contextlib.suppress(OSError):  # nothing received: the task runs here
            sent.append(pipe.read())

    receiving = threading.Thread(target=receive, name="beside-reader", daemon=True)
    receiving.start()
    try:
        mine = here()
        receiving.join()
    except BaseException:  # here() failed, or this job is being stopped: the forked work is not wanted
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        with contextlib.suppress(ChildProcessError):  # SIGCHLD ignored: the kernel reaped it already
            os.waitpid(pid, 0)
        receiving.join()
        pipe.close()
    try:
        done, value = pickle.loads(sent[0]) if sent and sent[0] else (False, None)  # noqa: S301 - our fork's
    except Exception:  # cut short (killed while writing): do it here instead
        done, value = False, None
    if done:
        return cast(T, value), mine
    if isinstance(value, Exception) and not isinstance(value, MemoryError):
        raise value
    return task(), mine  # the forked process died (out of memory?): do it here instead


def _serve_beside(task: Callable[[], Any], reader: int, writer: int, parent: int) -> NoReturn:
    """The forked process of :func:`run_beside`: run ``task``, send (done, result or error), exit
    without running anything of the parent's (atexit hooks, buffered output, a worker's shutdown)."""
    code = 1
    try:
        os.close(reader)
        # A Celery pool process's handlers (a soft time limit's SIGUSR1 raising in the task, SIGTERM's
        # SystemExit) are its own: here a signal ends this process, and the parent runs the task.
        for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
            with contextlib.suppress(AttributeError, OSError, ValueError):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        threading.Thread(target=_end_with, args=(parent,), daemon=True).start()
        # Short of memory, the kernel ends this process rather than its parent (which holds more, and
        # would lose the whole job): the parent then runs the task itself.
        with contextlib.suppress(OSError):
            Path("/proc/self/oom_score_adj").write_text("1000")
        try:
            outcome: tuple[bool, Any] = (True, task())
        except Exception as exc:  # sent to the caller, who raises it with this process's traceback
            exc.add_note("".join(traceback.format_exception(exc)).rstrip())
            outcome = (False, exc)
        try:
            data = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
        except Exception:  # an unpicklable error: the caller runs the task itself
            data = pickle.dumps((False, None))
        with os.fdopen(writer, "wb") as out:
            out.write(data)
        code = 0
    finally:
        os._exit(code)


def _end_with(parent: int) -> None:
    """End this forked process once its parent is gone (it is adopted: its parent id changes)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)
