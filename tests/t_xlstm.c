/* Tests of the xLSTM family (included by tests/test.c, after t_core.c whose folder helpers they use):
 * the tile kernel against its scalar twin, chunkwise prefill against the recurrent step over long
 * sequences with a tail, split prefills, state save -> load -> continue, thread counts, the fused
 * weight layout, the cuda storage layout of the sLSTM cell, and config errors. */

/* A 7B-form model: 2 blocks, 4 heads, chunk 16. */
static const char *t_xl_cfg7 =
    "{\"architectures\":[\"xLSTMForCausalLM\"],\"model_type\":\"xlstm\",\"vocab_size\":64,\"hidden_size\":64,"
    "\"embedding_dim\":64,\"num_blocks\":2,\"num_hidden_layers\":2,\"num_heads\":4,\"qk_dim_factor\":0.5,\"v_dim_factor\":1.0,"
    "\"chunk_size\":16,\"use_bias\":%s,\"weight_mode\":\"%s\",\"gate_soft_cap\":15.0,\"output_logit_soft_cap\":30.0,"
    "\"norm_eps\":1e-6,\"eps\":1e-6,\"ffn_proj_factor\":2.667,\"ffn_round_up_to_multiple_of\":64,\"tie_word_embeddings\":false}";

/* An original-form LM: mLSTM, sLSTM, mLSTM, sLSTM. */
static const char *t_xl_cfg_lm =
    "{\"model_type\":\"xlstm_lm\",\"vocab_size\":64,\"embedding_dim\":32,\"num_blocks\":4,\"slstm_at\":[1,3],"
    "\"context_length\":512,\"bias\":false,\"tie_weights\":false,\"add_post_blocks_norm\":true,"
    "\"mlstm_block\":{\"mlstm\":{\"proj_factor\":2.0,\"conv1d_kernel_size\":4,\"qkv_proj_blocksize\":4,\"num_heads\":4}},"
    "\"slstm_block\":{\"slstm\":{\"num_heads\":4,\"conv1d_kernel_size\":4,\"backend\":\"%s\",\"function\":\"slstm\"},"
    "\"feedforward\":{\"proj_factor\":1.3,\"act_fn\":\"gelu\"}}}";

static smx_model *t_xl_model(const char *fmt, const char *a, const char *b, uint64_t seed)
{
    char cfg[2048];
    smx_model *m = NULL;
    smx_error e;
    snprintf(cfg, sizeof cfg, fmt, a, b);
    if (smx_model_from_config(cfg, seed, &m, &e) != SMX_OK) {
        CHECK(0, "xlstm model from config: %s", e.msg);
        return NULL;
    }
    return m;
}

static void t_xl_ids(int32_t *ids, int n, int V, uint64_t seed)
{
    smx_rng r;
    int i;
    smx_rng_seed(&r, seed);
    for (i = 0; i < n; i++) ids[i] = (int32_t)(smx_rng_next(&r) % (uint64_t)V);
}

/* Logits [T, V] of a fresh session: mode 0 one prefill, 1 token by token, 2 prefill(split) + prefill(rest). */
static float *t_xl_run(const smx_model *m, const int32_t *ids, int T, int mode, int split, int nth)
{
    int V = smx_model_vocab(m), t;
    float *lg = (float *)malloc(sizeof(float) * (size_t)T * V);
    smx_session *s = NULL;
    smx_session_options o;
    smx_error e;
    memset(&o, 0, sizeof o);
    o.n_threads = nth;
    if (smx_session_new(m, &o, &s, &e)) { CHECK(0, "session: %s", e.msg); free(lg); return NULL; }
    if (mode == 0) smx_session_prefill(s, ids, T, lg, 1);
    else if (mode == 1) for (t = 0; t < T; t++) smx_session_step(s, ids[t], lg + (size_t)t * V);
    else {
        smx_session_prefill(s, ids, split, lg, 1);
        smx_session_prefill(s, ids + split, T - split, lg + (size_t)split * V, 1);
    }
    CHECK(smx_session_pos(s) == T, "session consumed %d of %d tokens", smx_session_pos(s), T);
    smx_session_free(s);
    return lg;
}

