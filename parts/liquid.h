/* ------------------------------------------------------------------------------------- */
/* II.7.L Liquid family: LFM2 (short conv + attention), CfC, wired CfC, LTC               */
/* ------------------------------------------------------------------------------------- */
/* Operators (each with a config struct and a tensor-name prefix, for the hybrid builder):
 *   smx__sconv_load  'C'  LFM2 double-gated short convolution (token stack)
 *   smx__cfc_load    'L'  CfC closed-form liquid cell: plain (backbone) or wired (one cell per
 *                         wiring layer), optional LSTM mixed memory and output projection
 *   smx__ltc_load    'L'  LTC liquid time-constant cell (fused semi-implicit Euler ODE steps)
 * The CfC and LTC operators read the elapsed time of each step from f->dt (NULL = 1.0 each), so
 * the same operator serves feature models (irregular sampling) and token stacks (unit time
 * between tokens). Their tensor names follow the ncps module layout under the prefix:
 *   {prefix}rnn_cell.*   the cell        {prefix}lstm.*   mixed memory        {prefix}fc.*   projection
 * so a hybrid-stack layer under "model.layers.3.mixer." reads model.layers.3.mixer.rnn_cell.ff1.weight.
 *
 * Families: Lfm2ForCausalLM (lfm2), CfC (cfc), WiredCfC (wired_cfc), LTC (ltc). The ncps models
 * are feature models: input [T, input_size] with elapsed times, output [T, output], one sub-layer
 * (no norm, no residual) whose state starts with h [units], then c [units] with mixed memory. */

/* ---- small helpers ---- */

/* y[N] = W[N, K] x[K] (+ b). Large products go to the matmul kernel (threads split the rows);
 * the small ones of a liquid cell step (a few thousand multiply-adds) run the same dot kernel
 * inline, since entering a parallel region would cost more than the product. */
static void smx__lq_mv(float *y, const float *x, const float *W, const float *b, int K, int N, int nth)
{
    int n;
    if ((size_t)K * (size_t)N >= ((size_t)1 << 17)) { smx__matmul(y, x, W, b, 1, K, N, nth); return; }
    for (n = 0; n < N; n++) y[n] = smx__dot(x, W + (size_t)n * K, K) + (b ? b[n] : 0.0f);
}

/* tanh through one exp (libm's tanhf goes through expm1f and costs several times more):
 * tanh|x| = 1 - 2 / (exp(2|x|) + 1), absolute error about 1e-7. */
static float smx__lq_tanh(float x)
{
    float t = 1.0f - 2.0f / (expf(2.0f * fabsf(x)) + 1.0f);
    return x < 0.0f ? -t : t;
}

/* Backbone activations with the fast tanh. */
static float smx__lq_act(int act, float x)
{
    if (act == SMX__ACT_LECUN_TANH) return 1.7159f * smx__lq_tanh(0.666f * x);
    if (act == SMX__ACT_TANH) return smx__lq_tanh(x);
    return smx__act(act, x);
}

/* Threads for T rows of K x N work: 1 when too small to pay for a parallel region. */
static int smx__lq_nth(int T, int K, int N, int nth)
{
    return (size_t)T * (size_t)K * (size_t)N >= ((size_t)1 << 17) ? nth : 1;
}

/* y[T, N] = x[T, K] W^T (+ b): one row as above; more rows on threads when the product is big. */
static void smx__lq_mm(float *y, const float *x, const float *W, const float *b, int T, int K, int N, int nth)
{
    if (T == 1) smx__lq_mv(y, x, W, b, K, N, nth);
    else smx__matmul(y, x, W, b, T, K, N, smx__lq_nth(T, K, N, nth));
}

/* A copy of W[rows, cols] columns [c0, c0 + nc) into the model arena: [rows, nc]. */
static float *smx__lq_cols(smx__loader *ld, const float *W, int rows, int cols, int c0, int nc)
{
    float *d = smx__ld_alloc(ld, (size_t)rows * (size_t)nc);
    int r;
    if (!d || !W) return d;
    for (r = 0; r < rows; r++) memcpy(d + (size_t)r * nc, W + (size_t)r * cols + c0, sizeof(float) * (size_t)nc);
    return d;
}

/* Mixed memory (ncps LSTMCell), one step on h, c [u] with g [4u] = input_map(x) + b already
 * computed (gx); the recurrent map has no bias. Gate chunks in order (i, ig, fg, og):
 *   c' = c * sigma(fg + 1) + tanh(i) * sigma(ig)        h' = tanh(c') * sigma(og)            */
static void smx__lq_lstm_step(float *h, float *c, const float *gx, const float *wr, int u, float *g, int nth)
{
    int j;
    smx__lq_mv(g, h, wr, NULL, u, 4 * u, nth);          /* g [4u] = W_r h */
    for (j = 0; j < 4 * u; j++) g[j] += gx[j];
    for (j = 0; j < u; j++) {
        float ia = smx__lq_tanh(g[j]), ig = smx__sigmoid(g[u + j]), fg = smx__sigmoid(g[2 * u + j] + 1.0f);
        float og = smx__sigmoid(g[3 * u + j]);
        c[j] = c[j] * fg + ia * ig;
        h[j] = smx__lq_tanh(c[j]) * og;
    }
}

/* ===================================================================================== */
/* LFM2 short convolution ('C')                                                           */
/* ===================================================================================== */
/* [B | C | x] = a W_in^T (+ b_in)      (three chunks of d, in this order)
 * u = B * x;  v[t, c] = b_c[c] + sum_k w[c, 0, k] u[t - (L-1) + k, c]   (causal, no activation)
 * y = (C * v) W_out^T (+ b_out)
 * State: the last L-1 rows of u, [L-1][d], oldest first (zeros at the start of a sequence). */
typedef struct smx__sconv_cfg {
    int d;          /* model width */
    int L;          /* conv kernel length (conv_L_cache) */
    int bias;       /* conv_bias: biases on in_proj, conv and out_proj */
} smx__sconv_cfg;

typedef struct smx__sconv {
    smx__op base;
    int L;
    const float *win, *bin;     /* [3d, d], [3d] */
    float *cw;                  /* [L][d]: cw[k*d + c] = conv.weight[c, 0, k] */
    const float *cb;            /* [d] */
    const float *wout, *bout;   /* [d, d], [d] */
} smx__sconv;

static size_t smx__sconv_state(const smx__op *op, int n_ctx)
{
    const smx__sconv *c = (const smx__sconv *)op;
    (void)n_ctx;
    return (size_t)(c->L - 1) * (size_t)op->d_in * sizeof(float);
}

static size_t smx__sconv_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__sconv *c = (const smx__sconv *)op;
    (void)n_ctx; (void)nth;
    return (size_t)op->d_in * (3 * (size_t)T + (size_t)(c->L - 1 + T) + (size_t)T);
}

