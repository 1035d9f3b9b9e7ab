// Vector testbench of conv_pe (same conventions as tb_gdn.v).
// Beat word (MSB first): bias | shift | a lanes (SIMD-1 .. 0) | w lanes (SIMD-1 .. 0).
`timescale 1ns / 1ps
module tb_conv;
    parameter integer SIMD = 4, NBEATS = 50, A_BITS = 8, A_SIGNED = 1, W_BITS = 8,
                      ACC_BITS = 32, SH_BITS = 8, OUT_BITS = 16, OUT_SIGNED = 1, NJOBS = 1;
    localparam integer NB = NBEATS;
    localparam integer BW = ACC_BITS + SH_BITS + SIMD * (A_BITS + W_BITS);
    localparam integer NTOT = NJOBS * NB;

    reg clk = 1'b0, rst = 1'b1;
    always #5 clk = ~clk;
    reg [BW-1:0] mem [0:NTOT-1];
    reg [8*1024-1:0] vec_file, out_file, vcd_file;
    integer fd, stall, seed, cyc, nin, nout, first_cyc [0:NJOBS-1];
    reg bubble, backp;

    wire [BW-1:0] word = mem[nin < NTOT ? nin : 0];
    wire in_valid = (nin < NTOT) & ~bubble & ~rst;
    wire in_ready, out_valid;
    wire out_ready = ~backp;
    wire [OUT_BITS-1:0] out_y;
    wire [1:0] out_sat;

    conv_pe #(.SIMD(SIMD), .NBEATS(NBEATS), .A_BITS(A_BITS), .A_SIGNED(A_SIGNED),
              .W_BITS(W_BITS), .ACC_BITS(ACC_BITS), .SH_BITS(SH_BITS), .OUT_BITS(OUT_BITS),
              .OUT_SIGNED(OUT_SIGNED)) dut (
        .clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready),
        .in_bias(word[BW-1 -: ACC_BITS]), .in_shift(word[BW-ACC_BITS-1 -: SH_BITS]),
        .in_a(word[SIMD*(A_BITS+W_BITS)-1 -: SIMD*A_BITS]), .in_w(word[SIMD*W_BITS-1:0]),
        .out_valid(out_valid), .out_ready(out_ready), .out_y(out_y), .out_sat(out_sat));

    initial begin
        if (!$value$plusargs("vec=%s", vec_file) || !$value$plusargs("out=%s", out_file)) begin
            $display("usage: +vec=FILE +out=FILE [+stall=P] [+vcd=FILE]");
            $finish;
        end
        if (!$value$plusargs("stall=%d", stall)) stall = 0;
        seed = 1;
        $readmemh(vec_file, mem);
        fd = $fopen(out_file, "w");
        if ($value$plusargs("vcd=%s", vcd_file)) begin
            $dumpfile(vcd_file);
            $dumpvars(0, dut);
        end
        cyc = 0; nin = 0; nout = 0; bubble = 0; backp = 0;
        repeat (2) @(posedge clk);
        rst <= 1'b0;
    end

    always @(posedge clk) begin
        cyc <= cyc + 1;
        if (!rst) begin
            if (in_valid & in_ready) begin
                if (nin % NB == 0) first_cyc[nin / NB] = cyc;
                nin <= nin + 1;
            end
            if (out_valid & out_ready) begin
                if (OUT_SIGNED) $fwrite(fd, "%0d %0d %0d %0d\n", $signed(out_y), out_sat, cyc, cyc - first_cyc[nout]);
                else            $fwrite(fd, "%0d %0d %0d %0d\n", out_y, out_sat, cyc, cyc - first_cyc[nout]);
                nout = nout + 1;
                if (nout == NJOBS) begin
                    $fclose(fd);
                    $finish;
                end
            end
            bubble <= stall > 0 && ($unsigned($random(seed)) % 100) < stall;
            backp  <= stall > 0 && ($unsigned($random(seed)) % 100) < stall;
        end
        if (cyc > 64 * NTOT + 1000) begin
            $display("TIMEOUT after %0d cycles, %0d of %0d results", cyc, nout, NJOBS);
            $fclose(fd);
            $finish;
        end
    end
endmodule
