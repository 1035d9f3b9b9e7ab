// Shared part of the ctypes bridges of the g++ C-simulation (lic_bridge.cpp: g_a / g_s,
// hyper_bridge.cpp: h_a / h_s): the C-sim counters, stream helpers, the layer-wise run macros
// and the extern "C" counter entry points. Included by exactly one translation unit a library.
// Arrays are int32, raster order with channels innermost ([H][W][C]).
#ifndef LIC_BRIDGE_COMMON_H_
#define LIC_BRIDGE_COMMON_H_

#include <cstring>
#include <stdexcept>

#include "lic_types.h"

namespace lic {
long long g_cycles[LIC_MAX_LAYERS];
long long g_saturations[LIC_MAX_LAYERS];
long long g_words_in[LIC_MAX_LAYERS];
long long g_words_out[LIC_MAX_LAYERS];
long long g_mem_reads[LIC_MAX_LAYERS];
long long g_conflicts[LIC_MAX_LAYERS];
long long g_mults[LIC_MAX_LAYERS];
}  // namespace lic

namespace {

// a layer's config with its grid taken as given (layer-wise runs pass the layer's own input size)
template <class C>
struct own_grid : C {
    static const int grid_log2 = 0;
};

template <class W>
void push_words(hls::stream<W>& s, const int* a, long npix, int ch) {
    const int n = sizeof(((W*)0)->v) / sizeof(((W*)0)->v[0]);
    for (long px = 0; px < npix; px++)
        for (int k = 0; k < ch / n; k++) {
            W w;
            for (int j = 0; j < n; j++) w.v[j] = a[px * ch + k * n + j];
            s.write(w);
        }
}

template <class W>
long pop_words(hls::stream<W>& s, int* a, long cap) {
    const int n = sizeof(((W*)0)->v) / sizeof(((W*)0)->v[0]);
    long k = 0;
    while (!s.empty()) {
        W w = s.read();
        for (int j = 0; j < n; j++, k++)
            if (k < cap) a[k] = (int)w.v[j];
    }
    return k;
}

template <class A, int BITS>
void push_axis(hls::stream<A>& s, const int* a, long npix, int ch) {
    for (long px = 0; px < npix; px++) {
        A beat;
        for (int j = 0; j < ch; j++) {
            ap_uint<BITS> u = (ap_uint<BITS>)a[px * ch + j];
            beat.data.range(BITS * j + BITS - 1, BITS * j) = u;
        }
        beat.last = px == npix - 1;
        s.write(beat);
    }
}

// returns values written, or -2 when TLAST is not on exactly the last beat
template <class A, class T, int N, int BITS>
long pop_axis(hls::stream<A>& s, int* a, long cap) {
    long k = 0, beats = 0, lasts = 0;
    bool last_ok = false;
    while (!s.empty()) {
        A beat = s.read();
        beats++;
        if (beat.last) { lasts++; last_ok = s.empty(); }
        for (int j = 0; j < N; j++, k++) {
            ap_uint<BITS> u = beat.data.range(BITS * j + BITS - 1, BITS * j);
            T v;
            v.range(BITS - 1, 0) = u;
            if (k < cap) a[k] = (int)v;
        }
    }
    return (lasts == 1 && last_ok) ? k : -2;
}

#define LIC_CONV(PFX, K, FN)                                                                  \
    {                                                                                          \
        typedef own_grid<PFX##_l##K##_config> cfg;                                             \
        if (w > (int)cfg::lb_width) return -3;                                                 \
        hls::stream<PFX##_l##K##_in_word_t> si;                                                \
        hls::stream<PFX##_l##K##_out_word_t> so;                                               \
        push_words(si, in, (long)h * w, cfg::in_ch);                                           \
        lic::FN<PFX##_l##K##_in_t, PFX##_l##K##_out_t, cfg>(si, so, h, w, PFX##_l##K##_w,     \
                                                            PFX##_l##K##_b, PFX##_l##K##_shift); \
        return pop_words(so, out, cap);                                                        \
    }
#define LIC_GDN(PFX, K)                                                                       \
    {                                                                                          \
        typedef own_grid<PFX##_l##K##_config> cfg;                                             \
        hls::stream<PFX##_l##K##_in_word_t> si;                                                \
        hls::stream<PFX##_l##K##_out_word_t> so;                                               \
        push_words(si, in, (long)h * w, cfg::ch);                                              \
        lic::gdn<PFX##_l##K##_in_t, PFX##_l##K##_out_t, cfg>(si, so, h, w, PFX##_l##K##_gamma, \
                                                             PFX##_l##K##_beta);               \
        return pop_words(so, out, cap);                                                        \
    }

#define LIC_INDEX(PFX, K)                                                                     \
    {                                                                                          \
        typedef own_grid<PFX##_l##K##_config> cfg;                                             \
        hls::stream<PFX##_l##K##_in_word_t> si;                                                \
        hls::stream<PFX##_l##K##_out_word_t> so;                                               \
        push_words(si, in, (long)h * w, cfg::ch);                                              \
        lic::scale_index<PFX##_l##K##_in_t, PFX##_l##K##_out_t, cfg>(si, so, h, w,              \
                                                                      PFX##_l##K##_thresh);     \
        return pop_words(so, out, cap);                                                        \
    }

}  // namespace

extern "C" {

// Number of layer-counter slots (g_a layers 0..6, g_s 8..14, h_a 16..18, h_s 24..27).
int lic_max_layers() { return LIC_MAX_LAYERS; }
void lic_reset_counters() {
    std::memset(lic::g_cycles, 0, sizeof(lic::g_cycles));
    std::memset(lic::g_saturations, 0, sizeof(lic::g_saturations));
    std::memset(lic::g_words_in, 0, sizeof(lic::g_words_in));
    std::memset(lic::g_words_out, 0, sizeof(lic::g_words_out));
    std::memset(lic::g_mem_reads, 0, sizeof(lic::g_mem_reads));
    std::memset(lic::g_conflicts, 0, sizeof(lic::g_conflicts));
    std::memset(lic::g_mults, 0, sizeof(lic::g_mults));
}

void lic_get_counters(long long* cycles, long long* saturations) {
    std::memcpy(cycles, lic::g_cycles, sizeof(lic::g_cycles));
    std::memcpy(saturations, lic::g_saturations, sizeof(lic::g_saturations));
}

// words read / written, weight-memory words read, bank conflicts, multiplies (a slot a layer)
void lic_get_beat_counters(long long* words_in, long long* words_out, long long* mem_reads,
                           long long* conflicts, long long* mults) {
    std::memcpy(mults, lic::g_mults, sizeof(lic::g_mults));
    std::memcpy(words_in, lic::g_words_in, sizeof(lic::g_words_in));
    std::memcpy(words_out, lic::g_words_out, sizeof(lic::g_words_out));
    std::memcpy(mem_reads, lic::g_mem_reads, sizeof(lic::g_mem_reads));
    std::memcpy(conflicts, lic::g_conflicts, sizeof(lic::g_conflicts));
}

}  // extern "C"

#endif
