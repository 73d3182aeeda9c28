"""emo-probes: do emotions have geometry inside a language model? The notebooks tell the story;
this package does the work.

    from helpers import load_model, collect, load_prompts, splits, train_probe, steer, generate
    model = load_model("smollm2-135m")
    df = load_prompts("valence", n_templates=40, n_adjectives=20)
    X = collect(model, df["prompt"].tolist(), hook="resid_post", pooling="last", layers=[15])
    parts = splits(df, seed=0)
    probe = train_probe(X[parts["train"], 0], df["y"][parts["train"]], axis="valence",
                        hook="resid_post", pooling="last", layer=15)
    with steer(model, probe, alpha=3.0):
        print(generate(model, "I walked into the kitchen and", max_new_tokens=30))

One module per step: models (load_model), collect (activations), data (prompts, splits,
human ratings), probes (the Probe type and its training), evaluation (notebook 03's splits
and choices), pca, prompting and comparison (notebook 04), steering / generation /
steering_runs (notebook 05), plots (every figure), settings (every notebook's knobs),
runner (make run, make sweep).
"""
from .collect import collect, collect_many
from .data import human_ratings, load_prompts, splits
from .generation import generate
from .models import load_model
from .probes import Probe, classify, readout, train_probe
from .steering import SteeringVector, ablate, steer

__all__ = ["load_model", "collect", "collect_many", "load_prompts", "splits", "human_ratings", "Probe",
           "train_probe", "readout", "classify", "steer", "ablate", "SteeringVector", "generate"]
