"""EM learns m/u and the match rate from unlabelled levels; tf adjustment favours rare values."""

from __future__ import annotations

import numpy as np

from enricher.matching.features import FEATURES
from enricher.matching.scoring import (
    default_model,
    fit,
    fit_tf_reference,
    pattern_codes,
    probability,
    tf_adjustment,
    unique_patterns,
)

NAMES = [f.name for f in FEATURES]


def synthetic_levels(n: int, rate: float, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Pairs drawn from known m/u per feature: EM should find the match rate and order the levels."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < rate
    levels = np.empty((n, len(FEATURES)), dtype=np.int8)
    for column, feature in enumerate(FEATURES):
        k = len(feature.levels)
        m = np.linspace(1.0, 0.05, k) ** 3
        u = m[::-1].copy()
        m, u = m / m.sum(), u / u.sum()
        levels[truth, column] = rng.choice(k, size=int(truth.sum()), p=m)
        levels[~truth, column] = rng.choice(k, size=int((~truth).sum()), p=u)
    levels[rng.random(levels.shape) < 0.2] = -1  # missing values
    return levels, truth


def test_em_recovers_the_match_rate_and_separates_matches() -> None:
    levels, truth = synthetic_levels(40_000, 0.2)
    model = fit(levels)
    assert abs(model.prior - 0.2) < 0.03
    for feature in FEATURES:
        weights = model.weights(feature.name)
        assert weights[0] > 0 > weights[-1], feature.name
    weight = model.prior_weight + model.weight_matrix(levels).sum(axis=1)
    predicted = probability(weight) >= 0.5
    assert (predicted == truth).mean() > 0.95


def test_fit_without_pairs_is_the_expert_prior() -> None:
    model = fit(np.empty((0, len(FEATURES)), dtype=np.int8))
    default = default_model()
    assert model.prior == default.prior
    assert all(np.allclose(model.m[n], default.m[n]) for n in NAMES)


def test_missing_values_weigh_nothing() -> None:
    model = default_model()
    levels = np.full((1, len(FEATURES)), -1, dtype=np.int8)
    assert model.weight_matrix(levels).sum() == 0.0


def test_tf_adjustment_rewards_rare_and_penalises_common_exact_values() -> None:
    model = default_model()
    levels = np.full((3, len(FEATURES)), -1, dtype=np.int8)
    levels[:, 0] = 0  # name exact for all three pairs
    freq = {name: np.array([2.0, 10.0, 200.0]) for name in ("name", "phone", "domain", "tin")}
    fit_tf_reference(model, levels, freq)
    adj = tf_adjustment(model, levels, freq)[:, 0]
    assert adj[0] > adj[1] > adj[2]
    assert adj[2] < 0 < adj[0]


def test_describe_lists_every_level() -> None:
    described = default_model().describe()
    assert set(described["features"]) == set(NAMES)  # type: ignore[arg-type]


def test_the_model_learns_from_a_seeded_sample_that_keeps_every_answer() -> None:
    from enricher.matching.engine import fit_sample

    assert fit_sample(10).tolist() == list(range(10))  # small: every pair
    known = np.full(2000, np.nan)
    known[[3, 1999]] = [1.0, 0.0]
    rows = fit_sample(2000, known, size=100)
    assert len(rows) in (100, 101, 102) and {3, 1999} <= set(rows.tolist())
    assert rows.tolist() == fit_sample(2000, known, size=100).tolist()  # the same everywhere


def test_unique_patterns_is_numpy_unique_with_inverse_and_counts() -> None:
    rng = np.random.default_rng(7)
    few = pattern_codes(rng.integers(-1, 3, size=(50_000, len(FEATURES))).astype(np.int8))  # few kinds
    many = rng.integers(0, 1 << 40, size=5_000)  # almost every code distinct: the sorting fallback
    for codes in (few, many, few[:1], few[:0]):
        expected = np.unique(codes, return_inverse=True, return_counts=True)
        got = unique_patterns(codes)
        assert all(np.array_equal(e, g) for e, g in zip(expected, got, strict=True))
        assert all(g.dtype == np.int64 for g in got)
