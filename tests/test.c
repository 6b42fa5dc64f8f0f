/* The seqmix test suite: one runner, C only, printing "N passed, N failed, N skipped" last.
 * It includes the implementation, so internals are reachable. Run from the repository root. */
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#include "../tools/cli_util.c"
#include "../tools/conform.c"

#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>

static int g_pass, g_fail, g_skip;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) g_pass++;                                                     \
        else {                                                                  \
            g_fail++;                                                           \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                         \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
        }                                                                       \
    } while (0)

#define SKIP(...)                                                               \
    do {                                                                        \
        g_skip++;                                                               \
        printf("skip: ");                                                       \
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

#include "t_core.c"
#include "t_ssm.c"
#include "t_xlstm.c"
#include "t_liquid.c"
#include "t_diffusion.c"
#include "t_models.c"

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    if (!only || !strcmp(only, "core")) test_core();
    if (!only || !strcmp(only, "golden")) test_golden();
    if (!only || !strcmp(only, "ssm")) test_ssm();
    if (!only || !strcmp(only, "xlstm")) test_xlstm();
    if (!only || !strcmp(only, "liquid")) test_liquid();
    if (!only || !strcmp(only, "diffusion")) test_diffusion();
    if (!only || !strcmp(only, "models")) test_models();
    if (t_tmp_root[0]) t_rmtree(t_tmp_root);   /* folders the tests wrote */
    printf("%d passed, %d failed, %d skipped\n", g_pass, g_fail, g_skip);
    return g_fail ? 1 : 0;
}
