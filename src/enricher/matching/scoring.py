"""Fellegi–Sunter scoring with weights learnt from the records themselves (EM, no labels).

Each feature level ``k`` has ``m_k = P(level k | same entity)`` and ``u_k = P(level k | different)``;
a pair's match weight is ``log2(λ / (1 - λ)) + Σ log2(m_k / u_k)`` over the features it has values for
(a missing value is no evidence), and its score is the match probability ``1 / (1 + 2^-weight)``.
``λ`` is the share of compared (blocked) pairs that are matches.

Estimation is the classic EM of Fellegi–Sunter models as Splink runs it, on the compared pairs, with
two safeguards that matter on small or odd inputs:
  * Dirichlet pseudo-counts: the expert defaults in :data:`DEFAULT_M` / :data:`DEFAULT_U` act as a
    prior worth :data:`PRIOR_STRENGTH` pairs, so a 10-record file still scores sensibly, while 10,000
    pairs let the data speak;
  * EM runs on distinct comparison patterns with their counts, so a million pairs cost the same as
    a few thousand.
Term frequencies then adjust exact agreements (Splink's tf adjustment): two records called "Baja
Fresh" say less than two called "Zygmunt Nowak", because the former name is common in this register.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from enricher.matching.features import FEATURES, NULL, Feature

__all__ = ["DEFAULT_M", "DEFAULT_U", "Model", "fit", "pattern_codes", "probability"]

FloatArray = npt.NDArray[np.float64]
LevelMatrix = npt.NDArray[np.int8]

# Expert priors per feature level (same order as the feature's levels); EM moves them with the data.
DEFAULT_M: dict[str, tuple[float, ...]] = {
    "name": (0.55, 0.2, 0.1, 0.08, 0.03, 0.01, 0.01, 0.02),
    "legal_form": (0.85, 0.1, 0.05),
    "tin": (0.9, 0.07, 0.002, 0.028),
    "domain": (0.9, 0.1),
    "phone": (0.85, 0.05, 0.03, 0.07),
    "street": (0.75, 0.1, 0.05, 0.1),
    "postcode": (0.85, 0.1, 0.05),
    "city": (0.85, 0.08, 0.07),
    "country": (0.97, 0.03),
}
DEFAULT_U: dict[str, tuple[float, ...]] = {
    "name": (0.01, 0.01, 0.03, 0.05, 0.03, 0.05, 0.12, 0.7),
    "legal_form": (0.4, 0.3, 0.3),
    "tin": (0.002, 0.002, 0.6, 0.396),
    "domain": (0.01, 0.99),
    "phone": (0.01, 0.005, 0.02, 0.965),
    "street": (0.01, 0.01, 0.05, 0.93),
    "postcode": (0.05, 0.15, 0.8),
    "city": (0.2, 0.05, 0.75),
    "country": (0.8, 0.2),
}
DEFAULT_PRIOR = 0.1
PRIOR_STRENGTH = 50.0
"""How many pairs the expert defaults are worth in each feature's estimate."""
MIN_PROB = 1e-4
MAX_ABS_WEIGHT = 14.0
"""No single level may say more than 2^14 : 1; keeps one feature from overruling all others."""


