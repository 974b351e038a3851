"""axe-core (through ``axe-playwright-python``) on a page, keeping the violations of impact
"serious" or "critical" and saying whose content each offending element is.

In JupyterLab, coursekit's own content is what a notebook shows: cell outputs (figures,
widgets, printed text) and rendered markdown. Everything else (menus, toolbars, side panels,
prompts, the file browser) is JupyterLab's, reported with the upstream issue that tracks it
in ``UPSTREAM`` and not failed on. On a page coursekit writes alone (the class report, a
feedback page) every element is coursekit's (``own=None``).
"""

SERIOUS = ("serious", "critical")
OWN_IN_LAB = ".jp-OutputArea-output, .jp-RenderedMarkdown"

#: axe rule -> the upstream issue about JupyterLab's (or ipywidgets') own markup.
UPSTREAM = {
    "aria-allowed-attr": "jupyterlab/jupyterlab#16891 (aria-pressed on toolbar jp-buttons whose role is none)",
    "aria-input-field-name": "jupyterlab/jupyterlab#10347 (cell editors have no accessible name; CodeMirror "
    "leaves the label to the application: codemirror/dev#1127)",
    "aria-required-children": "jupyterlab/jupyterlab#14765 (the cells' role=feed, Notebooks for All's ARIA)",
    "button-name": "jupyterlab/jupyterlab#9399 (WCAG 2.1 umbrella issue; here the headings' collapse buttons)",
    "scrollable-region-focusable": "jupyterlab/jupyterlab#9399 (WCAG 2.1 umbrella issue; here the cell editors' "
    "scrollers)",
}


def serious_violations(page, own=OWN_IN_LAB):
    """[{rule, impact, help, nodes: [{target, html, own}]}] for the serious and critical ones.

    Args:
        own: a CSS selector for coursekit's content (an element inside it is coursekit's), or
            None when the whole page is coursekit's.
    """
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page).response
    found = []
    for violation in response["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        nodes = []
        for node in violation["nodes"]:
            selector = node["target"][0] if isinstance(node["target"][0], str) else node["target"][0][0]
            mine = own is None or page.evaluate(
                "([sel, own]) => { const e = document.querySelector(sel); return !!(e && e.closest(own)); }",
                [selector, own],
            )
            nodes.append({"target": selector, "html": node["html"][:200], "own": mine})
        found.append(
            {"rule": violation["id"], "impact": violation["impact"], "help": violation["help"], "nodes": nodes}
        )
    return found


def coursekit_violations(found):
    """The violations with at least one element of coursekit's, as 'rule: target' lines."""
    return [f"{v['rule']} ({v['impact']}): {n['target']} {n['html']}" for v in found for n in v["nodes"] if n["own"]]


def upstream_violations(found):
    """{rule: {count, upstream issue, examples}} for JupyterLab's elements."""
    out = {}
    for v in found:
        theirs = [n for n in v["nodes"] if not n["own"]]
        if theirs:
            out[v["rule"]] = {
                "count": len(theirs),
                "upstream": UPSTREAM.get(v["rule"], "not yet filed upstream"),
                "examples": [f"{n['target'][-80:]} {n['html'][:120]}" for n in theirs[:3]],
            }
    return out
