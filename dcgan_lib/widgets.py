"""A live latent-space explorer built from core ipywidgets (chapter "The latent space").

Sliders move a noise vector z and the generator redraws its digit at once. The
digit is an ``ipywidgets.Image`` fed with PNG bytes, so the explorer runs the
same in JupyterLab, the classic Notebook and Colab; it needs a Python kernel. For a
conditional generator (chapter "Ask for a digit") a row of buttons picks the digit.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np

from dcgan_lib._runtime import keras
from dcgan_lib.grids import png_bytes
from dcgan_lib.latent import (
    METHODS,
    checked_digits,
    generate,
    latent_dim_of,
    lerp,
    random_directions,
    sample_noise,
    slerp,
)
from dcgan_lib.models import num_classes_of

MAX_SEED = 2**31 - 1
_DEFAULT_DIRECTIONS = 3


class Explorer:
    """The state, widgets and callbacks of one live latent-space explorer.

    The digit shown is ``G(z)`` with ``z = path(z_a, z_b; t) + sum_k amount_k *
    direction_k``, where ``z_a`` and ``z_b`` are the noise vectors of the seed and
    ``path`` is :func:`~dcgan_lib.latent.slerp` or :func:`~dcgan_lib.latent.lerp`.
    Every change of a control calls the generator exactly once.

    Args:
        generator: a trained generator.
        seed: the initial seed of the two noise vectors.
        directions: unit latent directions to walk along, shape (k, latent_dim);
            by default three random orthonormal directions.
        direction_names: a slider label per direction.
        max_amount: the direction sliders reach from ``-max_amount`` to ``max_amount``.
        scale: screen pixels per image pixel.
        digit: for a conditional generator (and only for one), the digit drawn
            first; 0 by default.

    Attributes:
        widget: the container to display.
        image: the ``ipywidgets.Image`` showing the digit.
        seed: the seed picker; ``new_sample``: the button that moves to the next seed.
        method: the ``slerp``/``lerp`` toggle; ``t``: the interpolation slider.
        direction_sliders: one slider per direction.
        digit: for a conditional generator, the digit picker (``None`` otherwise).
        renders: how many times the digit has been drawn (one generator call each).
    """

    def __init__(
        self,
        generator: keras.Model,
        seed: int = 0,
        directions: np.ndarray | None = None,
        direction_names: Sequence[str] | None = None,
        max_amount: float = 3.0,
        scale: int = 8,
        digit: int | None = None,
    ) -> None:
        self.generator = generator
        self.latent_dim = latent_dim_of(generator)
        classes = num_classes_of(generator)
        if classes and digit is None:
            digit = 0
        checked_digits(generator, digit, 1)  # refuses a digit the generator cannot draw
        self.digit = None
        if classes:
            self.digit = widgets.ToggleButtons(
                options=list(range(classes)),
                value=digit,
                description="digit",
                style={"button_width": "2.2em"},
            )
        if directions is None:
            directions = random_directions(self.latent_dim, _DEFAULT_DIRECTIONS, seed=0)
        self.directions = np.asarray(directions, dtype=np.float32).reshape(-1, self.latent_dim)
        if direction_names is None:
            direction_names = [f"dir {k + 1}" for k in range(len(self.directions))]
        if len(direction_names) != len(self.directions):
            raise ValueError(
                f"got {len(direction_names)} names for {len(self.directions)} directions."
            )
        self.scale = scale
        self.renders = 0

        self.seed = widgets.BoundedIntText(
            value=seed, min=0, max=MAX_SEED, description="seed", layout={"width": "180px"}
        )
        self.new_sample = widgets.Button(description="new sample", icon="refresh")
        self.method = widgets.ToggleButtons(options=list(reversed(METHODS)), description="path")
        self.t = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="t")
        self.direction_sliders = [
            widgets.FloatSlider(
                value=0.0, min=-max_amount, max=max_amount, step=0.25, description=name
            )
            for name in direction_names
        ]
        self.image = widgets.Image(format="png")

        chosen = [self.digit] if self.digit is not None else []
        for control in (self.seed, self.method, self.t, *self.direction_sliders, *chosen):
            control.observe(self._on_change, names="value")
        self.new_sample.on_click(self._on_new_sample)

        controls = widgets.VBox(
            [
                widgets.HBox([self.seed, self.new_sample]),
                *chosen,
                self.method,
                widgets.HTML("<b>between two samples</b>"),
                self.t,
                widgets.HTML("<b>along latent directions</b>"),
                *self.direction_sliders,
            ]
        )
        self.widget = widgets.HBox([self.image, controls])
        self.render()

    def endpoints(self) -> np.ndarray:
        """The two noise vectors of the current seed, shape (2, latent_dim)."""
        return sample_noise(2, self.latent_dim, self.seed.value)

    def current_z(self) -> np.ndarray:
        """The noise vector the controls point at now, shape (latent_dim,)."""
        z_a, z_b = self.endpoints()
        path = slerp if self.method.value == "slerp" else lerp
        amounts = np.array([slider.value for slider in self.direction_sliders], np.float32)
        return (path(z_a, z_b, float(self.t.value)) + amounts @ self.directions).astype(np.float32)

    def render(self) -> None:
        """Draw the digit for the current controls into :attr:`image`."""
        digit = None if self.digit is None else self.digit.value
        digits = generate(self.generator, self.current_z(), digits=digit)
        self.image.value = png_bytes(digits, scale=self.scale)
        self.renders += 1

    def _on_change(self, change: dict) -> None:
        self.render()

    def _on_new_sample(self, button: widgets.Button) -> None:
        # Changing the seed triggers its own observer, which draws the new digit once.
        self.seed.value = (self.seed.value + 1) % (MAX_SEED + 1)


def latent_explorer(generator: keras.Model, **options) -> widgets.Box:
    """The live latent-space explorer, ready to display (chapter "The latent space").

    Takes the options of :class:`Explorer`; use the class itself to reach its
    controls from code.

    >>> latent_explorer(load_pretrained_generator())  # in a notebook cell
    """
    return Explorer(generator, **options).widget
