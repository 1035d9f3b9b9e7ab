// Synchronous valid/ready FIFO (first-word fall-through): DEPTH entries of W bits.
// in_ready = not full, out_valid = not empty; push and pop in the same cycle are allowed.
// The memory is a plain register array (LUTRAM/SRL or BRAM by depth x width in synthesis).
`timescale 1ns / 1ps
`default_nettype none

module ga_fifo #(
    parameter integer W     = 8,
    parameter integer DEPTH = 2
) (
    input  wire         clk,
    input  wire         rst,
    input  wire         in_valid,
    output wire         in_ready,
    input  wire [W-1:0] in_data,
    output wire         out_valid,
    input  wire         out_ready,
    output wire [W-1:0] out_data
);
    localparam integer AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    reg [W-1:0]  mem [0:DEPTH-1];
    reg [AW-1:0] rd, wr;
    reg [AW:0]   count;
    wire push = in_valid & in_ready;
    wire pop  = out_valid & out_ready;
    assign in_ready  = (count != DEPTH);
    assign out_valid = (count != 0);
    assign out_data  = mem[rd];
    always @(posedge clk) begin
        if (rst) begin
            rd <= 0; wr <= 0; count <= 0;
        end else begin
            if (push) begin
                mem[wr] <= in_data;
                wr <= (wr == DEPTH - 1) ? {AW{1'b0}} : wr + 1'b1;
            end
            if (pop) rd <= (rd == DEPTH - 1) ? {AW{1'b0}} : rd + 1'b1;
            count <= count + {{AW{1'b0}}, push} - {{AW{1'b0}}, pop};
        end
    end
endmodule


// Local skid buffer at the end of a free-running pipeline (one that never stalls): a DEPTH-word
// FIFO for its results and a credit counter. A job may start only while ok (a register: no
// combinational path from the consumer back to the pipeline's issue); start reserves a slot, a
// pop frees one, so every result in flight has a place when the consumer stalls. DEPTH must be
// at least the jobs that can be in flight (start to pop) for a full rate; fewer only slow it.
module ga_skid #(
    parameter integer W     = 8,
    parameter integer DEPTH = 2
) (
    input  wire         clk,
    input  wire         rst,
    input  wire         start,       // a job starts (only while ok)
    output reg          ok,          // a slot is free for one more job
    input  wire         in_valid,    // a job's result (never more than the starts)
    input  wire [W-1:0] in_data,
    output wire         out_valid,
    input  wire         out_ready,
    output wire [W-1:0] out_data
);
    localparam integer CW = $clog2(DEPTH + 1);
    reg  [CW-1:0] used;              // slots reserved: started, not yet popped
    wire          pop = out_valid & out_ready;
    wire [CW-1:0] nxt = used + {{(CW-1){1'b0}}, start} - {{(CW-1){1'b0}}, pop};
    always @(posedge clk) begin
        if (rst) begin
            used <= 0; ok <= 1'b1;
        end else begin
            used <= nxt;
            ok   <= (nxt < DEPTH);
        end
    end
    wire unused_ready;
    ga_fifo #(.W(W), .DEPTH(DEPTH)) u_fifo (
        .clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(unused_ready), .in_data(in_data),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data));
endmodule

`default_nettype wire
