"""``python -m dcgan_lib``: see :mod:`dcgan_lib.cli`."""

import sys

from dcgan_lib.cli import main

sys.exit(main())
