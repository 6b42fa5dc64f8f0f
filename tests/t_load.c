/* Loading: from memory, read instead of mapped, weight types at load, hostile inputs (tests/bad/),
 * resource limits, and the platform layer (UTF-8 names, files past 4 GiB). */
#ifdef _WIN32
#include <io.h>
#include <winioctl.h>
#define T_LD_SEP '\\'
#if !defined(SMX_NO_MMAP)
#define T_LD_WIN_MAP 1
#endif
#else
#include <sys/types.h>
#define T_LD_SEP '/'
#endif
#ifndef T_LD_WIN_MAP
#define T_LD_WIN_MAP 0
#endif

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
    cli_dir d;
    const char *name;
    int n = 0;
    if (cli_dir_open(&d, "tests/bad")) { SKIP("no tests/bad"); return; }
    while ((name = cli_dir_next(&d)) != NULL) {
        char path[600], *text = NULL;
        size_t len;
        smx_model *m = NULL;
        smx_error e;
        smx_status st;
        if (!strstr(name, ".json")) continue;
        snprintf(path, sizeof path, "tests/bad/%s", name);
        if (smx__read_file(path, (size_t)1 << 20, &text, &len, &e) != SMX_OK) { CHECK(0, "%s: %s", path, e.msg); continue; }
        st = smx_model_from_config(text, 1, &m, &e);
        CHECK(st != SMX_OK && e.msg[0] && !m, "%s is refused (%s: %s)", name, smx_status_str(st), e.msg);
        smx_model_free(m);
        SMX_FREE(text);
        n++;
    }
    cli_dir_close(&d);
    CHECK(n >= 10, "hostile configs checked: %d", n);
    {   /* a folder whose config.json is a directory */
        char dir[512], sub[600];
        smx_model *m = NULL;
        smx_error e;
        snprintf(dir, sizeof dir, "%s", t_tmpdir("cfgdir"));
        snprintf(sub, sizeof sub, "%s/config.json", dir);
        cli_mkdir(sub);
        CHECK(smx_model_load(dir, &m, &e) == SMX_E_IO && strstr(e.msg, "regular file"), "config.json that is a directory: %s", e.msg);
    }
}

/* A sparse file of about 4 GiB: the safetensors header, then one F32 tensor w[4] past the first
 * 4 GiB of data (64-bit sizes and offsets, mapped and read). 0 where the file system or the
 * platform cannot make it. */
#define T_LD_BIG_OFF ((uint64_t)1 << 32)
static int t_ld_write_big(const char *path, const float *w)
{
    char hdr[256];
    unsigned char lb[8];
    size_t hl;
    int k, ok;
    FILE *f;
    snprintf(hdr, sizeof hdr, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[%llu,%llu]}}",
             (unsigned long long)T_LD_BIG_OFF, (unsigned long long)T_LD_BIG_OFF + 16);
    hl = strlen(hdr);
    while (hl % 8) hdr[hl++] = ' ';
    hdr[hl] = 0;
    for (k = 0; k < 8; k++) lb[k] = (unsigned char)((uint64_t)hl >> (8 * k));
    if (!(f = fopen(path, "wb"))) return 0;
#ifdef _WIN32
    {   /* NTFS would otherwise write the 4 GiB of zeros */
        DWORD got;
        DeviceIoControl((HANDLE)_get_osfhandle(_fileno(f)), FSCTL_SET_SPARSE, NULL, 0, NULL, 0, &got, NULL);
    }
#endif
    ok = fwrite(lb, 1, 8, f) == 8 && fwrite(hdr, 1, hl, f) == hl;
#ifdef _WIN32
    ok = ok && _fseeki64(f, (__int64)(8 + hl + T_LD_BIG_OFF), SEEK_SET) == 0;
#else
    ok = ok && sizeof(off_t) >= 8 && fseeko(f, (off_t)(8 + hl + T_LD_BIG_OFF), SEEK_SET) == 0;
#endif
    ok = ok && fwrite(w, sizeof(float), 4, f) == 4;
    return fclose(f) == 0 && ok;
}

/* What the platform layer does: a folder name in UTF-8, a file past 4 GiB, a folder given with a
 * trailing separator. */
