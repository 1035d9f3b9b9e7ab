// Verilator testbench of the generated g_a pipeline (ga_top): streams one frame in,
// collects the latents, reads the per-stage counters.
//   tb_ga <pixels.bin> <latents.bin> <stats.txt> [frames] [max_cycles]
// pixels.bin : H*W*CIN uint8, raster order, channel innermost
// latents.bin: frames x HO*WO*COUT int16 (little endian), raster order, channel innermost
// stats.txt  : "cycles N", "frame f <cycle of its last latent>", then a line a stage:
//              "stage k busy stall starve fill first last sat pixels last0"
// The same image is streamed `frames` times back to back (one pixel a cycle while accepted).
// Sizes come from ga_cfg.h, written by lic.rtl_ga next to the generated top.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "Vga_top.h"
#include "verilated.h"
#include "ga_cfg.h"

// Verilator stores ports <= 64 bits as integers and wider ones as VlWide (32-bit words).
template <typename T> static uint64_t get_bits(const T& s, int lo, int n) {
    return (static_cast<uint64_t>(s) >> lo) & ((n >= 64) ? ~0ull : ((1ull << n) - 1));
}
template <std::size_t N> static uint64_t get_bits(const VlWide<N>& s, int lo, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>((s[(lo + i) / 32] >> ((lo + i) % 32)) & 1u) << i;
    return v;
}
template <typename T> static void set_bits(T& s, int lo, int n, uint64_t v) {
    T m = static_cast<T>(((n >= 64) ? ~0ull : ((1ull << n) - 1)) << lo);
    s = static_cast<T>((s & ~m) | (static_cast<T>(v << lo) & m));
}
template <std::size_t N> static void set_bits(VlWide<N>& s, int lo, int n, uint64_t v) {
    for (int i = 0; i < n; ++i) {
        uint32_t& w = s[(lo + i) / 32];
        const uint32_t bit = 1u << ((lo + i) % 32);
        w = ((v >> i) & 1u) ? (w | bit) : (w & ~bit);
    }
}

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s pixels.bin latents.bin stats.txt [frames] [max_cycles]\n", argv[0]);
        return 2;
    }
    const long frames = argc > 4 ? std::atol(argv[4]) : 1;
    const long n_px = (long)GA_H * GA_W, n_lat = (long)GA_HO * GA_WO;
    const long n_in = n_px * frames, n_out = n_lat * frames;
    const uint64_t max_cycles = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 4000000000ull;
    std::vector<uint8_t> pix(n_px * GA_CIN);
    FILE* f = std::fopen(argv[1], "rb");
    if (!f || std::fread(pix.data(), 1, pix.size(), f) != pix.size()) {
        std::fprintf(stderr, "cannot read %ld pixels from %s\n", n_px, argv[1]);
        return 2;
    }
    std::fclose(f);
    std::vector<int16_t> lat(n_out * GA_COUT);
    std::vector<uint64_t> frame_end(frames, 0);

    VerilatedContext ctx;
    Vga_top top(&ctx);
    top.clk = 0; top.rst = 1; top.in_valid = 0; top.out_ready = 1;
    for (int i = 0; i < 4; ++i) { top.clk = 0; top.eval(); top.clk = 1; top.eval(); }
    top.rst = 0;
    long i_in = 0, i_out = 0;
    uint64_t cycle = 0;
    while (i_out < n_out && cycle < max_cycles) {
        top.clk = 0;
        top.in_valid = i_in < n_in;
        if (i_in < n_in)
            for (int c = 0; c < GA_CIN; ++c) set_bits(top.in_data, 8 * c, 8, pix[(i_in % n_px) * GA_CIN + c]);
        top.eval();
        const bool in_fire = top.in_valid && top.in_ready;
        if (top.out_valid) {
            for (int c = 0; c < GA_COUT; ++c)
                lat[i_out * GA_COUT + c] = (int16_t)get_bits(top.out_data, GA_OB * c, GA_OB);
            ++i_out;
            if (i_out % n_lat == 0) frame_end[i_out / n_lat - 1] = cycle;
        }
        top.clk = 1;
        top.eval();
        if (in_fire) ++i_in;
        ++cycle;
    }
    top.final();
    f = std::fopen(argv[2], "wb");
    std::fwrite(lat.data(), sizeof(int16_t), lat.size(), f);
    std::fclose(f);
    f = std::fopen(argv[3], "w");
    std::fprintf(f, "cycles %llu\nin %ld\nout %ld\n", (unsigned long long)cycle, i_in, i_out);
    for (long k = 0; k < frames; ++k) std::fprintf(f, "frame %ld %llu\n", k, (unsigned long long)frame_end[k]);
    for (int s = 0; s < GA_NSTAGES; ++s) {
        std::fprintf(f, "stage %d", s);
        for (int k = 0; k < 9; ++k) std::fprintf(f, " %llu", (unsigned long long)get_bits(top.stats, (s * 9 + k) * 32, 32));
        std::fprintf(f, "\n");
    }
    std::fclose(f);
    return i_out == n_out ? 0 : 1;
}
