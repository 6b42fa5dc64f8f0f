/* bench_liquid.c — liquid family speed: CfC and LTC steps/s and per-step latency for a 64-unit
 * model with 32 inputs (one sample, the embedded use case), and LFM2 decode tokens/s for a model
 * of LFM2-350M's shape with random weights, as a fraction of the read-bandwidth roofline.
 * Included by seqmix.c after cli_bench.c. */

/* Whole-sequence steps/s (T steps per call, over reps calls) and single-step latency in seconds
 * (every step of reps sequences of T single-step calls) of a feature model. Both walk the same
 * trajectory: T steps from the zero state, repeated. */
static int bench_liquid_features(const char *name, smx_model *m, int nth, int quick, cli_stat *sps, cli_stat *step_s)
{
    smx_session *s = NULL;
    smx_session_options so;
    smx_error err;
    smx_model_info info;
    const int T = 512, reps = quick ? 4 : 40;
    float *in, *out, *dt;
    double t0, *seq, *lat;
    int r, i, rc = 1;
    smx_model_get_info(m, &info);
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    if (smx_session_new(m, &so, &s, &err)) { bench_printf("%s: %s\n", name, err.msg); return 1; }
    in = (float *)malloc(sizeof(float) * (size_t)T * info.input_size);
    out = (float *)malloc(sizeof(float) * (size_t)T * info.output_size);
    dt = (float *)malloc(sizeof(float) * (size_t)T);
    seq = (double *)malloc(sizeof(double) * (size_t)reps);
    lat = (double *)malloc(sizeof(double) * (size_t)T * reps);
    if (!in || !out || !dt || !seq || !lat) { bench_printf("%s: out of memory\n", name); goto done; }
    for (i = 0; i < T * info.input_size; i++) in[i] = (float)((i * 7919) % 2001) * 1e-3f - 1.0f;
    for (i = 0; i < T; i++) dt[i] = 0.5f + (float)(i % 7) * 0.25f;   /* irregular sampling */
    for (r = 0; r < reps; r++) {
        smx_session_reset(s);
        t0 = cli_now();
        smx_session_run(s, in, dt, T, out);
        seq[r] = cli_now() - t0;
    }
    *sps = cli_stat_inv(cli_stats(seq, reps), T);
    for (r = 0; r < reps; r++) {   /* one step per call, as a streaming application would */
        smx_session_reset(s);
        for (i = 0; i < T; i++) {
            t0 = cli_now();
            smx_session_run(s, in + (size_t)i * info.input_size, dt + i, 1, out);
            lat[(size_t)r * T + i] = cli_now() - t0;
        }
    }
    *step_s = cli_stats(lat, T * reps);
    rc = 0;
done:
    free(in); free(out); free(dt); free(seq); free(lat);
    smx_session_free(s);
    return rc;
}

/* Write F32 tensors as a safetensors file: an 8-byte little-endian header length, the JSON
 * header (padded with spaces to a multiple of 8), then the data. 0 ok. */
