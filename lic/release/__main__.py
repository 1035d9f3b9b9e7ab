"""``python -m lic.release``: :func:`lic.release.campaign.main`; ``intprior``: :func:`lic.release.intprior.main`;
``fpga``: :func:`lic.release.fpga.main`."""

import sys

if sys.argv[1:2] == ["intprior"]:
    from lic.release.intprior import main

    sys.exit(main(sys.argv[2:]))
if sys.argv[1:2] == ["fpga"]:
    from lic.release.fpga import main

    sys.exit(main(sys.argv[2:]))
from lic.release.campaign import main

sys.exit(main())
