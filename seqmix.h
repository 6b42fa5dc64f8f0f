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
 *   SMX_MATMUL_KC           k-block of the prefill matmul (default 512: 96 KiB of stack per
 *                           thread with AVX-512); lower it where thread stacks are small
 *   OpenMP                  compile with -fopenmp to run coarse loops on several threads; the
 *                           thread count is a per-session option
 *
 * TABLE OF CONTENTS
 *   Part I   — API (inside the header guard)
 *     1. Status codes and errors
 *     2. Models: load, generate, save, inspect, free
 *     3. Sessions: prefill, step, rewind, feature sequences, state save/load
 *     4. Sampling and RNG
 *     5. Feature models (CfC, wired CfC, LTC)
 *     6. Masked-diffusion generation (LLaDA sampler and its fast variants)
 *     7. Hybrid-stack builder
 *   Part II  — Implementation (under SEQMIX_IMPLEMENTATION)
 *     1. Platform, allocation, arena, errors, hashing
 *     2. JSON parser (RFC 8259)
 *     3. safetensors reader and Hugging Face folder loader (+ random weights)
 *     4. SIMD mapping layer and kernels
 *     5. The layer vtable and the model structure
 *     6. Operators: attention, MLP
 *     7. Families: a. Llama, LLaDA   b. Mamba, Mamba-2, MoE, Jamba, Bamba
 *                  c. xLSTM (mLSTM, sLSTM)   d. LFM2, CfC, LTC   e. hybrid stacks and builder
 *     8. Architecture registry and smx_model_load
 *     9. Sessions, state blobs, sampling
 *    10. Masked-diffusion sampling
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

/* ===================================================================================== */
/* I.5 Feature models (CfC, wired CfC, LTC)                                             */
/* ===================================================================================== */
/* ---- Liquid feature models (CfC, wired CfC, LTC) ----
 * smx_session_run(s, in, dt, T, out) runs T steps of input_size features with elapsed times dt
 * (NULL = 1.0 each; irregular sampling is what dt is for) and writes [T, output_size]. The
 * recurrent state is smx_session_layer_state(s, 0, &bytes): h [units] (wired CfC: wiring layers
 * in order; LTC: neuron ids, motor neurons first), then c [units] with mixed memory. Writing into
 * it after smx_session_reset sets the initial state; smx_session_state_save/load snapshot it.
 * Returns units (0 if m is not a liquid feature model); *has_c (may be NULL) is 1 with mixed
 * memory. */
SMX_API int smx_model_liquid_units(const smx_model *m, int *has_c);

/* ===================================================================================== */
/* I.6 Masked-diffusion generation                                                      */
/* ===================================================================================== */
/* Non-autoregressive generation for masked-diffusion models (LLaDA): the canvas
 * [prompt | gen_length mask tokens] is refined over a number of steps; each step runs the whole
 * canvas through the (bidirectional) network and commits the most confident predictions.
 *
 *   smx_diffuse_options o;
 *   smx_diffuse_default_options(&o);
 *   o.gen_length = 64; o.steps = 64; o.block_length = 32;
 *   int32_t *out = malloc(sizeof(int32_t) * (n_prompt + o.gen_length));
 *   if (smx_diffuse(m, prompt, n_prompt, &o, out, n_prompt + o.gen_length, NULL, &err)) puts(err.msg);
 *
 * The default options are the reference sampler (LLaDA's generate), reproduced token for token at
 * temperature 0 with low-confidence remasking; temperature > 0 and random remasking draw from
 * smx_rng streams (reproducible for a seed, independent of the thread count, but not torch's
 * numbers). threshold > 0 and prefix_cache are the opt-in fast paths: fewer steps or cheaper
 * steps, approximate results. */
#define SMX_HAVE_DIFFUSION 1

typedef enum smx_remasking {
    SMX_REMASK_LOW_CONFIDENCE = 0,  /* confidence = softmax probability of the predicted token */
    SMX_REMASK_RANDOM = 1           /* confidence = uniform random number */
} smx_remasking;

typedef enum smx_diffuse_cache {
    SMX_CACHE_OFF = 0,      /* every step runs the whole canvas (exact) */
    SMX_CACHE_PREFIX = 1,   /* keys/values of the positions before the current block are computed once
                             * per block and reused; the block and every later position are re-run */
    SMX_CACHE_DUAL = 2,     /* as PREFIX, but later steps run the block alone; the positions after it
                             * keep their keys/values from the block's first step (needs a build whose
                             * attention can see cached positions past the ones it runs) */
    SMX_CACHE_BLOCK = 3     /* as DUAL, but the positions after the block are dropped from attention */
} smx_diffuse_cache;

/* Called after every step with the canvas [n] (mask token where still masked) and the step
 * number (0-based over all blocks). Return nonzero to stop early. */
typedef int (*smx_diffuse_callback)(const int32_t *canvas, int n, int step, void *user);

typedef struct smx_diffuse_options {
    int gen_length;             /* tokens to generate (default 128) */
    int steps;                  /* denoising steps over all blocks; a multiple of the block count (default 128) */
    int block_length;           /* semi-autoregressive block; divides gen_length (default 128) */
    float temperature;          /* 0: argmax; > 0: Gumbel-max sampling in double precision */
    float cfg_scale;            /* classifier-free guidance; 0: off */
    int remasking;              /* smx_remasking */
    float threshold;            /* 0: off. > 0: each step also commits every masked position of the block
                                 * whose confidence >= threshold; a block ends when it is fully unmasked,
                                 * so fewer steps run (the schedule stays a floor: never fewer per step) */
    int prefix_cache;           /* smx_diffuse_cache */
    int logits_eos_inf;         /* the reference's flag: eos_id never predicted */
    int confidence_eos_eot_inf; /* the reference's flag: eot_id (and at temperature 0 also eos_id)
                                 * removed from the softmax that gives the confidence */
    int32_t eos_id, eot_id;     /* defaults 126081 and 126348 (LLaDA's <|endoftext|> and <|eot_id|>) */
    int32_t mask_id;            /* -1: the model's mask token */
    uint64_t seed;              /* RNG seed for temperature > 0 and random remasking */
    int n_threads;              /* 0: OpenMP default */
    smx_diffuse_callback callback;  /* optional */
    void *user;                 /* passed to callback */
} smx_diffuse_options;

typedef struct smx_diffuse_stats {
    int steps;                  /* denoising steps run */
    int forwards;               /* network passes (a cfg step runs two) */
    long long tokens;           /* token positions run through the network, over all passes */
    int stopped;                /* 1 if the callback stopped the run */
} smx_diffuse_stats;

SMX_API void smx_diffuse_default_options(smx_diffuse_options *o);
/* Generate: out[0 .. n_prompt + gen_length) receives the canvas (prompt, then the generated
 * tokens), out_cap is its room. stats may be NULL. Errors: SMX_E_ARG (options: block_length must
 * divide gen_length, the block count must divide steps, ...), SMX_E_RANGE (token ids),
 * SMX_E_CAPACITY (canvas longer than the model's context), SMX_E_UNSUPPORTED (not a bidirectional
 * token model with a mask token; prefix_cache on a model that cannot rewind). */
SMX_API smx_status smx_diffuse(const smx_model *m, const int32_t *prompt, int n_prompt, const smx_diffuse_options *opt,
                               int32_t *out, int out_cap, smx_diffuse_stats *stats, smx_error *err);
/* The reference's per-step transfer counts: m masked positions over s steps, base m / s each and
 * one more for the first m % s steps. k receives s counts. */
SMX_API void smx_diffuse_schedule(int m, int s, int *k);

/* ===================================================================================== */
/* I.7 Hybrid-stack builder                                                             */
/* ===================================================================================== */
/* Compose a token model from any registered layer types, by code or by a pattern string, with
 * random (seeded) weights. A built model runs like a loaded one and saves as a Hugging Face
 * folder (model_type "seqmix") that smx_model_load reads back bit-identically. */

typedef enum smx_op_type {
    SMX_OP_ATTENTION,   /* 'A' causal attention (GQA, RoPE) */
    SMX_OP_MLP,         /* 'F' SwiGLU feed-forward */
    SMX_OP_MOE,         /* 'E' mixture of SwiGLU experts */
    SMX_OP_MAMBA,       /* 'M' Mamba selective scan */
    SMX_OP_MAMBA2,      /* '2' Mamba-2 (SSD) */
    SMX_OP_MLSTM,       /* 'X' mLSTM (xLSTM-7B style) */
    SMX_OP_SLSTM,       /* 'S' sLSTM */
    SMX_OP_SHORTCONV,   /* 'C' LFM2 short convolution */
    SMX_OP_CFC,         /* 'L' closed-form continuous-time cell */
    SMX_OP_COUNT
} smx_op_type;

/* Per-layer settings; 0 picks the default shown. */
typedef struct smx_layer_cfg {
    int heads;          /* attention width/64, mLSTM 4, sLSTM 4 (Mamba-2: width*expand/head_dim) */
    int kv_heads;       /* attention: = heads */
    int head_dim;       /* attention: width/heads; Mamba-2: 64 */
    float rope_theta;   /* attention: 10000; < 0 = no positional encoding */
    int window;         /* attention sliding window: none */
    int ff;             /* MLP / expert width: 4*width (MLP), 2*width (expert) */
    int experts, top_k; /* MoE: 8, 2 */
    int state;          /* Mamba 16, Mamba-2 128 */
    int expand;         /* Mamba / Mamba-2: 2 */
    int conv;           /* conv kernel: Mamba 4, short conv 3, sLSTM 4 */
    int groups;         /* Mamba-2 B/C groups: 1 */
    int chunk;          /* Mamba-2 / mLSTM chunk: 256 / 64 */
    int units;          /* CfC backbone units: width */
} smx_layer_cfg;

typedef struct smx_builder smx_builder;

/* vocab and width of the stack; ffn: what a pattern puts after each mixer (SMX_OP_MLP,
 * SMX_OP_MOE or -1 for nothing). */
SMX_API smx_status smx_builder_new(int vocab, int width, smx_builder **out, smx_error *err);
SMX_API void smx_builder_free(smx_builder *b);
SMX_API void smx_builder_set_ffn(smx_builder *b, int ffn, const smx_layer_cfg *cfg);
SMX_API void smx_builder_set_tied(smx_builder *b, int tied);
SMX_API void smx_builder_set_max_context(smx_builder *b, int n);
/* One sub-layer (pre-norm, residual). cfg may be NULL for the defaults. */
SMX_API smx_status smx_builder_add(smx_builder *b, smx_op_type type, const smx_layer_cfg *cfg);
/* Letters A F E M 2 X S C L (see smx_op_type), groups "(...)xN", spaces ignored; each mixer
 * is followed by the builder's ffn. E.g. "(M M M A)x6". cfg (may be NULL) applies to all. */
SMX_API smx_status smx_builder_pattern(smx_builder *b, const char *pattern, const smx_layer_cfg *cfg);
/* The config.json text of the stack (owned by the builder). */
SMX_API const char *smx_builder_config(smx_builder *b);
SMX_API smx_status smx_builder_build(smx_builder *b, uint64_t seed, smx_model **out, smx_error *err);
SMX_API const char *smx_op_name(smx_op_type type);


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

/* GCC 12's AVX-512 headers trip -Wuninitialized on their own _mm512_undefined_ps() (GCC bug
 * 105593, fixed in 13); silence that one compiler version around the implementation only. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define SMX__GCC12_PUSHED
#endif

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

/* n zeroed bytes aligned to `align` (a power of two up to 64) */
static void *smx__arena_alloc_aligned(smx__arena *a, size_t n, size_t align)
{
    const size_t hdr = (sizeof(smx__arena_block) + 63) & ~(size_t)63;
    smx__arena_block *b = a->head;
    void *p;
    if (b) b->used = (b->used + align - 1) & ~(align - 1);
    n = (n + align - 1) & ~(align - 1);
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

/* n zeroed bytes on a 64-byte boundary (weights, operator structs) */
static void *smx__arena_alloc(smx__arena *a, size_t n) { return smx__arena_alloc_aligned(a, n, 64); }

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
    cap = p->i - start;     /* the decoded text is never longer than its escaped form */
    d = (char *)smx__arena_alloc_aligned(p->a, cap + 1, 1);
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
            smx__jv *c = (smx__jv *)smx__arena_alloc_aligned(p->a, sizeof *c, sizeof(void *));
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

/* The member named key (the last one when a key repeats, as Python's json keeps it). */
static const smx__jv *smx__jget(const smx__jv *obj, const char *key)
{
    const smx__jv *c, *found = NULL;
    if (!obj || obj->type != SMX__J_OBJ) return NULL;
    for (c = obj->child; c; c = c->next)
        if (strcmp(c->key, key) == 0) found = c;
    return found;
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
    /* F32 data on a 64-byte boundary is used in place (zero-copy from the mapping); safetensors
     * only pads its header to 8 bytes, and rows that straddle cache lines slow every vector load
     * of the bandwidth-bound decode, so other F32 tensors are copied into 64-byte-aligned memory. */
    if (en->dtype == SMX__DT_F32 && ld->ts->files[en->file].mapped && ((uintptr_t)en->data & 63) == 0) {
        out = (const float *)(const void *)en->data;
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

/* out[r] = x . W[r] for the 4 rows r of W (row stride ldw): one pass over x feeds four weight
 * streams, so a matrix-vector product keeps four rows of memory traffic in flight. */
static void smx__dot4(const float *SMX__RESTRICT x, const float *SMX__RESTRICT W, size_t ldw, int n, float *out)
{
    const float *w0 = W, *w1 = W + ldw, *w2 = W + 2 * ldw, *w3 = W + 3 * ldw;
    smx__vf a0 = smx__vzero(), a1 = smx__vzero(), a2 = smx__vzero(), a3 = smx__vzero();
    smx__vf b0 = smx__vzero(), b1 = smx__vzero(), b2 = smx__vzero(), b3 = smx__vzero();
    int i = 0;
    for (; i + 2 * SMX__VW <= n; i += 2 * SMX__VW) {
        smx__vf u = smx__vld(x + i), v = smx__vld(x + i + SMX__VW);
        a0 = smx__vfma(u, smx__vld(w0 + i), a0); b0 = smx__vfma(v, smx__vld(w0 + i + SMX__VW), b0);
        a1 = smx__vfma(u, smx__vld(w1 + i), a1); b1 = smx__vfma(v, smx__vld(w1 + i + SMX__VW), b1);
        a2 = smx__vfma(u, smx__vld(w2 + i), a2); b2 = smx__vfma(v, smx__vld(w2 + i + SMX__VW), b2);
        a3 = smx__vfma(u, smx__vld(w3 + i), a3); b3 = smx__vfma(v, smx__vld(w3 + i + SMX__VW), b3);
    }
    for (; i + SMX__VW <= n; i += SMX__VW) {
        smx__vf u = smx__vld(x + i);
        a0 = smx__vfma(u, smx__vld(w0 + i), a0); a1 = smx__vfma(u, smx__vld(w1 + i), a1);
        a2 = smx__vfma(u, smx__vld(w2 + i), a2); a3 = smx__vfma(u, smx__vld(w3 + i), a3);
    }
    out[0] = smx__vsum(smx__vadd(a0, b0)); out[1] = smx__vsum(smx__vadd(a1, b1));
    out[2] = smx__vsum(smx__vadd(a2, b2)); out[3] = smx__vsum(smx__vadd(a3, b3));
    for (; i < n; i++) { out[0] += x[i] * w0[i]; out[1] += x[i] * w1[i]; out[2] += x[i] * w2[i]; out[3] += x[i] * w3[i]; }
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
/* k-block of the packed panel: each thread packs SMX_MATMUL_KC x 3 vectors of W on its stack
 * (96 KiB with AVX-512 at the default 512); lower it for small thread stacks. */
#ifndef SMX_MATMUL_KC
#define SMX_MATMUL_KC 512
#endif
#define SMX__KC SMX_MATMUL_KC

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
        int g, ng = (N + 3) / 4;
        SMX__OMP_FOR(nth)
        for (g = 0; g < ng; g++) {
            int t, n = 4 * g, j;
            for (t = 0; t < T; t++) {
                float *yr = y + (size_t)t * ldy;
                const float *xr = x + (size_t)t * ldx;
                if (n + 4 <= N) smx__dot4(xr, W + (size_t)n * ldw, ldw, K, yr + n);
                else for (j = n; j < N; j++) yr[j] = smx__dot(xr, W + (size_t)j * ldw, K);
                if (b) for (j = n; j < N && j < n + 4; j++) yr[j] += b[j];
            }
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

/* O[r] = sum_s P[r, s] V[s] for rows r < nrows and keys s < n: four rows at a time, so each value
 * row is loaded once per four queries and the sums stay in registers. */
static void smx__attn_pv(const float *P, size_t ldp, int nrows, int n, const float *V, size_t ldv, int hd, float *O, size_t ldo)
{
    int r, c, s, i;
    if (nrows == 1) {   /* one query (decode): accumulate whole value rows */
        memset(O, 0, sizeof(float) * (size_t)hd);
        for (s = 0; s < n; s++)
            if (P[s] != 0.0f) smx__axpy(O, P[s], V + (size_t)s * ldv, hd);
        return;
    }
    for (r = 0; r < nrows; r += 4) {
        int nr = SMX__MIN(4, nrows - r);
        const float *p0 = P + (size_t)r * ldp, *p1 = P + (size_t)(r + SMX__MIN(1, nr - 1)) * ldp;
        const float *p2 = P + (size_t)(r + SMX__MIN(2, nr - 1)) * ldp, *p3 = P + (size_t)(r + SMX__MIN(3, nr - 1)) * ldp;
        for (c = 0; c + SMX__VW <= hd; c += SMX__VW) {
            smx__vf a0 = smx__vzero(), a1 = a0, a2 = a0, a3 = a0;
            float out[4][SMX__VW];
            for (s = 0; s < n; s++) {
                smx__vf v = smx__vld(V + (size_t)s * ldv + c);
                a0 = smx__vfma(smx__vset1(p0[s]), v, a0); a1 = smx__vfma(smx__vset1(p1[s]), v, a1);
                a2 = smx__vfma(smx__vset1(p2[s]), v, a2); a3 = smx__vfma(smx__vset1(p3[s]), v, a3);
            }
            smx__vst(out[0], a0); smx__vst(out[1], a1); smx__vst(out[2], a2); smx__vst(out[3], a3);
            for (i = 0; i < nr; i++) memcpy(O + (size_t)(r + i) * ldo + c, out[i], sizeof out[i]);
        }
        for (; c < hd; c++)
            for (i = 0; i < nr; i++) {
                const float *pr = P + (size_t)(r + i) * ldp;
                float acc = 0.0f;
                for (s = 0; s < n; s++) acc += pr[s] * V[(size_t)s * ldv + c];
                O[(size_t)(r + i) * ldo + c] = acc;
            }
    }
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
    (void)nth;
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
            float *row = sc + (size_t)j * n_ctx;
            float mx = -INFINITY, sum = 0.0f, inv;
            for (s = start; s < end; s++) {
                row[s] *= a->scale;
                if (row[s] > mx) mx = row[s];
            }
            for (s = start; s < end; s++) { row[s] = expf(row[s] - mx); sum += row[s]; }
            inv = 1.0f / sum;
            for (s = 0; s < start; s++) row[s] = 0.0f;             /* P over [0, end_max): */
            for (s = start; s < end; s++) row[s] *= inv;           /* zero where not visible */
            for (s = end; s < end_max; s++) row[s] = 0.0f;
        }
        smx__attn_pv(sc, (size_t)n_ctx, tn, end_max, cache + kvd + (size_t)g * hd, (size_t)2 * kvd, hd,
                     o + (size_t)t0 * qd + (size_t)h * hd, (size_t)qd);
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

/* ---- II.7.a Llama (LlamaForCausalLM) and LLaDA (LLaDAModelLM): the same network under two naming
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

/* ===================================================================================== */
/* II.7.b Selective state spaces: Mamba, Mamba-2 (SSD), MoE; Jamba and Bamba            */
/* ===================================================================================== */
/* Three operators and four families.
 *
 *   'M'  Mamba (v1) mixer       smx__mamba_load(ld, &smx__mamba_cfg, prefix)
 *   '2'  Mamba-2 (SSD) mixer    smx__mamba2_load(ld, &smx__mamba2_cfg, prefix)
 *   'E'  mixture of experts     smx__moe_load(ld, &smx__moe_cfg, prefix)
 *
 * Families: MambaForCausalLM, Mamba2ForCausalLM, JambaForCausalLM (attention without RoPE +
 * Mamba with dt/B/C norms + MoE), BambaForCausalLM (Mamba-2 + attention with partial RoPE +
 * SwiGLU MLP). Notation follows reference-semantics.md sections 2, 3 and 5.
 *
 * State layouts (float32, position-independent: the size does not depend on n_ctx):
 *   Mamba    [K-1][d_inner] conv history (the K-1 newest pre-conv inputs, oldest row first),
 *            then [N][d_inner] SSM state, i.e. h[d][n] stored at n * d_inner + d.
 *   Mamba-2  [K-1][conv_dim] conv history (x | B | C channels), then [H][N][P] SSM state,
 *            i.e. S_h[p][n] stored at (h * N + n) * P + p.
 * Both layouts put the channel (or head-dim) index last, so the recurrences run as vector
 * operations across channels with the state index as the loop; no horizontal sums.
 *
 * Prefill (T > 1): Mamba runs the selective scan over T tokens vectorised across channels,
 * blocked over channel groups that stay in L1, threads over the groups. Mamba-2 runs the chunked
 * SSD algorithm: per chunk, the intra-chunk part as small matrix products (C B^T masked by the
 * decays, times dt x), the inter-chunk part by passing the [N, P] state from chunk to chunk,
 * threads over heads. Step (T = 1): the O(1) recurrences on the same states. */

/* ---- Vector exp, silu and softplus on the SIMD layer ---- */

#if SMX__VW == 16
#define smx__ssm_vmin(a, b) _mm512_min_ps(a, b)
#define smx__ssm_vmax(a, b) _mm512_max_ps(a, b)
#define smx__ssm_vdiv(a, b) _mm512_div_ps(a, b)
#define smx__ssm_vround(x) _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define smx__ssm_vpow2i(p, n) _mm512_scalef_ps(p, n)   /* p * 2^n, n integral */
#define smx__ssm_vsel_gt(x, t, a, b) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_GT_OQ), a, b)  /* x > t ? b : a */
/* x = m 2^e with m in [0.5, 1) (x > 0, normal) */
#define smx__ssm_vfrexp(x, m, e)                                                                          \
    do {                                                                                                  \
        (m) = _mm512_mul_ps(_mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src), _mm512_set1_ps(0.5f)); \
        (e) = _mm512_add_ps(_mm512_getexp_ps(x), _mm512_set1_ps(1.0f));                                  \
    } while (0)
#elif SMX__VW == 8
#define smx__ssm_vmin(a, b) _mm256_min_ps(a, b)
#define smx__ssm_vmax(a, b) _mm256_max_ps(a, b)
#define smx__ssm_vdiv(a, b) _mm256_div_ps(a, b)
#define smx__ssm_vround(x) _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define smx__ssm_vpow2i(p, n) \
    _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23)))
#define smx__ssm_vsel_gt(x, t, a, b) _mm256_blendv_ps(a, b, _mm256_cmp_ps(x, t, _CMP_GT_OQ))
#define smx__ssm_vfrexp(x, m, e)                                                                                   \
    do {                                                                                                           \
        __m256i bits_ = _mm256_castps_si256(x);                                                                    \
        (e) = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits_, 23), _mm256_set1_epi32(126)));        \
        (m) = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits_, _mm256_set1_epi32(0x007FFFFF)),         \
                                                  _mm256_set1_epi32(0x3F000000)));                                 \
    } while (0)
#elif SMX__VW == 4
#define smx__ssm_vmin(a, b) vminq_f32(a, b)
#define smx__ssm_vmax(a, b) vmaxq_f32(a, b)
#define smx__ssm_vdiv(a, b) vdivq_f32(a, b)
#define smx__ssm_vround(x) vrndnq_f32(x)
#define smx__ssm_vpow2i(p, n) \
    vmulq_f32(p, vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23)))
#define smx__ssm_vsel_gt(x, t, a, b) vbslq_f32(vcgtq_f32(x, t), b, a)
#define smx__ssm_vfrexp(x, m, e)                                                                                 \
    do {                                                                                                         \
        uint32x4_t bits_ = vreinterpretq_u32_f32(x);                                                             \
        (e) = vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(bits_, 23)), vdupq_n_s32(126)));        \
        (m) = vreinterpretq_f32_u32(vorrq_u32(vandq_u32(bits_, vdupq_n_u32(0x007FFFFF)), vdupq_n_u32(0x3F000000))); \
    } while (0)
#endif

#if SMX__VW > 1
/* e^x: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for the reduction), e^r from a
 * degree-7 minimax polynomial (about 1 ulp), times 2^n. x is clamped to [-87.3, 88.3], where
 * float e^x is normal (below that the result is < 1.2e-38 instead of a denormal). */
static smx__vf smx__ssm_vexp(smx__vf x)
{
    smx__vf n, r, p;
    x = smx__ssm_vmin(smx__vset1(88.3f), x);
    x = smx__ssm_vmax(smx__vset1(-87.3f), x);
    n = smx__ssm_vround(smx__vmul(x, smx__vset1(1.44269504088896341f)));
    r = smx__vfma(n, smx__vset1(-0.693359375f), x);
    r = smx__vfma(n, smx__vset1(2.12194440e-4f), r);
    p = smx__vfma(smx__vset1(1.9875691500e-4f), r, smx__vset1(1.3981999507e-3f));
    p = smx__vfma(p, r, smx__vset1(8.3334519073e-3f));
    p = smx__vfma(p, r, smx__vset1(4.1665795894e-2f));
    p = smx__vfma(p, r, smx__vset1(1.6666665459e-1f));
    p = smx__vfma(p, r, smx__vset1(5.0000001201e-1f));
    p = smx__vfma(p, smx__vmul(r, r), smx__vadd(r, smx__vset1(1.0f)));
    return smx__ssm_vpow2i(p, n);
}

/* silu(x) = x / (1 + e^-x) */
static smx__vf smx__ssm_vsilu(smx__vf x)
{
    smx__vf e = smx__ssm_vexp(smx__vmul(x, smx__vset1(-1.0f)));
    return smx__ssm_vdiv(x, smx__vadd(smx__vset1(1.0f), e));
}

/* log(x) for positive normal x: x = m 2^e, m folded into [sqrt(1/2), sqrt(2)), log(m) from a
 * minimax polynomial in m - 1 (about 1 ulp), plus e ln2 in two parts. */
static smx__vf smx__ssm_vlog(smx__vf x)
{
    smx__vf m, e, f, z, p;
    smx__ssm_vfrexp(x, m, e);
    /* m < sqrt(1/2): f = 2m - 1, e - 1; else f = m - 1 */
    f = smx__ssm_vsel_gt(m, smx__vset1(0.707106781186547524f), smx__vadd(smx__vadd(m, m), smx__vset1(-1.0f)),
                         smx__vadd(m, smx__vset1(-1.0f)));
    e = smx__ssm_vsel_gt(m, smx__vset1(0.707106781186547524f), smx__vadd(e, smx__vset1(-1.0f)), e);
    z = smx__vmul(f, f);
    p = smx__vfma(smx__vset1(7.0376836292e-2f), f, smx__vset1(-1.1514610310e-1f));
    p = smx__vfma(p, f, smx__vset1(1.1676998740e-1f));
    p = smx__vfma(p, f, smx__vset1(-1.2420140846e-1f));
    p = smx__vfma(p, f, smx__vset1(1.4249322787e-1f));
    p = smx__vfma(p, f, smx__vset1(-1.6668057665e-1f));
    p = smx__vfma(p, f, smx__vset1(2.0000714765e-1f));
    p = smx__vfma(p, f, smx__vset1(-2.4999993993e-1f));
    p = smx__vfma(p, f, smx__vset1(3.3333331174e-1f));
    p = smx__vmul(smx__vmul(p, f), z);
    p = smx__vfma(e, smx__vset1(-2.12194440e-4f), p);
    p = smx__vfma(z, smx__vset1(-0.5f), p);
    return smx__vfma(e, smx__vset1(0.693359375f), smx__vadd(f, p));
}

/* softplus with torch's threshold: x > 20: x; else log1p(e^x), computed as
 * log(u) e^x / (u - 1) with u = 1 + e^x (exact to rounding wherever u > 1); below -15, e^x. */
static smx__vf smx__ssm_vsoftplus(smx__vf x)
{
    smx__vf y = smx__ssm_vexp(x), u = smx__vadd(smx__vset1(1.0f), y);
    smx__vf lp = smx__vmul(smx__ssm_vlog(u), smx__ssm_vdiv(y, smx__vadd(u, smx__vset1(-1.0f))));
    lp = smx__ssm_vsel_gt(x, smx__vset1(20.0f), lp, x);
    return smx__ssm_vsel_gt(x, smx__vset1(-15.0f), y, lp);
}
#endif

/* y[i] *= act(z[i]) over n floats (the gate) */
static void smx__ssm_gate(float *y, const float *z, int n, int act)
{
    int i = 0;
#if SMX__VW > 1
    if (act == SMX__ACT_SILU)
        for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(y + i, smx__vmul(smx__vld(y + i), smx__ssm_vsilu(smx__vld(z + i))));
#endif
    for (; i < n; i++) y[i] *= smx__act(act, z[i]);
}

/* dst[i] = a src[i] over n floats (dst may be src) */
static void smx__ssm_scale(float *dst, const float *src, float a, int n)
{
    int i = 0;
#if SMX__VW > 1
    smx__vf va = smx__vset1(a);
    for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(dst + i, smx__vmul(va, smx__vld(src + i)));
#endif
    for (; i < n; i++) dst[i] = a * src[i];
}

/* Threads worth starting for about `work` multiply-adds: below a few hundred thousand a parallel
 * region costs more than it saves (the decode step of the small projections, conv and scan). */
static int smx__ssm_nth(double work, int nth) { return work < 2e5 ? 1 : nth; }

/* ---- Causal depthwise conv1d over T tokens, continuing from a history (section 1.4) ----
 *   out[t, c] = act(b[c] + sum_{k<K} wT[k, c] * xin[t - (K-1) + k, c])
 * where xin[j] for j < 0 is hist[(K-1) + j] (the previous tokens' inputs). Afterwards hist holds
 * the K-1 newest inputs. in: [T, C] with row stride ldi; out: [T, C] stride ldo; wT: [K, C]
 * (the torch weight [C, 1, K] transposed); hist: [K-1, C]. Threads over channel blocks. */
static void smx__ssm_conv(const float *in, size_t ldi, float *out, size_t ldo, int T, int C, int K, const float *wT,
                          const float *b, float *hist, int act, int nth)
{
    const int CB = 256;   /* channels per block */
    int nblk = (C + CB - 1) / CB, blk;
    (void)nth;
    SMX__OMP_FOR(nth)
    for (blk = 0; blk < nblk; blk++) {
        int c0 = blk * CB, c1 = SMX__MIN(C, c0 + CB), t, k, c;
        for (t = 0; t < T; t++) {
            float *o = out + (size_t)t * ldo;
            for (c = c0; c < c1; c++) o[c] = b ? b[c] : 0.0f;
            for (k = 0; k < K; k++) {
                int j = t - (K - 1) + k;
                const float *src = j >= 0 ? in + (size_t)j * ldi : hist + (size_t)(K - 1 + j) * C;
                const float *w = wT + (size_t)k * C;
                c = c0;
#if SMX__VW > 1
                for (; c + SMX__VW <= c1; c += SMX__VW)
                    smx__vst(o + c, smx__vfma(smx__vld(w + c), smx__vld(src + c), smx__vld(o + c)));
#endif
                for (; c < c1; c++) o[c] += w[c] * src[c];
            }
            if (act == SMX__ACT_SILU) {
                c = c0;
#if SMX__VW > 1
                for (; c + SMX__VW <= c1; c += SMX__VW) smx__vst(o + c, smx__ssm_vsilu(smx__vld(o + c)));
#endif
                for (; c < c1; c++) o[c] = smx__silu(o[c]);
            } else if (act != SMX__ACT_NONE) {
                for (c = c0; c < c1; c++) o[c] = smx__act(act, o[c]);
            }
        }
        /* new history: the K-1 newest of (old history ++ inputs) */
        for (k = 0; k < K - 1; k++) {
            int j = T - (K - 1) + k;   /* input index that lands in history row k */
            float *h = hist + (size_t)k * C;
            if (j >= 0) memcpy(h + c0, in + (size_t)j * ldi + c0, sizeof(float) * (size_t)(c1 - c0));
            else memcpy(h + c0, hist + (size_t)(k + T) * C + c0, sizeof(float) * (size_t)(c1 - c0));
        }
    }
}

/* Transposed copy of a conv weight [C, 1, K] -> [K, C] in the model arena. */
static const float *smx__ssm_conv_weight(smx__loader *ld, const float *w, int C, int K)
{
    float *t = smx__ld_alloc(ld, (size_t)C * K);
    int c, k;
    if (!t || !w) return NULL;
    for (c = 0; c < C; c++)
        for (k = 0; k < K; k++) t[(size_t)k * C + c] = w[(size_t)c * K + k];
    return t;
}

/* An activation named by key of config object o (NULL: the root), for the SSM families. */
static int smx__ssm_act(smx__loader *ld, const smx__jv *o, const char *key)
{
    const char *s = smx__cs(ld, o, key, "silu");
    int a = smx__act_by_name(s);
    if (a < 0) smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: %s '%s' is not supported", key, s);
    return a < 0 ? SMX__ACT_SILU : a;
}

/* time_step_rank / mamba_dt_rank: an integer, or "auto" = ceil(hidden / 16). */
static int smx__ssm_dt_rank(smx__loader *ld, const smx__jv *o, const char *key, int d)
{
    const smx__jv *v = smx__cfg_get(ld, o, key);
    if (!v || (v->type == SMX__J_STR && !strcmp(v->str, "auto"))) return (d + 15) / 16;
    if (v->type != SMX__J_STR) return smx__ci_pos(ld, o, key, 1);
    smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be an integer or \"auto\"", key);
    return 1;
}

/* ===================================================================================== */
/* Mamba (v1) mixer                                                                      */
/* ===================================================================================== */

typedef struct smx__mamba_cfg {
    int d, d_inner, d_state, dt_rank, d_conv;
    int bias, conv_bias, act;
    int bcdt_norm;          /* Jamba: RMSNorms on dt/B/C (dt_layernorm, b_layernorm, c_layernorm) */
    float norm_eps;
} smx__mamba_cfg;

