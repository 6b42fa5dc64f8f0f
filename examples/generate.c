/* generate.c — autoregressive text generation with any token model and its own tokenizer.
 *
 *   make build/generate
 *   ./build/generate --model models/hybrid --prompt "The " -n 200
 *   ./build/generate --model DIR --ids 1,2,3 -n 32 --temp 0      (token ids in, for a model without tokenizer.json)
 *
 * Options: --temp T (default 0.7; 0 = greedy), --top-k K (0 = off), --top-p P (default 0.95),
 * --seed S, --threads N. The prompt is encoded with the model's tokenizer (tokenizer.json of the
 * folder, or the vocabulary of a .gguf file) and the tokens are printed as text as they come;
 * generation stops at an end-of-generation token. A model without a tokenizer takes --ids and
 * prints ids. The speed goes to stderr at the end. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <windows.h>
#endif

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
    int i;
    for (i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return def;
}

static double now(void)
{
#ifdef _WIN32
    LARGE_INTEGER t, f;
    QueryPerformanceCounter(&t);
    QueryPerformanceFrequency(&f);
    return (double)t.QuadPart / (double)f.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
}

/* Print one token: its text through the streaming decoder, or its id without a tokenizer. */
static void put_token(const smx_tokenizer *tok, smx_detok_stream *ds, int32_t id)
{
    char text[256];
    size_t len = 0;
    if (!tok) printf("%d ", (int)id);
    else if (smx_detok_stream_push(ds, id, text, sizeof text, &len) == SMX_OK) fwrite(text, 1, len, stdout);
    fflush(stdout);
}

/* Whether id ends generation (one of the tokenizer's end-of-generation ids). */
static int is_eos(const smx_tokenizer *tok, int32_t id)
{
    const int32_t *eos;
    int n = tok ? smx_tokenizer_eos_ids(tok, &eos) : 0, i;
    for (i = 0; i < n; i++)
        if (eos[i] == id) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = opt(argc, argv, "--model", "models/hybrid"), *ids_s = opt(argc, argv, "--ids", NULL);
    const char *prompt = opt(argc, argv, "--prompt", "The "), *why;
    int n_gen = atoi(opt(argc, argv, "-n", "200")), V, i;
    int32_t ids[1024], next;
    size_t n = 0;
    smx_model *m;
    smx_session *s;
    smx_session_options so;
    smx_sampler sp;
    smx_rng rng;
    smx_error err;
    smx_model_info info;
    const smx_tokenizer *tok;
    smx_detok_stream ds;
    float *logits;
    void *work;
    double t0, t1, t2;

    if (smx_model_load(dir, &m, &err) != SMX_OK) { fprintf(stderr, "%s: %s\n", dir, err.msg); return 1; }
    smx_model_get_info(m, &info);
    V = smx_model_vocab(m);
    if (info.kind != SMX_KIND_TOKENS || !info.causal || smx_model_mask_token(m) >= 0) {
        fprintf(stderr, "%s (%s) is not an autoregressive token model%s\n", dir, info.architecture,
                smx_model_mask_token(m) >= 0 ? ": it is a masked-diffusion model, see examples/diffusion.c" : "");
        return 1;
    }
    tok = smx_model_tokenizer(m, &why);                 /* NULL (and why) when the checkpoint has none */
    if (ids_s) {                                        /* --ids 1,2,3 */
        char *end;
        while (*ids_s && n < 1024) {
            long v = strtol(ids_s, &end, 10);
            if (end == ids_s) break;
            ids[n++] = (int32_t)v;
            ids_s = *end == ',' ? end + 1 : end;
        }
    } else if (!tok) {
        fprintf(stderr, "%s has no tokenizer (%s): give the prompt as --ids 1,2,3\n", dir, why);
        return 1;
    } else if (smx_tokenize(tok, prompt, strlen(prompt), SMX_TOK_ADD_SPECIAL | SMX_TOK_PARSE_SPECIAL, ids, 1024, &n, &err) != SMX_OK) {
        fprintf(stderr, "the prompt: %s\n", err.msg);   /* (SMX_E_CAPACITY: more than 1024 tokens) */
        return 1;
    }
    if (n == 0) { fprintf(stderr, "the prompt has no tokens\n"); return 1; }

    memset(&so, 0, sizeof so);
    so.capacity = (int)n + n_gen;
    so.n_threads = atoi(opt(argc, argv, "--threads", "0"));
    if (smx_session_new(m, &so, &s, &err) != SMX_OK) { fprintf(stderr, "%s\n", err.msg); return 1; }
    sp.temperature = (float)atof(opt(argc, argv, "--temp", "0.7"));
    sp.top_k = atoi(opt(argc, argv, "--top-k", "0"));
    sp.top_p = (float)atof(opt(argc, argv, "--top-p", "0.95"));
    smx_rng_seed(&rng, strtoull(opt(argc, argv, "--seed", "1"), NULL, 10));
    logits = (float *)malloc(sizeof(float) * (size_t)V);
    work = malloc(smx_sample_work_bytes(V));

    if (tok) smx_detok_stream_init(&ds, tok, SMX_TOK_SKIP_SPECIAL);
    for (i = 0; i < (int)n && tok; i++) put_token(tok, &ds, ids[i]);   /* echo the prompt as text */
    t0 = now();
    if (smx_session_prefill(s, ids, (int)n, logits, 0) != SMX_OK) {   /* the prompt in one parallel pass */
        fprintf(stderr, "\n%s\n", smx_session_error(s));
        return 1;
    }
    t1 = now();
    for (i = 0; i < n_gen; i++) {                       /* then one token at a time */
        if (smx_sample(logits, V, &sp, &rng, work, &next, &err) != SMX_OK) { fprintf(stderr, "\n%s\n", err.msg); break; }
        if (is_eos(tok, next)) { i++; break; }          /* the model ended the text */
        put_token(tok, &ds, next);
        if (i + 1 < n_gen && smx_session_step(s, next, logits) != SMX_OK) {
            fprintf(stderr, "\n%s\n", smx_session_error(s));
            break;
        }
    }
    t2 = now();
    if (tok) {                                          /* a character the last token left unfinished */
        char text[16];
        size_t len = 0;
        if (smx_detok_stream_flush(&ds, text, sizeof text, &len) == SMX_OK) fwrite(text, 1, len, stdout);
    }
    fprintf(stderr, "\n\n[%s, %s: prompt %d tokens in %.1f ms, %d tokens at %.0f tokens/s]\n", info.architecture,
            info.pattern, (int)n, 1e3 * (t1 - t0), i, i > 1 ? (i - 1) / (t2 - t1) : 0.0);
    free(logits);
    free(work);
    smx_session_free(s);
    smx_model_free(m);
    return 0;
}
