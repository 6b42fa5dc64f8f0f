/* Tokenizer tests: the golden cases (every id and decoded text), unit tests of the regex
 * engine, normalizers, splitters, special tokens and the streaming decoder, and bad-input tests
 * (malformed tokenizer.json, unknown types, bad merges, unsupported regexes, out-of-range ids,
 * every GGUF defect). Included by tests/test.c; data under tests/golden/tok/<case>/. */

#ifndef T_TOK_GOLDEN
#define T_TOK_GOLDEN "tests/golden/tok"
#endif

/* read a whole file (malloc'd, NUL-terminated); NULL if absent */
static char *t_tok_read(const char *path, size_t *n)
{
    char *buf = NULL;
    smx_error e;
    if (smx__read_file(path, (size_t)64 << 20, &buf, n, &e) != SMX_OK) return NULL;
    return buf;
}

/* ids of a JSON array into v (malloc'd); returns the count, -1 if not an array */
static long t_tok_ids(const smx__jv *a, int32_t **v)
{
    const smx__jv *c;
    long n = 0;
    *v = NULL;
    if (!a || a->type != SMX__J_ARR) return -1;
    *v = (int32_t *)malloc(sizeof(int32_t) * (size_t)(a->n + 1));
    for (c = a->child; c; c = c->next) (*v)[n++] = (int32_t)c->num;
    return n;
}

static int t_tok_same_ids(const int32_t *a, size_t na, const int32_t *b, long nb)
{
    return nb >= 0 && na == (size_t)nb && (na == 0 || !memcmp(a, b, na * sizeof *a));
}

/* encode text with flags into a malloc'd array */
static int32_t *t_tok_encode(const smx_tokenizer *t, const char *s, size_t n, int flags, size_t *cnt, smx_status *st)
{
    size_t need = 0;
    int32_t *ids;
    *st = smx_tokenize(t, s, n, flags, NULL, 0, &need, NULL);
    if (*st != SMX_OK && *st != SMX_E_CAPACITY) { *cnt = 0; return NULL; }
    ids = (int32_t *)malloc(sizeof(int32_t) * (need + 1));
    *st = smx_tokenize(t, s, n, flags, ids, need, cnt, NULL);
    return ids;
}

static char *t_tok_decode(const smx_tokenizer *t, const int32_t *ids, size_t n, int flags, size_t *len)
{
    size_t need = 0;
    char *out;
    smx_status st = smx_detokenize(t, ids, n, flags, NULL, 0, &need, NULL);
    if (st != SMX_OK && st != SMX_E_CAPACITY) { *len = 0; return NULL; }
    out = (char *)malloc(need + 1);
    smx_detokenize(t, ids, n, flags, out, need + 1, len, NULL);
    return out;
}

static void t_tok_show_ids(const char *what, const int32_t *a, size_t n)
{
    size_t i;
    printf("    %s:", what);
    for (i = 0; i < n && i < 40; i++) printf(" %d", a[i]);
    printf("%s\n", n > 40 ? " ..." : "");
}

/* One golden case folder: returns the number of mismatching checks. */
static int t_tok_golden_case(const char *name)
{
    char path[2048], dir[1024];
    char *texts_s, *exp_s, *case_s;
    size_t tn, en, cn;
    smx__arena a;
    smx__jv *texts, *exp, *cs;
    const smx__jv *tl, *rl, *tx, *rx;
    smx_tokenizer *t = NULL;
    smx_error e;
    int gguf, bad = 0, n = 0;
    memset(&a, 0, sizeof a);
    snprintf(dir, sizeof dir, "%s/%s", T_TOK_GOLDEN, name);
    snprintf(path, sizeof path, "%s/texts.json", dir); texts_s = t_tok_read(path, &tn);
    snprintf(path, sizeof path, "%s/expected.json", dir); exp_s = t_tok_read(path, &en);
    snprintf(path, sizeof path, "%s/case.json", dir); case_s = t_tok_read(path, &cn);
    if (!texts_s || !exp_s || !case_s) { SKIP("golden tok case %s not found under %s", name, T_TOK_GOLDEN); free(texts_s); free(exp_s); free(case_s); return 0; }
    if (smx__json_parse(texts_s, tn, &a, 0, "texts.json", &texts, &e) || smx__json_parse(exp_s, en, &a, 0, "expected.json", &exp, &e) ||
        smx__json_parse(case_s, cn, &a, 0, "case.json", &cs, &e)) {
        CHECK(0, "%s: %s", name, e.msg);
        goto done;
    }
    gguf = !strcmp(smx__jget(cs, "kind")->str, "gguf");
    snprintf(path, sizeof path, "%s/%s", dir, smx__jget(cs, "tokenizer_file")->str);
    if (smx_tokenizer_load(gguf ? path : dir, &t, &e) != SMX_OK) { CHECK(0, "%s: load: %s", name, e.msg); goto done; }
    tl = smx__jget(texts, "texts");
    rl = smx__jget(exp, "results");
    for (tx = tl->child, rx = rl->child; tx && rx; tx = tx->next, rx = rx->next) {
        const smx__jv *txt = smx__jget(tx, "text");
        const char *id = smx__jget(tx, "id")->str;
        int32_t *want, *want_p = NULL, *want_s = NULL, *got, *got_p, *got_s;
        long nw, nwp, nws;
        size_t ng, ngp, ngs, dl;
        smx_status st;
        int fl_plain = gguf ? 0 : SMX_TOK_PARSE_SPECIAL;
        struct { const char *field; const int32_t *ids; size_t n; int flags; } dec[4];
        int k, nd = 0;
        n++;
        nw = t_tok_ids(smx__jget(rx, "ids"), &want);
        nwp = gguf ? t_tok_ids(smx__jget(rx, "ids_parse"), &want_p) : -1;
        nws = t_tok_ids(smx__jget(rx, "ids_special"), &want_s);
        if (gguf && nwp < 0) { want_p = want; nwp = nw; }
        if (nws < 0) { free(want_s); want_s = gguf ? want_p : want; nws = gguf ? nwp : nw; }
        got = t_tok_encode(t, txt->str, txt->slen, fl_plain, &ng, &st);
        CHECK(t_tok_same_ids(got, ng, want, nw), "%s/%s: ids differ", name, id);
        if (!t_tok_same_ids(got, ng, want, nw)) { bad++; t_tok_show_ids("want", want, (size_t)nw); t_tok_show_ids("got ", got, ng); }
        got_p = t_tok_encode(t, txt->str, txt->slen, SMX_TOK_PARSE_SPECIAL, &ngp, &st);
        if (gguf) {
            CHECK(t_tok_same_ids(got_p, ngp, want_p, nwp), "%s/%s: ids_parse differ", name, id);
            if (!t_tok_same_ids(got_p, ngp, want_p, nwp)) { bad++; t_tok_show_ids("want", want_p, (size_t)nwp); t_tok_show_ids("got ", got_p, ngp); }
        }
        got_s = t_tok_encode(t, txt->str, txt->slen, SMX_TOK_PARSE_SPECIAL | SMX_TOK_ADD_SPECIAL, &ngs, &st);
        CHECK(t_tok_same_ids(got_s, ngs, want_s, nws), "%s/%s: ids_special differ", name, id);
        if (!t_tok_same_ids(got_s, ngs, want_s, nws)) { bad++; t_tok_show_ids("want", want_s, (size_t)nws); t_tok_show_ids("got ", got_s, ngs); }
        /* decodes of the expected ids */
        dec[nd].field = "decode"; dec[nd].ids = want; dec[nd].n = (size_t)nw; dec[nd].flags = 0; nd++;
        if (!gguf) { dec[nd].field = "decode_skip"; dec[nd].ids = want; dec[nd].n = (size_t)nw; dec[nd].flags = SMX_TOK_SKIP_SPECIAL; nd++; }
        dec[nd].field = "decode_special"; dec[nd].ids = want_s; dec[nd].n = (size_t)nws; dec[nd].flags = 0; nd++;
        dec[nd].field = "decode_special_skip"; dec[nd].ids = want_s; dec[nd].n = (size_t)nws; dec[nd].flags = SMX_TOK_SKIP_SPECIAL; nd++;
        for (k = 0; k < nd; k++) {
            const smx__jv *w = smx__jget(rx, dec[k].field);
            char *d;
            if (!w || w->type != SMX__J_STR) continue;
            d = t_tok_decode(t, dec[k].ids, dec[k].n, dec[k].flags, &dl);
            CHECK(d && dl == w->slen && !memcmp(d, w->str, dl), "%s/%s: %s differs: want \"%.80s\" got \"%.80s\"", name, id,
                  dec[k].field, w->str, d ? d : "(null)");
            if (!d || dl != w->slen || memcmp(d, w->str, dl)) bad++;
            free(d);
        }
        free(got); free(got_p); free(got_s);
        if (want_p != want) free(want_p);
        if (want_s != want && want_s != want_p) free(want_s);
        free(want);
    }
    CHECK(n == 75, "%s: %d texts (75 expected)", name, n);
done:
    smx_tokenizer_free(t);
    smx__arena_free(&a);
    free(texts_s); free(exp_s); free(case_s);
    return bad;
}

