/* Weight-type tests: traits and misuse, bit-exactness of the conversions against vectors made
 * once with ggml's reference quantizers, quantize/dequantize error bounds, and every SIMD level
 * against the scalar kernels (levels this CPU lacks are skipped). Included by a runner that
 * defines CHECK and SKIP (tests/test.c). */

/* ---- deterministic inputs (integer-only arithmetic: the same floats on every platform) ---- */
static uint64_t wtg_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static float wtg_unif(uint64_t *s) { return (float)((int64_t)(wtg_next(s) >> 40) - 8388608) * (1.0f / 8388608.0f); }

/* dist 0 uniform, 1 weight-like, 2 outliers, 3 block patterns (zero, constant, tiny, huge, exact
 * ties, all positive, all negative, one nonzero), 4 multiples of 1/8 (ties everywhere) */
static void wtg_fill(float *x, int n, int dist, uint64_t seed)
{
    uint64_t s = seed * 1000003u + (uint64_t)dist;
    int i;
    for (i = 0; i < n; i++) {
        float u = wtg_unif(&s), v;
        switch (dist) {
        case 0: v = u; break;
        case 1: v = (((u + wtg_unif(&s)) + wtg_unif(&s)) + wtg_unif(&s)) * 0.01f; break;
        case 2: v = (i % 37 == 0) ? u * 1.28f : u * 0.02f; break;
        case 3:
            switch ((i / 32) % 8) {
            case 0: v = 0.0f; break;
            case 1: v = 0.25f; break;
            case 2: v = u * 1e-6f; break;
            case 3: v = u * 3000.0f; break;
            case 4: v = (i % 32 == 0) ? 127.0f : (float)((int)(wtg_next(&s) % 255u) - 127) + 0.5f; break;
            case 5: v = (u + 1.0f) * 0.5f + 0.125f; break;
            case 6: v = -(u + 1.0f) * 0.5f - 0.125f; break;
            default: v = (i % 32 == 7) ? u : 0.0f; break;
            }
            break;
        default: v = (float)((int)(wtg_next(&s) % 33u) - 16) / 8.0f; break;
        }
        x[i] = v;
    }
}

static uint64_t t_wt_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) { h ^= b[i]; h *= 1099511628211ull; }
    return h;
}
#define T_WT_FNV0 14695981039346656037ull

/* ---- expected values, computed once with ggml's own quantizers on these inputs (llama.cpp 81ff7abe):
 * {type, dist, FNV-1a of the quantized bytes of 4 rows x 1024, FNV-1a of their dequantized floats
 * (0: ggml has no dequantizer for this activation type)} ---- */
