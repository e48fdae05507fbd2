"""Figures the lectures draw again and again, sized for a projector.

Every function takes an optional ``ax`` and returns the matplotlib Axes (or the
Figure for grids), so a notebook can add a title or a line without fighting the helper.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb

from .validation import check_data, check_int, check_labels, check_proba

__all__ = ["scatter_clusters", "plot_loss", "membership_colors", "match_columns", "plot_memberships", "panel_grid"]

# Okabe–Ito: distinguishable for colour-blind viewers and on a washed-out projector.
PALETTE = np.array(["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                    "#D55E00", "#F0E442", "#000000", "#999999", "#882255", "#44AA99", "#332288"])


def _ax(ax):
    return ax if ax is not None else plt.subplots(figsize=(6, 6))[1]


def scatter_clusters(X, labels=None, *, centers=None, true_centers=None, ax=None, title: str | None = None,
                     s: float = 18, legend: bool = True, center_size: float = 220):
    """Scatter 2-D points coloured by cluster, with learned centres (×) and true centres (★).

    Parameters
    ----------
    X : array-like of shape (N, 2)
        The points.
    labels : array-like of shape (N,), optional
        Cluster ids; all points black if omitted.
    centers : array-like of shape (K, 2), optional
        Learned centres, drawn as large white crosses.
    true_centers : array-like of shape (K, 2), optional
        The centres the data were drawn around: hollow vermilion stars drawn on top (a learned
        centre under a true one stays visible).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    title : str, optional
        The axes' title.
    s : float
        Marker size of the points.
    legend : bool
        A legend beside the axes (outside, so it covers no data).
    center_size : float
        Marker size of the learned centres (smaller in small panels, so they hide no points).

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
    if centers is not None:
        c = check_data(centers, name="centers", n_features=2)
        ax.scatter(c[:, 0], c[:, 1], marker="X", s=center_size, c="white", edgecolor="black", linewidth=1.5,
                   zorder=5, label="learned centre")
    if true_centers is not None:                  # drawn on top, hollow: a learned centre stays visible
        c = check_data(true_centers, name="true_centers", n_features=2)
        ax.scatter(c[:, 0], c[:, 1], marker="*", s=450, facecolors="none", edgecolors="#D55E00", linewidth=2,
                   zorder=6, label="true centre")
    ax.set_aspect("equal", adjustable="datalim")
    if not ax.get_xlabel():
        ax.set_xlabel("x₁")
    if not ax.get_ylabel():
        ax.set_ylabel("x₂")
    if title:
        ax.set_title(title)
    if legend and (labels is not None or centers is not None or true_centers is not None):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9, fontsize=10)   # beside the data
    return ax


