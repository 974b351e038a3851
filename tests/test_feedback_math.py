"""Feedback reads offline: formulas in markdown become MathML, other dollars stay."""

from coursekit.grading.feedback_math import MathToMathML, to_mathml


def test_inline_and_display_formulas_become_mathml():
    out = to_mathml(r"the mean $\mu_B$ is $$\mu_B = \frac{1}{m}\sum_i x_i$$ and that is all")
    assert out.count("<math") == 2 and 'display="block"' in out and 'display="inline"' in out
    assert "$" not in out and "<mfrac>" in out and "and that is all" in out


def test_escaped_dollars_and_unreadable_formulas_are_left_alone():
    assert to_mathml(r"it costs \$5, or \$6") == r"it costs \$5, or \$6"
    assert to_mathml(r"$$\frac{1}{$$") == r"$$\frac{1}{$$"


def test_the_preprocessor_changes_markdown_cells_only():
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("$x^2$"), nbformat.v4.new_code_cell("price = '$x$'")]
    )
    nb, _ = MathToMathML().preprocess(nb, {})
    assert nb.cells[0].source.startswith("<math") and nb.cells[1].source == "price = '$x$'"


def test_an_exporter_applies_it_when_registered_as_nbgrader_does():
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter()
    exporter.register_preprocessor(MathToMathML)  # as nbgrader registers its preprocessors
    body, _ = exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$x^2$")]))
    assert "<math" in body and "$x^2$" not in body


def test_student_html_and_scripts_do_not_reach_the_feedback():
    import nbformat

    from coursekit.grading.feedback_math import SafeStudentContent

    code = nbformat.v4.new_code_cell("x")
    code.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": "<script>alert(1)</script>",
                "application/javascript": "alert(1)",
                "text/plain": "<IPython.core.display.HTML object>",
                "image/png": "iVBOR",
            },
        )
    ]
    mine = nbformat.v4.new_markdown_cell("<script>alert(2)</script> and $x$")
    theirs = nbformat.v4.new_markdown_cell("<b>instructions</b>")
    theirs.metadata["nbgrader"] = {"locked": True}
    nb = nbformat.v4.new_notebook(cells=[code, mine, theirs])
    nb, _ = SafeStudentContent().preprocess(nb, {})
    assert set(nb.cells[0].outputs[0]["data"]) == {"text/plain", "image/png"}
    assert "<script>" not in nb.cells[1].source and "&lt;script&gt;" in nb.cells[1].source
    assert nb.cells[2].source == "<b>instructions</b>"
    assert to_mathml(r"$\text{</math><script>}$") == r"$\text{</math><script>}$"  # never converted