/* v[t] = C[t] * (b_c + sum_k w_k u[t + k]);  g [T, 3d], u [L-1+T, d], v [T, d] */
static void smx__sconv_row(const smx__sconv *c, const float *g, const float *u, float *v, int t, int d)
{
    float *vr = v + (size_t)t * d;
    const float *gr = g + (size_t)t * 3 * d;
    int k, i;
    if (c->cb) memcpy(vr, c->cb, sizeof(float) * (size_t)d);
    else memset(vr, 0, sizeof(float) * (size_t)d);
    for (k = 0; k < c->L; k++) {
        const float *w = c->cw + (size_t)k * d, *ur = u + (size_t)(t + k) * d;
        for (i = 0; i < d; i++) vr[i] += w[i] * ur[i];
    }
    for (i = 0; i < d; i++) vr[i] *= gr[d + i];
}

static void smx__sconv_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__sconv *c = (const smx__sconv *)op;
    const int T = f->T, d = op->d_in, L = c->L, H = L - 1;
    float *st = (float *)state;                 /* [L-1, d] */
    float *g = f->scratch;                      /* [T, 3d]  B | C | x */
    float *u = g + (size_t)T * 3 * d;           /* [L-1+T, d] state rows, then B*x */
    float *v = u + (size_t)(H + T) * d;         /* [T, d]  C * conv(u) */
    int t;
    smx__matmul(g, f->x, c->win, c->bin, T, d, 3 * d, f->nth);
    if (H > 0) memcpy(u, st, sizeof(float) * (size_t)H * d);
    /* u = B * x */
    for (t = 0; t < T; t++) {
        const float *gr = g + (size_t)t * 3 * d;
        float *ur = u + (size_t)(H + t) * d;
        int i;
        for (i = 0; i < d; i++) ur[i] = gr[i] * gr[2 * d + i];
    }
    /* v = C * (b_c + sum_k w_k u[t + k]) */
    if (smx__lq_nth(T, L, d, f->nth) > 1) {
        SMX__OMP_FOR(f->nth)
        for (t = 0; t < T; t++) smx__sconv_row(c, g, u, v, t, d);
    } else {
        for (t = 0; t < T; t++) smx__sconv_row(c, g, u, v, t, d);
    }
    /* state = the last L-1 rows of [state | u] */
    if (H > 0) memcpy(st, u + (size_t)T * d, sizeof(float) * (size_t)H * d);
    smx__matmul(f->y, v, c->wout, c->bout, T, d, d, f->nth);
}

static const smx__op_vt smx__sconv_vt = {
    "short_conv", 'C', smx__sconv_state, NULL, smx__sconv_scratch, smx__sconv_forward, NULL
};

/* prefix e.g. "model.layers.0.conv."; tensors in_proj, conv, out_proj. */
static smx__op *smx__sconv_load(smx__loader *ld, const smx__sconv_cfg *cfg, const char *prefix)
{
    smx__sconv *c;
    const float *w;
    int d = cfg->d, L = cfg->L, k, i;
    if (!smx__ld_check(ld, L >= 1 && L <= 1024, SMX_E_RANGE, "config.json: conv_L_cache %d must be in [1, 1024]", L)) return NULL;
    c = (smx__sconv *)smx__op_new(ld, sizeof *c, &smx__sconv_vt, d, d);
    if (!c) return NULL;
    c->L = L;
    c->win = SMX__W2(ld, 3 * d, d, "%sin_proj.weight", prefix);
    c->wout = SMX__W2(ld, d, d, "%sout_proj.weight", prefix);
    w = SMX__W3(ld, d, 1, L, "%sconv.weight", prefix);
    if (cfg->bias) {
        c->bin = SMX__W1(ld, 3 * d, "%sin_proj.bias", prefix);
        c->cb = SMX__W1(ld, d, "%sconv.bias", prefix);
        c->bout = SMX__W1(ld, d, "%sout_proj.bias", prefix);
    }
    c->cw = smx__ld_alloc(ld, (size_t)L * d);
    if (ld->st) return NULL;
    for (k = 0; k < L; k++)
        for (i = 0; i < d; i++) c->cw[(size_t)k * d + i] = w[(size_t)i * L + k];
    return &c->base;
}

/* ---- LFM2 (Lfm2ForCausalLM) ---- */

/* SwiGLU width: I = intermediate_size; with block_auto_adjust_ff_dim: I = int(2I/3), and when
 * block_ffn_dim_multiplier is set, I = int(mult * I) rounded up to block_multiple_of. */
static int smx__lfm2_ff(smx__loader *ld)
{
    int I = smx__ci_pos(ld, NULL, "intermediate_size", 12288);
    if (smx__cfg_has(ld, NULL, "block_ff_dim")) I = smx__ci_pos(ld, NULL, "block_ff_dim", 1);
    if (smx__cb(ld, NULL, "block_auto_adjust_ff_dim", 1)) {
        I = (int)(2.0 * (double)I / 3.0);
        if (smx__cfg_has(ld, NULL, "block_ffn_dim_multiplier")) {
            int mo = smx__ci_pos(ld, NULL, "block_multiple_of", 256);
            I = (int)(smx__cf(ld, NULL, "block_ffn_dim_multiplier", 1.0) * (double)I);
            I = mo * ((I + mo - 1) / mo);
        }
    }
    smx__ld_check(ld, I > 0, SMX_E_RANGE, "config.json: the feed-forward width works out to %d", I);
    return I;
}

