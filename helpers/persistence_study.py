"""Notebook 06 end to end, one method per section: distance, the model's own generation, a
steering push that stops, and the next-token distribution under steering.

The measurements live in ``helpers.persistence`` (distance), ``helpers.token_readouts``
(per-token read-outs, generation, steering persistence) and ``helpers.next_token``; this class
keeps what one section hands to the next (the k = 0 probes, the steering directions).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from . import persistence as P
from . import token_readouts as T
from .data import neutral_prompts
from .models import backend_fields, model_info, require_local
from .next_token import control_map, control_summary, rated_tokens

AXES = ("valence", "arousal")
HEADLINE_KS = (0, 64, 256)


class PersistenceStudy:
    @staticmethod
    def require_local(remote) -> None:
        """One ValueError, before any model loads, for ``remote=True``: notebook 06 needs the
        weights here (generation; ``helpers.models.require_local``)."""
        require_local("06_persistence", remote)

    def __init__(self, model, settings, steering_results: str | Path | None = None):
        s = self.settings = settings
        self.require_local(model_info(model).remote)
        self.model, self.started, self.seconds = model, time.time(), {}
        self.n_layers = n = model_info(model).n_layers
        self.steering_layer, self.steering_kind, self.steering_note = _steering_choice(s, n, steering_results)
        self.layers = sorted(set(range(0, n, s.layer_step)) | {self.steering_layer})

    # ------------------------------------------------------------------ 1. distance
    def distance(self) -> pd.DataFrame:
        """Both read-outs at every (layer, k), both sites, both axes; the fixed probe's decay curves."""
        from .collect import collect

        s, t0 = self.settings, time.time()
        self.frames, self.readouts, self.X = {}, {}, {}
        for axis in AXES:
            frame = P.distance_prompts(self.model, axis, ks=s.ks, n_adjectives=s.n_adjectives,
                                       n_templates=s.n_templates, n_fillers=s.n_fillers, seed=s.seed)
            frame["test"] = P.adjective_split(frame, s.test_fraction, seed=s.seed)
            X = collect(self.model, frame["text"].tolist(), hook="resid_post", pooling="word",
                        words=frame["span"].tolist(), layers=self.layers, batch_size=s.batch_size, progress=True)
            self.frames[axis], self.X[axis] = frame, X
            for site in P.SITES:
                self.readouts[(axis, site)] = P.distance_readouts(X, frame, frame["test"].to_numpy(), self.layers,
                                                                 axis=axis, site=site, seed=s.seed,
                                                                 model_name=model_info(self.model).name)
        self.curves = pd.concat([r.curve(seed=s.seed) for r in self.readouts.values()], ignore_index=True)
        self.seconds["distance"] = time.time() - t0
        return self.curves.round(3)

    def prompt_counts(self) -> pd.DataFrame:
        return pd.DataFrame([{"axis": axis, "prompts": len(f), "adjectives": f["adjective"].nunique(),
                              "held-out adjectives": f.loc[f["test"], "adjective"].nunique(),
                              "templates": f["template_id"].nunique(), "fillers": f["filler"].nunique(),
                              "ks": sorted(f["k"].unique().tolist())} for axis, f in self.frames.items()])

    def probe(self, axis: str, site: str = "last"):
        """The k = 0 probe of ``axis`` at its best layer (chosen by CV at k = 0 on training adjectives)."""
        result = self.readouts[(axis, site)]
        return result.probes[result.best_layer]

    def save_probes(self, out: Path) -> Path:
        from .probes import save

        return save(out / "probes.npz", [self.probe(axis, site) for axis in AXES for site in P.SITES])

    # ------------------------------------------------------------------ 2. the model's own writing
    def generation(self) -> pd.DataFrame:
        """Held-out statements continued by the model; the k = 0 probe read at every generated token."""
        from .generation import generate

        s, t0 = self.settings, time.time()
        self.generated, self.generation_curves, self.half_lives = {}, {}, {}
        for axis in AXES:
            frame = self.frames[axis]
            starts = frame[frame["test"] & (frame["k"] == 0) & (frame["site"] == "mention")]
            starts = starts.sample(n=min(s.generation_prompts, len(starts)), random_state=s.seed)
            prompts = [p for p in starts["text"] for _ in s.generation_seeds]
            labels = [y for y in starts["y"] for _ in s.generation_seeds]
            seeds = [seed for _ in range(len(starts)) for seed in s.generation_seeds]
            texts = generate(self.model, prompts, max_new_tokens=s.generation_tokens, seed=seeds,
                             temperature=s.temperature, batch_size=s.batch_size)
            table = T.generation_readout(self.model, self.probe(axis), prompts, labels, texts)
            table["prompt"] = [prompts[i] for i in table["text_id"]]
            table["text"] = [texts[i] for i in table["text_id"]]
            self.generated[axis] = table
            curve = T.accuracy_by_position(table)
            self.generation_curves[axis] = curve.assign(axis=axis)
            self.half_lives[axis] = T.half_life(curve["position"], curve["probe"])
        self.seconds["generation"] = time.time() - t0
        return pd.concat(self.generation_curves.values(), ignore_index=True).round(3)

    def half_life_table(self) -> pd.DataFrame:
        return pd.DataFrame([{"axis": axis, "half_life_tokens": hl, "censored (not reached)": censored}
                             for axis, (hl, censored) in self.half_lives.items()])

    # ------------------------------------------------------------------ 3. a push that stops
    def directions(self) -> dict:
        """The steering directions (valence, arousal) at the steering layer: notebook 05's own
        (``steering_runs.train_directions`` over the same prompts and layers, so a run after
        notebook 05 reads its activations from the cache)."""
        from .settings import Steering
        from .steering_runs import train_directions

        if not hasattr(self, "_directions"):
            s, n = self.settings, self.n_layers
            layers = sorted({min(n - 1, int(round(f * n))) for f in Steering().layer_fractions} | {self.steering_layer})
            kind = self.steering_kind if self.steering_kind in ("logreg", "mean_diff", "pc1", "mean_diff_affirmative") \
                else "mean_diff"
            found = train_directions(self.model, layers, kinds=[kind], n_prompts=s.n_train_prompts, seed=s.seed)
            self._directions = {axis: found[(axis, kind, self.steering_layer)] for axis in AXES}
        return self._directions

    def steering_push(self) -> pd.DataFrame:
        """Valence steering over the prompt only vs everywhere vs none; the effect by generated position."""
        s, t0 = self.settings, time.time()
        prompts = neutral_prompts()[:s.steering_prompts]
        self.push = T.steering_persistence(self.model, self.probe("valence"), self.directions()["valence"], prompts,
                                           alpha=s.steering_alpha, seeds=s.steering_seeds,
                                           max_new_tokens=s.steering_tokens, temperature=s.temperature,
                                           batch_size=s.batch_size)
        self.push_effects = {m: T.persistence_effect(self.push, m) for m in ("decision", "vader")}
        self.push_ratios = {m: T.persistence_ratio(self.push, m) for m in ("decision", "vader")}
        self.seconds["steering_push"] = time.time() - t0
        return pd.DataFrame([{"metric": m, "effect_prompt_only": e[e["condition"] == "prompt"]["effect"].mean(),
                              "effect_everywhere": e[e["condition"] == "all"]["effect"].mean(),
                              "persistence_ratio": self.push_ratios[m]} for m, e in self.push_effects.items()]).round(3)

    # ------------------------------------------------------------------ 4. the next token itself
    def next_token(self) -> pd.DataFrame:
        """Expected human valence and arousal of the next word under each direction and alpha."""
        s, t0 = self.settings, time.time()
        self.vocab = rated_tokens(self.model)
        prompts = neutral_prompts()[:s.control_prompts]
        self.control = control_map(self.model, self.directions(), prompts, s.control_alphas, vocab=self.vocab,
                                   batch_size=s.batch_size)
        self.control_stats = control_summary(self.control)
        self.seconds["next_token"] = time.time() - t0
        return pd.DataFrame([{"direction": d, "spearman": v["spearman"], "selectivity": v["selectivity"],
                              "change_valence": v["change_valence"], "change_arousal": v["change_arousal"]}
                             for d, v in self.control_stats.items()]).round(3)

    # ------------------------------------------------------------------ results
    def summary_entry(self) -> dict:
        """The run summary's ``persistence`` and ``next_token_control`` (names outside checks call)."""
        def at(axis, k):
            curve = self.curves[(self.curves["axis"] == axis) & (self.curves["site"] == "mention")]
            row = curve[curve["k"] == k]
            return float(row["fixed"].iloc[0]) if len(row) else None

        return {"persistence": {**{axis: {str(k): at(axis, k) for k in HEADLINE_KS} for axis in AXES},
                                "generation_half_life_tokens": self.half_lives["valence"][0],
                                "steering_persistence_ratio": self.push_ratios["decision"]},
                "next_token_control": {axis: {"spearman": self.control_stats[axis]["spearman"],
                                              "selectivity": self.control_stats[axis]["selectivity"]} for axis in AXES}}

    def goals(self) -> list[dict]:
        rows = []
        for axis in AXES:
            stats = self.control_stats[axis]
            rows.append({"goal": f"{axis} direction: expected {axis} monotone in alpha (Spearman 1.0)",
                         "measured": stats["spearman"], "met": bool(stats["spearman"] >= 1.0 - 1e-9)})
            rows.append({"goal": f"{axis} direction: moves {axis} >= 2x more than the other axis",
                         "measured": stats["selectivity"], "met": bool(stats["selectivity"] >= 2.0)})
        return rows

    def results(self, model_name: str) -> dict:
        s = self.settings
        maps = {f"{axis}/{site}": {"layers": r.layers, "ks": r.ks, "fixed": r.fixed.tolist(),
                                   "retrained": r.retrained.tolist(), "cv_at_0": r.cv_at_0.tolist(),
                                   "best_layer": r.best_layer} for (axis, site), r in self.readouts.items()}
        return {"model": model_name, **backend_fields(self.model), "settings": s.as_dict(), **self.summary_entry(),
                "distance": {"curves": self.curves.to_dict(orient="records"), "maps": maps},
                "generation": {axis: {"curve": c.to_dict(orient="records"), "half_life_tokens": self.half_lives[axis][0],
                                      "half_life_censored": self.half_lives[axis][1]}
                               for axis, c in self.generation_curves.items()},
                "steering_push": {"layer": self.steering_layer, "kind": self.steering_kind, "note": self.steering_note,
                                  "alpha": s.steering_alpha, "ratios": self.push_ratios,
                                  "effects": {m: e.to_dict(orient="records") for m, e in self.push_effects.items()}},
                "next_token": {"summary": self.control_stats, "rated_tokens": len(self.vocab),
                               "layer": self.steering_layer, "kind": self.steering_kind},
                "goals": self.goals(), "seconds": {**self.seconds, "total": time.time() - self.started}}


