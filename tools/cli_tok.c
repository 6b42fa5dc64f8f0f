/* cli_tok.c — the tokenizer commands: `seqmix tokenize`, `seqmix detokenize`, `seqmix bench-tokenizer`.
 * SRC is anything smx_tokenizer_load reads: a tokenizer.json, a folder holding one (a model folder
 * too; tokenizer_config.json and generation_config.json beside it are read), or a .gguf file.
 * Included by seqmix.c after cli_util.c, cli_text.c, cli_model.c and cli_bench.c (bench_printf). */

/* Load the tokenizer at src; 0 ok, else the message is printed and the exit status returned. */
static int cli_tok_load(const cli_args *a, const char *src, smx_tokenizer **t)
{
    smx_error e;
    if (smx_tokenizer_load(src, t, &e) != SMX_OK) {
        fprintf(stderr, "seqmix %s: %s: %s: %s\n", a->cmd, src, smx_status_str(e.status), e.msg);
        return e.status == SMX_E_NOMEM ? 1 : 2;
    }
    return 0;
}

/* The text of --text or --file (malloc'd, *n bytes, NUL-terminated). 0 ok, else the exit status. */
static int cli_tok_text(const cli_args *a, char **text, size_t *n)
{
    const char *s = cli_str(a, "--text"), *path = cli_str(a, "--file");
    int rc;
    *text = NULL;
    if ((rc = cli_one_of(a, "--text", "--file"))) return rc;
    if (s) {
        *n = strlen(s);
        if (!(*text = (char *)malloc(*n + 1))) { fprintf(stderr, "seqmix %s: out of memory\n", a->cmd); return 1; }
        memcpy(*text, s, *n + 1);
        return 0;
    }
    if (!(*text = (char *)txt_read_file(path, n))) return cli_fail(a, "--file", "%s: cannot read", path);
    {   /* room for the NUL (txt_read_file's buffer may be exactly full) */
        char *t = (char *)realloc(*text, *n + 1);
        if (!t) { free(*text); *text = NULL; fprintf(stderr, "seqmix %s: out of memory\n", a->cmd); return 1; }
        *text = t;
        (*text)[*n] = 0;
    }
    return 0;
}