static void t_xl_gemm_kernel(void)
{
    static const int Ms[] = { 1, 3, 4, 7, 16 }, Ks[] = { 1, 5, 33 }, Ns[] = { 1, 7, 16, 33, 40 };
    float A[16 * 40], B[33 * 48], y[16 * 48], yr[16 * 48];
    int a, b, c, beta, tr;
    double worst = 0.0;
    t_fill(A, sizeof A / sizeof A[0], 1, 1.0f);
    t_fill(B, sizeof B / sizeof B[0], 2, 1.0f);
    for (a = 0; a < 5; a++)
        for (b = 0; b < 3; b++)
            for (c = 0; c < 5; c++)
                for (beta = 0; beta < 2; beta++)
                    for (tr = 0; tr < 2; tr++) {
                        int M = Ms[a], K = Ks[b], N = Ns[c];
                        size_t ais = tr ? 1 : 40, aks = tr ? 16 : 1;   /* A as [M, K] or transposed */
                        double d;
                        t_fill(y, sizeof y / sizeof y[0], 3, 1.0f);
                        memcpy(yr, y, sizeof y);
                        smx__gemm(y, 48, A, ais, aks, B, 48, 1, M, N, K, beta ? SMX__GEMM_ACC : 0);
                        smx__gemm_ref(yr, 48, A, ais, aks, B, 48, 1, M, N, K, beta ? SMX__GEMM_ACC : 0);
                        d = t_maxdiff(y, yr, sizeof y / sizeof y[0]);
                        if (d > worst) worst = d;
                    }
    CHECK(worst < 1e-4, "gemm with strided A vs scalar: max diff %g", worst);
}

/* Chunkwise prefill (T = 300 with chunk 16: 18 chunks and a tail of 12) against the step path,
 * split prefills, and thread counts. */
static void t_xl_parity(void)
{
    enum { T = 300 };
    int32_t ids[T];
    smx_model *m7 = t_xl_model(t_xl_cfg7, "false", "single", 11), *ml = t_xl_model(t_xl_cfg_lm, "vanilla", "", 12);
    if (m7) {
        int V = smx_model_vocab(m7);
        float *a, *b, *c, *d;
        t_xl_ids(ids, T, V, 5);
        a = t_xl_run(m7, ids, T, 0, 0, 0);
        b = t_xl_run(m7, ids, T, 1, 0, 0);
        c = t_xl_run(m7, ids, T, 2, 137, 0);
        d = t_xl_run(m7, ids, T, 0, 0, 1);
        if (a && b && c && d) {
            CHECK(t_maxdiff(a, b, (size_t)T * V) < 2e-4, "xlstm chunkwise prefill vs step over %d tokens: %g", T,
                  t_maxdiff(a, b, (size_t)T * V));
            CHECK(t_maxdiff(a, c, (size_t)T * V) < 2e-4, "xlstm prefill 137 + 163 vs one prefill: %g", t_maxdiff(a, c, (size_t)T * V));
            CHECK(t_maxdiff(a, d, (size_t)T * V) < 1e-6, "xlstm 1 thread vs default threads: %g", t_maxdiff(a, d, (size_t)T * V));
        }
        free(a); free(b); free(c); free(d);
        smx_model_free(m7);
    }
    if (ml) {
        int V = smx_model_vocab(ml);
        float *a, *b, *c, *d;
        t_xl_ids(ids, T, V, 6);
        a = t_xl_run(ml, ids, T, 0, 0, 0);
        b = t_xl_run(ml, ids, T, 1, 0, 0);
        c = t_xl_run(ml, ids, T, 2, 137, 0);
        d = t_xl_run(ml, ids, T, 0, 0, 1);
        if (a && b && c && d) {
            /* the parallel form (m0 = -inf) and the reference step (m0 = 0) differ only through the exp(-m) floor */
            CHECK(t_maxdiff(a, b, (size_t)T * V) < 1e-3, "xlstm_lm parallel prefill vs step over %d tokens: %g", T,
                  t_maxdiff(a, b, (size_t)T * V));
            CHECK(t_maxdiff(a, c, (size_t)T * V) < 2e-4, "xlstm_lm prefill 137 + 163 vs one prefill: %g", t_maxdiff(a, c, (size_t)T * V));
            CHECK(t_maxdiff(a, d, (size_t)T * V) < 1e-6, "xlstm_lm 1 thread vs default threads: %g", t_maxdiff(a, d, (size_t)T * V));
        }
        free(a); free(b); free(c); free(d);
        smx_model_free(ml);
    }
}

