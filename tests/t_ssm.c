/* Tests of the selective-scan family: Mamba, Mamba-2 (SSD), MoE, Jamba, Bamba. Included by
 * tests/test.c after t_core.c (uses its temporary-folder helpers). */

static void t_ssm_ids(int32_t *ids, int n, int V, uint64_t seed)
{
    smx_rng r;
    int i;
    smx_rng_seed(&r, seed);
    for (i = 0; i < n; i++) ids[i] = (int32_t)(smx_rng_next(&r) % (uint64_t)V);
}

/* ---- kernels: SIMD paths against scalar twins ---- */
static void test_ssm_kernels(void)
{
    float x[301], y[301];
    double worst = 0.0;
    int i;
    /* vector exp: relative error against expf where the result is normal, absolute below */
    for (i = 0; i < 301; i++) x[i] = -95.0f + 0.33f * (float)i;
    x[0] = 0.0f; x[1] = -1e-8f; x[2] = 88.0f; x[3] = -1000.0f;
    memcpy(y, x, sizeof y);
    smx__exp_sum(y, 301, 0.0f);   /* the level's vector exp, expf on the tail */
    for (i = 0; i < 301; i++) {
        double ref = exp((double)x[i]);
        double err = ref > 1.2e-38 ? fabs(y[i] - ref) / ref : fabs(y[i] - ref);
        if (err > worst) worst = err;
    }
    CHECK(worst < 4e-7, "vector exp within 4e-7 relative of exp (worst %g)", worst);
#if SMX__VW > 1
    {   /* vector softplus (and the log inside it) against the scalar torch-style softplus */
        double wl = 0.0;
        for (i = 0; i < 301; i++) x[i] = -40.0f + 0.2f * (float)i;
        x[0] = 19.99f; x[1] = 20.0f; x[2] = 20.01f; x[3] = -15.0f; x[4] = -14.99f; x[5] = 0.0f; x[6] = 1e-6f;
        for (i = 0; i + SMX__VW <= 301; i += SMX__VW) smx__vst(y + i, smx__vsoftplus(smx__vld(x + i)));
        worst = 0.0;
        for (i = 0; i < 301 / SMX__VW * SMX__VW; i++) {
            double ref = x[i] > 20.0f ? (double)x[i] : log1p(exp((double)x[i]));
            double err = fabs(y[i] - ref) / ref;
            if (err > worst) worst = err;
        }
        CHECK(worst < 5e-7, "vector softplus within 5e-7 relative (worst %g)", worst);
        for (i = 0; i < 301; i++) x[i] = expf(-80.0f + 0.55f * (float)i);
        for (i = 0; i + SMX__VW <= 301; i += SMX__VW) smx__vst(y + i, smx__vlog(smx__vld(x + i)));
        for (i = 0; i < 301 / SMX__VW * SMX__VW; i++) {
            double err = fabs(y[i] - log((double)x[i]));
            if (err > wl) wl = err;
        }
        CHECK(wl < 1e-5, "vector log within 1e-5 absolute over e^-80 .. e^85 (worst %g)", wl);
    }
#endif
    {   /* gemm (plain, accumulating, triangular) against the scalar reference */
        static const int shapes[][3] = { { 1, 1, 1 }, { 4, 8, 64 }, { 7, 13, 37 }, { 37, 37, 16 }, { 64, 128, 64 }, { 5, 3, 40 } };
        int s;
        for (s = 0; s < 6; s++) {
            int R = shapes[s][0], K = shapes[s][1], P = shapes[s][2], acc, r, k;
            size_t ldv = (size_t)P + 3, ldy = (size_t)P + 5;
            float *A = (float *)malloc(sizeof(float) * (size_t)R * K), *V = (float *)malloc(sizeof(float) * (size_t)K * ldv);
            float *Y1 = (float *)malloc(sizeof(float) * (size_t)R * ldy), *Y2 = (float *)malloc(sizeof(float) * (size_t)R * ldy);
            t_fill(A, (size_t)R * K, 11 + (uint64_t)s, 1.0f);
            t_fill(V, (size_t)K * ldv, 12 + (uint64_t)s, 1.0f);
            for (acc = 0; acc < 2; acc++) {
                t_fill(Y1, (size_t)R * ldy, 13, 1.0f);
                memcpy(Y2, Y1, sizeof(float) * (size_t)R * ldy);
                smx__gemm(Y1, ldy, A, (size_t)K, 1, V, ldv, 1, R, P, K, acc ? SMX__GEMM_ACC : 0);
                smx__gemm_ref(Y2, ldy, A, (size_t)K, 1, V, ldv, 1, R, P, K, acc ? SMX__GEMM_ACC : 0);
                CHECK(t_maxdiff(Y1, Y2, (size_t)R * ldy) < 1e-4, "gemm %dx%dx%d acc %d: %g", R, K, P, acc,
                      t_maxdiff(Y1, Y2, (size_t)R * ldy));
            }
            if (R == K) {   /* lower-triangular A */
                for (r = 0; r < R; r++)
                    for (k = r + 1; k < K; k++) A[(size_t)r * K + k] = 0.0f;
                smx__gemm(Y1, ldy, A, (size_t)K, 1, V, ldv, 1, R, P, K, SMX__GEMM_TRI);
                smx__gemm_ref(Y2, ldy, A, (size_t)K, 1, V, ldv, 1, R, P, K, 0);
                CHECK(t_maxdiff(Y1, Y2, (size_t)R * ldy) < 1e-4, "gemm triangular %d: %g", R, t_maxdiff(Y1, Y2, (size_t)R * ldy));
            }
            free(A); free(V); free(Y1); free(Y2);
        }
    }
    {   /* conv: one call over T equals two calls continuing the history, and the formula */
        const int T = 11, C = 37, K = 4;
        float in[11 * 37], o1[11 * 37], o2[11 * 37], o3[11 * 37], w[4 * 37], b[37], h1[3 * 37], h2[3 * 37];
        int t, c, k;
        t_fill(in, sizeof in / 4, 21, 1.0f);
        t_fill(w, sizeof w / 4, 22, 1.0f);
        t_fill(b, 37, 23, 1.0f);
        memset(h1, 0, sizeof h1);
        memset(h2, 0, sizeof h2);
        smx__conv1d(&cx2, in, C, o1, C, T, C, K, w, b, h1, SMX__ACT_SILU);
        smx__conv1d(&cx1, in, C, o2, C, 2, C, K, w, b, h2, SMX__ACT_SILU);
        smx__conv1d(&cx1, in + 2 * C, C, o2 + 2 * C, C, 1, C, K, w, b, h2, SMX__ACT_SILU);
        smx__conv1d(&cx2, in + 3 * C, C, o2 + 3 * C, C, T - 3, C, K, w, b, h2, SMX__ACT_SILU);
        for (t = 0; t < T; t++)
            for (c = 0; c < C; c++) {
                float s = b[c];
                for (k = 0; k < K; k++) {
                    int j = t - (K - 1) + k;
                    if (j >= 0) s += w[(size_t)k * C + c] * in[(size_t)j * C + c];
                }
                o3[(size_t)t * C + c] = smx__silu(s);
            }
        CHECK(t_maxdiff(o1, o3, sizeof o1 / 4) < 1e-5, "conv matches the causal conv formula: %g", t_maxdiff(o1, o3, sizeof o1 / 4));
        CHECK(t_maxdiff(o1, o2, sizeof o1 / 4) == 0 && memcmp(h1, h2, sizeof h1) == 0, "conv continues across calls");
        CHECK(memcmp(h1, in + (size_t)(T - 3) * C, sizeof h1) == 0, "conv history holds the K-1 newest inputs");
    }
    {   /* Mamba scan: SIMD against scalar, with channel and state tails */
        smx__mamba m;
        const int di = 45, N = 7, T = 9;
        float AT[7 * 45], Dsk[45], u[9 * 45], dt[9 * 45], Bm[9 * 7], Cm[9 * 7], z[9 * 45], y1[9 * 45], y2[9 * 45];
        float S1[7 * 45], S2[7 * 45];
        memset(&m, 0, sizeof m);
        m.di = di; m.N = N; m.act = SMX__ACT_SILU; m.AT = AT; m.Dsk = Dsk;
        t_fill(AT, sizeof AT / 4, 31, 1.0f);
        for (i = 0; i < (int)(sizeof AT / 4); i++) AT[i] = -expf(2.0f * AT[i]);
        t_fill(Dsk, di, 32, 1.0f);
        t_fill(u, sizeof u / 4, 33, 1.0f);
        t_fill(dt, sizeof dt / 4, 34, 0.5f);
        for (i = 0; i < (int)(sizeof dt / 4); i++) dt[i] = dt[i] * 8.0f - 1.0f;   /* before softplus */
        t_fill(Bm, sizeof Bm / 4, 35, 1.0f);
        t_fill(Cm, sizeof Cm / 4, 36, 1.0f);
        t_fill(z, sizeof z / 4, 37, 2.0f);
        t_fill(S1, sizeof S1 / 4, 38, 1.0f);
        memcpy(S2, S1, sizeof S1);
        smx__mamba_scan(&cx2, &m, S1, T, u, dt, Bm, Cm, z, (size_t)di, y1);
        smx__mamba_scan_ref(&m, S2, T, u, dt, Bm, Cm, z, (size_t)di, y2);
        CHECK(t_maxdiff(y1, y2, sizeof y1 / 4) < 1e-5 && t_maxdiff(S1, S2, sizeof S1 / 4) < 1e-5,
              "mamba scan SIMD vs scalar: y %g, state %g", t_maxdiff(y1, y2, sizeof y1 / 4), t_maxdiff(S1, S2, sizeof S1 / 4));
    }
}