static void t_tok_golden(void)
{
    static const char *const cases[] = {"gguf-gpt-2", "gguf-llama-spm", "hf-mistral", "hf-llama3"};
    int k;
    for (k = 0; k < 4; k++) {
        int bad = t_tok_golden_case(cases[k]);
        printf("golden tok %s: %s\n", cases[k], bad ? "MISMATCH" : "ok");
    }
}

/* ---- regex engine ---- */

/* matches of pattern in s as "a|b|c" (match texts joined by '|'), or the error message */
static void t_tok_rx_matches(const char *pat, int mode, const char *s, char *out, size_t cap)
{
    smx__rx *rx;
    smx_error e;
    smx__tok_ctx cx;
    smx__tok_split sp;
    size_t k, o = 0;
    out[0] = 0;
    if (smx__rx_compile(pat, strlen(pat), mode, "test", &rx, &e) != SMX_OK) { snprintf(out, cap, "ERR %s", e.msg); return; }
    memset(&cx, 0, sizeof cx);
    memset(&sp, 0, sizeof sp);
    sp.kind = SMX__SP_REGEX; sp.rx = rx;
    smx__tok_find_matches(&cx, &sp, s, strlen(s));
    for (k = 0; k < cx.nmt; k += 2)
        o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%.*s", k ? "|" : "", (int)(cx.mt[k + 1] - cx.mt[k]), s + cx.mt[k]);
    smx__tok_ctx_free(&cx);
    smx__rx_free(rx);
}

static void t_tok_regex(void)
{
    static const struct { const char *pat; int mode; const char *text, *want; } c[] = {
        {"a+?", SMX__RX_HF, "aaa", "a|a|a"},
        {"a+", SMX__RX_HF, "aaa b", "aaa"},
        {"(?i:ab)+", SMX__RX_HF, "abABaB x", "abABaB"},
        {"\\d{2,3}", SMX__RX_HF, "1 12 1234", "12|123"},
        {"x(?=y)", SMX__RX_HF, "xy xz", "x"},
        {"\\s+(?!\\S)", SMX__RX_HF, "a   b", "  "},
        {"^\\w+|\\w+$", SMX__RX_HF, "one two\nthree", "one|two|three"},
        {"^\\w+|\\w+$", SMX__RX_LLAMA, "one two\nthree", "one|three"},
        {"[^\\s\\p{L}]+", SMX__RX_HF, "ab, cd!? 12", ",|!?|12"},
        {"\\p{Lu}\\p{Ll}+", SMX__RX_HF, "Hello World \xc3\x89t\xc3\xa9", "Hello|World|\xc3\x89t\xc3\xa9"},
        {"\\p{Lu}+", SMX__RX_LLAMA, "AB\xc3\xa9", "AB\xc3\xa9"},          /* llama.cpp: \p{Lu} is \p{L} */
        {"\\p{S}+", SMX__RX_HF, "a~b$", "~|$"},
        {"\\p{S}+", SMX__RX_LLAMA, "a~b$", "$"},                         /* llama.cpp: '~' is in no class */
        {"\\s+", SMX__RX_LLAMA, "a\xc2\xa0\xc2\xa0" "b", "\xc2\xa0\xc2\xa0"},
        {"a++a", SMX__RX_HF, "aaaa", ""},                                /* possessive gives nothing back */
        {"(?>a+)b|a", SMX__RX_HF, "aab", "aab"},
        {"[\\p{L}&]+", SMX__RX_HF, "a&b c", "a&b|c"},
        {"[a-c[x-z]]+", SMX__RX_HF, "abxyq", "abxy"},
        {"\\x41\\u0042\\x{43}", SMX__RX_HF, "zABC", "ABC"},
        {"(?=(\\d{3})+(?!\\d))", SMX__RX_LLAMA, "1234567", "|"},     /* two empty matches */
    };
    static const struct { const char *pat; const char *needle; } bad[] = {
        {"(?<=a)b", "lookbehind"}, {"(a)\\1", "backreference"}, {"\\p{Han}+", "\\p{Han}"}, {"[a&&b]", "&&"},
        {"(a*)*", "can match empty"}, {"[[:alpha:]]", "POSIX"}, {"(?x)a", "inline flag"}, {"a{3,1}", "m < n"}, {"(ab", "missing ')'"},
    };
    size_t k;
    char got[1024];
    for (k = 0; k < sizeof c / sizeof c[0]; k++) {
        t_tok_rx_matches(c[k].pat, c[k].mode, c[k].text, got, sizeof got);
        CHECK(!strcmp(got, c[k].want), "regex /%s/ (%s) on \"%s\": want \"%s\" got \"%s\"", c[k].pat, c[k].mode ? "llama" : "hf",
              c[k].text, c[k].want, got);
    }
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        smx__rx *rx = NULL;
        smx_error e;
        smx_status st = smx__rx_compile(bad[k].pat, strlen(bad[k].pat), SMX__RX_HF, "test", &rx, &e);
        CHECK(st != SMX_OK && rx == NULL && strstr(e.msg, bad[k].needle) != NULL, "regex /%s/ must fail naming '%s' (got %d: %s)",
              bad[k].pat, bad[k].needle, (int)st, st ? e.msg : "ok");
        smx__rx_free(rx);
    }
}

