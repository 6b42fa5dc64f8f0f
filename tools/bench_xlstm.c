/* bench_xlstm.c — xLSTM family speed with random weights: a ~125M-parameter xLSTM-7B-style model
 * (width 768, 12 mLSTM blocks, 4 heads, vocabulary 50304, tied embeddings): decode tokens/s against the
 * read-bandwidth roofline measured in the same run, and prefill tokens/s at 512 and 4096 tokens with
 * the chunkwise form against the step loop; then the original xLSTM LM of the same width with sLSTM
 * blocks at 3 and 9 (the sLSTM recurrence is sequential). Included by seqmix.c after cli_bench.c
 * (cli_now, bench_read_bw). */

/* Seconds per token of the step loop over ids[from..to), continuing from what the session holds. */
static double bench_xlstm_steps(smx_session *s, const int32_t *ids, int from, int to, float *lg)
{
    double t0 = cli_now();
    int i;
    for (i = from; i < to; i++) smx_session_step(s, ids[i], lg);
    return (cli_now() - t0) / (double)(to - from);
}

/* One model: decode and prefill figures. The read bandwidth for the roofline is measured right
 * before and after the decode run (best of both), on buf [nbuf]. */
static void bench_xlstm_model(const char *name, const char *cfg, int nth, int quick, const float *buf, size_t nbuf)
{
    static const int lengths[2] = { 512, 4096 };
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_error err;
    smx_model_info info;
    const int n_gen = quick ? 16 : 64, win = quick ? 128 : 512;
    int32_t *ids;
    float *lg;
    double t0, tps, bytes, bw;
    int i, k, V;
    if (smx_model_from_config(cfg, 1, &m, &err)) { printf("  %s: %s\n", name, err.msg); return; }
    smx_model_get_info(m, &info);
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    so.capacity = 4096 + n_gen + 1;
    if (smx_session_new(m, &so, &s, &err)) { printf("  %s: %s\n", name, err.msg); smx_model_free(m); return; }
    V = smx_model_vocab(m);
    lg = (float *)malloc(sizeof(float) * (size_t)V);
    ids = (int32_t *)malloc(sizeof(int32_t) * 4096);
    for (i = 0; i < 4096; i++) ids[i] = (int32_t)(((long)i * 7919 + 13) % V);
    printf("%s: pattern %s, %.1fM parameters (%.2f GB float32), state %.2f MB per sequence\n", name, info.pattern,
           info.n_params / 1e6, info.weight_bytes / 1e9, info.state_bytes / 1e6);
    /* decode: every weight is read once per token (the tied head reads the embedding matrix; the
     * embedding lookup itself is one row), and the recurrent state is read and written once */
    smx_session_prefill(s, ids, 32, lg, 0);
    smx_session_step(s, smx_argmax(lg, V), lg);     /* warm-up */
    bw = bench_read_bw(buf, nbuf, nth, 3);
    t0 = cli_now();
    for (i = 0; i < n_gen; i++) smx_session_step(s, smx_argmax(lg, V), lg);
    tps = n_gen / (cli_now() - t0);
    bw = SMX__MAX(bw, bench_read_bw(buf, nbuf, nth, 3));
    bytes = (double)info.weight_bytes + 2.0 * (double)info.state_bytes;
    printf("  decode  %7.2f tok/s; roofline %.2f tok/s (%.1f GB/s, %.3f GB per token): %.0f%%\n", tps, bw / bytes, bw / 1e9,
           bytes / 1e9, 100.0 * tps * bytes / bw);
    /* prefill: chunkwise form (session batches of 512) vs the step loop. A step costs the same at
     * any position (the state has a fixed size), so the step loop at 4096 is timed over its last
     * `win` tokens after a chunkwise prefill of the rest. */
    for (k = 0; k < 2; k++) {
        int n = lengths[k], w = SMX__MIN(win, n);
        double tc, ts;
        if (quick && n > 512) n = 1024;
        w = SMX__MIN(w, n);
        tc = bench_prefill_best(s, ids, n, lg, quick || n > 512 ? 1 : 2);
        smx_session_reset(s);
        if (n > w) smx_session_prefill(s, ids, n - w, NULL, 0);
        ts = bench_xlstm_steps(s, ids, n - w, n, lg);
        printf("  prefill %4d tokens: chunkwise %8.1f tok/s, step loop %7.1f tok/s (%d steps timed): %.1fx\n", n, n / tc,
               1.0 / ts, w, ts * n / tc);
    }
    free(ids); free(lg);
    smx_session_free(s);
    smx_model_free(m);
}

static void bench_xlstm(int nth, int quick)
{
    /* xLSTM-7B layout at 125M scale: qk width 384 (dqk 96), v width 768 (dv 192), SwiGLU 2112, chunk 64 */
    static const char *cfg7 =
        "{\"architectures\": [\"xLSTMForCausalLM\"], \"model_type\": \"xlstm\", \"vocab_size\": 50304, \"hidden_size\": 768,"
        " \"embedding_dim\": 768, \"num_blocks\": 12, \"num_hidden_layers\": 12, \"num_heads\": 4, \"qk_dim_factor\": 0.5,"
        " \"v_dim_factor\": 1.0, \"chunk_size\": 64, \"use_bias\": false, \"weight_mode\": \"single\", \"gate_soft_cap\": 15.0,"
        " \"output_logit_soft_cap\": 30.0, \"ffn_proj_factor\": 2.667, \"ffn_round_up_to_multiple_of\": 64, \"norm_eps\": 1e-06,"
        " \"eps\": 1e-06, \"tie_word_embeddings\": true}";
    /* original xLSTM LM, 12 blocks of width 768 with sLSTM blocks at 3 and 9 (xLSTM[5:1]-like) */
    static const char *cfg_lm =
        "{\"model_type\": \"xlstm_lm\", \"vocab_size\": 50304, \"embedding_dim\": 768, \"num_blocks\": 12, \"slstm_at\": [3, 9],"
        " \"context_length\": 4096, \"bias\": false, \"tie_weights\": true, \"add_post_blocks_norm\": true,"
        " \"mlstm_block\": {\"mlstm\": {\"proj_factor\": 2.0, \"conv1d_kernel_size\": 4, \"qkv_proj_blocksize\": 4, \"num_heads\": 4}},"
        " \"slstm_block\": {\"slstm\": {\"num_heads\": 4, \"conv1d_kernel_size\": 4, \"backend\": \"cuda\", \"function\": \"slstm\"},"
        " \"feedforward\": {\"proj_factor\": 1.3, \"act_fn\": \"gelu\"}}}";
    size_t nbuf = (size_t)256 << 20, i;
    float *buf = (float *)malloc(nbuf * sizeof(float));
    if (!buf) { printf("xlstm: no memory for the bandwidth buffer\n"); return; }
    for (i = 0; i < nbuf / 1024; i++) memset(buf + i * 1024, 0, 4096);
    printf("xlstm: random weights, simd %s, %d threads\n", smx_simd_name(), nth);
    bench_xlstm_model("xlstm (7B layout, 125M)", cfg7, nth, quick, buf, nbuf);
    bench_xlstm_model("xlstm_lm (mLSTM + sLSTM at 3, 9)", cfg_lm, nth, quick, buf, nbuf);
    free(buf);
}
