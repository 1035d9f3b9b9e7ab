"""Training crops at scale: a streaming dataset for a folder tree of any size.

:class:`StreamingCrops` decodes, crops and flips images in ``torch.utils.data.DataLoader`` worker
processes (pinned memory on CUDA), so neither memory nor the training process grows with the data set.
Files are found with CompressAI's own datasets where their layout fits
(:class:`compressai.datasets.Vimeo90kDataset` for a Vimeo-90k root with ``tri_trainlist.txt``,
:class:`compressai.datasets.ImageFolder` for a ``root/train`` split), else by a sorted recursive walk.

Determinism: sample ``k`` of the stream is file ``perm_e[k mod n]`` of the epoch ``e = k // n``
permutation (seeded by ``(seed, e)``) with its crop offset and flips seeded by ``(seed, k)``; batch
``b`` is samples ``[b*B, (b+1)*B)`` and training step ``s`` of rank ``r`` of ``W`` is batch
``s*W + r`` (as :class:`lic.data.images.CropSampler`). Nothing depends on worker count or timing, so a run
resumed at step ``s`` draws exactly the batches of an uninterrupted one; :meth:`StreamingCrops.state`
(the stream position, the files skipped) is saved in the training checkpoint.

Images smaller than the crop and unreadable files are skipped — the stream moves deterministically
to the next file of the epoch permutation — and counted (:meth:`StreamingCrops.skipped_counts`),
never fatal; only a folder with no usable image at all raises :class:`~lic.errors.DataError`.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import DataLoader, Dataset, Sampler

from lic.data.images import IMAGE_SUFFIXES, _to_rgb_array, resolve_dir
from lic.errors import DataError

__all__ = ["find_images", "StreamingCrops", "BatchIndices", "collate_crops"]

#: skip reasons
TOO_SMALL, UNREADABLE = "too_small", "unreadable"


def find_images(root: str | os.PathLike, split: str = "train") -> list[Path]:
    """Every training image under ``root``, in a fixed order.

    A Vimeo-90k root (``tri_trainlist.txt`` / ``sep_trainlist.txt``) is read by CompressAI's
    ``Vimeo90kDataset``, a root with a ``train/`` folder by its ``ImageFolder``; any other folder is
    walked recursively (image suffixes of :data:`lic.data.images.IMAGE_SUFFIXES`, sorted by path).

    Raises:
        DataError: no image file found.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image directory {root} does not exist")
    vimeo = {3: root / "tri_trainlist.txt", 7: root / "sep_trainlist.txt"}
    tuplet = next((t for t, f in vimeo.items() if f.is_file()), None)
    if tuplet is not None:
        from compressai.datasets import Vimeo90kDataset

        files = [Path(s) for s in Vimeo90kDataset(str(root), split="train" if split == "train" else "valid",
                                                  tuplet=tuplet).samples]
    elif (root / split).is_dir():
        from compressai.datasets import ImageFolder

        files = [Path(s) for s in ImageFolder(str(root), split=split).samples if s.suffix.lower() in IMAGE_SUFFIXES]
    else:
        files = sorted(Path(d) / f for d, _, names in os.walk(root) for f in names
                       if Path(f).suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"image directory {root} holds no images ({', '.join(IMAGE_SUFFIXES)}, searched recursively)")
    return files


