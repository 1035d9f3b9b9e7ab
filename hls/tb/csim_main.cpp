// Vitis csim_design / cosim_design testbench for lic_analysis (and lic_synthesis if built).
// Reads tb_data/ga_in.txt and tb_data/ga_out.txt written by lic.hls_export.write_tb_data:
// first line "H W C", then H*W*C integers in raster order, channels innermost.
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
    hls::stream<ga_l0_in_t> si("tb_in");
    hls::stream<ga_l6_out_t> so("tb_out");
    for (size_t k = 0; k < x.size(); k++) si.write((ga_l0_in_t)x[k]);
    lic_analysis(si, so, h, w);
    long mismatches = 0;
    for (size_t k = 0; k < ref.size(); k++) {
        long long y = (long long)so.read();
        if (y != ref[k]) {
            if (mismatches < 10) std::printf("mismatch at %zu: got %lld want %lld\n", k, y, ref[k]);
            mismatches++;
        }
    }
    std::printf("lic_analysis: %zu values, %ld mismatches\n", ref.size(), mismatches);
#ifndef __SYNTHESIS__
    for (int l = 0; l < 7; l++) std::printf("layer %d: %lld pipelined iterations\n", l, lic::g_cycles[l]);
#endif
    return mismatches == 0 ? 0 : 1;
}
