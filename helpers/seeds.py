"""Headline accuracies over several split seeds: mean, min-max, and an interval that resamples seeds,
words and template patterns.

One split seed holds out a few adjectives (E1) and template patterns (E2); which ones moves the
accuracies by more than their bootstrap intervals suggest. So notebook 03 scores its chosen
configurations on every seed of ``seeds``: the prompt sample stays the same, ``helpers.data.splits``
draws a new split per seed, and each seed's probe is chosen (C, by crossed CV) and fit on its own
training rows only, then scored on its own test rows.

    parts = split_sets(df, seeds=(0, 1, 2, 3, 4))
    runs = evaluate_seeds(X, df, parts)           # X: [prompts, width] at one configuration
    summary = summarise_seeds(runs, df)           # {"accuracy": {split: mean}, "accuracy_ci": ...}

``seed_interval`` is the bootstrap: every replicate draws the seeds, the adjectives and the
template patterns with replacement; a row weighs (draws of its word) x (draws of its pattern) and
a seed's accuracy is the weighted share of correct rows of its test split; the replicate's value
is the mean over the drawn seeds.
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np
import pandas as pd

from .probe_sweep import HELD_OUT, cv_groups, sweep_layers
from .probes import C_GRID

SPLITS = (*HELD_OUT, "negation_transfer")
WIDE_SPLITS = ("E1_wide", "E2_wide", "E4_wide")


def check_seeds(seeds) -> tuple[int, ...]:
    """``seeds`` as a tuple of distinct non-negative ints; a ``ValueError`` naming ``seeds`` otherwise."""
    values = tuple(seeds) if isinstance(seeds, (list, tuple, np.ndarray, range)) else None
    if not values:
        raise ValueError(f"seeds must be a non-empty list of split seeds (non-negative integers), got {seeds!r}.")
    bad = [s for s in values if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0]
    if bad:
        raise ValueError(f"seeds must hold non-negative integers only; {bad!r} in {seeds!r} is not.")
    if len(set(values)) != len(values):
        raise ValueError(f"seeds must not repeat a seed, got {seeds!r}.")
    return tuple(int(s) for s in values)


def split_sets(df: pd.DataFrame, seeds: Sequence[int]) -> dict[int, dict[str, np.ndarray]]:
    """``{seed: helpers.data.splits(df, seed)}`` for every seed (the first is the one whose probes are saved)."""
    from .data import splits

    return {seed: splits(df, seed=seed) for seed in check_seeds(seeds)}


def evaluate_seeds(X: np.ndarray, df: pd.DataFrame, parts_by_seed: dict[int, dict[str, np.ndarray]], *,
                   Cs: Sequence[float] = C_GRID, folds: int = 3, device=None) -> dict[int, dict]:
    """One configuration's probes on every seed's split: ``{seed: {"rows", "correct", "fit"}}``.

    ``rows``: ``helpers.evaluation.evaluate_config``'s accuracy rows for that seed; ``correct``:
    ``{(variant, split): (test rows, 0/1 per row)}``; ``fit``: the probe fit on the seed's ``train``
    rows (``mean``, ``scale``, ``coef``, ``intercept``, ``C``). CV folds use the split seed.
    """
    X = np.asarray(X)
    out = {}
    for seed, parts in parts_by_seed.items():
        keep: dict = {}
        rows = sweep_layers(X[:, None, :], df, parts, Cs=Cs, folds=folds, seed=seed, device=device, keep=keep)[0]
        fit = {k: (v[0] if isinstance(v, np.ndarray) else v) for k, v in keep.pop("fit").items()}
        out[seed] = {"rows": rows, "fit": fit,
                     "correct": {key: (idx, correct[:, 0]) for key, (idx, correct) in keep.items()}}
    return out


def seed_interval(samples: Sequence[tuple[np.ndarray, np.ndarray]], groups: np.ndarray, *, n_boot: int = 2000,
                  seed: int = 0, level: float = 0.95) -> list[float]:
    """Percentile interval of the mean accuracy over seeds; ``samples`` holds one (row indices, 0/1 correct)
    per seed, ``groups`` [n, 2] the (adjective, pattern) of every row. See the module doc."""
    samples = [(np.asarray(idx), np.asarray(c, dtype=np.float64)) for idx, c in samples if len(idx)]
    if not samples:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    weights = np.ones((n_boot, len(groups)))
    for column in np.asarray(groups).T:
        levels, codes = np.unique(column.astype(str), return_inverse=True)
        weights *= rng.multinomial(len(levels), np.full(len(levels), 1 / len(levels)), size=n_boot)[:, codes]
    per_seed = np.full((n_boot, len(samples)), np.nan)
    for k, (idx, correct) in enumerate(samples):
        w = weights[:, idx]
        total = w.sum(axis=1)
        per_seed[total > 0, k] = (w[total > 0] @ correct) / total[total > 0]
    draws = rng.multinomial(len(samples), np.full(len(samples), 1 / len(samples)), size=n_boot).astype(float)
    draws[np.isnan(per_seed)] = 0.0
    values = (draws * np.nan_to_num(per_seed)).sum(axis=1)
    count = draws.sum(axis=1)
    values = values[count > 0] / count[count > 0]
    alpha = (1 - level) / 2
    return [float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))]


def summarise_seeds(runs: dict[int, dict], df: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0) -> dict:
    """Mean, per-seed values, [min, max] and the seed x word x pattern interval of every split.

    Keys: ``accuracy``, ``accuracy_seeds``, ``accuracy_range``, ``accuracy_ci`` (E1-E4 and
    negation transfer, labels by meaning) and the same four with ``_affirmative_only`` (E1-E4),
    plus ``validation_accuracy`` (mean over seeds of the train-only CV score) and ``seeds``.
    """
    groups = cv_groups(df)
    seeds = list(runs)
    out: dict = {"seeds": seeds}
    for variant, splits, suffix in (("all", SPLITS, ""), ("affirmative_only", HELD_OUT, "_affirmative_only")):
        values = {split: [_accuracy(runs[s]["rows"], variant, split) for s in seeds] for split in splits}
        out["accuracy" + suffix] = {k: _mean(v) for k, v in values.items()}
        out["accuracy_seeds" + suffix] = values
        out["accuracy_range" + suffix] = {k: _range(v) for k, v in values.items()}
        out["accuracy_ci" + suffix] = {
            split: seed_interval([runs[s]["correct"][(variant, split)] for s in seeds
                                  if (variant, split) in runs[s]["correct"]], groups, n_boot=n_boot, seed=seed)
            for split in splits}
    out["validation_accuracy"] = _mean([_accuracy(runs[s]["rows"], "all", "validation") for s in seeds])
    return out


def _accuracy(rows, variant, split):
    got = [r["accuracy"] for r in rows if r["variant"] == variant and r["split"] == split]
    return float(got[0]) if got else None


def _mean(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else None


def _range(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    return [float(min(values)), float(max(values))] if values else [None, None]


# ------------------------------------------------------------------ the wide test, on every seed
def wide_pool(df: pd.DataFrame, parts: dict[str, np.ndarray], *, axis: str, n_patterns: int = 24,
              seed: int = 0) -> pd.DataFrame:
    """Prompts for the wide test of every seed: every adjective of ``axis`` in ``n_patterns`` template
    patterns of the sampled set ``df`` that the first seed trains on (``parts``; column ``pool`` =
    "sample") and in ``n_patterns`` patterns that no row of ``df`` uses ("outside"), each affirmative
    and negated. One forward pass serves all seeds (``wide_masks`` picks each seed's splits)."""
    from .data import load_prompts

    full = load_prompts(axis=axis)
    column = "pattern" if "pattern" in df.columns else "template_id"
    sampled = sorted(set(df.loc[parts["train"], column]))
    outside = sorted(set(full[column]) - set(sampled))
    rng = np.random.default_rng([seed, 41])
    pick = {p: "sample" for p in (sampled[i] for i in np.sort(rng.permutation(len(sampled))[:n_patterns]))}
    pick.update({p: "outside" for p in (outside[i] for i in np.sort(rng.permutation(len(outside))[:n_patterns]))})
    pool = full[full[column].isin(list(pick))].copy()
    pool["pool"] = pool[column].map(pick)
    return pool.reset_index(drop=True)


def wide_masks(pool: pd.DataFrame, df: pd.DataFrame, parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One seed's wide splits of ``wide_pool`` (no row is one of the seed's training prompts):

    - ``E1_wide``: every adjective no training row contains, in the pool's sampled patterns that
      the seed trains on;
    - ``E2_wide``: the training adjectives in the pool's outside patterns;
    - ``E4_wide``: the unseen adjectives in the outside patterns.
    """
    column = "pattern" if "pattern" in df.columns else "template_id"
    train = parts["train"]
    seen_words = set(df.loc[train, "adjective"])
    seen_patterns = set(df.loc[train, column])
    word_seen = pool["adjective"].isin(seen_words).to_numpy()
    outside = (pool["pool"] == "outside").to_numpy()
    trained_pattern = pool[column].isin(seen_patterns).to_numpy() & ~outside
    return {"E1_wide": ~word_seen & trained_pattern, "E2_wide": word_seen & outside, "E4_wide": ~word_seen & outside}


def wide_seed_accuracy(runs: dict[int, dict], X: np.ndarray, pool: pd.DataFrame, df: pd.DataFrame,
                       parts_by_seed: dict[int, dict[str, np.ndarray]], *, n_boot: int = 2000,
                       seed: int = 0) -> pd.DataFrame:
    """Each seed's probe (``evaluate_seeds``) on its wide splits of ``pool`` (activations ``X``).

    Rows: split, rows (all | affirmative | negated), n, n_words, n_patterns (mean over seeds),
    accuracy (mean over seeds), min, max, ci_low, ci_high (seeds x words x patterns), seeds (per seed).
    """
    X = np.asarray(X, dtype=np.float64)
    y = pool["y"].to_numpy().astype(int)
    negated = pool["negation"].to_numpy().astype(bool)
    groups = cv_groups(pool)
    rows = []
    correct = {}
    masks = {s: wide_masks(pool, df, parts) for s, parts in parts_by_seed.items()}
    for s, run in runs.items():
        fit = run["fit"]
        correct[s] = ((((X - fit["mean"]) / fit["scale"]) @ fit["coef"] + fit["intercept"] > 0) == y)
    for split in WIDE_SPLITS:
        for name, extra in (("all", None), ("affirmative", ~negated), ("negated", negated)):
            picks = {s: masks[s][split] & (True if extra is None else extra) for s in runs}
            samples = [(np.flatnonzero(m), correct[s][m]) for s, m in picks.items() if m.any()]
            if not samples:
                continue
            values = [float(c.mean()) for _, c in samples]
            low, high = seed_interval(samples, groups, n_boot=n_boot, seed=seed)
            rows.append({"split": split, "rows": name, "n": float(np.mean([len(i) for i, _ in samples])),
                         "n_words": float(np.mean([len(set(groups[i, 0])) for i, _ in samples])),
                         "n_patterns": float(np.mean([len(set(groups[i, 1])) for i, _ in samples])),
                         "accuracy": float(np.mean(values)), "min": min(values), "max": max(values),
                         "ci_low": low, "ci_high": high, "seeds": values})
    return pd.DataFrame(rows)
