"""What a classifier costs in memory: parameter bytes touched, peak RSS, and how it scales.

A probe at layer L needs the embedding matrix and layers 0..L; prompting needs every layer,
the final norm and the unembedding (tied weights count once). Three tools:

- ``param_bytes(hf_model, upto_layer=L, head=False)``: bytes of the parameters a method
  touches, from a loaded Hugging Face model (tied tensors counted once).
- ``config_param_counts(cfg)`` and ``scaling_table()``: the same accounting from the
  published config numbers of Llama-family models (layers, d_model, d_ff, vocab, heads,
  KV heads), to show how the saving grows with depth and width.
- ``measure(...)``: peak resident memory (and wall time) of a method in a FRESH Python
  process that loads only the tensors the method needs (``load_partial``: the safetensors
  file read tensor by tensor, the model built without initialising weights, layers above
  L never created), runs it on a list of texts and reports ``ru_maxrss``.

    >>> from helpers.memory import measure
    >>> measure("probe", "smollm2-135m", texts, probe=probe)["peak_rss_mb"]
"""
from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

# ----------------------------------------------------------------------------- published configs
# Config numbers of Llama-architecture models as published in their config.json on the
# Hugging Face hub (hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
# num_key_value_heads, head_dim, vocab_size, tie_word_embeddings).
LLAMA_FAMILY_CONFIGS: list[dict] = [
    {"model": "SmolLM2-135M", "n_layers": 30, "d_model": 576, "d_ff": 1536, "n_heads": 9, "n_kv_heads": 3,
     "head_dim": 64, "vocab": 49152, "tied": True},
    {"model": "SmolLM2-360M", "n_layers": 32, "d_model": 960, "d_ff": 2560, "n_heads": 15, "n_kv_heads": 5,
     "head_dim": 64, "vocab": 49152, "tied": True},
    {"model": "SmolLM2-1.7B", "n_layers": 24, "d_model": 2048, "d_ff": 8192, "n_heads": 32, "n_kv_heads": 32,
     "head_dim": 64, "vocab": 49152, "tied": True},
    {"model": "Llama-3.2-1B", "n_layers": 16, "d_model": 2048, "d_ff": 8192, "n_heads": 32, "n_kv_heads": 8,
     "head_dim": 64, "vocab": 128256, "tied": True},
    {"model": "Llama-3.2-3B", "n_layers": 28, "d_model": 3072, "d_ff": 8192, "n_heads": 24, "n_kv_heads": 8,
     "head_dim": 128, "vocab": 128256, "tied": True},
    {"model": "Llama-2-7B", "n_layers": 32, "d_model": 4096, "d_ff": 11008, "n_heads": 32, "n_kv_heads": 32,
     "head_dim": 128, "vocab": 32000, "tied": False},
    {"model": "Llama-3.1-8B", "n_layers": 32, "d_model": 4096, "d_ff": 14336, "n_heads": 32, "n_kv_heads": 8,
     "head_dim": 128, "vocab": 128256, "tied": False},
    {"model": "Llama-2-13B", "n_layers": 40, "d_model": 5120, "d_ff": 13824, "n_heads": 40, "n_kv_heads": 40,
     "head_dim": 128, "vocab": 32000, "tied": False},
    {"model": "Llama-3.1-70B", "n_layers": 80, "d_model": 8192, "d_ff": 28672, "n_heads": 64, "n_kv_heads": 8,
     "head_dim": 128, "vocab": 128256, "tied": False},
    {"model": "Llama-3.1-405B", "n_layers": 126, "d_model": 16384, "d_ff": 53248, "n_heads": 128, "n_kv_heads": 8,
     "head_dim": 128, "vocab": 128256, "tied": False},
]


def config_param_counts(cfg: dict) -> dict:
    """Parameter counts of a Llama-architecture model from its config numbers.

    Per layer: q and o projections (d x heads*head_dim each), k and v (d x kv_heads*head_dim
    each), the gated MLP (3 x d x d_ff) and two RMSNorm weights (2 x d); no biases.
    Plus the embedding (vocab x d), the final norm (d) and, when not tied, the unembedding.
    """
    d, heads, kv = cfg["d_model"], cfg["n_heads"], cfg["n_kv_heads"]
    head_dim = cfg.get("head_dim") or d // heads
    attention = 2 * d * heads * head_dim + 2 * d * kv * head_dim
    per_layer = attention + 3 * d * cfg["d_ff"] + 2 * d
    embedding = cfg["vocab"] * d
    lm_head = 0 if cfg.get("tied", True) else cfg["vocab"] * d
    total = embedding + cfg["n_layers"] * per_layer + d + lm_head
    return {"embedding": embedding, "per_layer": per_layer, "final_norm": d, "lm_head": lm_head, "total": total}


