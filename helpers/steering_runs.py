"""The steering experiments of notebook 05: directions at several layers, a memo of generated
continuations, judges applied per text, per-alpha summaries, the layer/kind choice, ablation.

    >>> directions = train_directions(model, layers=[12, 15, 18])        # {(axis, kind, layer): Probe}
    >>> store = Continuations(max_new_tokens=32)
    >>> df = store.run(model, steered(model, directions[("valence", "mean_diff", 15)], [-4, 0, 4], "dose"),
    ...                prompts, seeds=[0, 1])
    >>> table = dose_table(store.score(model, df), ["vader"])

The intervention itself is ``helpers.steering`` (steer, ablate); sampling is
``helpers.generation``; the judges are ``helpers.judges``; figures are in ``helpers.plots``.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .generation import Job, generate_many
from .models import model_info
from .steering import ablate, random_unit, resolve, steering_add, steering_vectors

DIRECTION_KINDS = ("logreg", "mean_diff", "pc1", "mean_diff_affirmative")
KIND_LABELS = {"logreg": "probe weights (logreg)", "mean_diff": "mean difference", "pc1": "PC1",
               "mean_diff_affirmative": "mean difference, affirmative prompts"}


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

    from .stats import mean_ci

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


def fresh_probe_accuracy(X: np.ndarray, y: np.ndarray, groups=None, seed: int = 0) -> float:
    """Cross-validated accuracy of a NEW logistic-regression probe on these activations."""
    from .probes import cross_validate_C

    return cross_validate_C(X, y, groups=groups, seed=seed)[1]


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
    from .stats import mean_ci

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
            row["probe_accuracy"][reader_name] = probe.accuracy(Xr, y)
            row["probe_accuracy_affirmative"][reader_name] = probe.accuracy(Xr[affirmative], y[affirmative])
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


def best_logreg(directions: dict, axis: str):
    """The ``(axis, "logreg", layer)`` probe with the highest cross-validated accuracy (None if none)."""
    candidates = [p for (a, k, _), p in directions.items() if a == axis and k == "logreg"]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p.metrics.get("cv_accuracy", p.metrics.get("train_accuracy", 0.0)), p.layer))
