// 2-D convolution, K x K ("same" zero padding P = K/2), stride S in {1, 2}: 5x5/s2 (g_a, h_a) and
// 3x3/s1 (h_a, h_s), with an optional fused ReLU. A FINN-style matrix-vector unit behind a
// sliding-window line buffer. Bit-exact with lic.fixedpoint ("conv"):
//   acc  = b[o] + sum_{ky,kx,i} a[i, S y-P+ky, S x-P+kx] * w[o,ky,kx,i]      (exact)
//   acc  = sat(acc, CONFIG_T::acc_min, acc_max)
//   v    = rshift_round(acc, shift[o]);  v = max(0, v) when CONFIG_T::relu
//   out  = sat(v, CONFIG_T::out_min, out_max)
//
// Streams: raster order; an input pixel is CONFIG_T::in_words words of in_ch/in_words values
// (the producer's PE), an output pixel out_ch/pe words of pe values.
// Folding: output channel o = nf*PE + p, window element idx = sf*SIMD + s (idx = (ky*K+kx)*in_ch
// + i), NF = out_ch/PE, SF = K*K*in_ch/SIMD. Weights are stored weights[PE][SIMD][NF*SF]: PE lane p
// owns memory p (partitioned), its SIMD lanes own fixed slices of that memory's word (reshaped),
// so every lane's memory is known at compile time and read once a beat.
// Line buffer: R = K + S rows (K in the window, S read ahead; 7 for 5x5/s2, 4 for 3x3/s1) of
// lb_width pixels, one memory a row holding whole pixels (in_ch values a word). Window: K x K
// pixels in registers, double-buffered.
//
// Schedule (lic/hw/kernel_beats.py counts the same beats; A = K - P): a prologue reads input
// rows 0..A-1 and loads the first window; then every output pixel takes B = max(F, L, I) beats
// of one II=1 loop, in which it does fold step b < F (PE x SIMD MACs), reads input word b < I of
// rows S oy+A .. S oy+A+S-1 (columns S ox .. S ox+S-1) and, in its last L beats, loads the next
// window's new columns (one column = one read of K row memories).
#ifndef LIC_CONV_H_
#define LIC_CONV_H_

#include "lic_types.h"