def probe_params(counts: dict, layer: int) -> int:
    """Parameters a probe at ``layer`` needs: the embedding and layers 0..layer."""
    return counts["embedding"] + (int(layer) + 1) * counts["per_layer"]


def saving_fraction(counts: dict, layer: int) -> float:
    """1 - probe parameters / all parameters (what prompting needs)."""
    return 1.0 - probe_params(counts, layer) / counts["total"]


def layer_at_depth(n_layers: int, fraction: float) -> int:
    """The layer index at a depth fraction (0 = first layer, 1 = last)."""
    return int(min(n_layers - 1, max(0, round(fraction * n_layers) - 1)))


def deepest_probe_for_saving(counts: dict, n_layers: int, saving: float) -> float | None:
    """The largest share of the layers, (L+1)/n_layers, a probe can run and still save ``saving``
    of the parameters (None when even a layer-0 probe saves less)."""
    best = None
    for layer in range(n_layers):
        if saving_fraction(counts, layer) >= saving:
            best = (layer + 1) / n_layers
    return best


def scaling_table(configs: Sequence[dict] = LLAMA_FAMILY_CONFIGS,
                  depth_fractions: Sequence[float] = (0.25, 0.5, 0.75)) -> list[dict]:
    """Per model: parameter counts, embedding share, and the probe's saving at several depths.

    A probe at depth fraction f reads layer ``layer_at_depth(n_layers, f)`` (f = 0.5 of a
    30-layer model is layer 14). ``saving_at_50`` is the saving of a probe at mid-depth;
    ``depth_for_57`` the deepest probe (share of layers run) that still saves 57%, the paper's figure.
    """
    rows = []
    for cfg in configs:
        counts = config_param_counts(cfg)
        row = {k: cfg[k] for k in ("model", "n_layers", "d_model", "d_ff", "vocab", "n_heads", "n_kv_heads", "tied")}
        row.update({"params_total": counts["total"], "params_embedding": counts["embedding"],
                    "params_per_layer": counts["per_layer"],
                    "embedding_share": counts["embedding"] / counts["total"],
                    "layers_share": cfg["n_layers"] * counts["per_layer"] / counts["total"]})
        for f in depth_fractions:
            row[f"saving_at_{round(100 * f)}"] = saving_fraction(counts, layer_at_depth(cfg["n_layers"], f))
        row["depth_for_57"] = deepest_probe_for_saving(counts, cfg["n_layers"], 0.57)
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- counting a loaded model
_LAYER = re.compile(r"(?:^|\.)layers\.(\d+)\.")


def parameter_groups(hf_model) -> dict[str, list[tuple[str, object]]]:
    """Unique parameters (tied ones once) by group: "embedding", "layer.<i>", "head" (final norm +
    unembedding), "other" (anything else)."""
    embedding = hf_model.get_input_embeddings()
    output = hf_model.get_output_embeddings()
    embedding_ids = {id(p) for p in embedding.parameters()}
    output_ids = {id(p) for p in output.parameters()} if output is not None else set()
    base = getattr(hf_model, "model", hf_model)
    norm = getattr(base, "norm", None)
    norm_ids = {id(p) for p in norm.parameters()} if norm is not None else set()
    groups: dict[str, list] = {}
    seen: set[int] = set()
    for name, param in hf_model.named_parameters(remove_duplicate=False):
        key = param.data_ptr() if param.device.type != "meta" else id(param)
        if key in seen:
            continue
        seen.add(key)
        match = _LAYER.search(name)
        if id(param) in embedding_ids:
            group = "embedding"
        elif match:
            group = f"layer.{int(match.group(1))}"
        elif id(param) in output_ids or id(param) in norm_ids:
            group = "head"
        else:
            group = "other"
        groups.setdefault(group, []).append((name, param))
    return groups


