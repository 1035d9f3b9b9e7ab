// Output side of a folded stage: gathers the PE results of the NCO output folds of one
// pixel (fold f carries channels f*PE .. f*PE+PE-1) into one pixel word and pushes it into
// the stage's output FIFO. The last fold is merged combinationally, so a stage with one
// fold a pixel streams at one pixel a cycle. out_sat sums the units' clamp counts.
`timescale 1ns / 1ps
`default_nettype none

module ga_collect #(
    parameter integer PE    = 1,
    parameter integer NCO   = 1,     // output folds a pixel (COUT / PE)
    parameter integer OB    = 8,     // bits a channel value
    parameter integer DEPTH = 2      // output FIFO depth (pixels)
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire                   in_valid,
    output wire                   in_ready,
    input  wire [PE*OB-1:0]       in_y,
    input  wire [PE*2-1:0]        in_sat,
    output wire                   out_valid,
    input  wire                   out_ready,
    output wire [NCO*PE*OB-1:0]   out_data,
    output reg  [31:0]            sat_count
);
    localparam integer PW = NCO * PE * OB;
    localparam integer CW = (NCO > 1) ? $clog2(NCO) : 1;
    reg  [CW-1:0] fold;
    reg  [PW-1:0] pix;
    wire          last = (fold == NCO - 1);
    wire          f_ready;
    wire [PW-1:0] merged;
    generate
        if (NCO > 1) begin : g_merge
            assign merged = {in_y, pix[PW-PE*OB-1:0]};
        end else begin : g_one
            assign merged = in_y;
        end
    endgenerate
    assign in_ready = ~last | f_ready;
    wire fire = in_valid & in_ready;
    integer l, f;
    reg [31:0] s;
    always @* begin
        s = 0;
        for (l = 0; l < PE; l = l + 1) s = s + {30'd0, in_sat[2*l +: 2]};
    end
    always @(posedge clk) begin
        if (rst) begin
            fold <= 0; sat_count <= 0;
        end else if (fire) begin
            fold <= last ? {CW{1'b0}} : fold + 1'b1;
            sat_count <= sat_count + s;
        end
        for (f = 0; f < NCO - 1; f = f + 1)   // constant slices: no shifter over the word
            if (fire & ~last & (fold == f)) pix[f*PE*OB +: PE*OB] <= in_y;
    end
    ga_fifo #(.W(PW), .DEPTH(DEPTH)) u_fifo (
        .clk(clk), .rst(rst), .in_valid(in_valid & last), .in_ready(f_ready), .in_data(merged),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data));
endmodule

`default_nettype wire
