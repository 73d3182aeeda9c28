"""Issue #5 attempt: valence probes on template-centred activations (README, "Also tried").

    .venv/bin/python tools/experiments/template_centring.py [--model smollm2-135m] [--seed 0]

Each prompt's activation minus its template's mean over words (``helpers.pca.center_within``,
as notebook 02's PCA does). The mean uses the unlabelled test prompts of each template, so
the read-out is transductive. The probes are notebook 03's (``probing.evaluate_config``), on
its default prompt set and splits. Prints and writes one row per configuration, with and
without centring, to runs/experiments/template_centring_<model>_seed<k>.csv.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from helpers import load_model  # noqa: E402
from helpers.pca import center_within  # noqa: E402
from helpers.probing import evaluate_config, prompt_activations, prompt_set, set_torch_threads  # noqa: E402

LAYERS = [8, 10, 12, 14, 15, 16, 18, 20, 22]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    set_torch_threads(None)
    model = load_model(args.model)
    df, parts = prompt_set("valence", n_templates=80, n_adjectives=40, seed=args.seed)  # notebook 03's defaults
    acts = prompt_activations(model, df, hooks=["resid_post", "attn_v"], poolings=["last", "mean"], layers=LAYERS)
    rows = []
    for (hook, pooling), X in acts.items():
        for i, layer in enumerate(LAYERS):
            for centring in ("none", "template"):
                features = X[:, i, :] if centring == "none" else center_within(X[:, i, :], df["template_id"])
                for row in evaluate_config(features, df, parts, axis="valence", seed=args.seed, variants=("all",)):
                    rows.append(dict(hook=hook, pooling=pooling, layer=layer, centring=centring, **row))
    table = (pd.DataFrame(rows)
             .pivot_table(index=["hook", "pooling", "layer", "centring"], columns="split", values="accuracy")
             .reset_index())
    out = ROOT / "runs" / "experiments" / f"template_centring_{args.model}_seed{args.seed}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    with pd.option_context("display.width", 200, "display.max_rows", None):
        print(table.round(3).to_string(index=False))
    centred = table[table.centring == "template"]
    for _, chosen in centred[centred.validation >= centred.validation.max() - 1e-9].iterrows():  # ties: all of them
        print(f"best validation (centred): {chosen['hook']}/{chosen['pooling']} layer {chosen['layer']}: "
              + ", ".join(f"{s} {chosen[s]:.3f}" for s in ("E1", "E2", "E3", "E4", "negation_transfer")))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
