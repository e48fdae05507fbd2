import random

import matplotlib as mpl
import numpy as np
import pytest

import course_utils
from course_utils import data, plots


def test_setup_seeds_everything_and_reports_versions(capsys):
    v = course_utils.setup(3)
    line = capsys.readouterr().out
    assert "seed=3" in line and v["numpy"] in line and v["backend"] == "tensorflow"
    a = (random.random(), np.random.rand())
    import keras
    k1 = keras.random.uniform((3,)).numpy()
    course_utils.setup(3, quiet=True)
    assert (random.random(), np.random.rand()) == a
    assert np.array_equal(keras.random.uniform((3,)).numpy(), k1)
    assert mpl.rcParams["font.size"] >= 12  # readable on a projector
    with pytest.raises(ValueError, match="seed"):
        course_utils.setup(-1)


def test_scatter_draws_one_collection_per_cluster_plus_centres():
    X, y, c = data.blobs()
    ax = plots.scatter_clusters(X, y, centers=c + 0.1, true_centers=c)
    assert len(ax.collections) == 3 + 2
    learned, true = ax.collections[3], ax.collections[4]
    assert np.allclose(learned.get_offsets(), c + 0.1) and np.allclose(true.get_offsets(), c)
    assert true.get_zorder() > learned.get_zorder()          # true centres are not hidden under learned ones
    assert ax.get_xlabel() and ax.get_ylabel()
    legend = ax.get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1  # beside the data


def test_membership_colors_tint_one_palette_colour_never_mix_two():
    from matplotlib.colors import to_rgb

    blue, orange, white = np.array(to_rgb("#0072B2")), np.array(to_rgb("#E69F00")), np.ones(3)  # Okabe-Ito 1, 2
    P = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.25, 0.75]])
    got = plots.membership_colors(P)
    # sure: the cluster's colour; p_max = 0.75 of 2: doubt 0.5, 42.5 % white; a tie: 85 % white
    assert np.allclose(got, [blue, orange, 0.15 * blue + 0.85 * white, 0.575 * orange + 0.425 * white])
    P3 = np.array([[0.2, 0.5, 0.3]])                       # 3 clusters: doubt 1 - (0.5 - 1/3) / (2/3) = 0.75
    assert np.allclose(plots.membership_colors(P3), [(1 - 0.6375) * orange + 0.6375 * white])
    with pytest.raises(ValueError, match="colours"):
        plots.membership_colors(np.full((2, len(plots.PALETTE) + 1), 1 / (len(plots.PALETTE) + 1)))


def test_match_columns_gives_the_same_group_the_same_column():
    ref = np.repeat([0, 1, 2], 4)
    P = np.eye(3)[np.repeat([2, 0, 1], 4)]            # the same groups, numbered differently
    assert np.array_equal(plots.match_columns(P, ref).argmax(1), ref)
    soft = 0.7 * P + 0.1                              # rows still sum to 1
    assert np.allclose(plots.match_columns(soft, ref), 0.7 * np.eye(3)[ref] + 0.1)


def test_loss_and_grid():
    ax = plots.plot_loss({"loss": [3.0, 2.0, 1.0]})
    assert np.allclose(ax.lines[0].get_ydata(), [3, 2, 1])
    ax = plots.plot_loss([3.0, 2.0], every=10, xlabel="step")
    assert np.allclose(ax.lines[0].get_xdata(), [10, 20]) and ax.get_xlabel() == "step"
    with pytest.raises(ValueError, match="every"):
        plots.plot_loss([1.0], every=0)
    fig, axes = plots.panel_grid(5, ncols=3)
    assert len(axes) == 5 and sum(a.get_visible() for a in fig.axes) == 5
    with pytest.raises(ValueError, match="empty"):
        plots.plot_loss([])
    with pytest.raises(ValueError, match="2-D data"):
        plots.scatter_clusters(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="one row of memberships"):
        plots.plot_memberships(np.zeros((3, 2)), np.full((2, 2), 0.5))


def test_twelve_clusters_get_twelve_different_colours():
    # lecture 06 draws a 12-node Kohonen chain: no two clusters may share a colour
    X = np.column_stack([np.arange(24.0), np.zeros(24)])
    ax = plots.scatter_clusters(X, np.repeat(np.arange(12), 2))
    colours = {tuple(np.round(c.get_facecolor()[0], 4)) for c in ax.collections}
    assert len(colours) == 12
