// ctypes entry points for the RTL co-simulation (lic/hw/rtl/): run the unmodified HLS
// kernels lic::gdn (gdn.h) and lic::conv2d (conv.h) on per-call parameters, so random
// test vectors with their own gamma/beta/weights/shifts get C-sim reference outputs.
//
// The configs below keep every value the kernels use as a *size* a compile-time constant
// (channels padded to RTLVEC_MAX_CH: padded inputs/weights are 0, padded beta 1, and padded
// outputs are dropped) while the values the kernels only use in expressions (shifts, ranges,
// accumulator width) are static members set before each call.
#include <cstring>

#include "conv.h"
#include "gdn.h"

namespace lic {
long long g_cycles[LIC_MAX_LAYERS];
long long g_saturations[LIC_MAX_LAYERS];
long long g_words_in[LIC_MAX_LAYERS];
long long g_words_out[LIC_MAX_LAYERS];
long long g_mem_reads[LIC_MAX_LAYERS];
long long g_conflicts[LIC_MAX_LAYERS];
long long g_mults[LIC_MAX_LAYERS];
}  // namespace lic

#define RTLVEC_MAX_CH 16
#define RTLVEC_MAX_W 64

namespace {

template <bool INV, bool STD>
struct gdn_cfg {
    static const int layer_id = 0;
    static const unsigned ch = RTLVEC_MAX_CH, pe = 1, simd = 1, in_words = 1;
    static const unsigned nf = RTLVEC_MAX_CH, sf = RTLVEC_MAX_CH, folds = RTLVEC_MAX_CH * RTLVEC_MAX_CH;
    static const int grid_log2 = 0;
    static const bool inverse = INV, standard = STD;
    static const int sqrt_bits = 56, div_bits = 9;  // acc_bits 48, sqrt_frac 4; div 8+1
    static int acc_bits, sqrt_frac, s_num, s_den, shift;
    static long long out_min, out_max;
    typedef ap_uint<32> gamma_t;
    typedef ap_uint<48> beta_t;
};
template <bool I, bool S> int gdn_cfg<I, S>::acc_bits;
template <bool I, bool S> int gdn_cfg<I, S>::sqrt_frac;
template <bool I, bool S> int gdn_cfg<I, S>::s_num;
template <bool I, bool S> int gdn_cfg<I, S>::s_den;
template <bool I, bool S> int gdn_cfg<I, S>::shift;
template <bool I, bool S> long long gdn_cfg<I, S>::out_min;
template <bool I, bool S> long long gdn_cfg<I, S>::out_max;

struct conv_cfg {
    static const int layer_id = 0;
    static const unsigned in_ch = RTLVEC_MAX_CH, out_ch = RTLVEC_MAX_CH, pe = 1, simd = 1, in_words = 1;
    static const unsigned nf = RTLVEC_MAX_CH, sf = 25 * RTLVEC_MAX_CH, folds = nf * sf;
    static const unsigned lb_width = RTLVEC_MAX_W, pack = 1;
    static const unsigned kernel = 5, stride = 2, pad = 2;
    static const bool relu = false;
    static const int grid_log2 = 0;
    static long long acc_min, acc_max, out_min, out_max;
    typedef ap_int<8> weight_t;
    typedef ap_int<32> bias_t;
    typedef ap_int<8> shift_t;
};
long long conv_cfg::acc_min, conv_cfg::acc_max, conv_cfg::out_min, conv_cfg::out_max;

typedef ap_int<17> act_t;  // holds int16 (GDN input, latents), int8 and uint8 activations
typedef ap_int<33> res_t;  // wide enough for every output range (values are clamped first)

template <bool INV, bool STD>
long run_gdn(int npix, const int* x, const long long* gamma, const long long* beta, int* out,
             int acc_bits, int sqrt_frac, int s_num, int s_den, int shift, long long lo, long long hi) {
    typedef gdn_cfg<INV, STD> cfg;
    cfg::acc_bits = acc_bits; cfg::sqrt_frac = sqrt_frac;
    cfg::s_num = s_num; cfg::s_den = s_den; cfg::shift = shift;
    cfg::out_min = lo; cfg::out_max = hi;
    // PE = SIMD = 1: the [PE][SIMD][folds] layout is the flat [i][j] / [i] order
    static typename cfg::gamma_t g[1][1][RTLVEC_MAX_CH * RTLVEC_MAX_CH];
    static typename cfg::beta_t b[1][RTLVEC_MAX_CH];
    for (int k = 0; k < RTLVEC_MAX_CH * RTLVEC_MAX_CH; k++) g[0][0][k] = (unsigned long long)gamma[k];
    for (int k = 0; k < RTLVEC_MAX_CH; k++) b[0][k] = (unsigned long long)beta[k];
    hls::stream<lic::word<act_t, RTLVEC_MAX_CH> > si;
    hls::stream<lic::word<res_t, 1> > so;
    for (long px = 0; px < npix; px++) {
        lic::word<act_t, RTLVEC_MAX_CH> wd;
        for (int j = 0; j < RTLVEC_MAX_CH; j++) wd.v[j] = (act_t)x[px * RTLVEC_MAX_CH + j];
        si.write(wd);
    }
    lic::gdn<act_t, res_t, cfg>(si, so, 1, npix, g, b);
    long n = 0;
    while (!so.empty()) { res_t v = so.read().v[0]; out[n++] = (int)v.to_int64(); }
    return n;
}

}  // namespace

