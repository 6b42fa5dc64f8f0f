/* seqmix — command-line tool: inspect, check, run and benchmark models.
 *
 *   seqmix info DIR
 *   seqmix conform DIR [--tol 1e-3]
 *   seqmix generate DIR --ids 1,2,3 [-n 32] [--temp 0] [--top-k 0] [--top-p 1] [--seed 0] [--threads N]
 *   seqmix bench [--quick] [--lengths ...] [--csv F] [--svg F] [--threads N]
 *   seqmix bench-kernels [--threads N]
 *
 * Every subcommand takes --help.
 */
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#include "cli_util.c"
#include "conform.c"
#include "cli_bench.c"
#include "cli_sweep.c"
#include "bench_ssm.c"
#include "bench_xlstm.c"
#include "bench_liquid.c"
#include "cli_text.c"
#include "cli_diffuse.c"
#include "bench_diffusion.c"

static int load_or_report(const char *dir, smx_model **m)
{
    smx_error err;
    if (smx_model_load(dir, m, &err) != SMX_OK) {
        fprintf(stderr, "seqmix: %s: %s\n", smx_status_str(err.status), err.msg);
        return 2;
    }
    return 0;
}

static void human_bytes(char *buf, size_t cap, double b)
{
    const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int i = 0;
    while (b >= 1024.0 && i < 4) { b /= 1024.0; i++; }
    snprintf(buf, cap, i ? "%.2f %s" : "%.0f %s", b, u[i]);
}

static int cmd_info(int argc, char **argv)
{
    smx_model *m;
    smx_model_info in;
    char b1[32], b2[32], b3[32];
    if (cli_help(argc, argv) || argc < 1) {
        puts("usage: seqmix info DIR\n\nArchitecture, layer pattern, parameters, weight bytes, per-sequence state bytes\n"
             "(fixed recurrent state and KV-cache bytes per token).\n"
             "Pattern letters: A attention, F feed-forward, E mixture of experts, M Mamba, 2 Mamba-2,\n"
             "X mLSTM, S sLSTM, C short conv, L liquid (CfC/LTC).");
        return argc < 1 ? 2 : 0;
    }
    if (load_or_report(argv[0], &m)) return 2;
    smx_model_get_info(m, &in);
    human_bytes(b1, sizeof b1, (double)in.weight_bytes);
    human_bytes(b2, sizeof b2, (double)in.state_bytes);
    human_bytes(b3, sizeof b3, (double)in.kv_bytes_per_token);
    printf("architecture   %s (model_type %s)\n", in.architecture, in.model_type);
    printf("kind           %s%s\n", in.kind == SMX_KIND_TOKENS ? "tokens" : "features", in.causal ? "" : ", bidirectional");
    printf("layers         %d  pattern %s\n", in.n_layers, in.pattern);
    if (in.kind == SMX_KIND_TOKENS) printf("width          %d  vocab %d\n", in.hidden_size, in.vocab_size);
    else printf("inputs         %d  outputs %d\n", in.input_size, in.output_size);
    printf("parameters     %lu (%s as float32)\n", (unsigned long)in.n_params, b1);
    printf("state bytes    %s fixed per sequence\n", b2);
    printf("kv bytes       %s per token", b3);
    if (in.kv_bytes_per_token) {
        char b4[32];
        human_bytes(b4, sizeof b4, (double)in.kv_bytes_per_token * 4096.0);
        printf(" (%s at 4096 tokens)", b4);
    }
    printf("\nmax context    %d\nsimd           %s\n", in.max_context, smx_simd_name());
    smx_model_free(m);
    return 0;
}

static int cmd_conform(int argc, char **argv)
{
    const char *tol_s = cli_flag(argc, argv, "--tol");
    double tol = tol_s ? atof(tol_s) : 1e-3;
    int rc;
    if (cli_help(argc, argv) || argc < 1) {
        puts("usage: seqmix conform DIR [--tol 1e-3]\n\nChecks the model in DIR against DIR/golden.safetensors: prefill vs logits,\n"
             "token-by-token steps, prefill-then-step, greedy continuation (exact); feature models:\n"
             "whole sequence, step by step and final states; diffusion models: forward and sampler runs.\n"
             "Exit 0 all pass, 1 mismatch, 2 could not load (or family not built).");
        return argc < 1 ? 2 : 0;
    }
    rc = cf_conform(argv[0], tol, stdout, NULL);
    return rc == CF_PASS ? 0 : rc == CF_FAIL ? 1 : 2;
}

