/* ===================================================================================== */
/* II.7.b xLSTM: mLSTM (xLSTM-7B style) and the original xLSTM LM (mLSTM + sLSTM blocks)  */
/* ===================================================================================== */
/* Two released forms share one mLSTM cell.
 *   xLSTMForCausalLM (model_type "xlstm", transformers' native path): per block
 *       h += mLSTM(RMSNorm(h)),  h += SwiGLU(RMSNorm(h));  final RMSNorm;  logits = cap * tanh(logits / cap).
 *   xLSTMLMModel (model_type "xlstm_lm", NX-AI xlstm): mLSTM blocks  h += mLSTM_lm(LN(h))  and sLSTM blocks
 *       h += sLSTM(LN(h)),  h += GatedFFN(LN(h)),  placed by slstm_at; every LayerNorm uses weight 1 + w.
 *
 * mLSTM cell, per head; state C [dqk, dv], n [dqk], m (scalar), all zero at the start:
 *   lf = logsigmoid(f~);  m' = max(lf + m, i~);  f' = exp(lf + m - m');  i' = exp(i~ - m')
 *   C' = f' C + i' k v^T;   n' = f' n + i' k;   h = C'^T q / (max(|q . n'|, exp(-m')) + eps)
 * The 7B form scales q by 1/sqrt(dqk), the original form scales k; the products are the same.
 * T > 1 runs the chunkwise form. In a chunk of L tokens with b_t = sum_{s<=t} lf_s (from the chunk
 * start) and chunk-start state (C0, n0, m0):
 *   mc_t = max(b_t + m0, max_{s<=t}(b_t - b_s + i~_s)),   D_ts = exp(b_t - b_s + i~_s - mc_t),   g_t = exp(b_t + m0 - mc_t)
 *   h_t  = (g_t C0^T q_t + sum_{s<=t} D_ts (q_t . k_s) v_s) / (max(|g_t q_t . n0 + sum_{s<=t} D_ts (q_t . k_s)|, exp(-mc_t)) + eps)
 * and the state moves to the chunk end with G = b_{L-1}, a_s = G - b_s + i~_s:
 *   m1 = max(G + m0, max_s a_s);   C1 = exp(G + m0 - m1) C0 + sum_s exp(a_s - m1) k_s v_s^T;   n1 likewise.
 * This is the recurrence unrolled (the same m_t, so the same exp(-m) floor): chunkwise and step agree to
 * rounding. The original model's full-sequence form (parallel_stabilized_simple, row-wise stabiliser
 * without the m0 term) is the same computation with m0 = -inf; it serves a prefill from an empty state,
 * the reference's own recurrent step serves T = 1.
 *
 * sLSTM (original LM), per head of dh channels, gates in the order i, f, z, o; state y, c, n, m [E]:
 *   raw_g = W_g x_g + R_g y_{t-1} + b_g   (W_g, R_g block-diagonal per head; x_i = x_f = silu(conv(x)), x_z = x_o = x)
 *   m_t = raw_i if every n_{t-1} is 0, else max(raw_i, m_{t-1} + logsigmoid(raw_f))
 *   i = min(exp(raw_i - m_t), 1);  f = min(exp(m_{t-1} + logsigmoid(raw_f) - m_t), 1)
 *   c_t = f c + i tanh(raw_z);  n_t = f n + i;  y_t = sigmoid(raw_o) c_t / n_t;   out = GroupNorm_heads(y_t)
 *
 * Operator state layouts (floats, position-independent):
 *   mLSTM (7B):       C [nh][dqk][dv] | n [nh][dqk] | m [nh]
 *   mLSTM (original): conv history [K-1][I] (oldest first) | C [nh][dh][dh] | n [nh][dh] | m [nh]
 *   sLSTM:            conv history [K-1][E] | y [E] | c [E] | n [E] | m [E]
 */

/* ---- Small kernels ---- */

/* y[M, N] (row stride ldy) = (beta ? y : 0) + A B, with A(i, k) = A[i * ais + k * aks] and B row-major
 * [K, N] with row stride ldb. Register tiles of 8 (AVX-512) or 4 rows by 2 vectors of columns. */
static void smx__xl_gemm(float *y, size_t ldy, const float *A, size_t ais, size_t aks, const float *B, size_t ldb,
                         int M, int K, int N, int beta)
{
    int i = 0, j, k, r;
#if SMX__VW >= 16
    /* with 32 vector registers: 8 rows by 2 vectors (16 accumulators) halve the reads of B */
    for (; i + 8 <= M && N >= 2 * SMX__VW; i += 8) {
        const float *a0 = A + (size_t)i * ais;
        float *y0 = y + (size_t)i * ldy;
        for (j = 0; j + 2 * SMX__VW <= N; j += 2 * SMX__VW) {
            smx__vf c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
#define SMX__XL_LD(cr0, cr1, rr) \
            cr0 = beta ? smx__vld(y0 + (size_t)(rr) * ldy + j) : smx__vzero(); \
            cr1 = beta ? smx__vld(y0 + (size_t)(rr) * ldy + j + SMX__VW) : smx__vzero()
#define SMX__XL_FMA(cr0, cr1, rr) \
            x = smx__vset1(ak[(size_t)(rr) * ais]); cr0 = smx__vfma(x, b0, cr0); cr1 = smx__vfma(x, b1, cr1)
#define SMX__XL_ST(cr0, cr1, rr) \
            smx__vst(y0 + (size_t)(rr) * ldy + j, cr0); smx__vst(y0 + (size_t)(rr) * ldy + j + SMX__VW, cr1)
            SMX__XL_LD(c00, c01, 0); SMX__XL_LD(c10, c11, 1); SMX__XL_LD(c20, c21, 2); SMX__XL_LD(c30, c31, 3);
            SMX__XL_LD(c40, c41, 4); SMX__XL_LD(c50, c51, 5); SMX__XL_LD(c60, c61, 6); SMX__XL_LD(c70, c71, 7);
            for (k = 0; k < K; k++) {
                const float *bk = B + (size_t)k * ldb + j, *ak = a0 + (size_t)k * aks;
                smx__vf b0 = smx__vld(bk), b1 = smx__vld(bk + SMX__VW), x;
                SMX__XL_FMA(c00, c01, 0); SMX__XL_FMA(c10, c11, 1); SMX__XL_FMA(c20, c21, 2); SMX__XL_FMA(c30, c31, 3);
                SMX__XL_FMA(c40, c41, 4); SMX__XL_FMA(c50, c51, 5); SMX__XL_FMA(c60, c61, 6); SMX__XL_FMA(c70, c71, 7);
            }
            SMX__XL_ST(c00, c01, 0); SMX__XL_ST(c10, c11, 1); SMX__XL_ST(c20, c21, 2); SMX__XL_ST(c30, c31, 3);
            SMX__XL_ST(c40, c41, 4); SMX__XL_ST(c50, c51, 5); SMX__XL_ST(c60, c61, 6); SMX__XL_ST(c70, c71, 7);
#undef SMX__XL_LD
#undef SMX__XL_FMA
#undef SMX__XL_ST
        }
        if (j < N) smx__xl_gemm(y0 + j, ldy, a0, ais, aks, B + j, ldb, 8, K, N - j, beta);   /* column tail: 4-row tiles */
    }
#endif
    for (; i + 4 <= M; i += 4) {
        const float *a0 = A + (size_t)i * ais, *a1 = a0 + ais, *a2 = a1 + ais, *a3 = a2 + ais;
        float *y0 = y + (size_t)i * ldy, *y1 = y0 + ldy, *y2 = y1 + ldy, *y3 = y2 + ldy;
        for (j = 0; j + 2 * SMX__VW <= N; j += 2 * SMX__VW) {
            smx__vf c00, c01, c10, c11, c20, c21, c30, c31;
            if (beta) {
                c00 = smx__vld(y0 + j); c01 = smx__vld(y0 + j + SMX__VW); c10 = smx__vld(y1 + j); c11 = smx__vld(y1 + j + SMX__VW);
                c20 = smx__vld(y2 + j); c21 = smx__vld(y2 + j + SMX__VW); c30 = smx__vld(y3 + j); c31 = smx__vld(y3 + j + SMX__VW);
            } else {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = smx__vzero();
            }
            for (k = 0; k < K; k++) {
                const float *bk = B + (size_t)k * ldb + j;
                smx__vf b0 = smx__vld(bk), b1 = smx__vld(bk + SMX__VW), x;
                size_t ko = (size_t)k * aks;
                x = smx__vset1(a0[ko]); c00 = smx__vfma(x, b0, c00); c01 = smx__vfma(x, b1, c01);
                x = smx__vset1(a1[ko]); c10 = smx__vfma(x, b0, c10); c11 = smx__vfma(x, b1, c11);
                x = smx__vset1(a2[ko]); c20 = smx__vfma(x, b0, c20); c21 = smx__vfma(x, b1, c21);
                x = smx__vset1(a3[ko]); c30 = smx__vfma(x, b0, c30); c31 = smx__vfma(x, b1, c31);
            }
            smx__vst(y0 + j, c00); smx__vst(y0 + j + SMX__VW, c01); smx__vst(y1 + j, c10); smx__vst(y1 + j + SMX__VW, c11);
            smx__vst(y2 + j, c20); smx__vst(y2 + j + SMX__VW, c21); smx__vst(y3 + j, c30); smx__vst(y3 + j + SMX__VW, c31);
        }
        for (; j + SMX__VW <= N; j += SMX__VW) {
            smx__vf c0, c1, c2, c3;
            if (beta) { c0 = smx__vld(y0 + j); c1 = smx__vld(y1 + j); c2 = smx__vld(y2 + j); c3 = smx__vld(y3 + j); }
            else c0 = c1 = c2 = c3 = smx__vzero();
            for (k = 0; k < K; k++) {
                smx__vf b0 = smx__vld(B + (size_t)k * ldb + j);
                size_t ko = (size_t)k * aks;
                c0 = smx__vfma(smx__vset1(a0[ko]), b0, c0); c1 = smx__vfma(smx__vset1(a1[ko]), b0, c1);
                c2 = smx__vfma(smx__vset1(a2[ko]), b0, c2); c3 = smx__vfma(smx__vset1(a3[ko]), b0, c3);
            }
            smx__vst(y0 + j, c0); smx__vst(y1 + j, c1); smx__vst(y2 + j, c2); smx__vst(y3 + j, c3);
        }
        for (; j < N; j++)
            for (r = 0; r < 4; r++) {
                const float *ar = A + (size_t)(i + r) * ais;
                float s = beta ? y[(size_t)(i + r) * ldy + j] : 0.0f;
                for (k = 0; k < K; k++) s += ar[(size_t)k * aks] * B[(size_t)k * ldb + j];
                y[(size_t)(i + r) * ldy + j] = s;
            }
    }
    for (; i < M; i++) {
        const float *ar = A + (size_t)i * ais;
        float *yr = y + (size_t)i * ldy;
        for (j = 0; j + SMX__VW <= N; j += SMX__VW) {
            smx__vf c0 = beta ? smx__vld(yr + j) : smx__vzero();
            for (k = 0; k < K; k++) c0 = smx__vfma(smx__vset1(ar[(size_t)k * aks]), smx__vld(B + (size_t)k * ldb + j), c0);
            smx__vst(yr + j, c0);
        }
        for (; j < N; j++) {
            float s = beta ? yr[j] : 0.0f;
            for (k = 0; k < K; k++) s += ar[(size_t)k * aks] * B[(size_t)k * ldb + j];
            yr[j] = s;
        }
    }
}