/* prefill 100 -> save -> (prefill 20, step 20) in the same session and, after load, in a new one. */
static void t_xl_state_roundtrip(smx_model *m, const char *what)
{
    enum { P = 100, Q = 20 };
    int32_t ids[P + 2 * Q];
    int V = smx_model_vocab(m), t, k;
    float *a = (float *)malloc(sizeof(float) * (size_t)2 * Q * V), *b = (float *)malloc(sizeof(float) * (size_t)2 * Q * V);
    smx_session *s = NULL, *s2 = NULL;
    smx_model_info info;
    smx_error e;
    size_t n, n0, wr = 0;
    void *blob;
    t_xl_ids(ids, P + 2 * Q, V, 9);
    smx_model_get_info(m, &info);
    CHECK(info.state_bytes > 0 && info.kv_bytes_per_token == 0, "%s: fixed state %lu bytes, none per token", what,
          (unsigned long)info.state_bytes);
    smx_session_new(m, NULL, &s, &e);
    smx_session_new(m, NULL, &s2, &e);
    if (!s || !s2 || !a || !b) { CHECK(0, "%s: session", what); goto done; }
    n0 = smx_session_state_size(s);
    smx_session_prefill(s, ids, P, NULL, 0);
    n = smx_session_state_size(s);
    CHECK(n == n0, "%s: state blob size is constant in the position (%lu vs %lu)", what, (unsigned long)n, (unsigned long)n0);
    blob = malloc(n);
    CHECK(smx_session_state_save(s, blob, n, &wr) == SMX_OK && wr == n, "%s: state save", what);
    for (k = 0; k < 2; k++) {
        smx_session *u = k ? s2 : s;
        float *o = k ? b : a;
        if (k) CHECK(smx_session_state_load(u, blob, n) == SMX_OK, "%s: state load: %s", what, smx_session_error(u));
        smx_session_prefill(u, ids + P, Q, o, 1);
        for (t = 0; t < Q; t++) smx_session_step(u, ids[P + Q + t], o + (size_t)(Q + t) * V);
    }
    CHECK(memcmp(a, b, sizeof(float) * (size_t)2 * Q * V) == 0, "%s: save -> load -> continue gives identical logits (%g)", what,
          t_maxdiff(a, b, (size_t)2 * Q * V));
    free(blob);
done:
    smx_session_free(s); smx_session_free(s2);
    free(a); free(b);
}

/* Copy the tensors of src/model.safetensors into dst (with config text cfg), transformed:
 * mode 0: the 7B form's single weights concatenated into the fused ones;
 * mode 1: the sLSTM cell's vanilla-layout recurrent kernel and bias into the cuda layout;
 * mode 2: the (tied) token embedding saved under the head's name only. */
