/* Tests of the liquid family (included by tests/test.c): feature-sequence API (elapsed times,
 * chunking, sequence vs step, state blobs, bad input), LFM2 short conv, and the CfC cell as a
 * token-stack operator under a name prefix. The golden cases themselves run in test_golden. */

/* ---- helpers ---- */

static int t_lq_write(const char *dir, const char *name, const void *data, size_t n)
{
    char path[1024];
    FILE *f;
    int ok;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f) return 0;
    ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static int t_lq_copy(const char *src_dir, const char *dst_dir, const char *name)
{
    char path[1024], *buf = NULL;
    size_t n = 0;
    smx_error err;
    int ok;
    snprintf(path, sizeof path, "%s/%s", src_dir, name);
    if (smx__read_file(path, (size_t)1 << 30, &buf, &n, &err) != SMX_OK) return 0;
    ok = t_lq_write(dst_dir, name, buf, n);
    free(buf);
    return ok;
}

static void t_lq_rmdir(const char *dir)
{
    static const char *const names[] = { "config.json", "model.safetensors", "golden.safetensors" };
    char path[1024];
    int i;
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    cli_rmdir(dir);
}

/* golden inputs/timespans of a case (malloc'd); T and width out */
static int t_lq_inputs(const char *dir, float **in, float **ts, int *T, int *w)
{
    char path[1024];
    cf_golden g;
    smx_error err;
    int64_t sh[8];
    int nd = 0;
    memset(&g, 0, sizeof g);
    snprintf(path, sizeof path, "%s/golden.safetensors", dir);
    *in = NULL; *ts = NULL;
    if (smx__st_open_path(&g.ts, path, &err) != SMX_OK) { smx__st_close(&g.ts); return 0; }
    *in = cf_golden_f32(&g, "inputs", sh, &nd);
    *ts = cf_golden_f32(&g, "timespans", NULL, NULL);
    smx__st_close(&g.ts);
    if (!*in || !*ts || nd != 2) { free(*in); free(*ts); return 0; }
    *T = (int)sh[0]; *w = (int)sh[1];
    return 1;
}

