"""Probe sweep and split evaluation on a synthetic prompt table where the right answers are known."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import helpers.evaluation as evaluation
import helpers.runtime as runtime
from helpers.data import SPLIT_NAMES, splits
from helpers.probes import Probe, train_probe
from helpers.evaluation import (accuracies_at, best_per_split, choose_config, direction_cosines, evaluate_config,
                             sweep, vader_correlation)


def synthetic_prompts(n_words=16, n_patterns=8):
    """Every word x every template; half the words positive, every pattern affirmative + negated."""
    rows = []
    for p in range(n_patterns):
        for negation in (False, True):
            for w in range(n_words):
                word_label = "positive" if w % 2 == 0 else "negative"
                label = {"positive": "negative", "negative": "positive"}[word_label] if negation else word_label
                rows.append({"prompt": f"template {p} {negation} word{w}", "template_id": f"T{p}{int(negation)}",
                             "pattern": f"P{p}", "adjective": f"word{w}", "axis": "valence", "label": label,
                             "adjective_label": word_label, "y": int(label == "positive"), "negation": negation,
                             "vader": float(w if w % 2 == 0 else -w)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def table():
    df = synthetic_prompts()
    return df, splits(df, seed=0)


def features(df, meaning=0.0, word=0.0, noise=0.3, width=6, seed=0):
    """Column 0 encodes the meaning (label after negation), column 1 the word's own label."""
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=noise, size=(len(df), width))
    X[:, 0] += meaning * (2 * df["y"].to_numpy() - 1)
    X[:, 1] += word * np.where(df["adjective_label"] == "positive", 1.0, -1.0)
    return X


def as_dict(rows, variant="all"):
    return {r["split"]: r["accuracy"] for r in rows if r["variant"] == variant}


def test_meaning_feature_transfers_everywhere(table):
    df, parts = table
    acc = as_dict(evaluate_config(features(df, meaning=2.0), df, parts, axis="valence"))
    assert set(acc) == {"validation", "E1", "E2", "E3", "E4", "negation_transfer"}
    assert all(a == 1.0 for a in acc.values()), acc


def test_word_feature_fails_negation_transfer(table):
    # A probe that reads the word, not the meaning: fine on affirmative prompts, inverted on
    # negated ones (below chance), and useless when labels are flipped in training.
    df, parts = table
    rows = evaluate_config(features(df, word=2.0), df, parts, axis="valence")
    acc, aff = as_dict(rows), as_dict(rows, "affirmative_only")
    assert acc["negation_transfer"] == 0.0
    assert all(aff[s] == 1.0 for s in ("E1", "E2", "E3", "E4"))
    assert all(abs(acc[s] - 0.5) < 0.2 for s in ("E1", "E2", "E3", "E4"))
    n_test = {r["split"]: r["n_test"] for r in rows if r["variant"] == "affirmative_only"}
    assert n_test["E1"] == (parts["E1"] & ~df["negation"].to_numpy()).sum()


