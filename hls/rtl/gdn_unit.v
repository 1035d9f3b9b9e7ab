// GDN / IGDN normalisation unit for ONE output channel value a job, bit-exact with
// lic/fixedpoint/transform.py (IntTransform._gdn) and hls/src/gdn.h:
//
//   D   = beta_i + sum_j gamma_ij * m_j        m_j = |x_j| (simplified) | x_j^2 (standard)
//   D   = sat(D, 0, 2^ACC_BITS - 1)
//   S   = D (simplified) | isqrt(D << 2*SQRT_FRAC) (standard, SQRT_BITS/2 digit steps)
//   GDN : num = |x_i| << (S_NUM + 1), den = S << S_DEN
//         qf  = restoring_divide<K>(num, den)   (K compare-subtract stages, ovf -> 2^K-1)
//         q   = (qf + 1) >> 1,  y = x_i < 0 ? -q : q
//   IGDN: y = rshift_round(x_i * S, SHIFT)      (SHIFT >= 0)
//   out = sat(y, -2^(OUT_BITS-1), 2^(OUT_BITS-1)-1)
//
// A job is C/SIMD input beats (valid/ready). Beat t carries SIMD lanes (x_j, gamma_ij),
// j = t*SIMD + lane; x_i and beta_i are sampled on the first beat of the job. The unit is
// fully pipelined with one global stall (en = !out_valid | out_ready): it accepts a beat
// every cycle (II = 1 beat, C/SIMD cycles a result); register stages after the last beat:
//   GDN : product (1) | accumulate -> D (1) | operands, overflow test (1) | divider (K) | out (1)
//   IGDN: product (1) | accumulate -> D (1) | x*S (1) | round + shift (1) | out (1)
//   standard adds an operand register and SQRT_BITS/2 isqrt stages after D
//   (latency from the first beat = C/SIMD - 1 + 13 (GDN, K = 9) or + 5 (IGDN) cycles).
// Two options for a stage of the g_a pipeline (hls/rtl/ga/gdn_stage.v), both off by default:
//   FREE = 1: no stall at all (en = 1: no clock enable on any register, in_ready = 1, out_ready
//             not read, out_valid a one-cycle pulse); the stage reserves room for every result in
//             flight (its skid buffer), so nothing inside waits;
//   PIPE = 1: the products as DSP48E2s with input (gamma, m_j), M and P registers (3 stages for
//             the product's 1), a product wider than one DSP (26 x 17 bits unsigned: the standard
//             GDN's 31-bit x_j^2) split into DSP-sized chunk products, each a leaf of the lane-sum
//             tree at its place value, and a register after every level of that tree (one
//             carry-chain adder of PW + level bits a path): + 2 + ceil(log2 leaves) cycles.
// out_sat counts the clamps the reference counts for this value (D clamp + output clamp or
// divider overflow), so saturation counters can be compared too.
// Verilog-2005; no division or modulo operator, no combinational divider.
`timescale 1ns / 1ps
`default_nettype none

