"""Do streams decode the same everywhere? Encode under each CPU backend setting, decode under every other.

A backend setting is oneDNN on or off, the number of intra-op threads and the memory layout of the model (NCHW or
channels_last): the settings that change the order of floating-point sums on one machine, as another CPU does. For
every stream coded under setting A and decoded under setting B the outcome is one of

* ``"decoded"``: the decoder reproduced the stream's entropy parameters (its entropy check matched);
* ``"refused"``: it did not, and said so (:class:`~lic.errors.BitstreamError`);
* ``"wrong image"``: it decoded without complaint to an image farther than ``jitter`` grey levels from the reference
  decode (a float model before the entropy check existed: what must never happen now).

An integer-entropy model (:mod:`lic.codec.intprior`) must give ``"decoded"`` everywhere, and the same bytes under
every setting; a float model may be refused where it is not reproduced, never decoded wrong.

    python -m lic.eval.portability teacher-n128-m192-l0.0250 teacher-n128-m192-l0.0250-int --images kodim01 kodim02
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import pandas as pd
import torch

from lic.codec import api
from lic.errors import BitstreamError, LicError

__all__ = ["Backend", "BACKENDS", "INT_ENTROPY_RECORD", "PORTABLE_RECORD", "backend", "cross_decode", "summarize",
           "main"]

#: the benchmark records of the integer entropy model (benchmarks/int_entropy_rd.py, benchmarks/portable_streams.py)
INT_ENTROPY_RECORD = "int_entropy_rd"
PORTABLE_RECORD = "portable_streams"


@dataclass(frozen=True)
class Backend:
    """One CPU backend setting."""

    onednn: bool
    threads: int
    channels_last: bool

    @property
    def label(self) -> str:
        return f"oneDNN {'on' if self.onednn else 'off'}, {self.threads} thr, {'NHWC' if self.channels_last else 'NCHW'}"


#: {oneDNN on, off} x {1, 2 threads} x {NCHW, channels_last}
BACKENDS = tuple(Backend(o, t, c) for o in (True, False) for t in (1, 2) for c in (False, True))


@contextlib.contextmanager
def backend(b: Backend, model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Run the body under setting ``b`` (the model's layout converted in place); restores the previous setting."""
    old = (torch.backends.mkldnn.enabled, torch.get_num_threads())
    torch.backends.mkldnn.enabled = b.onednn
    torch.set_num_threads(b.threads)
    model.to(memory_format=torch.channels_last if b.channels_last else torch.contiguous_format)
    try:
        yield model
    finally:
        torch.backends.mkldnn.enabled, threads = old
        torch.set_num_threads(threads)
        model.to(memory_format=torch.contiguous_format)


def _decode(model, data: bytes) -> tuple[str, np.ndarray | None, str]:
    try:
        x = api.decompress(data, model)
    except BitstreamError as exc:
        return "refused", None, str(exc).splitlines()[0]
    return "decoded", np.asarray(x.mul(255).round().to(torch.uint8).numpy()), ""


def cross_decode(model: torch.nn.Module, images: Sequence[tuple[str, torch.Tensor]], name: str = "model",
                 backends: Sequence[Backend] = BACKENDS, jitter: int = 1) -> pd.DataFrame:
    """One row per (image, encoding setting, decoding setting).

    Columns: ``model, image, enc, dec, bytes, same_bytes`` (equal to the first setting's stream), ``outcome``
    (see the module docstring), ``max_diff`` (grey levels between this decode and the stream's reference decode,
    made under the setting that encoded it), ``message`` (the refusal's line).

    Args:
        jitter: decoded images within this many grey levels of the reference count as the same image.
    """
    rows = []
    for stem, x in images:
        streams = []
        for b in backends:
            with backend(b, model) as m:
                streams.append(api.compress(x, m))
        for be, data in zip(backends, streams):
            decoded = []
            for bd in backends:
                with backend(bd, model) as m:
                    decoded.append(_decode(m, data))
            ref = decoded[backends.index(be)][1]  # the encoder's own setting reproduces its entropy parameters
            for bd, (outcome, img, msg) in zip(backends, decoded):
                diff = None if img is None or ref is None else int(np.abs(img.astype(int) - ref.astype(int)).max())
                if diff is not None and diff > jitter:
                    outcome = "wrong image"
                rows.append({"model": name, "image": stem, "enc": be.label, "dec": bd.label, "bytes": len(data),
                             "same_bytes": data == streams[0], "outcome": outcome, "max_diff": diff, "message": msg})
    return pd.DataFrame(rows)


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Per model: pairs, decoded, refused, wrong images, settings that coded other bytes, worst decode difference."""
    g = df.groupby("model", sort=False)
    return pd.DataFrame({
        "pairs": g.size(),
        "decoded": g.outcome.apply(lambda s: int((s == "decoded").sum())),
        "refused": g.outcome.apply(lambda s: int((s == "refused").sum())),
        "wrong_images": g.outcome.apply(lambda s: int((s == "wrong image").sum())),
        "streams_with_other_bytes": g.apply(lambda d: int((~d.drop_duplicates(["image", "enc"]).same_bytes).sum()),
                                            include_groups=False),
        "max_diff_grey_levels": g.max_diff.max(),
    }).reset_index()


def main(argv=None) -> int:
    """``python -m lic.eval.portability MODEL ... [--images kodim01 ...] [--crop N]``: the matrix, summarised."""
    from lic.data.images import load_kodak

    ap = argparse.ArgumentParser(prog="python -m lic.eval.portability", description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="released model names or checkpoints")
    ap.add_argument("--images", nargs="*", default=["kodim01", "kodim02"], help="Kodak images (stems)")
    ap.add_argument("--crop", type=int, default=None, help="code the top-left CROP x CROP pixels only")
    ap.add_argument("--csv", default=None, help="write every pair's row here")
    a = ap.parse_args(argv)
    try:
        imgs = [(s, x[:, : a.crop, : a.crop] if a.crop else x) for s, x in load_kodak() if s in set(a.images)]
        df = pd.concat([cross_decode(api.load_model(n)[0], imgs, n) for n in a.models], ignore_index=True)
    except LicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if a.csv:
        from lic.fileio import atomic_write_text

        atomic_write_text(a.csv, df.to_csv(index=False))
    print(summarize(df).to_string(index=False))
    return 0 if not (df.outcome == "wrong image").any() else 1


if __name__ == "__main__":
    sys.exit(main())
