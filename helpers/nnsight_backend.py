"""The nnsight backend: the same model folders, hooks and numbers, through ``nnsight``.

    >>> model = load_model("smollm2-135m", backend="nnsight")       # local, same float32 folder
    >>> X = collect(model, prompts, hook="resid_post", pooling="last", layers=[15])

``load_model(..., backend="nnsight")`` wraps a plain Hugging Face model (no TransformerLens
hooks) in ``nnsight.TransformersModel(..., task="text-generation")`` (what
``nnsight.LanguageModel`` is in nnsight 0.8.1, minus its deprecation warning). With
``remote=True`` the name is a hub name and the model runs on NDIF (docs/larger_models.md);
no weights come here.

Our hook names map onto the Hugging Face modules of a decoder layer (``sites``):

- ``resid_post``: the decoder layer's output;
- ``attn_v``: ``self_attn.v_proj``'s output (not offered when the layer normalises values);
- ``attn_out``: what attention adds to the residual: ``self_attn``'s output, or
  ``post_attention_layernorm``'s where the layer has sandwich norms (Gemma 2/3);
- ``mlp_out``: ``mlp``'s output, or ``post_feedforward_layernorm``'s (Gemma 2/3).

These equal TransformerLens's ``blocks.{l}.hook_*`` to 1e-4 on SmolLM2 (Llama) and Gemma 3
(tests/test_nnsight_backend.py); other architectures are mapped by the same rules, untested.
``collect`` runs every requested layer and hook of a batch in ONE trace, pools inside it
(only pooled vectors leave the trace: what keeps a remote run cheap) and stops the model
after the last requested layer. Locally, prefixes shared by several prompts run once, as on
the TransformerLens path; remotely they do not (a key/value cache is not worth shipping).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
from dataclasses import dataclass, replace
from urllib.parse import urlparse

import numpy as np

from .batching import (bank_rows, cache_for, distinct_prefixes, pad_id, prefix_bank, rest_batch,
                       shared_prefix_lengths, widen, with_empty_row)
from .collect import HOOKS, POOLINGS, _pool, pooling_masks
from .models import (_INFO_FILE, ModelInfo, _configure_tokenizer, _folder_fingerprint, _quiet_stdio,
                     _quiet_transformers, _resolve_local_path, _unknown_model_message, load_tokenizer, model_info)

SITE_ORDER = ("attn_v", "attn_out", "mlp_out", "resid_post")  # the order they run inside a decoder layer
NETWORK_TIMEOUT = 5.0  # seconds: how long a remote load waits for NDIF before a ValueError


@dataclass(frozen=True)
class Sites:
    """Where our hooks live in a Hugging Face model: the decoder layers' list and, inside a
    layer, the module whose output each hook reads ("" = the layer itself)."""

    layers: str
    modules: dict
    mid: str | None = None  # the pre-MLP norm: its input is TransformerLens's hook_resid_mid (ln2.hook_in)


def find_sites(hf_model) -> Sites:
    """Map ``HOOKS`` onto a Hugging Face causal LM's modules (rules in the module docstring)."""
    import torch

    config = hf_model.config.get_text_config() if hasattr(hf_model.config, "get_text_config") else hf_model.config
    n_layers = int(config.num_hidden_layers)
    found = [name for name, module in hf_model.named_modules()
             if isinstance(module, torch.nn.ModuleList) and len(module) == n_layers]
    if not found:
        raise ValueError(f"Cannot find the {n_layers} decoder layers of {type(hf_model).__name__}; "
                         f"the nnsight backend needs a Hugging Face causal LM with a list of decoder layers.")
    layers = found[0]
    inside = dict(hf_model.get_submodule(layers)[0].named_modules())
    modules = {"resid_post": ""}
    attention = "self_attn" if "self_attn" in inside else "attn" if "attn" in inside else None
    if attention and f"{attention}.v_proj" in inside and not any(n.endswith("v_norm") for n in inside):
        modules["attn_v"] = f"{attention}.v_proj"
    sandwich = all(n in inside for n in ("post_attention_layernorm", "pre_feedforward_layernorm",
                                         "post_feedforward_layernorm"))
    if sandwich:
        modules["attn_out"] = "post_attention_layernorm"
        modules["mlp_out"] = "post_feedforward_layernorm"
    else:
        if attention:
            modules["attn_out"] = attention
        if "mlp" in inside:
            modules["mlp_out"] = "mlp"
    # TransformerLens reads resid_mid at ln2's input: Gemma 2/3's pre-MLP norm, Llama's post-attention one.
    mid = next((n for n in ("pre_feedforward_layernorm", "post_attention_layernorm", "ln_2") if n in inside), None)
    return Sites(layers=layers, modules=modules, mid=mid)


