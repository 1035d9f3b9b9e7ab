// Conv processing element with a pipelined SIMD adder tree: the arithmetic of conv_pe.v
// (lic/fixedpoint.py conv: exact accumulation, int32 clamp, rshift_round, output clamp),
// bit for bit, with the SIMD products summed by a tree of FANIN-input adders and a register
// after every tree level, so a wide PE (SIMD = 400, 1600) has no long combinational path:
//
//   product (1) | tree (NL = ceil(log_FANIN SIMD) levels) | accumulate (1) | sat + shift (1) | clamp (1)
//
// II = 1 beat, one global stall (en = !out_valid | out_ready), one result every NBEATS
// beats; bias/shift ride on a job's first beat and travel down the tree with it. The sums
// are exact (the tree is wide enough for SIMD products), so the order of addition does not
// change a bit. Interface and parameters as conv_pe, plus FANIN.
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
    parameter integer OUT_BITS   = 16,
    parameter integer OUT_SIGNED = 1,
    parameter integer FANIN      = 4    // adder inputs a tree level (one register a level)
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     in_valid,
    output wire                     in_ready,
    input  wire [SIMD*A_BITS-1:0]   in_a,
    input  wire [SIMD*W_BITS-1:0]   in_w,
    input  wire [ACC_BITS-1:0]      in_bias,
    input  wire [SH_BITS-1:0]       in_shift,
    output wire                     out_valid,
    input  wire                     out_ready,
    output wire [OUT_BITS-1:0]      out_y,
    output wire [1:0]               out_sat
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
    function integer offset(input integer k);    // first term of level k in `tree`
        integer q;
        begin
            offset = 0;
            for (q = 0; q < k; q = q + 1) offset = offset + nterms(q);
        end
    endfunction
    localparam integer NL  = levels(0);
    localparam integer CW  = (NBEATS > 1) ? $clog2(NBEATS) : 1;
    localparam integer AX  = A_BITS + (A_SIGNED ? 0 : 1);
    localparam integer PW  = AX + W_BITS;
    localparam integer GB  = $clog2(SIMD * NBEATS + 1) + 1;
    localparam integer AW  = ((PW > ACC_BITS) ? PW : ACC_BITS) + GB;
    localparam integer RS_MAX = ACC_BITS + 1;
    localparam integer LS_MAX = 31;
    localparam integer VW  = ACC_BITS + LS_MAX + 2;
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

    // ------------------------------------------------------------------ products + tree
    // tree[offset(k) + i]: term i of level k (level 0: the products); side band per level
    localparam integer NT = offset(NL + 1);
    reg [NT*AW-1:0]           tree;
    reg                       t_v [0:NL], t_first [0:NL], t_last [0:NL];
    reg signed [ACC_BITS-1:0] t_bias [0:NL];
    reg signed [SH_BITS-1:0]  t_shift [0:NL];
    integer l, k;
    reg signed [AX-1:0]     al;
    reg signed [W_BITS-1:0] wl;
    reg signed [AW-1:0]     pr;
    always @(posedge clk) begin
        if (rst) for (k = 0; k <= NL; k = k + 1) t_v[k] <= 1'b0;
        else if (en) begin
            t_v[0] <= fire;
            for (k = 1; k <= NL; k = k + 1) t_v[k] <= t_v[k-1];
        end
        if (en) begin
            t_first[0] <= first; t_last[0] <= last; t_bias[0] <= in_bias; t_shift[0] <= in_shift;
            for (k = 1; k <= NL; k = k + 1) begin
                t_first[k] <= t_first[k-1]; t_last[k] <= t_last[k-1];
                t_bias[k] <= t_bias[k-1]; t_shift[k] <= t_shift[k-1];
            end
            for (l = 0; l < SIMD; l = l + 1) begin
                if (A_SIGNED) al = $signed(in_a[l*A_BITS +: A_BITS]);
                else          al = $signed({1'b0, in_a[l*A_BITS +: A_BITS]});
                wl = in_w[l*W_BITS +: W_BITS];
                pr = al * wl;
                tree[l*AW +: AW] <= pr;
            end
        end
    end
    genvar gk, gi;
    generate
        for (gk = 1; gk <= NL; gk = gk + 1) begin : g_lvl
            localparam integer NP = nterms(gk - 1), OP = offset(gk - 1), OC = offset(gk);
            for (gi = 0; gi < nterms(gk); gi = gi + 1) begin : g_node
                integer j;
                reg signed [AW-1:0] s;
                always @* begin
                    s = 0;
                    for (j = 0; j < FANIN; j = j + 1)
                        if (gi * FANIN + j < NP) s = s + $signed(tree[(OP + gi*FANIN + j)*AW +: AW]);
                end
                always @(posedge clk) if (en) tree[(OC + gi)*AW +: AW] <= s;
            end
        end
    endgenerate
    wire                       p_v     = t_v[NL];
    wire                       p_first = t_first[NL];
    wire                       p_last  = t_last[NL];
    wire signed [ACC_BITS-1:0] p_bias  = t_bias[NL];
    wire signed [SH_BITS-1:0]  p_shift = t_shift[NL];
    wire signed [AW-1:0]       lane_sum = tree[offset(NL)*AW +: AW];

    // ------------------------------------------------------------------ accumulate
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

    // ------------------------------------------------------------------ sat + round/shift
    wire a_hi = d_acc > ACC_MAX, a_lo = d_acc < ACC_MIN;
    wire signed [ACC_BITS-1:0] a_sat = a_hi ? ACC_MAX[ACC_BITS-1:0] : a_lo ? ACC_MIN[ACC_BITS-1:0] : d_acc[ACC_BITS-1:0];
    wire               s_pos = ~d_shift[SH_BITS-1] & (d_shift != 0);
    wire signed [31:0] s32 = d_shift;
    wire [7:0] rs = (s32 > RS_MAX) ? RS_MAX : s_pos ? s32[7:0] : 8'd0;
    wire [7:0] ls = (s32 < -LS_MAX) ? LS_MAX : (s32 < 0) ? -s32[7:0] : 8'd0;
    wire signed [VW-1:0] v_ext = a_sat;
    wire signed [VW-1:0] half  = s_pos ? ({{(VW-1){1'b0}}, 1'b1} << (rs - 1'b1)) : {VW{1'b0}};
    wire signed [VW-1:0] v_sh  = s_pos ? (v_ext + half) >>> rs : v_ext <<< ls;
    reg                  r_v, r_asat;
    reg signed [VW-1:0]  r_y;
    always @(posedge clk) begin
        if (rst) r_v <= 1'b0;
        else if (en) r_v <= d_v;
        if (en) begin
            r_y    <= v_sh;
            r_asat <= a_hi | a_lo;
        end
    end

    // ------------------------------------------------------------------ output clamp
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
