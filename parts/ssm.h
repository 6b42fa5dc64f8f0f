/* ===================================================================================== */
/* II.7.b Selective state spaces: Mamba, Mamba-2 (SSD), MoE; Jamba and Bamba hybrids      */
/* ===================================================================================== */
/* Three operators and four families.
 *
 *   'M'  Mamba (v1) mixer       smx__mamba_load(ld, &smx__mamba_cfg, prefix)
 *   '2'  Mamba-2 (SSD) mixer    smx__mamba2_load(ld, &smx__mamba2_cfg, prefix)
 *   'E'  mixture of experts     smx__moe_load(ld, &smx__moe_cfg, prefix)
 *
 * Families: MambaForCausalLM, Mamba2ForCausalLM, JambaForCausalLM (attention without RoPE +
 * Mamba with dt/B/C norms + MoE), BambaForCausalLM (Mamba-2 + attention with partial RoPE +
 * SwiGLU MLP). Notation follows reference-semantics.md sections 2, 3 and 5.
 *
 * State layouts (float32, position-independent: the size does not depend on n_ctx):
 *   Mamba    [K-1][d_inner] conv history (the K-1 newest pre-conv inputs, oldest row first),
 *            then [N][d_inner] SSM state, i.e. h[d][n] stored at n * d_inner + d.
 *   Mamba-2  [K-1][conv_dim] conv history (x | B | C channels), then [H][N][P] SSM state,
 *            i.e. S_h[p][n] stored at (h * N + n) * P + p.
 * Both layouts put the channel (or head-dim) index last, so the recurrences run as vector
 * operations across channels with the state index as the loop; no horizontal sums.
 *
 * Prefill (T > 1): Mamba runs the selective scan over T tokens vectorised across channels,
 * blocked over channel groups that stay in L1, threads over the groups. Mamba-2 runs the chunked
 * SSD algorithm: per chunk, the intra-chunk part as small matrix products (C B^T masked by the
 * decays, times dt x), the inter-chunk part by passing the [N, P] state from chunk to chunk,
 * threads over heads. Step (T = 1): the O(1) recurrences on the same states. */

/* ---- Vector exp, silu and softplus on the SIMD layer ---- */

#if SMX__VW == 16
#define smx__ssm_vmin(a, b) _mm512_min_ps(a, b)
#define smx__ssm_vmax(a, b) _mm512_max_ps(a, b)
#define smx__ssm_vdiv(a, b) _mm512_div_ps(a, b)
#define smx__ssm_vround(x) _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define smx__ssm_vpow2i(p, n) _mm512_scalef_ps(p, n)   /* p * 2^n, n integral */
#define smx__ssm_vsel_gt(x, t, a, b) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_GT_OQ), a, b)  /* x > t ? b : a */
/* x = m 2^e with m in [0.5, 1) (x > 0, normal) */
#define smx__ssm_vfrexp(x, m, e)                                                                          \
    do {                                                                                                  \
        (m) = _mm512_mul_ps(_mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src), _mm512_set1_ps(0.5f)); \
        (e) = _mm512_add_ps(_mm512_getexp_ps(x), _mm512_set1_ps(1.0f));                                  \
    } while (0)
#elif SMX__VW == 8
#define smx__ssm_vmin(a, b) _mm256_min_ps(a, b)
#define smx__ssm_vmax(a, b) _mm256_max_ps(a, b)
#define smx__ssm_vdiv(a, b) _mm256_div_ps(a, b)
#define smx__ssm_vround(x) _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define smx__ssm_vpow2i(p, n) \
    _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23)))
#define smx__ssm_vsel_gt(x, t, a, b) _mm256_blendv_ps(a, b, _mm256_cmp_ps(x, t, _CMP_GT_OQ))
#define smx__ssm_vfrexp(x, m, e)                                                                                   \
    do {                                                                                                           \
        __m256i bits_ = _mm256_castps_si256(x);                                                                    \
        (e) = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits_, 23), _mm256_set1_epi32(126)));        \
        (m) = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits_, _mm256_set1_epi32(0x007FFFFF)),         \
                                                  _mm256_set1_epi32(0x3F000000)));                                 \
    } while (0)
#elif SMX__VW == 4
#define smx__ssm_vmin(a, b) vminq_f32(a, b)
#define smx__ssm_vmax(a, b) vmaxq_f32(a, b)
#define smx__ssm_vdiv(a, b) vdivq_f32(a, b)
#define smx__ssm_vround(x) vrndnq_f32(x)
#define smx__ssm_vpow2i(p, n) \
    vmulq_f32(p, vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23)))
#define smx__ssm_vsel_gt(x, t, a, b) vbslq_f32(vcgtq_f32(x, t), b, a)
#define smx__ssm_vfrexp(x, m, e)                                                                                 \
    do {                                                                                                         \
        uint32x4_t bits_ = vreinterpretq_u32_f32(x);                                                             \
        (e) = vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(bits_, 23)), vdupq_n_s32(126)));        \
        (m) = vreinterpretq_f32_u32(vorrq_u32(vandq_u32(bits_, vdupq_n_u32(0x007FFFFF)), vdupq_n_u32(0x3F000000))); \
    } while (0)
#endif

#if SMX__VW > 1
/* e^x: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for the reduction), e^r from a
 * degree-7 minimax polynomial (about 1 ulp), times 2^n. x is clamped to [-87.3, 88.3], where
 * float e^x is normal (below that the result is < 1.2e-38 instead of a denormal). */
static smx__vf smx__ssm_vexp(smx__vf x)
{
    smx__vf n, r, p;
    x = smx__ssm_vmin(smx__vset1(88.3f), x);
    x = smx__ssm_vmax(smx__vset1(-87.3f), x);
    n = smx__ssm_vround(smx__vmul(x, smx__vset1(1.44269504088896341f)));
    r = smx__vfma(n, smx__vset1(-0.693359375f), x);
    r = smx__vfma(n, smx__vset1(2.12194440e-4f), r);
    p = smx__vfma(smx__vset1(1.9875691500e-4f), r, smx__vset1(1.3981999507e-3f));
    p = smx__vfma(p, r, smx__vset1(8.3334519073e-3f));
    p = smx__vfma(p, r, smx__vset1(4.1665795894e-2f));
    p = smx__vfma(p, r, smx__vset1(1.6666665459e-1f));
    p = smx__vfma(p, r, smx__vset1(5.0000001201e-1f));
    p = smx__vfma(p, smx__vmul(r, r), smx__vadd(r, smx__vset1(1.0f)));
    return smx__ssm_vpow2i(p, n);
}

/* silu(x) = x / (1 + e^-x) */
static smx__vf smx__ssm_vsilu(smx__vf x)
{
    smx__vf e = smx__ssm_vexp(smx__vmul(x, smx__vset1(-1.0f)));
    return smx__ssm_vdiv(x, smx__vadd(smx__vset1(1.0f), e));
}

/* log(x) for positive normal x: x = m 2^e, m folded into [sqrt(1/2), sqrt(2)), log(m) from a
 * minimax polynomial in m - 1 (about 1 ulp), plus e ln2 in two parts. */
static smx__vf smx__ssm_vlog(smx__vf x)
{
    smx__vf m, e, f, z, p;
    smx__ssm_vfrexp(x, m, e);
    /* m < sqrt(1/2): f = 2m - 1, e - 1; else f = m - 1 */
    f = smx__ssm_vsel_gt(m, smx__vset1(0.707106781186547524f), smx__vadd(smx__vadd(m, m), smx__vset1(-1.0f)),
                         smx__vadd(m, smx__vset1(-1.0f)));
    e = smx__ssm_vsel_gt(m, smx__vset1(0.707106781186547524f), smx__vadd(e, smx__vset1(-1.0f)), e);
    z = smx__vmul(f, f);
    p = smx__vfma(smx__vset1(7.0376836292e-2f), f, smx__vset1(-1.1514610310e-1f));
    p = smx__vfma(p, f, smx__vset1(1.1676998740e-1f));
    p = smx__vfma(p, f, smx__vset1(-1.2420140846e-1f));
    p = smx__vfma(p, f, smx__vset1(1.4249322787e-1f));
    p = smx__vfma(p, f, smx__vset1(-1.6668057665e-1f));
    p = smx__vfma(p, f, smx__vset1(2.0000714765e-1f));
    p = smx__vfma(p, f, smx__vset1(-2.4999993993e-1f));
    p = smx__vfma(p, f, smx__vset1(3.3333331174e-1f));
    p = smx__vmul(smx__vmul(p, f), z);
    p = smx__vfma(e, smx__vset1(-2.12194440e-4f), p);
    p = smx__vfma(z, smx__vset1(-0.5f), p);
    return smx__vfma(e, smx__vset1(0.693359375f), smx__vadd(f, p));
}

/* softplus with torch's threshold: x > 20: x; else log1p(e^x), computed as
 * log(u) e^x / (u - 1) with u = 1 + e^x (exact to rounding wherever u > 1); below -15, e^x. */
static smx__vf smx__ssm_vsoftplus(smx__vf x)
{
    smx__vf y = smx__ssm_vexp(x), u = smx__vadd(smx__vset1(1.0f), y);
    smx__vf lp = smx__vmul(smx__ssm_vlog(u), smx__ssm_vdiv(y, smx__vadd(u, smx__vset1(-1.0f))));
    lp = smx__ssm_vsel_gt(x, smx__vset1(20.0f), lp, x);
    return smx__ssm_vsel_gt(x, smx__vset1(-15.0f), y, lp);
}
#endif

/* y[i] *= act(z[i]) over n floats (the gate) */
static void smx__ssm_gate(float *y, const float *z, int n, int act)
{
    int i = 0;
#if SMX__VW > 1
    if (act == SMX__ACT_SILU)
        for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(y + i, smx__vmul(smx__vld(y + i), smx__ssm_vsilu(smx__vld(z + i))));
#endif
    for (; i < n; i++) y[i] *= smx__act(act, z[i]);
}

/* dst[i] = a src[i] over n floats (dst may be src) */
static void smx__ssm_scale(float *dst, const float *src, float a, int n)
{
    int i = 0;
#if SMX__VW > 1
    smx__vf va = smx__vset1(a);
    for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(dst + i, smx__vmul(va, smx__vld(src + i)));
#endif
    for (; i < n; i++) dst[i] = a * src[i];
}

