/* seqmix — command-line tool: inspect, check, run and benchmark models.
 *
 *   seqmix help [COMMAND]            seqmix --help, seqmix --version, seqmix COMMAND --help
 *   seqmix info DIR
 *   seqmix conform DIR [--tol 1e-3]
 *   seqmix generate DIR (--ids 1,2,3 | --prompt TEXT) [-n 32] [--temperature 0] ...
 *   seqmix diffuse DIR (--ids ... | --prompt TEXT) [--gen-length 128] ...
 *   seqmix eval DIR --text FILE
 *   seqmix bench [-m DIR] [--quick] [--json] ...
 *   seqmix bench-models [-m DIR | --only ssm,xlstm,liquid,diffusion,hybrid] [--quick] [--json]
 *   seqmix bench-kernels [--threads N] [--json]
 *   seqmix convert IN OUT.gguf [--type f16]
 *
 * Every command is one row of the command table at the end of this file (name, summary, usage,
 * flags, positional arguments, handler); dispatch, `seqmix help` and `COMMAND --help` all read it.
 * Flags are parsed and checked by cli_parse (cli_util.c) before a handler runs, so a handler only
 * sees valid values. Exit status: 0 success; 1 a failure while running (a conformance mismatch,
 * out of memory, a benchmark that could not run); 2 a usage error (the message names the flag)
 * or a model that cannot be loaded or does not fit the command.
 *
 * Internals the tools use. The tools include the implementation and reach past Part I of
 * seqmix.h in these places only (everything else they call is the public API):
 *   cli_bench.c     the SIMD layer: smx__vf, smx__vzero, smx__vld, smx__vadd, smx__vfma,
 *                   smx__vset1, smx__vsum, SMX__VW (bandwidth probe, FMA peak);
 *                   smx__matmul (bench-kernels times it; the bandwidth probe uses its decode
 *                   path as one read pattern);
 *                   bench_decode_bytes: struct smx_model's embed, head, vocab, d, sub, n_sub,
 *                   smx__sub.op, smx__op.vt, smx__moe_vt and smx__moe's E, k, ff, base.d_in
 *                   (an untied embedding is read one row per step, unrouted experts not at all)
 *   bench_ssm.c     struct smx_model's sub, n_sub; smx__op.vt, smx__mamba_vt, smx__mamba2_vt;
 *                   smx__mamba (di, N), smx__mamba2 (cd, H, di, N, P); smx__mamba_scan,
 *                   smx__mamba2_ssd, smx__mamba2_scratch (the scans alone, for the scan share)
 *   bench_hybrid.c  struct smx_model's sub; smx__gdn (nk, nv, dk, dv, kd, vd, cd, qscale),
 *                   smx__gdn_core, smx__gdn_core_floats, smx__cx, smx__pool_new / _free, smx__dot,
 *                   smx__scale (the gated DeltaNet core alone, llama.cpp's op for comparison)
 *   conform.c       the safetensors reader: smx__tensors, smx__st_entry (dtype, numel, shape,
 *                   ndim), smx__st_open_file, smx__st_find, smx__st_convert, smx__st_close,
 *                   SMX__DT_F32 / I32 / F16 / BF16 (golden.safetensors holds all four)
 *   conform_diffusion.c  the JSON reader: smx__jv (type, str), smx__arena, smx__arena_free,
 *                   smx__json_parse, smx__jget, smx__jnum, SMX__J_NULL / TRUE / FALSE / STR / OBJ
 *                   (info.json of a diffusion case)
 * What would cover them: the bytes a decode step reads (an smx_model_info field or function),
 * a timing hook or per-operator profile for the scan share, a benchmark entry for the matmul
 * kernel and a vector read, a tensor-file reader (name -> dtype, shape, float32 copy) and a
 * JSON reader (parse, get, number, string, free). */
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#include "cli_util.c"
#include "cli_text.c"
#include "conform.c"
#include "cli_bench.c"
#include "cli_sweep.c"
#include "bench_ssm.c"
#include "bench_xlstm.c"
#include "bench_liquid.c"
#include "bench_diffusion.c"
#include "bench_hybrid.c"
#include "bench_model.c"
#include "cli_eval.c"
#include "cli_diffuse.c"
#include "cli_convert.c"