module gdn_unit #(
    parameter integer C         = 8,   // channels (length of the j sum)
    parameter integer SIMD      = 1,   // MAC lanes a beat; must divide C
    parameter integer INVERSE   = 0,   // 0: GDN (divide), 1: IGDN (multiply)
    parameter integer STANDARD  = 0,   // 0: simplified (|x|, S = D), 1: standard (x^2, isqrt)
    parameter integer IN_BITS   = 16,  // signed GDN input x
    parameter integer G_BITS    = 32,  // unsigned gamma words
    parameter integer ACC_BITS  = 48,  // unsigned denominator / beta width (46: simplified IGDN)
    parameter integer K         = 9,   // divider iterations (act_bits + 1)
    parameter integer S_NUM     = 0,   // GDN numerator pre-shift (attrs["s_num"])
    parameter integer S_DEN     = 0,   // GDN denominator pre-shift (attrs["s_den"])
    parameter integer SHIFT     = 0,   // IGDN requantisation shift (attrs["shift"])
    parameter integer SQRT_FRAC = 4,   // standard: extra fractional bits t of the root
    parameter integer OUT_BITS  = 8,   // signed output
    parameter integer M_IN      = 0,   // 1: in_x lanes carry m_j (x_j^2 | |x_j|, M_BITS wide)
                                       // from upstream, shared by a stage's units
    parameter integer FREE      = 0,   // 1: free running, no stall (in_ready = 1, out_ready not
                                       // read; out_valid a one-cycle pulse): the caller makes room
    parameter integer PIPE      = 0    // 1: registered DSP products (input, M, P registers; wide
                                       // products split into DSP-sized leaves) and lane-sum tree
) (
    input  wire                       clk,
    input  wire                       rst,       // synchronous, active high
    input  wire                       in_valid,
    output wire                       in_ready,
    input  wire [IN_BITS-1:0]         in_xi,     // x_i (first beat of a job)
    input  wire [ACC_BITS-1:0]        in_beta,   // beta_i (first beat of a job)
    input  wire [SIMD*(M_IN ? (STANDARD ? 2*IN_BITS-1 : IN_BITS) : IN_BITS)-1:0]
                                      in_x,      // lane l: x_{t*SIMD+l} (m_{t*SIMD+l}: M_IN)
    input  wire [SIMD*G_BITS-1:0]     in_gamma,  // lane l: gamma_{i, t*SIMD+l}
    output wire                       out_valid,
    input  wire                       out_ready,
    output wire [OUT_BITS-1:0]        out_y,
    output wire [1:0]                 out_sat
);
    // ------------------------------------------------------------------ widths
    localparam integer NB     = C / SIMD;                       // beats a job
    localparam integer CW     = (NB > 1) ? $clog2(NB) : 1;
    localparam integer M_BITS = STANDARD ? 2 * IN_BITS - 1 : IN_BITS;   // |x| or x^2
    localparam integer PW     = G_BITS + M_BITS;                // one product
    localparam integer AW0    = PW + $clog2(C + 1) + 1;         // exact sum of C products
    localparam integer AW     = (AW0 > ACC_BITS + 1 ? AW0 : ACC_BITS + 1) + 1;
    localparam integer SQB    = 2 * ((ACC_BITS + 2 * SQRT_FRAC + 1) / 2);  // isqrt operand bits
    localparam integer S_BITS = STANDARD ? SQB / 2 : ACC_BITS;  // width of S
    localparam integer NUM_W  = IN_BITS + S_NUM + 1;
    localparam integer DEN_W  = S_BITS + S_DEN;
    localparam integer DW     = (NUM_W > DEN_W + K) ? NUM_W : DEN_W + K;
    localparam [ACC_BITS-1:0] D_MAX = {ACC_BITS{1'b1}};

    // ------------------------------------------------------------------ flow control
    wire en;
    assign in_ready = en;
    wire fire = in_valid & en;

    reg [CW-1:0] beat;
    wire first = (beat == 0);
    wire last  = (beat == NB - 1);
    always @(posedge clk)
        if (rst) beat <= 0;
        else if (fire) beat <= last ? {CW{1'b0}} : beat + 1'b1;

    // ------------------------------------------------------------------ stage 1: products
    wire [SIMD*M_BITS-1:0] in_m;                          // M_IN: the m_j lanes
    generate
        if (M_IN) begin : g_min
            assign in_m = in_x;
        end else begin : g_nomin
            assign in_m = {(SIMD*M_BITS){1'b0}};
        end
    endgenerate
    // the products and their lane sum, PIPE = 0 or 1, end in q_*: the sum of a beat's SIMD
    // products (q_sum) with the beat's valid / first / last / x_i / beta beside it
    wire                   q_v, q_first, q_last;
    wire [IN_BITS-1:0]     q_xi;
    wire [ACC_BITS-1:0]    q_beta;
    localparam integer NMC = PIPE ? (M_BITS + 16) / 17 : 1;     // m chunks of 17 bits (B port)
    localparam integer NGC = PIPE ? (G_BITS + 25) / 26 : 1;     // gamma chunks of 26 bits (A port)
    localparam integer NLF = SIMD * NMC * NGC;                  // tree leaves
    localparam integer LV  = (NLF > 1) ? $clog2(NLF) : 0;       // tree levels
    wire [PW+LV-1:0]       q_sum;
    genvar gv, gi, gm, gg;
    generate
        if (!PIPE) begin : g_comb
            reg                   p_v, p_first, p_last;
            reg [IN_BITS-1:0]     p_xi;
            reg [ACC_BITS-1:0]    p_beta;
            reg [SIMD*PW-1:0]     p_prod;
            integer l;
            reg [IN_BITS-1:0]        xl;
            reg signed [M_BITS-1:0]  xs;
            reg [M_BITS-1:0]         ml;
            always @(posedge clk) begin
                if (rst) p_v <= 1'b0;
                else if (en) p_v <= fire;
                if (en) begin
                    p_first <= first;
                    p_last  <= last;
                    p_xi    <= in_xi;
                    p_beta  <= in_beta;
                    for (l = 0; l < SIMD; l = l + 1) begin
                        xl = in_x[l*IN_BITS +: IN_BITS];
                        xs = $signed(xl);                        // sign-extended to M_BITS
                        if (M_IN)
                            ml = in_m[l*M_BITS +: M_BITS];       // computed upstream
                        else if (STANDARD)
                            ml = xs * xs;                        // x^2 < 2^(2*IN_BITS-2) fits
                        else
                            ml = xl[IN_BITS-1] ? -xl : xl;       // |x| (2^(IN_BITS-1) fits unsigned)
                        p_prod[l*PW +: PW] <= in_gamma[l*G_BITS +: G_BITS] * ml;
                    end
                end
            end
            // lane sum: a combinational binary tree of two-input adders (gdn_add2, below), level
            // v PW + v bits wide (the exact sum of 2^v products). The sum is exact, so the order
            // of addition changes no bit.
            for (gv = 0; gv <= LV; gv = gv + 1) begin : g_lv
                localparam integer NN = ((SIMD - 1) >> gv) + 1;        // nodes of level gv
                localparam integer TW = PW + gv;
                wire [NN*TW-1:0] s;                                     // node i at s[i*TW +: TW]
                if (gv == 0) begin : g_leaf
                    assign s = p_prod;
                end else begin : g_node
                    localparam integer NP = ((SIMD - 1) >> (gv - 1)) + 1;   // nodes of level gv - 1
                    for (gi = 0; gi < NN; gi = gi + 1) begin : g_n
                        if (2 * gi + 1 < NP) begin : g_add
                            gdn_add2 #(.W(TW - 1)) u_add (
                                .a(g_lv[gv-1].s[2*gi*(TW-1) +: TW-1]),
                                .b(g_lv[gv-1].s[(2*gi+1)*(TW-1) +: TW-1]), .y(s[gi*TW +: TW]));
                        end else begin : g_pass
                            assign s[gi*TW +: TW] = {1'b0, g_lv[gv-1].s[2*gi*(TW-1) +: TW-1]};
                        end
                    end
                end
            end
            assign q_sum = g_lv[LV].s[PW+LV-1:0];
            assign q_v = p_v; assign q_first = p_first; assign q_last = p_last;
            assign q_xi = p_xi; assign q_beta = p_beta;
        end else begin : g_pipe
            // PIPE: every product a DSP48E2 with its input registers (g_r, m_r: one load each)
            // and M and P registers; a product wider than one DSP (26 x 17 bits unsigned) is
            // split into gamma chunks of 26 and m chunks of 17 bits, each chunk product a tree
            // leaf at its place value (exact: the tree sums the leaves); the tree registers
            // every level (a node is one carry-chain adder of PW + v bits)
            wire [NLF*PW-1:0] leaves;
            for (gi = 0; gi < SIMD; gi = gi + 1) begin : g_lane
                wire [G_BITS-1:0] gam = in_gamma[gi*G_BITS +: G_BITS];
                wire [M_BITS-1:0] mm  = in_m[gi*M_BITS +: M_BITS];
                for (gm = 0; gm < NMC; gm = gm + 1) begin : g_mc
                    localparam integer MO = 17 * gm;
                    localparam integer MW = (M_BITS - MO < 17) ? M_BITS - MO : 17;
                    for (gg = 0; gg < NGC; gg = gg + 1) begin : g_gc
                        localparam integer GO = 26 * gg;
                        localparam integer GW = (G_BITS - GO < 26) ? G_BITS - GO : 26;
                        reg [GW-1:0]    g_r;
                        reg [MW-1:0]    m_r;
                        reg [GW+MW-1:0] pm, pp;
                        always @(posedge clk) begin
                            if (en) begin
                                g_r <= gam[GO +: GW];
                                m_r <= mm[MO +: MW];
                                pm  <= g_r * m_r;                 // M register
                                pp  <= pm;                        // P register
                            end
                        end
                        assign leaves[((gi*NMC + gm)*NGC + gg)*PW +: PW] =
                            {{(PW-GW-MW){1'b0}}, pp} << (GO + MO);
                    end
                end
            end
            for (gv = 0; gv <= LV; gv = gv + 1) begin : g_lv
                localparam integer NN = ((NLF - 1) >> gv) + 1;
                localparam integer TW = PW + gv;
                wire [NN*TW-1:0] s;
                if (gv == 0) begin : g_leaf
                    assign s = leaves;
                end else begin : g_node
                    localparam integer NP = ((NLF - 1) >> (gv - 1)) + 1;
                    reg [NN*TW-1:0] r;
                    for (gi = 0; gi < NN; gi = gi + 1) begin : g_n
                        wire [TW-1:0] y;
                        if (2 * gi + 1 < NP) begin : g_add
                            gdn_add2 #(.W(TW - 1)) u_add (
                                .a(g_lv[gv-1].s[2*gi*(TW-1) +: TW-1]),
                                .b(g_lv[gv-1].s[(2*gi+1)*(TW-1) +: TW-1]), .y(y));
                        end else begin : g_pass
                            assign y = {1'b0, g_lv[gv-1].s[2*gi*(TW-1) +: TW-1]};
                        end
                        always @(posedge clk) if (en) r[gi*TW +: TW] <= y;
                    end
                    assign s = r;
                end
            end
            assign q_sum = g_lv[LV].s[PW+LV-1:0];
            // side band: 3 product stages (input, M, P) + LV tree levels
            localparam integer DS = 3 + LV;
            reg                s_v [1:DS], s_first [1:DS], s_last [1:DS];
            reg [IN_BITS-1:0]  s_xi [1:DS];
            reg [ACC_BITS-1:0] s_beta [1:DS];
            integer k;
            always @(posedge clk) begin
                if (rst) for (k = 1; k <= DS; k = k + 1) s_v[k] <= 1'b0;
                else if (en) begin
                    s_v[1] <= fire;
                    for (k = 2; k <= DS; k = k + 1) s_v[k] <= s_v[k-1];
                end
                if (en) begin
                    s_first[1] <= first; s_last[1] <= last; s_xi[1] <= in_xi; s_beta[1] <= in_beta;
                    for (k = 2; k <= DS; k = k + 1) begin
                        s_first[k] <= s_first[k-1]; s_last[k] <= s_last[k-1];
                        s_xi[k] <= s_xi[k-1]; s_beta[k] <= s_beta[k-1];
                    end
                end
            end
            assign q_v = s_v[DS]; assign q_first = s_first[DS]; assign q_last = s_last[DS];
            assign q_xi = s_xi[DS]; assign q_beta = s_beta[DS];
        end
    endgenerate

    // ------------------------------------------------------------------ stage 2: accumulate
    wire [AW-1:0] lane_sum = {{(AW-PW-LV){1'b0}}, q_sum};
    reg  [AW-1:0]      acc;
    reg  [IN_BITS-1:0] acc_xi;
    wire [AW-1:0]      acc_next = (q_first ? {{(AW-ACC_BITS){1'b0}}, q_beta} : acc) + lane_sum;
    reg                d_v;
    reg  [AW-1:0]      d_raw;
    reg  [IN_BITS-1:0] d_xi;
    always @(posedge clk) begin
        if (rst) d_v <= 1'b0;
        else if (en) d_v <= q_v & q_last;
        if (en & q_v) begin
            acc <= acc_next;
            if (q_first) acc_xi <= q_xi;
        end
        if (en) begin
            d_raw <= acc_next;
            d_xi  <= q_first ? q_xi : acc_xi;
        end
    end
    // D = sat(D, 0, 2^ACC_BITS - 1): the sum is non-negative, only the top can clamp
    wire                d_sat = |d_raw[AW-1:ACC_BITS];
    wire [ACC_BITS-1:0] d_val = d_sat ? D_MAX : d_raw[ACC_BITS-1:0];

    // ------------------------------------------------------------------ S (isqrt when standard)
    wire                s_v;
    wire [S_BITS-1:0]   s_val;
    wire [IN_BITS-1:0]  s_xi;
    wire                s_sat;
    generate
        if (STANDARD) begin : g_sqrt
            // digit-by-digit isqrt of v = D << 2t: an operand register, then NS register
            // stages; stage i decides bit 2^(SQB-2-2i) (lic.fixedpoint.isqrt / lic::isqrt)
            localparam integer NS = SQB / 2;
            reg [SQB-1:0]     sv [0:NS];
            reg [SQB-1:0]     sr [0:NS];
            reg [IN_BITS-1:0] sx [0:NS];
            reg [NS:0]        sok, ssat;
            reg [SQB-1:0]     st;
            integer i;
            always @(posedge clk) begin
                if (rst) sok <= {(NS+1){1'b0}};
                else if (en) sok <= {sok[NS-1:0], d_v};
                if (en) begin
                    sv[0] <= {{SQB{1'b0}}, d_val} << (2 * SQRT_FRAC);
                    sr[0] <= {SQB{1'b0}};
                    sx[0] <= d_xi;
                    ssat  <= {ssat[NS-1:0], d_sat};
                    for (i = 0; i < NS; i = i + 1) begin
                        st = sr[i] + ({{(SQB-1){1'b0}}, 1'b1} << (SQB - 2 - 2 * i));
                        if (sv[i] >= st) begin
                            sv[i+1] <= sv[i] - st;
                            sr[i+1] <= (sr[i] >> 1) + ({{(SQB-1){1'b0}}, 1'b1} << (SQB - 2 - 2 * i));
                        end else begin
                            sv[i+1] <= sv[i];
                            sr[i+1] <= sr[i] >> 1;
                        end
                        sx[i+1] <= sx[i];
                    end
                end
            end
            assign s_v   = sok[NS];
            assign s_val = sr[NS][S_BITS-1:0];
            assign s_xi  = sx[NS];
            assign s_sat = ssat[NS];
        end else begin : g_nosqrt
            assign s_v   = d_v;
            assign s_val = d_val;
            assign s_xi  = d_xi;
            assign s_sat = d_sat;
        end
    endgenerate

    // ------------------------------------------------------------------ output stage
    localparam signed [OUT_BITS:0] OUT_MAX = (1 <<< (OUT_BITS - 1)) - 1;
    localparam signed [OUT_BITS:0] OUT_MIN = -(1 <<< (OUT_BITS - 1));
    reg                o_v;
    reg [OUT_BITS-1:0] o_y;
    reg [1:0]          o_sat;
    assign en        = FREE ? 1'b1 : (~o_v | out_ready);
    assign out_valid = o_v;
    assign out_y     = o_y;
    assign out_sat   = o_sat;

    generate
        if (!INVERSE) begin : g_fwd
            // operands: num = |x| << (S_NUM+1), den = S << S_DEN, ovf = num >= den << K
            wire [IN_BITS-1:0] mag = s_xi[IN_BITS-1] ? -s_xi : s_xi;
            wire [DW-1:0]      num = {{(DW-IN_BITS){1'b0}}, mag} << (S_NUM + 1);
            wire [DW-1:0]      den = {{(DW-S_BITS){1'b0}}, s_val} << S_DEN;
            wire               ovf = num >= (den << K);
            // divider: stage b (b = 0..K-1) decides quotient bit K-1-b (lic restoring_divide)
            reg [DW-1:0] dr [0:K];     // partial remainder
            reg [DW-1:0] dd [0:K];     // denominator
            reg [K-1:0]  dq [0:K];     // quotient bits so far
            reg [K:0]    dv, dneg, dovf, dsat;
            reg [DW-1:0] ds;
            integer b;
            always @(posedge clk) begin
                if (rst) dv <= {(K+1){1'b0}};
                else if (en) dv <= {dv[K-1:0], s_v};
                if (en) begin
                    dr[0]   <= ovf ? {DW{1'b0}} : num;
                    dd[0]   <= den;
                    dq[0]   <= {K{1'b0}};
                    dneg    <= {dneg[K-1:0], s_xi[IN_BITS-1]};
                    dovf    <= {dovf[K-1:0], ovf};
                    dsat    <= {dsat[K-1:0], s_sat};
                    for (b = 0; b < K; b = b + 1) begin
                        ds = dd[b] << (K - 1 - b);
                        if (dr[b] >= ds) begin
                            dr[b+1] <= dr[b] - ds;
                            dq[b+1] <= dq[b] | ({{(K-1){1'b0}}, 1'b1} << (K - 1 - b));
                        end else begin
                            dr[b+1] <= dr[b];
                            dq[b+1] <= dq[b];
                        end
                        dd[b+1] <= dd[b];
                    end
                end
            end
            // q = (qf + 1) >> 1, sign, saturation
            wire [K-1:0]  qf  = dovf[K] ? {K{1'b1}} : dq[K];
            wire [K:0]    q   = ({1'b0, qf} + 1'b1) >> 1;
            wire signed [K+1:0] y = dneg[K] ? -$signed({1'b0, q}) : $signed({1'b0, q});
            wire hi = y > OUT_MAX, lo = y < OUT_MIN;
            always @(posedge clk) begin
                if (rst) o_v <= 1'b0;
                else if (en) o_v <= dv[K];
                if (en) begin
                    o_y   <= hi ? OUT_MAX[OUT_BITS-1:0] : lo ? OUT_MIN[OUT_BITS-1:0] : y[OUT_BITS-1:0];
                    o_sat <= {1'b0, dsat[K]} + {1'b0, hi | lo | dovf[K]};
                end
            end
        end else begin : g_inv
            // y = rshift_round(x * S, SHIFT)
            localparam integer MW0 = IN_BITS + S_BITS + 2;
            localparam integer MW  = (MW0 > SHIFT + 2) ? MW0 : SHIFT + 2;
            reg                 m_v, m_sat;
            reg signed [MW-1:0] m_p;
            always @(posedge clk) begin
                if (rst) m_v <= 1'b0;
                else if (en) m_v <= s_v;
                if (en) begin
                    m_p   <= $signed(s_xi) * $signed({1'b0, s_val});
                    m_sat <= s_sat;
                end
            end
            wire signed [MW-1:0] half = (SHIFT > 0) ? ({{(MW-1){1'b0}}, 1'b1} << (SHIFT > 0 ? SHIFT - 1 : 0)) : {MW{1'b0}};
            wire signed [MW-1:0] rnd  = (m_p + half) >>> SHIFT;
            reg                  r_v, r_sat;
            reg signed [MW-1:0]  r_y;
            always @(posedge clk) begin
                if (rst) r_v <= 1'b0;
                else if (en) r_v <= m_v;
                if (en) begin
                    r_y   <= rnd;
                    r_sat <= m_sat;
                end
            end
            wire hi = r_y > OUT_MAX, lo = r_y < OUT_MIN;
            always @(posedge clk) begin
                if (rst) o_v <= 1'b0;
                else if (en) o_v <= r_v;
                if (en) begin
                    o_y   <= hi ? OUT_MAX[OUT_BITS-1:0] : lo ? OUT_MIN[OUT_BITS-1:0] : r_y[OUT_BITS-1:0];
                    o_sat <= {1'b0, r_sat} + {1'b0, hi | lo};
                end
            end
        end
    endgenerate
endmodule

// y = a + b (unsigned, W + 1 bits): one node of gdn_unit's lane-sum tree. keep_hierarchy keeps
// it a module of its own also under yosys -flatten, so each node is a two-input carry-chain
// adder: yosys 0.23 (alumacc) otherwise merges the whole SIMD-input sum into one $macc and
// maps it as a full-adder compressor in LUTs (g_a.1's SIMD-64 unit: ~20 k LUT, README);
// (* keep *) on the node wires stops the merge but leaves generic $add cells, mapped as
// gate-level lookahead adders (worse). Vivado ignores the attribute's effect on logic.
(* keep_hierarchy *)
module gdn_add2 #(
    parameter integer W = 8
) (
    input  wire [W-1:0] a,
    input  wire [W-1:0] b,
    output wire [W:0]   y
);
    assign y = {1'b0, a} + {1'b0, b};
endmodule

`default_nettype wire
