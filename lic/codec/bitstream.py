"""The compressed-file container: header, entropy-coded strings, CRC-32.

CompressAI's rANS decoder accepts any bytes and returns *some* latent, so a corrupt or
truncated file would decode to a silent garbage image. This container makes every such case
a :class:`~lic.errors.BitstreamError` before the decoder runs.

Layout (little endian)::

    magic  b"LICB" | version u8 | model fingerprint 8 B | H u16 | W u16 | zH u16 | zW u16
    n_strings u8 | n_strings x u32 lengths | [version 2: name length u8 | model name UTF-8]
    payload | CRC-32 (u32) of all preceding bytes

Version 1 (no model name) is what the study measures: its bpp counts only what decoding needs.
Version 2 adds the model's name so that ``python -m lic.codec decompress`` finds the model itself.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass

import torch

from lic.errors import BitstreamError

__all__ = ["MAGIC", "Header", "pack", "unpack", "read_header", "model_fingerprint"]

MAGIC = b"LICB"
VERSION = 1
VERSION_NAMED = 2
_HEAD = struct.Struct("<4sB8sHHHHB")


@dataclass(frozen=True)
class Header:
    """What a container says about itself (no model needed to read it).

    Attributes:
        version: 1 (no name) or 2 (model name stored).
        fingerprint: 8 bytes identifying the weights that coded it.
        image_hw: ``(H, W)`` of the image before padding.
        z_hw: ``(zH, zW)`` of the hyper-latent.
        lengths: bytes of each entropy-coded string.
        model: the model's name (version 2) or ``None``.
        size: bytes of the whole container.
    """

    version: int
    fingerprint: bytes
    image_hw: tuple[int, int]
    z_hw: tuple[int, int]
    lengths: tuple[int, ...]
    model: str | None
    size: int


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


def pack(strings: list[bytes], image_hw: tuple[int, int], z_hw: tuple[int, int], fingerprint: bytes,
         model: str | None = None) -> bytes:
    """Serialise one image's entropy-coded strings (one string per latent).

    Args:
        model: the model's name to store (version 2, at most 255 UTF-8 bytes); ``None``: version 1.

    Raises:
        BitstreamError: image or hyper-latent over 65535 px a side, or a name over 255 bytes.
    """
    if max(*image_hw, *z_hw) > 0xFFFF:
        raise BitstreamError(f"image {tuple(image_hw)} too large for the container (max 65535 px a side)")
    head = _HEAD.pack(MAGIC, VERSION if model is None else VERSION_NAMED, fingerprint, *image_hw, *z_hw, len(strings))
    body = head + struct.pack(f"<{len(strings)}I", *map(len, strings))
    if model is not None:
        name = model.encode("utf-8")
        if len(name) > 0xFF:
            raise BitstreamError(f"model name {model[:40]!r}... longer than 255 bytes")
        body += bytes([len(name)]) + name
    body += b"".join(strings)
    return body + struct.pack("<I", zlib.crc32(body))


def _parse(data) -> tuple[Header, int]:
    """Header and payload offset of a container; checks everything but the CRC and the model."""
    if not isinstance(data, (bytes, bytearray)):
        raise BitstreamError(f"bitstream must be bytes, got {type(data).__name__}")
    if bytes(data[: len(MAGIC)]) != MAGIC[: len(data)]:
        raise BitstreamError("not a LIC bitstream (bad magic)")
    if len(data) < _HEAD.size + 4:
        raise BitstreamError(f"bitstream truncated: {len(data)} bytes is shorter than the header")
    magic, version, fp, h, w, zh, zw, n = _HEAD.unpack_from(data)
    if magic != MAGIC:
        raise BitstreamError("not a LIC bitstream (bad magic)")
    if version not in (VERSION, VERSION_NAMED):
        raise BitstreamError(f"unsupported bitstream version {version}")
    off = _HEAD.size + 4 * n
    if len(data) < off + 4 + (version == VERSION_NAMED):
        raise BitstreamError("bitstream truncated inside the header")
    lengths = struct.unpack_from(f"<{n}I", data, _HEAD.size)
    name = None
    if version == VERSION_NAMED:
        k = data[off]
        if len(data) < off + 1 + k + 4:
            raise BitstreamError("bitstream truncated inside the header")
        try:
            name = bytes(data[off + 1: off + 1 + k]).decode("utf-8")
        except UnicodeDecodeError:
            raise BitstreamError("bitstream corrupt: model name is not UTF-8") from None
        off += 1 + k
    if len(data) != off + sum(lengths) + 4:
        raise BitstreamError(f"bitstream truncated or padded: {len(data)} bytes, header says {off + sum(lengths) + 4}")
    return Header(version, bytes(fp), (h, w), (zh, zw), tuple(lengths), name, len(data)), off


def _checked(data) -> tuple[Header, int]:
    head, off = _parse(data)
    (crc,) = struct.unpack_from("<I", data, len(data) - 4)
    if zlib.crc32(data[:-4]) != crc:
        raise BitstreamError("bitstream corrupt: CRC-32 mismatch")
    return head, off


def read_header(data: bytes) -> Header:
    """The container's header, CRC checked (no model needed).

    Raises:
        BitstreamError: not a LIC file, truncated or corrupt.
    """
    return _checked(data)[0]


def unpack(data: bytes, fingerprint: bytes | None = None) -> tuple[list[bytes], tuple[int, int], tuple[int, int]]:
    """Inverse of :func:`pack`; checks magic, version, model, lengths and CRC.

    Returns:
        ``(strings, (H, W), (zH, zW))``.

    Raises:
        BitstreamError: with the reason (not a LIC file, other model, truncated, corrupt).
    """
    head, pos = _checked(data)
    if fingerprint is not None and head.fingerprint != fingerprint:
        raise BitstreamError("bitstream was made by another model (fingerprint mismatch)")
    strings = []
    for L in head.lengths:
        strings.append(bytes(data[pos : pos + L]))
        pos += L
    return strings, head.image_hw, head.z_hw
