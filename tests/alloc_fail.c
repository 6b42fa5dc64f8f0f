/* Allocation-failure test: for every N, the Nth allocation fails; load -> two sessions -> prefill
 * -> step -> state save/load -> free must then fail cleanly (the right status, a message, no crash;
 * no leak under ASan), for several families, a quantized GGUF file, and tokenizers (load ->
 * encode -> decode). Run from the repository root. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static long t_count, t_fail_at;   /* the allocation that fails (1-based); 0: none */

static void *t_malloc(size_t n) { return ++t_count == t_fail_at ? NULL : malloc(n); }
static void *t_realloc(void *p, size_t n) { return ++t_count == t_fail_at ? NULL : realloc(p, n); }
static void t_free(void *p) { free(p); }

#define SMX_MALLOC(n) t_malloc(n)
#define SMX_REALLOC(p, n) t_realloc(p, n)
#define SMX_FREE(p) t_free(p)
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"

/* The whole life of a model; returns its first failure (SMX_OK when every step worked). */
static smx_status t_life(const char *dir, const char *config, char *msg, size_t cap)
{
    smx_model *m = NULL;
    smx_session *a = NULL, *b = NULL;
    smx_session_options o;
    smx_error e;
    smx_status st;
    float *lg = NULL;
    void *blob = NULL;
    size_t n = 0;
    int32_t ids[6] = { 1, 2, 3, 4, 5, 6 };
    memset(&o, 0, sizeof o);
    o.n_threads = 2;
    o.capacity = 32;
    msg[0] = 0;
    st = dir ? smx_model_load(dir, &m, &e) : smx_model_from_config(config, 7, &m, &e);
    if (st) { snprintf(msg, cap, "%s", e.msg); return st; }
    if ((st = smx_session_new(m, &o, &a, &e)) || (st = smx_session_new(m, &o, &b, &e))) { snprintf(msg, cap, "%s", e.msg); goto done; }
    lg = (float *)malloc(sizeof(float) * (size_t)smx_model_vocab(m));
    if ((st = smx_session_prefill(a, ids, 5, lg, 0)) || (st = smx_session_step(a, ids[5], lg))) {
        snprintf(msg, cap, "%s", smx_session_error(a));
        goto done;
    }
    n = smx_session_state_size(a);
    blob = malloc(n);
    if ((st = smx_session_state_save(a, blob, n, &n)) || (st = smx_session_state_load(b, blob, n)) || (st = smx_session_logits(b, lg)))
        snprintf(msg, cap, "%s", smx_session_error(st == SMX_OK ? a : b));
done:
    free(lg);
    free(blob);
    smx_session_free(a);
    smx_session_free(b);
    smx_model_free(m);
    return st;
}

/* A tokenizer's life: load, encode with special tokens, decode. */
static smx_status t_tok_life(const char *path, char *msg, size_t cap)
{
    smx_tokenizer *t = NULL;
    smx_error e;
    smx_status st;
    int32_t ids[256];
    size_t n = 0, len = 0;
    char out[2048];
    static const char text[] = "Hello world, 123 <|begin_of_text|> caf\xc3\xa9  \xe4\xb8\xad\xe6\x96\x87!";
    msg[0] = 0;
    if ((st = smx_tokenizer_load(path, &t, &e)) != SMX_OK) { snprintf(msg, cap, "%s", e.msg); return st; }
    if ((st = smx_tokenize(t, text, sizeof text - 1, SMX_TOK_ADD_SPECIAL, ids, 256, &n, &e)) == SMX_OK &&
        (st = smx_detokenize(t, ids, n, 0, out, sizeof out, &len, &e)) != SMX_OK)
        snprintf(msg, cap, "%s", e.msg);
    else if (st) snprintf(msg, cap, "%s", e.msg);
    smx_tokenizer_free(t);
    return st;
}

int main(void)
{
    static const char *dirs[] = { "tests/golden/llama", "tests/golden/mamba2", "tests/golden/xlstm_lm", "tests/golden/lfm2",
                                  "tests/golden/jamba", "tests/golden/gguf/jamba_moe/model-q4_0.gguf" };
    static const char *toks[] = { "tests/golden/tok/hf-llama3/tokenizer.json", "tests/golden/tok/gguf-llama-spm/ggml-vocab-llama-spm.gguf" };
    static const char *stack = "{\"architectures\": [\"SeqmixForCausalLM\"], \"model_type\": \"seqmix\", \"vocab_size\": 40, "
                               "\"hidden_size\": 32, \"layers\": [{\"type\": \"mamba\"}, {\"type\": \"attention\", \"num_heads\": 2}, "
                               "{\"type\": \"moe\", \"num_experts\": 4}, {\"type\": \"mlstm\", \"num_heads\": 2}, {\"type\": \"cfc\"}]}";
    int pass = 0, fail = 0, k;
    const int nd = (int)(sizeof dirs / sizeof *dirs), nt = (int)(sizeof toks / sizeof *toks);
    for (k = 0; k <= nd + nt; k++) {
        const char *dir = k < nd ? dirs[k] : k > nd ? toks[k - nd - 1] : NULL;
        const int tok = k > nd;
        char msg[600];
        long total, N;
        int bad = 0;
        t_fail_at = 0;
        t_count = 0;
        if ((tok ? t_tok_life(dir, msg, sizeof msg) : t_life(dir, stack, msg, sizeof msg)) != SMX_OK) {
            printf("FAIL %s: does not run without failures: %s\n", dir ? dir : "stack", msg);
            fail++;
            continue;
        }
        total = t_count;
        for (N = 1; N <= total; N++) {
            smx_status st;
            t_count = 0;
            t_fail_at = N;
            st = tok ? t_tok_life(dir, msg, sizeof msg) : t_life(dir, stack, msg, sizeof msg);
            /* a failed thread pool is no error (the session runs on the caller's thread) */
            if (st != SMX_OK && (st != SMX_E_NOMEM || !msg[0])) {
                printf("FAIL %s: allocation %ld of %ld failing gives %s: '%s'\n", dir ? dir : "stack", N, total, smx_status_str(st), msg);
                bad++;
            }
        }
        t_fail_at = 0;
        if (bad) fail++;
        else pass++;
        printf("%s %s: %ld allocations, each failed once\n", bad ? "FAIL" : "ok  ", dir ? dir : "stack", total);
    }
    printf("%d passed, %d failed, 0 skipped\n", pass, fail);
    return fail ? 1 : 0;
}
