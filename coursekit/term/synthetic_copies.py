"""A synthetic class for measuring :mod:`coursekit.term.similarity`: honest students who
solve 00_backprop's answer cells independently (each exercise in one of a few natural
approaches, with its own small choices and names) and copiers who take a classmate's answers
and disguise them: other names, another layout, comments added, helper functions reordered.
"""

import itertools
import json
import re

import numpy as np

NAMES = [
    "out",
    "res",
    "result",
    "y_hat",
    "tmp",
    "val",
    "acc",
    "buf",
    "arr",
    "mat",
    "g",
    "grad",
    "e",
    "ex",
    "num",
    "den",
    "total",
    "probs",
    "p",
    "q",
    "idx",
    "i",
    "j",
    "k",
    "it",
    "pos",
    "old",
    "orig",
    "plus",
    "minus",
    "fp",
    "fm",
    "step",
    "delta",
    "shift",
    "logp",
    "lp",
    "n_rows",
]

# exercise -> approaches. "«a¦b»" is a choice each honest student makes on their own;
# "<<line>>" an optional line of their own; {a}, {b}, ... their names.
APPROACHES = {
    "dense_forward": [
        "    {a} = «x @ w¦np.dot(x, w)¦np.matmul(x, w)¦x.dot(w)» + b\n    return {a}, (x, w, b)\n",
        "    {a} = «x @ w¦np.dot(x, w)»\n    {a} «+= b¦= {a} + b¦= {a} + b[None, :]»\n"
        "    <<{a} = {a}.astype(x.dtype)>>\n    «cache = (x, w, b)\n    return {a}, cache¦return {a}, (x, w, b)»\n",
    ],
    "dense_backward": [
        "    «x, w, b = cache¦x, w, _ = cache¦x = cache[0]\n    w = cache[1]»\n"
        "    <<assert dout.shape[0] == x.shape[0]>>\n"
        "    PERMUTE«dx = «dout @ w.T¦np.dot(dout, w.T)¦dout.dot(w.T)»¦"
        "dw = «x.T @ dout¦np.dot(x.T, dout)¦x.T.dot(dout)»¦"
        "db = «dout.sum(axis=0)¦np.sum(dout, axis=0)¦dout.sum(0)¦np.sum(dout, 0)»»\n"
        "    <<assert dx.shape == x.shape, dx.shape>>\n    return dx, dw, db\n",
        "    {a}, {b}, _ = cache\n    dw = np.einsum('nd,nm->dm', {a}, dout)\n"
        "    dx = np.einsum('nm,dm->nd', dout, {b})\n    db = «dout.sum(0)¦np.einsum('nm->m', dout)»\n"
        "    return dx, dw, db\n",
    ],
    "softmax": [
        "    {a} = z - «np.max(z, axis=1, keepdims=True)¦z.max(axis=1, keepdims=True)¦z.max(1)[:, None]»\n"
        "    {b} = np.exp({a})\n    <<{c} = {b}.sum(axis=1, keepdims=True)>>\n"
        "    return {b} / «np.sum({b}, axis=1, keepdims=True)¦{b}.sum(axis=1, keepdims=True)¦{b}.sum(1)[:, None]»\n",
        "HELPER:def _row_max(m):\n    return m.max(axis=«1¦-1», keepdims=True)\n",
    ],
    "softmax_cross_entropy": [
        "    {n} = «logits.shape[0]¦len(logits)¦len(y)»\n"
        "    {a} = logits - logits.max(axis=1, keepdims=True)\n"
        "    {b} = {a} - np.log(np.exp({a}).sum(axis=1, keepdims=True))\n"
        "    loss = «-{b}[np.arange({n}), y].mean()¦-np.mean({b}[np.arange({n}), y])¦-{b}[range({n}), y].sum() / {n}»\n"
        "    dlogits = np.exp({b})\n    dlogits[np.arange({n}), y] «-= 1¦= dlogits[np.arange({n}), y] - 1»\n"
        "    «dlogits /= {n}\n    return loss, dlogits¦return loss, dlogits / {n}»\n",
        "    {n} = «len(y)¦y.shape[0]»\n    {p} = softmax(logits)\n"
        "    loss = «-np.log({p}[range({n}), y]).sum() / {n}¦-np.mean(np.log({p}[np.arange({n}), y]))»\n"
        "    dlogits = {p}.copy()\n    for {i} in range({n}):\n        dlogits[{i}, y[{i}]] -= «1¦1.0»\n"
        "    <<print(loss)>>\n    return loss, dlogits / {n}\n",
        "    {n} = logits.shape[0]\n    {p} = softmax(logits)\n    {c} = np.zeros_like({p})\n"
        "    {c}[np.arange({n}), y] = 1\n"
        "    loss = «-np.sum({c} * np.log({p})) / {n}¦-({c} * np.log({p})).sum(axis=1).mean()»\n"
        "    dlogits = ({p} - {c}) / {n}\n    return loss, dlogits\n",
    ],
    "numerical_gradient": [
        "    {g} = np.zeros_like(x«¦, dtype=float»)\n"
        "    {it} = np.nditer(x, flags=['multi_index']«¦, op_flags=['readwrite']»)\n"
        "    while not {it}.finished:\n        {i} = {it}.multi_index\n"
        "        {o} = «x[{i}]¦x[{i}].copy()¦float(x[{i}])»\n"
        "        x[{i}] = {o} + h\n        {fp} = f(x)\n        x[{i}] = {o} - h\n        {fm} = f(x)\n"
        "        x[{i}] = {o}\n        {g}[{i}] = ({fp} - {fm}) / «(2 * h)¦(2.0 * h)¦(h + h)»\n"
        "        {it}.iternext()\n"
        "    return {g}\n",
        "    {g} = np.zeros(«x.size¦x.shape»)\n    {c} = «x.copy().reshape(-1)¦x.astype(float).ravel()¦x.flatten()»\n"
        "    for {i} in range(«x.size¦len({c})»):\n"
        "        {c}[{i}] += h\n        {fp} = f({c}.reshape(x.shape))\n        {c}[{i}] -= «2 * h¦h + h»\n"
        "        {fm} = f({c}.reshape(x.shape))\n        {c}[{i}] += h\n"
        "        {g}[{i}] = ({fp} - {fm}) / (2 * h)\n    return {g}.reshape(x.shape)\n",
        "    {g} = np.zeros_like(x)\n"
        "    for {i} in «np.ndindex(*x.shape)¦np.ndindex(x.shape)¦itertools.product(*map(range, x.shape))»:\n"
        "        {e} = np.zeros_like(x)\n        {e}[{i}] = h\n"
        "        {g}[{i}] = «(f(x + {e}) - f(x - {e})) / (2 * h)¦0.5 * (f(x + {e}) - f(x - {e})) / h»\n"
        "    return {g}\n",
    ],
}
SIGNATURES = {
    "dense_forward": "def dense_forward(x, w, b):\n",
    "dense_backward": "def dense_backward(dout, cache):\n",
    "softmax": "def softmax(z):\n",
    "softmax_cross_entropy": "def softmax_cross_entropy(logits, y):\n",
    "numerical_gradient": "def numerical_gradient(f, x, h=1e-5):\n",
}
SLOTS = "abcnpiegoit"