def plot_loss(history, *, ax=None, title: str = "Target function during training", log: bool = False,
              label: str | None = None, every: int = 1, xlabel: str = "epoch"):
    """Plot a loss curve from a Keras ``History``, a dict with ``"loss"``, or a sequence of numbers.

    Parameters
    ----------
    history : keras.callbacks.History, dict or sequence of float
        The loss values, one per recorded step.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    title : str
        The axes' title.
    log : bool
        A logarithmic loss axis (symmetric-log when a value is <= 0).
    label : str, optional
        The curve's name in a legend.
    every : int
        How many steps each recorded value stands for (the x-axis counts steps), e.g. 10 when
        every Keras epoch ran the full batch 10 times.
    xlabel : str
        The x-axis label.

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
    """Map soft memberships (N, K) to colours: hue = the most probable cluster, paleness = doubt.

    A point sure of cluster k gets ``PALETTE[k]``; an unsure one a paler tint of the same colour,
    down to near white at equal memberships (the tint is ``1 − (p_max − 1/K) / (1 − 1/K)``).
    Hues are never mixed: a blend of two colour-blind-safe colours is not colour-blind-safe and
    reads as a cluster of its own. Column k always gets colour k: use :func:`match_columns` first
    to give the same cluster the same colour in every panel.

    Parameters
    ----------
    P : array-like of shape (N, K)
        Soft memberships (rows on the simplex), K at most the palette's size.

    Returns
    -------
    ndarray of shape (N, 3)
        RGB colours in [0, 1].
    """
    P = check_proba(P)
    k = P.shape[1]
    if k > len(PALETTE):
        raise ValueError(f"membership_colors has {len(PALETTE)} colours; P has {k} columns.")
    rgb = np.array([to_rgb(c) for c in PALETTE[:k]])
    top = np.clip(P.max(axis=1), 1.0 / k, 1.0)
    doubt = 1.0 - (top - 1.0 / k) / (1.0 - 1.0 / k) if k > 1 else np.zeros(len(P))
    pale = (0.85 * doubt)[:, None]                          # at most 85 % white: the hue stays visible
    return np.clip(rgb[P.argmax(axis=1)] * (1.0 - pale) + pale, 0.0, 1.0)


def match_columns(P, reference) -> np.ndarray:
    """Reorder the columns of memberships ``P`` (N, K) so that cluster k overlaps ``reference == k`` most.

    Cluster numbers of a trained network are arbitrary (another seed or ``A`` may call the same
    blob 0 or 2); matching every panel to one reference labelling (Hungarian assignment on the
    overlap counts) keeps each blob's colour the same across panels. For display only.

    Parameters
    ----------
    P : array-like of shape (N, K)
        Soft memberships.
    reference : array-like of shape (N,)
        The labelling to match (e.g. the true blobs, or another panel's argmax).

    Returns
    -------
    ndarray of shape (N, K)
        ``P`` with its columns reordered.
    """
    from scipy.optimize import linear_sum_assignment

    P = check_proba(P)
    ref = check_labels(reference, P.shape[0])
    k = P.shape[1]
    overlap = np.zeros((k, max(k, int(ref.max()) + 1)))
    np.add.at(overlap, (P.argmax(axis=1), ref), 1.0)     # overlap[i, j]: points of column i with ref j
    rows, cols = linear_sum_assignment(-overlap)
    order = rows[np.argsort(cols)]
    return P[:, order]


def plot_memberships(X, P, *, ax=None, title: str | None = None, s: float = 18, reference=None,
                     key: bool = True):
    """Scatter 2-D points coloured by their memberships (see :func:`membership_colors`).

    Parameters
    ----------
    X : array-like of shape (N, 2)
        The points.
    P : array-like of shape (N, K)
        Their soft memberships.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    title : str, optional
        The axes' title.
    s : float
        Marker size of the points.
    reference : array-like of shape (N,), optional
        Reorder the columns first with :func:`match_columns`, so that the same group of points
        keeps the same colour in every panel.
    key : bool
        Draw a legend: one colour per cluster, and what a pale point means.

    Returns
    -------
    matplotlib.axes.Axes
    """
    X = check_data(X, n_features=2)
    rgb = membership_colors(P if reference is None else match_columns(P, reference))
    if rgb.shape[0] != X.shape[0]:
        raise ValueError(f"P has {rgb.shape[0]} rows but X has {X.shape[0]}; give one row of memberships per point.")
    ax = _ax(ax)
    ax.scatter(X[:, 0], X[:, 1], c=rgb, s=s)
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    if key:
        from matplotlib.lines import Line2D

        k = np.shape(P)[1]
        dot = dict(marker="o", ls="", ms=7)
        handles = [Line2D([], [], color=PALETTE[j], label=f"cluster {j}", **dot) for j in range(k)]
        handles.append(Line2D([], [], color=membership_colors(np.full((1, k), 1.0 / k))[0], mec="#999999",
                              label="pale: unsure", **dot))
        ax.legend(handles=handles, fontsize=9, loc="best", framealpha=0.85)
    return ax


def panel_grid(n_panels: int, *, ncols: int = 3, size: float = 4.0, titles: Sequence[str] | None = None):
    """A figure with ``n_panels`` square axes in rows of ``ncols`` (unused cells hidden).

    Parameters
    ----------
    n_panels : int
        How many axes.
    ncols : int
        Axes per row.
    size : float
        Width and height of each panel, in inches.
    titles : sequence of str, optional
        One title per panel.

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