/* The scalar twin of smx__xl_gemm (tests compare the two). */
SMX__MAYBE_UNUSED static void smx__xl_gemm_ref(float *y, size_t ldy, const float *A, size_t ais, size_t aks, const float *B,
                                               size_t ldb, int M, int K, int N, int beta)
{
    int i, j, k;
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) {
            float s = beta ? y[(size_t)i * ldy + j] : 0.0f;
            for (k = 0; k < K; k++) s += A[(size_t)i * ais + (size_t)k * aks] * B[(size_t)k * ldb + j];
            y[(size_t)i * ldy + j] = s;
        }
}

/* row = a * row + b * v;  y += s * row   (n floats): one row of an mLSTM state update fused with
 * its contribution to the read-out. */
static void smx__xl_row_update(float *SMX__RESTRICT row, float a, float b, const float *SMX__RESTRICT v, float s,
                               float *SMX__RESTRICT y, int n)
{
    smx__vf va = smx__vset1(a), vb = smx__vset1(b), vs = smx__vset1(s);
    int j = 0;
    for (; j + SMX__VW <= n; j += SMX__VW) {
        smx__vf r = smx__vfma(vb, smx__vld(v + j), smx__vmul(va, smx__vld(row + j)));
        smx__vst(row + j, r);
        smx__vst(y + j, smx__vfma(vs, r, smx__vld(y + j)));
    }
    for (; j < n; j++) {
        float r = a * row[j] + b * v[j];
        row[j] = r;
        y[j] += s * r;
    }
}

/* Threads worth using for about `work` multiply-adds split over tasks (forking costs microseconds). */
SMX__MAYBE_UNUSED static int smx__xl_nth(int nth, double work) { return work < 65536.0 ? 1 : nth; }

/* Python's a // b for finite a, b > 0 (floor of the exact quotient, as Python computes it). */
static double smx__xl_floordiv(double a, double b)
{
    double mod = fmod(a, b), div = (a - mod) / b, fl;
    if (mod != 0.0 && mod < 0.0) div -= 1.0;
    fl = floor(div);
    if (div - fl > 0.5) fl += 1.0;
    return fl;
}

/* Causal depthwise conv over T rows continuing from hist [K-1, C] (oldest row first), then silu:
 *   y[t, c] = silu(b[c] + sum_k wT[k, c] x[t - (K-1) + k, c])      (rows before t = 0 come from hist)
 * x has row stride ldx; y [T, C]. hist becomes the last K-1 inputs. */
static void smx__xl_conv(float *y, const float *x, size_t ldx, float *hist, const float *wT, const float *b, int T,
                         int C, int K, int nth)
{
    int t, H = K - 1;
    (void)nth;
    SMX__OMP_FOR(smx__xl_nth(nth, (double)T * C * K))
    for (t = 0; t < T; t++) {
        float *yr = y + (size_t)t * C;
        int k, c;
        memcpy(yr, b, sizeof(float) * (size_t)C);
        for (k = 0; k < K; k++) {
            int tau = t - H + k;
            const float *src = tau >= 0 ? x + (size_t)tau * ldx : hist + (size_t)(H + tau) * C;
            const float *wk = wT + (size_t)k * C;
            for (c = 0; c < C; c++) yr[c] += wk[c] * src[c];
        }
        for (c = 0; c < C; c++) yr[c] = smx__silu(yr[c]);
    }
    if (H > 0) {   /* hist = last H rows of [hist; x] */
        int keep = H - T, r;
        if (keep > 0) memmove(hist, hist + (size_t)T * C, sizeof(float) * (size_t)keep * C);
        for (r = keep > 0 ? keep : 0; r < H; r++)
            memcpy(hist + (size_t)r * C, x + (size_t)(T - H + r) * ldx, sizeof(float) * (size_t)C);
    }
}

/* Block-diagonal projection (LinearHeadwiseExpand with equal widths): nb blocks of bs,
 *   y[t, j*bs + o] = sum_d x[t, j*bs + d] W[j, o, d] (+ bias[j*bs + o])
 * x, y have row strides ldx, ldy. Wide blocks run the tiled matmul per block; narrow ones (the
 * original mLSTM's 4x4 q/k/v blocks) a plain loop over rows. */
static void smx__xl_headwise(float *y, size_t ldy, const float *x, size_t ldx, const float *W, const float *bias, int nb,
                             int bs, int T, int nth)
{
    const int n = nb * bs;
    int t;
    if (bs >= 16) {
        int j;
        for (j = 0; j < nb; j++)
            smx__matmul_ld(y + (size_t)j * bs, ldy, x + (size_t)j * bs, ldx, W + (size_t)j * bs * bs, (size_t)bs,
                           bias ? bias + (size_t)j * bs : NULL, T, bs, bs, nth);
        return;
    }
    (void)nth;
    SMX__OMP_FOR(smx__xl_nth(nth, (double)T * n * bs))
    for (t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * ldx;
        float *yr = y + (size_t)t * ldy;
        int r, d;
        for (r = 0; r < n; r++) {
            const float *xb = xr + (size_t)(r / bs) * bs, *w = W + (size_t)r * bs;
            float s = bias ? bias[r] : 0.0f;
            for (d = 0; d < bs; d++) s += xb[d] * w[d];
            yr[r] = s;
        }
    }
}

/* Several matrix-vector products over one input in one parallel loop (decode):
 *   y_p = W_p x + b_p   for p < np, W_p [N_p, K] */
typedef struct smx__xl_mv {
    const float *W, *b;
    float *y;
    int N;
} smx__xl_mv;

static void smx__xl_matvecs(const float *x, int K, const smx__xl_mv *p, int np, int nth)
{
    int total = 0, r, i;
    for (i = 0; i < np; i++) total += p[i].N;
    (void)nth;
    SMX__OMP_FOR(smx__xl_nth(nth, (double)total * K))
    for (r = 0; r < total; r++) {
        int j = 0, rr = r;
        while (rr >= p[j].N) rr -= p[j++].N;
        p[j].y[rr] = smx__dot(x, p[j].W + (size_t)rr * K, K) + (p[j].b ? p[j].b[rr] : 0.0f);
    }
}

/* ---- The mLSTM cell: recurrent step and chunkwise form (see the section comment) ---- */
typedef struct smx__mcell {
    int nh, dqk, dv, chunk;
    float eps;
} smx__mcell;

#define SMX__MC_TB 16   /* output rows per task in the chunkwise form */
#define SMX__MC_RB 16   /* state rows per task in the chunkwise form */

static size_t smx__mcell_state_floats(const smx__mcell *c)
{
    return (size_t)c->nh * ((size_t)c->dqk * c->dv + (size_t)c->dqk + 1);
}

static size_t smx__mcell_scratch(const smx__mcell *c, int T, int nth)
{
    size_t L = (size_t)SMX__MIN(c->chunk, T);
    /* b, w [nh][L]; m0, m1, gC [nh]; vw [nh][L][dv]; per thread: D [TB][L] and g, mc, den [TB] */
    return (size_t)c->nh * (2 * L + 3 + L * (size_t)c->dv) + (size_t)(nth > 0 ? nth : 1) * (SMX__MC_TB * L + 3 * SMX__MC_TB) + 16;
}

/* One token. q, k [nh * dqk], v [nh * dv], ig, fg [nh] (pre-activations); h [nh * dv]. */
static void smx__mcell_step(const smx__mcell *c, float *st, const float *q, const float *k, const float *v, const float *ig,
                            const float *fg, float *h, int nth)
{
    const int nh = c->nh, dqk = c->dqk, dv = c->dv;
    float *C = st, *N = st + (size_t)nh * dqk * dv, *Mx = N + (size_t)nh * dqk;
    int hh;
    (void)nth;
    SMX__OMP_FOR(smx__xl_nth(nth, (double)nh * dqk * dv))
    for (hh = 0; hh < nh; hh++) {
        float *Ch = C + (size_t)hh * dqk * dv, *nv = N + (size_t)hh * dqk, *y = h + (size_t)hh * dv;
        const float *qh = q + (size_t)hh * dqk, *kh = k + (size_t)hh * dqk, *vh = v + (size_t)hh * dv;
        /* m' = max(lf + m, i~);  f' = exp(lf + m - m');  i' = exp(i~ - m') */
        float lf = smx__logsigmoid(fg[hh]), m = Mx[hh], mn = SMX__MAX(lf + m, ig[hh]);
        float fa = expf(lf + m - mn), ia = expf(ig[hh] - mn), qn = 0.0f, den;
        int r, j;
        memset(y, 0, sizeof(float) * (size_t)dv);
        /* C' = f' C + i' k v^T and y = C'^T q, row by row; n' = f' n + i' k */
        for (r = 0; r < dqk; r++) {
            float kr = ia * kh[r];
            smx__xl_row_update(Ch + (size_t)r * dv, fa, kr, vh, qh[r], y, dv);
            nv[r] = fa * nv[r] + kr;
            qn += qh[r] * nv[r];
        }
        Mx[hh] = mn;
        /* h = y / (max(|q . n'|, exp(-m')) + eps) */
        den = SMX__MAX(fabsf(qn), expf(-mn)) + c->eps;
        for (j = 0; j < dv; j++) y[j] /= den;
    }
}

