/* cli_bench.c — `seqmix bench-kernels`: kernel speed against this machine's own limits.
 * Included by seqmix.c after seqmix.h. Measures, in one run: read bandwidth (streaming a
 * buffer much larger than the caches), FMA peak (independent vector FMA chains in registers),
 * and the matmul kernel at a decode shape and a prefill shape, single- and multi-threaded. */

#ifdef _OPENMP
#define BENCH_PRAGMA_REDUCE(nth) SMX__PRAGMA(omp parallel for reduction(+ : tot) num_threads(nth))
#else
#define BENCH_PRAGMA_REDUCE(nth)
#endif

/* Seconds for a fresh prefill of ids[0..n), best of reps (the model benchmarks share it). */
static double bench_prefill_best(smx_session *s, const int32_t *ids, int n, float *lg, int reps)
{
    double best = 1e30;
    int r;
    for (r = 0; r < reps; r++) {
        double t0;
        smx_session_reset(s);
        t0 = cli_now();
        smx_session_prefill(s, ids, n, lg, 0);
        t0 = cli_now() - t0;
        if (t0 < best) best = t0;
    }
    return best;
}

/* Bytes/s reading n floats, best of reps, with nth threads. */
static double bench_read_bw(const float *buf, size_t n, int nth, int reps)
{
    double best = 1e30;
    volatile float sink = 0.0f;
    int r;
    for (r = 0; r < reps; r++) {
        double t0 = cli_now(), t;
        float tot = 0.0f;
        long c, chunks = (long)(n / 65536);
        BENCH_PRAGMA_REDUCE(nth)
        for (c = 0; c < chunks; c++) {
            const float *p = buf + (size_t)c * 65536;
            smx__vf a0 = smx__vzero(), a1 = smx__vzero(), a2 = smx__vzero(), a3 = smx__vzero();
            size_t i;
            for (i = 0; i < 65536; i += 4 * SMX__VW) {
                a0 = smx__vadd(a0, smx__vld(p + i));
                a1 = smx__vadd(a1, smx__vld(p + i + SMX__VW));
                a2 = smx__vadd(a2, smx__vld(p + i + 2 * SMX__VW));
                a3 = smx__vadd(a3, smx__vld(p + i + 3 * SMX__VW));
            }
            tot += smx__vsum(smx__vadd(smx__vadd(a0, a1), smx__vadd(a2, a3)));
        }
        sink += tot;
        t = cli_now() - t0;
        if (t < best) best = t;
    }
    (void)sink;
    return (double)(n / 65536) * 65536.0 * sizeof(float) / best;
}

/* FLOP/s of independent FMA chains on nth threads. */
static double bench_fma_peak(int nth)
{
    const long iters = 20000000;
    double best = 1e30;
    int r;
    volatile float sink = 0.0f;
    for (r = 0; r < 3; r++) {
        double t0 = cli_now(), t;
        int th;
        SMX__OMP_FOR(nth)
        for (th = 0; th < nth; th++) {
            smx__vf a0 = smx__vset1(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
            smx__vf m = smx__vset1(0.999999f), c = smx__vset1(1e-7f);
            long i;
            for (i = 0; i < iters; i++) {
                a0 = smx__vfma(a0, m, c); a1 = smx__vfma(a1, m, c); a2 = smx__vfma(a2, m, c); a3 = smx__vfma(a3, m, c);
                a4 = smx__vfma(a4, m, c); a5 = smx__vfma(a5, m, c); a6 = smx__vfma(a6, m, c); a7 = smx__vfma(a7, m, c);
                a8 = smx__vfma(a8, m, c); a9 = smx__vfma(a9, m, c);
            }
            sink += smx__vsum(smx__vadd(smx__vadd(smx__vadd(a0, a1), smx__vadd(a2, a3)),
                                        smx__vadd(smx__vadd(smx__vadd(a4, a5), smx__vadd(a6, a7)), smx__vadd(a8, a9))));
        }
        t = cli_now() - t0;
        if (t < best) best = t;
    }
    (void)sink;
    return (double)iters * 10.0 * 2.0 * SMX__VW * nth / best;
}

/* Seconds per y[T,N] = x[T,K] W^T, median of reps. nw distinct weight matrices are cycled so
 * that a decode-shaped run reads its weights from memory, not from the last-level cache. */
static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double bench_matmul(int T, int K, int N, int nth, int reps, int nw)
{
    float *x = (float *)malloc(sizeof(float) * (size_t)T * K), *W = (float *)malloc(sizeof(float) * (size_t)K * N * nw);
    float *y = (float *)malloc(sizeof(float) * (size_t)T * N);
    double *ts = (double *)malloc(sizeof(double) * (size_t)reps), med;
    size_t i;
    int r;
    for (i = 0; i < (size_t)T * K; i++) x[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    for (i = 0; i < (size_t)K * N * nw; i++) W[i] = (float)((i * 104729) % 1000) * 1e-3f - 0.5f;
    smx__matmul(y, x, W, NULL, T, K, N, nth);
    for (r = 0; r < reps; r++) {
        double t0 = cli_now();
        smx__matmul(y, x, W + (size_t)(r % nw) * K * N, NULL, T, K, N, nth);
        ts[r] = cli_now() - t0;
    }
    qsort(ts, (size_t)reps, sizeof *ts, bench_cmp_double);
    med = ts[reps / 2];
    free(x); free(W); free(y); free(ts);
    return med;
}

static int cmd_bench_kernels(int argc, char **argv)
{
    int i, maxth = 1;
    const char *v = NULL;
    size_t n = (size_t)256 << 20;   /* 1 GiB of floats */
    float *buf;
    for (i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: seqmix bench-kernels [--threads N]\n\nMeasures read bandwidth and FMA peak, then the matmul kernel at\n"
                 "a decode shape (1x768 . 768x3072) and a prefill shape (512x768 . 768x3072),\n"
                 "with 1 and N threads, as fractions of those limits.");
            return 0;
        }
    for (i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--threads")) v = argv[i + 1];
#ifdef _OPENMP
    maxth = v ? atoi(v) : omp_get_max_threads();
#else
    (void)v;
#endif
    if (maxth < 1) maxth = 1;
    buf = (float *)malloc(n * sizeof(float));
    if (!buf) { fprintf(stderr, "seqmix: no memory for the bandwidth buffer\n"); return 2; }
    for (i = 0; i < (int)(n / 1024); i++) memset(buf + (size_t)i * 1024, 0, 4096);
    printf("simd %s, threads 1..%d\n", smx_simd_name(), maxth);
    printf("%-8s %12s %12s %14s %12s %14s %12s\n", "threads", "read GB/s", "FMA GFLOP/s", "decode GB/s", "of bw", "prefill GFLOP/s", "of peak");
    for (i = 1; i <= maxth; i = (i == maxth ? maxth + 1 : SMX__MIN(2 * i, maxth))) {
        double bw = bench_read_bw(buf, n, i, 3), peak = bench_fma_peak(i);
        double td = bench_matmul(1, 768, 3072, i, 200, 32), tp = bench_matmul(512, 768, 3072, i, 9, 1);
        double dbw = 768.0 * 3072.0 * 4.0 / td, pfl = 2.0 * 512.0 * 768.0 * 3072.0 / tp;
        printf("%-8d %12.2f %12.1f %14.2f %11.0f%% %14.1f %11.0f%%\n", i, bw / 1e9, peak / 1e9, dbw / 1e9, 100.0 * dbw / bw,
               pfl / 1e9, 100.0 * pfl / peak);
    }
    free(buf);
    return 0;
}
