r"""Test vectors of the RTL units and their expected outputs.

Vectors come in *groups*: a group is one tiny integer layer (its own random gamma/beta or
weights/bias/shifts) with its input, so the reference runs the real
:class:`lic.hw.fixedpoint.IntTransform` code; a group expands to one RTL job per output value.
Random groups draw every word log-uniformly over its full range (so D saturation, divider
overflow, accumulator and output clamps all occur); real groups are layers of a quantised
codec on an image (:func:`layer_vectors`, :func:`demo_transforms`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lic.hw.fixedpoint import FixedPointConfig, IntLayer, IntTransform
from lic.hw.rtl.units import ConvConfig, GdnConfig

__all__ = ["Group", "VectorSet", "random_gdn_vectors", "random_conv_vectors", "layer_vectors",
           "conv_jobs", "gdn_jobs", "reference_outputs", "demo_transforms", "demo_encoder", "default_sets"]


@dataclass
class Group:
    """One tiny integer layer and its input: ``layer`` (an :class:`IntLayer`) and ``x``
    (``[C_in, H, W]``). GDN groups use ``H = 1``, one pixel a column."""

    layer: IntLayer
    x: np.ndarray


@dataclass
class VectorSet:
    """Groups sharing one RTL configuration; ``label`` names them in reports."""

    cfg: GdnConfig | ConvConfig
    groups: list[Group]
    label: str = ""
    fp_cfg: FixedPointConfig = field(default_factory=FixedPointConfig)

    @property
    def unit(self) -> str:
        """The unit the vectors are for (``"gdn"``, ``"igdn"`` or ``"conv"``)."""
        return self.cfg.unit

    def __len__(self) -> int:
        return sum(_n_out(self.cfg, g) for g in self.groups)


def _n_out(cfg, g: Group) -> int:
    c, h, w = g.x.shape
    if isinstance(cfg, GdnConfig):
        return c * h * w
    return g.layer.attrs["out_ch"] * ((h + 1) // 2) * ((w + 1) // 2)


def _loguniform(rng, bits: int, size, lo: int = 0) -> np.ndarray:
    """Non-negative ints whose bit length is uniform in ``0..bits`` (all magnitudes occur)."""
    e = rng.integers(0, bits + 1, size=size)
    hi = np.left_shift(np.int64(1), e.astype(np.int64))
    v = (rng.random(size) * hi).astype(np.int64)
    return np.maximum(v, lo)


def _signed_mix(rng, bits: int, size) -> np.ndarray:
    """Signed ``bits``-bit ints: half uniform over the full range, half log-uniform, plus edges."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    u = rng.integers(lo, hi + 1, size=size)
    m = _loguniform(rng, bits - 1, size) * rng.choice([-1, 1], size=size)
    v = np.where(rng.random(size) < 0.5, u, np.clip(m, lo, hi))
    flat = v.reshape(-1)
    edges = np.array([lo, hi, 0, 1, -1, lo + 1])
    k = min(flat.size, edges.size)
    pos = rng.choice(flat.size, size=k, replace=False)
    flat[pos] = edges[:k]
    return flat.reshape(v.shape)


