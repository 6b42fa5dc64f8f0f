/* GGUF tests: llama.cpp's own files and logits (tests/golden/gguf, see its README), the files
 * `seqmix convert` writes (tensor for tensor against llama.cpp's), and broken files. Included by
 * tests/test.c. */

/* Copy file src to dst; 1 on success. */
static int t_copy_file(const char *src, const char *dst)
{
    FILE *a = fopen(src, "rb"), *b = a ? fopen(dst, "wb") : NULL;
    char buf[65536];
    size_t n;
    int ok = a && b;
    while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0) ok = fwrite(buf, 1, n, b) == n;
    if (a) fclose(a);
    if (b && fclose(b) != 0) ok = 0;
    return ok;
}

/* Every case folder of tests/golden/gguf through `seqmix conform`'s GGUF checks (tools/conform_gguf.c:
 * each model-<type>.gguf against llama.cpp's logits, step by step, greedy; vocabulary cases'
 * input.txt), the lines shown when a case fails; and a file checked against another model's
 * golden data must fail. */
static void t_gg_conform(void)
{
    cli_dir d;
    const char *nm;
    char dir[512], bad[600], src[600], dst[700];
    int n = 0;
    if (cli_dir_open(&d, "tests/golden/gguf")) { CHECK(0, "tests/golden/gguf is missing"); return; }
    while ((nm = cli_dir_next(&d)) != NULL) {
        double worst = 0.0;
        int rc;
        snprintf(dir, sizeof dir, "tests/golden/gguf/%s", nm);
        if (!cli_is_dir(dir) || !cf_is_gguf_case(dir)) continue;
        rc = cf_conform_gguf(dir, nm, NULL, NULL, &worst);
        snprintf(bad, sizeof bad, "%s/hf", dir);
        if (rc == CF_ERROR && cli_is_dir(bad)) continue;   /* a checkpoint alone: t_gg_convert checks it */
        n++;
        if (rc != CF_PASS) cf_conform_gguf(dir, nm, NULL, stdout, &worst);
        CHECK(rc == CF_PASS, "seqmix conform %s: %s", dir, rc == CF_FAIL ? "FAIL (lines above)" : "could not check");
    }
    cli_dir_close(&d);
    CHECK(n >= 6, "tests/golden/gguf: %d case folders with files to check", n);
    /* mamba's F16 file against llama_gqa's golden data */
    snprintf(bad, sizeof bad, "%s", t_tmpdir("gguf_conform_bad"));
    snprintf(src, sizeof src, "tests/golden/gguf/mamba/model-f16.gguf");
    snprintf(dst, sizeof dst, "%s/model-f16.gguf", bad);
    CHECK(t_copy_file(src, dst), "copy %s", src);
    snprintf(src, sizeof src, "tests/golden/gguf/llama_gqa/golden-f16.safetensors");
    snprintf(dst, sizeof dst, "%s/golden-f16.safetensors", bad);
    CHECK(t_copy_file(src, dst), "copy %s", src);
    CHECK(cf_conform_gguf(bad, "bad", NULL, NULL, NULL) == CF_FAIL, "a GGUF file against another model's logits must fail");
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


/* ---- seqmix convert against llama.cpp's files ---- */

static uint64_t t_gg_fnv(const unsigned char *p, size_t n)
{
    uint64_t h = 0xCBF29CE484222325ull;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

/* The file at path holds what manifest-<type>.json says llama.cpp's file holds: the same tensors
 * (name, type, ne, bytes) and every metadata key outside tokenizer.* / general.name / description
 * with the same type and value. */
static void t_gg_manifest(const char *cs, const char *type, const char *path)
{
    char mpath[512], *text = NULL, *gbuf = NULL;
    size_t n = 0, gn = 0;
    smx__arena ar;
    const smx__jv *root, *kvs, *ts, *e;
    smx__gguf g;
    smx_error err;
    int bad = 0, nt = 0;
    memset(&ar, 0, sizeof ar);
    memset(&g, 0, sizeof g);
    snprintf(mpath, sizeof mpath, "tests/golden/gguf/%s/manifest-%s.json", cs, type);
    if (smx__read_file(mpath, 1 << 22, &text, &n, &err) != SMX_OK || smx__json_parse(text, n, &ar, 0, mpath, (smx__jv **)&root, &err) != SMX_OK ||
        smx__read_file(path, (size_t)1 << 30, &gbuf, &gn, &err) != SMX_OK || smx__gguf_open(&g, gbuf, gn, path, &err) != SMX_OK) {
        CHECK(0, "%s %s: manifest or converted file: %s", cs, type, err.msg);
        goto done;
    }
    kvs = smx__jget(root, "kv");
    ts = smx__jget(root, "tensors");
    for (e = ts ? ts->child : NULL; e; e = e->next, nt++) {
        const smx__gguf_tensor *t = smx__gguf_tensor_find(&g, smx__jget(e, "name")->str);
        const smx__jv *ne = smx__jget(e, "ne");
        char want[17], got[17];
        int k, same;
        if (!t) { CHECK(0, "%s %s: tensor '%s' missing", cs, type, smx__jget(e, "name")->str); bad++; continue; }
        same = (double)t->type == smx__jget(e, "type")->num;
        for (k = 0; k < 4; k++) same &= (double)t->dims[k] == smx__jat(ne, k)->num;
        snprintf(want, sizeof want, "%s", smx__jget(e, "fnv")->str);
        snprintf(got, sizeof got, "%016llx", (unsigned long long)t_gg_fnv(t->data, t->nbytes));
        same &= !strcmp(want, got);
        if (!same) { CHECK(0, "%s %s: tensor '%s' differs from llama.cpp's (type %u, ne %llu x %llu)", cs, type, t->name, t->type,
                           (unsigned long long)t->dims[0], (unsigned long long)t->dims[1]); bad++; }
    }
    CHECK(nt == (int)g.n_tensors, "%s %s: %d tensors, llama.cpp's file has %d", cs, type, (int)g.n_tensors, nt);
    for (e = kvs ? kvs->child : NULL; e; e = e->next) {
        long i = smx__gguf_find(&g, e->key);
        const smx__gguf_kv *kv;
        const smx__jv *val = smx__jget(e, "value");
        int same;
        if (!strncmp(e->key, "tokenizer.", 10) || !strcmp(e->key, "general.name") || !strcmp(e->key, "general.description")) continue;
        if (i < 0) { CHECK(0, "%s %s: metadata key '%s' missing", cs, type, e->key); bad++; continue; }
        kv = &g.kv[i];
        same = (double)kv->type == smx__jget(e, "type")->num;
        if (same && kv->type == SMX__GGUF_STRING) same = val && kv->n == strlen(val->str) && !memcmp(kv->data, val->str, (size_t)kv->n);
        else if (same && kv->type == SMX__GGUF_ARRAY) {
            char fnv[17];
            snprintf(fnv, sizeof fnv, "%016llx", (unsigned long long)t_gg_fnv(kv->data, kv->nbytes));
            same = (double)kv->arr_type == smx__jget(e, "elem")->num && (double)kv->n == smx__jget(e, "n")->num && !strcmp(fnv, smx__jget(e, "fnv")->str);
        } else if (same) {
            double v = smx__gguf_arr_f64(kv->type, kv->data, 0);
            same = val && (val->type == SMX__J_NUM ? v == val->num : v == (val->type == SMX__J_TRUE));
        }
        if (!same) { CHECK(0, "%s %s: metadata key '%s' differs from llama.cpp's", cs, type, e->key); bad++; }
    }
    CHECK(bad == 0, "%s %s: the converted file is llama.cpp's (%d differences)", cs, type, bad);
done:
    smx__gguf_close(&g);
    SMX_FREE(text);
    SMX_FREE(gbuf);
    smx__arena_free(&ar);
}

/* The folder's logits and those of the converted F32 file agree. */
static void t_gg_same_logits(const char *what, const char *a, const char *b, double tol)
{
    smx_model *ma = NULL, *mb = NULL;
    smx_session *sa = NULL, *sb = NULL;
    smx_error e;
    int32_t ids[24];
    float *la = NULL, *lb = NULL;
    int i, V;
    if (smx_model_load(a, &ma, &e) != SMX_OK || smx_model_load(b, &mb, &e) != SMX_OK) { CHECK(0, "%s: load: %s", what, e.msg); goto done; }
    V = smx_model_vocab(ma);
    for (i = 0; i < 24; i++) ids[i] = (int32_t)((i * 37 + 11) % V);
    la = (float *)malloc(sizeof(float) * 24 * (size_t)V);
    lb = (float *)malloc(sizeof(float) * 24 * (size_t)V);
    if (!la || !lb || smx_model_vocab(mb) != V || smx_session_new(ma, NULL, &sa, &e) || smx_session_new(mb, NULL, &sb, &e) ||
        smx_session_prefill(sa, ids, 24, la, 1) || smx_session_prefill(sb, ids, 24, lb, 1)) {
        CHECK(0, "%s: run", what);
        goto done;
    }
    CHECK(t_maxdiff(la, lb, 24 * (size_t)V) <= tol, "%s: the converted file's logits differ from the folder's by %.3g (<= %.g)", what,
          t_maxdiff(la, lb, 24 * (size_t)V), tol);
done:
    smx_session_free(sa); smx_session_free(sb);
    smx_model_free(ma); smx_model_free(mb);
    free(la); free(lb);
}

/* ---- tokenizer.json written as the GGUF vocabulary (seqmix convert) ---- */

/* write n bytes to dir/name; 0 on failure */
static int t_gg_put(const char *dir, const char *name, const char *s, size_t n)
{
    char path[1024];
    FILE *f;
    int ok;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "wb"))) return 0;
    ok = fwrite(s, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* a generated Llama folder of n_vocab embedding rows with the tokenizer files (text, or copied
 * from the golden case folder src) beside it */
static int t_gg_tok_folder(const char *dir, int n_vocab, const char *src, const char *tok_json)
{
    static const char *const files[] = {"tokenizer.json", "tokenizer_config.json"};
    char cfg[600];
    smx_model *m = NULL;
    smx_error e;
    int ok, k;
    snprintf(cfg, sizeof cfg, "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":16,\"intermediate_size\":32,"
             "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"num_key_value_heads\":2,\"head_dim\":8,\"vocab_size\":%d,"
             "\"rms_norm_eps\":1e-5,\"tie_word_embeddings\":true,\"max_position_embeddings\":64}", n_vocab);
    if (smx_model_from_config(cfg, 5, &m, &e) != SMX_OK) { CHECK(0, "tok folder: %s", e.msg); return 0; }
    ok = smx_model_save(m, dir, &e) == SMX_OK;
    CHECK(ok, "tok folder save: %s", e.msg);
    smx_model_free(m);
    if (tok_json) return ok && t_gg_put(dir, "tokenizer.json", tok_json, strlen(tok_json));
    for (k = 0; k < 2 && ok; k++) {
        char path[1024];
        size_t n;
        char *s;
        snprintf(path, sizeof path, "%s/%s", src, files[k]);
        if (!(s = t_tok_read(path, &n))) continue;
        ok = t_gg_put(dir, files[k], s, n);
        free(s);
    }
    return ok;
}

/* a string key of a GGUF file's metadata into out ("" when absent) */
static void t_gg_key_str(const smx__gguf *g, const char *key, char *out, size_t cap)
{
    long i = smx__gguf_find(g, key);
    out[0] = 0;
    if (i >= 0 && g->kv[i].type == SMX__GGUF_STRING) snprintf(out, cap, "%.*s", (int)g->kv[i].n, (const char *)g->kv[i].data);
}

static void t_gg_convert_tok(void)
{
    static const struct { const char *cs, *model, *pre; int n_vocab, bos, eos, add_bos; } c[] = {
        {"hf-llama3", "gpt2", "llama-bpe", 128256, 128000, 128001, -1},
        {"hf-mistral", "llama", "default", 32000, 1, 2, 1},
    };
    char tmp[512], dir[600], out[600], src[600], path[700], s[64], note[400];
    size_t k;
    smx_error e;
    snprintf(tmp, sizeof tmp, "%s", t_tmpdir("gguf_tok"));
    for (k = 0; k < sizeof c / sizeof c[0]; k++) {
        char *buf = NULL, *texts_s = NULL;
        size_t n, tn;
        smx__gguf g;
        smx__arena a;
        smx__jv *texts;
        const smx__jv *tx;
        smx_tokenizer *th = NULL, *tg = NULL;
        long i;
        int same = 0, count = 0;
        memset(&a, 0, sizeof a);
        snprintf(src, sizeof src, "tests/golden/tok/%s", c[k].cs);
        snprintf(dir, sizeof dir, "%s/%s", tmp, c[k].cs);
        snprintf(out, sizeof out, "%s/%s.gguf", tmp, c[k].cs);
        cli_mkdir(dir);
        if (!t_gg_tok_folder(dir, c[k].n_vocab, src, NULL)) continue;
        if (smx__gguf_convert_hf(dir, out, "f16", note, sizeof note, &e) != SMX_OK) { CHECK(0, "convert %s: %s", c[k].cs, e.msg); continue; }
        CHECK(!note[0], "%s: a vocabulary is written (note: %s)", c[k].cs, note);
        if (!(buf = t_tok_read(out, &n)) || smx__gguf_open_ex(&g, buf, n, "t", 1, &e) != SMX_OK) { CHECK(0, "%s: read back", c[k].cs); free(buf); continue; }
        t_gg_key_str(&g, "tokenizer.ggml.model", s, sizeof s);
        CHECK(!strcmp(s, c[k].model), "%s: tokenizer.ggml.model '%s'", c[k].cs, s);
        t_gg_key_str(&g, "tokenizer.ggml.pre", s, sizeof s);
        CHECK(!strcmp(s, c[k].pre), "%s: tokenizer.ggml.pre '%s'", c[k].cs, s);
        i = smx__gguf_find(&g, "tokenizer.ggml.tokens");
        CHECK(i >= 0 && g.kv[i].type == SMX__GGUF_ARRAY && g.kv[i].n == (uint64_t)c[k].n_vocab, "%s: %d tokens", c[k].cs, c[k].n_vocab);
        CHECK((smx__gguf_find(&g, "tokenizer.ggml.merges") >= 0) == !strcmp(c[k].model, "gpt2"), "%s: merges only for gpt2", c[k].cs);
        CHECK((smx__gguf_find(&g, "tokenizer.ggml.scores") >= 0) == !strcmp(c[k].model, "llama"), "%s: scores only for llama", c[k].cs);
        i = smx__gguf_find(&g, "tokenizer.ggml.bos_token_id");
        CHECK(i >= 0 && smx__le(g.kv[i].data, 4) == (uint64_t)c[k].bos, "%s: bos id", c[k].cs);
        i = smx__gguf_find(&g, "tokenizer.ggml.eos_token_id");
        CHECK(i >= 0 && smx__le(g.kv[i].data, 4) == (uint64_t)c[k].eos, "%s: eos id", c[k].cs);
        i = smx__gguf_find(&g, "tokenizer.ggml.add_bos_token");
        CHECK(c[k].add_bos < 0 ? i < 0 : i >= 0 && g.kv[i].data[0] == c[k].add_bos, "%s: add_bos_token", c[k].cs);
        smx__gguf_close(&g);
        free(buf);
        /* the GGUF vocabulary tokenizes every text of the case as the tokenizer.json does */
        if (smx_tokenizer_load(out, &tg, &e) != SMX_OK) { CHECK(0, "%s: GGUF tokenizer: %s", c[k].cs, e.msg); continue; }
        if (smx_tokenizer_load(src, &th, &e) != SMX_OK) { CHECK(0, "%s: tokenizer.json: %s", c[k].cs, e.msg); smx_tokenizer_free(tg); continue; }
        snprintf(path, sizeof path, "%s/texts.json", src);
        if ((texts_s = t_tok_read(path, &tn)) && smx__json_parse(texts_s, tn, &a, 0, "texts.json", &texts, &e) == SMX_OK) {
            for (tx = smx__jget(texts, "texts") ? smx__jget(texts, "texts")->child : NULL; tx; tx = tx->next) {
                const smx__jv *t = smx__jget(tx, "text");
                size_t na, nb, nc;
                smx_status sa, sb, sc;
                int32_t *ia = t_tok_encode(th, t->str, t->slen, SMX_TOK_PARSE_SPECIAL, &na, &sa);
                int32_t *ib = t_tok_encode(tg, t->str, t->slen, SMX_TOK_PARSE_SPECIAL, &nb, &sb);
                int32_t *ic = t_tok_encode(tg, t->str, t->slen, SMX_TOK_PARSE_SPECIAL | SMX_TOK_ADD_SPECIAL, &nc, &sc);
                int ok = sa == SMX_OK && sb == SMX_OK && t_tok_same_ids(ia, na, ib, (long)nb);
                /* add_special: <s> first (Mistral's template); Llama-3's llama-bpe adds BOS by llama.cpp's default */
                ok = ok && sc == SMX_OK && nc == nb + 1 && ic[0] == c[k].bos && !memcmp(ic + 1, ib, nb * sizeof *ib);
                CHECK(ok, "%s/%s: the GGUF tokenizer's ids differ from the tokenizer.json's", c[k].cs, smx__jget(tx, "id")->str);
                same += ok;
                count++;
                free(ia); free(ib); free(ic);
            }
        }
        CHECK(count == 75, "%s: %d texts", c[k].cs, count);
        printf("gguf tok %s: %d/%d texts the same from the written GGUF\n", c[k].cs, same, count);
        free(texts_s);
        smx__arena_free(&a);
        smx_tokenizer_free(th);
        smx_tokenizer_free(tg);
    }
    {   /* the pre type is found by the pre-tokenizer's splits */
        static const struct { const char *pre, *want; } pc[] = {
            {"{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true}", "gpt-2"},
            {"{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"},"
             "\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":false}]}", "qwen2"},
            {"{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Digits\",\"individual_digits\":true},{\"type\":\"ByteLevel\",\"add_prefix_space\":false}]}", "starcoder"},
        };
        for (k = 0; k < sizeof pc / sizeof pc[0]; k++) {
            char json[1200], *buf;
            size_t n;
            smx__gguf g;
            snprintf(json, sizeof json, "{\"pre_tokenizer\":%s,\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[\"a b\"]}}", pc[k].pre);
            snprintf(dir, sizeof dir, "%s/pre%d", tmp, (int)k);
            snprintf(out, sizeof out, "%s/pre%d.gguf", tmp, (int)k);
            cli_mkdir(dir);
            if (!t_gg_tok_folder(dir, 32, NULL, json)) continue;
            if (smx__gguf_convert_hf(dir, out, "f32", note, sizeof note, &e) != SMX_OK) { CHECK(0, "convert pre%d: %s", (int)k, e.msg); continue; }
            CHECK(!note[0], "pre%d: a vocabulary is written (note: %s)", (int)k, note);
            if (!(buf = t_tok_read(out, &n)) || smx__gguf_open_ex(&g, buf, n, "t", 1, &e) != SMX_OK) { CHECK(0, "pre%d: read back", (int)k); free(buf); continue; }
            t_gg_key_str(&g, "tokenizer.ggml.pre", s, sizeof s);
            CHECK(!strcmp(s, pc[k].want), "pre%d: tokenizer.ggml.pre '%s', want '%s'", (int)k, s, pc[k].want);
            smx__gguf_close(&g);
            free(buf);
        }
    }
    {   /* tokenizers llama.cpp's vocabularies cannot hold: the file has model "none" and the note says why */
        static const struct { const char *json, *needle; } bad[] = {
            {"{\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"vocab\":{\"[UNK]\":0,\"a\":1}}}", "WordPiece"},
            {"{\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\w+|\\\\s+\"},"
             "\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":false}]},"
             "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[\"a b\"]}}", "/\\w+|\\s+/"},
            {"{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"use_regex\":true},"
             "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[\"a b\"]}}", "prefix space"},
            {"{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":40}}}", "outside"},
            {"{\"model\":{\"type\":\"BPE\",\"vocab\":[1,2]", "tokenizer.json"},
        };
        for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            char *buf;
            size_t n;
            smx__gguf g;
            snprintf(dir, sizeof dir, "%s/bad%d", tmp, (int)k);
            snprintf(out, sizeof out, "%s/bad%d.gguf", tmp, (int)k);
            cli_mkdir(dir);
            if (!t_gg_tok_folder(dir, 32, NULL, bad[k].json)) continue;
            if (smx__gguf_convert_hf(dir, out, "f32", note, sizeof note, &e) != SMX_OK) { CHECK(0, "convert bad%d: %s", (int)k, e.msg); continue; }
            CHECK(strstr(note, "no vocabulary written") && strstr(note, bad[k].needle), "bad%d: note '%s' names '%s'", (int)k, note, bad[k].needle);
            if (!(buf = t_tok_read(out, &n)) || smx__gguf_open_ex(&g, buf, n, "t", 1, &e) != SMX_OK) { CHECK(0, "bad%d: read back", (int)k); free(buf); continue; }
            t_gg_key_str(&g, "tokenizer.ggml.model", s, sizeof s);
            CHECK(!strcmp(s, "none") && smx__gguf_find(&g, "tokenizer.ggml.tokens") < 0, "bad%d: tokenizer.ggml.model '%s', no tokens", (int)k, s);
            smx__gguf_close(&g);
            free(buf);
        }
    }
}

