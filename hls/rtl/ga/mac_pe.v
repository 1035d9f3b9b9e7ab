// Conv processing element with a pipelined SIMD adder tree: the MAC part of conv_pe.v
// (lic/hw/fixedpoint conv: exact accumulation), bit for bit, with the SIMD products summed by
// a tree of FANIN-input adders and a register after every tree level, so a wide PE (SIMD =
// 400, 1600) has no long combinational path:
//
//   product (1) | tree (NL = ceil(log_FANIN SIMD) levels) | accumulate (1)
//
// II = 1 beat, one global stall (en = !out_valid | out_ready), one exact accumulator (AW
// bits, bias included) with its shift every NBEATS beats; bias/shift ride on a job's first
// beat and travel down the tree with it. The sums are exact (the tree is wide enough for SIMD
// products), so the order of addition does not change a bit. The requantisation (int32
// saturation, rounding shift, output clamp: conv_pe's stages 3-4) is not per unit: the
// stage's PE accumulators go through ga_requant (below), shared by the units.
//
// PACK = 2 (Xilinx WP486 INT8 packing, hls/src lic::mul2_shared, lic.fpga_model conv_dsp):
// the unit computes TWO output channels (q = 0, 1: weights in_w[q*SIMD*W_BITS +: ...],
// bias/shift/out_acc/out_shift field q) that share the activations; each SIMD lane is ONE
// signed multiply (w1 * 2^18 + w0) * a (27 x AX bits: one DSP48E2), split exactly:
//   lo = sign-extended bits 17..0 = w0 * a  (|w0 * a| <= 2^7 * 2^8 < 2^17 when W_BITS <= 8
//        and AX <= 9: activations of at most 9 bits as signed),
//   hi = (p - lo) >> 18 = (p >>> 18) + p[17]  (the borrow of the signed low half) = w1 * a.
// Legal only for W_BITS <= 8 and AX <= 9 (checked at elaboration).
`timescale 1ns / 1ps
`default_nettype none

