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

/* Each family's golden case with its weights converted at load to q8_0 and q4_k, against the same
 * case in f32: the largest logit difference as a share of the f32 logits' largest magnitude, and
 * how often the most likely token agrees. The golden cases are tiny random models whose rows are
 * often too short for Q4_K's 256-element blocks: those matrices take llama-quantize's fallbacks
 * (the line printed says how many). Random tiny models amplify any rounding of their weights (the
 * gated DeltaNet cases move by a third of their logit range with bf16 weights alone), so the check
 * is coarse: q8_0 keeps most top-1 choices and stays within half the logit range; q4_k is reported. */
static int t_ld_prefill(const char *dir, const char *type, const int32_t *ids, int T, float **out, int *V, int *fallbacks)
{
    smx_load_options o;
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_weight_info wi[512];
    smx_error e;
    int ok, i, nw;
    smx_load_default_options(&o);
    o.weights = type;
    if (smx_model_load_ex(dir, &o, &m, &e) != SMX_OK) { CHECK(0, "%s as %s: %s", dir, type, e.msg); return 0; }
    *V = smx_model_vocab(m);
    nw = smx_model_weights(m, wi, 512);
    *fallbacks = 0;
    for (i = 0; i < nw && i < 512; i++) *fallbacks += strcmp(wi[i].type, nw > 0 ? wi[0].type : "") != 0;
    memset(&so, 0, sizeof so);
    so.capacity = T + 1;
    so.n_threads = 1;
    *out = (float *)malloc(sizeof(float) * (size_t)T * *V);
    ok = *out && smx_session_new(m, &so, &s, &e) == SMX_OK && smx_session_prefill(s, ids, T, *out, 1) == SMX_OK;
    CHECK(ok, "%s as %s: prefill", dir, type);
    smx_session_free(s);
    smx_model_free(m);
    return ok;
}

static void test_load_quant_families(void)
{
    cli_dir d;
    const char *name;
    char *names[256];
    int n = 0, i;
    if (cli_dir_open(&d, "tests/golden")) { SKIP("no tests/golden"); return; }
    while ((name = cli_dir_next(&d)) != NULL && n < 256)
        if (name[0] != '.' && strncmp(name, "x_", 2) != 0 && (names[n] = strdup(name)) != NULL) n++;
    cli_dir_close(&d);
    qsort(names, (size_t)n, sizeof *names, t_cmp_str);
    for (i = 0; i < n; i++) {
        static const char *const types[2] = { "q8_0", "q4_k" };
        char dir[512], p[600];
        cf_golden g;
        smx_error e;
        float *ref = NULL, *q = NULL;
        int T = 0, V = 0, V2 = 0, fb = 0, k, t, j;
        int32_t *ids;
        double amax = 0.0, dmax[2] = { 0, 0 }, agree[2] = { 0, 0 };
        int fbs[2] = { 0, 0 };
        snprintf(dir, sizeof dir, "tests/golden/%s", names[i]);
        snprintf(p, sizeof p, "%s/golden.safetensors", dir);
        memset(&g, 0, sizeof g);
        if (smx__st_open_path(&g.ts, p, &e) != SMX_OK) { free(names[i]); continue; }
        ids = cf_golden_ids(&g, "input_ids", &T);
        if (!ids || !smx__st_find(&g.ts, "logits") || T <= 0) { free(ids); smx__st_close(&g.ts); free(names[i]); continue; }
        if (t_ld_prefill(dir, "f32", ids, T, &ref, &V, &fb)) {
            for (j = 0; j < T * V; j++) amax = SMX__MAX(amax, fabs(ref[j]));
            for (k = 0; k < 2; k++) {
                if (!t_ld_prefill(dir, types[k], ids, T, &q, &V2, &fbs[k]) || V2 != V) { free(q); q = NULL; continue; }
                for (t = 0; t < T; t++) {
                    agree[k] += smx_argmax(ref + (size_t)t * V, V) == smx_argmax(q + (size_t)t * V, V);
                    for (j = 0; j < V; j++) dmax[k] = SMX__MAX(dmax[k], fabs(ref[(size_t)t * V + j] - q[(size_t)t * V + j]));
                }
                agree[k] /= T;
                free(q);
                q = NULL;
            }
            printf("quant %-16s q8_0: max %.2f%% top-1 %.2f   q4_k: max %.2f%% top-1 %.2f (%d matrices in other types)\n", names[i],
                   100 * dmax[0] / (amax > 0 ? amax : 1), agree[0], 100 * dmax[1] / (amax > 0 ? amax : 1), agree[1], fbs[1]);
            CHECK(dmax[0] <= 0.5 * amax && agree[0] >= 0.75, "%s: q8_0 logits off by %.3g of %.3g, top-1 agreement %.2f", names[i],
                  dmax[0], amax, agree[0]);
        }
        free(ref);
        free(ids);
        smx__st_close(&g.ts);
        free(names[i]);
    }
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define T_LD_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define T_LD_SANITIZED 1
#endif

#if defined(__linux__) && !defined(T_LD_SANITIZED)
#include <sys/wait.h>

/* VmRSS and VmHWM of this process in KiB (Linux /proc). */
static void t_ld_rss(long *rss, long *hwm)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    *rss = *hwm = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6)) *rss = atol(line + 6);
        if (!strncmp(line, "VmHWM:", 6)) *hwm = atol(line + 6);
    }
    if (f) fclose(f);
}

