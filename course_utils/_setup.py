"""``setup()``: seeds, determinism and plot defaults — the first code cell of every notebook."""
from __future__ import annotations

import platform
import random

import numpy as np

from .validation import check_int

#: Plot defaults chosen for a projector: large fonts, thick lines, a colour-blind-safe cycle.
PLOT_STYLE = {
    "figure.figsize": (7.0, 5.0),
    "figure.dpi": 90,
    "savefig.dpi": 110,
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "legend.fontsize": 12,
    "lines.linewidth": 2.2,
    "lines.markersize": 6,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": "viridis",
}


def setup(seed: int = 0, *, quiet: bool = False) -> dict[str, str]:
    """Seed Python, NumPy and Keras/TensorFlow, turn on op determinism, set plot defaults.

    Parameters
    ----------
    seed : int
        The seed for :mod:`random`, NumPy's global generator and Keras/TensorFlow.
        Same seed, same numbers: rerunning a notebook reproduces its figures.
    quiet : bool
        If False (default) print the library versions in one line, so a stored
        notebook shows what produced its outputs.

    Returns
    -------
    dict
        The versions of Python, NumPy, scikit-learn, Keras, the Keras backend and matplotlib.
    """
    seed = check_int(seed, "seed", minimum=0)
    random.seed(seed)
    np.random.seed(seed)

    import keras
    import matplotlib as mpl
    import sklearn

    keras.utils.set_random_seed(seed)  # seeds random, NumPy and the backend together
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    mpl.rcParams.update(PLOT_STYLE)

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "keras": keras.__version__,
        "backend": backend,
        "matplotlib": mpl.__version__,
    }
    if not quiet:
        print(f"seed={seed} | " + " | ".join(f"{k} {v}" for k, v in versions.items()))
    return versions
