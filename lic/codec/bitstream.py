"""The compressed-file container: header, entropy-coded strings, CRC-32.

CompressAI's rANS decoder accepts any bytes and returns *some* latent, so a corrupt or
truncated file would decode to a silent garbage image. This container makes every such case
a :class:`~lic.errors.BitstreamError` before the decoder runs.

Layout (little endian)::

    magic  b"LICB" | version u8 | model fingerprint 8 B | H u16 | W u16 | zH u16 | zW u16
    n_strings u8 | n_strings x u32 lengths
    version 2: name length u8 | model name UTF-8
    version 3: flags u8 | [flags & 1: name length u8 | model name UTF-8] | [flags & 2: entropy check u32]
    payload | CRC-32 (u32) of all preceding bytes

Version 3 is what is written now; versions 1 (no name) and 2 (name) are still read. The study measures files
without a name: their bpp counts only what decoding needs, the entropy check included. The entropy check is the
CRC-32 of the image's CDF indexes and ŷ symbols (:func:`lic.codec.intprior.entropy_check`): a decoder that does
not reproduce them (a float entropy model on another backend) refuses the stream instead of writing a wrong image.
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
VERSION_FLAGS = 3
_NAMED, _CHECKED = 1, 2
_HEAD = struct.Struct("<4sB8sHHHHB")


@dataclass(frozen=True)
class Header:
    """What a container says about itself (no model needed to read it).

    Attributes:
        version: 1 (no name), 2 (model name stored) or 3 (flags: name, entropy check).
        fingerprint: 8 bytes identifying the weights that coded it.
        image_hw: ``(H, W)`` of the image before padding.
        z_hw: ``(zH, zW)`` of the hyper-latent.
        lengths: bytes of each entropy-coded string.
        model: the model's name (versions 2, 3) or ``None``.
        size: bytes of the whole container.
        check: the entropy check (version 3) or ``None``.
    """

    version: int
    fingerprint: bytes
    image_hw: tuple[int, int]
    z_hw: tuple[int, int]
    lengths: tuple[int, ...]
    model: str | None
    size: int
    check: int | None = None


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
    prior = getattr(model, "int_prior", None)
    if prior is not None:  # an integer entropy model codes other streams than its float twin
        stamp = (*stamp, ("int_prior", id(prior)))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        h.update(b"int_prior")
        h.update(prior.digest())
    fp = h.digest()[:8]
    object.__setattr__(model, "_lic_fingerprint", (stamp, fp))
    return fp


def pack(strings: list[bytes], image_hw: tuple[int, int], z_hw: tuple[int, int], fingerprint: bytes,
         model: str | None = None, check: int | None = None) -> bytes:
    """Serialise one image's entropy-coded strings (one string per latent) as a version-3 container.

    Args:
        model: the model's name to store (at most 255 UTF-8 bytes); ``None``: no name (the study's files).
        check: the entropy check of :meth:`lic.codec.models.HyperpriorLIC.compress`; ``None``: not stored.

    Raises:
        BitstreamError: image or hyper-latent over 65535 px a side, or a name over 255 bytes.
    """
    if max(*image_hw, *z_hw) > 0xFFFF:
        raise BitstreamError(f"image {tuple(image_hw)} too large for the container (max 65535 px a side)")
    flags = (_NAMED if model is not None else 0) | (_CHECKED if check is not None else 0)
    head = _HEAD.pack(MAGIC, VERSION_FLAGS, fingerprint, *image_hw, *z_hw, len(strings))
    body = head + struct.pack(f"<{len(strings)}I", *map(len, strings)) + bytes([flags])
    if model is not None:
        name = model.encode("utf-8")
        if len(name) > 0xFF:
            raise BitstreamError(f"model name {model[:40]!r}... longer than 255 bytes")
        body += bytes([len(name)]) + name
    if check is not None:
        body += struct.pack("<I", int(check) & 0xFFFFFFFF)
    body += b"".join(strings)
    return body + struct.pack("<I", zlib.crc32(body))


def _name_at(data, off: int) -> tuple[str, int]:
    if len(data) < off + 1 or len(data) < off + 1 + data[off] + 4:
        raise BitstreamError("bitstream truncated inside the header")
    k = data[off]
    try:
        return bytes(data[off + 1: off + 1 + k]).decode("utf-8"), off + 1 + k
    except UnicodeDecodeError:
        raise BitstreamError("bitstream corrupt: model name is not UTF-8") from None


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
    if version not in (VERSION, VERSION_NAMED, VERSION_FLAGS):
        raise BitstreamError(f"unsupported bitstream version {version}")
    off = _HEAD.size + 4 * n
    if len(data) < off + 4 + (version != VERSION):
        raise BitstreamError("bitstream truncated inside the header")
    lengths = struct.unpack_from(f"<{n}I", data, _HEAD.size)
    name, check, flags = None, None, _NAMED if version == VERSION_NAMED else 0
    if version == VERSION_FLAGS:
        flags, off = data[off], off + 1
        if flags & ~(_NAMED | _CHECKED):
            _crc_or_raise(data, f"bitstream corrupt: unknown header flags {flags:#04x}")
    if flags & _NAMED:
        name, off = _name_at(data, off)
    if flags & _CHECKED:
        if len(data) < off + 8:
            raise BitstreamError("bitstream truncated inside the header")
        (check,), off = struct.unpack_from("<I", data, off), off + 4
    if len(data) != off + sum(lengths) + 4:
        raise BitstreamError(f"bitstream truncated or padded: {len(data)} bytes, header says {off + sum(lengths) + 4}")
    return Header(version, bytes(fp), (h, w), (zh, zw), tuple(lengths), name, len(data), check), off


def _crc_or_raise(data, msg: str):
    """A header field that makes no sense: say CRC mismatch where the CRC shows corruption, else ``msg``."""
    (crc,) = struct.unpack_from("<I", data, len(data) - 4)
    raise BitstreamError("bitstream corrupt: CRC-32 mismatch" if zlib.crc32(data[:-4]) != crc else msg)


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
    """Inverse of :func:`pack`; checks magic, version, model, lengths and CRC (the entropy check: :func:`read_header`).

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
