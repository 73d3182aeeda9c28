"""notebooks/07_emo_llm_replication.ipynb: a quick papermill run, and the summary entry it feeds."""
from __future__ import annotations

import json

import pytest

from helpers.summary import SECTIONS

NOTEBOOK = "07_emo_llm_replication.ipynb"


@pytest.mark.notebook
def test_notebook_runs_quick(notebook_runner, tmp_path):
    notebook_runner(NOTEBOOK, {"preset": "quick"}, tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    got = results["emo_llm_replication"]
    for axis in ("valence", "arousal"):
        assert set(got[axis]) == {"E1", "E2", "E3"} and all(0 <= a <= 1 for a in got[axis].values())
    for way in ("transfer_ours_to_theirs", "transfer_theirs_to_ours"):
        assert {"all", "negated"} <= set(got[way]) and all(0 <= a <= 1 for a in got[way].values())
    assert results["published_gpt2"]["valence"]["E1"] == 0.90  # their figures, beside ours
    assert {g["goal"] for g in results["goals"]} >= {"valence E1 > GPT-2", "transfer_theirs_to_ours negated >= 0.85"}
    section = next(s for s in SECTIONS if s.notebook == "07_emo_llm_replication")
    assert section.entry(results)["emo_llm_replication"] == got and section.rows(section.entry(results))
    for name in ("replication_curves", "transfer"):
        assert (tmp_path / f"{name}.html").exists(), name
