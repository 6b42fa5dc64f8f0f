/* ---- Hybrid stacks (model_type "seqmix"): any registered layer types, one sub-layer each ----
 *
 * config.json: {"model_type": "seqmix", "vocab_size": V, "hidden_size": d, "norm_eps": 1e-5,
 *               "tie_word_embeddings": bool, "max_position_embeddings": n,
 *               "layers": [{"type": "mamba2", ...settings...}, {"type": "mlp", ...}, ...]}
 * tensors:     model.embed_tokens.weight, model.layers.L.norm.weight, model.layers.L.mixer.*
 *              (the operator's own names), model.norm.weight, lm_head.weight (untied).
 * Each layer is pre-norm (RMSNorm) with a residual add. */

typedef smx__op *(*smx__layer_loader)(smx__loader *ld, const smx__jv *o, int d, const char *prefix);

static smx__op *smx__lt_attention(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__attn_cfg c;
    double theta;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.nh = smx__ci_pos(ld, o, "num_heads", d >= 64 ? d / 64 : 1);
    c.nkv = smx__ci_pos(ld, o, "num_kv_heads", c.nh);
    c.hd = smx__ci_pos(ld, o, "head_dim", d / (c.nh ? c.nh : 1));
    c.causal = 1;
    c.window = smx__ci(ld, o, "sliding_window", 0);
    c.bias = c.o_bias = smx__cb(ld, o, "bias", 0);
    theta = smx__cf(ld, o, "rope_theta", 10000.0);
    if (theta > 0 && !ld->st) {
        c.rope.rot = c.hd - c.hd % 2;
        c.rope.inv_freq = smx__rope_inv_freq(ld, c.rope.rot, theta);
    }
    return smx__attn_load(ld, &c, prefix, "q_proj", "k_proj", "v_proj", "o_proj", NULL, NULL);
}

static smx__op *smx__lt_mlp(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    int ff = smx__ci_pos(ld, o, "intermediate_size", 4 * d);
    int act = smx__act_by_name(smx__cs(ld, o, "activation", "silu"));
    smx__ld_check(ld, act >= 0, SMX_E_UNSUPPORTED, "config.json: layer activation is not supported");
    return smx__mlp_load(ld, d, ff, act, smx__cb(ld, o, "bias", 0), prefix, "gate_proj", "up_proj", "down_proj");
}

/* {"type": "mlstm", "num_heads": 4, "qk_dim_factor": 0.5, "v_dim_factor": 1.0, "chunk_size": 64,
 *  "gate_soft_cap": 15, "eps": 1e-6, "norm_eps": 1e-6, "bias": false}: the xLSTM-7B layer */
static smx__op *smx__lt_mlstm(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__mlstm7_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.nh = smx__ci_pos(ld, o, "num_heads", 4);
    c.qk = (int)(d * smx__cf(ld, o, "qk_dim_factor", 0.5));
    c.vd = (int)(d * smx__cf(ld, o, "v_dim_factor", 1.0));
    c.chunk = smx__ci_pos(ld, o, "chunk_size", 64);
    c.bias = smx__cb(ld, o, "bias", 0);
    c.cap = (float)smx__cf(ld, o, "gate_soft_cap", 15.0);
    c.eps = (float)smx__cf(ld, o, "eps", 1e-6);
    c.norm_eps = (float)smx__cf(ld, o, "norm_eps", 1e-6);
    smx__ld_check(ld, c.qk > 0 && c.vd > 0 && c.qk % c.nh == 0 && c.vd % c.nh == 0, SMX_E_RANGE,
                  "config.json: mlstm layer dims %d/%d do not split into %d heads", c.qk, c.vd, c.nh);
    return ld->st ? NULL : smx__mlstm7_load(ld, &c, prefix, NULL);
}

/* {"type": "slstm", "num_heads": 4, "conv_kernel": 4}: the sLSTM cell with its group norm */
static smx__op *smx__lt_slstm(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__slstm_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.nh = smx__ci_pos(ld, o, "num_heads", 4);
    c.K = smx__ci(ld, o, "conv_kernel", 4);
    c.gn_weight = 1;
    smx__ld_check(ld, d % c.nh == 0 && c.K >= 0, SMX_E_RANGE, "config.json: slstm layer width %d does not split into %d heads", d, c.nh);
    return ld->st ? NULL : smx__slstm_load(ld, &c, prefix);
}
#define SMX__LT_MLSTM smx__lt_mlstm
#define SMX__LT_SLSTM smx__lt_slstm

