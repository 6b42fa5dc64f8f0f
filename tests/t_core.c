/* Core tests: JSON, loader error paths, kernels (SIMD vs scalar), sessions, state blobs,
 * sampling, generated models, and the golden cases. Included by tests/test.c. */

/* ---- helpers: temporary folders and files ---- */
static char t_tmp_root[256];

static const char *t_tmpdir(const char *name)
{
    static char path[512];
    if (!t_tmp_root[0] && !cli_mkdtemp("smx_test", t_tmp_root, sizeof t_tmp_root)) {
        t_tmp_root[0] = 0;
        perror("cannot make a temporary folder");
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s", t_tmp_root, name);
    cli_mkdir(path);
    return path;
}

/* Remove a folder tree made by the tests (files and folders one or two levels deep). */
static void t_rmtree(const char *path)
{
    cli_dir d;
    const char *name;
    if (cli_dir_open(&d, path) == 0) {
        while ((name = cli_dir_next(&d))) {
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", path, name);
            if (cli_is_dir(p)) t_rmtree(p);
            else remove(p);
        }
        cli_dir_close(&d);
    }
    cli_rmdir(path);
}

static void t_write(const char *dir, const char *file, const void *data, size_t n)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    fwrite(data, 1, n, f);
    fclose(f);
}

static void t_write_str(const char *dir, const char *file, const char *s) { t_write(dir, file, s, strlen(s)); }

/* A copy of src with the first occurrence of old replaced by new_ (malloc'd). */
static char *t_replace(const char *src, const char *old, const char *new_)
{
    const char *p = strstr(src, old);
    size_t a, n = strlen(src) + strlen(new_) + 1;
    char *r = (char *)malloc(n);
    if (!p) { memcpy(r, src, strlen(src) + 1); return r; }
    a = (size_t)(p - src);
    memcpy(r, src, a);
    strcpy(r + a, new_);
    strcat(r, p + strlen(old));
    return r;
}

static char *t_read(const char *path, size_t *n)
{
    char *buf = NULL;
    smx_error e;
    if (smx__read_file(path, (size_t)1 << 30, &buf, n, &e) != SMX_OK) return NULL;
    return buf;
}

/* A safetensors file from a raw header string and data bytes. */
static void t_write_st_raw(const char *dir, const char *hdr, const void *data, size_t n)
{
    char path[1024];
    uint64_t hl = strlen(hdr);
    unsigned char lb[8];
    int k;
    FILE *f;
    for (k = 0; k < 8; k++) lb[k] = (unsigned char)(hl >> (8 * k));
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    fwrite(lb, 1, 8, f);
    fwrite(hdr, 1, hl, f);
    if (n) fwrite(data, 1, n, f);
    fclose(f);
}

/* Load must fail with status want and a message containing needle; *out stays NULL. */
static void t_expect_load_error(const char *dir, smx_status want, const char *needle, const char *what)
{
    smx_model *m = (smx_model *)(void *)&m;   /* not NULL: the call must clear it */
    smx_error e;
    smx_status st = smx_model_load(dir, &m, &e);
    CHECK(st == want, "%s: status %s, want %s (%s)", what, smx_status_str(st), smx_status_str(want), e.msg);
    CHECK(m == NULL, "%s: *out must be NULL on failure", what);
    CHECK(!needle || strstr(e.msg, needle) != NULL, "%s: message '%s' should mention '%s'", what, e.msg, needle);
    if (st == SMX_OK) smx_model_free(m);
}

/* ---- JSON ---- */
static void test_json(void)
{
    static const char *valid[] = {
        "{}", "[]", "0", "-0.5e+10", "\"a\\u00e9\\ud83d\\ude00\\n\"", "{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false}",
        " \t\n[ 1 , 2 ]\r\n", "1E3", "\"\\/\\\\\\\"\"",
    };
    static const char *invalid[] = {
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "\"abc", "\"\\x\"", "\"a\x01\"", "[1 2]", "{\"a\" 1}",
        "{1:2}", "nul", "tru", "[]]", "NaN", "Infinity", "\"\\u12g4\"", "1e", "-",
    };
    size_t i;
    smx__arena a;
    smx__jv *v;
    smx_error e;
    memset(&a, 0, sizeof a);
    for (i = 0; i < sizeof valid / sizeof *valid; i++)
        CHECK(smx__json_parse(valid[i], strlen(valid[i]), &a, 0, "t", &v, &e) == SMX_OK, "valid JSON rejected: %s (%s)", valid[i], e.msg);
    for (i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        smx_status st = smx__json_parse(invalid[i], strlen(invalid[i]), &a, 0, "t", &v, &e);
        CHECK(st == SMX_E_JSON && strstr(e.msg, "at byte"), "invalid JSON accepted or unlocated: '%s' (%s)", invalid[i], e.msg);
    }
    {   /* decoding, lookup, Python's non-finite extension */
        const char *s = "{\"k\":\"a\\u00e9\\ud83d\\ude00\",\"n\":[1.5,NaN,-Infinity],\"f\":{\"__float__\":\"Infinity\"}}";
        double d;
        CHECK(smx__json_parse(s, strlen(s), &a, 1, "t", &v, &e) == SMX_OK, "non-finite extension: %s", e.msg);
        CHECK(!strcmp(smx__jget(v, "k")->str, "a\xc3\xa9\xf0\x9f\x98\x80"), "unicode escapes decode to UTF-8");
        CHECK(smx__jnum(smx__jat(smx__jget(v, "n"), 0), &d) && d == 1.5, "array element");
        CHECK(smx__jnum(smx__jat(smx__jget(v, "n"), 2), &d) && d < 0 && isinf(d), "-Infinity");
        CHECK(smx__jnum(smx__jget(v, "f"), &d) && isinf(d), "{__float__: Infinity}");
    }
    {   /* nesting depth is bounded, not a stack overflow */
        char deep[1001];
        memset(deep, '[', 1000);
        deep[1000] = 0;
        CHECK(smx__json_parse(deep, 1000, &a, 0, "t", &v, &e) == SMX_E_JSON && strstr(e.msg, "deep"), "deep nesting: %s", e.msg);
    }
    smx__arena_free(&a);
}

