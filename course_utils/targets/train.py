"""Train a clustering network the lecture's way — ``model.compile(loss=target)`` then ``fit`` — fast.

The lectures call ``model.fit(data, zeros, batch_size=N, epochs=300)`` with
``run_eagerly`` on: every epoch is one gradient step on the whole data set, run op by op in
Python. :func:`fit_clustering` keeps that meaning of an *epoch* (one full-batch step) but

* compiles the step into a graph (no ``run_eagerly``),
* feeds the full batch repeated (``Dataset.from_tensors(...).repeat()``) and runs
  ``steps_per_execution`` steps per call into the graph,
* never shuffles: Keras' ``fit`` shuffles the rows of even a single full batch, which silently
  breaks losses whose nearness matrix is tied to the row order,
* records the loss of every step (a small metric writes it into a buffer), so the history has one
  value per epoch exactly like the lecture's, and can stop early on the loss.

Any Keras loss ``loss(y_true, y_pred)`` over the full batch works (``y_true`` is a dummy);
losses derived from :class:`course_utils.targets.losses.ClusteringLoss` are also checked against the
model and the data before training.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import keras
import numpy as np
from keras import ops

from ..metrics import inertia  # noqa: F401 (re-exported: lecture 02 calls train.inertia)
from ..progress import MARKER, Bar, visible
from ..validation import check_data, check_int, check_n_clusters
from ._batches import _shuffled_batches

__all__ = ["fit_clustering", "predict_memberships", "predict_centers", "predict_labels", "inertia", "LossTrace"]


class LossTrace(keras.metrics.Metric):
    """Records the loss of every training step into a buffer (Keras only logs epoch means).

    With ``steps_per_execution`` steps per call, Keras' own loss log is a running mean; this
    metric recomputes the loss on the same ``y_pred`` and writes it at position ``step``. Its
    state is *not* reset between Keras epochs. Read it with :meth:`values`.
    """

    def __init__(self, loss_fn: Callable, capacity: int, name: str = "loss_trace"):
        super().__init__(name=name)
        self.loss_fn = loss_fn
        self.capacity = int(capacity)
        self.buffer = self.add_variable(shape=(self.capacity,), initializer="zeros", name="buffer")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype="int32", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        value = ops.cast(ops.mean(self.loss_fn(y_true, y_pred)), self.buffer.dtype)
        i = ops.minimum(self.count, self.capacity - 1)
        self.buffer.assign(ops.slice_update(self.buffer, [i], ops.reshape(value, (1,))))
        self.count.assign(self.count + 1)

    def result(self):
        return ops.take(self.buffer, ops.maximum(self.count - 1, 0))

    def reset_state(self):  # keep the record across Keras epochs
        pass

    def clear(self) -> None:
        self.buffer.assign(ops.zeros((self.capacity,), dtype=self.buffer.dtype))
        self.count.assign(0)

    def values(self) -> np.ndarray:
        n = min(int(ops.convert_to_numpy(self.count)), self.capacity)
        return ops.convert_to_numpy(self.buffer)[:n].astype(np.float64)


class _Blocks(keras.callbacks.Callback):
    """Per-block bookkeeping: snapshots of the output, progress bar and live loss plot."""

    def __init__(self, X32, trace: LossTrace, block: int, total: int, snapshots: Sequence[int],
                 progress: bool, live_plot: bool, update_every: float = 0.5):
        super().__init__()
        self.X32, self.trace, self.block, self.total = X32, trace, block, total
        self.want = sorted(set(int(s) for s in snapshots))
        self.snapshots: dict[int, np.ndarray] = {}
        self.progress, self.live_plot, self.update_every = progress, live_plot, update_every
        self._last = 0.0
        self._bar: Bar | None = None
        self._out = None

    def on_train_begin(self, logs=None):
        if 0 in self.want:
            self.snapshots[0] = _predict(self.model, self.X32)
        if self.progress or self.live_plot:
            self._bar = Bar(self.total, "epochs", min_interval=self.update_every)
        if self.live_plot:
            import ipywidgets as w
            from IPython.display import display

            self._out = w.Output()
            display(self._out, metadata={MARKER: True})

    def on_epoch_end(self, epoch, logs=None):
        step = (epoch + 1) * self.block
        for s in self.want:
            if step - self.block < s <= step and s not in self.snapshots:
                self.snapshots[s] = _predict(self.model, self.X32)   # at the block end >= s
        if self._bar is not None:
            values = self.trace.values() if self.trace is not None else np.empty(0)
            self._bar.update(min(step, self.total) - self._bar.n,
                             f"loss {values[-1]:.4g}" if values.size else "")
            if self._out is not None and values.size and (time.perf_counter() - self._last > self.update_every
                                                           or step >= self.total):
                self._last = time.perf_counter()
                self._plot(values)

    def close(self):
        """Close the bar (also when training stopped with an error)."""
        if self._bar is not None:
            self._bar.close()

    def _plot(self, values):
        import matplotlib.pyplot as plt
        from IPython.display import display

        with self._out:
            self._out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(7, 3))
            ax.plot(np.arange(1, values.size + 1), values)
            ax.set_xlim(0, self.total)
            ax.set_xlabel("epoch")
            ax.set_ylabel("loss")
            display(fig)
            plt.close(fig)


def _predict(model, X) -> np.ndarray:
    """The model's output on all of X, called directly (no ``predict`` graph to trace)."""
    out = [ops.convert_to_numpy(model(X[i:i + 65536], training=False)) for i in range(0, X.shape[0], 65536)]
    return np.concatenate(out, axis=0).astype(np.float64)


