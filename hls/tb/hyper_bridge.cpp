// ctypes entry points of the hyperprior C-simulation (lic.hw.hyper_csim.HyperCSim): h_a and h_s
// layer by layer and through the dataflow tops. Arrays are int32, [H][W][C] (channels innermost).
#include "axis.h"
#include "conv.h"
#include "deconv.h"
#include "scale_index.h"
#include "hyper_top.h"
#include "bridge_common.h"

extern "C" {

// One h_a layer (idx 0..2) on its input of size h x w; returns values written (-1: bad idx,
// -3: wider than the layer's line buffer).
long lic_ha_layer(int idx, const int* in, int* out, long cap, int h, int w) {
    switch (idx) {
        case 0: LIC_CONV(ha, 0, conv2d)
        case 1: LIC_CONV(ha, 1, conv2d)
        case 2: LIC_CONV(ha, 2, conv2d)
        default: return -1;
    }
}

// lic_hyper_analysis on an h x w grid of |y| (AXI4-Stream in and out; -2: bad TLAST).
long lic_ha_run(const int* in, int* out, long cap, int h, int w) {
    if (w > (int)ha_l0_config::lb_width) return -3;
    hls::stream<ha_axis_in_t> si;
    hls::stream<ha_axis_out_t> so;
    push_axis<ha_axis_in_t, ha_l0_in_t::width>(si, in, (long)h * w, ha_l0_config::in_ch);
    lic_hyper_analysis(si, so, h, w);
    return pop_axis<ha_axis_out_t, ha_l2_out_t, ha_l2_config::pe, ha_l2_out_t::width>(so, out, cap);
}

// One h_s layer (idx 0..3, 3 = the scale index).
long lic_hs_layer(int idx, const int* in, int* out, long cap, int h, int w) {
    switch (idx) {
        case 0: LIC_CONV(hs, 0, deconv2d_s2)
        case 1: LIC_CONV(hs, 1, deconv2d_s2)
        case 2: LIC_CONV(hs, 2, conv2d)
        case 3: LIC_INDEX(hs, 3)
        default: return -1;
    }
}

// lic_hyper_synthesis on an h x w grid of z_hat -> the CDF indexes (4h x 4w x M).
long lic_hs_run(const int* in, int* out, long cap, int h, int w) {
    if (w > (int)hs_l0_config::lb_width) return -3;
    hls::stream<hs_axis_in_t> si;
    hls::stream<hs_axis_out_t> so;
    push_axis<hs_axis_in_t, hs_l0_in_t::width>(si, in, (long)h * w, hs_l0_config::in_ch);
    lic_hyper_synthesis(si, so, h, w);
    return pop_axis<hs_axis_out_t, hs_l3_out_t, hs_l3_config::pe, hs_l3_out_t::width>(so, out, cap);
}

}  // extern "C"
