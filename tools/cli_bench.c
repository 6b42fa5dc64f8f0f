/* cli_bench.c — what every benchmark shares, and `seqmix bench-kernels`.
 * Included by seqmix.c after cli_util.c.
 *
 * Output. Human-readable text goes to bench_txt: stdout, or stderr under --json, when stdout
 * carries one JSON document instead:
 *   {"command": "bench-models", "seqmix": "0.1.0", "simd": "avx2", "threads": 1, "quick": true,
 *    "results": [{"group": "ssm", "name": "Mamba (130m shape)", "metric": "decode", "unit": "tok/s",
 *                 "median": 35.2, "min": 34.1, "max": 35.9, "n": 16}, ...]}
 * A figure measured once has "value" instead of median/min/max.
 *
 * Rooflines. bench_probe measures read bandwidth the way a decode step reads memory: a buffer of
 * the same size as the bytes the step reads (so the caches hold as much of it as they hold of
 * the weights), the same thread count, and several access patterns (1, 2, 4 and 8 sequential
 * streams per thread, and the library's own decode matrix-vector kernel over rows of the
 * model's width and of 4096); the roofline is the best any pattern reached in any round. The
 * benchmarks run probe rounds between decode runs, so both see the same machine load. One stream
 * alone reads a third less than the multi-stream kernel on some machines; a probe of one pattern
 * is what once showed decode above 100% of its "roofline". bench_decode_bytes counts the bytes a
 * decode step reads. */

static FILE *bench_txt;
static int bench_json, bench_json_n;

static void bench_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(bench_txt ? bench_txt : stdout, fmt, ap);
    va_end(ap);
    fflush(bench_txt ? bench_txt : stdout);
}

static void bench_json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void bench_open(const char *command, int json, int nth, int quick)
{
    bench_json = json;
    bench_json_n = 0;
    bench_txt = json ? stderr : stdout;
    if (!json) return;
    printf("{\"command\": ");
    bench_json_str(command);
    printf(", \"seqmix\": \"%s\", \"simd\": \"%s\", \"threads\": %d, \"quick\": %s,\n \"results\": [", smx_version(),
           smx_simd_name(), nth, quick ? "true" : "false");
}

static void bench_close(void)
{
    if (bench_json) printf("%s]}\n", bench_json_n ? "\n " : "");
    fflush(stdout);
}

static void bench_rec_head(const char *group, const char *name, const char *metric, const char *unit)
{
    printf("%s\n  {\"group\": ", bench_json_n++ ? "," : "");
    bench_json_str(group);
    printf(", \"name\": ");
    bench_json_str(name);
    printf(", \"metric\": ");
    bench_json_str(metric);
    printf(", \"unit\": ");
    bench_json_str(unit);
}

/* A figure over repetitions. */
static void bench_rec(const char *group, const char *name, const char *metric, const char *unit, cli_stat s)
{
    if (!bench_json) return;
    bench_rec_head(group, name, metric, unit);
    printf(", \"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"n\": %d}", s.med, s.min, s.max, s.n);
}

/* A figure measured or known once. */
static void bench_val(const char *group, const char *name, const char *metric, const char *unit, double v)
{
    if (!bench_json) return;
    bench_rec_head(group, name, metric, unit);
    printf(", \"value\": %.10g}", v);
}

/* ---- read bandwidth in the decode step's pattern ---- */

typedef struct bench_probe {
    float *buf, *x, *y;
    size_t n;           /* floats in buf */
    int K, nth;         /* model width for the kernel pattern; threads */
    smx__cx cx;         /* the library's thread pool, as a session would use it */
    size_t per;         /* stream task: floats per stream */
    int S;              /* streams per thread */
    float part[SMX_MAX_THREADS];
    double best;        /* bytes/s, the best of every pattern and round so far */
    char best_pat[32];
    int rounds;
} bench_probe;

