/* bench_ssm.c — speed of the selective-scan family at Mamba-130m's shape.
 *
 * Included by seqmix.c after cli_bench.c (uses cli_now and bench_read_bw). Builds two models in
 * memory with random weights through smx_model_from_config (the same builder path as a loaded
 * checkpoint):
 *   Mamba    d_model 768, 24 layers, state 16, expand 2, conv 4, vocab 50280 (tied head)
 *   Mamba-2  the same width: 24 heads of head_dim 64, state 128, 1 group, chunk 256
 * and reports, with nth threads: decode tokens/s, prefill tokens/s at 512 tokens, decode as a
 * fraction of the memory-bandwidth roofline (weight bytes read per token / read bandwidth
 * measured in the same run), and the share of prefill time spent in the scan (the selective
 * scan of every Mamba layer, the chunked SSD of every Mamba-2 layer, timed alone on the same
 * shapes). Every figure is the best of a few runs, so a busy machine shows its quiet moments. */

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

/* Seconds of the scan part of every SSM layer of m over T tokens, run alone (best of reps). */
static double bench_ssm_scan_time(const smx_model *m, int T, int nth, int reps)
{
    const smx__op *op = NULL;
    double best = 1e30;
    int i, n_ssm = 0, r;
    size_t nin = 0, nst = 0, nscr = 0;
    float *in, *st, *scr, *y;
    for (i = 0; i < m->n_sub; i++)
        if (m->sub[i].op->vt == &smx__mamba_vt || m->sub[i].op->vt == &smx__mamba2_vt) { op = m->sub[i].op; n_ssm++; }
    if (!op) return 0.0;
    if (op->vt == &smx__mamba_vt) {
        const smx__mamba *mb = (const smx__mamba *)op;
        nin = (size_t)T * (4 * (size_t)mb->di + 2 * (size_t)mb->N);   /* u, dt, z, y, B, C */
        nst = (size_t)mb->N * mb->di;
    } else {
        const smx__mamba2 *mb = (const smx__mamba2 *)op;
        nin = (size_t)T * ((size_t)mb->cd + mb->H + mb->di);           /* xbc, dt, y */
        nst = (size_t)mb->H * mb->N * mb->P;
        nscr = smx__mamba2_scratch(op, T, 0, nth);
    }
    in = (float *)malloc(sizeof(float) * nin);
    st = (float *)calloc(nst, sizeof(float));
    scr = (float *)malloc(sizeof(float) * (nscr ? nscr : 1));
    if (!in || !st || !scr) { free(in); free(st); free(scr); return 0.0; }
    {
        smx_rng g;
        size_t k;
        smx_rng_seed(&g, 5);
        for (k = 0; k < nin; k++) in[k] = (float)smx_rng_uniform(&g) - 0.5f;
    }
    for (r = -1; r < reps; r++) {   /* r = -1: warm-up (first touch of the buffers), not timed */
        double t0 = cli_now(), t;
        if (op->vt == &smx__mamba_vt) {
            const smx__mamba *mb = (const smx__mamba *)op;
            size_t td = (size_t)T * mb->di;
            float *u = in, *dt = u + td, *z = dt + td, *B = z + td, *C = B + (size_t)T * mb->N;
            y = C + (size_t)T * mb->N;
            if (r < 0)
                for (i = 0; i < (int)td; i++) dt[i] = -4.0f + 2.0f * (dt[i] + 0.5f);   /* before softplus */
            t0 = cli_now();
            smx__mamba_scan(mb, st, T, u, dt, B, C, z, (size_t)mb->di, y, nth);
        } else {
            const smx__mamba2 *mb = (const smx__mamba2 *)op;
            float *xbc = in, *dt = xbc + (size_t)T * mb->cd;
            y = dt + (size_t)T * mb->H;
            if (r < 0)
                for (i = 0; i < T * mb->H; i++) dt[i] = 0.01f + 0.1f * (dt[i] + 0.5f);
            t0 = cli_now();
            smx__mamba2_ssd(mb, st, T, xbc, dt, y, scr, nth);
        }
        t = cli_now() - t0;
        if (r >= 0 && t < best) best = t;
    }
    free(in); free(st); free(scr);
    return best * n_ssm;
}

