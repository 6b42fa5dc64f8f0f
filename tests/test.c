/* The seqmix test suite: one runner, C only, printing "N passed, N failed, N skipped" last.
 * It includes the implementation, so internals are reachable. Run from the repository root:
 *   build/test                       every group
 *   build/test --filter NAME ...     only these groups (--filter may repeat, or take a,b,c)
 *   build/test --list                the group names */
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#include "../tools/cli_util.c"
#include "../tools/conform.c"

static int g_pass, g_fail, g_skip;
static const char *g_group = "";   /* the group running, named in every FAIL and skip line */

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) g_pass++;                                                     \
        else {                                                                  \
            g_fail++;                                                           \
            printf("FAIL [%s] %s:%d: ", g_group, __FILE__, __LINE__);           \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
        }                                                                       \
    } while (0)

#define SKIP(...)                                                               \
    do {                                                                        \
        g_skip++;                                                               \
        printf("skip [%s]: ", g_group);                                         \
        printf(__VA_ARGS__);                                                    \
        printf("\n");                                                           \
    } while (0)

/* Max |a - b| over n floats. */
static double t_maxdiff(const float *a, const float *b, size_t n) { return cf_max_abs_diff(a, b, n); }

/* Deterministic pseudo-random floats in [-scale, scale). */
static void t_fill(float *x, size_t n, uint64_t seed, float scale)
{
    smx_rng r;
    size_t i;
    smx_rng_seed(&r, seed);
    for (i = 0; i < n; i++) x[i] = (float)(2.0 * smx_rng_uniform(&r) - 1.0) * scale;
}

/* Run fn once per level of the float32 kernels (II.3.h) that this build and CPU have, each named
 * in the FAIL lines of its run, then go back to the level chosen by default. */
static void t_each_level(void (*fn)(void))
{
    const char *group = g_group;
    const int l0 = smx__vk()->level;
    char name[96];
    int l;
    for (l = 0; l < SMX__VL_COUNT; l++)
        if (smx__vk_use(l)) {
            snprintf(name, sizeof name, "%s, %s kernels", group, smx__vk()->name);
            g_group = name;
            fn();
        }
    smx__vk_use(l0);
    g_group = group;
}

/* Compute contexts of one and two threads for kernel-level tests (cx2's pool is made in main). */
static smx__cx cx1 = { 1, NULL, NULL, 0 }, cx2 = { 2, NULL, NULL, 0 }, cx3 = { 3, NULL, NULL, 0 }, cx7 = { 7, NULL, NULL, 0 };

#include "t_core.c"
#include "t_ssm.c"
#include "t_xlstm.c"
#include "t_liquid.c"
#include "t_diffusion.c"
#include "t_models.c"
#include "t_cli.c"
#include "t_load.c"
#include "t_wt.c"
#include "t_tok.c"
#include "t_hybrids.c"
#include "t_gguf.c"

static const struct t_group { const char *name, *what; void (*run)(void); } t_groups[] = {
    { "core", "JSON, loader errors, kernels, sessions, sampling, generated models, builder", test_core },
    { "golden", "every case of tests/golden through the conform checks", test_golden },
    { "ssm", "Mamba, Mamba-2, Jamba, Bamba", test_ssm },
    { "xlstm", "mLSTM, sLSTM, xLSTM LM", test_xlstm },
    { "liquid", "CfC, LTC, LFM2", test_liquid },
    { "diffusion", "masked-diffusion sampler", test_diffusion },
    { "models", "the trained toy models of models/", test_models },
    { "cli", "build/seqmix: flags, refusals, help, generate, bench JSON", test_cli },
    { "load", "loading from memory, read instead of mapped, weight types, hostile configs", test_load },
    { "tok", "tokenizers: the golden cases of tests/golden/tok, regex engine, normalizers, streaming, bad files", test_tok },
    { "wt", "weight types: ggml-exact conversions, every kernel of every instruction set against its scalar twin", test_wt },
    { "hybrids", "gated DeltaNet; Granite 4.0-H, Falcon-H1, Nemotron-H, Qwen3-Next, Qwen3.5, LFM2-MoE, OLMo Hybrid", test_hybrids },
    { "gguf", "llama.cpp's GGUF files and logits (tests/golden/gguf), seqmix convert against llama.cpp's files, broken files", test_gguf },
};
#define T_N_GROUPS (int)(sizeof t_groups / sizeof t_groups[0])

static int t_group_index(const char *name, size_t len)
{
    int i;
    for (i = 0; i < T_N_GROUPS; i++)
        if (strlen(t_groups[i].name) == len && !strncmp(t_groups[i].name, name, len)) return i;
    return -1;
}

static int t_usage(FILE *f)
{
    int i;
    fprintf(f, "usage: build/test [--filter GROUP[,GROUP...]]... [--list]\ngroups:");
    for (i = 0; i < T_N_GROUPS; i++) fprintf(f, " %s", t_groups[i].name);
    fprintf(f, "\n");
    return 2;
}

int main(int argc, char **argv)
{
    cx2.pool = smx__pool_new(1);
    cx3.pool = smx__pool_new(2);
    cx7.pool = smx__pool_new(6);
    if (!cx2.pool) cx2.nth = 1;
    if (!cx3.pool) cx3.nth = 1;
    if (!cx7.pool) cx7.nth = 1;
    int sel[T_N_GROUPS], any = 0, i, k;
    memset(sel, 0, sizeof sel);
    for (i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--list")) {
            for (k = 0; k < T_N_GROUPS; k++) printf("%-10s %s\n", t_groups[k].name, t_groups[k].what);
            return 0;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { t_usage(stdout); return 0; }
        if (!strcmp(argv[i], "--filter")) {
            if (i + 1 >= argc) { fprintf(stderr, "test: --filter needs a group name\n"); return t_usage(stderr); }
            v = argv[++i];
        } else if (!strncmp(argv[i], "--filter=", 9)) {
            v = argv[i] + 9;
        } else {
            fprintf(stderr, "test: unknown argument '%s'%s\n", argv[i], argv[i][0] != '-' ? " (select groups with --filter NAME)" : "");
            return t_usage(stderr);
        }
        while (*v) {
            size_t len = strcspn(v, ",");
            if ((k = t_group_index(v, len)) < 0) {
                fprintf(stderr, "test: --filter: no group '%.*s'\n", (int)len, v);
                return t_usage(stderr);
            }
            sel[k] = any = 1;
            v += len;
            if (*v) v++;
        }
    }
    for (k = 0; k < T_N_GROUPS; k++)
        if (!any || sel[k]) {
            g_group = t_groups[k].name;
            t_groups[k].run();
        }
    g_group = "";
    if (t_tmp_root[0]) t_rmtree(t_tmp_root);   /* folders the tests wrote */
    smx__pool_free(cx2.pool);
    smx__pool_free(cx3.pool);
    smx__pool_free(cx7.pool);
    printf("%d passed, %d failed, %d skipped\n", g_pass, g_fail, g_skip);
    return g_fail ? 1 : 0;
}
