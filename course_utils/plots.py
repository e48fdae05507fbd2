"""Figures the lectures draw again and again, sized for a projector.

Every function takes an optional ``ax`` and returns the matplotlib Axes (or the
Figure for grids), so a notebook can add a title or a line without fighting the helper.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from .validation import check_data, check_int, check_labels, check_proba

__all__ = ["scatter_clusters", "plot_loss", "membership_colors", "plot_memberships", "panel_grid"]

# Okabe–Ito, then Paul Tol's wine, teal and indigo: distinguishable for colour-blind viewers and on a
# washed-out projector; 12 colours, so a 12-node Kohonen chain needs no colour twice.
PALETTE = np.array(["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                    "#D55E00", "#F0E442", "#000000", "#999999", "#882255", "#44AA99", "#332288"])


def _ax(ax):
    return ax if ax is not None else plt.subplots(figsize=(6, 6))[1]


def scatter_clusters(X, labels=None, *, centers=None, true_centers=None, ax=None, title: str | None = None,
                     s: float = 18, legend: bool = True):
    """Scatter 2-D points coloured by cluster, with learned centres (×) and true centres (★).

    Parameters
    ----------
    X : array-like of shape (N, 2)
        The points.
    labels : array-like of shape (N,), optional
        Cluster ids; all points black if omitted.
    centers : array-like of shape (K, 2), optional
        Learned centres, drawn as large crosses.
    true_centers : array-like of shape (K, 2), optional
        The centres the data were drawn around, drawn as red stars.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new 6 × 6 figure).
    title : str, optional
        The axes' title.
    s : float
        Marker size of the points.
    legend : bool
        Show a legend of the clusters.

    Returns
    -------
    matplotlib.axes.Axes
    """
    X = check_data(X)
    if X.shape[1] != 2:
        raise ValueError(f"scatter_clusters draws 2-D data; X has {X.shape[1]} columns. "
                         f"Project it first (e.g. X[:, :2] or PCA).")
    ax = _ax(ax)
    if labels is None:
        ax.scatter(X[:, 0], X[:, 1], c="black", s=s)
    else:
        labels = check_labels(labels, X.shape[0])
        for i, k in enumerate(np.unique(labels)):
            m = labels == k
            ax.scatter(X[m, 0], X[m, 1], s=s, color=PALETTE[i % len(PALETTE)], label=f"cluster {k}")
    if true_centers is not None:
        c = check_data(true_centers, name="true_centers", n_features=2)
        ax.scatter(c[:, 0], c[:, 1], marker="*", s=400, c="red", edgecolor="black", zorder=5, label="true centre")
    if centers is not None:
        c = check_data(centers, name="centers", n_features=2)
        ax.scatter(c[:, 0], c[:, 1], marker="X", s=250, c="white", edgecolor="black", linewidth=2,
                   zorder=6, label="learned centre")
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    if legend and (labels is not None or centers is not None or true_centers is not None):
        ax.legend(loc="best", framealpha=0.8)
    return ax


def plot_loss(history, *, ax=None, title: str = "Target function during training", log: bool = False,
              label: str | None = None, every: int = 1, xlabel: str = "epoch"):
    """Plot a loss curve from a Keras ``History``, a dict with ``"loss"``, or a sequence of numbers.

    ``every``: how many steps each recorded value stands for (the x-axis counts steps), e.g. 10
    when every Keras epoch ran the full batch 10 times.

    Parameters
    ----------
    history : keras.callbacks.History, dict or sequence of float
        The recorded losses (a dict needs a ``"loss"`` entry).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new 6 × 6 figure).
    title : str
        The axes' title.
    log : bool
        Logarithmic y-axis.
    label : str, optional
        Legend entry of the curve.
    every : int
        How many steps each recorded value stands for (the x-axis counts steps), e.g. 10 when every
        Keras epoch ran the full batch 10 times.
    xlabel : str
        Label of the x-axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_int(every, "every", minimum=1)
    if hasattr(history, "history"):
        history = history.history
    values = history["loss"] if isinstance(history, dict) else history
    values = np.asarray(values, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("the loss history is empty: train for at least one epoch first.")
    ax = _ax(ax) if ax is not None else plt.subplots(figsize=(7, 4))[1]
    ax.plot(np.arange(1, values.size + 1) * every, values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("symlog" if np.any(values <= 0) else "log")
    ax.set_title(title)
    if label:
        ax.legend()
    return ax


def membership_colors(P) -> np.ndarray:
    """Map soft memberships (N, K≤3) to RGB colours: pure red/green/blue = certain, mixtures = unsure.

    With K = 2 the third channel is 0; a point with p = (0.5, 0.5) is olive, between red and green.

    Parameters
    ----------
    P : array-like of shape (N, K), K <= 3
        Soft memberships (rows on the simplex).

    Returns
    -------
    ndarray of shape (N, 3)
        RGB colours in [0, 1].
    """
    P = check_proba(P)
    if P.shape[1] > 3:
        raise ValueError(f"membership_colors shows at most 3 clusters as RGB; P has {P.shape[1]} columns.")
    rgb = np.zeros((P.shape[0], 3))
    rgb[:, :P.shape[1]] = np.clip(P, 0.0, 1.0)
    return rgb


def plot_memberships(X, P, *, ax=None, title: str | None = None, s: float = 18):
    """Scatter 2-D points coloured by their membership probabilities (see :func:`membership_colors`).

    Parameters
    ----------
    X : array-like of shape (N, 2)
        The points.
    P : array-like of shape (N, K), K <= 3
        Their soft memberships.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new 6 × 6 figure).
    title : str, optional
        The axes' title.
    s : float
        Marker size of the points.

    Returns
    -------
    matplotlib.axes.Axes
    """
    X = check_data(X, n_features=2)
    rgb = membership_colors(P)
    if rgb.shape[0] != X.shape[0]:
        raise ValueError(f"P has {rgb.shape[0]} rows but X has {X.shape[0]}; give one row of memberships per point.")
    ax = _ax(ax)
    ax.scatter(X[:, 0], X[:, 1], c=rgb, s=s)
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return ax


def panel_grid(n_panels: int, *, ncols: int = 3, size: float = 4.0, titles: Sequence[str] | None = None):
    """A figure with ``n_panels`` square axes in rows of ``ncols`` (unused cells hidden).

    Parameters
    ----------
    n_panels : int
        Number of axes needed.
    ncols : int
        Axes per row.
    size : float
        Width and height of one axes, in inches.
    titles : sequence of str, optional
        A title for each axes.

    Returns
    -------
    fig, axes : the Figure and a flat array of the first ``n_panels`` Axes.
    """
    check_int(n_panels, "n_panels", minimum=1)
    ncols = max(1, min(int(ncols), int(n_panels)))
    nrows = -(-int(n_panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    axes = axes.ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    if titles is not None:
        if len(titles) != n_panels:
            raise ValueError(f"got {len(titles)} titles for {n_panels} panels.")
        for ax, t in zip(axes, titles):
            ax.set_title(t)
    fig.tight_layout()
    return fig, axes[:n_panels]
