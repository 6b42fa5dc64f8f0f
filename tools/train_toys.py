#!/usr/bin/env python3
"""Train the toy models that ship in models/ (run where PyTorch, transformers and a GPU are; never in CI).

Byte-level language models (vocabulary 256, no tokenizer) of about 1-1.5M parameters, trained on the
Debian `fortunes` data files, plus a CfC on a synthetic irregularly sampled oscillator:

  models/hybrid          BambaForCausalLM  (Mamba-2 + attention; the model `make run` uses)
  models/mamba           MambaForCausalLM
  models/xlstm           xLSTMForCausalLM  (transformers' native mLSTM)
  models/lfm2            Lfm2ForCausalLM   (short convolutions + attention)
  models/llada           LLaDA-style masked-diffusion model (bidirectional LLaMA-shaped network in the
                         LLaDA checkpoint layout, vocabulary 257 = bytes + [MASK] 256)
  models/cfc_oscillator  CfC (ncps semantics, our own torch code) predicting the next sample

Steps
  1. once, on a machine with the Debian packages `fortunes` and `fortunes-min`:
        python3 tools/train_toys.py --prepare-data
     writes models/data/fortunes.txt (training text) and models/data/heldout.txt (held-out text).
  2. on the GPU machine (every model in its own process, all at once on one GPU; the Mamba, whose
     transformers implementation is a Python loop over time steps, alone after the others):
        python3 tools/train_toys.py --out models
     or a subset: --only hybrid,mamba.  --seconds-scale 0.02 gives a smoke test; --pack F.tar.gz
     also writes the results into an archive.

Each model trains for a fixed wall-clock budget (cosine learning rate over that budget), so a re-run
gives similar, not identical, numbers. Checkpoints are chosen on a validation slice of the training text
(never on heldout.txt). After training the weights are rounded to F16, saved as an ordinary Hugging Face
folder, RELOADED from disk in float32 on the CPU and evaluated there: eval.json holds the bits per byte on
models/data/heldout.txt, computed exactly as `seqmix eval` computes it:

  the file is cut into consecutive windows of 256 bytes (no overlap; a last shorter window counts if it
  has at least 2 bytes); each window starts from an empty state; bits per byte is the mean over all
  windows' positions 1..len-1 of -log2 p(byte_t | bytes of the window before t), log-softmax in float64.

`prefix_bpb` is the same over the first `prefix_bytes` bytes and `prefix_window_bpb` lists its windows
one by one (tests/t_models.c checks seqmix against the mean over the first 16 of them).
"""
import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WINDOW = 256            # training sequence length and evaluation window (bytes)
PREFIX = 8192           # eval.json lists the bits per byte of each window of this prefix
VALID_BYTES = 65536     # tail of fortunes.txt kept out of training, used to pick the checkpoint

# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------
# Debian fortunes data files (packages fortunes-min and fortunes). ascii-art holds pictures, not
# prose; every other file is English text.
FORTUNE_FILES = [
    "art", "computers", "cookie", "debian", "definitions", "disclaimer", "drugs", "education", "ethnic",
    "food", "fortunes", "goedel", "humorists", "kids", "knghtbrd", "law", "linux", "linuxcookie",
    "literature", "love", "magic", "medicine", "men-women", "miscellaneous", "news", "paradoxum", "people",
    "perl", "pets", "platitudes", "politics", "pratchett", "riddles", "science", "songs-poems", "sports",
    "startrek", "tao", "translate-me", "wisdom", "work", "zippy",
]


def clean_fortune_text(raw):
    """bytes -> ASCII str: overstrikes ("c<BS>") removed, other control bytes except \\n and \\t dropped,
    non-ASCII bytes dropped (a handful in the whole corpus), trailing blanks stripped."""
    s = raw.decode("latin-1")
    while True:
        t = re.sub(r"[^\n]\x08", "", s)
        if t == s:
            break
        s = t
    s = "".join(ch for ch in s if ch in "\n\t" or 32 <= ord(ch) < 127)
    return "\n".join(line.rstrip() for line in s.split("\n"))


def prepare_data(src, out_dir, heldout_bytes=32768, seed=2024):
    """Split every file into fortunes (separated by lines holding a single '%'), shuffle them with a
    fixed seed, write about `heldout_bytes` of whole fortunes to heldout.txt and the rest to
    fortunes.txt. Each fortune is written as its text followed by a line '%' (the fortune format)."""
    fortunes = []
    used = []
    for name in FORTUNE_FILES:
        p = os.path.join(src, name)
        if not os.path.exists(p):
            continue
        used.append(name)
        text = clean_fortune_text(open(p, "rb").read())
        for f in re.split(r"(?m)^%$", text):
            f = f.strip("\n")
            if f.strip():
                fortunes.append(f + "\n%\n")
    if not fortunes:
        raise SystemExit(f"no fortune files found in {src} (apt-get install fortunes fortunes-min)")
    rng = random.Random(seed)
    rng.shuffle(fortunes)
    held, train, n = [], [], 0
    for f in fortunes:
        if n + len(f) <= heldout_bytes and len(held) < len(fortunes) // 20:
            held.append(f)
            n += len(f)
        else:
            train.append(f)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "fortunes.txt"), "w", newline="\n") as fh:
        fh.write("".join(train))
    with open(os.path.join(out_dir, "heldout.txt"), "w", newline="\n") as fh:
        fh.write("".join(held))
    info = {"source": src, "files": used, "fortunes": len(fortunes), "train_fortunes": len(train),
            "heldout_fortunes": len(held), "train_bytes": sum(map(len, train)), "heldout_bytes": n,
            "seed": seed}
    print(json.dumps(info, indent=1))
    return info