/* Set the SSD chunk length of every Mamba-2 layer of m. */
static void t_ssm_set_chunk(smx_model *m, int q)
{
    int i;
    for (i = 0; i < m->n_sub; i++)
        if (m->sub[i].op->vt == &smx__mamba2_vt) ((smx__mamba2 *)(void *)m->sub[i].op)->Q = q;
}

/* Long sequences: prefill (chunked / scanned) against token-by-token steps, and a prefill split
 * in uneven pieces (continuing from the state), on a model loaded from a golden checkpoint. */
static void t_ssm_parity(const char *dir, int T, int chunk)
{
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_error e;
    int32_t *ids;
    float *a, *b;
    int V, t;
    if (smx_model_load(dir, &m, &e)) { SKIP("ssm parity %s: %s", dir, e.msg); return; }
    if (chunk) t_ssm_set_chunk(m, chunk);
    V = smx_model_vocab(m);
    ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)T);
    a = (float *)malloc(sizeof(float) * (size_t)T * V);
    b = (float *)malloc(sizeof(float) * (size_t)T * V);
    t_ssm_ids(ids, T, V, (uint64_t)T * 7 + (uint64_t)chunk);
    memset(&so, 0, sizeof so);
    so.capacity = T + 8;
    so.batch = T + 8;
    CHECK(smx_session_new(m, &so, &s, &e) == SMX_OK, "session: %s", e.msg);
    if (!s) goto done;
    CHECK(smx_session_prefill(s, ids, T, a, 1) == SMX_OK, "prefill %d: %s", T, smx_session_error(s));
    smx_session_reset(s);
    for (t = 0; t < T; t++) smx_session_step(s, ids[t], b + (size_t)t * V);
    CHECK(t_maxdiff(a, b, (size_t)T * V) < 1e-3, "%s chunk %d: prefill of %d tokens vs %d steps: %g", dir, chunk, T, T,
          t_maxdiff(a, b, (size_t)T * V));
    /* uneven pieces: 1, 70, 2, then the rest (more than the chunk again) */
    smx_session_reset(s);
    smx_session_prefill(s, ids, 1, b, 1);
    smx_session_prefill(s, ids + 1, 70, b + (size_t)1 * V, 1);
    smx_session_prefill(s, ids + 71, 2, b + (size_t)71 * V, 1);
    smx_session_prefill(s, ids + 73, T - 73, b + (size_t)73 * V, 1);
    CHECK(t_maxdiff(a, b, (size_t)T * V) < 1e-3, "%s chunk %d: prefill in pieces continues the state: %g", dir, chunk,
          t_maxdiff(a, b, (size_t)T * V));
