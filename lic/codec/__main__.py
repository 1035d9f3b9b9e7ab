"""``python -m lic.codec``: :func:`lic.codec.api.main`."""

import sys

from lic.codec.api import main

sys.exit(main())
