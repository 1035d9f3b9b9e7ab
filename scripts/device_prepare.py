"""Prepare ``.device/`` for scripts/device_run.sh on a GPU machine that reaches no network and takes a small
working tree (the device tool here: 64 MiB in all, the released teachers included).

- ``.device/photos``: the training photos as JPEG (4:4:4) at the highest quality whose files fit ``--budget-mb``,
  with ``PACK.json`` (quality, bytes, mean PSNR against the originals, each source's MD5);
- ``.device/wheels``: the wheels the GPU image lacks (CompressAI, pytorch-msssim) for its Python (3.12),
  installed there with ``pip install --no-index --no-deps --target``.

    python scripts/device_prepare.py --photos ../shared/data/photos --budget-mb 17
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

WHEELS = ["compressai==1.2.8", "pytorch-msssim==1.0.0"]


def jpeg_bytes(images: list[Image.Image], quality: int) -> list[bytes]:
    out = []
    for im in images:
        b = io.BytesIO()
        im.save(b, "JPEG", quality=quality, subsampling=0)
        out.append(b.getvalue())
    return out


def psnr(a: Image.Image, jpeg: bytes) -> float:
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=np.float64)
    return float(10 * np.log10(255.0**2 / np.mean((x - y) ** 2)))


def pack_photos(src: Path, dst: Path, budget: float) -> dict:
    files = sorted(p for p in src.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not files:
        raise SystemExit(f"no photos in {src}")
    images = [Image.open(f).convert("RGB") for f in files]
    for q in range(95, 49, -1):
        data = jpeg_bytes(images, q)
        if sum(map(len, data)) <= budget:
            break
    else:
        raise SystemExit(f"the photos do not fit {budget / 1e6:.1f} MB even at JPEG quality 50")
    dst.mkdir(parents=True, exist_ok=True)
    for f, d in zip(files, data):
        (dst / f"{f.stem}.jpg").write_bytes(d)
    info = {"quality": q, "subsampling": "4:4:4", "files": len(files), "bytes": sum(map(len, data)),
            "mean_psnr_db": round(float(np.mean([psnr(i, d) for i, d in zip(images, data)])), 2),
            "sources": {f.name: hashlib.md5(f.read_bytes()).hexdigest() for f in files}}
    (dst / "PACK.json").write_text(json.dumps(info, indent=1))
    return info


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, default=Path("../shared/data/photos"))
    ap.add_argument("--out", type=Path, default=Path(".device"))
    ap.add_argument("--budget-mb", type=float, default=17.0)
    ap.add_argument("--python-version", default="3.12")
    a = ap.parse_args()
    info = pack_photos(a.photos, a.out / "photos", a.budget_mb * 1e6)
    print({k: v for k, v in info.items() if k != "sources"})
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                    "--python-version", a.python_version, "--implementation", "cp",
                    *[f"--platform=manylinux_2_{n}_x86_64" for n in (34, 28, 17)], "-d", str(a.out / "wheels"),
                    *WHEELS], check=True)
    print(sorted(p.name for p in (a.out / "wheels").iterdir()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
