#!/usr/bin/env python3
"""Make the extra golden reference cases (tests/golden/x_*) for seqmix.

Every case is a tiny model with random (perturbed) weights, saved in the layout its
reference implementation writes, plus the outputs that the reference produced on CPU in
float32 for fixed inputs.  The file layout mirrors the public cases in tests/golden/
(see tests/golden/README.md): config.json, model.safetensors (or shards + index),
golden.safetensors and, for LM cases, info.json.

References (imported, never copied into this repository):
  * transformers (5.17)      - Llama, Mamba, Mamba2, Jamba, Bamba, LFM2, xLSTM
  * ncps 1.0.1 (ncps.torch)  - CfC, wired CfC, LTC, wirings
  * NX-AI xlstm 2.0.5        - xLSTMLMModel (mLSTM + sLSTM, vanilla backend)
  * ML-GSAI/LLaDA generate.py - the masked-diffusion sampler; the network itself is the
    small LLaMA-shaped bidirectional encoder written below (TinyLLaDA), whose parameter
    names are those of the LLaDA checkpoint layout (model.transformer.*).

Before generating anything the script re-runs the recipe on the PUBLIC cases (loads each
public checkpoint with its reference, recomputes, compares with its golden.safetensors) so
the log shows that the recipe reproduces them.

Usage (ncps and LLaDA's generate.py on PYTHONPATH, NX-AI xlstm via --nx-xlstm):
  PYTHONPATH=ref:ref/llada python3 tools/make_golden.py --out OUTDIR --nx-xlstm ref/nx_xlstm
        [--public tests/golden] [--cases x_mamba,x_llada] [--no-hf] [--no-verify] [--report F]
where ref/ncps, ref/nx_xlstm/xlstm and ref/llada/generate.py are exported from ncps 1.0.1,
NX-AI/xlstm v2.0.5 and ML-GSAI/LLaDA (ref/ is git-ignored).
"""
import argparse
import dataclasses
import json
import math
import os
import shutil
import sys
import tempfile
import traceback
import types
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

torch.set_default_dtype(torch.float32)
torch.set_grad_enabled(False)

REPORT = {"verify": {}, "cases": {}}


def log(*a):
    print(*a, flush=True)


def case_gen(name, salt=0):
    """A torch.Generator seeded from the case name (stable across runs/machines)."""
    g = torch.Generator()
    g.manual_seed(zlib.crc32(name.encode()) + 7919 * salt)
    return g


def write_json(path, obj, indent=1):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)


def save_tensors(path, tensors):
    """safetensors without metadata (as the public golden/ncps/xlstm_lm/llada files)."""
    save_file({k: v.detach().contiguous().clone() for k, v in tensors.items()}, path)


def maxdiff(a, b):
    return float((a.float() - b.float()).abs().max())


def lm_info(T, logits, margins):
    return {
        "T": int(T),
        "logits_std": float(logits.std()),  # torch.std: unbiased, as in the public info.json
        "logits_absmax": float(logits.abs().max()),
        "greedy_min_margin": float(min(margins)),
    }


def lm_forward(model, ids):
    """Full-sequence logits [T, V] (float32), no cache."""
    return model(input_ids=ids[None], use_cache=False).logits[0].float()


def greedy(model, ids, n_new=16):
    """Greedy continuation by full recomputation at each step (no cache); returns the new
    ids and the best-minus-second logit gap of each step."""
    seq = ids.clone()
    out, margins = [], []
    for _ in range(n_new):
        last = lm_forward(model, seq)[-1]
        top = torch.topk(last, 2)
        nxt = int(torch.argmax(last))
        margins.append(float(top.values[0] - top.values[1]))
        out.append(nxt)
        seq = torch.cat([seq, torch.tensor([nxt], dtype=seq.dtype)])
    return torch.tensor(out, dtype=torch.int32), margins


# --------------------------------------------------------------------------------------
# Weight perturbation: overwrite every parameter with our own random values so that nothing
# is trivially zero/one (biases non-zero, norm weights around 1, SSM parameters spread).
# --------------------------------------------------------------------------------------
def inv_softplus(y):
    return y + torch.log(-torch.expm1(-y))


def perturb_hf(model, g, dt_range=(0.003, 0.8)):
    def rn(shape, std):
        return torch.randn(shape, generator=g) * std

    def ru(shape, lo, hi):
        return lo + (hi - lo) * torch.rand(shape, generator=g)

    for name, p in model.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        s = p.shape
        if leaf == "A_log":
            new = torch.log(ru(s, 1.0, 8.0))
        elif leaf == "D":
            new = ru(s, 0.5, 1.5)
        elif leaf == "dt_bias" or name.endswith("dt_proj.bias"):
            new = inv_softplus(ru(s, *dt_range))
        elif name.endswith("fgate_preact.bias"):  # xLSTM forget gate: mostly "remember"
            new = ru(s, 1.0, 4.0)
        elif name.endswith("igate_preact.bias"):
            new = ru(s, -3.0, 0.0)
        elif leaf == "bias":
            new = rn(s, 0.05)
        elif p.dim() == 1 and "norm" in name:
            new = 1.0 + rn(s, 0.1)
        elif p.dim() == 3 and "conv" in name:
            new = rn(s, 0.3)
        else:
            new = rn(s, 0.09)
        p.copy_(new.to(p.dtype))


def perturb_additive(model, g, std=0.05):
    """Reference init + N(0, std) on every trainable parameter (ncps, xlstm: the masks of
    wired models are non-trainable and stay exact)."""
    for _, p in model.named_parameters():
        if p.requires_grad:
            p.add_(torch.randn(p.shape, generator=g) * std)


