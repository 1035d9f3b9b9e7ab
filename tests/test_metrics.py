import math

import numpy as np
import pytest
import torch

from lic.eval.metrics import bd_psnr, bd_rate, msssim, psnr


def test_psnr_known_value():
    x = torch.zeros(3, 8, 8)
    assert psnr(x, x + 0.1) == pytest.approx(20.0)
    assert psnr(x, x) == math.inf


def test_msssim_identity():
    x = torch.rand(3, 192, 192)
    assert msssim(x, x) == pytest.approx(1.0, abs=1e-6)


def test_bd_rate_known_answer():
    r = np.array([0.25, 0.5, 0.75, 1.0])
    d = np.array([28.0, 31.0, 33.0, 34.5])
    assert bd_rate(r, d, r * 1.1, d) == pytest.approx(10.0, abs=1e-6)
    assert bd_rate(r, d, r * 0.8, d) == pytest.approx(-20.0, abs=1e-6)
    assert bd_psnr(r, d, r, d + 0.5) == pytest.approx(0.5, abs=1e-6)


def test_bd_rate_undefined_cases():
    r = np.array([0.25, 0.5, 0.75, 1.0])
    d = np.array([28.0, 31.0, 33.0, 34.5])
    assert math.isnan(bd_rate(r, d, r[:1], d[:1]))  # one point
    assert math.isnan(bd_rate(r, d, r, d + 20))  # no overlap


def test_quality_at_rate_interpolates_in_log_rate_and_never_extrapolates():
    import math

    import numpy as np

    from lic.eval.metrics import quality_at_rate

    # unsorted input; log-linear: halfway in log between 0.25 and 1.0 is 0.5
    q = quality_at_rate([1.0, 0.25, 2.0], [34.0, 28.0, 36.0], [0.5, 0.25, 2.0, 0.1, 3.0])
    assert np.allclose(q[:3], [31.0, 28.0, 36.0])
    assert math.isnan(q[3]) and math.isnan(q[4])
