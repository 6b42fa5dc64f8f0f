/* cli_util.c — small helpers shared by the seqmix tool's subcommands and the tests: a monotonic
 * clock and named-flag lookup. Included first, after seqmix.h. */
#include <time.h>

#if defined(__GNUC__) || defined(__clang__)
#define CLI_MAYBE_UNUSED __attribute__((unused))
#else
#define CLI_MAYBE_UNUSED
#endif

CLI_MAYBE_UNUSED static double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Value following a named flag ("--steps 32"), or NULL. */
CLI_MAYBE_UNUSED static const char *cli_flag(int argc, char **argv, const char *name)
{
    int i;
    for (i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return NULL;
}

/* Whether a bare flag ("--quick") is present. */
CLI_MAYBE_UNUSED static int cli_has(int argc, char **argv, const char *name)
{
    int i;
    for (i = 0; i < argc; i++)
        if (!strcmp(argv[i], name)) return 1;
    return 0;
}

CLI_MAYBE_UNUSED static int cli_help(int argc, char **argv) { return cli_has(argc, argv, "--help") || cli_has(argc, argv, "-h"); }