static void test_load_platform(void)
{
    static const char *cfg = "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"vocab_size\": 40, "
                             "\"hidden_size\": 32, \"intermediate_size\": 64, \"num_hidden_layers\": 1, \"num_attention_heads\": 2}";
    smx_model *g = NULL, *m = NULL;
    smx_load_options o;
    smx_error e;
    char dir[700], path[800];
    float a[40], b[40];
    int copy;
    /* a folder named in UTF-8 ("modèle-ü"), written and read back by the library */
    snprintf(dir, sizeof dir, "%s/mod\xc3\xa8le-\xc3\xbc", t_tmpdir("utf8"));
    CHECK(smx_model_from_config(cfg, 5, &g, &e) == SMX_OK, "generated llama: %s", e.msg);
    CHECK(g && smx_model_save(g, dir, &e) == SMX_OK, "save into a UTF-8 folder name: %s", e.msg);
    CHECK(g && t_ld_logits(g, 7, a), "generated llama runs");
    for (copy = 0; g && copy < 2; copy++) {
        smx_load_default_options(&o);
        o.copy = copy;
        CHECK(smx_model_load_ex(dir, &o, &m, &e) == SMX_OK, "load from a UTF-8 folder name (%s): %s", copy ? "read" : "mapped", e.msg);
        if (m) CHECK(t_ld_logits(m, 7, b) && !memcmp(a, b, sizeof a), "UTF-8 folder (%s): identical logits", copy ? "read" : "mapped");
        smx_model_free(m);
        m = NULL;
    }
    /* the same folder with a trailing separator */
    snprintf(path, sizeof path, "%s%c", dir, T_LD_SEP);
    CHECK(smx_model_load(path, &m, &e) == SMX_OK, "load '%s': %s", path, e.msg);
    smx_model_free(m);
    m = NULL;
    smx_model_free(g);

    /* past 4 GiB (64-bit platforms) */
    if (sizeof(size_t) < 8) SKIP("files past 4 GiB: a 32-bit build");
    else {
        const float w[4] = { 1.5f, -2.25f, 3.0f, 1e-3f };
        snprintf(dir, sizeof dir, "%s", t_tmpdir("big"));
        snprintf(path, sizeof path, "%s/big.safetensors", dir);
        if (!t_ld_write_big(path, w)) SKIP("files past 4 GiB: cannot write a sparse file in %s", dir);
        else
            for (copy = 0; copy < 2; copy++) {
                smx__tensors ts;
                smx__src src;
                smx__st_entry *en;
                const void *p;
                float got[4] = { 0, 0, 0, 0 };
                memset(&ts, 0, sizeof ts);
                memset(&src, 0, sizeof src);
                src.dir = dir;
                src.copy = copy;
                src.max_text = (size_t)1 << 20;
                CHECK(smx__st_open_file(&ts, &src, "big.safetensors", &e) == SMX_OK && smx__st_index(&ts, &e) == SMX_OK,
                      "open a file of 4 GiB (%s): %s", copy ? "read" : "mapped", e.msg);
                en = smx__st_find(&ts, "w");
                CHECK(en && (uint64_t)ts.files[0].size > T_LD_BIG_OFF && (uint64_t)en->off > T_LD_BIG_OFF, "4 GiB file: size %llu",
                      (unsigned long long)(ts.nfiles ? ts.files[0].size : 0));
                CHECK(ts.nfiles && ts.files[0].kind == (copy || !(SMX__MMAP || T_LD_WIN_MAP) ? SMX__BLOB_FILE : SMX__BLOB_MAP),
                      "4 GiB file: %s", copy || !(SMX__MMAP || T_LD_WIN_MAP) ? "read on demand" : "mapped");
                if (en && (p = smx__st_bytes(&ts, en, &e)) != NULL) smx__st_convert(en->dtype, (const unsigned char *)p, 4, got);
                CHECK(!memcmp(got, w, sizeof w), "4 GiB file (%s): the tensor past 4 GiB reads back (%g %g %g %g)", copy ? "read" : "mapped",
                      got[0], got[1], got[2], got[3]);
                smx__st_close(&ts);
            }
        remove(path);
    }
}

static void test_load(void)
{
    test_load_sources();
    test_load_bad();
    test_load_platform();
}