def supported_hooks(model) -> list[str]:
    return [hook for hook in HOOKS if hook in model._emo_sites.modules]


def check_hooks(model, hooks) -> None:
    """One ValueError naming the hooks that work, for a hook this model's architecture lacks."""
    works = supported_hooks(model)
    for hook in hooks:
        if hook not in works:
            raise ValueError(f"hook {hook!r} has no clean nnsight equivalent on {model_info(model).name} "
                             f"({type(model._module).__name__}); hooks that work with backend='nnsight' here: {works}. "
                             f"Use one of them, or backend='transformer_lens'.")


def is_nnsight(model) -> bool:
    info = getattr(model, "emo", None)
    return isinstance(info, ModelInfo) and info.backend == "nnsight"


# ------------------------------------------------------------------ loading
def load(name: str, device: str, remote: bool):
    """``load_model``'s nnsight branch (validated arguments; ``device`` already picked)."""
    if remote:
        return _load_remote(name)
    import torch
    from transformers import AutoModelForCausalLM

    _quiet_transformers()
    path = _resolve_local_path(name)
    if path is None:
        return _load_hub(name, device)
    tokenizer = load_tokenizer(str(path))
    # Eager attention, as TransformerLens's bridge runs it: then both backends give the same numbers
    # (sdpa differs by float rounding, up to 1e-3 on Gemma's residual stream of norm ~3,500).
    hf_model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32,
                                                    attn_implementation="eager").eval().to(device)
    info_file = path / _INFO_FILE
    meta = json.loads(info_file.read_text()) if info_file.exists() else {}
    weights_id = meta.get("source_sha256") or _folder_fingerprint(path)
    prepend_bos = meta.get("prepend_bos", bool(getattr(tokenizer, "add_bos_token", True)))
    return _wrap(hf_model, tokenizer, name, weights_id, prepend_bos, str(path), remote=False)


def _wrap(hf_model, tokenizer, name, weights_id, prepend_bos, path, remote: bool, repo_id: str | None = None):
    from nnsight import TransformersModel

    with _quiet_stdio():
        if remote:
            model = TransformersModel(repo_id, task="text-generation")
            tokenizer = _configure_tokenizer(model.tokenizer)
            hf_model = model._module
        else:
            model = TransformersModel(hf_model, task="text-generation", tokenizer=tokenizer)
    config = hf_model.config.get_text_config() if hasattr(hf_model.config, "get_text_config") else hf_model.config
    if prepend_bos is None:
        prepend_bos = bool(getattr(tokenizer, "add_bos_token", False)) or tokenizer.bos_token is not None
    model._emo_sites = find_sites(hf_model)
    model.emo = ModelInfo(
        name=name, weights_id=weights_id, prepend_bos=bool(prepend_bos) and tokenizer.bos_token_id is not None,
        path=path, n_layers=int(config.num_hidden_layers), d_model=int(config.hidden_size),
        chat=getattr(tokenizer, "chat_template", None) is not None, backend="nnsight", remote=remote)
    return model


