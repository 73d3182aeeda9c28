"""Notebook 06's viewer: pick a text (a held-out statement, or a continuation the model wrote) and
k, and see both read-outs along the text, token by token.

    >>> viewer = PersistenceViewer(model, study)   # a PersistenceStudy after .distance() and .generation()
    >>> viewer.show()                              # in JupyterLab: dropdowns, then the figure
    >>> viewer.figure(0, 64, "valence")            # the same figure from code

Read-outs: the k = 0 probe (site "last", its best layer) applied unchanged, and the probe
retrained at the chosen k at the same layer. The text shown for a statement is the statement,
k tokens of neutral filler, and the re-mention; for a continuation, prompt and generation.
"""
from __future__ import annotations

from .plots.persistence import token_readout_figure
from .token_readouts import token_activations


class PersistenceViewer:
    def __init__(self, model, study, n_texts: int = 12):
        self.model, self.study = model, study
        self.texts: list[tuple[str, str, dict]] = []  # (label, axis, {k: text}) or a fixed text
        for axis in study.frames:
            frame = study.frames[axis]
            rows = frame[frame["test"] & (frame["site"] == "mention") & (frame["filler"] == 0)]
            for statement, group in list(rows.groupby("statement", sort=False))[:n_texts // 2]:
                self.texts.append((f"{axis}: {statement}", axis, dict(zip(group["k"], group["text"]))))
            table = getattr(study, "generated", {}).get(axis)
            if table is not None:
                for text_id, group in list(table.groupby("text_id"))[:2]:
                    text = group["prompt"].iloc[0] + group["text"].iloc[0]
                    self.texts.append((f"{axis}, generated: {text[:60]}...", axis, {None: text}))
        if not self.texts:
            raise ValueError("The study has no texts yet: run study.distance() first.")
        self.ks = study.readouts[(next(iter(study.frames)), "last")].ks

    def figure(self, index: int, k: int, axis: str | None = None):
        label, text_axis, by_k = self.texts[index]
        axis = axis or text_axis
        result = self.study.readouts[(axis, "last")]
        text = by_k.get(k, by_k.get(None)) or by_k[min(by_k, key=lambda kk: abs((kk or 0) - k))]
        fixed, retrained = result.probes[result.best_layer], result.retrained_probes.get(k)
        item = token_activations(self.model, [text], [result.best_layer])[0]
        acts = item["acts"][:, 0]
        values = {"k = 0 probe, unchanged": fixed.decision_function(acts)}
        if retrained is not None and k:
            values[f"probe retrained at k = {k}"] = retrained.decision_function(acts)
        tokens = [self.model.tokenizer.decode([t]) for t in item["ids"]]
        return token_readout_figure(tokens, values, f"{axis} read-outs along: {label[:70]} (k = {k}, "
                                                    f"layer {result.best_layer})")

    def show(self):
        import ipywidgets as W
        from IPython.display import display

        text = W.Dropdown(options=[(label, i) for i, (label, _, _) in enumerate(self.texts)], description="Text",
                          layout=W.Layout(width="95%"))
        k = W.Dropdown(options=self.ks, value=self.ks[min(len(self.ks) - 1, 3)], description="k")
        axis = W.Dropdown(options=list(self.study.frames), description="Read-out")
        # the figure is an ordinary display output updated in place (a display id), not an Output
        # widget: a headless run (papermill / nbclient) then has no widget traffic to wait on
        handle = display(self.figure(text.value, k.value, axis.value), display_id=True)

        def redraw(_=None):
            handle.update(self.figure(text.value, k.value, axis.value))

        for control in (text, k, axis):
            control.observe(redraw, names="value")
        display(W.VBox([text, W.HBox([k, axis])]))
        return self
