"""What every target function shares: the :class:`ClusteringLoss` base class and its helpers.

:mod:`course_utils.targets.losses` (lectures 02–04) and :mod:`course_utils.targets.graph_losses`
(lecture 05) both build on this module, and neither imports the other's internals.
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops
from scipy import sparse as sp

__all__ = ["EPS", "ClusteringLoss"]

#: Guard added to every denominator: an empty (vanishing) cluster gives 0, never 0/0 = NaN.
EPS = 1e-7


def _check_nearness(M: Any, name: str = "nearness"):
    """Validate a nearness matrix; return it as a float64 ndarray or CSR matrix."""
    if sp.issparse(M):
        M = sp.csr_matrix(M, dtype=np.float64)
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"{name} must be a square N×N matrix (one row and column per point), "
                             f"got shape {M.shape}.")
        data = M.data
    else:
        try:
            M = np.asarray(M, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a numeric N×N array or a scipy.sparse matrix.") from None
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"{name} must be a square N×N matrix (one row and column per point), "
                             f"got shape {M.shape}. Build it with nearness_matrix(X).")
        data = M
    if M.shape[0] < 2:
        raise ValueError(f"{name} is {M.shape[0]}×{M.shape[0]}; clustering needs at least 2 points.")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{name} contains NaN or infinite values; check the data and the kernel.")
    if np.any(data < 0):
        raise ValueError(f"{name} has negative entries (min {data.min():.3g}); nearness must be >= 0 — "
                         f"use a kernel of the distance such as rational or gaussian, not a distance "
                         f"with a minus sign.")
    return M


def _to_backend(M):
    """A constant backend tensor for the nearness matrix: sparse where the backend supports it."""
    if not sp.issparse(M):
        return ops.convert_to_tensor(M.astype(np.float32))
    coo = M.tocoo()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        idx = np.stack([coo.row, coo.col], axis=1).astype(np.int64)
        return tf.sparse.reorder(tf.SparseTensor(idx, coo.data.astype(np.float32), coo.shape))
    if backend == "jax":
        from jax.experimental import sparse as jsparse

        return jsparse.BCOO.from_scipy_sparse(coo.astype(np.float32))
    import warnings

    warnings.warn(f"Keras backend {backend!r} has no sparse tensors; using a dense nearness matrix "
                  f"(memory O(N²)).", stacklevel=3)
    return ops.convert_to_tensor(coo.toarray().astype(np.float32))


class ClusteringLoss(keras.losses.Loss):
    """Base class of the course's target functions: a Keras loss over the whole batch.

    Subclasses implement ``target(y_pred)`` → scalar. ``y_true`` is ignored. The attributes
    ``n_samples`` (rows the batch must have, or None) and ``output_dim`` (columns the network
    must emit) let :func:`course_utils.targets.train.fit_clustering` check a model against the loss
    before training. New target functions (lecture 05: normalised cut, spectral…) subclass it.
    """

    def __init__(self, n_samples: int | None, output_dim: int, name: str):
        super().__init__(name=name, reduction="sum_over_batch_size")
        self.n_samples = n_samples
        self.output_dim = int(output_dim)

    def check_output(self, y_pred) -> None:
        """Raise ``ValueError`` when the network output does not fit this loss (static shapes)."""
        shape = tuple(y_pred.shape)
        if len(shape) != 2:
            raise ValueError(f"{self.name}: the network must output a 2-D batch (N, {self.output_dim}), "
                             f"got shape {shape}.")
        if shape[1] is not None and shape[1] != self.output_dim:
            raise ValueError(f"{self.name}: the network outputs {shape[1]} values per point but the loss "
                             f"expects {self.output_dim}; build the model with the same n_clusters "
                             f"(and dim) as the loss.")
        if self.n_samples is not None and shape[0] is not None and shape[0] != self.n_samples:
            raise ValueError(f"{self.name}: the batch has {shape[0]} rows but the loss was built for "
                             f"{self.n_samples} points; train on the whole data set as one batch, in "
                             f"its original order (fit_clustering does).")

    def call(self, y_true, y_pred):
        self.check_output(y_pred)
        return self.target(ops.cast(y_pred, "float32"))

    def target(self, y_pred):  # pragma: no cover - abstract
        raise NotImplementedError