#ifndef SMX__LT_MOE
#define SMX__LT_MOE NULL
#endif
#ifndef SMX__LT_MAMBA
#define SMX__LT_MAMBA NULL
#endif
#ifndef SMX__LT_MAMBA2
#define SMX__LT_MAMBA2 NULL
#endif
#ifndef SMX__LT_MLSTM
#define SMX__LT_MLSTM NULL
#endif
#ifndef SMX__LT_SLSTM
#define SMX__LT_SLSTM NULL
#endif
#ifndef SMX__LT_SHORTCONV
#define SMX__LT_SHORTCONV NULL
#endif
#ifndef SMX__LT_CFC
#define SMX__LT_CFC NULL
#endif

typedef struct smx__layer_type { const char *name; char letter; smx__layer_loader load; } smx__layer_type;

/* Indexed by smx_op_type. */
static const smx__layer_type smx__layer_types[SMX_OP_COUNT] = {
    { "attention", 'A', smx__lt_attention }, { "mlp", 'F', smx__lt_mlp },     { "moe", 'E', SMX__LT_MOE },
    { "mamba", 'M', SMX__LT_MAMBA },         { "mamba2", '2', SMX__LT_MAMBA2 }, { "mlstm", 'X', SMX__LT_MLSTM },
    { "slstm", 'S', SMX__LT_SLSTM },         { "shortconv", 'C', SMX__LT_SHORTCONV }, { "cfc", 'L', SMX__LT_CFC },
};

SMX_API const char *smx_op_name(smx_op_type type)
{
    return (int)type >= 0 && type < SMX_OP_COUNT ? smx__layer_types[type].name : "unknown";
}

static smx_status smx__build_seqmix(smx__loader *ld)
{
    const smx__jv *layers = smx__cfg_get(ld, NULL, "layers"), *o;
    int V = smx__ci_pos(ld, NULL, "vocab_size", 0), d = smx__ci_pos(ld, NULL, "hidden_size", 0), l = 0, k;
    float eps = (float)smx__cf(ld, NULL, "norm_eps", 1e-5);
    char pre[128];
    if (!smx__ld_check(ld, layers && layers->type == SMX__J_ARR && layers->n > 0, SMX_E_MISSING,
                       "config.json: 'layers' must be a non-empty array of layer objects"))
        return ld->st;
    smx__load_embed_head(ld, V, d, "model.embed_tokens.weight", "lm_head.weight", smx__cb(ld, NULL, "tie_word_embeddings", 1));
    ld->m->max_ctx = smx__ci(ld, NULL, "max_position_embeddings", 0);
    for (o = layers->child; o && !ld->st; o = o->next, l++) {
        const char *type = o->type == SMX__J_OBJ ? smx__cs(ld, o, "type", "") : "";
        const smx__layer_type *lt = NULL;
        for (k = 0; k < SMX_OP_COUNT; k++)
            if (!strcmp(type, smx__layer_types[k].name)) lt = &smx__layer_types[k];
        if (!smx__ld_check(ld, lt != NULL, SMX_E_UNSUPPORTED, "config.json: layer %d has unknown type '%s'", l, type)) break;
        if (!smx__ld_check(ld, lt->load != NULL, SMX_E_UNSUPPORTED, "config.json: layer type '%s' is not built in", type)) break;
        snprintf(pre, sizeof pre, "model.layers.%d.mixer.", l);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "model.layers.%d.norm.weight", l), NULL, lt->load(ld, o, d, pre), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "model.norm.weight");
    return ld->st;
}
#define SMX__BUILD_SEQMIX smx__build_seqmix

/* ---- The builder: collects layers, writes the config, builds through smx_model_from_config ---- */
struct smx_builder {
    int vocab, width, tied, max_ctx, ffn;
    smx_layer_cfg ffn_cfg;
    int n, cap;
    smx_op_type *type;
    smx_layer_cfg *cfg;
    char *json;
};

SMX_API smx_status smx_builder_new(int vocab, int width, smx_builder **out, smx_error *err)
{
    smx_builder *b;
    smx__ok(err);
    if (!out) return smx__fail(err, SMX_E_ARG, "smx_builder_new: out must not be NULL");
    *out = NULL;
    if (vocab <= 0 || width <= 0) return smx__fail(err, SMX_E_ARG, "smx_builder_new: vocab %d and width %d must be positive", vocab, width);
    b = (smx_builder *)SMX_MALLOC(sizeof *b);
    if (!b) return smx__fail(err, SMX_E_NOMEM, "out of memory");
    memset(b, 0, sizeof *b);
    b->vocab = vocab; b->width = width; b->tied = 1; b->max_ctx = 4096; b->ffn = SMX_OP_MLP;
    *out = b;
    return SMX_OK;
}

