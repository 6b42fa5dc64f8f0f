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
/* Threads a session uses by default: the physical cores this process may use (cgroup quota
 * included); 1 in a build with SMX_NO_THREADS. */
SMX_API int smx_default_threads(void);

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
    int n_layers;               /* sub-layers (norm -> op -> residual): one letter of pattern each */
    int n_blocks;               /* layers as the config counts them (a block may hold several sub-layers) */
    int input_size, output_size;/* feature models */
    int causal;                 /* 0 for bidirectional (masked-diffusion) models */
    int max_context;            /* from the config; 0 = none */
    size_t n_params;
    size_t weight_bytes;        /* bytes of the weights as held in memory (each in its type) */
    size_t step_weight_bytes;   /* weight bytes one decode step reads: all but the embedding rows of other
                                 * tokens (an untied embedding) and the experts a token is not routed to */
    size_t state_bytes;         /* fixed per-sequence state (recurrent layers) */
    size_t kv_bytes_per_token;  /* growing per-sequence state (attention layers) */
} smx_model_info;

/* Load a Hugging Face folder: config.json + model.safetensors (or model.safetensors.index.json
 * with shards). Weight matrices stay in the type they are stored in (F32, F16, BF16) and are
 * used in place from the mapped file where they are 64-byte aligned; small parameters (norms,
 * biases, conv kernels, SSM parameters) become float32. The model owns everything it needs:
 * free it with smx_model_free after every session made from it. A loaded model is read-only:
 * any number of threads may run their own sessions on it at once. */
SMX_API smx_status smx_model_load(const char *dir, smx_model **out, smx_error *err);

/* A file handed over in memory: its name as it would be in the folder ("config.json",
 * "model.safetensors", a shard named by the index, "tokenizer.json", ...). */
typedef struct smx_file { const char *name; const void *data; size_t size; } smx_file;

typedef struct smx_load_options {
    const char *weights;        /* type the weight matrices are held in: NULL or "stored" (as in the file),
                                 * "f32", "f16", "bf16" (converted at load) */
    int copy;                   /* 1: read the weights into memory instead of mapping the files. A mapped model
                                 * faults (SIGBUS) if another process truncates its file while it runs */
    const smx_file *files;      /* load from these buffers (path NULL); the caller keeps them alive and
                                 * unchanged while the model lives, since aligned weights are used in place */
    int n_files;
    /* limits that make a hostile file fail fast; 0 takes the default shown */
    size_t max_text_bytes;      /* config.json, index and tokenizer text: 64 MiB */
    int max_layers;             /* sub-layers: 65536 */
    size_t max_generated_bytes; /* weights of a generated model (smx_model_from_config): 16 GiB */
} smx_load_options;

/* path: a model folder (or NULL with opt->files). opt may be NULL (the defaults). */
SMX_API smx_status smx_model_load_ex(const char *path, const smx_load_options *opt, smx_model **out, smx_error *err);
SMX_API void smx_load_default_options(smx_load_options *o);
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
    int n_threads;  /* 0 = smx_default_threads(); 1 = the caller's thread only */
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
/* Logits [vocab] of the last position run (after a prefill, step or state load): a restored
 * session can sample at once. SMX_E_STATE after a reset or rewind, before another token runs. */
SMX_API smx_status smx_session_logits(smx_session *s, float *logits);
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
/* Draw a token from logits [n] into *token: greedy (argmax) at temperature <= 0, where rng and
 * work may be NULL; otherwise softmax(logits / temperature) restricted to the top_k most likely
 * and then to the smallest set whose mass reaches top_p, drawn with rng. work: caller-owned
 * scratch of smx_sample_work_bytes(n) bytes (no allocation here; safe from several threads with
 * separate rng and work). err may be NULL. */
SMX_API size_t smx_sample_work_bytes(int n);
SMX_API smx_status smx_sample(const float *logits, int n, const smx_sampler *p, smx_rng *rng, void *work, int32_t *token,
                              smx_error *err);

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

/* The layer types a stack can hold: X(ID, name, pattern letter, what it is). smx_op_type, the
 * pattern letters and the layer "type" names of a seqmix config.json all come from this list. */
#define SMX_LAYER_TYPES(X)                                                                   \
    X(ATTENTION, attention, 'A', "causal attention (GQA, RoPE, sliding window)")             \
    X(MLP, mlp, 'F', "SwiGLU feed-forward")                                                  \
    X(MOE, moe, 'E', "mixture of SwiGLU experts")                                            \
    X(MAMBA, mamba, 'M', "Mamba selective scan")                                             \
    X(MAMBA2, mamba2, '2', "Mamba-2 (SSD)")                                                  \
    X(MLSTM, mlstm, 'X', "mLSTM (xLSTM-7B form)")                                            \
    X(SLSTM, slstm, 'S', "sLSTM")                                                            \
    X(SHORTCONV, shortconv, 'C', "LFM2 short convolution")                                   \
    X(CFC, cfc, 'L', "closed-form continuous-time cell (CfC)")

typedef enum smx_op_type {
#define SMX__OP_ENUM(ID, id, letter, doc) SMX_OP_##ID,
    SMX_LAYER_TYPES(SMX__OP_ENUM)
#undef SMX__OP_ENUM
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
SMX_API smx_status smx_builder_set_ffn(smx_builder *b, int ffn, const smx_layer_cfg *cfg);
SMX_API void smx_builder_set_tied(smx_builder *b, int tied);
SMX_API smx_status smx_builder_set_max_context(smx_builder *b, int n);
/* One sub-layer (pre-norm, residual). cfg may be NULL for the defaults. */
SMX_API smx_status smx_builder_add(smx_builder *b, smx_op_type type, const smx_layer_cfg *cfg);
/* Letters of SMX_LAYER_TYPES, groups "(...)xN" (N <= 4096, nesting <= 8), spaces ignored; each
 * mixer is followed by the builder's ffn. E.g. "(M M M A)x6". cfg (may be NULL) applies to all.
 * All or nothing: on an error no layer is added and smx_builder_error names the offset. */
SMX_API smx_status smx_builder_pattern(smx_builder *b, const char *pattern, const smx_layer_cfg *cfg);
/* The config.json text of the stack (owned by the builder). */
SMX_API const char *smx_builder_config(smx_builder *b);
SMX_API smx_status smx_builder_build(smx_builder *b, uint64_t seed, smx_model **out, smx_error *err);
SMX_API const char *smx_op_name(smx_op_type type);
/* The message of the builder's last failure. */
SMX_API const char *smx_builder_error(const smx_builder *b);
/* What each letter of smx_model_info.pattern means (all operator types, not only buildable ones). */
SMX_API const char *smx_op_legend(void);


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

#if defined(__unix__) || defined(__APPLE__)
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#elif defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <sys/stat.h>
#endif
#if !defined(SMX_NO_MMAP) && (defined(__unix__) || defined(__APPLE__))
#define SMX__MMAP 1
#include <sys/mman.h>
#else
#define SMX__MMAP 0
#endif

/* Most threads a session or a diffusion run uses (larger requests are cut to this). */
#ifndef SMX_MAX_THREADS
#define SMX_MAX_THREADS 256
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

/* A growing string (JSON and report text); after a failed allocation it stays failed. */
typedef struct smx__sb { char *s; size_t len, cap; int failed; } smx__sb;

static void smx__sb_printf(smx__sb *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (b->failed) return;
    va_start(ap, fmt);
    n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) { b->failed = 1; return; }
    if (!b->s || b->len + (size_t)n >= b->cap) {
        size_t nc = 2 * (b->cap + (size_t)n) + 64;
        char *t = (char *)SMX_REALLOC(b->s, nc);
        if (!t) { b->failed = 1; return; }
        b->s = t;
        b->cap = nc;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
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

/* ---- Threads ----
 * Parallel loops are tasks: smx__par(cx, nth, n, fn, arg) runs fn(arg, i, tid) for every i in
 * [0, n) on up to nth threads of the context's pool, handing tasks out one at a time from a shared
 * counter (a thread slowed by other work on its core takes fewer), tid in [0, nth) naming the
 * thread for per-thread scratch. One function decides whether a loop is worth threading: below
 * about 10^5 multiply-adds a parallel region costs more than it saves.
 *
 * Each session owns a pool of n_threads - 1 workers (POSIX threads or Windows threads; none with
 * SMX_NO_THREADS, where every loop runs on the caller). Between jobs a worker spins for a few
 * microseconds (the next loop of a forward pass comes that soon) and then sleeps on a condition
 * variable, so idle workers cost nothing and a busy machine is not made busier. */
typedef void (*smx__task_fn)(void *arg, int task, int tid);

#if !defined(SMX_NO_THREADS) && (defined(_WIN32) || defined(__unix__) || defined(__APPLE__))
#define SMX__THREADS 1
#else
#define SMX__THREADS 0
#endif

#if SMX__THREADS && defined(_WIN32)
typedef HANDLE smx__thread;
typedef CRITICAL_SECTION smx__mutex;
typedef CONDITION_VARIABLE smx__cond;
#define smx__mutex_init(m) InitializeCriticalSection(m)
#define smx__mutex_destroy(m) DeleteCriticalSection(m)
#define smx__mutex_lock(m) EnterCriticalSection(m)
#define smx__mutex_unlock(m) LeaveCriticalSection(m)
#define smx__cond_init(c) InitializeConditionVariable(c)
#define smx__cond_destroy(c) ((void)(c))
#define smx__cond_wait(c, m) SleepConditionVariableCS(c, m, INFINITE)
#define smx__cond_broadcast(c) WakeAllConditionVariable(c)
#elif SMX__THREADS
#include <pthread.h>
#include <sched.h>
typedef pthread_t smx__thread;
typedef pthread_mutex_t smx__mutex;
typedef pthread_cond_t smx__cond;
#define smx__mutex_init(m) pthread_mutex_init(m, NULL)
#define smx__mutex_destroy(m) pthread_mutex_destroy(m)
#define smx__mutex_lock(m) pthread_mutex_lock(m)
#define smx__mutex_unlock(m) pthread_mutex_unlock(m)
#define smx__cond_init(c) pthread_cond_init(c, NULL)
#define smx__cond_destroy(c) pthread_cond_destroy(c)
#define smx__cond_wait(c, m) pthread_cond_wait(c, m)
#define smx__cond_broadcast(c) pthread_cond_broadcast(c)
#endif

/* Sequentially consistent atomics on a long. */
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#define smx__atomic_add(p, v) (_InterlockedExchangeAdd((volatile long *)(p), (long)(v)) + (long)(v))
#define smx__atomic_load(p) _InterlockedOr((volatile long *)(p), 0)
#define smx__atomic_store(p, v) ((void)_InterlockedExchange((volatile long *)(p), (long)(v)))
#define smx__pause() _mm_pause()
#else
#define smx__atomic_add(p, v) __atomic_add_fetch(p, (long)(v), __ATOMIC_SEQ_CST)
#define smx__atomic_load(p) __atomic_load_n(p, __ATOMIC_SEQ_CST)
#define smx__atomic_store(p, v) __atomic_store_n(p, (long)(v), __ATOMIC_SEQ_CST)
#if defined(__x86_64__) || defined(__i386__)
#define smx__pause() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define smx__pause() __asm__ __volatile__("yield")
#else
#define smx__pause() ((void)0)
#endif
#endif

#define SMX__SPIN 4000   /* pause iterations a worker spins before it sleeps (a few microseconds) */

typedef struct smx__pool {
    int n;                      /* workers (threads besides the caller) */
#if SMX__THREADS
    smx__thread *th;
    smx__mutex mu;
    smx__cond cv;
#endif
    volatile long gen;          /* job number: workers start a job when it changes */
    volatile long next;         /* the next task to hand out */
    volatile long done;         /* workers finished with the current job */
    volatile long sleeping;     /* workers waiting on cv */
    volatile long quit;
    smx__task_fn fn;            /* the current job: fn(arg, i, tid) for i < n_tasks, on the first active workers */
    void *arg;
    int n_tasks, active;
} smx__pool;

/* Per-call compute context handed to operators and kernels. */
typedef struct smx__cx {
    int nth;                    /* threads the call may use (the caller and nth - 1 workers) */
    smx__pool *pool;            /* NULL: the caller alone */
} smx__cx;

#define SMX__PAR_MIN_WORK 131072.0
static int smx__nth_for(double work, int nth) { return work < SMX__PAR_MIN_WORK ? 1 : nth; }

/* Run the current job's tasks as thread tid until none are left. */
SMX__MAYBE_UNUSED static void smx__pool_work(smx__pool *p, int tid)
{
    long i;
    while ((i = smx__atomic_add(&p->next, 1) - 1) < p->n_tasks) p->fn(p->arg, (int)i, tid);
}

#if SMX__THREADS
typedef struct smx__worker { smx__pool *p; int tid; } smx__worker;

#ifdef _WIN32
static DWORD WINAPI smx__worker_main(LPVOID arg)
#else
static void *smx__worker_main(void *arg)
#endif
{
    smx__pool *p = ((smx__worker *)arg)->p;
    int tid = ((smx__worker *)arg)->tid, k;
    long seen = 0;
    SMX_FREE(arg);
    for (;;) {
        for (k = 0; k < SMX__SPIN && smx__atomic_load(&p->gen) == seen && !smx__atomic_load(&p->quit); k++) smx__pause();
        if (smx__atomic_load(&p->gen) == seen && !smx__atomic_load(&p->quit)) {
            smx__mutex_lock(&p->mu);
            smx__atomic_add(&p->sleeping, 1);
            while (smx__atomic_load(&p->gen) == seen && !smx__atomic_load(&p->quit)) smx__cond_wait(&p->cv, &p->mu);
            smx__atomic_add(&p->sleeping, -1);
            smx__mutex_unlock(&p->mu);
        }
        if (smx__atomic_load(&p->quit)) break;
        seen = smx__atomic_load(&p->gen);
        if (tid <= p->active) smx__pool_work(p, tid);
        smx__atomic_add(&p->done, 1);
    }
#ifdef _WIN32
    return 0;
#else
    return NULL;
#endif
}
#endif

static void smx__pool_free(smx__pool *p)
{
    if (!p) return;
#if SMX__THREADS
    {
        int i;
        smx__mutex_lock(&p->mu);
        smx__atomic_store(&p->quit, 1);
        smx__cond_broadcast(&p->cv);
        smx__mutex_unlock(&p->mu);
        for (i = 0; i < p->n; i++) {
#ifdef _WIN32
            WaitForSingleObject(p->th[i], INFINITE);
            CloseHandle(p->th[i]);
#else
            pthread_join(p->th[i], NULL);
#endif
        }
        smx__cond_destroy(&p->cv);
        smx__mutex_destroy(&p->mu);
        SMX_FREE(p->th);
    }
#endif
    SMX_FREE(p);
}

/* A pool of n workers; NULL when threads are unavailable or could not be created (every loop
 * then runs on the caller: slower, never wrong). */
static smx__pool *smx__pool_new(int n)
{
#if SMX__THREADS
    smx__pool *p;
    int i;
    if (n <= 0) return NULL;
    p = (smx__pool *)SMX_MALLOC(sizeof *p);
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->th = (smx__thread *)SMX_MALLOC(sizeof(smx__thread) * (size_t)n);
    if (!p->th) { SMX_FREE(p); return NULL; }
    smx__mutex_init(&p->mu);
    smx__cond_init(&p->cv);
    for (i = 0; i < n; i++) {
        smx__worker *w = (smx__worker *)SMX_MALLOC(sizeof *w);
        int ok;
        if (!w) break;
        w->p = p;
        w->tid = i + 1;
#ifdef _WIN32
        p->th[i] = CreateThread(NULL, 0, smx__worker_main, w, 0, NULL);
        ok = p->th[i] != NULL;
#else
        ok = pthread_create(&p->th[i], NULL, smx__worker_main, w) == 0;
#endif
        if (!ok) { SMX_FREE(w); break; }
        p->n++;
    }
    if (p->n == 0) { smx__pool_free(p); return NULL; }
    return p;
#else
    (void)n;
    return NULL;
#endif
}

#if defined(__linux__) && SMX__THREADS
/* The first integer of file path, or -1. */
static long smx__read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1) v = -1;
        fclose(f);
    }
    return v;
}
#endif

/* Threads a session uses by default: the physical cores this process may run on (logical CPUs
 * sharing a core count once), capped by a cgroup CPU quota; 1 where that cannot be read. */
SMX_API int smx_default_threads(void)
{
#if SMX__THREADS && defined(_WIN32)
    DWORD len = 0, i, n = 0;
    SYSTEM_LOGICAL_PROCESSOR_INFORMATION *info;
    GetLogicalProcessorInformation(NULL, &len);
    info = (SYSTEM_LOGICAL_PROCESSOR_INFORMATION *)SMX_MALLOC(len ? len : 1);
    if (!info) return 1;
    if (GetLogicalProcessorInformation(info, &len))
        for (i = 0; i < len / sizeof *info; i++) n += info[i].Relationship == RelationProcessorCore;
    SMX_FREE(info);
    return n > 0 ? (int)SMX__MIN(n, (DWORD)SMX_MAX_THREADS) : 1;
#elif SMX__THREADS && defined(__linux__)
    /* allowed CPUs from /proc/self/status (Cpus_allowed_list: "0-3,8,10-11"), one per core */
    char line[4096], path[128];
    long cores[SMX_MAX_THREADS];
    int nc = 0, found = 0;
    long quota = -1, period = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "Cpus_allowed_list:", 18)) { found = 1; break; }
        fclose(f);
    }
    if (found) {
        char *q = line + 18;
        while (*q && nc < SMX_MAX_THREADS) {
            long a, b, c, k;
            char *e;
            while (*q == ' ' || *q == '\t' || *q == ',') q++;
            if (*q < '0' || *q > '9') break;
            a = strtol(q, &e, 10);
            b = a;
            if (*e == '-') b = strtol(e + 1, &e, 10);
            for (c = a; c <= b && c - a < 4096 && nc < SMX_MAX_THREADS; c++) {
                long id;
                snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/topology/core_id", c);
                id = smx__read_long(path);
                snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/topology/physical_package_id", c);
                id = id < 0 ? c : id * 65536 + SMX__MAX(smx__read_long(path), 0L);
                for (k = 0; k < nc && cores[k] != id; k++) {}
                if (k == nc) cores[nc++] = id;
            }
            q = e;
        }
    }
    f = fopen("/sys/fs/cgroup/cpu.max", "r");   /* "max 100000" or "200000 100000" */
    if (f) {
        if (fscanf(f, "%ld %ld", &quota, &period) != 2) quota = -1;
        fclose(f);
    }
    if (nc <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nc = n > 0 ? (int)SMX__MIN(n, (long)SMX_MAX_THREADS) : 1;
    }
    if (quota > 0 && period > 0 && (quota + period - 1) / period < nc) nc = (int)((quota + period - 1) / period);
    return nc > 0 ? nc : 1;
#elif SMX__THREADS && defined(_SC_NPROCESSORS_ONLN)
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)SMX__MIN(n, (long)SMX_MAX_THREADS) : 1;
#else
    return 1;
#endif
}

static void smx__par(const smx__cx *cx, int nth, int n, smx__task_fn fn, void *arg)
{
    smx__pool *p = cx->pool;
    int i;
    if (nth > cx->nth) nth = cx->nth;
    if (nth > n) nth = n;
    if (!p || nth <= 1) {
        for (i = 0; i < n; i++) fn(arg, i, 0);
        return;
    }
#if SMX__THREADS
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n;
    p->active = SMX__MIN(nth - 1, p->n);
    smx__atomic_store(&p->next, 0);
    smx__atomic_store(&p->done, 0);
    smx__atomic_add(&p->gen, 1);
    if (smx__atomic_load(&p->sleeping) > 0) {
        smx__mutex_lock(&p->mu);
        smx__cond_broadcast(&p->cv);
        smx__mutex_unlock(&p->mu);
    }
    smx__pool_work(p, 0);
    for (i = 0; smx__atomic_load(&p->done) < p->n; i++) {   /* every worker checks in, the idle ones too */
        if (i < SMX__SPIN) smx__pause();
        else {
#ifdef _WIN32
            SwitchToThread();
#else
            sched_yield();
#endif
        }
    }
#endif
}

/* ===================================================================================== */
/* II.2 JSON parser (RFC 8259)                                                           */
/* ===================================================================================== */
/* A strict recursive-descent parser into a small DOM in an arena. The one extension, off by
 * default, accepts the bare NaN/Infinity/-Infinity that Python's json module writes (nonfinite
 * 1), or Infinity/-Infinity only (2, for config.json, where a NaN can only be a defect). Errors
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
        if (p->nonfinite != 1 || !smx__jlit(p, "NaN")) return smx__jerr(p, p->nonfinite == 2 ? "NaN is not a number a config may hold" : "bad literal");
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
/* II.3 Kernels                                                                          */
/* ===================================================================================== */
/* Everything that touches vector registers lives here; operators call these functions and
 * never the intrinsics. One small macro layer maps a vector of SMX__VW floats onto AVX-512,
 * AVX2+FMA or NEON (chosen from the compiler's own macros; SMX_NO_SIMD forces scalar, where a
 * "vector" is one float and every loop below still runs). Each kernel has a plain scalar twin
 * (_ref) that the tests compare with.
 *   a. the SIMD mapping layer and vector math (exp, log, sigmoid, SiLU, softplus)
 *   b. element-wise functions, reductions, norms, softmax, rotary embedding
 *   c. matrix products of activations (smx__gemm)
 *   d. weight types and the matrix product with weights (smx__matmul, smx__matvecs)
 *   e. causal depthwise convolution */

/* ---- II.3.a SIMD mapping layer ---- */
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
#define smx__vsub(a, b) _mm512_sub_ps(a, b)
#define smx__vmul(a, b) _mm512_mul_ps(a, b)
#define smx__vdiv(a, b) _mm512_div_ps(a, b)
#define smx__vmin(a, b) _mm512_min_ps(a, b)
#define smx__vmax(a, b) _mm512_max_ps(a, b)
#define smx__vround(x) _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define smx__vpow2i(p, n) _mm512_scalef_ps(p, n)   /* p * 2^n, n integral */
#define smx__vsel_gt(x, t, a, b) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_GT_OQ), a, b)  /* x > t ? b : a */
#define smx__vhmax(v) _mm512_reduce_max_ps(v)
/* x = m 2^e with m in [0.5, 1) (x > 0, normal) */
#define smx__vfrexp(x, m, e)                                                                                   \
    do {                                                                                                       \
        (m) = _mm512_mul_ps(_mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src), _mm512_set1_ps(0.5f)); \
        (e) = _mm512_add_ps(_mm512_getexp_ps(x), _mm512_set1_ps(1.0f));                                       \
    } while (0)
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
#define smx__vsub(a, b) _mm256_sub_ps(a, b)
#define smx__vmul(a, b) _mm256_mul_ps(a, b)
#define smx__vdiv(a, b) _mm256_div_ps(a, b)
#define smx__vmin(a, b) _mm256_min_ps(a, b)
#define smx__vmax(a, b) _mm256_max_ps(a, b)
#define smx__vround(x) _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define smx__vpow2i(p, n) \
    _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23)))
#define smx__vsel_gt(x, t, a, b) _mm256_blendv_ps(a, b, _mm256_cmp_ps(x, t, _CMP_GT_OQ))
#define smx__vfrexp(x, m, e)                                                                                   \
    do {                                                                                                       \
        __m256i bits_ = _mm256_castps_si256(x);                                                                \
        (e) = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits_, 23), _mm256_set1_epi32(126)));    \
        (m) = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits_, _mm256_set1_epi32(0x007FFFFF)),     \
                                                  _mm256_set1_epi32(0x3F000000)));                             \
    } while (0)
static float smx__vsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static float smx__vhmax(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
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
#define smx__vsub(a, b) vsubq_f32(a, b)
#define smx__vmul(a, b) vmulq_f32(a, b)
#define smx__vdiv(a, b) vdivq_f32(a, b)
#define smx__vmin(a, b) vminq_f32(a, b)
#define smx__vmax(a, b) vmaxq_f32(a, b)
#define smx__vround(x) vrndnq_f32(x)
#define smx__vpow2i(p, n) \
    vmulq_f32(p, vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23)))
#define smx__vsel_gt(x, t, a, b) vbslq_f32(vcgtq_f32(x, t), b, a)
#define smx__vfrexp(x, m, e)                                                                                     \
    do {                                                                                                         \
        uint32x4_t bits_ = vreinterpretq_u32_f32(x);                                                             \
        (e) = vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(bits_, 23)), vdupq_n_s32(126)));        \
        (m) = vreinterpretq_f32_u32(vorrq_u32(vandq_u32(bits_, vdupq_n_u32(0x007FFFFF)), vdupq_n_u32(0x3F000000))); \
    } while (0)
#define smx__vsum(v) vaddvq_f32(v)
#define smx__vhmax(v) vmaxvq_f32(v)
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
#define smx__vsub(a, b) ((a) - (b))
#define smx__vmul(a, b) ((a) * (b))
#define smx__vdiv(a, b) ((a) / (b))
#define smx__vmin(a, b) ((a) < (b) ? (a) : (b))
#define smx__vmax(a, b) ((a) > (b) ? (a) : (b))
#define smx__vsel_gt(x, t, a, b) ((x) > (t) ? (b) : (a))
#define smx__vsum(v) (v)
#define smx__vhmax(v) (v)
#endif

SMX_API const char *smx_simd_name(void) { return SMX__SIMD_NAME; }

/* Keep a loaded vector in a register: without this, GCC folds the load into every FMA that uses
 * it as a memory operand, which multiplies the loads of the register tiles by their row count. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && SMX__VW > 1
#define SMX__KEEP(v) __asm__("" : "+v"(v))
#elif defined(__GNUC__) && defined(__aarch64__) && SMX__VW > 1
#define SMX__KEEP(v) __asm__("" : "+w"(v))
#else
#define SMX__KEEP(v) ((void)0)
#endif

/* ---- Vector math. Scalar builds use libm; the SIMD forms agree with it to about 1 ulp. ---- */
#if SMX__VW > 1
/* e^x: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for the reduction), e^r from a
 * degree-7 minimax polynomial (about 1 ulp), times 2^n. x is clamped to [-87.3, 88.3], where
 * float e^x is normal (below that the result is < 1.2e-38 instead of a denormal). */
static smx__vf smx__vexp(smx__vf x)
{
    smx__vf n, r, p;
    x = smx__vmin(smx__vset1(88.3f), x);
    x = smx__vmax(smx__vset1(-87.3f), x);
    n = smx__vround(smx__vmul(x, smx__vset1(1.44269504088896341f)));
    r = smx__vfma(n, smx__vset1(-0.693359375f), x);
    r = smx__vfma(n, smx__vset1(2.12194440e-4f), r);
    p = smx__vfma(smx__vset1(1.9875691500e-4f), r, smx__vset1(1.3981999507e-3f));
    p = smx__vfma(p, r, smx__vset1(8.3334519073e-3f));
    p = smx__vfma(p, r, smx__vset1(4.1665795894e-2f));
    p = smx__vfma(p, r, smx__vset1(1.6666665459e-1f));
    p = smx__vfma(p, r, smx__vset1(5.0000001201e-1f));
    p = smx__vfma(p, smx__vmul(r, r), smx__vadd(r, smx__vset1(1.0f)));
    return smx__vpow2i(p, n);
}

/* log(x) for positive normal x: x = m 2^e, m folded into [sqrt(1/2), sqrt(2)), log(m) from a
 * minimax polynomial in m - 1 (about 1 ulp), plus e ln2 in two parts. */
static smx__vf smx__vlog(smx__vf x)
{
    smx__vf m, e, f, z, p;
    smx__vfrexp(x, m, e);
    /* m < sqrt(1/2): f = 2m - 1, e - 1; else f = m - 1 */
    f = smx__vsel_gt(m, smx__vset1(0.707106781186547524f), smx__vadd(smx__vadd(m, m), smx__vset1(-1.0f)),
                     smx__vadd(m, smx__vset1(-1.0f)));
    e = smx__vsel_gt(m, smx__vset1(0.707106781186547524f), smx__vadd(e, smx__vset1(-1.0f)), e);
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
static smx__vf smx__vsoftplus(smx__vf x)
{
    smx__vf y = smx__vexp(x), u = smx__vadd(smx__vset1(1.0f), y);
    smx__vf lp = smx__vmul(smx__vlog(u), smx__vdiv(y, smx__vadd(u, smx__vset1(-1.0f))));
    lp = smx__vsel_gt(x, smx__vset1(20.0f), lp, x);
    return smx__vsel_gt(x, smx__vset1(-15.0f), y, lp);
}
#else
#define smx__vexp(x) expf(x)
#define smx__vlog(x) logf(x)
#define smx__vsoftplus(x) smx__softplus(x)
#endif
/* sigmoid(x) = 1 / (1 + e^-x);  silu(x) = x sigmoid(x) */
#define smx__vsigmoid(x) smx__vdiv(smx__vset1(1.0f), smx__vadd(smx__vset1(1.0f), smx__vexp(smx__vmul(x, smx__vset1(-1.0f)))))
#define smx__vsilu(x) smx__vdiv(x, smx__vadd(smx__vset1(1.0f), smx__vexp(smx__vmul(x, smx__vset1(-1.0f)))))

/* ---- II.3.b Element-wise functions, reductions, norms ---- */
static float smx__sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
static float smx__silu(float x) { return x / (1.0f + expf(-x)); }
static float smx__gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
static float smx__gelu_tanh(float x) { return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x))); }
/* torch softplus (beta 1, threshold 20) */
static float smx__softplus(float x) { return x > 20.0f ? x : log1pf(expf(x)); }
static float smx__logsigmoid(float x) { return (x < 0.0f ? x : 0.0f) - log1pf(expf(-fabsf(x))); }
/* tanh through one exp (libm's tanhf goes through expm1f and costs several times more):
 * tanh|x| = 1 - 2 / (exp(2|x|) + 1), absolute error about 1e-7. */
static float smx__tanh_fast(float x)
{
    float t = 1.0f - 2.0f / (expf(2.0f * fabsf(x)) + 1.0f);
    return x < 0.0f ? -t : t;
}

/* Activations by their config names (hidden_act and friends). */
enum { SMX__ACT_SILU, SMX__ACT_GELU, SMX__ACT_GELU_TANH, SMX__ACT_RELU, SMX__ACT_RELU2, SMX__ACT_TANH, SMX__ACT_LECUN_TANH,
       SMX__ACT_SIGMOID, SMX__ACT_NONE };

static float smx__act(int act, float x)
{
    switch (act) {
    case SMX__ACT_SILU: return smx__silu(x);
    case SMX__ACT_GELU: return smx__gelu(x);
    case SMX__ACT_GELU_TANH: return smx__gelu_tanh(x);
    case SMX__ACT_RELU: return x > 0.0f ? x : 0.0f;
    case SMX__ACT_RELU2: return x > 0.0f ? x * x : 0.0f;
    case SMX__ACT_TANH: return tanhf(x);
    case SMX__ACT_LECUN_TANH: return 1.7159f * tanhf(0.666f * x);
    case SMX__ACT_SIGMOID: return smx__sigmoid(x);
    }
    return x;
}

/* -1 if unknown */
static int smx__act_by_name(const char *s)
{
    static const struct { const char *name; int act; } names[] = {
        { "silu", SMX__ACT_SILU }, { "swish", SMX__ACT_SILU }, { "gelu", SMX__ACT_GELU }, { "gelu_new", SMX__ACT_GELU_TANH },
        { "gelu_pytorch_tanh", SMX__ACT_GELU_TANH }, { "gelu_tanh", SMX__ACT_GELU_TANH }, { "relu", SMX__ACT_RELU },
        { "relu2", SMX__ACT_RELU2 }, { "tanh", SMX__ACT_TANH }, { "lecun_tanh", SMX__ACT_LECUN_TANH },
        { "sigmoid", SMX__ACT_SIGMOID }, { "identity", SMX__ACT_NONE }, { "linear", SMX__ACT_NONE },
    };
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i].name)) return names[i].act;
    return -1;
}

/* x[i] = act(x[i]) over n floats */
static void smx__act_inplace(float *x, size_t n, int act)
{
    size_t i = 0;
    if (act == SMX__ACT_NONE) return;
    if (act == SMX__ACT_SILU)
        for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(x + i, smx__vsilu(smx__vld(x + i)));
    else if (act == SMX__ACT_SIGMOID)
        for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(x + i, smx__vsigmoid(smx__vld(x + i)));
    for (; i < n; i++) x[i] = smx__act(act, x[i]);
}

/* y[i] *= act(z[i]) over n floats (a gate) */
static void smx__act_mul(float *y, const float *z, size_t n, int act)
{
    size_t i = 0;
    if (act == SMX__ACT_SILU)
        for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(y + i, smx__vmul(smx__vld(y + i), smx__vsilu(smx__vld(z + i))));
    else if (act == SMX__ACT_SIGMOID)
        for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(y + i, smx__vmul(smx__vld(y + i), smx__vsigmoid(smx__vld(z + i))));
    for (; i < n; i++) y[i] *= smx__act(act, z[i]);
}


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

/* dst = a * src (dst may be src) */
static void smx__scale(float *dst, const float *src, float a, int n)
{
    smx__vf va = smx__vset1(a);
    int i = 0;
    for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(dst + i, smx__vmul(va, smx__vld(src + i)));
    for (; i < n; i++) dst[i] = a * src[i];
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

/* x[i] = exp(x[i] - m) over n floats; returns their sum */
static float smx__exp_sum(float *x, int n, float m)
{
    smx__vf vm = smx__vset1(m), acc = smx__vzero();
    float s;
    int i = 0;
    for (; i + SMX__VW <= n; i += SMX__VW) {
        smx__vf e = smx__vexp(smx__vsub(smx__vld(x + i), vm));
        smx__vst(x + i, e);
        acc = smx__vadd(acc, e);
    }
    s = smx__vsum(acc);
    for (; i < n; i++) { x[i] = expf(x[i] - m); s += x[i]; }
    return s;
}

/* max over n >= 1 floats */
static float smx__max(const float *x, int n)
{
    float m = x[0];
    int i = 0;
    if (n >= SMX__VW) {
        smx__vf v = smx__vld(x);
        for (i = SMX__VW; i + SMX__VW <= n; i += SMX__VW) v = smx__vmax(v, smx__vld(x + i));
        m = smx__vhmax(v);
    }
    for (; i < n; i++) if (x[i] > m) m = x[i];
    return m;
}

/* In-place max-subtracted softmax over n >= 1 floats. */
static void smx__softmax(float *x, int n)
{
    float mx = smx__max(x, n), s = smx__exp_sum(x, n, mx);
    smx__scale(x, x, 1.0f / s, n);
}

/* Rotary embedding of the first rot dims of v at position pos, angle_j = pos * inv_freq[j] in
 * float32. Half-split (NeoX, transformers): element j pairs with j + rot/2; interleaved
 * (llama.cpp's GGUF llama layout): element 2j pairs with 2j + 1. */
static void smx__rope(float *v, int rot, int pos, const float *inv_freq, int interleaved)
{
    int half = rot / 2, j, a = interleaved ? 1 : half, st = interleaved ? 2 : 1;
    for (j = 0; j < half; j++) {
        float ang = (float)pos * inv_freq[j], c = cosf(ang), s = sinf(ang);
        float *p = v + (size_t)j * st, x0 = p[0], x1 = p[a];
        p[0] = x0 * c - x1 * s;
        p[a] = x1 * c + x0 * s;
    }
}

/* ---- II.3.c Matrix products of activations ---- */
/* Register tiles. The packed tile keeps SMX__MR rows x 3 vectors of accumulators and reads a
 * panel of B packed k-major ([kc][SMX__NR], zero-padded), broadcasting A; the direct tile keeps
 * 4 rows x 4 (3 with AVX2), 2 or 1 vectors and reads B rows in place. Each element of C is one
 * chain of FMAs over k in order, whichever tile computes it. */
#if SMX__VW == 16
#define SMX__MR 8
#else
#define SMX__MR 4
#endif
#define SMX__NR (3 * SMX__VW)
/* k-block of a packed panel: each thread packs SMX_MATMUL_KC x 3 vectors on its stack (96 KiB with
 * AVX-512 at the default 512); lower it for small thread stacks. A multiple of 256. */
#ifndef SMX_MATMUL_KC
#define SMX_MATMUL_KC 512
#endif
#define SMX__KC SMX_MATMUL_KC

#define SMX__ROW(i, c0, c1, c2)                                                                    \
    do {                                                                                           \
        smx__vf b_ = smx__vset1(ar[i][(size_t)k * acs]);                                           \
        c0 = smx__vfma(b_, w0, c0); c1 = smx__vfma(b_, w1, c1); c2 = smx__vfma(b_, w2, c2);        \
    } while (0)
#define SMX__STORE(i, c0, c1, c2)                                                                  \
    do {                                                                                           \
        smx__vst(tile + (i) * SMX__NR, c0); smx__vst(tile + (i) * SMX__NR + SMX__VW, c1);          \
        smx__vst(tile + (i) * SMX__NR + 2 * SMX__VW, c2);                                          \
    } while (0)

/* tile[MR][NR] = sum_{k < kc} A(i, k) wp[k][.] for the MR rows ar[i] (column stride acs) */
static void smx__tile_packed(int kc, const float *const *ar, size_t acs, const float *SMX__RESTRICT wp, float *SMX__RESTRICT tile)
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

/* C[M, nn] (+)= A[M, kc] panel, for the packed panel wp [kc][NR] of nn <= NR columns: row blocks
 * of MR through the tile. acc: add to C instead of storing (bias b[nn] added when storing). */
static void smx__panel_rows(float *C, size_t ldc, const float *A, size_t ars, size_t acs, const float *wp, int M, int kc, int nn,
                            const float *b, int acc)
{
    float tile[SMX__MR * SMX__NR];  /* [MR][NR] */
    int t, i, j;
    for (t = 0; t < M; t += SMX__MR) {
        const float *ar[SMX__MR];
        int nr = SMX__MIN(SMX__MR, M - t);
        for (i = 0; i < SMX__MR; i++) ar[i] = A + (size_t)(t + (i < nr ? i : nr - 1)) * ars;
        smx__tile_packed(kc, ar, acs, wp, tile);
        for (i = 0; i < nr; i++) {
            float *cr = C + (size_t)(t + i) * ldc;
            const float *tr = tile + i * SMX__NR;
            if (acc) for (j = 0; j < nn; j++) cr[j] += tr[j];
            else for (j = 0; j < nn; j++) cr[j] = tr[j] + (b ? b[j] : 0.0f);
        }
    }
}

#define SMX__GEMM_ACC 1   /* C += A B instead of C = A B */
#define SMX__GEMM_TRI 2   /* A is lower triangular, stored as zeros above the diagonal up to the end of each
                           * 4-row block: rows m0..m0+3 only run k < m0 + 4 (direct tiles only) */

#if SMX__VW > 1
/* Store (or add) accumulator c into row i of the tile at column offset j vectors. */
#define SMX__PUT(i, j, c)                                                                         \
    do {                                                                                          \
        if ((i) < nr) {                                                                           \
            float *y_ = c0 + (size_t)(i) * ldc + p + (j) * SMX__VW;                               \
            smx__vst(y_, acc ? smx__vadd(c, smx__vld(y_)) : c);                                   \
        }                                                                                         \
    } while (0)
#endif

/* The direct tiles: C (+)= A B with B rows read in place (unit column stride). */
static void smx__gemm_direct(float *C, size_t ldc, const float *A, size_t ars, size_t acs, const float *B, size_t ldb, int M,
                             int N, int K, int flags)
{
    const int acc = flags & SMX__GEMM_ACC, tri = flags & SMX__GEMM_TRI;
    int r0, p, k, i;
    for (r0 = 0; r0 < M; r0 += 4) {
        int nr = SMX__MIN(4, M - r0), kend = tri ? SMX__MIN(K, r0 + 4) : K;
        const float *a0 = A + (size_t)r0 * ars, *a1 = a0 + (nr > 1 ? ars : 0), *a2 = a0 + (nr > 2 ? 2 * ars : 0);
        const float *a3 = a0 + (nr > 3 ? 3 * ars : 0);
        float *c0 = C + (size_t)r0 * ldc;
        p = 0;
#if SMX__VW > 1
#if SMX__VW != 8   /* 32 vector registers (AVX-512, NEON): 4 x 4 tiles; AVX2's 16 take 4 x 3 */
        for (; p + 4 * SMX__VW <= N; p += 4 * SMX__VW) {   /* 4 rows x 4 vectors */
            smx__vf c00 = smx__vzero(), c01 = smx__vzero(), c02 = smx__vzero(), c03 = smx__vzero();
            smx__vf c10 = smx__vzero(), c11 = smx__vzero(), c12 = smx__vzero(), c13 = smx__vzero();
            smx__vf c20 = smx__vzero(), c21 = smx__vzero(), c22 = smx__vzero(), c23 = smx__vzero();
            smx__vf c30 = smx__vzero(), c31 = smx__vzero(), c32 = smx__vzero(), c33 = smx__vzero();
            for (k = 0; k < kend; k++) {
                const float *v = B + (size_t)k * ldb + p;
                const size_t ko = (size_t)k * acs;
                smx__vf v0 = smx__vld(v), v1 = smx__vld(v + SMX__VW), v2 = smx__vld(v + 2 * SMX__VW), v3 = smx__vld(v + 3 * SMX__VW), b;
                SMX__KEEP(v0); SMX__KEEP(v1); SMX__KEEP(v2); SMX__KEEP(v3);
                b = smx__vset1(a0[ko]);
                c00 = smx__vfma(b, v0, c00); c01 = smx__vfma(b, v1, c01); c02 = smx__vfma(b, v2, c02); c03 = smx__vfma(b, v3, c03);
                b = smx__vset1(a1[ko]);
                c10 = smx__vfma(b, v0, c10); c11 = smx__vfma(b, v1, c11); c12 = smx__vfma(b, v2, c12); c13 = smx__vfma(b, v3, c13);
                b = smx__vset1(a2[ko]);
                c20 = smx__vfma(b, v0, c20); c21 = smx__vfma(b, v1, c21); c22 = smx__vfma(b, v2, c22); c23 = smx__vfma(b, v3, c23);
                b = smx__vset1(a3[ko]);
                c30 = smx__vfma(b, v0, c30); c31 = smx__vfma(b, v1, c31); c32 = smx__vfma(b, v2, c32); c33 = smx__vfma(b, v3, c33);
            }
            SMX__PUT(0, 0, c00); SMX__PUT(0, 1, c01); SMX__PUT(0, 2, c02); SMX__PUT(0, 3, c03);
            SMX__PUT(1, 0, c10); SMX__PUT(1, 1, c11); SMX__PUT(1, 2, c12); SMX__PUT(1, 3, c13);
            SMX__PUT(2, 0, c20); SMX__PUT(2, 1, c21); SMX__PUT(2, 2, c22); SMX__PUT(2, 3, c23);
            SMX__PUT(3, 0, c30); SMX__PUT(3, 1, c31); SMX__PUT(3, 2, c32); SMX__PUT(3, 3, c33);
        }
#else   /* AVX2: 4 x 3 (twelve sums, enough to cover the FMA latency) */
        for (; p + 3 * SMX__VW <= N; p += 3 * SMX__VW) {   /* 4 rows x 3 vectors */
            smx__vf c00 = smx__vzero(), c01 = smx__vzero(), c02 = smx__vzero();
            smx__vf c10 = smx__vzero(), c11 = smx__vzero(), c12 = smx__vzero();
            smx__vf c20 = smx__vzero(), c21 = smx__vzero(), c22 = smx__vzero();
            smx__vf c30 = smx__vzero(), c31 = smx__vzero(), c32 = smx__vzero();
            for (k = 0; k < kend; k++) {
                const float *v = B + (size_t)k * ldb + p;
                const size_t ko = (size_t)k * acs;
                smx__vf v0 = smx__vld(v), v1 = smx__vld(v + SMX__VW), v2 = smx__vld(v + 2 * SMX__VW), b;
                SMX__KEEP(v0); SMX__KEEP(v1); SMX__KEEP(v2);
                b = smx__vset1(a0[ko]); c00 = smx__vfma(b, v0, c00); c01 = smx__vfma(b, v1, c01); c02 = smx__vfma(b, v2, c02);
                b = smx__vset1(a1[ko]); c10 = smx__vfma(b, v0, c10); c11 = smx__vfma(b, v1, c11); c12 = smx__vfma(b, v2, c12);
                b = smx__vset1(a2[ko]); c20 = smx__vfma(b, v0, c20); c21 = smx__vfma(b, v1, c21); c22 = smx__vfma(b, v2, c22);
                b = smx__vset1(a3[ko]); c30 = smx__vfma(b, v0, c30); c31 = smx__vfma(b, v1, c31); c32 = smx__vfma(b, v2, c32);
            }
            SMX__PUT(0, 0, c00); SMX__PUT(0, 1, c01); SMX__PUT(0, 2, c02); SMX__PUT(1, 0, c10); SMX__PUT(1, 1, c11); SMX__PUT(1, 2, c12);
            SMX__PUT(2, 0, c20); SMX__PUT(2, 1, c21); SMX__PUT(2, 2, c22); SMX__PUT(3, 0, c30); SMX__PUT(3, 1, c31); SMX__PUT(3, 2, c32);
        }
#endif
        for (; p + 2 * SMX__VW <= N; p += 2 * SMX__VW) {   /* 4 rows x 2 vectors */
            smx__vf c00 = smx__vzero(), c01 = smx__vzero(), c10 = smx__vzero(), c11 = smx__vzero();
            smx__vf c20 = smx__vzero(), c21 = smx__vzero(), c30 = smx__vzero(), c31 = smx__vzero();
            for (k = 0; k < kend; k++) {
                const float *v = B + (size_t)k * ldb + p;
                const size_t ko = (size_t)k * acs;
                smx__vf v0 = smx__vld(v), v1 = smx__vld(v + SMX__VW), b;
                SMX__KEEP(v0); SMX__KEEP(v1);
                b = smx__vset1(a0[ko]); c00 = smx__vfma(b, v0, c00); c01 = smx__vfma(b, v1, c01);
                b = smx__vset1(a1[ko]); c10 = smx__vfma(b, v0, c10); c11 = smx__vfma(b, v1, c11);
                b = smx__vset1(a2[ko]); c20 = smx__vfma(b, v0, c20); c21 = smx__vfma(b, v1, c21);
                b = smx__vset1(a3[ko]); c30 = smx__vfma(b, v0, c30); c31 = smx__vfma(b, v1, c31);
            }
            SMX__PUT(0, 0, c00); SMX__PUT(0, 1, c01); SMX__PUT(1, 0, c10); SMX__PUT(1, 1, c11);
            SMX__PUT(2, 0, c20); SMX__PUT(2, 1, c21); SMX__PUT(3, 0, c30); SMX__PUT(3, 1, c31);
        }
        for (; p + SMX__VW <= N; p += SMX__VW) {           /* 4 rows x 1 vector */
            smx__vf d0 = smx__vzero(), d1 = smx__vzero(), d2 = smx__vzero(), d3 = smx__vzero();
            for (k = 0; k < kend; k++) {
                smx__vf v0 = smx__vld(B + (size_t)k * ldb + p);
                const size_t ko = (size_t)k * acs;
                SMX__KEEP(v0);
                d0 = smx__vfma(smx__vset1(a0[ko]), v0, d0); d1 = smx__vfma(smx__vset1(a1[ko]), v0, d1);
                d2 = smx__vfma(smx__vset1(a2[ko]), v0, d2); d3 = smx__vfma(smx__vset1(a3[ko]), v0, d3);
            }
            SMX__PUT(0, 0, d0); SMX__PUT(1, 0, d1); SMX__PUT(2, 0, d2); SMX__PUT(3, 0, d3);
        }
#endif
        for (; p < N; p++) {
            float s[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
            for (k = 0; k < kend; k++) {
                float v = B[(size_t)k * ldb + p];
                const size_t ko = (size_t)k * acs;
                s[0] += a0[ko] * v; s[1] += a1[ko] * v; s[2] += a2[ko] * v; s[3] += a3[ko] * v;
            }
            for (i = 0; i < nr; i++) {
                float *y = c0 + (size_t)i * ldc + p;
                *y = acc ? *y + s[i] : s[i];
            }
        }
    }
}

/* C[M, N] (+)= A[M, K] B[K, N] on one thread (callers parallelise around it).
 *   A(m, k) = A[m * ars + k * acs];  B(k, n) = B[k * brs + n * bcs];  C row stride ldc.
 * B with unit column stride runs the direct tiles; any other B (e.g. the keys of an attention
 * cache, B = K^T) is packed panel by panel for the packed tile. */
static void smx__gemm(float *C, size_t ldc, const float *A, size_t ars, size_t acs, const float *B, size_t brs, size_t bcs, int M,
                      int N, int K, int flags)
{
    float wp[SMX__KC * SMX__NR];    /* [kc][NR] packed panel */
    int n0, k0;
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        if (!(flags & SMX__GEMM_ACC))
            for (n0 = 0; n0 < M; n0++) memset(C + (size_t)n0 * ldc, 0, sizeof(float) * (size_t)N);
        return;
    }
    if (bcs == 1) { smx__gemm_direct(C, ldc, A, ars, acs, B, brs, M, N, K, flags); return; }
    for (n0 = 0; n0 < N; n0 += SMX__NR) {
        int nn = SMX__MIN(SMX__NR, N - n0), j, k;
        for (k0 = 0; k0 < K; k0 += SMX__KC) {
            int kc = SMX__MIN(SMX__KC, K - k0);
            for (k = 0; k < kc; k++) {
                float *dst = wp + (size_t)k * SMX__NR;
                const float *src = B + (size_t)(k0 + k) * brs + (size_t)n0 * bcs;
                for (j = 0; j < nn; j++) dst[j] = src[(size_t)j * bcs];
                for (; j < SMX__NR; j++) dst[j] = 0.0f;
            }
            smx__panel_rows(C + n0, ldc, A + (size_t)k0 * acs, ars, acs, wp, M, kc, nn, NULL, k0 > 0 || (flags & SMX__GEMM_ACC));
        }
    }
}

/* The scalar twin of smx__gemm (tests compare the two). */
SMX__MAYBE_UNUSED static void smx__gemm_ref(float *C, size_t ldc, const float *A, size_t ars, size_t acs, const float *B, size_t brs, size_t bcs,
                          int M, int N, int K, int flags)
{
    int m, n, k;
    for (m = 0; m < M; m++)
        for (n = 0; n < N; n++) {
            float s = 0.0f, *c = C + (size_t)m * ldc + n;
            for (k = 0; k < K; k++) s += A[(size_t)m * ars + (size_t)k * acs] * B[(size_t)k * brs + (size_t)n * bcs];
            *c = (flags & SMX__GEMM_ACC) ? *c + s : s;
        }
}

/* ---- II.3.d Weight types and the matrix product with weights ---- */
/* A weight matrix stays in the type it was stored in; smx__w describes it and smx__matmul
 * computes y = x W^T (+ b) for any type. Decode (fewer than 4 rows of x) streams W once, four rows
 * per pass over x; prefill unpacks panels of W into the packed register tile. Activations are
 * float32 throughout (each weight is converted to float32 in registers). */
enum { SMX__WT_F32, SMX__WT_F16, SMX__WT_BF16, SMX__WT_COUNT };

typedef struct smx__wtype {
    const char *name;
    int elem_bytes;
} smx__wtype;

static const smx__wtype smx__wtypes[SMX__WT_COUNT] = { { "f32", 4 }, { "f16", 2 }, { "bf16", 2 } };

/* A matrix weight: y[rows] = W[rows, cols] x[cols]; row r starts at data + r * rb. */
typedef struct smx__w {
    const void *data;
    const char *name;       /* tensor name, for messages and model info */
    int type;               /* SMX__WT_* */
    int rows, cols;
    size_t rb;              /* bytes per row */
} smx__w;

static float smx__f16_to_f32(uint16_t h)
{
    uint32_t s = (uint32_t)(h >> 15) << 31, ex = (h >> 10) & 31, m = h & 1023, u;
    float r;
    if (ex == 0) {
        r = (float)m * (1.0f / 16777216.0f);   /* subnormal: m 2^-24 */
        return s ? -r : r;
    }
    if (ex == 31) u = s | 0x7F800000u | (m << 13);
    else u = s | ((ex + 112) << 23) | (m << 13);
    memcpy(&r, &u, 4);
    return r;
}

static float smx__bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float r;
    memcpy(&r, &u, 4);
    return r;
}

/* Load SMX__VW halves (F16 / BF16) as floats. */
#if SMX__VW == 16
#define smx__vld_f16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define smx__vld_bf16(p) \
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(p))), 16))
#elif SMX__VW == 8
#define smx__vld_f16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define smx__vld_bf16(p) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))), 16))
#elif SMX__VW == 4
#define smx__vld_f16(p) vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)))
#define smx__vld_bf16(p) vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16))
#else
#define smx__vld_f16(p) smx__f16_to_f32(*(p))
#define smx__vld_bf16(p) smx__bf16_to_f32(*(p))
#endif

/* float -> IEEE half, round to nearest even (subnormals and overflow to inf as the C cast does). */
static uint16_t smx__f32_to_f16(float f)
{
    uint32_t u, sign, e, m;
    memcpy(&u, &f, 4);
    sign = (u >> 16) & 0x8000u;
    e = (u >> 23) & 0xFFu;
    m = u & 0x7FFFFFu;
    if (e == 0xFF) return (uint16_t)(sign | 0x7C00u | (m ? 0x200u : 0));       /* inf, nan */
    if (e > 142) return (uint16_t)(sign | 0x7C00u);                             /* overflow */
    if (e < 113) {                                                              /* subnormal half */
        uint32_t shift, hm, rem, half;
        if (e < 102) return (uint16_t)sign;
        m |= 0x800000u;
        shift = 126 - e;
        hm = m >> shift;
        rem = m & ((1u << shift) - 1);
        half = 1u << (shift - 1);
        if (rem > half || (rem == half && (hm & 1))) hm++;
        return (uint16_t)(sign | hm);
    }
    {
        uint32_t h = ((e - 112) << 10) | (m >> 13), rem = m & 0x1FFFu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;                   /* may carry into the exponent: right */
        return (uint16_t)(sign | h);
    }
}

/* float -> bfloat16, round to nearest even; NaN stays a (quiet) NaN. */
static uint16_t smx__f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 64);
    return (uint16_t)((u + (0x7FFFu + ((u >> 16) & 1))) >> 16);
}

/* Bytes of a row of n elements of type. */
static size_t smx__w_row_bytes(int type, int n) { return (size_t)n * (size_t)smx__wtypes[type].elem_bytes; }

/* Encode n floats as a row of type. */
static void smx__w_encode(int type, const float *src, void *dst, int n)
{
    int i;
    switch (type) {
    case SMX__WT_F32: memcpy(dst, src, sizeof(float) * (size_t)n); break;
    case SMX__WT_F16: for (i = 0; i < n; i++) ((uint16_t *)dst)[i] = smx__f32_to_f16(src[i]); break;
    case SMX__WT_BF16: for (i = 0; i < n; i++) ((uint16_t *)dst)[i] = smx__f32_to_bf16(src[i]); break;
    }
}

/* dst[0, n) = columns [c0, c0 + n) of row r of W as float32 */
static void smx__w_row(const smx__w *W, int r, int c0, int n, float *dst)
{
    const unsigned char *row = (const unsigned char *)W->data + (size_t)r * W->rb;
    int i = 0;
    switch (W->type) {
    case SMX__WT_F32: memcpy(dst, (const float *)(const void *)row + c0, sizeof(float) * (size_t)n); return;
    case SMX__WT_F16: {
        const uint16_t *h = (const uint16_t *)(const void *)row + c0;
        for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(dst + i, smx__vld_f16(h + i));
        for (; i < n; i++) dst[i] = smx__f16_to_f32(h[i]);
        return;
    }
    case SMX__WT_BF16: {
        const uint16_t *h = (const uint16_t *)(const void *)row + c0;
        for (; i + SMX__VW <= n; i += SMX__VW) smx__vst(dst + i, smx__vld_bf16(h + i));
        for (; i < n; i++) dst[i] = smx__bf16_to_f32(h[i]);
        return;
    }
    }
}

/* out[r] = x . W[r] for 4 rows of 16-bit weights (row stride ldw elements), LOAD converting them. */
#define SMX__DOT4_HALF(fname, LOAD, SCALAR)                                                                       \
    static void fname(const float *SMX__RESTRICT x, const uint16_t *SMX__RESTRICT W, size_t ldw, int n, float *out) \
    {                                                                                                           \
        const uint16_t *w0 = W, *w1 = W + ldw, *w2 = W + 2 * ldw, *w3 = W + 3 * ldw;                            \
        smx__vf a0 = smx__vzero(), a1 = smx__vzero(), a2 = smx__vzero(), a3 = smx__vzero();                     \
        int i = 0;                                                                                              \
        for (; i + SMX__VW <= n; i += SMX__VW) {                                                                \
            smx__vf u = smx__vld(x + i);                                                                        \
            a0 = smx__vfma(u, LOAD(w0 + i), a0); a1 = smx__vfma(u, LOAD(w1 + i), a1);                           \
            a2 = smx__vfma(u, LOAD(w2 + i), a2); a3 = smx__vfma(u, LOAD(w3 + i), a3);                           \
        }                                                                                                       \
        out[0] = smx__vsum(a0); out[1] = smx__vsum(a1); out[2] = smx__vsum(a2); out[3] = smx__vsum(a3);         \
        for (; i < n; i++) {                                                                                    \
            out[0] += x[i] * SCALAR(w0[i]); out[1] += x[i] * SCALAR(w1[i]);                                     \
            out[2] += x[i] * SCALAR(w2[i]); out[3] += x[i] * SCALAR(w3[i]);                                     \
        }                                                                                                       \
    }
SMX__DOT4_HALF(smx__dot4_f16, smx__vld_f16, smx__f16_to_f32)
SMX__DOT4_HALF(smx__dot4_bf16, smx__vld_bf16, smx__bf16_to_f32)

/* out[j] = x . W[r + j] for j < nr <= 4 rows of W */
static void smx__w_dots(const smx__w *W, int r, int nr, const float *x, float *out)
{
    float tmp[4];
    int n = W->cols, j;
    const unsigned char *row = (const unsigned char *)W->data + (size_t)r * W->rb;
    if (nr == 4) {
        switch (W->type) {
        case SMX__WT_F32: smx__dot4(x, (const float *)(const void *)row, W->rb / 4, n, out); return;
        case SMX__WT_F16: smx__dot4_f16(x, (const uint16_t *)(const void *)row, W->rb / 2, n, out); return;
        case SMX__WT_BF16: smx__dot4_bf16(x, (const uint16_t *)(const void *)row, W->rb / 2, n, out); return;
        }
    }
    for (j = 0; j < nr; j++) {
        if (W->type == SMX__WT_F32) {
            out[j] = smx__dot(x, (const float *)(const void *)(row + (size_t)j * W->rb), n);
        } else {
            /* a lone row: the 4-row kernel on the same row four times */
            const uint16_t *h = (const uint16_t *)(const void *)(row + (size_t)j * W->rb);
            if (W->type == SMX__WT_F16) smx__dot4_f16(x, h, 0, n, tmp);
            else smx__dot4_bf16(x, h, 0, n, tmp);
            out[j] = tmp[0];
        }
    }
}

/* y[T, N] = x[T, K] W^T (+ b), the scalar twin (tests). */
SMX__MAYBE_UNUSED static void smx__matmul_ref(float *y, size_t ldy, const float *x, size_t ldx, const smx__w *W, const float *b, int T, float *rowbuf)
{
    int t, n, k;
    for (n = 0; n < W->rows; n++) {
        smx__w_row(W, n, 0, W->cols, rowbuf);
        for (t = 0; t < T; t++) {
            float s = 0.0f;
            for (k = 0; k < W->cols; k++) s += x[(size_t)t * ldx + k] * rowbuf[k];
            y[(size_t)t * ldy + n] = s + (b ? b[n] : 0.0f);
        }
    }
}

/* Several products over one input, rows spread over threads in one parallel loop (decode):
 *   y_p = W_p x + b_p   for p < np */
typedef struct smx__mv { const smx__w *W; const float *b; float *y; } smx__mv;

typedef struct smx__mv_job {
    const smx__mv *p;
    int np, per, total;     /* products; row groups of 4 per task; all row groups */
    int ng[8];              /* row groups per product (np <= 8) */
    const float *x;
    size_t ldx, ldy;
    int T;
} smx__mv_job;

static void smx__mv_task(void *arg, int task, int tid)
{
    const smx__mv_job *j = (const smx__mv_job *)arg;
    int g = task * j->per, end = SMX__MIN(g + j->per, j->total), q = 0, base = 0, t, i;
    (void)tid;
    for (; g < end; g++) {
        const smx__mv *p;
        int r, nr;
        while (g - base >= j->ng[q]) base += j->ng[q++];
        p = &j->p[q];
        r = 4 * (g - base);
        nr = SMX__MIN(4, p->W->rows - r);
        for (t = 0; t < j->T; t++) {
            float *y = p->y + (size_t)t * j->ldy + r;
            smx__w_dots(p->W, r, nr, j->x + (size_t)t * j->ldx, y);
            if (p->b) for (i = 0; i < nr; i++) y[i] += p->b[r + i];
        }
    }
}

/* For T (< 4) rows of x: y_p[t] = W_p x[t] + b_p for every product p (np <= 8). */
static void smx__matvecs(const smx__cx *cx, const float *x, size_t ldx, size_t ldy, int T, const smx__mv *p, int np)
{
    smx__mv_job j;
    int q, nth, ntask;
    double work = 0.0;
    memset(&j, 0, sizeof j);
    j.p = p; j.np = np; j.x = x; j.ldx = ldx; j.ldy = ldy; j.T = T;
    for (q = 0; q < np; q++) {
        j.ng[q] = (p[q].W->rows + 3) / 4;
        j.total += j.ng[q];
        work += (double)T * p[q].W->rows * p[q].W->cols;
    }
    nth = smx__nth_for(work, cx->nth);
    j.per = nth > 1 ? SMX__MAX(1, j.total / (4 * nth)) : SMX__MAX(1, j.total);
    ntask = (j.total + j.per - 1) / j.per;
    smx__par(cx, nth, ntask, smx__mv_task, &j);
}

/* Dot tiles: y[t][r] = x_t . W_r straight from the rows of x and W (no packing), 3 rows of x by 4
 * rows of W at a time: twelve sums of vectors over k (each x and W vector loaded once per tile),
 * then across lanes, then the tail of k. A short tile repeats its last row, so every element is
 * summed the same way wherever it falls. out[i][j] = x_i . W_j. */
#define SMX__DOTS_NT(fname, WT, LOAD, SCALAR)                                                                     \
    static void fname(const float *const *xr, const WT *const *wr, int K, float out[3][4])                       \
    {                                                                                                           \
        smx__vf c00 = smx__vzero(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;  \
        smx__vf c20 = c00, c21 = c00, c22 = c00, c23 = c00;                                                     \
        const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2];                                                      \
        const WT *w0 = wr[0], *w1 = wr[1], *w2 = wr[2], *w3 = wr[3];                                            \
        int k = 0, i, j;                                                                                        \
        for (; k + SMX__VW <= K; k += SMX__VW) {                                                                \
            smx__vf u0 = smx__vld(x0 + k), u1 = smx__vld(x1 + k), u2 = smx__vld(x2 + k), w;                     \
            SMX__KEEP(u0); SMX__KEEP(u1); SMX__KEEP(u2);                                                        \
            w = LOAD(w0 + k); SMX__KEEP(w); c00 = smx__vfma(u0, w, c00); c10 = smx__vfma(u1, w, c10); c20 = smx__vfma(u2, w, c20); \
            w = LOAD(w1 + k); SMX__KEEP(w); c01 = smx__vfma(u0, w, c01); c11 = smx__vfma(u1, w, c11); c21 = smx__vfma(u2, w, c21); \
            w = LOAD(w2 + k); SMX__KEEP(w); c02 = smx__vfma(u0, w, c02); c12 = smx__vfma(u1, w, c12); c22 = smx__vfma(u2, w, c22); \
            w = LOAD(w3 + k); SMX__KEEP(w); c03 = smx__vfma(u0, w, c03); c13 = smx__vfma(u1, w, c13); c23 = smx__vfma(u2, w, c23); \
        }                                                                                                       \
        out[0][0] = smx__vsum(c00); out[0][1] = smx__vsum(c01); out[0][2] = smx__vsum(c02); out[0][3] = smx__vsum(c03); \
        out[1][0] = smx__vsum(c10); out[1][1] = smx__vsum(c11); out[1][2] = smx__vsum(c12); out[1][3] = smx__vsum(c13); \
        out[2][0] = smx__vsum(c20); out[2][1] = smx__vsum(c21); out[2][2] = smx__vsum(c22); out[2][3] = smx__vsum(c23); \
        for (; k < K; k++)                                                                                      \
            for (i = 0; i < 3; i++)                                                                             \
                for (j = 0; j < 4; j++) out[i][j] += xr[i][k] * SCALAR(wr[j][k]);                               \
    }
#define SMX__F32_ID(v) (v)
SMX__DOTS_NT(smx__dots_nt_f32, float, smx__vld, SMX__F32_ID)
SMX__DOTS_NT(smx__dots_nt_f16, uint16_t, smx__vld_f16, smx__f16_to_f32)
SMX__DOTS_NT(smx__dots_nt_bf16, uint16_t, smx__vld_bf16, smx__bf16_to_f32)

/* The kernels of smx__matmul: the decode matrix-vector pass, the dot tiles, the packed panels. */
enum { SMX__MM_MATVEC, SMX__MM_DOTS, SMX__MM_PACKED };

/* From this many rows of x the packed panels take over from the dot tiles (F32, F16, BF16; other
 * types always take them). Packing a panel costs a load and a store per weight, as much as using
 * it for 16 to 32 rows, and the packed tile then pays off only through its larger register tile:
 * AVX-512's 8 rows x 3 vectors (24 sums) against the dot tiles' 12. With AVX2's 16 registers both
 * tiles hold 12 sums, and the dot tiles measured faster at every T (1.2x at T = 512, 1.7x at 64,
 * 768- and 3072-wide weights). */
#if SMX__VW == 16
#define SMX__MM_PACKED_T 256
#else
#define SMX__MM_PACKED_T INT_MAX
#endif
#define SMX__MM_DOTS_RW 16   /* rows of W per dot-tile task (their block of W stays in L2) */
#define SMX__MM_PACKED_ROWS 64   /* rows of x per packed-panel task, at least */

typedef struct smx__mm_job {
    float *y;
    size_t ldy, ldx;
    const float *x, *b;
    const smx__w *W;
    int T;
    int nrb, rb;            /* row blocks of x, rows per block */
    int wpt;                /* dot tiles: rows of W per task, a multiple of SMX__MM_DOTS_RW */
} smx__mm_job;

/* Dot tiles, task = (wpt rows of W) x (row block of x); the row blocks of the same rows of W are
 * adjacent tasks, so threads that take them together read that part of W from memory once. Per
 * block of SMX__MM_DOTS_RW rows of W, every 3 rows of x pass over the block. */
static void smx__mm_dots_task(void *arg, int task, int tid)
{
    const smx__mm_job *j = (const smx__mm_job *)arg;
    const smx__w *W = j->W;
    const int w0 = task / j->nrb * j->wpt, w1 = SMX__MIN(W->rows, w0 + j->wpt);
    const int t0 = task % j->nrb * j->rb, t1 = SMX__MIN(j->T, t0 + j->rb);
    const unsigned char *base = (const unsigned char *)W->data;
    float out[3][4];
    int wb, r, t, i, k;
    (void)tid;
    for (wb = w0; wb < w1; wb += SMX__MM_DOTS_RW)
        for (t = t0; t < t1; t += 3) {
            const int nt = SMX__MIN(3, t1 - t), we = SMX__MIN(w1, wb + SMX__MM_DOTS_RW);
            const float *xr[3];
            for (i = 0; i < 3; i++) xr[i] = j->x + (size_t)(t + SMX__MIN(i, nt - 1)) * j->ldx;
            for (r = wb; r < we; r += 4) {
                const int nr = SMX__MIN(4, we - r);
                const float *wf[4];
                const uint16_t *wh[4];
                for (k = 0; k < 4; k++) {
                    const void *row = base + (size_t)(r + SMX__MIN(k, nr - 1)) * W->rb;
                    wf[k] = (const float *)row;
                    wh[k] = (const uint16_t *)row;
                }
                if (W->type == SMX__WT_F32) smx__dots_nt_f32(xr, wf, W->cols, out);
                else if (W->type == SMX__WT_F16) smx__dots_nt_f16(xr, wh, W->cols, out);
                else smx__dots_nt_bf16(xr, wh, W->cols, out);
                for (i = 0; i < nt; i++)
                    for (k = 0; k < nr; k++) j->y[(size_t)(t + i) * j->ldy + r + k] = out[i][k] + (j->b ? j->b[r + k] : 0.0f);
            }
        }
}

/* One panel of SMX__NR rows of W against one row block of x (panel p = task / nrb). */
static void smx__mm_task(void *arg, int task, int tid)
{
    const smx__mm_job *j = (const smx__mm_job *)arg;
    const smx__w *W = j->W;
    float wbuf[SMX__KC * SMX__NR + 16], row[SMX__KC];
    float *wp = (float *)(void *)(((uintptr_t)wbuf + 63) & ~(uintptr_t)63);   /* [kc][NR] packed panel, 64-byte aligned */
    const int p = task / j->nrb, t0 = task % j->nrb * j->rb, nt = SMX__MIN(j->rb, j->T - t0);
    const int K = W->cols, n0 = p * SMX__NR, nn = SMX__MIN(SMX__NR, W->rows - n0);
    int k0, jj, k;
    (void)tid;
    for (k0 = 0; k0 < K; k0 += SMX__KC) {
        int kc = SMX__MIN(SMX__KC, K - k0);
        for (jj = 0; jj < nn; jj++) {
            smx__w_row(W, n0 + jj, k0, kc, row);
            for (k = 0; k < kc; k++) wp[(size_t)k * SMX__NR + jj] = row[k];
        }
        for (; jj < SMX__NR; jj++)
            for (k = 0; k < kc; k++) wp[(size_t)k * SMX__NR + jj] = 0.0f;
        smx__panel_rows(j->y + (size_t)t0 * j->ldy + n0, j->ldy, j->x + (size_t)t0 * j->ldx + k0, j->ldx, 1, wp, nt, kc, nn,
                        j->b ? j->b + n0 : NULL, k0 > 0);
    }
}

/* Row blocks of x for n blocks of W: one row block, or as many as give 4 tasks per thread, of at
 * least min_rows rows, a multiple of align. */
static void smx__mm_rows(smx__mm_job *j, int n, int nth, int min_rows, int align)
{
    int nrb = 1;
    if (n < 4 * nth) nrb = SMX__MAX(1, SMX__MIN((4 * nth + n - 1) / n, j->T / min_rows));
    j->rb = ((j->T + nrb - 1) / nrb + align - 1) / align * align;
    j->nrb = (j->T + j->rb - 1) / j->rb;
}

/* smx__matmul with the kernel named (the dot tiles take F32, F16 and BF16 weights only).
 * Work items split W's rows first (each item then reads its part of W once) and x's rows only
 * where that leaves fewer than 4 items per thread, down to 3 rows (dot tiles) or 64 (packed
 * panels, whose packing must be paid back). For 16 threads and a 768-row W: decode has 192 groups
 * of 4 rows, 3 per item (64 items); the dot tiles have 48 blocks of W times 2 row blocks (96
 * items: T = 16 in blocks of 9 rows, T = 512 of 256); AVX-512's packed panels of 48 rows make
 * 16 x 4 items of 64 rows at T = 256 and of 128 at T = 512. 3072 rows: decode 768 groups in 64
 * items, dot tiles 64 items of 48 rows of W, 64 panels: 4 per thread without splitting x. Fewer
 * threads merge blocks of W into bigger items (the counter that hands them out is shared). */
static void smx__matmul_as(const smx__cx *cx, float *y, size_t ldy, const float *x, size_t ldx, const smx__w *W, const float *b, int T,
                           int kernel)
{
    smx__mm_job j;
    int np, nth;
    if (T <= 0) return;
    if (kernel == SMX__MM_MATVEC) {
        smx__mv p;
        p.W = W; p.b = b; p.y = y;
        smx__matvecs(cx, x, ldx, ldy, T, &p, 1);
        return;
    }
    j.y = y; j.ldy = ldy; j.x = x; j.ldx = ldx; j.b = b; j.W = W; j.T = T;
    nth = smx__nth_for((double)T * W->rows * W->cols, cx->nth);
    if (kernel == SMX__MM_DOTS) {   /* blocks of W merged down to 4 tasks per thread (small T: tiny tasks) */
        np = (W->rows + SMX__MM_DOTS_RW - 1) / SMX__MM_DOTS_RW;
        j.wpt = SMX__MM_DOTS_RW * SMX__MAX(1, np / (4 * nth));
        np = (W->rows + j.wpt - 1) / j.wpt;
        smx__mm_rows(&j, np, nth, 3, 3);
        smx__par(cx, nth, np * j.nrb, smx__mm_dots_task, &j);
    } else {
        np = (W->rows + SMX__NR - 1) / SMX__NR;
        smx__mm_rows(&j, np, nth, SMX__MM_PACKED_ROWS, SMX__MR);
        smx__par(cx, nth, np * j.nrb, smx__mm_task, &j);
    }
}

/* y[T, N] = x[T, K] W^T (+ b[N]), W [N, K] of any type; x, y with row strides ldx, ldy. T = 1 (and
 * T < 4 of other weight types): the matrix-vector pass; F32, F16, BF16 below SMX__MM_PACKED_T
 * rows: the dot tiles; else the packed panels. The kernel depends on T and the weight type only,
 * and no kernel's sums depend on how the work is cut, so results are the same for every thread
 * count. */
static void smx__matmul(const smx__cx *cx, float *y, size_t ldy, const float *x, size_t ldx, const smx__w *W, const float *b, int T)
{
    const int dots = W->type == SMX__WT_F32 || W->type == SMX__WT_F16 || W->type == SMX__WT_BF16;
    int kernel = SMX__MM_PACKED;
    if (T == 1 || (T < 4 && !dots)) kernel = SMX__MM_MATVEC;
    else if (dots && T < SMX__MM_PACKED_T) kernel = SMX__MM_DOTS;
    smx__matmul_as(cx, y, ldy, x, ldx, W, b, T, kernel);
}

/* ---- II.3.e Causal depthwise convolution over T steps, continuing from a history ----
 *   out[t, c] = act(b[c] + sum_{k<K} wT[k, c] * xin[t - (K-1) + k, c])
 * where xin[j] for j < 0 is hist[(K-1) + j] (the previous steps' inputs). Afterwards hist holds the
 * K-1 newest inputs. in: [T, C] with row stride ldi; out: [T, C] stride ldo (out must not alias in);
 * wT: [K, C] (a torch weight [C, 1, K] transposed); b may be NULL; hist: [K-1, C], oldest row first.
 * Threads take blocks of channels. */
typedef struct smx__conv_job {
    const float *in, *wT, *b;
    float *out, *hist;
    size_t ldi, ldo;
    int T, C, K, act;
} smx__conv_job;

#define SMX__CONV_CB 256   /* channels per task */

static void smx__conv_task(void *arg, int blk, int tid)
{
    const smx__conv_job *j = (const smx__conv_job *)arg;
    const int K = j->K, C = j->C, c0 = blk * SMX__CONV_CB, c1 = SMX__MIN(C, c0 + SMX__CONV_CB);
    int t, k, c;
    (void)tid;
    for (t = 0; t < j->T; t++) {
        float *o = j->out + (size_t)t * j->ldo;
        for (c = c0; c < c1; c++) o[c] = j->b ? j->b[c] : 0.0f;
        for (k = 0; k < K; k++) {
            int s = t - (K - 1) + k;
            const float *src = s >= 0 ? j->in + (size_t)s * j->ldi : j->hist + (size_t)(K - 1 + s) * C;
            const float *w = j->wT + (size_t)k * C;
            c = c0;
            for (; c + SMX__VW <= c1; c += SMX__VW) smx__vst(o + c, smx__vfma(smx__vld(w + c), smx__vld(src + c), smx__vld(o + c)));
            for (; c < c1; c++) o[c] += w[c] * src[c];
        }
        smx__act_inplace(o + c0, (size_t)(c1 - c0), j->act);
    }
    /* new history: the K-1 newest of (old history ++ inputs) */
    for (k = 0; k < K - 1; k++) {
        int s = j->T - (K - 1) + k;   /* input step that lands in history row k */
        float *h = j->hist + (size_t)k * C;
        if (s >= 0) memcpy(h + c0, j->in + (size_t)s * j->ldi + c0, sizeof(float) * (size_t)(c1 - c0));
        else memmove(h + c0, j->hist + (size_t)(k + j->T) * C + c0, sizeof(float) * (size_t)(c1 - c0));
    }
}

static void smx__conv1d(const smx__cx *cx, const float *in, size_t ldi, float *out, size_t ldo, int T, int C, int K, const float *wT,
                        const float *b, float *hist, int act)
{
    smx__conv_job j;
    j.in = in; j.wT = wT; j.b = b; j.out = out; j.hist = hist; j.ldi = ldi; j.ldo = ldo; j.T = T; j.C = C; j.K = K; j.act = act;
    smx__par(cx, smx__nth_for((double)T * C * K * 4, cx->nth), (C + SMX__CONV_CB - 1) / SMX__CONV_CB, smx__conv_task, &j);
}

/* ---- II.3.f Attention over a key/value cache: blocked, with an online softmax ----
 * For query t (position p = pos + t) of head h, with kv head g = h / (nh / nkv):
 *   o = sum_s softmax_s(scale q . k_s) v_s  over the visible keys s in [start, end):
 *   causal: end = p + 1; bidirectional: end = n_keys; a window w > 0: start = max(0, end - w).
 * A work item is a block of (head, query) rows: up to SMX__FA_ROWS rows of some heads of one kv
 * group (so they share every key and value tile they read) and a run of consecutive queries. It
 * walks the keys in tiles of SMX__FA_BK at multiples of SMX__FA_BK, skipping the tiles no row of
 * the item sees (after the last query's position; before the first query's window), with
 *   S^T = K_tile Q^T (keys x rows),  m' = max(m, max_s S),  P = exp(S - m') (0 where not visible),
 *   l = l e^(m - m') + sum_s P,  O = O e^(m - m') + P V_tile,   and at the end o = O / l.
 * Q^T is packed once per item ([hd][rows], scaled), so the tile products read K and V in place.
 * Every row's sums run over the same tiles in the same order whatever the item it falls in, so
 * the result does not depend on how the work is cut (nor on the thread count). A single query
 * (decode) of a few heads takes the row form: dot products with the keys, axpy of the values. */
#define SMX__FA_BK 64       /* keys per tile */
#define SMX__FA_ROWS 64     /* (head, query) rows per work item, at most */

typedef struct smx__fa {
    const float *q;         /* query t of head h at q + t * ldq + h * hd */
    const float *k, *v;     /* key / value of position s, kv head g at k + s * ldkv + g * hd */
    float *o;               /* output like q, row stride ldo */
    size_t ldq, ldkv, ldo;
    int T, nh, nkv, hd;
    int pos;                /* position of query 0 */
    int n_keys;             /* bidirectional: keys [0, n_keys) */
    int causal, window;
    float scale;
} smx__fa;

/* Visible keys [*start, *end) of query t. */
static void smx__fa_range(const smx__fa *a, int t, int *start, int *end)
{
    int e = a->causal ? a->pos + t + 1 : a->n_keys;
    *end = e;
    *start = a->window > 0 && e > a->window ? e - a->window : 0;
}

/* Floats of one thread's work space. */
static size_t smx__fa_work_floats(int hd)
{
    const size_t R = SMX__FA_ROWS + SMX__VW;   /* rows, padded to whole vectors */
    return R * (size_t)hd * 2 + (size_t)SMX__FA_BK * R + 5 * R + (size_t)hd + SMX__FA_BK + 64;
}

/* One query t of nhr heads h0.. of kv group g (decode): per tile of keys and per head, scores by
 * dot products, the online softmax, values accumulated into the output rows; the heads share
 * each tile while it is in the cache. w: nhr (hd + 2) + SMX__FA_BK floats. */
static void smx__fa_rows(const smx__fa *a, int g, int h0, int nhr, int t, float *w)
{
    const int hd = a->hd;
    float *qs = w, *m = qs + (size_t)nhr * hd, *l = m + nhr, *sc = l + nhr;   /* [nhr][hd] scaled queries, [nhr] x 2, [BK] */
    int start, end, j, s0, s;
    smx__fa_range(a, t, &start, &end);
    for (j = 0; j < nhr; j++) {
        smx__scale(qs + (size_t)j * hd, a->q + (size_t)t * a->ldq + (size_t)(h0 + j) * hd, a->scale, hd);
        memset(a->o + (size_t)t * a->ldo + (size_t)(h0 + j) * hd, 0, sizeof(float) * (size_t)hd);
        m[j] = -FLT_MAX;
        l[j] = 0.0f;
    }
    for (s0 = start / SMX__FA_BK * SMX__FA_BK; s0 < end; s0 += SMX__FA_BK) {
        const int lo = SMX__MAX(start, s0), n = SMX__MIN(end, s0 + SMX__FA_BK) - lo;
        const float *kr = a->k + (size_t)lo * a->ldkv + (size_t)g * hd, *vr = a->v + (size_t)lo * a->ldkv + (size_t)g * hd;
        for (j = 0; j < nhr; j++) {
            float *o = a->o + (size_t)t * a->ldo + (size_t)(h0 + j) * hd, *q = qs + (size_t)j * hd, mx, mn, alpha;
            for (s = 0; s + 4 <= n; s += 4) smx__dot4(q, kr + (size_t)s * a->ldkv, a->ldkv, hd, sc + s);
            for (; s < n; s++) sc[s] = smx__dot(q, kr + (size_t)s * a->ldkv, hd);
            mx = smx__max(sc, n);
            mn = mx > m[j] ? mx : m[j];
            alpha = expf(m[j] - mn);
            l[j] = l[j] * alpha + smx__exp_sum(sc, n, mn);
            m[j] = mn;
            if (alpha != 1.0f) smx__scale(o, o, alpha, hd);
            for (s = 0; s < n; s++) smx__axpy(o, sc[s], vr + (size_t)s * a->ldkv, hd);
        }
    }
    for (j = 0; j < nhr; j++) {
        float *o = a->o + (size_t)t * a->ldo + (size_t)(h0 + j) * hd;
        smx__scale(o, o, 1.0f / l[j], hd);
    }
}

/* One work item: heads h0 .. h0 + nhr - 1 of kv group g, queries t0 .. t0 + nq - 1. Rows are
 * (head j, query i) at r = j nq + i. w: smx__fa_work_floats. */
static void smx__fa_item(const smx__fa *a, int g, int h0, int nhr, int t0, int nq, float *w)
{
    const int hd = a->hd, M = nhr * nq, Mp = (M + SMX__VW - 1) / SMX__VW * SMX__VW;
    float *qt = w;                                  /* [hd][Mp]  scale q, transposed */
    float *st = qt + (size_t)hd * Mp;               /* [BK][Mp]  S^T, then P^T */
    float *O = st + (size_t)SMX__FA_BK * Mp;        /* [M][hd]   unnormalised outputs */
    float *m = O + (size_t)M * hd, *l = m + Mp, *al = l + Mp;   /* [Mp] each: running max, sum, rescale */
    int *rs = (int *)(void *)(al + Mp), *re = rs + Mp;          /* [Mp] each: visible keys [rs, re) */
    int i, j, r, k, s0, klo, khi, kfull_lo, kfull_hi;
    for (j = 0; j < nhr; j++)
        for (i = 0; i < nq; i++) {
            const float *qr = a->q + (size_t)(t0 + i) * a->ldq + (size_t)(h0 + j) * hd;
            r = j * nq + i;
            for (k = 0; k < hd; k++) qt[(size_t)k * Mp + r] = a->scale * qr[k];
            smx__fa_range(a, t0 + i, &rs[r], &re[r]);
        }
    for (r = M; r < Mp; r++) {   /* padding rows: zero queries that see nothing */
        for (k = 0; k < hd; k++) qt[(size_t)k * Mp + r] = 0.0f;
        rs[r] = re[r] = 0;
    }
    for (r = 0; r < Mp; r++) { m[r] = -FLT_MAX; l[r] = 0.0f; }
    memset(O, 0, sizeof(float) * (size_t)M * hd);
    klo = rs[0]; kfull_lo = rs[nq - 1];   /* starts and ends grow with the query */
    khi = re[nq - 1]; kfull_hi = re[0];
    for (s0 = klo / SMX__FA_BK * SMX__FA_BK; s0 < khi; s0 += SMX__FA_BK) {
        const int n = SMX__MIN(SMX__FA_BK, khi - s0), partial = s0 < kfull_lo || s0 + n > kfull_hi;
        const size_t koff = (size_t)s0 * a->ldkv + (size_t)g * hd;
        /* S^T = K_tile (scale Q)^T */
        smx__gemm(st, (size_t)Mp, a->k + koff, a->ldkv, 1, qt, (size_t)Mp, 1, n, Mp, hd, 0);
        if (partial)   /* keys a row does not see: -FLT_MAX (zero after the exp) */
            for (r = 0; r < M; r++) {
                int lo = SMX__MIN(SMX__MAX(rs[r] - s0, 0), n), hi = SMX__MAX(SMX__MIN(re[r] - s0, n), lo);
                for (k = 0; k < lo; k++) st[(size_t)k * Mp + r] = -FLT_MAX;
                for (k = hi; k < n; k++) st[(size_t)k * Mp + r] = -FLT_MAX;
            }
        for (r = 0; r < Mp; r += SMX__VW) {
            smx__vf mx = smx__vld(st + r), mo = smx__vld(m + r), mn, sum = smx__vzero();
            for (k = 1; k < n; k++) mx = smx__vmax(mx, smx__vld(st + (size_t)k * Mp + r));
            mn = smx__vmax(mo, mx);
            for (k = 0; k < n; k++) {
                smx__vf x = smx__vld(st + (size_t)k * Mp + r), p = smx__vexp(smx__vsub(x, mn));
                if (partial) p = smx__vsel_gt(x, smx__vset1(-FLT_MAX), smx__vzero(), p);
                smx__vst(st + (size_t)k * Mp + r, p);
                sum = smx__vadd(sum, p);
            }
            mo = smx__vexp(smx__vsub(mo, mn));
            smx__vst(al + r, mo);
            smx__vst(l + r, smx__vadd(smx__vmul(smx__vld(l + r), mo), sum));
            smx__vst(m + r, mn);
        }
        for (r = 0; r < M; r++)
            if (al[r] != 1.0f) smx__scale(O + (size_t)r * hd, O + (size_t)r * hd, al[r], hd);
        /* O += P V_tile  (P^T read column-wise) */
        smx__gemm(O, (size_t)hd, st, 1, (size_t)Mp, a->v + koff, a->ldkv, 1, M, hd, n, SMX__GEMM_ACC);
    }
    for (j = 0; j < nhr; j++)
        for (i = 0; i < nq; i++) {
            r = j * nq + i;
            smx__scale(a->o + (size_t)(t0 + i) * a->ldo + (size_t)(h0 + j) * hd, O + (size_t)r * hd, 1.0f / l[r], hd);
        }
}

/* How the work is cut: items of nhs heads (of one kv group) x bq queries. T = 1: all heads of a
 * group in one item (up to SMX__FA_ROWS). T > 1: about SMX__FA_ROWS rows per item, then smaller
 * query runs (down to 8) and head blocks (down to 16 rows) until there are at least 4 items per
 * thread: e.g. 12 heads of a 128-token prompt on 16 threads are 12 x 8 items of 16 queries. */
static void smx__fa_plan(const smx__fa *a, int nth, int *nhs, int *bq)
{
    const int r = a->nh / a->nkv, want = 4 * nth;
    int hs = SMX__MIN(r, SMX__FA_ROWS), q = SMX__MAX(1, SMX__FA_ROWS / hs);
#define SMX__FA_ITEMS(hs_, q_) ((double)a->nkv * ((r + (hs_) - 1) / (hs_)) * ((a->T + (q_) - 1) / (q_)))
    if (q > a->T) q = a->T;
    if (a->T > 1) {
        while (SMX__FA_ITEMS(hs, q) < want && q > 8) q = (q + 1) / 2;
        while (SMX__FA_ITEMS(hs, q) < want && hs > 1 && hs * q > 16) hs = (hs + 1) / 2;
    }
#undef SMX__FA_ITEMS
    *nhs = hs;
    *bq = q;
}

typedef struct smx__fa_job {
    const smx__fa *a;
    float *work;
    size_t wsz;
    int nhs, bq, nhb, nqt, rowform;
} smx__fa_job;

/* Item i: the latest query runs first (under a causal mask they see the most keys). */
static void smx__fa_task(void *arg, int i, int tid)
{
    const smx__fa_job *j = (const smx__fa_job *)arg;
    const smx__fa *a = j->a;
    const int r = a->nh / a->nkv, per = a->nkv * j->nhb, qt = j->nqt - 1 - i / per, g = (i % per) / j->nhb, hb = (i % per) % j->nhb;
    const int h0 = g * r + hb * j->nhs, nhr = SMX__MIN(j->nhs, r - hb * j->nhs), t0 = qt * j->bq, nq = SMX__MIN(j->bq, a->T - t0);
    float *w = j->work + (size_t)tid * j->wsz;
    if (j->rowform) smx__fa_rows(a, g, h0, nhr, t0, w);
    else smx__fa_item(a, g, h0, nhr, t0, nq, w);
}

/* The attention of a->T queries over the cache, on the pool; work: nth * smx__fa_work_floats(hd). */
static void smx__attention(const smx__cx *cx, const smx__fa *a, float *work)
{
    smx__fa_job j;
    const int nth = smx__nth_for((double)a->T * a->nh * (a->causal ? a->pos + a->T : a->n_keys) * a->hd, cx->nth);
    j.a = a;
    j.work = work;
    j.wsz = smx__fa_work_floats(a->hd);
    smx__fa_plan(a, nth, &j.nhs, &j.bq);
    j.nhb = (a->nh / a->nkv + j.nhs - 1) / j.nhs;
    j.nqt = (a->T + j.bq - 1) / j.bq;
    j.rowform = a->T == 1 && j.nhs < SMX__VW;
    smx__par(cx, nth, a->nkv * j.nhb * j.nqt, smx__fa_task, &j);
}

/* ---- II.3.g Chunked state-space scan (the SSD of Mamba-2) ----
 * Per head h (group g = h / (H / G)) and token t, with a_t = dt_t A_h:
 *   S <- exp(a_t) S + dt_t B_t x_t^T   (S [N, P]),    y_t = S^T C_t + D_h x_t
 * by chunks of L <= Q tokens, cs = cumsum(a) inside the chunk, S_in the state entering it:
 *   Y[l]  = sum_{s<=l} (C_l . B_s) exp(cs_l - cs_s) dt_s x_s  +  exp(cs_l) C_l S_in  +  D_h x_l
 *   S_out = exp(cs_last) S_in + U,   U = sum_s B_s exp(cs_last - cs_s) dt_s x_s^T
 * in four parallel passes: (1) per chunk and group G = C B^T (the lower triangle; shared by the
 * group's heads); (2) per head and chunk the intra-chunk product Y = (G o decay o dt) X and the
 * chunk's own state U = B^T (decay dt X); (3) per head the states passed from chunk to chunk
 * (S_in of every chunk kept in U's place); (4) per head and chunk Y += (exp(cs) C) S_in + D x.
 * Every product is an smx__gemm reading x, B and C in place. Per token and head that is 2 N P
 * multiply-adds for the state (as many as the recurrence) plus L P / 2 + L N / (H / G) inside the
 * chunk, so the chunk is kept short: at most SMX__SSD_Q tokens (the config's chunk_size, which
 * changes nothing but rounding, caps it). A decay exp(x) below exp(SMX__SSD_TINY) is taken as 0:
 * such a term is far under the rounding of the sums it joins, and kept it would make subnormal
 * products, which some CPUs multiply a hundred times slower. */
#define SMX__SSD_Q 64
#define SMX__SSD_TINY (-60.0f)

typedef struct smx__ssd {
    const float *x, *B, *C;     /* x_t of head h at x + t ldx + h P; B_t, C_t of group g at B + t ldx + g N (C alike) */
    size_t ldx;
    const float *dt;            /* [T, H] */
    const float *A, *D;         /* [H] */
    float *S;                   /* [H][N][P] state, in and out */
    float *y;                   /* y_t of head h at y + t ldy + h P */
    size_t ldy;
    int T, H, P, N, G, Q;       /* Q: the config's chunk length */
} smx__ssd;

static int smx__ssd_chunk(int Q, int T) { return SMX__MIN(SMX__MIN(Q, SMX__SSD_Q), T); }

/* exp(x), 0 below exp(SMX__SSD_TINY) */
static float smx__ssd_decay(float x) { return x > SMX__SSD_TINY ? expf(x) : 0.0f; }

/* Per-thread floats: M [L, L], Xs [L, P], Cs [L, N], dt [L]. */
static size_t smx__ssd_thread_floats(int L, int P, int N) { return (size_t)L * L + (size_t)L * P + (size_t)L * N + (size_t)L + 64; }

/* Work floats for T tokens: cs [H][T], G [chunks][groups][L, L], U [H][chunks][N, P], per thread. */
static size_t smx__ssd_work_floats(int T, int H, int P, int N, int G, int Q, int nth)
{
    const size_t L = (size_t)smx__ssd_chunk(Q, T > 0 ? T : 1), nch = ((size_t)T + L - 1) / L;
    return (size_t)H * T + nch * G * L * L + (size_t)H * nch * N * P + (size_t)(nth > 0 ? nth : 1) * smx__ssd_thread_floats((int)L, P, N) + 64;
}

typedef struct smx__ssd_work {
    const smx__ssd *a;
    float *cs, *gm, *u, *tw;    /* the work space, see smx__ssd_work_floats */
    size_t tsz;
    int L, nch;
} smx__ssd_work;

/* (1) chunk c, group g: G[l][s] = C_l . B_s for s <= l, by column panels from the diagonal down */
static void smx__ssd_gram_task(void *arg, int i, int tid)
{
    const smx__ssd_work *j = (const smx__ssd_work *)arg;
    const smx__ssd *a = j->a;
    const int c = i / a->G, g = i % a->G, t0 = c * j->L, L = SMX__MIN(j->L, a->T - t0);
    const float *C = a->C + (size_t)t0 * a->ldx + (size_t)g * a->N, *B = a->B + (size_t)t0 * a->ldx + (size_t)g * a->N;
    float *Gm = j->gm + (size_t)i * j->L * j->L;    /* [L][L] */
    int n0;
    (void)tid;
    for (n0 = 0; n0 < L; n0 += SMX__NR)
        smx__gemm(Gm + (size_t)n0 * L + n0, (size_t)L, C + (size_t)n0 * a->ldx, a->ldx, 1, B + (size_t)n0 * a->ldx, 1, a->ldx, L - n0,
                  SMX__MIN(SMX__NR, L - n0), a->N, 0);
}

/* (2) head h, chunk c: cs, Y = M X with M[l][s] = G[l][s] exp(cs_l - cs_s) dt_s (s <= l), and
 * U = B^T Xs with Xs[s] = exp(cs_last - cs_s) dt_s x_s */
static void smx__ssd_intra_task(void *arg, int i, int tid)
{
    const smx__ssd_work *j = (const smx__ssd_work *)arg;
    const smx__ssd *a = j->a;
    const int H = a->H, P = a->P, N = a->N, c = i / H, h = i % H, g = h / (H / a->G), t0 = c * j->L, L = SMX__MIN(j->L, a->T - t0);
    const float Ah = a->A[h], *Gm = j->gm + ((size_t)c * a->G + g) * j->L * j->L;
    const float *X = a->x + (size_t)t0 * a->ldx + (size_t)h * P, *B = a->B + (size_t)t0 * a->ldx + (size_t)g * N;
    float *cs = j->cs + (size_t)h * a->T + t0, *w = j->tw + (size_t)tid * j->tsz;
    float *M = w, *Xs = M + (size_t)L * L, *dts = Xs + (size_t)L * P + (size_t)L * N;   /* [L][L], [L][P], (Cs), [L] */
    float run = 0.0f, last;
    int l, s;
    for (l = 0; l < L; l++) {
        dts[l] = a->dt[(size_t)(t0 + l) * H + h];
        run += dts[l] * Ah;
        cs[l] = run;
    }
    /* M, zero above the diagonal up to the end of each 4-row block (SMX__GEMM_TRI) */
    for (l = 0; l < L; l++) {
        float *Ml = M + (size_t)l * L, al = cs[l];
        const float *Gl = Gm + (size_t)l * L;
        s = 0;
        for (; s + SMX__VW <= l + 1; s += SMX__VW) {
            smx__vf dd = smx__vsub(smx__vset1(al), smx__vld(cs + s));
            smx__vf e = smx__vsel_gt(dd, smx__vset1(SMX__SSD_TINY), smx__vzero(), smx__vexp(dd));
            smx__vst(Ml + s, smx__vmul(smx__vmul(smx__vld(Gl + s), e), smx__vld(dts + s)));
        }
        for (; s <= l; s++) Ml[s] = Gl[s] * smx__ssd_decay(al - cs[s]) * dts[s];
        for (; s < SMX__MIN(L, (l | 3) + 1); s++) Ml[s] = 0.0f;
    }
    smx__gemm(a->y + (size_t)t0 * a->ldy + (size_t)h * P, a->ldy, M, (size_t)L, 1, X, a->ldx, 1, L, P, L, SMX__GEMM_TRI);
    last = cs[L - 1];
    for (s = 0; s < L; s++) smx__scale(Xs + (size_t)s * P, X + (size_t)s * a->ldx, smx__ssd_decay(last - cs[s]) * dts[s], P);
    smx__gemm(j->u + ((size_t)h * j->nch + c) * N * P, (size_t)P, B, 1, a->ldx, Xs, (size_t)P, 1, N, P, L, 0);
}

/* (3) head h: S_in of each chunk into U's place, S <- exp(cs_last) S + U chunk by chunk */
static void smx__ssd_pass_task(void *arg, int h, int tid)
{
    const smx__ssd_work *j = (const smx__ssd_work *)arg;
    const smx__ssd *a = j->a;
    const int n = a->N * a->P;
    float *S = a->S + (size_t)h * n;
    int c, i;
    (void)tid;
    for (c = 0; c < j->nch; c++) {
        float *u = j->u + ((size_t)h * j->nch + c) * n;
        const int t1 = SMX__MIN((c + 1) * j->L, a->T) - 1;
        const float e = smx__ssd_decay(j->cs[(size_t)h * a->T + t1]);
        const smx__vf ve = smx__vset1(e);
        i = 0;
        for (; i + SMX__VW <= n; i += SMX__VW) {
            smx__vf sv = smx__vld(S + i), uv = smx__vld(u + i);
            smx__vst(u + i, sv);
            smx__vst(S + i, smx__vadd(smx__vmul(ve, sv), uv));
        }
        for (; i < n; i++) {
            float sv = S[i], uv = u[i];
            u[i] = sv;
            S[i] = e * sv + uv;
        }
    }
}

/* (4) head h, chunk c: Y += (exp(cs) C) S_in + D x */
static void smx__ssd_out_task(void *arg, int i, int tid)
{
    const smx__ssd_work *j = (const smx__ssd_work *)arg;
    const smx__ssd *a = j->a;
    const int H = a->H, P = a->P, N = a->N, c = i / H, h = i % H, g = h / (H / a->G), t0 = c * j->L, L = SMX__MIN(j->L, a->T - t0);
    const float *cs = j->cs + (size_t)h * a->T + t0, *C = a->C + (size_t)t0 * a->ldx + (size_t)g * N;
    const float *X = a->x + (size_t)t0 * a->ldx + (size_t)h * P;
    float *Y = a->y + (size_t)t0 * a->ldy + (size_t)h * P, *Cs = j->tw + (size_t)tid * j->tsz + (size_t)L * L + (size_t)L * P;
    int l;
    for (l = 0; l < L; l++) smx__scale(Cs + (size_t)l * N, C + (size_t)l * a->ldx, smx__ssd_decay(cs[l]), N);
    smx__gemm(Y, a->ldy, Cs, (size_t)N, 1, j->u + ((size_t)h * j->nch + c) * N * P, (size_t)P, 1, L, P, N, SMX__GEMM_ACC);
    for (l = 0; l < L; l++) smx__axpy(Y + (size_t)l * a->ldy, a->D[h], X + (size_t)l * a->ldx, P);
}

/* The chunked scan of a->T >= 1 tokens on the pool; work: smx__ssd_work_floats. */
static void smx__ssd_chunked(const smx__cx *cx, const smx__ssd *a, float *work)
{
    const int nth = smx__nth_for((double)a->T * a->H * a->N * a->P * 2, cx->nth);
    smx__ssd_work j;
    j.a = a;
    j.L = smx__ssd_chunk(a->Q, a->T);
    j.nch = (a->T + j.L - 1) / j.L;
    j.cs = work;
    j.gm = j.cs + (size_t)a->H * a->T;
    j.u = j.gm + (size_t)j.nch * a->G * j.L * j.L;
    j.tw = j.u + (size_t)a->H * j.nch * a->N * a->P;
    j.tsz = smx__ssd_thread_floats(j.L, a->P, a->N);
    smx__par(cx, nth, j.nch * a->G, smx__ssd_gram_task, &j);
    smx__par(cx, nth, j.nch * a->H, smx__ssd_intra_task, &j);
    smx__par(cx, nth, a->H, smx__ssd_pass_task, &j);
    smx__par(cx, nth, j.nch * a->H, smx__ssd_out_task, &j);
}

/* ===================================================================================== */
/* II.4 Files and the loader: sources, safetensors, tensors to weights, config readers   */
/* ===================================================================================== */
/* ---- II.4.a Files: where the bytes come from ----
 * A model's files (config.json, safetensors files and their index, tokenizer files, a GGUF file)
 * come from a folder on disk or from the caller's buffers (smx_load_options.files), through one
 * source (smx__src). Large files become a smx__blob: mapped (the default where the platform maps
 * files), read piece by piece on demand (smx_load_options.copy, SMX_NO_MMAP), or the caller's
 * buffer in place. Weights used in place keep their blob alive as long as the model; the rest is
 * released after loading, and the pages of a mapped range that was copied are given back at once,
 * so a load never holds a file twice. */
#define SMX__BLOB_MAP 1     /* mapped read-only */
#define SMX__BLOB_FILE 2    /* read on demand from fp */
#define SMX__BLOB_USER 3    /* the caller's buffer */

typedef struct smx__blob {
    const unsigned char *data;  /* the whole file (NULL for SMX__BLOB_FILE) */
    size_t size;
    int kind;
    int borrowed;               /* a model points into data: release it with the model */
    FILE *fp;
    const char *name;           /* for messages */
#ifdef _WIN32
    void *fh, *mh;              /* file and mapping handles */
#endif
} smx__blob;

typedef struct smx__src {
    const char *dir;            /* folder, or NULL */
    const smx_file *files;      /* in-memory files by name (used when dir is NULL) */
    int nfiles;
    int copy;                   /* read tensor data rather than mapping it */
    size_t max_text;            /* largest config/index/tokenizer text accepted */
} smx__src;

static void smx__path(char *dst, size_t cap, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    snprintf(dst, cap, "%s%s%s", dir, (n && (dir[n - 1] == '/' || dir[n - 1] == '\\')) ? "" : "/", name);
}

static const smx_file *smx__src_mem(const smx__src *s, const char *name)
{
    int i;
    for (i = 0; !s->dir && i < s->nfiles; i++)
        if (s->files[i].name && !strcmp(s->files[i].name, name)) return &s->files[i];
    return NULL;
}

/* Size of a regular file, or -1 (missing, a directory, unreadable). */
static int64_t smx__file_size(const char *path)
{
#if defined(_WIN32)
    struct _stat64 sb;
    if (_stat64(path, &sb) != 0 || !(sb.st_mode & _S_IFREG)) return -1;
    return (int64_t)sb.st_size;
#elif defined(__unix__) || defined(__APPLE__)
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return -1;
    return (int64_t)sb.st_size;
#else
    FILE *f = fopen(path, "rb");
    long n = -1;
    if (f) {
        char c;
        if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
        if (n == LONG_MAX || fseek(f, 0, SEEK_SET) != 0 || (n > 0 && fread(&c, 1, 1, f) != 1)) n = -1;   /* a directory */
        fclose(f);
    }
    return n;
#endif
}

/* A whole file of at most max bytes as NUL-terminated text the caller frees (SMX_FREE). */
static smx_status smx__read_file(const char *path, size_t max, char **out, size_t *len, smx_error *e)
{
    int64_t n = smx__file_size(path);
    FILE *f;
    char *buf;
    *out = NULL;
    if (n < 0) return smx__fail(e, SMX_E_IO, "%s: cannot open (missing, or not a regular file)", path);
    if ((uint64_t)n > max) return smx__fail(e, SMX_E_RANGE, "%s: %lld bytes is more than the %lu accepted", path, (long long)n, (unsigned long)max);
    if (!(f = fopen(path, "rb"))) return smx__fail(e, SMX_E_IO, "%s: cannot open", path);
    if (!(buf = (char *)SMX_MALLOC((size_t)n + 1))) { fclose(f); return smx__fail(e, SMX_E_NOMEM, "%s: no memory for %lld bytes", path, (long long)n); }
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

static int smx__src_has(const smx__src *s, const char *name)
{
    char path[4096];
    if (!s->dir) return smx__src_mem(s, name) != NULL;
    smx__path(path, sizeof path, s->dir, name);
    return smx__file_size(path) >= 0;
}

/* A whole small file (config, index, tokenizer) as NUL-terminated text the caller frees. */
static smx_status smx__src_text(const smx__src *s, const char *name, char **out, size_t *len, smx_error *e)
{
    char path[4096];
    const smx_file *mf;
    char *buf;
    *out = NULL;
    if (!s->dir) {
        if (!(mf = smx__src_mem(s, name))) return smx__fail(e, SMX_E_IO, "%s: not among the files given", name);
        if (mf->size > s->max_text)
            return smx__fail(e, SMX_E_RANGE, "%s: %lu bytes is more than the %lu a text file may have", name, (unsigned long)mf->size,
                             (unsigned long)s->max_text);
        if (!(buf = (char *)SMX_MALLOC(mf->size + 1))) return smx__fail(e, SMX_E_NOMEM, "%s: no memory for %lu bytes", name, (unsigned long)mf->size);
        if (mf->size) memcpy(buf, mf->data, mf->size);
        buf[mf->size] = 0;
        *out = buf;
        if (len) *len = mf->size;
        return SMX_OK;
    }
    smx__path(path, sizeof path, s->dir, name);
    return smx__read_file(path, s->max_text, out, len, e);
}

static void smx__blob_close(smx__blob *b)
{
#if SMX__MMAP
    if (b->kind == SMX__BLOB_MAP && b->data) munmap((void *)(uintptr_t)b->data, b->size);
#elif defined(_WIN32) && !defined(SMX_NO_MMAP)
    if (b->kind == SMX__BLOB_MAP && b->data) UnmapViewOfFile(b->data);
    if (b->mh) CloseHandle((HANDLE)b->mh);
    if (b->fh) CloseHandle((HANDLE)b->fh);
#endif
    if (b->fp) fclose(b->fp);
    memset(b, 0, sizeof *b);
}

/* Open a large file (weights). name: a file of the source (path under dir, or a given buffer). */
static smx_status smx__src_open(const smx__src *s, const char *name, char *namebuf, size_t cap, smx__blob *b, smx_error *e)
{
    const smx_file *mf;
    int64_t n;
    memset(b, 0, sizeof *b);
    if (!s->dir) {
        if (!(mf = smx__src_mem(s, name))) return smx__fail(e, SMX_E_IO, "%s: not among the files given", name);
        snprintf(namebuf, cap, "%s", name);
        b->name = namebuf;
        b->data = (const unsigned char *)mf->data;
        b->size = mf->size;
        b->kind = SMX__BLOB_USER;
        return SMX_OK;
    }
    smx__path(namebuf, cap, s->dir, name);
    b->name = namebuf;
    if ((n = smx__file_size(namebuf)) < 0) return smx__fail(e, SMX_E_IO, "%s: cannot open (missing, or not a regular file)", namebuf);
    if (n == 0) return smx__fail(e, SMX_E_FORMAT, "%s: empty file", namebuf);
    if ((uint64_t)n > (uint64_t)(size_t)-1 / 2) return smx__fail(e, SMX_E_RANGE, "%s: too large for this platform", namebuf);
    b->size = (size_t)n;
#if SMX__MMAP
    if (!s->copy) {
        int fd = open(namebuf, O_RDONLY);
        void *p;
        if (fd < 0) return smx__fail(e, SMX_E_IO, "%s: cannot open", namebuf);
        p = mmap(NULL, b->size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED) return smx__fail(e, SMX_E_IO, "%s: mmap failed", namebuf);
        b->data = (const unsigned char *)p;
        b->kind = SMX__BLOB_MAP;
        return SMX_OK;
    }
#elif defined(_WIN32) && !defined(SMX_NO_MMAP)
    if (!s->copy) {
        HANDLE fh = CreateFileA(namebuf, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL), mh;
        if (fh == INVALID_HANDLE_VALUE) return smx__fail(e, SMX_E_IO, "%s: cannot open", namebuf);
        mh = CreateFileMappingA(fh, NULL, PAGE_READONLY, 0, 0, NULL);
        b->fh = fh;
        b->mh = mh;
        if (mh) b->data = (const unsigned char *)MapViewOfFile(mh, FILE_MAP_READ, 0, 0, 0);
        if (!b->data) { smx__blob_close(b); return smx__fail(e, SMX_E_IO, "%s: cannot map", namebuf); }
        b->name = namebuf;
        b->size = (size_t)n;
        b->kind = SMX__BLOB_MAP;
        return SMX_OK;
    }
#endif
    if (!(b->fp = fopen(namebuf, "rb"))) return smx__fail(e, SMX_E_IO, "%s: cannot open", namebuf);
    b->kind = SMX__BLOB_FILE;
    return SMX_OK;
}

/* Bytes [off, off + n) in place, or NULL where the file is read on demand. */
static const unsigned char *smx__blob_at(const smx__blob *b, size_t off, size_t n)
{
    (void)n;
    return b->data ? b->data + off : NULL;
}

/* Copy bytes [off, off + n) (checked against the file by the caller) to dst. */
static smx_status smx__blob_read(smx__blob *b, size_t off, void *dst, size_t n, smx_error *e)
{
    if (b->data) { memcpy(dst, b->data + off, n); return SMX_OK; }
#if defined(_WIN32)
    if (_fseeki64(b->fp, (__int64)off, SEEK_SET) != 0 || fread(dst, 1, n, b->fp) != n)
#else
    if ((off > (size_t)LONG_MAX || fseek(b->fp, (long)off, SEEK_SET) != 0) || fread(dst, 1, n, b->fp) != n)
#endif
        return smx__fail(e, SMX_E_IO, "%s: cannot read %lu bytes at offset %lu", b->name, (unsigned long)n, (unsigned long)off);
    return SMX_OK;
}

/* The range was copied out of a mapping: hand its whole pages back to the system now. */
static void smx__blob_drop(const smx__blob *b, size_t off, size_t n)
{
#if SMX__MMAP && defined(MADV_DONTNEED)
    if (b->kind == SMX__BLOB_MAP && n >= 65536) {
        const size_t pg = 4096;
        uintptr_t lo = ((uintptr_t)(b->data + off) + pg - 1) & ~(uintptr_t)(pg - 1), hi = (uintptr_t)(b->data + off + n) & ~(uintptr_t)(pg - 1);
        if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
#else
    (void)b; (void)off; (void)n;
#endif
}

/* ---- II.4.b safetensors ----
 * u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin,
 * end]}}, then the data. Every offset and size is checked against the file before any byte of
 * data is read; tensors may not overlap. */
enum { SMX__DT_F32, SMX__DT_F16, SMX__DT_BF16, SMX__DT_I32, SMX__DT_OTHER };

#define SMX__ST_MAX_HEADER ((uint64_t)100 << 20)   /* safetensors refuses larger headers too */

typedef struct smx__st_entry {
    const char *name;
    int dtype, ndim, file;
    int64_t shape[8];
    size_t numel;
    size_t off;                 /* absolute offset of the data in its file */
    size_t nbytes;
    int used;
} smx__st_entry;

typedef struct smx__tensors {
    smx__arena arena;
    smx__blob *files;
    int nfiles;
    smx__st_entry *ent;
    int nent, cap;
    int *hash;                  /* [hcap] entry index + 1, open addressing by name */
    int hcap;
} smx__tensors;

static void smx__st_close(smx__tensors *t)
{
    int i;
    for (i = 0; i < t->nfiles; i++) smx__blob_close(&t->files[i]);
    SMX_FREE(t->files);
    SMX_FREE(t->ent);
    SMX_FREE(t->hash);
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

typedef struct smx__range { size_t off, n; const char *name; } smx__range;

static int smx__cmp_range(const void *a, const void *b)
{
    const smx__range *x = (const smx__range *)a, *y = (const smx__range *)b;
    return x->off < y->off ? -1 : x->off > y->off ? 1 : 0;
}

/* Nonzero when two of the n ranges (sorted here) overlap; *a, *b name them. */
static int smx__ranges_overlap(smx__range *r, size_t n, const char **a, const char **b)
{
    size_t k;
    if (n < 2) return 0;
    qsort(r, n, sizeof *r, smx__cmp_range);
    for (k = 1; k < n; k++)
        if (r[k - 1].off + r[k - 1].n > r[k].off) { *a = r[k - 1].name; *b = r[k].name; return 1; }
    return 0;
}

/* Open one safetensors file of the source and append its entries. */
static smx_status smx__st_open_file(smx__tensors *t, const smx__src *src, const char *name, smx_error *e)
{
    char path[4096];
    smx__blob *f, *nf;
    smx__range *order = NULL;
    const smx__jv *root, *c;
    unsigned char lb[8];
    char *hdr;
    uint64_t hlen = 0;
    size_t data0;
    int k, first, fi;
    smx_status st;
    nf = (smx__blob *)SMX_REALLOC(t->files, sizeof *t->files * (size_t)(t->nfiles + 1));
    if (!nf) return smx__fail(e, SMX_E_NOMEM, "%s: out of memory", name);
    t->files = nf;
    fi = t->nfiles;
    f = &t->files[fi];
    if ((st = smx__src_open(src, name, path, sizeof path, f, e)) != SMX_OK) return st;
    t->nfiles++;
    f->name = smx__arena_strdup(&t->arena, path);
    if (!f->name) return smx__fail(e, SMX_E_NOMEM, "%s: out of memory", path);
    if (f->size < 8) return smx__fail(e, SMX_E_FORMAT, "%s: %lu bytes is too short for a safetensors header", path, (unsigned long)f->size);
    if ((st = smx__blob_read(f, 0, lb, 8, e)) != SMX_OK) return st;
    for (k = 7; k >= 0; k--) hlen = (hlen << 8) | lb[k];
    if (hlen > f->size - 8 || hlen > SMX__ST_MAX_HEADER)
        return smx__fail(e, SMX_E_FORMAT, "%s: header length %llu runs past the end of the file (%lu bytes) or the 100 MiB limit", path,
                         (unsigned long long)hlen, (unsigned long)f->size);
    data0 = 8 + (size_t)hlen;
    hdr = (char *)smx__arena_alloc_aligned(&t->arena, (size_t)hlen + 1, 1);
    if (!hdr) return smx__fail(e, SMX_E_NOMEM, "%s: no memory for a header of %llu bytes", path, (unsigned long long)hlen);
    if ((st = smx__blob_read(f, 8, hdr, (size_t)hlen, e)) != SMX_OK) return st;
    if ((st = smx__json_parse(hdr, (size_t)hlen, &t->arena, 0, f->name, (smx__jv **)&root, e)) != SMX_OK) return st;
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
            smx__st_entry *ne;
            if (t->cap > (1 << 24)) return smx__fail(e, SMX_E_FORMAT, "%s: more than 2^25 tensors", path);
            ne = (smx__st_entry *)SMX_REALLOC(t->ent, sizeof *ne * (size_t)nc);
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
        if (en_ > (double)(f->size - data0))
            return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' data [%.0f, %.0f) lies outside the %lu data bytes", path,
                             c->key, b, en_, (unsigned long)(f->size - data0));
        en->nbytes = (size_t)(en_ - b);
        if (en->nbytes != numel * esz)
            return smx__fail(e, SMX_E_FORMAT, "%s: tensor '%s' has %lu bytes but its shape and dtype need %lu", path,
                             c->key, (unsigned long)en->nbytes, (unsigned long)(numel * esz));
        en->off = data0 + (size_t)b;
        t->nent++;
    }
    /* no two tensors may overlap */
    if (t->nent - first > 1) {
        const char *a, *bn;
        order = (smx__range *)SMX_MALLOC(sizeof *order * (size_t)(t->nent - first));
        if (!order) return smx__fail(e, SMX_E_NOMEM, "%s: out of memory", path);
        for (k = first; k < t->nent; k++) {
            order[k - first].off = t->ent[k].off;
            order[k - first].n = t->ent[k].nbytes;
            order[k - first].name = t->ent[k].name;
        }
        if (smx__ranges_overlap(order, (size_t)(t->nent - first), &a, &bn)) {
            st = smx__fail(e, SMX_E_FORMAT, "%s: tensors '%s' and '%s' overlap", path, a, bn);
            SMX_FREE(order);
            return st;
        }
        SMX_FREE(order);
    }
    return SMX_OK;
}

static uint32_t smx__hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s) { h ^= (unsigned char)*s++; h *= 16777619u; }
    return h;
}

/* Index the entries by name (after every file is open); a repeated name is an error. */
static smx_status smx__st_index(smx__tensors *t, smx_error *e)
{
    int i, cap = 16;
    while (cap < 2 * t->nent) cap *= 2;
    SMX_FREE(t->hash);
    t->hash = (int *)SMX_MALLOC(sizeof(int) * (size_t)cap);
    if (!t->hash) return smx__fail(e, SMX_E_NOMEM, "out of memory for the tensor index");
    memset(t->hash, 0, sizeof(int) * (size_t)cap);
    t->hcap = cap;
    for (i = 0; i < t->nent; i++) {
        uint32_t h = smx__hash_str(t->ent[i].name) & (uint32_t)(cap - 1);
        while (t->hash[h]) {
            if (!strcmp(t->ent[t->hash[h] - 1].name, t->ent[i].name))
                return smx__fail(e, SMX_E_FORMAT, "tensor '%s' appears twice (in %s and %s)", t->ent[i].name,
                                 t->files[t->ent[t->hash[h] - 1].file].name, t->files[t->ent[i].file].name);
            h = (h + 1) & (uint32_t)(cap - 1);
        }
        t->hash[h] = i + 1;
    }
    return SMX_OK;
}

static smx__st_entry *smx__st_find(smx__tensors *t, const char *name)
{
    uint32_t h;
    int i;
    if (!t->hash) {
        for (i = 0; i < t->nent; i++)
            if (!strcmp(t->ent[i].name, name)) return &t->ent[i];
        return NULL;
    }
    for (h = smx__hash_str(name) & (uint32_t)(t->hcap - 1); t->hash[h]; h = (h + 1) & (uint32_t)(t->hcap - 1))
        if (!strcmp(t->ent[t->hash[h] - 1].name, name)) return &t->ent[t->hash[h] - 1];
    return NULL;
}

/* Open a checkpoint: model.safetensors.index.json (sharded) or model.safetensors. */
static smx_status smx__st_open_dir(smx__tensors *t, const smx__src *src, smx_error *e)
{
    static const char *const index_name = "model.safetensors.index.json";
    smx_status st;
    if (smx__src_has(src, index_name)) {
        const smx__jv *root, *wm, *c, *d;
        char *idx;
        size_t n;
        if ((st = smx__src_text(src, index_name, &idx, &n, e)) != SMX_OK) return st;
        st = smx__json_parse(idx, n, &t->arena, 1, index_name, (smx__jv **)&root, e);
        SMX_FREE(idx);
        if (st) return st;
        wm = smx__jget(root, "weight_map");
        if (!wm || wm->type != SMX__J_OBJ) return smx__fail(e, SMX_E_FORMAT, "%s: no \"weight_map\" object", index_name);
        for (c = wm->child; c; c = c->next) {   /* open each distinct shard once */
            int seen = 0;
            if (c->type != SMX__J_STR || !c->str[0] || !strcmp(c->str, ".") || strchr(c->str, '/') || strchr(c->str, '\\') ||
                strstr(c->str, ".."))
                return smx__fail(e, SMX_E_FORMAT, "%s: weight_map entry '%s' is not a file name", index_name, c->key);
            for (d = wm->child; d != c; d = d->next)
                if (!strcmp(d->str, c->str)) { seen = 1; break; }
            if (seen) continue;
            if ((st = smx__st_open_file(t, src, c->str, e)) != SMX_OK) return st;
        }
        if ((st = smx__st_index(t, e)) != SMX_OK) return st;
        for (c = wm->child; c; c = c->next) {
            smx__st_entry *en = smx__st_find(t, c->key);
            const char *fn = en ? t->files[en->file].name : NULL, *base = fn ? strrchr(fn, '/') : NULL;
            base = base ? base + 1 : fn;
            if (!en || strcmp(base, c->str) != 0)
                return smx__fail(e, SMX_E_FORMAT, "index lists tensor '%s' in %s but that shard does not hold it", c->key, c->str);
        }
        return SMX_OK;
    }
    if (!smx__src_has(src, "model.safetensors"))
        return smx__fail(e, SMX_E_IO, "%s: no model.safetensors or model.safetensors.index.json", src->dir ? src->dir : "(files given)");
    if ((st = smx__st_open_file(t, src, "model.safetensors", e)) != SMX_OK) return st;
    return smx__st_index(t, e);
}

/* Open one safetensors file by its path and index it (the tools' golden data). */
SMX__MAYBE_UNUSED static smx_status smx__st_open_path(smx__tensors *t, const char *path, smx_error *e)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    smx__src src;
    smx_status st;
    memset(&src, 0, sizeof src);
    if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else snprintf(dir, sizeof dir, ".");
    src.dir = dir;
    src.max_text = (size_t)64 << 20;
    if ((st = smx__st_open_file(t, &src, slash ? slash + 1 : path, e)) != SMX_OK) return st;
    return smx__st_index(t, e);
}

/* An entry's raw bytes: in place, or read once into the reader's arena (tools and tests). */
SMX__MAYBE_UNUSED static const void *smx__st_bytes(smx__tensors *t, const smx__st_entry *en, smx_error *e)
{
    smx__blob *b = &t->files[en->file];
    const unsigned char *p = smx__blob_at(b, en->off, en->nbytes);
    void *buf;
    if (p) return p;
    buf = smx__arena_alloc(&t->arena, en->nbytes ? en->nbytes : 1);
    if (!buf) { smx__fail(e, SMX_E_NOMEM, "out of memory for tensor '%s'", en->name); return NULL; }
    return smx__blob_read(b, en->off, buf, en->nbytes, e) == SMX_OK ? buf : NULL;
}

/* Convert n elements of dtype from src to float32 dst. */
static void smx__st_convert(int dtype, const unsigned char *p, size_t n, float *dst)
{
    size_t i;
    switch (dtype) {
    case SMX__DT_F32: memcpy(dst, p, n * 4); break;
    case SMX__DT_F16:
        for (i = 0; i < n; i++) dst[i] = smx__f16_to_f32((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
        break;
    case SMX__DT_BF16:
        for (i = 0; i < n; i++) dst[i] = smx__bf16_to_f32((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
        break;
    case SMX__DT_I32:
        for (i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, p + 4 * i, 4);
            dst[i] = (float)v;
        }
        break;
    }
}

/* An entry's data as float32 into dst [numel]: in place from the blob or read into scratch. */
static smx_status smx__st_read_f32(smx__tensors *t, const smx__st_entry *en, float *dst, smx_error *e)
{
    smx__blob *b = &t->files[en->file];
    const unsigned char *p = smx__blob_at(b, en->off, en->nbytes);
    smx_status st = SMX_OK;
    if (p) smx__st_convert(en->dtype, p, en->numel, dst);
    else if (en->dtype == SMX__DT_F32) st = smx__blob_read(b, en->off, dst, en->nbytes, e);
    else {
        unsigned char *tmp = (unsigned char *)SMX_MALLOC(en->nbytes ? en->nbytes : 1);
        if (!tmp) return smx__fail(e, SMX_E_NOMEM, "out of memory for tensor '%s'", en->name);
        if ((st = smx__blob_read(b, en->off, tmp, en->nbytes, e)) == SMX_OK) smx__st_convert(en->dtype, tmp, en->numel, dst);
        SMX_FREE(tmp);
    }
    if (st == SMX_OK) smx__blob_drop(b, en->off, en->nbytes);
    return st;
}

/* Write a safetensors file of F32 tensors (names[i], shapes[i][0..ndims[i]), data[i]). */
typedef struct smx__st_out { const char *name; int ndim; int64_t shape[4]; const float *data; uint32_t hash; } smx__st_out;

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
    size_t n_params, weight_bytes;
    int wtype;          /* SMX__WT_* matrices are converted to at load, -1: as stored */
    int max_layers;
    size_t max_generated;
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

/* The entry of a tensor by name with an exact shape check; NULL if absent (an error unless opt) or
 * if the shape or dtype is wrong (an error either way). */
static smx__st_entry *smx__ld_entry(smx__loader *ld, int opt, int ndim, const int64_t *dims, const char *name)
{
    char want[96], got[96];
    smx__st_entry *en = smx__st_find(ld->ts, name);
    int k;
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
    return en;
}

/* Count a tensor once and fold it into the model fingerprint. */
static void smx__ld_note(smx__loader *ld, smx__st_entry *en, const char *name, const void *data, size_t bytes)
{
    if (en && !en->used) {
        ld->n_params += en->numel;
        ld->weight_bytes += bytes;
    }
    if (en) en->used = 1;
    ld->fp = smx__fnv(ld->fp, name, strlen(name));
    ld->fp = smx__fnv(ld->fp, data, SMX__MIN(bytes, (size_t)64));
}

/* A tensor's bytes used in place: F32 data, or a matrix in any type, that lies in a mapped file or
 * the caller's buffer on a 64-byte boundary (so no vector load of the bandwidth-bound decode
 * straddles two cache lines); NULL when it must be copied (safetensors aligns to 8 bytes only). */
static const void *smx__ld_inplace(smx__loader *ld, const smx__st_entry *en)
{
    smx__blob *b = &ld->ts->files[en->file];
    const unsigned char *p = smx__blob_at(b, en->off, en->nbytes);
    if (!p || ((uintptr_t)p & 63) != 0) return NULL;
    if (en->dtype != SMX__DT_F32 && en->dtype != SMX__DT_F16 && en->dtype != SMX__DT_BF16) return NULL;
    b->borrowed = 1;
    return p;
}

/* Fetch a tensor as float32 (norm weights, biases, conv kernels, SSM parameters: the small ones)
 * with an exact shape check. opt: absence is not an error (NULL). */
static const float *smx__tensor(smx__loader *ld, int opt, int ndim, int64_t d0, int64_t d1, int64_t d2, const char *fmt, ...)
{
    char name[512];
    int64_t dims[3];
    smx__st_entry *en;
    const float *out;
    va_list ap;
    if (ld->st) return NULL;
    dims[0] = d0; dims[1] = d1; dims[2] = d2;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    if (ld->random) return smx__random_tensor(ld, name, ndim, dims);
    if (!(en = smx__ld_entry(ld, opt, ndim, dims, name))) return NULL;
    /* F32 data on a 64-byte boundary is used in place (zero-copy from the mapping) */
    out = en->dtype == SMX__DT_F32 ? (const float *)smx__ld_inplace(ld, en) : NULL;
    if (!out) {
        float *buf = smx__ld_alloc(ld, en->numel);
        if (!buf) return NULL;
        if (smx__st_read_f32(ld->ts, en, buf, ld->e) != SMX_OK) { ld->st = ld->e ? ld->e->status : SMX_E_IO; return NULL; }
        out = buf;
    }
    smx__ld_note(ld, en, name, out, en->numel * sizeof(float));
    return out;
}

/* A float32 matrix already in memory as a weight handle. */
static smx__w smx__w_f32(const float *data, int rows, int cols, const char *name)
{
    smx__w w;
    w.data = data; w.name = name; w.type = SMX__WT_F32; w.rows = rows; w.cols = cols; w.rb = (size_t)cols * sizeof(float);
    return w;
}

/* Rows [r0, r0 + n) of W as a weight of their own (any type: rows are whole). */
static smx__w smx__w_rows(const smx__w *W, int r0, int n)
{
    smx__w w = *W;
    w.data = W->data ? (const unsigned char *)W->data + (size_t)r0 * W->rb : NULL;
    w.rows = n;
    return w;
}

/* W converted to type in the model arena (row by row through float32). */
static smx__w smx__w_convert(smx__loader *ld, const smx__w *W, int type)
{
    smx__w o = *W;
    float *row = (float *)SMX_MALLOC(sizeof(float) * (size_t)W->cols);
    unsigned char *dst;
    int r;
    o.type = type;
    o.rb = smx__w_row_bytes(type, W->cols);
    dst = (unsigned char *)smx__arena_alloc(smx__model_arena(ld->m), o.rb * (size_t)W->rows);
    if (!row || !dst) {
        SMX_FREE(row);
        smx__ld_fail(ld, SMX_E_NOMEM, "out of memory converting tensor '%s' to %s", W->name, smx__wtypes[type].name);
        memset(&o, 0, sizeof o);
        return o;
    }
    for (r = 0; r < W->rows; r++) {
        smx__w_row(W, r, 0, W->cols, row);
        smx__w_encode(type, row, dst + (size_t)r * o.rb, W->cols);
    }
    SMX_FREE(row);
    o.data = dst;
    return o;
}

/* Fetch a matrix weight [n0 (x n1), cols] in the type it is stored in; 3-D tensors (stacked
 * experts) come as one matrix of n0 * n1 rows. Data that is not 64-byte aligned in the mapping
 * (safetensors aligns to 8 bytes) is copied into aligned memory, so no vector load of the
 * bandwidth-bound decode straddles two cache lines. opt: absence is not an error (data NULL). */
static smx__w smx__matrix(smx__loader *ld, int opt, int ndim, int64_t n0, int64_t n1, int64_t cols, const char *fmt, ...)
{
    char name[512];
    int64_t dims[3];
    smx__st_entry *en;
    smx__w w;
    va_list ap;
    memset(&w, 0, sizeof w);
    if (ld->st) return w;
    dims[0] = n0; dims[1] = ndim == 3 ? n1 : cols; dims[2] = cols;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    if (!smx__ld_check(ld, n0 > 0 && cols > 0 && (ndim == 2 || n1 > 0) && n0 * (ndim == 3 ? n1 : 1) < INT_MAX && cols < INT_MAX,
                       SMX_E_RANGE, "tensor '%s': the config implies an empty or oversized matrix", name))
        return w;
    w.rows = (int)(n0 * (ndim == 3 ? n1 : 1));
    w.cols = (int)cols;
    w.name = smx__arena_strdup(smx__model_arena(ld->m), name);
    if (ld->random) {
        w.data = smx__random_tensor(ld, name, ndim, dims);
        w.type = SMX__WT_F32;
        w.rb = (size_t)cols * 4;
        if (!w.data) { memset(&w, 0, sizeof w); return w; }
        if (ld->wtype >= 0 && ld->wtype != SMX__WT_F32) w = smx__w_convert(ld, &w, ld->wtype);
        return w;
    }
    if (!(en = smx__ld_entry(ld, opt, ndim, dims, name))) { memset(&w, 0, sizeof w); return w; }
    w.type = en->dtype == SMX__DT_F32 ? SMX__WT_F32 : en->dtype == SMX__DT_F16 ? SMX__WT_F16 : SMX__WT_BF16;
    w.rb = (size_t)cols * (size_t)smx__wtypes[w.type].elem_bytes;
    if (ld->wtype < 0 || ld->wtype == w.type) {
        /* as stored: in place where aligned, else one aligned copy */
        if ((w.data = smx__ld_inplace(ld, en)) == NULL) {
            smx__blob *bl = &ld->ts->files[en->file];
            void *buf = smx__arena_alloc(smx__model_arena(ld->m), en->nbytes);
            if (!buf) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory for tensor '%s'", name); memset(&w, 0, sizeof w); return w; }
            if (smx__blob_read(bl, en->off, buf, en->nbytes, ld->e) != SMX_OK) {
                ld->st = ld->e ? ld->e->status : SMX_E_IO;
                memset(&w, 0, sizeof w);
                return w;
            }
            smx__blob_drop(bl, en->off, en->nbytes);
            w.data = buf;
        }
    } else {
        /* converted: read from the file (in place or into a temporary), write the new type */
        smx__blob *bl = &ld->ts->files[en->file];
        const unsigned char *p = smx__blob_at(bl, en->off, en->nbytes);
        void *tmp = NULL;
        if (!p) {
            if (!(tmp = SMX_MALLOC(en->nbytes ? en->nbytes : 1))) {
                smx__ld_fail(ld, SMX_E_NOMEM, "out of memory for tensor '%s'", name);
                memset(&w, 0, sizeof w);
                return w;
            }
            if (smx__blob_read(bl, en->off, tmp, en->nbytes, ld->e) != SMX_OK) {
                ld->st = ld->e ? ld->e->status : SMX_E_IO;
                SMX_FREE(tmp);
                memset(&w, 0, sizeof w);
                return w;
            }
            p = (const unsigned char *)tmp;
        }
        w.data = p;
        w = smx__w_convert(ld, &w, ld->wtype);
        SMX_FREE(tmp);
        smx__blob_drop(bl, en->off, en->nbytes);
        if (!w.data) return w;
    }
    smx__ld_note(ld, en, name, w.data, (size_t)w.rows * w.rb);
    return w;
}
#define SMX__M2(ld, rows, cols, ...) smx__matrix(ld, 0, 2, rows, 0, cols, __VA_ARGS__)
#define SMX__M3(ld, n0, n1, cols, ...) smx__matrix(ld, 0, 3, n0, n1, cols, __VA_ARGS__)
#define SMX__MO2(ld, rows, cols, ...) smx__matrix(ld, 1, 2, rows, 0, cols, __VA_ARGS__)

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

/* int(factor * d) for a config factor (Python's int() of the product, truncating): refused unless
 * finite and the result lies in [1, 2^30]. */
static int smx__cfg_scaled(smx__loader *ld, const smx__jv *o, const char *key, double def, int d)
{
    double f = smx__cf(ld, o, key, def), v = f * (double)d;
    if (ld->st) return 1;
    if (!(v >= 1.0 && v <= (double)(1 << 30))) {
        smx__ld_fail(ld, SMX_E_RANGE, "config.json: field '%s' = %g times %d is not a size in [1, 2^30]", key, f, d);
        return 1;
    }
    return (int)v;
}

/* A positive integer, or the string "auto" (or absent) for def. */
static int smx__cfg_auto(smx__loader *ld, const smx__jv *o, const char *key, int def)
{
    const smx__jv *v = smx__cfg_get(ld, o, key);
    if (!v || (v->type == SMX__J_STR && !strcmp(v->str, "auto"))) return def;
    if (v->type != SMX__J_STR) return smx__ci_pos(ld, o, key, 1);
    smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be an integer or \"auto\"", key);
    return 1;
}

/* A layer count n (read from key) within smx_load_options.max_layers. */
static int smx__ld_layers_ok(smx__loader *ld, int n, const char *key)
{
    return smx__ld_check(ld, n > 0 && n <= ld->max_layers, SMX_E_RANGE, "config.json: %s = %d is more layers than the limit of %d "
                         "(smx_load_options.max_layers)", key, n, ld->max_layers);
}

/* The model's context length from key (0 or absent: none); negative is an error. */
static int smx__cfg_ctx(smx__loader *ld, const char *key)
{
    int n = smx__ci(ld, NULL, key, 0);
    smx__ld_check(ld, n >= 0, SMX_E_RANGE, "config.json: field '%s' must not be negative (found %d)", key, n);
    return n < 0 ? 0 : n;
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
    const smx__cx *cx;  /* threads */
    int n_ctx;          /* bidirectional attention sees keys [0, max(pos + T, n_ctx)): a caller that
                           re-runs part of a canvas keeps the cached rows after it (0: pos + T) */
} smx__fwd;

/* Capabilities of an operator type. */
#define SMX__CAP_REWIND 1   /* its state is per position (or none): a session can move back */
#define SMX__CAP_BIDIR 2    /* every position sees every other (masked-diffusion attention) */

typedef struct smx__op_vt {
    const char *name;
    char letter;        /* for the layer pattern string (one letter per operator type) */
    int caps;           /* SMX__CAP_* */
    size_t (*state_bytes)(const smx__op *op, int n_ctx);        /* NULL: stateless */
    size_t (*scratch_floats)(const smx__op *op, int T, int n_ctx, int nth);
    void (*forward)(const smx__op *op, void *state, const smx__fwd *f);
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
    smx__w embed;               /* [vocab, d] */
    smx__sub *sub;
    int n_sub, cap_sub;
    int n_blocks;               /* layers as the config counts them */
    int fnorm;                  /* final norm */
    float feps;
    const float *fnw, *fnb;
    smx__w head;                /* [n_logits, d]; data NULL: no head (feature models) */
    const float *head_b;        /* [n_logits] or NULL */
    int n_logits;
    float logit_cap;            /* logits = cap * tanh(logits / cap) when > 0 */
    int causal, max_ctx, mask_token;
    uint64_t fp;
    size_t n_params, weight_bytes;  /* weight bytes as held in memory */
    const char *config_text;    /* generated models: their config.json */
    smx__st_out *gen;           /* generated models: every weight, for smx_model_save */
    int n_gen, cap_gen;
    int *gen_index, gen_hcap;   /* [gen_hcap] gen index + 1 by name hash */
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
    if (m->n_sub >= ld->max_layers) {
        smx__ld_fail(ld, SMX_E_RANGE, "the model has more than %d sub-layers (smx_load_options.max_layers)", ld->max_layers);
        return;
    }
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
    uint32_t h = smx__hash_str(name), slot;
    for (k = 0; k < ndim; k++) n *= (size_t)dims[k];
    /* asked twice (a tied head asks for the embedding): the same tensor; gen_index finds names */
    for (slot = h & (uint32_t)(m->gen_hcap - 1); m->gen_hcap && m->gen_index[slot]; slot = (slot + 1) & (uint32_t)(m->gen_hcap - 1))
        if (m->gen[m->gen_index[slot] - 1].hash == h && !strcmp(m->gen[m->gen_index[slot] - 1].name, name)) return m->gen[m->gen_index[slot] - 1].data;
    if (!smx__ld_check(ld, ld->weight_bytes + n * sizeof(float) <= ld->max_generated, SMX_E_RANGE,
                       "generated weights would exceed %lu bytes at tensor '%s' (smx_load_options.max_generated_bytes)",
                       (unsigned long)ld->max_generated, name))
        return NULL;
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
        int *ix = (int *)smx__arena_alloc(&m->arena, sizeof(int) * 2 * (size_t)nc);
        if (!g || !ix) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
        if (m->n_gen) memcpy(g, m->gen, sizeof *g * (size_t)m->n_gen);
        m->gen = g; m->cap_gen = nc;
        m->gen_index = ix; m->gen_hcap = 2 * nc;   /* rebuilt at twice the capacity: load factor <= 1/2 */
        for (k = 0; k < m->n_gen; k++) {
            for (slot = m->gen[k].hash & (uint32_t)(m->gen_hcap - 1); ix[slot]; slot = (slot + 1) & (uint32_t)(m->gen_hcap - 1)) {}
            ix[slot] = k + 1;
        }
    }
    for (slot = h & (uint32_t)(m->gen_hcap - 1); m->gen_index[slot]; slot = (slot + 1) & (uint32_t)(m->gen_hcap - 1)) {}
    m->gen_index[slot] = m->n_gen + 1;
    m->gen[m->n_gen].name = smx__arena_strdup(&m->arena, name);
    m->gen[m->n_gen].hash = h;
    m->gen[m->n_gen].ndim = ndim;
    for (k = 0; k < ndim && k < 4; k++) m->gen[m->n_gen].shape[k] = dims[k];
    m->gen[m->n_gen].data = p;
    m->n_gen++;
    ld->n_params += n;
    ld->weight_bytes += n * sizeof(float);
    ld->fp = smx__fnv(ld->fp, name, strlen(name));
    ld->fp = smx__fnv(ld->fp, p, sizeof(float) * SMX__MIN(n, (size_t)16));
    return p;
}

/* ===================================================================================== */
/* II.6 Operators                                                                        */
/* ===================================================================================== */
/* Each operator: its settings struct, the one reader that fills it from a config object (keys
 * named by the family's dialect where families differ), its vtable and its loader, which takes
 * a tensor-name prefix. Families compose operators; the hybrid builder reaches every operator
 * through the layer-type table of II.7. */

/* Activation named by key in config object o (NULL: the root); def when absent. */
static int smx__cfg_act(smx__loader *ld, const smx__jv *o, const char *key, const char *def)
{
    const char *s = smx__cs(ld, o, key, def);
    int a = smx__act_by_name(s);
    if (a < 0) smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: %s '%s' is not supported", key, s);
    return a < 0 ? SMX__ACT_SILU : a;
}

/* ---- II.6.a Rotary position settings: rope_parameters (v5) or rope_theta + rope_scaling ---- */
typedef struct smx__rope_cfg {
    int rot;                    /* rotated dims per head (0: no rotary) */
    int interleaved;            /* pairs (2j, 2j+1) instead of (j, j + rot/2) */
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

/* From object o (NULL: the root): rope_theta (default theta_def), partial_rotary_factor
 * (partial_def), and a rope_parameters / rope_scaling object with rope_type default, linear or
 * llama3. A theta of 0 or less with none_ok gives no rotary encoding. */
static smx__rope_cfg smx__rope_read(smx__loader *ld, const smx__jv *o, int head_dim, double theta_def, double partial_def, int none_ok)
{
    smx__rope_cfg r;
    const smx__jv *rp = smx__cfg_get(ld, o, "rope_parameters");
    const smx__jv *rs = smx__cfg_get(ld, o, "rope_scaling");
    const smx__jv *src = rp ? rp : rs;   /* where rope_type and scaling keys live */
    const char *type;
    double theta, partial;
    float *inv;
    int j, half;
    memset(&r, 0, sizeof r);
    if (rp && rp->type != SMX__J_OBJ) { smx__ld_fail(ld, SMX_E_FORMAT, "config.json: 'rope_parameters' must be an object"); return r; }
    if (rs && rs->type != SMX__J_OBJ) { smx__ld_fail(ld, SMX_E_FORMAT, "config.json: 'rope_scaling' must be an object"); return r; }
    theta = smx__cf(ld, o, "rope_theta", theta_def);
    if (rp) theta = smx__cf(ld, rp, "rope_theta", theta);
    if (none_ok && !(theta > 0)) return r;
    partial = smx__cf(ld, o, "partial_rotary_factor", partial_def);
    if (rp) partial = smx__cf(ld, rp, "partial_rotary_factor", partial);
    type = src ? smx__cs(ld, src, "rope_type", smx__cs(ld, src, "type", "default")) : "default";
    if (!smx__ld_check(ld, theta > 0 && partial > 0 && partial <= 1.0, SMX_E_RANGE,
                       "config.json: rotary settings give theta %g and a rotary fraction %g", theta, partial))
        return r;
    r.rot = (int)(head_dim * partial);
    r.rot -= r.rot % 2;
    smx__ld_check(ld, r.rot > 0 && r.rot <= head_dim, SMX_E_RANGE, "config.json: %d rotary dims of a head of %d", r.rot, head_dim);
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

/* ---- II.6.b Attention: causal or bidirectional, GQA, RoPE, optional per-head q/k RMSNorm,
 *      optional sliding window; KV cache laid out [position][K | V][n_kv * head_dim] ----
 *   q = x Wq^T (+bq), k, v likewise; per head: q, k RMSNorm (qk_norm), RoPE at their positions
 *   o_h = softmax(q_h K_g^T / sqrt(hd) over visible keys) V_g   (g = the kv head of h)
 *   y = o Wo^T (+bo) */

typedef struct smx__attn_cfg {
    int d, nh, nkv, hd, causal, window, bias, o_bias, qk_norm;
    float qk_eps;
    smx__rope_cfg rope;         /* rot = 0: no positional encoding */
} smx__attn_cfg;

/* Keys a family names its attention settings by (o: the config object). */
typedef struct smx__attn_keys {
    const char *heads;          /* number of query heads (required unless heads_def > 0) */
    int heads_def;              /* 0: required; < 0: width / -heads_def (one head per that many channels) */
    const char *kv_heads;       /* NULL: as many as query heads */
    int kv_def;                 /* default of kv_heads; 0: as many as query heads */
    const char *head_dim;       /* NULL: width / heads */
    const char *window;         /* NULL: no sliding window */
    double theta_def, partial_def;   /* rotary defaults; theta_def 0: no rotary encoding */
    int theta_none_ok;          /* a theta <= 0 in the config means no rotary encoding */
} smx__attn_keys;

static void smx__attn_read(smx__loader *ld, const smx__jv *o, int d, const smx__attn_keys *k, smx__attn_cfg *c)
{
    int hdef = k->heads_def < 0 ? SMX__MAX(1, d / -k->heads_def) : k->heads_def;
    memset(c, 0, sizeof *c);
    c->d = d;
    c->causal = 1;
    c->nh = smx__ci_pos(ld, o, k->heads, hdef);
    c->nkv = k->kv_heads ? smx__ci_pos(ld, o, k->kv_heads, k->kv_def ? k->kv_def : c->nh) : c->nh;
    c->hd = k->head_dim ? smx__ci_pos(ld, o, k->head_dim, SMX__MAX(1, d / SMX__MAX(1, c->nh))) : d / SMX__MAX(1, c->nh);
    c->window = k->window ? smx__ci(ld, o, k->window, 0) : 0;
    smx__ld_check(ld, c->hd > 0 && c->window >= 0, SMX_E_RANGE, "config.json: %d attention heads of width %d (window %d)", c->nh,
                  c->hd, c->window);
    if (!ld->st && k->theta_def > 0) c->rope = smx__rope_read(ld, o, c->hd, k->theta_def, k->partial_def, k->theta_none_ok);
}

typedef struct smx__attn {
    smx__op base;
    int nh, nkv, hd, causal, window;
    float scale, qk_eps;
    smx__w wq, wk, wv, wo;                      /* [nh*hd, d], [nkv*hd, d] x 2, [d, nh*hd] */
    const float *bq, *bk, *bv, *bo;
    const float *qn, *kn;                       /* [hd] per-head RMSNorm weights or NULL */
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
    (void)n_ctx;
    return 2 * q + 2 * kv + (size_t)nth * smx__fa_work_floats(a->hd);
}

static void smx__attn_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__attn *a = (const smx__attn *)op;
    const int T = f->T, pos = f->pos, nh = a->nh, hd = a->hd, kvd = a->nkv * a->hd, qd = nh * hd;
    const int n_ctx = f->n_ctx > pos + T ? f->n_ctx : pos + T;
    float *cache = (float *)state;          /* [n_ctx][2][kvd] */
    float *q = f->scratch;                  /* [T, qd] */
    float *k = q + (size_t)T * qd;          /* [T, kvd] */
    float *v = k + (size_t)T * kvd;         /* [T, kvd] */
    float *o = v + (size_t)T * kvd;         /* [T, qd] */
    smx__fa fa;
    int t;
    if (T < 4) {   /* decode: the three projections in one pass over their rows */
        smx__mv p[3];
        p[0].W = &a->wq; p[0].b = a->bq; p[0].y = q;
        p[1].W = &a->wk; p[1].b = a->bk; p[1].y = k;
        p[2].W = &a->wv; p[2].b = a->bv; p[2].y = v;
        for (t = 0; t < T; t++) {
            p[0].y = q + (size_t)t * qd; p[1].y = k + (size_t)t * kvd; p[2].y = v + (size_t)t * kvd;
            smx__matvecs(f->cx, f->x + (size_t)t * op->d_in, 0, 0, 1, p, 3);
        }
    } else {
        smx__matmul(f->cx, q, (size_t)qd, f->x, (size_t)op->d_in, &a->wq, a->bq, T);
        smx__matmul(f->cx, k, (size_t)kvd, f->x, (size_t)op->d_in, &a->wk, a->bk, T);
        smx__matmul(f->cx, v, (size_t)kvd, f->x, (size_t)op->d_in, &a->wv, a->bv, T);
    }
    for (t = 0; t < T; t++) {
        int h;
        float *row;
        for (h = 0; h < nh; h++) {
            float *qh = q + (size_t)t * qd + (size_t)h * hd;
            if (a->qn) smx__rmsnorm(qh, qh, a->qn, hd, a->qk_eps);
            if (a->rope.rot) smx__rope(qh, a->rope.rot, pos + t, a->rope.inv_freq, a->rope.interleaved);
        }
        for (h = 0; h < a->nkv; h++) {
            float *kh = k + (size_t)t * kvd + (size_t)h * hd;
            if (a->kn) smx__rmsnorm(kh, kh, a->kn, hd, a->qk_eps);
            if (a->rope.rot) smx__rope(kh, a->rope.rot, pos + t, a->rope.inv_freq, a->rope.interleaved);
        }
        row = cache + (size_t)(pos + t) * 2 * kvd;
        memcpy(row, k + (size_t)t * kvd, sizeof(float) * (size_t)kvd);
        memcpy(row + kvd, v + (size_t)t * kvd, sizeof(float) * (size_t)kvd);
    }
    fa.q = q; fa.k = cache; fa.v = cache + kvd; fa.o = o;
    fa.ldq = fa.ldo = (size_t)qd; fa.ldkv = (size_t)2 * kvd;
    fa.T = T; fa.nh = nh; fa.nkv = a->nkv; fa.hd = hd; fa.pos = pos; fa.n_keys = n_ctx;
    fa.causal = a->causal; fa.window = a->window; fa.scale = a->scale;
    smx__attention(f->cx, &fa, o + (size_t)T * qd);
    smx__matmul(f->cx, f->y, (size_t)op->d_out, o, (size_t)qd, &a->wo, a->bo, T);
}

static const smx__op_vt smx__attn_vt = {
    "attention", 'A', SMX__CAP_REWIND, smx__attn_state, smx__attn_scratch, smx__attn_forward
};
static const smx__op_vt smx__attn_bidir_vt = {
    "attention", 'B', SMX__CAP_REWIND | SMX__CAP_BIDIR, smx__attn_state, smx__attn_scratch, smx__attn_forward
};

/* prefix: e.g. "model.layers.3.self_attn."; names of the four projections and q/k norms. */
static smx__op *smx__attn_load(smx__loader *ld, const smx__attn_cfg *c, const char *prefix, const char *qn,
                               const char *kn, const char *vn, const char *on, const char *qnorm, const char *knorm)
{
    smx__attn *a;
    int64_t qd = (int64_t)c->nh * c->hd, kvd = (int64_t)c->nkv * c->hd;
    if (!smx__ld_check(ld, c->nh > 0 && c->nkv > 0 && c->nh % c->nkv == 0, SMX_E_RANGE,
                       "config.json: %d attention heads cannot be shared by %d key/value heads", c->nh, c->nkv) ||
        !smx__ld_check(ld, qd <= (1 << 20) && kvd <= (1 << 20), SMX_E_RANGE,
                       "config.json: %d heads of width %d are too large", c->nh, c->hd))
        return NULL;
    a = (smx__attn *)smx__op_new(ld, sizeof *a, c->causal ? &smx__attn_vt : &smx__attn_bidir_vt, c->d, c->d);
    if (!a) return NULL;
    a->nh = c->nh; a->nkv = c->nkv; a->hd = c->hd; a->causal = c->causal; a->window = c->window;
    a->scale = 1.0f / sqrtf((float)c->hd);
    a->qk_eps = c->qk_eps;
    a->rope = c->rope;
    a->wq = SMX__M2(ld, qd, c->d, "%s%s.weight", prefix, qn);
    a->wk = SMX__M2(ld, kvd, c->d, "%s%s.weight", prefix, kn);
    a->wv = SMX__M2(ld, kvd, c->d, "%s%s.weight", prefix, vn);
    a->wo = SMX__M2(ld, c->d, qd, "%s%s.weight", prefix, on);
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
    return ld->st ? NULL : &a->base;
}

/* ---- II.6.c MLP: gated (SwiGLU/GeGLU: down(act(gate x) * up x)) or plain (down(act(up x))) ---- */
typedef struct smx__mlp {
    smx__op base;
    int ff, gated, act;
    smx__w wg, wu, wd;                          /* [ff, d], [ff, d], [d, ff] */
    const float *bg, *bu, *bd;
} smx__mlp;

static size_t smx__mlp_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    (void)n_ctx; (void)nth;
    return 2 * (size_t)T * (size_t)((const smx__mlp *)op)->ff;
}

static void smx__mlp_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mlp *m = (const smx__mlp *)op;
    const int T = f->T, ff = m->ff;
    float *u = f->scratch, *g = u + (size_t)T * ff;     /* [T, ff] each */
    (void)state;
    if (m->gated && T < 4) {
        smx__mv p[2];
        int t;
        p[0].W = &m->wu; p[0].b = m->bu; p[1].W = &m->wg; p[1].b = m->bg;
        for (t = 0; t < T; t++) {
            p[0].y = u + (size_t)t * ff; p[1].y = g + (size_t)t * ff;
            smx__matvecs(f->cx, f->x + (size_t)t * op->d_in, 0, 0, 1, p, 2);
        }
    } else {
        smx__matmul(f->cx, u, (size_t)ff, f->x, (size_t)op->d_in, &m->wu, m->bu, T);
        if (m->gated) smx__matmul(f->cx, g, (size_t)ff, f->x, (size_t)op->d_in, &m->wg, m->bg, T);
    }
    if (m->gated) smx__act_mul(u, g, (size_t)T * ff, m->act);
    else smx__act_inplace(u, (size_t)T * ff, m->act);
    smx__matmul(f->cx, f->y, (size_t)op->d_out, u, (size_t)ff, &m->wd, m->bd, T);
}

static const smx__op_vt smx__mlp_vt = { "mlp", 'F', SMX__CAP_REWIND, NULL, smx__mlp_scratch, smx__mlp_forward };

/* prefix e.g. "model.layers.3.mlp."; gate may be NULL for a plain MLP. gate == up: one fused
 * tensor [2 ff, d] holding the gate rows, then the up rows. */
static smx__op *smx__mlp_load(smx__loader *ld, int d, int ff, int act, int bias, const char *prefix,
                              const char *gate, const char *up, const char *down)
{
    smx__mlp *m = (smx__mlp *)smx__op_new(ld, sizeof *m, &smx__mlp_vt, d, d);
    if (!m) return NULL;
    m->ff = ff; m->act = act; m->gated = gate != NULL;
    if (gate && !strcmp(gate, up)) {
        smx__w gu = SMX__M2(ld, 2 * (int64_t)ff, d, "%s%s.weight", prefix, up);
        const float *b = bias ? SMX__W1(ld, 2 * (int64_t)ff, "%s%s.bias", prefix, up) : NULL;
        if (ld->st) return NULL;
        m->wg = smx__w_rows(&gu, 0, ff);
        m->wu = smx__w_rows(&gu, ff, ff);
        if (b) { m->bg = b; m->bu = b + ff; }
    } else {
        if (gate) m->wg = SMX__M2(ld, ff, d, "%s%s.weight", prefix, gate);
        m->wu = SMX__M2(ld, ff, d, "%s%s.weight", prefix, up);
        if (bias) {
            if (gate) m->bg = SMX__W1(ld, ff, "%s%s.bias", prefix, gate);
            m->bu = SMX__W1(ld, ff, "%s%s.bias", prefix, up);
        }
    }
    m->wd = SMX__M2(ld, d, ff, "%s%s.weight", prefix, down);
    if (bias) m->bd = SMX__W1(ld, d, "%s%s.bias", prefix, down);
    return ld->st ? NULL : &m->base;
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
    m->embed = SMX__M2(ld, V, d, "%s", embed_name);
    nd = head_name ? smx__tensor_shape(ld, sh, "%s", head_name) : -1;
    if (ld->random && !tied && head_name) { nd = 2; sh[0] = V; sh[1] = d; }
    if (!tied && nd == 2 && sh[1] == d && sh[0] > 0 && sh[0] < INT_MAX) {
        m->n_logits = (int)sh[0];
        m->head = SMX__M2(ld, sh[0], d, "%s", head_name);
    } else {
        m->n_logits = V;
        m->head = m->embed;
    }
}


/* Hybrid-builder layers (model_type "seqmix", II.7.k): each operator reads its settings from the
 * layer's object of config.json "layers" (smx__lt_*) and writes them for the builder (smx__ltj_*);
 * the builder writes every setting, so its stacks never depend on these defaults. */
#define SMX__DEF(v, d) ((v) > 0 ? (v) : (d))

/* {"type": "attention", "num_heads": width/64, "num_kv_heads": num_heads, "head_dim": width/num_heads,
 *  "rope_theta": 10000 (<= 0: none), "sliding_window": 0, "bias": false} */
static smx__op *smx__lt_attention(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    static const smx__attn_keys k = { "num_heads", -64, "num_kv_heads", 0, "head_dim", "sliding_window", 10000.0, 1.0, 1 };
    smx__attn_cfg c;
    smx__attn_read(ld, o, d, &k, &c);
    c.bias = c.o_bias = smx__cb(ld, o, "bias", 0);
    return ld->st ? NULL : smx__attn_load(ld, &c, prefix, "q_proj", "k_proj", "v_proj", "o_proj", NULL, NULL);
}

static void smx__ltj_attention(smx__sb *b, const smx_layer_cfg *c, int d)
{
    int h = SMX__DEF(c->heads, SMX__MAX(1, d / SMX__DEF(c->head_dim, 64))), hd = SMX__DEF(c->head_dim, d / h);
    smx__sb_printf(b, ", \"num_heads\": %d, \"num_kv_heads\": %d, \"head_dim\": %d, \"rope_theta\": %g, \"sliding_window\": %d", h,
                   SMX__DEF(c->kv_heads, h), hd, c->rope_theta < 0 ? 0.0 : (double)SMX__DEF(c->rope_theta, 10000.0f), c->window);
}

/* {"type": "mlp", "intermediate_size": 4 width, "activation": "silu", "bias": false} */
static smx__op *smx__lt_mlp(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    int ff = smx__ci_pos(ld, o, "intermediate_size", 4 * d), act = smx__cfg_act(ld, o, "activation", "silu");
    return ld->st ? NULL : smx__mlp_load(ld, d, ff, act, smx__cb(ld, o, "bias", 0), prefix, "gate_proj", "up_proj", "down_proj");
}

static void smx__ltj_mlp(smx__sb *b, const smx_layer_cfg *c, int d)
{
    smx__sb_printf(b, ", \"intermediate_size\": %d", SMX__DEF(c->ff, 4 * d));
}

/* ---- II.6.d Mamba (v1) mixer ('M') ----
 *   [x | z] = xn W_in^T (+b);  u = act(causal_conv1d(x));  [dt_r | B | C] = u W_x^T
 *   (Jamba: dt_r, B, C each RMS-normalised);  dt = softplus(dt_r W_dt^T + b_dt)
 *   h[d, n] <- exp(A[d, n] dt[d]) h[d, n] + dt[d] B[n] u[d];   y[d] = (sum_n h[d, n] C[n] + D[d] u[d]) act(z[d])
 *   out = y W_out^T (+b)
 * State: [K-1][d_inner] conv history (oldest row first), then [N][d_inner] SSM state (h[d][n] at
 * n * d_inner + d): the channel index is last, so the recurrence runs as vector operations across
 * channels. Prefill runs the scan over T tokens blocked by channel groups that stay in L1, threads
 * over the groups; a step is the same scan with T = 1. */
typedef struct smx__mamba_cfg {
    int d, d_inner, d_state, dt_rank, d_conv;
    int bias, conv_bias, act;
    int bcdt_norm;          /* Jamba: RMSNorms on dt/B/C (dt_layernorm, b_layernorm, c_layernorm) */
    float norm_eps;
} smx__mamba_cfg;

/* Config keys of the Mamba settings in one family's dialect. */
typedef struct smx__mamba_keys {
    const char *state, *conv, *bias, *conv_bias, *dt_rank, *expand, *inner;   /* inner: NULL if not read */
} smx__mamba_keys;

static const smx__mamba_keys smx__mamba_keys_hf = {
    "state_size", "conv_kernel", "use_bias", "use_conv_bias", "time_step_rank", "expand", "intermediate_size"
};
static const smx__mamba_keys smx__mamba_keys_jamba = {
    "mamba_d_state", "mamba_d_conv", "mamba_proj_bias", "mamba_conv_bias", "mamba_dt_rank", "mamba_expand", NULL
};

/* From object o (NULL: the root) for a mixer of width d; in_proj: name of a layer's in_proj weight,
 * used when the config's intermediate size disagrees with expand * d (the tensor decides). */
static void smx__mamba_read(smx__loader *ld, const smx__jv *o, int d, const smx__mamba_keys *k, const char *in_proj,
                            smx__mamba_cfg *c)
{
    int64_t sh[8];
    int dj;
    memset(c, 0, sizeof *c);
    c->d = d;
    c->d_state = smx__ci_pos(ld, o, k->state, 16);
    c->d_conv = smx__ci_pos(ld, o, k->conv, 4);
    c->bias = smx__cb(ld, o, k->bias, 0);
    c->conv_bias = smx__cb(ld, o, k->conv_bias, 1);
    c->act = smx__cfg_act(ld, o, "hidden_act", "silu");
    c->dt_rank = smx__cfg_auto(ld, o, k->dt_rank, (d + 15) / 16);
    c->d_inner = smx__cfg_scaled(ld, o, k->expand, 2.0, d);
    dj = k->inner ? smx__ci(ld, o, k->inner, 0) : 0;
    if (dj > 0 && dj != c->d_inner &&
        (ld->random || (in_proj && smx__tensor_shape(ld, sh, "%s", in_proj) == 2 && sh[0] == 2 * (int64_t)dj)))
        c->d_inner = dj;
}

typedef struct smx__mamba {
    smx__op base;
    int di, N, R, K, act;
    float norm_eps;
    smx__w w_in, w_xdt, w_xb, w_xc, w_dt, w_out;  /* [2 di, d] (x then z), [R, di], [N, di] x 2, [di, R], [d, di] */
    const float *b_in, *b_dt, *b_out;
    const float *conv_wT, *conv_b;                /* [K, di], [di] */
    const float *AT;                              /* [N, di]   A = -exp(A_log), transposed */
    const float *Dsk;                             /* [di] */
    const float *dt_nw, *b_nw, *c_nw;             /* [R], [N], [N] or NULL */
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

typedef struct smx__scan_job {
    const smx__mamba *m;
    float *S, *y;
    const float *u, *dtp, *Bm, *Cm, *z;
    size_t ldz;
    int T;
} smx__scan_job;

#define SMX__SCAN_CB (4 * SMX__VW < 16 ? 16 : 4 * SMX__VW)   /* channels per task */

/* The selective scan of channels [c0, c0 + CB) over T tokens, continuing from S [N, di]:
 *   dt = softplus(dtp);  h <- exp(A dt) h + dt B u;  y = (h . C + D u) act(z)
 * u, dtp, y: [T, di]; z: [T, di] with row stride ldz; Bm, Cm: [T, N]. */
static void smx__scan_task(void *arg, int blk, int tid)
{
    const smx__scan_job *j = (const smx__scan_job *)arg;
    const smx__mamba *m = j->m;
    const int di = m->di, N = m->N, c0 = blk * SMX__SCAN_CB, c1 = SMX__MIN(di, c0 + SMX__SCAN_CB);
    int t, n, c;
    (void)tid;
    for (t = 0; t < j->T; t++) {
        const float *dtt = j->dtp + (size_t)t * di, *ut = j->u + (size_t)t * di, *Bt = j->Bm + (size_t)t * N, *Ct = j->Cm + (size_t)t * N;
        float *yt = j->y + (size_t)t * di;
        c = c0;
#if SMX__VW > 1
        for (; c + SMX__VW <= c1; c += SMX__VW) {
            smx__vf vdt = smx__vsoftplus(smx__vld(dtt + c)), vu = smx__vld(ut + c), vdu = smx__vmul(vdt, vu);
            smx__vf acc = smx__vzero();
            for (n = 0; n < N; n++) {
                float *s = j->S + (size_t)n * di + c;
                smx__vf dA = smx__vexp(smx__vmul(smx__vld(m->AT + (size_t)n * di + c), vdt));
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
                float *s = j->S + (size_t)n * di + c;
                *s = expf(m->AT[(size_t)n * di + c] * d_t) * *s + du * Bt[n];
                acc += *s * Ct[n];
            }
            yt[c] = acc + m->Dsk[c] * ut[c];
        }
        smx__act_mul(yt + c0, j->z + (size_t)t * j->ldz + c0, (size_t)(c1 - c0), m->act);
    }
}

/* Scalar twin of the scan (tests compare them). */
SMX__MAYBE_UNUSED static void smx__mamba_scan_ref(const smx__mamba *m, float *S, int T, const float *u, const float *dtp, const float *Bm,
                                const float *Cm, const float *z, size_t ldz, float *y)
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

static void smx__mamba_scan(const smx__cx *cx, const smx__mamba *m, float *S, int T, const float *u, const float *dtp,
                            const float *Bm, const float *Cm, const float *z, size_t ldz, float *y)
{
    smx__scan_job j;
    j.m = m; j.S = S; j.y = y; j.u = u; j.dtp = dtp; j.Bm = Bm; j.Cm = Cm; j.z = z; j.ldz = ldz; j.T = T;
    smx__par(cx, smx__nth_for((double)T * m->di * m->N * 8, cx->nth), (m->di + SMX__SCAN_CB - 1) / SMX__SCAN_CB, smx__scan_task, &j);
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
    int t;
    /* [x | z] = xn in_proj^T (+b) */
    smx__matmul(f->cx, xz, 2 * (size_t)di, f->x, (size_t)d, &m->w_in, m->b_in, T);
    /* u = act(causal_conv1d(x)) */
    smx__conv1d(f->cx, xz, 2 * (size_t)di, u, (size_t)di, T, di, m->K, m->conv_wT, m->conv_b, hist, m->act);
    /* [dt_r | B | C] = u x_proj^T */
    if (T < 4) {
        smx__mv p[3];
        p[0].W = &m->w_xdt; p[0].b = NULL; p[0].y = dtr;
        p[1].W = &m->w_xb; p[1].b = NULL; p[1].y = Bm;
        p[2].W = &m->w_xc; p[2].b = NULL; p[2].y = Cm;
        for (t = 0; t < T; t++) {
            p[0].y = dtr + (size_t)t * R; p[1].y = Bm + (size_t)t * N; p[2].y = Cm + (size_t)t * N;
            smx__matvecs(f->cx, u + (size_t)t * di, 0, 0, 1, p, 3);
        }
    } else {
        smx__matmul(f->cx, dtr, (size_t)R, u, (size_t)di, &m->w_xdt, NULL, T);
        smx__matmul(f->cx, Bm, (size_t)N, u, (size_t)di, &m->w_xb, NULL, T);
        smx__matmul(f->cx, Cm, (size_t)N, u, (size_t)di, &m->w_xc, NULL, T);
    }
    if (m->dt_nw)   /* Jamba: dt_r, B, C each RMS-normalised */
        for (t = 0; t < T; t++) {
            smx__rmsnorm(dtr + (size_t)t * R, dtr + (size_t)t * R, m->dt_nw, R, m->norm_eps);
            smx__rmsnorm(Bm + (size_t)t * N, Bm + (size_t)t * N, m->b_nw, N, m->norm_eps);
            smx__rmsnorm(Cm + (size_t)t * N, Cm + (size_t)t * N, m->c_nw, N, m->norm_eps);
        }
    /* dt = dt_r dt_proj^T + b_dt   (the softplus runs inside the scan) */
    smx__matmul(f->cx, dt, (size_t)di, dtr, (size_t)R, &m->w_dt, m->b_dt, T);
    /* selective scan, D skip, gate */
    smx__mamba_scan(f->cx, m, S, T, u, dt, Bm, Cm, xz + di, 2 * (size_t)di, y);
    /* out = y out_proj^T (+b) */
    smx__matmul(f->cx, f->y, (size_t)op->d_out, y, (size_t)di, &m->w_out, m->b_out, T);
}

static const smx__op_vt smx__mamba_vt = { "mamba", 'M', 0, smx__mamba_state, smx__mamba_scratch, smx__mamba_forward };

/* A depthwise conv weight [C, 1, K] (or squeezed [C, K]) read as float32 and transposed to [K][C]. */
static const float *smx__conv_weight(smx__loader *ld, int C, int K, const char *fmt, ...)
{
    char name[512];
    int64_t sh[8];
    const float *w;
    float *t;
    va_list ap;
    int c, k;
    if (ld->st) return NULL;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    w = (!ld->random && smx__tensor_shape(ld, sh, "%s", name) == 2) ? SMX__W2(ld, C, K, "%s", name) : SMX__W3(ld, C, 1, K, "%s", name);
    t = smx__ld_alloc(ld, (size_t)C * K);
    if (!t || !w) return NULL;
    for (c = 0; c < C; c++)
        for (k = 0; k < K; k++) t[(size_t)k * C + c] = w[(size_t)c * K + k];
    return t;
}

/* prefix e.g. "backbone.layers.3.mixer." */
static smx__op *smx__mamba_load(smx__loader *ld, const smx__mamba_cfg *c, const char *prefix)
{
    smx__mamba *m;
    const float *alog;
    smx__w wx;
    float *AT;
    int di = c->d_inner, N = c->d_state, R = c->dt_rank, K = c->d_conv, j, n;
    if (!smx__ld_check(ld, c->d > 0 && di > 0 && N > 0 && R > 0 && K > 0 && (int64_t)di * N <= (1 << 26) && K <= 1024 &&
                       R <= (1 << 20), SMX_E_RANGE,
                       "config.json: Mamba sizes (hidden %d, inner %d, state %d, dt rank %d, conv %d) are out of range", c->d, di, N,
                       R, K))
        return NULL;
    m = (smx__mamba *)smx__op_new(ld, sizeof *m, &smx__mamba_vt, c->d, c->d);
    if (!m) return NULL;
    m->di = di; m->N = N; m->R = R; m->K = K; m->act = c->act; m->norm_eps = c->norm_eps;
    m->w_in = SMX__M2(ld, 2 * (int64_t)di, c->d, "%sin_proj.weight", prefix);
    if (c->bias) m->b_in = SMX__W1(ld, 2 * (int64_t)di, "%sin_proj.bias", prefix);
    m->conv_wT = smx__conv_weight(ld, di, K, "%sconv1d.weight", prefix);
    if (c->conv_bias) m->conv_b = SMX__W1(ld, di, "%sconv1d.bias", prefix);
    wx = SMX__M2(ld, R + 2 * (int64_t)N, di, "%sx_proj.weight", prefix);
    m->w_dt = SMX__M2(ld, di, R, "%sdt_proj.weight", prefix);
    m->b_dt = SMX__W1(ld, di, "%sdt_proj.bias", prefix);
    alog = SMX__W2(ld, di, N, "%sA_log", prefix);
    m->Dsk = SMX__W1(ld, di, "%sD", prefix);
    m->w_out = SMX__M2(ld, c->d, di, "%sout_proj.weight", prefix);
    if (c->bias) m->b_out = SMX__W1(ld, c->d, "%sout_proj.bias", prefix);
    if (c->bcdt_norm) {
        m->dt_nw = SMX__W1(ld, R, "%sdt_layernorm.weight", prefix);
        m->b_nw = SMX__W1(ld, N, "%sb_layernorm.weight", prefix);
        m->c_nw = SMX__W1(ld, N, "%sc_layernorm.weight", prefix);
    }
    AT = smx__ld_alloc(ld, (size_t)N * di);
    if (ld->st) return NULL;
    m->w_xdt = smx__w_rows(&wx, 0, R);
    m->w_xb = smx__w_rows(&wx, R, N);
    m->w_xc = smx__w_rows(&wx, R + N, N);
    /* A = -exp(A_log), stored [N, di] */
    for (j = 0; j < di; j++)
        for (n = 0; n < N; n++) AT[(size_t)n * di + j] = -expf(alog[(size_t)j * N + n]);
    m->AT = AT;
    return &m->base;
}

/* ---- II.6.e Mamba-2 (SSD) mixer ('2') ----
 *   [z | xBC | dt] = xn W_in^T (+b)   (past a leading [2 d_mlp] block some checkpoints carry)
 *   xBC = act(causal_conv1d(xBC));  x | B | C split (B, C [G, N]: head h reads group h / (H / G))
 *   dt = clamp(softplus(dt + dt_bias), time_step_limit);  per head h, token t:
 *   S_h <- exp(dt A_h) S_h + dt B x_h^T;   y_h = S_h^T C + D_h x_h
 *   y = RMSNorm_groups(y silu(z)) w;   out = y W_out^T (+b)
 * State: [K-1][conv_dim] conv history (x | B | C channels, oldest row first), then [H][N][P] SSM
 * state (S_h[n][p] at (h N + n) P + p). Prefill runs the chunked SSD of II.3.g (the intra-chunk
 * part as small matrix products, C B^T masked by the decays times dt x, the state passed from
 * chunk to chunk). A step is the O(1) recurrence. */
typedef struct smx__mamba2_cfg {
    int d, d_inner, n_heads, head_dim, d_state, n_groups, d_conv, chunk;
    int bias, conv_bias, act;
    int norm_groups;        /* the gated RMSNorm normalises each of these groups of d_inner (1: the whole) */
    float eps;              /* gated RMSNorm */
    float dt_lo, dt_hi;     /* time_step_limit */
} smx__mamba2_cfg;

/* Config keys (and defaults) of the Mamba-2 settings in one family's dialect. */
typedef struct smx__mamba2_keys {
    const char *expand, *head_dim, *heads, *state, *groups, *conv, *chunk, *bias, *conv_bias, *eps, *dt_limit;
    int heads_def;          /* 0: d_inner / head_dim */
    int head_dim_def;       /* 0: d_inner / heads (also the value "auto") */
    int state_def, groups_def;
} smx__mamba2_keys;

static const smx__mamba2_keys smx__mamba2_keys_hf = {   /* Mamba2Config */
    "expand", "head_dim", "num_heads", "state_size", "n_groups", "conv_kernel", "chunk_size", "use_bias", "use_conv_bias",
    "layer_norm_epsilon", "time_step_limit", 0, 64, 128, 8
};
static const smx__mamba2_keys smx__mamba2_keys_hybrid = {   /* Bamba and the hybrids after it: mamba_* keys */
    "mamba_expand", "mamba_d_head", "mamba_n_heads", "mamba_d_state", "mamba_n_groups", "mamba_d_conv", "mamba_chunk_size",
    "mamba_proj_bias", "mamba_conv_bias", "rms_norm_eps", NULL, 128, 0, 256, 1
};

/* time_step_limit: [lo, hi] (hi may be {"__float__": "Infinity"}); default [0, inf). */
static void smx__dt_limit_read(smx__loader *ld, const smx__jv *o, const char *key, float *lo, float *hi)
{
    const smx__jv *v = key ? smx__cfg_get(ld, o, key) : NULL;
    double a = 0.0, b = HUGE_VAL;
    if (v && (v->type != SMX__J_ARR || v->n != 2 || !smx__jnum(smx__jat(v, 0), &a) || !smx__jnum(smx__jat(v, 1), &b) ||
              a != a || b != b)) {
        smx__ld_fail(ld, SMX_E_FORMAT, "config.json: field '%s' must be a pair of numbers", key);
        return;
    }
    *lo = (float)a;
    *hi = b > FLT_MAX ? INFINITY : (float)b;
}

/* From object o (NULL: the root) for a mixer of width d. Without a dt_limit key (the hybrids) dt
 * is clamped to (0, inf), as their reference mixers do whatever the config says. */
static void smx__mamba2_read(smx__loader *ld, const smx__jv *o, int d, const smx__mamba2_keys *k, smx__mamba2_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    c->d_inner = smx__cfg_scaled(ld, o, k->expand, 2.0, d);
    if (k->heads_def) {
        c->n_heads = smx__ci_pos(ld, o, k->heads, k->heads_def);
        c->head_dim = smx__cfg_auto(ld, o, k->head_dim, c->d_inner / SMX__MAX(1, c->n_heads));
    } else {
        c->head_dim = smx__ci_pos(ld, o, k->head_dim, k->head_dim_def);
        c->n_heads = smx__ci_pos(ld, o, k->heads, SMX__MAX(1, c->d_inner / SMX__MAX(1, c->head_dim)));
    }
    c->d_state = smx__ci_pos(ld, o, k->state, k->state_def);
    c->n_groups = smx__ci_pos(ld, o, k->groups, k->groups_def);
    c->d_conv = smx__ci_pos(ld, o, k->conv, 4);
    c->chunk = smx__ci_pos(ld, o, k->chunk, 256);
    c->bias = smx__cb(ld, o, k->bias, 0);
    c->conv_bias = smx__cb(ld, o, k->conv_bias, 1);
    c->act = smx__cfg_act(ld, o, "hidden_act", "silu");
    c->eps = (float)smx__cf(ld, o, k->eps, 1e-5);
    c->norm_groups = 1;
    c->dt_lo = 0.0f;
    c->dt_hi = INFINITY;
    smx__dt_limit_read(ld, o, k->dt_limit, &c->dt_lo, &c->dt_hi);
}

typedef struct smx__mamba2 {
    smx__op base;
    int di, H, P, N, G, K, Q, act, cd, E, ng;  /* cd = conv_dim = di + 2 G N; E = di + cd + H; ng: norm groups */
    float eps, dt_lo, dt_hi;
    smx__w w_in, w_out;             /* [E, d] rows z | x B C | dt; [d, di] */
    const float *b_in, *b_out;      /* [E], [d] */
    const float *conv_wT, *conv_b;  /* [K, cd], [cd] */
    const float *dt_bias, *A, *Dsk; /* [H] each; A = -exp(A_log) */
    const float *nw;                /* [di] gated RMSNorm weight */
} smx__mamba2;

static size_t smx__mamba2_state(const smx__op *op, int n_ctx)
{
    const smx__mamba2 *m = (const smx__mamba2 *)op;
    (void)n_ctx;
    return ((size_t)(m->K - 1) * m->cd + (size_t)m->H * m->N * m->P) * sizeof(float);
}

static size_t smx__mamba2_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    const smx__mamba2 *m = (const smx__mamba2 *)op;
    (void)n_ctx;
    return (size_t)T * ((size_t)m->E + m->cd + m->H + m->di) + smx__ssd_work_floats(T, m->H, m->P, m->N, m->G, m->Q, nth) + 256;
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
        for (; p + SMX__VW <= P; p += SMX__VW) {
            smx__vf v = smx__vfma(smx__vset1(dA), smx__vld(s + p), smx__vmul(smx__vset1(b), smx__vld(x + p)));
            smx__vst(s + p, v);
            smx__vst(y + p, smx__vfma(smx__vset1(c), v, smx__vld(y + p)));
        }
        for (; p < P; p++) {
            s[p] = dA * s[p] + b * x[p];
            y[p] += c * s[p];
        }
    }
}

typedef struct smx__ssd_job {
    const smx__mamba2 *m;
    float *S, *y;
    const float *xbc, *dt;
} smx__ssd_job;

static void smx__ssd_step_task(void *arg, int h, int tid)
{
    const smx__ssd_job *j = (const smx__ssd_job *)arg;
    const smx__mamba2 *m = j->m;
    const int g = h / (m->H / m->G);
    (void)tid;
    smx__mamba2_head_step(m, h, j->S + (size_t)h * m->N * m->P, j->xbc + (size_t)h * m->P, j->dt[h], j->xbc + m->di + (size_t)g * m->N,
                          j->xbc + m->di + (size_t)(m->G + g) * m->N, j->y + (size_t)h * m->P);
}

/* The SSM part of the mixer over T tokens, continuing from S [H, N, P]: y [T, di] from the
 * conv output xbc [T, cd] (x | B | C) and dt [T, H]. T = 1 runs the recurrence, threads over
 * heads; T > 1 the chunked SSD (II.3.g). work: the scratch past y (see smx__mamba2_scratch). */
static void smx__mamba2_ssd(const smx__cx *cx, const smx__mamba2 *m, float *S, int T, const float *xbc, const float *dt, float *y,
                            float *work)
{
    if (T == 1) {
        smx__ssd_job j;
        j.m = m; j.S = S; j.y = y; j.xbc = xbc; j.dt = dt;
        smx__par(cx, smx__nth_for((double)m->H * m->N * m->P * 2, cx->nth), m->H, smx__ssd_step_task, &j);
    } else {
        smx__ssd a;
        a.x = xbc; a.B = xbc + m->di; a.C = xbc + m->di + (size_t)m->G * m->N; a.ldx = (size_t)m->cd;
        a.dt = dt; a.A = m->A; a.D = m->Dsk; a.S = S; a.y = y; a.ldy = (size_t)m->di;
        a.T = T; a.H = m->H; a.P = m->P; a.N = m->N; a.G = m->G; a.Q = m->Q;
        smx__ssd_chunked(cx, &a, work);
    }
}

static void smx__mamba2_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__mamba2 *m = (const smx__mamba2 *)op;
    const int T = f->T, di = m->di, H = m->H, cd = m->cd, E = m->E, gs = m->di / m->ng;
    float *hist = (float *)state;                       /* [K-1, cd] */
    float *S = hist + (size_t)(m->K - 1) * cd;          /* [H, N, P] */
    float *zx = f->scratch;                             /* [T, E]   z | x B C | dt */
    float *xbc = zx + (size_t)T * E;                    /* [T, cd]  after conv + act */
    float *dt = xbc + (size_t)T * cd;                   /* [T, H] */
    float *y = dt + (size_t)T * H;                      /* [T, di] */
    int t, h, g;
    /* [z | xBC | dt] = xn in_proj^T (+b) */
    smx__matmul(f->cx, zx, (size_t)E, f->x, (size_t)op->d_in, &m->w_in, m->b_in, T);
    /* xBC = act(causal_conv1d(xBC)) */
    smx__conv1d(f->cx, zx + di, (size_t)E, xbc, (size_t)cd, T, cd, m->K, m->conv_wT, m->conv_b, hist, m->act);
    /* dt = clamp(softplus(dt + dt_bias), lo, hi) */
    for (t = 0; t < T; t++)
        for (h = 0; h < H; h++) {
            float v = smx__softplus(zx[(size_t)t * E + di + cd + h] + m->dt_bias[h]);
            dt[(size_t)t * H + h] = v < m->dt_lo ? m->dt_lo : v > m->dt_hi ? m->dt_hi : v;
        }
    smx__mamba2_ssd(f->cx, m, S, T, xbc, dt, y, y + (size_t)T * di);
    /* gated RMSNorm per group of gs channels: g = y silu(z) (SiLU whatever hidden_act says);
     * y = w g / sqrt(mean(g^2) + eps) */
    for (t = 0; t < T; t++) {
        float *yt = y + (size_t)t * di;
        smx__act_mul(yt, zx + (size_t)t * E, (size_t)di, SMX__ACT_SILU);
        for (g = 0; g < m->ng; g++) smx__rmsnorm(yt + (size_t)g * gs, yt + (size_t)g * gs, m->nw + (size_t)g * gs, gs, m->eps);
    }
    /* out = y out_proj^T (+b) */
    smx__matmul(f->cx, f->y, (size_t)op->d_out, y, (size_t)di, &m->w_out, m->b_out, T);
}

static const smx__op_vt smx__mamba2_vt = { "mamba2", '2', 0, smx__mamba2_state, smx__mamba2_scratch, smx__mamba2_forward };

/* prefix e.g. "backbone.layers.3.mixer.". in_proj may carry a leading [2 d_mlp] block of a
 * parallel MLP that transformers discards; d_mlp is derived from its row count. */
static smx__op *smx__mamba2_load(smx__loader *ld, const smx__mamba2_cfg *c, const char *prefix)
{
    smx__mamba2 *m;
    const float *alog, *bin = NULL;
    smx__w win;
    float *A;
    int64_t sh[8], cd64 = (int64_t)c->d_inner + 2 * (int64_t)c->n_groups * c->d_state;
    int di = c->d_inner, H = c->n_heads, N = c->d_state, G = c->n_groups, K = c->d_conv, cd, E, rows, h, d_mlp = 0;
    if (!smx__ld_check(ld, c->d > 0 && di > 0 && H > 0 && N > 0 && G > 0 && K > 0 && K <= 1024 && c->chunk > 0 && c->head_dim > 0 &&
                       cd64 <= (1 << 24) && (double)H * N * c->head_dim <= (double)(1 << 28),
                       SMX_E_RANGE, "config.json: Mamba-2 sizes are out of range (inner %d, heads %d, state %d, groups %d, conv %d)",
                       di, H, N, G, K) ||
        !smx__ld_check(ld, (double)H * c->head_dim == (double)di, SMX_E_RANGE,
                       "config.json: %d heads of head_dim %d do not make the inner size %d", H, c->head_dim, di) ||
        !smx__ld_check(ld, H % G == 0, SMX_E_RANGE, "config.json: %d heads cannot be split into %d groups", H, G) ||
        !smx__ld_check(ld, c->norm_groups > 0 && di % c->norm_groups == 0, SMX_E_RANGE,
                       "config.json: the inner size %d does not split into %d norm groups", di, c->norm_groups) ||
        !smx__ld_check(ld, c->dt_lo <= c->dt_hi, SMX_E_RANGE, "config.json: time_step_limit [%g, %g] is empty",
                       (double)c->dt_lo, (double)c->dt_hi))
        return NULL;
    cd = (int)cd64;
    E = di + cd + H;
    rows = E;
    if (smx__tensor_shape(ld, sh, "%sin_proj.weight", prefix) == 2 && sh[0] > E && (sh[0] - E) % 2 == 0 && sh[0] < INT_MAX) {
        rows = (int)sh[0];
        d_mlp = (rows - E) / 2;
    }
    m = (smx__mamba2 *)smx__op_new(ld, sizeof *m, &smx__mamba2_vt, c->d, c->d);
    if (!m) return NULL;
    m->di = di; m->H = H; m->P = c->head_dim; m->N = N; m->G = G; m->K = K; m->Q = c->chunk; m->act = c->act;
    m->cd = cd; m->E = E; m->ng = c->norm_groups; m->eps = c->eps; m->dt_lo = c->dt_lo; m->dt_hi = c->dt_hi;
    win = SMX__M2(ld, rows, c->d, "%sin_proj.weight", prefix);
    if (c->bias) bin = SMX__W1(ld, rows, "%sin_proj.bias", prefix);
    m->conv_wT = smx__conv_weight(ld, cd, K, "%sconv1d.weight", prefix);
    if (c->conv_bias) m->conv_b = SMX__W1(ld, cd, "%sconv1d.bias", prefix);
    m->dt_bias = SMX__W1(ld, H, "%sdt_bias", prefix);
    alog = SMX__W1(ld, H, "%sA_log", prefix);
    m->Dsk = SMX__W1(ld, H, "%sD", prefix);
    m->nw = SMX__W1(ld, di, "%snorm.weight", prefix);
    m->w_out = SMX__M2(ld, c->d, di, "%sout_proj.weight", prefix);
    if (c->bias) m->b_out = SMX__W1(ld, c->d, "%sout_proj.bias", prefix);
    A = smx__ld_alloc(ld, (size_t)H);
    if (ld->st) return NULL;
    m->w_in = smx__w_rows(&win, 2 * d_mlp, E);
    m->b_in = bin ? bin + 2 * d_mlp : NULL;
    for (h = 0; h < H; h++) A[h] = -expf(alog[h]);
    m->A = A;
    return &m->base;
}

/* ---- II.6.f Mixture of experts ('E') ----
 *   p = softmax(x W_router^T) over all E experts; the top k (ties: lower index first) with weights
 *   w_j = p_j (renorm: w_j / sum of the k);  out = sum_j w_j Expert_{e_j}(x),
 *   each expert a gated MLP down(act(gate x) * up x).
 * Prefill groups the tokens by expert so each expert's weights run as one matmul over its tokens. */
typedef struct smx__moe_cfg {
    int d, ff, n_experts, top_k, act, renorm;
} smx__moe_cfg;

typedef struct smx__moe {
    smx__op base;
    int E, k, ff, act, renorm;
    smx__w router;                          /* [E, d] */
    smx__w *wg, *wu, *wd;                   /* per expert: [ff, d], [ff, d], [d, ff] */
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
    smx__matmul(f->cx, lg, (size_t)E, f->x, (size_t)d, &m->router, NULL, T);
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
        for (t = 0; t < T; t++)
            for (j = 0; j < k; j++)
                if (sel[(size_t)t * k + j] == e) {
                    memcpy(xe + (size_t)ne * d, f->x + (size_t)t * d, sizeof(float) * (size_t)d);
                    idx[ne] = t;
                    we[ne++] = wsel[(size_t)t * k + j];
                }
        if (!ne) continue;
        /* o = down(act(gate xe) * up xe) */
        smx__matmul(f->cx, g, (size_t)ff, xe, (size_t)d, &m->wg[e], NULL, ne);
        smx__matmul(f->cx, u, (size_t)ff, xe, (size_t)d, &m->wu[e], NULL, ne);
        smx__act_mul(u, g, (size_t)ne * ff, m->act);
        smx__matmul(f->cx, o, (size_t)d, u, (size_t)ff, &m->wd[e], NULL, ne);
        for (r = 0; r < ne; r++) smx__axpy(f->y + (size_t)idx[r] * d, we[r], o + (size_t)r * d, d);
    }
}

static const smx__op_vt smx__moe_vt = { "moe", 'E', SMX__CAP_REWIND, NULL, smx__moe_scratch, smx__moe_forward };

/* A float32 copy of a stacked [E, cols, rows] tensor transposed per expert to [E][rows, cols]. */
static smx__w *smx__moe_transposed(smx__loader *ld, int E, int rows, int cols, const char *name)
{
    const float *src = SMX__W3(ld, E, cols, rows, "%s", name);
    float *dst = smx__ld_alloc(ld, (size_t)E * rows * cols);
    smx__w *w = (smx__w *)smx__arena_alloc(&ld->m->arena, sizeof *w * (size_t)E);
    int e, r, c;
    if (ld->st || !w) { if (!w) smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
    for (e = 0; e < E; e++) {
        float *de = dst + (size_t)e * rows * cols;
        const float *se = src + (size_t)e * rows * cols;
        for (c = 0; c < cols; c++)
            for (r = 0; r < rows; r++) de[(size_t)r * cols + c] = se[(size_t)c * rows + r];
        w[e] = smx__w_f32(de, rows, cols, name);
    }
    return w;
}

/* prefix e.g. "model.layers.1.feed_forward."; router: name of the router module ("router",
 * "gate"). Experts as "experts.E.{gate,up,down}_proj.weight", or fused as
 * "experts.gate_up_proj" [E, 2 ff, d] (gate rows first; [E, d, 2 ff] is transposed on load) and
 * "experts.down_proj" [E, d, ff] (or [E, ff, d], transposed). */
static smx__op *smx__moe_load(smx__loader *ld, const smx__moe_cfg *c, const char *prefix, const char *router)
{
    smx__moe *m;
    int64_t sh[8];
    int e, d = c->d, ff = c->ff, E = c->n_experts;
    char name[320];
    if (!smx__ld_check(ld, E > 0 && E <= 4096 && c->top_k > 0 && c->top_k <= E && ff > 0, SMX_E_RANGE,
                       "config.json: top-%d routing over %d experts of width %d is not possible", c->top_k, E, ff))
        return NULL;
    m = (smx__moe *)smx__op_new(ld, sizeof *m, &smx__moe_vt, d, d);
    if (!m) return NULL;
    m->E = E; m->k = c->top_k; m->ff = ff; m->act = c->act; m->renorm = c->renorm;
    m->router = SMX__M2(ld, E, d, "%s%s.weight", prefix, router);
    if (!ld->random && smx__tensor_shape(ld, sh, "%sexperts.gate_up_proj", prefix) == 3) {
        int trans = !(sh[1] == 2 * (int64_t)ff && sh[2] == d) && sh[1] == d && sh[2] == 2 * (int64_t)ff;
        int dtrans = smx__tensor_shape(ld, sh, "%sexperts.down_proj", prefix) == 3 && !(sh[1] == d && sh[2] == ff) && sh[1] == ff &&
                     sh[2] == d;
        smx__w *gu = NULL, gu1;
        if (trans) {   /* [E, d, 2 ff] -> [E][2 ff, d] */
            snprintf(name, sizeof name, "%sexperts.gate_up_proj", prefix);
            gu = smx__moe_transposed(ld, E, 2 * ff, d, name);
        } else {
            gu1 = SMX__M3(ld, E, 2 * (int64_t)ff, d, "%sexperts.gate_up_proj", prefix);
        }
        snprintf(name, sizeof name, "%sexperts.down_proj", prefix);
        if (dtrans) {
            m->wd = smx__moe_transposed(ld, E, d, ff, name);
        } else {
            smx__w dn = SMX__M3(ld, E, d, ff, "%s", name);
            m->wd = (smx__w *)smx__arena_alloc(&ld->m->arena, sizeof(smx__w) * (size_t)E);
            if (!ld->st && m->wd)
                for (e = 0; e < E; e++) m->wd[e] = smx__w_rows(&dn, e * d, d);
        }
        m->wg = (smx__w *)smx__arena_alloc(&ld->m->arena, 2 * sizeof(smx__w) * (size_t)E);
        if (ld->st) return NULL;
        if (!m->wg || !m->wd) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
        m->wu = m->wg + E;
        for (e = 0; e < E; e++) {
            const smx__w *base = trans ? &gu[e] : &gu1;
            int r0 = trans ? 0 : e * 2 * ff;
            m->wg[e] = smx__w_rows(base, r0, ff);
            m->wu[e] = smx__w_rows(base, r0 + ff, ff);
        }
        return &m->base;
    }
    m->wg = (smx__w *)smx__arena_alloc(&ld->m->arena, 3 * sizeof(smx__w) * (size_t)E);
    if (!m->wg) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return NULL; }
    m->wu = m->wg + E;
    m->wd = m->wu + E;
    for (e = 0; e < E; e++) {
        m->wg[e] = SMX__M2(ld, ff, d, "%sexperts.%d.gate_proj.weight", prefix, e);
        m->wu[e] = SMX__M2(ld, ff, d, "%sexperts.%d.up_proj.weight", prefix, e);
        m->wd[e] = SMX__M2(ld, d, ff, "%sexperts.%d.down_proj.weight", prefix, e);
    }
    return ld->st ? NULL : &m->base;
}

/* {"type": "mamba", "state_size": 16, "expand": 2, "conv_kernel": 4, "time_step_rank": "auto",
 *  "use_bias": false, "use_conv_bias": true, "hidden_act": "silu"} */
static smx__op *smx__lt_mamba(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__mamba_cfg c;
    smx__mamba_read(ld, o, d, &smx__mamba_keys_hf, NULL, &c);
    return ld->st ? NULL : smx__mamba_load(ld, &c, prefix);
}

static void smx__ltj_mamba(smx__sb *b, const smx_layer_cfg *c, int d)
{
    (void)d;
    smx__sb_printf(b, ", \"state_size\": %d, \"expand\": %d, \"conv_kernel\": %d", SMX__DEF(c->state, 16), SMX__DEF(c->expand, 2),
                   SMX__DEF(c->conv, 4));
}

/* {"type": "mamba2", "num_heads": expand*width/head_dim, "head_dim": 64, "state_size": 128,
 *  "n_groups": 1, "expand": 2, "conv_kernel": 4, "chunk_size": 256, "use_bias": false,
 *  "use_conv_bias": true, "hidden_act": "silu", "layer_norm_epsilon": 1e-5, "time_step_limit": [0, inf]} */
static smx__op *smx__lt_mamba2(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__mamba2_keys k = smx__mamba2_keys_hf;
    smx__mamba2_cfg c;
    k.groups_def = 1;
    smx__mamba2_read(ld, o, d, &k, &c);
    return ld->st ? NULL : smx__mamba2_load(ld, &c, prefix);
}

static void smx__ltj_mamba2(smx__sb *b, const smx_layer_cfg *c, int d)
{
    int hd = SMX__DEF(c->head_dim, 64), e = SMX__DEF(c->expand, 2);
    smx__sb_printf(b, ", \"num_heads\": %d, \"head_dim\": %d, \"state_size\": %d, \"n_groups\": %d, \"expand\": %d, \"conv_kernel\": %d, "
                   "\"chunk_size\": %d", SMX__MAX(1, e * d / hd), hd, SMX__DEF(c->state, 128), SMX__DEF(c->groups, 1), e, SMX__DEF(c->conv, 4),
                   SMX__DEF(c->chunk, 256));
}

/* {"type": "moe", "intermediate_size": 2 width, "num_experts": 8, "num_experts_per_tok": 2,
 *  "activation": "silu", "norm_topk_prob": false}; tensors router.weight, experts.E.* */
static smx__op *smx__lt_moe(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__moe_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.ff = smx__ci_pos(ld, o, "intermediate_size", 2 * d);
    c.n_experts = smx__ci_pos(ld, o, "num_experts", 8);
    c.top_k = smx__ci_pos(ld, o, "num_experts_per_tok", 2);
    c.act = smx__cfg_act(ld, o, "activation", "silu");
    c.renorm = smx__cb(ld, o, "norm_topk_prob", 0);
    return ld->st ? NULL : smx__moe_load(ld, &c, prefix, "router");
}

static void smx__ltj_moe(smx__sb *b, const smx_layer_cfg *c, int d)
{
    smx__sb_printf(b, ", \"intermediate_size\": %d, \"num_experts\": %d, \"num_experts_per_tok\": %d", SMX__DEF(c->ff, 2 * d),
                   SMX__DEF(c->experts, 8), SMX__DEF(c->top_k, 2));
}

/* ---- II.6.g xLSTM: the mLSTM cell, the mLSTM layer in its two released forms ('X' xLSTM-7B,
 *      'Y' the original block), and the sLSTM layer ('S') ----
 * Two released forms share one mLSTM cell.
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

/* Block-diagonal projection (LinearHeadwiseExpand with equal widths): nb blocks of bs,
 *   y[t, j*bs + o] = sum_d x[t, j*bs + d] W[j, o, d] (+ bias[j*bs + o])
 * x, y have row strides ldx, ldy. Wide blocks run the weight matmul per block; narrow ones (the
 * original mLSTM's 4x4 q/k/v blocks) a plain loop over rows. */
typedef struct smx__hw_job {
    float *y;
    const float *x, *W, *bias;
    size_t ldx, ldy;
    int nb, bs;
} smx__hw_job;

static void smx__hw_task(void *arg, int t, int tid)
{
    const smx__hw_job *j = (const smx__hw_job *)arg;
    const float *xr = j->x + (size_t)t * j->ldx;
    float *yr = j->y + (size_t)t * j->ldy;
    const int bs = j->bs, n = j->nb * bs;
    int r, d;
    (void)tid;
    for (r = 0; r < n; r++) {
        const float *xb = xr + (size_t)(r / bs) * bs, *w = j->W + (size_t)r * bs;
        float s = j->bias ? j->bias[r] : 0.0f;
        for (d = 0; d < bs; d++) s += xb[d] * w[d];
        yr[r] = s;
    }
}

static void smx__xl_headwise(const smx__cx *cx, float *y, size_t ldy, const float *x, size_t ldx, const float *W, const float *bias,
                             int nb, int bs, int T)
{
    smx__hw_job j;
    if (bs >= 16) {
        int b;
        for (b = 0; b < nb; b++) {
            smx__w w = smx__w_f32(W + (size_t)b * bs * bs, bs, bs, "headwise");
            smx__matmul(cx, y + (size_t)b * bs, ldy, x + (size_t)b * bs, ldx, &w, bias ? bias + (size_t)b * bs : NULL, T);
        }
        return;
    }
    j.y = y; j.x = x; j.W = W; j.bias = bias; j.ldx = ldx; j.ldy = ldy; j.nb = nb; j.bs = bs;
    smx__par(cx, smx__nth_for((double)T * nb * bs * bs, cx->nth), T, smx__hw_task, &j);
}

/* Python's a // b for finite a, b > 0 (floor of the exact quotient, as Python computes it). */
static double smx__xl_floordiv(double a, double b)
{
    double mod = fmod(a, b), div = (a - mod) / b, fl;
    if (mod != 0.0 && mod < 0.0) div -= 1.0;
    fl = floor(div);
    if (div - fl > 0.5) fl += 1.0;
    return fl;
}

/* -- The mLSTM cell: recurrent step and chunkwise form (see the section comment) -- */
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

typedef struct smx__mc_job {
    const smx__mcell *c;
    float *C, *N, *Mx, *h;
    const float *q, *k, *v, *ig, *fg;
    size_t ldq, ldk, ldv, ldg, ldh;
    /* chunkwise form */
    float *b, *w, *m0, *gC, *vw, *thr;
    size_t per_thr;
    int c0, Lc, L, ntb, nrb;
} smx__mc_job;

/* One head, one token. */
static void smx__mc_step_task(void *arg, int hh, int tid)
{
    const smx__mc_job *j = (const smx__mc_job *)arg;
    const smx__mcell *c = j->c;
    const int dqk = c->dqk, dv = c->dv;
    float *Ch = j->C + (size_t)hh * dqk * dv, *nv = j->N + (size_t)hh * dqk, *y = j->h + (size_t)hh * dv;
    const float *qh = j->q + (size_t)hh * dqk, *kh = j->k + (size_t)hh * dqk, *vh = j->v + (size_t)hh * dv;
    /* m' = max(lf + m, i~);  f' = exp(lf + m - m');  i' = exp(i~ - m') */
    float lf = smx__logsigmoid(j->fg[hh]), m = j->Mx[hh], mn = SMX__MAX(lf + m, j->ig[hh]);
    float fa = expf(lf + m - mn), ia = expf(j->ig[hh] - mn), qn = 0.0f, den;
    int r;
    (void)tid;
    memset(y, 0, sizeof(float) * (size_t)dv);
    /* C' = f' C + i' k v^T and y = C'^T q, row by row; n' = f' n + i' k */
    for (r = 0; r < dqk; r++) {
        float kr = ia * kh[r];
        smx__xl_row_update(Ch + (size_t)r * dv, fa, kr, vh, qh[r], y, dv);
        nv[r] = fa * nv[r] + kr;
        qn += qh[r] * nv[r];
    }
    j->Mx[hh] = mn;
    /* h = y / (max(|q . n'|, exp(-m')) + eps) */
    den = SMX__MAX(fabsf(qn), expf(-mn)) + c->eps;
    smx__scale(y, y, 1.0f / den, dv);
}

/* One token. q, k [nh * dqk], v [nh * dv], ig, fg [nh] (pre-activations); h [nh * dv]. */
static void smx__mcell_step(const smx__cx *cx, const smx__mcell *c, float *st, const float *q, const float *k, const float *v,
                            const float *ig, const float *fg, float *h)
{
    smx__mc_job j;
    memset(&j, 0, sizeof j);
    j.c = c; j.C = st; j.N = st + (size_t)c->nh * c->dqk * c->dv; j.Mx = j.N + (size_t)c->nh * c->dqk; j.h = h;
    j.q = q; j.k = k; j.v = v; j.ig = ig; j.fg = fg;
    smx__par(cx, smx__nth_for((double)c->nh * c->dqk * c->dv * 4, cx->nth), c->nh, smx__mc_step_task, &j);
}

/* Outputs of the chunk from the chunk-start state: TB rows of one head. */
static void smx__mc_out_task(void *arg, int task, int tid)
{
    const smx__mc_job *j = (const smx__mc_job *)arg;
    const smx__mcell *c = j->c;
    const int dqk = c->dqk, dv = c->dv, L = j->L, c0 = j->c0;
    const int th = task / j->ntb, tb0 = (task % j->ntb) * SMX__MC_TB, tb1 = SMX__MIN(j->Lc, tb0 + SMX__MC_TB), nb = tb1 - tb0;
    float *D = j->thr + (size_t)tid * j->per_thr;      /* [nb][tb1] */
    float *gg = D + (size_t)SMX__MC_TB * L, *mc = gg + SMX__MC_TB, *den = mc + SMX__MC_TB;
    const float *bh = j->b + (size_t)th * L, *C0 = j->C + (size_t)th * dqk * dv, *n0 = j->N + (size_t)th * dqk;
    const float mm = j->m0[th];
    const int inter = mm > -INFINITY;
    float *yb = j->h + (size_t)(c0 + tb0) * j->ldh + (size_t)th * dv;
    int t, s;
    for (t = tb0; t < tb1; t++) {
        const float *qt = j->q + (size_t)(c0 + t) * j->ldq + (size_t)th * dqk;
        float *Dr = D + (size_t)(t - tb0) * tb1, mi = -INFINITY, m_t, dsum = 0.0f;
        /* log D_ts = b_t - b_s + i~_s;  mc_t = max(b_t + m0, max_s log D_ts) */
        for (s = 0; s <= t; s++) {
            Dr[s] = (bh[t] - bh[s]) + j->ig[(size_t)(c0 + s) * j->ldg + th];
            if (Dr[s] > mi) mi = Dr[s];
        }
        m_t = inter ? SMX__MAX(bh[t] + mm, mi) : mi;
        /* M_ts = D_ts (q_t . k_s) */
        for (s = 0; s <= t; s++) {
            Dr[s] = expf(Dr[s] - m_t) * smx__dot(qt, j->k + (size_t)(c0 + s) * j->ldk + (size_t)th * dqk, dqk);
            dsum += Dr[s];
        }
        for (; s < tb1; s++) Dr[s] = 0.0f;
        gg[t - tb0] = inter ? expf(bh[t] + mm - m_t) : 0.0f;
        mc[t - tb0] = m_t;
        den[t - tb0] = dsum + (inter ? gg[t - tb0] * smx__dot(qt, n0, dqk) : 0.0f);
    }
    /* y = g (Q C0) + M V */
    if (inter) {
        smx__gemm(yb, j->ldh, j->q + (size_t)(c0 + tb0) * j->ldq + (size_t)th * dqk, j->ldq, 1, C0, (size_t)dv, 1, nb, dv, dqk, 0);
        for (t = 0; t < nb; t++) smx__scale(yb + (size_t)t * j->ldh, yb + (size_t)t * j->ldh, gg[t], dv);
    } else {
        for (t = 0; t < nb; t++) memset(yb + (size_t)t * j->ldh, 0, sizeof(float) * (size_t)dv);
    }
    smx__gemm(yb, j->ldh, D, (size_t)tb1, 1, j->v + (size_t)c0 * j->ldv + (size_t)th * dv, j->ldv, 1, nb, dv, tb1, SMX__GEMM_ACC);
    /* h_t = y_t / (max(|den_t|, exp(-mc_t)) + eps) */
    for (t = 0; t < nb; t++) {
        float dn = SMX__MAX(fabsf(den[t]), expf(-mc[t])) + c->eps;
        smx__scale(yb + (size_t)t * j->ldh, yb + (size_t)t * j->ldh, 1.0f / dn, dv);
    }
}

/* State to the chunk end, RB rows of C and n of one head: C = gC C + K^T (w v), n = gC n + K^T w. */
static void smx__mc_state_task(void *arg, int task, int tid)
{
    const smx__mc_job *j = (const smx__mc_job *)arg;
    const smx__mcell *c = j->c;
    const int dqk = c->dqk, dv = c->dv, L = j->L;
    const int th = task / j->nrb, r0 = (task % j->nrb) * SMX__MC_RB, r1 = SMX__MIN(dqk, r0 + SMX__MC_RB);
    float *Cr = j->C + (size_t)th * dqk * dv + (size_t)r0 * dv, *nv = j->N + (size_t)th * dqk;
    const float g = j->gC[th], *wh = j->w + (size_t)th * L;
    const float *kb = j->k + (size_t)j->c0 * j->ldk + (size_t)th * dqk;
    int r, s;
    (void)tid;
    for (r = r0; r < r1; r++) {
        float acc = 0.0f, *row = j->C + (size_t)th * dqk * dv + (size_t)r * dv;
        smx__scale(row, row, g, dv);
        for (s = 0; s < j->Lc; s++) acc += wh[s] * kb[(size_t)s * j->ldk + r];
        nv[r] = g * nv[r] + acc;
    }
    smx__gemm(Cr, (size_t)dv, kb + r0, 1, j->ldk, j->vw + (size_t)th * L * dv, (size_t)dv, 1, r1 - r0, dv, j->Lc, SMX__GEMM_ACC);
}

/* T tokens in chunks of c->chunk. q, k rows (strides ldq, ldk) hold head hh at hh*dqk, v rows at hh*dv,
 * gates at ig[t*ldg + hh]. h: output rows (stride ldh). fresh: start from m0 = -inf (the original
 * model's parallel form of an empty state) instead of the stored m. */
static void smx__mcell_chunks(const smx__cx *cx, const smx__mcell *c, float *st, const float *q, size_t ldq, const float *k,
                              size_t ldk, const float *v, size_t ldv, const float *ig, const float *fg, size_t ldg, float *h,
                              size_t ldh, int T, int fresh, float *scratch)
{
    const int nh = c->nh, dqk = c->dqk, dv = c->dv, L = SMX__MIN(c->chunk, T);
    smx__mc_job j;
    float *m1;
    int c0;
    memset(&j, 0, sizeof j);
    j.c = c; j.C = st; j.N = st + (size_t)nh * dqk * dv; j.Mx = j.N + (size_t)nh * dqk; j.h = h;
    j.q = q; j.k = k; j.v = v; j.ig = ig; j.fg = fg; j.ldq = ldq; j.ldk = ldk; j.ldv = ldv; j.ldg = ldg; j.ldh = ldh; j.L = L;
    j.b = scratch;                                  /* [nh][L] b_s from the chunk start */
    j.w = j.b + (size_t)nh * L;                     /* [nh][L] exp(a_s - m1) */
    j.m0 = j.w + (size_t)nh * L;                    /* [nh] chunk-start m */
    m1 = j.m0 + nh; j.gC = m1 + nh;                 /* [nh] chunk-end m, exp(G + m0 - m1) */
    j.vw = j.gC + nh;                               /* [nh][L][dv] exp(a_s - m1) v_s */
    j.thr = j.vw + (size_t)nh * L * dv;             /* [nth][TB*L + 3*TB] per-thread rows of D; g, mc, den */
    j.per_thr = (size_t)SMX__MC_TB * L + 3 * SMX__MC_TB;
    for (c0 = 0; c0 < T; c0 += L) {
        const int Lc = SMX__MIN(L, T - c0);
        const double work = (double)Lc * dqk * dv * nh;
        int hh;
        j.c0 = c0; j.Lc = Lc;
        j.ntb = (Lc + SMX__MC_TB - 1) / SMX__MC_TB;
        j.nrb = (dqk + SMX__MC_RB - 1) / SMX__MC_RB;
        /* chunk scalars per head: b_s, m0, m1 = max(G + m0, max_s a_s), gC = exp(G + m0 - m1), w_s, w_s v_s */
        for (hh = 0; hh < nh; hh++) {
            float *bh = j.b + (size_t)hh * L, *wh = j.w + (size_t)hh * L, G, amax = -INFINITY, mm;
            double acc = 0.0;
            int s;
            mm = (fresh && c0 == 0) ? -INFINITY : j.Mx[hh];
            for (s = 0; s < Lc; s++) {
                acc += (double)smx__logsigmoid(fg[(size_t)(c0 + s) * ldg + hh]);
                bh[s] = (float)acc;
            }
            G = bh[Lc - 1];
            for (s = 0; s < Lc; s++) {
                wh[s] = G - bh[s] + ig[(size_t)(c0 + s) * ldg + hh];
                if (wh[s] > amax) amax = wh[s];
            }
            j.m0[hh] = mm;
            m1[hh] = SMX__MAX(G + mm, amax);
            j.gC[hh] = expf(G + mm - m1[hh]);
            for (s = 0; s < Lc; s++) {
                wh[s] = expf(wh[s] - m1[hh]);
                smx__scale(j.vw + ((size_t)hh * L + s) * dv, v + (size_t)(c0 + s) * ldv + (size_t)hh * dv, wh[s], dv);
            }
        }
        smx__par(cx, smx__nth_for(2.0 * work, cx->nth), nh * j.ntb, smx__mc_out_task, &j);
        smx__par(cx, smx__nth_for(work, cx->nth), nh * j.nrb, smx__mc_state_task, &j);
        for (hh = 0; hh < nh; hh++) j.Mx[hh] = m1[hh];
    }
}

/* -- mLSTM layer, xLSTM-7B form ('X') --
 *   q = x Wq^T, k = x Wk^T, v = x Wv^T, o = x Wo^T;  i~ = cap tanh((x Wi^T + bi)/cap), f~ likewise
 *   h = cell(q / sqrt(dqk), k, v, i~, f~);  hn = LayerNorm per head (weight, bias over v_dim)
 *   y = (sigmoid(o) * hn) Wout^T */
typedef struct smx__mlstm7 {
    smx__op base;
    smx__mcell cell;
    int qk, vd;
    float cap, norm_eps;
    smx__w wq, wk, wv, wo, wi, wf, wout;                /* [qk,d] [qk,d] [vd,d] [vd,d] [nh,d] [nh,d] [d,vd] */
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
    size_t i, n;
    int t, hh;
    if (T == 1) {   /* decode: the six projections in one pass over their rows */
        smx__mv p[6];
        p[0].W = &a->wq; p[0].b = a->bq; p[0].y = q;
        p[1].W = &a->wk; p[1].b = a->bk; p[1].y = k;
        p[2].W = &a->wv; p[2].b = a->bv; p[2].y = v;
        p[3].W = &a->wo; p[3].b = a->bo; p[3].y = o;
        p[4].W = &a->wi; p[4].b = a->bi; p[4].y = ig;
        p[5].W = &a->wf; p[5].b = a->bf; p[5].y = fg;
        smx__matvecs(f->cx, f->x, 0, 0, 1, p, 6);
    } else {
        smx__matmul(f->cx, q, (size_t)qk, f->x, (size_t)d, &a->wq, a->bq, T);
        smx__matmul(f->cx, k, (size_t)qk, f->x, (size_t)d, &a->wk, a->bk, T);
        smx__matmul(f->cx, v, (size_t)vd, f->x, (size_t)d, &a->wv, a->bv, T);
        smx__matmul(f->cx, o, (size_t)vd, f->x, (size_t)d, &a->wo, a->bo, T);
        smx__matmul(f->cx, ig, (size_t)nh, f->x, (size_t)d, &a->wi, a->bi, T);
        smx__matmul(f->cx, fg, (size_t)nh, f->x, (size_t)d, &a->wf, a->bf, T);
    }
    /* gate soft cap: cap tanh(x / cap) */
    if (a->cap > 0.0f)
        for (i = 0, n = (size_t)T * nh; i < n; i++) {
            ig[i] = a->cap * tanhf(ig[i] / a->cap);
            fg[i] = a->cap * tanhf(fg[i] / a->cap);
        }
    smx__scale(q, q, (float)(1.0 / sqrt((double)a->cell.dqk)), T * qk);
    if (T == 1) smx__mcell_step(f->cx, &a->cell, (float *)state, q, k, v, ig, fg, hb);
    else smx__mcell_chunks(f->cx, &a->cell, (float *)state, q, (size_t)qk, k, (size_t)qk, v, (size_t)vd, ig, fg, (size_t)nh, hb,
                           (size_t)vd, T, 0, cs);
    /* hn = LayerNorm_head(h) * w + b;  h_out = sigmoid(o) * hn */
    for (t = 0; t < T; t++)
        for (hh = 0; hh < nh; hh++) {
            float *r = hb + (size_t)t * vd + (size_t)hh * dv;
            smx__layernorm(r, r, a->nw + (size_t)hh * dv, a->nb ? a->nb + (size_t)hh * dv : NULL, dv, a->norm_eps);
        }
    smx__act_mul(hb, o, (size_t)T * vd, SMX__ACT_SIGMOID);
    smx__matmul(f->cx, f->y, (size_t)op->d_out, hb, (size_t)vd, &a->wout, a->bout, T);
}

static const smx__op_vt smx__mlstm7_vt = { "mlstm", 'X', 0, smx__mlstm7_state, smx__mlstm7_scratch, smx__mlstm7_forward };

/* Settings of the 7B-form mLSTM layer. */
typedef struct smx__mlstm7_cfg {
    int d, nh, qk, vd, chunk, bias, fused;
    float eps, norm_eps, cap;
} smx__mlstm7_cfg;

/* b + W nb: the bias of a norm folded into the linear map after it (W [N, d]); b, nb may be NULL. */
static const float *smx__xl_fold(smx__loader *ld, const smx__w *W, const float *b, const float *nb)
{
    smx__cx one = { 1, NULL };
    float *o;
    if (!nb || ld->st || !W->data) return b;
    o = smx__ld_alloc(ld, (size_t)W->rows);
    if (!o) return NULL;
    smx__matmul(&one, o, (size_t)W->rows, nb, (size_t)W->cols, W, b, 1);
    return o;
}

/* prefix e.g. "backbone.blocks.3.mlstm_layer."; nb: bias of the RMSNorm before the layer (folded
 * into the projections), or NULL. */
static smx__op *smx__mlstm7_load(smx__loader *ld, const smx__mlstm7_cfg *c, const char *prefix, const float *nb)
{
    smx__mlstm7 *a;
    const int d = c->d, qk = c->qk, vd = c->vd, nh = c->nh;
    if (!smx__ld_check(ld, nh > 0 && qk > 0 && vd > 0 && qk % nh == 0 && vd % nh == 0 && qk <= (1 << 20) && vd <= (1 << 20),
                       SMX_E_RANGE, "config.json: qk_dim %d and v_dim %d must be positive multiples of num_heads %d", qk, vd, nh))
        return NULL;
    if (!smx__ld_check(ld, c->chunk > 0, SMX_E_RANGE, "config.json: chunk_size must be positive (found %d)", c->chunk)) return NULL;
    a = (smx__mlstm7 *)smx__op_new(ld, sizeof *a, &smx__mlstm7_vt, d, d);
    if (!a) return NULL;
    a->cell.nh = nh; a->cell.dqk = qk / nh; a->cell.dv = vd / nh; a->cell.chunk = c->chunk; a->cell.eps = c->eps;
    a->qk = qk; a->vd = vd; a->cap = c->cap; a->norm_eps = c->norm_eps;
    if (c->fused) {
        /* qkv_opreact [2qk + 2vd, d] = (q, k, v, o);  ifgate_preact [2nh, d] = (i, f) */
        smx__w W = SMX__M2(ld, 2 * (int64_t)qk + 2 * (int64_t)vd, d, "%sqkv_opreact.weight", prefix);
        const float *B = c->bias ? SMX__W1(ld, 2 * qk + 2 * vd, "%sqkv_opreact.bias", prefix) : NULL;
        smx__w G = SMX__M2(ld, 2 * nh, d, "%sifgate_preact.weight", prefix);
        const float *GB = SMX__W1(ld, 2 * nh, "%sifgate_preact.bias", prefix);
        if (ld->st) return NULL;
        a->wq = smx__w_rows(&W, 0, qk); a->wk = smx__w_rows(&W, qk, qk);
        a->wv = smx__w_rows(&W, 2 * qk, vd); a->wo = smx__w_rows(&W, 2 * qk + vd, vd);
        if (B) { a->bq = B; a->bk = B + qk; a->bv = B + 2 * qk; a->bo = B + 2 * qk + vd; }
        a->wi = smx__w_rows(&G, 0, nh); a->wf = smx__w_rows(&G, nh, nh); a->bi = GB; a->bf = GB + nh;
    } else {
        int64_t sh[8];
        int old = smx__tensor_shape(ld, sh, "%sq.weight", prefix) < 0 && smx__tensor_shape(ld, sh, "%squery.weight", prefix) >= 0;
        const char *qn = old ? "query" : "q", *kn = old ? "key" : "k", *vn = old ? "value" : "v";
        a->wq = SMX__M2(ld, qk, d, "%s%s.weight", prefix, qn);
        a->wk = SMX__M2(ld, qk, d, "%s%s.weight", prefix, kn);
        a->wv = SMX__M2(ld, vd, d, "%s%s.weight", prefix, vn);
        a->wo = SMX__M2(ld, vd, d, "%sogate_preact.weight", prefix);
        a->wi = SMX__M2(ld, nh, d, "%sigate_preact.weight", prefix);
        a->wf = SMX__M2(ld, nh, d, "%sfgate_preact.weight", prefix);
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
    a->wout = SMX__M2(ld, d, vd, "%sout_proj.weight", prefix);
    if (c->bias) a->bout = SMX__W1(ld, d, "%sout_proj.bias", prefix);
    /* (x w + nb) W^T = (x w) W^T + W nb */
    a->bq = smx__xl_fold(ld, &a->wq, a->bq, nb);
    a->bk = smx__xl_fold(ld, &a->wk, a->bk, nb);
    a->bv = smx__xl_fold(ld, &a->wv, a->bv, nb);
    a->bo = smx__xl_fold(ld, &a->wo, a->bo, nb);
    a->bi = smx__xl_fold(ld, &a->wi, a->bi, nb);
    a->bf = smx__xl_fold(ld, &a->wf, a->bf, nb);
    return ld->st ? NULL : &a->base;
}

/* Gated FFN as the MLP operator: down(act(gate x) * up x). gate = NULL: the up tensor is [2F, d]
 * holding the gate rows first, then the up rows. nb: bias of the norm before it, folded. */
static smx__op *smx__xl_ffn_load(smx__loader *ld, int d, int F, int act, int bias, const char *prefix, const char *gate,
                                 const char *up, const char *down, const float *nb)
{
    smx__mlp *m = (smx__mlp *)smx__mlp_load(ld, d, F, act, bias, prefix, gate ? gate : up, up, down);
    if (!m) return NULL;
    m->bg = smx__xl_fold(ld, &m->wg, m->bg, nb);
    m->bu = smx__xl_fold(ld, &m->wu, m->bu, nb);
    return ld->st ? NULL : &m->base;
}

/* -- mLSTM layer, original xLSTM form ('Y'; inner width I, heads of dh = I / nh) --
 *   [xm | z] = x Wup^T;  xc = silu(conv(xm));  q = HW(xc), k = HW(xc), v = HW(xm)
 *   i~ = [q k v] Wi^T + bi,  f~ likewise;  h = cell(q, k / sqrt(dh), v, i~, f~)
 *   hn = GroupNorm_heads(h) (weight 1 + w, eps 1e-5);  y = ((hn + skip * xc) * silu(z)) Wdown^T */
typedef struct smx__mlstm_lm {
    smx__op base;
    smx__mcell cell;
    int inner, K, bs;
    smx__w wup, wi, wf, wdown;              /* [2I, d], [nh, 3I], [nh, 3I], [d, I] */
    const float *bup, *bi, *bf, *bdown;
    const float *cwT, *cb;                  /* conv [K][I] (transposed), [I] */
    const float *wq, *wk, *wv, *bq, *bk, *bv;   /* [I/bs, bs, bs], [I] */
    const float *onw;                       /* [I] 1 + w */
    const float *skip;                      /* [I] */
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
    const float ks = (float)(1.0 / sqrt((double)dh));
    int t, hh, j;
    smx__matmul(f->cx, up, (size_t)2 * I, f->x, (size_t)d, &a->wup, a->bup, T);
    smx__conv1d(f->cx, up, (size_t)2 * I, xc, (size_t)I, T, I, a->K, a->cwT, a->cb, hist, SMX__ACT_SILU);
    smx__xl_headwise(f->cx, qkv, (size_t)3 * I, xc, (size_t)I, a->wq, a->bq, nb, a->bs, T);
    smx__xl_headwise(f->cx, qkv + I, (size_t)3 * I, xc, (size_t)I, a->wk, a->bk, nb, a->bs, T);
    smx__xl_headwise(f->cx, qkv + 2 * I, (size_t)3 * I, up, (size_t)2 * I, a->wv, a->bv, nb, a->bs, T);
    smx__matmul(f->cx, ig, (size_t)nh, qkv, (size_t)3 * I, &a->wi, a->bi, T);
    smx__matmul(f->cx, fg, (size_t)nh, qkv, (size_t)3 * I, &a->wf, a->bf, T);
    /* keys scaled by 1/sqrt(dh) (after the gates, which read them unscaled) */
    for (t = 0; t < T; t++) smx__scale(qkv + (size_t)t * 3 * I + I, qkv + (size_t)t * 3 * I + I, ks, I);
    if (T == 1) smx__mcell_step(f->cx, &a->cell, cst, qkv, qkv + I, qkv + 2 * I, ig, fg, hb);
    else smx__mcell_chunks(f->cx, &a->cell, cst, qkv, (size_t)3 * I, qkv + I, (size_t)3 * I, qkv + 2 * I, (size_t)3 * I, ig, fg,
                           (size_t)nh, hb, (size_t)I, T, f->pos == 0, cs);
    /* h = (GroupNorm(h) + skip * xc) * silu(z) */
    for (t = 0; t < T; t++) {
        float *r = hb + (size_t)t * I;
        const float *xr = xc + (size_t)t * I;
        for (hh = 0; hh < nh; hh++) smx__layernorm(r + (size_t)hh * dh, r + (size_t)hh * dh, a->onw + (size_t)hh * dh, NULL, dh, 1e-5f);
        for (j = 0; j < I; j++) r[j] += a->skip[j] * xr[j];
        smx__act_mul(r, up + (size_t)t * 2 * I + I, (size_t)I, SMX__ACT_SILU);
    }
    smx__matmul(f->cx, f->y, (size_t)op->d_out, hb, (size_t)I, &a->wdown, a->bdown, T);
}

static const smx__op_vt smx__mlstm_lm_vt = { "mlstm_lm", 'Y', 0, smx__mlstm_lm_state, smx__mlstm_lm_scratch, smx__mlstm_lm_forward };

typedef struct smx__mlstm_lm_cfg {
    int d, inner, nh, K, bs, bias;
} smx__mlstm_lm_cfg;

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
    if (!smx__ld_check(ld, I > 0 && I <= (1 << 20) && nh > 0 && I % nh == 0, SMX_E_RANGE,
                       "config.json: mLSTM inner width %d is not a multiple of num_heads %d", I, nh) ||
        !smx__ld_check(ld, bs > 0 && I % bs == 0, SMX_E_RANGE,
                       "config.json: mLSTM inner width %d is not a multiple of qkv_proj_blocksize %d", I, bs) ||
        !smx__ld_check(ld, c->K >= 1 && c->K <= 1024, SMX_E_RANGE, "config.json: mLSTM conv1d_kernel_size must be in [1, 1024] (found %d)",
                       c->K))
        return NULL;
    a = (smx__mlstm_lm *)smx__op_new(ld, sizeof *a, &smx__mlstm_lm_vt, d, d);
    if (!a) return NULL;
    a->cell.nh = nh; a->cell.dqk = I / nh; a->cell.dv = I / nh; a->cell.eps = 1e-6f;
    a->cell.chunk = 64;
    a->inner = I; a->K = c->K; a->bs = bs;
    a->wup = SMX__M2(ld, 2 * (int64_t)I, d, "%sproj_up.weight", prefix);
    a->cwT = smx__conv_weight(ld, I, c->K, "%sconv1d.conv.weight", prefix);
    a->cb = SMX__W1(ld, I, "%sconv1d.conv.bias", prefix);
    a->wq = SMX__W3(ld, I / bs, bs, bs, "%sq_proj.weight", prefix);
    a->wk = SMX__W3(ld, I / bs, bs, bs, "%sk_proj.weight", prefix);
    a->wv = SMX__W3(ld, I / bs, bs, bs, "%sv_proj.weight", prefix);
    a->wi = SMX__M2(ld, nh, 3 * (int64_t)I, "%smlstm_cell.igate.weight", prefix);
    a->bi = SMX__W1(ld, nh, "%smlstm_cell.igate.bias", prefix);
    a->wf = SMX__M2(ld, nh, 3 * (int64_t)I, "%smlstm_cell.fgate.weight", prefix);
    a->bf = SMX__W1(ld, nh, "%smlstm_cell.fgate.bias", prefix);
    a->onw = smx__xl_one_plus(ld, SMX__W1(ld, I, "%smlstm_cell.outnorm.weight", prefix), I);
    a->skip = SMX__W1(ld, I, "%slearnable_skip", prefix);
    a->wdown = SMX__M2(ld, d, I, "%sproj_down.weight", prefix);
    if (c->bias) {
        a->bup = SMX__W1(ld, 2 * I, "%sproj_up.bias", prefix);
        a->bq = SMX__W1(ld, I, "%sq_proj.bias", prefix);
        a->bk = SMX__W1(ld, I, "%sk_proj.bias", prefix);
        a->bv = SMX__W1(ld, I, "%sv_proj.bias", prefix);
        a->bdown = SMX__W1(ld, d, "%sproj_down.bias", prefix);
    }
    return ld->st ? NULL : &a->base;
}

/* -- sLSTM layer ('S'; original xLSTM; heads of dh = E / nh; no output projection) -- */
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
typedef struct smx__sl_job {
    const smx__slstm *s;
    const float *pre, *yprev;
    float *ynew, *c, *n, *m;
    int allzero, nj;
} smx__sl_job;

static void smx__sl_task(void *arg, int task, int tid)
{
    const smx__sl_job *jb = (const smx__sl_job *)arg;
    const smx__slstm *s = jb->s;
    const int E = s->base.d_in, dh = s->dh, JB = SMX__SL_JB, h = task / jb->nj, j0 = (task % jb->nj) * JB, j1 = SMX__MIN(dh, j0 + JB);
    const float *pre = jb->pre;
    float *c = jb->c, *n = jb->n, *m = jb->m;
    float acc[4 * SMX__SL_JB];  /* [4 gates][JB channels] */
    int j;
    (void)tid;
    smx__slstm_ry(acc, jb->yprev + (size_t)h * dh, s->R + (size_t)task * dh * 4 * JB, dh);
    for (j = j0; j < j1; j++) {
        const size_t ch = (size_t)h * dh + j;
        /* raw_g = pre_g + R_g y_{t-1} */
        const float ri = pre[ch] + acc[j - j0], rf = pre[E + ch] + acc[JB + j - j0];
        const float rz = pre[2 * (size_t)E + ch] + acc[2 * JB + j - j0], ro = pre[3 * (size_t)E + ch] + acc[3 * JB + j - j0];
        if (s->lstm) {
            /* c = sigmoid(f) c + sigmoid(i) tanh(z);  y = sigmoid(o) tanh(c) */
            c[ch] = smx__sigmoid(rf) * c[ch] + smx__sigmoid(ri) * tanhf(rz);
            jb->ynew[ch] = smx__sigmoid(ro) * tanhf(c[ch]);
        } else {
            /* m' = max(ri, m + logsigmoid(rf)) (ri alone when every n is 0); i = min(exp(ri - m'), 1),
             * f = min(exp(m + logsigmoid(rf) - m'), 1): one of the two is exp(0) = 1 */
            float lfm = m[ch] + smx__logsigmoid(rf), mn, ia, fa;
            if (jb->allzero || ri >= lfm) { mn = ri; ia = 1.0f; fa = SMX__MIN(expf(lfm - ri), 1.0f); }
            else { mn = lfm; ia = expf(ri - lfm); fa = 1.0f; }
            c[ch] = fa * c[ch] + ia * tanhf(rz);
            n[ch] = fa * n[ch] + ia;
            m[ch] = mn;
            jb->ynew[ch] = smx__sigmoid(ro) * c[ch] / n[ch];
        }
    }
}

static void smx__slstm_cell(const smx__cx *cx, const smx__slstm *s, const float *pre, const float *yprev, float *ynew, float *c,
                            float *n, float *m)
{
    const int E = s->base.d_in;
    smx__sl_job j;
    int e;
    j.s = s; j.pre = pre; j.yprev = yprev; j.ynew = ynew; j.c = c; j.n = n; j.m = m;
    j.nj = (s->dh + SMX__SL_JB - 1) / SMX__SL_JB;
    for (j.allzero = 1, e = 0; e < E && j.allzero; e++) j.allzero = n[e] == 0.0f;
    smx__par(cx, smx__nth_for(4.0 * E * s->dh, cx->nth), s->nh * j.nj, smx__sl_task, &j);
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
        smx__conv1d(f->cx, f->x, (size_t)E, xc, (size_t)E, T, E, s->K, s->cwT, s->cb, hist, SMX__ACT_SILU);
        xin = xc;
    }
    /* pre_g = HW(x_g; W_g) + b_g: i, f from the conv branch, z, o from x */
    for (g = 0; g < 4; g++)
        smx__xl_headwise(f->cx, pre + (size_t)g * E, (size_t)4 * E, g < 2 ? xin : f->x, (size_t)E, s->wg[g], s->bias + (size_t)g * E,
                         nh, dh, T);
    /* the recurrence, one step at a time */
    for (t = 0; t < T; t++)
        smx__slstm_cell(f->cx, s, pre + (size_t)t * 4 * E, t ? hout + (size_t)(t - 1) * E : sy, hout + (size_t)t * E, sc, sn, sm);
    memcpy(sy, hout + (size_t)(T - 1) * E, sizeof(float) * (size_t)E);
    /* out = GroupNorm over heads (eps 1e-5, weight 1 + w) */
    for (t = 0; t < T; t++)
        for (hh = 0; hh < nh; hh++)
            smx__layernorm(f->y + (size_t)t * E + (size_t)hh * dh, hout + (size_t)t * E + (size_t)hh * dh,
                           s->gnw ? s->gnw + (size_t)hh * dh : NULL, NULL, dh, 1e-5f);
}

static const smx__op_vt smx__slstm_vt = { "slstm", 'S', 0, smx__slstm_state, smx__slstm_scratch, smx__slstm_forward };

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
    if (!smx__ld_check(ld, nh > 0 && E % nh == 0 && E <= (1 << 20), SMX_E_RANGE, "config.json: sLSTM embedding_dim %d is not a multiple of num_heads %d",
                       E, nh) ||
        !smx__ld_check(ld, c->K >= 0 && c->K <= 1024, SMX_E_RANGE, "config.json: sLSTM conv1d_kernel_size must be in [0, 1024] (found %d)", c->K))
        return NULL;
    s = (smx__slstm *)smx__op_new(ld, sizeof *s, &smx__slstm_vt, E, E);
    if (!s) return NULL;
    s->nh = nh; s->dh = dh; s->K = c->K; s->lstm = c->lstm;
    if (c->K > 0) {
        s->cwT = smx__conv_weight(ld, E, c->K, "%sconv1d.conv.weight", prefix);
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


/* {"type": "mlstm", "num_heads": 4, "qk_dim_factor": 0.5, "v_dim_factor": 1.0, "chunk_size": 64,
 *  "gate_soft_cap": 15, "eps": 1e-6, "norm_eps": 1e-6, "bias": false}: the xLSTM-7B layer */
static smx__op *smx__lt_mlstm(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__mlstm7_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.nh = smx__ci_pos(ld, o, "num_heads", 4);
    c.qk = smx__cfg_scaled(ld, o, "qk_dim_factor", 0.5, d);
    c.vd = smx__cfg_scaled(ld, o, "v_dim_factor", 1.0, d);
    c.chunk = smx__ci_pos(ld, o, "chunk_size", 64);
    c.bias = smx__cb(ld, o, "bias", 0);
    c.cap = (float)smx__cf(ld, o, "gate_soft_cap", 15.0);
    c.eps = (float)smx__cf(ld, o, "eps", 1e-6);
    c.norm_eps = (float)smx__cf(ld, o, "norm_eps", 1e-6);
    return ld->st ? NULL : smx__mlstm7_load(ld, &c, prefix, NULL);
}

static void smx__ltj_mlstm(smx__sb *b, const smx_layer_cfg *c, int d)
{
    (void)d;
    smx__sb_printf(b, ", \"num_heads\": %d, \"chunk_size\": %d", SMX__DEF(c->heads, 4), SMX__DEF(c->chunk, 64));
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
    return ld->st ? NULL : smx__slstm_load(ld, &c, prefix);
}

static void smx__ltj_slstm(smx__sb *b, const smx_layer_cfg *c, int d)
{
    (void)d;
    smx__sb_printf(b, ", \"num_heads\": %d, \"conv_kernel\": %d", SMX__DEF(c->heads, 4), SMX__DEF(c->conv, 4));
}

/* ---- II.6.h Liquid operators: LFM2 short convolution ('C'), CfC ('L'), LTC ('T') ----
 * The CfC and LTC operators read the elapsed time of each step from f->dt (NULL = 1.0 each), so
 * the same operator serves feature models (irregular sampling) and token stacks (unit time
 * between tokens). Their tensor names follow the ncps module layout under the prefix:
 *   {prefix}rnn_cell.*   the cell        {prefix}lstm.*   mixed memory        {prefix}fc.*   projection
 * so a hybrid-stack layer under "model.layers.3.mixer." reads model.layers.3.mixer.rnn_cell.ff1.weight. */

/* Backbone activations with the fast tanh. */
static float smx__lq_act(int act, float x)
{
    if (act == SMX__ACT_LECUN_TANH) return 1.7159f * smx__tanh_fast(0.666f * x);
    if (act == SMX__ACT_TANH) return smx__tanh_fast(x);
    return smx__act(act, x);
}

/* A float32 copy of columns [c0, c0 + nc) of W[rows, cols] as a weight: [rows, nc]. */
static smx__w smx__lq_cols(smx__loader *ld, const float *W, int rows, int cols, int c0, int nc, const char *name)
{
    float *d = smx__ld_alloc(ld, (size_t)rows * (size_t)nc);
    int r;
    if (d && W)
        for (r = 0; r < rows; r++) memcpy(d + (size_t)r * nc, W + (size_t)r * cols + c0, sizeof(float) * (size_t)nc);
    return smx__w_f32(d, rows, nc, name);
}

/* Mixed memory (ncps LSTMCell), one step on h, c [u] with g [4u] = input_map(x) + b already
 * computed (gx); the recurrent map has no bias. Gate chunks in order (i, ig, fg, og):
 *   c' = c * sigma(fg + 1) + tanh(i) * sigma(ig)        h' = tanh(c') * sigma(og)            */
static void smx__lq_lstm_step(const smx__cx *cx, float *h, float *c, const float *gx, const smx__w *wr, int u, float *g)
{
    int j;
    smx__matmul(cx, g, (size_t)(4 * u), h, (size_t)u, wr, NULL, 1);     /* g [4u] = W_r h */
    for (j = 0; j < 4 * u; j++) g[j] += gx[j];
    for (j = 0; j < u; j++) {
        float ia = smx__tanh_fast(g[j]), ig = smx__sigmoid(g[u + j]), fg = smx__sigmoid(g[2 * u + j] + 1.0f);
        float og = smx__sigmoid(g[3 * u + j]);
        c[j] = c[j] * fg + ia * ig;
        h[j] = smx__tanh_fast(c[j]) * og;
    }
}

/* -- LFM2 short convolution ('C') --
 * [B | C | x] = a W_in^T (+ b_in)      (three chunks of d, in this order)
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
    smx__w win, wout;           /* [3d, d], [d, d] */
    const float *bin, *bout;    /* [3d], [d] */
    const float *cw;            /* [L][d] transposed conv weight */
    const float *cb;            /* [d] */
} smx__sconv;

static size_t smx__sconv_state(const smx__op *op, int n_ctx)
{
    const smx__sconv *c = (const smx__sconv *)op;
    (void)n_ctx;
    return (size_t)(c->L - 1) * (size_t)op->d_in * sizeof(float);
}

static size_t smx__sconv_scratch(const smx__op *op, int T, int n_ctx, int nth)
{
    (void)n_ctx; (void)nth;
    return (size_t)op->d_in * 5 * (size_t)T;
}

static void smx__sconv_forward(const smx__op *op, void *state, const smx__fwd *f)
{
    const smx__sconv *c = (const smx__sconv *)op;
    const int T = f->T, d = op->d_in;
    float *g = f->scratch;                      /* [T, 3d]  B | C | x */
    float *u = g + (size_t)T * 3 * d;           /* [T, d]   B * x */
    float *v = u + (size_t)T * d;               /* [T, d]   C * conv(u) */
    int t;
    smx__matmul(f->cx, g, (size_t)3 * d, f->x, (size_t)d, &c->win, c->bin, T);
    for (t = 0; t < T; t++) {
        const float *gr = g + (size_t)t * 3 * d;
        float *ur = u + (size_t)t * d;
        int i;
        for (i = 0; i < d; i++) ur[i] = gr[i] * gr[2 * d + i];
    }
    /* v = C * (b_c + sum_k w_k u[t - (L-1) + k]) */
    smx__conv1d(f->cx, u, (size_t)d, v, (size_t)d, T, d, c->L, c->cw, c->cb, (float *)state, SMX__ACT_NONE);
    for (t = 0; t < T; t++) {
        float *vr = v + (size_t)t * d;
        const float *cr = g + (size_t)t * 3 * d + d;
        int i;
        for (i = 0; i < d; i++) vr[i] *= cr[i];
    }
    smx__matmul(f->cx, f->y, (size_t)op->d_out, v, (size_t)d, &c->wout, c->bout, T);
}

static const smx__op_vt smx__sconv_vt = { "short_conv", 'C', 0, smx__sconv_state, smx__sconv_scratch, smx__sconv_forward };

/* prefix e.g. "model.layers.0.conv."; tensors in_proj, conv, out_proj. */
static smx__op *smx__sconv_load(smx__loader *ld, const smx__sconv_cfg *cfg, const char *prefix)
{
    smx__sconv *c;
    int d = cfg->d, L = cfg->L;
    if (!smx__ld_check(ld, L >= 1 && L <= 1024, SMX_E_RANGE, "config.json: conv_L_cache %d must be in [1, 1024]", L)) return NULL;
    c = (smx__sconv *)smx__op_new(ld, sizeof *c, &smx__sconv_vt, d, d);
    if (!c) return NULL;
    c->L = L;
    c->win = SMX__M2(ld, 3 * (int64_t)d, d, "%sin_proj.weight", prefix);
    c->wout = SMX__M2(ld, d, d, "%sout_proj.weight", prefix);
    c->cw = smx__conv_weight(ld, d, L, "%sconv.weight", prefix);
    if (cfg->bias) {
        c->bin = SMX__W1(ld, 3 * (int64_t)d, "%sin_proj.bias", prefix);
        c->cb = SMX__W1(ld, d, "%sconv.bias", prefix);
        c->bout = SMX__W1(ld, d, "%sout_proj.bias", prefix);
    }
    return ld->st ? NULL : &c->base;
}

/* -- CfC: closed-form continuous-time cell ('L') -- */
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
    smx__w w0;                  /* first layer [r0, in + n] (reads [u | h]) */
    smx__w wx, wh;              /* its input and recurrent columns [r0, in], [r0, n] */
    const float *b0;            /* its bias [r0] */
    smx__w *wb;                 /* backbone layers 1..nbb-1: [bbu, bbu] */
    const float **bb;           /* their biases [bbu] */
    smx__w wz;                  /* heads after a backbone: [nh*n, bbu] */
    const float *bz;            /* [nh*n]; NULL without a backbone */
    const float *w_tau, *A;     /* pure mode: [n] */
} smx__cfc_cell;

typedef struct smx__cfc {
    smx__op base;
    int in, units, mode, act, nbb, bbu, mixed, proj, ncell, nout;
    smx__cfc_cell *cell;
    smx__w lwx, lwh;                /* LSTM: input_map [4u, in], recurrent_map [4u, u] */
    const float *lb;                /* input_map bias [4u] */
    smx__w fcw;                     /* [proj, nout] */
    const float *fcb;               /* [proj] */
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
static void smx__cfc_cell_step(const smx__cx *cx, const smx__cfc *c, const smx__cfc_cell *cl, const float *pre, const float *u,
                               float *h, float ts, float *w, int rmax)
{
    const int n = cl->n;
    float *t0 = w + rmax, *z1 = w + 2 * rmax, *z2 = w + 3 * rmax, *zc = w + 4 * rmax, *g;
    int j, l;
    if (pre) {
        /* z = pre + W_h h */
        smx__matmul(cx, t0, (size_t)cl->r0, h, (size_t)n, &cl->wh, NULL, 1);
        for (j = 0; j < cl->r0; j++) t0[j] += pre[j];
    } else {
        /* z = W_0 [u | h] + b */
        memcpy(zc, u, sizeof(float) * (size_t)cl->in);
        memcpy(zc + cl->in, h, sizeof(float) * (size_t)n);
        smx__matmul(cx, t0, (size_t)cl->r0, zc, (size_t)(cl->in + n), &cl->w0, cl->b0, 1);
    }
    g = t0;
    if (c->nbb > 0) {
        /* z = act(W_l z + b_l) through the backbone, then the heads */
        for (j = 0; j < cl->r0; j++) t0[j] = smx__lq_act(c->act, t0[j]);
        for (l = 1; l < c->nbb; l++) {
            float *src = (l & 1) ? t0 : z1, *dst = (l & 1) ? z1 : t0;
            smx__matmul(cx, dst, (size_t)c->bbu, src, (size_t)c->bbu, &cl->wb[l], cl->bb[l], 1);
            for (j = 0; j < c->bbu; j++) dst[j] = smx__lq_act(c->act, dst[j]);
        }
        smx__matmul(cx, z2, (size_t)cl->wz.rows, ((c->nbb - 1) & 1) ? z1 : t0, (size_t)c->bbu, &cl->wz, cl->bz, 1);
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
            float f1 = smx__tanh_fast(g[j]), f2 = smx__tanh_fast(g[n + j]), s = smx__sigmoid(g[2 * n + j] * ts + g[3 * n + j]);
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
    if (T > 1) smx__matmul(f->cx, px, (size_t)r0, f->x, (size_t)c->in, &c->cell[0].wx, c->cell[0].b0, T);
    if (c->mixed) smx__matmul(f->cx, pl, (size_t)(4 * u), f->x, (size_t)c->in, &c->lwx, c->lb, T);
    for (t = 0; t < T; t++) {
        float ts = f->dt ? f->dt[t] : 1.0f;
        float *out = c->proj ? ho + (size_t)t * c->nout : f->y + (size_t)t * c->nout;
        if (c->mixed) smx__lq_lstm_step(f->cx, h, cs, pl + (size_t)t * 4 * u, &c->lwh, u, lg);
        for (l = 0; l < c->ncell; l++) {
            const smx__cfc_cell *cl = &c->cell[l];
            smx__cfc_cell_step(f->cx, c, cl, (l || T == 1) ? NULL : px + (size_t)t * r0,
                               l ? h + c->cell[l - 1].off : f->x + (size_t)t * c->in, h + cl->off, ts, w, rmax);
        }
        memcpy(out, h + last->off, sizeof(float) * (size_t)c->nout);
    }
    if (c->proj) smx__matmul(f->cx, f->y, (size_t)c->proj, ho, (size_t)c->nout, &c->fcw, c->fcb, T);
}

static const smx__op_vt smx__cfc_vt = { "cfc", 'L', 0, smx__cfc_state, smx__cfc_scratch, smx__cfc_forward };

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
        cl->w0 = smx__w_f32(W0, bbu, in + n, "backbone.0");
        cl->wx = smx__lq_cols(ld, W0, bbu, in + n, 0, in, "backbone.0");
        cl->wh = smx__lq_cols(ld, W0, bbu, in + n, in, n, "backbone.0");
        cl->wb = (smx__w *)smx__arena_alloc(&ld->m->arena, sizeof(smx__w) * (size_t)cfg->bb_layers);
        cl->bb = (const float **)smx__arena_alloc(&ld->m->arena, sizeof(float *) * (size_t)cfg->bb_layers);
        if (!cl->wb || !cl->bb) { smx__ld_fail(ld, SMX_E_NOMEM, "out of memory"); return; }
        for (k = 1; k < cfg->bb_layers; k++) {
            int ix = smx__cfc_bb_index(k, cfg->bb_dropout);
            cl->wb[k] = SMX__M2(ld, bbu, bbu, "%sbackbone.%d.weight", p, ix);
            cl->bb[k] = SMX__W1(ld, bbu, "%sbackbone.%d.bias", p, ix);
        }
        cl->wz = smx__w_f32(hw, nh * n, cat, "heads"); cl->bz = hb;
    } else {
        cl->r0 = nh * n;
        cl->w0 = smx__w_f32(hw, nh * n, in + n, "heads");
        cl->wx = smx__lq_cols(ld, hw, nh * n, in + n, 0, in, "heads");
        cl->wh = smx__lq_cols(ld, hw, nh * n, in + n, in, n, "heads");
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
        c->lwx = SMX__M2(ld, 4 * c->units, c->in, "%slstm.input_map.weight", prefix);
        c->lb = SMX__W1(ld, 4 * c->units, "%slstm.input_map.bias", prefix);
        c->lwh = SMX__M2(ld, 4 * c->units, c->units, "%slstm.recurrent_map.weight", prefix);
    }
    if (cfg->proj) {
        c->fcw = SMX__M2(ld, cfg->proj, c->nout, "%sfc.weight", prefix);
        c->fcb = SMX__W1(ld, cfg->proj, "%sfc.bias", prefix);
    }
    return ld->st ? NULL : &c->base;
}

/* ===================================================================================== */
/* -- LTC: liquid time-constant cell ('T') -- */
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
    smx__w lwx, lwh;                            /* LSTM input and recurrent maps */
    const float *lb;
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

typedef struct smx__ltc_job { const smx__ltc *c; const float *x; float *ns, *ds; } smx__ltc_job;

static void smx__ltc_sensory_task(void *arg, int t, int tid)
{
    const smx__ltc_job *j = (const smx__ltc_job *)arg;
    const int N = j->c->N;
    (void)tid;
    smx__ltc_sensory(j->c, j->x + (size_t)t * j->c->S, j->ns + (size_t)t * N, j->ds + (size_t)t * N);
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
    {
        smx__ltc_job j;
        j.c = c; j.x = f->x; j.ns = ns; j.ds = ds;
        smx__par(f->cx, smx__nth_for((double)T * S * N * 4, f->cx->nth), T, smx__ltc_sensory_task, &j);
    }
    if (c->mixed) smx__matmul(f->cx, pl, (size_t)(4 * N), f->x, (size_t)S, &c->lwx, c->lb, T);
    for (t = 0; t < T; t++) {
        const float ts = f->dt ? f->dt[t] : 1.0f, dtu = ts / (float)c->unfolds;
        const float *nr = ns + (size_t)t * N, *dr = ds + (size_t)t * N;
        float *y = f->y + (size_t)t * op->d_out;
        int k, i, j;
        if (c->mixed) smx__lq_lstm_step(f->cx, v, cs, pl + (size_t)t * 4 * N, &c->lwh, N, lg);
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

static const smx__op_vt smx__ltc_vt = { "ltc", 'T', 0, smx__ltc_state, smx__ltc_scratch, smx__ltc_forward };

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
        c->lwx = SMX__M2(ld, 4 * N, S, "%slstm.input_map.weight", prefix);
        c->lb = SMX__W1(ld, 4 * N, "%slstm.input_map.bias", prefix);
        c->lwh = SMX__M2(ld, 4 * N, N, "%slstm.recurrent_map.weight", prefix);
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


/* {"type": "shortconv", "conv_kernel": 3, "bias": false} */
static smx__op *smx__lt_shortconv(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__sconv_cfg c;
    c.d = d;
    c.L = smx__ci_pos(ld, o, "conv_kernel", 3);
    c.bias = smx__cb(ld, o, "bias", 0);
    return ld->st ? NULL : smx__sconv_load(ld, &c, prefix);
}

static void smx__ltj_shortconv(smx__sb *b, const smx_layer_cfg *c, int d)
{
    (void)d;
    smx__sb_printf(b, ", \"conv_kernel\": %d", SMX__DEF(c->conv, 3));
}

/* CfC mode from object o (NULL: the root): "default", "pure" or "no_gate". */
static int smx__cfc_mode(smx__loader *ld, const smx__jv *o)
{
    const char *mode = smx__cs(ld, o, "mode", "default");
    if (!strcmp(mode, "default")) return SMX__CFC_DEFAULT;
    if (!strcmp(mode, "pure")) return SMX__CFC_PURE;
    if (!strcmp(mode, "no_gate")) return SMX__CFC_NOGATE;
    smx__ld_fail(ld, SMX_E_UNSUPPORTED, "config.json: CfC mode '%s' is not supported (default, pure, no_gate)", mode);
    return SMX__CFC_DEFAULT;
}

/* {"type": "cfc", "backbone_units": width, "backbone_layers": 1, "mode": "default",
 *  "activation": "lecun_tanh", "mixed_memory": false}; units = input = width, no projection, unit
 *  elapsed time between tokens. Tensors under the prefix as for the ncps CfC module. */
static smx__op *smx__lt_cfc(smx__loader *ld, const smx__jv *o, int d, const char *prefix)
{
    smx__cfc_cfg c;
    memset(&c, 0, sizeof c);
    c.in = d;
    c.n_cells = 1;
    c.sizes[0] = d;
    c.bb_layers = smx__ci(ld, o, "backbone_layers", 1);
    c.bb_units = smx__ci(ld, o, "backbone_units", d);
    c.mixed = smx__cb(ld, o, "mixed_memory", 0);
    c.act = smx__cfg_act(ld, o, "activation", "lecun_tanh");
    c.mode = smx__cfc_mode(ld, o);
    return ld->st ? NULL : smx__cfc_load(ld, &c, prefix);
}

static void smx__ltj_cfc(smx__sb *b, const smx_layer_cfg *c, int d)
{
    smx__sb_printf(b, ", \"backbone_units\": %d", SMX__DEF(c->units, d));
}

/* ===================================================================================== */
/* II.7 Families                                                                         */
/* ===================================================================================== */
/* One section per family: its config reader, its tensor names, its builder, and at the end its
 * descriptor (smx__family: the architectures and model_types it accepts, its builder, the
 * operator letters its models use), which the registry of II.8 lists. Token families made of
 * pre-norm residual sub-layers share the decoder skeleton of II.7.a.
 *
 * Adding a family:
 *   1. a section here: read the config with the operator readers of II.6 (adding a key dialect
 *      where the family names settings its own way), fill a smx__dec and a smx__dec_names (or
 *      build sub-layers yourself with smx__add_sub), end with its smx__family descriptor;
 *   2. one line in smx__families[] (II.8);
 *   3. a golden case under tests/golden/ and a row in README.md's architecture table.
 * A new operator gets its own II.6 section (settings, reader, vtable, loader, and the builder
 * layer functions if stacks may use it) and one X(...) line in SMX_LAYER_TYPES. */

typedef smx_status (*smx__build_fn)(smx__loader *ld);

typedef struct smx__family {
    const char *name;               /* for messages and listings */
    const char *archs[4];           /* architectures[0] values it accepts */
    const char *model_types[4];     /* model_type values it accepts */
    smx__build_fn build;
    const char *letters;            /* operator letters its models use */
} smx__family;

/* Model-level settings shared by the token families. */
static void smx__set_final_norm(smx__loader *ld, int norm, float eps, const float *w)
{
    ld->m->fnorm = norm;
    ld->m->feps = eps;
    ld->m->fnw = w;
}

/* ---- II.7.a The decoder skeleton ----
 * embedding -> for each layer: [norm -> mixer -> +residual] [norm -> feed-forward -> +residual]
 * -> final norm -> head. The family reads its settings into smx__dec, names its tensors in
 * smx__dec_names, and picks each layer's mixer and feed-forward kind in kinds(). */
enum { SMX__K_NONE, SMX__K_ATTN, SMX__K_MLP, SMX__K_MOE, SMX__K_MAMBA, SMX__K_MAMBA2, SMX__K_SCONV };

typedef struct smx__dec_names {
    const char *embed, *head, *final_norm;  /* full tensor names */
    const char *layer;                      /* prefix of layer l, with %d: "model.layers.%d." */
    const char *mix_norm, *ffn_norm;        /* norm weights under the layer: "input_layernorm" */
    const char *attn, *ssm, *conv, *ffn;    /* module prefixes under the layer: "self_attn." */
    const char *q, *k, *v, *o, *qn, *kn;    /* attention projections; q/k norms (NULL: none) */
    const char *gate, *up, *down;           /* feed-forward projections (gate NULL: not gated) */
    const char *router;                     /* MoE router module */
} smx__dec_names;

typedef struct smx__dec {
    int V, d, L, tied, ff, act, mlp_bias;
    float eps;
    smx__attn_cfg at;
    smx__mamba_cfg mb;
    smx__mamba2_cfg m2;
    smx__moe_cfg moe;
    smx__sconv_cfg sc;
    const smx__dec_names *nm;
    void (*kinds)(smx__loader *ld, const struct smx__dec *c, int l, int *mixer, int *ffn);
    const void *fam;                        /* the family's own data for kinds() */
} smx__dec;

static smx__op *smx__dec_op(smx__loader *ld, const smx__dec *c, int kind, const char *layer)
{
    const smx__dec_names *nm = c->nm;
    char p[320];
    switch (kind) {
    case SMX__K_ATTN:
        snprintf(p, sizeof p, "%s%s", layer, nm->attn);
        return smx__attn_load(ld, &c->at, p, nm->q, nm->k, nm->v, nm->o, nm->qn, nm->kn);
    case SMX__K_MAMBA: snprintf(p, sizeof p, "%s%s", layer, nm->ssm); return smx__mamba_load(ld, &c->mb, p);
    case SMX__K_MAMBA2: snprintf(p, sizeof p, "%s%s", layer, nm->ssm); return smx__mamba2_load(ld, &c->m2, p);
    case SMX__K_SCONV: snprintf(p, sizeof p, "%s%s", layer, nm->conv); return smx__sconv_load(ld, &c->sc, p);
    case SMX__K_MLP:
        snprintf(p, sizeof p, "%s%s", layer, nm->ffn);
        return smx__mlp_load(ld, c->d, c->ff, c->act, c->mlp_bias, p, nm->gate, nm->up, nm->down);
    case SMX__K_MOE: snprintf(p, sizeof p, "%s%s", layer, nm->ffn); return smx__moe_load(ld, &c->moe, p, nm->router);
    }
    smx__ld_fail(ld, SMX_E_UNSUPPORTED, "layer kind %d is not built in", kind);
    return NULL;
}

static smx_status smx__dec_build(smx__loader *ld, const smx__dec *c)
{
    const smx__dec_names *nm = c->nm;
    char p[256];
    int l;
    if (ld->st || !smx__ld_layers_ok(ld, c->L, "the layer count")) return ld->st;
    smx__load_embed_head(ld, c->V, c->d, nm->embed, nm->head, c->tied);
    ld->m->n_blocks = c->L;
    for (l = 0; l < c->L && !ld->st; l++) {
        int mixer = SMX__K_ATTN, ffn = SMX__K_MLP;
        c->kinds(ld, c, l, &mixer, &ffn);
        snprintf(p, sizeof p, nm->layer, l);
        if (mixer != SMX__K_NONE)
            smx__add_sub(ld, SMX__NORM_RMS, c->eps, SMX__W1(ld, c->d, "%s%s.weight", p, nm->mix_norm), NULL, smx__dec_op(ld, c, mixer, p), 1);
        if (ffn != SMX__K_NONE)
            smx__add_sub(ld, SMX__NORM_RMS, c->eps, SMX__W1(ld, c->d, "%s%s.weight", p, nm->ffn_norm), NULL, smx__dec_op(ld, c, ffn, p), 1);
    }
    smx__set_final_norm(ld, SMX__NORM_RMS, c->eps, SMX__W1(ld, c->d, "%s", nm->final_norm));
    return ld->st;
}

/* Every layer: attention, then the MLP. */
static void smx__kinds_attn_mlp(smx__loader *ld, const smx__dec *c, int l, int *mixer, int *ffn)
{
    (void)ld; (void)c; (void)l;
    *mixer = SMX__K_ATTN;
    *ffn = SMX__K_MLP;
}

/* Keys of the attention settings of transformers' Llama-style configs. */
static const smx__attn_keys smx__attn_keys_hf = { "num_attention_heads", 0, "num_key_value_heads", 0, "head_dim", NULL, 10000.0, 1.0, 0 };

/* ---- II.7.b Llama (LlamaForCausalLM) ---- */
static smx_status smx__build_llama(smx__loader *ld)
{
    static const smx__dec_names nm = {
        "model.embed_tokens.weight", "lm_head.weight", "model.norm.weight", "model.layers.%d.", "input_layernorm",
        "post_attention_layernorm", "self_attn.", NULL, NULL, "mlp.", "q_proj", "k_proj", "v_proj", "o_proj", NULL, NULL,
        "gate_proj", "up_proj", "down_proj", NULL
    };
    smx__dec c;
    memset(&c, 0, sizeof c);
    c.V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    c.d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    c.L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    c.ff = smx__ci_pos(ld, NULL, "intermediate_size", 0);
    c.eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-6);
    c.tied = smx__cb(ld, NULL, "tie_word_embeddings", 0);
    c.mlp_bias = smx__cb(ld, NULL, "mlp_bias", 0);
    c.act = smx__cfg_act(ld, NULL, "hidden_act", "silu");
    smx__attn_read(ld, NULL, c.d, &smx__attn_keys_hf, &c.at);
    c.at.bias = c.at.o_bias = smx__cb(ld, NULL, "attention_bias", 0);
    ld->m->max_ctx = smx__cfg_ctx(ld, "max_position_embeddings");
    c.nm = &nm;
    c.kinds = smx__kinds_attn_mlp;
    return smx__dec_build(ld, &c);
}

static const smx__family smx__fam_llama = { "Llama", { "LlamaForCausalLM" }, { "llama" }, smx__build_llama, "AF" };

/* ---- II.7.c LLaDA (LLaDAModelLM): the Llama network under OLMo names, attending bidirectionally ---- */
static smx_status smx__build_llada(smx__loader *ld)
{
    static const smx__dec_names nm = {
        "model.transformer.wte.weight", "model.transformer.ff_out.weight", "model.transformer.ln_f.weight",
        "model.transformer.blocks.%d.", "attn_norm", "ff_norm", "", NULL, NULL, "", "q_proj", "k_proj", "v_proj", "attn_out",
        NULL, NULL, "ff_proj", "up_proj", "ff_out", NULL
    };
    static const smx__attn_keys keys = { "n_heads", 0, "n_kv_heads", 0, NULL, NULL, 10000.0, 1.0, 0 };
    smx__dec c;
    int emb;
    const char *s;
    memset(&c, 0, sizeof c);
    c.V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    emb = smx__ci(ld, NULL, "embedding_size", c.V);
    c.d = smx__ci_pos(ld, NULL, "d_model", 0);
    c.L = smx__ci_pos(ld, NULL, "n_layers", 0);
    c.ff = smx__ci(ld, NULL, "mlp_hidden_size", 0);
    if (c.ff <= 0) c.ff = smx__cfg_scaled(ld, NULL, "mlp_ratio", 4.0, c.d);
    c.eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-5);
    c.tied = smx__cb(ld, NULL, "weight_tying", 0);
    c.act = smx__cfg_act(ld, NULL, "activation_type", "silu");
    c.mlp_bias = smx__cb(ld, NULL, "include_bias", 0);
    smx__attn_read(ld, NULL, c.d, &keys, &c.at);
    c.at.causal = 0;
    c.at.bias = c.mlp_bias || smx__cb(ld, NULL, "include_qkv_bias", 0);
    c.at.o_bias = c.mlp_bias;
    s = smx__cs(ld, NULL, "block_type", "llama");
    smx__ld_check(ld, !strcmp(s, "llama"), SMX_E_UNSUPPORTED, "config.json: LLaDA block_type '%s' is not supported (llama)", s);
    s = smx__cs(ld, NULL, "layer_norm_type", "rms");
    smx__ld_check(ld, !strcmp(s, "rms"), SMX_E_UNSUPPORTED, "config.json: LLaDA layer_norm_type '%s' is not supported (rms)", s);
    smx__ld_check(ld, !smx__cb(ld, NULL, "alibi", 0), SMX_E_UNSUPPORTED, "config.json: ALiBi is not supported");
    smx__ld_check(ld, emb >= c.V, SMX_E_RANGE, "config.json: embedding_size %d is smaller than vocab_size %d", emb, c.V);
    c.V = emb;      /* the embedding (and the logits) have embedding_size rows */
    ld->m->max_ctx = smx__cfg_ctx(ld, "max_sequence_length");
    ld->m->mask_token = smx__ci(ld, NULL, "mask_token_id", 126336);
    ld->m->causal = 0;
    c.nm = &nm;
    c.kinds = smx__kinds_attn_mlp;
    return smx__dec_build(ld, &c);
}

static const smx__family smx__fam_llada = { "LLaDA", { "LLaDAModelLM" }, { "llada" }, smx__build_llada, "BF" };

/* ---- II.7.d Mamba (MambaForCausalLM) and Mamba-2 (Mamba2ForCausalLM) ----
 * backbone.embeddings -> layers [norm -> mixer] -> norm_f -> lm_head. Original mamba_ssm
 * checkpoints name the embedding "backbone.embedding.weight" (transformers renames it on load);
 * the vocabulary is the embedding's row count (it may be padded past vocab_size). */
static void smx__kinds_mamba(smx__loader *ld, const smx__dec *c, int l, int *mixer, int *ffn)
{
    (void)ld; (void)l;
    *mixer = c->fam ? SMX__K_MAMBA2 : SMX__K_MAMBA;
    *ffn = SMX__K_NONE;
}

static smx_status smx__build_ssm(smx__loader *ld, int v2)
{
    smx__dec_names nm;
    smx__dec c;
    int64_t sh[8];
    memset(&nm, 0, sizeof nm);
    memset(&c, 0, sizeof c);
    nm.embed = "backbone.embeddings.weight"; nm.head = "lm_head.weight"; nm.final_norm = "backbone.norm_f.weight";
    nm.layer = "backbone.layers.%d."; nm.mix_norm = "norm"; nm.ssm = "mixer.";
    if (smx__tensor_shape(ld, sh, "%s", nm.embed) < 0 && smx__tensor_shape(ld, sh, "backbone.embedding.weight") >= 0)
        nm.embed = "backbone.embedding.weight";
    c.d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    c.L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    c.V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    if (smx__tensor_shape(ld, sh, "%s", nm.embed) == 2 && sh[1] == c.d && sh[0] >= c.V && sh[0] < INT_MAX) c.V = (int)sh[0];
    c.eps = (float)smx__cf(ld, NULL, "layer_norm_epsilon", 1e-5);
    c.tied = smx__cb(ld, NULL, "tie_word_embeddings", !v2);
    if (v2) smx__mamba2_read(ld, NULL, c.d, &smx__mamba2_keys_hf, &c.m2);
    else smx__mamba_read(ld, NULL, c.d, &smx__mamba_keys_hf, "backbone.layers.0.mixer.in_proj.weight", &c.mb);
    c.nm = &nm;
    c.kinds = smx__kinds_mamba;
    c.fam = v2 ? &c : NULL;
    return smx__dec_build(ld, &c);
}

static smx_status smx__build_mamba(smx__loader *ld) { return smx__build_ssm(ld, 0); }
static smx_status smx__build_mamba2(smx__loader *ld) { return smx__build_ssm(ld, 1); }

static const smx__family smx__fam_mamba = { "Mamba", { "MambaForCausalLM" }, { "mamba" }, smx__build_mamba, "M" };
static const smx__family smx__fam_mamba2 = { "Mamba-2", { "Mamba2ForCausalLM" }, { "mamba2" }, smx__build_mamba2, "2" };

/* ---- II.7.e Jamba (JambaForCausalLM) ----
 * Layer i: attention (no positional encoding) if i % attn_layer_period == attn_layer_offset,
 * else a Mamba mixer with dt/B/C RMSNorms; then an MoE feed-forward if
 * i % expert_layer_period == expert_layer_offset (and more than one expert), else a SwiGLU MLP. */
typedef struct smx__jamba { int ap, ao, ep, eo; } smx__jamba;

static void smx__kinds_jamba(smx__loader *ld, const smx__dec *c, int l, int *mixer, int *ffn)
{
    const smx__jamba *j = (const smx__jamba *)c->fam;
    (void)ld;
    *mixer = l % j->ap == j->ao ? SMX__K_ATTN : SMX__K_MAMBA;
    *ffn = (l % j->ep == j->eo && c->moe.n_experts > 1) ? SMX__K_MOE : SMX__K_MLP;
}

/* Embedding, layers of model.layers.%d with input_layernorm / pre_ff_layernorm, final_layernorm:
 * the names Jamba and Bamba share. */
static const smx__dec_names smx__names_jamba = {
    "model.embed_tokens.weight", "lm_head.weight", "model.final_layernorm.weight", "model.layers.%d.", "input_layernorm",
    "pre_ff_layernorm", "self_attn.", "mamba.", NULL, "feed_forward.", "q_proj", "k_proj", "v_proj", "o_proj", NULL, NULL,
    "gate_proj", "up_proj", "down_proj", "router"
};

static smx_status smx__build_jamba(smx__loader *ld)
{
    static const smx__attn_keys keys = { "num_attention_heads", 32, "num_key_value_heads", 0, NULL, NULL, 0.0, 1.0, 0 };
    smx__jamba j;
    smx__dec c;
    memset(&c, 0, sizeof c);
    c.V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    c.d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    c.L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    c.ff = smx__ci_pos(ld, NULL, "intermediate_size", 0);
    c.act = smx__cfg_act(ld, NULL, "hidden_act", "silu");
    c.eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-6);
    c.tied = smx__cb(ld, NULL, "tie_word_embeddings", 0);
    j.ap = smx__ci_pos(ld, NULL, "attn_layer_period", 8);
    j.ao = smx__ci(ld, NULL, "attn_layer_offset", 4);
    j.ep = smx__ci_pos(ld, NULL, "expert_layer_period", 2);
    j.eo = smx__ci(ld, NULL, "expert_layer_offset", 1);
    smx__ld_check(ld, j.ao >= 0 && j.ao < j.ap, SMX_E_RANGE, "config.json: attn_layer_offset %d must lie in [0, attn_layer_period %d)",
                  j.ao, j.ap);
    smx__ld_check(ld, j.eo >= 0 && j.eo < j.ep, SMX_E_RANGE,
                  "config.json: expert_layer_offset %d must lie in [0, expert_layer_period %d)", j.eo, j.ep);
    smx__attn_read(ld, NULL, c.d, &keys, &c.at);   /* no positional encoding */
    smx__ld_check(ld, c.at.hd * c.at.nh == c.d, SMX_E_RANGE, "config.json: hidden_size %d is not a multiple of %d heads", c.d, c.at.nh);
    smx__mamba_read(ld, NULL, c.d, &smx__mamba_keys_jamba, NULL, &c.mb);
    c.mb.bcdt_norm = 1;
    c.mb.norm_eps = c.eps;
    c.moe.d = c.d;
    c.moe.ff = c.ff;
    c.moe.n_experts = smx__ci_pos(ld, NULL, "num_experts", smx__ci_pos(ld, NULL, "num_local_experts", 16));
    c.moe.top_k = smx__ci_pos(ld, NULL, "num_experts_per_tok", 2);
    c.moe.act = c.act;
    ld->m->max_ctx = smx__cfg_ctx(ld, "max_position_embeddings");
    c.nm = &smx__names_jamba;
    c.kinds = smx__kinds_jamba;
    c.fam = &j;
    return smx__dec_build(ld, &c);
}

static const smx__family smx__fam_jamba = { "Jamba", { "JambaForCausalLM" }, { "jamba" }, smx__build_jamba, "AMFE" };

/* ---- II.7.f Bamba (BambaForCausalLM) ----
 * Layer i: attention with partial RoPE if i is in attn_layer_indices, else a Mamba-2 mixer;
 * then a SwiGLU MLP. The reference's Bamba mixer clamps dt to its fixed (0, inf) limit (it does
 * not read time_step_limit from the config), and so does this one. */
static void smx__kinds_layer_list(smx__loader *ld, const smx__dec *c, int l, int *mixer, int *ffn)
{
    const smx__jv *e, *ai = (const smx__jv *)c->fam;
    (void)ld;
    *mixer = SMX__K_MAMBA2;
    *ffn = SMX__K_MLP;
    for (e = ai ? ai->child : NULL; e; e = e->next)
        if (e->type == SMX__J_NUM && e->num == (double)l) *mixer = SMX__K_ATTN;
}

static smx_status smx__build_bamba(smx__loader *ld)
{
    static const smx__attn_keys keys = { "num_attention_heads", 32, "num_key_value_heads", 0, "head_dim", NULL, 10000.0, 0.5, 0 };
    smx__dec c;
    const smx__jv *ai;
    memset(&c, 0, sizeof c);
    c.V = smx__ci_pos(ld, NULL, "vocab_size", 0);
    c.d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    c.L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    c.ff = smx__ci_pos(ld, NULL, "intermediate_size", 0);
    c.act = smx__cfg_act(ld, NULL, "hidden_act", "silu");
    c.eps = (float)smx__cf(ld, NULL, "rms_norm_eps", 1e-5);
    c.mlp_bias = smx__cb(ld, NULL, "mlp_bias", 0);
    c.tied = smx__cb(ld, NULL, "tie_word_embeddings", 0);
    ai = smx__cfg_get(ld, NULL, "attn_layer_indices");
    smx__ld_check(ld, !ai || ai->type == SMX__J_ARR, SMX_E_FORMAT, "config.json: field 'attn_layer_indices' must be an array");
    smx__attn_read(ld, NULL, c.d, &keys, &c.at);
    c.at.bias = c.at.o_bias = smx__cb(ld, NULL, "attention_bias", 0);
    smx__mamba2_read(ld, NULL, c.d, &smx__mamba2_keys_hybrid, &c.m2);
    ld->m->max_ctx = smx__cfg_ctx(ld, "max_position_embeddings");
    c.nm = &smx__names_jamba;
    c.kinds = smx__kinds_layer_list;
    c.fam = ai;
    return smx__dec_build(ld, &c);
}

static const smx__family smx__fam_bamba = { "Bamba", { "BambaForCausalLM" }, { "bamba" }, smx__build_bamba, "A2F" };

/* ---- II.7.g LFM2 (Lfm2ForCausalLM): short convolutions and attention with q/k norms ---- */

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
            I = smx__cfg_scaled(ld, NULL, "block_ffn_dim_multiplier", 1.0, I);
            I = (int)SMX__MIN((int64_t)mo * ((I + (int64_t)mo - 1) / mo), INT_MAX / 2);
        }
    }
    smx__ld_check(ld, I > 0, SMX_E_RANGE, "config.json: the feed-forward width works out to %d", I);
    return I;
}

/* layer_types ("full_attention" / "conv" per layer) or full_attn_idxs (the attention layers). */
static void smx__kinds_lfm2(smx__loader *ld, const smx__dec *c, int l, int *mixer, int *ffn)
{
    const smx__jv *lt = smx__cfg_get(ld, NULL, "layer_types"), *fa = smx__cfg_get(ld, NULL, "full_attn_idxs"), *e;
    (void)c;
    *ffn = SMX__K_MLP;
    *mixer = SMX__K_ATTN;
    if (lt) {
        e = smx__jat(lt, l);
        if (smx__ld_check(ld, e && e->type == SMX__J_STR && (!strcmp(e->str, "full_attention") || !strcmp(e->str, "conv")),
                          SMX_E_UNSUPPORTED, "config.json: layer_types[%d] must be \"full_attention\" or \"conv\"", l))
            *mixer = !strcmp(e->str, "full_attention") ? SMX__K_ATTN : SMX__K_SCONV;
    } else if (fa) {
        *mixer = SMX__K_SCONV;
        for (e = fa->child; e; e = e->next)
            if (e->type == SMX__J_NUM && e->num == (double)l) *mixer = SMX__K_ATTN;
    }
}

static smx_status smx__build_lfm2(smx__loader *ld)
{
    static const smx__dec_names nm = {
        "model.embed_tokens.weight", "lm_head.weight", "model.embedding_norm.weight", "model.layers.%d.", "operator_norm", "ffn_norm",
        "self_attn.", NULL, "conv.", "feed_forward.", "q_proj", "k_proj", "v_proj", "out_proj", "q_layernorm", "k_layernorm",
        "w1", "w3", "w2", NULL
    };
    smx__attn_keys keys = { "num_attention_heads", 0, "num_key_value_heads", 8, "head_dim", NULL, 1e6, 1.0, 0 };
    const smx__jv *lt = smx__cfg_get(ld, NULL, "layer_types"), *fa = smx__cfg_get(ld, NULL, "full_attn_idxs");
    smx__dec c;
    memset(&c, 0, sizeof c);
    c.V = smx__ci_pos(ld, NULL, "vocab_size", 65536);
    c.d = smx__ci_pos(ld, NULL, "hidden_size", 0);
    c.L = smx__ci_pos(ld, NULL, "num_hidden_layers", 0);
    c.eps = (float)smx__cf(ld, NULL, "norm_eps", 1e-5);
    c.tied = smx__cb(ld, NULL, "tie_embedding", smx__cb(ld, NULL, "tie_word_embeddings", 1));
    c.ff = smx__lfm2_ff(ld);
    c.act = SMX__ACT_SILU;
    keys.theta_def = smx__cf(ld, NULL, "theta", 1e6);
    smx__attn_read(ld, NULL, c.d, &keys, &c.at);
    c.at.qk_norm = 1;
    c.at.qk_eps = c.eps;
    c.sc.d = c.d;
    c.sc.L = smx__ci_pos(ld, NULL, "conv_L_cache", 3);
    c.sc.bias = smx__cb(ld, NULL, "conv_bias", 0);
    if (lt) smx__ld_check(ld, lt->type == SMX__J_ARR && lt->n == c.L, SMX_E_FORMAT,
                          "config.json: 'layer_types' must list one type per layer (%d)", c.L);
    else if (fa) smx__ld_check(ld, fa->type == SMX__J_ARR, SMX_E_FORMAT, "config.json: 'full_attn_idxs' must be a list");
    ld->m->max_ctx = smx__cfg_ctx(ld, "max_position_embeddings");
    c.nm = &nm;
    c.kinds = smx__kinds_lfm2;
    return smx__dec_build(ld, &c);
}

static const smx__family smx__fam_lfm2 = { "LFM2", { "Lfm2ForCausalLM" }, { "lfm2" }, smx__build_lfm2, "ACF" };

/* ---- II.7.h xLSTM ----
 *   xLSTMForCausalLM (model_type "xlstm", transformers' native path): per block
 *       h += mLSTM(RMSNorm(h)),  h += SwiGLU(RMSNorm(h));  final RMSNorm;  logits = cap * tanh(logits / cap).
 *   xLSTMLMModel (model_type "xlstm_lm", NX-AI xlstm): mLSTM blocks  h += mLSTM_lm(LN(h))  and sLSTM blocks
 *       h += sLSTM(LN(h)),  h += GatedFFN(LN(h)),  placed by slstm_at; every LayerNorm uses weight 1 + w. */

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
    ld->m->n_blocks = L;
    if (!smx__ld_layers_ok(ld, L, "num_blocks")) return ld->st;
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
            ld->m->head_b = smx__xl_fold(ld, &ld->m->head, NULL, SMX__W1(ld, d, "backbone.out_norm.bias"));
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
    if (!smx__ld_layers_ok(ld, nb, "num_blocks")) return ld->st;
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
    ld->m->n_blocks = nb;
    if (!smx__ld_layers_ok(ld, nb, "num_blocks")) return ld->st;
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

static const smx__family smx__fam_xlstm = { "xLSTM", { "xLSTMForCausalLM" }, { "xlstm" }, smx__build_xlstm, "XF" };
static const smx__family smx__fam_xlstm_lm = { "xLSTM LM", { "xLSTMLMModel" }, { "xlstm_lm" }, smx__build_xlstm_lm, "YSF" };


/* ---- II.7.i ncps liquid feature models: CfC, wired CfC, LTC ----
 * config.json holds the constructor arguments (model_type cfc, wired_cfc or ltc) and
 * model.safetensors the module's state_dict(). The models take feature vectors: input
 * [T, input_size] with elapsed times, output [T, output], one sub-layer (no norm, no residual)
 * whose state starts with h [units], then c [units] with mixed memory. */

/* A feature model around one liquid operator. */
static void smx__liquid_model(smx__loader *ld, smx__op *op, int in, int units)
{
    smx_model *m = ld->m;
    m->kind = SMX_KIND_FEATURES;
    m->d_in = in;
    m->d = units;
    m->n_blocks = 1;
    smx__add_sub(ld, SMX__NORM_NONE, 0.0f, NULL, NULL, op, 0);
}

/* Shared CfC keys: mode, proj_size, mixed_memory. */
static void smx__cfc_common(smx__loader *ld, smx__cfc_cfg *c)
{
    c->in = smx__ci_pos(ld, NULL, "input_size", 0);
    c->proj = smx__ci(ld, NULL, "proj_size", 0);
    c->mixed = smx__cb(ld, NULL, "mixed_memory", 0);
    c->mode = smx__cfc_mode(ld, NULL);
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
    if (ld->st) return ld->st;
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

static const smx__family smx__fam_cfc = { "CfC", { "CfC" }, { "cfc" }, smx__build_cfc, "L" };
static const smx__family smx__fam_wired_cfc = { "wired CfC", { "WiredCfC" }, { "wired_cfc" }, smx__build_wired_cfc, "L" };
static const smx__family smx__fam_ltc = { "LTC", { "LTC" }, { "ltc" }, smx__build_ltc, "T" };

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


/* ---- II.7.k Hybrid stacks (model_type "seqmix") and the builder ----
 * config.json: {"model_type": "seqmix", "vocab_size": V, "hidden_size": d, "norm_eps": 1e-5,
 *               "tie_word_embeddings": bool, "max_position_embeddings": n,
 *               "layers": [{"type": "mamba2", ...settings...}, {"type": "mlp", ...}, ...]}
 * tensors:     model.embed_tokens.weight, model.layers.L.norm.weight, model.layers.L.mixer.*
 *              (the operator's own names), model.norm.weight, lm_head.weight (untied).
 * Each layer is pre-norm (RMSNorm) with a residual add. The layer types are SMX_LAYER_TYPES of
 * Part I; each operator section provides its reader (smx__lt_*) and writer (smx__ltj_*). */
typedef struct smx__layer_type {
    const char *name;
    char letter;
    const char *doc;
    smx__op *(*load)(smx__loader *ld, const smx__jv *o, int d, const char *prefix);
    void (*json)(smx__sb *b, const smx_layer_cfg *c, int d);
} smx__layer_type;

static const smx__layer_type smx__layer_types[SMX_OP_COUNT] = {
#define SMX__LT_ROW(ID, id, letter, doc) { #id, letter, doc, smx__lt_##id, smx__ltj_##id },
    SMX_LAYER_TYPES(SMX__LT_ROW)
#undef SMX__LT_ROW
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
    ld->m->max_ctx = smx__cfg_ctx(ld, "max_position_embeddings");
    ld->m->n_blocks = layers->n;
    if (!smx__ld_layers_ok(ld, layers->n, "the length of layers")) return ld->st;
    for (o = layers->child; o && !ld->st; o = o->next, l++) {
        const char *type = o->type == SMX__J_OBJ ? smx__cs(ld, o, "type", "") : "";
        const smx__layer_type *lt = NULL;
        for (k = 0; k < SMX_OP_COUNT; k++)
            if (!strcmp(type, smx__layer_types[k].name)) lt = &smx__layer_types[k];
        if (!smx__ld_check(ld, lt != NULL, SMX_E_UNSUPPORTED, "config.json: layer %d has unknown type '%s'", l, type)) break;
        snprintf(pre, sizeof pre, "model.layers.%d.mixer.", l);
        smx__add_sub(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "model.layers.%d.norm.weight", l), NULL, lt->load(ld, o, d, pre), 1);
    }
    smx__set_final_norm(ld, SMX__NORM_RMS, eps, SMX__W1(ld, d, "model.norm.weight"));
    return ld->st;
}

static const smx__family smx__fam_seqmix = { "seqmix stack", { "SeqmixForCausalLM" }, { "seqmix" }, smx__build_seqmix, "" };

/* The builder collects layers, writes the config, and builds through smx_model_from_config. */
#define SMX__BUILDER_MAX_LAYERS 65536

struct smx_builder {
    int vocab, width, tied, max_ctx, ffn;
    smx_layer_cfg ffn_cfg;
    int n, cap;
    smx_op_type *type;
    smx_layer_cfg *cfg;
    char *json;
    char err[256];
};

static smx_status smx__bfail(smx_builder *b, smx_status st, const char *fmt, ...)
{
    va_list ap;
    if (!b) return st;   /* smx_builder_error(NULL) says the builder is NULL */
    va_start(ap, fmt);
    vsnprintf(b->err, sizeof b->err, fmt, ap);
    va_end(ap);
    return st;
}

SMX_API const char *smx_builder_error(const smx_builder *b) { return b ? b->err : "the builder is NULL"; }

SMX_API smx_status smx_builder_new(int vocab, int width, smx_builder **out, smx_error *err)
{
    smx_builder *b;
    smx__ok(err);
    if (!out) return smx__fail(err, SMX_E_ARG, "smx_builder_new: out must not be NULL");
    *out = NULL;
    if (vocab <= 0 || width <= 0 || vocab > (1 << 24) || width > (1 << 16))
        return smx__fail(err, SMX_E_ARG, "smx_builder_new: vocab %d and width %d must be in [1, 2^24] and [1, 65536]", vocab, width);
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

SMX_API smx_status smx_builder_set_ffn(smx_builder *b, int ffn, const smx_layer_cfg *cfg)
{
    if (!b) return smx__bfail(b, SMX_E_ARG, "builder is NULL");
    if (ffn != -1 && ffn != SMX_OP_MLP && ffn != SMX_OP_MOE)
        return smx__bfail(b, SMX_E_ARG, "smx_builder_set_ffn: %d is not SMX_OP_MLP, SMX_OP_MOE or -1", ffn);
    b->ffn = ffn;
    if (cfg) b->ffn_cfg = *cfg;
    else memset(&b->ffn_cfg, 0, sizeof b->ffn_cfg);
    return SMX_OK;
}

SMX_API void smx_builder_set_tied(smx_builder *b, int tied) { if (b) b->tied = tied != 0; }

SMX_API smx_status smx_builder_set_max_context(smx_builder *b, int n)
{
    if (!b) return smx__bfail(b, SMX_E_ARG, "builder is NULL");
    if (n <= 0) return smx__bfail(b, SMX_E_ARG, "smx_builder_set_max_context: %d must be positive", n);
    b->max_ctx = n;
    return SMX_OK;
}

SMX_API smx_status smx_builder_add(smx_builder *b, smx_op_type type, const smx_layer_cfg *cfg)
{
    if (!b) return smx__bfail(b, SMX_E_ARG, "builder is NULL");
    if ((int)type < 0 || type >= SMX_OP_COUNT) return smx__bfail(b, SMX_E_ARG, "smx_builder_add: %d is not a layer type", (int)type);
    if (b->n >= SMX__BUILDER_MAX_LAYERS)
        return smx__bfail(b, SMX_E_CAPACITY, "smx_builder_add: a stack holds at most %d layers", SMX__BUILDER_MAX_LAYERS);
    if (b->n == b->cap) {
        int nc = b->cap ? 2 * b->cap : 16;
        smx_op_type *t = (smx_op_type *)SMX_REALLOC(b->type, sizeof *t * (size_t)nc);
        smx_layer_cfg *c;
        if (!t) return smx__bfail(b, SMX_E_NOMEM, "smx_builder_add: out of memory");
        b->type = t;
        c = (smx_layer_cfg *)SMX_REALLOC(b->cfg, sizeof *c * (size_t)nc);
        if (!c) return smx__bfail(b, SMX_E_NOMEM, "smx_builder_add: out of memory");
        b->cfg = c;
        b->cap = nc;
    }
    b->type[b->n] = type;
    if (cfg) b->cfg[b->n] = *cfg;
    else memset(&b->cfg[b->n], 0, sizeof b->cfg[b->n]);
    b->n++;
    return SMX_OK;
}

/* pattern := item*, item := letter | '(' pattern ')' ('x' | '*') count; p0 is the pattern's start
 * (for the offsets in messages). */
static smx_status smx__builder_parse(smx_builder *b, const char *p0, const char **p, int depth, const smx_layer_cfg *cfg)
{
    while (**p && **p != ')') {
        char c = **p;
        smx_status st;
        if (c == ' ' || c == ',' || c == '\t') { (*p)++; continue; }
        if (c == '(') {
            const char *start, *open = *p;
            char *end;
            long reps, r;
            if (depth >= 8) return smx__bfail(b, SMX_E_ARG, "pattern: groups nest deeper than 8 at offset %d", (int)(*p - p0));
            (*p)++;
            start = *p;
            if ((st = smx__builder_parse(b, p0, p, depth + 1, cfg)) != SMX_OK) return st;
            if (**p != ')') return smx__bfail(b, SMX_E_ARG, "pattern: '(' at offset %d is never closed", (int)(open - p0));
            (*p)++;
            if (**p != 'x' && **p != '*')
                return smx__bfail(b, SMX_E_ARG, "pattern: 'x' and a count expected after ')' at offset %d", (int)(*p - p0));
            (*p)++;
            reps = strtol(*p, &end, 10);
            if (end == *p || reps < 1 || reps > 4096)
                return smx__bfail(b, SMX_E_ARG, "pattern: repeat count at offset %d must be in [1, 4096]", (int)(*p - p0));
            *p = end;
            for (r = 1; r < reps; r++) {   /* the group was added once while parsing */
                const char *q = start;
                if ((st = smx__builder_parse(b, p0, &q, depth + 1, cfg)) != SMX_OK) return st;
            }
        } else {
            int k, found = -1;
            for (k = 0; k < SMX_OP_COUNT; k++)
                if (smx__layer_types[k].letter == c) found = k;
            if (found < 0) return smx__bfail(b, SMX_E_ARG, "pattern: '%c' at offset %d is not a layer letter", c, (int)(*p - p0));
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
    if (!b) return smx__bfail(b, SMX_E_ARG, "builder is NULL");
    if (!pattern) return smx__bfail(b, SMX_E_ARG, "smx_builder_pattern: pattern is NULL");
    n0 = b->n;
    st = smx__builder_parse(b, pattern, &p, 0, cfg);
    if (st == SMX_OK && *p) st = smx__bfail(b, SMX_E_ARG, "pattern: ')' at offset %d has no '('", (int)(p - pattern));
    if (st != SMX_OK) b->n = n0;              /* all or nothing */
    return st;
}

SMX_API const char *smx_builder_config(smx_builder *b)
{
    smx__sb s;
    int i;
    if (!b) return NULL;
    memset(&s, 0, sizeof s);
    smx__sb_printf(&s, "{\n  \"architectures\": [\"SeqmixForCausalLM\"],\n  \"model_type\": \"seqmix\",\n  \"vocab_size\": %d,\n"
                       "  \"hidden_size\": %d,\n  \"norm_eps\": 1e-05,\n  \"tie_word_embeddings\": %s,\n"
                       "  \"max_position_embeddings\": %d,\n  \"layers\": [",
                   b->vocab, b->width, b->tied ? "true" : "false", b->max_ctx);
    for (i = 0; i < b->n; i++) {
        const smx__layer_type *lt = &smx__layer_types[b->type[i]];
        smx__sb_printf(&s, "%s\n    {\"type\": \"%s\"", i ? "," : "", lt->name);
        lt->json(&s, &b->cfg[i], b->width);
        smx__sb_printf(&s, "}");
    }
    smx__sb_printf(&s, "\n  ]\n}\n");
    SMX_FREE(b->json);
    b->json = s.failed ? NULL : s.s;
    if (s.failed) {
        SMX_FREE(s.s);
        smx__bfail(b, SMX_E_NOMEM, "smx_builder_config: out of memory");
    }
    return b->json;
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

/* Every family this build loads; architectures[0] is matched first, then model_type. */
static const smx__family *const smx__families[] = {
    &smx__fam_llama,
    &smx__fam_llada,
    &smx__fam_mamba,
    &smx__fam_mamba2,
    &smx__fam_jamba,
    &smx__fam_bamba,
    &smx__fam_xlstm,
    &smx__fam_xlstm_lm,
    &smx__fam_lfm2,
    &smx__fam_cfc,
    &smx__fam_wired_cfc,
    &smx__fam_ltc,
    &smx__fam_seqmix,
};
#define SMX__N_FAMILIES (int)(sizeof smx__families / sizeof smx__families[0])

/* Every operator type, for pattern legends. */
static const smx__op_vt *const smx__op_vts[] = {
    &smx__attn_vt, &smx__attn_bidir_vt, &smx__mlp_vt, &smx__moe_vt, &smx__mamba_vt, &smx__mamba2_vt, &smx__mlstm7_vt,
    &smx__mlstm_lm_vt, &smx__slstm_vt, &smx__sconv_vt, &smx__cfc_vt, &smx__ltc_vt,
};

SMX_API const char *smx_op_legend(void)
{
    return "A attention, B bidirectional attention, F feed-forward, E mixture of experts, M Mamba, 2 Mamba-2, "
           "X mLSTM (xLSTM-7B), Y mLSTM (xLSTM block), S sLSTM, C short conv, L CfC, T LTC";
}

static void smx__list_families(char *buf, size_t cap)
{
    int i, k;
    size_t o = 0;
    buf[0] = 0;
    for (i = 0; i < SMX__N_FAMILIES && o < cap; i++)
        for (k = 0; k < 4 && smx__families[i]->archs[k] && o < cap; k++)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s (%s)", o ? ", " : "", smx__families[i]->archs[k],
                                  smx__families[i]->model_types[k] ? smx__families[i]->model_types[k] : smx__families[i]->model_types[0]);
}

SMX_API char *smx_supported_architectures(char *buf, size_t cap)
{
    if (buf && cap) smx__list_families(buf, cap);
    return buf;
}

SMX_API void smx_model_free(smx_model *m)
{
    if (!m) return;
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
    else if (!m->head.data) m->d_out = w;
    return ld->st;
}

/* Weight type by name for smx_load_options.weights: -1 as stored, -2 unknown. */
static int smx__wtype_by_name(const char *name)
{
    int t;
    if (!name || !name[0] || !strcmp(name, "stored")) return -1;
    for (t = 0; t < SMX__WT_COUNT; t++)
        if (!strcmp(name, smx__wtypes[t].name)) return t;
    return -2;
}

/* "f32, f16, ..." into buf */
static void smx__list_wtypes(char *buf, size_t cap)
{
    int t;
    size_t o = (size_t)snprintf(buf, cap, "stored");
    for (t = 0; t < SMX__WT_COUNT && o < cap; t++) o += (size_t)snprintf(buf + o, cap - o, ", %s", smx__wtypes[t].name);
}

SMX_API void smx_load_default_options(smx_load_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->max_text_bytes = (size_t)64 << 20;
    o->max_layers = 65536;
    o->max_generated_bytes = (size_t)16 << 30;
}

/* Parse config text, pick the family and run its builder, reading weights from src or, when
 * src is NULL, generating them. */
static smx_status smx__model_make(const smx__src *src, const smx_load_options *opt, const char *text, size_t n, uint64_t seed,
                                  smx_model **out, smx_error *err)
{
    smx_model *m;
    smx__loader ld;
    char list[1024];
    const smx__jv *cfg, *archs;
    const char *arch = NULL, *mt = NULL;
    const smx__family *fam = NULL;
    smx_status st;
    int i, k, random = src == NULL;
    m = (smx_model *)SMX_MALLOC(sizeof *m);
    if (!m) return smx__fail(err, SMX_E_NOMEM, "out of memory");
    memset(m, 0, sizeof *m);
    m->causal = 1; m->mask_token = -1;
    memset(&ld, 0, sizeof ld);
    ld.dir = src ? src->dir : NULL; ld.ts = &m->ts; ld.m = m; ld.e = err; ld.fp = SMX__FNV_INIT; ld.random = random; ld.seed = seed;
    ld.max_layers = opt->max_layers > 0 ? opt->max_layers : 65536;
    ld.max_generated = opt->max_generated_bytes ? opt->max_generated_bytes : (size_t)16 << 30;
    ld.wtype = smx__wtype_by_name(opt->weights);
    if (ld.wtype == -2) {
        smx__list_wtypes(list, sizeof list);
        st = smx__fail(err, SMX_E_ARG, "weight type '%s' is not known (%s)", opt->weights, list);
        goto fail;
    }
    ld.fp = smx__fnv(ld.fp, text, n);
    /* config.json: strict JSON plus the Infinity / -Infinity that Python writes (NaN is refused) */
    if ((st = smx__json_parse(text, n, &m->arena, 2, "config.json", (smx__jv **)&cfg, err)) != SMX_OK) goto fail;
    if (cfg->type != SMX__J_OBJ) { st = smx__fail(err, SMX_E_FORMAT, "config.json: not a JSON object"); goto fail; }
    ld.cfg = cfg;
    archs = smx__jget(cfg, "architectures");
    if (archs && archs->type == SMX__J_ARR && archs->child && archs->child->type == SMX__J_STR) arch = archs->child->str;
    mt = smx__cs(&ld, NULL, "model_type", NULL);
    if ((st = ld.st) != SMX_OK) goto fail;
    for (i = 0; i < SMX__N_FAMILIES && !fam; i++)
        for (k = 0; k < 4 && arch && smx__families[i]->archs[k]; k++)
            if (!strcmp(arch, smx__families[i]->archs[k])) { fam = smx__families[i]; m->arch = fam->archs[k]; }
    for (i = 0; i < SMX__N_FAMILIES && !fam; i++)
        for (k = 0; k < 4 && mt && smx__families[i]->model_types[k]; k++)
            if (!strcmp(mt, smx__families[i]->model_types[k])) { fam = smx__families[i]; m->arch = fam->archs[0]; }
    if (!fam) {
        smx__list_families(list, sizeof list);
        st = smx__fail(err, SMX_E_UNSUPPORTED, "config.json: unknown architecture '%s' (model_type '%s'); supported: %s",
                       arch ? arch : "-", mt ? mt : "-", list);
        goto fail;
    }
    m->model_type = fam->model_types[0];
    for (k = 0; k < 4 && mt && fam->model_types[k]; k++)
        if (!strcmp(mt, fam->model_types[k])) m->model_type = fam->model_types[k];
    if (!random && (st = smx__st_open_dir(&m->ts, src, err)) != SMX_OK) goto fail;
    if ((st = fam->build(&ld)) != SMX_OK || (st = ld.st) != SMX_OK) goto fail;
    if ((st = smx__check_chain(&ld)) != SMX_OK) goto fail;
    for (i = 0; i < m->n_sub && i + 1 < (int)sizeof m->pattern; i++) m->pattern[i] = m->sub[i].op->vt->letter;
    m->fp = ld.fp;
    m->n_params = ld.n_params;
    m->weight_bytes = ld.weight_bytes;
    for (i = 0; i < m->ts.nfiles; i++)   /* keep only the files the weights point into */
        if (!m->ts.files[i].borrowed) smx__blob_close(&m->ts.files[i]);
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

SMX_API smx_status smx_model_load_ex(const char *path, const smx_load_options *opt, smx_model **out, smx_error *err)
{
    smx_load_options o;
    smx__src src;
    smx_error tmp;
    char *text = NULL;
    size_t n;
    smx_status st;
    if (!err) err = &tmp;
    smx__ok(err);
    if (out) *out = NULL;
    smx_load_default_options(&o);
    if (opt) {
        o = *opt;
        if (!o.max_text_bytes) o.max_text_bytes = (size_t)64 << 20;
    }
    if (!out || (!path && !o.files)) return smx__fail(err, SMX_E_ARG, "smx_model_load_ex: out and a path (or opt->files) are required");
    if (o.files && o.n_files <= 0) return smx__fail(err, SMX_E_ARG, "smx_model_load_ex: %d files given", o.n_files);
    memset(&src, 0, sizeof src);
    src.dir = path;
    src.files = o.files;
    src.nfiles = o.n_files;
    src.copy = o.copy;
    src.max_text = o.max_text_bytes;
    if ((st = smx__src_text(&src, "config.json", &text, &n, err)) != SMX_OK) return st;
    st = smx__model_make(&src, &o, text, n, 0, out, err);
    SMX_FREE(text);
    return st;
}

SMX_API smx_status smx_model_load(const char *dir, smx_model **out, smx_error *err)
{
    smx_error tmp;
    if (!err) err = &tmp;
    if (!dir) {
        smx__ok(err);
        if (out) *out = NULL;
        return smx__fail(err, SMX_E_ARG, "smx_model_load: dir and out must not be NULL");
    }
    return smx_model_load_ex(dir, NULL, out, err);
}

SMX_API smx_status smx_model_from_config(const char *config_json, uint64_t seed, smx_model **out, smx_error *err)
{
    smx_error tmp;
    if (!err) err = &tmp;
    smx__ok(err);
    if (out) *out = NULL;
    if (!config_json || !out) return smx__fail(err, SMX_E_ARG, "smx_model_from_config: config and out must not be NULL");
    {
        smx_load_options o;
        smx_load_default_options(&o);
        return smx__model_make(NULL, &o, config_json, strlen(config_json), seed, out, err);
    }
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

/* Weight bytes one decode step reads (see smx_model_info.step_weight_bytes). */
static size_t smx__model_step_bytes(const smx_model *m)
{
    size_t b = m->weight_bytes;
    int i;
    if (m->kind == SMX_KIND_TOKENS && m->embed.data && m->embed.data != m->head.data) b -= (size_t)(m->embed.rows - 1) * m->embed.rb;
    for (i = 0; i < m->n_sub; i++)
        if (m->sub[i].op->vt == &smx__moe_vt) {
            const smx__moe *e = (const smx__moe *)m->sub[i].op;
            b -= (size_t)(e->E - e->k) * (e->wg[0].rb * e->wg[0].rows + e->wu[0].rb * e->wu[0].rows + e->wd[0].rb * e->wd[0].rows);
        }
    return b;
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
    info->n_blocks = m->n_blocks;
    info->input_size = m->d_in;
    info->output_size = m->kind == SMX_KIND_TOKENS ? m->n_logits : m->d_out;
    info->causal = m->causal;
    info->max_context = m->max_ctx;
    info->n_params = m->n_params;
    info->weight_bytes = m->weight_bytes;
    info->step_weight_bytes = smx__model_step_bytes(m);
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
    smx__cx cx;                 /* threads of this session's calls */
    unsigned char *state;       /* all operators' state, one slice each */
    size_t *off;                /* [n_sub + 1] slice offsets */
    float *h, *xn, *y;          /* [batch, wmax] residual stream, normed input, operator output */
    float *last;                /* [d] final stream row of position last_pos - 1 (token models) */
    int last_pos;               /* 0: none held */
    float *scratch;
    char err[512];
};

/* Record a failure in s (a NULL session has nowhere to keep it: smx_session_error(NULL) says so). */
static smx_status smx__sfail(smx_session *s, smx_status st, const char *fmt, ...)
{
    va_list ap;
    if (!s) return st;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return st;
}

SMX_API const char *smx_session_error(const smx_session *s) { return s ? s->err : "the session is NULL"; }
SMX_API int smx_session_pos(const smx_session *s) { return s ? s->pos : 0; }
SMX_API int smx_session_capacity(const smx_session *s) { return s ? s->cap : 0; }

SMX_API void smx_session_free(smx_session *s)
{
    if (!s) return;
    smx__pool_free(s->cx.pool);
    SMX_FREE(s->state); SMX_FREE(s->off); SMX_FREE(s->h); SMX_FREE(s->xn); SMX_FREE(s->y); SMX_FREE(s->last);
    SMX_FREE(s->scratch);
    SMX_FREE(s);
}

SMX_API void smx_session_reset(smx_session *s)
{
    if (!s) return;
    memset(s->state, 0, s->off[s->m->n_sub]);   /* every operator's state starts at zero */
    s->pos = 0;
    s->last_pos = 0;
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
    if (o.n_threads > SMX_MAX_THREADS)
        return smx__fail(err, SMX_E_ARG, "smx_session_new: %d threads is more than SMX_MAX_THREADS (%d)", o.n_threads, SMX_MAX_THREADS);
    if (m->max_ctx > 0 && o.capacity > m->max_ctx)
        return smx__fail(err, SMX_E_CAPACITY, "smx_session_new: capacity %d exceeds the model's context of %d tokens", o.capacity,
                         m->max_ctx);
    s = (smx_session *)SMX_MALLOC(sizeof *s);
    if (!s) return smx__fail(err, SMX_E_NOMEM, "out of memory");
    memset(s, 0, sizeof *s);
    s->m = m;
    s->grows = smx__model_kv_per_token(m) > 0;
    if (o.capacity) s->cap = o.capacity;
    else if (!s->grows) s->cap = INT_MAX / 2;
    else s->cap = (m->max_ctx > 0 && m->max_ctx < 4096) ? m->max_ctx : 4096;
    s->nth = o.n_threads ? o.n_threads : smx_default_threads();
    s->cx.nth = s->nth;
    s->cx.pool = s->nth > 1 ? smx__pool_new(s->nth - 1) : NULL;
    if (!s->cx.pool) s->cx.nth = 1;
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
    s->last = (float *)SMX_MALLOC(sizeof(float) * (size_t)(m->d > 0 ? m->d : 1));
    s->scratch = (float *)SMX_MALLOC(sizeof(float) * (scr ? scr : 1));
    if (!s->off || !s->state || !s->h || !s->xn || !s->y || !s->last || !s->scratch) {
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
        f.T = T; f.pos = s->pos; f.x = x; f.y = s->y; f.dt = dt; f.scratch = s->scratch; f.cx = &s->cx; f.n_ctx = n_ctx;
        op->vt->forward(op, s->state + s->off[i], &f);
        if (sb->residual) {
            size_t k, n = (size_t)T * dout;
            for (k = 0; k < n; k++) s->h[k] += s->y[k];
        } else {
            memcpy(s->h, s->y, sizeof(float) * (size_t)T * dout);
        }
    }
}

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
    smx__matmul(&s->cx, logits, (size_t)m->n_logits, xn, (size_t)m->d, &m->head, m->head_b, T);
    if (m->logit_cap > 0)
        for (i = 0; i < n; i++) logits[i] = m->logit_cap * tanhf(logits[i] / m->logit_cap);
}

SMX_API smx_status smx_session_prefill(smx_session *s, const int32_t *ids, int n, float *logits, int all)
{
    const smx_model *m;
    int i, done = 0;
    if (!s) return smx__sfail(s, SMX_E_ARG, "session is NULL");
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
            smx__w_row(&m->embed, ids[done + t], 0, m->d, s->h + (size_t)t * m->d);
        smx__run_layers(s, T, NULL);
        if (logits) {
            if (all)
                smx__head(s, s->h, T, logits + (size_t)done * m->n_logits);
            else if (done + T == n)
                smx__head(s, s->h + (size_t)(T - 1) * m->d, 1, logits);
        }
        s->pos += T;
        done += T;
        if (done == n) {
            memcpy(s->last, s->h + (size_t)(T - 1) * m->d, sizeof(float) * (size_t)m->d);
            s->last_pos = s->pos;
        }
    }
    return SMX_OK;
}

SMX_API smx_status smx_session_logits(smx_session *s, float *logits)
{
    if (!s) return smx__sfail(s, SMX_E_ARG, "session is NULL");
    if (!logits) return smx__sfail(s, SMX_E_ARG, "logits: the output buffer is NULL");
    if (s->m->kind != SMX_KIND_TOKENS) return smx__sfail(s, SMX_E_ARG, "logits: this model takes feature vectors");
    if (!s->pos || s->last_pos != s->pos)
        return smx__sfail(s, SMX_E_STATE, "logits: no token has been run at position %d (after a reset or rewind, run one)", s->pos);
    smx__head(s, s->last, 1, logits);
    return SMX_OK;
}

SMX_API smx_status smx_session_step(smx_session *s, int32_t id, float *logits)
{
    return smx_session_prefill(s, &id, 1, logits, 0);
}

SMX_API smx_status smx_session_rewind(smx_session *s, int pos)
{
    int i;
    if (!s) return smx__sfail(s, SMX_E_ARG, "session is NULL");
    if (pos < 0 || pos > s->pos) return smx__sfail(s, SMX_E_RANGE, "rewind to %d: position must be in [0, %d]", pos, s->pos);
    for (i = 0; i < s->m->n_sub; i++)
        if (!(s->m->sub[i].op->vt->caps & SMX__CAP_REWIND))
            return smx__sfail(s, SMX_E_UNSUPPORTED, "layer %d (%s) keeps a recurrent state and cannot rewind", i,
                              s->m->sub[i].op->vt->name);
    s->pos = pos;
    return SMX_OK;
}

SMX_API smx_status smx_session_run(smx_session *s, const float *in, const float *dt, int T, float *out)
{
    const smx_model *m;
    int done = 0, t;
    if (!s) return smx__sfail(s, SMX_E_ARG, "session is NULL");
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
        if (m->head.data) {
            for (t = 0; t < n; t++) {
                float *o = out ? out + (size_t)(done + t) * m->d_out : s->xn;
                smx__matmul(&s->cx, o, (size_t)m->d_out, s->h + (size_t)t * m->d, (size_t)m->d, &m->head, m->head_b, 1);
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
 *      u64 payload bytes | payload | u64 FNV-1a of all bytes before it. Native byte order.
 *      payload: each operator's live state, in order; then, for token models, u32 1 or 0 (whether
 *      the next field is held) and the final stream row [d] of the last position (zeros when not
 *      held), for smx_session_logits. ---- */
#define SMX__BLOB_VERSION 2u
#define SMX__BLOB_HEADER 32

static size_t smx__blob_payload(const smx_session *s, int pos)
{
    size_t p = 0;
    int i;
    for (i = 0; i < s->m->n_sub; i++) p += smx__op_state(s->m->sub[i].op, pos);
    if (s->m->kind == SMX_KIND_TOKENS) p += 4 + sizeof(float) * (size_t)s->m->d;
    return p;
}

static int smx__blob_has_last(const smx_session *s) { return s->pos > 0 && s->last_pos == s->pos; }

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
    if (!s) return smx__sfail(s, SMX_E_ARG, "session is NULL");
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
    if (s->m->kind == SMX_KIND_TOKENS) {
        u32 = (uint32_t)smx__blob_has_last(s);
        memcpy(b + o, &u32, 4);
        o += 4;
        if (u32) memcpy(b + o, s->last, sizeof(float) * (size_t)s->m->d);
        else memset(b + o, 0, sizeof(float) * (size_t)s->m->d);
        o += sizeof(float) * (size_t)s->m->d;
    }
    u64 = smx__fnv(SMX__FNV_INIT, b, o);
    memcpy(b + o, &u64, 8);
    return SMX_OK;
}

SMX_API smx_status smx_session_state_load(smx_session *s, const void *buf, size_t len)
{
    const unsigned char *b = (const unsigned char *)buf;
    uint32_t ver, nsub, pos, has_last = 0;
    uint64_t fp, payload, sum;
    size_t o = SMX__BLOB_HEADER, states;
    int i;
    if (!s) return smx__sfail(s, SMX_E_ARG, "session is NULL");
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
    if (payload != smx__blob_payload(s, (int)pos)) return smx__sfail(s, SMX_E_STATE, "state blob payload does not match the model");
    states = smx__blob_payload(s, (int)pos) - (s->m->kind == SMX_KIND_TOKENS ? 4 + sizeof(float) * (size_t)s->m->d : 0);
    if (s->m->kind == SMX_KIND_TOKENS) memcpy(&has_last, b + o + states, 4);
    if (has_last > 1 || (has_last && !pos)) return smx__sfail(s, SMX_E_STATE, "state blob has an invalid last-position flag");
    for (i = 0; i < s->m->n_sub; i++) {
        size_t n = smx__op_state(s->m->sub[i].op, (int)pos);
        memcpy(s->state + s->off[i], b + o, n);
        o += n;
    }
    if (has_last) memcpy(s->last, b + o + 4, sizeof(float) * (size_t)s->m->d);
    s->pos = (int)pos;
    s->last_pos = has_last ? (int)pos : 0;
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

SMX_API size_t smx_sample_work_bytes(int n) { return n > 0 ? (sizeof(float) + sizeof(int)) * (size_t)n : 0; }

/* Tokens whose logit lies more than 30 temperatures below the best (probability below e^-30 of
 * the best's) are left out of the candidates: at most n e^-30 of the mass, which no float sum of
 * the rest can resolve. */
SMX_API smx_status smx_sample(const float *logits, int n, const smx_sampler *p, smx_rng *rng, void *work, int32_t *token,
                              smx_error *err)
{
    float *pr, mx, cut;
    int *idx, i, keep, nc = 0;
    double total = 0.0, u, acc = 0.0;
    smx__ok(err);
    if (!logits || n <= 0 || !token) return smx__fail(err, SMX_E_ARG, "smx_sample: logits, n > 0 and token are required (n = %d)", n);
    if (!p || p->temperature <= 0.0f) { *token = smx_argmax(logits, n); return SMX_OK; }
    if (!(p->temperature < 1e30f)) return smx__fail(err, SMX_E_ARG, "smx_sample: temperature %g is not finite", (double)p->temperature);
    if (!rng || !work)
        return smx__fail(err, SMX_E_ARG, "smx_sample: temperature %g needs an rng and a work buffer of smx_sample_work_bytes(%d) = %lu bytes",
                         (double)p->temperature, n, (unsigned long)smx_sample_work_bytes(n));
    pr = (float *)work;
    idx = (int *)(pr + n);
    mx = logits[smx_argmax(logits, n)];
    cut = mx - 30.0f * p->temperature;
    for (i = 0; i < n; i++)
        if (logits[i] >= cut) idx[nc++] = i;
    smx__sort_desc(idx, logits, nc);
    keep = (p->top_k > 0 && p->top_k < nc) ? p->top_k : nc;
    for (i = 0; i < keep; i++) {
        pr[i] = expf((logits[idx[i]] - mx) / p->temperature);
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
    *token = idx[keep - 1];
    for (i = 0; i < keep; i++) {
        acc += pr[i];
        if (u < acc) { *token = idx[i]; break; }
    }
    return SMX_OK;
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
        if (vis > s->pos || from < 0)
            return smx__sfail(s, SMX_E_STATE, "positions [%d, %d) are not in the session (%d held)", to, vis, s->pos);
        s->pos = from;
    } else if (smx_session_rewind(s, from) != SMX_OK) {
        if (from != 0) return smx__sfail(s, SMX_E_UNSUPPORTED, "diffusion: the session cannot rewind to %d", from);
        smx_session_reset(s);
    }
    if (T <= 0 || T > s->cap - s->pos || T > s->batch)
        return smx__sfail(s, SMX_E_CAPACITY, "%d positions at %d do not fit the session (capacity %d)", T, from, s->cap);
    /* h [T, d] = embedding rows of the canvas */
    for (t = 0; t < T; t++) smx__w_row(&m->embed, canvas[from + t], 0, d, s->h + (size_t)t * d);
    smx__run_layers_ctx(s, T, NULL, vis > to ? vis : 0);
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
    smx__matmul(&s->cx, logits, (size_t)m->n_logits, s->xn, (size_t)d, &m->head, m->head_b, nr);
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
        const smx__op_vt *vt = m->sub[i].op->vt;
        if (!(vt->caps & SMX__CAP_REWIND)) return 0;
        if ((vt == &smx__attn_vt) || (smx__op_state(m->sub[i].op, 1) != 0 && !(vt->caps & SMX__CAP_BIDIR))) return 0;
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

/* x0, conf of each candidate row i */
typedef struct smx__diff_job {
    const smx__diff_ctx *c;
    float *lc, *lu, *conf;
    const int *rows;
    int32_t *x0;
    int V, step;
} smx__diff_job;

static void smx__diff_task(void *arg, int i, int tid)
{
    const smx__diff_job *j = (const smx__diff_job *)arg;
    (void)tid;
    smx__diff_decide(j->c, j->lc + (size_t)i * j->V, j->lu ? j->lu + (size_t)i * j->V : NULL, j->step, j->rows[i], &j->x0[i], &j->conf[i]);
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
    smx__diff_job dj;
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
    memset(&dj, 0, sizeof dj);
    dj.c = &c; dj.lc = lc; dj.conf = conf; dj.rows = rows; dj.x0 = x0; dj.V = V;
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
                dj.lu = lu; dj.step = gstep;
                smx__par(&sc->cx, smx__nth_for((double)nr * V * 8, nth), nr, smx__diff_task, &dj);
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
