#!/usr/bin/env bash
# peer_bench.sh — seqmix against llama.cpp on the same CPU and the same weights, interleaved.
#
#   LLAMA_CPP=/path/to/llama.cpp tools/peer_bench.sh MODELS_DIR [model ...]
#
# For every model (default: all that MODELS_DIR holds of llama-110m mamba-130m mamba2-130m
# lfm2-350m-shape) and every thread count, REPS rounds; each round times seqmix and llama.cpp back
# to back (the order alternates between rounds, so a drift in machine load hits both); the tables
# show the median and the best of the rounds:
#   prefill  tok/s for one PROMPT-token prompt from an empty state
#            seqmix:    `seqmix generate DIR/hf --ids <PROMPT ids> -n GEN+1 --ignore-eos --threads N` (its prefill;
#                       stderr line "prefill P tokens: X tok/s; decode M tokens: Y tok/s; Z ms/token")
#            llama.cpp: `llama-bench -m DIR/model-f32.gguf -p PROMPT -n 0 -t N -r 1`      (pp PROMPT)
#   decode   tok/s over GEN single-token steps that follow a PROMPT-token prompt
#            seqmix:    the same run; -n GEN+1 samples GEN+1 tokens, i.e. GEN timed steps (--ignore-eos:
#                       an end-of-generation token does not cut the run short)
#            llama.cpp: `llama-bench -m ... -p 0 -n GEN -d PROMPT -t N -r 1`  (tg GEN at depth PROMPT,
#                       so attention layers read the same KV length as seqmix's decode does)
#   ratio    seqmix / llama.cpp (above 1: seqmix is faster)
# The 1-minute load average is sampled before every measurement; the table gives its median and
# range per row, because on a shared machine the figures move with it.
#
# Both engines read the same F32 weights: peer_kit.py writes each model as a Hugging Face folder
# (DIR/hf, what seqmix loads) and as an F32 GGUF (DIR/model-f32.gguf) and checks they are bit-equal.
# Differences in method, not hidden: seqmix's CLI has no warm-up, so its prefill includes the first
# touch of the memory-mapped weights and of its scratch memory (page faults: about 20k and 0.15 s of
# kernel time for the 110M Llama). llama-bench normally runs an untimed warm-up (the whole prompt)
# first; by default the script passes --no-warmup so that both prefills start cold (LLAMA_WARMUP=1
# gives llama-bench's usual warm figure, about 1.3x higher for pp512 on this machine). Decode is
# unaffected: both engines have touched everything during the prompt.
# Sampling in seqmix's decode loop is a greedy argmax over the vocabulary; llama-bench feeds random
# tokens and reads no logits.
# Alignment matters: safetensors only pads its header to 8 bytes, so a file's tensors may start at
# any multiple of 8 mod 64 (peer_kit.py's llama-110m: 32, mamba-130m: 8), and GGUF aligns its data
# to 32 bytes (peer_kit.py's lfm2-350m-shape GGUF: 32 mod 64). An engine that reads F32 weights in
# place with 64-byte vector loads then splits many loads across two cache lines: llama.cpp decodes
# that LFM2 GGUF ~1.6x slower than a 64-aligned copy of it, and seqmix's row-at-a-time decode (before
# 8e3fa39's four-row kernel) lost 20-30% the same way. The script prints both files' offsets mod 64.
#
# This script builds and downloads nothing. Beforehand:
#   1. llama.cpp, plain upstream commit 81ff7abe50b95fb81cc70a6cdba1eb1a02a48f62 (or near), outside
#      this repository, e.g. from a mirror:  git --git-dir=MIRROR archive 81ff7abe5 | tar -x -C $HOME/llama.cpp
#      (an archive has no .git: `echo 81ff7abe5... > $HOME/llama.cpp/COMMIT` and the script prints it)
#   2. CPU-only Release build (LLAMA_CURL is gone at that commit; LLAMA_OPENSSL=OFF keeps it offline):
#        cd $HOME/llama.cpp
#        cmake -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DGGML_OPENMP=ON -DLLAMA_OPENSSL=OFF \
#              -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
#              -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DBUILD_SHARED_LIBS=OFF
#        nice -n 10 cmake --build build -j2 --target llama-bench llama-quantize
#   3. the models (numpy from python3-numpy; gguf-py comes from the llama.cpp tree):
#        LLAMA_CPP=$HOME/llama.cpp python3 peer_kit.py $HOME/peer-models --no-q8
#      (F32 only: with GCC 12 on this CPU llama.cpp faults in its AMX Q8_0 kernel)
#   4. seqmix's CLI: make build/seqmix
#
# Environment (defaults in brackets):
#   LLAMA_CPP   llama.cpp tree with build/bin/llama-bench (required), or set LLAMA_BENCH to the binary
#   SEQMIX      seqmix binary [<repo>/build/seqmix]
#   THREADS     thread counts ["1 2"]       REPS     rounds [3]
#   PROMPT      prompt tokens [512]         GEN      decode steps [128]
#   OUT         folder for the raw log and CSV [a new mktemp -d]
#   NICE        niceness for both engines [0]; the same for both
#   PYTHON      a python3 with numpy, only to print the GGUF files' alignment [python3]
#   LLAMA_WARMUP  1: let llama-bench warm up before timing [0: --no-warmup, cold like seqmix's CLI]
#   LB_ARGS     extra llama-bench arguments [none], e.g. "-fa off". Its KV cache is F16 (llama-bench
#               takes f16, bf16, q8_0, q4_0, ... but not f32 here); seqmix keeps F32
#   TYPE        weight type [f32]. f32: seqmix reads DIR/hf, llama.cpp DIR/model-f32.gguf (the same
#               numbers). Any other type (bf16, f16, q8_0, q4_0, q4_k_m, q6_k, ...): both engines read
#               the same file DIR/model-TYPE.gguf; when it is missing it is made from model-f32.gguf
#               with llama-quantize (LLAMA_QUANTIZE [<LLAMA_CPP>/build/bin/llama-quantize]), rows
#               whose length is not a multiple of 32 (Mamba's dt_proj) kept F32 as peer_kit.py does
#   SAME_FILE   1: with TYPE=f32 too, seqmix reads model-f32.gguf instead of the HF folder [0]
# Exit status: 0 when every requested measurement ran, 1 when some failed (shown as "-"), 2 on usage.
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")

