#!/usr/bin/env python3
"""Make variant golden cases of the second-wave hybrid families for seqmix (golden2/).

Each case is a tiny model with random (perturbed) weights built with transformers 5.17, saved
with save_pretrained, reloaded, and run on CPU in float32 (the same recipe as make_golden.py,
whose helpers this script imports): config.json + model.safetensors + golden.safetensors
(input_ids, logits, greedy_ids) + info.json. The configs start from the public second-wave
cases' config.json (embedded below, as transformers 5.17 wrote them) and change the options that
the public cases do not cover: dense vs MoE Granite, NoPE, other multipliers, group counts, head
dims, layer patterns, MLP-only layers, conv kernel 3, chunk tails (T > 64), selection biases.

Usage:  python3 tools/make_golden2.py OUTDIR [--cases a,b] [--tries N]
Writes OUTDIR/<case>/... and OUTDIR/report.json (saved tensor names and shapes, configs as
saved, checks, errors).
"""
import argparse
import copy
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_golden as mg  # noqa: E402  (imports torch, transformers helpers)
import torch  # noqa: E402

BASES = json.loads(r"""{
 "falcon_h1": {
  "architectures": [
   "FalconH1ForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "attention_in_multiplier": 1.1,
  "attention_out_multiplier": 0.9,
  "bos_token_id": 1,
  "dtype": "float32",
  "embedding_multiplier": 2.0,
  "eos_token_id": 2,
  "head_dim": 16,
  "hidden_act": "silu",
  "hidden_size": 64,
  "initializer_range": 0.08,
  "intermediate_size": 128,
  "key_multiplier": 0.7,
  "lm_head_multiplier": 0.5,
  "mamba_chunk_size": 16,
  "mamba_conv_bias": true,
  "mamba_d_conv": 4,
  "mamba_d_head": 16,
  "mamba_d_ssm": 64,
  "mamba_d_state": 16,
  "mamba_expand": 2,
  "mamba_n_groups": 1,
  "mamba_n_heads": 4,
  "mamba_norm_before_gate": true,
  "mamba_proj_bias": false,
  "mamba_rms_norm": false,
  "max_position_embeddings": 8192,
  "mlp_bias": false,
  "mlp_multipliers": [
   0.8,
   1.2
  ],
  "model_type": "falcon_h1",
  "num_attention_heads": 4,
  "num_hidden_layers": 2,
  "num_key_value_heads": 2,
  "num_logits_to_keep": 1,
  "pad_token_id": 0,
  "projectors_bias": false,
  "rms_norm_eps": 1e-05,
  "rope_parameters": {
   "rope_theta": 10000.0,
   "rope_type": "default"
  },
  "ssm_in_multiplier": 1.2,
  "ssm_multipliers": [
   1.0,
   0.9,
   1.1,
   0.8,
   1.2
  ],
  "ssm_out_multiplier": 0.8,
  "tie_word_embeddings": false,
  "time_step_limit": [
   0.0,
   {
    "__float__": "Infinity"
   }
  ],
  "use_cache": true,
  "vocab_size": 96
 },
 "granitehybrid": {
  "architectures": [
   "GraniteMoeHybridForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "attention_multiplier": 0.25,
  "bos_token_id": 1,
  "dtype": "float32",
  "embedding_multiplier": 2.0,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 64,
  "initializer_range": 0.08,
  "intermediate_size": 96,
  "layer_types": [
   "linear_attention",
   "full_attention",
   "linear_attention",
   "linear_attention"
  ],
  "logits_scaling": 1.5,
  "mamba_chunk_size": 16,
  "mamba_conv_bias": true,
  "mamba_d_conv": 4,
  "mamba_d_head": 16,
  "mamba_d_state": 16,
  "mamba_expand": 2,
  "mamba_n_groups": 1,
  "mamba_n_heads": 8,
  "mamba_proj_bias": false,
  "max_position_embeddings": 2048,
  "model_type": "granitemoehybrid",
  "num_attention_heads": 4,
  "num_experts_per_tok": 2,
  "num_hidden_layers": 4,
  "num_key_value_heads": 2,
  "num_local_experts": 4,
  "output_router_logits": false,
  "pad_token_id": null,
  "position_embedding_type": "rope",
  "residual_multiplier": 0.5,
  "rms_norm_eps": 1e-06,
  "rope_parameters": {
   "rope_theta": 10000.0,
   "rope_type": "default"
  },
  "router_aux_loss_coef": 0.001,
  "shared_intermediate_size": 96,
  "tie_word_embeddings": true,
  "time_step_limit": [
   0.0,
   {
    "__float__": "Infinity"
   }
  ],
  "use_cache": true,
  "vocab_size": 96
 },
 "lfm2_moe": {
  "architectures": [
   "Lfm2MoeForCausalLM"
  ],
  "bos_token_id": 1,
  "conv_L_cache": 3,
  "conv_bias": false,
  "dtype": "float32",
  "eos_token_id": 2,
  "hidden_size": 64,
  "initializer_range": 0.08,
  "intermediate_size": 128,
  "layer_types": [
   "conv",
   "full_attention",
   "conv",
   "conv"
  ],
  "max_position_embeddings": 128000,
  "model_type": "lfm2_moe",
  "moe_intermediate_size": 32,
  "norm_eps": 1e-05,
  "norm_topk_prob": true,
  "num_attention_heads": 4,
  "num_dense_layers": 1,
  "num_experts": 4,
  "num_experts_per_tok": 2,
  "num_hidden_layers": 4,
  "num_key_value_heads": 2,
  "pad_token_id": 0,
  "rope_parameters": {
   "rope_theta": 1000000.0,
   "rope_type": "default"
  },
  "routed_scaling_factor": 1.0,
  "tie_word_embeddings": true,
  "use_cache": true,
  "use_expert_bias": true,
  "vocab_size": 96
 },
 "nemotron_h": {
  "architectures": [
   "NemotronHForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 1,
  "chunk_size": 16,
  "conv_kernel": 4,
  "dtype": "float32",
  "eos_token_id": 2,
  "expand": 2,
  "head_dim": 16,
  "hidden_dropout": 0.0,
  "hidden_size": 64,
  "initializer_range": 0.08,
  "intermediate_size": 128,
  "layer_norm_epsilon": 1e-05,
  "layers_block_type": [
   "linear_attention",
   "mlp",
   "full_attention",
   "mlp"
  ],
  "mamba_head_dim": 16,
  "mamba_hidden_act": "silu",
  "mamba_num_heads": 8,
  "mamba_proj_bias": false,
  "mamba_ssm_cache_dtype": "float32",
  "max_position_embeddings": 4096,
  "mlp_bias": false,
  "mlp_hidden_act": "relu2",
  "model_type": "nemotron_h",
  "moe_intermediate_size": 48,
  "moe_latent_size": null,
  "moe_shared_expert_intermediate_size": 40,
  "moe_shared_expert_overlap": true,
  "mtp_layers_block_type": [
   "full_attention",
   "moe"
  ],
  "n_group": 1,
  "n_groups": 2,
  "n_routed_experts": 4,
  "n_shared_experts": 1,
  "norm_topk_prob": true,
  "num_attention_heads": 4,
  "num_experts_per_tok": 2,
  "num_key_value_heads": 2,
  "num_logits_to_keep": 1,
  "num_nextn_predict_layers": 0,
  "pad_token_id": 0,
  "rescale_prenorm_residual": true,
  "residual_in_fp32": false,
  "routed_scaling_factor": 1.0,
  "sliding_window": null,
  "ssm_state_size": 16,
  "tie_word_embeddings": false,
  "time_step_floor": 0.0001,
  "time_step_limit": [
   0.0,
   {
    "__float__": "Infinity"
   }
  ],
  "time_step_max": 0.1,
  "time_step_min": 0.001,
  "topk_group": 1,
  "use_bias": false,
  "use_cache": true,
  "use_conv_bias": true,
  "use_mamba_kernels": false,
  "vocab_size": 96
 },
 "olmo_hybrid": {
  "architectures": [
   "OlmoHybridForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 1,
  "dtype": "float32",
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 64,
  "initializer_range": 0.08,
  "intermediate_size": 128,
  "layer_types": [
   "linear_attention",
   "linear_attention",
   "linear_attention",
   "full_attention"
  ],
  "linear_a_log_max": 16.0,
  "linear_a_log_min": 0.0,
  "linear_allow_neg_eigval": true,
  "linear_conv_kernel_dim": 4,
  "linear_dt_init_floor": 0.0001,
  "linear_dt_max": 0.1,
  "linear_dt_min": 0.001,
  "linear_key_head_dim": 16,
  "linear_num_key_heads": 2,
  "linear_num_value_heads": 2,
  "linear_value_head_dim": 32,
  "max_position_embeddings": 65536,
  "model_type": "olmo_hybrid",
  "num_attention_heads": 4,
  "num_hidden_layers": 4,
  "num_key_value_heads": 4,
  "pad_token_id": 0,
  "rms_norm_eps": 1e-06,
  "rope_parameters": {
   "rope_theta": 10000.0,
   "rope_type": "default"
  },
  "tie_word_embeddings": false,
  "use_cache": true,
  "vocab_size": 96
 },
 "qwen3_5": {
  "architectures": [
   "Qwen3_5ForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": null,
  "dtype": "float32",
  "eos_token_id": null,
  "head_dim": 16,
  "hidden_act": "silu",
  "hidden_size": 64,
  "initializer_range": 0.08,
  "intermediate_size": 128,
  "layer_types": [
   "linear_attention",
   "linear_attention",
   "linear_attention",
   "full_attention"
  ],
  "linear_conv_kernel_dim": 4,
  "linear_key_head_dim": 16,
  "linear_num_key_heads": 2,
  "linear_num_value_heads": 2,
  "linear_value_head_dim": 16,
  "max_position_embeddings": 32768,
  "model_type": "qwen3_5_text",
  "num_attention_heads": 4,
  "num_hidden_layers": 4,
  "num_key_value_heads": 2,
  "pad_token_id": null,
  "partial_rotary_factor": 0.25,
  "rms_norm_eps": 1e-06,
  "rope_parameters": {
   "partial_rotary_factor": 0.25,
   "rope_theta": 10000.0,
   "rope_type": "default"
  },
  "tie_word_embeddings": false,
  "use_cache": true,
  "vocab_size": 96
 },
 "qwen3_next": {
  "architectures": [
   "Qwen3NextForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": null,
  "decoder_sparse_step": 1,
  "dtype": "float32",
  "eos_token_id": null,
  "head_dim": 16,
  "hidden_act": "silu",
  "hidden_size": 64,
  "initializer_range": 0.08,
  "intermediate_size": 128,
  "layer_types": [
   "linear_attention",
   "linear_attention",
   "linear_attention",
   "full_attention"
  ],
  "linear_conv_kernel_dim": 4,
  "linear_key_head_dim": 16,
  "linear_num_key_heads": 2,
  "linear_num_value_heads": 4,
  "linear_value_head_dim": 16,
  "max_position_embeddings": 32768,
  "mlp_only_layers": [],
  "model_type": "qwen3_next",
  "moe_intermediate_size": 32,
  "norm_topk_prob": true,
  "num_attention_heads": 4,
  "num_experts": 4,
  "num_experts_per_tok": 2,
  "num_hidden_layers": 4,
  "num_key_value_heads": 2,
  "output_router_logits": false,
  "pad_token_id": null,
  "partial_rotary_factor": 0.25,
  "rms_norm_eps": 1e-06,
  "rope_parameters": {
   "partial_rotary_factor": 0.25,
   "rope_theta": 10000.0,
   "rope_type": "default"
  },
  "router_aux_loss_coef": 0.001,
  "shared_expert_intermediate_size": 48,
  "tie_word_embeddings": false,
  "use_cache": true,
  "vocab_size": 96
 }
}""")
BASES = {k: mg._decode_json_floats(v) for k, v in BASES.items()}
T0 = time.time()


