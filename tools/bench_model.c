/* bench_model.c — `seqmix bench-models -m DIR`: the speed of any loadable model folder.
 * Included by seqmix.c after bench_liquid.c (bench_liquid_features).
 *
 * Token models (causal): prefill tokens/s from an empty state at a few lengths (up to the
 * model's context), and decode tokens/s after a 32-token prompt, every step timed, as a fraction
 * of the read-bandwidth roofline (bench_decode_bytes per step over the best bench_probe
 * bandwidth, probe rounds between the decode rounds). A model that fits in the caches is
 * measured against a probe of its own size, so its roofline is the cache's. Masked-diffusion
 * (bidirectional) models: the forward pass at the same lengths (they do not decode token by
 * token; see seqmix diffuse). Feature models (CfC, LTC): steps/s of 512-step sequences and the
 * latency of single-step calls. Every figure: median (min..max) over the repetitions. */

static int bench_model_dir(const char *dir, smx_model *m, double load_ms, int nth, int quick)
{
    static const int all_lengths[4] = { 16, 128, 512, 2048 };
    enum { MAXR = 5, MAXD = 3 * 32, NP = 32 };
    smx_session *s = NULL;
    smx_session_options so;
    smx_model_info in;
    smx_error err;
    bench_decode dc;
    const int reps = quick ? 3 : MAXR, steps = quick ? 8 : 32, rounds = quick ? 2 : 3;
    int lengths[4], nlen = 0, i, V, maxlen = 0, rc = 1;
    int32_t *ids = NULL;
    float *lg = NULL;
    double tp[MAXR], td[MAXD], frac[MAXD];
    cli_stat st;
    char b1[64], b2[64], key[48];
    smx_model_get_info(m, &in);
    bench_printf("%s: %s (%s), pattern %s, %.2fM parameters (%.1f MB of weights), loaded in %.1f ms; %d thread%s, simd %s\n", dir,
                 in.architecture, in.model_type, in.pattern, in.n_params / 1e6, in.weight_bytes / 1e6, load_ms, nth, nth == 1 ? "" : "s",
                 smx_simd_name());
    bench_val("model", dir, "parameters", "count", (double)in.n_params);
    if (in.kind == SMX_KIND_FEATURES) {
        cli_stat sps, lat;
        if (bench_liquid_features(dir, m, nth, quick, &sps, &lat)) goto done;
        bench_printf("  sequence      %s steps/s (512-step sequences)\n", cli_fmt_stat(b1, sizeof b1, "%.0f", sps));
        bench_printf("  single step   %s us per call\n", cli_fmt_stat(b2, sizeof b2, "%.2f", cli_stat_scale(lat, 1e6)));
        bench_rec("model", dir, "sequence", "steps/s", sps);
        bench_rec("model", dir, "single_step", "us", cli_stat_scale(lat, 1e6));
        rc = 0;
        goto done;
    }
    V = in.vocab_size;
    for (i = 0; i < (quick ? 3 : 4); i++) {
        int cap = in.max_context > 0 ? in.max_context - (in.causal ? NP + MAXD + 2 : 0) : all_lengths[i];
        if (all_lengths[i] <= cap) lengths[nlen++] = maxlen = all_lengths[i];
    }
    if (!nlen) { bench_printf("  the model's context (%d) is too short to benchmark\n", in.max_context); goto done; }
    memset(&so, 0, sizeof so);
    so.n_threads = nth;
    so.capacity = maxlen > NP + MAXD + 2 ? maxlen : NP + MAXD + 2;
    if (smx_session_new(m, &so, &s, &err) != SMX_OK) { bench_printf("  session: %s\n", err.msg); goto done; }
    ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)maxlen);
    lg = (float *)malloc(sizeof(float) * (size_t)V);
    if (!ids || !lg) { bench_printf("  out of memory\n"); goto done; }
    for (i = 0; i < maxlen; i++) ids[i] = (int32_t)(((long)i * 7919 + 13) % (V > 1 && in.causal ? V : (V > 1 ? V - 1 : 1)));
    for (i = 0; i < nlen; i++) {
        if (bench_prefill_times(s, ids, lengths[i], lg, reps, tp)) goto done;
        st = cli_stat_inv(cli_stats(tp, reps), lengths[i]);
        bench_printf("  %s %5d  %s tok/s  (%d runs)\n", in.causal ? "prefill" : "forward", lengths[i],
                     cli_fmt_stat(b1, sizeof b1, "%.1f", st), reps);
        snprintf(key, sizeof key, "%s_%d", in.causal ? "prefill" : "forward", lengths[i]);
        bench_rec("model", dir, key, "tok/s", st);
    }
    if (!in.causal) {
        bench_printf("  decode: a bidirectional (masked-diffusion) model does not decode token by token; see seqmix diffuse\n");
        rc = 0;
        goto done;
    }
    smx_session_reset(s);
    if (smx_session_prefill(s, ids, NP < maxlen ? NP : maxlen, lg, 0) != SMX_OK) { bench_printf("  prefill: %s\n", smx_session_error(s)); goto done; }
    smx_session_step(s, smx_argmax(lg, V), lg);   /* warm-up */
    if (bench_decode_measure(s, m, NP + 1, rounds, steps, nth, lg, td, frac, &dc)) goto done;
    bench_printf("  decode        %s tok/s  (%d steps after a %d-token prompt; %.2f ms per step)\n",
                 cli_fmt_stat(b1, sizeof b1, "%.1f", dc.tps), rounds * steps, NP, 1e3 / dc.tps.med);
    bench_printf("  of roofline   %s%%  (%.1f MB read per step, roof %.2f GB/s: %s, %d probe rounds)\n",
                 cli_fmt_stat(b2, sizeof b2, "%.0f", dc.roof), dc.bytes / 1e6, dc.best / 1e9, dc.best_pat, dc.probe_rounds);
    bench_val("model", dir, "decode_bytes", "B", dc.bytes);
    bench_val("model", dir, "roof_bandwidth", "GB/s", dc.best / 1e9);
    bench_rec("model", dir, "decode", "tok/s", dc.tps);
    bench_rec("model", dir, "decode_of_roof", "%", dc.roof);
    rc = 0;
done:
    free(ids); free(lg);
    smx_session_free(s);
    return rc;
}
