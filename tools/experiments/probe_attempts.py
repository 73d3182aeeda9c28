"""Issue #5 attempts beyond notebook 03's linear probes (README, "Also tried").

    .venv/bin/python tools/experiments/probe_attempts.py template_centring [--model smollm2-135m] [--seed 0]
    .venv/bin/python tools/experiments/probe_attempts.py mlp [--model smollm2-135m] [--seed 0]

Both run on notebook 03's default valence prompt set and splits (40 adjectives x 80 templates),
with the value vectors and the residual stream, `last` and `mean` pooling.

- ``template_centring``: each prompt's activation minus its template's mean over words
  (``helpers.pca.center_within``, as notebook 02's PCA does), then notebook 03's logistic
  probe (``probing.evaluate_config``). The template mean uses the unlabelled test prompts of
  each template, so the read-out is transductive.
- ``mlp``: a diagnostic, not a probe notebook 03 could use. A one-hidden-layer MLP on the
  same features, over a small grid of widths and weight decays. Rows are ranked by their
  worst E1-E4 accuracy, i.e. picked on the test splits themselves. That gives an optimistic
  upper bound on what a nonlinear read-out of one layer can do.

Prints a table and writes it to runs/experiments/<attempt>_<model>_seed<k>.csv.
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from helpers import load_model
from helpers.data import SPLIT_NAMES
from helpers.evaluation import HELD_OUT, evaluate_config, prompt_activations, prompt_set
from helpers.paths import ROOT
from helpers.pca import center_within
from helpers.runtime import set_torch_threads

def _accuracy(estimator, X, y) -> float:
    """Share of rows an estimator with ``predict`` gets right (an sklearn MLP here, not a Probe)."""
    return float((estimator.predict(X) == np.asarray(y)).mean())


CENTRING_LAYERS = [8, 10, 12, 14, 15, 16, 18, 20, 22]
MLP_LAYERS = [14, 15, 16]
MLP_GRID = [(width, alpha) for width in (64, 512) for alpha in (1e-2, 1.0, 10.0)]


def template_centring(acts, df, parts, layers, seed) -> pd.DataFrame:
    rows = []
    for (hook, pooling), X in acts.items():
        for i, layer in enumerate(layers):
            for centring in ("none", "template"):
                features = X[:, i, :] if centring == "none" else center_within(X[:, i, :], df["template_id"])
                for row in evaluate_config(features, df, parts, axis="valence", seed=seed, variants=("all",)):
                    rows.append(dict(hook=hook, pooling=pooling, layer=layer, centring=centring, **row))
    return (pd.DataFrame(rows)
            .pivot_table(index=["hook", "pooling", "layer", "centring"], columns="split", values="accuracy")
            .reset_index())


def mlp(acts, df, parts, layers, seed) -> pd.DataFrame:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = df["y"].to_numpy().astype(int)
    train = parts["train"]
    rows = []
    for (hook, pooling), X in acts.items():
        for i, layer in enumerate(layers):
            for width, alpha in MLP_GRID:
                model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(width,), alpha=alpha,
                                                                      max_iter=400, random_state=seed))
                model.fit(X[train, i, :], y[train])
                row = dict(hook=hook, pooling=pooling, layer=layer, width=width, alpha=alpha,
                           train=_accuracy(model, X[train, i, :], y[train]))
                row.update({split: _accuracy(model, X[parts[split], i, :], y[parts[split]]) for split in HELD_OUT})
                rows.append(row)
    table = pd.DataFrame(rows)
    table["worst_E1_E4"] = table[list(HELD_OUT)].min(axis=1)
    return table.sort_values("worst_E1_E4", ascending=False, kind="stable")


ATTEMPTS = {"template_centring": (template_centring, CENTRING_LAYERS), "mlp": (mlp, MLP_LAYERS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("attempt", choices=list(ATTEMPTS))
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    set_torch_threads(None)
    model = load_model(args.model)
    df, parts = prompt_set("valence", n_templates=80, n_adjectives=40, seed=args.seed)  # notebook 03's defaults
    attempt, layers = ATTEMPTS[args.attempt]
    acts = prompt_activations(model, df, hooks=["resid_post", "attn_v"], poolings=["last", "mean"], layers=layers)
    table = attempt(acts, df, parts, layers, args.seed)

    out = ROOT / "runs" / "experiments" / f"{args.attempt}_{args.model}_seed{args.seed}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    with pd.option_context("display.width", 200, "display.max_rows", None):
        print(table.round(3).to_string(index=False))
    if args.attempt == "template_centring":
        centred = table[table.centring == "template"]
        for _, best in centred[centred.validation >= centred.validation.max() - 1e-9].iterrows():  # ties: all
            print(f"best validation (centred): {best['hook']}/{best['pooling']} layer {best['layer']}: "
                  + ", ".join(f"{s} {best[s]:.3f}" for s in SPLIT_NAMES))
    else:
        best = table.iloc[0]
        print(f"best worst-of-E1-E4 (picked on test): {best['hook']}/{best['pooling']} layer {best['layer']}, "
              f"width {best['width']}, alpha {best['alpha']}: "
              + ", ".join(f"{s} {best[s]:.3f}" for s in HELD_OUT))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
