"""``python -m lic.hw.design`` (see :mod:`lic.hw.design.cli`)."""

import sys

from lic.hw.design.cli import main

sys.exit(main())
