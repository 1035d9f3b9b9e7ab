// GDN / IGDN unit, per pixel, bit-exact with lic.fixedpoint ("gdn"/"igdn"):
//   1. D_i = beta_i + sum_j gamma_ij * m_j,  m_j = |x_j| (simplified) or x_j^2 (standard)
//      D_i = sat(D_i, 0, 2^acc_bits - 1)
//   2. S_i = D_i (simplified) or isqrt(D_i << 2t) (standard, t = sqrt_frac)
//   3. forward: num = |x_i| << (s_num + 1), den = S_i << s_den,
//      qf = restoring_divide<div_bits>(num, den), q = (qf + 1) >> 1, y = sign(x_i) q
//      inverse: y = rshift_round(x_i * S_i, shift)
//   4. out = sat(y, out_min, out_max)
#ifndef LIC_GDN_H_
#define LIC_GDN_H_

#include "lic_types.h"

namespace lic {

template <class data_T, class res_T, typename CONFIG_T>
void gdn(hls::stream<data_T>& in, hls::stream<res_T>& out, int height, int width,
         const typename CONFIG_T::gamma_t gamma[CONFIG_T::ch * CONFIG_T::ch],
         const typename CONFIG_T::beta_t beta[CONFIG_T::ch]) {
    const int C = CONFIG_T::ch, SIMD = CONFIG_T::simd;
    const wide_t d_max = ((wide_t)1 << CONFIG_T::acc_bits) - 1;
#pragma HLS ARRAY_PARTITION variable=gamma cyclic factor=CONFIG_T::simd dim=1
    data_T xb[C];
#pragma HLS ARRAY_PARTITION variable=xb cyclic factor=CONFIG_T::simd dim=1
GDN_PIXELS:
    for (int px = 0; px < height * width; px++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
    GDN_READ:
        for (int c = 0; c < C; c++) {
#pragma HLS PIPELINE II=1
            xb[c] = in.read();
        }
    GDN_CH:
        for (int i = 0; i < C; i++) {
            wide_t d = (wide_t)beta[i];
        GDN_ACC:
            for (int t = 0; t < C / SIMD; t++) {
#pragma HLS PIPELINE II=1
                LIC_COUNT_CYCLE(CONFIG_T::layer_id);
            GDN_SIMD:
                for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
                    const int j = t * SIMD + s;
                    const wide_t xj = (wide_t)xb[j];
                    const wide_t m = CONFIG_T::standard ? xj * xj : (xj < 0 ? -xj : xj);
                    d += (wide_t)gamma[i * C + j] * m;
                }
            }
            d = sat<CONFIG_T::layer_id>(d, 0, d_max);
            uint64_t s_i = CONFIG_T::standard
                ? isqrt<CONFIG_T::sqrt_bits>((uint64_t)d << (2 * CONFIG_T::sqrt_frac))
                : (uint64_t)d;
            const wide_t x = (wide_t)xb[i];
            wide_t y;
            if (CONFIG_T::inverse) {
                y = rshift_round(x * (wide_t)s_i, CONFIG_T::shift);
            } else {
                const uint64_t mag = (uint64_t)(x < 0 ? -x : x);
                bool ovf;
                uint64_t qf = restoring_divide<CONFIG_T::div_bits>(mag << (CONFIG_T::s_num + 1),
                                                                    s_i << CONFIG_T::s_den, ovf);
                const wide_t q = (wide_t)((qf + 1) >> 1);
                y = x < 0 ? -q : q;
                if (ovf && y >= CONFIG_T::out_min && y <= CONFIG_T::out_max) LIC_COUNT_SAT(CONFIG_T::layer_id);
            }
            out.write((res_T)sat<CONFIG_T::layer_id>(y, CONFIG_T::out_min, CONFIG_T::out_max));
        }
    }
}

}  // namespace lic

#endif
