"""R restarts as one layer: every weight holds all restarts, every product stays the restart's own.

:func:`course_utils.cluster` trains several restarts (independent networks with different initial
weights) and keeps the best. Built as R separate Keras networks side by side, each restart brings
its own 6–8 weight variables, and every variable costs Adam about fifteen small operations per
step; on a CPU the cost of launching those operations, not the arithmetic, was most of a step.

:class:`StackedRestarts` holds the R networks in one layer: each weight is one variable of shape
``(R, …)`` (so Adam updates all restarts at once), while the forward pass unstacks it and runs
restart r's own matrix products on restart r's slice — the same 2-D products as the separate
networks (a batched product is slower on a CPU at these sizes). Its initial weights are exactly
those of the separate networks with the same seeds (the same Glorot draws, the same Fourier
projections); no weight is shared between restarts, so each gets its own gradient and Adam state.
``tests/test_stacked.py`` checks the outputs, gradients and trained weights against the separate
networks.
"""
from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
from keras import ops

from ..validation import check_int, check_positive
from .models import SharpSoftmax, _check_units, _fourier_projection, _init

__all__ = ["StackedFourier", "StackedRestarts", "stacked_network", "training_view"]


@keras.saving.register_keras_serializable(package="course_utils")
class StackedFourier(keras.layers.Layer):
    """R fixed random Fourier feature maps at once: ``(N, D) → (N, R·2F)``, restart r in its own block.

    Restart r's block is ``[sin(x B_r), cos(x B_r)]`` with ``B_r`` the projection of
    ``FourierFeatures(n_features, scale, seed=seeds[r])`` (the same NumPy draw). The layer has no
    trainable weight, so its output on the training data can be computed once, before training
    (:func:`training_view`).
    """

    def __init__(self, n_features: int, scale: float, seeds: Sequence[int], **kwargs):
        super().__init__(**kwargs)
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.scale = check_positive(scale, "scale")
        self.seeds = [int(s) for s in seeds]

    def build(self, input_shape):
        d = int(input_shape[-1])
        B = np.stack([_fourier_projection(d, self.n_features, self.scale, s) for s in self.seeds])  # (R, D, F)
        self.B = self.add_weight(shape=B.shape, initializer=keras.initializers.Constant(B),
                                 trainable=False, name="B")

    def call(self, x):
        z = ops.einsum("nd,rdf->nrf", x, self.B)
        feats = ops.concatenate([ops.sin(z), ops.cos(z)], axis=-1)               # (N, R, 2F)
        return ops.reshape(feats, (-1, len(self.seeds) * 2 * self.n_features))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], len(self.seeds) * 2 * self.n_features)

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features, "scale": self.scale, "seeds": self.seeds}


@keras.saving.register_keras_serializable(package="course_utils")
class StackedRestarts(keras.layers.Layer):
    """R independent MLPs in one layer: ``→ (N, R·out_dim)``, restart r in its own columns.

    Restart r is ``Dense(u, relu)… → Dense(out_dim) [→ SharpSoftmax]`` with
    ``GlorotUniform(seed=seeds[r] + i)`` kernels (layer i) and zero biases — the weights
    :func:`course_utils.targets.models.assignment_network` and the embedding network draw with
    ``seed=seeds[r]``. With ``split_input`` the input is ``(N, R·in)`` and restart r reads block r
    (its own Fourier features); otherwise every restart reads the same ``(N, in)``.

    Parameters
    ----------
    out_dim : int
        Outputs of each restart.
    hidden : sequence of int
        Widths of the hidden ReLU layers.
    seeds : sequence of int
        One seed per restart.
    split_input : bool
        Whether the input holds one block of features per restart.
    output : {"softmax", "linear"}
        Memberships (sharp softmax over each restart's outputs) or a linear embedding.
    sharpness : float
        The softmax factor.
    """

    def __init__(self, out_dim: int, hidden: Sequence[int], seeds: Sequence[int], split_input: bool = False,
                 output: str = "softmax", sharpness: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.out_dim = check_int(out_dim, "out_dim", minimum=1)
        self.hidden = list(_check_units(hidden))
        self.seeds = [check_int(s, "seed", minimum=0) for s in seeds]
        if not self.seeds:
            raise ValueError("seeds must hold one seed per restart (at least one).")
        self.split_input = bool(split_input)
        if output not in ("softmax", "linear"):
            raise ValueError(f"output must be 'softmax' (memberships) or 'linear' (an embedding), got {output!r}.")
        self.output_kind = output
        self.sharpness = check_positive(sharpness, "sharpness")
        self._softmax = SharpSoftmax(self.sharpness) if output == "softmax" else None

    def build(self, input_shape):
        R, d = len(self.seeds), int(input_shape[-1])
        if self.split_input:
            if d % R:
                raise ValueError(f"the input has {d} columns, not one block per restart ({R}).")
            d //= R
        self.kernels, self.biases = [], []
        for i, u in enumerate([*self.hidden, self.out_dim]):
            K = np.stack([ops.convert_to_numpy(_init(s, i)((d, u))) for s in self.seeds])
            self.kernels.append(self.add_weight(shape=K.shape, initializer=keras.initializers.Constant(K),
                                                name=f"kernel_{i}"))
            self.biases.append(self.add_weight(shape=(R, u), initializer="zeros", name=f"bias_{i}"))
            d = u

    def call(self, x):
        R = len(self.seeds)
        Ks = [ops.unstack(k, R) for k in self.kernels]          # one variable per layer, R slices
        bs = [ops.unstack(b, R) for b in self.biases]
        width = ops.shape(x)[-1] // R if self.split_input else None
        outs = []
        for r in range(R):
            h = x[:, r * width:(r + 1) * width] if self.split_input else x
            for i in range(len(Ks)):
                h = ops.matmul(h, Ks[i][r]) + bs[i][r]           # restart r's own 2-D product
                if i < len(Ks) - 1:
                    h = ops.relu(h)
            outs.append(self._softmax(h) if self._softmax is not None else h)
        return outs[0] if R == 1 else ops.concatenate(outs, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], len(self.seeds) * self.out_dim)

    def get_config(self):
        return {**super().get_config(), "out_dim": self.out_dim, "hidden": self.hidden, "seeds": self.seeds,
                "split_input": self.split_input, "output": self.output_kind, "sharpness": self.sharpness}


