"""helpers.memory: parameter accounting (hand-computed configs, published sizes, the real
model), partial loading (tiny random models), and the fresh-process measurement."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from helpers import memory as M

TINY = {"model": "tiny", "n_layers": 3, "d_model": 4, "d_ff": 8, "n_heads": 2, "n_kv_heads": 1, "head_dim": 2,
        "vocab": 10, "tied": True}

# torch threads as the notebooks set them (tests/conftest.py), for the whole module
pytestmark = pytest.mark.usefixtures("one_torch_thread_when_busy")


def test_config_param_counts_by_hand():
    counts = M.config_param_counts(TINY)
    # q, o: 4 x 4 each; k, v: 4 x 2 each; MLP 3 x 4 x 8; two norms of 4
    assert counts["per_layer"] == 32 + 16 + 96 + 8 == 152
    assert counts["embedding"] == 40 and counts["lm_head"] == 0 and counts["final_norm"] == 4
    assert counts["total"] == 40 + 3 * 152 + 4 == 500
    assert M.config_param_counts({**TINY, "tied": False})["total"] == 540
    assert M.probe_params(counts, 0) == 192
    assert M.saving_fraction(counts, 0) == pytest.approx(1 - 192 / 500)
    assert M.saving_fraction(counts, 2) == pytest.approx(1 - 496 / 500)


@pytest.mark.parametrize("name, published", [
    ("SmolLM2-135M", 134.5e6), ("SmolLM2-360M", 361.8e6), ("SmolLM2-1.7B", 1.711e9), ("Llama-3.2-1B", 1.236e9),
    ("Llama-3.2-3B", 3.213e9), ("Llama-2-7B", 6.738e9), ("Llama-3.1-8B", 8.030e9), ("Llama-2-13B", 13.016e9),
    ("Llama-3.1-70B", 70.554e9), ("Llama-3.1-405B", 405.85e9),
])
def test_published_model_sizes(name, published):
    cfg = next(c for c in M.LLAMA_FAMILY_CONFIGS if c["model"] == name)
    assert M.config_param_counts(cfg)["total"] == pytest.approx(published, rel=0.005)


def test_layer_at_depth_and_scaling_table():
    assert M.layer_at_depth(30, 0.5) == 14 and M.layer_at_depth(18, 0.5) == 8 and M.layer_at_depth(16, 0.25) == 3
    assert M.layer_at_depth(4, 1.0) == 3 and M.layer_at_depth(4, 0.0) == 0
    table = {row["model"]: row for row in M.scaling_table()}
    assert table["SmolLM2-135M"]["embedding_share"] == pytest.approx(0.21, abs=0.01)
    # the saving grows with size within a family, and with a shallower probe
    assert table["SmolLM2-135M"]["saving_at_50"] < table["SmolLM2-1.7B"]["saving_at_50"]
    assert table["Llama-3.2-1B"]["saving_at_50"] < table["Llama-3.2-3B"]["saving_at_50"] < table["Llama-3.1-8B"]["saving_at_50"]
    # untied models at exactly half depth: the unembedding skipped is as large as the embedding kept
    for name in ("Llama-2-7B", "Llama-3.1-8B", "Llama-3.1-70B"):
        assert table[name]["saving_at_50"] == pytest.approx(0.5, abs=1e-3)
    # the paper's 57% needs a probe in the lower ~43% of an 8B model; SmolLM2-135M only with a probe in its first third
    assert 0.40 <= table["Llama-3.1-8B"]["depth_for_57"] <= 0.44
    assert table["SmolLM2-135M"]["depth_for_57"] <= 0.34
    assert M.deepest_probe_for_saving(M.config_param_counts(TINY), 3, 0.99) is None
    for row in table.values():
        assert row["saving_at_25"] > row["saving_at_50"] > row["saving_at_75"] > 0


def _tiny_llama(tied: bool):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=tied,
                         max_position_embeddings=64)
    return LlamaForCausalLM(config).eval()


@pytest.mark.parametrize("tied", [True, False])
def test_param_bytes_on_a_tiny_model(tied):
    model = _tiny_llama(tied)
    cfg = {"n_layers": 4, "d_model": 16, "d_ff": 32, "n_heads": 4, "n_kv_heads": 2, "vocab": 50, "tied": tied}
    counts = M.config_param_counts(cfg)
    assert M.param_bytes(model) == 4 * counts["total"]
    assert M.param_bytes(model, upto_layer=1, head=False) == 4 * M.probe_params(counts, 1)
    real = M.param_counts(model)
    assert real["total"] == counts["total"] and real["per_layer"] == counts["per_layer"] and real["n_layers"] == 4


def test_read_safetensors_matches_the_library(tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    tensors = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.randn(4, dtype=torch.bfloat16),
               "c": torch.tensor(3.5), "model.layers.7.w": torch.ones(2, 2)}
    save_file(tensors, tmp_path / "x.safetensors")
    mine = M.read_safetensors(tmp_path / "x.safetensors")
    ref = load_file(tmp_path / "x.safetensors")
    assert set(mine) == set(ref)
    for name in ref:
        assert mine[name].dtype == ref[name].dtype and torch.equal(mine[name], ref[name])
    kept = M.read_safetensors(tmp_path / "x.safetensors", keep=lambda n: "layers" not in n)
    assert set(kept) == {"a", "b", "c"}


@pytest.mark.parametrize("tied", [True, False])
def test_load_partial_truncates_exactly(tmp_path, tied):
    import torch

    model = _tiny_llama(tied)
    model.save_pretrained(tmp_path)
    ids = torch.tensor([[3, 7, 1, 9, 22, 5]])
    with torch.inference_mode():
        full = model(ids, output_hidden_states=True)
        whole = M.load_partial(tmp_path)
        assert torch.allclose(whole(ids).logits, full.logits, atol=1e-5)
        assert M.param_bytes(whole) == M.param_bytes(model)
        half = M.load_partial(tmp_path, n_layers=2, head=False)
        assert len(half.model.layers) == 2
        # hidden_states[2] is the residual stream after layer 1 (before the final norm)
        assert torch.allclose(half.model(input_ids=ids).last_hidden_state, full.hidden_states[2], atol=1e-5)
        assert M.param_bytes(half, head=False) == M.param_bytes(model, upto_layer=1, head=False)
    with pytest.raises(ValueError):
        M.load_partial(tmp_path, n_layers=9)


def test_param_bytes_of_the_real_model(smol):
    hf = smol.original_model
    cfg = next(c for c in M.LLAMA_FAMILY_CONFIGS if c["model"] == "SmolLM2-135M")
    counts = M.config_param_counts(cfg)
    assert M.param_counts(hf)["total"] == counts["total"]
    assert M.param_bytes(hf) == 4 * counts["total"]  # tied unembedding counted once
    assert M.param_bytes(hf, upto_layer=14, head=False) == 4 * M.probe_params(counts, 14)


SENTENCES = ["The soup was cold and the waiter rude.", "Best day ever!", "A calm, ordinary Tuesday.",
             "I loved every minute of the concert, even the rain."]


def test_measure_in_a_fresh_process(smol):
    """The child's outputs equal the in-process numbers, and a shallow probe really loads less."""
    from helpers import prompting as B
    from helpers.probes import Probe, readout

    rng = np.random.default_rng(0)
    width = smol.cfg.d_model
    coef = rng.normal(size=width).astype(np.float32)
    probe = Probe(axis="valence", kind="logreg", hook="resid_post", pooling="mean", layer=2,
                  mean=np.zeros(width), scale=np.ones(width), coef=coef, intercept=0.1,
                  direction=coef / np.linalg.norm(coef), projection_std=1.0)
    probe_run = M.measure("probe", "smollm2-135m", SENTENCES, probe=probe)
    expected = readout(smol, probe, SENTENCES, cache=False)
    assert np.array(probe_run["decision"]) == pytest.approx(expected, rel=1e-4, abs=1e-3)
    counts = M.param_counts(smol.original_model)
    assert probe_run["param_bytes"] == 4 * (counts["embedding"] + 3 * counts["per_layer"])

    # a probe on the value vectors: the child reads v_proj of its last layer, as the bridge's attn.hook_v
    kv_width = smol.cfg.n_key_value_heads * smol.cfg.d_head
    v_probe = Probe(axis="valence", kind="logreg", hook="attn_v", pooling="last", layer=3,
                    mean=np.zeros(kv_width), scale=np.ones(kv_width), coef=coef[:kv_width], intercept=0.0,
                    direction=coef[:kv_width] / np.linalg.norm(coef[:kv_width]), projection_std=1.0)
    v_run = M.measure("probe", "smollm2-135m", SENTENCES, probe=v_probe)
    assert np.array(v_run["decision"]) == pytest.approx(readout(smol, v_probe, SENTENCES, cache=False), rel=1e-4, abs=1e-3)
    assert v_run["param_bytes"] == 4 * (counts["embedding"] + 4 * counts["per_layer"])
    with pytest.raises(ValueError, match="retrain"):
        M.measure("probe", "smollm2-135m", SENTENCES, probe=dataclasses.replace(v_probe, hook="mlp_out"))

    prompt_run = M.measure("prompt", "smollm2-135m", SENTENCES[:2])
    lm = B.as_lm(smol)
    assert np.array(prompt_run["raw"]) == pytest.approx(B.prompt_logodds(lm, SENTENCES[:2]), abs=1e-3)
    assert prompt_run["param_bytes"] == M.param_bytes(smol.original_model)
    for run in (probe_run, prompt_run):
        assert run["peak_rss_mb"] >= run["rss_after_load_mb"] > run["rss_after_imports_mb"] > 0
        assert run["seconds_per_100"] > 0
    # loading only embedding + 3 layers must show in the process memory, not just in the accounting
    loaded_probe = probe_run["rss_after_load_mb"] - probe_run["rss_after_imports_mb"]
    loaded_prompt = prompt_run["rss_after_load_mb"] - prompt_run["rss_after_imports_mb"]
    gap_mb = (prompt_run["param_bytes"] - probe_run["param_bytes"]) / 2**20
    assert loaded_prompt - loaded_probe > 0.8 * gap_mb
    assert prompt_run["peak_rss_mb"] - probe_run["peak_rss_mb"] > 0.6 * gap_mb
