/* Tests of the trained toy models in models/ (included by tests/test.c after tools/conform.c).
 *
 * Each model folder holds eval.json, written by tools/train_toys.py from the PyTorch reference on the
 * saved (F16) weights in float32. seqmix must reproduce it:
 *   autoregressive byte models   bits per byte on the first T_MODELS_WINDOWS windows of 256 bytes of
 *                                models/data/heldout.txt == mean of eval.json's prefix_window_bpb over
 *                                the same windows, within 1% (the evaluator of `seqmix eval`)
 *   masked diffusion (llada)     masked-token loss with every 4th byte masked == check_masked_ce_nats
 *   CfC (cfc_oscillator)         outputs on eval.safetensors == the reference outputs, and their MSE
 * A model whose family this build does not implement is skipped, as is a folder that is absent. */
#include "../tools/cli_text.c"

#define T_MODELS_WINDOWS 16

/* eval.json of a model folder, parsed into arena a; NULL (and a skip) if absent. */
static const smx__jv *t_models_eval_json(const char *dir, smx__arena *a)
{
    char path[512], *text = NULL;
    size_t n;
    smx__jv *root = NULL;
    smx_error err;
    snprintf(path, sizeof path, "%s/eval.json", dir);
    if (smx__read_file(path, (size_t)1 << 30, &text, &n, &err) != SMX_OK) return NULL;
    if (smx__json_parse(text, n, a, 1, "eval.json", &root, &err) != SMX_OK) root = NULL;
    SMX_FREE(text);
    return root;
}

/* Load a model folder; 0 with a skip when it is absent or its family is not built. */
static int t_models_load(const char *dir, smx_model **m)
{
    char path[512];
    smx_error err;
    FILE *f;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (!(f = fopen(path, "rb"))) { SKIP("%s: not present", dir); return 0; }
    fclose(f);
    if (smx_model_load(dir, m, &err) != SMX_OK) {
        if (err.status == SMX_E_UNSUPPORTED && strstr(err.msg, "not implemented")) SKIP("%s: %s", dir, err.msg);
        else CHECK(0, "%s: %s", dir, err.msg);
        return 0;
    }
    return 1;
}

static void t_models_bpb(const char *dir, const unsigned char *text, size_t n)
{
    smx_model *m;
    smx__arena a;
    const smx__jv *ev, *w;
    txt_eval_stats st;
    smx_error err;
    double ref = 0.0, bpb;
    int k = 0;
    if (!t_models_load(dir, &m)) return;
    memset(&a, 0, sizeof a);
    ev = t_models_eval_json(dir, &a);
    w = ev ? smx__jget(ev, "prefix_window_bpb") : NULL;
    CHECK(w && w->type == SMX__J_ARR && w->n >= T_MODELS_WINDOWS, "%s: eval.json has no prefix_window_bpb", dir);
    if (w && w->type == SMX__J_ARR && n >= (size_t)T_MODELS_WINDOWS * 256) {
        const smx__jv *e;
        for (e = w->child; e && k < T_MODELS_WINDOWS; e = e->next, k++) ref += e->num;
        ref /= k;
        bpb = txt_eval_bpb(m, text, (size_t)T_MODELS_WINDOWS * 256, 256, 1, &st, &err);
        CHECK(bpb > 0 && fabs(bpb - ref) <= 0.01 * ref, "%s: bits per byte %.5f, PyTorch %.5f (%s)", dir, bpb, ref,
              bpb > 0 ? "differ by more than 1%" : err.msg);
        CHECK(st.windows == T_MODELS_WINDOWS && st.predicted == T_MODELS_WINDOWS * 255LL, "%s: %d windows, %lld bytes predicted",
              dir, st.windows, st.predicted);
    }
    smx__arena_free(&a);
    smx_model_free(m);
}

static void t_models_llada(const char *dir, const unsigned char *text, size_t n)
{
    smx_model *m;
    smx__arena a;
    const smx__jv *ev, *r;
    smx_error err;
    long long cnt = 0;
    double ce;
    if (!t_models_load(dir, &m)) return;
    memset(&a, 0, sizeof a);
    ev = t_models_eval_json(dir, &a);
    r = ev ? smx__jget(ev, "check_masked_ce_nats") : NULL;
    CHECK(r && r->type == SMX__J_NUM, "%s: eval.json has no check_masked_ce_nats", dir);
    CHECK(smx_model_mask_token(m) == 256 && smx_model_vocab(m) == 257, "%s: mask %d, vocabulary %d", dir,
          smx_model_mask_token(m), smx_model_vocab(m));
    if (r && r->type == SMX__J_NUM) {
        ce = txt_eval_masked_ce(m, text, n, 256, 4, 4, 1, &cnt, &err);
        CHECK(ce > 0 && fabs(ce - r->num) <= 0.01 * r->num, "%s: masked loss %.5f, PyTorch %.5f (%s)", dir, ce, r->num,
              ce > 0 ? "differ by more than 1%" : err.msg);
        CHECK(cnt == 256, "%s: %lld masked positions", dir, cnt);
    }
    smx__arena_free(&a);
    smx_model_free(m);
}

