// Shared integer primitives of the LIC accelerator. Bit-exact mirror of lic/fixedpoint/ (arith.py, transform.py):
//   rshift_round(v, s) = (v + 2^(s-1)) >> s  (s > 0, arithmetic shift: round half up)
//                      = v << -s             (s <= 0)
//   sat(v, lo, hi)     = clamp, counting every clamped value (C-sim counters)
#ifndef LIC_TYPES_H_
#define LIC_TYPES_H_

#include <stdint.h>
#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 4096  // AXI4-Stream words of a latent vector (M x 16 bit) exceed 1024 bits
#endif
#include "ap_int.h"
#include "stream.h"

namespace lic {

typedef int64_t wide_t;  // exact intermediate (accumulator + guard bits, GDN products)

// A stream word: N values moved in one beat (FINN: SIMD-wide input, PE-wide output words).
template <class T, int N>
struct word {
    T v[N];
};

#ifndef __SYNTHESIS__
// C-sim instrumentation, indexed by CONFIG_T::layer_id (0..LIC_MAX_LAYERS-1):
//   g_cycles      beats of the kernel's II=1 loops (prologue included) = modelled cycles
//   g_saturations clamped values
//   g_words_in / g_words_out   stream words read / written
//   g_mem_reads   weight-memory words read (one a PE bank a fold beat)
//   g_conflicts   beats in which one memory bank was read (or written) more than once
//   g_mults       multiplies issued (a packed pair of int8 MACs counts once: one DSP48E2)
#define LIC_MAX_LAYERS 32
extern long long g_cycles[LIC_MAX_LAYERS];
extern long long g_saturations[LIC_MAX_LAYERS];
extern long long g_words_in[LIC_MAX_LAYERS];
extern long long g_words_out[LIC_MAX_LAYERS];
extern long long g_mem_reads[LIC_MAX_LAYERS];
extern long long g_conflicts[LIC_MAX_LAYERS];
extern long long g_mults[LIC_MAX_LAYERS];
#define LIC_COUNT_CYCLE(id) (::lic::g_cycles[(id)] += 1)
#define LIC_COUNT_SAT(id) (::lic::g_saturations[(id)] += 1)
#define LIC_COUNT(arr, id, n) (::lic::arr[(id)] += (n))

// Per-beat access record of NB memory banks: a bank read (or written) twice in one beat is a
// conflict (a BRAM has one read and one write port here).
template <int NB>
struct BankCheck {
    int reads[NB], writes[NB];
    int id;
    explicit BankCheck(int layer) : id(layer) { clear(); }
    void clear() {
        for (int b = 0; b < NB; b++) reads[b] = writes[b] = 0;
    }
    void read(int b) {
        if (++reads[b] == 2) g_conflicts[id] += 1;
    }
    void write(int b) {
        if (++writes[b] == 2) g_conflicts[id] += 1;
    }
};
// Line-buffer hazard check: which input row each row memory holds and how many of its
// columns are complete; a window load of a row/column not yet written counts as a conflict.
template <int R>
struct LineTrack {
    int row[R], cols[R];
    int id;
    explicit LineTrack(int layer) : id(layer) {
        for (int r = 0; r < R; r++) row[r] = -1, cols[r] = 0;
    }
    void written(int bank, int r, int c, bool done) {
        if (row[bank] != r) row[bank] = r, cols[bank] = 0;
        if (done) cols[bank] = c + 1;
    }
    void check(int bank, int r, int c) {
        if (row[bank] != r || c >= cols[bank]) g_conflicts[id] += 1;
    }
};
#define LIC_LB_TRACK(name, nb, id) ::lic::LineTrack<(nb)> name(id)
#define LIC_LB_WRITTEN(name, bank, r, c, done) name.written(bank, r, c, done)
#define LIC_LB_CHECK(name, bank, r, c) name.check(bank, r, c)
#define LIC_BANKS(name, nb, id) ::lic::BankCheck<(nb)> name(id)
#define LIC_BANK_CLEAR(name) name.clear()
#define LIC_BANK_READ(name, b) name.read(b)
#define LIC_BANK_WRITE(name, b) name.write(b)
#else
#define LIC_COUNT_CYCLE(id)
#define LIC_COUNT_SAT(id)
#define LIC_COUNT(arr, id, n)
#define LIC_LB_TRACK(name, nb, id)
#define LIC_LB_WRITTEN(name, bank, r, c, done)
#define LIC_LB_CHECK(name, bank, r, c)
#define LIC_BANKS(name, nb, id)
#define LIC_BANK_CLEAR(name)
#define LIC_BANK_READ(name, b)
#define LIC_BANK_WRITE(name, b)
#endif

// Grid size of a layer's input from the frame size: G > 0 stride-2 convs before it (ceil of
// successive halvings), G < 0 stride-2 transposed convs before it (doublings).
template <int G>
inline int grid_dim(int n) {
#pragma HLS INLINE
    if (G < 0) return n << (-G);
    for (int k = 0; k < G; k++) n = (n + 1) / 2;
    return n;
}

inline wide_t rshift_round(wide_t v, int s) {
#pragma HLS INLINE
    if (s > 0) return (v + ((wide_t)1 << (s - 1))) >> s;
    if (s < 0) return (wide_t)((uint64_t)v << (-s));
    return v;
}

template <int ID>
inline wide_t sat(wide_t v, wide_t lo, wide_t hi) {
#pragma HLS INLINE
    if (v < lo) { LIC_COUNT_SAT(ID); return lo; }
    if (v > hi) { LIC_COUNT_SAT(ID); return hi; }
    return v;
}

// k-iteration restoring divider: min(num / den, 2^k - 1); ovf when num >= den << k.
// Two int8 products that share the activation in one 27x18 multiply (Xilinx WP486 INT8
// packing): (w_hi 2^18 + w_lo) a = (w_hi a) 2^18 + w_lo a. With |a| <= 256 and |w| <= 127,
// |w_lo a| < 2^17, so the low 18 bits hold w_lo a (sign-extended) and the rest is w_hi a.
inline void mul2_shared(wide_t a, wide_t w_hi, wide_t w_lo, wide_t& p_hi, wide_t& p_lo) {
#pragma HLS INLINE
    const wide_t prod = (w_hi * ((wide_t)1 << 18) + w_lo) * a;  // one DSP48E2 multiply
    wide_t lo = prod & 0x3FFFF;
    if (lo & 0x20000) lo -= 0x40000;
    p_lo = lo;
    p_hi = (prod - lo) >> 18;
}

template <int K>
inline uint64_t restoring_divide(uint64_t num, uint64_t den, bool& ovf) {
#pragma HLS INLINE
    ovf = num >= (den << K);
    if (ovf) return ((uint64_t)1 << K) - 1;
    uint64_t r = num, q = 0;
DIV_STEP:
    for (int b = K - 1; b >= 0; b--) {
#pragma HLS UNROLL
        uint64_t d = den << b;
        if (r >= d) { r -= d; q |= (uint64_t)1 << b; }
    }
    return q;
}

// digit-by-digit integer square root floor(sqrt(v)), v < 2^BITS (BITS even), BITS/2 steps
template <int BITS>
inline uint64_t isqrt(uint64_t v) {
#pragma HLS INLINE
    uint64_t res = 0, bit = (uint64_t)1 << (BITS - 2);
SQRT_STEP:
    for (int i = 0; i < BITS / 2; i++) {
#pragma HLS UNROLL
        if (v >= res + bit) { v -= res + bit; res = (res >> 1) + bit; }
        else { res >>= 1; }
        bit >>= 2;
    }
    return res;
}

}  // namespace lic

#endif
