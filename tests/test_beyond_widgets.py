"""10_beyond_the_notes's widgets, headless: what each one displays (the text line and the PNG
in its Output widget's outputs) follows the slider, and training happens once per value."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursekit.beyond import nets, uncertainty  # noqa: E402
from coursekit.experiments.regularization import moons_split  # noqa: E402
from coursekit.widgets import beyond as demo  # noqa: E402

PNG_SIGNATURE = b"\x89PNG"


def _displayed(box):
    """(the text lines printed, the number of PNG images) in the widget's Output; the
    figure's description (one ``Figure: ...`` line) is checked and left out."""
    import base64

    lines = "".join(o["text"] for o in box.output.outputs if o["output_type"] == "stream").splitlines(True)
    assert sum(line.startswith("Figure: ") for line in lines) == 1, lines
    text = "".join(line for line in lines if not line.startswith("Figure: "))
    images = [o["data"]["image/png"] for o in box.output.outputs if o["output_type"] == "display_data"]
    assert all(base64.b64decode(i)[:4] == PNG_SIGNATURE for i in images)
    return text, len(images)


@pytest.fixture(scope="module")
def moons():
    return moons_split(n_train=40, n_val=60, seed=0)


@pytest.fixture(scope="module")
def dropout_model(moons):
    model = nets.mlp([2, 16, 16, 2], p_drop=0.3, seed=0)
    nets.train(model, moons.x_train, moons.y_train, epochs=3, batch_size=20)
    return model


def test_mc_dropout_widget_shows_the_spread_of_the_first_t_masks(moons, dropout_model):
    box = demo.mc_dropout_explorer(dropout_model, moons, samples=(1, 5, 40), resolution=12)
    assert box.slider.value == 5
    text, images = _displayed(box)
    assert images == 1 and text.startswith("5 mask(s): mean spread")
    # the numbers shown are the spread of the first 5 of the masks, recomputed here
    p = box.probabilities[:5]
    near = box.distance < 0.25
    assert f"{p.std(axis=0)[near].mean():.3f} within 0.25" in text
    box.slider.value = 1
    text, images = _displayed(box)
    assert images == 1 and text.startswith("1 mask(s): mean spread 0.000 within")  # one mask: no spread
    box.slider.value = 40
    text, _ = _displayed(box)
    far = box.distance > 1.5
    assert f"{box.probabilities.std(axis=0)[far].mean():.3f} farther than 1.5" in text


def test_mc_dropout_masks_come_from_the_seed(moons, dropout_model):
    a = uncertainty.mc_probabilities(dropout_model, moons.x_val, 4, seed=3)
    b = uncertainty.mc_probabilities(dropout_model, moons.x_val, 4, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[0], a[1])  # different masks
    dropout_model.eval()  # the modes are restored after sampling
    uncertainty.mc_probabilities(dropout_model, moons.x_val, 2)
    assert not any(m.training for m in dropout_model.modules())


def _fake_result(radius):
    xx, yy = np.meshgrid(np.linspace(-3, 3, 10), np.linspace(-3, 3, 10))
    hist = {"train_error": [0.05], "val_error": [0.1 + radius / 100], "largest_unit_norm": [min(radius, 7.0)]}
    return (xx, yy, 1 / (1 + np.exp(-xx * radius))), hist


class FakeTrainer:
    def __init__(self):
        self.calls = []

    def __call__(self, split, **kwargs):
        self.calls.append(kwargs)
        return _fake_result(kwargs["max_norm"])


def test_max_norm_widget_trains_once_per_radius_and_shows_its_error(moons):
    trainer = FakeTrainer()
    box = demo.max_norm_explorer(
        moons, radii=(0.5, 2.0, 8.0), known={2.0: _fake_result(2.0)}, train=trainer, initial=2.0, steps=7
    )
    assert trainer.calls == []  # the initial radius was known
    text, images = _displayed(box)
    assert images == 1 and text == "radius 2: validation error 12.0%, largest incoming-weight norm 2\n"
    box.slider.value = 8.0
    assert trainer.calls == [{"max_norm": 8.0, "steps": 7}]
    text, images = _displayed(box)
    assert images == 1 and text == "radius 8: validation error 18.0%, largest incoming-weight norm 7\n"
    box.slider.value = 2.0
    box.slider.value = 8.0  # remembered: not trained again
    assert len(trainer.calls) == 1


def test_max_norm_widget_with_real_training(moons):
    box = demo.max_norm_explorer(moons, radii=(0.5, 2.0), initial=0.5, steps=5, hidden=(8, 8), resolution=10)
    text, images = _displayed(box)
    assert images == 1 and text.startswith("radius 0.5: validation error")
    norm = float(text.rsplit(" ", 1)[1])
    assert norm <= 0.5  # the constraint holds in the trained model


def test_max_norm_widget_rejects_an_initial_radius_off_the_slider(moons):
    with pytest.raises(ValueError, match="initial must be one of"):
        demo.max_norm_explorer(moons, radii=(1.0, 2.0), initial=3.0, train=FakeTrainer())