# --------------------------------------------------------------------------------------
# transformers families
# --------------------------------------------------------------------------------------
def _decode_json_floats(o):
    if isinstance(o, dict):
        if set(o) == {"__float__"}:
            return float(o["__float__"])
        return {k: _decode_json_floats(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_decode_json_floats(v) for v in o]
    return o


def hf_load(path):
    import transformers

    cfg = json.load(open(os.path.join(path, "config.json")))
    cls = getattr(transformers, cfg["architectures"][0])
    m = cls.from_pretrained(path, dtype=torch.float32)
    m.eval()
    return m


def verify_hf_public(pub, name):
    d = os.path.join(pub, name)
    m = hf_load(d)
    gold = load_file(os.path.join(d, "golden.safetensors"))
    info = json.load(open(os.path.join(d, "info.json")))
    ids = gold["input_ids"].long()
    lg = lm_forward(m, ids)
    gids, margins = greedy(m, ids)
    r = {
        "logits_maxdiff": maxdiff(lg, gold["logits"]),
        "greedy_equal": bool(torch.equal(gids, gold["greedy_ids"])),
        "margin": min(margins),
        "margin_public": info["greedy_min_margin"],
        "std_diff": abs(float(lg.std()) - info["logits_std"]),
    }
    return r


def hf_config_from(pub, base, overrides, drop=()):
    """Start from a public case's config.json (so every key is one transformers 5.17 wrote),
    apply overrides, return the dict."""
    d = json.load(open(os.path.join(pub, base, "config.json")))
    for k in drop:
        d.pop(k, None)
    d.update(overrides)
    for k in ("transformers_version",):
        d.pop(k, None)
    return d


def saved_keys(d):
    """Tensor names in a saved HF folder (single file or shards + index)."""
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        return sorted(json.load(open(idx))["weight_map"])
    return sorted(load_file(os.path.join(d, "model.safetensors")))


def rope_info(model):
    """inv_freq and attention scaling of the model's rotary embedding, if it has one."""
    for name, mod in model.named_modules():
        if hasattr(mod, "inv_freq") and isinstance(mod.inv_freq, torch.Tensor):
            return {"module": name, "inv_freq": [float(v) for v in mod.inv_freq],
                    "attention_scaling": float(getattr(mod, "attention_scaling", 1.0))}
    return None


def make_hf_case(out, name, cfg_dict, T, save_dtype=None, shard=None, config_edit=None):
    """Build the model from cfg_dict, perturb weights, save with save_pretrained (optionally
    in a lower dtype and sharded), optionally edit the written config.json (legacy keys),
    reload from disk in float32 and compute the golden outputs with the RELOADED model (what
    the reference makes of exactly these files)."""
    import transformers

    g = case_gen(name)
    tmp = tempfile.mkdtemp()
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(cfg_dict, f)
    cfg = transformers.AutoConfig.from_pretrained(tmp)
    shutil.rmtree(tmp)
    cls = getattr(transformers, cfg_dict["architectures"][0])
    torch.manual_seed(zlib.crc32(name.encode()))
    model = cls(cfg).float().eval()
    perturb_hf(model, g)
    if save_dtype is not None:  # round the fp32 weights to the storage dtype first
        for p in model.parameters():
            p.copy_(p.to(save_dtype).to(torch.float32))
    ids, attempts = pick_ids(model, name, cfg_dict["vocab_size"], T)
    lg_mem = lm_forward(model, ids)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    kw = {"max_shard_size": shard} if shard else {}
    # (lg_mem is computed already: converting the model for saving may round its buffers)
    if save_dtype is not None:
        model.to(save_dtype)
    model.save_pretrained(d, **kw)
    model.float()  # exact: the parameters were rounded to save_dtype values above
    log(f"  [{name}] config.json as saved: {open(os.path.join(d, 'config.json')).read()}")
    if config_edit:
        p = os.path.join(d, "config.json")
        c = json.load(open(p))
        config_edit(c)
        with open(p, "w") as f:
            f.write(json.dumps(c, indent=2, sort_keys=True) + "\n")
        log(f"  [{name}] config.json edited: {open(p).read()}")
    log(f"  [{name}] files: {sorted(os.listdir(d))}")

    m2 = hf_load(d)
    # the reloaded weights must be exactly the (rounded) in-memory ones
    sd1, sd2 = model.state_dict(), m2.state_dict()
    wdiff = max(maxdiff(sd1[k], sd2[k]) for k in sd1 if k in sd2)
    mismatch = sorted(set(sd1) ^ set(sd2))
    try:
        tied = model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    except Exception as e:
        tied = f"n/a: {e}"
    keys = saved_keys(d)
    lg = lm_forward(m2, ids)
    gids, margins = greedy(m2, ids)
    info = lm_info(T, lg, margins)
    save_tensors(os.path.join(d, "golden.safetensors"),
                 {"input_ids": ids.to(torch.int32), "logits": lg, "greedy_ids": gids})
    write_json(os.path.join(d, "info.json"), info)
    r = {"reload_weight_maxdiff": wdiff, "reload_key_mismatch": mismatch,
         "inmemory_vs_reloaded_logits": maxdiff(lg_mem, lg), "lm_head_tied_in_memory": tied,
         "lm_head_saved": "lm_head.weight" in keys, "n_saved_tensors": len(keys),
         "rope_reloaded": rope_info(m2), **info}
    r["ids_attempts"] = attempts
    r["generate_check"] = generate_check(m2, ids, gids)
    return r


def pick_ids(model, name, V, T, want=0.02, tries=30):
    """Draw input ids until the greedy continuation has a best-vs-second logit gap of at
    least `want` at every step (so an exact token match is a fair test); else keep the
    draw with the largest minimum gap."""
    best = None
    for attempt in range(tries):
        ids = torch.randint(0, V, (T,), generator=case_gen(name + "/ids", attempt))
        _, margins = greedy(model, ids)
        if best is None or min(margins) > best[1]:
            best = (ids, min(margins), attempt + 1)
        if min(margins) >= want:
            break
    return best[0], best[2]


def generate_check(m, ids, gids):
    """Informative: transformers' own cached generate() (prefill + recurrent/KV steps) vs
    our full-recompute greedy loop: same tokens? how far apart are the step logits?"""
    import transformers

    T = ids.shape[0]
    try:
        gc = transformers.GenerationConfig(max_new_tokens=16, do_sample=False, eos_token_id=None,
                                           pad_token_id=0, output_logits=True, return_dict_in_generate=True)
        # explicit all-ones mask: otherwise generate() infers one from pad_token_id and treats
        # every input token equal to the pad id as padding
        o = m.generate(ids[None], attention_mask=torch.ones_like(ids[None]), generation_config=gc)
        gen = o.sequences[0, T:].to(torch.int32)
        n = min(len(gen), 16)
        same = int((gen[:n] == gids[:n]).int().cumprod(0).sum())  # agreeing prefix length
        seq = torch.cat([ids, gids.long()])
        diffs = [maxdiff(o.logits[i][0], lm_forward(m, seq[:T + i])[-1]) for i in range(min(same + 1, n))]
        return {"tokens": n, "agreeing_prefix": same, "step_logits_maxdiff": max(diffs)}
    except Exception as e:
        return f"n/a: {type(e).__name__}: {e}"[:300]


def legacy_rope(rope_theta, rope_scaling):
    def edit(c):
        c.pop("rope_parameters", None)
        c["rope_theta"] = rope_theta
        c["rope_scaling"] = rope_scaling
    return edit


def hf_cases(pub):
    """name -> (cfg_dict, T, make_hf_case kwargs)."""
    C = {}
    llama3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
              "original_max_position_embeddings": 256}
    C["x_llama_tied"] = (hf_config_from(pub, "llama", dict(
        hidden_size=48, num_attention_heads=8, num_key_value_heads=2, head_dim=8, intermediate_size=96,
        num_hidden_layers=3, tie_word_embeddings=True, attention_bias=True, mlp_bias=True,
        rope_parameters=dict(llama3, rope_theta=500000.0), max_position_embeddings=512)), 53,
        dict(save_dtype=torch.bfloat16, shard="60KB",
             config_edit=legacy_rope(500000.0, dict(llama3))))
    C["x_llama_f16"] = (hf_config_from(pub, "llama", dict(
        hidden_size=48, num_attention_heads=6, num_key_value_heads=3, head_dim=8, intermediate_size=128,
        num_hidden_layers=1, tie_word_embeddings=False,
        rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0})), 41,
        dict(save_dtype=torch.float16))
    C["x_mamba"] = (hf_config_from(pub, "mamba", dict(
        hidden_size=48, intermediate_size=96, expand=2, state_size=8, conv_kernel=3, num_hidden_layers=3,
        use_bias=True, use_conv_bias=True, time_step_rank="auto", tie_word_embeddings=False)), 70,
        dict(config_edit=lambda c: c.update(time_step_rank="auto")))
    C["x_mamba2"] = (hf_config_from(pub, "mamba2", dict(
        hidden_size=48, expand=2, num_heads=12, head_dim=8, n_groups=1, state_size=8, conv_kernel=3,
        chunk_size=8, time_step_limit=[0.01, 0.3], num_hidden_layers=2, use_bias=True,
        tie_word_embeddings=False)), 70, {})
    C["x_mamba2_g4"] = (hf_config_from(pub, "mamba2", dict(
        hidden_size=32, expand=2, num_heads=8, head_dim=8, n_groups=4, state_size=8, conv_kernel=3,
        chunk_size=8, time_step_limit=[0.01, 0.3], num_hidden_layers=2, use_bias=True,
        tie_word_embeddings=False)), 70, {})
    C["x_jamba"] = (hf_config_from(pub, "jamba", dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=5, num_attention_heads=4,
        num_key_value_heads=1, num_experts=3, num_experts_per_tok=1, attn_layer_period=3,
        attn_layer_offset=0, expert_layer_period=2, expert_layer_offset=0, mamba_d_state=8,
        mamba_d_conv=3, mamba_expand=2, mamba_dt_rank=4, mamba_proj_bias=True, mamba_conv_bias=True,
        tie_word_embeddings=False)), 50, {})
    C["x_bamba"] = (hf_config_from(pub, "bamba", dict(
        hidden_size=64, intermediate_size=96, num_hidden_layers=4, num_attention_heads=4,
        num_key_value_heads=1, attn_layer_indices=[0, 3],
        rope_parameters={"partial_rotary_factor": 0.25, "rope_theta": 10000.0, "rope_type": "default"},
        mamba_n_groups=1, mamba_chunk_size=8, mamba_d_head=8, mamba_n_heads=16, mamba_d_state=8,
        mamba_d_conv=3, mamba_expand=2, mamba_proj_bias=True, mamba_conv_bias=True,
        tie_word_embeddings=True), drop=("partial_rotary_factor",)), 50, {})
    C["x_lfm2"] = (hf_config_from(pub, "lfm2", dict(
        hidden_size=64, intermediate_size=96, num_hidden_layers=5, num_attention_heads=8,
        num_key_value_heads=2, conv_L_cache=4, conv_bias=True, block_auto_adjust_ff_dim=False,
        block_ffn_dim_multiplier=1.5,
        layer_types=["full_attention", "conv", "conv", "full_attention", "conv"])), 50, {})
    C["x_xlstm"] = (hf_config_from(pub, "xlstm", dict(
        hidden_size=64, embedding_dim=64, num_heads=8, qk_dim_factor=1.0, v_dim_factor=1.0,
        chunk_size=8, use_bias=True, tie_word_embeddings=True, num_blocks=3,
        num_hidden_layers=3)), 70, {})
    # (weight_mode="fused" is not offered: in transformers 5.17 xLSTMForCausalLM cannot even be
    #  constructed with it -- its _init_weights subtracts a [2*num_heads] tensor from a
    #  [num_heads] slice of the fused gate bias and raises a size-mismatch RuntimeError.)
    return C