/* T tokens in chunks of c->chunk. q, k rows (strides ldq, ldk) hold head hh at hh*dqk, v rows at hh*dv,
 * gates at ig[t*ldg + hh]. h: output rows (stride ldh). fresh: start from m0 = -inf (the original
 * model's parallel form of an empty state) instead of the stored m. */
static void smx__mcell_chunks(const smx__mcell *c, float *st, const float *q, size_t ldq, const float *k, size_t ldk,
                              const float *v, size_t ldv, const float *ig, const float *fg, size_t ldg, float *h, size_t ldh,
                              int T, int fresh, float *scratch, int nth)
{
    const int nh = c->nh, dqk = c->dqk, dv = c->dv, L = SMX__MIN(c->chunk, T);
    const int nthr = nth > 0 ? nth : 1;
    float *C = st, *N = st + (size_t)nh * dqk * dv, *Mx = N + (size_t)nh * dqk;
    float *b = scratch;                             /* [nh][L] b_s from the chunk start */
    float *w = b + (size_t)nh * L;                  /* [nh][L] exp(a_s - m1) */
    float *m0 = w + (size_t)nh * L;                 /* [nh] chunk-start m */
    float *m1 = m0 + nh, *gC = m1 + nh;             /* [nh] chunk-end m, exp(G + m0 - m1) */
    float *vw = gC + nh;                            /* [nh][L][dv] exp(a_s - m1) v_s */
    float *thr = vw + (size_t)nh * L * dv;          /* [nthr][TB*L + 3*TB] per-thread rows of D; g, mc, den */
    const size_t per_thr = (size_t)SMX__MC_TB * L + 3 * SMX__MC_TB;
    int c0;
    for (c0 = 0; c0 < T; c0 += L) {
        const int Lc = SMX__MIN(L, T - c0), ntb = (Lc + SMX__MC_TB - 1) / SMX__MC_TB, nrb = (dqk + SMX__MC_RB - 1) / SMX__MC_RB;
        const double work = (double)Lc * dqk * dv;
        int hh, task;
        (void)work; (void)nthr;
        /* chunk scalars per head: b_s, m0, m1 = max(G + m0, max_s a_s), gC = exp(G + m0 - m1), w_s, w_s v_s */
        for (hh = 0; hh < nh; hh++) {
            float *bh = b + (size_t)hh * L, *wh = w + (size_t)hh * L, G, amax = -INFINITY, mm;
            double acc = 0.0;
            int s, j;
            mm = (fresh && c0 == 0) ? -INFINITY : Mx[hh];
            for (s = 0; s < Lc; s++) {
                acc += (double)smx__logsigmoid(fg[(size_t)(c0 + s) * ldg + hh]);
                bh[s] = (float)acc;
            }
            G = bh[Lc - 1];
            for (s = 0; s < Lc; s++) {
                wh[s] = G - bh[s] + ig[(size_t)(c0 + s) * ldg + hh];
                if (wh[s] > amax) amax = wh[s];
            }
            m0[hh] = mm;
            m1[hh] = SMX__MAX(G + mm, amax);
            gC[hh] = expf(G + mm - m1[hh]);
            for (s = 0; s < Lc; s++) {
                const float *vs = v + (size_t)(c0 + s) * ldv + (size_t)hh * dv;
                float *o = vw + ((size_t)hh * L + s) * dv;
                wh[s] = expf(wh[s] - m1[hh]);
                for (j = 0; j < dv; j++) o[j] = wh[s] * vs[j];
            }
        }
        /* outputs of the chunk from the chunk-start state, TB rows per task */
        SMX__OMP_FOR_DYN(smx__xl_nth(nthr, 2.0 * work))
        for (task = 0; task < nh * ntb; task++) {
            const int th = task / ntb, tb0 = (task % ntb) * SMX__MC_TB, tb1 = SMX__MIN(Lc, tb0 + SMX__MC_TB), nb = tb1 - tb0;
            float *D = thr + (size_t)smx__tid() * per_thr;     /* [nb][tb1] */
            float *gg = D + (size_t)SMX__MC_TB * L, *mc = gg + SMX__MC_TB, *den = mc + SMX__MC_TB;
            const float *bh = b + (size_t)th * L, *C0 = C + (size_t)th * dqk * dv, *n0 = N + (size_t)th * dqk;
            const float mm = m0[th];
            const int inter = mm > -INFINITY;
            float *yb = h + (size_t)(c0 + tb0) * ldh + (size_t)th * dv;
            int t, s, j;
            for (t = tb0; t < tb1; t++) {
                const float *qt = q + (size_t)(c0 + t) * ldq + (size_t)th * dqk;
                float *Dr = D + (size_t)(t - tb0) * tb1, mi = -INFINITY, m_t, dsum = 0.0f;
                /* log D_ts = b_t - b_s + i~_s;  mc_t = max(b_t + m0, max_s log D_ts) */
                for (s = 0; s <= t; s++) {
                    Dr[s] = (bh[t] - bh[s]) + ig[(size_t)(c0 + s) * ldg + th];
                    if (Dr[s] > mi) mi = Dr[s];
                }
                m_t = inter ? SMX__MAX(bh[t] + mm, mi) : mi;
                /* M_ts = D_ts (q_t . k_s) */
                for (s = 0; s <= t; s++) {
                    Dr[s] = expf(Dr[s] - m_t) * smx__dot(qt, k + (size_t)(c0 + s) * ldk + (size_t)th * dqk, dqk);
                    dsum += Dr[s];
                }
                for (; s < tb1; s++) Dr[s] = 0.0f;
                gg[t - tb0] = inter ? expf(bh[t] + mm - m_t) : 0.0f;
                mc[t - tb0] = m_t;
                den[t - tb0] = dsum + (inter ? gg[t - tb0] * smx__dot(qt, n0, dqk) : 0.0f);
            }
            /* y = g (Q C0) + M V */
            if (inter) {
                smx__xl_gemm(yb, ldh, q + (size_t)(c0 + tb0) * ldq + (size_t)th * dqk, ldq, 1, C0, (size_t)dv, nb, dqk, dv, 0);
                for (t = 0; t < nb; t++)
                    for (j = 0; j < dv; j++) yb[(size_t)t * ldh + j] *= gg[t];
            } else {
                for (t = 0; t < nb; t++) memset(yb + (size_t)t * ldh, 0, sizeof(float) * (size_t)dv);
            }
            smx__xl_gemm(yb, ldh, D, (size_t)tb1, 1, v + (size_t)c0 * ldv + (size_t)th * dv, ldv, nb, tb1, dv, 1);
            /* h_t = y_t / (max(|den_t|, exp(-mc_t)) + eps) */
            for (t = 0; t < nb; t++) {
                float dn = SMX__MAX(fabsf(den[t]), expf(-mc[t])) + c->eps;
                for (j = 0; j < dv; j++) yb[(size_t)t * ldh + j] /= dn;
            }
        }
        /* state to the chunk end, RB rows of C and n per task: C = gC C + K^T (w v), n = gC n + K^T w */
        SMX__OMP_FOR(smx__xl_nth(nthr, work))
        for (task = 0; task < nh * nrb; task++) {
            const int th = task / nrb, r0 = (task % nrb) * SMX__MC_RB, r1 = SMX__MIN(dqk, r0 + SMX__MC_RB);
            float *Cr = C + (size_t)th * dqk * dv + (size_t)r0 * dv, *nv = N + (size_t)th * dqk;
            const float g = gC[th], *wh = w + (size_t)th * L;
            const float *kb = k + (size_t)c0 * ldk + (size_t)th * dqk;
            int r, s, j;
            for (r = r0; r < r1; r++) {
                float acc = 0.0f, *row = C + (size_t)th * dqk * dv + (size_t)r * dv;
                for (j = 0; j < dv; j++) row[j] *= g;
                for (s = 0; s < Lc; s++) acc += wh[s] * kb[(size_t)s * ldk + r];
                nv[r] = g * nv[r] + acc;
            }
            smx__xl_gemm(Cr, (size_t)dv, kb + r0, 1, ldk, vw + (size_t)th * L * dv, (size_t)dv, r1 - r0, Lc, dv, 1);
        }
        for (hh = 0; hh < nh; hh++) Mx[hh] = m1[hh];
    }
}

/* ---- mLSTM layer, xLSTM-7B form ----
 *   q = x Wq^T, k = x Wk^T, v = x Wv^T, o = x Wo^T;  i~ = cap tanh((x Wi^T + bi)/cap), f~ likewise
 *   h = cell(q / sqrt(dqk), k, v, i~, f~);  hn = LayerNorm per head (weight, bias over v_dim)
 *   y = (sigmoid(o) * hn) Wout^T */
typedef struct smx__mlstm7 {
    smx__op base;
    smx__mcell cell;
    int qk, vd;
    float cap, norm_eps;
    const float *wq, *wk, *wv, *wo, *wi, *wf, *wout;   /* [qk,d] [qk,d] [vd,d] [vd,d] [nh,d] [nh,d] [d,vd] */
    const float *bq, *bk, *bv, *bo, *bi, *bf, *bout;
    const float *nw, *nb;                               /* multi-head norm [vd] */
} smx__mlstm7;

static size_t smx__mlstm7_state(const smx__op *op, int n_ctx)
{
    (void)n_ctx;
    return smx__mcell_state_floats(&((const smx__mlstm7 *)op)->cell) * sizeof(float);
}

static size_t smx__mlstm7_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__mlstm7 *a = (const smx__mlstm7 *)op;
    (void)n_ctx;
    return (size_t)T * (2 * (size_t)a->qk + 3 * (size_t)a->vd + 2 * (size_t)a->cell.nh) + smx__mcell_scratch(&a->cell, T, nth);
}