usage() { sed -n '2,3p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) sed -n '2,/^set -u/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
models_dir=$1; shift

SEQMIX=${SEQMIX:-$repo/build/seqmix}
if [ -z "${LLAMA_BENCH:-}" ]; then
    [ -n "${LLAMA_CPP:-}" ] || { echo "peer_bench: set LLAMA_CPP to a built llama.cpp tree (see the header)" >&2; exit 2; }
    LLAMA_BENCH=$LLAMA_CPP/build/bin/llama-bench
fi
THREADS=${THREADS:-"1 2"}
REPS=${REPS:-3}
PROMPT=${PROMPT:-512}
GEN=${GEN:-128}
NICE=${NICE:-0}
LB_ARGS=${LB_ARGS:-}
LLAMA_WARMUP=${LLAMA_WARMUP:-0}
TYPE=${TYPE:-f32}
SAME_FILE=${SAME_FILE:-0}
[ "$TYPE" = f32 ] || SAME_FILE=1
LLAMA_QUANTIZE=${LLAMA_QUANTIZE:-${LLAMA_CPP:-/nonexistent}/build/bin/llama-quantize}
[ "$LLAMA_WARMUP" = 1 ] || LB_ARGS="--no-warmup $LB_ARGS"
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/peer_bench.XXXXXX")}
mkdir -p "$OUT" || exit 2

[ -x "$SEQMIX" ] || { echo "peer_bench: no seqmix binary at $SEQMIX (make build/seqmix, or set SEQMIX)" >&2; exit 2; }
[ -x "$LLAMA_BENCH" ] || { echo "peer_bench: no llama-bench at $LLAMA_BENCH (build it; see the header)" >&2; exit 2; }
[ -d "$models_dir" ] || { echo "peer_bench: no models folder $models_dir (run peer_kit.py; see the header)" >&2; exit 2; }
case "$REPS$PROMPT$GEN" in *[!0-9]*) echo "peer_bench: REPS, PROMPT and GEN must be integers" >&2; exit 2 ;; esac
# seqmix takes any number of --ids but refuses (exit 2, both numbers in the message) a prompt plus
# GEN + 1 tokens longer than the model's context: that run then shows as "-" with the reason in the log
[ "$PROMPT" -ge 1 ] && [ "$GEN" -ge 1 ] && [ "$REPS" -ge 1 ] ||
    { echo "peer_bench: need PROMPT >= 1, GEN >= 1, REPS >= 1" >&2; exit 2; }