/* ---- loader error paths ---- */
static void test_loader_errors(void)
{
    const char *good = "tests/golden/llama";
    char path[1024], *cfg, *cfg2, *weights;
    size_t ncfg, nw;
    const char *d;
    snprintf(path, sizeof path, "%s/config.json", good);
    cfg = t_read(path, &ncfg);
    snprintf(path, sizeof path, "%s/model.safetensors", good);
    weights = t_read(path, &nw);
    if (!cfg || !weights) { SKIP("loader errors: tests/golden/llama missing"); free(cfg); free(weights); return; }

    d = t_tmpdir("no_config");
    t_expect_load_error(d, SMX_E_IO, "config.json", "missing config.json");

    d = t_tmpdir("no_weights");
    t_write(d, "config.json", cfg, ncfg);
    t_expect_load_error(d, SMX_E_IO, "model.safetensors", "missing weights");

    d = t_tmpdir("bad_json");
    t_write_str(d, "config.json", "{\"architectures\": [\"LlamaForCausalLM\"],, }");
    t_expect_load_error(d, SMX_E_JSON, "byte 39", "malformed config JSON");

    d = t_tmpdir("unknown_arch");
    t_write_str(d, "config.json", "{\"architectures\": [\"GPTNeoXForCausalLM\"], \"model_type\": \"gpt_neox\"}");
    t_expect_load_error(d, SMX_E_UNSUPPORTED, "LlamaForCausalLM", "unknown architecture lists the supported ones");

    d = t_tmpdir("bad_field");
    cfg2 = t_replace(cfg, "\"num_attention_heads\": 4", "\"num_attention_heads\": \"4\"");
    t_write_str(d, "config.json", cfg2);
    t_write(d, "model.safetensors", weights, nw);
    t_expect_load_error(d, SMX_E_FORMAT, "num_attention_heads", "config field of the wrong type");
    free(cfg2);

    d = t_tmpdir("gqa_mismatch");
    cfg2 = t_replace(cfg, "\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3");
    t_write_str(d, "config.json", cfg2);
    t_write(d, "model.safetensors", weights, nw);
    t_expect_load_error(d, SMX_E_RANGE, "key/value heads", "heads not divisible by kv heads");
    free(cfg2);

    d = t_tmpdir("shape");
    cfg2 = t_replace(cfg, "\"intermediate_size\": 160", "\"intermediate_size\": 128");
    t_write_str(d, "config.json", cfg2);
    t_write(d, "model.safetensors", weights, nw);
    t_expect_load_error(d, SMX_E_SHAPE, "[160, 64]", "shape disagrees with config (names found vs expected)");
    t_expect_load_error(d, SMX_E_SHAPE, "[128, 64]", "shape message has the expected shape");
    t_expect_load_error(d, SMX_E_SHAPE, "gate_proj", "shape message names the tensor");
    free(cfg2);

    d = t_tmpdir("bad_vocab");
    cfg2 = t_replace(cfg, "\"vocab_size\": 96", "\"vocab_size\": -96");
    t_write_str(d, "config.json", cfg2);
    t_write(d, "model.safetensors", weights, nw);
    t_expect_load_error(d, SMX_E_RANGE, "vocab_size", "negative size");
    free(cfg2);

    d = t_tmpdir("header_len");
    t_write(d, "config.json", cfg, ncfg);
    {
        unsigned char b[16] = { 0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}' };
        t_write(d, "model.safetensors", b, 10);
    }
    t_expect_load_error(d, SMX_E_FORMAT, "past the end", "header length beyond the file");

    d = t_tmpdir("header_not_json");
    t_write(d, "config.json", cfg, ncfg);
    t_write_st_raw(d, "{\"a\": [1, 2", "", 0);
    t_expect_load_error(d, SMX_E_JSON, "model.safetensors", "header not JSON");

    {
        float data[8] = { 0 };
        d = t_tmpdir("offsets_outside");
        t_write(d, "config.json", cfg, ncfg);
        t_write_st_raw(d, "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", data, 16);
        t_expect_load_error(d, SMX_E_FORMAT, "outside", "tensor offsets outside the data");

        d = t_tmpdir("overlap");
        t_write(d, "config.json", cfg, ncfg);
        t_write_st_raw(d, "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                          "\"y\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", data, 32);
        t_expect_load_error(d, SMX_E_FORMAT, "overlap", "overlapping tensors");

        d = t_tmpdir("size_mismatch");
        t_write(d, "config.json", cfg, ncfg);
        t_write_st_raw(d, "{\"x\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,16]}}", data, 16);
        t_expect_load_error(d, SMX_E_FORMAT, "need", "byte count disagrees with shape");

        d = t_tmpdir("unknown_dtype");
        t_write(d, "config.json", cfg, ncfg);
        t_write_st_raw(d, "{\"x\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", data, 16);
        t_expect_load_error(d, SMX_E_FORMAT, "Q4", "unknown dtype");
    }
    {   /* an I64 embedding: unsupported dtype, named */
        size_t n = 96 * 64 * 8;
        d = t_tmpdir("unsupported_dtype");
        t_write(d, "config.json", cfg, ncfg);
        char *z = (char *)calloc(1, n);
        t_write_st_raw(d, "{\"model.embed_tokens.weight\":{\"dtype\":\"I64\",\"shape\":[96,64],\"data_offsets\":[0,49152]}}", z, n);
        t_expect_load_error(d, SMX_E_UNSUPPORTED, "model.embed_tokens.weight", "unsupported dtype");
        free(z);
    }
    {   /* a tensor missing: named */
        float data[4] = { 0 };
        d = t_tmpdir("missing_tensor");
        t_write(d, "config.json", cfg, ncfg);
        t_write_st_raw(d, "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", data, 16);
        t_expect_load_error(d, SMX_E_MISSING, "model.embed_tokens.weight", "missing tensor");
    }
    {   /* sharded index naming a shard that does not hold the tensor */
        d = t_tmpdir("bad_index");
        t_write(d, "config.json", cfg, ncfg);
        t_write(d, "a.safetensors", weights, nw);
        t_write_str(d, "model.safetensors.index.json", "{\"weight_map\": {\"nope\": \"a.safetensors\"}}");
        t_expect_load_error(d, SMX_E_FORMAT, "nope", "index lists a tensor its shard lacks");
        t_write_str(d, "model.safetensors.index.json", "{\"weight_map\": {\"x\": \"../a.safetensors\"}}");
        t_expect_load_error(d, SMX_E_FORMAT, "not a file name", "index may not leave the folder");
    }
    free(cfg);
    free(weights);
}

/* Rewrite the golden Llama as BF16 / F16, sharded in two files, and check the logits. */
static void t_bf16_bytes(const float *x, size_t n, unsigned char *out, int f16)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t u;
        uint16_t h;
        memcpy(&u, &x[i], 4);
        if (!f16) {
            h = (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);   /* round to nearest even */
        } else {
            float a = fabsf(x[i]);
            uint32_t s = (u >> 16) & 0x8000;
            if (a < 6.1035e-05f) h = (uint16_t)(s | (uint32_t)(a / 5.9604645e-08f + 0.5f));
            else {
                uint32_t e = ((u >> 23) & 255) - 112, mnt = u & 0x7FFFFF;
                uint32_t r = (e << 10) | (mnt >> 13);
                if ((mnt & 0x1FFF) > 0x1000 || ((mnt & 0x1FFF) == 0x1000 && (r & 1))) r++;
                h = (uint16_t)(s | r);
            }
        }
        out[2 * i] = (unsigned char)(h & 255);
        out[2 * i + 1] = (unsigned char)(h >> 8);
    }
}

