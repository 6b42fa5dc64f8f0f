/* bench_liquid.c — liquid family speed: CfC and LTC steps/s and per-step latency for a 64-unit
 * model with 32 inputs (one sample, the embedded use case), and LFM2 decode tokens/s for a model
 * of LFM2-350M's shape with random weights, as a fraction of the read-bandwidth roofline.
 * Included by seqmix.c after cli_bench.c (cli_now, bench_read_bw). */
#include <unistd.h>

static int bench_liquid_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Whole-sequence steps/s (T steps per call) and median single-step latency (us) of a feature
 * model. Both walk the same trajectory: T steps from the zero state, repeated. */
static int bench_liquid_features(const char *name, smx_model *m, int nth, int quick, double *sps, double *step_us,
                                 double *best_us)
{
    smx_session *s = NULL;
    smx_session_options so;
    smx_error err;
    smx_model_info info;
    const int T = 512, reps = quick ? 4 : 40;
    float *in, *out, *dt;
    double t0, best = 1e30, *lat;
    int r, i;
    smx_model_get_info(m, &info);
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    if (smx_session_new(m, &so, &s, &err)) { printf("%s: %s\n", name, err.msg); return 1; }
    in = (float *)malloc(sizeof(float) * (size_t)T * info.input_size);
    out = (float *)malloc(sizeof(float) * (size_t)T * info.output_size);
    dt = (float *)malloc(sizeof(float) * (size_t)T);
    lat = (double *)malloc(sizeof(double) * (size_t)T * reps);
    for (i = 0; i < T * info.input_size; i++) in[i] = (float)((i * 7919) % 2001) * 1e-3f - 1.0f;
    for (i = 0; i < T; i++) dt[i] = 0.5f + (float)(i % 7) * 0.25f;   /* irregular sampling */
    for (r = 0; r < reps; r++) {   /* best of several short runs: robust to a busy machine */
        smx_session_reset(s);
        t0 = cli_now();
        smx_session_run(s, in, dt, T, out);
        t0 = cli_now() - t0;
        if (t0 < best) best = t0;
    }
    *sps = (double)T / best;
    for (r = 0; r < reps; r++) {   /* one step per call, as a streaming application would */
        smx_session_reset(s);
        for (i = 0; i < T; i++) {
            t0 = cli_now();
            smx_session_run(s, in + (size_t)i * info.input_size, dt + i, 1, out);
            lat[(size_t)r * T + i] = cli_now() - t0;
        }
    }
    qsort(lat, (size_t)T * reps, sizeof *lat, bench_liquid_cmp);
    *step_us = lat[(size_t)T * reps / 2] * 1e6;
    *best_us = lat[(size_t)T * reps / 100] * 1e6;   /* 1st percentile: the cost without interference */
    free(in); free(out); free(dt); free(lat);
    smx_session_free(s);
    return 0;
}

/* An ncps-style fully connected LTC (N units, S inputs) with the reference's initial value
 * ranges (gleak, cm, w, sigma, mu, ...; reversal potentials +-1), saved to a temporary folder
 * and loaded back. NULL on failure. */
