"""Running notebooks without a browser, without stalling on widgets.

nbclient (behind ``jupyter nbconvert --execute`` and nbgrader's autograde) stands in for
JupyterLab's ``Output`` widget: it collects what the kernel displays inside an
``ipywidgets.Output`` and, after each output, writes the collection back to the kernel with a
``comm_msg`` on the shell channel. ``jupyter_client.Session.send`` sends it on a *blocking
shadow* of the client's asyncio shell socket, while nbclient is awaiting the cell's
``execute_reply`` on that same socket. A raw send processes the socket's pending commands and
can consume the edge-triggered wake-up (``ZMQ_FD``) of a reply arriving at that moment: the
reply then sits unread in the socket, and nbclient waits, kernel and client idle, until the
cell's timeout runs out (then a last poll finds the reply and the run goes on). Without a
timeout it waits for ever. Upstream: jupyter/nbclient#312, jupyter/jupyter_client#1059.

Measured on this project's machine (nbclient 0.11, jupyter_client 8.10, pyzmq 27.3; cells that
each display one value into an ``Output``): 41 stalls in 800 cells under ipykernel 7.4, 15 in
900 under ipykernel 6.31, none in 200 plain ``print`` cells, and none in 900 with
:class:`QuietOutputWidget` under ipykernel 7.4. So pinning ipykernel does not cure it.

:class:`QuietOutputWidget` collects a widget's outputs as nbclient does but never writes them
back (the kernel's copy of ``Output.outputs`` stays empty, which nothing run headless reads);
:class:`QuietWidgets` makes a client use it, :class:`HeadlessClient` is nbclient's client with
it, and :func:`nbgrader_execute` gives nbgrader's ``Execute`` preprocessor with it.
"""

import functools

from nbclient import NotebookClient
from nbclient.output_widget import OutputWidget

OUTPUT_MODEL = ("@jupyter-widgets/output", "OutputModel")


class QuietOutputWidget(OutputWidget):
    """nbclient's stand-in for an ``Output`` widget, minus the write-back to the kernel."""

    def sync_state(self):
        """Keep the outputs here only: a send on the shell socket can lose the cell's reply."""


class QuietWidgets:
    """Mixin for a ``NotebookClient`` (or a subclass, such as an ``ExecutePreprocessor``):
    ``Output`` widgets are collected by :class:`QuietOutputWidget`."""

    def on_comm_open_jupyter_widget(self, msg):
        state = msg["content"]["data"]["state"]
        if (state.get("_model_module"), state.get("_model_name")) == OUTPUT_MODEL:
            return QuietOutputWidget(msg["content"]["comm_id"], state, self.kc, self)
        return super().on_comm_open_jupyter_widget(msg)


class HeadlessClient(QuietWidgets, NotebookClient):
    """``nbclient.NotebookClient`` that cannot stall on an ``Output`` widget."""


@functools.cache
def nbgrader_execute():
    """nbgrader's ``Execute`` preprocessor with :class:`QuietWidgets` (still named ``Execute``,
    so ``c.Execute.*`` settings apply), to put in its place in
    ``c.Autograde.autograde_preprocessors``."""
    from nbgrader.preprocessors import Execute as NbgraderExecute

    class Execute(QuietWidgets, NbgraderExecute):
        """nbgrader's ``Execute`` that cannot stall on an ``Output`` widget."""

    return Execute