/* Threads worth starting for about `work` multiply-adds: below a few hundred thousand a parallel
 * region costs more than it saves (the decode step of the small projections, conv and scan). */
static int smx__ssm_nth(double work, int nth) { return work < 2e5 ? 1 : nth; }

/* ---- Causal depthwise conv1d over T tokens, continuing from a history (section 1.4) ----
 *   out[t, c] = act(b[c] + sum_{k<K} wT[k, c] * xin[t - (K-1) + k, c])
 * where xin[j] for j < 0 is hist[(K-1) + j] (the previous tokens' inputs). Afterwards hist holds
 * the K-1 newest inputs. in: [T, C] with row stride ldi; out: [T, C] stride ldo; wT: [K, C]
 * (the torch weight [C, 1, K] transposed); hist: [K-1, C]. Threads over channel blocks. */
static void smx__ssm_conv(const float *in, size_t ldi, float *out, size_t ldo, int T, int C, int K, const float *wT,
                          const float *b, float *hist, int act, int nth)
{
    const int CB = 256;   /* channels per block */
    int nblk = (C + CB - 1) / CB, blk;
    (void)nth;
    SMX__OMP_FOR(nth)
    for (blk = 0; blk < nblk; blk++) {
        int c0 = blk * CB, c1 = SMX__MIN(C, c0 + CB), t, k, c;
        for (t = 0; t < T; t++) {
            float *o = out + (size_t)t * ldo;
            for (c = c0; c < c1; c++) o[c] = b ? b[c] : 0.0f;
            for (k = 0; k < K; k++) {
                int j = t - (K - 1) + k;
                const float *src = j >= 0 ? in + (size_t)j * ldi : hist + (size_t)(K - 1 + j) * C;
                const float *w = wT + (size_t)k * C;
                c = c0;
#if SMX__VW > 1
                for (; c + SMX__VW <= c1; c += SMX__VW)
                    smx__vst(o + c, smx__vfma(smx__vld(w + c), smx__vld(src + c), smx__vld(o + c)));
#endif
                for (; c < c1; c++) o[c] += w[c] * src[c];
            }
            if (act == SMX__ACT_SILU) {
                c = c0;
#if SMX__VW > 1
                for (; c + SMX__VW <= c1; c += SMX__VW) smx__vst(o + c, smx__ssm_vsilu(smx__vld(o + c)));
#endif
                for (; c < c1; c++) o[c] = smx__silu(o[c]);
            } else if (act != SMX__ACT_NONE) {
                for (c = c0; c < c1; c++) o[c] = smx__act(act, o[c]);
            }
        }
        /* new history: the K-1 newest of (old history ++ inputs) */
        for (k = 0; k < K - 1; k++) {
            int j = T - (K - 1) + k;   /* input index that lands in history row k */
            float *h = hist + (size_t)k * C;
            if (j >= 0) memcpy(h + c0, in + (size_t)j * ldi + c0, sizeof(float) * (size_t)(c1 - c0));
            else memcpy(h + c0, hist + (size_t)(k + T) * C + c0, sizeof(float) * (size_t)(c1 - c0));
        }
    }
}

/* Transposed copy of a conv weight [C, 1, K] -> [K, C] in the model arena. */
static const float *smx__ssm_conv_weight(smx__loader *ld, const float *w, int C, int K)
{
    float *t = smx__ld_alloc(ld, (size_t)C * K);
    int c, k;
    if (!t || !w) return NULL;
    for (c = 0; c < C; c++)
        for (k = 0; k < K; k++) t[(size_t)k * C + c] = w[(size_t)c * K + k];
    return t;
}

/* An activation named by key of config object o (NULL: the root), for the SSM families. */
static int smx__ssm_act(smx__loader *ld, const smx__jv *o, const char *key)
{
    const char *s = smx__cs(ld, o, key, "silu");
    int a = smx__act_by_name(s);
    if (a < 0) smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: %s '%s' is not supported", key, s);
    return a < 0 ? SMX__ACT_SILU : a;
}

/* time_step_rank / mamba_dt_rank: an integer, or "auto" = ceil(hidden / 16). */
static int smx__ssm_dt_rank(smx__loader *ld, const smx__jv *o, const char *key, int d)
{
    const smx__jv *v = smx__cfg_get(ld, o, key);
    if (!v || (v->type == SMX__J_STR && !strcmp(v->str, "auto"))) return (d + 15) / 16;
    if (v->type != SMX__J_STR) return smx__ci_pos(ld, o, key, 1);
    smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be an integer or \"auto\"", key);
    return 1;
}

/* ===================================================================================== */
/* Mamba (v1) mixer                                                                      */
/* ===================================================================================== */

typedef struct smx__mamba_cfg {
    int d, d_inner, d_state, dt_rank, d_conv;
    int bias, conv_bias, act;
    int bcdt_norm;          /* Jamba: RMSNorms on dt/B/C (dt_layernorm, b_layernorm, c_layernorm) */
    float norm_eps;
} smx__mamba_cfg;

typedef struct smx__mamba {
    smx__op base;
    int di, N, R, K, act;
    float norm_eps;
    const float *w_in, *b_in;       /* [2 di, d], [2 di]   rows: x then z */
    const float *conv_wT, *conv_b;  /* [K, di], [di] */
    const float *w_x;               /* [R + 2N, di]   rows: dt | B | C */
    const float *w_dt, *b_dt;       /* [di, R], [di] */
    const float *AT;                /* [N, di]   A = -exp(A_log), transposed */
    const float *Dsk;               /* [di] */
    const float *w_out, *b_out;     /* [d, di], [d] */
    const float *dt_nw, *b_nw, *c_nw; /* [R], [N], [N] or NULL */
} smx__mamba;

static size_t smx__mamba_state(const smx__op *op, int n_ctx)
{
    const smx__mamba *m = (const smx__mamba *)op;
    (void)n_ctx;
    return ((size_t)(m->K - 1) + (size_t)m->N) * (size_t)m->di * sizeof(float);
}

static size_t smx__mamba_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__mamba *m = (const smx__mamba *)op;
    (void)n_ctx; (void)nth;
    return (size_t)T * (5 * (size_t)m->di + (size_t)m->R + 2 * (size_t)m->N) + 64;
}

/* The selective scan over T tokens, continuing from S [N, di]:
 *   dt[t, d] = softplus(dtp[t, d])
 *   h[d, n] <- exp(A[d, n] dt[t, d]) h[d, n] + dt[t, d] B[t, n] u[t, d]
 *   y[t, d]  = (sum_n h[d, n] C[t, n] + D[d] u[t, d]) * act(z[t, d])
 * u, dtp, y: [T, di]; z: [T, di] with row stride ldz; Bm, Cm: [T, N]. Blocks of CB channels keep
 * their [N, CB] state and A in L1 across the T tokens; threads take blocks. */
static void smx__mamba_scan(const smx__mamba *m, float *S, int T, const float *u, const float *dtp, const float *Bm,
                            const float *Cm, const float *z, size_t ldz, float *y, int nth)
{
    const int di = m->di, N = m->N, CB = 4 * SMX__VW < 16 ? 16 : 4 * SMX__VW;
    int nblk = (di + CB - 1) / CB, blk;
    (void)nth;
    SMX__OMP_FOR(nth)
    for (blk = 0; blk < nblk; blk++) {
        int c0 = blk * CB, c1 = SMX__MIN(di, c0 + CB), t, n, c;
        for (t = 0; t < T; t++) {
            const float *dtt = dtp + (size_t)t * di, *ut = u + (size_t)t * di, *Bt = Bm + (size_t)t * N, *Ct = Cm + (size_t)t * N;
            float *yt = y + (size_t)t * di;
            c = c0;
#if SMX__VW > 1
            for (; c + SMX__VW <= c1; c += SMX__VW) {
                smx__vf vdt = smx__ssm_vsoftplus(smx__vld(dtt + c)), vu = smx__vld(ut + c), vdu = smx__vmul(vdt, vu);
                smx__vf acc = smx__vzero();
                for (n = 0; n < N; n++) {
                    float *s = S + (size_t)n * di + c;
                    smx__vf dA = smx__ssm_vexp(smx__vmul(smx__vld(m->AT + (size_t)n * di + c), vdt));
                    smx__vf h = smx__vfma(dA, smx__vld(s), smx__vmul(vdu, smx__vset1(Bt[n])));
                    smx__vst(s, h);
                    acc = smx__vfma(h, smx__vset1(Ct[n]), acc);
                }
                smx__vst(yt + c, smx__vfma(smx__vld(m->Dsk + c), vu, acc));
            }
#endif
            for (; c < c1; c++) {
                float d_t = smx__softplus(dtt[c]), du = d_t * ut[c], acc = 0.0f;
                for (n = 0; n < N; n++) {
                    float *s = S + (size_t)n * di + c;
                    *s = expf(m->AT[(size_t)n * di + c] * d_t) * *s + du * Bt[n];
                    acc += *s * Ct[n];
                }
                yt[c] = acc + m->Dsk[c] * ut[c];
            }
            smx__ssm_gate(yt + c0, z + (size_t)t * ldz + c0, c1 - c0, m->act);
        }
    }
}

/* Scalar twin of the scan (tests compare them). */
SMX__MAYBE_UNUSED static void smx__mamba_scan_ref(const smx__mamba *m, float *S, int T, const float *u, const float *dtp,
                                                  const float *Bm, const float *Cm, const float *z, size_t ldz, float *y)
{
    int t, c, n;
    for (t = 0; t < T; t++)
        for (c = 0; c < m->di; c++) {
            float d_t = smx__softplus(dtp[(size_t)t * m->di + c]), ut = u[(size_t)t * m->di + c], acc = 0.0f;
            for (n = 0; n < m->N; n++) {
                float *s = S + (size_t)n * m->di + c;
                *s = expf(m->AT[(size_t)n * m->di + c] * d_t) * *s + d_t * Bm[(size_t)t * m->N + n] * ut;
                acc += *s * Cm[(size_t)t * m->N + n];
            }
            y[(size_t)t * m->di + c] = (acc + m->Dsk[c] * ut) * smx__act(m->act, z[(size_t)t * ldz + c]);
        }
}

