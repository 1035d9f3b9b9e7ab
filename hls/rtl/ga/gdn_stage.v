// One folded GDN / IGDN layer of the pipeline: PE gdn_units (hls/rtl/gdn_unit.v), each
// computing one output channel i of the current pixel from SIMD (x_j, gamma_ij) lanes a beat.
// A pixel (C values of IN_BITS) is popped from the upstream stream and held while its
// NCO x NCI beats issue (NCO = C/PE output folds, NCI = C/SIMD input folds, fold order
// co-major); the next pixel is loaded on the last beat, so a pixel takes NCO*NCI cycles
// with no bubble. gamma (row i, lanes j) and beta come from ROMs initialised from
// lic.fixedpoint's integer parameters (GFILE: word co*NCI+ci = PE x SIMD gamma lanes,
// BFILE: word co = PE betas); the ROMs are read synchronously into a beat register that runs
// under the units' global stall (the gamma ROM as block RAM when deeper than ROM_LUT_MAX). Counters: busy (beats issued), stall (a beat
// waiting on back-pressure), starve (no pixel to work on), first/last beat cycle.
`timescale 1ns / 1ps
`default_nettype none

module ga_gdn_stage #(
    parameter integer C         = 8,
    parameter integer PE        = 1,
    parameter integer SIMD      = 1,
    parameter integer NPIX      = 16,   // pixels a frame (frames follow with no gap)
    parameter integer INVERSE   = 0,
    parameter integer STANDARD  = 0,
    parameter integer IN_BITS   = 16,
    parameter integer G_BITS    = 32,
    parameter integer ACC_BITS  = 48,
    parameter integer K         = 9,
    parameter integer S_NUM     = 0,
    parameter integer S_DEN     = 0,
    parameter integer SHIFT     = 0,
    parameter integer SQRT_FRAC = 4,
    parameter integer OUT_BITS  = 8,
    parameter integer DEPTH     = 2,
    parameter integer ROM_LUT_MAX = 64,  // deeper gamma ROMs are block RAM (rom_style)
    parameter GFILE = "gamma.hex",
    parameter BFILE = "beta.hex"
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [31:0]             cycle,
    input  wire                    in_valid,
    output wire                    in_ready,
    input  wire [C*IN_BITS-1:0]    in_data,
    output wire                    out_valid,
    input  wire                    out_ready,
    output wire [C*OUT_BITS-1:0]   out_data,
    output wire [9*32-1:0]         stats     // see the counters at the end
);
    localparam integer NCO = C / PE;
    localparam integer NCI = C / SIMD;
    localparam integer CWO = (NCO > 1) ? $clog2(NCO) : 1;
    localparam integer CWI = (NCI > 1) ? $clog2(NCI) : 1;
    localparam integer GW  = PE * SIMD * G_BITS;
    localparam integer MB  = STANDARD ? 2 * IN_BITS - 1 : IN_BITS;   // m_j = x_j^2 | |x_j|

    reg [PE*ACC_BITS-1:0] brom [0:NCO-1];
    initial $readmemh(BFILE, brom);

    // ------------------------------------------------------------------ beat issue
    reg               have;          // x holds a pixel
    reg [C*IN_BITS-1:0] x;
    reg [CWO-1:0]     co;
    reg [CWI-1:0]     ci;
    reg [31:0]        npix;          // pixels finished (all beats issued)
    wire              en;            // the skid buffer has room for one more job
    // a job (output fold co: NCI beats) starts only with a free slot in the skid buffer; its
    // other beats follow without a check (the units never stall)
    wire              issue = have & ((ci != 0) | en);
    wire              start = issue & (ci == 0);
    wire              last_beat = (co == NCO - 1) & (ci == NCI - 1);
    assign in_ready = ~have | (issue & last_beat);
    wire              load = in_valid & in_ready;
    always @(posedge clk) begin
        if (rst) begin
            have <= 1'b0; co <= 0; ci <= 0; npix <= 0;
        end else begin
            if (load) begin
                x <= in_data;
                have <= 1'b1;
            end else if (issue & last_beat) have <= 1'b0;
            if (issue) begin
                ci <= (ci == NCI - 1) ? {CWI{1'b0}} : ci + 1'b1;
                if (ci == NCI - 1) co <= last_beat ? {CWO{1'b0}} : co + 1'b1;
                if (last_beat) npix <= npix + 1;
            end
        end
    end

    // ------------------------------------------------------------------ beat pipeline (3 cycles)
    // 1: the beat's x lanes and the PE channels' x_i (mux trees over constant slices of the
    //    pixel, ga_muxtree, conv_stage.v: not variable part-selects, which yosys builds as a
    //    shifter over the whole C*IN_BITS-bit pixel), the ROM addresses; 2-3: m_j = x_j^2 as a
    //    DSP48E2 with input (x_r), M and P (b_m) registers (standard), or |x_j| (simplified);
    //    the ROMs are read (registered) in 3 from the addresses of 2. No clock enable: the
    //    registers load every cycle, b_v = a beat issued 3 cycles before.
    localparam integer NGA = (NCO * NCI > 1) ? $clog2(NCO * NCI) : 1;
    wire [SIMD*IN_BITS-1:0] x_sel;
    wire [PE*IN_BITS-1:0]   xi_sel;
    ga_muxtree #(.N(NCI), .W(SIMD*IN_BITS), .SB(CWI)) u_xsel (.d(x), .s(ci), .y(x_sel));
    ga_muxtree #(.N(NCO), .W(PE*IN_BITS), .SB(CWO)) u_xisel (.d(x), .s(co), .y(xi_sel));
    reg [NGA-1:0]          ga;       // gamma ROM address co * NCI + ci, as a counter
    always @(posedge clk)
        if (rst) ga <= 0;
        else if (issue) ga <= last_beat ? {NGA{1'b0}} : ga + 1'b1;
    reg                    v1, v2, b_v;
    reg [SIMD*IN_BITS-1:0] x_r;
    reg [PE*IN_BITS-1:0]   xi1, xi2, b_xi;
    reg [NGA-1:0]          ga1, ga2;
    reg [CWO-1:0]          co1, co2;
    always @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0; v2 <= 1'b0; b_v <= 1'b0;
        end else begin
            v1 <= issue; v2 <= v1; b_v <= v2;
        end
        x_r <= x_sel; xi1 <= xi_sel; ga1 <= ga; co1 <= co;
        xi2 <= xi1; ga2 <= ga1; co2 <= co1;
        b_xi <= xi2;
    end
    reg [SIMD*MB-1:0]      m2, b_m;  // m_j of the beat's lanes (gdn_unit M_IN)
    genvar ml;
    generate
        for (ml = 0; ml < SIMD; ml = ml + 1) begin : g_m
            wire signed [IN_BITS-1:0] xv = x_r[ml*IN_BITS +: IN_BITS];
            if (STANDARD) begin : g_sq
                wire signed [2*IN_BITS-1:0] sq = xv * xv;                 // < 2^(2*IN_BITS-2)
                always @(posedge clk) m2[ml*MB +: MB] <= sq[MB-1:0];     // M register
            end else begin : g_abs
                wire [IN_BITS-1:0] ab = xv[IN_BITS-1] ? -xv : xv;         // 2^(IN_BITS-1) fits
                always @(posedge clk) m2[ml*MB +: MB] <= ab;
            end
        end
    endgenerate
    always @(posedge clk) b_m <= m2;                                      // P register
    reg [GW-1:0]               b_gamma;
    reg [PE*ACC_BITS-1:0]      b_beta;
    // gamma ROM: a registered read -- block RAM when deeper than ROM_LUT_MAX words (rom_style,
    // honoured by yosys memory_libmap and Vivado), else LUTs
    generate
        if (NCO * NCI > ROM_LUT_MAX) begin : g_gbram
            (* rom_style = "block" *) reg [GW-1:0] grom [0:NCO*NCI-1];
            initial $readmemh(GFILE, grom);
            always @(posedge clk) b_gamma <= grom[ga2];
        end else begin : g_glut
            reg [GW-1:0] grom [0:NCO*NCI-1];
            initial $readmemh(GFILE, grom);
            always @(posedge clk) b_gamma <= grom[ga2];
        end
    endgenerate
    always @(posedge clk) b_beta <= brom[co2];

    // ------------------------------------------------------------------ PE units + skid buffer
    // the units run free (gdn_unit FREE = 1, PIPE = 1: registered DSP products and lane sum);
    // their results go into a skid FIFO (ga_skid, fifo.v) with a slot reserved for every job in
    // flight, then the collector
    function integer ulat(input integer dummy);      // gdn_unit FREE/PIPE: first beat .. out
        integer nl, sqb;
        begin
            nl = SIMD * (((STANDARD ? 2 * IN_BITS - 1 : IN_BITS) + 16) / 17) * ((G_BITS + 25) / 26);
            sqb = 2 * ((ACC_BITS + 2 * SQRT_FRAC + 1) / 2);
            ulat = 3 + $clog2(nl + 1) + 1 + (STANDARD ? 1 + sqb / 2 : 0) + (INVERSE ? 3 : K + 2);
        end
    endfunction
    localparam integer LAT  = 3 + NCI + ulat(0) + 3;   // first issue .. slot released
    localparam integer SKID = (LAT + NCI - 1) / NCI + 1;
    wire [PE-1:0]          u_valid;
    wire [PE*OUT_BITS-1:0] u_y;
    wire [PE*2-1:0]        u_sat;
    wire                   c_ready, c_valid;
    wire [PE*OUT_BITS-1:0] c_y;
    wire [PE*2-1:0]        c_sat;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire u_ready;
            gdn_unit #(.C(C), .SIMD(SIMD), .INVERSE(INVERSE), .STANDARD(STANDARD),
                       .IN_BITS(IN_BITS), .G_BITS(G_BITS), .ACC_BITS(ACC_BITS), .K(K),
                       .S_NUM(S_NUM), .S_DEN(S_DEN), .SHIFT(SHIFT), .SQRT_FRAC(SQRT_FRAC),
                       .OUT_BITS(OUT_BITS), .M_IN(1), .FREE(1), .PIPE(1)) u (
                .clk(clk), .rst(rst), .in_valid(b_v), .in_ready(u_ready),
                .in_xi(b_xi[p*IN_BITS +: IN_BITS]), .in_beta(b_beta[p*ACC_BITS +: ACC_BITS]),
                .in_x(b_m), .in_gamma(b_gamma[p*SIMD*G_BITS +: SIMD*G_BITS]),
                .out_valid(u_valid[p]), .out_ready(1'b1),
                .out_y(u_y[p*OUT_BITS +: OUT_BITS]), .out_sat(u_sat[2*p +: 2]));
        end
    endgenerate
    ga_skid #(.W(PE*(OUT_BITS+2)), .DEPTH(SKID)) u_skid (
        .clk(clk), .rst(rst), .start(start), .ok(en), .in_valid(u_valid[0]),
        .in_data({u_sat, u_y}), .out_valid(c_valid), .out_ready(c_ready), .out_data({c_sat, c_y}));

    wire [31:0] sat_count;
    ga_collect #(.PE(PE), .NCO(NCO), .OB(OUT_BITS), .DEPTH(DEPTH)) u_col (
        .clk(clk), .rst(rst), .in_valid(c_valid), .in_ready(c_ready), .in_y(c_y),
        .in_sat(c_sat), .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data),
        .sat_count(sat_count));

    // ------------------------------------------------------------------ counters
    // busy (beats issued), stall (a beat waiting on back-pressure), starve (no pixel: input),
    // fill (0: no row starts), first/last beat cycle, clamps, pixels, last beat of frame 0
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

`default_nettype wire
