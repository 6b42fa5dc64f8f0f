/* Tests of the second-wave hybrids: the gated DeltaNet operator (chunked form against the
 * recurrence at many lengths, chunk tails, continuation from a non-zero state, 1 and 2 threads),
 * the families Granite 4.0-H, Falcon-H1, Nemotron-H, Qwen3-Next, Qwen3.5, LFM2-MoE and OLMo Hybrid
 * (long prefills against steps, state blobs, generated models, other checkpoint spellings, config
 * errors), the builder's 'G' layer and `seqmix info` on their patterns. Their golden cases
 * (tests/golden: the seven public ones and the x_ variants) run in the golden group. Included by
 * tests/test.c after t_ssm.c and t_cli.c (uses their helpers). */

/* The second-wave public and variant cases, all under tests/golden. */
static const char *const t_hy_cases[] = {
    "granitehybrid", "falcon_h1", "nemotron_h", "qwen3_next", "qwen3_5", "lfm2_moe", "olmo_hybrid",
    "x_granite_dense_nope", "x_granite_moe_rope", "x_falcon_norm_groups", "x_falcon_norm_before_gate", "x_nemotron_moe_groups",
    "x_nemotron_latent", "x_qwen3next_mlp_only", "x_qwen35_gqa", "x_olmo_nope", "x_olmo_defaults", "x_lfm2moe_nobias",
    "x_lfm2moe_dense2"
};

/* tests/golden/<name> if it holds a case, else NULL. */
static const char *t_hy_case(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "tests/golden/%s/golden.safetensors", name);
    if (!cli_is_file(buf)) return NULL;
    snprintf(buf, cap, "tests/golden/%s", name);
    return buf;
}

/* Every case is in the repository (the golden group checks them). */
static void test_hy_cases_present(void)
{
    char buf[512];
    int i;
    for (i = 0; i < (int)(sizeof t_hy_cases / sizeof t_hy_cases[0]); i++)
        CHECK(t_hy_case(t_hy_cases[i], buf, sizeof buf) != NULL, "golden case tests/golden/%s is missing", t_hy_cases[i]);
}

/* A bare Gated DeltaNet operator of the given shape for the core tests. */
static void t_hy_gdn_shape(smx__gdn *g, int nk, int nv, int dk, int dv, int Q)
{
    memset(g, 0, sizeof *g);
    g->nk = nk; g->nv = nv; g->dk = dk; g->dv = dv; g->Q = Q;
    g->kd = nk * dk; g->vd = nv * dv; g->cd = 2 * g->kd + g->vd; g->P = g->cd + g->vd + 2 * nv;
    g->K = 1;
    g->base.vt = &smx__gdn_vt;
}

/* Random normalised q | k | v rows, log decays in [-6, 0) and betas in (0, 2). */
static void t_hy_gdn_inputs(const smx__gdn *g, int T, float *xc, float *gt, float *bt, uint64_t seed)
{
    int t, h, i;
    t_fill(xc, (size_t)T * g->cd, seed, 1.0f);
    t_fill(gt, (size_t)T * g->nv, seed + 1, 1.0f);
    t_fill(bt, (size_t)T * g->nv, seed + 2, 1.0f);
    for (i = 0; i < T * g->nv; i++) { gt[i] = -3.0f * (gt[i] + 1.0f) - 1e-3f; bt[i] = 1.0f + 0.99f * bt[i]; }
    for (t = 0; t < T; t++)
        for (h = 0; h < 2 * g->nk; h++) {
            float *v = xc + (size_t)t * g->cd + (size_t)h * g->dk, r = 1.0f / sqrtf(smx__dot(v, v, g->dk) + 1e-6f);
            for (i = 0; i < g->dk; i++) v[i] *= h < g->nk ? r / sqrtf((float)g->dk) : r;
        }
}

/* Chunked core against the scalar recurrence over T tokens from a non-zero state; also the same
 * tokens in two calls (continuation), and token by token through the step. */
