// One folded conv / deconv layer whose MAC lanes read the line buffer directly (lic.fixedpoint conv /
// deconv, bit for bit; issue 31): no window registers, no bank or beat mux. For the slow stages (the
// hyperprior's h_a and h_s: thousands of beats an output pixel) where a register window and its muxes
// cost most of the stage's LUTs and FFs.
//
//   K = 5: conv 5x5, stride 2, pad 2 (h_a.2, h_a.4): output (oy, ox) = window rows 2oy-2.., columns
//          2ox-2..; H/2 x W/2 outputs.
//   K = 3, PHASES = 1: conv 3x3, stride 1, pad 1 (h_a.0, h_s.4): window (y-1.., x-1..), H x W outputs.
//   K = 3, PHASES = 4: transposed conv 5x5, stride 2, pad 2, output_pad 1 (h_s.0, h_s.2) as the four
//          sub-pixel phases of ga_win3_stage: window (i-1.., j-1..) gives output (2i+py, 2j+px) with the
//          weights of phase py*2+px; input row i is walked twice (py), each window gives two pixels (px).
//
//   line buffer : one simple dual-port memory of ROWS x W x CS words (CS = CIN / SIMD slices a pixel, a
//                 word = SIMD values of A_BITS): word (r mod ROWS)*W*CS + x*CS + s holds channels
//                 s*SIMD.. of input pixel (r, x) (stream row r, continuous across frames). A pixel is
//                 written over CS cycles (one word a cycle, the address a wrapping counter), its row
//                 only while the row is not in use (back-pressure else), as ga_win3_stage.
//   beats       : an output pixel is NCO*NCI beats (NCI = K*K*CS), beat (co, ci) with ci = (a*K + b)*CS + s
//                 reads word (row r0+a, column c0+b, slice s) -- the lanes ci*SIMD.. of the window vector
//                 v[(a*K + b)*CIN + c] that the other window stages feed, so the weight ROM is theirs
//                 (SIMD must divide CIN). The address is a register: +1 within a window row, the row's
//                 start (precomputed at the window move) after it. Rows / columns outside the image read
//                 as 0 (the read register's reset), so a beat's activations arrive with its weights.
//   schedule    : a row pass waits for its rows (1 cycle if they are in), each window move takes one
//                 cycle (the row starts and column limits of the new window), then NP*NCO*NCI beats
//                 (NP = 2 pixels a deconv window): lic.hw.rtl.hyper.stage_cycles.
//   MAC array   : ga_pe_array, ROMs, collector + FIFO, counters: as ga_win3_stage / ga_conv_stage.
`timescale 1ns / 1ps
`default_nettype none

