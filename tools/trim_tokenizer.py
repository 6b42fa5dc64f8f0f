#!/usr/bin/env python3
"""Trim a BPE tokenizer.json to what a set of texts can reach, keeping ids and merge order.

    tools/trim_tokenizer.py tokenizer.json texts.json out/tokenizer.json

A BPE merge can only ever produce a substring of the text it is applied to, so dropping every
vocabulary entry and every merge whose result is not a substring of some text (in the byte-level
alphabet) changes no encoding and no decoding of those texts: ids keep their numbers and the kept
merges keep their relative order (their ranks). The texts are taken in both alphabets a BPE model
sees: byte-level characters, and SentencePiece's "▁" for spaces; added tokens and byte-fallback
tokens (<0xAB>) are all kept. This is how the test suite carries small copies of large tokenizers
(Llama 3's 9 MB file) for its golden texts."""
import json
import sys


def byte_chars():
    """GPT-2's byte -> printable character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def main():
    src, texts_path, dst = sys.argv[1:4]
    tok = json.load(open(src, encoding="utf-8"))
    texts = [t["text"] for t in json.load(open(texts_path, encoding="utf-8"))["texts"]]
    bc = byte_chars()
    mapped = "\U0010FFFF".join(["".join(bc[b] for b in t.encode("utf-8")) for t in texts] +
                                ["\u2581" + t.replace(" ", "\u2581") for t in texts])
    model = tok["model"]
    assert model["type"] == "BPE", "only BPE models"
    added = {a["content"] for a in tok.get("added_tokens", [])}
    def byte_token(k):
        return len(k) == 6 and k.startswith("<0x") and k.endswith(">")
    model["vocab"] = {k: v for k, v in model["vocab"].items() if k in added or byte_token(k) or k in mapped}
    kept = []
    for m in model["merges"]:
        a, b = m if isinstance(m, list) else m.split(" ", 1)
        if (a + b) in mapped:
            kept.append(m)
    model["merges"] = kept
    json.dump(tok, open(dst, "w", encoding="utf-8"), ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