done:
    smx_session_free(s);
    smx_model_free(m);
    free(ids); free(a); free(b);
}

/* Save after a prefill, continue; load into a fresh session and continue the same way: the
 * logits are bit-identical. The blob of a recurrent-only model has the same size at any
 * position. */
static void t_ssm_state_roundtrip(const char *dir)
{
    smx_model *m = NULL;
    smx_session *s1 = NULL, *s2 = NULL;
    smx_error e;
    int32_t ids[90];
    float *a, *b;
    void *blob;
    size_t n = 0, n5;
    int V, t, grows;
    if (smx_model_load(dir, &m, &e)) { SKIP("ssm state %s: %s", dir, e.msg); return; }
    V = smx_model_vocab(m);
    grows = smx__model_kv_per_token(m) > 0;
    t_ssm_ids(ids, 90, V, 99);
    a = (float *)malloc(sizeof(float) * 10 * (size_t)V);
    b = (float *)malloc(sizeof(float) * 10 * (size_t)V);
    smx_session_new(m, NULL, &s1, &e);
    smx_session_new(m, NULL, &s2, &e);
    smx_session_prefill(s1, ids, 5, NULL, 0);
    n5 = smx_session_state_size(s1);
    smx_session_prefill(s1, ids + 5, 75, NULL, 0);
    n = smx_session_state_size(s1);
    if (!grows) CHECK(n == n5, "%s: recurrent state blob has a fixed size (%lu vs %lu)", dir, (unsigned long)n, (unsigned long)n5);
    blob = malloc(n);
    CHECK(smx_session_state_save(s1, blob, n, &n) == SMX_OK, "state save: %s", smx_session_error(s1));
    for (t = 0; t < 10; t++) smx_session_step(s1, ids[80 + t], a + (size_t)t * V);
    smx_session_prefill(s2, ids + 40, 3, NULL, 0);   /* some other state, replaced by the load */
    CHECK(smx_session_state_load(s2, blob, n) == SMX_OK, "state load: %s", smx_session_error(s2));
    CHECK(smx_session_pos(s2) == 80, "loaded position %d", smx_session_pos(s2));
    for (t = 0; t < 10; t++) smx_session_step(s2, ids[80 + t], b + (size_t)t * V);
    CHECK(memcmp(a, b, sizeof(float) * 10 * (size_t)V) == 0, "%s: save -> load -> continue is bit-identical", dir);
    if (!grows) CHECK(smx_session_rewind(s2, 3) == SMX_E_UNSUPPORTED, "%s: recurrent layers cannot rewind", dir);
    free(blob); free(a); free(b);
    smx_session_free(s1);
    smx_session_free(s2);
    smx_model_free(m);
}