static smx_status smx__build_lfm2(smx__loader *ld)
{
    const smx__jv *lt = smx__cfg_get(ld, NULL, "layer_types"), *fa = smx__cfg_get(ld, NULL, "full_attn_idxs");
    smx__attn_cfg at;
    smx__sconv_cfg sc;
    char p[64], p2[256];
    int V, d, L, ff, l, tied;
    float eps;
    memset(&at, 0, sizeof at);
    V = smx__ci_pos(ld, NULL, "vocab_size", 65536);
    d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    eps = (float)smx__cf(ld, NULL, "norm_eps", 1e-5);
    tied = smx__cb(ld, NULL, "tie_word_embeddings", 1);
    tied = smx__cb(ld, NULL, "tie_embedding", tied);
    ff = smx__lfm2_ff(ld);
    at.d = d;
    at.nh = smx__ci_pos(ld, NULL, "num_attention_heads", 0);
    at.nkv = smx__ci_pos(ld, NULL, "num_key_value_heads", 8);
    at.hd = smx__ci_pos(ld, NULL, "head_dim", d / (at.nh ? at.nh : 1));
    at.causal = 1;
    at.qk_norm = 1;
    at.qk_eps = eps;
    sc.d = d;
    sc.L = smx__ci_pos(ld, NULL, "conv_L_cache", 3);
    sc.bias = smx__cb(ld, NULL, "conv_bias", 0);
    if (lt) smx__ld_check(ld, lt->type == SMX__J_ARR && lt->n == L, SMX_E_FORMAT,
                          "config.json: 'layer_types' must list one type per layer (%d)", L);
    else if (fa) smx__ld_check(ld, fa->type == SMX__J_ARR, SMX_E_FORMAT, "config.json: 'full_attn_idxs' must be a list");
    if (ld->st) return ld->st;
    at.rope = smx__rope_from_config(ld, at.hd, smx__cf(ld, NULL, "theta", 1e6), 1.0);
    ld->m->max_ctx = smx__ci(ld, NULL, "max_position_embeddings", 0);
    smx__load_embed_head(ld, V, d, "model.embed_tokens.weight", "lm_head.weight", tied);
    for (l = 0; l < L && !ld->st; l++) {
        int attn = 1;
        smx__op *op;
        if (lt) {
            const smx__jv *e = smx__jat(lt, l);
            if (!smx__ld_check(ld, e && e->type == SMX__J_STR && (!strcmp(e->str, "full_attention") || !strcmp(e->str, "conv")),
                               SMX_E_UNSUPPORTED, "config.json: layer_types[%d] must be \"full_attention\" or \"conv\"", l))
                break;
            attn = !strcmp(e->str, "full_attention");
        } else if (fa) {
            const smx__jv *e;
            attn = 0;
            for (e = fa->child; e; e = e->next)
                if (e->type == SMX__J_NUM && (int)e->num == l) attn = 1;
        }
        snprintf(p, sizeof p, "model.layers.%d.", l);
        if (attn) {
            snprintf(p2, sizeof p2, "%sself_attn.", p);
            op = smx__attn_load(ld, &at, p2, "q_proj", "k_proj", "v_proj", "out_proj", "q_layernorm", "k_layernorm");
        } else {
            snprintf(p2, sizeof p2, "%sconv.", p);
            op = smx__sconv_load(ld, &sc, p2);
        }
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%soperator_norm.weight", p), NULL, op, 1);
        snprintf(p2, sizeof p2, "%sfeed_forward.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%sffn_norm.weight", p), NULL,
                     smx__mlp_load(ld, d, ff, SMX__ACT_SILU, 0, p2, "w1", "w3", "w2"), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "model.embedding_norm.weight");
    return ld->st;
}
#define SMX__BUILD_LFM2 smx__build_lfm2

/* ===================================================================================== */
/* CfC: closed-form continuous-time cell ('L')                                            */
/* ===================================================================================== */
/* One cell, on input u [in] and its own state h [n], elapsed time ts:
 *   z = [u | h];  z = act(W_l z + b_l) for each backbone layer (none: z stays [u | h])
 *   f1 = ff1(z) (weights * sparsity mask when wired)
 *   pure:     h' = -A * exp(-ts * (|w_tau| + |f1|)) * f1 + A
 *   else:     f1 = tanh(f1); f2 = tanh(ff2(z)); s = sigma(time_a(z) * ts + time_b(z))
 *             default: h' = f1 * (1 - s) + s * f2        no_gate: h' = f1 + s * f2
 * A model runs, per step: mixed memory (LSTM on [h | c] of all units) first, then the cells in
 * wiring order (cell l reads cell l-1's new h; a plain CfC is one cell), then the output is the
 * last cell's h, through fc when proj_size is set.
 * The first linear layer is split into its input and recurrent columns, so the input half runs
 * as one matmul over all T steps before the recurrence; ff1/ff2/time_a/time_b are fused into
 * one [4n, cat] matrix (masks multiplied into copies at load time).
 * State: h [units] (cells in wiring order) | c [units] (mixed memory only). */
enum { SMX__CFC_DEFAULT, SMX__CFC_PURE, SMX__CFC_NOGATE };
#define SMX__CFC_MAX_CELLS 32

typedef struct smx__cfc_cfg {
    int in;             /* input features per step */
    int mode;           /* SMX__CFC_* */
    int act;            /* backbone activation (SMX__ACT_*) */
    int bb_layers;      /* backbone layers (0: heads read [u | h] directly); wired: 0 */
    int bb_units;
    int bb_dropout;     /* the checkpoint had dropout > 0: Sequential indices shift */
    int mixed;          /* LSTM mixed memory */
    int proj;           /* output projection width, 0 = none */
    int n_cells;        /* 1 for a plain CfC; wiring layers for a wired one */
    int wired;          /* tensors under rnn_cell.layer_%d. with sparsity masks */
    int sizes[SMX__CFC_MAX_CELLS];  /* neurons per cell */
} smx__cfc_cfg;

typedef struct smx__cfc_cell {
    int in, n, off;             /* input width, neurons, offset of its h in the state */
    int r0;                     /* rows of the first linear layer */
    const float *w0;            /* first layer [r0, in + n] (reads [u | h]) */
    const float *wx, *wh, *b0;  /* its input and recurrent columns [r0, in], [r0, n]; bias [r0] */
    const float **wb, **bb;     /* backbone layers 1..nbb-1: [bbu, bbu], [bbu] */
    const float *wz, *bz;       /* heads after a backbone: [nh*n, bbu], [nh*n]; NULL without */
    const float *w_tau, *A;     /* pure mode: [n] */
} smx__cfc_cell;

typedef struct smx__cfc {
    smx__op base;
    int in, units, mode, act, nbb, bbu, mixed, proj, ncell, nout;
    smx__cfc_cell *cell;
    const float *lwx, *lb, *lwh;    /* LSTM: input_map [4u, in] + [4u], recurrent_map [4u, u] */
    const float *fcw, *fcb;         /* [proj, nout], [proj] */
} smx__cfc;

static size_t smx__cfc_state(const smx__op *op, int n_ctx)
{
    const smx__cfc *c = (const smx__cfc *)op;
    (void)n_ctx;
    return (size_t)c->units * (c->mixed ? 2 : 1) * sizeof(float);
}

/* widest first layer / head block over the cells */
static int smx__cfc_rmax(const smx__cfc *c)
{
    int l, r = c->bbu;
    for (l = 0; l < c->ncell; l++) r = SMX__MAX(r, SMX__MAX(c->cell[l].r0, (c->mode == SMX__CFC_PURE ? 1 : 4) * c->cell[l].n));
    return r;
}

static size_t smx__cfc_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__cfc *c = (const smx__cfc *)op;
    size_t r = (size_t)smx__cfc_rmax(c);
    (void)n_ctx; (void)nth;
    return (size_t)T * (size_t)c->cell[0].r0 + (c->mixed ? (size_t)T * 4 * c->units : 0) +
           (c->proj ? (size_t)T * c->nout : 0) + 4 * r + (size_t)(c->in + c->units) + (c->mixed ? 4 * (size_t)c->units : 0) + 16;
}

/* One cell step. pre: the first layer's input half for this step ([r0], bias included, from the
 * all-steps matmul), or NULL to apply the whole first layer to [u | h]. h [n] is updated in
 * place. w: scratch of 4 * rmax + in + n floats. */