module ga_mac_pe #(
    parameter integer SIMD       = 4,
    parameter integer NBEATS     = 50,
    parameter integer A_BITS     = 8,
    parameter integer A_SIGNED   = 1,
    parameter integer W_BITS     = 8,
    parameter integer ACC_BITS   = 32,
    parameter integer SH_BITS    = 8,
    parameter integer FANIN      = 4,   // adder inputs a tree level (one register a level)
    parameter integer PACK       = 1,   // output channels a unit (2: one DSP multiply two MACs)
    parameter integer AW         = 42   // accumulator bits: max(product, ACC_BITS) + guard bits
) (
    input  wire                          clk,
    input  wire                          rst,
    input  wire                          in_valid,
    output wire                          in_ready,
    input  wire [SIMD*A_BITS-1:0]        in_a,
    input  wire [PACK*SIMD*W_BITS-1:0]   in_w,
    input  wire [PACK*ACC_BITS-1:0]      in_bias,
    input  wire [PACK*SH_BITS-1:0]       in_shift,
    output wire                          out_valid,
    input  wire                          out_ready,
    output wire [PACK*AW-1:0]            out_acc,    // exact sum + bias (signed)
    output wire [PACK*SH_BITS-1:0]       out_shift
);
    localparam integer CW = (NBEATS > 1) ? $clog2(NBEATS) : 1;
    localparam integer AX = A_BITS + (A_SIGNED ? 0 : 1);
    localparam integer PW = AX + W_BITS;
    localparam integer XW = 27 + AX;           // packed product width

    wire en;
    wire [PACK-1:0] t_ov;
    assign en       = ~t_ov[0] | out_ready;     // all tails share the control: identical state
    assign in_ready = en;
    wire fire = in_valid & en;
    reg [CW-1:0] beat;
    wire first = (beat == 0);
    wire last  = (beat == NBEATS - 1);
    always @(posedge clk)
        if (rst) beat <= 0;
        else if (fire) beat <= last ? {CW{1'b0}} : beat + 1'b1;

    // ------------------------------------------------------------------ products (combinational)
    wire [PACK*SIMD*PW-1:0] prod;              // field (q*SIMD + l): channel q, lane l
    genvar gl, gq;
    generate
        if (PACK != 1 && !(PACK == 2 && W_BITS <= 8 && AX <= 9)) begin : g_bad
            // elaboration error: PACK must be 1, or 2 with W_BITS <= 8 and AX <= 9
            ga_mac_pe_illegal_PACK_for_these_widths u_bad ();
        end
        for (gl = 0; gl < SIMD; gl = gl + 1) begin : g_mul
            wire signed [AX-1:0] a = A_SIGNED ? $signed(in_a[gl*A_BITS +: A_BITS])
                                              : $signed({1'b0, in_a[gl*A_BITS +: A_BITS]});
            if (PACK == 2) begin : g_pack
                wire signed [W_BITS-1:0] w0 = in_w[gl*W_BITS +: W_BITS];
                wire signed [W_BITS-1:0] w1 = in_w[(SIMD + gl)*W_BITS +: W_BITS];
                wire signed [26:0]       wp = ($signed({{(27-W_BITS){w1[W_BITS-1]}}, w1}) <<< 18)
                                              + $signed(w0);
                wire signed [XW-1:0]     pp = wp * a;              // one DSP48E2 (27 x AX)
                wire signed [17:0]       lo = pp[17:0];
                wire signed [PW-1:0]     hi = pp[18 +: PW] + {{(PW-1){1'b0}}, pp[17]};
                assign prod[gl*PW +: PW]          = lo;            // sign-extended: w0 * a
                assign prod[(SIMD + gl)*PW +: PW] = hi;            // w1 * a
            end else begin : g_one
                for (gq = 0; gq < PACK; gq = gq + 1) begin : g_q
                    wire signed [W_BITS-1:0] w = in_w[(gq*SIMD + gl)*W_BITS +: W_BITS];
                    wire signed [PW-1:0]     m = a * w;
                    assign prod[(gq*SIMD + gl)*PW +: PW] = m;
                end
            end
        end
        for (gq = 0; gq < PACK; gq = gq + 1) begin : g_tail
            ga_mac_tail #(.SIMD(SIMD), .PW(PW), .ACC_BITS(ACC_BITS), .SH_BITS(SH_BITS),
                          .FANIN(FANIN), .AW(AW)) u (
                .clk(clk), .rst(rst), .en(en), .fire(fire), .first(first), .last(last),
                .prod(prod[gq*SIMD*PW +: SIMD*PW]), .bias(in_bias[gq*ACC_BITS +: ACC_BITS]),
                .shift(in_shift[gq*SH_BITS +: SH_BITS]), .o_v(t_ov[gq]),
                .o_acc(out_acc[gq*AW +: AW]), .o_shift(out_shift[gq*SH_BITS +: SH_BITS]));
        end
    endgenerate
    assign out_valid = t_ov[0];
endmodule

// One output channel of ga_mac_pe after the products: registered product vector, adder tree,
// accumulator (conv_pe's stage 2); o_acc/o_shift hold a finished job until en.
module ga_mac_tail #(
    parameter integer SIMD       = 4,
    parameter integer PW         = 17,   // signed product width
    parameter integer ACC_BITS   = 32,
    parameter integer SH_BITS    = 8,
    parameter integer FANIN      = 4,
    parameter integer AW         = 42    // accumulator bits (>= PW, ACC_BITS + guard bits)
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire                  en,
    input  wire                  fire,
    input  wire                  first,
    input  wire                  last,
    input  wire [SIMD*PW-1:0]    prod,
    input  wire [ACC_BITS-1:0]   bias,
    input  wire [SH_BITS-1:0]    shift,
    output reg                   o_v,
    output reg  [AW-1:0]         o_acc,
    output reg  [SH_BITS-1:0]    o_shift
);
    function integer nterms(input integer k);   // partial sums at tree level k
        integer q;
        begin
            nterms = SIMD;
            for (q = 0; q < k; q = q + 1) nterms = (nterms + FANIN - 1) / FANIN;
        end
    endfunction
    function integer levels(input integer dummy);  // levels to reduce SIMD terms to one
        begin
            levels = 0;
            while (nterms(levels) > 1) levels = levels + 1;
        end
    endfunction
    function integer lw(input integer k);        // exact width of a level-k partial sum:
        integer n, b;                            // PW + ceil(log2(products it adds))
        begin
            n = 1;
            for (b = 0; b < k && n < SIMD; b = b + 1) n = n * FANIN;
            if (n > SIMD) n = SIMD;
            lw = PW;
            for (b = 1; b < n; b = b * 2) lw = lw + 1;
        end
    endfunction
    function integer offset(input integer k);    // first bit of level k in `tree`
        integer q;
        begin
            offset = 0;
            for (q = 0; q < k; q = q + 1) offset = offset + nterms(q) * lw(q);
        end
    endfunction
    localparam integer NL  = levels(0);

    // ------------------------------------------------------------------ products + tree
    // tree[offset(k) + i*lw(k) +: lw(k)]: term i of level k (level 0: the products), each
    // just wide enough for its exact sum (a narrow tree); side band per level
    localparam integer NT = offset(NL + 1);
    reg [NT-1:0]              tree;
    reg                       t_v [0:NL], t_first [0:NL], t_last [0:NL];
    reg signed [ACC_BITS-1:0] t_bias [0:NL];
    reg signed [SH_BITS-1:0]  t_shift [0:NL];
    integer l, k;
    always @(posedge clk) begin
        if (rst) for (k = 0; k <= NL; k = k + 1) t_v[k] <= 1'b0;
        else if (en) begin
            t_v[0] <= fire;
            for (k = 1; k <= NL; k = k + 1) t_v[k] <= t_v[k-1];
        end
        if (en) begin
            t_first[0] <= first; t_last[0] <= last; t_bias[0] <= bias; t_shift[0] <= shift;
            for (k = 1; k <= NL; k = k + 1) begin
                t_first[k] <= t_first[k-1]; t_last[k] <= t_last[k-1];
                t_bias[k] <= t_bias[k-1]; t_shift[k] <= t_shift[k-1];
            end
            tree[SIMD*PW-1:0] <= prod;
        end
    end
    genvar gk, gi;
    generate
        for (gk = 1; gk <= NL; gk = gk + 1) begin : g_lvl
            localparam integer NP = nterms(gk - 1), OP = offset(gk - 1), OC = offset(gk);
            localparam integer WP = lw(gk - 1), WC = lw(gk);
            for (gi = 0; gi < nterms(gk); gi = gi + 1) begin : g_node
                integer j;
                reg signed [WC-1:0] s;
                always @* begin
                    s = 0;
                    for (j = 0; j < FANIN; j = j + 1)
                        if (gi * FANIN + j < NP) s = s + $signed(tree[OP + (gi*FANIN + j)*WP +: WP]);
                end
                always @(posedge clk) if (en) tree[OC + gi*WC +: WC] <= s;
            end
        end
    endgenerate
    wire                       p_v     = t_v[NL];
    wire                       p_first = t_first[NL];
    wire                       p_last  = t_last[NL];
    wire signed [ACC_BITS-1:0] p_bias  = t_bias[NL];
    wire signed [SH_BITS-1:0]  p_shift = t_shift[NL];
    localparam integer WL = lw(NL);
    wire signed [WL-1:0]       tree_out = tree[offset(NL) +: WL];
    wire signed [AW-1:0]       lane_sum = tree_out;   // sign-extended

    // ------------------------------------------------------------------ accumulate
    reg  signed [AW-1:0]      acc;
    reg  signed [SH_BITS-1:0] acc_shift;
    wire signed [AW-1:0]      acc_next = (p_first ? $signed(p_bias) : acc) + lane_sum;
    always @(posedge clk) begin
        if (rst) o_v <= 1'b0;
        else if (en) o_v <= p_v & p_last;
        if (en & p_v) begin
            acc <= acc_next;
            if (p_first) acc_shift <= p_shift;
        end
        if (en) begin
            o_acc   <= acc_next;
            o_shift <= p_first ? p_shift : acc_shift;
        end
    end
endmodule

// Requantiser shared by the PE accumulators of a conv stage (conv_pe's stages 3-4, bit for
// bit): for each of the PE jobs that finish together (one every NCI beats),
//   a = sat(acc, -2^(ACC_BITS-1), 2^(ACC_BITS-1) - 1)
//   y = sat(rshift_round(a, shift), out_min, out_max)
// The PE results are captured in one cycle and issued L = PE / NRQ a cycle through NRQ
// requantisers (channel g*L + j on requantiser g at issue j), so a batch takes L cycles: no
// stall as long as L <= NCI (the caller picks NRQ so). The results are gathered into one
// PE-wide word (out_valid when complete); a stall (en = !out_valid | out_ready) holds all.
//
// Narrow datapath, exact for -31 <= shift <= 2^(SH_BITS-1)-1:
//   right (shift > 0): (a + 2^(rs-1)) >>> rs, rs = min(shift, ACC_BITS + 1), ACC_BITS + 2 bits;
//   left  (shift <= 0): clamp(a, +-2^(OUT_BITS+1)) << min(-shift, OUT_BITS + 1), 2 OUT_BITS + 4
//     bits: every a the clamp changes, and every shift the min changes, saturates the output
//     either way (|a << s| >= 2^(OUT_BITS+1)), so the clamped value and the flags are unchanged.
// RELU = 1 (a conv with a fused ReLU): y = sat(max(0, rshift_round(a, shift)), out_min, out_max),
// the max not counted as a clamp (as lic.fixedpoint counts it).
// Latency: 1 (capture) + j (issue) + 1 (shift) + 1 (clamp) cycles for channel g*L + j.
module ga_requant #(
    parameter integer PE         = 4,
    parameter integer NRQ        = 1,    // requantisers (divides PE)
    parameter integer AW         = 42,   // accumulator bits (signed)
    parameter integer ACC_BITS   = 32,
    parameter integer SH_BITS    = 8,
    parameter integer OUT_BITS   = 16,
    parameter integer OUT_SIGNED = 1,
    parameter integer RELU       = 0     // 1: y = max(0, .) before the clamp (not counted)
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     in_valid,
    output wire                     in_ready,
    input  wire [PE*AW-1:0]         in_acc,
    input  wire [PE*SH_BITS-1:0]    in_shift,
    output reg                      out_valid,
    input  wire                     out_ready,
    output wire [PE*OUT_BITS-1:0]   out_y,
    output wire [PE*2-1:0]          out_sat
);
    localparam integer L   = PE / NRQ;
    localparam integer JW  = (L > 1) ? $clog2(L) : 1;
    localparam integer RW  = ACC_BITS + 2;                 // right-shift path
    localparam integer LW  = 2 * OUT_BITS + 4;             // left-shift path
    localparam integer YW  = (RW > LW) ? RW : LW;
    localparam integer RS_MAX = ACC_BITS + 1;
    localparam integer LS_MAX = OUT_BITS + 1;              // larger left shifts saturate alike
    localparam signed [AW-1:0] ACC_MAX = (64'sd1 <<< (ACC_BITS - 1)) - 1;
    localparam signed [AW-1:0] ACC_MIN = -(64'sd1 <<< (ACC_BITS - 1));
    localparam signed [YW-1:0] L_MAX   = 64'sd1 <<< (OUT_BITS + 1);
    localparam signed [YW-1:0] OUT_MAX = OUT_SIGNED ? (64'sd1 <<< (OUT_BITS - 1)) - 1 : (64'sd1 <<< OUT_BITS) - 1;
    localparam signed [YW-1:0] OUT_MIN = OUT_SIGNED ? -(64'sd1 <<< (OUT_BITS - 1)) : 64'sd0;

    wire en = ~out_valid | out_ready;
    reg              run;                 // buf holds a batch being issued
    reg [JW-1:0]     j;
    reg [PE*AW-1:0]      b_acc;
    reg [PE*SH_BITS-1:0] b_sh;
    wire issue = run & en;
    wire last  = (j == L - 1);
    assign in_ready = ~run | (issue & last);
    always @(posedge clk) begin
        if (rst) begin
            run <= 1'b0; j <= 0;
        end else if (in_valid & in_ready) begin
            run <= 1'b1; j <= 0;
        end else if (issue) begin
            run <= ~last;
            j   <= last ? {JW{1'b0}} : j + 1'b1;
        end
        if (in_valid & in_ready) begin
            b_acc <= in_acc;
            b_sh  <= in_shift;
        end
    end

    // ------------------------------------------------------------------ sat + round/shift
    reg          s_v, s_last;
    reg [JW-1:0] s_j;
    always @(posedge clk) begin
        if (rst) s_v <= 1'b0;
        else if (en) s_v <= issue;
        if (en) begin
            s_j    <= j;
            s_last <= last;
        end
    end
    genvar g;
    generate
        for (g = 0; g < NRQ; g = g + 1) begin : g_rq
            // channel g*L + j: an L:1 mux over constant slices (a variable part-select
            // would become a shifter over the whole PE-wide word)
            reg signed [AW-1:0]      acc;
            reg signed [SH_BITS-1:0] sh;
            integer i;
            always @* begin
                acc = b_acc[g*L*AW +: AW];
                sh  = b_sh[g*L*SH_BITS +: SH_BITS];
                for (i = 1; i < L; i = i + 1)
                    if (j == i) begin
                        acc = b_acc[(g*L + i)*AW +: AW];
                        sh  = b_sh[(g*L + i)*SH_BITS +: SH_BITS];
                    end
            end
            wire a_hi = acc > ACC_MAX, a_lo = acc < ACC_MIN;
            wire signed [RW-1:0] a = a_hi ? ACC_MAX : a_lo ? ACC_MIN : acc;
            wire s_pos = sh > 0;
            wire [7:0] rs = (sh > RS_MAX) ? RS_MAX : s_pos ? sh : 8'd0;
            wire [7:0] ls = (sh < -LS_MAX) ? LS_MAX : (sh < 0) ? -sh : 8'd0;
            wire signed [RW-1:0] half = s_pos ? ({{(RW-1){1'b0}}, 1'b1} << (rs - 1'b1)) : {RW{1'b0}};
            wire signed [RW-1:0] vr   = (a + half) >>> rs;
            wire signed [LW-1:0] c    = (a > L_MAX) ? L_MAX : (a < -L_MAX) ? -L_MAX : a;
            wire signed [LW-1:0] vl   = c <<< ls;
            reg signed [YW-1:0] r_y;
            reg                 r_asat;
            always @(posedge clk) if (en) begin
                r_y    <= s_pos ? vr : vl;
                r_asat <= a_hi | a_lo;
            end
            // ---------------------------------------------------------- output clamp
            // fused ReLU (lic.fixedpoint conv attr relu): max(0, .) first, then the clamp
            wire signed [YW-1:0] r_r = (RELU != 0 && r_y < 0) ? {YW{1'b0}} : r_y;
            wire o_hi = r_r > OUT_MAX, o_lo = r_r < OUT_MIN;
            wire [OUT_BITS-1:0] y = o_hi ? OUT_MAX[OUT_BITS-1:0] : o_lo ? OUT_MIN[OUT_BITS-1:0]
                                                                  : r_r[OUT_BITS-1:0];
            wire [1:0]          ys = {1'b0, r_asat} + {1'b0, o_hi | o_lo};
            reg [L*OUT_BITS-1:0] gy;          // this requantiser's L channels of the word
            reg [L*2-1:0]        gs;
            integer k;
            always @(posedge clk)             // constant slices, one enable each
                for (k = 0; k < L; k = k + 1)
                    if (en & s_v & (s_j == k)) begin
                        gy[k*OUT_BITS +: OUT_BITS] <= y;
                        gs[2*k +: 2]               <= ys;
                    end
            assign out_y[g*L*OUT_BITS +: L*OUT_BITS] = gy;
            assign out_sat[g*L*2 +: L*2]             = gs;
        end
    endgenerate
    always @(posedge clk)
        if (rst) out_valid <= 1'b0;
        else if (en) out_valid <= s_v & s_last;
endmodule


// The MAC array of a conv stage (ga_conv_stage, ga_win3_stage): PE output channels x SIMD
// lanes a beat, fed from the stage's beat register (in_valid, in_a = SIMD activations,
// in_w = PE x SIMD weights, in_bs = PE x {shift, bias}); NCI beats a job (one output pixel's
// fold of PE channels), NIN = the window vector's length (sizes the accumulator's guard bits).
//   FANIN > 1: PE ga_mac_pe units (PE/2 with PACK = 2: INT8_PACK, PE even, activations <= 9
//              bits as signed, int8 weights -- two channels a DSP multiply, WP486) and NRQ
//              shared ga_requant requantisers (the fewest dividing PE with PE/NRQ <= NCI);
//   FANIN = 1: PE conv_pe units (hls/rtl/conv_pe.v; no fused ReLU).
// en: the units' global stall (all share in_valid / out_ready: identical control state).
module ga_pe_array #(
    parameter integer PE         = 1,
    parameter integer SIMD       = 1,
    parameter integer NCI        = 1,
    parameter integer NIN        = 1,
    parameter integer A_BITS     = 8,
    parameter integer A_SIGNED   = 1,
    parameter integer W_BITS     = 8,
    parameter integer ACC_BITS   = 32,
    parameter integer SH_BITS    = 8,
    parameter integer OUT_BITS   = 16,
    parameter integer OUT_SIGNED = 1,
    parameter integer RELU       = 0,
    parameter integer FANIN      = 4,
    parameter integer INT8_PACK  = 1,
    parameter integer RQ_SHARE   = 1
) (
    input  wire                          clk,
    input  wire                          rst,
    input  wire                          in_valid,
    output wire                          en,
    input  wire [SIMD*A_BITS-1:0]        in_a,
    input  wire [PE*SIMD*W_BITS-1:0]     in_w,
    input  wire [PE*(ACC_BITS+SH_BITS)-1:0] in_bs,
    output wire                          out_valid,
    input  wire                          out_ready,
    output wire [PE*OUT_BITS-1:0]        out_y,
    output wire [PE*2-1:0]               out_sat
);
    localparam integer BW   = ACC_BITS + SH_BITS;
    function integer nrq(input integer dummy);  // fewest requantisers r | PE with PE/r <= NCI
        integer r;
        begin
            nrq = PE;
            for (r = PE; r >= 1; r = r - 1)
                if (PE % r == 0 && PE / r <= NCI) nrq = r;
        end
    endfunction
    localparam integer AXS  = A_BITS + (A_SIGNED ? 0 : 1);
    localparam integer PACK = (INT8_PACK != 0 && FANIN > 1 && PE % 2 == 0 && AXS <= 9
                               && W_BITS <= 8) ? 2 : 1;
    localparam integer NU   = PE / PACK;
    localparam integer GB   = $clog2(NIN + 1) + 1;          // guard bits of the exact sum
    localparam integer AW   = ((AXS + W_BITS > ACC_BITS) ? AXS + W_BITS : ACC_BITS) + GB;
    localparam integer NRQ  = RQ_SHARE ? nrq(0) : PE;       // shared requantisers
    wire [NU-1:0] u_ready, u_valid;
    genvar p, q;
    generate
        if (FANIN > 1) begin : g_tree
            wire [PE*AW-1:0]      u_acc;
            wire [PE*SH_BITS-1:0] u_sh;
            wire                  rq_ready;
            for (p = 0; p < NU; p = p + 1) begin : g_pe
                wire [PACK*ACC_BITS-1:0] bias;
                wire [PACK*SH_BITS-1:0]  shift;
                for (q = 0; q < PACK; q = q + 1) begin : g_bs
                    assign bias[q*ACC_BITS +: ACC_BITS] = in_bs[(p*PACK + q)*BW +: ACC_BITS];
                    assign shift[q*SH_BITS +: SH_BITS]  = in_bs[(p*PACK + q)*BW + ACC_BITS +: SH_BITS];
                end
                ga_mac_pe #(.SIMD(SIMD), .NBEATS(NCI), .A_BITS(A_BITS), .A_SIGNED(A_SIGNED),
                            .W_BITS(W_BITS), .ACC_BITS(ACC_BITS), .SH_BITS(SH_BITS),
                            .FANIN(FANIN), .PACK(PACK), .AW(AW)) u (
                    .clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(u_ready[p]), .in_a(in_a),
                    .in_w(in_w[p*PACK*SIMD*W_BITS +: PACK*SIMD*W_BITS]),
                    .in_bias(bias), .in_shift(shift),
                    .out_valid(u_valid[p]), .out_ready(rq_ready),
                    .out_acc(u_acc[p*PACK*AW +: PACK*AW]),
                    .out_shift(u_sh[p*PACK*SH_BITS +: PACK*SH_BITS]));
            end
            ga_requant #(.PE(PE), .NRQ(NRQ), .AW(AW), .ACC_BITS(ACC_BITS), .SH_BITS(SH_BITS),
                         .OUT_BITS(OUT_BITS), .OUT_SIGNED(OUT_SIGNED), .RELU(RELU)) u_rq (
                .clk(clk), .rst(rst), .in_valid(u_valid[0]), .in_ready(rq_ready),
                .in_acc(u_acc), .in_shift(u_sh), .out_valid(out_valid), .out_ready(out_ready),
                .out_y(out_y), .out_sat(out_sat));
        end else begin : g_flat
            if (RELU != 0) begin : g_bad
                // elaboration error: conv_pe has no fused ReLU (use FANIN > 1)
                ga_pe_array_RELU_needs_FANIN_above_1 u_bad ();
            end
            for (p = 0; p < NU; p = p + 1) begin : g_pe
                conv_pe #(.SIMD(SIMD), .NBEATS(NCI), .A_BITS(A_BITS), .A_SIGNED(A_SIGNED),
                          .W_BITS(W_BITS), .ACC_BITS(ACC_BITS), .SH_BITS(SH_BITS),
                          .OUT_BITS(OUT_BITS), .OUT_SIGNED(OUT_SIGNED)) u (
                    .clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(u_ready[p]), .in_a(in_a),
                    .in_w(in_w[p*SIMD*W_BITS +: SIMD*W_BITS]),
                    .in_bias(in_bs[p*BW +: ACC_BITS]), .in_shift(in_bs[p*BW + ACC_BITS +: SH_BITS]),
                    .out_valid(u_valid[p]), .out_ready(out_ready),
                    .out_y(out_y[p*OUT_BITS +: OUT_BITS]), .out_sat(out_sat[2*p +: 2]));
            end
            assign out_valid = u_valid[0];
        end
    endgenerate
    assign en = u_ready[0];
endmodule

`default_nettype wire
