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
UPSTREAM = {}


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
                [selector, own])
            nodes.append({"target": selector, "html": node["html"][:200], "own": mine})
        found.append({"rule": violation["id"], "impact": violation["impact"], "help": violation["help"],
                      "nodes": nodes})
    return found


def coursekit_violations(found):
    """The violations with at least one element of coursekit's, as 'rule: target' lines."""
    return [f"{v['rule']} ({v['impact']}): {n['target']} {n['html']}" for v in found for n in v["nodes"] if n["own"]]


def upstream_violations(found):
    """{rule: (number of JupyterLab's elements, its upstream issue)}."""
    out = {}
    for v in found:
        theirs = sum(not n["own"] for n in v["nodes"])
        if theirs:
            out[v["rule"]] = (theirs, UPSTREAM.get(v["rule"], "not yet filed upstream"))
    return out
