// Transposed 2-D convolution, 5x5, stride 2, padding 2, output_padding 1 (out = 2x in), as a
// FINN-style matrix-vector unit over a 3x3 input window. Bit-exact with lic.fixedpoint ("deconv"):
//   acc[o, y, x] = b[o] + sum a[i, iy, ix] * w[o, ky, kx, i]
//       over ky = y + 2 - 2 iy in [0, 5), kx = x + 2 - 2 ix in [0, 5)
//   then sat, rshift_round, max(0, .) when CONFIG_T::relu, sat (as conv.h)
// Output pixel (y, x), i = y/2, j = x/2, phase (y%2, x%2): the window holds input rows i-1..i+1
// and columns j-1..j+1; tap t = 0..8 reads window (2 - t/3, 2 - t%3) with weight
// (ky, kx) = (y%2 + 2(t/3), x%2 + 2(t%3)) (0 when ky or kx is 5: the phase-uniform schedule's idle
// slots). Folding: o = nf*PE + p, idx = sf*SIMD + s = t*in_ch + i, NF = out_ch/PE,
// SF = 9*in_ch/SIMD; weights[PE][SIMD][4*NF*SF] hold one NF*SF block a phase (py*2 + px),
// partitioned on PE and reshaped on SIMD as in conv.h.
// Line buffer: 4 rows (3 in the window, 1 read ahead), one memory a row of whole pixels.
// Schedule (lic/hw/kernel_beats.py): a prologue reads input rows 0..1 and loads the first window;
// every output pixel takes B = max(F, L, I) beats: fold steps, the read-ahead of input row i+2
// (even output rows, one input column every second output pixel) and the next window's loads
// (one column when j moves, two at a row change).
#ifndef LIC_DECONV_H_
#define LIC_DECONV_H_

#include "lic_types.h"

