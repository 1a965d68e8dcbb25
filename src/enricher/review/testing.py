"""Synthetic matching output for tests and benchmarks of the report (10,000 candidates in a second).

Shipped in the package (like :mod:`enricher.flowtly.testing`) so tests and ``benchmarks/`` share it.
The contract has DESIGN.md's dedupe shape; records are API-shaped dicts.
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["synthetic_contract"]

_WORDS = [
    "Alfa",
    "Beta",
    "Gamma",
    "Delta",
    "Omega",
    "Nova",
    "Terra",
    "Polar",
    "Vista",
    "Orbit",
    "Kraft",
    "Zenit",
]
_FORMS = ["Sp. z o.o.", "GmbH", "S.A.", "B.V.", "Ltd", "SARL", "AB", "Oy"]
_COUNTRIES = ["PL", "DE", "NL", "FR", "GB", "SE", "FI", "CZ"]
_EVIDENCE = [
    ("tin", "equal", 9.5, "Both records carry the same tax id."),
    ("name", "similar", 3.2, "The names are alike once legal forms are removed."),
    ("phone", "equal", 4.0, "Both records have the same phone number."),
    ("city", "different", -1.2, "The cities differ."),
    ("website", "same-domain", 5.5, "Both websites are on the same registered domain."),
]


def _evidence(feature: str, result: str, weight: float, explanation: str) -> dict[str, Any]:
    return {"feature": feature, "result": result, "weight": weight, "explanation": explanation}


def synthetic_contract(count: int, *, seed: int = 11) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A contract with ``count`` candidate pairs (a fifth in clusters of three) and the records it names."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    clusters: list[dict[str, Any]] = []
    next_id = 1
    while len(candidates) < count:
        size = 3 if rng.random() < 0.2 and count - len(candidates) >= 2 else 2
        base = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"
        country = rng.choice(_COUNTRIES)
        tin = f"{rng.randrange(10**9, 10**10)}"
        ids = []
        for k in range(size):
            records.append(
                {
                    "id": next_id,
                    "type": "company",
                    "name": f"{base} {rng.choice(_FORMS)}" + (" " * k),
                    "tin": tin if rng.random() < 0.7 else None,
                    "tinCountry": country,
                    "country": country,
                    "addressCity": f"City {rng.randrange(50)}",
                    "logoUrl": None if rng.random() < 0.6 else f"https://logos.invalid/{next_id}.png",
                    "displayName": base if rng.random() < 0.5 else None,
                }
            )
            ids.append(next_id)
            next_id += 1
        pairs = [(ids[0], ids[1])] if size == 2 else [(ids[0], ids[1]), (ids[1], ids[2])]
        for a, b in pairs:
            score = round(rng.uniform(0.5, 1.0), 4)
            evidence = [_evidence(*e) for e in rng.sample(_EVIDENCE, rng.randint(2, 5))]
            band = "merge" if score >= 0.9 else "review"
            candidates.append({"a": a, "b": b, "score": score, "band": band, "evidence": evidence})
        clusters.append({"ids": ids, "survivor": ids[0], "explanation": f"{size} records of {base}"})
    candidates.sort(key=lambda c: -c["score"])
    return {"candidates": candidates, "clusters": clusters}, records
