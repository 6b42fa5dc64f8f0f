/* Tests of masked-diffusion generation (included by tests/test.c). The golden LLaDA runs are
 * checked by the conformance suite; these cover the schedule, torch.topk's order on ties, the
 * invariants between the exact and the fast samplers, determinism and the error paths, on a
 * small LLaDA with random weights. */

static const char *t_diff_config =
    "{\"architectures\": [\"LLaDAModelLM\"], \"model_type\": \"llada\", \"d_model\": 32, \"n_heads\": 4,"
    " \"n_kv_heads\": 2, \"n_layers\": 2, \"mlp_hidden_size\": 64, \"vocab_size\": 40, \"embedding_size\": 40,"
    " \"max_sequence_length\": 96, \"rms_norm_eps\": 1e-5, \"rope_theta\": 10000.0, \"mask_token_id\": 39,"
    " \"weight_tying\": false, \"include_bias\": false, \"block_type\": \"llama\", \"activation_type\": \"silu\","
    " \"layer_norm_type\": \"rms\"}";

typedef struct t_diff_trace { int calls, last_step, stop_at, masks_ok, prev_masks; } t_diff_trace;

static int t_diff_cb(const int32_t *canvas, int n, int step, void *user)
{
    t_diff_trace *t = (t_diff_trace *)user;
    int i, masks = 0;
    for (i = 0; i < n; i++) masks += canvas[i] == 39;
    if (step != t->calls || masks > t->prev_masks) t->masks_ok = 0;
    t->prev_masks = masks;
    t->last_step = step;
    t->calls++;
    return t->stop_at >= 0 && step >= t->stop_at;
}

/* Run the sampler; returns the status. */
static smx_status t_diff_run(const smx_model *m, const int32_t *pr, int np, const smx_diffuse_options *o, int32_t *out,
                             smx_diffuse_stats *st, smx_error *err)
{
    return smx_diffuse(m, pr, np, o, out, np + o->gen_length, st, err);
}

static int t_diff_same(const int32_t *a, const int32_t *b, int n)
{
    int i, s = 0;
    for (i = 0; i < n; i++) s += a[i] == b[i];
    return s;
}

