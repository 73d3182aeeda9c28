"""helpers.probes.classify: the "half a model" classifier gives the same answer as the probe
read-out of a full-model run at that layer, and never runs the layers above the probe."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.probes import Probe, classify, readout

TEXTS = ["The soup was cold and the waiter rude.", "Best day ever!", "A calm, ordinary Tuesday.",
         "I loved every minute of the concert, even the rain.", "Nothing works and nobody cares.",
         "Thanks so much, you made my week!"]

# torch threads as the notebooks set them (tests/conftest.py), for the whole module
pytestmark = pytest.mark.usefixtures("one_torch_thread_when_busy")


def _full_model_features(model, texts, layer, pooling):
    """resid_post at ``layer`` from a full forward pass (all layers and the logits), one text at a time."""
    import torch

    from helpers.collect import encode_many

    rows = []
    for item in encode_many(model, texts):
        with torch.inference_mode():
            logits, cache = model.run_with_cache(torch.tensor([item.ids]),
                                                 names_filter=lambda name: name == f"blocks.{layer}.hook_resid_post")
        assert logits.shape[-1] == model.cfg.d_vocab  # the whole model, unembedding included, really ran
        act = cache[f"blocks.{layer}.hook_resid_post"][0].float()
        rows.append(act[-1] if pooling == "last" else act[item.first_content:].mean(0))
    return torch.stack(rows).numpy()


def _probe(width, layer, pooling, features, seed=0):
    """A random linear probe whose threshold sits midway between two read-outs (no score near 0)."""
    rng = np.random.default_rng(seed)
    coef = rng.normal(size=width).astype(np.float32)
    mean, scale = features.mean(0), features.std(0) + 1e-3
    scores = np.sort(((features - mean) / scale) @ coef)
    middle = len(scores) // 2
    intercept = -0.5 * (scores[middle - 1] + scores[middle])
    return Probe(axis="valence", kind="logreg", hook="resid_post", pooling=pooling, layer=layer, mean=mean,
                 scale=scale, coef=coef, intercept=intercept, direction=coef / np.linalg.norm(coef),
                 projection_std=1.0), float(np.diff(scores).min())


@pytest.mark.parametrize("layer, pooling", [(3, "last"), (14, "mean"), (29, "last")])
def test_classify_equals_the_full_model_readout(smol, layer, pooling):
    features = _full_model_features(smol, TEXTS, layer, pooling)
    probe, _ = _probe(smol.cfg.d_model, layer, pooling, features)
    expected = probe.decision_function(features)
    assert (expected > 0).sum() == len(TEXTS) // 2  # both labels occur
    got = readout(smol, probe, TEXTS, batch_size=4, cache=False)  # padded batches of unequal lengths
    margin = np.abs(expected).min()
    assert np.abs(got - expected).max() < 0.1 * margin
    labels = classify(smol, probe, TEXTS, batch_size=4, cache=False)
    assert labels.tolist() == np.where(expected > 0, "positive", "negative").tolist()


def test_classify_runs_only_up_to_the_probe_layer(smol):
    layer = 5
    layers = smol.original_model.model.layers
    calls = {i: 0 for i in (layer, layer + 1, len(layers) - 1)}
    # pre-hooks: a layer counts as run when it is entered (classify stops inside layer L's output hook)
    handles = [layers[i].register_forward_pre_hook(lambda *args, i=i: calls.__setitem__(i, calls[i] + 1)) for i in calls]
    try:
        features = _full_model_features(smol, TEXTS[:2], layer, "last")
        assert all(count == 2 for count in calls.values())  # the hooks see a full run
        for i in calls:
            calls[i] = 0
        probe, _ = _probe(smol.cfg.d_model, layer, "last", features)
        classify(smol, probe, TEXTS[:2], cache=False)
    finally:
        for handle in handles:
            handle.remove()
    assert calls[layer] >= 1
    assert calls[layer + 1] == 0 and calls[len(layers) - 1] == 0
