// Scale index of the Gaussian conditional (h_s's last stage), bit-exact with lic.fixedpoint ("index"):
//   index = #{k < n_thresh : x > T_k}
// with the integer threshold ROM T_k = floor(s_k 2^f) of the scale table (lic.fixedpoint.layers.index_layer)
// clamped to [in_min - 1, in_max] by the exporter (the same comparisons for every input in range). For an
// increasing table this is np.searchsorted(T, x, 'left'): CompressAI's build_indexes by integer comparisons.
//
// A FINN-style thresholding unit: elementwise, PE lanes (the producer's word width); every lane compares its
// value with all n_thresh thresholds at once (the ROM is partitioned into registers) and adds up the
// comparator outputs (a popcount tree). One input word in and one uint8 word out a beat (II=1).
#ifndef LIC_SCALE_INDEX_H_
#define LIC_SCALE_INDEX_H_

#include "lic_types.h"

namespace lic {

template <class data_T, class res_T, typename CONFIG_T>
void scale_index(hls::stream<word<data_T, CONFIG_T::ch / CONFIG_T::in_words> >& in,
                 hls::stream<word<res_T, CONFIG_T::pe> >& out, int frame_h, int frame_w,
                 const typename CONFIG_T::thresh_t thresholds[CONFIG_T::n_thresh]) {
    const int PE = CONFIG_T::pe, T = CONFIG_T::n_thresh, ID = CONFIG_T::layer_id;
    static_assert(CONFIG_T::ch / CONFIG_T::in_words == CONFIG_T::pe, "scale_index: PE = the producer's word width");
#pragma HLS ARRAY_PARTITION variable=thresholds complete
    const long beats = (long)grid_dim<CONFIG_T::grid_log2>(frame_h) * grid_dim<CONFIG_T::grid_log2>(frame_w) *
                       CONFIG_T::in_words;
INDEX_BEATS:
    for (long b = 0; b < beats; b++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
        LIC_COUNT_CYCLE(ID);
        const word<data_T, PE> x = in.read();
        LIC_COUNT(g_words_in, ID, 1);
        word<res_T, PE> o;
    INDEX_PE:
        for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
            const wide_t v = (wide_t)x.v[p];
            int n = 0;
        INDEX_CMP:
            for (int k = 0; k < T; k++) {
#pragma HLS UNROLL
                n += v > (wide_t)thresholds[k] ? 1 : 0;
            }
            o.v[p] = (res_T)n;
        }
        out.write(o);
        LIC_COUNT(g_words_out, ID, 1);
    }
}

}  // namespace lic

#endif
