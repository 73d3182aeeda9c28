"""emo-probes helpers: models, activation collection, data, probes, steering.

The notebooks tell the story; this package does the work.

    from helpers import load_model, collect
    model = load_model("smollm2-135m")
    X = collect(model, ["Bob feels happy, so Bob"], hook="resid_post", pooling="last")
"""
from .models import load_model
from .collect import collect

__all__ = ["load_model", "collect"]