def _load_hub(name: str, device: str):
    """A hub name run locally through nnsight (a GPU machine): weights downloaded by transformers."""
    import torch
    from transformers import AutoModelForCausalLM

    try:
        tokenizer = load_tokenizer(name)
        hf_model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.float32).eval().to(device)
    except ValueError:
        raise
    except Exception as error:
        first_line = (str(error).splitlines() or [""])[0][:240]
        raise ValueError(_unknown_model_message(
            name, f"the model hub could not provide it (offline, or no such model): {type(error).__name__}: {first_line}")) from None
    weights_id = hashlib.sha256(f"{name}@{getattr(hf_model.config, '_commit_hash', None)}".encode()).hexdigest()
    prepend_bos = bool(getattr(tokenizer, "add_bos_token", False)) or tokenizer.bos_token is not None
    return _wrap(hf_model, tokenizer, name, weights_id, prepend_bos, name, remote=False)


def ndif_api_key() -> str | None:
    """The NDIF key: ``NDIF_API_KEY``, else one saved in nnsight's own config."""
    key = os.environ.get("NDIF_API_KEY")
    if key:
        return key
    from nnsight import CONFIG

    return CONFIG.API.APIKEY or None


def _reachable(url: str, timeout: float = NETWORK_TIMEOUT) -> str | None:
    """None when a TCP connection to ``url``'s host opens within ``timeout`` s, else why not."""
    from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout

    parsed = urlparse(url)
    host, port = parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)

    def connect():
        with socket.create_connection((host, port), timeout=timeout):
            return None

    pool = ThreadPoolExecutor(max_workers=1)  # the name lookup itself has no timeout: bound it here
    try:
        return pool.submit(connect).result(timeout=timeout)
    except FutureTimeout:
        return f"no answer within {timeout:.0f} s"
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    finally:
        pool.shutdown(wait=False)


def _load_remote(name: str):
    """A hub name on NDIF: checks the key and the network first (seconds), then builds the
    meta model (config and tokenizer from the hub, no weights)."""
    if _resolve_local_path(name) is not None:
        raise ValueError(f"remote=True needs a Hugging Face hub name that NDIF hosts (e.g. 'meta-llama/Llama-3.1-8B'), "
                         f"not the local model {name!r}; use remote=False for local models.")
    if not ndif_api_key():
        raise ValueError(f"remote=True needs an NDIF API key: set NDIF_API_KEY (a key from NDIF, https://ndif.us), "
                         f"or use remote=False with a model that fits this machine. Model: {name!r}.")
    from nnsight import CONFIG

    for url in (CONFIG.API.HOST, "https://huggingface.co"):
        why = _reachable(url)
        if why:
            raise ValueError(f"remote=True cannot reach {url} within {NETWORK_TIMEOUT:.0f} s ({why}); "
                             f"check the network, or use remote=False with a local model. Model: {name!r}.")
    try:
        model = _wrap(None, None, name, "", None, name, remote=True, repo_id=name)
    except Exception as error:
        first_line = (str(error).splitlines() or [""])[0][:240]
        raise ValueError(f"Cannot prepare the remote model {name!r} (config/tokenizer from the hub): "
                         f"{type(error).__name__}: {first_line}. Check the name and your hub access (gated models "
                         f"need HF_TOKEN).") from None
    # NDIF may run another dtype than a local float32 load: its numbers get their own cache keys.
    revision = getattr(model, "revision", None) or "main"
    model.emo = replace(model.emo, weights_id=hashlib.sha256(f"{name}@{revision}@ndif".encode()).hexdigest())
    return model


# ------------------------------------------------------------------ collect
def _site(layer_envoy, path: str):
    envoy = layer_envoy
    for part in filter(None, path.split(".")):
        envoy = getattr(envoy, part)
    return envoy


def _layers(model):
    return _site(model, model._emo_sites.layers)


def _value(output):
    return output[0] if isinstance(output, tuple) else output


def _capture(model, layer_list, kinds, use):
    """Inside a trace: for each requested layer (ascending) and hook (in running order), hand
    the activation ``[batch, positions, width]`` to ``use(kind, layer, act)``."""
    layers = _layers(model)
    replay = getattr(model, "_emo_replay", [])
    for layer in sorted(layer_list):
        block = layers[layer]
        for kind in SITE_ORDER:
            if kind in kinds:
                act = _value(_site(block, model._emo_sites.modules[kind]).output)
                if kind == "resid_post":  # what an active steer/ablate passes on (see `hooks`)
                    for at, fn in replay:
                        if at == layer:
                            act = fn(act, REPLAY)
                use(kind, layer, act.reshape(act.shape[0], act.shape[1], -1))