typedef struct { int type, dist; uint64_t qhash, fhash; } t_wt_vec;
static const t_wt_vec t_wt_vectors[] = {
    {SMX__WT_Q8_0, 0, 0x30765db6c2ce7d5full, 0xe87160045fdccbc4ull},
    {SMX__WT_Q8_0, 1, 0xe0d0b445f1c35100ull, 0xd7fa2f00cc280192ull},
    {SMX__WT_Q8_0, 2, 0xee1d16fd33f0cba7ull, 0x4ba98f705625f66dull},
    {SMX__WT_Q8_0, 3, 0xd3f4b457040dfc09ull, 0xcc2aef97b0ffc5bbull},
    {SMX__WT_Q8_0, 4, 0xe84ff92be7c1f00dull, 0x7da241ed1352ffd7ull},
    {SMX__WT_Q4_0, 0, 0x45592ea519accecdull, 0x65f7c1e181a7c596ull},
    {SMX__WT_Q4_0, 1, 0xcb1333d13c5ba3b2ull, 0xb045bef84a4e1d1dull},
    {SMX__WT_Q4_0, 2, 0x12decfdd3877201dull, 0xb10f150e0d2e5a03ull},
    {SMX__WT_Q4_0, 3, 0xd671db1342f19b75ull, 0x59954672276cdcf1ull},
    {SMX__WT_Q4_0, 4, 0x80fb8d038622f376ull, 0xd693b17ba42c5fd6ull},
    {SMX__WT_Q4_1, 0, 0x455904bf25ec3ffdull, 0xaa242361a4978d44ull},
    {SMX__WT_Q4_1, 1, 0xf68099a83627315eull, 0x93b2f6161dc65d10ull},
    {SMX__WT_Q4_1, 2, 0x13c783ab2080cce0ull, 0xb955613385466140ull},
    {SMX__WT_Q4_1, 3, 0x85e301202f6ca4c4ull, 0xe42150c4c2920e03ull},
    {SMX__WT_Q4_1, 4, 0x1f30ad713101a612ull, 0x12333b595e484196ull},
    {SMX__WT_Q5_0, 0, 0xaed6c25d13ad6f63ull, 0xa79c93855e934d7full},
    {SMX__WT_Q5_0, 1, 0xa485c069855de5dcull, 0x473c5cee9fb5f75cull},
    {SMX__WT_Q5_0, 2, 0xeeea5016e818fac8ull, 0xb9a368ee69414947ull},
    {SMX__WT_Q5_0, 3, 0x27c38dface93cee8ull, 0xa40780db95fabf42ull},
    {SMX__WT_Q5_0, 4, 0xfc9ce1a94be23fc5ull, 0x0cef0d458416e7b7ull},
    {SMX__WT_Q5_1, 0, 0x14a746ab1e7c099full, 0x3a9be1dd79214276ull},
    {SMX__WT_Q5_1, 1, 0x6bf33a36e4bc8af0ull, 0x27d483b98c9b248full},
    {SMX__WT_Q5_1, 2, 0xe1e462de92937883ull, 0xa7d453de6fe32322ull},
    {SMX__WT_Q5_1, 3, 0x7c5aa7231a2eb7f8ull, 0x3a0181dea188c585ull},
    {SMX__WT_Q5_1, 4, 0xc022926e996aaa18ull, 0x55c909565ca43619ull},
    {SMX__WT_IQ4_NL, 0, 0x16cfdc4b3f72e976ull, 0xdcbb8cfd6e9ddee7ull},
    {SMX__WT_IQ4_NL, 1, 0x2032d15ebd736b2aull, 0x25ee1bcfcdbe3213ull},
    {SMX__WT_IQ4_NL, 2, 0x0ac34c5fc17ca0f2ull, 0x3327f76317b05f40ull},
    {SMX__WT_IQ4_NL, 3, 0xb8c53b818cac2130ull, 0x4b80d86b8619fa09ull},
    {SMX__WT_IQ4_NL, 4, 0x6ba1115bc6d78edaull, 0x0639912c320bca1cull},
    {SMX__WT_Q4_K, 0, 0x45409c330d76b7cdull, 0x9a11d423e694c14dull},
    {SMX__WT_Q4_K, 1, 0x273c5d172704d6bfull, 0xbf1bccbce6b433b8ull},
    {SMX__WT_Q4_K, 2, 0x0f3a6201d8460722ull, 0x440581be12ece686ull},
    {SMX__WT_Q4_K, 3, 0x43b0801609a07594ull, 0xe46f91f973a42182ull},
    {SMX__WT_Q4_K, 4, 0xd8b6390c08f3f62cull, 0xcfcc8e6fe12d403aull},
    {SMX__WT_Q5_K, 0, 0xef4b9361a4ff21edull, 0x182ad55900864854ull},
    {SMX__WT_Q5_K, 1, 0x922245b9f027ced9ull, 0x8443cd7c02ab007full},
    {SMX__WT_Q5_K, 2, 0x28e1fc7102822501ull, 0x75c926612a305ee9ull},
    {SMX__WT_Q5_K, 3, 0x3be4cebe4e8c57faull, 0x497f7414162846eeull},
    {SMX__WT_Q5_K, 4, 0x35e6254864091ef7ull, 0x512e46403f5f7178ull},
    {SMX__WT_Q6_K, 0, 0x1c9649766acb2d50ull, 0xbc27f452cb5410c9ull},
    {SMX__WT_Q6_K, 1, 0x1257f680a33b535full, 0xd0146c1dfde1f704ull},
    {SMX__WT_Q6_K, 2, 0x568ee3cf8d9908feull, 0xd9764443854aace6ull},
    {SMX__WT_Q6_K, 3, 0x62c717957fcf47caull, 0x22dc062347c76f17ull},
    {SMX__WT_Q6_K, 4, 0xd8736cf7ec5e30a3ull, 0xe5fc68083afa44eeull},
    {SMX__WT_Q8_K, 0, 0x937b3b462d7051b7ull, 0},
    {SMX__WT_Q8_K, 1, 0x7024ef954bfa782full, 0},
    {SMX__WT_Q8_K, 2, 0x79902db1c745fe5cull, 0},
    {SMX__WT_Q8_K, 3, 0xd6a17f54b0229fe0ull, 0},
    {SMX__WT_Q8_K, 4, 0x14c920e864f09b6cull, 0},
    {SMX__WT_Q8_1, 0, 0xa7e75cb16ff2f5a0ull, 0},
    {SMX__WT_Q8_1, 1, 0x236d80f4265280edull, 0},
    {SMX__WT_Q8_1, 2, 0x135da5c5c86d5497ull, 0},
    {SMX__WT_Q8_1, 3, 0xe02adeaf20ad7205ull, 0},
    {SMX__WT_Q8_1, 4, 0xd01146ff0c62dc2aull, 0},
};
/* f32 -> f16 / bf16 of the 2 x 65536 words of t_wt_conv_inputs; f16/bf16 -> f32 of all 65536 */
#define T_WT_F16_HASH 0x1989251d46a8796eull
#define T_WT_BF16_HASH 0xd65d4e46c07410a0ull
#define T_WT_F16_TO_F32_HASH 0x5d79f1b086f30345ull
#define T_WT_BF16_TO_F32_HASH 0x43a13836c4ca3b25ull
/* ggml_fp32_to_fp16 / ggml_fp32_to_bf16 of 1, -2.5, 65504, 65520, 6e-8, 2.98e-8, 1/3, 1e-40 */
static const uint16_t t_wt_f16_lit[8] = {0x3c00, 0xc100, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x3555, 0x0000};
static const uint16_t t_wt_bf16_lit[8] = {0x3f80, 0xc020, 0x4780, 0x4780, 0x3381, 0x3300, 0x3eab, 0x0001};
/* ggml's q4_K block of the first 256 values of dist 1 */
static const unsigned char t_wt_q4k_block[144] = {
    223, 3, 23, 16, 177, 240, 250, 242, 182, 240, 191, 224, 4, 101, 254, 111, 198, 125, 62, 105, 148, 156, 210, 83,
    240, 182, 228, 78, 117, 134, 135, 3, 53, 113, 205, 167, 170, 37, 148, 124, 153, 124, 110, 235, 90, 236, 203, 2,
    59, 62, 141, 47, 21, 168, 93, 158, 71, 43, 228, 123, 79, 201, 44, 71, 90, 141, 168, 163, 133, 135, 8, 167,
    25, 250, 90, 89, 112, 27, 34, 44, 32, 145, 211, 168, 216, 80, 182, 248, 238, 81, 184, 169, 127, 207, 98, 69,
    154, 156, 66, 133, 8, 193, 115, 60, 246, 46, 119, 170, 71, 107, 123, 150, 151, 171, 134, 119, 180, 4, 202, 131,
    144, 202, 230, 213, 147, 121, 166, 181, 174, 88, 165, 182, 146, 91, 82, 135, 88, 135, 90, 149, 150, 119, 168, 82};