static void smx__mlstm7_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mlstm7 *a = (const smx__mlstm7 *)op;
    const int T = f->T, d = op->d_in, qk = a->qk, vd = a->vd, nh = a->cell.nh, dv = a->cell.dv;
    float *q = f->scratch;                      /* [T, qk] */
    float *k = q + (size_t)T * qk;              /* [T, qk] */
    float *v = k + (size_t)T * qk;              /* [T, vd] */
    float *o = v + (size_t)T * vd;              /* [T, vd] */
    float *hb = o + (size_t)T * vd;             /* [T, vd] */
    float *ig = hb + (size_t)T * vd;            /* [T, nh] */
    float *fg = ig + (size_t)T * nh;            /* [T, nh] */
    float *cs = fg + (size_t)T * nh;            /* cell scratch */
    const float qs = (float)(1.0 / sqrt((double)a->cell.dqk));
    size_t i, n;
    int t, hh;
    if (T == 1) {   /* decode: the six projections in one pass over their rows */
        smx__xl_mv p[6];
        p[0].W = a->wq; p[0].b = a->bq; p[0].y = q; p[0].N = qk;
        p[1].W = a->wk; p[1].b = a->bk; p[1].y = k; p[1].N = qk;
        p[2].W = a->wv; p[2].b = a->bv; p[2].y = v; p[2].N = vd;
        p[3].W = a->wo; p[3].b = a->bo; p[3].y = o; p[3].N = vd;
        p[4].W = a->wi; p[4].b = a->bi; p[4].y = ig; p[4].N = nh;
        p[5].W = a->wf; p[5].b = a->bf; p[5].y = fg; p[5].N = nh;
        smx__xl_matvecs(f->x, d, p, 6, f->nth);
    } else {
        smx__matmul(q, f->x, a->wq, a->bq, T, d, qk, f->nth);
        smx__matmul(k, f->x, a->wk, a->bk, T, d, qk, f->nth);
        smx__matmul(v, f->x, a->wv, a->bv, T, d, vd, f->nth);
        smx__matmul(o, f->x, a->wo, a->bo, T, d, vd, f->nth);
        smx__matmul(ig, f->x, a->wi, a->bi, T, d, nh, f->nth);
        smx__matmul(fg, f->x, a->wf, a->bf, T, d, nh, f->nth);
    }
    /* gate soft cap: cap tanh(x / cap) */
    if (a->cap > 0.0f)
        for (i = 0, n = (size_t)T * nh; i < n; i++) {
            ig[i] = a->cap * tanhf(ig[i] / a->cap);
            fg[i] = a->cap * tanhf(fg[i] / a->cap);
        }
    for (i = 0, n = (size_t)T * qk; i < n; i++) q[i] *= qs;
    if (T == 1) smx__mcell_step(&a->cell, (float *)state, q, k, v, ig, fg, hb, f->nth);
    else smx__mcell_chunks(&a->cell, (float *)state, q, (size_t)qk, k, (size_t)qk, v, (size_t)vd, ig, fg, (size_t)nh, hb,
                           (size_t)vd, T, 0, cs, f->nth);
    /* hn = LayerNorm_head(h) * w + b;  h_out = sigmoid(o) * hn */
    for (t = 0; t < T; t++)
        for (hh = 0; hh < nh; hh++) {
            float *r = hb + (size_t)t * vd + (size_t)hh * dv;
            const float *orow = o + (size_t)t * vd + (size_t)hh * dv;
            int j;
            smx__layernorm(r, r, a->nw + (size_t)hh * dv, a->nb ? a->nb + (size_t)hh * dv : NULL, dv, a->norm_eps);
            for (j = 0; j < dv; j++) r[j] *= smx__sigmoid(orow[j]);
        }
    smx__matmul(f->y, hb, a->wout, a->bout, T, vd, op->d_out, f->nth);
}

static const smx__op_vt smx__mlstm7_vt = {
    "mlstm", 'X', smx__mlstm7_state, NULL, smx__mlstm7_scratch, smx__mlstm7_forward, NULL
};

/* Settings of the 7B-form mLSTM layer. */
typedef struct smx__mlstm7_cfg {
    int d, nh, qk, vd, chunk, bias, fused;
    float eps, norm_eps, cap;
} smx__mlstm7_cfg;

/* b + W nb: the bias of a norm folded into the linear map after it (W [N, d]); b, nb may be NULL. */
static const float *smx__xl_fold(smx__loader *ld, const float *W, const float *b, const float *nb, int N, int d)
{
    float *o;
    int r;
    if (!nb || ld->st || !W) return b;
    o = smx__ld_alloc(ld, (size_t)N);
    if (!o) return NULL;
    for (r = 0; r < N; r++) o[r] = (b ? b[r] : 0.0f) + smx__dot(W + (size_t)r * d, nb, d);
    return o;
}

/* prefix e.g. "backbone.blocks.3.mlstm_layer."; nb: bias of the RMSNorm before the layer (folded
 * into the projections), or NULL. */
static smx__op *smx__mlstm7_load(smx__loader *ld, const smx__mlstm7_cfg *c, const char *prefix, const float *nb)
{
    smx__mlstm7 *a;
    const int d = c->d, qk = c->qk, vd = c->vd, nh = c->nh;
    if (!smx__ld_check(ld, nh > 0 && qk > 0 && vd > 0 && qk % nh == 0 && vd % nh == 0, SMX_E_RANGE,
                       "config.json: qk_dim %d and v_dim %d must be positive multiples of num_heads %d", qk, vd, nh))
        return NULL;
    if (!smx__ld_check(ld, c->chunk > 0, SMX_E_RANGE, "config.json: chunk_size must be positive (found %d)", c->chunk)) return NULL;
    a = (smx__mlstm7 *)smx__op_new(ld, sizeof *a, &smx__mlstm7_vt, d, d);
    if (!a) return NULL;
    a->cell.nh = nh; a->cell.dqk = qk / nh; a->cell.dv = vd / nh; a->cell.chunk = c->chunk; a->cell.eps = c->eps;
    a->qk = qk; a->vd = vd; a->cap = c->cap; a->norm_eps = c->norm_eps;
    if (c->fused) {
        /* qkv_opreact [2qk + 2vd, d] = (q, k, v, o);  ifgate_preact [2nh, d] = (i, f) */
        const float *W = SMX__W2(ld, 2 * qk + 2 * vd, d, "%sqkv_opreact.weight", prefix);
        const float *B = c->bias ? SMX__W1(ld, 2 * qk + 2 * vd, "%sqkv_opreact.bias", prefix) : NULL;
        const float *G = SMX__W2(ld, 2 * nh, d, "%sifgate_preact.weight", prefix);
        const float *GB = SMX__W1(ld, 2 * nh, "%sifgate_preact.bias", prefix);
        if (ld->st) return NULL;
        a->wq = W; a->wk = W + (size_t)qk * d; a->wv = W + (size_t)2 * qk * d; a->wo = W + (size_t)(2 * qk + vd) * d;
        if (B) { a->bq = B; a->bk = B + qk; a->bv = B + 2 * qk; a->bo = B + 2 * qk + vd; }
        a->wi = G; a->wf = G + (size_t)nh * d; a->bi = GB; a->bf = GB + nh;
    } else {
        int64_t sh[8];
        int old = smx__tensor_shape(ld, sh, "%sq.weight", prefix) < 0 && smx__tensor_shape(ld, sh, "%squery.weight", prefix) >= 0;
        const char *qn = old ? "query" : "q", *kn = old ? "key" : "k", *vn = old ? "value" : "v";
        a->wq = SMX__W2(ld, qk, d, "%s%s.weight", prefix, qn);
        a->wk = SMX__W2(ld, qk, d, "%s%s.weight", prefix, kn);
        a->wv = SMX__W2(ld, vd, d, "%s%s.weight", prefix, vn);
        a->wo = SMX__W2(ld, vd, d, "%sogate_preact.weight", prefix);
        a->wi = SMX__W2(ld, nh, d, "%sigate_preact.weight", prefix);
        a->wf = SMX__W2(ld, nh, d, "%sfgate_preact.weight", prefix);
        a->bi = SMX__W1(ld, nh, "%sigate_preact.bias", prefix);
        a->bf = SMX__W1(ld, nh, "%sfgate_preact.bias", prefix);
        if (c->bias) {
            a->bq = SMX__W1(ld, qk, "%s%s.bias", prefix, qn);
            a->bk = SMX__W1(ld, qk, "%s%s.bias", prefix, kn);
            a->bv = SMX__W1(ld, vd, "%s%s.bias", prefix, vn);
            a->bo = SMX__W1(ld, vd, "%sogate_preact.bias", prefix);
        }
    }
    a->nw = SMX__W1(ld, vd, "%smultihead_norm.weight", prefix);
    if (c->bias) a->nb = SMX__W1(ld, vd, "%smultihead_norm.bias", prefix);
    a->wout = SMX__W2(ld, d, vd, "%sout_proj.weight", prefix);
    if (c->bias) a->bout = SMX__W1(ld, d, "%sout_proj.bias", prefix);
    /* (x w + nb) W^T = (x w) W^T + W nb */
    a->bq = smx__xl_fold(ld, a->wq, a->bq, nb, qk, d);
    a->bk = smx__xl_fold(ld, a->wk, a->bk, nb, qk, d);
    a->bv = smx__xl_fold(ld, a->wv, a->bv, nb, vd, d);
    a->bo = smx__xl_fold(ld, a->wo, a->bo, nb, vd, d);
    a->bi = smx__xl_fold(ld, a->wi, a->bi, nb, nh, d);
    a->bf = smx__xl_fold(ld, a->wf, a->bf, nb, nh, d);
    return ld->st ? NULL : &a->base;
}

/* Gated FFN as the core MLP operator: down(act(gate x) * up x). gate = NULL: the up tensor is
 * [2F, d] holding the gate rows first, then the up rows. nb: bias of the norm before it, folded. */
