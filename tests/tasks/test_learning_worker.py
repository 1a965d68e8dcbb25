"""What a full match learnt from people's decisions outlives the worker: match-one after a restart
bands pairs as the learnt model says (real Redis, real Celery workers, the sandbox on loopback)."""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest
from worker_harness import Processes, Stack, wait_for

from enricher.state._redis import Keys
from enricher.state.decisions import RedisDecisionStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORDS = ["Lark", "Wren", "Finch", "Heron", "Robin", "Swift", "Egret", "Crane"]


def register() -> list[dict[str, Any]]:
    """Pairs of one kind the model alone leaves in review: a parent's listing and the site's own, at
    one address, names sharing only the site's name (ids: 10+k parent, 20+k site)."""
    out: list[dict[str, Any]] = []
    for k, word in enumerate(WORDS):
        street = f"{700 + k} N {word}wood Ave"
        out.append(
            {
                "id": 10 + k,
                "type": "company",
                "name": f"Henry Booth House - {word}ton Nursery",
                "addressStreetLine": street,
                "addressPhoneNumber": f"77355{k:05d}",
                "addressCountry": "US",
            }
        )
        out.append(
            {
                "id": 20 + k,
                "type": "company",
                "name": f"{word}ton Early Learning Academy",
                "addressStreetLine": street,
                "addressPhoneNumber": f"31255{k:05d}",
                "addressCountry": "US",
            }
        )
    for k in range(40):
        out.append({"id": 100 + k, "type": "company", "name": f"Firma {k:02d} {WORDS[k % 8]}haus Handel",
                    "addressStreetLine": f"{k + 1} Main St", "addressPhoneNumber": f"41000{k:05d}",
                    "addressCountry": "US"})  # fmt: skip
    return out


@pytest.mark.parametrize("stack", [register()], indirect=True)
def test_a_model_learnt_from_decisions_survives_a_worker_restart(stack: Stack) -> None:
    store = RedisDecisionStore(stack.r, Keys("enricher"))
    for k in range(3):  # a reviewer approved three pairs of the kind
        store.approve(10 + k, 20 + k, source="report")
    worker = stack.start_worker("before")
    stack.send_task("enricher.match_all", report=False)
    wait_for(lambda: stack.r.exists("enricher:decisions:model"), timeout=90, what="a stored model")
    wait_for(stack.idle, timeout=90, what="the full match done")
    stored = json.loads(stack.r.get("enricher:decisions:model"))
    assert stored["answers"] == 3 and stored["version"] >= 1
    Processes.kill(worker, signal.SIGKILL)

    stack.start_worker("after")  # a new process: nothing in memory but what Redis holds
    stack.send_task("enricher.match_one", 15)
    found = wait_for(lambda: stack.candidates(15), timeout=90, what="candidates of record 15")
    assert found["25"]["band"] == "merge"  # a pair nobody answered, banded by what the answers taught
    assert "people said pairs like this are the same company" in found["25"].get("note", "")
    line = f"stored model version {stored['version']} (3 answers)"
    wait_for(
        lambda: line in stack.procs.log("after"), timeout=30, what="the worker saying which model it used"
    )
