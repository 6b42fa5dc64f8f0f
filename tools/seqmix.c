/* seqmix — command-line tool: inspect, check, run and benchmark models, and tokenize text.
 *
 *   seqmix help [COMMAND]            seqmix --help, seqmix --version, seqmix COMMAND --help
 *   seqmix info MODEL [--weights TYPE]
 *   seqmix conform DIR [--tol 1e-3]
 *   seqmix generate MODEL (--prompt TEXT | --ids 1,2,3) [-n 32] [--temperature 0] ...
 *   seqmix diffuse MODEL (--prompt TEXT | --ids ...) [--gen-length 128] ...
 *   seqmix eval MODEL --text FILE
 *   seqmix tokenize SRC (--text TEXT | --file FILE)     seqmix detokenize SRC --ids 1,2,3
 *   seqmix bench-tokenizer SRC FILE
 *   seqmix bench [-m MODEL] [--quick] [--json] ...
 *   seqmix bench-models [-m MODEL | --only ssm,xlstm,liquid,diffusion,hybrid] [--quick] [--json]
 *   seqmix bench-kernels [--threads N] [--types f32,q4_k,...] [--json]
 * MODEL is a model folder or a .gguf file; the model commands take --weights TYPE (and --exact)
 * to hold the weights in another type. SRC is a tokenizer.json, a folder holding one, or a .gguf.
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
 *                   path as one read pattern); for the per-type table smx__w (all fields),
 *                   smx__wtypes (name, blk, act, decode_f32, prefill_f32), SMX__WT_Q8_K (the end
 *                   of the weight types), smx__wt_row_bytes, smx__w_encode, and smx__cx.qa /
 *                   qa_cap (the activation rows a session gives quantized weights);
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
 * kernel of each weight type and a vector read, a tensor-file reader (name -> dtype, shape, float32 copy) and a
 * JSON reader (parse, get, number, string, free). */
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#include "cli_util.c"
#include "cli_text.c"
#include "cli_model.c"
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
#include "cli_tok.c"
#include "cli_convert.c"