def test_no_test_row_is_ever_fitted(table, monkeypatch):
    # Every fit (C search, final probe) and the solver's preconditioner must see only rows of their
    # own training mask: spies on the batched calls of helpers.probe_sweep record the rows.
    import helpers.probe_sweep as probe_sweep

    df, parts = table
    X = features(df, meaning=2.0)
    seen = []
    real_cv, real_fit, real_basis = probe_sweep.cv_accuracy_grid, probe_sweep.fit_layers, probe_sweep.principal_basis

    def spy_cv(Xs, ys, split, Cs, **kw):
        seen.append(("cv", set(np.concatenate([np.r_[tr, va] for tr, va in split]).tolist())))
        return real_cv(Xs, ys, split, Cs, **kw)

    def spy_fit(Xs, ys, C, *, rows, **kw):
        seen.append(("fit", set(np.asarray(rows).tolist())))
        return real_fit(Xs, ys, C, rows=rows, **kw)

    def spy_basis(Xs, rows, **kw):
        seen.append(("basis", set(np.asarray(rows).tolist())))
        return real_basis(Xs, rows, **kw)

    monkeypatch.setattr(probe_sweep, "cv_accuracy_grid", spy_cv)
    monkeypatch.setattr(probe_sweep, "fit_layers", spy_fit)
    monkeypatch.setattr(probe_sweep, "principal_basis", spy_basis)
    evaluate_config(X, df, parts, axis="valence")
    train = set(np.flatnonzero(parts["train"]))
    affirmative = set(np.flatnonzero(~df["negation"].to_numpy()))
    held_out = set(np.flatnonzero(parts["E1"] | parts["E2"] | parts["E3"] | parts["E4"]))
    negated = set(np.flatnonzero(parts["negation_transfer"]))
    # basis(train), cv(train), fit(train), cv(train & affirmative), fit(affirmative), fit(train & affirmative)
    assert [kind for kind, _ in seen] == ["basis", "cv", "fit", "cv", "fit", "fit"]
    assert seen[0][1] == seen[1][1] == seen[2][1] == train and not train & held_out
    assert seen[3][1] == seen[5][1] == train & affirmative  # C for the affirmative fits: no negated, no E1-E4 row
    assert seen[4][1] == affirmative and not seen[4][1] & negated  # negation transfer: every affirmative prompt


def test_sweep_table_and_choice(table):
    df, parts = table
    layers = [3, 7]
    # layer 3 carries the meaning weakly, layer 7 strongly; "word" pooling carries it perfectly
    weak, strong = features(df, meaning=0.4, seed=1), features(df, meaning=3.0, seed=2)
    acts = {("resid_post", "last"): np.stack([weak, strong], axis=1),
            ("resid_post", "word"): np.stack([strong, strong], axis=1)}
    result = sweep(acts, df, parts, axis="valence", layers=layers, progress=False)
    assert list(result.columns) == evaluation.TABLE_COLUMNS
    assert len(result) == 2 * 2 * (6 + 5)  # specs x layers x (all: 6 splits, affirmative_only: 5)
    chosen = choose_config(result, "valence")
    assert (chosen["hook"], chosen["pooling"], chosen["layer"]) == ("resid_post", "last", 7)
    assert chosen["criterion"] == "validation"
    with_word = choose_config(result, "valence", exclude_poolings=())
    assert with_word["pooling"] == "word" and with_word["layer"] == 3  # ties -> earlier layer
    acc = accuracies_at(result, "valence", "resid_post", "last", 7)
    assert acc["E1"] == 1.0 and "validation" in acc
    cfg, entry = evaluation.summarise_axis(result, "valence", n_layers=10)
    assert cfg == chosen and entry["layer"] == 7 and entry["depth_fraction"] == pytest.approx(0.8)
    assert set(entry["accuracy"]) == set(SPLIT_NAMES) and entry["accuracy"]["E1"] == 1.0
    aff = entry["affirmative_only_config"]
    assert aff["pooling"] == "last" and set(aff["accuracy"]) == set(evaluation.HELD_OUT)
    best = best_per_split(result, n_layers=10)
    row = best[(best["split"] == "E1") & (best["pooling"] == "last")].iloc[0]
    assert row["layer"] == 7 and row["depth_fraction"] == pytest.approx(0.8)


def test_choose_config_criteria_on_a_hand_made_table():
    rows = []
    for layer, validation, held in ((1, 0.90, 0.99), (2, 0.95, 0.80)):
        rows.append(dict(axis="valence", variant="all", hook="h", pooling="last", layer=layer, split="validation",
                         accuracy=validation))
        for split in ("E1", "E2", "E3", "E4", "negation_transfer"):
            rows.append(dict(axis="valence", variant="all", hook="h", pooling="last", layer=layer, split=split,
                             accuracy=held))
    t = pd.DataFrame(rows)
    assert choose_config(t, "valence")["layer"] == 2
    assert choose_config(t, "valence", criterion="mean_heldout")["layer"] == 1
    with pytest.raises(ValueError, match="criterion"):
        choose_config(t, "valence", criterion="best")
    with pytest.raises(ValueError, match="No rows"):
        choose_config(t, "arousal")