/* ---- checkpoint variants: rewrite a golden checkpoint and compare with the golden logits ---- */
typedef struct t_ssm_ckpt { smx__st_out *t; int n, cap; } t_ssm_ckpt;

static void t_ssm_ckpt_add(t_ssm_ckpt *c, const char *name, int ndim, const int64_t *shape, float *data)
{
    int k;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->t = (smx__st_out *)realloc(c->t, sizeof *c->t * (size_t)c->cap);
    }
    c->t[c->n].name = strcpy((char *)malloc(strlen(name) + 1), name);
    c->t[c->n].ndim = ndim;
    for (k = 0; k < 4; k++) c->t[c->n].shape[k] = k < ndim ? shape[k] : 0;
    c->t[c->n].data = data;
    c->n++;
}

static int t_ssm_ckpt_find(const t_ssm_ckpt *c, const char *name)
{
    int i;
    for (i = 0; i < c->n; i++)
        if (!strcmp(c->t[i].name, name)) return i;
    return -1;
}

static void t_ssm_ckpt_free(t_ssm_ckpt *c)
{
    int i;
    for (i = 0; i < c->n; i++) { free((void *)c->t[i].name); free((void *)c->t[i].data); }
    free(c->t);
}

/* Prefill the golden input of case src with model dir; max |logits - golden|. */
static double t_ssm_golden_err(const char *src, const char *dir)
{
    char p[1024];
    cf_golden g;
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_error e;
    int T = 0;
    int32_t *ids;
    float *ref, *lg;
    double err = 1e30;
    memset(&g, 0, sizeof g);
    snprintf(p, sizeof p, "%s/golden.safetensors", src);
    if (smx__st_open_path(&g.ts, p, &e)) { smx__st_close(&g.ts); return err; }
    if (smx_model_load(dir, &m, &e)) { printf("  load %s: %s\n", dir, e.msg); smx__st_close(&g.ts); return err; }
    ids = cf_golden_ids(&g, "input_ids", &T);
    ref = cf_golden_f32(&g, "logits", NULL, NULL);
    lg = (float *)malloc(sizeof(float) * (size_t)T * smx_model_vocab(m));
    if (ids && ref && smx_session_new(m, NULL, &s, &e) == SMX_OK && smx_session_prefill(s, ids, T, lg, 1) == SMX_OK)
        err = t_maxdiff(lg, ref, (size_t)T * smx_model_vocab(m));
    smx_session_free(s);
    smx_model_free(m);
    free(ids); free(ref); free(lg);
    smx__st_close(&g.ts);
    return err;
}

/* Load the tensors of golden case src as float32 copies. */
static int t_ssm_ckpt_read(const char *src, t_ssm_ckpt *c)
{
    char p[1024];
    smx__tensors ts;
    smx_error e;
    int i;
    memset(&ts, 0, sizeof ts);
    memset(c, 0, sizeof *c);
    snprintf(p, sizeof p, "%s/model.safetensors", src);
    if (smx__st_open_path(&ts, p, &e)) { smx__st_close(&ts); return 0; }
    for (i = 0; i < ts.nent; i++) {
        float *d = (float *)malloc(ts.ent[i].numel * 4 + 4);
        smx__st_read_f32(&ts, &ts.ent[i], d, NULL);
        t_ssm_ckpt_add(c, ts.ent[i].name, ts.ent[i].ndim, ts.ent[i].shape, d);
    }
    smx__st_close(&ts);
    return 1;
}

static void t_ssm_ckpt_write(const char *src, const char *dir, const t_ssm_ckpt *c, const char *cfg_old, const char *cfg_new)
{
    char p[1024], *cfg, *cfg2;
    size_t n;
    smx_error e;
    snprintf(p, sizeof p, "%s/config.json", src);
    cfg = t_read(p, &n);
    cfg2 = cfg_old ? t_replace(cfg, cfg_old, cfg_new) : cfg;
    t_write_str(dir, "config.json", cfg2);
    if (cfg2 != cfg) free(cfg2);
    free(cfg);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    CHECK(smx__st_write(p, c->t, c->n, &e) == SMX_OK, "write %s: %s", p, e.msg);
}