def _names(rng):
    chosen = rng.choice(NAMES, size=12, replace=False)
    return dict(zip(["a", "b", "c", "n", "p", "i", "e", "g", "o", "it", "fp", "fm"], chosen))


def solve(rng):
    """An honest student's choices: {exercise: (approach, names, extras)}."""
    choices = {}
    for exercise, approaches in APPROACHES.items():
        extras = {
            "check_shape": bool(rng.random() < 0.3),
            "helper_first": bool(rng.random() < 0.5),
            "asarray": bool(rng.random() < 0.3),
        }
        body = approaches[int(rng.integers(len(approaches)))]
        choices[exercise] = (_choose(body, rng), _names(rng), extras)
    return choices


def _choose(text, rng):
    """``text`` with each choice made, each optional line kept or not, PERMUTE lines shuffled."""
    while "«" in text:  # innermost first
        start = text.rindex("«")
        end = text.index("»", start)
        options = text[start + 1 : end].split("¦")
        if text[max(0, start - 7) : start] == "PERMUTE":
            chosen = "\n    ".join(options[k] for k in rng.permutation(len(options)))
            start -= 7
        else:
            chosen = options[int(rng.integers(len(options)))]
        text = text[:start] + chosen + text[end + 1 :]
    return re.sub(r" *<<(.*?)>>\n", lambda m: f"    {m[1]}\n" if rng.random() < 0.3 else "", text)