def run_chunk(model, items, specs, layer_list, batch_size, bar, share_prefixes: bool = True) -> dict:
    """``collect._run_chunk`` for an nnsight model: one trace per batch, pooled inside."""
    import torch

    info = model_info(model)
    check_hooks(model, {hook for hook, _ in specs})
    device = "cpu" if info.remote else next(model._module.parameters()).device
    kinds: dict[str, list[str]] = {}
    for hook, pooling in specs:
        kinds.setdefault(hook, []).append(pooling)
    ids_list = [item.ids for item in items]
    prefix_len = shared_prefix_lengths(ids_list) if share_prefixes and not info.remote else [0] * len(items)
    bank = _run_prefixes(model, ids_list, prefix_len, kinds, layer_list, batch_size, device)
    out: dict = {}
    plan = sorted(range(len(items)), key=lambda i: (len(items[i].ids) - prefix_len[i], i))
    for start in range(0, len(plan), batch_size):
        batch = plan[start:start + batch_size]
        rest = rest_batch([ids_list[i] for i in batch], [prefix_len[i] for i in batch], pad_id(model))
        content, word, last = pooling_masks(items, batch, rest)
        ids, positions, mask, content, word, last = (t.to(device) for t in (rest.ids, rest.positions, rest.mask,
                                                                            content, word, last))
        kwargs: dict = {"attention_mask": mask}
        prefix_acts: dict = {}
        if rest.cached:
            rows = bank_rows(bank, [ids_list[i][:prefix_len[i]] for i in batch], device)
            kwargs.update(past_key_values=cache_for(bank, rows, rest.cached, model._module.config), use_cache=True,
                          position_ids=positions)
            prefix_acts = {key: value.index_select(0, rows)[:, :rest.cached] for key, value in bank["acts"].items()}
        pooled = _trace_pooled(model, ids, kwargs, kinds, layer_list, prefix_acts, last, content, word, info.remote)
        where = np.asarray(batch)
        for hook, pooling in specs:
            values = torch.stack([pooled[(hook, pooling, layer)] for layer in layer_list], dim=1)
            values = values.float().cpu().numpy()
            if (hook, pooling) not in out:
                out[(hook, pooling)] = np.empty((len(items),) + values.shape[1:], dtype=np.float32)
            out[(hook, pooling)][where] = values
        bar.update(len(batch))
    return out


def _trace_pooled(model, ids, kwargs, kinds, layer_list, prefix_acts, last, content, word, remote) -> dict:
    """One trace: every (hook, pooling, layer) pooled vector ``[batch, width]``; the model stops
    after the last requested layer."""
    import nnsight
    import torch

    with torch.inference_mode():
        with model.trace(ids, remote=remote, **kwargs) as tracer:
            pooled = {}

            def use(kind, layer, act):
                if (kind, layer) in prefix_acts:
                    act = torch.cat([prefix_acts[(kind, layer)], act], dim=1)
                for pooling in kinds[kind]:
                    pooled[(kind, pooling, layer)] = _pool(act, pooling, last, content, word)

            _capture(model, layer_list, kinds, use)
            pooled = nnsight.save(pooled)
            tracer.stop()
    return pooled


def _run_prefixes(model, ids_list, prefix_len, kinds, layer_list, batch_size, device) -> dict:
    """Pass A (local only): each distinct shared prefix once, keeping its keys/values and its
    activations at the requested sites (``collect._run_prefixes`` for nnsight)."""
    import nnsight

    prefixes = distinct_prefixes(ids_list, prefix_len)
    if not prefixes:
        return {"row": {}, "empty": 0, "kv": [], "acts": {}}
    width = len(prefixes[-1])
    parts: dict = {}

    def forward(ids, mask, cache):
        with model.trace(ids, attention_mask=mask, past_key_values=cache, use_cache=True) as tracer:
            kept = {}
            _capture(model, layer_list, kinds, lambda kind, layer, act: kept.__setitem__((kind, layer), act))
            if "resid_post" not in kinds:  # the last layer's keys/values are written once its block has run
                _layers(model)[max(layer_list)].output
            kept = nnsight.save(kept)
            tracer.stop()
        for key, act in kept.items():
            parts.setdefault(key, []).append(widen(act, 1, width))

    bank = prefix_bank(forward, prefixes, n_layers=max(layer_list) + 1, batch_size=batch_size, pad=pad_id(model),
                       device=device, config=model._module.config)
    bank["acts"] = {key: with_empty_row(value) for key, value in parts.items()}
    return bank


