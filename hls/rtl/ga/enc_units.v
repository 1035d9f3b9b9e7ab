// The encoder's small units around the hyperprior stages (lic.hw.encoder is the reference):
//
//   ga_index_stage : h_s's scale index, index = #{k < NT : x > T_k} (lic.fixedpoint "index"),
//                    PE lanes a beat, each comparing its value with all NT thresholds of a ROM
//                    (a register after the comparisons) and counting the ones in registered
//                    levels (ga_popcnt); uint8 out, C/PE beats a pixel; free running with a
//                    skid buffer (ga_skid) before its collector;
//   ga_latq        : ŷ = rshift_round(y, FRAC) and h_a's input min(|y|, 2^OUT_BITS - 1) from g_a's y;
//   ga_zq          : z -> symbols q = rshift_round(z - m, FRAC) and
//                    ẑ = sat((q << FRAC) + m, Z_BITS signed), medians m from a ROM;
//   ga_fork2       : one stream to two consumers (a lazy fork: a beat leaves when both take it;
//                    the consumers' ready must not depend on their valid, as for every stage here).
`timescale 1ns / 1ps
`default_nettype none

module ga_index_stage #(
    parameter integer C       = 8,
    parameter integer PE      = 1,
    parameter integer IN_BITS = 16,     // unsigned scales
    parameter integer NT      = 63,     // thresholds (levels - 1, <= 255)
    parameter integer NPIX    = 16,     // pixels a frame (for the frame-0 counter)
    parameter integer DEPTH   = 2,
    parameter TFILE = "t.hex"           // NT words of IN_BITS + 1 bits (signed, clamped to
                                        // [-1, 2^IN_BITS - 1] by the generator)
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [31:0]             cycle,
    input  wire                    in_valid,
    output wire                    in_ready,
    input  wire [C*IN_BITS-1:0]    in_data,
    output wire                    out_valid,
    input  wire                    out_ready,
    output wire [C*8-1:0]          out_data,
    output wire [9*32-1:0]         stats
);
    localparam integer TB = IN_BITS + 1;
    localparam integer NF = C / PE;
    localparam integer FW = (NF > 1) ? $clog2(NF) : 1;
    reg [TB-1:0] trom [0:NT-1];
    initial $readmemh(TFILE, trom);

    reg               have;
    reg [C*IN_BITS-1:0] x;
    reg [FW-1:0]      f;
    reg [31:0]        npix;
    wire              en;            // the skid buffer has room for one more beat's result
    wire issue = have & en;          // a beat = PE lanes of one fold: one job
    wire lastf = (f == NF - 1);
    assign in_ready = ~have | (issue & lastf);
    always @(posedge clk) begin
        if (rst) begin
            have <= 1'b0; f <= 0; npix <= 0;
        end else begin
            if (in_valid & in_ready) begin
                have <= 1'b1; f <= 0;
            end else if (issue) begin
                have <= ~lastf;
                f <= lastf ? {FW{1'b0}} : f + 1'b1;
            end
            if (issue & lastf) npix <= npix + 1;
        end
        if (in_valid & in_ready) x <= in_data;
    end
    // pipeline, free running (no clock enable): 1 the fold's lanes (mux tree), 2 the NT
    // comparisons a lane, then ga_popcnt's registered levels; the results go into a skid FIFO
    // (ga_skid, fifo.v) with a slot reserved for every beat in flight, then the collector
    wire [PE*IN_BITS-1:0] lanes;
    ga_muxtree #(.N(NF), .W(PE*IN_BITS), .SB(FW)) u_sel (.d(x), .s(f), .y(lanes));
    reg [PE*IN_BITS-1:0] l_r;
    reg                  v1, v2;
    always @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0; v2 <= 1'b0;
        end else begin
            v1 <= issue; v2 <= v1;
        end
        l_r <= lanes;
    end
    localparam integer PL = ga_popcnt_levels(NT);
    function integer ga_popcnt_levels(input integer n);   // ga_popcnt's register stages
        integer m;
        begin
            ga_popcnt_levels = 0;
            for (m = n; m > 1; m = (m + 3) / 4) ga_popcnt_levels = ga_popcnt_levels + 1;
            ga_popcnt_levels = ga_popcnt_levels + 1;
        end
    endfunction
    wire [PE*8-1:0] r_y;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_lane
            integer k;
            reg [NT-1:0] c_r;
            always @(posedge clk)
                for (k = 0; k < NT; k = k + 1)
                    c_r[k] <= $signed({1'b0, l_r[p*IN_BITS +: IN_BITS]}) > $signed(trom[k]);
            ga_popcnt #(.N(NT), .OB(8)) u_pc (.clk(clk), .d(c_r), .y(r_y[p*8 +: 8]));
        end
    endgenerate
    reg [PL-1:0] pv;                 // valid beside ga_popcnt's PL register stages
    integer q;
    always @(posedge clk)
        if (rst) pv <= 0;
        else begin
            pv[0] <= v2;
            for (q = 1; q < PL; q = q + 1) pv[q] <= pv[q-1];
        end
    localparam integer SKID = (2 + PL + 3) + 1;        // beats in flight: issue .. slot released
    wire          c_ready, c_valid;
    wire [PE*8-1:0] c_y;
    ga_skid #(.W(PE*8), .DEPTH(SKID)) u_skid (
        .clk(clk), .rst(rst), .start(issue), .ok(en), .in_valid(pv[PL-1]), .in_data(r_y),
        .out_valid(c_valid), .out_ready(c_ready), .out_data(c_y));
    wire [31:0] sat_count;
    ga_collect #(.PE(PE), .NCO(NF), .OB(8), .DEPTH(DEPTH)) u_col (
        .clk(clk), .rst(rst), .in_valid(c_valid), .in_ready(c_ready), .in_y(c_y),
        .in_sat({(2*PE){1'b0}}), .out_valid(out_valid), .out_ready(out_ready),
        .out_data(out_data), .sat_count(sat_count));

    reg [31:0] c_busy, c_stall, c_starve, c_first, c_last, c_last0;
    always @(posedge clk) begin
        if (rst) begin
            c_busy <= 0; c_stall <= 0; c_starve <= 0; c_first <= 0; c_last <= 0; c_last0 <= 0;
        end else begin
            if (issue) begin
                c_busy <= c_busy + 1;
                if (c_busy == 0) c_first <= cycle;
                c_last <= cycle;
                if (npix < NPIX) c_last0 <= cycle;
            end else if (have) c_stall <= c_stall + 1;
            else c_starve <= c_starve + 1;
        end
    end
    assign stats = {c_last0, npix, sat_count, c_last, c_first, 32'd0, c_starve, c_stall, c_busy};
endmodule

// y = the number of ones of d, as a tree of 4-input adders with a register after every level
// and one after the root: ceil(log4 N) + 1 register stages; OB output bits (>= bits of N)
module ga_popcnt #(
    parameter integer N  = 63,
    parameter integer OB = 8
) (
    input  wire          clk,
    input  wire [N-1:0]  d,
    output wire [OB-1:0] y
);
    function integer nterms(input integer k);
        integer q;
        begin
            nterms = N;
            for (q = 0; q < k; q = q + 1) nterms = (nterms + 3) / 4;
        end
    endfunction
    function integer levels(input integer dummy);
        begin
            levels = 0;
            while (nterms(levels) > 1) levels = levels + 1;
        end
    endfunction
    localparam integer NL = levels(0);
    genvar gk, gi;
    generate
        for (gk = 0; gk <= NL; gk = gk + 1) begin : g_lv
            localparam integer NN = nterms(gk), TW = 1 + 2 * gk;   // 4^k ones need 2k + 1 bits
            wire [NN*TW-1:0] s;
            if (gk == 0) begin : g_in
                assign s = d;
            end else begin : g_add
                localparam integer NP = nterms(gk - 1), WP = TW - 2;
                reg [NN*TW-1:0] r;
                for (gi = 0; gi < NN; gi = gi + 1) begin : g_n
                    integer j;
                    reg [TW-1:0] t;
                    always @* begin
                        t = 0;
                        for (j = 0; j < 4; j = j + 1)
                            if (gi * 4 + j < NP) t = t + g_lv[gk-1].s[(gi*4 + j)*WP +: WP];
                    end
                    always @(posedge clk) r[gi*TW +: TW] <= t;
                end
                assign s = r;
            end
        end
        // an output register after the root: NL + 1 register stages in all
        localparam integer TO = 1 + 2 * NL;
        reg [TO-1:0] yo;
        always @(posedge clk) yo <= g_lv[NL].s;
        if (TO >= OB) begin : g_cut
            assign y = yo[OB-1:0];
        end else begin : g_ext
            assign y = {{(OB-TO){1'b0}}, yo};
        end
    endgenerate
endmodule

// The latents from g_a's output y (FRAC fractional bits, combinational), as lic.codec.intprior.IntPrior.latents:
// y_hat = sat(rshift_round(y, FRAC), YB bits signed) to the rANS coder; a = min(|y|, 2^OUT_BITS - 1) to h_a
module ga_latq #(
    parameter integer C        = 8,
    parameter integer IN_BITS  = 26,    // signed y
    parameter integer FRAC     = 10,    // y_frac, 0..16
    parameter integer YB       = 16,    // signed y_hat
    parameter integer OUT_BITS = 16     // unsigned h_a input
) (
    input  wire [C*IN_BITS-1:0]  y,
    output wire [C*YB-1:0]       y_hat,
    output wire [C*OUT_BITS-1:0] a
);
    localparam integer MW = IN_BITS + 1;
    localparam [MW-1:0] MAX = (1 << OUT_BITS) - 1;
    localparam signed [MW-1:0] HALF = (FRAC > 0) ? (1 << (FRAC - 1)) : 0;
    localparam signed [MW-1:0] YMAX = (1 <<< (YB - 1)) - 1;
    localparam signed [MW-1:0] YMIN = -(1 <<< (YB - 1));
    genvar c;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_c
            wire signed [IN_BITS-1:0] v = y[c*IN_BITS +: IN_BITS];
            wire signed [MW-1:0] vx = {v[IN_BITS-1], v};
            wire [MW-1:0] m = v[IN_BITS-1] ? -vx : vx;
            wire signed [MW-1:0] r = (vx + HALF) >>> FRAC;
            assign y_hat[c*YB +: YB] = (r > YMAX) ? YMAX[YB-1:0] : (r < YMIN) ? YMIN[YB-1:0] : r[YB-1:0];
            assign a[c*OUT_BITS +: OUT_BITS] = (m > MAX) ? MAX[OUT_BITS-1:0] : m[OUT_BITS-1:0];
        end
    endgenerate
endmodule

// One channel of ga_zq: q = rshift_round(z - m, FRAC), ẑ = sat((q << FRAC) + m)
module ga_zq1 #(
    parameter integer Z_BITS = 16,
    parameter integer FRAC   = 0,
    parameter integer Q_BITS = 16,
    parameter integer M_BITS = 40
) (
    input  wire [Z_BITS-1:0] z,
    input  wire [M_BITS-1:0] m,
    output wire [Q_BITS-1:0] q,
    output wire [Z_BITS-1:0] zhat
);
    localparam signed [M_BITS-1:0] ZMAX = (64'sd1 <<< (Z_BITS - 1)) - 1;
    localparam signed [M_BITS-1:0] ZMIN = -(64'sd1 <<< (Z_BITS - 1));
    wire signed [M_BITS-1:0] ms = m;
    wire signed [Z_BITS-1:0] zc = z;
    wire signed [M_BITS-1:0] d  = zc - ms;     // sign-extended
    wire signed [M_BITS-1:0] qv;
    generate
        if (FRAC > 0) begin : g_r
            assign qv = (d + (64'sd1 <<< (FRAC - 1))) >>> FRAC;
        end else begin : g_0
            assign qv = d;
        end
    endgenerate
    wire signed [M_BITS-1:0] zh = (qv <<< FRAC) + ms;
    assign q    = qv[Q_BITS-1:0];
    assign zhat = (zh > ZMAX) ? ZMAX[Z_BITS-1:0] : (zh < ZMIN) ? ZMIN[Z_BITS-1:0] : zh[Z_BITS-1:0];
endmodule

// z -> symbols q and ẑ (combinational), exactly as lic.codec.intprior.IntPrior.z_symbols / .indexes
module ga_zq #(
    parameter integer C      = 8,
    parameter integer Z_BITS = 16,      // signed z and ẑ
    parameter integer FRAC   = 0,       // z_frac >= 0
    parameter integer Q_BITS = 16,      // symbols (signed), wide enough for every z
    parameter integer M_BITS = 40,      // arithmetic width (medians |m| < 2^30: checked)
    parameter MFILE = "m.hex"           // C medians of M_BITS
) (
    input  wire [C*Z_BITS-1:0] z,
    output wire [C*Q_BITS-1:0] q,
    output wire [C*Z_BITS-1:0] zhat
);
    reg [M_BITS-1:0] mrom [0:C-1];
    initial $readmemh(MFILE, mrom);
    genvar c;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_c
            ga_zq1 #(.Z_BITS(Z_BITS), .FRAC(FRAC), .Q_BITS(Q_BITS), .M_BITS(M_BITS)) u (
                .z(z[c*Z_BITS +: Z_BITS]), .m(mrom[c]), .q(q[c*Q_BITS +: Q_BITS]), .zhat(zhat[c*Z_BITS +: Z_BITS]));
        end
    endgenerate
endmodule

// Control of a unit that takes a word of C channels and computes it L channels a cycle (G = C / L groups): load
// (a word in), G steps (group g of the word), then the word out; a word every G + 1 cycles (the next word loads
// in the cycle its predecessor leaves). The glue between the encoder's stages (ga_latq_s, ga_zq_s) needs a word
// in hundreds of cycles: L lanes instead of C.
module ga_group_ctl #(
    parameter integer G  = 4,
    parameter integer GB = (G > 1) ? $clog2(G) : 1
) (
    input  wire clk,
    input  wire rst,
    input  wire in_valid,
    output wire in_ready,
    output wire out_valid,
    input  wire out_ready,
    output wire load,                  // latch the input word this cycle
    output wire step,                  // compute group g this cycle
    output reg  [GB-1:0] g
);
    reg run, ov;
    assign in_ready  = !run && (!ov || out_ready);
    assign load      = in_valid & in_ready;
    assign step      = run;
    assign out_valid = ov;
    always @(posedge clk) begin
        if (rst) begin
            run <= 1'b0; ov <= 1'b0; g <= {GB{1'b0}};
        end else begin
            if (load) begin
                run <= 1'b1; g <= {GB{1'b0}};
            end else if (run) begin
                g <= g + 1'b1;
                if (g == G - 1) run <= 1'b0;
            end
            if (run && g == G - 1) ov <= 1'b1;
            else if (ov && out_ready) ov <= 1'b0;
        end
    end
endmodule

// ga_latq on a stream, L channels a cycle (ga_group_ctl): y in (C x IN_BITS), y_hat (C x YB) and a (C x OUT_BITS)
// out together; the input word shifts down L channels a step, the outputs shift in from the top
module ga_latq_s #(
    parameter integer C        = 8,
    parameter integer L        = 8,     // lanes (divides C)
    parameter integer IN_BITS  = 26,
    parameter integer FRAC     = 10,
    parameter integer YB       = 16,
    parameter integer OUT_BITS = 16
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire                  in_valid,
    output wire                  in_ready,
    input  wire [C*IN_BITS-1:0]  in_data,
    output wire                  out_valid,
    input  wire                  out_ready,
    output reg  [C*YB-1:0]       y_hat,
    output reg  [C*OUT_BITS-1:0] a
);
    localparam integer G = C / L;
    generate
        if (G * L != C) begin : g_bad
            ga_latq_s_needs_L_dividing_C u_bad ();
        end
    endgenerate
    wire load, step;
    wire [((G > 1) ? $clog2(G) : 1)-1:0] g;
    ga_group_ctl #(.G(G)) u_c (.clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready),
        .out_valid(out_valid), .out_ready(out_ready), .load(load), .step(step), .g(g));
    reg  [C*IN_BITS-1:0] sh;
    wire [L*YB-1:0]      ly;
    wire [L*OUT_BITS-1:0] la;
    ga_latq #(.C(L), .IN_BITS(IN_BITS), .FRAC(FRAC), .YB(YB), .OUT_BITS(OUT_BITS)) u_l (
        .y(sh[L*IN_BITS-1:0]), .y_hat(ly), .a(la));
    generate
        if (G == 1) begin : g_one
            always @(posedge clk) begin
                if (load) sh <= in_data;
                if (step) begin y_hat <= ly; a <= la; end
            end
        end else begin : g_shift
            always @(posedge clk) begin
                if (load) sh <= in_data;
                else if (step) sh <= sh >> (L * IN_BITS);
                if (step) begin
                    y_hat <= {ly, y_hat[C*YB-1:L*YB]};
                    a     <= {la, a[C*OUT_BITS-1:L*OUT_BITS]};
                end
            end
        end
    endgenerate
endmodule

// ga_zq on a stream, L channels a cycle: z in (C x Z_BITS), q (C x Q_BITS) and ẑ (C x Z_BITS) out together;
// group g's lanes read the medians g*L .. g*L+L-1
module ga_zq_s #(
    parameter integer C      = 8,
    parameter integer L      = 8,
    parameter integer Z_BITS = 16,
    parameter integer FRAC   = 0,
    parameter integer Q_BITS = 16,
    parameter integer M_BITS = 40,
    parameter MFILE = "m.hex"
) (
    input  wire                clk,
    input  wire                rst,
    input  wire                in_valid,
    output wire                in_ready,
    input  wire [C*Z_BITS-1:0] in_data,
    output wire                out_valid,
    input  wire                out_ready,
    output reg  [C*Q_BITS-1:0] q,
    output reg  [C*Z_BITS-1:0] zhat
);
    localparam integer G = C / L;
    localparam integer GB = (G > 1) ? $clog2(G) : 1;
    generate
        if (G * L != C) begin : g_bad
            ga_zq_s_needs_L_dividing_C u_bad ();
        end
    endgenerate
    wire load, step;
    wire [GB-1:0] g;
    ga_group_ctl #(.G(G)) u_c (.clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready),
        .out_valid(out_valid), .out_ready(out_ready), .load(load), .step(step), .g(g));
    reg [M_BITS-1:0] mrom [0:C-1];
    initial $readmemh(MFILE, mrom);
    reg  [C*Z_BITS-1:0] sh;
    wire [L*Q_BITS-1:0] lq;
    wire [L*Z_BITS-1:0] lz;
    genvar l;
    generate
        for (l = 0; l < L; l = l + 1) begin : g_l
            wire [31:0] ci = g * L + l;
            ga_zq1 #(.Z_BITS(Z_BITS), .FRAC(FRAC), .Q_BITS(Q_BITS), .M_BITS(M_BITS)) u (
                .z(sh[l*Z_BITS +: Z_BITS]), .m(mrom[ci]), .q(lq[l*Q_BITS +: Q_BITS]), .zhat(lz[l*Z_BITS +: Z_BITS]));
        end
        if (G == 1) begin : g_one
            always @(posedge clk) begin
                if (load) sh <= in_data;
                if (step) begin q <= lq; zhat <= lz; end
            end
        end else begin : g_shift
            always @(posedge clk) begin
                if (load) sh <= in_data;
                else if (step) sh <= sh >> (L * Z_BITS);
                if (step) begin
                    q    <= {lq, q[C*Q_BITS-1:L*Q_BITS]};
                    zhat <= {lz, zhat[C*Z_BITS-1:L*Z_BITS]};
                end
            end
        end
    endgenerate
endmodule

// lazy fork: in -> a and b
module ga_fork2 (
    input  wire in_valid,
    output wire in_ready,
    output wire a_valid,
    input  wire a_ready,
    output wire b_valid,
    input  wire b_ready
);
    assign in_ready = a_ready & b_ready;
    assign a_valid  = in_valid & b_ready;
    assign b_valid  = in_valid & a_ready;
endmodule

`default_nettype wire