typedef struct smx__mamba {
    smx__op base;
    int di, N, R, K, act;
    float norm_eps;
    const float *w_in, *b_in;       /* [2 di, d], [2 di]   rows: x then z */
    const float *conv_wT, *conv_b;  /* [K, di], [di] */
    const float *w_x;               /* [R + 2N, di]   rows: dt | B | C */
    const float *w_dt, *b_dt;       /* [di, R], [di] */
    const float *AT;                /* [N, di]   A = -exp(A_log), transposed */
    const float *Dsk;               /* [di] */
    const float *w_out, *b_out;     /* [d, di], [d] */
    const float *dt_nw, *b_nw, *c_nw; /* [R], [N], [N] or NULL */
} smx__mamba;

static size_t smx__mamba_state(const smx__op *op, int n_ctx)
{
    const smx__mamba *m = (const smx__mamba *)op;
    (void)n_ctx;
    return ((size_t)(m->K - 1) + (size_t)m->N) * (size_t)m->di * sizeof(float);
}

static size_t smx__mamba_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__mamba *m = (const smx__mamba *)op;
    (void)n_ctx; (void)nth;
    return (size_t)T * (5 * (size_t)m->di + (size_t)m->R + 2 * (size_t)m->N) + 64;
}

/* The selective scan over T tokens, continuing from S [N, di]:
 *   dt[t, d] = softplus(dtp[t, d])
 *   h[d, n] <- exp(A[d, n] dt[t, d]) h[d, n] + dt[t, d] B[t, n] u[t, d]
 *   y[t, d]  = (sum_n h[d, n] C[t, n] + D[d] u[t, d]) * act(z[t, d])
 * u, dtp, y: [T, di]; z: [T, di] with row stride ldz; Bm, Cm: [T, N]. Blocks of CB channels keep
 * their [N, CB] state and A in L1 across the T tokens; threads take blocks. */
static void smx__mamba_scan(const smx__mamba *m, float *S, int T, const float *u, const float *dtp, const float *Bm,
                            const float *Cm, const float *z, size_t ldz, float *y, int nth)
{
    const int di = m->di, N = m->N, CB = 4 * SMX__VW < 16 ? 16 : 4 * SMX__VW;
    int nblk = (di + CB - 1) / CB, blk;
    (void)nth;
    SMX__OMP_FOR(nth)
    for (blk = 0; blk < nblk; blk++) {
        int c0 = blk * CB, c1 = SMX__MIN(di, c0 + CB), t, n, c;
        for (t = 0; t < T; t++) {
            const float *dtt = dtp + (size_t)t * di, *ut = u + (size_t)t * di, *Bt = Bm + (size_t)t * N, *Ct = Cm + (size_t)t * N;
            float *yt = y + (size_t)t * di;
            c = c0;
#if SMX__VW > 1
            for (; c + SMX__VW <= c1; c += SMX__VW) {
                smx__vf vdt = smx__ssm_vsoftplus(smx__vld(dtt + c)), vu = smx__vld(ut + c), vdu = smx__vmul(vdt, vu);
                smx__vf acc = smx__vzero();
                for (n = 0; n < N; n++) {
                    float *s = S + (size_t)n * di + c;
                    smx__vf dA = smx__ssm_vexp(smx__vmul(smx__vld(m->AT + (size_t)n * di + c), vdt));
                    smx__vf h = smx__vfma(dA, smx__vld(s), smx__vmul(vdu, smx__vset1(Bt[n])));
                    smx__vst(s, h);
                    acc = smx__vfma(h, smx__vset1(Ct[n]), acc);
                }
                smx__vst(yt + c, smx__vfma(smx__vld(m->Dsk + c), vu, acc));
            }
#endif
            for (; c < c1; c++) {
                float d_t = smx__softplus(dtt[c]), du = d_t * ut[c], acc = 0.0f;
                for (n = 0; n < N; n++) {
                    float *s = S + (size_t)n * di + c;
                    *s = expf(m->AT[(size_t)n * di + c] * d_t) * *s + du * Bt[n];
                    acc += *s * Ct[n];
                }
                yt[c] = acc + m->Dsk[c] * ut[c];
            }
            smx__ssm_gate(yt + c0, z + (size_t)t * ldz + c0, c1 - c0, m->act);
        }
    }
}

/* Scalar twin of the scan (tests compare them). */
SMX__MAYBE_UNUSED static void smx__mamba_scan_ref(const smx__mamba *m, float *S, int T, const float *u, const float *dtp,
                                                  const float *Bm, const float *Cm, const float *z, size_t ldz, float *y)
{
    int t, c, n;
    for (t = 0; t < T; t++)
        for (c = 0; c < m->di; c++) {
            float d_t = smx__softplus(dtp[(size_t)t * m->di + c]), ut = u[(size_t)t * m->di + c], acc = 0.0f;
            for (n = 0; n < m->N; n++) {
                float *s = S + (size_t)n * m->di + c;
                *s = expf(m->AT[(size_t)n * m->di + c] * d_t) * *s + d_t * Bm[(size_t)t * m->N + n] * ut;
                acc += *s * Cm[(size_t)t * m->N + n];
            }
            y[(size_t)t * m->di + c] = (acc + m->Dsk[c] * ut) * smx__act(m->act, z[(size_t)t * ldz + c]);
        }
}

static void smx__mamba_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mamba *m = (const smx__mamba *)op;
    const int T = f->T, di = m->di, N = m->N, R = m->R, d = op->d_in;
    float *hist = (float *)state;                       /* [K-1, di] */
    float *S = hist + (size_t)(m->K - 1) * di;          /* [N, di] */
    float *xz = f->scratch;                             /* [T, 2 di]   x | z */
    float *u = xz + (size_t)T * 2 * di;                 /* [T, di]     conv output */
    float *dtr = u + (size_t)T * di;                    /* [T, R] */
    float *Bm = dtr + (size_t)T * R;                    /* [T, N] */
    float *Cm = Bm + (size_t)T * N;                     /* [T, N] */
    float *dt = Cm + (size_t)T * N;                     /* [T, di]     dt before softplus */
    float *y = dt + (size_t)T * di;                     /* [T, di] */
    const int nx = smx__ssm_nth((double)T * di * (R + 2 * N), f->nth);
    int t;
    /* [x | z] = xn in_proj^T (+b) */
    smx__matmul(xz, f->x, m->w_in, m->b_in, T, d, 2 * di, f->nth);
    /* u = act(causal_conv1d(x)) */
    smx__ssm_conv(xz, 2 * (size_t)di, u, (size_t)di, T, di, m->K, m->conv_wT, m->conv_b, hist, m->act,
                  smx__ssm_nth((double)T * di * m->K * 4, f->nth));
    /* [dt_r | B | C] = u x_proj^T */
    smx__matmul(dtr, u, m->w_x, NULL, T, di, R, nx);
    smx__matmul(Bm, u, m->w_x + (size_t)R * di, NULL, T, di, N, nx);
    smx__matmul(Cm, u, m->w_x + (size_t)(R + N) * di, NULL, T, di, N, nx);
    if (m->dt_nw)   /* Jamba: dt_r, B, C each RMS-normalised */
        for (t = 0; t < T; t++) {
            smx__rmsnorm(dtr + (size_t)t * R, dtr + (size_t)t * R, m->dt_nw, R, m->norm_eps);
            smx__rmsnorm(Bm + (size_t)t * N, Bm + (size_t)t * N, m->b_nw, N, m->norm_eps);
            smx__rmsnorm(Cm + (size_t)t * N, Cm + (size_t)t * N, m->c_nw, N, m->norm_eps);
        }
    /* dt = softplus(dt_r dt_proj^T + b_dt)   (the softplus runs inside the scan) */
    smx__matmul(dt, dtr, m->w_dt, m->b_dt, T, R, di, smx__ssm_nth((double)T * R * di, f->nth));
    /* selective scan, D skip, gate */
    smx__mamba_scan(m, S, T, u, dt, Bm, Cm, xz + di, 2 * (size_t)di, y, smx__ssm_nth((double)T * di * N * 8, f->nth));
    /* out = y out_proj^T (+b) */
    smx__matmul(f->y, y, m->w_out, m->b_out, T, di, op->d_out, f->nth);
}

static const smx__op_vt smx__mamba_vt = {
    "mamba", 'M', smx__mamba_state, NULL, smx__mamba_scratch, smx__mamba_forward, NULL
};

/* prefix e.g. "backbone.layers.3.mixer." */
static smx__op *smx__mamba_load(smx__loader *ld, const smx__mamba_cfg *c, const char *prefix)
{
    smx__mamba *m;
    const float *cw, *alog;
    float *AT;
    int di = c->d_inner, N = c->d_state, R = c->dt_rank, K = c->d_conv, j, n;
    if (!smx__ld_check(ld, c->d > 0 && di > 0 && N > 0 && R > 0 && K > 0, SMX_E_RANGE,
                       "config.json: Mamba sizes must be positive (hidden %d, inner %d, state %d, dt rank %d, conv %d)",
                       c->d, di, N, R, K))
        return NULL;
    m = (smx__mamba *)smx__op_new(ld, sizeof *m, &smx__mamba_vt, c->d, c->d);
    if (!m) return NULL;
    m->di = di; m->N = N; m->R = R; m->K = K; m->act = c->act; m->norm_eps = c->norm_eps;
    m->w_in = SMX__W2(ld, 2 * di, c->d, "%sin_proj.weight", prefix);
    if (c->bias) m->b_in = SMX__W1(ld, 2 * di, "%sin_proj.bias", prefix);
    cw = SMX__W3(ld, di, 1, K, "%sconv1d.weight", prefix);
    if (c->conv_bias) m->conv_b = SMX__W1(ld, di, "%sconv1d.bias", prefix);
    m->w_x = SMX__W2(ld, R + 2 * N, di, "%sx_proj.weight", prefix);
    m->w_dt = SMX__W2(ld, di, R, "%sdt_proj.weight", prefix);
    m->b_dt = SMX__W1(ld, di, "%sdt_proj.bias", prefix);
    alog = SMX__W2(ld, di, N, "%sA_log", prefix);
    m->Dsk = SMX__W1(ld, di, "%sD", prefix);
    m->w_out = SMX__W2(ld, c->d, di, "%sout_proj.weight", prefix);
    if (c->bias) m->b_out = SMX__W1(ld, c->d, "%sout_proj.bias", prefix);
    if (c->bcdt_norm) {
        m->dt_nw = SMX__W1(ld, R, "%sdt_layernorm.weight", prefix);
        m->b_nw = SMX__W1(ld, N, "%sb_layernorm.weight", prefix);
        m->c_nw = SMX__W1(ld, N, "%sc_layernorm.weight", prefix);
    }
    m->conv_wT = smx__ssm_conv_weight(ld, cw, di, K);
    AT = smx__ld_alloc(ld, (size_t)N * di);
    if (ld->st) return NULL;
    /* A = -exp(A_log), stored [N, di] */
    for (j = 0; j < di; j++)
        for (n = 0; n < N; n++) AT[(size_t)n * di + j] = -expf(alog[(size_t)j * N + n]);
    m->AT = AT;
    return &m->base;
}

/* ===================================================================================== */
/* Mamba family (MambaForCausalLM)                                                       */
/* ===================================================================================== */

/* Embedding + head for the "backbone." families. Original mamba_ssm checkpoints name the
 * embedding "backbone.embedding.weight" (transformers renames it on load); the vocabulary is
 * the embedding's row count (it may be padded past vocab_size). */
static void smx__ssm_embed_head(smx__loader *ld, int d, int tied)
{
    int64_t sh[8];
    const char *emb = "backbone.embeddings.weight";
    int V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    if (smx__tensor_shape(ld, sh, "%s", emb) < 0 && smx__tensor_shape(ld, sh, "backbone.embedding.weight") >= 0)
        emb = "backbone.embedding.weight";
    if (smx__tensor_shape(ld, sh, "%s", emb) == 2 && sh[1] == d && sh[0] >= V && sh[0] < INT_MAX) V = (int)sh[0];
    smx__load_embed_head(ld, V, d, emb, "lm_head.weight", tied);
}

/* d_inner = int(expand * hidden); a config's intermediate_size wins where the in_proj weight
 * (rows = rows_per * d_inner + extra) agrees with it. */
static int smx__ssm_inner(smx__loader *ld, const char *expand_key, const char *inner_key, int d, const char *wname,
                          int rows_per, int extra)
{
    int64_t sh[8];
    double ex = smx__cf(ld, NULL, expand_key, 2.0);
    int di = (int)(ex * d), dj = inner_key ? smx__ci(ld, NULL, inner_key, 0) : 0;
    if (dj > 0 && dj != di) {
        if (smx__tensor_shape(ld, sh, "%s", wname) == 2 && sh[0] == (int64_t)rows_per * dj + extra) di = dj;
        else if (ld->random) di = dj;
    }
    smx__ld_check(ld, di > 0, SMX_E_RANGE, "config.json: %s %g gives an inner size of %d", expand_key, ex, di);
    return di;
}

static smx_status smx__build_mamba(smx__loader *ld)
{
    smx__mamba_cfg c;
    char p[128];
    int L, l;
    float eps;
    memset(&c, 0, sizeof c);
    c.d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    c.d_state = smx__ci_pos(ld, NULL, "state_size", 16);
    c.d_conv = smx__ci_pos(ld, NULL, "conv_kernel", 4);
    c.bias = smx__cb(ld, NULL, "use_bias", 0);
    c.conv_bias = smx__cb(ld, NULL, "use_conv_bias", 1);
    c.act = smx__ssm_act(ld, NULL, "hidden_act");
    eps = (float)smx__cf(ld, NULL, "layer_norm_epsilon", 1e-5);
    if (ld->st) return ld->st;
    c.dt_rank = smx__ssm_dt_rank(ld, NULL, "time_step_rank", c.d);
    c.d_inner = smx__ssm_inner(ld, "expand", "intermediate_size", c.d, "backbone.layers.0.mixer.in_proj.weight", 2, 0);
    if (ld->st) return ld->st;
    smx__ssm_embed_head(ld, c.d, smx__cb(ld, NULL, "tie_word_embeddings", 1));
    for (l = 0; l < L && !ld->st; l++) {
        snprintf(p, sizeof p, "backbone.layers.%d.mixer.", l);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, c.d, "backbone.layers.%d.norm.weight", l), NULL,
                     smx__mamba_load(ld, &c, p), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, c.d, "backbone.norm_f.weight");
    return ld->st;
}

#define SMX__BUILD_MAMBA smx__build_mamba

/* ===================================================================================== */
/* Mamba-2 (SSD) mixer                                                                   */
/* ===================================================================================== */

/* Keep a loaded vector in a register: without this, GCC folds the load into every FMA that uses
 * it as a memory operand, which multiplies the loads of the tiles below by the rows of a tile. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && SMX__VW > 1
#define SMX__SSM_KEEP(v) __asm__("" : "+v"(v))
#elif defined(__GNUC__) && defined(__aarch64__) && SMX__VW > 1
#define SMX__SSM_KEEP(v) __asm__("" : "+w"(v))
#else
#define SMX__SSM_KEEP(v) ((void)0)
#endif

#if SMX__VW > 1
/* Store (or add) accumulator c into row i of the tile at column offset j vectors. */
#define SMX__SSM_PUT(i, j, c)                                                                     \
    do {                                                                                          \
        if ((i) < nr) {                                                                           \
            float *y_ = y0 + (size_t)(i) * ldy + p + (j) * SMX__VW;                               \
            smx__vst(y_, acc ? smx__vadd(c, smx__vld(y_)) : c);                                   \
        }                                                                                         \
    } while (0)
#endif

/* Y[R, P] (+)= A[R, K] V[K, P]: rows of Y, A and V with strides ldy, lda, ldv. Register tiles of
 * 4 rows x 4, 2 or 1 vectors. tri: A is lower triangular (A[r][k] = 0 for k > r, stored as zeros up
 * to the end of each 4-row block), so row block r0 only runs k < r0 + 4. */
static void smx__ssm_gemm(float *Y, size_t ldy, const float *A, size_t lda, const float *V, size_t ldv, int R, int K, int P,
                          int acc, int tri)
{
    int r0, p, k, i;
    for (r0 = 0; r0 < R; r0 += 4) {
        int nr = SMX__MIN(4, R - r0), kend = tri ? SMX__MIN(K, r0 + 4) : K;
        const float *a0 = A + (size_t)r0 * lda, *a1 = a0 + (nr > 1 ? lda : 0), *a2 = a0 + (nr > 2 ? 2 * lda : 0);
        const float *a3 = a0 + (nr > 3 ? 3 * lda : 0);
        float *y0 = Y + (size_t)r0 * ldy;
        p = 0;
#if SMX__VW > 1
#if SMX__VW != 8   /* 32 vector registers (AVX-512, NEON): 4 x 4 tiles; AVX2's 16 take 4 x 2 */
        for (; p + 4 * SMX__VW <= P; p += 4 * SMX__VW) {   /* 4 rows x 4 vectors */
            smx__vf c00 = smx__vzero(), c01 = smx__vzero(), c02 = smx__vzero(), c03 = smx__vzero();
            smx__vf c10 = smx__vzero(), c11 = smx__vzero(), c12 = smx__vzero(), c13 = smx__vzero();
            smx__vf c20 = smx__vzero(), c21 = smx__vzero(), c22 = smx__vzero(), c23 = smx__vzero();
            smx__vf c30 = smx__vzero(), c31 = smx__vzero(), c32 = smx__vzero(), c33 = smx__vzero();
            for (k = 0; k < kend; k++) {
                const float *v = V + (size_t)k * ldv + p;
                smx__vf v0 = smx__vld(v), v1 = smx__vld(v + SMX__VW), v2 = smx__vld(v + 2 * SMX__VW), v3 = smx__vld(v + 3 * SMX__VW), b;
                SMX__SSM_KEEP(v0); SMX__SSM_KEEP(v1); SMX__SSM_KEEP(v2); SMX__SSM_KEEP(v3);
                b = smx__vset1(a0[k]);
                c00 = smx__vfma(b, v0, c00); c01 = smx__vfma(b, v1, c01); c02 = smx__vfma(b, v2, c02); c03 = smx__vfma(b, v3, c03);
                b = smx__vset1(a1[k]);
                c10 = smx__vfma(b, v0, c10); c11 = smx__vfma(b, v1, c11); c12 = smx__vfma(b, v2, c12); c13 = smx__vfma(b, v3, c13);
                b = smx__vset1(a2[k]);
                c20 = smx__vfma(b, v0, c20); c21 = smx__vfma(b, v1, c21); c22 = smx__vfma(b, v2, c22); c23 = smx__vfma(b, v3, c23);
                b = smx__vset1(a3[k]);
                c30 = smx__vfma(b, v0, c30); c31 = smx__vfma(b, v1, c31); c32 = smx__vfma(b, v2, c32); c33 = smx__vfma(b, v3, c33);
            }
            SMX__SSM_PUT(0, 0, c00); SMX__SSM_PUT(0, 1, c01); SMX__SSM_PUT(0, 2, c02); SMX__SSM_PUT(0, 3, c03);
            SMX__SSM_PUT(1, 0, c10); SMX__SSM_PUT(1, 1, c11); SMX__SSM_PUT(1, 2, c12); SMX__SSM_PUT(1, 3, c13);
            SMX__SSM_PUT(2, 0, c20); SMX__SSM_PUT(2, 1, c21); SMX__SSM_PUT(2, 2, c22); SMX__SSM_PUT(2, 3, c23);
            SMX__SSM_PUT(3, 0, c30); SMX__SSM_PUT(3, 1, c31); SMX__SSM_PUT(3, 2, c32); SMX__SSM_PUT(3, 3, c33);
        }
#endif
        for (; p + 2 * SMX__VW <= P; p += 2 * SMX__VW) {   /* 4 rows x 2 vectors */
            smx__vf c00 = smx__vzero(), c01 = smx__vzero(), c10 = smx__vzero(), c11 = smx__vzero();
            smx__vf c20 = smx__vzero(), c21 = smx__vzero(), c30 = smx__vzero(), c31 = smx__vzero();
            for (k = 0; k < kend; k++) {
                const float *v = V + (size_t)k * ldv + p;
                smx__vf v0 = smx__vld(v), v1 = smx__vld(v + SMX__VW), b;
                SMX__SSM_KEEP(v0); SMX__SSM_KEEP(v1);
                b = smx__vset1(a0[k]); c00 = smx__vfma(b, v0, c00); c01 = smx__vfma(b, v1, c01);
                b = smx__vset1(a1[k]); c10 = smx__vfma(b, v0, c10); c11 = smx__vfma(b, v1, c11);
                b = smx__vset1(a2[k]); c20 = smx__vfma(b, v0, c20); c21 = smx__vfma(b, v1, c21);
                b = smx__vset1(a3[k]); c30 = smx__vfma(b, v0, c30); c31 = smx__vfma(b, v1, c31);
            }
            SMX__SSM_PUT(0, 0, c00); SMX__SSM_PUT(0, 1, c01); SMX__SSM_PUT(1, 0, c10); SMX__SSM_PUT(1, 1, c11);
            SMX__SSM_PUT(2, 0, c20); SMX__SSM_PUT(2, 1, c21); SMX__SSM_PUT(3, 0, c30); SMX__SSM_PUT(3, 1, c31);
        }
        for (; p + SMX__VW <= P; p += SMX__VW) {           /* 4 rows x 1 vector */
            smx__vf c0 = smx__vzero(), c1 = smx__vzero(), c2 = smx__vzero(), c3 = smx__vzero();
            for (k = 0; k < kend; k++) {
                smx__vf v0 = smx__vld(V + (size_t)k * ldv + p);
                SMX__SSM_KEEP(v0);
                c0 = smx__vfma(smx__vset1(a0[k]), v0, c0); c1 = smx__vfma(smx__vset1(a1[k]), v0, c1);
                c2 = smx__vfma(smx__vset1(a2[k]), v0, c2); c3 = smx__vfma(smx__vset1(a3[k]), v0, c3);
            }
            SMX__SSM_PUT(0, 0, c0); SMX__SSM_PUT(1, 0, c1); SMX__SSM_PUT(2, 0, c2); SMX__SSM_PUT(3, 0, c3);
        }
#endif
        for (; p < P; p++) {
            float s[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
            for (k = 0; k < kend; k++) {
                float v = V[(size_t)k * ldv + p];
                s[0] += a0[k] * v; s[1] += a1[k] * v; s[2] += a2[k] * v; s[3] += a3[k] * v;
            }
            for (i = 0; i < nr; i++) {
                float *y = y0 + (size_t)i * ldy + p;
                *y = acc ? *y + s[i] : s[i];
            }
        }
    }
}

SMX__MAYBE_UNUSED static void smx__ssm_gemm_ref(float *Y, size_t ldy, const float *A, size_t lda, const float *V, size_t ldv,
                                                int R, int K, int P, int acc)
{
    int r, k, p;
    for (r = 0; r < R; r++)
        for (p = 0; p < P; p++) {
            float s = 0.0f;
            for (k = 0; k < K; k++) s += A[(size_t)r * lda + k] * V[(size_t)k * ldv + p];
            Y[(size_t)r * ldy + p] = acc ? Y[(size_t)r * ldy + p] + s : s;
        }
}

typedef struct smx__mamba2_cfg {
    int d, d_inner, n_heads, head_dim, d_state, n_groups, d_conv, chunk;
    int bias, conv_bias, act;
    float eps;              /* gated RMSNorm */
    float dt_lo, dt_hi;     /* time_step_limit */
} smx__mamba2_cfg;

typedef struct smx__mamba2 {
    smx__op base;
    int di, H, P, N, G, K, Q, act, cd, E;   /* cd = conv_dim = di + 2 G N; E = di + cd + H */
    float eps, dt_lo, dt_hi;
    const float *w_in, *b_in;       /* [E, d], [E]   rows: z | x B C | dt (past the discarded 2 d_mlp) */
    const float *conv_wT, *conv_b;  /* [K, cd], [cd] */
    const float *dt_bias, *A, *Dsk; /* [H] each; A = -exp(A_log) */
    const float *nw;                /* [di] gated RMSNorm weight */
    const float *w_out, *b_out;     /* [d, di], [d] */
} smx__mamba2;

static size_t smx__mamba2_state(const smx__op *op, int n_ctx)
{
    const smx__mamba2 *m = (const smx__mamba2 *)op;
    (void)n_ctx;
    return ((size_t)(m->K - 1) * m->cd + (size_t)m->H * m->N * m->P) * sizeof(float);
}

/* Chunk work buffers per thread: M [Q, Q], Cs [Q, N], Xc and Xs [Q, P], 2 vectors of Q. */
static size_t smx__mamba2_thread_floats(const smx__mamba2 *m, int Qe)
{
    return (size_t)Qe * Qe + (size_t)Qe * m->N + 2 * (size_t)Qe * m->P + 2 * (size_t)Qe + 64;
}

/* Per chunk and group: Gm = C B^T [Q, Q] and B^T [N, Q]. */
static size_t smx__mamba2_cg_floats(const smx__mamba2 *m, int Qe) { return (size_t)Qe * Qe + (size_t)m->N * Qe; }

static size_t smx__mamba2_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__mamba2 *m = (const smx__mamba2 *)op;
    size_t Qe = (size_t)SMX__MIN(m->Q, T), nch = ((size_t)T + m->Q - 1) / m->Q;
    (void)n_ctx;
    return (size_t)T * ((size_t)m->E + m->cd + m->H + m->di) + (size_t)m->G * T * m->N +
           nch * m->G * smx__mamba2_cg_floats(m, (int)Qe) + (size_t)(nth > 0 ? nth : 1) * smx__mamba2_thread_floats(m, (int)Qe) +
           256;
}

/* One head over T tokens by chunks of Q, continuing from its state S [N, P]. Per chunk of
 * length L starting at t0, with a_s = dt_s A and acs = cumsum(a) inside the chunk:
 *   Y[l]   = sum_{s<=l} (C_l . B_s) exp(acs_l - acs_s) dt_s x_s      (intra-chunk, Gm = C B^T)
 *          + exp(acs_l) C_l S                                      (state entering the chunk)
 *          + D x_l
 *   S     <- exp(acs_{L-1}) S + B^T (exp(acs_{L-1} - acs_s) dt_s x_s)_s
 * x: [T, *] rows of stride ldx (this head's P columns); y likewise (stride ldy); dt: [T, H];
 * Cc: [T, N] this head's group; cgb: the group's Gm [L, L] then B^T [N, L] of chunk c at
 * cgb + c * cgstride. w: smx__mamba2_thread_floats of work space. */
static void smx__mamba2_head_chunked(const smx__mamba2 *m, int h, float *S, int T, const float *x, size_t ldx, const float *dt,
                                     const float *Cc, const float *cgb, size_t cgstride, int Qe, float *y, size_t ldy, float *w)
{
    const int N = m->N, P = m->P, Q = m->Q, H = m->H;
    const float Ah = m->A[h], Dh = m->Dsk[h];
    float *M = w;                       /* [Q, Q] */
    float *Cs = M + (size_t)Qe * Qe;    /* [Q, N] */
    float *Xc = Cs + (size_t)Qe * N;    /* [Q, P]  the chunk's x, contiguous */
    float *Xs = Xc + (size_t)Qe * P;    /* [Q, P]  x scaled for the state update */
    float *acs = Xs + (size_t)Qe * P;   /* [Q] */
    float *dts = acs + Qe;              /* [Q] */
    int t0, ci;
    for (t0 = 0, ci = 0; t0 < T; t0 += Q, ci++) {
        int L = SMX__MIN(Q, T - t0), l, s, n;
        const float *G = cgb + (size_t)ci * cgstride, *BT = G + (size_t)L * L;
        const float *X = Xc;
        float *Y = y + (size_t)t0 * ldy, run = 0.0f, last, e;
        for (l = 0; l < L; l++) {
            dts[l] = dt[(size_t)(t0 + l) * H + h];
            run += dts[l] * Ah;
            acs[l] = run;
            memcpy(Xc + (size_t)l * P, x + (size_t)(t0 + l) * ldx, sizeof(float) * (size_t)P);
        }
        /* M[l][s] = G[l][s] exp(acs_l - acs_s) dt_s for s <= l; zeros above the diagonal up to the
         * end of the 4-row block */
        for (l = 0; l < L; l++) {
            float *Ml = M + (size_t)l * L, al = acs[l];
            const float *Gl = G + (size_t)l * L;
            s = 0;
#if SMX__VW > 1
            for (; s + SMX__VW <= l + 1; s += SMX__VW) {
                smx__vf d = smx__vadd(smx__vset1(al), smx__vmul(smx__vld(acs + s), smx__vset1(-1.0f)));
                smx__vst(Ml + s, smx__vmul(smx__vmul(smx__vld(Gl + s), smx__ssm_vexp(d)), smx__vld(dts + s)));
            }
#endif
            for (; s <= l; s++) Ml[s] = Gl[s] * expf(al - acs[s]) * dts[s];
            for (; s < SMX__MIN(L, (l | 3) + 1); s++) Ml[s] = 0.0f;
        }
        /* Y = M X */
        smx__ssm_gemm(Y, ldy, M, (size_t)L, X, (size_t)P, L, L, P, 0, 1);
        /* Y += (exp(acs) C) S */
        for (l = 0; l < L; l++) smx__ssm_scale(Cs + (size_t)l * N, Cc + (size_t)(t0 + l) * N, expf(acs[l]), N);
        smx__ssm_gemm(Y, ldy, Cs, (size_t)N, S, (size_t)P, L, N, P, 1, 0);
        /* Y += D x */
        for (l = 0; l < L; l++) smx__axpy(Y + (size_t)l * ldy, Dh, X + (size_t)l * P, P);
        /* S = exp(acs_{L-1}) S + B^T Xs,  Xs[s] = exp(acs_{L-1} - acs_s) dt_s x_s */
        last = acs[L - 1];
        for (s = 0; s < L; s++) smx__ssm_scale(Xs + (size_t)s * P, X + (size_t)s * P, expf(last - acs[s]) * dts[s], P);
        e = expf(last);
        for (n = 0; n < N; n++) smx__ssm_scale(S + (size_t)n * P, S + (size_t)n * P, e, P);
        smx__ssm_gemm(S, (size_t)P, BT, (size_t)L, Xs, (size_t)P, N, L, P, 1, 0);
    }
}

/* One head, one token (the recurrence):
 *   S[n, :] = exp(dt A) S[n, :] + dt B[n] x;   y = sum_n C[n] S[n, :] + D x */
static void smx__mamba2_head_step(const smx__mamba2 *m, int h, float *S, const float *x, float dt, const float *B,
                                  const float *C, float *y)
{
    const int N = m->N, P = m->P;
    float dA = expf(dt * m->A[h]), Dh = m->Dsk[h];
    int n, p;
    for (p = 0; p < P; p++) y[p] = Dh * x[p];
    for (n = 0; n < N; n++) {
        float *s = S + (size_t)n * P, b = dt * B[n], c = C[n];
        p = 0;
#if SMX__VW > 1
        for (; p + SMX__VW <= P; p += SMX__VW) {
            smx__vf v = smx__vfma(smx__vset1(dA), smx__vld(s + p), smx__vmul(smx__vset1(b), smx__vld(x + p)));
            smx__vst(s + p, v);
            smx__vst(y + p, smx__vfma(smx__vset1(c), v, smx__vld(y + p)));
        }
#endif
        for (; p < P; p++) {
            s[p] = dA * s[p] + b * x[p];
            y[p] += c * s[p];
        }
    }
}

/* The SSM part of the mixer over T tokens, continuing from S [H, N, P]: y [T, di] from the
 * conv output xbc [T, cd] (x | B | C) and dt [T, H]. T = 1 runs the recurrence; T > 1 the chunked
 * SSD, threads over heads. work: the scratch past y (see smx__mamba2_scratch). */
static void smx__mamba2_ssd(const smx__mamba2 *m, float *S, int T, const float *xbc, const float *dt, float *y, float *work_,
                            int nth)
{
    const int di = m->di, H = m->H, P = m->P, N = m->N, G = m->G, cd = m->cd, hpg = m->H / m->G;
    int t, h;
    (void)nth;
    if (T == 1) {
        SMX__OMP_FOR(nth)
        for (h = 0; h < H; h++) {
            int g = h / hpg;
            smx__mamba2_head_step(m, h, S + (size_t)h * N * P, xbc + (size_t)h * P, dt[h], xbc + di + (size_t)g * N,
                                  xbc + di + (size_t)(G + g) * N, y + (size_t)h * P);
        }
    } else {
        const int Q = m->Q, Qe = SMX__MIN(Q, T), nch = (T + Q - 1) / Q;
        const size_t cgsz = smx__mamba2_cg_floats(m, Qe), wsz = smx__mamba2_thread_floats(m, Qe);
        float *Cc = work_;                              /* [G, T, N] */
        float *cgb = Cc + (size_t)G * T * N;            /* [nch, G]: Gm [L, L], B^T [N, L] */
        float *work = cgb + (size_t)nch * G * cgsz;     /* per thread */
        int cg;
        for (t = 0; t < T; t++)
            for (cg = 0; cg < G; cg++)
                memcpy(Cc + ((size_t)cg * T + t) * N, xbc + (size_t)t * cd + di + (size_t)(G + cg) * N, sizeof(float) * (size_t)N);
        /* per chunk and group (shared by the group's heads): B^T, and Gm = C B^T */
        SMX__OMP_FOR_DYN(nth)
        for (cg = 0; cg < nch * G; cg++) {
            int c = cg / G, g = cg % G, t0 = c * Q, L = SMX__MIN(Q, T - t0), s, n;
            float *Gm = cgb + (size_t)cg * cgsz, *BT = Gm + (size_t)L * L;
            const float *Cg = Cc + ((size_t)g * T + t0) * N;
            for (s = 0; s < L; s++) {
                const float *Bs = xbc + (size_t)(t0 + s) * cd + di + (size_t)g * N;
                for (n = 0; n < N; n++) BT[(size_t)n * L + s] = Bs[n];
            }
            smx__ssm_gemm(Gm, (size_t)L, Cg, (size_t)N, BT, (size_t)L, L, N, L, 0, 0);
        }
        SMX__OMP_FOR_DYN(nth)
        for (h = 0; h < H; h++) {
            int g = h / hpg;
            smx__mamba2_head_chunked(m, h, S + (size_t)h * N * P, T, xbc + (size_t)h * P, (size_t)cd, dt, Cc + (size_t)g * T * N,
                                     cgb + (size_t)g * cgsz, (size_t)G * cgsz, Qe, y + (size_t)h * P, (size_t)di,
                                     work + (size_t)smx__tid() * wsz);
        }
    }
}

