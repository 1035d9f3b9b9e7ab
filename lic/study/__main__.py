"""``python -m lic.study``: :func:`lic.study.runner.main`."""

import sys

from lic.study.runner import main

sys.exit(main())