def _steering_choice(settings, n_layers: int, steering_results) -> tuple[int, str, str]:
    """(layer, kind, note): the settings' choice, else notebook 05's, else 0.8 of the depth and mean_diff."""
    layer, kind = settings.steering_layer, settings.steering_kind
    note = "from the settings"
    path = Path(steering_results) if steering_results else None
    if (layer is None or kind is None) and path is not None and path.exists():
        chosen = json.loads(path.read_text()).get("valence", {})
        layer = chosen.get("layer") if layer is None else layer
        kind = chosen.get("kind") if kind is None else kind
        note = f"notebook 05's choice ({path.parent.name})"
    if layer is None or kind is None:
        layer = int(round(0.8 * (n_layers - 1))) if layer is None else layer
        kind = kind or "mean_diff"
        note = "default: 0.8 of the depth, mean_diff (no notebook 05 results)"
    if not 0 <= int(layer) < n_layers:
        raise ValueError(f"steering_layer {layer} is out of range 0..{n_layers - 1}.")
    return int(layer), str(kind), note


def decay_summary(curves: pd.DataFrame) -> pd.DataFrame:
    """The headline read-out accuracies (k = 0, 64, 256) per axis and site, fixed probe."""
    part = curves[curves["k"].isin(HEADLINE_KS)]
    return part.pivot_table(index=["axis", "site"], columns="k", values="fixed").round(3) if len(part) else part
