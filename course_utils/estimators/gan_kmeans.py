"""GAN-assisted k-means (seed 002): k-means is the *teacher*, a generator network labels points,
a discriminator judges the generator's labels against the teacher's; on a tie the generator decides.

The seed's design, one epoch at a time (the centres are fixed during an epoch):

1. **teacher** — the nearest centre of every point; a point whose two (or more) nearest centres are
   equally far (within ``tie_tol``) gets no teacher label (the seed's ``-1``);
2. **generator** ``G`` — an MLP ``d -> 32 -> 16 -> K`` (ReLU) emitting K logits; label = argmax;
3. **the label used** — the teacher's, or the generator's where the teacher found a tie;
4. **generator step** — minimise :math:`\\frac1B\\sum \\log(1 - D(\\hat y_G))`;
5. **discriminator step** — ``D`` (``1 -> 64 -> 1``, sigmoid) sees *only a label*, as a number,
   and minimises :math:`-\\frac1B\\sum[\\log D(y_{used}) + \\log(1 - D(\\hat y_G))]`;
6. **centres** — the mean of the points of each label; stop when the centres have not moved for
   ``patience`` epochs (or after ``max_iter`` epochs).

Differences from the seed's PyTorch code, all documented where they matter:

* vectorised — steps 1-5 run on a whole (mini)batch in one compiled TensorFlow graph per epoch,
  not point by point (``batch_size=1`` keeps the seed's number of updates);
* the seed's generator receives **no gradient**: ``argmax`` is not differentiable, so
  ``G_loss.backward()`` leaves ``G``'s weights untouched and its labels stay those of a random
  network. ``generator_gradient="none"`` reproduces that; the default ``"straight-through"`` feeds
  ``D`` the same integer label but passes the gradient through the soft label
  :math:`\\sum_k k\\,\\mathrm{softmax}(z)_k`, so that ``G`` does learn;
* ``D`` sees only the label, never the point: the game can at best teach ``G`` the teacher's
  *histogram* of labels, not which point belongs where. ``conditional=True`` shows ``D`` the
  (standardised) point as well — a conditional GAN — as a comparison;
* the networks see standardised points; an empty cluster keeps its centre (the seed gets NaN);
  the initial centres are distinct points (the seed may draw one point twice: permanent ties);
* ``n_init`` starts, the lowest WCSS kept (one random start of k-means often merges two blobs);
* the seed's stopping test ``Changed.all() == 0`` counts epochs in which *some* coordinate did not
  move; here the centres must not move at all (``tol``) for ``patience`` consecutive epochs.
"""
from __future__ import annotations

import time

import keras
import numpy as np
from keras import ops
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import kmeans_plusplus

from ..data import lecture_points  # noqa: F401 (re-exported: lecture 08 imports it here)
from ..validation import (
    check_data,
    check_fitted,
    check_int,
    check_labels,
    check_n_clusters,
    check_positive,
    check_random_state,
)
from ._gan_engine import _engine
from .gan_networks import _torch_like_weights, build_discriminator, build_generator, discriminator_loss, generator_loss
from .kmeans import _distinct_rows

__all__ = ["GANKMeans", "teacher_labels", "build_generator", "build_discriminator",
           "generator_loss", "discriminator_loss", "recompute_centers", "lecture_points"]

GRADIENTS = ("straight-through", "none")


# ---------------------------------------------------------------------------------------------
# the pieces
# ---------------------------------------------------------------------------------------------


def teacher_labels(X, centers, *, tie_tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """The teacher (the seed's ``Professor``): the nearest centre, and where it cannot decide.

    A point is a *tie* when a second centre is as near as the nearest one:
    ``d2_j - d2_min <= tie_tol * max(1, d2_min)`` for some other centre ``j`` (squared Euclidean
    distances in float64; ``tie_tol=0`` demands exact equality).

    Parameters
    ----------
    X : array-like of shape (n, p)
        The points.
    centers : array-like of shape (K, p)
        The centres.
    tie_tol : float
        Relative tolerance of the tie test (>= 0).

    Returns
    -------
    labels : ndarray (n,) of int — the nearest centre (for a tie, the lowest of the tied indices)
    ties : ndarray (n,) of bool — True where the teacher has no answer (the seed's ``-1``)
    """
    X = check_data(X)
    C = check_data(centers, name="centers", n_features=X.shape[1])
    tie_tol = check_positive(tie_tol, "tie_tol", strict=False)
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=-1)
    labels = d2.argmin(axis=1)
    dmin = d2[np.arange(X.shape[0]), labels]
    near = (d2 - dmin[:, None]) <= tie_tol * np.maximum(1.0, dmin)[:, None]
    return labels, near.sum(axis=1) > 1


