// Folded line-buffer banks: NB banks of WP words of PW bits, each stored as WP x FOLD sub-words of
// SW = ceil(PW / FOLD) bits (word a's sub-word k at address a * FOLD + k), so that a shallow, wide bank
// (a row of CIN-channel pixels or column pairs: e.g. 80 words of 3,072 bits) fills block RAM by depth
// instead of by width (43 BRAM36 -> 7 for that bank). The stages (ga_conv_stage, ga_win3_stage) use
// it with LB_FOLD > 1, where a window move has at least LB_FOLD + 2 beats to spare (the generator's
// rule, lic.hw.rtl.linebuf), and keep their one-cycle banks otherwise.
//
//   write : wr_en (one-hot bank) with wr_addr / wr_data latches a whole word into the write
//           register; it goes to the bank as FOLD sub-words in the next FOLD cycles. wr_free: a word
//           may be latched this cycle (a register; the caller holds its input back else).
//   fetch : f_start begins a fetch of word f_addr of every bank (f_addr is read during the FOLD
//           fetch cycles that follow: the caller holds it); the sub-words shift into a staging
//           register a bank; f_ready from the cycle after the last one until the next f_start
//           (FOLD + 2 cycles after f_start).
//   load  : ld moves every bank's staging word into its read register q (the window's column), or
//           zero for the banks in kill: the read register of the one-cycle banks, one fetch ahead.
`timescale 1ns / 1ps
`default_nettype none

module ga_lbuf_fold #(
    parameter integer NB   = 4,      // banks
    parameter integer PW   = 64,     // bits a word
    parameter integer WP   = 128,    // words a bank
    parameter integer FOLD = 4,      // sub-words a word (a power of two, >= 2)
    parameter integer AW   = 16      // address bits of wr_addr / f_addr
) (
    input  wire              clk,
    input  wire              rst,
    input  wire [NB-1:0]     wr_en,
    input  wire [AW-1:0]     wr_addr,
    input  wire [PW-1:0]     wr_data,
    output reg               wr_free,
    input  wire              f_start,
    input  wire [AW-1:0]     f_addr,
    output reg               f_ready,
    input  wire              ld,
    input  wire [NB-1:0]     kill,
    output wire [NB*PW-1:0]  q
);
    localparam integer SW  = (PW + FOLD - 1) / FOLD;    // sub-word bits
    localparam integer PWP = SW * FOLD;                 // word bits, padded
    localparam integer FB  = $clog2(FOLD);
    localparam integer DA  = $clog2(WP) + FB;           // bank address bits
    generate
        if (FOLD < 2 || (1 << FB) != FOLD) begin : g_bad
            ga_lbuf_fold_needs_FOLD_a_power_of_two_ge_2 u_bad ();
        end
    endgenerate

    // ------------------------------------------------------------------ write engine
    reg           w_busy;
    reg [FB-1:0]  wk;
    reg [PWP-1:0] ws;                  // the word, shifted down a sub-word a write
    reg [NB-1:0]  wb;
    reg [AW-1:0]  wa;
    wire          w_acc = |wr_en;
    always @(posedge clk) begin
        if (rst) begin
            w_busy <= 1'b0; wk <= {FB{1'b0}}; wr_free <= 1'b1;
        end else begin
            if (w_acc) begin
                w_busy <= 1'b1; wk <= {FB{1'b0}}; wb <= wr_en; wa <= wr_addr;
                ws <= {{(PWP - PW){1'b0}}, wr_data};
            end else if (w_busy) begin
                wk <= wk + 1'b1; ws <= ws >> SW;
                if (wk == FOLD - 1) w_busy <= 1'b0;
            end
            // free next cycle: idle then, or on the last sub-write then
            wr_free <= w_acc ? 1'b0 : (!w_busy || wk == FOLD - 1 || wk == FOLD - 2);
        end
    end
    wire [DA-1:0] w_addr = {wa[DA-FB-1:0], wk};

    // ------------------------------------------------------------------ fetch engine
    reg           f_on, f_v, f_last;
    reg [FB-1:0]  fk;
    always @(posedge clk) begin
        if (rst) begin
            f_on <= 1'b0; f_v <= 1'b0; f_last <= 1'b0; f_ready <= 1'b0; fk <= {FB{1'b0}};
        end else begin
            f_v    <= f_on & ~f_start;
            f_last <= f_on & ~f_start & (fk == FOLD - 1);
            if (f_start) begin
                f_on <= 1'b1; fk <= {FB{1'b0}}; f_ready <= 1'b0;
            end else begin
                if (f_on) begin
                    fk <= fk + 1'b1;
                    if (fk == FOLD - 1) f_on <= 1'b0;
                end
                if (f_last) f_ready <= 1'b1;
            end
        end
    end
    wire [DA-1:0] r_addr = {f_addr[DA-FB-1:0], fk};

    // ------------------------------------------------------------------ banks
    genvar b;
    generate
        for (b = 0; b < NB; b = b + 1) begin : g_bank
            (* ram_style = "block" *) reg [SW-1:0] mem [0:WP*FOLD-1];
            reg [SW-1:0]  rq;
            reg [PWP-1:0] stg;
            reg [PW-1:0]  qr;
            always @(posedge clk) begin
                if (w_busy && wb[b]) mem[w_addr] <= ws[SW-1:0];
                if (f_on) rq <= mem[r_addr];
            end
            // staging: sub-word k lands at bits k*SW (shifted in from the top); the read register is
            // fabric FFs, zeroed by their reset (priority over the enable: FDRE)
            wire clr = ld & kill[b];
            always @(posedge clk) begin
                if (f_v) stg <= {rq, stg[PWP-1:SW]};
                if (clr) qr <= {PW{1'b0}};
                else if (ld) qr <= stg[PW-1:0];
            end
            assign q[b*PW +: PW] = qr;
        end
    endgenerate
endmodule
`default_nettype wire
