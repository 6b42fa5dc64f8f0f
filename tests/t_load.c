/* Loading: from memory, read instead of mapped, weight types at load, hostile inputs (tests/bad/),
 * resource limits. */

/* Logits of the last of n tokens (ids 1, 2, ...) for model m into out [V]; 0 on failure. */
static int t_ld_logits(const smx_model *m, int n, float *out)
{
    smx_session *s = NULL;
    smx_session_options o;
    smx_error e;
    int32_t ids[64];
    int i, ok;
    memset(&o, 0, sizeof o);
    o.n_threads = 1;
    for (i = 0; i < n; i++) ids[i] = (int32_t)(1 + i % 50);
    if (smx_session_new(m, &o, &s, &e) != SMX_OK) return 0;
    ok = smx_session_prefill(s, ids, n, out, 0) == SMX_OK;
    smx_session_free(s);
    return ok;
}

/* A whole file into a malloc'd buffer. */
static void *t_ld_slurp(const char *path, size_t *n)
{
    char *buf = NULL;
    smx_error e;
    if (smx__read_file(path, (size_t)1 << 30, &buf, n, &e) != SMX_OK) return NULL;
    return buf;
}

static void test_load_sources(void)
{
    const char *dir = "tests/golden/llama";
    smx_model *ref = NULL, *m = NULL;
    smx_load_options o;
    smx_model_info ri, mi;
    smx_error e;
    float a[512], b[512];
    int V;
    if (smx_model_load(dir, &ref, &e) != SMX_OK) { CHECK(0, "%s: %s", dir, e.msg); return; }
    V = smx_model_vocab(ref);
    if (V > 512) { SKIP("vocab %d too large for the test buffers", V); smx_model_free(ref); return; }
    smx_model_get_info(ref, &ri);
    CHECK(t_ld_logits(ref, 9, a), "reference logits");
    {   /* the same files from memory */
        smx_file f[2];
        size_t n0 = 0, n1 = 0;
        void *cfg = t_ld_slurp("tests/golden/llama/config.json", &n0), *w = t_ld_slurp("tests/golden/llama/model.safetensors", &n1);
        smx_load_default_options(&o);
        f[0].name = "config.json"; f[0].data = cfg; f[0].size = n0;
        f[1].name = "model.safetensors"; f[1].data = w; f[1].size = n1;
        o.files = f;
        o.n_files = 2;
        CHECK(cfg && w && smx_model_load_ex(NULL, &o, &m, &e) == SMX_OK, "load from memory: %s", e.msg);
        if (m) {
            CHECK(t_ld_logits(m, 9, b) && memcmp(a, b, sizeof(float) * (size_t)V) == 0, "memory load: identical logits");
            smx_model_free(m);
            m = NULL;
        }
        o.n_files = 1;   /* no weights */
        CHECK(smx_model_load_ex(NULL, &o, &m, &e) == SMX_E_IO && strstr(e.msg, "model.safetensors"), "memory load without weights: %s", e.msg);
        free(cfg); free(w);
    }
    {   /* read, not mapped */
        smx_load_default_options(&o);
        o.copy = 1;
        CHECK(smx_model_load_ex(dir, &o, &m, &e) == SMX_OK, "copy load: %s", e.msg);
        if (m) {
            CHECK(t_ld_logits(m, 9, b) && memcmp(a, b, sizeof(float) * (size_t)V) == 0, "copy load: identical logits");
            smx_model_free(m);
            m = NULL;
        }
    }
    {   /* weight types at load */
        static const char *types[] = { "f16", "bf16", "f32" };
        int k;
        for (k = 0; k < 3; k++) {
            double d = 0;
            int i;
            smx_load_default_options(&o);
            o.weights = types[k];
            if (smx_model_load_ex(dir, &o, &m, &e) != SMX_OK) { CHECK(0, "weights %s: %s", types[k], e.msg); continue; }
            smx_model_get_info(m, &mi);
            CHECK(t_ld_logits(m, 9, b), "weights %s: run", types[k]);
            for (i = 0; i < V; i++) d = SMX__MAX(d, fabs((double)a[i] - b[i]));
            CHECK(d < (k == 1 ? 5e-2 : 5e-3), "weights %s: logits within %g of as stored (%g)", types[k], k == 1 ? 5e-2 : 5e-3, d);
            CHECK(k == 2 || mi.weight_bytes < ri.weight_bytes, "weights %s: %lu bytes held (stored: %lu)", types[k],
                  (unsigned long)mi.weight_bytes, (unsigned long)ri.weight_bytes);
            smx_model_free(m);
            m = NULL;
        }
        smx_load_default_options(&o);
        o.weights = "q9";
        CHECK(smx_model_load_ex(dir, &o, &m, &e) == SMX_E_ARG && strstr(e.msg, "q9") && strstr(e.msg, "bf16"),
              "an unknown weight type is refused with the list: %s", e.msg);
    }
    smx_model_free(ref);
}

/* Every config in tests/bad/ is refused with a message (and no crash, no leak under ASan). */
static void test_load_bad(void)
{
    DIR *d = opendir("tests/bad");
    struct dirent *de;
    int n = 0;
    if (!d) { SKIP("no tests/bad"); return; }
    while ((de = readdir(d)) != NULL) {
        char path[600], *text = NULL;
        size_t len;
        smx_model *m = NULL;
        smx_error e;
        smx_status st;
        if (!strstr(de->d_name, ".json")) continue;
        snprintf(path, sizeof path, "tests/bad/%s", de->d_name);
        if (smx__read_file(path, (size_t)1 << 20, &text, &len, &e) != SMX_OK) { CHECK(0, "%s: %s", path, e.msg); continue; }
        st = smx_model_from_config(text, 1, &m, &e);
        CHECK(st != SMX_OK && e.msg[0] && !m, "%s is refused (%s: %s)", de->d_name, smx_status_str(st), e.msg);
        smx_model_free(m);
        SMX_FREE(text);
        n++;
    }
    closedir(d);
    CHECK(n >= 10, "hostile configs checked: %d", n);
    {   /* a folder whose config.json is a directory */
        char dir[512], sub[600];
        smx_model *m = NULL;
        smx_error e;
        snprintf(dir, sizeof dir, "%s", t_tmpdir("cfgdir"));
        snprintf(sub, sizeof sub, "%s/config.json", dir);
        mkdir(sub, 0700);
        CHECK(smx_model_load(dir, &m, &e) == SMX_E_IO && strstr(e.msg, "regular file"), "config.json that is a directory: %s", e.msg);
    }
}

static void test_load(void)
{
    test_load_sources();
    test_load_bad();
}
