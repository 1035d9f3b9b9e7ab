// Dataflow tops chaining the layer kernels through PE-wide word streams (fixed skeleton; the
// layer configs, FIFO depths and weights are generated from the folding plan). One process a
// layer plus the AXI4-Stream adapters under #pragma HLS DATAFLOW; every process gets the frame
// size and derives its own grid (no arithmetic in the DATAFLOW region).
#include "top.h"

#include "axis.h"
#include "conv.h"
#include "deconv.h"
#include "gdn.h"

void lic_analysis(hls::stream<ga_axis_in_t>& in, hls::stream<ga_axis_out_t>& out, int height, int width) {
#pragma HLS INTERFACE axis port=in
#pragma HLS INTERFACE axis port=out
#pragma HLS INTERFACE s_axilite port=height
#pragma HLS INTERFACE s_axilite port=width
#pragma HLS INTERFACE s_axilite port=return
#pragma HLS DATAFLOW
    hls::stream<ga_l0_in_word_t> s_in("ga_s_in");
    hls::stream<ga_l0_out_word_t> s0("ga_s0");
    hls::stream<ga_l1_out_word_t> s1("ga_s1");
    hls::stream<ga_l2_out_word_t> s2("ga_s2");
    hls::stream<ga_l3_out_word_t> s3("ga_s3");
    hls::stream<ga_l4_out_word_t> s4("ga_s4");
    hls::stream<ga_l5_out_word_t> s5("ga_s5");
    hls::stream<ga_l6_out_word_t> s6("ga_s6");
#pragma HLS STREAM variable=s_in depth=2
#pragma HLS STREAM variable=s0 depth=ga_l0_config::fifo_depth
#pragma HLS STREAM variable=s1 depth=ga_l1_config::fifo_depth
#pragma HLS STREAM variable=s2 depth=ga_l2_config::fifo_depth
#pragma HLS STREAM variable=s3 depth=ga_l3_config::fifo_depth
#pragma HLS STREAM variable=s4 depth=ga_l4_config::fifo_depth
#pragma HLS STREAM variable=s5 depth=ga_l5_config::fifo_depth
#pragma HLS STREAM variable=s6 depth=ga_l6_config::fifo_depth
    lic::axis_to_words<ga_axis_in_t, ga_l0_in_t, ga_l0_config::in_ch, ga_l0_in_t::width, 0, 1>(in, s_in, height, width);
    lic::conv2d<ga_l0_in_t, ga_l0_out_t, ga_l0_config>(s_in, s0, height, width, ga_l0_w, ga_l0_b, ga_l0_shift);
    lic::gdn<ga_l1_in_t, ga_l1_out_t, ga_l1_config>(s0, s1, height, width, ga_l1_gamma, ga_l1_beta);
    lic::conv2d<ga_l2_in_t, ga_l2_out_t, ga_l2_config>(s1, s2, height, width, ga_l2_w, ga_l2_b, ga_l2_shift);
    lic::gdn<ga_l3_in_t, ga_l3_out_t, ga_l3_config>(s2, s3, height, width, ga_l3_gamma, ga_l3_beta);
    lic::conv2d<ga_l4_in_t, ga_l4_out_t, ga_l4_config>(s3, s4, height, width, ga_l4_w, ga_l4_b, ga_l4_shift);
    lic::gdn<ga_l5_in_t, ga_l5_out_t, ga_l5_config>(s4, s5, height, width, ga_l5_gamma, ga_l5_beta);
    lic::conv2d<ga_l6_in_t, ga_l6_out_t, ga_l6_config>(s5, s6, height, width, ga_l6_w, ga_l6_b, ga_l6_shift);
    lic::words_to_axis<ga_axis_out_t, ga_l6_out_t, ga_l6_config::pe, ga_l6_out_t::width, 4, ga_l6_config::out_ch / ga_l6_config::pe>(s6, out, height, width);
}

#ifdef LIC_HAS_GS
void lic_synthesis(hls::stream<gs_axis_in_t>& in, hls::stream<gs_axis_out_t>& out, int height, int width) {
#pragma HLS INTERFACE axis port=in
#pragma HLS INTERFACE axis port=out
#pragma HLS INTERFACE s_axilite port=height
#pragma HLS INTERFACE s_axilite port=width
#pragma HLS INTERFACE s_axilite port=return
#pragma HLS DATAFLOW
    hls::stream<gs_l0_in_word_t> s_in("gs_s_in");
    hls::stream<gs_l0_out_word_t> s0("gs_s0");
    hls::stream<gs_l1_out_word_t> s1("gs_s1");
    hls::stream<gs_l2_out_word_t> s2("gs_s2");
    hls::stream<gs_l3_out_word_t> s3("gs_s3");
    hls::stream<gs_l4_out_word_t> s4("gs_s4");
    hls::stream<gs_l5_out_word_t> s5("gs_s5");
    hls::stream<gs_l6_out_word_t> s6("gs_s6");
#pragma HLS STREAM variable=s_in depth=2
#pragma HLS STREAM variable=s0 depth=gs_l0_config::fifo_depth
#pragma HLS STREAM variable=s1 depth=gs_l1_config::fifo_depth
#pragma HLS STREAM variable=s2 depth=gs_l2_config::fifo_depth
#pragma HLS STREAM variable=s3 depth=gs_l3_config::fifo_depth
#pragma HLS STREAM variable=s4 depth=gs_l4_config::fifo_depth
#pragma HLS STREAM variable=s5 depth=gs_l5_config::fifo_depth
#pragma HLS STREAM variable=s6 depth=gs_l6_config::fifo_depth
    lic::axis_to_words<gs_axis_in_t, gs_l0_in_t, gs_l0_config::in_ch, gs_l0_in_t::width, 0, 1>(in, s_in, height, width);
    lic::deconv2d_s2<gs_l0_in_t, gs_l0_out_t, gs_l0_config>(s_in, s0, height, width, gs_l0_w, gs_l0_b, gs_l0_shift);
    lic::gdn<gs_l1_in_t, gs_l1_out_t, gs_l1_config>(s0, s1, height, width, gs_l1_gamma, gs_l1_beta);
    lic::deconv2d_s2<gs_l2_in_t, gs_l2_out_t, gs_l2_config>(s1, s2, height, width, gs_l2_w, gs_l2_b, gs_l2_shift);
    lic::gdn<gs_l3_in_t, gs_l3_out_t, gs_l3_config>(s2, s3, height, width, gs_l3_gamma, gs_l3_beta);
    lic::deconv2d_s2<gs_l4_in_t, gs_l4_out_t, gs_l4_config>(s3, s4, height, width, gs_l4_w, gs_l4_b, gs_l4_shift);
    lic::gdn<gs_l5_in_t, gs_l5_out_t, gs_l5_config>(s4, s5, height, width, gs_l5_gamma, gs_l5_beta);
    lic::deconv2d_s2<gs_l6_in_t, gs_l6_out_t, gs_l6_config>(s5, s6, height, width, gs_l6_w, gs_l6_b, gs_l6_shift);
    lic::words_to_axis<gs_axis_out_t, gs_l6_out_t, gs_l6_config::pe, gs_l6_out_t::width, -4, gs_l6_config::out_ch / gs_l6_config::pe>(s6, out, height, width);
}
#endif
