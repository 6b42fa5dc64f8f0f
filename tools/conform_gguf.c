/* conform_gguf.c — conformance of GGUF case folders (llama.cpp's files and logits), shared by
 * `seqmix conform` and the test suite. Included by conform.c.
 *
 * A GGUF case folder holds model-<type>.gguf files and, for each, golden-<type>.safetensors with
 * llama.cpp's run of it: input_ids, logits [R, V] (the first R rows of one decode of all tokens),
 * logits_step (f32: one token per decode), gen_ids and gen_margin (the greedy continuation and its
 * top-1 minus top-2 logit), logits_deq (quantized types: llama.cpp on an F32 file of the
 * dequantized weights). golden-f32.safetensors gives the logits' range the tolerances scale by; a
 * vocabulary case also has input.txt (and vocab.gguf, or the models' own vocabulary), whose
 * tokenization must give input_ids.
 *
 * Tolerances (per type: max abs as a share of the F32 logits' absmax, mean abs):
 *   f32                       1e-4 absolute, prefill and step
 *   quantized, float32 activations (--exact) against logits_deq: 1e-4
 *   activations as seqmix runs them by default against logits:
 *     f16 0.2% / 0.002, bf16 1% / 0.015, q8_0 and q4_0 4% / 0.06, the K-quant mixes 6% / 0.08
 *     (a type not listed: 6% / 0.08), top-1 agreement >= 0.85
 *   greedy ids equal while llama.cpp's margin exceeds twice the max-abs tolerance. */

typedef struct cf_gg_tol { const char *type; double share, mean; int quant; } cf_gg_tol;

static const cf_gg_tol cf_gg_tols[] = {
    { "f32", 0.0, 0.0, 0 },      { "f16", 0.002, 0.002, 0 }, { "bf16", 0.01, 0.015, 0 },  { "q8_0", 0.04, 0.06, 1 },
    { "q4_0", 0.04, 0.06, 1 },   { "q4_1", 0.04, 0.06, 1 },  { "q5_0", 0.04, 0.06, 1 },   { "q5_1", 0.04, 0.06, 1 },
};
static const cf_gg_tol cf_gg_tol_wide = { "", 0.06, 0.08, 1 };

static const cf_gg_tol *cf_gg_tol_of(const char *type)
{
    size_t i;
    for (i = 0; i < sizeof cf_gg_tols / sizeof cf_gg_tols[0]; i++)
        if (!strcmp(cf_gg_tols[i].type, type)) return &cf_gg_tols[i];
    return &cf_gg_tol_wide;
}

/* A golden array as float32 ([rows, cols] in sh); NULL when absent. */
static float *cf_gg_arr(cf_golden *g, const char *name, int64_t *sh)
{
    int nd;
    int64_t s[8];
    float *f = cf_golden_f32(g, name, s, &nd);
    if (f && sh) { sh[0] = s[0]; sh[1] = nd > 1 ? s[1] : 1; }
    return f;
}