SMX_API void smx_builder_free(smx_builder *b)
{
    if (!b) return;
    SMX_FREE(b->type); SMX_FREE(b->cfg); SMX_FREE(b->json);
    SMX_FREE(b);
}

SMX_API void smx_builder_set_ffn(smx_builder *b, int ffn, const smx_layer_cfg *cfg)
{
    if (!b) return;
    b->ffn = ffn;
    if (cfg) b->ffn_cfg = *cfg;
    else memset(&b->ffn_cfg, 0, sizeof b->ffn_cfg);
}

SMX_API void smx_builder_set_tied(smx_builder *b, int tied) { if (b) b->tied = tied != 0; }
SMX_API void smx_builder_set_max_context(smx_builder *b, int n) { if (b && n > 0) b->max_ctx = n; }

SMX_API smx_status smx_builder_add(smx_builder *b, smx_op_type type, const smx_layer_cfg *cfg)
{
    if (!b || (int)type < 0 || type >= SMX_OP_COUNT) return SMX_E_ARG;
    if (!smx__layer_types[type].load) return SMX_E_UNSUPPORTED;
    if (b->n == b->cap) {
        int nc = b->cap ? 2 * b->cap : 16;
        smx_op_type *t = (smx_op_type *)SMX_REALLOC(b->type, sizeof *t * (size_t)nc);
        smx_layer_cfg *c;
        if (!t) return SMX_E_NOMEM;
        b->type = t;
        c = (smx_layer_cfg *)SMX_REALLOC(b->cfg, sizeof *c * (size_t)nc);
        if (!c) return SMX_E_NOMEM;
        b->cfg = c;
        b->cap = nc;
    }
    b->type[b->n] = type;
    if (cfg) b->cfg[b->n] = *cfg;
    else memset(&b->cfg[b->n], 0, sizeof b->cfg[b->n]);
    b->n++;
    return SMX_OK;
}

/* pattern := item*, item := letter | '(' pattern ')' 'x' count */
static smx_status smx__builder_parse(smx_builder *b, const char **p, int depth, const smx_layer_cfg *cfg)
{
    while (**p && **p != ')') {
        char c = **p;
        smx_status st;
        if (c == ' ' || c == ',' || c == '\t') { (*p)++; continue; }
        if (c == '(') {
            const char *start;
            long reps, r;
            if (depth > 8) return SMX_E_ARG;
            (*p)++;
            start = *p;
            if ((st = smx__builder_parse(b, p, depth + 1, cfg)) != SMX_OK) return st;
            if (**p != ')') return SMX_E_ARG;
            (*p)++;
            if (**p != 'x' && **p != '*') return SMX_E_ARG;
            (*p)++;
            reps = strtol(*p, (char **)p, 10);
            if (reps < 1 || reps > 4096) return SMX_E_ARG;
            for (r = 1; r < reps; r++) {   /* the group was added once while parsing */
                const char *q = start;
                if ((st = smx__builder_parse(b, &q, depth + 1, cfg)) != SMX_OK) return st;
            }
        } else {
            int k, found = -1;
            for (k = 0; k < SMX_OP_COUNT; k++)
                if (smx__layer_types[k].letter == c) found = k;
            if (found < 0) return SMX_E_ARG;
            if ((st = smx_builder_add(b, (smx_op_type)found, cfg)) != SMX_OK) return st;
            if (found != SMX_OP_MLP && found != SMX_OP_MOE && b->ffn >= 0 &&
                (st = smx_builder_add(b, (smx_op_type)b->ffn, &b->ffn_cfg)) != SMX_OK)
                return st;
            (*p)++;
        }
    }
    return SMX_OK;
}

SMX_API smx_status smx_builder_pattern(smx_builder *b, const char *pattern, const smx_layer_cfg *cfg)
{
    const char *p = pattern;
    int n0;
    smx_status st;
    if (!b || !pattern) return SMX_E_ARG;
    n0 = b->n;
    st = smx__builder_parse(b, &p, 0, cfg);
    if (st == SMX_OK && *p) st = SMX_E_ARG;   /* unbalanced ')' */
    if (st != SMX_OK) b->n = n0;              /* all or nothing */
    return st;
}

/* Append printf output to the builder's JSON buffer. */
static int smx__jsonf(smx_builder *b, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(b->json + *len, *cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0) return 0;
    if (*len + (size_t)n >= *cap) {
        size_t nc = 2 * (*cap + (size_t)n);
        char *j = (char *)SMX_REALLOC(b->json, nc);
        if (!j) return 0;
        b->json = j;
        *cap = nc;
        va_start(ap, fmt);
        vsnprintf(b->json + *len, *cap - *len, fmt, ap);
        va_end(ap);
    }
    *len += (size_t)n;
    return 1;
}

