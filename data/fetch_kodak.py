#!/usr/bin/env python3
"""Download the Kodak test set (kodim01..24.png) into data/kodak/ and verify data/kodak.md5.

For machines with internet access; the study reads Kodak from $LIC_KODAK_DIR, else data/kodak,
else ../shared/data/kodak. Usage: python data/fetch_kodak.py [--dest DIR] [--url BASE]
"""

import argparse
import hashlib
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE_URL = "https://r0k.us/graphics/kodak/kodak/"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", default=str(HERE / "kodak"))
    ap.add_argument("--url", default=BASE_URL, help="base URL holding kodimNN.png")
    a = ap.parse_args(argv)
    dest = Path(a.dest)
    dest.mkdir(parents=True, exist_ok=True)
    sums = {}
    for line in (HERE / "kodak.md5").read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            sums[name.lstrip("*")] = digest
    bad = 0
    for name, digest in sorted(sums.items()):
        f = dest / name
        if not f.exists() or hashlib.md5(f.read_bytes()).hexdigest() != digest:
            tmp = f.with_suffix(".part")
            try:
                urllib.request.urlretrieve(a.url + name, tmp)
            except OSError as exc:
                print(f"error: cannot download {a.url + name}: {exc}", file=sys.stderr)
                return 2
            tmp.replace(f)
        ok = hashlib.md5(f.read_bytes()).hexdigest() == digest
        bad += not ok
        print(f"{name}: {'ok' if ok else 'MD5 MISMATCH'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
