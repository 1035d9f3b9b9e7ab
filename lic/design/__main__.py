"""``python -m lic.design`` (see :mod:`lic.design.cli`)."""

import sys

from .cli import main

sys.exit(main())