/* ---- the feature-sequence API on one golden case ---- */
static void t_lq_features(const char *dir)
{
    smx_model *m = NULL;
    smx_session *s = NULL, *s2 = NULL;
    smx_session_options so;
    smx_model_info info;
    smx_error err;
    float *in = NULL, *ts = NULL, *o1 = NULL, *o2 = NULL, *ones = NULL, *st;
    unsigned char *blob = NULL, *blob2 = NULL;
    size_t bytes, n, n2;
    int T, w, t, half, units, has_c;
    if (!t_lq_inputs(dir, &in, &ts, &T, &w)) { SKIP("%s: no golden case", dir); return; }
    if (smx_model_load(dir, &m, &err) != SMX_OK) { CHECK(0, "%s: %s", dir, err.msg); free(in); free(ts); return; }
    smx_model_get_info(m, &info);
    CHECK(info.kind == SMX_KIND_FEATURES && info.input_size == w && (!strcmp(info.pattern, "L") || !strcmp(info.pattern, "T")),
          "%s: info kind %d in %d pattern %s",
          dir, (int)info.kind, info.input_size, info.pattern);
    units = smx_model_liquid_units(m, &has_c);
    CHECK(units == info.hidden_size && units > 0 && info.state_bytes == (size_t)units * (has_c ? 2 : 1) * sizeof(float),
          "%s: liquid units %d (c %d), state %lu bytes", dir, units, has_c, (unsigned long)info.state_bytes);
    o1 = (float *)malloc(sizeof(float) * (size_t)T * info.output_size);
    o2 = (float *)malloc(sizeof(float) * (size_t)T * info.output_size);
    ones = (float *)malloc(sizeof(float) * (size_t)T);
    for (t = 0; t < T; t++) ones[t] = 1.0f;
    if (smx_session_new(m, NULL, &s, &err) != SMX_OK || smx_session_new(m, NULL, &s2, &err) != SMX_OK) {
        CHECK(0, "%s: session: %s", dir, err.msg);
        goto done;
    }
    /* dt all 1.0 is exactly dt = NULL */
    CHECK(smx_session_run(s, in, NULL, T, o1) == SMX_OK, "%s: run", dir);
    smx_session_reset(s);
    CHECK(smx_session_run(s, in, ones, T, o2) == SMX_OK, "%s: run", dir);
    CHECK(t_maxdiff(o1, o2, (size_t)T * info.output_size) == 0.0, "%s: dt = 1 vs NULL differ by %g", dir,
          t_maxdiff(o1, o2, (size_t)T * info.output_size));
    /* irregular dt is used (the outputs move) */
    smx_session_reset(s);
    CHECK(smx_session_run(s, in, ts, T, o2) == SMX_OK, "%s: run", dir);
    CHECK(t_maxdiff(o1, o2, (size_t)T * info.output_size) > 1e-4, "%s: irregular dt has no effect", dir);
    /* chunked: small session batches and split calls give the whole-sequence result */
    smx_session_free(s2);
    s2 = NULL;
    memset(&so, 0, sizeof so);
    so.batch = 7;
    CHECK(smx_session_new(m, &so, &s2, &err) == SMX_OK, "%s: session batch 7", dir);
    if (!s2) goto done;
    half = T / 3;
    CHECK(smx_session_run(s2, in, ts, half, o1) == SMX_OK &&
          smx_session_run(s2, in + (size_t)half * w, ts + half, T - half, o1 + (size_t)half * info.output_size) == SMX_OK,
          "%s: split run", dir);
    CHECK(t_maxdiff(o1, o2, (size_t)T * info.output_size) <= 1e-6, "%s: chunked vs whole sequence %g", dir,
          t_maxdiff(o1, o2, (size_t)T * info.output_size));
    /* sequence vs step-by-step */
    smx_session_reset(s2);
    for (t = 0; t < T; t++) smx_session_run(s2, in + (size_t)t * w, ts + t, 1, o1 + (size_t)t * info.output_size);
    CHECK(t_maxdiff(o1, o2, (size_t)T * info.output_size) <= 1e-6, "%s: step vs sequence %g", dir,
          t_maxdiff(o1, o2, (size_t)T * info.output_size));
    /* state save -> load into another session -> continue */
    smx_session_reset(s);
    half = T / 2 + 1;
    smx_session_run(s, in, ts, half, NULL);
    n = smx_session_state_size(s);
    blob = (unsigned char *)malloc(n);
    blob2 = (unsigned char *)malloc(n);
    CHECK(blob && smx_session_state_save(s, blob, n, &n2) == SMX_OK && n2 == n, "%s: state save", dir);
    smx_session_reset(s2);
    CHECK(smx_session_state_load(s2, blob, n) == SMX_OK && smx_session_pos(s2) == half, "%s: state load: %s", dir,
          smx_session_error(s2));
    smx_session_run(s2, in + (size_t)half * w, ts + half, T - half, o1 + (size_t)half * info.output_size);
    CHECK(t_maxdiff(o1 + (size_t)half * info.output_size, o2 + (size_t)half * info.output_size,
                    (size_t)(T - half) * info.output_size) <= 1e-6,
          "%s: continue after state load differs by %g", dir,
          t_maxdiff(o1 + (size_t)half * info.output_size, o2 + (size_t)half * info.output_size,
                    (size_t)(T - half) * info.output_size));
    /* the state starts with h: writing it sets the initial state */
    st = smx_session_layer_state(s2, 0, &bytes);
    CHECK(st && bytes == info.state_bytes, "%s: layer state %lu bytes", dir, (unsigned long)bytes);
    /* bad input leaves everything as it was */
    smx_session_state_save(s, blob, n, NULL);
    {
        float bad[3];
        int pos = smx_session_pos(s);
        int32_t id = 1;
        bad[0] = 1.0f; bad[1] = 0.0f; bad[2] = 1.0f;
        CHECK(smx_session_run(s, in, bad, 3, o1) == SMX_E_RANGE, "%s: dt = 0 accepted", dir);
        bad[1] = -0.5f;
        CHECK(smx_session_run(s, in, bad, 3, o1) == SMX_E_RANGE, "%s: dt < 0 accepted", dir);
        bad[1] = (float)NAN;
        CHECK(smx_session_run(s, in, bad, 3, o1) == SMX_E_RANGE, "%s: dt NaN accepted", dir);
        CHECK(smx_session_run(s, in, NULL, 0, o1) == SMX_E_ARG && smx_session_run(s, NULL, NULL, 1, o1) == SMX_E_ARG,
              "%s: empty input accepted", dir);
        CHECK(smx_session_prefill(s, &id, 1, NULL, 0) == SMX_E_ARG, "%s: token ids accepted by a feature model", dir);
        CHECK(smx_session_pos(s) == pos && smx_session_state_save(s, blob2, n, NULL) == SMX_OK && memcmp(blob, blob2, n) == 0,
              "%s: a rejected call changed the state", dir);
    }
done:
    smx_session_free(s);
    smx_session_free(s2);
    smx_model_free(m);
    free(in); free(ts); free(o1); free(o2); free(ones); free(blob); free(blob2);
}