module ga_direct_stage #(
    parameter integer CIN        = 8,
    parameter integer COUT       = 8,
    parameter integer H          = 8,    // input rows (even for K = 5)
    parameter integer W          = 8,    // input columns (even for K = 5)
    parameter integer K          = 3,    // 3: 3x3/s1 window (conv or deconv phases); 5: conv 5x5/s2
    parameter integer PHASES     = 1,    // 1: conv; 4: deconv 5x5/s2 as sub-pixel phases (K = 3)
    parameter integer PE         = 1,
    parameter integer SIMD       = 1,
    parameter integer ROWS       = 4,    // line-buffer rows (>= K + 1)
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
    parameter integer LB_LUT_MAX = 64,   // a line buffer of this many words or fewer: LUT RAM
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
    localparam integer S   = (K == 5) ? 2 : 1;          // window stride (rows and columns)
    localparam integer P   = (K == 5) ? 2 : 1;          // padding
    localparam integer NOY = (K == 5) ? H / 2 : H;      // row passes a frame (times NP)
    localparam integer NOX = (K == 5) ? W / 2 : W;      // windows a pass
    localparam integer NP  = (PHASES == 4) ? 2 : 1;     // row passes a row = pixels a window
    localparam integer CS  = CIN / SIMD;                // words a pixel
    localparam integer SW  = SIMD * A_BITS;             // one word
    localparam integer WCS = W * CS;                    // words a row
    localparam integer D   = ROWS * WCS;                // words of the line buffer
    localparam integer KCS = K * CS;                    // beats a window row
    localparam integer NIN = K * K * CIN;
    localparam integer NCO = COUT / PE, NCI = NIN / SIMD;
    localparam integer NW  = PHASES * NCO * NCI;        // weight ROM words
    localparam integer CWO = (NCO > 1) ? $clog2(NCO) : 1;
    localparam integer CWI = (NCI > 1) ? $clog2(NCI) : 1;
    localparam integer AW  = (D > 1) ? $clog2(D) : 1;
    localparam integer KW  = (KCS > 1) ? $clog2(KCS) : 1;
    localparam integer SB  = (CS > 1) ? $clog2(CS) : 1;
    localparam integer BW  = ACC_BITS + SH_BITS;
    generate
        if (!(K == 3 || K == 5) || (PHASES != 1 && !(PHASES == 4 && K == 3)) || CIN % SIMD != 0
            || ROWS < K + 1) begin : g_bad
            ga_direct_stage_needs_K_3_or_5_PHASES_1_or_4_SIMD_dividing_CIN_ROWS_gt_K u_bad ();
        end
    endgenerate

    reg [PE*BW-1:0] brom [0:NCO-1];
    initial $readmemh(BFILE, brom);

    // ------------------------------------------------------------------ line-buffer writer
    reg  [31:0]   wr_row, base;            // rows written since reset; stream row of row 0
    reg  [31:0]   wr_row1;                 // wr_row + 1 (the limits below select it: no adder on their path)
    reg  [15:0]   wr_col;
    reg  [AW-1:0] wa;                      // next word's address (wraps at D)
    reg  [SB-1:0] wcs;                     // slice being written (CS > 1)
    reg           wbusy;                   // slices 1..CS-1 of a pixel are being written
    reg  [CIN*A_BITS-1:0] hold;            // the pixel's remaining slices, slice 1 lowest
    reg  row_room;                         // the row being written is free (a register)
    reg  rows_in;                          // the rows of the next row pass are in (a register)
    assign in_ready = row_room & ~wbusy;
    wire in_fire  = in_valid & in_ready;
    wire wr_en    = in_fire | wbusy;
    wire [SW-1:0] wr_data = wbusy ? hold[SW-1:0] : in_data[SW-1:0];
    wire pix_done = (CS == 1) ? in_fire : (wbusy && wcs == CS - 1);   // a pixel's last word
    reg  col_last;                         // wr_col == W - 1
    always @(posedge clk) begin
        if (rst) begin
            wr_row <= 0; wr_row1 <= 1; wr_col <= 0; wa <= 0; wcs <= 0; wbusy <= 1'b0; col_last <= (W == 1);
        end else begin
            if (wr_en) wa <= (wa == D - 1) ? {AW{1'b0}} : wa + 1'b1;
            if (CS > 1) begin
                if (in_fire) begin
                    hold <= in_data >> SW; wbusy <= 1'b1; wcs <= 1;
                end else if (wbusy) begin
                    hold <= hold >> SW;
                    if (wcs == CS - 1) wbusy <= 1'b0;
                    wcs <= wcs + 1'b1;
                end
            end
            if (pix_done) begin
                col_last <= col_last ? (W == 1) : (wr_col == W - 2);
                if (col_last) begin
                    wr_col <= 0; wr_row <= wr_row1; wr_row1 <= wr_row1 + 1;
                end else wr_col <= wr_col + 1;
            end
        end
    end

    // ------------------------------------------------------------------ pass / window state
    localparam [1:0] S_WAIT = 0, S_WIN = 1, S_RUN = 2;
    reg  [1:0]    state;
    reg  [15:0]   oy, ox;                  // row pass (output row; input row of a deconv), window
    reg           py, px;                  // row pass, pixel of the window (PHASES = 4)
    reg  [AW-1:0] rbaddr;                  // address of row r0's slot: ((base + r0) mod ROWS) * WCS
    reg  [K*AW-1:0] rowaddr;               // slot address of window row a (S_WAIT), a-th AW bits
    reg  [K-1:0]  rv;                      // window row a inside the image (S_WAIT)
    reg  [K*AW-1:0] rstart;                // address of window row a's first word (S_WIN)
    reg  [K-1:0]  cv;                      // window column b inside the image (S_WIN)
    reg  signed [17:0] c0;                 // first window column: S*ox - P
    reg  [AW-1:0] c0cs;                    // c0 * CS (mod 2^AW)
    reg  [AW-1:0] addr;                    // this beat's word
    reg           vld;                     // this beat's word is inside the image
    reg  [2:0]    ka, kb;                  // this beat's window row, column
    reg  [KW-1:0] kk;                      // beat within the window row (kb*CS + s)
    reg  [SB-1:0] ks;                      // slice
    wire signed [17:0] r0 = $signed({2'b0, oy}) * S - P;    // first window row
    integer i, j, n;
    always @(posedge clk) begin            // row part: recomputed while a pass waits
        if (state == S_WAIT)
            for (i = 0; i < K; i = i + 1) begin
                rowaddr[i*AW +: AW] <= (rbaddr + i * WCS >= D) ? rbaddr + i * WCS - D : rbaddr + i * WCS;
                rv[i] <= (r0 + i >= 0) && (r0 + i < H);
            end
    end
    always @(posedge clk) begin            // column part: at a window move
        if (state == S_WIN)
            for (j = 0; j < K; j = j + 1) begin
                rstart[j*AW +: AW] <= rowaddr[j*AW +: AW] + c0cs;
                cv[j] <= (c0 + j >= 0) && (c0 + j < W);
            end
    end

    // ------------------------------------------------------------------ fold loop
    wire          en;                      // the PE array has room for one more job
    reg [CWO-1:0] co;
    reg [CWI-1:0] ci;
    reg [31:0]    npix;
    reg           ox_last;                 // ox == NOX - 1
    wire py_last   = (NP == 1) | py;
    wire px_last   = (NP == 1) | px;
    wire issue     = (state == S_RUN) & ((ci != 0) | en);
    wire start     = issue & (ci == 0);
    wire job_end   = ci == NCI - 1;
    wire last_beat = (co == NCO - 1) & job_end;
    wire done      = issue & last_beat;    // an output pixel's last beat
    wire adv       = done & px_last;       // the window moves
    wire row_adv   = adv & ox_last & py_last;  // oy moves on
    wire row_end   = kk == KCS - 1;
    always @(posedge clk) begin
        if (rst) begin
            state <= S_WAIT; oy <= 0; ox <= 0; py <= 0; px <= 0; co <= 0; ci <= 0; npix <= 0; base <= 0;
            rbaddr <= (ROWS - P) * WCS; c0 <= -P; c0cs <= -P * CS; ox_last <= (NOX == 1);
        end else begin
            case (state)
                S_WAIT: if (rows_in) state <= S_WIN;
                S_WIN:  state <= S_RUN;
                S_RUN: if (issue) begin
                    ci <= job_end ? {CWI{1'b0}} : ci + 1'b1;
                    if (job_end) co <= last_beat ? {CWO{1'b0}} : co + 1'b1;
                    if (last_beat) begin
                        npix <= npix + 1;
                        px <= ~px_last;
                        if (px_last) begin
                            if (ox_last) begin
                                ox <= 0; state <= S_WAIT; py <= ~py_last; c0 <= -P; c0cs <= -P * CS;
                                ox_last <= (NOX == 1);
                                if (py_last) begin  // next row pass (continuous across frames)
                                    rbaddr <= (rbaddr + S * WCS >= D) ? rbaddr + S * WCS - D : rbaddr + S * WCS;
                                    if (oy == NOY - 1) begin
                                        oy <= 0; base <= base + H;
                                    end else oy <= oy + 1;
                                end
                            end else begin
                                ox <= ox + 1; state <= S_WIN; c0 <= c0 + S; c0cs <= c0cs + S * CS;
                                ox_last <= (ox == NOX - 2);
                            end
                        end
                    end
                end
                default: ;
            endcase
        end
    end
    // the next window row's first word (a K-leaf mux on ka)
    reg [AW-1:0] rnext;
    always @* begin
        rnext = rstart[0 +: AW];
        for (n = 1; n < K; n = n + 1)
            if (ka + 1 == n) rnext = rstart[n*AW +: AW];
    end
    // the beat's address and validity, registers of the next beat's (a window's first beat from
    // S_WIN's sums; a window row's first from rstart; else +1)
    always @(posedge clk) begin
        if (state == S_WIN) begin
            addr <= rowaddr[0 +: AW] + c0cs; vld <= rv[0] && (c0 >= 0) && (c0 < W);
            ka <= 0; kb <= 0; kk <= 0; ks <= 0;
        end else if (issue) begin
            if (job_end) begin             // the window again (next channels or phase)
                addr <= rstart[0 +: AW]; vld <= rv[0] & cv[0]; ka <= 0; kb <= 0; kk <= 0; ks <= 0;
            end else if (row_end) begin
                addr <= rnext; vld <= rv[ka + 1] & cv[0];
                ka <= ka + 1'b1; kb <= 0; kk <= 0; ks <= 0;
            end else begin
                addr <= addr + 1'b1; kk <= kk + 1'b1;
                if (CS == 1 || ks == CS - 1) begin
                    ks <= 0; kb <= kb + 1'b1; vld <= rv[ka] & cv[kb + 1];
                end else ks <= ks + 1'b1;
            end
        end
    end
    // line-buffer limits as registers from next-state values: wr_row < base + max(r0, 0) + ROWS and
    // wr_row >= base + min(r0 + K, H); the values after oy moves on computed ahead from oy / base
    reg  [31:0] lim, need, lim_adv, need_adv;
    wire [31:0] r1       = {16'd0, oy} * S;                      // the next pass's r0 = S (oy + 1) - P (S = P)
    wire [31:0] lim_n    = row_adv ? lim_adv : lim;
    wire [31:0] need_n   = row_adv ? need_adv : need;
    wire [31:0] wr_row_n = (pix_done & col_last) ? wr_row1 : wr_row;
    always @(posedge clk) begin
        lim_adv  <= (oy == NOY - 1) ? base + H + ROWS : base + r1 + ROWS;
        need_adv <= (oy == NOY - 1) ? base + H + ((H < K - P) ? H : K - P)
                                    : base + ((r1 + K > H) ? H : r1 + K);
        if (rst) begin
            lim <= ROWS; need <= (H < K - P) ? H : K - P; row_room <= 1'b1; rows_in <= 1'b0;
        end else begin
            lim <= lim_n; need <= need_n;
            row_room <= wr_row_n < lim_n;
            rows_in  <= wr_row_n >= need_n;
        end
    end

    // ------------------------------------------------------------------ line buffer, beat register
    // no clock enable on the ROM reads: the beat register loads every cycle (b_v = a beat issued);
    // the activations are the line buffer's read register, loaded (or zeroed) at a beat's issue
    reg                        b_v;
    reg [PE*SIMD*W_BITS-1:0]   b_w;
    reg [PE*BW-1:0]            b_bs;
    reg [SW-1:0]               b_a;
    generate
        if (D > LB_LUT_MAX) begin : g_bram
            reg [SW-1:0] mem [0:D-1];
            always @(posedge clk) begin
                if (wr_en) mem[wa] <= wr_data;
                if (issue) b_a <= vld ? mem[addr] : {SW{1'b0}};
            end
        end else begin : g_lutram
            (* ram_style = "distributed" *) reg [SW-1:0] mem [0:D-1];
            always @(posedge clk) begin
                if (wr_en) mem[wa] <= wr_data;
                if (issue & ~vld) b_a <= {SW{1'b0}};
                else if (issue) b_a <= mem[addr];
            end
        end
    endgenerate
    // weight ROM address (ph*NCO + co)*NCI + ci as a counter: +1 a beat, after a pixel's last beat the
    // next pixel's phase base (ph = py*2 + px from their next values)
    localparam integer NWA = (NW > 1) ? $clog2(NW) : 1;
    reg  [NWA-1:0] waddr;
    wire           px_n = (NP == 2) & ~px_last;
    wire           py_n = (NP == 2) & (px_last & ox_last ? ~py_last : py);
    wire [1:0]     ph_n = {py_n, px_n};
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
