"""Notebook 04's comparison on the sentence set: the probes (transfer and in-domain) against
prompting the same model, scored the same way.

- Folds: ``stratified_folds`` spreads easy and hard sentences evenly.
- The transfer probe never sees a sentence: its hook, pooling, layer (``select_transfer_config``)
  and C (``choose_C_on_validation``) are chosen on templated validation prompts
  (``transfer_validation_masks``), then it reads the sentences.
- The in-domain probe is trained on the sentences themselves, in nested cross-validation
  (``in_domain_probe_cv``): each outer fold chooses (hook, pooling, layer) on the others.
- ``method_result`` / ``comparison_table``: one row per method (accuracy with its bootstrap
  interval, on hard sentences, on E4, and the cost measured in a fresh process).

Prompting itself (asking the model, calibration) is ``helpers.prompting``.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .runtime import blas_threads
from .stats import accuracy_summary

def stratified_folds(strata: Sequence, n_folds: int = 5, seed: int = 0) -> np.ndarray:
    """Fold id (0..n_folds-1) of each row, every stratum spread evenly over the folds."""
    strata = np.asarray([str(s) for s in strata])
    rng = np.random.default_rng(seed)
    folds = np.empty(len(strata), dtype=np.int64)
    offset = 0
    for stratum in sorted(set(strata)):
        index = np.flatnonzero(strata == stratum)
        index = index[rng.permutation(len(index))]
        folds[index] = (np.arange(len(index)) + offset) % n_folds
        offset += len(index)
    return folds


def _fit_logreg(X: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500, tol=1e-4)).fit(X, y)


def choose_layer_pooling(features: dict[tuple[str, str], np.ndarray], y: Sequence[int], layers: Sequence[int],
                         folds: int = 3, C: float = 0.1, seed: int = 0) -> tuple[tuple[str, str], int, float]:
    """((hook, pooling), layer, CV accuracy) maximising ``folds``-fold CV accuracy of a logistic probe.

    ``features[(hook, pooling)]`` is [n, len(layers), width] (column j is layer ``layers[j]``), as
    ``helpers.collect.collect_many`` returns; only the rows passed are used. Ties go to the
    earlier layer (fewer layers to run), then to the feature listed first.
    """
    from sklearn.model_selection import StratifiedKFold


    y = np.asarray(y).astype(int)
    split = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    best = None
    with blas_threads(1):
        for j, layer in enumerate(layers):
            for key, X in features.items():
                correct = 0
                for train, val in split:
                    correct += (_fit_logreg(X[train, j], y[train], C).predict(X[val, j]) == y[val]).sum()
                score = correct / len(y)
                if best is None or score > best[2] + 1e-12:
                    best = (key, int(layer), float(score))
    return best


def in_domain_probe_cv(features: dict[str, np.ndarray], y: Sequence[int], folds: Sequence[int],
                       layers: Sequence[int], *, inner_folds: int = 3, C_select: float = 0.1,
                       seed: int = 0, axis: str = "valence", model_name: str = "") -> dict:
    """Nested cross-validation of a probe trained on the sentence set itself.

    For each outer fold: choose (hook, pooling, layer) by inner CV on the other folds only, train
    a logistic probe there (``helpers.probes.train_probe``, C by CV), and predict the held-out
    fold. ``features`` as in ``choose_layer_pooling``. Returns out-of-fold ``decision`` [n],
    ``pred`` [n] and the per-fold choices.
    """
    from .probes import train_probe

    y = np.asarray(y).astype(int)
    folds = np.asarray(folds)
    decision = np.zeros(len(y))
    choices = []
    for fold in sorted(set(folds.tolist())):
        test, train = folds == fold, folds != fold
        key, layer, score = choose_layer_pooling({k: X[train] for k, X in features.items()}, y[train], layers,
                                                 folds=inner_folds, C=C_select, seed=seed)
        j = list(layers).index(layer)
        hook, pooling = key
        probe = train_probe(features[key][train, j], y[train], axis=axis, hook=hook, pooling=pooling,
                            layer=layer, model_name=model_name, seed=seed)
        decision[test] = probe.decision_function(features[key][test, j])
        choices.append({"fold": int(fold), "hook": hook, "pooling": pooling, "layer": layer,
                        "inner_cv_accuracy": score, "C": probe.metrics.get("C")})
    return {"decision": decision, "pred": (decision > 0).astype(int), "choices": choices}


def stratified_sample(df, n: int | None, by: Sequence[str], seed: int = 0):
    """``n`` rows of ``df`` (all when None or n >= len) with the shares of the ``by`` cells kept."""
    if n is None or n >= len(df):
        return df
    keys = df[list(by)].astype(str).agg("|".join, axis=1)
    rng = np.random.default_rng(seed)
    shares = keys.value_counts(sort=False)
    exact = shares / shares.sum() * n
    counts = np.floor(exact).astype(int)
    for key in (exact - counts).sort_values(ascending=False, kind="stable").index[: n - counts.sum()]:
        counts[key] += 1
    keep = []
    for key, count in counts.items():
        index = np.flatnonzero(keys.to_numpy() == key)
        keep.extend(index[rng.permutation(len(index))[:count]])
    return df.iloc[sorted(keep)]


def transfer_validation_masks(df_train, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(fit, validate) masks inside the templated TRAIN rows: ``helpers.data.splits`` applied again,
    validation = rows whose adjective or template is held out (its E1, E2 and E4)."""
    from .data import splits

    inner = splits(df_train.reset_index(drop=True), seed=seed)
    return inner["train"], inner["E1"] | inner["E2"] | inner["E4"]


