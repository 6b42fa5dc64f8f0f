/* bench_liquid.c — liquid family speed: CfC and LTC steps/s and per-step latency for a 64-unit
 * model with 32 inputs (one sample, the embedded use case), and LFM2 decode tokens/s for a model
 * of LFM2-350M's shape with random weights, as a fraction of the read-bandwidth roofline.
 * Included by seqmix.c after cli_bench.c (smx_now, bench_read_bw). */

static int bench_liquid_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Whole-sequence steps/s (T steps per call) and median single-step latency (us) of a feature
 * model given by its config. Returns 0 on success. */
static int bench_liquid_features(const char *name, const char *cfg, int nth, int quick, double *sps, double *step_us)
{
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_error err;
    smx_model_info info;
    const int T = quick ? 500 : 4000, reps = quick ? 2000 : 20000;
    float *in, *out, *dt;
    double t0, best = 1e30, *lat;
    int r, i;
    if (smx_model_from_config(cfg, 1, &m, &err)) { printf("%s: %s\n", name, err.msg); return 1; }
    smx_model_get_info(m, &info);
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    if (smx_session_new(m, &so, &s, &err)) { printf("%s: %s\n", name, err.msg); smx_model_free(m); return 1; }
    in = (float *)malloc(sizeof(float) * (size_t)T * info.input_size);
    out = (float *)malloc(sizeof(float) * (size_t)T * info.output_size);
    dt = (float *)malloc(sizeof(float) * (size_t)T);
    lat = (double *)malloc(sizeof(double) * (size_t)reps);
    for (i = 0; i < T * info.input_size; i++) in[i] = (float)((i * 7919) % 2001) * 1e-3f - 1.0f;
    for (i = 0; i < T; i++) dt[i] = 0.5f + (float)(i % 7) * 0.25f;
    for (r = 0; r < 3; r++) {
        smx_session_reset(s);
        t0 = smx_now();
        smx_session_run(s, in, dt, T, out);
        t0 = smx_now() - t0;
        if (t0 < best) best = t0;
    }
    *sps = (double)T / best;
    smx_session_reset(s);
    for (r = 0; r < reps; r++) {   /* one step per call, as a streaming application would */
        int k = r % T;
        t0 = smx_now();
        smx_session_run(s, in + (size_t)k * info.input_size, dt + k, 1, out);
        lat[r] = smx_now() - t0;
    }
    qsort(lat, (size_t)reps, sizeof *lat, bench_liquid_cmp);
    *step_us = lat[reps / 2] * 1e6;
    free(in); free(out); free(dt); free(lat);
    smx_session_free(s);
    smx_model_free(m);
    return 0;
}

