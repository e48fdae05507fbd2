"""Test configuration: quiet deterministic TensorFlow before any kernel or import starts."""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("COURSE_UTILS_QUIET", "1")   # no progress bars in kernels nbval starts

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    """Free matplotlib figures after each test (no memory growth over the suite)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
