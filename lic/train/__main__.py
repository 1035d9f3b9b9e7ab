"""``python -m lic.train``: :func:`lic.train.loop.main`."""

import sys

from lic.train.loop import main

sys.exit(main())