# --------------------------------------------------------------------------------------
# NX-AI xlstm: xLSTMLMModel
# --------------------------------------------------------------------------------------
def _dc(cls, d):
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names})


def xlstm_lm_from_config(cfg):
    """Rebuild xLSTMLMModelConfig from the dict stored in config.json."""
    import xlstm

    m = cfg.get("mlstm_block")
    s = cfg.get("slstm_block")
    mb = None
    if m is not None:
        mb = xlstm.mLSTMBlockConfig(mlstm=_dc(xlstm.mLSTMLayerConfig, m["mlstm"]))
    sb = None
    if s is not None:
        ff = s.get("feedforward")
        sb = xlstm.sLSTMBlockConfig(slstm=_dc(xlstm.sLSTMLayerConfig, s["slstm"]),
                                    feedforward=None if ff is None else _dc(xlstm.FeedForwardConfig, ff))
    top = {k: v for k, v in cfg.items() if k not in ("mlstm_block", "slstm_block")}
    return _dc(xlstm.xLSTMLMModelConfig, dict(top, mlstm_block=mb, slstm_block=sb))


def xlstm_lm_run(model, ids):
    logits = model(ids[None])[0].float()
    state, steps = None, []
    for t in range(ids.shape[0]):
        lt, state = model.step(ids[None, t:t + 1], state=state)
        steps.append(lt[0, 0].float())
    return logits, torch.stack(steps)


