/* GGUF tests: llama.cpp's own files and logits (tests/golden/gguf, see its README), the files
 * `seqmix convert` writes (tensor for tensor against llama.cpp's), and broken files. Included by
 * tests/test.c. */

/* What a file of one type must hold against llama.cpp's logits (the README's tolerances):
 * max abs as a share of the F32 logits' absmax, mean abs. */
typedef struct t_gg_tol { const char *type; double share, mean; int quant; } t_gg_tol;
static const t_gg_tol t_gg_tols[] = {
    { "f32", 0.0, 0.0, 0 },      { "f16", 0.002, 0.002, 0 }, { "bf16", 0.01, 0.015, 0 }, { "q8_0", 0.04, 0.06, 1 },
    { "q4_0", 0.04, 0.06, 1 },   { "q4_k_m", 0.06, 0.08, 1 }, { "q6_k", 0.06, 0.08, 1 },
};

static const t_gg_tol *t_gg_tol_of(const char *type)
{
    size_t i;
    for (i = 0; i < sizeof t_gg_tols / sizeof t_gg_tols[0]; i++)
        if (!strcmp(t_gg_tols[i].type, type)) return &t_gg_tols[i];
    return NULL;
}

/* A golden array as float32 ([rows, cols] in sh); NULL when absent. */
static float *t_gg_arr(cf_golden *g, const char *name, int64_t *sh)
{
    int nd;
    int64_t s[8];
    float *f = cf_golden_f32(g, name, s, &nd);
    if (f && sh) { sh[0] = s[0]; sh[1] = nd > 1 ? s[1] : 1; }
    return f;
}

/* How `got` [rows, V] compares with `ref`: max abs, mean abs, share of rows with the same argmax. */
static void t_gg_cmp(const float *got, const float *ref, int rows, int V, double *mx, double *mean, double *top1)
{
    size_t i, n = (size_t)rows * (size_t)V;
    int r, same = 0;
    *mx = 0.0; *mean = 0.0;
    for (i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)ref[i]);
        if (d != d) d = INFINITY;
        if (d > *mx) *mx = d;
        *mean += d;
    }
    *mean /= (double)(n ? n : 1);
    for (r = 0; r < rows; r++) same += smx_argmax(got + (size_t)r * V, V) == smx_argmax(ref + (size_t)r * V, V);
    *top1 = rows ? (double)same / rows : 1.0;
}

/* One file against its golden arrays (golden-<type>.safetensors in gdir, golden-f32 for the
 * absmax): prefill (every row), step by step, greedy continuation; quantized types with float32
 * activations against logits_deq, and with rounded activations (as llama.cpp) against logits. */