/* Load dir, reporting a failure as "seqmix CMD: DIR: status: message". 0 ok, 2 failed. */
static int load_model(const cli_args *a, const char *dir, smx_model **m, double *ms)
{
    smx_error err;
    double t0 = cli_now();
    if (smx_model_load(dir, m, &err) != SMX_OK) {
        fprintf(stderr, "seqmix %s: %s: %s: %s\n", a->cmd, dir, smx_status_str(err.status), err.msg);
        return 2;
    }
    if (ms) *ms = (cli_now() - t0) * 1e3;
    return 0;
}

static void human_bytes(char *buf, size_t cap, double b)
{
    const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int i = 0;
    while (b >= 1024.0 && i < 4) { b /= 1024.0; i++; }
    snprintf(buf, cap, i ? "%.2f %s" : "%.0f %s", b, u[i]);
}

/* ---- info ---- */

/* What the letters of a layer pattern stand for, from smx_op_legend ("A attention, B ..."), each
 * letter once in order of appearance. */
static void print_legend(const char *pattern)
{
    const char *legend = smx_op_legend(), *p;
    int i, j, n = 0;
    for (i = 0; pattern[i]; i++) {
        for (j = 0; j < i && pattern[j] != pattern[i]; j++) {}
        if (j < i) continue;
        for (p = legend; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 2 : NULL)
            if (p[0] == pattern[i] && p[1] == ' ') {
                printf("%s%.*s", n++ ? ", " : "               ", (int)strcspn(p, ","), p);
                break;
            }
    }
    if (n) printf("\n");
}

static int cmd_info(const cli_args *a)
{
    smx_model *m;
    smx_model_info in;
    char b1[32], b2[32], b3[32];
    if (load_model(a, a->pos[0], &m, NULL)) return 2;
    smx_model_get_info(m, &in);
    human_bytes(b1, sizeof b1, (double)in.weight_bytes);
    human_bytes(b2, sizeof b2, (double)in.state_bytes);
    human_bytes(b3, sizeof b3, (double)in.kv_bytes_per_token);
    printf("architecture   %s (model_type %s)\n", in.architecture, in.model_type);
    printf("kind           %s%s\n", in.kind == SMX_KIND_TOKENS ? "tokens" : "features", in.causal ? "" : ", bidirectional");
    printf("layers         %d  pattern %s\n", in.n_layers, in.pattern);
    print_legend(in.pattern);
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
    printf("\nmax context    %d%s\nsimd           %s\n", in.max_context, in.max_context ? "" : " (none set)", smx_simd_name());
    smx_model_free(m);
    return 0;
}

/* ---- conform ---- */

static const cli_flag conform_flags[] = {
    { "--tol", NULL, CLI_FLOAT, "X", "1e-3", 0, 1e6, NULL, 0, "largest absolute difference that passes" },
};

static int cmd_conform(const cli_args *a)
{
    int rc = cf_conform(a->pos[0], cli_num(a, "--tol"), stdout, NULL);
    return rc == CF_PASS ? 0 : rc == CF_FAIL ? 1 : 2;
}

/* ---- generate ---- */

