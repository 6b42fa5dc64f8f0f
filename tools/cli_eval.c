/* cli_eval.c — `seqmix eval`: bits per byte and perplexity of a token model on a text file, or the
 * masked-token loss of a masked-diffusion model, the text tokenized with the model's tokenizer
 * (the evaluators are in cli_text.c). Included by seqmix.c after cli_util.c, cli_text.c and
 * cli_model.c. */

static const cli_flag eval_flags[] = {
    { "--text", NULL, CLI_STR, "FILE", NULL, 0, 0, NULL, 0, "the text to evaluate on (required; - = standard input)" },
    { "--window", NULL, CLI_INT, "N", "256", 2, 1 << 20, NULL, 0, "tokens per window, each run from an empty state" },
    { "--bytes", NULL, CLI_INT, "N", "0", 0, (double)LLONG_MAX, NULL, 0, "evaluate the first N bytes of the text only; 0 = all" },
    { "--threads", "-t", CLI_INT, "N", "0", 0, 1024, NULL, 0, "threads; 0 = the default (the physical cores)" },
    { "--mask-period", NULL, CLI_INT, "N", "4", 1, 1 << 20, NULL, 0, "masked-diffusion models: mask every N-th token" },
    CLI_FLAG_WEIGHTS,
    CLI_FLAG_EXACT,
};

static int cmd_eval(const cli_args *a)
{
    const char *dir = a->pos[0], *path = cli_str(a, "--text"), *why = NULL;
    int window = (int)cli_int(a, "--window"), nth = (int)cli_int(a, "--threads"), period = (int)cli_int(a, "--mask-period");
    long long limit = cli_int(a, "--bytes");
    int rc = 0;
    unsigned char *text;
    size_t n;
    smx_model *m;
    smx_model_info info;
    smx_error err;
    if (!path) return cli_fail(a, "--text", "is required (the file to evaluate on)");
    if (!(text = txt_read_file(path, &n))) { fprintf(stderr, "seqmix eval: --text: %s: cannot read\n", path); return 2; }
    if (limit > 0 && (unsigned long long)limit < (unsigned long long)n) n = (size_t)limit;
    if ((rc = cli_load(a, dir, &m, NULL))) { free(text); return rc; }
    smx_model_get_info(m, &info);
    if (info.kind != SMX_KIND_TOKENS) {
        fprintf(stderr, "seqmix eval: %s is a feature model (%s): it reads no text\n", dir, info.architecture);
        rc = 2;
    } else if (!smx_model_tokenizer(m, &why)) {
        fprintf(stderr, "seqmix eval: %s has no tokenizer (%s): eval needs one to turn the text into tokens\n", dir, why);
        rc = 2;
    } else if (info.max_context > 0 && window > info.max_context) {
        rc = cli_fail(a, "--window", "%d tokens is longer than the model's context of %d tokens", window, info.max_context);
    }
    if (rc) { smx_model_free(m); free(text); return rc; }
    printf("model        %s (%s)\n", dir, info.architecture);
    if (!info.causal || smx_model_mask_token(m) >= 0) {
        long long cnt = 0;
        double t0 = cli_now();
        double ce = txt_eval_masked_ce(m, text, n, window, 0, period, period > 1 ? 1 : 0, &cnt, &err);
        if (ce < 0) { fprintf(stderr, "seqmix eval: %s\n", err.msg); rc = err.status == SMX_E_NOMEM ? 1 : 2; }
        else {
            printf("text         %s: %lu bytes, windows of %d tokens, every %d%s token masked (%lld positions)\n", path,
                   (unsigned long)n, window, period, period == 2 ? "nd" : period == 3 ? "rd" : "th", cnt);
            printf("masked loss  %.4f nats  (%.4f bits) per masked token\n", ce, ce / log(2.0));
            printf("time         %.2f s\n", cli_now() - t0);
        }
    } else {
        txt_eval_stats st;
        double bpb = txt_eval_bpb(m, text, n, window, nth, &st, &err), bpt;
        if (bpb < 0) { fprintf(stderr, "seqmix eval: %s\n", err.msg); rc = err.status == SMX_E_NOMEM ? 1 : 2; }
        else {
            bpt = st.bits / (double)st.predicted;
            printf("text         %s: %lu bytes, %lld tokens (%.2f bytes per token)\n", path, (unsigned long)n, st.tokens,
                   (double)n / (double)st.tokens);
            printf("windows      %d of %d tokens%s, %lld tokens predicted\n", st.windows, window, st.bos ? " (the BOS, then the text)" : "",
                   st.predicted);
            printf("bits/byte    %.4f\n", bpb);
            printf("perplexity   %.3f per token\n", pow(2.0, bpt));
            printf("bits/token   %.4f  (loss %.4f nats per token)\n", bpt, bpt * log(2.0));
            printf("speed        %.0f tokens/s (%.2f s)\n", st.seconds > 0 ? (double)st.tokens / st.seconds : 0.0, st.seconds);
        }
    }
    smx_model_free(m);
    free(text);
    return rc;
}
