"""Notebook 03's evaluation: linear probes on every (hook, pooling, layer), scored on the splits.

The workflow of notebook 03, as functions with tests (the Probe type and its training are
``helpers.probes``):

    df, parts = prompt_set("valence", n_templates=48, n_adjectives=48, seed=0)
    acts = prompt_activations(model, df, hooks=["resid_post"], poolings=["last"], layers=None)
    table = sweep(acts, df, parts, axis="valence", layers=list(range(30)))
    chosen = choose_config(table, "valence")          # by validation accuracy on train rows

Evaluation protocol (no test row is ever used to fit anything):

- ``train`` (shared by E1-E4 in ``helpers.data.splits``) -> StandardScaler + logistic
  regression with C chosen by 3-fold CV on the train rows, folds crossed on adjective and
  template pattern (validation rows pair an unseen word with an unseen context, as in E4).
  Scored on E1, E2, E3, E4.
- ``train_negation_transfer`` (every affirmative prompt) -> scored on every negated prompt
  (labels flipped). Its C comes from CV on ``train`` minus negated rows, which holds no
  negated prompt and no E1-E4 test prompt.
- variant ``affirmative_only``: train on the affirmative ``train`` rows, score on the
  affirmative rows of E1-E4 (the label is the word's own label, without the negation convention).
- split ``validation``: the crossed-CV accuracy of the chosen C on ``train`` (a train-only
  number; ``choose_config`` ranks configurations by it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .data import SPLIT_NAMES
from .probe_sweep import cv_groups, sweep_layers
from .probes import C_GRID, PROBE_KINDS, Probe, cross_validate_C, train_probe
from .runtime import blas_threads
from .stats import bootstrap_ci

HELD_OUT = ("E1", "E2", "E3", "E4")
VARIANTS = ("all", "affirmative_only")
TABLE_COLUMNS = ["axis", "variant", "hook", "pooling", "layer", "split", "accuracy", "n_test", "n_train", "C"]
LAYER_CHUNK_BYTES = 40 << 20  # activations of the layers fitted in one batch (more stops fitting in the CPU cache)


# ------------------------------------------------------------------ data
def prompt_set(axis: str, *, n_templates: int | None = None, n_adjectives: int | None = None,
               seed: int = 0) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Prompts of one axis (affirmative + negated) and their split masks (``helpers.data.splits``)."""
    from .data import load_prompts, splits

    df = load_prompts(axis=axis, n_templates=n_templates, n_adjectives=n_adjectives, seed=seed)
    return df, splits(df, seed=seed)


def prompt_activations(model, df: pd.DataFrame, *, hooks: Sequence[str], poolings: Sequence[str],
                       layers: Sequence[int] | None = None, batch_size: int = 32,
                       progress: bool | None = None) -> dict[tuple[str, str], np.ndarray]:
    """Every (hook, pooling) pair for the prompts of ``df`` from one forward pass: ``{(hook, pooling): [n, L, w]}``."""
    from .collect import collect_many

    specs = [(h, p) for h in hooks for p in poolings]
    words = df["adjective"].tolist() if "word" in poolings else None
    return collect_many(model, df["prompt"].tolist(), specs, layers=layers, words=words,
                        batch_size=batch_size, progress=progress)


# ------------------------------------------------------------------ evaluation of one configuration
cv_accuracy = cross_validate_C  # (best C, validation accuracy); see helpers.probes


def evaluate_config(X: np.ndarray, df: pd.DataFrame, parts: dict[str, np.ndarray], *, axis: str,
                    Cs: Sequence[float] = C_GRID, folds: int = 3, seed: int = 0,
                    variants: Sequence[str] = VARIANTS) -> list[dict]:
    """Accuracy rows (variant, split, accuracy, n_test, n_train, C) of logistic probes on one [n, width] matrix.

    Only rows of the relevant training mask are used to choose C and fit; see the module doc and
    ``helpers.probe_sweep.sweep_layers`` (this is its one-layer case).
    """
    return sweep_layers(np.asarray(X)[:, None, :], df, parts, Cs=Cs, folds=folds, seed=seed, variants=variants)[0]