def stacked_network(dim: int, out_dim: int, hidden: int | Sequence[int], seeds: Sequence[int], *,
                    fourier: float = 0.0, n_features: int = 64, output: str = "softmax",
                    sharpness: float = 1.0) -> keras.Model:
    """``len(seeds)`` independent networks as one model: ``[StackedFourier →] StackedRestarts``.

    Restart r equals ``[FourierFeatures(n_features, fourier, seed=seeds[r]) →]`` hidden ReLU
    ``Dense`` layers → ``Dense(out_dim)`` ``[→ SharpSoftmax(sharpness)]``, with the initial weights
    of :func:`course_utils.targets.models.assignment_network` (``output="softmax"``) or of the
    linear embedding network (``output="linear"``) built with ``seed=seeds[r]``.

    Parameters
    ----------
    dim : int
        Number of input features.
    out_dim : int
        Outputs of each restart (clusters, segments, or the embedding size).
    hidden : int or sequence of int
        Widths of the hidden ReLU layers.
    seeds : sequence of int
        One seed per restart (their number is R).
    fourier : float
        Scale of the Fourier features; 0: none (the data enter the first layer directly).
    n_features : int
        Fourier features per restart (2·n_features inputs to the first layer).
    output : {"softmax", "linear"}
        Memberships or a linear embedding.
    sharpness : float
        The softmax factor, for ``output="softmax"``.

    Returns
    -------
    keras.Model
        Input ``(N, dim)``, output ``(N, R·out_dim)``: restart r in columns ``r·out_dim … (r+1)·out_dim − 1``.
    """
    dim = check_int(dim, "dim", minimum=1)
    fourier = float(fourier)
    inp = keras.Input((dim,))
    h = StackedFourier(n_features, fourier, seeds, name="fourier")(inp) if fourier else inp
    body = StackedRestarts(out_dim, _check_units(hidden), seeds, split_input=bool(fourier), output=output,
                           sharpness=sharpness, name="restarts")
    return keras.Model(inp, body(h), name=f"stacked_x{len(body.seeds)}")


def training_view(model: keras.Model, X: np.ndarray) -> tuple[keras.Model, np.ndarray]:
    """The part of a :func:`stacked_network` to train, and its input: the fixed features computed once.

    The Fourier features have no trainable weight and the data do not change between full-batch
    steps, so computing ``sin``/``cos`` of the same numbers at every step is wasted work. This
    returns a model made of the network's ``restarts`` layer alone (training it trains ``model``:
    the layer is shared) and the features of ``X``. A model without Fourier features is returned
    as it is, with ``X``.

    Parameters
    ----------
    model : keras.Model
        A network from :func:`stacked_network`.
    X : ndarray of shape (N, D)
        The training data.

    Returns
    -------
    trainer : keras.Model
    inputs : ndarray of shape (N, ·), float32
    """
    X = np.asarray(X, dtype=np.float32)
    try:
        ff = model.get_layer("fourier")
    except ValueError:
        return model, X
    feats = np.concatenate([ops.convert_to_numpy(ff(X[i:i + 65536])) for i in range(0, X.shape[0], 65536)])
    inp = keras.Input((feats.shape[1],))
    return keras.Model(inp, model.get_layer("restarts")(inp), name=f"{model.name}_body"), feats
