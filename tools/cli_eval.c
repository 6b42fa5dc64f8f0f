/* cli_eval.c — `seqmix eval`: bits per byte of a byte-level model on a text file, or the
 * masked-token loss of a masked-diffusion model (the evaluators are in cli_text.c).
 * Included by seqmix.c after cli_util.c and cli_text.c. */

static const cli_flag eval_flags[] = {
    { "--text", NULL, CLI_STR, "FILE", NULL, 0, 0, NULL, 0, "the text to evaluate on (required)" },
    { "--window", NULL, CLI_INT, "N", "256", 2, 1 << 20, NULL, 0, "bytes per window, each run from an empty state" },
    { "--bytes", NULL, CLI_INT, "N", "0", 0, (double)LLONG_MAX, NULL, 0, "evaluate the first N bytes only; 0 = all" },
    { "--threads", "-t", CLI_INT, "N", "0", 0, 1024, NULL, 0, "threads; 0 = OpenMP default" },
    { "--mask-period", NULL, CLI_INT, "N", "4", 1, 1 << 20, NULL, 0, "masked-diffusion models: mask every N-th byte" },
};

static int cmd_eval(const cli_args *a)
{
    const char *dir = a->pos[0], *path = cli_str(a, "--text");
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
    if (smx_model_load(dir, &m, &err) != SMX_OK) {
        fprintf(stderr, "seqmix eval: %s: %s: %s\n", dir, smx_status_str(err.status), err.msg);
        free(text);
        return 2;
    }
    smx_model_get_info(m, &info);
    if (info.max_context > 0 && window > info.max_context) {
        smx_model_free(m);
        free(text);
        return cli_fail(a, "--window", "%d bytes is longer than the model's context of %d tokens", window, info.max_context);
    }
    printf("model        %s (%s)\n", dir, info.architecture);
    if (info.kind == SMX_KIND_TOKENS && (!info.causal || smx_model_mask_token(m) >= 0)) {
        long long cnt = 0;
        double t0 = cli_now();
        double ce = txt_eval_masked_ce(m, text, n, window, 0, period, period > 1 ? 1 : 0, &cnt, &err);
        if (ce < 0) { fprintf(stderr, "seqmix eval: %s\n", err.msg); rc = 2; }
        else {
            printf("text         %s: %lu bytes, windows of %d, every %d%s byte masked (%lld positions)\n", path,
                   (unsigned long)n, window, period, period == 2 ? "nd" : period == 3 ? "rd" : "th", cnt);
            printf("masked loss  %.4f nats  (%.4f bits) per masked byte\n", ce, ce / log(2.0));
            printf("time         %.2f s\n", cli_now() - t0);
        }
    } else {
        txt_eval_stats st;
        double bpb = txt_eval_bpb(m, text, n, window, nth, &st, &err);
        if (bpb < 0) { fprintf(stderr, "seqmix eval: %s\n", err.msg); rc = 2; }
        else {
            printf("text         %s: %lu bytes, %d windows of %d, %lld bytes predicted\n", path, (unsigned long)n,
                   st.windows, window, st.predicted);
            printf("bits/byte    %.4f\n", bpb);
            printf("perplexity   %.3f per byte\n", pow(2.0, bpb));
            printf("loss         %.4f nats per byte\n", bpb * log(2.0));
            printf("speed        %.0f bytes/s (%.2f s)\n", st.seconds > 0 ? (double)n / st.seconds : 0.0, st.seconds);
        }
    }
    smx_model_free(m);
    free(text);
    return rc;
}
