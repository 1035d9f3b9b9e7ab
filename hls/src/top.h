// Synthesis tops: the analysis transform g_a (and, with LIC_HAS_GS, the synthesis g_s).
// The layer configs / weights come from the generated "parameters.h" (lic/hls_export.py).
#ifndef LIC_TOP_H_
#define LIC_TOP_H_

#include "lic_types.h"
#include "parameters.h"

// g_a: uint8 pixels (H, W, 3) -> int latents (H/16, W/16, M); raster order, channels innermost
void lic_analysis(hls::stream<ga_l0_in_t>& in, hls::stream<ga_l6_out_t>& out, int height, int width);
#ifdef LIC_HAS_GS
// g_s: int latents (h, w, M) -> uint8 pixels (16h, 16w, 3)
void lic_synthesis(hls::stream<gs_l0_in_t>& in, hls::stream<gs_l6_out_t>& out, int height, int width);
#endif

#endif
