// 2-D convolution, 5x5, stride 2, zero padding 2, with a K-row line buffer (streaming).
// Stream order: raster (y, x), channels innermost. Bit-exact with lic.fixedpoint ("conv"):
//   acc  = b[o] + sum_{ky,kx,i} a[i, 2y-2+ky, 2x-2+kx] * w[o,ky,kx,i]      (exact)
//   acc  = sat(acc, CONFIG_T::acc_min, acc_max)
//   out  = sat(rshift_round(acc, shift[o]), CONFIG_T::out_min, out_max)
// Weights are laid out [out_ch][ky][kx][in_ch] (hls_export reorders PyTorch's [O][I][ky][kx]).
#ifndef LIC_CONV_H_
#define LIC_CONV_H_

#include "lic_types.h"

namespace lic {

template <class data_T, class res_T, typename CONFIG_T>
void conv2d_s2(hls::stream<data_T>& in, hls::stream<res_T>& out, int height, int width,
               const typename CONFIG_T::weight_t weights[CONFIG_T::out_ch * 25 * CONFIG_T::in_ch],
               const typename CONFIG_T::bias_t biases[CONFIG_T::out_ch],
               const typename CONFIG_T::shift_t shifts[CONFIG_T::out_ch]) {
    const int K = 5;
    const int IN = CONFIG_T::in_ch, OUT = CONFIG_T::out_ch;
    const int PE = CONFIG_T::pe, SIMD = CONFIG_T::simd;
    const int NFOLD_O = OUT / PE, NFOLD_I = (K * K * IN) / SIMD;
    static data_T line_buf[K][CONFIG_T::max_width][IN];
#pragma HLS ARRAY_PARTITION variable=line_buf cyclic factor=CONFIG_T::simd dim=3
#pragma HLS ARRAY_PARTITION variable=weights cyclic factor=CONFIG_T::pe * CONFIG_T::simd dim=1

    const int out_h = (height + 1) / 2, out_w = (width + 1) / 2;
    int next_row = 0;
CONV_ROWS:
    for (int oy = 0; oy < out_h; oy++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1024
        int need = 2 * oy + 2 < height - 1 ? 2 * oy + 2 : height - 1;
    CONV_LOAD_ROW:
        for (; next_row <= need; next_row++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=3
        CONV_LOAD_PX:
            for (int x = 0; x < width * IN; x++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=CONFIG_T::max_width * CONFIG_T::in_ch
                line_buf[next_row % K][x / IN][x % IN] = in.read();
            }
        }
    CONV_COLS:
        for (int ox = 0; ox < out_w; ox++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=CONFIG_T::max_width / 2
        CONV_FOLD_O:
            for (int fo = 0; fo < NFOLD_O; fo++) {
                wide_t acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc complete
            CONV_INIT:
                for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
                    acc[p] = (wide_t)biases[fo * PE + p];
                }
            CONV_FOLD_I:
                for (int t = 0; t < NFOLD_I; t++) {
#pragma HLS PIPELINE II=1
                    LIC_COUNT_CYCLE(CONFIG_T::layer_id);
                CONV_PE:
                    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
                    CONV_SIMD:
                        for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
                            const int idx = t * SIMD + s;
                            const int i = idx % IN, kk = idx / IN;
                            const int iy = 2 * oy - 2 + kk / K, ix = 2 * ox - 2 + kk % K;
                            wide_t a = 0;
                            if (iy >= 0 && iy < height && ix >= 0 && ix < width)
                                a = (wide_t)line_buf[iy % K][ix][i];
                            acc[p] += a * (wide_t)weights[(fo * PE + p) * K * K * IN + idx];
                        }
                    }
                }
            CONV_WRITE:
                for (int p = 0; p < PE; p++) {
#pragma HLS PIPELINE II=1
                    const int o = fo * PE + p;
                    wide_t v = sat<CONFIG_T::layer_id>(acc[p], CONFIG_T::acc_min, CONFIG_T::acc_max);
                    v = rshift_round(v, (int)shifts[o]);
                    out.write((res_T)sat<CONFIG_T::layer_id>(v, CONFIG_T::out_min, CONFIG_T::out_max));
                }
            }
        }
    }
}

}  // namespace lic

#endif