namespace lic {

template <class data_T, class res_T, typename CONFIG_T>
void conv2d(hls::stream<word<data_T, CONFIG_T::in_ch / CONFIG_T::in_words> >& in,
               hls::stream<word<res_T, CONFIG_T::pe> >& out, int frame_h, int frame_w,
               const typename CONFIG_T::weight_t weights[CONFIG_T::pe][CONFIG_T::simd][CONFIG_T::folds],
               const typename CONFIG_T::bias_t biases[CONFIG_T::pe][CONFIG_T::nf],
               const typename CONFIG_T::shift_t shifts[CONFIG_T::pe][CONFIG_T::nf]) {
    const int K = CONFIG_T::kernel, S = CONFIG_T::stride, P = CONFIG_T::pad;
    const int R = K + S, A = K - P;  // line-buffer rows; input rows/columns before the first window
    static_assert(CONFIG_T::kernel % 2 == 1 && CONFIG_T::pad == CONFIG_T::kernel / 2 &&
                  (CONFIG_T::stride == 1 || CONFIG_T::stride == 2), "conv2d: odd 'same' kernel, stride 1 or 2");
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
    data_T win[K][K][IN], nxt[K][K][IN];
#pragma HLS ARRAY_PARTITION variable=win complete dim=0
#pragma HLS ARRAY_PARTITION variable=nxt complete dim=0
    wide_t acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc complete
    LIC_BANKS(lb_banks, R, ID);
    LIC_BANKS(w_banks, PE, ID);
    LIC_LB_TRACK(lb_track, R, ID);

    const int height = grid_dim<CONFIG_T::grid_log2>(frame_h);
    const int width = grid_dim<CONFIG_T::grid_log2>(frame_w);
    const int out_h = (height + S - 1) / S, out_w = (width + S - 1) / S;

    // ---- prologue: input rows 0..A-1, then the window of output pixel (0, 0)
    const int pro_rows = height < A ? height : A;
CONV_PROLOGUE:
    for (int b = 0; b < pro_rows * width * IW; b++) {
#pragma HLS PIPELINE II=1
        LIC_COUNT_CYCLE(ID);
        const int r = b / (width * IW), c = (b / IW) % width, k = b % IW;
        LIC_LB_WRITTEN(lb_track, r, r, c, k == IW - 1);
        word<data_T, INW> wd = in.read();
        LIC_COUNT(g_words_in, ID, 1);
        for (int j = 0; j < INW; j++) lb[r][c][k * INW + j] = wd.v[j];
    }
    for (int ky = 0; ky < K; ky++)
        for (int kx = 0; kx < K; kx++)
            for (int i = 0; i < IN; i++) win[ky][kx][i] = 0;
    const int first_cols = width < A ? width : A;
CONV_FIRST_WINDOW:
    for (int c = 0; c < first_cols; c++) {
#pragma HLS PIPELINE II=1
        LIC_COUNT_CYCLE(ID);
        for (int ky = 0; ky < K; ky++) {
            const int iy = ky - P;
            if (iy >= 0 && iy < height) LIC_LB_CHECK(lb_track, iy % R, iy, c);
            for (int i = 0; i < IN; i++) win[ky][c + P][i] = (iy >= 0 && iy < height) ? lb[iy % R][c][i] : (data_T)0;
        }
    }

CONV_ROWS:
    for (int oy = 0; oy < out_h; oy++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1024
        int rd = 0;  // words of rows S oy+A .. S oy+A+S-1 read so far (I words an output pixel)
    CONV_COLS:
        for (int ox = 0; ox < out_w; ox++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CONFIG_T::lb_width / CONFIG_T::stride
            // input words read ahead this pixel: rows S oy+A.. x columns S ox..S ox+S-1 (S each)
            int nr = 0, nc = 0, L = 0, col0 = 0, kx0 = 0;
            for (int j = 0; j < S; j++) {
                nr += S * oy + A + j < height;
                nc += S * ox + j < width;
            }
            const int I = nr * nc * IW;
            // next window: same row -> shift by S columns, load S ox+A..S ox+A+S-1; else a new row
            const bool same_row = ox + 1 < out_w, new_row = !same_row && oy + 1 < out_h;
            const int ny = same_row ? oy : oy + 1;
            if (same_row) {
                for (int j = 0; j < S; j++) L += S * ox + A + j < width;
                col0 = S * ox + A;
                kx0 = K - S;
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++)
                        for (int i = 0; i < IN; i++) nxt[ky][kx][i] = kx < K - S ? win[ky][kx + S][i] : (data_T)0;
            } else if (new_row) {
                L = width < A ? width : A;
                col0 = 0;
                kx0 = P;
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++)
                        for (int i = 0; i < IN; i++) nxt[ky][kx][i] = 0;
            }
            const int B = F > L ? (F > I ? F : I) : (L > I ? L : I);
        CONV_BEATS:
            for (int b = 0; b < B; b++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=CONFIG_T::folds
                LIC_COUNT_CYCLE(ID);
                LIC_BANK_CLEAR(lb_banks);
                LIC_BANK_CLEAR(w_banks);
                if (b < I) {  // read ahead: the next word of rows S oy+A.. in stream (raster) order
                    const int r = S * oy + A + rd / (width * IW), c = (rd / IW) % width, k = rd % IW;
                    rd++;
                    LIC_LB_WRITTEN(lb_track, r % R, r, c, k == IW - 1);
                    word<data_T, INW> wd = in.read();
                    LIC_COUNT(g_words_in, ID, 1);
                    LIC_BANK_WRITE(lb_banks, r % R);
                    for (int j = 0; j < INW; j++) lb[r % R][c][k * INW + j] = wd.v[j];
                }
                if (b >= B - L) {  // one new window column: one read of each of the K rows used
                    const int q = b - (B - L), c = col0 + q;
                    for (int ky = 0; ky < K; ky++) {
                        const int iy = S * ny - P + ky;
                        if (iy >= 0 && iy < height) {
                            LIC_BANK_READ(lb_banks, iy % R);
                            LIC_LB_CHECK(lb_track, iy % R, iy, c);
                            for (int i = 0; i < IN; i++) nxt[ky][kx0 + q][i] = lb[iy % R][c][i];
                        }
                    }
                }
                if (b < F) {  // fold step: PE x SIMD MACs, one word of each PE memory
                    const int nf = b / SF, sf = b % SF;
                    if (sf == 0)
                        for (int p = 0; p < PE; p++) acc[p] = (wide_t)biases[p][nf];
                CONV_PE:  // PACK = 2: PE lanes p, p+1 share each activation in one DSP multiply
                    for (int p = 0; p < PE; p += PACK) {
                        for (int q = 0; q < PACK; q++) {
                            LIC_BANK_READ(w_banks, p + q);
                            LIC_COUNT(g_mem_reads, ID, 1);
                        }
                    CONV_SIMD:
                        for (int s = 0; s < SIMD; s++) {
                            const int idx = sf * SIMD + s;
                            const int kk = idx / IN, i = idx % IN;
                            const wide_t a = (wide_t)win[kk / K][kk % K][i];
                            LIC_COUNT(g_mults, ID, 1);
                            if (PACK == 2) {
                                wide_t hi, lo;
                                mul2_shared(a, (wide_t)weights[p][s][b], (wide_t)weights[p + 1][s][b], hi, lo);
                                acc[p] += hi;
                                acc[p + 1] += lo;
                            } else {
                                acc[p] += a * (wide_t)weights[p][s][b];
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
            for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++)
                    for (int i = 0; i < IN; i++) win[ky][kx][i] = nxt[ky][kx][i];
        }
    }
}

}  // namespace lic

#endif
