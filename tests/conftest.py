"""Shared fixtures: the real default model (loaded once per session), torch threads as the notebooks
set them, and a papermill runner."""
from __future__ import annotations

from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parent.parent
OUTPUT_ROOT = ROOT / "tests" / "output"


@pytest.fixture(scope="session")
def smol():
    """The default model, SmolLM2-135M-Instruct, de-quantised from its PyPI wheel."""
    from helpers import load_model

    return load_model("smollm2-135m", device="cpu")


@pytest.fixture(scope="module")
def one_torch_thread_when_busy():
    """torch threads as the notebooks set them: on a busy 2-core machine two threads run 5-10x slower.

    Module scope; a test module opts in with ``pytestmark = pytest.mark.usefixtures("one_torch_thread_when_busy")``.
    """
    import torch

    from helpers.runtime import set_torch_threads

    before = torch.get_num_threads()
    set_torch_threads(None)
    yield
    torch.set_num_threads(before)


def run_notebook(name: str, parameters: dict, output_dir: Path) -> Path:
    """Execute notebooks/<name> under papermill into output_dir; return the executed copy."""
    import papermill as pm

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    executed = output_dir / name
    pm.execute_notebook(
        str(ROOT / "notebooks" / name),
        str(executed),
        parameters={**parameters, "output_dir": str(output_dir)},
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
        execution_timeout=1200,  # a cell that hangs fails the test instead of the whole run
    )
    return executed


@pytest.fixture
def notebook_runner():
    return run_notebook


@pytest.fixture
def output_root():
    OUTPUT_ROOT.mkdir(parents=True, exist_ok=True)
    return OUTPUT_ROOT