def _digest(files: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(os.path.relpath(f, root).encode() + b"\0")
    return h.hexdigest()[:16]


def _worker_init(_: int) -> None:
    torch.set_num_threads(1)  # decode workers: one thread each, the trainer keeps the cores


class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def collate_crops(items: list[tuple[torch.Tensor, list]]) -> tuple[torch.Tensor, list]:
    """Stack uint8 crops into ``[B, 3, c, c]``; concatenate the ``(file, reason)`` skips."""
    return torch.stack([t for t, _ in items]), [s for _, skips in items for s in skips]


class BatchIndices(Sampler):
    """Sample indices of batches ``step*world + rank`` for ``step = start, start+1, ...`` (endless
    when ``stop`` is None)."""

    def __init__(self, start: int, batch_size: int, world: int = 1, rank: int = 0, stop: int | None = None):
        self.start, self.batch_size, self.world, self.rank, self.stop = start, batch_size, world, rank, stop

    def __iter__(self) -> Iterator[list[int]]:
        step = self.start
        while self.stop is None or step < self.stop:
            b = step * self.world + self.rank
            yield list(range(b * self.batch_size, (b + 1) * self.batch_size))
            step += 1


class StreamingCrops(Dataset):
    """Random ``crop``² crops with flips, decoded on demand (see the module docstring).

    Args:
        root: folder tree of training images (default ``$LIC_TRAIN_DIR``).
        crop: square crop size in pixels.
        seed: base seed of the permutations, offsets and flips.
        workers: DataLoader worker processes (0: decode in the training process).
        max_images: keep only the first images found (smoke runs).
        pin_memory: pin batches for asynchronous host-to-GPU copies (default: when CUDA is available).
        prefetch: batches each worker prepares ahead.
        cache_mb: decoded images each process keeps (uint8 RGB), filled first come, never evicted: a
            small folder (the CPU set: 51 photos, ~180 MB) is decoded once per worker; beyond it, every
            sample is decoded from its file. Results do not depend on it.
    """

    def __init__(self, root=None, crop: int = 256, seed: int = 0, workers: int = 2, max_images: int | None = None,
                 pin_memory: bool | None = None, prefetch: int = 4, cache_mb: float = 512):
        if crop < 16:
            raise DataError(f"crop size must be >= 16, got {crop}")
        if workers < 0:
            raise DataError(f"workers must be >= 0, got {workers}")
        self.root = resolve_dir(root, "LIC_TRAIN_DIR", "training")
        self.files = find_images(self.root)[: max_images or None]
        self.crop, self.seed, self.workers, self.prefetch = int(crop), int(seed), int(workers), int(prefetch)
        self.pin_memory = torch.cuda.is_available() if pin_memory is None else bool(pin_memory)
        self.digest = _digest(self.files, self.root)
        self.skipped: dict[str, str] = {}  # file -> reason, gathered from every batch drawn here
        self._bad: dict[int, str] = {}  # per process: files known to be unusable (not re-decoded)
        self._perms: dict[int, np.ndarray] = {}
        self.cache_bytes, self._cached, self._cache = int(cache_mb * 2**20), 0, {}

    def __len__(self) -> int:
        """Files in the stream (one epoch); indices beyond it continue into the next epochs."""
        return len(self.files)

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:  # the current and the next epoch's permutation are kept
            self._perms = {e: p for e, p in self._perms.items() if e >= epoch - 1}
            self._perms[epoch] = np.random.default_rng([self.seed, epoch, 0x5EED]).permutation(len(self.files))
        return self._perms[epoch]

    def _offsets(self, h: int, w: int, rng: np.random.Generator) -> tuple[int, int]:
        return int(rng.integers(h - self.crop + 1)), int(rng.integers(w - self.crop + 1))

    def _read(self, idx: int, rng: np.random.Generator) -> np.ndarray:
        """The crop of file ``idx`` (decoded whole and kept while the cache has room, else cropped
        before conversion); the same offsets either way, so caching never changes a batch."""
        c, arr = self.crop, self._cache.get(idx)
        if arr is None:
            f = self.files[idx]
            try:
                with Image.open(f) as img:
                    w, h = img.size
                    if min(w, h) < c:
                        raise _Skip(TOO_SMALL)
                    if self._cached + 3 * w * h > self.cache_bytes:
                        y, x = self._offsets(h, w, rng)
                        arr = _to_rgb_array(img.crop((x, y, x + c, y + c)), f)
                        if arr.shape[:2] != (c, c):
                            raise _Skip(UNREADABLE)
                        return arr
                    arr = _to_rgb_array(img, f)
            except _Skip:
                raise
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError, DataError):
                raise _Skip(UNREADABLE) from None
            if arr.shape[:2] != (h, w):
                raise _Skip(UNREADABLE)
            self._cache[idx], self._cached = arr, self._cached + arr.nbytes
        y, x = self._offsets(*arr.shape[:2], rng)
        return arr[y : y + c, x : x + c]

    def __getitem__(self, k: int) -> tuple[torch.Tensor, list[tuple[str, str]]]:
        """Sample ``k`` of the stream: a ``[3, crop, crop]`` uint8 tensor and the files skipped on the way."""
        n = len(self.files)
        epoch, j = divmod(int(k), n)
        perm = self._perm(epoch)
        skips = []
        for t in range(n):
            idx = int(perm[(j + t) % n])
            if idx in self._bad:
                continue
            rng = np.random.default_rng([self.seed, int(k), t])
            try:
                arr = self._read(idx, rng)
            except _Skip as s:
                self._bad[idx] = s.reason
                skips.append((str(self.files[idx]), s.reason))
                continue
            if rng.random() < 0.5:
                arr = arr[:, ::-1]
            if rng.random() < 0.5:
                arr = arr[::-1]
            return torch.from_numpy(np.array(arr, order="C")).permute(2, 0, 1), skips  # own writable copy
        counts = {r: sum(v == r for v in self._bad.values()) for r in (TOO_SMALL, UNREADABLE)}
        raise DataError(f"{self.root}: no usable training image among {n} files ({counts[TOO_SMALL]} smaller "
                        f"than the {self.crop}px crop, {counts[UNREADABLE]} unreadable)")

    def loader(self, start: int, batch_size: int, world: int = 1, rank: int = 0, stop: int | None = None):
        """A DataLoader over batches ``step*world + rank``, ``step`` from ``start`` (to ``stop``)."""
        # an own generator: the loader's base seed must not draw from the global RNG (the noise stream)
        kw = {"num_workers": self.workers, "pin_memory": self.pin_memory, "collate_fn": collate_crops,
              "generator": torch.Generator().manual_seed(self.seed)}
        if self.workers:
            kw.update(prefetch_factor=self.prefetch, worker_init_fn=_worker_init)
        return DataLoader(self, batch_sampler=BatchIndices(start, batch_size, world, rank, stop), **kw)

    def batches(self, start: int, batch_size: int, world: int = 1, rank: int = 0,
                stop: int | None = None) -> Iterator[torch.Tensor]:
        """uint8 batches ``[B, 3, crop, crop]`` of steps ``start, start+1, ...``; skipped files are recorded."""
        for x, skips in self.loader(start, batch_size, world, rank, stop):
            self.skipped.update(dict(skips))
            yield x

    def batch(self, index: int, size: int) -> torch.Tensor:
        """Batch ``index`` as floats in [0, 1], decoded here (the :class:`lic.data.images.CropSampler` interface)."""
        x, skips = collate_crops([self[k] for k in range(index * size, (index + 1) * size)])
        self.skipped.update(dict(skips))
        return x.float().div_(255.0)

    def skipped_counts(self) -> dict[str, int]:
        """Files skipped so far, by reason: ``{"too_small": n, "unreadable": m}``."""
        return {r: sum(v == r for v in self.skipped.values()) for r in (TOO_SMALL, UNREADABLE)}

    def state(self, step: int, batch_size: int, world: int = 1) -> dict:
        """What the training checkpoint keeps: the stream position and the files skipped so far."""
        return {"kind": "stream", "seed": self.seed, "crop": self.crop, "files": len(self.files),
                "digest": self.digest, "next_step": int(step), "samples_drawn": int(step) * world * batch_size,
                "skipped": dict(self.skipped)}

    def load_state(self, state: dict, step: int) -> None:
        """Continue from a checkpoint's :meth:`state` (the step is the checkpoint's own)."""
        if state.get("kind") != "stream":
            return
        if state.get("next_step") != step:
            raise DataError(f"data state at step {state.get('next_step')} does not match the checkpoint step {step}")
        if state.get("digest") != self.digest or state.get("seed") != self.seed:
            warnings.warn(f"{self.root}: the training files or seed differ from the checkpoint's; the resumed run "
                          "draws other batches than an uninterrupted one would", stacklevel=2)
        self.skipped.update(state.get("skipped", {}))
