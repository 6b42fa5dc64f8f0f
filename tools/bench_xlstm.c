/* bench_xlstm.c — xLSTM family speed with random weights: a ~125M-parameter xLSTM-7B-style model
 * (width 768, 12 mLSTM blocks, 4 heads, vocabulary 50304, tied embeddings): decode tokens/s against the
 * read-bandwidth roofline (bench_probe rounds between the decode rounds), and prefill tokens/s at
 * 512 and 4096 tokens with the chunkwise form against the step loop; then the original xLSTM LM of
 * the same width with sLSTM blocks at 3 and 9 (the sLSTM recurrence is sequential). Included by
 * seqmix.c after cli_bench.c. */

/* One model: decode and prefill figures. */
static void bench_xlstm_model(const char *name, const char *cfg, int nth, int quick)
{
    static const int lengths[2] = { 512, 4096 };
    enum { MAXW = 512, MAXD = 3 * 32 };
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_error err;
    smx_model_info info;
    bench_probe probe;
    const int steps = quick ? 16 : 32, rounds = quick ? 2 : 3, win = quick ? 128 : MAXW, preps = quick ? 2 : 3;
    int32_t *ids = NULL;
    float *lg = NULL;
    double bytes, td[MAXD], frac[MAXD], tc[3], ts[MAXW];
    cli_stat sd, sf, sc, sst;
    char b1[64], b2[64], b3[64], b4[64], key[32];
    int i, k, V;
    if (smx_model_from_config(cfg, 1, &m, &err)) { bench_printf("  %s: %s\n", name, err.msg); return; }
    smx_model_get_info(m, &info);
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    so.capacity = 4096 + MAXD + 64;
    if (smx_session_new(m, &so, &s, &err)) { bench_printf("  %s: %s\n", name, err.msg); smx_model_free(m); return; }
    V = smx_model_vocab(m);
    lg = (float *)malloc(sizeof(float) * (size_t)V);
    ids = (int32_t *)malloc(sizeof(int32_t) * 4096);
    if (!lg || !ids) { bench_printf("  %s: out of memory\n", name); goto done; }
    for (i = 0; i < 4096; i++) ids[i] = (int32_t)(((long)i * 7919 + 13) % V);
    bench_printf("%s: pattern %s, %.1fM parameters (%.2f GB float32), state %.2f MB per sequence\n", name, info.pattern,
                 info.n_params / 1e6, info.weight_bytes / 1e9, info.state_bytes / 1e6);
    /* decode: every weight once per token (bench_decode_bytes), the recurrent state read and written */
    smx_session_prefill(s, ids, 32, lg, 0);
    smx_session_step(s, smx_argmax(lg, V), lg);     /* warm-up */
    bytes = bench_decode_bytes(m, 33);
    if (bench_probe_init(&probe, bytes, info.hidden_size, nth)) { bench_printf("  %s: no memory for the probe\n", name); goto done; }
    if (bench_decode_rounds(s, V, lg, rounds, steps, &probe, td)) { bench_probe_free(&probe); goto done; }
    for (i = 0; i < rounds * steps; i++) frac[i] = 100.0 * bytes / td[i] / probe.best;
    sd = cli_stat_inv(cli_stats(td, rounds * steps), 1.0);
    sf = cli_stats(frac, rounds * steps);
    bench_printf("  decode        %-26s tok/s  %d steps, %.3f GB per step\n", cli_fmt_stat(b1, sizeof b1, "%.2f", sd), rounds * steps,
                 bytes / 1e9);
    bench_printf("  of roofline   %-26s %%      roof %.2f GB/s (%s), %d probe rounds\n", cli_fmt_stat(b2, sizeof b2, "%.0f", sf),
                 probe.best / 1e9, probe.best_pat, probe.rounds);
    bench_val("xlstm", name, "decode_bytes", "B", bytes);
    bench_val("xlstm", name, "roof_bandwidth", "GB/s", probe.best / 1e9);
    bench_rec("xlstm", name, "decode", "tok/s", sd);
    bench_rec("xlstm", name, "decode_of_roof", "%", sf);
    bench_probe_free(&probe);
    /* prefill: chunkwise form (session batches of 512) vs the step loop. A step costs the same at
     * any position (the state has a fixed size), so the step loop at n tokens is timed step by
     * step over its last `win` tokens after a chunkwise prefill of the rest. */
    for (k = 0; k < 2; k++) {
        int n = lengths[k], w;
        if (quick && n > 512) n = 1024;
        w = win < n ? win : n;
        if (bench_prefill_times(s, ids, n, lg, preps, tc)) break;
        sc = cli_stat_inv(cli_stats(tc, preps), n);
        smx_session_reset(s);
        if (n > w) smx_session_prefill(s, ids, n - w, NULL, 0);
        for (i = n - w; i < n; i++) {
            double t0 = cli_now();
            smx_session_step(s, ids[i], lg);
            ts[i - (n - w)] = cli_now() - t0;
        }
        sst = cli_stat_inv(cli_stats(ts, w), 1.0);
        bench_printf("  prefill %4d  chunkwise %s tok/s, step loop %s tok/s (%d steps): %.1fx\n", n,
                     cli_fmt_stat(b3, sizeof b3, "%.1f", sc), cli_fmt_stat(b4, sizeof b4, "%.1f", sst), w, sc.med / sst.med);
        snprintf(key, sizeof key, "prefill_%d_chunkwise", n);
        bench_rec("xlstm", name, key, "tok/s", sc);
        snprintf(key, sizeof key, "prefill_%d_step_loop", n);
        bench_rec("xlstm", name, key, "tok/s", sst);
    }
done:
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
    bench_printf("xlstm: random weights, simd %s, %d thread%s; median (min..max)\n", smx_simd_name(), nth, nth == 1 ? "" : "s");
    bench_xlstm_model("xlstm (7B layout, 125M)", cfg7, nth, quick);
    bench_xlstm_model("xlstm_lm (mLSTM + sLSTM at 3, 9)", cfg_lm, nth, quick);
}
