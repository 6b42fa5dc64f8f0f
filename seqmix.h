/* seqmix.h — single-header C99 inference for post-Transformer sequence models.
 *
 * Attention, xLSTM, Mamba-style selective scans, masked-diffusion LMs and liquid networks behind
 * one layer vtable. Loads Hugging Face folders (config.json + safetensors) and reproduces the
 * reference implementations.
 *
 * USAGE
 *   In exactly one C or C++ file:
 *       #define SEQMIX_IMPLEMENTATION
 *       #include "seqmix.h"
 *   Everywhere else just #include "seqmix.h".
 *
 *       smx_error err;  smx_model *m;  smx_session *s;
 *       if (smx_model_load("path/to/hf-folder", &m, &err)) { puts(err.msg); return 1; }
 *       smx_session_new(m, NULL, &s, &err);
 *       int32_t ids[] = {1, 15043, 3186};
 *       float *logits = malloc(sizeof(float) * smx_model_vocab(m));
 *       smx_session_prefill(s, ids, 3, logits, 0);          // logits of the last position
 *       for (int i = 0; i < 16; i++) {
 *           int32_t next = smx_argmax(logits, smx_model_vocab(m));
 *           smx_session_step(s, next, logits);
 *       }
 *       smx_session_free(s); smx_model_free(m); free(logits);
 *
 * CONFIGURATION MACROS (define before including)
 *   SEQMIX_IMPLEMENTATION   emit the implementation in this translation unit
 *   SEQMIX_STATIC           make every API function static (private copy per file)
 *   SMX_MALLOC/SMX_REALLOC/SMX_FREE   allocation hooks (define all three or none)
 *   SMX_NO_SIMD             force the scalar kernels (default: AVX-512, AVX2+FMA or NEON from the
 *                           compiler's own macros, e.g. -march=native)
 *   SMX_NO_MMAP             read checkpoint files into memory instead of mapping them
 *   OpenMP                  compile with -fopenmp to run coarse loops on several threads; the
 *                           thread count is a per-session option
 *
 * TABLE OF CONTENTS
 *   Part I   — API (inside the header guard)
 *     1. Status codes and errors
 *     2. Models: load, inspect, free
 *     3. Sessions: prefill, step, feature sequences, state save/load
 *     4. Sampling and RNG
 *   Part II  — Implementation (under SEQMIX_IMPLEMENTATION)
 *     1. Platform, allocation, arena, errors, hashing
 *     2. JSON parser (RFC 8259)
 *     3. safetensors reader and Hugging Face folder loader
 *     4. SIMD mapping layer and kernels
 *     5. The layer vtable and the model structure
 *     6. Operators: attention, MLP
 *     7. Families (one section each)
 *     8. Architecture registry and smx_model_load
 *     9. Sessions, state blobs, sampling
 *   Licence and history at the end.
 */
#ifndef SEQMIX_H
#define SEQMIX_H

#include <stddef.h>
#include <stdint.h>

#define SMX_VERSION_MAJOR 0
#define SMX_VERSION_MINOR 1
#define SMX_VERSION_PATCH 0

#ifdef SEQMIX_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define SMX_API static __attribute__((unused))
#else
#define SMX_API static
#endif
#else
#define SMX_API extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================================== */
/* I.1 Status codes and errors                                                           */
/* ===================================================================================== */

typedef enum smx_status {
    SMX_OK = 0,
    SMX_E_ARG,          /* an argument is invalid (NULL, negative count, ...) */
    SMX_E_IO,           /* a file is missing or cannot be read */
    SMX_E_JSON,         /* malformed JSON (message has the byte offset) */
    SMX_E_FORMAT,       /* malformed safetensors file or state blob */
    SMX_E_UNSUPPORTED,  /* unknown architecture, dtype or option */
    SMX_E_MISSING,      /* a required tensor or config field is absent */
    SMX_E_SHAPE,        /* a tensor's shape disagrees with the config */
    SMX_E_RANGE,        /* a token id or value is out of range */
    SMX_E_CAPACITY,     /* more tokens than the session can hold */
    SMX_E_STATE,        /* a state blob is corrupt or belongs to another model */
    SMX_E_NOMEM         /* allocation failed */
} smx_status;

/* Errors from functions that create objects land here: status plus a message naming the file,
 * tensor, field or argument at fault. */
typedef struct smx_error {
    smx_status status;
    char msg[512];
} smx_error;

SMX_API const char *smx_status_str(smx_status s);
SMX_API const char *smx_version(void);
SMX_API const char *smx_simd_name(void);        /* "avx512", "avx2", "neon" or "scalar" */

/* ===================================================================================== */
/* I.2 Models                                                                            */
/* ===================================================================================== */

typedef struct smx_model smx_model;

typedef enum smx_model_kind {
    SMX_KIND_TOKENS = 0,    /* token ids in, logits out */
    SMX_KIND_FEATURES = 1   /* feature vectors (with elapsed times) in, feature vectors out */
} smx_model_kind;

typedef struct smx_model_info {
    const char *architecture;   /* e.g. "LlamaForCausalLM" */
    const char *model_type;     /* e.g. "llama" */
    const char *pattern;        /* one letter per sub-layer, e.g. "AFAF" (see smx_model_load) */
    smx_model_kind kind;
    int vocab_size;             /* rows of the output (logits) for token models */
    int hidden_size;
    int n_layers;               /* sub-layers (norm -> op -> residual) */
    int input_size, output_size;/* feature models */
    int causal;                 /* 0 for bidirectional (masked-diffusion) models */
    int max_context;            /* from the config; 0 = none */
    size_t n_params;
    size_t weight_bytes;        /* bytes of weights in the compute type */
    size_t state_bytes;         /* fixed per-sequence state (recurrent layers) */
    size_t kv_bytes_per_token;  /* growing per-sequence state (attention layers) */
} smx_model_info;

/* Load a Hugging Face folder: config.json + model.safetensors (or model.safetensors.index.json
 * with shards). F32/F16/BF16 weights are converted to float32. */
SMX_API smx_status smx_model_load(const char *dir, smx_model **out, smx_error *err);
/* Build a model of any supported architecture from config.json text with random weights
 * (seeded, scaled so activations stay O(1)); the same builders as smx_model_load. */
SMX_API smx_status smx_model_from_config(const char *config_json, uint64_t seed, smx_model **out, smx_error *err);
/* Save a model made by smx_model_from_config (or the builder) as a Hugging Face folder:
 * DIR/config.json + DIR/model.safetensors (F32). Loading it back gives identical weights. */
SMX_API smx_status smx_model_save(const smx_model *m, const char *dir, smx_error *err);
SMX_API void smx_model_free(smx_model *m);
SMX_API void smx_model_get_info(const smx_model *m, smx_model_info *info);
SMX_API int smx_model_vocab(const smx_model *m);
SMX_API int smx_model_mask_token(const smx_model *m);   /* masked-diffusion models; else -1 */
/* Writes "Arch (model_type), ..." of every architecture this build loads; returns buf. */
SMX_API char *smx_supported_architectures(char *buf, size_t cap);

/* ===================================================================================== */
/* I.3 Sessions                                                                          */
/* ===================================================================================== */

typedef struct smx_session smx_session;

typedef struct smx_session_options {
    int capacity;   /* most tokens the session holds; 0 = the model's max context (or 4096) */
    int batch;      /* tokens per internal forward chunk for causal models; 0 = 512 */
    int n_threads;  /* 0 = OpenMP default (1 without OpenMP) */
} smx_session_options;

SMX_API smx_status smx_session_new(const smx_model *m, const smx_session_options *opt,
                                   smx_session **out, smx_error *err);
SMX_API void smx_session_free(smx_session *s);
SMX_API void smx_session_reset(smx_session *s);
SMX_API int smx_session_pos(const smx_session *s);          /* tokens/steps consumed so far */
SMX_API int smx_session_capacity(const smx_session *s);
SMX_API const char *smx_session_error(const smx_session *s); /* message of the last failure */

/* Token models. Feed n tokens continuing from the state; logits receives [vocab] for the last
 * position (all = 0) or [n, vocab] (all = 1); it may be NULL. On error nothing changes. */
SMX_API smx_status smx_session_prefill(smx_session *s, const int32_t *ids, int n, float *logits, int all);
SMX_API smx_status smx_session_step(smx_session *s, int32_t id, float *logits);
/* Move back to position pos (drop later tokens). Only models whose layers keep a per-token cache
 * (attention) can rewind; others return SMX_E_UNSUPPORTED. */
SMX_API smx_status smx_session_rewind(smx_session *s, int pos);

/* Feature models. in: [T, input_size]; dt: [T] elapsed time per step (NULL = 1.0 each);
 * out: [T, output_size] (may be NULL). Irregular sampling is what dt is for. */
SMX_API smx_status smx_session_run(smx_session *s, const float *in, const float *dt, int T, float *out);
/* A layer's recurrent state (read/write); bytes receives its size. Layout per family docs. */
SMX_API float *smx_session_layer_state(smx_session *s, int layer, size_t *bytes);

/* State save/load: a versioned, checksummed blob tied to the model it came from. */
SMX_API size_t smx_session_state_size(const smx_session *s);
SMX_API smx_status smx_session_state_save(smx_session *s, void *buf, size_t cap, size_t *written);
SMX_API smx_status smx_session_state_load(smx_session *s, const void *buf, size_t len);

/* ===================================================================================== */
/* I.4 Sampling and RNG                                                                  */
/* ===================================================================================== */

typedef struct smx_rng { uint64_t s[4]; } smx_rng;
SMX_API void smx_rng_seed(smx_rng *r, uint64_t seed);
SMX_API uint64_t smx_rng_next(smx_rng *r);
SMX_API double smx_rng_uniform(smx_rng *r);          /* [0, 1), 53 bits */

typedef struct smx_sampler {
    float temperature;  /* <= 0: greedy */
    int top_k;          /* <= 0: off */
    float top_p;        /* >= 1 or <= 0: off */
} smx_sampler;

SMX_API int32_t smx_argmax(const float *x, int n);  /* first maximum */
/* Draw a token from logits [n]; work must hold n floats and n ints (sizeof(float)+sizeof(int))*n
 * bytes, or be NULL to use the session-free greedy path when temperature <= 0. */
SMX_API int32_t smx_sample(const float *logits, int n, const smx_sampler *p, smx_rng *rng, void *work);

#include "parts/liquid_api.h"
#include "parts/diffusion_api.h"
#include "parts/builder_api.h"

#ifdef __cplusplus
}
#endif
#endif /* SEQMIX_H */

/* ##################################################################################### */
/* Part II — Implementation                                                              */
/* ##################################################################################### */
#ifdef SEQMIX_IMPLEMENTATION
#ifndef SEQMIX_IMPLEMENTATION_ONCE
#define SEQMIX_IMPLEMENTATION_ONCE

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <float.h>
#include <locale.h>

/* ===================================================================================== */
/* II.1 Platform, allocation, arena, errors, hashing                                     */
/* ===================================================================================== */

#if defined(SMX_MALLOC) && defined(SMX_REALLOC) && defined(SMX_FREE)
#elif !defined(SMX_MALLOC) && !defined(SMX_REALLOC) && !defined(SMX_FREE)
#define SMX_MALLOC(n) malloc(n)
#define SMX_REALLOC(p, n) realloc(p, n)
#define SMX_FREE(p) free(p)
#else
#error "define all of SMX_MALLOC, SMX_REALLOC and SMX_FREE, or none"
#endif

#if !defined(SMX_NO_MMAP) && (defined(__unix__) || defined(__APPLE__))
#define SMX__MMAP 1
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#else
#define SMX__MMAP 0
#endif

#ifdef _OPENMP
#include <omp.h>
#define SMX__PRAGMA(x) _Pragma(#x)
#define SMX__OMP_FOR(nth) SMX__PRAGMA(omp parallel for schedule(static) num_threads(nth) if(nth > 1))
#define SMX__OMP_FOR_DYN(nth) SMX__PRAGMA(omp parallel for schedule(dynamic, 1) num_threads(nth) if(nth > 1))
#else
#define SMX__OMP_FOR(nth)
#define SMX__OMP_FOR_DYN(nth)
#endif

#ifdef __cplusplus
#define SMX__RESTRICT __restrict
#else
#define SMX__RESTRICT restrict
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SMX__MAYBE_UNUSED __attribute__((unused))
#else
#define SMX__MAYBE_UNUSED
#endif

#define SMX__MIN(a, b) ((a) < (b) ? (a) : (b))
#define SMX__MAX(a, b) ((a) > (b) ? (a) : (b))

SMX_API const char *smx_status_str(smx_status s)
{
    switch (s) {
    case SMX_OK: return "ok";
    case SMX_E_ARG: return "invalid argument";
    case SMX_E_IO: return "i/o error";
    case SMX_E_JSON: return "malformed JSON";
    case SMX_E_FORMAT: return "malformed file";
    case SMX_E_UNSUPPORTED: return "unsupported";
    case SMX_E_MISSING: return "missing tensor or field";
    case SMX_E_SHAPE: return "shape mismatch";
    case SMX_E_RANGE: return "value out of range";
    case SMX_E_CAPACITY: return "context full";
    case SMX_E_STATE: return "invalid state blob";
    case SMX_E_NOMEM: return "out of memory";
    }
    return "unknown status";
}

#define SMX__STR2(x) #x
#define SMX__STR(x) SMX__STR2(x)
SMX_API const char *smx_version(void)
{
    return SMX__STR(SMX_VERSION_MAJOR) "." SMX__STR(SMX_VERSION_MINOR) "." SMX__STR(SMX_VERSION_PATCH);
}

/* Record a failure in e (may be NULL) and return its status. */
static smx_status smx__fail(smx_error *e, smx_status st, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        e->status = st;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

static void smx__ok(smx_error *e)
{
    if (e) { e->status = SMX_OK; e->msg[0] = 0; }
}

/* A bump allocator: blocks never move, everything is released at once. Models keep their
 * converted weights and operator structs here. */
typedef struct smx__arena_block { struct smx__arena_block *next; size_t used, cap; } smx__arena_block;
typedef struct smx__arena { smx__arena_block *head; size_t total; } smx__arena;

static void *smx__arena_alloc(smx__arena *a, size_t n)
{
    const size_t hdr = (sizeof(smx__arena_block) + 63) & ~(size_t)63;
    smx__arena_block *b = a->head;
    void *p;
    n = (n + 63) & ~(size_t)63;
    if (!b || b->used + n > b->cap) {
        size_t cap = n > (size_t)1 << 16 ? n : (size_t)1 << 16;
        uintptr_t base;
        b = (smx__arena_block *)SMX_MALLOC(hdr + cap + 64);
        if (!b) return NULL;
        b->next = a->head; b->cap = cap + 64;
        a->head = b;
        a->total += cap;
        base = (uintptr_t)((char *)b + hdr);
        b->used = (size_t)(((base + 63) & ~(uintptr_t)63) - base);   /* 64-byte aligned payload */
    }
    p = (char *)b + hdr + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

static void smx__arena_free(smx__arena *a)
{
    smx__arena_block *b = a->head;
    while (b) { smx__arena_block *n = b->next; SMX_FREE(b); b = n; }
    a->head = NULL; a->total = 0;
}

static char *smx__arena_strdup(smx__arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = (char *)smx__arena_alloc(a, n);
    if (d) memcpy(d, s, n);
    return d;
}

/* FNV-1a, used for fingerprints and blob checksums. */
static uint64_t smx__fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) { h ^= b[i]; h *= 1099511628211ull; }
    return h;
}
#define SMX__FNV_INIT 14695981039346656037ull

/* Read a whole small file (config, index) into a NUL-terminated buffer. */
static smx_status smx__read_file(const char *path, char **out, size_t *len, smx_error *e)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *buf;
    *out = NULL;
    if (!f) return smx__fail(e, SMX_E_IO, "%s: cannot open", path);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return smx__fail(e, SMX_E_IO, "%s: cannot determine size", path);
    }
    buf = (char *)SMX_MALLOC((size_t)n + 1);
    if (!buf) { fclose(f); return smx__fail(e, SMX_E_NOMEM, "%s: no memory for %ld bytes", path, n); }
    if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        SMX_FREE(buf); fclose(f);
        return smx__fail(e, SMX_E_IO, "%s: short read", path);
    }
    fclose(f);
    buf[n] = 0;
    *out = buf;
    if (len) *len = (size_t)n;
    return SMX_OK;
}