static void smx__mamba_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mamba *m = (const smx__mamba *)op;
    const int T = f->T, di = m->di, N = m->N, R = m->R, d = op->d_in;
    float *hist = (float *)state;                       /* [K-1, di] */
    float *S = hist + (size_t)(m->K - 1) * di;          /* [N, di] */
    float *xz = f->scratch;                             /* [T, 2 di]   x | z */
    float *u = xz + (size_t)T * 2 * di;                 /* [T, di]     conv output */
    float *dtr = u + (size_t)T * di;                    /* [T, R] */
    float *Bm = dtr + (size_t)T * R;                    /* [T, N] */
    float *Cm = Bm + (size_t)T * N;                     /* [T, N] */
    float *dt = Cm + (size_t)T * N;                     /* [T, di]     dt before softplus */
    float *y = dt + (size_t)T * di;                     /* [T, di] */
    const int nx = smx__ssm_nth((double)T * di * (R + 2 * N), f->nth);
    int t;
    /* [x | z] = xn in_proj^T (+b) */
    smx__matmul(xz, f->x, m->w_in, m->b_in, T, d, 2 * di, f->nth);
    /* u = act(causal_conv1d(x)) */
    smx__ssm_conv(xz, 2 * (size_t)di, u, (size_t)di, T, di, m->K, m->conv_wT, m->conv_b, hist, m->act,
                  smx__ssm_nth((double)T * di * m->K * 4, f->nth));
    /* [dt_r | B | C] = u x_proj^T */
    smx__matmul(dtr, u, m->w_x, NULL, T, di, R, nx);
    smx__matmul(Bm, u, m->w_x + (size_t)R * di, NULL, T, di, N, nx);
    smx__matmul(Cm, u, m->w_x + (size_t)(R + N) * di, NULL, T, di, N, nx);
    if (m->dt_nw)   /* Jamba: dt_r, B, C each RMS-normalised */
        for (t = 0; t < T; t++) {
            smx__rmsnorm(dtr + (size_t)t * R, dtr + (size_t)t * R, m->dt_nw, R, m->norm_eps);
            smx__rmsnorm(Bm + (size_t)t * N, Bm + (size_t)t * N, m->b_nw, N, m->norm_eps);
            smx__rmsnorm(Cm + (size_t)t * N, Cm + (size_t)t * N, m->c_nw, N, m->norm_eps);
        }
    /* dt = softplus(dt_r dt_proj^T + b_dt)   (the softplus runs inside the scan) */
    smx__matmul(dt, dtr, m->w_dt, m->b_dt, T, R, di, smx__ssm_nth((double)T * R * di, f->nth));
    /* selective scan, D skip, gate */
    smx__mamba_scan(m, S, T, u, dt, Bm, Cm, xz + di, 2 * (size_t)di, y, smx__ssm_nth((double)T * di * N * 8, f->nth));
    /* out = y out_proj^T (+b) */
    smx__matmul(f->y, y, m->w_out, m->b_out, T, di, op->d_out, f->nth);
}

static const smx__op_vt smx__mamba_vt = {
    "mamba", 'M', smx__mamba_state, NULL, smx__mamba_scratch, smx__mamba_forward, NULL
};

/* prefix e.g. "backbone.layers.3.mixer." */
static smx__op *smx__mamba_load(smx__loader *ld, const smx__mamba_cfg *c, const char *prefix)
{
    smx__mamba *m;
    const float *cw, *alog;
    float *AT;
    int di = c->d_inner, N = c->d_state, R = c->dt_rank, K = c->d_conv, j, n;
    if (!smx__ld_check(ld, c->d > 0 && di > 0 && N > 0 && R > 0 && K > 0, SMX_E_RANGE,
                       "config.json: Mamba sizes must be positive (hidden %d, inner %d, state %d, dt rank %d, conv %d)",
                       c->d, di, N, R, K))
        return NULL;
    m = (smx__mamba *)smx__op_new(ld, sizeof *m, &smx__mamba_vt, c->d, c->d);
    if (!m) return NULL;
    m->di = di; m->N = N; m->R = R; m->K = K; m->act = c->act; m->norm_eps = c->norm_eps;
    m->w_in = SMX__W2(ld, 2 * di, c->d, "%sin_proj.weight", prefix);
    if (c->bias) m->b_in = SMX__W1(ld, 2 * di, "%sin_proj.bias", prefix);
    cw = SMX__W3(ld, di, 1, K, "%sconv1d.weight", prefix);
    if (c->conv_bias) m->conv_b = SMX__W1(ld, di, "%sconv1d.bias", prefix);
    m->w_x = SMX__W2(ld, R + 2 * N, di, "%sx_proj.weight", prefix);
    m->w_dt = SMX__W2(ld, di, R, "%sdt_proj.weight", prefix);
    m->b_dt = SMX__W1(ld, di, "%sdt_proj.bias", prefix);
    alog = SMX__W2(ld, di, N, "%sA_log", prefix);
    m->Dsk = SMX__W1(ld, di, "%sD", prefix);
    m->w_out = SMX__W2(ld, c->d, di, "%sout_proj.weight", prefix);
    if (c->bias) m->b_out = SMX__W1(ld, c->d, "%sout_proj.bias", prefix);
    if (c->bcdt_norm) {
        m->dt_nw = SMX__W1(ld, R, "%sdt_layernorm.weight", prefix);
        m->b_nw = SMX__W1(ld, N, "%sb_layernorm.weight", prefix);
        m->c_nw = SMX__W1(ld, N, "%sc_layernorm.weight", prefix);
    }
    m->conv_wT = smx__ssm_conv_weight(ld, cw, di, K);
    AT = smx__ld_alloc(ld, (size_t)N * di);
    if (ld->st) return NULL;
    /* A = -exp(A_log), stored [N, di] */
    for (j = 0; j < di; j++)
        for (n = 0; n < N; n++) AT[(size_t)n * di + j] = -expf(alog[(size_t)j * N + n]);
    m->AT = AT;
    return &m->base;
}

/* ===================================================================================== */
/* Mamba family (MambaForCausalLM)                                                       */
/* ===================================================================================== */

/* Embedding + head for the "backbone." families. Original mamba_ssm checkpoints name the
 * embedding "backbone.embedding.weight" (transformers renames it on load); the vocabulary is
 * the embedding's row count (it may be padded past vocab_size). */
static void smx__ssm_embed_head(smx__loader *ld, int d, int tied)
{
    int64_t sh[8];
    const char *emb = "backbone.embeddings.weight";
    int V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    if (smx__tensor_shape(ld, sh, "%s", emb) < 0 && smx__tensor_shape(ld, sh, "backbone.embedding.weight") >= 0)
        emb = "backbone.embedding.weight";
    if (smx__tensor_shape(ld, sh, "%s", emb) == 2 && sh[1] == d && sh[0] >= V && sh[0] < INT_MAX) V = (int)sh[0];
    smx__load_embed_head(ld, V, d, emb, "lm_head.weight", tied);
}

/* d_inner = int(expand * hidden); a config's intermediate_size wins where the in_proj weight
 * (rows = rows_per * d_inner + extra) agrees with it. */
static int smx__ssm_inner(smx__loader *ld, const char *expand_key, const char *inner_key, int d, const char *wname,
                          int rows_per, int extra)
{
    int64_t sh[8];
    double ex = smx__cf(ld, NULL, expand_key, 2.0);
    int di = (int)(ex * d), dj = inner_key ? smx__ci(ld, NULL, inner_key, 0) : 0;
    if (dj > 0 && dj != di) {
        if (smx__tensor_shape(ld, sh, "%s", wname) == 2 && sh[0] == (int64_t)rows_per * dj + extra) di = dj;
        else if (ld->random) di = dj;
    }
    smx__ld_check(ld, di > 0, SMX_E_RANGE, "config.json: %s %g gives an inner size of %d", expand_key, ex, di);
    return di;
}

static smx_status smx__build_mamba(smx__loader *ld)
{
    smx__mamba_cfg c;
    char p[128];
    int L, l;
    float eps;
    memset(&c, 0, sizeof c);
    c.d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    c.d_state = smx__ci_pos(ld, NULL, "state_size", 16);
    c.d_conv = smx__ci_pos(ld, NULL, "conv_kernel", 4);
    c.bias = smx__cb(ld, NULL, "use_bias", 0);
    c.conv_bias = smx__cb(ld, NULL, "use_conv_bias", 1);
    c.act = smx__ssm_act(ld, NULL, "hidden_act");
    eps = (float)smx__cf(ld, NULL, "layer_norm_epsilon", 1e-5);
    if (ld->st) return ld->st;
    c.dt_rank = smx__ssm_dt_rank(ld, NULL, "time_step_rank", c.d);
    c.d_inner = smx__ssm_inner(ld, "expand", "intermediate_size", c.d, "backbone.layers.0.mixer.in_proj.weight", 2, 0);
    if (ld->st) return ld->st;
    smx__ssm_embed_head(ld, c.d, smx__cb(ld, NULL, "tie_word_embeddings", 1));
    for (l = 0; l < L && !ld->st; l++) {
        snprintf(p, sizeof p, "backbone.layers.%d.mixer.", l);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, c.d, "backbone.layers.%d.norm.weight", l), NULL,
                     smx__mamba_load(ld, &c, p), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, c.d, "backbone.norm_f.weight");
    return ld->st;
}

#define SMX__BUILD_MAMBA smx__build_mamba

/* ===================================================================================== */
/* Mamba-2 (SSD) mixer                                                                   */
/* ===================================================================================== */

