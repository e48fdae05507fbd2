"""The open moons task refuses a renamed copy of lecture 05's targets, and only that (issue 15)."""
import pytest
from keras import ops

from course_utils.instructor.inspection import lecture_copy


def ncut(P, graph, balance=0.4):            # lecture 05's cell with the grader's graph, rescaled
    vol = ops.sum(P * graph.degree[:, None], axis=0)
    assoc = ops.sum(P * ops.matmul(graph.W, P), axis=0)
    s = ops.mean(P, axis=0)
    kl = ops.log(ops.cast(ops.shape(P)[1], "float32")) + ops.sum(s * ops.log(ops.maximum(s, 1e-7)))
    return 3.0 * (ops.sum((vol - assoc) / ops.maximum(vol, 1e-7)) + balance * kl) - 1.0


def iic(P, graph):                          # IIC with entropy weight 1.5 (the lecture's weight is a parameter)
    J = ops.matmul(ops.transpose(P), ops.matmul(graph.W, P)) / ops.sum(graph.degree)
    J = ops.maximum((J + ops.transpose(J)) / 2, 1e-7)
    rho = ops.sum(J, axis=1)
    return -ops.sum(J * (ops.log(J) - 1.5 * (ops.log(rho[:, None]) + ops.log(rho[None, :]))))


def spectral(Y, graph, jitter=1e-3):     # lecture 05's spectral cell with another jitter
    d = graph.degree
    vol = ops.sum(d)
    G = ops.matmul(ops.transpose(Y), Y * d[:, None]) / vol
    G = G + jitter * (ops.trace(G) / ops.shape(Y)[1] + 1e-7) * ops.eye(ops.shape(Y)[1])
    Z = ops.transpose(ops.solve_triangular(ops.cholesky(G), ops.transpose(Y), lower=True))
    return (ops.sum(d[:, None] * Z * Z) - ops.sum(Z * ops.matmul(graph.W, Z))) / vol


def ratiocut(Y, graph):                     # the master's answer: another normalisation, not a copy
    n = ops.cast(ops.shape(Y)[0], "float32")
    G = ops.matmul(ops.transpose(Y), Y) / n + 1e-4 * ops.eye(graph.n_clusters)
    Z = ops.transpose(ops.solve_triangular(ops.cholesky(G), ops.transpose(Y), lower=True))
    return (ops.sum(graph.degree[:, None] * Z * Z) - ops.sum(Z * ops.matmul(graph.W, Z))) / n


def ncut_confident(P, graph):               # a term of its own: confident rows
    return ncut(P, graph) + 0.1 * ops.mean(ops.sum(P * ops.log(ops.maximum(P, 1e-7)), axis=1))


def test_copies_are_named_and_new_targets_are_not():
    assert lecture_copy(ncut) == "ncut"
    assert lecture_copy(iic) == "iic"
    assert lecture_copy(lambda Y, graph: ops.log(spectral(Y, graph)), output="embedding") == "spectral"
    assert lecture_copy(ratiocut, output="embedding") is None
    assert lecture_copy(ncut_confident) is None
    assert lecture_copy(lambda P, graph: ops.sum(P * P)) is None
    assert lecture_copy(lambda P, graph: 1 / 0) is None        # broken: scored elsewhere, not called a copy


def test_bad_arguments():
    with pytest.raises(ValueError, match="output"):
        lecture_copy(ncut, output="labels")
    with pytest.raises(ValueError, match="trials"):
        lecture_copy(ncut, trials=4)
