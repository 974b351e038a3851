"""The notebooks' experiments that train networks, one module per topic
(``coursekit.experiments.<topic>``, as for :mod:`coursekit.plots` and
:mod:`coursekit.widgets`): dead units after training (:mod:`.activations`), deep nets with
and without BatchNorm (:mod:`.batchnorm`), one MLP per optimizer and seed
(:mod:`.optimizers`), overfitting on moons and sparse regression (:mod:`.regularization`),
the range test and the schedule comparisons (:mod:`.schedules`).

They stand above :mod:`coursekit.training`, which assembles the topics' references, so a
topic's own package holds its references and nothing that trains. Topic 10's experiments are
:mod:`coursekit.beyond`, and topic 07's searches :mod:`coursekit.tuning`.
"""