static void test_loader_dtypes_and_shards(void)
{
    smx_model *ref = NULL, *m = NULL;
    smx_error e;
    smx__tensors ts;
    int f16, i;
    if (smx_model_load("tests/golden/llama", &ref, &e)) { SKIP("dtype test: %s", e.msg); return; }
    memset(&ts, 0, sizeof ts);
    if (smx__st_open_path(&ts, "tests/golden/llama/model.safetensors", &e)) { CHECK(0, "%s", e.msg); smx_model_free(ref); return; }
    for (f16 = 0; f16 < 2; f16++) {
        const char *d = t_tmpdir(f16 ? "f16_sharded" : "bf16_sharded");
        char cfgp[1024], *cfg;
        size_t ncfg;
        int shard;
        snprintf(cfgp, sizeof cfgp, "tests/golden/llama/config.json");
        cfg = t_read(cfgp, &ncfg);
        t_write(d, "config.json", cfg, ncfg);
        free(cfg);
        {   /* two shards: even-indexed tensors in the first, odd in the second */
            char idx[16384];
            size_t o = (size_t)snprintf(idx, sizeof idx, "{\"metadata\": {}, \"weight_map\": {");
            for (shard = 0; shard < 2; shard++) {
                char hdr[8192], path[1024];
                size_t ho = 0, off = 0, total = 0;
                unsigned char *data;
                for (i = shard; i < ts.nent; i += 2) total += ts.ent[i].numel * 2;
                data = (unsigned char *)malloc(total + 1);
                ho += (size_t)snprintf(hdr + ho, sizeof hdr - ho, "{");
                for (i = shard; i < ts.nent; i += 2) {
                    smx__st_entry *en = &ts.ent[i];
                    float *tmp = (float *)malloc(en->numel * 4);
                    char shp[64];
                    smx__st_read_f32(&ts, en, tmp, NULL);
                    t_bf16_bytes(tmp, en->numel, data + off, f16);
                    free(tmp);
                    smx__fmt_shape(shp, sizeof shp, en->ndim, en->shape);
                    ho += (size_t)snprintf(hdr + ho, sizeof hdr - ho, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%lu,%lu]}",
                                           i > 1 ? "," : "", en->name, f16 ? "F16" : "BF16", shp, (unsigned long)off,
                                           (unsigned long)(off + en->numel * 2));
                    off += en->numel * 2;
                    o += (size_t)snprintf(idx + o, sizeof idx - o, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"",
                                          o > 32 ? ", " : "", en->name, shard + 1);
                }
                ho += (size_t)snprintf(hdr + ho, sizeof hdr - ho, "}");
                t_write_st_raw(d, hdr, data, off);
                snprintf(path, sizeof path, "%s/model.safetensors", d);
                {
                    char np[1024];
                    snprintf(np, sizeof np, "%s/model-0000%d-of-00002.safetensors", d, shard + 1);
                    rename(path, np);
                }
                free(data);
            }
            snprintf(idx + o, sizeof idx - o, "}}");
            t_write_str(d, "model.safetensors.index.json", idx);
        }
        {   /* the folder with a trailing separator ('\\' on Windows): shards are still found by name */
            char dsep[1100];
#ifdef _WIN32
            snprintf(dsep, sizeof dsep, "%s\\", d);
#else
            snprintf(dsep, sizeof dsep, "%s/", d);
#endif
            CHECK(smx_model_load(dsep, &m, &e) == SMX_OK, "sharded load from '%s': %s", dsep, e.msg);
            smx_model_free(m);
            m = NULL;
        }
        if (smx_model_load(d, &m, &e)) { CHECK(0, "%s sharded load: %s", f16 ? "F16" : "BF16", e.msg); continue; }
        {
            int32_t ids[12] = { 1, 5, 9, 33, 2, 7, 80, 95, 0, 12, 44, 3 };
            float a[96], b[96];
            smx_session *s1, *s2;
            smx_session_new(ref, NULL, &s1, &e);
            smx_session_new(m, NULL, &s2, &e);
            smx_session_prefill(s1, ids, 12, a, 0);
            smx_session_prefill(s2, ids, 12, b, 0);
            CHECK(t_maxdiff(a, b, 96) < (f16 ? 0.02 : 0.1), "%s sharded logits close to F32: %g", f16 ? "F16" : "BF16", t_maxdiff(a, b, 96));
            CHECK(t_maxdiff(a, b, 96) > 0, "%s weights were actually rounded", f16 ? "F16" : "BF16");
            smx_session_free(s1);
            smx_session_free(s2);
        }
        smx_model_free(m);
    }
    smx__st_close(&ts);
    smx_model_free(ref);
}

/* ---- kernels: SIMD paths against their scalar twins ---- */
static void test_kernels(void)
{
    static const int shapes[][3] = { { 1, 64, 96 }, { 1, 77, 13 }, { 5, 33, 7 }, { 37, 64, 160 }, { 9, 768, 67 }, { 4, 16, 4 },
                                     { 70, 512, 37 }, { 2, 256, 9 }, { 3, 1024, 5 } };
    size_t k;
    for (k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        int T = shapes[k][0], K = shapes[k][1], N = shapes[k][2];
        float *x = (float *)malloc(sizeof(float) * T * K), *W = (float *)malloc(sizeof(float) * N * K), *b = (float *)malloc(sizeof(float) * N);
        size_t ny = (size_t)SMX__MAX(T * N, K);
        float *y1 = (float *)malloc(sizeof(float) * ny), *y2 = (float *)malloc(sizeof(float) * ny);
        t_fill(x, (size_t)T * K, 1 + k, 1.0f);
        t_fill(W, (size_t)N * K, 100 + k, 1.0f);
        t_fill(b, (size_t)N, 200 + k, 1.0f);
        {   /* every weight type whose blocks fit K: float32 activations against the scalar reference on the
             * same (rounded) weights, and rounded activations against the scalar quantized dot */
            unsigned char *q = (unsigned char *)malloc((size_t)N * K * 4 + 64), *qa = (unsigned char *)malloc((size_t)T * K * 4 + 64);
            float *row = (float *)malloc(sizeof(float) * (size_t)K);
            smx__cx cq = cx2;
            int type, exact;
            cq.qa = qa;
            cq.qa_cap = (size_t)T * K * 4 + 64;
            for (type = 0; type < SMX__WT_Q8_K; type++) {
                const smx__wtype *ti = &smx__wtypes[type];
                smx__w w = smx__w_f32(W, N, K, "w");
                int n, t;
                if (K % ti->blk) continue;
                w.type = type; w.rb = smx__wt_row_bytes(type, K); w.data = q;
                for (n = 0; n < N; n++) smx__w_encode(type, W + (size_t)n * K, q + (size_t)n * w.rb, K);
                for (exact = 1; exact >= 0; exact--) {
                    w.exact = exact;
                    if (exact || smx__w_f32act(&w, T <= SMX__MV_ROWS)) {
                        smx__matmul_ref(y1, (size_t)N, x, (size_t)K, &w, b, T, row);
                    } else {   /* the scalar dot on each activation row rounded to the type's activation blocks */
                        unsigned char *a = (unsigned char *)malloc(smx__wt_row_bytes(ti->act, K));
                        for (t = 0; t < T; t++) {
                            smx__wtypes[ti->act].from_f32(x + (size_t)t * K, a, K);
                            for (n = 0; n < N; n++) y1[(size_t)t * N + n] = ti->dot(K, q + (size_t)n * w.rb, a) + b[n];
                        }
                        free(a);
                    }
                    smx__matmul(&cq, y2, (size_t)N, x, (size_t)K, &w, b, T);
                    CHECK(t_maxdiff(y1, y2, (size_t)T * N) < 1e-4 * sqrt((double)K), "matmul %s%s %dx%dx%d vs scalar: %g", ti->name,
                          exact ? " (float32 activations)" : "", T, K, N, t_maxdiff(y1, y2, (size_t)T * N));
                }
            }
            free(q); free(qa); free(row);
        }
        CHECK(fabs(smx__dot(x, W, K) - smx__dot_ref(x, W, K)) < 1e-4 * sqrt((double)K), "dot %d", K);
        smx__rmsnorm(y1, x, W, K, 1e-5f);
        smx__rmsnorm_ref(y2, x, W, K, 1e-5f);
        CHECK(t_maxdiff(y1, y2, (size_t)K) < 1e-5, "rmsnorm %d simd vs scalar", K);
        {   /* the other element-wise kernels against plain loops */
            float d4[4], mx = x[0], sum = 0.0f;
            int i, r;
            smx__dot4(x, W, (size_t)K, K, d4);
            for (r = 0; r < 4 && r < N; r++)
                CHECK(fabs(d4[r] - smx__dot_ref(x, W + (size_t)r * K, K)) < 1e-4 * sqrt((double)K), "dot4 %d row %d", K, r);
            memcpy(y1, x, sizeof(float) * K);
            smx__act_inplace(y1, (size_t)K, SMX__ACT_SILU);
            for (i = 0; i < K; i++) y2[i] = smx__silu(x[i]);
            CHECK(t_maxdiff(y1, y2, (size_t)K) < 1e-6, "silu %d", K);
            memcpy(y1, W, sizeof(float) * K);
            memcpy(y2, W, sizeof(float) * K);
            smx__act_mul(y1, x, (size_t)K, SMX__ACT_SIGMOID);
            for (i = 0; i < K; i++) y2[i] *= smx__sigmoid(x[i]);
            CHECK(t_maxdiff(y1, y2, (size_t)K) < 1e-6, "sigmoid gate %d", K);
            memcpy(y1, W, sizeof(float) * K);
            smx__axpy(y1, 0.5f, x, K);
            for (i = 0; i < K; i++) y2[i] = W[i] + 0.5f * x[i];
            CHECK(t_maxdiff(y1, y2, (size_t)K) < 1e-6, "axpy %d", K);
            for (i = 0; i < K; i++) { y1[i] = 8.0f * x[i]; if (y1[i] > mx) mx = y1[i]; }
            for (i = 0; i < K; i++) sum += (y2[i] = expf(y1[i] - mx));
            for (i = 0; i < K; i++) y2[i] /= sum;
            smx__softmax(y1, K);
            CHECK(t_maxdiff(y1, y2, (size_t)K) < 1e-6, "softmax %d", K);
        }
        free(x); free(W); free(b); free(y1); free(y2);
    }
    {   /* activation and special-function identities */
        CHECK(smx__softplus(30.0f) == 30.0f && fabsf(smx__softplus(0.0f) - 0.6931472f) < 1e-6f, "softplus threshold form");
        CHECK(fabsf(smx__logsigmoid(-50.0f) + 50.0f) < 1e-5f && fabsf(smx__logsigmoid(0.0f) + 0.6931472f) < 1e-6f, "logsigmoid stable");
        CHECK(fabsf(smx__gelu(1.0f) - 0.8413447f) < 1e-6f, "gelu erf");
        CHECK(fabsf(smx__gelu_tanh(1.0f) - 0.8411920f) < 1e-6f, "gelu tanh");
        CHECK(fabsf(smx__act(SMX__ACT_LECUN_TANH, 1.0f) - 1.7159f * tanhf(0.666f)) < 1e-7f, "lecun tanh uses 0.666");
    }
    {   /* rope: half-split pairing, position 0 is the identity, norms preserved */
        float v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, w[8], inv[2] = { 1.0f, 0.01f };
        memcpy(w, v, sizeof v);
        smx__rope(w, 4, 0, inv, 0);
        CHECK(t_maxdiff(v, w, 8) == 0, "rope at position 0");
        smx__rope(w, 4, 3, inv, 0);
        CHECK(fabsf(w[0] * w[0] + w[2] * w[2] - 10.0f) < 1e-5f && w[4] == 5.0f, "rope rotates pairs (j, j+rot/2), leaves the rest");
    }
}

