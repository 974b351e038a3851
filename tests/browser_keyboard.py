"""Driving a widget in JupyterLab by keyboard only, as the browser test does."""

CONTROLS = ".noUi-handle, select, button, input"
KEYS = {"slider": "ArrowRight", "select": "ArrowDown", "button": "Space", "input": "ArrowUp"}
# In command mode JupyterLab takes ArrowDown for "next cell" before a menu in an output gets
# it; a keyboard user then opens the menu (Alt+ArrowDown), moves and confirms with Enter.
FALLBACK = {"select": ["Alt+ArrowDown", "ArrowDown", "Enter"]}
VALUE = "e => e.matches('.noUi-handle') ? e.getAttribute('aria-valuenow') : (e.value ?? e.className)"


def drive_by_keyboard(page, widget):
    """Tab from a focusable point just before the widget to its first control, then press the
    key that changes it. Returns the control's kind, accessible name and the keys pressed."""
    widget.evaluate(
        "root => { const start = document.createElement('span'); start.tabIndex = 0;"
        " start.id = 'coursekit-keyboard-start'; root.prepend(start); start.focus(); }"
    )
    for _ in range(6):  # labels and readouts may come first
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "([root, controls]) => { const e = document.activeElement;"
            " if (!root.contains(e) || !e.matches(controls)) return null;"
            " const kind = e.matches('.noUi-handle') ? 'slider' : e.tagName.toLowerCase();"
            " const label = e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].textContent)"
            "   || e.textContent;"
            " return [kind, (label || '').trim()]; }",
            [widget.element_handle(), CONTROLS],
        )
        if focused:
            break
    else:
        raise AssertionError("Tab did not reach a control of the widget")
    kind, name = focused
    control = page.evaluate_handle("() => document.activeElement")
    before = control.evaluate(VALUE)
    keys = [KEYS[kind]]
    page.keyboard.press(KEYS[kind])
    page.wait_for_timeout(300)
    if control.evaluate(VALUE) == before and kind in FALLBACK:
        control.focus()
        for key in FALLBACK[kind]:
            page.keyboard.press(key)
        keys = FALLBACK[kind]
    page.evaluate("() => document.getElementById('coursekit-keyboard-start').remove()")
    assert name, f"the focused {kind} has no accessible name"
    return f"keyboard {kind} '{name}' ({', '.join(keys)})"
