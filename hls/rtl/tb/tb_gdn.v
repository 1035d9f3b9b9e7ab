// Vector testbench of gdn_unit: beats from a $readmemh file (+vec=...), results to +out=...
// One line a result: "<y> <sat> <cycle of output> <cycles from first beat accepted>".
// +stall=P: P % random input bubbles and output back-pressure; +vcd=FILE: waveform.
// Beat word (MSB first): x_i | beta_i | x lanes (lane SIMD-1 .. 0) | gamma lanes (SIMD-1 .. 0).
`timescale 1ns / 1ps
module tb_gdn;
    parameter integer C = 8, SIMD = 1, INVERSE = 0, STANDARD = 0, IN_BITS = 16, G_BITS = 32,
                      ACC_BITS = 48, K = 9, S_NUM = 0, S_DEN = 0, SHIFT = 0, SQRT_FRAC = 4,
                      OUT_BITS = 8, NJOBS = 1;
    localparam integer NB = C / SIMD;
    localparam integer BW = IN_BITS + ACC_BITS + SIMD * (IN_BITS + G_BITS);
    localparam integer NBEATS = NJOBS * NB;

    reg clk = 1'b0, rst = 1'b1;
    always #5 clk = ~clk;
    reg [BW-1:0] mem [0:NBEATS-1];
    reg [8*1024-1:0] vec_file, out_file, vcd_file;
    integer fd, stall, seed, cyc, nin, nout, first_cyc [0:NJOBS-1];
    reg bubble, backp;

    wire [BW-1:0] word = mem[nin < NBEATS ? nin : 0];
    wire in_valid = (nin < NBEATS) & ~bubble & ~rst;
    wire in_ready, out_valid;
    wire out_ready = ~backp;
    wire [OUT_BITS-1:0] out_y;
    wire [1:0] out_sat;

    gdn_unit #(.C(C), .SIMD(SIMD), .INVERSE(INVERSE), .STANDARD(STANDARD), .IN_BITS(IN_BITS),
               .G_BITS(G_BITS), .ACC_BITS(ACC_BITS), .K(K), .S_NUM(S_NUM), .S_DEN(S_DEN),
               .SHIFT(SHIFT), .SQRT_FRAC(SQRT_FRAC), .OUT_BITS(OUT_BITS)) dut (
        .clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready),
        .in_xi(word[BW-1 -: IN_BITS]), .in_beta(word[BW-IN_BITS-1 -: ACC_BITS]),
        .in_x(word[SIMD*(IN_BITS+G_BITS)-1 -: SIMD*IN_BITS]), .in_gamma(word[SIMD*G_BITS-1:0]),
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
                $fwrite(fd, "%0d %0d %0d %0d\n", $signed(out_y), out_sat, cyc, cyc - first_cyc[nout]);
                nout = nout + 1;
                if (nout == NJOBS) begin
                    $fclose(fd);
                    $finish;
                end
            end
            bubble <= stall > 0 && ($unsigned($random(seed)) % 100) < stall;
            backp  <= stall > 0 && ($unsigned($random(seed)) % 100) < stall;
        end
        if (cyc > 64 * NBEATS + 1000) begin
            $display("TIMEOUT after %0d cycles, %0d of %0d results", cyc, nout, NJOBS);
            $fclose(fd);
            $finish;
        end
    end
endmodule
