"""notebooks/01_dataset.ipynb: conventions (fast) and a quick papermill run (marked notebook)."""
from __future__ import annotations

import json

import pytest

from notebook_support import assert_matches_builder, assert_no_outputs, parameters_cell, read_notebook

NOTEBOOK = "01_dataset.ipynb"


def test_notebook_conventions():
    nb = read_notebook(NOTEBOOK)
    cell, params = parameters_cell(nb)
    assert params["model_name"] == "smollm2-135m"
    assert params["seed"] == 0
    assert params["output_dir"] == "../runs/smollm2-135m/01_dataset"
    assert params["quick"] is False
    # the cell after the parameters makes the repository importable from notebooks/
    after = nb.cells[nb.cells.index(cell) + 1]
    assert "sys.path.insert(0" in after.source
    assert_no_outputs(nb)
    # every code cell is introduced by a markdown paragraph or follows one closely
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 10


def test_notebook_matches_its_generator():
    assert_matches_builder(NOTEBOOK, "tools/make_dataset/make_notebook01.py")


@pytest.mark.notebook
def test_notebook_runs_quick(notebook_runner, tmp_path):
    notebook_runner(NOTEBOOK, {"quick": True}, tmp_path)
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
