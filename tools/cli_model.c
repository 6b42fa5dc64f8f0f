/* cli_model.c — what the seqmix tool's model commands share: loading a model (a folder or a .gguf
 * file) with the weight-type flags, the prompt as token ids (--ids, or --prompt through the model's
 * own tokenizer), and generated tokens printed as text as they come (the streaming decoder).
 * Included by seqmix.c after cli_util.c and cli_text.c; it uses only the public API. */

/* The types smx_load_options.weights takes (seqmix.h I.2); tests/t_cli.c checks that this list is
 * the library's. */
#define CLI_WEIGHT_TYPES "stored|f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|iq4_nl|q4_k|q5_k|q6_k"

/* Flag rows for the commands' tables. */
#define CLI_FLAG_WEIGHTS                                                                                    \
    { "--weights", NULL, CLI_NAME, "TYPE", NULL, 0, 0, CLI_WEIGHT_TYPES, 0,                                 \
      "hold the weight matrices in TYPE, converted at load (default: as stored; any case)" }
#define CLI_FLAG_EXACT                                                                                      \
    { "--exact", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0,                                                 \
      "quantized weights meet float32 activations (no rounding of activations; slower)" }
#define CLI_FLAG_NO_SPECIAL                                                                                 \
    { "--no-special", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0,                                            \
      "encode the text as it is: no BOS/EOS added, special-token text read as plain text" }
#define CLI_FLAG_PARSE_SPECIAL                                                                              \
    { "--parse-special", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0,                                         \
      "with --no-special: still recognise special-token text (the default without --no-special)" }
#define CLI_FLAG_PRINT_IDS                                                                                  \
    { "--print-ids", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "print the generated token ids instead of the text" }
#define CLI_FLAG_IGNORE_EOS                                                                                 \
    { "--ignore-eos", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0,                                            \
      "do not stop at an end-of-generation token (the tokenizer's EOS ids)" }

/* Load options from the command's --weights and --exact (where it has them). */
static void cli_load_options(const cli_args *a, smx_load_options *o)
{
    smx_load_default_options(o);
    if (cli_has(a, "--weights")) o->weights = cli_str(a, "--weights");
    if (cli_has(a, "--exact")) o->exact = cli_on(a, "--exact");
}

/* Load the model at path (a folder or a .gguf file) with the command's load options, reporting a
 * failure as "seqmix CMD: PATH: status: message". 0 ok; 2 it cannot be loaded (1: out of memory).
 * ms (may be NULL) receives the load time. */
static int cli_load(const cli_args *a, const char *path, smx_model **m, double *ms)
{
    smx_load_options o;
    smx_error err;
    double t0 = cli_now();
    cli_load_options(a, &o);
    if (smx_model_load_ex(path, &o, m, &err) != SMX_OK) {
        fprintf(stderr, "seqmix %s: %s: %s: %s\n", a->cmd, path, smx_status_str(err.status), err.msg);
        return err.status == SMX_E_NOMEM ? 1 : 2;
    }
    if (ms) *ms = (cli_now() - t0) * 1e3;
    return 0;
}

/* Usage errors of --no-special / --parse-special (they shape how text is encoded): 0 or 2. */
static int cli_special_check(const cli_args *a, const char *text_flag)
{
    if (cli_given(a, "--parse-special") && !cli_given(a, "--no-special"))
        return cli_fail(a, "--parse-special", "goes with --no-special (special-token text is recognised by default)");
    if (text_flag && !cli_given(a, text_flag)) {
        if (cli_given(a, "--no-special")) return cli_fail(a, "--no-special", "applies to %s text only", text_flag);
        if (cli_given(a, "--parse-special")) return cli_fail(a, "--parse-special", "applies to %s text only", text_flag);
    }
    return 0;
}

/* SMX_TOK_* encode flags from --no-special / --parse-special: by default BOS/EOS as the tokenizer
 * adds them and special-token text recognised. */
static int cli_encode_flags(const cli_args *a)
{
    if (!cli_on(a, "--no-special")) return SMX_TOK_ADD_SPECIAL | SMX_TOK_PARSE_SPECIAL;
    return cli_on(a, "--parse-special") ? SMX_TOK_PARSE_SPECIAL : 0;
}

/* text[0..len) encoded with tok into a malloc'd array (*ids, *n). 0 ok; 1 out of memory; 2 the
 * tokenizer refused (message printed, naming flag). */
static int cli_tokenize(const cli_args *a, const char *flag, const smx_tokenizer *tok, const char *text, size_t len, int flags,
                        int32_t **ids, size_t *n)
{
    size_t cap = len + 16, got = 0;
    smx_error e;
    smx_status st;
    *ids = NULL;
    *n = 0;
    for (;;) {
        int32_t *v = (int32_t *)malloc(sizeof(int32_t) * cap);
        if (!v) { fprintf(stderr, "seqmix %s: out of memory for the ids of %lu bytes\n", a->cmd, (unsigned long)len); return 1; }
        st = smx_tokenize(tok, text, len, flags, v, cap, &got, &e);
        if (st == SMX_E_CAPACITY && got > cap) { free(v); cap = got; continue; }
        if (st != SMX_OK) {
            free(v);
            if (st == SMX_E_NOMEM) { fprintf(stderr, "seqmix %s: out of memory tokenizing the text\n", a->cmd); return 1; }
            return cli_fail(a, flag, "the tokenizer refused the text: %s", e.msg);
        }
        *ids = v;
        *n = got;
        return 0;
    }
}