def sweep(acts: dict[tuple[str, str], np.ndarray], df: pd.DataFrame, parts: dict[str, np.ndarray], *, axis: str,
          layers: Sequence[int], Cs: Sequence[float] = C_GRID, folds: int = 3, seed: int = 0,
          variants: Sequence[str] = VARIANTS, progress: bool = True, device=None) -> pd.DataFrame:
    """Evaluate every (hook, pooling) in ``acts`` at every layer; one row per (variant, split).

    ``acts[(hook, pooling)]`` is ``[n_prompts, len(layers), width]`` with ``layers`` its layer indices.
    The layers of a (hook, pooling) are fitted a few at a time, each batch holding every fold, C and
    layer of its problems (``helpers.probe_sweep``).
    """
    from tqdm.auto import tqdm

    rows = []
    for hook, pooling in tqdm(list(acts), desc=f"probes {axis}", disable=not progress):
        X = acts[(hook, pooling)]
        step = max(1, int(LAYER_CHUNK_BYTES // (4 * len(df) * X.shape[2])))  # a few layers per batch stay in cache
        per_layer = [r for s in range(0, X.shape[1], step)
                     for r in sweep_layers(X[:, s:s + step], df, parts, Cs=Cs, folds=folds, seed=seed,
                                           variants=variants, device=device)]
        for layer, layer_rows in zip(layers, per_layer):
            rows += [{"axis": axis, "hook": hook, "pooling": pooling, "layer": int(layer), **row} for row in layer_rows]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


# ------------------------------------------------------------------ choosing and summarising
def choose_config(table: pd.DataFrame, axis: str, *, criterion: str = "validation",
                  exclude_poolings: Iterable[str] = ("word",), variant: str = "all") -> dict:
    """The (hook, pooling, layer) to save for ``axis``.

    criterion ``"validation"`` (default): highest crossed-CV accuracy on the train rows, ties
    broken by the earlier layer; no test split is looked at. ``"mean_heldout"``: highest mean
    accuracy over E1-E4 and negation transfer (an optimistic, test-based choice, for comparison).
    Poolings in ``exclude_poolings`` are skipped ("word" cannot read free text).
    """
    t = table[(table["axis"] == axis) & (table["variant"] == variant) & ~table["pooling"].isin(list(exclude_poolings))]
    if t.empty:
        raise ValueError(f"No rows for axis {axis!r} (variant {variant!r}) outside poolings {list(exclude_poolings)}.")
    if criterion == "validation":
        score = t[t["split"] == "validation"].set_index(["hook", "pooling", "layer"])["accuracy"]
    elif criterion == "mean_heldout":
        score = t[t["split"].isin(SPLIT_NAMES)].groupby(["hook", "pooling", "layer"])["accuracy"].mean()
    else:
        raise ValueError(f"criterion must be 'validation' or 'mean_heldout', got {criterion!r}.")
    ranked = score.reset_index().sort_values(["accuracy", "layer"], ascending=[False, True], kind="stable")
    best = ranked.iloc[0]
    return {"hook": best["hook"], "pooling": best["pooling"], "layer": int(best["layer"]),
            "criterion": criterion, "score": float(best["accuracy"])}


def accuracies_at(table: pd.DataFrame, axis: str, hook: str, pooling: str, layer: int,
                  variant: str = "all") -> dict[str, float]:
    """{split: accuracy} of one configuration (validation included when present)."""
    t = table[(table["axis"] == axis) & (table["variant"] == variant) & (table["hook"] == hook)
              & (table["pooling"] == pooling) & (table["layer"] == layer)]
    return {row.split: float(row.accuracy) for row in t.itertuples()}


def best_per_split(table: pd.DataFrame, n_layers: int, variant: str = "all") -> pd.DataFrame:
    """For each (axis, split, hook, pooling): the layer with the highest accuracy, and its depth fraction.

    Descriptive (it looks at test accuracy); the saved probes use ``choose_config`` instead.
    Depth fraction = (layer + 1) / n_layers: the share of the model's blocks that ran.
    """
    t = table[table["variant"] == variant]
    idx = t.sort_values(["accuracy", "layer"], ascending=[False, True], kind="stable") \
        .groupby(["axis", "split", "hook", "pooling"], sort=True).head(1)
    out = idx[["axis", "split", "hook", "pooling", "layer", "accuracy"]].copy()
    out["depth_fraction"] = (out["layer"] + 1) / n_layers
    return out.sort_values(["axis", "split", "hook", "pooling"]).reset_index(drop=True)


def depth_fraction(layer: int, n_layers: int) -> float:
    """(layer + 1) / n_layers: layer 14 of SmolLM2's 30 is 0.5 (half of the blocks ran)."""
    return (int(layer) + 1) / int(n_layers)


# ------------------------------------------------------------------ directions at one configuration
def train_all_kinds(X: np.ndarray, df: pd.DataFrame, mask: np.ndarray, *, axis: str, hook: str, pooling: str,
                    layer: int, model_name: str = "", seed: int = 0, Cs: Sequence[float] = C_GRID) -> list[Probe]:
    """logreg, mean_diff and pc1 probes fit on the rows of ``mask`` (C by crossed CV on those rows).

    pc1 is taken after removing each template's mean (training rows only): otherwise PC1 is the
    direction along which templates differ, not words (see notebook 02).
    """
    y = df["y"].to_numpy().astype(int)
    groups = cv_groups(df)
    probes = []
    with blas_threads(1):
        for kind in PROBE_KINDS:
            probes.append(train_probe(X[mask], y[mask], axis=axis, kind=kind, hook=hook, pooling=pooling,
                                      layer=layer, model_name=model_name, seed=seed, groups=groups[mask], Cs=Cs,
                                      center_groups=df["template_id"].to_numpy()[mask]))
    return probes


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def direction_cosines(probes: Sequence[Probe]) -> dict[str, float]:
    """Cosine between the directions of every pair of probes of the same width: keys ``"valence/logreg~arousal/pc1"``."""
    out = {}
    for i, a in enumerate(probes):
        for b in probes[i + 1:]:
            if a.direction.shape == b.direction.shape:
                out[f"{a.axis}/{a.kind}~{b.axis}/{b.kind}"] = cosine(a.direction, b.direction)
    return out


def score_splits(probe: Probe, X: np.ndarray, df: pd.DataFrame, parts: dict[str, np.ndarray],
                 splits: Sequence[str] = HELD_OUT) -> dict[str, float]:
    """Accuracy of a fitted probe on the given test masks."""
    y = df["y"].to_numpy().astype(int)
    return {s: probe.accuracy(X[parts[s]], y[parts[s]]) for s in splits if s in parts}


def error_breakdown(probe: Probe, X: np.ndarray, df: pd.DataFrame, parts: dict[str, np.ndarray],
                    splits: Sequence[str] = HELD_OUT) -> pd.DataFrame:
    """Where a fitted probe errs: its accuracy on the affirmative and on the negated rows of each split.

    Rows: split, rows (``"affirmative"`` | ``"negated"`` | ``"all"``), accuracy, n. A probe that
    reads the word but not the negation shows high affirmative and low negated accuracy.
    """
    y = df["y"].to_numpy().astype(int)
    negated = df["negation"].to_numpy().astype(bool)
    correct = probe.predict(X) == y
    rows = []
    for split in splits:
        for name, mask in (("affirmative", parts[split] & ~negated), ("negated", parts[split] & negated),
                           ("all", parts[split])):
            rows.append({"split": split, "rows": name, "n": int(mask.sum()),
                         "accuracy": float(correct[mask].mean()) if mask.any() else float("nan")})
    return pd.DataFrame(rows)


def negator_accuracy(probe: Probe, X: np.ndarray, df: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """Accuracy of a fitted probe on the negated rows of ``mask``, per negation cue (column ``negator``),
    worst first: which negations the representation has not composed."""
    y = df["y"].to_numpy().astype(int)
    rows = mask & df["negation"].to_numpy().astype(bool)
    frame = pd.DataFrame({"negator": df["negator"].to_numpy()[rows], "correct": probe.predict(X[rows]) == y[rows]})
    out = frame.groupby("negator")["correct"].agg(accuracy="mean", n="size").reset_index()
    return out.sort_values(["accuracy", "negator"], kind="stable").reset_index(drop=True)


def fit_ceiling(X: np.ndarray, df: pd.DataFrame, parts: dict[str, np.ndarray], *, axis: str,
                C: float = 100.0, seed: int = 0) -> dict[str, float]:
    """How far a linear read-out of these activations can go at all: a weakly regularised logistic
    probe (``C``) on the train rows, scored on those same rows (``train_accuracy``, also on their
    affirmative and negated parts) and on E3 (unseen prompts of seen words in seen templates).

    If even the training rows cannot be separated, no choice of C helps: the label is not linear
    in the representation. If they are separated but E3 stays low, the fit memorises rows rather
    than reading a direction that holds for new combinations of seen words and templates.
    """
    y = df["y"].to_numpy().astype(int)
    negated = df["negation"].to_numpy().astype(bool)
    train = parts["train"]
    with blas_threads(1):
        probe = train_probe(X[train], y[train], axis=axis, kind="logreg", hook="", pooling="", layer=0, C=C, seed=seed)
    correct = probe.predict(X) == y

    def share(mask):
        return float(correct[mask].mean()) if mask.any() else float("nan")

    return {"C": float(C), "train_accuracy": share(train), "train_accuracy_affirmative": share(train & ~negated),
            "train_accuracy_negated": share(train & negated), "E3_accuracy": share(parts["E3"])}


def cluster_interval(correct: np.ndarray, groups: np.ndarray, mask: np.ndarray, *, n_boot: int = 2000,
                     seed: int = 0) -> list[float]:
    """95% interval of the accuracy ``correct[mask]``: a two-way cluster bootstrap over the adjectives
    and template patterns of ``groups`` (``cv_groups``), since rows sharing a word or a template are
    not independent evidence."""
    return list(bootstrap_ci(correct[mask], n_boot=n_boot, seed=seed, clusters=[groups[mask, 0], groups[mask, 1]]))


def split_intervals(probe: Probe, X: np.ndarray, df: pd.DataFrame, parts: dict[str, np.ndarray],
                    table: pd.DataFrame, *, axis: str, n_boot: int = 2000, seed: int = 0) -> dict[str, list[float]]:
    """95% intervals (``cluster_interval``) of the saved probe's accuracy on E1-E4 and of negation transfer.

    ``probe`` is the saved logistic probe (fit on ``train``); negation transfer is refit on every
    affirmative prompt with the C the sweep ``table`` chose for that split at the probe's
    configuration. Returns ``{split: [low, high]}``.
    """
    y = df["y"].to_numpy().astype(int)
    groups = cv_groups(df)

    def interval(correct, mask):
        return cluster_interval(correct, groups, mask, n_boot=n_boot, seed=seed)

    correct = probe.predict(X) == y
    out = {split: interval(correct, parts[split]) for split in HELD_OUT if parts[split].any()}
    if parts["negation_transfer"].any():
        row = table[(table["axis"] == axis) & (table["variant"] == "all") & (table["split"] == "negation_transfer")
                    & (table["hook"] == probe.hook) & (table["pooling"] == probe.pooling) & (table["layer"] == probe.layer)]
        if len(row):
            train = parts["train_negation_transfer"]
            with blas_threads(1):
                transfer = train_probe(X[train], y[train], axis=axis, kind="logreg", hook="", pooling="", layer=0,
                                       C=float(row["C"].iloc[0]), seed=seed)
            out["negation_transfer"] = interval(transfer.predict(X) == y, parts["negation_transfer"])
    return out


def word_accuracy(X: np.ndarray, df: pd.DataFrame, *, axis: str, C: float, seed: int = 0,
                  progress: bool = False) -> pd.DataFrame:
    """Leave-one-word-out accuracy of every adjective of ``df``: which words the read-out fails on.

    For each word, two probes (C fixed) are fit on the rows of every *other* word and scored on
    the word's own rows (all of them in one batch, ``helpers.probe_solver.fit_row_sets``):
    - labels by meaning (flipped under negation), all templates: ``accuracy`` on all of the word's
      rows, split into ``affirmative`` and ``negated``;
    - affirmative templates only (the word's own label, no negation involved): ``affirmative_only``.
    A word the model knows but whose negation it does not compose scores high on
    ``affirmative_only`` and low on ``negated``; a word it does not know is low on both.
    Rows: adjective, adjective_label, n, accuracy, affirmative, negated, affirmative_only; worst first.
    """
    from .probe_solver import fit_row_sets

    y = df["y"].to_numpy().astype(int)
    words = df["adjective"].astype(str).to_numpy()
    negated = df["negation"].to_numpy().astype(bool)
    own_label = (df["adjective_label"] if "adjective_label" in df.columns else df["label"]).astype(str).to_numpy()
    vocabulary = sorted(set(words))
    others = [words != word for word in vocabulary]
    affirmative = [~negated & rest for rest in others]
    usable = [len(np.unique(y[rows])) == 2 for rows in affirmative]
    fits = fit_row_sets(X, y, C, others + [rows for rows, ok in zip(affirmative, usable) if ok])  # one batch
    fits_aff = iter(fits[len(vocabulary):])

    def predict(fit, mask):
        return ((X[mask] - fit["mean"]) / fit["scale"]) @ fit["coef"] + fit["intercept"] > 0

    def share(correct, mask):
        return float(correct[mask].mean()) if mask.any() else float("nan")

    rows = []
    for word, fit, ok in zip(vocabulary, fits, usable):
        mine = words == word
        correct = predict(fit, mine) == y[mine]
        mine_affirmative = mine & ~negated
        aff_only = float("nan")
        if ok:
            fit_aff = next(fits_aff)
            if mine_affirmative.any():
                aff_only = float((predict(fit_aff, mine_affirmative) == y[mine_affirmative]).mean())
        rows.append({"adjective": word, "adjective_label": own_label[mine][0], "n": int(mine.sum()),
                     "accuracy": float(correct.mean()), "affirmative": share(correct, ~negated[mine]),
                     "negated": share(correct, negated[mine]), "affirmative_only": aff_only})
    out = pd.DataFrame(rows, columns=["adjective", "adjective_label", "n", "accuracy", "affirmative", "negated",
                                      "affirmative_only"])
    return out.sort_values(["accuracy", "adjective"], kind="stable").reset_index(drop=True)


def vader_correlation(scores: np.ndarray, df: pd.DataFrame, mask: np.ndarray) -> dict:
    """Spearman correlation between the mean read-out of each adjective and its VADER rating.

    Only affirmative rows inside ``mask`` are averaged (under negation the meaning flips, the
    word's rating does not); adjectives without a VADER rating are skipped.
    """
    from scipy.stats import spearmanr

    rows = mask & ~df["negation"].to_numpy().astype(bool)
    per_word = pd.DataFrame({"adjective": df["adjective"].to_numpy()[rows], "score": np.asarray(scores)[rows],
                             "vader": df["vader"].to_numpy()[rows]}).groupby("adjective").mean()
    rated = per_word.dropna(subset=["vader"])
    if len(rated) < 3:
        return {"spearman": None, "p_value": None, "n_words": int(len(rated)), "per_word": per_word.reset_index()}
    rho, p = spearmanr(rated["score"], rated["vader"])
    return {"spearman": float(rho), "p_value": float(p), "n_words": int(len(rated)), "per_word": per_word.reset_index()}


@dataclass
class AxisResult:
    """What notebook 03 keeps per axis (for results.json)."""

    axis: str
    config: dict
    accuracy: dict
    accuracy_affirmative_only: dict

    def as_json(self, n_layers: int) -> dict:
        out = {**{k: self.config[k] for k in ("layer", "hook", "pooling")},
               "depth_fraction": depth_fraction(self.config["layer"], n_layers),
               "criterion": self.config["criterion"], "validation_accuracy": self.config["score"],
               "accuracy": {s: self.accuracy.get(s) for s in SPLIT_NAMES}}
        out["accuracy_affirmative_only"] = {s: self.accuracy_affirmative_only.get(s) for s in HELD_OUT}
        return out


# ------------------------------------------------------------------ one axis end to end, goals
def run_axis(model, axis: str, *, hooks: Sequence[str], poolings: Sequence[str], layers: Sequence[int],
             n_templates: int | None, n_adjectives: int | None, seed: int = 0, Cs: Sequence[float] = C_GRID,
             folds: int = 3, progress: bool = True):
    """Prompts, split masks, activations (one forward pass, cached) and the probe sweep of one axis.

    Returns (df, parts, acts, table).
    """
    df, parts = prompt_set(axis, n_templates=n_templates, n_adjectives=n_adjectives, seed=seed)
    acts = prompt_activations(model, df, hooks=hooks, poolings=poolings, layers=layers, progress=progress)
    table = sweep(acts, df, parts, axis=axis, layers=layers, Cs=Cs, folds=folds, seed=seed, progress=progress)
    return df, parts, acts, table


WIDE_SPLITS = ("E1_wide", "E2_wide", "E4_wide")


def wide_heldout_prompts(df: pd.DataFrame, parts: dict[str, np.ndarray], *, axis: str, n_patterns: int = 12,
                         seed: int = 0) -> pd.DataFrame:
    """A larger test of the saved probe after every choice is made: the whole dataset outside ``train``.

    ``df`` samples some adjectives and templates (the time budget), so E1 holds only a few words
    and E2 a few templates. Here, from every prompt of ``axis`` that ``helpers.data.load_prompts``
    can make:
    - ``E1_wide``: every adjective no training row contains, in ``n_patterns`` template patterns
      (affirmative and negated twin) drawn from the training patterns;
    - ``E2_wide``: the training adjectives in ``n_patterns`` patterns no training row contains;
    - ``E4_wide``: the unseen adjectives in those unseen patterns.
    Same columns as ``load_prompts`` plus ``split``. No row is a training row.
    """
    from .data import load_prompts

    full = load_prompts(axis=axis)
    train = parts["train"]
    seen_words = set(df.loc[train, "adjective"])
    pattern_column = "pattern" if "pattern" in df.columns else "template_id"
    seen_patterns = sorted(set(df.loc[train, pattern_column]))
    unseen_patterns = sorted(set(full[pattern_column]) - set(seen_patterns))
    rng = np.random.default_rng([seed, 41])

    def draw(patterns):
        return {patterns[i] for i in rng.permutation(len(patterns))[:n_patterns]}

    seen_draw, unseen_draw = draw(seen_patterns), draw(unseen_patterns)
    word_seen = full["adjective"].isin(seen_words).to_numpy()
    pattern = full[pattern_column].to_numpy()
    masks = {"E1_wide": ~word_seen & np.isin(pattern, list(seen_draw)),
             "E2_wide": word_seen & np.isin(pattern, list(unseen_draw)),
             "E4_wide": ~word_seen & np.isin(pattern, list(unseen_draw))}
    return pd.concat([full[mask].assign(split=name) for name, mask in masks.items()], ignore_index=True)


def wide_heldout_accuracy(probe: Probe, X: np.ndarray, wide: pd.DataFrame, *, n_boot: int = 2000,
                          seed: int = 0) -> pd.DataFrame:
    """Accuracy of ``probe`` on each split of ``wide_heldout_prompts`` (all, affirmative and negated
    rows), with its 95% interval (``cluster_interval``).

    Rows: split, rows, n, n_words, n_patterns, accuracy, ci_low, ci_high."""
    correct = probe.predict(X) == wide["y"].to_numpy().astype(int)
    negated = wide["negation"].to_numpy().astype(bool)
    groups = cv_groups(wide)
    rows = []
    for split in WIDE_SPLITS:
        in_split = (wide["split"] == split).to_numpy()
        for name, mask in (("all", in_split), ("affirmative", in_split & ~negated), ("negated", in_split & negated)):
            if not mask.any():
                continue
            low, high = cluster_interval(correct, groups, mask, n_boot=n_boot, seed=seed)
            rows.append({"split": split, "rows": name, "n": int(mask.sum()), "n_words": int(len(set(groups[mask, 0]))),
                         "n_patterns": int(len(set(groups[mask, 1]))), "accuracy": float(correct[mask].mean()),
                         "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def unseen_adjective_prompts(df: pd.DataFrame, parts: dict[str, np.ndarray], *, axis: str = "valence",
                             n_templates: int = 4, seed: int = 0) -> pd.DataFrame:
    """Every adjective of ``axis`` that no training row contains, in ``n_templates`` affirmative training templates.

    For the read-out vs VADER correlation on many held-out words (not only the E1 sample).
    Columns: adjective, prompt, template_id, vader, negation (False).
    """
    from .data import load_adjectives, load_templates

    train = parts["train"]
    seen = set(df.loc[train, "adjective"])
    words = load_adjectives(axis)
    words = words[~words["word"].isin(seen)]
    templates = load_templates().set_index("id")
    ids = sorted(set(df.loc[train & ~df["negation"].to_numpy().astype(bool), "template_id"]))
    ids = [ids[i] for i in np.sort(np.random.default_rng([seed, 31]).permutation(len(ids))[:n_templates])]
    rows = [{"adjective": w.word, "prompt": templates.loc[t, "template"].replace("{}", w.word), "template_id": t,
             "vader": w.vader, "negation": False} for w in words.itertuples() for t in ids]
    return pd.DataFrame(rows, columns=["adjective", "prompt", "template_id", "vader", "negation"])


GOALS = {"valence": {"E1": 0.98, "E2": 0.98, "E3": 0.98, "E4": 0.98, "negation_transfer": 0.90},
         "arousal": {"E1": 0.95, "E2": 0.95, "E3": 0.98, "E4": 0.95}}
REFERENCES = {
    "Emo_LLM slides (GPT-2 value vectors)": {"valence": {"E1": 0.90, "E2": 0.83, "E3": 0.99},
                                             "arousal": {"E1": 0.79, "E2": 0.82, "E3": 0.96}},
    "plain script (SmolLM2, last token, resid_post)": {"valence": {"E1": 0.97, "E2": 0.95, "E3": 0.98},
                                                       "arousal": {"E1": 0.77, "E2": 0.79, "E3": 0.90}},
}


def goal_table(best: dict) -> pd.DataFrame:
    """Goals of issue #5 against the chosen probes (``best`` as in results.json; measured = the mean over
    split seeds); gap = measured - goal; ci_low / ci_high: ``best[axis]["accuracy_ci"]`` when present
    (``helpers.seeds.seed_interval``); seed_min / seed_max: ``best[axis]["accuracy_range"]``."""
    rows = []
    for axis, goals in GOALS.items():
        got = best[axis]["accuracy"]
        aff = best[axis].get("accuracy_affirmative_only", {})
        for split, goal in goals.items():
            measured = got.get(split)
            interval = best[axis].get("accuracy_ci", {}).get(split, [None, None])
            spread = best[axis].get("accuracy_range", {}).get(split, [None, None])
            row = {"axis": axis, "split": split, "goal": goal, "measured": measured,
                   "ci_low": interval[0], "ci_high": interval[1], "seed_min": spread[0], "seed_max": spread[1],
                   "met": measured is not None and measured >= goal,
                   "gap": None if measured is None else measured - goal,
                   "affirmative_only": aff.get(split)}
            for name, ref in REFERENCES.items():
                row[name] = ref.get(axis, {}).get(split)
            rows.append(row)
    return pd.DataFrame(rows)


def summarise_axis(table: pd.DataFrame, axis: str, n_layers: int, *, criterion: str = "validation",
                   exclude_poolings: Iterable[str] = ("word",)) -> tuple[dict, dict]:
    """(config, results.json entry) of the saved probes of ``axis``.

    The entry holds the configuration chosen on the labels-by-meaning table (``accuracy``:
    E1-E4 and negation transfer; ``accuracy_affirmative_only`` at the same configuration)
    and ``affirmative_only_config``: the configuration the same criterion picks when training
    and testing on affirmative templates only, with its accuracies.
    """
    cfg = choose_config(table, axis, criterion=criterion, exclude_poolings=exclude_poolings)
    key = (cfg["hook"], cfg["pooling"], cfg["layer"])
    entry = AxisResult(axis, cfg, accuracies_at(table, axis, *key),
                       accuracies_at(table, axis, *key, variant="affirmative_only")).as_json(n_layers)
    try:
        aff = choose_config(table, axis, criterion=criterion, exclude_poolings=exclude_poolings,
                            variant="affirmative_only")
    except ValueError:
        aff = None
    if aff is not None:
        got = accuracies_at(table, axis, aff["hook"], aff["pooling"], aff["layer"], variant="affirmative_only")
        entry["affirmative_only_config"] = {
            "layer": aff["layer"], "hook": aff["hook"], "pooling": aff["pooling"],
            "depth_fraction": depth_fraction(aff["layer"], n_layers), "validation_accuracy": aff["score"],
            "accuracy": {s: got.get(s) for s in HELD_OUT}}
    return cfg, entry