static void t_gg_convert(void)
{
    static const char *const cases[] = { "llama_mha_spm", "mamba2_bpe", "granitehybrid" };
    static const char *const types[] = { "f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q6_k" };
    const char *tmp = t_tmpdir("gguf");
    char hf[512], out[512], gdir[512], note[400];
    size_t c, k;
    smx_error e;
    for (c = 0; c < 3; c++)
        for (k = 0; k < 7; k++) {
            snprintf(hf, sizeof hf, "tests/golden/gguf/%s/hf", cases[c]);
            snprintf(gdir, sizeof gdir, "tests/golden/gguf/%s", cases[c]);
            snprintf(out, sizeof out, "%s/%s-%s.gguf", tmp, cases[c], types[k]);
            if (smx__gguf_convert_hf(hf, out, types[k], note, sizeof note, &e) != SMX_OK) { CHECK(0, "convert %s %s: %s", cases[c], types[k], e.msg); continue; }
            t_gg_manifest(cases[c], types[k], out);
            {
                double w = 0.0;
                int f = cf_gg_file(gdir, cases[c], types[k], out, cf_gg_absmax(gdir), NULL, NULL, &w);
                if (f) cf_gg_file(gdir, cases[c], types[k], out, cf_gg_absmax(gdir), NULL, stdout, &w);
                CHECK(f == 0, "%s %s: the converted file against llama.cpp's logits of its own file (lines above)", cases[c], types[k]);
            }
            if (k == 0) t_gg_same_logits(cases[c], hf, out, 1e-5);
        }
    /* GGUF to GGUF: llama.cpp's F16 file re-typed as Q8_0 loads and keeps its outputs */
    snprintf(out, sizeof out, "%s/llama_gqa-q8_0.gguf", tmp);
    if (smx__gguf_convert_gguf("tests/golden/gguf/llama_gqa/model-f16.gguf", out, "q8_0", &e) != SMX_OK) CHECK(0, "re-type: %s", e.msg);
    else t_gg_same_logits("llama_gqa f16 -> q8_0", "tests/golden/gguf/llama_gqa/model-f16.gguf", out, 0.2);
    /* refusals */
    CHECK(smx__gguf_convert_hf("tests/golden/gguf/llama_gqa", out, "f16", note, sizeof note, &e) != SMX_OK, "a folder without config.json is refused");
    CHECK(smx__gguf_convert_hf("tests/golden/xlstm", out, "f16", note, sizeof note, &e) == SMX_E_UNSUPPORTED && strstr(e.msg, "xLSTM"),
          "an architecture llama.cpp does not have is refused: %s", e.msg);
    CHECK(smx__gguf_convert_hf("tests/golden/gguf/granitehybrid/hf", out, "q3_k", note, sizeof note, &e) == SMX_E_ARG && strstr(e.msg, "q3_k"),
          "an unknown type is refused: %s", e.msg);
}

