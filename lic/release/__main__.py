"""``python -m lic.release``: :func:`lic.release.campaign.main`; ``intprior``: :func:`lic.release.intprior.main`."""

import sys

if sys.argv[1:2] == ["intprior"]:
    from lic.release.intprior import main

    sys.exit(main(sys.argv[2:]))
from lic.release.campaign import main

sys.exit(main())