def random_gdn_vectors(cfg: GdnConfig, n: int, rng: np.random.Generator,
                       pixels_per_group: int = 10, label: str = "") -> VectorSet:
    """About ``n`` random jobs (``cfg.channels`` a pixel), a fresh gamma/beta every group.

    gamma, beta and |x| are log-uniform over their full widths (standard GDN: gamma below
    ``2^(62 - 2 in_bits - log2 C)`` so the C++ int64 sum cannot wrap), beta >= 1.
    """
    C = cfg.channels
    g_bits = cfg.gamma_bits
    if cfg.variant == "standard":
        g_bits = min(g_bits, 62 - 2 * (cfg.in_bits - 1) - int(math.ceil(math.log2(C))) - 1)
    groups = []
    n_groups = max(1, -(-n // (C * pixels_per_group)))
    for k in range(n_groups):
        # every group its own magnitude caps, so that small and huge denominators both occur
        gamma = _loguniform(rng, int(rng.integers(0, g_bits + 1)), (C, C))
        beta = _loguniform(rng, int(rng.integers(0, cfg.acc_bits + 1)), C, lo=1)
        beta = np.minimum(beta, (1 << cfg.acc_bits) - 1)
        x = _signed_mix(rng, cfg.in_bits, (C, 1, pixels_per_group))
        if k % 2:  # small inputs too
            x = x >> int(rng.integers(0, cfg.in_bits))
        if k % 4 < 3:  # 3 groups in 4: scale D so that typical results are in range
            gamma, beta = _retarget(cfg, gamma, beta, x, rng, g_bits)
        layer = IntLayer(cfg.unit, f"rand.{k}", cfg.attrs(), dict(gamma=gamma, beta=beta))
        groups.append(Group(layer, x))
    return VectorSet(cfg, groups, label or f"random {cfg.unit}")


def _retarget(cfg: GdnConfig, gamma, beta, x, rng, g_bits: int):
    """Scale gamma and beta by one power of two so the group's median result lands near a
    random target in 1..256 (otherwise most random GDN results are 0 or clamped)."""
    ax = np.abs(x.reshape(x.shape[0], -1)).astype(np.float64)
    m = ax if cfg.variant == "simplified" else ax * ax
    d = np.median(beta[:, None] + gamma.astype(np.float64) @ m)
    lx = math.log2(max(float(np.median(ax)), 1.0))
    lq = float(rng.uniform(0, 8))
    ls = lx + cfg.s_num - cfg.s_den - lq if not cfg.inverse else cfg.shift + lq - lx
    ld = ls if cfg.variant == "simplified" else 2 * ls - 2 * cfg.sqrt_frac
    k = int(round(ld - math.log2(max(d, 1.0))))
    f = 2.0 ** k
    g = np.clip(np.floor(gamma * f), 0, (1 << g_bits) - 1).astype(np.int64)
    b = np.clip(np.floor(beta * f), 1, (1 << cfg.acc_bits) - 1).astype(np.int64)
    return g, b


def random_conv_vectors(cfg: ConvConfig, n: int, rng: np.random.Generator, out_ch: int = 16,
                        size: int = 5, label: str = "") -> VectorSet:
    """About ``n`` random conv jobs: ``size`` x ``size`` inputs, fresh weights every group.

    Weights uniform in the narrow int8 range, bias log-uniform signed over int32 with 10 %
    next to the int32 limits (accumulator clamps), shifts uniform in ``[-8, 40]``.
    """
    per = out_ch * ((size + 1) // 2) ** 2
    groups = []
    wmax = (1 << (cfg.w_bits - 1)) - 1
    amax = 1 << cfg.acc_bits - 1
    for k in range(max(1, -(-n // per))):
        w = rng.integers(-wmax, wmax + 1, size=(out_ch, cfg.in_ch, 5, 5))
        b = _loguniform(rng, cfg.acc_bits - 1, out_ch) * rng.choice([-1, 1], size=out_ch)
        near = rng.random(out_ch) < 0.1
        b = np.where(near, np.sign(b + 0.5).astype(np.int64) * (amax - 1 - rng.integers(0, 1 << 22, out_ch)), b)
        b = np.clip(b, -amax, amax - 1)
        sh = rng.integers(-8, 41, size=out_ch)
        if cfg.a_signed:
            x = _signed_mix(rng, cfg.a_bits, (cfg.in_ch, size, size))
        else:
            x = rng.integers(0, 1 << cfg.a_bits, size=(cfg.in_ch, size, size))
        layer = IntLayer("conv", f"rand.{k}", cfg.attrs(out_ch),
                         dict(weight=w, w_frac=np.zeros(out_ch, np.int64), bias=b, out_shift=sh))
        groups.append(Group(layer, x))
    return VectorSet(cfg, groups, label or "random conv")


def layer_vectors(t: IntTransform, idx: int, x: np.ndarray, simd: int = 1,
                  max_jobs: int | None = None) -> VectorSet:
    """The jobs of layer ``idx`` of a quantised transform on its real input ``x`` ``[C,H,W]``.

    GDN/IGDN: every pixel becomes a column of a ``[C, 1, P]`` group (at most ``max_jobs``
    values). Conv: the whole map (rows cut so that at most ``max_jobs`` outputs remain).
    """
    layer = t.layers[idx]
    x = np.asarray(x, dtype=np.int64)
    if layer.kind in ("gdn", "igdn"):
        cfg = GdnConfig.from_layer(layer, t.cfg, simd)
        cols = x.reshape(x.shape[0], 1, -1)
        if max_jobs is not None:
            cols = cols[:, :, : max(1, max_jobs // x.shape[0])]
        return VectorSet(cfg, [Group(layer, cols)], layer.name, t.cfg)
    cfg = ConvConfig.from_layer(layer, t.cfg, simd)
    if max_jobs is not None:
        ow = (x.shape[2] + 1) // 2
        rows = max(1, max_jobs // (layer.attrs["out_ch"] * ow))
        x = x[:, : 2 * rows]
    return VectorSet(cfg, [Group(layer, x)], layer.name, t.cfg)


def conv_jobs(g: Group) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(a [n, 25 I], w [n, 25 I], bias [n], shift [n])`` in conv.h tap order (ky, kx, i),
    jobs in raster order with the output channel innermost."""
    p = g.layer.params
    c, h, w = g.x.shape
    oh, ow = (h + 1) // 2, (w + 1) // 2
    xp = np.pad(g.x, ((0, 0), (2, 2), (2, 2)))
    iy = 2 * np.arange(oh)[:, None] + np.arange(5)[None, :]  # [oh, 5] into padded rows
    ix = 2 * np.arange(ow)[:, None] + np.arange(5)[None, :]
    patch = xp[:, iy[:, None, :, None], ix[None, :, None, :]]  # [c, oh, ow, 5, 5]
    patch = np.transpose(patch, (1, 2, 3, 4, 0)).reshape(oh * ow, 25 * c)  # (ky, kx, i)
    wt = np.transpose(p["weight"], (0, 2, 3, 1)).reshape(-1, 25 * c)  # [o, (ky, kx, i)]
    o = wt.shape[0]
    a = np.repeat(patch, o, axis=0)
    ww = np.tile(wt, (oh * ow, 1))
    return a, ww, np.tile(p["bias"], oh * ow), np.tile(p["out_shift"], oh * ow)


def gdn_jobs(g: Group) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_i [n], beta_i [n], x [n, C], gamma_i [n, C])``, pixel-major, channel innermost."""
    c = g.x.shape[0]
    px = g.x.reshape(c, -1).T  # [P, C]
    P = px.shape[0]
    xi = px.reshape(-1)
    beta = np.tile(g.layer.params["beta"], P)
    xs = np.repeat(px, c, axis=0)
    gam = np.tile(g.layer.params["gamma"], (P, 1))
    return xi, beta, xs, gam


def reference_outputs(vs: VectorSet) -> tuple[np.ndarray, int]:
    """Expected outputs (job order) and saturation count from :class:`IntTransform`."""
    ys, sats = [], 0
    for g in vs.groups:
        t = IntTransform([g.layer], vs.fp_cfg, "ref")
        y = t.run_layer(0, g.x)
        ys.append(np.transpose(y, (1, 2, 0)).reshape(-1))
        sats += t.saturations[g.layer.name]
    return np.concatenate(ys), sats


def demo_transforms(N: int = 8, M: int = 12, seed: int = 0, size: int = 64,
                    variant: str = "simplified"):
    """A tiny quantised codec with trained-like GDN parameters and an image for it.

    Returns:
        ``(int g_a, int g_s, pixels [3, size, size])``.
    """
    import torch
    from compressai.layers import GDN, GDN1

    from lic.codec.models import build_model
    from lic.hw import fixedpoint as fp

    torch.manual_seed(seed)
    model = build_model(N=N, M=M).eval()
    g = torch.Generator().manual_seed(seed)
    for seq in (model.g_a, model.g_s):
        for k, m in enumerate(seq):
            if isinstance(m, GDN):
                c = m.beta.numel()
                n = GDN1(c, inverse=m.inverse) if variant == "simplified" else GDN(c, inverse=m.inverse)
                with torch.no_grad():
                    n.beta.copy_(n.beta_reparam.init(0.5 + 1.5 * torch.rand(c, generator=g)))
                    n.gamma.copy_(n.gamma_reparam.init(0.2 * torch.rand(c, c, generator=g)))
                seq[k] = n
    # smooth-ish image: low-frequency noise, like a photo crop
    x = torch.nn.functional.interpolate(torch.rand(1, 3, size // 8, size // 8, generator=g),
                                        size=(size, size), mode="bilinear", align_corners=False)
    ga, gs = fp.quantize_codec(model, x)
    return ga, gs, fp.image_to_int(x[0])


def demo_encoder(N: int = 8, M: int = 12, seed: int = 0, hw: tuple[int, int] = (128, 192), codec: bool = False):
    """A tiny codec for the RTL encoder (:mod:`lic.hw.rtl.encoder`): integer g_a, integer prior, an image.

    Untrained weights, rescaled so that every output of the encoder carries information: g_a's last conv x 40
    (ŷ spans about -10..10), h_a's last x 20 (z symbols about -8..8), h_s's last x 30 plus a bias in [0, 1)
    (indexes over half the scale table), the factorized prior's medians moved by U(-2, 2) (non-zero ``m``);
    trained-like simplified GDNs as :func:`demo_transforms`. Calibrated on 4 smooth-noise images of ``hw``.

    Returns:
        ``(int g_a, IntPrior, pixels [3, H, W])`` (g_a's latents at the prior's ``y_frac``); with ``codec``, the
        float model with both attached as its integer encoder (:func:`lic.codec.intprior.set_int_ga`) in front.
    """
    import torch
    from compressai.layers import GDN, GDN1

    from lic.codec.intprior import IntPrior, set_int_ga
    from lic.codec.models import build_model
    from lic.hw import fixedpoint as fp

    torch.manual_seed(seed)
    model = build_model(N=N, M=M).eval()
    g = torch.Generator().manual_seed(seed)
    for k, m in enumerate(model.g_a):
        if isinstance(m, GDN):
            c = m.beta.numel()
            n = GDN1(c)
            with torch.no_grad():
                n.beta.copy_(n.beta_reparam.init(0.5 + 1.5 * torch.rand(c, generator=g)))
                n.gamma.copy_(n.gamma_reparam.init(0.2 * torch.rand(c, c, generator=g)))
            model.g_a[k] = n
    with torch.no_grad():
        model.g_a[6].weight.mul_(40)
        model.g_a[6].bias.mul_(40)
        model.h_a[4].weight.mul_(20)
        model.h_s[4].weight.mul_(30)
        model.h_s[4].bias.add_(torch.rand(M, generator=g))
        model.entropy_bottleneck.quantiles.add_(torch.rand(N, 1, 1, generator=g) * 4 - 2)

    def image():
        lo = torch.rand(1, 3, hw[0] // 8, hw[1] // 8, generator=g)
        return torch.nn.functional.interpolate(lo, size=tuple(hw), mode="bilinear", align_corners=False)

    calib = torch.cat([image() for _ in range(4)])
    model.update(force=True)
    model.int_prior = prior = IntPrior.from_model(model, calib)
    ga = fp.quantize_transform(model.g_a, calib, role="analysis").with_output_frac(prior.y_frac)
    out = (ga, prior, fp.image_to_int(image()[0]).astype(np.int64))
    return (set_int_ga(model, ga), *out) if codec else out


def default_sets(n_vectors: int = 10000, seed: int = 0, real: tuple | None = None,
                 simd_gdn: int = 1, simd_conv: int = 4) -> dict[str, list[VectorSet]]:
    """The vector sets of :func:`cosim_report`: per unit two random configurations (half
    the vectors each) plus, when ``real = (ga, gs, pixels)``, one real layer."""
    rng = np.random.default_rng(seed)
    h = max(1, n_vectors // 2)
    g1 = GdnConfig(simd=simd_gdn, s_num=39, s_den=0)
    g2 = GdnConfig(simd=simd_gdn, s_num=12, s_den=5)
    i1 = GdnConfig(simd=simd_gdn, inverse=True, acc_bits=46, shift=51)
    i2 = GdnConfig(simd=simd_gdn, inverse=True, acc_bits=46, shift=20)
    c1 = ConvConfig(in_ch=4, simd=simd_conv)
    c2 = ConvConfig(in_ch=4, simd=simd_conv, a_signed=False, out_bits=8, out_signed=False)
    sets = {
        "gdn": [random_gdn_vectors(g1, h, rng, label="random s_num=39"),
                random_gdn_vectors(g2, n_vectors - h, rng, label="random s_num=12 s_den=5")],
        "igdn": [random_gdn_vectors(i1, h, rng, label="random shift=51"),
                 random_gdn_vectors(i2, n_vectors - h, rng, label="random shift=20")],
        "conv": [random_conv_vectors(c1, h, rng, label="random int8->int16"),
                 random_conv_vectors(c2, n_vectors - h, rng, label="random uint8->uint8")],
    }
    if real is not None:
        ga, gs, pix = real
        pix = np.asarray(pix)[:, :64, :64]  # a 64x64 crop keeps the real sets small
        x1 = ga.run(pix, upto=1)
        sets["gdn"].append(layer_vectors(ga, 1, x1, simd_gdn, max_jobs=2048))
        y = ga.run(pix)
        sets["igdn"].append(layer_vectors(gs, 1, gs.run(y, upto=1), simd_gdn, max_jobs=2048))
        sets["conv"].append(layer_vectors(ga, 2, ga.run(pix, upto=2), simd_conv, max_jobs=512))
    return sets