static void bench_liquid(int nth, int quick)
{
    static const char *cfc_cfg =
        "{\"model_type\": \"cfc\", \"input_size\": 32, \"units\": 64, \"proj_size\": null, \"mode\": \"default\","
        " \"activation\": \"lecun_tanh\", \"backbone_units\": 128, \"backbone_layers\": 1, \"mixed_memory\": false}";
    static const char *ltc_cfg =
        "{\"model_type\": \"ltc\", \"input_size\": 32, \"units\": 64, \"output_size\": 64, \"ode_unfolds\": 6,"
        " \"epsilon\": 1e-08, \"implicit_param_constraints\": true, \"input_mapping\": \"affine\", \"output_mapping\": \"affine\"}";
    /* LFM2-350M: 16 layers (attention at 2, 5, 8, 10, 12, 14), width 1024, 16 heads / 8 KV heads,
     * block_ff_dim 6656 -> SwiGLU width 4608, vocabulary 65536, tied embeddings */
    static const char *lfm2_cfg =
        "{\"architectures\": [\"Lfm2ForCausalLM\"], \"model_type\": \"lfm2\", \"vocab_size\": 65536, \"hidden_size\": 1024,"
        " \"intermediate_size\": 6656, \"num_hidden_layers\": 16, \"num_attention_heads\": 16, \"num_key_value_heads\": 8,"
        " \"conv_L_cache\": 3, \"conv_bias\": false, \"block_auto_adjust_ff_dim\": true, \"block_ffn_dim_multiplier\": 1.0,"
        " \"block_multiple_of\": 256, \"norm_eps\": 1e-05, \"tie_word_embeddings\": true, \"max_position_embeddings\": 128000,"
        " \"rope_theta\": 1000000.0, \"full_attn_idxs\": [2, 5, 8, 10, 12, 14]}";
    double cfc_sps = 0, cfc_us = 0, ltc_sps = 0, ltc_us = 0;
    int ok_c, ok_l;
    printf("liquid: CfC / LTC, 64 units, 32 inputs, one sample, 1 thread (simd %s)\n", smx_simd_name());
    ok_c = !bench_liquid_features("cfc", cfc_cfg, 1, quick, &cfc_sps, &cfc_us);
    ok_l = !bench_liquid_features("ltc", ltc_cfg, 1, quick, &ltc_sps, &ltc_us);
    if (ok_c) printf("  CfC  (default mode, backbone 1x128)  %10.0f steps/s  %8.2f us/step (single-step calls)\n", cfc_sps, cfc_us);
    if (ok_l) printf("  LTC  (fully connected, 6 unfolds)    %10.0f steps/s  %8.2f us/step (single-step calls)\n", ltc_sps, ltc_us);
    if (ok_c && ok_l) printf("  CfC / LTC speed ratio %.1fx (sequence), %.1fx (single steps)\n", cfc_sps / ltc_sps, ltc_us / cfc_us);
    {   /* LFM2 decode against the bandwidth roofline */
        smx_model *m = NULL;
        smx_session *s = NULL;
        smx_session_options so;
        smx_error err;
        smx_model_info info;
        const int n_prompt = 32, n_gen = quick ? 16 : 64;
        int32_t ids[32];
        float *lg, *buf;
        size_t nbuf = (size_t)256 << 20;
        double t0, t1, bw, tps, bytes;
        int i, V;
        printf("liquid: LFM2-350M shape, random weights, %d threads\n", nth);
        if (smx_model_from_config(lfm2_cfg, 1, &m, &err)) { printf("  lfm2: %s\n", err.msg); return; }
        smx_model_get_info(m, &info);
        memset(&so, 0, sizeof so);
        so.n_threads = nth;
        so.capacity = n_prompt + n_gen + 1;
        if (smx_session_new(m, &so, &s, &err)) { printf("  lfm2: %s\n", err.msg); smx_model_free(m); return; }
        V = smx_model_vocab(m);
        lg = (float *)malloc(sizeof(float) * (size_t)V);
        for (i = 0; i < n_prompt; i++) ids[i] = (int32_t)((i * 7919) % V);
        t0 = smx_now();
        smx_session_prefill(s, ids, n_prompt, lg, 0);
        t1 = smx_now();
        printf("  pattern %s, %.0fM parameters (%.2f GB float32)\n", info.pattern, info.n_params / 1e6, info.weight_bytes / 1e9);
        printf("  prefill %d tokens: %.1f tok/s\n", n_prompt, n_prompt / (t1 - t0));
        t0 = smx_now();
        for (i = 0; i < n_gen; i++) smx_session_step(s, smx_argmax(lg, V), lg);
        t1 = smx_now();
        tps = n_gen / (t1 - t0);
        /* bytes a decode step must read: every weight once, except the embedding rows (only one
         * row is gathered; the tied head reads the whole matrix once) */
        bytes = (double)info.weight_bytes;
        buf = (float *)malloc(nbuf * sizeof(float));
        if (buf) {
            for (i = 0; i < (int)(nbuf / 1024); i++) memset(buf + (size_t)i * 1024, 0, 4096);
            bw = bench_read_bw(buf, nbuf, nth, 3);
            printf("  decode %.2f tok/s; roofline %.2f tok/s (%.1f GB/s read bandwidth, %.2f GB per token): %.0f%%\n", tps,
                   bw / bytes, bw / 1e9, bytes / 1e9, 100.0 * tps * bytes / bw);
            free(buf);
        }
        free(lg);
        smx_session_free(s);
        smx_model_free(m);
    }
}
