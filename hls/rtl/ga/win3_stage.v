// One folded layer over a 3x3, stride-1 input window (lic.fixedpoint conv / deconv, bit for bit):
//
//   PHASES = 1: conv 3x3, stride 1, pad 1 (h_a.0, h_s.2): output (y, x) = window (y, x), H x W;
//   PHASES = 4: transposed conv 5x5, stride 2, pad 2, output_pad 1 (h_s.0, h_s.1) as four
//               sub-pixel phases (lic.hw.hls_export.deconv_phase_matrix, hls/src/deconv.h):
//               output (2i + py, 2j + px) = window (i, j) with the weights of phase py*2 + px,
//               window position (a, b) = input (i-1+a, j-1+b) carrying deconv tap
//               (ky, kx) = (py + 2(2-a), px + 2(2-b)) (weight 0 where ky or kx is 5: the
//               phase-uniform schedule's idle taps); 2H x 2W. Input row i is walked twice
//               (py = 0, 1: output rows 2i, 2i+1), each window gives two output pixels (px).
//
//   line buffer : ROWS (>= 4) banks of one input row each (row r in bank r mod ROWS), one word a
//                 pixel (CIN values of A_BITS), written one pixel a beat in raster order while
//                 the row is not in use (back-pressure else); block RAM, or LUT RAM for rows of
//                 LB_LUT_MAX pixels or less. Rows / columns outside the image read as 0 (the bank
//                 read register's reset).
//   window      : rows i-1..i+1 (bank muxes: ga_muxtree of ROWS leaves a window row), two column
//                 registers (j-1, j) plus the bank read registers as column j+1: one bank read a
//                 window move. A row pass starts when rows up to i+1 are complete, with 2 fill cycles.
//   MAC array   : ga_pe_array (mac_pe.v) over the window vector v[(a*3 + b)*CIN + c]; beat (co, ci)
//                 gives unit p the weights of output channel co*PE+p, lanes ci*SIMD..+SIMD-1.
//                 An output pixel is NCO*NCI beats (NCO = COUT/PE, NCI = 9*CIN/SIMD), II = 1.
//   ROMs        : WFILE word (ph*NCO + co)*NCI + ci = PE x SIMD weights of phase ph, BFILE word
//                 co = PE x {shift, bias} (all phases); read synchronously into the beat register.
//   collector   : ga_collect + FIFO (one output pixel a word).
// Frames follow each other with no gap (absolute stream rows, as ga_conv_stage).
// Counters (stats): busy, stall, starve, fill, first, last, clamps, pixels out, last beat of frame 0.
`timescale 1ns / 1ps
`default_nettype none

