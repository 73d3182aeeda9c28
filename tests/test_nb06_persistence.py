"""notebooks/06_persistence.ipynb: a quick papermill run, and the summary entry it feeds."""
from __future__ import annotations

import json

import pytest

from helpers.summary import SECTIONS

NOTEBOOK = "06_persistence.ipynb"


@pytest.mark.notebook
def test_notebook_runs_quick(notebook_runner, tmp_path):
    notebook_runner(NOTEBOOK, {"preset": "quick", "steering_results": str(tmp_path / "absent.json")}, tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    persistence = results["persistence"]
    for axis in ("valence", "arousal"):
        assert set(persistence[axis]) == {"0", "64", "256"}
        assert 0 <= persistence[axis]["0"] <= 1 and 0 <= persistence[axis]["64"] <= 1
        assert persistence[axis]["256"] is None  # the quick preset stops at k = 64
        control = results["next_token_control"][axis]
        assert -1 <= control["spearman"] <= 1 and control["selectivity"] >= 0
    assert persistence["generation_half_life_tokens"] is None or persistence["generation_half_life_tokens"] >= 0
    assert isinstance(persistence["steering_persistence_ratio"], float)
    assert "default" in results["steering_push"]["note"]
    section = next(s for s in SECTIONS if s.notebook == "06_persistence")
    entry = section.entry(results)
    assert entry["persistence"] == persistence and section.rows(entry)
    for name in ("decay", "generation", "steering_push", "control_map", "distance_valence_mention"):
        assert (tmp_path / f"{name}.html").exists(), name
    assert (tmp_path / "probes.npz").exists()