# ---------------------------------------------------------------------------------------------
# What to train
# ---------------------------------------------------------------------------------------------
# Hugging Face families start from the public golden case's config.json (every key one that
# transformers 5.17 writes) with these overrides.
BYTES = dict(vocab_size=256, bos_token_id=0, eos_token_id=0, pad_token_id=0, initializer_range=0.02)

SPECS = {
    "hybrid": dict(kind="hf", base="bamba", seconds=380, lr=2e-3, batch=96, cfg=dict(
        BYTES, hidden_size=160, intermediate_size=256, num_hidden_layers=5, attn_layer_indices=[2, 4],
        num_attention_heads=4, num_key_value_heads=2, mamba_n_heads=10, mamba_d_head=32, mamba_n_groups=1,
        mamba_d_state=32, mamba_d_conv=4, mamba_expand=2, mamba_chunk_size=64, mamba_conv_bias=True,
        mamba_proj_bias=False, tie_word_embeddings=True, max_position_embeddings=4096)),
    # transformers' Mamba runs a Python loop over time steps when the mamba-ssm kernels are absent: it is
    # launch-bound, so it trains on 128-byte windows (a larger batch) and alone on the GPU
    "mamba": dict(kind="hf", base="mamba", seconds=240, lr=3e-3, batch=256, seq=128, alone=True, cfg=dict(
        BYTES, hidden_size=192, intermediate_size=384, expand=2, state_size=16, conv_kernel=4,
        num_hidden_layers=4, time_step_rank=12, use_bias=False, use_conv_bias=True, tie_word_embeddings=True)),
    "xlstm": dict(kind="hf", base="xlstm", seconds=300, lr=2e-3, batch=96, cfg=dict(
        BYTES, hidden_size=128, embedding_dim=128, num_heads=4, num_blocks=6, num_hidden_layers=6,
        qk_dim_factor=0.5, v_dim_factor=1.0, chunk_size=64, use_bias=False, tie_word_embeddings=False)),
    "lfm2": dict(kind="hf", base="lfm2", seconds=300, lr=2e-3, batch=96, cfg=dict(
        BYTES, hidden_size=160, intermediate_size=256, num_hidden_layers=6, num_attention_heads=4,
        num_key_value_heads=2, conv_L_cache=3, conv_bias=False, block_auto_adjust_ff_dim=False,
        layer_types=["conv", "conv", "full_attention", "conv", "conv", "full_attention"],
        max_position_embeddings=4096, tie_word_embeddings=True)),
    "llada": dict(kind="llada", seconds=300, lr=2e-3, batch=96, cfg={
        "architectures": ["LLaDAModelLM"], "model_type": "llada", "d_model": 160, "n_heads": 5,
        "n_kv_heads": 5, "n_layers": 4, "mlp_hidden_size": 416, "vocab_size": 257, "embedding_size": 257,
        "max_sequence_length": 256, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "mask_token_id": 256,
        "weight_tying": True, "include_bias": False, "include_qkv_bias": False, "block_type": "llama",
        "activation_type": "silu", "layer_norm_type": "rms", "rope": True, "alibi": False,
        "flash_attention": False, "eos_token_id": 0, "pad_token_id": 0}),
    "cfc_oscillator": dict(kind="cfc", seconds=240, lr=3e-3, batch=256, cfg={
        "model_type": "cfc", "input_size": 2, "units": 32, "proj_size": 1, "mode": "default",
        "activation": "lecun_tanh", "backbone_units": 64, "backbone_layers": 1, "backbone_dropout": 0.0,
        "mixed_memory": False}),
}
ORDER = ["hybrid", "mamba", "xlstm", "lfm2", "llada", "cfc_oscillator"]


def autocast(on):
    """bf16 autocast on CUDA when on, else nothing."""
    import contextlib
    import torch
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16) if on else contextlib.nullcontext()


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


def write_json(path, obj):
    with open(path, "w") as f:
        f.write(json.dumps(obj, indent=1) + "\n")


def import_make_golden():
    """tools/make_golden.py (config templates, TinyLLaDA). It switches autograd off at import."""
    import torch
    sys.path.insert(0, HERE)
    import make_golden
    torch.set_grad_enabled(True)
    return make_golden


# ---------------------------------------------------------------------------------------------
# Evaluation (float32, CPU, on the weights as saved)
# ---------------------------------------------------------------------------------------------
def windows_of(data, window):
    """Consecutive windows of `window` bytes; a last shorter one counts if it has >= 2 bytes."""
    out = [data[i:i + window] for i in range(0, len(data), window)]
    return [w for w in out if len(w) >= 2]


def lm_bits(logits_fn, data, window, batch=32):
    """Per-window sums of -log2 p and counts (see the module docstring). logits_fn(ids [B, T] long) ->
    logits [B, T, V] float32."""
    import torch
    sums, counts = [], []
    ws = windows_of(data, window)
    i = 0
    while i < len(ws):
        L = len(ws[i])
        j = i
        while j < len(ws) and len(ws[j]) == L and j - i < batch:
            j += 1
        ids = torch.tensor([list(w) for w in ws[i:j]], dtype=torch.long)
        with torch.no_grad():
            lg = logits_fn(ids).double()
        lp = torch.log_softmax(lg[:, :-1], -1).gather(-1, ids[:, 1:, None])[..., 0]   # [B, L-1]
        for r in range(lp.shape[0]):
            sums.append(float(-lp[r].sum()) / math.log(2.0))
            counts.append(L - 1)
        i = j
    return sums, counts


