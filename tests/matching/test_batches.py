"""run_beside: a task in a forked process beside work in this one, with the same results either way."""

from __future__ import annotations

import os

import pytest

from enricher.matching.batches import run_beside


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


def test_an_error_in_the_task_reaches_the_caller() -> None:
    def task() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        run_beside(task, lambda: None)


def test_a_fork_that_fails_runs_both_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    here = os.getpid()
    assert run_beside(os.getpid, os.getpid) == (here, here)
