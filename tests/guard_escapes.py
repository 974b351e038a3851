"""Attacks of the grading corpus that reach a forbidden built-in (torch's softmax) past the
call guard: through ATen and tensor methods, a coursekit helper, the guard switched off, other
libraries, the case generator, a thread started early, and a forged audit result. Each is a
function that turns the solution notebook into that student's submission (see
``attack_corpus``); each must end with no final points or a flag.
"""

from grading_corpus import _only


def torch_operator(nb, release, ctx):
    """The built-in softmax, reached through ATen and through a Tensor method."""
    _only(
        nb,
        release,
        "softmax",
        """
import torch
def softmax(z):
    t = torch.as_tensor(z)
    return torch.ops.aten._softmax(t, 1, False).numpy() if t.shape[0] % 2 else t.softmax(1).numpy()
""",
    )


def helper_implementation(nb, release, ctx):
    """Takes softmax out of a coursekit helper that is no reference: the training loop's fast
    cross-entropy kernel (its gradient is softmax minus the one-hot labels)."""
    _only(
        nb,
        release,
        "softmax",
        """
from coursekit.training import numpy_fast
def softmax(z):
    work, n = np.array(z, copy=True), len(z)
    numpy_fast.cross_entropy(work, np.zeros(n, dtype=int), np.arange(n))  # work: (p - onehot) / n
    work *= n
    work[:, 0] += 1
    return work
""",
    )


def guard_switched_off(nb, release, ctx):
    """Switches the call guard off (its profiler under another name, torch's modes), then
    calls the built-in softmax."""
    _only(
        nb,
        release,
        "softmax",
        """
import torch
from sys import setprofile as _quiet
from torch._C import DisableTorchFunction as _no_functions
from torch.utils._python_dispatch import _disable_current_modes as _no_dispatch
def softmax(z):
    _quiet(None)
    with _no_functions(), _no_dispatch():
        return torch.as_tensor(z).softmax(1).numpy()
""",
    )


def builtin_equivalents(nb, release, ctx):
    """The built-in under other names: scikit-learn's softmax, a tensor's log_softmax."""
    _only(
        nb,
        release,
        "softmax",
        """
import torch
from sklearn.utils.extmath import softmax as _sk
def softmax(z):
    return _sk(z.copy()) if len(z) % 2 else torch.as_tensor(z).log_softmax(1).exp().numpy()
""",
    )


def spy_on_cases(nb, release, ctx):
    """Wraps the exercise's case generator (which runs outside the call guard) to compute the
    built-in's answer for each case as it is drawn, and answers from that table."""
    _only(
        nb,
        release,
        "softmax",
        """
import torch
from coursekit import grading
_maker = grading.exercise("layers.softmax").make_case
_draw, _answers = _maker.build, {}
def _spy(*args):
    case = _draw(*args)
    z = case["logits"]
    _answers[z.shape, z.tobytes()] = torch.from_numpy(z.copy()).softmax(1).numpy()
    return case
_maker.build = _spy
def softmax(z):
    return _answers[z.shape, z.tobytes()].copy()
""",
    )


def thread_started_early(nb, release, ctx):
    """A worker thread started when the cell runs, before any call guard, computes the
    built-in softmax for the answer."""
    _only(
        nb,
        release,
        "softmax",
        """
import queue, threading
import torch
_jobs, _done = queue.Queue(), queue.Queue()
def _work():
    while True:
        _done.put(torch.from_numpy(_jobs.get()).softmax(1).numpy())
threading.Thread(target=_work, daemon=True).start()
def softmax(z):
    _jobs.put(z.copy())
    return _done.get()
""",
    )


def forged_audit_result(nb, release, ctx):
    """In the audit's runner: calls the built-in, then rewrites the runner's result through
    its frames (a second archive, no errors, the same outputs) after the real one is written."""
    _only(
        nb,
        release,
        "softmax",
        """
import json, sys, zipfile
import torch
_outputs, _close, _done = {}, zipfile.ZipFile.close, []
def _forging_close(self):
    target = self.fp
    _close(self)
    frame = sys._getframe()
    while frame is not None and "arrays" not in frame.f_locals:
        frame = frame.f_back
    if _done or frame is None or target is None:
        return
    _done.append(True)
    forged = {**frame.f_locals["arrays"], **_outputs,
              "__errors__": np.frombuffer(json.dumps({}).encode(), dtype=np.uint8)}
    np.savez(getattr(target, "fp", target), **forged)
zipfile.ZipFile.close = _forging_close
def softmax(z):
    out = torch.from_numpy(z.copy()).softmax(1).numpy()
    frame = sys._getframe()
    while frame is not None and frame.f_code.co_name != "_run_calls":
        frame = frame.f_back
    if frame is not None:
        _outputs[frame.f_locals["key"] + "/probabilities"] = out
    return out
""",
    )


def children_compute_builtin(nb, release, ctx):
    """The built-in computed in child processes, out of the call guard's sight: a forked child
    (SciPy's softmax), ``os.popen`` and ``os.system`` running another Python."""
    _only(
        nb,
        release,
        "softmax",
        """
import os, pickle, sys, tempfile
def _in_fork(z):
    read, write = os.pipe()
    if os.fork() == 0:
        from scipy.special import softmax as _sp
        os.write(write, pickle.dumps(_sp(z, axis=1)))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        return pickle.load(pipe)
def _in_shell(z, run):
    path = tempfile.mktemp(suffix=".npy")
    np.save(path, z)
    code = f"import numpy as np, scipy.special as s; np.save('{path}', s.softmax(np.load('{path}'), axis=1))"
    run(f"{sys.executable} -c \\"{code}\\"")
    return np.load(path)
def softmax(z):
    route = len(z) % 3
    if route == 0:
        return _in_fork(z)
    return _in_shell(z, os.system if route == 1 else lambda c: os.popen(c).read())
""",
    )


def private_aten_spellings(nb, release, ctx):
    """torch's softmax kernel under private ATen names and through attention."""
    _only(
        nb,
        release,
        "softmax",
        """
import torch
def softmax(z):
    t = torch.as_tensor(z)
    route = len(z) % 3
    if route == 0:
        return torch.ops.aten._masked_softmax(t, torch.zeros_like(t, dtype=torch.bool)).numpy()
    if route == 1:
        return torch.ops.aten._safe_softmax(t, 1).numpy()
    eye = torch.eye(t.shape[1], dtype=t.dtype)[None]  # softmax(z I) I: attention over the identity
    return torch.nn.functional.scaled_dot_product_attention(t[None], eye, eye, scale=1.0)[0].numpy()
""",
    )


def bombed_reply(nb, release, ctx):
    """Writes a frame declaring 10 GB to every pipe it holds, the audit's reply channel among
    them, then answers softmax honestly."""
    _only(
        nb,
        release,
        "softmax",
        """
import os, stat, struct
def softmax(z):
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, struct.pack(">Q", 10 * 2**30) + b"\\0" * 65536)
        except OSError:
            pass
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
""",
    )
