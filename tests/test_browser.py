"""End to end in a real browser, as a student sees it: one JupyterLab (started with the
settings ``coursekit lab`` gives it) serves every finished student notebook that has a widget;
headless Chromium, driven by Playwright, opens each in a page of its own, runs all cells, and,
for every widget, moves a control and waits for the image inside *that widget's own output*
to change. The first widget of each notebook is driven by keyboard only: Tab from just before
it reaches its first control, which must have an accessible name, and an arrow key (Space
for a toggle button) changes it. Errors shown on the page (tracebacks, error outputs, "Error
displaying widget") and JupyterLab's news toast fail the test.

With its widgets drawn, each page is checked by axe-core (``tests/axe_check.py``), and so is
the landing page (the file browser ``coursekit lab`` opens): a serious or critical violation
in coursekit's own content (outputs, markdown) fails; JupyterLab's own are listed in
``report.json`` with their upstream issue.

Screenshots of every widget after its control moved are kept in ``$COURSEKIT_BROWSER_ARTEFACTS``
(or the test's tmp folder); ``COURSEKIT_SCREENSHOT=path`` keeps the page of 03_activations,
the README's picture. ``COURSEKIT_BROWSER_TOPICS=03_activations,08_default_configuration``
checks only those.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from coursekit import course
from coursekit.jupyter_settings import lab_environment

from axe_check import coursekit_violations, serious_violations, upstream_violations
from browser_keyboard import drive_by_keyboard
from conftest import ROOT, finished_student_notebook

CHROMIUM = Path("/usr/bin/chromium")
README_ASSIGNMENT = "03_activations"
TOKEN = "coursekit-browser-test"
NEWS_TOAST = "get notified about official Jupyter news"
ERROR_TEXT = re.compile(r"Traceback|\w+Error\b")

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (apt-get install chromium)"),
]


def widget_assignments(root=ROOT):
    """Assignments whose released notebook uses ``coursekit.widgets`` (found, not listed)."""
    found = []
    for assignment_id in course.assignments(root):
        path = Path(root) / "notebooks" / assignment_id / course.notebook_name(assignment_id)
        if path.exists() and any(
            "coursekit.widgets" in "".join(cell["source"])
            for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code"
        ):
            found.append(assignment_id)
    return found


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on a folder of notebooks, for the length of the test."""

    def __init__(self, folder, state):
        """Serve ``folder``; keep the user's config and settings in ``state`` (new: a fresh install)."""
        self.folder, port = folder, _free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {
            **lab_environment(),
            "JUPYTER_CONFIG_DIR": str(state / "config"),
            "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        }
        self.server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                "lab",
                "--allow-root",
                "--no-browser",
                f"--port={port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.root_dir={folder}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(240):
            try:
                self.api("status")
                return
            except OSError:
                if self.server.poll() is not None:
                    pytest.fail(f"jupyter lab exited: {self.server.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        pytest.fail("jupyter lab did not answer within 120 s")

    def api(self, path, method="GET"):
        request = urllib.request.Request(f"{self.base}/api/{path}?token={TOKEN}", method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else None

    def url(self, name):
        """The notebook alone, in a workspace of its own (none of the others is restored)."""
        return f"{self.base}/lab/workspaces/{Path(name).stem}/tree/{name}?reset&token={TOKEN}"

    def shut_down_kernels(self):
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def close(self):
        self.server.terminate()
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.server.kill()


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory):
    folder = Path(os.environ.get("COURSEKIT_BROWSER_ARTEFACTS") or tmp_path_factory.mktemp("browser"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_all(page, sync_api):
    """Start the kernel, run every cell, wait until none is queued or running."""
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    page.wait_for_selector(".jp-Dialog, .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    if page.locator(".jp-Dialog").count():  # JupyterLab asks which kernel
        page.get_by_role("button", name="Select", exact=True).click()
    started = "() => [...document.querySelectorAll('.jp-InputPrompt')].some(e => /[*0-9]/.test(e.textContent))"
    for attempt in range(4):  # a Run All sent before the kernel is connected runs nothing
        if page.locator(".jp-Dialog").count():  # the kernel question can come after the idle status
            page.get_by_role("button", name="Select", exact=True).click()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.wait_for_function(started, timeout=15_000)
            break
        except sync_api.TimeoutError:
            if attempt == 3:
                raise
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*'))"
        " && document.querySelector(\".jp-Notebook-ExecutionIndicator[data-status='idle']\")",
        timeout=300_000,
        polling=1000,
    )


def page_errors(page):
    """Tracebacks and errors on stderr, and widgets that could not be displayed."""
    stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    errors = [t for t in stderr.all_inner_texts() if ERROR_TEXT.search(t)]
    errors += [t for t in page.locator(".jp-OutputArea-output").all_inner_texts() if "Error displaying widget" in t]
    return [t[:600] for t in errors]


def move_a_control(page, widget):
    """Move the widget's first control one step: a slider, else a toggle, else a dropdown."""
    handle = widget.locator(".noUi-handle")
    if handle.count():
        handle.first.focus()
        page.keyboard.press("ArrowRight")
        return "slider"
    toggle = widget.locator("button.widget-toggle-button")
    if toggle.count():
        toggle.first.click()
        return "toggle"
    widget.locator("select").first.evaluate(
        "s => { s.selectedIndex = (s.selectedIndex + 1) % s.options.length;"
        " s.dispatchEvent(new Event('change', {bubbles: true})); }"
    )
    return "dropdown"


def check_widgets(page, assignment_id, artefacts, sync_api):
    """Every widget with an Output: move a control (the first widget's by keyboard only), wait
    for its own image to change.

    Returns:
        (controls moved, problems).
    """
    roots = page.locator(".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output").filter(
        has=page.locator(".widget-output")
    )  # a cell's widgets, not its progress bars
    checked, problems = [], []
    for i in range(roots.count()):
        widget = roots.nth(i)
        widget.scroll_into_view_if_needed()
        try:
            widget.locator(".widget-output img").first.wait_for(timeout=60_000)
        except sync_api.TimeoutError:
            problems.append(f"widget {i}: its own output shows no image")
            continue
        before = widget.locator(".widget-output img").first.get_attribute("src")
        how = drive_by_keyboard(page, widget) if i == 0 else move_a_control(page, widget)
        try:
            page.wait_for_function(
                "([root, old]) => { const img = root.querySelector('.widget-output img');"
                " return img && img.src !== old; }",
                arg=[widget.element_handle(), before],
                timeout=60_000,
            )
        except sync_api.TimeoutError:
            problems.append(f"widget {i}: the image in its own output did not change when its {how} moved")
        widget.screenshot(path=str(artefacts / f"{assignment_id}-widget{i}.png"))
        checked.append(how)
    return checked, problems


def check_landing_page(browser, lab, failures):
    """The file browser that ``coursekit lab`` opens on the notebooks, checked by axe."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{lab.base}/lab/workspaces/landing/tree?reset&token={TOKEN}")
        page.wait_for_selector(".jp-DirListing-item", timeout=90_000)
        found = serious_violations(page, own=".jp-RenderedMarkdown, .jp-OutputArea-output")
        result = {"coursekit": coursekit_violations(found), "jupyterlab": upstream_violations(found)}
        if result["coursekit"]:
            failures["landing page"] = result["coursekit"]
        return result
    finally:
        page.close()


def test_every_widget_redraws_in_chromium(artefacts, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    assignments = widget_assignments()
    assert len(assignments) >= 9, assignments  # 00-08 have widgets; later topics add theirs
    only = os.environ.get("COURSEKIT_BROWSER_TOPICS")
    if only:
        assignments = [a for a in assignments if a in only.split(",")]
    folder = tmp_path / "notebooks"
    folder.mkdir()
    names = {a: finished_student_notebook(a, folder).name for a in assignments}
    lab = Lab(folder, tmp_path)
    failures, report, axe = {}, {}, {}
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM),
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            axe["landing page"] = check_landing_page(browser, lab, failures)
            for assignment_id in assignments:
                start = time.monotonic()
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                try:
                    page.goto(lab.url(names[assignment_id]))
                    run_all(page, sync_api)
                    checked, problems = check_widgets(page, assignment_id, artefacts, sync_api)
                    found = serious_violations(page)
                    axe[assignment_id] = {
                        "coursekit": coursekit_violations(found),
                        "jupyterlab": upstream_violations(found),
                    }
                    errors = problems + page_errors(page) + axe[assignment_id]["coursekit"]
                    if page.get_by_text(NEWS_TOAST).count():
                        errors.append(f"JupyterLab's news toast is shown ({NEWS_TOAST!r})")
                    if not checked and not problems:
                        errors.append("no widget with an Output was found")
                    if errors:
                        failures[assignment_id] = errors
                    report[assignment_id] = (checked, round(time.monotonic() - start))
                    if assignment_id == README_ASSIGNMENT and os.environ.get("COURSEKIT_SCREENSHOT"):
                        page.locator(".jp-OutputArea-output .widget-output img").first.scroll_into_view_if_needed()
                        page.screenshot(path=os.environ["COURSEKIT_SCREENSHOT"])
                except Exception as err:  # keep going: one report for every notebook
                    page.screenshot(path=str(artefacts / f"{assignment_id}-failure.png"), full_page=True)
                    failures[assignment_id] = [f"{type(err).__name__}: {str(err)[:600]}"]
                finally:
                    page.close()
                    lab.shut_down_kernels()
            browser.close()
    finally:
        lab.close()
    (artefacts / "report.json").write_text(
        json.dumps({"checked": report, "failures": failures, "axe": axe}, indent=1, ensure_ascii=False)
    )
    print(f"\nbrowser test: {report}; screenshots in {artefacts}")
    assert not failures, failures
