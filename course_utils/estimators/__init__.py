"""Lectures 06–08: scikit-learn style estimators (``fit``/``predict``).

``kernels`` and ``kohonen`` (dynamic kernels, Kohonen networks), ``stability`` (reproducible classes),
``kmeans`` (Lloyd, MacQueen and Hartigan-Wong as R computes them), ``gan_kmeans`` (GAN-assisted k-means).
"""