def cfg(base, **over):
    d = copy.deepcopy(BASES[base])
    drop = over.pop("_drop", ())
    for k in drop:
        d.pop(k, None)
    d.update(over)
    return d


def cases():
    C = {}
    # Granite 4.0-H dense (no experts: the shared MLP alone), NoPE (no position_embedding_type),
    # attention first and last, 2 Mamba groups, conv kernel 3, auto head dim, biases, other multipliers
    C["g2_granite_dense_nope"] = (cfg(
        "granitehybrid", _drop=("position_embedding_type",), hidden_size=48, num_attention_heads=6,
        num_key_value_heads=2, num_hidden_layers=5, num_local_experts=0, shared_intermediate_size=80,
        intermediate_size=64, layer_types=["full_attention", "linear_attention", "linear_attention",
                                           "full_attention", "linear_attention"],
        mamba_n_groups=2, mamba_n_heads=4, mamba_d_head="auto", mamba_d_state=12, mamba_d_conv=3,
        mamba_chunk_size=8, mamba_conv_bias=False, mamba_proj_bias=True, attention_bias=True,
        embedding_multiplier=3.0, residual_multiplier=0.4, attention_multiplier=0.2, logits_scaling=0.7,
        time_step_limit=[0.01, 0.4], tie_word_embeddings=False), 45)
    # Granite MoE top-1 of 5 with RoPE (other theta), explicit head_dim != hidden / heads, tied head
    C["g2_granite_moe_rope"] = (cfg(
        "granitehybrid", hidden_size=48, num_attention_heads=4, num_key_value_heads=4, head_dim=16,
        num_hidden_layers=3, num_local_experts=5, num_experts_per_tok=1, intermediate_size=40,
        shared_intermediate_size=56, layer_types=["linear_attention", "full_attention", "linear_attention"],
        mamba_n_groups=1, mamba_n_heads=6, mamba_d_head=16, mamba_d_state=8, mamba_chunk_size=16,
        rope_parameters={"rope_type": "default", "rope_theta": 500000.0}, position_embedding_type="rope",
        embedding_multiplier=1.5, residual_multiplier=0.8, attention_multiplier=0.15, logits_scaling=2.5,
        tie_word_embeddings=True), 41)
    # Falcon-H1 with the grouped gated RMSNorm (norm after the gate), 2 groups, d_ssm from expand,
    # conv kernel 3, MQA, all biases, other multipliers, tied head
    C["g2_falcon_norm_groups"] = (cfg(
        "falcon_h1", _drop=("head_dim",), hidden_size=48, num_attention_heads=4, num_key_value_heads=1,
        num_hidden_layers=3, intermediate_size=80, mamba_d_ssm=None, mamba_expand=2, mamba_n_heads=6,
        mamba_d_head="auto", mamba_n_groups=2, mamba_d_state=12, mamba_d_conv=3, mamba_chunk_size=8,
        mamba_rms_norm=True, mamba_norm_before_gate=False, mamba_proj_bias=True, mamba_conv_bias=True,
        projectors_bias=True, attention_bias=True, mlp_bias=True,
        rope_parameters={"rope_type": "default", "rope_theta": 100000.0},
        embedding_multiplier=1.3, lm_head_multiplier=0.7, mlp_multipliers=[1.4, 0.6],
        key_multiplier=1.2, attention_in_multiplier=0.8, attention_out_multiplier=1.1,
        ssm_multipliers=[0.9, 1.2, 0.8, 1.1, 0.7], ssm_in_multiplier=0.9, ssm_out_multiplier=1.3,
        tie_word_embeddings=True), 45)
    # Falcon-H1 with the norm before the gate, explicit d_ssm/d_head, a time_step_limit, no biases
    C["g2_falcon_norm_before_gate"] = (cfg(
        "falcon_h1", hidden_size=48, head_dim=12, num_attention_heads=4, num_key_value_heads=2,
        num_hidden_layers=2, intermediate_size=64, mamba_d_ssm=64, mamba_n_heads=4, mamba_d_head=16,
        mamba_n_groups=1, mamba_d_state=16, mamba_chunk_size=16, mamba_rms_norm=True,
        mamba_norm_before_gate=True, time_step_limit=[0.02, 0.5], embedding_multiplier=0.8,
        lm_head_multiplier=1.6, mlp_multipliers=[0.7, 1.3], key_multiplier=0.6,
        ssm_multipliers=[1.1, 0.9, 1.2, 0.8, 1.3]), 41)
    # Nemotron-H with MoE blocks: sigmoid router + selection bias, group-limited top-3 (4 groups,
    # 2 kept), routed scaling, 4 Mamba groups, conv kernel 3, dt floor, Mamba biases
    C["g2_nemotron_moe_groups"] = (cfg(
        "nemotron_h", hidden_size=48, num_attention_heads=4, num_key_value_heads=2, head_dim=12,
        layers_block_type=["linear_attention", "moe", "full_attention", "mlp", "linear_attention", "moe"],
        mamba_num_heads=8, mamba_head_dim=8, ssm_state_size=8, n_groups=4, conv_kernel=3, chunk_size=8,
        time_step_min=0.02, use_bias=True, use_conv_bias=False, intermediate_size=72,
        n_routed_experts=8, num_experts_per_tok=3, n_group=4, topk_group=2, routed_scaling_factor=2.5,
        norm_topk_prob=True, moe_intermediate_size=16, moe_shared_expert_intermediate_size=24), 45)
    # Nemotron-H with latent expert projections, no renorm, MLP biases, one Mamba group
    C["g2_nemotron_latent"] = (cfg(
        "nemotron_h", hidden_size=48, num_attention_heads=4, num_key_value_heads=4, head_dim=8,
        layers_block_type=["moe", "linear_attention", "full_attention", "moe"], mamba_num_heads=6,
        mamba_head_dim=8, ssm_state_size=12, n_groups=1, chunk_size=16, mlp_bias=True,
        n_routed_experts=6, num_experts_per_tok=2, n_group=1, topk_group=1, norm_topk_prob=False,
        routed_scaling_factor=1.0, moe_latent_size=24, moe_intermediate_size=20,
        moe_shared_expert_intermediate_size=16), 41)
    # Qwen3-Next: 3 value heads per key head, key dim 8 != value dim 12, conv kernel 3, an
    # MLP-only layer, no top-k renorm, attention bias, MQA, partial RoPE 0.5, tied head, T > 64
    C["g2_qwen3next_mlp_only"] = (cfg(
        "qwen3_next", hidden_size=48, num_attention_heads=4, num_key_value_heads=1, head_dim=12,
        num_hidden_layers=5, layer_types=["linear_attention", "linear_attention", "full_attention",
                                          "linear_attention", "full_attention"],
        linear_num_key_heads=2, linear_num_value_heads=6, linear_key_head_dim=8, linear_value_head_dim=12,
        linear_conv_kernel_dim=3, mlp_only_layers=[1], decoder_sparse_step=1, num_experts=6,
        num_experts_per_tok=3, norm_topk_prob=False, moe_intermediate_size=24,
        shared_expert_intermediate_size=20, intermediate_size=64, attention_bias=True,
        partial_rotary_factor=0.5, rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                                    "partial_rotary_factor": 0.5},
        tie_word_embeddings=True), 70)
    # Qwen3.5: GQA DeltaNet (4 value / 2 key heads), value dim 8 < key dim 16, default layer
    # pattern, other theta and partial factor, tied head, two full chunks and a tail
    C["g2_qwen35_gqa"] = (cfg(
        "qwen3_5", _drop=("layer_types",), hidden_size=48, num_attention_heads=6, num_key_value_heads=3,
        head_dim=8, num_hidden_layers=4, linear_num_key_heads=2, linear_num_value_heads=4,
        linear_key_head_dim=16, linear_value_head_dim=8, intermediate_size=96, partial_rotary_factor=0.5,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "partial_rotary_factor": 0.5},
        tie_word_embeddings=True), 130)
    # OLMo Hybrid NoPE (rope_theta null), beta without the x2, GQA attention and DeltaNet, conv 3,
    # value dim from the default (2 x key dim), default layer pattern (full at i % 4 == 3)
    C["g2_olmo_nope"] = (cfg(
        "olmo_hybrid", _drop=("rope_parameters", "layer_types", "linear_value_head_dim"), rope_theta=None,
        hidden_size=48, num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=5,
        linear_num_key_heads=2, linear_num_value_heads=4, linear_key_head_dim=8, linear_conv_kernel_dim=3,
        linear_allow_neg_eigval=False, intermediate_size=80), 70)
    # OLMo Hybrid with RoPE (other theta), attention first, default linear heads / head dims
    # (0.75 hidden / heads = 9, value 18), negative eigenvalues allowed
    C["g2_olmo_defaults"] = (cfg(
        "olmo_hybrid", _drop=("linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim",
                              "linear_value_head_dim"),
        hidden_size=48, num_attention_heads=4, num_key_value_heads=4, num_hidden_layers=4,
        layer_types=["full_attention", "linear_attention", "linear_attention", "linear_attention"],
        rope_parameters={"rope_type": "default", "rope_theta": 500000.0}, intermediate_size=64), 45)
    # LFM2-MoE without dense layers or expert bias, no renorm, routed scaling, conv kernel 4 with
    # bias, head_dim given, untied head
    C["g2_lfm2moe_nobias"] = (cfg(
        "lfm2_moe", hidden_size=48, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
        num_hidden_layers=4, layer_types=["conv", "full_attention", "conv", "full_attention"],
        num_dense_layers=0, use_expert_bias=False, norm_topk_prob=False, routed_scaling_factor=1.7,
        conv_L_cache=4, conv_bias=True, num_experts=6, num_experts_per_tok=2, moe_intermediate_size=24,
        intermediate_size=64, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        tie_word_embeddings=False), 45)
    # LFM2-MoE with two dense layers, top-1 of 3 with a (non-zero) expert bias, renorm
    C["g2_lfm2moe_dense2"] = (cfg(
        "lfm2_moe", hidden_size=48, num_attention_heads=4, num_key_value_heads=4, num_hidden_layers=3,
        layer_types=["conv", "conv", "full_attention"], num_dense_layers=2, use_expert_bias=True,
        num_experts=3, num_experts_per_tok=1, moe_intermediate_size=32, intermediate_size=56), 41)
    return C