static void test_ssm_checkpoint_variants(void)
{
    t_ssm_ckpt c;
    int i;
    /* Jamba with fused experts: gate_up_proj [E, 2I, H] and down_proj [E, H, I]; then the
     * gate_up_proj transposed [E, H, 2I] */
    if (t_ssm_ckpt_read("tests/golden/jamba", &c)) {
        int pass;
        for (pass = 0; pass < 2; pass++) {
            t_ssm_ckpt f;
            int l;
            memset(&f, 0, sizeof f);
            for (i = 0; i < c.n; i++)
                if (!strstr(c.t[i].name, ".experts.")) {
                    size_t nb = 4;
                    int k;
                    float *d;
                    for (k = 0; k < c.t[i].ndim; k++) nb *= (size_t)c.t[i].shape[k];
                    d = (float *)malloc(nb);
                    memcpy(d, c.t[i].data, nb);
                    t_ssm_ckpt_add(&f, c.t[i].name, c.t[i].ndim, c.t[i].shape, d);
                }
            for (l = 0; l < 8; l++) {
                char nm[256];
                int E = 0, e, I = 0, H = 0;
                float *gu, *dn;
                int64_t sh[3];
                while (1) {
                    snprintf(nm, sizeof nm, "model.layers.%d.feed_forward.experts.%d.gate_proj.weight", l, E);
                    if ((i = t_ssm_ckpt_find(&c, nm)) < 0) break;
                    E++; I = (int)c.t[i].shape[0]; H = (int)c.t[i].shape[1];
                }
                if (!E) continue;
                gu = (float *)malloc(sizeof(float) * (size_t)E * 2 * I * H);
                dn = (float *)malloc(sizeof(float) * (size_t)E * H * I);
                for (e = 0; e < E; e++) {
                    const char *part[3] = { "gate_proj", "up_proj", "down_proj" };
                    int q;
                    for (q = 0; q < 3; q++) {
                        snprintf(nm, sizeof nm, "model.layers.%d.feed_forward.experts.%d.%s.weight", l, e, part[q]);
                        if ((i = t_ssm_ckpt_find(&c, nm)) >= 0) {
                            const float *w = c.t[i].data;
                            int r, k;
                            if (q == 2) memcpy(dn + (size_t)e * H * I, w, sizeof(float) * (size_t)H * I);
                            else if (pass == 0) memcpy(gu + ((size_t)e * 2 * I + (size_t)q * I) * H, w, sizeof(float) * (size_t)I * H);
                            else
                                for (r = 0; r < I; r++)
                                    for (k = 0; k < H; k++)
                                        gu[(size_t)e * H * 2 * I + (size_t)k * 2 * I + (size_t)q * I + r] = w[(size_t)r * H + k];
                        }
                    }
                }
                sh[0] = E; sh[1] = pass ? H : 2 * I; sh[2] = pass ? 2 * I : H;
                snprintf(nm, sizeof nm, "model.layers.%d.feed_forward.experts.gate_up_proj", l);
                t_ssm_ckpt_add(&f, nm, 3, sh, gu);
                sh[1] = H; sh[2] = I;
                snprintf(nm, sizeof nm, "model.layers.%d.feed_forward.experts.down_proj", l);
                t_ssm_ckpt_add(&f, nm, 3, sh, dn);
            }
            {
                const char *d = t_tmpdir(pass ? "jamba_fused_t" : "jamba_fused");
                double err;
                t_ssm_ckpt_write("tests/golden/jamba", d, &f, NULL, NULL);
                err = t_ssm_golden_err("tests/golden/jamba", d);
                CHECK(err < 1e-4, "jamba with fused experts%s matches the golden logits: %g", pass ? " (transposed)" : "", err);
            }
            t_ssm_ckpt_free(&f);
        }
        t_ssm_ckpt_free(&c);
    } else {
        SKIP("tests/golden/jamba missing");
    }
    /* Mamba: the original checkpoint name backbone.embedding.weight, with an explicit head */
    if (t_ssm_ckpt_read("tests/golden/mamba", &c)) {
        const char *d = t_tmpdir("mamba_orig");
        double err;
        for (i = 0; i < c.n; i++)
            if (!strcmp(c.t[i].name, "backbone.embeddings.weight")) {
                float *h = (float *)malloc(sizeof(float) * (size_t)c.t[i].shape[0] * c.t[i].shape[1]);
                memcpy(h, c.t[i].data, sizeof(float) * (size_t)c.t[i].shape[0] * c.t[i].shape[1]);
                strcpy((char *)c.t[i].name, "backbone.embedding.weight");
                t_ssm_ckpt_add(&c, "lm_head.weight", 2, c.t[i].shape, h);
                break;
            }
        t_ssm_ckpt_write("tests/golden/mamba", d, &c, "\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false");
        err = t_ssm_golden_err("tests/golden/mamba", d);
        CHECK(err < 1e-4, "mamba with original embedding name and untied head matches: %g", err);
        t_ssm_ckpt_free(&c);
    }
    /* Mamba-2 with a leading parallel-MLP block in in_proj (d_mlp = 8), which is discarded */
    if (t_ssm_ckpt_read("tests/golden/mamba2", &c)) {
        const char *d = t_tmpdir("mamba2_dmlp");
        double err;
        for (i = 0; i < c.n; i++)
            if (strstr(c.t[i].name, "in_proj.weight")) {
                int64_t rows = c.t[i].shape[0], cols = c.t[i].shape[1];
                float *w = (float *)malloc(sizeof(float) * (size_t)(rows + 16) * cols);
                t_fill(w, (size_t)16 * cols, 5, 1.0f);
                memcpy(w + 16 * cols, c.t[i].data, sizeof(float) * (size_t)rows * cols);
                free((void *)c.t[i].data);
                c.t[i].data = w;
                c.t[i].shape[0] = rows + 16;
            }
        t_ssm_ckpt_write("tests/golden/mamba2", d, &c, NULL, NULL);
        err = t_ssm_golden_err("tests/golden/mamba2", d);
        CHECK(err < 1e-4, "mamba2 with d_mlp > 0 matches (MLP block discarded): %g", err);
        t_ssm_ckpt_free(&c);
    }
}

