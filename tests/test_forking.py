"""run_beside: a task in a forked process beside work in this one, with the same results either way."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from enricher.forking import run_beside


def test_the_task_runs_in_another_process_beside_this_one() -> None:
    here = os.getpid()
    theirs, mine = run_beside(lambda: (os.getpid(), [1, 2, 3]), lambda: os.getpid())
    assert theirs[0] != here and theirs[1] == [1, 2, 3]
    assert mine == here


def test_without_fork_both_run_here() -> None:
    here = os.getpid()
    assert run_beside(os.getpid, os.getpid, fork=False) == (here, here)


def test_a_forked_process_that_dies_is_replaced_by_running_the_task_here() -> None:
    here = os.getpid()

    def task() -> int:
        if os.getpid() != here:
            os._exit(9)  # as if killed, e.g. by the kernel out of memory
        return 42

    assert run_beside(task, lambda: "mine") == (42, "mine")


def test_an_error_in_the_task_reaches_the_caller_with_its_traceback() -> None:
    here = os.getpid()

    def task() -> None:
        raise ValueError(f"bad input in process {os.getpid()}")

    with pytest.raises(ValueError, match="bad input in process") as raised:
        run_beside(task, lambda: None)
    # Raised in the forked process, not by running the task again here; where, its traceback says.
    assert str(here) not in str(raised.value)
    assert any("in task" in note for note in raised.value.__notes__)


def test_a_fork_that_fails_runs_both_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    here = os.getpid()
    assert run_beside(os.getpid, os.getpid) == (here, here)


def _pids_beside(out: Any) -> None:
    out.put((os.getpid(), run_beside(os.getpid, os.getpid)))


def test_a_daemonic_process_forks_too() -> None:
    """A Celery prefork worker's pool processes are daemonic, and multiprocessing refuses them children:
    the worker's gather clustered and explained in turn. run_beside forks there as anywhere."""
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    process = context.Process(target=_pids_beside, args=(out,), daemon=True)
    process.start()
    pid, (theirs, mine) = out.get(timeout=30)
    process.join(30)
    assert mine == pid and theirs != pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False


def _beside_forever(path: str) -> None:
    def task() -> None:
        Path(path).write_text(str(os.getpid()))
        time.sleep(600)

    run_beside(task, lambda: time.sleep(600))


def test_the_forked_process_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A worker killed at its hard time limit leaves no process clustering on for nobody."""
    written = tmp_path / "pid"
    context = multiprocessing.get_context("fork")
    parent = context.Process(target=_beside_forever, args=(str(written),))
    parent.start()
    deadline = time.monotonic() + 30
    while not written.exists() or not written.read_text():
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.05)
    forked = int(written.read_text())
    assert _alive(forked)
    os.kill(parent.pid, signal.SIGKILL)
    parent.join(10)
    deadline = time.monotonic() + 15
    while _alive(forked):
        assert time.monotonic() < deadline, "the forked process outlived its parent"
        time.sleep(0.1)


def test_an_error_here_ends_the_forked_process(tmp_path: Path) -> None:
    written = tmp_path / "pid"

    def task() -> None:
        written.write_text(str(os.getpid()))
        time.sleep(600)

    def here() -> None:
        while not written.exists() or not written.read_text():
            time.sleep(0.05)
        raise ValueError("bad input here")

    with pytest.raises(ValueError, match="bad input here"):
        run_beside(task, here)
    assert not _alive(int(written.read_text()))  # killed and reaped, not left running
