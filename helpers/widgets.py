"""The steering widget of notebook 05: type a prompt, move the sliders, press Generate.

    >>> widget = SteeringWidget(model, directions, readers)   # directions from steering.train_directions
    >>> widget.show()              # in JupyterLab
    >>> widget.generate()          # what the button does (also callable from code)

Controls (their ``description`` strings are stable; a browser test finds them by these):
"Prompt" (text area), "Valence" and "Arousal" (alpha sliders, in standard deviations of the
probe's training projections), "Layer", "Direction" (probe weights / mean difference / ...),
"Seed", and the "Generate" button. The output panel (CSS class ``emo-steering-output``)
shows the unsteered continuation (``Unsteered:``, class ``emo-unsteered-text``) beside the
steered one for the same seed (``Steered (...):``, class ``emo-steered-text``), each with the
probes' read-out of prompt + continuation.

Nothing runs on a slider move: the model and the directions are built once, outside; the
button's handler only generates two continuations (one batch) and reads them out.
"""
from __future__ import annotations

import html
from typing import Sequence


from .generation import Job, generate_many
from .steering import steering_add, steering_vectors
from .steering_runs import KIND_LABELS

OUTPUT_CLASS = "emo-steering-output"


class SteeringWidget:
    """ipywidgets UI over precomputed directions ``{(axis, kind, layer): Probe}``."""

    def __init__(self, model, directions: dict, readers: dict | None = None, *,
                 prompt: str = "I walked into the kitchen and", layer: int | None = None, kind: str | None = None,
                 max_new_tokens: int = 40, alpha_max: float = 8.0, alpha_step: float = 0.5, seed: int = 0,
                 temperature: float = 0.8, positions: str = "all"):
        import ipywidgets as W

        self.model, self.directions, self.readers = model, directions, dict(readers or {})
        self.max_new_tokens, self.temperature, self.positions = max_new_tokens, temperature, positions
        pairs = sorted({(k, l) for (a, k, l) in directions if a == "valence" and ("arousal", k, l) in directions})
        if not pairs:
            raise ValueError("directions holds no (kind, layer) with both a valence and an arousal probe.")
        layers = sorted({l for _, l in pairs})
        kinds = [k for k in KIND_LABELS if any(k == kk for kk, _ in pairs)] + \
            sorted({k for k, _ in pairs} - set(KIND_LABELS))
        layer = layer if layer in layers else layers[len(layers) // 2]
        kind = kind if kind in kinds else kinds[0]
        style = {"description_width": "70px"}
        self.prompt = W.Textarea(value=prompt, description="Prompt", layout=W.Layout(width="95%", height="60px"),
                                 style=style)
        slider = dict(min=-alpha_max, max=alpha_max, step=alpha_step, value=0.0, readout_format="+.1f",
                      continuous_update=False, style=style, layout=W.Layout(width="420px"))
        self.valence = W.FloatSlider(description="Valence", **slider)
        self.arousal = W.FloatSlider(description="Arousal", **slider)
        self.layer = W.Dropdown(options=layers, value=layer, description="Layer", style=style)
        self.kind = W.Dropdown(options=[(KIND_LABELS.get(k, k), k) for k in kinds], value=kind,
                               description="Direction", style=style, layout=W.Layout(width="420px"))
        self.seed = W.IntText(value=seed, description="Seed", style=style, layout=W.Layout(width="180px"))
        self.button = W.Button(description="Generate", button_style="primary", icon="play",
                               tooltip="Generate the unsteered and the steered continuation")
        self.output = W.HTML(value=self._panel("<i>Press Generate.</i>"))
        self.output.add_class(OUTPUT_CLASS)
        self.button.on_click(self.generate)
        note = W.HTML("<small>alpha in standard deviations of the probe's training projections; "
                      "the steered text is added at <code>blocks.{layer}.hook_resid_post</code>, every position.</small>")
        self.ui = W.VBox([self.prompt, W.HBox([self.valence, self.arousal]),
                          W.HBox([self.layer, self.kind, self.seed, self.button]), note, self.output])
        self.last: dict | None = None

    # ---------------------------------------------------------------- display
    def show(self):
        from IPython.display import display

        display(self.ui)
        return self

    def _ipython_display_(self):
        self.show()

    @staticmethod
    def _panel(inner: str) -> str:
        return f'<div style="margin-top:6px">{inner}</div>'

    def _vectors(self) -> dict:
        layer, kind = int(self.layer.value), self.kind.value
        probes = [self.directions[("valence", kind, layer)], self.directions[("arousal", kind, layer)]]
        vectors = steering_vectors(self.model, probes, [layer, layer], [self.valence.value, self.arousal.value])
        return steering_add(vectors)

    def _readouts(self, texts: Sequence[str]) -> list[dict]:
        from .probes import readout

        result = [dict() for _ in texts]
        for axis, probe in self.readers.items():
            scores = readout(self.model, probe, list(texts), cache=False)
            for row, score in zip(result, scores):
                row[axis] = float(score)
        return result

    # ---------------------------------------------------------------- the button
    def generate(self, *_):
        """Generate unsteered and steered continuations (same seed) and show them with read-outs."""
        prompt = self.prompt.value.strip()
        self.button.disabled = True
        self.output.value = self._panel("<i>Generating…</i>")
        try:
            if not prompt:
                raise ValueError("Type a prompt first.")
            seed = int(self.seed.value)
            jobs = [Job(prompt, seed, None), Job(prompt, seed, self._vectors())]
            unsteered, steered = generate_many(self.model, jobs, max_new_tokens=self.max_new_tokens,
                                               temperature=self.temperature, positions=self.positions)
            reads = self._readouts([prompt + unsteered, prompt + steered])
            self.last = {"prompt": prompt, "seed": seed, "valence": float(self.valence.value),
                         "arousal": float(self.arousal.value), "layer": int(self.layer.value),
                         "kind": self.kind.value, "unsteered": unsteered, "steered": steered,
                         "readout_unsteered": reads[0], "readout_steered": reads[1]}
            self.output.value = self._render(self.last)
        except Exception as error:  # shown in the panel: a callback's traceback would be invisible
            self.output.value = self._panel(f'<span style="color:#b00">Error: {html.escape(repr(error))}</span>')
            self.last = {"error": repr(error)}
        finally:
            self.button.disabled = False
        return self.last

    def _render(self, r: dict) -> str:
        def reads(values: dict) -> str:
            if not values:
                return ""
            parts = [f"{axis} {score:+.2f}" for axis, score in values.items()]
            return f'<div class="emo-readout" style="color:#555;font-size:90%">probe read-out: {", ".join(parts)}</div>'

        label = (f"Steered (valence {r['valence']:+.1f}, arousal {r['arousal']:+.1f}, layer {r['layer']}, "
                 f"{KIND_LABELS.get(r['kind'], r['kind'])}):")
        prompt = html.escape(r["prompt"])
        box = 'style="flex:1;padding:8px;border:1px solid #ddd;border-radius:4px;white-space:pre-wrap"'
        return self._panel(
            f'<div style="display:flex;gap:12px">'
            f'<div class="emo-unsteered" {box}><b>Unsteered:</b><br><span style="color:#777">{prompt}</span>'
            f'<span class="emo-unsteered-text">{html.escape(r["unsteered"])}</span>{reads(r["readout_unsteered"])}</div>'
            f'<div class="emo-steered" {box}><b>{html.escape(label)}</b><br><span style="color:#777">{prompt}</span>'
            f'<span class="emo-steered-text">{html.escape(r["steered"])}</span>{reads(r["readout_steered"])}</div>'
            f'</div><div style="color:#555;font-size:90%">seed {r["seed"]}</div>')