module ga_win3_stage #(
    parameter integer CIN        = 8,
    parameter integer COUT       = 8,
    parameter integer H          = 8,    // input rows
    parameter integer W          = 8,    // input columns
    parameter integer PE         = 1,
    parameter integer SIMD       = 1,
    parameter integer ROWS       = 4,    // line-buffer rows (>= 4)
    parameter integer PHASES     = 1,    // 1: conv 3x3/s1; 4: deconv 5x5/s2 (sub-pixel phases)
    parameter integer A_BITS     = 8,
    parameter integer A_SIGNED   = 0,
    parameter integer W_BITS     = 8,
    parameter integer ACC_BITS   = 32,
    parameter integer SH_BITS    = 8,
    parameter integer OUT_BITS   = 8,
    parameter integer OUT_SIGNED = 0,
    parameter integer RELU       = 0,
    parameter integer DEPTH      = 2,
    parameter integer FANIN      = 4,
    parameter integer INT8_PACK  = 1,
    parameter integer RQ_SHARE   = 1,
    parameter integer ROM_LUT_MAX = 64,
    parameter integer LB_LUT_MAX = 64,
    parameter integer LB_FOLD    = 1,    // > 1: folded banks (ga_lbuf_fold), a column fetched ahead
    parameter WFILE = "w.hex",
    parameter BFILE = "b.hex"
) (
    input  wire                      clk,
    input  wire                      rst,
    input  wire [31:0]               cycle,
    input  wire                      in_valid,
    output wire                      in_ready,
    input  wire [CIN*A_BITS-1:0]     in_data,
    output wire                      out_valid,
    input  wire                      out_ready,
    output wire [COUT*OUT_BITS-1:0]  out_data,
    output wire [9*32-1:0]           stats
);
    localparam integer PX  = CIN * A_BITS;              // one pixel
    localparam integer NIN = 9 * CIN;
    localparam integer NCO = COUT / PE, NCI = NIN / SIMD;
    localparam integer CWO = (NCO > 1) ? $clog2(NCO) : 1;
    localparam integer CWI = (NCI > 1) ? $clog2(NCI) : 1;
    localparam integer BW  = ACC_BITS + SH_BITS;
    localparam integer RB  = (ROWS > 1) ? $clog2(ROWS) : 1;
    localparam integer NP  = (PHASES == 4) ? 2 : 1;     // row passes = output pixels a window
    localparam integer NW  = PHASES * NCO * NCI;        // weight ROM words
    generate
        if (ROWS < 4 || !(PHASES == 1 || PHASES == 4)) begin : g_bad
            ga_win3_stage_needs_ROWS_ge_4_and_PHASES_1_or_4 u_bad ();
        end
    endgenerate

    reg [PE*BW-1:0] brom [0:NCO-1];
    initial $readmemh(BFILE, brom);

    // ------------------------------------------------------------------ line-buffer writer
    localparam [2:0] S_WAIT = 0, S_F1 = 1, S_F2 = 2, S_RUN = 3;
    reg  [2:0]    state;
    reg  [15:0]   iy, jx;                  // window centre: input row, column
    reg           py, px;                  // row pass, pixel of the window (PHASES = 4)
    reg  [31:0]   wr_row, base;            // rows written since reset; stream row of row 0
    reg  [15:0]   wr_col;
    reg  [RB-1:0] wr_b;                    // bank of the row being written
    // in_ready = wr_row < base + max(iy - 1, 0) + ROWS (row iy-1 the oldest in use): a register,
    // computed from the next-state values (row_room below), so it is the same every cycle
    reg  row_room;                         // a row of the line buffer is free
    reg  rows_in;                          // wr_row >= need: rows up to iy+1 are in
    wire lb_free;                          // LB_FOLD > 1: the folded banks take a pixel this cycle
    assign in_ready = row_room & (LB_FOLD == 1 || lb_free);
    wire wr_fire = in_valid & in_ready;
    reg  col_last;                         // wr_col == W - 1 (a register of wr_col's next value)
    always @(posedge clk) begin
        if (rst) col_last <= (W == 1);
        else if (wr_fire) col_last <= col_last ? (W == 1) : (wr_col == W - 2);
    end
    always @(posedge clk) begin
        if (rst) begin
            wr_row <= 0; wr_col <= 0; wr_b <= 0;
        end else if (wr_fire) begin
            if (col_last) begin
                wr_col <= 0; wr_row <= wr_row + 1;
                wr_b <= (wr_b == ROWS - 1) ? {RB{1'b0}} : wr_b + 1'b1;
            end else wr_col <= wr_col + 1;
        end
    end

    // ------------------------------------------------------------------ banks
    reg  [RB-1:0]   rb;                    // bank of row iy-1 (stream rows)
    reg  [15:0]     rd_addr;
    reg  [15:0]     jx2;                   // jx + 2, with jx
    wire            rd_en;
    reg  [2:0]      vk;                    // window row a inside the image
    reg  [ROWS-1:0] krow;                  // read as zero: the bank's row outside (or not in the window)
    reg             col_far;               // column jx + 2 is outside the image
    integer kk, rk, d;
    // the row part from the registers iy / rb, registered: they change at a row pass's last
    // beat, and the next read (S_F1) is two cycles later at the earliest
    always @* begin
        for (kk = 0; kk < 3; kk = kk + 1) begin
            rk = iy + kk - 1;
            vk[kk] = (rk >= 0) && (rk < H);
        end
    end
    integer d2, rk2;
    always @(posedge clk)
        for (d2 = 0; d2 < ROWS; d2 = d2 + 1) begin  // bank d is window row (d - rb) mod ROWS
            rk2 = (d2 >= rb) ? d2 - rb : d2 + ROWS - rb;
            krow[d2] <= rk2 > 2 || !vk[rk2 > 2 ? 0 : rk2];
        end
    // read as zero: the row part, or the column rd_addr outside (0 and 1 in the fills, jx + 2
    // after a window move: col_far, a register of the next jx)
    wire col_out = (state == S_F1) ? (W < 1) : (state == S_F2) ? (W < 2) : col_far;
    wire [ROWS-1:0] kill = krow | {ROWS{col_out}};
    wire [ROWS*PX-1:0] rd_q;
    genvar b;
    wire lb_ready;                         // LB_FOLD > 1: the next column is staged
    wire lb_start;                         // LB_FOLD > 1: fetch the column at rd_addr next
    generate
        if (LB_FOLD == 1) begin : g_direct
        assign lb_free = 1'b1;
        assign lb_ready = 1'b1;
        for (b = 0; b < ROWS; b = b + 1) begin : g_bank
            wire wr_b_en = wr_fire && wr_b == b;
            reg [PX-1:0] q;
            if (W > LB_LUT_MAX) begin : g_bram
                reg [PX-1:0] mem [0:W-1];
                always @(posedge clk) begin
                    if (wr_b_en) mem[wr_col] <= in_data;
                    if (rd_en) q <= kill[b] ? {PX{1'b0}} : mem[rd_addr];
                end
            end else begin : g_lutram
                (* ram_style = "distributed" *) reg [PX-1:0] mem [0:W-1];
                wire clr = rd_en & kill[b];
                always @(posedge clk) begin
                    if (wr_b_en) mem[wr_col] <= in_data;
                    if (clr) q <= {PX{1'b0}};
                    else if (rd_en) q <= mem[rd_addr];
                end
            end
            assign rd_q[b*PX +: PX] = q;
        end
        end else begin : g_fold
            // folded banks (as ga_conv_stage): the column read at rd_en is fetched ahead
            wire [ROWS-1:0] wen;
            for (b = 0; b < ROWS; b = b + 1) begin : g_wen
                assign wen[b] = wr_fire && wr_b == b;
            end
            ga_lbuf_fold #(.NB(ROWS), .PW(PX), .WP(W), .FOLD(LB_FOLD)) u_lb (
                .clk(clk), .rst(rst), .wr_en(wen), .wr_addr(wr_col), .wr_data(in_data),
                .wr_free(lb_free), .f_start(lb_start), .f_addr(rd_addr), .f_ready(lb_ready), .ld(rd_en),
                .kill(kill), .q(rd_q));
        end
    endgenerate

    // ------------------------------------------------------------------ window
    reg  [3*PX-1:0]   wc0, wc1;            // columns j-1, j (rows a = 0..2)
    wire [3*PX-1:0]   col3;                // column j+1 (bank registers)
    reg  [NIN*A_BITS-1:0] win;             // v[(a*3 + b)*CIN + c]
    reg  [3*RB-1:0]   bsel;
    integer a, r;
    genvar k2;
    generate
        for (k2 = 0; k2 < 3; k2 = k2 + 1) begin : g_col3
            ga_muxtree #(.N(ROWS), .W(PX), .SB(RB)) u_m (
                .d(rd_q), .s(bsel[k2*RB +: RB]), .y(col3[k2*PX +: PX]));
        end
    endgenerate
    always @* begin
        for (a = 0; a < 3; a = a + 1) begin
            r = rb + a;
            if (r >= ROWS) r = r - ROWS;
            bsel[a*RB +: RB] = r[RB-1:0];
            win[(a*3 + 0)*PX +: PX] = wc0[a*PX +: PX];
            win[(a*3 + 1)*PX +: PX] = wc1[a*PX +: PX];
            win[(a*3 + 2)*PX +: PX] = col3[a*PX +: PX];
        end
    end

    // ------------------------------------------------------------------ fold loop
    wire          en;                      // the PE array has room for one more job
    reg [CWO-1:0] co;
    reg [CWI-1:0] ci;
    reg [31:0]    npix;
    wire py_last   = (NP == 1) | py;
    wire px_last   = (NP == 1) | px;
    // a job (PE channels of one output pixel: NCI beats) starts only with a free slot in the PE
    // array's skid buffer; its other beats follow without a check (the array never stalls)
    wire issue     = (state == S_RUN) & ((ci != 0) | en);
    wire start     = issue & (ci == 0);
    wire last_beat = (co == NCO - 1) & (ci == NCI - 1);
    wire done      = issue & last_beat;    // an output pixel's last beat
    wire adv       = done & px_last;       // the window moves one column
    assign rd_en = ((state == S_F1) | (state == S_F2)) & lb_ready | adv;
    assign lb_start = (state == S_WAIT) & rows_in | rd_en;
    always @* begin
        case (state)
            S_F1:    rd_addr = 0;
            S_F2:    rd_addr = 1;
            default: rd_addr = jx2;
        endcase
    end
    always @(posedge clk) begin
        if (rst) begin
            state <= S_WAIT; iy <= 0; jx <= 0; py <= 0; px <= 0; co <= 0; ci <= 0; npix <= 0;
            base <= 0; rb <= ROWS - 1;         // row -1
        end else begin
            case (state)
                S_WAIT: if (rows_in) state <= S_F1;
                S_F1:   if (lb_ready) state <= S_F2;
                S_F2:   if (lb_ready) state <= S_RUN;
                S_RUN: if (issue) begin
                    ci <= (ci == NCI - 1) ? {CWI{1'b0}} : ci + 1'b1;
                    if (ci == NCI - 1) co <= last_beat ? {CWO{1'b0}} : co + 1'b1;
                    if (last_beat) begin
                        npix <= npix + 1;
                        px <= ~px_last;
                        if (px_last) begin
                            if (jx_last) begin
                                jx <= 0; state <= S_WAIT; py <= ~py_last;
                                if (py_last) begin  // next input row (continuous across frames)
                                    rb <= (rb == ROWS - 1) ? {RB{1'b0}} : rb + 1'b1;
                                    if (iy == H - 1) begin
                                        iy <= 0; base <= base + H;
                                    end else iy <= iy + 1;
                                end
                            end else jx <= jx + 1;
                        end
                    end
                end
                default: ;
            endcase
        end
    end
    // jx + 2, whether it is outside the image and whether jx is the row's last, registered from
    // jx's next value
    reg         jx_last;
    wire [15:0] jx_n = !adv ? jx : jx_last ? 16'd0 : jx + 1'b1;
    always @(posedge clk) begin
        if (rst) begin
            jx2 <= 2; col_far <= (W < 3); jx_last <= (W == 1);
        end else begin
            jx2 <= jx_n + 2'd2;
            col_far <= !(jx_n + 2'd2 < W);
            jx_last <= (jx_n == W - 1);
        end
    end
    // line-buffer limits as registers from next-state values (exactly the combinational
    // wr_row < base + max(iy-1, 0) + ROWS and wr_row >= base + min(iy+2, H) of iy, base, wr_row);
    // the values they take when iy moves on (lim_adv, need_adv) are computed ahead from the
    // registers iy / base (iy moves on at most once in 3 cycles)
    reg  [31:0] lim, need, lim_adv, need_adv;
    wire        row_adv  = adv & jx_last & py_last;                 // iy moves on
    wire [31:0] iy32     = {16'd0, iy};
    wire [31:0] lim_n    = row_adv ? lim_adv : lim;
    wire [31:0] need_n   = row_adv ? need_adv : need;
    wire [31:0] wr_row_n = wr_row + {31'd0, wr_fire & col_last};
    always @(posedge clk) begin
        lim_adv  <= (iy == H - 1) ? base + H + ROWS : base + iy32 + ROWS;
        need_adv <= (iy == H - 1) ? base + H + ((H < 2) ? H : 2) : base + ((iy32 + 3 > H) ? H : iy32 + 3);
        if (rst) begin
            lim <= ROWS; need <= (H < 2) ? H : 2; row_room <= 1'b1; rows_in <= 1'b0;
        end else begin
            lim <= lim_n; need <= need_n;
            row_room <= wr_row_n < lim_n;
            rows_in  <= wr_row_n >= need_n;
        end
    end
    wire wc_first = ~rst & (state == S_F2) & lb_ready;
    wire wc_next  = ~rst & adv;
`ifndef SYNTHESIS
    always @(posedge clk)
        if (!rst && adv && !lb_ready) $fatal(1, "ga_win3_stage: a window move before its column is staged (LB_FOLD)");
`endif
    always @(posedge clk) begin
        if (wc_first) wc0 <= {(3*PX){1'b0}};
        else if (wc_next) wc0 <= wc1;
        if (wc_first | wc_next) wc1 <= col3;
    end

    // ------------------------------------------------------------------ beat register (ROM read)
    // no clock enable: it loads every cycle (b_v = a beat issued), the PE array takes every beat
    reg                        b_v;
    reg [PE*SIMD*W_BITS-1:0]   b_w;
    reg [PE*BW-1:0]            b_bs;
    reg [SIMD*A_BITS-1:0]      b_a;
    wire [SIMD*A_BITS-1:0]     a_sel;
    ga_muxtree #(.N(NCI), .W(SIMD*A_BITS), .SB(CWI)) u_asel (.d(win), .s(ci), .y(a_sel));
    // weight ROM address (ph*NCO + co)*NCI + ci as a counter: +1 a beat, and after a pixel's
    // last beat the next pixel's phase base (ph = py*2 + px, from their next values)
    localparam integer NWA = (NW > 1) ? $clog2(NW) : 1;
    reg  [NWA-1:0] waddr;
    wire           px_n   = (NP == 2) & ~px_last;
    wire           py_n   = (NP == 2) & (px_last & jx_last ? ~py_last : py);
    wire [1:0]     ph_n   = {py_n, px_n};
    always @(posedge clk)
        if (rst) waddr <= 0;
        else if (issue) waddr <= last_beat ? ph_n * (NCO * NCI) : waddr + 1'b1;
    generate
        if (NW > ROM_LUT_MAX) begin : g_wbram
            (* rom_style = "block" *) reg [PE*SIMD*W_BITS-1:0] wrom [0:NW-1];
            initial $readmemh(WFILE, wrom);
            always @(posedge clk) b_w <= wrom[waddr];
        end else begin : g_wlut
            reg [PE*SIMD*W_BITS-1:0] wrom [0:NW-1];
            initial $readmemh(WFILE, wrom);
            always @(posedge clk) b_w <= wrom[waddr];
        end
    endgenerate
    always @(posedge clk) begin
        if (rst) b_v <= 1'b0;
        else b_v <= issue;
        b_bs <= brom[co];
        b_a  <= a_sel;
    end

    // ------------------------------------------------------------------ PE array, collector
    wire [PE*OUT_BITS-1:0] u_y;
    wire [PE*2-1:0]        u_sat;
    wire                   c_ready, c_valid;
    ga_pe_array #(.PE(PE), .SIMD(SIMD), .NCI(NCI), .NIN(NIN), .A_BITS(A_BITS),
                  .A_SIGNED(A_SIGNED), .W_BITS(W_BITS), .ACC_BITS(ACC_BITS), .SH_BITS(SH_BITS),
                  .OUT_BITS(OUT_BITS), .OUT_SIGNED(OUT_SIGNED), .RELU(RELU), .FANIN(FANIN),
                  .INT8_PACK(INT8_PACK), .RQ_SHARE(RQ_SHARE)) u_pe (
        .clk(clk), .rst(rst), .in_start(start), .en(en), .in_valid(b_v), .in_a(b_a), .in_w(b_w),
        .in_bs(b_bs), .out_valid(c_valid), .out_ready(c_ready), .out_y(u_y), .out_sat(u_sat));
    wire [31:0] sat_count;
    ga_collect #(.PE(PE), .NCO(NCO), .OB(OUT_BITS), .DEPTH(DEPTH)) u_col (
        .clk(clk), .rst(rst), .in_valid(c_valid), .in_ready(c_ready), .in_y(u_y),
        .in_sat(u_sat), .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data),
        .sat_count(sat_count));

    // ------------------------------------------------------------------ counters
    reg [31:0] c_busy, c_stall, c_starve, c_fill, c_first, c_last, c_last0;
    always @(posedge clk) begin
        if (rst) begin
            c_busy <= 0; c_stall <= 0; c_starve <= 0; c_fill <= 0; c_first <= 0; c_last <= 0;
            c_last0 <= 0;
        end else begin
            if (issue) begin
                c_busy <= c_busy + 1;
                if (c_busy == 0) c_first <= cycle;
                c_last <= cycle;
                if (base == 0) c_last0 <= cycle;
            end else if (state == S_RUN) c_stall <= c_stall + 1;
            else if (state == S_WAIT && !rows_in) c_starve <= c_starve + 1;
            else c_fill <= c_fill + 1;
        end
    end
    assign stats = {c_last0, npix, sat_count, c_last, c_first, c_fill, c_starve, c_stall, c_busy};
endmodule

`default_nettype wire