static void smx__mamba2_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mamba2 *m = (const smx__mamba2 *)op;
    const int T = f->T, di = m->di, H = m->H, cd = m->cd, E = m->E;
    float *hist = (float *)state;                       /* [K-1, cd] */
    float *S = hist + (size_t)(m->K - 1) * cd;          /* [H, N, P] */
    float *zx = f->scratch;                             /* [T, E]   z | x B C | dt */
    float *xbc = zx + (size_t)T * E;                    /* [T, cd]  after conv + act */
    float *dt = xbc + (size_t)T * cd;                   /* [T, H] */
    float *y = dt + (size_t)T * H;                      /* [T, di] */
    int t, h;
    /* [z | xBC | dt] = xn in_proj^T (+b) */
    smx__matmul(zx, f->x, m->w_in, m->b_in, T, op->d_in, E, f->nth);
    /* xBC = act(causal_conv1d(xBC)) */
    smx__ssm_conv(zx + di, (size_t)E, xbc, (size_t)cd, T, cd, m->K, m->conv_wT, m->conv_b, hist, m->act,
                  smx__ssm_nth((double)T * cd * m->K * 4, f->nth));
    /* dt = clamp(softplus(dt + dt_bias), lo, hi) */
    for (t = 0; t < T; t++)
        for (h = 0; h < H; h++) {
            float v = smx__softplus(zx[(size_t)t * E + di + cd + h] + m->dt_bias[h]);
            dt[(size_t)t * H + h] = v < m->dt_lo ? m->dt_lo : v > m->dt_hi ? m->dt_hi : v;
        }
    smx__mamba2_ssd(m, S, T, xbc, dt, y, y + (size_t)T * di, smx__ssm_nth((double)T * H * m->N * m->P * 2, f->nth));
    /* gated RMSNorm over the whole inner size: g = y silu(z) (SiLU whatever hidden_act says);
     * y = w g / sqrt(mean(g^2) + eps) */
    for (t = 0; t < T; t++) {
        float *yt = y + (size_t)t * di;
        smx__ssm_gate(yt, zx + (size_t)t * E, di, SMX__ACT_SILU);
        smx__rmsnorm(yt, yt, m->nw, di, m->eps);
    }
    /* out = y out_proj^T (+b) */
    smx__matmul(f->y, y, m->w_out, m->b_out, T, di, op->d_out, f->nth);
}

static const smx__op_vt smx__mamba2_vt = {
    "mamba2", '2', smx__mamba2_state, NULL, smx__mamba2_scratch, smx__mamba2_forward, NULL
};

/* prefix e.g. "backbone.layers.3.mixer.". in_proj may carry a leading [2 d_mlp] block of a
 * parallel MLP that transformers discards; d_mlp is derived from its row count. */
static smx__op *smx__mamba2_load(smx__loader *ld, const smx__mamba2_cfg *c, const char *prefix)
{
    smx__mamba2 *m;
    const float *cw, *alog, *win, *bin = NULL;
    float *A;
    int64_t sh[8];
    int di = c->d_inner, H = c->n_heads, N = c->d_state, G = c->n_groups, K = c->d_conv, cd, E, rows, h, d_mlp = 0;
    if (!smx__ld_check(ld, c->d > 0 && di > 0 && H > 0 && N > 0 && G > 0 && K > 0 && c->chunk > 0 && c->head_dim > 0,
                       SMX_E_RANGE, "config.json: Mamba-2 sizes must be positive") ||
        !smx__ld_check(ld, H * c->head_dim == di, SMX_E_RANGE,
                       "config.json: %d heads of head_dim %d do not make the inner size %d", H, c->head_dim, di) ||
        !smx__ld_check(ld, H % G == 0, SMX_E_RANGE, "config.json: %d heads cannot be split into %d groups", H, G) ||
        !smx__ld_check(ld, c->dt_lo <= c->dt_hi, SMX_E_RANGE, "config.json: time_step_limit [%g, %g] is empty",
                       (double)c->dt_lo, (double)c->dt_hi))
        return NULL;
    cd = di + 2 * G * N;
    E = di + cd + H;
    rows = E;
    if (smx__tensor_shape(ld, sh, "%sin_proj.weight", prefix) == 2 && sh[0] > E && (sh[0] - E) % 2 == 0 && sh[0] < INT_MAX) {
        rows = (int)sh[0];
        d_mlp = (rows - E) / 2;
    }
    m = (smx__mamba2 *)smx__op_new(ld, sizeof *m, &smx__mamba2_vt, c->d, c->d);
    if (!m) return NULL;
    m->di = di; m->H = H; m->P = c->head_dim; m->N = N; m->G = G; m->K = K; m->Q = c->chunk; m->act = c->act;
    m->cd = cd; m->E = E; m->eps = c->eps; m->dt_lo = c->dt_lo; m->dt_hi = c->dt_hi;
    win = SMX__W2(ld, rows, c->d, "%sin_proj.weight", prefix);
    if (c->bias) bin = SMX__W1(ld, rows, "%sin_proj.bias", prefix);
    cw = SMX__W3(ld, cd, 1, K, "%sconv1d.weight", prefix);
    if (c->conv_bias) m->conv_b = SMX__W1(ld, cd, "%sconv1d.bias", prefix);
    m->dt_bias = SMX__W1(ld, H, "%sdt_bias", prefix);
    alog = SMX__W1(ld, H, "%sA_log", prefix);
    m->Dsk = SMX__W1(ld, H, "%sD", prefix);
    m->nw = SMX__W1(ld, di, "%snorm.weight", prefix);
    m->w_out = SMX__W2(ld, c->d, di, "%sout_proj.weight", prefix);
    if (c->bias) m->b_out = SMX__W1(ld, c->d, "%sout_proj.bias", prefix);
    m->conv_wT = smx__ssm_conv_weight(ld, cw, cd, K);
    A = smx__ld_alloc(ld, (size_t)H);
    if (ld->st) return NULL;
    m->w_in = win + (size_t)2 * d_mlp * c->d;
    m->b_in = bin ? bin + 2 * d_mlp : NULL;
    for (h = 0; h < H; h++) A[h] = -expf(alog[h]);
    m->A = A;
    return &m->base;
}

/* time_step_limit: [lo, hi] (hi may be {"__float__": "Infinity"}); default [0, inf). */
static void smx__ssm_dt_limit(smx__loader *ld, const smx__jv *o, float *lo, float *hi)
{
    const smx__jv *v = smx__cfg_get(ld, o, "time_step_limit");
    double a = 0.0, b = HUGE_VAL;
    if (v && (v->type != SMX__J_ARR || v->n != 2 || !smx__jnum(smx__jat(v, 0), &a) || !smx__jnum(smx__jat(v, 1), &b) ||
              a != a || b != b)) {
        smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field 'time_step_limit' must be a pair of numbers");
        return;
    }
    *lo = (float)a;
    *hi = b > FLT_MAX ? INFINITY : (float)b;
}

/* ===================================================================================== */
/* Mamba-2 family (Mamba2ForCausalLM)                                                    */
/* ===================================================================================== */

/* Mamba2Config keys of object o (NULL: the config root) for a mixer of width d; the number of
 * heads defaults to expand * d / head_dim (128 for the default config). */
static void smx__mamba2_cfg_read(smx__loader *ld, const smx__jv *o, int d, int groups_def, smx__mamba2_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    c->d_inner = (int)(smx__cf(ld, o, "expand", 2.0) * d);
    c->head_dim = smx__ci_pos(ld, o, "head_dim", 64);
    c->n_heads = smx__ci_pos(ld, o, "num_heads", c->d_inner / (c->head_dim > 0 ? c->head_dim : 1));
    c->d_state = smx__ci_pos(ld, o, "state_size", 128);
    c->n_groups = smx__ci_pos(ld, o, "n_groups", groups_def);
    c->d_conv = smx__ci_pos(ld, o, "conv_kernel", 4);
    c->chunk = smx__ci_pos(ld, o, "chunk_size", 256);
    c->bias = smx__cb(ld, o, "use_bias", 0);
    c->conv_bias = smx__cb(ld, o, "use_conv_bias", 1);
    c->act = smx__ssm_act(ld, o, "hidden_act");
    c->eps = (float)smx__cf(ld, o, "layer_norm_epsilon", 1e-5);
    smx__ssm_dt_limit(ld, o, &c->dt_lo, &c->dt_hi);
}

static smx_status smx__build_mamba2(smx__loader *ld)
{
    smx__mamba2_cfg c;
    char p[128];
    int L, l;
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    smx__mamba2_cfg_read(ld, NULL, smx__ci_pos(ld, NULL, "hidden_size", 0), 8, &c);
    if (ld->st) return ld->st;
    smx__ssm_embed_head(ld, c.d, smx__cb(ld, NULL, "tie_word_embeddings", 0));
    for (l = 0; l < L && !ld->st; l++) {
        snprintf(p, sizeof p, "backbone.layers.%d.mixer.", l);
        smx__add_sub(ld, SMX__NORM_RMS, c.eps, SMX__W1(ld, c.d, "backbone.layers.%d.norm.weight", l), NULL,
                     smx__mamba2_load(ld, &c, p), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = c.eps;
    ld->m->fnw = SMX__W1(ld, c.d, "backbone.norm_f.weight");
    return ld->st;
}

#define SMX__BUILD_MAMBA2 smx__build_mamba2

/* ===================================================================================== */
/* Mixture of experts (pattern letter 'E')                                               */
/* ===================================================================================== */
/* p = softmax(x W_router^T) over all E experts; the top k (ties: lower index first) with weights
 * w_j = p_j (renorm: w_j / sum of the k); out = sum_j w_j Expert_{e_j}(x), each expert a gated MLP
 * down(act(gate x) * up x). Prefill groups the tokens by expert so each expert's weights run as
 * one matmul over its tokens. */

typedef struct smx__moe_cfg {
    int d, ff, n_experts, top_k, act, renorm;
} smx__moe_cfg;

typedef struct smx__moe {
    smx__op base;
    int E, k, ff, act, renorm;
    const float *router;                    /* [E, d] */
    const float **wg, **wu, **wd;           /* per expert: [ff, d], [ff, d], [d, ff] */
} smx__moe;

static size_t smx__moe_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__moe *m = (const smx__moe *)op;
    (void)n_ctx; (void)nth;
    return (size_t)T * ((size_t)m->E + 2 * (size_t)m->k + 2 * (size_t)op->d_in + 2 * (size_t)m->ff + 2) + 64;
}

static void smx__moe_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__moe *m = (const smx__moe *)op;
    const int T = f->T, d = op->d_in, E = m->E, k = m->k, ff = m->ff;
    float *lg = f->scratch;                     /* [T, E] router probabilities */
    float *wsel = lg + (size_t)T * E;           /* [T, k] weights of the chosen experts */
    int *sel = (int *)(wsel + (size_t)T * k);   /* [T, k] chosen experts */
    float *xe = (float *)(sel + (size_t)T * k); /* [T, d] tokens routed to one expert */
    float *g = xe + (size_t)T * d;              /* [T, ff] */
    float *u = g + (size_t)T * ff;              /* [T, ff] */
    float *o = u + (size_t)T * ff;              /* [T, d] */
    int *idx = (int *)(o + (size_t)T * d);      /* [T] token of each gathered row */
    float *we = (float *)(idx + T);             /* [T] its weight */
    int t, j, e;
    (void)state;
    smx__matmul(lg, f->x, m->router, NULL, T, d, E, smx__ssm_nth((double)T * d * E, f->nth));
    for (t = 0; t < T; t++) {
        float *p = lg + (size_t)t * E, sum = 0.0f;
        smx__softmax(p, E);
        for (j = 0; j < k; j++) {   /* j-th largest, lower index first among equals */
            int best = -1, i, q;
            for (i = 0; i < E; i++) {
                int taken = 0;
                for (q = 0; q < j; q++) taken |= sel[(size_t)t * k + q] == i;
                if (!taken && (best < 0 || p[i] > p[best])) best = i;
            }
            sel[(size_t)t * k + j] = best;
            wsel[(size_t)t * k + j] = p[best];
            sum += p[best];
        }
        if (m->renorm)
            for (j = 0; j < k; j++) wsel[(size_t)t * k + j] /= sum;
    }
    memset(f->y, 0, sizeof(float) * (size_t)T * d);
    for (e = 0; e < E; e++) {
        int ne = 0, r;
        size_t i, n;
        for (t = 0; t < T; t++)
            for (j = 0; j < k; j++)
                if (sel[(size_t)t * k + j] == e) {
                    memcpy(xe + (size_t)ne * d, f->x + (size_t)t * d, sizeof(float) * (size_t)d);
                    idx[ne] = t;
                    we[ne++] = wsel[(size_t)t * k + j];
                }
        if (!ne) continue;
        /* o = down(act(gate xe) * up xe) */
        smx__matmul(g, xe, m->wg[e], NULL, ne, d, ff, f->nth);
        smx__matmul(u, xe, m->wu[e], NULL, ne, d, ff, f->nth);
        n = (size_t)ne * ff;
        smx__ssm_gate(u, g, (int)n, m->act);
        smx__matmul(o, u, m->wd[e], NULL, ne, ff, d, f->nth);
        for (r = 0; r < ne; r++) {
            float *yt = f->y + (size_t)idx[r] * d;
            const float *orow = o + (size_t)r * d;
            for (i = 0; i < (size_t)d; i++) yt[i] += we[r] * orow[i];
        }
    }
}

static const smx__op_vt smx__moe_vt = { "moe", 'E', NULL, NULL, smx__moe_scratch, smx__moe_forward, NULL };

/* prefix e.g. "model.layers.1.feed_forward."; router: name of the router module ("router",
 * "gate"). Experts as "experts.E.{gate,up,down}_proj.weight", or fused as
 * "experts.gate_up_proj" [E, 2 ff, d] (gate rows first; [E, d, 2 ff] is transposed on load) and
 * "experts.down_proj" [E, d, ff]. */
static smx__op *smx__moe_load(smx__loader *ld, const smx__moe_cfg *c, const char *prefix, const char *router)
{
    smx__moe *m;
    int64_t sh[8];
    int e, d = c->d, ff = c->ff, E = c->n_experts;
    if (!smx__ld_check(ld, E > 0 && c->top_k > 0 && c->top_k <= E && ff > 0, SMX_E_RANGE,
                       "config.json: top-%d routing over %d experts of width %d is not possible", c->top_k, E, ff))
        return NULL;
    m = (smx__moe *)smx__op_new(ld, sizeof *m, &smx__moe_vt, d, d);
    if (!m) return NULL;
    m->E = E; m->k = c->top_k; m->ff = ff; m->act = c->act; m->renorm = c->renorm;
    m->router = SMX__W2(ld, E, d, "%s%s.weight", prefix, router);
    m->wg = (const float **)smx__arena_alloc(&ld->m->arena, 3 * sizeof(float *) * (size_t)E);
    if (!m->wg) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
    m->wu = m->wg + E;
    m->wd = m->wu + E;
    if (!ld->random && smx__tensor_shape(ld, sh, "%sexperts.gate_up_proj", prefix) == 3) {
        int trans = !(sh[1] == 2 * (int64_t)ff && sh[2] == d) && sh[1] == d && sh[2] == 2 * (int64_t)ff;
        const float *gu = trans ? SMX__W3(ld, E, d, 2 * ff, "%sexperts.gate_up_proj", prefix)
                                : SMX__W3(ld, E, 2 * ff, d, "%sexperts.gate_up_proj", prefix);
        int dtrans = smx__tensor_shape(ld, sh, "%sexperts.down_proj", prefix) == 3 && !(sh[1] == d && sh[2] == ff) &&
                     sh[1] == ff && sh[2] == d;
        const float *dn = dtrans ? SMX__W3(ld, E, ff, d, "%sexperts.down_proj", prefix)
                                 : SMX__W3(ld, E, d, ff, "%sexperts.down_proj", prefix);
        float *cp = NULL;
        if (trans || dtrans) cp = smx__ld_alloc(ld, (size_t)E * 3 * ff * d);
        if (ld->st) return NULL;
        for (e = 0; e < E; e++) {
            if (trans) {   /* [d, 2 ff] -> gate [ff, d], up [ff, d] */
                float *wg = cp + (size_t)e * 3 * ff * d, *wu = wg + (size_t)ff * d;
                const float *src = gu + (size_t)e * d * 2 * ff;
                int i, r;
                for (i = 0; i < d; i++)
                    for (r = 0; r < ff; r++) {
                        wg[(size_t)r * d + i] = src[(size_t)i * 2 * ff + r];
                        wu[(size_t)r * d + i] = src[(size_t)i * 2 * ff + ff + r];
                    }
                m->wg[e] = wg; m->wu[e] = wu;
            } else {
                m->wg[e] = gu + (size_t)e * 2 * ff * d;
                m->wu[e] = m->wg[e] + (size_t)ff * d;
            }
            if (dtrans) {  /* [ff, d] -> [d, ff] */
                float *wd = cp + (size_t)e * 3 * ff * d + 2 * (size_t)ff * d;
                const float *src = dn + (size_t)e * ff * d;
                int i, r;
                for (r = 0; r < ff; r++)
                    for (i = 0; i < d; i++) wd[(size_t)i * ff + r] = src[(size_t)r * d + i];
                m->wd[e] = wd;
            } else {
                m->wd[e] = dn + (size_t)e * d * ff;
            }
        }
        return &m->base;
    }
    for (e = 0; e < E; e++) {
        m->wg[e] = SMX__W2(ld, ff, d, "%sexperts.%d.gate_proj.weight", prefix, e);
        m->wu[e] = SMX__W2(ld, ff, d, "%sexperts.%d.up_proj.weight", prefix, e);
        m->wd[e] = SMX__W2(ld, d, ff, "%sexperts.%d.down_proj.weight", prefix, e);
    }
    return ld->st ? NULL : &m->base;
}

/* ===================================================================================== */
/* Jamba (JambaForCausalLM)                                                              */
/* ===================================================================================== */
/* Layer i: attention (no positional encoding) if i % attn_layer_period == attn_layer_offset,
 * else a Mamba mixer with dt/B/C RMSNorms; then an MoE feed-forward if
 * i % expert_layer_period == expert_layer_offset (and more than one expert), else a SwiGLU MLP.
 * Each is a pre-norm residual sub-layer. */
static smx_status smx__build_jamba(smx__loader *ld)
{
    smx__mamba_cfg mc;
    smx__attn_cfg ac;
    smx__moe_cfg ec;
    char p[128], q[160];
    int V, d, L, ff, act, ap, ao, ep, eo, l;
    float eps;
    memset(&mc, 0, sizeof mc);
    memset(&ac, 0, sizeof ac);
    memset(&ec, 0, sizeof ec);
    V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    ff = smx__ci_pos(ld, NULL, "intermediate_size", 0);
    act = smx__ssm_act(ld, NULL, "hidden_act");
    eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-6);
    ap = smx__ci_pos(ld, NULL, "attn_layer_period", 8);
    ao = smx__ci(ld, NULL, "attn_layer_offset", 4);
    ep = smx__ci_pos(ld, NULL, "expert_layer_period", 2);
    eo = smx__ci(ld, NULL, "expert_layer_offset", 1);
    smx__ld_check(ld, ao >= 0 && ao < ap, SMX_E_RANGE, "config.json: attn_layer_offset %d must lie in [0, attn_layer_period %d)", ao, ap);
    smx__ld_check(ld, eo >= 0 && eo < ep, SMX_E_RANGE,
                  "config.json: expert_layer_offset %d must lie in [0, expert_layer_period %d)", eo, ep);
    ac.d = d;
    ac.nh = smx__ci_pos(ld, NULL, "num_attention_heads", 32);
    ac.nkv = smx__ci_pos(ld, NULL, "num_key_value_heads", ac.nh);
    ac.hd = d / (ac.nh > 0 ? ac.nh : 1);
    ac.causal = 1;
    ac.rope.rot = 0;   /* Jamba attention has no positional encoding */
    smx__ld_check(ld, ac.hd * ac.nh == d, SMX_E_RANGE, "config.json: hidden_size %d is not a multiple of %d heads", d, ac.nh);
    mc.d = d;
    mc.d_state = smx__ci_pos(ld, NULL, "mamba_d_state", 16);
    mc.d_conv = smx__ci_pos(ld, NULL, "mamba_d_conv", 4);
    mc.conv_bias = smx__cb(ld, NULL, "mamba_conv_bias", 1);
    mc.bias = smx__cb(ld, NULL, "mamba_proj_bias", 0);
    mc.act = act;
    mc.bcdt_norm = 1;
    mc.norm_eps = eps;
    ec.d = d;
    ec.ff = ff;
    ec.n_experts = smx__ci_pos(ld, NULL, "num_experts", smx__ci_pos(ld, NULL, "num_local_experts", 16));
    ec.top_k = smx__ci_pos(ld, NULL, "num_experts_per_tok", 2);
    ec.act = act;
    ec.renorm = 0;
    if (ld->st) return ld->st;
    mc.dt_rank = smx__ssm_dt_rank(ld, NULL, "mamba_dt_rank", d);
    mc.d_inner = (int)(smx__cf(ld, NULL, "mamba_expand", 2.0) * d);
    ld->m->max_ctx = smx__ci(ld, NULL, "max_position_embeddings", 0);
    smx__load_embed_head(ld, V, d, "model.embed_tokens.weight", "lm_head.weight", smx__cb(ld, NULL, "tie_word_embeddings", 0));
    for (l = 0; l < L && !ld->st; l++) {
        smx__op *mix;
        snprintf(p, sizeof p, "model.layers.%d.", l);
        if (l % ap == ao) {
            snprintf(q, sizeof q, "%sself_attn.", p);
            mix = smx__attn_load(ld, &ac, q, "q_proj", "k_proj", "v_proj", "o_proj", NULL, NULL);
        } else {
            snprintf(q, sizeof q, "%smamba.", p);
            mix = smx__mamba_load(ld, &mc, q);
        }
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%sinput_layernorm.weight", p), NULL, mix, 1);
        snprintf(q, sizeof q, "%sfeed_forward.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%spre_ff_layernorm.weight", p), NULL,
                     (l % ep == eo && ec.n_experts > 1) ? smx__moe_load(ld, &ec, q, "router")
                                                        : smx__mlp_load(ld, d, ff, act, 0, q, "gate_proj", "up_proj", "down_proj"),
                     1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "model.final_layernorm.weight");
    return ld->st;
}

#define SMX__BUILD_JAMBA smx__build_jamba

/* ===================================================================================== */
/* Bamba (BambaForCausalLM)                                                              */
/* ===================================================================================== */
/* Layer i: attention with partial RoPE if i is in attn_layer_indices, else a Mamba-2 mixer;
 * then a SwiGLU MLP. The reference's Bamba mixer clamps dt to its fixed (0, inf) limit (it does
 * not read time_step_limit from the config), and so does this one. */
static smx_status smx__build_bamba(smx__loader *ld)
{
    smx__mamba2_cfg mc;
    smx__attn_cfg ac;
    const smx__jv *ai;
    char p[128], q[160];
    int V, d, L, ff, act, l, dh, mlp_bias;
    float eps;
    memset(&mc, 0, sizeof mc);
    memset(&ac, 0, sizeof ac);
    V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    ff = smx__ci_pos(ld, NULL, "intermediate_size", 0);
    act = smx__ssm_act(ld, NULL, "hidden_act");
    eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-5);
    mlp_bias = smx__cb(ld, NULL, "mlp_bias", 0);
    ai = smx__cfg_get(ld, NULL, "attn_layer_indices");
    smx__ld_check(ld, !ai || ai->type == SMX__J_ARR, SMX_E_FORMAT, "config.json: field 'attn_layer_indices' must be an array");
    ac.d = d;
    ac.nh = smx__ci_pos(ld, NULL, "num_attention_heads", 32);
    ac.nkv = smx__ci_pos(ld, NULL, "num_key_value_heads", ac.nh);
    ac.hd = smx__ci_pos(ld, NULL, "head_dim", d / (ac.nh > 0 ? ac.nh : 1));
    ac.causal = 1;
    ac.bias = ac.o_bias = smx__cb(ld, NULL, "attention_bias", 0);
    mc.d = d;
    mc.n_heads = smx__ci_pos(ld, NULL, "mamba_n_heads", 128);
    mc.d_state = smx__ci_pos(ld, NULL, "mamba_d_state", 256);
    mc.n_groups = smx__ci_pos(ld, NULL, "mamba_n_groups", 1);
    mc.d_conv = smx__ci_pos(ld, NULL, "mamba_d_conv", 4);
    mc.chunk = smx__ci_pos(ld, NULL, "mamba_chunk_size", 256);
    mc.conv_bias = smx__cb(ld, NULL, "mamba_conv_bias", 1);
    mc.bias = smx__cb(ld, NULL, "mamba_proj_bias", 0);
    mc.act = act;
    mc.eps = eps;
    mc.dt_lo = 0.0f;
    mc.dt_hi = INFINITY;
    if (ld->st) return ld->st;
    mc.d_inner = (int)(smx__cf(ld, NULL, "mamba_expand", 2.0) * d);
    {   /* mamba_d_head: an integer or "auto" = inner / heads */
        const smx__jv *v = smx__cfg_get(ld, NULL, "mamba_d_head");
        if (!v || (v->type == SMX__J_STR && !strcmp(v->str, "auto"))) dh = mc.d_inner / mc.n_heads;
        else dh = smx__ci_pos(ld, NULL, "mamba_d_head", 1);
        mc.head_dim = dh;
    }
    ac.rope = smx__rope_from_config(ld, ac.hd, 10000.0, 0.5);
    ld->m->max_ctx = smx__ci(ld, NULL, "max_position_embeddings", 0);
    if (ld->st) return ld->st;
    smx__load_embed_head(ld, V, d, "model.embed_tokens.weight", "lm_head.weight", smx__cb(ld, NULL, "tie_word_embeddings", 0));
    for (l = 0; l < L && !ld->st; l++) {
        const smx__jv *c;
        smx__op *mix;
        int attn = 0;
        for (c = ai ? ai->child : NULL; c; c = c->next) attn |= c->type == SMX__J_NUM && c->num == (double)l;
        snprintf(p, sizeof p, "model.layers.%d.", l);
        if (attn) {
            snprintf(q, sizeof q, "%sself_attn.", p);
            mix = smx__attn_load(ld, &ac, q, "q_proj", "k_proj", "v_proj", "o_proj", NULL, NULL);
        } else {
            snprintf(q, sizeof q, "%smamba.", p);
            mix = smx__mamba2_load(ld, &mc, q);
        }
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%sinput_layernorm.weight", p), NULL, mix, 1);
        snprintf(q, sizeof q, "%sfeed_forward.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%spre_ff_layernorm.weight", p), NULL,
                     smx__mlp_load(ld, d, ff, act, mlp_bias, q, "gate_proj", "up_proj", "down_proj"), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "model.final_layernorm.weight");
    return ld->st;
}

#define SMX__BUILD_BAMBA smx__build_bamba

/* ===================================================================================== */
/* Layer types of the hybrid-stack builder (model_type "seqmix")                         */
/* ===================================================================================== */
/* Each reads its settings from the layer's object o of config.json "layers", with the
 * defaults of the corresponding transformers config. */

/* {"type": "mamba", "state_size": 16, "expand": 2, "conv_kernel": 4, "time_step_rank": "auto",
 *  "use_bias": false, "use_conv_bias": true, "hidden_act": "silu"} */
static smx__op *smx__lt_mamba(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__mamba_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.d_state = smx__ci_pos(ld, o, "state_size", 16);
    c.d_conv = smx__ci_pos(ld, o, "conv_kernel", 4);
    c.bias = smx__cb(ld, o, "use_bias", 0);
    c.conv_bias = smx__cb(ld, o, "use_conv_bias", 1);
    c.act = smx__ssm_act(ld, o, "hidden_act");
    c.dt_rank = smx__ssm_dt_rank(ld, o, "time_step_rank", d);
    c.d_inner = (int)(smx__cf(ld, o, "expand", 2.0) * d);
    return ld->st ? NULL : smx__mamba_load(ld, &c, prefix);
}

/* {"type": "mamba2", "num_heads": expand*d/head_dim, "head_dim": 64, "state_size": 128,
 *  "n_groups": 1, "expand": 2, "conv_kernel": 4, "chunk_size": 256, "use_bias": false,
 *  "use_conv_bias": true, "hidden_act": "silu", "layer_norm_epsilon": 1e-5,
 *  "time_step_limit": [0, inf]} */
static smx__op *smx__lt_mamba2(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__mamba2_cfg c;
    smx__mamba2_cfg_read(ld, o, d, 1, &c);
    return ld->st ? NULL : smx__mamba2_load(ld, &c, prefix);
}

/* {"type": "moe", "intermediate_size": 2d, "num_experts": 8, "num_experts_per_tok": 2,
 *  "activation": "silu", "norm_topk_prob": false}; tensors router.weight, experts.E.* */
static smx__op *smx__lt_moe(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__moe_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.ff = smx__ci_pos(ld, o, "intermediate_size", 2 * d);
    c.n_experts = smx__ci_pos(ld, o, "num_experts", 8);
    c.top_k = smx__ci_pos(ld, o, "num_experts_per_tok", 2);
    c.act = smx__ssm_act(ld, o, "activation");
    c.renorm = smx__cb(ld, o, "norm_topk_prob", 0);
    return ld->st ? NULL : smx__moe_load(ld, &c, prefix, "router");
}

#define SMX__LT_MAMBA smx__lt_mamba
#define SMX__LT_MAMBA2 smx__lt_mamba2
#define SMX__LT_MOE smx__lt_moe

/* ===================================================================================== */
/* II.7.c xLSTM: mLSTM (xLSTM-7B) and the original xLSTM LM (mLSTM + sLSTM)             */
/* ===================================================================================== */
/* Two released forms share one mLSTM cell.
 *   xLSTMForCausalLM (model_type "xlstm", transformers' native path): per block
 *       h += mLSTM(RMSNorm(h)),  h += SwiGLU(RMSNorm(h));  final RMSNorm;  logits = cap * tanh(logits / cap).
 *   xLSTMLMModel (model_type "xlstm_lm", NX-AI xlstm): mLSTM blocks  h += mLSTM_lm(LN(h))  and sLSTM blocks
 *       h += sLSTM(LN(h)),  h += GatedFFN(LN(h)),  placed by slstm_at; every LayerNorm uses weight 1 + w.
 *
 * mLSTM cell, per head; state C [dqk, dv], n [dqk], m (scalar), all zero at the start:
 *   lf = logsigmoid(f~);  m' = max(lf + m, i~);  f' = exp(lf + m - m');  i' = exp(i~ - m')
 *   C' = f' C + i' k v^T;   n' = f' n + i' k;   h = C'^T q / (max(|q . n'|, exp(-m')) + eps)
 * The 7B form scales q by 1/sqrt(dqk), the original form scales k; the products are the same.
 * T > 1 runs the chunkwise form. In a chunk of L tokens with b_t = sum_{s<=t} lf_s (from the chunk
 * start) and chunk-start state (C0, n0, m0):
 *   mc_t = max(b_t + m0, max_{s<=t}(b_t - b_s + i~_s)),   D_ts = exp(b_t - b_s + i~_s - mc_t),   g_t = exp(b_t + m0 - mc_t)
 *   h_t  = (g_t C0^T q_t + sum_{s<=t} D_ts (q_t . k_s) v_s) / (max(|g_t q_t . n0 + sum_{s<=t} D_ts (q_t . k_s)|, exp(-mc_t)) + eps)
 * and the state moves to the chunk end with G = b_{L-1}, a_s = G - b_s + i~_s:
 *   m1 = max(G + m0, max_s a_s);   C1 = exp(G + m0 - m1) C0 + sum_s exp(a_s - m1) k_s v_s^T;   n1 likewise.
 * This is the recurrence unrolled (the same m_t, so the same exp(-m) floor): chunkwise and step agree to
 * rounding. The original model's full-sequence form (parallel_stabilized_simple, row-wise stabiliser
 * without the m0 term) is the same computation with m0 = -inf; it serves a prefill from an empty state,
 * the reference's own recurrent step serves T = 1.
 *
 * sLSTM (original LM), per head of dh channels, gates in the order i, f, z, o; state y, c, n, m [E]:
 *   raw_g = W_g x_g + R_g y_{t-1} + b_g   (W_g, R_g block-diagonal per head; x_i = x_f = silu(conv(x)), x_z = x_o = x)
 *   m_t = raw_i if every n_{t-1} is 0, else max(raw_i, m_{t-1} + logsigmoid(raw_f))
 *   i = min(exp(raw_i - m_t), 1);  f = min(exp(m_{t-1} + logsigmoid(raw_f) - m_t), 1)
 *   c_t = f c + i tanh(raw_z);  n_t = f n + i;  y_t = sigmoid(raw_o) c_t / n_t;   out = GroupNorm_heads(y_t)
 *
 * Operator state layouts (floats, position-independent):
 *   mLSTM (7B):       C [nh][dqk][dv] | n [nh][dqk] | m [nh]
 *   mLSTM (original): conv history [K-1][I] (oldest first) | C [nh][dh][dh] | n [nh][dh] | m [nh]
 *   sLSTM:            conv history [K-1][E] | y [E] | c [E] | n [E] | m [E]
 */

/* ---- Small kernels ---- */

/* y[M, N] (row stride ldy) = (beta ? y : 0) + A B, with A(i, k) = A[i * ais + k * aks] and B row-major
 * [K, N] with row stride ldb. Register tiles of 8 (AVX-512) or 4 rows by 2 vectors of columns. */
