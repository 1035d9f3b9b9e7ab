import pytest
import torch

from lic.errors import BitstreamError, DataError
from lic.eval import decode_image, encode_image, evaluate_codec
from lic.models import build_model


def test_round_trip_bytes_to_image(tiny_model):
    x = torch.rand(3, 70, 90)  # not a multiple of 64: padded inside, cropped back
    data = encode_image(tiny_model, x)
    y = decode_image(tiny_model, data)
    assert y.shape == x.shape
    with torch.no_grad():
        from lic.data import crop_to, pad_to_multiple

        xp, hw = pad_to_multiple(x.unsqueeze(0))
        ref = crop_to(tiny_model(xp)["x_hat"].clamp(0, 1)[0], hw)
    assert (y - ref).abs().max() < 1e-3


def test_bpp_counts_file_bytes(tiny_model):
    x = torch.rand(3, 64, 128)
    res = evaluate_codec(tiny_model, [("r", x)], progress=False)
    row = res["per_image"].iloc[0]
    assert row.bytes == len(encode_image(tiny_model, x))
    assert row.bpp == pytest.approx(8 * row.bytes / (64 * 128))


@pytest.mark.parametrize(
    "mutate, msg",
    [
        (lambda d: d[:-3], "truncated"),
        (lambda d: d[:8], "truncated"),
        (lambda d: b"XXXX" + d[4:], "bad magic"),
        (lambda d: d[:30] + bytes([d[30] ^ 0x40]) + d[31:], "CRC"),
        (lambda d: d + b"\0", "truncated or padded"),
    ],
)
def test_corrupt_bitstreams_raise(tiny_model, mutate, msg):
    data = encode_image(tiny_model, torch.rand(3, 64, 64))
    with pytest.raises(BitstreamError, match=msg):
        decode_image(tiny_model, mutate(data))


def test_other_model_is_refused(tiny_model):
    torch.manual_seed(1)
    other = build_model(N=8, M=12).eval()
    other.update(force=True)
    with pytest.raises(BitstreamError, match="another model"):
        decode_image(other, encode_image(tiny_model, torch.rand(3, 64, 64)))


@pytest.mark.parametrize("bad", [torch.rand(1, 64, 64), torch.rand(3, 32, 64), torch.rand(3, 64, 64) * 2])
def test_bad_images_raise(tiny_model, bad):
    with pytest.raises(DataError):
        encode_image(tiny_model, bad)
