/* ===================================================================================== */
/* I.5 Masked-diffusion generation                                                       */
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
