// Conv / deconv processing element: SIMD-lane MAC with exact accumulation and the
// requantisation of lic/fixedpoint/transform.py (IntTransform._conv) and hls/src/conv.h:
//
//   acc = bias + sum_{t < NBEATS, l < SIMD} a[t,l] * w[t,l]        (exact, guard bits)
//   acc = sat(acc, -2^(ACC_BITS-1), 2^(ACC_BITS-1) - 1)
//   out = sat(rshift_round(acc, shift), out_min, out_max)
//   rshift_round(v, s) = (v + 2^(s-1)) >>> s  (s > 0),  v << -s  (s <= 0)
//
// One output value every NBEATS accepted beats (NBEATS = taps*in_ch/SIMD: 25*C_in/SIMD
// for a 5x5 conv). bias and shift are sampled on the first beat of a job. Valid/ready
// handshake, fully pipelined with one global stall (en = !out_valid | out_ready), II = 1
// beat: product (1) | accumulate (1) | saturate + round/shift (1) | output clamp (1).
// A PE array (hls/src/conv.h's PE) is PE copies sharing in_a, each with its own weights.
// Legal shifts: -31 <= shift <= 2^(SH_BITS-1)-1 (right shifts beyond ACC_BITS+1 give
// the same result as ACC_BITS+1 and are clamped there).
// out_sat counts the clamps the reference counts for this value (accumulator + output).
`timescale 1ns / 1ps
`default_nettype none

