"""notebooks/03_layer_probing.ipynb: a quick papermill run and the numbers it writes."""
from __future__ import annotations

import json

import numpy as np
import pytest

NOTEBOOK = "03_layer_probing.ipynb"
SPLITS = {"E1", "E2", "E3", "E4", "negation_transfer"}


@pytest.mark.notebook
def test_notebook_runs_quick(notebook_runner, tmp_path):
    from helpers.probes import load

    notebook_runner(NOTEBOOK, {"preset": "quick"}, tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["model"] == "smollm2-135m" and results["settings"]["layer_step"] == 6
    assert results["layers"] == [0, 6, 12, 18, 24]
    assert results["seeds"] == [0, 1] and results["split_seed"] == 0  # the quick preset's split seeds
    for axis in ("valence", "arousal"):
        best = results["best"][axis]
        for split, values in best["accuracy_seeds"].items():  # headline = mean over seeds, with its range
            assert len(values) == 2 and best["accuracy"][split] == pytest.approx(np.mean(values))
            assert best["accuracy_range"][split] == [min(values), max(values)]
        assert best["layer"] in results["layers"] and best["pooling"] != "word"
        assert best["depth_fraction"] == pytest.approx((best["layer"] + 1) / 30)
        assert set(best["accuracy"]) == SPLITS
        assert all(0 <= a <= 1 for a in best["accuracy"].values())
        assert set(best["accuracy_affirmative_only"]) == {"E1", "E2", "E3", "E4"}
        assert set(best["affirmative_only_config"]["accuracy"]) == {"E1", "E2", "E3", "E4"}
        assert set(best["accuracy_ci"]) == SPLITS and all(0 <= lo <= hi <= 1 for lo, hi in best["accuracy_ci"].values())
    # valence is easy at mid depth even in quick mode: well above chance on seen words
    assert results["best"]["valence"]["accuracy"]["E3"] > 0.8
    rows = results["table"]
    assert {r["split"] for r in rows} == SPLITS | {"validation"}
    assert {(r["hook"], r["pooling"]) for r in rows} == {(h, p) for h in ("resid_post", "attn_v")
                                                          for p in ("last", "mean", "max", "word")}
    assert len(rows) == 2 * 8 * 5 * 11  # axes x specs x layers x (6 splits + 5 affirmative-only)
    assert set(results["cosines"]) == {"valence", "arousal", "shared_config"}
    assert -1 <= results["cosines"]["valence"]["valence/logreg~valence/mean_diff"] <= 1
    assert results["vader_spearman"] is not None and results["vader_n_words"] >= 20
    readout = results["human_readout"]  # the probes' read-out of unseen words vs Warriner (issue #16)
    assert set(readout) == {"valence", "arousal"}
    for axis, got in readout.items():
        assert got["n_words"] >= 20 and got["n_unrated"] >= 1, axis  # the norms miss some adjectives of each axis
        assert -1 <= got["ci"][0] <= got["spearman"] <= got["ci"][1] <= 1, axis
    assert readout["valence"]["spearman"] > 0.5  # the valence probe ranks unseen words like human raters
    labels = results["arousal_human_labels"]  # arousal labelled by the top vs bottom third of human ratings
    coverage = labels["coverage"]
    assert coverage["n_words"] == 128 and coverage["n_rated"] + coverage["n_unrated"] == 128
    assert coverage["n_high"] + coverage["n_low"] + coverage["n_middle"] == coverage["n_rated"]
    assert labels["n_words"] == coverage["n_high"] + coverage["n_low"] and 0.5 < labels["agreement"] <= 1
    assert sum(labels["confusion"].values()) == labels["n_words"]
    assert sum(labels["middle_third_hand_labels"].values()) == coverage["n_middle"]
    # every labelled word in the wide test's patterns, folds + 1 = 4 sampled and 4 outside (quick: the wide test has 1 + 1)
    assert labels["n_prompt_words"] == labels["n_words"] and labels["n_patterns"] == 8
    assert labels["n_prompts"] == 16 * labels["n_words"] and labels["seeds"] == [0, 1]
    assert labels["n_prompts_run"] <= labels["n_prompts"] - 4 * labels["n_words"]  # the wide test's rows reused
    assert (labels["config"]["hook"], labels["config"]["pooling"], labels["config"]["layer"]) == tuple(
        results["best"]["arousal"][k] for k in ("hook", "pooling", "layer"))
    for got in (labels, labels["hand_labels_same_words"]):
        assert set(got["accuracy"]) == SPLITS and all(0 <= a <= 1 for a in got["accuracy"].values())
        assert set(got["accuracy_affirmative_only"]) == {"E1", "E2", "E3", "E4"}
    assert all(len(v) == 2 for v in labels["accuracy_seeds"].values())
    assert results["seconds"]["human_readout"] >= 0 and results["seconds"]["arousal_human_labels"] >= 0
    for axis in ("valence", "arousal"):
        breakdown = {(r["split"], r["rows"]): r for r in results["error_breakdown"][axis]}
        assert set(breakdown) == {(s, rows) for s in ("E1", "E2", "E3", "E4") for rows in ("affirmative", "negated", "all")}
        first = results["best"][axis]["accuracy_seeds"]
        for split in ("E1", "E2", "E3", "E4"):  # the "all" rows: the saved (first-seed) probe on the split
            n = breakdown[(split, "all")]["n"]
            assert breakdown[(split, "all")]["accuracy"] == pytest.approx(first[split][0], abs=1.01 / n)
            assert breakdown[(split, "affirmative")]["n"] + breakdown[(split, "negated")]["n"] == breakdown[(split, "all")]["n"]
        assert sum(r["n"] for r in results["negator_accuracy"][axis]) == sum(
            breakdown[(s, "negated")]["n"] for s in ("E1", "E2", "E3", "E4"))
        ceiling = results["fit_ceiling"][axis]
        assert ceiling["C"] == 100.0 and 0.5 <= ceiling["train_accuracy"] <= 1 and 0 <= ceiling["E3_accuracy"] <= 1
        wide = {(r["split"], r["rows"]): r for r in results["wide_heldout"][axis]}
        assert set(wide) == {(s, rows) for s in ("E1_wide", "E2_wide", "E4_wide") for rows in ("all", "affirmative", "negated")}
        assert all(r["n_patterns"] == 1 and r["ci_low"] <= r["ci_high"] for r in wide.values())
        assert all(1 <= len(r["seeds"]) <= 2 and r["min"] <= r["accuracy"] <= r["max"] for r in wide.values())
        words = results["word_accuracy"][axis]
        assert sum(w["n"] for w in words) == results["n_prompts"][axis]  # every word held out once
        assert [w["accuracy"] for w in words] == sorted(w["accuracy"] for w in words)  # worst first
        assert all(0 <= w[k] <= 1 for w in words for k in ("accuracy", "affirmative", "negated", "affirmative_only"))
    probes = load(tmp_path / "probes.npz")
    assert {f"{a}/{k}" for a in ("valence", "arousal") for k in ("logreg", "mean_diff", "pc1")} <= set(probes)
    for axis in ("valence", "arousal"):
        p = probes[axis]
        assert (p.layer, p.hook, p.pooling) == tuple(results["best"][axis][k] for k in ("layer", "hook", "pooling"))
        assert np.linalg.norm(p.direction) == pytest.approx(1.0, abs=1e-4)
    for name in ("heatmap_valence_resid_post", "heatmap_arousal_attn_v", "cosines", "valence_arousal_plane", "vader",
                 "human_readout", "words_valence", "words_arousal"):
        assert (tmp_path / f"{name}.html").exists(), name
    human = results["human_ratings"]  # ridge read-outs of the Warriner norms on held-out words
    assert human["n_heldout_words"] == 100 and 0 < human["valence_heldout_spearman"] <= 1
    assert set(human["detail"]) == {"valence", "arousal"}
    assert human["detail"]["valence"]["layer"] in results["layers"]