/* the hand-written GPT-2 and Llama-3 splitters agree with the regex engine on random text */
static void t_tok_fast_vs_engine(void)
{
    static const char *const alphabet[] = {"a", "b", "Z", " ", " ", "  ", "\n", "\r\n", "\t", "1", "23", "'", "'s", "'S", "'ll", "'Re",
                                           "!", ".", ",", "\xc3\xa9", "\xe4\xb8\xad", "\xd9\xa3", "\xc2\xa0", "\xe2\x80\x83", "\xf0\x9f\xa6\x99",
                                           "\xcc\x81", "-", "~", "\xe2\x80\x8d", "\xef\xbf\xbd", "\xc5\xbf"};
    static const char *const pats[] = {
        "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"};
    uint64_t r = 12345;
    int trial, p, bad = 0;
    for (p = 0; p < 4; p++) {
        smx__tok_split fast, eng;
        smx_error e;
        memset(&fast, 0, sizeof fast);
        memset(&eng, 0, sizeof eng);
        CHECK(smx__tok_fast_split(pats[p], strlen(pats[p]), 1, &fast) == 1, "pattern %d has a fast splitter", p);
        eng.kind = SMX__SP_REGEX;
        if (smx__rx_compile(pats[p], strlen(pats[p]), SMX__RX_HF, "test", &eng.rx, &e)) { CHECK(0, "%s", e.msg); continue; }
        for (trial = 0; trial < 3000; trial++) {
            char text[400];
            size_t n = 0, k;
            int len = (int)(r % 24) + 1, w;
            smx__tok_ctx c1, c2;
            for (w = 0; w < len; w++) {
                const char *a;
                r = r * 6364136223846793005ull + 1442695040888963407ull;
                a = alphabet[(r >> 33) % (sizeof alphabet / sizeof alphabet[0])];
                memcpy(text + n, a, strlen(a));
                n += strlen(a);
            }
            memset(&c1, 0, sizeof c1);
            memset(&c2, 0, sizeof c2);
            smx__tok_find_matches(&c1, &fast, text, n);
            smx__tok_find_matches(&c2, &eng, text, n);
            if (c1.nmt != c2.nmt || memcmp(c1.mt, c2.mt, c1.nmt * sizeof(size_t))) {
                if (bad++ < 3) {
                    printf("  pattern %d differs on \"", p);
                    for (k = 0; k < n; k++) printf((unsigned char)text[k] < 0x20 ? "\\x%02x" : "%c", (unsigned char)text[k]);
                    printf("\"\n");
                }
            }
            smx__tok_ctx_free(&c1);
            smx__tok_ctx_free(&c2);
        }
        smx__rx_free(eng.rx);
    }
    CHECK(bad == 0, "hand-written splitters differ from the regex engine in %d random texts", bad);
}

/* ---- normalization ---- */

static void t_tok_nf_case(const char *in, int compat, int compose, const char *want)
{
    smx__tok_buf out;
    smx__tok_cpv v;
    memset(&out, 0, sizeof out);
    memset(&v, 0, sizeof v);
    smx__tok_nf(&out, in, strlen(in), compat, compose, &v);
    CHECK(out.n == strlen(want) && !memcmp(out.p, want, out.n), "NF%s%s(\"%s\") = \"%.*s\", want \"%s\"", compat ? "K" : "",
          compose ? "C" : "D", in, (int)out.n, out.p ? out.p : "", want);
    smx__tok_buf_free(&out);
    SMX_FREE(v.p);
}

static void t_tok_normalizers(void)
{
    uint32_t lw[3];
    t_tok_nf_case("e\xcc\x81", 0, 1, "\xc3\xa9");                   /* e + acute -> é */
    t_tok_nf_case("\xc3\xa9", 0, 0, "e\xcc\x81");
    t_tok_nf_case("\xef\xac\x81ne", 1, 1, "fine");                  /* ﬁ ligature */
    t_tok_nf_case("\xe2\x91\xa0 x\xc2\xb2 \xc2\xbd", 1, 1, "1 x2 1\xe2\x81\x84" "2");
    t_tok_nf_case("\xef\xbc\xa1\xef\xbc\x91", 1, 1, "A1");           /* fullwidth */
    t_tok_nf_case("\xed\x95\x9c", 0, 0, "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab");   /* 한 -> jamo */
    t_tok_nf_case("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", 0, 1, "\xed\x95\x9c");
    t_tok_nf_case("a\xcc\x82\xcc\xa3", 0, 1, "\xe1\xba\xad");         /* a + circumflex + dot below -> ậ (reordered) */
    t_tok_nf_case("\xe2\x84\xa6", 0, 1, "\xce\xa9");                 /* Ohm sign -> Omega (singleton) */
    t_tok_nf_case("A\xcc\x8a", 0, 1, "\xc3\x85");
    CHECK(smx__u_lower(0x130, lw) == 2 && lw[0] == 'i' && lw[1] == 0x307, "lowercase of U+0130 is i + U+0307");
    CHECK(smx__u_lower(0x3A3, lw) == 1 && lw[0] == 0x3C3, "lowercase of Sigma");
    CHECK(smx__u_lower('Q', lw) == 1 && lw[0] == 'q', "lowercase of Q");
    CHECK(smx__u_gc(0x4E2D) == SMX__GC_LO && smx__u_gc('7') == SMX__GC_ND && smx__u_white(0x3000) && !smx__u_white(0x200B),
          "general categories and White_Space");
    CHECK(smx__u_ccc(0x301) == 230 && smx__u_ccc('a') == 0, "canonical combining classes");
}