static int t_xl_rewrite(const char *src, const char *dst, const char *cfg, int mode)
{
    smx__tensors ts;
    smx__st_out *out;
    float **own;
    smx_error e;
    char path[1024];
    int i, n = 0, nown = 0, ok;
    memset(&ts, 0, sizeof ts);
    snprintf(path, sizeof path, "%s/model.safetensors", src);
    if (smx__st_open_path(&ts, path, &e)) { smx__st_close(&ts); return 0; }
    out = (smx__st_out *)calloc((size_t)ts.nent, sizeof *out);
    own = (float **)calloc((size_t)ts.nent, sizeof *own);
    for (i = 0; i < ts.nent; i++) {
        smx__st_entry *en = &ts.ent[i];
        const char *nm = en->name;
        smx__st_out *o = &out[n];
        int k;
        o->name = nm; o->ndim = en->ndim; o->data = (const float *)smx__st_bytes(&ts, en, NULL);
        for (k = 0; k < en->ndim; k++) o->shape[k] = en->shape[k];
        if (mode == 0) {
            /* group members: dropped here, written once under the fused name at the first member */
            static const char *grp[3][5] = { { "q", "k", "v", "ogate_preact", "qkv_opreact" },
                                             { "igate_preact", "fgate_preact", NULL, NULL, "ifgate_preact" },
                                             { "proj_up_gate", "proj_up", NULL, NULL, "proj_up_gate_z" } };
            const char *dot = strrchr(nm, '.'), *mod;
            char pre[256], base[64], fused[320];
            int g, j, hit = -1, first = 0;
            size_t plen;
            if (!dot) { n++; continue; }
            for (mod = dot - 1; mod > nm && *mod != '.'; mod--) {}
            if (*mod == '.') mod++;
            plen = (size_t)(mod - nm);
            snprintf(base, sizeof base, "%.*s", (int)(dot - mod), mod);
            for (g = 0; g < 3 && hit < 0; g++)
                for (j = 0; j < 4; j++)
                    if (grp[g][j] && !strcmp(base, grp[g][j]) && (g == 2) == (strstr(nm, ".ffn.") != NULL)) { hit = g; first = j == 0; break; }
            if (hit < 0) { n++; continue; }
            if (!first) continue;
            snprintf(pre, sizeof pre, "%.*s", (int)plen, nm);
            {
                size_t rows = 0, cols = en->ndim == 2 ? (size_t)en->shape[1] : 1, off = 0;
                float *buf;
                for (j = 0; j < 4 && grp[hit][j]; j++) {
                    char nmj[512];
                    smx__st_entry *ej;
                    snprintf(nmj, sizeof nmj, "%s%s%s", pre, grp[hit][j], dot);
                    ej = smx__st_find(&ts, nmj);
                    if (!ej) { smx__st_close(&ts); return 0; }
                    rows += (size_t)ej->shape[0];
                }
                buf = own[nown++] = (float *)malloc(sizeof(float) * rows * cols);
                for (j = 0; j < 4 && grp[hit][j]; j++) {
                    char nmj[512];
                    smx__st_entry *ej;
                    snprintf(nmj, sizeof nmj, "%s%s%s", pre, grp[hit][j], dot);
                    ej = smx__st_find(&ts, nmj);
                    memcpy(buf + off, smx__st_bytes(&ts, ej, NULL), ej->nbytes);
                    off += ej->numel;
                }
                snprintf(fused, sizeof fused, "%s%s%s", pre, grp[hit][4], dot);
                o->name = (const char *)(own[nown++] = (float *)(void *)strdup(fused));
                o->shape[0] = (int64_t)rows;
                o->data = buf;
            }
        } else if (mode == 2 && !strcmp(nm, "token_embedding.weight")) {
            o->name = "lm_head.weight";
        } else if (mode == 1 && strstr(nm, "_recurrent_kernel_")) {
            int64_t nh = en->shape[0], o4 = en->shape[1], dh = en->shape[2], h, r, c;
            const float *R = (const float *)smx__st_bytes(&ts, en, NULL);
            float *buf = own[nown++] = (float *)malloc(en->nbytes);
            for (h = 0; h < nh; h++)
                for (r = 0; r < o4; r++)
                    for (c = 0; c < dh; c++) buf[(h * dh + c) * o4 + r] = R[(h * o4 + r) * dh + c];
            o->shape[1] = dh; o->shape[2] = o4; o->data = buf;
        } else if (mode == 1 && strstr(nm, "_bias_")) {
            char rn[512];
            smx__st_entry *re;
            int64_t nh, dh, g, h, j;
            const float *B = (const float *)smx__st_bytes(&ts, en, NULL);
            float *buf = own[nown++] = (float *)malloc(en->nbytes);
            snprintf(rn, sizeof rn, "%.*s_recurrent_kernel_", (int)(strlen(nm) - strlen("_bias_")), nm);
            re = smx__st_find(&ts, rn);
            if (!re) { smx__st_close(&ts); return 0; }
            nh = re->shape[0]; dh = re->shape[2];
            for (g = 0; g < 4; g++)
                for (h = 0; h < nh; h++)
                    for (j = 0; j < dh; j++) buf[(h * 4 + g) * dh + j] = B[(g * nh + h) * dh + j];
            o->data = buf;
        }
        n++;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dst);
    ok = smx__st_write(path, out, n, &e) == SMX_OK;
    t_write_str(dst, "config.json", cfg);
    for (i = 0; i < nown; i++) free(own[i]);
    free(own); free(out);
    smx__st_close(&ts);
    return ok;
}

