"""Notebook 04 end to end, one method per section: the sentence set, prompting (zero- and
few-shot, calibrated), free generation, the transfer and in-domain probes, the fresh-process
measurement of memory and time, the comparison, and results.json.

The statistics live in ``helpers.comparison`` / ``helpers.prompting`` / ``helpers.memory``; this
class keeps what one section hands to the next.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import comparison as B
from . import memory as M
from . import prompting as P
from .collect import collect_many
from .data import load_prompts, load_sentences, splits
from .models import backend_fields, hf_module, model_info, require_local
from .probes import classify, readout, train_probe


class ComparisonStudy:
    @staticmethod
    def require_local(remote) -> None:
        """One ValueError, before any model loads, for ``remote=True``: notebook 04 needs the
        weights here (prompting; ``helpers.models.require_local``)."""
        require_local("04_probe_vs_prompting", remote)

    def __init__(self, model, settings):
        self.require_local(model_info(model).remote)
        s = self.settings = settings
        self.model, self.model_name = model, model_info(model).name
        self.started, self.timings = time.time(), {}
        self.n_layers = model_info(model).n_layers
        self.sentences = B.stratified_sample(load_sentences(), s.n_sentences, ["label", "hard"], s.seed).reset_index(drop=True)
        self.texts = self.sentences["text"].tolist()
        self.y, self.hard = self.sentences["y"].to_numpy(), self.sentences["hard"].to_numpy()
        self.folds = B.stratified_folds(self.sentences["label"] + "|" + self.sentences["hard"].astype(str), s.n_folds, s.seed)
        prompts = load_prompts("valence")
        parts = splits(prompts, seed=s.seed)
        self.train_rows = B.stratified_sample(prompts[parts["train"]], s.n_templated_train, ["label", "negation"],
                                              s.seed).reset_index(drop=True)
        self.e4_rows = B.stratified_sample(prompts[parts["E4"]], s.n_e4, ["label", "negation"], s.seed).reset_index(drop=True)
        self.e4_texts, self.y_e4 = self.e4_rows["prompt"].tolist(), self.e4_rows["y"].to_numpy()
        self.lm = P.as_lm(model)

    def _timed(self, name, fn, *args, **kwargs):
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        self.timings[name] = time.perf_counter() - start
        return value

    def describe(self) -> str:
        return (f"{len(self.sentences)} sentences ({int(self.hard.sum())} hard), {self.settings.n_folds} folds; "
                f"{len(self.train_rows)} templated training prompts, {len(self.e4_rows)} E4 prompts")

    def parameter_shares(self) -> pd.DataFrame:
        """Where the model's parameters are: embedding, layers, head."""
        self.counts = counts = M.param_counts(hf_module(self.model))
        self.shares = {"embedding": counts["embedding"] / counts["total"],
                       "layers": counts["per_layer"] * self.n_layers / counts["total"],
                       "final norm + unembedding (untied part)": counts["head"] / counts["total"]}
        return pd.Series(self.shares, name="share of parameters").to_frame()

    # ---------------------------------------------------------------- prompting
    def zero_shot(self) -> dict:
        bs = self.settings.batch_size
        self.zero = self._timed("zero_shot_sentences", P.prompting_logodds, self.lm, self.texts, batch_size=bs)
        self.zero_e4 = self._timed("zero_shot_E4", P.prompting_logodds, self.lm, self.e4_texts, batch_size=bs)
        return {"offset": self.zero["offset"], "positive_raw": float(P.predict_labels(self.zero["raw"]).mean()),
                "positive_calibrated": float(P.predict_labels(self.zero["calibrated"]).mean())}

    def few_shot(self) -> dict:
        s = self.settings
        self.few = self._timed("few_shot_sentences", P.few_shot_by_fold, self.lm, self.texts, self.y, self.folds,
                               s.k_shot, seed=s.seed, batch_size=s.batch_size)
        examples = P.draw_examples(self.train_rows["prompt"], self.train_rows["y"], s.k_shot, seed=s.seed)
        self.few_e4 = self._timed("few_shot_E4", P.prompting_logodds, self.lm, self.e4_texts, examples=examples,
                                  batch_size=s.batch_size)
        return {f: round(o, 2) for f, o in self.few["offsets"].items()}

    def logodds_variants(self) -> dict:
        return {"zero_shot": self.zero["raw"], "zero_shot_calibrated": self.zero["calibrated"],
                "few_shot": self.few["raw"], "few_shot_calibrated": self.few["calibrated"]}

    def generation(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Free generation on a few sentences: how often the answer parses as a label."""
        s = self.settings
        start = time.perf_counter()
        rows = B.stratified_sample(self.sentences[self.folds == 0], s.n_generate, ["label", "hard"], s.seed)
        texts, y = rows["text"].tolist(), rows["y"].to_numpy()
        answers = {"zero_shot": P.generate_answers(self.lm, P.build_prompts(self.lm, texts), batch_size=s.batch_size),
                   "few_shot": P.generate_answers(self.lm, P.build_prompts(self.lm, texts, self.few["examples"][0]),
                                                  batch_size=s.batch_size)}
        self.timings["generation"] = time.perf_counter() - start
        self.parse = {name: P.parse_rate(a, y) for name, a in answers.items()}
        shown = pd.DataFrame({"text": texts, "label": np.asarray(P.LABELS)[y], **answers})
        shown["parsed"] = [P.parse_label(a) is not None for a in answers["zero_shot"]]
        return pd.DataFrame(self.parse).T, shown.sort_values("parsed", kind="stable").head(8)

    # ---------------------------------------------------------------- probes
    def transfer_selection(self) -> pd.DataFrame:
        """Features of every hook x pooling x layer, and the transfer probe's configuration chosen
        on templated validation prompts (the sentences' accuracy is reported, never used)."""
        s = self.settings
        specs = [(h, p) for h in s.hooks for p in s.poolings]
        start = time.perf_counter()
        self.F_train = collect_many(self.model, self.train_rows["prompt"].tolist(), specs)
        self.F_e4 = collect_many(self.model, self.e4_texts, specs)
        self.F_sent = collect_many(self.model, self.texts, specs)
        self.timings["collect_all_layers"] = time.perf_counter() - start
        self.layers = list(range(self.n_layers))
        self.fit, self.validate = B.transfer_validation_masks(self.train_rows, s.seed)
        (hook, pooling), layer, self.selection = B.select_transfer_config(
            self.F_train, self.train_rows["y"], self.fit, self.validate, self.layers,
            report={"sentence_accuracy": (self.F_sent, self.y)})
        self.chosen = ((s.transfer_hook or hook, s.transfer_pooling or pooling),
                       layer if s.transfer_layer is None else int(s.transfer_layer))
        return self.selection

    def _fit_transfer(self, spec, layer):
        return B.fit_transfer_probe(self.F_train, self.train_rows["y"], self.fit, self.validate, spec, layer,
                                    model_name=self.model_name, seed=self.settings.seed)

    def transfer_probe(self) -> dict:
        (hook, pooling), layer = self.chosen
        self.probe_transfer, self.C_scores = self._fit_transfer((hook, pooling), layer)
        self.transfer_decision = self.probe_transfer.decision_function(self.F_sent[(hook, pooling)][:, layer])
        self.transfer_pred = (self.transfer_decision > 0).astype(int)
        self.transfer_pred_e4 = self.probe_transfer.predict(self.F_e4[(hook, pooling)][:, layer])
        return {"hook": hook, "pooling": pooling, "layer": layer, "C": self.probe_transfer.metrics["C"],
                "C_validation": self.C_scores, "sentences": float((self.transfer_pred == self.y).mean()),
                "E4": float((self.transfer_pred_e4 == self.y_e4).mean())}

    def transfer_by_hook(self) -> pd.DataFrame:
        """The best transfer probe of each hook alone (chosen on templated validation)."""
        self.by_hook = {}
        validation = self.selection.set_index(["hook", "pooling", "layer"])["validation_accuracy"]
        for hook in self.settings.hooks:
            (_, pooling), layer = B.best_transfer_config(self.selection, hook)
            probe, _ = self._fit_transfer((hook, pooling), layer)
            self.by_hook[hook] = {"pooling": pooling, "layer": layer, "C": probe.metrics["C"],
                                  "validation_accuracy": float(validation.loc[(hook, pooling, layer)]),
                                  "sentence_accuracy": float((probe.predict(self.F_sent[(hook, pooling)][:, layer])
                                                              == self.y).mean())}
        return pd.DataFrame(self.by_hook).T

    def in_domain(self) -> pd.DataFrame:
        """Nested CV on the sentences; the deployed probe is chosen by inner CV on all of them."""
        s, start = self.settings, time.perf_counter()
        self.cv = B.in_domain_probe_cv(self.F_sent, self.y, self.folds, self.layers, seed=s.seed, model_name=self.model_name)
        (hook, pooling), layer, self.dep_score = B.choose_layer_pooling(self.F_sent, self.y, self.layers, seed=s.seed)
        self.probe_in_domain = train_probe(self.F_sent[(hook, pooling)][:, layer], self.y, axis="valence", hook=hook,
                                           pooling=pooling, layer=layer, model_name=self.model_name, seed=s.seed)
        self.in_domain_pred_e4 = self.probe_in_domain.predict(self.F_e4[(hook, pooling)][:, layer])
        self.timings["in_domain_cv"] = time.perf_counter() - start
        return pd.DataFrame(self.cv["choices"])

    def check_classify(self, n: int = 40) -> int:
        """``classify`` on free text gives the probe's own read-out (the public API is the probe)."""
        check = self.texts[:min(len(self.texts), n)]
        labels = classify(self.model, self.probe_transfer, check, cache=False)
        expected = np.where(self.transfer_decision[:len(check)] > 0, "positive", "negative")
        if not (labels == expected).all():
            raise AssertionError("classify disagrees with the probe read-out")
        return len(check)

    # ---------------------------------------------------------------- cost and comparison
    def measure(self) -> pd.DataFrame:
        """Memory and time of every method, each in a fresh process on the same texts."""
        s = self.settings
        texts = B.stratified_sample(self.sentences, s.n_measure, ["label", "hard"], s.seed)
        self.n_measure, index = len(texts), texts.index.to_numpy()
        run = lambda method, **kw: M.measure(method, self.model_name, texts["text"].tolist(),  # noqa: E731
                                             threads=s.measure_threads, batch_size=s.batch_size, **kw)
        start = time.perf_counter()
        m = {"zero_shot": run("prompt"), "few_shot": run("prompt", examples=self.few["examples"][0]),
             "probe_transfer": run("probe", probe=self.probe_transfer),
             "probe_in_domain": run("probe", probe=self.probe_in_domain)}
        self.timings["measurement_processes"] = time.perf_counter() - start
        m["zero_shot_calibrated"], m["few_shot_calibrated"] = m["zero_shot"], m["few_shot"]
        agree = {"zero_shot": np.abs(np.array(m["zero_shot"]["raw"]) - self.zero["raw"][index]).max(),
                 "probe_transfer": np.abs(np.array(m["probe_transfer"]["decision"]) - self.transfer_decision[index]).max()}
        if max(agree.values()) >= 1e-3:
            raise AssertionError(f"the measurement processes disagree with this one: {agree}")
        self.measured = m
        keys = ["param_bytes", "rss_after_imports_mb", "rss_after_load_mb", "peak_rss_mb", "load_seconds", "seconds_per_100"]
        return pd.DataFrame({name: {k: m[name][k] for k in keys} for name in B.METHODS}).T

    def compare(self) -> pd.DataFrame:
        s, y, y_e4 = self.settings, self.y, self.y_e4
        preds = {"zero_shot": (self.zero, self.zero_e4, "raw"), "zero_shot_calibrated": (self.zero, self.zero_e4, "calibrated"),
                 "few_shot": (self.few, self.few_e4, "raw"), "few_shot_calibrated": (self.few, self.few_e4, "calibrated")}
        self.methods = {name: B.method_result(P.predict_labels(a[kind]), y, self.hard, P.predict_labels(e[kind]), y_e4,
                                              self.measured[name], s.seed, calibrated=kind == "calibrated")
                        for name, (a, e, kind) in preds.items()}
        self.methods["probe_transfer"] = B.method_result(self.transfer_pred, y, self.hard, self.transfer_pred_e4, y_e4,
                                                         self.measured["probe_transfer"], s.seed)
        self.methods["probe_in_domain"] = B.method_result(self.cv["pred"], y, self.hard, self.in_domain_pred_e4, y_e4,
                                                          self.measured["probe_in_domain"], s.seed)
        self.best = B.best_prompting(self.methods)
        self.gap = {p: 100 * (self.methods[p]["accuracy"] - self.methods[self.best]["accuracy"]) for p in B.PROBES}
        return B.comparison_table(self.methods)

    def memory_saving(self) -> dict:
        """Predicted and measured memory saving of stopping at the probe's layer."""
        m, c = self.methods, self.counts
        runtime = self.measured["zero_shot"]["rss_after_imports_mb"]
        self.saving = {
            "predicted": 1 - (c["embedding"] + (self.probe_transfer.layer + 1) * c["per_layer"]) / c["total"],
            "params": 1 - m["probe_transfer"]["param_bytes"] / m["zero_shot"]["param_bytes"],
            "in_domain": 1 - m["probe_in_domain"]["param_bytes"] / m["zero_shot"]["param_bytes"],
            "rss": 1 - m["probe_transfer"]["peak_rss_mb"] / m["zero_shot"]["peak_rss_mb"],
            "rss_net": 1 - (m["probe_transfer"]["peak_rss_mb"] - runtime) / (m["zero_shot"]["peak_rss_mb"] - runtime)}
        return self.saving

    def goals(self) -> pd.DataFrame:
        m, gap = self.methods, self.gap
        self.above_chance = {name: m[name]["ci_low"] > 0.5 for name in B.PROMPTING}
        self.goal_flags = {"probe_transfer_accuracy >= 0.85": m["probe_transfer"]["accuracy"] >= 0.85,
                           "probe_in_domain_accuracy >= 0.90": m["probe_in_domain"]["accuracy"] >= 0.90,
                           "probe_transfer >= best prompting + 14 points": gap["probe_transfer"] >= 14,
                           "probe_in_domain >= best prompting + 14 points": gap["probe_in_domain"] >= 14}
        return pd.DataFrame({"met": self.goal_flags, **{"prompting above chance": pd.Series(self.above_chance)}})

    def reference_probe(self, probes_file: Path) -> dict:
        """Notebook 03's saved valence probe on the sentences, when it exists (word pooling cannot read them)."""
        from .probes import load

        if not Path(probes_file).exists():
            return {}
        ref = load(probes_file)["valence"]
        entry = {"layer": ref.layer, "hook": ref.hook, "pooling": ref.pooling, "accuracy": None}
        if ref.pooling in ("last", "mean"):
            entry["accuracy"] = float(((readout(self.model, ref, self.texts) > 0) == self.y).mean())
        else:
            entry["note"] = "word pooling needs an emotion word; not applicable to sentences"
        return {"notebook03_valence": entry}

    def results(self, scaling: list, reference: dict) -> dict:
        s, (hook, pooling), layer = self.settings, *self.chosen
        fixed = s.transfer_layer is not None or s.transfer_pooling is not None or s.transfer_hook is not None
        return {
            "model": self.model_name, **backend_fields(self.model), "settings": s.as_dict(), "methods": self.methods,
            "best_prompting": self.best,
            "probe_minus_best_prompting": self.gap["probe_in_domain"],
            "probe_transfer_minus_best_prompting": self.gap["probe_transfer"],
            "memory_saving_fraction": self.saving["params"], "memory_saving_fraction_predicted": self.saving["predicted"],
            "memory_saving_fraction_rss": self.saving["rss"], "memory_saving_fraction_rss_net": self.saving["rss_net"],
            "memory_saving_fraction_in_domain": self.saving["in_domain"],
            "parse_rate": self.parse, "scaling_table": scaling,
            "parameter_counts": {**self.counts, "embedding_share": self.shares["embedding"]},
            "transfer_probe": {"layer": layer, "hook": hook, "pooling": pooling, "C": self.probe_transfer.metrics["C"],
                               "C_validation": self.C_scores,
                               "chosen_by": "parameters" if fixed else "templated validation",
                               "by_hook": self.by_hook, "validation": self.selection.to_dict(orient="records")},
            "in_domain_probe": {"folds": self.cv["choices"],
                                "deployed": {"layer": self.probe_in_domain.layer, "hook": self.probe_in_domain.hook,
                                             "pooling": self.probe_in_domain.pooling, "inner_cv_accuracy": self.dep_score}},
            "calibration_offsets": {"zero_shot": self.zero["offset"], "few_shot": self.few["offsets"],
                                    "zero_shot_E4": self.zero_e4["offset"], "few_shot_E4": self.few_e4["offset"]},
            "few_shot_examples": self.few["examples"], "reference_probes": reference, "goals": self.goal_flags,
            "prompting_above_chance": self.above_chance,
            "n_sentences": len(self.sentences), "n_hard": int(self.hard.sum()), "n_E4": len(self.e4_rows),
            "n_templated_train": len(self.train_rows), "n_measure": self.n_measure, "k_shot": s.k_shot,
            "n_folds": s.n_folds, "seed": s.seed, "measure_threads": s.measure_threads, "timings": self.timings,
            "seconds_total": time.time() - self.started,
        }