/* ---- a tiny tokenizer.json for the API and error tests ---- */

static const char t_tok_tiny[] =
    "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":0,\"content\":\"<s>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
    "\"normalized\":false,\"special\":true},{\"id\":1,\"content\":\"</s>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
    "\"normalized\":false,\"special\":true}],"
    "\"normalizer\":null,"
    "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true},"
    "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
    "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],\"pair\":[],"
    "\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[0],\"tokens\":[\"<s>\"]},\"</s>\":{\"id\":\"</s>\",\"ids\":[1],\"tokens\":[\"</s>\"]}}},"
    "\"decoder\":{\"type\":\"ByteLevel\"},"
    "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,\"fuse_unk\":false,\"byte_fallback\":false,"
    "\"vocab\":{\"<s>\":0,\"</s>\":1,\"h\":2,\"e\":3,\"l\":4,\"o\":5,\"\\u0120\":6,\"he\":7,\"ll\":8,\"hell\":9,\"hello\":10,\"\\u0120h\":11,"
    "\"\\u00c3\":12,\"\\u00a9\":13,\"\\u00c3\\u00a9\":14},"
    "\"merges\":[\"h e\",\"l l\",\"he ll\",\"hell o\",\"\\u0120 h\",\"\\u00c3 \\u00a9\"]}}";

/* tiny with one substring replaced */
static char *t_tok_tiny_with(const char *old, const char *new_)
{
    const char *p = strstr(t_tok_tiny, old);
    size_t a, n = strlen(t_tok_tiny) + strlen(new_) + 1;
    char *r = (char *)malloc(n);
    if (!p) { memcpy(r, t_tok_tiny, strlen(t_tok_tiny) + 1); return r; }
    a = (size_t)(p - t_tok_tiny);
    memcpy(r, t_tok_tiny, a);
    strcpy(r + a, new_);
    strcat(r, p + strlen(old));
    return r;
}

static void t_tok_api(void)
{
    smx_tokenizer *t;
    smx_error e;
    int32_t ids[16], one;
    size_t n, len;
    char out[64];
    const int32_t *eos;
    smx_detok_stream ds;
    smx_status st;
    static const char cfg[] = "{\"bos_token\":\"<s>\",\"eos_token\":{\"content\":\"</s>\"}}";
    if (smx_tokenizer_from_memory(t_tok_tiny, strlen(t_tok_tiny), cfg, sizeof cfg - 1, &t, &e)) {
        CHECK(0, "tiny tokenizer: %s", e.msg);
        return;
    }
    st = smx_tokenize(t, "hello", 5, 0, ids, 16, &n, &e);
    CHECK(st == SMX_OK && n == 1 && ids[0] == 10, "hello -> [10] (got %d, n %lu)", (int)st, (unsigned long)n);
    st = smx_tokenize(t, "hello hell", 10, SMX_TOK_ADD_SPECIAL, ids, 16, &n, &e);
    CHECK(st == SMX_OK && n == 5 && ids[0] == 0 && ids[1] == 10 && ids[2] == 6 && ids[3] == 9 && ids[4] == 1,
          "<s> hello Ġ hell </s> with ADD_SPECIAL (n %lu)", (unsigned long)n);
    st = smx_tokenize(t, "hello hell", 10, SMX_TOK_ADD_SPECIAL, ids, 2, &n, &e);
    CHECK(st == SMX_E_CAPACITY && n == 5, "capacity too small: SMX_E_CAPACITY with the count needed (got %d, %lu)", (int)st, (unsigned long)n);
    st = smx_tokenize(t, "<s>hello</s>", 12, SMX_TOK_PARSE_SPECIAL, ids, 16, &n, &e);
    CHECK(st == SMX_OK && n == 3 && ids[0] == 0 && ids[1] == 10 && ids[2] == 1, "special tokens parsed in text");
    st = smx_tokenize(t, "<s>", 3, 0, ids, 16, &n, &e);
    CHECK(st == SMX_OK && !(n == 1 && ids[0] == 0), "special token text is plain text without PARSE_SPECIAL");
    /* decode */
    ids[0] = 0; ids[1] = 10; ids[2] = 11; ids[3] = 1;
    st = smx_detokenize(t, ids, 4, 0, out, sizeof out, &len, &e);
    CHECK(st == SMX_OK && !strcmp(out, "<s>hello h</s>"), "decode with specials: \"%s\"", out);
    st = smx_detokenize(t, ids, 4, SMX_TOK_SKIP_SPECIAL, out, sizeof out, &len, &e);
    CHECK(st == SMX_OK && !strcmp(out, "hello h"), "decode skipping specials: \"%s\"", out);
    st = smx_detokenize(t, ids, 4, 0, out, 3, &len, &e);
    CHECK(st == SMX_E_CAPACITY && len == 14, "decode capacity: %d, %lu", (int)st, (unsigned long)len);
    ids[1] = 99;
    st = smx_detokenize(t, ids, 4, 0, out, sizeof out, &len, &e);
    CHECK(st == SMX_E_RANGE && strstr(e.msg, "99"), "out-of-range id named: %s", e.msg);
    ids[1] = -1;
    st = smx_detokenize(t, ids, 4, 0, out, sizeof out, &len, &e);
    CHECK(st == SMX_E_RANGE && strstr(e.msg, "-1"), "negative id named: %s", e.msg);
    /* accessors */
    CHECK(smx_tokenizer_vocab_size(t) == 15, "vocab size 15 (%d)", smx_tokenizer_vocab_size(t));
    CHECK(smx_tokenizer_bos(t) == 0 && smx_tokenizer_eos(t) == 1 && smx_tokenizer_pad(t) == -1, "bos/eos/pad from tokenizer_config");
    CHECK(smx_tokenizer_eos_ids(t, &eos) == 1 && eos[0] == 1, "eos ids");
    CHECK(smx_tokenizer_is_special(t, 0) && !smx_tokenizer_is_special(t, 10) && !smx_tokenizer_is_special(t, 1000), "is_special");
    {
        const char *pc = smx_token_piece(t, 11, &len);
        CHECK(pc && len == 3 && !memcmp(pc, "\xc4\xa0h", 3), "piece of 11 is \"Ġh\"");
        CHECK(smx_token_piece(t, 15, &len) == NULL && smx_token_piece(t, -2, NULL) == NULL, "piece of an out-of-range id is NULL");
    }
    /* streaming: "é" is two byte-level tokens (Ã, ©) -> nothing, then the whole character */
    smx_detok_stream_init(&ds, t, 0);
    one = 12;
    st = smx_detok_stream_push(&ds, one, out, sizeof out, &len);
    CHECK(st == SMX_OK && len == 0, "stream: first half of a character gives nothing (%lu)", (unsigned long)len);
    one = 13;
    st = smx_detok_stream_push(&ds, one, out, 1, &len);
    CHECK(st == SMX_E_CAPACITY && len == 2, "stream: capacity error leaves the stream as it was");
    st = smx_detok_stream_push(&ds, one, out, sizeof out, &len);
    CHECK(st == SMX_OK && len == 2 && !memcmp(out, "\xc3\xa9", 2), "stream: second half completes \"é\"");
    st = smx_detok_stream_push(&ds, 12, out, sizeof out, &len);
    st = smx_detok_stream_flush(&ds, out, sizeof out, &len);
    CHECK(st == SMX_OK && len == 3 && !memcmp(out, "\xef\xbf\xbd", 3), "stream: a dangling byte flushes as U+FFFD");
    CHECK(smx_detok_stream_push(&ds, 500, out, sizeof out, &len) == SMX_E_RANGE, "stream: out-of-range id");
    /* invalid UTF-8 in: replaced by U+FFFD first (HF) */
    st = smx_tokenize(t, "h\xff", 2, 0, ids, 16, &n, &e);
    CHECK(st == SMX_OK && n >= 1 && ids[0] == 2, "invalid UTF-8 input does not fail");
    /* NULL arguments */
    CHECK(smx_tokenize(NULL, "a", 1, 0, ids, 16, &n, &e) == SMX_E_ARG, "NULL tokenizer");
    CHECK(smx_tokenize(t, NULL, 1, 0, ids, 16, &n, &e) == SMX_E_ARG, "NULL text");
    CHECK(smx_tokenize(t, NULL, 0, 0, ids, 16, &n, &e) == SMX_OK && n == 0, "empty text");
    smx_tokenizer_free(t);
    smx_tokenizer_free(NULL);
}

