// AXI4-Stream adapters of the dataflow tops: unpack TDATA into lic::word values and pack the
// last layer's PE-wide words into TDATA with TLAST on a frame's last beat. Each adapter
// computes its own beat count from the frame size (no arithmetic in the DATAFLOW region).
#ifndef LIC_AXIS_H_
#define LIC_AXIS_H_

#include "lic_types.h"

namespace lic {

// G: grid_log2 of the stream's grid (see grid_dim); WORDS: words a pixel
template <class axis_T, class data_T, int N, int BITS, int G, int WORDS>
void axis_to_words(hls::stream<axis_T>& in, hls::stream<word<data_T, N> >& out, int frame_h, int frame_w) {
    const long beats = (long)grid_dim<G>(frame_h) * grid_dim<G>(frame_w) * WORDS;
AXIS_IN:
    for (long b = 0; b < beats; b++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
        axis_T a = in.read();
        word<data_T, N> w;
        for (int j = 0; j < N; j++) {
            ap_uint<BITS> u = a.data.range(BITS * j + BITS - 1, BITS * j);
            data_T v;
            v.range(BITS - 1, 0) = u;
            w.v[j] = v;
        }
        out.write(w);
    }
}

template <class axis_T, class res_T, int N, int BITS, int G, int WORDS>
void words_to_axis(hls::stream<word<res_T, N> >& in, hls::stream<axis_T>& out, int frame_h, int frame_w) {
    const long beats = (long)grid_dim<G>(frame_h) * grid_dim<G>(frame_w) * WORDS;
AXIS_OUT:
    for (long b = 0; b < beats; b++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
        word<res_T, N> w = in.read();
        axis_T a;
        for (int j = 0; j < N; j++) {
            ap_uint<BITS> u = w.v[j].range(BITS - 1, 0);
            a.data.range(BITS * j + BITS - 1, BITS * j) = u;
        }
        a.keep = -1;
        a.strb = -1;
        a.last = b == beats - 1;
        out.write(a);
    }
}

}  // namespace lic

#endif
