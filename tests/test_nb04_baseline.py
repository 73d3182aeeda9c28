"""notebooks/04_probe_vs_prompting.ipynb: a quick papermill run and the numbers it writes."""
from __future__ import annotations

import json

import pytest


NOTEBOOK = "04_probe_vs_prompting.ipynb"
METHODS = ("zero_shot", "zero_shot_calibrated", "few_shot", "few_shot_calibrated", "probe_transfer", "probe_in_domain")
METHOD_KEYS = ("accuracy", "ci_low", "ci_high", "accuracy_hard", "accuracy_E4", "seconds_per_100", "param_bytes",
               "peak_rss_mb")


@pytest.mark.notebook
def test_notebook_runs_quick(notebook_runner, tmp_path):
    notebook_runner(NOTEBOOK, {"preset": "quick"}, tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["model"] == "smollm2-135m" and results["settings"]["n_folds"] == 3
    methods = results["methods"]
    assert set(methods) == set(METHODS)
    for name, row in methods.items():
        for key in METHOD_KEYS:
            assert isinstance(row[key], (int, float)), (name, key)
        assert 0 <= row["ci_low"] <= row["accuracy"] <= row["ci_high"] <= 1, name
        assert row["n"] == results["n_sentences"] == 60
        assert row["peak_rss_mb"] > 100 and row["seconds_per_100"] > 0
    prompt_bytes = methods["zero_shot"]["param_bytes"]
    assert methods["few_shot"]["param_bytes"] == prompt_bytes
    for probe in ("probe_transfer", "probe_in_domain"):
        assert methods[probe]["param_bytes"] < prompt_bytes
        assert methods[probe]["peak_rss_mb"] < methods["zero_shot"]["peak_rss_mb"] or \
            methods[probe]["param_bytes"] > 0.9 * prompt_bytes  # a probe near the top saves little
    assert methods["zero_shot_calibrated"]["seconds_per_100"] >= methods["zero_shot"]["seconds_per_100"]
    best = results["best_prompting"]
    assert best in METHODS[:4]
    assert methods[best]["accuracy"] == max(methods[m]["accuracy"] for m in METHODS[:4])
    assert results["probe_minus_best_prompting"] == pytest.approx(
        100 * (methods["probe_in_domain"]["accuracy"] - methods[best]["accuracy"]))
    assert results["memory_saving_fraction"] == pytest.approx(results["memory_saving_fraction_predicted"], abs=1e-3)
    assert 0 < results["memory_saving_fraction"] < 1
    for variant in ("zero_shot", "few_shot"):
        assert 0 <= results["parse_rate"][variant]["parse_rate"] <= 1 and results["parse_rate"][variant]["n"] == 8
    assert set(results["prompting_above_chance"]) == set(METHODS[:4])
    for name, above in results["prompting_above_chance"].items():
        assert above == (methods[name]["ci_low"] > 0.5)
    assert len(results["scaling_table"]) >= 8
    transfer = results["transfer_probe"]
    assert transfer["chosen_by"] == "templated validation" and transfer["hook"] in ("resid_post", "attn_v")
    assert set(transfer["by_hook"]) == {"resid_post", "attn_v"}
    chosen_row = transfer["by_hook"][transfer["hook"]]
    assert (chosen_row["pooling"], chosen_row["layer"]) == (transfer["pooling"], transfer["layer"])
    assert chosen_row["sentence_accuracy"] == pytest.approx(methods["probe_transfer"]["accuracy"])
    for row in transfer["by_hook"].values():
        assert row["validation_accuracy"] <= max(r["validation_accuracy"] for r in transfer["validation"]) + 1e-12
        assert 0 <= row["sentence_accuracy"] <= 1
    assert all(fold["hook"] in ("resid_post", "attn_v") for fold in results["in_domain_probe"]["folds"])
    assert len(results["in_domain_probe"]["folds"]) == results["n_folds"] == 3
    for name in ("prompt_logodds", "transfer_layer_choice", "probe_vs_prompting", "memory_scaling"):
        assert (tmp_path / f"{name}.html").exists(), name
