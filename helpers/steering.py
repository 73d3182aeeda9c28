"""Steer a model by adding emotion directions to the residual stream, or ablate them.

    >>> from helpers import steer, generate
    >>> from helpers.probes import quick_probes
    >>> valence = quick_probes(model, layer=21)[1]     # the valence mean_diff probe at layer 21
    >>> with steer(model, valence, alpha=3.0):          # layer: the probe's own
    ...     text = generate(model, "I walked into the kitchen and", max_new_tokens=40, seed=0)
    >>> with steer(model, [valence, arousal], alpha=[3.0, -2.0]) as handle:   # two axes at once
    ...     ...
    >>> vector = SteeringVector.from_probe(model, valence, alpha=2.0)
    >>> with (vector * 1.5).apply(model):                  # vectors scale like numbers
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

``ablate`` projects a direction out of the residual stream after the embeddings and after
every attention and MLP block: the model can no longer write to or read from that axis.

Both take either backend: on an nnsight model (local) the same hook names become torch
hooks on the Hugging Face modules (``nnsight_backend.hooks``), with the same numbers.

``generate`` (helpers.generation) is re-exported here: steering and sampling go together.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from typing import Iterator, Sequence

import numpy as np

from .collect import HOOKS
from .generation import POSITIONS, Job, generate, generate_many, model_hooks, position_mask  # noqa: F401 (re-exported)
from .models import model_info
from .nnsight_backend import REPLAY

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

    @classmethod
    def from_probe(cls, model, probe, alpha: float = 1.0, layer: int | None = None) -> "SteeringVector":
        """The probe's direction at its layer (or ``layer``), alpha in std of its training projections."""
        return steering_vectors(model, probe, layer, alpha)[0]

    def __mul__(self, factor: float) -> "SteeringVector":
        """The same direction with alpha scaled: ``vector * 2`` pushes twice as far."""
        return replace(self, alpha=self.alpha * float(factor))

    __rmul__ = __mul__

    def __neg__(self) -> "SteeringVector":
        return self * -1.0

    def apply(self, model, positions: str = "all"):
        """Context manager adding this vector while the block runs: ``with vector.apply(model): ...``."""
        return steer(model, self.direction, layer=self.layer, alpha=self.alpha, scale=self.scale, positions=positions)


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


def steering_add(vectors: Sequence[SteeringVector]) -> dict[int, np.ndarray]:
    """``{layer: summed vector}`` of resolved steering vectors (for ``Job.add``)."""
    add: dict[int, np.ndarray] = {}
    for vec in vectors:
        add[vec.layer] = add.get(vec.layer, 0) + vec.vector
    return add


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
    by_layer: dict[int, np.ndarray] = {}
    for vec in vectors:
        by_layer[vec.layer] = by_layer.get(vec.layer, 0) + vec.vector
    handle = SteeringHandle(vectors=vectors)

    def make_hook(delta_np: np.ndarray):
        cached: dict = {}

        def add(activation, hook):
            where = position_mask(model, positions, activation.shape[1])
            if where is None:
                return activation
            key = (activation.dtype, activation.device)
            if key not in cached:
                cached[key] = torch.as_tensor(delta_np, dtype=activation.dtype, device=activation.device)
            if hook is not REPLAY:  # nnsight's collect re-reading the same change is not a new one
                handle.calls += 1
            if where == slice(None):
                return activation + cached[key]
            activation = activation.clone()
            activation[:, where] += cached[key]
            return activation
        return add

    # alpha 0 still installs its hook (x + 0.0 == x exactly), so the path is always exercised.
    fwd_hooks = [(HOOKS["resid_post"].format(layer=lay), make_hook(delta)) for lay, delta in sorted(by_layer.items())]
    handle.hook_names = [name for name, _ in fwd_hooks]
    stack = contextlib.ExitStack()
    stack.enter_context(model_hooks(model, fwd_hooks))
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
        names += [f"blocks.{layer}.hook_resid_mid", HOOKS["resid_post"].format(layer=layer)]
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
        if hook is not REPLAY:
            handle.calls += 1
        return activation - (activation @ u) @ u.T

    stack = contextlib.ExitStack()
    stack.enter_context(model_hooks(model, [(name, project_out) for name in names]))
    handle._stack = stack
    try:
        yield handle
    finally:
        handle.remove()


def random_unit(d_model: int, seed: int = 0) -> np.ndarray:
    """A random unit vector (Gaussian, normalised): the control direction."""
    vector = np.random.default_rng(seed).standard_normal(d_model)
    return (vector / np.linalg.norm(vector)).astype(np.float32)
