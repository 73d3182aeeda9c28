"""The nnsight backend on the real small models: same numbers as TransformerLens, clear errors."""
from __future__ import annotations

import time

import numpy as np
import pytest

import helpers.cache
from helpers import collect, load_model
from helpers.collect import POOLINGS, collect_many

PROMPTS = [
    "Bob feels happy today, so Bob",
    "Bob feels sad today, so Bob",
    "Alice does not feel sad at all after the long meeting with her manager, so Alice",
    "In her diary, Priya wrote that she was furious, and",
    "Mei",
]
WORDS = ["happy", "sad", "sad", "furious", "Mei"]
REMOTE_NAME = "meta-llama/Llama-3.1-8B"

# torch threads as the notebooks set them (tests/conftest.py): one when the 2-core machine is busy
pytestmark = pytest.mark.usefixtures("one_torch_thread_when_busy")


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(helpers.cache, "ACTIVATION_CACHE_DIR", tmp_path / "activations")
    return tmp_path / "activations"


@pytest.fixture(scope="module")
def pairs():
    """name -> (TransformerLens model, nnsight model), loaded once."""
    loaded = {}

    def get(name):
        if name not in loaded:
            loaded[name] = (load_model(name, device="cpu"), load_model(name, device="cpu", backend="nnsight"))
        return loaded[name]
    return get


@pytest.mark.parametrize("name", ["smollm2-135m", "gemma3-270m"])
@pytest.mark.parametrize("share_prefixes", [True, False])
def test_collect_equals_transformer_lens(pairs, name, share_prefixes):
    from helpers.nnsight_backend import supported_hooks

    tl, nn = pairs(name)
    assert nn.emo.backend == "nnsight" and not nn.emo.remote and tl.emo.backend == "transformer_lens"
    assert (nn.emo.weights_id, nn.emo.n_layers, nn.emo.d_model, nn.emo.prepend_bos) == \
        (tl.emo.weights_id, tl.emo.n_layers, tl.emo.d_model, tl.emo.prepend_bos)
    hooks = supported_hooks(nn)
    assert hooks == ["resid_post", "attn_v", "attn_out", "mlp_out"]  # every hook has a clean site on both
    specs = [(hook, pooling) for hook in hooks for pooling in POOLINGS]
    layers = [nn.emo.n_layers - 1, 0, 4]  # unsorted on purpose
    want = collect_many(tl, PROMPTS, specs, layers=layers, words=WORDS, cache=False, share_prefixes=share_prefixes,
                        batch_size=2)
    got = collect_many(nn, PROMPTS, specs, layers=layers, words=WORDS, cache=False, share_prefixes=share_prefixes,
                       batch_size=2)
    for spec in specs:
        assert got[spec].shape == want[spec].shape, spec
        np.testing.assert_allclose(got[spec], want[spec], atol=1e-4, rtol=0, err_msg=str(spec))


def test_public_signature_and_shared_cache(pairs, tmp_cache):
    tl, nn = pairs("smollm2-135m")
    X = collect(nn, PROMPTS[:2], hook="resid_post", pooling="last", layers=[3, 7])
    assert X.shape == (2, 2, 576) and X.dtype == np.float32
    # Same weights, same numbers: the cache key has no backend and TransformerLens reads the entry.
    assert any(tmp_cache.rglob("chunk_*.npy"))
    np.testing.assert_array_equal(collect(tl, PROMPTS[:2], hook="resid_post", pooling="last", layers=[3, 7]), X)


def test_remote_request_path_matches_local(pairs):
    """nnsight's remote="local" serialises the trace exactly as for NDIF and runs it here."""
    import dataclasses

    _, nn = pairs("smollm2-135m")
    local = collect(nn, PROMPTS, hook="attn_out", pooling="mean", layers=[2, 5], cache=False)
    simulated = dataclasses.replace(nn.emo, remote="local")
    nn.emo, before = simulated, nn.emo
    try:
        shipped = collect(nn, PROMPTS, hook="attn_out", pooling="mean", layers=[2, 5], cache=False)
    finally:
        nn.emo = before
    np.testing.assert_allclose(shipped, local, atol=1e-4, rtol=0)


def test_unsupported_hook_names_what_works(pairs, monkeypatch):
    from helpers.nnsight_backend import Sites

    _, nn = pairs("smollm2-135m")
    monkeypatch.setattr(nn, "_emo_sites", Sites(layers=nn._emo_sites.layers, modules={"resid_post": ""}))
    with pytest.raises(ValueError, match=r"'attn_v'.*hooks that work.*\['resid_post'\]"):
        collect(nn, PROMPTS, hook="attn_v", pooling="last", layers=[1], cache=False)