/* Generated models of each family: build, run prefill vs steps, save and reload identically;
 * config errors name the field. */
static void test_ssm_generated(void)
{
    static const char *cfgs[] = {
        "{\"architectures\":[\"MambaForCausalLM\"],\"vocab_size\":61,\"hidden_size\":40,\"num_hidden_layers\":2,\"state_size\":5,"
        "\"conv_kernel\":2,\"expand\":1.5,\"use_bias\":true,\"time_step_rank\":\"auto\"}",
        "{\"architectures\":[\"Mamba2ForCausalLM\"],\"vocab_size\":61,\"hidden_size\":24,\"num_hidden_layers\":2,\"num_heads\":6,"
        "\"head_dim\":8,\"state_size\":12,\"n_groups\":3,\"chunk_size\":5,\"conv_kernel\":5,\"time_step_limit\":[0.01,0.5]}",
        "{\"architectures\":[\"JambaForCausalLM\"],\"vocab_size\":61,\"hidden_size\":32,\"intermediate_size\":40,"
        "\"num_hidden_layers\":4,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"num_local_experts\":5,"
        "\"num_experts_per_tok\":3,\"attn_layer_period\":2,\"attn_layer_offset\":1,\"expert_layer_period\":2,"
        "\"expert_layer_offset\":0,\"mamba_d_state\":6,\"mamba_d_conv\":3}",
        "{\"architectures\":[\"BambaForCausalLM\"],\"vocab_size\":61,\"hidden_size\":32,\"intermediate_size\":40,"
        "\"num_hidden_layers\":3,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"attn_layer_indices\":[1],"
        "\"mamba_n_heads\":8,\"mamba_d_head\":\"auto\",\"mamba_n_groups\":2,\"mamba_d_state\":6,\"mamba_chunk_size\":4}"
    };
    static const char *pattern[] = { "MM", "22", "MEAFMEAF", "2FAF2F" };
    int k;
    for (k = 0; k < 4; k++) {
        smx_model *m = NULL, *m2 = NULL;
        smx_session *s = NULL;
        smx_error e;
        smx_model_info in;
        int32_t ids[23];
        float a[23 * 61], b[23 * 61];
        int t;
        char name[32];
        const char *d;
        if (smx_model_from_config(cfgs[k], 3, &m, &e)) { CHECK(0, "generated %d: %s", k, e.msg); continue; }
        smx_model_get_info(m, &in);
        CHECK(!strcmp(in.pattern, pattern[k]), "generated %s: pattern %s (want %s)", in.architecture, in.pattern, pattern[k]);
        t_ssm_ids(ids, 23, 61, (uint64_t)k);
        smx_session_new(m, NULL, &s, &e);
        smx_session_prefill(s, ids, 23, a, 1);
        smx_session_reset(s);
        for (t = 0; t < 23; t++) smx_session_step(s, ids[t], b + (size_t)t * 61);
        CHECK(t_maxdiff(a, b, sizeof a / 4) < 1e-4, "generated %s: prefill vs steps %g", in.architecture, t_maxdiff(a, b, sizeof a / 4));
        snprintf(name, sizeof name, "ssm_gen%d", k);
        d = t_tmpdir(name);
        CHECK(smx_model_save(m, d, &e) == SMX_OK && smx_model_load(d, &m2, &e) == SMX_OK, "generated %d save/load: %s", k, e.msg);
        if (m2) {
            smx_session *s2 = NULL;
            smx_session_new(m2, NULL, &s2, &e);
            smx_session_prefill(s2, ids, 23, b, 1);
            CHECK(memcmp(a, b, sizeof a) == 0, "generated %s reloads bit-identically", in.architecture);
            smx_session_free(s2);
        }
        smx_session_free(s);
        smx_model_free(m);
        smx_model_free(m2);
    }
    {
        smx_model *m = NULL;
        smx_error e;
        CHECK(smx_model_from_config("{\"architectures\":[\"Mamba2ForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,"
                                    "\"num_hidden_layers\":1,\"num_heads\":3,\"head_dim\":4,\"n_groups\":1}", 1, &m, &e) == SMX_E_RANGE &&
                  strstr(e.msg, "head_dim"), "mamba2 heads x head_dim != inner size is named: %s", e.msg);
        smx_model_free(m);
        m = NULL;
        CHECK(smx_model_from_config("{\"architectures\":[\"Mamba2ForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,"
                                    "\"num_hidden_layers\":1,\"num_heads\":4,\"head_dim\":4,\"n_groups\":3}", 1, &m, &e) == SMX_E_RANGE &&
                  strstr(e.msg, "groups"), "mamba2 groups not dividing heads is named: %s", e.msg);
        smx_model_free(m);
        m = NULL;
        CHECK(smx_model_from_config("{\"architectures\":[\"MambaForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,"
                                    "\"num_hidden_layers\":1,\"time_step_rank\":\"big\"}", 1, &m, &e) == SMX_E_FORMAT &&
                  strstr(e.msg, "time_step_rank"), "bad time_step_rank is named: %s", e.msg);
        smx_model_free(m);
        m = NULL;
        CHECK(smx_model_from_config("{\"architectures\":[\"Mamba2ForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,"
                                    "\"num_hidden_layers\":1,\"num_heads\":4,\"head_dim\":4,\"n_groups\":1,\"time_step_limit\":3}",
                                    1, &m, &e) == SMX_E_FORMAT && strstr(e.msg, "time_step_limit"),
              "bad time_step_limit is named: %s", e.msg);
        smx_model_free(m);
        m = NULL;
        CHECK(smx_model_from_config("{\"architectures\":[\"JambaForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,"
                                    "\"intermediate_size\":8,\"num_hidden_layers\":2,\"num_attention_heads\":2,"
                                    "\"attn_layer_period\":2,\"attn_layer_offset\":2}", 1, &m, &e) == SMX_E_RANGE &&
                  strstr(e.msg, "attn_layer_offset"), "jamba offset outside the period is named: %s", e.msg);
        smx_model_free(m);
    }
}