static void smx__xl_gemm(float *y, size_t ldy, const float *A, size_t ais, size_t aks, const float *B, size_t ldb,
                         int M, int K, int N, int beta)
{
    int i = 0, j, k, r;
#if SMX__VW >= 16
    /* with 32 vector registers: 8 rows by 2 vectors (16 accumulators) halve the reads of B */
    for (; i + 8 <= M && N >= 2 * SMX__VW; i += 8) {
        const float *a0 = A + (size_t)i * ais;
        float *y0 = y + (size_t)i * ldy;
        for (j = 0; j + 2 * SMX__VW <= N; j += 2 * SMX__VW) {
            smx__vf c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
#define SMX__XL_LD(cr0, cr1, rr) \
            cr0 = beta ? smx__vld(y0 + (size_t)(rr) * ldy + j) : smx__vzero(); \
            cr1 = beta ? smx__vld(y0 + (size_t)(rr) * ldy + j + SMX__VW) : smx__vzero()
#define SMX__XL_FMA(cr0, cr1, rr) \
            x = smx__vset1(ak[(size_t)(rr) * ais]); cr0 = smx__vfma(x, b0, cr0); cr1 = smx__vfma(x, b1, cr1)
#define SMX__XL_ST(cr0, cr1, rr) \
            smx__vst(y0 + (size_t)(rr) * ldy + j, cr0); smx__vst(y0 + (size_t)(rr) * ldy + j + SMX__VW, cr1)
            SMX__XL_LD(c00, c01, 0); SMX__XL_LD(c10, c11, 1); SMX__XL_LD(c20, c21, 2); SMX__XL_LD(c30, c31, 3);
            SMX__XL_LD(c40, c41, 4); SMX__XL_LD(c50, c51, 5); SMX__XL_LD(c60, c61, 6); SMX__XL_LD(c70, c71, 7);
            for (k = 0; k < K; k++) {
                const float *bk = B + (size_t)k * ldb + j, *ak = a0 + (size_t)k * aks;
                smx__vf b0 = smx__vld(bk), b1 = smx__vld(bk + SMX__VW), x;
                SMX__XL_FMA(c00, c01, 0); SMX__XL_FMA(c10, c11, 1); SMX__XL_FMA(c20, c21, 2); SMX__XL_FMA(c30, c31, 3);
                SMX__XL_FMA(c40, c41, 4); SMX__XL_FMA(c50, c51, 5); SMX__XL_FMA(c60, c61, 6); SMX__XL_FMA(c70, c71, 7);
            }
            SMX__XL_ST(c00, c01, 0); SMX__XL_ST(c10, c11, 1); SMX__XL_ST(c20, c21, 2); SMX__XL_ST(c30, c31, 3);
            SMX__XL_ST(c40, c41, 4); SMX__XL_ST(c50, c51, 5); SMX__XL_ST(c60, c61, 6); SMX__XL_ST(c70, c71, 7);
#undef SMX__XL_LD
#undef SMX__XL_FMA
#undef SMX__XL_ST
        }
        if (j < N) smx__xl_gemm(y0 + j, ldy, a0, ais, aks, B + j, ldb, 8, K, N - j, beta);   /* column tail: 4-row tiles */
    }
#endif
    for (; i + 4 <= M; i += 4) {
        const float *a0 = A + (size_t)i * ais, *a1 = a0 + ais, *a2 = a1 + ais, *a3 = a2 + ais;
        float *y0 = y + (size_t)i * ldy, *y1 = y0 + ldy, *y2 = y1 + ldy, *y3 = y2 + ldy;
        for (j = 0; j + 2 * SMX__VW <= N; j += 2 * SMX__VW) {
            smx__vf c00, c01, c10, c11, c20, c21, c30, c31;
            if (beta) {
                c00 = smx__vld(y0 + j); c01 = smx__vld(y0 + j + SMX__VW); c10 = smx__vld(y1 + j); c11 = smx__vld(y1 + j + SMX__VW);
                c20 = smx__vld(y2 + j); c21 = smx__vld(y2 + j + SMX__VW); c30 = smx__vld(y3 + j); c31 = smx__vld(y3 + j + SMX__VW);
            } else {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = smx__vzero();
            }
            for (k = 0; k < K; k++) {
                const float *bk = B + (size_t)k * ldb + j;
                smx__vf b0 = smx__vld(bk), b1 = smx__vld(bk + SMX__VW), x;
                size_t ko = (size_t)k * aks;
                x = smx__vset1(a0[ko]); c00 = smx__vfma(x, b0, c00); c01 = smx__vfma(x, b1, c01);
                x = smx__vset1(a1[ko]); c10 = smx__vfma(x, b0, c10); c11 = smx__vfma(x, b1, c11);
                x = smx__vset1(a2[ko]); c20 = smx__vfma(x, b0, c20); c21 = smx__vfma(x, b1, c21);
                x = smx__vset1(a3[ko]); c30 = smx__vfma(x, b0, c30); c31 = smx__vfma(x, b1, c31);
            }
            smx__vst(y0 + j, c00); smx__vst(y0 + j + SMX__VW, c01); smx__vst(y1 + j, c10); smx__vst(y1 + j + SMX__VW, c11);
            smx__vst(y2 + j, c20); smx__vst(y2 + j + SMX__VW, c21); smx__vst(y3 + j, c30); smx__vst(y3 + j + SMX__VW, c31);
        }
        for (; j + SMX__VW <= N; j += SMX__VW) {
            smx__vf c0, c1, c2, c3;
            if (beta) { c0 = smx__vld(y0 + j); c1 = smx__vld(y1 + j); c2 = smx__vld(y2 + j); c3 = smx__vld(y3 + j); }
            else c0 = c1 = c2 = c3 = smx__vzero();
            for (k = 0; k < K; k++) {
                smx__vf b0 = smx__vld(B + (size_t)k * ldb + j);
                size_t ko = (size_t)k * aks;
                c0 = smx__vfma(smx__vset1(a0[ko]), b0, c0); c1 = smx__vfma(smx__vset1(a1[ko]), b0, c1);
                c2 = smx__vfma(smx__vset1(a2[ko]), b0, c2); c3 = smx__vfma(smx__vset1(a3[ko]), b0, c3);
            }
            smx__vst(y0 + j, c0); smx__vst(y1 + j, c1); smx__vst(y2 + j, c2); smx__vst(y3 + j, c3);
        }
        for (; j < N; j++)
            for (r = 0; r < 4; r++) {
                const float *ar = A + (size_t)(i + r) * ais;
                float s = beta ? y[(size_t)(i + r) * ldy + j] : 0.0f;
                for (k = 0; k < K; k++) s += ar[(size_t)k * aks] * B[(size_t)k * ldb + j];
                y[(size_t)(i + r) * ldy + j] = s;
            }
    }
    for (; i < M; i++) {
        const float *ar = A + (size_t)i * ais;
        float *yr = y + (size_t)i * ldy;
        for (j = 0; j + SMX__VW <= N; j += SMX__VW) {
            smx__vf c0 = beta ? smx__vld(yr + j) : smx__vzero();
            for (k = 0; k < K; k++) c0 = smx__vfma(smx__vset1(ar[(size_t)k * aks]), smx__vld(B + (size_t)k * ldb + j), c0);
            smx__vst(yr + j, c0);
        }
        for (; j < N; j++) {
            float s = beta ? yr[j] : 0.0f;
            for (k = 0; k < K; k++) s += ar[(size_t)k * aks] * B[(size_t)k * ldb + j];
            yr[j] = s;
        }
    }
}

/* The scalar twin of smx__xl_gemm (tests compare the two). */
SMX__MAYBE_UNUSED static void smx__xl_gemm_ref(float *y, size_t ldy, const float *A, size_t ais, size_t aks, const float *B,
                                               size_t ldb, int M, int K, int N, int beta)
{
    int i, j, k;
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) {
            float s = beta ? y[(size_t)i * ldy + j] : 0.0f;
            for (k = 0; k < K; k++) s += A[(size_t)i * ais + (size_t)k * aks] * B[(size_t)k * ldb + j];
            y[(size_t)i * ldy + j] = s;
        }
}

/* row = a * row + b * v;  y += s * row   (n floats): one row of an mLSTM state update fused with
 * its contribution to the read-out. */
static void smx__xl_row_update(float *SMX__RESTRICT row, float a, float b, const float *SMX__RESTRICT v, float s,
                               float *SMX__RESTRICT y, int n)
{
    smx__vf va = smx__vset1(a), vb = smx__vset1(b), vs = smx__vset1(s);
    int j = 0;
    for (; j + SMX__VW <= n; j += SMX__VW) {
        smx__vf r = smx__vfma(vb, smx__vld(v + j), smx__vmul(va, smx__vld(row + j)));
        smx__vst(row + j, r);
        smx__vst(y + j, smx__vfma(vs, r, smx__vld(y + j)));
    }
    for (; j < n; j++) {
        float r = a * row[j] + b * v[j];
        row[j] = r;
        y[j] += s * r;
    }
}

/* Threads worth using for about `work` multiply-adds split over tasks (forking costs microseconds). */
SMX__MAYBE_UNUSED static int smx__xl_nth(int nth, double work) { return work < 65536.0 ? 1 : nth; }

/* Python's a // b for finite a, b > 0 (floor of the exact quotient, as Python computes it). */
static double smx__xl_floordiv(double a, double b)
{
    double mod = fmod(a, b), div = (a - mod) / b, fl;
    if (mod != 0.0 && mod < 0.0) div -= 1.0;
    fl = floor(div);
    if (div - fl > 0.5) fl += 1.0;
    return fl;
}

/* Causal depthwise conv over T rows continuing from hist [K-1, C] (oldest row first), then silu:
 *   y[t, c] = silu(b[c] + sum_k wT[k, c] x[t - (K-1) + k, c])      (rows before t = 0 come from hist)
 * x has row stride ldx; y [T, C]. hist becomes the last K-1 inputs. */
static void smx__xl_conv(float *y, const float *x, size_t ldx, float *hist, const float *wT, const float *b, int T,
                         int C, int K, int nth)
{
    int t, H = K - 1;
    (void)nth;
    SMX__OMP_FOR(smx__xl_nth(nth, (double)T * C * K))
    for (t = 0; t < T; t++) {
        float *yr = y + (size_t)t * C;
        int k, c;
        memcpy(yr, b, sizeof(float) * (size_t)C);
        for (k = 0; k < K; k++) {
            int tau = t - H + k;
            const float *src = tau >= 0 ? x + (size_t)tau * ldx : hist + (size_t)(H + tau) * C;
            const float *wk = wT + (size_t)k * C;
            for (c = 0; c < C; c++) yr[c] += wk[c] * src[c];
        }
        for (c = 0; c < C; c++) yr[c] = smx__silu(yr[c]);
    }
    if (H > 0) {   /* hist = last H rows of [hist; x] */
        int keep = H - T, r;
        if (keep > 0) memmove(hist, hist + (size_t)T * C, sizeof(float) * (size_t)keep * C);
        for (r = keep > 0 ? keep : 0; r < H; r++)
            memcpy(hist + (size_t)r * C, x + (size_t)(T - H + r) * ldx, sizeof(float) * (size_t)C);
    }
}

/* Block-diagonal projection (LinearHeadwiseExpand with equal widths): nb blocks of bs,
 *   y[t, j*bs + o] = sum_d x[t, j*bs + d] W[j, o, d] (+ bias[j*bs + o])
 * x, y have row strides ldx, ldy. Wide blocks run the tiled matmul per block; narrow ones (the
 * original mLSTM's 4x4 q/k/v blocks) a plain loop over rows. */
static void smx__xl_headwise(float *y, size_t ldy, const float *x, size_t ldx, const float *W, const float *bias, int nb,
                             int bs, int T, int nth)
{
    const int n = nb * bs;
    int t;
    if (bs >= 16) {
        int j;
        for (j = 0; j < nb; j++)
            smx__matmul_ld(y + (size_t)j * bs, ldy, x + (size_t)j * bs, ldx, W + (size_t)j * bs * bs, (size_t)bs,
                           bias ? bias + (size_t)j * bs : NULL, T, bs, bs, nth);
        return;
    }
    (void)nth;
    SMX__OMP_FOR(smx__xl_nth(nth, (double)T * n * bs))
    for (t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * ldx;
        float *yr = y + (size_t)t * ldy;
        int r, d;
        for (r = 0; r < n; r++) {
            const float *xb = xr + (size_t)(r / bs) * bs, *w = W + (size_t)r * bs;
            float s = bias ? bias[r] : 0.0f;
            for (d = 0; d < bs; d++) s += xb[d] * w[d];
            yr[r] = s;
        }
    }
}

/* Several matrix-vector products over one input in one parallel loop (decode):
 *   y_p = W_p x + b_p   for p < np, W_p [N_p, K] */
typedef struct smx__xl_mv {
    const float *W, *b;
    float *y;
    int N;
} smx__xl_mv;

static void smx__xl_matvecs(const float *x, int K, const smx__xl_mv *p, int np, int nth)
{
    int total = 0, r, i;
    for (i = 0; i < np; i++) total += p[i].N;
    (void)nth;
    SMX__OMP_FOR(smx__xl_nth(nth, (double)total * K))
    for (r = 0; r < total; r++) {
        int j = 0, rr = r;
        while (rr >= p[j].N) rr -= p[j++].N;
        p[j].y[rr] = smx__dot(x, p[j].W + (size_t)rr * K, K) + (p[j].b ? p[j].b[rr] : 0.0f);
    }
}

/* ---- The mLSTM cell: recurrent step and chunkwise form (see the section comment) ---- */
typedef struct smx__mcell {
    int nh, dqk, dv, chunk;
    float eps;
} smx__mcell;

#define SMX__MC_TB 16   /* output rows per task in the chunkwise form */
#define SMX__MC_RB 16   /* state rows per task in the chunkwise form */

static size_t smx__mcell_state_floats(const smx__mcell *c)
{
    return (size_t)c->nh * ((size_t)c->dqk * c->dv + (size_t)c->dqk + 1);
}

static size_t smx__mcell_scratch(const smx__mcell *c, int T, int nth)
{
    size_t L = (size_t)SMX__MIN(c->chunk, T);
    /* b, w [nh][L]; m0, m1, gC [nh]; vw [nh][L][dv]; per thread: D [TB][L] and g, mc, den [TB] */
    return (size_t)c->nh * (2 * L + 3 + L * (size_t)c->dv) + (size_t)(nth > 0 ? nth : 1) * (SMX__MC_TB * L + 3 * SMX__MC_TB) + 16;
}

/* One token. q, k [nh * dqk], v [nh * dv], ig, fg [nh] (pre-activations); h [nh * dv]. */
static void smx__mcell_step(const smx__mcell *c, float *st, const float *q, const float *k, const float *v, const float *ig,
                            const float *fg, float *h, int nth)
{
    const int nh = c->nh, dqk = c->dqk, dv = c->dv;
    float *C = st, *N = st + (size_t)nh * dqk * dv, *Mx = N + (size_t)nh * dqk;
    int hh;
    (void)nth;
    SMX__OMP_FOR(smx__xl_nth(nth, (double)nh * dqk * dv))
    for (hh = 0; hh < nh; hh++) {
        float *Ch = C + (size_t)hh * dqk * dv, *nv = N + (size_t)hh * dqk, *y = h + (size_t)hh * dv;
        const float *qh = q + (size_t)hh * dqk, *kh = k + (size_t)hh * dqk, *vh = v + (size_t)hh * dv;
        /* m' = max(lf + m, i~);  f' = exp(lf + m - m');  i' = exp(i~ - m') */
        float lf = smx__logsigmoid(fg[hh]), m = Mx[hh], mn = SMX__MAX(lf + m, ig[hh]);
        float fa = expf(lf + m - mn), ia = expf(ig[hh] - mn), qn = 0.0f, den;
        int r, j;
        memset(y, 0, sizeof(float) * (size_t)dv);
        /* C' = f' C + i' k v^T and y = C'^T q, row by row; n' = f' n + i' k */
        for (r = 0; r < dqk; r++) {
            float kr = ia * kh[r];
            smx__xl_row_update(Ch + (size_t)r * dv, fa, kr, vh, qh[r], y, dv);
            nv[r] = fa * nv[r] + kr;
            qn += qh[r] * nv[r];
        }
        Mx[hh] = mn;
        /* h = y / (max(|q . n'|, exp(-m')) + eps) */
        den = SMX__MAX(fabsf(qn), expf(-mn)) + c->eps;
        for (j = 0; j < dv; j++) y[j] /= den;
    }
}

/* T tokens in chunks of c->chunk. q, k rows (strides ldq, ldk) hold head hh at hh*dqk, v rows at hh*dv,
 * gates at ig[t*ldg + hh]. h: output rows (stride ldh). fresh: start from m0 = -inf (the original
 * model's parallel form of an empty state) instead of the stored m. */
static void smx__mcell_chunks(const smx__mcell *c, float *st, const float *q, size_t ldq, const float *k, size_t ldk,
                              const float *v, size_t ldv, const float *ig, const float *fg, size_t ldg, float *h, size_t ldh,
                              int T, int fresh, float *scratch, int nth)
{
    const int nh = c->nh, dqk = c->dqk, dv = c->dv, L = SMX__MIN(c->chunk, T);
    const int nthr = nth > 0 ? nth : 1;
    float *C = st, *N = st + (size_t)nh * dqk * dv, *Mx = N + (size_t)nh * dqk;
    float *b = scratch;                             /* [nh][L] b_s from the chunk start */
    float *w = b + (size_t)nh * L;                  /* [nh][L] exp(a_s - m1) */
    float *m0 = w + (size_t)nh * L;                 /* [nh] chunk-start m */
    float *m1 = m0 + nh, *gC = m1 + nh;             /* [nh] chunk-end m, exp(G + m0 - m1) */
    float *vw = gC + nh;                            /* [nh][L][dv] exp(a_s - m1) v_s */
    float *thr = vw + (size_t)nh * L * dv;          /* [nthr][TB*L + 3*TB] per-thread rows of D; g, mc, den */
    const size_t per_thr = (size_t)SMX__MC_TB * L + 3 * SMX__MC_TB;
    int c0;
    for (c0 = 0; c0 < T; c0 += L) {
        const int Lc = SMX__MIN(L, T - c0), ntb = (Lc + SMX__MC_TB - 1) / SMX__MC_TB, nrb = (dqk + SMX__MC_RB - 1) / SMX__MC_RB;
        const double work = (double)Lc * dqk * dv;
        int hh, task;
        (void)work; (void)nthr;
        /* chunk scalars per head: b_s, m0, m1 = max(G + m0, max_s a_s), gC = exp(G + m0 - m1), w_s, w_s v_s */
        for (hh = 0; hh < nh; hh++) {
            float *bh = b + (size_t)hh * L, *wh = w + (size_t)hh * L, G, amax = -INFINITY, mm;
            double acc = 0.0;
            int s, j;
            mm = (fresh && c0 == 0) ? -INFINITY : Mx[hh];
            for (s = 0; s < Lc; s++) {
                acc += (double)smx__logsigmoid(fg[(size_t)(c0 + s) * ldg + hh]);
                bh[s] = (float)acc;
            }
            G = bh[Lc - 1];
            for (s = 0; s < Lc; s++) {
                wh[s] = G - bh[s] + ig[(size_t)(c0 + s) * ldg + hh];
                if (wh[s] > amax) amax = wh[s];
            }
            m0[hh] = mm;
            m1[hh] = SMX__MAX(G + mm, amax);
            gC[hh] = expf(G + mm - m1[hh]);
            for (s = 0; s < Lc; s++) {
                const float *vs = v + (size_t)(c0 + s) * ldv + (size_t)hh * dv;
                float *o = vw + ((size_t)hh * L + s) * dv;
                wh[s] = expf(wh[s] - m1[hh]);
                for (j = 0; j < dv; j++) o[j] = wh[s] * vs[j];
            }
        }
        /* outputs of the chunk from the chunk-start state, TB rows per task */
        SMX__OMP_FOR_DYN(smx__xl_nth(nthr, 2.0 * work))
        for (task = 0; task < nh * ntb; task++) {
            const int th = task / ntb, tb0 = (task % ntb) * SMX__MC_TB, tb1 = SMX__MIN(Lc, tb0 + SMX__MC_TB), nb = tb1 - tb0;
            float *D = thr + (size_t)smx__tid() * per_thr;     /* [nb][tb1] */
            float *gg = D + (size_t)SMX__MC_TB * L, *mc = gg + SMX__MC_TB, *den = mc + SMX__MC_TB;
            const float *bh = b + (size_t)th * L, *C0 = C + (size_t)th * dqk * dv, *n0 = N + (size_t)th * dqk;
            const float mm = m0[th];
            const int inter = mm > -INFINITY;
            float *yb = h + (size_t)(c0 + tb0) * ldh + (size_t)th * dv;
            int t, s, j;
            for (t = tb0; t < tb1; t++) {
                const float *qt = q + (size_t)(c0 + t) * ldq + (size_t)th * dqk;
                float *Dr = D + (size_t)(t - tb0) * tb1, mi = -INFINITY, m_t, dsum = 0.0f;
                /* log D_ts = b_t - b_s + i~_s;  mc_t = max(b_t + m0, max_s log D_ts) */
                for (s = 0; s <= t; s++) {
                    Dr[s] = (bh[t] - bh[s]) + ig[(size_t)(c0 + s) * ldg + th];
                    if (Dr[s] > mi) mi = Dr[s];
                }
                m_t = inter ? SMX__MAX(bh[t] + mm, mi) : mi;
                /* M_ts = D_ts (q_t . k_s) */
                for (s = 0; s <= t; s++) {
                    Dr[s] = expf(Dr[s] - m_t) * smx__dot(qt, k + (size_t)(c0 + s) * ldk + (size_t)th * dqk, dqk);
                    dsum += Dr[s];
                }
                for (; s < tb1; s++) Dr[s] = 0.0f;
                gg[t - tb0] = inter ? expf(bh[t] + mm - m_t) : 0.0f;
                mc[t - tb0] = m_t;
                den[t - tb0] = dsum + (inter ? gg[t - tb0] * smx__dot(qt, n0, dqk) : 0.0f);
            }
            /* y = g (Q C0) + M V */
            if (inter) {
                smx__xl_gemm(yb, ldh, q + (size_t)(c0 + tb0) * ldq + (size_t)th * dqk, ldq, 1, C0, (size_t)dv, nb, dqk, dv, 0);
                for (t = 0; t < nb; t++)
                    for (j = 0; j < dv; j++) yb[(size_t)t * ldh + j] *= gg[t];
            } else {
                for (t = 0; t < nb; t++) memset(yb + (size_t)t * ldh, 0, sizeof(float) * (size_t)dv);
            }
            smx__xl_gemm(yb, ldh, D, (size_t)tb1, 1, v + (size_t)c0 * ldv + (size_t)th * dv, ldv, nb, tb1, dv, 1);
            /* h_t = y_t / (max(|den_t|, exp(-mc_t)) + eps) */
            for (t = 0; t < nb; t++) {
                float dn = SMX__MAX(fabsf(den[t]), expf(-mc[t])) + c->eps;
                for (j = 0; j < dv; j++) yb[(size_t)t * ldh + j] /= dn;
            }
        }
        /* state to the chunk end, RB rows of C and n per task: C = gC C + K^T (w v), n = gC n + K^T w */
        SMX__OMP_FOR(smx__xl_nth(nthr, work))
        for (task = 0; task < nh * nrb; task++) {
            const int th = task / nrb, r0 = (task % nrb) * SMX__MC_RB, r1 = SMX__MIN(dqk, r0 + SMX__MC_RB);
            float *Cr = C + (size_t)th * dqk * dv + (size_t)r0 * dv, *nv = N + (size_t)th * dqk;
            const float g = gC[th], *wh = w + (size_t)th * L;
            const float *kb = k + (size_t)c0 * ldk + (size_t)th * dqk;
            int r, s, j;
            for (r = r0; r < r1; r++) {
                float acc = 0.0f, *row = C + (size_t)th * dqk * dv + (size_t)r * dv;
                for (j = 0; j < dv; j++) row[j] *= g;
                for (s = 0; s < Lc; s++) acc += wh[s] * kb[(size_t)s * ldk + r];
                nv[r] = g * nv[r] + acc;
            }
            smx__xl_gemm(Cr, (size_t)dv, kb + r0, 1, ldk, vw + (size_t)th * L * dv, (size_t)dv, r1 - r0, Lc, dv, 1);
        }
        for (hh = 0; hh < nh; hh++) Mx[hh] = m1[hh];
    }
}

/* ---- mLSTM layer, xLSTM-7B form ----
 *   q = x Wq^T, k = x Wk^T, v = x Wv^T, o = x Wo^T;  i~ = cap tanh((x Wi^T + bi)/cap), f~ likewise
 *   h = cell(q / sqrt(dqk), k, v, i~, f~);  hn = LayerNorm per head (weight, bias over v_dim)
 *   y = (sigmoid(o) * hn) Wout^T */
typedef struct smx__mlstm7 {
    smx__op base;
    smx__mcell cell;
    int qk, vd;
    float cap, norm_eps;
    const float *wq, *wk, *wv, *wo, *wi, *wf, *wout;   /* [qk,d] [qk,d] [vd,d] [vd,d] [nh,d] [nh,d] [d,vd] */
    const float *bq, *bk, *bv, *bo, *bi, *bf, *bout;
    const float *nw, *nb;                               /* multi-head norm [vd] */
} smx__mlstm7;

static size_t smx__mlstm7_state(const smx__op *op, int n_ctx)
{
    (void)n_ctx;
    return smx__mcell_state_floats(&((const smx__mlstm7 *)op)->cell) * sizeof(float);
}

static size_t smx__mlstm7_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__mlstm7 *a = (const smx__mlstm7 *)op;
    (void)n_ctx;
    return (size_t)T * (2 * (size_t)a->qk + 3 * (size_t)a->vd + 2 * (size_t)a->cell.nh) + smx__mcell_scratch(&a->cell, T, nth);
}

static void smx__mlstm7_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mlstm7 *a = (const smx__mlstm7 *)op;
    const int T = f->T, d = op->d_in, qk = a->qk, vd = a->vd, nh = a->cell.nh, dv = a->cell.dv;
    float *q = f->scratch;                      /* [T, qk] */
    float *k = q + (size_t)T * qk;              /* [T, qk] */
    float *v = k + (size_t)T * qk;              /* [T, vd] */
    float *o = v + (size_t)T * vd;              /* [T, vd] */
    float *hb = o + (size_t)T * vd;             /* [T, vd] */
    float *ig = hb + (size_t)T * vd;            /* [T, nh] */
    float *fg = ig + (size_t)T * nh;            /* [T, nh] */
    float *cs = fg + (size_t)T * nh;            /* cell scratch */
    const float qs = (float)(1.0 / sqrt((double)a->cell.dqk));
    size_t i, n;
    int t, hh;
    if (T == 1) {   /* decode: the six projections in one pass over their rows */
        smx__xl_mv p[6];
        p[0].W = a->wq; p[0].b = a->bq; p[0].y = q; p[0].N = qk;
        p[1].W = a->wk; p[1].b = a->bk; p[1].y = k; p[1].N = qk;
        p[2].W = a->wv; p[2].b = a->bv; p[2].y = v; p[2].N = vd;
        p[3].W = a->wo; p[3].b = a->bo; p[3].y = o; p[3].N = vd;
        p[4].W = a->wi; p[4].b = a->bi; p[4].y = ig; p[4].N = nh;
        p[5].W = a->wf; p[5].b = a->bf; p[5].y = fg; p[5].N = nh;
        smx__xl_matvecs(f->x, d, p, 6, f->nth);
    } else {
        smx__matmul(q, f->x, a->wq, a->bq, T, d, qk, f->nth);
        smx__matmul(k, f->x, a->wk, a->bk, T, d, qk, f->nth);
        smx__matmul(v, f->x, a->wv, a->bv, T, d, vd, f->nth);
        smx__matmul(o, f->x, a->wo, a->bo, T, d, vd, f->nth);
        smx__matmul(ig, f->x, a->wi, a->bi, T, d, nh, f->nth);
        smx__matmul(fg, f->x, a->wf, a->bf, T, d, nh, f->nth);
    }
    /* gate soft cap: cap tanh(x / cap) */
    if (a->cap > 0.0f)
        for (i = 0, n = (size_t)T * nh; i < n; i++) {
            ig[i] = a->cap * tanhf(ig[i] / a->cap);
            fg[i] = a->cap * tanhf(fg[i] / a->cap);
        }
    for (i = 0, n = (size_t)T * qk; i < n; i++) q[i] *= qs;
    if (T == 1) smx__mcell_step(&a->cell, (float *)state, q, k, v, ig, fg, hb, f->nth);
    else smx__mcell_chunks(&a->cell, (float *)state, q, (size_t)qk, k, (size_t)qk, v, (size_t)vd, ig, fg, (size_t)nh, hb,
                           (size_t)vd, T, 0, cs, f->nth);
    /* hn = LayerNorm_head(h) * w + b;  h_out = sigmoid(o) * hn */
    for (t = 0; t < T; t++)
        for (hh = 0; hh < nh; hh++) {
            float *r = hb + (size_t)t * vd + (size_t)hh * dv;
            const float *orow = o + (size_t)t * vd + (size_t)hh * dv;
            int j;
            smx__layernorm(r, r, a->nw + (size_t)hh * dv, a->nb ? a->nb + (size_t)hh * dv : NULL, dv, a->norm_eps);
            for (j = 0; j < dv; j++) r[j] *= smx__sigmoid(orow[j]);
        }
    smx__matmul(f->y, hb, a->wout, a->bout, T, vd, op->d_out, f->nth);
}

static const smx__op_vt smx__mlstm7_vt = {
    "mlstm", 'X', smx__mlstm7_state, NULL, smx__mlstm7_scratch, smx__mlstm7_forward, NULL
};

/* Settings of the 7B-form mLSTM layer. */
typedef struct smx__mlstm7_cfg {
    int d, nh, qk, vd, chunk, bias, fused;
    float eps, norm_eps, cap;
} smx__mlstm7_cfg;

/* b + W nb: the bias of a norm folded into the linear map after it (W [N, d]); b, nb may be NULL. */
static const float *smx__xl_fold(smx__loader *ld, const float *W, const float *b, const float *nb, int N, int d)
{
    float *o;
    int r;
    if (!nb || ld->st || !W) return b;
    o = smx__ld_alloc(ld, (size_t)N);
    if (!o) return NULL;
    for (r = 0; r < N; r++) o[r] = (b ? b[r] : 0.0f) + smx__dot(W + (size_t)r * d, nb, d);
    return o;
}

/* prefix e.g. "backbone.blocks.3.mlstm_layer."; nb: bias of the RMSNorm before the layer (folded
 * into the projections), or NULL. */
static smx__op *smx__mlstm7_load(smx__loader *ld, const smx__mlstm7_cfg *c, const char *prefix, const float *nb)
{
    smx__mlstm7 *a;
    const int d = c->d, qk = c->qk, vd = c->vd, nh = c->nh;
    if (!smx__ld_check(ld, nh > 0 && qk > 0 && vd > 0 && qk % nh == 0 && vd % nh == 0, SMX_E_RANGE,
                       "config.json: qk_dim %d and v_dim %d must be positive multiples of num_heads %d", qk, vd, nh))
        return NULL;
    if (!smx__ld_check(ld, c->chunk > 0, SMX_E_RANGE, "config.json: chunk_size must be positive (found %d)", c->chunk)) return NULL;
    a = (smx__mlstm7 *)smx__op_new(ld, sizeof *a, &smx__mlstm7_vt, d, d);
    if (!a) return NULL;
    a->cell.nh = nh; a->cell.dqk = qk / nh; a->cell.dv = vd / nh; a->cell.chunk = c->chunk; a->cell.eps = c->eps;
    a->qk = qk; a->vd = vd; a->cap = c->cap; a->norm_eps = c->norm_eps;
    if (c->fused) {
        /* qkv_opreact [2qk + 2vd, d] = (q, k, v, o);  ifgate_preact [2nh, d] = (i, f) */
        const float *W = SMX__W2(ld, 2 * qk + 2 * vd, d, "%sqkv_opreact.weight", prefix);
        const float *B = c->bias ? SMX__W1(ld, 2 * qk + 2 * vd, "%sqkv_opreact.bias", prefix) : NULL;
        const float *G = SMX__W2(ld, 2 * nh, d, "%sifgate_preact.weight", prefix);
        const float *GB = SMX__W1(ld, 2 * nh, "%sifgate_preact.bias", prefix);
        if (ld->st) return NULL;
        a->wq = W; a->wk = W + (size_t)qk * d; a->wv = W + (size_t)2 * qk * d; a->wo = W + (size_t)(2 * qk + vd) * d;
        if (B) { a->bq = B; a->bk = B + qk; a->bv = B + 2 * qk; a->bo = B + 2 * qk + vd; }
        a->wi = G; a->wf = G + (size_t)nh * d; a->bi = GB; a->bf = GB + nh;
    } else {
        int64_t sh[8];
        int old = smx__tensor_shape(ld, sh, "%sq.weight", prefix) < 0 && smx__tensor_shape(ld, sh, "%squery.weight", prefix) >= 0;
        const char *qn = old ? "query" : "q", *kn = old ? "key" : "k", *vn = old ? "value" : "v";
        a->wq = SMX__W2(ld, qk, d, "%s%s.weight", prefix, qn);
        a->wk = SMX__W2(ld, qk, d, "%s%s.weight", prefix, kn);
        a->wv = SMX__W2(ld, vd, d, "%s%s.weight", prefix, vn);
        a->wo = SMX__W2(ld, vd, d, "%sogate_preact.weight", prefix);
        a->wi = SMX__W2(ld, nh, d, "%sigate_preact.weight", prefix);
        a->wf = SMX__W2(ld, nh, d, "%sfgate_preact.weight", prefix);
        a->bi = SMX__W1(ld, nh, "%sigate_preact.bias", prefix);
        a->bf = SMX__W1(ld, nh, "%sfgate_preact.bias", prefix);
        if (c->bias) {
            a->bq = SMX__W1(ld, qk, "%s%s.bias", prefix, qn);
            a->bk = SMX__W1(ld, qk, "%s%s.bias", prefix, kn);
            a->bv = SMX__W1(ld, vd, "%s%s.bias", prefix, vn);
            a->bo = SMX__W1(ld, vd, "%sogate_preact.bias", prefix);
        }
    }
    a->nw = SMX__W1(ld, vd, "%smultihead_norm.weight", prefix);
    if (c->bias) a->nb = SMX__W1(ld, vd, "%smultihead_norm.bias", prefix);
    a->wout = SMX__W2(ld, d, vd, "%sout_proj.weight", prefix);
    if (c->bias) a->bout = SMX__W1(ld, d, "%sout_proj.bias", prefix);
    /* (x w + nb) W^T = (x w) W^T + W nb */
    a->bq = smx__xl_fold(ld, a->wq, a->bq, nb, qk, d);
    a->bk = smx__xl_fold(ld, a->wk, a->bk, nb, qk, d);
    a->bv = smx__xl_fold(ld, a->wv, a->bv, nb, vd, d);
    a->bo = smx__xl_fold(ld, a->wo, a->bo, nb, vd, d);
    a->bi = smx__xl_fold(ld, a->wi, a->bi, nb, nh, d);
    a->bf = smx__xl_fold(ld, a->wf, a->bf, nb, nh, d);
    return ld->st ? NULL : &a->base;
}

/* Gated FFN as the core MLP operator: down(act(gate x) * up x). gate = NULL: the up tensor is
 * [2F, d] holding the gate rows first, then the up rows. nb: bias of the norm before it, folded. */
static smx__op *smx__xl_ffn_load(smx__loader *ld, int d, int F, int act, int bias, const char *prefix, const char *gate,
                                 const char *up, const char *down, const float *nb)
{
    smx__mlp *m = (smx__mlp *)smx__op_new(ld, sizeof *m, &smx__mlp_vt, d, d);
    if (!m) return NULL;
    m->ff = F; m->act = act; m->gated = 1;
    if (gate) {
        m->wg = SMX__W2(ld, F, d, "%s%s.weight", prefix, gate);
        m->wu = SMX__W2(ld, F, d, "%s%s.weight", prefix, up);
        if (bias) {
            m->bg = SMX__W1(ld, F, "%s%s.bias", prefix, gate);
            m->bu = SMX__W1(ld, F, "%s%s.bias", prefix, up);
        }
    } else {
        const float *W = SMX__W2(ld, 2 * F, d, "%s%s.weight", prefix, up);
        const float *B = bias ? SMX__W1(ld, 2 * F, "%s%s.bias", prefix, up) : NULL;
        if (ld->st) return NULL;
        m->wg = W; m->wu = W + (size_t)F * d;
        if (B) { m->bg = B; m->bu = B + F; }
    }
    m->wd = SMX__W2(ld, d, F, "%s%s.weight", prefix, down);
    if (bias) m->bd = SMX__W1(ld, d, "%s%s.bias", prefix, down);
    m->bg = smx__xl_fold(ld, m->wg, m->bg, nb, F, d);
    m->bu = smx__xl_fold(ld, m->wu, m->bu, nb, F, d);
    return ld->st ? NULL : &m->base;
}