static void t_gg_case(const char *name, const char *model, const char *gdir, const char *type)
{
    const t_gg_tol *tol = t_gg_tol_of(type);
    char path[1024];
    cf_golden g, g32;
    int64_t sh[2] = { 0, 0 }, sh32[2] = { 0, 0 }, shd[2] = { 0, 0 }, shs[2] = { 0, 0 };
    float *ref = NULL, *ref32 = NULL, *deq = NULL, *sref = NULL, *margin = NULL, *lg = NULL;
    int32_t *ids = NULL, *gen = NULL;
    int T = 0, ngen = 0, R, V, exact, t;
    double absmax = 0.0, tabs;
    size_t i;
    smx_error e;
    memset(&g, 0, sizeof g);
    memset(&g32, 0, sizeof g32);
    snprintf(path, sizeof path, "%s/golden-%s.safetensors", gdir, type);
    if (!tol || smx__st_open_path(&g.ts, path, &e) != SMX_OK) { CHECK(0, "%s %s: golden data: %s", name, type, tol ? e.msg : "unknown type"); goto done; }
    snprintf(path, sizeof path, "%s/golden-f32.safetensors", gdir);
    if (smx__st_open_path(&g32.ts, path, &e) != SMX_OK) { CHECK(0, "%s: golden-f32: %s", name, e.msg); goto done; }
    ids = cf_golden_ids(&g, "input_ids", &T);
    gen = cf_golden_ids(&g, "gen_ids", &ngen);
    ref = t_gg_arr(&g, "logits", sh);
    ref32 = t_gg_arr(&g32, "logits", sh32);
    deq = t_gg_arr(&g, "logits_deq", shd);
    sref = t_gg_arr(&g, "logits_step", shs);
    margin = t_gg_arr(&g, "gen_margin", NULL);
    if (!ids || !gen || !ref || !ref32 || !margin || (tol->quant && !deq)) { CHECK(0, "%s %s: golden arrays missing", name, type); goto done; }
    R = (int)sh[0];
    V = (int)sh[1];
    for (i = 0; i < (size_t)sh32[0] * (size_t)sh32[1]; i++) absmax = SMX__MAX(absmax, fabs((double)ref32[i]));
    tabs = tol->quant || tol->share > 0 ? tol->share * absmax : 1e-4;
    lg = (float *)malloc(sizeof(float) * (size_t)(T > 0 ? T : 1) * (size_t)V);
    for (exact = 0; exact <= tol->quant && lg; exact++) {
        smx_load_options o;
        smx_model *m = NULL;
        smx_session *s = NULL;
        smx_session_options so;
        double mx, mean, top1;
        smx_load_default_options(&o);
        o.exact = exact;
        if (smx_model_load_ex(model, &o, &m, &e) != SMX_OK) { CHECK(0, "%s %s: load: %s", name, type, e.msg); break; }
        memset(&so, 0, sizeof so);
        so.capacity = T + ngen + 1;
        if (smx_model_vocab(m) != V || smx_session_new(m, &so, &s, &e) != SMX_OK) {
            CHECK(0, "%s %s: vocab %d (golden %d) or session: %s", name, type, smx_model_vocab(m), V, e.msg);
            smx_model_free(m);
            break;
        }
        /* (a) one prefill of all T tokens */
        if (smx_session_prefill(s, ids, T, lg, 1) != SMX_OK) { CHECK(0, "%s %s: prefill: %s", name, type, smx_session_error(s)); goto next; }
        if (exact) {
            t_gg_cmp(lg, deq, (int)shd[0], V, &mx, &mean, &top1);
            CHECK(mx <= 1e-4, "%s %s float32 activations: max abs %.3g vs llama.cpp on the dequantized weights (<= 1e-4)", name, type, mx);
        } else if (!tol->quant && tol->share == 0.0) {
            t_gg_cmp(lg, ref, R, V, &mx, &mean, &top1);
            CHECK(mx <= 1e-4, "%s %s: max abs %.3g vs llama.cpp's logits (<= 1e-4)", name, type, mx);
        } else {
            t_gg_cmp(lg, ref, R, V, &mx, &mean, &top1);
            CHECK(mx <= tabs && mean <= tol->mean && top1 >= 0.85,
                  "%s %s: max abs %.3g (%.2f%% of %.3g; <= %.1f%%), mean %.3g (<= %.3g), top-1 %.3f (>= 0.85) vs llama.cpp", name, type, mx,
                  100.0 * mx / absmax, absmax, 100.0 * tol->share, mean, tol->mean, top1);
        }
        /* (b) a fresh session, one token at a time */
        if (!exact) {
            smx_session_reset(s);
            for (t = 0; t < R; t++)
                if (smx_session_step(s, ids[t], lg + (size_t)t * V) != SMX_OK) { CHECK(0, "%s %s: step: %s", name, type, smx_session_error(s)); goto next; }
            t_gg_cmp(lg, sref ? sref : ref, sref ? (int)SMX__MIN(shs[0], R) : R, V, &mx, &mean, &top1);
            CHECK(mx <= (tol->share == 0.0 ? 1e-4 : tabs), "%s %s: step by step: max abs %.3g vs llama.cpp's %s", name, type, mx,
                  sref ? "logits_step" : "logits");
        }
        /* (c) greedy continuation while llama.cpp's choice is clear */
        if (!exact) {
            int32_t next;
            int agree = 0;
            smx_session_reset(s);
            if (smx_session_prefill(s, ids, T, lg, 0) != SMX_OK) { CHECK(0, "%s %s: prefill: %s", name, type, smx_session_error(s)); goto next; }
            for (t = 0; t < ngen && margin[t] > 2.0 * tabs; t++) {
                next = smx_argmax(lg, V);
                if (next != gen[t]) break;
                agree++;
                if (t + 1 < ngen && smx_session_step(s, next, lg) != SMX_OK) break;
            }
            CHECK(agree == t && (t == ngen || margin[t] <= 2.0 * tabs), "%s %s: greedy ids agree with llama.cpp for %d of the %d clear steps",
                  name, type, agree, t);
        }
    next:
        smx_session_free(s);
        smx_model_free(m);
    }
done:
    free(lg); free(ids); free(gen); free(ref); free(ref32); free(deq); free(sref); free(margin);
    smx__st_close(&g.ts);
    smx__st_close(&g32.ts);
}