static void t_hy_gdn_parity(int nk, int nv, int dk, int dv, int Q, int T, const smx__cx *cx)
{
    smx__gdn g;
    size_t ns, nscr;
    float *xc, *gt, *bt, *o1, *o2, *S1, *S2, *S3, *scr;
    int t, cut = T / 3 + 1;
    double e1, e2, e3, es;
    t_hy_gdn_shape(&g, nk, nv, dk, dv, Q);
    ns = (size_t)nv * dk * dv;
    nscr = smx__gdn_core_floats(&g, T, cx->nth);
    xc = (float *)malloc(sizeof(float) * (size_t)T * g.cd);
    gt = (float *)malloc(sizeof(float) * (size_t)T * nv);
    bt = (float *)malloc(sizeof(float) * (size_t)T * nv);
    o1 = (float *)malloc(sizeof(float) * (size_t)T * g.vd);
    o2 = (float *)malloc(sizeof(float) * (size_t)T * g.vd);
    S1 = (float *)malloc(sizeof(float) * ns);
    S2 = (float *)malloc(sizeof(float) * ns);
    S3 = (float *)malloc(sizeof(float) * ns);
    scr = (float *)malloc(sizeof(float) * nscr);
    t_hy_gdn_inputs(&g, T, xc, gt, bt, (uint64_t)T * 31 + (uint64_t)dk);
    t_fill(S1, ns, 7 + (uint64_t)T, 0.5f);
    memcpy(S2, S1, sizeof(float) * ns);
    memcpy(S3, S1, sizeof(float) * ns);
    smx__gdn_core_ref(&g, S1, T, xc, gt, bt, o1);
    smx__gdn_core(cx, &g, S2, T, xc, gt, bt, o2, scr);
    e1 = t_maxdiff(o1, o2, (size_t)T * g.vd);
    es = t_maxdiff(S1, S2, ns);
    /* continuation: [0, cut) then [cut, T) */
    smx__gdn_core(cx, &g, S3, cut, xc, gt, bt, o2, scr);
    if (T > cut) smx__gdn_core(cx, &g, S3, T - cut, xc + (size_t)cut * g.cd, gt + (size_t)cut * nv, bt + (size_t)cut * nv,
                               o2 + (size_t)cut * g.vd, scr);
    e2 = t_maxdiff(o1, o2, (size_t)T * g.vd) + t_maxdiff(S1, S3, ns);
    /* the step, token by token */
    t_fill(S3, ns, 7 + (uint64_t)T, 0.5f);
    for (t = 0; t < T; t++)
        smx__gdn_core(cx, &g, S3, 1, xc + (size_t)t * g.cd, gt + (size_t)t * nv, bt + (size_t)t * nv, o2 + (size_t)t * g.vd, scr);
    e3 = t_maxdiff(o1, o2, (size_t)T * g.vd) + t_maxdiff(S1, S3, ns);
    CHECK(e1 < 2e-4 && es < 2e-4 && e2 < 4e-4 && e3 < 4e-4,
          "gated DeltaNet %dk/%dv heads, dims %d/%d, chunk %d, T %d: chunked vs recurrence %g (state %g), "
          "continued %g, steps %g (%d threads)", nk, nv, dk, dv, Q, T, e1, es, e2, e3, cx->nth);
    free(xc); free(gt); free(bt); free(o1); free(o2); free(S1); free(S2); free(S3); free(scr);
}

static void test_hy_gdn_core(void)
{
    static const int Ts[] = { 1, 2, 3, 5, 16, 31, 63, 64, 65, 100, 127, 128, 129, 200 };
    int i;
    for (i = 0; i < (int)(sizeof Ts / sizeof Ts[0]); i++) t_hy_gdn_parity(2, 4, 16, 12, 64, Ts[i], &cx1);
    t_hy_gdn_parity(1, 3, 9, 18, 64, 70, &cx2);       /* odd head dims (vector tails), 3 value heads per key head */
    t_hy_gdn_parity(2, 2, 32, 32, 8, 37, &cx2);       /* short chunks: many chunk boundaries */
    t_hy_gdn_parity(2, 2, 8, 8, 5, 23, &cx1);         /* chunk not a multiple of 4 */
    t_hy_gdn_parity(1, 1, 128, 128, 64, 130, &cx2);   /* production head size */
    t_hy_gdn_parity(4, 8, 32, 32, 64, 200, &cx2);     /* Gram pairs and heads over two threads */
}