def test_vader_correlation_uses_affirmative_rows_per_word():
    df = synthetic_prompts(n_words=6, n_patterns=2)
    scores = df["vader"].to_numpy() * np.where(df["negation"], -1.0, 1.0)  # read-out follows meaning
    result = vader_correlation(scores, df, np.ones(len(df), bool))
    assert result["spearman"] == pytest.approx(1.0) and result["n_words"] == 6
    everything = vader_correlation(df["vader"].to_numpy() * 0 + np.arange(len(df)) % 3, df, np.ones(len(df), bool))
    assert abs(everything["spearman"]) < 1.0


def test_direction_cosines():
    def probe(axis, kind, direction):
        d = np.asarray(direction, dtype=float)
        return Probe(axis=axis, kind=kind, hook="h", pooling="last", layer=0, mean=np.zeros(2), scale=np.ones(2),
                     coef=d, intercept=0.0, direction=d / np.linalg.norm(d), projection_std=1.0)

    out = direction_cosines([probe("valence", "logreg", [1, 0]), probe("valence", "pc1", [1, 1]),
                             probe("arousal", "logreg", [0, 2])])
    assert out["valence/logreg~valence/pc1"] == pytest.approx(2 ** -0.5)
    assert out["valence/logreg~arousal/logreg"] == pytest.approx(0.0)
    assert len(out) == 3


def test_train_probe_kinds_agree_on_clean_data(table):
    df, parts = table
    X = features(df, meaning=3.0, noise=0.1)
    mask = parts["train"]
    probes = evaluation.train_all_kinds(X, df, mask, axis="valence", hook="h", pooling="last", layer=2)
    assert [p.kind for p in probes] == ["logreg", "mean_diff", "pc1"]
    for p in probes:
        assert evaluation.score_splits(p, X, df, parts)["E4"] == 1.0
    # mean_diff and pc1 find the meaning axis in raw space; logreg's raw direction is coef / scale,
    # which up-weights the low-variance noise columns, so only its sign on column 0 is checked.
    assert probes[1].direction[0] > 0.99 and probes[2].direction[0] > 0.99
    assert probes[0].direction[0] > 0


def _negation_feature(df, X, strength=2.0):
    """Add a column that says whether the prompt is negated (what every real model encodes)."""
    X = X.copy()
    X[:, 2] += strength * np.where(df["negation"].to_numpy(), 1.0, -1.0)
    return X


def test_fit_ceiling_tells_composed_meaning_from_word_plus_negation(table):
    df, parts = table
    composed = evaluation.fit_ceiling(features(df, meaning=2.0), df, parts, axis="valence")
    assert composed["train_accuracy"] == 1.0 and composed["E3_accuracy"] == 1.0 and composed["C"] == 100.0
    # word and negation are both linear here, but the label (word XOR negation) is not: no linear
    # probe separates the training rows, however weak its regularisation
    additive = evaluation.fit_ceiling(_negation_feature(df, features(df, word=2.0)), df, parts, axis="valence")
    assert additive["train_accuracy"] < 0.8 and additive["E3_accuracy"] < 0.8
    assert set(additive) == {"C", "train_accuracy", "train_accuracy_affirmative", "train_accuracy_negated", "E3_accuracy"}