def select_transfer_config(features: dict[tuple[str, str], np.ndarray], y: Sequence[int], fit: np.ndarray,
                           validate: np.ndarray, layers: Sequence[int], C: float = 0.01,
                           report: dict[str, tuple[dict, Sequence[int]]] | None = None):
    """Validation accuracy of a logistic probe for every (hook, pooling, layer), fitted on ``fit`` rows.

    ``features[(hook, pooling)]`` is [n, len(layers), width]. Returns ((hook, pooling), layer,
    table) with the best validation accuracy (ties: earlier layer, then the feature listed
    first). Only templated rows enter the choice. ``report`` = {column: (features like
    ``features``, labels)} adds, for information only, each probe's accuracy on other data (e.g.
    the sentence set) as extra table columns; it never affects the choice.
    """
    import pandas as pd


    y = np.asarray(y).astype(int)
    rows = []
    with blas_threads(1):
        for j, layer in enumerate(layers):
            for key, X in features.items():
                model = _fit_logreg(X[fit, j], y[fit], C)
                row = {"hook": key[0], "pooling": key[1], "layer": int(layer),
                       "validation_accuracy": float((model.predict(X[validate, j]) == y[validate]).mean())}
                for column, (other, other_y) in (report or {}).items():
                    row[column] = float((model.predict(other[key][:, j]) == np.asarray(other_y)).mean())
                rows.append(row)
    table = pd.DataFrame(rows)
    key, layer = best_transfer_config(table)
    return key, layer, table


def best_transfer_config(table, hook: str | None = None) -> tuple[tuple[str, str], int]:
    """((hook, pooling), layer) of the row of ``select_transfer_config``'s table with the best
    validation accuracy. Rows are in layer order, then in the order features were given, and the
    first of tied rows wins (the earlier layer: fewer layers to run). ``hook``: choose among that
    hook's rows only, i.e. what the choice would be with one hook."""
    best = None
    for row in table.itertuples():
        if hook is not None and row.hook != hook:
            continue
        if best is None or row.validation_accuracy > best.validation_accuracy + 1e-12:
            best = row
    if best is None:
        raise ValueError(f"No rows for hook {hook!r}; the table has hooks {sorted(set(table['hook']))}.")
    return (best.hook, best.pooling), int(best.layer)