/* ---- mLSTM layer, original xLSTM form (inner width I, heads of dh = I / nh) ----
 *   [xm | z] = x Wup^T;  xc = silu(conv(xm));  q = HW(xc), k = HW(xc), v = HW(xm)
 *   i~ = [q k v] Wi^T + bi,  f~ likewise;  h = cell(q, k / sqrt(dh), v, i~, f~)
 *   hn = GroupNorm_heads(h) (weight 1 + w, eps 1e-5);  y = ((hn + skip * xc) * silu(z)) Wdown^T */
typedef struct smx__mlstm_lm {
    smx__op base;
    smx__mcell cell;
    int inner, K, bs;
    const float *wup, *bup;                 /* [2I, d], [2I] */
    const float *cwT, *cb;                  /* conv [K][I] (transposed), [I] */
    const float *wq, *wk, *wv, *bq, *bk, *bv;   /* [I/bs, bs, bs], [I] */
    const float *wi, *bi, *wf, *bf;         /* [nh, 3I], [nh] */
    const float *onw;                       /* [I] 1 + w */
    const float *skip;                      /* [I] */
    const float *wdown, *bdown;             /* [d, I], [d] */
} smx__mlstm_lm;

static size_t smx__mlstm_lm_state(const smx__op *op, int n_ctx)
{
    const smx__mlstm_lm *a = (const smx__mlstm_lm *)op;
    (void)n_ctx;
    return ((size_t)(a->K - 1) * a->inner + smx__mcell_state_floats(&a->cell)) * sizeof(float);
}

static size_t smx__mlstm_lm_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__mlstm_lm *a = (const smx__mlstm_lm *)op;
    (void)n_ctx;
    return (size_t)T * (7 * (size_t)a->inner + 2 * (size_t)a->cell.nh) + smx__mcell_scratch(&a->cell, T, nth);
}

static void smx__mlstm_lm_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mlstm_lm *a = (const smx__mlstm_lm *)op;
    const int T = f->T, d = op->d_in, I = a->inner, nh = a->cell.nh, dh = a->cell.dv, nb = I / a->bs;
    float *hist = (float *)state;                   /* [K-1, I] */
    float *cst = hist + (size_t)(a->K - 1) * I;     /* cell state */
    float *up = f->scratch;                         /* [T, 2I]: xm | z */
    float *xc = up + (size_t)T * 2 * I;             /* [T, I] */
    float *qkv = xc + (size_t)T * I;                /* [T, 3I]: q | k | v */
    float *hb = qkv + (size_t)T * 3 * I;            /* [T, I] */
    float *ig = hb + (size_t)T * I;                 /* [T, nh] */
    float *fg = ig + (size_t)T * nh;                /* [T, nh] */
    float *cs = fg + (size_t)T * nh;                /* cell scratch */
    const float ks = (float)sqrt((double)dh);
    int t, hh, j;
    smx__matmul(up, f->x, a->wup, a->bup, T, d, 2 * I, f->nth);
    smx__xl_conv(xc, up, (size_t)2 * I, hist, a->cwT, a->cb, T, I, a->K, f->nth);
    smx__xl_headwise(qkv, (size_t)3 * I, xc, (size_t)I, a->wq, a->bq, nb, a->bs, T, f->nth);
    smx__xl_headwise(qkv + I, (size_t)3 * I, xc, (size_t)I, a->wk, a->bk, nb, a->bs, T, f->nth);
    smx__xl_headwise(qkv + 2 * I, (size_t)3 * I, up, (size_t)2 * I, a->wv, a->bv, nb, a->bs, T, f->nth);
    smx__matmul(ig, qkv, a->wi, a->bi, T, 3 * I, nh, f->nth);
    smx__matmul(fg, qkv, a->wf, a->bf, T, 3 * I, nh, f->nth);
    /* keys scaled by 1/sqrt(dh) (after the gates, which read them unscaled) */
    for (t = 0; t < T; t++)
        for (j = 0; j < I; j++) qkv[(size_t)t * 3 * I + I + j] /= ks;
    if (T == 1) smx__mcell_step(&a->cell, cst, qkv, qkv + I, qkv + 2 * I, ig, fg, hb, f->nth);
    else smx__mcell_chunks(&a->cell, cst, qkv, (size_t)3 * I, qkv + I, (size_t)3 * I, qkv + 2 * I, (size_t)3 * I, ig, fg,
                           (size_t)nh, hb, (size_t)I, T, f->pos == 0, cs, f->nth);
    /* h = (GroupNorm(h) + skip * xc) * silu(z) */
    for (t = 0; t < T; t++) {
        float *r = hb + (size_t)t * I;
        const float *xr = xc + (size_t)t * I, *z = up + (size_t)t * 2 * I + I;
        for (hh = 0; hh < nh; hh++) smx__layernorm(r + (size_t)hh * dh, r + (size_t)hh * dh, a->onw + (size_t)hh * dh, NULL, dh, 1e-5f);
        for (j = 0; j < I; j++) r[j] = (r[j] + a->skip[j] * xr[j]) * smx__silu(z[j]);
    }
    smx__matmul(f->y, hb, a->wdown, a->bdown, T, I, op->d_out, f->nth);
}

static const smx__op_vt smx__mlstm_lm_vt = {
    "mlstm_lm", 'X', smx__mlstm_lm_state, NULL, smx__mlstm_lm_scratch, smx__mlstm_lm_forward, NULL
};

typedef struct smx__mlstm_lm_cfg {
    int d, inner, nh, K, bs, bias;
} smx__mlstm_lm_cfg;

/* Depthwise conv weights [C, 1, K] transposed to [K][C]. */
static const float *smx__xl_conv_load(smx__loader *ld, int C, int K, const char *prefix)
{
    const float *w = SMX__W3(ld, C, 1, K, "%sconv1d.conv.weight", prefix);
    float *wT = smx__ld_alloc(ld, (size_t)C * K);
    int c, k;
    if (ld->st) return NULL;
    for (c = 0; c < C; c++)
        for (k = 0; k < K; k++) wT[(size_t)k * C + c] = w[(size_t)c * K + k];
    return wT;
}

/* 1 + w (the original library's LayerNorm weight), in the model arena. */
static const float *smx__xl_one_plus(smx__loader *ld, const float *w, int n)
{
    float *o;
    int i;
    if (ld->st || !w) return NULL;
    o = smx__ld_alloc(ld, (size_t)n);
    if (!o) return NULL;
    for (i = 0; i < n; i++) o[i] = 1.0f + w[i];
    return o;
}

/* prefix e.g. "xlstm_block_stack.blocks.0.xlstm." */
static smx__op *smx__mlstm_lm_load(smx__loader *ld, const smx__mlstm_lm_cfg *c, const char *prefix)
{
    smx__mlstm_lm *a;
    const int d = c->d, I = c->inner, nh = c->nh, bs = c->bs;
    if (!smx__ld_check(ld, I > 0 && nh > 0 && I % nh == 0, SMX_E_RANGE,
                       "config.json: mLSTM inner width %d is not a multiple of num_heads %d", I, nh) ||
        !smx__ld_check(ld, bs > 0 && I % bs == 0, SMX_E_RANGE,
                       "config.json: mLSTM inner width %d is not a multiple of qkv_proj_blocksize %d", I, bs) ||
        !smx__ld_check(ld, c->K >= 1, SMX_E_RANGE, "config.json: mLSTM conv1d_kernel_size must be at least 1 (found %d)", c->K))
        return NULL;
    a = (smx__mlstm_lm *)smx__op_new(ld, sizeof *a, &smx__mlstm_lm_vt, d, d);
    if (!a) return NULL;
    a->cell.nh = nh; a->cell.dqk = I / nh; a->cell.dv = I / nh; a->cell.eps = 1e-6f;
    a->cell.chunk = 64;
    a->inner = I; a->K = c->K; a->bs = bs;
    a->wup = SMX__W2(ld, 2 * I, d, "%sproj_up.weight", prefix);
    a->cwT = smx__xl_conv_load(ld, I, c->K, prefix);
    a->cb = SMX__W1(ld, I, "%sconv1d.conv.bias", prefix);
    a->wq = SMX__W3(ld, I / bs, bs, bs, "%sq_proj.weight", prefix);
    a->wk = SMX__W3(ld, I / bs, bs, bs, "%sk_proj.weight", prefix);
    a->wv = SMX__W3(ld, I / bs, bs, bs, "%sv_proj.weight", prefix);
    a->wi = SMX__W2(ld, nh, 3 * I, "%smlstm_cell.igate.weight", prefix);
    a->bi = SMX__W1(ld, nh, "%smlstm_cell.igate.bias", prefix);
    a->wf = SMX__W2(ld, nh, 3 * I, "%smlstm_cell.fgate.weight", prefix);
    a->bf = SMX__W1(ld, nh, "%smlstm_cell.fgate.bias", prefix);
    a->onw = smx__xl_one_plus(ld, SMX__W1(ld, I, "%smlstm_cell.outnorm.weight", prefix), I);
    a->skip = SMX__W1(ld, I, "%slearnable_skip", prefix);
    a->wdown = SMX__W2(ld, d, I, "%sproj_down.weight", prefix);
    if (c->bias) {
        a->bup = SMX__W1(ld, 2 * I, "%sproj_up.bias", prefix);
        a->bq = SMX__W1(ld, I, "%sq_proj.bias", prefix);
        a->bk = SMX__W1(ld, I, "%sk_proj.bias", prefix);
        a->bv = SMX__W1(ld, I, "%sv_proj.bias", prefix);
        a->bdown = SMX__W1(ld, d, "%sproj_down.bias", prefix);
    }
    return ld->st ? NULL : &a->base;
}

/* ---- sLSTM layer (original xLSTM; heads of dh = E / nh; no output projection) ---- */
typedef struct smx__slstm {
    smx__op base;
    int nh, dh, K, lstm;                    /* lstm: the plain-LSTM cell variant (function "lstm") */
    const float *cwT, *cb;                  /* conv [K][E] (transposed), [E] */
    const float *wg[4];                     /* input weights of gates i, f, z, o: [nh, dh, dh] */
    const float *R;                         /* blocked [nh][dh/JB][dh(in)][4][JB]: head, channel block, input, gate, channel */
    const float *bias;                      /* [4][E] gate-major */
    const float *gnw;                       /* [E] 1 + w, or NULL */
} smx__slstm;

static size_t smx__slstm_state(const smx__op *op, int n_ctx)
{
    const smx__slstm *s = (const smx__slstm *)op;
    (void)n_ctx;
    return ((size_t)(s->K > 0 ? s->K - 1 : 0) * op->d_in + 4 * (size_t)op->d_in) * sizeof(float);
}

static size_t smx__slstm_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    (void)n_ctx; (void)nth;
    return (size_t)T * 6 * op->d_in;
}

#define SMX__SL_JB (2 * SMX__VW)   /* channels per block of the recurrent kernel */

/* Ry for one channel block of one head, all four gates: acc[g][jj] = sum_i y[i] Rb[i][g][jj], from the
 * block's slice Rb [dh][4][JB] of the blocked recurrent kernel (one contiguous stream). */
static void smx__slstm_ry(float *acc, const float *y, const float *Rb, int dh)
{
    smx__vf a0 = smx__vzero(), a1 = smx__vzero(), b0 = smx__vzero(), b1 = smx__vzero();
    smx__vf c0 = smx__vzero(), c1 = smx__vzero(), d0 = smx__vzero(), d1 = smx__vzero();
    const float *r = Rb;
    int i;
    for (i = 0; i < dh; i++, r += 8 * SMX__VW) {
        smx__vf x = smx__vset1(y[i]);
        a0 = smx__vfma(x, smx__vld(r), a0); a1 = smx__vfma(x, smx__vld(r + SMX__VW), a1);
        b0 = smx__vfma(x, smx__vld(r + 2 * SMX__VW), b0); b1 = smx__vfma(x, smx__vld(r + 3 * SMX__VW), b1);
        c0 = smx__vfma(x, smx__vld(r + 4 * SMX__VW), c0); c1 = smx__vfma(x, smx__vld(r + 5 * SMX__VW), c1);
        d0 = smx__vfma(x, smx__vld(r + 6 * SMX__VW), d0); d1 = smx__vfma(x, smx__vld(r + 7 * SMX__VW), d1);
    }
    smx__vst(acc, a0); smx__vst(acc + SMX__VW, a1);
    smx__vst(acc + 2 * SMX__VW, b0); smx__vst(acc + 3 * SMX__VW, b1);
    smx__vst(acc + 4 * SMX__VW, c0); smx__vst(acc + 5 * SMX__VW, c1);
    smx__vst(acc + 6 * SMX__VW, d0); smx__vst(acc + 7 * SMX__VW, d1);
}

/* One time step of the cell for every head: pre [4][E] input pre-activations (bias included),
 * yprev [E] the previous output, ynew [E]; c, n, m updated in place. Tasks are (head, channel
 * block); each computes its channels' four gates and their pointwise update. */
static void smx__slstm_cell(const smx__slstm *s, const float *pre, const float *yprev, float *ynew, float *c, float *n,
                            float *m, int nth)
{
    const int E = s->base.d_in, dh = s->dh, JB = SMX__SL_JB, nj = (dh + JB - 1) / JB;
    int allzero = 1, task, e;
    (void)nth;
    for (e = 0; e < E && allzero; e++) allzero = n[e] == 0.0f;
    SMX__OMP_FOR(smx__xl_nth(nth, 4.0 * E * dh))
    for (task = 0; task < s->nh * nj; task++) {
        const int h = task / nj, j0 = (task % nj) * JB, j1 = SMX__MIN(dh, j0 + JB);
        float acc[4 * SMX__SL_JB];  /* [4 gates][JB channels] */
        int j;
        smx__slstm_ry(acc, yprev + (size_t)h * dh, s->R + (size_t)task * dh * 4 * JB, dh);
        for (j = j0; j < j1; j++) {
            const size_t ch = (size_t)h * dh + j;
            /* raw_g = pre_g + R_g y_{t-1} */
            const float ri = pre[ch] + acc[j - j0], rf = pre[E + ch] + acc[JB + j - j0];
            const float rz = pre[2 * (size_t)E + ch] + acc[2 * JB + j - j0], ro = pre[3 * (size_t)E + ch] + acc[3 * JB + j - j0];
            if (s->lstm) {
                /* c = sigmoid(f) c + sigmoid(i) tanh(z);  y = sigmoid(o) tanh(c) */
                c[ch] = smx__sigmoid(rf) * c[ch] + smx__sigmoid(ri) * tanhf(rz);
                ynew[ch] = smx__sigmoid(ro) * tanhf(c[ch]);
            } else {
                /* m' = max(ri, m + logsigmoid(rf)) (ri alone when every n is 0); i = min(exp(ri - m'), 1),
                 * f = min(exp(m + logsigmoid(rf) - m'), 1): one of the two is exp(0) = 1 */
                float lfm = m[ch] + smx__logsigmoid(rf), mn, ia, fa;
                if (allzero || ri >= lfm) { mn = ri; ia = 1.0f; fa = SMX__MIN(expf(lfm - ri), 1.0f); }
                else { mn = lfm; ia = expf(ri - lfm); fa = 1.0f; }
                c[ch] = fa * c[ch] + ia * tanhf(rz);
                n[ch] = fa * n[ch] + ia;
                m[ch] = mn;
                ynew[ch] = smx__sigmoid(ro) * c[ch] / n[ch];
            }
        }
    }
}

static void smx__slstm_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__slstm *s = (const smx__slstm *)op;
    const int T = f->T, E = op->d_in, dh = s->dh, nh = s->nh;
    float *hist = (float *)state;                               /* [K-1, E] */
    float *sy = hist + (size_t)(s->K > 0 ? s->K - 1 : 0) * E;  /* y [E] */
    float *sc = sy + E, *sn = sc + E, *sm = sn + E;             /* c, n, m [E] */
    float *xc = f->scratch;                                     /* [T, E] */
    float *pre = xc + (size_t)T * E;                            /* [T, 4, E] */
    float *hout = pre + (size_t)T * 4 * E;                      /* [T, E] cell outputs */
    const float *xin = f->x;
    int t, g, hh;
    if (s->K > 0) {
        smx__xl_conv(xc, f->x, (size_t)E, hist, s->cwT, s->cb, T, E, s->K, f->nth);
        xin = xc;
    }
    /* pre_g = HW(x_g; W_g) + b_g: i, f from the conv branch, z, o from x */
    if (T == 1) {
        int r;
        SMX__OMP_FOR(smx__xl_nth(f->nth, 4.0 * E * dh))
        for (r = 0; r < 4 * E; r++) {
            int gg = r / E, e = r % E;
            const float *src = (gg < 2 ? xin : f->x) + (size_t)(e / dh) * dh;
            pre[r] = s->bias[r] + smx__dot(src, s->wg[gg] + (size_t)e * dh, dh);
        }
    } else {
        for (g = 0; g < 4; g++)
            smx__xl_headwise(pre + (size_t)g * E, (size_t)4 * E, g < 2 ? xin : f->x, (size_t)E, s->wg[g], s->bias + (size_t)g * E,
                             nh, dh, T, f->nth);
    }
    /* the recurrence, one step at a time */
    for (t = 0; t < T; t++)
        smx__slstm_cell(s, pre + (size_t)t * 4 * E, t ? hout + (size_t)(t - 1) * E : sy, hout + (size_t)t * E, sc, sn, sm, f->nth);
    memcpy(sy, hout + (size_t)(T - 1) * E, sizeof(float) * (size_t)E);
    /* out = GroupNorm over heads (eps 1e-5, weight 1 + w) */
    for (t = 0; t < T; t++)
        for (hh = 0; hh < nh; hh++)
            smx__layernorm(f->y + (size_t)t * E + (size_t)hh * dh, hout + (size_t)t * E + (size_t)hh * dh,
                           s->gnw ? s->gnw + (size_t)hh * dh : NULL, NULL, dh, 1e-5f);
}

static const smx__op_vt smx__slstm_vt = {
    "slstm", 'S', smx__slstm_state, NULL, smx__slstm_scratch, smx__slstm_forward, NULL
};

typedef struct smx__slstm_cfg {
    int d, nh, K, gn_weight, cuda_layout, lstm;
} smx__slstm_cfg;

/* prefix e.g. "xlstm_block_stack.blocks.1.xlstm.". The cell's stored recurrent kernel and bias are
 * in the layout of the backend that saved them (cuda_layout: [nh, dh(in), 4 dh(out)] and (h, g, j);
 * vanilla: [nh, 4 dh(out), dh(in)] and (g, h, j)); they become a channel-blocked kernel that the
 * step streams contiguously, and a gate-major bias. */
static smx__op *smx__slstm_load(smx__loader *ld, const smx__slstm_cfg *c, const char *prefix)
{
    smx__slstm *s;
    const int E = c->d, nh = c->nh, dh = nh > 0 ? E / nh : 0;
    const char *gate_names[4] = { "fgate", "igate", "zgate", "ogate" };   /* module "fgate" makes the i pre-activation */
    int g;
    if (!smx__ld_check(ld, nh > 0 && E % nh == 0, SMX_E_RANGE, "config.json: sLSTM embedding_dim %d is not a multiple of num_heads %d",
                       E, nh) ||
        !smx__ld_check(ld, c->K >= 0, SMX_E_RANGE, "config.json: sLSTM conv1d_kernel_size must be >= 0 (found %d)", c->K))
        return NULL;
    s = (smx__slstm *)smx__op_new(ld, sizeof *s, &smx__slstm_vt, E, E);
    if (!s) return NULL;
    s->nh = nh; s->dh = dh; s->K = c->K; s->lstm = c->lstm;
    if (c->K > 0) {
        s->cwT = smx__xl_conv_load(ld, E, c->K, prefix);
        s->cb = SMX__W1(ld, E, "%sconv1d.conv.bias", prefix);
    }
    for (g = 0; g < 4; g++) s->wg[g] = SMX__W3(ld, nh, dh, dh, "%s%s.weight", prefix, gate_names[g]);
    {
        /* Rext(h, i, g, j): cuda stores [nh, dh(in), 4 dh(out)], vanilla [nh, 4 dh(out), dh(in)]; the step
         * reads it blocked by channels, Rb[h][j / JB][i][g][j % JB] (zero-padded to whole blocks) */
        const int JB = SMX__SL_JB, nj = (dh + JB - 1) / JB;
        const float *Rs = c->cuda_layout ? SMX__W3(ld, nh, dh, 4 * dh, "%sslstm_cell._recurrent_kernel_", prefix)
                                         : SMX__W3(ld, nh, 4 * dh, dh, "%sslstm_cell._recurrent_kernel_", prefix);
        const float *bs = SMX__W1(ld, 4 * E, "%sslstm_cell._bias_", prefix);
        float *R = smx__ld_alloc(ld, (size_t)nh * nj * dh * 4 * JB), *b = smx__ld_alloc(ld, (size_t)4 * E);
        int h, i, j;
        if (ld->st) return NULL;
        for (h = 0; h < nh; h++)
            for (i = 0; i < dh; i++)
                for (g = 0; g < 4; g++)
                    for (j = 0; j < dh; j++) {
                        size_t o = (size_t)g * dh + j;
                        R[(((size_t)h * nj + j / JB) * dh + i) * 4 * JB + (size_t)g * JB + j % JB] =
                            c->cuda_layout ? Rs[((size_t)h * dh + i) * 4 * dh + o] : Rs[((size_t)h * 4 * dh + o) * dh + i];
                    }
        /* bias: cuda (h, g, j), vanilla (g, h, j); used gate-major */
        for (h = 0; h < nh; h++)
            for (g = 0; g < 4; g++)
                for (j = 0; j < dh; j++)
                    b[(size_t)g * E + (size_t)h * dh + j] = c->cuda_layout ? bs[((size_t)h * 4 + g) * dh + j] : bs[((size_t)g * nh + h) * dh + j];
        s->R = R; s->bias = b;
    }
    if (c->gn_weight) s->gnw = smx__xl_one_plus(ld, SMX__W1(ld, E, "%sgroup_norm.weight", prefix), E);
    return ld->st ? NULL : &s->base;
}

/* ---- Family builders ---- */

/* A soft-cap setting: absent -> def, JSON null -> 0 (no cap). */
static float smx__xl_cap(smx__loader *ld, const char *key, double def)
{
    const smx__jv *v = smx__jget(ld->cfg, key);
    double c;
    if (v && v->type == SMX__J_NULL) return 0.0f;
    c = smx__cf(ld, NULL, key, def);
    smx__ld_check(ld, c >= 0.0, SMX_E_RANGE, "config.json: field '%s' must not be negative (found %g)", key, c);
    return (float)c;
}