/* Unigram (Viterbi, unk fusion) on a tiny vocabulary; expectations from tokenizers 0.23.2 */
static void t_tok_unigram(void)
{
    static const char j[] =
        "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":0,\"content\":\"<unk>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
        "\"normalized\":false,\"special\":true}],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\","
        "\"prepend_scheme\":\"always\",\"split\":true},\"post_processor\":null,\"decoder\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\","
        "\"prepend_scheme\":\"always\",\"split\":true},\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"<unk>\",0.0],"
        "[\"\\u2581\",-1.0],[\"a\",-2.0],[\"b\",-2.0],[\"ab\",-1.5],[\"\\u2581ab\",-1.0],[\"c\",-3.0],[\"ba\",-3.5]],\"byte_fallback\":false}}";
    static const struct { const char *text; int n; int32_t ids[8]; const char *dec; } c[] = {
        {"ab ab", 2, {5, 5}, "ab ab"},
        {"abc xyz ba", 6, {5, 6, 1, 0, 1, 7}, "abc <unk> ba"},
        {"bab", 3, {1, 3, 4}, "bab"},
        {"a", 2, {1, 2}, "a"},
    };
    smx_tokenizer *t;
    smx_error e;
    size_t k;
    if (smx_tokenizer_from_memory(j, sizeof j - 1, NULL, 0, &t, &e)) { CHECK(0, "unigram: %s", e.msg); return; }
    for (k = 0; k < sizeof c / sizeof c[0]; k++) {
        int32_t ids[16];
        size_t n = 0, dl;
        char d[64];
        smx_tokenize(t, c[k].text, strlen(c[k].text), 0, ids, 16, &n, &e);
        CHECK(n == (size_t)c[k].n && !memcmp(ids, c[k].ids, n * sizeof *ids), "unigram \"%s\": %lu ids", c[k].text, (unsigned long)n);
        smx_detokenize(t, c[k].ids, (size_t)c[k].n, 0, d, sizeof d, &dl, &e);
        CHECK(!strcmp(d, c[k].dec), "unigram decode \"%s\" (got \"%s\")", c[k].dec, d);
    }
    smx_tokenizer_free(t);
}

/* tokenizer.json defects: each fails with a status and a message naming the cause */
static void t_tok_bad_json(void)
{
    static const struct { const char *old, *new_; smx_status st; const char *needle; } c[] = {
        {"\"merges\":[", "\"merges\":[\"h zz\",", SMX_E_FORMAT, "'zz'"},
        {"\"merges\":[", "\"merges\":[\"h e l\",", SMX_E_FORMAT, "merges[0]"},
        {"\"type\":\"BPE\"", "\"type\":\"Fancy\"", SMX_E_UNSUPPORTED, "'Fancy'"},
        {"\"type\":\"BPE\"", "\"type\":\"Unigram\"", SMX_E_FORMAT, "must be an array"},
        {"\"pre_tokenizer\":{\"type\":\"ByteLevel\"", "\"pre_tokenizer\":{\"type\":\"Frobnicate\"", SMX_E_UNSUPPORTED, "'Frobnicate'"},
        {"\"normalizer\":null", "\"normalizer\":{\"type\":\"Zap\"}", SMX_E_UNSUPPORTED, "'Zap'"},
        {"\"decoder\":{\"type\":\"ByteLevel\"}", "\"decoder\":{\"type\":\"Blur\"}", SMX_E_UNSUPPORTED, "'Blur'"},
        {"\"post_processor\":{\"type\":\"TemplateProcessing\"", "\"post_processor\":{\"type\":\"Wrap\"", SMX_E_UNSUPPORTED, "'Wrap'"},
        {"\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true}",
         "\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(?<=x)y\"},\"behavior\":\"Isolated\",\"invert\":false}",
         SMX_E_UNSUPPORTED, "lookbehind"},
        {"\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true}",
         "\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"a\"},\"behavior\":\"Sideways\",\"invert\":false}", SMX_E_FORMAT, "behavior"},
        {"\"normalizer\":null", "\"normalizer\":{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"AAAA\"}", SMX_E_UNSUPPORTED, "Precompiled"},
        {"\"added_tokens\":[{\"id\":0,", "\"added_tokens\":[{\"id\":-3,", SMX_E_FORMAT, "added_tokens[0]"},
        {"\"h\":2", "\"h\":2000000000", SMX_E_RANGE, "2000000000"},
        {"\"h\":2", "\"h\":2.5", SMX_E_FORMAT, "invalid id"},
        {"\"model\":{", "\"modelx\":{", SMX_E_MISSING, "model"},
        {"\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[0]", "\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[77]", SMX_E_RANGE, "'<s>'"},
        {"\"merges\":[", "\"merges\":{", SMX_E_JSON, "merges"},
    };
    size_t k;
    for (k = 0; k < sizeof c / sizeof c[0]; k++) {
        char *j = t_tok_tiny_with(c[k].old, c[k].new_);
        smx_tokenizer *t = (smx_tokenizer *)1;
        smx_error e;
        smx_status st = smx_tokenizer_from_memory(j, strlen(j), NULL, 0, &t, &e);
        CHECK(st == c[k].st && t == NULL && strstr(e.msg, c[k].needle), "bad tokenizer.json #%lu: want status %d naming '%s', got %d: %s",
              (unsigned long)k, (int)c[k].st, c[k].needle, (int)st, e.msg);
        free(j);
    }
    {   /* truncated and malformed JSON */
        smx_tokenizer *t;
        smx_error e;
        size_t cut;
        int bad = 0;
        for (cut = 0; cut < strlen(t_tok_tiny); cut += 7) {
            smx_status st = smx_tokenizer_from_memory(t_tok_tiny, cut, NULL, 0, &t, &e);
            if (st == SMX_OK) { smx_tokenizer_free(t); bad++; }
        }
        CHECK(bad == 0, "every truncation of tokenizer.json fails (%d loaded)", bad);
        CHECK(smx_tokenizer_from_memory("[1,2]", 5, NULL, 0, &t, &e) == SMX_E_JSON, "top level array: %s", e.msg);
        CHECK(smx_tokenizer_from_memory(t_tok_tiny, strlen(t_tok_tiny), "{bad", 4, &t, &e) == SMX_E_JSON && strstr(e.msg, "tokenizer_config"),
              "malformed tokenizer_config.json named: %s", e.msg);
        CHECK(smx_tokenizer_load("/nonexistent/dir", &t, &e) != SMX_OK && t == NULL, "missing folder: %s", e.msg);
    }
}