static void bench_ssm_model(const char *name, const char *cfg, int nth, int quick, double bw)
{
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_model_info in;
    smx_error e;
    const int T = 512, nsteps = quick ? 8 : 16, reps = quick ? 1 : 3;
    int32_t *ids = (int32_t *)malloc(sizeof(int32_t) * T);
    float *lg = NULL;
    double tp = 1e30, td, tscan, bytes;
    int i, r;
    if (smx_model_from_config(cfg, 1, &m, &e) != SMX_OK) {
        printf("%-22s could not be built: %s\n", name, e.msg);
        free(ids);
        return;
    }
    smx_model_get_info(m, &in);
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    so.batch = T;
    if (smx_session_new(m, &so, &s, &e) != SMX_OK) {
        printf("%-22s session: %s\n", name, e.msg);
        smx_model_free(m);
        free(ids);
        return;
    }
    lg = (float *)malloc(sizeof(float) * (size_t)in.vocab_size);
    {
        smx_rng g;
        smx_rng_seed(&g, 11);
        for (i = 0; i < T; i++) ids[i] = (int32_t)(smx_rng_next(&g) % (uint64_t)in.vocab_size);
    }
    tp = bench_prefill_best(s, ids, T, lg, reps);     /* 512 tokens from an empty state */
    /* decode: greedy steps after a short prompt (two warm-up steps first); best of reps bursts */
    smx_session_reset(s);
    smx_session_prefill(s, ids, 8, lg, 0);
    smx_session_step(s, smx_argmax(lg, in.vocab_size), lg);
    smx_session_step(s, smx_argmax(lg, in.vocab_size), lg);
    td = 1e30;
    for (r = 0; r < reps; r++) {
        double t0 = cli_now();
        for (i = 0; i < nsteps; i++) smx_session_step(s, smx_argmax(lg, in.vocab_size), lg);
        t0 = (cli_now() - t0) / nsteps;
        if (t0 < td) td = t0;
    }
    tscan = bench_ssm_scan_time(m, T, nth, reps);
    /* bytes per decoded token: every weight once (the tied embedding is read whole as the head) */
    bytes = (double)in.weight_bytes;
    printf("%-22s %9.1f %11.1f %9.0f MB %8.0f%% %9.1f%%   (%lu params, state %.0f KB/seq)\n", name, 1.0 / td, T / tp,
           bytes / 1e6, 100.0 * (bytes / bw) / td, 100.0 * tscan / tp, (unsigned long)in.n_params, in.state_bytes / 1024.0);
    smx_session_free(s);
    smx_model_free(m);
    free(ids);
    free(lg);
}

static void bench_ssm(int nth, int quick)
{
    size_t n = quick ? (size_t)64 << 20 : (size_t)256 << 20;   /* floats: 256 MiB / 1 GiB */
    float *buf = (float *)malloc(n * sizeof(float));
    double bw;
    size_t i;
    int k;
    if (!buf) { printf("bench-ssm: no memory for the bandwidth buffer\n"); return; }
    for (i = 0; i < n; i += 1024) memset(buf + i, 0, 4096);
    bw = bench_read_bw(buf, n, nth, 3);
    printf("selective-scan models, %d thread%s, simd %s, read bandwidth %.2f GB/s (best of 3)\n", nth, nth == 1 ? "" : "s",
           smx_simd_name(), bw / 1e9);
    printf("%-22s %9s %11s %12s %9s %10s\n", "model", "decode/s", "prefill/s", "bytes/tok", "of roof", "scan share");
    for (k = 0; k < 2; k++) {
        /* re-measure before each model, keep the best: a conservative roofline on a busy machine */
        double b2 = bench_read_bw(buf, n, nth, 2);
        if (b2 > bw) bw = b2;
        bench_ssm_model(bench_ssm_cfgs[k][0], bench_ssm_cfgs[k][1], nth, quick, bw);
    }
    free(buf);
}