/* Prefill (chunked) against steps and a prefill in uneven pieces, on a golden checkpoint. */
static void t_hy_parity(const char *name, int T)
{
    char buf[512];
    const char *dir = t_hy_case(name, buf, sizeof buf);
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_error e;
    int32_t *ids;
    float *a, *b;
    int V, t;
    if (!dir) { SKIP("hybrid parity: case %s not found", name); return; }
    if (smx_model_load(dir, &m, &e)) { CHECK(0, "load %s: %s", dir, e.msg); return; }
    V = smx_model_vocab(m);
    ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)T);
    a = (float *)malloc(sizeof(float) * (size_t)T * V);
    b = (float *)malloc(sizeof(float) * (size_t)T * V);
    t_ssm_ids(ids, T, V, (uint64_t)T * 13);
    memset(&so, 0, sizeof so);
    so.capacity = T + 8;
    so.batch = T + 8;
    CHECK(smx_session_new(m, &so, &s, &e) == SMX_OK, "session: %s", e.msg);
    if (s) {
        CHECK(smx_session_prefill(s, ids, T, a, 1) == SMX_OK, "prefill %d: %s", T, smx_session_error(s));
        smx_session_reset(s);
        for (t = 0; t < T; t++) smx_session_step(s, ids[t], b + (size_t)t * V);
        CHECK(t_maxdiff(a, b, (size_t)T * V) < 1e-3, "%s: prefill of %d tokens vs steps: %g", name, T, t_maxdiff(a, b, (size_t)T * V));
        smx_session_reset(s);
        smx_session_prefill(s, ids, 1, b, 1);
        smx_session_prefill(s, ids + 1, 70, b + (size_t)1 * V, 1);
        smx_session_prefill(s, ids + 71, 2, b + (size_t)71 * V, 1);
        smx_session_prefill(s, ids + 73, T - 73, b + (size_t)73 * V, 1);
        CHECK(t_maxdiff(a, b, (size_t)T * V) < 1e-3, "%s: prefill in pieces continues the state: %g", name, t_maxdiff(a, b, (size_t)T * V));
    }
    smx_session_free(s);
    smx_model_free(m);
    free(ids); free(a); free(b);
}

/* Generated models of each family: prefill vs steps, save and reload bit-identically. */
static void test_hy_generated(void)
{
    static const char *cfgs[] = {
        "{\"architectures\":[\"Qwen3_5ForCausalLM\"],\"vocab_size\":61,\"hidden_size\":32,\"num_hidden_layers\":4,"
        "\"intermediate_size\":40,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"head_dim\":8,\"linear_num_key_heads\":2,"
        "\"linear_num_value_heads\":4,\"linear_key_head_dim\":8,\"linear_value_head_dim\":6,\"linear_conv_kernel_dim\":3}",
        "{\"architectures\":[\"Qwen3NextForCausalLM\"],\"vocab_size\":61,\"hidden_size\":32,\"num_hidden_layers\":4,"
        "\"intermediate_size\":40,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"head_dim\":8,\"linear_num_key_heads\":1,"
        "\"linear_num_value_heads\":3,\"linear_key_head_dim\":8,\"linear_value_head_dim\":8,\"num_experts\":4,"
        "\"num_experts_per_tok\":2,\"moe_intermediate_size\":12,\"shared_expert_intermediate_size\":16,\"mlp_only_layers\":[2]}",
        "{\"architectures\":[\"OlmoHybridForCausalLM\"],\"vocab_size\":61,\"hidden_size\":32,\"num_hidden_layers\":4,"
        "\"intermediate_size\":40,\"num_attention_heads\":4}",
        "{\"architectures\":[\"GraniteMoeHybridForCausalLM\"],\"vocab_size\":61,\"hidden_size\":32,\"num_hidden_layers\":3,"
        "\"intermediate_size\":24,\"shared_intermediate_size\":20,\"num_attention_heads\":4,\"num_local_experts\":3,"
        "\"layer_types\":[\"mamba\",\"attention\",\"mamba\"],\"mamba_n_heads\":4,\"mamba_d_state\":8,\"mamba_chunk_size\":8,"
        "\"embedding_multiplier\":2,\"residual_multiplier\":0.5,\"logits_scaling\":3,\"position_embedding_type\":\"rope\"}",
        "{\"architectures\":[\"FalconH1ForCausalLM\"],\"vocab_size\":61,\"hidden_size\":32,\"num_hidden_layers\":2,"
        "\"intermediate_size\":48,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"mamba_d_ssm\":32,\"mamba_n_heads\":4,"
        "\"mamba_d_state\":8,\"mamba_chunk_size\":8,\"mamba_rms_norm\":true,\"mamba_n_groups\":2,\"mlp_multipliers\":[1.5,0.5],"
        "\"ssm_multipliers\":[1,1.2,0.8,1.1,0.9],\"key_multiplier\":0.7}",
        "{\"architectures\":[\"NemotronHForCausalLM\"],\"vocab_size\":61,\"hidden_size\":32,\"hybrid_override_pattern\":\"M*-E\","
        "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"head_dim\":8,\"mamba_num_heads\":4,\"mamba_head_dim\":8,"
        "\"ssm_state_size\":8,\"n_groups\":2,\"chunk_size\":8,\"intermediate_size\":40,\"n_routed_experts\":4,\"n_group\":2,"
        "\"topk_group\":1,\"num_experts_per_tok\":2,\"moe_intermediate_size\":12,\"moe_shared_expert_intermediate_size\":12,"
        "\"moe_latent_size\":16}",
        "{\"architectures\":[\"Lfm2MoeForCausalLM\"],\"vocab_size\":61,\"hidden_size\":32,\"num_hidden_layers\":3,"
        "\"intermediate_size\":40,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"layer_types\":[\"conv\",\"full_attention\",\"conv\"],"
        "\"num_dense_layers\":1,\"num_experts\":4,\"num_experts_per_tok\":2,\"moe_intermediate_size\":12}"
    };
    static const char *pattern[] = { "GFGFGFAF", "GEGEGFAE", "GFGFGFAF", "2EAE2E", "PFPF", "2AFE", "CFAECE" };
    int k;
    for (k = 0; k < (int)(sizeof cfgs / sizeof cfgs[0]); k++) {
        smx_model *m = NULL, *m2 = NULL;
        smx_session *s = NULL;
        smx_error e;
        smx_model_info in;
        int32_t ids[90];
        float *a = (float *)malloc(sizeof(float) * 90 * 61), *b = (float *)malloc(sizeof(float) * 90 * 61);
        int t;
        char name[32];
        const char *d;
        if (smx_model_from_config(cfgs[k], 5, &m, &e)) { CHECK(0, "generated %d: %s", k, e.msg); free(a); free(b); continue; }
        smx_model_get_info(m, &in);
        CHECK(!strcmp(in.pattern, pattern[k]), "generated %s: pattern %s (want %s)", in.architecture, in.pattern, pattern[k]);
        t_ssm_ids(ids, 90, 61, (uint64_t)k + 40);
        smx_session_new(m, NULL, &s, &e);
        smx_session_prefill(s, ids, 90, a, 1);
        smx_session_reset(s);
        for (t = 0; t < 90; t++) smx_session_step(s, ids[t], b + (size_t)t * 61);
        CHECK(t_maxdiff(a, b, 90 * 61) < 1e-3, "generated %s: prefill vs steps %g", in.architecture, t_maxdiff(a, b, 90 * 61));
        snprintf(name, sizeof name, "hy_gen%d", k);
        d = t_tmpdir(name);
        CHECK(smx_model_save(m, d, &e) == SMX_OK && smx_model_load(d, &m2, &e) == SMX_OK, "generated %d save/load: %s", k, e.msg);
        if (m2) {
            smx_session *s2 = NULL;
            smx_session_new(m2, NULL, &s2, &e);
            smx_session_prefill(s2, ids, 90, b, 1);
            CHECK(memcmp(a, b, sizeof(float) * 90 * 61) == 0, "generated %s reloads bit-identically", in.architecture);
            smx_session_free(s2);
        }
        smx_session_free(s);
        smx_model_free(m);
        smx_model_free(m2);
        free(a); free(b);
    }
}

