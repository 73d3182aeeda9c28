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

from .data import LABELS as AXIS_LABELS
from .pca import center_within
from .runtime import blas_threads

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

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        """Share of rows of ``X`` classified as ``y`` (0/1); NaN when there are no rows."""
        y = np.asarray(y)
        return float((self.predict(X) == y).mean()) if len(y) else float("nan")


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


# ---------------------------------------------------------------- training
C_GRID = (0.001, 0.01, 0.1, 1.0)  # inverse L2 strength on standardised features


def check_Cs(Cs, name: str = "Cs") -> tuple[float, ...]:
    """The C grid as a tuple of floats; a ``ValueError`` naming ``name`` unless it is non-empty and positive."""
    import numbers

    values = tuple(Cs) if isinstance(Cs, (list, tuple, np.ndarray)) else None
    if not values or not all(isinstance(c, numbers.Real) and not isinstance(c, bool) and np.isfinite(c) and c > 0
                             for c in values):
        raise ValueError(f"{name} must be a non-empty sequence of positive numbers (inverse L2 strengths), got {Cs!r}.")
    return tuple(float(c) for c in values)


def _standardiser(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and std of the training rows; constant columns get scale 1 (as sklearn)."""
    from .probe_solver import standardiser

    return standardiser(X)


def _folds(y: np.ndarray, groups, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, validation) index pairs: stratified, grouped, or crossed (two group columns).

    A ``ValueError`` names ``folds`` / ``groups`` when there are fewer groups (words, template
    patterns) than folds.
    """
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}.")
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape[0] != len(y) or groups.ndim not in (1, 2) or (groups.ndim == 2 and groups.shape[1] != 2):
            raise ValueError(f"groups must hold one label (or one pair of labels) per row: shape ({len(y)},) or "
                             f"({len(y)}, 2); got {groups.shape}.")
        if groups.ndim == 2:  # crossed: validate on unseen values of BOTH columns (like split E4)
            rng = np.random.default_rng(seed)
            fold_of = []
            for name, column in zip(("words (groups[:, 0])", "patterns (groups[:, 1])"), groups.T):
                values, codes = np.unique(column, return_inverse=True)
                if len(values) < folds:
                    raise ValueError(f"folds={folds} crossed folds need at least {folds} distinct {name}; "
                                     f"got {len(values)}. Pass fewer folds or more groups.")
                fold_of.append(rng.permutation(len(values))[codes] % folds)
            pairs = [(np.flatnonzero((fold_of[0] != k) & (fold_of[1] != k)),
                      np.flatnonzero((fold_of[0] == k) & (fold_of[1] == k))) for k in range(folds)]
            return [(tr, va) for tr, va in pairs if len(tr) and len(va)]
        if len(np.unique(groups)) < folds:
            raise ValueError(f"folds={folds} grouped folds need at least {folds} distinct groups; "
                             f"got {len(np.unique(groups))}.")
        return list(GroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(y, y, groups))
    k = max(2, min(folds, int(np.bincount(y, minlength=2).min())))
    return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(y, y))


def best_C(score: np.ndarray, Cs: Sequence[float]) -> int:
    """Index of the C with the highest CV accuracy; ties go to the smaller C (stronger regularisation)."""
    return max(range(len(Cs)), key=lambda i: (score[i], -Cs[i]))