static smx__op *smx__xl_ffn_load(smx__loader *ld, int d, int F, int act, int bias, const char *prefix, const char *gate,
                                 const char *up, const char *down, const float *nb)
{
    smx__mlp *m = (smx__mlp *)smx__op_new(ld, sizeof *m, &smx__mlp_vt, d, d);
    if (!m) return NULL;
    m->ff = F; m->act = act; m->gated = 1;
    if (gate) {
        m->wg = SMX__W2(ld, F, d, "%s%s.weight", prefix, gate);
        m->wu = SMX__W2(ld, F, d, "%s%s.weight", prefix, up);
        if (bias) {
            m->bg = SMX__W1(ld, F, "%s%s.bias", prefix, gate);
            m->bu = SMX__W1(ld, F, "%s%s.bias", prefix, up);
        }
    } else {
        const float *W = SMX__W2(ld, 2 * F, d, "%s%s.weight", prefix, up);
        const float *B = bias ? SMX__W1(ld, 2 * F, "%s%s.bias", prefix, up) : NULL;
        if (ld->st) return NULL;
        m->wg = W; m->wu = W + (size_t)F * d;
        if (B) { m->bg = B; m->bu = B + F; }
    }
    m->wd = SMX__W2(ld, d, F, "%s%s.weight", prefix, down);
    if (bias) m->bd = SMX__W1(ld, d, "%s%s.bias", prefix, down);
    m->bg = smx__xl_fold(ld, m->wg, m->bg, nb, F, d);
    m->bu = smx__xl_fold(ld, m->wu, m->bu, nb, F, d);
    return ld->st ? NULL : &m->base;
}

/* ---- mLSTM layer, original xLSTM form (inner width I, heads of dh = I / nh) ----
 *   [xm | z] = x Wup^T;  xc = silu(conv(xm));  q = HW(xc), k = HW(xc), v = HW(xm)
 *   i~ = [q k v] Wi^T + bi,  f~ likewise;  h = cell(q, k / sqrt(dh), v, i~, f~)
 *   hn = GroupNorm_heads(h) (weight 1 + w, eps 1e-5);  y = ((hn + skip * xc) * silu(z)) Wdown^T */
typedef struct smx__mlstm_lm {
    smx__op base;
    smx__mcell cell;
    int inner, K, bs;
    const float *wup, *bup;                 /* [2I, d], [2I] */
    const float *cwT, *cb;                  /* conv [K][I] (transposed), [I] */
    const float *wq, *wk, *wv, *bq, *bk, *bv;   /* [I/bs, bs, bs], [I] */
    const float *wi, *bi, *wf, *bf;         /* [nh, 3I], [nh] */
    const float *onw;                       /* [I] 1 + w */
    const float *skip;                      /* [I] */
    const float *wdown, *bdown;             /* [d, I], [d] */
} smx__mlstm_lm;

static size_t smx__mlstm_lm_state(const smx__op *op, int n_ctx)
{
    const smx__mlstm_lm *a = (const smx__mlstm_lm *)op;
    (void)n_ctx;
    return ((size_t)(a->K - 1) * a->inner + smx__mcell_state_floats(&a->cell)) * sizeof(float);
}

static size_t smx__mlstm_lm_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__mlstm_lm *a = (const smx__mlstm_lm *)op;
    (void)n_ctx;
    return (size_t)T * (7 * (size_t)a->inner + 2 * (size_t)a->cell.nh) + smx__mcell_scratch(&a->cell, T, nth);
}

static void smx__mlstm_lm_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mlstm_lm *a = (const smx__mlstm_lm *)op;
    const int T = f->T, d = op->d_in, I = a->inner, nh = a->cell.nh, dh = a->cell.dv, nb = I / a->bs;
    float *hist = (float *)state;                   /* [K-1, I] */
    float *cst = hist + (size_t)(a->K - 1) * I;     /* cell state */
    float *up = f->scratch;                         /* [T, 2I]: xm | z */
    float *xc = up + (size_t)T * 2 * I;             /* [T, I] */
    float *qkv = xc + (size_t)T * I;                /* [T, 3I]: q | k | v */
    float *hb = qkv + (size_t)T * 3 * I;            /* [T, I] */
    float *ig = hb + (size_t)T * I;                 /* [T, nh] */
    float *fg = ig + (size_t)T * nh;                /* [T, nh] */
    float *cs = fg + (size_t)T * nh;                /* cell scratch */
    const float ks = (float)sqrt((double)dh);
    int t, hh, j;
    smx__matmul(up, f->x, a->wup, a->bup, T, d, 2 * I, f->nth);
    smx__xl_conv(xc, up, (size_t)2 * I, hist, a->cwT, a->cb, T, I, a->K, f->nth);
    smx__xl_headwise(qkv, (size_t)3 * I, xc, (size_t)I, a->wq, a->bq, nb, a->bs, T, f->nth);
    smx__xl_headwise(qkv + I, (size_t)3 * I, xc, (size_t)I, a->wk, a->bk, nb, a->bs, T, f->nth);
    smx__xl_headwise(qkv + 2 * I, (size_t)3 * I, up, (size_t)2 * I, a->wv, a->bv, nb, a->bs, T, f->nth);
    smx__matmul(ig, qkv, a->wi, a->bi, T, 3 * I, nh, f->nth);
    smx__matmul(fg, qkv, a->wf, a->bf, T, 3 * I, nh, f->nth);
    /* keys scaled by 1/sqrt(dh) (after the gates, which read them unscaled) */
    for (t = 0; t < T; t++)
        for (j = 0; j < I; j++) qkv[(size_t)t * 3 * I + I + j] /= ks;
    if (T == 1) smx__mcell_step(&a->cell, cst, qkv, qkv + I, qkv + 2 * I, ig, fg, hb, f->nth);
    else smx__mcell_chunks(&a->cell, cst, qkv, (size_t)3 * I, qkv + I, (size_t)3 * I, qkv + 2 * I, (size_t)3 * I, ig, fg,
                           (size_t)nh, hb, (size_t)I, T, f->pos == 0, cs, f->nth);
    /* h = (GroupNorm(h) + skip * xc) * silu(z) */
    for (t = 0; t < T; t++) {
        float *r = hb + (size_t)t * I;
        const float *xr = xc + (size_t)t * I, *z = up + (size_t)t * 2 * I + I;
        for (hh = 0; hh < nh; hh++) smx__layernorm(r + (size_t)hh * dh, r + (size_t)hh * dh, a->onw + (size_t)hh * dh, NULL, dh, 1e-5f);
        for (j = 0; j < I; j++) r[j] = (r[j] + a->skip[j] * xr[j]) * smx__silu(z[j]);
    }
    smx__matmul(f->y, hb, a->wdown, a->bdown, T, I, op->d_out, f->nth);
}

static const smx__op_vt smx__mlstm_lm_vt = {
    "mlstm_lm", 'X', smx__mlstm_lm_state, NULL, smx__mlstm_lm_scratch, smx__mlstm_lm_forward, NULL
};

typedef struct smx__mlstm_lm_cfg {
    int d, inner, nh, K, bs, bias;
} smx__mlstm_lm_cfg;

/* Depthwise conv weights [C, 1, K] transposed to [K][C]. */
static const float *smx__xl_conv_load(smx__loader *ld, int C, int K, const char *prefix)
{
    const float *w = SMX__W3(ld, C, 1, K, "%sconv1d.conv.weight", prefix);
    float *wT = smx__ld_alloc(ld, (size_t)C * K);
    int c, k;
    if (ld->st) return NULL;
    for (c = 0; c < C; c++)
        for (k = 0; k < K; k++) wT[(size_t)k * C + c] = w[(size_t)c * K + k];
    return wT;
}

/* 1 + w (the original library's LayerNorm weight), in the model arena. */
static const float *smx__xl_one_plus(smx__loader *ld, const float *w, int n)
{
    float *o;
    int i;
    if (ld->st || !w) return NULL;
    o = smx__ld_alloc(ld, (size_t)n);
    if (!o) return NULL;
    for (i = 0; i < n; i++) o[i] = 1.0f + w[i];
    return o;
}

/* prefix e.g. "xlstm_block_stack.blocks.0.xlstm." */
static smx__op *smx__mlstm_lm_load(smx__loader *ld, const smx__mlstm_lm_cfg *c, const char *prefix)
{
    smx__mlstm_lm *a;
    const int d = c->d, I = c->inner, nh = c->nh, bs = c->bs;
    if (!smx__ld_check(ld, I > 0 && nh > 0 && I % nh == 0, SMX_E_RANGE,
                       "config.json: mLSTM inner width %d is not a multiple of num_heads %d", I, nh) ||
        !smx__ld_check(ld, bs > 0 && I % bs == 0, SMX_E_RANGE,
                       "config.json: mLSTM inner width %d is not a multiple of qkv_proj_blocksize %d", I, bs) ||
        !smx__ld_check(ld, c->K >= 1, SMX_E_RANGE, "config.json: mLSTM conv1d_kernel_size must be at least 1 (found %d)", c->K))
        return NULL;
    a = (smx__mlstm_lm *)smx__op_new(ld, sizeof *a, &smx__mlstm_lm_vt, d, d);
    if (!a) return NULL;
    a->cell.nh = nh; a->cell.dqk = I / nh; a->cell.dv = I / nh; a->cell.eps = 1e-6f;
    a->cell.chunk = 64;
    a->inner = I; a->K = c->K; a->bs = bs;
    a->wup = SMX__W2(ld, 2 * I, d, "%sproj_up.weight", prefix);
    a->cwT = smx__xl_conv_load(ld, I, c->K, prefix);
    a->cb = SMX__W1(ld, I, "%sconv1d.conv.bias", prefix);
    a->wq = SMX__W3(ld, I / bs, bs, bs, "%sq_proj.weight", prefix);
    a->wk = SMX__W3(ld, I / bs, bs, bs, "%sk_proj.weight", prefix);
    a->wv = SMX__W3(ld, I / bs, bs, bs, "%sv_proj.weight", prefix);
    a->wi = SMX__W2(ld, nh, 3 * I, "%smlstm_cell.igate.weight", prefix);
    a->bi = SMX__W1(ld, nh, "%smlstm_cell.igate.bias", prefix);
    a->wf = SMX__W2(ld, nh, 3 * I, "%smlstm_cell.fgate.weight", prefix);
    a->bf = SMX__W1(ld, nh, "%smlstm_cell.fgate.bias", prefix);
    a->onw = smx__xl_one_plus(ld, SMX__W1(ld, I, "%smlstm_cell.outnorm.weight", prefix), I);
    a->skip = SMX__W1(ld, I, "%slearnable_skip", prefix);
    a->wdown = SMX__W2(ld, d, I, "%sproj_down.weight", prefix);
    if (c->bias) {
        a->bup = SMX__W1(ld, 2 * I, "%sproj_up.bias", prefix);
        a->bq = SMX__W1(ld, I, "%sq_proj.bias", prefix);
        a->bk = SMX__W1(ld, I, "%sk_proj.bias", prefix);
        a->bv = SMX__W1(ld, I, "%sv_proj.bias", prefix);
        a->bdown = SMX__W1(ld, d, "%sproj_down.bias", prefix);
    }
    return ld->st ? NULL : &a->base;
}

