/* ---- Masked-diffusion sampling: the reference sampler (LLaDA's generate) and its fast variants.
 *
 * Canvas x = [prompt | mask x G], L = P + G positions, split into G / BL blocks; block b spans
 * [P + b BL, P + (b+1) BL) and gets S = steps / (G / BL) steps with the transfer counts k_j of
 * smx_diffuse_schedule (from the block's masked count at its start). One step:
 *   logits = f(x)                                    the rows of every masked position before the block end
 *   cfg:     logits = un + (cfg + 1) (logits - un),  un = f(x with the original prompt positions masked)
 *   eos:     logits[eos] = -inf                      (logits_eos_inf)
 *   x0     = argmax logits                           (temperature 0; first maximum)
 *          = argmax exp(logits) / (-log u)^T         (temperature T > 0, double, u ~ U[0,1) per entry)
 *   conf   = softmax(logits)[x0]                     (low_confidence; float) or U[0,1) (random)
 *   commit x0 at the k_j masked positions of largest conf, chosen exactly as torch.topk on the CPU
 *   chooses (including its order among equal confidences).
 * Randomness comes from smx_rng streams keyed by (seed, step, position), so a run is
 * reproducible and independent of thread count; it is not the reference's torch RNG.
 *
 * Fast paths (opt-in): a confidence threshold (commit more than k_j when confident; blocks end
 * early) and reuse of the attention keys/values of the positions before the current block (a
 * full pass at the start of each block refreshes them; later steps of the block run from the
 * block start: PREFIX runs every later position too, DUAL runs the block alone and lets it see
 * the cached keys/values of the later positions, BLOCK runs the block alone and drops the later
 * positions). Fast paths consider only the current block's masked positions as candidates. */

SMX_API void smx_diffuse_default_options(smx_diffuse_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->gen_length = 128;
    o->steps = 128;
    o->block_length = 128;
    o->remasking = SMX_REMASK_LOW_CONFIDENCE;
    o->prefix_cache = SMX_CACHE_OFF;
    o->eos_id = 126081;
    o->eot_id = 126348;
    o->mask_id = -1;
}

/* k[j] = m / s + (j < m % s) */
SMX_API void smx_diffuse_schedule(int m, int s, int *k)
{
    int j;
    if (!k || s <= 0) return;
    for (j = 0; j < s; j++) k[j] = m / s + (j < m % s ? 1 : 0);
}

/* ---- torch.topk(conf, k) on the CPU, as a set. torch fills (value as double, index) pairs in
 *      index order and, with comp(a, b) = a is NaN and b is not, or a > b, calls
 *      std::partial_sort(q, q + k, q + n) when 64 k <= n and otherwise
 *      std::nth_element(q, q + k - 1, q + n); the first k pairs are the answer. Which of several
 *      equal values land inside depends on the exact moves of those algorithms, so the
 *      functions below perform the same moves as GCC's libstdc++ (heap select; introselect with
 *      median-of-three pivots and an insertion-sort finish). ---- */
typedef struct smx__tk { double v; int i; } smx__tk;

static int smx__tk_less(const smx__tk *a, const smx__tk *b)
{
    return (a->v != a->v && b->v == b->v) || a->v > b->v;
}

static void smx__tk_swap(smx__tk *a, smx__tk *b)
{
    smx__tk t = *a;
    *a = *b;
    *b = t;
}