def cross_validate_C(X: np.ndarray, y: np.ndarray, *, groups: np.ndarray | None = None,
                     Cs: Sequence[float] = C_GRID, folds: int = 3, seed: int = 0,
                     max_iter: int = 1000) -> tuple[float, float]:
    """(best C, its validation accuracy) by k-fold CV on the rows given (training rows only).

    Each fold standardises with its own training part. With ``groups`` (e.g. the adjective
    of each row) no group is split across folds, so the validation rows hold unseen groups.
    With two group columns ``[n, 2]`` (e.g. adjective and template pattern) the folds are
    crossed: fold k validates on rows whose adjective AND pattern fall in fold k and trains on
    rows where neither does (the E4 situation; each fold trains on ~(1 - 1/k)^2 of the rows).
    Every (fold, C) is one problem of a single batched fit (``helpers.probe_solver``), converged
    to a gradient tolerance tighter than sklearn's defaults. Ties go to the smaller C (stronger
    regularisation).
    """
    from .probe_solver import cv_accuracy_grid

    Cs = check_Cs(Cs)
    X = np.asarray(X)
    y = np.asarray(y).astype(np.int64)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be [n, width] with one label per row; got X {X.shape}, y {y.shape}.")
    split = _folds(y, groups, folds, seed)
    correct, total = cv_accuracy_grid(X[:, None, :], y, split, Cs, max_iter=max_iter)
    if total == 0:
        raise ValueError("Cross-validation found no fold with both classes in its training part.")
    score = correct[0] / total
    best = best_C(score, Cs)
    return float(Cs[best]), float(score[best])


def choose_C(X: np.ndarray, y: np.ndarray, *, groups: np.ndarray | None = None, Cs: Sequence[float] = C_GRID,
             folds: int = 3, seed: int = 0, max_iter: int = 1000) -> float:
    """The C of ``cross_validate_C`` (CV accuracy on the training rows given; ties to the smaller C)."""
    return cross_validate_C(X, y, groups=groups, Cs=Cs, folds=folds, seed=seed, max_iter=max_iter)[0]


def train_probe(X: np.ndarray, y: np.ndarray, *, axis: str, kind: str = "logreg", hook: str, pooling: str,
                layer: int, model_name: str = "", C: float | None = None, seed: int = 0,
                groups: np.ndarray | None = None, Cs: Sequence[float] = C_GRID, folds: int = 3,
                max_iter: int = 1000, center_groups: np.ndarray | None = None) -> Probe:
    """Fit one probe on training activations ``X`` [n, width] with labels ``y`` (1 = positive / high).

    kind:
    - ``"logreg"``: StandardScaler + L2 logistic regression (sklearn's objective, solved by
      ``helpers.probe_solver``); ``C=None`` chooses C in ``Cs`` by ``folds``-fold CV on these rows
      only (grouped by ``groups`` when given).
    - ``"mean_diff"``: the difference of class means (raw space), normalised.
    - ``"pc1"``: the first principal component of the (centred) rows, signed so that
      class 1 projects higher than class 0 on average. Unsupervised apart from the sign.
      With ``center_groups`` (e.g. the template of each row) each group's mean is removed
      first, so PC1 is the main within-template (word-driven) direction, not the template one.
    For mean_diff and pc1 the read-out is ``(x @ direction - midpoint) / projection_std``
    (midpoint of the two class-mean projections), written in the Probe's
    ``((x - mean) / scale) @ coef + intercept`` form with ``scale = 1``.
    ``direction`` is always a unit vector in RAW activation space pointing to class 1.
    """
    if kind not in PROBE_KINDS:
        raise ValueError(f"Unknown probe kind {kind!r}; choose one of {list(PROBE_KINDS)}.")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.int64).ravel()
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be [n, width] with one label per row; got X {X.shape}, y {y.shape}.")
    if set(np.unique(y)) != {0, 1}:
        raise ValueError(f"y must contain both classes 0 and 1, got {sorted(set(np.unique(y).tolist()))}.")
    metrics: dict = {"n_train": int(len(y))}
    mu0, mu1 = X[y == 0].mean(axis=0), X[y == 1].mean(axis=0)
    if kind == "logreg":
        from .probe_solver import fit_layers

        if C is None:
            C, metrics["cv_accuracy"] = cross_validate_C(X, y, groups=groups, Cs=Cs, folds=folds, seed=seed)
        C = check_Cs([C], name="C")[0]
        fit = fit_layers(X[:, None, :], y, C, max_iter=max_iter)
        mean, scale, coef, intercept = fit["mean"][0], fit["scale"][0], fit["coef"][0], float(fit["intercept"][0])
        raw = coef / scale
        norm = np.linalg.norm(raw)
        direction = raw / norm if norm > 0 else raw
        metrics["C"] = float(C)
        metrics["train_accuracy"] = float(((((X - mean) / scale) @ coef + intercept > 0) == y).mean())
        projection_std = float((X @ direction).std())
    else:
        if kind == "mean_diff":
            raw = mu1 - mu0
        else:  # pc1
            if center_groups is None:
                centred = X - X.mean(axis=0)
            elif len(center_groups) != len(X):
                raise ValueError(f"center_groups needs one entry per row ({len(X)}), got {len(center_groups)}.")
            else:
                centred = center_within(X, center_groups)
            with blas_threads(1):
                _, vectors = np.linalg.eigh(centred.T @ centred)  # [width, width]: cheaper than an SVD of X
            raw = vectors[:, -1]
            if (mu1 - mu0) @ raw < 0:
                raw = -raw
        norm = np.linalg.norm(raw)
        direction = raw / norm if norm > 0 else raw
        projection = X @ direction
        projection_std = float(projection.std()) or 1.0
        midpoint = 0.5 * float(mu0 @ direction + mu1 @ direction)
        mean = X.mean(axis=0)
        scale = np.ones(X.shape[1])
        coef = direction / projection_std
        intercept = float((mean @ direction - midpoint) / projection_std)
        metrics["train_accuracy"] = float(((projection > midpoint).astype(int) == y).mean())
    return Probe(axis=axis, kind=kind, hook=hook, pooling=pooling, layer=int(layer), mean=mean, scale=scale,
                 coef=coef, intercept=intercept, direction=direction, projection_std=projection_std,
                 model=model_name, metrics=metrics)