/* A BF16 checkpoint of a generated model: its matrices 64-byte aligned (aligned = 1) or each
 * starting 2 bytes past the boundary, as a file written without alignment may be. */
static size_t t_ld_write_bf16(const smx_model *m, const char *dir, int aligned)
{
    char path[600];
    FILE *f;
    size_t cap = 256, len = 0, off = 0, total = 0, pad;
    char *hdr;
    unsigned char lb[8];
    int i, k;
    for (i = 0; i < m->n_gen; i++) cap += strlen(m->gen[i].name) + 128;
    hdr = (char *)malloc(cap);
    len += (size_t)snprintf(hdr + len, cap - len, "{");
    if (!aligned) {   /* a 2-byte tensor first puts every later one off the 64-byte grid */
        len += (size_t)snprintf(hdr + len, cap - len, "\"pad\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]},");
        off = 2;
    }
    for (i = 0; i < m->n_gen; i++) {
        size_t numel = 1;
        for (k = 0; k < m->gen[i].ndim; k++) numel *= (size_t)m->gen[i].shape[k];
        len += (size_t)snprintf(hdr + len, cap - len, "%s\"%s\":{\"dtype\":\"BF16\",\"shape\":[", i ? "," : "", m->gen[i].name);
        for (k = 0; k < m->gen[i].ndim; k++) len += (size_t)snprintf(hdr + len, cap - len, k ? ",%lld" : "%lld", (long long)m->gen[i].shape[k]);
        len += (size_t)snprintf(hdr + len, cap - len, "],\"data_offsets\":[%lu,%lu]}", (unsigned long)off, (unsigned long)(off + 2 * numel));
        off += 2 * numel;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    pad = (64 - (8 + len) % 64) % 64;
    while (pad--) hdr[len++] = ' ';
    for (k = 0; k < 8; k++) lb[k] = (unsigned char)((uint64_t)len >> (8 * k));
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    fwrite(lb, 1, 8, f);
    fwrite(hdr, 1, len, f);
    if (!aligned) fwrite("\0\0", 1, 2, f);
    for (i = 0; i < m->n_gen; i++) {
        size_t numel = 1, j;
        uint16_t *h;
        for (k = 0; k < m->gen[i].ndim; k++) numel *= (size_t)m->gen[i].shape[k];
        h = (uint16_t *)malloc(2 * numel);
        for (j = 0; j < numel; j++) h[j] = smx__wt_f2b(m->gen[i].data[j]);
        fwrite(h, 2, numel, f);
        free(h);
    }
    total = 8 + len + off;
    fclose(f);
    snprintf(path, sizeof path, "%s/config.json", dir);
    f = fopen(path, "wb");
    fputs(m->config_text, f);
    fclose(f);
    free(hdr);
    return total;
}

/* A BF16 folder runs in no more memory than its file plus 15% plus the session, at the peak too:
 * the weights stay BF16 (in place where aligned, one aligned copy where not, the mapped pages of a
 * copy handed back), with no float32 copy on the way. Measured in a child process, from its
 * resident size before the load to its peak after a prefill and a few steps. */
static void test_load_memory(void)
{
    static const char cfg[] = "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"vocab_size\":512,"
                              "\"hidden_size\":768,\"num_hidden_layers\":4,\"intermediate_size\":3072,\"num_attention_heads\":12,"
                              "\"rms_norm_eps\":1e-5,\"tie_word_embeddings\":false,\"max_position_embeddings\":256}";
    smx_model *m = NULL;
    smx_error e;
    int aligned;
    if (smx_model_from_config(cfg, 5, &m, &e) != SMX_OK) { CHECK(0, "memory test model: %s", e.msg); return; }
    for (aligned = 1; aligned >= 0; aligned--) {
        char dir[512];
        size_t file;
        pid_t pid;
        int status = 0;
        snprintf(dir, sizeof dir, "%s", t_tmpdir(aligned ? "bf16_aligned" : "bf16_unaligned"));
        file = t_ld_write_bf16(m, dir, aligned);
        fflush(stdout);
        pid = fork();
        if (pid == 0) {   /* child: exit status 0 = within the bound, else 1 + the overshoot in MiB */
            long rss0, hwm0, rss1, hwm1, extra;
            smx_model *mm = NULL;
            smx_session *s = NULL;
            smx_session_options so;
            int32_t ids[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
            float *lg = (float *)malloc(sizeof(float) * 512);
            size_t state;
            int k;
            t_ld_rss(&rss0, &hwm0);
            if (smx_model_load(dir, &mm, &e) != SMX_OK) _exit(120);
            memset(&so, 0, sizeof so);
            so.capacity = 64;
            so.n_threads = 1;
            if (smx_session_new(mm, &so, &s, &e) != SMX_OK || smx_session_prefill(s, ids, 16, lg, 0) != SMX_OK) _exit(121);
            for (k = 0; k < 4; k++) smx_session_step(s, smx_argmax(lg, 512), lg);
            state = smx_session_state_size(s);
            t_ld_rss(&rss1, &hwm1);
            /* the peak over the whole load and run, less what the process held before it */
            extra = hwm1 - rss0 - (long)((file + file * 15 / 100 + state) / 1024) - 16 * 1024;   /* 16 MiB: session buffers, stacks */
            printf("memory %s BF16 file %.1f MiB: peak %.1f MiB above the start, resident %.1f MiB\n", aligned ? "aligned" : "unaligned",
                   file / 1048576.0, (hwm1 - rss0) / 1024.0, (rss1 - rss0) / 1024.0);
            fflush(stdout);
            _exit(extra <= 0 ? 0 : (int)SMX__MIN(119, 1 + extra / 1024));
        }
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "BF16 %s folder: peak memory over file + 15%% + session (status %d)",
              aligned ? "aligned" : "unaligned", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    smx_model_free(m);
}
#else
static void test_load_memory(void) { SKIP("the memory test needs Linux's /proc and no sanitizer's shadow memory"); }
#endif

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
                if (en && (p = smx__st_bytes(&ts, en, &e)) != NULL) smx__st_convert(en, (const unsigned char *)p, 4, got);
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
    test_load_quant_families();
    test_load_memory();
    test_load_platform();
}
