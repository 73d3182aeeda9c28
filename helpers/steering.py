"""Steer generation by adding emotion directions to the residual stream, or ablate them.

    >>> from helpers.steering import steer, generate
    >>> from helpers.probes import quick_probes
    >>> valence = quick_probes(model, layer=21)[1]     # the valence mean_diff probe at layer 21
    >>> with steer(model, valence, alpha=3.0):          # layer: the probe's own
    ...     text = generate(model, "I walked into the kitchen and", max_new_tokens=40, seed=0)
    >>> with steer(model, [valence, arousal], alpha=[3.0, -2.0]) as handle:   # two axes at once
    ...     ...

``steer`` adds ``alpha * scale * unit(direction)`` to ``blocks.{layer}.hook_resid_post``
(a TransformerLens hook point of the bridge) for as long as the ``with`` block lasts; the
hooks are removed on exit, also after an exception. **alpha is in standard deviations**:
for a ``Probe`` the scale is ``probe.projection_std`` (the spread of the training prompts'
activations along the direction), so ``alpha = 2`` moves the residual stream by two
"typical prompt-to-prompt differences" along the axis, whatever the model or layer. For a
raw vector pass ``scale=`` (that std); without it the vector is normalised to unit norm and
alpha is in raw residual-stream units. Lists of directions / alphas (/ layers / scales)
steer along several axes at once, e.g. valence and arousal.

``generate`` is our own sampling loop on the HF model inside the bridge
(``model.original_model``, whose sub-modules ARE the bridge's components, so every bridge
hook fires), with a KV cache, left-padded batches with correct position ids, and
Gumbel-max sampling driven by one ``torch.Generator`` per row: a row's continuation
depends only on (prompt, seed, steering), not on the batch it runs in, and a steered and
an unsteered run with the same seed share their random numbers (a paired comparison).

``ablate`` projects a direction out of the residual stream after the embeddings and after
every attention and MLP block: the model can no longer write to or read from that axis.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np

from .models import model_info

RESID_POST = "blocks.{layer}.hook_resid_post"
POSITIONS = ("all", "prompt", "new")
_PHASE_ATTR = "_emo_generation_phase"  # "prefill" / "decode" while generate() runs


# ------------------------------------------------------------------ directions
@dataclass
class SteeringVector:
    """One resolved direction: unit vector, its std scale, layer and alpha."""

    direction: np.ndarray  # unit vector [d_model]
    scale: float           # alpha = 1 adds `scale` units along `direction`
    layer: int
    alpha: float
    name: str = ""

    @property
    def vector(self) -> np.ndarray:
        """What is added to the residual stream: alpha * scale * direction."""
        return (self.alpha * self.scale * self.direction).astype(np.float32)


def _unit(vector, what: str) -> np.ndarray:
    array = np.asarray(vector.detach().cpu().numpy() if hasattr(vector, "detach") else vector, dtype=np.float64)
    array = array.reshape(-1)
    norm = float(np.linalg.norm(array))
    if not np.isfinite(norm) or norm == 0:
        raise ValueError(f"{what} has zero (or non-finite) norm; it cannot define a direction.")
    return (array / norm).astype(np.float32)


def resolve(direction, scale: float | None = None, what: str = "direction") -> tuple[np.ndarray, float, int | None, str]:
    """(unit vector, scale, the probe's layer or None, name) of a Probe or a raw vector.

    Probe: ``probe.direction`` and ``probe.projection_std`` (``scale=`` overrides the std).
    Raw vector: normalised to unit norm; scale = ``scale`` or 1.0 (then alpha is in raw units).
    """
    if hasattr(direction, "direction") and hasattr(direction, "projection_std"):
        unit = _unit(direction.direction, what)
        std = float(direction.projection_std if scale is None else scale)
        return unit, std, int(direction.layer), f"{direction.axis}/{direction.kind}"
    unit = _unit(direction, what)
    return unit, float(1.0 if scale is None else scale), None, "vector"


def _as_list(value, n: int, name: str) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} has {len(value)} entries but there are {n} directions.")
        return list(value)
    return [value] * n


def steering_vectors(model, direction, layer=None, alpha=1.0, scale=None) -> list[SteeringVector]:
    """Resolve ``steer``'s arguments (single values or lists) into ``SteeringVector``s."""
    info = model_info(model)
    directions = list(direction) if isinstance(direction, (list, tuple)) else [direction]
    if not directions:
        raise ValueError("direction is empty: pass a Probe, a vector, or a list of them.")
    n = len(directions)
    layers, alphas, scales = _as_list(layer, n, "layer"), _as_list(alpha, n, "alpha"), _as_list(scale, n, "scale")
    result = []
    for i, (d, lay, a, s) in enumerate(zip(directions, layers, alphas, scales)):
        unit, std, probe_layer, name = resolve(d, s, what=f"direction[{i}]")
        lay = probe_layer if lay is None else lay
        if lay is None:
            raise ValueError("layer is required when the direction is a raw vector (a Probe brings its own).")
        if isinstance(lay, bool) or not isinstance(lay, (int, np.integer)) or not 0 <= int(lay) < info.n_layers:
            raise ValueError(f"layer {lay!r} is out of range: {info.name} has layers 0..{info.n_layers - 1}.")
        if unit.shape[0] != info.d_model:
            raise ValueError(f"direction[{i}] has width {unit.shape[0]}, the model's residual stream {info.d_model} "
                             "(a probe on another hook, e.g. attn_v, cannot be added to the residual stream).")
        if not np.isfinite(float(a)):
            raise ValueError(f"alpha {a!r} is not a finite number.")
        result.append(SteeringVector(unit, std, int(lay), float(a), name))
    return result


# ------------------------------------------------------------------ hooks
@dataclass
class SteeringHandle:
    """What ``steer`` / ``ablate`` yield: the resolved vectors, a fire counter, ``.remove()``."""

    vectors: list[SteeringVector] = field(default_factory=list)
    hook_names: list[str] = field(default_factory=list)
    calls: int = 0          # how many times a hook modified an activation
    _stack: contextlib.ExitStack | None = None

    def remove(self) -> None:
        """Remove the hooks now (idempotent); the ``with`` block's exit does it too."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()

    @property
    def active(self) -> bool:
        return self._stack is not None


def _phase(model) -> str | None:
    return getattr(model, _PHASE_ATTR, None)


def _position_mask(model, positions: str, seq_len: int):
    """Which positions of the current forward get the vector: slice or None (= all)."""
    phase = _phase(model)
    if positions == "all":
        return slice(None)
    if positions == "prompt":
        # Outside generate() every forward is "the prompt"; during decoding nothing is.
        return None if phase == "decode" else slice(None)
    # "new": positions whose next-token distribution is sampled = the last prompt token and
    # every generated token. Outside generate() that is the last position.
    if phase == "decode":
        return slice(None)
    return slice(seq_len - 1, seq_len)


@contextlib.contextmanager
def steer(model, direction, layer: int | Sequence[int] | None = None, alpha: float | Sequence[float] = 1.0,
          positions: str = "all", scale: float | Sequence[float | None] | None = None) -> Iterator[SteeringHandle]:
    """Add ``alpha * scale * unit(direction)`` to ``blocks.{layer}.hook_resid_post`` inside the block.

    direction: a ``Probe`` (its ``direction`` and ``projection_std``; ``layer`` defaults to
    the probe's), a raw vector (numpy / torch / list; normalised to unit norm; ``scale``
    defaults to 1.0, i.e. raw units), or a list of these. layer / alpha / scale: one value
    or one per direction. positions: ``"all"`` (every position, prompt and generated
    tokens), ``"prompt"`` (prompt tokens only: the prefill pass of ``generate``), ``"new"``
    (the last prompt token and every generated token). Yields a ``SteeringHandle``; the
    hooks are gone after the block, also when it raises.
    """
    import torch

    if positions not in POSITIONS:
        raise ValueError(f"positions must be one of {list(POSITIONS)}, got {positions!r}.")
    vectors = steering_vectors(model, direction, layer, alpha, scale)
    device = next(model.original_model.parameters()).device
    by_layer: dict[int, np.ndarray] = {}
    for vec in vectors:
        by_layer[vec.layer] = by_layer.get(vec.layer, 0) + vec.vector
    handle = SteeringHandle(vectors=vectors)

    def make_hook(delta_np: np.ndarray):
        cached: dict = {}

        def add(activation, hook):
            where = _position_mask(model, positions, activation.shape[1])
            if where is None:
                return activation
            key = (activation.dtype, activation.device)
            if key not in cached:
                cached[key] = torch.as_tensor(delta_np, dtype=activation.dtype, device=activation.device)
            handle.calls += 1
            if where == slice(None):
                return activation + cached[key]
            activation = activation.clone()
            activation[:, where] += cached[key]
            return activation
        return add

    # alpha 0 still installs its hook (x + 0.0 == x exactly), so the path is always exercised.
    fwd_hooks = [(RESID_POST.format(layer=lay), make_hook(delta)) for lay, delta in sorted(by_layer.items())]
    handle.hook_names = [name for name, _ in fwd_hooks]
    stack = contextlib.ExitStack()
    stack.enter_context(model.hooks(fwd_hooks=fwd_hooks))
    handle._stack = stack
    try:
        yield handle
    finally:
        handle.remove()


def ablation_hook_names(model) -> list[str]:
    """Every residual-stream write: the embeddings (block 0's resid_pre), then each block's
    resid_mid (after attention) and resid_post (after the MLP), which feeds the next block."""
    info = model_info(model)
    names = ["blocks.0.hook_resid_pre"]
    for layer in range(info.n_layers):
        names += [f"blocks.{layer}.hook_resid_mid", RESID_POST.format(layer=layer)]
    return names


@contextlib.contextmanager
def ablate(model, direction, layers: Sequence[int] | None = None) -> Iterator[SteeringHandle]:
    """Project ``direction`` (a Probe, a vector, or a list of them) out of the residual stream.

    ``x <- x - (x . u) u`` for the unit vector(s) ``u`` (orthonormalised when several) at
    block 0's ``hook_resid_pre`` and every block's ``hook_resid_mid`` and ``hook_resid_post``
    (``layers`` restricts to those blocks), at every position: no layer can write to the
    direction, so none can read it. Hooks removed on exit.
    """
    import torch

    directions = list(direction) if isinstance(direction, (list, tuple)) else [direction]
    units = np.stack([resolve(d, what=f"direction[{i}]")[0] for i, d in enumerate(directions)], axis=1)
    basis, _ = np.linalg.qr(units.astype(np.float64))  # [d_model, k], orthonormal columns
    info = model_info(model)
    if basis.shape[0] != info.d_model:
        raise ValueError(f"direction has width {basis.shape[0]}, the model's residual stream {info.d_model}.")
    names = ablation_hook_names(model)
    if layers is not None:
        keep = {int(layer) for layer in layers}
        names = [n for n in names if int(n.split(".")[1]) in keep]
    handle = SteeringHandle(vectors=[SteeringVector(basis[:, j].astype(np.float32), 0.0, -1, 0.0, "ablated")
                                     for j in range(basis.shape[1])], hook_names=names)
    cached: dict = {}

    def project_out(activation, hook):
        key = (activation.dtype, activation.device)
        if key not in cached:
            cached[key] = torch.as_tensor(basis, dtype=activation.dtype, device=activation.device)
        u = cached[key]
        handle.calls += 1
        return activation - (activation @ u) @ u.T

    stack = contextlib.ExitStack()
    stack.enter_context(model.hooks(fwd_hooks=[(name, project_out) for name in names]))
    handle._stack = stack
    try:
        yield handle
    finally:
        handle.remove()


# ------------------------------------------------------------------ generation
def prepare_prompt(model, prompt: str, chat: bool | None = False) -> list[int]:
    """Token ids of a prompt: a raw continuation (BOS if the model wants one) or a chat turn.

    ``chat=False`` (default): the text is continued as is; this is what steering of
    continuations wants ("I walked into the kitchen and ..."). ``chat=True``: the prompt is
    the user's message in the model's chat template, and the reply is generated.
    ``chat=None``: chat if the model has a chat template.
    """
    from .collect import encode_many

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
    config = getattr(model.original_model, "generation_config", None)
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


def steering_add(vectors: Sequence[SteeringVector]) -> dict[int, np.ndarray]:
    """``{layer: summed vector}`` of resolved steering vectors (for ``Job.add``)."""
    add: dict[int, np.ndarray] = {}
    for vec in vectors:
        add[vec.layer] = add.get(vec.layer, 0) + vec.vector
    return add


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
    device = next(model.original_model.parameters()).device
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
                fwd_hooks.append((RESID_POST.format(layer=layer),
                                  _row_hook(model, torch.as_tensor(delta, device=device), positions)))
        with model.hooks(fwd_hooks=fwd_hooks):
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
        where = _position_mask(model, positions, activation.shape[1])
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

    hf = model.original_model
    device = next(hf.parameters()).device
    pad = model.tokenizer.pad_token_id if model.tokenizer.pad_token_id is not None else 0
    length = max(len(e) for e in encoded)
    ids = torch.full((len(encoded), length), pad, dtype=torch.long)
    mask = torch.zeros((len(encoded), length), dtype=torch.long)
    for row, e in enumerate(encoded):  # left padding: every row's last token is at position -1
        ids[row, length - len(e):] = torch.tensor(e)
        mask[row, length - len(e):] = 1
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


# ================================================================== notebook 05 experiments
# Everything below serves notebooks/05_steering.ipynb: directions at several layers, a memo of
# generated continuations, judges applied per text, and per-alpha summaries and figures.

DIRECTION_KINDS = ("logreg", "mean_diff", "pc1", "mean_diff_affirmative")
KIND_LABELS = {"logreg": "probe weights (logreg)", "mean_diff": "mean difference", "pc1": "PC1",
               "mean_diff_affirmative": "mean difference, affirmative prompts"}


def neutral_prompts(path=None) -> list[str]:
    """The continuation prompts of ``data/neutral_prompts.txt`` (comments and blank lines skipped)."""
    from pathlib import Path

    from .paths import DATA_DIR

    path = Path(path) if path is not None else Path(DATA_DIR) / "neutral_prompts.txt"
    if not path.exists():
        raise ValueError(f"{path} does not exist; it holds one neutral continuation prompt per line.")
    prompts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    prompts = [p for p in prompts if p and not p.startswith("#")]
    if not prompts:
        raise ValueError(f"{path} holds no prompts.")
    return prompts


def training_prompts(axis: str, n_prompts: int = 800, seed: int = 0):
    """The prompts ``quick_probes`` trains on: ``n_prompts`` of ``load_prompts(axis)`` drawn with ``seed``."""
    from .data import load_prompts

    df = load_prompts(axis=axis)
    if len(df) > n_prompts:
        df = df.sample(n=n_prompts, random_state=seed).sort_index()
    return df


def train_directions(model, layers: Sequence[int], axes: Sequence[str] = ("valence", "arousal"),
                     kinds: Sequence[str] = DIRECTION_KINDS, n_prompts: int = 800, seed: int = 0) -> dict:
    """``{(axis, kind, layer): Probe}``: ``quick_probes``' recipe at every layer from ONE forward pass.

    resid_post, last-token pooling, ``n_prompts`` dataset prompts per axis (affirmative and
    negated, labels by meaning), logreg C by CV grouped by adjective. The extra kind
    ``"mean_diff_affirmative"`` is the class-mean difference on the affirmative prompts only
    (labels = the adjective's own class; no negation to compose).
    """
    from .collect import collect
    from .probes import train_probe

    info = model_info(model)
    result = {}
    for axis in axes:
        df = training_prompts(axis, n_prompts, seed)
        X = collect(model, df["prompt"].tolist(), hook="resid_post", pooling="last", layers=list(layers))
        y = df["y"].to_numpy()
        groups = df["adjective"].to_numpy()
        affirmative = ~df["negation"].to_numpy(dtype=bool)
        for slot, layer in enumerate(layers):
            for kind in kinds:
                if kind == "mean_diff_affirmative":
                    probe = train_probe(X[affirmative, slot], y[affirmative], axis=axis, kind="mean_diff",
                                        hook="resid_post", pooling="last", layer=layer, model_name=info.name)
                    probe.kind = kind
                else:
                    probe = train_probe(X[:, slot], y, axis=axis, kind=kind, hook="resid_post", pooling="last",
                                        layer=layer, model_name=info.name, seed=seed, groups=groups)
                probe.metrics["source"] = "train_directions"
                result[(axis, kind, int(layer))] = probe
    return result


def directions_from_file(path, model) -> tuple[dict, dict, str]:
    """``(directions, readers, note)`` from a ``probes.npz`` (notebook 03).

    directions: ``{(axis, kind, layer): Probe}`` of its residual-stream probes; probes on other
    hooks (e.g. ``attn_v``) live in another space and cannot be added to the residual stream.
    readers: ``{axis: Probe}``, the file's main (logreg) probe per axis, any hook, unless it
    pools over the emotion word (generated text has none). A missing file gives ``({}, {}, note)``.
    """
    from pathlib import Path

    from .probes import load

    path = Path(path)
    if not path.exists():
        return {}, {}, f"{path} not found: directions come from train_directions (quick_probes' recipe)"
    info = model_info(model)
    found, readers, skipped = {}, {}, []
    for key, probe in load(path).items():
        if "/" not in key:
            if probe.pooling != "word":
                readers[key] = probe
            continue
        if probe.hook != "resid_post" or probe.direction.shape[0] != info.d_model:
            skipped.append(f"{key} ({probe.hook})")
            continue
        found[(probe.axis, probe.kind, probe.layer)] = probe
    note = (f"{path}: {len(found)} residual-stream probes used as directions"
            + (f"; not steerable: {', '.join(skipped)}" if skipped else "")
            + f"; readers from the file: {sorted(readers)}")
    return found, readers, note


@dataclass(frozen=True)
class Condition:
    """One steering condition of an experiment (hashable: the memo key of its continuations)."""

    experiment: str
    axis: str = "none"      # "valence" | "arousal" | "none" (unsteered) | "random"
    kind: str = "none"
    layer: int = -1
    alpha: float = 0.0


class Continuations:
    """Generate and judge continuations once: a memo keyed by (prompt, seed, what was added).

    ``run(model, conditions_with_vectors, prompts, seeds)`` returns a DataFrame with one row per
    (condition, prompt, seed) and the text; rows with nothing added (alpha 0) share the
    unsteered text. ``score(...)`` adds the judges' columns, also memoised per text.
    """

    def __init__(self, max_new_tokens: int = 32, temperature: float = 0.8, top_k: int = 50, top_p: float = 0.95,
                 batch_size: int = 32, positions: str = "all", chat: bool | None = False):
        self.settings = dict(max_new_tokens=max_new_tokens, temperature=temperature, top_k=top_k, top_p=top_p,
                             batch_size=batch_size, positions=positions, chat=chat)
        self.texts: dict = {}
        self.scores: dict = {}
        self.seconds = 0.0
        self.generated = 0

    @staticmethod
    def _vector_key(add: dict | None):
        if not add:
            return None
        items = [(int(layer), np.asarray(vec, dtype=np.float32)) for layer, vec in sorted(add.items())]
        if all(not np.any(vec) for _, vec in items):
            return None
        return tuple((layer, vec.tobytes()) for layer, vec in items)

    def run(self, model, conditions: Sequence[tuple[Condition, dict | None]], prompts: Sequence[str],
            seeds: Sequence[int], progress: bool = False, tag: str = ""):
        """DataFrame [experiment, axis, kind, layer, alpha, prompt, seed, text] for every combination.

        ``tag`` names anything else active around the call (e.g. an ``ablate`` block): it is
        part of the memo key, so ablated and plain continuations are never mixed up.
        """
        import time

        import pandas as pd

        rows, todo, todo_keys = [], [], []
        for condition, add in conditions:
            vkey = self._vector_key(add)
            for prompt in prompts:
                for seed in seeds:
                    key = (prompt, int(seed), vkey, tag)
                    if key not in self.texts and key not in todo_keys:
                        todo.append(Job(prompt, int(seed), add if vkey is not None else None))
                        todo_keys.append(key)
                    rows.append({**condition.__dict__, "prompt": prompt, "seed": int(seed), "_key": key})
        if todo:
            start = time.perf_counter()
            texts = generate_many(model, todo, progress=progress, **self.settings)
            self.seconds += time.perf_counter() - start
            self.generated += len(todo)
            self.texts.update(zip(todo_keys, texts))
        df = pd.DataFrame(rows)
        df["text"] = [self.texts[key] for key in df.pop("_key")]
        return df

    def score(self, model, df, readers: dict | None = None, perplexity: bool = True, model_rows=None):
        """Add judge columns: vader, distinct2, arousal_index, high_rate, low_rate, exclaims,
        perplexity (under the unsteered model, given the prompt) and ``readout_<axis>`` for each
        reader probe (its read-out of prompt + continuation, unsteered model, no cache).

        ``model_rows`` (boolean mask over ``df``): compute the model-based columns (perplexity,
        read-outs: a forward pass per text) only for these rows; the others get NaN there.
        """
        from . import judges
        from .probes import readout

        readers = readers or {}
        cheap = {"vader", "distinct2", "arousal_index", "high_rate", "low_rate", "exclaims"}
        heavy = ({"perplexity"} if perplexity else set()) | {f"readout_{axis}" for axis in readers}
        all_pairs = list(zip(df["prompt"], df["text"]))
        mask = np.ones(len(df), dtype=bool) if model_rows is None else np.asarray(model_rows, dtype=bool)
        heavy_pairs = set(pair for pair, m in zip(all_pairs, mask) if m)
        pairs = list(dict.fromkeys(all_pairs))
        todo_cheap = [pair for pair in pairs if not cheap <= set(self.scores.get(pair, {}))]
        if todo_cheap:
            texts = [text for _, text in todo_cheap]
            columns = {"vader": judges.vader(texts), "distinct2": judges.distinct_n(texts, 2),
                       **judges.arousal_scores(texts)}
            for i, pair in enumerate(todo_cheap):
                self.scores.setdefault(pair, {}).update({name: float(values[i]) for name, values in columns.items()})
        for name in sorted(heavy):
            todo = [pair for pair in pairs if pair in heavy_pairs and name not in self.scores[pair]]
            if not todo:
                continue
            if name == "perplexity":
                values = judges.perplexity(model, [p for p, _ in todo], [t for _, t in todo], chat=self.settings["chat"])
            else:
                values = readout(model, readers[name[len("readout_"):]], [p + t for p, t in todo], cache=False)
            for pair, value in zip(todo, values):
                self.scores[pair][name] = float(value)
        out = df.copy()
        for name in sorted(cheap | heavy):
            out[name] = [self.scores[pair].get(name, np.nan) if (name in cheap or m) else np.nan
                         for pair, m in zip(all_pairs, mask)]
        return out


def steered(model, probe, alphas: Sequence[float], experiment: str, layer: int | None = None,
            scale: float | None = None, axis: str | None = None, kind: str | None = None):
    """``[(Condition, Job.add)]`` for one direction over ``alphas`` (alpha 0 = unsteered)."""
    result = []
    for alpha in alphas:
        [vec] = steering_vectors(model, probe, layer, float(alpha), scale)
        condition = Condition(experiment, axis or getattr(probe, "axis", "vector"), kind or getattr(probe, "kind", "vector"),
                              vec.layer, float(alpha))
        result.append((condition, steering_add([vec])))
    return result


def dose_table(df, metrics: Sequence[str], by: Sequence[str] = ("alpha",)):
    """Per group: n and, for every metric, mean, ci_low, ci_high (95% t-interval over rows)."""
    import pandas as pd

    from .judges import mean_ci

    rows = []
    for key, group in df.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        row["n"] = len(group)
        for metric in metrics:
            if metric not in group:
                continue
            mean, low, high = mean_ci(group[metric].to_numpy(dtype=float))
            row[metric], row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = mean, low, high
        rows.append(row)
    return pd.DataFrame(rows)


def response_stats(df, metric: str = "vader") -> dict:
    """Dose-response of one condition family: Spearman rho of alpha vs the per-alpha mean,
    the OLS slope per unit alpha over rows, and the gap mean(max alpha) - mean(min alpha)."""
    from scipy import stats

    means = df.groupby("alpha")[metric].mean()
    rho = float(stats.spearmanr(means.index, means.values)[0]) if len(means) > 2 and means.std() > 0 else float("nan")
    values = df[[metric, "alpha"]].dropna()
    slope = float(np.polyfit(values["alpha"], values[metric], 1)[0]) if values["alpha"].nunique() > 1 else float("nan")
    return {"spearman_rho": rho, "slope": slope, "gap": float(means.iloc[-1] - means.iloc[0]),
            "alphas": [float(a) for a in means.index], "means": [float(m) for m in means.values]}


def direction_accuracy(probe) -> float:
    """How well the direction's own probe separates its training classes (CV accuracy for
    logreg, else training accuracy of the read-out along the direction)."""
    metrics = getattr(probe, "metrics", {}) or {}
    return float(metrics.get("cv_accuracy", metrics.get("train_accuracy", float("nan"))))


def rank_by_response(stats_rows: Sequence[dict], key: str, max_perplexity_ratio: float = 2.0,
                     min_direction_accuracy: float = 0.7) -> dict:
    """The best row: highest Spearman rho (NaN last), ties broken by the larger VADER gap,
    among the ELIGIBLE rows (all rows when none is): perplexity ratio <= ``max_perplexity_ratio``
    at both extreme alphas (the text stays fluent) and ``direction_accuracy`` >=
    ``min_direction_accuracy`` (the direction does read the axis). Marks rows with ``eligible``."""
    if not stats_rows:
        raise ValueError(f"No rows to choose the best {key} from.")

    def eligible(row) -> bool:
        ratios = [row.get("perplexity_ratio_at_min_alpha", 1.0), row.get("perplexity_ratio_at_max_alpha", 1.0)]
        accuracy = row.get("direction_accuracy", 1.0)
        return (all(r is not None and r <= max_perplexity_ratio for r in ratios)
                and (accuracy is None or not np.isfinite(accuracy) or accuracy >= min_direction_accuracy))

    for row in stats_rows:
        row["eligible"] = bool(eligible(row))
    pool = [row for row in stats_rows if row["eligible"]] or list(stats_rows)

    def score(row):
        rho = row.get("spearman_rho")
        rho = -2.0 if rho is None or not np.isfinite(rho) else rho
        return (round(rho, 6), row.get("gap", 0.0))
    return max(pool, key=score)


def geometric_mean_ratio(df, metric: str = "perplexity") -> dict[float, float]:
    """alpha -> exp(mean log metric at alpha) / exp(mean log metric at alpha 0)."""
    logs = df.assign(_log=np.log(df[metric].astype(float))).groupby("alpha")["_log"].mean()
    if 0.0 not in logs.index:
        raise ValueError("The alpha grid needs 0 (the unsteered reference).")
    return {float(a): float(np.exp(v - logs.loc[0.0])) for a, v in logs.items()}


def range_within(ratios: dict[float, float], limit: float = 1.5) -> list[float]:
    """[lowest, highest] alpha of the contiguous run around 0 whose ratio stays <= limit."""
    alphas = sorted(ratios)
    zero = alphas.index(0.0)
    low = high = zero
    while low - 1 >= 0 and ratios[alphas[low - 1]] <= limit:
        low -= 1
    while high + 1 < len(alphas) and ratios[alphas[high + 1]] <= limit:
        high += 1
    return [alphas[low], alphas[high]]


def probe_accuracy(probe, X: np.ndarray, y: np.ndarray) -> float:
    """Share of rows the probe classifies right (read-out > 0 means class 1)."""
    return float((probe.predict(X) == np.asarray(y)).mean())


def fresh_probe_accuracy(X: np.ndarray, y: np.ndarray, groups=None, seed: int = 0) -> float:
    """Cross-validated accuracy of a NEW logistic-regression probe on these activations."""
    from .probes import cross_validate_C

    return cross_validate_C(X, y, groups=groups, seed=seed)[1]


def random_unit(d_model: int, seed: int = 0) -> np.ndarray:
    """A random unit vector (Gaussian, normalised): the control direction."""
    vector = np.random.default_rng(seed).standard_normal(d_model)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def ablation_experiment(model, direction, readers: dict, store: Continuations, *, n_prompts: int = 16,
                        seeds: Sequence[int] = (0, 1), n_eval: int = 400, train_prompts: int = 800, seed: int = 0):
    """Project ``direction`` out at every layer; compare with no ablation and a random direction.

    - Probe accuracy: each reader probe (``{name: Probe}``, any hook) on ``n_eval`` held-out
      valence prompts (not among the ``train_prompts`` the directions were trained on), all and
      affirmative-only, plus the cross-validated accuracy of a FRESH logistic regression
      trained on the (ablated) activations at the direction's layer: is valence still
      linearly readable elsewhere?
    - VADER gap: continuations of ``n_prompts`` positive and ``n_prompts`` negative affirmative
      held-out prompts ("Bob feels delighted, so Bob"), VADER of the continuation only;
      gap = mean(positive) - mean(negative), with a 95% interval.
    Returns ``(summary dict, continuations DataFrame)``.
    """
    import pandas as pd

    from .collect import collect_many
    from .data import load_prompts
    from .judges import mean_ci

    info = model_info(model)
    unit, _, layer, _ = resolve(direction)
    layer = int(layer if layer is not None else info.n_layers // 2)
    control = random_unit(info.d_model, seed)
    df = load_prompts(axis="valence")
    used = set(training_prompts("valence", train_prompts, seed)["prompt"])
    held = df[~df["prompt"].isin(used)].sample(n=min(n_eval, len(df)), random_state=seed + 1)
    reader_layers = sorted({int(p.layer) for p in readers.values()} | {layer})
    specs = list(dict.fromkeys([("resid_post", "last")] + [(p.hook, p.pooling) for p in readers.values()]))
    if any(pooling == "word" for _, pooling in specs):
        raise ValueError("Reader probes must not pool over the emotion word here; pass last/mean/max probes.")
    affirmative = ~held["negation"].to_numpy(dtype=bool)
    y = held["y"].to_numpy()
    pos = held[affirmative & (y == 1)].head(n_prompts)["prompt"].tolist()
    neg = held[affirmative & (y == 0)].head(n_prompts)["prompt"].tolist()

    conditions = {"none": None, "valence direction": unit, "random direction": control}
    summary: dict = {"layer": layer, "conditions": {}, "n_eval": int(len(held)), "n_prompts_per_class": len(pos)}
    frames = []
    for name, vector in conditions.items():
        context = ablate(model, vector) if vector is not None else contextlib.nullcontext()
        with context:
            acts = collect_many(model, held["prompt"].tolist(), specs, layers=reader_layers, cache=vector is None)
            continuations = store.run(model, [(Condition("ablation"), None)], pos + neg, seeds, tag=f"ablate:{name}")
        scored = store.score(model, continuations, perplexity=False)
        scored["ablation"] = name
        scored["prompt_class"] = ["positive" if p in set(pos) else "negative" for p in scored["prompt"]]
        frames.append(scored)
        row: dict = {"probe_accuracy": {}, "probe_accuracy_affirmative": {}}
        for reader_name, probe in readers.items():
            Xr = acts[(probe.hook, probe.pooling)][:, reader_layers.index(int(probe.layer)), :]
            row["probe_accuracy"][reader_name] = probe_accuracy(probe, Xr, y)
            row["probe_accuracy_affirmative"][reader_name] = probe_accuracy(probe, Xr[affirmative], y[affirmative])
        Xl = acts[("resid_post", "last")][:, reader_layers.index(layer), :]
        row["fresh_probe_cv_accuracy"] = fresh_probe_accuracy(Xl, y, groups=held["adjective"].to_numpy(), seed=seed)
        row["fresh_probe_cv_accuracy_affirmative"] = fresh_probe_accuracy(
            Xl[affirmative], y[affirmative], groups=held["adjective"].to_numpy()[affirmative], seed=seed)
        row["projection_std_on_direction"] = float((Xl @ unit).std())
        vp = scored.loc[scored["prompt_class"] == "positive", "vader"].to_numpy()
        vn = scored.loc[scored["prompt_class"] == "negative", "vader"].to_numpy()
        mp, mn = mean_ci(vp), mean_ci(vn)
        half = 1.96 * np.sqrt(vp.var(ddof=1) / len(vp) + vn.var(ddof=1) / len(vn))
        gap = mp[0] - mn[0]
        row.update({"vader_positive_prompts": mp[0], "vader_negative_prompts": mn[0], "vader_gap": gap,
                    "vader_gap_ci_low": gap - half, "vader_gap_ci_high": gap + half})
        summary["conditions"][name] = row
    return summary, pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------ figures (plotly)
def _band(fig, x, mean, low, high, name, color, row=None, col=None, showlegend=True, dash=None):
    import plotly.graph_objects as go

    kwargs = {} if row is None else {"row": row, "col": col}
    fig.add_trace(go.Scatter(x=list(x) + list(x)[::-1], y=list(high) + list(low)[::-1], fill="toself",
                             fillcolor=color, opacity=0.18, line=dict(width=0), hoverinfo="skip",
                             showlegend=False, legendgroup=name), **kwargs)
    fig.add_trace(go.Scatter(x=list(x), y=list(mean), mode="lines+markers", name=name, legendgroup=name,
                             line=dict(color=color, dash=dash), showlegend=showlegend,
                             hovertemplate=f"{name}<br>alpha %{{x}}<br>mean %{{y:.3f}}<extra></extra>"), **kwargs)


_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def _points(fig, df, metric, color, row=None, col=None, name="continuations"):
    """Individual continuations as faint jittered points; hover shows prompt and text."""
    import plotly.graph_objects as go

    kwargs = {} if row is None else {"row": row, "col": col}
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(df))
    hover = [f"{html_escape(p)}<b>{html_escape(t[:160])}</b>" for p, t in zip(df["prompt"], df["text"])]
    fig.add_trace(go.Scatter(x=df["alpha"].to_numpy() + jitter, y=df[metric], mode="markers", name=name,
                             marker=dict(color=color, size=4, opacity=0.25), text=hover,
                             hovertemplate="alpha %{x:.1f}, score %{y:.2f}<br>%{text}<extra></extra>",
                             showlegend=row in (None, 1) and col in (None, 1)), **kwargs)


def html_escape(text: str) -> str:
    import html

    return html.escape(text).replace("\n", " ")


def dose_figure(df, table, title: str, metrics: Sequence[tuple[str, str]]):
    """One panel per (metric, y label): per-alpha mean with 95% band, and every continuation as a point."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[label for _, label in metrics])
    for i, (metric, label) in enumerate(metrics, start=1):
        _points(fig, df, metric, "#999999", row=1, col=i)
        _band(fig, table["alpha"], table[metric], table[f"{metric}_ci_low"], table[f"{metric}_ci_high"],
              f"mean {metric} (95% CI)", _COLORS[i - 1], row=1, col=i)
        fig.update_xaxes(title_text="alpha (std of the probe's training projections)", row=1, col=i)
        fig.update_yaxes(title_text=label, row=1, col=i)
    fig.update_layout(title=title, height=460, legend=dict(orientation="h", y=-0.25))
    return fig


def family_figure(table, series: str, metric: str, title: str, y_label: str, series_label=str):
    """Per-alpha mean (95% band) of ``metric`` for each value of ``series`` (e.g. layer or kind)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (value, group) in enumerate(table.groupby(series, sort=True)):
        group = group.sort_values("alpha")
        _band(fig, group["alpha"], group[metric], group[f"{metric}_ci_low"], group[f"{metric}_ci_high"],
              series_label(value), _COLORS[i % len(_COLORS)])
    fig.update_layout(title=title, xaxis_title="alpha (std of the probe's training projections)",
                      yaxis_title=y_label, height=440)
    return fig


def fluency_figure(table, ratios: dict, limit: float, within: Sequence[float], title: str):
    """Perplexity ratio to the unsteered text and distinct-2 against alpha."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=["perplexity / unsteered perplexity (geometric means)",
                                                        "distinct-2 (mean, 95% CI)"])
    alphas = sorted(ratios)
    fig.add_trace(go.Scatter(x=alphas, y=[ratios[a] for a in alphas], mode="lines+markers", name="perplexity ratio",
                             hovertemplate="alpha %{x}<br>ratio %{y:.2f}<extra></extra>"), row=1, col=1)
    fig.add_hline(y=limit, line_dash="dash", annotation_text=f"{limit}x", row=1, col=1)
    fig.add_vrect(x0=within[0], x1=within[1], fillcolor="green", opacity=0.08, line_width=0, row=1, col=1)
    _band(fig, table["alpha"], table["distinct2"], table["distinct2_ci_low"], table["distinct2_ci_high"],
          "distinct-2", _COLORS[2], row=1, col=2)
    for col in (1, 2):
        fig.update_xaxes(title_text="alpha (std units)", row=1, col=col)
    fig.update_yaxes(title_text="ratio (1 = as fluent as unsteered)", row=1, col=1)
    fig.update_yaxes(title_text="distinct word bigrams / bigrams", row=1, col=2)
    fig.update_layout(title=title, height=440)
    return fig