/* ---- sessions: bad input leaves state and caller data intact; state blobs ---- */
static void test_sessions(void)
{
    smx_model *m = NULL, *other = NULL;
    smx_session *s = NULL, *s2 = NULL;
    smx_session_options o;
    smx_error e;
    int32_t ids[20];
    float a[96], b[96], sentinel[96];
    int i;
    unsigned char *blob;
    size_t n, w;
    if (smx_model_load("tests/golden/llama", &m, &e)) { SKIP("sessions: %s", e.msg); return; }
    memset(&o, 0, sizeof o);
    o.capacity = 24;
    CHECK(smx_session_new(m, &o, &s, &e) == SMX_OK, "session: %s", e.msg);
    for (i = 0; i < 20; i++) ids[i] = (i * 37 + 5) % 96;
    CHECK(smx_session_prefill(s, ids, 10, a, 0) == SMX_OK, "prefill");
    for (i = 0; i < 96; i++) sentinel[i] = b[i] = 12345.0f;
    ids[15] = 96;
    CHECK(smx_session_prefill(s, ids + 10, 10, b, 0) == SMX_E_RANGE && strstr(smx_session_error(s), "96"), "out-of-range id: %s",
          smx_session_error(s));
    ids[15] = -1;
    CHECK(smx_session_step(s, -1, b) == SMX_E_RANGE, "negative id");
    CHECK(smx_session_pos(s) == 10 && !memcmp(b, sentinel, sizeof b), "failed prefill leaves position and logits intact");
    ids[15] = 7;
    CHECK(smx_session_prefill(s, ids, 15, b, 0) == SMX_E_CAPACITY && strstr(smx_session_error(s), "capacity"), "overfull context: %s",
          smx_session_error(s));
    CHECK(smx_session_pos(s) == 10, "overfull prefill leaves the position");
    CHECK(smx_session_run(s, a, NULL, 1, b) == SMX_E_ARG, "token model refuses feature input");
    CHECK(smx_session_prefill(s, ids, 0, b, 0) == SMX_E_ARG, "empty prefill");
    /* save -> load into a fresh session -> continue gives identical logits */
    n = smx_session_state_size(s);
    blob = (unsigned char *)malloc(n);
    CHECK(smx_session_state_save(s, blob, n - 1, &w) == SMX_E_ARG, "save into a short buffer refuses");
    CHECK(smx_session_state_save(s, blob, n, &w) == SMX_OK && w == n, "save");
    for (i = 10; i < 16; i++) smx_session_step(s, ids[i], a);
    smx_session_new(m, &o, &s2, &e);
    CHECK(smx_session_logits(s2, b) == SMX_E_STATE, "a fresh session has no last logits");
    CHECK(smx_session_state_load(s2, blob, n) == SMX_OK, "load: %s", smx_session_error(s2));
    {   /* the blob carries the last position: a restored session samples at once */
        float la[96], lb[96];
        smx_session *s4 = NULL;
        smx_session_new(m, &o, &s4, &e);
        smx_session_prefill(s4, ids, 10, la, 0);
        CHECK(smx_session_logits(s2, lb) == SMX_OK && memcmp(la, lb, sizeof la) == 0, "restored session's logits: %s",
              smx_session_error(s2));
        smx_session_free(s4);
    }
    for (i = 10; i < 16; i++) smx_session_step(s2, ids[i], b);
    CHECK(memcmp(a, b, sizeof a) == 0, "state save/load/continue is bit-identical");
    /* corrupted, truncated, other model: clear errors, session untouched */
    smx_session_reset(s2);
    blob[SMX__BLOB_HEADER + 5] ^= 0x40;
    CHECK(smx_session_state_load(s2, blob, n) == SMX_E_STATE && strstr(smx_session_error(s2), "corrupt"), "corrupted blob: %s",
          smx_session_error(s2));
    blob[SMX__BLOB_HEADER + 5] ^= 0x40;
    CHECK(smx_session_state_load(s2, blob, n - 9) == SMX_E_STATE && strstr(smx_session_error(s2), "truncated"), "truncated blob: %s",
          smx_session_error(s2));
    CHECK(smx_session_state_load(s2, blob, 7) == SMX_E_STATE, "tiny blob");
    memcpy(blob, "XXXX", 4);
    CHECK(smx_session_state_load(s2, blob, n) == SMX_E_STATE && strstr(smx_session_error(s2), "magic"), "bad magic");
    memcpy(blob, "SMXS", 4);
    CHECK(smx_session_pos(s2) == 0, "failed loads leave the session as it was");
    if (smx_model_load("tests/golden/llada", &other, &e) == SMX_OK) {
        smx_session *s3;
        smx_session_new(other, NULL, &s3, &e);
        CHECK(smx_session_state_load(s3, blob, n) == SMX_E_STATE && strstr(smx_session_error(s3), "another model"),
              "blob from another model: %s", smx_session_error(s3));
        smx_session_free(s3);
        smx_model_free(other);
    }
    {   /* a blob bigger than the capacity of the receiving session */
        smx_session *s4;
        o.capacity = 5;
        smx_session_new(m, &o, &s4, &e);
        CHECK(smx_session_state_load(s4, blob, n) == SMX_E_CAPACITY, "blob over capacity");
        smx_session_free(s4);
    }
    /* rewind (attention only): re-running the same suffix gives the same logits */
    smx_session_reset(s);
    smx_session_prefill(s, ids, 12, a, 0);
    CHECK(smx_session_rewind(s, 8) == SMX_OK && smx_session_pos(s) == 8, "rewind");
    smx_session_prefill(s, ids + 8, 4, b, 0);
    CHECK(t_maxdiff(a, b, 96) < 1e-5, "rewind then re-prefill");
    CHECK(smx_session_rewind(s, 13) == SMX_E_RANGE, "rewind past the end");
    free(blob);
    smx_session_free(s);
    smx_session_free(s2);
    CHECK(smx_session_new(NULL, NULL, &s, &e) == SMX_E_ARG, "NULL model");
    smx_model_free(m);
}

