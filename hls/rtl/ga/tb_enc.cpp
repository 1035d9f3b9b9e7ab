// Verilator testbench of the generated encoder pipeline (enc_top: g_a -> ŷ, h_a -> z symbols,
// h_s -> CDF indexes): streams `frames` frames in (frame k: image k mod K of pixels.bin's K), collects the
// three output streams.
//   tb_enc <pixels.bin> <y.bin> <q.bin> <idx.bin> <stats.txt> [frames] [seed] [max_cycles]
// pixels.bin: H*W*CIN uint8, raster order, channel innermost
// y.bin     : frames x YH*YW*YC int16 (ŷ), q.bin: frames x ZH*ZW*ZC int32 (z symbols),
// idx.bin   : frames x YH*YW*YC uint8 (indexes); raster order, channel innermost
// stats.txt : "cycles N", "frame <y|q|idx> f <cycle of its last word>", then a line a stage:
//             "stage k busy stall starve fill first last sat pixels last0"
// seed != 0: pseudo-random gaps on the input (valid) and back-pressure on the three outputs
// (ready), so every handshake is exercised; seed 0: one pixel a cycle in, outputs always ready.
// Sizes come from enc_cfg.h, written by lic.hw.rtl.encoder next to the generated top.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "Venc_top.h"
#include "verilated.h"
#include "enc_cfg.h"

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
static int64_t sext(uint64_t v, int bits) {
    const uint64_t m = 1ull << (bits - 1);
    return (int64_t)((v ^ m) - m);
}

struct Stream {  // one output port's words, the cycle each frame's last word left, and TLAST checked on every word
    long n_frame, done = 0, last_errors = 0;
    std::vector<uint64_t> ends;
    Stream(long per_frame, long frames) : n_frame(per_frame), ends(frames, 0) {}
    void push(uint64_t cycle, bool last) {
        ++done;
        if (last != (done % n_frame == 0)) ++last_errors;  // TLAST exactly on a frame's last word
        if (done % n_frame == 0) ends[done / n_frame - 1] = cycle;
    }
};

