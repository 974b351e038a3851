"""ipywidgets demos. Each topic's widgets live in a submodule, ``coursekit.widgets.<topic>``.

Every demo is a function that returns the widget (so tests can drive it headlessly: setting
``.value`` fires the observers) and keeps its drawing logic in a plain function of the
control values, which the tests call directly.
"""
