"""load_model: offline models, clear errors for everything else."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import collect, load_model
from helpers.collect import encode_many
from helpers.models import model_info


def test_default_model_is_smollm2_without_bos(smol):
    info = model_info(smol)
    assert (info.name, info.n_layers, info.d_model, info.prepend_bos, info.chat) == ("smollm2-135m", 30, 576, False, True)
    assert encode_many(smol, ["Bob feels happy"])[0].ids[0] != smol.tokenizer.bos_token_id


def test_gemma_loads_offline_with_bos_and_matches_hugging_face():
    gemma = load_model("gemma3-270m", device="cpu")
    assert (gemma.emo.n_layers, gemma.emo.d_model, gemma.emo.prepend_bos) == (18, 640, True)
    prompt = "Alice does not feel calm, so Alice"
    ids = encode_many(gemma, [prompt])[0].ids
    assert ids[0] == gemma.tokenizer.bos_token_id and ids[1] != gemma.tokenizer.bos_token_id
    X = collect(gemma, [prompt], layers=[0, 8, 16], cache=False)
    with torch.inference_mode():
        hidden = gemma.original_model(torch.tensor([ids]), output_hidden_states=True).hidden_states
    for slot, layer in enumerate([0, 8, 16]):
        np.testing.assert_allclose(X[0, slot], hidden[layer + 1][0, -1].numpy(), atol=1e-3, rtol=1e-4)


def test_a_local_folder_loads_with_the_same_weights(smol):
    again = load_model(smol.emo.path, device="cpu")
    assert again.cfg.n_layers == 30
    X1 = collect(smol, ["Bob feels happy, so Bob"], layers=[3], cache=False)
    X2 = collect(again, ["Bob feels happy, so Bob"], layers=[3], cache=False)
    np.testing.assert_allclose(X1, X2, atol=1e-6)


@pytest.mark.parametrize("name, fragment", [
    ("no-such-model-xyz", "smollm2-135m"),       # unknown: lists what works offline
    ("gpt2", "model hub could not provide it"),  # a hub name, no network
    ("/tmp/missing-model.gguf", "does not exist"),
])
def test_unknown_or_unreachable_model_gets_one_clear_error(name, fragment):
    with pytest.raises(ValueError) as error:
        load_model(name, device="cpu")
    assert fragment in str(error.value)
    assert error.value.__cause__ is None or error.value.__suppress_context__


def test_folder_without_config_is_refused(tmp_path):
    with pytest.raises(ValueError, match="config.json"):
        load_model(str(tmp_path))


def test_wrong_parameter_types_are_refused():
    with pytest.raises(ValueError, match="string"):
        load_model(30)
    with pytest.raises(ValueError, match="device"):
        load_model("smollm2-135m", device=0)