@dataclass(slots=True)
class Model:
    """A fitted Fellegi–Sunter model: per-feature m/u per level and the prior match rate λ."""

    features: tuple[Feature, ...]
    prior: float
    m: dict[str, FloatArray]
    u: dict[str, FloatArray]
    iterations: int = 0
    pairs: int = 0
    tf_reference: dict[str, float] = field(default_factory=dict)
    """Per tf-adjusted feature: the mean value frequency among its exact agreements."""

    @property
    def prior_weight(self) -> float:
        return float(np.log2(self.prior / (1.0 - self.prior)))

    def weights(self, name: str) -> FloatArray:
        """log2(m/u) per level of one feature, in the feature's order of strength, clipped to ±MAX_ABS_WEIGHT.

        EM on few features (a name-only register) can learn that an exact name says less than a
        typo'd one; an ordered feature never may, so out-of-order levels are pooled (isotonic fit).
        """
        feature = next(f for f in self.features if f.name == name)
        ratio = _isotonic_ratio(self.m[name], self.u[name], feature.ranked)
        return np.clip(np.log2(ratio), -MAX_ABS_WEIGHT, MAX_ABS_WEIGHT)

    def weight_matrix(self, levels: LevelMatrix) -> FloatArray:
        """Per pair and feature, the weight of its level (0 where missing)."""
        out = np.zeros(levels.shape, dtype=np.float64)
        for column, feature in enumerate(self.features):
            table = np.append(self.weights(feature.name), 0.0)  # index -1 (missing) -> 0
            out[:, column] = table[levels[:, column]]
        return out

    def to_json(self) -> dict[str, Any]:
        """The parameters as plain JSON (stored with the decision store, read back by :meth:`from_json`)."""
        return {
            "prior": self.prior,
            "m": {name: values.tolist() for name, values in self.m.items()},
            "u": {name: values.tolist() for name, values in self.u.items()},
            "iterations": self.iterations,
            "pairs": self.pairs,
            "tf_reference": dict(self.tf_reference),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], features: Sequence[Feature] = FEATURES) -> Model:
        """A model read back; features whose levels changed since it was stored keep the expert prior."""
        model = default_model(features)
        model.prior = float(data["prior"])
        for f in features:
            m, u = data["m"].get(f.name), data["u"].get(f.name)
            if m is not None and u is not None and len(m) == len(u) == len(f.levels):
                model.m[f.name] = np.asarray(m, dtype=np.float64)
                model.u[f.name] = np.asarray(u, dtype=np.float64)
        model.iterations = int(data.get("iterations", 0))
        model.pairs = int(data.get("pairs", 0))
        model.tf_reference = {k: float(v) for k, v in data.get("tf_reference", {}).items()}
        return model

    def describe(self) -> dict[str, object]:
        """The learnt parameters, for stats and the README."""
        return {
            "prior": round(self.prior, 6),
            "pairs": self.pairs,
            "iterations": self.iterations,
            "features": {
                f.name: {
                    level.label: {
                        "m": round(float(self.m[f.name][k]), 5),
                        "u": round(float(self.u[f.name][k]), 5),
                        "weight": round(float(self.weights(f.name)[k]), 2),
                    }
                    for k, level in enumerate(f.levels)
                }
                for f in self.features
            },
        }


def _isotonic_ratio(m: FloatArray, u: FloatArray, order: Sequence[int]) -> FloatArray:
    """m/u per level, non-increasing along ``order``: adjacent levels out of order share their pooled
    m/u (pool adjacent violators, weighted by the levels' own masses)."""
    blocks: list[tuple[float, float, list[int]]] = []
    for level in order:
        blocks.append((float(m[level]), float(u[level]), [level]))
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
            bm, bu, bl = blocks.pop()
            am, au, al = blocks.pop()
            blocks.append((am + bm, au + bu, al + bl))
    ratio = np.empty(len(m), dtype=np.float64)
    for bm, bu, levels in blocks:
        ratio[levels] = bm / bu
    return ratio


def default_model(features: Sequence[Feature] = FEATURES) -> Model:
    """The expert prior alone (what EM starts from and falls back to without data)."""
    return Model(
        tuple(features),
        DEFAULT_PRIOR,
        {f.name: np.asarray(DEFAULT_M[f.name], dtype=np.float64) for f in features},
        {f.name: np.asarray(DEFAULT_U[f.name], dtype=np.float64) for f in features},
    )


def probability(weight: FloatArray) -> FloatArray:
    """Match probability from a log2 match weight."""
    return 1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60)))


def pattern_codes(levels: LevelMatrix) -> npt.NDArray[np.int64]:
    """Each row of ``levels`` packed into one int64 (4 bits a feature): pairs with equal codes have the
    same evidence pattern."""
    code = np.zeros(len(levels), dtype=np.int64)
    for column in range(levels.shape[1]):  # column by column: no int64 copy of the whole matrix
        code *= 16
        code += levels[:, column]
        code += 1  # -1 (missing) .. 14 -> 0 .. 15
    return code


