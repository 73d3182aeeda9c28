"""One place for the project's folders."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
NOTEBOOK_DIR = ROOT / "notebooks"
# EMO_PROBES_CACHE lets CI or a user put the (large) model and activation cache elsewhere.
CACHE_DIR = Path(os.environ.get("EMO_PROBES_CACHE", ROOT / "cache"))
MODEL_CACHE_DIR = CACHE_DIR / "models"
# EMO_PROBES_ACTIVATION_CACHE moves the activation cache alone (a test that must compute
# activations afresh while the de-quantised models stay where they are).
ACTIVATION_CACHE_DIR = Path(os.environ.get("EMO_PROBES_ACTIVATION_CACHE", CACHE_DIR / "activations"))