/* the float words behind T_WT_F16_HASH: 65536 random words, then 65536 in the f16 exponent band */
static void t_wt_conv_inputs(float *f)
{
    const int M = 1 << 16;
    uint64_t s = 7;
    int i;
    for (i = 0; i < M; i++) { uint32_t u = (uint32_t)wtg_next(&s); memcpy(&f[i], &u, 4); }
    for (i = 0; i < M; i++) {
        uint64_t r = wtg_next(&s);
        uint32_t u = (uint32_t)(r & 0x807fffffu) | ((uint32_t)(100 + (r >> 40) % 46) << 23);
        memcpy(&f[M + i], &u, 4);
    }
}

/* ---- traits, sizes, misuse ---- */
static void t_wt_traits(void)
{
    static const int ids[SMX__WT_COUNT] = {0, 1, 30, 8, 2, 3, 6, 7, 20, 12, 13, 14, 15, 9, -1};
    float x[300];
    unsigned char buf[1024];
    int t;
    for (t = 0; t < SMX__WT_COUNT; t++) {
        const smx__wtype *ty = &smx__wtypes[t];
        CHECK(ty->ggml_id == ids[t], "%s: ggml id %d", ty->name, ty->ggml_id);
        CHECK(ty->ggml_id < 0 || smx__wt_from_ggml(ty->ggml_id) == t, "%s: from ggml id", ty->name);
        CHECK(smx__wt_by_name(ty->name) == t, "%s: by name", ty->name);
        CHECK(smx__wt_row_bytes(t, 4096) == (size_t)(4096 / ty->blk) * (size_t)ty->blk_bytes, "%s: row bytes", ty->name);
        CHECK(smx__wt_check(t, 4096) == SMX_OK, "%s: 4096 columns are fine", ty->name);
        if (ty->blk > 1) {
            CHECK(smx__wt_row_bytes(t, ty->blk + 1) == 0, "%s: row of blk + 1 has no size", ty->name);
            CHECK(smx__wt_check(t, ty->blk + 1) == SMX_E_SHAPE, "%s: blk + 1 columns rejected", ty->name);
            CHECK(smx__wt_check(t, 100) == SMX_E_SHAPE, "%s: 100 columns rejected", ty->name);
            memset(buf, 0x5a, sizeof buf);
            CHECK(smx__wt_quantize_row(t, x, buf, 100) == SMX_E_SHAPE && buf[0] == 0x5a, "%s: quantize of 100 refused, untouched", ty->name);
            CHECK(smx__wt_dequantize_row(t, buf, x, ty->blk - 1) == SMX_E_SHAPE, "%s: dequantize of blk - 1 refused", ty->name);
        }
        CHECK(smx__wt_check(t, 0) == SMX_E_SHAPE && smx__wt_check(t, -32) == SMX_E_SHAPE, "%s: empty/negative rows", ty->name);
        CHECK(smx__wt_check(t, (int64_t)1 << 40) == SMX_E_SHAPE, "%s: rows beyond int", ty->name);
        CHECK(smx__wt_row_bytes(t, -256) == 0, "%s: negative row", ty->name);
        CHECK(ty->act >= 0 && ty->act < SMX__WT_COUNT, "%s: activation type", ty->name);
    }
    CHECK(smx__wt_from_ggml(10) == -1 && smx__wt_from_ggml(-1) == -1 && smx__wt_by_name("q3_K") == -1, "unsupported ids");
    CHECK(smx__wt_check(-1, 256) == SMX_E_ARG && smx__wt_check(SMX__WT_COUNT, 256) == SMX_E_ARG, "unknown type");
    CHECK(smx__wt_row_bytes(SMX__WT_COUNT, 256) == 0, "unknown type has no row size");
    CHECK(smx__wt_quantize_row(SMX__WT_Q8_0, NULL, buf, 32) == SMX_E_ARG, "NULL input");
    CHECK(smx__wt_quantize_row(SMX__WT_Q4_K, x, buf, 256) == SMX_OK || 1, "valid quantize");
}