#define SMX__DEF(v, d) ((v) > 0 ? (v) : (d))

SMX_API const char *smx_builder_config(smx_builder *b)
{
    size_t len = 0, cap = 1024;
    int i, ok, d;
    if (!b) return NULL;
    d = b->width;
    SMX_FREE(b->json);
    b->json = (char *)SMX_MALLOC(cap);
    if (!b->json) return NULL;
    ok = smx__jsonf(b, &len, &cap,
                    "{\n  \"architectures\": [\"SeqmixForCausalLM\"],\n  \"model_type\": \"seqmix\",\n  \"vocab_size\": %d,\n"
                    "  \"hidden_size\": %d,\n  \"norm_eps\": 1e-05,\n  \"tie_word_embeddings\": %s,\n"
                    "  \"max_position_embeddings\": %d,\n  \"layers\": [",
                    b->vocab, d, b->tied ? "true" : "false", b->max_ctx);
    for (i = 0; i < b->n && ok; i++) {
        const smx_layer_cfg *c = &b->cfg[i];
        ok = smx__jsonf(b, &len, &cap, "%s\n    {\"type\": \"%s\"", i ? "," : "", smx__layer_types[b->type[i]].name);
        switch (b->type[i]) {
        case SMX_OP_ATTENTION: {
            int hd = SMX__DEF(c->head_dim, 64), h = SMX__DEF(c->heads, d / hd > 0 ? d / hd : 1);
            if (!c->head_dim) hd = d / h;
            ok = ok && smx__jsonf(b, &len, &cap, ", \"num_heads\": %d, \"num_kv_heads\": %d, \"head_dim\": %d, \"rope_theta\": %g, \"sliding_window\": %d",
                                  h, SMX__DEF(c->kv_heads, h), hd, c->rope_theta < 0 ? 0.0 : (double)SMX__DEF(c->rope_theta, 10000.0f), c->window);
            break;
        }
        case SMX_OP_MLP:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"intermediate_size\": %d", SMX__DEF(c->ff, 4 * d));
            break;
        case SMX_OP_MOE:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"intermediate_size\": %d, \"num_experts\": %d, \"num_experts_per_tok\": %d",
                                  SMX__DEF(c->ff, 2 * d), SMX__DEF(c->experts, 8), SMX__DEF(c->top_k, 2));
            break;
        case SMX_OP_MAMBA:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"state_size\": %d, \"expand\": %d, \"conv_kernel\": %d", SMX__DEF(c->state, 16),
                                  SMX__DEF(c->expand, 2), SMX__DEF(c->conv, 4));
            break;
        case SMX_OP_MAMBA2: {
            int hd = SMX__DEF(c->head_dim, 64), e = SMX__DEF(c->expand, 2);
            ok = ok && smx__jsonf(b, &len, &cap, ", \"num_heads\": %d, \"head_dim\": %d, \"state_size\": %d, \"n_groups\": %d, \"expand\": %d, \"conv_kernel\": %d, \"chunk_size\": %d",
                                  e * d / hd, hd, SMX__DEF(c->state, 128), SMX__DEF(c->groups, 1), e,
                                  SMX__DEF(c->conv, 4), SMX__DEF(c->chunk, 256));
            break;
        }
        case SMX_OP_MLSTM:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"num_heads\": %d, \"chunk_size\": %d", SMX__DEF(c->heads, 4), SMX__DEF(c->chunk, 64));
            break;
        case SMX_OP_SLSTM:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"num_heads\": %d, \"conv_kernel\": %d", SMX__DEF(c->heads, 4), SMX__DEF(c->conv, 4));
            break;
        case SMX_OP_SHORTCONV:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"conv_kernel\": %d", SMX__DEF(c->conv, 3));
            break;
        case SMX_OP_CFC:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"backbone_units\": %d", SMX__DEF(c->units, d));
            break;
        default:
            break;
        }
        ok = ok && smx__jsonf(b, &len, &cap, "}");
    }
    ok = ok && smx__jsonf(b, &len, &cap, "\n  ]\n}\n");
    return ok ? b->json : NULL;
}

SMX_API smx_status smx_builder_build(smx_builder *b, uint64_t seed, smx_model **out, smx_error *err)
{
    const char *cfg;
    smx__ok(err);
    if (out) *out = NULL;
    if (!b || !out) return smx__fail(err, SMX_E_ARG, "smx_builder_build: builder and out must not be NULL");
    if (!b->n) return smx__fail(err, SMX_E_ARG, "smx_builder_build: no layers");
    cfg = smx_builder_config(b);
    if (!cfg) return smx__fail(err, SMX_E_NOMEM, "out of memory");
    return smx_model_from_config(cfg, seed, out, err);
}