/* A buffer of about bytes (at least 1 MiB). 0 ok, 1 out of memory. */
static int bench_probe_init(bench_probe *p, double bytes, int K, int nth)
{
    size_t i, n = (size_t)(bytes / sizeof(float));
    memset(p, 0, sizeof *p);
    if (n < ((size_t)1 << 18)) n = (size_t)1 << 18;
    n -= n % 4096;
    p->K = K > 0 ? K : 1024;
    p->nth = nth < 1 ? 1 : nth;
    p->n = n;
    p->buf = (float *)malloc(sizeof(float) * n);
    p->x = (float *)malloc(sizeof(float) * 4096 * 2);
    p->y = (float *)malloc(sizeof(float) * (n / 64 + 64));
    if (!p->buf || !p->x || !p->y) { free(p->buf); free(p->x); free(p->y); memset(p, 0, sizeof *p); return 1; }
    p->cx.nth = p->nth;
    p->cx.pool = p->nth > 1 ? smx__pool_new(p->nth - 1) : NULL;
    if (!p->cx.pool) p->cx.nth = 1;
    for (i = 0; i < n; i++) p->buf[i] = (float)(i & 1023) * 1e-3f;
    for (i = 0; i < 4096 * 2; i++) p->x[i] = 1.0f;
    return 0;
}

static void bench_probe_free(bench_probe *p)
{
    smx__pool_free(p->cx.pool);
    free(p->buf); free(p->x); free(p->y);
    memset(p, 0, sizeof *p);
}

/* Thread th's slice of the buffer, read with S streams. */
static void bench_stream_task(void *arg, int th, int tid)
{
    bench_probe *p = (bench_probe *)arg;
    const float *base = p->buf + (size_t)th * (p->n / (size_t)p->nth);
    smx__vf a[8];
    size_t i;
    int s;
    float tot = 0.0f;
    (void)tid;
    for (s = 0; s < 8; s++) a[s] = smx__vzero();
    for (i = 0; i < p->per; i += 2 * SMX__VW)
        for (s = 0; s < p->S; s++) {
            a[s] = smx__vadd(a[s], smx__vld(base + (size_t)s * p->per + i));
            a[s] = smx__vadd(a[s], smx__vld(base + (size_t)s * p->per + i + SMX__VW));
        }
    for (s = 0; s < p->S; s++) tot += smx__vsum(a[s]);
    p->part[th] = tot;
}

/* Seconds to read buf with S sequential streams per thread (each thread its slice). */
static double bench_probe_streams(bench_probe *p, int S)
{
    size_t slice = p->n / (size_t)p->nth, per;
    double t0;
    int th;
    volatile float sink = 0.0f;
    float tot = 0.0f;
    per = slice / (size_t)S;
    per -= per % (2 * SMX__VW);
    p->per = per;
    p->S = S;
    t0 = cli_now();
    smx__par(&p->cx, p->nth, p->nth, bench_stream_task, p);
    for (th = 0; th < p->nth; th++) tot += p->part[th];
    t0 = cli_now() - t0;
    sink += tot;
    (void)sink;
    return t0 * (double)p->n / ((double)per * S * p->nth);   /* scaled to the whole buffer */
}

/* Seconds for the decode matrix-vector kernel over buf as [n / K, K]. */
static double bench_probe_matvec(bench_probe *p, int K)
{
    int N = (int)(p->n / (size_t)K);
    smx__w w = smx__w_f32(p->buf, N, K, "probe");
    double t0 = cli_now();
    smx__matmul(&p->cx, p->y, (size_t)N, p->x, (size_t)K, &w, NULL, 1);
    return (cli_now() - t0) * (double)p->n / ((double)N * K);
}

/* One round of every pattern; returns this round's best bytes/s and updates p->best. */
static double bench_probe_round(bench_probe *p)
{
    static const int streams[4] = { 1, 2, 4, 8 };
    double bytes = (double)p->n * sizeof(float), t, best = 0.0;
    int i, K2 = p->K == 4096 ? 1024 : 4096;
    char pat[32];
    for (i = 0; i < 6; i++) {
        if (i < 4) {
            t = bench_probe_streams(p, streams[i]);
            snprintf(pat, sizeof pat, "%d stream%s", streams[i], streams[i] > 1 ? "s" : "");
        } else {
            int K = i == 4 ? p->K : K2;
            t = bench_probe_matvec(p, K);
            snprintf(pat, sizeof pat, "matvec k=%d", K);
        }
        if (bytes / t > best) best = bytes / t;
        if (bytes / t > p->best) { p->best = bytes / t; snprintf(p->best_pat, sizeof p->best_pat, "%s", pat); }
    }
    p->rounds++;
    return best;
}

