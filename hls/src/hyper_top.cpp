// Dataflow tops of the integer hyperprior (fixed skeleton as top.cpp; the layer configs, FIFO
// depths, weights and the threshold ROM are generated). One process a layer plus the
// AXI4-Stream adapters under #pragma HLS DATAFLOW; every process derives its own grid from the
// frame size (the top's input grid: y for h_a, z for h_s).
#include "hyper_top.h"

#include "axis.h"
#include "conv.h"
#include "deconv.h"
#include "scale_index.h"

void lic_hyper_analysis(hls::stream<ha_axis_in_t>& in, hls::stream<ha_axis_out_t>& out, int height, int width) {
#pragma HLS INTERFACE axis port=in
#pragma HLS INTERFACE axis port=out
#pragma HLS INTERFACE s_axilite port=height
#pragma HLS INTERFACE s_axilite port=width
#pragma HLS INTERFACE s_axilite port=return
#pragma HLS DATAFLOW
    hls::stream<ha_l0_in_word_t> s_in("ha_s_in");
    hls::stream<ha_l0_out_word_t> s0("ha_s0");
    hls::stream<ha_l1_out_word_t> s1("ha_s1");
    hls::stream<ha_l2_out_word_t> s2("ha_s2");
#pragma HLS STREAM variable=s_in depth=2
#pragma HLS STREAM variable=s0 depth=ha_l0_config::fifo_depth
#pragma HLS STREAM variable=s1 depth=ha_l1_config::fifo_depth
#pragma HLS STREAM variable=s2 depth=ha_l2_config::fifo_depth
    lic::axis_to_words<ha_axis_in_t, ha_l0_in_t, ha_l0_config::in_ch, ha_l0_in_t::width, 0, 1>(in, s_in, height, width);
    lic::conv2d<ha_l0_in_t, ha_l0_out_t, ha_l0_config>(s_in, s0, height, width, ha_l0_w, ha_l0_b, ha_l0_shift);
    lic::conv2d<ha_l1_in_t, ha_l1_out_t, ha_l1_config>(s0, s1, height, width, ha_l1_w, ha_l1_b, ha_l1_shift);
    lic::conv2d<ha_l2_in_t, ha_l2_out_t, ha_l2_config>(s1, s2, height, width, ha_l2_w, ha_l2_b, ha_l2_shift);
    lic::words_to_axis<ha_axis_out_t, ha_l2_out_t, ha_l2_config::pe, ha_l2_out_t::width, 2, ha_l2_config::out_ch / ha_l2_config::pe>(s2, out, height, width);
}

void lic_hyper_synthesis(hls::stream<hs_axis_in_t>& in, hls::stream<hs_axis_out_t>& out, int height, int width) {
#pragma HLS INTERFACE axis port=in
#pragma HLS INTERFACE axis port=out
#pragma HLS INTERFACE s_axilite port=height
#pragma HLS INTERFACE s_axilite port=width
#pragma HLS INTERFACE s_axilite port=return
#pragma HLS DATAFLOW
    hls::stream<hs_l0_in_word_t> s_in("hs_s_in");
    hls::stream<hs_l0_out_word_t> s0("hs_s0");
    hls::stream<hs_l1_out_word_t> s1("hs_s1");
    hls::stream<hs_l2_out_word_t> s2("hs_s2");
    hls::stream<hs_l3_out_word_t> s3("hs_s3");
#pragma HLS STREAM variable=s_in depth=2
#pragma HLS STREAM variable=s0 depth=hs_l0_config::fifo_depth
#pragma HLS STREAM variable=s1 depth=hs_l1_config::fifo_depth
#pragma HLS STREAM variable=s2 depth=hs_l2_config::fifo_depth
#pragma HLS STREAM variable=s3 depth=hs_l3_config::fifo_depth
    lic::axis_to_words<hs_axis_in_t, hs_l0_in_t, hs_l0_config::in_ch, hs_l0_in_t::width, 0, 1>(in, s_in, height, width);
    lic::deconv2d_s2<hs_l0_in_t, hs_l0_out_t, hs_l0_config>(s_in, s0, height, width, hs_l0_w, hs_l0_b, hs_l0_shift);
    lic::deconv2d_s2<hs_l1_in_t, hs_l1_out_t, hs_l1_config>(s0, s1, height, width, hs_l1_w, hs_l1_b, hs_l1_shift);
    lic::conv2d<hs_l2_in_t, hs_l2_out_t, hs_l2_config>(s1, s2, height, width, hs_l2_w, hs_l2_b, hs_l2_shift);
    lic::scale_index<hs_l3_in_t, hs_l3_out_t, hs_l3_config>(s2, s3, height, width, hs_l3_thresh);
    lic::words_to_axis<hs_axis_out_t, hs_l3_out_t, hs_l3_config::pe, hs_l3_out_t::width, -2, hs_l3_config::ch / hs_l3_config::pe>(s3, out, height, width);
}
