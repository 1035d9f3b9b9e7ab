// One folded 5x5 stride-2 pad-2 conv layer of the pipeline (lic.fixedpoint conv):
//
//   line buffer : ROWS banks (one input row each) in two sets by row parity: NE = ceil(ROWS/2)
//                 banks of the even rows (row r in even bank (r/2) mod NE), NO = floor(ROWS/2)
//                 of the odd rows (bank ((r-1)/2) mod NO) -- the ROWS rows in use (from an
//                 even row on) are NE even and NO odd ones, so the same rows fit as with
//                 row r in bank r mod ROWS, and window row ky (even: rows 2oy-2, 2oy, 2oy+2;
//                 odd: 2oy-1, 2oy+1) chooses among NE or NO banks, not ROWS. A bank word is
//                 a column pair (pixels 2c, 2c+1; CIN values of A_BITS each), one write and
//                 one synchronous read port a bank (BRAM); pixels arrive one a beat, raster
//                 order, and are written while their row is not in use (back-pressure else).
//   window      : output pixel (oy, ox) needs input rows 2oy-2..2oy+2 and column pairs
//                 ox-1, ox, ox+1: two pair registers (wc0, wc1) plus the bank read registers
//                 as the third column, so moving one output pixel right is one bank read
//                 (stride 2 = one column pair). Rows/columns outside the image read as 0:
//                 the bank's read register is reset (BRAM output register reset; FF reset
//                 for banks of LB_LUT_MAX words or less, LUT RAM).
//                 A row starts after its 5 input rows are complete, with 2 fill cycles.
//   MAC array   : PE ga_mac_pe units (conv_pe's arithmetic, pipelined adder tree; FANIN=1:
//                 conv_pe itself, hls/rtl/conv_pe.v; PE even and int8: PE/2 units of two
//                 channels, one DSP multiply a SIMD lane, WP486) share the SIMD activation lanes of
//                 the window vector v[(ky*5 + kx)*CIN + c]; beat (co, ci) gives unit p the
//                 weights of output channel co*PE+p, lanes ci*SIMD..ci*SIMD+SIMD-1.
//                 A pixel is NCO*NCI beats (NCO = COUT/PE, NCI = 25*CIN/SIMD), II = 1.
//   ROMs        : WFILE word co*NCI+ci = PE x SIMD int8 weights, BFILE word co = PE x
//                 {shift, bias}; both read synchronously into the beat register (the
//                 weight ROM as block RAM when deeper than ROM_LUT_MAX words).
//   requantiser : the PE accumulators of a beat group go through NRQ shared, narrow
//                 requantisers (ga_requant, PE/NRQ <= NCI channels each: no stall), then
//                 the collector.
// Frames follow each other with no gap: row counters are absolute (frame f's row r is row
// f*H + r of the stream), so the writer fills the next frame's first rows while the last
// output rows of a frame are computed.
// Counters: busy (beats issued), stall (a beat waiting on back-pressure), starve (waiting
// for input rows), fill (row start: window fill), first/last beat cycle, clamp count,
// pixels out, cycle of the last beat of frame 0.
`timescale 1ns / 1ps
`default_nettype none