/* How got [rows, V] compares with ref: max abs, mean abs, share of rows with the same argmax. */
static void cf_gg_cmp(const float *got, const float *ref, int rows, int V, double *mx, double *mean, double *top1)
{
    size_t i, n = (size_t)rows * (size_t)V;
    int r, same = 0;
    *mx = 0.0;
    *mean = 0.0;
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

/* One line of a check; counts the failures. */
static void cf_gg_line(FILE *out, int ok, int *fails, const char *fmt, ...)
{
    va_list ap;
    if (!ok) ++*fails;
    if (!out) return;
    fprintf(out, "%s ", ok ? "ok  " : "FAIL");
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

/* The largest |logit| of the case's F32 run (golden-f32.safetensors); 0 when absent. */
static double cf_gg_absmax(const char *dir)
{
    char path[4096];
    cf_golden g;
    smx_error e;
    double absmax = 0.0;
    memset(&g, 0, sizeof g);
    cf_path(path, sizeof path, dir, "golden-f32.safetensors");
    if (smx__st_open_path(&g.ts, path, &e) == SMX_OK) {
        int64_t sh[2];
        float *f = cf_gg_arr(&g, "logits", sh);
        size_t k;
        for (k = 0; f && k < (size_t)sh[0] * (size_t)sh[1]; k++) absmax = SMX__MAX(absmax, fabs((double)f[k]));
        free(f);
        smx__st_close(&g.ts);
    }
    return absmax;
}

/* A file (model; NULL: the case's model-<type>.gguf) against the case's golden-<type>.safetensors:
 * prefill (every row), step by step, greedy continuation with the default numerics; for a
 * quantized type also with float32 activations against logits_deq. absmax: of the F32 logits
 * (0: of these). Returns the failures. */
static int cf_gg_file(const char *dir, const char *cs, const char *type, const char *model, double absmax, const smx_load_options *lo,
                      FILE *out, double *worst)
{
    const cf_gg_tol *tol = cf_gg_tol_of(type);
    char path[4096], name[64];
    cf_golden g;
    int64_t sh[2] = { 0, 0 }, shd[2] = { 0, 0 }, shs[2] = { 0, 0 };
    float *ref = NULL, *deq = NULL, *sref = NULL, *margin = NULL, *lg = NULL;
    int32_t *ids = NULL, *gen = NULL;
    int T = 0, ngen = 0, R, V, exact, t, fails = 0;
    double tabs;
    smx_error e;
    memset(&g, 0, sizeof g);
    snprintf(name, sizeof name, "golden-%s.safetensors", type);
    cf_path(path, sizeof path, dir, name);
    if (smx__st_open_path(&g.ts, path, &e) != SMX_OK) {
        cf_gg_line(out, 0, &fails, "%s %s: golden data: %s", cs, type, e.msg);
        return fails;
    }
    ids = cf_golden_ids(&g, "input_ids", &T);
    gen = cf_golden_ids(&g, "gen_ids", &ngen);
    ref = cf_gg_arr(&g, "logits", sh);
    deq = cf_gg_arr(&g, "logits_deq", shd);
    sref = cf_gg_arr(&g, "logits_step", shs);
    margin = cf_gg_arr(&g, "gen_margin", NULL);
    if (!ids || !ref || T <= 0) {
        cf_gg_line(out, 0, &fails, "%s %s: %s lacks input_ids or logits", cs, type, name);
        goto done;
    }
    if (!gen || !margin) ngen = 0;
    R = (int)SMX__MIN(sh[0], (int64_t)T);
    V = (int)sh[1];
    if (absmax <= 0.0)
        for (t = 0; t < R * V; t++) absmax = SMX__MAX(absmax, fabs((double)ref[t]));
    tabs = tol->share > 0 ? tol->share * absmax : 1e-4;
    snprintf(name, sizeof name, "model-%s.gguf", type);
    if (model) snprintf(path, sizeof path, "%s", model);
    else cf_path(path, sizeof path, dir, name);
    lg = (float *)malloc(sizeof(float) * (size_t)T * (size_t)(V > 0 ? V : 1));
    for (exact = 0; exact <= (tol->quant && deq) && lg; exact++) {
        smx_load_options o;
        smx_model *m = NULL;
        smx_session *s = NULL;
        smx_session_options so;
        double mx, mean, top1;
        if (lo) o = *lo;
        else smx_load_default_options(&o);
        o.weights = NULL;   /* the file's own types */
        o.exact = exact;
        if (smx_model_load_ex(path, &o, &m, &e) != SMX_OK) {
            cf_gg_line(out, 0, &fails, "%s %s: load %s: %s", cs, type, model ? model : name, e.msg);
            break;
        }
        memset(&so, 0, sizeof so);
        so.capacity = T + ngen + 1;
        if (smx_model_vocab(m) != V || smx_session_new(m, &so, &s, &e) != SMX_OK) {
            cf_gg_line(out, 0, &fails, "%s %s: vocab %d (golden %d)%s%s", cs, type, smx_model_vocab(m), V,
                       smx_model_vocab(m) == V ? ", session: " : "", smx_model_vocab(m) == V ? e.msg : "");
            smx_model_free(m);
            break;
        }
        /* (a) one prefill of all T tokens */
        if (smx_session_prefill(s, ids, T, lg, 1) != SMX_OK) {
            cf_gg_line(out, 0, &fails, "%s %s: prefill: %s", cs, type, smx_session_error(s));
            goto next;
        }
        if (exact) {
            cf_gg_cmp(lg, deq, (int)SMX__MIN(shd[0], (int64_t)T), V, &mx, &mean, &top1);
            cf_gg_line(out, mx <= 1e-4, &fails, "%s %s prefill, float32 activations, vs logits_deq: max abs %.3g (<= 1e-4)", cs, type, mx);
            *worst = SMX__MAX(*worst, mx);
        } else {
            cf_gg_cmp(lg, ref, R, V, &mx, &mean, &top1);
            if (tol->share == 0.0) cf_gg_line(out, mx <= 1e-4, &fails, "%s %s prefill vs logits: max abs %.3g (<= 1e-4)", cs, type, mx);
            else
                cf_gg_line(out, mx <= tabs && mean <= tol->mean && top1 >= 0.85, &fails,
                           "%s %s prefill, activations %s, vs logits: max abs %.3g (%.2f%% of %.3g; <= %.1f%%), mean %.3g (<= %.3g), "
                           "top-1 %.3f (>= 0.85)",
                           cs, type, tol->quant ? "as seqmix runs them (8-bit rounded where llama.cpp rounds)" : "float32", mx, 100.0 * mx / (absmax > 0 ? absmax : 1), absmax,
                           100.0 * tol->share, mean, tol->mean, top1);
            if (tol->share == 0.0) *worst = SMX__MAX(*worst, mx);
        }
        if (exact) goto next;
        /* (b) a fresh session, one token at a time */
        smx_session_reset(s);
        for (t = 0; t < R; t++)
            if (smx_session_step(s, ids[t], lg + (size_t)t * V) != SMX_OK) {
                cf_gg_line(out, 0, &fails, "%s %s: step: %s", cs, type, smx_session_error(s));
                goto next;
            }
        cf_gg_cmp(lg, sref ? sref : ref, sref ? (int)SMX__MIN(shs[0], (int64_t)R) : R, V, &mx, &mean, &top1);
        cf_gg_line(out, mx <= tabs, &fails, "%s %s step by step vs %s: max abs %.3g (<= %.3g)", cs, type, sref ? "logits_step" : "logits",
                   mx, tabs);
        if (tol->share == 0.0) *worst = SMX__MAX(*worst, mx);
        /* (c) greedy continuation while llama.cpp's choice is clear */
        if (ngen) {
            int agree = 0;
            smx_session_reset(s);
            if (smx_session_prefill(s, ids, T, lg, 0) != SMX_OK) {
                cf_gg_line(out, 0, &fails, "%s %s: prefill: %s", cs, type, smx_session_error(s));
                goto next;
            }
            for (t = 0; t < ngen && margin[t] > 2.0 * tabs; t++) {
                int32_t nx = smx_argmax(lg, V);
                if (nx != gen[t]) break;
                agree++;
                if (t + 1 < ngen && smx_session_step(s, nx, lg) != SMX_OK) break;
            }
            cf_gg_line(out, agree == t && (t == ngen || margin[t] <= 2.0 * tabs), &fails,
                       "%s %s greedy: %d of the %d ids llama.cpp chose by a margin above %.3g agree (%d generated)", cs, type, agree, t,
                       2.0 * tabs, ngen);
        }
    next:
        smx_session_free(s);
        smx_model_free(m);
    }
done:
    free(lg); free(ids); free(gen); free(ref); free(deq); free(sref); free(margin);
    smx__st_close(&g.ts);
    return fails;
}

/* A vocabulary case: input.txt through the folder's vocab.gguf (else the first model file's
 * vocabulary), with BOS/EOS as the vocabulary adds them, must give golden input_ids. */
static int cf_gg_vocab(const char *dir, const char *cs, const char *first_model, const char *first_golden, FILE *out)
{
    char path[4096], *text = NULL;
    size_t n = 0, nid = 0;
    smx_tokenizer *tk = NULL;
    cf_golden g;
    int32_t *want = NULL, *got = NULL;
    int T = 0, fails = 0;
    smx_error e;
    memset(&g, 0, sizeof g);
    cf_path(path, sizeof path, dir, "input.txt");
    if (smx__read_file(path, (size_t)1 << 24, &text, &n, &e) != SMX_OK) return 0;   /* not a vocabulary case */
    cf_path(path, sizeof path, dir, first_golden);
    if (smx__st_open_path(&g.ts, path, &e) == SMX_OK) want = cf_golden_ids(&g, "input_ids", &T);
    cf_path(path, sizeof path, dir, "vocab.gguf");
    if (!cli_is_file(path)) cf_path(path, sizeof path, dir, first_model);
    if (!want) cf_gg_line(out, 0, &fails, "%s vocabulary: no input_ids in %s", cs, first_golden);
    else if (smx_tokenizer_load(path, &tk, &e) != SMX_OK) cf_gg_line(out, 0, &fails, "%s vocabulary: %s", cs, e.msg);
    else if (!(got = (int32_t *)malloc(sizeof(int32_t) * (n + 16)))) cf_gg_line(out, 0, &fails, "%s vocabulary: out of memory", cs);
    else if (smx_tokenize(tk, text, n, SMX_TOK_ADD_SPECIAL, got, n + 16, &nid, &e) != SMX_OK)
        cf_gg_line(out, 0, &fails, "%s vocabulary: tokenize input.txt: %s", cs, e.msg);
    else {
        size_t k = 0;
        while (k < nid && (int)k < T && got[k] == want[k]) k++;
        cf_gg_line(out, (int)nid == T && (int)k == T, &fails, "%s vocabulary: input.txt gives %d ids, llama.cpp %d, equal up to %d", cs,
                   (int)nid, T, (int)k);
    }
    smx_tokenizer_free(tk);
    SMX_FREE(text);
    free(want);
    free(got);
    smx__st_close(&g.ts);
    return fails;
}

/* 1 when dir holds a GGUF case (model-<type>.gguf or golden-<type>.safetensors files). */
static int cf_is_gguf_case(const char *dir)
{
    cli_dir d;
    const char *nm;
    int found = 0;
    if (cli_dir_open(&d, dir)) return 0;
    while (!found && (nm = cli_dir_next(&d)) != NULL) {
        size_t n = strlen(nm);
        found = (n > 11 && !strncmp(nm, "model-", 6) && !strcmp(nm + n - 5, ".gguf")) ||
                (n > 19 && !strncmp(nm, "golden-", 7) && !strcmp(nm + n - 12, ".safetensors"));
    }
    cli_dir_close(&d);
    return found;
}

static int cf_gg_cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Every model-<type>.gguf of the case (in name order), then the vocabulary. One line per file and
 * check, then PASS or FAIL. Returns CF_PASS, CF_FAIL, or CF_ERROR when nothing could be checked. */
static int cf_conform_gguf(const char *dir, const char *cs, const smx_load_options *lo, FILE *out, double *max_err)
{
    char path[4096], gname[300], *types[64], first_model[300] = "", first_golden[300] = "";
    cli_dir d;
    const char *nm;
    double absmax, worst = 0.0;
    int nt = 0, i, fails = 0;
    if (cli_dir_open(&d, dir)) {
        if (out) fprintf(out, "FAIL %s cannot list the folder\n", cs);
        return CF_ERROR;
    }
    while ((nm = cli_dir_next(&d)) != NULL && nt < 64) {
        size_t n = strlen(nm);
        if (n > 11 && n < 200 && !strncmp(nm, "model-", 6) && !strcmp(nm + n - 5, ".gguf")) {
            char *t = (char *)malloc(n);
            if (!t) continue;
            memcpy(t, nm + 6, n - 11);
            t[n - 11] = 0;
            types[nt++] = t;
        }
    }
    cli_dir_close(&d);
    qsort(types, (size_t)nt, sizeof *types, cf_gg_cmp_str);
    absmax = cf_gg_absmax(dir);   /* the range the tolerances scale by */
    for (i = 0; i < nt; i++) {
        snprintf(gname, sizeof gname, "golden-%s.safetensors", types[i]);
        cf_path(path, sizeof path, dir, gname);
        if (!cli_is_file(path)) {
            if (out) fprintf(out, "skip %s %s: no %s\n", cs, types[i], gname);
            continue;
        }
        if (!first_model[0]) {
            snprintf(first_model, sizeof first_model, "model-%s.gguf", types[i]);
            snprintf(first_golden, sizeof first_golden, "%s", gname);
        }
        fails += cf_gg_file(dir, cs, types[i], NULL, absmax, lo, out, &worst);
    }
    for (i = 0; i < nt; i++) free(types[i]);
    cf_path(path, sizeof path, dir, "vocab.gguf");
    if (!first_model[0] && cli_is_file(path)) {   /* a vocabulary alone, with the F32 run's ids */
        snprintf(first_model, sizeof first_model, "vocab.gguf");
        snprintf(first_golden, sizeof first_golden, "golden-f32.safetensors");
    }
    if (!first_model[0]) {
        if (out) fprintf(out, "FAIL %s no model-<type>.gguf with its golden-<type>.safetensors\n", cs);
        return CF_ERROR;
    }
    fails += cf_gg_vocab(dir, cs, first_model, first_golden, out);
    if (max_err) *max_err = worst;
    if (out) fprintf(out, "%s %s max_abs_err=%.3g (f32 and float32-activation checks)\n", fails ? "FAIL" : "PASS", cs, worst);
    return fails ? CF_FAIL : CF_PASS;
}
