"""Test-wide settings, applied before any notebook kernel starts (kernels inherit them)."""

import os

# Every chapter runs its short CPU variant under test, and never downloads MNIST.
os.environ.setdefault("DCGAN_SHORT_RUN", "1")
