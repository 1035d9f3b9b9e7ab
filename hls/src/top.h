// Synthesis tops: the analysis transform g_a (and, with LIC_HAS_GS, the synthesis g_s).
// The layer configs / weights come from the generated "parameters.h" (lic/hw/hls_export.py).
#ifndef LIC_TOP_H_
#define LIC_TOP_H_

#include "lic_types.h"
#include "parameters.h"

// g_a: uint8 pixels (H, W, 3), one pixel an AXI4-Stream beat -> int latents (ceil(H/16),
// ceil(W/16), M) in PE-wide beats; raster order, channels innermost; TLAST on the last beat.
void lic_analysis(hls::stream<ga_axis_in_t>& in, hls::stream<ga_axis_out_t>& out, int height, int width);
#ifdef LIC_HAS_GS
// g_s: int latents (h, w, M), one latent vector a beat -> uint8 pixels (16h, 16w, 3)
void lic_synthesis(hls::stream<gs_axis_in_t>& in, hls::stream<gs_axis_out_t>& out, int height, int width);
#endif

#endif
