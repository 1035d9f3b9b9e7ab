"""Hyperprior codecs built from CompressAI blocks, a registry by name, checkpoint I/O.

The teacher and every student share one architecture, the scale hyperprior of Ballé et al.,
"Variational image compression with a scale hyperprior", ICLR 2018 (CompressAI
``ScaleHyperprior``): analysis ``g_a`` (4 stride-2 5x5 convs, GDN between), synthesis ``g_s``
(4 transposed convs, IGDN), hyper-analysis ``h_a``, hyper-synthesis ``h_s``. The widths N
(transform channels) and M (latent channels) are the only size knobs; the paper's teacher is
N=128, M=192 and its students change N only.

Parameter names are CompressAI's, so CompressAI checkpoints (e.g. the zoo's
``bmshj2018-hyperprior``) load unchanged through :func:`load_checkpoint`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from compressai.models import ScaleHyperprior

from lic.errors import ArtifactError, BitstreamError, ParameterError
from lic.fileio import atomic_write_bytes

__all__ = [
    "MODELS",
    "register_model",
    "build_model",
    "HyperpriorLIC",
    "save_checkpoint",
    "load_checkpoint",
    "load_state_dict_into",
    "CDF_BUFFERS",
    "infer_widths",
    "prior_payload",
    "restore_prior",
]

MODELS: dict[str, Callable[..., torch.nn.Module]] = {}


def register_model(name: str):
    """Decorator: register a model class under ``name`` (CompressAI-style registry)."""

    def deco(cls):
        MODELS[name] = cls
        return cls

    return deco


@register_model("hyperprior")
class HyperpriorLIC(ScaleHyperprior):
    r"""Scale-hyperprior codec with widths N, M and an injectable GDN flavour.

    Args:
        N: channels of the transforms (teacher 128; students 16..112).
        M: channels of the latent y (192 in the paper, kept for students).
        gdn: GDN variant name from :data:`lic.codec.gdn.GDN_VARIANTS` ("standard" is CompressAI's).
    """

    def __init__(self, N: int = 128, M: int = 192, gdn: str = "standard", **kwargs):
        if int(N) < 1 or int(M) < 1:
            raise ParameterError(f"widths must be positive, got N={N}, M={M}")
        super().__init__(int(N), int(M), **kwargs)
        self.gdn = gdn
        #: the integer entropy model (:class:`lic.codec.intprior.IntPrior`) when attached: portable streams
        self.int_prior = None
        #: the integer g_a (:func:`lic.codec.intprior.set_int_ga`) when attached: the integer encoder, the FPGA's bytes
        self.int_ga = None
        if gdn != "standard":
            from lic.codec.gdn import replace_gdn  # local import: gdn depends on nothing here

            replace_gdn(self, gdn)

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments, enough to rebuild the model."""
        return {"arch": "hyperprior", "N": int(self.N), "M": int(self.M), "gdn": self.gdn}

    def forward(self, x: torch.Tensor) -> dict:
        """``ScaleHyperprior.forward`` with the entropy models always in float32.

        Identical to CompressAI's in float32. Under a bfloat16 autocast (``TrainConfig.precision``)
        the transforms run in bf16 while the factorized prior, the Gaussian conditional (noise,
        likelihoods, hence the rate) and ``x_hat`` stay float32, so the rate term keeps its precision.
        """
        y = self.g_a(x)
        z = self.h_a(torch.abs(y))
        with torch.autocast(x.device.type, enabled=False):
            z_hat, z_likelihoods = self.entropy_bottleneck(z.float())
        scales_hat = self.h_s(z_hat)
        with torch.autocast(x.device.type, enabled=False):
            y_hat, y_likelihoods = self.gaussian_conditional(y.float(), scales_hat.float())
        x_hat = self.g_s(y_hat)
        return {"x_hat": x_hat.float(), "likelihoods": {"y": y_likelihoods, "z": z_likelihoods}}


    @torch.no_grad()
    def compress(self, x: torch.Tensor) -> dict:
        """CompressAI's ``compress`` plus ``"check"``: the entropy check of each image (:func:`entropy_check`).

        With an integer prior attached, h_a, h_s and the CDF indexes are integers (portable streams).
        """
        from lic.codec.intprior import entropy_check

        if getattr(self, "int_ga", None) is not None:
            return self._compress_integer(x)
        y = self.g_a(x)
        if self.int_prior is not None:
            outs = [self.int_prior.encode(y[i: i + 1]) for i in range(len(y))]
            return {"strings": [[o[0] for o in outs], [o[1] for o in outs]], "shape": torch.Size(outs[0][2]),
                    "check": [o[3] for o in outs]}
        z = self.h_a(torch.abs(y))
        z_strings = self.entropy_bottleneck.compress(z)
        z_hat = self.entropy_bottleneck.decompress(z_strings, z.size()[-2:])
        indexes = self.gaussian_conditional.build_indexes(self.h_s(z_hat))
        y_strings = self.gaussian_conditional.compress(y, indexes)
        symbols = self.gaussian_conditional.quantize(y, "symbols")
        check = [entropy_check(indexes[i].cpu().numpy(), symbols[i].cpu().numpy()) for i in range(len(y))]
        return {"strings": [y_strings, z_strings], "shape": z.size()[-2:], "check": check}

    def integer_latents(self, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """The integer encoder's ŷ and h_a's input (int64 ``[B,M,h,w]``) of images ``x`` in [0, 1] (read as uint8)."""
        from lic.fixedpoint.arith import image_to_int

        return self.int_prior.latents(self.int_ga.run(image_to_int(x).astype(np.int64)))

    def _compress_integer(self, x: torch.Tensor) -> dict:
        """:meth:`compress` by the integer encoder: uint8 pixels → integer g_a → ŷ and h_a's input → integer prior."""
        outs = [self.int_prior.encode_latents(*self.integer_latents(x[i: i + 1])) for i in range(len(x))]
        return {"strings": [[o[0] for o in outs], [o[1] for o in outs]], "shape": torch.Size(outs[0][2]),
                "check": [o[3] for o in outs]}

    @torch.no_grad()
    def decompress(self, strings: list, shape, check: list[int] | None = None) -> dict:
        """CompressAI's ``decompress``; with ``check`` (from :meth:`compress`) a stream whose entropy parameters
        are not reproduced here raises :class:`~lic.errors.BitstreamError` instead of decoding to a wrong image."""
        from lic.codec.intprior import entropy_check

        if self.int_prior is not None:
            dev = next(self.parameters()).device
            decoded = [self.int_prior.decode(ys, zs, tuple(shape), self.M) for ys, zs in zip(*strings)]
            y_hat = torch.from_numpy(np.concatenate([d[0] for d in decoded])).float().to(dev)
            got = [d[1] for d in decoded]
        else:
            z_hat = self.entropy_bottleneck.decompress(strings[1], shape)
            indexes = self.gaussian_conditional.build_indexes(self.h_s(z_hat))
            y_hat = self.gaussian_conditional.decompress(strings[0], indexes, z_hat.dtype)
            got = [entropy_check(indexes[i].cpu().numpy(), y_hat[i].to(torch.int64).cpu().numpy())
                   for i in range(len(y_hat))] if check is not None else None
        if check is not None and list(check) != got:
            raise BitstreamError("the stream's entropy parameters are not reproduced here (entropy check mismatch): "
                                 "decoding would give a wrong image")
        return {"x_hat": self.g_s(y_hat).clamp_(0, 1)}


def build_model(arch: str = "hyperprior", **kwargs) -> torch.nn.Module:
    """Instantiate a registered architecture by name."""
    if arch not in MODELS:
        raise ParameterError(f"unknown architecture {arch!r}; known: {sorted(MODELS)}")
    return MODELS[arch](**kwargs)


def infer_widths(state_dict: dict[str, torch.Tensor]) -> tuple[int, int]:
    """N, M from CompressAI-named weights (as ``ScaleHyperprior.from_state_dict`` does)."""
    try:
        return int(state_dict["g_a.0.weight"].size(0)), int(state_dict["g_a.6.weight"].size(0))
    except KeyError:
        raise ArtifactError("checkpoint has no g_a.0/g_a.6 weights: not a hyperprior model") from None


#: buffers that are constants of the architecture (never trained): rebuilt, never read from a
#: checkpoint, since fp16 files flush them to 0 (e.g. the 1e-9 likelihood bound -> log2(0) = -inf)
CONSTANT_BUFFERS = ("pedestal", "lower_bound.bound", "lower_bound_scale.bound", "target")
#: the entropy coders' CDF tables: derived from the parameters by ``update()``, sized by them
CDF_BUFFERS = ("_quantized_cdf", "_offset", "_cdf_length")


def load_state_dict_into(model: torch.nn.Module, state_dict: dict[str, torch.Tensor]) -> torch.nn.Module:
    """Load weights (any float dtype) and rebuild the entropy coders' CDF tables."""
    ref = model.state_dict()
    sd = {k: (v.to(ref[k].dtype) if k in ref and v.is_floating_point() else v) for k, v in state_dict.items()}
    for k in sd:
        if k.endswith(CONSTANT_BUFFERS) and k in ref:
            sd[k] = ref[k]
    # CompressAI's own loader resizes the CDF buffers of the entropy models before loading
    ScaleHyperprior.load_state_dict(model, sd)
    model.update(force=True)
    return model


def save_checkpoint(path: str | os.PathLike, model: torch.nn.Module, **extra) -> Path:
    """Write ``{config, state_dict, **extra}`` (+ ``int_prior``: its arrays, where attached) atomically."""
    buf = io.BytesIO()
    payload = {"config": getattr(model, "config", {}), "state_dict": model.state_dict(), **extra, **prior_payload(model)}
    torch.save(payload, buf)
    return atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | os.PathLike, gdn: str | None = None, **overrides) -> torch.nn.Module:
    """Model from one of our checkpoints or from a CompressAI-format state dict.

    Our format is ``{"config": {...}, "state_dict": {...}}``. CompressAI's zoo files are a bare
    state dict (or ``{"state_dict": ...}`` from its ``examples/train.py``); N and M are then
    inferred from the weight shapes. The returned model is in eval mode with CDFs updated.
    """
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"checkpoint {path} does not exist")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds here
        raise ArtifactError(f"checkpoint {path} is unreadable ({type(exc).__name__}: {exc})") from None
    if isinstance(obj, dict) and "state_dict" in obj:
        sd, config = obj["state_dict"], dict(obj.get("config") or {})
    elif isinstance(obj, dict):
        sd, config = obj, {}
    else:
        raise ArtifactError(f"checkpoint {path} holds {type(obj).__name__}, not a state dict")
    sd = {k.removeprefix("module."): v for k, v in sd.items()}  # DDP-saved weights
    if not config:
        n, m = infer_widths(sd)
        config = {"arch": "hyperprior", "N": n, "M": m, "gdn": "standard"}
    config.update(overrides)
    if gdn is not None:
        config["gdn"] = gdn
    arch = config.pop("arch", "hyperprior")
    model = load_state_dict_into(build_model(arch, **config), sd).eval()
    return restore_prior(model, obj, str(path))


def prior_payload(model: torch.nn.Module) -> dict:
    """``{"int_prior": arrays}`` of a model's integer entropy model (empty without one): what a checkpoint adds."""
    prior = getattr(model, "int_prior", None)
    return {} if prior is None else {"int_prior": {k: torch.from_numpy(v.copy()) for k, v in prior.to_arrays().items()}}


def restore_prior(model: torch.nn.Module, obj, where: str) -> torch.nn.Module:
    """Attach the integer entropy model a checkpoint ``obj`` holds (:func:`prior_payload`), if any."""
    if isinstance(obj, dict) and obj.get("int_prior"):
        from lic.codec.intprior import IntPrior

        model.int_prior = IntPrior.from_arrays(obj["int_prior"], where)
    return model
