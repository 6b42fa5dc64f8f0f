/* bench_hybrid.c — speed of the second-wave hybrids with random weights, on public-checkpoint shapes.
 * Included by seqmix.c after cli_bench.c (`seqmix bench-models --only hybrid`).
 *
 *   Granite 4.0-H (350M shape)  width 768, 32 layers: Mamba-2 (48 heads x 32, state 128, 1 group) with
 *                               attention at layers 10, 13, 17 and 27 (12 heads, 4 key/value heads, no
 *                               positional encoding), each followed by the dense shared MLP (2048),
 *                               vocabulary 100352, tied head, Granite's multipliers
 *   Qwen3.5 (0.8B shape)        width 1024, 24 layers: gated DeltaNet (16 key / 16 value heads x 128,
 *                               conv 4) with gated attention every 4th layer (8 heads, 2 key/value
 *                               heads x 256, partial RoPE), each followed by a SwiGLU MLP (3584),
 *                               vocabulary 248320, tied head
 * For each: decode tokens/s (every step timed) and as a fraction of the read-bandwidth roofline
 * (bench_decode_bytes per step over the best bench_probe bandwidth, probe rounds between the decode
 * rounds), prefill tokens/s at 512 tokens (128 with --quick) from an empty state.
 *
 * Then the gated DeltaNet layer alone, 32 key and 32 value heads of 128 (llama.cpp's
 * GATED_DELTA_NET perf shape): the delta-rule core (normalised q, k, v, decay and beta in, output
 * and state out: the work of llama.cpp's fused op) over a 512-token prefill and per decode token,
 * and the whole layer at width 2048 (projections, conv, norms and gate included). The core runs on
 * the library's thread pool with the requested threads; inputs are drawn as llama.cpp's test draws
 * them (log decay in [-20, 0), beta in [0, 1), v in [-0.3, 5)). Every figure: median (min..max). */

/* The two model shapes (Granite's layer_types list is filled in by bench_hybrid_cfg). */
static const char *const bench_hybrid_names[2] = { "Granite 4.0-H (350M shape)", "Qwen3.5 (0.8B shape)" };

static void bench_hybrid_cfg(int k, char *buf, size_t cap)
{
    if (k == 0) {
        size_t o = (size_t)snprintf(buf, cap,
            "{\"architectures\":[\"GraniteMoeHybridForCausalLM\"],\"model_type\":\"granitemoehybrid\",\"vocab_size\":100352,"
            "\"hidden_size\":768,\"num_hidden_layers\":32,\"intermediate_size\":2048,\"shared_intermediate_size\":2048,"
            "\"num_local_experts\":0,\"num_experts_per_tok\":0,\"num_attention_heads\":12,\"num_key_value_heads\":4,"
            "\"mamba_n_heads\":48,\"mamba_d_head\":32,\"mamba_d_state\":128,\"mamba_n_groups\":1,\"mamba_expand\":2,"
            "\"mamba_d_conv\":4,\"mamba_chunk_size\":256,\"mamba_conv_bias\":true,\"mamba_proj_bias\":false,"
            "\"position_embedding_type\":\"nope\",\"embedding_multiplier\":12,\"residual_multiplier\":0.246,"
            "\"attention_multiplier\":0.015625,\"logits_scaling\":3,\"rms_norm_eps\":1e-5,\"tie_word_embeddings\":true,"
            "\"max_position_embeddings\":32768,\"layer_types\":[");
        int l;
        for (l = 0; l < 32 && o < cap; l++)
            o += (size_t)snprintf(buf + o, cap - o, "%s\"%s\"", l ? "," : "", l == 10 || l == 13 || l == 17 || l == 27 ? "attention" : "mamba");
        if (o < cap) snprintf(buf + o, cap - o, "]}");
    } else {
        snprintf(buf, cap,
                 "{\"architectures\":[\"Qwen3_5ForCausalLM\"],\"model_type\":\"qwen3_5_text\",\"vocab_size\":248320,\"hidden_size\":1024,"
                 "\"num_hidden_layers\":24,\"intermediate_size\":3584,\"num_attention_heads\":8,\"num_key_value_heads\":2,\"head_dim\":256,"
                 "\"linear_num_key_heads\":16,\"linear_num_value_heads\":16,\"linear_key_head_dim\":128,\"linear_value_head_dim\":128,"
                 "\"linear_conv_kernel_dim\":4,\"full_attention_interval\":4,\"rms_norm_eps\":1e-6,\"tie_word_embeddings\":true,"
                 "\"max_position_embeddings\":262144,\"rope_parameters\":{\"rope_theta\":10000000,\"partial_rotary_factor\":0.25,"
                 "\"rope_type\":\"default\"}}");
    }
}