static void test_sampling(void)
{
    float lg[50];
    void *work = malloc(smx_sample_work_bytes(50));
    smx_sampler p;
    smx_rng r1, r2;
    smx_error e;
    int32_t tok = -1, tb = -1;
    int i, counts[50] = { 0 }, same = 1;
    t_fill(lg, 50, 7, 3.0f);
    memset(&p, 0, sizeof p);
    CHECK(smx_sample(lg, 50, &p, NULL, NULL, &tok, &e) == SMX_OK && tok == smx_argmax(lg, 50), "temperature 0 is greedy");
    p.temperature = 1.0f;
    p.top_k = 1;
    smx_rng_seed(&r1, 1);
    CHECK(smx_sample(lg, 50, &p, &r1, work, &tok, &e) == SMX_OK && tok == smx_argmax(lg, 50), "top-k 1 is greedy");
    tok = 7;
    CHECK(smx_sample(lg, 50, &p, &r1, NULL, &tok, &e) == SMX_E_ARG && tok == 7 && strstr(e.msg, "work buffer"),
          "temperature without a work buffer is refused, not silently greedy: %s", e.msg);
    CHECK(smx_sample(lg, 0, &p, &r1, work, &tok, &e) == SMX_E_ARG, "no logits");
    p.top_k = 0;
    p.top_p = 1e-6f;
    CHECK(smx_sample(lg, 50, &p, &r1, work, &tok, &e) == SMX_OK && tok == smx_argmax(lg, 50), "tiny top-p is greedy");
    p.top_p = 1.0f;
    p.top_k = 5;
    smx_rng_seed(&r1, 42);
    smx_rng_seed(&r2, 42);
    for (i = 0; i < 2000; i++) {
        smx_sample(lg, 50, &p, &r1, work, &tok, &e);
        smx_sample(lg, 50, &p, &r2, work, &tb, &e);
        if (tok != tb) same = 0;
        counts[tok]++;
    }
    CHECK(same, "same seed, same draws");
    {
        int idx[50], k, inside = 0;
        for (k = 0; k < 50; k++) idx[k] = k;
        smx__sort_desc(idx, lg, 50);
        for (k = 0; k < 5; k++) inside += counts[idx[k]];
        CHECK(inside == 2000 && counts[idx[0]] > counts[idx[4]], "top-k 5 draws only the 5 best, more often the best");
    }
    free(work);
}

/* A generated model saves and reloads bit-identically, and its state blobs carry over. */
static void test_generated_model(void)
{
    const char *cfg = "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"vocab_size\":50,\"hidden_size\":32,"
                      "\"intermediate_size\":48,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":1,"
                      "\"rms_norm_eps\":1e-5,\"tie_word_embeddings\":false,\"max_position_embeddings\":64}";
    smx_model *m = NULL, *m2 = NULL;
    smx_session *s, *s2;
    smx_error e;
    float a[50], b[50];
    int32_t ids[6] = { 1, 2, 3, 4, 5, 6 };
    const char *d = t_tmpdir("generated");
    CHECK(smx_model_from_config(cfg, 7, &m, &e) == SMX_OK, "from_config: %s", e.msg);
    if (!m) return;
    CHECK(smx_model_save(m, d, &e) == SMX_OK, "save: %s", e.msg);
    CHECK(smx_model_load(d, &m2, &e) == SMX_OK, "reload: %s", e.msg);
    if (!m2) { smx_model_free(m); return; }
    smx_session_new(m, NULL, &s, &e);
    smx_session_new(m2, NULL, &s2, &e);
    smx_session_prefill(s, ids, 6, a, 0);
    smx_session_prefill(s2, ids, 6, b, 0);
    CHECK(memcmp(a, b, sizeof a) == 0, "saved and reloaded model gives bit-identical logits");
    CHECK(m->fp == m2->fp, "fingerprint survives save/load");
#if SMX__MMAP
    {   /* the saved file is aligned for mapping: every matrix whose bytes are a multiple of 64 is used in place */
        smx_weight_info wi[64];
        int nw = smx_model_weights(m2, wi, 64), i, inplace = 0, want = 0;
        for (i = 0; i < nw && i < 64; i++) {
            want += wi[i].bytes % 64 == 0;
            inplace += wi[i].in_place && wi[i].bytes % 64 == 0;
        }
        CHECK(nw > 0 && want > 0 && inplace == want, "a saved model maps in place: %d of %d matrices", inplace, want);
    }
#endif
    {
        smx_model *m3 = NULL;
        CHECK(smx_model_from_config("{\"model_type\": \"llama\", \"vocab_size\": 5}", 1, &m3, &e) == SMX_E_MISSING &&
                  strstr(e.msg, "hidden_size") && !m3, "missing required field named: %s", e.msg);
    }
    smx_session_free(s);
    smx_session_free(s2);
    smx_model_free(m);
    smx_model_free(m2);
}


/* Every layer type in one stack: the parallel/chunked forward equals the one-token recurrent step
 * for each layer (with random weights, chunks smaller than the sequence so tails are exercised),
 * and the stack saves and reloads bit-identically. */
static void test_builder(void)
{
    smx_builder *b;
    smx_model *m = NULL, *m2 = NULL;
    smx_session *s, *s2;
    smx_error e;
    smx_layer_cfg lc;
    enum { T = 45, V = 64 };
    int32_t ids[T];
    float *a = (float *)malloc(sizeof(float) * T * V), *c = (float *)malloc(sizeof(float) * T * V);
    int i, k;
    char letters[SMX_OP_COUNT * 2 + 1] = "";
    const char *d = t_tmpdir("built");
    for (i = 0; i < T; i++) ids[i] = (i * 37 + 11) % V;
    for (k = 0; k < SMX_OP_COUNT; k++)
        if (smx__layer_types[k].load) { size_t n = strlen(letters); letters[n] = smx__layer_types[k].letter; letters[n + 1] = ' '; letters[n + 2] = 0; }
    CHECK(smx_builder_new(V, 64, &b, &e) == SMX_OK, "builder: %s", e.msg);
    smx_builder_set_ffn(b, -1, NULL);
    smx_builder_set_tied(b, 0);
    memset(&lc, 0, sizeof lc);
    lc.heads = 4; lc.kv_heads = 2; lc.head_dim = 16; lc.state = 16; lc.chunk = 8; lc.experts = 4; lc.ff = 96;
    CHECK(smx_builder_pattern(b, letters, &lc) == SMX_OK, "pattern '%s' with every layer type", letters);
    CHECK(smx_builder_pattern(b, "A Q", NULL) == SMX_E_ARG, "unknown letter refused");
    CHECK(smx_builder_pattern(b, "(A F", NULL) == SMX_E_ARG && smx_builder_pattern(b, "A)x2", NULL) == SMX_E_ARG, "unbalanced groups refused");
    CHECK(smx_builder_build(b, 5, &m, &e) == SMX_OK, "build: %s", e.msg);
    if (!m) { smx_builder_free(b); free(a); free(c); return; }
    printf("builder: every layer type '%s' -> pattern %s\n", letters, m->pattern);
    CHECK((int)strlen(m->pattern) == (int)(strlen(letters) / 2), "one sub-layer per letter");
    smx_session_new(m, NULL, &s, &e);
    smx_session_prefill(s, ids, T, a, 1);
    smx_session_reset(s);
    for (i = 0; i < T; i++) smx_session_step(s, ids[i], c + (size_t)i * V);
    CHECK(t_maxdiff(a, c, (size_t)T * V) < 1e-3, "every layer: parallel/chunked form vs recurrent step %g", t_maxdiff(a, c, (size_t)T * V));
    for (k = 0; k < m->n_sub; k++) {   /* each layer alone, so a failure names its layer */
        smx_builder *b1;
        smx_model *m1 = NULL;
        smx_session *s1;
        char pat[2] = { m->pattern[k], 0 };
        smx_builder_new(V, 64, &b1, &e);
        smx_builder_set_ffn(b1, -1, NULL);
        smx_builder_pattern(b1, pat, &lc);
        if (smx_builder_build(b1, 9, &m1, &e)) { CHECK(0, "layer %s alone: %s", pat, e.msg); smx_builder_free(b1); continue; }
        smx_session_new(m1, NULL, &s1, &e);
        smx_session_prefill(s1, ids, T, a, 1);
        smx_session_reset(s1);
        smx_session_prefill(s1, ids, 17, c, 1);                 /* prefill a prefix ... */
        for (i = 17; i < T; i++) smx_session_step(s1, ids[i], c + (size_t)i * V);   /* ... step the rest */
        CHECK(t_maxdiff(a, c, (size_t)T * V) < 1e-3, "layer '%s' (%s): prefill vs prefill+step %g", pat, m1->sub[0].op->vt->name,
              t_maxdiff(a, c, (size_t)T * V));
        smx_session_free(s1);
        smx_model_free(m1);
        smx_builder_free(b1);
    }
    CHECK(smx_model_save(m, d, &e) == SMX_OK, "save: %s", e.msg);
    CHECK(smx_model_load(d, &m2, &e) == SMX_OK, "reload: %s", e.msg);
    if (m2) {
        size_t n;
        unsigned char *blob;
        smx_session_new(m2, NULL, &s2, &e);
        smx_session_prefill(s2, ids, T, c, 1);
        smx_session_reset(s);
        smx_session_prefill(s, ids, T, a, 1);
        CHECK(memcmp(a, c, sizeof(float) * T * V) == 0, "built stack saves and reloads bit-identically");
        n = smx_session_state_size(s);         /* a state blob moves between the two */
        blob = (unsigned char *)malloc(n);
        smx_session_state_save(s, blob, n, NULL);
        smx_session_reset(s2);
        CHECK(smx_session_state_load(s2, blob, n) == SMX_OK, "blob from the built model loads into the reloaded one");
        smx_session_step(s, 3, a);
        smx_session_step(s2, 3, c);
        CHECK(memcmp(a, c, sizeof(float) * V) == 0, "and continues identically");
        free(blob);
        smx_session_free(s2);
        smx_model_free(m2);
    }
    smx_session_free(s);
    smx_model_free(m);
    smx_builder_free(b);
    free(a); free(c);
}