if [ $# -gt 0 ]; then models=("$@"); else
    models=()
    for m in llama-110m mamba-130m mamba2-130m lfm2-350m-shape; do
        [ -d "$models_dir/$m" ] && models+=("$m")
    done
fi
[ ${#models[@]} -gt 0 ] || { echo "peer_bench: no models under $models_dir" >&2; exit 2; }

# PROMPT fixed token ids below 32000 (the smallest vocabulary of the kit); their values do not change the work
ids=$(awk -v n="$PROMPT" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d", (i ? "," : ""), (i * 7919 + 17) % 32000 }')

log=$OUT/raw.log
csv=$OUT/samples.csv
echo "model,threads,round,engine,prefill_tps,decode_tps,load1" > "$csv"
: > "$log"
load1() { cut -d' ' -f1 /proc/loadavg; }
run() { nice -n "$NICE" "$@"; }

# what each engine reads: the GGUF of TYPE; seqmix the HF folder for f32 unless SAME_FILE=1
gguf_of() { echo "$1/model-$TYPE.gguf"; }
smx_src() { if [ "$SAME_FILE" = 1 ]; then gguf_of "$1"; else echo "$1/hf"; fi; }

# model-TYPE.gguf from model-f32.gguf when missing (llama-quantize; rows not a multiple of 32 kept F32)
make_gguf() {  # dir
    local g src=$1/model-f32.gguf keep
    g=$(gguf_of "$1")
    [ -f "$g" ] && return 0
    [ -f "$src" ] && [ -x "$LLAMA_QUANTIZE" ] || return 1
    keep=()
    # Mamba's dt_proj rows are dt_rank (48) wide: no 32-block type fits them
    "$SEQMIX" info "$src" 2>/dev/null | grep -q '^architecture *mamba\b' && keep=(--tensor-type 'ssm_dt\.weight$=f32')
    echo "peer_bench: $(basename "$1"): making $(basename "$g") with llama-quantize" >&2
    "$LLAMA_QUANTIZE" "${keep[@]}" "$src" "$g" "$(echo "$TYPE" | tr a-z A-Z)" >> "$log" 2>&1 || { rm -f "$g"; return 1; }
}

# seqmix: one process gives prefill and decode. Prints "prefill decode" or "- -".
time_seqmix() {  # dir threads
    local err
    err=$(run "$SEQMIX" generate "$(smx_src "$1")" --ids "$ids" -n $((GEN + 1)) --ignore-eos --threads "$2" 2>&1 >/dev/null)
    echo "seqmix $1 t=$2: $err" >> "$log"
    echo "$err" | awk '/^prefill [0-9]+ tokens:/ { gsub(/;/, ""); p = $4; d = $9 }
                       END { if (p == "" || d == "") print "- -"; else print p, d }'
}

# llama-bench CSV: the avg_ts column of its one result row, or "-"
lb_ts() {  # args for llama-bench
    local o
    o=$(run "$LLAMA_BENCH" "$@" $LB_ARGS -r 1 -o csv 2>>"$log")
    echo "llama-bench $*: $o" >> "$log"
    echo "$o" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); if (h == "avg_ts") c = i } next }
                         c && NF >= c { v = $c; gsub(/"/, "", v); print v; found = 1; exit }
                         END { if (!found) print "-" }'
}

time_llama() {  # dir threads
    local g p d
    g=$(gguf_of "$1")
    [ -f "$g" ] || { echo "- -"; return; }
    p=$(lb_ts -m "$g" -t "$2" -p "$PROMPT" -n 0)
    d=$(lb_ts -m "$g" -t "$2" -p 0 -n "$GEN" -d "$PROMPT")
    echo "$p $d"
}

echo "peer_bench: weights $TYPE, seqmix reads $( [ "$SAME_FILE" = 1 ] && echo "the same GGUF file" || echo "the HF folder")" >&2
echo "peer_bench: seqmix $("$SEQMIX" info "$models_dir/${models[0]}/hf" 2>/dev/null | awk '$1 == "simd" { print "(" $2 ")" }') $SEQMIX" >&2
echo "peer_bench: llama-bench $LLAMA_BENCH$( [ -f "${LLAMA_CPP:-/nonexistent}/COMMIT" ] && echo " (commit $(cat "$LLAMA_CPP/COMMIT"))")" >&2
echo "peer_bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); prompt $PROMPT, decode $GEN, rounds $REPS, threads $THREADS, llama-bench warm-up $LLAMA_WARMUP; raw data in $OUT" >&2
echo "peer_bench: start: $(uptime)" >&2

status=0
for m in "${models[@]}"; do
    dir=$models_dir/$m
    smx_ok=1
    [ "$TYPE" = f32 ] || make_gguf "$dir" || { echo "peer_bench: $m: no $(basename "$(gguf_of "$dir")") and cannot make it" >&2; status=1; }
    if ! info=$("$SEQMIX" info "$(smx_src "$dir")" 2>&1); then
        smx_ok=0
        echo "peer_bench: $m: seqmix cannot load it: $(echo "$info" | head -1)" >&2
        status=1
    fi
    [ -f "$(gguf_of "$dir")" ] || { echo "peer_bench: $m: no $(basename "$(gguf_of "$dir")")" >&2; status=1; }
    # where the safetensors data starts, mod 64: F32 rows that straddle cache lines slow the decode
    # matvec of an engine that computes straight from the mapping (see the note at the top)
    if [ -f "$dir/hf/model.safetensors" ]; then
        hl=$(od -An -t u8 -N 8 "$dir/hf/model.safetensors" | tr -d ' ')
        echo "peer_bench: $m: safetensors data starts at byte $((8 + hl)) ($(((8 + hl) % 64)) mod 64)" >&2
    fi
    if [ -f "$dir/model-f32.gguf" ] && [ -d "${LLAMA_CPP:-/nonexistent}/gguf-py" ]; then
        # tensor data offsets mod 64 (needs $PYTHON with numpy; skipped quietly otherwise)
        PYTHONPATH=$LLAMA_CPP/gguf-py "${PYTHON:-python3}" -c 'import sys, gguf
r = gguf.GGUFReader(sys.argv[1]); o = sorted({t.data_offset % 64 for t in r.tensors})
print("peer_bench: %s: gguf tensor data at %s mod 64" % (sys.argv[2], ", ".join(map(str, o))))' \
            "$dir/model-f32.gguf" "$m" >&2 2>/dev/null || true
    fi
    for t in $THREADS; do
        for r in $(seq 1 "$REPS"); do
            order="seqmix llama"
            [ $((r % 2)) -eq 0 ] && order="llama seqmix"
            for e in $order; do
                l=$(load1)
                if [ "$e" = seqmix ]; then
                    if [ $smx_ok = 1 ]; then res=$(time_seqmix "$dir" "$t"); else res="- -"; fi
                else
                    res=$(time_llama "$dir" "$t")
                fi
                set -- $res
                [ "$1" = - ] || [ "$2" = - ] && status=1
                echo "$m,$t,$r,$e,$1,$2,$l" >> "$csv"
                echo "peer_bench: $m t=$t round $r $e: prefill $1 decode $2 tok/s (load $l)" >&2
            done
        done
    done
done
echo "peer_bench: end: $(uptime)" >&2

# per (model, threads): the median of the rounds (and, second table, the best round: on a shared
# machine the least disturbed round is the closest to what the engine can do)
table() {  # median|best
    awk -F, -v stat="$1" '
    function pick(list,   a, n, i, j, x) {
        n = split(list, a, " ")
        if (n == 0) return "-"
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
        if (stat == "best") return a[n]
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
    function f(x) { return x == "-" ? "-" : sprintf("%.1f", x) }
    NR == 1 { next }
    {
        k = $1 SUBSEP $2
        if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
        if ($5 != "-") P[k, $4] = P[k, $4] " " $5
        if ($6 != "-") D[k, $4] = D[k, $4] " " $6
        L[k] = L[k] " " $7
        if (!(k in lo) || $7 + 0 < lo[k]) lo[k] = $7 + 0
        if (!(k in hi) || $7 + 0 > hi[k]) hi[k] = $7 + 0
    }
    END {
        printf "%-16s %3s | %9s %9s %6s | %9s %9s %6s | %s\n", "model", "thr", "smx pp", "llama pp", "ratio", "smx tg", "llama tg", "ratio", "load1 med [min-max]"
        for (i = 1; i <= nk; i++) {
            k = keys[i]; split(k, kk, SUBSEP)
            sp = pick(P[k, "seqmix"]); lp = pick(P[k, "llama"])
            sd = pick(D[k, "seqmix"]); ld = pick(D[k, "llama"])
            stat0 = stat; stat = "median"; lm = pick(L[k]); stat = stat0
            printf "%-16s %3s | %9s %9s %6s | %9s %9s %6s | %.2f [%.2f-%.2f]\n", kk[1], kk[2], f(sp), f(lp), ratio(sp, lp), f(sd), f(ld), ratio(sd, ld), lm, lo[k], hi[k]
        }
    }' "$csv"
}
{
    echo "median of $REPS rounds (pp: prefill tok/s; tg: decode tok/s after the prompt; ratio = seqmix / llama.cpp)"
    table median
    echo
    echo "best of $REPS rounds"
    table best
} | tee "$OUT/table.txt"
exit $status
