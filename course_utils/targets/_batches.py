"""The full batch fed in a fresh random order every step — Keras' ``shuffle=True``, shown on purpose.

Used only by ``fit_clustering(..., shuffle=...)`` (lecture 03's shuffle trap).
"""
from __future__ import annotations

import keras
import numpy as np


def _shuffled_batches(X32: np.ndarray, y0: np.ndarray, epochs: int, seed: int | None, block: int) -> dict:
    """``fit`` arguments feeding one fresh permutation of the full batch per step (Keras' shuffle)."""
    rng = np.random.default_rng(seed)
    perms = np.stack([rng.permutation(X32.shape[0]) for _ in range(epochs)]).astype(np.int32)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        Xt, yt = tf.constant(X32), tf.constant(y0)
        data = tf.data.Dataset.from_tensor_slices(perms).map(lambda p: (tf.gather(Xt, p), tf.gather(yt, p)))
        return dict(x=data.repeat(), steps_per_epoch=block)
    return dict(x=np.concatenate([X32[p] for p in perms]), y=np.concatenate([y0[p] for p in perms]),
                batch_size=X32.shape[0])
