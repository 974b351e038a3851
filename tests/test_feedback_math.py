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

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$x^2$"),
                                         nbformat.v4.new_code_cell("price = '$x$'")])
    nb, _ = MathToMathML().preprocess(nb, {})
    assert nb.cells[0].source.startswith("<math") and nb.cells[1].source == "price = '$x$'"


def test_an_exporter_applies_it_when_registered_as_nbgrader_does():
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter()
    exporter.register_preprocessor(MathToMathML)  # as nbgrader registers its preprocessors
    body, _ = exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$x^2$")]))
    assert "<math" in body and "$x^2$" not in body
