// Vitis csim_design / cosim_design testbench for lic_analysis.
// Reads tb_data/ga_in.txt and tb_data/ga_out.txt written by lic.hls_export.write_tb_data:
// first line "H W C", then H*W*C integers in raster order, channels innermost.
// Streams one pixel an AXI4-Stream beat in, checks the PE-wide output beats and TLAST.
// Returns the number of mismatching values (0 = pass).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

#include "top.h"

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

int main(int argc, char** argv) {
    const char* in_path = argc > 1 ? argv[1] : "tb_data/ga_in.txt";
    const char* out_path = argc > 2 ? argv[2] : "tb_data/ga_out.txt";
    int h, w, c, oh, ow, oc;
    std::vector<long long> x, ref;
    if (!read_tensor(in_path, h, w, c, x) || !read_tensor(out_path, oh, ow, oc, ref)) {
        std::cerr << "cannot read " << in_path << " / " << out_path << std::endl;
        return 1;
    }
    const int IB = ga_l0_in_t::width, OB = ga_l6_out_t::width, PE = ga_l6_config::pe;
    hls::stream<ga_axis_in_t> si("tb_in");
    hls::stream<ga_axis_out_t> so("tb_out");
    for (long px = 0; px < (long)h * w; px++) {
        ga_axis_in_t beat;
        for (int j = 0; j < c; j++) beat.data.range(IB * j + IB - 1, IB * j) = (ap_uint<IB>)x[px * c + j];
        beat.keep = -1;
        beat.strb = -1;
        beat.last = px == (long)h * w - 1;
        si.write(beat);
    }
    lic_analysis(si, so, h, w);
    long mismatches = 0, lasts = 0;
    size_t k = 0;
    for (size_t beat_no = 0; k < ref.size(); beat_no++) {
        ga_axis_out_t beat = so.read();
        if (beat.last) lasts += (k + PE == ref.size()) ? 1 : 1000;
        for (int j = 0; j < PE; j++, k++) {
            ga_l6_out_t v;
            v.range(OB - 1, 0) = beat.data.range(OB * j + OB - 1, OB * j);
            long long y = (long long)v;
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
    std::printf("lic_analysis: %zu values, %ld mismatches\n", ref.size(), mismatches);
#ifndef __SYNTHESIS__
    for (int l = 0; l < 7; l++)
        std::printf("layer %d: %lld beats, %lld bank conflicts\n", l, lic::g_cycles[l], lic::g_conflicts[l]);
#endif
    return mismatches == 0 ? 0 : 1;
}
