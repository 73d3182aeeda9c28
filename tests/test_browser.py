"""A real browser drives the steering widget in JupyterLab, and edits the notebook as a user would.

JupyterLab serves a quick-parameterised copy of notebooks/05_steering (the .ipynb and its paired
percent script, with the repository's jupytext.toml) on a free localhost port; Debian's
Chromium, driven by Playwright, runs all cells, moves the valence slider, presses Generate and
checks that the steered text appears and differs from the unsteered one. Then it edits a cell
and saves: jupytext writes both files, and the pair must still be in sync. A screenshot is
saved under tests/output/browser/.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "05_steering.ipynb"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "tests" / "output" / "browser"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="Chromium missing: apt-get install chromium (make setup does it as root)")]


def assert_pair_in_sync(ipynb: Path, script: Path, edit: str) -> None:
    """Both files hold the edit, and their cells (type, source, tags) are the same."""
    import jupytext
    import nbformat

    def cells(nb):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]

    saved, text = nbformat.read(str(ipynb), as_version=4), jupytext.read(script)
    assert any(edit in c.source for c in saved.cells) and edit in script.read_text()
    assert cells(saved) == cells(text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def jupyter_lab(tmp_path):
    """JupyterLab on a free port serving a quick copy of notebook 05 (paired .ipynb and .py, in sync);
    yields (url, notebook name, work folder)."""
    import jupytext
    import papermill as pm

    work = tmp_path / "lab"
    work.mkdir()
    pm.execute_notebook(str(NOTEBOOK), str(work / NOTEBOOK.name), prepare_only=True,
                        parameters={"preset": "quick", "output_dir": str(tmp_path / "out")})
    prepared = jupytext.read(work / NOTEBOOK.name)
    jupytext.write(prepared, work / NOTEBOOK.with_suffix(".py").name, fmt="py:percent")
    shutil.copy(ROOT / "jupytext.toml", work / "jupytext.toml")
    port = free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config")}
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={work}",
         "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
         "jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/lab", timeout=2)
                break
            except Exception:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(1)
        yield url, NOTEBOOK.name, work
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_steering_widget_in_a_real_browser(jupyter_lab):
    from playwright.sync_api import expect, sync_playwright

    url, name, work = jupyter_lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/{name}", wait_until="domcontentloaded")
            # A fresh JupyterLab asks which kernel to use: accept the default.
            select = page.get_by_role("button", name="Select", exact=True)
            try:
                select.click(timeout=60_000)
            except Exception:
                pass  # no dialog: the kernel started by itself
            expect(page.locator(".jp-Notebook")).to_be_visible(timeout=60_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

            generate = page.get_by_role("button", name="Generate")
            expect(generate).to_be_visible(timeout=15 * 60_000)
            # Wait until the kernel is idle again (all cells done) before using the widget.
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(1, timeout=15 * 60_000)

            slider = page.locator(".widget-slider", has_text="Valence").first
            handle = slider.locator(".noUi-handle, .ui-slider-handle").first
            handle.scroll_into_view_if_needed()
            handle.click()
            for _ in range(12):
                handle.press("ArrowRight")
            generate.click()

            steered = page.locator("text=/Steered[^:]*:/").last
            expect(steered).to_be_visible(timeout=5 * 60_000)
            panel = page.locator(".emo-steering-output").last
            expect(panel).to_contain_text("Unsteered", timeout=5 * 60_000)
            page.wait_for_timeout(500)
            unsteered_text = panel.locator(".emo-unsteered-text").inner_text().strip()
            steered_text = panel.locator(".emo-steered-text").inner_text().strip()
            page.screenshot(path=str(SHOTS / "steering_widget.png"), full_page=False)
            assert steered_text and unsteered_text
            assert steered_text != unsteered_text, "moving the valence slider must change the generated text"

            # A user edits the first code cell and saves: jupytext writes the .ipynb and the .py.
            editor = page.locator(".jp-CodeCell .cm-content").first
            editor.scroll_into_view_if_needed()
            editor.click()
            page.keyboard.press("Control+End")
            page.keyboard.type("\n# edited in JupyterLab by the browser test")
            page.keyboard.press("Control+s")
            script = work / NOTEBOOK.with_suffix(".py").name
            deadline = time.time() + 60
            while "edited in JupyterLab" not in script.read_text() and time.time() < deadline:
                page.wait_for_timeout(500)
            assert_pair_in_sync(work / name, script, "# edited in JupyterLab by the browser test")
        except Exception:
            page.screenshot(path=str(SHOTS / "steering_widget_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