def param_bytes(hf_model, upto_layer: int | None = None, head: bool = True) -> int:
    """Bytes of the parameters a method touches: embedding, layers 0..upto_layer (all when
    None), "other" parameters, and the final norm + unembedding when ``head``. Tied weights once."""
    total = 0
    for group, params in parameter_groups(hf_model).items():
        if group.startswith("layer."):
            if upto_layer is not None and int(group.split(".")[1]) > upto_layer:
                continue
        elif group == "head" and not head:
            continue
        total += sum(p.numel() * p.element_size() for _, p in params)
    return int(total)


def param_counts(hf_model) -> dict:
    """Parameter counts of a loaded model in the shape of ``config_param_counts`` (per_layer = mean)."""
    groups = parameter_groups(hf_model)
    n = lambda g: sum(p.numel() for _, p in groups.get(g, []))  # noqa: E731
    layers = [g for g in groups if g.startswith("layer.")]
    layer_total = sum(n(g) for g in layers)
    head = n("head")
    return {"embedding": n("embedding") + n("other"), "per_layer": layer_total / max(1, len(layers)),
            "head": head, "n_layers": len(layers), "total": n("embedding") + n("other") + layer_total + head}


# ----------------------------------------------------------------------------- partial loading
_DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64", "I64": "int64",
           "I32": "int32", "I8": "int8", "U8": "uint8", "BOOL": "bool"}


def safetensors_files(folder: str | os.PathLike) -> list[Path]:
    folder = Path(folder)
    index = folder / "model.safetensors.index.json"
    if index.exists():
        names = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return [folder / name for name in names]
    single = folder / "model.safetensors"
    if not single.exists():
        raise ValueError(f"No model.safetensors in {folder}.")
    return [single]


def read_safetensors(path: str | os.PathLike, keep: Callable[[str], bool] = lambda name: True) -> dict:
    """The tensors of one safetensors file whose names pass ``keep``, read one by one with
    plain file reads (no memory map), so only the kept tensors ever occupy memory."""
    import torch

    tensors = {}
    with open(path, "rb") as handle:
        (header_len,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_len))
        base = 8 + header_len
        for name, meta in header.items():
            if name == "__metadata__" or not keep(name):
                continue
            dtype = getattr(torch, _DTYPES[meta["dtype"]])
            start, end = meta["data_offsets"]
            tensor = torch.empty(meta["shape"], dtype=dtype)
            buffer = tensor.view(-1).view(torch.uint8).numpy() if tensor.numel() else None
            if buffer is not None:
                handle.seek(base + start)
                if handle.readinto(memoryview(buffer)) != end - start:
                    raise ValueError(f"{path}: tensor {name} is truncated.")
            tensors[name] = tensor
    return tensors