/* Keep a loaded vector in a register: without this, GCC folds the load into every FMA that uses
 * it as a memory operand, which multiplies the loads of the tiles below by the rows of a tile. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && SMX__VW > 1
#define SMX__SSM_KEEP(v) __asm__("" : "+v"(v))
#elif defined(__GNUC__) && defined(__aarch64__) && SMX__VW > 1
#define SMX__SSM_KEEP(v) __asm__("" : "+w"(v))
#else
#define SMX__SSM_KEEP(v) ((void)0)
#endif

#if SMX__VW > 1
/* Store (or add) accumulator c into row i of the tile at column offset j vectors. */
#define SMX__SSM_PUT(i, j, c)                                                                     \
    do {                                                                                          \
        if ((i) < nr) {                                                                           \
            float *y_ = y0 + (size_t)(i) * ldy + p + (j) * SMX__VW;                               \
            smx__vst(y_, acc ? smx__vadd(c, smx__vld(y_)) : c);                                   \
        }                                                                                         \
    } while (0)
#endif

/* Y[R, P] (+)= A[R, K] V[K, P]: rows of Y, A and V with strides ldy, lda, ldv. Register tiles of
 * 4 rows x 4, 2 or 1 vectors. tri: A is lower triangular (A[r][k] = 0 for k > r, stored as zeros up
 * to the end of each 4-row block), so row block r0 only runs k < r0 + 4. */
static void smx__ssm_gemm(float *Y, size_t ldy, const float *A, size_t lda, const float *V, size_t ldv, int R, int K, int P,
                          int acc, int tri)
{
    int r0, p, k, i;
    for (r0 = 0; r0 < R; r0 += 4) {
        int nr = SMX__MIN(4, R - r0), kend = tri ? SMX__MIN(K, r0 + 4) : K;
        const float *a0 = A + (size_t)r0 * lda, *a1 = a0 + (nr > 1 ? lda : 0), *a2 = a0 + (nr > 2 ? 2 * lda : 0);
        const float *a3 = a0 + (nr > 3 ? 3 * lda : 0);
        float *y0 = Y + (size_t)r0 * ldy;
        p = 0;
#if SMX__VW > 1
#if SMX__VW != 8   /* 32 vector registers (AVX-512, NEON): 4 x 4 tiles; AVX2's 16 take 4 x 2 */
        for (; p + 4 * SMX__VW <= P; p += 4 * SMX__VW) {   /* 4 rows x 4 vectors */
            smx__vf c00 = smx__vzero(), c01 = smx__vzero(), c02 = smx__vzero(), c03 = smx__vzero();
            smx__vf c10 = smx__vzero(), c11 = smx__vzero(), c12 = smx__vzero(), c13 = smx__vzero();
            smx__vf c20 = smx__vzero(), c21 = smx__vzero(), c22 = smx__vzero(), c23 = smx__vzero();
            smx__vf c30 = smx__vzero(), c31 = smx__vzero(), c32 = smx__vzero(), c33 = smx__vzero();
            for (k = 0; k < kend; k++) {
                const float *v = V + (size_t)k * ldv + p;
                smx__vf v0 = smx__vld(v), v1 = smx__vld(v + SMX__VW), v2 = smx__vld(v + 2 * SMX__VW), v3 = smx__vld(v + 3 * SMX__VW), b;
                SMX__SSM_KEEP(v0); SMX__SSM_KEEP(v1); SMX__SSM_KEEP(v2); SMX__SSM_KEEP(v3);
                b = smx__vset1(a0[k]);
                c00 = smx__vfma(b, v0, c00); c01 = smx__vfma(b, v1, c01); c02 = smx__vfma(b, v2, c02); c03 = smx__vfma(b, v3, c03);
                b = smx__vset1(a1[k]);
                c10 = smx__vfma(b, v0, c10); c11 = smx__vfma(b, v1, c11); c12 = smx__vfma(b, v2, c12); c13 = smx__vfma(b, v3, c13);
                b = smx__vset1(a2[k]);
                c20 = smx__vfma(b, v0, c20); c21 = smx__vfma(b, v1, c21); c22 = smx__vfma(b, v2, c22); c23 = smx__vfma(b, v3, c23);
                b = smx__vset1(a3[k]);
                c30 = smx__vfma(b, v0, c30); c31 = smx__vfma(b, v1, c31); c32 = smx__vfma(b, v2, c32); c33 = smx__vfma(b, v3, c33);
            }
            SMX__SSM_PUT(0, 0, c00); SMX__SSM_PUT(0, 1, c01); SMX__SSM_PUT(0, 2, c02); SMX__SSM_PUT(0, 3, c03);
            SMX__SSM_PUT(1, 0, c10); SMX__SSM_PUT(1, 1, c11); SMX__SSM_PUT(1, 2, c12); SMX__SSM_PUT(1, 3, c13);
            SMX__SSM_PUT(2, 0, c20); SMX__SSM_PUT(2, 1, c21); SMX__SSM_PUT(2, 2, c22); SMX__SSM_PUT(2, 3, c23);
            SMX__SSM_PUT(3, 0, c30); SMX__SSM_PUT(3, 1, c31); SMX__SSM_PUT(3, 2, c32); SMX__SSM_PUT(3, 3, c33);
        }
#endif
        for (; p + 2 * SMX__VW <= P; p += 2 * SMX__VW) {   /* 4 rows x 2 vectors */
            smx__vf c00 = smx__vzero(), c01 = smx__vzero(), c10 = smx__vzero(), c11 = smx__vzero();
            smx__vf c20 = smx__vzero(), c21 = smx__vzero(), c30 = smx__vzero(), c31 = smx__vzero();
            for (k = 0; k < kend; k++) {
                const float *v = V + (size_t)k * ldv + p;
                smx__vf v0 = smx__vld(v), v1 = smx__vld(v + SMX__VW), b;
                SMX__SSM_KEEP(v0); SMX__SSM_KEEP(v1);
                b = smx__vset1(a0[k]); c00 = smx__vfma(b, v0, c00); c01 = smx__vfma(b, v1, c01);
                b = smx__vset1(a1[k]); c10 = smx__vfma(b, v0, c10); c11 = smx__vfma(b, v1, c11);
                b = smx__vset1(a2[k]); c20 = smx__vfma(b, v0, c20); c21 = smx__vfma(b, v1, c21);
                b = smx__vset1(a3[k]); c30 = smx__vfma(b, v0, c30); c31 = smx__vfma(b, v1, c31);
            }
            SMX__SSM_PUT(0, 0, c00); SMX__SSM_PUT(0, 1, c01); SMX__SSM_PUT(1, 0, c10); SMX__SSM_PUT(1, 1, c11);
            SMX__SSM_PUT(2, 0, c20); SMX__SSM_PUT(2, 1, c21); SMX__SSM_PUT(3, 0, c30); SMX__SSM_PUT(3, 1, c31);
        }
        for (; p + SMX__VW <= P; p += SMX__VW) {           /* 4 rows x 1 vector */
            smx__vf c0 = smx__vzero(), c1 = smx__vzero(), c2 = smx__vzero(), c3 = smx__vzero();
            for (k = 0; k < kend; k++) {
                smx__vf v0 = smx__vld(V + (size_t)k * ldv + p);
                SMX__SSM_KEEP(v0);
                c0 = smx__vfma(smx__vset1(a0[k]), v0, c0); c1 = smx__vfma(smx__vset1(a1[k]), v0, c1);
                c2 = smx__vfma(smx__vset1(a2[k]), v0, c2); c3 = smx__vfma(smx__vset1(a3[k]), v0, c3);
            }
            SMX__SSM_PUT(0, 0, c0); SMX__SSM_PUT(1, 0, c1); SMX__SSM_PUT(2, 0, c2); SMX__SSM_PUT(3, 0, c3);
        }
#endif
        for (; p < P; p++) {
            float s[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
            for (k = 0; k < kend; k++) {
                float v = V[(size_t)k * ldv + p];
                s[0] += a0[k] * v; s[1] += a1[k] * v; s[2] += a2[k] * v; s[3] += a3[k] * v;
            }
            for (i = 0; i < nr; i++) {
                float *y = y0 + (size_t)i * ldy + p;
                *y = acc ? *y + s[i] : s[i];
            }
        }
    }
}

SMX__MAYBE_UNUSED static void smx__ssm_gemm_ref(float *Y, size_t ldy, const float *A, size_t lda, const float *V, size_t ldv,
                                                int R, int K, int P, int acc)
{
    int r, k, p;
    for (r = 0; r < R; r++)
        for (p = 0; p < P; p++) {
            float s = 0.0f;
            for (k = 0; k < K; k++) s += A[(size_t)r * lda + k] * V[(size_t)k * ldv + p];
            Y[(size_t)r * ldy + p] = acc ? Y[(size_t)r * ldy + p] + s : s;
        }
}

typedef struct smx__mamba2_cfg {
    int d, d_inner, n_heads, head_dim, d_state, n_groups, d_conv, chunk;
    int bias, conv_bias, act;
    float eps;              /* gated RMSNorm */
    float dt_lo, dt_hi;     /* time_step_limit */
} smx__mamba2_cfg;

typedef struct smx__mamba2 {
    smx__op base;
    int di, H, P, N, G, K, Q, act, cd, E;   /* cd = conv_dim = di + 2 G N; E = di + cd + H */
    float eps, dt_lo, dt_hi;
    const float *w_in, *b_in;       /* [E, d], [E]   rows: z | x B C | dt (past the discarded 2 d_mlp) */
    const float *conv_wT, *conv_b;  /* [K, cd], [cd] */
    const float *dt_bias, *A, *Dsk; /* [H] each; A = -exp(A_log) */
    const float *nw;                /* [di] gated RMSNorm weight */
    const float *w_out, *b_out;     /* [d, di], [d] */
} smx__mamba2;

static size_t smx__mamba2_state(const smx__op *op, int n_ctx)
{
    const smx__mamba2 *m = (const smx__mamba2 *)op;
    (void)n_ctx;
    return ((size_t)(m->K - 1) * m->cd + (size_t)m->H * m->N * m->P) * sizeof(float);
}

/* Chunk work buffers per thread: M [Q, Q], Cs [Q, N], Xc and Xs [Q, P], 2 vectors of Q. */
static size_t smx__mamba2_thread_floats(const smx__mamba2 *m, int Qe)
{
    return (size_t)Qe * Qe + (size_t)Qe * m->N + 2 * (size_t)Qe * m->P + 2 * (size_t)Qe + 64;
}

/* Per chunk and group: Gm = C B^T [Q, Q] and B^T [N, Q]. */
static size_t smx__mamba2_cg_floats(const smx__mamba2 *m, int Qe) { return (size_t)Qe * Qe + (size_t)m->N * Qe; }

static size_t smx__mamba2_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__mamba2 *m = (const smx__mamba2 *)op;
    size_t Qe = (size_t)SMX__MIN(m->Q, T), nch = ((size_t)T + m->Q - 1) / m->Q;
    (void)n_ctx;
    return (size_t)T * ((size_t)m->E + m->cd + m->H + m->di) + (size_t)m->G * T * m->N +
           nch * m->G * smx__mamba2_cg_floats(m, (int)Qe) + (size_t)(nth > 0 ? nth : 1) * smx__mamba2_thread_floats(m, (int)Qe) +
           256;
}