/* The hybrid-stack builder composes the Mamba, Mamba-2 and MoE layer types with attention. */
static void test_ssm_builder(void)
{
    smx_builder *b = NULL;
    smx_model *m = NULL, *m2 = NULL;
    smx_session *s = NULL, *s2 = NULL;
    smx_layer_cfg lc;
    smx_model_info in;
    smx_error e;
    int32_t ids[40];
    float a[40 * 53], c[40 * 53];
    int t;
    const char *d = t_tmpdir("ssm_builder");
    if (smx_builder_new(53, 32, &b, &e)) { CHECK(0, "builder: %s", e.msg); return; }
    memset(&lc, 0, sizeof lc);
    lc.state = 8; lc.head_dim = 8; lc.chunk = 6; lc.groups = 2; lc.experts = 4; lc.top_k = 2; lc.ff = 24;
    smx_builder_set_ffn(b, SMX_OP_MOE, &lc);
    CHECK(smx_builder_pattern(b, "(M 2 A)x2", &lc) == SMX_OK, "builder pattern with M, 2, A and MoE");
    if (smx_builder_build(b, 9, &m, &e)) { CHECK(0, "builder build: %s", e.msg); smx_builder_free(b); return; }
    smx_model_get_info(m, &in);
    CHECK(!strcmp(in.pattern, "ME2EAEME2EAE"), "builder pattern %s", in.pattern);
    t_ssm_ids(ids, 40, 53, 4);
    smx_session_new(m, NULL, &s, &e);
    smx_session_prefill(s, ids, 40, a, 1);
    smx_session_reset(s);
    for (t = 0; t < 40; t++) smx_session_step(s, ids[t], c + (size_t)t * 53);
    CHECK(t_maxdiff(a, c, sizeof a / 4) < 1e-4, "built hybrid: prefill vs steps %g", t_maxdiff(a, c, sizeof a / 4));
    CHECK(smx_model_save(m, d, &e) == SMX_OK && smx_model_load(d, &m2, &e) == SMX_OK, "built hybrid save/load: %s", e.msg);
    if (m2) {
        smx_session_new(m2, NULL, &s2, &e);
        smx_session_prefill(s2, ids, 40, c, 1);
        CHECK(memcmp(a, c, sizeof a) == 0, "built hybrid reloads bit-identically");
    }
    smx_session_free(s);
    smx_session_free(s2);
    smx_model_free(m);
    smx_model_free(m2);
    smx_builder_free(b);
}

/* ---- the chunked SSD kernel against the recurrence ---- */
/* S <- exp(dt A) S + dt B x^T, y = S^T C + D x per head and token, in double. */
static void t_ssd_ref(const smx__ssd *a, double *S, float *y)
{
    const int H = a->H, P = a->P, N = a->N;
    int t, h, n, p;
    for (t = 0; t < a->T; t++)
        for (h = 0; h < H; h++) {
            const int g = h / (H / a->G);
            const float *x = a->x + (size_t)t * a->ldx + (size_t)h * P, *B = a->B + (size_t)t * a->ldx + (size_t)g * N;
            const float *C = a->C + (size_t)t * a->ldx + (size_t)g * N;
            const double dt = a->dt[(size_t)t * H + h], dA = exp(dt * a->A[h]);
            double *Sh = S + (size_t)h * N * P;
            for (p = 0; p < P; p++) {
                double acc = a->D[h] * (double)x[p];
                for (n = 0; n < N; n++) {
                    Sh[(size_t)n * P + p] = dA * Sh[(size_t)n * P + p] + dt * B[n] * x[p];
                    acc += Sh[(size_t)n * P + p] * C[n];
                }
                y[(size_t)t * a->ldy + (size_t)h * P + p] = (float)acc;
            }
        }
}

/* Shapes with chunk tails, groups, widths that are not whole vectors, strong decays (whole chunks
 * decayed to nothing) and a state to continue from; every thread count gives the same bits. */