static const cli_flag generate_flags[] = {
    { "--ids", NULL, CLI_STR, "1,2,3", NULL, 0, 0, NULL, 0, "prompt token ids, comma-separated (any number)" },
    { "--prompt", NULL, CLI_STR, "TEXT", NULL, 0, 0, NULL, 0, "prompt text, for byte-level models (vocabulary 256)" },
    { "--tokens", "-n", CLI_INT, "N", "32", CLI_COUNT, NULL, 0, "tokens to generate" },
    { "--temperature", "--temp", CLI_FLOAT, "X", "0", 0, 100, NULL, 0, "sampling temperature; 0 = greedy" },
    { "--top-k", NULL, CLI_INT, "K", "0", CLI_COUNT, NULL, 0, "sample among the K most likely tokens; 0 = all" },
    { "--top-p", NULL, CLI_FLOAT, "P", "1", 0, 1, NULL, 0, "sample among the most likely tokens of total probability P; 1 = all" },
    { "--seed", NULL, CLI_INT, "N", "0", 0, (double)LLONG_MAX, NULL, 0, "sampling seed" },
    { "--threads", "-t", CLI_INT, "N", "0", 0, 1024, NULL, 0, "threads; 0 = OpenMP default" },
};

static int cmd_generate(const cli_args *a)
{
    const char *dir = a->pos[0], *prompt = cli_str(a, "--prompt");
    smx_model *m = NULL;
    smx_model_info in;
    smx_session *s = NULL;
    smx_session_options so;
    smx_sampler sp;
    smx_rng rng;
    smx_error err;
    int32_t *ids = NULL;
    long long n_gen = cli_int(a, "--tokens");
    int n_ids = 0, V, i, rc, bytes;
    float *lg = NULL;
    void *work = NULL;
    double t0, t1, t2, load_ms = 0.0;
    if ((rc = cli_one_of(a, "--ids", "--prompt"))) return rc;
    memset(&sp, 0, sizeof sp);
    sp.temperature = (float)cli_num(a, "--temperature");
    sp.top_k = (int)cli_int(a, "--top-k");
    sp.top_p = (float)cli_num(a, "--top-p");
    if (sp.temperature <= 0.0f) {   /* greedy: the sampling flags would have no effect */
        static const char *const sflags[3] = { "--top-k", "--top-p", "--seed" };
        for (i = 0; i < 3; i++)
            if (cli_given(a, sflags[i]))
                return cli_fail(a, sflags[i], "has no effect at temperature 0 (greedy); give --temperature X > 0 too");
    }
    smx_rng_seed(&rng, (uint64_t)cli_int(a, "--seed"));
    if (prompt) {
        size_t len = strlen(prompt);
        if (!len) return cli_fail(a, "--prompt", "is empty");
        if (len > (size_t)INT_MAX) return cli_fail(a, "--prompt", "is longer than %d bytes", INT_MAX);
        if (!(ids = (int32_t *)malloc(sizeof(int32_t) * len))) { fprintf(stderr, "seqmix generate: out of memory for the prompt\n"); return 1; }
        n_ids = txt_encode(prompt, ids, (int)len);
    } else if ((rc = cli_int_list(a, "--ids", 0, INT32_MAX, &ids, &n_ids))) {
        return rc == 3 ? 1 : 2;
    }
    if (n_gen > (long long)INT_MAX - n_ids) {
        free(ids);
        return cli_fail(a, "--tokens (-n)", "the prompt (%d tokens) and %lld generated tokens overflow an int", n_ids, n_gen);
    }
    rc = 2;
    if (load_model(a, dir, &m, &load_ms)) goto out;
    smx_model_get_info(m, &in);
    fprintf(stderr, "load %s (%s): %.1f ms\n", dir, in.architecture, load_ms);
    if (in.kind != SMX_KIND_TOKENS) {
        fprintf(stderr, "seqmix generate: %s is a feature model (%s): it has no tokens to generate\n", dir, in.architecture);
        goto out;
    }
    if (!in.causal) {
        fprintf(stderr, "seqmix generate: %s is a masked-diffusion (bidirectional) model: use seqmix diffuse\n", dir);
        goto out;
    }
    V = smx_model_vocab(m);
    bytes = txt_is_bytes(m);
    if (prompt && !bytes) {
        cli_fail(a, "--prompt", "needs a byte-level model (vocabulary 256); %s has vocabulary %d: give --ids", dir, V);
        goto out;
    }
    for (i = 0; i < n_ids; i++)
        if (ids[i] >= V) {
            cli_fail(a, "--ids", "id %ld (item %d) is out of range for the model's vocabulary of %d", (long)ids[i], i + 1, V);
            goto out;
        }
    if (in.max_context > 0 && n_ids > in.max_context) {
        cli_fail(a, prompt ? "--prompt" : "--ids", "the prompt has %d tokens, more than the model's context of %d tokens", n_ids,
                 in.max_context);
        goto out;
    }
    if (in.max_context > 0 && n_ids + n_gen > in.max_context) {
        cli_fail(a, "--tokens (-n)", "the prompt (%d tokens) and %lld generated tokens make %lld, more than the model's context of %d tokens",
                 n_ids, n_gen, n_ids + n_gen, in.max_context);
        goto out;
    }
    memset(&so, 0, sizeof so);
    so.n_threads = (int)cli_int(a, "--threads");
    so.capacity = n_ids + (int)n_gen;
    if (smx_session_new(m, &so, &s, &err) != SMX_OK) {
        fprintf(stderr, "seqmix generate: session for %d tokens: %s\n", so.capacity, err.msg);
        rc = err.status == SMX_E_NOMEM ? 1 : 2;
        goto out;
    }
    lg = (float *)malloc(sizeof(float) * (size_t)V);
    work = malloc(smx_sample_work_bytes(V));
    if (!lg || !work) { fprintf(stderr, "seqmix generate: out of memory for %d logits\n", V); rc = 1; goto out; }
    t0 = cli_now();
    if (smx_session_prefill(s, ids, n_ids, lg, 0)) { fprintf(stderr, "seqmix generate: %s\n", smx_session_error(s)); goto out; }
    t1 = cli_now();
    if (bytes)
        for (i = 0; i < n_ids; i++) txt_put(stdout, ids[i], smx_model_mask_token(m), '_');
    for (i = 0; i < n_gen; i++) {
        int32_t next;
        if (smx_sample(lg, V, &sp, &rng, work, &next, &err)) { fprintf(stderr, "seqmix generate: %s\n", err.msg); rc = 1; goto out; }
        if (bytes) txt_put(stdout, next, smx_model_mask_token(m), '_');
        else printf("%s%d", i ? "," : "", next);
        fflush(stdout);
        if (i + 1 < n_gen && smx_session_step(s, next, lg)) {
            fprintf(stderr, "\nseqmix generate: %s\n", smx_session_error(s));
            goto out;
        }
    }
    t2 = cli_now();
    printf("\n");
    fflush(stdout);
    /* the summary, in a form tools/peer_bench.sh parses: n_gen samples, n_gen - 1 timed steps */
    fprintf(stderr, "prefill %d tokens: %.1f tok/s; decode %d tokens: %.1f tok/s", n_ids, n_ids / (t1 - t0), (int)n_gen,
            n_gen > 1 ? (n_gen - 1) / (t2 - t1) : 0.0);
    if (n_gen > 1) fprintf(stderr, "; %.2f ms/token", (t2 - t1) * 1e3 / (double)(n_gen - 1));
    fprintf(stderr, "\n");
    rc = 0;
out:
    free(lg); free(work); free(ids);
    smx_session_free(s);
    smx_model_free(m);
    return rc;
}

