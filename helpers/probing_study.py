"""Notebook 03 end to end, one method per section: the sweep, the chosen probes, their
directions, the plane, VADER, goals, the wide test, the diagnosis, and results.json.

    study = ProbingStudy(model, Probing.preset("quick"))
    study.sweep()                    # every axis x hook x pooling x layer (first split seed)
    study.choose()                   # the configurations, on validation data only; scored on every seed
    ...
    study.save(out)                  # probes.npz + results.json

Split seeds (``settings.seeds``): the sweep and the choice of configuration use the first seed's
split (validation = crossed CV on its training rows); every chosen configuration is then refit
and scored on every seed's split (``helpers.seeds``), and the headline accuracies are the mean
over seeds with [min, max] and an interval resampling seeds, words and template patterns. The
saved probes, their directions, the plane, VADER and the diagnosis are the first seed's (single-seed
figures, shown as such).

The statistics live in ``helpers.evaluation`` and ``helpers.seeds``; this class only keeps the state
a notebook section hands to the next (prompts, split masks, the accuracy table, activation matrices).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import evaluation as E
from . import seeds as S
from .data import describe_splits
from .models import backend_fields, model_info
from .probes import check_Cs, load, readout, save

AXES = ("valence", "arousal")


class ProbingStudy:
    def __init__(self, model, settings):
        self.seeds = S.check_seeds(settings.seeds)  # bad settings fail first, naming the parameter
        check_Cs(settings.Cs)
        self.model, self.settings = model, settings
        self.n_layers = model_info(model).n_layers
        self.layers = list(range(0, self.n_layers, settings.layer_step))
        self.model_name = model_info(model).name
        self.data, self.tables, self.seconds, self.matrices = {}, [], {}, {}
        self.started = time.time()
        self.wide, self.wide_pools, self.diagnosis = {}, {}, {}
        self.parts, self.seed_runs, self.unseen = {}, {}, {}

    # ---------------------------------------------------------------- sweep
    def sweep(self) -> pd.DataFrame:
        """Prompts, every seed's split masks, and the first seed's accuracy table of every axis x hook x
        pooling x layer."""
        s = self.settings
        for axis in AXES:
            t0 = time.time()
            df, _ = E.prompt_set(axis, n_templates=s.n_templates, n_adjectives=s.n_adjectives, seed=s.seed)
            self.parts[axis] = S.split_sets(df, self.seeds)
            parts = self.parts[axis][self.seeds[0]]
            acts = E.prompt_activations(self.model, df, hooks=s.hooks, poolings=s.poolings, layers=self.layers)
            self.tables.append(E.sweep(acts, df, parts, axis=axis, layers=self.layers, Cs=s.Cs, folds=s.folds,
                                       seed=self.seeds[0], device=self.device))
            self.data[axis] = (df, parts)
            self.seconds[axis] = time.time() - t0
            del acts
        self.table = pd.concat(self.tables, ignore_index=True)
        return pd.concat({axis: describe_splits(*d) for axis, d in self.data.items()})

    def best_per_split(self) -> pd.DataFrame:
        """The best layer of every hook x pooling per split (descriptive: it looks at test sets)."""
        self.best_rows = pd.concat([
            E.best_per_split(self.table, self.n_layers).assign(variant="all"),
            E.best_per_split(self.table, self.n_layers, variant="affirmative_only").assign(variant="affirmative_only")])
        return self.best_rows.pivot_table(index=["axis", "variant", "hook", "pooling"], columns="split",
                                          values=["accuracy", "layer"]).round(3)

    @property
    def device(self):
        """Where the probe fits run: the model's device (CUDA when ``load_model`` put it there)."""
        try:
            return next(self.model.parameters()).device
        except (AttributeError, StopIteration, TypeError):
            return None

    # ---------------------------------------------------------------- choice
    def choose(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The saved configuration per axis (``criterion``), the alternatives (incl. each hook's best), and
        the affirmative-only configuration, all chosen on the first seed's validation data, then scored
        on every seed: two tables of means over seeds."""
        s, table, t0 = self.settings, self.table, time.time()
        self.best, self.chosen = {}, {}
        for axis in AXES:
            self.chosen[axis], self.best[axis] = E.summarise_axis(table, axis, self.n_layers, criterion=s.criterion)
        options = [("mean_heldout", {"criterion": "mean_heldout"})]
        if "word" in s.poolings:
            options.append(("word pooling", {"exclude_poolings": [p for p in s.poolings if p != "word"]}))
        options += [(f"best {hook}", {"hooks": [hook]}) for hook in s.hooks]
        self.alternatives = {f"{axis} ({name})": E.choose_config(self._hook_table(table, kw.pop("hooks", None)),
                                                                 axis, **kw)
                             for axis in AXES for name, kw in [(n, dict(k)) for n, k in options]}
        for axis in AXES:
            self._score_seeds(axis, self.chosen[axis], self.best[axis])
            aff = self.best[axis].get("affirmative_only_config")
            if aff:
                got = self._score_seeds(axis, aff)
                aff.update({"accuracy": got["accuracy_affirmative_only"],
                            **{k + "_affirmative_only": got[k + "_affirmative_only"] for k in
                               ("accuracy_seeds", "accuracy_range", "accuracy_ci")}})
        for name, cfg in self.alternatives.items():
            got = self._score_seeds(name.split()[0], cfg)
            cfg.update({k: got[k] for k in ("accuracy", "accuracy_seeds", "accuracy_range", "accuracy_ci")})
        self.seconds["seeds"] = time.time() - t0
        rows = {f"{axis} (chosen: {s.criterion})": {**self.chosen[axis], **self.best[axis]["accuracy"]} for axis in AXES}
        rows.update({name: {**{k: v for k, v in cfg.items() if not k.startswith("accuracy")}, **cfg["accuracy"]}
                     for name, cfg in self.alternatives.items()})
        affirmative = pd.DataFrame({axis: {**{k: v for k, v in b["affirmative_only_config"].items()
                                              if not k.startswith("accuracy")},
                                           **b["affirmative_only_config"]["accuracy"]}
                                    for axis, b in self.best.items() if "affirmative_only_config" in b}).T
        return pd.DataFrame(rows).T.drop(columns=["criterion"]).round(3), affirmative.round(3)

    @staticmethod
    def _hook_table(table, hooks):
        return table if hooks is None else table[table["hook"].isin(hooks)]

    def _score_seeds(self, axis: str, cfg: dict, into: dict | None = None) -> dict:
        """``cfg`` refit and scored on every seed (cached per configuration); its seed summary, also
        written into ``into`` (the first seed's figures kept as ``accuracy_first_seed``)."""
        key = (axis, cfg["hook"], cfg["pooling"], cfg["layer"])
        if key not in self.seed_runs:
            df = self.data[axis][0]
            self.seed_runs[key] = S.evaluate_seeds(self.matrix_at(axis, cfg), df, self.parts[axis], Cs=self.settings.Cs,
                                                   folds=self.settings.folds, device=self.device)
        got = S.summarise_seeds(self.seed_runs[key], self.data[axis][0], seed=self.settings.seed)
        if into is not None:
            into["accuracy_first_seed"] = dict(into["accuracy"])
            into["accuracy_affirmative_only_first_seed"] = dict(into["accuracy_affirmative_only"])
            into.update({k: v for k, v in got.items() if k != "validation_accuracy"})
            into["validation_accuracy_seeds"] = got["validation_accuracy"]
        return got

    def seed_table(self) -> pd.DataFrame:
        """Per-seed accuracies of the chosen configurations (rows: axis x split; columns: seeds, mean, min, max)."""
        rows = {}
        for axis in AXES:
            b = self.best[axis]
            for split, values in b["accuracy_seeds"].items():
                rows[(axis, split)] = {**{f"seed {s}": v for s, v in zip(self.seeds, values)}, "mean": b["accuracy"][split],
                                       "min": b["accuracy_range"][split][0], "max": b["accuracy_range"][split][1],
                                       "ci_low": b["accuracy_ci"][split][0], "ci_high": b["accuracy_ci"][split][1]}
        return pd.DataFrame(rows).T.round(3)

    def matrix_at(self, axis: str, cfg: dict) -> np.ndarray:
        """Activations ``[prompts, width]`` of ``axis``'s prompts at configuration ``cfg`` (cached)."""
        key = (axis, cfg["hook"], cfg["pooling"], cfg["layer"])
        if key not in self.matrices:
            X = E.prompt_activations(self.model, self.data[axis][0], hooks=[cfg["hook"]], poolings=[cfg["pooling"]],
                                     layers=self.layers, progress=False)
            self.matrices[key] = X[(cfg["hook"], cfg["pooling"])][:, self.layers.index(cfg["layer"])]
        return self.matrices[key]

    # ---------------------------------------------------------------- directions
    def _train_kinds(self, axis, cfg):
        df, parts = self.data[axis]
        return E.train_all_kinds(self.matrix_at(axis, cfg), df, parts["train"], axis=axis, model_name=self.model_name,
                                 seed=self.seeds[0], Cs=self.settings.Cs,
                                 **{k: cfg[k] for k in ("hook", "pooling", "layer")})

    def directions(self) -> pd.DataFrame:
        """Logistic regression, difference of means and PC1 per axis at its configuration."""
        self.saved, self.kind_accuracy = [], {}
        for axis in AXES:
            df, parts = self.data[axis]
            for probe in self._train_kinds(axis, self.chosen[axis]):
                got = E.score_splits(probe, self.matrix_at(axis, self.chosen[axis]), df, parts)
                self.kind_accuracy[f"{axis}/{probe.kind}"] = got
                probe.metrics.update({f"accuracy_{s}": a for s, a in got.items()})
                self.saved.append(probe)
        self.logreg = {p.axis: p for p in self.saved if p.kind == "logreg"}
        self.cosines = {axis: E.direction_cosines([p for p in self.saved if p.axis == axis]) for axis in AXES}
        return pd.DataFrame(self.kind_accuracy).T.round(3)

    def plane(self) -> tuple[list, pd.DataFrame]:
        """Both axes' probes at the valence configuration, and held-out prompts projected on them."""
        shared = self.chosen["valence"]
        arousal = ([p for p in self.saved if p.axis == "arousal"] if self.chosen["arousal"] == shared
                   else self._train_kinds("arousal", shared))
        probes = [p for p in self.saved if p.axis == "valence"] + arousal
        self.cosines["shared_config"] = {**{k: shared[k] for k in ("hook", "pooling", "layer")},
                                         **E.direction_cosines(probes)}
        points = []
        for axis in AXES:
            df, parts = self.data[axis]
            held = parts["E1"] | parts["E2"] | parts["E3"] | parts["E4"]
            X = self.matrix_at(axis, shared)[held]
            points.append(pd.DataFrame({"x": probes[0].decision_function(X), "y": probes[3].decision_function(X),
                                        "group": axis + " : " + df.loc[held, "label"], "negated": df.loc[held, "negation"],
                                        "prompt": df.loc[held, "prompt"]}).sample(frac=1, random_state=0).head(500))
        return probes, pd.concat(points)

    # ---------------------------------------------------------------- outside references
    def vader(self) -> dict:
        """Spearman of the valence read-out of unseen adjectives with VADER's human ratings."""
        df, parts = self.data["valence"]
        unseen, scores = self.unseen_readout("valence")
        self.vader_result = E.vader_correlation(scores, unseen, np.ones(len(unseen), bool))
        self.vader_e1 = E.vader_correlation(self.logreg["valence"].decision_function(
            self.matrix_at("valence", self.chosen["valence"])), df, parts["E1"])
        return self.vader_result

    def unseen_readout(self, axis: str) -> tuple[pd.DataFrame, np.ndarray]:
        """The saved ``axis`` probe's read-out of every adjective of ``axis`` that no training prompt contains
        (first seed), in ``vader_templates`` affirmative training templates: (prompts, scores), cached."""
        if axis not in self.unseen:
            probe, (df, parts) = self.logreg[axis], self.data[axis]
            unseen = E.unseen_adjective_prompts(df, parts, axis=axis, n_templates=self.settings.vader_templates,
                                                seed=self.settings.seed)
            scores = readout(self.model, probe, unseen["prompt"].tolist(),
                             words=unseen["adjective"].tolist() if probe.pooling == "word" else None)
            self.unseen[axis] = (unseen, scores)
        return self.unseen[axis]

    def probe_human_readout(self) -> pd.DataFrame:
        """Both saved probes' mean read-out per unseen adjective (``unseen_readout``, VADER's protocol) against the
        words' human rating of the probe's axis (Warriner et al. 2013): Spearman, bootstrap interval over words."""
        from . import human_labels as H
        from .data import human_ratings

        t0, ratings, self.human_readout = time.time(), human_ratings(), {}
        for axis in AXES:
            unseen, scores = self.unseen_readout(axis)
            self.human_readout[axis] = H.rating_correlation(H.word_means(scores, unseen), ratings, axis,
                                                            seed=self.settings.seed)
        self.seconds["human_readout"] = time.time() - t0
        table = pd.DataFrame({axis: {k: v for k, v in r.items() if k != "per_word"}
                              for axis, r in self.human_readout.items()}).T
        return table.assign(vader_spearman=[self.vader_result["spearman"], None])

    def arousal_human_labels(self) -> pd.DataFrame:
        """Arousal labelled by human ratings instead of our hand: the dataset's arousal adjectives in the top vs
        bottom third of their Warriner arousal (middle third and unrated words dropped), in the wide test's
        template patterns (at least ``folds + 1`` of each kind; after ``wide_test`` its activations are reused),
        split by the same protocol;
        the arousal probe at the configuration chosen on the hand labels' validation rows, refit and scored on
        every split seed; beside it, our hand labels on the same prompts."""
        from . import human_labels as H
        from .data import human_ratings, load_adjectives

        s, t0, cfg = self.settings, time.time(), self.chosen["arousal"]
        words, coverage = H.thirds_labels(load_adjectives("arousal"), human_ratings(), "arousal")
        by_word = words.set_index("word")
        pool = S.wide_pool(*self.data["arousal"], axis="arousal", n_patterns=max(s.wide_patterns, s.folds + 1),
                           seed=s.seed)  # the wide test's patterns; enough of them for crossed CV folds
        df = H.relabel_prompts(pool, by_word["label"].dropna().to_dict())
        [(X, reused)] = self._activations_for([(df, cfg)])
        got, hand = {}, H.relabel_prompts(df, by_word["hand_label"].to_dict())
        for name, frame in (("human", df), ("hand", hand)):
            if name == "hand" and (hand["y"] == df["y"]).all():  # the labellings agree on every word: same fits
                got[name] = got["human"]
                continue
            runs = S.evaluate_seeds(X, frame, S.split_sets(frame, self.seeds), Cs=s.Cs, folds=s.folds,
                                    device=self.device)
            got[name] = S.summarise_seeds(runs, frame, seed=s.seed)
        self.human_labels = {
            **H.label_agreement(by_word["hand_label"], by_word["label"]), "coverage": coverage,
            "middle_third_hand_labels": words.loc[words["third"] == "middle", "hand_label"].value_counts().to_dict(),
            "config": {**{k: cfg[k] for k in ("hook", "pooling", "layer")}, "chosen_on": "hand labels, validation"},
            "n_prompt_words": int(df["adjective"].nunique()), "n_prompts": int(len(df)),
            "n_patterns": int(df["pattern"].nunique()), "n_prompts_run": int(len(df) - reused),
            "share_high": float((df.drop_duplicates("adjective")["adjective_label"] == "high").mean()),
            "seeds": list(self.seeds), **{k: v for k, v in got["human"].items() if k != "seeds"},
            "hand_labels_same_words": {k: got["hand"][k] for k in ("accuracy", "accuracy_ci",
                                                                   "accuracy_affirmative_only")}}
        self.seconds["arousal_human_labels"] = time.time() - t0
        return self.human_label_table()

    def _activations_for(self, requests: list[tuple[pd.DataFrame, dict]]) -> list[tuple[np.ndarray, int]]:
        """For each (prompts, configuration): activations ``[prompts, width]`` there and how many rows were
        reused. Rows already computed (the wide test's pools, either axis's sampled prompts: an activation
        depends on the prompt's text alone) are reused; the others of every request run together, each
        distinct prompt once, up to the deepest layer asked."""
        filled, missing = [], []
        for df, cfg in requests:
            spec = (cfg["hook"], cfg["pooling"], cfg["layer"])
            sources = [(pool, M) for pool, M, at in self.wide_pools.values() if at == spec]
            sources += [(self.data[axis][0], self.matrix_at(axis, cfg)) for axis in self.data]
            X, have = np.empty((len(df), sources[-1][1].shape[1]), dtype=np.float32), np.zeros(len(df), bool)
            for prompts, M in sources:
                where = df["prompt"].map(dict(zip(prompts["prompt"], range(len(prompts))))).to_numpy()
                take = ~pd.isna(where) & ~have
                X[take], have = M[where[take].astype(int)], have | take
            filled.append((X, have))
            missing.append(df.loc[~have, ["prompt", "adjective"]])
        run = pd.concat(missing).drop_duplicates("prompt") if missing else pd.DataFrame()
        if len(run):
            hooks, poolings = ([*dict.fromkeys(cfg[k] for _, cfg in requests)] for k in ("hook", "pooling"))
            layers = sorted({cfg["layer"] for _, cfg in requests})
            acts = E.prompt_activations(self.model, run, hooks=hooks, poolings=poolings, layers=layers)
            row_of = dict(zip(run["prompt"], range(len(run))))
            for (df, cfg), (X, have) in zip(requests, filled):
                rows = df.loc[~have, "prompt"].map(row_of).to_numpy(dtype=int)
                X[~have] = acts[(cfg["hook"], cfg["pooling"])][rows, layers.index(cfg["layer"])]
        return [(X, int(have.sum())) for X, have in filled]

    def human_label_table(self) -> pd.DataFrame:
        """Per split: the headline arousal accuracy (hand labels, sampled words), hand labels and human-thirds
        labels on the thirds' prompts (means over seeds), and the human labels' interval."""
        h, rows = self.human_labels, {}
        for suffix, splits in (("", S.SPLITS), ("_affirmative_only", S.SPLITS[:4])):
            for split in splits:
                rows[split + suffix.replace("_", " ")] = {
                    "hand labels (headline)": self.best["arousal"]["accuracy" + suffix][split],
                    "hand labels, thirds words": h["hand_labels_same_words"]["accuracy" + suffix][split],
                    "human thirds": h["accuracy" + suffix][split],
                    "ci_low": h["accuracy_ci" + suffix][split][0], "ci_high": h["accuracy_ci" + suffix][split][1]}
        return pd.DataFrame(rows).T.round(3)

    def goals(self) -> pd.DataFrame:
        """Issue #5's goals against the chosen probes' means over seeds, with intervals that resample
        seeds, words and template patterns (``helpers.seeds.seed_interval``)."""
        self.goal_table = E.goal_table(self.best)
        return self.goal_table.round(3)

    def wide_test(self) -> pd.DataFrame:
        """Every seed's probe at the chosen configuration on the whole dataset outside its training rows."""
        s, t0 = self.settings, time.time()
        axes = list(AXES) if s.wide_patterns else []
        pools = {axis: S.wide_pool(*self.data[axis], axis=axis, n_patterns=s.wide_patterns, seed=s.seed) for axis in axes}
        # Most arousal prompts are valence prompts too: both axes' pools run in one pass, each prompt once.
        got = self._activations_for([(pools[axis], self.chosen[axis]) for axis in axes])
        for axis, (X, _) in zip(axes, got):
            cfg, pool = self.chosen[axis], pools[axis]
            key = (axis, cfg["hook"], cfg["pooling"], cfg["layer"])
            self.wide[axis] = S.wide_seed_accuracy(self.seed_runs[key], X, pool, self.data[axis][0], self.parts[axis],
                                                   seed=s.seed)
            self.wide_pools[axis] = (pool, X, key[1:])  # kept for the human-labelled arousal probe
        self.seconds["wide_test"] = time.time() - t0
        frames = [t.drop(columns=["seeds"]).assign(axis=axis) for axis, t in self.wide.items()]
        return pd.concat(frames).set_index(["axis", "split", "rows"]).round(3) if frames else pd.DataFrame()

    # ---------------------------------------------------------------- diagnosis
    def diagnose(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Accuracy on affirmative vs negated rows, per negation cue, and the fit ceiling."""
        for axis in AXES:
            df, parts = self.data[axis]
            X, probe = self.matrix_at(axis, self.chosen[axis]), self.logreg[axis]
            held = parts["E1"] | parts["E2"] | parts["E3"] | parts["E4"]
            self.diagnosis[axis] = {"breakdown": E.error_breakdown(probe, X, df, parts),
                                    "negators": E.negator_accuracy(probe, X, df, held),
                                    "ceiling": E.fit_ceiling(X, df, parts, axis=axis, seed=self.settings.seed)}
        breakdown = pd.concat({axis: d["breakdown"].pivot(index="split", columns="rows", values="accuracy")
                               for axis, d in self.diagnosis.items()})
        return breakdown.round(3), pd.DataFrame({axis: d["ceiling"] for axis, d in self.diagnosis.items()}).T.round(3)

    def word_accuracy(self, axis: str) -> pd.DataFrame:
        """Leave-one-word-out accuracy of every adjective of ``axis`` (worst first)."""
        df, _ = self.data[axis]
        words = E.word_accuracy(self.matrix_at(axis, self.chosen[axis]), df, axis=axis,
                                C=self.logreg[axis].metrics["C"], seed=self.settings.seed)
        self.diagnosis[axis]["words"] = words
        return words

    # ---------------------------------------------------------------- human ratings
    def human_readouts(self) -> pd.DataFrame:
        """Ridge read-outs of human valence and arousal (Warriner et al. 2013) at every layer,
        from each word's activations averaged over ``readouts.FRAMES``; layer and ridge strength
        chosen by CV on the training words, scored once on held-out words."""
        from . import readouts as R

        s, self.readouts = self.settings, {}
        if not s.readout_words:
            return pd.DataFrame()
        words = R.rated_vocabulary(s.readout_words, seed=s.seed)
        train, test = R.word_split(len(words), n_test=s.readout_test_words, seed=s.seed)
        X = R.frame_activations(self.model, words["word"], layers=self.layers)
        results = R.ridge_readouts(X, {axis: words[axis].to_numpy() for axis in AXES}, train, test, seed=s.seed)
        self.readouts = {axis: result.as_json(self.layers) for axis, result in results.items()}
        return pd.DataFrame({axis: {k: v for k, v in r.items() if k != "heldout_by_layer"}
                             for axis, r in self.readouts.items()}).T

    def human_ratings_summary(self) -> dict:
        r = getattr(self, "readouts", {})
        return {"valence_heldout_spearman": r.get("valence", {}).get("heldout_spearman"),
                "arousal_heldout_spearman": r.get("arousal", {}).get("heldout_spearman"),
                "n_heldout_words": r.get("valence", {}).get("n_test"), "frames": "helpers.readouts.FRAMES",
                "detail": r, "goals": {"valence >= 0.80": r.get("valence", {}).get("heldout_spearman", 0) >= 0.80,
                                       "arousal >= 0.65": r.get("arousal", {}).get("heldout_spearman", 0) >= 0.65}}

    # ---------------------------------------------------------------- results
    def save(self, out) -> dict:
        """probes.npz (checked by reloading), accuracy_table.csv and results.json's dict."""
        save(out / "probes.npz", self.saved)
        reloaded = load(out / "probes.npz")
        assert all(np.allclose(reloaded[f"{p.axis}/{p.kind}"].direction, p.direction) for p in self.saved)
        self.table.to_csv(out / "accuracy_table.csv", index=False)
        return self.results()

    def results(self) -> dict:
        s, d = self.settings, self.diagnosis
        return {
            "model": self.model_name, **backend_fields(self.model), "n_layers": self.n_layers,
            "d_model": model_info(self.model).d_model,
            "layers": self.layers, "hooks": list(s.hooks), "poolings": list(s.poolings), "seed": s.seed,
            "split_seed": self.seeds[0],
            "settings": s.as_dict(), "criterion": s.criterion, "Cs": list(s.Cs), "folds": s.folds,
            "n_prompts": {axis: len(v[0]) for axis, v in self.data.items()},
            "split_sizes": {axis: describe_splits(*v).set_index("split")[["train", "test"]].to_dict(orient="index")
                            for axis, v in self.data.items()},
            "best": self.best,
            "seeds": list(self.seeds),
            "alternatives": self.alternatives,
            "best_per_split": self.best_rows.to_dict(orient="records"),
            "direction_accuracy": self.kind_accuracy, "cosines": self.cosines,
            "vader_spearman": self.vader_result["spearman"], "vader_p_value": self.vader_result["p_value"],
            "vader_n_words": self.vader_result["n_words"],
            "vader_spearman_E1": self.vader_e1["spearman"], "vader_n_words_E1": self.vader_e1["n_words"],
            "goals": self.goal_table.to_dict(orient="records"),
            "error_breakdown": {axis: v["breakdown"].to_dict(orient="records") for axis, v in d.items()},
            "negator_accuracy": {axis: v["negators"].to_dict(orient="records") for axis, v in d.items()},
            "fit_ceiling": {axis: v["ceiling"] for axis, v in d.items()},
            "word_accuracy": {axis: v["words"].to_dict(orient="records") for axis, v in d.items() if "words" in v},
            "wide_heldout": {axis: t.to_dict(orient="records") for axis, t in self.wide.items()},
            "human_ratings": self.human_ratings_summary(),
            "human_readout": {axis: {k: v for k, v in r.items() if k != "per_word"}
                              for axis, r in getattr(self, "human_readout", {}).items()},
            "arousal_human_labels": getattr(self, "human_labels", None),
            "table": self.table.to_dict(orient="records"),
            "seconds": {**{(f"sweep_{k}" if k in AXES else k): v for k, v in self.seconds.items()},
                        "total": time.time() - self.started},
        }
