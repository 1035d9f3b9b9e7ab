// ctypes entry points for the g++ C-simulation (hls4ml build_lib.sh style).
// Arrays are int32, raster order with channels innermost ([H][W][C]).
#include <cstring>
#include <stdexcept>

#include "conv.h"
#include "deconv.h"
#include "gdn.h"
#include "top.h"

namespace lic {
long long g_cycles[LIC_MAX_LAYERS];
long long g_saturations[LIC_MAX_LAYERS];
}  // namespace lic

namespace {

template <class T>
void push(hls::stream<T>& s, const int* a, long n) {
    for (long k = 0; k < n; k++) s.write((T)a[k]);
}

template <class T>
long pop(hls::stream<T>& s, int* a, long cap) {
    long n = 0;
    while (!s.empty()) {
        T v = s.read();
        if (n < cap) a[n] = (int)v;
        n++;
    }
    return n;
}

#define LIC_CONV(PFX, K, FN)                                                                  \
    {                                                                                          \
        hls::stream<PFX##_l##K##_in_t> si;                                                     \
        hls::stream<PFX##_l##K##_out_t> so;                                                    \
        push(si, in, (long)h * w * PFX##_l##K##_config::in_ch);                               \
        lic::FN<PFX##_l##K##_in_t, PFX##_l##K##_out_t, PFX##_l##K##_config>(                  \
            si, so, h, w, PFX##_l##K##_w, PFX##_l##K##_b, PFX##_l##K##_shift);                \
        return pop(so, out, cap);                                                              \
    }
#define LIC_GDN(PFX, K)                                                                       \
    {                                                                                          \
        hls::stream<PFX##_l##K##_in_t> si;                                                     \
        hls::stream<PFX##_l##K##_out_t> so;                                                    \
        push(si, in, (long)h * w * PFX##_l##K##_config::ch);                                  \
        lic::gdn<PFX##_l##K##_in_t, PFX##_l##K##_out_t, PFX##_l##K##_config>(                 \
            si, so, h, w, PFX##_l##K##_gamma, PFX##_l##K##_beta);                             \
        return pop(so, out, cap);                                                              \
    }

}  // namespace

extern "C" {

// Number of layer-counter slots (g_a layers are 0..6, g_s layers 8..14).
int lic_max_layers() { return LIC_MAX_LAYERS; }
int lic_has_gs() {
#ifdef LIC_HAS_GS
    return 1;
#else
    return 0;
#endif
}

void lic_reset_counters() {
    std::memset(lic::g_cycles, 0, sizeof(lic::g_cycles));
    std::memset(lic::g_saturations, 0, sizeof(lic::g_saturations));
}

void lic_get_counters(long long* cycles, long long* saturations) {
    std::memcpy(cycles, lic::g_cycles, sizeof(lic::g_cycles));
    std::memcpy(saturations, lic::g_saturations, sizeof(lic::g_saturations));
}

// One g_a layer (idx 0..6) on its input of size h x w; returns values written (-1: bad idx).
long lic_ga_layer(int idx, const int* in, int* out, long cap, int h, int w) {
    switch (idx) {
        case 0: LIC_CONV(ga, 0, conv2d_s2)
        case 1: LIC_GDN(ga, 1)
        case 2: LIC_CONV(ga, 2, conv2d_s2)
        case 3: LIC_GDN(ga, 3)
        case 4: LIC_CONV(ga, 4, conv2d_s2)
        case 5: LIC_GDN(ga, 5)
        case 6: LIC_CONV(ga, 6, conv2d_s2)
        default: return -1;
    }
}

// The whole dataflow top lic_analysis on an h x w image.
long lic_ga_run(const int* in, int* out, long cap, int h, int w) {
    hls::stream<ga_l0_in_t> si;
    hls::stream<ga_l6_out_t> so;
    push(si, in, (long)h * w * ga_l0_config::in_ch);
    lic_analysis(si, so, h, w);
    return pop(so, out, cap);
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
    hls::stream<gs_l0_in_t> si;
    hls::stream<gs_l6_out_t> so;
    push(si, in, (long)h * w * gs_l0_config::in_ch);
    lic_synthesis(si, so, h, w);
    return pop(so, out, cap);
}
#endif

}  // extern "C"