def choose_C_on_validation(X: np.ndarray, y: Sequence[int], fit: np.ndarray, validate: np.ndarray,
                           Cs: Sequence[float] | None = None) -> tuple[float, dict]:
    """The logistic C with the best accuracy on ``validate`` rows when fitted on ``fit`` rows
    (ties: the smaller C, i.e. stronger regularisation); also {C: accuracy}."""
    from .probes import C_GRID

    y = np.asarray(y).astype(int)
    scores = {}
    with blas_threads(1):
        for C in sorted(Cs or C_GRID):
            scores[float(C)] = float((_fit_logreg(X[fit], y[fit], C).predict(X[validate]) == y[validate]).mean())
    best = max(scores, key=lambda C: (scores[C], -C))
    return best, scores


def fit_transfer_probe(features: dict[tuple[str, str], np.ndarray], y: Sequence[int], fit: np.ndarray,
                       validate: np.ndarray, key: tuple[str, str], layer: int, *, model_name: str = "",
                       seed: int = 0):
    """The transfer probe at ((hook, pooling) = ``key``, ``layer``): C chosen on the templated validation
    rows (``choose_C_on_validation``), then a logistic probe on all rows. ``features[key]`` holds every
    layer from 0 (column j is layer j). Returns (probe, {C: validation accuracy})."""
    from .probes import train_probe

    hook, pooling = key
    X = features[key][:, layer]
    C, scores = choose_C_on_validation(X, y, fit, validate)
    probe = train_probe(X, np.asarray(y).astype(int), axis="valence", hook=hook, pooling=pooling, layer=layer,
                        model_name=model_name, seed=seed, C=C)
    return probe, scores


METHODS = ("zero_shot", "zero_shot_calibrated", "few_shot", "few_shot_calibrated", "probe_transfer", "probe_in_domain")


PROMPTING = METHODS[:4]


PROBES = METHODS[4:]


def method_result(pred: Sequence[int], y: Sequence[int], hard: Sequence[bool], pred_e4: Sequence[int] | None,
                  y_e4: Sequence[int] | None, measurement: dict | None, seed: int = 0,
                  calibrated: bool = False) -> dict:
    """One row of results.json: accuracy with its bootstrap CI (sentences), accuracy_hard,
    accuracy_E4, and the cost measured in a fresh process (seconds_per_100, param_bytes, peak_rss_mb).
    ``calibrated``: add the content-free passes (``calibration_seconds``) to the time."""
    result = accuracy_summary(pred, y, hard, seed=seed)
    if pred_e4 is not None and y_e4 is not None and len(y_e4):
        result["accuracy_E4"] = float((np.asarray(pred_e4) == np.asarray(y_e4)).mean())
        result["n_E4"] = int(len(y_e4))
    else:
        result["accuracy_E4"] = math.nan
    m = dict(measurement or {})
    if calibrated and "calibration_seconds" in m:  # the content-free passes, once per prompt format
        m["seconds_per_100"] = m["seconds_per_100"] + 100 * m["calibration_seconds"] / max(1, m.get("n_texts", 1))
    for key in ("seconds_per_100", "param_bytes", "peak_rss_mb", "rss_after_imports_mb", "rss_after_load_mb",
                "load_seconds"):
        result[key] = m.get(key, math.nan)
    return result


def best_prompting(methods: dict) -> str:
    """The prompting variant with the highest sentence accuracy (first listed on ties)."""
    return max(PROMPTING, key=lambda name: (methods[name]["accuracy"], -PROMPTING.index(name)))


def comparison_table(methods: dict):
    import pandas as pd

    columns = ["accuracy", "ci_low", "ci_high", "accuracy_hard", "accuracy_E4", "answered_positive",
               "seconds_per_100", "param_bytes", "peak_rss_mb"]
    table = pd.DataFrame({name: {c: methods[name].get(c) for c in columns} for name in methods}).T
    table["param_MB"] = table.pop("param_bytes").astype(float) / 1e6
    return table