static void test_diffusion(void)
{
    int k[8], i, n;
    smx_model *m = NULL;
    smx_error err;
    smx_diffuse_options o, f;
    smx_diffuse_stats st, st2;
    int32_t pr[8] = { 3, 17, 5, 22, 9, 30, 1, 12 };
    int32_t a[96], b[96], c[96];
    const int np = 8;

    /* transfer-count schedule: base m / s each, the remainder to the first steps */
    smx_diffuse_schedule(10, 3, k);
    CHECK(k[0] == 4 && k[1] == 3 && k[2] == 3, "schedule(10, 3) = %d %d %d, want 4 3 3", k[0], k[1], k[2]);
    smx_diffuse_schedule(5, 8, k);
    for (i = 0, n = 0; i < 8; i++) n += k[i] == (i < 5 ? 1 : 0);
    CHECK(n == 8, "schedule(5, 8) should give 1 x5 then 0 x3");
    smx_diffuse_schedule(8, 8, k);
    for (i = 0, n = 0; i < 8; i++) n += k[i] == 1;
    CHECK(n == 8, "schedule(8, 8) should give 1 each step");

    /* torch.topk's choice among equal values (expected sets from libstdc++'s partial_sort /
     * nth_element with torch's comparator, which is what torch runs on the CPU) */
    {
        static const struct { int n, k, fill; int want[12]; } cs[] = {
            { 23, 2, 0, { 14, 16 } },
            { 23, 3, 0, { 14, 15, 16 } },
            { 23, 5, 0, { 13, 14, 15, 16, 17 } },
            { 130, 1, 1, { 30 } },
            { 130, 2, 1, { 30, 31 } },
            { 40, 4, 2, { 0, 8, 12, 32 } },
            { 40, 6, 2, { 0, 8, 12, 16, 28, 32 } },
            { 40, 12, 2, { 0, 4, 8, 12, 16, 20, 23, 24, 28, 32, 36, 39 } },
        };
        smx__tk q[130];
        int t, j;
        for (t = 0; t < (int)(sizeof cs / sizeof cs[0]); t++) {
            int got[130], ok = 1;
            for (j = 0; j < cs[t].n; j++) {
                q[j].i = j;
                if (cs[t].fill == 0) q[j].v = j >= 7 ? 0.5 : -HUGE_VAL;
                else if (cs[t].fill == 1) q[j].v = j >= 30 ? 1.0 : -HUGE_VAL;
                else q[j].v = j % 4 == 0 ? 1.0 : 0.25;
            }
            smx__tk_topk(q, cs[t].n, cs[t].k);
            memset(got, 0, sizeof got);
            for (j = 0; j < cs[t].k; j++) got[q[j].i] = 1;
            for (j = 0; j < cs[t].k; j++) ok &= got[cs[t].want[j]];
            CHECK(ok, "topk tie order case %d (n %d, k %d) differs from torch", t, cs[t].n, cs[t].k);
        }
        /* no ties: the k largest */
        for (j = 0; j < 100; j++) { q[j].i = j; q[j].v = (double)((j * 37) % 100); }
        smx__tk_topk(q, 100, 3);
        for (j = 0, n = 0; j < 3; j++) n += q[j].v >= 97.0;
        CHECK(n == 3, "topk without ties should return the 3 largest");
    }

    if (smx_model_from_config(t_diff_config, 7, &m, &err) != SMX_OK) {
        SKIP("diffusion: cannot build the test model: %s", err.msg);
        return;
    }
    smx_diffuse_default_options(&o);
    o.gen_length = 24; o.block_length = 8; o.steps = 12;

    /* exact sampler: the generated region is filled, the prompt kept, each step reported */
    {
        t_diff_trace tr;
        memset(&tr, 0, sizeof tr);
        tr.stop_at = -1; tr.masks_ok = 1; tr.prev_masks = 1 << 30;
        o.callback = t_diff_cb; o.user = &tr;
        CHECK(t_diff_run(m, pr, np, &o, a, &st, &err) == SMX_OK, "diffuse: %s", err.msg);
        o.callback = NULL;
        for (i = 0, n = 0; i < np + 24; i++) n += a[i] == 39;
        CHECK(n == 0, "%d positions still masked", n);
        CHECK(t_diff_same(a, pr, np) == np, "the prompt changed");
        CHECK(st.steps == 12 && st.forwards == 12 && st.tokens == 12 * (np + 24), "stats %d steps %d passes %lld tokens", st.steps,
              st.forwards, st.tokens);
        CHECK(tr.calls == 12 && tr.masks_ok && tr.prev_masks == 0, "callback: %d calls, masks decreasing %d", tr.calls, tr.masks_ok);
        /* stopping from the callback */
        memset(&tr, 0, sizeof tr);
        tr.stop_at = 4; tr.masks_ok = 1; tr.prev_masks = 1 << 30;
        o.callback = t_diff_cb; o.user = &tr;
        CHECK(t_diff_run(m, pr, np, &o, b, &st2, &err) == SMX_OK && st2.stopped && st2.steps == 5 && tr.prev_masks > 0,
              "callback stop: stopped %d after %d steps, %d masks left", st2.stopped, st2.steps, tr.prev_masks);
        o.callback = NULL;
    }

    /* mask tokens in the prompt: the reference treats them as candidates too, so in the end as
     * many positions stay masked as the prompt had masks (each fill of one leaves a block
     * position open); the fast paths leave the prompt alone */
    {
        int32_t pm[8];
        memcpy(pm, pr, sizeof pm);
        pm[2] = 39; pm[5] = 39;
        CHECK(t_diff_run(m, pm, np, &o, b, &st2, &err) == SMX_OK, "prompt with masks: %s", err.msg);
        for (i = 0, n = 0; i < np + 24; i++) n += b[i] == 39;
        CHECK(n == 2, "prompt with 2 masks: %d masked positions left, want 2", n);
        f = o; f.prefix_cache = SMX_CACHE_PREFIX;
        CHECK(t_diff_run(m, pm, np, &f, b, &st2, &err) == SMX_OK && b[2] == 39 && b[5] == 39, "fast path with prompt masks: %s",
              err.msg);
    }

    /* threshold above 1 never fires: the fast sampler runs the exact schedule */
    f = o;
    f.threshold = 2.0f;
    CHECK(t_diff_run(m, pr, np, &f, b, &st2, &err) == SMX_OK && t_diff_same(a, b, np + 24) == np + 24 && st2.steps == 12,
          "threshold 2 should equal the exact sampler (%d/%d same, %d steps)", t_diff_same(a, b, np + 24), np + 24, st2.steps);
    /* a tiny threshold commits the whole block at once: one step per block */
    f.threshold = 1e-30f;
    CHECK(t_diff_run(m, pr, np, &f, b, &st2, &err) == SMX_OK && st2.steps == 3, "threshold 1e-30: %d steps, want 3", st2.steps);
    /* a cache refreshed at every block start is exact when each block has one step */
    {
        smx_diffuse_options e = o;
        int mode;
        e.steps = 3;
        CHECK(t_diff_run(m, pr, np, &e, a, &st, &err) == SMX_OK, "diffuse: %s", err.msg);
        for (mode = SMX_CACHE_PREFIX; mode <= SMX_CACHE_BLOCK; mode++) {
#ifndef SMX__HAVE_RUN_LAYERS_CTX
            if (mode == SMX_CACHE_DUAL) continue;
#endif
            f = e;
            f.prefix_cache = mode;
            CHECK(t_diff_run(m, pr, np, &f, b, &st2, &err) == SMX_OK && t_diff_same(a, b, np + 24) == np + 24,
                  "cache %d with one step per block should be exact (%d/%d)", mode, t_diff_same(a, b, np + 24), np + 24);
        }
    }
    /* re-running part of the canvas on top of a full pass, with the same tokens, gives the full
     * pass's logits: from the block start on (PREFIX), the block seeing the cached rest (DUAL) */
    {
        smx_session *s = NULL;
        smx_session_options so;
        int32_t cv[32];
        int rows[8], V = smx_model_vocab(m);
        float *l0 = (float *)malloc(sizeof(float) * 8 * (size_t)V), *l1 = (float *)malloc(sizeof(float) * 8 * (size_t)V);
        memset(&so, 0, sizeof so);
        so.capacity = 32; so.batch = 32;
        for (i = 0; i < 32; i++) cv[i] = i < np ? pr[i] : (i % 3 ? 39 : (int32_t)(i % 39));
        for (i = 0; i < 8; i++) rows[i] = 16 + i;
        if (l0 && l1 && smx_session_new(m, &so, &s, &err) == SMX_OK) {
            CHECK(smx__diff_forward(s, cv, 0, 32, 0, rows, 8, l0) == SMX_OK, "full pass: %s", smx_session_error(s));
            CHECK(smx__diff_forward(s, cv, 16, 32, 0, rows, 8, l1) == SMX_OK && t_maxdiff(l0, l1, 8 * (size_t)V) < 1e-4,
                  "re-run from the block start: max diff %g", t_maxdiff(l0, l1, 8 * (size_t)V));
#ifdef SMX__HAVE_RUN_LAYERS_CTX
            CHECK(smx__diff_forward(s, cv, 0, 32, 0, rows, 8, l0) == SMX_OK, "full pass: %s", smx_session_error(s));
            CHECK(smx__diff_forward(s, cv, 16, 24, 32, rows, 8, l1) == SMX_OK && t_maxdiff(l0, l1, 8 * (size_t)V) < 1e-4 &&
                      smx_session_pos(s) == 32,
                  "re-run of the block seeing the cached rest: max diff %g", t_maxdiff(l0, l1, 8 * (size_t)V));
#endif
            /* dropping the later positions changes the result */
            CHECK(smx__diff_forward(s, cv, 0, 32, 0, rows, 8, l0) == SMX_OK, "full pass: %s", smx_session_error(s));
            CHECK(smx__diff_forward(s, cv, 16, 24, 0, rows, 8, l1) == SMX_OK && t_maxdiff(l0, l1, 8 * (size_t)V) > 1e-4,
                  "the block alone should differ from the full pass");
        } else {
            CHECK(0, "session: %s", err.msg);
        }
        smx_session_free(s);
        free(l0); free(l1);
    }

    /* the caches run fewer positions; block mode fewest */
    {
        long long full, pre, blk;
        CHECK(t_diff_run(m, pr, np, &o, a, &st, &err) == SMX_OK, "diffuse: %s", err.msg);
        full = st.tokens;
        f = o; f.prefix_cache = SMX_CACHE_PREFIX;
        CHECK(t_diff_run(m, pr, np, &f, b, &st2, &err) == SMX_OK && st2.steps == 12, "prefix cache: %s", err.msg);
        pre = st2.tokens;
        f.prefix_cache = SMX_CACHE_BLOCK;
        CHECK(t_diff_run(m, pr, np, &f, c, &st2, &err) == SMX_OK && st2.steps == 12, "block cache: %s", err.msg);
        blk = st2.tokens;
        /* 3 blocks x (1 full pass of 32 + 3 passes from the block start) */
        CHECK(full == 12 * 32 && pre == 3 * 32 + 3 * (24 + 16 + 8) && blk == 3 * 32 + 9 * 8, "positions run: %lld %lld %lld", full,
              pre, blk);
        for (i = 0, n = 0; i < np + 24; i++) n += b[i] == 39 || c[i] == 39;
        CHECK(n == 0, "cached runs left %d masks", n);
        f.prefix_cache = SMX_CACHE_DUAL;
        CHECK(t_diff_run(m, pr, np, &f, c, &st2, &err) == SMX_OK && st2.steps == 12 && st2.tokens == blk, "dual cache: %s (%lld)",
              err.msg, st2.tokens);
    }

    /* temperature > 0: reproducible with a seed, independent of the thread count */
    f = o;
    f.temperature = 0.8f; f.seed = 1234; f.n_threads = 1;
    CHECK(t_diff_run(m, pr, np, &f, a, &st, &err) == SMX_OK, "diffuse T>0: %s", err.msg);
    f.n_threads = 2;
    CHECK(t_diff_run(m, pr, np, &f, b, &st, &err) == SMX_OK && t_diff_same(a, b, np + 24) == np + 24,
          "same seed, other thread count: %d/%d same", t_diff_same(a, b, np + 24), np + 24);
    f.seed = 99;
    CHECK(t_diff_run(m, pr, np, &f, c, &st, &err) == SMX_OK && t_diff_same(a, c, np + 24) < np + 24, "another seed gave the same tokens");
    f.remasking = SMX_REMASK_RANDOM; f.seed = 5;
    CHECK(t_diff_run(m, pr, np, &f, a, &st, &err) == SMX_OK && t_diff_run(m, pr, np, &f, b, &st, &err) == SMX_OK &&
              t_diff_same(a, b, np + 24) == np + 24, "random remasking is not reproducible");

    /* guidance runs two passes a step; eos suppression keeps the eos id out */
    f = o;
    f.cfg_scale = 1.5f;
    CHECK(t_diff_run(m, pr, np, &f, a, &st, &err) == SMX_OK && st.forwards == 24, "cfg: %d passes (%s)", st.forwards, err.msg);
    f.prefix_cache = SMX_CACHE_BLOCK;
    CHECK(t_diff_run(m, pr, np, &f, b, &st, &err) == SMX_OK && st.forwards == 24, "cfg + cache: %s", err.msg);
    f = o;
    f.logits_eos_inf = 1; f.confidence_eos_eot_inf = 1; f.eos_id = a[np]; f.eot_id = 2;
    CHECK(t_diff_run(m, pr, np, &f, b, &st, &err) == SMX_OK, "eos flags: %s", err.msg);
    for (i = np, n = 0; i < np + 24; i++) n += b[i] == f.eos_id;
    CHECK(n == 0, "logits_eos_inf: eos id %d generated %d times", (int)f.eos_id, n);

    /* error paths */
    f = o; f.gen_length = 20;
    CHECK(t_diff_run(m, pr, np, &f, a, NULL, &err) == SMX_E_ARG && strstr(err.msg, "block_length"), "gen %% block: %s", err.msg);
    f = o; f.steps = 10;
    CHECK(t_diff_run(m, pr, np, &f, a, NULL, &err) == SMX_E_ARG && strstr(err.msg, "steps"), "steps %% blocks: %s", err.msg);
    f = o; f.gen_length = 96; f.block_length = 96;
    CHECK(smx_diffuse(m, pr, np, &f, c, 96, NULL, &err) == SMX_E_CAPACITY, "context: %s", err.msg);
    CHECK(smx_diffuse(m, pr, np, &o, a, np + 23, NULL, &err) == SMX_E_ARG, "small out buffer: %s", err.msg);
    pr[3] = 40;
    CHECK(t_diff_run(m, pr, np, &o, a, NULL, &err) == SMX_E_RANGE && strstr(err.msg, "index 3"), "token range: %s", err.msg);
    pr[3] = 22;
    f = o; f.temperature = -1.0f;
    CHECK(t_diff_run(m, pr, np, &f, a, NULL, &err) == SMX_E_ARG, "negative temperature: %s", err.msg);
    f = o; f.logits_eos_inf = 1;    /* default eos id 126081 is outside this vocabulary */
    CHECK(t_diff_run(m, pr, np, &f, a, NULL, &err) == SMX_E_RANGE && strstr(err.msg, "eos_id"), "eos range: %s", err.msg);
    f = o; f.remasking = 7;
    CHECK(t_diff_run(m, pr, np, &f, a, NULL, &err) == SMX_E_ARG, "remasking: %s", err.msg);
    CHECK(smx_diffuse(NULL, pr, np, &o, a, 96, NULL, &err) == SMX_E_ARG, "NULL model accepted");
    smx_model_free(m);
    /* a causal model cannot be sampled this way */
    {
        const char *llama = "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"hidden_size\": 16,"
                            " \"num_attention_heads\": 2, \"num_hidden_layers\": 1, \"intermediate_size\": 32, \"vocab_size\": 40}";
        if (smx_model_from_config(llama, 1, &m, &err) == SMX_OK) {
            o.mask_id = 39;
            CHECK(t_diff_run(m, pr, np, &o, a, NULL, &err) == SMX_E_UNSUPPORTED, "causal model accepted: %s", err.msg);
            smx_model_free(m);
        } else {
            SKIP("diffusion: cannot build a Llama: %s", err.msg);
        }
    }
}