def quick_probes(model, *, layer: int | None = None, hook: str = "resid_post", pooling: str = "last",
                 n_prompts: int = 800, seed: int = 0) -> list[Probe]:
    """Valence and arousal probes of all three kinds at one layer, trained in about a minute.

    The fallback of notebooks 04/05 when no ``probes.npz`` from notebook 03 exists. For each
    axis, ``n_prompts`` prompts (affirmative and negated, labels ``y`` from
    ``helpers.data.load_prompts``, i.e. flipped under negation) drawn with ``seed``; the
    logistic-regression C is chosen by 3-fold CV crossed on adjective and template pattern;
    the pc1 probe is the PC1 of template-centred activations. ``layer`` defaults to
    ``n_layers // 2``. Returns ``[valence logreg, valence mean_diff, valence pc1, arousal ...]``;
    ``save(path, quick_probes(model))`` writes a file that ``load`` reads like notebook 03's.
    """
    from .collect import collect
    from .data import load_prompts
    from .models import model_info

    info = model_info(model)
    layer = info.n_layers // 2 if layer is None else int(layer)
    probes = []
    for axis in AXIS_LABELS:
        df = load_prompts(axis=axis)
        if len(df) > n_prompts:
            df = df.sample(n=n_prompts, random_state=seed).sort_index()
        words = df["adjective"].tolist() if pooling == "word" else None
        X = collect(model, df["prompt"].tolist(), hook=hook, pooling=pooling, layers=[layer], words=words)[:, 0, :]
        y = df["y"].to_numpy()
        groups = np.column_stack([df["adjective"].astype(str), df["pattern"].astype(str)])
        for kind in PROBE_KINDS:
            probe = train_probe(X, y, axis=axis, kind=kind, hook=hook, pooling=pooling, layer=layer,
                                model_name=info.name, seed=seed, groups=groups,
                                center_groups=df["template_id"].to_numpy())
            probe.metrics["source"] = "quick_probes"
            probes.append(probe)
    return probes
