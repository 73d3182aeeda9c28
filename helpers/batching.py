"""Batched forward passes: padding, and shared prefixes run once, in one place.

Every batched loop of the suite pads with ``pad_rows`` and ``pad_id``: ``collect`` (right
padding), prompting's final hidden states, perplexity and the memory measurement (right),
sampling (left). Causal attention keeps right-padded positions invisible to real tokens, so a
prompt gives the same numbers alone or inside a batch.

Prompts made from templates or prompt formats share long token prefixes ("After the meeting,
Bob was", an instruction with few-shot examples). Both ``collect`` and prompting run each
distinct shared prefix once and every prompt's rest against the keys/values it left:

    order = lexicographic_order(ids_list)                      # neighbours share prefixes
    prefix_len = shared_prefix_lengths([ids_list[i] for i in order])
    bank = prefix_bank(forward, distinct_prefixes(...), n_layers=..., ...)   # pass A
    batch = rest_batch(ids, prefix_len, rows, pad)             # pass B, per batch of rests
    cache = cache_for(bank, prefixes_of_rows, batch.cached, config)

The numbers equal running each prompt whole (tested in tests/test_collect.py and
tests/test_prompting.py) while the model runs far fewer tokens.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

MIN_SHARED_PREFIX = 1  # tokens: any shared prefix saves work (pass A runs all of a chunk's prefixes together)


class StopForward(Exception):
    """Raised by a hook once everything needed is captured: the rest of the forward pass is skipped."""


def pad_id(model_or_tokenizer) -> int:
    """The token id that fills padded positions (the tokenizer's pad token, else 0)."""
    tokenizer = getattr(model_or_tokenizer, "tokenizer", model_or_tokenizer)
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0


def pad_rows(rows: Sequence[Sequence[int]], pad: int, side: str = "right", width: int | None = None):
    """(ids, mask) long tensors ``[len(rows), width]``: each row's tokens, then (or, on the left,
    before) ``pad``; mask 1 on real tokens. ``width`` defaults to the longest row."""
    import torch

    if side not in ("right", "left"):
        raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    width = max(len(r) for r in rows) if width is None else width
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        span = slice(0, len(row)) if side == "right" else slice(width - len(row), width)
        ids[i, span] = torch.tensor(list(row), dtype=torch.long)
        mask[i, span] = 1
    return ids, mask


# ------------------------------------------------------------------ which prefixes to share
def common_prefix_length(ids_list: Sequence[Sequence[int]]) -> int:
    """Length of the longest token prefix shared by every sequence."""
    if not ids_list:
        return 0
    first = ids_list[0]
    n = min(len(x) for x in ids_list)
    for other in ids_list[1:]:
        k = 0
        while k < n and other[k] == first[k]:
            k += 1
        n = k
    return n


def lexicographic_order(ids_list: Sequence[Sequence[int]]) -> list[int]:
    """Indices sorted by token ids: sequences sharing a prefix become neighbours."""
    return sorted(range(len(ids_list)), key=lambda i: (list(ids_list[i]), i))


def shared_prefix_lengths(ids_list: Sequence[Sequence[int]]) -> list[int]:
    """Per sequence, the length of the prefix it will take from a shared key/value cache.

    ``ids_list`` is sorted lexicographically, so a sequence's longest prefix shared with any
    other is the one it shares with a neighbour. Every sequence keeps at least one token of
    its own (its last token is computed, not cached). A prefix is shared when more than one
    sequence reads the slots of its longest extension (``covering_prefixes``: a prompt and the
    same prompt followed by a filler share the filler's pass); a prefix that would serve one
    sequence only, or is shorter than ``MIN_SHARED_PREFIX``, is not shared (0).
    """
    n = len(ids_list)
    lengths = []
    for i, ids in enumerate(ids_list):
        shared = max(common_prefix_length([ids, ids_list[i - 1]]) if i > 0 else 0,
                     common_prefix_length([ids, ids_list[i + 1]]) if i + 1 < n else 0)
        shared = min(shared, len(ids) - 1)
        lengths.append(shared if shared >= MIN_SHARED_PREFIX else 0)
    candidates = [tuple(ids[:length]) for ids, length in zip(ids_list, lengths)]
    cover = covering_prefixes([p for p in candidates if p])
    users = Counter(cover[p] for p in candidates if p)
    return [len(p) if p and users[cover[p]] > 1 else 0 for p in candidates]


def distinct_prefixes(ids_list: Sequence[Sequence[int]], prefix_len: Sequence[int]) -> list[tuple[int, ...]]:
    """The distinct non-empty shared prefixes, shortest first (the bank's row order)."""
    return sorted({tuple(ids[:k]) for ids, k in zip(ids_list, prefix_len) if k}, key=lambda p: (len(p), p))


def covering_prefixes(prefixes: Sequence[tuple[int, ...]]) -> dict[tuple[int, ...], tuple[int, ...]]:
    """Each prefix -> the longest prefix of the set that starts with it (itself if none does).

    Under causal attention a prefix's keys/values are the first slots of any longer sequence
    that starts with it, so only the maximal prefixes need to run: a prompt followed by fillers
    of 4, 8, ..., 256 tokens costs one pass over the longest, not the sum of all of them.
    """
    ordered = sorted(set(prefixes))  # lexicographic: whatever extends p comes right after p
    cover: dict[tuple[int, ...], tuple[int, ...]] = {}
    for i in range(len(ordered) - 1, -1, -1):
        p = ordered[i]
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        cover[p] = cover[nxt] if nxt is not None and nxt[:len(p)] == p else p
    return cover


def maximal_prefixes(prefixes: Sequence[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """The prefixes that pass A actually runs (no other prefix extends them), shortest first."""
    return sorted(set(covering_prefixes(prefixes).values()), key=lambda p: (len(p), p))


# ------------------------------------------------------------------ pass A: the prefixes, once
def widen(tensor, dim: int, width: int):
    """Zero-pad ``tensor``'s position axis ``dim`` to ``width`` (the padding is masked later)."""
    import torch

    missing = width - tensor.shape[dim]
    if not missing:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor, tensor.new_zeros(shape)], dim=dim)


def with_empty_row(parts):
    """Concatenate batch parts and add one zero row (for sequences without a shared prefix)."""
    import torch

    stacked = torch.cat(parts)
    return torch.cat([stacked, stacked.new_zeros((1,) + stacked.shape[1:])])


def new_cache(config):
    from transformers import DynamicCache

    return DynamicCache(config=config)


def prefix_bank(forward: Callable, prefixes: Sequence[tuple[int, ...]], *, n_layers: int, batch_size: int, pad: int,
                device, config, common_once: bool = False) -> dict:
    """Run each maximal prefix once, right-padded, ``batch_size`` per pass; keep their keys/values.

    ``forward(ids, mask, cache)`` runs the model on one padded batch, filling ``cache`` (a hook
    may raise ``StopForward`` once block ``n_layers - 1`` has run). Returns ``row`` (prefix ->
    row), ``empty`` (the row of zeros for sequences without a prefix) and ``kv``: per layer
    ``< n_layers``, keys and values ``[n_maximal_prefixes + 1, heads, widest prefix, d_head]``; a
    prefix that a longer one extends maps to that one's row (``covering_prefixes``).

    ``common_once``: the start that all maximal prefixes share runs once, and each prefix's
    remainder runs against its keys/values (``mask`` then spans [start | remainder] and the
    positions follow from the cache, as in a Hugging Face model). Few-shot prompts need it: their
    maximal prefixes are the same instruction and examples followed by a few words of the text,
    and running the examples once per prefix cost 4-5x the tokens. Off for ``collect``, whose
    pass A also pools the prefixes' activations.
    """
    import torch

    if not prefixes:
        return {"row": {}, "empty": 0, "kv": []}
    cover = covering_prefixes(prefixes)
    run = maximal_prefixes(prefixes)  # a prefix of a longer one reads that one's first slots
    width = len(run[-1])
    # every maximal prefix keeps at least one token of its own past the common start
    common = min(common_prefix_length(run), len(run[0]) - 1) if common_once and len(run) > 1 else 0

    def run_into(cache, ids, mask):
        with torch.inference_mode():
            try:
                forward(ids.to(device), mask.to(device), cache)
            except StopForward:
                pass
        return cache

    start_kv = None
    if common > 0:
        ids = torch.tensor([list(run[0][:common])], dtype=torch.long)
        common_cache = run_into(new_cache(config), ids, torch.ones_like(ids))
        start_kv = [(layer.keys, layer.values) for layer in common_cache.layers[:n_layers]]
    kv_parts: list = []
    for start in range(0, len(run), batch_size):
        rows = run[start:start + batch_size]
        ids, mask = pad_rows([p[common:] for p in rows], pad)
        cache = new_cache(config)
        if start_kv is not None:
            for layer, (keys, values) in enumerate(start_kv):
                cache.update(keys.expand(len(rows), -1, -1, -1), values.expand(len(rows), -1, -1, -1), layer)
            mask = torch.cat([torch.ones((len(rows), common), dtype=mask.dtype), mask], dim=1)
        run_into(cache, ids, mask)
        kv_parts.append([(widen(layer.keys, 2, width), widen(layer.values, 2, width)) for layer in cache.layers[:n_layers]])
    row_of = {prefix: row for row, prefix in enumerate(run)}
    return {"row": {prefix: row_of[cover[prefix]] for prefix in cover}, "empty": len(run),
            "kv": [(with_empty_row([part[layer][0] for part in kv_parts]),
                    with_empty_row([part[layer][1] for part in kv_parts])) for layer in range(n_layers)]}


def bank_rows(bank: dict, prefixes: Sequence[tuple[int, ...]], device):
    """The bank rows of some prefixes (the empty row for ``()``), as a tensor for ``index_select``."""
    import torch

    return torch.tensor([bank["row"].get(tuple(p), bank["empty"]) for p in prefixes], device=device)


def cache_for(bank: dict, rows, cached: int, config):
    """A key/value cache holding, per batch row, its prefix's first ``cached`` slots."""
    cache = new_cache(config)
    for layer, (keys, values) in enumerate(bank["kv"]):
        cache.update(keys.index_select(0, rows)[:, :, :cached], values.index_select(0, rows)[:, :, :cached], layer)
    return cache


# ------------------------------------------------------------------ pass B: every sequence's rest
@dataclass
class RestBatch:
    """One batch of rests: ``ids``/``positions`` ``[b, width]``, ``mask`` ``[b, cached + width]``
    (the cache slots a row's prefix fills, then its rest), and the column of any token."""

    ids: object
    positions: object
    mask: object
    cached: int
    prefix_len: list[int]

    def slot(self, row: int, position: int) -> int:
        """Token ``position`` of row ``row``'s full sequence -> its column in [cache slots | rest]."""
        shared = self.prefix_len[row]
        return position if position < shared else self.cached + position - shared


def rest_batch(ids_list: Sequence[Sequence[int]], prefix_len: Sequence[int], pad: int) -> RestBatch:
    """The rests of ``ids_list`` (after each one's shared prefix), right-padded, with position ids
    that continue the prefix and an attention mask over [cache slots | rest]."""
    import torch

    cached = max(prefix_len)  # cache slots: prefix tokens, then masked filler
    rests = [list(ids[k:]) for ids, k in zip(ids_list, prefix_len)]
    ids, rest_mask = pad_rows(rests, pad)
    width = ids.shape[1]
    positions = torch.tensor(list(prefix_len), dtype=torch.long)[:, None] + torch.arange(width)[None, :]
    mask = torch.zeros((len(rests), cached + width), dtype=torch.long)
    for row, k in enumerate(prefix_len):
        mask[row, :k] = 1
    mask[:, cached:] = rest_mask
    return RestBatch(ids=ids, positions=positions, mask=mask, cached=cached, prefix_len=list(prefix_len))
