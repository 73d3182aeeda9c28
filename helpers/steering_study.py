"""Notebook 05 end to end, one method per section: directions, the layer sweep, the direction
kinds, the main valence dose-response, fluency, arousal, the ablation check, and results.json.

The experiments themselves are ``helpers.steering_runs``; this class keeps what one section
hands to the next (directions, readers, the continuation stores, the chosen layer and kind).
"""
from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from . import steering_runs as S
from .data import neutral_prompts
from .models import backend_fields, model_info, require_local

AROUSAL_METRICS = ["arousal_index", "exclaims", "vader", "readout_arousal"]


def _curve(table, metric):
    return {"mean": table[metric].tolist(), "ci_low": table[f"{metric}_ci_low"].tolist(),
            "ci_high": table[f"{metric}_ci_high"].tolist()}


class SteeringStudy:
    @staticmethod
    def require_local(remote) -> None:
        """One ValueError, before any model loads, for ``remote=True``: notebook 05 needs the
        weights here (steered generation; ``helpers.models.require_local``)."""
        require_local("05_steering", remote)

    def __init__(self, model, settings, probes_path: str | Path):
        self.require_local(model_info(model).remote)
        s = self.settings = settings
        self.model, self.started, self.seconds = model, time.time(), {}
        self.n_layers = n = model_info(model).n_layers
        self.layers = sorted({min(n - 1, int(round(f * n))) for f in s.layer_fractions})
        self.kinds = list(s.kinds)
        t0 = time.time()
        self.directions = S.train_directions(model, self.layers, kinds=list(dict.fromkeys(self.kinds + ["logreg"])),
                                             n_prompts=s.n_train_prompts, seed=s.seed)
        from_file, file_readers, self.note = S.directions_from_file(str(probes_path), model)
        self.directions.update({key: p for key, p in from_file.items() if key[1] in self.kinds and key[2] in self.layers})
        self.layers = sorted({key[2] for key in self.directions if key[0] == "valence" and key[1] == s.sweep_kind})
        self.readers = {axis: file_readers.get(axis) or S.best_logreg(self.directions, axis) for axis in ("valence", "arousal")}
        self.prompts = neutral_prompts()
        self.seconds["directions"] = time.time() - t0
        store = dict(temperature=s.temperature, batch_size=s.batch_size, positions=s.positions, chat=s.chat)
        self.store = S.Continuations(max_new_tokens=s.sweep_tokens, **store)
        self.main_store = S.Continuations(max_new_tokens=s.max_new_tokens, **store)
        self.sweep_set = self.prompts[:s.sweep_prompts]

    def describe(self) -> str:
        readers = {axis: f"{p.kind} at layer {p.layer} ({p.hook}/{p.pooling})" for axis, p in self.readers.items()}
        return f"{self.n_layers} layers; swept layers {self.layers}; {self.note}; readers {readers}"

    def _rows(self, df, by, key_of):
        rows = []
        for value, group in df.groupby(by):
            ratios = S.geometric_mean_ratio(group)
            probe = self.directions[key_of(value)]
            rows.append({by: value if by == "kind" else int(value), **S.response_stats(group),
                         "direction_accuracy": S.direction_accuracy(probe), "projection_std": probe.projection_std,
                         "perplexity_ratio_at_min_alpha": ratios[min(ratios)],
                         "perplexity_ratio_at_max_alpha": ratios[max(ratios)]})
        return rows

    def layer_sweep(self) -> pd.DataFrame:
        """The sweep kind's direction at every swept layer; the best layer by response."""
        s, t0 = self.settings, time.time()
        conditions = [c for layer in self.layers for c in
                      S.steered(self.model, self.directions[("valence", s.sweep_kind, layer)], s.sweep_alphas, "layer_sweep")]
        self.sweep_df = self.store.score(self.model, self.store.run(self.model, conditions, self.sweep_set,
                                                                    list(s.sampling_seeds[:1]), progress=True))
        self.layer_rows = [{**row, "kind": s.sweep_kind} for row in
                           self._rows(self.sweep_df, "layer", lambda l: ("valence", s.sweep_kind, l))]
        self.best_layer = int(s.main_layer if s.main_layer is not None else S.rank_by_response(self.layer_rows, "layer")["layer"])
        self.seconds["layer_sweep"] = time.time() - t0
        return pd.DataFrame(self.layer_rows).drop(columns=["alphas", "means"]).round(3)

    def kind_comparison(self) -> pd.DataFrame:
        """Every direction kind at the best layer; the best kind by response."""
        s, t0, layer = self.settings, time.time(), self.best_layer
        conditions = [c for kind in self.kinds if ("valence", kind, layer) in self.directions
                      for c in S.steered(self.model, self.directions[("valence", kind, layer)], s.sweep_alphas,
                                         "kind_comparison")]
        self.kind_df = self.store.score(self.model, self.store.run(self.model, conditions, self.sweep_set,
                                                                   list(s.sampling_seeds[:1]), progress=True))
        self.kind_rows = [{**row, "layer": layer} for row in self._rows(self.kind_df, "kind", lambda k: ("valence", k, layer))]
        self.best_kind = s.main_kind or S.rank_by_response(self.kind_rows, "kind")["kind"]
        self.seconds["kind_comparison"] = time.time() - t0
        return pd.DataFrame(self.kind_rows).drop(columns=["alphas", "means"]).round(3)

    def valence_grid(self) -> pd.DataFrame:
        """The main dose-response: every alpha, prompt and sampling seed; VADER and the read-out."""
        s, t0 = self.settings, time.time()
        self.probe = self.directions[("valence", self.best_kind, self.best_layer)]
        df = self.main_store.run(self.model, S.steered(self.model, self.probe, s.alphas, "valence"),
                                 self.prompts[:s.n_prompts], list(s.sampling_seeds), progress=True)
        self.main_df = self.main_store.score(self.model, df, readers={"valence": self.readers["valence"]},
                                             model_rows=df["seed"] == s.sampling_seeds[0])
        self.main_table = S.dose_table(self.main_df, ["vader", "readout_valence", "perplexity", "distinct2"])
        self.main_stats = S.response_stats(self.main_df)
        self.seconds["valence_grid"] = time.time() - t0
        return self.main_table.round(3)

    def fluency(self) -> pd.DataFrame:
        """Perplexity ratios by alpha, the alpha range within 1.5x, and example continuations."""
        self.ratios = S.geometric_mean_ratio(self.main_df)
        self.within = S.range_within(self.ratios, 1.5)
        edges = sorted({min(self.settings.alphas), self.within[0], 0.0, self.within[1], max(self.settings.alphas)})
        df = self.main_df
        self.examples = df[(df["seed"] == self.settings.sampling_seeds[0]) & df["prompt"].isin(self.prompts[:2])
                           & df["alpha"].isin(edges)].sort_values(["prompt", "alpha"])
        return self.examples[["alpha", "vader", "perplexity", "prompt", "text"]]

    def arousal(self) -> pd.DataFrame:
        """The arousal direction at the same layer and kind, judged by arousal proxies."""
        s, t0 = self.settings, time.time()
        probe = self.directions[("arousal", self.best_kind, self.best_layer)]
        df = self.main_store.run(self.model, S.steered(self.model, probe, s.arousal_alphas, "arousal"),
                                 self.prompts[:s.n_prompts], list(s.sampling_seeds[:1]), progress=True)
        self.arousal_df = self.main_store.score(self.model, df, readers={"arousal": self.readers["arousal"]})
        self.arousal_table = S.dose_table(self.arousal_df, AROUSAL_METRICS)
        self.arousal_stats = {m: S.response_stats(self.arousal_df, m) for m in AROUSAL_METRICS}
        self.seconds["arousal"] = time.time() - t0
        return self.arousal_table.round(3)

    def ablation(self) -> pd.DataFrame:
        """Project the direction out at every layer: does generation and probe accuracy lose valence?"""
        s, t0 = self.settings, time.time()
        readers = {f"{p.kind} {p.hook}/{p.pooling} L{p.layer}": p for p in [self.probe, self.readers["valence"]]}
        self.ablation_result, _ = S.ablation_experiment(self.model, self.probe, readers, self.store,
                                                        n_prompts=s.ablation_prompts, seeds=list(s.sampling_seeds[:1]),
                                                        n_eval=s.ablation_eval, train_prompts=s.n_train_prompts, seed=s.seed)
        self.seconds["ablation"] = time.time() - t0
        return pd.DataFrame({name: {k: v for k, v in row.items() if not isinstance(v, dict)}
                             for name, row in self.ablation_result["conditions"].items()}).round(3)

    def results(self, model_name: str) -> dict:
        s, t, stats = self.settings, self.main_table, self.main_stats
        return {
            "model": model_name, **backend_fields(self.model), "settings": s.as_dict(), "seed": s.seed,
            "seeds": list(s.sampling_seeds),
            "n_prompts": s.n_prompts, "max_new_tokens": s.max_new_tokens, "temperature": s.temperature,
            "positions": s.positions, "chat": s.chat, "directions_note": self.note,
            "readers": {axis: {"kind": p.kind, "layer": p.layer, "hook": p.hook, "pooling": p.pooling}
                        for axis, p in self.readers.items()},
            "valence": {"layer": self.best_layer, "kind": self.best_kind, "projection_std": self.probe.projection_std,
                        "alphas": t["alpha"].tolist(), "mean_vader": t["vader"].tolist(),
                        "ci_low": t["vader_ci_low"].tolist(), "ci_high": t["vader_ci_high"].tolist(),
                        "spearman_rho": stats["spearman_rho"], "slope": stats["slope"], "vader_gap": stats["gap"],
                        "goal_rho": 0.9, "goal_met": bool(stats["spearman_rho"] >= 0.9),
                        "mean_probe_readout": t["readout_valence"].tolist(), "probe_readout": _curve(t, "readout_valence"),
                        "n_per_alpha": t["n"].tolist()},
            "layer_sweep": self.layer_rows, "kind_comparison": self.kind_rows,
            "fluency": {"alphas": sorted(self.ratios), "perplexity_by_alpha": t["perplexity"].tolist(),
                        "perplexity_ratio_by_alpha": [self.ratios[a] for a in sorted(self.ratios)],
                        "distinct2_by_alpha": t["distinct2"].tolist(), "alpha_range_within_1.5x": self.within,
                        "examples": self.examples[["alpha", "prompt", "text", "vader", "perplexity"]].to_dict(orient="records")},
            "arousal": {"layer": self.best_layer, "kind": self.best_kind, "alphas": self.arousal_table["alpha"].tolist(),
                        **{m: _curve(self.arousal_table, m) for m in AROUSAL_METRICS},
                        "spearman_rho": {m: v["spearman_rho"] for m, v in self.arousal_stats.items()},
                        "proxy": "arousal lexicon hits per 100 words (high - low) and share of continuations with '!'"},
            "ablation": self.ablation_result,
            "generation": {"continuations": self.store.generated + self.main_store.generated,
                           "seconds": self.store.seconds + self.main_store.seconds},
            "seconds": {**self.seconds, "total": time.time() - self.started},
        }