/* A checkpoint of tests/golden written by seqmix convert and run by llama.cpp (its logits in
 * tests/golden/gguf/llamacpp/<name>-<type>.safetensors): seqmix on the same file agrees. */
static void t_gg_llamacpp(const char *cs, const char *name, const char *type)
{
    const cf_gg_tol *tol = cf_gg_tol_of(type);
    char hf[512], out[512], gpath[512], note[400];
    cf_golden g;
    int64_t sh[2] = { 0, 0 };
    int32_t *ids = NULL;
    float *ref = NULL, *lg = NULL;
    int T = 0, V;
    size_t i;
    double mx, mean, top1, absmax = 0.0;
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_error e;
    memset(&g, 0, sizeof g);
    snprintf(hf, sizeof hf, cs[0] == '/' || cs[0] == '\\' || (cs[0] && cs[1] == ':') ? "%s" : "tests/golden/%s", cs);   /* an absolute folder as it is */
    snprintf(out, sizeof out, "%s/%s-%s.gguf", t_tmpdir("gguf"), name, type);
    snprintf(gpath, sizeof gpath, "tests/golden/gguf/llamacpp/%s-%s.safetensors", name, type);
    if (smx__gguf_convert_hf(hf, out, type, note, sizeof note, &e) != SMX_OK) { CHECK(0, "convert %s %s: %s", cs, type, e.msg); goto done; }
    if (smx__st_open_path(&g.ts, gpath, &e) != SMX_OK || !(ids = cf_golden_ids(&g, "input_ids", &T)) || !(ref = cf_gg_arr(&g, "logits", sh))) {
        CHECK(0, "%s: llama.cpp's logits: %s", name, e.msg);
        goto done;
    }
    if (smx_model_load(out, &m, &e) != SMX_OK) { CHECK(0, "%s %s: load: %s", name, type, e.msg); goto done; }
    V = smx_model_vocab(m);
    lg = (float *)malloc(sizeof(float) * (size_t)T * (size_t)V);
    if (!lg || V != (int)sh[1] || smx_session_new(m, NULL, &s, &e) != SMX_OK || smx_session_prefill(s, ids, T, lg, 1) != SMX_OK) {
        CHECK(0, "%s %s: run (vocab %d, llama.cpp %d)", name, type, V, (int)sh[1]);
        goto done;
    }
    for (i = 0; i < (size_t)T * (size_t)V; i++) absmax = SMX__MAX(absmax, fabs((double)ref[i]));
    cf_gg_cmp(lg, ref, T, V, &mx, &mean, &top1);
    if (!tol->quant) CHECK(mx <= 1e-4, "%s %s: max abs %.3g vs llama.cpp on the converted file (<= 1e-4)", name, type, mx);
    else CHECK(mx <= tol->share * absmax && mean <= tol->mean && top1 >= 0.85, "%s %s: max abs %.3g (%.2f%%), mean %.3g, top-1 %.3f vs llama.cpp",
               name, type, mx, 100.0 * mx / absmax, mean, top1);
done:
    smx_session_free(s);
    smx_model_free(m);
    free(ids); free(ref); free(lg);
    smx__st_close(&g.ts);
}

