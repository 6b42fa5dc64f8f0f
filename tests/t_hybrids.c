/* Tests of the operators of the second-wave hybrids: the gated DeltaNet core (chunked form
 * against the recurrence at many lengths, chunk tails, continuation from a non-zero state, 1 and 2
 * threads), the builder's 'G' layer, and the operator letters. Included by tests/test.c after
 * t_ssm.c and t_cli.c (uses their helpers). */

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

static void test_hybrids(void)
{
    test_hy_gdn_core();
    test_hy_builder();
    test_hy_letters();
}