/* ---- GGUF ---- */

/* a GGUF image under construction */
typedef struct t_gguf { unsigned char *p; size_t n, cap; } t_gguf;

static void t_g_put(t_gguf *g, const void *s, size_t n)
{
    if (g->n + n > g->cap) { g->cap = (g->n + n) * 2 + 64; g->p = (unsigned char *)realloc(g->p, g->cap); }
    memcpy(g->p + g->n, s, n);
    g->n += n;
}
static void t_g_u32(t_gguf *g, uint32_t v) { unsigned char b[4]; int k; for (k = 0; k < 4; k++) b[k] = (unsigned char)(v >> (8 * k)); t_g_put(g, b, 4); }
static void t_g_u64(t_gguf *g, uint64_t v) { unsigned char b[8]; int k; for (k = 0; k < 8; k++) b[k] = (unsigned char)(v >> (8 * k)); t_g_put(g, b, 8); }
static void t_g_str(t_gguf *g, const char *s) { t_g_u64(g, strlen(s)); t_g_put(g, s, strlen(s)); }
static void t_g_kv_str(t_gguf *g, const char *k, const char *v) { t_g_str(g, k); t_g_u32(g, SMX__GGUF_STRING); t_g_str(g, v); }
static void t_g_kv_u32(t_gguf *g, const char *k, uint32_t v) { t_g_str(g, k); t_g_u32(g, SMX__GGUF_U32); t_g_u32(g, v); }
static void t_g_kv_strs(t_gguf *g, const char *k, const char *const *v, int n)
{
    int i;
    t_g_str(g, k); t_g_u32(g, SMX__GGUF_ARRAY); t_g_u32(g, SMX__GGUF_STRING); t_g_u64(g, (uint64_t)n);
    for (i = 0; i < n; i++) t_g_str(g, v[i]);
}
static void t_g_tensor(t_gguf *g, const char *name, uint32_t nd, const uint64_t *dims, uint32_t type, uint64_t off)
{
    uint32_t d;
    t_g_str(g, name); t_g_u32(g, nd);
    for (d = 0; d < nd; d++) t_g_u64(g, dims[d]);
    t_g_u32(g, type); t_g_u64(g, off);
}

/* a gpt2 vocabulary of 6 tokens with 2 merges, plus tensors described by the caller */
static void t_g_vocab(t_gguf *g, uint64_t ntensors, uint64_t extra_kv)
{
    static const char *const toks[] = {"a", "b", "ab", "\xc4\xa0", ("\xc4\xa0" "ab"), "<|endoftext|>"};
    static const char *const merges[] = {"a b", "\xc4\xa0 ab"};
    g->n = 0;
    t_g_put(g, "GGUF", 4); t_g_u32(g, 3); t_g_u64(g, ntensors); t_g_u64(g, 4 + extra_kv);
    t_g_kv_str(g, "tokenizer.ggml.model", "gpt2");
    t_g_kv_str(g, "tokenizer.ggml.pre", "gpt-2");
    t_g_kv_strs(g, "tokenizer.ggml.tokens", toks, 6);
    t_g_kv_strs(g, "tokenizer.ggml.merges", merges, 2);
}

static void t_g_pad(t_gguf *g, size_t align) { static const unsigned char z[64] = {0}; while (g->n % align) t_g_put(g, z, 1); }