static void smx__path(char *dst, size_t cap, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    snprintf(dst, cap, "%s%s%s", dir, (n && dir[n - 1] == '/') ? "" : "/", name);
}

/* ===================================================================================== */
/* II.2 JSON parser (RFC 8259)                                                           */
/* ===================================================================================== */
/* A strict recursive-descent parser into a small DOM in an arena. The one extension, off by
 * default, accepts the bare NaN/Infinity/-Infinity that Python's json module writes. Errors
 * carry the byte offset. */

enum { SMX__J_NULL, SMX__J_FALSE, SMX__J_TRUE, SMX__J_NUM, SMX__J_STR, SMX__J_ARR, SMX__J_OBJ };

typedef struct smx__jv {
    int type;
    int n;                      /* members of an array/object */
    double num;
    const char *str;            /* strings: decoded, NUL-terminated */
    size_t slen;
    const char *key;            /* member of an object: its key */
    struct smx__jv *child, *next;
} smx__jv;

typedef struct smx__jparser {
    const char *s;
    size_t n, i;
    smx__arena *a;
    smx_error *e;
    const char *what;           /* name for messages, e.g. "config.json" */
    int depth, nonfinite;
} smx__jparser;

#define SMX__JSON_MAX_DEPTH 200

static smx_status smx__jerr(smx__jparser *p, const char *msg)
{
    return smx__fail(p->e, SMX_E_JSON, "%s: JSON error at byte %lu: %s", p->what, (unsigned long)p->i, msg);
}

static void smx__jws(smx__jparser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

static int smx__jlit(smx__jparser *p, const char *lit)
{
    size_t k = strlen(lit);
    if (p->n - p->i >= k && memcmp(p->s + p->i, lit, k) == 0) { p->i += k; return 1; }
    return 0;
}

static int smx__hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    int k;
    for (k = 0; k < 4; k++) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static smx_status smx__jstring(smx__jparser *p, const char **out, size_t *outlen)
{
    size_t start = ++p->i, j = 0, cap = 0;
    char *d;
    /* first pass: find the end and validate, counting an upper bound of the decoded size */
    while (1) {
        unsigned char c;
        if (p->i >= p->n) return smx__jerr(p, "unterminated string");
        c = (unsigned char)p->s[p->i];
        if (c == '"') break;
        if (c < 0x20) return smx__jerr(p, "control character in string");
        if (c == '\\') {
            unsigned u;
            p->i++;
            if (p->i >= p->n) return smx__jerr(p, "unterminated escape");
            c = (unsigned char)p->s[p->i];
            if (c == 'u') {
                if (p->n - p->i < 5 || !smx__hex4(p->s + p->i + 1, &u)) return smx__jerr(p, "bad \\u escape");
                p->i += 4;
            } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
                return smx__jerr(p, "bad escape");
            }
        }
        p->i++;
        cap++;
    }
    d = (char *)smx__arena_alloc(p->a, cap * 4 + 1);
    if (!d) return smx__fail(p->e, SMX_E_NOMEM, "%s: out of memory", p->what);
    {
        size_t k = start;
        while (k < p->i) {
            char c = p->s[k];
            if (c != '\\') { d[j++] = c; k++; continue; }
            c = p->s[++k];
            k++;
            switch (c) {
            case 'b': d[j++] = '\b'; break;
            case 'f': d[j++] = '\f'; break;
            case 'n': d[j++] = '\n'; break;
            case 'r': d[j++] = '\r'; break;
            case 't': d[j++] = '\t'; break;
            case 'u': {
                unsigned u, lo;
                smx__hex4(p->s + k, &u);
                k += 4;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (k + 6 <= p->i && p->s[k] == '\\' && p->s[k + 1] == 'u' && smx__hex4(p->s + k + 2, &lo) &&
                        lo >= 0xDC00 && lo <= 0xDFFF) {
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                        k += 6;
                    } else {
                        u = 0xFFFD;   /* lone surrogate: replacement character */
                    }
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    u = 0xFFFD;
                }
                if (u < 0x80) d[j++] = (char)u;
                else if (u < 0x800) { d[j++] = (char)(0xC0 | (u >> 6)); d[j++] = (char)(0x80 | (u & 63)); }
                else if (u < 0x10000) {
                    d[j++] = (char)(0xE0 | (u >> 12)); d[j++] = (char)(0x80 | ((u >> 6) & 63));
                    d[j++] = (char)(0x80 | (u & 63));
                } else {
                    d[j++] = (char)(0xF0 | (u >> 18)); d[j++] = (char)(0x80 | ((u >> 12) & 63));
                    d[j++] = (char)(0x80 | ((u >> 6) & 63)); d[j++] = (char)(0x80 | (u & 63));
                }
                break;
            }
            default: d[j++] = c; break;   /* " \ / */
            }
        }
    }
    d[j] = 0;
    p->i++;   /* closing quote */
    *out = d;
    if (outlen) *outlen = j;
    return SMX_OK;
}

static smx_status smx__jnumber(smx__jparser *p, double *out)
{
    size_t st = p->i;
    char buf[64];
    const char *dp;
    size_t k;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->nonfinite && smx__jlit(p, "Infinity")) { *out = (p->s[st] == '-') ? -HUGE_VAL : HUGE_VAL; return SMX_OK; }
    if (p->i >= p->n) return smx__jerr(p, "bad number");
    if (p->s[p->i] == '0') {
        p->i++;
    } else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') {
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    } else {
        return smx__jerr(p, "bad number");
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return smx__jerr(p, "digit expected after '.'");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return smx__jerr(p, "digit expected in exponent");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i - st >= sizeof buf) return smx__jerr(p, "number too long");
    memcpy(buf, p->s + st, p->i - st);
    buf[p->i - st] = 0;
    /* strtod follows the C locale's decimal point: translate '.' for hosts that set another */
    dp = localeconv()->decimal_point;
    if (dp && dp[0] && dp[0] != '.' && !dp[1])
        for (k = 0; buf[k]; k++) if (buf[k] == '.') buf[k] = dp[0];
    *out = strtod(buf, NULL);
    return SMX_OK;
}

static smx_status smx__jvalue(smx__jparser *p, smx__jv *v)
{
    smx_status st;
    smx__jws(p);
    if (p->i >= p->n) return smx__jerr(p, "value expected");
    if (++p->depth > SMX__JSON_MAX_DEPTH) return smx__jerr(p, "nesting too deep");
    switch (p->s[p->i]) {
    case '{': case '[': {
        int obj = p->s[p->i] == '{';
        char close = obj ? '}' : ']';
        smx__jv **tail = &v->child;
        v->type = obj ? SMX__J_OBJ : SMX__J_ARR;
        p->i++;
        smx__jws(p);
        if (p->i < p->n && p->s[p->i] == close) { p->i++; break; }
        while (1) {
            smx__jv *c = (smx__jv *)smx__arena_alloc(p->a, sizeof *c);
            if (!c) return smx__fail(p->e, SMX_E_NOMEM, "%s: out of memory", p->what);
            if (obj) {
                smx__jws(p);
                if (p->i >= p->n || p->s[p->i] != '"') return smx__jerr(p, "object key expected");
                if ((st = smx__jstring(p, &c->key, NULL)) != SMX_OK) return st;
                smx__jws(p);
                if (p->i >= p->n || p->s[p->i] != ':') return smx__jerr(p, "':' expected");
                p->i++;
            }
            if ((st = smx__jvalue(p, c)) != SMX_OK) return st;
            *tail = c; tail = &c->next; v->n++;
            smx__jws(p);
            if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
            if (p->i < p->n && p->s[p->i] == close) { p->i++; break; }
            return smx__jerr(p, obj ? "',' or '}' expected" : "',' or ']' expected");
        }
        break;
    }
    case '"':
        v->type = SMX__J_STR;
        if ((st = smx__jstring(p, &v->str, &v->slen)) != SMX_OK) return st;
        break;
    case 't': if (!smx__jlit(p, "true")) return smx__jerr(p, "bad literal"); v->type = SMX__J_TRUE; break;
    case 'f': if (!smx__jlit(p, "false")) return smx__jerr(p, "bad literal"); v->type = SMX__J_FALSE; break;
    case 'n': if (!smx__jlit(p, "null")) return smx__jerr(p, "bad literal"); v->type = SMX__J_NULL; break;
    case 'N':
        if (!p->nonfinite || !smx__jlit(p, "NaN")) return smx__jerr(p, "bad literal");
        v->type = SMX__J_NUM; v->num = NAN;
        break;
    case 'I':
        if (!p->nonfinite || !smx__jlit(p, "Infinity")) return smx__jerr(p, "bad literal");
        v->type = SMX__J_NUM; v->num = HUGE_VAL;
        break;
    default:
        v->type = SMX__J_NUM;
        if ((st = smx__jnumber(p, &v->num)) != SMX_OK) return st;
        break;
    }
    p->depth--;
    return SMX_OK;
}

/* Parse text[0..n) into a DOM allocated in a. */
static smx_status smx__json_parse(const char *text, size_t n, smx__arena *a, int nonfinite, const char *what,
                                  smx__jv **out, smx_error *e)
{
    smx__jparser p;
    smx__jv *root;
    smx_status st;
    memset(&p, 0, sizeof p);
    p.s = text; p.n = n; p.a = a; p.e = e; p.what = what; p.nonfinite = nonfinite;
    root = (smx__jv *)smx__arena_alloc(a, sizeof *root);
    if (!root) return smx__fail(e, SMX_E_NOMEM, "%s: out of memory", what);
    if ((st = smx__jvalue(&p, root)) != SMX_OK) return st;
    smx__jws(&p);
    if (p.i != p.n) return smx__jerr(&p, "trailing characters after the value");
    *out = root;
    return SMX_OK;
}

static const smx__jv *smx__jget(const smx__jv *obj, const char *key)
{
    const smx__jv *c;
    if (!obj || obj->type != SMX__J_OBJ) return NULL;
    for (c = obj->child; c; c = c->next)
        if (strcmp(c->key, key) == 0) return c;
    return NULL;
}

SMX__MAYBE_UNUSED static const smx__jv *smx__jat(const smx__jv *arr, int i)
{
    const smx__jv *c;
    if (!arr || arr->type != SMX__J_ARR || i < 0) return NULL;
    for (c = arr->child; c && i > 0; c = c->next) i--;
    return c;
}

/* A number, also in transformers' {"__float__": "Infinity"} spelling. Returns 0 if not one. */
static int smx__jnum(const smx__jv *v, double *out)
{
    if (!v) return 0;
    if (v->type == SMX__J_NUM) { *out = v->num; return 1; }
    if (v->type == SMX__J_OBJ) {
        const smx__jv *f = smx__jget(v, "__float__");
        if (f && f->type == SMX__J_STR) {
            if (!strcmp(f->str, "Infinity") || !strcmp(f->str, "inf")) { *out = HUGE_VAL; return 1; }
            if (!strcmp(f->str, "-Infinity") || !strcmp(f->str, "-inf")) { *out = -HUGE_VAL; return 1; }
            if (!strcmp(f->str, "NaN") || !strcmp(f->str, "nan")) { *out = NAN; return 1; }
        }
    }
    return 0;
}

/* ===================================================================================== */
/* II.3 safetensors reader and Hugging Face folder loader                                */
/* ===================================================================================== */
/* safetensors: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape,
 * data_offsets: [begin, end]}}, then the data. Every offset and size is checked against the file
 * before any byte of data is read. */

enum { SMX__DT_F32, SMX__DT_F16, SMX__DT_BF16, SMX__DT_I32, SMX__DT_OTHER };

typedef struct smx__st_entry {
    const char *name;
    int dtype, ndim, file;
    int64_t shape[8];
    size_t numel;
    const unsigned char *data;  /* inside the file's mapping or buffer */
    size_t nbytes;
    int used;
} smx__st_entry;

typedef struct smx__st_file {
    const char *path;
    unsigned char *data;        /* whole file */
    size_t size;
    int mapped, borrowed;       /* borrowed: a model points into it (zero-copy F32) */
} smx__st_file;

typedef struct smx__tensors {
    smx__arena arena;
    smx__st_file *files;
    int nfiles;
    smx__st_entry *ent;
    int nent, cap;
} smx__tensors;

static void smx__st_release_file(smx__st_file *f)
{
    if (!f->data) return;
#if SMX__MMAP
    if (f->mapped) munmap(f->data, f->size);
    else
#endif
        SMX_FREE(f->data);
    f->data = NULL;
}

static void smx__st_close(smx__tensors *t)
{
    int i;
    for (i = 0; i < t->nfiles; i++) smx__st_release_file(&t->files[i]);
    SMX_FREE(t->files);
    SMX_FREE(t->ent);
    smx__arena_free(&t->arena);
    memset(t, 0, sizeof *t);
}

static int smx__dtype_of(const char *s, size_t *size)
{
    if (!strcmp(s, "F32")) { *size = 4; return SMX__DT_F32; }
    if (!strcmp(s, "F16")) { *size = 2; return SMX__DT_F16; }
    if (!strcmp(s, "BF16")) { *size = 2; return SMX__DT_BF16; }
    if (!strcmp(s, "I32")) { *size = 4; return SMX__DT_I32; }
    if (!strcmp(s, "F64") || !strcmp(s, "I64") || !strcmp(s, "U64")) { *size = 8; return SMX__DT_OTHER; }
    if (!strcmp(s, "I16") || !strcmp(s, "U16")) { *size = 2; return SMX__DT_OTHER; }
    if (!strcmp(s, "U32")) { *size = 4; return SMX__DT_OTHER; }
    if (!strcmp(s, "I8") || !strcmp(s, "U8") || !strcmp(s, "BOOL") || !strcmp(s, "F8_E4M3") || !strcmp(s, "F8_E5M2")) {
        *size = 1; return SMX__DT_OTHER;
    }
    *size = 0;
    return -1;
}

static int smx__cmp_range(const void *a, const void *b)
{
    const smx__st_entry *x = *(const smx__st_entry *const *)a, *y = *(const smx__st_entry *const *)b;
    return x->data < y->data ? -1 : x->data > y->data ? 1 : 0;
}

static smx_status smx__st_map(const char *path, smx__st_file *f, smx_error *e)
{
    memset(f, 0, sizeof *f);
#if SMX__MMAP
    {
        struct stat sb;
        int fd = open(path, O_RDONLY);
        if (fd < 0) return smx__fail(e, SMX_E_IO, "%s: cannot open", path);
        if (fstat(fd, &sb) != 0) { close(fd); return smx__fail(e, SMX_E_IO, "%s: cannot stat", path); }
        f->size = (size_t)sb.st_size;
        if (f->size == 0) { close(fd); return smx__fail(e, SMX_E_FORMAT, "%s: empty file", path); }
        f->data = (unsigned char *)mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (f->data == (unsigned char *)MAP_FAILED) { f->data = NULL; return smx__fail(e, SMX_E_IO, "%s: mmap failed", path); }
        f->mapped = 1;
        return SMX_OK;
    }
#else
    {
        char *buf;
        size_t n;
        smx_status st = smx__read_file(path, &buf, &n, e);
        if (st) return st;
        f->data = (unsigned char *)buf;
        f->size = n;
        return SMX_OK;
    }
#endif
}