/* ---- broken metadata and shapes of the architectures written here (converted, then edited) ---- */

/* Offset of the metadata key's string (its u64 length) in p; 0 if absent. */
static size_t t_gg_kinfo(const unsigned char *p, size_t n, const char *key) { return t_gg_tinfo(p, n, key); }

typedef struct t_gg_edit {
    const char *what;
    int kind;               /* 0: rename the key (last byte), 1: u32 value of the key := v, 2: tensor's ne[dim] := v */
    const char *name;
    int dim;
    long v;
    smx_status want;
    const char *needle;
} t_gg_edit;

static void t_gg_bad_arch(const char *cs, const t_gg_edit *ed, int n_ed)
{
    char hf[512], out[512], note[400];
    unsigned char *base = NULL, *p = NULL;
    size_t n = 0;
    int i;
    smx_error e;
    snprintf(hf, sizeof hf, "tests/golden/%s", cs);
    snprintf(out, sizeof out, "%s/bad-%s.gguf", t_tmpdir("gguf"), cs);
    if (smx__gguf_convert_hf(hf, out, "f32", note, sizeof note, &e) != SMX_OK) { CHECK(0, "convert %s: %s", cs, e.msg); return; }
    base = (unsigned char *)t_ld_slurp(out, &n);
    if (!base || !(p = (unsigned char *)malloc(n))) { CHECK(0, "%s: read back", cs); free(base); return; }
    {   /* the file as written loads */
        smx_load_options o;
        smx_file f;
        smx_model *m = NULL;
        smx_load_default_options(&o);
        f.name = "model.gguf"; f.data = base; f.size = n;
        o.files = &f; o.n_files = 1;
        CHECK(smx_model_load_ex(NULL, &o, &m, &e) == SMX_OK, "%s: the converted file loads: %s", cs, m ? "" : e.msg);
        smx_model_free(m);
    }
    for (i = 0; i < n_ed; i++) {
        const t_gg_edit *x = &ed[i];
        size_t k = t_gg_kinfo(base, n, x->name), ln = strlen(x->name);
        char what[200];
        snprintf(what, sizeof what, "%s: %s", cs, x->what);
        if (!k) { CHECK(0, "%s: '%s' not in the file", what, x->name); continue; }
        memcpy(p, base, n);
        if (x->kind == 0) p[k + 8 + ln - 1] ^= 0x20;
        else if (x->kind == 1) { uint32_t v = (uint32_t)x->v; memcpy(p + k + 8 + ln + 4, &v, 4); }
        else { int64_t v = x->v; memcpy(p + k + 8 + ln + 4 + 8 * (size_t)x->dim, &v, 8); }
        t_gg_expect(what, p, n, x->want, x->needle);
    }
    free(base);
    free(p);
}