def perturb_buffers(model, g):
    """Selection biases are buffers (not parameters): give them values that change the routing."""
    out = []
    for name, b in model.named_buffers():
        if name.endswith("e_score_correction_bias") or name.endswith("expert_bias"):
            b.copy_((torch.randn(b.shape, generator=g) * 0.3).to(b.dtype))
            out.append(name)
    return out


def step_vs_parallel(m, ids, n=8):
    """transformers' own cached path (prefill T-n, then n steps) vs its parallel pass."""
    try:
        T = ids.shape[0]
        full = mg.lm_forward(m, ids)
        o = m(input_ids=ids[None, :T - n], use_cache=True)
        pkv, errs = o.past_key_values, [mg.maxdiff(o.logits[0, -1], full[T - n - 1])]
        for i in range(T - n, T):
            o = m(input_ids=ids[None, i:i + 1], past_key_values=pkv, use_cache=True)
            pkv = o.past_key_values
            errs.append(mg.maxdiff(o.logits[0, -1], full[i]))
        return max(errs)
    except Exception as e:  # informative only
        return f"n/a: {type(e).__name__}: {e}"[:200]


def make_case(out, name, cfg_dict, T, tries):
    import shutil
    import tempfile
    import transformers

    g = mg.case_gen(name)
    tmp = tempfile.mkdtemp()
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(cfg_dict, f)
    config = transformers.AutoConfig.from_pretrained(tmp)
    shutil.rmtree(tmp)
    cls = getattr(transformers, cfg_dict["architectures"][0])
    torch.manual_seed(mg.zlib.crc32(name.encode()))
    model = cls(config).float().eval()
    mg.perturb_hf(model, g)
    bufs = perturb_buffers(model, g)
    ids, attempts = mg.pick_ids(model, name, cfg_dict["vocab_size"], T, tries=tries)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d)
    m2 = mg.hf_load(d)
    sd1, sd2 = model.state_dict(), m2.state_dict()
    common = [k for k in sd1 if k in sd2]
    wdiff = max(mg.maxdiff(sd1[k], sd2[k]) for k in common) if common else -1.0
    lg = mg.lm_forward(m2, ids)
    gids, margins = mg.greedy(m2, ids)
    info = mg.lm_info(T, lg, margins)
    info["reference_step_vs_parallel_maxerr"] = step_vs_parallel(m2, ids)
    mg.save_tensors(os.path.join(d, "golden.safetensors"),
                    {"input_ids": ids.to(torch.int32), "logits": lg, "greedy_ids": gids})
    mg.write_json(os.path.join(d, "info.json"), info)
    from safetensors import safe_open
    shapes = {}
    with safe_open(os.path.join(d, "model.safetensors"), "pt") as f:
        for k in f.keys():
            shapes[k] = list(f.get_slice(k).get_shape())
    return {"T": T, "ids_attempts": attempts, "reload_weight_maxdiff": wdiff,
            "state_dict_only_in_memory": sorted(set(sd1) - set(sd2))[:20],
            "perturbed_buffers": bufs, "info": info, "saved": shapes,
            "config_saved": json.load(open(os.path.join(d, "config.json"))),
            "rope": mg.rope_info(m2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--cases", default="")
    ap.add_argument("--tries", type=int, default=12)
    a = ap.parse_args()
    import transformers
    torch.set_num_threads(min(8, os.cpu_count() or 1))
    os.makedirs(a.out, exist_ok=True)
    want = set(filter(None, a.cases.split(",")))
    report = {"torch": torch.__version__, "transformers": transformers.__version__, "cases": {}}
    failed = []
    for name, (c, T) in cases().items():
        if want and name not in want:
            continue
        t = time.time()
        tries = a.tries if time.time() - T0 < 150 else 3   # keep within the device time
        try:
            r = make_case(a.out, name, c, T, tries)
            mg.log(f"{name}: ok in {time.time() - t:.1f}s, margin {r['info']['greedy_min_margin']:.4f}, "
                   f"step-vs-parallel {r['info']['reference_step_vs_parallel_maxerr']}, attempts {r['ids_attempts']}")
        except Exception as e:
            traceback.print_exc()
            r = {"ERROR": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-3000:]}
            failed.append(name)
            mg.log(f"{name}: FAILED {r['ERROR'][:300]}")
        report["cases"][name] = r
        with open(os.path.join(a.out, "report.json"), "w") as f:
            json.dump(report, f, indent=1, default=str)
    mg.log(f"done in {time.time() - T0:.1f}s; failed: {', '.join(failed) if failed else 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