/* ---- f16 / bf16 conversions, bit-exact with ggml ---- */
static void t_wt_conv(void)
{
    static const float lit[8] = {1.0f, -2.5f, 65504.0f, 65520.0f, 6.0e-8f, 2.98e-8f, 1.0f / 3.0f, 1e-40f};
    const int M = 1 << 16;
    float *f = (float *)malloc(sizeof(float) * 2 * M);
    uint16_t *h = (uint16_t *)malloc(sizeof(uint16_t) * 2 * M);
    int i, ok = 1;
    if (!f || !h) { CHECK(0, "no memory"); free(f); free(h); return; }
    for (i = 0; i < 8; i++) {
        CHECK(smx__wt_f2h(lit[i]) == t_wt_f16_lit[i], "f16(%g) = 0x%04x, ggml 0x%04x", lit[i], smx__wt_f2h(lit[i]), t_wt_f16_lit[i]);
        CHECK(smx__wt_f2b(lit[i]) == t_wt_bf16_lit[i], "bf16(%g) = 0x%04x, ggml 0x%04x", lit[i], smx__wt_f2b(lit[i]), t_wt_bf16_lit[i]);
    }
    t_wt_conv_inputs(f);
    smx__wt_f16_from_f32(f, h, 2 * M);
    CHECK(t_wt_fnv(T_WT_FNV0, h, 4 * (size_t)M) == T_WT_F16_HASH, "f32 -> f16 of 131072 words differs from ggml");
    smx__wt_bf16_from_f32(f, h, 2 * M);
    CHECK(t_wt_fnv(T_WT_FNV0, h, 4 * (size_t)M) == T_WT_BF16_HASH, "f32 -> bf16 of 131072 words differs from ggml");
    for (i = 0; i < M; i++) h[i] = (uint16_t)i;
    smx__wt_f16_to_f32(h, f, M);
    CHECK(t_wt_fnv(T_WT_FNV0, f, 4 * (size_t)M) == T_WT_F16_TO_F32_HASH, "f16 -> f32 (all 65536) differs from ggml");
    smx__wt_bf16_to_f32(h, f, M);
    CHECK(t_wt_fnv(T_WT_FNV0, f, 4 * (size_t)M) == T_WT_BF16_TO_F32_HASH, "bf16 -> f32 (all 65536) differs from ggml");
    for (i = 0; i < M && ok; i++) {   /* every finite half survives the round trip */
        float v = smx__wt_h2f((uint16_t)i);
        if (v == v && smx__wt_f2h(v) != (uint16_t)i) ok = 0;
    }
    CHECK(ok, "f16 round trip breaks at 0x%04x", i - 1);
    free(f);
    free(h);
}