static bool write_file(const char* path, const void* p, size_t size, size_t n) {
    FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    std::fwrite(p, size, n, f);
    std::fclose(f);
    return true;
}

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: %s pixels y q idx stats [frames] [seed] [max_cycles]\n", argv[0]);
        return 2;
    }
    const long frames = argc > 6 ? std::atol(argv[6]) : 1;
    uint64_t rng = argc > 7 ? std::strtoull(argv[7], nullptr, 10) : 0;
    const bool random_hs = rng != 0;
    const uint64_t max_cycles = argc > 8 ? std::strtoull(argv[8], nullptr, 10) : 4000000000ull;
    const long n_px = (long)ENC_H * ENC_W, n_in = n_px * frames;
    // pixels.bin holds K >= 1 images; frame k streams image k mod K (different frames back to back)
    FILE* f = std::fopen(argv[1], "rb");
    long n_bytes = -1;
    if (f && std::fseek(f, 0, SEEK_END) == 0) n_bytes = std::ftell(f);
    const long img_bytes = n_px * ENC_CIN;
    if (!f || n_bytes < img_bytes || n_bytes % img_bytes != 0 || std::fseek(f, 0, SEEK_SET) != 0) {
        std::fprintf(stderr, "%s does not hold whole images of %ld pixels\n", argv[1], n_px);
        return 2;
    }
    const long n_img = n_bytes / img_bytes;
    std::vector<uint8_t> pix(n_bytes);
    if (std::fread(pix.data(), 1, pix.size(), f) != pix.size()) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    std::fclose(f);
    Stream sy((long)ENC_YH * ENC_YW, frames), sq((long)ENC_ZH * ENC_ZW, frames), si((long)ENC_YH * ENC_YW, frames);
    std::vector<int16_t> y(sy.n_frame * frames * ENC_YC);
    std::vector<int32_t> q(sq.n_frame * frames * ENC_ZC);
    std::vector<uint8_t> idx(si.n_frame * frames * ENC_YC);

    VerilatedContext ctx;
    Venc_top top(&ctx);
    top.clk = 0; top.rst = 1; top.in_valid = 0; top.y_ready = 1; top.q_ready = 1; top.i_ready = 1;
    for (int i = 0; i < 4; ++i) { top.clk = 0; top.eval(); top.clk = 1; top.eval(); }
    top.rst = 0;
    long i_in = 0;
    uint64_t cycle = 0;
    const long total = (sy.n_frame + sq.n_frame + si.n_frame) * frames;
    while (sy.done + sq.done + si.done < total && cycle < max_cycles) {
        uint32_t r = 0xFFFFFFFFu;
        if (random_hs) {  // xorshift64
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
            r = (uint32_t)rng;
        }
        top.clk = 0;
        top.in_valid = i_in < n_in && (r & 3u) != 0;  // 3/4 of the cycles when random
        top.y_ready = (r >> 2) & 1u;                   // 1/2
        top.q_ready = ((r >> 3) & 3u) != 0;            // 3/4
        top.i_ready = ((r >> 5) & 3u) != 0;            // 3/4
        if (i_in < n_in)
            for (int c = 0; c < ENC_CIN; ++c)
                set_bits(top.in_data, 8 * c, 8, pix[(((i_in / n_px) % n_img) * n_px + i_in % n_px) * ENC_CIN + c]);
        top.eval();
        const bool in_fire = top.in_valid && top.in_ready;
        if (top.y_valid && top.y_ready) {
            for (int c = 0; c < ENC_YC; ++c)
                y[sy.done * ENC_YC + c] = (int16_t)sext(get_bits(top.y_data, ENC_YB * c, ENC_YB), ENC_YB);
            sy.push(cycle, top.y_last);
        }
        if (top.q_valid && top.q_ready) {
            for (int c = 0; c < ENC_ZC; ++c)
                q[sq.done * ENC_ZC + c] = (int32_t)sext(get_bits(top.q_data, ENC_QB * c, ENC_QB), ENC_QB);
            sq.push(cycle, top.q_last);
        }
        if (top.i_valid && top.i_ready) {
            for (int c = 0; c < ENC_YC; ++c) idx[si.done * ENC_YC + c] = (uint8_t)get_bits(top.i_data, 8 * c, 8);
            si.push(cycle, top.i_last);
        }
        top.clk = 1;
        top.eval();
        if (in_fire) ++i_in;
        ++cycle;
    }
    top.final();
    if (!write_file(argv[2], y.data(), sizeof(int16_t), y.size()) ||
        !write_file(argv[3], q.data(), sizeof(int32_t), q.size()) ||
        !write_file(argv[4], idx.data(), 1, idx.size()))
        return 2;
    f = std::fopen(argv[5], "w");
    std::fprintf(f, "cycles %llu\nin %ld\nout %ld %ld %ld\n", (unsigned long long)cycle, i_in, sy.done, sq.done, si.done);
    std::fprintf(f, "tlast_errors %ld %ld %ld\n", sy.last_errors, sq.last_errors, si.last_errors);
    const char* names[3] = {"y", "q", "idx"};
    Stream* ss[3] = {&sy, &sq, &si};
    for (int s = 0; s < 3; ++s)
        for (long k = 0; k < frames; ++k)
            std::fprintf(f, "frame %s %ld %llu\n", names[s], k, (unsigned long long)ss[s]->ends[k]);
    for (int s = 0; s < ENC_NSTAGES; ++s) {
        std::fprintf(f, "stage %d", s);
        for (int k = 0; k < 9; ++k) std::fprintf(f, " %llu", (unsigned long long)get_bits(top.stats, (s * 9 + k) * 32, 32));
        std::fprintf(f, "\n");
    }
    std::fclose(f);
    return sy.done + sq.done + si.done == total ? 0 : 1;
}