static void t_tok_gguf(void)
{
    t_gguf g;
    smx__gguf gg;
    smx_error e;
    smx_tokenizer *t;
    int32_t ids[8];
    size_t n;
    uint64_t d2[2] = {32, 2}, d1[1] = {64};
    memset(&g, 0, sizeof g);
    /* a valid vocab-only file tokenizes */
    t_g_vocab(&g, 0, 0);
    if (smx_tokenizer_from_gguf_memory(g.p, g.n, &t, &e) != SMX_OK) CHECK(0, "vocab-only GGUF: %s", e.msg);
    else {
        CHECK(smx_tokenize(t, "ab ab", 5, 0, ids, 8, &n, &e) == SMX_OK && n == 2 && ids[0] == 2 && ids[1] == 4, "gguf: 'ab ab' -> [2, 4]");
        smx_tokenizer_free(t);
    }
    /* valid tensors: F32 [32, 2] at 0 and Q8_0 [64] at 256 */
    t_g_vocab(&g, 2, 0);
    t_g_tensor(&g, "w", 2, d2, 0, 0);
    t_g_tensor(&g, "q", 1, d1, 8, 256);
    t_g_pad(&g, 32);
    { size_t base = g.n; while (g.n < base + 256 + 68) t_g_u32(&g, 0); }
    if (smx__gguf_open(&gg, g.p, g.n, "t.gguf", &e) != SMX_OK) CHECK(0, "valid GGUF with tensors: %s", e.msg);
    else {
        const smx__gguf_tensor *w = smx__gguf_tensor_find(&gg, "w"), *q = smx__gguf_tensor_find(&gg, "q");
        const char *s;
        size_t sl;
        CHECK(w && w->nbytes == 256 && w->n_dims == 2 && w->dims[1] == 2 && q && q->nbytes == 68 && q->offset == w->offset + 256,
              "tensor table: sizes from block sizes, absolute offsets");
        CHECK(smx__gguf_get_str(&gg, "tokenizer.ggml.model", &s, &sl) == 1 && sl == 4 && smx__gguf_get_str(&gg, "nope", &s, &sl) == 0,
              "typed string getter");
        smx__gguf_close(&gg);
    }
    /* defects */
    {
        struct { const char *what, *needle; smx_status st; } r[20];
        int nr = 0, k;
        unsigned char *bufs[20];
        size_t lens[20];
#define T_G_CASE(w, nd, s) do { bufs[nr] = (unsigned char *)malloc(g.n + 1); memcpy(bufs[nr], g.p, g.n); lens[nr] = g.n; r[nr].what = w; r[nr].needle = nd; r[nr].st = s; nr++; } while (0)
        t_g_vocab(&g, 0, 0); memcpy(g.p, "GGUX", 4); T_G_CASE("bad magic", "magic", SMX_E_FORMAT);
        t_g_vocab(&g, 0, 0); g.p[4] = 1; T_G_CASE("version 1", "version 1", SMX_E_UNSUPPORTED);
        t_g_vocab(&g, 0, 0); g.p[4] = 4; T_G_CASE("version 4", "version 4", SMX_E_UNSUPPORTED);
        g.n = 0; t_g_put(&g, "GGUF", 4); t_g_u32(&g, 3); t_g_u64(&g, 0); t_g_u64(&g, (uint64_t)1 << 63); T_G_CASE("2^63 keys", "keys", SMX_E_FORMAT);
        g.n = 0; t_g_put(&g, "GGUF", 4); t_g_u32(&g, 3); t_g_u64(&g, (uint64_t)1 << 63); t_g_u64(&g, 0); T_G_CASE("2^63 tensors", "tensors", SMX_E_FORMAT);
        g.n = 0; t_g_put(&g, "GGUF", 4); t_g_u32(&g, 3); t_g_u64(&g, 0); t_g_u64(&g, 1); t_g_str(&g, "k"); t_g_u32(&g, SMX__GGUF_STRING);
        t_g_u64(&g, 1000000); t_g_put(&g, "abcd", 4); T_G_CASE("string past the end", "'k'", SMX_E_FORMAT);
        g.n = 0; t_g_put(&g, "GGUF", 4); t_g_u32(&g, 3); t_g_u64(&g, 0); t_g_u64(&g, 1); t_g_str(&g, "arr"); t_g_u32(&g, SMX__GGUF_ARRAY);
        t_g_u32(&g, SMX__GGUF_U32); t_g_u64(&g, (uint64_t)1 << 62); t_g_u32(&g, 7); T_G_CASE("array past the end", "'arr'", SMX_E_FORMAT);
        g.n = 0; t_g_put(&g, "GGUF", 4); t_g_u32(&g, 3); t_g_u64(&g, 0); t_g_u64(&g, 1); t_g_str(&g, "nest"); t_g_u32(&g, SMX__GGUF_ARRAY);
        t_g_u32(&g, SMX__GGUF_ARRAY); t_g_u64(&g, 1); t_g_u32(&g, 0); T_G_CASE("nested array", "nested", SMX_E_FORMAT);
        g.n = 0; t_g_put(&g, "GGUF", 4); t_g_u32(&g, 3); t_g_u64(&g, 0); t_g_u64(&g, 1); t_g_str(&g, "odd"); t_g_u32(&g, 99); t_g_u32(&g, 0);
        T_G_CASE("unknown value type", "type 99", SMX_E_FORMAT);
        t_g_vocab(&g, 0, 1); t_g_kv_str(&g, "tokenizer.ggml.pre", "again"); T_G_CASE("duplicate key", "duplicate metadata key 'tokenizer.ggml.pre'", SMX_E_FORMAT);
        t_g_vocab(&g, 0, 1); t_g_kv_u32(&g, "general.alignment", 24); T_G_CASE("alignment not a power of two", "alignment", SMX_E_FORMAT);
        { uint64_t big[3] = {1u << 30, 1u << 30, 1u << 30};
          t_g_vocab(&g, 1, 0); t_g_tensor(&g, "huge", 3, big, 0, 0); t_g_pad(&g, 32); T_G_CASE("dims overflow / outside", "'huge'", SMX_E_FORMAT); }
        { uint64_t ov[4] = {(uint64_t)1 << 62, 8, 8, 8};
          t_g_vocab(&g, 1, 0); t_g_tensor(&g, "ovf", 4, ov, 0, 0); T_G_CASE("dims product overflows", "overflows", SMX_E_FORMAT); }
        t_g_vocab(&g, 1, 0); t_g_tensor(&g, "mis", 1, d1, 0, 8); t_g_pad(&g, 32); { int z; for (z = 0; z < 100; z++) t_g_u32(&g, 0); }
        T_G_CASE("misaligned offset", "not a multiple", SMX_E_FORMAT);
        t_g_vocab(&g, 1, 0); t_g_tensor(&g, "far", 1, d1, 0, 4096); t_g_pad(&g, 32); T_G_CASE("out-of-file offset", "outside the file", SMX_E_FORMAT);
        t_g_vocab(&g, 2, 0); t_g_tensor(&g, "x", 1, d1, 0, 0); t_g_tensor(&g, "y", 1, d1, 0, 128); t_g_pad(&g, 32);
        { int z; for (z = 0; z < 100; z++) t_g_u32(&g, 0); } T_G_CASE("overlapping tensors", "overlap", SMX_E_FORMAT);
        t_g_vocab(&g, 2, 0); t_g_tensor(&g, "x", 1, d1, 0, 0); t_g_tensor(&g, "x", 1, d1, 0, 256); t_g_pad(&g, 32);
        { int z; for (z = 0; z < 200; z++) t_g_u32(&g, 0); } T_G_CASE("duplicate tensor name", "duplicate tensor name 'x'", SMX_E_FORMAT);
        t_g_vocab(&g, 1, 0); t_g_tensor(&g, "q42", 1, d1, 4, 0); t_g_pad(&g, 32); T_G_CASE("removed type", "Q4_2", SMX_E_UNSUPPORTED);
        t_g_vocab(&g, 1, 0); t_g_tensor(&g, "q4", 1, d1, 2, 0); g.p[g.n - 20] = 33; T_G_CASE("first dim not a block multiple", "block", SMX_E_FORMAT);
        for (k = 0; k < nr; k++) {
            smx_status st = smx__gguf_open(&gg, bufs[k], lens[k], "t.gguf", &e);
            if (!strcmp(r[k].what, "removed type")) {   /* the tokenizer only reads the metadata: any tensor type will do */
                smx_tokenizer *ti;
                smx_error e2;
                CHECK(smx_tokenizer_from_gguf_memory(bufs[k], lens[k], &ti, &e2) == SMX_OK, "tokenizer from a GGUF with a tensor of a removed type: %s", e2.msg);
                smx_tokenizer_free(ti);
            }
            CHECK(st == r[k].st && strstr(e.msg, r[k].needle) && gg.mem == NULL, "GGUF defect '%s': want %d naming '%s', got %d: %s",
                  r[k].what, (int)r[k].st, r[k].needle, (int)st, st ? e.msg : "ok");
            if (!st) smx__gguf_close(&gg);
            /* every truncation of the defective file fails cleanly too */
            free(bufs[k]);
        }
#undef T_G_CASE
    }
    /* truncations of a valid file: never a crash; the tokenizer either loads or names the cause */
    {
        size_t cut, loaded = 0;
        t_g_vocab(&g, 0, 0);
        for (cut = 0; cut < g.n; cut++) {
            smx_status st = smx_tokenizer_from_gguf_memory(g.p, cut, &t, &e);
            if (!st) { loaded++; smx_tokenizer_free(t); }
        }
        CHECK(loaded == 0, "truncated GGUF images fail (%lu loaded)", (unsigned long)loaded);
    }
    /* tokenizer-level GGUF defects */
    g.n = 0; t_g_put(&g, "GGUF", 4); t_g_u32(&g, 3); t_g_u64(&g, 0); t_g_u64(&g, 1); t_g_kv_str(&g, "tokenizer.ggml.model", "xyz");
    CHECK(smx_tokenizer_from_gguf_memory(g.p, g.n, &t, &e) == SMX_E_UNSUPPORTED && strstr(e.msg, "'xyz'"), "unknown tokenizer model named: %s", e.msg);
    g.n = 0; t_g_put(&g, "GGUF", 4); t_g_u32(&g, 3); t_g_u64(&g, 0); t_g_u64(&g, 2); t_g_kv_str(&g, "tokenizer.ggml.model", "gpt2");
    t_g_kv_str(&g, "tokenizer.ggml.pre", "mystery");
    CHECK(smx_tokenizer_from_gguf_memory(g.p, g.n, &t, &e) == SMX_E_UNSUPPORTED && strstr(e.msg, "'mystery'"), "unknown pre type named: %s", e.msg);
    g.n = 0; t_g_put(&g, "GGUF", 4); t_g_u32(&g, 3); t_g_u64(&g, 0); t_g_u64(&g, 0);
    CHECK(smx_tokenizer_from_gguf_memory(g.p, g.n, &t, &e) == SMX_E_MISSING && strstr(e.msg, "tokenizer.ggml.model"), "no tokenizer keys: %s", e.msg);
    free(g.p);
}