/* xLSTMForCausalLM (transformers, native path). */
static smx_status smx__build_xlstm(smx__loader *ld)
{
    smx__mlstm7_cfg mc;
    char p[128], p2[256];
    const char *wm;
    double qkf, vf, pf;
    int V, d, L, ff, mult, tied, l;
    float eps;
    memset(&mc, 0, sizeof mc);
    V = smx__ci_pos(ld, NULL, "vocab_size", 50304);
    /* hidden_size and embedding_dim mirror each other, as do num_blocks and num_hidden_layers */
    if (smx__cfg_has(ld, NULL, "hidden_size")) d = smx__ci_pos(ld, NULL, "hidden_size", 4096);
    else d = smx__ci_pos(ld, NULL, "embedding_dim", 4096);
    if (smx__cfg_has(ld, NULL, "embedding_dim"))
        smx__ld_check(ld, smx__ci(ld, NULL, "embedding_dim", d) == d, SMX_E_RANGE,
                      "config.json: embedding_dim %d differs from hidden_size %d", smx__ci(ld, NULL, "embedding_dim", d), d);
    if (smx__cfg_has(ld, NULL, "num_blocks")) L = smx__ci_pos(ld, NULL, "num_blocks", 32);
    else L = smx__ci_pos(ld, NULL, "num_hidden_layers", 32);
    mc.d = d;
    mc.nh = smx__ci_pos(ld, NULL, "num_heads", 8);
    mc.bias = smx__cb(ld, NULL, "use_bias", 0);
    /* the model declares no tied weights: lm_head.weight is used whenever present and the embedding
     * stands in only when it is absent (a generated model honours the flag) */
    tied = smx__cb(ld, NULL, "tie_word_embeddings", 0) && ld->random;
    eps = (float)smx__cf(ld, NULL, "norm_eps", 1e-6);
    mc.norm_eps = eps;
    mc.eps = (float)smx__cf(ld, NULL, "eps", 1e-6);
    qkf = smx__cf(ld, NULL, "qk_dim_factor", 0.5);
    vf = smx__cf(ld, NULL, "v_dim_factor", 1.0);
    mc.chunk = smx__ci_pos(ld, NULL, "chunk_size", 64);
    pf = smx__cf(ld, NULL, "ffn_proj_factor", 2.667);
    mult = smx__ci_pos(ld, NULL, "ffn_round_up_to_multiple_of", 64);
    mc.cap = smx__xl_cap(ld, "gate_soft_cap", 15.0);
    ld->m->logit_cap = smx__xl_cap(ld, "output_logit_soft_cap", 30.0);
    wm = smx__cs(ld, NULL, "weight_mode", "single");
    if (ld->st) return ld->st;
    smx__ld_check(ld, !strcmp(wm, "single") || !strcmp(wm, "fused"), SMX_E_UNSUPPORTED,
                  "config.json: weight_mode '%s' is not supported (single, fused)", wm);
    smx__ld_check(ld, qkf > 0 && vf > 0 && pf > 0 && d * qkf < 1e9 && d * vf < 1e9 && d * pf < 1e9, SMX_E_RANGE,
                  "config.json: qk_dim_factor, v_dim_factor and ffn_proj_factor must be positive");
    if (ld->st) return ld->st;
    mc.fused = !strcmp(wm, "fused");
    mc.qk = (int)(d * qkf);     /* int(), truncating, as the layer does */
    mc.vd = (int)(d * vf);
    ff = (int)(smx__xl_floordiv(d * pf + mult - 1, (double)mult) * mult);
    smx__ld_check(ld, ff > 0, SMX_E_RANGE, "config.json: ffn_proj_factor %g gives an empty feed-forward layer", pf);
    {   /* a tied checkpoint that kept only lm_head.weight */
        int64_t sh[8];
        int only_head = smx__cb(ld, NULL, "tie_word_embeddings", 0) && smx__tensor_shape(ld, sh, "backbone.embeddings.weight") < 0 &&
                        smx__tensor_shape(ld, sh, "lm_head.weight") == 2;
        smx__load_embed_head(ld, V, d, only_head ? "lm_head.weight" : "backbone.embeddings.weight", "lm_head.weight", tied || only_head);
    }
    for (l = 0; l < L && !ld->st; l++) {
        const float *nw, *nb = NULL;
        snprintf(p, sizeof p, "backbone.blocks.%d.", l);
        nw = SMX__W1(ld, d, "%snorm_mlstm.weight", p);
        if (mc.bias) nb = SMX__W1(ld, d, "%snorm_mlstm.bias", p);
        snprintf(p2, sizeof p2, "%smlstm_layer.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, nw, NULL, smx__mlstm7_load(ld, &mc, p2, nb), 1);
        nw = SMX__W1(ld, d, "%snorm_ffn.weight", p);
        nb = mc.bias ? SMX__W1(ld, d, "%snorm_ffn.bias", p) : NULL;
        snprintf(p2, sizeof p2, "%sffn.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, nw, NULL,
                     smx__xl_ffn_load(ld, d, ff, SMX__ACT_SILU, mc.bias, p2, mc.fused ? NULL : "proj_up_gate",
                                      mc.fused ? "proj_up_gate_z" : "proj_up", "proj_down", nb), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "backbone.out_norm.weight");
    {   /* an out_norm bias (saved by some versions) folds into a head bias */
        int64_t sh[8];
        if (smx__tensor_shape(ld, sh, "backbone.out_norm.bias") == 1)
            ld->m->head_b = smx__xl_fold(ld, ld->m->head, NULL, SMX__W1(ld, d, "backbone.out_norm.bias"), ld->m->n_logits, d);
    }
    return ld->st;
}

/* Up-projection width of the original library: multiple * ceil (or floor) of factor * E / multiple. */
static int smx__xl_proj_dim(smx__loader *ld, const smx__jv *o, int E, double def_factor)
{
    double pf = smx__cf(ld, o, "proj_factor", def_factor), q;
    int up = smx__cb(ld, o, "round_proj_up_dim_up", 1), mult = smx__ci_pos(ld, o, "round_proj_up_to_multiple_of", 64);
    if (ld->st) return 0;
    if (!smx__ld_check(ld, pf > 0 && pf * E < 1e9, SMX_E_RANGE, "config.json: proj_factor %g is out of range", pf)) return 0;
    q = pf * E / mult;
    return (int)((up ? ceil(q) : floor(q)) * mult);
}

/* A sub-object of the config (or of another sub-object): absent -> the empty object (defaults),
 * null -> NULL, anything else but an object -> error. */
static const smx__jv *smx__xl_sub(smx__loader *ld, const smx__jv *o, const char *key, const smx__jv *empty)
{
    const smx__jv *v = smx__jget(o ? o : ld->cfg, key);
    if (!v) return empty;
    if (v->type == SMX__J_NULL) return NULL;
    if (v->type != SMX__J_OBJ) { smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be an object", key); return NULL; }
    return v;
}

/* xLSTMLMModel (NX-AI xlstm): config.json is the xLSTMLMModelConfig dataclass. */
static smx_status smx__build_xlstm_lm(smx__loader *ld)
{
    smx__jv empty;
    const smx__jv *mb, *sb, *ml = NULL, *sl = NULL, *ffc = NULL, *at;
    smx__mlstm_lm_cfg mc;
    smx__slstm_cfg sc;
    char p[128], p2[256];
    char *map;
    int V, E, nb, bias, tied, post, b, F = 0, fbias = 0, act = SMX__ACT_GELU;
    memset(&empty, 0, sizeof empty);
    empty.type = SMX__J_OBJ;
    memset(&mc, 0, sizeof mc);
    memset(&sc, 0, sizeof sc);
    V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    E = smx__ci_pos(ld, NULL, "embedding_dim", 128);
    nb = smx__ci_pos(ld, NULL, "num_blocks", 1);
    bias = smx__cb(ld, NULL, "bias", 0);
    tied = smx__cb(ld, NULL, "tie_weights", 0);
    post = smx__cb(ld, NULL, "add_post_blocks_norm", 1);
    mb = smx__xl_sub(ld, NULL, "mlstm_block", &empty);
    sb = smx__xl_sub(ld, NULL, "slstm_block", &empty);
    if (ld->st) return ld->st;
    if (!smx__jget(ld->cfg, "mlstm_block")) mb = NULL;   /* the dataclass default is None */
    if (!smx__jget(ld->cfg, "slstm_block")) sb = NULL;
    map = (char *)smx__arena_alloc(&ld->m->arena, (size_t)nb + 1);
    if (!map) return smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"), ld->st;
    /* block map: 'S' at slstm_at (a list of indices or "all"; every block without an mLSTM config),
     * else 'X'; without slstm_at, the _block_map string */
    memset(map, 'X', (size_t)nb);
    at = smx__cfg_get(ld, NULL, "slstm_at");
    if (!mb || (at && at->type == SMX__J_STR && !strcmp(at->str, "all"))) {
        memset(map, 'S', (size_t)nb);
    } else if (at && at->type == SMX__J_ARR) {
        const smx__jv *e;
        for (e = at->child; e; e = e->next) {
            if (!smx__ld_check(ld, e->type == SMX__J_NUM && e->num == floor(e->num) && e->num >= 0 && e->num < nb, SMX_E_RANGE,
                               "config.json: slstm_at entry must be a block index in [0, %d)", nb))
                return ld->st;
            map[(int)e->num] = 'S';
        }
    } else if (at) {
        return smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field 'slstm_at' must be a list of block indices or \"all\""), ld->st;
    } else {
        const char *bm = smx__cs(ld, NULL, "_block_map", NULL);
        if (bm) {
            int i = 0;
            const char *c;
            for (c = bm; *c && !ld->st; c++) {
                if (*c == ',') continue;
                smx__ld_check(ld, (*c == '0' || *c == '1') && i < nb, SMX_E_FORMAT,
                              "config.json: _block_map '%s' must list %d blocks as 0 (mLSTM) or 1 (sLSTM)", bm, nb);
                if (!ld->st) map[i++] = *c == '1' ? 'S' : 'X';
            }
            smx__ld_check(ld, i == nb, SMX_E_FORMAT, "config.json: _block_map '%s' must list %d blocks", bm, nb);
        }
    }
    if (ld->st) return ld->st;
    if (strchr(map, 'X')) {
        ml = smx__xl_sub(ld, mb, "mlstm", &empty);
        if (!smx__ld_check(ld, ml != NULL, SMX_E_FORMAT, "config.json: mlstm_block.mlstm must be an object")) return ld->st;
        mc.d = E;
        mc.bias = bias;
        mc.inner = smx__xl_proj_dim(ld, ml, E, 2.0);
        mc.nh = smx__ci_pos(ld, ml, "num_heads", 4);
        mc.K = smx__ci(ld, ml, "conv1d_kernel_size", 4);
        mc.bs = smx__ci_pos(ld, ml, "qkv_proj_blocksize", 4);
    }
    if (strchr(map, 'S')) {
        const char *be, *fn;
        if (!smx__ld_check(ld, sb != NULL, SMX_E_MISSING, "config.json: slstm_at places sLSTM blocks but slstm_block is null"))
            return ld->st;
        sl = smx__xl_sub(ld, sb, "slstm", &empty);
        if (!smx__ld_check(ld, sl != NULL, SMX_E_FORMAT, "config.json: slstm_block.slstm must be an object")) return ld->st;
        sc.d = E;
        sc.nh = smx__ci(ld, sl, "num_heads", 4);
        if (sc.nh <= 0) sc.nh = 1;
        sc.K = smx__ci(ld, sl, "conv1d_kernel_size", 4);
        sc.gn_weight = smx__cb(ld, sl, "group_norm_weight", 1);
        be = smx__cs(ld, sl, "backend", "cuda");
        fn = smx__cs(ld, sl, "function", "slstm");
        if (ld->st) return ld->st;
        if (!smx__ld_check(ld, !strcmp(be, "vanilla") || !strcmp(be, "cuda"), SMX_E_UNSUPPORTED,
                           "config.json: sLSTM backend '%s' is not supported (vanilla, cuda)", be) ||
            !smx__ld_check(ld, !strcmp(fn, "slstm") || !strcmp(fn, "lstm"), SMX_E_UNSUPPORTED,
                           "config.json: sLSTM function '%s' is not supported (slstm, lstm)", fn) ||
            !smx__ld_check(ld, smx__ci(ld, sl, "num_gates", 4) == 4, SMX_E_UNSUPPORTED, "config.json: sLSTM num_gates must be 4"))
            return ld->st;
        sc.cuda_layout = !strcmp(be, "cuda");
        sc.lstm = !strcmp(fn, "lstm");
        ffc = smx__xl_sub(ld, sb, "feedforward", &empty);
        if (ffc) {
            const char *an = smx__cs(ld, ffc, "act_fn", "gelu"), *ft = smx__cs(ld, ffc, "ff_type", "ffn_gated");
            if (ld->st) return ld->st;
            if (!strcmp(an, "gelu")) act = SMX__ACT_GELU;
            else if (!strcmp(an, "swish")) act = SMX__ACT_SILU;
            else if (!strcmp(an, "relu")) act = SMX__ACT_RELU;
            else return smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: feedforward act_fn '%s' is not supported (gelu, swish, relu)", an), ld->st;
            if (!smx__ld_check(ld, !strcmp(ft, "ffn_gated"), SMX_E_UNSUPPORTED, "config.json: ff_type '%s' is not supported (ffn_gated)", ft))
                return ld->st;
            F = smx__xl_proj_dim(ld, ffc, E, 1.3);
            fbias = smx__cb(ld, ffc, "bias", 0);
            smx__ld_check(ld, F > 0, SMX_E_RANGE, "config.json: feedforward proj_factor gives an empty layer");
        }
    }
    if (ld->st) return ld->st;
    {   /* a tied checkpoint may keep only one of the two names (safetensors keeps the first in sort order) */
        int64_t sh[8];
        int only_head = tied && smx__tensor_shape(ld, sh, "token_embedding.weight") < 0 && smx__tensor_shape(ld, sh, "lm_head.weight") == 2;
        smx__load_embed_head(ld, V, E, only_head ? "lm_head.weight" : "token_embedding.weight", "lm_head.weight", tied);
    }
    for (b = 0; b < nb && !ld->st; b++) {
        const float *nw;
        snprintf(p, sizeof p, "xlstm_block_stack.blocks.%d.", b);
        snprintf(p2, sizeof p2, "%sxlstm.", p);
        nw = smx__xl_one_plus(ld, SMX__W1(ld, E, "%sxlstm_norm.weight", p), E);
        if (map[b] == 'X') {
            smx__add_sub(ld, SMX__NORM_LN, 1e-5f, nw, NULL, smx__mlstm_lm_load(ld, &mc, p2), 1);
        } else {
            smx__add_sub(ld, SMX__NORM_LN, 1e-5f, nw, NULL, smx__slstm_load(ld, &sc, p2), 1);
            if (ffc) {
                nw = smx__xl_one_plus(ld, SMX__W1(ld, E, "%sffn_norm.weight", p), E);
                snprintf(p2, sizeof p2, "%sffn.", p);
                smx__add_sub(ld, SMX__NORM_LN, 1e-5f, nw, NULL, smx__xl_ffn_load(ld, E, F, act, fbias, p2, NULL, "proj_up", "proj_down", NULL), 1);
            }
        }
    }
    if (post) {
        ld->m->fnorm = SMX__NORM_LN;
        ld->m->feps = 1e-5f;
        ld->m->fnw = smx__xl_one_plus(ld, SMX__W1(ld, E, "xlstm_block_stack.post_blocks_norm.weight"), E);
    }
    ld->m->max_ctx = 0;
    return ld->st;
}

#define SMX__BUILD_XLSTM smx__build_xlstm
#define SMX__BUILD_XLSTM_LM smx__build_xlstm_lm

/* ===================================================================================== */
/* II.7.d Liquid: LFM2 (short conv + attention), CfC, wired CfC, LTC                    */
/* ===================================================================================== */
/* Operators (each with a config struct and a tensor-name prefix, for the hybrid builder):
 *   smx__sconv_load  'C'  LFM2 double-gated short convolution (token stack)
 *   smx__cfc_load    'L'  CfC closed-form liquid cell: plain (backbone) or wired (one cell per
 *                         wiring layer), optional LSTM mixed memory and output projection
 *   smx__ltc_load    'L'  LTC liquid time-constant cell (fused semi-implicit Euler ODE steps)
 * The CfC and LTC operators read the elapsed time of each step from f->dt (NULL = 1.0 each), so
 * the same operator serves feature models (irregular sampling) and token stacks (unit time
 * between tokens). Their tensor names follow the ncps module layout under the prefix:
 *   {prefix}rnn_cell.*   the cell        {prefix}lstm.*   mixed memory        {prefix}fc.*   projection
 * so a hybrid-stack layer under "model.layers.3.mixer." reads model.layers.3.mixer.rnn_cell.ff1.weight.
 *
 * Families: Lfm2ForCausalLM (lfm2), CfC (cfc), WiredCfC (wired_cfc), LTC (ltc). The ncps models
 * are feature models: input [T, input_size] with elapsed times, output [T, output], one sub-layer
 * (no norm, no residual) whose state starts with h [units], then c [units] with mixed memory. */

/* ---- small helpers ---- */

/* y[N] = W[N, K] x[K] (+ b). Large products go to the matmul kernel (threads split the rows);
 * the small ones of a liquid cell step (a few thousand multiply-adds) run the same dot kernel
 * inline, since entering a parallel region would cost more than the product. */
static void smx__lq_mv(float *y, const float *x, const float *W, const float *b, int K, int N, int nth)
{
    int n;
    if ((size_t)K * (size_t)N >= ((size_t)1 << 17)) { smx__matmul(y, x, W, b, 1, K, N, nth); return; }
    for (n = 0; n < N; n++) y[n] = smx__dot(x, W + (size_t)n * K, K) + (b ? b[n] : 0.0f);
}

/* tanh through one exp (libm's tanhf goes through expm1f and costs several times more):
 * tanh|x| = 1 - 2 / (exp(2|x|) + 1), absolute error about 1e-7. */
static float smx__lq_tanh(float x)
{
    float t = 1.0f - 2.0f / (expf(2.0f * fabsf(x)) + 1.0f);
    return x < 0.0f ? -t : t;
}

/* Backbone activations with the fast tanh. */
static float smx__lq_act(int act, float x)
{
    if (act == SMX__ACT_LECUN_TANH) return 1.7159f * smx__lq_tanh(0.666f * x);
    if (act == SMX__ACT_TANH) return smx__lq_tanh(x);
    return smx__act(act, x);
}

/* Threads for T rows of K x N work: 1 when too small to pay for a parallel region. */
static int smx__lq_nth(int T, int K, int N, int nth)
{
    return (size_t)T * (size_t)K * (size_t)N >= ((size_t)1 << 17) ? nth : 1;
}

/* y[T, N] = x[T, K] W^T (+ b): one row as above; more rows on threads when the product is big. */
static void smx__lq_mm(float *y, const float *x, const float *W, const float *b, int T, int K, int N, int nth)
{
    if (T == 1) smx__lq_mv(y, x, W, b, K, N, nth);
    else smx__matmul(y, x, W, b, T, K, N, smx__lq_nth(T, K, N, nth));
}

/* A copy of W[rows, cols] columns [c0, c0 + nc) into the model arena: [rows, nc]. */
static float *smx__lq_cols(smx__loader *ld, const float *W, int rows, int cols, int c0, int nc)
{
    float *d = smx__ld_alloc(ld, (size_t)rows * (size_t)nc);
    int r;
    if (!d || !W) return d;
    for (r = 0; r < rows; r++) memcpy(d + (size_t)r * nc, W + (size_t)r * cols + c0, sizeof(float) * (size_t)nc);
    return d;
}

/* Mixed memory (ncps LSTMCell), one step on h, c [u] with g [4u] = input_map(x) + b already
 * computed (gx); the recurrent map has no bias. Gate chunks in order (i, ig, fg, og):
 *   c' = c * sigma(fg + 1) + tanh(i) * sigma(ig)        h' = tanh(c') * sigma(og)            */
static void smx__lq_lstm_step(float *h, float *c, const float *gx, const float *wr, int u, float *g, int nth)
{
    int j;
    smx__lq_mv(g, h, wr, NULL, u, 4 * u, nth);          /* g [4u] = W_r h */
    for (j = 0; j < 4 * u; j++) g[j] += gx[j];
    for (j = 0; j < u; j++) {
        float ia = smx__lq_tanh(g[j]), ig = smx__sigmoid(g[u + j]), fg = smx__sigmoid(g[2 * u + j] + 1.0f);
        float og = smx__sigmoid(g[3 * u + j]);
        c[j] = c[j] * fg + ia * ig;
        h[j] = smx__lq_tanh(c[j]) * og;
    }
}

/* ===================================================================================== */
/* LFM2 short convolution ('C')                                                           */
/* ===================================================================================== */
/* [B | C | x] = a W_in^T (+ b_in)      (three chunks of d, in this order)
 * u = B * x;  v[t, c] = b_c[c] + sum_k w[c, 0, k] u[t - (L-1) + k, c]   (causal, no activation)
 * y = (C * v) W_out^T (+ b_out)
 * State: the last L-1 rows of u, [L-1][d], oldest first (zeros at the start of a sequence). */
typedef struct smx__sconv_cfg {
    int d;          /* model width */
    int L;          /* conv kernel length (conv_L_cache) */
    int bias;       /* conv_bias: biases on in_proj, conv and out_proj */
} smx__sconv_cfg;

typedef struct smx__sconv {
    smx__op base;
    int L;
    const float *win, *bin;     /* [3d, d], [3d] */
    float *cw;                  /* [L][d]: cw[k*d + c] = conv.weight[c, 0, k] */
    const float *cb;            /* [d] */
    const float *wout, *bout;   /* [d, d], [d] */
} smx__sconv;

static size_t smx__sconv_state(const smx__op *op, int n_ctx)
{
    const smx__sconv *c = (const smx__sconv *)op;
    (void)n_ctx;
    return (size_t)(c->L - 1) * (size_t)op->d_in * sizeof(float);
}

static size_t smx__sconv_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__sconv *c = (const smx__sconv *)op;
    (void)n_ctx; (void)nth;
    return (size_t)op->d_in * (3 * (size_t)T + (size_t)(c->L - 1 + T) + (size_t)T);
}

/* v[t] = C[t] * (b_c + sum_k w_k u[t + k]);  g [T, 3d], u [L-1+T, d], v [T, d] */
static void smx__sconv_row(const smx__sconv *c, const float *g, const float *u, float *v, int t, int d)
{
    float *vr = v + (size_t)t * d;
    const float *gr = g + (size_t)t * 3 * d;
    int k, i;
    if (c->cb) memcpy(vr, c->cb, sizeof(float) * (size_t)d);
    else memset(vr, 0, sizeof(float) * (size_t)d);
    for (k = 0; k < c->L; k++) {
        const float *w = c->cw + (size_t)k * d, *ur = u + (size_t)(t + k) * d;
        for (i = 0; i < d; i++) vr[i] += w[i] * ur[i];
    }
    for (i = 0; i < d; i++) vr[i] *= gr[d + i];
}

static void smx__sconv_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__sconv *c = (const smx__sconv *)op;
    const int T = f->T, d = op->d_in, L = c->L, H = L - 1;
    float *st = (float *)state;                 /* [L-1, d] */
    float *g = f->scratch;                      /* [T, 3d]  B | C | x */
    float *u = g + (size_t)T * 3 * d;           /* [L-1+T, d] state rows, then B*x */
    float *v = u + (size_t)(H + T) * d;         /* [T, d]  C * conv(u) */
    int t;
    smx__matmul(g, f->x, c->win, c->bin, T, d, 3 * d, f->nth);
    if (H > 0) memcpy(u, st, sizeof(float) * (size_t)H * d);
    /* u = B * x */
    for (t = 0; t < T; t++) {
        const float *gr = g + (size_t)t * 3 * d;
        float *ur = u + (size_t)(H + t) * d;
        int i;
        for (i = 0; i < d; i++) ur[i] = gr[i] * gr[2 * d + i];
    }
    /* v = C * (b_c + sum_k w_k u[t + k]) */
    if (smx__lq_nth(T, L, d, f->nth) > 1) {
        SMX__OMP_FOR(f->nth)
        for (t = 0; t < T; t++) smx__sconv_row(c, g, u, v, t, d);
    } else {
        for (t = 0; t < T; t++) smx__sconv_row(c, g, u, v, t, d);
    }
    /* state = the last L-1 rows of [state | u] */
    if (H > 0) memcpy(st, u + (size_t)T * d, sizeof(float) * (size_t)H * d);
    smx__matmul(f->y, v, c->wout, c->bout, T, d, d, f->nth);
}

static const smx__op_vt smx__sconv_vt = {
    "short_conv", 'C', smx__sconv_state, NULL, smx__sconv_scratch, smx__sconv_forward, NULL
};

/* prefix e.g. "model.layers.0.conv."; tensors in_proj, conv, out_proj. */
static smx__op *smx__sconv_load(smx__loader *ld, const smx__sconv_cfg *cfg, const char *prefix)
{
    smx__sconv *c;
    const float *w;
    int d = cfg->d, L = cfg->L, k, i;
    if (!smx__ld_check(ld, L >= 1 && L <= 1024, SMX_E_RANGE, "config.json: conv_L_cache %d must be in [1, 1024]", L)) return NULL;
    c = (smx__sconv *)smx__op_new(ld, sizeof *c, &smx__sconv_vt, d, d);
    if (!c) return NULL;
    c->L = L;
    c->win = SMX__W2(ld, 3 * d, d, "%sin_proj.weight", prefix);
    c->wout = SMX__W2(ld, d, d, "%sout_proj.weight", prefix);
    w = SMX__W3(ld, d, 1, L, "%sconv.weight", prefix);
    if (cfg->bias) {
        c->bin = SMX__W1(ld, 3 * d, "%sin_proj.bias", prefix);
        c->cb = SMX__W1(ld, d, "%sconv.bias", prefix);
        c->bout = SMX__W1(ld, d, "%sout_proj.bias", prefix);
    }
    c->cw = smx__ld_alloc(ld, (size_t)L * d);
    if (ld->st) return NULL;
    for (k = 0; k < L; k++)
        for (i = 0; i < d; i++) c->cw[(size_t)k * d + i] = w[(size_t)i * L + k];
    return &c->base;
}

/* ---- LFM2 (Lfm2ForCausalLM) ---- */

/* SwiGLU width: I = intermediate_size; with block_auto_adjust_ff_dim: I = int(2I/3), and when
 * block_ffn_dim_multiplier is set, I = int(mult * I) rounded up to block_multiple_of. */
static int smx__lfm2_ff(smx__loader *ld)
{
    int I = smx__ci_pos(ld, NULL, "intermediate_size", 12288);
    if (smx__cfg_has(ld, NULL, "block_ff_dim")) I = smx__ci_pos(ld, NULL, "block_ff_dim", 1);
    if (smx__cb(ld, NULL, "block_auto_adjust_ff_dim", 1)) {
        I = (int)(2.0 * (double)I / 3.0);
        if (smx__cfg_has(ld, NULL, "block_ffn_dim_multiplier")) {
            int mo = smx__ci_pos(ld, NULL, "block_multiple_of", 256);
            I = (int)(smx__cf(ld, NULL, "block_ffn_dim_multiplier", 1.0) * (double)I);
            I = mo * ((I + mo - 1) / mo);
        }
    }
    smx__ld_check(ld, I > 0, SMX_E_RANGE, "config.json: the feed-forward width works out to %d", I);
    return I;
}

static smx_status smx__build_lfm2(smx__loader *ld)
{
    const smx__jv *lt = smx__cfg_get(ld, NULL, "layer_types"), *fa = smx__cfg_get(ld, NULL, "full_attn_idxs");
    smx__attn_cfg at;
    smx__sconv_cfg sc;
    char p[64], p2[256];
    int V, d, L, ff, l, tied;
    float eps;
    memset(&at, 0, sizeof at);
    V = smx__ci_pos(ld, NULL, "vocab_size", 65536);
    d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    eps = (float)smx__cf(ld, NULL, "norm_eps", 1e-5);
    tied = smx__cb(ld, NULL, "tie_word_embeddings", 1);
    tied = smx__cb(ld, NULL, "tie_embedding", tied);
    ff = smx__lfm2_ff(ld);
    at.d = d;
    at.nh = smx__ci_pos(ld, NULL, "num_attention_heads", 0);
    at.nkv = smx__ci_pos(ld, NULL, "num_key_value_heads", 8);
    at.hd = smx__ci_pos(ld, NULL, "head_dim", d / (at.nh ? at.nh : 1));
    at.causal = 1;
    at.qk_norm = 1;
    at.qk_eps = eps;
    sc.d = d;
    sc.L = smx__ci_pos(ld, NULL, "conv_L_cache", 3);
    sc.bias = smx__cb(ld, NULL, "conv_bias", 0);
    if (lt) smx__ld_check(ld, lt->type == SMX__J_ARR && lt->n == L, SMX_E_FORMAT,
                          "config.json: 'layer_types' must list one type per layer (%d)", L);
    else if (fa) smx__ld_check(ld, fa->type == SMX__J_ARR, SMX_E_FORMAT, "config.json: 'full_attn_idxs' must be a list");
    if (ld->st) return ld->st;
    at.rope = smx__rope_from_config(ld, at.hd, smx__cf(ld, NULL, "theta", 1e6), 1.0);
    ld->m->max_ctx = smx__ci(ld, NULL, "max_position_embeddings", 0);
    smx__load_embed_head(ld, V, d, "model.embed_tokens.weight", "lm_head.weight", tied);
    for (l = 0; l < L && !ld->st; l++) {
        int attn = 1;
        smx__op *op;
        if (lt) {
            const smx__jv *e = smx__jat(lt, l);
            if (!smx__ld_check(ld, e && e->type == SMX__J_STR && (!strcmp(e->str, "full_attention") || !strcmp(e->str, "conv")),
                               SMX_E_UNSUPPORTED, "config.json: layer_types[%d] must be \"full_attention\" or \"conv\"", l))
                break;
            attn = !strcmp(e->str, "full_attention");
        } else if (fa) {
            const smx__jv *e;
            attn = 0;
            for (e = fa->child; e; e = e->next)
                if (e->type == SMX__J_NUM && (int)e->num == l) attn = 1;
        }
        snprintf(p, sizeof p, "model.layers.%d.", l);
        if (attn) {
            snprintf(p2, sizeof p2, "%sself_attn.", p);
            op = smx__attn_load(ld, &at, p2, "q_proj", "k_proj", "v_proj", "out_proj", "q_layernorm", "k_layernorm");
        } else {
            snprintf(p2, sizeof p2, "%sconv.", p);
            op = smx__sconv_load(ld, &sc, p2);
        }
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%soperator_norm.weight", p), NULL, op, 1);
        snprintf(p2, sizeof p2, "%sfeed_forward.", p);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "%sffn_norm.weight", p), NULL,
                     smx__mlp_load(ld, d, ff, SMX__ACT_SILU, 0, p2, "w1", "w3", "w2"), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "model.embedding_norm.weight");
    return ld->st;
}
#define SMX__BUILD_LFM2 smx__build_lfm2

/* ===================================================================================== */
/* CfC: closed-form continuous-time cell ('L')                                            */
/* ===================================================================================== */
/* One cell, on input u [in] and its own state h [n], elapsed time ts:
 *   z = [u | h];  z = act(W_l z + b_l) for each backbone layer (none: z stays [u | h])
 *   f1 = ff1(z) (weights * sparsity mask when wired)
 *   pure:     h' = -A * exp(-ts * (|w_tau| + |f1|)) * f1 + A
 *   else:     f1 = tanh(f1); f2 = tanh(ff2(z)); s = sigma(time_a(z) * ts + time_b(z))
 *             default: h' = f1 * (1 - s) + s * f2        no_gate: h' = f1 + s * f2
 * A model runs, per step: mixed memory (LSTM on [h | c] of all units) first, then the cells in
 * wiring order (cell l reads cell l-1's new h; a plain CfC is one cell), then the output is the
 * last cell's h, through fc when proj_size is set.
 * The first linear layer is split into its input and recurrent columns, so the input half runs
 * as one matmul over all T steps before the recurrence; ff1/ff2/time_a/time_b are fused into
 * one [4n, cat] matrix (masks multiplied into copies at load time).
 * State: h [units] (cells in wiring order) | c [units] (mixed memory only). */
enum { SMX__CFC_DEFAULT, SMX__CFC_PURE, SMX__CFC_NOGATE };
#define SMX__CFC_MAX_CELLS 32

typedef struct smx__cfc_cfg {
    int in;             /* input features per step */
    int mode;           /* SMX__CFC_* */
    int act;            /* backbone activation (SMX__ACT_*) */
    int bb_layers;      /* backbone layers (0: heads read [u | h] directly); wired: 0 */
    int bb_units;
    int bb_dropout;     /* the checkpoint had dropout > 0: Sequential indices shift */
    int mixed;          /* LSTM mixed memory */
    int proj;           /* output projection width, 0 = none */
    int n_cells;        /* 1 for a plain CfC; wiring layers for a wired one */
    int wired;          /* tensors under rnn_cell.layer_%d. with sparsity masks */
    int sizes[SMX__CFC_MAX_CELLS];  /* neurons per cell */
} smx__cfc_cfg;

typedef struct smx__cfc_cell {
    int in, n, off;             /* input width, neurons, offset of its h in the state */
    int r0;                     /* rows of the first linear layer */
    const float *w0;            /* first layer [r0, in + n] (reads [u | h]) */
    const float *wx, *wh, *b0;  /* its input and recurrent columns [r0, in], [r0, n]; bias [r0] */
    const float **wb, **bb;     /* backbone layers 1..nbb-1: [bbu, bbu], [bbu] */
    const float *wz, *bz;       /* heads after a backbone: [nh*n, bbu], [nh*n]; NULL without */
    const float *w_tau, *A;     /* pure mode: [n] */
} smx__cfc_cell;

typedef struct smx__cfc {
    smx__op base;
    int in, units, mode, act, nbb, bbu, mixed, proj, ncell, nout;
    smx__cfc_cell *cell;
    const float *lwx, *lb, *lwh;    /* LSTM: input_map [4u, in] + [4u], recurrent_map [4u, u] */
    const float *fcw, *fcb;         /* [proj, nout], [proj] */
} smx__cfc;

static size_t smx__cfc_state(const smx__op *op, int n_ctx)
{
    const smx__cfc *c = (const smx__cfc *)op;
    (void)n_ctx;
    return (size_t)c->units * (c->mixed ? 2 : 1) * sizeof(float);
}

/* widest first layer / head block over the cells */
static int smx__cfc_rmax(const smx__cfc *c)
{
    int l, r = c->bbu;
    for (l = 0; l < c->ncell; l++) r = SMX__MAX(r, SMX__MAX(c->cell[l].r0, (c->mode == SMX__CFC_PURE ? 1 : 4) * c->cell[l].n));
    return r;
}

static size_t smx__cfc_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__cfc *c = (const smx__cfc *)op;
    size_t r = (size_t)smx__cfc_rmax(c);
    (void)n_ctx; (void)nth;
    return (size_t)T * (size_t)c->cell[0].r0 + (c->mixed ? (size_t)T * 4 * c->units : 0) +
           (c->proj ? (size_t)T * c->nout : 0) + 4 * r + (size_t)(c->in + c->units) + (c->mixed ? 4 * (size_t)c->units : 0) + 16;
}

/* One cell step. pre: the first layer's input half for this step ([r0], bias included, from the
 * all-steps matmul), or NULL to apply the whole first layer to [u | h]. h [n] is updated in
 * place. w: scratch of 4 * rmax + in + n floats. */
static void smx__cfc_cell_step(const smx__cfc *c, const smx__cfc_cell *cl, const float *pre, const float *u, float *h,
                               float ts, float *w, int rmax, int nth)
{
    const int n = cl->n;
    float *t0 = w + rmax, *z1 = w + 2 * rmax, *z2 = w + 3 * rmax, *zc = w + 4 * rmax, *g;
    int j, l;
    if (pre) {
        /* z = pre + W_h h */
        smx__lq_mv(t0, h, cl->wh, NULL, n, cl->r0, nth);
        for (j = 0; j < cl->r0; j++) t0[j] += pre[j];
    } else {
        /* z = W_0 [u | h] + b */
        memcpy(zc, u, sizeof(float) * (size_t)cl->in);
        memcpy(zc + cl->in, h, sizeof(float) * (size_t)n);
        smx__lq_mv(t0, zc, cl->w0, cl->b0, cl->in + n, cl->r0, nth);
    }
    g = t0;
    if (c->nbb > 0) {
        /* z = act(W_l z + b_l) through the backbone, then the heads */
        for (j = 0; j < cl->r0; j++) t0[j] = smx__lq_act(c->act, t0[j]);
        for (l = 1; l < c->nbb; l++) {
            float *src = (l & 1) ? t0 : z1, *dst = (l & 1) ? z1 : t0;
            smx__lq_mv(dst, src, cl->wb[l], cl->bb[l], c->bbu, c->bbu, nth);
            for (j = 0; j < c->bbu; j++) dst[j] = smx__lq_act(c->act, dst[j]);
        }
        smx__lq_mv(z2, ((c->nbb - 1) & 1) ? z1 : t0, cl->wz, cl->bz, c->bbu, (c->mode == SMX__CFC_PURE ? 1 : 4) * n, nth);
        g = z2;
    }
    if (c->mode == SMX__CFC_PURE) {
        /* h' = -A * exp(-ts * (|w_tau| + |f1|)) * f1 + A */
        for (j = 0; j < n; j++) {
            float f1 = g[j];
            h[j] = -cl->A[j] * expf(-ts * (fabsf(cl->w_tau[j]) + fabsf(f1))) * f1 + cl->A[j];
        }
    } else {
        for (j = 0; j < n; j++) {
            float f1 = smx__lq_tanh(g[j]), f2 = smx__lq_tanh(g[n + j]), s = smx__sigmoid(g[2 * n + j] * ts + g[3 * n + j]);
            h[j] = c->mode == SMX__CFC_NOGATE ? f1 + s * f2 : f1 * (1.0f - s) + s * f2;
        }
    }
}

static void smx__cfc_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__cfc *c = (const smx__cfc *)op;
    const int T = f->T, u = c->units, r0 = c->cell[0].r0, rmax = smx__cfc_rmax(c);
    const smx__cfc_cell *last = &c->cell[c->ncell - 1];
    float *h = (float *)state, *cs = h + u;                     /* [u], [u] */
    float *px = f->scratch;                                     /* [T, r0]  first-layer input half */
    float *pl = px + (size_t)T * r0;                            /* [T, 4u]  LSTM input map (mixed) */
    float *ho = pl + (c->mixed ? (size_t)T * 4 * u : 0);        /* [T, nout] before fc (proj) */
    float *w = ho + (c->proj ? (size_t)T * c->nout : 0);        /* [4 rmax + in + u] cell step scratch */
    float *lg = w + 4 * (size_t)rmax + c->in + u;               /* [4u] LSTM gates */
    int t, l;
    if (T > 1) smx__lq_mm(px, f->x, c->cell[0].wx, c->cell[0].b0, T, c->in, r0, f->nth);
    if (c->mixed) smx__lq_mm(pl, f->x, c->lwx, c->lb, T, c->in, 4 * u, f->nth);
    for (t = 0; t < T; t++) {
        float ts = f->dt ? f->dt[t] : 1.0f;
        float *out = c->proj ? ho + (size_t)t * c->nout : f->y + (size_t)t * c->nout;
        if (c->mixed) smx__lq_lstm_step(h, cs, pl + (size_t)t * 4 * u, c->lwh, u, lg, f->nth);
        for (l = 0; l < c->ncell; l++) {
            const smx__cfc_cell *cl = &c->cell[l];
            smx__cfc_cell_step(c, cl, (l || T == 1) ? NULL : px + (size_t)t * r0,
                               l ? h + c->cell[l - 1].off : f->x + (size_t)t * c->in, h + cl->off, ts, w, rmax, f->nth);
        }
        memcpy(out, h + last->off, sizeof(float) * (size_t)c->nout);
    }
    if (c->proj) smx__lq_mm(f->y, ho, c->fcw, c->fcb, T, c->nout, c->proj, f->nth);
}

static const smx__op_vt smx__cfc_vt = { "cfc", 'L', smx__cfc_state, NULL, smx__cfc_scratch, smx__cfc_forward, NULL };

/* Index of backbone Linear l in the ncps Sequential: [Linear, act] then per further layer
 * [Linear, act, (Dropout when dropout > 0)]. */
static int smx__cfc_bb_index(int l, int dropout) { return l == 0 ? 0 : 2 + (l - 1) * (dropout ? 3 : 2); }

/* Load one cell under p (e.g. "rnn_cell." or "rnn_cell.layer_1."). */
static void smx__cfc_cell_load(smx__loader *ld, const smx__cfc_cfg *cfg, smx__cfc_cell *cl, const char *p)
{
    static const char *const heads[4] = { "ff1", "ff2", "time_a", "time_b" };
    const int n = cl->n, in = cl->in, nh = cfg->mode == SMX__CFC_PURE ? 1 : 4;
    const int cat = cfg->bb_layers > 0 ? cfg->bb_units : in + n;
    const float *mask = cfg->wired ? SMX__W2(ld, n, in + n, "%ssparsity_mask", p) : NULL;   /* [n, in + n] */
    float *hw = smx__ld_alloc(ld, (size_t)nh * n * cat), *hb = smx__ld_alloc(ld, (size_t)nh * n);   /* [nh*n, cat], [nh*n] */
    int k, i;
    smx__ld_check(ld, !mask || cfg->bb_layers == 0, SMX_E_UNSUPPORTED, "%ssparsity_mask: masks need a cell without backbone", p);
    /* fused heads: rows ff1 | ff2 | time_a | time_b; the mask multiplies ff1 and ff2 */
    for (k = 0; k < nh; k++) {
        const float *W = SMX__W2(ld, n, cat, "%s%s.weight", p, heads[k]), *b = SMX__W1(ld, n, "%s%s.bias", p, heads[k]);
        if (ld->st) return;
        for (i = 0; i < n * cat; i++) hw[(size_t)k * n * cat + i] = (mask && k < 2) ? W[i] * mask[i] : W[i];
        memcpy(hb + (size_t)k * n, b, sizeof(float) * (size_t)n);
    }
    if (cfg->mode == SMX__CFC_PURE) {
        cl->w_tau = SMX__W2(ld, 1, n, "%sw_tau", p);
        cl->A = SMX__W2(ld, 1, n, "%sA", p);
    }
    if (cfg->bb_layers > 0) {
        const int bbu = cfg->bb_units;
        const float *W0 = SMX__W2(ld, bbu, in + n, "%sbackbone.0.weight", p);
        cl->b0 = SMX__W1(ld, bbu, "%sbackbone.0.bias", p);
        cl->r0 = bbu;
        cl->w0 = W0;
        cl->wx = smx__lq_cols(ld, W0, bbu, in + n, 0, in);
        cl->wh = smx__lq_cols(ld, W0, bbu, in + n, in, n);
        cl->wb = (const float **)smx__arena_alloc(&ld->m->arena, sizeof(float *) * (size_t)cfg->bb_layers);
        cl->bb = (const float **)smx__arena_alloc(&ld->m->arena, sizeof(float *) * (size_t)cfg->bb_layers);
        if (!cl->wb || !cl->bb) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return; }
        for (k = 1; k < cfg->bb_layers; k++) {
            int ix = smx__cfc_bb_index(k, cfg->bb_dropout);
            cl->wb[k] = SMX__W2(ld, bbu, bbu, "%sbackbone.%d.weight", p, ix);
            cl->bb[k] = SMX__W1(ld, bbu, "%sbackbone.%d.bias", p, ix);
        }
        cl->wz = hw; cl->bz = hb;
    } else {
        cl->r0 = nh * n;
        cl->w0 = hw;
        cl->wx = smx__lq_cols(ld, hw, nh * n, in + n, 0, in);
        cl->wh = smx__lq_cols(ld, hw, nh * n, in + n, in, n);
        cl->b0 = hb;
    }
}

/* prefix: where the ncps module's tensors live ("" for a saved ncps CfC; "model.layers.3.mixer."
 * for a token-stack layer). d_in = cfg->in; d_out = proj or the last cell's neurons. */
static smx__op *smx__cfc_load(smx__loader *ld, const smx__cfc_cfg *cfg, const char *prefix)
{
    smx__cfc *c;
    char p[320];
    int l, units = 0;
    if (!smx__ld_check(ld, cfg->n_cells >= 1 && cfg->n_cells <= SMX__CFC_MAX_CELLS, SMX_E_RANGE,
                       "config.json: a CfC needs 1 to %d wiring layers (found %d)", SMX__CFC_MAX_CELLS, cfg->n_cells))
        return NULL;
    for (l = 0; l < cfg->n_cells; l++) {
        if (!smx__ld_check(ld, cfg->sizes[l] > 0, SMX_E_RANGE, "config.json: CfC layer %d has %d neurons", l, cfg->sizes[l]))
            return NULL;
        units += cfg->sizes[l];
    }
    if (!smx__ld_check(ld, cfg->in > 0 && cfg->bb_layers >= 0 && (cfg->bb_layers == 0 || cfg->bb_units > 0) && cfg->proj >= 0,
                       SMX_E_RANGE, "config.json: CfC sizes (input_size %d, backbone_layers %d, backbone_units %d, "
                       "proj_size %d) are invalid", cfg->in, cfg->bb_layers, cfg->bb_units, cfg->proj))
        return NULL;
    c = (smx__cfc *)smx__op_new(ld, sizeof *c, &smx__cfc_vt, cfg->in, cfg->proj ? cfg->proj : cfg->sizes[cfg->n_cells - 1]);
    if (!c) return NULL;
    c->in = cfg->in; c->units = units; c->mode = cfg->mode; c->act = cfg->act; c->nbb = cfg->bb_layers;
    c->bbu = cfg->bb_layers > 0 ? cfg->bb_units : 0; c->mixed = cfg->mixed; c->proj = cfg->proj; c->ncell = cfg->n_cells;
    c->nout = cfg->sizes[cfg->n_cells - 1];
    c->cell = (smx__cfc_cell *)smx__arena_alloc(&ld->m->arena, sizeof(smx__cfc_cell) * (size_t)cfg->n_cells);
    if (!c->cell) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
    units = 0;
    for (l = 0; l < cfg->n_cells && !ld->st; l++) {
        smx__cfc_cell *cl = &c->cell[l];
        cl->in = l ? cfg->sizes[l - 1] : cfg->in;
        cl->n = cfg->sizes[l];
        cl->off = units;
        units += cl->n;
        if (cfg->wired) snprintf(p, sizeof p, "%srnn_cell.layer_%d.", prefix, l);
        else snprintf(p, sizeof p, "%srnn_cell.", prefix);
        smx__cfc_cell_load(ld, cfg, cl, p);
    }
    if (cfg->mixed) {
        c->lwx = SMX__W2(ld, 4 * c->units, c->in, "%slstm.input_map.weight", prefix);
        c->lb = SMX__W1(ld, 4 * c->units, "%slstm.input_map.bias", prefix);
        c->lwh = SMX__W2(ld, 4 * c->units, c->units, "%slstm.recurrent_map.weight", prefix);
    }
    if (cfg->proj) {
        c->fcw = SMX__W2(ld, cfg->proj, c->nout, "%sfc.weight", prefix);
        c->fcb = SMX__W1(ld, cfg->proj, "%sfc.bias", prefix);
    }
    return ld->st ? NULL : &c->base;
}

