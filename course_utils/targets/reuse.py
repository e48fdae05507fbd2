"""Trace the train step of a graph objective once, then reuse it (``cluster()``'s speed-up).

Tracing the compiled train step is most of a short fit's time. :func:`fit_clustering_reused`
keeps, per architecture and data size, a twin of the model whose loss reads the graph from
variables, so a later call only copies weights and the graph in and runs ``fit`` — the course's
``compile``/``fit`` idiom, traced once.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import keras

from .train import fit_clustering

__all__ = ["fit_clustering_reused", "TRAIN_CACHE_SIZE", "DENSE_MAX_POINTS"]

#: Trained-once models kept for reuse by :func:`fit_clustering_reused`: key → (model, loss, inner).
TRAIN_CACHE_SIZE = 8
#: Up to this many points the reused step holds W dense (a dense 500×500 product costs less than
#: the sparse one's bookkeeping). No XLA: Keras refuses it under the op determinism that
#: ``course_utils.setup()`` turns on, so a notebook and a test run the same kernels.
DENSE_MAX_POINTS = 1000
_TRAIN_CACHE: OrderedDict = OrderedDict()


def fit_clustering_reused(key: tuple | None, model: keras.Model, loss, X, *, wrap: Callable = lambda inner: inner,
                          epochs: int, learning_rate: float) -> None:
    """:func:`fit_clustering` of ``model`` on ``wrap(loss)``, tracing the train step once per ``key``.

    Tracing the compiled train step takes most of a short fit. ``key`` must fix the model's
    architecture, the number of points and the loss's options; ``loss`` is a graph loss
    (:class:`course_utils.graph_losses.GraphLoss`). The first call with a key compiles a twin of
    the model whose loss reads the graph from variables; every call copies its fresh initial
    weights and its graph into that twin, resets its optimizer, ``fit`` s it without recompiling
    (``recompile=False``) and copies the trained weights back into ``model``. Same initial
    weights, same graph, same steps: the same result whether the step was traced now or earlier.
    Up to :data:`DENSE_MAX_POINTS` points W is held dense.

    Parameters
    ----------
    key : tuple or None
        What fixes the traced step (objective, data shape, K, options). None, or another backend
        than TensorFlow: a plain :func:`fit_clustering`.
    model : keras.Model
        The freshly initialised network; it receives the trained weights.
    loss : GraphLoss
        The target function on this call's graph.
    X : ndarray of shape (N, D)
        The (standardised) data.
    wrap : callable
        Builds the loss actually trained from ``loss`` (e.g. the restarts' sum).
    epochs : int
        Full-batch steps.
    learning_rate : float
        Adam's step size.
    """
    if key is None or keras.backend.backend() != "tensorflow":
        fit_clustering(model, X, wrap(loss), epochs=epochs, learning_rate=learning_rate, record_steps=False)
        return
    small = X.shape[0] <= DENSE_MAX_POINTS
    hit = _TRAIN_CACHE.get(key)
    if hit is None:
        twin = keras.models.clone_model(model)
        inner = object.__new__(type(loss))               # a shallow twin of the loss ...
        inner.__dict__.update(loss.__dict__)
        inner.bind_graph_variables(dense=small)          # ... reading its graph from variables
        hit = (twin, wrap(inner), inner)
        if TRAIN_CACHE_SIZE >= 1:                        # 0: trace every call (same results)
            _TRAIN_CACHE[key] = hit
            while len(_TRAIN_CACHE) > TRAIN_CACHE_SIZE:
                _TRAIN_CACHE.popitem(last=False)
    else:
        _TRAIN_CACHE.move_to_end(key)
    twin, full, inner = hit
    inner.assign_graph(loss)
    twin.set_weights(model.get_weights())
    fit_clustering(twin, X, full, epochs=epochs, learning_rate=learning_rate, record_steps=False,
                   recompile=False)
    model.set_weights(twin.get_weights())