def _cell(exercise, body, names, extras):
    helper = ""
    if body.startswith("HELPER:"):  # softmax through a helper function, defined before or after
        helper = body[len("HELPER:") :]
        body = "    {a} = np.exp(z - _row_max(z))\n    return {a} / {a}.sum(axis=1, keepdims=True)\n"
    first = "    x = np.asarray(x)\n" if extras["asarray"] and "x" in SIGNATURES[exercise] else ""
    if extras["check_shape"]:
        first += f"    assert {SIGNATURES[exercise].split('(')[1].split(',')[0].split(')')[0]}.ndim >= 1\n"
    code = SIGNATURES[exercise] + first + body.format(**names)
    if helper:
        code = helper + "\n\n" + code if extras["helper_first"] else code + "\n\n" + helper
    return code


def answers(choices):
    return {exercise: _cell(exercise, *choice) for exercise, choice in choices.items()}


def disguise(choices, rng):
    """A copy of ``choices``: other names, helpers moved; then :func:`relayout` the text."""
    copied = {}
    for exercise, (body, _, extras) in choices.items():
        copied[exercise] = (body, _names(rng), {**extras, "helper_first": not extras["helper_first"]})
    return {e: relayout(code, rng) for e, code in answers(copied).items()}


def relayout(code, rng):
    """Another layout with comments: spacing around operators, blank lines, comments."""
    lines = []
    for line in code.splitlines():
        if rng.random() < 0.5:
            line = re.sub(r" ([-+*/=]) ", r"\1", line)
        if rng.random() < 0.3 and line.strip():
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f"{indent}# {rng.choice(['now', 'step', 'compute it', 'as in the notes', 'TODO check'])}")
        lines.append(line + ("  # ok" if rng.random() < 0.2 else ""))
        if rng.random() < 0.15:
            lines.append("")
    return "\n".join(lines) + "\n"


def notebook(release_nb, cells):
    """The released notebook with its answer cells replaced by ``cells`` ({grade_id: code})."""
    nb = json.loads(json.dumps(release_nb))
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell["source"] = cells[grade_id]
    return nb


def make_class(release_nb, n, *, copy_rate=0.1, seed=0):
    """({student: notebook}, {frozenset pair}) for ``n`` students: the pairs are every two
    students in one copy group (an honest student and those who copied them)."""
    rng = np.random.default_rng(seed)
    choices, groups, notebooks = {}, {}, {}
    for i in range(n):
        student = f"s{i:04d}"
        if choices and rng.random() < copy_rate:
            source = str(rng.choice(sorted(choices)))
            cells = disguise(choices[source], rng)
            groups.setdefault(source, {source}).add(student)
        else:
            choices[student] = solve(rng)
            cells = {e: relayout(c, rng) if rng.random() < 0.5 else c for e, c in answers(choices[student]).items()}
        notebooks[student] = notebook(release_nb, cells)
    pairs = {frozenset(p) for group in groups.values() for p in itertools.combinations(sorted(group), 2)}
    return notebooks, pairs
