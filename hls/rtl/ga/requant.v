// Requantiser shared by the PE accumulators of a conv stage (conv_pe's stages 3-4, bit for
// bit): for each of the PE jobs that finish together (one every NCI beats),
//   a = sat(acc, -2^(ACC_BITS-1), 2^(ACC_BITS-1) - 1)
//   y = sat(rshift_round(a, shift), out_min, out_max)
// The PE results are captured in one cycle and issued L = PE / NRQ a cycle through NRQ
// requantisers (channel g*L + j on requantiser g at issue j), so a batch takes L cycles; the
// next batch may come with the last issue (the caller picks NRQ with L <= NCI, and the units
// deliver a batch at most every NCI cycles). The results are gathered into one PE-wide word,
// out_valid for one cycle when it is complete. Free running: no stall (the PE array's skid
// buffer after it holds what the collector cannot take).
//
// Five register stages after an issue, each a short path:
//   1 channel mux (an L:1 ga_muxtree over constant slices)
//   2 saturation, left clamp and shift decode (sign and high-bit tests of the accumulator)
//   3 barrel shifts: right a >>> (rs - 1), left c << ls
//   4 round: (v + 1) >>> 1, right or left
//   5 fused ReLU, output clamp (bit tests) into the PE-wide word
// Exact for -31 <= shift <= 2^(SH_BITS-1)-1:
//   right (shift > 0): rshift_round(a, rs) = (a + 2^(rs-1)) >>> rs = ((a >>> (rs-1)) + 1) >>> 1
//     (floor division identity), rs = min(shift, ACC_BITS + 1), ACC_BITS + 2 bits;
//   left (shift <= 0): c << min(-shift, OUT_BITS + 1) with c = acc clamped to [-2^(OUT_BITS+1),
//     2^(OUT_BITS+1) - 1], 2 OUT_BITS + 4 bits: every value the clamp changes, and every shift the
//     min changes, saturates the output either way (|c << s| >= 2^(OUT_BITS+1) - 1 > out_max),
//     so the output and the clamp flags are those of the unclamped value.
// RELU = 1 (a conv with a fused ReLU): y = sat(max(0, rshift_round(a, shift)), out_min, out_max),
// the max not counted as a clamp (as lic.fixedpoint counts it).
// Latency: 1 (capture) + j (issue) + 5 cycles for channel g*L + j; out_valid with the last.
`timescale 1ns / 1ps
`default_nettype none

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
    input  wire [PE*AW-1:0]         in_acc,
    input  wire [PE*SH_BITS-1:0]    in_shift,
    output reg                      out_valid,
    output wire [PE*OUT_BITS-1:0]   out_y,
    output wire [PE*2-1:0]          out_sat
);
    localparam integer L   = PE / NRQ;
    localparam integer JW  = (L > 1) ? $clog2(L) : 1;
    localparam integer RW  = ACC_BITS + 2;                 // right-shift path
    localparam integer LW  = 2 * OUT_BITS + 4;             // left-shift path
    localparam integer YW  = (RW > LW) ? RW : LW;
    localparam integer CB  = OUT_BITS + 2;                 // left-clamped value: [-2^CK, 2^CK - 1]
    localparam integer CK  = OUT_BITS + 1;
    localparam integer RS_MAX = ACC_BITS + 1;
    localparam integer LS_MAX = OUT_BITS + 1;              // larger left shifts saturate alike
    localparam integer OK  = OUT_SIGNED ? OUT_BITS - 1 : OUT_BITS;   // out_max = 2^OK - 1
    localparam signed [RW-1:0] ACC_MAX = (64'sd1 <<< (ACC_BITS - 1)) - 1;
    localparam signed [RW-1:0] ACC_MIN = -(64'sd1 <<< (ACC_BITS - 1));
    localparam signed [YW-1:0] OUT_MAX = OUT_SIGNED ? (64'sd1 <<< (OUT_BITS - 1)) - 1 : (64'sd1 <<< OUT_BITS) - 1;
    localparam signed [YW-1:0] OUT_MIN = OUT_SIGNED ? -(64'sd1 <<< (OUT_BITS - 1)) : 64'sd0;
    localparam integer NP  = 5;                            // register stages after an issue

    // ------------------------------------------------------------------ capture + issue
    reg              run;                 // b_acc holds a batch being issued
    reg [JW-1:0]     j;
    reg [PE*AW-1:0]      b_acc;
    reg [PE*SH_BITS-1:0] b_sh;
    wire last  = (j == L - 1);
    always @(posedge clk) begin
        if (rst) begin
            run <= 1'b0; j <= 0;
        end else if (in_valid) begin
            run <= 1'b1; j <= 0;
        end else if (run) begin
            run <= ~last;
            j   <= last ? {JW{1'b0}} : j + 1'b1;
        end
        if (in_valid) begin
            b_acc <= in_acc;
            b_sh  <= in_shift;
        end
    end

    // side band of the five stages: valid, channel j, last of the batch
    reg          s_v [1:NP], s_last [1:NP];
    reg [JW-1:0] s_j [1:NP];
    integer k;
    always @(posedge clk) begin
        if (rst) for (k = 1; k <= NP; k = k + 1) s_v[k] <= 1'b0;
        else begin
            s_v[1] <= run;
            for (k = 2; k <= NP; k = k + 1) s_v[k] <= s_v[k-1];
        end
        s_j[1] <= j; s_last[1] <= last;
        for (k = 2; k <= NP; k = k + 1) begin
            s_j[k] <= s_j[k-1]; s_last[k] <= s_last[k-1];
        end
    end

    genvar g;
    generate
        for (g = 0; g < NRQ; g = g + 1) begin : g_rq
            // ---------------------------------------------------------- 1: channel g*L + j
            wire [AW-1:0]      m_acc;
            wire [SH_BITS-1:0] m_sh;
            ga_muxtree #(.N(L), .W(AW), .SB(JW)) u_ma (.d(b_acc[g*L*AW +: L*AW]), .s(j), .y(m_acc));
            ga_muxtree #(.N(L), .W(SH_BITS), .SB(JW)) u_ms (.d(b_sh[g*L*SH_BITS +: L*SH_BITS]),
                                                             .s(j), .y(m_sh));
            reg signed [AW-1:0]      c_acc;
            reg signed [SH_BITS-1:0] c_sh;
            always @(posedge clk) begin
                c_acc <= m_acc;
                c_sh  <= m_sh;
            end
            // ---------------------------------------------------------- 2: saturate, clamp, decode
            wire neg  = c_acc[AW-1];
            wire a_hi = ~neg & (|c_acc[AW-2:ACC_BITS-1]);          // acc > 2^(ACC_BITS-1) - 1
            wire a_lo =  neg & ~(&c_acc[AW-2:ACC_BITS-1]);         // acc < -2^(ACC_BITS-1)
            wire c_hi = ~neg & (|c_acc[AW-2:CK]);                  // acc >= 2^CK
            wire c_lo =  neg & ~(&c_acc[AW-2:CK]);                 // acc < -2^CK
            wire s_pos = ~c_sh[SH_BITS-1] & (|c_sh);
            wire s_big = s_pos & (c_sh > RS_MAX);
            wire l_big = c_sh[SH_BITS-1] & (c_sh < -LS_MAX);
            reg signed [RW-1:0] a_r;
            reg signed [CB-1:0] c_r;
            reg [7:0]           rs1_r, ls_r;
            reg                 pos_r, asat_r;
            always @(posedge clk) begin
                a_r    <= a_hi ? ACC_MAX : a_lo ? ACC_MIN : c_acc[RW-1:0];
                c_r    <= c_hi ? {1'b0, {(CB-1){1'b1}}} : c_lo ? {1'b1, {(CB-1){1'b0}}} : c_acc[CB-1:0];
                rs1_r  <= s_big ? RS_MAX - 1 : c_sh - 1'b1;        // rs - 1 (s_pos)
                ls_r   <= !c_sh[SH_BITS-1] ? 8'd0 : l_big ? LS_MAX : -c_sh;
                pos_r  <= s_pos;
                asat_r <= a_hi | a_lo;
            end
            // ---------------------------------------------------------- 3: barrel shifts
            reg signed [RW-1:0] v1_r;
            reg signed [LW-1:0] vl_r;
            reg                 pos3, asat3;
            wire signed [LW-1:0] c_ext = c_r;
            always @(posedge clk) begin
                v1_r  <= a_r >>> rs1_r;
                vl_r  <= c_ext <<< ls_r;
                pos3  <= pos_r;
                asat3 <= asat_r;
            end
            // ---------------------------------------------------------- 4: round
            wire signed [RW-1:0] v1p = v1_r + {{(RW-1){1'b0}}, 1'b1};   // cannot overflow: v1 <= a
            wire signed [RW-1:0] vr  = v1p >>> 1;
            reg signed [YW-1:0]  r_y;
            reg                  r_asat;
            always @(posedge clk) begin
                r_y    <= pos3 ? vr : vl_r;
                r_asat <= asat3;
            end
            // ---------------------------------------------------------- 5: ReLU + output clamp
            wire r_neg = r_y[YW-1];
            wire o_hi  = ~r_neg & (|r_y[YW-2:OK]);                 // y > out_max
            wire o_lo  = (RELU == 0) & r_neg & (OUT_SIGNED ? ~(&r_y[YW-2:OK]) : 1'b1);   // y < out_min
            wire zero  = (RELU != 0) & r_neg;                      // fused ReLU: max(0, y)
            wire [OUT_BITS-1:0] y = o_hi ? OUT_MAX[OUT_BITS-1:0] : o_lo ? OUT_MIN[OUT_BITS-1:0]
                                  : zero ? {OUT_BITS{1'b0}} : r_y[OUT_BITS-1:0];
            wire [1:0]          ys = {1'b0, r_asat} + {1'b0, o_hi | o_lo};
            reg [L*OUT_BITS-1:0] gy;          // this requantiser's L channels of the word
            reg [L*2-1:0]        gs;
            integer q;
            always @(posedge clk)             // constant slices, one enable each
                for (q = 0; q < L; q = q + 1)
                    if (s_v[NP-1] & (s_j[NP-1] == q)) begin
                        gy[q*OUT_BITS +: OUT_BITS] <= y;
                        gs[2*q +: 2]               <= ys;
                    end
            assign out_y[g*L*OUT_BITS +: L*OUT_BITS] = gy;
            assign out_sat[g*L*2 +: L*2]             = gs;
        end
    endgenerate
    always @(posedge clk)
        if (rst) out_valid <= 1'b0;
        else out_valid <= s_v[NP-1] & s_last[NP-1];
endmodule

`default_nettype wire