/* Open one safetensors file and append its entries. */
static smx_status smx__st_open_file(smx__tensors *t, const char *path, smx_error *e)
{
    smx__st_file *f;
    smx__st_entry **order = NULL;
    const smx__jv *root, *c;
    uint64_t hlen = 0;
    int k, first, fi;
    smx_status st;
    smx__st_file *nf = (smx__st_file *)SMX_REALLOC(t->files, sizeof *t->files * (size_t)(t->nfiles + 1));
    if (!nf) return smx__fail(e, SMX_E_NOMEM, "%s: out of memory", path);
    t->files = nf;
    fi = t->nfiles;
    f = &t->files[fi];
    if ((st = smx__st_map(path, f, e)) != SMX_OK) return st;
    t->nfiles++;
    f->path = smx__arena_strdup(&t->arena, path);
    if (f->size < 8) return smx__fail(e, SMX_E_FORMAT, "%s: %lu bytes is too short for a safetensors header", path, (unsigned long)f->size);
    for (k = 7; k >= 0; k--) hlen = (hlen << 8) | f->data[k];
    if (hlen > f->size - 8)
        return smx__fail(e, SMX_E_FORMAT, "%s: header length %llu runs past the end of the file (%lu bytes)", path,
                         (unsigned long long)hlen, (unsigned long)f->size);
    if ((st = smx__json_parse((const char *)f->data + 8, (size_t)hlen, &t->arena, 0, path, (smx__jv **)&root, e)) != SMX_OK)
        return st;
    if (root->type != SMX__J_OBJ) return smx__fail(e, SMX_E_FORMAT, "%s: header is not a JSON object", path);
    first = t->nent;
    for (c = root->child; c; c = c->next) {
        const smx__jv *dt, *sh, *off, *d;
        smx__st_entry *en;
        size_t esz, numel = 1;
        double b, en_;
        if (!strcmp(c->key, "__metadata__")) continue;
        if (t->nent == t->cap) {
            int nc = t->cap ? t->cap * 2 : 256;
            smx__st_entry *ne = (smx__st_entry *)SMX_REALLOC(t->ent, sizeof *ne * (size_t)nc);
            if (!ne) return smx__fail(e, SMX_E_NOMEM, "%s: out of memory", path);
            t->ent = ne; t->cap = nc;
        }
        en = &t->ent[t->nent];
        memset(en, 0, sizeof *en);
        en->name = c->key;
        en->file = fi;
        dt = smx__jget(c, "dtype"); sh = smx__jget(c, "shape"); off = smx__jget(c, "data_offsets");
        if (c->type != SMX__J_OBJ || !dt || dt->type != SMX__J_STR || !sh || sh->type != SMX__J_ARR || !off ||
            off->type != SMX__J_ARR || off->n != 2)
            return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' needs dtype, shape and data_offsets", path, c->key);
        en->dtype = smx__dtype_of(dt->str, &esz);
        if (en->dtype < 0) return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' has unknown dtype '%s'", path, c->key, dt->str);
        if (sh->n > 8) return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' has %d dimensions", path, c->key, sh->n);
        en->ndim = sh->n;
        for (k = 0, d = sh->child; d; d = d->next, k++) {
            if (d->type != SMX__J_NUM || d->num < 0 || d->num != floor(d->num) || d->num > 4e12)
                return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' has an invalid shape", path, c->key);
            en->shape[k] = (int64_t)d->num;
            if (en->shape[k] && numel > (size_t)-1 / (size_t)en->shape[k] / 8)
                return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' is too large", path, c->key);
            numel *= (size_t)en->shape[k];
        }
        en->numel = numel;
        if (!smx__jnum(off->child, &b) || !smx__jnum(off->child->next, &en_) || b < 0 || en_ < b ||
            b != floor(b) || en_ != floor(en_))
            return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' has invalid data_offsets", path, c->key);
        if (en_ > (double)(f->size - 8 - hlen))
            return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' data [%.0f, %.0f) lies outside the %lu data bytes", path,
                             c->key, b, en_, (unsigned long)(f->size - 8 - hlen));
        en->nbytes = (size_t)(en_ - b);
        if (en->nbytes != numel * esz)
            return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' has %lu bytes but its shape and dtype need %lu", path,
                             c->key, (unsigned long)en->nbytes, (unsigned long)(numel * esz));
        en->data = f->data + 8 + hlen + (size_t)b;
        t->nent++;
    }
    /* no two tensors may overlap */
    if (t->nent - first > 1) {
        order = (smx__st_entry **)SMX_MALLOC(sizeof *order * (size_t)(t->nent - first));
        if (!order) return smx__fail(e, SMX_E_NOMEM, "%s: out of memory", path);
        for (k = first; k < t->nent; k++) order[k - first] = &t->ent[k];
        qsort(order, (size_t)(t->nent - first), sizeof *order, smx__cmp_range);
        for (k = 1; k < t->nent - first; k++) {
            if (order[k - 1]->data + order[k - 1]->nbytes > order[k]->data) {
                smx_status r = smx__fail(e, SMX_E_FORMAT, "%s: tensors '%s' and '%s' overlap", path, order[k - 1]->name,
                                         order[k]->name);
                SMX_FREE(order);
                return r;
            }
        }
        SMX_FREE(order);
    }
    return SMX_OK;
}

static smx__st_entry *smx__st_find(smx__tensors *t, const char *name)
{
    int i;
    for (i = 0; i < t->nent; i++)
        if (!strcmp(t->ent[i].name, name)) return &t->ent[i];
    return NULL;
}

/* Open a checkpoint folder: model.safetensors.index.json (sharded) or model.safetensors. */
static smx_status smx__st_open_dir(smx__tensors *t, const char *dir, smx_error *e)
{
    char path[4096];
    char *idx = NULL;
    size_t n;
    FILE *f;
    smx_status st;
    smx__path(path, sizeof path, dir, "model.safetensors.index.json");
    f = fopen(path, "rb");
    if (f) {
        const smx__jv *root, *wm, *c, *d;
        fclose(f);
        if ((st = smx__read_file(path, &idx, &n, e)) != SMX_OK) return st;
        st = smx__json_parse(idx, n, &t->arena, 1, "model.safetensors.index.json", (smx__jv **)&root, e);
        SMX_FREE(idx);
        if (st) return st;
        wm = smx__jget(root, "weight_map");
        if (!wm || wm->type != SMX__J_OBJ)
            return smx__fail(e, SMX_E_FORMAT, "%s: no \"weight_map\" object", path);
        for (c = wm->child; c; c = c->next) {   /* open each distinct shard once */
            int seen = 0;
            if (c->type != SMX__J_STR || strchr(c->str, '/') || strstr(c->str, ".."))
                return smx__fail(e, SMX_E_FORMAT, "%s: weight_map entry '%s' is not a file name", path, c->key);
            for (d = wm->child; d != c; d = d->next)
                if (!strcmp(d->str, c->str)) { seen = 1; break; }
            if (seen) continue;
            smx__path(path, sizeof path, dir, c->str);
            if ((st = smx__st_open_file(t, path, e)) != SMX_OK) return st;
        }
        for (c = wm->child; c; c = c->next) {
            smx__st_entry *en = smx__st_find(t, c->key);
            if (!en || strcmp(strrchr(t->files[en->file].path, '/') + 1, c->str) != 0)
                return smx__fail(e, SMX_E_FORMAT, "index lists tensor '%s' in %s but that shard does not hold it", c->key, c->str);
        }
        return SMX_OK;
    }
    smx__path(path, sizeof path, dir, "model.safetensors");
    f = fopen(path, "rb");
    if (!f) return smx__fail(e, SMX_E_IO, "%s: no model.safetensors or model.safetensors.index.json", dir);
    fclose(f);
    return smx__st_open_file(t, path, e);
}

static float smx__f16_to_f32(uint16_t h)
{
    uint32_t s = (uint32_t)(h >> 15) << 31, ex = (h >> 10) & 31, m = h & 1023, u;
    float r;
    if (ex == 0) {
        r = ldexpf((float)m, -24);
        return s ? -r : r;
    }
    if (ex == 31) u = s | 0x7F800000u | (m << 13);
    else u = s | ((ex + 112) << 23) | (m << 13);
    memcpy(&r, &u, 4);
    return r;
}