def load_partial(folder: str | os.PathLike, n_layers: int | None = None, head: bool = True):
    """A Hugging Face causal LM holding only layers 0..n_layers-1 (all when None) and, when
    ``head`` is False, no final norm and no unembedding (``model.model.norm`` is an identity,
    so ``model.model(...).last_hidden_state`` is the residual stream after the last layer kept).

    Weights are not initialised before loading, and only the tensors kept are read, so the
    process's memory holds exactly what the method needs.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.initialization import no_init_weights

    config = AutoConfig.from_pretrained(folder)
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    total_layers = text_config.num_hidden_layers
    keep_layers = total_layers if n_layers is None else int(n_layers)
    if not 1 <= keep_layers <= total_layers:
        raise ValueError(f"n_layers must lie in 1..{total_layers}, got {n_layers}")
    text_config.num_hidden_layers = keep_layers
    if getattr(text_config, "layer_types", None):
        text_config.layer_types = list(text_config.layer_types)[:keep_layers]
    with no_init_weights():
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)

    def keep(name: str) -> bool:
        match = _LAYER.search(name)
        if match:
            return int(match.group(1)) < keep_layers
        if not head and (name.startswith("lm_head.") or re.search(r"(?:^|\.)model\.norm\.", name)):
            return False
        return True

    state = {}
    for path in safetensors_files(folder):
        state.update(read_safetensors(path, keep))
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    del state
    tied = bool(getattr(text_config, "tie_word_embeddings", getattr(config, "tie_word_embeddings", False)))
    if head and tied:
        model.lm_head.weight = model.get_input_embeddings().weight
        missing = [m for m in missing if not m.startswith("lm_head.")]
    if not head:
        model.model.norm = torch.nn.Identity()
        model.lm_head = torch.nn.Identity()
        missing = [m for m in missing if not (m.startswith("lm_head.") or m.startswith("model.norm."))]
    if missing or unexpected:
        raise ValueError(f"Partial load of {folder}: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model.eval()


# ----------------------------------------------------------------------------- probe features
POOLED_HOOKS = ("resid_post", "attn_v")  # what a truncated plain-HF model can read (see pooled_states)


def pooled_states(base_model, ids_list: Sequence[Sequence[int]], pooling: str, first_content: int,
                  pad_id: int, batch_size: int = 32, hook: str = "resid_post") -> np.ndarray:
    """``pooling`` ("last" or "mean", the latter without the first ``first_content`` tokens) of the
    last layer of a truncated ``base_model``: [n, width]. Right-padded batches sorted by length.

    hook ``"resid_post"``: ``last_hidden_state`` (no final norm in a truncated model).
    ``"attn_v"``: the output of the last layer's ``v_proj``, the value vectors of all KV heads
    concatenated, which is what TransformerLens' ``attn.hook_v`` gives (checked by a test).
    """
    import torch

    from .batching import pad_rows

    if pooling not in ("last", "mean"):
        raise ValueError(f"pooling must be 'last' or 'mean' here, got {pooling!r}")
    if hook not in POOLED_HOOKS:
        raise ValueError(f"hook must be one of {POOLED_HOOKS} here, got {hook!r}")
    captured = {}
    handle = None
    if hook == "attn_v":
        handle = base_model.layers[-1].self_attn.v_proj.register_forward_hook(
            lambda module, inputs, output: captured.__setitem__("v", output))
    order = sorted(range(len(ids_list)), key=lambda i: (len(ids_list[i]), i))
    out = [None] * len(ids_list)
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                ids, mask = pad_rows([ids_list[i] for i in batch], pad_id)
                hidden = base_model(input_ids=ids, attention_mask=mask).last_hidden_state
                states = (captured["v"] if hook == "attn_v" else hidden).float()
                for row, i in enumerate(batch):
                    n = len(ids_list[i])
                    if pooling == "last":
                        out[i] = states[row, n - 1]
                    else:
                        out[i] = states[row, first_content:n].mean(0)
    finally:
        if handle is not None:
            handle.remove()
    return torch.stack(out).numpy()


# ----------------------------------------------------------------------------- measurement in a child process
def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _peak_rss_mb() -> float:
    """Peak resident memory of this process, MB.

    Linux: ``VmHWM`` of /proc/self/status, the high-water mark of the current address space.
    (``ru_maxrss`` is not usable in a child: Linux carries the parent's peak at fork time
    across ``exec``, so a child of a 1.5 GB notebook kernel would report >= 1.5 GB.)
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20  # Linux: KiB; macOS: bytes


def _child(spec: dict) -> dict:
    """Run one method in this (fresh) process; called by ``measure`` through ``python -m helpers.memory``."""
    rss_start = _rss_mb()
    import torch

    torch.set_num_threads(int(spec.get("threads", 1)))
    from .batching import pad_id
    from .prompting import LM, calibration_offset, prompt_logodds
    from .models import load_tokenizer, prepare_model

    name = spec["model"]
    folder = prepare_model(name) if not Path(name).is_dir() else Path(name)
    info_file = Path(folder) / "emo_model.json"
    meta = json.loads(info_file.read_text()) if info_file.exists() else {}
    tokenizer = load_tokenizer(str(folder))
    prepend_bos = bool(meta.get("prepend_bos", getattr(tokenizer, "add_bos_token", False))) and tokenizer.bos_token_id is not None
    rss_imports = _rss_mb()
    texts = spec["texts"]
    start = time.perf_counter()
    if spec["method"] == "prompt":
        model = load_partial(folder)
        load_seconds = time.perf_counter() - start
        rss_loaded = _rss_mb()
        lm = LM(hf=model, tokenizer=tokenizer, prepend_bos=prepend_bos,
                chat=getattr(tokenizer, "chat_template", None) is not None, name=name)
        examples = [tuple(e) for e in spec.get("examples", [])]
        batch_size = int(spec.get("batch_size", 16))
        start = time.perf_counter()
        raw = prompt_logodds(lm, texts, examples, batch_size)
        run_seconds = time.perf_counter() - start
        start = time.perf_counter()
        offset = calibration_offset(lm, examples, batch_size)
        output = {"raw": raw.tolist(), "calibrated": (raw - offset).tolist(), "offset": offset,
                  "calibration_seconds": time.perf_counter() - start}
    elif spec["method"] == "probe":
        from .probes import load as load_probes

        probe = load_probes(spec["probe_path"])[spec.get("probe_key", "valence")]
        model = load_partial(folder, n_layers=probe.layer + 1, head=False)
        load_seconds = time.perf_counter() - start
        rss_loaded = _rss_mb()
        start = time.perf_counter()
        bos = [tokenizer.bos_token_id] if prepend_bos else []
        ids = [bos + list(x) for x in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]
        X = pooled_states(model.model, ids, probe.pooling, len(bos), pad_id(tokenizer), int(spec.get("batch_size", 32)),
                          hook=probe.hook)
        decision = probe.decision_function(X)
        run_seconds = time.perf_counter() - start
        output = {"decision": decision.tolist()}
    else:
        raise ValueError(f"Unknown method {spec['method']!r}")
    return {"method": spec["method"], "model": name, "n_texts": len(texts),
            "param_bytes": param_bytes(model, head=spec["method"] == "prompt"),
            "rss_start_mb": rss_start, "rss_after_imports_mb": rss_imports, "rss_after_load_mb": rss_loaded,
            "peak_rss_mb": _peak_rss_mb(), "load_seconds": load_seconds, "run_seconds": run_seconds,
            "seconds_per_100": 100 * run_seconds / max(1, len(texts)), "threads": int(spec.get("threads", 1)),
            **output}


