/* bench_ssm.c — speed of the selective-scan family at Mamba-130m's shape.
 *
 * Included by seqmix.c after cli_bench.c. Builds two models in memory with random weights through
 * smx_model_from_config (the same builder path as a loaded checkpoint):
 *   Mamba    d_model 768, 24 layers, state 16, expand 2, conv 4, vocab 50280 (tied head)
 *   Mamba-2  the same width: 24 heads of head_dim 64, state 128, 1 group, chunk 256
 * and reports, with nth threads: decode tokens/s (every step timed), decode as a fraction of the
 * read-bandwidth roofline (bench_decode_bytes per step over the best bench_probe bandwidth, probe
 * rounds between the decode rounds), prefill tokens/s at 512 tokens, and the share of prefill time
 * spent in the scan (the selective scan of every Mamba layer, the chunked SSD of every Mamba-2
 * layer). The scan cannot be timed inside the library's prefill, so it is timed alone on the same
 * shapes right after each prefill, pair by pair: each share is one prefill's scan time over that
 * prefill's time, and the median and spread are over those pairs. Timing the two in separate
 * best-of runs let machine load land on one and not the other, which showed shares above 100%. */

static const char *const bench_ssm_cfgs[2][2] = {
    { "Mamba (130m shape)",
      "{\"architectures\":[\"MambaForCausalLM\"],\"model_type\":\"mamba\",\"vocab_size\":50280,\"hidden_size\":768,"
      "\"num_hidden_layers\":24,\"state_size\":16,\"expand\":2,\"conv_kernel\":4,\"use_bias\":false,\"use_conv_bias\":true,"
      "\"time_step_rank\":\"auto\",\"layer_norm_epsilon\":1e-5,\"tie_word_embeddings\":true}" },
    { "Mamba-2 (same width)",
      "{\"architectures\":[\"Mamba2ForCausalLM\"],\"model_type\":\"mamba2\",\"vocab_size\":50280,\"hidden_size\":768,"
      "\"num_hidden_layers\":24,\"num_heads\":24,\"head_dim\":64,\"state_size\":128,\"n_groups\":1,\"expand\":2,"
      "\"conv_kernel\":4,\"chunk_size\":256,\"use_bias\":false,\"use_conv_bias\":true,\"layer_norm_epsilon\":1e-5,"
      "\"tie_word_embeddings\":true}" }
};

/* The scan part of every SSM layer of a model, run alone on random inputs of its shapes. */
typedef struct bench_ssm_scan {
    const smx__op *op;      /* one SSM layer (they all have the same shape) */
    int n_ssm, T, nth;
    float *in, *st, *scr;
    smx__cx cx;             /* the library's threads, as the session has them */
} bench_ssm_scan;