static void t_models_cfc(const char *dir)
{
    smx_model *m;
    smx_session *s = NULL;
    cf_golden g;
    smx__arena a;
    smx_error err;
    const smx__jv *ev, *r;
    char path[512];
    int64_t sh[8];
    int nd = 0, k, S, T;
    float *in, *ts, *ref, *tg, *out = NULL;
    double mse = 0.0;
    if (!t_models_load(dir, &m)) return;
    memset(&g, 0, sizeof g);
    memset(&a, 0, sizeof a);
    snprintf(path, sizeof path, "%s/eval.safetensors", dir);
    CHECK(smx__st_open_path(&g.ts, path, &err) == SMX_OK, "%s", err.msg);
    in = cf_golden_f32(&g, "inputs", sh, &nd);
    ts = cf_golden_f32(&g, "timespans", NULL, NULL);
    ref = cf_golden_f32(&g, "outputs", NULL, NULL);
    tg = cf_golden_f32(&g, "targets", NULL, NULL);
    ev = t_models_eval_json(dir, &a);
    r = ev ? smx__jget(ev, "eval_safetensors_mse") : NULL;
    if (in && ts && ref && tg && nd == 3 && r && r->type == SMX__J_NUM && smx_session_new(m, NULL, &s, &err) == SMX_OK) {
        S = (int)sh[0];
        T = (int)sh[1];
        out = (float *)malloc(sizeof(float) * (size_t)S * T);
        for (k = 0; k < S; k++) {       /* each sequence from the zero state; output_size 1 */
            smx_session_reset(s);
            CHECK(smx_session_run(s, in + (size_t)k * T * sh[2], ts + (size_t)k * T, T, out + (size_t)k * T) == SMX_OK,
                  "%s: %s", dir, smx_session_error(s));
        }
        for (k = 0; k < S * T; k++) mse += ((double)out[k] - tg[k]) * ((double)out[k] - tg[k]);
        mse /= (double)S * T;
        CHECK(t_maxdiff(out, ref, (size_t)S * T) <= 1e-4, "%s: outputs differ from the reference by %.3g", dir,
              t_maxdiff(out, ref, (size_t)S * T));
        CHECK(fabs(mse - r->num) <= 0.01 * r->num, "%s: MSE %.6f, PyTorch %.6f", dir, mse, r->num);
    } else {
        CHECK(0, "%s: eval.safetensors / eval.json incomplete or no session", dir);
    }
    free(in); free(ts); free(ref); free(tg); free(out);
    smx_session_free(s);
    smx__st_close(&g.ts);
    smx__arena_free(&a);
    smx_model_free(m);
}

/* The same windows with the weights converted at load: bits per byte with q8_0 within 0.5% of
 * float32, with q4_0 and q4_k within 5% (the models' rows are 128 to 192 wide, so q4_k's 256-element
 * blocks fall back to q5_0 for most matrices, as llama-quantize does). */
static void t_models_types(const char *dir, const unsigned char *text, size_t n)
{
    static const char *const types[4] = { "f32", "q8_0", "q4_0", "q4_k" };
    static const double tol[4] = { 0.0, 0.005, 0.05, 0.05 };
    double bpb[4] = { 0, 0, 0, 0 };
    int k;
    if (n < (size_t)T_MODELS_WINDOWS * 256) return;
    for (k = 0; k < 4; k++) {
        smx_load_options o;
        smx_model *m = NULL;
        txt_eval_stats st;
        smx_error err;
        smx_load_default_options(&o);
        o.weights = types[k];
        if (smx_model_load_ex(dir, &o, &m, &err) != SMX_OK) { CHECK(0, "%s as %s: %s", dir, types[k], err.msg); return; }
        bpb[k] = txt_eval_bpb(m, text, (size_t)T_MODELS_WINDOWS * 256, 256, 1, &st, &err);
        smx_model_free(m);
        CHECK(bpb[k] > 0, "%s as %s: %s", dir, types[k], err.msg);
        if (k) CHECK(bpb[k] <= bpb[0] * (1.0 + tol[k]), "%s: bits per byte %.4f with %s, %.4f with f32 (more than %.1f%% worse)", dir,
                     bpb[k], types[k], bpb[0], 100 * tol[k]);
    }
    printf("bpb %-14s f32 %.4f  q8_0 %.4f (%+.2f%%)  q4_0 %.4f (%+.2f%%)  q4_k %.4f (%+.2f%%)\n", dir + 7, bpb[0], bpb[1],
           100 * (bpb[1] / bpb[0] - 1), bpb[2], 100 * (bpb[2] / bpb[0] - 1), bpb[3], 100 * (bpb[3] / bpb[0] - 1));
}

static void test_models(void)
{
    static const char *const lm[] = { "models/hybrid", "models/mamba", "models/xlstm", "models/lfm2" };
    size_t n = 0;
    unsigned char *text = txt_read_file("models/data/heldout.txt", &n);
    int i;
    if (!text) {
        SKIP("models/data/heldout.txt: not present (run the tests from the repository root)");
        return;
    }
    for (i = 0; i < (int)(sizeof lm / sizeof lm[0]); i++) {
        t_models_bpb(lm[i], text, n);
        t_models_types(lm[i], text, n);
    }
    t_models_llada("models/llada", text, n);
    t_models_cfc("models/cfc_oscillator");
    free(text);
}