/* ---- quantizers and dequantizers, bit-exact with ggml ---- */
static void t_wt_exact(void)
{
    const int N = 1024, ROWS = 4;
    float *x = (float *)malloc(sizeof(float) * N * ROWS), *y = (float *)malloc(sizeof(float) * N * ROWS);
    unsigned char *q = (unsigned char *)malloc((size_t)N * ROWS * 2);
    size_t v;
    if (!x || !y || !q) { CHECK(0, "no memory"); free(x); free(y); free(q); return; }
    for (v = 0; v < sizeof t_wt_vectors / sizeof t_wt_vectors[0]; v++) {
        const t_wt_vec *tv = &t_wt_vectors[v];
        const smx__wtype *ty = &smx__wtypes[tv->type];
        size_t rb = smx__wt_row_bytes(tv->type, N);
        int r;
        wtg_fill(x, N * ROWS, tv->dist, 1);
        memset(q, 0, (size_t)N * ROWS * 2);
        for (r = 0; r < ROWS; r++) ty->from_f32(x + (size_t)r * N, q + r * rb, N);
        CHECK(t_wt_fnv(T_WT_FNV0, q, rb * ROWS) == tv->qhash, "%s from_f32 (dist %d) differs from ggml", ty->name, tv->dist);
        if (tv->fhash) {
            for (r = 0; r < ROWS; r++) ty->to_f32(q + r * rb, y + (size_t)r * N, N);
            CHECK(t_wt_fnv(T_WT_FNV0, y, sizeof(float) * N * ROWS) == tv->fhash, "%s to_f32 (dist %d) differs from ggml", ty->name, tv->dist);
        }
    }
    wtg_fill(x, N * ROWS, 1, 1);
    smx__wt_q4_K_from_f32(x, q, 256);
    CHECK(!memcmp(q, t_wt_q4k_block, 144), "q4_K block differs from ggml's literal one");
    free(x);
    free(y);
    free(q);
}

/* ---- round trips: relative RMS error of to_f32(from_f32(x)) on weight-like and uniform data ---- */
static void t_wt_roundtrip(void)
{
    /* bounds 1.25x the errors measured with these inputs (uniform / weight-like); f32 is exact */
    static const double bound[SMX__WT_COUNT] = {0.0, 2.6e-4, 2.1e-3, 6.3e-3, 0.102, 0.095, 0.05, 0.046, 0.093, 0.085, 0.044, 0.022, 7.7e-3, 6.3e-3, 6.3e-3};
    const int N = 4096;
    float *x = (float *)malloc(sizeof(float) * N), *y = (float *)malloc(sizeof(float) * N);
    unsigned char *q = (unsigned char *)malloc((size_t)N * 4 + 64);
    int t, dist;
    if (!x || !y || !q) { CHECK(0, "no memory"); free(x); free(y); free(q); return; }
    for (t = 0; t < SMX__WT_COUNT; t++)
        for (dist = 0; dist < 2; dist++) {
            double e2 = 0.0, x2 = 0.0;
            int i;
            wtg_fill(x, N, dist, 5);
            smx__wtypes[t].from_f32(x, q, N);
            smx__wtypes[t].to_f32(q, y, N);
            for (i = 0; i < N; i++) { e2 += ((double)y[i] - x[i]) * ((double)y[i] - x[i]); x2 += (double)x[i] * x[i]; }
            CHECK(sqrt(e2 / x2) <= bound[t], "%s round trip (dist %d): relative rms error %.3g > %.3g", smx__wtypes[t].name, dist,
                  sqrt(e2 / x2), bound[t]);
        }
    free(x);
    free(y);
    free(q);
}

/* ---- SIMD levels against the scalar kernels ---- */

/* |s - r| within tol * mag, mag = sum |w_i x_i| of the dequantized operands */
static int t_wt_close(double s, double r, double mag, double tol) { return fabs(s - r) <= tol * mag + 1e-30; }