static void smx__cfc_cell_step(const smx__cfc *c, const smx__cfc_cell *cl, const float *pre, const float *u, float *h,
                               float ts, float *w, int rmax, int nth)
{
    const int n = cl->n;
    float *t0 = w + rmax, *z1 = w + 2 * rmax, *z2 = w + 3 * rmax, *zc = w + 4 * rmax, *g;
    int j, l;
    if (pre) {
        /* z = pre + W_h h */
        smx__lq_mv(t0, h, cl->wh, NULL, n, cl->r0, nth);
        for (j = 0; j < cl->r0; j++) t0[j] += pre[j];
    } else {
        /* z = W_0 [u | h] + b */
        memcpy(zc, u, sizeof(float) * (size_t)cl->in);
        memcpy(zc + cl->in, h, sizeof(float) * (size_t)n);
        smx__lq_mv(t0, zc, cl->w0, cl->b0, cl->in + n, cl->r0, nth);
    }
    g = t0;
    if (c->nbb > 0) {
        /* z = act(W_l z + b_l) through the backbone, then the heads */
        for (j = 0; j < cl->r0; j++) t0[j] = smx__lq_act(c->act, t0[j]);
        for (l = 1; l < c->nbb; l++) {
            float *src = (l & 1) ? t0 : z1, *dst = (l & 1) ? z1 : t0;
            smx__lq_mv(dst, src, cl->wb[l], cl->bb[l], c->bbu, c->bbu, nth);
            for (j = 0; j < c->bbu; j++) dst[j] = smx__lq_act(c->act, dst[j]);
        }
        smx__lq_mv(z2, ((c->nbb - 1) & 1) ? z1 : t0, cl->wz, cl->bz, c->bbu, (c->mode == SMX__CFC_PURE ? 1 : 4) * n, nth);
        g = z2;
    }
    if (c->mode == SMX__CFC_PURE) {
        /* h' = -A * exp(-ts * (|w_tau| + |f1|)) * f1 + A */
        for (j = 0; j < n; j++) {
            float f1 = g[j];
            h[j] = -cl->A[j] * expf(-ts * (fabsf(cl->w_tau[j]) + fabsf(f1))) * f1 + cl->A[j];
        }
    } else {
        for (j = 0; j < n; j++) {
            float f1 = smx__lq_tanh(g[j]), f2 = smx__lq_tanh(g[n + j]), s = smx__sigmoid(g[2 * n + j] * ts + g[3 * n + j]);
            h[j] = c->mode == SMX__CFC_NOGATE ? f1 + s * f2 : f1 * (1.0f - s) + s * f2;
        }
    }
}

static void smx__cfc_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__cfc *c = (const smx__cfc *)op;
    const int T = f->T, u = c->units, r0 = c->cell[0].r0, rmax = smx__cfc_rmax(c);
    const smx__cfc_cell *last = &c->cell[c->ncell - 1];
    float *h = (float *)state, *cs = h + u;                     /* [u], [u] */
    float *px = f->scratch;                                     /* [T, r0]  first-layer input half */
    float *pl = px + (size_t)T * r0;                            /* [T, 4u]  LSTM input map (mixed) */
    float *ho = pl + (c->mixed ? (size_t)T * 4 * u : 0);        /* [T, nout] before fc (proj) */
    float *w = ho + (c->proj ? (size_t)T * c->nout : 0);        /* [4 rmax + in + u] cell step scratch */
    float *lg = w + 4 * (size_t)rmax + c->in + u;               /* [4u] LSTM gates */
    int t, l;
    if (T > 1) smx__lq_mm(px, f->x, c->cell[0].wx, c->cell[0].b0, T, c->in, r0, f->nth);
    if (c->mixed) smx__lq_mm(pl, f->x, c->lwx, c->lb, T, c->in, 4 * u, f->nth);
    for (t = 0; t < T; t++) {
        float ts = f->dt ? f->dt[t] : 1.0f;
        float *out = c->proj ? ho + (size_t)t * c->nout : f->y + (size_t)t * c->nout;
        if (c->mixed) smx__lq_lstm_step(h, cs, pl + (size_t)t * 4 * u, c->lwh, u, lg, f->nth);
        for (l = 0; l < c->ncell; l++) {
            const smx__cfc_cell *cl = &c->cell[l];
            smx__cfc_cell_step(c, cl, (l || T == 1) ? NULL : px + (size_t)t * r0,
                               l ? h + c->cell[l - 1].off : f->x + (size_t)t * c->in, h + cl->off, ts, w, rmax, f->nth);
        }
        memcpy(out, h + last->off, sizeof(float) * (size_t)c->nout);
    }
    if (c->proj) smx__lq_mm(f->y, ho, c->fcw, c->fcb, T, c->nout, c->proj, f->nth);
}

static const smx__op_vt smx__cfc_vt = { "cfc", 'L', smx__cfc_state, NULL, smx__cfc_scratch, smx__cfc_forward, NULL };

/* Index of backbone Linear l in the ncps Sequential: [Linear, act] then per further layer
 * [Linear, act, (Dropout when dropout > 0)]. */
static int smx__cfc_bb_index(int l, int dropout) { return l == 0 ? 0 : 2 + (l - 1) * (dropout ? 3 : 2); }

/* Load one cell under p (e.g. "rnn_cell." or "rnn_cell.layer_1."). */
static void smx__cfc_cell_load(smx__loader *ld, const smx__cfc_cfg *cfg, smx__cfc_cell *cl, const char *p)
{
    static const char *const heads[4] = { "ff1", "ff2", "time_a", "time_b" };
    const int n = cl->n, in = cl->in, nh = cfg->mode == SMX__CFC_PURE ? 1 : 4;
    const int cat = cfg->bb_layers > 0 ? cfg->bb_units : in + n;
    const float *mask = cfg->wired ? SMX__W2(ld, n, in + n, "%ssparsity_mask", p) : NULL;   /* [n, in + n] */
    float *hw = smx__ld_alloc(ld, (size_t)nh * n * cat), *hb = smx__ld_alloc(ld, (size_t)nh * n);   /* [nh*n, cat], [nh*n] */
    int k, i;
    smx__ld_check(ld, !mask || cfg->bb_layers == 0, SMX_E_UNSUPPORTED, "%ssparsity_mask: masks need a cell without backbone", p);
    /* fused heads: rows ff1 | ff2 | time_a | time_b; the mask multiplies ff1 and ff2 */
    for (k = 0; k < nh; k++) {
        const float *W = SMX__W2(ld, n, cat, "%s%s.weight", p, heads[k]), *b = SMX__W1(ld, n, "%s%s.bias", p, heads[k]);
        if (ld->st) return;
        for (i = 0; i < n * cat; i++) hw[(size_t)k * n * cat + i] = (mask && k < 2) ? W[i] * mask[i] : W[i];
        memcpy(hb + (size_t)k * n, b, sizeof(float) * (size_t)n);
    }
    if (cfg->mode == SMX__CFC_PURE) {
        cl->w_tau = SMX__W2(ld, 1, n, "%sw_tau", p);
        cl->A = SMX__W2(ld, 1, n, "%sA", p);
    }
    if (cfg->bb_layers > 0) {
        const int bbu = cfg->bb_units;
        const float *W0 = SMX__W2(ld, bbu, in + n, "%sbackbone.0.weight", p);
        cl->b0 = SMX__W1(ld, bbu, "%sbackbone.0.bias", p);
        cl->r0 = bbu;
        cl->w0 = W0;
        cl->wx = smx__lq_cols(ld, W0, bbu, in + n, 0, in);
        cl->wh = smx__lq_cols(ld, W0, bbu, in + n, in, n);
        cl->wb = (const float **)smx__arena_alloc(&ld->m->arena, sizeof(float *) * (size_t)cfg->bb_layers);
        cl->bb = (const float **)smx__arena_alloc(&ld->m->arena, sizeof(float *) * (size_t)cfg->bb_layers);
        if (!cl->wb || !cl->bb) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return; }
        for (k = 1; k < cfg->bb_layers; k++) {
            int ix = smx__cfc_bb_index(k, cfg->bb_dropout);
            cl->wb[k] = SMX__W2(ld, bbu, bbu, "%sbackbone.%d.weight", p, ix);
            cl->bb[k] = SMX__W1(ld, bbu, "%sbackbone.%d.bias", p, ix);
        }
        cl->wz = hw; cl->bz = hb;
    } else {
        cl->r0 = nh * n;
        cl->w0 = hw;
        cl->wx = smx__lq_cols(ld, hw, nh * n, in + n, 0, in);
        cl->wh = smx__lq_cols(ld, hw, nh * n, in + n, in, n);
        cl->b0 = hb;
    }
}