def bpb_record(logits_fn, heldout):
    sums, counts = lm_bits(logits_fn, heldout, WINDOW)
    nwin_prefix = len(windows_of(heldout[:PREFIX], WINDOW))
    assert all(c == WINDOW - 1 for c in counts[:nwin_prefix]) or len(heldout) < PREFIX
    full = sum(sums) / sum(counts)
    pre = sum(sums[:nwin_prefix]) / sum(counts[:nwin_prefix])
    return {"heldout_bpb": full, "heldout_nats_per_byte": full * math.log(2.0), "window": WINDOW,
            "file": "models/data/heldout.txt", "bytes": len(heldout), "windows": len(sums),
            "prefix_bytes": min(PREFIX, len(heldout)), "prefix_bpb": pre,
            "prefix_window_bpb": [s / c for s, c in zip(sums[:nwin_prefix], counts[:nwin_prefix])]}


def sample_text(logits_fn, prompt=b"The ", n=200, temperature=0.8, seed=1):
    """Sampled continuation (full recomputation each step, context cut to the last WINDOW bytes)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    seq = list(prompt)
    for _ in range(n):
        ids = torch.tensor([seq[-WINDOW:]], dtype=torch.long)
        with torch.no_grad():
            lg = logits_fn(ids)[0, -1, :256].double()
        p = torch.softmax(lg / temperature, -1)
        seq.append(int(torch.multinomial(p, 1, generator=g)))
    return bytes(seq).decode("ascii", "replace")


# ---------------------------------------------------------------------------------------------
# Training loop shared by all token models
# ---------------------------------------------------------------------------------------------
class Batcher:
    """Random windows of seq + 1 bytes of the training text: [batch, seq + 1] ids."""

    def __init__(self, data, dev, batch, seed, seq=WINDOW):
        import torch
        self.t = torch.tensor(list(data), dtype=torch.uint8, device=dev)
        self.g = torch.Generator(device=dev).manual_seed(seed)
        self.ar = torch.arange(seq + 1, device=dev)
        self.batch, self.dev, self.seq = batch, dev, seq

    def __call__(self):
        import torch
        off = torch.randint(0, self.t.numel() - self.seq - 1, (self.batch, 1), device=self.dev, generator=self.g)
        return self.t[off + self.ar].long()                     # [B, seq + 1]


def param_groups(model, wd):
    decay, rest = [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.dim() >= 2 and "embed" not in n and "wte" not in n else rest).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}]


def train_loop(name, model, loss_fn, batcher, valid_fn, seconds, lr, dev, warmup=150, wd=0.1,
               log_every=100, valid_every=20.0):
    """AdamW, cosine learning rate over the wall-clock budget (to 10% of the peak) after a linear
    warmup; bf16 autocast on CUDA (falls back to float32 if a step fails or goes non-finite);
    keeps the parameters with the best validation loss."""
    import torch
    opt = torch.optim.AdamW(param_groups(model, wd), lr=lr, betas=(0.9, 0.95), eps=1e-8,
                            **({"fused": True} if dev == "cuda" else {}))
    amp = dev == "cuda"
    best = (float("inf"), None, 0)
    hist = []
    t0 = time.time()
    last_valid = t0
    step, tokens, ema = 0, 0, None
    model.train()
    while True:
        el = time.time() - t0
        if el >= seconds:
            break
        frac = el / seconds
        cur = lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.45 * (1.0 + math.cos(math.pi * frac)))
        for gr in opt.param_groups:
            gr["lr"] = cur
        xy = batcher()
        try:
            with autocast(amp):
                loss = loss_fn(model, xy)
            opt.zero_grad(set_to_none=True)
            loss.backward()
        except Exception:
            if not amp:
                raise
            log(f"{name}: step {step} failed under bf16 autocast; continuing in float32")
            traceback.print_exc()
            amp = False
            opt.zero_grad(set_to_none=True)
            continue
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += xy.shape[0] * xy.shape[1]
        do_valid = time.time() - last_valid >= valid_every
        if step % log_every == 0 or do_valid:
            lv = float(loss.detach())
            if not math.isfinite(lv):
                log(f"{name}: non-finite loss at step {step}; restoring the best parameters, float32, lr/2")
                if best[1] is not None:
                    model.load_state_dict(best[1])
                opt = torch.optim.AdamW(param_groups(model, wd), lr=lr, betas=(0.9, 0.95))
                amp, lr = False, lr / 2
                continue
            ema = lv if ema is None else 0.8 * ema + 0.2 * lv
        if do_valid:
            last_valid = time.time()
            model.eval()
            v = valid_fn(model)
            model.train()
            hist.append((round(time.time() - t0, 1), step, round(ema, 4), round(v, 4)))
            log(f"{name}: {el:6.1f}s step {step:6d} lr {cur:.2e} train {ema:.4f} valid {v:.4f} "
                f"({tokens / max(el, 1e-9) / 1e3:.0f} k tok/s){' amp' if amp else ''}")
            if v < best[0]:
                best = (v, {k: t.detach().clone() for k, t in model.state_dict().items()}, step)
    model.eval()
    v = valid_fn(model)
    hist.append((round(time.time() - t0, 1), step, round(ema or 0.0, 4), round(v, 4)))
    if best[1] is not None and best[0] < v:
        model.load_state_dict(best[1])
        v, at = best[0], best[2]
    else:
        at = step
    log(f"{name}: done, {step} steps, {tokens / 1e6:.1f} M tokens in {time.time() - t0:.0f} s; "
        f"kept step {at}, valid {v:.4f}")
    return {"steps": step, "tokens": tokens, "train_seconds": round(time.time() - t0, 1), "kept_step": at,
            "valid_loss": v, "bf16_autocast": amp, "history": hist}


def lm_loss(logits_of):
    def f(model, xy):
        import torch.nn.functional as F
        lg = logits_of(model, xy[:, :-1])
        return F.cross_entropy(lg.float().reshape(-1, lg.shape[-1]), xy[:, 1:].reshape(-1))
    return f


def lm_valid(logits_of, valid, dev, nwin=64):
    """Mean next-byte loss (nats) on the first nwin windows of the validation slice."""
    import torch
    import torch.nn.functional as F
    ws = [valid[i:i + WINDOW + 1] for i in range(0, len(valid) - WINDOW - 1, WINDOW + 1)][:nwin]
    ids = torch.tensor([list(w) for w in ws], dtype=torch.long, device=dev)

    def f(model):
        with torch.no_grad(), autocast(dev == "cuda"):
            lg = logits_of(model, ids[:, :-1])
        return float(F.cross_entropy(lg.float().reshape(-1, lg.shape[-1]), ids[:, 1:].reshape(-1)))
    return f


# ---------------------------------------------------------------------------------------------
# Hugging Face families
# ---------------------------------------------------------------------------------------------
def hf_build(cfg_dict):
    import torch
    import transformers
    tmp = tempfile.mkdtemp()
    try:
        write_json(os.path.join(tmp, "config.json"), cfg_dict)
        cfg = transformers.AutoConfig.from_pretrained(tmp)
    finally:
        shutil.rmtree(tmp)
    return getattr(transformers, cfg_dict["architectures"][0])(cfg).float()


def round_params(model):
    """Round the float32 parameters to F16 values in place (BF16 if some value does not fit F16)."""
    import torch
    dt = torch.float16
    for p in model.parameters():
        if not torch.isfinite(p.detach().to(torch.float16)).all():
            dt = torch.bfloat16
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dt).float())
    return dt


def n_params(model):
    seen, n = set(), 0
    for p in model.parameters():
        if p.data_ptr() not in seen:
            seen.add(p.data_ptr())
            n += p.numel()
    return n


def run_hf(name, spec, out, seconds, dev, data):
    import torch
    import transformers
    mg = import_make_golden()
    cfg = mg.hf_config_from(os.path.join(ROOT, "tests", "golden"), spec["base"], spec["cfg"],
                            drop=spec.get("drop", ()))
    torch.manual_seed(zlib.crc32(name.encode()))
    model = hf_build(cfg).to(dev)
    log(f"{name}: {cfg['architectures'][0]}, {n_params(model)} parameters")

    def logits_of(m, ids):
        return m(input_ids=ids, use_cache=False).logits

    seq = spec.get("seq", WINDOW)
    stats = train_loop(name, model, lm_loss(logits_of), Batcher(data["train"], dev, spec["batch"], 7, seq),
                       lm_valid(logits_of, data["valid"], dev), seconds, spec["lr"], dev)
    stats.update(train_seq=seq, batch=spec["batch"], peak_lr=spec["lr"])
    model = model.to("cpu").float().eval()
    dt = round_params(model)
    d = os.path.join(out, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    model.to(dt).save_pretrained(d)
    # evaluate what a user of the folder gets: reload in float32 on the CPU
    m2 = getattr(transformers, cfg["architectures"][0]).from_pretrained(d, dtype=torch.float32).eval()
    fn = lambda ids: logits_of(m2, ids).float()
    rec = bpb_record(fn, data["heldout"])
    rec.update(family=cfg["architectures"][0], params=n_params(m2), dtype=str(dt).replace("torch.", ""),
               weight_bytes=os.path.getsize(os.path.join(d, "model.safetensors")), **stats)
    rec["sample"] = sample_text(fn)
    write_json(os.path.join(d, "eval.json"), rec)
    log(f"{name}: heldout {rec['heldout_bpb']:.4f} bits/byte (prefix {rec['prefix_bpb']:.4f}), "
        f"{rec['params']} params, {rec['weight_bytes']} bytes\n{rec['sample']}")
    return rec


# ---------------------------------------------------------------------------------------------
# LLaDA-style masked diffusion (network: make_golden.TinyLLaDA, parameter names of the LLaDA layout)
# ---------------------------------------------------------------------------------------------
def llada_fast(mg, c, dev):
    """TinyLLaDA whose blocks use fused attention and device-side rotary tables for training; the
    parameters (and so the checkpoint) are the same."""
    import torch
    import torch.nn.functional as F

    class Block(mg.LLaDABlock):
        def rope(self, t):
            T, hd = t.shape[-2], t.shape[-1]
            inv = 1.0 / (self.theta ** (torch.arange(0, hd, 2, device=t.device).float() / hd))
            fr = torch.outer(torch.arange(T, device=t.device).float(), inv)
            emb = torch.cat([fr, fr], -1)
            rot = torch.cat([-t[..., hd // 2:], t[..., :hd // 2]], -1)
            return (t.float() * emb.cos() + rot.float() * emb.sin()).to(t.dtype)

        def forward(self, x):
            B, T, _ = x.shape
            a = self.attn_norm(x)
            q = self.q_proj(a).view(B, T, self.H, self.hd).transpose(1, 2)
            k = self.k_proj(a).view(B, T, self.KV, self.hd).transpose(1, 2)
            v = self.v_proj(a).view(B, T, self.KV, self.hd).transpose(1, 2)
            q, k = self.rope(q), self.rope(k)
            rep = self.H // self.KV
            if rep > 1:
                k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
            if hasattr(F, "scaled_dot_product_attention"):
                o = F.scaled_dot_product_attention(q, k, v, is_causal=False)
            else:                                              # old torch (local tests)
                o = F.softmax((q @ k.transpose(-1, -2)).float() * self.hd ** -0.5, -1).to(v.dtype) @ v
            o = o.transpose(1, 2).reshape(B, T, -1)
            x = x + self.attn_out(o)
            f = self.ff_norm(x)
            return x + self.ff_out(F.silu(self.ff_proj(f)) * self.up_proj(f))

    m = mg.TinyLLaDA(c)
    for b in m.model.transformer["blocks"]:
        b.__class__ = Block
    with torch.no_grad():
        for k, p in m.named_parameters():
            if p.dim() == 1:
                p.fill_(1.0)
            else:
                p.normal_(0.0, 0.02)
    return m.to(dev)


def llada_objective(c, eps=1e-3):
    """LLaDA pre-training loss: per sequence t ~ U(0, 1), mask probability p = (1 - eps) t + eps, each
    position masked independently; cross-entropy on the masked positions weighted 1/p, averaged over
    all B*L positions."""
    def f(model, xy):
        import torch
        import torch.nn.functional as F
        x0 = xy[:, :WINDOW]
        B, L = x0.shape
        p = (1 - eps) * torch.rand(B, 1, device=x0.device) + eps
        mask = torch.rand(B, L, device=x0.device) < p
        xt = torch.where(mask, torch.full_like(x0, c["mask_token_id"]), x0)
        lg = model(xt).logits.float()
        ce = F.cross_entropy(lg.reshape(-1, lg.shape[-1]), x0.reshape(-1), reduction="none").view(B, L)
        return (ce * mask / p).sum() / (B * L)
    return f


def llada_heldout(model, heldout, mask_id, draws=4, seed=11):
    """Masked-token loss on heldout.txt (windows of 256): for each window and draw j, mask ratio
    t = (j + 0.5) / draws, positions masked with a seeded generator. Returns the mean cross-entropy
    over masked positions (nats) and the diffusion bound in bits per byte:
    mean over (window, draw) of sum_masked CE / t / (L ln 2)."""
    import torch
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(seed)
    ce_sum, ce_n, bound = 0.0, 0, []
    for w in windows_of(heldout, WINDOW):
        x0 = torch.tensor([list(w)], dtype=torch.long)
        for j in range(draws):
            t = (j + 0.5) / draws
            mask = torch.rand(x0.shape, generator=g) < t
            if not mask.any():
                continue
            xt = torch.where(mask, torch.full_like(x0, mask_id), x0)
            with torch.no_grad():
                lg = model(xt).logits.double()
            ce = F.cross_entropy(lg[0], x0[0], reduction="none")[mask[0]]
            ce_sum += float(ce.sum())
            ce_n += int(mask.sum())
            bound.append(float(ce.sum()) / t / (len(w) * math.log(2.0)))
    return ce_sum / ce_n, sum(bound) / len(bound)


def llada_check(model, heldout, mask_id, nwin=4):
    """Deterministic check for tests/t_models.c: the first nwin windows of heldout.txt with every
    position i where i % 4 == 1 replaced by the mask; mean cross-entropy (nats) over those positions."""
    import torch
    import torch.nn.functional as F
    tot, n = 0.0, 0
    for w in windows_of(heldout, WINDOW)[:nwin]:
        x0 = torch.tensor([list(w)], dtype=torch.long)
        mask = (torch.arange(len(w)) % 4 == 1)[None]
        xt = torch.where(mask, torch.full_like(x0, mask_id), x0)
        with torch.no_grad():
            lg = model(xt).logits.double()
        ce = F.cross_entropy(lg[0], x0[0], reduction="none")[mask[0]]
        tot += float(ce.sum())
        n += int(mask.sum())
    return tot / n


def llada_sample(model, prompt, gen, mask_id, steps):
    """Low-confidence remasking at temperature 0, one block (what `seqmix diffuse` does by default)."""
    import torch
    x = torch.tensor([list(prompt) + [mask_id] * gen], dtype=torch.long)
    per = [gen // steps + (1 if s < gen % steps else 0) for s in range(steps)]
    for k in per:
        with torch.no_grad():
            lg = model(x).logits[0, :, :mask_id].double()     # never predict the mask itself
        p = torch.softmax(lg, -1)
        conf, tok = p.max(-1)
        conf = torch.where(x[0] == mask_id, conf, torch.full_like(conf, -1.0))
        for i in torch.topk(conf, k).indices.tolist():
            x[0, i] = tok[i]
    return bytes(x[0].tolist()).decode("ascii", "replace")


def run_llada(name, spec, out, seconds, dev, data):
    import torch
    from safetensors.torch import save_file
    mg = import_make_golden()
    c = dict(spec["cfg"])
    torch.manual_seed(zlib.crc32(name.encode()))
    model = llada_fast(mg, c, dev)
    log(f"{name}: LLaDA-layout masked-diffusion network, {n_params(model)} parameters")
    obj = llada_objective(c)
    vb = Batcher(data["valid"], dev, 64, 99)
    vx = vb()                                                  # a fixed validation batch

    def valid_fn(m):
        with torch.random.fork_rng(devices=[0] if dev == "cuda" else []):
            torch.manual_seed(5)                               # the same masks every time
            with torch.no_grad(), autocast(dev == "cuda"):
                return float(obj(m, vx))

    stats = train_loop(name, model, obj, Batcher(data["train"], dev, spec["batch"], 8), valid_fn, seconds,
                       spec["lr"], dev)
    stats.update(train_seq=WINDOW, batch=spec["batch"], peak_lr=spec["lr"])
    model = model.to("cpu").float().eval()
    dt = round_params(model)
    d = os.path.join(out, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    write_json(os.path.join(d, "config.json"), c)
    save_file({k: v.detach().to(dt).contiguous() for k, v in model.state_dict().items()},
              os.path.join(d, "model.safetensors"))
    # reload with the plain reference network (eager attention, float32, CPU)
    m2, _ = mg.load_llada(d)
    m2 = m2.float().eval()
    ce, bound = llada_heldout(m2, data["heldout"], c["mask_token_id"])
    rec = {"family": "LLaDAModelLM", "objective": "masked diffusion (LLaDA): t ~ U(0,1), CE on masked / t",
           "heldout_masked_ce_nats": ce, "heldout_diffusion_bound_bpb": bound, "window": WINDOW,
           "file": "models/data/heldout.txt", "heldout_eval": "4 draws per window, t = 0.125, 0.375, 0.625, 0.875",
           "check_masked_ce_nats": llada_check(m2, data["heldout"], c["mask_token_id"]),
           "check": "first 4 windows of heldout.txt, positions i % 4 == 1 masked, mean CE (nats) over them",
           "params": n_params(m2), "dtype": str(dt).replace("torch.", ""),
           "weight_bytes": os.path.getsize(os.path.join(d, "model.safetensors")), **stats}
    rec["sample"] = llada_sample(m2, b"The ", 64, c["mask_token_id"], 32)
    write_json(os.path.join(d, "eval.json"), rec)
    log(f"{name}: masked CE {ce:.4f} nats, diffusion bound {bound:.4f} bits/byte\n{rec['sample']}")
    return rec


# ---------------------------------------------------------------------------------------------
# CfC (ncps 1.0.1 semantics, reference-semantics.md section 9; our own code)
# ---------------------------------------------------------------------------------------------
def cfc_module(c):
    import torch
    import torch.nn as nn

    acts = {"lecun_tanh": lambda x: 1.7159 * torch.tanh(0.666 * x), "tanh": torch.tanh, "relu": torch.relu,
            "silu": nn.functional.silu, "gelu": nn.functional.gelu}

    class Act(nn.Module):
        def __init__(self, f):
            super().__init__()
            self.f = f

        def forward(self, x):
            return self.f(x)

    class Cell(nn.Module):
        """z = backbone(concat(input, h)); ff1 = tanh(W1 z), ff2 = tanh(W2 z),
        s = sigmoid(time_a(z) * ts + time_b(z)); h' = ff1 (1 - s) + s ff2   (mode "default")."""

        def __init__(self):
            super().__init__()
            n_in, H, bu = c["input_size"], c["units"], c["backbone_units"]
            layers, w = [], n_in + H
            for _ in range(c["backbone_layers"]):
                layers += [nn.Linear(w, bu), Act(acts[c["activation"]])]
                w = bu
            self.backbone = nn.Sequential(*layers)
            self.ff1, self.ff2 = nn.Linear(w, H), nn.Linear(w, H)
            self.time_a, self.time_b = nn.Linear(w, H), nn.Linear(w, H)
            for p in self.parameters():
                if p.dim() == 2:
                    nn.init.xavier_uniform_(p)

        def forward(self, x, h, ts):
            z = self.backbone(torch.cat([x, h], -1))
            ff1, ff2 = torch.tanh(self.ff1(z)), torch.tanh(self.ff2(z))
            s = torch.sigmoid(self.time_a(z) * ts + self.time_b(z))
            return ff1 * (1.0 - s) + s * ff2

    class CfC(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn_cell = Cell()
            self.fc = nn.Linear(c["units"], c["proj_size"])

        def forward(self, x, ts):                      # x [B, T, in], ts [B, T] -> [B, T, proj]
            h = x.new_zeros(x.shape[0], c["units"])
            out = []
            for t in range(x.shape[1]):
                h = self.rnn_cell(x[:, t], h, ts[:, t, None])
                out.append(self.fc(h))
            return torch.stack(out, 1)

    assert c["mode"] == "default" and not c["mixed_memory"]
    return CfC()


OSC_TASK = {
    "signal": "A exp(-gamma t) cos(omega t + phi)",
    "amplitude": [0.5, 1.5], "omega": [0.6, 1.8], "gamma": [0.02, 0.12], "phi": [0.0, 6.283185307179586],
    "noise_std": 0.05, "step": [0.1, 0.4], "gap_probability": 0.1, "gap": [1.0, 3.0],
    "inputs": ["noisy observation y_k", "time until the next observation dt_{k+1}"],
    "timespans": "time since the previous observation dt_k (dt_0 drawn like the others)",
    "target": "noise-free signal at the next observation time t_{k+1}",
}


def oscillator(n, T, g, dev="cpu"):
    """n sequences of T observations of the task above; returns inputs [n, T, 2], timespans [n, T],
    targets [n, T, 1]."""
    import torch
    u = lambda lo_hi, *s: lo_hi[0] + (lo_hi[1] - lo_hi[0]) * torch.rand(*s, generator=g)
    k = OSC_TASK
    A, w, gam, phi = u(k["amplitude"], n, 1), u(k["omega"], n, 1), u(k["gamma"], n, 1), u(k["phi"], n, 1)
    dt = u(k["step"], n, T + 1)
    gap = torch.rand(n, T + 1, generator=g) < k["gap_probability"]
    dt = torch.where(gap, u(k["gap"], n, T + 1), dt)
    t = torch.cumsum(dt, 1) - dt[:, :1]                        # t_0 = 0; t_k = sum_{j=1..k} dt_j
    clean = A * torch.exp(-gam * t) * torch.cos(w * t + phi)   # [n, T + 1]
    y = clean + k["noise_std"] * torch.randn(n, T + 1, generator=g)
    inputs = torch.stack([y[:, :T], dt[:, 1:]], -1)
    return inputs.to(dev), dt[:, :T].contiguous().to(dev), clean[:, 1:, None].contiguous().to(dev)


def run_cfc(name, spec, out, seconds, dev, data):
    import torch
    from safetensors.torch import load_file, save_file
    c = dict(spec["cfg"])
    torch.manual_seed(zlib.crc32(name.encode()))
    model = cfc_module(c).to(dev)
    log(f"{name}: CfC, {n_params(model)} parameters, device {dev}")
    gv = torch.Generator().manual_seed(123)
    vx, vts, vy = oscillator(256, 200, gv)
    g = torch.Generator().manual_seed(321)
    vx, vts, vy = vx.to(dev), vts.to(dev), vy.to(dev)

    def batcher():
        x, ts, y = oscillator(spec["batch"], 100, g)
        return torch.cat([x, ts[..., None], y], -1).to(dev)    # [B, T, 4]

    def loss_fn(m, b):
        return torch.mean((m(b[..., :2], b[..., 2]) - b[..., 3:]) ** 2)

    def valid_fn(m):
        with torch.no_grad():
            return float(torch.mean((m(vx, vts) - vy) ** 2))

    stats = train_loop(name, model, loss_fn, batcher, valid_fn, seconds, spec["lr"], dev, warmup=50, wd=0.0,
                       log_every=50, valid_every=15.0)
    model = model.to("cpu").float().eval()
    d = os.path.join(out, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    cfg = dict(c, reference="ncps 1.0.1 torch CfC semantics (trained with tools/train_toys.py)", task=OSC_TASK)
    write_json(os.path.join(d, "config.json"), cfg)
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()},
              os.path.join(d, "model.safetensors"))
    m2 = cfc_module(c).eval()
    m2.load_state_dict(load_file(os.path.join(d, "model.safetensors")), strict=True)
    gt = torch.Generator().manual_seed(2024)                  # test set: 64 sequences of 200 steps
    tx, tts, ty = oscillator(64, 200, gt)
    with torch.no_grad():
        pred = m2(tx, tts)
    mse = float(torch.mean((pred - ty) ** 2))
    naive = float(torch.mean((tx[..., :1] - ty) ** 2))         # "the next value is the last observation"
    save_file({"inputs": tx[:4].contiguous(), "timespans": tts[:4].contiguous(), "targets": ty[:4].contiguous(),
               "outputs": pred[:4].contiguous()}, os.path.join(d, "eval.safetensors"))
    rec = {"family": "CfC", "test_mse": mse, "test_mse_last_observation": naive,
           "test_set": "64 sequences x 200 steps, torch.Generator seed 2024 (oscillator() in tools/train_toys.py)",
           "eval_safetensors": "first 4 test sequences: inputs [4,200,2], timespans [4,200], targets [4,200,1], "
                               "outputs [4,200,1] (float32 reference outputs of the saved weights)",
           "eval_safetensors_mse": float(torch.mean((pred[:4] - ty[:4]) ** 2)),
           "params": n_params(m2), "dtype": "float32",
           "weight_bytes": os.path.getsize(os.path.join(d, "model.safetensors")), **stats}
    write_json(os.path.join(d, "eval.json"), rec)
    log(f"{name}: test MSE {mse:.5f} (last-observation baseline {naive:.5f})")
    return rec


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------
def load_data(data_dir):
    tr = open(os.path.join(data_dir, "fortunes.txt"), "rb").read()
    ho = open(os.path.join(data_dir, "heldout.txt"), "rb").read()
    return {"train": tr[:-VALID_BYTES], "valid": tr[-VALID_BYTES:], "heldout": ho}


