"""notebooks/01_dataset.ipynb: a quick papermill run and the numbers it writes."""
from __future__ import annotations

import json

import pytest

NOTEBOOK = "01_dataset.ipynb"


@pytest.mark.notebook
def test_notebook_runs_quick(notebook_runner, tmp_path):
    notebook_runner(NOTEBOOK, {"preset": "quick"}, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    counts = summary["counts"]
    assert counts["templates"] >= 300
    assert counts["valence_adjectives"] >= 200 and counts["arousal_adjectives"] >= 120
    assert counts["emotions"] >= 60 and counts["neutral_texts"] >= 40
    assert counts["sentences"] >= 400 and counts["hard_sentences"] >= 100
    assert counts["prompts"]["valence"] == counts["templates"] * counts["valence_adjectives"]
    assert 0.4 <= summary["negation_fraction"] <= 0.6
    assert summary["label_balance"] == {"arousal": 0.5, "valence": 0.5}
    for axis in ("valence", "arousal"):
        sizes = summary["splits"][axis]
        assert set(sizes) == {"E1", "E2", "E3", "E4", "negation_transfer"}
        for split, n in sizes.items():
            assert n["train"] > 0 and n["test"] > 0, (axis, split)
        assert sizes["E4"]["test"] < min(sizes["E1"]["test"], sizes["E2"]["test"])
    assert 0.2 < summary["one_token_adjective_fraction"] <= 1
    tokens = summary["prompt_tokens"]
    assert 5 < tokens["mean"] < 25 and tokens["max"] <= 60 and tokens["fraction_le_25"] > 0.9
    assert tokens["n_counted"] == 3000
    assert summary["vader_sign_agreement"] == 1.0
    assert summary["vader_circumplex_correlation"] > 0.8
    accuracy = summary["vader_sentence_accuracy"]
    assert accuracy["easy"] > max(accuracy[p] for p in ("negation", "contrast", "mixed", "understatement"))
    for name in ("prompt_token_lengths", "adjective_token_counts", "split_sizes", "vader_vs_labels", "circumplex"):
        assert (tmp_path / f"{name}.html").exists(), name
    human = summary["human_ratings"]  # Warriner et al. (2013) coverage and agreement with our labels
    assert human["valence"]["rated"] >= 50 and 0 < human["arousal"]["coverage"] <= 1
    assert human["valence"]["agreement"] > 0.9