/* ---- loader errors: wrong input width, bad options; conform with mismatched golden ---- */
static void t_lq_bad_configs(void)
{
    /* against cfc_default's weights (input 5, units 16, backbone 2 x 24, proj 3); second: the
     * field or tensor the error must name */
#define T_LQ_CFC "{\"model_type\": \"cfc\", \"units\": 16, \"backbone_units\": 24, "
    static const char *const bad[][2] = {
        { T_LQ_CFC "\"input_size\": 6, \"proj_size\": 3, \"backbone_layers\": 2}", "backbone.0.weight" },
        { T_LQ_CFC "\"input_size\": 5, \"proj_size\": 3, \"backbone_layers\": 2, \"mode\": \"fast\"}", "mode" },
        { T_LQ_CFC "\"input_size\": 5, \"proj_size\": 3, \"backbone_layers\": 2, \"activation\": \"softsign\"}", "activation" },
        { T_LQ_CFC "\"input_size\": 5, \"proj_size\": 4, \"backbone_layers\": 2}", "fc.weight" },
        { T_LQ_CFC "\"input_size\": 5, \"proj_size\": 3, \"backbone_layers\": 3}", "backbone.4.weight" },
        { T_LQ_CFC "\"input_size\": 5, \"proj_size\": -2, \"backbone_layers\": 2}", "proj_size" },
    };
#undef T_LQ_CFC
    char tmp[512], *dir = cli_mkdtemp("smx_liquid", tmp, sizeof tmp);
    smx_model *m = NULL;
    smx_error err;
    size_t i;
    if (!dir || !t_lq_copy("tests/golden/cfc_default", dir, "model.safetensors")) {
        SKIP("liquid: no temp dir or cfc_default");
        return;
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        smx_status st;
        t_lq_write(dir, "config.json", bad[i][0], strlen(bad[i][0]));
        st = smx_model_load(dir, &m, &err);
        CHECK(st != SMX_OK && m == NULL && strstr(err.msg, bad[i][1]), "bad config %d: status %d, message '%s' should name %s",
              (int)i, (int)st, err.msg, bad[i][1]);
        smx_model_free(m);
        m = NULL;
    }
    {   /* wired: layer sizes that do not add up to units */
        const char *cfg = "{\"model_type\": \"wired_cfc\", \"input_size\": 5, \"units\": 21, \"layer_sizes\": [11, 6, 3]}";
        CHECK(t_lq_copy("tests/golden/cfc_wired", dir, "model.safetensors"), "copy cfc_wired");
        t_lq_write(dir, "config.json", cfg, strlen(cfg));
        CHECK(smx_model_load(dir, &m, &err) == SMX_E_RANGE && strstr(err.msg, "layer_sizes"), "wired sizes: %s", err.msg);
        smx_model_free(m);
        m = NULL;
    }
    {   /* a golden file whose inputs have the wrong width: the harness refuses it */
        float x[40 * 4], y[40 * 3];
        smx__st_out g[2];
        char path[1024];
        memset(g, 0, sizeof g);
        t_fill(x, 40 * 4, 1, 1.0f);
        t_fill(y, 40 * 3, 2, 1.0f);
        g[0].name = "inputs"; g[0].ndim = 2; g[0].shape[0] = 40; g[0].shape[1] = 4; g[0].data = x;
        g[1].name = "outputs"; g[1].ndim = 2; g[1].shape[0] = 40; g[1].shape[1] = 3; g[1].data = y;
        CHECK(t_lq_copy("tests/golden/cfc_default", dir, "model.safetensors") &&
              t_lq_copy("tests/golden/cfc_default", dir, "config.json"), "copy cfc_default");
        snprintf(path, sizeof path, "%s/golden.safetensors", dir);
        CHECK(smx__st_write(path, g, 2, &err) == SMX_OK, "write golden: %s", err.msg);
        CHECK(cf_conform(dir, 1e-4, NULL, NULL) == CF_ERROR, "conform accepted inputs of the wrong width");
    }
    t_lq_rmdir(dir);
}