/* ===================================================================================== */
/* LTC: liquid time-constant cell ('L')                                                   */
/* ===================================================================================== */
/* N neurons, S sensory inputs, M motor neurons (ids 0..M-1). pos() = softplus when
 * implicit_param_constraints, else identity; masks are |adjacency| from the checkpoint.
 *   x = u * input_w + input_b                     (affine; linear: no b; other: identity)
 *   sa[j,i] = pos(sensory_w)[j,i] sigma(sensory_sigma[j,i] (x_j - sensory_mu[j,i])) smask[j,i]
 *   ns[i] = sum_j sa[j,i] sensory_erev[j,i];   ds[i] = sum_j sa[j,i]
 *   cm_t = pos(cm) / (ts / unfolds);  v = h
 *   repeat unfolds times:
 *     a[j,i] = pos(w)[j,i] sigma(sigma[j,i] (v_j - mu[j,i])) mask[j,i]
 *     v_i = (cm_t v_i + pos(gleak) vleak + sum_j a[j,i] erev[j,i] + ns_i)
 *           / (cm_t + pos(gleak) + sum_j a[j,i] + ds_i + eps)
 *   out = v[0:M] * output_w + output_b
 * With mixed memory the LSTM runs first on the raw input. The sensory sums depend on the input
 * only and run for all T steps before the recurrence. Constraints and masks are folded into
 * copies at load time: w_m = pos(w) * mask and w_e = w_m * erev (likewise sensory).
 * State: v [N] | c [N] (mixed memory only), in neuron-id order. */
enum { SMX__LTC_MAP_NONE, SMX__LTC_MAP_LINEAR, SMX__LTC_MAP_AFFINE };

typedef struct smx__ltc_cfg {
    int in, units, motor;   /* S, N, M */
    int unfolds;            /* ode_unfolds */
    int in_map, out_map;    /* SMX__LTC_MAP_* */
    int implicit;           /* implicit_param_constraints: softplus on w, sensory_w, cm, gleak */
    int mixed;
    float eps;
} smx__ltc_cfg;

typedef struct smx__ltc {
    smx__op base;
    int S, N, M, unfolds, mixed;
    float eps;
    const float *in_w, *in_b, *out_w, *out_b;   /* [S], [S], [M], [M]; NULL when unmapped */
    const float *ssig, *smu, *sigma, *mu;       /* [S, N], [S, N], [N, N], [N, N] */
    float *sw, *swe, *w, *we;                   /* [S, N], [S, N], [N, N], [N, N] folded */
    float *cm, *gl, *glv;                       /* [N]: pos(cm), pos(gleak), pos(gleak) * vleak */
    const float *lwx, *lb, *lwh;                /* LSTM */
} smx__ltc;

static size_t smx__ltc_state(const smx__op *op, int n_ctx)
{
    const smx__ltc *c = (const smx__ltc *)op;
    (void)n_ctx;
    return (size_t)c->N * (c->mixed ? 2 : 1) * sizeof(float);
}

static size_t smx__ltc_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__ltc *c = (const smx__ltc *)op;
    (void)n_ctx; (void)nth;
    return 2 * (size_t)T * c->N + (c->mixed ? (size_t)T * 4 * c->N + 4 * (size_t)c->N : 0) + 2 * (size_t)c->N +
           (size_t)c->S + 16;
}

/* Sensory sums of one step: ns[i] = sum_j sa[j,i] sensory_erev[j,i], ds[i] = sum_j sa[j,i]. */
static void smx__ltc_sensory(const smx__ltc *c, const float *u, float *ns, float *ds)
{
    const int N = c->N;
    int i, j;
    memset(ns, 0, sizeof(float) * (size_t)N);
    memset(ds, 0, sizeof(float) * (size_t)N);
    for (j = 0; j < c->S; j++) {
        const float *sg = c->ssig + (size_t)j * N, *mu = c->smu + (size_t)j * N;
        const float *sw = c->sw + (size_t)j * N, *se = c->swe + (size_t)j * N;
        float x = u[j];
        if (c->in_w) x *= c->in_w[j];
        if (c->in_b) x += c->in_b[j];
        for (i = 0; i < N; i++) {
            float s = 1.0f / (1.0f + expf(-(sg[i] * (x - mu[i]))));
            ns[i] += se[i] * s;
            ds[i] += sw[i] * s;
        }
    }
}

static void smx__ltc_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__ltc *c = (const smx__ltc *)op;
    const int T = f->T, N = c->N, S = c->S, M = c->M;
    float *v = (float *)state, *cs = v + N;                     /* [N], [N] */
    float *ns = f->scratch;                                     /* [T, N] sensory numerator */
    float *ds = ns + (size_t)T * N;                             /* [T, N] sensory denominator */
    float *pl = ds + (size_t)T * N;                             /* [T, 4N] LSTM input map (mixed) */
    float *lg = pl + (c->mixed ? (size_t)T * 4 * N : 0);        /* [4N] */
    float *num = lg + (c->mixed ? 4 * (size_t)N : 0);           /* [N] */
    float *den = num + N;                                       /* [N] */
    int t;
    /* sensory synapses, all steps at once */
    if (smx__lq_nth(T, S, N, f->nth) > 1) {
        SMX__OMP_FOR(f->nth)
        for (t = 0; t < T; t++) smx__ltc_sensory(c, f->x + (size_t)t * S, ns + (size_t)t * N, ds + (size_t)t * N);
    } else {
        for (t = 0; t < T; t++) smx__ltc_sensory(c, f->x + (size_t)t * S, ns + (size_t)t * N, ds + (size_t)t * N);
    }
    if (c->mixed) smx__lq_mm(pl, f->x, c->lwx, c->lb, T, S, 4 * N, f->nth);
    for (t = 0; t < T; t++) {
        const float ts = f->dt ? f->dt[t] : 1.0f, dtu = ts / (float)c->unfolds;
        const float *nr = ns + (size_t)t * N, *dr = ds + (size_t)t * N;
        float *y = f->y + (size_t)t * op->d_out;
        int k, i, j;
        if (c->mixed) smx__lq_lstm_step(v, cs, pl + (size_t)t * 4 * N, c->lwh, N, lg, f->nth);
        for (k = 0; k < c->unfolds; k++) {
            memcpy(num, nr, sizeof(float) * (size_t)N);
            memcpy(den, dr, sizeof(float) * (size_t)N);
            for (j = 0; j < N; j++) {
                const float vj = v[j];
                const float *sg = c->sigma + (size_t)j * N, *mu = c->mu + (size_t)j * N;
                const float *w = c->w + (size_t)j * N, *we = c->we + (size_t)j * N;
                for (i = 0; i < N; i++) {
                    float s = 1.0f / (1.0f + expf(-(sg[i] * (vj - mu[i]))));
                    num[i] += we[i] * s;
                    den[i] += w[i] * s;
                }
            }
            for (i = 0; i < N; i++) {
                float cmt = c->cm[i] / dtu;
                v[i] = (cmt * v[i] + c->glv[i] + num[i]) / (cmt + c->gl[i] + den[i] + c->eps);
            }
        }
        for (i = 0; i < M; i++) {
            float o = v[i];
            if (c->out_w) o *= c->out_w[i];
            if (c->out_b) o += c->out_b[i];
            y[i] = o;
        }
    }
}

static const smx__op_vt smx__ltc_vt = { "ltc", 'L', smx__ltc_state, NULL, smx__ltc_scratch, smx__ltc_forward, NULL };

static float smx__ltc_pos(int implicit, float x) { return implicit ? smx__softplus(x) : x; }

/* prefix: where the ncps module's tensors live ("" for a saved ncps LTC). d_in = S, d_out = M. */
static smx__op *smx__ltc_load(smx__loader *ld, const smx__ltc_cfg *cfg, const char *prefix)
{
    smx__ltc *c;
    const int S = cfg->in, N = cfg->units, M = cfg->motor;
    const float *w, *sw, *mask, *smask, *erev, *serev, *cm, *gl, *vl;
    size_t i;
    if (!smx__ld_check(ld, S > 0 && N > 0 && M > 0 && M <= N, SMX_E_RANGE,
                       "config.json: LTC needs input_size > 0 and 0 < output_size <= units (found %d, %d, %d)", S, M, N) ||
        !smx__ld_check(ld, cfg->unfolds > 0, SMX_E_RANGE, "config.json: ode_unfolds must be positive (found %d)", cfg->unfolds))
        return NULL;
    c = (smx__ltc *)smx__op_new(ld, sizeof *c, &smx__ltc_vt, S, M);
    if (!c) return NULL;
    c->S = S; c->N = N; c->M = M; c->unfolds = cfg->unfolds; c->mixed = cfg->mixed; c->eps = cfg->eps;
    gl = SMX__W1(ld, N, "%srnn_cell.gleak", prefix);
    vl = SMX__W1(ld, N, "%srnn_cell.vleak", prefix);
    cm = SMX__W1(ld, N, "%srnn_cell.cm", prefix);
    c->sigma = SMX__W2(ld, N, N, "%srnn_cell.sigma", prefix);
    c->mu = SMX__W2(ld, N, N, "%srnn_cell.mu", prefix);
    w = SMX__W2(ld, N, N, "%srnn_cell.w", prefix);
    erev = SMX__W2(ld, N, N, "%srnn_cell.erev", prefix);
    c->ssig = SMX__W2(ld, S, N, "%srnn_cell.sensory_sigma", prefix);
    c->smu = SMX__W2(ld, S, N, "%srnn_cell.sensory_mu", prefix);
    sw = SMX__W2(ld, S, N, "%srnn_cell.sensory_w", prefix);
    serev = SMX__W2(ld, S, N, "%srnn_cell.sensory_erev", prefix);
    mask = SMX__W2(ld, N, N, "%srnn_cell.sparsity_mask", prefix);
    smask = SMX__W2(ld, S, N, "%srnn_cell.sensory_sparsity_mask", prefix);
    if (cfg->in_map != SMX__LTC_MAP_NONE) c->in_w = SMX__W1(ld, S, "%srnn_cell.input_w", prefix);
    if (cfg->in_map == SMX__LTC_MAP_AFFINE) c->in_b = SMX__W1(ld, S, "%srnn_cell.input_b", prefix);
    if (cfg->out_map != SMX__LTC_MAP_NONE) c->out_w = SMX__W1(ld, M, "%srnn_cell.output_w", prefix);
    if (cfg->out_map == SMX__LTC_MAP_AFFINE) c->out_b = SMX__W1(ld, M, "%srnn_cell.output_b", prefix);
    if (cfg->mixed) {
        c->lwx = SMX__W2(ld, 4 * N, S, "%slstm.input_map.weight", prefix);
        c->lb = SMX__W1(ld, 4 * N, "%slstm.input_map.bias", prefix);
        c->lwh = SMX__W2(ld, 4 * N, N, "%slstm.recurrent_map.weight", prefix);
    }
    c->w = smx__ld_alloc(ld, (size_t)N * N);
    c->we = smx__ld_alloc(ld, (size_t)N * N);
    c->sw = smx__ld_alloc(ld, (size_t)S * N);
    c->swe = smx__ld_alloc(ld, (size_t)S * N);
    c->cm = smx__ld_alloc(ld, (size_t)N);
    c->gl = smx__ld_alloc(ld, (size_t)N);
    c->glv = smx__ld_alloc(ld, (size_t)N);
    if (ld->st) return NULL;
    for (i = 0; i < (size_t)N * N; i++) {
        c->w[i] = smx__ltc_pos(cfg->implicit, w[i]) * mask[i];
        c->we[i] = c->w[i] * erev[i];
    }
    for (i = 0; i < (size_t)S * N; i++) {
        c->sw[i] = smx__ltc_pos(cfg->implicit, sw[i]) * smask[i];
        c->swe[i] = c->sw[i] * serev[i];
    }
    for (i = 0; i < (size_t)N; i++) {
        c->cm[i] = smx__ltc_pos(cfg->implicit, cm[i]);
        c->gl[i] = smx__ltc_pos(cfg->implicit, gl[i]);
        c->glv[i] = c->gl[i] * vl[i];
    }
    return &c->base;
}

/* ---- ncps families: config.json holds the constructor arguments ---- */

/* A feature model around one liquid operator. */
static void smx__liquid_model(smx__loader *ld, smx__op *op, int in, int units)
{
    smx_model *m = ld->m;
    m->kind = SMX_KIND_FEATURES;
    m->d_in = in;
    m->d = units;
    smx__add_sub(ld, SMX__NORM_NONE, 0.0f, NULL, NULL, op, 0);
}

/* Shared CfC keys: mode, proj_size, mixed_memory. */
static void smx__cfc_common(smx__loader *ld, smx__cfc_cfg *c)
{
    const char *mode = smx__cs(ld, NULL, "mode", "default");
    c->in = smx__ci_pos(ld, NULL, "input_size", 0);
    c->proj = smx__ci(ld, NULL, "proj_size", 0);
    c->mixed = smx__cb(ld, NULL, "mixed_memory", 0);
    if (!strcmp(mode, "default")) c->mode = SMX__CFC_DEFAULT;
    else if (!strcmp(mode, "pure")) c->mode = SMX__CFC_PURE;
    else if (!strcmp(mode, "no_gate")) c->mode = SMX__CFC_NOGATE;
    else smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: mode '%s' is not supported (default, pure, no_gate)", mode);
    smx__ld_check(ld, c->proj >= 0, SMX_E_RANGE, "config.json: proj_size must be positive or null (found %d)", c->proj);
}

static smx_status smx__build_cfc(smx__loader *ld)
{
    smx__cfc_cfg c;
    const char *act;
    int units;
    memset(&c, 0, sizeof c);
    smx__cfc_common(ld, &c);
    units = smx__ci_pos(ld, NULL, "units", 0);
    act = smx__cs(ld, NULL, "activation", "lecun_tanh");
    c.act = smx__act_by_name(act);
    smx__ld_check(ld, c.act == SMX__ACT_LECUN_TANH || c.act == SMX__ACT_TANH || c.act == SMX__ACT_RELU || c.act == SMX__ACT_SILU ||
                  (c.act == SMX__ACT_GELU && !strcmp(act, "gelu")), SMX_E_UNSUPPORTED,
                  "config.json: activation '%s' is not supported (lecun_tanh, tanh, relu, silu, gelu)", act);
    c.bb_layers = smx__ci(ld, NULL, "backbone_layers", 1);
    c.bb_units = smx__ci(ld, NULL, "backbone_units", 128);
    c.bb_dropout = smx__cf(ld, NULL, "backbone_dropout", 0.0) > 0.0;
    smx__ld_check(ld, c.bb_layers >= 0 && (c.bb_layers == 0 || c.bb_units > 0), SMX_E_RANGE,
                  "config.json: backbone_layers %d / backbone_units %d are invalid", c.bb_layers, c.bb_units);
    c.n_cells = 1;
    c.sizes[0] = units;
    if (ld->st) return ld->st;
    smx__liquid_model(ld, smx__cfc_load(ld, &c, ""), c.in, units);
    return ld->st;
}
#define SMX__BUILD_CFC smx__build_cfc

/* Wired CfC: layer_sizes lists the neurons of each wiring layer (NCP: inter, command, motor);
 * without it the sizes are read from the checkpoint's rnn_cell.layer_%d.ff1.weight rows. */
static smx_status smx__build_wired_cfc(smx__loader *ld)
{
    smx__cfc_cfg c;
    const smx__jv *ls = smx__cfg_get(ld, NULL, "layer_sizes");
    int units, total = 0, l;
    memset(&c, 0, sizeof c);
    smx__cfc_common(ld, &c);
    units = smx__ci_pos(ld, NULL, "units", 0);
    c.act = SMX__ACT_LECUN_TANH;
    c.wired = 1;
    if (ls) {
        const smx__jv *e;
        if (!smx__ld_check(ld, ls->type == SMX__J_ARR && ls->n >= 1 && ls->n <= SMX__CFC_MAX_CELLS, SMX_E_FORMAT,
                           "config.json: 'layer_sizes' must be a list of 1 to %d sizes", SMX__CFC_MAX_CELLS))
            return ld->st;
        for (e = ls->child; e; e = e->next) {
            if (!smx__ld_check(ld, e->type == SMX__J_NUM && e->num >= 1 && e->num == floor(e->num) && e->num < 1e8, SMX_E_FORMAT,
                               "config.json: 'layer_sizes' entries must be positive integers"))
                return ld->st;
            c.sizes[c.n_cells++] = (int)e->num;
        }
    } else {
        int64_t sh[8];
        while (c.n_cells < SMX__CFC_MAX_CELLS && smx__tensor_shape(ld, sh, "rnn_cell.layer_%d.ff1.weight", c.n_cells) == 2)
            c.sizes[c.n_cells++] = (int)sh[0];
        smx__ld_check(ld, c.n_cells > 0, SMX_E_MISSING, "config.json: required field 'layer_sizes' is missing");
    }
    for (l = 0; l < c.n_cells; l++) total += c.sizes[l];
    smx__ld_check(ld, total == units, SMX_E_RANGE, "config.json: layer_sizes add up to %d neurons but units is %d", total, units);
    if (smx__cfg_has(ld, NULL, "output_size"))
        smx__ld_check(ld, smx__ci(ld, NULL, "output_size", 0) == c.sizes[c.n_cells - 1], SMX_E_RANGE,
                      "config.json: output_size %d differs from the last wiring layer (%d motor neurons)",
                      smx__ci(ld, NULL, "output_size", 0), c.sizes[c.n_cells - 1]);
    if (ld->st) return ld->st;
    smx__liquid_model(ld, smx__cfc_load(ld, &c, ""), c.in, units);
    return ld->st;
}
#define SMX__BUILD_WIRED_CFC smx__build_wired_cfc

static int smx__ltc_map(smx__loader *ld, const char *key)
{
    const char *s = smx__cs(ld, NULL, key, "affine");
    if (!strcmp(s, "affine")) return SMX__LTC_MAP_AFFINE;
    if (!strcmp(s, "linear")) return SMX__LTC_MAP_LINEAR;
    return SMX__LTC_MAP_NONE;   /* the reference treats every other value as the identity */
}

static smx_status smx__build_ltc(smx__loader *ld)
{
    smx__ltc_cfg c;
    memset(&c, 0, sizeof c);
    c.in = smx__ci_pos(ld, NULL, "input_size", 0);
    c.units = smx__ci_pos(ld, NULL, "units", 0);
    c.motor = smx__ci_pos(ld, NULL, "output_size", c.units);
    c.unfolds = smx__ci_pos(ld, NULL, "ode_unfolds", 6);
    c.eps = (float)smx__cf(ld, NULL, "epsilon", 1e-8);
    c.implicit = smx__cb(ld, NULL, "implicit_param_constraints", 1);
    c.mixed = smx__cb(ld, NULL, "mixed_memory", 0);
    smx__ld_check(ld, !smx__cb(ld, NULL, "use_swish_activation", 0), SMX_E_UNSUPPORTED,
                  "config.json: use_swish_activation is not supported (ncps 1.0.1 LTC)");
    c.in_map = smx__ltc_map(ld, "input_mapping");
    c.out_map = smx__ltc_map(ld, "output_mapping");
    if (ld->st) return ld->st;
    smx__liquid_model(ld, smx__ltc_load(ld, &c, ""), c.in, c.units);
    return ld->st;
}
#define SMX__BUILD_LTC smx__build_ltc

/* ---- public: liquid state ---- */
SMX_API int smx_model_liquid_units(const smx_model *m, int *has_c)
{
    const smx__op *op;
    if (has_c) *has_c = 0;
    if (!m || m->kind != SMX_KIND_FEATURES || m->n_sub != 1) return 0;
    op = m->sub[0].op;
    if (op->vt == &smx__cfc_vt) {
        if (has_c) *has_c = ((const smx__cfc *)op)->mixed;
        return ((const smx__cfc *)op)->units;
    }
    if (op->vt == &smx__ltc_vt) {
        if (has_c) *has_c = ((const smx__ltc *)op)->mixed;
        return ((const smx__ltc *)op)->N;
    }
    return 0;
}

/* ---- layer types for hybrid stacks (model_type "seqmix"): settings from the layer object ----
 * shortconv: conv_kernel (3), bias (false)
 * cfc:       backbone_units (width), backbone_layers (1), mode ("default"), activation
 *            ("lecun_tanh"), mixed_memory (false); units = input = width, no projection, unit
 *            elapsed time between tokens. Tensors under the prefix as for the ncps CfC module. */
static smx__op *smx__lt_shortconv(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__sconv_cfg c;
    c.d = d;
    c.L = smx__ci_pos(ld, o, "conv_kernel", 3);
    c.bias = smx__cb(ld, o, "bias", 0);
    return ld->st ? NULL : smx__sconv_load(ld, &c, prefix);
}
#define SMX__LT_SHORTCONV smx__lt_shortconv

static smx__op *smx__lt_cfc(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__cfc_cfg c;
    const char *mode = smx__cs(ld, o, "mode", "default"), *act = smx__cs(ld, o, "activation", "lecun_tanh");
    memset(&c, 0, sizeof c);
    c.in = d;
    c.n_cells = 1;
    c.sizes[0] = d;
    c.bb_layers = smx__ci(ld, o, "backbone_layers", 1);
    c.bb_units = smx__ci(ld, o, "backbone_units", d);
    c.mixed = smx__cb(ld, o, "mixed_memory", 0);
    c.act = smx__act_by_name(act);
    c.mode = !strcmp(mode, "pure") ? SMX__CFC_PURE : !strcmp(mode, "no_gate") ? SMX__CFC_NOGATE : SMX__CFC_DEFAULT;
    smx__ld_check(ld, !strcmp(mode, "default") || c.mode != SMX__CFC_DEFAULT, SMX_E_UNSUPPORTED,
                  "config.json: cfc layer mode '%s' is not supported (default, pure, no_gate)", mode);
    smx__ld_check(ld, c.act >= 0, SMX_E_UNSUPPORTED, "config.json: cfc layer activation '%s' is not supported", act);
    return ld->st ? NULL : smx__cfc_load(ld, &c, prefix);
}
#define SMX__LT_CFC smx__lt_cfc

/* ===================================================================================== */
/* II.7.e Hybrid stacks (model_type "seqmix") and the builder                           */
/* ===================================================================================== */
/* ---- Hybrid stacks (model_type "seqmix"): any registered layer types, one sub-layer each ----
 *
 * config.json: {"model_type": "seqmix", "vocab_size": V, "hidden_size": d, "norm_eps": 1e-5,
 *               "tie_word_embeddings": bool, "max_position_embeddings": n,
 *               "layers": [{"type": "mamba2", ...settings...}, {"type": "mlp", ...}, ...]}
 * tensors:     model.embed_tokens.weight, model.layers.L.norm.weight, model.layers.L.mixer.*
 *              (the operator's own names), model.norm.weight, lm_head.weight (untied).
 * Each layer is pre-norm (RMSNorm) with a residual add. */

typedef smx__op *(*smx__layer_loader)(smx__loader *ld, const smx__jv *o, int d, const char *prefix);

static smx__op *smx__lt_attention(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__attn_cfg c;
    double theta;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.nh = smx__ci_pos(ld, o, "num_heads", d >= 64 ? d / 64 : 1);
    c.nkv = smx__ci_pos(ld, o, "num_kv_heads", c.nh);
    c.hd = smx__ci_pos(ld, o, "head_dim", d / (c.nh ? c.nh : 1));
    c.causal = 1;
    c.window = smx__ci(ld, o, "sliding_window", 0);
    c.bias = c.o_bias = smx__cb(ld, o, "bias", 0);
    theta = smx__cf(ld, o, "rope_theta", 10000.0);
    if (theta > 0 && !ld->st) {
        c.rope.rot = c.hd - c.hd % 2;
        c.rope.inv_freq = smx__rope_inv_freq(ld, c.rope.rot, theta);
    }
    return smx__attn_load(ld, &c, prefix, "q_proj", "k_proj", "v_proj", "o_proj", NULL, NULL);
}

static smx__op *smx__lt_mlp(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    int ff = smx__ci_pos(ld, o, "intermediate_size", 4 * d);
    int act = smx__act_by_name(smx__cs(ld, o, "activation", "silu"));
    smx__ld_check(ld, act >= 0, SMX_E_UNSUPPORTED, "config.json: layer activation is not supported");
    return smx__mlp_load(ld, d, ff, act, smx__cb(ld, o, "bias", 0), prefix, "gate_proj", "up_proj", "down_proj");
}

/* {"type": "mlstm", "num_heads": 4, "qk_dim_factor": 0.5, "v_dim_factor": 1.0, "chunk_size": 64,
 *  "gate_soft_cap": 15, "eps": 1e-6, "norm_eps": 1e-6, "bias": false}: the xLSTM-7B layer */
static smx__op *smx__lt_mlstm(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__mlstm7_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.nh = smx__ci_pos(ld, o, "num_heads", 4);
    c.qk = (int)(d * smx__cf(ld, o, "qk_dim_factor", 0.5));
    c.vd = (int)(d * smx__cf(ld, o, "v_dim_factor", 1.0));
    c.chunk = smx__ci_pos(ld, o, "chunk_size", 64);
    c.bias = smx__cb(ld, o, "bias", 0);
    c.cap = (float)smx__cf(ld, o, "gate_soft_cap", 15.0);
    c.eps = (float)smx__cf(ld, o, "eps", 1e-6);
    c.norm_eps = (float)smx__cf(ld, o, "norm_eps", 1e-6);
    smx__ld_check(ld, c.qk > 0 && c.vd > 0 && c.qk % c.nh == 0 && c.vd % c.nh == 0, SMX_E_RANGE,
                  "config.json: mlstm layer dims %d/%d do not split into %d heads", c.qk, c.vd, c.nh);
    return ld->st ? NULL : smx__mlstm7_load(ld, &c, prefix, NULL);
}

/* {"type": "slstm", "num_heads": 4, "conv_kernel": 4}: the sLSTM cell with its group norm */
static smx__op *smx__lt_slstm(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__slstm_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.nh = smx__ci_pos(ld, o, "num_heads", 4);
    c.K = smx__ci(ld, o, "conv_kernel", 4);
    c.gn_weight = 1;
    smx__ld_check(ld, d % c.nh == 0 && c.K >= 0, SMX_E_RANGE, "config.json: slstm layer width %d does not split into %d heads", d, c.nh);
    return ld->st ? NULL : smx__slstm_load(ld, &c, prefix);
}
#define SMX__LT_MLSTM smx__lt_mlstm
#define SMX__LT_SLSTM smx__lt_slstm

#ifndef SMX__LT_MOE
#define SMX__LT_MOE NULL
#endif
#ifndef SMX__LT_MAMBA
#define SMX__LT_MAMBA NULL
#endif
#ifndef SMX__LT_MAMBA2
#define SMX__LT_MAMBA2 NULL
#endif
#ifndef SMX__LT_MLSTM
#define SMX__LT_MLSTM NULL
#endif
#ifndef SMX__LT_SLSTM
#define SMX__LT_SLSTM NULL
#endif
#ifndef SMX__LT_SHORTCONV
#define SMX__LT_SHORTCONV NULL
#endif
#ifndef SMX__LT_CFC
#define SMX__LT_CFC NULL
#endif

typedef struct smx__layer_type { const char *name; char letter; smx__layer_loader load; } smx__layer_type;

/* Indexed by smx_op_type. */
static const smx__layer_type smx__layer_types[SMX_OP_COUNT] = {
    { "attention", 'A', smx__lt_attention }, { "mlp", 'F', smx__lt_mlp },     { "moe", 'E', SMX__LT_MOE },
    { "mamba", 'M', SMX__LT_MAMBA },         { "mamba2", '2', SMX__LT_MAMBA2 }, { "mlstm", 'X', SMX__LT_MLSTM },
    { "slstm", 'S', SMX__LT_SLSTM },         { "shortconv", 'C', SMX__LT_SHORTCONV }, { "cfc", 'L', SMX__LT_CFC },
};

SMX_API const char *smx_op_name(smx_op_type type)
{
    return (int)type >= 0 && type < SMX_OP_COUNT ? smx__layer_types[type].name : "unknown";
}

static smx_status smx__build_seqmix(smx__loader *ld)
{
    const smx__jv *layers = smx__cfg_get(ld, NULL, "layers"), *o;
    int V = smx__ci_pos(ld, NULL, "vocab_size", 0), d = smx__ci_pos(ld, NULL, "hidden_size", 0), l = 0, k;
    float eps = (float)smx__cf(ld, NULL, "norm_eps", 1e-5);
    char pre[128];
    if (!smx__ld_check(ld, layers && layers->type == SMX__J_ARR && layers->n > 0, SMX_E_MISSING,
                       "config.json: 'layers' must be a non-empty array of layer objects"))
        return ld->st;
    smx__load_embed_head(ld, V, d, "model.embed_tokens.weight", "lm_head.weight", smx__cb(ld, NULL, "tie_word_embeddings", 1));
    ld->m->max_ctx = smx__ci(ld, NULL, "max_position_embeddings", 0);
    for (o = layers->child; o && !ld->st; o = o->next, l++) {
        const char *type = o->type == SMX__J_OBJ ? smx__cs(ld, o, "type", "") : "";
        const smx__layer_type *lt = NULL;
        for (k = 0; k < SMX_OP_COUNT; k++)
            if (!strcmp(type, smx__layer_types[k].name)) lt = &smx__layer_types[k];
        if (!smx__ld_check(ld, lt != NULL, SMX_E_UNSUPPORTED, "config.json: layer %d has unknown type '%s'", l, type)) break;
        if (!smx__ld_check(ld, lt->load != NULL, SMX_E_UNSUPPORTED, "config.json: layer type '%s' is not built in", type)) break;
        snprintf(pre, sizeof pre, "model.layers.%d.mixer.", l);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "model.layers.%d.norm.weight", l), NULL, lt->load(ld, o, d, pre), 1);
    }
    ld->m->fnorm = SMX__NORM_RMS;
    ld->m->feps = eps;
    ld->m->fnw = SMX__W1(ld, d, "model.norm.weight");
    return ld->st;
}
#define SMX__BUILD_SEQMIX smx__build_seqmix

/* ---- The builder: collects layers, writes the config, builds through smx_model_from_config ---- */
struct smx_builder {
    int vocab, width, tied, max_ctx, ffn;
    smx_layer_cfg ffn_cfg;
    int n, cap;
    smx_op_type *type;
    smx_layer_cfg *cfg;
    char *json;
};

SMX_API smx_status smx_builder_new(int vocab, int width, smx_builder **out, smx_error *err)
{
    smx_builder *b;
    smx__ok(err);
    if (!out) return smx__fail(err, SMX_E_ARG, "smx_builder_new: out must not be NULL");
    *out = NULL;
    if (vocab <= 0 || width <= 0) return smx__fail(err, SMX_E_ARG, "smx_builder_new: vocab %d and width %d must be positive", vocab, width);
    b = (smx_builder *)SMX_MALLOC(sizeof *b);
    if (!b) return smx__fail(err, SMX_E_NOMEM, "out of memory");
    memset(b, 0, sizeof *b);
    b->vocab = vocab; b->width = width; b->tied = 1; b->max_ctx = 4096; b->ffn = SMX_OP_MLP;
    *out = b;
    return SMX_OK;
}

SMX_API void smx_builder_free(smx_builder *b)
{
    if (!b) return;
    SMX_FREE(b->type); SMX_FREE(b->cfg); SMX_FREE(b->json);
    SMX_FREE(b);
}

SMX_API void smx_builder_set_ffn(smx_builder *b, int ffn, const smx_layer_cfg *cfg)
{
    if (!b) return;
    b->ffn = ffn;
    if (cfg) b->ffn_cfg = *cfg;
    else memset(&b->ffn_cfg, 0, sizeof b->ffn_cfg);
}

SMX_API void smx_builder_set_tied(smx_builder *b, int tied) { if (b) b->tied = tied != 0; }
SMX_API void smx_builder_set_max_context(smx_builder *b, int n) { if (b && n > 0) b->max_ctx = n; }

SMX_API smx_status smx_builder_add(smx_builder *b, smx_op_type type, const smx_layer_cfg *cfg)
{
    if (!b || (int)type < 0 || type >= SMX_OP_COUNT) return SMX_E_ARG;
    if (!smx__layer_types[type].load) return SMX_E_UNSUPPORTED;
    if (b->n == b->cap) {
        int nc = b->cap ? 2 * b->cap : 16;
        smx_op_type *t = (smx_op_type *)SMX_REALLOC(b->type, sizeof *t * (size_t)nc);
        smx_layer_cfg *c;
        if (!t) return SMX_E_NOMEM;
        b->type = t;
        c = (smx_layer_cfg *)SMX_REALLOC(b->cfg, sizeof *c * (size_t)nc);
        if (!c) return SMX_E_NOMEM;
        b->cfg = c;
        b->cap = nc;
    }
    b->type[b->n] = type;
    if (cfg) b->cfg[b->n] = *cfg;
    else memset(&b->cfg[b->n], 0, sizeof b->cfg[b->n]);
    b->n++;
    return SMX_OK;
}

/* pattern := item*, item := letter | '(' pattern ')' 'x' count */
static smx_status smx__builder_parse(smx_builder *b, const char **p, int depth, const smx_layer_cfg *cfg)
{
    while (**p && **p != ')') {
        char c = **p;
        smx_status st;
        if (c == ' ' || c == ',' || c == '\t') { (*p)++; continue; }
        if (c == '(') {
            const char *start;
            long reps, r;
            if (depth > 8) return SMX_E_ARG;
            (*p)++;
            start = *p;
            if ((st = smx__builder_parse(b, p, depth + 1, cfg)) != SMX_OK) return st;
            if (**p != ')') return SMX_E_ARG;
            (*p)++;
            if (**p != 'x' && **p != '*') return SMX_E_ARG;
            (*p)++;
            reps = strtol(*p, (char **)p, 10);
            if (reps < 1 || reps > 4096) return SMX_E_ARG;
            for (r = 1; r < reps; r++) {   /* the group was added once while parsing */
                const char *q = start;
                if ((st = smx__builder_parse(b, &q, depth + 1, cfg)) != SMX_OK) return st;
            }
        } else {
            int k, found = -1;
            for (k = 0; k < SMX_OP_COUNT; k++)
                if (smx__layer_types[k].letter == c) found = k;
            if (found < 0) return SMX_E_ARG;
            if ((st = smx_builder_add(b, (smx_op_type)found, cfg)) != SMX_OK) return st;
            if (found != SMX_OP_MLP && found != SMX_OP_MOE && b->ffn >= 0 &&
                (st = smx_builder_add(b, (smx_op_type)b->ffn, &b->ffn_cfg)) != SMX_OK)
                return st;
            (*p)++;
        }
    }
    return SMX_OK;
}

