"""Client matching with contact evidence, and client <-> counterparty links, on generated registers.

    .venv/bin/python benchmarks/clients_match.py [--sizes 2000 20000] [--seed 7]

For each size: generates that many counterparties and clients (a tenth of the clients copied from
the counterparties, contacts embedded), then times ``match_clients`` and ``link_clients`` and scores
them against the generator's truth: pairwise precision/recall/F1 of the proposed client pairs (all
bands, and the merge band), the same without contacts (what the contact evidence adds), and the
precision/recall of the links (a client copied from counterparty N is linked to N or its duplicates).
CPU seconds are printed beside wall time; peak RSS at the end.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict
from itertools import combinations
from typing import Any

from enricher.flowtly import Client, ClientContact, Counterparty
from enricher.matching import link_clients, match_clients
from enricher.sample import generate, generate_clients


def _scores(found: set[frozenset[Any]], truth: set[frozenset[Any]]) -> str:
    hit = len(found & truth)
    p = hit / len(found) if found else 1.0
    r = hit / len(truth) if truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P {p:.3f} R {r:.3f} F1 {f:.3f} ({len(found)} found, {len(truth)} true)"


def run(size: int, seed: int) -> None:
    parties_raw = list(generate(size, seed=seed))
    parties = [Counterparty.model_validate(r) for r, _ in parties_raw]
    party_entity = {r["id"]: e for r, e in parties_raw}
    raw = list(generate_clients(size, seed=seed, counterparties=[r for r, _ in parties_raw]))
    clients: list[Client] = []
    contacts: list[ClientContact] = []
    entity: dict[int, str] = {}
    for record, key in raw:
        record = dict(record)
        for c in record.pop("clientContacts", []):
            contacts.append(ClientContact.model_validate({**c, "client": f"/clients/{record['id']}"}))
        clients.append(Client.model_validate(record))
        # A copy of counterparty N is the company of N (whose duplicates share N's entity). The two
        # generator runs number their entities alike, so each side's keys get their own namespace.
        copied = key.startswith("counterparty:")
        entity[record["id"]] = "p:" + party_entity[int(key.split(":")[1])] if copied else "c:" + key
    groups: dict[str, list[int]] = defaultdict(list)
    for cid, key in entity.items():
        groups[key].append(cid)
    truth = {frozenset(p) for ids in groups.values() for p in combinations(ids, 2)}

    for label, given in (("with contacts", contacts), ("without contacts", [])):
        start, cpu = time.perf_counter(), time.process_time()
        result = match_clients(clients, given)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        every = {frozenset((c.a, c.b)) for c in result.candidates}
        merge = {frozenset((c.a, c.b)) for c in result.candidates if c.band == "merge"}
        print(f"{size:>7,} clients {label:<17} {wall:6.1f} s (CPU {cpu:5.1f} s) "
              f"all bands {_scores(every, truth)}; merge {_scores(merge, truth)}")  # fmt: skip

    start, cpu = time.perf_counter(), time.process_time()
    links = link_clients(clients, parties)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    found_links = {frozenset((f"c{link.client}", f"p{link.counterparty}")) for link in links}
    by_entity: dict[str, list[int]] = defaultdict(list)
    for pid, key in party_entity.items():
        by_entity["p:" + key].append(pid)
    true_links = {
        frozenset((f"c{cid}", f"p{pid}")) for cid, key in entity.items() for pid in by_entity.get(key, [])
    }
    print(f"{size:>7,} links {'':<19} {wall:6.1f} s (CPU {cpu:5.1f} s) {_scores(found_links, true_links)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for size in args.sizes:
        run(size, args.seed)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
