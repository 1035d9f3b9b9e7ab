// Synthesis tops of the integer hyperprior (lic.codec.intprior): h_a and h_s with the scale index.
// The layer configs / weights / threshold ROM come from the generated "hyper_parameters.h"
// (lic/hw/hls_hyper.py).
#ifndef LIC_HYPER_TOP_H_
#define LIC_HYPER_TOP_H_

#include "lic_types.h"
#include "hyper_parameters.h"

// h_a: |y| in fixed point (h, w, M) unsigned 16 bit, one latent vector an AXI4-Stream beat ->
// z (ceil(h/4), ceil(w/4), N) signed 16 bit in PE-wide beats; raster order, channels innermost;
// TLAST on the last beat. conv 3x3/s1 + ReLU, conv 5x5/s2 + ReLU, conv 5x5/s2.
void lic_hyper_analysis(hls::stream<ha_axis_in_t>& in, hls::stream<ha_axis_out_t>& out, int height, int width);
// h_s: z_hat = (q << z_frac) + median (zh, zw, N) signed 16 bit, one vector a beat -> CDF indexes
// (4 zh, 4 zw, M) uint8 in PE-wide beats. deconv 5x5/s2 + ReLU (x2), conv 3x3/s1 + ReLU (the
// scales, unsigned 16 bit), scale index against the threshold ROM.
void lic_hyper_synthesis(hls::stream<hs_axis_in_t>& in, hls::stream<hs_axis_out_t>& out, int height, int width);

#endif
