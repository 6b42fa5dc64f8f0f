/* cli_diffuse.c — `seqmix diffuse`: masked-diffusion generation from token ids or text.
 * Included by seqmix.c after cli_util.c and cli_text.c. */
/* --show-steps: the generated part of the canvas after each step, '_' where still masked. */
typedef struct cli_diffuse_show { int n_prompt, bytes; int32_t mask; } cli_diffuse_show;

static int cli_diffuse_step(const int32_t *canvas, int n, int step, void *user)
{
    const cli_diffuse_show *sh = (const cli_diffuse_show *)user;
    int i;
    printf("step %3d:%s", step, sh->bytes ? " " : "");
    for (i = sh->n_prompt; i < n; i++) {
        if (sh->bytes) txt_put(stdout, canvas[i] == '\n' ? ' ' : canvas[i], sh->mask, '_');
        else if (canvas[i] == sh->mask) printf(" _");
        else printf(" %ld", (long)canvas[i]);
    }
    printf("\n");
    fflush(stdout);
    return 0;
}

static const cli_flag diffuse_flags[] = {
    { "--ids", NULL, CLI_STR, "1,2,3", NULL, 0, 0, NULL, 0, "prompt token ids" },
    { "--prompt", NULL, CLI_STR, "TEXT", NULL, 0, 0, NULL, 0, "prompt text (byte-level models)" },
    { "--gen-length", NULL, CLI_INT, "N", "128", 1, 1 << 24, NULL, 0, "tokens to generate" },
    { "--steps", NULL, CLI_INT, "N", NULL, 1, 1 << 24, NULL, 0, "denoising steps over all blocks (default: gen-length)" },
    { "--block-length", NULL, CLI_INT, "N", NULL, 1, 1 << 24, NULL, 0, "semi-autoregressive block (default: gen-length)" },
    { "--temperature", "--temp", CLI_FLOAT, "X", "0", 0, 100, NULL, 0, "0: argmax; > 0: Gumbel-max sampling" },
    { "--cfg", NULL, CLI_FLOAT, "X", "0", 0, 100, NULL, 0, "classifier-free guidance scale; 0 = off" },
    { "--remasking", NULL, CLI_STR, "HOW", "low_confidence", 0, 0, "low_confidence|random", 0, "which positions stay masked" },
    { "--threshold", NULL, CLI_FLOAT, "X", "0", 0, 1, NULL, 0, "also commit positions with confidence >= X; 0 = off" },
    { "--prefix-cache", NULL, CLI_STR, "MODE", "off", 0, 0, "off|prefix|dual|block", 0, "reuse keys/values of positions outside the block" },
    { "--seed", NULL, CLI_INT, "N", "0", 0, (double)LLONG_MAX, NULL, 0, "RNG seed (temperature > 0, random remasking)" },
    { "--threads", "-t", CLI_INT, "N", "0", 0, 1024, NULL, 0, "threads; 0 = OpenMP default" },
    { "--show-steps", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "print the generated part after every step" },
    { "--logits-eos-inf", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "the reference's flag: eos never predicted" },
    { "--confidence-eos-eot-inf", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "the reference's flag: eot (and eos) out of the confidence" },
    { "--eos-id", NULL, CLI_INT, "ID", "126081", 0, INT32_MAX, NULL, 0, "end-of-text id" },
    { "--eot-id", NULL, CLI_INT, "ID", "126348", 0, INT32_MAX, NULL, 0, "end-of-turn id" },
    { "--mask-id", NULL, CLI_INT, "ID", "-1", -1, INT32_MAX, NULL, 0, "mask token id; -1 = the model's" },
};