/* The prompt of a generating command as ids of model m (loaded from path): --ids as given, or
 * --prompt encoded with the model's tokenizer (cli_encode_flags). Every id must be inside the
 * vocabulary. 0 ok (*ids malloc'd); 1 out of memory; 2 a usage error (printed). */
static int cli_prompt_ids(const cli_args *a, const smx_model *m, const char *path, int32_t **ids, int *n)
{
    const char *prompt = cli_str(a, "--prompt"), *why = NULL, *flag = prompt ? "--prompt" : "--ids";
    int V = smx_model_vocab(m), i, rc;
    *ids = NULL;
    *n = 0;
    if (prompt) {
        const smx_tokenizer *tok = smx_model_tokenizer(m, &why);
        size_t got;
        if (!tok) return cli_fail(a, "--prompt", "%s has no tokenizer (%s): give the prompt as token ids with --ids", path, why);
        if ((rc = cli_tokenize(a, "--prompt", tok, prompt, strlen(prompt), cli_encode_flags(a), ids, &got))) return rc;
        if (!got) { free(*ids); *ids = NULL; return cli_fail(a, "--prompt", "'%s' gives no tokens", prompt); }
        if (got > (size_t)INT_MAX / 2) { free(*ids); *ids = NULL; return cli_fail(a, "--prompt", "more than %d tokens", INT_MAX / 2); }
        *n = (int)got;
    } else if ((rc = cli_int_list(a, "--ids", 0, INT32_MAX, ids, n))) {
        return rc == 3 ? 1 : 2;
    }
    for (i = 0; i < *n; i++)
        if ((*ids)[i] >= V) {
            rc = prompt ? cli_fail(a, flag, "the tokenizer gave id %ld (token %d), outside the model's vocabulary of %d", (long)(*ids)[i], i + 1, V)
                        : cli_fail(a, flag, "id %ld (item %d) is out of range for the model's vocabulary of %d", (long)(*ids)[i], i + 1, V);
            free(*ids);
            *ids = NULL;
            *n = 0;
            return rc;
        }
    return 0;
}

/* Whether id ends generation for tok (one of smx_tokenizer_eos_ids; never without a tokenizer). */
static int cli_is_eos(const smx_tokenizer *tok, int32_t id)
{
    const int32_t *e;
    int n = tok ? smx_tokenizer_eos_ids(tok, &e) : 0, i;
    for (i = 0; i < n; i++)
        if (e[i] == id) return 1;
    return 0;
}

/* Tokens printed as they come: text through the streaming decoder (special tokens left out), or
 * comma-separated ids when there is no tokenizer to decode with. */
typedef struct cli_out {
    const smx_tokenizer *tok;   /* NULL: ids */
    smx_detok_stream st;
    FILE *f;
    long n;                     /* ids pushed */
} cli_out;

static void cli_out_init(cli_out *o, const smx_tokenizer *tok, FILE *f)
{
    memset(o, 0, sizeof *o);
    o->tok = tok;
    o->f = f;
    if (tok) smx_detok_stream_init(&o->st, tok, SMX_TOK_SKIP_SPECIAL);
}

/* Print what a stream call completed; a piece larger than the buffer goes through the heap. */
static void cli_out_piece(cli_out *o, int32_t id, int flush)
{
    char buf[256], *p = buf;
    size_t len = 0;
    smx_status st = flush ? smx_detok_stream_flush(&o->st, buf, sizeof buf, &len) : smx_detok_stream_push(&o->st, id, buf, sizeof buf, &len);
    if (st == SMX_E_CAPACITY && (p = (char *)malloc(len + 1)) != NULL)
        st = flush ? smx_detok_stream_flush(&o->st, p, len + 1, &len) : smx_detok_stream_push(&o->st, id, p, len + 1, &len);
    if (st == SMX_OK) fwrite(p, 1, len, o->f);
    else if (!flush) fprintf(o->f, "<%ld>", (long)id);   /* outside the tokenizer's ids (a padded vocabulary) */
    if (p != buf) free(p);
}

static void cli_out_push(cli_out *o, int32_t id)
{
    if (o->tok) cli_out_piece(o, id, 0);
    else fprintf(o->f, "%s%ld", o->n ? "," : "", (long)id);
    o->n++;
    fflush(o->f);
}

static void cli_out_end(cli_out *o)
{
    if (o->tok) cli_out_piece(o, -1, 1);
    fflush(o->f);
}