static void smx__st_convert(const smx__st_entry *en, float *dst)
{
    size_t i;
    const unsigned char *p = en->data;
    switch (en->dtype) {
    case SMX__DT_F32: memcpy(dst, p, en->numel * 4); break;
    case SMX__DT_F16:
        for (i = 0; i < en->numel; i++) dst[i] = smx__f16_to_f32((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
        break;
    case SMX__DT_BF16:
        for (i = 0; i < en->numel; i++) {
            uint32_t u = (uint32_t)(p[2 * i] | (p[2 * i + 1] << 8)) << 16;
            memcpy(&dst[i], &u, 4);
        }
        break;
    case SMX__DT_I32:
        for (i = 0; i < en->numel; i++) {
            int32_t v;
            memcpy(&v, p + 4 * i, 4);
            dst[i] = (float)v;
        }
        break;
    }
}

/* Write a safetensors file of F32 tensors (names[i], shapes[i][0..ndims[i]), data[i]). */
typedef struct smx__st_out { const char *name; int ndim; int64_t shape[4]; const float *data; } smx__st_out;

static smx_status smx__st_write(const char *path, const smx__st_out *t, int n, smx_error *e)
{
    FILE *f;
    char *hdr;
    size_t cap = 64, len = 0, off = 0, pad;
    uint64_t hl;
    unsigned char lb[8];
    int i, k, ok = 1;
    for (i = 0; i < n; i++) cap += strlen(t[i].name) + 128 + 24 * (size_t)t[i].ndim;
    hdr = (char *)SMX_MALLOC(cap + 8);
    if (!hdr) return smx__fail(e, SMX_E_NOMEM, "out of memory");
    len += (size_t)snprintf(hdr + len, cap - len, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (i = 0; i < n; i++) {
        size_t numel = 1;
        for (k = 0; k < t[i].ndim; k++) numel *= (size_t)t[i].shape[k];
        len += (size_t)snprintf(hdr + len, cap - len, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", t[i].name);
        for (k = 0; k < t[i].ndim; k++) len += (size_t)snprintf(hdr + len, cap - len, k ? ",%lld" : "%lld", (long long)t[i].shape[k]);
        len += (size_t)snprintf(hdr + len, cap - len, "],\"data_offsets\":[%lu,%lu]}", (unsigned long)off,
                                (unsigned long)(off + numel * 4));
        off += numel * 4;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    pad = (8 - len % 8) % 8;
    while (pad--) hdr[len++] = ' ';
    hl = len;
    for (k = 0; k < 8; k++) lb[k] = (unsigned char)(hl >> (8 * k));
    f = fopen(path, "wb");
    if (!f) { SMX_FREE(hdr); return smx__fail(e, SMX_E_IO, "%s: cannot create", path); }
    ok = fwrite(lb, 1, 8, f) == 8 && fwrite(hdr, 1, len, f) == len;
    for (i = 0; i < n && ok; i++) {
        size_t numel = 1;
        for (k = 0; k < t[i].ndim; k++) numel *= (size_t)t[i].shape[k];
        ok = fwrite(t[i].data, 4, numel, f) == numel;   /* little-endian hosts */
    }
    SMX_FREE(hdr);
    if (fclose(f) != 0 || !ok) return smx__fail(e, SMX_E_IO, "%s: write failed", path);
    return SMX_OK;
}

struct smx_model;

/* What a family's builder works with: the parsed config, the tensors, and a latched status
 * (after the first failure every accessor returns a default and the builder checks ld->st
 * once, before it uses any value). */
typedef struct smx__loader {
    const char *dir;
    const smx__jv *cfg;
    smx__tensors *ts;
    struct smx_model *m;
    smx_error *e;
    smx_status st;
    uint64_t fp;        /* fingerprint of config + weights */
    size_t n_params;
    int random;         /* weights are generated (smx_model_from_config), not read */
    uint64_t seed;
} smx__loader;

static const float *smx__random_tensor(smx__loader *ld, const char *name, int ndim, const int64_t *dims);

static smx__arena *smx__model_arena(struct smx_model *m);

static int smx__ld_fail(smx__loader *ld, smx_status st, const char *fmt, ...)
{
    if (ld->st == SMX_OK && ld->e) {
        va_list ap;
        va_start(ap, fmt);
        ld->e->status = st;
        vsnprintf(ld->e->msg, sizeof ld->e->msg, fmt, ap);
        va_end(ap);
    }
    if (ld->st == SMX_OK) ld->st = st;
    return 0;
}

/* Float buffer in the model's arena (zeroed). */
static float *smx__ld_alloc(smx__loader *ld, size_t n)
{
    float *p;
    if (ld->st) return NULL;
    p = (float *)smx__arena_alloc(smx__model_arena(ld->m), n * sizeof(float) + 64);
    if (!p) smx__ld_fail(ld, SMX_E_NOMEM, "out of memory for %lu floats", (unsigned long)n);
    return p;
}

static void smx__fmt_shape(char *buf, size_t cap, int ndim, const int64_t *d)
{
    int k;
    size_t o = 0;
    o += (size_t)snprintf(buf + o, cap - o, "[");
    for (k = 0; k < ndim && o < cap; k++) o += (size_t)snprintf(buf + o, cap - o, k ? ", %lld" : "%lld", (long long)d[k]);
    if (o < cap) snprintf(buf + o, cap - o, "]");
}

/* Find a tensor by printf-style name; NULL if absent. */
static smx__st_entry *smx__ld_find(smx__loader *ld, const char *fmt, va_list ap, char *name, size_t cap)
{
    vsnprintf(name, cap, fmt, ap);
    return smx__st_find(ld->ts, name);
}

/* Fetch a tensor as float32 with an exact shape check. opt: absence is not an error (NULL). */
static const float *smx__tensor(smx__loader *ld, int opt, int ndim, int64_t d0, int64_t d1, int64_t d2, const char *fmt, ...)
{
    char name[512], want[96], got[96];
    int64_t dims[3];
    smx__st_entry *en;
    const float *out;
    va_list ap;
    int k;
    if (ld->st) return NULL;
    dims[0] = d0; dims[1] = d1; dims[2] = d2;
    va_start(ap, fmt);
    en = smx__ld_find(ld, fmt, ap, name, sizeof name);
    va_end(ap);
    if (ld->random) return smx__random_tensor(ld, name, ndim, dims);
    if (!en) {
        if (!opt) smx__ld_fail(ld, SMX_E_MISSING, "tensor '%s' is missing from the checkpoint", name);
        return NULL;
    }
    for (k = 0; k < ndim; k++)
        if (en->ndim != ndim || en->shape[k] != dims[k]) break;
    if (en->ndim != ndim || k < ndim) {
        smx__fmt_shape(want, sizeof want, ndim, dims);
        smx__fmt_shape(got, sizeof got, en->ndim, en->shape);
        smx__ld_fail(ld, SMX_E_SHAPE, "tensor '%s' has shape %s but the config implies %s", name, got, want);
        return NULL;
    }
    if (en->dtype != SMX__DT_F32 && en->dtype != SMX__DT_F16 && en->dtype != SMX__DT_BF16) {
        smx__ld_fail(ld, SMX_E_UNSUPPORTED, "tensor '%s' has an unsupported dtype (F32, F16 and BF16 are supported)", name);
        return NULL;
    }
    if (en->dtype == SMX__DT_F32 && ld->ts->files[en->file].mapped && ((uintptr_t)en->data & 3) == 0) {
        out = (const float *)(const void *)en->data;            /* zero-copy from the mapping */
        ld->ts->files[en->file].borrowed = 1;
    } else {
        float *buf = smx__ld_alloc(ld, en->numel);
        if (!buf) return NULL;
        smx__st_convert(en, buf);
        out = buf;
    }
    if (!en->used) ld->n_params += en->numel;
    en->used = 1;
    ld->fp = smx__fnv(ld->fp, name, strlen(name));
    ld->fp = smx__fnv(ld->fp, out, sizeof(float) * SMX__MIN(en->numel, (size_t)16));
    return out;
}
#define SMX__W1(ld, a, ...) smx__tensor(ld, 0, 1, a, 0, 0, __VA_ARGS__)
#define SMX__W2(ld, a, b, ...) smx__tensor(ld, 0, 2, a, b, 0, __VA_ARGS__)
#define SMX__W3(ld, a, b, c, ...) smx__tensor(ld, 0, 3, a, b, c, __VA_ARGS__)
#define SMX__O1(ld, a, ...) smx__tensor(ld, 1, 1, a, 0, 0, __VA_ARGS__)
#define SMX__O2(ld, a, b, ...) smx__tensor(ld, 1, 2, a, b, 0, __VA_ARGS__)
#define SMX__O3(ld, a, b, c, ...) smx__tensor(ld, 1, 3, a, b, c, __VA_ARGS__)

/* Shape of a tensor without loading it; returns its ndim, or -1 if absent. */
static int smx__tensor_shape(smx__loader *ld, int64_t *shape, const char *fmt, ...)
{
    char name[512];
    smx__st_entry *en;
    va_list ap;
    va_start(ap, fmt);
    en = smx__ld_find(ld, fmt, ap, name, sizeof name);
    va_end(ap);
    if (!en) return -1;
    memcpy(shape, en->shape, sizeof en->shape);
    return en->ndim;
}

/* Config accessors: a missing or null key gives the default; a wrong type is an error naming
 * the field. o is the object to read (the config root or a sub-object). */
static const smx__jv *smx__cfg_get(smx__loader *ld, const smx__jv *o, const char *key)
{
    const smx__jv *v = smx__jget(o ? o : ld->cfg, key);
    return (v && v->type == SMX__J_NULL) ? NULL : v;
}

static int smx__cfg_has(smx__loader *ld, const smx__jv *o, const char *key)
{
    return smx__cfg_get(ld, o, key) != NULL;
}

static double smx__cf(smx__loader *ld, const smx__jv *o, const char *key, double def)
{
    const smx__jv *v = smx__cfg_get(ld, o, key);
    double d;
    if (!v) return def;
    if (!smx__jnum(v, &d)) { smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be a number", key); return def; }
    return d;
}

static int smx__ci(smx__loader *ld, const smx__jv *o, const char *key, int def)
{
    const smx__jv *v = smx__cfg_get(ld, o, key);
    if (!v) return def;
    if (v->type != SMX__J_NUM || v->num != floor(v->num) || fabs(v->num) > 1e9) {
        smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be an integer", key);
        return def;
    }
    return (int)v->num;
}

/* An integer that must be present and > 0 (sizes). */
static int smx__ci_pos(smx__loader *ld, const smx__jv *o, const char *key, int def)
{
    int v;
    if (def <= 0 && !smx__cfg_has(ld, o, key)) {
        smx__ld_fail(ld, SMX_E_MISSING, "config.json: required field '%s' is missing", key);
        return 1;
    }
    v = smx__ci(ld, o, key, def);
    if (v <= 0) { smx__ld_fail(ld, SMX_E_RANGE, "config.json: field '%s' must be positive (found %d)", key, v); return 1; }
    return v;
}

static int smx__cb(smx__loader *ld, const smx__jv *o, const char *key, int def)
{
    const smx__jv *v = smx__cfg_get(ld, o, key);
    if (!v) return def;
    if (v->type == SMX__J_TRUE) return 1;
    if (v->type == SMX__J_FALSE) return 0;
    smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be true or false", key);
    return def;
}

static const char *smx__cs(smx__loader *ld, const smx__jv *o, const char *key, const char *def)
{
    const smx__jv *v = smx__cfg_get(ld, o, key);
    if (!v) return def;
    if (v->type != SMX__J_STR) { smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be a string", key); return def; }
    return v->str;
}

/* Latch an error unless cond holds. */
static int smx__ld_check(smx__loader *ld, int cond, smx_status st, const char *fmt, ...)
{
    if (!cond && ld->st == SMX_OK) {
        if (ld->e) {
            va_list ap;
            va_start(ap, fmt);
            ld->e->status = st;
            vsnprintf(ld->e->msg, sizeof ld->e->msg, fmt, ap);
            va_end(ap);
        }
        ld->st = st;
    }
    return cond;
}

/* ===================================================================================== */
/* II.4 SIMD mapping layer and kernels                                                   */
/* ===================================================================================== */
/* One small macro layer maps a vector of SMX__VW floats onto AVX-512, AVX2+FMA or NEON (chosen
 * from the compiler's own macros; SMX_NO_SIMD forces scalar). Kernels are written once against
 * it; each also has a plain scalar twin (_ref) that the tests compare with. */

#if !defined(SMX_NO_SIMD) && defined(__AVX512F__)
#include <immintrin.h>
#define SMX__SIMD_NAME "avx512"
#define SMX__VW 16
typedef __m512 smx__vf;
#define smx__vzero() _mm512_set1_ps(0.0f)
#define smx__vld(p) _mm512_loadu_ps(p)
#define smx__vst(p, v) _mm512_storeu_ps(p, v)
#define smx__vset1(x) _mm512_set1_ps(x)
#define smx__vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define smx__vadd(a, b) _mm512_add_ps(a, b)
#define smx__vmul(a, b) _mm512_mul_ps(a, b)
static float smx__vsum(__m512 v)
{
    __m512 t = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0x4E));   /* fold 256-bit halves */
    __m128 s;
    t = _mm512_add_ps(t, _mm512_maskz_shuffle_f32x4(0xFFFF, t, t, 0xB1));          /* fold 128-bit lanes */
    s = _mm512_maskz_extractf32x4_ps(0xF, t, 0);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#elif !defined(SMX_NO_SIMD) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define SMX__SIMD_NAME "avx2"
#define SMX__VW 8
typedef __m256 smx__vf;
#define smx__vzero() _mm256_set1_ps(0.0f)
#define smx__vld(p) _mm256_loadu_ps(p)
#define smx__vst(p, v) _mm256_storeu_ps(p, v)
#define smx__vset1(x) _mm256_set1_ps(x)
#define smx__vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define smx__vadd(a, b) _mm256_add_ps(a, b)
#define smx__vmul(a, b) _mm256_mul_ps(a, b)
static float smx__vsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#elif !defined(SMX_NO_SIMD) && defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#define SMX__SIMD_NAME "neon"
#define SMX__VW 4
typedef float32x4_t smx__vf;
#define smx__vzero() vdupq_n_f32(0.0f)
#define smx__vld(p) vld1q_f32(p)
#define smx__vst(p, v) vst1q_f32(p, v)
#define smx__vset1(x) vdupq_n_f32(x)
#define smx__vfma(a, b, c) vfmaq_f32(c, a, b)
#define smx__vadd(a, b) vaddq_f32(a, b)
#define smx__vmul(a, b) vmulq_f32(a, b)
#define smx__vsum(v) vaddvq_f32(v)
#else
#define SMX__SIMD_NAME "scalar"
#define SMX__VW 1
typedef float smx__vf;
#define smx__vzero() 0.0f
#define smx__vld(p) (*(p))
#define smx__vst(p, v) (*(p) = (v))
#define smx__vset1(x) (x)
#define smx__vfma(a, b, c) ((a) * (b) + (c))
#define smx__vadd(a, b) ((a) + (b))
#define smx__vmul(a, b) ((a) * (b))
#define smx__vsum(v) (v)
#endif

SMX_API const char *smx_simd_name(void) { return SMX__SIMD_NAME; }

SMX__MAYBE_UNUSED static float smx__dot_ref(const float *a, const float *b, int n)
{
    float s = 0.0f;
    int i;
    for (i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static float smx__dot(const float *SMX__RESTRICT a, const float *SMX__RESTRICT b, int n)
{
    smx__vf s0 = smx__vzero(), s1 = smx__vzero(), s2 = smx__vzero(), s3 = smx__vzero();
    float s;
    int i = 0;
    for (; i + 4 * SMX__VW <= n; i += 4 * SMX__VW) {
        s0 = smx__vfma(smx__vld(a + i), smx__vld(b + i), s0);
        s1 = smx__vfma(smx__vld(a + i + SMX__VW), smx__vld(b + i + SMX__VW), s1);
        s2 = smx__vfma(smx__vld(a + i + 2 * SMX__VW), smx__vld(b + i + 2 * SMX__VW), s2);
        s3 = smx__vfma(smx__vld(a + i + 3 * SMX__VW), smx__vld(b + i + 3 * SMX__VW), s3);
    }
    for (; i + SMX__VW <= n; i += SMX__VW) s0 = smx__vfma(smx__vld(a + i), smx__vld(b + i), s0);
    s = smx__vsum(smx__vadd(smx__vadd(s0, s1), smx__vadd(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

/* y += a * x */
static void smx__axpy(float *SMX__RESTRICT y, float a, const float *SMX__RESTRICT x, int n)
{
    smx__vf va = smx__vset1(a);
    int i = 0;
    for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(y + i, smx__vfma(va, smx__vld(x + i), smx__vld(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

/* y[T, N] = x[T, K] W[N, K]^T (+ b[N]); the scalar reference. */
SMX__MAYBE_UNUSED static void smx__matmul_ref(float *y, const float *x, const float *W, const float *b, int T, int K, int N)
{
    int t, n;
    for (t = 0; t < T; t++)
        for (n = 0; n < N; n++)
            y[(size_t)t * N + n] = smx__dot_ref(x + (size_t)t * K, W + (size_t)n * K, K) + (b ? b[n] : 0.0f);
}

/* Multiply-adds below which a loop stays on one thread (a parallel region costs microseconds,
 * and far more when cores are shared). */
#define SMX__PAR_MIN_WORK 262144.0

/* Prefill matmul: GotoBLAS-style register tiles. A panel of SMX__NR consecutive W rows is
 * packed k-major ([kc][NR], zero-padded) so one vector load gives NR/VW output columns; each
 * tile keeps SMX__MR x-rows x 3 vectors of accumulators in registers and broadcasts x. */
#if SMX__VW == 16
#define SMX__MR 8
#else
#define SMX__MR 4
#endif
#define SMX__NR (3 * SMX__VW)
#define SMX__KC 256

#define SMX__ROW(i, c0, c1, c2)                                                                    \
    do {                                                                                           \
        smx__vf b_ = smx__vset1(xr[i][k]);                                                         \
        c0 = smx__vfma(b_, w0, c0); c1 = smx__vfma(b_, w1, c1); c2 = smx__vfma(b_, w2, c2);        \
    } while (0)
#define SMX__STORE(i, c0, c1, c2)                                                                  \
    do {                                                                                           \
        smx__vst(tile + (i) * SMX__NR, c0); smx__vst(tile + (i) * SMX__NR + SMX__VW, c1);          \
        smx__vst(tile + (i) * SMX__NR + 2 * SMX__VW, c2);                                          \
    } while (0)

/* tile[MR][NR] = x rows (xr[i] + k for k < kc) times the packed panel wp[kc][NR] */
static void smx__mm_tile(int kc, const float *const *xr, const float *SMX__RESTRICT wp, float *SMX__RESTRICT tile)
{
    smx__vf c00 = smx__vzero(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    smx__vf c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
#if SMX__MR == 8
    smx__vf c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
    smx__vf c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
#endif
    int k;
    for (k = 0; k < kc; k++) {
        const float *w = wp + (size_t)k * SMX__NR;
        smx__vf w0 = smx__vld(w), w1 = smx__vld(w + SMX__VW), w2 = smx__vld(w + 2 * SMX__VW);
        SMX__ROW(0, c00, c01, c02); SMX__ROW(1, c10, c11, c12); SMX__ROW(2, c20, c21, c22); SMX__ROW(3, c30, c31, c32);
#if SMX__MR == 8
        SMX__ROW(4, c40, c41, c42); SMX__ROW(5, c50, c51, c52); SMX__ROW(6, c60, c61, c62); SMX__ROW(7, c70, c71, c72);
#endif
    }
    SMX__STORE(0, c00, c01, c02); SMX__STORE(1, c10, c11, c12); SMX__STORE(2, c20, c21, c22); SMX__STORE(3, c30, c31, c32);
#if SMX__MR == 8
    SMX__STORE(4, c40, c41, c42); SMX__STORE(5, c50, c51, c52); SMX__STORE(6, c60, c61, c62); SMX__STORE(7, c70, c71, c72);
#endif
}

/* y[T, N] = x[T, K] W[N, K]^T (+ b). One row (decode) streams W once with dot products,
 * threads splitting its rows; several rows (prefill) run the packed register tiles, threads
 * splitting the W panels. */
static void smx__matmul_ld(float *y, size_t ldy, const float *x, size_t ldx, const float *W, size_t ldw, const float *b, int T,
                           int K, int N, int nth)
{
    int npanel = (N + SMX__NR - 1) / SMX__NR, p;
    if ((double)T * K * N < SMX__PAR_MIN_WORK) nth = 1;   /* too small to pay for a parallel region */
    (void)nth;
    if (T < 4) {
        int n;
        SMX__OMP_FOR(nth)
        for (n = 0; n < N; n++) {
            int t;
            for (t = 0; t < T; t++) y[(size_t)t * ldy + n] = smx__dot(x + (size_t)t * ldx, W + (size_t)n * ldw, K) + (b ? b[n] : 0.0f);
        }
        return;
    }
    SMX__OMP_FOR_DYN(nth)
    for (p = 0; p < npanel; p++) {
        float wp[SMX__KC * SMX__NR];    /* [kc][NR] packed panel */
        float tile[SMX__MR * SMX__NR];  /* [MR][NR] */
        int n0 = p * SMX__NR, nn = SMX__MIN(SMX__NR, N - n0), k0, t, i, j;
        for (k0 = 0; k0 < K; k0 += SMX__KC) {
            int kc = SMX__MIN(SMX__KC, K - k0), k;
            for (j = 0; j < nn; j++) {
                const float *src = W + (size_t)(n0 + j) * ldw + k0;
                for (k = 0; k < kc; k++) wp[(size_t)k * SMX__NR + j] = src[k];
            }
            for (; j < SMX__NR; j++)
                for (k = 0; k < kc; k++) wp[(size_t)k * SMX__NR + j] = 0.0f;
            for (t = 0; t < T; t += SMX__MR) {
                const float *xr[SMX__MR];
                int nr = SMX__MIN(SMX__MR, T - t);
                for (i = 0; i < SMX__MR; i++) xr[i] = x + (size_t)(t + (i < nr ? i : nr - 1)) * ldx + k0;
                smx__mm_tile(kc, xr, wp, tile);
                for (i = 0; i < nr; i++) {
                    float *yr = y + (size_t)(t + i) * ldy + n0;
                    const float *tr = tile + i * SMX__NR;
                    if (k0 == 0) for (j = 0; j < nn; j++) yr[j] = tr[j] + (b ? b[n0 + j] : 0.0f);
                    else for (j = 0; j < nn; j++) yr[j] += tr[j];
                }
            }
        }
    }
}

static void smx__matmul(float *y, const float *x, const float *W, const float *b, int T, int K, int N, int nth)
{
    smx__matmul_ld(y, (size_t)N, x, (size_t)K, W, (size_t)K, b, T, K, N, nth);
}

/* y = w * x / sqrt(mean(x^2) + eps)   (w may be NULL; y may alias x) */
static void smx__rmsnorm(float *y, const float *x, const float *w, int n, float eps)
{
    float s = smx__dot(x, x, n), r = 1.0f / sqrtf(s / (float)n + eps);
    int i;
    if (w) for (i = 0; i < n; i++) y[i] = w[i] * (x[i] * r);
    else for (i = 0; i < n; i++) y[i] = x[i] * r;
}

SMX__MAYBE_UNUSED static void smx__rmsnorm_ref(float *y, const float *x, const float *w, int n, float eps)
{
    float s = 0.0f, r;
    int i;
    for (i = 0; i < n; i++) s += x[i] * x[i];
    r = 1.0f / sqrtf(s / (float)n + eps);
    for (i = 0; i < n; i++) y[i] = (w ? w[i] : 1.0f) * (x[i] * r);
}

/* y = (x - mean) / sqrt(var + eps) * w + b   (biased variance; w, b may be NULL) */
static void smx__layernorm(float *y, const float *x, const float *w, const float *b, int n, float eps)
{
    float mean = 0.0f, var = 0.0f, r;
    int i;
    for (i = 0; i < n; i++) mean += x[i];
    mean /= (float)n;
    for (i = 0; i < n; i++) { float d = x[i] - mean; var += d * d; }
    r = 1.0f / sqrtf(var / (float)n + eps);
    for (i = 0; i < n; i++) {
        float v = (x[i] - mean) * r;
        if (w) v *= w[i];
        if (b) v += b[i];
        y[i] = v;
    }
}

SMX__MAYBE_UNUSED static float smx__sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
static float smx__silu(float x) { return x / (1.0f + expf(-x)); }
static float smx__gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
SMX__MAYBE_UNUSED static float smx__gelu_tanh(float x)
{
    return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}
/* torch softplus (beta 1, threshold 20) */
SMX__MAYBE_UNUSED static float smx__softplus(float x) { return x > 20.0f ? x : log1pf(expf(x)); }
SMX__MAYBE_UNUSED static float smx__logsigmoid(float x) { return (x < 0.0f ? x : 0.0f) - log1pf(expf(-fabsf(x))); }

enum { SMX__ACT_SILU, SMX__ACT_GELU, SMX__ACT_GELU_TANH, SMX__ACT_RELU, SMX__ACT_TANH, SMX__ACT_LECUN_TANH, SMX__ACT_NONE };

static float smx__act(int act, float x)
{
    switch (act) {
    case SMX__ACT_SILU: return smx__silu(x);
    case SMX__ACT_GELU: return smx__gelu(x);
    case SMX__ACT_GELU_TANH: return smx__gelu_tanh(x);
    case SMX__ACT_RELU: return x > 0.0f ? x : 0.0f;
    case SMX__ACT_TANH: return tanhf(x);
    case SMX__ACT_LECUN_TANH: return 1.7159f * tanhf(0.666f * x);
    }
    return x;
}

/* Activation by its config name (hidden_act and friends); -1 if unknown. */
static int smx__act_by_name(const char *s)
{
    if (!strcmp(s, "silu") || !strcmp(s, "swish")) return SMX__ACT_SILU;
    if (!strcmp(s, "gelu")) return SMX__ACT_GELU;
    if (!strcmp(s, "gelu_new") || !strcmp(s, "gelu_pytorch_tanh") || !strcmp(s, "gelu_tanh")) return SMX__ACT_GELU_TANH;
    if (!strcmp(s, "relu")) return SMX__ACT_RELU;
    if (!strcmp(s, "tanh")) return SMX__ACT_TANH;
    if (!strcmp(s, "lecun_tanh")) return SMX__ACT_LECUN_TANH;
    return -1;
}

/* In-place max-subtracted softmax. */
SMX__MAYBE_UNUSED static void smx__softmax(float *x, int n)
{
    float mx = -INFINITY, s = 0.0f;
    int i;
    for (i = 0; i < n; i++) if (x[i] > mx) mx = x[i];
    for (i = 0; i < n; i++) { x[i] = expf(x[i] - mx); s += x[i]; }
    s = 1.0f / s;
    for (i = 0; i < n; i++) x[i] *= s;
}

/* Half-split (NeoX) rotary embedding of the first rot dims of v at position pos:
 * element j pairs with j + rot/2; angle = pos * inv_freq[j] computed in float32. */
static void smx__rope(float *v, int rot, int pos, const float *inv_freq)
{
    int half = rot / 2, j;
    for (j = 0; j < half; j++) {
        float a = (float)pos * inv_freq[j], c = cosf(a), s = sinf(a);
        float x0 = v[j], x1 = v[j + half];
        v[j] = x0 * c - x1 * s;
        v[j + half] = x1 * c + x0 * s;
    }
}

/* ===================================================================================== */
/* II.5 The layer vtable and the model structure                                         */
/* ===================================================================================== */
/* Every model is: input stage (token embedding, or the raw feature vector) -> sub-layers ->
 * optional final norm -> optional head. A sub-layer is  norm -> operator -> residual add
 * (or, for width-changing operators, replace). Operators implement one vtable; a session gives
 * each operator a slice of per-sequence state of state_bytes(op, capacity) bytes and calls
 * forward over T tokens continuing from that state (T > 1: the parallel/chunked form; T = 1:
 * the recurrent step). An operator whose state grows per token lays it out position-major, so
 * the first state_bytes(op, pos) bytes are exactly the live part (that is what state blobs store
 * and what rewinding relies on). */

typedef struct smx__op smx__op;

typedef struct smx__fwd {
    int T;              /* tokens in this call */
    int pos;            /* tokens already in the state */
    const float *x;     /* [T, d_in]  (normalised input) */
    float *y;           /* [T, d_out] */
    const float *dt;    /* [T] elapsed time per step, NULL = 1.0 (continuous-time operators) */
    float *scratch;     /* scratch_floats(op, T, capacity, nth) floats */
    int nth;            /* threads */
    int n_ctx;          /* bidirectional attention sees keys [0, max(pos + T, n_ctx)): a caller that
                           re-runs part of a canvas keeps the cached rows after it (0: pos + T) */
} smx__fwd;

typedef struct smx__op_vt {
    const char *name;
    char letter;        /* for the layer pattern string */
    size_t (*state_bytes)(const smx__op *op, int n_ctx);
    void (*reset)(const smx__op *op, void *state);                 /* NULL: zero the state */
    size_t (*scratch_floats)(const smx__op *op, int T, int n_ctx, int nth);
    void (*forward)(const smx__op *op, void *state, const smx__fwd *f);
    void (*destroy)(smx__op *op);                                 /* NULL: arena-owned only */
} smx__op_vt;

struct smx__op {
    const smx__op_vt *vt;
    int d_in, d_out;
};

enum { SMX__NORM_NONE, SMX__NORM_RMS, SMX__NORM_LN };

typedef struct smx__sub {
    int norm;
    float eps;
    const float *nw, *nb;
    smx__op *op;
    int residual;       /* 1: h += op(norm(h)); 0: h = op(norm(h)) */
} smx__sub;

struct smx_model {
    smx__arena arena;
    smx__tensors ts;
    const char *arch, *model_type;
    char pattern[512];
    smx_model_kind kind;
    int vocab, d;               /* token models: embedding rows and width */
    int d_in, d_out;            /* model input/output width */
    const float *embed;         /* [vocab, d] */
    smx__sub *sub;
    int n_sub, cap_sub;
    int fnorm;                  /* final norm */
    float feps;
    const float *fnw, *fnb;
    const float *head, *head_b; /* [n_logits, d] */
    int n_logits;
    float logit_cap;            /* logits = cap * tanh(logits / cap) when > 0 */
    int causal, max_ctx, mask_token;
    uint64_t fp;
    size_t n_params;
    const char *config_text;    /* generated models: their config.json */
    smx__st_out *gen;           /* generated models: every weight, for smx_model_save */
    int n_gen, cap_gen;
};

static smx__arena *smx__model_arena(struct smx_model *m) { return &m->arena; }

static size_t smx__op_state(const smx__op *op, int n) { return op->vt->state_bytes ? op->vt->state_bytes(op, n) : 0; }

/* Allocate an operator struct of size sz in the model arena. */
static void *smx__op_new(smx__loader *ld, size_t sz, const smx__op_vt *vt, int d_in, int d_out)
{
    smx__op *op;
    if (ld->st) return NULL;
    op = (smx__op *)smx__arena_alloc(&ld->m->arena, sz);
    if (!op) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
    op->vt = vt; op->d_in = d_in; op->d_out = d_out;
    return op;
}

/* Append a sub-layer. */
static void smx__add_sub(smx__loader *ld, int norm, float eps, const float *nw, const float *nb, smx__op *op, int residual)
{
    smx_model *m = ld->m;
    smx__sub *s;
    if (ld->st || !op) return;
    if (m->n_sub == m->cap_sub) {
        int nc = m->cap_sub ? 2 * m->cap_sub : 16;
        smx__sub *ns = (smx__sub *)smx__arena_alloc(&m->arena, sizeof *ns * (size_t)nc);
        if (!ns) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return; }
        if (m->n_sub) memcpy(ns, m->sub, sizeof *ns * (size_t)m->n_sub);
        m->sub = ns; m->cap_sub = nc;
    }
    s = &m->sub[m->n_sub++];
    s->norm = norm; s->eps = eps; s->nw = nw; s->nb = nb; s->op = op; s->residual = residual;
}

/* Initial value rules for generated weights, by the tensor's name: norm weights and masks 1,
 * biases 0, Mamba's A_log / D / dt bias in their usual ranges, matrices uniform with standard
 * deviation 1/sqrt(fan_in) (halved for output projections, so the residual stream stays O(1)). */
static const float *smx__random_tensor(smx__loader *ld, const char *name, int ndim, const int64_t *dims)
{
    size_t n = 1, i;
    int k;
    const char *last = strrchr(name, '.');
    float *p;
    smx_rng r;
    smx_model *m = ld->m;
    for (k = 0; k < ndim; k++) n *= (size_t)dims[k];
    for (k = 0; k < m->n_gen; k++)   /* asked twice (e.g. a tied head): the same tensor */
        if (!strcmp(m->gen[k].name, name)) return m->gen[k].data;
    p = smx__ld_alloc(ld, n);
    if (!p) return NULL;
    last = last ? last + 1 : name;
    smx_rng_seed(&r, smx__fnv(ld->seed ^ SMX__FNV_INIT, name, strlen(name)));
    if (strstr(name, "mask")) {
        for (i = 0; i < n; i++) p[i] = 1.0f;
    } else if (!strcmp(last, "A_log")) {
        for (i = 0; i < n; i++) p[i] = logf(1.0f + 15.0f * (float)smx_rng_uniform(&r));
    } else if (!strcmp(last, "D")) {
        for (i = 0; i < n; i++) p[i] = 1.0f;
    } else if (!strcmp(last, "dt_bias") || (strstr(name, "dt_proj") && !strcmp(last, "bias"))) {
        for (i = 0; i < n; i++) {   /* softplus^-1 of dt log-uniform in [1e-3, 1e-1] */
            float dt = expf(logf(1e-3f) + (logf(1e-1f) - logf(1e-3f)) * (float)smx_rng_uniform(&r));
            p[i] = dt + logf(-expm1f(-dt));
        }
    } else if (ndim == 1 || (ndim == 2 && dims[0] == 1)) {
        float v = strstr(name, "norm") || strstr(name, "ln_") || !strcmp(last, "weight") ? 1.0f : 0.0f;
        for (i = 0; i < n; i++) p[i] = v;
    } else {
        float fan = (float)dims[ndim - 1], a = sqrtf(3.0f / fan);
        if (strstr(name, "o_proj") || strstr(name, "out_proj") || strstr(name, "down") || strstr(name, "ff_out") ||
            strstr(name, "w2") || strstr(name, "attn_out"))
            a *= 0.5f;
        for (i = 0; i < n; i++) p[i] = (float)(2.0 * smx_rng_uniform(&r) - 1.0) * a;
    }
    if (m->n_gen == m->cap_gen) {
        int nc = m->cap_gen ? 2 * m->cap_gen : 64;
        smx__st_out *g = (smx__st_out *)smx__arena_alloc(&m->arena, sizeof *g * (size_t)nc);
        if (!g) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
        if (m->n_gen) memcpy(g, m->gen, sizeof *g * (size_t)m->n_gen);
        m->gen = g; m->cap_gen = nc;
    }
    m->gen[m->n_gen].name = smx__arena_strdup(&m->arena, name);
    m->gen[m->n_gen].ndim = ndim;
    for (k = 0; k < ndim && k < 4; k++) m->gen[m->n_gen].shape[k] = dims[k];
    m->gen[m->n_gen].data = p;
    m->n_gen++;
    ld->n_params += n;
    ld->fp = smx__fnv(ld->fp, name, strlen(name));
    ld->fp = smx__fnv(ld->fp, p, sizeof(float) * SMX__MIN(n, (size_t)16));
    return p;
}

/* Thread index inside a parallel loop. */
static int smx__tid(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* ===================================================================================== */
/* II.6 Operators: attention, MLP                                                        */
/* ===================================================================================== */

/* ---- Rotary settings from a config: rope_parameters (v5) or rope_theta + rope_scaling ---- */
typedef struct smx__rope_cfg {
    int rot;                    /* rotated dims per head (0: no rotary) */
    const float *inv_freq;      /* [rot/2] */
} smx__rope_cfg;

/* inv_freq[j] = 1 / theta^(2j / rot), j < rot/2, in float32 as the references compute it. */
static float *smx__rope_inv_freq(smx__loader *ld, int rot, double theta)
{
    float *inv = smx__ld_alloc(ld, (size_t)(rot / 2));
    int j;
    if (!inv) return NULL;
    for (j = 0; j < rot / 2; j++) inv[j] = 1.0f / powf((float)theta, (float)(2 * j) / (float)rot);
    return inv;
}

/* head_dim: per-head width; theta_def: family default; partial_def: default rotary fraction. */
static smx__rope_cfg smx__rope_from_config(smx__loader *ld, int head_dim, double theta_def, double partial_def)
{
    smx__rope_cfg r;
    const smx__jv *rp = smx__cfg_get(ld, NULL, "rope_parameters");
    const smx__jv *rs = smx__cfg_get(ld, NULL, "rope_scaling");
    const smx__jv *src = rp ? rp : rs;   /* where rope_type and scaling keys live */
    const char *type;
    double theta, partial;
    float *inv;
    int j, half;
    r.rot = 0; r.inv_freq = NULL;
    if (rp && rp->type != SMX__J_OBJ) { smx__ld_fail(ld, SMX_E_FORMAT, "config.json: 'rope_parameters' must be an object"); return r; }
    if (rs && rs->type != SMX__J_OBJ) { smx__ld_fail(ld, SMX_E_FORMAT, "config.json: 'rope_scaling' must be an object"); return r; }
    theta = smx__cf(ld, NULL, "rope_theta", theta_def);
    if (rp) theta = smx__cf(ld, rp, "rope_theta", theta);
    partial = smx__cf(ld, NULL, "partial_rotary_factor", partial_def);
    if (rp) partial = smx__cf(ld, rp, "partial_rotary_factor", partial);
    type = src ? smx__cs(ld, src, "rope_type", smx__cs(ld, src, "type", "default")) : "default";
    r.rot = (int)(head_dim * partial);
    r.rot -= r.rot % 2;
    smx__ld_check(ld, theta > 0 && r.rot > 0 && r.rot <= head_dim, SMX_E_RANGE,
                  "config.json: rotary settings give theta %g and %d rotary dims of %d", theta, r.rot, head_dim);
    half = r.rot / 2;
    inv = smx__rope_inv_freq(ld, r.rot, theta);
    if (ld->st) return r;
    if (!strcmp(type, "default")) {
    } else if (!strcmp(type, "linear")) {
        float f = (float)smx__cf(ld, src, "factor", 1.0);
        for (j = 0; j < half; j++) inv[j] /= f;
    } else if (!strcmp(type, "llama3")) {
        float f = (float)smx__cf(ld, src, "factor", 8.0), lo = (float)smx__cf(ld, src, "low_freq_factor", 1.0);
        float hi = (float)smx__cf(ld, src, "high_freq_factor", 4.0);
        float L0 = (float)smx__cf(ld, src, "original_max_position_embeddings", 8192.0);
        float lo_w = L0 / lo, hi_w = L0 / hi;
        for (j = 0; j < half; j++) {
            float wl = (float)(2.0 * 3.14159265358979323846) / inv[j];
            float f1 = wl > lo_w ? inv[j] / f : inv[j];
            float s = (L0 / wl - lo) / (hi - lo);
            float sm = (1.0f - s) * f1 / f + s * f1;
            inv[j] = (!(wl < hi_w) && !(wl > lo_w)) ? sm : f1;
        }
    } else {
        smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: rope type '%s' is not supported (default, linear, llama3)", type);
    }
    r.inv_freq = inv;
    return r;
}

/* ---- Attention: causal or bidirectional, GQA, RoPE, optional per-head q/k RMSNorm, optional
 *      sliding window, KV cache laid out [position][K | V][n_kv * head_dim] ---- */
#define SMX__ATTN_BQ 16     /* queries per block in the prefill path */

typedef struct smx__attn {
    smx__op base;
    int nh, nkv, hd, causal, window;
    float scale, qk_eps;
    const float *wq, *wk, *wv, *wo, *bq, *bk, *bv, *bo;   /* wq [nh*hd, d] ... wo [d, nh*hd] */
    const float *qn, *kn;                                  /* [hd] per-head RMSNorm weights or NULL */
    smx__rope_cfg rope;
} smx__attn;

static size_t smx__attn_state(const smx__op *op, int n)
{
    const smx__attn *a = (const smx__attn *)op;
    return (size_t)n * 2 * (size_t)a->nkv * (size_t)a->hd * sizeof(float);
}

static size_t smx__attn_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__attn *a = (const smx__attn *)op;
    size_t q = (size_t)T * a->nh * a->hd, kv = (size_t)T * a->nkv * a->hd;
    return 2 * q + 2 * kv + (size_t)nth * SMX__ATTN_BQ * (size_t)n_ctx;
}

static void smx__attn_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__attn *a = (const smx__attn *)op;
    const int T = f->T, pos = f->pos, nh = a->nh, hd = a->hd, kvd = a->nkv * a->hd, qd = nh * hd;
    const int rep = nh / a->nkv, n_ctx = f->n_ctx > pos + T ? f->n_ctx : pos + T;
    float *cache = (float *)state;          /* [n_ctx][2][kvd] */
    float *q = f->scratch;                  /* [T, qd] */
    float *k = q + (size_t)T * qd;          /* [T, kvd] */
    float *v = k + (size_t)T * kvd;         /* [T, kvd] */
    float *o = v + (size_t)T * kvd;         /* [T, qd] */
    float *scores = o + (size_t)T * qd;     /* [nth][BQ][n_ctx] */
    int t, i, nth, nblk;
    smx__matmul(q, f->x, a->wq, a->bq, T, op->d_in, qd, f->nth);
    smx__matmul(k, f->x, a->wk, a->bk, T, op->d_in, kvd, f->nth);
    smx__matmul(v, f->x, a->wv, a->bv, T, op->d_in, kvd, f->nth);
    for (t = 0; t < T; t++) {
        int h;
        float *row;
        for (h = 0; h < nh; h++) {
            float *qh = q + (size_t)t * qd + (size_t)h * hd;
            if (a->qn) smx__rmsnorm(qh, qh, a->qn, hd, a->qk_eps);
            if (a->rope.rot) smx__rope(qh, a->rope.rot, pos + t, a->rope.inv_freq);
        }
        for (h = 0; h < a->nkv; h++) {
            float *kh = k + (size_t)t * kvd + (size_t)h * hd;
            if (a->kn) smx__rmsnorm(kh, kh, a->kn, hd, a->qk_eps);
            if (a->rope.rot) smx__rope(kh, a->rope.rot, pos + t, a->rope.inv_freq);
        }
        row = cache + (size_t)(pos + t) * 2 * kvd;
        memcpy(row, k + (size_t)t * kvd, sizeof(float) * (size_t)kvd);
        memcpy(row + kvd, v + (size_t)t * kvd, sizeof(float) * (size_t)kvd);
    }
    /* Per head and block of SMX__ATTN_BQ queries: S = Q K^T (a strided matmul over the cache),
     * then per query: softmax(S * scale) over its visible keys, o = P V. */
    nblk = (T + SMX__ATTN_BQ - 1) / SMX__ATTN_BQ;
    nth = (double)T * nh * n_ctx * hd < SMX__PAR_MIN_WORK ? 1 : f->nth;
    SMX__OMP_FOR_DYN(nth)
    for (i = 0; i < nh * nblk; i++) {
        int h = i % nh, blk = i / nh, g = h / rep, t0 = blk * SMX__ATTN_BQ, tn = SMX__MIN(SMX__ATTN_BQ, T - t0), j, s;
        int end_max = a->causal ? pos + t0 + tn : n_ctx;
        float *sc = scores + (size_t)smx__tid() * SMX__ATTN_BQ * n_ctx;   /* [BQ][n_ctx] */
        smx__matmul_ld(sc, (size_t)n_ctx, q + (size_t)t0 * qd + (size_t)h * hd, (size_t)qd, cache + (size_t)g * hd,
                       (size_t)2 * kvd, NULL, tn, hd, end_max, 1);
        for (j = 0; j < tn; j++) {
            int end = a->causal ? pos + t0 + j + 1 : n_ctx;
            int start = (a->window > 0 && end - a->window > 0) ? end - a->window : 0;
            float *row = sc + (size_t)j * n_ctx, *oh = o + (size_t)(t0 + j) * qd + (size_t)h * hd;
            float mx = -INFINITY, sum = 0.0f, inv;
            for (s = start; s < end; s++) {
                row[s] *= a->scale;
                if (row[s] > mx) mx = row[s];
            }
            for (s = start; s < end; s++) { row[s] = expf(row[s] - mx); sum += row[s]; }
            inv = 1.0f / sum;
            memset(oh, 0, sizeof(float) * (size_t)hd);
            for (s = start; s < end; s++) smx__axpy(oh, row[s] * inv, cache + (size_t)s * 2 * kvd + kvd + (size_t)g * hd, hd);
        }
    }
    smx__matmul(f->y, o, a->wo, a->bo, T, qd, op->d_out, f->nth);
}

static const smx__op_vt smx__attn_vt = {
    "attention", 'A', smx__attn_state, NULL, smx__attn_scratch, smx__attn_forward, NULL
};

/* Settings a family reads from its config before creating attention. */
typedef struct smx__attn_cfg {
    int d, nh, nkv, hd, causal, window, bias, o_bias, qk_norm;
    float qk_eps;
    smx__rope_cfg rope;         /* rot = 0: no positional encoding */
} smx__attn_cfg;

/* prefix: e.g. "model.layers.3.self_attn."; names of the four projections and q/k norms. */
static smx__op *smx__attn_load(smx__loader *ld, const smx__attn_cfg *c, const char *prefix, const char *qn,
                               const char *kn, const char *vn, const char *on, const char *qnorm, const char *knorm)
{
    smx__attn *a;
    int qd = c->nh * c->hd, kvd = c->nkv * c->hd;
    if (!smx__ld_check(ld, c->nh > 0 && c->nkv > 0 && c->nh % c->nkv == 0, SMX_E_RANGE,
                       "config.json: %d attention heads cannot be shared by %d key/value heads", c->nh, c->nkv))
        return NULL;
    a = (smx__attn *)smx__op_new(ld, sizeof *a, &smx__attn_vt, c->d, c->d);
    if (!a) return NULL;
    a->nh = c->nh; a->nkv = c->nkv; a->hd = c->hd; a->causal = c->causal; a->window = c->window;
    a->scale = 1.0f / sqrtf((float)c->hd);
    a->qk_eps = c->qk_eps;
    a->rope = c->rope;
    a->wq = SMX__W2(ld, qd, c->d, "%s%s.weight", prefix, qn);
    a->wk = SMX__W2(ld, kvd, c->d, "%s%s.weight", prefix, kn);
    a->wv = SMX__W2(ld, kvd, c->d, "%s%s.weight", prefix, vn);
    a->wo = SMX__W2(ld, c->d, qd, "%s%s.weight", prefix, on);
    if (c->bias) {
        a->bq = SMX__W1(ld, qd, "%s%s.bias", prefix, qn);
        a->bk = SMX__W1(ld, kvd, "%s%s.bias", prefix, kn);
        a->bv = SMX__W1(ld, kvd, "%s%s.bias", prefix, vn);
    }
    if (c->o_bias) a->bo = SMX__W1(ld, c->d, "%s%s.bias", prefix, on);
    if (c->qk_norm) {
        a->qn = SMX__W1(ld, c->hd, "%s%s.weight", prefix, qnorm);
        a->kn = SMX__W1(ld, c->hd, "%s%s.weight", prefix, knorm);
    }
    return &a->base;
}

/* ---- MLP: gated (SwiGLU/GeGLU: down(act(gate x) * up x)) or plain (down(act(up x))) ---- */
typedef struct smx__mlp {
    smx__op base;
    int ff, gated, act;
    const float *wg, *wu, *wd, *bg, *bu, *bd;   /* wg, wu [ff, d]; wd [d, ff] */
} smx__mlp;

static size_t smx__mlp_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    (void)n_ctx; (void)nth;
    return 2 * (size_t)T * (size_t)((const smx__mlp *)op)->ff;
}

static void smx__mlp_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mlp *m = (const smx__mlp *)op;
    float *u = f->scratch, *g = u + (size_t)f->T * m->ff;
    size_t i, n = (size_t)f->T * m->ff;
    (void)state;
    smx__matmul(u, f->x, m->wu, m->bu, f->T, op->d_in, m->ff, f->nth);
    if (m->gated) {
        smx__matmul(g, f->x, m->wg, m->bg, f->T, op->d_in, m->ff, f->nth);
        for (i = 0; i < n; i++) u[i] *= smx__act(m->act, g[i]);
    } else {
        for (i = 0; i < n; i++) u[i] = smx__act(m->act, u[i]);
    }
    smx__matmul(f->y, u, m->wd, m->bd, f->T, m->ff, op->d_out, f->nth);
}

static const smx__op_vt smx__mlp_vt = { "mlp", 'F', NULL, NULL, smx__mlp_scratch, smx__mlp_forward, NULL };

/* prefix e.g. "model.layers.3.mlp."; gate may be NULL for a plain MLP. */
static smx__op *smx__mlp_load(smx__loader *ld, int d, int ff, int act, int bias, const char *prefix,
                              const char *gate, const char *up, const char *down)
{
    smx__mlp *m = (smx__mlp *)smx__op_new(ld, sizeof *m, &smx__mlp_vt, d, d);
    if (!m) return NULL;
    m->ff = ff; m->act = act; m->gated = gate != NULL;
    if (gate) m->wg = SMX__W2(ld, ff, d, "%s%s.weight", prefix, gate);
    m->wu = SMX__W2(ld, ff, d, "%s%s.weight", prefix, up);
    m->wd = SMX__W2(ld, d, ff, "%s%s.weight", prefix, down);
    if (bias) {
        if (gate) m->bg = SMX__W1(ld, ff, "%s%s.bias", prefix, gate);
        m->bu = SMX__W1(ld, ff, "%s%s.bias", prefix, up);
        m->bd = SMX__W1(ld, d, "%s%s.bias", prefix, down);
    }
    return &m->base;
}

/* Token embedding and LM head shared by the token families. head_name absent (tied or not
 * saved) falls back to the embedding. */
static void smx__load_embed_head(smx__loader *ld, int V, int d, const char *embed_name, const char *head_name, int tied)
{
    smx_model *m = ld->m;
    int64_t sh[8];
    int nd;
    m->kind = SMX_KIND_TOKENS;
    m->vocab = V; m->d = d; m->d_in = d; m->d_out = V;
    m->embed = SMX__W2(ld, V, d, "%s", embed_name);
    nd = head_name ? smx__tensor_shape(ld, sh, "%s", head_name) : -1;
    if (ld->random && !tied && head_name) { nd = 2; sh[0] = V; sh[1] = d; }
    if (!tied && nd == 2 && sh[1] == d) {
        m->n_logits = (int)sh[0];
        m->head = SMX__W2(ld, sh[0], d, "%s", head_name);
    } else {
        m->n_logits = V;
        m->head = m->embed;
    }
}

/* ===================================================================================== */
/* II.7 Families                                                                         */
/* ===================================================================================== */

/* ---- Llama (LlamaForCausalLM) and LLaDA (LLaDAModelLM): the same network under two naming
 *      schemes; LLaDA attends bidirectionally ---- */
typedef struct smx__llama_names {
    const char *embed, *layer, *attn_norm, *attn, *q, *k, *v, *o, *mlp_norm, *mlp, *gate, *up, *down, *final_norm, *head;
} smx__llama_names;

typedef struct smx__llama_cfg {
    int V, d, L, ff, act, mlp_bias, tied;
    float eps;
    smx__attn_cfg at;
} smx__llama_cfg;

static smx_status smx__build_llama_like(smx__loader *ld, const smx__llama_cfg *c, const smx__llama_names *nm)
{
    char p[256], p2[256];
    int l;
    smx__load_embed_head(ld, c->V, c->d, nm->embed, nm->head, c->tied);
    for (l = 0; l < c->L && !ld->st; l++) {
        snprintf(p, sizeof p, nm->layer, l);
        snprintf(p2, sizeof p2, "%s%s", p, nm->attn);
        smx__add_sub(ld, SMX__NORM_RMS, c->eps, SMX__W1(ld, c->d, "%s%s.weight", p, nm->attn_norm), NULL,
                     smx__attn_load(ld, &c->at, p2, nm->q, nm->k, nm->v, nm->o, NULL, NULL), 1);
        snprintf(p2, sizeof p2, "%s%s", p, nm->mlp);
        smx__add_sub(ld, SMX__NORM_RMS, c->eps, SMX__W1(ld, c->d, "%s%s.weight", p, nm->mlp_norm), NULL,
                     smx__mlp_load(ld, c->d, c->ff, c->act, c->mlp_bias, p2, nm->gate, nm->up, nm->down), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = c->eps;
    ld->m->fnw = SMX__W1(ld, c->d, "%s", nm->final_norm);
    return ld->st;
}

static int smx__cfg_act(smx__loader *ld, const char *key, const char *def)
{
    const char *s = smx__cs(ld, NULL, key, def);
    int a = smx__act_by_name(s);
    if (a < 0) smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: %s '%s' is not supported", key, s);
    return a;
}

static smx_status smx__build_llama(smx__loader *ld)
{
    static const smx__llama_names nm = {
        "model.embed_tokens.weight", "model.layers.%d.", "input_layernorm", "self_attn.", "q_proj", "k_proj", "v_proj",
        "o_proj", "post_attention_layernorm", "mlp.", "gate_proj", "up_proj", "down_proj", "model.norm.weight", "lm_head.weight"
    };
    smx__llama_cfg c;
    memset(&c, 0, sizeof c);
    c.V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    c.d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    c.L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    c.ff = smx__ci_pos(ld, NULL, "intermediate_size", 0);
    c.eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-6);
    c.tied = smx__cb(ld, NULL, "tie_word_embeddings", 0);
    c.mlp_bias = smx__cb(ld, NULL, "mlp_bias", 0);
    c.act = smx__cfg_act(ld, "hidden_act", "silu");
    c.at.d = c.d;
    c.at.nh = smx__ci_pos(ld, NULL, "num_attention_heads", 0);
    c.at.nkv = smx__ci_pos(ld, NULL, "num_key_value_heads", c.at.nh);
    c.at.hd = smx__ci_pos(ld, NULL, "head_dim", c.d / (c.at.nh ? c.at.nh : 1));
    c.at.causal = 1;
    c.at.bias = c.at.o_bias = smx__cb(ld, NULL, "attention_bias", 0);
    if (ld->st) return ld->st;
    c.at.rope = smx__rope_from_config(ld, c.at.hd, 10000.0, 1.0);
    ld->m->max_ctx = smx__ci(ld, NULL, "max_position_embeddings", 0);
    return smx__build_llama_like(ld, &c, &nm);
}

static smx_status smx__build_llada(smx__loader *ld)
{
    static const smx__llama_names nm = {
        "model.transformer.wte.weight", "model.transformer.blocks.%d.", "attn_norm", "", "q_proj", "k_proj", "v_proj",
        "attn_out", "ff_norm", "", "ff_proj", "up_proj", "ff_out", "model.transformer.ln_f.weight", "model.transformer.ff_out.weight"
    };
    smx__llama_cfg c;
    int emb;
    const char *s;
    memset(&c, 0, sizeof c);
    c.V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    emb = smx__ci(ld, NULL, "embedding_size", c.V);
    c.d = smx__ci_pos(ld, NULL, "d_model", 0);
    c.L = smx__ci_pos(ld, NULL, "n_layers", 0);
    c.ff = smx__ci(ld, NULL, "mlp_hidden_size", 0);
    if (c.ff <= 0) c.ff = (int)(smx__cf(ld, NULL, "mlp_ratio", 4.0) * c.d);
    c.eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-5);
    c.tied = smx__cb(ld, NULL, "weight_tying", 0);
    c.act = smx__cfg_act(ld, "activation_type", "silu");
    c.mlp_bias = smx__cb(ld, NULL, "include_bias", 0);
    c.at.d = c.d;
    c.at.nh = smx__ci_pos(ld, NULL, "n_heads", 0);
    c.at.nkv = smx__ci_pos(ld, NULL, "n_kv_heads", c.at.nh);
    c.at.hd = c.d / (c.at.nh ? c.at.nh : 1);
    c.at.causal = 0;
    c.at.bias = c.mlp_bias || smx__cb(ld, NULL, "include_qkv_bias", 0);
    c.at.o_bias = c.mlp_bias;
    s = smx__cs(ld, NULL, "block_type", "llama");
    smx__ld_check(ld, !strcmp(s, "llama"), SMX_E_UNSUPPORTED, "config.json: LLaDA block_type '%s' is not supported (llama)", s);
    s = smx__cs(ld, NULL, "layer_norm_type", "rms");
    smx__ld_check(ld, !strcmp(s, "rms"), SMX_E_UNSUPPORTED, "config.json: LLaDA layer_norm_type '%s' is not supported (rms)", s);
    smx__ld_check(ld, !smx__cb(ld, NULL, "alibi", 0), SMX_E_UNSUPPORTED, "config.json: ALiBi is not supported");
    smx__ld_check(ld, emb >= c.V, SMX_E_RANGE, "config.json: embedding_size %d is smaller than vocab_size %d", emb, c.V);
    if (ld->st) return ld->st;
    c.V = emb;      /* the embedding (and the logits) have embedding_size rows */
    c.at.rope = smx__rope_from_config(ld, c.at.hd, 10000.0, 1.0);
    ld->m->max_ctx = smx__ci(ld, NULL, "max_sequence_length", 0);
    ld->m->mask_token = smx__ci(ld, NULL, "mask_token_id", 126336);
    ld->m->causal = 0;
    return smx__build_llama_like(ld, &c, &nm);
}

#include "parts/ssm.h"
#include "parts/xlstm.h"
#include "parts/liquid.h"
#include "parts/builder.h"

/* ===================================================================================== */
/* II.8 Architecture registry and smx_model_load                                         */
/* ===================================================================================== */

#ifndef SMX__BUILD_MAMBA
#define SMX__BUILD_MAMBA NULL
#endif
#ifndef SMX__BUILD_MAMBA2
#define SMX__BUILD_MAMBA2 NULL
#endif
#ifndef SMX__BUILD_JAMBA
#define SMX__BUILD_JAMBA NULL
#endif
#ifndef SMX__BUILD_BAMBA
#define SMX__BUILD_BAMBA NULL
#endif
#ifndef SMX__BUILD_XLSTM
#define SMX__BUILD_XLSTM NULL
#endif
#ifndef SMX__BUILD_XLSTM_LM
#define SMX__BUILD_XLSTM_LM NULL
#endif
#ifndef SMX__BUILD_LFM2
#define SMX__BUILD_LFM2 NULL
#endif
#ifndef SMX__BUILD_CFC
#define SMX__BUILD_CFC NULL
#endif
#ifndef SMX__BUILD_WIRED_CFC
#define SMX__BUILD_WIRED_CFC NULL
#endif
#ifndef SMX__BUILD_LTC
#define SMX__BUILD_LTC NULL
#endif
#ifndef SMX__BUILD_SEQMIX
#define SMX__BUILD_SEQMIX NULL
#endif

typedef smx_status (*smx__build_fn)(smx__loader *ld);
typedef struct smx__family { const char *arch, *model_type; smx__build_fn build; } smx__family;

/* Chosen by architectures[0] first, then by model_type. A NULL builder is a known family that
 * this build does not implement yet. */
static const smx__family smx__families[] = {
    { "LlamaForCausalLM", "llama", smx__build_llama },
    { "LLaDAModelLM", "llada", smx__build_llada },
    { "MambaForCausalLM", "mamba", SMX__BUILD_MAMBA },
    { "Mamba2ForCausalLM", "mamba2", SMX__BUILD_MAMBA2 },
    { "JambaForCausalLM", "jamba", SMX__BUILD_JAMBA },
    { "BambaForCausalLM", "bamba", SMX__BUILD_BAMBA },
    { "xLSTMForCausalLM", "xlstm", SMX__BUILD_XLSTM },
    { "xLSTMLMModel", "xlstm_lm", SMX__BUILD_XLSTM_LM },
    { "Lfm2ForCausalLM", "lfm2", SMX__BUILD_LFM2 },
    { "CfC", "cfc", SMX__BUILD_CFC },
    { "WiredCfC", "wired_cfc", SMX__BUILD_WIRED_CFC },
    { "LTC", "ltc", SMX__BUILD_LTC },
    { "SeqmixForCausalLM", "seqmix", SMX__BUILD_SEQMIX },
};
#define SMX__N_FAMILIES (int)(sizeof smx__families / sizeof smx__families[0])

static void smx__list_families(char *buf, size_t cap)
{
    int i;
    size_t o = 0;
    buf[0] = 0;
    for (i = 0; i < SMX__N_FAMILIES && o < cap; i++)
        if (smx__families[i].build)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s (%s)", o ? ", " : "", smx__families[i].arch, smx__families[i].model_type);
}

SMX_API char *smx_supported_architectures(char *buf, size_t cap)
{
    if (buf && cap) smx__list_families(buf, cap);
    return buf;
}

SMX_API void smx_model_free(smx_model *m)
{
    int i;
    if (!m) return;
    for (i = 0; i < m->n_sub; i++)
        if (m->sub[i].op && m->sub[i].op->vt->destroy) m->sub[i].op->vt->destroy(m->sub[i].op);
    smx__st_close(&m->ts);
    smx__arena_free(&m->arena);
    SMX_FREE(m);
}

/* Check that the sub-layers chain: each operator reads the width the previous one left. */
static smx_status smx__check_chain(smx__loader *ld)
{
    smx_model *m = ld->m;
    int i, w = m->d_in;
    if (!m->n_sub) return smx__ld_fail(ld, SMX_E_FORMAT, "model has no layers"), ld->st;
    for (i = 0; i < m->n_sub; i++) {
        const smx__op *op = m->sub[i].op;
        if (!smx__ld_check(ld, op->d_in == w && (!m->sub[i].residual || op->d_out == op->d_in), SMX_E_SHAPE,
                           "layer %d (%s) reads width %d but receives %d", i, op->vt->name, op->d_in, w))
            return ld->st;
        w = op->d_out;
    }
    if (m->kind == SMX_KIND_TOKENS) smx__ld_check(ld, w == m->d, SMX_E_SHAPE, "last layer leaves width %d, head needs %d", w, m->d);
    else if (!m->head) m->d_out = w;
    return ld->st;
}

/* Parse config text, pick the family and run its builder, reading weights from dir or, when
 * random, generating them. */
static smx_status smx__model_make(const char *dir, const char *text, size_t n, int random, uint64_t seed, smx_model **out,
                                  smx_error *err)
{
    smx_model *m;
    smx__loader ld;
    char list[1024];
    const smx__jv *cfg, *archs;
    const char *arch = NULL, *mt = NULL;
    const smx__family *fam = NULL;
    smx_status st;
    int i;
    m = (smx_model *)SMX_MALLOC(sizeof *m);
    if (!m) return smx__fail(err, SMX_E_NOMEM, "out of memory");
    memset(m, 0, sizeof *m);
    m->causal = 1; m->mask_token = -1;
    memset(&ld, 0, sizeof ld);
    ld.dir = dir; ld.ts = &m->ts; ld.m = m; ld.e = err; ld.fp = SMX__FNV_INIT; ld.random = random; ld.seed = seed;
    ld.fp = smx__fnv(ld.fp, text, n);
    if ((st = smx__json_parse(text, n, &m->arena, 1, "config.json", (smx__jv **)&cfg, err)) != SMX_OK) goto fail;
    if (cfg->type != SMX__J_OBJ) { st = smx__fail(err, SMX_E_FORMAT, "config.json: not a JSON object"); goto fail; }
    ld.cfg = cfg;
    archs = smx__jget(cfg, "architectures");
    if (archs && archs->type == SMX__J_ARR && archs->child && archs->child->type == SMX__J_STR) arch = archs->child->str;
    mt = smx__cs(&ld, NULL, "model_type", NULL);
    if ((st = ld.st) != SMX_OK) goto fail;
    for (i = 0; i < SMX__N_FAMILIES && !fam; i++)
        if (arch && !strcmp(arch, smx__families[i].arch)) fam = &smx__families[i];
    for (i = 0; i < SMX__N_FAMILIES && !fam; i++)
        if (mt && !strcmp(mt, smx__families[i].model_type)) fam = &smx__families[i];
    smx__list_families(list, sizeof list);
    if (!fam) {
        st = smx__fail(err, SMX_E_UNSUPPORTED, "config.json: unknown architecture '%s' (model_type '%s'); supported: %s",
                       arch ? arch : "-", mt ? mt : "-", list);
        goto fail;
    }
    if (!fam->build) {
        st = smx__fail(err, SMX_E_UNSUPPORTED, "architecture '%s' is known but not implemented in this build; supported: %s",
                       fam->arch, list);
        goto fail;
    }
    m->arch = fam->arch;
    m->model_type = fam->model_type;
    if (!random && (st = smx__st_open_dir(&m->ts, dir, err)) != SMX_OK) goto fail;
    if ((st = fam->build(&ld)) != SMX_OK || (st = ld.st) != SMX_OK) goto fail;
    if ((st = smx__check_chain(&ld)) != SMX_OK) goto fail;
    for (i = 0; i < m->n_sub && i + 1 < (int)sizeof m->pattern; i++) m->pattern[i] = m->sub[i].op->vt->letter;
    m->fp = ld.fp;
    m->n_params = ld.n_params;
    for (i = 0; i < m->ts.nfiles; i++)   /* keep only the files the weights point into */
        if (!m->ts.files[i].borrowed) smx__st_release_file(&m->ts.files[i]);
    if (random) {
        char *t = (char *)smx__arena_alloc(&m->arena, n + 1);
        if (!t) { st = smx__fail(err, SMX_E_NOMEM, "out of memory"); goto fail; }
        memcpy(t, text, n);
        m->config_text = t;
    }
    *out = m;
    return SMX_OK;
fail:
    smx_model_free(m);
    return st;
}

SMX_API smx_status smx_model_load(const char *dir, smx_model **out, smx_error *err)
{
    smx_error tmp;
    char path[4096];
    char *text = NULL;
    size_t n;
    smx_status st;
    if (!err) err = &tmp;
    smx__ok(err);
    if (out) *out = NULL;
    if (!dir || !out) return smx__fail(err, SMX_E_ARG, "smx_model_load: dir and out must not be NULL");
    smx__path(path, sizeof path, dir, "config.json");
    if ((st = smx__read_file(path, &text, &n, err)) != SMX_OK) return st;
    st = smx__model_make(dir, text, n, 0, 0, out, err);
    SMX_FREE(text);
    return st;
}

SMX_API smx_status smx_model_from_config(const char *config_json, uint64_t seed, smx_model **out, smx_error *err)
{
    smx_error tmp;
    if (!err) err = &tmp;
    smx__ok(err);
    if (out) *out = NULL;
    if (!config_json || !out) return smx__fail(err, SMX_E_ARG, "smx_model_from_config: config and out must not be NULL");
    return smx__model_make(NULL, config_json, strlen(config_json), 1, seed, out, err);
}

SMX_API smx_status smx_model_save(const smx_model *m, const char *dir, smx_error *err)
{
    smx_error tmp;
    char path[4096];
    FILE *f;
    if (!err) err = &tmp;
    smx__ok(err);
    if (!m || !dir) return smx__fail(err, SMX_E_ARG, "smx_model_save: model and dir must not be NULL");
    if (!m->config_text) return smx__fail(err, SMX_E_UNSUPPORTED, "only generated models can be saved (loaded ones already are)");
#if SMX__MMAP
    mkdir(dir, 0755);   /* POSIX: create the folder if needed (an existing one is fine) */
#endif
    smx__path(path, sizeof path, dir, "config.json");
    f = fopen(path, "wb");
    if (!f) return smx__fail(err, SMX_E_IO, "%s: cannot create", path);
    if (fputs(m->config_text, f) < 0 || fclose(f) != 0) return smx__fail(err, SMX_E_IO, "%s: write failed", path);
    smx__path(path, sizeof path, dir, "model.safetensors");
    return smx__st_write(path, m->gen, m->n_gen, err);
}

static size_t smx__model_fixed_state(const smx_model *m)
{
    size_t s = 0;
    int i;
    for (i = 0; i < m->n_sub; i++) s += smx__op_state(m->sub[i].op, 0);
    return s;
}

static size_t smx__model_kv_per_token(const smx_model *m)
{
    size_t s = 0;
    int i;
    for (i = 0; i < m->n_sub; i++) s += smx__op_state(m->sub[i].op, 1) - smx__op_state(m->sub[i].op, 0);
    return s;
}

SMX_API void smx_model_get_info(const smx_model *m, smx_model_info *info)
{
    memset(info, 0, sizeof *info);
    if (!m) return;
    info->architecture = m->arch;
    info->model_type = m->model_type;
    info->pattern = m->pattern;
    info->kind = m->kind;
    info->vocab_size = m->kind == SMX_KIND_TOKENS ? m->n_logits : 0;
    info->hidden_size = m->d;
    info->n_layers = m->n_sub;
    info->input_size = m->d_in;
    info->output_size = m->kind == SMX_KIND_TOKENS ? m->n_logits : m->d_out;
    info->causal = m->causal;
    info->max_context = m->max_ctx;
    info->n_params = m->n_params;
    info->weight_bytes = m->n_params * sizeof(float);
    info->state_bytes = smx__model_fixed_state(m);
    info->kv_bytes_per_token = smx__model_kv_per_token(m);
}

SMX_API int smx_model_vocab(const smx_model *m) { return m && m->kind == SMX_KIND_TOKENS ? m->n_logits : 0; }
SMX_API int smx_model_mask_token(const smx_model *m) { return m ? m->mask_token : -1; }

/* ===================================================================================== */
/* II.9 Sessions, state blobs, sampling                                                  */
/* ===================================================================================== */

struct smx_session {
    const smx_model *m;
    int cap, batch, nth, pos, grows;
    unsigned char *state;       /* all operators' state, one slice each */
    size_t *off;                /* [n_sub + 1] slice offsets */
    float *h, *xn, *y;          /* [batch, wmax] residual stream, normed input, operator output */
    float *scratch;
    char err[512];
};

static smx_status smx__sfail(smx_session *s, smx_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return st;
}

SMX_API const char *smx_session_error(const smx_session *s) { return s ? s->err : "no session"; }
SMX_API int smx_session_pos(const smx_session *s) { return s ? s->pos : 0; }
SMX_API int smx_session_capacity(const smx_session *s) { return s ? s->cap : 0; }

SMX_API void smx_session_free(smx_session *s)
{
    if (!s) return;
    SMX_FREE(s->state); SMX_FREE(s->off); SMX_FREE(s->h); SMX_FREE(s->xn); SMX_FREE(s->y); SMX_FREE(s->scratch);
    SMX_FREE(s);
}

SMX_API void smx_session_reset(smx_session *s)
{
    int i;
    if (!s) return;
    for (i = 0; i < s->m->n_sub; i++) {
        const smx__op *op = s->m->sub[i].op;
        if (op->vt->reset) op->vt->reset(op, s->state + s->off[i]);
        else memset(s->state + s->off[i], 0, s->off[i + 1] - s->off[i]);
    }
    s->pos = 0;
    s->err[0] = 0;
}

SMX_API smx_status smx_session_new(const smx_model *m, const smx_session_options *opt, smx_session **out, smx_error *err)
{
    smx_session *s;
    smx_session_options o;
    size_t wmax, scr = 0, total = 0;
    int i;
    smx__ok(err);
    if (out) *out = NULL;
    if (!m || !out) return smx__fail(err, SMX_E_ARG, "smx_session_new: model and out must not be NULL");
    memset(&o, 0, sizeof o);
    if (opt) o = *opt;
    if (o.capacity < 0 || o.batch < 0 || o.n_threads < 0)
        return smx__fail(err, SMX_E_ARG, "smx_session_new: capacity, batch and n_threads must be >= 0");
    s = (smx_session *)SMX_MALLOC(sizeof *s);
    if (!s) return smx__fail(err, SMX_E_NOMEM, "out of memory");
    memset(s, 0, sizeof *s);
    s->m = m;
    s->grows = smx__model_kv_per_token(m) > 0;
    if (o.capacity) s->cap = o.capacity;
    else if (!s->grows) s->cap = INT_MAX / 2;
    else s->cap = (m->max_ctx > 0 && m->max_ctx < 4096) ? m->max_ctx : 4096;
#ifdef _OPENMP
    s->nth = o.n_threads ? o.n_threads : omp_get_max_threads();
#else
    s->nth = 1;
#endif
    s->batch = o.batch ? o.batch : 512;
    if (!m->causal) s->batch = s->cap;          /* bidirectional: the whole sequence in one pass */
    if (s->batch > s->cap) s->batch = s->cap;
    wmax = (size_t)SMX__MAX(m->d_in, m->d_out);
    for (i = 0; i < m->n_sub; i++) {
        const smx__op *op = m->sub[i].op;
        size_t sc = op->vt->scratch_floats ? op->vt->scratch_floats(op, s->batch, s->grows ? s->cap : 1, s->nth) : 0;
        if (sc > scr) scr = sc;
        wmax = SMX__MAX(wmax, (size_t)SMX__MAX(op->d_in, op->d_out));
    }
    if (m->kind == SMX_KIND_TOKENS) wmax = SMX__MAX(wmax, (size_t)m->d);
    s->off = (size_t *)SMX_MALLOC(sizeof(size_t) * (size_t)(m->n_sub + 1));
    if (s->off) {
        for (i = 0; i < m->n_sub; i++) {
            s->off[i] = total;
            total += (smx__op_state(m->sub[i].op, s->grows ? s->cap : 0) + 63) & ~(size_t)63;
        }
        s->off[m->n_sub] = total;
    }
    s->state = (unsigned char *)SMX_MALLOC(total ? total : 1);
    s->h = (float *)SMX_MALLOC(sizeof(float) * wmax * (size_t)s->batch);
    s->xn = (float *)SMX_MALLOC(sizeof(float) * wmax * (size_t)s->batch);
    s->y = (float *)SMX_MALLOC(sizeof(float) * wmax * (size_t)s->batch);
    s->scratch = (float *)SMX_MALLOC(sizeof(float) * (scr ? scr : 1));
    if (!s->off || !s->state || !s->h || !s->xn || !s->y || !s->scratch) {
        smx_session_free(s);
        return smx__fail(err, SMX_E_NOMEM, "out of memory for a session of capacity %d (%lu state bytes)", o.capacity,
                         (unsigned long)total);
    }
    smx_session_reset(s);
    *out = s;
    return SMX_OK;
}

/* Run rows h[0..T) (already embedded / input features) through every sub-layer. Positions
 * continue from s->pos; n_ctx > pos + T lets bidirectional attention also see cached rows after
 * them (see smx__fwd). The result is left in s->h with the last operator's width. */
static void smx__run_layers_ctx(smx_session *s, int T, const float *dt, int n_ctx)
{
    const smx_model *m = s->m;
    int i, t;
    for (i = 0; i < m->n_sub; i++) {
        const smx__sub *sb = &m->sub[i];
        const smx__op *op = sb->op;
        const int din = op->d_in, dout = op->d_out;
        smx__fwd f;
        const float *x = s->h;
        if (sb->norm != SMX__NORM_NONE) {
            for (t = 0; t < T; t++) {
                const float *src = s->h + (size_t)t * din;
                float *dst = s->xn + (size_t)t * din;
                if (sb->norm == SMX__NORM_RMS) smx__rmsnorm(dst, src, sb->nw, din, sb->eps);
                else smx__layernorm(dst, src, sb->nw, sb->nb, din, sb->eps);
            }
            x = s->xn;
        }
        f.T = T; f.pos = s->pos; f.x = x; f.y = s->y; f.dt = dt; f.scratch = s->scratch; f.nth = s->nth; f.n_ctx = n_ctx;
        op->vt->forward(op, s->state + s->off[i], &f);
        if (sb->residual) {
            size_t k, n = (size_t)T * dout;
            for (k = 0; k < n; k++) s->h[k] += s->y[k];
        } else {
            memcpy(s->h, s->y, sizeof(float) * (size_t)T * dout);
        }
    }
}

#define SMX__HAVE_RUN_LAYERS_CTX 1
static void smx__run_layers(smx_session *s, int T, const float *dt) { smx__run_layers_ctx(s, T, dt, 0); }

/* logits for one row of the final stream */
static void smx__head(smx_session *s, const float *hrow, float *logits)
{
    const smx_model *m = s->m;
    float *tmp = s->xn;     /* free after the layers ran */
    int i;
    if (m->fnorm == SMX__NORM_RMS) smx__rmsnorm(tmp, hrow, m->fnw, m->d, m->feps);
    else if (m->fnorm == SMX__NORM_LN) smx__layernorm(tmp, hrow, m->fnw, m->fnb, m->d, m->feps);
    else memcpy(tmp, hrow, sizeof(float) * (size_t)m->d);
    smx__matmul(logits, tmp, m->head, m->head_b, 1, m->d, m->n_logits, s->nth);
    if (m->logit_cap > 0)
        for (i = 0; i < m->n_logits; i++) logits[i] = m->logit_cap * tanhf(logits[i] / m->logit_cap);
}

SMX_API smx_status smx_session_prefill(smx_session *s, const int32_t *ids, int n, float *logits, int all)
{
    const smx_model *m;
    int i, done = 0;
    if (!s) return SMX_E_ARG;
    m = s->m;
    if (m->kind != SMX_KIND_TOKENS) return smx__sfail(s, SMX_E_ARG, "this model takes feature vectors: use smx_session_run");
    if (!ids || n <= 0) return smx__sfail(s, SMX_E_ARG, "prefill: need at least one token (n = %d)", n);
    for (i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= m->vocab)
            return smx__sfail(s, SMX_E_RANGE, "token id %ld at index %d is outside the vocabulary [0, %d)", (long)ids[i], i, m->vocab);
    if (n > s->cap - s->pos)
        return smx__sfail(s, SMX_E_CAPACITY, "%d tokens at position %d exceed the session capacity of %d", n, s->pos, s->cap);
    if (!m->causal && s->pos + n > s->batch)
        return smx__sfail(s, SMX_E_CAPACITY, "bidirectional model: %d tokens do not fit one pass of %d", s->pos + n, s->batch);
    while (done < n) {
        int T = SMX__MIN(s->batch, n - done), t;
        for (t = 0; t < T; t++)
            memcpy(s->h + (size_t)t * m->d, m->embed + (size_t)ids[done + t] * m->d, sizeof(float) * (size_t)m->d);
        smx__run_layers(s, T, NULL);
        if (logits) {
            if (all)
                for (t = 0; t < T; t++) smx__head(s, s->h + (size_t)t * m->d, logits + (size_t)(done + t) * m->n_logits);
            else if (done + T == n)
                smx__head(s, s->h + (size_t)(T - 1) * m->d, logits);
        }
        s->pos += T;
        done += T;
    }
    return SMX_OK;
}

SMX_API smx_status smx_session_step(smx_session *s, int32_t id, float *logits)
{
    return smx_session_prefill(s, &id, 1, logits, 0);
}

SMX_API smx_status smx_session_rewind(smx_session *s, int pos)
{
    int i;
    if (!s) return SMX_E_ARG;
    if (pos < 0 || pos > s->pos) return smx__sfail(s, SMX_E_RANGE, "rewind to %d: position must be in [0, %d]", pos, s->pos);
    for (i = 0; i < s->m->n_sub; i++)
        if (smx__op_state(s->m->sub[i].op, 0) != 0)
            return smx__sfail(s, SMX_E_UNSUPPORTED, "layer %d (%s) keeps a recurrent state and cannot rewind", i,
                              s->m->sub[i].op->vt->name);
    s->pos = pos;
    return SMX_OK;
}

SMX_API smx_status smx_session_run(smx_session *s, const float *in, const float *dt, int T, float *out)
{
    const smx_model *m;
    int done = 0, t;
    if (!s) return SMX_E_ARG;
    m = s->m;
    if (m->kind != SMX_KIND_FEATURES) return smx__sfail(s, SMX_E_ARG, "this model takes token ids: use smx_session_prefill");
    if (!in || T <= 0) return smx__sfail(s, SMX_E_ARG, "run: need at least one step (T = %d)", T);
    if (dt)
        for (t = 0; t < T; t++)
            if (!(dt[t] > 0.0f) || dt[t] > 1e30f)
                return smx__sfail(s, SMX_E_RANGE, "elapsed time dt[%d] = %g must be positive and finite", t, (double)dt[t]);
    if (T > s->cap - s->pos)
        return smx__sfail(s, SMX_E_CAPACITY, "%d steps at position %d exceed the session capacity of %d", T, s->pos, s->cap);
    while (done < T) {
        int n = SMX__MIN(s->batch, T - done);
        memcpy(s->h, in + (size_t)done * m->d_in, sizeof(float) * (size_t)n * m->d_in);
        smx__run_layers(s, n, dt ? dt + done : NULL);
        if (m->head) {
            for (t = 0; t < n; t++) {
                float *o = out ? out + (size_t)(done + t) * m->d_out : s->xn;
                smx__matmul(o, s->h + (size_t)t * m->d, m->head, m->head_b, 1, m->d, m->d_out, 1);
            }
        } else if (out) {
            memcpy(out + (size_t)done * m->d_out, s->h, sizeof(float) * (size_t)n * m->d_out);
        }
        s->pos += n;
        done += n;
    }
    return SMX_OK;
}

SMX_API float *smx_session_layer_state(smx_session *s, int layer, size_t *bytes)
{
    if (!s || layer < 0 || layer >= s->m->n_sub) { if (bytes) *bytes = 0; return NULL; }
    if (bytes) *bytes = smx__op_state(s->m->sub[layer].op, s->pos);
    return (float *)(void *)(s->state + s->off[layer]);
}

/* ---- State blobs: "SMXS" | u32 version | u64 model fingerprint | u32 sub-layers | u32 pos |
 *      u64 payload bytes | payload (each operator's live state, in order) | u64 FNV-1a of all
 *      bytes before it. Native byte order. ---- */
#define SMX__BLOB_VERSION 1u
#define SMX__BLOB_HEADER 32

static size_t smx__blob_payload(const smx_session *s, int pos)
{
    size_t p = 0;
    int i;
    for (i = 0; i < s->m->n_sub; i++) p += smx__op_state(s->m->sub[i].op, pos);
    return p;
}

SMX_API size_t smx_session_state_size(const smx_session *s)
{
    return s ? SMX__BLOB_HEADER + smx__blob_payload(s, s->pos) + 8 : 0;
}

SMX_API smx_status smx_session_state_save(smx_session *s, void *buf, size_t cap, size_t *written)
{
    unsigned char *b = (unsigned char *)buf;
    size_t need, o = SMX__BLOB_HEADER, payload;
    uint32_t u32;
    uint64_t u64;
    int i;
    if (!s) return SMX_E_ARG;
    need = smx_session_state_size(s);
    if (written) *written = need;
    if (!buf || cap < need) return smx__sfail(s, SMX_E_ARG, "state save needs %lu bytes, buffer has %lu", (unsigned long)need, (unsigned long)cap);
    payload = need - SMX__BLOB_HEADER - 8;
    memcpy(b, "SMXS", 4);
    u32 = SMX__BLOB_VERSION; memcpy(b + 4, &u32, 4);
    memcpy(b + 8, &s->m->fp, 8);
    u32 = (uint32_t)s->m->n_sub; memcpy(b + 16, &u32, 4);
    u32 = (uint32_t)s->pos; memcpy(b + 20, &u32, 4);
    u64 = payload; memcpy(b + 24, &u64, 8);
    for (i = 0; i < s->m->n_sub; i++) {
        size_t n = smx__op_state(s->m->sub[i].op, s->pos);
        memcpy(b + o, s->state + s->off[i], n);
        o += n;
    }
    u64 = smx__fnv(SMX__FNV_INIT, b, o);
    memcpy(b + o, &u64, 8);
    return SMX_OK;
}

SMX_API smx_status smx_session_state_load(smx_session *s, const void *buf, size_t len)
{
    const unsigned char *b = (const unsigned char *)buf;
    uint32_t ver, nsub, pos;
    uint64_t fp, payload, sum;
    size_t o = SMX__BLOB_HEADER;
    int i;
    if (!s) return SMX_E_ARG;
    if (!buf || len < SMX__BLOB_HEADER + 8) return smx__sfail(s, SMX_E_STATE, "state blob of %lu bytes is truncated", (unsigned long)len);
    if (memcmp(b, "SMXS", 4) != 0) return smx__sfail(s, SMX_E_STATE, "not a seqmix state blob (bad magic)");
    memcpy(&ver, b + 4, 4); memcpy(&fp, b + 8, 8); memcpy(&nsub, b + 16, 4); memcpy(&pos, b + 20, 4); memcpy(&payload, b + 24, 8);
    if (ver != SMX__BLOB_VERSION) return smx__sfail(s, SMX_E_STATE, "state blob version %u is not supported (expected %u)", ver, SMX__BLOB_VERSION);
    if (payload > len - SMX__BLOB_HEADER - 8 || len != SMX__BLOB_HEADER + payload + 8)
        return smx__sfail(s, SMX_E_STATE, "state blob is truncated or padded: %lu bytes for a payload of %llu", (unsigned long)len,
                          (unsigned long long)payload);
    memcpy(&sum, b + len - 8, 8);
    if (sum != smx__fnv(SMX__FNV_INIT, b, len - 8)) return smx__sfail(s, SMX_E_STATE, "state blob is corrupted (checksum mismatch)");
    if (fp != s->m->fp || nsub != (uint32_t)s->m->n_sub)
        return smx__sfail(s, SMX_E_STATE, "state blob belongs to another model (fingerprint mismatch)");
    if (pos > (uint32_t)s->cap) return smx__sfail(s, SMX_E_CAPACITY, "state blob holds %u tokens, session capacity is %d", pos, s->cap);
    if (payload != smx__blob_payload(s, (int)pos)) return smx__sfail(s, SMX_E_STATE, "state blob payload size does not match the model");
    for (i = 0; i < s->m->n_sub; i++) {
        size_t n = smx__op_state(s->m->sub[i].op, (int)pos);
        memcpy(s->state + s->off[i], b + o, n);
        o += n;
    }
    s->pos = (int)pos;
    return SMX_OK;
}

/* ---- RNG: xoshiro256** seeded through splitmix64 ---- */
SMX_API void smx_rng_seed(smx_rng *r, uint64_t seed)
{
    int i;
    for (i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        r->s[i] = z ^ (z >> 31);
    }
}

static uint64_t smx__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

SMX_API uint64_t smx_rng_next(smx_rng *r)
{
    uint64_t *s = r->s, res = smx__rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = smx__rotl(s[3], 45);
    return res;
}

SMX_API double smx_rng_uniform(smx_rng *r) { return (double)(smx_rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

SMX_API int32_t smx_argmax(const float *x, int n)
{
    int i, b = 0;
    for (i = 1; i < n; i++) if (x[i] > x[b]) b = i;
    return b;
}

/* Sort idx[0..n) by v[idx] descending (ties: lower index first). */
static void smx__sort_desc(int *idx, const float *v, int n)
{
    while (n > 16) {
        int i = 0, j = n - 1, p = idx[n / 2], tmp;
        float pv = v[p];
        while (i <= j) {
            while (v[idx[i]] > pv || (v[idx[i]] == pv && idx[i] < p)) i++;
            while (v[idx[j]] < pv || (v[idx[j]] == pv && idx[j] > p)) j--;
            if (i <= j) { tmp = idx[i]; idx[i] = idx[j]; idx[j] = tmp; i++; j--; }
        }
        if (j + 1 < n - i) { smx__sort_desc(idx, v, j + 1); idx += i; n -= i; }
        else { smx__sort_desc(idx + i, v, n - i); n = j + 1; }
    }
    {
        int i, j;
        for (i = 1; i < n; i++) {
            int x = idx[i];
            for (j = i; j > 0 && (v[idx[j - 1]] < v[x] || (v[idx[j - 1]] == v[x] && idx[j - 1] > x)); j--) idx[j] = idx[j - 1];
            idx[j] = x;
        }
    }
}

SMX_API int32_t smx_sample(const float *logits, int n, const smx_sampler *p, smx_rng *rng, void *work)
{
    float *pr;
    int *idx, i, keep;
    double total = 0.0, u, acc = 0.0;
    if (!logits || n <= 0) return -1;
    if (!p || p->temperature <= 0.0f || !rng || !work) return smx_argmax(logits, n);
    pr = (float *)work;
    idx = (int *)(pr + n);
    for (i = 0; i < n; i++) idx[i] = i;
    smx__sort_desc(idx, logits, n);
    keep = (p->top_k > 0 && p->top_k < n) ? p->top_k : n;
    for (i = 0; i < keep; i++) {
        pr[i] = expf((logits[idx[i]] - logits[idx[0]]) / p->temperature);
        total += pr[i];
    }
    if (p->top_p > 0.0f && p->top_p < 1.0f) {
        double c = 0.0;
        for (i = 0; i < keep; i++) {
            c += pr[i] / total;
            if (c >= p->top_p) { keep = i + 1; break; }
        }
        total = 0.0;
        for (i = 0; i < keep; i++) total += pr[i];
    }
    u = smx_rng_uniform(rng) * total;
    for (i = 0; i < keep; i++) {
        acc += pr[i];
        if (u < acc) return idx[i];
    }
    return idx[keep - 1];
}

/* ===================================================================================== */
/* II.10 Masked-diffusion sampling                                                       */
/* ===================================================================================== */
#include "parts/diffusion.h"

#endif /* SEQMIX_IMPLEMENTATION_ONCE */
#endif /* SEQMIX_IMPLEMENTATION */

/*
 * LICENCE (MIT)
 * Copyright (c) 2026 the seqmix authors
 * Permission is hereby granted, free of charge, to any person obtaining a copy of this software
 * and associated documentation files (the "Software"), to deal in the Software without
 * restriction, including without limitation the rights to use, copy, modify, merge, publish,
 * distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
 * Software is furnished to do so, subject to the following conditions: The above copyright notice
 * and this permission notice shall be included in all copies or substantial portions of the
 * Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
 * INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE
 * AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
 * DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 * OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 *
 * HISTORY
 *   0.1.0  first release: loader, session API, attention/MLP, Llama, LLaDA forward.
 */