/* One head over T tokens by chunks of Q, continuing from its state S [N, P]. Per chunk of
 * length L starting at t0, with a_s = dt_s A and acs = cumsum(a) inside the chunk:
 *   Y[l]   = sum_{s<=l} (C_l . B_s) exp(acs_l - acs_s) dt_s x_s      (intra-chunk, Gm = C B^T)
 *          + exp(acs_l) C_l S                                      (state entering the chunk)
 *          + D x_l
 *   S     <- exp(acs_{L-1}) S + B^T (exp(acs_{L-1} - acs_s) dt_s x_s)_s
 * x: [T, *] rows of stride ldx (this head's P columns); y likewise (stride ldy); dt: [T, H];
 * Cc: [T, N] this head's group; cgb: the group's Gm [L, L] then B^T [N, L] of chunk c at
 * cgb + c * cgstride. w: smx__mamba2_thread_floats of work space. */
static void smx__mamba2_head_chunked(const smx__mamba2 *m, int h, float *S, int T, const float *x, size_t ldx, const float *dt,
                                     const float *Cc, const float *cgb, size_t cgstride, int Qe, float *y, size_t ldy, float *w)
{
    const int N = m->N, P = m->P, Q = m->Q, H = m->H;
    const float Ah = m->A[h], Dh = m->Dsk[h];
    float *M = w;                       /* [Q, Q] */
    float *Cs = M + (size_t)Qe * Qe;    /* [Q, N] */
    float *Xc = Cs + (size_t)Qe * N;    /* [Q, P]  the chunk's x, contiguous */
    float *Xs = Xc + (size_t)Qe * P;    /* [Q, P]  x scaled for the state update */
    float *acs = Xs + (size_t)Qe * P;   /* [Q] */
    float *dts = acs + Qe;              /* [Q] */
    int t0, ci;
    for (t0 = 0, ci = 0; t0 < T; t0 += Q, ci++) {
        int L = SMX__MIN(Q, T - t0), l, s, n;
        const float *G = cgb + (size_t)ci * cgstride, *BT = G + (size_t)L * L;
        const float *X = Xc;
        float *Y = y + (size_t)t0 * ldy, run = 0.0f, last, e;
        for (l = 0; l < L; l++) {
            dts[l] = dt[(size_t)(t0 + l) * H + h];
            run += dts[l] * Ah;
            acs[l] = run;
            memcpy(Xc + (size_t)l * P, x + (size_t)(t0 + l) * ldx, sizeof(float) * (size_t)P);
        }
        /* M[l][s] = G[l][s] exp(acs_l - acs_s) dt_s for s <= l; zeros above the diagonal up to the
         * end of the 4-row block */
        for (l = 0; l < L; l++) {
            float *Ml = M + (size_t)l * L, al = acs[l];
            const float *Gl = G + (size_t)l * L;
            s = 0;
#if SMX__VW > 1
            for (; s + SMX__VW <= l + 1; s += SMX__VW) {
                smx__vf d = smx__vadd(smx__vset1(al), smx__vmul(smx__vld(acs + s), smx__vset1(-1.0f)));
                smx__vst(Ml + s, smx__vmul(smx__vmul(smx__vld(Gl + s), smx__ssm_vexp(d)), smx__vld(dts + s)));
            }
#endif
            for (; s <= l; s++) Ml[s] = Gl[s] * expf(al - acs[s]) * dts[s];
            for (; s < SMX__MIN(L, (l | 3) + 1); s++) Ml[s] = 0.0f;
        }
        /* Y = M X */
        smx__ssm_gemm(Y, ldy, M, (size_t)L, X, (size_t)P, L, L, P, 0, 1);
        /* Y += (exp(acs) C) S */
        for (l = 0; l < L; l++) smx__ssm_scale(Cs + (size_t)l * N, Cc + (size_t)(t0 + l) * N, expf(acs[l]), N);
        smx__ssm_gemm(Y, ldy, Cs, (size_t)N, S, (size_t)P, L, N, P, 1, 0);
        /* Y += D x */
        for (l = 0; l < L; l++) smx__axpy(Y + (size_t)l * ldy, Dh, X + (size_t)l * P, P);
        /* S = exp(acs_{L-1}) S + B^T Xs,  Xs[s] = exp(acs_{L-1} - acs_s) dt_s x_s */
        last = acs[L - 1];
        for (s = 0; s < L; s++) smx__ssm_scale(Xs + (size_t)s * P, X + (size_t)s * P, expf(last - acs[s]) * dts[s], P);
        e = expf(last);
        for (n = 0; n < N; n++) smx__ssm_scale(S + (size_t)n * P, S + (size_t)n * P, e, P);
        smx__ssm_gemm(S, (size_t)P, BT, (size_t)L, Xs, (size_t)P, N, L, P, 1, 0);
    }
}

/* One head, one token (the recurrence):
 *   S[n, :] = exp(dt A) S[n, :] + dt B[n] x;   y = sum_n C[n] S[n, :] + D x */
static void smx__mamba2_head_step(const smx__mamba2 *m, int h, float *S, const float *x, float dt, const float *B,
                                  const float *C, float *y)
{
    const int N = m->N, P = m->P;
    float dA = expf(dt * m->A[h]), Dh = m->Dsk[h];
    int n, p;
    for (p = 0; p < P; p++) y[p] = Dh * x[p];
    for (n = 0; n < N; n++) {
        float *s = S + (size_t)n * P, b = dt * B[n], c = C[n];
        p = 0;
#if SMX__VW > 1
        for (; p + SMX__VW <= P; p += SMX__VW) {
            smx__vf v = smx__vfma(smx__vset1(dA), smx__vld(s + p), smx__vmul(smx__vset1(b), smx__vld(x + p)));
            smx__vst(s + p, v);
            smx__vst(y + p, smx__vfma(smx__vset1(c), v, smx__vld(y + p)));
        }
#endif
        for (; p < P; p++) {
            s[p] = dA * s[p] + b * x[p];
            y[p] += c * s[p];
        }
    }
}

/* The SSM part of the mixer over T tokens, continuing from S [H, N, P]: y [T, di] from the
 * conv output xbc [T, cd] (x | B | C) and dt [T, H]. T = 1 runs the recurrence; T > 1 the chunked
 * SSD, threads over heads. work: the scratch past y (see smx__mamba2_scratch). */
static void smx__mamba2_ssd(const smx__mamba2 *m, float *S, int T, const float *xbc, const float *dt, float *y, float *work_,
                            int nth)
{
    const int di = m->di, H = m->H, P = m->P, N = m->N, G = m->G, cd = m->cd, hpg = m->H / m->G;
    int t, h;
    (void)nth;
    if (T == 1) {
        SMX__OMP_FOR(nth)
        for (h = 0; h < H; h++) {
            int g = h / hpg;
            smx__mamba2_head_step(m, h, S + (size_t)h * N * P, xbc + (size_t)h * P, dt[h], xbc + di + (size_t)g * N,
                                  xbc + di + (size_t)(G + g) * N, y + (size_t)h * P);
        }
    } else {
        const int Q = m->Q, Qe = SMX__MIN(Q, T), nch = (T + Q - 1) / Q;
        const size_t cgsz = smx__mamba2_cg_floats(m, Qe), wsz = smx__mamba2_thread_floats(m, Qe);
        float *Cc = work_;                              /* [G, T, N] */
        float *cgb = Cc + (size_t)G * T * N;            /* [nch, G]: Gm [L, L], B^T [N, L] */
        float *work = cgb + (size_t)nch * G * cgsz;     /* per thread */
        int cg;
        for (t = 0; t < T; t++)
            for (cg = 0; cg < G; cg++)
                memcpy(Cc + ((size_t)cg * T + t) * N, xbc + (size_t)t * cd + di + (size_t)(G + cg) * N, sizeof(float) * (size_t)N);
        /* per chunk and group (shared by the group's heads): B^T, and Gm = C B^T */
        SMX__OMP_FOR_DYN(nth)
        for (cg = 0; cg < nch * G; cg++) {
            int c = cg / G, g = cg % G, t0 = c * Q, L = SMX__MIN(Q, T - t0), s, n;
            float *Gm = cgb + (size_t)cg * cgsz, *BT = Gm + (size_t)L * L;
            const float *Cg = Cc + ((size_t)g * T + t0) * N;
            for (s = 0; s < L; s++) {
                const float *Bs = xbc + (size_t)(t0 + s) * cd + di + (size_t)g * N;
                for (n = 0; n < N; n++) BT[(size_t)n * L + s] = Bs[n];
            }
            smx__ssm_gemm(Gm, (size_t)L, Cg, (size_t)N, BT, (size_t)L, L, N, L, 0, 0);
        }
        SMX__OMP_FOR_DYN(nth)
        for (h = 0; h < H; h++) {
            int g = h / hpg;
            smx__mamba2_head_chunked(m, h, S + (size_t)h * N * P, T, xbc + (size_t)h * P, (size_t)cd, dt, Cc + (size_t)g * T * N,
                                     cgb + (size_t)g * cgsz, (size_t)G * cgsz, Qe, y + (size_t)h * P, (size_t)di,
                                     work + (size_t)smx__tid() * wsz);
        }
    }
}