def run_child(a):
    import torch
    torch.set_num_threads(max(1, a.threads))
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    spec = SPECS[a.child]
    dev = "cuda" if torch.cuda.is_available() and not a.cpu else "cpu"
    if spec["kind"] == "cfc" and not a.cfc_gpu:
        dev = "cpu"
    seconds = spec["seconds"] * a.seconds_scale
    data = load_data(a.data)
    log(f"{a.child}: torch {torch.__version__}, device {dev}, {seconds:.0f} s, "
        f"{len(data['train'])} training bytes")
    fn = {"hf": run_hf, "llada": run_llada, "cfc": run_cfc}[spec["kind"]]
    rec = fn(a.child, spec, a.out, seconds, dev, data)
    rec.pop("history", None)
    print("RESULT " + json.dumps({a.child: {k: v for k, v in rec.items() if k not in ("prefix_window_bpb",)}}),
          flush=True)


def pack(out, names, tar_path):
    tmp = tar_path + ".tmp"
    with tarfile.open(tmp, "w:gz") as tf:
        for n in names + ["logs", "summary.json"]:
            p = os.path.join(out, n)
            if os.path.exists(p):
                tf.add(p, arcname=n)
    os.replace(tmp, tar_path)


def run_parent(a):
    names = [n for n in ORDER if not a.only or n in a.only.split(",")]
    os.makedirs(os.path.join(a.out, "logs"), exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS=str(a.threads))
    procs = {}
    t0 = time.time()
    # every model in its own process, all at once; models marked `alone` (launch-bound on the GPU)
    # start once the others have finished
    names = [n for n in names if not SPECS[n].get("alone")] + [n for n in names if SPECS[n].get("alone")]
    for n in names:
        if SPECS[n].get("alone") and a.parallel:
            for p, f in procs.values():
                p.wait()
        cmd = [sys.executable, os.path.abspath(__file__), "--child", n, "--out", a.out, "--data", a.data,
               "--seconds-scale", str(a.seconds_scale), "--threads", str(a.threads)]
        if a.cpu:
            cmd.append("--cpu")
        f = open(os.path.join(a.out, "logs", n + ".log"), "w")
        procs[n] = (subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT), f)
        log(f"started {n}")
        if not a.parallel:
            procs[n][0].wait()
    done = {}
    while len(done) < len(procs):
        for n, (p, f) in procs.items():
            if n not in done and p.poll() is not None:
                done[n] = p.returncode
                f.close()
                log(f"{n} finished with code {p.returncode} after {time.time() - t0:.0f} s")
                if a.pack:
                    pack(a.out, names, a.pack)
        if time.time() - t0 > a.deadline:
            for n, (p, f) in procs.items():
                if n not in done:
                    log(f"deadline: stopping {n}")
                    p.kill()
                    done[n] = "killed"
            break
        time.sleep(2)
    summary = {}
    for n in names:
        text = open(os.path.join(a.out, "logs", n + ".log")).read()
        for line in text.splitlines():
            if line.startswith("RESULT "):
                summary.update(json.loads(line[7:]))
        if n not in summary:
            summary[n] = {"error": f"exit {done.get(n)}", "log_tail": text[-3000:]}
    write_json(os.path.join(a.out, "summary.json"), summary)
    if a.pack:
        pack(a.out, names, a.pack)
    for n in names:
        s = summary[n]
        if "error" in s:
            print(f"== {n}: FAILED ({s['error']})\n{s['log_tail']}")
        else:
            keys = ("heldout_bpb", "prefix_bpb", "heldout_masked_ce_nats", "heldout_diffusion_bound_bpb",
                    "check_masked_ce_nats", "test_mse", "test_mse_last_observation", "valid_loss", "params",
                    "weight_bytes", "steps", "tokens", "train_seconds", "bf16_autocast")
            print(f"== {n}: " + ", ".join(f"{k} {s[k]}" for k in keys if k in s))
            if "sample" in s:
                print("   sample: " + repr(s["sample"]))
    return 0 if all("error" not in s for s in summary.values()) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "models"), help="output folder (one sub-folder per model)")
    ap.add_argument("--data", default=os.path.join(ROOT, "models", "data"), help="folder of fortunes.txt/heldout.txt")
    ap.add_argument("--prepare-data", action="store_true", help="build --data from the Debian fortunes files")
    ap.add_argument("--fortunes-dir", default="/usr/share/games/fortunes")
    ap.add_argument("--only", default="", help="comma-separated subset of " + ",".join(ORDER))
    ap.add_argument("--seconds-scale", type=float, default=1.0, help="multiply every training budget")
    ap.add_argument("--sequential", dest="parallel", action="store_false",
                    help="train one model after the other (default: all at once, one process each)")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads per process")
    ap.add_argument("--deadline", type=float, default=1800.0, help="seconds after which unfinished runs are stopped")
    ap.add_argument("--pack", default="", help="also write the results into this .tar.gz")
    ap.add_argument("--cpu", action="store_true", help="train on the CPU even if a GPU is there")
    ap.add_argument("--cfc-gpu", action="store_true", help="train the CfC on the GPU (default: CPU)")
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.out, a.data = os.path.abspath(a.out), os.path.abspath(a.data)
    if a.prepare_data:
        prepare_data(a.fortunes_dir, a.data)
        return 0
    if a.child:
        run_child(a)
        return 0
    return run_parent(a)


if __name__ == "__main__":
    sys.exit(main())
