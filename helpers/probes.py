"""Linear probes on pooled activations: one object that reads out valence or arousal.

A ``Probe`` is a standardiser plus a linear read-out at one (hook, pooling, layer). Its
``direction`` is the same read-out as a unit vector in raw activation space (positive =
positive valence / high arousal), the axis that steering adds to the residual stream.

    >>> probes = load("runs/smollm2-135m/03_layer_probing/probes.npz")
    >>> probe = probes["valence"]                  # the logistic-regression probe
    >>> classify(model, probe, ["What a lovely day!"])
    array(['positive'], dtype='<U8')

``classify`` runs the model only up to the probe's layer: the "half a model" classifier.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Sequence

import numpy as np

AXIS_LABELS = {"valence": ("negative", "positive"), "arousal": ("low", "high")}
PROBE_KINDS = ("logreg", "mean_diff", "pc1")


@dataclass
class Probe:
    """A linear read-out at one layer: ``((x - mean) / scale) @ coef + intercept``."""

    axis: str                 # "valence" | "arousal"
    kind: str                 # "logreg" | "mean_diff" | "pc1"
    hook: str                 # a key of helpers.collect.HOOKS
    pooling: str              # "last" | "mean" | "max" | "word"
    layer: int
    mean: np.ndarray          # standardiser mean, [width]
    scale: np.ndarray         # standardiser std, [width]
    coef: np.ndarray          # weights on standardised features, [width]
    intercept: float
    direction: np.ndarray     # unit vector in raw activation space, [width]
    projection_std: float     # std of training activations projected on `direction`
    model: str = ""
    metrics: dict = field(default_factory=dict)  # free-form numbers (accuracies, C, ...)

    def __post_init__(self):
        if self.axis not in AXIS_LABELS:
            raise ValueError(f"Probe axis must be one of {list(AXIS_LABELS)}, got {self.axis!r}.")
        for name in ("mean", "scale", "coef", "direction"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float32))
        self.layer, self.intercept, self.projection_std = int(self.layer), float(self.intercept), float(self.projection_std)

    @property
    def labels(self) -> tuple[str, str]:
        """(label of class 0, label of class 1)."""
        return AXIS_LABELS[self.axis]

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Signed read-out of activations ``X`` [n, width]: > 0 means positive / high."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.coef.shape[0]:
            raise ValueError(f"Expected activations of shape [n, {self.coef.shape[0]}], got {X.shape}.")
        return ((X - self.mean) / self.scale) @ self.coef + self.intercept

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of class 1 (positive / high)."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(X)))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """0/1 predictions (1 = positive / high)."""
        return (self.decision_function(X) > 0).astype(np.int64)

    def project(self, X: np.ndarray) -> np.ndarray:
        """Projection of raw activations on the unit ``direction`` (no standardising)."""
        return np.asarray(X, dtype=np.float32) @ self.direction


def save(path: str | os.PathLike, probes: Sequence[Probe]) -> Path:
    """Write probes to one ``.npz`` (atomically); ``load`` reads them back."""
    import json
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for probe in probes:
        prefix = f"{probe.axis}/{probe.kind}/"
        for f in fields(Probe):
            value = getattr(probe, f.name)
            if f.name == "metrics":
                value = json.dumps(value, default=float)
            arrays[prefix + f.name] = np.asarray(value)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    with os.fdopen(fd, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(tmp, path)
    return path


def load(path: str | os.PathLike) -> dict[str, Probe]:
    """Probes saved by notebook 03: ``{"valence": Probe, "arousal": Probe, "valence/mean_diff": ...}``.

    The plain axis key is the logistic-regression probe; ``"<axis>/<kind>"`` keys hold
    every saved kind.
    """
    import json

    path = Path(path)
    if not path.exists():
        raise ValueError(f"No probes at {path}: run notebooks/03_layer_probing.ipynb first (make run).")
    with np.load(path, allow_pickle=False) as data:
        groups: dict[str, dict] = {}
        for key in data.files:
            axis, kind, name = key.split("/")
            value = data[key]
            groups.setdefault(f"{axis}/{kind}", {})[name] = value
    result: dict[str, Probe] = {}
    for key, values in sorted(groups.items()):
        kwargs = {}
        for f in fields(Probe):
            value = values[f.name]
            if f.name == "metrics":
                kwargs[f.name] = json.loads(str(value))
            elif value.ndim == 0:
                kwargs[f.name] = value.item()
            else:
                kwargs[f.name] = value
        probe = Probe(**kwargs)
        result[key] = probe
        if probe.kind == "logreg":
            result[probe.axis] = probe
    return result


def readout(model, probe: Probe, texts: Sequence[str], words: Sequence[str] | None = None,
            batch_size: int = 32, cache: bool = True) -> np.ndarray:
    """The probe's signed read-out of each text, running the model only up to ``probe.layer``."""
    from .collect import collect

    if probe.pooling == "word" and words is None:
        raise ValueError("This probe pools over the emotion word: pass words=[...] (or use a last/mean probe).")
    X = collect(model, list(texts), hook=probe.hook, pooling=probe.pooling, layers=[probe.layer],
                words=words, batch_size=batch_size, cache=cache)
    return probe.decision_function(X[:, 0, :])


def classify(model, probe: Probe, texts: Sequence[str], words: Sequence[str] | None = None,
             batch_size: int = 32, cache: bool = True) -> np.ndarray:
    """Label each text with the probe (e.g. "positive"/"negative"), running only the layers it needs."""
    scores = readout(model, probe, texts, words=words, batch_size=batch_size, cache=cache)
    return np.where(scores > 0, probe.labels[1], probe.labels[0])
