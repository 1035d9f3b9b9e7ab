// Vitis csim_design / cosim_design testbench for the hyperprior tops.
//   hyper_csim_main ha tb_data/ha_in.txt tb_data/ha_out.txt   (lic_hyper_analysis: |y| -> z)
//   hyper_csim_main hs tb_data/hs_in.txt tb_data/hs_out.txt   (lic_hyper_synthesis: z_hat -> indexes)
// Files from lic.hw.hls_hyper.write_hyper_tb_data: first line "H W C", then H*W*C integers in raster
// order, channels innermost. Streams one vector an AXI4-Stream beat in, checks every value of the
// PE-wide output beats and TLAST. Returns 0 when there is no mismatch (the count is printed).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <vector>

#include "hyper_top.h"

#ifndef __SYNTHESIS__
namespace lic {
long long g_cycles[LIC_MAX_LAYERS];
long long g_saturations[LIC_MAX_LAYERS];
long long g_words_in[LIC_MAX_LAYERS];
long long g_words_out[LIC_MAX_LAYERS];
long long g_mem_reads[LIC_MAX_LAYERS];
long long g_conflicts[LIC_MAX_LAYERS];
long long g_mults[LIC_MAX_LAYERS];
}  // namespace lic
#endif

static bool read_tensor(const char* path, int& h, int& w, int& c, std::vector<long long>& v) {
    std::ifstream f(path);
    if (!f) return false;
    f >> h >> w >> c;
    v.resize((size_t)h * w * c);
    for (size_t k = 0; k < v.size(); k++) f >> v[k];
    return (bool)f;
}

// Streams x through top, compares with ref; returns the number of mismatching values (+1 for a bad TLAST).
template <class IN_T, class OUT_T, class V_T, int IB, int OB, int PE>
long run_top(void (*top)(hls::stream<IN_T>&, hls::stream<OUT_T>&, int, int), int h, int w, int c,
             const std::vector<long long>& x, const std::vector<long long>& ref) {
    hls::stream<IN_T> si("tb_in");
    hls::stream<OUT_T> so("tb_out");
    for (long px = 0; px < (long)h * w; px++) {
        IN_T beat;
        for (int j = 0; j < c; j++) beat.data.range(IB * j + IB - 1, IB * j) = (ap_uint<IB>)x[px * c + j];
        beat.keep = -1;
        beat.strb = -1;
        beat.last = px == (long)h * w - 1;
        si.write(beat);
    }
    top(si, so, h, w);
    long mismatches = 0, lasts = 0;
    size_t k = 0;
    while (k < ref.size()) {
        OUT_T beat = so.read();
        if (beat.last) lasts += (k + PE == ref.size()) ? 1 : 1000;
        for (int j = 0; j < PE; j++, k++) {
            V_T v;
            v.range(OB - 1, 0) = beat.data.range(OB * j + OB - 1, OB * j);
            const long long y = (long long)v;
            if (y != ref[k]) {
                if (mismatches < 10) std::printf("mismatch at %zu: got %lld want %lld\n", k, y, ref[k]);
                mismatches++;
            }
        }
    }
    if (lasts != 1) {
        std::printf("TLAST not on exactly the last beat\n");
        mismatches++;
    }
    std::printf("%zu values, %ld mismatches\n", ref.size(), mismatches);
    return mismatches;
}

int main(int argc, char** argv) {
    const bool hs = argc > 1 && std::strcmp(argv[1], "hs") == 0;
    const char* in_path = argc > 2 ? argv[2] : (hs ? "tb_data/hs_in.txt" : "tb_data/ha_in.txt");
    const char* out_path = argc > 3 ? argv[3] : (hs ? "tb_data/hs_out.txt" : "tb_data/ha_out.txt");
    int h, w, c, oh, ow, oc;
    std::vector<long long> x, ref;
    if (!read_tensor(in_path, h, w, c, x) || !read_tensor(out_path, oh, ow, oc, ref)) {
        std::cerr << "cannot read " << in_path << " / " << out_path << std::endl;
        return 1;
    }
    long mismatches;
    if (hs) {
        std::printf("lic_hyper_synthesis: ");
        mismatches = run_top<hs_axis_in_t, hs_axis_out_t, hs_l3_out_t, hs_l0_in_t::width, hs_l3_out_t::width,
                             hs_l3_config::pe>(lic_hyper_synthesis, h, w, c, x, ref);
    } else {
        std::printf("lic_hyper_analysis: ");
        mismatches = run_top<ha_axis_in_t, ha_axis_out_t, ha_l2_out_t, ha_l0_in_t::width, ha_l2_out_t::width,
                             ha_l2_config::pe>(lic_hyper_analysis, h, w, c, x, ref);
    }
    return mismatches == 0 ? 0 : 1;
}
