"""Sample continuations: our own generation loop, batched and deterministic per row.

    >>> from helpers.generation import generate
    >>> generate(model, "I walked into the kitchen and", max_new_tokens=20, seed=0)

``generate`` runs the HF model inside the bridge (``model.original_model``, whose
sub-modules ARE the bridge's components, so every TransformerLens hook fires, including
``steer``'s; for an nnsight model the wrapped HF model, with ``steer``'s deltas as torch
hooks on the same modules, ``nnsight_backend.hooks``), with a KV cache, left-padded batches with correct position ids, and
Gumbel-max sampling driven by one ``torch.Generator`` per row: a row's continuation
depends only on (prompt, seed, steering), not on the batch it runs in, and a steered and an
unsteered run with the same seed share their random numbers (a paired comparison).

``generate_many`` runs many ``Job``s (prompt, seed, and a vector per layer to add) in
batches, so a whole alpha grid runs at once. While it runs, ``phase(model)`` says whether
the current forward pass is the prompt ("prefill") or a generated token ("decode"):
``steer(..., positions="prompt" | "new")`` reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .batching import pad_id, pad_rows
from .collect import HOOKS, encode_many
from .models import hf_module, model_info

POSITIONS = ("all", "prompt", "new")
_PHASE_ATTR = "_emo_generation_phase"  # "prefill" / "decode" while generate() runs


def model_hooks(model, fwd_hooks):
    """``model.hooks(fwd_hooks=...)`` (TransformerLens hook names) on either backend."""
    if model_info(model).backend == "nnsight":
        from .nnsight_backend import hooks

        return hooks(model, fwd_hooks)
    return model.hooks(fwd_hooks=fwd_hooks)


def forward(model, ids, mask, logits: bool = True):
    """One forward pass of ``ids`` [batch, T] on either backend, with the active hooks
    (``model_hooks``, ``steer``, ``ablate``): the logits [batch, T, vocabulary], or None."""
    if model_info(model).backend == "nnsight":
        out = hf_module(model)(input_ids=ids, attention_mask=mask, logits_to_keep=0 if logits else 1)
        return out.logits if logits else None
    if logits:
        return model(ids, attention_mask=mask)
    return model(ids, attention_mask=mask, return_type=None)


def phase(model) -> str | None:
    return getattr(model, _PHASE_ATTR, None)


def position_mask(model, positions: str, seq_len: int):
    """Which positions of the current forward get the vector: slice or None (= all)."""
    current = phase(model)
    if positions == "all":
        return slice(None)
    if positions == "prompt":
        # Outside generate() every forward is "the prompt"; during decoding nothing is.
        return None if current == "decode" else slice(None)
    # "new": positions whose next-token distribution is sampled = the last prompt token and
    # every generated token. Outside generate() that is the last position.
    if current == "decode":
        return slice(None)
    return slice(seq_len - 1, seq_len)


def prepare_prompt(model, prompt: str, chat: bool | None = False) -> list[int]:
    """Token ids of a prompt: a raw continuation (BOS if the model wants one) or a chat turn.

    ``chat=False`` (default): the text is continued as is; this is what steering of
    continuations wants ("I walked into the kitchen and ..."). ``chat=True``: the prompt is
    the user's message in the model's chat template, and the reply is generated.
    ``chat=None``: chat if the model has a chat template.
    """
    info = model_info(model)
    if chat is None:
        chat = info.chat
    if not chat:
        return encode_many(model, [prompt])[0].ids
    if not info.chat:
        raise ValueError(f"{info.name} has no chat template; use chat=False.")
    text = model.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                               tokenize=False)
    return model.tokenizer(text, add_special_tokens=False)["input_ids"]


def _stop_ids(model) -> set[int]:
    ids = set()
    tokenizer = model.tokenizer
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    config = getattr(hf_module(model), "generation_config", None)
    extra = getattr(config, "eos_token_id", None) if config is not None else None
    if isinstance(extra, int):
        ids.add(extra)
    elif extra:
        ids.update(int(i) for i in extra)
    return ids


def _sample(logits, temperature: float, top_k: int, top_p: float, generators):
    """Gumbel-max sampling among the top-k tokens (nucleus top-p inside them), greedy at temperature 0.

    Each row draws one uniform per vocabulary entry from its own generator, so the noise on
    a token depends only on (seed, step, token): two runs with the same seed share it.
    """
    import torch

    if temperature <= 0:
        return logits.argmax(dim=-1)
    logits = logits.float() / temperature
    k = min(int(top_k), logits.shape[-1]) if top_k and top_k > 0 else logits.shape[-1]
    values, candidates = logits.topk(k, dim=-1)  # sorted, descending
    if top_p < 1.0:
        probs = values.softmax(dim=-1)
        drop = probs.cumsum(dim=-1) - probs > top_p  # keep the smallest set reaching top_p
        values = values.masked_fill(drop, float("-inf"))
    noise = torch.stack([torch.rand(logits.shape[-1], generator=g) for g in generators]).to(logits.device)
    gumbel = -torch.log(-torch.log(noise.gather(-1, candidates).clamp(1e-10, 1 - 1e-7)))
    return candidates.gather(-1, (values + gumbel).argmax(dim=-1, keepdim=True)).squeeze(-1)


def generate(model, prompt: str | Sequence[str], max_new_tokens: int = 40, seed: int | Sequence[int] = 0,
             temperature: float = 0.8, top_k: int = 50, top_p: float = 0.95, chat: bool | None = False,
             batch_size: int = 16, stop_at_eos: bool = True) -> str | list[str]:
    """Sample a continuation of ``prompt`` (a string, or a list: batched) and return only the new text.

    Deterministic for a seed: row ``i`` draws its noise from ``torch.Generator().manual_seed(seed_i)``
    (``seed``: one int, or one per prompt), so a result does not depend on the batch it ran
    in. ``temperature=0`` decodes greedily; otherwise sampling from the top ``top_k`` tokens,
    cut to the nucleus ``top_p``. ``chat``: see ``prepare_prompt`` (default False = raw
    continuation, which is what steering continuations wants; True = the prompt is a user
    message in the chat template). KV-cached; active ``steer`` / ``ablate`` hooks fire on
    the prompt pass and on every generated token.
    """
    single = isinstance(prompt, str)
    prompts = [prompt] if single else list(prompt)
    seeds = seed if isinstance(seed, (list, tuple, np.ndarray)) else [seed] * len(prompts)
    if len(seeds) != len(prompts):
        raise ValueError(f"{len(seeds)} seeds for {len(prompts)} prompts.")
    jobs = [Job(p, int(s)) for p, s in zip(prompts, seeds)]
    texts = generate_many(model, jobs, max_new_tokens=max_new_tokens, temperature=temperature, top_k=top_k,
                          top_p=top_p, chat=chat, batch_size=batch_size, stop_at_eos=stop_at_eos)
    return texts[0] if single else texts


@dataclass(frozen=True)
class Job:
    """One continuation to sample: prompt, seed, and what to add to which layer's resid_post.

    ``add``: ``{layer: vector}`` in raw residual units (e.g. ``SteeringVector.vector``), or
    None. Rows of one batch may carry different vectors: a whole alpha grid runs batched.
    """

    prompt: str
    seed: int = 0
    add: dict | None = None


def generate_many(model, jobs: Sequence[Job], max_new_tokens: int = 40, temperature: float = 0.8, top_k: int = 50,
                  top_p: float = 0.95, chat: bool | None = False, batch_size: int = 16, positions: str = "all",
                  stop_at_eos: bool = True, progress: bool = False) -> list[str]:
    """Continuations of many ``Job``s, batched (left padding, per-row steering vectors).

    Row results equal ``with steer(...): generate(prompt, seed=...)`` for the same vector up
    to float rounding of batched arithmetic. ``positions`` as in ``steer``.
    """
    import torch

    if positions not in POSITIONS:
        raise ValueError(f"positions must be one of {list(POSITIONS)}, got {positions!r}.")
    if not isinstance(max_new_tokens, int) or isinstance(max_new_tokens, bool) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    jobs = list(jobs)
    for job in jobs:
        if not isinstance(job.prompt, str) or not job.prompt:
            raise ValueError(f"Every prompt must be a non-empty string, got {job.prompt!r}.")
    info = model_info(model)
    encoded_by_prompt: dict[str, list[int]] = {}
    for job in jobs:
        if job.prompt not in encoded_by_prompt:
            encoded_by_prompt[job.prompt] = prepare_prompt(model, job.prompt, chat)
    order = sorted(range(len(jobs)), key=lambda i: len(encoded_by_prompt[jobs[i].prompt]))
    device = next(hf_module(model).parameters()).device
    texts: list[str] = [""] * len(jobs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="generate", unit="text")
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        layers = sorted({layer for i in rows for layer in (jobs[i].add or {})})
        fwd_hooks = []
        for layer in layers:
            if not 0 <= int(layer) < info.n_layers:
                raise ValueError(f"layer {layer} is out of range: {info.name} has layers 0..{info.n_layers - 1}.")
            delta = np.zeros((len(rows), 1, info.d_model), dtype=np.float32)
            for r, i in enumerate(rows):
                if jobs[i].add and layer in jobs[i].add:
                    delta[r, 0] = np.asarray(jobs[i].add[layer], dtype=np.float32).reshape(-1)
            if np.any(delta != 0):
                fwd_hooks.append((HOOKS["resid_post"].format(layer=layer),
                                  _row_hook(model, torch.as_tensor(delta, device=device), positions)))
        with model_hooks(model, fwd_hooks):
            tokens = _generate_batch(model, [encoded_by_prompt[jobs[i].prompt] for i in rows],
                                     [int(jobs[i].seed) for i in rows], max_new_tokens, temperature, top_k, top_p,
                                     stop_at_eos)
        for i, toks in zip(rows, tokens):
            texts[i] = model.tokenizer.decode(toks, skip_special_tokens=True)
        if bar is not None:
            bar.update(len(rows))
    if bar is not None:
        bar.close()
    return texts


def _row_hook(model, delta, positions: str):
    """A resid_post hook adding delta [batch, 1, d] (one vector per row) at ``positions``."""
    def add(activation, hook):
        where = position_mask(model, positions, activation.shape[1])
        if where is None:
            return activation
        d = delta.to(activation.dtype)
        if where == slice(None):
            return activation + d
        activation = activation.clone()
        activation[:, where] += d
        return activation
    return add


def _generate_batch(model, encoded: list[list[int]], seeds: list[int], max_new_tokens: int, temperature: float,
                    top_k: int, top_p: float, stop_at_eos: bool) -> list[list[int]]:
    import torch
    from transformers import DynamicCache

    hf = hf_module(model)
    device = next(hf.parameters()).device
    ids, mask = pad_rows(encoded, pad_id(model), side="left")  # every row's last token at position -1
    position = (mask.cumsum(-1) - 1).clamp(min=0)
    ids, mask, position = ids.to(device), mask.to(device), position.to(device)
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    stops = torch.tensor(sorted(_stop_ids(model)), device=device)
    done = torch.zeros(len(encoded), dtype=torch.bool, device=device)
    out_tokens: list[list[int]] = [[] for _ in encoded]
    previous = getattr(model, _PHASE_ATTR, None)
    try:
        with torch.inference_mode():
            setattr(model, _PHASE_ATTR, "prefill")
            out = hf(input_ids=ids, attention_mask=mask, position_ids=position, past_key_values=DynamicCache(),
                     use_cache=True, logits_to_keep=1)
            setattr(model, _PHASE_ATTR, "decode")
            for step in range(max_new_tokens):
                token = _sample(out.logits[:, -1, :], temperature, top_k, top_p, generators)
                for row in range(len(encoded)):
                    if not done[row]:
                        out_tokens[row].append(int(token[row]))
                if stop_at_eos:
                    done |= torch.isin(token, stops)
                if bool(done.all()) or step == max_new_tokens - 1:
                    break
                mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
                position = position[:, -1:] + 1
                out = hf(input_ids=token[:, None], attention_mask=mask, position_ids=position,
                         past_key_values=out.past_key_values, use_cache=True, logits_to_keep=1)
    finally:
        setattr(model, _PHASE_ATTR, previous)
    stop_set = set(stops.tolist())
    return [[t for t in toks if t not in stop_set] for toks in out_tokens]
