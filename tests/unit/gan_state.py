"""Comparing everything a training run carries forward, for the resume tests."""

import numpy as np


def assert_same_training_state(one, other) -> None:
    """Both DCGANs hold bit-identical weights, averaged weights and optimizer states."""
    pairs = [
        (one.generator.weights, other.generator.weights),
        (one.discriminator.weights, other.discriminator.weights),
        (one.g_optimizer.variables, other.g_optimizer.variables),
        (one.d_optimizer.variables, other.d_optimizer.variables),
    ]
    if one.averaged_generator is not None or other.averaged_generator is not None:
        pairs.append((one.averaged_generator.weights, other.averaged_generator.weights))
    for mine, theirs in pairs:
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
