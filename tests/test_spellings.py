"""One spelling across coursekit: ``p_drop`` is the dropout rate and ``seed`` an integer
seed (``rng`` and ``generator`` stay the contract's generators). The old keywords still
work, with a DeprecationWarning that names the new one, and give the same result."""

import numpy as np
import pytest
import torch

from coursekit.beyond import maxnorm, nets
from coursekit.experiments import regularization as moons_experiments
from coursekit.training import build_mlp, build_numpy_mlp
from coursekit.training.numpy_mlp import NumpyMLP


def _same_torch(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize(
    "old, new",
    [
        ({"dropout": 0.3}, {"p_drop": 0.3}),
        ({"generator_seed": 4}, {"seed": 4}),
        ({"dropout": 0.3, "generator_seed": 4}, {"p_drop": 0.3, "seed": 4}),
    ],
)
@pytest.mark.parametrize("parts", ["torch", "coursekit"])
def test_build_mlp_old_keywords_warn_and_build_the_same_net(old, new, parts):
    with pytest.warns(DeprecationWarning) as caught:
        before = build_mlp([4, 8, 3], parts=parts, **old)
    for old_name, new_name in zip(old, new):
        assert any(f"'{old_name}' is deprecated, use '{new_name}'" in str(w.message) for w in caught)
    after = build_mlp([4, 8, 3], parts=parts, **new)
    assert repr(before) == repr(after) and _same_torch(before, after)


def test_build_numpy_mlp_old_dropout_keyword_warns_and_builds_the_same_net():
    with pytest.warns(DeprecationWarning, match="'dropout' is deprecated, use 'p_drop'"):
        before = build_numpy_mlp([4, 8, 3], dropout=0.3, rng=np.random.default_rng(0))
    after = build_numpy_mlp([4, 8, 3], p_drop=0.3, rng=np.random.default_rng(0))
    assert before.p_drop == after.p_drop == 0.3 and np.array_equal(before.flat, after.flat)
    x = np.random.default_rng(1).standard_normal((5, 4))
    logits = [m.forward(x, train=True, rng=np.random.default_rng(2))[0] for m in (before, after)]
    np.testing.assert_array_equal(*logits)


def test_numpy_mlp_old_dropout_keyword_and_attribute_warn():
    settings = {"activation": "relu", "batchnorm": False, "input_noise": 0.0, "dtype": np.float64}
    with pytest.warns(DeprecationWarning, match="'dropout' is deprecated, use 'p_drop'"):
        model = NumpyMLP([4, 3], dropout=0.25, **settings)
    with pytest.warns(DeprecationWarning, match="use NumpyMLP.p_drop"):
        assert model.dropout == model.p_drop == 0.25


def test_old_and_new_keyword_together_is_an_error():
    with pytest.raises(TypeError, match="got 'p_drop' and its old name 'dropout'"):
        build_mlp([4, 3], dropout=0.1, p_drop=0.2)
    with pytest.raises(TypeError, match="got 'seed' and its old name 'generator_seed'"):
        build_mlp([4, 3], generator_seed=1, seed=1)


@pytest.mark.parametrize("build", [nets.mlp, lambda **k: moons_experiments.build_classifier(hidden=(8,), **k)])
def test_experiment_builders_old_dropout_keyword_warns_and_builds_the_same_net(build):
    kwargs = {"sizes": [2, 8, 2]} if build is nets.mlp else {}
    with pytest.warns(DeprecationWarning, match="'dropout' is deprecated, use 'p_drop'"):
        before = build(dropout=0.4, seed=2, **kwargs)
    after = build(p_drop=0.4, seed=2, **kwargs)
    assert repr(before) == repr(after) and _same_torch(before, after)


def test_experiment_runs_old_dropout_keyword_warns_and_trains_the_same(moons_split):
    with pytest.warns(DeprecationWarning, match="train_classifier\\(\\): the keyword 'dropout'"):
        _, before = moons_experiments.train_classifier(moons_split, dropout=0.5, steps=4, hidden=(8,), record_every=2)
    _, after = moons_experiments.train_classifier(moons_split, p_drop=0.5, steps=4, hidden=(8,), record_every=2)
    assert before == after
    with pytest.warns(DeprecationWarning, match="train_and_grid\\(\\): the keyword 'dropout'"):
        _, before = maxnorm.train_and_grid(moons_split, dropout=0.5, steps=4, hidden=(8,), resolution=4)
    _, after = maxnorm.train_and_grid(moons_split, p_drop=0.5, steps=4, hidden=(8,), resolution=4)
    assert repr(before) == repr(after)


@pytest.fixture(scope="module")
def moons_split():
    return moons_experiments.moons_split(n_train=20, n_val=20)