/* Bytes one decode step of m reads at context length ctx: the weights a step reads (the
 * library's step_weight_bytes), plus the recurrent state, read and written, and the keys and
 * values of ctx cached positions (an upper bound for sliding-window attention). */
static double bench_decode_bytes(const smx_model *m, int ctx)
{
    smx_model_info in;
    smx_model_get_info(m, &in);
    return (double)in.step_weight_bytes + 2.0 * (double)in.state_bytes + (double)in.kv_bytes_per_token * ctx;
}

/* Decode steps of a token model: rounds x (probe round, then steps single steps, each timed).
 * The session continues from what it holds (run a prompt first). step_s receives the rounds *
 * steps step times, *roof the best probe bandwidth (bytes/s) or 0 without a probe. Returns 0,
 * or 1 if a step failed (message printed). */
static int bench_decode_rounds(smx_session *s, int V, float *lg, int rounds, int steps, bench_probe *probe, double *step_s)
{
    int r, i;
    for (r = 0; r < rounds; r++) {
        if (probe) bench_probe_round(probe);
        for (i = 0; i < steps; i++) {
            double t0 = cli_now();
            if (smx_session_step(s, smx_argmax(lg, V), lg) != SMX_OK) {
                bench_printf("  decode failed: %s\n", smx_session_error(s));
                return 1;
            }
            step_s[r * steps + i] = cli_now() - t0;
        }
    }
    if (probe) bench_probe_round(probe);
    return 0;
}

/* Decode figures of a session that holds `held` tokens and their logits lg: rounds x steps greedy
 * steps (td, frac: that many doubles of room) with bandwidth probe rounds between, as tok/s and as
 * % of the best probe bandwidth for the bytes a step reads. Returns 0, or 1 (message printed). */
typedef struct bench_decode {
    cli_stat tps, roof;         /* tok/s; % of the roofline */
    double bytes, best;         /* bytes a step reads; best probe bandwidth, bytes/s */
    char best_pat[32];
    int probe_rounds;
} bench_decode;

static int bench_decode_measure(smx_session *s, const smx_model *m, int held, int rounds, int steps, int nth, float *lg, double *td,
                                double *frac, bench_decode *d)
{
    smx_model_info in;
    bench_probe probe;
    int i;
    smx_model_get_info(m, &in);
    d->bytes = bench_decode_bytes(m, held + rounds * steps);
    if (bench_probe_init(&probe, d->bytes, in.hidden_size, nth)) { bench_printf("  no memory for the bandwidth probe\n"); return 1; }
    if (bench_decode_rounds(s, in.vocab_size, lg, rounds, steps, &probe, td)) { bench_probe_free(&probe); return 1; }
    for (i = 0; i < rounds * steps; i++) frac[i] = 100.0 * d->bytes / td[i] / probe.best;
    d->tps = cli_stat_inv(cli_stats(td, rounds * steps), 1.0);
    d->roof = cli_stats(frac, rounds * steps);
    d->best = probe.best;
    memcpy(d->best_pat, probe.best_pat, sizeof d->best_pat);
    d->probe_rounds = probe.rounds;
    bench_probe_free(&probe);
    return 0;
}

/* Seconds of reps fresh prefills of ids[0..n) into t[0..reps) (one untimed warm-up first). */
static int bench_prefill_times(smx_session *s, const int32_t *ids, int n, float *lg, int reps, double *t)
{
    int r;
    for (r = -1; r < reps; r++) {
        double t0;
        smx_session_reset(s);
        t0 = cli_now();
        if (smx_session_prefill(s, ids, n, lg, 0) != SMX_OK) {
            bench_printf("  prefill of %d tokens failed: %s\n", n, smx_session_error(s));
            return 1;
        }
        if (r >= 0) t[r] = cli_now() - t0;
    }
    return 0;
}