static void smx__mamba2_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mamba2 *m = (const smx__mamba2 *)op;
    const int T = f->T, di = m->di, H = m->H, cd = m->cd, E = m->E;
    float *hist = (float *)state;                       /* [K-1, cd] */
    float *S = hist + (size_t)(m->K - 1) * cd;          /* [H, N, P] */
    float *zx = f->scratch;                             /* [T, E]   z | x B C | dt */
    float *xbc = zx + (size_t)T * E;                    /* [T, cd]  after conv + act */
    float *dt = xbc + (size_t)T * cd;                   /* [T, H] */
    float *y = dt + (size_t)T * H;                      /* [T, di] */
    int t, h;
    /* [z | xBC | dt] = xn in_proj^T (+b) */
    smx__matmul(zx, f->x, m->w_in, m->b_in, T, op->d_in, E, f->nth);
    /* xBC = act(causal_conv1d(xBC)) */
    smx__ssm_conv(zx + di, (size_t)E, xbc, (size_t)cd, T, cd, m->K, m->conv_wT, m->conv_b, hist, m->act,
                  smx__ssm_nth((double)T * cd * m->K * 4, f->nth));
    /* dt = clamp(softplus(dt + dt_bias), lo, hi) */
    for (t = 0; t < T; t++)
        for (h = 0; h < H; h++) {
            float v = smx__softplus(zx[(size_t)t * E + di + cd + h] + m->dt_bias[h]);
            dt[(size_t)t * H + h] = v < m->dt_lo ? m->dt_lo : v > m->dt_hi ? m->dt_hi : v;
        }
    smx__mamba2_ssd(m, S, T, xbc, dt, y, y + (size_t)T * di, smx__ssm_nth((double)T * H * m->N * m->P * 2, f->nth));
    /* gated RMSNorm over the whole inner size: g = y silu(z) (SiLU whatever hidden_act says);
     * y = w g / sqrt(mean(g^2) + eps) */
    for (t = 0; t < T; t++) {
        float *yt = y + (size_t)t * di;
        smx__ssm_gate(yt, zx + (size_t)t * E, di, SMX__ACT_SILU);
        smx__rmsnorm(yt, yt, m->nw, di, m->eps);
    }
    /* out = y out_proj^T (+b) */
    smx__matmul(f->y, y, m->w_out, m->b_out, T, di, op->d_out, f->nth);
}

static const smx__op_vt smx__mamba2_vt = {
    "mamba2", '2', smx__mamba2_state, NULL, smx__mamba2_scratch, smx__mamba2_forward, NULL
};

/* prefix e.g. "backbone.layers.3.mixer.". in_proj may carry a leading [2 d_mlp] block of a
 * parallel MLP that transformers discards; d_mlp is derived from its row count. */
static smx__op *smx__mamba2_load(smx__loader *ld, const smx__mamba2_cfg *c, const char *prefix)
{
    smx__mamba2 *m;
    const float *cw, *alog, *win, *bin = NULL;
    float *A;
    int64_t sh[8];
    int di = c->d_inner, H = c->n_heads, N = c->d_state, G = c->n_groups, K = c->d_conv, cd, E, rows, h, d_mlp = 0;
    if (!smx__ld_check(ld, c->d > 0 && di > 0 && H > 0 && N > 0 && G > 0 && K > 0 && c->chunk > 0 && c->head_dim > 0,
                       SMX_E_RANGE, "config.json: Mamba-2 sizes must be positive") ||
        !smx__ld_check(ld, H * c->head_dim == di, SMX_E_RANGE,
                       "config.json: %d heads of head_dim %d do not make the inner size %d", H, c->head_dim, di) ||
        !smx__ld_check(ld, H % G == 0, SMX_E_RANGE, "config.json: %d heads cannot be split into %d groups", H, G) ||
        !smx__ld_check(ld, c->dt_lo <= c->dt_hi, SMX_E_RANGE, "config.json: time_step_limit [%g, %g] is empty",
                       (double)c->dt_lo, (double)c->dt_hi))
        return NULL;
    cd = di + 2 * G * N;
    E = di + cd + H;
    rows = E;
    if (smx__tensor_shape(ld, sh, "%sin_proj.weight", prefix) == 2 && sh[0] > E && (sh[0] - E) % 2 == 0 && sh[0] < INT_MAX) {
        rows = (int)sh[0];
        d_mlp = (rows - E) / 2;
    }
    m = (smx__mamba2 *)smx__op_new(ld, sizeof *m, &smx__mamba2_vt, c->d, c->d);
    if (!m) return NULL;
    m->di = di; m->H = H; m->P = c->head_dim; m->N = N; m->G = G; m->K = K; m->Q = c->chunk; m->act = c->act;
    m->cd = cd; m->E = E; m->eps = c->eps; m->dt_lo = c->dt_lo; m->dt_hi = c->dt_hi;
    win = SMX__W2(ld, rows, c->d, "%sin_proj.weight", prefix);
    if (c->bias) bin = SMX__W1(ld, rows, "%sin_proj.bias", prefix);
    cw = SMX__W3(ld, cd, 1, K, "%sconv1d.weight", prefix);
    if (c->conv_bias) m->conv_b = SMX__W1(ld, cd, "%sconv1d.bias", prefix);
    m->dt_bias = SMX__W1(ld, H, "%sdt_bias", prefix);
    alog = SMX__W1(ld, H, "%sA_log", prefix);
    m->Dsk = SMX__W1(ld, H, "%sD", prefix);
    m->nw = SMX__W1(ld, di, "%snorm.weight", prefix);
    m->w_out = SMX__W2(ld, c->d, di, "%sout_proj.weight", prefix);
    if (c->bias) m->b_out = SMX__W1(ld, c->d, "%sout_proj.bias", prefix);
    m->conv_wT = smx__ssm_conv_weight(ld, cw, cd, K);
    A = smx__ld_alloc(ld, (size_t)H);
    if (ld->st) return NULL;
    m->w_in = win + (size_t)2 * d_mlp * c->d;
    m->b_in = bin ? bin + 2 * d_mlp : NULL;
    for (h = 0; h < H; h++) A[h] = -expf(alog[h]);
    m->A = A;
    return &m->base;
}

/* time_step_limit: [lo, hi] (hi may be {"__float__": "Infinity"}); default [0, inf). */
static void smx__ssm_dt_limit(smx__loader *ld, const smx__jv *o, float *lo, float *hi)
{
    const smx__jv *v = smx__cfg_get(ld, o, "time_step_limit");
    double a = 0.0, b = HUGE_VAL;
    if (v && (v->type != SMX__J_ARR || v->n != 2 || !smx__jnum(smx__jat(v, 0), &a) || !smx__jnum(smx__jat(v, 1), &b) ||
              a != a || b != b)) {
        smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field 'time_step_limit' must be a pair of numbers");
        return;
    }
    *lo = (float)a;
    *hi = b > FLT_MAX ? INFINITY : (float)b;
}

/* ===================================================================================== */
/* Mamba-2 family (Mamba2ForCausalLM)                                                    */
/* ===================================================================================== */

static smx_status smx__build_mamba2(smx__loader *ld)
{
    smx__mamba2_cfg c;
    char p[128];
    int L, l;
    memset(&c, 0, sizeof c);
    c.d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    c.n_heads = smx__ci_pos(ld, NULL, "num_heads", 128);
    c.head_dim = smx__ci_pos(ld, NULL, "head_dim", 64);
    c.d_state = smx__ci_pos(ld, NULL, "state_size", 128);
    c.n_groups = smx__ci_pos(ld, NULL, "n_groups", 8);
    c.d_conv = smx__ci_pos(ld, NULL, "conv_kernel", 4);
    c.chunk = smx__ci_pos(ld, NULL, "chunk_size", 256);
    c.bias = smx__cb(ld, NULL, "use_bias", 0);
    c.conv_bias = smx__cb(ld, NULL, "use_conv_bias", 1);
    c.act = smx__ssm_act(ld, NULL, "hidden_act");
    c.eps = (float)smx__cf(ld, NULL, "layer_norm_epsilon", 1e-5);
    smx__ssm_dt_limit(ld, NULL, &c.dt_lo, &c.dt_hi);
    if (ld->st) return ld->st;
    c.d_inner = (int)(smx__cf(ld, NULL, "expand", 2.0) * c.d);
    smx__ssm_embed_head(ld, c.d, smx__cb(ld, NULL, "tie_word_embeddings", 0));
    for (l = 0; l < L && !ld->st; l++) {
        snprintf(p, sizeof p, "backbone.layers.%d.mixer.", l);
        smx__add_sub(ld, SMX__NORM_RMS, c.eps, SMX__W1(ld, c.d, "backbone.layers.%d.norm.weight", l), NULL,
                     smx__mamba2_load(ld, &c, p), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = c.eps;
    ld->m->fnw = SMX__W1(ld, c.d, "backbone.norm_f.weight");
    return ld->st;
}

#define SMX__BUILD_MAMBA2 smx__build_mamba2

/* ===================================================================================== */
/* Mixture of experts (pattern letter 'E')                                               */
/* ===================================================================================== */
/* p = softmax(x W_router^T) over all E experts; the top k (ties: lower index first) with weights
 * w_j = p_j (renorm: w_j / sum of the k); out = sum_j w_j Expert_{e_j}(x), each expert a gated MLP
 * down(act(gate x) * up x). Prefill groups the tokens by expert so each expert's weights run as
 * one matmul over its tokens. */

typedef struct smx__moe_cfg {
    int d, ff, n_experts, top_k, act, renorm;
} smx__moe_cfg;

typedef struct smx__moe {
    smx__op base;
    int E, k, ff, act, renorm;
    const float *router;                    /* [E, d] */
    const float **wg, **wu, **wd;           /* per expert: [ff, d], [ff, d], [d, ff] */
} smx__moe;

static size_t smx__moe_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__moe *m = (const smx__moe *)op;
    (void)n_ctx; (void)nth;
    return (size_t)T * ((size_t)m->E + 2 * (size_t)m->k + 2 * (size_t)op->d_in + 2 * (size_t)m->ff + 2) + 64;
}

static void smx__moe_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__moe *m = (const smx__moe *)op;
    const int T = f->T, d = op->d_in, E = m->E, k = m->k, ff = m->ff;
    float *lg = f->scratch;                     /* [T, E] router probabilities */
    float *wsel = lg + (size_t)T * E;           /* [T, k] weights of the chosen experts */
    int *sel = (int *)(wsel + (size_t)T * k);   /* [T, k] chosen experts */
    float *xe = (float *)(sel + (size_t)T * k); /* [T, d] tokens routed to one expert */
    float *g = xe + (size_t)T * d;              /* [T, ff] */
    float *u = g + (size_t)T * ff;              /* [T, ff] */
    float *o = u + (size_t)T * ff;              /* [T, d] */
    int *idx = (int *)(o + (size_t)T * d);      /* [T] token of each gathered row */
    float *we = (float *)(idx + T);             /* [T] its weight */
    int t, j, e;
    (void)state;
    smx__matmul(lg, f->x, m->router, NULL, T, d, E, smx__ssm_nth((double)T * d * E, f->nth));
    for (t = 0; t < T; t++) {
        float *p = lg + (size_t)t * E, sum = 0.0f;
        smx__softmax(p, E);
        for (j = 0; j < k; j++) {   /* j-th largest, lower index first among equals */
            int best = -1, i, q;
            for (i = 0; i < E; i++) {
                int taken = 0;
                for (q = 0; q < j; q++) taken |= sel[(size_t)t * k + q] == i;
                if (!taken && (best < 0 || p[i] > p[best])) best = i;
            }
            sel[(size_t)t * k + j] = best;
            wsel[(size_t)t * k + j] = p[best];
            sum += p[best];
        }
        if (m->renorm)
            for (j = 0; j < k; j++) wsel[(size_t)t * k + j] /= sum;
    }
    memset(f->y, 0, sizeof(float) * (size_t)T * d);
    for (e = 0; e < E; e++) {
        int ne = 0, r;
        size_t i, n;
        for (t = 0; t < T; t++)
            for (j = 0; j < k; j++)
                if (sel[(size_t)t * k + j] == e) {
                    memcpy(xe + (size_t)ne * d, f->x + (size_t)t * d, sizeof(float) * (size_t)d);
                    idx[ne] = t;
                    we[ne++] = wsel[(size_t)t * k + j];
                }
        if (!ne) continue;
        /* o = down(act(gate xe) * up xe) */
        smx__matmul(g, xe, m->wg[e], NULL, ne, d, ff, f->nth);
        smx__matmul(u, xe, m->wu[e], NULL, ne, d, ff, f->nth);
        n = (size_t)ne * ff;
        smx__ssm_gate(u, g, (int)n, m->act);
        smx__matmul(o, u, m->wd[e], NULL, ne, ff, d, f->nth);
        for (r = 0; r < ne; r++) {
            float *yt = f->y + (size_t)idx[r] * d;
            const float *orow = o + (size_t)r * d;
            for (i = 0; i < (size_t)d; i++) yt[i] += we[r] * orow[i];
        }
    }
}