/* Move val up from hole towards top while its parent orders before it. */
static void smx__tk_push(smx__tk *q, long hole, long top, smx__tk val)
{
    long parent = (hole - 1) / 2;
    while (hole > top && smx__tk_less(&q[parent], &val)) {
        q[hole] = q[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    q[hole] = val;
}

/* Fill the hole at `hole` by walking down to a leaf along the larger child, then push val up. */
static void smx__tk_adjust(smx__tk *q, long hole, long len, smx__tk val)
{
    long top = hole, child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (smx__tk_less(&q[child], &q[child - 1])) child--;
        q[hole] = q[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        q[hole] = q[child - 1];
        hole = child - 1;
    }
    smx__tk_push(q, hole, top, val);
}

static void smx__tk_make_heap(smx__tk *q, long len)
{
    long parent;
    if (len < 2) return;
    for (parent = (len - 2) / 2;; parent--) {
        smx__tk_adjust(q, parent, len, q[parent]);
        if (parent == 0) return;
    }
}

/* Keep in q[0, mid) the mid pairs that order first among q[0, last). */
static void smx__tk_heap_select(smx__tk *q, long mid, long last)
{
    long i;
    smx__tk_make_heap(q, mid);
    for (i = mid; i < last; i++)
        if (smx__tk_less(&q[i], &q[0])) {
            smx__tk val = q[i];
            q[i] = q[0];
            smx__tk_adjust(q, 0, mid, val);
        }
}

static void smx__tk_insertion_sort(smx__tk *q, long first, long last)
{
    long i, j;
    if (first == last) return;
    for (i = first + 1; i < last; i++) {
        smx__tk val = q[i];
        if (smx__tk_less(&val, &q[first])) {
            memmove(q + first + 1, q + first, sizeof *q * (size_t)(i - first));
            q[first] = val;
        } else {
            for (j = i; smx__tk_less(&val, &q[j - 1]); j--) q[j] = q[j - 1];
            q[j] = val;
        }
    }
}

/* Swap the median of q[a], q[b], q[c] into q[r]. */
static void smx__tk_median(smx__tk *q, long r, long a, long b, long c)
{
    if (smx__tk_less(&q[a], &q[b])) {
        if (smx__tk_less(&q[b], &q[c])) smx__tk_swap(&q[r], &q[b]);
        else if (smx__tk_less(&q[a], &q[c])) smx__tk_swap(&q[r], &q[c]);
        else smx__tk_swap(&q[r], &q[a]);
    } else if (smx__tk_less(&q[a], &q[c])) smx__tk_swap(&q[r], &q[a]);
    else if (smx__tk_less(&q[b], &q[c])) smx__tk_swap(&q[r], &q[c]);
    else smx__tk_swap(&q[r], &q[b]);
}

/* Partition q[first, last) around the pivot q[piv] (outside the range); returns the cut. */
static long smx__tk_partition(smx__tk *q, long first, long last, long piv)
{
    for (;;) {
        while (smx__tk_less(&q[first], &q[piv])) first++;
        last--;
        while (smx__tk_less(&q[piv], &q[last])) last--;
        if (!(first < last)) return first;
        smx__tk_swap(&q[first], &q[last]);
        first++;
    }
}

/* Place in q[nth] the pair that a full sort would put there, smaller ones before it. */
static void smx__tk_nth(smx__tk *q, long nth, long n)
{
    long first = 0, last = n, depth = 0, t;
    if (n == 0 || nth == n) return;
    for (t = n; t > 1; t >>= 1) depth++;   /* floor(log2 n) */
    depth *= 2;
    while (last - first > 3) {
        long mid, cut;
        if (depth == 0) {
            smx__tk_heap_select(q + first, nth + 1 - first, last - first);
            smx__tk_swap(&q[first], &q[nth]);
            return;
        }
        depth--;
        mid = first + (last - first) / 2;
        smx__tk_median(q, first, first + 1, mid, last - 1);
        cut = smx__tk_partition(q, first + 1, last, first);
        if (cut <= nth) first = cut;
        else last = cut;
    }
    smx__tk_insertion_sort(q, first, last);
}

/* After the call q[0, k) holds the k pairs torch.topk(values, k) returns (in some order). */
static void smx__tk_topk(smx__tk *q, long n, long k)
{
    if (k <= 0 || n <= 0) return;
    if (k * 64 <= n) smx__tk_heap_select(q, k, n);
    else smx__tk_nth(q, k - 1, n);
}

/* ---- One step's decision for one position ---- */
typedef struct smx__diff_ctx {
    int V, remask, eos_inf, conf_inf;
    int32_t eos, eot;
    float temp, cfg1;           /* cfg1 = cfg_scale + 1 (0: no guidance) */
    uint64_t seed;
} smx__diff_ctx;

enum { SMX__DIFF_GUMBEL = 1, SMX__DIFF_RANDOM = 2 };

/* An RNG stream of its own for (seed, what, step, position). */
static void smx__diff_rng(smx_rng *r, uint64_t seed, int what, int step, int pos)
{
    uint64_t z = seed ^ (((uint64_t)what << 58) ^ ((uint64_t)(uint32_t)step << 26) ^ (uint64_t)(uint32_t)pos) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    smx_rng_seed(r, z ^ (z >> 31));
}

/* l [V]: the conditional logits of position pos (edited in place); un [V] or NULL: unconditional.
 * Writes the predicted token and its confidence. */
static void smx__diff_decide(const smx__diff_ctx *c, float *l, const float *un, int step, int pos, int32_t *x0, float *conf)
{
    const int V = c->V;
    int v, best = 0;
    smx_rng r;
    /* guidance: l = un + (cfg + 1) (l - un), in float as the reference */
    if (un)
        for (v = 0; v < V; v++) {
            float d = l[v] - un[v];
            d *= c->cfg1;
            l[v] = un[v] + d;
        }
    if (c->eos_inf) l[c->eos] = -INFINITY;
    if (c->temp == 0.0f) {
        /* x0 = argmax l (first maximum) */
        for (v = 1; v < V; v++)
            if (l[v] > l[best]) best = v;
    } else {
        /* x0 = argmax exp(l) / (-log u)^T, in double on the raw logits */
        const double T = (double)c->temp;
        double bv = 0.0;
        smx__diff_rng(&r, c->seed, SMX__DIFF_GUMBEL, step, pos);
        for (v = 0; v < V; v++) {
            double u = smx_rng_uniform(&r), g = -log(u), val;
            if (T != 1.0) g = pow(g, T);
            val = exp((double)l[v]) / g;
            if (v == 0 || val > bv) { bv = val; best = v; }
        }
    }
    *x0 = best;
    if (c->remask == SMX_REMASK_RANDOM) {
        /* conf = U[0,1) as a float */
        smx__diff_rng(&r, c->seed, SMX__DIFF_RANDOM, step, pos);
        *conf = (float)(smx_rng_next(&r) >> 40) * (1.0f / 16777216.0f);
        return;
    }
    /* The reference's confidence_eos_eot_inf writes -inf to noisy[eos] and logits[eot]; at
     * temperature 0 noisy is the logits tensor itself, so eos is removed too. */
    if (c->conf_inf) {
        if (c->temp == 0.0f) l[c->eos] = -INFINITY;
        l[c->eot] = -INFINITY;
    }
    {
        /* conf = softmax(l)[x0] = exp(l[x0] - max) / sum_v exp(l[v] - max) */
        float mx = l[0];
        double sum = 0.0;
        for (v = 1; v < V; v++)
            if (l[v] > mx) mx = l[v];
        for (v = 0; v < V; v++) sum += (double)expf(l[v] - mx);
        *conf = (float)((double)expf(l[best] - mx) / sum);
    }
}

/* Run canvas[from, to) through s, attending to the keys/values the session holds for [0, from)
 * and, when vis > to, also for [to, vis) (kept as they are), and write the logits of the canvas
 * positions rows[0, nr) (all inside [from, to)) to logits [nr, n_logits]. The head runs only for
 * those rows, as one matrix product. */
static smx_status smx__diff_forward(smx_session *s, const int32_t *canvas, int from, int to, int vis, const int *rows,
                                    int nr, float *logits)
{
    const smx_model *m = s->m;
    const int T = to - from, d = m->d;
    int t, i;
    if (vis > to) {
#ifdef SMX__HAVE_RUN_LAYERS_CTX
        if (vis > s->pos || from < 0)
            return smx__sfail(s, SMX_E_STATE, "positions [%d, %d) are not in the session (%d held)", to, vis, s->pos);
        s->pos = from;
#else
        return smx__sfail(s, SMX_E_UNSUPPORTED, "this build's attention cannot see cached positions after the ones it runs");
#endif
    } else if (smx_session_rewind(s, from) != SMX_OK) {
        if (from != 0) return SMX_E_UNSUPPORTED;
        smx_session_reset(s);
    }
    if (T <= 0 || T > s->cap - s->pos || T > s->batch)
        return smx__sfail(s, SMX_E_CAPACITY, "%d positions at %d do not fit the session (capacity %d)", T, from, s->cap);
    /* h [T, d] = embedding rows of the canvas */
    for (t = 0; t < T; t++) memcpy(s->h + (size_t)t * d, m->embed + (size_t)canvas[from + t] * d, sizeof(float) * (size_t)d);
#ifdef SMX__HAVE_RUN_LAYERS_CTX
    smx__run_layers_ctx(s, T, NULL, vis > to ? vis : 0);
#else
    smx__run_layers(s, T, NULL);
#endif
    s->pos = vis > to ? vis : to;
    if (nr <= 0) return SMX_OK;
    /* xn [nr, d] = final_norm(h[rows - from]);  logits [nr, n_logits] = xn head^T (+ b) */
    for (i = 0; i < nr; i++) {
        const float *hr = s->h + (size_t)(rows[i] - from) * d;
        float *xr = s->xn + (size_t)i * d;
        if (m->fnorm == SMX__NORM_RMS) smx__rmsnorm(xr, hr, m->fnw, d, m->feps);
        else if (m->fnorm == SMX__NORM_LN) smx__layernorm(xr, hr, m->fnw, m->fnb, d, m->feps);
        else memcpy(xr, hr, sizeof(float) * (size_t)d);
    }
    smx__matmul(logits, s->xn, m->head, m->head_b, nr, d, m->n_logits, s->nth);
    if (m->logit_cap > 0) {
        size_t k, n = (size_t)nr * m->n_logits;
        for (k = 0; k < n; k++) logits[k] = m->logit_cap * tanhf(logits[k] / m->logit_cap);
    }
    return SMX_OK;
}

/* 1 if every position may attend to every other: the model's flag says so, or (for a builder
 * that leaves the flag at its default) no layer keeps a recurrent state and no attention layer
 * is causal. */
static int smx__diff_bidirectional(const smx_model *m)
{
    int i;
    if (!m->causal) return 1;
    for (i = 0; i < m->n_sub; i++) {
        const smx__op *op = m->sub[i].op;
        if (smx__op_state(op, 0) != 0) return 0;
        if (op->vt == &smx__attn_vt && ((const smx__attn *)op)->causal) return 0;
        if (op->vt != &smx__attn_vt && smx__op_state(op, 1) != 0) return 0;
    }
    return 1;
}

/* Validate the options against the model and the prompt. */
static smx_status smx__diff_check(const smx_model *m, const int32_t *prompt, int n_prompt, const smx_diffuse_options *o,
                                  int32_t mask, int out_cap, smx_error *err)
{
    int i, V, nb;
    if (m->kind != SMX_KIND_TOKENS) return smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: the model takes feature vectors, not tokens");
    if (!smx__diff_bidirectional(m)) return smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: %s attends causally; masked diffusion needs a bidirectional model", m->arch);
    V = m->n_logits;
    if (V > m->vocab) return smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: the head has %d rows but the embedding only %d", V, m->vocab);
    if (mask < 0 || mask >= V)
        return smx__fail(err, mask < 0 ? SMX_E_UNSUPPORTED : SMX_E_RANGE, "diffusion: mask token %ld is not in the vocabulary [0, %d)%s",
                         (long)mask, V, mask < 0 ? " (the model has no mask_token_id; set mask_id)" : "");
    if (n_prompt < 0 || (n_prompt > 0 && !prompt)) return smx__fail(err, SMX_E_ARG, "diffusion: prompt of %d tokens is invalid", n_prompt);
    if (o->gen_length <= 0) return smx__fail(err, SMX_E_ARG, "diffusion: gen_length must be positive (found %d)", o->gen_length);
    if (o->block_length <= 0) return smx__fail(err, SMX_E_ARG, "diffusion: block_length must be positive (found %d)", o->block_length);
    if (o->gen_length % o->block_length)
        return smx__fail(err, SMX_E_ARG, "diffusion: gen_length %d is not a multiple of block_length %d", o->gen_length, o->block_length);
    nb = o->gen_length / o->block_length;
    if (o->steps <= 0 || o->steps % nb)
        return smx__fail(err, SMX_E_ARG, "diffusion: steps %d must be a positive multiple of the number of blocks %d (gen_length / block_length)",
                         o->steps, nb);
    if (!(o->temperature >= 0.0f) || o->temperature > 1e30f)
        return smx__fail(err, SMX_E_ARG, "diffusion: temperature must be >= 0 and finite (found %g)", (double)o->temperature);
    if (!(o->cfg_scale >= 0.0f) || o->cfg_scale > 1e30f)
        return smx__fail(err, SMX_E_ARG, "diffusion: cfg_scale must be >= 0 and finite (found %g)", (double)o->cfg_scale);
    if (!(o->threshold >= 0.0f)) return smx__fail(err, SMX_E_ARG, "diffusion: threshold must be >= 0 (found %g)", (double)o->threshold);
    if (o->remasking != SMX_REMASK_LOW_CONFIDENCE && o->remasking != SMX_REMASK_RANDOM)
        return smx__fail(err, SMX_E_ARG, "diffusion: remasking %d is not low_confidence (0) or random (1)", o->remasking);
    if (o->prefix_cache < SMX_CACHE_OFF || o->prefix_cache > SMX_CACHE_BLOCK)
        return smx__fail(err, SMX_E_ARG, "diffusion: prefix_cache %d is not off (0), prefix (1), dual (2) or block (3)", o->prefix_cache);
#ifndef SMX__HAVE_RUN_LAYERS_CTX
    if (o->prefix_cache == SMX_CACHE_DUAL)
        return smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: the dual cache is not available in this build");
#endif
    if (o->n_threads < 0) return smx__fail(err, SMX_E_ARG, "diffusion: n_threads must be >= 0");
    if ((o->logits_eos_inf || o->confidence_eos_eot_inf) && (o->eos_id < 0 || o->eos_id >= V))
        return smx__fail(err, SMX_E_RANGE, "diffusion: eos_id %ld is not in the vocabulary [0, %d)", (long)o->eos_id, V);
    if (o->confidence_eos_eot_inf && (o->eot_id < 0 || o->eot_id >= V))
        return smx__fail(err, SMX_E_RANGE, "diffusion: eot_id %ld is not in the vocabulary [0, %d)", (long)o->eot_id, V);
    for (i = 0; i < n_prompt; i++)
        if (prompt[i] < 0 || prompt[i] >= V)
            return smx__fail(err, SMX_E_RANGE, "diffusion: prompt token %ld at index %d is outside the vocabulary [0, %d)", (long)prompt[i], i, V);
    if (o->gen_length > INT_MAX / 4 - n_prompt || (m->max_ctx > 0 && n_prompt + o->gen_length > m->max_ctx))
        return smx__fail(err, SMX_E_CAPACITY, "diffusion: %d prompt + %d generated tokens exceed the model's context of %d", n_prompt,
                         o->gen_length, m->max_ctx);
    if (out_cap < n_prompt + o->gen_length)
        return smx__fail(err, SMX_E_ARG, "diffusion: out has room for %d tokens, the canvas needs %d", out_cap, n_prompt + o->gen_length);
    return SMX_OK;
}

SMX_API smx_status smx_diffuse(const smx_model *m, const int32_t *prompt, int n_prompt, const smx_diffuse_options *opt,
                               int32_t *out, int out_cap, smx_diffuse_stats *stats, smx_error *err)
{
    smx_diffuse_options o;
    smx_diffuse_stats stt;
    smx_error tmp;
    smx__diff_ctx c;
    smx_session_options so;
    smx_session *sc = NULL, *su = NULL;
    float *lc = NULL, *lu = NULL, *conf = NULL;     /* [maxr, V], [maxr, V], [maxr] */
    int32_t *x0 = NULL, *x0full = NULL, *unx = NULL; /* [maxr], [L], [L] */
    int *rows = NULL, *sched = NULL;                 /* [maxr], [S] */
    unsigned char *in_prompt = NULL;                 /* [L] original prompt positions (not mask) */
    smx__tk *q = NULL;                               /* [L] */
    int32_t mask;
    int L, G, BL, nb, S, V, maxr, fast, b, i, p, gstep = 0, nth;
    smx_status st = SMX_OK;
    if (!err) err = &tmp;
    smx__ok(err);
    memset(&stt, 0, sizeof stt);
    if (stats) *stats = stt;
    if (!m || !out) return smx__fail(err, SMX_E_ARG, "smx_diffuse: model and out must not be NULL");
    if (opt) o = *opt;
    else smx_diffuse_default_options(&o);
    mask = o.mask_id >= 0 ? o.mask_id : m->mask_token;
    if ((st = smx__diff_check(m, prompt, n_prompt, &o, mask, out_cap, err)) != SMX_OK) return st;
    G = o.gen_length; BL = o.block_length; nb = G / BL; S = o.steps / nb;
    L = n_prompt + G; V = m->n_logits;
    fast = o.threshold > 0.0f || o.prefix_cache != SMX_CACHE_OFF;
    /* exact: candidates are every masked position before the block end (mask tokens in the
     * prompt included, as in the reference); fast: the block's masked positions only */
    maxr = BL;
    if (!fast)
        for (p = 0; p < n_prompt; p++) maxr += prompt[p] == mask;
    memset(&c, 0, sizeof c);
    c.V = V; c.remask = o.remasking; c.eos_inf = o.logits_eos_inf; c.conf_inf = o.confidence_eos_eot_inf;
    c.eos = o.eos_id; c.eot = o.eot_id; c.temp = o.temperature; c.cfg1 = o.cfg_scale > 0.0f ? (float)((double)o.cfg_scale + 1.0) : 0.0f;
    c.seed = o.seed;

    memset(&so, 0, sizeof so);
    so.capacity = L;
    so.batch = L;                   /* the whole canvas in one pass */
    so.n_threads = o.n_threads;
    if ((st = smx_session_new(m, &so, &sc, err)) != SMX_OK) goto done;
    if (o.cfg_scale > 0.0f && (st = smx_session_new(m, &so, &su, err)) != SMX_OK) goto done;
    nth = sc->nth;
    (void)nth;                      /* used by the OpenMP loop only */
    if (o.prefix_cache != SMX_CACHE_OFF && smx_session_rewind(sc, 0) != SMX_OK) {
        st = smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: prefix_cache needs a model whose layers can rewind (%s)", smx_session_error(sc));
        goto done;
    }
    lc = (float *)SMX_MALLOC(sizeof(float) * (size_t)maxr * V);
    lu = su ? (float *)SMX_MALLOC(sizeof(float) * (size_t)maxr * V) : NULL;
    conf = (float *)SMX_MALLOC(sizeof(float) * (size_t)maxr);
    x0 = (int32_t *)SMX_MALLOC(sizeof(int32_t) * (size_t)maxr);
    x0full = (int32_t *)SMX_MALLOC(sizeof(int32_t) * (size_t)L);
    unx = (int32_t *)SMX_MALLOC(sizeof(int32_t) * (size_t)L);
    rows = (int *)SMX_MALLOC(sizeof(int) * (size_t)maxr);
    sched = (int *)SMX_MALLOC(sizeof(int) * (size_t)S);
    in_prompt = (unsigned char *)SMX_MALLOC((size_t)L);
    q = (smx__tk *)SMX_MALLOC(sizeof(smx__tk) * (size_t)L);
    if (!lc || (su && !lu) || !conf || !x0 || !x0full || !unx || !rows || !sched || !in_prompt || !q) {
        st = smx__fail(err, SMX_E_NOMEM, "diffusion: out of memory for %d candidate rows of %d logits", maxr, V);
        goto done;
    }
    /* x = [prompt | mask ...]; the unconditional canvas masks the original prompt positions */
    for (p = 0; p < L; p++) {
        out[p] = p < n_prompt ? prompt[p] : mask;
        in_prompt[p] = (unsigned char)(p < n_prompt && prompt[p] != mask);
    }

    for (b = 0; b < nb && !stt.stopped; b++) {
        const int bs = n_prompt + b * BL, be = bs + BL;
        int j, nmask = 0;
        for (p = bs; p < be; p++) nmask += out[p] == mask;
        smx_diffuse_schedule(nmask, S, sched);
        for (j = 0; fast || j < S; j++) {
            int nr = 0, kk = j < S ? sched[j] : 0;
            for (p = fast ? bs : 0; p < be && nr < maxr; p++)
                if (out[p] == mask) rows[nr++] = p;
            if (fast && nr == 0) break;
            if (nr > 0) {
                /* which positions run: the whole canvas, or from the block start on (PREFIX),
                 * the block with the cached later positions visible (DUAL), the block alone (BLOCK) */
                int from = 0, to = L, vis = 0;
                if (fast && o.prefix_cache != SMX_CACHE_OFF && j > 0) {
                    from = bs;
                    if (o.prefix_cache != SMX_CACHE_PREFIX) to = be;
                    if (o.prefix_cache == SMX_CACHE_DUAL) vis = L;
                }
                if ((st = smx__diff_forward(sc, out, from, to, vis, rows, nr, lc)) != SMX_OK) {
                    smx__fail(err, st, "diffusion: %s", smx_session_error(sc));
                    goto done;
                }
                stt.forwards++;
                stt.tokens += to - from;
                if (su) {
                    for (p = 0; p < L; p++) unx[p] = in_prompt[p] ? mask : out[p];
                    if ((st = smx__diff_forward(su, unx, from, to, vis, rows, nr, lu)) != SMX_OK) {
                        smx__fail(err, st, "diffusion: %s", smx_session_error(su));
                        goto done;
                    }
                    stt.forwards++;
                    stt.tokens += to - from;
                }
                /* x0, conf per candidate row */
                SMX__OMP_FOR_DYN(nth)
                for (i = 0; i < nr; i++)
                    smx__diff_decide(&c, lc + (size_t)i * V, lu ? lu + (size_t)i * V : NULL, gstep, rows[i], &x0[i], &conf[i]);
                /* conf over the canvas: -inf except at the candidates; x0 = where(mask, x0, x) */
                for (p = 0; p < L; p++) {
                    q[p].v = -HUGE_VAL;
                    q[p].i = p;
                    x0full[p] = out[p];
                }
                for (i = 0; i < nr; i++) {
                    q[rows[i]].v = (double)conf[i];
                    x0full[rows[i]] = x0[i];
                }
                if (fast) {
                    /* at least the scheduled count and one; more where conf >= threshold */
                    if (j >= S) kk = nr;
                    if (o.threshold > 0.0f) {
                        int pass = 0;
                        for (i = 0; i < nr; i++) pass += conf[i] >= o.threshold;
                        kk = SMX__MAX(kk, pass);
                    }
                    kk = SMX__MIN(SMX__MAX(kk, 1), nr);
                }
                smx__tk_topk(q, L, kk);
                for (i = 0; i < kk; i++) out[q[i].i] = x0full[q[i].i];
            }
            stt.steps++;
            if (o.callback && o.callback(out, L, gstep, o.user)) stt.stopped = 1;
            gstep++;
            if (stt.stopped) break;
        }
    }
done:
    if (stats) *stats = stt;
    smx_session_free(sc);
    smx_session_free(su);
    SMX_FREE(lc); SMX_FREE(lu); SMX_FREE(conf); SMX_FREE(x0); SMX_FREE(x0full); SMX_FREE(unx);
    SMX_FREE(rows); SMX_FREE(sched); SMX_FREE(in_prompt); SMX_FREE(q);
    return st;
}