/* prefix: where the ncps module's tensors live ("" for a saved ncps CfC; "model.layers.3.mixer."
 * for a token-stack layer). d_in = cfg->in; d_out = proj or the last cell's neurons. */
static smx__op *smx__cfc_load(smx__loader *ld, const smx__cfc_cfg *cfg, const char *prefix)
{
    smx__cfc *c;
    char p[320];
    int l, units = 0;
    if (!smx__ld_check(ld, cfg->n_cells >= 1 && cfg->n_cells <= SMX__CFC_MAX_CELLS, SMX_E_RANGE,
                       "config.json: a CfC needs 1 to %d wiring layers (found %d)", SMX__CFC_MAX_CELLS, cfg->n_cells))
        return NULL;
    for (l = 0; l < cfg->n_cells; l++) {
        if (!smx__ld_check(ld, cfg->sizes[l] > 0, SMX_E_RANGE, "config.json: CfC layer %d has %d neurons", l, cfg->sizes[l]))
            return NULL;
        units += cfg->sizes[l];
    }
    if (!smx__ld_check(ld, cfg->in > 0 && cfg->bb_layers >= 0 && (cfg->bb_layers == 0 || cfg->bb_units > 0) && cfg->proj >= 0,
                       SMX_E_RANGE, "config.json: CfC sizes (input_size %d, backbone_layers %d, backbone_units %d, "
                       "proj_size %d) are invalid", cfg->in, cfg->bb_layers, cfg->bb_units, cfg->proj))
        return NULL;
    c = (smx__cfc *)smx__op_new(ld, sizeof *c, &smx__cfc_vt, cfg->in, cfg->proj ? cfg->proj : cfg->sizes[cfg->n_cells - 1]);
    if (!c) return NULL;
    c->in = cfg->in; c->units = units; c->mode = cfg->mode; c->act = cfg->act; c->nbb = cfg->bb_layers;
    c->bbu = cfg->bb_layers > 0 ? cfg->bb_units : 0; c->mixed = cfg->mixed; c->proj = cfg->proj; c->ncell = cfg->n_cells;
    c->nout = cfg->sizes[cfg->n_cells - 1];
    c->cell = (smx__cfc_cell *)smx__arena_alloc(&ld->m->arena, sizeof(smx__cfc_cell) * (size_t)cfg->n_cells);
    if (!c->cell) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
    units = 0;
    for (l = 0; l < cfg->n_cells && !ld->st; l++) {
        smx__cfc_cell *cl = &c->cell[l];
        cl->in = l ? cfg->sizes[l - 1] : cfg->in;
        cl->n = cfg->sizes[l];
        cl->off = units;
        units += cl->n;
        if (cfg->wired) snprintf(p, sizeof p, "%srnn_cell.layer_%d.", prefix, l);
        else snprintf(p, sizeof p, "%srnn_cell.", prefix);
        smx__cfc_cell_load(ld, cfg, cl, p);
    }
    if (cfg->mixed) {
        c->lwx = SMX__W2(ld, 4 * c->units, c->in, "%slstm.input_map.weight", prefix);
        c->lb = SMX__W1(ld, 4 * c->units, "%slstm.input_map.bias", prefix);
        c->lwh = SMX__W2(ld, 4 * c->units, c->units, "%slstm.recurrent_map.weight", prefix);
    }
    if (cfg->proj) {
        c->fcw = SMX__W2(ld, cfg->proj, c->nout, "%sfc.weight", prefix);
        c->fcb = SMX__W1(ld, cfg->proj, "%sfc.bias", prefix);
    }
    return ld->st ? NULL : &c->base;
}

/* ===================================================================================== */
/* LTC: liquid time-constant cell ('L')                                                   */
/* ===================================================================================== */
/* N neurons, S sensory inputs, M motor neurons (ids 0..M-1). pos() = softplus when
 * implicit_param_constraints, else identity; masks are |adjacency| from the checkpoint.
 *   x = u * input_w + input_b                     (affine; linear: no b; other: identity)
 *   sa[j,i] = pos(sensory_w)[j,i] sigma(sensory_sigma[j,i] (x_j - sensory_mu[j,i])) smask[j,i]
 *   ns[i] = sum_j sa[j,i] sensory_erev[j,i];   ds[i] = sum_j sa[j,i]
 *   cm_t = pos(cm) / (ts / unfolds);  v = h
 *   repeat unfolds times:
 *     a[j,i] = pos(w)[j,i] sigma(sigma[j,i] (v_j - mu[j,i])) mask[j,i]
 *     v_i = (cm_t v_i + pos(gleak) vleak + sum_j a[j,i] erev[j,i] + ns_i)
 *           / (cm_t + pos(gleak) + sum_j a[j,i] + ds_i + eps)
 *   out = v[0:M] * output_w + output_b
 * With mixed memory the LSTM runs first on the raw input. The sensory sums depend on the input
 * only and run for all T steps before the recurrence. Constraints and masks are folded into
 * copies at load time: w_m = pos(w) * mask and w_e = w_m * erev (likewise sensory).
 * State: v [N] | c [N] (mixed memory only), in neuron-id order. */
enum { SMX__LTC_MAP_NONE, SMX__LTC_MAP_LINEAR, SMX__LTC_MAP_AFFINE };

