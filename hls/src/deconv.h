// Transposed 2-D convolution, 5x5, stride 2, padding 2, output_padding 1 (out = 2x in),
// output-stationary with a 3-row input line buffer. Bit-exact with lic.fixedpoint ("deconv"):
//   acc[o, y, x] = b[o] + sum a[i, iy, ix] * w[o, ky, kx, i]
//       over ky = y + 2 - 2 iy in [0, 5), kx = x + 2 - 2 ix in [0, 5)
// i.e. each output phase (y%2, x%2) uses the 3x3/3x2/2x3/2x2 taps of matching parity. The
// schedule is phase-uniform: 9 tap slots x in_ch / SIMD pipelined iterations per output pixel
// and output fold (invalid slots multiply by zero). Weights laid out [out_ch][ky][kx][in_ch].
#ifndef LIC_DECONV_H_
#define LIC_DECONV_H_

#include "lic_types.h"

namespace lic {

template <class data_T, class res_T, typename CONFIG_T>
void deconv2d_s2(hls::stream<data_T>& in, hls::stream<res_T>& out, int height, int width,
                 const typename CONFIG_T::weight_t weights[CONFIG_T::out_ch * 25 * CONFIG_T::in_ch],
                 const typename CONFIG_T::bias_t biases[CONFIG_T::out_ch],
                 const typename CONFIG_T::shift_t shifts[CONFIG_T::out_ch]) {
    const int K = 5, R = 3;
    const int IN = CONFIG_T::in_ch, OUT = CONFIG_T::out_ch;
    const int PE = CONFIG_T::pe, SIMD = CONFIG_T::simd;
    const int NFOLD_O = OUT / PE, NFOLD_I = (9 * IN) / SIMD;
    static data_T line_buf[R][CONFIG_T::max_width][IN];
#pragma HLS ARRAY_PARTITION variable=line_buf cyclic factor=CONFIG_T::simd dim=3
#pragma HLS ARRAY_PARTITION variable=weights cyclic factor=CONFIG_T::pe * CONFIG_T::simd dim=1

    const int out_h = 2 * height, out_w = 2 * width;
    int next_row = 0;
DECONV_ROWS:
    for (int y = 0; y < out_h; y++) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=2048
        int need = y / 2 + 1 < height - 1 ? y / 2 + 1 : height - 1;
    DECONV_LOAD_ROW:
        for (; next_row <= need; next_row++) {
#pragma HLS LOOP_TRIPCOUNT min=0 max=2
        DECONV_LOAD_PX:
            for (int x = 0; x < width * IN; x++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=CONFIG_T::max_width * CONFIG_T::in_ch
                line_buf[next_row % R][x / IN][x % IN] = in.read();
            }
        }
        const int py = y & 1;
    DECONV_COLS:
        for (int x = 0; x < out_w; x++) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=CONFIG_T::max_width * 2
            const int px = x & 1;
        DECONV_FOLD_O:
            for (int fo = 0; fo < NFOLD_O; fo++) {
                wide_t acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc complete
            DECONV_INIT:
                for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
                    acc[p] = (wide_t)biases[fo * PE + p];
                }
            DECONV_FOLD_I:
                for (int t = 0; t < NFOLD_I; t++) {
#pragma HLS PIPELINE II=1
                    LIC_COUNT_CYCLE(CONFIG_T::layer_id);
                DECONV_PE:
                    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
                    DECONV_SIMD:
                        for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
                            const int idx = t * SIMD + s;
                            const int i = idx % IN, tap = idx / IN;
                            const int ky = py + 2 * (tap / 3), kx = px + 2 * (tap % 3);
                            const int iy = (y + 2 - ky) / 2, ix = (x + 2 - kx) / 2;
                            if (ky < K && kx < K && iy >= 0 && iy < height && ix >= 0 && ix < width) {
                                acc[p] += (wide_t)line_buf[iy % R][ix][i] *
                                          (wide_t)weights[((fo * PE + p) * K * K + ky * K + kx) * IN + i];
                            }
                        }
                    }
                }
            DECONV_WRITE:
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
