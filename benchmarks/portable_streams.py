"""Portable streams, measured: every released integer-entropy model (and the float teachers) coded under 8 CPU
backend settings and each stream decoded under all 8 (:mod:`lic.eval.portability`).

Settings: oneDNN on / off x 1 / 2 threads x NCHW / channels_last. Outcomes per (image, encoding, decoding):
decoded (entropy check matched), refused (BitstreamError, one line), wrong image (decoded without complaint to
an image more than 1 grey level from the encoder's own decode: must be 0). Also: streams whose bytes differ
from the first setting's (g_a is float, so a latent on a rounding boundary may round the other way), and whether
the stages' spot check (:func:`lic.eval.measured.evaluate`) reuses the recorded Kodak rows of each integer-entropy
model under each setting (the stand-in for another CPU).

    python benchmarks/portable_streams.py [--images kodim01 kodim02] [--out benchmarks/results/portable_streams.json]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from lic.codec.zoo import INT_SUFFIX, available, load_pretrained
from lic.data.images import load_kodak
from lic.eval.portability import BACKENDS, PORTABLE_RECORD, backend, cross_decode, summarize
from lic.fileio import atomic_write_text, write_json
from lic.provenance import ROOT, index_record, versions

NAME = PORTABLE_RECORD
OUT = ROOT / "benchmarks" / "results" / "portable_streams.json"
TEACHERS = [f"teacher-n128-m192-l{l}" for l in ("0.0018", "0.0035", "0.0067", "0.0250")]


def _cpu() -> str:
    try:
        return next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        import platform

        return platform.processor() or "unknown"


def spot_checks(models: list[str], images) -> pd.DataFrame:
    """Per integer-entropy model and backend setting: does the stages' spot check reuse the recorded rows?"""
    from lic.eval.measured import evaluate

    rows = []
    for n in models:
        model = load_pretrained(n)
        for b in BACKENDS:
            with backend(b, model) as m:
                c = evaluate(m, images, f"zoo:{n.removesuffix(INT_SUFFIX)}", progress=False)["coding"]
            rows.append({"model": n, "backend": b.label, "reused": c["reused"] == len(images) - 1,
                         "match": c.get("match"), "why": c["why"]})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", nargs="+", default=["kodim01", "kodim02"])
    ap.add_argument("--models", nargs="*", default=None, help="default: every -int model and the float teachers")
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    rel = available()
    models = a.models or sorted(n for n in rel if n.endswith(INT_SUFFIX)) + [t for t in TEACHERS if t in rel]
    imgs = [(s, x) for s, x in load_kodak() if s in set(a.images)]
    t0, frames = time.time(), []
    for n in models:
        t = time.time()
        frames.append(cross_decode(load_pretrained(n), imgs, n))
        print(n, summarize(frames[-1]).iloc[0].to_dict(), f"{time.time() - t:.0f} s", flush=True)
    df = pd.concat(frames, ignore_index=True)
    reuse = spot_checks([n for n in models if n.endswith(INT_SUFFIX)], imgs[:1] + imgs[1:2])
    summ = summarize(df)
    summ["entropy"] = ["integer" if m.endswith(INT_SUFFIX) else "float" for m in summ.model]
    out = ROOT / a.out if not a.out.startswith("/") else a.out
    atomic_write_text(str(out).replace(".json", ".csv"), df.to_csv(index=False))
    write_json(out, {
        "backends": [b.label for b in BACKENDS], "images": a.images, "models": summ.to_dict("records"),
        "integer_models_all_decoded": bool((summ[summ.entropy == "integer"].decoded == summ[summ.entropy == "integer"].pairs).all()),
        "wrong_images": int(summ.wrong_images.sum()), "seconds": round(time.time() - t0),
        # the measured-row reuse of stages 01/02 under each backend setting (lic.eval.measured.evaluate's spot check)
        "reuse": reuse.to_dict("records"),
        "reuse_summary": {"checks": len(reuse), "reused": int(reuse.reused.sum())},
        "cpu": _cpu(), "torch": versions().get("torch"),
    })
    inputs = {"benchmarks/portable_streams.py": None, "lic/codec/intprior.py": None, "lic/eval/portability.py": None}
    for n in models:
        inputs[f"weights/{rel[n]['file']}"] = rel[n]["sha256"]
        if rel[n].get("int_prior"):
            inputs[f"weights/{rel[n]['int_prior']['file']}"] = rel[n]["int_prior"]["sha256"]
    index_record(NAME, out, {"script": "benchmarks/portable_streams.py", "args": " ".join(argv or [])}, inputs,
                 "streams coded under 8 CPU backend settings, each decoded under all 8: decoded / refused / wrong "
                 "image per model (Kodak images, full size)", {"images": a.images, "backends": len(BACKENDS)})
    print(summ.to_string(index=False))
    print(f"spot checks reused: {int(reuse.reused.sum())} of {len(reuse)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