typedef struct smx__ltc_cfg {
    int in, units, motor;   /* S, N, M */
    int unfolds;            /* ode_unfolds */
    int in_map, out_map;    /* SMX__LTC_MAP_* */
    int implicit;           /* implicit_param_constraints: softplus on w, sensory_w, cm, gleak */
    int mixed;
    float eps;
} smx__ltc_cfg;

typedef struct smx__ltc {
    smx__op base;
    int S, N, M, unfolds, mixed;
    float eps;
    const float *in_w, *in_b, *out_w, *out_b;   /* [S], [S], [M], [M]; NULL when unmapped */
    const float *ssig, *smu, *sigma, *mu;       /* [S, N], [S, N], [N, N], [N, N] */
    float *sw, *swe, *w, *we;                   /* [S, N], [S, N], [N, N], [N, N] folded */
    float *cm, *gl, *glv;                       /* [N]: pos(cm), pos(gleak), pos(gleak) * vleak */
    const float *lwx, *lb, *lwh;                /* LSTM */
} smx__ltc;

static size_t smx__ltc_state(const smx__op *op, int n_ctx)
{
    const smx__ltc *c = (const smx__ltc *)op;
    (void)n_ctx;
    return (size_t)c->N * (c->mixed ? 2 : 1) * sizeof(float);
}

static size_t smx__ltc_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__ltc *c = (const smx__ltc *)op;
    (void)n_ctx; (void)nth;
    return 2 * (size_t)T * c->N + (c->mixed ? (size_t)T * 4 * c->N + 4 * (size_t)c->N : 0) + 2 * (size_t)c->N +
           (size_t)c->S + 16;
}

/* Sensory sums of one step: ns[i] = sum_j sa[j,i] sensory_erev[j,i], ds[i] = sum_j sa[j,i]. */
static void smx__ltc_sensory(const smx__ltc *c, const float *u, float *ns, float *ds)
{
    const int N = c->N;
    int i, j;
    memset(ns, 0, sizeof(float) * (size_t)N);
    memset(ds, 0, sizeof(float) * (size_t)N);
    for (j = 0; j < c->S; j++) {
        const float *sg = c->ssig + (size_t)j * N, *mu = c->smu + (size_t)j * N;
        const float *sw = c->sw + (size_t)j * N, *se = c->swe + (size_t)j * N;
        float x = u[j];
        if (c->in_w) x *= c->in_w[j];
        if (c->in_b) x += c->in_b[j];
        for (i = 0; i < N; i++) {
            float s = 1.0f / (1.0f + expf(-(sg[i] * (x - mu[i]))));
            ns[i] += se[i] * s;
            ds[i] += sw[i] * s;
        }
    }
}

static void smx__ltc_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__ltc *c = (const smx__ltc *)op;
    const int T = f->T, N = c->N, S = c->S, M = c->M;
    float *v = (float *)state, *cs = v + N;                     /* [N], [N] */
    float *ns = f->scratch;                                     /* [T, N] sensory numerator */
    float *ds = ns + (size_t)T * N;                             /* [T, N] sensory denominator */
    float *pl = ds + (size_t)T * N;                             /* [T, 4N] LSTM input map (mixed) */
    float *lg = pl + (c->mixed ? (size_t)T * 4 * N : 0);        /* [4N] */
    float *num = lg + (c->mixed ? 4 * (size_t)N : 0);           /* [N] */
    float *den = num + N;                                       /* [N] */
    int t;
    /* sensory synapses, all steps at once */
    if (smx__lq_nth(T, S, N, f->nth) > 1) {
        SMX__OMP_FOR(f->nth)
        for (t = 0; t < T; t++) smx__ltc_sensory(c, f->x + (size_t)t * S, ns + (size_t)t * N, ds + (size_t)t * N);
    } else {
        for (t = 0; t < T; t++) smx__ltc_sensory(c, f->x + (size_t)t * S, ns + (size_t)t * N, ds + (size_t)t * N);
    }
    if (c->mixed) smx__lq_mm(pl, f->x, c->lwx, c->lb, T, S, 4 * N, f->nth);
    for (t = 0; t < T; t++) {
        const float ts = f->dt ? f->dt[t] : 1.0f, dtu = ts / (float)c->unfolds;
        const float *nr = ns + (size_t)t * N, *dr = ds + (size_t)t * N;
        float *y = f->y + (size_t)t * op->d_out;
        int k, i, j;
        if (c->mixed) smx__lq_lstm_step(v, cs, pl + (size_t)t * 4 * N, c->lwh, N, lg, f->nth);
        for (k = 0; k < c->unfolds; k++) {
            memcpy(num, nr, sizeof(float) * (size_t)N);
            memcpy(den, dr, sizeof(float) * (size_t)N);
            for (j = 0; j < N; j++) {
                const float vj = v[j];
                const float *sg = c->sigma + (size_t)j * N, *mu = c->mu + (size_t)j * N;
                const float *w = c->w + (size_t)j * N, *we = c->we + (size_t)j * N;
                for (i = 0; i < N; i++) {
                    float s = 1.0f / (1.0f + expf(-(sg[i] * (vj - mu[i]))));
                    num[i] += we[i] * s;
                    den[i] += w[i] * s;
                }
            }
            for (i = 0; i < N; i++) {
                float cmt = c->cm[i] / dtu;
                v[i] = (cmt * v[i] + c->glv[i] + num[i]) / (cmt + c->gl[i] + den[i] + c->eps);
            }
        }
        for (i = 0; i < M; i++) {
            float o = v[i];
            if (c->out_w) o *= c->out_w[i];
            if (c->out_b) o += c->out_b[i];
            y[i] = o;
        }
    }
}

static const smx__op_vt smx__ltc_vt = { "ltc", 'L', smx__ltc_state, NULL, smx__ltc_scratch, smx__ltc_forward, NULL };

static float smx__ltc_pos(int implicit, float x) { return implicit ? smx__softplus(x) : x; }

