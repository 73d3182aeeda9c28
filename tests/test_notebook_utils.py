"""helpers.notebook: figures saved as HTML, and as PNG through one kept-open browser."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from helpers import notebook as N


def test_png_export_keeps_one_browser_for_the_process_and_the_same_bytes(tmp_path):
    fig = go.Figure(go.Heatmap(z=np.arange(12.0).reshape(3, 4)))
    fresh = None
    if not N._browser["open"]:  # kaleido's own way: a browser started for this one image
        fresh = tmp_path / "fresh.png"
        fig.write_image(fresh, width=900, height=520, scale=1)
    N.save_figure(fig, tmp_path, "first", png=True)
    assert N._browser["open"]  # later exports reuse it
    N.save_figure(fig, tmp_path, "second", png=True)
    image = (tmp_path / "first.png").read_bytes()
    assert len(image) > 1000 and image == (tmp_path / "second.png").read_bytes()
    if fresh is not None:
        assert image == fresh.read_bytes()
    N.save_figure(fig, tmp_path, "html_only", png=False)
    assert (tmp_path / "html_only.html").exists() and not (tmp_path / "html_only.png").exists()