static const char *human_bytes(char *buf, size_t cap, double b)
{
    const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int i = 0;
    while (b >= 1024.0 && i < 4) { b /= 1024.0; i++; }
    snprintf(buf, cap, i ? "%.2f %s" : "%.0f %s", b, u[i]);
    return buf;
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

/* A weight's name with every layer or expert index replaced by '*': "model.layers.*.mlp.up_proj.weight". */
static void info_group_name(const char *name, char *buf, size_t cap)
{
    size_t o = 0;
    const char *p = name;
    while (*p && o + 2 < cap) {
        if ((p == name || p[-1] == '.') && *p >= '0' && *p <= '9') {
            const char *q = p;
            while (*q >= '0' && *q <= '9') q++;
            if (!*q || *q == '.') { buf[o++] = '*'; p = q; continue; }
        }
        buf[o++] = *p++;
    }
    buf[o] = 0;
}

/* The weight matrices as loaded: one line per group of like matrices (name with the indices
 * replaced, type, stored type, shape, in place or copied), totals per type, what was converted,
 * what fell back from the requested type, and the bytes used in place vs copied. */
static int info_weights(const smx_model *m, const char *requested)
{
    typedef struct grp { char name[160]; const char *type, *stored; int rows, cols, in_place, count; double bytes; } grp;
    int n = smx_model_weights(m, NULL, 0), i, j, ng = 0, nt = 0, conv = 0, fell = 0, nin = 0;
    smx_weight_info *w = (smx_weight_info *)malloc(sizeof *w * (size_t)(n ? n : 1));
    grp *g = (grp *)malloc(sizeof *g * (size_t)(n ? n : 1));
    struct { const char *type; int count; double bytes; } tt[32];
    double bin = 0.0, bcopy = 0.0, total = 0.0;
    char b1[32], b2[32], nm[160];
    if (!w || !g) { free(w); free(g); fprintf(stderr, "seqmix info: out of memory for %d weights\n", n); return 1; }
    smx_model_weights(m, w, n);
    for (i = 0; i < n; i++) {
        info_group_name(w[i].name, nm, sizeof nm);
        for (j = 0; j < ng; j++)
            if (!strcmp(g[j].name, nm) && !strcmp(g[j].type, w[i].type) && !strcmp(g[j].stored, w[i].stored) && g[j].rows == w[i].rows &&
                g[j].cols == w[i].cols && g[j].in_place == w[i].in_place)
                break;
        if (j == ng) {
            memset(&g[ng], 0, sizeof g[ng]);
            snprintf(g[ng].name, sizeof g[ng].name, "%s", nm);
            g[ng].type = w[i].type; g[ng].stored = w[i].stored; g[ng].rows = w[i].rows; g[ng].cols = w[i].cols;
            g[ng].in_place = w[i].in_place;
            ng++;
        }
        g[j].count++;
        g[j].bytes += (double)w[i].bytes;
        for (j = 0; j < nt && strcmp(tt[j].type, w[i].type); j++) {}
        if (j == nt && nt < 32) { tt[nt].type = w[i].type; tt[nt].count = 0; tt[nt].bytes = 0.0; nt++; }
        if (j < nt) { tt[j].count++; tt[j].bytes += (double)w[i].bytes; }
        conv += strcmp(w[i].type, w[i].stored) != 0;
        if (requested) {
            const char *r = requested, *t = w[i].type;
            while (*r && tolower((unsigned char)*r) == tolower((unsigned char)*t)) { r++; t++; }
            fell += *r || *t;
        }
        if (w[i].in_place) { nin++; bin += (double)w[i].bytes; }
        else bcopy += (double)w[i].bytes;
        total += (double)w[i].bytes;
    }
    printf("weights        %d matrices, %s in memory", n, human_bytes(b1, sizeof b1, total));
    if (requested) printf(" (--weights %s)", requested);
    printf("\n");
    for (j = 0; j < ng; j++) {
        char shape[48], from[24] = "";
        snprintf(shape, sizeof shape, "%dx%d", g[j].rows, g[j].cols);
        if (strcmp(g[j].type, g[j].stored)) snprintf(from, sizeof from, "from %s", g[j].stored);
        human_bytes(b1, sizeof b1, g[j].bytes);
        printf("  %-48s x%-4d %-6s %-10s %-12s %10s  %s\n", g[j].name, g[j].count, g[j].type, from, shape, b1, g[j].in_place ? "in place" : "copied");
    }
    printf("by type       ");
    for (j = 0; j < nt; j++) printf("%s %s x%d %s", j ? ";" : "", tt[j].type, tt[j].count, human_bytes(b1, sizeof b1, tt[j].bytes));
    printf("\nconverted      %d of %d at load", conv, n);
    if (requested) printf("; %d fell back from %s (the output head, rows that do not fill its blocks)", fell, requested);
    human_bytes(b1, sizeof b1, bin);
    human_bytes(b2, sizeof b2, bcopy);
    printf("\nin place       %d matrices, %s used from the file; %d copied, %s\n", nin, b1, n - nin, b2);
    free(w); free(g);
    return 0;
}

/* The checkpoint's tokenizer, or why there is none. */
static void info_tokenizer(const smx_model *m)
{
    const char *why = NULL;
    const smx_tokenizer *t = smx_model_tokenizer(m, &why);
    const int32_t *eos;
    int ne, i;
    if (!t) { printf("tokenizer      none: %s\n", why); return; }
    printf("tokenizer      %s, %d ids", smx_tokenizer_kind(t), smx_tokenizer_vocab_size(t));
    if (smx_tokenizer_bos(t) >= 0) printf(", BOS %ld", (long)smx_tokenizer_bos(t));
    else printf(", no BOS");
    ne = smx_tokenizer_eos_ids(t, &eos);
    if (!ne) printf(", no EOS");
    for (i = 0; i < ne; i++) printf("%s%ld", i ? "," : ne > 1 ? ", end of generation at " : ", EOS ", (long)eos[i]);
    printf("\n");
}

static const cli_flag info_flags[] = {
    CLI_FLAG_WEIGHTS,
};

static int cmd_info(const cli_args *a)
{
    smx_model *m;
    smx_model_info in;
    char b1[32], b2[32], b3[32];
    const char *req = cli_str(a, "--weights");
    int rc;
    if ((rc = cli_load(a, a->pos[0], &m, NULL))) return rc;
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
    printf("parameters     %lu (weights %s in memory)\n", (unsigned long)in.n_params, b1);
    printf("state bytes    %s fixed per sequence\n", b2);
    printf("kv bytes       %s per token", b3);
    if (in.kv_bytes_per_token) {
        char b4[32];
        human_bytes(b4, sizeof b4, (double)in.kv_bytes_per_token * 4096.0);
        printf(" (%s at 4096 tokens)", b4);
    }
    printf("\nmax context    %d%s\nsimd           %s\n", in.max_context, in.max_context ? "" : " (none set)", smx_simd_name());
    rc = info_weights(m, req && strcmp(req, "stored") ? req : NULL);
    if (in.kind == SMX_KIND_TOKENS) info_tokenizer(m);
    smx_model_free(m);
    return rc;
}

/* ---- conform ---- */

static const cli_flag conform_flags[] = {
    { "--tol", NULL, CLI_FLOAT, "X", "1e-3", 0, 1e6, NULL, 0, "largest absolute difference that passes" },
    CLI_FLAG_WEIGHTS,
    CLI_FLAG_EXACT,
};

static int cmd_conform(const cli_args *a)
{
    smx_load_options o;
    int rc;
    cli_load_options(a, &o);
    rc = cf_conform_ex(a->pos[0], &o, cli_num(a, "--tol"), stdout, NULL);
    return rc == CF_PASS ? 0 : rc == CF_FAIL ? 1 : 2;
}

/* ---- generate ---- */

static const cli_flag generate_flags[] = {
    { "--ids", NULL, CLI_STR, "1,2,3", NULL, 0, 0, NULL, 0, "prompt token ids, comma-separated (any number)" },
    { "--prompt", NULL, CLI_STR, "TEXT", NULL, 0, 0, NULL, 0, "prompt text, encoded with the model's tokenizer" },
    CLI_FLAG_NO_SPECIAL,
    CLI_FLAG_PARSE_SPECIAL,
    { "--tokens", "-n", CLI_INT, "N", "32", CLI_COUNT, NULL, 0, "tokens to generate (at most)" },
    CLI_FLAG_IGNORE_EOS,
    CLI_FLAG_PRINT_IDS,
    { "--temperature", "--temp", CLI_FLOAT, "X", "0", 0, 100, NULL, 0, "sampling temperature; 0 = greedy" },
    { "--top-k", NULL, CLI_INT, "K", "0", CLI_COUNT, NULL, 0, "sample among the K most likely tokens; 0 = all" },
    { "--top-p", NULL, CLI_FLOAT, "P", "1", 0, 1, NULL, 0, "sample among the most likely tokens of total probability P; 1 = all" },
    { "--seed", NULL, CLI_INT, "N", "0", 0, (double)LLONG_MAX, NULL, 0, "sampling seed" },
    { "--threads", "-t", CLI_INT, "N", "0", 0, 1024, NULL, 0, "threads; 0 = the default (the physical cores)" },
    { "--parallel", NULL, CLI_INT, "K", "1", 1, 256, NULL, 0,
      "decode K sequences of the prompt together (one pass over the weights per step; seeds seed .. seed + K - 1)" },
    CLI_FLAG_WEIGHTS,
    CLI_FLAG_EXACT,
};

/* generate --parallel K: the prompt prefilled once and its state copied into K - 1 more sessions;
 * then every step samples each live sequence (its own generator, seed + i) and advances all of them
 * with one smx_batch_step. A sequence that reaches an end-of-generation token stops; the others go
 * on. The sequences are printed one after another at the end. */
static int generate_parallel(const cli_args *a, smx_model *m, smx_session *s0, const smx_session_options *so0, const int32_t *ids,
                             int n_ids, long long n_gen, const smx_tokenizer *tok, const smx_sampler *sp)
{
    const int K = (int)cli_int(a, "--parallel"), V = smx_model_vocab(m);
    smx_session **ss = (smx_session **)calloc((size_t)K, sizeof *ss), **bs = (smx_session **)calloc((size_t)K, sizeof *bs);
    smx_rng *rng = (smx_rng *)calloc((size_t)K, sizeof *rng);
    float *lg = (float *)malloc(sizeof(float) * (size_t)V * (size_t)K), *bl = (float *)malloc(sizeof(float) * (size_t)V * (size_t)K);
    int32_t *gen = (int32_t *)malloc(sizeof(int32_t) * (size_t)K * (size_t)(n_gen > 0 ? n_gen : 1)), *bid = (int32_t *)malloc(sizeof(int32_t) * (size_t)K);
    int *done = (int *)calloc((size_t)K, sizeof(int)), *live = (int *)calloc((size_t)K, sizeof(int)), *bix = (int *)calloc((size_t)K, sizeof(int));
    size_t sb = 0, wr = 0;
    void *blob = NULL, *work = malloc(smx_sample_work_bytes(V));
    smx_session_options so = *so0;
    smx_error err;
    double t0, t1, t2, t3, steps = 0;
    long long total = 0, stepped = 0;
    int i, j, nb, rc = 2, nstop = 0;
    if (!ss || !bs || !rng || !lg || !bl || !gen || !bid || !done || !live || !bix || !work) {
        fprintf(stderr, "seqmix generate: out of memory for %d sequences\n", K);
        rc = 1;
        goto out;
    }
    ss[0] = s0;
    so.n_threads = 1;   /* the first session's threads run every batched step */
    for (i = 1; i < K; i++)
        if (smx_session_new(m, &so, &ss[i], &err) != SMX_OK) {
            fprintf(stderr, "seqmix generate: session %d of %d: %s\n", i, K, err.msg);
            rc = err.status == SMX_E_NOMEM ? 1 : 2;
            goto out;
        }
    t0 = cli_now();
    if (smx_session_prefill(s0, ids, n_ids, lg, 0)) { fprintf(stderr, "seqmix generate: %s\n", smx_session_error(s0)); goto out; }
    t1 = cli_now();
    sb = smx_session_state_size(s0);   /* the state after the prompt */
    if (!(blob = malloc(sb ? sb : 1))) { fprintf(stderr, "seqmix generate: out of memory for the prompt's state (%lu bytes)\n", (unsigned long)sb); rc = 1; goto out; }
    if (smx_session_state_save(s0, blob, sb, &wr) != SMX_OK) { fprintf(stderr, "seqmix generate: %s\n", smx_session_error(s0)); goto out; }
    for (i = 1; i < K; i++)
        if (smx_session_state_load(ss[i], blob, wr) != SMX_OK || smx_session_logits(ss[i], lg + (size_t)i * V) != SMX_OK) {
            fprintf(stderr, "seqmix generate: copying the prompt's state: %s\n", smx_session_error(ss[i]));
            goto out;
        }
    t2 = cli_now();
    for (i = 0; i < K; i++) { smx_rng_seed(&rng[i], (uint64_t)cli_int(a, "--seed") + (uint64_t)i); live[i] = n_gen > 0; }
    for (;;) {
        for (nb = 0, i = 0; i < K; i++) {
            int32_t next;
            if (!live[i]) continue;
            if (smx_sample(lg + (size_t)i * V, V, sp, &rng[i], work, &next, &err)) { fprintf(stderr, "seqmix generate: %s\n", err.msg); rc = 1; goto out; }
            total++;
            if (!cli_on(a, "--ignore-eos") && cli_is_eos(tok, next)) { live[i] = 0; nstop++; continue; }
            gen[(size_t)i * n_gen + done[i]++] = next;
            if (done[i] == n_gen) { live[i] = 0; continue; }
            bs[nb] = ss[i]; bid[nb] = next; bix[nb] = i; nb++;
        }
        if (!nb) break;
        if (smx_batch_step(bs, nb, bid, bl, &err) != SMX_OK) { fprintf(stderr, "\nseqmix generate: %s\n", err.msg); goto out; }
        steps++;
        stepped += nb;
        for (j = 0; j < nb; j++) memcpy(lg + (size_t)bix[j] * V, bl + (size_t)j * V, sizeof(float) * (size_t)V);
    }
    t3 = cli_now();
    for (i = 0; i < K; i++) {
        cli_out out;
        printf("[%d] ", i);
        cli_out_init(&out, cli_on(a, "--print-ids") ? NULL : tok, stdout);
        if (out.tok)
            for (j = 0; j < n_ids; j++) cli_out_push(&out, ids[j]);
        for (j = 0; j < done[i]; j++) cli_out_push(&out, gen[(size_t)i * n_gen + j]);
        cli_out_end(&out);
        printf("\n");
    }
    fflush(stdout);
    /* as the one-sequence line, summed over the sequences: tokens sampled, and the aggregate rate of
     * the tokens the batched steps ran */
    fprintf(stderr, "prefill %d tokens: %.1f tok/s; decode %lld tokens: %.1f tok/s; %.2f ms/step; %d sequences in parallel\n", n_ids,
            n_ids / (t1 - t0), total, stepped > 0 ? (double)stepped / (t3 - t2) : 0.0, steps > 0 ? (t3 - t2) * 1e3 / steps : 0.0, K);
    fprintf(stderr, "prompt state copied into %d sessions in %.2f ms\n", K - 1, (t2 - t1) * 1e3);
    if (nstop) fprintf(stderr, "%d sequences stopped at an end-of-generation token (--ignore-eos goes on)\n", nstop);
    rc = 0;
out:
    if (ss)
        for (i = 1; i < K; i++) smx_session_free(ss[i]);
    free(ss); free(bs); free(rng); free(lg); free(bl); free(gen); free(bid); free(done); free(live); free(bix); free(blob); free(work);
    return rc;
}

static int cmd_generate(const cli_args *a)
{
    const char *dir = a->pos[0];
    smx_model *m = NULL;
    smx_model_info in;
    smx_session *s = NULL;
    smx_session_options so;
    smx_sampler sp;
    smx_rng rng;
    smx_error err;
    const smx_tokenizer *tok;
    cli_out out;
    int32_t *ids = NULL, next = -1;
    long long n_gen = cli_int(a, "--tokens"), done = 0;
    int n_ids = 0, V, i, rc, stop = 0;
    float *lg = NULL;
    void *work = NULL;
    double t0, t1, t2, load_ms = 0.0;
    if ((rc = cli_one_of(a, "--ids", "--prompt")) || (rc = cli_special_check(a, "--prompt"))) return rc;
    if (cli_given(a, "--prompt") && !cli_str(a, "--prompt")[0]) return cli_fail(a, "--prompt", "is empty");
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
    if ((rc = cli_load(a, dir, &m, &load_ms))) return rc;
    smx_model_get_info(m, &in);
    fprintf(stderr, "load %s (%s): %.1f ms\n", dir, in.architecture, load_ms);
    rc = 2;
    if (in.kind != SMX_KIND_TOKENS) {
        fprintf(stderr, "seqmix generate: %s is a feature model (%s): it has no tokens to generate\n", dir, in.architecture);
        goto out;
    }
    if (!in.causal) {
        fprintf(stderr, "seqmix generate: %s is a masked-diffusion (bidirectional) model: use seqmix diffuse\n", dir);
        goto out;
    }
    if ((rc = cli_prompt_ids(a, m, dir, &ids, &n_ids))) goto out;
    rc = 2;
    V = smx_model_vocab(m);
    tok = smx_model_tokenizer(m, NULL);
    if (n_gen > (long long)INT_MAX - n_ids) {
        cli_fail(a, "--tokens (-n)", "the prompt (%d tokens) and %lld generated tokens overflow an int", n_ids, n_gen);
        goto out;
    }
    if (in.max_context > 0 && n_ids > in.max_context) {
        cli_fail(a, cli_given(a, "--prompt") ? "--prompt" : "--ids", "the prompt has %d tokens, more than the model's context of %d tokens",
                 n_ids, in.max_context);
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
    if (cli_int(a, "--parallel") > 1) {
        rc = generate_parallel(a, m, s, &so, ids, n_ids, n_gen, tok, &sp);
        goto out;
    }
    lg = (float *)malloc(sizeof(float) * (size_t)V);
    work = malloc(smx_sample_work_bytes(V));
    if (!lg || !work) { fprintf(stderr, "seqmix generate: out of memory for %d logits\n", V); rc = 1; goto out; }
    /* text: the prompt, then each token as it comes; ids (--print-ids, or no tokenizer): the generated ones */
    cli_out_init(&out, cli_on(a, "--print-ids") ? NULL : tok, stdout);
    t0 = cli_now();
    if (smx_session_prefill(s, ids, n_ids, lg, 0)) { fprintf(stderr, "seqmix generate: %s\n", smx_session_error(s)); goto out; }
    t1 = cli_now();
    if (out.tok)
        for (i = 0; i < n_ids; i++) cli_out_push(&out, ids[i]);
    for (done = 0; done < n_gen;) {
        if (smx_sample(lg, V, &sp, &rng, work, &next, &err)) { fprintf(stderr, "seqmix generate: %s\n", err.msg); rc = 1; goto out; }
        done++;
        if (!cli_on(a, "--ignore-eos") && cli_is_eos(tok, next)) { stop = 1; break; }
        cli_out_push(&out, next);
        if (done < n_gen && smx_session_step(s, next, lg)) {
            fprintf(stderr, "\nseqmix generate: %s\n", smx_session_error(s));
            goto out;
        }
    }
    t2 = cli_now();
    cli_out_end(&out);
    printf("\n");
    fflush(stdout);
    /* the summary, in a form tools/peer_bench.sh parses: done samples, done - 1 timed steps */
    fprintf(stderr, "prefill %d tokens: %.1f tok/s; decode %d tokens: %.1f tok/s", n_ids, n_ids / (t1 - t0), (int)done,
            done > 1 ? (done - 1) / (t2 - t1) : 0.0);
    if (done > 1) fprintf(stderr, "; %.2f ms/token", (t2 - t1) * 1e3 / (double)(done - 1));
    fprintf(stderr, "\n");
    if (stop) fprintf(stderr, "stopped at the end-of-generation token %ld after %lld tokens (--ignore-eos goes on)\n", (long)next, done);
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
    CLI_FLAG_WEIGHTS,
    CLI_FLAG_EXACT,
};

static int cmd_bench_models(const cli_args *a)
{
    const char *dir = cli_str(a, "--model");
    int nth = (int)cli_int(a, "--threads"), quick = cli_on(a, "--quick"), rc = 0;
    smx_model *m = NULL;
    double load_ms = 0.0;
    if ((rc = cli_conflict(a, "--model", "--only"))) return rc;
    if (!dir && cli_given(a, "--weights")) return cli_fail(a, "--weights", "applies to -m MODEL (the family shapes are built in float32)");
    if (!dir && cli_given(a, "--exact")) return cli_fail(a, "--exact", "applies to -m MODEL");
    /* load first: a model that does not load is a usage error, before any output */
    if (dir && (rc = cli_load(a, dir, &m, &load_ms))) return rc;
    bench_open("bench-models", cli_on(a, "--json"), nth, quick);
    if (dir) {
        rc = bench_model_dir(dir, m, load_ms, nth, quick);
        smx_model_free(m);
    } else {
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
    { "info", "architecture, layers, parameters, state and KV bytes, weights, tokenizer", "MODEL [--weights TYPE]",
      "Architecture, layer pattern, parameters, per-sequence state bytes (fixed recurrent state and\n"
      "KV-cache bytes per token) of MODEL; then the weight matrices as loaded, one line per group\n"
      "(layer and expert indices as *): count, type in memory, the type it was converted from,\n"
      "shape, bytes, used in place from the file or copied; totals per type, how many were\n"
      "converted and how many fell back from the --weights type (the output head, or rows that do\n"
      "not fill the type's blocks); and the tokenizer (kind, ids, BOS, end-of-generation ids) or\n"
      "why there is none.\n"
      "Pattern letters: A attention, F feed-forward, E mixture of experts, M Mamba, 2 Mamba-2,\n"
      "X mLSTM, S sLSTM, C short conv, L liquid (CfC/LTC), G gated DeltaNet.",
      CLI_FLAGS(info_flags), 1, 1, "MODEL", cmd_info },
    { "conform", "check a golden case (a checkpoint with golden.safetensors, or a GGUF case folder)", "DIR [--tol 1e-3] [--weights TYPE]",
      "Checks the model in DIR against DIR/golden.safetensors: prefill vs logits, token-by-token\n"
      "steps, prefill-then-step, greedy continuation (exact); feature models: whole sequence, step\n"
      "by step and final states; diffusion models: forward and sampler runs. With --weights the\n"
      "weights are converted first (a quantized type needs a looser --tol).\n"
      "A GGUF case folder (model-<type>.gguf files with llama.cpp's golden-<type>.safetensors):\n"
      "each file's prefill against llama.cpp's logits (F32: 1e-4; other types within their\n"
      "tolerance of the F32 logits' range, with the activations seqmix runs by default), step by\n"
      "step, the greedy ids while llama.cpp's margin allows, quantized files also with float32\n"
      "activations against logits_deq (1e-4); with input.txt, its tokenization against input_ids.\n"
      "Exit 0 all pass, 1 mismatch, 2 could not load (or family not built).",
      CLI_FLAGS(conform_flags), 1, 1, "DIR", cmd_conform },
    { "generate", "autoregressive generation from text or token ids",
      "MODEL (--prompt TEXT | --ids 1,2,3) [-n 32] [--temperature 0 [--top-k K] [--top-p P] [--seed N]]",
      "Prefills the prompt, then samples up to N tokens (greedy at temperature 0) and prints the\n"
      "prompt and the text as it comes, decoded by the model's tokenizer (special tokens left out;\n"
      "--print-ids: the generated ids instead; a model without a tokenizer prints ids). --prompt is\n"
      "encoded with the model's tokenizer: BOS/EOS added as it adds them and special-token text\n"
      "recognised (--no-special: the text as it is). Generation stops at an end-of-generation\n"
      "token of the tokenizer (not printed) unless --ignore-eos. On stderr: the load time, then\n"
      "  prefill N tokens: X tok/s; decode M tokens: Y tok/s; Z ms/token\n"
      "(M tokens sampled, M - 1 steps timed). The prompt and the generated tokens must fit the\n"
      "model's context; nothing is cut. --parallel K decodes K sequences of the prompt together\n"
      "(the prompt prefilled once, its state copied; each step one pass over the weights for all\n"
      "of them) and prints them one after another, then the same line with M summed over the\n"
      "sequences and Y the aggregate rate of the batched steps, and the milliseconds per step.",
      CLI_FLAGS(generate_flags), 1, 1, "MODEL", cmd_generate },
    { "diffuse", "masked-diffusion generation (LLaDA) from text or token ids",
      "MODEL (--prompt TEXT | --ids 1,2,3) [--gen-length 128] [--steps N] [--block-length N] ...",
      "Masked-diffusion generation (LLaDA): the prompt followed by gen-length mask tokens is refined\n"
      "over --steps steps in blocks of --block-length; prints the prompt and the generated text\n"
      "(decoded by the model's tokenizer, up to the first end-of-generation token unless\n"
      "--ignore-eos; --print-ids or no tokenizer: the generated ids) and the speed. The defaults are\n"
      "the reference sampler. Faster, approximate options:\n"
      "  --threshold X      also commit every masked position of the block with confidence >= X;\n"
      "                     blocks finish early (the step schedule stays a floor)\n"
      "  --prefix-cache M   keys/values of the positions before the current block are computed once\n"
      "                     per block; later steps run: prefix: the block and everything after it;\n"
      "                     dual: the block alone, seeing the after-block positions as cached;\n"
      "                     block: the block alone, the after-block positions dropped",
      CLI_FLAGS(diffuse_flags), 1, 1, "MODEL", cmd_diffuse },
    { "eval", "bits per byte and perplexity of a model on a text file", "MODEL --text FILE [--window 256]",
      "Bits per byte and perplexity per token of a language model on a text file, tokenized with\n"
      "the model's tokenizer as plain text: the ids of the file (or of its first N bytes) are cut\n"
      "into consecutive windows of --window tokens, each run from an empty state; every token after\n"
      "the first of its window is predicted (a tokenizer that adds a BOS: each window is the BOS and\n"
      "the next window-1 tokens, all predicted). Bits per byte = bits per predicted token x tokens /\n"
      "bytes of the text (a byte-level model: bits / predicted bytes). For a masked-diffusion model\n"
      "it prints the masked-token loss instead: every --mask-period-th token (i % period == 1) of\n"
      "each window is masked and predicted.",
      CLI_FLAGS(eval_flags), 1, 1, "MODEL", cmd_eval },
    { "tokenize", "text to token ids with a tokenizer", "SRC (--text TEXT | --file FILE) [--ids-only] [--no-special [--parse-special]]",
      "Encodes the text with the tokenizer SRC (a tokenizer.json, a folder holding one such as a model\n"
      "folder, or a .gguf file) as generate encodes a prompt: BOS/EOS added as the tokenizer adds them,\n"
      "special-token text recognised; --no-special: neither; --no-special --parse-special: special-token\n"
      "text recognised, nothing added. Prints one line per token (id, vocabulary string, whether it is\n"
      "special) and the count; --ids-only: the ids alone, comma-separated.",
      CLI_FLAGS(tokenize_flags), 1, 1, "SRC", cmd_tokenize },
    { "detokenize", "token ids to text with a tokenizer", "SRC --ids 1,2,3 [--skip-special]",
      "Decodes the ids with the tokenizer SRC (as tokenize) the way its reference decoder does\n"
      "(Hugging Face decode, llama.cpp llama_detokenize) and prints the text and a newline. An id\n"
      "outside the tokenizer's ids is refused, naming it.",
      CLI_FLAGS(detokenize_flags), 1, 1, "SRC", cmd_detokenize },
    { "bench-tokenizer", "encode and decode speed of a tokenizer on a file, and its round trip", "SRC FILE [--rounds 5] [--check] [--json]",
      "Encodes FILE as plain text with the tokenizer SRC and decodes the ids again, --rounds times:\n"
      "encode and decode MB/s of text, median (min..max), the token count, and whether\n"
      "decode(encode(text)) gives the text back byte for byte (byte-level BPE tokenizers do for any\n"
      "valid UTF-8; normalizers, unknown tokens and added prefix spaces lose bytes). --check: exit\n"
      "status 1 when it does not.",
      CLI_FLAGS(bench_tokenizer_flags), 2, 2, "SRC FILE", cmd_bench_tokenizer },
    { "bench", "scan layers vs attention over sequence length (table, CSV, SVG), or one model", "[-m MODEL] [--quick] [--json] ...",
      "Scan layers vs attention: for every layer type built in (one layer, width W) and for whole\n"
      "hybrids (pure attention, 1:7 attention:Mamba, pure Mamba; 8 blocks with SwiGLU), prefill time\n"
      "and per-token decode time at each context length, per-sequence memory (KV cache vs fixed\n"
      "state), the crossover length where each scan's decode beats attention's, and the time ratio\n"
      "per doubling of length. With -m MODEL: the same sweep of one causal token model, up to its\n"
      "context (--weights TYPE: its weights in that type). Times are medians with (min..max) over\n"
      "repetitions. Default lengths 128..32768 doubling; --quick: 128..4096.",
      CLI_FLAGS(bench_flags), 0, 0, "", cmd_bench },
    { "bench-models", "per-family speed on public-checkpoint shapes, or any model", "[-m MODEL [--weights TYPE] | --only FAMILIES] [--quick] [--json]",
      "Per-family benchmarks on models of public-checkpoint shapes with random weights: decode\n"
      "tokens/s as a fraction of the read-bandwidth roofline (bytes a decode step reads over the\n"
      "best bandwidth of several read patterns, measured between the decode rounds), prefill\n"
      "tokens/s, and family-specific figures (scan share of prefill, chunkwise vs step loop, CfC vs\n"
      "LTC, diffusion samplers, the gated DeltaNet layer alone). With -m MODEL: decode tokens/s and\n"
      "its roofline fraction, and prefill tokens/s at a few lengths, for any loadable model (its\n"
      "weights in --weights TYPE if given). Figures: median (min..max).",
      CLI_FLAGS(bench_models_flags), 0, 0, "", cmd_bench_models },
    { "bench-kernels", "matmul speed vs this machine's bandwidth and FMA peak, per weight type", "[--threads N] [--types LIST] [--json]",
      "Measures read bandwidth (several patterns) and FMA peak, then the matmul kernel at a decode\n"
      "shape (1x768 . 768x3072, weights streamed from memory) and a prefill shape\n"
      "(512x768 . 768x3072), with 1 .. N threads, as fractions of those limits; then the same two\n"
      "products for each weight type of --types, with float32 activations and, for the quantized\n"
      "types, with activations rounded to 8-bit blocks (what seqmix runs without --exact): decode\n"
      "GB/s of weights read and its fraction of the read bandwidth, prefill GFLOP/s.",
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
    fprintf(f, "\nMODEL is a model folder (config.json + model.safetensors, Hugging Face layout; tokenizer.json for\n"
               "text) or a .gguf file. SRC is a tokenizer: a tokenizer.json, a folder holding one, or a .gguf file.\n");
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
    cli_binary_stdout();
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
