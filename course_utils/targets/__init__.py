"""Lectures 01–05: target functions a network minimises, and everything that trains them.

``losses`` (centroid and proximity targets), ``graph_losses`` (normalised cut, spectral, IIC on a kNN
graph), ``losses_lecture`` (the lectures' literal formulas), ``models`` (centroid and assignment
networks, the sharp softmax), ``train`` (fast full-batch training), ``segments`` (over-segment, then
merge), ``clustering`` (``cluster()``: one call per named target), ``assignment`` (custom targets).
"""
