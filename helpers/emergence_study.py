"""Notebook 02 end to end, one method per section: activations, PCA per layer, the emergence
layer, the emotion words' geometry, and results.json. The statistics are ``helpers.pca``."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import pca as P
from .collect import collect_many
from .data import neutral_texts
from .evaluation import prompt_activations, prompt_set
from .models import backend_fields, model_info


class EmergenceStudy:
    def __init__(self, model, settings):
        s = self.settings = settings
        self.model, self.model_name, self.started = model, model_info(model).name, time.time()
        self.n_layers = n = model_info(model).n_layers
        self.layers = list(range(0, n, s.layer_step))
        self.df, self.parts = prompt_set("valence", n_templates=s.n_templates, n_adjectives=s.n_adjectives, seed=s.seed)
        self.main_pooling = s.poolings[0]
        self.g_layers = list(s.geometry_layers or sorted({n // 4, n // 2, (3 * n) // 4}))
        self.main_layer = self.g_layers[len(self.g_layers) // 2]

    def describe(self) -> str:
        return (f"{self.n_layers} layers, d_model {model_info(self.model).d_model}; {len(self.df)} prompts "
                f"({int(self.df['negation'].sum())} negated); layers {self.layers}")

    def activations(self) -> dict:
        """Every hook x pooling of the valence prompts, one forward pass (the poolings notebook 03
        also uses are collected together, so its run finds them cached)."""
        s, t0 = self.settings, time.time()
        poolings = list(dict.fromkeys(list(s.poolings) + ["last", "mean", "max", "word"]))
        acts = prompt_activations(self.model, self.df, hooks=s.hooks, poolings=poolings, layers=self.layers)
        self.acts = {spec: X for spec, X in acts.items() if spec[1] in s.poolings}
        self.collect_seconds = time.time() - t0
        return {f"{h}/{p}": X.shape for (h, p), X in self.acts.items()}

    def pca_per_layer(self) -> pd.DataFrame:
        """PC1 AUC (and more) per layer, with and without centring within templates."""
        y, affirmative = self.df["y"].to_numpy(), ~self.df["negation"].to_numpy()
        frames, self.coords = [], {}
        for (hook, pooling), X in self.acts.items():
            for centering, Xc in (("template", P.center_within(X, self.df["template_id"])), ("none", X)):
                table, self.coords[(hook, pooling, centering)] = P.layer_metrics(Xc, y, self.layers,
                                                                                 subsets={"affirmative": affirmative})
                frames.append(table.assign(hook=hook, pooling=pooling, centering=centering))
        self.per_layer = pd.concat(frames, ignore_index=True)
        return self.per_layer.round(3).pivot_table(index="layer", columns=["centering", "hook", "pooling"], values="pc1_auc")

    def slider_inputs(self, hook: str) -> dict:
        """Arguments of ``plots.layer_slider_figure`` for ``hook`` at the main pooling."""
        t = self.per_layer
        auc = t[(t.hook == hook) & (t.pooling == self.main_pooling) & (t.centering == "template")]
        return {"coords": self.coords[(hook, self.main_pooling, "template")], "layers": self.layers,
                "y": self.df["y"].to_numpy(), "negation": self.df["negation"].to_numpy(),
                "hover": (self.df["prompt"] + "  [" + self.df["label"] + "]").to_numpy(),
                "active": int(auc["pc1_auc"].to_numpy().argmax())}

    def emergence(self) -> dict:
        """The first layer whose PC1 AUC reaches the threshold, per hook (and variants)."""
        threshold, t = self.settings.threshold, self.per_layer
        centred = t[t.centering == "template"]
        self.emergence_layer = {hook: P.emergence_layer(centred[(centred.hook == hook) & (centred.pooling == self.main_pooling)],
                                                        threshold) for hook in self.settings.hooks}
        group = lambda frame: frame.groupby(["hook", "pooling"])  # noqa: E731
        self.variants = {
            "by_pooling": {f"{h}/{p}": P.emergence_layer(g, threshold) for (h, p), g in group(centred)},
            "affirmative": {f"{h}/{p}": P.emergence_layer(g, threshold, column="pc1_auc_affirmative")
                            for (h, p), g in group(centred)},
            "uncentred": {f"{h}/{p}": P.emergence_layer(g, threshold) for (h, p), g in group(t[t.centering == "none"])}}
        return {"main": self.emergence_layer, **self.variants}

    def emotion_activations(self) -> str:
        """Emotion words in affirmative templates, and neutral texts, at the geometry layers."""
        s, t0 = self.settings, time.time()
        self.emotions = P.emotion_prompts(n_templates=s.emotion_templates, seed=s.seed)
        self.word_acts = collect_many(self.model, self.emotions["prompt"].tolist(),
                                      [("resid_post", p) for p in s.geometry_poolings], layers=self.g_layers,
                                      words=self.emotions["word"].tolist())
        specs = sorted({("resid_post", "mean" if p == "word" else p) for p in s.geometry_poolings})
        self.neutral_acts = collect_many(self.model, neutral_texts(), specs, layers=self.g_layers)
        return (f"{len(self.emotions)} prompts ({self.emotions['word'].nunique()} words x {s.emotion_templates} "
                f"templates), layers {self.g_layers}, in {time.time() - t0:.0f} s")

    def geometry(self) -> pd.DataFrame:
        """PC1 against valence and PC2 against arousal of the emotion words, raw and with the top
        neutral-text components projected out."""
        rows, self.panels = [], {}
        for pooling in self.settings.geometry_poolings:
            for slot, layer in enumerate(self.g_layers):
                words, V = P.emotion_vectors(self.word_acts[("resid_post", pooling)][:, slot], self.emotions["word"])
                coords = self.emotions.drop_duplicates("word").set_index("word").loc[words]
                N = self.neutral_acts[("resid_post", "mean" if pooling == "word" else pooling)][:, slot]
                projected = P.project_out(V, P.top_components(N, self.settings.neutral_pcs))
                for variant, vectors in (("raw", V), ("neutral_projected", projected)):
                    geo = P.emotion_geometry(vectors, coords["valence"], coords["arousal"])
                    self.panels[(pooling, layer, variant)] = geo
                    rows.append({"pooling": pooling, "layer": layer, "variant": variant,
                                 **{k: v for k, v in geo.items() if k != "scores"}})
        self.geometry_table = pd.DataFrame(rows)
        return self.geometry_table.round(3)

    def geometry_inputs(self) -> dict:
        """Arguments of ``plots.geometry_figure`` at the main layer and pooling."""
        words = sorted(self.emotions["word"].unique())
        coords = self.emotions.drop_duplicates("word").set_index("word").loc[words]
        pooling = self.settings.geometry_poolings[0]
        return {"words": words, "panels": {v: self.panels[(pooling, self.main_layer, v)] for v in ("raw", "neutral_projected")},
                "valence": coords["valence"].to_numpy(), "arousal": coords["arousal"].to_numpy()}

    def human_geometry(self, ratings: pd.DataFrame) -> dict:
        """PC1 and PC2 of the emotion words (main layer and pooling) against human valence and
        arousal (Warriner et al. 2013), Spearman with a bootstrap interval, on the rated words."""
        from .readouts import spearman

        pooling = self.settings.geometry_poolings[0]
        words, _ = P.emotion_vectors(self.word_acts[("resid_post", pooling)][:, self.g_layers.index(self.main_layer)],
                                     self.emotions["word"])
        scores = np.asarray(self.panels[(pooling, self.main_layer, "raw")]["scores"])
        rated = ratings.set_index("word").reindex(words)
        keep = rated["valence"].notna().to_numpy()
        out, rng = {"n_rated": int(keep.sum()), "n_words": len(words)}, np.random.default_rng(self.settings.seed)
        for axis, component in (("valence", 0), ("arousal", 1)):
            a, b = scores[keep, component], rated[axis].to_numpy()[keep]
            boots = [abs(spearman(a[i], b[i])) for i in (rng.integers(0, len(a), len(a)) for _ in range(1000))]
            out[f"pc{component + 1}_{axis}_spearman"] = abs(spearman(a, b))
            out[f"pc{component + 1}_{axis}_ci"] = [float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))]
        self.human = out
        return out

    def vocabulary_geometry(self) -> pd.DataFrame:
        """PCA of ``vocabulary_words`` rated words read in a neutral frame and in emotion frames
        (``readouts.FRAMES``), every layer: do PC1 and PC2 follow human valence and arousal?"""
        from . import readouts as R

        s, t0 = self.settings, time.time()
        self.vocabulary = {}
        if not s.vocabulary_words:
            return pd.DataFrame()
        words = R.rated_vocabulary(s.vocabulary_words, seed=s.seed)
        layers = list(range(self.n_layers))  # notebook 03's read-outs collect the same: one cache entry
        frame_sets = {"neutral frame": R.FRAMES[:1], "emotion frames": R.FRAMES[1:]}
        tables = []
        for name, frames in frame_sets.items():
            X = R.frame_activations(self.model, words["word"], frames=frames, layers=layers)
            table = P.vocabulary_geometry(X, words, layers, seed=s.seed, ci_layers=(self.main_layer,))
            tables.append(table.assign(frames=name))
        self.vocabulary_table = pd.concat(tables, ignore_index=True)
        at_main = self.vocabulary_table[self.vocabulary_table["layer"] == self.main_layer]
        self.vocabulary = {"n_words": len(words), "layer": self.main_layer, "frames": {name: [list(f) for f in frames]
                                                                                       for name, frames in frame_sets.items()},
                           "at_layer": at_main.set_index("frames").to_dict(orient="index"),
                           "per_layer": self.vocabulary_table.to_dict(orient="records"),
                           "seconds": time.time() - t0}
        return at_main.set_index("frames").drop(columns=["layer"]).round(3)

    def results(self) -> dict:
        s = self.settings
        geo = lambda variant: {k: v for k, v in self.panels[(s.geometry_poolings[0], self.main_layer, variant)].items()  # noqa: E731
                               if k != "scores"}
        raw, projected = geo("raw"), geo("neutral_projected")
        return {
            "model": self.model_name, **backend_fields(self.model), "n_layers": self.n_layers, "layers": self.layers,
            "hooks": list(s.hooks),
            "poolings": list(s.poolings), "n_prompts": len(self.df), "threshold": s.threshold, "seed": s.seed,
            "settings": s.as_dict(), "emergence_layer": self.emergence_layer,
            "emergence_depth_fraction": {h: None if l is None else (l + 1) / self.n_layers
                                         for h, l in self.emergence_layer.items()},
            "emergence_layer_by_pooling": self.variants["by_pooling"],
            "emergence_layer_affirmative": self.variants["affirmative"],
            "emergence_layer_uncentred": self.variants["uncentred"],
            "per_layer": self.per_layer.to_dict(orient="records"),
            "emotion_geometry": {
                "layer": self.main_layer, "hook": "resid_post", "pooling": s.geometry_poolings[0],
                "n_words": raw["n_words"], "templates_per_word": s.emotion_templates, "neutral_pcs": s.neutral_pcs,
                "pc1_valence_r": raw["pc1_valence_r"], "pc2_arousal_r": raw["pc2_arousal_r"],
                "pc1_valence_r_neutral_projected": projected["pc1_valence_r"],
                "pc2_arousal_r_neutral_projected": projected["pc2_arousal_r"],
                "raw": raw, "neutral_projected": projected, "all": self.geometry_table.to_dict(orient="records"),
                "human_ratings": getattr(self, "human", None)},
            "vocabulary_geometry": getattr(self, "vocabulary", None),
            "seconds": {"collect_prompts": self.collect_seconds, "total": time.time() - self.started},
        }
