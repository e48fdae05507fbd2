"""The networks and losses of :class:`course_utils.estimators.gan_kmeans.GANKMeans` (lecture 08).

The seed's generator and discriminator, with PyTorch's initialisation, and the two GAN losses
written on the discriminator's logits. :mod:`course_utils.estimators.gan_kmeans` re-exports them.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ..validation import check_int, check_n_clusters

__all__ = ["build_generator", "build_discriminator", "generator_loss", "discriminator_loss"]


def _torch_like_weights(sizes, rng, weight_std=None) -> list[np.ndarray]:
    """PyTorch's ``nn.Linear`` initialisation: U(-1/sqrt(fan_in), +) for weights and biases;
    with ``weight_std`` the weights are N(0, weight_std) instead (the seed's generator)."""
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        b = 1.0 / np.sqrt(fan_in)
        w = (rng.normal(0.0, weight_std, (fan_in, fan_out)) if weight_std
             else rng.uniform(-b, b, (fan_in, fan_out)))
        out += [w.astype("float32"), rng.uniform(-b, b, fan_out).astype("float32")]
    return out


def build_generator(n_features: int, n_clusters: int, hidden: int = 32, *,
                    seed: int | None = 0) -> keras.Model:
    """The seed's generator: ``Dense(hidden, relu) -> Dense(hidden//2, relu) -> Dense(K)`` logits.

    Weights N(0, 0.1) as in the seed; biases as PyTorch's default. ``seed=None`` leaves Keras'
    own initialisation.

    Parameters
    ----------
    n_features : int
        Input size.
    n_clusters : int
        Number of logits.
    hidden : int
        Width of the first hidden layer (the second has ``hidden // 2``); at least 2.
    seed : int, optional
        Seed of the seed-like initialisation; None keeps Keras' own.

    Returns
    -------
    keras.Model
    """
    d = check_int(n_features, "n_features", minimum=1)
    k = check_n_clusters(n_clusters)
    h = check_int(hidden, "hidden", minimum=2)
    model = keras.Sequential([keras.Input((d,)), keras.layers.Dense(h, activation="relu"),
                              keras.layers.Dense(h // 2, activation="relu"), keras.layers.Dense(k)],
                             name="generator")
    if seed is not None:
        model.set_weights(_torch_like_weights([d, h, h // 2, k], np.random.default_rng(seed), 0.1))
    return model


def build_discriminator(input_dim: int = 1, hidden: int = 64, *, seed: int | None = 0) -> keras.Model:
    """The seed's discriminator: ``Dense(hidden, relu) -> Dense(1)``; returns the *logit* ``z``.

    ``D = sigmoid(z)`` is the probability that the label came from the teacher; the losses take
    ``z`` so that ``log D = -softplus(-z)`` and ``log(1 - D) = -softplus(z)`` never overflow.
    ``input_dim`` is 1 (the label as a number) or ``1 + n_features`` for ``conditional=True``.

    Parameters
    ----------
    input_dim : int
        1 (the label as a number) or ``1 + n_features`` (``conditional=True``).
    hidden : int
        Width of the hidden layer.
    seed : int, optional
        Seed of PyTorch's default initialisation; None keeps Keras' own.

    Returns
    -------
    keras.Model
    """
    n_in = check_int(input_dim, "input_dim", minimum=1)
    h = check_int(hidden, "hidden", minimum=1)
    model = keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(h, activation="relu"),
                              keras.layers.Dense(1)], name="discriminator")
    if seed is not None:
        model.set_weights(_torch_like_weights([n_in, h, 1], np.random.default_rng(seed)))
    return model


def generator_loss(z_fake):
    """The seed's ``G_loss = mean(log(1 - D(G)))`` from the discriminator's logits (to minimise).

    Parameters
    ----------
    z_fake : tensor of shape (B,) or (B, 1)
        The discriminator's logits on the generator's labels.

    Returns
    -------
    scalar tensor
    """
    z = ops.reshape(ops.convert_to_tensor(z_fake), (-1,))
    return -ops.mean(ops.softplus(z))


def discriminator_loss(z_real, z_fake):
    """The seed's ``D_loss = -mean(log D(y_used) + log(1 - D(y_G)))`` from logits: the teacher's
    label (target 1) against the generator's (target 0).

    Parameters
    ----------
    z_real : tensor of shape (B,) or (B, 1)
        The discriminator's logits on the labels used (the teacher's, or the generator's on ties).
    z_fake : tensor of shape (B,) or (B, 1)
        The discriminator's logits on the generator's labels.

    Returns
    -------
    scalar tensor
    """
    zr = ops.reshape(ops.convert_to_tensor(z_real), (-1,))
    zf = ops.reshape(ops.convert_to_tensor(z_fake), (-1,))
    return ops.mean(ops.softplus(-zr) + ops.softplus(zf))
