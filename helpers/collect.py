"""Collect pooled activations for every layer, fast, with a resumable disk cache.

    >>> X = collect(model, ["Bob feels happy, so Bob"], hook="resid_post", pooling="last")
    >>> X.shape        # [prompts, layers, width]
    (1, 30, 576)

Hooks are TransformerLens hook points of the bridge (a thin map, below). The forward pass
stops right after the last requested layer, so neither the final norm nor the unembedding
is ever computed, and pooling happens inside the hook so only pooled vectors are kept.
A token prefix shared by several prompts (a template's words before the adjective) runs
once and its key/value cache serves them all. Batches are right-padded (causal attention
keeps pads invisible to real tokens) and sorted by length; a prompt gives the same vector
alone or inside a padded batch.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .batching import (StopForward, bank_rows, cache_for, distinct_prefixes, lexicographic_order, maximal_prefixes,
                       pad_id, prefix_bank,
                       rest_batch, shared_prefix_lengths, widen, with_empty_row)
from .cache import ChunkStore, content_key
from .models import model_info

# Our short names -> TransformerLens hook names (format with the layer index).
HOOKS: dict[str, str] = {
    "resid_post": "blocks.{layer}.hook_resid_post",  # residual stream after the block
    "attn_v": "blocks.{layer}.attn.hook_v",          # value vectors of all (KV) heads, concatenated
    "attn_out": "blocks.{layer}.hook_attn_out",      # attention output added to the residual
    "mlp_out": "blocks.{layer}.hook_mlp_out",        # MLP output added to the residual
}
POOLINGS = ("last", "mean", "max", "word")
CHUNK_PROMPTS = 256  # rows per cache chunk: the unit of resumption
CHUNK_LAYOUT = "token-order-v2"  # how prompts are ordered into chunks; part of the cache key


@dataclass(frozen=True)
class Encoded:
    """Token ids of one prompt (BOS included when the model wants it) and its pooling masks."""

    ids: list[int]
    word_tokens: list[int] | None  # token positions covering the emotion word
    first_content: int             # 1 when a BOS was prepended (excluded from mean/max)


def encode(model, text: str, word: str | tuple[int, int] | None = None) -> Encoded:
    """Tokenise one prompt the way the model expects (BOS or not) and locate ``word``."""
    return encode_many(model, [text], None if word is None else [word])[0]


def encode_many(model, texts: Sequence[str], words: Sequence | None = None) -> list[Encoded]:
    """Tokenise prompts in one tokenizer call, adding BOS when the model wants it.

    The emotion word's token positions come from the tokenizer's character offsets, so a
    word split into several tokens, or glued to a leading space, is found exactly.
    ``words[i]`` is a substring of ``texts[i]`` (first occurrence) or a (start, end) span.
    """
    info = model_info(model)
    tokenizer = model.tokenizer
    need_offsets = words is not None
    batch = tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=need_offsets)
    bos = [tokenizer.bos_token_id] if info.prepend_bos else []
    result = []
    for i, text in enumerate(texts):
        ids = list(batch["input_ids"][i])
        if not ids:
            raise ValueError(f"Prompt {text!r} has no tokens.")
        prefix = bos if ids[:1] != bos else []  # a rendered chat prompt may already start with BOS
        word_tokens = None
        if need_offsets:
            word = words[i]
            start, end = word if isinstance(word, tuple) else (text.find(word), text.find(word) + len(word))
            word_tokens = [j + len(prefix) for j, (a, b) in enumerate(batch["offset_mapping"][i])
                           if a < end and b > start]
            if not word_tokens:
                raise ValueError(f"Could not map the word {word!r} onto tokens of prompt {text!r}.")
        result.append(Encoded(ids=prefix + ids, word_tokens=word_tokens, first_content=len(bos)))
    return result


def _validate(model, prompts, hook_specs, layers, words, batch_size) -> list[int]:
    info = model_info(model)
    if isinstance(prompts, str) or not isinstance(prompts, Sequence):
        raise ValueError("prompts must be a list of strings, e.g. collect(model, ['Bob feels happy, so Bob']).")
    if len(prompts) == 0:
        raise ValueError("prompts is empty: pass at least one prompt.")
    for i, prompt in enumerate(prompts):
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError(f"prompts[{i}] = {prompt!r} is not a non-empty string.")
    for hook, pooling in hook_specs:
        if hook not in HOOKS:
            raise ValueError(f"Unknown hook {hook!r}; choose one of {sorted(HOOKS)}.")
        if pooling not in POOLINGS:
            raise ValueError(f"Unknown pooling {pooling!r}; choose one of {list(POOLINGS)}.")
    if info.backend == "nnsight":
        from .nnsight_backend import check_hooks

        check_hooks(model, {hook for hook, _ in hook_specs})
    if any(p == "word" for _, p in hook_specs):
        if words is None:
            raise ValueError("pooling='word' needs words=[the emotion word of each prompt].")
    if words is not None:
        if isinstance(words, str) or len(words) != len(prompts):
            raise ValueError(f"words must be a list with one word per prompt ({len(prompts)}), got {type(words).__name__}"
                             f" of length {len(words) if not isinstance(words, str) else 'str'}.")
        for i, (word, prompt) in enumerate(zip(words, prompts)):
            if isinstance(word, tuple):
                continue
            if not isinstance(word, str) or not word or word not in prompt:
                raise ValueError(f"words[{i}] = {word!r} is not inside prompts[{i}] = {prompt!r}.")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if layers is None:
        return list(range(info.n_layers))
    if isinstance(layers, (int, np.integer)) and not isinstance(layers, bool):
        layers = [int(layers)]
    if isinstance(layers, str) or not isinstance(layers, Sequence) or len(layers) == 0:
        raise ValueError(f"layers must be a non-empty list of layer indices or None (all), got {layers!r}.")
    result = []
    for layer in layers:
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
            raise ValueError(f"layer {layer!r} is not an integer index.")
        if not 0 <= int(layer) < info.n_layers:
            raise ValueError(f"layer {layer} is out of range: {info.name} has layers 0..{info.n_layers - 1}.")
        result.append(int(layer))
    if len(set(result)) != len(result):
        raise ValueError(f"layers has duplicates: {result}.")
    return result


def collect(model, prompts: Sequence[str], hook: str = "resid_post", pooling: str = "last",
            layers: Sequence[int] | None = None, words: Sequence[str] | None = None,
            batch_size: int = 32, cache: bool = True, progress: bool | None = None,
            share_prefixes: bool = True) -> np.ndarray:
    """Pooled activations, float32 array ``[len(prompts), len(layers), width]``.

    hook: ``"resid_post"`` | ``"attn_v"`` | ``"attn_out"`` | ``"mlp_out"`` (see ``HOOKS``).
    pooling: ``"last"`` token | ``"mean"`` / ``"max"`` over the prompt's tokens (BOS
    excluded) | ``"word"``: mean over the tokens of ``words[i]`` inside ``prompts[i]``.
    layers: indices, or None for all. cache: read/write ``cache/activations/``.
    share_prefixes: run a token prefix shared by several prompts once (same numbers, less work).
    """
    return collect_many(model, prompts, [(hook, pooling)], layers=layers, words=words, batch_size=batch_size,
                        cache=cache, progress=progress, share_prefixes=share_prefixes)[(hook, pooling)]


def collect_many(model, prompts: Sequence[str], specs: Sequence[tuple[str, str]],
                 layers: Sequence[int] | None = None, words: Sequence[str] | None = None,
                 batch_size: int = 32, cache: bool = True, progress: bool | None = None,
                 share_prefixes: bool = True) -> dict[tuple[str, str], np.ndarray]:
    """Like ``collect`` for several (hook, pooling) pairs from ONE forward pass per batch."""
    specs = [tuple(spec) for spec in specs]
    if not specs:
        raise ValueError("specs is empty: pass at least one (hook, pooling) pair.")
    layer_list = _validate(model, prompts, specs, layers, words, batch_size)
    prompts = list(prompts)
    info = model_info(model)
    words_key = None if words is None else [list(w) if isinstance(w, tuple) else w for w in words]
    # No backend in the key: a local nnsight model runs the same weights through the same
    # Hugging Face modules (equal to 1e-4, tests/test_nnsight_backend.py) and shares entries
    # with TransformerLens; a remote (NDIF) model has a weights_id of its own.
    stores = {}
    for hook, pooling in specs:
        key = content_key({"layout": CHUNK_LAYOUT, "weights": info.weights_id, "bos": info.prepend_bos, "hook": hook, "pooling": pooling,
                           "layers": layer_list, "prompts": prompts,
                           "words": words_key if pooling == "word" else None})
        stores[(hook, pooling)] = ChunkStore(key)

    encoded = encode_many(model, prompts, words)
    chunks = token_chunks(encoded)
    order = [i for chunk in chunks for i in chunk]

    results: dict[tuple[str, str], list] = {spec: [None] * len(chunks) for spec in specs}
    widths: dict[str, int] = {}
    todo: list[int] = []
    for index, chunk in enumerate(chunks):
        missing = False
        for spec in specs:
            if cache and spec[0] in widths:
                got = stores[spec].load(index, (len(chunk), len(layer_list), widths[spec[0]]))
            elif cache:
                got = _load_any_width(stores[spec], index, len(chunk), len(layer_list))
            else:
                got = None
            if got is None:
                missing = True
            else:
                results[spec][index] = got
                widths.setdefault(spec[0], got.shape[-1])
        if missing:
            todo.append(index)

    if todo:
        from tqdm.auto import tqdm

        n_todo = sum(len(chunks[i]) for i in todo)
        show = progress if progress is not None else n_todo > 2 * batch_size
        bar = tqdm(total=n_todo, desc=f"collect {info.name} " + ",".join(f"{h}/{p}" for h, p in specs),
                   unit="prompt", disable=not show)
        try:
            for index in todo:
                chunk = chunks[index]
                arrays = _run_chunk(model, [encoded[i] for i in chunk], specs, layer_list, batch_size, bar,
                                    share_prefixes=share_prefixes)
                for spec, array in arrays.items():
                    if results[spec][index] is None:
                        results[spec][index] = array
                        if cache:
                            stores[spec].save(index, array)
        finally:
            bar.close()
        if cache:
            for spec in specs:
                stores[spec].write_manifest({"model": info.name, "hook": spec[0], "pooling": spec[1],
                                             "layers": layer_list, "n_prompts": len(prompts),
                                             "first_prompt": prompts[0]})

    inverse = np.empty(len(order), dtype=np.int64)
    inverse[np.asarray(order)] = np.arange(len(order))
    return {spec: np.concatenate(results[spec], axis=0)[inverse] for spec in specs}


def _load_any_width(store: ChunkStore, index: int, rows: int, n_layers: int) -> np.ndarray | None:
    # The width of attn_v is only known after a forward pass; accept any width with the right rows/layers.
    path = store.chunk_path(index)
    if not path.exists():
        return None
    try:
        header_shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
    except (ValueError, OSError, EOFError):
        return None
    if len(header_shape) != 3:
        return None
    return store.load(index, (rows, n_layers, header_shape[2]))


def token_order(encoded: Sequence[Encoded]) -> list[int]:
    """Prompt indices sorted by token ids: prompts sharing a prefix become neighbours (and share a chunk)."""
    return lexicographic_order([e.ids for e in encoded])


def token_chunks(encoded: Sequence[Encoded]) -> list[list[int]]:
    """Prompt indices in token order, cut into chunks of ``CHUNK_PROMPTS``: the unit of the cache
    and of prefix sharing (prompts sharing a prefix land in one chunk, see ``_run_chunk``)."""
    order = token_order(encoded)
    return [order[start:start + CHUNK_PROMPTS] for start in range(0, len(order), CHUNK_PROMPTS)]


def tokens_computed(model, prompts: Sequence[str]) -> tuple[int, int]:
    """(real tokens, tokens ``collect`` actually runs through the model) for ``prompts``."""
    encoded = encode_many(model, prompts)
    real = sum(len(e.ids) for e in encoded)
    computed = 0
    for chunk in token_chunks(encoded):
        part = [encoded[i].ids for i in chunk]
        lengths = shared_prefix_lengths(part)
        computed += sum(len(ids) - k for ids, k in zip(part, lengths))
        computed += sum(len(p) for p in maximal_prefixes(distinct_prefixes(part, lengths)))
    return real, computed


def _run_chunk(model, items: list[Encoded], specs, layer_list, batch_size, bar, share_prefixes: bool = True) -> dict:
    """Pooled activations of ``items`` (sorted by token ids), one array per spec.

    Prompts made from templates share long token prefixes ("After the meeting, Bob was").
    Each distinct shared prefix runs once (pass A, ``_run_prefixes``); the rest of every
    prompt then runs against the keys/values its prefix left (pass B), and the prefix's
    activations are glued back in front of the rest's before pooling (helpers.batching).
    """
    import torch

    if model_info(model).backend == "nnsight":
        from .nnsight_backend import run_chunk

        return run_chunk(model, items, specs, layer_list, batch_size, bar, share_prefixes=share_prefixes)
    device = next(model.original_model.parameters()).device
    kinds: dict[str, list[str]] = {}
    for hook, pooling in specs:
        kinds.setdefault(hook, []).append(pooling)
    ids_list = [item.ids for item in items]
    prefix_len = shared_prefix_lengths(ids_list) if share_prefixes else [0] * len(items)
    # The prefixes' own activations are needed only when a pooling reads prefix positions (mean,
    # max, or a word inside the shared prefix); otherwise pass B pools its rests alone, and
    # nothing of pass A but the keys/values is kept.
    whole = any(p in ("mean", "max") for _, p in specs) or any(
        item.word_tokens and min(item.word_tokens) < k for item, k in zip(items, prefix_len))
    bank = _run_prefixes(model, ids_list, prefix_len, kinds, layer_list, batch_size, device, keep_acts=whole)

    layer_slot = {layer: slot for slot, layer in enumerate(layer_list)}
    n_captures = len(kinds) * len(layer_list)
    pad = pad_id(model)
    out: dict = {}
    # `batch_size` prompts per pass, sorted by the length of their rest (little padding). Wider
    # passes measured slower here (bench/bench_collect.py), so short rests do not widen them.
    plan = sorted(range(len(items)), key=lambda i: (len(items[i].ids) - prefix_len[i], i))
    batches = [plan[start:start + batch_size] for start in range(0, len(plan), batch_size)]
    for batch in batches:
        rest = rest_batch([ids_list[i] for i in batch], [prefix_len[i] for i in batch], pad)
        cached = rest.cached
        content, word, last = pooling_masks(items, batch, rest)
        if cached and not whole:  # columns of the rest alone
            content, word, last = content[:, cached:], word[:, cached:], last - cached
        ids, positions, mask, content, word, last = (t.to(device) for t in (rest.ids, rest.positions, rest.mask,
                                                                            content, word, last))
        kwargs: dict = {}
        prefix_acts: dict = {}
        if cached:
            rows = bank_rows(bank, [ids_list[i][:prefix_len[i]] for i in batch], device)
            kwargs = {"past_key_values": cache_for(bank, rows, cached, model.original_model.config), "use_cache": True,
                      "position_ids": positions}
            if whole:
                prefix_acts = {key: value.index_select(0, rows)[:, :cached] for key, value in bank["acts"].items()}
        buffers: dict = {spec: [None] * len(layer_list) for spec in specs}
        fired = [0]

        def make_hook(kind: str, layer: int):
            def capture(activation, hook):
                act = activation.reshape(activation.shape[0], activation.shape[1], -1)
                if prefix_acts:
                    act = torch.cat([prefix_acts[(kind, layer)], act], dim=1)
                for pooling in kinds[kind]:
                    buffers[(kind, pooling)][layer_slot[layer]] = _pool(act, pooling, last, content, word)
                fired[0] += 1
                if fired[0] == n_captures:
                    raise StopForward
            return capture

        fwd_hooks = [(HOOKS[kind].format(layer=layer), make_hook(kind, layer)) for kind in kinds for layer in layer_list]
        with torch.inference_mode():
            try:
                with model.hooks(fwd_hooks=fwd_hooks):
                    model(ids, attention_mask=mask, return_type=None, **kwargs)
            except StopForward:
                pass
        if fired[0] != n_captures:
            raise RuntimeError(f"Only {fired[0]} of {n_captures} hooks fired; the model's hook names differ "
                               f"from {sorted(HOOKS.values())}.")
        where = np.asarray(batch)
        for spec in specs:
            values = torch.stack(buffers[spec], dim=1).float().cpu().numpy()
            if spec not in out:
                out[spec] = np.empty((len(items),) + values.shape[1:], dtype=np.float32)
            out[spec][where] = values
        bar.update(len(batch))
    return out


def pooling_masks(items: Sequence[Encoded], batch: Sequence[int], rest):
    """(content, word, last) of one rest batch, in its [cache slots | rest] columns: real tokens
    minus BOS, the emotion word's tokens, and each row's last token."""
    import torch

    content = torch.zeros_like(rest.mask, dtype=torch.bool)  # real tokens minus BOS
    word = torch.zeros_like(rest.mask, dtype=torch.bool)
    last = torch.zeros(len(batch), dtype=torch.long)
    for row, i in enumerate(batch):
        item = items[i]
        content[row, [rest.slot(row, j) for j in range(item.first_content, len(item.ids))]] = True
        if item.word_tokens:
            word[row, [rest.slot(row, j) for j in item.word_tokens]] = True
        last[row] = rest.slot(row, len(item.ids) - 1)
    return content, word, last


def _run_prefixes(model, ids_list, prefix_len, kinds, layer_list, batch_size, device, keep_acts: bool = True) -> dict:
    """Pass A: ``batching.prefix_bank`` over the bridge, keeping the prefixes' activations too.

    Returns the bank (``row``, ``empty``, ``kv`` for the layers up to the last requested one)
    plus ``acts``: (kind, layer) -> activations ``[n_prefixes + 1, widest prefix, ...]``.
    """
    prefixes = distinct_prefixes(ids_list, prefix_len)
    if not prefixes:
        return {"row": {}, "empty": 0, "kv": [], "acts": {}}
    last_layer = max(layer_list)
    width = len(prefixes[-1])
    act_parts: dict = {}

    def keep(kind: str, layer: int):
        def capture(activation, hook):
            act = activation.reshape(activation.shape[0], activation.shape[1], -1)
            act_parts.setdefault((kind, layer), []).append(widen(act, 1, width))
        return capture

    def stop(activation, hook):  # block `last_layer` has written its keys/values: nothing more needed
        raise StopForward

    fwd_hooks = [(HOOKS[kind].format(layer=layer), keep(kind, layer)) for kind in kinds for layer in layer_list
                 if keep_acts]
    fwd_hooks.append((HOOKS["resid_post"].format(layer=last_layer), stop))
    with model.hooks(fwd_hooks=fwd_hooks):
        bank = prefix_bank(lambda ids, mask, cache: model(ids, attention_mask=mask, return_type=None,
                                                          past_key_values=cache, use_cache=True),
                           prefixes, n_layers=last_layer + 1, batch_size=batch_size, pad=pad_id(model), device=device,
                           config=model.original_model.config)
    bank["acts"] = {key: with_empty_row(parts) for key, parts in act_parts.items()}
    return bank


def _pool(act, pooling: str, last, content, word):
    import torch

    if pooling == "last":
        return act[torch.arange(act.shape[0], device=act.device), last]
    if pooling == "mean":
        weights = content.unsqueeze(-1).to(act.dtype)
        return (act * weights).sum(1) / weights.sum(1)
    if pooling == "max":
        return act.masked_fill(~content.unsqueeze(-1), float("-inf")).max(dim=1).values
    if pooling == "word":
        weights = word.unsqueeze(-1).to(act.dtype)
        return (act * weights).sum(1) / weights.sum(1).clamp(min=1)
    raise ValueError(f"Unknown pooling {pooling!r}; choose one of {list(POOLINGS)}.")


def cache_dir_size() -> int:
    """Bytes under the activation cache (for reports)."""
    from .paths import ACTIVATION_CACHE_DIR

    total = 0
    for folder, _, files in os.walk(ACTIVATION_CACHE_DIR):
        total += sum(os.path.getsize(os.path.join(folder, f)) for f in files)
    return total