module conv_pe #(
    parameter integer SIMD       = 4,   // MAC lanes a beat
    parameter integer NBEATS     = 50,  // beats a job
    parameter integer A_BITS     = 8,   // activation width
    parameter integer A_SIGNED   = 1,   // 0: unsigned activations (image pixels)
    parameter integer W_BITS     = 8,   // signed weights
    parameter integer ACC_BITS   = 32,  // accumulator (and bias) width after saturation
    parameter integer SH_BITS    = 8,   // signed shift port width (shift_t = ap_int<8>)
    parameter integer OUT_BITS   = 16,  // output width
    parameter integer OUT_SIGNED = 1    // 0: unsigned output (image pixels)
) (
    input  wire                     clk,
    input  wire                     rst,       // synchronous, active high
    input  wire                     in_valid,
    output wire                     in_ready,
    input  wire [SIMD*A_BITS-1:0]   in_a,      // lane l activation
    input  wire [SIMD*W_BITS-1:0]   in_w,      // lane l weight
    input  wire [ACC_BITS-1:0]      in_bias,   // first beat of a job
    input  wire [SH_BITS-1:0]       in_shift,  // first beat of a job (signed)
    output wire                     out_valid,
    input  wire                     out_ready,
    output wire [OUT_BITS-1:0]      out_y,
    output wire [1:0]               out_sat
);
    localparam integer CW  = (NBEATS > 1) ? $clog2(NBEATS) : 1;
    localparam integer AX  = A_BITS + (A_SIGNED ? 0 : 1);       // activation as signed
    localparam integer PW  = AX + W_BITS;                       // one product, signed
    localparam integer GB  = $clog2(SIMD * NBEATS + 1) + 1;     // guard bits
    localparam integer AW  = ((PW > ACC_BITS) ? PW : ACC_BITS) + GB;
    localparam integer RS_MAX = ACC_BITS + 1;                   // larger right shifts: same result
    localparam integer LS_MAX = 31;
    localparam integer VW  = ACC_BITS + LS_MAX + 2;              // shifted value width
    localparam signed [AW-1:0] ACC_MAX = (64'sd1 <<< (ACC_BITS - 1)) - 1;
    localparam signed [AW-1:0] ACC_MIN = -(64'sd1 <<< (ACC_BITS - 1));
    localparam signed [VW-1:0] OUT_MAX = OUT_SIGNED ? (64'sd1 <<< (OUT_BITS - 1)) - 1 : (64'sd1 <<< OUT_BITS) - 1;
    localparam signed [VW-1:0] OUT_MIN = OUT_SIGNED ? -(64'sd1 <<< (OUT_BITS - 1)) : 64'sd0;

    wire en;
    assign in_ready = en;
    wire fire = in_valid & en;

    reg [CW-1:0] beat;
    wire first = (beat == 0);
    wire last  = (beat == NBEATS - 1);
    always @(posedge clk)
        if (rst) beat <= 0;
        else if (fire) beat <= last ? {CW{1'b0}} : beat + 1'b1;

    // ------------------------------------------------------------------ stage 1: products
    reg                       p_v, p_first, p_last;
    reg signed [ACC_BITS-1:0] p_bias;
    reg signed [SH_BITS-1:0]  p_shift;
    reg [SIMD*PW-1:0]         p_prod;
    integer l;
    reg signed [AX-1:0]     al;
    reg signed [W_BITS-1:0] wl;
    reg signed [PW-1:0]     pl;
    always @(posedge clk) begin
        if (rst) p_v <= 1'b0;
        else if (en) p_v <= fire;
        if (en) begin
            p_first <= first;
            p_last  <= last;
            p_bias  <= in_bias;
            p_shift <= in_shift;
            for (l = 0; l < SIMD; l = l + 1) begin
                if (A_SIGNED) al = $signed(in_a[l*A_BITS +: A_BITS]);
                else          al = $signed({1'b0, in_a[l*A_BITS +: A_BITS]});
                wl = in_w[l*W_BITS +: W_BITS];
                pl = al * wl;
                p_prod[l*PW +: PW] <= pl;
            end
        end
    end

    // ------------------------------------------------------------------ stage 2: accumulate
    reg signed [AW-1:0] lane_sum;
    always @* begin
        lane_sum = {AW{1'b0}};
        for (l = 0; l < SIMD; l = l + 1)
            lane_sum = lane_sum + $signed(p_prod[l*PW +: PW]);
    end
    reg  signed [AW-1:0]      acc;
    reg  signed [SH_BITS-1:0] acc_shift;
    wire signed [AW-1:0]      acc_next = (p_first ? $signed(p_bias) : acc) + lane_sum;
    reg                       d_v;
    reg  signed [AW-1:0]      d_acc;
    reg  signed [SH_BITS-1:0] d_shift;
    always @(posedge clk) begin
        if (rst) d_v <= 1'b0;
        else if (en) d_v <= p_v & p_last;
        if (en & p_v) begin
            acc <= acc_next;
            if (p_first) acc_shift <= p_shift;
        end
        if (en) begin
            d_acc   <= acc_next;
            d_shift <= p_first ? p_shift : acc_shift;
        end
    end

    // ------------------------------------------------------------------ stage 3: sat + round/shift
    wire a_hi = d_acc > ACC_MAX, a_lo = d_acc < ACC_MIN;
    wire signed [ACC_BITS-1:0] a_sat = a_hi ? ACC_MAX[ACC_BITS-1:0] : a_lo ? ACC_MIN[ACC_BITS-1:0] : d_acc[ACC_BITS-1:0];
    wire               s_pos = ~d_shift[SH_BITS-1] & (d_shift != 0);
    wire signed [31:0] s32 = d_shift;                          // sign-extended
    wire [7:0] rs = (s32 > RS_MAX) ? RS_MAX : s_pos ? s32[7:0] : 8'd0;
    wire [7:0] ls = (s32 < -LS_MAX) ? LS_MAX : (s32 < 0) ? -s32[7:0] : 8'd0;
    wire signed [VW-1:0] v_ext = a_sat;
    wire signed [VW-1:0] half  = s_pos ? ({{(VW-1){1'b0}}, 1'b1} << (rs - 1'b1)) : {VW{1'b0}};
    wire signed [VW-1:0] v_sh  = s_pos ? (v_ext + half) >>> rs : v_ext <<< ls;
    reg                  r_v;
    reg                  r_asat;
    reg signed [VW-1:0]  r_y;
    always @(posedge clk) begin
        if (rst) r_v <= 1'b0;
        else if (en) r_v <= d_v;
        if (en) begin
            r_y    <= v_sh;
            r_asat <= a_hi | a_lo;
        end
    end

    // ------------------------------------------------------------------ stage 4: output clamp
    wire o_hi = r_y > OUT_MAX, o_lo = r_y < OUT_MIN;
    reg                o_v;
    reg [OUT_BITS-1:0] o_y;
    reg [1:0]          o_sat;
    always @(posedge clk) begin
        if (rst) o_v <= 1'b0;
        else if (en) o_v <= r_v;
        if (en) begin
            o_y   <= o_hi ? OUT_MAX[OUT_BITS-1:0] : o_lo ? OUT_MIN[OUT_BITS-1:0] : r_y[OUT_BITS-1:0];
            o_sat <= {1'b0, r_asat} + {1'b0, o_hi | o_lo};
        end
    end
    assign en        = ~o_v | out_ready;
    assign out_valid = o_v;
    assign out_y     = o_y;
    assign out_sat   = o_sat;
endmodule

`default_nettype wire
