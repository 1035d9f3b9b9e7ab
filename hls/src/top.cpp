// Dataflow tops chaining the layer kernels through streams (fixed skeleton; the layer
// configs and weights are generated). One process a layer under #pragma HLS DATAFLOW.
#include "top.h"

#include "conv.h"
#include "deconv.h"
#include "gdn.h"

void lic_analysis(hls::stream<ga_l0_in_t>& in, hls::stream<ga_l6_out_t>& out, int height, int width) {
#pragma HLS INTERFACE axis port=in
#pragma HLS INTERFACE axis port=out
#pragma HLS INTERFACE s_axilite port=height
#pragma HLS INTERFACE s_axilite port=width
#pragma HLS INTERFACE s_axilite port=return
#pragma HLS DATAFLOW
    hls::stream<ga_l0_out_t> s0("ga_s0");
    hls::stream<ga_l1_out_t> s1("ga_s1");
    hls::stream<ga_l2_out_t> s2("ga_s2");
    hls::stream<ga_l3_out_t> s3("ga_s3");
    hls::stream<ga_l4_out_t> s4("ga_s4");
    hls::stream<ga_l5_out_t> s5("ga_s5");
#pragma HLS STREAM variable=s0 depth=ga_l0_config::fifo_depth
#pragma HLS STREAM variable=s2 depth=ga_l2_config::fifo_depth
#pragma HLS STREAM variable=s4 depth=ga_l4_config::fifo_depth
    const int h1 = (height + 1) / 2, w1 = (width + 1) / 2;
    const int h2 = (h1 + 1) / 2, w2 = (w1 + 1) / 2;
    const int h3 = (h2 + 1) / 2, w3 = (w2 + 1) / 2;
    lic::conv2d_s2<ga_l0_in_t, ga_l0_out_t, ga_l0_config>(in, s0, height, width, ga_l0_w, ga_l0_b, ga_l0_shift);
    lic::gdn<ga_l1_in_t, ga_l1_out_t, ga_l1_config>(s0, s1, h1, w1, ga_l1_gamma, ga_l1_beta);
    lic::conv2d_s2<ga_l2_in_t, ga_l2_out_t, ga_l2_config>(s1, s2, h1, w1, ga_l2_w, ga_l2_b, ga_l2_shift);
    lic::gdn<ga_l3_in_t, ga_l3_out_t, ga_l3_config>(s2, s3, h2, w2, ga_l3_gamma, ga_l3_beta);
    lic::conv2d_s2<ga_l4_in_t, ga_l4_out_t, ga_l4_config>(s3, s4, h2, w2, ga_l4_w, ga_l4_b, ga_l4_shift);
    lic::gdn<ga_l5_in_t, ga_l5_out_t, ga_l5_config>(s4, s5, h3, w3, ga_l5_gamma, ga_l5_beta);
    lic::conv2d_s2<ga_l6_in_t, ga_l6_out_t, ga_l6_config>(s5, out, h3, w3, ga_l6_w, ga_l6_b, ga_l6_shift);
}

#ifdef LIC_HAS_GS
void lic_synthesis(hls::stream<gs_l0_in_t>& in, hls::stream<gs_l6_out_t>& out, int height, int width) {
#pragma HLS INTERFACE axis port=in
#pragma HLS INTERFACE axis port=out
#pragma HLS INTERFACE s_axilite port=height
#pragma HLS INTERFACE s_axilite port=width
#pragma HLS INTERFACE s_axilite port=return
#pragma HLS DATAFLOW
    hls::stream<gs_l0_out_t> s0("gs_s0");
    hls::stream<gs_l1_out_t> s1("gs_s1");
    hls::stream<gs_l2_out_t> s2("gs_s2");
    hls::stream<gs_l3_out_t> s3("gs_s3");
    hls::stream<gs_l4_out_t> s4("gs_s4");
    hls::stream<gs_l5_out_t> s5("gs_s5");
    lic::deconv2d_s2<gs_l0_in_t, gs_l0_out_t, gs_l0_config>(in, s0, height, width, gs_l0_w, gs_l0_b, gs_l0_shift);
    lic::gdn<gs_l1_in_t, gs_l1_out_t, gs_l1_config>(s0, s1, 2 * height, 2 * width, gs_l1_gamma, gs_l1_beta);
    lic::deconv2d_s2<gs_l2_in_t, gs_l2_out_t, gs_l2_config>(s1, s2, 2 * height, 2 * width, gs_l2_w, gs_l2_b, gs_l2_shift);
    lic::gdn<gs_l3_in_t, gs_l3_out_t, gs_l3_config>(s2, s3, 4 * height, 4 * width, gs_l3_gamma, gs_l3_beta);
    lic::deconv2d_s2<gs_l4_in_t, gs_l4_out_t, gs_l4_config>(s3, s4, 4 * height, 4 * width, gs_l4_w, gs_l4_b, gs_l4_shift);
    lic::gdn<gs_l5_in_t, gs_l5_out_t, gs_l5_config>(s4, s5, 8 * height, 8 * width, gs_l5_gamma, gs_l5_beta);
    lic::deconv2d_s2<gs_l6_in_t, gs_l6_out_t, gs_l6_config>(s5, out, 8 * height, 8 * width, gs_l6_w, gs_l6_b, gs_l6_shift);
}
#endif