static void t_gg_bad_new(void)
{
    static const t_gg_edit lm[] = {
        { "missing gating function", 0, "lfm2moe.expert_gating_func", 0, 0, SMX_E_MISSING, "lfm2moe.expert_gating_func" },
        { "softmax gating", 1, "lfm2moe.expert_gating_func", 0, 1, SMX_E_UNSUPPORTED, "expert_gating_func" },
        { "more experts used than there are", 1, "lfm2moe.expert_used_count", 0, 9, SMX_E_RANGE, "expert_used_count" },
        { "router of the wrong shape", 2, "blk.1.ffn_gate_inp.weight", 1, 3, SMX_E_SHAPE, "blk.1.ffn_gate_inp.weight" },
    };
    static const t_gg_edit fh[] = {
        { "missing SSM inner size", 0, "falcon-h1.ssm.inner_size", 0, 0, SMX_E_MISSING, "falcon-h1.ssm.inner_size" },
        { "ssm_in of the wrong shape", 2, "blk.0.ssm_in.weight", 1, 100, SMX_E_SHAPE, "blk.0.ssm_in.weight" },
    };
    static const t_gg_edit nh[] = {
        { "missing rms eps", 0, "nemotron_h.attention.layer_norm_rms_epsilon", 0, 0, SMX_E_MISSING, "layer_norm_rms_epsilon" },
        { "ssm_out of the wrong shape", 2, "blk.0.ssm_out.weight", 1, 32, SMX_E_SHAPE, "blk.0.ssm_out.weight" },
    };
    static const t_gg_edit qn[] = {
        { "missing expert count", 0, "qwen3next.expert_count", 0, 0, SMX_E_MISSING, "qwen3next.expert_count" },
        { "inner size not heads x state", 1, "qwen3next.ssm.inner_size", 0, 48, SMX_E_RANGE, "inner_size" },
        { "attn_qkv of the wrong shape", 2, "blk.0.attn_qkv.weight", 1, 100, SMX_E_SHAPE, "blk.0.attn_qkv.weight" },
    };
    static const t_gg_edit q5[] = {
        { "missing rope sections", 0, "qwen35.rope.dimension_sections", 0, 0, SMX_E_MISSING, "qwen35.rope.dimension_sections" },
        { "ssm_beta of the wrong shape", 2, "blk.1.ssm_beta.weight", 1, 1, SMX_E_SHAPE, "blk.1.ssm_beta.weight" },
    };
    t_gg_bad_arch("lfm2_moe", lm, (int)(sizeof lm / sizeof lm[0]));
    t_gg_bad_arch("falcon_h1", fh, (int)(sizeof fh / sizeof fh[0]));
    t_gg_bad_arch("nemotron_h", nh, (int)(sizeof nh / sizeof nh[0]));
    t_gg_bad_arch("qwen3_next", qn, (int)(sizeof qn / sizeof qn[0]));
    t_gg_bad_arch("qwen3_5", q5, (int)(sizeof q5 / sizeof q5[0]));
    {   /* checkpoints llama.cpp's layouts cannot hold are refused, naming why */
        static const struct { const char *cs, *needle; } no[] = {
            { "x_falcon_norm_before_gate", "time_step_limit" }, { "x_falcon_norm_groups", "projectors_bias" },
            { "x_nemotron_latent", "mlp_bias" }, { "x_nemotron_moe_groups", "MLP and MoE" }, { "x_qwen35_gqa", "head dims" },
            { "x_lfm2moe_nobias", "conv_bias" },
        };
        char hf[512], out[512], note[400];
        smx_error e;
        size_t i;
        memset(&e, 0, sizeof e);
        snprintf(out, sizeof out, "%s/refused.gguf", t_tmpdir("gguf"));
        for (i = 0; i < sizeof no / sizeof no[0]; i++) {
            snprintf(hf, sizeof hf, "tests/golden/%s", no[i].cs);
            CHECK(smx__gguf_convert_hf(hf, out, "f32", note, sizeof note, &e) == SMX_E_UNSUPPORTED && strstr(e.msg, no[i].needle),
                  "%s: refused naming '%s': %s", no[i].cs, no[i].needle, e.msg);
        }
    }
}

