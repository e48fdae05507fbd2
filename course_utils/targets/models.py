"""The lectures' networks: one that emits cluster centres and one that emits memberships.

* :func:`centroid_network` (lecture 02): ``Dense(30, relu) → Dense(D·K)``; the batch mean of the
  output, reshaped to (K, D), is read as the K centres.
* :func:`assignment_network` (lectures 03–04): hidden layers → ``Dense(K)`` →
  :class:`SharpSoftmax`; output ``p[n, k]`` = probability that point n is in cluster k.
"""
from __future__ import annotations

from typing import Callable, Sequence

import keras
import numpy as np
from keras import ops

from ..validation import check_int, check_n_clusters, check_positive

__all__ = ["SharpSoftmax", "FourierFeatures", "centroid_network", "assignment_network", "embedding_network"]


@keras.saving.register_keras_serializable(package="course_utils")
class SharpSoftmax(keras.layers.Layer):
    """Softmax with a sharpness factor: ``exp(A·(x − max)) / Σ exp(A·(x − max))``.

    ``A = 1`` is the ordinary softmax; a larger ``A`` pushes the memberships towards 0/1 (hard
    assignments), a smaller one towards 1/K. Subtracting the row maximum changes nothing
    mathematically and keeps ``exp`` from overflowing. (Lecture 001 subtracts the maximum of
    the *whole batch*: the same in exact arithmetic, but rows far below it underflow to 0/0.)

    Parameters
    ----------
    sharpness : float > 0
        The factor ``A`` (the lecture uses 3).
    axis : int
        The axis the memberships sum to 1 over.
    """

    def __init__(self, sharpness: float = 3.0, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.sharpness = check_positive(sharpness, "sharpness")
        self.axis = int(axis)

    def call(self, x):
        z = self.sharpness * (x - ops.max(x, axis=self.axis, keepdims=True))
        e = ops.exp(z)
        return e / ops.sum(e, axis=self.axis, keepdims=True)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"sharpness": self.sharpness, "axis": self.axis})
        return config


def _check_dim(dim) -> int:
    return check_int(dim, "dim", minimum=1, hint=" (the number of features of the data, X.shape[1])")


def _check_units(hidden, name="hidden") -> tuple[int, ...]:
    try:
        units = tuple(np.atleast_1d(hidden).tolist()) if not isinstance(hidden, str) else ()
        units = tuple(check_int(u, name, minimum=1) for u in units)
    except (TypeError, ValueError):
        units = ()
    if not units:
        raise ValueError(f"{name} must be a positive integer or a non-empty sequence of them, got {hidden!r}.")
    return units


def _init(seed: int | None, i: int):
    return keras.initializers.GlorotUniform(seed=None if seed is None else seed + i)


def _fourier_projection(dim: int, n_features: int, scale: float, seed: int | None) -> np.ndarray:
    """The fixed projection ``B ~ N(0, scale²)`` (dim × n_features) of :class:`FourierFeatures`."""
    return np.random.default_rng(seed).normal(scale=scale, size=(int(dim), int(n_features))).astype("float32")


def centroid_network(dim: int, n_clusters: int, hidden: int | Sequence[int] = 30, *,
                     activation: str = "relu", seed: int | None = None, init_centers=None) -> keras.Model:
    """Lecture 02's network: ``Dense(hidden, relu) → Dense(dim·n_clusters)`` (linear).

    Train it with :func:`course_utils.targets.losses.centroid_loss`; read the centres with
    :func:`course_utils.targets.train.predict_centers`.

    Parameters
    ----------
    dim : int — number of features of the data
    n_clusters : int >= 1
    hidden : int or sequence of int — hidden layer sizes (lecture: 30)
    activation : str — activation of the hidden layers
    seed : int, optional — seeds the initial weights (same seed, same network)
    init_centers : array (n_clusters, dim), optional — start from these centres (e.g. k-means++
        seeds): the output layer's bias holds them and its kernel starts at zero, so the untrained
        network emits exactly these centres for every point. None: a random start.
    """
    dim = _check_dim(dim)
    k = check_n_clusters(n_clusters)
    units = _check_units(hidden)
    if init_centers is not None:
        import numpy as np

        init_centers = np.asarray(init_centers, dtype=np.float64)
        if init_centers.shape != (k, dim) or not np.all(np.isfinite(init_centers)):
            raise ValueError(f"init_centers must be a finite ({k}, {dim}) array (one centre per cluster), "
                             f"got shape {init_centers.shape}.")
    layers = [keras.Input((dim,))]
    layers += [keras.layers.Dense(u, activation=activation, kernel_initializer=_init(seed, i))
               for i, u in enumerate(units)]
    out_init = dict(kernel_initializer=_init(seed, len(units))) if init_centers is None else dict(
        kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(init_centers.ravel().tolist()))
    layers.append(keras.layers.Dense(dim * k, activation=None, name="centres", **out_init))
    return keras.Sequential(layers, name="centroid_network")