static int bench_write_safetensors(const char *path, int n, const char *const *names, const int (*shape)[2], const int *ndim,
                                   float *const *data)
{
    char *hdr;
    size_t cap = 256 + (size_t)n * 160, len = 0, off = 0, numel;
    unsigned char le[8];
    FILE *f;
    int i, j, ok;
    if (!(hdr = (char *)malloc(cap))) return 1;
    len += (size_t)snprintf(hdr + len, cap - len, "{");
    for (i = 0; i < n; i++) {
        numel = (size_t)shape[i][0] * (size_t)(ndim[i] > 1 ? shape[i][1] : 1);
        len += (size_t)snprintf(hdr + len, cap - len, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d", i ? "," : "", names[i], shape[i][0]);
        if (ndim[i] > 1) len += (size_t)snprintf(hdr + len, cap - len, ",%d", shape[i][1]);
        len += (size_t)snprintf(hdr + len, cap - len, "],\"data_offsets\":[%lu,%lu]}", (unsigned long)off,
                                (unsigned long)(off + numel * 4));
        off += numel * 4;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    while (len % 8 && len + 1 < cap) hdr[len++] = ' ';
    for (j = 0; j < 8; j++) le[j] = (unsigned char)((unsigned long long)len >> (8 * j));
    if (!(f = fopen(path, "wb"))) { free(hdr); return 1; }
    ok = fwrite(le, 1, 8, f) == 8 && fwrite(hdr, 1, len, f) == len;
    for (i = 0; ok && i < n; i++) {
        numel = (size_t)shape[i][0] * (size_t)(ndim[i] > 1 ? shape[i][1] : 1);
        ok = fwrite(data[i], sizeof(float), numel, f) == numel;   /* float32 little-endian on x86 and ARM */
    }
    ok = fclose(f) == 0 && ok;
    free(hdr);
    return !ok;
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
    char tmp[512], path[600], cfg[512];
    char *dir = cli_mkdtemp("smx_bench_ltc", tmp, sizeof tmp);
    int shape[17][2], ndim[17];
    float *data[17];
    smx_model *m = NULL;
    smx_error err;
    smx_rng r;
    FILE *f;
    int i, ok = dir != NULL;
    size_t k, n;
    smx_rng_seed(&r, 1111);
    for (i = 0; i < 17; i++) {
        n = (size_t)rows[i] * (size_t)(cols[i] ? cols[i] : 1);
        data[i] = (float *)malloc(sizeof(float) * n);
        if (!data[i]) { ok = 0; continue; }
        for (k = 0; k < n; k++) {
            double u = smx_rng_uniform(&r);
            data[i][k] = lo[i] > hi[i] ? (u < 0.5 ? -1.0f : 1.0f) : lo[i] + (float)u * (hi[i] - lo[i]);
        }
        ndim[i] = cols[i] ? 2 : 1; shape[i][0] = rows[i]; shape[i][1] = cols[i];
    }
    snprintf(cfg, sizeof cfg,
             "{\"model_type\": \"ltc\", \"input_size\": %d, \"units\": %d, \"output_size\": %d, \"ode_unfolds\": 6,"
             " \"epsilon\": 1e-08, \"implicit_param_constraints\": true, \"input_mapping\": \"affine\","
             " \"output_mapping\": \"affine\"}", S, N, N);
    if (ok) {
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        ok = !bench_write_safetensors(path, 17, names, (const int (*)[2])shape, ndim, data);
        snprintf(path, sizeof path, "%s/config.json", dir);
        f = fopen(path, "wb");
        ok = ok && f && fputs(cfg, f) >= 0;
        if (f) ok = fclose(f) == 0 && ok;
        if (ok && smx_model_load(dir, &m, &err) != SMX_OK) bench_printf("ltc: %s\n", err.msg);
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        remove(path);
        snprintf(path, sizeof path, "%s/config.json", dir);
        remove(path);
        cli_rmdir(dir);
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
    cli_stat cs, cl, ls, ll;
    char b1[64], b2[64], b3[64], b4[64];
    int ok_c, ok_l;
    bench_printf("liquid: CfC / LTC, 64 units, 32 inputs, one sample, 1 thread (simd %s); steps/s of 512-step\n"
                 "  sequences, and latency of single-step calls; median (min..max)\n", smx_simd_name());
    {   /* CfC from its config with random weights (uniform, scaled by fan-in) */
        smx_model *m = NULL;
        smx_error err;
        if (smx_model_from_config(cfc_cfg, 1, &m, &err) != SMX_OK) bench_printf("cfc: %s\n", err.msg);
        ok_c = m && !bench_liquid_features("cfc", m, 1, quick, &cs, &cl);
        smx_model_free(m);
        m = bench_liquid_ltc(32, 64);
        ok_l = m && !bench_liquid_features("ltc", m, 1, quick, &ls, &ll);
        smx_model_free(m);
    }
    if (ok_c) {
        bench_printf("  CfC (default mode, backbone 1 x 128)  %s steps/s sequence, %s us per single step\n",
                     cli_fmt_stat(b1, sizeof b1, "%.0f", cs), cli_fmt_stat(b2, sizeof b2, "%.2f", cli_stat_scale(cl, 1e6)));
        bench_rec("liquid", "cfc", "sequence", "steps/s", cs);
        bench_rec("liquid", "cfc", "single_step", "us", cli_stat_scale(cl, 1e6));
    }
    if (ok_l) {
        bench_printf("  LTC (fully connected, 6 unfolds)      %s steps/s sequence, %s us per single step\n",
                     cli_fmt_stat(b3, sizeof b3, "%.0f", ls), cli_fmt_stat(b4, sizeof b4, "%.2f", cli_stat_scale(ll, 1e6)));
        bench_rec("liquid", "ltc", "sequence", "steps/s", ls);
        bench_rec("liquid", "ltc", "single_step", "us", cli_stat_scale(ll, 1e6));
    }
    if (ok_c && ok_l)
        bench_printf("  CfC / LTC speed (medians): %.1fx (sequence), %.1fx (single step)\n", cs.med / ls.med, ll.med / cl.med);
    {   /* LFM2 decode against the bandwidth roofline */
        enum { NP = 32, MAXD = 3 * 32 };
        smx_model *m = NULL;
        smx_session *s = NULL;
        smx_session_options so;
        smx_error err;
        smx_model_info info;
        bench_probe probe;
        const int steps = quick ? 8 : 32, rounds = quick ? 2 : 3, preps = quick ? 2 : 5;
        int32_t ids[NP];
        float *lg;
        double bytes, td[MAXD], frac[MAXD], tp[5];
        cli_stat sp, sd, sf;
        int i, V;
        bench_printf("liquid: LFM2-350M shape, random weights, %d thread%s\n", nth, nth == 1 ? "" : "s");
        if (smx_model_from_config(lfm2_cfg, 1, &m, &err)) { bench_printf("  lfm2: %s\n", err.msg); return; }
        smx_model_get_info(m, &info);
        memset(&so, 0, sizeof so);
        so.n_threads = nth;
        so.capacity = NP + MAXD + 8;
        if (smx_session_new(m, &so, &s, &err)) { bench_printf("  lfm2: %s\n", err.msg); smx_model_free(m); return; }
        V = smx_model_vocab(m);
        if (!(lg = (float *)malloc(sizeof(float) * (size_t)V))) { bench_printf("  lfm2: out of memory\n"); goto lfm2_done; }
        for (i = 0; i < NP; i++) ids[i] = (int32_t)((i * 7919) % V);
        bench_printf("  pattern %s, %.0fM parameters (%.2f GB float32)\n", info.pattern, info.n_params / 1e6, info.weight_bytes / 1e9);
        if (bench_prefill_times(s, ids, NP, lg, preps, tp)) goto lfm2_done;
        sp = cli_stat_inv(cli_stats(tp, preps), NP);
        bench_printf("  prefill %d tokens  %s tok/s  (%d runs)\n", NP, cli_fmt_stat(b1, sizeof b1, "%.1f", sp), preps);
        bench_rec("liquid", "lfm2-350m-shape", "prefill_32", "tok/s", sp);
        /* the session holds the prompt: decode from there, probe rounds between the decode rounds */
        bytes = bench_decode_bytes(m, NP + rounds * steps);
        if (bench_probe_init(&probe, bytes, info.hidden_size, nth)) { bench_printf("  lfm2: no memory for the probe\n"); goto lfm2_done; }
        if (!bench_decode_rounds(s, V, lg, rounds, steps, &probe, td)) {
            for (i = 0; i < rounds * steps; i++) frac[i] = 100.0 * bytes / td[i] / probe.best;
            sd = cli_stat_inv(cli_stats(td, rounds * steps), 1.0);
            sf = cli_stats(frac, rounds * steps);
            bench_printf("  decode            %s tok/s  (%d steps, %.2f GB per step)\n", cli_fmt_stat(b2, sizeof b2, "%.2f", sd),
                         rounds * steps, bytes / 1e9);
            bench_printf("  of roofline       %s%%  (roof %.2f GB/s: %s, %d probe rounds)\n", cli_fmt_stat(b3, sizeof b3, "%.0f", sf),
                         probe.best / 1e9, probe.best_pat, probe.rounds);
            bench_val("liquid", "lfm2-350m-shape", "decode_bytes", "B", bytes);
            bench_val("liquid", "lfm2-350m-shape", "roof_bandwidth", "GB/s", probe.best / 1e9);
            bench_rec("liquid", "lfm2-350m-shape", "decode", "tok/s", sd);
            bench_rec("liquid", "lfm2-350m-shape", "decode_of_roof", "%", sf);
        }
        bench_probe_free(&probe);
lfm2_done:
        free(lg);
        smx_session_free(s);
        smx_model_free(m);
    }
}