static void t_xl_fused_layout(void)
{
    char cfg_s[2048], cfg_f[2048];
    smx_model *ms = NULL, *mf = NULL;
    smx_error e;
    char ds[512], df[512];
    int32_t ids[40];
    float *a, *b;
    snprintf(ds, sizeof ds, "%s", t_tmpdir("xlstm_single"));   /* t_tmpdir returns one static buffer */
    snprintf(df, sizeof df, "%s", t_tmpdir("xlstm_fused"));
    snprintf(cfg_s, sizeof cfg_s, t_xl_cfg7, "true", "single");
    snprintf(cfg_f, sizeof cfg_f, t_xl_cfg7, "true", "fused");
    if (smx_model_from_config(cfg_s, 21, &ms, &e) || smx_model_save(ms, ds, &e)) { CHECK(0, "xlstm single model: %s", e.msg); goto done; }
    if (!t_xl_rewrite(ds, df, cfg_f, 0)) { CHECK(0, "xlstm fused rewrite"); goto done; }
    if (smx_model_load(df, &mf, &e)) { CHECK(0, "xlstm fused load: %s", e.msg); goto done; }
    t_xl_ids(ids, 40, smx_model_vocab(ms), 4);
    a = t_xl_run(ms, ids, 40, 2, 23, 0);
    b = t_xl_run(mf, ids, 40, 2, 23, 0);
    if (a && b) CHECK(t_maxdiff(a, b, (size_t)40 * smx_model_vocab(ms)) < 1e-5, "xlstm weight_mode fused vs single: %g",
                      t_maxdiff(a, b, (size_t)40 * smx_model_vocab(ms)));
    free(a); free(b);
done:
    smx_model_free(ms); smx_model_free(mf);
}

/* The golden xlstm_lm case, re-stored in the cuda backend's layout, still matches its logits. */
static void t_xl_cuda_layout(void)
{
    const char *src = "tests/golden/xlstm_lm", *dst = t_tmpdir("xlstm_lm_cuda");
    char path[1024], *cfg, *cfg2;
    size_t n;
    smx_model *m = NULL;
    smx_error e;
    cf_golden g;
    int T = 0;
    int32_t *ids;
    float *ref, *lg;
    snprintf(path, sizeof path, "%s/config.json", src);
    cfg = t_read(path, &n);
    if (!cfg) { SKIP("tests/golden/xlstm_lm is missing"); return; }
    cfg2 = t_replace(cfg, "\"backend\": \"vanilla\"", "\"backend\": \"cuda\"");
    CHECK(strstr(cfg2, "\"cuda\"") != NULL, "xlstm_lm golden config names the vanilla backend");
    memset(&g, 0, sizeof g);
    snprintf(path, sizeof path, "%s/golden.safetensors", src);
    if (!t_xl_rewrite(src, dst, cfg2, 1) || smx__st_open_path(&g.ts, path, &e)) { CHECK(0, "xlstm_lm cuda rewrite"); goto done; }
    if (smx_model_load(dst, &m, &e)) { CHECK(0, "xlstm_lm cuda layout load: %s", e.msg); goto done; }
    ids = cf_golden_ids(&g, "input_ids", &T);
    ref = cf_golden_f32(&g, "logits", NULL, NULL);
    lg = ids ? t_xl_run(m, ids, T, 0, 0, 0) : NULL;
    if (lg && ref) CHECK(t_maxdiff(lg, ref, (size_t)T * smx_model_vocab(m)) < 1e-4, "xlstm_lm cuda storage layout: %g",
                         t_maxdiff(lg, ref, (size_t)T * smx_model_vocab(m)));
    free(ids); free(ref); free(lg);
done:
    smx__st_close(&g.ts);
    smx_model_free(m);
    free(cfg); free(cfg2);
}