/* the streaming decoder reproduces the batch decode of every golden text */
static void t_tok_stream_golden(const char *name, const char *file)
{
    char dir[1024], path[2048 + 64], *texts_s;
    size_t tn;
    smx__arena a;
    smx__jv *texts;
    const smx__jv *c;
    smx_tokenizer *t;
    smx_error e;
    int bad = 0, cnt = 0;
    memset(&a, 0, sizeof a);
    snprintf(dir, sizeof dir, "%s/%s", T_TOK_GOLDEN, name);
    snprintf(path, sizeof path, "%s/texts.json", dir);
    if (!(texts_s = t_tok_read(path, &tn))) { SKIP("stream test: %s not found", name); return; }
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (smx__json_parse(texts_s, tn, &a, 0, "texts.json", &texts, &e) || smx_tokenizer_load(file[0] ? path : dir, &t, &e)) {
        CHECK(0, "%s", e.msg); free(texts_s); smx__arena_free(&a); return;
    }
    for (c = smx__jget(texts, "texts")->child; c; c = c->next) {
        const smx__jv *tx = smx__jget(c, "text");
        size_t n, k, dl, sl = 0;
        smx_status st;
        int32_t *ids = t_tok_encode(t, tx->str, tx->slen, SMX_TOK_PARSE_SPECIAL | SMX_TOK_ADD_SPECIAL, &n, &st);
        char *d = t_tok_decode(t, ids, n, 0, &dl), *s = (char *)malloc(dl * 3 + 64), piece[4096];
        smx_detok_stream ds;
        smx_detok_stream_init(&ds, t, 0);
        for (k = 0; k < n; k++) {
            size_t pl;
            if (smx_detok_stream_push(&ds, ids[k], piece, sizeof piece, &pl) == SMX_OK) { memcpy(s + sl, piece, pl); sl += pl; }
        }
        if (smx_detok_stream_flush(&ds, piece, sizeof piece, &k) == SMX_OK) { memcpy(s + sl, piece, k); sl += k; }
        /* documented difference for GGUF: no clean-up of spaces before punctuation */
        if (t->src == SMX__TOK_SRC_HF || !t->clean_spaces) {
            if (sl != dl || memcmp(s, d, dl)) { if (bad++ < 2) printf("  stream %s/%s: \"%.60s\" vs \"%.60s\"\n", name, smx__jget(c, "id")->str, s, d); }
        }
        cnt++;
        free(ids); free(d); free(s);
    }
    CHECK(bad == 0, "%s: streaming decode differs from batch decode for %d of %d texts", name, bad, cnt);
    smx_tokenizer_free(t);
    free(texts_s);
    smx__arena_free(&a);
}

static void test_tok(void)
{
    t_tok_golden();
    t_tok_regex();
    t_tok_fast_vs_engine();
    t_tok_normalizers();
    t_tok_api();
    t_tok_unigram();
    t_tok_bad_json();
    t_tok_gguf();
    t_tok_stream_golden("hf-llama3", "");
    t_tok_stream_golden("hf-mistral", "");
    t_tok_stream_golden("gguf-llama-spm", "ggml-vocab-llama-spm.gguf");
}