SMX_API smx_status smx_builder_pattern(smx_builder *b, const char *pattern, const smx_layer_cfg *cfg)
{
    const char *p = pattern;
    int n0;
    smx_status st;
    if (!b || !pattern) return SMX_E_ARG;
    n0 = b->n;
    st = smx__builder_parse(b, &p, 0, cfg);
    if (st == SMX_OK && *p) st = SMX_E_ARG;   /* unbalanced ')' */
    if (st != SMX_OK) b->n = n0;              /* all or nothing */
    return st;
}

/* Append printf output to the builder's JSON buffer. */
static int smx__jsonf(smx_builder *b, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(b->json + *len, *cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0) return 0;
    if (*len + (size_t)n >= *cap) {
        size_t nc = 2 * (*cap + (size_t)n);
        char *j = (char *)SMX_REALLOC(b->json, nc);
        if (!j) return 0;
        b->json = j;
        *cap = nc;
        va_start(ap, fmt);
        vsnprintf(b->json + *len, *cap - *len, fmt, ap);
        va_end(ap);
    }
    *len += (size_t)n;
    return 1;
}

#define SMX__DEF(v, d) ((v) > 0 ? (v) : (d))

SMX_API const char *smx_builder_config(smx_builder *b)
{
    size_t len = 0, cap = 1024;
    int i, ok, d;
    if (!b) return NULL;
    d = b->width;
    SMX_FREE(b->json);
    b->json = (char *)SMX_MALLOC(cap);
    if (!b->json) return NULL;
    ok = smx__jsonf(b, &len, &cap,
                    "{\n  \"architectures\": [\"SeqmixForCausalLM\"],\n  \"model_type\": \"seqmix\",\n  \"vocab_size\": %d,\n"
                    "  \"hidden_size\": %d,\n  \"norm_eps\": 1e-05,\n  \"tie_word_embeddings\": %s,\n"
                    "  \"max_position_embeddings\": %d,\n  \"layers\": [",
                    b->vocab, d, b->tied ? "true" : "false", b->max_ctx);
    for (i = 0; i < b->n && ok; i++) {
        const smx_layer_cfg *c = &b->cfg[i];
        ok = smx__jsonf(b, &len, &cap, "%s\n    {\"type\": \"%s\"", i ? "," : "", smx__layer_types[b->type[i]].name);
        switch (b->type[i]) {
        case SMX_OP_ATTENTION: {
            int hd = SMX__DEF(c->head_dim, 64), h = SMX__DEF(c->heads, d / hd > 0 ? d / hd : 1);
            if (!c->head_dim) hd = d / h;
            ok = ok && smx__jsonf(b, &len, &cap, ", \"num_heads\": %d, \"num_kv_heads\": %d, \"head_dim\": %d, \"rope_theta\": %g, \"sliding_window\": %d",
                                  h, SMX__DEF(c->kv_heads, h), hd, c->rope_theta < 0 ? 0.0 : (double)SMX__DEF(c->rope_theta, 10000.0f), c->window);
            break;
        }
        case SMX_OP_MLP:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"intermediate_size\": %d", SMX__DEF(c->ff, 4 * d));
            break;
        case SMX_OP_MOE:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"intermediate_size\": %d, \"num_experts\": %d, \"num_experts_per_tok\": %d",
                                  SMX__DEF(c->ff, 2 * d), SMX__DEF(c->experts, 8), SMX__DEF(c->top_k, 2));
            break;
        case SMX_OP_MAMBA:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"state_size\": %d, \"expand\": %d, \"conv_kernel\": %d", SMX__DEF(c->state, 16),
                                  SMX__DEF(c->expand, 2), SMX__DEF(c->conv, 4));
            break;
        case SMX_OP_MAMBA2: {
            int hd = SMX__DEF(c->head_dim, 64), e = SMX__DEF(c->expand, 2);
            ok = ok && smx__jsonf(b, &len, &cap, ", \"num_heads\": %d, \"head_dim\": %d, \"state_size\": %d, \"n_groups\": %d, \"expand\": %d, \"conv_kernel\": %d, \"chunk_size\": %d",
                                  e * d / hd, hd, SMX__DEF(c->state, 128), SMX__DEF(c->groups, 1), e,
                                  SMX__DEF(c->conv, 4), SMX__DEF(c->chunk, 256));
            break;
        }
        case SMX_OP_MLSTM:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"num_heads\": %d, \"chunk_size\": %d", SMX__DEF(c->heads, 4), SMX__DEF(c->chunk, 64));
            break;
        case SMX_OP_SLSTM:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"num_heads\": %d, \"conv_kernel\": %d", SMX__DEF(c->heads, 4), SMX__DEF(c->conv, 4));
            break;
        case SMX_OP_SHORTCONV:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"conv_kernel\": %d", SMX__DEF(c->conv, 3));
            break;
        case SMX_OP_CFC:
            ok = ok && smx__jsonf(b, &len, &cap, ", \"backbone_units\": %d", SMX__DEF(c->units, d));
            break;
        default:
            break;
        }
        ok = ok && smx__jsonf(b, &len, &cap, "}");
    }
    ok = ok && smx__jsonf(b, &len, &cap, "\n  ]\n}\n");
    return ok ? b->json : NULL;
}

SMX_API smx_status smx_builder_build(smx_builder *b, uint64_t seed, smx_model **out, smx_error *err)
{
    const char *cfg;
    smx__ok(err);
    if (out) *out = NULL;
    if (!b || !out) return smx__fail(err, SMX_E_ARG, "smx_builder_build: builder and out must not be NULL");
    if (!b->n) return smx__fail(err, SMX_E_ARG, "smx_builder_build: no layers");
    cfg = smx_builder_config(b);
    if (!cfg) return smx__fail(err, SMX_E_NOMEM, "out of memory");
    return smx_model_from_config(cfg, seed, out, err);
}


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

/* logits [T, n_logits] for T rows of the final stream: final norm per row, one head matmul */
static void smx__head(smx_session *s, const float *h, int T, float *logits)
{
    const smx_model *m = s->m;
    float *xn = s->xn;      /* [T, d]; free after the layers ran */
    size_t i, n = (size_t)T * m->n_logits;
    int t;
    for (t = 0; t < T; t++) {
        const float *hr = h + (size_t)t * m->d;
        float *xr = xn + (size_t)t * m->d;
        if (m->fnorm == SMX__NORM_RMS) smx__rmsnorm(xr, hr, m->fnw, m->d, m->feps);
        else if (m->fnorm == SMX__NORM_LN) smx__layernorm(xr, hr, m->fnw, m->fnb, m->d, m->feps);
        else memcpy(xr, hr, sizeof(float) * (size_t)m->d);
    }
    smx__matmul(logits, xn, m->head, m->head_b, T, m->d, m->n_logits, s->nth);
    if (m->logit_cap > 0)
        for (i = 0; i < n; i++) logits[i] = m->logit_cap * tanhf(logits[i] / m->logit_cap);
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
                smx__head(s, s->h, T, logits + (size_t)done * m->n_logits);
            else if (done + T == n)
                smx__head(s, s->h + (size_t)(T - 1) * m->d, 1, logits);
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
/* ---- Masked-diffusion sampling: the reference sampler (LLaDA's generate) and its fast variants.
 *
 * Canvas x = [prompt | mask x G], L = P + G positions, split into G / BL blocks; block b spans
 * [P + b BL, P + (b+1) BL) and gets S = steps / (G / BL) steps with the transfer counts k_j of
 * smx_diffuse_schedule (from the block's masked count at its start). One step:
 *   logits = f(x)                                    the rows of every masked position before the block end
 *   cfg:     logits = un + (cfg + 1) (logits - un),  un = f(x with the original prompt positions masked)
 *   eos:     logits[eos] = -inf                      (logits_eos_inf)
 *   x0     = argmax logits                           (temperature 0; first maximum)
 *          = argmax exp(logits) / (-log u)^T         (temperature T > 0, double, u ~ U[0,1) per entry)
 *   conf   = softmax(logits)[x0]                     (low_confidence; float) or U[0,1) (random)
 *   commit x0 at the k_j masked positions of largest conf, chosen exactly as torch.topk on the CPU
 *   chooses (including its order among equal confidences).
 * Randomness comes from smx_rng streams keyed by (seed, step, position), so a run is
 * reproducible and independent of thread count; it is not the reference's torch RNG.
 *
 * Fast paths (opt-in): a confidence threshold (commit more than k_j when confident; blocks end
 * early) and reuse of the attention keys/values of the positions before the current block (a
 * full pass at the start of each block refreshes them; later steps of the block run from the
 * block start: PREFIX runs every later position too, DUAL runs the block alone and lets it see
 * the cached keys/values of the later positions, BLOCK runs the block alone and drops the later
 * positions). Fast paths consider only the current block's masked positions as candidates. */

SMX_API void smx_diffuse_default_options(smx_diffuse_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->gen_length = 128;
    o->steps = 128;
    o->block_length = 128;
    o->remasking = SMX_REMASK_LOW_CONFIDENCE;
    o->prefix_cache = SMX_CACHE_OFF;
    o->eos_id = 126081;
    o->eot_id = 126348;
    o->mask_id = -1;
}

/* k[j] = m / s + (j < m % s) */
SMX_API void smx_diffuse_schedule(int m, int s, int *k)
{
    int j;
    if (!k || s <= 0) return;
    for (j = 0; j < s; j++) k[j] = m / s + (j < m % s ? 1 : 0);
}

/* ---- torch.topk(conf, k) on the CPU, as a set. torch fills (value as double, index) pairs in
 *      index order and, with comp(a, b) = a is NaN and b is not, or a > b, calls
 *      std::partial_sort(q, q + k, q + n) when 64 k <= n and otherwise
 *      std::nth_element(q, q + k - 1, q + n); the first k pairs are the answer. Which of several
 *      equal values land inside depends on the exact moves of those algorithms, so the
 *      functions below perform the same moves as GCC's libstdc++ (heap select; introselect with
 *      median-of-three pivots and an insertion-sort finish). ---- */
typedef struct smx__tk { double v; int i; } smx__tk;

static int smx__tk_less(const smx__tk *a, const smx__tk *b)
{
    return (a->v != a->v && b->v == b->v) || a->v > b->v;
}

static void smx__tk_swap(smx__tk *a, smx__tk *b)
{
    smx__tk t = *a;
    *a = *b;
    *b = t;
}

/* Move val up from hole towards top while its parent orders before it. */
static void smx__tk_push(smx__tk *q, long hole, long top, smx__tk val)
{
    long parent = (hole - 1) / 2;
    while (hole > top && smx__tk_less(&q[parent], &val)) {
        q[hole] = q[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    q[hole] = val;
}

/* Fill the hole at `hole` by walking down to a leaf along the larger child, then push val up. */
static void smx__tk_adjust(smx__tk *q, long hole, long len, smx__tk val)
{
    long top = hole, child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (smx__tk_less(&q[child], &q[child - 1])) child--;
        q[hole] = q[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        q[hole] = q[child - 1];
        hole = child - 1;
    }
    smx__tk_push(q, hole, top, val);
}

static void smx__tk_make_heap(smx__tk *q, long len)
{
    long parent;
    if (len < 2) return;
    for (parent = (len - 2) / 2;; parent--) {
        smx__tk_adjust(q, parent, len, q[parent]);
        if (parent == 0) return;
    }
}

/* Keep in q[0, mid) the mid pairs that order first among q[0, last). */
static void smx__tk_heap_select(smx__tk *q, long mid, long last)
{
    long i;
    smx__tk_make_heap(q, mid);
    for (i = mid; i < last; i++)
        if (smx__tk_less(&q[i], &q[0])) {
            smx__tk val = q[i];
            q[i] = q[0];
            smx__tk_adjust(q, 0, mid, val);
        }
}

static void smx__tk_insertion_sort(smx__tk *q, long first, long last)
{
    long i, j;
    if (first == last) return;
    for (i = first + 1; i < last; i++) {
        smx__tk val = q[i];
        if (smx__tk_less(&val, &q[first])) {
            memmove(q + first + 1, q + first, sizeof *q * (size_t)(i - first));
            q[first] = val;
        } else {
            for (j = i; smx__tk_less(&val, &q[j - 1]); j--) q[j] = q[j - 1];
            q[j] = val;
        }
    }
}

/* Swap the median of q[a], q[b], q[c] into q[r]. */
static void smx__tk_median(smx__tk *q, long r, long a, long b, long c)
{
    if (smx__tk_less(&q[a], &q[b])) {
        if (smx__tk_less(&q[b], &q[c])) smx__tk_swap(&q[r], &q[b]);
        else if (smx__tk_less(&q[a], &q[c])) smx__tk_swap(&q[r], &q[c]);
        else smx__tk_swap(&q[r], &q[a]);
    } else if (smx__tk_less(&q[a], &q[c])) smx__tk_swap(&q[r], &q[a]);
    else if (smx__tk_less(&q[b], &q[c])) smx__tk_swap(&q[r], &q[c]);
    else smx__tk_swap(&q[r], &q[b]);
}

/* Partition q[first, last) around the pivot q[piv] (outside the range); returns the cut. */
static long smx__tk_partition(smx__tk *q, long first, long last, long piv)
{
    for (;;) {
        while (smx__tk_less(&q[first], &q[piv])) first++;
        last--;
        while (smx__tk_less(&q[piv], &q[last])) last--;
        if (!(first < last)) return first;
        smx__tk_swap(&q[first], &q[last]);
        first++;
    }
}

/* Place in q[nth] the pair that a full sort would put there, smaller ones before it. */
static void smx__tk_nth(smx__tk *q, long nth, long n)
{
    long first = 0, last = n, depth = 0, t;
    if (n == 0 || nth == n) return;
    for (t = n; t > 1; t >>= 1) depth++;   /* floor(log2 n) */
    depth *= 2;
    while (last - first > 3) {
        long mid, cut;
        if (depth == 0) {
            smx__tk_heap_select(q + first, nth + 1 - first, last - first);
            smx__tk_swap(&q[first], &q[nth]);
            return;
        }
        depth--;
        mid = first + (last - first) / 2;
        smx__tk_median(q, first, first + 1, mid, last - 1);
        cut = smx__tk_partition(q, first + 1, last, first);
        if (cut <= nth) first = cut;
        else last = cut;
    }
    smx__tk_insertion_sort(q, first, last);
}

/* After the call q[0, k) holds the k pairs torch.topk(values, k) returns (in some order). */
static void smx__tk_topk(smx__tk *q, long n, long k)
{
    if (k <= 0 || n <= 0) return;
    if (k * 64 <= n) smx__tk_heap_select(q, k, n);
    else smx__tk_nth(q, k - 1, n);
}

/* ---- One step's decision for one position ---- */
typedef struct smx__diff_ctx {
    int V, remask, eos_inf, conf_inf;
    int32_t eos, eot;
    float temp, cfg1;           /* cfg1 = cfg_scale + 1 (0: no guidance) */
    uint64_t seed;
} smx__diff_ctx;

enum { SMX__DIFF_GUMBEL = 1, SMX__DIFF_RANDOM = 2 };

/* An RNG stream of its own for (seed, what, step, position). */
static void smx__diff_rng(smx_rng *r, uint64_t seed, int what, int step, int pos)
{
    uint64_t z = seed ^ (((uint64_t)what << 58) ^ ((uint64_t)(uint32_t)step << 26) ^ (uint64_t)(uint32_t)pos) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    smx_rng_seed(r, z ^ (z >> 31));
}

/* l [V]: the conditional logits of position pos (edited in place); un [V] or NULL: unconditional.
 * Writes the predicted token and its confidence. */
static void smx__diff_decide(const smx__diff_ctx *c, float *l, const float *un, int step, int pos, int32_t *x0, float *conf)
{
    const int V = c->V;
    int v, best = 0;
    smx_rng r;
    /* guidance: l = un + (cfg + 1) (l - un), in float as the reference */
    if (un)
        for (v = 0; v < V; v++) {
            float d = l[v] - un[v];
            d *= c->cfg1;
            l[v] = un[v] + d;
        }
    if (c->eos_inf) l[c->eos] = -INFINITY;
    if (c->temp == 0.0f) {
        /* x0 = argmax l (first maximum) */
        for (v = 1; v < V; v++)
            if (l[v] > l[best]) best = v;
    } else {
        /* x0 = argmax exp(l) / (-log u)^T, in double on the raw logits */
        const double T = (double)c->temp;
        double bv = 0.0;
        smx__diff_rng(&r, c->seed, SMX__DIFF_GUMBEL, step, pos);
        for (v = 0; v < V; v++) {
            double u = smx_rng_uniform(&r), g = -log(u), val;
            if (T != 1.0) g = pow(g, T);
            val = exp((double)l[v]) / g;
            if (v == 0 || val > bv) { bv = val; best = v; }
        }
    }
    *x0 = best;
    if (c->remask == SMX_REMASK_RANDOM) {
        /* conf = U[0,1) as a float */
        smx__diff_rng(&r, c->seed, SMX__DIFF_RANDOM, step, pos);
        *conf = (float)(smx_rng_next(&r) >> 40) * (1.0f / 16777216.0f);
        return;
    }
    /* The reference's confidence_eos_eot_inf writes -inf to noisy[eos] and logits[eot]; at
     * temperature 0 noisy is the logits tensor itself, so eos is removed too. */
    if (c->conf_inf) {
        if (c->temp == 0.0f) l[c->eos] = -INFINITY;
        l[c->eot] = -INFINITY;
    }
    {
        /* conf = softmax(l)[x0] = exp(l[x0] - max) / sum_v exp(l[v] - max) */
        float mx = l[0];
        double sum = 0.0;
        for (v = 1; v < V; v++)
            if (l[v] > mx) mx = l[v];
        for (v = 0; v < V; v++) sum += (double)expf(l[v] - mx);
        *conf = (float)((double)expf(l[best] - mx) / sum);
    }
}

/* Run canvas[from, to) through s, attending to the keys/values the session holds for [0, from)
 * and, when vis > to, also for [to, vis) (kept as they are), and write the logits of the canvas
 * positions rows[0, nr) (all inside [from, to)) to logits [nr, n_logits]. The head runs only for
 * those rows, as one matrix product. */
static smx_status smx__diff_forward(smx_session *s, const int32_t *canvas, int from, int to, int vis, const int *rows,
                                    int nr, float *logits)
{
    const smx_model *m = s->m;
    const int T = to - from, d = m->d;
    int t, i;
    if (vis > to) {
#ifdef SMX__HAVE_RUN_LAYERS_CTX
        if (vis > s->pos || from < 0)
            return smx__sfail(s, SMX_E_STATE, "positions [%d, %d) are not in the session (%d held)", to, vis, s->pos);
        s->pos = from;
#else
        return smx__sfail(s, SMX_E_UNSUPPORTED, "this build's attention cannot see cached positions after the ones it runs");
#endif
    } else if (smx_session_rewind(s, from) != SMX_OK) {
        if (from != 0) return SMX_E_UNSUPPORTED;
        smx_session_reset(s);
    }
    if (T <= 0 || T > s->cap - s->pos || T > s->batch)
        return smx__sfail(s, SMX_E_CAPACITY, "%d positions at %d do not fit the session (capacity %d)", T, from, s->cap);
    /* h [T, d] = embedding rows of the canvas */
    for (t = 0; t < T; t++) memcpy(s->h + (size_t)t * d, m->embed + (size_t)canvas[from + t] * d, sizeof(float) * (size_t)d);
#ifdef SMX__HAVE_RUN_LAYERS_CTX
    smx__run_layers_ctx(s, T, NULL, vis > to ? vis : 0);
#else
    smx__run_layers(s, T, NULL);
#endif
    s->pos = vis > to ? vis : to;
    if (nr <= 0) return SMX_OK;
    /* xn [nr, d] = final_norm(h[rows - from]);  logits [nr, n_logits] = xn head^T (+ b) */
    for (i = 0; i < nr; i++) {
        const float *hr = s->h + (size_t)(rows[i] - from) * d;
        float *xr = s->xn + (size_t)i * d;
        if (m->fnorm == SMX__NORM_RMS) smx__rmsnorm(xr, hr, m->fnw, d, m->feps);
        else if (m->fnorm == SMX__NORM_LN) smx__layernorm(xr, hr, m->fnw, m->fnb, d, m->feps);
        else memcpy(xr, hr, sizeof(float) * (size_t)d);
    }
    smx__matmul(logits, s->xn, m->head, m->head_b, nr, d, m->n_logits, s->nth);
    if (m->logit_cap > 0) {
        size_t k, n = (size_t)nr * m->n_logits;
        for (k = 0; k < n; k++) logits[k] = m->logit_cap * tanhf(logits[k] / m->logit_cap);
    }
    return SMX_OK;
}

/* 1 if every position may attend to every other: the model's flag says so, or (for a builder
 * that leaves the flag at its default) no layer keeps a recurrent state and no attention layer
 * is causal. */
static int smx__diff_bidirectional(const smx_model *m)
{
    int i;
    if (!m->causal) return 1;
    for (i = 0; i < m->n_sub; i++) {
        const smx__op *op = m->sub[i].op;
        if (smx__op_state(op, 0) != 0) return 0;
        if (op->vt == &smx__attn_vt && ((const smx__attn *)op)->causal) return 0;
        if (op->vt != &smx__attn_vt && smx__op_state(op, 1) != 0) return 0;
    }
    return 1;
}

/* Validate the options against the model and the prompt. */
static smx_status smx__diff_check(const smx_model *m, const int32_t *prompt, int n_prompt, const smx_diffuse_options *o,
                                  int32_t mask, int out_cap, smx_error *err)
{
    int i, V, nb;
    if (m->kind != SMX_KIND_TOKENS) return smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: the model takes feature vectors, not tokens");
    if (!smx__diff_bidirectional(m)) return smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: %s attends causally; masked diffusion needs a bidirectional model", m->arch);
    V = m->n_logits;
    if (V > m->vocab) return smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: the head has %d rows but the embedding only %d", V, m->vocab);
    if (mask < 0 || mask >= V)
        return smx__fail(err, mask < 0 ? SMX_E_UNSUPPORTED : SMX_E_RANGE, "diffusion: mask token %ld is not in the vocabulary [0, %d)%s",
                         (long)mask, V, mask < 0 ? " (the model has no mask_token_id; set mask_id)" : "");
    if (n_prompt < 0 || (n_prompt > 0 && !prompt)) return smx__fail(err, SMX_E_ARG, "diffusion: prompt of %d tokens is invalid", n_prompt);
    if (o->gen_length <= 0) return smx__fail(err, SMX_E_ARG, "diffusion: gen_length must be positive (found %d)", o->gen_length);
    if (o->block_length <= 0) return smx__fail(err, SMX_E_ARG, "diffusion: block_length must be positive (found %d)", o->block_length);
    if (o->gen_length % o->block_length)
        return smx__fail(err, SMX_E_ARG, "diffusion: gen_length %d is not a multiple of block_length %d", o->gen_length, o->block_length);
    nb = o->gen_length / o->block_length;
    if (o->steps <= 0 || o->steps % nb)
        return smx__fail(err, SMX_E_ARG, "diffusion: steps %d must be a positive multiple of the number of blocks %d (gen_length / block_length)",
                         o->steps, nb);
    if (!(o->temperature >= 0.0f) || o->temperature > 1e30f)
        return smx__fail(err, SMX_E_ARG, "diffusion: temperature must be >= 0 and finite (found %g)", (double)o->temperature);
    if (!(o->cfg_scale >= 0.0f) || o->cfg_scale > 1e30f)
        return smx__fail(err, SMX_E_ARG, "diffusion: cfg_scale must be >= 0 and finite (found %g)", (double)o->cfg_scale);
    if (!(o->threshold >= 0.0f)) return smx__fail(err, SMX_E_ARG, "diffusion: threshold must be >= 0 (found %g)", (double)o->threshold);
    if (o->remasking != SMX_REMASK_LOW_CONFIDENCE && o->remasking != SMX_REMASK_RANDOM)
        return smx__fail(err, SMX_E_ARG, "diffusion: remasking %d is not low_confidence (0) or random (1)", o->remasking);
    if (o->prefix_cache < SMX_CACHE_OFF || o->prefix_cache > SMX_CACHE_BLOCK)
        return smx__fail(err, SMX_E_ARG, "diffusion: prefix_cache %d is not off (0), prefix (1), dual (2) or block (3)", o->prefix_cache);
#ifndef SMX__HAVE_RUN_LAYERS_CTX
    if (o->prefix_cache == SMX_CACHE_DUAL)
        return smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: the dual cache is not available in this build");
#endif
    if (o->n_threads < 0) return smx__fail(err, SMX_E_ARG, "diffusion: n_threads must be >= 0");
    if ((o->logits_eos_inf || o->confidence_eos_eot_inf) && (o->eos_id < 0 || o->eos_id >= V))
        return smx__fail(err, SMX_E_RANGE, "diffusion: eos_id %ld is not in the vocabulary [0, %d)", (long)o->eos_id, V);
    if (o->confidence_eos_eot_inf && (o->eot_id < 0 || o->eot_id >= V))
        return smx__fail(err, SMX_E_RANGE, "diffusion: eot_id %ld is not in the vocabulary [0, %d)", (long)o->eot_id, V);
    for (i = 0; i < n_prompt; i++)
        if (prompt[i] < 0 || prompt[i] >= V)
            return smx__fail(err, SMX_E_RANGE, "diffusion: prompt token %ld at index %d is outside the vocabulary [0, %d)", (long)prompt[i], i, V);
    if (o->gen_length > INT_MAX / 4 - n_prompt || (m->max_ctx > 0 && n_prompt + o->gen_length > m->max_ctx))
        return smx__fail(err, SMX_E_CAPACITY, "diffusion: %d prompt + %d generated tokens exceed the model's context of %d", n_prompt,
                         o->gen_length, m->max_ctx);
    if (out_cap < n_prompt + o->gen_length)
        return smx__fail(err, SMX_E_ARG, "diffusion: out has room for %d tokens, the canvas needs %d", out_cap, n_prompt + o->gen_length);
    return SMX_OK;
}

SMX_API smx_status smx_diffuse(const smx_model *m, const int32_t *prompt, int n_prompt, const smx_diffuse_options *opt,
                               int32_t *out, int out_cap, smx_diffuse_stats *stats, smx_error *err)
{
    smx_diffuse_options o;
    smx_diffuse_stats stt;
    smx_error tmp;
    smx__diff_ctx c;
    smx_session_options so;
    smx_session *sc = NULL, *su = NULL;
    float *lc = NULL, *lu = NULL, *conf = NULL;     /* [maxr, V], [maxr, V], [maxr] */
    int32_t *x0 = NULL, *x0full = NULL, *unx = NULL; /* [maxr], [L], [L] */
    int *rows = NULL, *sched = NULL;                 /* [maxr], [S] */
    unsigned char *in_prompt = NULL;                 /* [L] original prompt positions (not mask) */
    smx__tk *q = NULL;                               /* [L] */
    int32_t mask;
    int L, G, BL, nb, S, V, maxr, fast, b, i, p, gstep = 0, nth;
    smx_status st = SMX_OK;
    if (!err) err = &tmp;
    smx__ok(err);
    memset(&stt, 0, sizeof stt);
    if (stats) *stats = stt;
    if (!m || !out) return smx__fail(err, SMX_E_ARG, "smx_diffuse: model and out must not be NULL");
    if (opt) o = *opt;
    else smx_diffuse_default_options(&o);
    mask = o.mask_id >= 0 ? o.mask_id : m->mask_token;
    if ((st = smx__diff_check(m, prompt, n_prompt, &o, mask, out_cap, err)) != SMX_OK) return st;
    G = o.gen_length; BL = o.block_length; nb = G / BL; S = o.steps / nb;
    L = n_prompt + G; V = m->n_logits;
    fast = o.threshold > 0.0f || o.prefix_cache != SMX_CACHE_OFF;
    /* exact: candidates are every masked position before the block end (mask tokens in the
     * prompt included, as in the reference); fast: the block's masked positions only */
    maxr = BL;
    if (!fast)
        for (p = 0; p < n_prompt; p++) maxr += prompt[p] == mask;
    memset(&c, 0, sizeof c);
    c.V = V; c.remask = o.remasking; c.eos_inf = o.logits_eos_inf; c.conf_inf = o.confidence_eos_eot_inf;
    c.eos = o.eos_id; c.eot = o.eot_id; c.temp = o.temperature; c.cfg1 = o.cfg_scale > 0.0f ? (float)((double)o.cfg_scale + 1.0) : 0.0f;
    c.seed = o.seed;

    memset(&so, 0, sizeof so);
    so.capacity = L;
    so.batch = L;                   /* the whole canvas in one pass */
    so.n_threads = o.n_threads;
    if ((st = smx_session_new(m, &so, &sc, err)) != SMX_OK) goto done;
    if (o.cfg_scale > 0.0f && (st = smx_session_new(m, &so, &su, err)) != SMX_OK) goto done;
    nth = sc->nth;
    (void)nth;                      /* used by the OpenMP loop only */
    if (o.prefix_cache != SMX_CACHE_OFF && smx_session_rewind(sc, 0) != SMX_OK) {
        st = smx__fail(err, SMX_E_UNSUPPORTED, "diffusion: prefix_cache needs a model whose layers can rewind (%s)", smx_session_error(sc));
        goto done;
    }
    lc = (float *)SMX_MALLOC(sizeof(float) * (size_t)maxr * V);
    lu = su ? (float *)SMX_MALLOC(sizeof(float) * (size_t)maxr * V) : NULL;
    conf = (float *)SMX_MALLOC(sizeof(float) * (size_t)maxr);
    x0 = (int32_t *)SMX_MALLOC(sizeof(int32_t) * (size_t)maxr);
    x0full = (int32_t *)SMX_MALLOC(sizeof(int32_t) * (size_t)L);
    unx = (int32_t *)SMX_MALLOC(sizeof(int32_t) * (size_t)L);
    rows = (int *)SMX_MALLOC(sizeof(int) * (size_t)maxr);
    sched = (int *)SMX_MALLOC(sizeof(int) * (size_t)S);
    in_prompt = (unsigned char *)SMX_MALLOC((size_t)L);
    q = (smx__tk *)SMX_MALLOC(sizeof(smx__tk) * (size_t)L);
    if (!lc || (su && !lu) || !conf || !x0 || !x0full || !unx || !rows || !sched || !in_prompt || !q) {
        st = smx__fail(err, SMX_E_NOMEM, "diffusion: out of memory for %d candidate rows of %d logits", maxr, V);
        goto done;
    }
    /* x = [prompt | mask ...]; the unconditional canvas masks the original prompt positions */
    for (p = 0; p < L; p++) {
        out[p] = p < n_prompt ? prompt[p] : mask;
        in_prompt[p] = (unsigned char)(p < n_prompt && prompt[p] != mask);
    }

    for (b = 0; b < nb && !stt.stopped; b++) {
        const int bs = n_prompt + b * BL, be = bs + BL;
        int j, nmask = 0;
        for (p = bs; p < be; p++) nmask += out[p] == mask;
        smx_diffuse_schedule(nmask, S, sched);
        for (j = 0; fast || j < S; j++) {
            int nr = 0, kk = j < S ? sched[j] : 0;
            for (p = fast ? bs : 0; p < be && nr < maxr; p++)
                if (out[p] == mask) rows[nr++] = p;
            if (fast && nr == 0) break;
            if (nr > 0) {
                /* which positions run: the whole canvas, or from the block start on (PREFIX),
                 * the block with the cached later positions visible (DUAL), the block alone (BLOCK) */
                int from = 0, to = L, vis = 0;
                if (fast && o.prefix_cache != SMX_CACHE_OFF && j > 0) {
                    from = bs;
                    if (o.prefix_cache != SMX_CACHE_PREFIX) to = be;
                    if (o.prefix_cache == SMX_CACHE_DUAL) vis = L;
                }
                if ((st = smx__diff_forward(sc, out, from, to, vis, rows, nr, lc)) != SMX_OK) {
                    smx__fail(err, st, "diffusion: %s", smx_session_error(sc));
                    goto done;
                }
                stt.forwards++;
                stt.tokens += to - from;
                if (su) {
                    for (p = 0; p < L; p++) unx[p] = in_prompt[p] ? mask : out[p];
                    if ((st = smx__diff_forward(su, unx, from, to, vis, rows, nr, lu)) != SMX_OK) {
                        smx__fail(err, st, "diffusion: %s", smx_session_error(su));
                        goto done;
                    }
                    stt.forwards++;
                    stt.tokens += to - from;
                }
                /* x0, conf per candidate row */
                SMX__OMP_FOR_DYN(nth)
                for (i = 0; i < nr; i++)
                    smx__diff_decide(&c, lc + (size_t)i * V, lu ? lu + (size_t)i * V : NULL, gstep, rows[i], &x0[i], &conf[i]);
                /* conf over the canvas: -inf except at the candidates; x0 = where(mask, x0, x) */
                for (p = 0; p < L; p++) {
                    q[p].v = -HUGE_VAL;
                    q[p].i = p;
                    x0full[p] = out[p];
                }
                for (i = 0; i < nr; i++) {
                    q[rows[i]].v = (double)conf[i];
                    x0full[rows[i]] = x0[i];
                }
                if (fast) {
                    /* at least the scheduled count and one; more where conf >= threshold */
                    if (j >= S) kk = nr;
                    if (o.threshold > 0.0f) {
                        int pass = 0;
                        for (i = 0; i < nr; i++) pass += conf[i] >= o.threshold;
                        kk = SMX__MAX(kk, pass);
                    }
                    kk = SMX__MIN(SMX__MAX(kk, 1), nr);
                }
                smx__tk_topk(q, L, kk);
                for (i = 0; i < kk; i++) out[q[i].i] = x0full[q[i].i];
            }
            stt.steps++;
            if (o.callback && o.callback(out, L, gstep, o.user)) stt.stopped = 1;
            gstep++;
            if (stt.stopped) break;
        }
    }
done:
    if (stats) *stats = stt;
    smx_session_free(sc);
    smx_session_free(su);
    SMX_FREE(lc); SMX_FREE(lu); SMX_FREE(conf); SMX_FREE(x0); SMX_FREE(x0full); SMX_FREE(unx);
    SMX_FREE(rows); SMX_FREE(sched); SMX_FREE(in_prompt); SMX_FREE(q);
    return st;
}


#ifdef SMX__GCC12_PUSHED
#pragma GCC diagnostic pop
#endif
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
 *   0.1.0  first release: loader, sessions, state blobs; attention, MLP, MoE, Mamba, Mamba-2,
 *          mLSTM, sLSTM, short conv, CfC, LTC operators; Llama, LLaDA (with its sampler), Mamba,
 *          Mamba-2, Jamba, Bamba, xLSTM, xLSTM LM, LFM2, CfC, wired CfC, LTC families; builder.
 */