/* ---- sLSTM layer (original xLSTM; heads of dh = E / nh; no output projection) ---- */
typedef struct smx__slstm {
    smx__op base;
    int nh, dh, K, lstm;                    /* lstm: the plain-LSTM cell variant (function "lstm") */
    const float *cwT, *cb;                  /* conv [K][E] (transposed), [E] */
    const float *wg[4];                     /* input weights of gates i, f, z, o: [nh, dh, dh] */
    const float *R;                         /* blocked [nh][dh/JB][dh(in)][4][JB]: head, channel block, input, gate, channel */
    const float *bias;                      /* [4][E] gate-major */
    const float *gnw;                       /* [E] 1 + w, or NULL */
} smx__slstm;

static size_t smx__slstm_state(const smx__op *op, int n_ctx)
{
    const smx__slstm *s = (const smx__slstm *)op;
    (void)n_ctx;
    return ((size_t)(s->K > 0 ? s->K - 1 : 0) * op->d_in + 4 * (size_t)op->d_in) * sizeof(float);
}

static size_t smx__slstm_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    (void)n_ctx; (void)nth;
    return (size_t)T * 6 * op->d_in;
}

#define SMX__SL_JB (2 * SMX__VW)   /* channels per block of the recurrent kernel */

/* Ry for one channel block of one head, all four gates: acc[g][jj] = sum_i y[i] Rb[i][g][jj], from the
 * block's slice Rb [dh][4][JB] of the blocked recurrent kernel (one contiguous stream). */
static void smx__slstm_ry(float *acc, const float *y, const float *Rb, int dh)
{
    smx__vf a0 = smx__vzero(), a1 = smx__vzero(), b0 = smx__vzero(), b1 = smx__vzero();
    smx__vf c0 = smx__vzero(), c1 = smx__vzero(), d0 = smx__vzero(), d1 = smx__vzero();
    const float *r = Rb;
    int i;
    for (i = 0; i < dh; i++, r += 8 * SMX__VW) {
        smx__vf x = smx__vset1(y[i]);
        a0 = smx__vfma(x, smx__vld(r), a0); a1 = smx__vfma(x, smx__vld(r + SMX__VW), a1);
        b0 = smx__vfma(x, smx__vld(r + 2 * SMX__VW), b0); b1 = smx__vfma(x, smx__vld(r + 3 * SMX__VW), b1);
        c0 = smx__vfma(x, smx__vld(r + 4 * SMX__VW), c0); c1 = smx__vfma(x, smx__vld(r + 5 * SMX__VW), c1);
        d0 = smx__vfma(x, smx__vld(r + 6 * SMX__VW), d0); d1 = smx__vfma(x, smx__vld(r + 7 * SMX__VW), d1);
    }
    smx__vst(acc, a0); smx__vst(acc + SMX__VW, a1);
    smx__vst(acc + 2 * SMX__VW, b0); smx__vst(acc + 3 * SMX__VW, b1);
    smx__vst(acc + 4 * SMX__VW, c0); smx__vst(acc + 5 * SMX__VW, c1);
    smx__vst(acc + 6 * SMX__VW, d0); smx__vst(acc + 7 * SMX__VW, d1);
}

/* One time step of the cell for every head: pre [4][E] input pre-activations (bias included),
 * yprev [E] the previous output, ynew [E]; c, n, m updated in place. Tasks are (head, channel
 * block); each computes its channels' four gates and their pointwise update. */
static void smx__slstm_cell(const smx__slstm *s, const float *pre, const float *yprev, float *ynew, float *c, float *n,
                            float *m, int nth)
{
    const int E = s->base.d_in, dh = s->dh, JB = SMX__SL_JB, nj = (dh + JB - 1) / JB;
    int allzero = 1, task, e;
    (void)nth;
    for (e = 0; e < E && allzero; e++) allzero = n[e] == 0.0f;
    SMX__OMP_FOR(smx__xl_nth(nth, 4.0 * E * dh))
    for (task = 0; task < s->nh * nj; task++) {
        const int h = task / nj, j0 = (task % nj) * JB, j1 = SMX__MIN(dh, j0 + JB);
        float acc[4 * SMX__SL_JB];  /* [4 gates][JB channels] */
        int j;
        smx__slstm_ry(acc, yprev + (size_t)h * dh, s->R + (size_t)task * dh * 4 * JB, dh);
        for (j = j0; j < j1; j++) {
            const size_t ch = (size_t)h * dh + j;
            /* raw_g = pre_g + R_g y_{t-1} */
            const float ri = pre[ch] + acc[j - j0], rf = pre[E + ch] + acc[JB + j - j0];
            const float rz = pre[2 * (size_t)E + ch] + acc[2 * JB + j - j0], ro = pre[3 * (size_t)E + ch] + acc[3 * JB + j - j0];
            if (s->lstm) {
                /* c = sigmoid(f) c + sigmoid(i) tanh(z);  y = sigmoid(o) tanh(c) */
                c[ch] = smx__sigmoid(rf) * c[ch] + smx__sigmoid(ri) * tanhf(rz);
                ynew[ch] = smx__sigmoid(ro) * tanhf(c[ch]);
            } else {
                /* m' = max(ri, m + logsigmoid(rf)) (ri alone when every n is 0); i = min(exp(ri - m'), 1),
                 * f = min(exp(m + logsigmoid(rf) - m'), 1): one of the two is exp(0) = 1 */
                float lfm = m[ch] + smx__logsigmoid(rf), mn, ia, fa;
                if (allzero || ri >= lfm) { mn = ri; ia = 1.0f; fa = SMX__MIN(expf(lfm - ri), 1.0f); }
                else { mn = lfm; ia = expf(ri - lfm); fa = 1.0f; }
                c[ch] = fa * c[ch] + ia * tanhf(rz);
                n[ch] = fa * n[ch] + ia;
                m[ch] = mn;
                ynew[ch] = smx__sigmoid(ro) * c[ch] / n[ch];
            }
        }
    }
}

static void smx__slstm_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__slstm *s = (const smx__slstm *)op;
    const int T = f->T, E = op->d_in, dh = s->dh, nh = s->nh;
    float *hist = (float *)state;                               /* [K-1, E] */
    float *sy = hist + (size_t)(s->K > 0 ? s->K - 1 : 0) * E;  /* y [E] */
    float *sc = sy + E, *sn = sc + E, *sm = sn + E;             /* c, n, m [E] */
    float *xc = f->scratch;                                     /* [T, E] */
    float *pre = xc + (size_t)T * E;                            /* [T, 4, E] */
    float *hout = pre + (size_t)T * 4 * E;                      /* [T, E] cell outputs */
    const float *xin = f->x;
    int t, g, hh;
    if (s->K > 0) {
        smx__xl_conv(xc, f->x, (size_t)E, hist, s->cwT, s->cb, T, E, s->K, f->nth);
        xin = xc;
    }
    /* pre_g = HW(x_g; W_g) + b_g: i, f from the conv branch, z, o from x */
    if (T == 1) {
        int r;
        SMX__OMP_FOR(smx__xl_nth(f->nth, 4.0 * E * dh))
        for (r = 0; r < 4 * E; r++) {
            int gg = r / E, e = r % E;
            const float *src = (gg < 2 ? xin : f->x) + (size_t)(e / dh) * dh;
            pre[r] = s->bias[r] + smx__dot(src, s->wg[gg] + (size_t)e * dh, dh);
        }
    } else {
        for (g = 0; g < 4; g++)
            smx__xl_headwise(pre + (size_t)g * E, (size_t)4 * E, g < 2 ? xin : f->x, (size_t)E, s->wg[g], s->bias + (size_t)g * E,
                             nh, dh, T, f->nth);
    }
    /* the recurrence, one step at a time */
    for (t = 0; t < T; t++)
        smx__slstm_cell(s, pre + (size_t)t * 4 * E, t ? hout + (size_t)(t - 1) * E : sy, hout + (size_t)t * E, sc, sn, sm, f->nth);
    memcpy(sy, hout + (size_t)(T - 1) * E, sizeof(float) * (size_t)E);
    /* out = GroupNorm over heads (eps 1e-5, weight 1 + w) */
    for (t = 0; t < T; t++)
        for (hh = 0; hh < nh; hh++)
            smx__layernorm(f->y + (size_t)t * E + (size_t)hh * dh, hout + (size_t)t * E + (size_t)hh * dh,
                           s->gnw ? s->gnw + (size_t)hh * dh : NULL, NULL, dh, 1e-5f);
}

static const smx__op_vt smx__slstm_vt = {
    "slstm", 'S', smx__slstm_state, NULL, smx__slstm_scratch, smx__slstm_forward, NULL
};

typedef struct smx__slstm_cfg {
    int d, nh, K, gn_weight, cuda_layout, lstm;
} smx__slstm_cfg;

/* prefix e.g. "xlstm_block_stack.blocks.1.xlstm.". The cell's stored recurrent kernel and bias are
 * in the layout of the backend that saved them (cuda_layout: [nh, dh(in), 4 dh(out)] and (h, g, j);
 * vanilla: [nh, 4 dh(out), dh(in)] and (g, h, j)); they become a channel-blocked kernel that the
 * step streams contiguously, and a gate-major bias. */