def verify_xlstm_lm_public(pub):
    import xlstm

    d = os.path.join(pub, "xlstm_lm")
    cfg = json.load(open(os.path.join(d, "config.json")))
    model = xlstm.xLSTMLMModel(xlstm_lm_from_config(cfg)).eval()
    model.load_state_dict(load_file(os.path.join(d, "model.safetensors")), strict=True)
    gold = load_file(os.path.join(d, "golden.safetensors"))
    lg, st = xlstm_lm_run(model, gold["input_ids"].long())
    return {"logits_maxdiff": maxdiff(lg, gold["logits"]), "step_maxdiff": maxdiff(st, gold["step_logits"])}


def make_xlstm_lm(out, name="x_xlstm_lm", T=70):
    import xlstm

    g = case_gen(name)
    torch.manual_seed(zlib.crc32(name.encode()))
    cfg = xlstm.xLSTMLMModelConfig(
        mlstm_block=xlstm.mLSTMBlockConfig(
            mlstm=xlstm.mLSTMLayerConfig(conv1d_kernel_size=3, qkv_proj_blocksize=8, num_heads=2)),
        slstm_block=xlstm.sLSTMBlockConfig(
            slstm=xlstm.sLSTMLayerConfig(backend="vanilla", num_heads=2, conv1d_kernel_size=2,
                                         bias_init="powerlaw_blockdependent"),
            feedforward=xlstm.FeedForwardConfig(proj_factor=1.3, act_fn="gelu", bias=True)),
        context_length=128, num_blocks=3, embedding_dim=48, slstm_at=[0, 2], vocab_size=96,
        bias=True, tie_weights=False)
    model = xlstm.xLSTMLMModel(cfg).eval()
    model.reset_parameters()
    perturb_additive(model, g, 0.05)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    cdict = dataclasses.asdict(cfg)
    cdict["model_type"] = "xlstm_lm"
    cdict["reference"] = "NX-AI xlstm 2.0.5 xLSTMLMModel"
    write_json(os.path.join(d, "config.json"), cdict)
    save_tensors(os.path.join(d, "model.safetensors"), model.state_dict())
    # reload through the config.json path, as a user of the files would
    m2 = xlstm.xLSTMLMModel(xlstm_lm_from_config(json.load(open(os.path.join(d, "config.json"))))).eval()
    m2.load_state_dict(load_file(os.path.join(d, "model.safetensors")), strict=True)
    ids = torch.randint(0, 96, (T,), generator=g)
    lg, st = xlstm_lm_run(m2, ids)
    save_tensors(os.path.join(d, "golden.safetensors"),
                 {"input_ids": ids.to(torch.int32), "logits": lg, "step_logits": st})
    return {"par_vs_step_maxdiff": maxdiff(lg, st), "logits_std": float(lg.std()),
            "logits_absmax": float(lg.abs().max()), "block_map": cfg._block_map,
            "keys": len(model.state_dict())}


# --------------------------------------------------------------------------------------
# LLaDA: LLaMA-shaped bidirectional network in the LLaDA checkpoint layout (our own code;
# names as in LLaDA's modeling file), sampled with the reference generate().
# --------------------------------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        return self.weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


class LLaDABlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        D, H, KV = c["d_model"], c["n_heads"], c["n_kv_heads"]
        hd = D // H
        self.H, self.KV, self.hd, self.theta = H, KV, hd, c["rope_theta"]
        self.attn_norm = RMSNorm(D, c["rms_norm_eps"])
        self.q_proj = nn.Linear(D, H * hd, bias=False)
        self.k_proj = nn.Linear(D, KV * hd, bias=False)
        self.v_proj = nn.Linear(D, KV * hd, bias=False)
        self.attn_out = nn.Linear(H * hd, D, bias=False)
        self.ff_norm = RMSNorm(D, c["rms_norm_eps"])
        self.ff_proj = nn.Linear(D, c["mlp_hidden_size"], bias=False)   # gate (SiLU)
        self.up_proj = nn.Linear(D, c["mlp_hidden_size"], bias=False)
        self.ff_out = nn.Linear(c["mlp_hidden_size"], D, bias=False)     # down

    def rope(self, t):
        T, hd = t.shape[-2], t.shape[-1]
        inv = 1.0 / (self.theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
        fr = torch.outer(torch.arange(T, dtype=torch.int64).float(), inv)
        emb = torch.cat([fr, fr], -1)
        rot = torch.cat([-t[..., hd // 2:], t[..., :hd // 2]], -1)
        return t * emb.cos() + rot * emb.sin()

    def forward(self, x):
        B, T, _ = x.shape
        a = self.attn_norm(x)
        q = self.q_proj(a).view(B, T, self.H, self.hd).transpose(1, 2)
        k = self.k_proj(a).view(B, T, self.KV, self.hd).transpose(1, 2)
        v = self.v_proj(a).view(B, T, self.KV, self.hd).transpose(1, 2)
        q, k = self.rope(q), self.rope(k)
        rep = self.H // self.KV
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        s = (q @ k.transpose(-1, -2)) * self.hd ** -0.5          # no causal mask
        o = (F.softmax(s.float(), -1).to(q.dtype) @ v).transpose(1, 2).reshape(B, T, -1)
        x = x + self.attn_out(o)
        f = self.ff_norm(x)
        return x + self.ff_out(F.silu(self.ff_proj(f)) * self.up_proj(f))


class TinyLLaDA(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        tr = nn.ModuleDict({
            "wte": nn.Embedding(c["embedding_size"], c["d_model"]),
            "blocks": nn.ModuleList([LLaDABlock(c) for _ in range(c["n_layers"])]),
            "ln_f": RMSNorm(c["d_model"], c["rms_norm_eps"]),
        })
        if not c["weight_tying"]:
            tr["ff_out"] = nn.Linear(c["d_model"], c["embedding_size"], bias=False)
        self.model = nn.Module()
        self.model.transformer = tr

    @property
    def device(self):
        return torch.device("cpu")

    def forward(self, input_ids, attention_mask=None):
        if attention_mask is not None:  # generate() passes all-ones masks only
            assert bool((attention_mask == 1).all())
        tr = self.model.transformer
        x = tr["wte"](input_ids)
        for b in tr["blocks"]:
            x = b(x)
        x = tr["ln_f"](x)
        w = tr["wte"].weight if self.c["weight_tying"] else tr["ff_out"].weight
        return types.SimpleNamespace(logits=F.linear(x, w))


class NoisyLogits(nn.Module):
    """Wraps a model and adds uniform noise of +-eps to its logits (stability test)."""

    def __init__(self, m, eps, g):
        super().__init__()
        self.m, self.eps, self.g = m, eps, g

    @property
    def device(self):
        return self.m.device

    def forward(self, input_ids, attention_mask=None):
        lg = self.m(input_ids, attention_mask=attention_mask).logits
        return types.SimpleNamespace(logits=lg + (torch.rand(lg.shape, generator=self.g) * 2 - 1) * self.eps)


def llada_generate(model, prompt, run, mask_id):
    import generate as llada_gen  # ML-GSAI/LLaDA generate.py

    # generate() needs an attention mask when cfg_scale > 0 (it reads attention_mask_ even
    # when none was given), so always pass an all-ones one.
    am = torch.ones_like(prompt[None])
    return llada_gen.generate(model, prompt[None], attention_mask=am, steps=run["steps"],
                              gen_length=run["gen_length"], block_length=run["block_length"],
                              temperature=run["temperature"], cfg_scale=run["cfg_scale"],
                              remasking=run["remasking"], mask_id=mask_id)[0]


def load_llada(d):
    c = json.load(open(os.path.join(d, "config.json")))
    m = TinyLLaDA(c).eval()
    m.load_state_dict(load_file(os.path.join(d, "model.safetensors")), strict=True)
    return m, c


def verify_llada_public(pub):
    d = os.path.join(pub, "llada")
    m, c = load_llada(d)
    gold = load_file(os.path.join(d, "golden.safetensors"))
    info = json.load(open(os.path.join(d, "info.json")))
    r = {"fwd_maxdiff": maxdiff(m(gold["fwd_input_ids"].long()[None]).logits[0], gold["fwd_logits"])}
    for k, run in info.items():
        o = llada_generate(m, gold[k + "_prompt"].long(), run, c["mask_token_id"])
        r[k + "_equal"] = bool(torch.equal(o.to(torch.int32), gold[k + "_output"]))
    return r


def llada_crosscheck_llama(m, c, ids):
    """Informative: the same weights in transformers' LlamaForCausalLM with the causal mask
    disabled (all-zero additive 4D mask) should give the same logits."""
    import transformers

    cfg = transformers.LlamaConfig(
        vocab_size=c["embedding_size"], hidden_size=c["d_model"], intermediate_size=c["mlp_hidden_size"],
        num_hidden_layers=c["n_layers"], num_attention_heads=c["n_heads"], num_key_value_heads=c["n_kv_heads"],
        rms_norm_eps=c["rms_norm_eps"], max_position_embeddings=c["max_sequence_length"],
        rope_parameters={"rope_type": "default", "rope_theta": c["rope_theta"]},
        tie_word_embeddings=c["weight_tying"], attention_bias=False, mlp_bias=False)
    cfg._attn_implementation = "eager"
    lm = transformers.LlamaForCausalLM(cfg).eval()
    ren = {"attn_norm": "input_layernorm", "q_proj": "self_attn.q_proj", "k_proj": "self_attn.k_proj",
           "v_proj": "self_attn.v_proj", "attn_out": "self_attn.o_proj", "ff_norm": "post_attention_layernorm",
           "ff_proj": "mlp.gate_proj", "up_proj": "mlp.up_proj", "ff_out": "mlp.down_proj"}
    sd = {}
    for k, v in m.state_dict().items():
        k = k[len("model.transformer."):]
        if k.startswith("blocks."):
            _, i, mod, w = k.split(".")
            sd[f"model.layers.{i}.{ren[mod]}.{w}"] = v
        elif k == "wte.weight":
            sd["model.embed_tokens.weight"] = v
        elif k == "ln_f.weight":
            sd["model.norm.weight"] = v
        elif k == "ff_out.weight":
            sd["lm_head.weight"] = v
    if c["weight_tying"]:
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    lm.load_state_dict(sd, strict=True)
    T = ids.shape[0]
    mask = torch.zeros(1, 1, T, T)
    lg = lm(input_ids=ids[None], attention_mask=mask, use_cache=False).logits[0]
    return maxdiff(lg, m(ids[None]).logits[0])


def make_llada(out, name="x_llada", try_hf=True):
    c = {
        "architectures": ["LLaDAModelLM"], "model_type": "llada", "d_model": 64, "n_heads": 4,
        "n_kv_heads": 2, "n_layers": 3, "mlp_hidden_size": 128, "vocab_size": 96, "embedding_size": 96,
        "max_sequence_length": 512, "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "mask_token_id": 95,
        "weight_tying": True, "include_bias": False, "include_qkv_bias": False, "block_type": "llama",
        "activation_type": "silu", "layer_norm_type": "rms", "rope": True, "alibi": False,
        "flash_attention": False, "eos_token_id": 94, "pad_token_id": 93,
    }
    g = case_gen(name)
    m = TinyLLaDA(c).eval()
    for k, p in m.named_parameters():
        if p.dim() == 1:
            p.copy_(1.0 + torch.randn(p.shape, generator=g) * 0.05)
        elif k.endswith("wte.weight"):  # tied: also the LM head -> larger spread of logits
            p.copy_(torch.randn(p.shape, generator=g) * 0.25)
            # a small [MASK] row: with tied weights a masked position would otherwise tend to
            # predict the mask id itself (its own input embedding), leaving masks in the output
            p[c["mask_token_id"]] *= 0.1
        else:
            p.copy_(torch.randn(p.shape, generator=g) * 0.094)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), c)
    save_tensors(os.path.join(d, "model.safetensors"), m.state_dict())
    m, c = load_llada(d)
    mask = c["mask_token_id"]
    # forward check: prompt, a run of masks, a few more tokens, scattered masks
    fwd = torch.randint(0, 93, (33,), generator=g)
    fwd[9:24] = mask
    fwd[28] = mask
    fwd[31] = mask
    fwd_logits = m(fwd[None]).logits[0]
    tensors = {"fwd_input_ids": fwd.to(torch.int32), "fwd_logits": fwd_logits}
    runs = {
        # blocks of 10 in 3 steps each: 4,3,3 tokens per step (remainder goes first)
        "run0": dict(prompt_len=9, steps=6, gen_length=20, block_length=10),
        # 4 blocks of 6, 3 steps each
        "run1": dict(prompt_len=5, steps=12, gen_length=24, block_length=6),
        # classifier-free guidance, one block, 5 steps: 4,3,3,3,3
        "run2": dict(prompt_len=7, steps=5, gen_length=16, block_length=16, cfg_scale=2.0),
        # one token per step, blocks of 4
        "run3": dict(prompt_len=4, steps=12, gen_length=12, block_length=4),
    }
    info, r = {}, {}
    for k, spec in runs.items():
        run = {"prompt_len": spec["prompt_len"], "steps": spec["steps"], "gen_length": spec["gen_length"],
               "block_length": spec["block_length"], "cfg_scale": spec.get("cfg_scale", 0.0),
               "remasking": "low_confidence", "temperature": 0.0}
        for attempt in range(50):
            gp = case_gen(name + k, attempt)
            prompt = torch.randint(0, 93, (run["prompt_len"],), generator=gp)
            o = llada_generate(m, prompt, run, mask)
            stable = all(torch.equal(llada_generate(NoisyLogits(m, 2e-4, case_gen(name + k + "n", t)),
                                                    prompt, run, mask), o) for t in range(12))
            if stable:
                break
        assert stable, k
        info[k] = run
        tensors[k + "_prompt"] = prompt.to(torch.int32)
        tensors[k + "_output"] = o.to(torch.int32)
        r[k] = {"attempts": attempt + 1, "output": o.tolist()}
    save_tensors(os.path.join(d, "golden.safetensors"), tensors)
    write_json(os.path.join(d, "info.json"), info)
    r["fwd_logits_std"] = float(fwd_logits.std())
    if try_hf:
        try:
            r["llama_bidirectional_crosscheck_maxdiff"] = llada_crosscheck_llama(m, c, fwd)
        except Exception as e:
            r["llama_bidirectional_crosscheck_maxdiff"] = f"n/a: {type(e).__name__}: {e}"[:300]
    return r


# --------------------------------------------------------------------------------------
# ncps: CfC / wired CfC / LTC
# --------------------------------------------------------------------------------------
def ncps_wiring(spec):
    from ncps import wirings

    spec = dict(spec)
    kind = spec.pop("type")
    return getattr(wirings, kind)(**spec)


def ncps_build(c):
    """Construct the ncps module from our config.json (the state dict then supplies all
    weights, including the sparsity masks)."""
    from ncps import wirings
    from ncps.torch import CfC, LTC

    if c["model_type"] in ("cfc",):
        return CfC(c["input_size"], c["units"], proj_size=c["proj_size"], mixed_memory=c["mixed_memory"],
                   mode=c["mode"], activation=c["activation"], backbone_units=c["backbone_units"],
                   backbone_layers=c["backbone_layers"], backbone_dropout=c.get("backbone_dropout", 0.0))
    if c["model_type"] == "wired_cfc":
        w = ncps_wiring(c["wiring"]) if "wiring" in c else wirings.AutoNCP(c["units"], c["output_size"])
        m = CfC(c["input_size"], w, proj_size=c.get("proj_size"), mixed_memory=c.get("mixed_memory", False),
                mode=c["mode"])
        assert m.rnn_cell.layer_sizes == c["layer_sizes"], (m.rnn_cell.layer_sizes, c["layer_sizes"])
        return m
    if c["model_type"] == "ltc":
        if "wiring" in c:
            units = ncps_wiring(c["wiring"])
        elif c["output_size"] < c["units"]:
            units = wirings.AutoNCP(c["units"], c["output_size"])
        else:
            units = c["units"]
        return LTC(c["input_size"], units, mixed_memory=c.get("mixed_memory", False),
                   input_mapping=c["input_mapping"], output_mapping=c["output_mapping"],
                   ode_unfolds=c["ode_unfolds"], epsilon=c["epsilon"],
                   implicit_param_constraints=c["implicit_param_constraints"])
    raise ValueError(c["model_type"])


def ncps_run(m, x, ts):
    y, hx = m(x[None], timespans=ts[None])
    out = {"outputs": y[0]}
    if isinstance(hx, tuple):
        out["h_final"], out["c_final"] = hx[0][0], hx[1][0]
    else:
        out["h_final"] = hx[0]
    return out


def verify_ncps_public(pub, name):
    d = os.path.join(pub, name)
    c = json.load(open(os.path.join(d, "config.json")))
    m = ncps_build(c).eval()
    m.load_state_dict(load_file(os.path.join(d, "model.safetensors")), strict=True)
    gold = load_file(os.path.join(d, "golden.safetensors"))
    o = ncps_run(m, gold["inputs"], gold["timespans"])
    return {k: maxdiff(v, gold[k]) for k, v in o.items()}


REF_NCPS = "ncps 1.0.1 torch"


def ncps_cases():
    ncp = {"type": "NCP", "inter_neurons": 10, "command_neurons": 8, "motor_neurons": 4, "sensory_fanout": 4,
           "inter_fanout": 4, "recurrent_command_synapses": 4, "motor_fanin": 4, "seed": 22222}
    ncp_ltc = {"type": "NCP", "inter_neurons": 8, "command_neurons": 6, "motor_neurons": 3, "sensory_fanout": 3,
               "inter_fanout": 3, "recurrent_command_synapses": 3, "motor_fanin": 3, "seed": 12345}

    def cfc(**kw):
        c = {"model_type": "cfc", "input_size": 5, "units": 16, "proj_size": None, "mode": "default",
             "activation": "lecun_tanh", "backbone_units": 24, "backbone_layers": 1, "backbone_dropout": 0.0,
             "mixed_memory": False, "reference": REF_NCPS}
        c.update(kw)
        return c

    def ltc(**kw):
        c = {"model_type": "ltc", "input_size": 5, "units": 12, "output_size": 12, "ode_unfolds": 6,
             "epsilon": 1e-08, "implicit_param_constraints": True, "input_mapping": "affine",
             "output_mapping": "affine", "mixed_memory": False, "reference": REF_NCPS}
        c.update(kw)
        return c

    return {
        # no backbone: ff1/ff2/time_a/time_b read concat(input, h) directly
        "x_cfc_nobb": cfc(backbone_units=0, backbone_layers=0, units=14, proj_size=None),
        # pure (direct solution) mode, relu backbone of 3 layers (Sequential indices 0, 2, 4)
        "x_cfc_pure_relu": cfc(mode="pure", activation="relu", backbone_layers=3, backbone_units=20,
                               proj_size=4),
        # no_gate mode, gelu backbone, LSTM mixed memory, projection
        "x_cfc_gelu_nogate": cfc(mode="no_gate", activation="gelu", mixed_memory=True, units=12,
                                 backbone_units=16, proj_size=3),
        # silu backbone of 3 layers WITH dropout>0: the Dropout modules shift the Sequential
        # indices (backbone.0, .2, .5) although they are identity at inference
        "x_cfc_silu": cfc(activation="silu", backbone_layers=3, backbone_units=20, backbone_dropout=0.1,
                          input_size=4, proj_size=2),
        # CfC on an explicit NCP wiring (inter 10, command 8, motor 4)
        "x_cfc_ncp": {"model_type": "wired_cfc", "input_size": 6, "units": 22, "output_size": 4,
                      "layer_sizes": [10, 8, 4], "mode": "default", "proj_size": None,
                      "mixed_memory": False, "wiring": ncp, "reference": REF_NCPS},
        # LTC with LSTM mixed memory and NO implicit constraints (raw positive params)
        "x_ltc_mixed": ltc(units=10, output_size=10, mixed_memory=True, implicit_param_constraints=False,
                           input_size=4),
        # linear input/output mappings (no biases), 3 ODE unfolds
        "x_ltc_linear": ltc(input_mapping="linear", output_mapping="linear", ode_unfolds=3),
        # LTC on an explicit NCP wiring (inter 8, command 6, motor 3); output = motor neurons 0..2
        "x_ltc_ncp": ltc(units=17, output_size=3, wiring=ncp_ltc, input_size=5),
    }


def make_ncps(out, name, c, T=40):
    g = case_gen(name)
    torch.manual_seed(zlib.crc32(name.encode()))
    m = ncps_build(c).eval()
    perturb_additive(m, g, 0.05)
    sd = m.state_dict()
    for k, p in m.named_parameters():
        if k.endswith(".A") or k.endswith(".w_tau"):  # pure mode: ones/zeros at init
            p.copy_(-0.6 + 1.2 * torch.rand(p.shape, generator=g))
        if c["model_type"] == "ltc" and not c["implicit_param_constraints"] and \
                k.split(".")[-1] in ("w", "sensory_w", "cm", "gleak"):
            p.copy_(p.abs() + 0.01)  # these must be positive without the softplus
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), c)
    save_tensors(os.path.join(d, "model.safetensors"), sd)
    m2 = ncps_build(c).eval()
    m2.load_state_dict(load_file(os.path.join(d, "model.safetensors")), strict=True)
    x = torch.randn(T, c["input_size"], generator=g)
    ts = 0.2 + 1.8 * torch.rand(T, generator=g)
    o = ncps_run(m2, x, ts)
    save_tensors(os.path.join(d, "golden.safetensors"), {"inputs": x, "timespans": ts, **o})
    return {"keys": sorted(sd), "outputs_std": float(o["outputs"].std()),
            "outputs_absmax": float(o["outputs"].abs().max())}


# --------------------------------------------------------------------------------------
def run_step(section, key, fn):
    log(f"== {section}: {key}")
    try:
        r = fn()
        log(f"   {json.dumps(r, default=str)}")
    except Exception as e:
        traceback.print_exc()
        sys.stdout.flush()
        r = {"ERROR": f"{type(e).__name__}: {e}"}
    REPORT[section][key] = r
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder (one sub-folder per case)")
    ap.add_argument("--public", default=os.path.join(os.path.dirname(__file__), "..", "tests", "golden"),
                    help="public golden cases (for verification and as config templates)")
    ap.add_argument("--nx-xlstm", default="",
                    help="folder holding the NX-AI `xlstm` package; it is put on sys.path only after "
                         "all transformers work, since transformers' xLSTM switches to the external "
                         "mlstm_kernels path whenever `xlstm` is importable")
    ap.add_argument("--cases", default="", help="comma-separated subset of case names")
    ap.add_argument("--no-hf", action="store_true", help="skip everything that needs transformers")
    ap.add_argument("--no-verify", action="store_true", help="skip re-running the public cases")
    ap.add_argument("--report", default="", help="write a JSON summary of all checks here")
    a = ap.parse_args()
    pub = a.public
    os.makedirs(a.out, exist_ok=True)
    want = set(filter(None, a.cases.split(",")))
    sel = (lambda n: not want or n in want)
    log(f"torch {torch.__version__}")

    # 1. transformers (first: NX-AI xlstm must not be importable yet, see --nx-xlstm)
    if not a.no_hf:
        import importlib.util
        import transformers

        log(f"transformers {transformers.__version__}")
        if importlib.util.find_spec("xlstm") is not None:
            log("WARNING: an `xlstm` package is importable; transformers' xLSTM will not use its "
                "native kernels. Pass NX-AI xlstm with --nx-xlstm instead of PYTHONPATH.")
        if not a.no_verify:
            for n in ("llama", "mamba", "mamba2", "jamba", "bamba", "lfm2", "xlstm"):
                run_step("verify", n, lambda n=n: verify_hf_public(pub, n))
        for n, (cfg, T, kw) in hf_cases(pub).items():
            if sel(n):
                run_step("cases", n, lambda n=n, cfg=cfg, T=T, kw=kw: make_hf_case(a.out, n, cfg, T, **kw))

    # 2. ncps, NX-AI xlstm, LLaDA
    if a.nx_xlstm:
        sys.path.insert(0, os.path.abspath(a.nx_xlstm))
    if not a.no_verify:
        for n in ("cfc_default", "cfc_pure", "cfc_nogate", "cfc_mixed", "cfc_wired", "ltc", "ltc_wired"):
            run_step("verify", n, lambda n=n: verify_ncps_public(pub, n))
        run_step("verify", "xlstm_lm", lambda: verify_xlstm_lm_public(pub))
        run_step("verify", "llada", lambda: verify_llada_public(pub))
    for n, c in ncps_cases().items():
        if sel(n):
            run_step("cases", n, lambda n=n, c=c: make_ncps(a.out, n, c))
    if sel("x_xlstm_lm"):
        run_step("cases", "x_xlstm_lm", lambda: make_xlstm_lm(a.out))
    if sel("x_llada"):
        run_step("cases", "x_llada", lambda: make_llada(a.out, try_hf=not a.no_hf))

    if a.report:
        write_json(a.report, REPORT)
    bad = [f"{s}/{k}" for s in REPORT for k, v in REPORT[s].items() if isinstance(v, dict) and "ERROR" in v]
    log("FAILED: " + (", ".join(bad) if bad else "none"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