/* Config errors name the field; hostile sizes fail before allocating. */
static void test_hy_errors(void)
{
    static const struct { const char *cfg, *want; smx_status st; } cases[] = {
        { "{\"architectures\":[\"Qwen3_5ForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,\"num_hidden_layers\":1,"
          "\"num_attention_heads\":1,\"linear_num_key_heads\":3,\"linear_num_value_heads\":4}", "linear value heads", SMX_E_RANGE },
        { "{\"architectures\":[\"Qwen3_5ForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,\"num_hidden_layers\":1,"
          "\"num_attention_heads\":1,\"linear_num_value_heads\":1000000000,\"linear_num_key_heads\":1000000000}", "2^31", SMX_E_RANGE },
        { "{\"architectures\":[\"Qwen3NextForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,\"num_hidden_layers\":2,"
          "\"layer_types\":[\"linear_attention\",\"sliding\"]}", "layer_types[1]", SMX_E_UNSUPPORTED },
        { "{\"architectures\":[\"NemotronHForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,\"hybrid_override_pattern\":\"M*X\"}",
          "hybrid_override_pattern[2]", SMX_E_UNSUPPORTED },
        { "{\"architectures\":[\"NemotronHForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,\"layers_block_type\":[\"moe\"],"
          "\"n_routed_experts\":6,\"n_group\":4}", "n_group", SMX_E_RANGE },
        { "{\"architectures\":[\"FalconH1ForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,\"num_hidden_layers\":1,"
          "\"num_attention_heads\":2,\"mamba_n_heads\":2,\"mamba_d_ssm\":8,\"ssm_multipliers\":[1,2]}", "ssm_multipliers", SMX_E_FORMAT },
        { "{\"architectures\":[\"GraniteMoeHybridForCausalLM\"],\"vocab_size\":9,\"hidden_size\":8,\"num_hidden_layers\":1,"
          "\"num_attention_heads\":2,\"mamba_n_heads\":2,\"num_local_experts\":2,\"num_experts_per_tok\":3}", "top-3", SMX_E_RANGE },
        { "{\"architectures\":[\"Lfm2MoeForCausalLM\"],\"vocab_size\":9,\"hidden_size\":4096,\"num_hidden_layers\":1,"
          "\"intermediate_size\":900000000}", "intermediate_size", SMX_E_RANGE },
        { "{\"architectures\":[\"OlmoHybridForCausalLM\"],\"vocab_size\":900000000,\"hidden_size\":4096,\"num_hidden_layers\":1}",
          "vocab_size", SMX_E_RANGE },
        { "{\"architectures\":[\"NemotronHForCausalLM\"],\"vocab_size\":9,\"hidden_size\":64,\"layers_block_type\":[\"moe\"],"
          "\"n_routed_experts\":100000,\"moe_intermediate_size\":100000}", "experts", SMX_E_RANGE },
    };
    int i;
    for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        smx_model *m = NULL;
        smx_error e;
        smx_status st = smx_model_from_config(cases[i].cfg, 1, &m, &e);
        CHECK(st == cases[i].st && strstr(e.msg, cases[i].want), "config error %d: status %d (want %d), message '%s' names '%s'",
              i, (int)st, (int)cases[i].st, e.msg, cases[i].want);
        smx_model_free(m);
    }
}