/* Sliding-window attention: one attention layer without positional encoding and without a
 * feed-forward sees only the last W tokens, so the last logits equal those of the last W tokens
 * alone; without the window they differ. */
static void test_sliding_window(void)
{
    const char *fmt = "{\"model_type\":\"seqmix\",\"vocab_size\":40,\"hidden_size\":32,\"layers\":["
                      "{\"type\":\"attention\",\"num_heads\":4,\"num_kv_heads\":2,\"rope_theta\":0,\"sliding_window\":%d}]}";
    char cfg[512];
    int32_t ids[20];
    float a[40], b[40];
    int w, i;
    for (i = 0; i < 20; i++) ids[i] = (i * 7 + 3) % 40;
    for (w = 0; w <= 5; w += 5) {
        smx_model *m = NULL;
        smx_session *s;
        smx_error e;
        snprintf(cfg, sizeof cfg, fmt, w);
        if (smx_model_from_config(cfg, 11, &m, &e)) { CHECK(0, "window model: %s", e.msg); return; }
        smx_session_new(m, NULL, &s, &e);
        smx_session_prefill(s, ids, 20, a, 0);
        smx_session_reset(s);
        smx_session_prefill(s, ids + 15, 5, b, 0);
        if (w) CHECK(t_maxdiff(a, b, 40) < 1e-5, "window 5: last logits depend on the last 5 tokens only (%g)", t_maxdiff(a, b, 40));
        else CHECK(t_maxdiff(a, b, 40) > 1e-4, "no window: earlier tokens matter");
        smx_session_reset(s);                       /* and the step path applies the same window */
        for (i = 0; i < 20; i++) smx_session_step(s, ids[i], b);
        CHECK(t_maxdiff(a, b, 40) < 1e-5, "window %d: prefill vs steps %g", w, t_maxdiff(a, b, 40));
        smx_session_free(s);
        smx_model_free(m);
    }
}

/* smx_batch_step: three sessions with different prompts stepping together give the logits each
 * gets stepping alone (every stateful layer type and the stateless ones in one stack, plain and
 * with q8_0 weights), and the refusals leave every session as it was. */
static void test_batch_step(void)
{
    static const char *const types[2] = { "f32", "q8_0" };
    int ty;
    for (ty = 0; ty < 2; ty++) {
        smx_builder *b = NULL;
        smx_model *m = NULL;
        smx_session *a[3], *r[3];
        smx_session_options so;
        smx_error e;
        float *la, *lr;
        int V = 64, i, k, t;
        double worst = 0.0;
        const char *cfg;
        smx_load_options lo;
        memset(&so, 0, sizeof so);
        so.capacity = 48;
        so.n_threads = 2;
        CHECK(smx_builder_new(V, 64, &b, &e) == SMX_OK && smx_builder_set_ffn(b, SMX_OP_MLP, NULL) == SMX_OK &&
                  smx_builder_pattern(b, "A M 2 G X S C", NULL) == SMX_OK,
              "batch: builder: %s", e.msg);
        cfg = smx_builder_config(b);
        smx_load_default_options(&lo);
        lo.weights = types[ty];
        {   /* the same stack through the loader's weight conversion */
            smx_model *g = NULL;
            const char *d = t_tmpdir("batch_stack");
            CHECK(smx_model_from_config(cfg, 3, &g, &e) == SMX_OK && smx_model_save(g, d, &e) == SMX_OK &&
                      smx_model_load_ex(d, &lo, &m, &e) == SMX_OK, "batch: %s model: %s", types[ty], e.msg);
            smx_model_free(g);
        }
        smx_builder_free(b);
        if (!m) return;
        la = (float *)malloc(sizeof(float) * 3 * V);
        lr = (float *)malloc(sizeof(float) * 3 * V);
        for (i = 0; i < 3; i++) {
            int32_t p[5] = { 1 + i, 7, 3 + 2 * i, 9, 11 };
            smx_session_new(m, &so, &a[i], &e);
            smx_session_new(m, &so, &r[i], &e);
            smx_session_prefill(a[i], p, 3 + i, NULL, 0);
            smx_session_prefill(r[i], p, 3 + i, NULL, 0);
        }
        for (k = 0; k < 6; k++) {
            int32_t ids[3] = { (5 * k + 1) % V, (7 * k + 2) % V, (11 * k + 3) % V };
            CHECK(smx_batch_step(a, 3, ids, la, &e) == SMX_OK, "batch step %d: %s", k, e.msg);
            for (i = 0; i < 3; i++) smx_session_step(r[i], ids[i], lr + (size_t)i * V);
            for (t = 0; t < 3 * V; t++) worst = SMX__MAX(worst, fabs(la[t] - lr[t]));
        }
        CHECK(worst < 1e-3, "batch steps of %s weights equal single steps: %g", types[ty], worst);
        for (i = 0; i < 3; i++) CHECK(smx_session_pos(a[i]) == smx_session_pos(r[i]), "batch: session %d position", i);
        {   /* refusals change nothing */
            smx_session *dup[2];
            int32_t ids[3] = { 1, 2, 3 }, bad[3] = { 1, V, 3 };
            int p0 = smx_session_pos(a[0]);
            dup[0] = a[0]; dup[1] = a[0];
            CHECK(smx_batch_step(dup, 2, ids, la, &e) == SMX_E_ARG && strstr(e.msg, "same session"), "batch: a session twice: %s", e.msg);
            CHECK(smx_batch_step(a, 3, bad, la, &e) == SMX_E_RANGE && strstr(e.msg, "session 1"), "batch: bad id named: %s", e.msg);
            CHECK(smx_batch_step(a, 0, ids, la, &e) == SMX_E_ARG, "batch: n = 0");
            CHECK(smx_session_pos(a[0]) == p0, "batch: a refused call leaves the sessions as they were");
        }
        for (i = 0; i < 3; i++) { smx_session_free(a[i]); smx_session_free(r[i]); }
        free(la);
        free(lr);
        smx_model_free(m);
    }
}

/* ---- matrix products with weights: every kernel against the scalar reference, and the same bits
 * for 1, 2, 3 and 7 threads however the work is cut (float types: matrix-vector, dot tiles, packed
 * panels; quantized types: matrix-vector and the rounded activations' micro-GEMM) ---- */
