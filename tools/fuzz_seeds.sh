#!/bin/sh
# Seed a fuzz corpus folder from the repository's own files: tools/fuzz_seeds.sh HARNESS DIR
h=$1; d=$2
[ -n "$(ls -A "$d" 2>/dev/null)" ] && exit 0   # keep a corpus that already grew
i=0
seed() { for f in "$@"; do [ -f "$f" ] && cp "$f" "$d/seed$i" && i=$((i + 1)); done; }
case $h in
  json|config|builder) seed tests/golden/*/config.json tests/bad/*.json ;;
  safetensors) seed tests/golden/llama/model.safetensors tests/golden/x_llama_tied/*.safetensors ;;
  index) seed tests/golden/x_llama_tied/model.safetensors.index.json ;;
  state) printf 'SMXS' > "$d/seed0" ;;
  tokenizer)   # the first byte picks the target (see the harness)
    for f in tests/golden/tok/hf-*/tokenizer.json; do { printf '\000'; cat "$f"; } > "$d/seed$i"; i=$((i + 1)); done
    for f in tests/golden/tok/gguf-*/*.gguf; do { printf '\001'; cat "$f"; } > "$d/seed$i"; i=$((i + 1)); done
    printf '\002Hello world, 123 <|begin_of_text|>' > "$d/seed_t"
    printf '\003(?i:'"'"'s|'"'"'t)|\\p{L}+|\\s+(?!\\S) hello  world' > "$d/seed_r" ;;
  gguf) seed tests/golden/gguf/*/*.gguf ;;
  *) seed tests/golden/*/config.json ;;
esac
[ "$h" = builder ] && printf '(M M A)x4' > "$d/seed_p1" && printf 'A F E 2 X S C L' > "$d/seed_p2"
exit 0