/* ---- bench-models ---- */

static const cli_flag bench_models_flags[] = {
    { "--model", "-m", CLI_STR, "DIR", NULL, 0, 0, NULL, 0, "benchmark this model folder instead of the family shapes" },
    { "--only", NULL, CLI_STR, "FAMILIES", NULL, 0, 0, "ssm|xlstm|liquid|diffusion|hybrid", 1, "run only these families" },
    { "--quick", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "fewer steps and repetitions, smaller diffusion model" },
    { "--threads", "-t", CLI_INT, "N", "1", 1, 1024, NULL, 0, "threads" },
    { "--json", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "results as JSON on stdout (the text goes to stderr)" },
};

static int cmd_bench_models(const cli_args *a)
{
    const char *dir = cli_str(a, "--model");
    int nth = (int)cli_int(a, "--threads"), quick = cli_on(a, "--quick"), rc = 0;
    if ((rc = cli_conflict(a, "--model", "--only"))) return rc;
    if (dir) {   /* load first: a folder that does not load is a usage error, before any output */
        smx_model *m;
        if (load_model(a, dir, &m, NULL)) return 2;
        smx_model_free(m);
    }
    bench_open("bench-models", cli_on(a, "--json"), nth, quick);
    if (dir) rc = bench_model_dir(dir, nth, quick);
    else {
        int all = !cli_given(a, "--only");
        if (all || cli_list_has(a, "--only", "ssm")) bench_ssm(nth, quick);
        if (all || cli_list_has(a, "--only", "xlstm")) bench_xlstm(nth, quick);
        if (all || cli_list_has(a, "--only", "liquid")) bench_liquid(nth, quick);
        if (all || cli_list_has(a, "--only", "diffusion")) bench_diffusion(nth, quick);
        if (all || cli_list_has(a, "--only", "hybrid")) bench_hybrid(nth, quick);
    }
    bench_close();
    return rc;
}