static void test_matmul_split(void)
{
    static const int shapes[][3] = { { 1, 768, 200 }, { 2, 64, 96 }, { 3, 768, 200 }, { 5, 100, 37 }, { 16, 256, 300 },
                                     { 37, 64, 160 }, { 64, 128, 130 }, { 130, 77, 100 }, { 300, 64, 50 }, { 70, 256, 90 } };
    static const int types[] = { SMX__WT_F32, SMX__WT_F16, SMX__WT_BF16, SMX__WT_Q8_0, SMX__WT_Q4_K };
    smx__cx cx[4];
    size_t k;
    int c;
    cx[0] = cx1; cx[1] = cx2; cx[2] = cx3; cx[3] = cx7;
    for (k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        const int T = shapes[k][0], K = shapes[k][1], N = shapes[k][2];
        const size_t ny = (size_t)T * (N + 3), qcap = (size_t)T * smx__wt_row_bytes(SMX__WT_Q8_K, K > 256 ? K : 256) + 4096;
        float *x = (float *)malloc(sizeof(float) * T * K), *W = (float *)malloc(sizeof(float) * N * K), *b = (float *)malloc(sizeof(float) * N);
        float *ref = (float *)malloc(sizeof(float) * ny), *y1 = (float *)malloc(sizeof(float) * ny), *y2 = (float *)malloc(sizeof(float) * ny);
        float *row = (float *)malloc(sizeof(float) * K);
        unsigned char *h = (unsigned char *)malloc(sizeof(float) * (size_t)N * K);
        size_t ti;
        int kern, p;
        for (c = 0; c < 4; c++) { cx[c].qa = (unsigned char *)malloc(qcap); cx[c].qa_cap = qcap; }
        t_fill(x, (size_t)T * K, 900 + k, 1.0f);
        t_fill(W, (size_t)N * K, 910 + k, 1.0f);
        t_fill(b, (size_t)N, 920 + k, 1.0f);
        for (ti = 0; ti < sizeof types / sizeof *types; ti++) {
            const int type = types[ti], quant = type > SMX__WT_BF16;
            smx__w w = smx__w_f32(W, N, K, "w");
            if (K % smx__wtypes[type].blk) continue;
            if (type != SMX__WT_F32) {
                int r;
                w.rb = smx__wt_row_bytes(type, K);
                for (r = 0; r < N; r++) smx__wtypes[type].from_f32(W + (size_t)r * K, h + (size_t)r * w.rb, K);
                w.data = h; w.type = type;
            }
            memset(ref, 0, sizeof(float) * ny);   /* the 3 columns past N stay 0 */
            smx__matmul_ref(ref, (size_t)N + 3, x, (size_t)K, &w, b, T, row);
            for (kern = SMX__MM_MATVEC; kern <= SMX__MM_QUANT; kern++) {
                int bits = 1;
                if (quant ? kern == SMX__MM_DOTS || kern == SMX__MM_PACKED : kern == SMX__MM_QUANT) continue;
                if (kern == SMX__MM_PACKED && T < 4) continue;   /* not a shape it is used for */
                memset(y1, 0, sizeof(float) * ny);
                smx__matmul_as(&cx[0], y1, (size_t)N + 3, x, (size_t)K, &w, b, T, kern);
                /* rounded activations: within the type's rounding of x (about 1% of the sums) */
                CHECK(t_maxdiff(y1, ref, ny) < (quant ? 2e-2 * sqrt((double)K) : 1e-4 * sqrt((double)K)),
                      "matmul kernel %d %s %dx%dx%d against the reference: %g", kern, smx__wtypes[type].name, T, K, N, t_maxdiff(y1, ref, ny));
                for (p = 1; p < 4; p++) {
                    memset(y2, 0, sizeof(float) * ny);
                    smx__matmul_as(&cx[p], y2, (size_t)N + 3, x, (size_t)K, &w, b, T, kern);
                    bits &= !memcmp(y1, y2, sizeof(float) * ny);
                }
                CHECK(bits, "matmul kernel %d %s %dx%dx%d: 1, 2, 3 and 7 threads give the same bits", kern, smx__wtypes[type].name, T, K, N);
            }
        }
        for (c = 0; c < 4; c++) { free(cx[c].qa); cx[c].qa = NULL; cx[c].qa_cap = 0; }
        free(x); free(W); free(b); free(ref); free(y1); free(y2); free(row); free(h);
    }
}

/* ---- blocked attention against plain softmax attention ---- */
/* o[t, h] = softmax over the visible keys of scale q[t, h] . k_s, times v_s, in double. */
static void t_attn_naive(const smx__fa *a, float *o)
{
    const int r = a->nh / a->nkv;
    double *sc = (double *)malloc(sizeof(double) * (size_t)(a->pos + a->T + a->n_keys + 1));
    int t, h, s, c, start, end;
    for (t = 0; t < a->T; t++)
        for (h = 0; h < a->nh; h++) {
            const float *q = a->q + (size_t)t * a->ldq + (size_t)h * a->hd;
            double mx = -1e300, sum = 0.0;
            smx__fa_range(a, t, &start, &end);
            for (s = start; s < end; s++) {
                const float *k = a->k + (size_t)s * a->ldkv + (size_t)(h / r) * a->hd;
                double d = 0.0;
                for (c = 0; c < a->hd; c++) d += (double)q[c] * k[c];
                sc[s] = d * a->scale;
                if (sc[s] > mx) mx = sc[s];
            }
            for (s = start; s < end; s++) { sc[s] = exp(sc[s] - mx); sum += sc[s]; }
            for (c = 0; c < a->hd; c++) {
                double acc = 0.0;
                for (s = start; s < end; s++) acc += sc[s] * a->v[(size_t)s * a->ldkv + (size_t)(h / r) * a->hd + c];
                o[(size_t)t * a->ldo + (size_t)h * a->hd + c] = (float)(acc / sum);
            }
        }
    free(sc);
}

/* Shapes: queries not a multiple of the tiles, GQA ratios 1..8, windows, causal and bidirectional,
 * a prefill continuing after cached keys, head widths 64/80/128/256 and odd ones, and decode (the
 * row form and the blocked form). Every thread count gives the same bits. */