module ga_conv_stage #(
    parameter integer CIN        = 3,
    parameter integer COUT       = 8,
    parameter integer H          = 64,   // input rows (even)
    parameter integer W          = 64,   // input columns (even)
    parameter integer PE         = 1,
    parameter integer SIMD       = 1,
    parameter integer ROWS       = 7,    // line-buffer rows (>= 6)
    parameter integer A_BITS     = 8,
    parameter integer A_SIGNED   = 1,
    parameter integer W_BITS     = 8,
    parameter integer ACC_BITS   = 32,
    parameter integer SH_BITS    = 8,
    parameter integer OUT_BITS   = 16,
    parameter integer OUT_SIGNED = 1,
    parameter integer RELU       = 0,    // 1: max(0, .) before the output clamp (fused ReLU)
    parameter integer DEPTH      = 2,
    parameter integer FANIN      = 4,    // > 1: ga_mac_pe (registered FANIN-input adder
                                         // tree a level); 1: conv_pe (one combinational sum)
    parameter integer INT8_PACK  = 1,    // 1: two MACs a DSP multiply where legal (see PE array)
    parameter integer RQ_SHARE   = 1,    // 1: PE/L requantisers shared by the units (ga_requant,
                                         // L <= NCI channels each); 0: one a channel
    parameter integer ROM_LUT_MAX = 64,  // deeper weight ROMs are block RAM (rom_style)
    parameter integer LB_LUT_MAX = 64,   // line-buffer banks this deep or less: LUT RAM
    parameter integer LB_FOLD    = 1,    // > 1: banks of WP*LB_FOLD sub-words (ga_lbuf_fold), a
                                         // column pair fetched over LB_FOLD cycles one pixel ahead
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
    output wire [9*32-1:0]           stats    // see the counters at the end
);
    localparam integer HO  = H / 2, WO = W / 2, WP = W / 2;
    localparam integer PX  = CIN * A_BITS;              // one pixel
    localparam integer PW  = 2 * PX;                    // one column pair
    localparam integer NIN = 25 * CIN;
    localparam integer NCO = COUT / PE, NCI = NIN / SIMD;
    localparam integer CWO = (NCO > 1) ? $clog2(NCO) : 1;
    localparam integer CWI = (NCI > 1) ? $clog2(NCI) : 1;
    localparam integer BW  = ACC_BITS + SH_BITS;
    localparam integer NE  = (ROWS + 1) / 2, NO = ROWS / 2;   // even-row / odd-row banks
    localparam integer EB  = (NE > 1) ? $clog2(NE) : 1, OB = (NO > 1) ? $clog2(NO) : 1;

    reg [PE*BW-1:0]          brom [0:NCO-1];
    initial $readmemh(BFILE, brom);

    // ------------------------------------------------------------------ line-buffer writer
    localparam [2:0] S_WAIT = 0, S_F1 = 1, S_F2 = 2, S_RUN = 3;
    reg  [2:0]  state;
    reg  [15:0] oy, ox;
    reg  [31:0] wr_row;                    // rows written since reset (all frames)
    reg  [31:0] base;                      // stream row of the current frame's row 0
    reg  [15:0] wr_col;
    reg  [EB-1:0] wr_e;                    // bank of the next even row
    reg  [OB-1:0] wr_o;                    // bank of the next odd row (stream rows: H even)
    reg  [PX-1:0] hold;
    // in_ready = wr_row < base + max(2oy - 2, 0) + ROWS (rows 2oy-2.. still in use): a register,
    // computed from the next-state values (row_room below), so it is the same every cycle
    reg  row_room;                         // a row of the line buffer is free
    reg  rows_in;                          // wr_row >= need: the rows of output row oy are in
    wire lb_free;                          // LB_FOLD > 1: the folded banks take a pair this cycle
    assign in_ready = row_room & (LB_FOLD == 1 || !wr_col[0] || lb_free);
    wire wr_fire = in_valid & in_ready;
    wire wr_pair = wr_fire & wr_col[0];
    reg  col_last;                         // wr_col == W - 1 (a register of wr_col's next value)
    always @(posedge clk) begin
        if (rst) col_last <= (W == 1);
        else if (wr_fire) col_last <= col_last ? (W == 1) : (wr_col == W - 2);
    end
    always @(posedge clk) begin
        if (rst) begin
            wr_row <= 0; wr_col <= 0; wr_e <= 0; wr_o <= 0;
        end else if (wr_fire) begin
            if (!wr_col[0]) hold <= in_data;
            if (col_last) begin
                wr_col <= 0; wr_row <= wr_row + 1;
                if (!wr_row[0]) wr_e <= (wr_e == NE - 1) ? {EB{1'b0}} : wr_e + 1'b1;
                else            wr_o <= (wr_o == NO - 1) ? {OB{1'b0}} : wr_o + 1'b1;
            end else wr_col <= wr_col + 1;
        end
    end

    // ------------------------------------------------------------------ banks
    // re / ro: even bank of row 2oy-2, odd bank of row 2oy-1 (stream rows); window row ky
    // reads even bank re + ky/2 (ky = 0, 2, 4) or odd bank ro + (ky-1)/2 (ky = 1, 3), mod NE / NO
    reg  [EB-1:0]   re;
    reg  [OB-1:0]   ro;
    reg  [15:0]     rd_addr;
    wire            rd_en;
    reg  [4:0]      vk;                    // window row ky inside the image (this oy)
    reg  [NE-1:0]   krow_e;                // read as zero: the bank's row is outside the image
    reg  [NO-1:0]   krow_o;                //   (or not a window row), from oy, re, ro
    reg             col_far;               // column pair ox + 2 is outside the image
    integer kk, rk, d2, rk2;
    // the row part from the registers oy / re / ro, registered: they change at a row's last
    // beat, and the next read (S_F1) is two cycles later at the earliest
    always @* begin
        for (kk = 0; kk < 5; kk = kk + 1) begin
            rk = 2 * oy - 2 + kk;
            vk[kk] = (rk >= 0) && (rk < H);
        end
    end
    always @(posedge clk) begin
        for (d2 = 0; d2 < NE; d2 = d2 + 1) begin  // even bank d is window row 2 * ((d - re) mod NE)
            rk2 = (d2 >= re) ? d2 - re : d2 + NE - re;
            krow_e[d2] <= rk2 > 2 || !vk[2 * (rk2 > 2 ? 0 : rk2)];
        end
        for (d2 = 0; d2 < NO; d2 = d2 + 1) begin  // odd bank d is window row 2 * ((d - ro) mod NO) + 1
            rk2 = (d2 >= ro) ? d2 - ro : d2 + NO - ro;
            krow_o[d2] <= rk2 > 1 || !vk[2 * (rk2 > 1 ? 0 : rk2) + 1];
        end
    end
    // read as zero: the row part, or the column pair rd_addr outside (0 and 1 in the fills, ox + 2
    // after a pixel: col_far, a register of the next ox)
    wire col_out = (state == S_F1) ? (WP < 1) : (state == S_F2) ? (WP < 2) : col_far;
    wire [NE-1:0] kill_e = krow_e | {NE{col_out}};
    wire [NO-1:0] kill_o = krow_o | {NO{col_out}};
    wire [NE*PW-1:0] rd_e;                 // bank read registers, even rows
    wire [NO*PW-1:0] rd_o;                 // odd rows
    wire [NE+NO-1:0] kill = {kill_o, kill_e};
    genvar b;
    wire lb_ready;                         // LB_FOLD > 1: the next column pair is staged
    wire lb_start;                         // LB_FOLD > 1: fetch the pair at rd_addr next
    generate
        if (LB_FOLD == 1) begin : g_direct
        assign lb_free = 1'b1;
        assign lb_ready = 1'b1;
        for (b = 0; b < NE + NO; b = b + 1) begin : g_bank
            localparam ODD = (b >= NE);
            localparam integer BI = ODD ? b - NE : b;        // index in its set
            wire wr_b = wr_pair && (ODD ? (wr_row[0] && wr_o == BI) : (!wr_row[0] && wr_e == BI));
            reg [PW-1:0] q;
            if (WP > LB_LUT_MAX) begin : g_bram
                // block RAM: the zeroing is the output register's reset (gated by rd_en)
                reg [PW-1:0] mem [0:WP-1];
                always @(posedge clk) begin
                    if (wr_b) mem[wr_col[15:1]] <= {in_data, hold};
                    if (rd_en) q <= kill[b] ? {PW{1'b0}} : mem[rd_addr];
                end
            end else begin : g_lutram
                // LUT RAM (asynchronous read): q is fabric FFs, zeroed by their reset, which
                // takes priority over the enable (FDRE): clr implies rd_en, same behaviour
                (* ram_style = "distributed" *) reg [PW-1:0] mem [0:WP-1];
                wire clr = rd_en & kill[b];
                always @(posedge clk) begin
                    if (wr_b) mem[wr_col[15:1]] <= {in_data, hold};
                    if (clr) q <= {PW{1'b0}};
                    else if (rd_en) q <= mem[rd_addr];
                end
            end
            if (ODD) begin : g_o
                assign rd_o[BI*PW +: PW] = q;
            end else begin : g_e
                assign rd_e[BI*PW +: PW] = q;
            end
        end
        end else begin : g_fold
            // folded banks: the pair read at rd_en is fetched ahead (lb_start: a row's first pair at
            // the row test, then each pair when the one before it is loaded), the window waits for
            // it in the fills; in a pixel's beats there is time (lic.hw.rtl.linebuf)
            wire [NE+NO-1:0] wen;
            for (b = 0; b < NE + NO; b = b + 1) begin : g_wen
                localparam ODD = (b >= NE);
                localparam integer BI = ODD ? b - NE : b;
                assign wen[b] = wr_pair && (ODD ? (wr_row[0] && wr_o == BI) : (!wr_row[0] && wr_e == BI));
            end
            ga_lbuf_fold #(.NB(NE + NO), .PW(PW), .WP(WP), .FOLD(LB_FOLD)) u_lb (
                .clk(clk), .rst(rst), .wr_en(wen), .wr_addr(wr_col[15:1]), .wr_data({in_data, hold}),
                .wr_free(lb_free), .f_start(lb_start), .f_addr(rd_addr), .f_ready(lb_ready), .ld(rd_en),
                .kill(kill), .q({rd_o, rd_e}));
        end
    endgenerate

    // ------------------------------------------------------------------ window
    reg  [5*PW-1:0] wc0, wc1;              // column pairs ox-1, ox (rows ky = 0..4)
    wire [5*PW-1:0] col3;                  // column pair ox+1 (bank registers)
    reg  [NIN*A_BITS-1:0] win;             // v[(ky*5 + kx)*CIN + c]
    // bank of window row ky: a binary NE- or NO-leaf mux tree a row (ga_muxtree) over the
    // bank registers of its row parity (the rows outside the image are zero there already)
    reg  [5*EB-1:0] bsel;                  // EB >= OB
    integer ky, r;
    genvar k2;
    generate
        for (k2 = 0; k2 < 5; k2 = k2 + 1) begin : g_col3
            if (k2 % 2 == 0) begin : g_even
                ga_muxtree #(.N(NE), .W(PW), .SB(EB)) u_m (
                    .d(rd_e), .s(bsel[k2*EB +: EB]), .y(col3[k2*PW +: PW]));
            end else begin : g_odd
                ga_muxtree #(.N(NO), .W(PW), .SB(OB)) u_m (
                    .d(rd_o), .s(bsel[k2*EB +: OB]), .y(col3[k2*PW +: PW]));
            end
        end
    endgenerate
    always @* begin
        bsel = {5*EB{1'b0}};
        for (ky = 0; ky < 5; ky = ky + 1) begin
            if (ky % 2 == 0) begin
                r = re + ky / 2;
                if (r >= NE) r = r - NE;
                bsel[ky*EB +: EB] = r[EB-1:0];
            end else begin
                r = ro + (ky - 1) / 2;
                if (r >= NO) r = r - NO;
                bsel[ky*EB +: OB] = r[OB-1:0];
            end
            win[(ky*5 + 0)*PX +: PX] = wc0[ky*PW +: PX];
            win[(ky*5 + 1)*PX +: PX] = wc0[ky*PW + PX +: PX];
            win[(ky*5 + 2)*PX +: PX] = wc1[ky*PW +: PX];
            win[(ky*5 + 3)*PX +: PX] = wc1[ky*PW + PX +: PX];
            win[(ky*5 + 4)*PX +: PX] = col3[ky*PW +: PX];
        end
    end

    // ------------------------------------------------------------------ fold loop
    wire          en;                      // the PE array has room for one more job
    reg [CWO-1:0] co;
    reg [CWI-1:0] ci;
    reg [31:0]    npix;
    // a job (PE channels of one pixel: NCI beats) starts only with a free slot in the PE
    // array's skid buffer; its other beats follow without a check (the array never stalls)
    wire issue     = (state == S_RUN) & ((ci != 0) | en);
    wire start     = issue & (ci == 0);
    wire last_beat = (co == NCO - 1) & (ci == NCI - 1);
    wire adv       = issue & last_beat;
    assign rd_en = ((state == S_F1) | (state == S_F2)) & lb_ready | adv;
    assign lb_start = (state == S_WAIT) & rows_in | rd_en;
    reg [15:0] ox2;                        // ox + 2, with ox
    always @* begin
        case (state)
            S_F1:    rd_addr = 0;
            S_F2:    rd_addr = 1;
            default: rd_addr = ox2;
        endcase
    end
    always @(posedge clk) begin
        if (rst) begin
            state <= S_WAIT; oy <= 0; ox <= 0; co <= 0; ci <= 0; npix <= 0; base <= 0;
            re <= NE - 1; ro <= NO - 1;        // rows -2 and -1
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
                        if (ox_last) begin
                            ox <= 0; state <= S_WAIT;
                            // rows are continuous across frames: row 0 of the next frame
                            // follows row H-1, so the bank index just moves on
                            re <= (re == NE - 1) ? {EB{1'b0}} : re + 1'b1;
                            ro <= (ro == NO - 1) ? {OB{1'b0}} : ro + 1'b1;
                            if (oy == HO - 1) begin
                                oy <= 0; base <= base + H;
                            end else oy <= oy + 1;
                        end else ox <= ox + 1;
                    end
                end
                default: ;
            endcase
        end
    end

    // ox + 2, whether it is outside the image and whether ox is the row's last, registered from
    // ox's next value
    reg         ox_last;
    wire        pix_adv = issue & last_beat;                      // ox moves on
    wire [15:0] ox_n    = !pix_adv ? ox : ox_last ? 16'd0 : ox + 1'b1;
    always @(posedge clk) begin
        if (rst) begin
            ox2 <= 2; col_far <= (WP < 3); ox_last <= (WO == 1);
        end else begin
            ox2 <= ox_n + 2'd2;
            col_far <= !(ox_n + 2'd2 < WP);
            ox_last <= (ox_n == WO - 1);
        end
    end
    // line-buffer limits as registers from next-state values (exactly the combinational
    // wr_row < base + max(2oy-2, 0) + ROWS and wr_row >= base + min(2oy+3, H) of oy, base, wr_row);
    // the values they take when oy moves on (lim_adv, need_adv) are computed ahead from the
    // registers oy / base (oy moves on at most once in 3 cycles)
    reg  [31:0] lim, need, lim_adv, need_adv;
    wire        row_adv  = pix_adv & ox_last;                       // oy moves on
    wire [31:0] oy2      = {15'd0, oy, 1'b0};
    wire [31:0] lim_n    = row_adv ? lim_adv : lim;
    wire [31:0] need_n   = row_adv ? need_adv : need;
    wire [31:0] wr_row_n = wr_row + {31'd0, wr_fire & col_last};
    always @(posedge clk) begin
        lim_adv  <= (oy == HO - 1) ? base + H + ROWS : base + oy2 + ROWS;
        need_adv <= (oy == HO - 1) ? base + H + ((H < 3) ? H : 3) : base + ((oy2 + 5 > H) ? H : oy2 + 5);
        if (rst) begin
            lim <= ROWS; need <= (H < 3) ? H : 3; row_room <= 1'b1; rows_in <= 1'b0;
        end else begin
            lim <= lim_n; need <= need_n;
            row_room <= wr_row_n < lim_n;
            rows_in  <= wr_row_n >= need_n;
        end
    end

    // window column pairs: at a row start (S_F2) wc0 <= 0, wc1 <= col3; after a pixel's last
    // beat wc0 <= wc1, wc1 <= col3. The clear is written as the FFs' reset with priority over
    // the enable (FDRE R), not as a reset gated by the enable (a LUT a bit in yosys)
    wire wc_first = ~rst & (state == S_F2) & lb_ready;
    wire wc_next  = ~rst & adv;
`ifndef SYNTHESIS
    always @(posedge clk)
        if (!rst && adv && !lb_ready) $fatal(1, "ga_conv_stage: a window move before its pair is staged (LB_FOLD)");
`endif
    always @(posedge clk) begin
        if (wc_first) wc0 <= {(5*PW){1'b0}};
        else if (wc_next) wc0 <= wc1;
        if (wc_first | wc_next) wc1 <= col3;
    end

    // ------------------------------------------------------------------ beat register (ROM read)
    // no clock enable: it loads every cycle (b_v = a beat issued), the PE array takes every beat
    reg                        b_v;
    reg [PE*SIMD*W_BITS-1:0]   b_w;
    reg [PE*BW-1:0]            b_bs;
    reg [SIMD*A_BITS-1:0]      b_a;
    // activation lanes of beat ci: a binary NCI -> 2^CWI mux tree over constant slices of
    // the window (a variable part-select would become a shifter over the whole window vector;
    // the if (ci == ai) loop this replaces cost more: README, step 4)
    wire [SIMD*A_BITS-1:0] a_sel;
    ga_muxtree #(.N(NCI), .W(SIMD*A_BITS), .SB(CWI)) u_asel (.d(win), .s(ci), .y(a_sel));
    // weight ROM address co * NCI + ci as a counter (no multiply on the read path)
    localparam integer NWA = (NCO * NCI > 1) ? $clog2(NCO * NCI) : 1;
    reg [NWA-1:0] wa;
    always @(posedge clk)
        if (rst) wa <= 0;
        else if (issue) wa <= last_beat ? {NWA{1'b0}} : wa + 1'b1;
    // weight ROM: a registered read -- block RAM when deeper than ROM_LUT_MAX words (rom_style,
    // honoured by yosys memory_libmap and Vivado), else LUTs (a shallow ROM costs one LUT a bit
    // of width, less than a BRAM36 of 72 bits)
    generate
        if (NCO * NCI > ROM_LUT_MAX) begin : g_wbram
            (* rom_style = "block" *) reg [PE*SIMD*W_BITS-1:0] wrom [0:NCO*NCI-1];
            initial $readmemh(WFILE, wrom);
            always @(posedge clk) b_w <= wrom[wa];
        end else begin : g_wlut
            reg [PE*SIMD*W_BITS-1:0] wrom [0:NCO*NCI-1];
            initial $readmemh(WFILE, wrom);
            always @(posedge clk) b_w <= wrom[wa];
        end
    endgenerate
    always @(posedge clk) begin
        if (rst) b_v <= 1'b0;
        else b_v <= issue;
        b_bs <= brom[co];
        b_a  <= a_sel;
    end

    // ------------------------------------------------------------------ PE array
    // ga_pe_array (mac_pe.v): PE ga_mac_pe units (or PE/2 with INT8 packing), the shared
    // requantisers and the skid buffer; en: a job may start
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

// y = d[s*W +: W] (s < N; d[(N-1)*W +: W] for s >= N): a binary tree of 2:1 muxes over constant slices
// (heap order: node n's children 2n, 2n+1; leaves 2^SB .. 2^(SB+1)-1; the root splits on the
// select's MSB), which yosys maps to LUT6 + MUXF7/F8 (4:1, 8:1, 16:1 a bit) -- neither the
// shifter of a variable part-select nor a chain of (sel == i) compares.
module ga_muxtree #(
    parameter integer N  = 2,
    parameter integer W  = 1,
    parameter integer SB = 1     // select bits, 2^SB >= N
) (
    input  wire [N*W-1:0] d,
    input  wire [SB-1:0]  s,
    output wire [W-1:0]   y
);
    localparam integer L = 1 << SB;
    wire [2*L*W-1:0] t;                   // node n at t[n*W +: W] (node 0 unused)
    genvar n;
    generate
        for (n = 0; n < L; n = n + 1) begin : g_leaf
            if (n < N) begin : g_d
                assign t[(L + n)*W +: W] = d[n*W +: W];
            end else begin : g_pad  // s < N by design: a copy lets yosys merge the muxes
                assign t[(L + n)*W +: W] = d[(N - 1)*W +: W];
            end
        end
        for (n = 1; n < L; n = n + 1) begin : g_node  // depth of n = floor(log2 n)
            assign t[n*W +: W] = s[SB - 1 - $clog2(n + 1) + 1] ? t[(2*n + 1)*W +: W]
                                                                  : t[2*n*W +: W];
        end
    endgenerate
    assign t[0 +: W] = {W{1'b0}};
    assign y = t[W +: W];
endmodule

`default_nettype wire
