/* cli_diffuse.c — `seqmix diffuse`: masked-diffusion generation from token ids or text.
 * Included by seqmix.c after cli_util.c, cli_text.c and cli_model.c. */

/* ids[0..n) as text (special tokens left out) on stdout, '_' for each mask id; newlines as spaces
 * when oneline. Without a tokenizer: the ids, ' _' for a mask. */
static void cli_diffuse_print(const smx_tokenizer *tok, const int32_t *ids, int n, int32_t mask, int oneline)
{
    int i = 0, j;
    while (i < n) {
        if (ids[i] == mask) { fputs(tok ? "_" : " _", stdout); i++; continue; }
        if (!tok) { printf("%s%ld", i ? " " : "", (long)ids[i]); i++; continue; }
        for (j = i; j < n && ids[j] != mask; j++) {}
        {   /* the run ids[i..j) of committed tokens */
            char buf[1024], *p = buf;
            size_t len = 0, k;
            smx_status st = smx_detokenize(tok, ids + i, (size_t)(j - i), SMX_TOK_SKIP_SPECIAL, buf, sizeof buf, &len, NULL);
            if (st == SMX_E_CAPACITY && (p = (char *)malloc(len + 1)) != NULL)
                st = smx_detokenize(tok, ids + i, (size_t)(j - i), SMX_TOK_SKIP_SPECIAL, p, len + 1, &len, NULL);
            if (st == SMX_OK) {
                if (oneline)
                    for (k = 0; k < len; k++) if (p[k] == '\n' || p[k] == '\r') p[k] = ' ';
                fwrite(p, 1, len, stdout);
            } else {
                for (k = (size_t)i; k < (size_t)j; k++) printf("<%ld>", (long)ids[k]);
            }
            if (p != buf) free(p);
        }
        i = j;
    }
}

/* --show-steps: the generated part of the canvas after each step, '_' where still masked. */
typedef struct cli_diffuse_show { int n_prompt; const smx_tokenizer *tok; int32_t mask; } cli_diffuse_show;

static int cli_diffuse_step(const int32_t *canvas, int n, int step, void *user)
{
    const cli_diffuse_show *sh = (const cli_diffuse_show *)user;
    printf("step %3d:%s", step, sh->tok ? " " : "");
    cli_diffuse_print(sh->tok, canvas + sh->n_prompt, n - sh->n_prompt, sh->mask, 1);
    printf("\n");
    fflush(stdout);
    return 0;
}

static const cli_flag diffuse_flags[] = {
    { "--ids", NULL, CLI_STR, "1,2,3", NULL, 0, 0, NULL, 0, "prompt token ids" },
    { "--prompt", NULL, CLI_STR, "TEXT", NULL, 0, 0, NULL, 0, "prompt text, encoded with the model's tokenizer" },
    CLI_FLAG_NO_SPECIAL,
    CLI_FLAG_PARSE_SPECIAL,
    CLI_FLAG_PRINT_IDS,
    CLI_FLAG_IGNORE_EOS,
    { "--gen-length", NULL, CLI_INT, "N", "128", 1, 1 << 24, NULL, 0, "tokens to generate" },
    { "--steps", NULL, CLI_INT, "N", NULL, 1, 1 << 24, NULL, 0, "denoising steps over all blocks (default: gen-length)" },
    { "--block-length", NULL, CLI_INT, "N", NULL, 1, 1 << 24, NULL, 0, "semi-autoregressive block (default: gen-length)" },
    { "--temperature", "--temp", CLI_FLOAT, "X", "0", 0, 100, NULL, 0, "0: argmax; > 0: Gumbel-max sampling" },
    { "--cfg", NULL, CLI_FLOAT, "X", "0", 0, 100, NULL, 0, "classifier-free guidance scale; 0 = off" },
    { "--remasking", NULL, CLI_STR, "HOW", "low_confidence", 0, 0, "low_confidence|random", 0, "which positions stay masked" },
    { "--threshold", NULL, CLI_FLOAT, "X", "0", 0, 1, NULL, 0, "also commit positions with confidence >= X; 0 = off" },
    { "--prefix-cache", NULL, CLI_STR, "MODE", "off", 0, 0, "off|prefix|dual|block", 0, "reuse keys/values of positions outside the block" },
    { "--seed", NULL, CLI_INT, "N", "0", 0, (double)LLONG_MAX, NULL, 0, "RNG seed (temperature > 0, random remasking)" },
    { "--threads", "-t", CLI_INT, "N", "0", 0, 1024, NULL, 0, "threads; 0 = the default (the physical cores)" },
    { "--show-steps", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "print the generated part after every step" },
    { "--logits-eos-inf", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "the reference's flag: eos never predicted" },
    { "--confidence-eos-eot-inf", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "the reference's flag: eot (and eos) out of the confidence" },
    { "--eos-id", NULL, CLI_INT, "ID", "126081", 0, INT32_MAX, NULL, 0, "end-of-text id" },
    { "--eot-id", NULL, CLI_INT, "ID", "126348", 0, INT32_MAX, NULL, 0, "end-of-turn id" },
    { "--mask-id", NULL, CLI_INT, "ID", "-1", -1, INT32_MAX, NULL, 0, "mask token id; -1 = the model's" },
    CLI_FLAG_WEIGHTS,
    CLI_FLAG_EXACT,
};