/* The GGUF vocabulary gives llama.cpp's ids for input.txt. */
static void t_gg_vocab(const char *cs)
{
    char path[512], *text = NULL;
    size_t n = 0, nid = 0;
    smx_tokenizer *tk = NULL;
    cf_golden g;
    int32_t *want = NULL, got[512];
    int T = 0;
    smx_error e;
    memset(&g, 0, sizeof g);
    snprintf(path, sizeof path, "tests/golden/gguf/%s/golden-f32.safetensors", cs);
    if (smx__st_open_path(&g.ts, path, &e) == SMX_OK) want = cf_golden_ids(&g, "input_ids", &T);
    snprintf(path, sizeof path, "tests/golden/gguf/%s/input.txt", cs);
    if (smx__read_file(path, 1 << 20, &text, &n, &e) == SMX_OK) {
        snprintf(path, sizeof path, "tests/golden/gguf/%s/vocab.gguf", cs);
        if (smx_tokenizer_load(path, &tk, &e) != SMX_OK) CHECK(0, "%s: vocabulary: %s", cs, e.msg);
        else if (smx_tokenize(tk, text, n, SMX_TOK_ADD_SPECIAL, got, 512, &nid, &e) != SMX_OK) CHECK(0, "%s: tokenize: %s", cs, e.msg);
        else CHECK(want && (int)nid == T && !memcmp(got, want, sizeof(int32_t) * nid), "%s: input.txt gives %d ids (llama.cpp: %d)", cs, (int)nid, T);
    } else {
        CHECK(0, "%s: %s", cs, e.msg);
    }
    smx_tokenizer_free(tk);
    SMX_FREE(text);
    free(want);
    smx__st_close(&g.ts);
}

/* ---- broken files: each a clear status and a message naming what is wrong ---- */

/* The byte offset of the info record of tensor `name` (its name length) in a GGUF image. */
static size_t t_gg_tinfo(const unsigned char *p, size_t n, const char *name)
{
    size_t k, ln = strlen(name);
    for (k = 0; k + 8 + ln <= n; k++)
        if (smx__le(p + k, 8) == ln && !memcmp(p + k + 8, name, ln)) return k;
    return 0;
}

static void t_gg_expect(const char *what, const unsigned char *p, size_t n, smx_status want, const char *needle)
{
    smx_load_options o;
    smx_file f;
    smx_model *m = NULL;
    smx_error e;
    smx_status st;
    smx_load_default_options(&o);
    f.name = "model.gguf"; f.data = p; f.size = n;
    o.files = &f; o.n_files = 1;
    st = smx_model_load_ex(NULL, &o, &m, &e);
    CHECK(st == want && m == NULL && strstr(e.msg, needle), "%s: want status %d naming '%s', got %d: %s", what, want, needle, st, st ? e.msg : "loaded");
    smx_model_free(m);
}

