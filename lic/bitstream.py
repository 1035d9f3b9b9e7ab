"""The compressed-file container: header, entropy-coded strings, CRC-32.

CompressAI's rANS decoder accepts any bytes and returns *some* latent, so a corrupt or
truncated file would decode to a silent garbage image. This container makes every such case
a :class:`~lic.errors.BitstreamError` before the decoder runs.

Layout (little endian)::

    magic  b"LICB" | version u8 | model fingerprint 8 B | H u16 | W u16 | zH u16 | zW u16
    n_strings u8 | n_strings x u32 lengths | payload | CRC-32 (u32) of all preceding bytes
"""

from __future__ import annotations

import hashlib
import struct
import zlib

import torch

from .errors import BitstreamError

__all__ = ["MAGIC", "pack", "unpack", "model_fingerprint"]

MAGIC = b"LICB"
VERSION = 1
_HEAD = struct.Struct("<4sB8sHHHHB")


def model_fingerprint(model: torch.nn.Module) -> bytes:
    """8 bytes identifying the weights that entropy-code a file.

    Cached on the model together with the storage address and in-place version counter of
    every tensor, so a copy or an update of the weights is never served a stale fingerprint.
    """
    sd = model.state_dict()
    stamp = tuple((k, v.data_ptr(), v._version) for k, v in sd.items())
    cached = getattr(model, "_lic_fingerprint", None)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    h = hashlib.sha256()
    for k, v in sorted(sd.items()):
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    fp = h.digest()[:8]
    object.__setattr__(model, "_lic_fingerprint", (stamp, fp))
    return fp


def pack(strings: list[bytes], image_hw: tuple[int, int], z_hw: tuple[int, int], fingerprint: bytes) -> bytes:
    """Serialise one image's entropy-coded strings (one string per latent)."""
    if max(image_hw) > 0xFFFF:
        raise BitstreamError(f"image {image_hw} too large for the container (max 65535 px a side)")
    head = _HEAD.pack(MAGIC, VERSION, fingerprint, *image_hw, *z_hw, len(strings))
    body = head + struct.pack(f"<{len(strings)}I", *map(len, strings)) + b"".join(strings)
    return body + struct.pack("<I", zlib.crc32(body))


def unpack(data: bytes, fingerprint: bytes | None = None) -> tuple[list[bytes], tuple[int, int], tuple[int, int]]:
    """Inverse of :func:`pack`; checks magic, version, model, lengths and CRC.

    Returns:
        ``(strings, (H, W), (zH, zW))``.

    Raises:
        BitstreamError: with the reason (not a LIC file, other model, truncated, corrupt).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise BitstreamError(f"bitstream must be bytes, got {type(data).__name__}")
    if len(data) < _HEAD.size + 4:
        raise BitstreamError(f"bitstream truncated: {len(data)} bytes is shorter than the header")
    magic, version, fp, h, w, zh, zw, n = _HEAD.unpack_from(data)
    if magic != MAGIC:
        raise BitstreamError("not a LIC bitstream (bad magic)")
    if version != VERSION:
        raise BitstreamError(f"unsupported bitstream version {version}")
    off = _HEAD.size + 4 * n
    if len(data) < off + 4:
        raise BitstreamError("bitstream truncated inside the header")
    lengths = struct.unpack_from(f"<{n}I", data, _HEAD.size)
    if len(data) != off + sum(lengths) + 4:
        raise BitstreamError(f"bitstream truncated or padded: {len(data)} bytes, header says {off + sum(lengths) + 4}")
    (crc,) = struct.unpack_from("<I", data, len(data) - 4)
    if zlib.crc32(data[:-4]) != crc:
        raise BitstreamError("bitstream corrupt: CRC-32 mismatch")
    if fingerprint is not None and fp != fingerprint:
        raise BitstreamError("bitstream was made by another model (fingerprint mismatch)")
    strings, pos = [], off
    for L in lengths:
        strings.append(bytes(data[pos : pos + L]))
        pos += L
    return strings, (h, w), (zh, zw)
