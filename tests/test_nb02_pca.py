"""notebooks/02_pca_emergence.ipynb: a quick papermill run and the numbers it writes."""
from __future__ import annotations

import json

import pytest


NOTEBOOK = "02_pca_emergence.ipynb"


@pytest.mark.notebook
def test_notebook_runs_quick(notebook_runner, tmp_path):
    notebook_runner(NOTEBOOK, {"preset": "quick"}, tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["model"] == "smollm2-135m" and results["layers"] == [0, 6, 12, 18, 24]
    assert set(results["emergence_layer"]) == {"resid_post", "attn_v"}
    for layer in results["emergence_layer"].values():
        assert layer is None or layer in results["layers"]
    per_layer = results["per_layer"]
    assert len(per_layer) == 2 * 2 * 2 * 5  # hooks x poolings x centerings x layers
    for row in per_layer:
        assert 0.5 <= row["pc1_auc"] <= 1 and 0 <= row["ev1"] <= 1 and -1 <= row["silhouette"] <= 1
        assert row["ev1"] >= row["ev2"] >= row["ev3"]
    # layer 0 cannot tell a negated word from its meaning; some later layer separates better
    first = [r["pc1_auc"] for r in per_layer if r["layer"] == 0 and r["hook"] == "resid_post"]
    assert max(r["best_pc_auc"] for r in per_layer if r["layer"] > 0) > max(first)
    geometry = results["emotion_geometry"]
    for key in ("pc1_valence_r", "pc2_arousal_r", "pc1_valence_r_neutral_projected", "pc2_arousal_r_neutral_projected"):
        assert -1 <= geometry[key] <= 1
    assert geometry["n_words"] >= 60
    # emotion words: the main axis of their vectors correlates with valence (raw or cleaned)
    assert max(geometry["pc1_valence_r"], geometry["raw"]["plane_valence_R"]) > 0.5
    for name in ("pca_layers_resid_post", "pca_layers_attn_v", "emergence", "emotion_geometry"):
        assert (tmp_path / f"{name}.html").exists(), name
    human = results["emotion_geometry"]["human_ratings"]  # PC1/PC2 against Warriner et al. (2013)
    assert human["n_rated"] >= 20 and 0 <= human["pc1_valence_spearman"] <= 1
    assert human["pc1_valence_ci"][0] <= human["pc1_valence_spearman"] <= human["pc1_valence_ci"][1]
    vocabulary = results["vocabulary_geometry"]  # the large rated vocabulary (quick: 300 words)
    assert vocabulary["n_words"] == 300 and set(vocabulary["at_layer"]) == {"neutral frame", "emotion frames"}
    for row in vocabulary["at_layer"].values():
        assert 0 <= row["pc1_valence"] <= 1 and row["pc1_valence_ci"][0] <= row["pc1_valence"] <= row["pc1_valence_ci"][1]
        assert 1 <= row["best_pc_arousal"] <= 10
    assert (tmp_path / "vocabulary_geometry.html").exists()
