"""notebooks/05_steering.ipynb: a quick papermill run and the numbers it writes."""
from __future__ import annotations

import json

import nbformat
import pytest


NOTEBOOK = "05_steering.ipynb"


@pytest.mark.notebook
def test_notebook_runs_quick(notebook_runner, tmp_path):
    executed = notebook_runner(NOTEBOOK, {"preset": "quick"}, tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["model"] == "smollm2-135m" and results["settings"]["widget_demo_alpha"] == 4.0
    valence = results["valence"]
    for key in ("layer", "kind", "alphas", "mean_vader", "ci_low", "ci_high", "spearman_rho", "mean_probe_readout"):
        assert key in valence
    n = len(valence["alphas"])
    assert n == 3 and len(valence["mean_vader"]) == n and len(valence["mean_probe_readout"]) == n
    assert all(-1 <= v <= 1 for v in valence["mean_vader"])
    assert valence["spearman_rho"] is None or -1 <= valence["spearman_rho"] <= 1
    assert {row["layer"] for row in results["layer_sweep"]} and all("spearman_rho" in r for r in results["layer_sweep"])
    assert {row["kind"] for row in results["kind_comparison"]} == {"mean_diff", "logreg"}
    fluency = results["fluency"]
    assert len(fluency["perplexity_by_alpha"]) == n and len(fluency["distinct2_by_alpha"]) == n
    low, high = fluency["alpha_range_within_1.5x"]
    assert low <= 0 <= high
    assert results["arousal"]["alphas"] == [-4.0, 0.0, 4.0] and "arousal_index" in results["arousal"]
    assert set(results["ablation"]["conditions"]) == {"none", "valence direction", "random direction"}
    for row in results["ablation"]["conditions"].values():
        assert "vader_gap" in row and 0 <= row["fresh_probe_cv_accuracy"] <= 1
    # the direction really is gone from the residual stream under ablation
    ablated = results["ablation"]["conditions"]["valence direction"]["projection_std_on_direction"]
    assert ablated < 0.01 * results["ablation"]["conditions"]["none"]["projection_std_on_direction"]
    for name in ("layer_sweep", "kind_comparison", "valence_dose_response", "fluency", "arousal_dose_response", "ablation"):
        assert (tmp_path / f"{name}.html").exists()
    # the widget's handler ran once (quick preset: widget_demo_alpha) and showed both texts
    nb = nbformat.read(str(executed), as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "'unsteered':" in text and "'steered':" in text