/* Other spellings of the same checkpoints load to the same logits. */
static void test_hy_spellings(void)
{
    char buf[512];
    const char *src = t_hy_case("olmo_hybrid", buf, sizeof buf);
    t_ssm_ckpt c;
    int i, l;
    /* OLMo Hybrid: one conv1d.weight [cd, 1, K] instead of the q/k/v_conv1d pieces, and the module's
     * layer-norm names (input_layernorm, post_attention_layernorm) */
    if (src && t_ssm_ckpt_read(src, &c)) {
        char src2[512];
        t_ssm_ckpt f;
        const char *d = t_tmpdir("olmo_fused_conv");
        memset(&f, 0, sizeof f);
        snprintf(src2, sizeof src2, "%s", src);
        for (i = 0; i < c.n; i++) {
            char nm[256];
            const char *ren = NULL;
            size_t nb = 4;
            int k;
            float *dd;
            if (strstr(c.t[i].name, "_conv1d.")) continue;
            for (k = 0; k < c.t[i].ndim; k++) nb *= (size_t)c.t[i].shape[k];
            dd = (float *)malloc(nb);
            memcpy(dd, c.t[i].data, nb);
            snprintf(nm, sizeof nm, "%s", c.t[i].name);
            if (strstr(nm, "attention_layer_norm")) ren = "input_layernorm";
            else if (strstr(nm, "feedforward_layer_norm")) ren = "post_attention_layernorm";
            if (ren) {
                char *dot = strstr(nm, ".layers.");
                int lay = atoi(dot + 8);
                snprintf(nm, sizeof nm, "model.layers.%d.%s.weight", lay, ren);
            }
            t_ssm_ckpt_add(&f, nm, c.t[i].ndim, c.t[i].shape, dd);
        }
        for (l = 0; l < 16; l++) {
            char nm[256];
            const char *part[3] = { "q_conv1d", "k_conv1d", "v_conv1d" };
            int q, rows = 0, K = 0, j;
            float *w;
            int64_t sh[3];
            for (q = 0; q < 3; q++) {
                snprintf(nm, sizeof nm, "model.layers.%d.linear_attn.%s.weight", l, part[q]);
                if ((j = t_ssm_ckpt_find(&c, nm)) >= 0) { rows += (int)c.t[j].shape[0]; K = (int)c.t[j].shape[2]; }
            }
            if (!rows) continue;
            w = (float *)malloc(sizeof(float) * (size_t)rows * K);
            rows = 0;
            for (q = 0; q < 3; q++) {
                snprintf(nm, sizeof nm, "model.layers.%d.linear_attn.%s.weight", l, part[q]);
                j = t_ssm_ckpt_find(&c, nm);
                memcpy(w + (size_t)rows * K, c.t[j].data, sizeof(float) * (size_t)c.t[j].shape[0] * K);
                rows += (int)c.t[j].shape[0];
            }
            sh[0] = rows; sh[1] = 1; sh[2] = K;
            snprintf(nm, sizeof nm, "model.layers.%d.linear_attn.conv1d.weight", l);
            t_ssm_ckpt_add(&f, nm, 3, sh, w);
        }
        t_ssm_ckpt_write(src2, d, &f, NULL, NULL);
        CHECK(t_ssm_golden_err(src2, d) < 1e-4, "olmo hybrid with a fused conv weight and module norm names: %g", t_ssm_golden_err(src2, d));
        t_ssm_ckpt_free(&f);
        t_ssm_ckpt_free(&c);
    }
    /* Granite: module names router.weight and experts.gate_up_proj / experts.down_proj */
    src = t_hy_case("granitehybrid", buf, sizeof buf);
    if (src && t_ssm_ckpt_read(src, &c)) {
        const char *d = t_tmpdir("granite_module_names");
        for (i = 0; i < c.n; i++) {
            char *p = strstr((char *)c.t[i].name, "block_sparse_moe."), nm[256];
            if (!p) continue;
            if (strstr(p, "router.layer.weight")) snprintf(nm, sizeof nm, "%.*srouter.weight", (int)(p - c.t[i].name) + 17, c.t[i].name);
            else if (strstr(p, "input_linear")) snprintf(nm, sizeof nm, "%.*sexperts.gate_up_proj", (int)(p - c.t[i].name) + 17, c.t[i].name);
            else if (strstr(p, "output_linear")) snprintf(nm, sizeof nm, "%.*sexperts.down_proj", (int)(p - c.t[i].name) + 17, c.t[i].name);
            else continue;
            free((void *)c.t[i].name);
            c.t[i].name = strcpy((char *)malloc(strlen(nm) + 1), nm);
        }
        t_ssm_ckpt_write(src, d, &c, NULL, NULL);
        CHECK(t_ssm_golden_err(src, d) < 1e-4, "granite with the module's expert names: %g", t_ssm_golden_err(src, d));
        t_ssm_ckpt_free(&c);
    }
}