def measure(method: str, model_name: str, texts: Sequence[str], *, probe=None,
            examples: Sequence[tuple[str, str]] = (), batch_size: int | None = None, threads: int = 1,
            timeout: float = 1800) -> dict:
    """Peak RSS, parameter bytes and wall time of one method in a fresh Python process.

    ``model_name``: an offline model (``"smollm2-135m"``, ``"gemma3-270m"``), a ``.gguf`` path or a
    local Hugging Face folder with ``model.safetensors`` (hub names are not supported here).

    method "prompt": the full model (all layers, final norm, unembedding) scores ``texts``
    with the zero-shot prompt, or few-shot with ``examples``, plus the three content-free
    prompts of calibration (timed apart: ``calibration_seconds``). method "probe": the model truncated after ``probe.layer``
    (no final norm, no unembedding) and the probe read-out. ``threads``: torch threads in
    the child. Returns the child's report (``peak_rss_mb``, ``param_bytes``,
    ``seconds_per_100``, ``load_seconds``, RSS after imports and after loading, and the
    outputs: ``raw``/``calibrated`` log-odds or probe ``decision``).
    """
    from .paths import ROOT

    if method not in ("prompt", "probe"):
        raise ValueError(f"method must be 'prompt' or 'probe', got {method!r}")
    spec = {"method": method, "model": model_name, "texts": list(texts), "examples": [list(e) for e in examples],
            "threads": int(threads)}
    if batch_size is not None:
        spec["batch_size"] = int(batch_size)
    with tempfile.TemporaryDirectory(prefix="emo-measure-") as tmp:
        if method == "probe":
            from .probes import save as save_probes

            if probe is None:
                raise ValueError("method='probe' needs probe=<helpers.probes.Probe>.")
            if probe.hook not in POOLED_HOOKS or probe.pooling not in ("last", "mean"):
                raise ValueError(f"measure() runs probes on hooks {POOLED_HOOKS} with last/mean pooling; this probe "
                                 f"reads {probe.hook!r}, {probe.pooling!r}: retrain it on one of those.")
            spec["probe_path"] = str(save_probes(Path(tmp) / "probe.npz", [probe]))
            spec["probe_key"] = f"{probe.axis}/{probe.kind}"
        spec_path = Path(tmp) / "spec.json"
        out_path = Path(tmp) / "out.json"
        spec_path.write_text(json.dumps(spec))
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
               "TOKENIZERS_PARALLELISM": "false"}
        process = subprocess.run([sys.executable, "-m", "helpers.memory", str(spec_path), str(out_path)],
                                 cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=timeout)
        if process.returncode != 0 or not out_path.exists():
            raise RuntimeError(f"Measurement of {method} on {model_name} failed (exit {process.returncode}):\n"
                               f"{process.stderr[-3000:]}")
        return json.loads(out_path.read_text())


if __name__ == "__main__":
    spec_file, out_file = sys.argv[1], sys.argv[2]
    import warnings

    warnings.filterwarnings("ignore")
    report = _child(json.loads(Path(spec_file).read_text()))
    Path(out_file).write_text(json.dumps(report))