static smx_model *bench_liquid_ltc(int S, int N)
{
    static const char *const names[] = { "rnn_cell.gleak", "rnn_cell.vleak", "rnn_cell.cm", "rnn_cell.sigma", "rnn_cell.mu",
                                         "rnn_cell.w", "rnn_cell.erev", "rnn_cell.sensory_sigma", "rnn_cell.sensory_mu",
                                         "rnn_cell.sensory_w", "rnn_cell.sensory_erev", "rnn_cell.sparsity_mask",
                                         "rnn_cell.sensory_sparsity_mask", "rnn_cell.input_w", "rnn_cell.input_b",
                                         "rnn_cell.output_w", "rnn_cell.output_b" };
    /* value ranges [lo, hi]; lo > hi marks a random sign (reversal potentials) */
    static const float lo[] = { 0.001f, -0.2f, 0.4f, 3, 0.3f, 0.001f, 1, 3, 0.3f, 0.001f, 1, 1, 1, 1, 0, 1, 0 };
    static const float hi[] = { 1, 0.2f, 0.6f, 8, 0.8f, 1, -1, 8, 0.8f, 1, -1, 1, 1, 1, 0, 1, 0 };
    const int rows[] = { N, N, N, N, N, N, N, S, S, S, S, N, S, S, S, N, N };
    const int cols[] = { 0, 0, 0, N, N, N, N, N, N, N, N, N, N, 0, 0, 0, 0 };
    char tmpl[] = "/tmp/smx_bench_ltc_XXXXXX", path[256], cfg[512];
    char *dir = mkdtemp(tmpl);
    smx__st_out t[17];
    float *data[17];
    smx_model *m = NULL;
    smx_error err;
    smx_rng r;
    FILE *f;
    int i, ok = dir != NULL;
    size_t k, n;
    smx_rng_seed(&r, 1111);
    memset(t, 0, sizeof t);
    for (i = 0; i < 17; i++) {
        n = (size_t)rows[i] * (size_t)(cols[i] ? cols[i] : 1);
        data[i] = (float *)malloc(sizeof(float) * n);
        if (!data[i]) { ok = 0; continue; }
        for (k = 0; k < n; k++) {
            double u = smx_rng_uniform(&r);
            data[i][k] = lo[i] > hi[i] ? (u < 0.5 ? -1.0f : 1.0f) : lo[i] + (float)u * (hi[i] - lo[i]);
        }
        t[i].name = names[i]; t[i].ndim = cols[i] ? 2 : 1; t[i].shape[0] = rows[i]; t[i].shape[1] = cols[i]; t[i].data = data[i];
    }
    snprintf(cfg, sizeof cfg,
             "{\"model_type\": \"ltc\", \"input_size\": %d, \"units\": %d, \"output_size\": %d, \"ode_unfolds\": 6,"
             " \"epsilon\": 1e-08, \"implicit_param_constraints\": true, \"input_mapping\": \"affine\","
             " \"output_mapping\": \"affine\"}", S, N, N);
    if (ok) {
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        ok = smx__st_write(path, t, 17, &err) == SMX_OK;
        snprintf(path, sizeof path, "%s/config.json", dir);
        f = fopen(path, "wb");
        ok = ok && f && fputs(cfg, f) >= 0;
        if (f) ok = fclose(f) == 0 && ok;
        if (ok && smx_model_load(dir, &m, &err) != SMX_OK) printf("ltc: %s\n", err.msg);
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        remove(path);
        snprintf(path, sizeof path, "%s/config.json", dir);
        remove(path);
        rmdir(dir);
    }
    for (i = 0; i < 17; i++) free(data[i]);
    return m;
}