static void test_ssd_kernel(void)
{
    static const int cases[][7] = {   /* T, H, P, N, G, Q, decay strength */
        { 2, 2, 8, 4, 1, 256, 1 },      { 37, 4, 16, 8, 2, 16, 1 },   { 300, 3, 12, 5, 1, 256, 1 },  { 130, 4, 64, 128, 1, 64, 1 },
        { 77, 8, 9, 16, 4, 7, 30 },     { 200, 2, 24, 16, 2, 512, 30 }, { 65, 6, 64, 32, 3, 64, 1 },
    };
    size_t ci;
    for (ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int *c = cases[ci];
        const int T = c[0], H = c[1], P = c[2], N = c[3], G = c[4], ld = H * P + 2 * G * N + 3;
        const size_t ns = (size_t)H * N * P, ny = (size_t)T * H * P;
        float *xbc = (float *)malloc(sizeof(float) * T * ld), *dt = (float *)malloc(sizeof(float) * T * H);
        float *A = (float *)malloc(sizeof(float) * H), *D = (float *)malloc(sizeof(float) * H);
        float *S0 = (float *)malloc(sizeof(float) * ns), *S1 = (float *)malloc(sizeof(float) * ns), *S2 = (float *)malloc(sizeof(float) * ns);
        float *y1 = (float *)malloc(sizeof(float) * ny), *y2 = (float *)malloc(sizeof(float) * ny), *yr = (float *)malloc(sizeof(float) * ny);
        double *Sr = (double *)malloc(sizeof(double) * ns), es = 0.0;
        float *w = (float *)malloc(sizeof(float) * smx__ssd_work_floats(T, H, P, N, G, c[5], 7));
        smx__ssd a;
        size_t i;
        int p, bits = 1;
        t_fill(xbc, (size_t)T * ld, 500 + ci, 1.0f);
        t_fill(dt, (size_t)T * H, 600 + ci, 0.5f);
        for (i = 0; i < (size_t)T * H; i++) dt[i] = (dt[i] + 0.55f) * 0.2f * (float)c[6];   /* dt in (0.01, 0.21) x strength */
        for (p = 0; p < H; p++) { A[p] = -(0.5f + (float)p); D[p] = 0.25f * (float)p - 0.5f; }
        t_fill(S0, ns, 700 + ci, 1.0f);
        for (i = 0; i < ns; i++) Sr[i] = S0[i];
        memset(&a, 0, sizeof a);
        a.x = xbc; a.B = xbc + H * P; a.C = a.B + G * N; a.ldx = (size_t)ld; a.dt = dt; a.A = A; a.D = D;
        a.y = y1; a.ldy = (size_t)H * P; a.T = T; a.H = H; a.P = P; a.N = N; a.G = G; a.Q = c[5];
        memcpy(S1, S0, sizeof(float) * ns);
        a.S = S1;
        smx__ssd_chunked(&cx1, &a, w);
        t_ssd_ref(&a, Sr, yr);
        for (i = 0; i < ns; i++) es = SMX__MAX(es, fabs(S1[i] - Sr[i]));
        CHECK(t_maxdiff(y1, yr, ny) < 2e-4 && es < 2e-4, "ssd T %d H %d P %d N %d G %d chunk %d decay x%d: y %g, state %g from the recurrence",
              T, H, P, N, G, c[5], c[6], t_maxdiff(y1, yr, ny), es);
        for (p = 0; p < 3; p++) {
            memcpy(S2, S0, sizeof(float) * ns);
            a.S = S2; a.y = y2;
            smx__ssd_chunked(p == 0 ? &cx2 : p == 1 ? &cx3 : &cx7, &a, w);
            bits &= !memcmp(y1, y2, sizeof(float) * ny) && !memcmp(S1, S2, sizeof(float) * ns);
        }
        CHECK(bits, "ssd T %d H %d: 1, 2, 3 and 7 threads give the same bits", T, H);
        free(xbc); free(dt); free(A); free(D); free(S0); free(S1); free(S2); free(y1); free(y2); free(yr); free(Sr); free(w);
    }
    CHECK(smx__ssd_decay(-61.0f) == 0.0f && smx__ssd_decay(-59.0f) > 0.0f && smx__ssd_decay(0.0f) == 1.0f, "ssd decays under e^-60 are 0");
}

static void test_ssm(void)
{
    t_each_level(test_ssm_kernels);
    t_each_level(test_ssd_kernel);
    t_ssm_parity("tests/golden/mamba", 300, 0);
    t_ssm_parity("tests/golden/mamba2", 300, 16);
    t_ssm_parity("tests/golden/mamba2", 300, 64);
    t_ssm_parity("tests/golden/mamba2", 300, 512);
    t_ssm_parity("tests/golden/bamba", 150, 0);
    t_ssm_parity("tests/golden/jamba", 150, 0);
    t_ssm_state_roundtrip("tests/golden/mamba");
    t_ssm_state_roundtrip("tests/golden/mamba2");
    t_ssm_state_roundtrip("tests/golden/jamba");
    t_ssm_state_roundtrip("tests/golden/bamba");
    test_ssm_checkpoint_variants();
    test_ssm_generated();
    test_ssm_builder();
}
