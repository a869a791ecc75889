"""The exceptions dcgan_lib raises for problems a user can fix."""

from __future__ import annotations


class DCGANError(Exception):
    """Base class: a problem with the user's input, explained in plain words."""


class DataError(DCGANError, ValueError):
    """A data file or array is missing, unreadable, or has the wrong shape or type."""


class ConfigError(DCGANError, ValueError):
    """A configuration value is out of range or inconsistent with the data."""


class TrainingDivergedError(DCGANError, RuntimeError):
    """A loss became NaN or infinite; training stopped and kept its last good checkpoint."""