/* One model: decode (against the roofline) and prefill of 512 tokens. */
static void bench_hybrid_model(const char *name, const char *cfg, int nth, int quick)
{
    enum { TMAX = 512, MAXR = 5, MAXS = 3 * 16 };
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_model_info in;
    smx_error e;
    bench_decode dc;
    const int steps = quick ? 8 : 16, rounds = quick ? 2 : 3, reps = quick ? 2 : MAXR, T = quick ? 128 : TMAX;
    int32_t ids[TMAX];
    float *lg = NULL;
    double tp[MAXR], td[MAXS], frac[MAXS];
    cli_stat sp;
    char b1[64], b2[64], b3[64], key[32];
    int i;
    if (smx_model_from_config(cfg, 1, &m, &e) != SMX_OK) {
        bench_printf("%s could not be built: %s\n", name, e.msg);
        return;
    }
    smx_model_get_info(m, &in);
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    so.batch = TMAX;
    so.capacity = TMAX + 64;
    if (smx_session_new(m, &so, &s, &e) != SMX_OK || !(lg = (float *)malloc(sizeof(float) * (size_t)in.vocab_size))) {
        bench_printf("%s: session: %s\n", name, s ? "out of memory" : e.msg);
        goto done;
    }
    {
        smx_rng g;
        smx_rng_seed(&g, 11);
        for (i = 0; i < T; i++) ids[i] = (int32_t)(smx_rng_next(&g) % (uint64_t)in.vocab_size);
    }
    if (bench_prefill_times(s, ids, T, lg, reps, tp)) goto done;
    sp = cli_stat_inv(cli_stats(tp, reps), T);
    /* decode: greedy steps after a short prompt (two warm-up steps first), probe rounds between */
    smx_session_reset(s);
    smx_session_prefill(s, ids, 8, lg, 0);
    smx_session_step(s, smx_argmax(lg, in.vocab_size), lg);
    smx_session_step(s, smx_argmax(lg, in.vocab_size), lg);
    if (bench_decode_measure(s, m, 10, rounds, steps, nth, lg, td, frac, &dc)) goto done;
    bench_printf("%s: pattern %s, %.0fM parameters, %.0f MB read per decode step, state %.0f KB per sequence\n", name, in.pattern,
                 in.n_params / 1e6, dc.bytes / 1e6, in.state_bytes / 1024.0);
    bench_printf("  decode        %-28s tok/s   %d steps\n", cli_fmt_stat(b1, sizeof b1, "%.1f", dc.tps), rounds * steps);
    bench_printf("  of roofline   %-28s %%       roof %.2f GB/s (%s), %d probe rounds\n", cli_fmt_stat(b2, sizeof b2, "%.0f", dc.roof),
                 dc.best / 1e9, dc.best_pat, dc.probe_rounds);
    bench_printf("  prefill %-4d  %-28s tok/s   %d runs\n", T, cli_fmt_stat(b3, sizeof b3, "%.1f", sp), reps);
    bench_val("hybrid", name, "parameters", "count", (double)in.n_params);
    bench_val("hybrid", name, "decode_bytes", "B", dc.bytes);
    bench_val("hybrid", name, "roof_bandwidth", "GB/s", dc.best / 1e9);
    bench_rec("hybrid", name, "decode", "tok/s", dc.tps);
    bench_rec("hybrid", name, "decode_of_roof", "%", dc.roof);
    snprintf(key, sizeof key, "prefill_%d", T);
    bench_rec("hybrid", name, key, "tok/s", sp);
done:
    smx_session_free(s);
    smx_model_free(m);
    free(lg);
}