def recompute_centers(X, labels, old_centers) -> np.ndarray:
    """Each centre becomes the mean of the points with its label; an empty cluster keeps its centre.

    Parameters
    ----------
    X : array-like of shape (n, p)
        The points.
    labels : array-like of shape (n,)
        The label of each point, in ``[0, K)``.
    old_centers : array-like of shape (K, p)
        The centres before the update (kept for empty clusters).

    Returns
    -------
    ndarray of shape (K, p)
    """
    X = check_data(X)
    old = check_data(old_centers, name="old_centers", n_features=X.shape[1])
    labels = check_labels(labels, X.shape[0])
    k = old.shape[0]
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must lie in [0, {k - 1}] (one per centre), got "
                         f"[{labels.min()}, {labels.max()}].")
    counts = np.bincount(labels, minlength=k)
    sums = np.zeros_like(old)
    np.add.at(sums, labels, X)
    out = old.copy()
    full = counts > 0
    out[full] = sums[full] / counts[full, None]
    return out


# ---------------------------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------------------------
class GANKMeans(ClusterMixin, BaseEstimator):
    """The seed's hybrid: k-means teacher, generator for the ties, discriminator on labels.

    Parameters
    ----------
    n_clusters : int
    init : {"random", "k-means++"} or array (n_clusters, n_features)
        "random" picks ``n_clusters`` distinct data rows (as :class:`course_utils.estimators.kmeans.Lloyd`).
    n_init : int — independent starts (new centres *and* new network weights each); the fit with
        the lowest ``inertia_`` is kept (ties: the earliest). One random start of k-means lands in a
        local optimum often (e.g. two of four blobs merged, one split), and nothing in the hybrid
        repairs that; the default 10 is scikit-learn's and finds well-separated blobs. Ignored
        (one start) when ``init`` is an array, as in R's ``kmeans``.
    max_iter : int — at most this many epochs (the seed's ``EPOCH = 100``)
    patience : int — stop once the centres did not move for this many consecutive epochs
    tol : float — the largest centre coordinate change that counts as "did not move" (0 = exact)
    tie_tol : float — relative tolerance of the teacher's tie test (see :func:`teacher_labels`)
    batch_size : int or None — points per G/D update; None = the whole data set (one update per
        epoch); 1 = the seed's number of updates
    learning_rate_g, learning_rate_d : float — Adam step sizes (the seed's 1e-4)
    hidden, d_hidden : int — generator (``hidden``, ``hidden // 2``) and discriminator widths
    generator_gradient : {"straight-through", "none"} — "none" is the seed exactly (no gradient
        reaches G through the argmax)
    conditional : bool — show D the point as well as the label (not in the seed)
    random_state : int, RandomState or None — initial centres, network weights, batch order

    Attributes
    ----------
    labels_, cluster_centers_, inertia_ (WCSS of ``labels_`` about ``cluster_centers_``),
    n_iter_ (epochs run), converged_, init_centers_ (of the start kept), best_start_ (its index),
    start_inertias_ (the final WCSS of every start), init_generator_weights_ (the generator before
    training, to compare with the trained one),
    n_ties_ (teacher ties in the last epoch), generator_used_ (fraction of all point-epoch labels
    that came from the generator), generator_agreement_ (last epoch: share of the non-tie points on
    which the generator's label equals the teacher's), history_ (per epoch: ``g_loss``,
    ``d_loss``, ``n_ties``, ``shift``), fit_time_ (seconds), generator_weights_,
    discriminator_weights_ (NumPy arrays), generator_, discriminator_ (Keras models with those
    weights, built on first access).
    """

    def __init__(self, n_clusters: int = 3, *, init="random", n_init: int = 10, max_iter: int = 100,
                 patience: int = 3,
                 tol: float = 0.0, tie_tol: float = 1e-9, batch_size: int | None = None,
                 learning_rate_g: float = 1e-4, learning_rate_d: float = 1e-4, hidden: int = 32,
                 d_hidden: int = 64, generator_gradient: str = "straight-through",
                 conditional: bool = False, random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.patience = patience
        self.tol = tol
        self.tie_tol = tie_tol
        self.batch_size = batch_size
        self.learning_rate_g = learning_rate_g
        self.learning_rate_d = learning_rate_d
        self.hidden = hidden
        self.d_hidden = d_hidden
        self.generator_gradient = generator_gradient
        self.conditional = conditional
        self.random_state = random_state

    # -- checks ----------------------------------------------------------------------------------
    def _initial_centers(self, X: np.ndarray, k: int, rng) -> np.ndarray:
        init = self.init
        if isinstance(init, str):
            if init == "random":
                pool = _distinct_rows(X)           # as Lloyd's "random": distinct rows, R's order
                return pool[rng.choice(pool.shape[0], size=k, replace=False)].copy()
            if init == "k-means++":
                return kmeans_plusplus(X, k, random_state=rng)[0]
            raise ValueError(f"init must be 'random', 'k-means++' or an array of initial centres, "
                             f"got {init!r}.")
        C = check_data(init, name="init")
        if C.shape != (k, X.shape[1]):
            raise ValueError(f"init must have shape (n_clusters, n_features) = ({k}, {X.shape[1]}), "
                             f"got {C.shape}: one row per initial centre, one column per feature.")
        if np.unique(C, axis=0).shape[0] < k:
            raise ValueError("initial centres are not distinct: two rows of init are equal, so every "
                             "point would be a tie between them; give k different centres.")
        return C.copy()

    def _check_params(self) -> dict:
        p = {"max_iter": check_int(self.max_iter, "max_iter", minimum=1),
             "n_init": check_int(self.n_init, "n_init", minimum=1),
             "patience": check_int(self.patience, "patience", minimum=1),
             "tol": check_positive(self.tol, "tol", strict=False),
             "tie_tol": check_positive(self.tie_tol, "tie_tol", strict=False),
             "lr_g": check_positive(self.learning_rate_g, "learning_rate_g"),
             "lr_d": check_positive(self.learning_rate_d, "learning_rate_d"),
             "hidden": check_int(self.hidden, "hidden", minimum=2),
             "d_hidden": check_int(self.d_hidden, "d_hidden", minimum=1)}
        if self.batch_size is not None:
            check_int(self.batch_size, "batch_size (or None for the whole data set)", minimum=1)
        if self.generator_gradient not in GRADIENTS:
            raise ValueError(f"generator_gradient must be one of {GRADIENTS}, got "
                             f"{self.generator_gradient!r}.")
        if not isinstance(self.conditional, (bool, np.bool_)):
            raise ValueError(f"conditional must be True or False, got {self.conditional!r}.")
        return p

    # -- fitting ----------------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Run the hybrid on ``X`` (n, p); ``y`` is ignored (scikit-learn convention)."""
        t0 = time.perf_counter()
        X = check_data(X)
        p = self._check_params()
        k = check_n_clusters(self.n_clusters, X)
        rng = check_random_state(self.random_state)
        n_init = p["n_init"] if isinstance(self.init, str) else 1
        best, inertias = None, []
        for start in range(n_init):
            res = self._fit_once(X, k, p, rng)
            inertias.append(res["inertia_"])
            if best is None or res["inertia_"] < best["inertia_"]:
                best, best_start = res, start
        self.__dict__.update(best, best_start_=best_start, start_inertias_=np.asarray(inertias),
                             _models={}, n_features_in_=X.shape[1])
        self.fit_time_ = time.perf_counter() - t0
        return self

    def _fit_once(self, X: np.ndarray, k: int, p: dict, rng) -> dict:
        """One start: initial centres and network weights drawn from ``rng``; returns the attributes."""
        C = self._initial_centers(X, k, rng)
        n, d = X.shape
        bs = n if self.batch_size is None else min(int(self.batch_size), n)
        seeds = rng.randint(0, 2**31 - 1, size=2)
        g0 = _torch_like_weights([d, p["hidden"], p["hidden"] // 2, k], np.random.default_rng(seeds[0]), 0.1)
        nd = 1 + (d if self.conditional else 0)
        d0 = _torch_like_weights([nd, p["d_hidden"], 1], np.random.default_rng(seeds[1]))
        eng = _engine(d, k, p["hidden"], p["d_hidden"], bool(self.conditional),
                      self.generator_gradient == "straight-through")
        eng.reset(g0, d0, p["lr_g"], p["lr_d"])

        mean, std = X.mean(axis=0), X.std(axis=0)
        Xs = ops.convert_to_tensor(((X - mean) / np.where(std > 0, std, 1.0)).astype("float32"))
        bs_t = ops.convert_to_tensor(bs, dtype="int32")
        identity = ops.convert_to_tensor(np.arange(n, dtype="int32"))
        hist = {"g_loss": [], "d_loss": [], "n_ties": [], "shift": []}
        init_centers, calm, used_by_g, epoch = C.copy(), 0, 0, 0
        for epoch in range(1, p["max_iter"] + 1):
            teach, ties = teacher_labels(X, C, tie_tol=p["tie_tol"])
            perm = identity if bs == n else ops.convert_to_tensor(rng.permutation(n).astype("int32"))
            used, gen, gl, dl = eng.epoch(Xs, ops.convert_to_tensor(teach.astype("int32")),
                                          ops.convert_to_tensor(ties), perm, bs_t)
            order = ops.convert_to_numpy(perm)
            labels = np.empty(n, dtype=np.intp)
            labels[order] = ops.convert_to_numpy(used)
            gen_labels = np.empty(n, dtype=np.intp)
            gen_labels[order] = ops.convert_to_numpy(gen)
            new_C = recompute_centers(X, labels, C)
            shift = float(np.abs(new_C - C).max())
            used_by_g += int(ties.sum())
            for key, v in (("g_loss", float(gl)), ("d_loss", float(dl)), ("n_ties", int(ties.sum())),
                           ("shift", shift)):
                hist[key].append(v)
            C = new_C
            calm = calm + 1 if shift <= p["tol"] else 0
            if calm >= p["patience"]:
                break
        agree = float(np.mean(gen_labels[~ties] == teach[~ties])) if (~ties).any() else float("nan")
        return {"converged_": calm >= p["patience"], "labels_": labels, "cluster_centers_": C,
                "inertia_": float(((X - C[labels]) ** 2).sum()), "n_iter_": epoch,
                "init_centers_": init_centers, "n_ties_": int(ties.sum()),
                "generator_used_": used_by_g / (n * epoch), "generator_agreement_": agree,
                "history_": {key: np.asarray(v) for key, v in hist.items()},
                "generator_weights_": [np.array(w) for w in eng.G.get_weights()],
                "init_generator_weights_": g0,
                "discriminator_weights_": [np.array(w) for w in eng.D.get_weights()],
                "_scale": (mean, np.where(std > 0, std, 1.0))}

    def _model(self, which: str) -> keras.Model:
        check_fitted(self)
        if which not in self._models:          # built on first use: a fit does not pay for it
            if which in ("generator", "initial generator"):
                w = self.generator_weights_ if which == "generator" else self.init_generator_weights_
                m = build_generator(w[0].shape[0], w[-1].shape[0], w[0].shape[1], seed=None)
            else:
                w = self.discriminator_weights_
                m = build_discriminator(w[0].shape[0], w[0].shape[1], seed=None)
            m.set_weights(w)
            self._models[which] = m
        return self._models[which]

    @property
    def generator_(self) -> keras.Model:
        """The trained generator as a Keras model (input: standardised points, output: K logits)."""
        return self._model("generator")

    @property
    def discriminator_(self) -> keras.Model:
        """The trained discriminator as a Keras model (input: a label, output: the logit z)."""
        return self._model("discriminator")

    def generator_logits(self, X, *, initial: bool = False) -> np.ndarray:
        """The generator's K logits for every row of ``X``: the trained generator, or with
        ``initial=True`` the same network before any training step (its random initial weights)."""
        if not isinstance(initial, (bool, np.bool_)):
            raise ValueError(f"initial must be True or False, got {initial!r}.")
        check_fitted(self)
        X = check_data(X, n_features=self.n_features_in_)
        Xs = ((X - self._scale[0]) / self._scale[1]).astype("float32")
        model = self._model("initial generator" if initial else "generator")
        return np.asarray(ops.convert_to_numpy(model(Xs, training=False)), dtype=np.float64)

    def generator_labels(self, X, *, initial: bool = False) -> np.ndarray:
        """The generator's own label (argmax of its logits) for every row of ``X``; ``initial=True``:
        the untrained generator's."""
        return self.generator_logits(X, initial=initial).argmax(axis=1)

    def predict(self, X) -> np.ndarray:
        """The hybrid rule: the nearest learned centre, the generator's label where it is a tie."""
        check_fitted(self)
        X = check_data(X, n_features=self.n_features_in_)
        labels, ties = teacher_labels(X, self.cluster_centers_, tie_tol=self.tie_tol)
        if ties.any():
            labels[ties] = self.generator_labels(X[ties])
        return labels
