"""End to end in a real browser: JupyterLab serves a finished student notebook, headless
Chromium (driven by Playwright) runs all cells, the ipywidgets slider renders, moving it
redraws the plot, and no cell shows an error. A screenshot is saved.

Set COURSEKIT_SCREENSHOT=path to keep the screenshot (the README's picture is made so).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from coursekit import course
from conftest import ROOT, finished_student_notebook

CHROMIUM = Path("/usr/bin/chromium")
ASSIGNMENT = "03_activations"

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (apt-get install chromium)"),
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    notebook = finished_student_notebook(ASSIGNMENT, tmp_path)
    port, token = _free_port(), "coursekit-browser-test"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser", f"--port={port}",
         "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"jupyter lab exited: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        yield f"{base}/lab/tree/{notebook.name}?token={token}", tmp_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_student_notebook_runs_and_widget_redraws_in_chromium(lab):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, folder = lab
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        select_kernel = page.get_by_role("button", name="Select", exact=True)
        try:
            select_kernel.click(timeout=15_000)
        except sync_api.TimeoutError:
            pass  # JupyterLab started the notebook's kernel without asking
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        slider = page.locator(".widget-slider").first
        try:
            slider.wait_for(timeout=150_000)
        except Exception:
            page.screenshot(path=str(folder / "failure.png"), full_page=True)
            keep = os.environ.get("COURSEKIT_SCREENSHOT")
            if keep:
                shutil.copy(folder / "failure.png", keep)
            raise
        page.wait_for_function(
            "() => ![...document.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*'))",
            timeout=120_000)

        errors = [t for t in page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
                  .all_inner_texts() if "Error" in t or "Traceback" in t]
        assert not errors, errors[:2]

        widget = page.locator(".widget-interact").first
        widget.scroll_into_view_if_needed()
        image = widget.locator("img").first
        image.wait_for(timeout=30_000)
        before = image.get_attribute("src")
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        for _ in range(6):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([sel, old]) => { const img = document.querySelector(sel); return img && img.src !== old; }",
            arg=[".widget-interact img", before], timeout=30_000)
        assert widget.locator("img").first.get_attribute("src") != before

        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        for button in page.get_by_role("button", name="No", exact=True).all():
            button.click()  # JupyterLab's "get notified about news?" toast
        page.wait_for_timeout(500)
        shot = folder / "workbook.png"
        page.screenshot(path=str(shot))
        browser.close()
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("COURSEKIT_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