/* A token's vocabulary string, quoted, with control bytes, quotes and backslashes escaped. */
static void cli_tok_put_piece(FILE *f, const char *p, size_t n)
{
    size_t i;
    fputc('"', f);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\x%02x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

/* ---- tokenize ---- */

static const cli_flag tokenize_flags[] = {
    { "--text", NULL, CLI_STR, "TEXT", NULL, 0, 0, NULL, 0, "the text to encode" },
    { "--file", NULL, CLI_STR, "FILE", NULL, 0, 0, NULL, 0, "encode the bytes of FILE, exactly (- = standard input)" },
    { "--ids-only", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "print only the ids, comma-separated (what --ids flags take)" },
    CLI_FLAG_NO_SPECIAL,
    CLI_FLAG_PARSE_SPECIAL,
};

static int cmd_tokenize(const cli_args *a)
{
    smx_tokenizer *t = NULL;
    char *text = NULL;
    int32_t *ids = NULL;
    size_t n = 0, n_ids = 0, i;
    int rc;
    if ((rc = cli_special_check(a, NULL))) return rc;
    if ((rc = cli_tok_text(a, &text, &n))) return rc;
    if ((rc = cli_tok_load(a, a->pos[0], &t))) { free(text); return rc; }
    rc = cli_tokenize(a, cli_given(a, "--text") ? "--text" : "--file", t, text, n, cli_encode_flags(a), &ids, &n_ids);
    if (!rc && cli_on(a, "--ids-only")) {
        for (i = 0; i < n_ids; i++) printf("%s%ld", i ? "," : "", (long)ids[i]);
        printf("\n");
    } else if (!rc) {
        for (i = 0; i < n_ids; i++) {
            size_t len = 0;
            const char *p = smx_token_piece(t, ids[i], &len);
            printf("%8ld  ", (long)ids[i]);
            cli_tok_put_piece(stdout, p ? p : "", p ? len : 0);
            printf("%s\n", smx_tokenizer_is_special(t, ids[i]) ? "  special" : "");
        }
        printf("%lu tokens for %lu bytes\n", (unsigned long)n_ids, (unsigned long)n);
    }
    free(ids); free(text);
    smx_tokenizer_free(t);
    return rc;
}

/* ---- detokenize ---- */

static const cli_flag detokenize_flags[] = {
    { "--ids", NULL, CLI_STR, "1,2,3", NULL, 0, 0, NULL, 0, "the token ids, comma-separated (required)" },
    { "--skip-special", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "leave special tokens (BOS, EOS, ...) out of the text" },
};

static int cmd_detokenize(const cli_args *a)
{
    smx_tokenizer *t = NULL;
    int32_t *ids = NULL;
    char *out = NULL;
    size_t len = 0;
    int n = 0, rc, flags = cli_on(a, "--skip-special") ? SMX_TOK_SKIP_SPECIAL : 0;
    smx_error e;
    smx_status st;
    if (!cli_given(a, "--ids")) return cli_fail(a, "--ids", "is required (the ids to decode)");
    if ((rc = cli_int_list(a, "--ids", 0, INT32_MAX, &ids, &n))) return rc == 3 ? 1 : 2;
    if ((rc = cli_tok_load(a, a->pos[0], &t))) { free(ids); return rc; }
    st = smx_detokenize(t, ids, (size_t)n, flags, NULL, 0, &len, &e);
    if (st == SMX_E_CAPACITY || st == SMX_OK) {
        if (!(out = (char *)malloc(len + 1))) st = SMX_E_NOMEM;
        else st = smx_detokenize(t, ids, (size_t)n, flags, out, len + 1, &len, &e);
    }
    if (st == SMX_E_RANGE) rc = cli_fail(a, "--ids", "%s", e.msg);
    else if (st != SMX_OK) { fprintf(stderr, "seqmix detokenize: %s\n", st == SMX_E_NOMEM ? "out of memory" : e.msg); rc = 1; }
    else {
        fwrite(out, 1, len, stdout);
        printf("\n");
    }
    free(ids); free(out);
    smx_tokenizer_free(t);
    return rc;
}

/* ---- bench-tokenizer ---- */

static const cli_flag bench_tokenizer_flags[] = {
    { "--rounds", NULL, CLI_INT, "N", "5", 1, 1000, NULL, 0, "encode and decode rounds (figures: median (min..max))" },
    { "--check", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "fail (exit status 1) when decode(encode(text)) is not the text" },
    { "--json", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "results as JSON on stdout (the text goes to stderr)" },
};

static int cmd_bench_tokenizer(const cli_args *a)
{
    enum { MAXR = 1000 };
    const char *src = a->pos[0], *path = a->pos[1];
    int rounds = (int)cli_int(a, "--rounds"), r, rc = 0;
    smx_tokenizer *t = NULL;
    unsigned char *text = NULL;
    char *dec = NULL;
    int32_t *ids = NULL;
    size_t n = 0, n_ids = 0, got = 0, len = 0, dcap, i;
    double *te = NULL, *td = NULL, t0, load_s;
    cli_stat se, sd;
    char b1[64], b2[64];
    smx_error e;
    if (!(text = txt_read_file(path, &n))) { fprintf(stderr, "seqmix bench-tokenizer: %s: cannot read\n", path); return 2; }
    t0 = cli_now();
    if ((rc = cli_tok_load(a, src, &t))) { free(text); return rc; }
    load_s = cli_now() - t0;
    /* the ids once, for their count (plain text: no specials added, special-token text as text) */
    if ((rc = cli_tokenize(a, NULL, t, (const char *)text, n, 0, &ids, &n_ids))) goto out;
    if (smx_detokenize(t, ids, n_ids, 0, NULL, 0, &len, &e) != SMX_E_CAPACITY && len) { fprintf(stderr, "seqmix bench-tokenizer: %s\n", e.msg); rc = 1; goto out; }
    dcap = len + 1;
    dec = (char *)malloc(dcap);
    te = (double *)malloc(sizeof(double) * (size_t)rounds);
    td = (double *)malloc(sizeof(double) * (size_t)rounds);
    if (!dec || !te || !td) { fprintf(stderr, "seqmix bench-tokenizer: out of memory\n"); rc = 1; goto out; }
    bench_open("bench-tokenizer", cli_on(a, "--json"), 1, 0);
    for (r = 0; r < rounds; r++) {
        t0 = cli_now();
        if (smx_tokenize(t, (const char *)text, n, 0, ids, n_ids, &got, &e) != SMX_OK) { bench_printf("encode: %s\n", e.msg); rc = 1; break; }
        te[r] = cli_now() - t0;
        t0 = cli_now();
        if (smx_detokenize(t, ids, got, 0, dec, dcap, &len, &e) != SMX_OK) { bench_printf("decode: %s\n", e.msg); rc = 1; break; }
        td[r] = cli_now() - t0;
    }
    if (!rc) {
        se = cli_stat_inv(cli_stats(te, rounds), (double)n / 1e6);    /* MB/s of text */
        sd = cli_stat_inv(cli_stats(td, rounds), (double)len / 1e6);
        bench_printf("tokenizer    %s: %s, %d ids, loaded in %.1f ms\n", src, smx_tokenizer_kind(t), smx_tokenizer_vocab_size(t), load_s * 1e3);
        bench_printf("text         %s: %lu bytes -> %lu tokens (%.2f bytes per token)\n", path, (unsigned long)n, (unsigned long)n_ids,
                     n_ids ? (double)n / (double)n_ids : 0.0);
        bench_printf("encode       %s MB/s  (%d rounds)\n", cli_fmt_stat(b1, sizeof b1, "%.2f", se), rounds);
        bench_printf("decode       %s MB/s\n", cli_fmt_stat(b2, sizeof b2, "%.2f", sd));
        for (i = 0; i < n && i < len && (unsigned char)dec[i] == text[i]; i++) {}
        if (i == n && len == n) bench_printf("round trip   exact: decode(encode(text)) is the text, all %lu bytes\n", (unsigned long)n);
        else {
            bench_printf("round trip   differs from the text at byte %lu (%lu bytes decoded, %lu in the text): the tokenizer does not\n"
                         "             give this text back%s\n", (unsigned long)i, (unsigned long)len, (unsigned long)n,
                         cli_on(a, "--check") ? "" : " (normalizers, unknown tokens and added prefix spaces lose bytes)");
            if (cli_on(a, "--check")) rc = 1;
        }
        bench_val("tokenizer", src, "bytes", "B", (double)n);
        bench_val("tokenizer", src, "tokens", "count", (double)n_ids);
        bench_rec("tokenizer", src, "encode", "MB/s", se);
        bench_rec("tokenizer", src, "decode", "MB/s", sd);
        bench_val("tokenizer", src, "round_trip_exact", "bool", i == n && len == n);
    }
    bench_close();
out:
    free(text); free(dec); free(ids); free(te); free(td);
    smx_tokenizer_free(t);
    return rc;
}