static int cmd_diffuse(const cli_args *a)
{
    const char *dir = a->pos[0], *prompt = cli_str(a, "--prompt"), *v;
    smx_model *m;
    smx_model_info info;
    smx_diffuse_options o;
    smx_diffuse_stats st;
    smx_error err;
    cli_diffuse_show sh;
    int32_t *ids = NULL, *out = NULL;
    int n_ids = 0, cap, i, rc;
    double t0, t1;
    if ((rc = cli_one_of(a, "--ids", "--prompt"))) return rc;
    if (prompt) {
        size_t len = strlen(prompt);
        if (!len) return cli_fail(a, "--prompt", "is empty");
        if (len > (size_t)INT_MAX / 2) return cli_fail(a, "--prompt", "is longer than %d bytes", INT_MAX / 2);
        if (!(ids = (int32_t *)malloc(sizeof(int32_t) * len))) { fprintf(stderr, "seqmix diffuse: out of memory\n"); return 1; }
        n_ids = txt_encode(prompt, ids, (int)len);
    } else if ((rc = cli_int_list(a, "--ids", 0, INT32_MAX, &ids, &n_ids))) {
        return rc == 3 ? 1 : 2;
    }
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
    if (o.block_length > o.gen_length || o.gen_length % o.block_length) {
        free(ids);
        return cli_fail(a, "--block-length", "%d must divide --gen-length %d", o.block_length, o.gen_length);
    }
    if (o.steps % (o.gen_length / o.block_length)) {
        free(ids);
        return cli_fail(a, "--steps", "%d must be a multiple of the block count %d (--gen-length / --block-length)", o.steps,
                        o.gen_length / o.block_length);
    }
    if (n_ids > INT_MAX - o.gen_length) {
        free(ids);
        return cli_fail(a, "--gen-length", "prompt %d + %d tokens overflow", n_ids, o.gen_length);
    }
    t0 = cli_now();
    if (smx_model_load(dir, &m, &err) != SMX_OK) {
        fprintf(stderr, "seqmix diffuse: %s: %s: %s\n", dir, smx_status_str(err.status), err.msg);
        free(ids);
        return 2;
    }
    fprintf(stderr, "load %s: %.1f ms\n", dir, (cli_now() - t0) * 1e3);
    smx_model_get_info(m, &info);
    sh.n_prompt = n_ids;
    sh.bytes = txt_is_bytes(m);
    rc = 0;
    if (prompt && !sh.bytes) {
        rc = cli_fail(a, "--prompt", "needs a byte-level model (vocabulary 256); %s has vocabulary %d: give --ids", dir, smx_model_vocab(m));
        goto out;
    }
    for (i = 0; i < n_ids; i++)
        if (ids[i] >= smx_model_vocab(m)) {
            rc = cli_fail(a, "--ids", "id %ld (item %d) is out of range for the model's vocabulary of %d", (long)ids[i], i + 1,
                          smx_model_vocab(m));
            goto out;
        }
    if (info.max_context > 0 && n_ids + o.gen_length > info.max_context) {
        rc = cli_fail(a, NULL, "the prompt (%d tokens) and --gen-length (%d) make %d tokens, more than the model's context of %d",
                      n_ids, o.gen_length, n_ids + o.gen_length, info.max_context);
        goto out;
    }
    sh.mask = o.mask_id >= 0 ? o.mask_id : smx_model_mask_token(m);
    if (cli_on(a, "--show-steps")) { o.callback = cli_diffuse_step; o.user = &sh; }
    cap = n_ids + o.gen_length;
    if (!(out = (int32_t *)malloc(sizeof(int32_t) * (size_t)cap))) { fprintf(stderr, "seqmix diffuse: out of memory\n"); rc = 1; goto out; }
    t0 = cli_now();
    if (smx_diffuse(m, ids, n_ids, &o, out, cap, &st, &err) != SMX_OK) {
        fprintf(stderr, "seqmix diffuse: %s: %s\n", smx_status_str(err.status), err.msg);
        rc = err.status == SMX_E_NOMEM ? 1 : 2;
    } else {
        t1 = cli_now();
        if (sh.bytes)
            for (i = 0; i < cap; i++) txt_put(stdout, out[i], sh.mask, '_');
        else
            for (i = n_ids; i < cap; i++) printf("%s%ld", i > n_ids ? "," : "", (long)out[i]);
        printf("\n");
        fprintf(stderr, "diffuse %d tokens: %.2f s, %.1f tok/s; %d steps, %d forward passes, %lld positions run\n", o.gen_length,
                t1 - t0, (double)o.gen_length / (t1 - t0), st.steps, st.forwards, st.tokens);
    }
out:
    free(ids); free(out);
    smx_model_free(m);
    return rc;
}