static smx__op *smx__slstm_load(smx__loader *ld, const smx__slstm_cfg *c, const char *prefix)
{
    smx__slstm *s;
    const int E = c->d, nh = c->nh, dh = nh > 0 ? E / nh : 0;
    const char *gate_names[4] = { "fgate", "igate", "zgate", "ogate" };   /* module "fgate" makes the i pre-activation */
    int g;
    if (!smx__ld_check(ld, nh > 0 && E % nh == 0, SMX_E_RANGE, "config.json: sLSTM embedding_dim %d is not a multiple of num_heads %d",
                       E, nh) ||
        !smx__ld_check(ld, c->K >= 0, SMX_E_RANGE, "config.json: sLSTM conv1d_kernel_size must be >= 0 (found %d)", c->K))
        return NULL;
    s = (smx__slstm *)smx__op_new(ld, sizeof *s, &smx__slstm_vt, E, E);
    if (!s) return NULL;
    s->nh = nh; s->dh = dh; s->K = c->K; s->lstm = c->lstm;
    if (c->K > 0) {
        s->cwT = smx__xl_conv_load(ld, E, c->K, prefix);
        s->cb = SMX__W1(ld, E, "%sconv1d.conv.bias", prefix);
    }
    for (g = 0; g < 4; g++) s->wg[g] = SMX__W3(ld, nh, dh, dh, "%s%s.weight", prefix, gate_names[g]);
    {
        /* Rext(h, i, g, j): cuda stores [nh, dh(in), 4 dh(out)], vanilla [nh, 4 dh(out), dh(in)]; the step
         * reads it blocked by channels, Rb[h][j / JB][i][g][j % JB] (zero-padded to whole blocks) */
        const int JB = SMX__SL_JB, nj = (dh + JB - 1) / JB;
        const float *Rs = c->cuda_layout ? SMX__W3(ld, nh, dh, 4 * dh, "%sslstm_cell._recurrent_kernel_", prefix)
                                         : SMX__W3(ld, nh, 4 * dh, dh, "%sslstm_cell._recurrent_kernel_", prefix);
        const float *bs = SMX__W1(ld, 4 * E, "%sslstm_cell._bias_", prefix);
        float *R = smx__ld_alloc(ld, (size_t)nh * nj * dh * 4 * JB), *b = smx__ld_alloc(ld, (size_t)4 * E);
        int h, i, j;
        if (ld->st) return NULL;
        for (h = 0; h < nh; h++)
            for (i = 0; i < dh; i++)
                for (g = 0; g < 4; g++)
                    for (j = 0; j < dh; j++) {
                        size_t o = (size_t)g * dh + j;
                        R[(((size_t)h * nj + j / JB) * dh + i) * 4 * JB + (size_t)g * JB + j % JB] =
                            c->cuda_layout ? Rs[((size_t)h * dh + i) * 4 * dh + o] : Rs[((size_t)h * 4 * dh + o) * dh + i];
                    }
        /* bias: cuda (h, g, j), vanilla (g, h, j); used gate-major */
        for (h = 0; h < nh; h++)
            for (g = 0; g < 4; g++)
                for (j = 0; j < dh; j++)
                    b[(size_t)g * E + (size_t)h * dh + j] = c->cuda_layout ? bs[((size_t)h * 4 + g) * dh + j] : bs[((size_t)g * nh + h) * dh + j];
        s->R = R; s->bias = b;
    }
    if (c->gn_weight) s->gnw = smx__xl_one_plus(ld, SMX__W1(ld, E, "%sgroup_norm.weight", prefix), E);
    return ld->st ? NULL : &s->base;
}

/* ---- Family builders ---- */

/* A soft-cap setting: absent -> def, JSON null -> 0 (no cap). */
static float smx__xl_cap(smx__loader *ld, const char *key, double def)
{
    const smx__jv *v = smx__jget(ld->cfg, key);
    double c;
    if (v && v->type == SMX__J_NULL) return 0.0f;
    c = smx__cf(ld, NULL, key, def);
    smx__ld_check(ld, c >= 0.0, SMX_E_RANGE, "config.json: field '%s' must not be negative (found %g)", key, c);
    return (float)c;
}

