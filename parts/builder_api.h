/* ===================================================================================== */
/* I.5 Hybrid-stack builder                                                              */
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