/* Save after a prefill, continue; load into a fresh session: bit-identical continuation. */
static void test_hy_state(void)
{
    static const char *const names[] = { "qwen3_next", "falcon_h1", "nemotron_h", "olmo_hybrid" };
    char buf[512];
    int i;
    for (i = 0; i < 4; i++) {
        const char *dir = t_hy_case(names[i], buf, sizeof buf);
        if (dir) t_ssm_state_roundtrip(dir);
        else SKIP("state %s: case not found", names[i]);
    }
}

/* The builder composes the 'G' layer with attention and experts; the config round-trips. */
static void test_hy_builder(void)
{
    smx_builder *b = NULL;
    smx_model *m = NULL, *m2 = NULL;
    smx_session *s = NULL, *s2 = NULL;
    smx_layer_cfg lc;
    smx_model_info in;
    smx_error e;
    int32_t ids[80];
    float *a = (float *)malloc(sizeof(float) * 80 * 53), *c = (float *)malloc(sizeof(float) * 80 * 53);
    int t;
    const char *d = t_tmpdir("hy_builder");
    if (smx_builder_new(53, 32, &b, &e)) { CHECK(0, "builder: %s", e.msg); free(a); free(c); return; }
    memset(&lc, 0, sizeof lc);
    lc.heads = 4; lc.kv_heads = 2; lc.head_dim = 8; lc.chunk = 16; lc.conv = 3; lc.experts = 4; lc.top_k = 2; lc.ff = 24;
    smx_builder_set_ffn(b, SMX_OP_MOE, &lc);
    CHECK(smx_builder_pattern(b, "(G G A)x2", &lc) == SMX_OK, "builder pattern with G, A and MoE");
    CHECK(strstr(smx_builder_config(b), "\"gated_deltanet\"") != NULL, "builder config names the gated_deltanet layer");
    if (smx_builder_build(b, 9, &m, &e)) { CHECK(0, "builder build: %s", e.msg); smx_builder_free(b); free(a); free(c); return; }
    smx_model_get_info(m, &in);
    CHECK(!strcmp(in.pattern, "GEGEAEGEGEAE"), "builder pattern %s", in.pattern);
    CHECK(!strcmp(smx_op_name(SMX_OP_GDN), "gated_deltanet"), "op name %s", smx_op_name(SMX_OP_GDN));
    t_ssm_ids(ids, 80, 53, 4);
    smx_session_new(m, NULL, &s, &e);
    smx_session_prefill(s, ids, 80, a, 1);
    smx_session_reset(s);
    for (t = 0; t < 80; t++) smx_session_step(s, ids[t], c + (size_t)t * 53);
    CHECK(t_maxdiff(a, c, 80 * 53) < 1e-4, "built G stack: prefill vs steps %g", t_maxdiff(a, c, 80 * 53));
    CHECK(smx_model_save(m, d, &e) == SMX_OK && smx_model_load(d, &m2, &e) == SMX_OK, "built G stack save/load: %s", e.msg);
    if (m2) {
        smx_session_new(m2, NULL, &s2, &e);
        smx_session_prefill(s2, ids, 80, c, 1);
        CHECK(memcmp(a, c, sizeof(float) * 80 * 53) == 0, "built G stack reloads bit-identically");
    }
    smx_session_free(s);
    smx_session_free(s2);
    smx_model_free(m);
    smx_model_free(m2);
    smx_builder_free(b);
    free(a); free(c);
}