/* xLSTMForCausalLM (transformers, native path). */
static smx_status smx__build_xlstm(smx__loader *ld)
{
    smx__mlstm7_cfg mc;
    char p[128], p2[256];
    const char *wm;
    double qkf, vf, pf;
    int V, d, L, ff, mult, tied, l;
    float eps;
    memset(&mc, 0, sizeof mc);
    V = smx__ci_pos(ld, NULL, "vocab_size", 50304);
    /* hidden_size and embedding_dim mirror each other, as do num_blocks and num_hidden_layers */
    if (smx__cfg_has(ld, NULL, "hidden_size")) d = smx__ci_pos(ld, NULL, "hidden_size", 4096);
    else d = smx__ci_pos(ld, NULL, "embedding_dim", 4096);
    if (smx__cfg_has(ld, NULL, "embedding_dim"))
        smx__ld_check(ld, smx__ci(ld, NULL, "embedding_dim", d) == d, SMX_E_RANGE,
                      "config.json: embedding_dim %d differs from hidden_size %d", smx__ci(ld, NULL, "embedding_dim", d), d);
    if (smx__cfg_has(ld, NULL, "num_blocks")) L = smx__ci_pos(ld, NULL, "num_blocks", 32);
    else L = smx__ci_pos(ld, NULL, "num_hidden_layers", 32);
    mc.d = d;
    mc.nh = smx__ci_pos(ld, NULL, "num_heads", 8);
    mc.bias = smx__cb(ld, NULL, "use_bias", 0);
    /* the model declares no tied weights: lm_head.weight is used whenever present and the embedding
     * stands in only when it is absent (a generated model honours the flag) */
    tied = smx__cb(ld, NULL, "tie_word_embeddings", 0) && ld->random;
    eps = (float)smx__cf(ld, NULL, "norm_eps", 1e-6);
    mc.norm_eps = eps;
    mc.eps = (float)smx__cf(ld, NULL, "eps", 1e-6);
    qkf = smx__cf(ld, NULL, "qk_dim_factor", 0.5);
    vf = smx__cf(ld, NULL, "v_dim_factor", 1.0);
    mc.chunk = smx__ci_pos(ld, NULL, "chunk_size", 64);
    pf = smx__cf(ld, NULL, "ffn_proj_factor", 2.667);
    mult = smx__ci_pos(ld, NULL, "ffn_round_up_to_multiple_of", 64);
    mc.cap = smx__xl_cap(ld, "gate_soft_cap", 15.0);
    ld->m->logit_cap = smx__xl_cap(ld, "output_logit_soft_cap", 30.0);
    wm = smx__cs(ld, NULL, "weight_mode", "single");
    if (ld->st) return ld->st;
    smx__ld_check(ld, !strcmp(wm, "single") || !strcmp(wm, "fused"), SMX_E_UNSUPPORTED,
                  "config.json: weight_mode '%s' is not supported (single, fused)", wm);
    smx__ld_check(ld, qkf > 0 && vf > 0 && pf > 0 && d * qkf < 1e9 && d * vf < 1e9 && d * pf < 1e9, SMX_E_RANGE,
                  "config.json: qk_dim_factor, v_dim_factor and ffn_proj_factor must be positive");
    if (ld->st) return ld->st;
    mc.fused = !strcmp(wm, "fused");
    mc.qk = (int)(d * qkf);     /* int(), truncating, as the layer does */
    mc.vd = (int)(d * vf);
    ff = (int)(smx__xl_floordiv(d * pf + mult - 1, (double)mult) * mult);
    smx__ld_check(ld, ff > 0, SMX_E_RANGE, "config.json: ffn_proj_factor %g gives an empty feed-forward layer", pf);
    {   /* a tied checkpoint that kept only lm_head.weight */
        int64_t sh[8];
        int only_head = smx__cb(ld, NULL, "tie_word_embeddings", 0) && smx__tensor_shape(ld, sh, "backbone.embeddings.weight") < 0 &&
                        smx__tensor_shape(ld, sh, "lm_head.weight") == 2;
        smx__load_embed_head(ld, V, d, only_head ? "lm_head.weight" : "backbone.embeddings.weight", "lm_head.weight", tied || only_head);
    }
    for (l = 0; l < L && !ld->st; l++) {
        const float *nw, *nb = NULL;
        snprintf(p, sizeof p, "backbone.blocks.%d.", l);
        nw = SMX__W1(ld, d, "%snorm_mlstm.weight", p);
        if (mc.bias) nb = SMX__W1(ld, d, "%snorm_mlstm.bias", p);
        snprintf(p2, sizeof p2, "%smlstm_layer.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, nw, NULL, smx__mlstm7_load(ld, &mc, p2, nb), 1);
        nw = SMX__W1(ld, d, "%snorm_ffn.weight", p);
        nb = mc.bias ? SMX__W1(ld, d, "%snorm_ffn.bias", p) : NULL;
        snprintf(p2, sizeof p2, "%sffn.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, nw, NULL,
                     smx__xl_ffn_load(ld, d, ff, SMX__ACT_SILU, mc.bias, p2, mc.fused ? NULL : "proj_up_gate",
                                      mc.fused ? "proj_up_gate_z" : "proj_up", "proj_down", nb), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "backbone.out_norm.weight");
    {   /* an out_norm bias (saved by some versions) folds into a head bias */
        int64_t sh[8];
        if (smx__tensor_shape(ld, sh, "backbone.out_norm.bias") == 1)
            ld->m->head_b = smx__xl_fold(ld, ld->m->head, NULL, SMX__W1(ld, d, "backbone.out_norm.bias"), ld->m->n_logits, d);
    }
    return ld->st;
}

/* Up-projection width of the original library: multiple * ceil (or floor) of factor * E / multiple. */
static int smx__xl_proj_dim(smx__loader *ld, const smx__jv *o, int E, double def_factor)
{
    double pf = smx__cf(ld, o, "proj_factor", def_factor), q;
    int up = smx__cb(ld, o, "round_proj_up_dim_up", 1), mult = smx__ci_pos(ld, o, "round_proj_up_to_multiple_of", 64);
    if (ld->st) return 0;
    if (!smx__ld_check(ld, pf > 0 && pf * E < 1e9, SMX_E_RANGE, "config.json: proj_factor %g is out of range", pf)) return 0;
    q = pf * E / mult;
    return (int)((up ? ceil(q) : floor(q)) * mult);
}

/* A sub-object of the config (or of another sub-object): absent -> the empty object (defaults),
 * null -> NULL, anything else but an object -> error. */
static const smx__jv *smx__xl_sub(smx__loader *ld, const smx__jv *o, const char *key, const smx__jv *empty)
{
    const smx__jv *v = smx__jget(o ? o : ld->cfg, key);
    if (!v) return empty;
    if (v->type == SMX__J_NULL) return NULL;
    if (v->type != SMX__J_OBJ) { smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be an object", key); return NULL; }
    return v;
}

/* xLSTMLMModel (NX-AI xlstm): config.json is the xLSTMLMModelConfig dataclass. */
static smx_status smx__build_xlstm_lm(smx__loader *ld)
{
    smx__jv empty;
    const smx__jv *mb, *sb, *ml = NULL, *sl = NULL, *ffc = NULL, *at;
    smx__mlstm_lm_cfg mc;
    smx__slstm_cfg sc;
    char p[128], p2[256];
    char *map;
    int V, E, nb, bias, tied, post, b, F = 0, fbias = 0, act = SMX__ACT_GELU;
    memset(&empty, 0, sizeof empty);
    empty.type = SMX__J_OBJ;
    memset(&mc, 0, sizeof mc);
    memset(&sc, 0, sizeof sc);
    V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    E = smx__ci_pos(ld, NULL, "embedding_dim", 128);
    nb = smx__ci_pos(ld, NULL, "num_blocks", 1);
    bias = smx__cb(ld, NULL, "bias", 0);
    tied = smx__cb(ld, NULL, "tie_weights", 0);
    post = smx__cb(ld, NULL, "add_post_blocks_norm", 1);
    mb = smx__xl_sub(ld, NULL, "mlstm_block", &empty);
    sb = smx__xl_sub(ld, NULL, "slstm_block", &empty);
    if (ld->st) return ld->st;
    if (!smx__jget(ld->cfg, "mlstm_block")) mb = NULL;   /* the dataclass default is None */
    if (!smx__jget(ld->cfg, "slstm_block")) sb = NULL;
    map = (char *)smx__arena_alloc(&ld->m->arena, (size_t)nb + 1);
    if (!map) return smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"), ld->st;
    /* block map: 'S' at slstm_at (a list of indices or "all"; every block without an mLSTM config),
     * else 'X'; without slstm_at, the _block_map string */
    memset(map, 'X', (size_t)nb);
    at = smx__cfg_get(ld, NULL, "slstm_at");
    if (!mb || (at && at->type == SMX__J_STR && !strcmp(at->str, "all"))) {
        memset(map, 'S', (size_t)nb);
    } else if (at && at->type == SMX__J_ARR) {
        const smx__jv *e;
        for (e = at->child; e; e = e->next) {
            if (!smx__ld_check(ld, e->type == SMX__J_NUM && e->num == floor(e->num) && e->num >= 0 && e->num < nb, SMX_E_RANGE,
                               "config.json: slstm_at entry must be a block index in [0, %d)", nb))
                return ld->st;
            map[(int)e->num] = 'S';
        }
    } else if (at) {
        return smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field 'slstm_at' must be a list of block indices or \"all\""), ld->st;
    } else {
        const char *bm = smx__cs(ld, NULL, "_block_map", NULL);
        if (bm) {
            int i = 0;
            const char *c;
            for (c = bm; *c && !ld->st; c++) {
                if (*c == ',') continue;
                smx__ld_check(ld, (*c == '0' || *c == '1') && i < nb, SMX_E_FORMAT,
                              "config.json: _block_map '%s' must list %d blocks as 0 (mLSTM) or 1 (sLSTM)", bm, nb);
                if (!ld->st) map[i++] = *c == '1' ? 'S' : 'X';
            }
            smx__ld_check(ld, i == nb, SMX_E_FORMAT, "config.json: _block_map '%s' must list %d blocks", bm, nb);
        }
    }
    if (ld->st) return ld->st;
    if (strchr(map, 'X')) {
        ml = smx__xl_sub(ld, mb, "mlstm", &empty);
        if (!smx__ld_check(ld, ml != NULL, SMX_E_FORMAT, "config.json: mlstm_block.mlstm must be an object")) return ld->st;
        mc.d = E;
        mc.bias = bias;
        mc.inner = smx__xl_proj_dim(ld, ml, E, 2.0);
        mc.nh = smx__ci_pos(ld, ml, "num_heads", 4);
        mc.K = smx__ci(ld, ml, "conv1d_kernel_size", 4);
        mc.bs = smx__ci_pos(ld, ml, "qkv_proj_blocksize", 4);
    }
    if (strchr(map, 'S')) {
        const char *be, *fn;
        if (!smx__ld_check(ld, sb != NULL, SMX_E_MISSING, "config.json: slstm_at places sLSTM blocks but slstm_block is null"))
            return ld->st;
        sl = smx__xl_sub(ld, sb, "slstm", &empty);
        if (!smx__ld_check(ld, sl != NULL, SMX_E_FORMAT, "config.json: slstm_block.slstm must be an object")) return ld->st;
        sc.d = E;
        sc.nh = smx__ci(ld, sl, "num_heads", 4);
        if (sc.nh <= 0) sc.nh = 1;
        sc.K = smx__ci(ld, sl, "conv1d_kernel_size", 4);
        sc.gn_weight = smx__cb(ld, sl, "group_norm_weight", 1);
        be = smx__cs(ld, sl, "backend", "cuda");
        fn = smx__cs(ld, sl, "function", "slstm");
        if (ld->st) return ld->st;
        if (!smx__ld_check(ld, !strcmp(be, "vanilla") || !strcmp(be, "cuda"), SMX_E_UNSUPPORTED,
                           "config.json: sLSTM backend '%s' is not supported (vanilla, cuda)", be) ||
            !smx__ld_check(ld, !strcmp(fn, "slstm") || !strcmp(fn, "lstm"), SMX_E_UNSUPPORTED,
                           "config.json: sLSTM function '%s' is not supported (slstm, lstm)", fn) ||
            !smx__ld_check(ld, smx__ci(ld, sl, "num_gates", 4) == 4, SMX_E_UNSUPPORTED, "config.json: sLSTM num_gates must be 4"))
            return ld->st;
        sc.cuda_layout = !strcmp(be, "cuda");
        sc.lstm = !strcmp(fn, "lstm");
        ffc = smx__xl_sub(ld, sb, "feedforward", &empty);
        if (ffc) {
            const char *an = smx__cs(ld, ffc, "act_fn", "gelu"), *ft = smx__cs(ld, ffc, "ff_type", "ffn_gated");
            if (ld->st) return ld->st;
            if (!strcmp(an, "gelu")) act = SMX__ACT_GELU;
            else if (!strcmp(an, "swish")) act = SMX__ACT_SILU;
            else if (!strcmp(an, "relu")) act = SMX__ACT_RELU;
            else return smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: feedforward act_fn '%s' is not supported (gelu, swish, relu)", an), ld->st;
            if (!smx__ld_check(ld, !strcmp(ft, "ffn_gated"), SMX_E_UNSUPPORTED, "config.json: ff_type '%s' is not supported (ffn_gated)", ft))
                return ld->st;
            F = smx__xl_proj_dim(ld, ffc, E, 1.3);
            fbias = smx__cb(ld, ffc, "bias", 0);
            smx__ld_check(ld, F > 0, SMX_E_RANGE, "config.json: feedforward proj_factor gives an empty layer");
        }
    }
    if (ld->st) return ld->st;
    {   /* a tied checkpoint may keep only one of the two names (safetensors keeps the first in sort order) */
        int64_t sh[8];
        int only_head = tied && smx__tensor_shape(ld, sh, "token_embedding.weight") < 0 && smx__tensor_shape(ld, sh, "lm_head.weight") == 2;
        smx__load_embed_head(ld, V, E, only_head ? "lm_head.weight" : "token_embedding.weight", "lm_head.weight", tied);
    }
    for (b = 0; b < nb && !ld->st; b++) {
        const float *nw;
        snprintf(p, sizeof p, "xlstm_block_stack.blocks.%d.", b);
        snprintf(p2, sizeof p2, "%sxlstm.", p);
        nw = smx__xl_one_plus(ld, SMX__W1(ld, E, "%sxlstm_norm.weight", p), E);
        if (map[b] == 'X') {
            smx__add_sub(ld, SMX__NORM_LN, 1e-5f, nw, NULL, smx__mlstm_lm_load(ld, &mc, p2), 1);
        } else {
            smx__add_sub(ld, SMX__NORM_LN, 1e-5f, nw, NULL, smx__slstm_load(ld, &sc, p2), 1);
            if (ffc) {
                nw = smx__xl_one_plus(ld, SMX__W1(ld, E, "%sffn_norm.weight", p), E);
                snprintf(p2, sizeof p2, "%sffn.", p);
                smx__add_sub(ld, SMX__NORM_LN, 1e-5f, nw, NULL, smx__xl_ffn_load(ld, E, F, act, fbias, p2, NULL, "proj_up", "proj_down", NULL), 1);
            }
        }
    }
    if (post) {
        ld->m->fnorm = SMX__NORM_LN;
        ld->m->feps = 1e-5f;
        ld->m->fnw = smx__xl_one_plus(ld, SMX__W1(ld, E, "xlstm_block_stack.post_blocks_norm.weight"), E);
    }
    ld->m->max_ctx = 0;
    return ld->st;
}

#define SMX__BUILD_XLSTM smx__build_xlstm
#define SMX__BUILD_XLSTM_LM smx__build_xlstm_lm