def ablation_figure(summary: dict, title: str):
    """VADER of continuations of positive and negative prompts, and probe accuracies, per ablation."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(summary["conditions"])
    rows = [summary["conditions"][n] for n in names]
    fig = make_subplots(rows=1, cols=2, subplot_titles=["VADER of continuations", "valence decoding accuracy"])
    for i, (key, label) in enumerate((("vader_positive_prompts", "positive prompts"),
                                      ("vader_negative_prompts", "negative prompts"))):
        fig.add_trace(go.Bar(x=names, y=[r[key] for r in rows], name=label, marker_color=_COLORS[i]), row=1, col=1)
    fig.add_trace(go.Scatter(x=names, y=[r["vader_gap"] for r in rows], mode="markers", name="gap (pos - neg), 95% CI",
                             marker=dict(color="black", size=10, symbol="diamond"),
                             error_y=dict(type="data", symmetric=False,
                                          array=[r["vader_gap_ci_high"] - r["vader_gap"] for r in rows],
                                          arrayminus=[r["vader_gap"] - r["vader_gap_ci_low"] for r in rows])),
                  row=1, col=1)
    readers = list(rows[0]["probe_accuracy"])
    for j, reader in enumerate(readers):
        fig.add_trace(go.Bar(x=names, y=[r["probe_accuracy_affirmative"][reader] for r in rows],
                             name=f"{reader} (affirmative prompts)", marker_color=_COLORS[2 + j]), row=1, col=2)
    fig.add_trace(go.Bar(x=names, y=[r["fresh_probe_cv_accuracy_affirmative"] for r in rows],
                         name="fresh logreg, CV (affirmative)", marker_color=_COLORS[5]), row=1, col=2)
    fig.add_hline(y=0.5, line_dash="dot", row=1, col=2)
    fig.update_yaxes(title_text="VADER compound (-1..1)", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", range=[0, 1], row=1, col=2)
    fig.update_xaxes(title_text="direction projected out at every layer", row=1, col=1)
    fig.update_xaxes(title_text="direction projected out at every layer", row=1, col=2)
    fig.update_layout(title=title, barmode="group", height=460)
    return fig


def best_logreg(directions: dict, axis: str):
    """The ``(axis, "logreg", layer)`` probe with the highest cross-validated accuracy (None if none)."""
    candidates = [p for (a, k, _), p in directions.items() if a == axis and k == "logreg"]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p.metrics.get("cv_accuracy", p.metrics.get("train_accuracy", 0.0)), p.layer))