static void bench_liquid(int nth, int quick)
{
    static const char *cfc_cfg =
        "{\"model_type\": \"cfc\", \"input_size\": 32, \"units\": 64, \"proj_size\": null, \"mode\": \"default\","
        " \"activation\": \"lecun_tanh\", \"backbone_units\": 128, \"backbone_layers\": 1, \"mixed_memory\": false}";
    /* LFM2-350M: 16 layers (attention at 2, 5, 8, 10, 12, 14), width 1024, 16 heads / 8 KV heads,
     * block_ff_dim 6656 -> SwiGLU width 4608, vocabulary 65536, tied embeddings */
    static const char *lfm2_cfg =
        "{\"architectures\": [\"Lfm2ForCausalLM\"], \"model_type\": \"lfm2\", \"vocab_size\": 65536, \"hidden_size\": 1024,"
        " \"intermediate_size\": 6656, \"num_hidden_layers\": 16, \"num_attention_heads\": 16, \"num_key_value_heads\": 8,"
        " \"conv_L_cache\": 3, \"conv_bias\": false, \"block_auto_adjust_ff_dim\": true, \"block_ffn_dim_multiplier\": 1.0,"
        " \"block_multiple_of\": 256, \"norm_eps\": 1e-05, \"tie_word_embeddings\": true, \"max_position_embeddings\": 128000,"
        " \"rope_theta\": 1000000.0, \"full_attn_idxs\": [2, 5, 8, 10, 12, 14]}";
    double cfc_sps = 0, cfc_us = 0, cfc_b = 0, ltc_sps = 0, ltc_us = 0, ltc_b = 0;
    int ok_c, ok_l;
    printf("liquid: CfC / LTC, 64 units, 32 inputs, one sample, 1 thread (simd %s); steps/s of 512-step\n"
           "  sequences, and latency of single-step calls (median and 1st percentile)\n", smx_simd_name());
    {   /* CfC from its config with random weights (uniform, scaled by fan-in) */
        smx_model *m = NULL;
        smx_error err;
        if (smx_model_from_config(cfc_cfg, 1, &m, &err) != SMX_OK) printf("cfc: %s\n", err.msg);
        ok_c = m && !bench_liquid_features("cfc", m, 1, quick, &cfc_sps, &cfc_us, &cfc_b);
        smx_model_free(m);
        m = bench_liquid_ltc(32, 64);
        ok_l = m && !bench_liquid_features("ltc", m, 1, quick, &ltc_sps, &ltc_us, &ltc_b);
        smx_model_free(m);
    }
    printf("  %-38s %12s %14s %14s\n", "", "steps/s seq", "us/step med", "us/step p1");
    if (ok_c) printf("  %-38s %12.0f %14.2f %14.2f\n", "CfC  (default mode, backbone 1 x 128)", cfc_sps, cfc_us, cfc_b);
    if (ok_l) printf("  %-38s %12.0f %14.2f %14.2f\n", "LTC  (fully connected, 6 unfolds)", ltc_sps, ltc_us, ltc_b);
    if (ok_c && ok_l)
        printf("  CfC / LTC speed: %.1fx (sequence), %.1fx (median single step)\n", cfc_sps / ltc_sps, ltc_us / cfc_us);
    {   /* LFM2 decode against the bandwidth roofline */
        smx_model *m = NULL;
        smx_session *s = NULL;
        smx_session_options so;
        smx_error err;
        smx_model_info info;
        const int n_prompt = 32;
        int n_gen = quick ? 16 : 64;
        int32_t ids[32];
        float *lg, *buf;
        size_t nbuf = (size_t)256 << 20;
        double t0, t1, bw, bytes, *lat;
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
        t0 = cli_now();
        smx_session_prefill(s, ids, n_prompt, lg, 0);
        t1 = cli_now();
        printf("  pattern %s, %.0fM parameters (%.2f GB float32)\n", info.pattern, info.n_params / 1e6, info.weight_bytes / 1e9);
        printf("  prefill %d tokens: %.1f tok/s\n", n_prompt, n_prompt / (t1 - t0));
        lat = (double *)malloc(sizeof(double) * (size_t)n_gen);
        for (i = 0; i < n_gen && lat; i++) {
            t0 = cli_now();
            smx_session_step(s, smx_argmax(lg, V), lg);
            lat[i] = cli_now() - t0;
        }
        if (!lat) { printf("  lfm2: out of memory\n"); n_gen = 0; }
        else qsort(lat, (size_t)n_gen, sizeof *lat, bench_liquid_cmp);
        /* bytes a decode step must read: every weight once (the tied head reads the embedding
         * matrix once; the embedding lookup itself is one row) */
        bytes = (double)info.weight_bytes;
        buf = (float *)malloc(nbuf * sizeof(float));
        if (buf && n_gen) {
            double med = lat[n_gen / 2], best = lat[0];
            for (i = 0; i < (int)(nbuf / 1024); i++) memset(buf + (size_t)i * 1024, 0, 4096);
            bw = bench_read_bw(buf, nbuf, nth, 5);
            printf("  decode %.2f tok/s (median step %.1f ms, best %.1f ms); roofline %.2f tok/s\n", 1.0 / med, med * 1e3,
                   best * 1e3, bw / bytes);
            printf("  (%.1f GB/s read bandwidth, %.2f GB per token): median %.0f%%, best %.0f%% of the roofline\n", bw / 1e9,
                   bytes / 1e9, 100.0 * bytes / med / bw, 100.0 * bytes / best / bw);
        }
        free(buf);
        free(lat);
        free(lg);
        smx_session_free(s);
        smx_model_free(m);
    }
}