/* prefix: where the ncps module's tensors live ("" for a saved ncps LTC). d_in = S, d_out = M. */
static smx__op *smx__ltc_load(smx__loader *ld, const smx__ltc_cfg *cfg, const char *prefix)
{
    smx__ltc *c;
    const int S = cfg->in, N = cfg->units, M = cfg->motor;
    const float *w, *sw, *mask, *smask, *erev, *serev, *cm, *gl, *vl;
    size_t i;
    if (!smx__ld_check(ld, S > 0 && N > 0 && M > 0 && M <= N, SMX_E_RANGE,
                       "config.json: LTC needs input_size > 0 and 0 < output_size <= units (found %d, %d, %d)", S, M, N) ||
        !smx__ld_check(ld, cfg->unfolds > 0, SMX_E_RANGE, "config.json: ode_unfolds must be positive (found %d)", cfg->unfolds))
        return NULL;
    c = (smx__ltc *)smx__op_new(ld, sizeof *c, &smx__ltc_vt, S, M);
    if (!c) return NULL;
    c->S = S; c->N = N; c->M = M; c->unfolds = cfg->unfolds; c->mixed = cfg->mixed; c->eps = cfg->eps;
    gl = SMX__W1(ld, N, "%srnn_cell.gleak", prefix);
    vl = SMX__W1(ld, N, "%srnn_cell.vleak", prefix);
    cm = SMX__W1(ld, N, "%srnn_cell.cm", prefix);
    c->sigma = SMX__W2(ld, N, N, "%srnn_cell.sigma", prefix);
    c->mu = SMX__W2(ld, N, N, "%srnn_cell.mu", prefix);
    w = SMX__W2(ld, N, N, "%srnn_cell.w", prefix);
    erev = SMX__W2(ld, N, N, "%srnn_cell.erev", prefix);
    c->ssig = SMX__W2(ld, S, N, "%srnn_cell.sensory_sigma", prefix);
    c->smu = SMX__W2(ld, S, N, "%srnn_cell.sensory_mu", prefix);
    sw = SMX__W2(ld, S, N, "%srnn_cell.sensory_w", prefix);
    serev = SMX__W2(ld, S, N, "%srnn_cell.sensory_erev", prefix);
    mask = SMX__W2(ld, N, N, "%srnn_cell.sparsity_mask", prefix);
    smask = SMX__W2(ld, S, N, "%srnn_cell.sensory_sparsity_mask", prefix);
    if (cfg->in_map != SMX__LTC_MAP_NONE) c->in_w = SMX__W1(ld, S, "%srnn_cell.input_w", prefix);
    if (cfg->in_map == SMX__LTC_MAP_AFFINE) c->in_b = SMX__W1(ld, S, "%srnn_cell.input_b", prefix);
    if (cfg->out_map != SMX__LTC_MAP_NONE) c->out_w = SMX__W1(ld, M, "%srnn_cell.output_w", prefix);
    if (cfg->out_map == SMX__LTC_MAP_AFFINE) c->out_b = SMX__W1(ld, M, "%srnn_cell.output_b", prefix);
    if (cfg->mixed) {
        c->lwx = SMX__W2(ld, 4 * N, S, "%slstm.input_map.weight", prefix);
        c->lb = SMX__W1(ld, 4 * N, "%slstm.input_map.bias", prefix);
        c->lwh = SMX__W2(ld, 4 * N, N, "%slstm.recurrent_map.weight", prefix);
    }
    c->w = smx__ld_alloc(ld, (size_t)N * N);
    c->we = smx__ld_alloc(ld, (size_t)N * N);
    c->sw = smx__ld_alloc(ld, (size_t)S * N);
    c->swe = smx__ld_alloc(ld, (size_t)S * N);
    c->cm = smx__ld_alloc(ld, (size_t)N);
    c->gl = smx__ld_alloc(ld, (size_t)N);
    c->glv = smx__ld_alloc(ld, (size_t)N);
    if (ld->st) return NULL;
    for (i = 0; i < (size_t)N * N; i++) {
        c->w[i] = smx__ltc_pos(cfg->implicit, w[i]) * mask[i];
        c->we[i] = c->w[i] * erev[i];
    }
    for (i = 0; i < (size_t)S * N; i++) {
        c->sw[i] = smx__ltc_pos(cfg->implicit, sw[i]) * smask[i];
        c->swe[i] = c->sw[i] * serev[i];
    }
    for (i = 0; i < (size_t)N; i++) {
        c->cm[i] = smx__ltc_pos(cfg->implicit, cm[i]);
        c->gl[i] = smx__ltc_pos(cfg->implicit, gl[i]);
        c->glv[i] = c->gl[i] * vl[i];
    }
    return &c->base;
}

/* ---- ncps families: config.json holds the constructor arguments ---- */

/* A feature model around one liquid operator. */
static void smx__liquid_model(smx__loader *ld, smx__op *op, int in, int units)
{
    smx_model *m = ld->m;
    m->kind = SMX_KIND_FEATURES;
    m->d_in = in;
    m->d = units;
    smx__add_sub(ld, SMX__NORM_NONE, 0.0f, NULL, NULL, op, 0);
}

/* Shared CfC keys: mode, proj_size, mixed_memory. */
static void smx__cfc_common(smx__loader *ld, smx__cfc_cfg *c)
{
    const char *mode = smx__cs(ld, NULL, "mode", "default");
    c->in = smx__ci_pos(ld, NULL, "input_size", 0);
    c->proj = smx__ci(ld, NULL, "proj_size", 0);
    c->mixed = smx__cb(ld, NULL, "mixed_memory", 0);
    if (!strcmp(mode, "default")) c->mode = SMX__CFC_DEFAULT;
    else if (!strcmp(mode, "pure")) c->mode = SMX__CFC_PURE;
    else if (!strcmp(mode, "no_gate")) c->mode = SMX__CFC_NOGATE;
    else smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: mode '%s' is not supported (default, pure, no_gate)", mode);
    smx__ld_check(ld, c->proj >= 0, SMX_E_RANGE, "config.json: proj_size must be positive or null (found %d)", c->proj);
}

static smx_status smx__build_cfc(smx__loader *ld)
{
    smx__cfc_cfg c;
    const char *act;
    int units;
    memset(&c, 0, sizeof c);
    smx__cfc_common(ld, &c);
    units = smx__ci_pos(ld, NULL, "units", 0);
    act = smx__cs(ld, NULL, "activation", "lecun_tanh");
    c.act = smx__act_by_name(act);
    smx__ld_check(ld, c.act == SMX__ACT_LECUN_TANH || c.act == SMX__ACT_TANH || c.act == SMX__ACT_RELU || c.act == SMX__ACT_SILU ||
                  (c.act == SMX__ACT_GELU && !strcmp(act, "gelu")), SMX_E_UNSUPPORTED,
                  "config.json: activation '%s' is not supported (lecun_tanh, tanh, relu, silu, gelu)", act);
    c.bb_layers = smx__ci(ld, NULL, "backbone_layers", 1);
    c.bb_units = smx__ci(ld, NULL, "backbone_units", 128);
    c.bb_dropout = smx__cf(ld, NULL, "backbone_dropout", 0.0) > 0.0;
    smx__ld_check(ld, c.bb_layers >= 0 && (c.bb_layers == 0 || c.bb_units > 0), SMX_E_RANGE,
                  "config.json: backbone_layers %d / backbone_units %d are invalid", c.bb_layers, c.bb_units);
    c.n_cells = 1;
    c.sizes[0] = units;
    if (ld->st) return ld->st;
    smx__liquid_model(ld, smx__cfc_load(ld, &c, ""), c.in, units);
    return ld->st;
}
#define SMX__BUILD_CFC smx__build_cfc

/* Wired CfC: layer_sizes lists the neurons of each wiring layer (NCP: inter, command, motor);
 * without it the sizes are read from the checkpoint's rnn_cell.layer_%d.ff1.weight rows. */
