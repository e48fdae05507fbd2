"""scikit-learn's own estimator checks (``check_estimator``), run on every estimator of the course.

Each check is a test of its own. No check is marked as not applicable: every one passes. scikit-learn
itself skips ``check_array_api_input`` unless ``SCIPY_ARRAY_API=1`` is set (the estimators take NumPy
input only, which that check does not concern).
"""
from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from course_utils.estimators.gan_kmeans import GANKMeans
from course_utils.estimators.kmeans import HartiganWong, Lloyd, MacQueen
from course_utils.estimators.kohonen import DynamicKernels, KohonenNetwork

ESTIMATORS = [
    Lloyd(n_clusters=3, random_state=0),
    MacQueen(n_clusters=3, random_state=0),
    HartiganWong(n_clusters=3, random_state=0),
    DynamicKernels(n_clusters=3, random_state=0),
    KohonenNetwork(n_clusters=3, random_state=0),
    GANKMeans(n_clusters=3, random_state=0, max_iter=5),     # 5 epochs: the checks test the API, not the fit
]

#: checks that truly cannot apply, by estimator class name -> {check name: reason}. Empty: all apply.
NOT_APPLICABLE: dict[str, dict[str, str]] = {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: NOT_APPLICABLE.get(type(est).__name__, {}))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_every_estimator_of_the_package_is_checked():
    """A new estimator class in course_utils.estimators must be added above."""
    import importlib
    import inspect
    import pkgutil

    from sklearn.base import BaseEstimator

    import course_utils.estimators as pkg

    found = set()
    for info in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        found |= {c for _, c in inspect.getmembers(mod, inspect.isclass)
                  if issubclass(c, BaseEstimator) and not c.__name__.startswith("_")
                  and c.__module__.startswith("course_utils")}
    assert found == {type(e) for e in ESTIMATORS}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_predict_before_fit_is_not_fitted_error(estimator):
    import numpy as np
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="call fit"):
        estimator.predict(np.zeros((3, 2)))