/* ---- the command table ---- */

typedef struct cli_command {
    const char *name;
    const char *summary;        /* one line for `seqmix help` */
    const char *args;           /* after the name in the usage line */
    const char *description;
    const cli_flag *flags;
    int n_flags;
    int min_pos, max_pos;
    const char *pos_name;       /* what the positional arguments are, for messages */
    int (*run)(const cli_args *a);
} cli_command;

static int cmd_help(const cli_args *a);

#define CLI_FLAGS(f) f, (int)(sizeof f / sizeof f[0])

static const cli_command cli_commands[] = {
    { "help", "this list, or one command's usage", "[COMMAND]",
      "Lists the commands, or prints the usage of one (the same as seqmix COMMAND --help).",
      NULL, 0, 0, 1, "COMMAND", cmd_help },
    { "info", "architecture, layers, parameters, state and KV bytes", "DIR",
      "Architecture, layer pattern, parameters, weight bytes, per-sequence state bytes (fixed\n"
      "recurrent state and KV-cache bytes per token) of the model folder DIR.\n"
      "Pattern letters: A attention, F feed-forward, E mixture of experts, M Mamba, 2 Mamba-2,\n"
      "X mLSTM, S sLSTM, C short conv, L liquid (CfC/LTC).",
      NULL, 0, 1, 1, "DIR", cmd_info },
    { "conform", "check a golden case (config + weights + golden.safetensors)", "DIR [--tol 1e-3]",
      "Checks the model in DIR against DIR/golden.safetensors: prefill vs logits, token-by-token\n"
      "steps, prefill-then-step, greedy continuation (exact); feature models: whole sequence, step\n"
      "by step and final states; diffusion models: forward and sampler runs.\n"
      "Exit 0 all pass, 1 mismatch, 2 could not load (or family not built).",
      CLI_FLAGS(conform_flags), 1, 1, "DIR", cmd_conform },
    { "generate", "autoregressive generation from token ids or text (byte-level models)",
      "DIR (--ids 1,2,3 | --prompt TEXT) [-n 32] [--temperature 0 [--top-k K] [--top-p P] [--seed N]]",
      "Prefills the prompt, then samples N tokens (greedy at temperature 0) and prints them: text for\n"
      "byte-level models (vocabulary 256), ids otherwise. On stderr: the load time, then\n"
      "  prefill N tokens: X tok/s; decode M tokens: Y tok/s; Z ms/token\n"
      "(M tokens sampled, M - 1 steps timed). The prompt and the generated tokens must fit the\n"
      "model's context; nothing is cut.",
      CLI_FLAGS(generate_flags), 1, 1, "DIR", cmd_generate },
    { "diffuse", "masked-diffusion generation (LLaDA) from token ids or text",
      "DIR (--ids 1,2,3 | --prompt TEXT) [--gen-length 128] [--steps N] [--block-length N] ...",
      "Masked-diffusion generation (LLaDA): the prompt followed by gen-length mask tokens is refined\n"
      "over --steps steps in blocks of --block-length; prints the result (text for byte-level models,\n"
      "else the generated ids) and the speed. The defaults are the reference sampler. Faster,\n"
      "approximate options:\n"
      "  --threshold X      also commit every masked position of the block with confidence >= X;\n"
      "                     blocks finish early (the step schedule stays a floor)\n"
      "  --prefix-cache M   keys/values of the positions before the current block are computed once\n"
      "                     per block; later steps run: prefix: the block and everything after it;\n"
      "                     dual: the block alone, seeing the after-block positions as cached;\n"
      "                     block: the block alone, the after-block positions dropped",
      CLI_FLAGS(diffuse_flags), 1, 1, "DIR", cmd_diffuse },
    { "eval", "bits per byte and perplexity of a byte-level model on a text file", "DIR --text FILE [--window 256]",
      "Bits per byte of a byte-level language model on a text file: the file (or its first N bytes)\n"
      "is cut into consecutive windows of --window bytes, each run from an empty state; every byte\n"
      "after the first of its window is predicted. Prints bits per byte, perplexity per byte and\n"
      "loss in nats. For a masked-diffusion model it prints the masked-token loss instead: every\n"
      "--mask-period-th byte (i % period == 1) of each window is masked and predicted.",
      CLI_FLAGS(eval_flags), 1, 1, "DIR", cmd_eval },
    { "bench", "scan layers vs attention over sequence length (table, CSV, SVG), or one model", "[-m DIR] [--quick] [--json] ...",
      "Scan layers vs attention: for every layer type built in (one layer, width W) and for whole\n"
      "hybrids (pure attention, 1:7 attention:Mamba, pure Mamba; 8 blocks with SwiGLU), prefill time\n"
      "and per-token decode time at each context length, per-sequence memory (KV cache vs fixed\n"
      "state), the crossover length where each scan's decode beats attention's, and the time ratio\n"
      "per doubling of length. With -m DIR: the same sweep of one causal token model, up to its\n"
      "context. Times are medians with (min..max) over repetitions.\n"
      "Default lengths 128..32768 doubling; --quick: 128..4096.",
      CLI_FLAGS(bench_flags), 0, 0, "", cmd_bench },
    { "bench-models", "per-family speed on public-checkpoint shapes, or any model folder", "[-m DIR | --only FAMILIES] [--quick] [--json]",
      "Per-family benchmarks on models of public-checkpoint shapes with random weights: decode\n"
      "tokens/s as a fraction of the read-bandwidth roofline (bytes a decode step reads over the\n"
      "best bandwidth of several read patterns, measured between the decode rounds), prefill\n"
      "tokens/s, and family-specific figures (scan share of prefill, chunkwise vs step loop, CfC vs\n"
      "LTC, diffusion samplers, the gated DeltaNet layer alone). With -m DIR: decode tokens/s and\n"
      "its roofline fraction, and prefill tokens/s at a few lengths, for any loadable model.\n"
      "Figures: median (min..max).",
      CLI_FLAGS(bench_models_flags), 0, 0, "", cmd_bench_models },
    { "bench-kernels", "matmul speed vs this machine's bandwidth and FMA peak", "[--threads N] [--json]",
      "Measures read bandwidth (several patterns) and FMA peak, then the matmul kernel at a decode\n"
      "shape (1x768 . 768x3072, weights streamed from memory) and a prefill shape\n"
      "(512x768 . 768x3072), with 1 .. N threads, as fractions of those limits.",
      CLI_FLAGS(bench_kernels_flags), 0, 0, "", cmd_bench_kernels },
    { "convert", "write a Hugging Face folder (or a GGUF file) as a GGUF file llama.cpp loads", "IN OUT.gguf [--type f16]",
      "Writes the model IN (a Hugging Face folder, or a GGUF file to re-type) as OUT.gguf, as llama.cpp's\n"
      "converter lays it out (names, metadata, RoPE row order, A = -exp(A_log), squeezed kernels, stacked\n"
      "experts) in the tensor types of --type: f32, f16, bf16, or a llama-quantize mix (q8_0, q4_0,\n"
      "q4_k_m, q6_k: its per-tensor rules). The folder's tokenizer.json becomes the vocabulary where\n"
      "seqmix can write it; otherwise the file says tokenizer \"none\" (a note on stderr says so).\n"
      "Architectures: those that both engines load (see README).",
      CLI_FLAGS(convert_flags), 2, 2, "IN OUT.gguf", cmd_convert },
};