static int cmd_diffuse(const cli_args *a)
{
    const char *dir = a->pos[0], *v;
    smx_model *m = NULL;
    smx_model_info info;
    smx_diffuse_options o;
    smx_diffuse_stats st;
    smx_error err;
    cli_diffuse_show sh;
    const smx_tokenizer *tok;
    int32_t *ids = NULL, *out = NULL;
    int n_ids = 0, cap, i, rc, end;
    double t0, t1, load_ms = 0.0;
    if ((rc = cli_one_of(a, "--ids", "--prompt")) || (rc = cli_special_check(a, "--prompt"))) return rc;
    if (cli_given(a, "--prompt") && !cli_str(a, "--prompt")[0]) return cli_fail(a, "--prompt", "is empty");
    smx_diffuse_default_options(&o);
    o.gen_length = (int)cli_int(a, "--gen-length");
    o.steps = cli_given(a, "--steps") ? (int)cli_int(a, "--steps") : o.gen_length;
    o.block_length = cli_given(a, "--block-length") ? (int)cli_int(a, "--block-length") : o.gen_length;
    o.temperature = (float)cli_num(a, "--temperature");
    o.cfg_scale = (float)cli_num(a, "--cfg");
    o.threshold = (float)cli_num(a, "--threshold");
    o.seed = (uint64_t)cli_int(a, "--seed");
    o.n_threads = (int)cli_int(a, "--threads");
    o.eos_id = (int32_t)cli_int(a, "--eos-id");
    o.eot_id = (int32_t)cli_int(a, "--eot-id");
    o.mask_id = (int32_t)cli_int(a, "--mask-id");
    o.logits_eos_inf = cli_on(a, "--logits-eos-inf");
    o.confidence_eos_eot_inf = cli_on(a, "--confidence-eos-eot-inf");
    o.remasking = !strcmp(cli_str(a, "--remasking"), "random") ? SMX_REMASK_RANDOM : SMX_REMASK_LOW_CONFIDENCE;
    v = cli_str(a, "--prefix-cache");
    o.prefix_cache = !strcmp(v, "prefix") ? SMX_CACHE_PREFIX : !strcmp(v, "dual") ? SMX_CACHE_DUAL : !strcmp(v, "block") ? SMX_CACHE_BLOCK
                                                                                                                      : SMX_CACHE_OFF;
    if (o.block_length > o.gen_length || o.gen_length % o.block_length)
        return cli_fail(a, "--block-length", "%d must divide --gen-length %d", o.block_length, o.gen_length);
    if (o.steps % (o.gen_length / o.block_length))
        return cli_fail(a, "--steps", "%d must be a multiple of the block count %d (--gen-length / --block-length)", o.steps,
                        o.gen_length / o.block_length);
    if ((rc = cli_load(a, dir, &m, &load_ms))) return rc;
    fprintf(stderr, "load %s: %.1f ms\n", dir, load_ms);
    smx_model_get_info(m, &info);
    if ((rc = cli_prompt_ids(a, m, dir, &ids, &n_ids))) goto out;
    tok = smx_model_tokenizer(m, NULL);
    if (n_ids > INT_MAX - o.gen_length) {
        rc = cli_fail(a, "--gen-length", "prompt %d + %d tokens overflow", n_ids, o.gen_length);
        goto out;
    }
    if (info.max_context > 0 && n_ids + o.gen_length > info.max_context) {
        rc = cli_fail(a, NULL, "the prompt (%d tokens) and --gen-length (%d) make %d tokens, more than the model's context of %d",
                      n_ids, o.gen_length, n_ids + o.gen_length, info.max_context);
        goto out;
    }
    sh.n_prompt = n_ids;
    sh.tok = cli_on(a, "--print-ids") ? NULL : tok;
    sh.mask = o.mask_id >= 0 ? o.mask_id : smx_model_mask_token(m);
    if (cli_on(a, "--show-steps")) { o.callback = cli_diffuse_step; o.user = &sh; }
    cap = n_ids + o.gen_length;
    if (!(out = (int32_t *)malloc(sizeof(int32_t) * (size_t)cap))) { fprintf(stderr, "seqmix diffuse: out of memory\n"); rc = 1; goto out; }
    t0 = cli_now();
    if (smx_diffuse(m, ids, n_ids, &o, out, cap, &st, &err) != SMX_OK) {
        fprintf(stderr, "seqmix diffuse: %s: %s\n", smx_status_str(err.status), err.msg);
        rc = err.status == SMX_E_NOMEM ? 1 : 2;
        goto out;
    }
    t1 = cli_now();
    /* the generated part ends at the first end-of-generation token (unless --ignore-eos) */
    for (end = n_ids; end < cap && (cli_on(a, "--ignore-eos") || !cli_is_eos(tok, out[end])); end++) {}
    if (sh.tok) cli_diffuse_print(sh.tok, out, end, sh.mask, 0);   /* the prompt and the generated text */
    else
        for (i = n_ids; i < end; i++) printf("%s%ld", i > n_ids ? "," : "", (long)out[i]);
    printf("\n");
    fprintf(stderr, "diffuse %d tokens: %.2f s, %.1f tok/s; %d steps, %d forward passes, %lld positions run\n", o.gen_length, t1 - t0,
            (double)o.gen_length / (t1 - t0), st.steps, st.forwards, st.tokens);
    if (end < cap) fprintf(stderr, "the text ends at the end-of-generation token %ld after %d tokens (--ignore-eos shows all)\n", (long)out[end], end - n_ids);
out:
    free(ids); free(out);
    smx_model_free(m);
    return rc;
}