extern "C" {

void rtlvec_counters(long long* cycles, long long* saturations) {
    *cycles = lic::g_cycles[0];
    *saturations = lic::g_saturations[0];
}

int rtlvec_max_ch() { return RTLVEC_MAX_CH; }
int rtlvec_max_width() { return RTLVEC_MAX_W; }

// GDN/IGDN on npix pixels x [npix][16] (channels padded to 16), gamma [16][16], beta [16];
// out [npix][16]. Returns values written (-1: unsupported sqrt width).
long rtlvec_gdn(int inverse, int standard, int npix, const int* x, const long long* gamma,
                const long long* beta, int* out, int acc_bits, int sqrt_frac, int s_num,
                int s_den, int shift, long long out_min, long long out_max) {
    std::memset(lic::g_cycles, 0, sizeof(lic::g_cycles));
    std::memset(lic::g_saturations, 0, sizeof(lic::g_saturations));
    if (standard && 2 * ((acc_bits + 2 * sqrt_frac + 1) / 2) != 56) return -1;
    if (inverse && standard)
        return run_gdn<true, true>(npix, x, gamma, beta, out, acc_bits, sqrt_frac, s_num, s_den, shift, out_min, out_max);
    if (inverse)
        return run_gdn<true, false>(npix, x, gamma, beta, out, acc_bits, sqrt_frac, s_num, s_den, shift, out_min, out_max);
    if (standard)
        return run_gdn<false, true>(npix, x, gamma, beta, out, acc_bits, sqrt_frac, s_num, s_den, shift, out_min, out_max);
    return run_gdn<false, false>(npix, x, gamma, beta, out, acc_bits, sqrt_frac, s_num, s_den, shift, out_min, out_max);
}

// 5x5/s2 conv on an h x w image x [h][w][16]; weights [16][5][5][16], bias [16], shift [16];
// out [(h+1)/2][(w+1)/2][16]. Returns values written (-1: image wider than the line buffer).
long rtlvec_conv(int h, int w, const int* x, const int* weights, const long long* bias,
                 const int* shift, int* out, long long acc_min, long long acc_max,
                 long long out_min, long long out_max) {
    std::memset(lic::g_cycles, 0, sizeof(lic::g_cycles));
    std::memset(lic::g_saturations, 0, sizeof(lic::g_saturations));
    if (w > RTLVEC_MAX_W) return -1;
    conv_cfg::acc_min = acc_min; conv_cfg::acc_max = acc_max;
    conv_cfg::out_min = out_min; conv_cfg::out_max = out_max;
    const int N = RTLVEC_MAX_CH;
    // PE = SIMD = 1: the [PE][SIMD][folds] layout is the flat [o][ky][kx][i] order
    static conv_cfg::weight_t wt[1][1][N * 25 * N];
    static conv_cfg::bias_t bt[1][N];
    static conv_cfg::shift_t st[1][N];
    for (int k = 0; k < N * 25 * N; k++) wt[0][0][k] = weights[k];
    for (int k = 0; k < N; k++) { bt[0][k] = bias[k]; st[0][k] = shift[k]; }
    hls::stream<lic::word<act_t, N> > si;
    hls::stream<lic::word<res_t, 1> > so;
    for (long px = 0; px < (long)h * w; px++) {
        lic::word<act_t, N> wd;
        for (int j = 0; j < N; j++) wd.v[j] = (act_t)x[px * N + j];
        si.write(wd);
    }
    lic::conv2d<act_t, res_t, conv_cfg>(si, so, h, w, wt, bt, st);
    long n = 0;
    while (!so.empty()) { res_t v = so.read().v[0]; out[n++] = (int)v.to_int64(); }
    return n;
}

}  // extern "C"