/* Other options of the original form: no sLSTM conv, the plain-LSTM cell, conv kernel 1, rounding
 * down, swish FFN, biases, no post-blocks norm, all-sLSTM; prefill vs steps and a split prefill. */
static void t_xl_variants(void)
{
    static const char *cfgs[] = {
        "{\"model_type\":\"xlstm_lm\",\"vocab_size\":40,\"embedding_dim\":32,\"num_blocks\":3,\"slstm_at\":[0,2],\"bias\":true,"
        "\"add_post_blocks_norm\":false,\"mlstm_block\":{\"mlstm\":{\"proj_factor\":1.5,\"round_proj_up_dim_up\":false,"
        "\"round_proj_up_to_multiple_of\":16,\"conv1d_kernel_size\":1,\"qkv_proj_blocksize\":2,\"num_heads\":3}},"
        "\"slstm_block\":{\"slstm\":{\"num_heads\":2,\"conv1d_kernel_size\":0,\"backend\":\"vanilla\"},"
        "\"feedforward\":{\"proj_factor\":2.0,\"act_fn\":\"swish\",\"bias\":true}}}",
        "{\"model_type\":\"xlstm_lm\",\"vocab_size\":40,\"embedding_dim\":32,\"num_blocks\":2,\"mlstm_block\":null,"
        "\"slstm_block\":{\"slstm\":{\"num_heads\":1,\"conv1d_kernel_size\":3,\"backend\":\"cuda\",\"function\":\"lstm\"},"
        "\"feedforward\":null}}",
        "{\"model_type\":\"xlstm_lm\",\"vocab_size\":40,\"embedding_dim\":32,\"num_blocks\":2,\"_block_map\":\"1,0\","
        "\"mlstm_block\":{},\"slstm_block\":{\"slstm\":{\"backend\":\"vanilla\"}}}",
    };
    static const char *pats[] = { "SFYSF", "SS", "SFY" };
    int k;
    for (k = 0; k < 3; k++) {
        smx_model *m = NULL;
        smx_model_info info;
        smx_error e;
        int32_t ids[45];
        float *a, *b, *c;
        int V;
        if (smx_model_from_config(cfgs[k], 50 + k, &m, &e)) { CHECK(0, "xlstm_lm variant %d: %s", k, e.msg); continue; }
        smx_model_get_info(m, &info);
        CHECK(!strcmp(info.pattern, pats[k]), "xlstm_lm variant %d pattern %s (expected %s)", k, info.pattern, pats[k]);
        V = smx_model_vocab(m);
        t_xl_ids(ids, 45, V, 70 + k);
        a = t_xl_run(m, ids, 45, 0, 0, 0);
        b = t_xl_run(m, ids, 45, 1, 0, 0);
        c = t_xl_run(m, ids, 45, 2, 17, 0);
        if (a && b && c) {
            CHECK(t_maxdiff(a, b, (size_t)45 * V) < 1e-3, "xlstm_lm variant %d prefill vs step: %g", k, t_maxdiff(a, b, (size_t)45 * V));
            CHECK(t_maxdiff(a, c, (size_t)45 * V) < 2e-4, "xlstm_lm variant %d split prefill: %g", k, t_maxdiff(a, c, (size_t)45 * V));
        }
        free(a); free(b); free(c);
        smx_model_free(m);
    }
}

