/* generate.c — autoregressive text generation with any token model in a Hugging Face folder.
 *
 *   make build/generate
 *   ./build/generate --model models/hybrid --prompt "The " -n 200
 *   ./build/generate --model DIR --ids 1,2,3 -n 32 --temp 0      (models with a real tokenizer)
 *
 * Options: --temp T (default 0.7; 0 = greedy), --top-k K (0 = off), --top-p P (default 0.95),
 * --seed S, --threads N. Byte-level models (vocabulary 256) read --prompt as text and print text;
 * other models take --ids and print token ids. The speed goes to stderr at the end. */
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

static void put_token(int32_t id, int bytes)
{
    if (!bytes) printf("%d ", (int)id);
    else if (id == '\n' || id == '\t' || (id >= 32 && id < 127)) putchar((int)id);
    else printf("\\x%02x", (unsigned)id);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *dir = opt(argc, argv, "--model", "models/hybrid"), *ids_s = opt(argc, argv, "--ids", NULL);
    const char *prompt = opt(argc, argv, "--prompt", "The ");
    int n_gen = atoi(opt(argc, argv, "-n", "200")), n = 0, V, bytes, i;
    int32_t ids[1024], next;
    smx_model *m;
    smx_session *s;
    smx_session_options so;
    smx_sampler sp;
    smx_rng rng;
    smx_error err;
    smx_model_info info;
    float *logits;
    void *work;
    double t0, t1, t2;

    if (smx_model_load(dir, &m, &err) != SMX_OK) { fprintf(stderr, "%s: %s\n", dir, err.msg); return 1; }
    smx_model_get_info(m, &info);
    V = smx_model_vocab(m);
    bytes = V == 256;
    if (info.kind != SMX_KIND_TOKENS || !info.causal || smx_model_mask_token(m) >= 0) {
        fprintf(stderr, "%s (%s) is not an autoregressive token model%s\n", dir, info.architecture,
                smx_model_mask_token(m) >= 0 ? ": it is a masked-diffusion model, see examples/diffusion.c" : "");
        return 1;
    }
    if (ids_s) {                                        /* --ids 1,2,3 */
        char *end;
        while (*ids_s && n < 1024) {
            long v = strtol(ids_s, &end, 10);
            if (end == ids_s) break;
            ids[n++] = (int32_t)v;
            ids_s = *end == ',' ? end + 1 : end;
        }
    } else if (bytes) {                                 /* the prompt's bytes are the ids */
        while (prompt[n] && n < 1024) { ids[n] = (int32_t)(unsigned char)prompt[n]; n++; }
    }
    if (n == 0) { fprintf(stderr, "give a --prompt (byte-level models) or --ids 1,2,3\n"); return 1; }

    memset(&so, 0, sizeof so);
    so.capacity = n + n_gen;
    so.n_threads = atoi(opt(argc, argv, "--threads", "0"));
    if (smx_session_new(m, &so, &s, &err) != SMX_OK) { fprintf(stderr, "%s\n", err.msg); return 1; }
    sp.temperature = (float)atof(opt(argc, argv, "--temp", "0.7"));
    sp.top_k = atoi(opt(argc, argv, "--top-k", "0"));
    sp.top_p = (float)atof(opt(argc, argv, "--top-p", "0.95"));
    smx_rng_seed(&rng, strtoull(opt(argc, argv, "--seed", "1"), NULL, 10));
    logits = (float *)malloc(sizeof(float) * (size_t)V);
    work = malloc((sizeof(float) + sizeof(int)) * (size_t)V);

    for (i = 0; i < n; i++) put_token(ids[i], bytes);
    t0 = now();
    if (smx_session_prefill(s, ids, n, logits, 0) != SMX_OK) {   /* the prompt in one parallel pass */
        fprintf(stderr, "\n%s\n", smx_session_error(s));
        return 1;
    }
    t1 = now();
    for (i = 0; i < n_gen; i++) {                       /* then one token at a time */
        if (smx_sample(logits, V, &sp, &rng, work, &next, &err) != SMX_OK) { fprintf(stderr, "\n%s\n", err.msg); break; }
        put_token(next, bytes);
        if (i + 1 < n_gen && smx_session_step(s, next, logits) != SMX_OK) {
            fprintf(stderr, "\n%s\n", smx_session_error(s));
            break;
        }
    }
    t2 = now();
    fprintf(stderr, "\n\n[%s, %s: prompt %d tokens in %.1f ms, %d tokens at %.0f tokens/s]\n", info.architecture,
            info.pattern, n, 1e3 * (t1 - t0), n_gen, n_gen > 1 ? (n_gen - 1) / (t2 - t1) : 0.0);
    free(logits);
    free(work);
    smx_session_free(s);
    smx_model_free(m);
    return 0;
}
