"""Companion package of the course *Clustering by target functions*.

Every notebook starts with ``course_utils.setup()``: it seeds every random number
generator the course touches, makes TensorFlow's kernels deterministic, and sets
plot defaults that read well on a projector.
"""
from __future__ import annotations

import os

# Quiet, deterministic TensorFlow: must be set before TensorFlow is imported.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from ._setup import setup  # noqa: E402

__version__ = "0.1.0"
__all__ = ["setup", "__version__"]
