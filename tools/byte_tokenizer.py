#!/usr/bin/env python3
"""Write the tokenizer.json of a byte-level model: token id b is the byte b (a BPE without merges over
GPT-2's byte alphabet, so Hugging Face `tokenizers` and seqmix read it the same way); extra special
tokens (LLaDA's [MASK]) follow at 256, 257, ...

    tools/byte_tokenizer.py models/hybrid [--special "[MASK]" ...]"""
import json
import sys
from trim_tokenizer import byte_chars   # GPT-2's byte -> printable character map


def main():
    folder = sys.argv[1]
    special = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--special"]
    bc = byte_chars()
    vocab = {bc[b]: b for b in range(256)}
    added = []
    for k, s in enumerate(special):
        vocab[s] = 256 + k
        added.append({"id": 256 + k, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True})
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": []},
    }
    with open(folder + "/tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