def test_error_breakdown_and_negator_accuracy_locate_the_errors(table):
    df, parts = table
    df = df.assign(negator=np.where(df["negation"], np.where(df["pattern"].isin(["P0", "P1", "P2", "P3"]), "not", "never"), None))
    X = features(df, word=2.0)
    affirmative = ~df["negation"].to_numpy()
    probe = train_probe(X[parts["train"] & affirmative], df["y"].to_numpy()[parts["train"] & affirmative],
                        axis="valence", hook="resid_post", pooling="last", layer=0, C=1.0)
    table_ = evaluation.error_breakdown(probe, X, df, parts).set_index(["split", "rows"])
    assert set(table_.index.get_level_values("split")) == {"E1", "E2", "E3", "E4"}
    for split in ("E1", "E2", "E3", "E4"):  # reads the word: right when affirmative, inverted when negated
        assert table_.loc[(split, "affirmative"), "accuracy"] == 1.0
        assert table_.loc[(split, "negated"), "accuracy"] == 0.0
        n = table_.loc[(split, "affirmative"), "n"] + table_.loc[(split, "negated"), "n"]
        assert table_.loc[(split, "all"), "n"] == n == parts[split].sum()
    per_cue = evaluation.negator_accuracy(probe, X, df, np.ones(len(df), bool))
    assert set(per_cue["negator"]) == {"not", "never"} and (per_cue["accuracy"] == 0.0).all()
    assert per_cue["n"].sum() == df["negation"].sum()