def _block_size(epochs: int, limit: int, marks: Sequence[int]) -> int:
    g = epochs
    for s in marks:
        if 0 < s < epochs:
            g = math.gcd(g, int(s))
    return max(d for d in range(1, min(limit, g) + 1) if g % d == 0)


def _model_dims(model) -> tuple[int | None, int | None]:
    try:
        return model.input_shape[-1], model.output_shape[-1]
    except (AttributeError, ValueError):  # pragma: no cover - subclassed models
        return None, None


def _reset_optimizer(opt: keras.optimizers.Optimizer, name: str, learning_rate: float | None) -> None:
    """Put a built optimizer back into a fresh one's state: step 0, zero moments, the rate."""
    lr_var = getattr(opt, "_learning_rate", None)
    for v in opt.variables:
        if v is not lr_var:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))
    if learning_rate is None:
        learning_rate = float(ops.convert_to_numpy(keras.optimizers.get(name).learning_rate))
    opt.learning_rate = learning_rate


def fit_clustering(model: keras.Model, X, loss: Callable, *, epochs: int = 300,
                   optimizer: str | keras.optimizers.Optimizer = "adam", learning_rate: float | None = None,
                   patience: int | None = None, min_delta: float = 0.0,
                   steps_per_execution: int = 50, snapshots: Sequence[int] = (),
                   callbacks: Sequence[keras.callbacks.Callback] = (), progress: bool = True,
                   live_plot: bool = False, record_steps: bool = True,
                   shuffle: bool | int = False, recompile: bool = True,
                   jit_compile: bool = False) -> keras.callbacks.History:
    """Compile ``model`` with the target function ``loss`` and train it on the full batch ``X``.

    One *epoch* is one gradient step on all of ``X`` (as in the lectures). The model is
    (re)compiled here — ``model.compile(optimizer, loss=loss, steps_per_execution=...)`` — so
    each call starts a fresh optimizer on the current weights.

    Parameters
    ----------
    model : keras.Model
        E.g. from :mod:`course_utils.targets.models`.
    X : array-like of shape (N, D)
        The data; its rows are the one batch, in this order.
    loss : callable
        A target function ``loss(y_true, y_pred)``, e.g. from :mod:`course_utils.targets.losses`.
    epochs : int
        The most full-batch steps to take.
    optimizer : str or keras.optimizers.Optimizer
        A Keras optimizer or its name.
    learning_rate : float, optional
        Overrides the optimizer's default.
    patience : int, optional
        Stop when the loss has not improved by ``min_delta`` for about this many epochs (Keras
        ``EarlyStopping(monitor="loss")``, checked every block of ``steps_per_execution`` epochs on
        the block's mean loss). None: never stop early.
    min_delta : float
        The smallest improvement that counts, for ``patience``.
    steps_per_execution : int
        The most steps run per call into the compiled graph; the block actually used is the largest
        divisor of ``epochs`` (and of the snapshot epochs) not above it.
    snapshots : sequence of int
        Epochs at which to keep the model's output on X (``history.snapshots[epoch]``); 0 is the
        untrained network.
    callbacks : sequence of keras.callbacks.Callback
        More Keras callbacks (called once per block).
    progress : bool
        A progress bar in JupyterLab (ipywidgets); ignored outside a notebook and under pytest or
        ``COURSE_UTILS_QUIET``.
    live_plot : bool
        A live loss curve in JupyterLab, under the same conditions.
    record_steps : bool
        Record the loss of every epoch (costs one more loss evaluation per step); False keeps only
        the per-block means.
    recompile : bool
        False keeps the compiled (already traced) train step of an earlier call on the same model
        with the same loss object, ``epochs``, optimizer name and ``record_steps=False`` — no new
        tracing, which is most of the time of a short fit — and only resets the optimizer to a
        fresh one's state. Compiles as usual when that earlier call does not match.
    jit_compile : bool
        Compile the train step with XLA (Keras ignores it, with a warning, under op determinism).
    shuffle : bool or int
        False (default), True or an int seed — **for showing the lectures' mistake only**: every
        step sees the rows of ``X`` in a fresh random order, as ``model.fit(X, y, batch_size=N,
        shuffle=True)`` feeds them (Keras' default). A nearness loss then pairs row n with point
        π(n); the recorded loss is the one computed on the shuffled batch.

    Returns
    -------
    keras.callbacks.History with ``history["loss"]`` (one value per epoch, or per block when
    ``record_steps=False``), ``history["block_loss"]`` (Keras' per-block means), ``epoch``,
    ``params["block"]``, ``snapshots`` (dict epoch → output) and ``seconds`` (wall time of fit).
    """
    in_dim, out_dim = _model_dims(model)
    X = check_data(X, min_samples=2, n_features=in_dim)
    n = X.shape[0]
    epochs = check_int(epochs, "epochs", minimum=1, hint=" (full-batch steps)")
    check_int(steps_per_execution, "steps_per_execution", minimum=1)
    if any(not 0 <= int(s) <= epochs for s in snapshots):
        raise ValueError(f"snapshots must be epochs in [0, epochs={epochs}], got {list(snapshots)}.")
    if not callable(loss):
        raise ValueError(f"loss must be a function loss(y_true, y_pred) (a Keras loss), got {loss!r}.")
    want_out = getattr(loss, "output_dim", None)
    if want_out is not None and out_dim is not None and out_dim != want_out:
        raise ValueError(f"the model outputs {out_dim} values per point but the loss {getattr(loss, 'name', '')!s} "
                         f"expects {want_out}; build the model and the loss with the same n_clusters "
                         f"(a centroid network emits dim*n_clusters numbers).")
    want_n = getattr(loss, "n_samples", None)
    if want_n is not None and want_n != n:
        raise ValueError(f"the loss was built for {want_n} points (its nearness matrix is {want_n}×{want_n}) "
                         f"but X has {n} rows; build the nearness matrix from this X.")

    block = _block_size(epochs, int(steps_per_execution), snapshots)
    reuse = (not recompile and not record_steps and isinstance(optimizer, str)
             and getattr(model, "_course_compiled", None) == (id(loss), block, optimizer)
             and getattr(model, "loss", None) is loss
             and model.train_function is not None)
    if reuse:                     # the traced train step stays; the optimizer starts afresh
        _reset_optimizer(model.optimizer, optimizer, learning_rate)
        trace = None
    else:
        opt_name = optimizer if isinstance(optimizer, str) else None
        if isinstance(optimizer, str):
            optimizer = keras.optimizers.get({"class_name": optimizer, "config":
                                              ({} if learning_rate is None else {"learning_rate": learning_rate})})
        elif learning_rate is not None:
            optimizer.learning_rate = learning_rate

        trace = LossTrace(loss, epochs) if record_steps else None
        model.compile(optimizer=optimizer, loss=loss, metrics=[trace] if trace is not None else None,
                      steps_per_execution=block, jit_compile=jit_compile)
        model._course_compiled = (id(loss), block, opt_name)

    X32 = X.astype(np.float32)
    y0 = np.zeros((n, 1), dtype=np.float32)            # the dummy targets
    if not isinstance(shuffle, (bool, int, np.integer)) or (not isinstance(shuffle, bool) and shuffle < 0):
        raise ValueError(f"shuffle must be False, True or a non-negative int seed, got {shuffle!r}.")
    if shuffle is not False:
        fit_kw = _shuffled_batches(X32, y0, epochs, None if shuffle is True else int(shuffle), block)
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # the same batch every step: no prefetching, autotuning or thread pool of its own, whose
        # threads otherwise compete with the training on a 2-core CPU (a 300-step fit took
        # 0.8 s or, in about half of the calls, 1.27 s; with these options 0.8 s every time)
        quiet = tf.data.Options()
        quiet.autotune.enabled = False
        quiet.threading.private_threadpool_size = 1
        quiet.experimental_optimization.inject_prefetch = False
        data = tf.data.Dataset.from_tensors((X32, y0)).repeat().with_options(quiet)
        fit_kw = dict(x=data, steps_per_epoch=block)
    else:  # the full batch tiled `block` times, never shuffled
        fit_kw = dict(x=np.tile(X32, (block, 1)), y=np.tile(y0, (block, 1)), batch_size=n)

    show = visible()
    bookkeeping = _Blocks(X32, trace, block, epochs, snapshots, progress and show, live_plot and show
                          and trace is not None)
    cbs = [bookkeeping, keras.callbacks.TerminateOnNaN(), *callbacks]
    if patience is not None:
        check_int(patience, "patience", minimum=1, hint=" (epochs) or None")
        cbs.append(keras.callbacks.EarlyStopping(monitor="loss", mode="min", min_delta=float(min_delta),
                                                 patience=max(1, math.ceil(patience / block))))
    t0 = time.perf_counter()
    try:
        hist = model.fit(**fit_kw, epochs=epochs // block, verbose=0, callbacks=cbs, shuffle=False)
    finally:
        bookkeeping.close()
    seconds = time.perf_counter() - t0

    block_loss = [float(v) for v in hist.history.get("loss", [])]
    if trace is not None:
        per_step = trace.values().tolist()
        hist.history = {"loss": per_step, "block_loss": block_loss}
        hist.epoch = list(range(len(per_step)))
    else:
        hist.history = {"loss": block_loss, "block_loss": block_loss}
    hist.params = {**(hist.params or {}), "block": block, "epochs_run": len(block_loss) * block}
    hist.snapshots = dict(bookkeeping.snapshots)
    hist.seconds = seconds
    return hist


def predict_memberships(model: keras.Model, X) -> np.ndarray:
    """The memberships ``P`` (N, K) an assignment network gives to the points of ``X``.

    Parameters
    ----------
    model : keras.Model
        An assignment network.
    X : array-like of shape (N, D)
        The points.

    Returns
    -------
    ndarray of shape (N, K)
    """
    in_dim, _ = _model_dims(model)
    X = check_data(X, n_features=in_dim)
    return _predict(model, X.astype(np.float32))


def predict_centers(model: keras.Model, X, n_clusters: int) -> np.ndarray:
    """A centroid network's centres: the mean of its output over ``X``, reshaped to (K, D).

    Parameters
    ----------
    model : keras.Model
        A centroid network.
    X : array-like of shape (N, D)
        The data it was trained on.
    n_clusters : int
        K.

    Returns
    -------
    ndarray of shape (K, D)
    """
    in_dim, out_dim = _model_dims(model)
    X = check_data(X, n_features=in_dim)
    k = check_n_clusters(n_clusters)
    if out_dim is not None and out_dim != X.shape[1] * k:
        raise ValueError(f"the model outputs {out_dim} numbers per point, not dim*n_clusters = "
                         f"{X.shape[1]}*{k}; is n_clusters right, and is this a centroid network?")
    return _predict(model, X.astype(np.float32)).mean(axis=0).reshape(k, X.shape[1])


def predict_labels(model: keras.Model, X, *, centers=None) -> np.ndarray:
    """Cluster ids: the most probable cluster (assignment network) or the nearest centre.

    For a centroid network pass ``centers=predict_centers(model, X, n_clusters)``; without
    ``centers`` the model's output must be memberships (rows summing to 1).

    Parameters
    ----------
    model : keras.Model
        An assignment network, or a centroid network when ``centers`` is given.
    X : array-like of shape (N, D)
        The points.
    centers : array-like of shape (K, D), optional
        A centroid network's centres (:func:`predict_centers`).

    Returns
    -------
    ndarray of shape (N,)
    """
    X = check_data(X)
    if centers is not None:
        from .losses import squared_distances

        C = check_data(centers, name="centers", n_features=X.shape[1])
        return squared_distances(X, C).argmin(axis=1)
    P = predict_memberships(model, X)
    if np.any(P < -1e-6) or not np.allclose(P.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("the model's outputs are not memberships (rows do not sum to 1). For a centroid "
                         "network pass centers=predict_centers(model, X, n_clusters).")
    return P.argmax(axis=1)