/* Parse "1,2,3" into ids; returns count or -1. */
static int parse_ids(const char *s, int32_t *ids, int cap)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || n >= cap) return -1;
        ids[n++] = (int32_t)v;
        s = end;
        if (*s == ',') s++;
        else if (*s) return -1;
    }
    return n;
}

static int cmd_generate(int argc, char **argv)
{
    smx_model *m;
    smx_session *s;
    smx_session_options so;
    smx_sampler sp;
    smx_rng rng;
    smx_error err;
    const char *ids_s = cli_flag(argc, argv, "--ids"), *prompt = cli_flag(argc, argv, "--prompt"), *v;
    int32_t ids[4096];
    int n_ids, n_gen = 32, V, i, rc = 0, bytes;
    float *lg;
    void *work;
    double t0, t1, t2;
    if (cli_help(argc, argv) || argc < 1 || (!ids_s && !prompt)) {
        puts("usage: seqmix generate DIR (--ids 1,2,3 | --prompt TEXT) [-n 32] [--temp 0] [--top-k 0] [--top-p 1] [--seed 0]\n"
             "                       [--threads N]\n\n"
             "Prefills the prompt, then samples n tokens (greedy at temperature 0) and prints them and the\n"
             "prefill and decode speed. Byte-level models (vocabulary 256) take --prompt TEXT and print text;\n"
             "other models print the ids.");
        return (argc < 1 || (!ids_s && !prompt)) && !cli_help(argc, argv) ? 2 : 0;
    }
    n_ids = ids_s ? parse_ids(ids_s, ids, 4096) : txt_encode(prompt, ids, 4096);
    if (n_ids <= 0) { fprintf(stderr, "seqmix: --ids must be a comma-separated list of integers, --prompt non-empty\n"); return 2; }
    if ((v = cli_flag(argc, argv, "-n"))) n_gen = atoi(v);
    memset(&sp, 0, sizeof sp);
    sp.temperature = (v = cli_flag(argc, argv, "--temp")) ? (float)atof(v) : 0.0f;
    sp.top_k = (v = cli_flag(argc, argv, "--top-k")) ? atoi(v) : 0;
    sp.top_p = (v = cli_flag(argc, argv, "--top-p")) ? (float)atof(v) : 1.0f;
    smx_rng_seed(&rng, (v = cli_flag(argc, argv, "--seed")) ? (uint64_t)strtoull(v, NULL, 10) : 0);
    memset(&so, 0, sizeof so);
    so.n_threads = (v = cli_flag(argc, argv, "--threads")) ? atoi(v) : 0;
    so.capacity = n_ids + n_gen;
    if (load_or_report(argv[0], &m)) return 2;
    if (smx_session_new(m, &so, &s, &err)) { fprintf(stderr, "seqmix: %s\n", err.msg); smx_model_free(m); return 2; }
    V = smx_model_vocab(m);
    {
        smx_model_info in;
        smx_model_get_info(m, &in);
        if (!in.causal) {
            fprintf(stderr, "seqmix: %s is a masked-diffusion (bidirectional) model: use seqmix diffuse\n", argv[0]);
            smx_session_free(s); smx_model_free(m);
            return 2;
        }
    }
    bytes = txt_is_bytes(m);
    if (prompt && !ids_s && !bytes) {
        fprintf(stderr, "seqmix: --prompt needs a byte-level model (vocabulary 256); give --ids\n");
        smx_session_free(s); smx_model_free(m);
        return 2;
    }
    lg = (float *)malloc(sizeof(float) * (size_t)V);
    work = malloc((sizeof(float) + sizeof(int)) * (size_t)V);
    t0 = cli_now();
    if (smx_session_prefill(s, ids, n_ids, lg, 0)) { fprintf(stderr, "seqmix: %s\n", smx_session_error(s)); rc = 2; goto out; }
    t1 = cli_now();
    if (bytes)
        for (i = 0; i < n_ids; i++) txt_put(stdout, ids[i], smx_model_mask_token(m), '_');
    for (i = 0; i < n_gen; i++) {
        int32_t next = smx_sample(lg, V, &sp, &rng, work);
        if (bytes) txt_put(stdout, next, smx_model_mask_token(m), '_');
        else printf("%s%d", i ? "," : "", next);
        fflush(stdout);
        if (i + 1 < n_gen && smx_session_step(s, next, lg)) { fprintf(stderr, "\nseqmix: %s\n", smx_session_error(s)); rc = 2; goto out; }
    }
    t2 = cli_now();
    printf("\n");
    fprintf(stderr, "prefill %d tokens: %.1f tok/s; decode %d tokens: %.1f tok/s\n", n_ids, n_ids / (t1 - t0), n_gen,
            n_gen > 1 ? (n_gen - 1) / (t2 - t1) : 0.0);
out:
    free(lg); free(work);
    smx_session_free(s);
    smx_model_free(m);
    return rc;
}