def unique_patterns(
    codes: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``np.unique(codes, return_inverse=True, return_counts=True)``, faster for many pairs of few
    patterns: sorting the codes and finding each in the few distinct ones beats the indirect sort that
    ``return_inverse`` makes (8.5M pairs of 8k patterns: 0.8 s against 3.0 s). With many patterns
    the lookups miss the cache, and the indirect sort is used after all."""
    ordered = np.sort(codes)
    unique = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(codes) else ordered
    if len(unique) > 1 + len(codes) // 64:
        unique, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
        return unique, inverse.reshape(-1).astype(np.int64, copy=False), counts.astype(np.int64, copy=False)
    inverse = np.searchsorted(unique, codes).astype(np.int64, copy=False)
    return unique, inverse, np.bincount(inverse, minlength=len(unique)).astype(np.int64, copy=False)


def _patterns(levels: LevelMatrix) -> tuple[LevelMatrix, npt.NDArray[np.int64]]:
    """Distinct rows of ``levels`` with their counts."""
    unique, _, counts = unique_patterns(pattern_codes(levels))
    rows = np.empty((len(unique), levels.shape[1]), dtype=np.int8)
    rest = unique.copy()
    for column in reversed(range(levels.shape[1])):
        rows[:, column] = rest % 16 - 1
        rest //= 16
    return rows, counts


def fit(
    levels: LevelMatrix,
    features: Sequence[Feature] = FEATURES,
    *,
    known: FloatArray | None = None,
    max_iterations: int = 60,
    tolerance: float = 1e-6,
) -> Model:
    """Estimate m, u and λ by EM on the compared pairs' levels (rows: pairs, columns: features).

    ``known`` (semi-supervised EM): per row, 1.0 or 0.0 where a person said the pair is or is not a
    match, NaN elsewhere. Labelled rows keep their answer in every E-step; each counts as one pair, so
    a few labels move the fit a little and never flip a level on their own.
    """
    model = default_model(features)
    model.pairs = int(levels.shape[0])
    if levels.shape[0] == 0:
        return model
    labelled = ~np.isnan(known) if known is not None else np.zeros(len(levels), dtype=bool)
    patterns, counts = _patterns(levels[~labelled])
    fixed_rows = levels[labelled]
    fixed_p = known[labelled] if known is not None else np.zeros(0)
    patterns = np.concatenate((patterns, fixed_rows))
    counts = np.concatenate((counts.astype(np.float64), np.ones(len(fixed_rows))))
    free = len(patterns) - len(fixed_rows)
    total = counts.sum()
    prior_m = {f.name: model.m[f.name] * PRIOR_STRENGTH for f in features}
    prior_u = {f.name: model.u[f.name] * PRIOR_STRENGTH for f in features}
    for iteration in range(1, max_iterations + 1):
        weight = model.prior_weight + model.weight_matrix(patterns).sum(axis=1)
        p = probability(weight)
        p[free:] = fixed_p
        match_mass, other_mass = counts * p, counts * (1.0 - p)
        shift = 0.0
        for column, feature in enumerate(features):
            col = patterns[:, column]
            size = len(feature.levels)
            present = col != NULL
            m_counts = (
                np.bincount(col[present], weights=match_mass[present], minlength=size) + prior_m[feature.name]
            )
            u_counts = (
                np.bincount(col[present], weights=other_mass[present], minlength=size) + prior_u[feature.name]
            )
            new_m = np.maximum(m_counts / m_counts.sum(), MIN_PROB)
            new_u = np.maximum(u_counts / u_counts.sum(), MIN_PROB)
            shift = max(
                shift,
                float(np.abs(new_m - model.m[feature.name]).max()),
                float(np.abs(new_u - model.u[feature.name]).max()),
            )
            model.m[feature.name], model.u[feature.name] = new_m, new_u
        new_prior = float(np.clip((match_mass.sum() + DEFAULT_PRIOR) / (total + 1.0), 1e-6, 0.999))
        shift = max(shift, abs(new_prior - model.prior))
        model.prior = new_prior
        model.iterations = iteration
        if shift < tolerance:
            break
    return model


TF_FIELDS: dict[str, str] = {"name": "core", "phone": "phone", "domain": "domain", "tin": "tin"}
"""Features whose exact agreement is adjusted by how common the shared value is (feature -> field)."""
TF_MIN, TF_MAX = -10.0, 3.0


def fit_tf_reference(model: Model, levels: LevelMatrix, frequencies: dict[str, FloatArray]) -> None:
    """Remember, per tf feature, the mean frequency of the values shared by exact agreements."""
    for column, feature in enumerate(model.features):
        if feature.name not in TF_FIELDS:
            continue
        exact = levels[:, column] == 0
        freq = frequencies[feature.name][exact]
        model.tf_reference[feature.name] = float(freq.mean()) if len(freq) else 2.0


def tf_adjustment(model: Model, levels: LevelMatrix, frequencies: dict[str, FloatArray]) -> FloatArray:
    """Per pair and feature, the log2 correction of an exact agreement for how common its value is.

    ``frequencies[feature]`` holds, per pair, how many records carry the shared value.
    """
    out = np.zeros(levels.shape, dtype=np.float64)
    for column, feature in enumerate(model.features):
        reference = model.tf_reference.get(feature.name)
        if reference is None:
            continue
        exact = levels[:, column] == 0
        freq = np.maximum(frequencies[feature.name][exact], 2.0)
        out[exact, column] = np.clip(np.log2(reference / freq), TF_MIN, TF_MAX)
    return out