static const smx__op_vt smx__moe_vt = { "moe", 'E', NULL, NULL, smx__moe_scratch, smx__moe_forward, NULL };

/* prefix e.g. "model.layers.1.feed_forward."; router: name of the router module ("router",
 * "gate"). Experts as "experts.E.{gate,up,down}_proj.weight", or fused as
 * "experts.gate_up_proj" [E, 2 ff, d] (gate rows first; [E, d, 2 ff] is transposed on load) and
 * "experts.down_proj" [E, d, ff]. */
static smx__op *smx__moe_load(smx__loader *ld, const smx__moe_cfg *c, const char *prefix, const char *router)
{
    smx__moe *m;
    int64_t sh[8];
    int e, d = c->d, ff = c->ff, E = c->n_experts;
    if (!smx__ld_check(ld, E > 0 && c->top_k > 0 && c->top_k <= E && ff > 0, SMX_E_RANGE,
                       "config.json: top-%d routing over %d experts of width %d is not possible", c->top_k, E, ff))
        return NULL;
    m = (smx__moe *)smx__op_new(ld, sizeof *m, &smx__moe_vt, d, d);
    if (!m) return NULL;
    m->E = E; m->k = c->top_k; m->ff = ff; m->act = c->act; m->renorm = c->renorm;
    m->router = SMX__W2(ld, E, d, "%s%s.weight", prefix, router);
    m->wg = (const float **)smx__arena_alloc(&ld->m->arena, 3 * sizeof(float *) * (size_t)E);
    if (!m->wg) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
    m->wu = m->wg + E;
    m->wd = m->wu + E;
    if (!ld->random && smx__tensor_shape(ld, sh, "%sexperts.gate_up_proj", prefix) == 3) {
        int trans = !(sh[1] == 2 * (int64_t)ff && sh[2] == d) && sh[1] == d && sh[2] == 2 * (int64_t)ff;
        const float *gu = trans ? SMX__W3(ld, E, d, 2 * ff, "%sexperts.gate_up_proj", prefix)
                                : SMX__W3(ld, E, 2 * ff, d, "%sexperts.gate_up_proj", prefix);
        int dtrans = smx__tensor_shape(ld, sh, "%sexperts.down_proj", prefix) == 3 && !(sh[1] == d && sh[2] == ff) &&
                     sh[1] == ff && sh[2] == d;
        const float *dn = dtrans ? SMX__W3(ld, E, ff, d, "%sexperts.down_proj", prefix)
                                 : SMX__W3(ld, E, d, ff, "%sexperts.down_proj", prefix);
        float *cp = NULL;
        if (trans || dtrans) cp = smx__ld_alloc(ld, (size_t)E * 3 * ff * d);
        if (ld->st) return NULL;
        for (e = 0; e < E; e++) {
            if (trans) {   /* [d, 2 ff] -> gate [ff, d], up [ff, d] */
                float *wg = cp + (size_t)e * 3 * ff * d, *wu = wg + (size_t)ff * d;
                const float *src = gu + (size_t)e * d * 2 * ff;
                int i, r;
                for (i = 0; i < d; i++)
                    for (r = 0; r < ff; r++) {
                        wg[(size_t)r * d + i] = src[(size_t)i * 2 * ff + r];
                        wu[(size_t)r * d + i] = src[(size_t)i * 2 * ff + ff + r];
                    }
                m->wg[e] = wg; m->wu[e] = wu;
            } else {
                m->wg[e] = gu + (size_t)e * 2 * ff * d;
                m->wu[e] = m->wg[e] + (size_t)ff * d;
            }
            if (dtrans) {  /* [ff, d] -> [d, ff] */
                float *wd = cp + (size_t)e * 3 * ff * d + 2 * (size_t)ff * d;
                const float *src = dn + (size_t)e * ff * d;
                int i, r;
                for (r = 0; r < ff; r++)
                    for (i = 0; i < d; i++) wd[(size_t)i * ff + r] = src[(size_t)r * d + i];
                m->wd[e] = wd;
            } else {
                m->wd[e] = dn + (size_t)e * d * ff;
            }
        }
        return &m->base;
    }
    for (e = 0; e < E; e++) {
        m->wg[e] = SMX__W2(ld, ff, d, "%sexperts.%d.gate_proj.weight", prefix, e);
        m->wu[e] = SMX__W2(ld, ff, d, "%sexperts.%d.up_proj.weight", prefix, e);
        m->wd[e] = SMX__W2(ld, d, ff, "%sexperts.%d.down_proj.weight", prefix, e);
    }
    return ld->st ? NULL : &m->base;
}

/* ===================================================================================== */
/* Jamba (JambaForCausalLM)                                                              */
/* ===================================================================================== */
/* Layer i: attention (no positional encoding) if i % attn_layer_period == attn_layer_offset,
 * else a Mamba mixer with dt/B/C RMSNorms; then an MoE feed-forward if
 * i % expert_layer_period == expert_layer_offset (and more than one expert), else a SwiGLU MLP.
 * Each is a pre-norm residual sub-layer. */
static smx_status smx__build_jamba(smx__loader *ld)
{
    smx__mamba_cfg mc;
    smx__attn_cfg ac;
    smx__moe_cfg ec;
    char p[128], q[160];
    int V, d, L, ff, act, ap, ao, ep, eo, l;
    float eps;
    memset(&mc, 0, sizeof mc);
    memset(&ac, 0, sizeof ac);
    memset(&ec, 0, sizeof ec);
    V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    ff = smx__ci_pos(ld, NULL, "intermediate_size", 0);
    act = smx__ssm_act(ld, NULL, "hidden_act");
    eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-6);
    ap = smx__ci_pos(ld, NULL, "attn_layer_period", 8);
    ao = smx__ci(ld, NULL, "attn_layer_offset", 4);
    ep = smx__ci_pos(ld, NULL, "expert_layer_period", 2);
    eo = smx__ci(ld, NULL, "expert_layer_offset", 1);
    smx__ld_check(ld, ao >= 0 && ao < ap, SMX_E_RANGE, "config.json: attn_layer_offset %d must lie in [0, attn_layer_period %d)", ao, ap);
    smx__ld_check(ld, eo >= 0 && eo < ep, SMX_E_RANGE,
                  "config.json: expert_layer_offset %d must lie in [0, expert_layer_period %d)", eo, ep);
    ac.d = d;
    ac.nh = smx__ci_pos(ld, NULL, "num_attention_heads", 32);
    ac.nkv = smx__ci_pos(ld, NULL, "num_key_value_heads", ac.nh);
    ac.hd = d / (ac.nh > 0 ? ac.nh : 1);
    ac.causal = 1;
    ac.rope.rot = 0;   /* Jamba attention has no positional encoding */
    smx__ld_check(ld, ac.hd * ac.nh == d, SMX_E_RANGE, "config.json: hidden_size %d is not a multiple of %d heads", d, ac.nh);
    mc.d = d;
    mc.d_state = smx__ci_pos(ld, NULL, "mamba_d_state", 16);
    mc.d_conv = smx__ci_pos(ld, NULL, "mamba_d_conv", 4);
    mc.conv_bias = smx__cb(ld, NULL, "mamba_conv_bias", 1);
    mc.bias = smx__cb(ld, NULL, "mamba_proj_bias", 0);
    mc.act = act;
    mc.bcdt_norm = 1;
    mc.norm_eps = eps;
    ec.d = d;
    ec.ff = ff;
    ec.n_experts = smx__ci_pos(ld, NULL, "num_experts", smx__ci_pos(ld, NULL, "num_local_experts", 16));
    ec.top_k = smx__ci_pos(ld, NULL, "num_experts_per_tok", 2);
    ec.act = act;
    ec.renorm = 0;
    if (ld->st) return ld->st;
    mc.dt_rank = smx__ssm_dt_rank(ld, NULL, "mamba_dt_rank", d);
    mc.d_inner = (int)(smx__cf(ld, NULL, "mamba_expand", 2.0) * d);
    ld->m->max_ctx = smx__ci(ld, NULL, "max_position_embeddings", 0);
    smx__load_embed_head(ld, V, d, "model.embed_tokens.weight", "lm_head.weight", smx__cb(ld, NULL, "tie_word_embeddings", 0));
    for (l = 0; l < L && !ld->st; l++) {
        smx__op *mix;
        snprintf(p, sizeof p, "model.layers.%d.", l);
        if (l % ap == ao) {
            snprintf(q, sizeof q, "%sself_attn.", p);
            mix = smx__attn_load(ld, &ac, q, "q_proj", "k_proj", "v_proj", "o_proj", NULL, NULL);
        } else {
            snprintf(q, sizeof q, "%smamba.", p);
            mix = smx__mamba_load(ld, &mc, q);
        }
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%sinput_layernorm.weight", p), NULL, mix, 1);
        snprintf(q, sizeof q, "%sfeed_forward.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%spre_ff_layernorm.weight", p), NULL,
                     (l % ep == eo && ec.n_experts > 1) ? smx__moe_load(ld, &ec, q, "router")
                                                        : smx__mlp_load(ld, d, ff, act, 0, q, "gate_proj", "up_proj", "down_proj"),
                     1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "model.final_layernorm.weight");
    return ld->st;
}