/* ---- random-weight models from configs: loading, sequence vs step, options ---- */
static void t_lq_parity(const char *what, const char *cfg, int is_tokens)
{
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_model_info info;
    smx_error err;
    const int T = 23;
    float *in = NULL, *a = NULL, *b = NULL, dt[23];
    int32_t ids[23];
    int t, w;
    if (smx_model_from_config(cfg, 7, &m, &err) != SMX_OK) { CHECK(0, "%s: %s", what, err.msg); return; }
    smx_model_get_info(m, &info);
    memset(&so, 0, sizeof so);
    so.capacity = 64;
    if (smx_session_new(m, &so, &s, &err) != SMX_OK) { CHECK(0, "%s: %s", what, err.msg); smx_model_free(m); return; }
    w = is_tokens ? info.vocab_size : info.output_size;
    a = (float *)malloc(sizeof(float) * (size_t)T * w);
    b = (float *)malloc(sizeof(float) * (size_t)T * w);
    in = (float *)malloc(sizeof(float) * (size_t)T * (is_tokens ? 1 : info.input_size));
    for (t = 0; t < T; t++) {
        ids[t] = (int32_t)((t * 37 + 11) % (is_tokens ? info.vocab_size : 1));
        dt[t] = 0.3f + 0.1f * (float)(t % 9);
    }
    if (is_tokens) {
        CHECK(smx_session_prefill(s, ids, T, a, 1) == SMX_OK, "%s: prefill", what);
        smx_session_reset(s);
        smx_session_prefill(s, ids, 9, b, 1);
        for (t = 9; t < T; t++) smx_session_step(s, ids[t], b + (size_t)t * w);
    } else {
        t_fill(in, (size_t)T * info.input_size, 5, 1.5f);
        CHECK(smx_session_run(s, in, dt, T, a) == SMX_OK, "%s: run", what);
        smx_session_reset(s);
        for (t = 0; t < T; t++) smx_session_run(s, in + (size_t)t * info.input_size, dt + t, 1, b + (size_t)t * w);
    }
    CHECK(t_maxdiff(a, b, (size_t)T * w) <= 1e-4, "%s: sequence vs step differ by %g", what, t_maxdiff(a, b, (size_t)T * w));
    {
        double mx = 0.0;
        size_t i;
        for (i = 0; i < (size_t)T * w; i++) mx = fabs(a[i]) > mx ? fabs(a[i]) : mx;
        CHECK(mx == mx && mx < 1e6, "%s: outputs not finite (%g)", what, mx);
    }
    smx_session_free(s);
    smx_model_free(m);
    free(in); free(a); free(b);
}