def test_word_accuracy_finds_the_word_whose_negation_is_not_composed(table):
    df, _ = table
    # every word carries its composed meaning, except word3 whose representation ignores negation
    stuck = (df["adjective"] == "word3").to_numpy()
    X = features(df, meaning=2.0)
    own = np.where(df["adjective_label"] == "positive", 1.0, -1.0)
    X[stuck, 0] = 2.0 * own[stuck] + (X[stuck, 0] - 2.0 * (2 * df["y"].to_numpy()[stuck] - 1))
    words = evaluation.word_accuracy(X, df, axis="valence", C=1.0).set_index("adjective")
    assert len(words) == df["adjective"].nunique() and (words["n"] == len(df) // len(words)).all()
    assert words.index[0] == "word3"  # worst first
    assert words.loc["word3", "affirmative"] == 1.0 and words.loc["word3", "negated"] == 0.0
    assert words.loc["word3", "accuracy"] == 0.5
    assert words.loc["word3", "affirmative_only"] == 1.0  # the word itself is read right
    others = words.drop(index="word3")
    assert (others[["accuracy", "affirmative", "negated", "affirmative_only"]] == 1.0).all().all()
    assert set(words["adjective_label"]) == {"positive", "negative"}


def test_split_intervals_and_goal_table(table):
    df, parts = table

    def intervals(X):
        t = sweep({("resid_post", "last"): X[:, None, :]}, df, parts, axis="valence", layers=[0], progress=False)
        probe = train_probe(X[parts["train"]], df["y"].to_numpy()[parts["train"]], axis="valence", hook="resid_post",
                            pooling="last", layer=0, C=1.0)
        return evaluation.split_intervals(probe, X, df, parts, t, axis="valence", n_boot=500)

    composed = intervals(features(df, meaning=2.0))
    assert composed == {s: [1.0, 1.0] for s in ("E1", "E2", "E3", "E4", "negation_transfer")}
    # reads the word: negation transfer is inverted on every negated row, whatever is resampled
    assert intervals(features(df, word=2.0))["negation_transfer"] == [0.0, 0.0]

    best = {"valence": {"accuracy": {"E1": 0.97, "E2": 0.99, "E3": 1.0, "E4": 0.9, "negation_transfer": 0.95},
                        "accuracy_ci": {"E1": [0.93, 0.99]}},
            "arousal": {"accuracy": {"E1": 0.95, "E2": 0.9, "E3": 0.99, "E4": 0.96}}}
    goals = evaluation.goal_table(best).set_index(["axis", "split"])
    assert goals.loc[("valence", "E1"), "ci_low"] == 0.93 and goals.loc[("valence", "E1"), "ci_high"] == 0.99
    assert pd.isna(goals.loc[("valence", "E2"), "ci_low"])
    assert not goals.loc[("valence", "E1"), "met"] and goals.loc[("valence", "E2"), "met"]
    assert goals.loc[("valence", "E4"), "gap"] == pytest.approx(-0.08)


def test_wide_heldout_prompts_hold_out_what_they_say():
    from helpers.data import load_adjectives

    df, parts = evaluation.prompt_set("valence", n_templates=16, n_adjectives=20, seed=0)
    wide = evaluation.wide_heldout_prompts(df, parts, axis="valence", n_patterns=3, seed=0)
    train = df[parts["train"]]
    train_words, train_patterns = set(train["adjective"]), set(train["pattern"])
    by = {name: part for name, part in wide.groupby("split")}
    assert set(by) == set(evaluation.WIDE_SPLITS)
    assert set(by["E1_wide"]["adjective"]) == set(load_adjectives("valence")["word"]) - train_words
    assert set(by["E1_wide"]["pattern"]) <= train_patterns
    assert set(by["E2_wide"]["adjective"]) == train_words and not set(by["E2_wide"]["pattern"]) & train_patterns
    assert not set(by["E4_wide"]["adjective"]) & train_words and not set(by["E4_wide"]["pattern"]) & train_patterns
    for part in by.values():
        assert part["pattern"].nunique() == 3 and part["negation"].mean() == 0.5  # affirmative + negated twins
    # every combination is complete, and the label is the meaning (flipped under negation)
    assert len(by["E1_wide"]) == by["E1_wide"]["adjective"].nunique() * by["E1_wide"]["template_id"].nunique()
    own_positive = (wide["adjective_label"] == "positive").to_numpy()
    assert (wide["y"].to_numpy() == (own_positive ^ wide["negation"].to_numpy())).all()
    assert set(by["E1_wide"]["pattern"]) == set(evaluation.wide_heldout_prompts(df, parts, axis="valence", n_patterns=3,
                                                                             seed=0).query("split == 'E1_wide'")["pattern"])


def test_wide_heldout_accuracy_on_known_features(table):
    df, parts = table
    wide = df.assign(split=np.where(parts["E1"], "E1_wide", np.where(parts["E2"], "E2_wide", "E4_wide")))
    X = features(wide, meaning=2.0)
    probe = train_probe(X[parts["train"]], df["y"].to_numpy()[parts["train"]], axis="valence", hook="resid_post",
                        pooling="last", layer=0, C=1.0)
    result = evaluation.wide_heldout_accuracy(probe, X, wide, n_boot=300).set_index(["split", "rows"])
    assert (result["accuracy"] == 1.0).all() and (result["ci_low"] == 1.0).all()
    assert result.loc[("E1_wide", "all"), "n"] == parts["E1"].sum()
    assert result.loc[("E1_wide", "all"), "n_words"] == df.loc[parts["E1"], "adjective"].nunique()
    # a word reader: right on affirmative rows, wrong on every negated row
    X_word = features(wide, word=2.0)
    fit_rows = parts["train"] & ~df["negation"].to_numpy()
    words = train_probe(X_word[fit_rows], df["y"].to_numpy()[fit_rows], axis="valence", hook="resid_post",
                        pooling="last", layer=0, C=1.0)
    result = evaluation.wide_heldout_accuracy(words, X_word, wide, n_boot=300).set_index(["split", "rows"])
    assert (result.xs("affirmative", level="rows")["accuracy"] == 1.0).all()
    assert (result.xs("negated", level="rows")["accuracy"] == 0.0).all()


def test_torch_threads_follow_measured_cpu_use(monkeypatch):
    import psutil
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        monkeypatch.setattr(psutil, "cpu_percent", lambda interval=None: 95.0)  # another job holds the cores
        assert runtime.machine_busy() and runtime.set_torch_threads(None) == 1 == torch.get_num_threads()
        torch.set_num_threads(2)
        monkeypatch.setattr(psutil, "cpu_percent", lambda interval=None: 3.0)  # idle
        assert not runtime.machine_busy() and runtime.set_torch_threads(None) == 2
        assert runtime.set_torch_threads(1) == 1  # an explicit number wins
    finally:
        torch.set_num_threads(before)