#define CLI_N_COMMANDS (int)(sizeof cli_commands / sizeof cli_commands[0])

static const cli_command *cli_command_find(const char *name)
{
    int i;
    for (i = 0; i < CLI_N_COMMANDS; i++)
        if (!strcmp(cli_commands[i].name, name)) return &cli_commands[i];
    return NULL;
}

static void cli_usage(FILE *f)
{
    int i;
    fprintf(f, "usage: seqmix COMMAND [ARGS]   (seqmix help COMMAND, or seqmix COMMAND --help, for details)\n"
               "       seqmix --version\n\n");
    for (i = 0; i < CLI_N_COMMANDS; i++) fprintf(f, "  %-14s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(f, "\nDIR is a model folder: config.json + model.safetensors (Hugging Face layout).\n");
}

static void cli_command_help(FILE *f, const cli_command *c)
{
    fprintf(f, "usage: seqmix %s %s\n\n%s\n", c->name, c->args, c->description);
    fprintf(f, "\nflags:\n");
    cli_print_flags(f, c->flags, c->n_flags);
    fprintf(f, "  %-26s  %s\n", "-h, --help", "this text");
}

/* The closest command name (for "did you mean"), or NULL. */
static const char *cli_command_guess(const char *name)
{
    int i, best = 3, d;
    const char *g = NULL;
    for (i = 0; i < CLI_N_COMMANDS; i++)
        if ((d = cli_edit_distance(name, cli_commands[i].name)) < best) { best = d; g = cli_commands[i].name; }
    return g;
}

static int cli_unknown_command(const char *name)
{
    const char *g = cli_command_guess(name);
    if (g) fprintf(stderr, "seqmix: unknown command '%s' (did you mean %s?)\n", name, g);
    else fprintf(stderr, "seqmix: unknown command '%s'\n", name);
    fprintf(stderr, "(seqmix help lists the commands)\n");
    return 2;
}

static int cmd_help(const cli_args *a)
{
    const cli_command *c;
    if (!a->n_pos) { cli_usage(stdout); return 0; }
    if (!(c = cli_command_find(a->pos[0]))) return cli_unknown_command(a->pos[0]);
    cli_command_help(stdout, c);
    return 0;
}

int main(int argc, char **argv)
{
    const cli_command *c;
    cli_args a;
    int rc;
    if (argc < 2) { cli_usage(stderr); return 2; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc > 2) return cli_usage_error(NULL, "%s takes nothing after it (seqmix help COMMAND for a command)", argv[1]);
        cli_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        if (argc > 2) return cli_usage_error(NULL, "%s takes nothing after it", argv[1]);
        printf("seqmix %s (simd %s)\n", smx_version(), smx_simd_name());
        return 0;
    }
    if (argv[1][0] == '-') {
        fprintf(stderr, "seqmix: unknown flag '%s' before the command\n", argv[1]);
        cli_usage(stderr);
        return 2;
    }
    if (!(c = cli_command_find(argv[1]))) return cli_unknown_command(argv[1]);
    rc = cli_parse(&a, c->name, c->flags, c->n_flags, c->min_pos, c->max_pos, c->pos_name, argc - 2, argv + 2);
    if (rc == 1) { cli_command_help(stdout, c); return 0; }
    if (rc) return rc;
    return c->run(&a);
}