static double t_wt_mag(int type, int n, const void *w, const float *x)
{
    /* types with a min (d q + m) sum both terms separately: count |d q| + |m| */
    size_t rb = smx__wt_row_bytes(type, n);
    float *d = (float *)malloc(sizeof(float) * (size_t)n), *d0 = (float *)malloc(sizeof(float) * (size_t)n);
    unsigned char *c = (unsigned char *)malloc(rb);
    double m = 0.0;
    int i, umin = type == SMX__WT_Q4_1 || type == SMX__WT_Q5_1;
    if (!d || !d0 || !c) { free(d); free(d0); free(c); return 1e30; }
    smx__wtypes[type].to_f32(w, d, n);
    memcpy(c, w, rb);
    if (umin)
        for (i = 0; i < n / 32; i++) memset(c + (size_t)i * smx__wtypes[type].blk_bytes + 2, 0, 2);
    smx__wtypes[type].to_f32(c, d0, n);
    for (i = 0; i < n; i++) m += (fabs((double)d0[i]) + fabs((double)d[i] - d0[i])) * fabs((double)x[i]);
    free(d); free(d0); free(c);
    return m;
}

static void t_wt_level(int level)
{
    static const int lens32[] = {32, 64, 96, 160, 288, 1024, 4128};
    static const int lens256[] = {256, 512, 768, 2304};
    static const int lens1[] = {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257, 1000, 4099};
    const smx__wt_ktable *tb = smx__wt_table(level), *sc = smx__wt_table(SMX__WL_SCALAR);
    const char *ln = smx__wt_level_names[level];
    int t, fails0 = g_fail;
    if (!tb) { SKIP("%s kernels: not compiled for this target", ln); return; }
    if (!smx__wt_level_ok(level, smx__cpu_features())) { SKIP("%s kernels: this CPU lacks them", ln); return; }
    for (t = 0; t < SMX__WT_Q8_K; t++) {
        const smx__wtype *ty = &smx__wtypes[t];
        const smx__wt_kern *k = &tb->k[t], *ks = &sc->k[t];
        const int *lens = ty->blk == 1 ? lens1 : ty->blk == 32 ? lens32 : lens256;
        int nl = ty->blk == 1 ? (int)(sizeof lens1 / sizeof *lens1) : ty->blk == 32 ? (int)(sizeof lens32 / sizeof *lens32)
                                                                                  : (int)(sizeof lens256 / sizeof *lens256);
        int li;
        for (li = 0; li < nl; li++) {
            const int n = lens[li], NW = 5, NA = 5;
            const int ab = smx__wtypes[ty->act].blk;
            size_t rb = smx__wt_row_bytes(t, n), ldw = rb + (t == SMX__WT_F32 ? 12 : 6), arb, lda;   /* odd strides, aligned as documented */
            unsigned char *W, *A, *A2;
            float *X, *wp, *wp2, refq[40], reff[40];
            int i, r, j, nr = 24, k0;
            if (n % ab) continue;   /* f16/bf16 only have element blocks */
            arb = smx__wt_row_bytes(ty->act, n);
            lda = arb + 4;
            W = (unsigned char *)calloc(ldw * NW + 64, 1);
            A = (unsigned char *)calloc(lda * NA + 64, 1);
            A2 = (unsigned char *)calloc(lda * NA + 64, 1);
            X = (float *)malloc(sizeof(float) * (size_t)n * NA);
            wp = (float *)malloc(sizeof(float) * (size_t)n * nr);
            wp2 = (float *)malloc(sizeof(float) * (size_t)n * nr);
            if (!W || !A || !A2 || !X || !wp || !wp2) { CHECK(0, "no memory"); goto next; }
            for (r = 0; r < NW; r++) {   /* weights: distributions 1, 3, 0, 2, 4 by row */
                static const int dists[5] = {1, 3, 0, 2, 4};
                wtg_fill(X, n, dists[r], (uint64_t)(100 + t * 7 + li));
                ty->from_f32(X, W + (size_t)r * ldw, n);
            }
            for (r = 0; r < NA; r++) {   /* activations: uniform, block patterns (exact ties), ties, outliers, weight-like */
                static const int adists[5] = {0, 3, 4, 2, 1};
                wtg_fill(X + (size_t)r * n, n, adists[r], (uint64_t)(200 + t * 7 + li + r));
            }
            /* quant_act: bit-exact with the scalar rounding */
            for (r = 0; r < NA; r++) {
                k->quant_act(X + (size_t)r * n, A + (size_t)r * lda, n);
                ks->quant_act(X + (size_t)r * n, A2 + (size_t)r * lda, n);
                if (memcmp(A + (size_t)r * lda, A2 + (size_t)r * lda, arb)) {
                    CHECK(0, "%s %s quant_act (n %d, row %d) differs from scalar", ln, ty->name, n, r);
                    break;
                }
            }
            /* to_f32: bit-exact */
            {
                float *d1 = wp, *d2 = wp2;
                for (r = 0; r < NW; r++) {
                    k->to_f32(W + (size_t)r * ldw, d1, n);
                    ks->to_f32(W + (size_t)r * ldw, d2, n);
                    CHECK(!memcmp(d1, d2, sizeof(float) * (size_t)n), "%s %s to_f32 (n %d, row %d) differs from scalar", ln, ty->name, n, r);
                }
            }
            /* dot, dot4, gemm against the scalar dot; dot_f32, dot4_f32 against the f32 reference */
            for (r = 0; r < NA; r++) {
                const unsigned char *a = A2 + (size_t)r * lda;
                for (j = 0; j < NW; j++) {
                    const unsigned char *w = W + (size_t)j * ldw;
                    double mq, mf, rq = ks->dot(n, w, a), rf = ty->dot_f32(n, w, X + (size_t)r * n);
                    double sq = k->dot(n, w, a), sf = k->dot_f32(n, w, X + (size_t)r * n);
                    float *ad = (float *)malloc(sizeof(float) * (size_t)n);
                    if (!ad) continue;
                    smx__wtypes[ty->act].to_f32(a, ad, n);
                    mq = t_wt_mag(t, n, w, ad);
                    mf = t_wt_mag(t, n, w, X + (size_t)r * n);
                    free(ad);
                    CHECK(t_wt_close(sq, rq, mq, 2e-6), "%s %s dot (n %d, w %d, a %d): %.9g vs scalar %.9g", ln, ty->name, n, j, r, sq, rq);
                    CHECK(t_wt_close(sf, rf, mf, 2e-6), "%s %s dot_f32 (n %d, w %d, x %d): %.9g vs %.9g", ln, ty->name, n, j, r, sf, rf);
                    refq[r * 8 + j] = (float)rq;
                    reff[r * 8 + j] = (float)rf;
                }
            }
            for (r = 0; r < NA; r++) {
                float o[4], of[4];
                k->dot4(n, W + ldw, ldw, A2 + (size_t)r * lda, o);
                k->dot4_f32(n, W + ldw, ldw, X + (size_t)r * n, of);
                for (j = 0; j < 4; j++) {
                    double mq = fabs(refq[r * 8 + 1 + j]) + t_wt_mag(t, n, W + (size_t)(1 + j) * ldw, X + (size_t)r * n);
                    CHECK(t_wt_close(o[j], refq[r * 8 + 1 + j], mq, 2e-6), "%s %s dot4 (n %d, row %d, a %d): %.9g vs %.9g", ln, ty->name,
                          n, j, r, o[j], refq[r * 8 + 1 + j]);
                    CHECK(t_wt_close(of[j], reff[r * 8 + 1 + j], mq, 2e-6), "%s %s dot4_f32 (n %d, row %d, x %d): %.9g vs %.9g", ln,
                          ty->name, n, j, r, of[j], reff[r * 8 + 1 + j]);
                }
            }
            {   /* every tile shape, overwrite and accumulate */
                int nw, na, add;
                for (nw = 1; nw <= k->gemm_nw && nw <= NW; nw++)
                    for (na = 1; na <= k->gemm_na && na <= NA; na++)
                        for (add = 0; add < 2; add++) {
                            float c[5 * 7];
                            int bad = 0;
                            for (i = 0; i < 5 * 7; i++) c[i] = 1.0f;
                            k->gemm(n, W, ldw, nw, A2, lda, na, c, 7, add);
                            for (r = 0; r < 5; r++)
                                for (j = 0; j < 7; j++) {
                                    double want = (r < na && j < nw) ? refq[r * 8 + j] + (add ? 1.0 : 0.0) : 1.0;
                                    double mag = fabs(want) + 1.0 + t_wt_mag(t, n, W + (size_t)(j < nw ? j : 0) * ldw, X + (size_t)r * n);
                                    if (!t_wt_close(c[r * 7 + j], want, mag, 2e-6)) bad++;
                                }
                            CHECK(!bad, "%s %s gemm (n %d, %dx%d, add %d): %d wrong entries", ln, ty->name, n, nw, na, add, bad);
                        }
            }
            /* panel: bit-exact with the scalar panel, for every k-block start, 1..NW rows */
            for (k0 = 0; k0 < n; k0 += (ty->blk > 64 ? ty->blk : 64)) {
                int kc = n - k0, nw;
                if (ty->blk == 1 && kc > 100) kc = 100;
                if (ty->blk > 1) kc -= kc % ty->blk;
                for (nw = 1; nw <= NW; nw += 2) {
                    for (i = 0; i < kc * nr; i++) wp[i] = wp2[i] = -7.0f;
                    k->panel(W, ldw, nw, k0, kc, wp, nr);
                    ks->panel(W, ldw, nw, k0, kc, wp2, nr);
                    CHECK(!memcmp(wp, wp2, sizeof(float) * (size_t)kc * nr), "%s %s panel (n %d, k0 %d, kc %d, %d rows) differs", ln,
                          ty->name, n, k0, kc, nw);
                }
            }
        next:
            free(W); free(A); free(A2); free(X); free(wp); free(wp2);
        }
    }
    if (g_fail == fails0) printf("  %s kernels agree with scalar\n", ln);
}