static int bench_ssm_scan_init(bench_ssm_scan *b, const smx_model *m, int T, int nth)
{
    size_t nin = 0, nst = 0, nscr = 0, k;
    smx_rng g;
    int i;
    memset(b, 0, sizeof *b);
    for (i = 0; i < m->n_sub; i++)
        if (m->sub[i].op->vt == &smx__mamba_vt || m->sub[i].op->vt == &smx__mamba2_vt) { b->op = m->sub[i].op; b->n_ssm++; }
    if (!b->op) return 1;
    b->T = T;
    b->nth = nth;
    if (b->op->vt == &smx__mamba_vt) {
        const smx__mamba *mb = (const smx__mamba *)b->op;
        nin = (size_t)T * (5 * (size_t)mb->di + 2 * (size_t)mb->N);   /* u, dt, z (row stride 2 di, as in the layer), B, C, y */
        nst = (size_t)mb->N * mb->di;
    } else {
        const smx__mamba2 *mb = (const smx__mamba2 *)b->op;
        nin = (size_t)T * ((size_t)mb->cd + mb->H + mb->di);           /* xbc, dt, y */
        nst = (size_t)mb->H * mb->N * mb->P;
        nscr = smx__mamba2_scratch(b->op, T, 0, nth);
    }
    b->in = (float *)malloc(sizeof(float) * nin);
    b->st = (float *)calloc(nst, sizeof(float));
    b->scr = (float *)malloc(sizeof(float) * (nscr ? nscr : 1));
    if (!b->in || !b->st || !b->scr) { free(b->in); free(b->st); free(b->scr); memset(b, 0, sizeof *b); return 1; }
    smx_rng_seed(&g, 5);
    for (k = 0; k < nin; k++) b->in[k] = (float)smx_rng_uniform(&g) - 0.5f;
    if (b->op->vt == &smx__mamba_vt) {   /* dt before softplus: -4 .. -2 */
        const smx__mamba *mb = (const smx__mamba *)b->op;
        float *dt = b->in + (size_t)T * mb->di;
        for (k = 0; k < (size_t)T * mb->di; k++) dt[k] = -4.0f + 2.0f * (dt[k] + 0.5f);
    } else {                              /* dt after softplus: 0.01 .. 0.11 */
        const smx__mamba2 *mb = (const smx__mamba2 *)b->op;
        float *dt = b->in + (size_t)T * mb->cd;
        for (k = 0; k < (size_t)T * mb->H; k++) dt[k] = 0.01f + 0.1f * (dt[k] + 0.5f);
    }
    b->cx.nth = nth > 0 ? nth : smx_default_threads();
    b->cx.pool = b->cx.nth > 1 ? smx__pool_new(b->cx.nth - 1) : NULL;
    if (!b->cx.pool) b->cx.nth = 1;
    return 0;
}

static void bench_ssm_scan_free(bench_ssm_scan *b) { smx__pool_free(b->cx.pool); free(b->in); free(b->st); free(b->scr); }

/* Seconds of the scans of all SSM layers over T tokens (one layer's scan, n_ssm times). */
static double bench_ssm_scan_run(bench_ssm_scan *b)
{
    double t0 = cli_now();
    int l;
    for (l = 0; l < b->n_ssm; l++) {
        if (b->op->vt == &smx__mamba_vt) {
            const smx__mamba *mb = (const smx__mamba *)b->op;
            size_t td = (size_t)b->T * mb->di;
            float *u = b->in, *dt = u + td, *z = dt + td, *B = z + 2 * td, *C = B + (size_t)b->T * mb->N;
            float *y = C + (size_t)b->T * mb->N;
            memset(b->st, 0, sizeof(float) * (size_t)mb->N * mb->di);
            smx__mamba_scan(&b->cx, mb, b->st, b->T, u, dt, B, C, z, 2 * (size_t)mb->di, y);
        } else {
            const smx__mamba2 *mb = (const smx__mamba2 *)b->op;
            float *xbc = b->in, *dt = xbc + (size_t)b->T * mb->cd, *y = dt + (size_t)b->T * mb->H;
            memset(b->st, 0, sizeof(float) * (size_t)mb->H * mb->N * mb->P);
            smx__mamba2_ssd(&b->cx, mb, b->st, b->T, xbc, dt, y, b->scr);
        }
    }
    return cli_now() - t0;
}

