import pytest
import torch

from lic.codec.models import build_model
from lic.errors import BitstreamError, DataError
from lic.eval.rd import decode_image, encode_image, evaluate_codec


def test_round_trip_bytes_to_image(tiny_model):
    x = torch.rand(3, 70, 90)  # not a multiple of 64: padded inside, cropped back
    data = encode_image(tiny_model, x)
    y = decode_image(tiny_model, data)
    assert y.shape == x.shape
    with torch.no_grad():
        from lic.data.images import crop_to, pad_to_multiple

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


@pytest.mark.parametrize("bad", [torch.rand(1, 64, 64), torch.rand(3, 0, 64), torch.rand(3, 64, 64) * 2,
                                 torch.full((3, 8, 8), float("nan"))])
def test_bad_images_raise(tiny_model, bad):
    with pytest.raises(DataError):
        encode_image(tiny_model, bad)


@pytest.mark.parametrize("hw", [(1, 1), (32, 64), (37, 101)])
def test_images_under_64_px_are_padded_inside(tiny_model, hw):
    x = torch.rand(3, *hw)
    res = evaluate_codec(tiny_model, [("small", x)], progress=False)  # decode checked against the forward pass
    assert decode_image(tiny_model, encode_image(tiny_model, x)).shape == x.shape
    assert res["per_image"].iloc[0].bpp == pytest.approx(8 * res["per_image"].iloc[0].bytes / (hw[0] * hw[1]))


def test_named_container_header_and_crc(tiny_model):
    from lic.codec.bitstream import model_fingerprint, pack, read_header, unpack

    fp = model_fingerprint(tiny_model)
    plain = pack([b"ab", b"c"], (5, 7), (1, 1), fp)
    named = pack([b"ab", b"c"], (5, 7), (1, 1), fp, model="teacher-x")
    checked = pack([b"ab", b"c"], (5, 7), (1, 1), fp, model="teacher-x", check=0xDEADBEEF)
    assert len(named) == len(plain) + 1 + len("teacher-x") and len(checked) == len(named) + 4
    h = read_header(named)
    assert (h.version, h.model, h.image_hw, h.lengths, h.size, h.check) == (3, "teacher-x", (5, 7), (2, 1),
                                                                            len(named), None)
    assert read_header(plain).model is None and read_header(plain).version == 3
    assert (read_header(checked).model, read_header(checked).check) == ("teacher-x", 0xDEADBEEF)
    assert unpack(named, fp) == unpack(plain, fp) == unpack(checked, fp) == ([b"ab", b"c"], (5, 7), (1, 1))
    with pytest.raises(BitstreamError, match="CRC"):
        read_header(named[:20] + bytes([named[20] ^ 1]) + named[21:])
    with pytest.raises(BitstreamError, match="truncated"):
        read_header(named[:-6])
    with pytest.raises(BitstreamError, match="255 bytes"):
        pack([b"a"], (1, 1), (1, 1), fp, model="x" * 256)


def _legacy(version: int, strings: list[bytes], fp: bytes, name: str | None = None) -> bytes:
    """A container as versions 1 and 2 wrote it (no flags byte; version 2: name length + name)."""
    import struct
    import zlib

    body = struct.pack("<4sB8sHHHHB", b"LICB", version, fp, 5, 7, 1, 1, len(strings))
    body += struct.pack(f"<{len(strings)}I", *map(len, strings))
    if version == 2:
        body += bytes([len(name)]) + name.encode()
    body += b"".join(strings)
    return body + struct.pack("<I", zlib.crc32(body))


def test_files_of_versions_1_and_2_still_read(tiny_model):
    from lic.codec.bitstream import model_fingerprint, read_header, unpack

    fp = model_fingerprint(tiny_model)
    v1, v2 = _legacy(1, [b"ab", b"c"], fp), _legacy(2, [b"ab", b"c"], fp, "teacher-x")
    assert (read_header(v1).version, read_header(v1).model, read_header(v1).check) == (1, None, None)
    assert (read_header(v2).version, read_header(v2).model, read_header(v2).check) == (2, "teacher-x", None)
    assert unpack(v1, fp) == unpack(v2, fp) == ([b"ab", b"c"], (5, 7), (1, 1))