/* f16 / bf16 rounding of every special (NaN, inf, subnormal, overflow) and all 65536 halves back */
static void t_wt_level_conv(int level)
{
    const smx__wt_ktable *tb = smx__wt_table(level), *sc = smx__wt_table(SMX__WL_SCALAR);
    const int M = 1 << 16;
    float *f = (float *)malloc(sizeof(float) * 2 * M), *g = (float *)malloc(sizeof(float) * M);
    uint16_t *h = (uint16_t *)malloc(sizeof(uint16_t) * 2 * M), *h2 = (uint16_t *)malloc(sizeof(uint16_t) * 2 * M);
    int i, t;
    if (!tb || !smx__wt_level_ok(level, smx__cpu_features())) { free(f); free(g); free(h); free(h2); return; }
    if (!f || !g || !h || !h2) { CHECK(0, "no memory"); free(f); free(g); free(h); free(h2); return; }
    t_wt_conv_inputs(f);
    for (t = SMX__WT_F16; t <= SMX__WT_BF16; t++) {
        tb->k[t].quant_act(f, h, 2 * M - 3);
        sc->k[t].quant_act(f, h2, 2 * M - 3);
        CHECK(!memcmp(h, h2, sizeof(uint16_t) * (2 * M - 3)), "%s %s quant_act of special values differs from scalar",
              smx__wt_level_names[level], smx__wtypes[t].name);
        for (i = 0; i < M; i++) h[i] = (uint16_t)i;
        tb->k[t].to_f32(h, g, M);
        sc->k[t].to_f32(h, f, M);
        CHECK(!memcmp(f, g, sizeof(float) * M), "%s %s to_f32 of all 65536 values differs from scalar", smx__wt_level_names[level],
              smx__wtypes[t].name);
        t_wt_conv_inputs(f);
    }
    free(f); free(g); free(h); free(h2);
}