/* ---- the CfC cell as a token-stack operator under a prefix ---- */
static void t_lq_cfc_prefix(void)
{
    /* one tensor set saved twice: as an ncps CfC (no prefix) and under "model.layers.0.cfc." */
    static const char *const nm[] = {
        "rnn_cell.backbone.0.weight", "rnn_cell.backbone.0.bias", "rnn_cell.ff1.weight", "rnn_cell.ff1.bias", "rnn_cell.ff2.weight",
        "rnn_cell.ff2.bias", "rnn_cell.time_a.weight", "rnn_cell.time_a.bias", "rnn_cell.time_b.weight", "rnn_cell.time_b.bias",
        "lstm.input_map.weight", "lstm.input_map.bias", "lstm.recurrent_map.weight"
    };
    const int d = 12, bbu = 20, T = 9;
    const char *cfg = "{\"model_type\": \"cfc\", \"input_size\": 12, \"units\": 12, \"backbone_units\": 20, \"backbone_layers\": 1,"
                      " \"mixed_memory\": true, \"activation\": \"silu\"}";
    int64_t shp[13][2];
    float *data[13], x[9 * 12], ya[9 * 12], yb[9 * 12];
    char names[13][96], tmp[512], tmp2[512], path[1024];
    char *dir = cli_mkdtemp("smx_liquid", tmp, sizeof tmp), *dir2 = cli_mkdtemp("smx_liquid", tmp2, sizeof tmp2);
    smx__st_out o[13];
    smx_model *ma = NULL, *mb = NULL;
    smx_session *s = NULL;
    smx_error err;
    int i;
    if (!dir || !dir2) { SKIP("liquid: no temp dir"); return; }
    shp[0][0] = bbu; shp[0][1] = 2 * d; shp[1][0] = bbu; shp[1][1] = 0;
    for (i = 2; i < 10; i += 2) { shp[i][0] = d; shp[i][1] = bbu; shp[i + 1][0] = d; shp[i + 1][1] = 0; }
    shp[10][0] = 4 * d; shp[10][1] = d; shp[11][0] = 4 * d; shp[11][1] = 0; shp[12][0] = 4 * d; shp[12][1] = d;
    memset(o, 0, sizeof o);
    for (i = 0; i < 13; i++) {
        size_t n = (size_t)shp[i][0] * (size_t)(shp[i][1] ? shp[i][1] : 1);
        data[i] = (float *)malloc(sizeof(float) * n);
        t_fill(data[i], n, 100 + (uint64_t)i, 0.4f);
        o[i].name = nm[i]; o[i].ndim = shp[i][1] ? 2 : 1; o[i].shape[0] = shp[i][0]; o[i].shape[1] = shp[i][1]; o[i].data = data[i];
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK(smx__st_write(path, o, 13, &err) == SMX_OK && t_lq_write(dir, "config.json", cfg, strlen(cfg)), "write cfc");
    CHECK(smx_model_load(dir, &ma, &err) == SMX_OK, "load cfc: %s", err.msg);
    for (i = 0; i < 13; i++) { snprintf(names[i], sizeof names[i], "model.layers.0.cfc.%s", nm[i]); o[i].name = names[i]; }
    snprintf(path, sizeof path, "%s/model.safetensors", dir2);
    CHECK(smx__st_write(path, o, 13, &err) == SMX_OK, "write prefixed");
    t_fill(x, (size_t)T * d, 77, 1.0f);
    if (ma && smx_session_new(ma, NULL, &s, &err) == SMX_OK) smx_session_run(s, x, NULL, T, ya);
    mb = (smx_model *)calloc(1, sizeof *mb);
    if (mb && ma) {
        smx__loader ld;
        smx__cfc_cfg c;
        smx__op *op;
        memset(&ld, 0, sizeof ld);
        ld.dir = dir2; ld.ts = &mb->ts; ld.m = mb; ld.e = &err; ld.fp = SMX__FNV_INIT;
        memset(&c, 0, sizeof c);
        c.in = d; c.mode = SMX__CFC_DEFAULT; c.act = SMX__ACT_SILU; c.bb_layers = 1; c.bb_units = bbu; c.mixed = 1;
        c.n_cells = 1; c.sizes[0] = d;
        {
            smx__src src;
            memset(&src, 0, sizeof src);
            src.dir = dir2;
            src.max_text = (size_t)1 << 26;
            CHECK(smx__st_open_dir(&mb->ts, &src, &err) == SMX_OK, "open: %s", err.msg);
        }
        op = smx__cfc_load(&ld, &c, "model.layers.0.cfc.");
        CHECK(op && ld.st == SMX_OK && op->d_in == d && op->d_out == d && op->vt->letter == 'L', "token-layer cfc: %s", err.msg);
        if (op && ld.st == SMX_OK) {
            /* two calls (T = 4, then 5 continuing from the state), unit time between tokens */
            size_t sb = op->vt->state_bytes(op, 0), sc = op->vt->scratch_floats(op, T, 1, 1);
            float *state = (float *)calloc(1, sb), *scratch = (float *)calloc(sc, sizeof(float));
            smx__fwd f;
            memset(&f, 0, sizeof f);
            f.T = 4; f.pos = 0; f.x = x; f.y = yb; f.dt = NULL; f.scratch = scratch; f.cx = &cx1;
            op->vt->forward(op, state, &f);
            f.T = T - 4; f.pos = 4; f.x = x + 4 * d; f.y = yb + 4 * d;
            op->vt->forward(op, state, &f);
            CHECK(t_maxdiff(ya, yb, (size_t)T * d) <= 1e-6, "token-layer cfc differs from the feature model by %g",
                  t_maxdiff(ya, yb, (size_t)T * d));
            free(state); free(scratch);
        }
    }
    smx_model_free(mb);
    smx_session_free(s);
    smx_model_free(ma);
    for (i = 0; i < 13; i++) free(data[i]);
    t_lq_rmdir(dir);
    t_lq_rmdir(dir2);
}

static void test_liquid(void)
{
    static const char *const cases[] = { "tests/golden/cfc_default", "tests/golden/cfc_pure", "tests/golden/cfc_nogate",
                                         "tests/golden/cfc_mixed", "tests/golden/cfc_wired", "tests/golden/ltc",
                                         "tests/golden/ltc_wired", "tests/golden/x_ltc_mixed", "tests/golden/x_cfc_ncp" };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!cli_is_dir(cases[i])) { SKIP("%s absent", cases[i]); continue; }
        t_lq_features(cases[i]);
    }
    t_lq_bad_configs();
    t_lq_cfc_prefix();
    /* other shapes and options with random weights */
    t_lq_parity("cfc no backbone, proj, mixed",
                "{\"model_type\": \"cfc\", \"input_size\": 3, \"units\": 9, \"proj_size\": 2, \"backbone_layers\": 0,"
                " \"mixed_memory\": true}", 0);
    t_lq_parity("cfc pure, 3 backbone layers with dropout",
                "{\"model_type\": \"cfc\", \"input_size\": 4, \"units\": 8, \"mode\": \"pure\", \"backbone_layers\": 3,"
                " \"backbone_units\": 10, \"backbone_dropout\": 0.2, \"activation\": \"relu\"}", 0);
    t_lq_parity("wired cfc, 4 layers, mixed, proj",
                "{\"model_type\": \"wired_cfc\", \"input_size\": 3, \"units\": 15, \"layer_sizes\": [5, 4, 4, 2], \"mode\": \"no_gate\","
                " \"mixed_memory\": true, \"proj_size\": 3}", 0);
    t_lq_parity("ltc linear, mixed, 2 unfolds",
                "{\"model_type\": \"ltc\", \"input_size\": 3, \"units\": 7, \"output_size\": 2, \"ode_unfolds\": 2,"
                " \"input_mapping\": \"linear\", \"output_mapping\": \"none\", \"mixed_memory\": true,"
                " \"implicit_param_constraints\": true}", 0);
    t_lq_parity("lfm2 conv_L_cache 1, conv bias",
                "{\"architectures\": [\"Lfm2ForCausalLM\"], \"vocab_size\": 50, \"hidden_size\": 32, \"intermediate_size\": 64,"
                " \"num_hidden_layers\": 3, \"num_attention_heads\": 4, \"num_key_value_heads\": 1, \"conv_L_cache\": 1,"
                " \"conv_bias\": true, \"layer_types\": [\"conv\", \"full_attention\", \"conv\"]}", 1);
    t_lq_parity("lfm2 conv_L_cache 5, full_attn_idxs, untied",
                "{\"architectures\": [\"Lfm2ForCausalLM\"], \"vocab_size\": 50, \"hidden_size\": 32, \"intermediate_size\": 96,"
                " \"num_hidden_layers\": 4, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"conv_L_cache\": 5,"
                " \"full_attn_idxs\": [1], \"tie_word_embeddings\": false, \"block_multiple_of\": 16}", 1);
    {   /* short conv and CfC as layers of a hybrid token stack */
        const char *cfg = "{\"model_type\": \"seqmix\", \"vocab_size\": 40, \"hidden_size\": 16, \"layers\": ["
                          "{\"type\": \"shortconv\", \"conv_kernel\": 4, \"bias\": true}, {\"type\": \"cfc\", \"backbone_units\": 24},"
                          " {\"type\": \"attention\", \"num_heads\": 2}, {\"type\": \"cfc\", \"backbone_layers\": 0, \"mixed_memory\": true,"
                          " \"mode\": \"no_gate\"}]}";
        smx_model *m = NULL;
        smx_error err;
        smx_status st = smx_model_from_config(cfg, 3, &m, &err);
        if (st == SMX_E_UNSUPPORTED && strstr(err.msg, "not")) SKIP("hybrid stacks: %s", err.msg);
        else {
            smx_model_info info;
            CHECK(st == SMX_OK, "hybrid C/L stack: %s", err.msg);
            if (m) {
                smx_model_get_info(m, &info);
                CHECK(!strcmp(info.pattern, "CLAL"), "hybrid pattern %s", info.pattern);
            }
            smx_model_free(m);
            if (st == SMX_OK) t_lq_parity("hybrid C L A L stack", cfg, 1);
        }
    }
    {   /* LFM2 layer plan and SwiGLU width */
        smx_model *m = NULL;
        smx_error err;
        smx_model_info info;
        const char *cfg = "{\"architectures\": [\"Lfm2ForCausalLM\"], \"vocab_size\": 50, \"hidden_size\": 32, \"intermediate_size\": 96,"
                          " \"num_hidden_layers\": 3, \"num_attention_heads\": 4, \"num_key_value_heads\": 2,"
                          " \"full_attn_idxs\": [2], \"block_ffn_dim_multiplier\": 1.5, \"block_multiple_of\": 16}";
        if (smx_model_from_config(cfg, 1, &m, &err) == SMX_OK) {
            smx_model_get_info(m, &info);
            CHECK(!strcmp(info.pattern, "CFCFAF"), "lfm2 pattern %s", info.pattern);
            /* I = int(2*96/3) = 64; int(1.5 * 64) = 96; rounded up to 16: 96 */
            CHECK(((const smx__mlp *)m->sub[1].op)->ff == 96, "lfm2 SwiGLU width %d", ((const smx__mlp *)m->sub[1].op)->ff);
            smx_model_free(m);
        } else {
            CHECK(0, "lfm2 plan: %s", err.msg);
        }
    }
}
