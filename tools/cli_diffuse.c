/* cli_diffuse.c — `seqmix diffuse`: masked-diffusion generation from token ids.
 * Included by seqmix.c after cli_util.c (flags and clock). */
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

static int cmd_diffuse(int argc, char **argv)
{
    static const char *usage =
        "usage: seqmix diffuse DIR (--ids 1,2,3 | --prompt TEXT) [--gen-length 128] [--steps GEN] [--block-length GEN]\n"
        "                      [--temp 0] [--cfg 0] [--remasking low_confidence|random] [--threshold 0]\n"
        "                      [--prefix-cache off|prefix|dual|block] [--seed 0] [--threads N] [--show-steps]\n"
        "                      [--logits-eos-inf] [--confidence-eos-eot-inf] [--eos-id 126081] [--eot-id 126348]\n"
        "                      [--mask-id ID]\n\n"
        "Masked-diffusion generation (LLaDA): the prompt followed by gen-length mask tokens is refined\n"
        "over --steps steps in blocks of --block-length; prints the result (text for byte-level models,\n"
        "else the generated ids) and the speed.\n"
        "The defaults are the reference sampler. Faster, approximate options:\n"
        "  --threshold X      also commit every masked position of the block with confidence >= X;\n"
        "                     blocks finish early (the step schedule stays a floor)\n"
        "  --prefix-cache M   keys/values of the positions before the current block are computed once\n"
        "                     per block; later steps run: prefix: the block and everything after it;\n"
        "                     dual: the block alone, seeing the after-block positions as cached;\n"
        "                     block: the block alone, the after-block positions dropped\n"
        "--show-steps prints the generated part after every step ('_' = still masked).";
    smx_model *m;
    smx_diffuse_options o;
    smx_diffuse_stats st;
    smx_error err;
    cli_diffuse_show sh;
    const char *ids_s = cli_flag(argc, argv, "--ids"), *prompt = cli_flag(argc, argv, "--prompt"), *v;
    int32_t *ids = NULL, *out = NULL;
    int n_ids = 0, cap, i, rc = 0;
    double t0, t1;
    if (cli_has(argc, argv, "--help") || cli_has(argc, argv, "-h")) { puts(usage); return 0; }
    if (argc < 1 || (!ids_s && !prompt)) { puts(usage); return 2; }
    /* --ids: comma-separated integers; --prompt: the bytes of a text (byte-level models) */
    cap = (int)strlen(ids_s ? ids_s : prompt) + 2;
    ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)cap);
    if (!ids) return 2;
    if (!ids_s) n_ids = txt_encode(prompt, ids, cap);
    for (v = ids_s ? ids_s : ""; *v;) {
        char *end;
        long x = strtol(v, &end, 10);
        if (end == v || n_ids >= cap || (*end && *end != ',')) {
            fprintf(stderr, "seqmix: --ids must be a comma-separated list of integers\n");
            free(ids);
            return 2;
        }
        ids[n_ids++] = (int32_t)x;
        v = *end ? end + 1 : end;
    }
    smx_diffuse_default_options(&o);
    if ((v = cli_flag(argc, argv, "--gen-length"))) o.gen_length = atoi(v);
    o.steps = o.gen_length;
    o.block_length = o.gen_length;
    if ((v = cli_flag(argc, argv, "--steps"))) o.steps = atoi(v);
    if ((v = cli_flag(argc, argv, "--block-length"))) o.block_length = atoi(v);
    if ((v = cli_flag(argc, argv, "--temp"))) o.temperature = (float)atof(v);
    if ((v = cli_flag(argc, argv, "--cfg"))) o.cfg_scale = (float)atof(v);
    if ((v = cli_flag(argc, argv, "--threshold"))) o.threshold = (float)atof(v);
    if ((v = cli_flag(argc, argv, "--seed"))) o.seed = (uint64_t)strtoull(v, NULL, 10);
    if ((v = cli_flag(argc, argv, "--threads"))) o.n_threads = atoi(v);
    if ((v = cli_flag(argc, argv, "--eos-id"))) o.eos_id = (int32_t)atol(v);
    if ((v = cli_flag(argc, argv, "--eot-id"))) o.eot_id = (int32_t)atol(v);
    if ((v = cli_flag(argc, argv, "--mask-id"))) o.mask_id = (int32_t)atol(v);
    o.logits_eos_inf = cli_has(argc, argv, "--logits-eos-inf");
    o.confidence_eos_eot_inf = cli_has(argc, argv, "--confidence-eos-eot-inf");
    if ((v = cli_flag(argc, argv, "--remasking"))) {
        if (!strcmp(v, "low_confidence")) o.remasking = SMX_REMASK_LOW_CONFIDENCE;
        else if (!strcmp(v, "random")) o.remasking = SMX_REMASK_RANDOM;
        else { fprintf(stderr, "seqmix: --remasking must be low_confidence or random\n"); free(ids); return 2; }
    }
    if ((v = cli_flag(argc, argv, "--prefix-cache"))) {
        if (!strcmp(v, "off") || !strcmp(v, "0")) o.prefix_cache = SMX_CACHE_OFF;
        else if (!strcmp(v, "prefix") || !strcmp(v, "on") || !strcmp(v, "1")) o.prefix_cache = SMX_CACHE_PREFIX;
        else if (!strcmp(v, "dual") || !strcmp(v, "2")) o.prefix_cache = SMX_CACHE_DUAL;
        else if (!strcmp(v, "block") || !strcmp(v, "3")) o.prefix_cache = SMX_CACHE_BLOCK;
        else { fprintf(stderr, "seqmix: --prefix-cache must be off, prefix, dual or block\n"); free(ids); return 2; }
    }
    {
        smx_error lerr;
        if (smx_model_load(argv[0], &m, &lerr) != SMX_OK) {
            fprintf(stderr, "seqmix: %s: %s\n", smx_status_str(lerr.status), lerr.msg);
            free(ids);
            return 2;
        }
    }
    sh.n_prompt = n_ids;
    sh.bytes = txt_is_bytes(m);
    if (!ids_s && !sh.bytes) {
        fprintf(stderr, "seqmix: --prompt needs a byte-level model (vocabulary 256); give --ids\n");
        free(ids); smx_model_free(m);
        return 2;
    }
    sh.mask = o.mask_id >= 0 ? o.mask_id : smx_model_mask_token(m);
    if (cli_has(argc, argv, "--show-steps")) { o.callback = cli_diffuse_step; o.user = &sh; }
    cap = o.gen_length > 0 ? n_ids + o.gen_length : 1;
    out = (int32_t *)malloc(sizeof(int32_t) * (size_t)cap);
    t0 = cli_now();
    if (!out || smx_diffuse(m, ids, n_ids, &o, out, cap, &st, &err) != SMX_OK) {
        fprintf(stderr, "seqmix: %s\n", out ? err.msg : "out of memory");
        rc = 2;
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
    free(ids); free(out);
    smx_model_free(m);
    return rc;
}
