import math

import numpy as np
import pytest
import torch

from lic.metrics import bd_psnr, bd_rate, msssim, psnr


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