/* Uniform floats in [lo, hi). */
static void bench_hybrid_fill(float *x, size_t n, smx_rng *g, float lo, float hi)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)smx_rng_uniform(g);
}

/* The gated DeltaNet layer alone: the core at T = 512 and T = 1, then the whole layer. */
static void bench_hybrid_gdn(int nth, int quick)
{
    enum { T = 512, MAXR = 7, NDEC = 32 };
    const int H = 32, D = 128, width = 2048, reps = quick ? 3 : MAXR;
    static const char *const name = "gated DeltaNet 32 x 128";
    char cfg[512];
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_error e;
    const smx__gdn *g;
    smx__cx cx;
    smx_rng rg;
    float *xc = NULL, *gt = NULL, *bt = NULL, *o = NULL, *S = NULL, *work = NULL, *lg = NULL;
    double tp[MAXR], td[MAXR], lp[MAXR], ld_[MAXR];
    int32_t ids[T];
    cli_stat sp, sd, slp, sld;
    char b1[64], b2[64], b3[64], b4[64];
    size_t nst;
    int r, t, i;
    snprintf(cfg, sizeof cfg,
             "{\"model_type\":\"seqmix\",\"vocab_size\":256,\"hidden_size\":%d,\"max_position_embeddings\":%d,\"layers\":["
             "{\"type\":\"gated_deltanet\",\"num_v_heads\":%d,\"num_k_heads\":%d,\"head_k_dim\":%d,\"head_v_dim\":%d}]}",
             width, T + 2 * NDEC + 8, H, H, D, D);
    if (smx_model_from_config(cfg, 1, &m, &e) != SMX_OK) { bench_printf("%s could not be built: %s\n", name, e.msg); return; }
    g = (const smx__gdn *)(const void *)m->sub[0].op;
    cx.nth = nth > 0 ? nth : smx_default_threads();
    cx.pool = cx.nth > 1 ? smx__pool_new(cx.nth - 1) : NULL;
    if (!cx.pool) cx.nth = 1;
    nst = (size_t)g->nv * g->dk * g->dv;
    xc = (float *)malloc(sizeof(float) * (size_t)T * g->cd);
    gt = (float *)malloc(sizeof(float) * (size_t)T * g->nv);
    bt = (float *)malloc(sizeof(float) * (size_t)T * g->nv);
    o = (float *)malloc(sizeof(float) * (size_t)T * g->vd);
    S = (float *)malloc(sizeof(float) * nst);
    work = (float *)malloc(sizeof(float) * smx__gdn_core_floats(g, T, cx.nth));
    lg = (float *)malloc(sizeof(float) * 256);
    if (!xc || !gt || !bt || !o || !S || !work || !lg) { bench_printf("%s: out of memory\n", name); goto done; }
    /* the inputs as llama.cpp's test draws them; q and k L2-normalised (q also by 1/sqrt(dk)) */
    smx_rng_seed(&rg, 7);
    bench_hybrid_fill(xc, (size_t)T * g->cd, &rg, -1.0f, 1.0f);
    for (t = 0; t < T; t++) {
        bench_hybrid_fill(xc + (size_t)t * g->cd + 2 * (size_t)g->kd, (size_t)g->vd, &rg, -0.3f, 5.0f);
        for (i = 0; i < 2 * g->nk; i++) {
            float *v = xc + (size_t)t * g->cd + (size_t)i * D, n = 1.0f / sqrtf(smx__dot(v, v, D) + 1e-6f);
            smx__scale(v, v, i < g->nk ? n * g->qscale : n, D);
        }
    }
    bench_hybrid_fill(gt, (size_t)T * g->nv, &rg, -20.0f, -1e-4f);
    bench_hybrid_fill(bt, (size_t)T * g->nv, &rg, 0.0f, 1.0f);
    /* core: prefill of T tokens from a zero state; decode: NDEC single steps continuing */
    for (r = -1; r < reps; r++) {
        double t0;
        memset(S, 0, sizeof(float) * nst);
        t0 = cli_now();
        smx__gdn_core(&cx, g, S, T, xc, gt, bt, o, work);
        if (r >= 0) tp[r] = cli_now() - t0;
        t0 = cli_now();
        for (t = 0; t < NDEC; t++)
            smx__gdn_core(&cx, g, S, 1, xc + (size_t)t * g->cd, gt + (size_t)t * g->nv, bt + (size_t)t * g->nv, o, work);
        if (r >= 0) td[r] = (cli_now() - t0) / NDEC;
    }
    sp = cli_stat_inv(cli_stats(tp, reps), T);
    sd = cli_stat_scale(cli_stats(td, reps), 1e6);
    /* the whole layer (width 2048) through a session: prefill of T tokens, then decode steps */
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    so.batch = T;
    if (smx_session_new(m, &so, &s, &e) != SMX_OK) { bench_printf("%s: session: %s\n", name, e.msg); goto done; }
    for (t = 0; t < T; t++) ids[t] = (int32_t)((t * 7919 + 13) % 256);
    for (r = -1; r < reps; r++) {
        double t0;
        smx_session_reset(s);
        t0 = cli_now();
        smx_session_prefill(s, ids, T, lg, 0);
        if (r >= 0) lp[r] = cli_now() - t0;
        smx_session_reset(s);
        smx_session_prefill(s, ids, 8, lg, 0);
        t0 = cli_now();
        for (t = 0; t < NDEC; t++) smx_session_step(s, ids[8 + t], lg);
        if (r >= 0) ld_[r] = (cli_now() - t0) / NDEC;
    }
    slp = cli_stat_inv(cli_stats(lp, reps), T);
    sld = cli_stat_scale(cli_stats(ld_, reps), 1e3);
    bench_printf("%s (%d key and value heads of %d; %d thread%s)\n", name, H, D, cx.nth, cx.nth == 1 ? "" : "s");
    bench_printf("  core prefill %d   %-24s tok/s   (%.1f ms per %d tokens; delta rule only)\n", T, cli_fmt_stat(b1, sizeof b1, "%.0f", sp),
                 1e3 * T / sp.med, T);
    bench_printf("  core decode       %-24s us per token\n", cli_fmt_stat(b2, sizeof b2, "%.0f", sd));
    bench_printf("  layer prefill %d  %-24s tok/s   (width %d: projections, conv, norms, gate)\n", T,
                 cli_fmt_stat(b3, sizeof b3, "%.0f", slp), width);
    bench_printf("  layer decode      %-24s ms per token\n", cli_fmt_stat(b4, sizeof b4, "%.2f", sld));
    bench_rec("hybrid", name, "core_prefill_512", "tok/s", sp);
    bench_rec("hybrid", name, "core_decode", "us", sd);
    bench_rec("hybrid", name, "layer_prefill_512", "tok/s", slp);
    bench_rec("hybrid", name, "layer_decode", "ms", sld);
done:
    smx_session_free(s);
    smx__pool_free(cx.pool);
    smx_model_free(m);
    free(xc); free(gt); free(bt); free(o); free(S); free(work); free(lg);
}

static void bench_hybrid(int nth, int quick)
{
    char cfg[4096];
    int k;
    bench_printf("second-wave hybrids, random weights, %d thread%s, simd %s; median (min..max)\n", nth, nth == 1 ? "" : "s",
                 smx_simd_name());
    for (k = 0; k < 2; k++) {
        bench_hybrid_cfg(k, cfg, sizeof cfg);
        bench_hybrid_model(bench_hybrid_names[k], cfg, nth, quick);
    }
    bench_hybrid_gdn(nth, quick);
}