static smx_status smx__build_wired_cfc(smx__loader *ld)
{
    smx__cfc_cfg c;
    const smx__jv *ls = smx__cfg_get(ld, NULL, "layer_sizes");
    int units, total = 0, l;
    memset(&c, 0, sizeof c);
    smx__cfc_common(ld, &c);
    units = smx__ci_pos(ld, NULL, "units", 0);
    c.act = SMX__ACT_LECUN_TANH;
    c.wired = 1;
    if (ls) {
        const smx__jv *e;
        if (!smx__ld_check(ld, ls->type == SMX__J_ARR && ls->n >= 1 && ls->n <= SMX__CFC_MAX_CELLS, SMX_E_FORMAT,
                           "config.json: 'layer_sizes' must be a list of 1 to %d sizes", SMX__CFC_MAX_CELLS))
            return ld->st;
        for (e = ls->child; e; e = e->next) {
            if (!smx__ld_check(ld, e->type == SMX__J_NUM && e->num >= 1 && e->num == floor(e->num) && e->num < 1e8, SMX_E_FORMAT,
                               "config.json: 'layer_sizes' entries must be positive integers"))
                return ld->st;
            c.sizes[c.n_cells++] = (int)e->num;
        }
    } else {
        int64_t sh[8];
        while (c.n_cells < SMX__CFC_MAX_CELLS && smx__tensor_shape(ld, sh, "rnn_cell.layer_%d.ff1.weight", c.n_cells) == 2)
            c.sizes[c.n_cells++] = (int)sh[0];
        smx__ld_check(ld, c.n_cells > 0, SMX_E_MISSING, "config.json: required field 'layer_sizes' is missing");
    }
    for (l = 0; l < c.n_cells; l++) total += c.sizes[l];
    smx__ld_check(ld, total == units, SMX_E_RANGE, "config.json: layer_sizes add up to %d neurons but units is %d", total, units);
    if (smx__cfg_has(ld, NULL, "output_size"))
        smx__ld_check(ld, smx__ci(ld, NULL, "output_size", 0) == c.sizes[c.n_cells - 1], SMX_E_RANGE,
                      "config.json: output_size %d differs from the last wiring layer (%d motor neurons)",
                      smx__ci(ld, NULL, "output_size", 0), c.sizes[c.n_cells - 1]);
    if (ld->st) return ld->st;
    smx__liquid_model(ld, smx__cfc_load(ld, &c, ""), c.in, units);
    return ld->st;
}
#define SMX__BUILD_WIRED_CFC smx__build_wired_cfc

static int smx__ltc_map(smx__loader *ld, const char *key)
{
    const char *s = smx__cs(ld, NULL, key, "affine");
    if (!strcmp(s, "affine")) return SMX__LTC_MAP_AFFINE;
    if (!strcmp(s, "linear")) return SMX__LTC_MAP_LINEAR;
    return SMX__LTC_MAP_NONE;   /* the reference treats every other value as the identity */
}

static smx_status smx__build_ltc(smx__loader *ld)
{
    smx__ltc_cfg c;
    memset(&c, 0, sizeof c);
    c.in = smx__ci_pos(ld, NULL, "input_size", 0);
    c.units = smx__ci_pos(ld, NULL, "units", 0);
    c.motor = smx__ci_pos(ld, NULL, "output_size", c.units);
    c.unfolds = smx__ci_pos(ld, NULL, "ode_unfolds", 6);
    c.eps = (float)smx__cf(ld, NULL, "epsilon", 1e-8);
    c.implicit = smx__cb(ld, NULL, "implicit_param_constraints", 1);
    c.mixed = smx__cb(ld, NULL, "mixed_memory", 0);
    smx__ld_check(ld, !smx__cb(ld, NULL, "use_swish_activation", 0), SMX_E_UNSUPPORTED,
                  "config.json: use_swish_activation is not supported (ncps 1.0.1 LTC)");
    c.in_map = smx__ltc_map(ld, "input_mapping");
    c.out_map = smx__ltc_map(ld, "output_mapping");
    if (ld->st) return ld->st;
    smx__liquid_model(ld, smx__ltc_load(ld, &c, ""), c.in, c.units);
    return ld->st;
}
#define SMX__BUILD_LTC smx__build_ltc

/* ---- public: liquid state ---- */
SMX_API int smx_model_liquid_units(const smx_model *m, int *has_c)
{
    const smx__op *op;
    if (has_c) *has_c = 0;
    if (!m || m->kind != SMX_KIND_FEATURES || m->n_sub != 1) return 0;
    op = m->sub[0].op;
    if (op->vt == &smx__cfc_vt) {
        if (has_c) *has_c = ((const smx__cfc *)op)->mixed;
        return ((const smx__cfc *)op)->units;
    }
    if (op->vt == &smx__ltc_vt) {
        if (has_c) *has_c = ((const smx__ltc *)op)->mixed;
        return ((const smx__ltc *)op)->N;
    }
    return 0;
}

/* ---- layer types for hybrid stacks (model_type "seqmix"): settings from the layer object ----
 * shortconv: conv_kernel (3), bias (false)
 * cfc:       backbone_units (width), backbone_layers (1), mode ("default"), activation
 *            ("lecun_tanh"), mixed_memory (false); units = input = width, no projection, unit
 *            elapsed time between tokens. Tensors under the prefix as for the ncps CfC module. */
static smx__op *smx__lt_shortconv(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__sconv_cfg c;
    c.d = d;
    c.L = smx__ci_pos(ld, o, "conv_kernel", 3);
    c.bias = smx__cb(ld, o, "bias", 0);
    return ld->st ? NULL : smx__sconv_load(ld, &c, prefix);
}
#define SMX__LT_SHORTCONV smx__lt_shortconv

static smx__op *smx__lt_cfc(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__cfc_cfg c;
    const char *mode = smx__cs(ld, o, "mode", "default"), *act = smx__cs(ld, o, "activation", "lecun_tanh");
    memset(&c, 0, sizeof c);
    c.in = d;
    c.n_cells = 1;
    c.sizes[0] = d;
    c.bb_layers = smx__ci(ld, o, "backbone_layers", 1);
    c.bb_units = smx__ci(ld, o, "backbone_units", d);
    c.mixed = smx__cb(ld, o, "mixed_memory", 0);
    c.act = smx__act_by_name(act);
    c.mode = !strcmp(mode, "pure") ? SMX__CFC_PURE : !strcmp(mode, "no_gate") ? SMX__CFC_NOGATE : SMX__CFC_DEFAULT;
    smx__ld_check(ld, !strcmp(mode, "default") || c.mode != SMX__CFC_DEFAULT, SMX_E_UNSUPPORTED,
                  "config.json: cfc layer mode '%s' is not supported (default, pure, no_gate)", mode);
    smx__ld_check(ld, c.act >= 0, SMX_E_UNSUPPORTED, "config.json: cfc layer activation '%s' is not supported", act);
    return ld->st ? NULL : smx__cfc_load(ld, &c, prefix);
}
#define SMX__LT_CFC smx__lt_cfc