def assignment_network(dim: int, n_clusters: int, hidden: int | Sequence[int] = (20, 20, 20),
                       sharpness: float = 3.0, *, activation: str = "relu",
                       seed: int | None = None) -> keras.Model:
    """Soft-assignment network: hidden ``Dense`` layers → ``Dense(K)`` → :class:`SharpSoftmax`.

    Defaults are lecture 001's (three ``Dense(20, relu)``, ``A = 3``). Lecture 000's network is
    ``assignment_network(2, 3, hidden=30, activation="sigmoid", sharpness=1.0)``.

    Parameters
    ----------
    dim : int — number of features of the data
    n_clusters : int >= 2
    hidden : int or sequence of int — hidden layer sizes
    sharpness : float > 0 — the softmax factor ``A``
    activation : str — activation of the hidden layers
    seed : int, optional — seeds the initial weights
    """
    dim = _check_dim(dim)
    k = check_n_clusters(n_clusters, minimum=2)
    units = _check_units(hidden)
    sharpness = check_positive(sharpness, "sharpness")
    layers = [keras.Input((dim,))]
    layers += [keras.layers.Dense(u, activation=activation, kernel_initializer=_init(seed, i))
               for i, u in enumerate(units)]
    layers.append(keras.layers.Dense(k, kernel_initializer=_init(seed, len(units)), name="logits"))
    layers.append(SharpSoftmax(sharpness, name="memberships"))
    return keras.Sequential(layers, name="assignment_network")


@keras.saving.register_keras_serializable(package="course_utils")
class FourierFeatures(keras.layers.Layer):
    """Fixed random Fourier features ``[sin(x B), cos(x B)]``, ``B ~ N(0, scale²)`` (D × F).

    A plain ReLU network learns smooth, nearly linear functions of 2-D inputs first (its
    *spectral bias*), so a cluster boundary that must bend around a moon or a ring is learned
    slowly or never. Feeding it sines and cosines of random directions fixes that (Tancik et
    al., 2020). ``scale`` sets how wiggly the first functions may be (data standardised).
    """

    def __init__(self, n_features: int = 64, scale: float = 1.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.n_features, self.scale, self.seed = int(n_features), float(scale), seed

    def build(self, input_shape):
        B = _fourier_projection(input_shape[-1], self.n_features, self.scale, self.seed)
        self.B = self.add_weight(shape=B.shape, initializer=keras.initializers.Constant(B),
                                 trainable=False, name="B")

    def call(self, x):
        z = ops.matmul(x, self.B)
        return ops.concatenate([ops.sin(z), ops.cos(z)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2 * self.n_features)

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features, "scale": self.scale, "seed": self.seed}


def _with_fourier(net_builder: Callable[[int, int], keras.Model], dim: int, fourier: float, seed: int,
                  n_features: int = 64) -> keras.Model:
    """``net_builder(in_dim, seed)`` behind a :class:`FourierFeatures` layer (if ``fourier`` > 0)."""
    if not fourier:
        return net_builder(dim, seed)
    inp = keras.Input((dim,))
    net = net_builder(2 * n_features, seed)
    return keras.Model(inp, net(FourierFeatures(n_features, fourier, seed=seed)(inp)), name=net.name + "_ff")


def embedding_network(dim: int, out_dim: int, hidden=(32, 32), *, seed: int | None = None) -> keras.Model:
    """``Dense(hidden, relu)…  → Dense(out_dim)`` (linear): the SpectralNet embedding network.

    Parameters
    ----------
    dim : int
        Number of input features.
    out_dim : int
        Size of the embedding.
    hidden : int or sequence of int
        Widths of the hidden ReLU layers.
    seed : int, optional
        Seed of the initial weights.

    Returns
    -------
    keras.Model
    """
    units = _check_units(hidden)
    layers = [keras.Input((dim,))]
    layers += [keras.layers.Dense(u, activation="relu", kernel_initializer=_init(seed, i)) for i, u in enumerate(units)]
    layers.append(keras.layers.Dense(out_dim, kernel_initializer=_init(seed, len(units)), name="embedding"))
    return keras.Sequential(layers, name="embedding_network")