static void bench_ssm_model(const char *name, const char *cfg, int nth, int quick)
{
    enum { T = 512, MAXR = 5, MAXS = 3 * 16 };
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_model_info in;
    smx_error e;
    bench_ssm_scan scan;
    bench_decode dc;
    const int steps = quick ? 8 : 16, rounds = quick ? 2 : 3, reps = quick ? 3 : MAXR;
    int32_t ids[T];
    float *lg = NULL;
    double tp[MAXR], share[MAXR], td[MAXS], frac[MAXS];
    cli_stat sp, ss;
    char b1[64], b2[64], b3[64], b4[64];
    int i, r, have_scan;
    if (smx_model_from_config(cfg, 1, &m, &e) != SMX_OK) {
        bench_printf("%s could not be built: %s\n", name, e.msg);
        return;
    }
    smx_model_get_info(m, &in);
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    so.batch = T;
    if (smx_session_new(m, &so, &s, &e) != SMX_OK || !(lg = (float *)malloc(sizeof(float) * (size_t)in.vocab_size))) {
        bench_printf("%s: session: %s\n", name, s ? "out of memory" : e.msg);
        goto done;
    }
    {
        smx_rng g;
        smx_rng_seed(&g, 11);
        for (i = 0; i < T; i++) ids[i] = (int32_t)(smx_rng_next(&g) % (uint64_t)in.vocab_size);
    }
    /* prefill of 512 tokens from an empty state, each followed by the scans alone */
    have_scan = !bench_ssm_scan_init(&scan, m, T, nth);
    if (have_scan) bench_ssm_scan_run(&scan);   /* warm-up: first touch of the buffers */
    for (r = -1; r < reps; r++) {
        double t0, t;
        smx_session_reset(s);
        t0 = cli_now();
        smx_session_prefill(s, ids, T, lg, 0);
        t = cli_now() - t0;
        if (r < 0) continue;   /* warm-up */
        tp[r] = t;
        share[r] = have_scan ? bench_ssm_scan_run(&scan) / t : 0.0;
    }
    if (have_scan) bench_ssm_scan_free(&scan);
    sp = cli_stat_inv(cli_stats(tp, reps), T);
    ss = cli_stat_scale(cli_stats(share, reps), 100.0);
    /* decode: greedy steps after a short prompt (two warm-up steps first), probe rounds between */
    smx_session_reset(s);
    smx_session_prefill(s, ids, 8, lg, 0);
    smx_session_step(s, smx_argmax(lg, in.vocab_size), lg);
    smx_session_step(s, smx_argmax(lg, in.vocab_size), lg);
    if (bench_decode_measure(s, m, 10, rounds, steps, nth, lg, td, frac, &dc)) goto done;
    bench_printf("%s: %.1fM parameters, %.0f MB read per decode step, state %.0f KB per sequence\n", name, in.n_params / 1e6,
                 dc.bytes / 1e6, in.state_bytes / 1024.0);
    bench_printf("  decode        %-28s tok/s   %d steps\n", cli_fmt_stat(b1, sizeof b1, "%.1f", dc.tps), rounds * steps);
    bench_printf("  of roofline   %-28s %%       roof %.2f GB/s (%s), %d probe rounds\n", cli_fmt_stat(b2, sizeof b2, "%.0f", dc.roof),
                 dc.best / 1e9, dc.best_pat, dc.probe_rounds);
    bench_printf("  prefill %d   %-28s tok/s   %d runs\n", T, cli_fmt_stat(b3, sizeof b3, "%.1f", sp), reps);
    if (have_scan) bench_printf("  scan share    %-28s %%       of each prefill, %d pairs\n", cli_fmt_stat(b4, sizeof b4, "%.1f", ss), reps);
    bench_val("ssm", name, "parameters", "count", (double)in.n_params);
    bench_val("ssm", name, "decode_bytes", "B", dc.bytes);
    bench_val("ssm", name, "roof_bandwidth", "GB/s", dc.best / 1e9);
    bench_rec("ssm", name, "decode", "tok/s", dc.tps);
    bench_rec("ssm", name, "decode_of_roof", "%", dc.roof);
    bench_rec("ssm", name, "prefill_512", "tok/s", sp);
    if (have_scan) bench_rec("ssm", name, "scan_share", "%", ss);
done:
    smx_session_free(s);
    smx_model_free(m);
    free(lg);
}

static void bench_ssm(int nth, int quick)
{
    int k;
    bench_printf("selective-scan models, random weights, %d thread%s, simd %s; median (min..max)\n", nth, nth == 1 ? "" : "s",
                 smx_simd_name());
    for (k = 0; k < 2; k++) bench_ssm_model(bench_ssm_cfgs[k][0], bench_ssm_cfgs[k][1], nth, quick);
}
