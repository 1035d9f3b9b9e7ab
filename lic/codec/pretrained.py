"""CompressAI's own pretrained bmshj2018-hyperprior (MSE), the paper's teacher, as a
:class:`lic.codec.models.HyperpriorLIC`: stage 01's ``init="compressai"`` (the paper preset).

The weights come through ``compressai.zoo`` (downloaded once into the torch hub cache, read from
there offline); λ maps to CompressAI's quality by its own λ table.
"""

from __future__ import annotations

from pathlib import Path

import torch

from lic.errors import ArtifactError, ParameterError

__all__ = ["COMPRESSAI_LAMBDAS", "compressai_quality", "compressai_cache_file", "load_compressai"]

#: CompressAI's λ of bmshj2018-hyperprior (MSE) quality 1..8 (its zoo docs and ``examples/train.py``)
COMPRESSAI_LAMBDAS = {1: 0.0018, 2: 0.0035, 3: 0.0067, 4: 0.0130, 5: 0.0250, 6: 0.0483, 7: 0.0932, 8: 0.1800}


def compressai_quality(lmbda: float) -> int:
    """CompressAI zoo quality 1..8 trained at ``lmbda`` (within 2 %).

    Raises:
        ParameterError: ``lmbda`` is none of CompressAI's λ.
    """
    q = min(COMPRESSAI_LAMBDAS, key=lambda k: abs(COMPRESSAI_LAMBDAS[k] - lmbda))
    if abs(COMPRESSAI_LAMBDAS[q] - lmbda) > 0.02 * COMPRESSAI_LAMBDAS[q]:
        raise ParameterError(f"λ={lmbda} is not one of CompressAI's bmshj2018-hyperprior points "
                             f"{sorted(COMPRESSAI_LAMBDAS.values())}")
    return q


def compressai_cache_file(quality: int) -> Path:
    """Where torch.hub keeps CompressAI's pretrained file of ``quality`` (``$TORCH_HOME/hub/checkpoints``)."""
    from compressai.zoo.image import model_urls

    url = model_urls["bmshj2018-hyperprior"]["mse"][quality]
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]


def load_compressai(lmbda: float) -> torch.nn.Module:
    """The paper's teacher: CompressAI's pretrained bmshj2018-hyperprior (MSE) at ``lmbda``, through
    ``compressai.zoo`` (downloaded once, then read from the torch hub cache — works offline when the
    file is there), as a :class:`lic.codec.models.HyperpriorLIC` (same parameter names) in eval mode.

    Quality 1-5 have N=128, M=192 (the paper's teacher: quality 5, λ=0.025), 6-8 N=192, M=320.

    Raises:
        ParameterError: ``lmbda`` is not a CompressAI λ.
        ArtifactError: the weights can be neither downloaded nor found in the cache.
    """
    from compressai.zoo import bmshj2018_hyperprior

    from lic.codec.models import build_model, infer_widths, load_state_dict_into

    q = compressai_quality(lmbda)
    try:
        ref = bmshj2018_hyperprior(q, metric="mse", pretrained=True, progress=False)
    except Exception as exc:  # noqa: BLE001 - urllib, torch.load and hub raise many kinds
        raise ArtifactError(f"CompressAI bmshj2018-hyperprior quality {q} is not available ({type(exc).__name__}: "
                            f"{exc}); offline, place its file at {compressai_cache_file(q)}") from None
    sd = ref.state_dict()
    n, m = infer_widths(sd)
    return load_state_dict_into(build_model(N=n, M=m), sd).eval()