#define SMX__BUILD_JAMBA smx__build_jamba

/* ===================================================================================== */
/* Bamba (BambaForCausalLM)                                                              */
/* ===================================================================================== */
/* Layer i: attention with partial RoPE if i is in attn_layer_indices, else a Mamba-2 mixer;
 * then a SwiGLU MLP. The reference's Bamba mixer clamps dt to its fixed (0, inf) limit (it does
 * not read time_step_limit from the config), and so does this one. */
static smx_status smx__build_bamba(smx__loader *ld)
{
    smx__mamba2_cfg mc;
    smx__attn_cfg ac;
    const smx__jv *ai;
    char p[128], q[160];
    int V, d, L, ff, act, l, dh, mlp_bias;
    float eps;
    memset(&mc, 0, sizeof mc);
    memset(&ac, 0, sizeof ac);
    V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    ff = smx__ci_pos(ld, NULL, "intermediate_size", 0);
    act = smx__ssm_act(ld, NULL, "hidden_act");
    eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-5);
    mlp_bias = smx__cb(ld, NULL, "mlp_bias", 0);
    ai = smx__cfg_get(ld, NULL, "attn_layer_indices");
    smx__ld_check(ld, !ai || ai->type == SMX__J_ARR, SMX_E_FORMAT, "config.json: field 'attn_layer_indices' must be an array");
    ac.d = d;
    ac.nh = smx__ci_pos(ld, NULL, "num_attention_heads", 32);
    ac.nkv = smx__ci_pos(ld, NULL, "num_key_value_heads", ac.nh);
    ac.hd = smx__ci_pos(ld, NULL, "head_dim", d / (ac.nh > 0 ? ac.nh : 1));
    ac.causal = 1;
    ac.bias = ac.o_bias = smx__cb(ld, NULL, "attention_bias", 0);
    mc.d = d;
    mc.n_heads = smx__ci_pos(ld, NULL, "mamba_n_heads", 128);
    mc.d_state = smx__ci_pos(ld, NULL, "mamba_d_state", 256);
    mc.n_groups = smx__ci_pos(ld, NULL, "mamba_n_groups", 1);
    mc.d_conv = smx__ci_pos(ld, NULL, "mamba_d_conv", 4);
    mc.chunk = smx__ci_pos(ld, NULL, "mamba_chunk_size", 256);
    mc.conv_bias = smx__cb(ld, NULL, "mamba_conv_bias", 1);
    mc.bias = smx__cb(ld, NULL, "mamba_proj_bias", 0);
    mc.act = act;
    mc.eps = eps;
    mc.dt_lo = 0.0f;
    mc.dt_hi = INFINITY;
    if (ld->st) return ld->st;
    mc.d_inner = (int)(smx__cf(ld, NULL, "mamba_expand", 2.0) * d);
    {   /* mamba_d_head: an integer or "auto" = inner / heads */
        const smx__jv *v = smx__cfg_get(ld, NULL, "mamba_d_head");
        if (!v || (v->type == SMX__J_STR && !strcmp(v->str, "auto"))) dh = mc.d_inner / mc.n_heads;
        else dh = smx__ci_pos(ld, NULL, "mamba_d_head", 1);
        mc.head_dim = dh;
    }
    ac.rope = smx__rope_from_config(ld, ac.hd, 10000.0, 0.5);
    ld->m->max_ctx = smx__ci(ld, NULL, "max_position_embeddings", 0);
    if (ld->st) return ld->st;
    smx__load_embed_head(ld, V, d, "model.embed_tokens.weight", "lm_head.weight", smx__cb(ld, NULL, "tie_word_embeddings", 0));
    for (l = 0; l < L && !ld->st; l++) {
        const smx__jv *c;
        smx__op *mix;
        int attn = 0;
        for (c = ai ? ai->child : NULL; c; c = c->next) attn |= c->type == SMX__J_NUM && c->num == (double)l;
        snprintf(p, sizeof p, "model.layers.%d.", l);
        if (attn) {
            snprintf(q, sizeof q, "%sself_attn.", p);
            mix = smx__attn_load(ld, &ac, q, "q_proj", "k_proj", "v_proj", "o_proj", NULL, NULL);
        } else {
            snprintf(q, sizeof q, "%smamba.", p);
            mix = smx__mamba2_load(ld, &mc, q);
        }
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%sinput_layernorm.weight", p), NULL, mix, 1);
        snprintf(q, sizeof q, "%sfeed_forward.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%spre_ff_layernorm.weight", p), NULL,
                     smx__mlp_load(ld, d, ff, act, mlp_bias, q, "gate_proj", "up_proj", "down_proj"), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "model.final_layernorm.weight");
    return ld->st;
}

#define SMX__BUILD_BAMBA smx__build_bamba

/* ===================================================================================== */
/* Layer types of the hybrid-stack builder (model_type "seqmix")                         */
/* ===================================================================================== */
/* Each reads its settings from the layer's object o of config.json "layers", with the
 * defaults of the corresponding transformers config. */

/* {"type": "mamba", "state_size": 16, "expand": 2, "conv_kernel": 4, "time_step_rank": "auto",
 *  "use_bias": false, "use_conv_bias": true, "hidden_act": "silu"} */
static smx__op *smx__lt_mamba(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__mamba_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.d_state = smx__ci_pos(ld, o, "state_size", 16);
    c.d_conv = smx__ci_pos(ld, o, "conv_kernel", 4);
    c.bias = smx__cb(ld, o, "use_bias", 0);
    c.conv_bias = smx__cb(ld, o, "use_conv_bias", 1);
    c.act = smx__ssm_act(ld, o, "hidden_act");
    c.dt_rank = smx__ssm_dt_rank(ld, o, "time_step_rank", d);
    c.d_inner = (int)(smx__cf(ld, o, "expand", 2.0) * d);
    return ld->st ? NULL : smx__mamba_load(ld, &c, prefix);
}

/* {"type": "mamba2", "num_heads": expand*d/head_dim, "head_dim": 64, "state_size": 128,
 *  "n_groups": 1, "expand": 2, "conv_kernel": 4, "chunk_size": 256, "use_bias": false,
 *  "use_conv_bias": true, "hidden_act": "silu", "layer_norm_epsilon": 1e-5,
 *  "time_step_limit": [0, inf]} */
static smx__op *smx__lt_mamba2(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__mamba2_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.d_inner = (int)(smx__cf(ld, o, "expand", 2.0) * d);
    c.head_dim = smx__ci_pos(ld, o, "head_dim", 64);
    c.n_heads = smx__ci_pos(ld, o, "num_heads", c.d_inner / (c.head_dim > 0 ? c.head_dim : 1));
    c.d_state = smx__ci_pos(ld, o, "state_size", 128);
    c.n_groups = smx__ci_pos(ld, o, "n_groups", 1);
    c.d_conv = smx__ci_pos(ld, o, "conv_kernel", 4);
    c.chunk = smx__ci_pos(ld, o, "chunk_size", 256);
    c.bias = smx__cb(ld, o, "use_bias", 0);
    c.conv_bias = smx__cb(ld, o, "use_conv_bias", 1);
    c.act = smx__ssm_act(ld, o, "hidden_act");
    c.eps = (float)smx__cf(ld, o, "layer_norm_epsilon", 1e-5);
    smx__ssm_dt_limit(ld, o, &c.dt_lo, &c.dt_hi);
    return ld->st ? NULL : smx__mamba2_load(ld, &c, prefix);
}

/* {"type": "moe", "intermediate_size": 2d, "num_experts": 8, "num_experts_per_tok": 2,
 *  "activation": "silu", "norm_topk_prob": false}; tensors router.weight, experts.E.* */
static smx__op *smx__lt_moe(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__moe_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.ff = smx__ci_pos(ld, o, "intermediate_size", 2 * d);
    c.n_experts = smx__ci_pos(ld, o, "num_experts", 8);
    c.top_k = smx__ci_pos(ld, o, "num_experts_per_tok", 2);
    c.act = smx__ssm_act(ld, o, "activation");
    c.renorm = smx__cb(ld, o, "norm_topk_prob", 0);
    return ld->st ? NULL : smx__moe_load(ld, &c, prefix, "router");
}

#define SMX__LT_MAMBA smx__lt_mamba
#define SMX__LT_MAMBA2 smx__lt_mamba2
#define SMX__LT_MOE smx__lt_moe
