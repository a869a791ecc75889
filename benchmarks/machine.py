"""The machine a benchmark runs on: the versions and hardware its report records."""

from __future__ import annotations

from dcgan_lib.book.assets import environment_record


def environment() -> dict[str, str | int]:
    """The versions and the machine of a measurement (the record every shipped asset keeps)."""
    return environment_record()