static void test_attention_kernel(void)
{
    static const int cases[][8] = {   /* T, nh, nkv, hd, causal, window, pos, extra keys (bidirectional) */
        { 37, 4, 2, 64, 1, 0, 0, 0 },     { 130, 8, 2, 128, 1, 50, 0, 0 },  { 100, 6, 3, 80, 1, 0, 70, 0 },
        { 65, 4, 4, 256, 0, 0, 0, 15 },   { 200, 2, 1, 64, 1, 17, 30, 0 },  { 90, 8, 1, 64, 0, 33, 5, 7 },
        { 1, 4, 4, 64, 1, 0, 150, 0 },    { 1, 8, 1, 64, 1, 0, 99, 0 },     { 1, 12, 4, 80, 1, 20, 300, 0 },
        { 2, 3, 1, 24, 1, 0, 5, 0 },      { 64, 16, 2, 36, 1, 0, 64, 0 },   { 300, 1, 1, 64, 1, 0, 0, 0 },
        { 3, 2, 2, 256, 0, 0, 0, 0 },     { 129, 2, 2, 64, 1, 64, 1, 0 },
    };
    size_t ci;
    for (ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int *c = cases[ci];
        const int T = c[0], nh = c[1], nkv = c[2], hd = c[3], n = c[6] + T + c[7];
        const size_t qd = (size_t)nh * hd, kvd = (size_t)nkv * hd;
        float *q = (float *)malloc(sizeof(float) * T * qd), *kv = (float *)malloc(sizeof(float) * n * 2 * kvd);
        float *o1 = (float *)malloc(sizeof(float) * T * qd), *o2 = (float *)malloc(sizeof(float) * T * qd);
        float *ref = (float *)malloc(sizeof(float) * T * qd), *w = (float *)malloc(sizeof(float) * 7 * smx__fa_work_floats(hd));
        smx__fa a;
        double err;
        int p, bits = 1;
        t_fill(q, (size_t)T * qd, 300 + ci, 2.0f + 4.0f * (float)(ci % 3));   /* up to peaked softmaxes */
        t_fill(kv, (size_t)n * 2 * kvd, 400 + ci, 2.0f);
        memset(&a, 0, sizeof a);
        a.q = q; a.k = kv; a.v = kv + kvd; a.o = o1; a.ldq = a.ldo = qd; a.ldkv = 2 * kvd;
        a.T = T; a.nh = nh; a.nkv = nkv; a.hd = hd; a.causal = c[4]; a.window = c[5]; a.pos = c[6]; a.n_keys = n;
        a.scale = 1.0f / sqrtf((float)hd);
        t_attn_naive(&a, ref);
        smx__attention(&cx1, &a, w);
        err = t_maxdiff(o1, ref, (size_t)T * qd);
        CHECK(err < 2e-5, "attention T %d heads %d/%d hd %d causal %d window %d pos %d: %g from plain softmax attention", T, nh, nkv,
              hd, c[4], c[5], c[6], err);
        for (p = 0; p < 3; p++) {
            const smx__cx *cx = p == 0 ? &cx2 : p == 1 ? &cx3 : &cx7;
            memset(o2, 0, sizeof(float) * T * qd);
            a.o = o2;
            smx__attention(cx, &a, w);
            bits &= !memcmp(o1, o2, sizeof(float) * T * qd);
        }
        CHECK(bits, "attention T %d heads %d/%d hd %d: 1, 2, 3 and 7 threads give the same bits", T, nh, nkv, hd);
        if (T > 8 && c[4]) {   /* a causal prefill in two pieces: the second continues after cached keys */
            int t1 = T / 3;
            a.o = o2; a.T = t1;
            smx__attention(&cx2, &a, w);
            a.q = q + (size_t)t1 * qd; a.o = o2 + (size_t)t1 * qd; a.T = T - t1; a.pos = c[6] + t1;
            smx__attention(&cx2, &a, w);
            CHECK(t_maxdiff(o1, o2, (size_t)T * qd) < 1e-6, "attention T %d: in two pieces %g", T, t_maxdiff(o1, o2, (size_t)T * qd));
        }
        free(q); free(kv); free(o1); free(o2); free(ref); free(w);
    }
}

/* Attention through sessions at lengths past the kernel's tiles: GQA and a sliding window, prefill
 * in one call, in uneven pieces (each continuing after cached keys), step by step, and after a
 * rewind; and the same bits for 1 and 3 threads. */
static void test_attention_session(void)
{
    const char *cfg = "{\"model_type\":\"seqmix\",\"vocab_size\":64,\"hidden_size\":64,\"layers\":["
                      "{\"type\":\"attention\",\"num_heads\":8,\"num_kv_heads\":2,\"head_dim\":16,\"sliding_window\":70},"
                      "{\"type\":\"mlp\",\"intermediate_size\":128},"
                      "{\"type\":\"attention\",\"num_heads\":4,\"num_kv_heads\":4,\"head_dim\":16}]}";
    enum { T = 200, V = 64 };
    smx_model *m = NULL;
    smx_session *s = NULL, *s3 = NULL;
    smx_session_options o;
    smx_error e;
    int32_t ids[T];
    float *a = (float *)malloc(sizeof(float) * T * V), *b = (float *)malloc(sizeof(float) * T * V);
    int i;
    for (i = 0; i < T; i++) ids[i] = (i * 29 + 7) % V;
    if (smx_model_from_config(cfg, 21, &m, &e)) { CHECK(0, "attention model: %s", e.msg); free(a); free(b); return; }
    memset(&o, 0, sizeof o);
    o.n_threads = 1;
    smx_session_new(m, &o, &s, &e);
    o.n_threads = 3;
    smx_session_new(m, &o, &s3, &e);
    smx_session_prefill(s, ids, T, a, 1);
    smx_session_prefill(s3, ids, T, b, 1);
    CHECK(memcmp(a, b, sizeof(float) * T * V) == 0, "attention model: 1 and 3 threads give the same bits");
    smx_session_reset(s3);
    smx_session_prefill(s3, ids, 1, b, 1);
    smx_session_prefill(s3, ids + 1, 70, b + (size_t)1 * V, 1);
    smx_session_prefill(s3, ids + 71, 2, b + (size_t)71 * V, 1);
    smx_session_prefill(s3, ids + 73, T - 73, b + (size_t)73 * V, 1);
    CHECK(t_maxdiff(a, b, (size_t)T * V) < 1e-5, "attention model: prefill in pieces %g", t_maxdiff(a, b, (size_t)T * V));
    smx_session_reset(s3);
    for (i = 0; i < T; i++) smx_session_step(s3, ids[i], b + (size_t)i * V);
    CHECK(t_maxdiff(a, b, (size_t)T * V) < 1e-4, "attention model: prefill vs steps %g", t_maxdiff(a, b, (size_t)T * V));
    CHECK(smx_session_rewind(s3, 100) == SMX_OK, "rewind");
    smx_session_prefill(s3, ids + 100, T - 100, b + (size_t)100 * V, 1);
    CHECK(t_maxdiff(a, b, (size_t)T * V) < 1e-4, "attention model: rewind and prefill again %g", t_maxdiff(a, b, (size_t)T * V));
    smx_session_free(s);
    smx_session_free(s3);
    smx_model_free(m);
    free(a); free(b);
}

static void test_core(void)
{
    test_json();
    test_loader_errors();
    test_loader_dtypes_and_shards();
    t_each_level(test_kernels);
    test_sessions();
    test_sampling();
    test_generated_model();
    test_builder();
    test_sliding_window();
    test_batch_step();
    t_each_level(test_attention_kernel);
    t_each_level(test_matmul_split);
    test_attention_session();
}

/* ---- golden cases: every folder of tests/golden goes through the code of `seqmix conform` ---- */
static int t_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_golden(void)
{
    cli_dir dir;
    const char *name;
    char *names[256], logpath[600];
    int n = 0, i, built = 0, skipped = 0;
    if (cli_dir_open(&dir, "tests/golden")) { CHECK(0, "tests/golden is missing (run from the repository root)"); return; }
    while ((name = cli_dir_next(&dir)) && n < 256) {
        char p[1024];
        FILE *f;
        snprintf(p, sizeof p, "tests/golden/%s/golden.safetensors", name);
        if (name[0] != '.' && (f = fopen(p, "rb"))) {
            fclose(f);
            if ((names[n] = (char *)malloc(strlen(name) + 1))) strcpy(names[n++], name);
        }
    }
    cli_dir_close(&dir);
    qsort(names, (size_t)n, sizeof *names, t_cmp_str);
    snprintf(logpath, sizeof logpath, "%s/log", t_tmpdir("golden"));   /* not tmpfile(): the root of C: on Windows */
    for (i = 0; i < n; i++) {
        char p[1024], line[1024], last[1024] = "";
        FILE *log = fopen(logpath, "w+b");
        int rc;
        double err = 0;
        if (!log) { CHECK(0, "cannot write %s", logpath); break; }
        snprintf(p, sizeof p, "tests/golden/%s", names[i]);
        rc = cf_conform(p, 1e-3, log, &err);
        rewind(log);
        if (rc == CF_NOT_BUILT) {
            skipped++;
            while (fgets(line, sizeof line, log)) strcpy(last, line);
            SKIP("golden %s: family not built yet", names[i]);
        } else {
            built++;
            CHECK(rc == CF_PASS, "golden case %s (rc %d)", names[i], rc);
            if (rc != CF_PASS)
                while (fgets(line, sizeof line, log)) printf("    %s", line);
            else
                printf("golden %-16s max_abs_err=%.3g\n", names[i], err);
        }
        fclose(log);
        free(names[i]);
    }
    printf("golden cases: %d checked, %d skipped (family not built)\n", built, skipped);
}
