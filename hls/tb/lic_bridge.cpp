// ctypes entry points for the g++ C-simulation (hls4ml build_lib.sh style).
// Arrays are int32, raster order with channels innermost ([H][W][C]).
#include "axis.h"
#include "conv.h"
#include "deconv.h"
#include "gdn.h"
#include "top.h"
#include "bridge_common.h"

extern "C" {

int lic_has_gs() {
#ifdef LIC_HAS_GS
    return 1;
#else
    return 0;
#endif
}

// One g_a layer (idx 0..6) on its input of size h x w; returns values written (-1: bad idx,
// -3: wider than the layer's line buffer).
long lic_ga_layer(int idx, const int* in, int* out, long cap, int h, int w) {
    switch (idx) {
        case 0: LIC_CONV(ga, 0, conv2d)
        case 1: LIC_GDN(ga, 1)
        case 2: LIC_CONV(ga, 2, conv2d)
        case 3: LIC_GDN(ga, 3)
        case 4: LIC_CONV(ga, 4, conv2d)
        case 5: LIC_GDN(ga, 5)
        case 6: LIC_CONV(ga, 6, conv2d)
        default: return -1;
    }
}

// The whole dataflow top lic_analysis on an h x w image (AXI4-Stream in and out; -2: bad TLAST).
long lic_ga_run(const int* in, int* out, long cap, int h, int w) {
    if (w > (int)ga_l0_config::lb_width) return -3;
    hls::stream<ga_axis_in_t> si;
    hls::stream<ga_axis_out_t> so;
    push_axis<ga_axis_in_t, ga_l0_in_t::width>(si, in, (long)h * w, ga_l0_config::in_ch);
    lic_analysis(si, so, h, w);
    return pop_axis<ga_axis_out_t, ga_l6_out_t, ga_l6_config::pe, ga_l6_out_t::width>(so, out, cap);
}

#ifdef LIC_HAS_GS
long lic_gs_layer(int idx, const int* in, int* out, long cap, int h, int w) {
    switch (idx) {
        case 0: LIC_CONV(gs, 0, deconv2d_s2)
        case 1: LIC_GDN(gs, 1)
        case 2: LIC_CONV(gs, 2, deconv2d_s2)
        case 3: LIC_GDN(gs, 3)
        case 4: LIC_CONV(gs, 4, deconv2d_s2)
        case 5: LIC_GDN(gs, 5)
        case 6: LIC_CONV(gs, 6, deconv2d_s2)
        default: return -1;
    }
}

long lic_gs_run(const int* in, int* out, long cap, int h, int w) {
    if (w > (int)gs_l0_config::lb_width) return -3;
    hls::stream<gs_axis_in_t> si;
    hls::stream<gs_axis_out_t> so;
    push_axis<gs_axis_in_t, gs_l0_in_t::width>(si, in, (long)h * w, gs_l0_config::in_ch);
    lic_synthesis(si, so, h, w);
    return pop_axis<gs_axis_out_t, gs_l6_out_t, gs_l6_config::pe, gs_l6_out_t::width>(so, out, cap);
}
#endif

}  // extern "C"