static double t_hy_weight_bytes(const smx_model *m)
{
    smx_model_info in;
    smx_model_get_info(m, &in);
    return (double)in.weight_bytes;
}

/* 16-bit weights: every tensor of case src rounded to BF16 and stored both as F32 and as BF16. The
 * two load to the same logits, so every weight a family slices, reorders or copies at load
 * (fused experts, Qwen3-Next's interleaved rows, 1 + w norms, stacked conv pieces) is handled in
 * the stored type as in float32. */
static void t_hy_bf16(const char *name)
{
    char buf[512], p[1024], d32[600], d16[600];
    const char *src = t_hy_case(name, buf, sizeof buf);
    smx__tensors ts;
    smx_error e;
    t_ssm_ckpt c;
    size_t total = 0, off = 0, hcap, ho = 0;
    unsigned char *data;
    char *hdr, *cfg;
    int i;
    if (!src) { SKIP("bf16 %s: case not found", name); return; }
    memset(&ts, 0, sizeof ts);
    memset(&c, 0, sizeof c);
    snprintf(p, sizeof p, "%s/model.safetensors", src);
    if (smx__st_open_path(&ts, p, &e)) { CHECK(0, "%s", e.msg); smx__st_close(&ts); return; }
    snprintf(p, sizeof p, "hy_bf16_%s", name);
    snprintf(d16, sizeof d16, "%s", t_tmpdir(p));   /* t_tmpdir's buffer is reused */
    hcap = 256 + 160 * (size_t)ts.nent;
    for (i = 0; i < ts.nent; i++) { total += ts.ent[i].numel * 2; hcap += strlen(ts.ent[i].name); }
    data = (unsigned char *)malloc(total + 1);
    hdr = (char *)malloc(hcap);
    ho += (size_t)snprintf(hdr + ho, hcap - ho, "{");
    for (i = 0; i < ts.nent; i++) {
        smx__st_entry *en = &ts.ent[i];
        float *tmp = (float *)malloc(en->numel * 4 + 4);
        char shp[96];
        size_t k;
        smx__st_read_f32(&ts, en, tmp, &e);
        t_bf16_bytes(tmp, en->numel, data + off, 0);
        for (k = 0; k < en->numel; k++) tmp[k] = smx__wt_b2f((uint16_t)(data[off + 2 * k] | (data[off + 2 * k + 1] << 8)));
        t_ssm_ckpt_add(&c, en->name, en->ndim, en->shape, tmp);
        smx__fmt_shape(shp, sizeof shp, en->ndim, en->shape);
        ho += (size_t)snprintf(hdr + ho, hcap - ho, "%s\"%s\":{\"dtype\":\"BF16\",\"shape\":%s,\"data_offsets\":[%lu,%lu]}", i ? "," : "",
                               en->name, shp, (unsigned long)off, (unsigned long)(off + en->numel * 2));
        off += en->numel * 2;
    }
    snprintf(hdr + ho, hcap - ho, "}");
    t_write_st_raw(d16, hdr, data, off);
    snprintf(p, sizeof p, "%s/config.json", src);
    cfg = t_read(p, &total);
    t_write(d16, "config.json", cfg, total);
    free(cfg);
    snprintf(p, sizeof p, "hy_bf16f32_%s", name);
    snprintf(d32, sizeof d32, "%s", t_tmpdir(p));
    t_ssm_ckpt_write(src, d32, &c, NULL, NULL);
    {   /* the same logits for the golden input, prefill and steps */
        smx_model *m32 = NULL, *m16 = NULL;
        smx_session *s32 = NULL, *s16 = NULL;
        smx_model_info in;
        int32_t ids[40];
        float *a = NULL, *b = NULL;
        int V, t;
        CHECK(smx_model_load(d32, &m32, &e) == SMX_OK && smx_model_load(d16, &m16, &e) == SMX_OK, "bf16 %s: %s", name, e.msg);
        if (m32 && m16) {
            smx_model_get_info(m16, &in);
            CHECK(in.weight_bytes < t_hy_weight_bytes(m32) * 0.6, "bf16 %s: weights stay 16-bit (%lu bytes, %g as float32)", name,
                  (unsigned long)in.weight_bytes, t_hy_weight_bytes(m32));
            V = smx_model_vocab(m32);
            a = (float *)malloc(sizeof(float) * 40 * (size_t)V);
            b = (float *)malloc(sizeof(float) * 40 * (size_t)V);
            t_ssm_ids(ids, 40, V, 17);
            smx_session_new(m32, NULL, &s32, &e);
            smx_session_new(m16, NULL, &s16, &e);
            smx_session_prefill(s32, ids, 30, a, 1);
            smx_session_prefill(s16, ids, 30, b, 1);
            for (t = 30; t < 40; t++) {
                smx_session_step(s32, ids[t], a + (size_t)t * V);
                smx_session_step(s16, ids[t], b + (size_t)t * V);
            }
            CHECK(t_maxdiff(a, b, 40 * (size_t)V) < 2e-5, "%s: BF16 weights and their F32 copies give other logits (%g)", name,
                  t_maxdiff(a, b, 40 * (size_t)V));
        }
        smx_session_free(s32); smx_session_free(s16);
        smx_model_free(m32); smx_model_free(m16);
        free(a); free(b);
    }
    t_ssm_ckpt_free(&c);
    smx__st_close(&ts);
    free(data);
    free(hdr);
}