static void t_gg_bad(void)
{
    unsigned char *base = NULL, *p = NULL;
    size_t n = 0, k, cut;
    smx__gguf g;
    smx_error e;
    long i;
    int loaded = 0;
    base = (unsigned char *)t_ld_slurp("tests/golden/gguf/lfm2_cac/model-f16.gguf", &n);
    if (!base || !(p = (unsigned char *)malloc(n))) { CHECK(0, "lfm2_cac f16 file"); goto done; }
    /* truncated anywhere: never loads */
    for (cut = 0; cut < n; cut += cut < 4096 ? 97 : 65521) {
        smx_load_options o;
        smx_file f;
        smx_model *m = NULL;
        smx_load_default_options(&o);
        f.name = "model.gguf"; f.data = base; f.size = cut;
        o.files = &f; o.n_files = 1;
        if (smx_model_load_ex(NULL, &o, &m, &e) == SMX_OK) loaded++;
        smx_model_free(m);
    }
    CHECK(loaded == 0, "truncated GGUF files fail to load (%d loaded)", loaded);
    if (smx__gguf_open(&g, base, n, "f", &e) != SMX_OK) { CHECK(0, "lfm2_cac: %s", e.msg); goto done; }
    /* an unknown architecture */
    memcpy(p, base, n);
    i = smx__gguf_find(&g, "general.architecture");
    p[g.kv[i].data - base + 3] = 'x';   /* "lfm2" -> "lfmx" */
    t_gg_expect("unknown architecture", p, n, SMX_E_UNSUPPORTED, "'lfmx'");
    /* a missing required key: block_count renamed */
    memcpy(p, base, n);
    for (k = 0; k + 17 < n; k++)
        if (!memcmp(p + k, "lfm2.block_count", 16)) { p[k + 15] = 'x'; break; }
    t_gg_expect("missing key", p, n, SMX_E_MISSING, "lfm2.block_count");
    /* a per-layer array of the wrong length: head_count_kv's 3 int32 read as 6 int16 */
    memcpy(p, base, n);
    i = smx__gguf_find(&g, "lfm2.attention.head_count_kv");
    k = (size_t)(g.kv[i].data - base);
    p[k - 12] = SMX__GGUF_I16; p[k - 8] = 6;
    t_gg_expect("per-layer array length", p, n, SMX_E_FORMAT, "head_count_kv");
    /* a tensor type seqmix does not compute on (F16 relabelled I16, same size) */
    memcpy(p, base, n);
    k = t_gg_tinfo(p, n, "blk.1.attn_q.weight");
    if (k) p[k + 8 + 19 + 4 + 16] = 25;
    t_gg_expect("unsupported tensor type", p, n, SMX_E_UNSUPPORTED, "blk.1.attn_q.weight");
    /* a tensor of the wrong shape (attn_q with 64 rows) */
    memcpy(p, base, n);
    if (k) p[k + 8 + 19 + 4 + 8] = 64;
    t_gg_expect("wrong shape", p, n, SMX_E_SHAPE, "blk.1.attn_q.weight");
    /* a tensor no layout knows */
    memcpy(p, base, n);
    if (k) p[k + 8 + 11] = 'z';   /* attn_q -> attn_z */
    t_gg_expect("unknown tensor", p, n, SMX_E_UNSUPPORTED, "blk.1.attn_z.weight");
    smx__gguf_close(&g);
done:
    free(base);
    free(p);
}

static void test_gguf(void)
{
    static const struct { const char *cs, *types[4]; } stored[] = {
        { "llama_gqa", { "f16" } }, { "mamba", { "f16", "bf16" } }, { "lfm2_cac", { "f16" } }, { "jamba_moe", { "f16", "q4_0" } },
    };
    char model[512], gdir[512];
    size_t c, k;
    for (c = 0; c < sizeof stored / sizeof stored[0]; c++)
        for (k = 0; k < 4 && stored[c].types[k]; k++) {
            snprintf(model, sizeof model, "tests/golden/gguf/%s/model-%s.gguf", stored[c].cs, stored[c].types[k]);
            snprintf(gdir, sizeof gdir, "tests/golden/gguf/%s", stored[c].cs);
            t_gg_case(stored[c].cs, model, gdir, stored[c].types[k]);
        }
    t_gg_vocab("llama_mha_spm");
    t_gg_vocab("mamba2_bpe");
    t_gg_bad();
}