# ------------------------------------------------------------------ steering / ablation (local)
REPLAY = "nnsight-replay"  # the `hook` argument when `_capture` re-applies a resid_post hook (not a new call)
_RESID_HOOK = re.compile(r"blocks\.(\d+)\.hook_resid_(pre|mid|post)")


@contextlib.contextmanager
def hooks(model, fwd_hooks):
    """``bridge.hooks(fwd_hooks=...)`` for a local nnsight model: TransformerLens residual-stream
    names (``blocks.{l}.hook_resid_pre|mid|post``) with ``fn(activation, hook) -> activation``,
    installed as plain torch hooks on the wrapped Hugging Face modules, removed on exit.

    Why torch hooks and not an nnsight intervention: ``generate`` runs our own decoding loop
    (one forward per token with a KV cache, a generator per row, ``phase`` telling prompt from
    generated positions) straight on the Hugging Face model, and ``steer`` / ``ablate`` are
    context managers around arbitrary code. A trace per forward would add nnsight's per-call
    overhead for the same numbers. The hooks sit on the same modules TransformerLens hooks
    (layer output, ln2's input, layer 0's input), so both backends give the same tokens.
    nnsight reads a module's ``.output`` inside its forward, before torch's forward hooks run:
    so ``collect`` re-applies the active resid_post hooks to what it reads (``_emo_replay``,
    with ``hook=REPLAY``), and reads what flows on, as on TransformerLens.
    """
    import torch

    from .models import hf_module

    hf = hf_module(model)  # a ValueError for a remote model
    sites = model._emo_sites
    layers = hf.get_submodule(sites.layers)
    handles = []
    replay = list(getattr(model, "_emo_replay", []))
    before = replay[:]

    def on_output(fn):
        def hook(module, args, output):
            if isinstance(output, tuple):
                return (fn(output[0], None),) + tuple(output[1:])
            return fn(output, None)
        return hook

    def on_input(fn):
        def hook(module, args, kwargs):
            if args:
                return (fn(args[0], None),) + tuple(args[1:]), kwargs
            return args, {**kwargs, "hidden_states": fn(kwargs["hidden_states"], None)}
        return hook

    try:
        for name, fn in fwd_hooks:
            match = _RESID_HOOK.fullmatch(name)
            if not match or not 0 <= int(match.group(1)) < len(layers):
                raise ValueError(f"hook {name!r} has no nnsight equivalent here; backend='nnsight' supports "
                                 f"blocks.{{0..{len(layers) - 1}}}.hook_resid_pre|mid|post. Use backend='transformer_lens'.")
            block: torch.nn.Module = layers[int(match.group(1))]
            where = match.group(2)
            if where == "post":
                handles.append(block.register_forward_hook(on_output(fn)))
                replay.append((int(match.group(1)), fn))
            elif where == "pre":
                handles.append(block.register_forward_pre_hook(on_input(fn), with_kwargs=True))
            elif sites.mid is None:
                raise ValueError(f"{type(hf).__name__} has no pre-MLP norm for hook_resid_mid (ablate needs it); "
                                 f"use backend='transformer_lens'.")
            else:
                handles.append(block.get_submodule(sites.mid).register_forward_pre_hook(on_input(fn), with_kwargs=True))
        model._emo_replay = replay
        yield
    finally:
        for handle in handles:
            handle.remove()
        model._emo_replay = before


__all__ = ["find_sites", "supported_hooks", "check_hooks", "is_nnsight", "load", "run_chunk", "ndif_api_key",
           "hooks", "POOLINGS"]
