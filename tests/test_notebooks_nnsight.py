"""Every notebook in its quick preset under papermill on the nnsight backend (local SmolLM2).

The nnsight runs share an activation cache of their own (``EMO_PROBES_ACTIVATION_CACHE``), empty
when the module starts: the usual cache is shared by both backends, so with it the nnsight runs
would read what TransformerLens wrote and never trace. (Within the module, 03 reads what 02
wrote, as in ``make run``: still nnsight's.) Each test checks that ``results.json`` records
``backend="nnsight"``, that the run wrote activations, and a few numbers; notebook 07 also runs
on TransformerLens (another fresh cache) and the two agree. Notebook 04 with ``remote=True``
stops in its set-up cell with one ValueError, before any model or network. Wall times:
docs/larger_models.md.
"""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

pytestmark = [pytest.mark.notebook, pytest.mark.nnsight]


@pytest.fixture(scope="module")
def nnsight_activations(tmp_path_factory):
    return tmp_path_factory.mktemp("activations_nnsight")


@pytest.fixture
def run(notebook_runner, tmp_path, monkeypatch, nnsight_activations):
    """Execute a notebook in its quick preset on ``backend`` (default nnsight); return the
    results of ``results_file`` and how many activation chunks the run wrote."""

    def execute(name: str, backend: str = "nnsight", results_file: str = "results.json", **params):
        out = tmp_path / backend
        cache = nnsight_activations if backend == "nnsight" else tmp_path / f"activations_{backend}"
        monkeypatch.setenv("EMO_PROBES_ACTIVATION_CACHE", str(cache))  # the kernel inherits it
        before = len(list(cache.rglob("chunk_*.npy")))
        start = time.perf_counter()
        notebook_runner(name, {"preset": "quick", "backend": backend, **params}, out)
        print(f"{name} on {backend}, quick: {time.perf_counter() - start:.0f} s")
        return json.loads((out / results_file).read_text()), len(list(cache.rglob("chunk_*.npy"))) - before
    return execute


def ran_on_nnsight(results: dict, written: int) -> None:
    assert results["model"] == "smollm2-135m"
    assert (results["backend"], results["remote"]) == ("nnsight", False)
    assert written > 0  # activations computed in this run, by the nnsight model


def test_01_dataset(run):
    """No model runs here (a tokenizer only): the notebook takes the knob and ignores it."""
    summary, written = run("01_dataset.ipynb", results_file="summary.json")
    assert summary["prompt_tokens"]["n_counted"] == 3000 and summary["vader_sign_agreement"] == 1.0
    assert written == 0


def test_02_pca_emergence(run):
    results, written = run("02_pca_emergence.ipynb")
    ran_on_nnsight(results, written)
    assert results["layers"] == [0, 6, 12, 18, 24] and set(results["emergence_layer"]) == {"resid_post", "attn_v"}
    assert all(0.5 <= row["pc1_auc"] <= 1 for row in results["per_layer"])
    first = [r["pc1_auc"] for r in results["per_layer"] if r["layer"] == 0 and r["hook"] == "resid_post"]
    assert max(r["best_pc_auc"] for r in results["per_layer"] if r["layer"] > 0) > max(first)
    geometry = results["emotion_geometry"]
    assert max(geometry["pc1_valence_r"], geometry["raw"]["plane_valence_R"]) > 0.5


def test_03_layer_probing(run):
    results, written = run("03_layer_probing.ipynb")
    ran_on_nnsight(results, written)
    best = results["best"]
    assert best["valence"]["accuracy"]["E3"] > 0.8  # as on TransformerLens (tests/test_nb03_probing.py)
    assert all(0 <= a <= 1 for axis in best.values() for a in axis["accuracy"].values())


