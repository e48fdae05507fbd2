"""The compiled epoch of :class:`course_utils.estimators.gan_kmeans.GANKMeans` (private).

One ``tf.function`` per architecture, reused across fits (weights and optimiser state are reset at
every fit), so a fit costs milliseconds instead of a graph trace each time.
"""
from __future__ import annotations

import keras
from keras import ops

from . import gan_networks as _gk  # the pieces (networks, losses)


# ---------------------------------------------------------------------------------------------
# the compiled epoch (one graph per architecture, reused across fits)
# ---------------------------------------------------------------------------------------------
class _Engine:
    """Models, optimisers and a ``tf.function`` epoch; weights are reset at every fit."""

    def __init__(self, d: int, k: int, hidden: int, d_hidden: int, conditional: bool,
                 straight_through: bool):
        import tensorflow as tf

        self.tf, self.k, self.conditional, self.st = tf, k, conditional, straight_through
        self.G = _gk.build_generator(d, k, hidden, seed=None)
        self.D = _gk.build_discriminator(1 + (d if conditional else 0), d_hidden, seed=None)
        self.opt_g = keras.optimizers.Adam(1e-4)
        self.opt_d = keras.optimizers.Adam(1e-4)
        self.opt_g.build(self.G.trainable_variables)
        self.opt_d.build(self.D.trainable_variables)
        self.epoch = tf.function(self._epoch, reduce_retracing=True)

    def reset(self, g_weights, d_weights, lr_g: float, lr_d: float) -> None:
        self.G.set_weights(g_weights)
        self.D.set_weights(d_weights)
        for opt, lr in ((self.opt_g, lr_g), (self.opt_d, lr_d)):
            for v in opt.variables:
                v.assign(ops.zeros(v.shape, dtype=v.dtype))
            opt.learning_rate.assign(lr)

    def _d_input(self, label, xb):
        lab = ops.expand_dims(label, -1)
        return ops.concatenate([lab, xb], axis=-1) if self.conditional else lab

    def _step(self, xb, tb, tieb):
        tf = self.tf
        with tf.GradientTape() as tape:
            logits = self.G(xb, training=True)
            hard = ops.cast(ops.argmax(logits, axis=-1), "int32")
            label_g = ops.cast(hard, "float32")
            if self.st:      # forward: the integer label; backward: the soft label's gradient
                soft = ops.sum(ops.softmax(logits) * ops.arange(self.k, dtype="float32"), axis=-1)
                label_g = label_g + soft - ops.stop_gradient(soft)
            g_loss = _gk.generator_loss(self.D(self._d_input(label_g, xb), training=True))
        if self.st:          # the seed: argmax has no gradient, G never changes
            grads = tape.gradient(g_loss, self.G.trainable_variables)
            self.opt_g.apply(grads, self.G.trainable_variables)
        used = ops.where(tieb, hard, tb)
        fake = ops.stop_gradient(ops.cast(hard, "float32"))
        with tf.GradientTape() as tape:
            z_real = self.D(self._d_input(ops.cast(used, "float32"), xb), training=True)
            z_fake = self.D(self._d_input(fake, xb), training=True)
            d_loss = _gk.discriminator_loss(z_real, z_fake)
        grads = tape.gradient(d_loss, self.D.trainable_variables)
        self.opt_d.apply(grads, self.D.trainable_variables)
        return used, hard, g_loss, d_loss

    def _epoch(self, x, teacher, ties, perm, batch_size):
        tf = self.tf
        n = tf.shape(x)[0]
        n_batches = (n + batch_size - 1) // batch_size
        used_ta = tf.TensorArray(tf.int32, size=n_batches, infer_shape=False)
        gen_ta = tf.TensorArray(tf.int32, size=n_batches, infer_shape=False)
        g_sum = tf.constant(0.0)
        d_sum = tf.constant(0.0)
        for i in tf.range(n_batches):
            idx = perm[i * batch_size:tf.minimum((i + 1) * batch_size, n)]
            used, hard, gl, dl = self._step(tf.gather(x, idx), tf.gather(teacher, idx),
                                            tf.gather(ties, idx))
            used_ta = used_ta.write(i, used)
            gen_ta = gen_ta.write(i, hard)
            g_sum += gl
            d_sum += dl
        nb = tf.cast(n_batches, tf.float32)
        return used_ta.concat(), gen_ta.concat(), g_sum / nb, d_sum / nb


_ENGINES: dict[tuple, _Engine] = {}


def _engine(*key) -> _Engine:
    if key not in _ENGINES:
        _ENGINES[key] = _Engine(*key)
    return _ENGINES[key]
