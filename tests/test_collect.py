"""collect() on the real SmolLM2 weights: exactness against Hugging Face, pooling, padding, cache."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import importlib

import helpers.cache
from helpers import collect
from helpers.collect import collect_many, encode_many

# `helpers.collect` is the function once `helpers` is imported; the module is needed for patching.
collect_module = importlib.import_module("helpers.collect")

PROMPTS = [
    "Bob feels happy today, so Bob",
    "Alice does not feel sad at all after the long meeting with her manager, so Alice",
    "Mei",
    "In her diary, Priya wrote that she was furious, and",
]
WORDS = ["happy", "sad", "Mei", "furious"]


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """A private activation cache, so tests neither read nor pollute the real one."""
    monkeypatch.setattr(helpers.cache, "ACTIVATION_CACHE_DIR", tmp_path / "activations")
    return tmp_path / "activations"


def hf_hidden_states(model, prompt):
    ids = torch.tensor([encode_many(model, [prompt])[0].ids])
    with torch.inference_mode():
        out = model.original_model(ids, output_hidden_states=True)
    return [h[0].numpy() for h in out.hidden_states]


def word_positions_by_decoding(model, prompt, word):
    """Token positions of `word`, from the decoded text of each token (independent of offsets)."""
    ids = encode_many(model, [prompt])[0].ids
    start = prompt.find(word)
    end = start + len(word)
    positions, cursor = [], 0
    for j, token_id in enumerate(ids):
        piece = model.tokenizer.decode([token_id])
        if cursor < end and cursor + len(piece) > start:
            positions.append(j)
        cursor += len(piece)
    assert cursor == len(prompt)
    return positions


def hooked_activations(model, prompt, hook_name):
    ids = torch.tensor([encode_many(model, [prompt])[0].ids])
    with torch.inference_mode():
        _, cache = model.run_with_cache(ids, names_filter=lambda name: name == hook_name)
    act = cache[hook_name][0]
    return act.reshape(act.shape[0], -1).numpy()


def test_resid_post_matches_hugging_face_hidden_states(smol, tmp_cache):
    X = collect(smol, PROMPTS, hook="resid_post", pooling="last", cache=False)
    n_layers = smol.cfg.n_layers
    assert X.shape == (len(PROMPTS), n_layers, smol.cfg.d_model) and X.dtype == np.float32
    for i, prompt in enumerate(PROMPTS):
        hidden = hf_hidden_states(smol, prompt)
        for layer in range(n_layers - 1):
            np.testing.assert_allclose(X[i, layer], hidden[layer + 1][-1], atol=1e-4, rtol=1e-4,
                                       err_msg=f"prompt {i} layer {layer}")
        # Hugging Face's last hidden state is after the final norm: compare through it.
        with torch.inference_mode():
            normed = smol.original_model.model.norm(torch.from_numpy(X[i, -1])).numpy()
        np.testing.assert_allclose(normed, hidden[-1][-1], atol=1e-4, rtol=1e-4)


def test_padding_invariance(smol, tmp_cache):
    alone = np.stack([collect(smol, [p], cache=False, pooling=pooling)[0]
                      for p in PROMPTS for pooling in ("last", "mean", "max")])
    together = np.stack([collect(smol, PROMPTS, cache=False, pooling=pooling, batch_size=4)[i]
                         for i in range(len(PROMPTS)) for pooling in ("last", "mean", "max")])
    np.testing.assert_allclose(alone, together, atol=1e-4, rtol=1e-4)


HOOK_NAMES = {"resid_post": "blocks.{l}.hook_resid_post", "attn_v": "blocks.{l}.attn.hook_v",
              "attn_out": "blocks.{l}.hook_attn_out", "mlp_out": "blocks.{l}.hook_mlp_out"}


@pytest.mark.parametrize("hook, tl_name", list(HOOK_NAMES.items()))
def test_every_pooling_against_hand_computation(smol, tmp_cache, hook, tl_name):
    layers = [0, 7, 15]
    out = collect_many(smol, PROMPTS, [(hook, p) for p in ("last", "mean", "max", "word")],
                       layers=layers, words=WORDS, cache=False)
    for i, prompt in enumerate(PROMPTS):
        word_positions = word_positions_by_decoding(smol, prompt, WORDS[i])
        for slot, layer in enumerate(layers):
            act = hooked_activations(smol, prompt, tl_name.format(l=layer))  # SmolLM2: no BOS to exclude
            np.testing.assert_allclose(out[(hook, "last")][i, slot], act[-1], atol=1e-4, rtol=1e-4)
            np.testing.assert_allclose(out[(hook, "mean")][i, slot], act.mean(0), atol=1e-4, rtol=1e-4)
            np.testing.assert_allclose(out[(hook, "max")][i, slot], act.max(0), atol=1e-4, rtol=1e-4)
            np.testing.assert_allclose(out[(hook, "word")][i, slot], act[word_positions].mean(0), atol=1e-4, rtol=1e-4)
    if hook == "attn_v":  # value vectors of all KV heads, concatenated
        assert out[(hook, "last")].shape[-1] == smol.cfg.n_key_value_heads * smol.cfg.d_head


# Templated prompts: several share long token prefixes, with words of different token lengths
# after them, plus one prompt with nothing to share.
TEMPLATED = [f"After the long meeting with her manager, {name} was {adj}, so {name}"
             for name in ("Bob", "Alice") for adj in ("happy", "unflappable", "sad")]
TEMPLATED += ["In her diary, Priya wrote that she was furious, and", "Mei"]
TEMPLATED_WORDS = ["happy", "unflappable", "sad"] * 2 + ["furious", "Mei"]


def test_templated_prompts_share_their_prefixes(smol):
    real, computed = collect_module.tokens_computed(smol, TEMPLATED)
    assert computed < 0.65 * real  # the shared part ran once per name, not once per prompt
    assert collect_module.tokens_computed(smol, ["Bob is here"]) == (3, 3)


NESTED = ["Bob is extremely happy." + " The train leaves from platform four." * n + tail
          for n in (0, 1, 2, 4) for tail in ("", " Therefore Bob")]


def test_nested_prefixes_cost_one_pass_over_the_longest(smol, tmp_cache):
    """A prompt followed by ever longer fillers: the model runs the longest once, not every length."""
    real, computed = collect_module.tokens_computed(smol, NESTED)
    longest = max(len(e.ids) for e in collect_module.encode_many(smol, NESTED))
    assert computed <= longest + 3 * len(NESTED) < 0.5 * real
    # last-token and word poolings read the rests alone (no prefix activations kept)
    spans = [(len(text) - 3, len(text)) for text in NESTED]
    for kwargs in ({}, {"pooling": "word", "words": spans}):
        shared = collect(smol, NESTED, layers=[0, 5, 29], cache=False, batch_size=3, **kwargs)
        whole = collect(smol, NESTED, layers=[0, 5, 29], cache=False, share_prefixes=False, **kwargs)
        scale = max(1.0, float(np.abs(whole).max()))
        np.testing.assert_allclose(shared / scale, whole / scale, atol=2e-5)


@pytest.mark.parametrize("model_name", ["smollm2-135m", "gemma3-270m"])
def test_shared_prefixes_give_the_same_numbers_as_whole_prompts(smol, tmp_cache, model_name):
    """Every hook and pooling, with prefix batches and rest batches split by a small batch size,
    against a hand computation on each prompt run whole (Gemma: BOS, sliding-window cache)."""
    from helpers import load_model

    model = smol if model_name == "smollm2-135m" else load_model(model_name, device="cpu")
    layers = [0, 4, 9]
    specs = [(hook, pooling) for hook in HOOK_NAMES for pooling in ("last", "mean", "max", "word")]
    shared = collect_many(model, TEMPLATED, specs, layers=layers, words=TEMPLATED_WORDS, cache=False, batch_size=2)
    first = model.emo.prepend_bos * 1  # BOS excluded from mean / max
    for i, prompt in enumerate(TEMPLATED):
        positions = word_positions_by_decoding(model, prompt, TEMPLATED_WORDS[i]) if not first else None
        for hook, tl_name in HOOK_NAMES.items():
            for slot, layer in enumerate(layers):
                act = hooked_activations(model, prompt, tl_name.format(l=layer))
                scale = max(1.0, float(np.abs(act).max()))  # Gemma's residual stream runs in the hundreds
                check = lambda got, want: np.testing.assert_allclose(got / scale, want / scale, atol=2e-5)  # noqa: E731
                check(shared[(hook, "last")][i, slot], act[-1])
                check(shared[(hook, "mean")][i, slot], act[first:].mean(0))
                check(shared[(hook, "max")][i, slot], act[first:].max(0))
                if positions is not None:
                    check(shared[(hook, "word")][i, slot], act[positions].mean(0))
    whole = collect_many(model, TEMPLATED, specs, layers=layers, words=TEMPLATED_WORDS, cache=False,
                         share_prefixes=False)
    for spec in specs:
        scale = max(1.0, float(np.abs(whole[spec]).max()))
        np.testing.assert_allclose(shared[spec] / scale, whole[spec] / scale, atol=2e-5)


def test_word_tokens_come_from_offsets(smol):
    encoded = encode_many(smol, ["Kwame felt unflappable, so he"], ["unflappable"])[0]
    pieces = smol.tokenizer.convert_ids_to_tokens([encoded.ids[j] for j in encoded.word_tokens])
    assert len(pieces) > 1  # a multi-token word, found whole
    assert "".join(pieces).replace("Ġ", "") == "unflappable"


def test_layer_subset_equals_slice_of_all_layers(smol, tmp_cache):
    full = collect(smol, PROMPTS[:2], cache=False)
    part = collect(smol, PROMPTS[:2], layers=[12, 3], cache=False)
    np.testing.assert_allclose(part, full[:, [12, 3]], atol=1e-5)


def test_forward_is_whole_again_after_an_early_stop(smol, tmp_cache):
    ids = torch.tensor([encode_many(smol, [PROMPTS[0]])[0].ids])
    with torch.inference_mode():
        before = smol(ids).clone()
        collect(smol, PROMPTS, layers=[2], cache=False)
        after = smol(ids)
    torch.testing.assert_close(before, after)


def test_cache_hit_returns_identical_arrays(smol, tmp_cache):
    first = collect(smol, PROMPTS, layers=[1, 2])
    assert any(tmp_cache.rglob("chunk_*.npy"))
    calls = []
    original = collect_module._run_chunk
    try:
        collect_module._run_chunk = lambda *a, **k: calls.append(1) or original(*a, **k)
        second = collect(smol, PROMPTS, layers=[1, 2])
    finally:
        collect_module._run_chunk = original
    assert calls == []  # nothing recomputed
    assert np.array_equal(first, second)


def test_changed_input_never_reads_a_stale_cache(smol, tmp_cache):
    a = collect(smol, PROMPTS[:2], layers=[4])
    b = collect(smol, [PROMPTS[0], PROMPTS[2]], layers=[4])
    assert not np.allclose(a[1], b[1])
    c = collect(smol, PROMPTS[:2], layers=[4], pooling="mean")
    assert not np.allclose(a, c)


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete_checksum"])
def test_corrupt_chunk_is_recomputed(smol, tmp_cache, damage):
    first = collect(smol, PROMPTS, layers=[5])
    chunk = next(tmp_cache.rglob("chunk_*.npy"))
    raw = bytearray(chunk.read_bytes())
    if damage == "flip":
        raw[-7] ^= 0xFF
        chunk.write_bytes(bytes(raw))
    elif damage == "truncate":
        chunk.write_bytes(bytes(raw[: len(raw) // 2]))
    else:
        chunk.with_suffix(".sha256").unlink()
    calls = []
    original = collect_module._run_chunk
    try:
        collect_module._run_chunk = lambda *a, **k: calls.append(1) or original(*a, **k)
        again = collect(smol, PROMPTS, layers=[5])
    finally:
        collect_module._run_chunk = original
    assert calls, "a damaged chunk must be recomputed"
    assert np.array_equal(first, again)


def test_interrupted_run_resumes_from_finished_chunks(smol, tmp_cache, monkeypatch):
    monkeypatch.setattr(collect_module, "CHUNK_PROMPTS", 2)
    prompts = PROMPTS * 2  # 8 prompts = 4 chunks
    original = collect_module._run_chunk
    calls = []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated interruption")
        return original(*args, **kwargs)

    monkeypatch.setattr(collect_module, "_run_chunk", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        collect(smol, prompts, layers=[3])
    assert len(list(tmp_cache.rglob("chunk_*.sha256"))) == 2  # two chunks survived
    calls.clear()
    monkeypatch.setattr(collect_module, "_run_chunk", lambda *a, **k: calls.append(1) or original(*a, **k))
    resumed = collect(smol, prompts, layers=[3])
    assert len(calls) == 2  # only the missing chunks ran
    np.testing.assert_allclose(resumed, collect(smol, prompts, layers=[3], cache=False), atol=1e-5)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"prompts": []}, "empty"),
    ({"prompts": "Bob feels happy"}, "list of strings"),
    ({"prompts": ["ok", ""]}, "prompts[1]"),
    ({"hook": "resid_pre"}, "Unknown hook"),
    ({"pooling": "median"}, "Unknown pooling"),
    ({"layers": [30]}, "out of range"),
    ({"layers": [-1]}, "out of range"),
    ({"layers": ["3"]}, "not an integer"),
    ({"layers": "3"}, "layers must be"),
    ({"pooling": "word"}, "needs words"),
    ({"pooling": "word", "words": ["sad"]}, "words[0]"),
    ({"words": ["a", "b"]}, "one word per prompt"),
    ({"batch_size": 0}, "batch_size"),
])
def test_bad_input_gets_a_clear_error(smol, kwargs, fragment):
    args = {"prompts": ["Bob feels happy, so Bob"], **kwargs}
    with pytest.raises(ValueError, match=None) as error:
        collect(smol, args.pop("prompts"), cache=False, **args)
    assert fragment in str(error.value)


def test_collect_rejects_a_model_not_from_load_model():
    with pytest.raises(ValueError, match="load_model"):
        collect(object(), ["Bob feels happy"])
