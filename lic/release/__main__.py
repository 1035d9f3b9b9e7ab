"""``python -m lic.release``: :func:`lic.release.campaign.main`."""

import sys

from lic.release.campaign import main

sys.exit(main())