/* ---- bench-kernels ---- */

/* One thread's independent FMA chains (the FMA peak probe). */
static void bench_fma_task(void *arg, int th, int tid)
{
    const long iters = 20000000;
    smx__vf a0 = smx__vset1(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
    smx__vf m = smx__vset1(0.999999f), c = smx__vset1(1e-7f);
    long i;
    (void)tid;
    for (i = 0; i < iters; i++) {
        a0 = smx__vfma(a0, m, c); a1 = smx__vfma(a1, m, c); a2 = smx__vfma(a2, m, c); a3 = smx__vfma(a3, m, c);
        a4 = smx__vfma(a4, m, c); a5 = smx__vfma(a5, m, c); a6 = smx__vfma(a6, m, c); a7 = smx__vfma(a7, m, c);
        a8 = smx__vfma(a8, m, c); a9 = smx__vfma(a9, m, c);
    }
    ((float *)arg)[th] = smx__vsum(smx__vadd(smx__vadd(smx__vadd(a0, a1), smx__vadd(a2, a3)),
                                             smx__vadd(smx__vadd(smx__vadd(a4, a5), smx__vadd(a6, a7)), smx__vadd(a8, a9))));
}

/* FLOP/s of independent FMA chains on the probe's threads, one run. */
static double bench_fma_peak(bench_probe *p)
{
    double t0 = cli_now(), t;
    smx__par(&p->cx, p->nth, p->nth, bench_fma_task, p->part);
    t = cli_now() - t0;
    return 20000000.0 * 10.0 * 2.0 * SMX__VW * p->nth / t;
}

/* Seconds per y[T,N] = x[T,K] W^T, of each of reps runs, into ts. A run multiplies by each of nw
 * distinct weight matrices in turn (its time is divided by nw), so that a decode-shaped run reads
 * its weights from memory, not from the last-level cache, and reads as many bytes as the
 * bandwidth probe does: timed one matrix at a time, a matrix that the cache partly kept reads
 * faster than memory allows. 0 ok, 1 out of memory. */
static int bench_matmul(const smx__cx *cx, int T, int K, int N, int reps, int nw, double *ts)
{
    float *x = (float *)malloc(sizeof(float) * (size_t)T * K), *W = (float *)malloc(sizeof(float) * (size_t)K * N * nw);
    float *y = (float *)malloc(sizeof(float) * (size_t)T * N);
    size_t i;
    int r;
    if (!x || !W || !y) { free(x); free(W); free(y); return 1; }
    for (i = 0; i < (size_t)T * K; i++) x[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    for (i = 0; i < (size_t)K * N * nw; i++) W[i] = (float)((i * 104729) % 1000) * 1e-3f - 0.5f;
    smx__w wt = smx__w_f32(W, N, K, "bench");
    smx__matmul(cx, y, (size_t)N, x, (size_t)K, &wt, NULL, T);
    for (r = 0; r < reps; r++) {
        double t0 = cli_now();
        int w;
        for (w = 0; w < nw; w++) {
            wt.data = W + (size_t)w * K * N;
            smx__matmul(cx, y, (size_t)N, x, (size_t)K, &wt, NULL, T);
        }
        ts[r] = (cli_now() - t0) / nw;
    }
    free(x); free(W); free(y);
    return 0;
}

/* ---- the product per weight type ---- */

/* Seconds per y[T,N] = x[T,K] W^T of each of reps runs into ts, W of weight type `type` (exact:
 * float32 activations, else the type's default numerics), as bench_matmul does: a run multiplies
 * by each of nw copies of one matrix in turn, nw such that the copies hold at least min_bytes (a
 * decode shape then reads from memory). The activation rows quantized weights round to come from
 * a buffer sized as a session sizes it. *wbytes: the bytes of one matrix. 0 ok, 1 out of memory. */
static int bench_matmul_type(const smx__cx *cx0, int type, int exact, int T, int K, int N, int reps, double min_bytes, double *ts,
                             double *wbytes)
{
    const size_t rb = smx__wt_row_bytes(type, K), mb = rb * (size_t)N;
    const size_t qrb = smx__wt_row_bytes(smx__wtypes[type].act, K);
    int nw = (int)(min_bytes / (double)mb) + 1, r, w;
    float *x = (float *)malloc(sizeof(float) * (size_t)T * K), *row = (float *)malloc(sizeof(float) * (size_t)K);
    float *y = (float *)malloc(sizeof(float) * (size_t)T * N);
    unsigned char *W;
    smx__cx cx = *cx0;
    smx__w wt;
    size_t i;
    if (nw > 4096) nw = 4096;
    W = (unsigned char *)malloc(mb * (size_t)nw);
    cx.qa_cap = (size_t)(T < 8 ? 8 : T > 512 ? 512 : T) * qrb;
    cx.qa = (unsigned char *)malloc(cx.qa_cap);
    if (!x || !row || !y || !W || !cx.qa) { free(x); free(row); free(y); free(W); free(cx.qa); return 1; }
    for (i = 0; i < (size_t)T * K; i++) x[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    for (r = 0; r < N; r++) {   /* one matrix in the type, then copies of it */
        for (i = 0; i < (size_t)K; i++) row[i] = (float)((((size_t)r * K + i) * 104729) % 1000) * 1e-3f - 0.5f;
        smx__w_encode(type, row, W + (size_t)r * rb, K);
    }
    for (w = 1; w < nw; w++) memcpy(W + (size_t)w * mb, W, mb);
    memset(&wt, 0, sizeof wt);
    wt.data = W; wt.name = "bench"; wt.type = type; wt.rows = N; wt.cols = K; wt.rb = rb; wt.exact = exact;
    smx__matmul(&cx, y, (size_t)N, x, (size_t)K, &wt, NULL, T);
    for (r = 0; r < reps; r++) {
        double t0 = cli_now();
        for (w = 0; w < nw; w++) {
            wt.data = W + (size_t)w * mb;
            smx__matmul(&cx, y, (size_t)N, x, (size_t)K, &wt, NULL, T);
        }
        ts[r] = (cli_now() - t0) / nw;
    }
    *wbytes = (double)mb;
    free(x); free(row); free(y); free(W); free(cx.qa);
    return 0;
}

/* The weight types bench-kernels measures by default, and all it can. */
#define BENCH_TYPES_DEFAULT "f32,f16,bf16,q8_0,q4_0,q4_k,q5_k,q6_k"
#define BENCH_TYPES "f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|iq4_nl|q4_k|q5_k|q6_k"

/* The table of the product per weight type at the probe's thread count: for each type, a row per
 * kind of activations its kernels take (float32; rounded to the type's 8-bit activation blocks
 * for the quantized types): decode GB/s of weights read and the fraction of the best read
 * bandwidth, prefill GFLOP/s. A '*' marks what seqmix runs by default (--exact: the float32 row).
 * 0 ok, 1 out of memory. */
static int bench_kernels_types(bench_probe *probe, const char *types, const char *thname, int quick)
{
    const int dreps = quick ? 5 : 15, preps = quick ? 3 : 7, K = 768, N = 3072, T = 512;
    const double stream = 32.0 * 768.0 * 3072.0 * 4.0, pflop = 2.0 * T * (double)K * N;
    double td[15], tp[7], mb;
    const char *p;
    char b1[64], b2[64], b3[64], name[96], tname[16];
    bench_printf("  per weight type: decode 1x768 . 768x3072 (weights streamed: GB/s of weights, %% of the best read bandwidth),\n"
                 "  prefill 512x768 . 768x3072 (GFLOP/s); * = what seqmix runs by default, the float32 rows are --exact's\n");
    bench_printf("    %-7s %-17s %-26s %-18s %s\n", "type", "activations", "decode GB/s", "of bandwidth", "prefill GFLOP/s");
    for (p = types; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        size_t len = strcspn(p, ",");
        int t, ex;
        snprintf(tname, sizeof tname, "%.*s", (int)(len < 15 ? len : 15), p);
        for (t = 0; t < SMX__WT_Q8_K; t++) {
            size_t i = 0;
            while (tname[i] && tolower((unsigned char)tname[i]) == tolower((unsigned char)smx__wtypes[t].name[i])) i++;
            if (!tname[i] && !smx__wtypes[t].name[i]) break;
        }
        if (t == SMX__WT_Q8_K) continue;
        /* ex = 0: the type's own numerics (rounded activations for the quantized types); 1: float32 */
        for (ex = smx__wtypes[t].blk > 1 ? 0 : 1; ex <= 1; ex++) {
            const int dflt_d = ex == smx__wtypes[t].decode_f32, dflt_p = ex == smx__wtypes[t].prefill_f32;
            const int has_p = ex || !smx__wtypes[t].prefill_f32;   /* prefill_f32 types never round for a product of many rows */
            cli_stat sd, sf, sp;
            char act[32];
            if (ex) snprintf(act, sizeof act, "float32");
            else snprintf(act, sizeof act, "rounded to %s", smx__wtypes[smx__wtypes[t].act].name);
            if (bench_matmul_type(&probe->cx, t, ex, 1, K, N, dreps, stream, td, &mb)) return 1;
            if (has_p && bench_matmul_type(&probe->cx, t, ex, T, K, N, preps, 0.0, tp, &mb)) return 1;
            sd = cli_stat_inv(cli_stats(td, dreps), mb);     /* bytes/s of weights */
            sf = cli_stat_scale(sd, 100.0 / probe->best);
            snprintf(b1, sizeof b1, "%s%s", cli_fmt_stat(b3, sizeof b3, "%.2f", cli_stat_scale(sd, 1e-9)), dflt_d ? " *" : "");
            snprintf(b2, sizeof b2, "%s%%", cli_fmt_stat(b3, sizeof b3, "%.0f", sf));
            if (has_p) {
                sp = cli_stat_inv(cli_stats(tp, preps), pflop);
                bench_printf("    %-7s %-17s %-26s %-18s %s%s\n", smx__wtypes[t].name, act, b1, b2,
                             cli_fmt_stat(b3, sizeof b3, "%.1f", cli_stat_scale(sp, 1e-9)), dflt_p ? " *" : "");
            } else {
                bench_printf("    %-7s %-17s %-26s %-18s -  (float32 activations, below)\n", smx__wtypes[t].name, act, b1, b2);
            }
            snprintf(name, sizeof name, "%s %s, %s", smx__wtypes[t].name, ex ? "float32" : "rounded", thname);
            bench_rec("weight_types", name, "decode_matvec", "GB/s", cli_stat_scale(sd, 1e-9));
            bench_rec("weight_types", name, "decode_of_bandwidth", "%", sf);
            if (has_p) bench_rec("weight_types", name, "prefill_matmul", "GFLOP/s", cli_stat_scale(sp, 1e-9));
        }
        bench_probe_round(probe);   /* the bandwidth again, between the types */
    }
    return 0;
}

static const cli_flag bench_kernels_flags[] = {
    { "--threads", "-t", CLI_INT, "N", NULL, 0, 1024, NULL, 0, "largest thread count; 0 = the default (the physical cores)" },
    { "--types", NULL, CLI_NAME, "LIST", BENCH_TYPES_DEFAULT, 0, 0, BENCH_TYPES, 1, "weight types of the per-type table" },
    { "--quick", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "fewer repetitions" },
    { "--json", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "results as JSON on stdout (the table goes to stderr)" },
};

static int cmd_bench_kernels(const cli_args *a)
{
    /* decode shape: 32 distinct 768x3072 matrices (302 MB) in turn; prefill shape 512x768 . 768x3072 */
    const int quick = cli_on(a, "--quick"), dreps = quick ? 8 : 20, preps = quick ? 5 : 9, rounds = quick ? 3 : 5;
    int th, maxth = (int)cli_int(a, "--threads"), r;
    double *td = (double *)malloc(sizeof(double) * (size_t)dreps), tp[9], pk[5], bw[6];
    char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64];
    bench_probe probe;
    if (maxth == 0) maxth = smx_default_threads();
    if (maxth < 1) maxth = 1;
    if (!td) { fprintf(stderr, "seqmix bench-kernels: out of memory\n"); return 1; }
    bench_open("bench-kernels", cli_on(a, "--json"), maxth, quick);
    bench_printf("simd %s, threads 1..%d; figures: median (min..max) over repetitions\n", smx_simd_name(), maxth);
    bench_printf("read bandwidth: best of 1/2/4/8 streams per thread and the decode kernel, over 302 MB\n");
    for (th = 1; th <= maxth; th = (th == maxth ? maxth + 1 : (2 * th < maxth ? 2 * th : maxth))) {
        double dbytes = 768.0 * 3072.0 * 4.0, pflop = 2.0 * 512.0 * 768.0 * 3072.0;
        cli_stat sbw, spk, sd, sp, sfd, sfp;
        char name[32];
        if (bench_probe_init(&probe, 32.0 * dbytes, 768, th)) { fprintf(stderr, "seqmix bench-kernels: out of memory\n"); free(td); return 1; }
        for (r = 0; r < rounds; r++) { bw[r] = bench_probe_round(&probe); pk[r] = bench_fma_peak(&probe); }
        if (bench_matmul(&probe.cx, 1, 768, 3072, dreps, 32, td) || bench_matmul(&probe.cx, 512, 768, 3072, preps, 1, tp)) {
            fprintf(stderr, "seqmix bench-kernels: out of memory\n");
            bench_probe_free(&probe);
            free(td);
            return 1;
        }
        bw[rounds] = bench_probe_round(&probe);   /* and once after the kernels */
        sbw = cli_stats(bw, rounds + 1);
        spk = cli_stats(pk, rounds);
        sd = cli_stat_inv(cli_stats(td, dreps), dbytes);     /* bytes/s */
        sp = cli_stat_inv(cli_stats(tp, preps), pflop);      /* FLOP/s */
        sfd = cli_stat_scale(sd, 100.0 / probe.best);
        sfp = cli_stat_scale(sp, 100.0 / spk.max);
        snprintf(name, sizeof name, "%d thread%s", th, th > 1 ? "s" : "");
        bench_printf("%s:\n", name);
        bench_printf("  read bandwidth    %s GB/s  (best %.2f GB/s: %s)\n", cli_fmt_stat(b1, sizeof b1, "%.2f", cli_stat_scale(sbw, 1e-9)),
                     probe.best / 1e9, probe.best_pat);
        bench_printf("  FMA peak          %s GFLOP/s\n", cli_fmt_stat(b2, sizeof b2, "%.1f", cli_stat_scale(spk, 1e-9)));
        bench_printf("  decode 1x768 . 768x3072    %s GB/s = %s%% of the best read bandwidth\n",
                     cli_fmt_stat(b3, sizeof b3, "%.2f", cli_stat_scale(sd, 1e-9)), cli_fmt_stat(b4, sizeof b4, "%.0f", sfd));
        bench_printf("  prefill 512x768 . 768x3072 %s GFLOP/s = %s%% of the best FMA peak\n",
                     cli_fmt_stat(b5, sizeof b5, "%.1f", cli_stat_scale(sp, 1e-9)), cli_fmt_stat(b6, sizeof b6, "%.0f", sfp));
        bench_rec("kernels", name, "read_bandwidth", "GB/s", cli_stat_scale(sbw, 1e-9));
        bench_rec("kernels", name, "fma_peak", "GFLOP/s", cli_stat_scale(spk, 1e-9));
        bench_rec("kernels", name, "decode_matvec", "GB/s", cli_stat_scale(sd, 1e-9));
        bench_rec("kernels", name, "decode_of_bandwidth", "%", sfd);
        bench_rec("kernels", name, "prefill_matmul", "GFLOP/s", cli_stat_scale(sp, 1e-9));
        bench_rec("kernels", name, "prefill_of_peak", "%", sfp);
        if (bench_kernels_types(&probe, cli_str(a, "--types"), name, quick)) {
            fprintf(stderr, "seqmix bench-kernels: out of memory\n");
            bench_probe_free(&probe);
            free(td);
            return 1;
        }
        bench_probe_free(&probe);
    }
    bench_close();
    free(td);
    return 0;
}
