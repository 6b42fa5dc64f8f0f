/* bench_diffusion.c — masked-diffusion sampling speed: the exact (reference) sampler against the
 * fast options, on a LLaDA-shaped model of about 100M parameters with random weights.
 * Included after cli_bench.c. For each step count it reports tokens/s (median and spread), the
 * speed-up over the exact sampler at the same steps, the process CPU seconds (all threads), the
 * steps and network positions actually run, and the fraction of generated positions equal to the
 * exact sampler's output. Agreement on random weights says little about a trained model: their
 * distributions are nearly flat, so small logit changes reorder the commits, and one early
 * difference changes every later position. The threshold row only differs from the cache row on
 * a trained model (random weights are never confident). cache=dual needs the core's support for
 * attending past the positions run; without it that row reports the error. */
static void bench_diffusion(int nth, int quick)
{
    /* ~98M parameters: 12 x (4 x 768^2 attention + 3 x 768 x 2048 MLP) + 2 x 8192 x 768 */
    static const char *cfg_full =
        "{\"architectures\": [\"LLaDAModelLM\"], \"model_type\": \"llada\", \"d_model\": 768, \"n_heads\": 12,"
        " \"n_kv_heads\": 12, \"n_layers\": 12, \"mlp_hidden_size\": 2048, \"vocab_size\": 8192, \"embedding_size\": 8192,"
        " \"max_sequence_length\": 4096, \"rms_norm_eps\": 1e-5, \"rope_theta\": 10000.0, \"mask_token_id\": 8191,"
        " \"weight_tying\": false, \"include_bias\": false, \"block_type\": \"llama\", \"activation_type\": \"silu\","
        " \"layer_norm_type\": \"rms\"}";
    static const char *cfg_quick =
        "{\"architectures\": [\"LLaDAModelLM\"], \"model_type\": \"llada\", \"d_model\": 256, \"n_heads\": 4,"
        " \"n_kv_heads\": 4, \"n_layers\": 4, \"mlp_hidden_size\": 704, \"vocab_size\": 4096, \"embedding_size\": 4096,"
        " \"max_sequence_length\": 4096, \"rms_norm_eps\": 1e-5, \"rope_theta\": 10000.0, \"mask_token_id\": 4095,"
        " \"weight_tying\": false, \"include_bias\": false, \"block_type\": \"llama\", \"activation_type\": \"silu\","
        " \"layer_norm_type\": \"rms\"}";
    enum { NP = 32, NMODES = 5 };
    static const char *names[NMODES] = { "exact", "cache=prefix", "cache=dual", "cache=block", "cache=dual thr=0.9" };
    static const int cache[NMODES] = { SMX_CACHE_OFF, SMX_CACHE_PREFIX, SMX_CACHE_DUAL, SMX_CACHE_BLOCK, SMX_CACHE_DUAL };
    const int gen = quick ? 64 : 128, block = quick ? 16 : 32, reps = quick ? 3 : 2;
    int steps_list[3], si, mode, i;
    smx_model *m;
    smx_model_info info;
    smx_error err;
    int32_t prompt[NP], *exact, *out;
    smx_rng r;
    steps_list[0] = gen; steps_list[1] = gen / 2; steps_list[2] = gen / 4;
    if (smx_model_from_config(quick ? cfg_quick : cfg_full, 42, &m, &err) != SMX_OK) {
        bench_printf("bench_diffusion: cannot build the model: %s\n", err.msg);
        return;
    }
    smx_model_get_info(m, &info);
    smx_rng_seed(&r, 7);
    for (i = 0; i < NP; i++) prompt[i] = (int32_t)(smx_rng_next(&r) % (uint64_t)(info.vocab_size - 1));
    exact = (int32_t *)malloc(sizeof(int32_t) * (NP + gen));
    out = (int32_t *)malloc(sizeof(int32_t) * (NP + gen));
    if (!exact || !out) { free(exact); free(out); smx_model_free(m); return; }
    bench_printf("diffusion: LLaDA-shaped model, %.1fM parameters (d %d, %d sub-layers, vocab %d), random weights\n",
                 (double)info.n_params / 1e6, info.hidden_size, info.n_layers, info.vocab_size);
    bench_printf("prompt %d, gen_length %d, block_length %d, temperature 0, low_confidence, threads %d; %d runs each:\n"
                 "tok/s median (min..max), speed-up of the medians, median CPU seconds\n", NP, gen, block, nth, reps);
    bench_printf("%-6s %-20s %-24s %9s %9s %6s %10s %7s\n", "steps", "sampler", "tok/s", "speed-up", "cpu s", "steps", "positions", "agree");
    for (si = 0; si < 3; si++) {
        double exact_tps = 0.0;
        for (mode = 0; mode < NMODES; mode++) {
            smx_diffuse_options o;
            smx_diffuse_stats st;
            double tps[3], cpu[3];
            cli_stat stp, scpu;
            char b1[64], key[64];
            int same = 0, r, failed = 0;
            smx_diffuse_default_options(&o);
            o.gen_length = gen; o.block_length = block; o.steps = steps_list[si]; o.n_threads = nth;
            o.prefix_cache = cache[mode];
            if (mode == 4) o.threshold = 0.9f;
            for (r = 0; r < reps && !failed; r++) {
                double t0 = cli_now();
                clock_t c0 = clock();
                if (smx_diffuse(m, prompt, NP, &o, mode ? out : exact, NP + gen, &st, &err) != SMX_OK) failed = 1;
                tps[r] = (double)gen / (cli_now() - t0);
                cpu[r] = (double)(clock() - c0) / CLOCKS_PER_SEC;
            }
            if (failed) {
                bench_printf("%-6d %-20s %s\n", o.steps, names[mode], err.msg);
                if (!mode) break;
                continue;
            }
            stp = cli_stats(tps, reps);
            scpu = cli_stats(cpu, reps);
            if (!mode) exact_tps = stp.med;
            for (i = NP; i < NP + gen; i++) same += exact[i] == (mode ? out : exact)[i];
            bench_printf("%-6d %-20s %-24s %8.2fx %9.2f %6d %10lld %6.1f%%\n", o.steps, names[mode],
                         cli_fmt_stat(b1, sizeof b1, "%.2f", stp), stp.med / exact_tps, scpu.med, st.steps, st.tokens, 100.0 * same / gen);
            snprintf(key, sizeof key, "%s steps=%d", names[mode], o.steps);
            bench_rec("diffusion", key, "generate", "tok/s", stp);
            bench_rec("diffusion", key, "cpu", "s", scpu);
            bench_val("diffusion", key, "agreement", "%", 100.0 * same / gen);
        }
    }
    free(exact); free(out);
    smx_model_free(m);
}