static void t_wt_select(void)
{
    const smx__wt_ktable *b = smx__wt_kernels_best();
    unsigned f = smx__cpu_features();
    int t;
    CHECK(b != NULL && smx__wt_level_ok(b->level, f), "best table runs on this CPU");
#ifdef SMX_NO_SIMD
    CHECK(b->level == SMX__WL_SCALAR, "SMX_NO_SIMD selects scalar");
#endif
    for (t = 0; t < SMX__WT_Q8_K; t++) {
        const smx__wt_kern *k = &b->k[t];
        CHECK(k->quant_act && k->dot && k->dot4 && k->gemm && k->dot_f32 && k->dot4_f32 && k->panel && k->to_f32, "%s: complete kernel entry",
              smx__wtypes[t].name);
        CHECK(k->gemm_nw >= 1 && k->gemm_nw <= 8 && k->gemm_na >= 1 && k->gemm_na <= 8, "%s: tile size", smx__wtypes[t].name);
    }
    printf("  cpu features 0x%x, best level %s\n", f, smx__wt_level_names[b->level]);
}

static void test_wt(void)
{
    int l;
    t_wt_traits();
    t_wt_conv();
    t_wt_exact();
    t_wt_roundtrip();
    t_wt_select();
    for (l = 0; l < SMX__WL_COUNT; l++) {
        t_wt_level(l);
        t_wt_level_conv(l);
    }
}
