"""The rate cost of the integer entropy model: each released ``<name>-int`` against its float model ``<name>``.

Both are the same weights, so ŷ and the decoded image are the same and only the rate moves. Reads only the
released models' per-image Kodak rows (``weights/kodak_measured.json`` through :func:`lic.eval.measured.recorded`,
bound to each release's digests) and computes, per family (the teachers N=128; the students of each width N, KD from
the pruned teacher, where their ``-int`` variants are released), the BD-rate (PSNR) of the integer against the float
models over their λ, and per λ the change of the Kodak bytes and the largest PSNR change of an image::

    python benchmarks/int_entropy_rd.py [--out benchmarks/results/int_entropy_rd.json]
"""

from __future__ import annotations

import argparse

import pandas as pd

from lic.codec.zoo import INT_SUFFIX, available, release_digest
from lic.eval.measured import recorded
from lic.eval.metrics import bd_psnr, bd_rate
from lic.eval.portability import INT_ENTROPY_RECORD
from lic.fileio import write_json
from lic.provenance import ROOT, index_record

NAME = INT_ENTROPY_RECORD
OUT = ROOT / "benchmarks" / "results" / "int_entropy_rd.json"
#: family -> the name prefix of its float models; a family without released ``-int`` variants is left out (None)
FAMILIES = {"teacher N=128": "teacher-n128-m192-l",
            **{f"student N={n} (KD from the pruned teacher)": f"student-kd-pruned-n{n}-m192-l"
               for n in (96, 64, 32, 16)}}


def _rows(name: str) -> pd.DataFrame:
    return pd.DataFrame(list(recorded(name).values())).sort_values("image").reset_index(drop=True)


def family(prefix: str, rel: dict) -> dict | None:
    pts, per_l = [], []
    for n in sorted(k for k in rel if k.startswith(prefix) and not k.endswith(INT_SUFFIX)):
        if f"{n}{INT_SUFFIX}" not in rel:
            continue
        f, i = _rows(n), _rows(f"{n}{INT_SUFFIX}")
        if f.empty or list(f.image) != list(i.image):
            continue
        lam = rel[n]["lmbda"]
        pts.append((lam, f.bpp.mean(), f.psnr.mean(), i.bpp.mean(), i.psnr.mean()))
        per_l.append({"lmbda": lam, "images": len(f), "float_bytes": int(f.bytes.sum()), "int_bytes": int(i.bytes.sum()),
                      "bytes_change_pct": round(100 * (i.bytes.sum() / f.bytes.sum() - 1), 4),
                      "max_abs_psnr_change_db": float((i.psnr - f.psnr).abs().max())})
    if not pts:
        return None
    p = pd.DataFrame(pts, columns=["lmbda", "fb", "fp", "ib", "ip"]).sort_values("fb")
    return {"lambdas": [float(x) for x in p.lmbda], "images": min(r["images"] for r in per_l),
            "bd_rate_int_vs_float": bd_rate(p.fb, p.fp, p.ib, p.ip), "bd_psnr_int_vs_float": bd_psnr(p.fb, p.fp, p.ib, p.ip),
            "per_lambda": per_l}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    rel = available()
    out = {"families": {k: family(v, rel) for k, v in FAMILIES.items()}, "set": "Kodak",
           "note": "same weights and ŷ: the integer entropy model changes the rate only"}
    write_json(a.out, out)
    used = [n for n in rel if any(n.startswith(v) for v in FAMILIES.values())]
    index_record(NAME, a.out, {"script": "benchmarks/int_entropy_rd.py", "args": ""},
                 {"benchmarks/int_entropy_rd.py": None, "weights/kodak_measured.json": None,
                  **{f"weights/{rel[n]['int_prior']['file']}": rel[n]["int_prior"]["sha256"] for n in used
                     if rel[n].get("int_prior")}},
                 "BD-rate (PSNR) of each released integer-entropy family against its float models on the Kodak "
                 "rows of weights/kodak_measured.json; per-λ byte change",
                 {"families": list(FAMILIES), "digests": {n: release_digest(rel[n]) for n in sorted(used)}})
    for k, v in out["families"].items():
        print(k, None if v is None else {x: v[x] for x in ("lambdas", "images", "bd_rate_int_vs_float")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