def test_sites_of_an_architecture_without_v_proj():
    """GPT-2 computes q, k, v in one matrix: no attn_v site, the rest maps."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from helpers.nnsight_backend import find_sites

    sites = find_sites(GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=50)))
    assert sites.layers == "transformer.h"
    assert sites.modules == {"resid_post": "", "attn_out": "attn", "mlp_out": "mlp"}


@pytest.fixture
def no_key(monkeypatch):
    from nnsight import CONFIG

    monkeypatch.delenv("NDIF_API_KEY", raising=False)
    monkeypatch.setattr(CONFIG.API, "APIKEY", None)


def test_remote_without_key_is_one_fast_value_error(no_key):
    start = time.monotonic()
    with pytest.raises(ValueError, match="NDIF_API_KEY"):
        load_model(REMOTE_NAME, backend="nnsight", remote=True)
    assert time.monotonic() - start < 10


def test_remote_without_network_is_one_fast_value_error(monkeypatch):
    from nnsight import CONFIG

    monkeypatch.setenv("NDIF_API_KEY", "not-a-real-key")
    monkeypatch.setattr(CONFIG.API, "HOST", "https://ndif.invalid")  # .invalid never resolves
    start = time.monotonic()
    with pytest.raises(ValueError, match="cannot reach"):
        load_model(REMOTE_NAME, backend="nnsight", remote=True)
    assert time.monotonic() - start < 15


def test_bad_backend_arguments(no_key):
    with pytest.raises(ValueError, match="backend must be one of"):
        load_model("smollm2-135m", backend="vllm")
    with pytest.raises(ValueError, match="backend='nnsight'"):
        load_model(REMOTE_NAME, remote=True)
    with pytest.raises(ValueError, match="hub name"):
        load_model("smollm2-135m", backend="nnsight", remote=True)


@pytest.mark.parametrize("study", ["comparison_study.ComparisonStudy", "steering_study.SteeringStudy",
                                   "persistence_study.PersistenceStudy"])
def test_notebooks_that_need_local_weights_refuse_remote_at_once(study):
    """Notebooks 04-06 call ``Study.require_local(remote)`` before loading: one ValueError, no network."""
    import importlib

    from helpers.models import NEEDS_LOCAL_WEIGHTS

    module, name = study.split(".")
    cls = getattr(importlib.import_module(f"helpers.{module}"), name)
    start = time.monotonic()
    cls.require_local(False)  # a local model: nothing to say
    with pytest.raises(ValueError, match=r"needs a local model: .*remote=False.*01, 02, 03, 07") as error:
        cls.require_local(True)
    assert time.monotonic() - start < 1
    assert sum(stem in str(error.value) for stem in NEEDS_LOCAL_WEIGHTS) == 1


# ------------------------------------------------------------------ steering, ablation, generation, probes
PROMPT = "I walked into the kitchen and"


@pytest.mark.parametrize("sampling", [{"temperature": 0}, {"seed": 0}], ids=["greedy", "seed0"])
def test_generate_and_steer_give_the_same_tokens(pairs, sampling):
    from helpers.steering import generate, random_unit, steer

    tl, nn = pairs("smollm2-135m")
    u = random_unit(tl.emo.d_model, 3)
    plain = [generate(m, PROMPT, max_new_tokens=10, **sampling) for m in (tl, nn)]
    assert plain[0] == plain[1]
    for positions in ("all", "prompt", "new"):
        steered = []
        for m in (tl, nn):
            with steer(m, u, layer=10, alpha=30.0, positions=positions) as handle:
                steered.append((generate(m, PROMPT, max_new_tokens=10, **sampling), handle.calls))
        assert steered[0] == steered[1], positions  # same text, same number of modified passes
        assert steered[0][0] != plain[0], positions  # the vector does change the continuation


def test_generate_many_rows_with_their_own_vectors(pairs):
    from helpers.steering import Job, generate_many, random_unit

    tl, nn = pairs("smollm2-135m")
    u = random_unit(tl.emo.d_model, 3)
    jobs = [Job(PROMPT, 0), Job(PROMPT, 0, {10: 30.0 * u}), Job("Bob feels", 1, {5: -20.0 * u, 12: 10.0 * u})]
    want = generate_many(tl, jobs, max_new_tokens=8, batch_size=3)
    assert generate_many(nn, jobs, max_new_tokens=8, batch_size=3) == want
    assert want[0] != want[1]


def test_token_readouts_and_next_token_probs(pairs):
    """Notebook 06's own forward passes (every token's resid_post; the next-token distribution,
    steered) give the same numbers on both backends."""
    from helpers.next_token import next_token_probs
    from helpers.steering import random_unit, steer
    from helpers.token_readouts import token_activations

    tl, nn = pairs("smollm2-135m")
    want, got = (token_activations(m, PROMPTS, [3, 17], batch_size=2) for m in (tl, nn))
    for a, b in zip(want, got):
        assert a["ids"] == b["ids"] and a["offsets"] == b["offsets"]
        np.testing.assert_allclose(b["acts"], a["acts"], atol=1e-4, rtol=0)
    u = random_unit(tl.emo.d_model, 3)
    probs = []
    for m in (tl, nn):
        with steer(m, u, layer=10, alpha=30.0):
            probs.append(next_token_probs(m, PROMPTS, batch_size=2))
    assert probs[0].shape == (len(PROMPTS), len(tl.tokenizer))
    np.testing.assert_allclose(probs[1], probs[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["smollm2-135m", "gemma3-270m"])
def test_ablate_and_steer_inside_collect(pairs, name):
    """Under ablate/steer, collect reads what flows on, as TransformerLens does (prefixes shared)."""
    from helpers.steering import ablate, random_unit, steer

    tl, nn = pairs(name)
    u = random_unit(tl.emo.d_model, 3)
    last = tl.emo.n_layers - 1
    specs = [("resid_post", "mean"), ("mlp_out", "last")]
    plain = collect(nn, PROMPTS, hook="resid_post", pooling="mean", layers=[3, last], cache=False)
    for blocks in (None, [2, 3]):  # all residual writes; a few blocks only (resid_mid = ln2's input)
        results = []
        for m in (tl, nn):
            with ablate(m, u, layers=blocks) as handle:
                results.append(collect_many(m, PROMPTS, specs, layers=[3, last], cache=False, batch_size=2))
            assert handle.calls > 0
        for spec in specs:
            np.testing.assert_allclose(results[1][spec], results[0][spec], atol=1e-4, rtol=0, err_msg=str((blocks, spec)))
        if blocks is None:  # the direction is gone from the residual stream, at every layer read
            X = results[1][("resid_post", "mean")]
            assert np.abs(X @ u).max() < 1e-5 * np.abs(plain @ u).max() + 1e-5 * np.linalg.norm(X, axis=-1).max()
            assert np.abs(plain @ u).max() > 1e-2
    results = []
    for m in (tl, nn):
        with steer(m, u, layer=3, alpha=30.0):
            results.append(collect(m, PROMPTS, hook="resid_post", pooling="last", layers=[3, 5], cache=False))
    np.testing.assert_allclose(results[1], results[0], atol=1e-4, rtol=0)
    assert np.abs(results[1] - collect(nn, PROMPTS, hook="resid_post", pooling="last", layers=[3, 5],
                                       cache=False)).max() > 1  # the steering really reached collect


def test_probes_readout_and_classify(pairs):
    from helpers.probes import Probe, classify, readout

    tl, nn = pairs("smollm2-135m")
    X = collect(tl, PROMPTS, hook="resid_post", pooling="last", layers=[6], cache=False)[:, 0]
    coef = np.random.default_rng(0).normal(size=X.shape[1]).astype(np.float32)
    mean, scale = X.mean(0), X.std(0) + 1e-3
    scores = ((X - mean) / scale) @ coef
    probe = Probe(axis="valence", kind="logreg", hook="resid_post", pooling="last", layer=6, mean=mean, scale=scale,
                  coef=coef, intercept=-float(np.median(scores)), direction=coef / np.linalg.norm(coef),
                  projection_std=1.0)
    want = readout(tl, probe, PROMPTS, cache=False)
    np.testing.assert_allclose(readout(nn, probe, PROMPTS, cache=False), want, atol=1e-3)
    assert classify(nn, probe, PROMPTS, cache=False).tolist() == classify(tl, probe, PROMPTS, cache=False).tolist()


def test_remote_model_generates_nothing_locally(pairs):
    import dataclasses

    from helpers.steering import generate, random_unit, steer

    _, nn = pairs("smollm2-135m")
    nn.emo, before = dataclasses.replace(nn.emo, remote=True), nn.emo
    try:
        with pytest.raises(ValueError, match="remote=False"):
            generate(nn, PROMPT, max_new_tokens=2)
        with pytest.raises(ValueError, match="remote=False"):
            with steer(nn, random_unit(nn.emo.d_model), layer=1):
                pass
    finally:
        nn.emo = before
