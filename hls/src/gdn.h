// GDN / IGDN with PE output lanes, bit-exact with lic.fixedpoint ("gdn"/"igdn"):
//   1. D_i = beta_i + sum_j gamma_ij * m_j,  m_j = |x_j| (simplified) or x_j^2 (standard)
//      D_i = sat(D_i, 0, 2^acc_bits - 1)
//   2. S_i = D_i (simplified) or isqrt(D_i << 2t) (standard, t = sqrt_frac)
//   3. forward: num = |x_i| << (s_num + 1), den = S_i << s_den,
//      qf = restoring_divide<div_bits>(num, den), q = (qf + 1) >> 1, y = sign(x_i) q
//      inverse: y = rshift_round(x_i * S_i, shift)
//   4. out = sat(y, out_min, out_max)
//
// Folding as conv.h: output channel i = nf*PE + p, input j = sf*SIMD + s, NF = C/PE, SF = C/SIMD;
// gamma[PE][SIMD][NF*SF] partitioned on PE and reshaped on SIMD, beta[PE][NF]. Each PE lane has
// its own square root / divider (or product), unrolled into pipeline stages of the II=1 loop.
// Schedule (lic/hw/kernel_beats.py): the first pixel's in_words words are read, then every pixel
// takes B = max(F, in_words) beats, reading the next pixel while folding this one (double-buffered
// x and m registers); a PE-wide output word leaves at each output fold's last step.
#ifndef LIC_GDN_H_
#define LIC_GDN_H_

#include "lic_types.h"

namespace lic {

template <typename CONFIG_T>
inline wide_t gdn_finish(wide_t d, wide_t x) {
#pragma HLS INLINE
    const wide_t d_max = ((wide_t)1 << CONFIG_T::acc_bits) - 1;
    d = sat<CONFIG_T::layer_id>(d, 0, d_max);
    const uint64_t s_i = CONFIG_T::standard
        ? isqrt<CONFIG_T::sqrt_bits>((uint64_t)d << (2 * CONFIG_T::sqrt_frac))
        : (uint64_t)d;
    wide_t y;
    if (CONFIG_T::inverse) {
        y = rshift_round(x * (wide_t)s_i, CONFIG_T::shift);
    } else {
        const uint64_t mag = (uint64_t)(x < 0 ? -x : x);
        bool ovf;
        const uint64_t qf = restoring_divide<CONFIG_T::div_bits>(mag << (CONFIG_T::s_num + 1),
                                                                 s_i << CONFIG_T::s_den, ovf);
        const wide_t q = (wide_t)((qf + 1) >> 1);
        y = x < 0 ? -q : q;
        if (ovf && y >= CONFIG_T::out_min && y <= CONFIG_T::out_max) LIC_COUNT_SAT(CONFIG_T::layer_id);
    }
    return sat<CONFIG_T::layer_id>(y, CONFIG_T::out_min, CONFIG_T::out_max);
}

template <class data_T, class res_T, typename CONFIG_T>
void gdn(hls::stream<word<data_T, CONFIG_T::ch / CONFIG_T::in_words> >& in,
         hls::stream<word<res_T, CONFIG_T::pe> >& out, int frame_h, int frame_w,
         const typename CONFIG_T::gamma_t gamma[CONFIG_T::pe][CONFIG_T::simd][CONFIG_T::folds],
         const typename CONFIG_T::beta_t beta[CONFIG_T::pe][CONFIG_T::nf]) {
    const int C = CONFIG_T::ch, PE = CONFIG_T::pe, SIMD = CONFIG_T::simd;
    const int IW = CONFIG_T::in_words, INW = C / IW;
    const int NF = CONFIG_T::nf, SF = CONFIG_T::sf, F = NF * SF;
    const int ID = CONFIG_T::layer_id;
#pragma HLS ARRAY_PARTITION variable=gamma complete dim=1
#pragma HLS ARRAY_RESHAPE variable=gamma complete dim=2
#pragma HLS ARRAY_PARTITION variable=beta complete dim=1
    wide_t xb[C], mb[C], xn[C], mn[C], d[PE];
#pragma HLS ARRAY_PARTITION variable=xb complete
#pragma HLS ARRAY_PARTITION variable=mb complete
#pragma HLS ARRAY_PARTITION variable=xn complete
#pragma HLS ARRAY_PARTITION variable=mn complete
#pragma HLS ARRAY_PARTITION variable=d complete
    LIC_BANKS(w_banks, PE, ID);
    const int npix = grid_dim<CONFIG_T::grid_log2>(frame_h) * grid_dim<CONFIG_T::grid_log2>(frame_w);

GDN_FIRST:
    for (int k = 0; k < IW; k++) {
#pragma HLS PIPELINE II=1
        LIC_COUNT_CYCLE(ID);
        word<data_T, INW> wd = in.read();
        LIC_COUNT(g_words_in, ID, 1);
        for (int j = 0; j < INW; j++) {
            const wide_t x = (wide_t)wd.v[j];
            xb[k * INW + j] = x;
            mb[k * INW + j] = CONFIG_T::standard ? x * x : (x < 0 ? -x : x);
        }
    }
GDN_PIXELS:
    for (int px = 0; px < npix; px++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
        const int I = px + 1 < npix ? IW : 0;
        const int B = F > I ? F : I;
    GDN_BEATS:
        for (int b = 0; b < B; b++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=CONFIG_T::folds
            LIC_COUNT_CYCLE(ID);
            LIC_BANK_CLEAR(w_banks);
            if (b < I) {  // next pixel
                word<data_T, INW> wd = in.read();
                LIC_COUNT(g_words_in, ID, 1);
                for (int j = 0; j < INW; j++) {
                    const wide_t x = (wide_t)wd.v[j];
                    xn[b * INW + j] = x;
                    mn[b * INW + j] = CONFIG_T::standard ? x * x : (x < 0 ? -x : x);
                }
            }
            if (b < F) {
                const int nf = b / SF, sf = b % SF;
                if (sf == 0)
                    for (int p = 0; p < PE; p++) d[p] = (wide_t)beta[p][nf];
            GDN_PE:
                for (int p = 0; p < PE; p++) {
                    LIC_BANK_READ(w_banks, p);
                    LIC_COUNT(g_mem_reads, ID, 1);
                GDN_SIMD:
                    for (int s = 0; s < SIMD; s++) {
                        LIC_COUNT(g_mults, ID, 1);
                        d[p] += (wide_t)gamma[p][s][b] * mb[sf * SIMD + s];
                    }
                }
                if (sf == SF - 1) {
                    word<res_T, PE> o;
                GDN_FINISH:
                    for (int p = 0; p < PE; p++) o.v[p] = (res_T)gdn_finish<CONFIG_T>(d[p], xb[nf * PE + p]);
                    out.write(o);
                    LIC_COUNT(g_words_out, ID, 1);
                }
            }
        }
        for (int j = 0; j < C; j++) {
            xb[j] = xn[j];
            mb[j] = mn[j];
        }
    }
}

}  // namespace lic

#endif