/* A Qwen3.5-MoE checkpoint (Qwen3_5MoeForCausalLM: Qwen3-Next with Qwen3.5's split DeltaNet
 * projections) made from tests/golden/qwen3_next in dir: in_proj_qkvz regrouped into in_proj_qkv
 * (all q | all k | all v) and in_proj_z, in_proj_ba into in_proj_b and in_proj_a (key heads 2,
 * value heads 4, head dims 16, as that case's config says). 0 on failure. */
static int t_gg_make_qwen35moe(const char *dir)
{
    enum { NK = 2, NV = 4, DK = 16, DV = 16, R = NV / NK, GRP = 2 * DK + 2 * R * DV };
    smx__tensors ts;
    smx__st_out *out = NULL;
    float **bufs = NULL;
    char path[1024], *cfg = NULL, *at;
    size_t n = 0;
    int i, no = 0, nb = 0, ok = 0;
    smx_error e;
    FILE *f;
    memset(&ts, 0, sizeof ts);
    if (smx__st_open_path(&ts, "tests/golden/qwen3_next/model.safetensors", &e) != SMX_OK) return 0;
    out = (smx__st_out *)calloc((size_t)ts.nent * 2 + 1, sizeof *out);
    bufs = (float **)calloc((size_t)ts.nent * 3 + 1, sizeof *bufs);
    if (!out || !bufs) goto done;
    for (i = 0; i < ts.nent; i++) {
        const smx__st_entry *en = &ts.ent[i];
        const char *nm = en->name, *tail = strrchr(nm, '.');
        size_t ln = strlen(nm), cols = en->ndim > 1 ? (size_t)en->shape[1] : 1, j, pl;
        float *x = (float *)malloc(sizeof(float) * (en->numel ? en->numel : 1));
        if (!x || smx__st_read_f32(&ts, en, x, &e) != SMX_OK) { free(x); goto done; }
        bufs[nb++] = x;
        (void)tail;
        if (ln > 19 && !strcmp(nm + ln - 19, "in_proj_qkvz.weight")) {
            float *qkv = (float *)malloc(sizeof(float) * (2 * NK * DK + NV * DV) * cols), *z = (float *)malloc(sizeof(float) * NV * DV * cols);
            size_t o = 0;
            if (!qkv || !z || en->shape[0] != NK * GRP) { free(qkv); free(z); goto done; }
            bufs[nb++] = qkv; bufs[nb++] = z;
            for (j = 0; j < NK; j++, o += DK) memcpy(qkv + o * cols, x + (j * GRP) * cols, sizeof(float) * DK * cols);
            for (j = 0; j < NK; j++, o += DK) memcpy(qkv + o * cols, x + (j * GRP + DK) * cols, sizeof(float) * DK * cols);
            for (j = 0; j < NK; j++, o += R * DV) memcpy(qkv + o * cols, x + (j * GRP + 2 * DK) * cols, sizeof(float) * R * DV * cols);
            for (j = 0; j < NK; j++) memcpy(z + j * R * DV * cols, x + (j * GRP + 2 * DK + R * DV) * cols, sizeof(float) * R * DV * cols);
            pl = ln - 19;
            out[no].name = (char *)malloc(pl + 20); out[no + 1].name = (char *)malloc(pl + 20);
            if (!out[no].name || !out[no + 1].name) goto done;
            snprintf((char *)out[no].name, pl + 20, "%.*sin_proj_qkv.weight", (int)pl, nm);
            snprintf((char *)out[no + 1].name, pl + 20, "%.*sin_proj_z.weight", (int)pl, nm);
            out[no].ndim = out[no + 1].ndim = 2;
            out[no].shape[0] = 2 * NK * DK + NV * DV; out[no + 1].shape[0] = NV * DV;
            out[no].shape[1] = out[no + 1].shape[1] = (int64_t)cols;
            out[no].data = qkv; out[no + 1].data = z;
            no += 2;
        } else if (ln > 17 && !strcmp(nm + ln - 17, "in_proj_ba.weight")) {
            float *b = (float *)malloc(sizeof(float) * NV * cols), *a = (float *)malloc(sizeof(float) * NV * cols);
            if (!a || !b || en->shape[0] != 2 * NV) { free(a); free(b); goto done; }
            bufs[nb++] = b; bufs[nb++] = a;
            for (j = 0; j < NK; j++) {
                memcpy(b + j * R * cols, x + (j * 2 * R) * cols, sizeof(float) * R * cols);
                memcpy(a + j * R * cols, x + (j * 2 * R + R) * cols, sizeof(float) * R * cols);
            }
            pl = ln - 17;
            out[no].name = (char *)malloc(pl + 20); out[no + 1].name = (char *)malloc(pl + 20);
            if (!out[no].name || !out[no + 1].name) goto done;
            snprintf((char *)out[no].name, pl + 20, "%.*sin_proj_b.weight", (int)pl, nm);
            snprintf((char *)out[no + 1].name, pl + 20, "%.*sin_proj_a.weight", (int)pl, nm);
            out[no].ndim = out[no + 1].ndim = 2;
            out[no].shape[0] = out[no + 1].shape[0] = NV;
            out[no].shape[1] = out[no + 1].shape[1] = (int64_t)cols;
            out[no].data = b; out[no + 1].data = a;
            no += 2;
        } else {
            int k;
            if (!(out[no].name = (char *)malloc(ln + 1))) goto done;
            memcpy((char *)out[no].name, nm, ln + 1);
            out[no].ndim = en->ndim;
            for (k = 0; k < en->ndim; k++) out[no].shape[k] = en->shape[k];
            out[no].data = x;
            no++;
        }
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (smx__st_write(path, out, no, &e) != SMX_OK) goto done;
    cfg = (char *)t_ld_slurp("tests/golden/qwen3_next/config.json", &n);
    if (!cfg || !(at = strstr(cfg, "\"Qwen3NextForCausalLM\""))) goto done;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (!(f = fopen(path, "wb"))) goto done;
    ok = fwrite(cfg, 1, (size_t)(at - cfg), f) == (size_t)(at - cfg) && fputs("\"Qwen3_5MoeForCausalLM\"", f) >= 0 &&
         fwrite(at + 22, 1, n - (size_t)(at - cfg) - 22, f) == n - (size_t)(at - cfg) - 22;
    ok = fclose(f) == 0 && ok;
done:
    for (i = 0; out && i < no + 2; i++) free((char *)out[i].name);
    for (i = 0; bufs && i < nb; i++) free(bufs[i]);
    free(out); free(bufs); free(cfg);
    smx__st_close(&ts);
    return ok;
}

static void test_gguf(void)
{
    t_gg_conform();
    t_gg_bad();
    t_gg_bad_new();
    t_gg_convert();
    t_gg_convert_tok();
    /* the families llama.cpp has and no llama.cpp file was given for: converted, run by llama.cpp */
    t_gg_llamacpp("granitehybrid", "granitehybrid", "f32");   /* Granite 4.0-H: experts + shared, multipliers */
    t_gg_llamacpp("granitehybrid", "granitehybrid", "q8_0");
    t_gg_llamacpp("lfm2_moe", "lfm2moe", "f32");             /* LFM2-MoE: sigmoid routing with selection bias */
    t_gg_llamacpp("lfm2_moe", "lfm2moe", "q8_0");
    t_gg_llamacpp("lfm2_moe", "lfm2moe", "q4_k_m");
    t_gg_llamacpp("falcon_h1", "falcon-h1", "f32");          /* Falcon-H1: parallel attention + Mamba-2, multipliers folded */
    t_gg_llamacpp("falcon_h1", "falcon-h1", "q8_0");
    t_gg_llamacpp("falcon_h1", "falcon-h1", "q4_k_m");
    t_gg_llamacpp("nemotron_h", "nemotron_h", "f32");        /* Nemotron-H: Mamba-2 / attention / relu^2 MLP layers */
    t_gg_llamacpp("nemotron_h", "nemotron_h", "q8_0");
    t_gg_llamacpp("nemotron_h", "nemotron_h", "q4_k_m");
    t_gg_llamacpp("gguf/nemotron_h_moe/hf", "nemotron_h_moe", "f32");   /* grouped sigmoid routing, scale, shared expert */
    t_gg_llamacpp("gguf/nemotron_h_moe/hf", "nemotron_h_moe", "q8_0");
    t_gg_llamacpp("qwen3_next", "qwen3next", "f32");         /* Qwen3-Next: gated DeltaNet (regrouped q|k|v, z), experts + shared */
    t_gg_llamacpp("qwen3_next", "qwen3next", "q8_0");
    t_gg_llamacpp("qwen3_5", "qwen35", "f32");               /* Qwen3.5: split DeltaNet projections, dense MLP */
    t_gg_llamacpp("qwen3_5", "qwen35", "q8_0");
    t_gg_llamacpp("qwen3_5", "qwen35", "q4_k_m");
    {   /* Qwen3.5-MoE (qwen35moe): made from the Qwen3-Next case */
        char dir[512];
        snprintf(dir, sizeof dir, "%s", t_tmpdir("gguf"));
        snprintf(dir, sizeof dir, "%s", t_tmpdir("gguf/qwen35moe"));
        if (!t_gg_make_qwen35moe(dir)) CHECK(0, "qwen35moe checkpoint from qwen3_next");
        else {
            t_gg_llamacpp(dir, "qwen35moe", "f32");
            t_gg_llamacpp(dir, "qwen35moe", "q8_0");
        }
    }
}
