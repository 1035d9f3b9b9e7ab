// Shared integer primitives of the LIC accelerator. Bit-exact mirror of lic/fixedpoint.py:
//   rshift_round(v, s) = (v + 2^(s-1)) >> s  (s > 0, arithmetic shift: round half up)
//                      = v << -s             (s <= 0)
//   sat(v, lo, hi)     = clamp, counting every clamped value (C-sim counters)
#ifndef LIC_TYPES_H_
#define LIC_TYPES_H_

#include <stdint.h>
#include "ap_int.h"
#include "stream.h"

namespace lic {

typedef int64_t wide_t;  // exact intermediate (accumulator + guard bits, GDN products)

#ifndef __SYNTHESIS__
// C-sim instrumentation: per-layer pipelined-iteration (cycle) and saturation counters,
// indexed by CONFIG_T::layer_id (0..LIC_MAX_LAYERS-1).
#define LIC_MAX_LAYERS 32
extern long long g_cycles[LIC_MAX_LAYERS];
extern long long g_saturations[LIC_MAX_LAYERS];
#define LIC_COUNT_CYCLE(id) (::lic::g_cycles[(id)] += 1)
#define LIC_COUNT_SAT(id) (::lic::g_saturations[(id)] += 1)
#else
#define LIC_COUNT_CYCLE(id)
#define LIC_COUNT_SAT(id)
#endif

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