/* A tied original-form LM whose checkpoint kept only lm_head.weight loads with it as the embedding. */
static void t_xl_tied_head_only(void)
{
    char cfg[2048], d0[512], d1[512], *tied;
    smx_model *m = NULL, *m2 = NULL;
    smx_error e;
    int32_t ids[24];
    float *a, *b;
    snprintf(cfg, sizeof cfg, t_xl_cfg_lm, "vanilla", "");
    tied = t_replace(cfg, "\"tie_weights\":false", "\"tie_weights\":true");
    snprintf(d0, sizeof d0, "%s", t_tmpdir("xlstm_lm_tied"));
    snprintf(d1, sizeof d1, "%s", t_tmpdir("xlstm_lm_tied_head"));
    if (smx_model_from_config(tied, 41, &m, &e) || smx_model_save(m, d0, &e)) { CHECK(0, "tied xlstm_lm: %s", e.msg); goto done; }
    if (!t_xl_rewrite(d0, d1, tied, 2) || smx_model_load(d1, &m2, &e)) { CHECK(0, "tied xlstm_lm, head name only: %s", e.msg); goto done; }
    t_xl_ids(ids, 24, smx_model_vocab(m), 8);
    a = t_xl_run(m, ids, 24, 0, 0, 0);
    b = t_xl_run(m2, ids, 24, 0, 0, 0);
    if (a && b) CHECK(memcmp(a, b, sizeof(float) * 24 * (size_t)smx_model_vocab(m)) == 0, "tied xlstm_lm from lm_head.weight alone");
    free(a); free(b);
done:
    smx_model_free(m); smx_model_free(m2);
    free(tied);
}

static void t_xl_config_errors(void)
{
    static const struct { const char *cfg; smx_status st; const char *needle; } cases[] = {
        { "{\"model_type\":\"xlstm\",\"vocab_size\":8,\"hidden_size\":16,\"num_blocks\":1,\"num_heads\":4,\"weight_mode\":\"odd\"}",
          SMX_E_UNSUPPORTED, "weight_mode" },
        { "{\"model_type\":\"xlstm\",\"vocab_size\":8,\"hidden_size\":16,\"num_blocks\":1,\"num_heads\":3}", SMX_E_RANGE, "num_heads" },
        { "{\"model_type\":\"xlstm\",\"vocab_size\":8,\"hidden_size\":16,\"embedding_dim\":32,\"num_blocks\":1,\"num_heads\":4}",
          SMX_E_RANGE, "embedding_dim" },
        { "{\"model_type\":\"xlstm_lm\",\"vocab_size\":8,\"embedding_dim\":16,\"num_blocks\":2,\"slstm_at\":[2],"
          "\"mlstm_block\":{},\"slstm_block\":{}}", SMX_E_RANGE, "slstm_at" },
        { "{\"model_type\":\"xlstm_lm\",\"vocab_size\":8,\"embedding_dim\":16,\"num_blocks\":1,\"slstm_at\":[0],"
          "\"mlstm_block\":{},\"slstm_block\":{\"slstm\":{\"backend\":\"tpu\"}}}", SMX_E_UNSUPPORTED, "backend" },
        { "{\"model_type\":\"xlstm_lm\",\"vocab_size\":8,\"embedding_dim\":16,\"num_blocks\":1,\"slstm_at\":[0],"
          "\"mlstm_block\":{},\"slstm_block\":{\"slstm\":{\"num_heads\":3}}}", SMX_E_RANGE, "num_heads" },
        { "{\"model_type\":\"xlstm_lm\",\"vocab_size\":8,\"embedding_dim\":16,\"num_blocks\":1,"
          "\"mlstm_block\":{\"mlstm\":{\"qkv_proj_blocksize\":5}}}", SMX_E_RANGE, "qkv_proj_blocksize" },
    };
    int i;
    for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        smx_model *m = NULL;
        smx_error e;
        smx_status st = smx_model_from_config(cases[i].cfg, 1, &m, &e);
        CHECK(st == cases[i].st && strstr(e.msg, cases[i].needle), "xlstm config error %d: status %d, message '%s'", i, (int)st, e.msg);
        smx_model_free(m);
    }
}

static void test_xlstm(void)
{
    smx_model *m;
    t_each_level(t_xl_gemm_kernel);
    t_xl_parity();
    if ((m = t_xl_model(t_xl_cfg7, "true", "single", 31)) != NULL) { t_xl_state_roundtrip(m, "xlstm"); smx_model_free(m); }
    if ((m = t_xl_model(t_xl_cfg_lm, "vanilla", "", 32)) != NULL) { t_xl_state_roundtrip(m, "xlstm_lm"); smx_model_free(m); }
    t_xl_fused_layout();
    t_xl_cuda_layout();
    t_xl_tied_head_only();
    t_xl_variants();
    t_xl_config_errors();
}