def test_04_probe_vs_prompting(run):
    """Prompting and generation run through the nnsight model's Hugging Face module; the notebook
    itself checks them against a fresh process that loads the weights alone (to 1e-3)."""
    results, written = run("04_probe_vs_prompting.ipynb")
    ran_on_nnsight(results, written)
    methods = results["methods"]
    assert all(0 <= m["ci_low"] <= m["accuracy"] <= m["ci_high"] <= 1 for m in methods.values())
    assert methods["probe_in_domain"]["accuracy"] > 0.6
    assert all(0 <= results["parse_rate"][v]["parse_rate"] <= 1 for v in ("zero_shot", "few_shot"))
    assert 0 < results["memory_saving_fraction"] < 1


def test_05_steering(run):
    results, written = run("05_steering.ipynb")
    ran_on_nnsight(results, written)
    valence = results["valence"]
    assert len(valence["alphas"]) == 3 and all(-1 <= v <= 1 for v in valence["mean_vader"])
    conditions = results["ablation"]["conditions"]  # steer / ablate hooks on the nnsight model
    assert conditions["valence direction"]["projection_std_on_direction"] < \
        0.01 * conditions["none"]["projection_std_on_direction"]


def test_06_persistence(run, tmp_path):
    results, written = run("06_persistence.ipynb", steering_results=str(tmp_path / "absent.json"))
    ran_on_nnsight(results, written)
    for axis in ("valence", "arousal"):
        assert 0 <= results["persistence"][axis]["0"] <= 1 and 0 <= results["persistence"][axis]["64"] <= 1
        control = results["next_token_control"][axis]
        assert -1 <= control["spearman"] <= 1 and control["selectivity"] >= 0
    assert results["persistence"]["valence"]["0"] >= 0.75  # k = 0: the emotion word was just read


def test_07_replication_equals_transformer_lens(run):
    nn, written = run("07_emo_llm_replication.ipynb")
    ran_on_nnsight(nn, written)
    tl, _ = run("07_emo_llm_replication.ipynb", backend="transformer_lens")
    assert tl["backend"] == "transformer_lens"
    # activations agree to 1e-4 (tests/test_nnsight_backend.py), so do the probes' accuracies
    key = ("axis", "hook", "pooling", "split", "layer")
    want = {tuple(r[k] for k in key): r for r in tl["curves"]}
    assert len(want) == len(nn["curves"]) > 0
    for row in nn["curves"]:
        other = want[tuple(row[k] for k in key)]
        for split in ("validation", "test"):
            assert row[split] == pytest.approx(other[split], abs=1.01 / row["n_test"]), row  # one test prompt
    for name, split in nn["emo_llm_replication"].items():
        np.testing.assert_allclose(list(split.values()), list(tl["emo_llm_replication"][name].values()), atol=0.01)


def test_04_remote_stops_before_loading(notebook_runner, tmp_path, monkeypatch):
    """Prompting needs local weights: ``remote=True`` is one ValueError in the set-up cell, before
    ``load_model`` checks a key or asks the hub or NDIF for anything."""
    import nbformat
    import papermill as pm

    monkeypatch.setenv("NDIF_API_KEY", "not-a-real-key")  # past the key check, load_model would go to the network
    start = time.perf_counter()
    with pytest.raises(pm.PapermillExecutionError) as error:
        notebook_runner("04_probe_vs_prompting.ipynb", {"preset": "quick", "backend": "nnsight", "remote": True,
                                                         "model_name": "meta-llama/Llama-3.1-8B"}, tmp_path)
    seconds = time.perf_counter() - start
    assert error.value.ename == "ValueError"
    assert "needs a local model" in error.value.evalue and "remote=False" in error.value.evalue
    cells = nbformat.read(str(tmp_path / "04_probe_vs_prompting.ipynb"), as_version=4).cells
    failed = next(i for i, c in enumerate(cells) if any(o.get("output_type") == "error" for o in c.get("outputs", [])))
    assert "ComparisonStudy.require_local(remote)" in cells[failed].source
    assert "load_model(" not in "".join(c.source for c in cells[:failed + 1])
    assert seconds < 60, seconds  # a kernel start and the imports; no model, no network
    print(f"04 with remote=True stopped after {seconds:.1f} s")
