// Conv processing element with a pipelined SIMD adder tree: the MAC part of conv_pe.v
// (lic/hw/fixedpoint conv: exact accumulation), bit for bit, with the SIMD products summed by
// a tree of FANIN-input adders and a register after every tree level, so a wide PE (SIMD =
// 400, 1600) has no long combinational path:
//
//   DSP input regs (1) | product M (1) | product P (1) | fix-up (1) | tree (NL levels) | accumulate (1)
//
// Free running (no stall, no clock enable on the datapath): a beat enters with in_valid, a job's
// result leaves NBEATS valid beats later with a one-cycle out_valid; bubbles (in_valid low) change
// nothing. The caller makes room for every result in flight (ga_pe_array: ga_skid credits), so
// nothing inside waits. One exact accumulator (AW bits, bias included) with its shift every
// NBEATS beats; bias/shift ride on a job's first beat and travel down the tree with it. The sums
// are exact (the tree is wide enough for SIMD products), so the order of addition does not
// change a bit. The requantisation (int32 saturation, rounding shift, output clamp: conv_pe's
// stages 3-4) is not per unit: the stage's PE accumulators go through ga_requant (requant.v),
// shared by the units.
//
// DSP48E2 mapping: each SIMD lane's multiply is a ga_dsp_mul (end of this file): its own input
// registers (AREG / BREG; the stage's beat register is shared by the units) and two registers
// after it (M and P), nothing between them but the multiply -- a DSP48E2 instance with those
// registers in synthesis (yosys 0.23 packs no register into an UltraScale+ DSP48E2 by itself), the
// same three register stages in behavioural Verilog for simulation.
// PACK = 2 (Xilinx WP486 INT8 packing, hls/src lic::mul2_shared, lic.fpga_model conv_dsp):
// the unit computes TWO output channels (q = 0, 1: weights in_w[q*SIMD*W_BITS +: ...],
// bias/shift/out_acc/out_shift field q) that share the activations; each SIMD lane is ONE
// signed multiply (w1 * 2^18 + w0) * a (27 x AX bits: one DSP48E2), split exactly after the
// P register (the fix-up is fabric logic between P and the tree's first register):
//   lo = sign-extended bits 17..0 = w0 * a  (|w0 * a| <= 2^7 * 2^8 < 2^17 when W_BITS <= 8
//        and AX <= 9: activations of at most 9 bits as signed),
//   hi = (p - lo) >> 18 = (p >>> 18) + p[17]  (the borrow of the signed low half) = w1 * a.
// The packed weight (w1 * 2^18 + w0 = {w1 - (w0 < 0), w0 as 18 bits}) is formed before the
// input register. Legal only for W_BITS <= 8 and AX <= 9 (checked at elaboration).
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
    input  wire [SIMD*A_BITS-1:0]        in_a,
    input  wire [PACK*SIMD*W_BITS-1:0]   in_w,
    input  wire [PACK*ACC_BITS-1:0]      in_bias,
    input  wire [PACK*SH_BITS-1:0]       in_shift,
    output wire                          out_valid,
    output wire [PACK*AW-1:0]            out_acc,    // exact sum + bias (signed)
    output wire [PACK*SH_BITS-1:0]       out_shift
);
    localparam integer CW = (NBEATS > 1) ? $clog2(NBEATS) : 1;
    localparam integer AX = A_BITS + (A_SIGNED ? 0 : 1);
    localparam integer PW = AX + W_BITS;
    localparam integer XW = 27 + AX;           // packed product width
    localparam integer NS = 4;                 // side-band stages: input reg, M, P, fix-up

    reg [CW-1:0] beat;
    wire first = (beat == 0);
    wire last  = (beat == NBEATS - 1);
    always @(posedge clk)
        if (rst) beat <= 0;
        else if (in_valid) beat <= last ? {CW{1'b0}} : beat + 1'b1;

    // side band (valid, first, last, bias, shift) beside the product stages
    reg                       s_v [0:NS-1];
    reg                       s_first [0:NS-1], s_last [0:NS-1];
    reg [PACK*ACC_BITS-1:0]   s_bias [0:NS-1];
    reg [PACK*SH_BITS-1:0]    s_shift [0:NS-1];
    integer k;
    always @(posedge clk) begin
        if (rst) for (k = 0; k < NS; k = k + 1) s_v[k] <= 1'b0;
        else begin
            s_v[0] <= in_valid;
            for (k = 1; k < NS; k = k + 1) s_v[k] <= s_v[k-1];
        end
        s_first[0] <= first; s_last[0] <= last; s_bias[0] <= in_bias; s_shift[0] <= in_shift;
        for (k = 1; k < NS; k = k + 1) begin
            s_first[k] <= s_first[k-1]; s_last[k] <= s_last[k-1];
            s_bias[k] <= s_bias[k-1]; s_shift[k] <= s_shift[k-1];
        end
    end

    // ------------------------------------------------------------------ products (DSP48E2)
    reg [PACK*SIMD*PW-1:0] prod;               // field (q*SIMD + l): channel q, lane l (fix-up reg)
    genvar gl, gq;
    generate
        if (PACK != 1 && !(PACK == 2 && W_BITS <= 8 && AX <= 9)) begin : g_bad
            // elaboration error: PACK must be 1, or 2 with W_BITS <= 8 and AX <= 9
            ga_mac_pe_illegal_PACK_for_these_widths u_bad ();
        end
        for (gl = 0; gl < SIMD; gl = gl + 1) begin : g_mul
            wire signed [AX-1:0] a = A_SIGNED ? $signed(in_a[gl*A_BITS +: A_BITS])
                                              : $signed({1'b0, in_a[gl*A_BITS +: A_BITS]});
            // the DSP's input registers (a and the weights), M and P registers: ga_dsp_mul
            if (PACK == 2) begin : g_pack
                wire signed [W_BITS-1:0] w0 = in_w[gl*W_BITS +: W_BITS];
                wire signed [W_BITS-1:0] w1 = in_w[(SIMD + gl)*W_BITS +: W_BITS];
                // w1 * 2^18 + w0: the high part w1 - 1 when w0 < 0, the low 18 bits w0's
                wire signed [8:0]        w1x = w1;     // sign-extended
                wire signed [8:0]        wh = w1x - $signed({8'd0, w0[W_BITS-1]});
                wire signed [17:0]       wl = w0;
                wire signed [XW-1:0]     p_r;          // one DSP48E2 (27 x AX), 3 registers
                ga_dsp_mul #(.AW(27), .BW(AX), .PW(XW)) u_mul (.clk(clk), .a({wh, wl}), .b(a), .p(p_r));
                // fix-up after the P register: lo = w0 * a, hi = w1 * a
                wire signed [17:0]       lo = p_r[17:0];
                wire signed [PW-1:0]     hi = p_r[18 +: PW] + {{(PW-1){1'b0}}, p_r[17]};
                always @(posedge clk) begin
                    prod[gl*PW +: PW]          <= lo;     // sign-extended: w0 * a
                    prod[(SIMD + gl)*PW +: PW] <= hi;     // w1 * a
                end
            end else begin : g_one
                for (gq = 0; gq < PACK; gq = gq + 1) begin : g_q
                    wire signed [W_BITS-1:0] w = in_w[(gq*SIMD + gl)*W_BITS +: W_BITS];
                    wire signed [PW-1:0]     p_r;
                    if (AX >= W_BITS) begin : g_aw  // the wider operand on the DSP's 27-bit port
                        ga_dsp_mul #(.AW(AX), .BW(W_BITS), .PW(PW)) u_mul (.clk(clk), .a(a), .b(w), .p(p_r));
                    end else begin : g_wa
                        ga_dsp_mul #(.AW(W_BITS), .BW(AX), .PW(PW)) u_mul (.clk(clk), .a(w), .b(a), .p(p_r));
                    end
                    always @(posedge clk) prod[(gq*SIMD + gl)*PW +: PW] <= p_r;
                end
            end
        end
        for (gq = 0; gq < PACK; gq = gq + 1) begin : g_tail
            wire ov;
            ga_mac_tail #(.SIMD(SIMD), .PW(PW), .ACC_BITS(ACC_BITS), .SH_BITS(SH_BITS),
                          .FANIN(FANIN), .AW(AW)) u (
                .clk(clk), .rst(rst), .valid(s_v[NS-1]), .first(s_first[NS-1]), .last(s_last[NS-1]),
                .prod(prod[gq*SIMD*PW +: SIMD*PW]), .bias(s_bias[NS-1][gq*ACC_BITS +: ACC_BITS]),
                .shift(s_shift[NS-1][gq*SH_BITS +: SH_BITS]), .o_v(ov),
                .o_acc(out_acc[gq*AW +: AW]), .o_shift(out_shift[gq*SH_BITS +: SH_BITS]));
            if (gq == 0) begin : g_ov
                assign out_valid = ov;          // all tails share the control: identical state
            end
        end
    endgenerate
endmodule

// One output channel of ga_mac_pe after the products: the registered product vector (prod,
// valid/first/last/bias/shift beside it), adder tree, accumulator (conv_pe's stage 2); free
// running: o_v is high for the one cycle o_acc / o_shift hold a finished job.
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
    input  wire                  valid,
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
    localparam integer NL  = levels(0);

    // ------------------------------------------------------------------ tree
    // level 0 = prod (registered by the caller); level k >= 1: nterms(k) registered partial
    // sums, each just wide enough for its exact sum (a narrow tree), and the side band beside them
    genvar gk, gi;
    generate
        for (gk = 0; gk <= NL; gk = gk + 1) begin : g_lv
            localparam integer N = nterms(gk), WC = lw(gk);
            wire [N*WC-1:0]          s;
            wire                     v, f, l;
            wire [ACC_BITS-1:0]      b;
            wire [SH_BITS-1:0]       sh;
            if (gk == 0) begin : g_in
                assign s = prod; assign v = valid; assign f = first; assign l = last;
                assign b = bias; assign sh = shift;
            end else begin : g_add
                localparam integer NP = nterms(gk - 1), WP = lw(gk - 1);
                reg [N*WC-1:0]      r;
                reg                 rv, rf, rl;
                reg [ACC_BITS-1:0]  rb;
                reg [SH_BITS-1:0]   rsh;
                always @(posedge clk) begin
                    if (rst) rv <= 1'b0;
                    else rv <= g_lv[gk-1].v;
                    rf <= g_lv[gk-1].f; rl <= g_lv[gk-1].l; rb <= g_lv[gk-1].b; rsh <= g_lv[gk-1].sh;
                end
                for (gi = 0; gi < N; gi = gi + 1) begin : g_node
                    integer j;
                    reg signed [WC-1:0] t;
                    always @* begin
                        t = 0;
                        for (j = 0; j < FANIN; j = j + 1)
                            if (gi * FANIN + j < NP)
                                t = t + $signed(g_lv[gk-1].s[(gi*FANIN + j)*WP +: WP]);
                    end
                    always @(posedge clk) r[gi*WC +: WC] <= t;
                end
                assign s = r; assign v = rv; assign f = rf; assign l = rl; assign b = rb; assign sh = rsh;
            end
        end
    endgenerate
    wire                       p_v     = g_lv[NL].v;
    wire                       p_first = g_lv[NL].f;
    wire                       p_last  = g_lv[NL].l;
    wire signed [ACC_BITS-1:0] p_bias  = g_lv[NL].b;
    wire signed [SH_BITS-1:0]  p_shift = g_lv[NL].sh;
    wire signed [AW-1:0]       lane_sum = $signed(g_lv[NL].s);   // sign-extended

    // ------------------------------------------------------------------ accumulate
    reg  signed [AW-1:0]      acc;
    reg  signed [SH_BITS-1:0] acc_shift;
    wire signed [AW-1:0]      acc_next = (p_first ? $signed(p_bias) : acc) + lane_sum;
    always @(posedge clk) begin
        if (rst) o_v <= 1'b0;
        else o_v <= p_v & p_last;
        if (p_v) begin
            acc <= acc_next;
            if (p_first) acc_shift <= p_shift;
        end
        o_acc   <= acc_next;
        o_shift <= p_first ? p_shift : acc_shift;
    end
endmodule

// The MAC array of a conv stage (ga_conv_stage, ga_win3_stage): PE output channels x SIMD
// lanes a beat, fed from the stage's beat register (in_valid, in_a = SIMD activations,
// in_w = PE x SIMD weights, in_bs = PE x {shift, bias}); NCI beats a job (one output pixel's
// fold of PE channels), NIN = the window vector's length (sizes the accumulator's guard bits):
// PE ga_mac_pe units (PE/2 with PACK = 2: INT8_PACK, PE even, activations <= 9 bits as
// signed, int8 weights -- two channels a DSP multiply, WP486) and NRQ shared ga_requant
// requantisers (the fewest dividing PE with PE/NRQ <= NCI), then a local skid buffer
// (ga_skid): the units and requantisers run free (no stall), and a job may start (in_start,
// the stage's issue of its first beat, one cycle before that beat reaches in_valid) only while
// the skid FIFO has a slot for its result (credit = a register), so back-pressure from the
// collector reaches the stage's issue through one register and no clock enable fans out over
// the datapath. FANIN must be > 1 (the conv_pe array, one global stall, is not supported here).
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
    input  wire                          in_start,   // a job's first beat issues (reserves a slot)
    output wire                          en,         // a job may start now (registered)
    input  wire                          in_valid,
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
    function integer tree_levels(input integer dummy);
        integer n;
        begin
            tree_levels = 0;
            for (n = SIMD; n > 1; n = (n + FANIN - 1) / FANIN) tree_levels = tree_levels + 1;
        end
    endfunction
    localparam integer AXS  = A_BITS + (A_SIGNED ? 0 : 1);
    localparam integer PACK = (INT8_PACK != 0 && FANIN > 1 && PE % 2 == 0 && AXS <= 9
                               && W_BITS <= 8) ? 2 : 1;
    localparam integer NU   = PE / PACK;
    localparam integer GB   = $clog2(NIN + 1) + 1;          // guard bits of the exact sum
    localparam integer AW   = ((AXS + W_BITS > ACC_BITS) ? AXS + W_BITS : ACC_BITS) + GB;
    localparam integer NRQ  = RQ_SHARE ? nrq(0) : PE;       // shared requantisers
    // cycles from a job's first issue to its slot's release (beat register, NCI beats, unit,
    // requantiser, skid push and pop, credit update) over NCI: the jobs in flight at full rate
    // (ga_requant: 1 capture + PE/NRQ issue + RQ_STAGES register stages to out_valid)
    localparam integer RQ_STAGES = 5;
    localparam integer LAT  = 1 + NCI + 4 + tree_levels(0) + 1 + 1 + PE / NRQ + RQ_STAGES + 3;
    localparam integer SKID = (LAT + NCI - 1) / NCI + 1;
    wire [NU-1:0] u_valid;
    genvar p, q;
    generate
        if (FANIN < 2) begin : g_bad
            ga_pe_array_needs_FANIN_above_1 u_bad ();
        end
        wire [PE*AW-1:0]      u_acc;
        wire [PE*SH_BITS-1:0] u_sh;
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
                .clk(clk), .rst(rst), .in_valid(in_valid), .in_a(in_a),
                .in_w(in_w[p*PACK*SIMD*W_BITS +: PACK*SIMD*W_BITS]),
                .in_bias(bias), .in_shift(shift), .out_valid(u_valid[p]),
                .out_acc(u_acc[p*PACK*AW +: PACK*AW]),
                .out_shift(u_sh[p*PACK*SH_BITS +: PACK*SH_BITS]));
        end
        wire                   r_valid;
        wire [PE*OUT_BITS-1:0] r_y;
        wire [PE*2-1:0]        r_sat;
        ga_requant #(.PE(PE), .NRQ(NRQ), .AW(AW), .ACC_BITS(ACC_BITS), .SH_BITS(SH_BITS),
                     .OUT_BITS(OUT_BITS), .OUT_SIGNED(OUT_SIGNED), .RELU(RELU)) u_rq (
            .clk(clk), .rst(rst), .in_valid(u_valid[0]), .in_acc(u_acc), .in_shift(u_sh),
            .out_valid(r_valid), .out_y(r_y), .out_sat(r_sat));
        ga_skid #(.W(PE*(OUT_BITS+2)), .DEPTH(SKID)) u_skid (
            .clk(clk), .rst(rst), .start(in_start), .ok(en), .in_valid(r_valid),
            .in_data({r_sat, r_y}), .out_valid(out_valid), .out_ready(out_ready),
            .out_data({out_sat, out_y}));
    endgenerate
endmodule

// One DSP48E2 multiply with its input, M and P registers (3 cycles: p = a * b of the inputs 3
// clocks before). Synthesis instantiates the DSP48E2 itself (AREG = BREG = MREG = PREG = 1; A the
// wider operand on the 27-bit port, B the narrower on 18 bits, OPMODE X = Y = M, ALUMODE 0: P = M):
// yosys 0.23 does not pack registers into a DSP48E2 (UltraScale+), so inferred registers stay in
// fabric there (FFs, and SRL16Es for the register chains), where Vivado would absorb them.
// Simulation (Verilator) runs the behavioural registers below, the same three stages.
module ga_dsp_mul #(
    parameter integer AW = 27,   // signed width of a (<= 27)
    parameter integer BW = 9,    // signed width of b (<= 18)
    parameter integer PW = 36    // product bits kept (<= 48)
) (
    input  wire                 clk,
    input  wire signed [AW-1:0] a,
    input  wire signed [BW-1:0] b,
    output wire signed [PW-1:0] p
);
    generate
        if (AW > 27 || BW > 18 || PW > 48) begin : g_bad
            ga_dsp_mul_operands_exceed_the_DSP48E2 u_bad ();
        end
    endgenerate
`ifdef SYNTHESIS
    wire [47:0] p48;
    wire signed [29:0] a30 = a;                 // sign-extended
    wire signed [17:0] b18 = b;
    DSP48E2 #(
        .AMULTSEL("A"), .A_INPUT("DIRECT"), .BMULTSEL("B"), .B_INPUT("DIRECT"), .PREADDINSEL("A"),
        .USE_MULT("MULTIPLY"), .USE_SIMD("ONE48"), .USE_PATTERN_DETECT("NO_PATDET"),
        .AREG(1), .BREG(1), .ACASCREG(1), .BCASCREG(1), .MREG(1), .PREG(1), .CREG(0), .DREG(0),
        .ADREG(0), .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0), .CARRYINREG(0), .CARRYINSELREG(0)
    ) u_dsp (
        .CLK(clk), .A(a30), .B(b18), .C(48'd0), .D(27'd0), .ACIN(30'd0), .BCIN(18'd0), .PCIN(48'd0),
        .CARRYCASCIN(1'b0), .MULTSIGNIN(1'b0), .CARRYIN(1'b0), .CARRYINSEL(3'b000),
        .OPMODE(9'b00_000_01_01), .ALUMODE(4'b0000), .INMODE(5'b00000),
        .CEA1(1'b0), .CEA2(1'b1), .CEB1(1'b0), .CEB2(1'b1), .CEAD(1'b0), .CED(1'b0), .CEC(1'b0),
        .CEM(1'b1), .CEP(1'b1), .CEALUMODE(1'b0), .CECTRL(1'b0), .CECARRYIN(1'b0), .CEINMODE(1'b0),
        .RSTA(1'b0), .RSTB(1'b0), .RSTC(1'b0), .RSTD(1'b0), .RSTM(1'b0), .RSTP(1'b0),
        .RSTALLCARRYIN(1'b0), .RSTALUMODE(1'b0), .RSTCTRL(1'b0), .RSTINMODE(1'b0),
        .P(p48), .ACOUT(), .BCOUT(), .PCOUT(), .CARRYCASCOUT(), .MULTSIGNOUT(), .CARRYOUT(),
        .OVERFLOW(), .UNDERFLOW(), .PATTERNDETECT(), .PATTERNBDETECT(), .XOROUT());
    assign p = p48[PW-1:0];
`else
    reg signed [AW-1:0] a_r;
    reg signed [BW-1:0] b_r;
    reg signed [PW-1:0] m_r, p_r;
    always @(posedge clk) begin
        a_r <= a; b_r <= b;
        m_r <= a_r * b_r;
        p_r <= m_r;
    end
    assign p = p_r;
`endif
endmodule

`default_nettype wire
