"""The papermill runner (make run / make sweep) and the notebook conventions."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from helpers import runner

ROOT = Path(__file__).resolve().parent.parent


def make_notebook(path: Path, body: str, params: str = "model_name = 'x'\noutput_dir = 'out'\nvalue = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def tiny_suite(tmp_path, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    body = ("import json, pathlib\np = pathlib.Path(output_dir); p.mkdir(parents=True, exist_ok=True)\n"
            "(p / 'results.json').write_text(json.dumps({'value': value}))")
    make_notebook(folder / "01_first.ipynb", body)
    make_notebook(folder / "02_second.ipynb", body)
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", folder)
    return folder


def test_run_executes_then_skips_unchanged_then_reruns_on_change(tiny_suite, tmp_path):
    run_dir = tmp_path / "runs"
    first = runner.run_suite("x", {"value": 1}, run_dir=run_dir)
    assert [t["status"] for t in first["timings"]] == ["executed", "executed"]
    assert json.loads((run_dir / "01_first" / "results.json").read_text()) == {"value": 1}
    assert (run_dir / "01_first" / "01_first.html").exists()
    assert (run_dir / "summary.md").exists() and (run_dir / "summary.json").exists()
    second = runner.run_suite("x", {"value": 1}, run_dir=run_dir)
    assert [t["status"] for t in second["timings"]] == ["skipped (unchanged)"] * 2
    third = runner.run_suite("x", {"value": 2}, run_dir=run_dir)
    assert [t["status"] for t in third["timings"]] == ["executed", "executed"]


def test_remote_run_skips_or_refuses_the_notebooks_that_need_local_weights(tiny_suite, tmp_path):
    """remote=True: 04-06 (helpers.models.NEEDS_LOCAL_WEIGHTS) are skipped, or refused up front when asked for."""
    make_notebook(tiny_suite / "04_probe_vs_prompting.ipynb", "raise RuntimeError('must not run remotely')")
    run_dir = tmp_path / "runs"
    summary = runner.run_suite("x", {"remote": True}, run_dir=run_dir)
    assert {t["notebook"]: t["status"] for t in summary["timings"]} == {
        "01_first": "executed", "02_second": "executed", "04_probe_vs_prompting": "skipped (remote: needs local weights)"}
    with pytest.raises(runner.NotebookFailed, match="needs a local model.*remote=False"):
        runner.run_suite("x", {"remote": True}, run_dir=tmp_path / "other", only=["01", "04"])
    assert not (tmp_path / "other" / "01_first").exists()  # refused before anything ran


def test_failed_notebook_stops_the_run_naming_the_cell(tiny_suite, tmp_path):
    make_notebook(tiny_suite / "01_first.ipynb", "raise RuntimeError('boom in the data')")
    run_dir = tmp_path / "runs"
    with pytest.raises(runner.NotebookFailed) as error:
        runner.run_suite("x", {}, run_dir=run_dir)
    message = str(error.value)
    assert "01_first.ipynb" in message and "cell" in message and "boom in the data" in message
    assert (run_dir / "01_first" / "01_first.ipynb").exists()  # partial output kept
    assert not (run_dir / "02_second").exists()                # the run stopped


def test_run_label_of_paths_and_names():
    assert runner.run_label("smollm2-135m") == "smollm2-135m"
    assert runner.run_label("/models/My Model/") == "My_Model"
    assert runner.run_label("x/y/model.gguf") == "model.gguf"


def test_sweep_table_averages_seeds_per_model_and_split():
    import pandas as pd

    from helpers.runner import sweep_table

    frame = pd.DataFrame([
        {"model": "a", "seed": 0, "axis": "valence", "split": "E1", "accuracy": 0.9},
        {"model": "a", "seed": 1, "axis": "valence", "split": "E1", "accuracy": 0.7},
        {"model": "b", "seed": 0, "axis": "valence", "split": "E1", "accuracy": 0.6},
        {"model": "a", "seed": 0, "axis": "valence", "split": "emergence:resid_post", "accuracy": None, "layer": 3},
    ])
    table = sweep_table(frame)
    assert table[["model", "split"]].values.tolist() == [["a", "E1"], ["b", "E1"]]
    row = table.iloc[0]
    assert (round(row["mean"], 6), row["min"], row["max"], row["n_seeds"]) == (0.8, 0.7, 0.9, 2)


def test_summary_reports_both_probe_margins(tmp_path):
    (tmp_path / "04_probe_vs_prompting").mkdir()
    (tmp_path / "04_probe_vs_prompting" / "results.json").write_text(json.dumps({
        "methods": {"zero_shot": {"accuracy": 0.6}, "probe_transfer": {"accuracy": 0.9}},
        "probe_minus_best_prompting": 25.0, "probe_transfer_minus_best_prompting": 30.0,
        "transfer_probe": {"layer": 15, "hook": "attn_v", "pooling": "mean", "C": 0.01}}))
    summary = runner.summarise(tmp_path, "toy")
    assert summary["probe_transfer_minus_best_prompting"] == 30.0
    assert summary["transfer_probe"] == {"layer": 15, "hook": "attn_v", "pooling": "mean"}
    runner.write_summary(tmp_path, summary)
    text = (tmp_path / "summary.md").read_text()
    assert "| in-domain probe minus best prompting (points) | 25.000 |" in text
    assert "| transfer probe minus best prompting (points), layer 15 (attn_v, mean) | 30.000 |" in text
    assert "| steering: Spearman rho(alpha, VADER), layer n/a (None) | n/a |" in text  # missing notebook: n/a


def test_summary_shows_probe_intervals_where_notebook_03_gave_them(tmp_path):
    (tmp_path / "03_layer_probing").mkdir()
    (tmp_path / "03_layer_probing" / "results.json").write_text(json.dumps({"best": {"valence": {
        "layer": 15, "hook": "attn_v", "pooling": "mean", "accuracy": {"E1": 0.9375, "E2": 0.96},
        "accuracy_ci": {"E1": [0.875, 0.9875]}}},
        "wide_heldout": {"valence": [
            {"split": "E1_wide", "rows": "all", "n": 100, "n_words": 50, "n_patterns": 1, "accuracy": 0.95,
             "ci_low": 0.9, "ci_high": 0.99},
            {"split": "E1_wide", "rows": "negated", "n": 50, "n_words": 50, "n_patterns": 1, "accuracy": 0.9,
             "ci_low": 0.8, "ci_high": 0.99}]}}))
    runner.write_summary(tmp_path, runner.summarise(tmp_path, "toy"))
    text = (tmp_path / "summary.md").read_text()
    assert "| valence probe accuracy E1, layer 15 (attn_v, mean) | 0.938 [0.875, 0.988] |" in text
    assert "| valence probe accuracy E2, layer 15 (attn_v, mean) | 0.960 |" in text
    assert "| valence probe accuracy E1_wide (50 words, 1 patterns) | 0.950 [0.900, 0.990] |" in text
    assert "arousal probe accuracy E1_wide" not in text


def test_summary_reports_means_over_split_seeds(tmp_path):
    (tmp_path / "03_layer_probing").mkdir()
    (tmp_path / "03_layer_probing" / "results.json").write_text(json.dumps({"seeds": [0, 1, 2], "best": {"valence": {
        "layer": 15, "hook": "attn_v", "pooling": "mean", "accuracy": {"E1": 0.93}, "accuracy_ci": {"E1": [0.85, 0.99]},
        "accuracy_range": {"E1": [0.9, 0.96]}, "accuracy_seeds": {"E1": [0.9, 0.93, 0.96]}}},
        "wide_heldout": {"valence": [{"split": "E4_wide", "rows": "all", "n": 9000.0, "n_words": 190.0,
                                      "n_patterns": 24.0, "accuracy": 0.9, "ci_low": 0.85, "ci_high": 0.94, "min": 0.88,
                                      "max": 0.92, "seeds": [0.88, 0.9, 0.92]}]},
        "alternatives": {"valence (best resid_post)": {"layer": 16, "hook": "resid_post", "pooling": "mean",
                                                       "accuracy": {"E1": 0.95, "E4": 0.9},
                                                       "accuracy_range": {"E1": [0.93, 0.97], "E4": [0.8, 0.95]}}}}))
    summary = runner.summarise(tmp_path, "toy")
    runner.write_summary(tmp_path, summary)
    text = (tmp_path / "summary.md").read_text()
    assert summary["valence_probe"]["n_seeds"] == 3 and summary["valence_probe"]["accuracy_seeds"]["E1"][0] == 0.9
    assert summary["valence_probe"]["seeds"] == [0, 1, 2]
    assert summary["valence_probe"]["E1"] == {"mean": 0.93, "min": 0.9, "max": 0.96}
    assert ("| valence probe accuracy E1, layer 15 (attn_v, mean), mean of 3 split seeds | 0.930 [0.850, 0.990], "
            "seeds 0.900-0.960 |") in text
    assert ("| valence probe accuracy E4_wide (190 words, 24 patterns), mean of 3 split seeds | 0.900 [0.850, 0.940], "
            "seeds 0.880-0.920 |") in text
    assert "| valence (best resid_post): layer 16 (mean) accuracy E4, mean over seeds | 0.900, seeds 0.800-0.950 |" in text


def test_summary_names_its_folder_relative_to_the_repository(tmp_path):
    inside = ROOT / "runs" / "toy-model"
    assert runner.relative_to_root(inside) == "runs/toy-model"
    assert runner.relative_to_root(tmp_path) == str(tmp_path)  # outside the repository: as given


def test_sweep_overrides_reach_only_the_notebooks_that_have_them():
    overrides = {"hooks": ["resid_post"], "wide_patterns": 0}
    assert runner.notebook_overrides("02_pca_emergence", overrides) == {"hooks": ["resid_post"]}
    assert runner.notebook_overrides("03_layer_probing", overrides) == overrides
    assert runner.notebook_overrides("99_unknown", overrides) == overrides


def test_summary_shows_the_probes_against_human_ratings(tmp_path):
    (tmp_path / "03_layer_probing").mkdir()
    (tmp_path / "03_layer_probing" / "results.json").write_text(json.dumps({
        "human_readout": {"valence": {"spearman": 0.74, "ci": [0.65, 0.8], "n_words": 129, "n_unrated": 75},
                          "arousal": {"spearman": 0.75, "ci": [0.6, 0.84], "n_words": 72, "n_unrated": 40}},
        "arousal_human_labels": {"agreement": 1.0, "kappa": 1.0, "n_words": 52, "n_prompt_words": 20,
                                 "coverage": {"n_words": 128, "n_rated": 80, "n_high": 26, "n_low": 26},
                                 "seeds": [0, 1], "accuracy": {"E1": 0.7}, "accuracy_ci": {"E1": [0.4, 0.9]},
                                 "accuracy_range": {"E1": [0.6, 0.8]}, "accuracy_affirmative_only": {"E1": 0.8},
                                 "hand_labels_same_words": {"accuracy": {"E1": 0.65}}}}))
    summary = runner.summarise(tmp_path, "toy")
    runner.write_summary(tmp_path, summary)
    text = (tmp_path / "summary.md").read_text()
    assert summary["human_readout"]["arousal"] == {"spearman": 0.75, "ci": [0.6, 0.84], "n_words": 72}
    assert summary["arousal_human_labels"]["hand_labels_same_words"] == {"E1": 0.65}
    assert ("| arousal probe read-out vs human arousal (Warriner; Spearman, 72 unseen words, first split seed) | "
            "0.750 [0.600, 0.840] |") in text
    assert ("| arousal labels: hand vs human top/bottom third agree (52 words of 80 rated, 128 in the set; kappa "
            "1.000) | 1.000 |") in text
    assert ("| arousal probe accuracy E1, human-thirds labels (20 words), mean of 2 split seeds; hand labels on the "
            "same prompts | 0.700 [0.400, 0.900], seeds 0.600-0.800; 0.650 |") in text
    assert "| arousal probe accuracy E1, human-thirds labels, affirmative templates only, mean of 2 split seeds | 0.800 |" in text
    (tmp_path / "03_layer_probing" / "results.json").write_text(json.dumps({}))  # an older run: n/a, no label rows
    summary = runner.summarise(tmp_path, "toy")
    runner.write_summary(tmp_path, summary)
    text = (tmp_path / "summary.md").read_text()
    assert summary["human_readout"] == {} and summary["arousal_human_labels"] is None
    assert "| valence probe read-out vs human valence (Warriner; Spearman, n/a unseen words, first split seed) | n/a |" in text
    assert "human-thirds" not in text