namespace lic {

template <class data_T, class res_T, typename CONFIG_T>
void deconv2d_s2(hls::stream<word<data_T, CONFIG_T::in_ch / CONFIG_T::in_words> >& in,
                 hls::stream<word<res_T, CONFIG_T::pe> >& out, int frame_h, int frame_w,
                 const typename CONFIG_T::weight_t weights[CONFIG_T::pe][CONFIG_T::simd][CONFIG_T::folds],
                 const typename CONFIG_T::bias_t biases[CONFIG_T::pe][CONFIG_T::nf],
                 const typename CONFIG_T::shift_t shifts[CONFIG_T::pe][CONFIG_T::nf]) {
    const int R = 4;
    static_assert(CONFIG_T::kernel == 5 && CONFIG_T::stride == 2 && CONFIG_T::pad == 2,
                  "deconv2d_s2: 5x5, stride 2, padding 2, output padding 1");
    const int IN = CONFIG_T::in_ch, PE = CONFIG_T::pe, SIMD = CONFIG_T::simd;
    const int IW = CONFIG_T::in_words, INW = IN / IW;
    const int NF = CONFIG_T::nf, SF = CONFIG_T::sf, F = NF * SF;
    const int ID = CONFIG_T::layer_id;
    const int PACK = CONFIG_T::pack;  // 2: int8 MAC pairs in one DSP48E2 (lic::mul2_shared)
#pragma HLS ARRAY_PARTITION variable=weights complete dim=1
#pragma HLS ARRAY_RESHAPE variable=weights complete dim=2
#pragma HLS ARRAY_PARTITION variable=biases complete dim=1
#pragma HLS ARRAY_PARTITION variable=shifts complete dim=1
    static data_T lb[R][CONFIG_T::lb_width][IN];
#pragma HLS ARRAY_PARTITION variable=lb complete dim=1
#pragma HLS ARRAY_RESHAPE variable=lb complete dim=3
    data_T win[3][3][IN], nxt[3][3][IN];
#pragma HLS ARRAY_PARTITION variable=win complete dim=0
#pragma HLS ARRAY_PARTITION variable=nxt complete dim=0
    wide_t acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc complete
    LIC_BANKS(lb_banks, R, ID);
    LIC_BANKS(w_banks, PE, ID);
    LIC_LB_TRACK(lb_track, R, ID);

    const int height = grid_dim<CONFIG_T::grid_log2>(frame_h);
    const int width = grid_dim<CONFIG_T::grid_log2>(frame_w);
    const int out_h = 2 * height, out_w = 2 * width;

    const int pro_rows = height < 2 ? height : 2;
DECONV_PROLOGUE:
    for (int b = 0; b < pro_rows * width * IW; b++) {
#pragma HLS PIPELINE II=1
        LIC_COUNT_CYCLE(ID);
        const int r = b / (width * IW), c = (b / IW) % width, k = b % IW;
        LIC_LB_WRITTEN(lb_track, r, r, c, k == IW - 1);
        word<data_T, INW> wd = in.read();
        LIC_COUNT(g_words_in, ID, 1);
        for (int j = 0; j < INW; j++) lb[r][c][k * INW + j] = wd.v[j];
    }
    for (int a = 0; a < 3; a++)
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < IN; i++) win[a][c][i] = 0;
    const int first_cols = width < 2 ? width : 2;
DECONV_FIRST_WINDOW:
    for (int c = 0; c < first_cols; c++) {
#pragma HLS PIPELINE II=1
        LIC_COUNT_CYCLE(ID);
        for (int a = 0; a < 3; a++) {
            const int iy = a - 1;
            if (iy >= 0 && iy < height) LIC_LB_CHECK(lb_track, iy % R, iy, c);
            for (int i = 0; i < IN; i++) win[a][c + 1][i] = (iy >= 0 && iy < height) ? lb[iy % R][c][i] : (data_T)0;
        }
    }

DECONV_ROWS:
    for (int y = 0; y < out_h; y++) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=2048
        const int py = y & 1;
    DECONV_COLS:
        for (int x = 0; x < out_w; x++) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=CONFIG_T::lb_width * 2
            const int px = x & 1, ph = py * 2 + px;
            const int I = ((y & 1) == 0 && y / 2 + 2 < height && (x & 1) == 0) ? IW : 0;
            const bool same_row = x + 1 < out_w, new_row = !same_row && y + 1 < out_h;
            const int ni = same_row ? y / 2 : (y + 1) / 2;
            int L = 0, col0 = 0, c0 = 0;
            if (same_row) {
                const bool move = (x & 1) == 1;
                L = (move && x / 2 + 2 < width) ? 1 : 0;
                col0 = x / 2 + 2;
                c0 = 2;
                for (int a = 0; a < 3; a++)
                    for (int c = 0; c < 3; c++)
                        for (int i = 0; i < IN; i++)
                            nxt[a][c][i] = move ? (c < 2 ? win[a][c + 1][i] : (data_T)0) : win[a][c][i];
            } else if (new_row) {
                L = width < 2 ? width : 2;
                col0 = 0;
                c0 = 1;
                for (int a = 0; a < 3; a++)
                    for (int c = 0; c < 3; c++)
                        for (int i = 0; i < IN; i++) nxt[a][c][i] = 0;
            }
            const int B = F > L ? (F > I ? F : I) : (L > I ? L : I);
        DECONV_BEATS:
            for (int b = 0; b < B; b++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=CONFIG_T::folds / 4
                LIC_COUNT_CYCLE(ID);
                LIC_BANK_CLEAR(lb_banks);
                LIC_BANK_CLEAR(w_banks);
                if (b < I) {  // read ahead: input row y/2 + 2, column x/2
                    const int r = y / 2 + 2, c = x / 2, k = b;
                    LIC_LB_WRITTEN(lb_track, r % R, r, c, k == IW - 1);
                    word<data_T, INW> wd = in.read();
                    LIC_COUNT(g_words_in, ID, 1);
                    LIC_BANK_WRITE(lb_banks, r % R);
                    for (int j = 0; j < INW; j++) lb[r % R][c][k * INW + j] = wd.v[j];
                }
                if (b >= B - L) {  // one new window column: one read of each of the 3 rows used
                    const int q = b - (B - L), c = col0 + q;
                    for (int a = 0; a < 3; a++) {
                        const int iy = ni - 1 + a;
                        if (iy >= 0 && iy < height) {
                            LIC_BANK_READ(lb_banks, iy % R);
                            LIC_LB_CHECK(lb_track, iy % R, iy, c);
                            for (int i = 0; i < IN; i++) nxt[a][c0 + q][i] = lb[iy % R][c][i];
                        }
                    }
                }
                if (b < F) {
                    const int nf = b / SF, sf = b % SF;
                    if (sf == 0)
                        for (int p = 0; p < PE; p++) acc[p] = (wide_t)biases[p][nf];
                DECONV_PE:  // PACK = 2: PE lanes p, p+1 share each activation in one DSP multiply
                    for (int p = 0; p < PE; p += PACK) {
                        for (int q = 0; q < PACK; q++) {
                            LIC_BANK_READ(w_banks, p + q);
                            LIC_COUNT(g_mem_reads, ID, 1);
                        }
                    DECONV_SIMD:
                        for (int s = 0; s < SIMD; s++) {
                            const int idx = sf * SIMD + s;
                            const int t = idx / IN, i = idx % IN;
                            const wide_t a = (wide_t)win[2 - t / 3][2 - t % 3][i];
                            LIC_COUNT(g_mults, ID, 1);
                            if (PACK == 2) {
                                wide_t hi, lo;
                                mul2_shared(a, (wide_t)weights[p][s][ph * F + b], (wide_t)weights[p + 1][s][ph * F + b], hi, lo);
                                acc[p] += hi;
                                acc[p + 1] += lo;
                            } else {
                                acc[p] += a * (wide_t)weights[p][s][ph * F + b];
                            }
                        }
                    }
                    if (sf == SF - 1) {
                        word<res_T, PE> o;
                        for (int p = 0; p < PE; p++) {
                            wide_t v = sat<ID>(acc[p], CONFIG_T::acc_min, CONFIG_T::acc_max);
                            v = rshift_round(v, (int)shifts[p][nf]);
                            if (CONFIG_T::relu && v < 0) v = 0;  // fused ReLU (before the clamp)
                            o.v[p] = (res_T)sat<ID>(v, CONFIG_T::out_min, CONFIG_T::out_max);
                        }
                        out.write(o);
                        LIC_COUNT(g_words_out, ID, 1);
                    }
                }
            }
            for (int a = 0; a < 3; a++)
                for (int c = 0; c < 3; c++)
                    for (int i = 0; i < IN; i++) win[a][c][i] = nxt[a][c][i];
        }
    }
}

}  // namespace lic

#endif