static int cmd_bench_models(int argc, char **argv)
{
    const char *v = cli_flag(argc, argv, "--threads"), *only = cli_flag(argc, argv, "--only");
    int nth = v ? atoi(v) : 1, quick = 0;
    quick = cli_has(argc, argv, "--quick");
    if (cli_help(argc, argv)) {
        puts("usage: seqmix bench-models [--quick] [--threads 1] [--only ssm|xlstm|liquid|diffusion]\n\n"
             "Per-family benchmarks on models of public-checkpoint shapes with random weights: decode\n"
             "tokens/s as a fraction of the memory-bandwidth roofline (measured in the same run),\n"
             "prefill tokens/s, and family-specific figures (chunkwise vs step loop, CfC vs LTC).");
        return 0;
    }
    if (nth < 1) nth = 1;
    if (!only || !strcmp(only, "ssm")) bench_ssm(nth, quick);
    if (!only || !strcmp(only, "xlstm")) bench_xlstm(nth, quick);
    if (!only || !strcmp(only, "liquid")) bench_liquid(nth, quick);
    if (!only || !strcmp(only, "diffusion")) bench_diffusion(nth, quick);
    return 0;
}

static void usage(void)
{
    puts("usage: seqmix COMMAND [ARGS]   (seqmix COMMAND --help for details)\n\n"
         "  info DIR            architecture, layers, parameters, state and KV bytes\n"
         "  conform DIR         check a golden case (config + weights + golden.safetensors)\n"
         "  generate DIR        autoregressive generation from token ids or text (byte-level models)\n"
         "  eval DIR --text F   bits per byte and perplexity of a byte-level model on a text file\n"
         "  diffuse DIR         masked-diffusion generation (LLaDA) from token ids or text\n"
         "  bench               scan layers vs attention over sequence length (table, CSV, SVG)\n"
         "  bench-models        per-family speed on public-checkpoint shapes (random weights)\n"
         "  bench-kernels       matmul speed vs this machine's bandwidth and FMA peak");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) { usage(); return argc < 2 ? 2 : 0; }
    if (!strcmp(argv[1], "info")) return cmd_info(argc - 2, argv + 2);
    if (!strcmp(argv[1], "conform")) return cmd_conform(argc - 2, argv + 2);
    if (!strcmp(argv[1], "generate")) return cmd_generate(argc - 2, argv + 2);
    if (!strcmp(argv[1], "eval")) return cmd_eval(argc - 2, argv + 2);
    if (!strcmp(argv[1], "diffuse")) return cmd_diffuse(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bench-kernels")) return cmd_bench_kernels(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bench-models")) return cmd_bench_models(argc - 2, argv + 2);
    fprintf(stderr, "seqmix: unknown command '%s'\n", argv[1]);
    usage();
    return 2;
}