static void test_hy_bf16(void)
{
    static const char *const names[] = { "granitehybrid", "x_granite_moe_rope", "falcon_h1", "nemotron_h", "x_nemotron_latent",
                                         "qwen3_next", "qwen3_5", "lfm2_moe", "olmo_hybrid" };
    int i;
    for (i = 0; i < (int)(sizeof names / sizeof names[0]); i++) t_hy_bf16(names[i]);
}

/* Every operator type has its own letter, and smx_op_legend explains each (G and P included). */
static void test_hy_letters(void)
{
    const int n = (int)(sizeof smx__op_vts / sizeof smx__op_vts[0]);
    const char *legend = smx_op_legend();
    int i, j;
    for (i = 0; i < n; i++) {
        const char c = smx__op_vts[i]->letter;
        char want[8];
        for (j = 0; j < i; j++)
            CHECK(smx__op_vts[j]->letter != c, "operators %s and %s share the letter '%c'", smx__op_vts[j]->name, smx__op_vts[i]->name, c);
        snprintf(want, sizeof want, ", %c ", c);   /* entries "X what", comma-separated */
        CHECK((legend[0] == c && legend[1] == ' ') || strstr(legend, want) != NULL, "the legend explains '%c' (%s)", c, smx__op_vts[i]->name);
    }
    CHECK(strstr(legend, "G gated DeltaNet") && strstr(legend, "P parallel sum"), "legend: %s", legend);
}

/* `seqmix info` shows each family's layer pattern and what its letters mean. */
static void test_hy_info(void)
{
    static const char *const want[][3] = {
        { "granitehybrid", "pattern 2EAE2E2E", "2 Mamba-2, E mixture of experts, A attention" },
        { "falcon_h1", "pattern PFPF", "P parallel sum, F feed-forward" },
        { "nemotron_h", "pattern 2FAF", "2 Mamba-2, F feed-forward, A attention" },
        { "qwen3_next", "pattern GEGEGEAE", "G gated DeltaNet, E mixture of experts, A attention" },
        { "qwen3_5", "pattern GFGFGFAF", "G gated DeltaNet, F feed-forward, A attention" },
        { "lfm2_moe", "pattern CFAECECE", "C short conv, F feed-forward, A attention, E mixture of experts" },
        { "olmo_hybrid", "pattern GFGFGFAF", "G gated DeltaNet, F feed-forward, A attention" },
    };
    int i;
    if (!cli_is_file(T_CLI_BIN)) { SKIP("seqmix info: %s not built", T_CLI_BIN); return; }
    for (i = 0; i < (int)(sizeof want / sizeof want[0]); i++) {
        char args[256];
        t_cli_result r;
        snprintf(args, sizeof args, "info tests/golden/%s", want[i][0]);
        r = t_cli_run(args);
        CHECK(r.status == 0 && strstr(r.out, want[i][1]) && strstr(r.out, want[i][2]), "seqmix %s: status %d, output %.400s", args,
              r.status, r.out);
        t_cli_free(&r);
    }
}

static void test_hybrids(void)
{
    test_hy_cases_present();
    test_hy_gdn_core();
    t_hy_parity("qwen3_5", 300);
    t_hy_parity("qwen3_next", 300);
    t_hy_parity("olmo_hybrid", 200);
    t_hy_parity("falcon_h1", 150);
    t_hy_parity("granitehybrid", 150);
    t_hy_parity("nemotron_h", 150);
    t_hy_parity("lfm2_moe", 150);
    test_hy_state();
    test_hy_generated();
    test_hy_errors();
    test_hy_spellings();
    test_hy_bf16();
    test_hy_builder();
    test_hy_letters();
    test_hy_info();
}
