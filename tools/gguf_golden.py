#!/usr/bin/env python3
"""gguf_golden.py - make the small GGUF conformance data of tests/golden/gguf/ (standard library only).

  gguf_golden.py manifest FILE.gguf OUT.json
      the tensors (name, ggml type, ne, bytes, FNV-1a 64 of their data) and the metadata keys (type;
      value for scalars and strings, element type, count and FNV-1a 64 of the packed elements for
      arrays) of a GGUF file: what a converter must reproduce, without shipping the file
  gguf_golden.py vocab FILE.gguf OUT.gguf
      the file's general.* and tokenizer.* keys only, no tensors (a vocabulary-only GGUF)
  gguf_golden.py reduce GOLDEN.safetensors OUT.safetensors [--rows N]
      the arrays the tests read (input_ids, gen_ids, gen_margin, logits, logits_step, logits_deq),
      the [T, V] ones cut to their first N rows (causal models: those rows do not depend on the rest)
  gguf_golden.py logits IDS LOGITS.bin V OUT.safetensors
      input_ids (IDS: comma-separated) and the float32 [T, V] logits a llama.cpp run wrote raw, as
      golden arrays (the file seqmix convert wrote is checked against llama.cpp's own run of it)
"""
import json
import struct
import sys

GGUF_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B", 10: "<Q", 11: "<q", 12: "<d"}
GGML_BLOCK = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 10: (256, 84),
              11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 20: (32, 18), 30: (1, 2)}


def fnv64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


class Reader:
    def __init__(self, buf):
        self.b, self.i = buf, 0

    def take(self, n):
        s = self.b[self.i:self.i + n]
        if len(s) != n:
            raise ValueError("truncated GGUF")
        self.i += n
        return s

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def str(self):
        return self.take(self.u64())


def read_gguf(path):
    with open(path, "rb") as f:
        buf = f.read()
    r = Reader(buf)
    if r.take(4) != b"GGUF":
        raise ValueError(path + ": not GGUF")
    version, nt, nkv = r.u32(), r.u64(), r.u64()
    kvs = []
    for _ in range(nkv):
        k0 = r.i
        key = r.str().decode()
        t = r.u32()
        v0 = r.i
        if t == 8:
            val = r.str()
            info = {"type": t, "value": val.decode("utf-8", "replace")}
        elif t == 9:
            at, n = r.u32(), r.u64()
            e0 = r.i
            if at == 8:
                for _ in range(n):
                    r.str()
            else:
                r.take(n * struct.calcsize(GGUF_SCALAR[at]))
            info = {"type": t, "elem": at, "n": n, "fnv": fnv64(buf[e0:r.i])}
        else:
            val = struct.unpack(GGUF_SCALAR[t], r.take(struct.calcsize(GGUF_SCALAR[t])))[0]
            info = {"type": t, "value": bool(val) if t == 7 else val}
        kvs.append((key, info, buf[k0:r.i]))
    tensors = []
    for _ in range(nt):
        name = r.str().decode()
        nd = r.u32()
        ne = [r.u64() for _ in range(nd)]
        t, off = r.u32(), r.u64()
        tensors.append([name, t, ne, off])
    align = 32
    for key, info, _ in kvs:
        if key == "general.alignment":
            align = info["value"]
    data0 = (r.i + align - 1) // align * align
    for t in tensors:
        blck, size = GGML_BLOCK[t[1]]
        n = 1
        for d in t[2][1:]:
            n *= d
        nbytes = t[2][0] // blck * size * n
        t.append(buf[data0 + t[3]:data0 + t[3] + nbytes])
    return version, kvs, tensors


def manifest(src, out):
    _, kvs, tensors = read_gguf(src)
    doc = {"kv": {k: info for k, info, _ in kvs},
           "tensors": [{"name": t[0], "type": t[1], "ne": [d for d in t[2]] + [1] * (4 - len(t[2])), "nbytes": len(t[4]),
                        "fnv": fnv64(t[4])} for t in tensors]}
    with open(out, "w") as f:
        json.dump(doc, f, indent=0, sort_keys=False)
        f.write("\n")


def vocab(src, out):
    version, kvs, _ = read_gguf(src)
    keep = [raw for key, _, raw in kvs if key.startswith("general.") or key.startswith("tokenizer.")]
    with open(out, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, 0, len(keep)))
        for raw in keep:
            f.write(raw)
        pad = (-f.tell()) % 32
        f.write(b"\0" * pad)


ST_SIZE = {"F32": 4, "I32": 4, "U8": 1, "F16": 2, "BF16": 2}


def reduce(src, out, rows):
    with open(src, "rb") as f:
        buf = f.read()
    hl = struct.unpack("<Q", buf[:8])[0]
    hdr = json.loads(buf[8:8 + hl])
    base = 8 + hl
    keep = ["input_ids", "gen_ids", "gen_margin", "logits", "logits_step", "logits_deq"]
    outh, blobs, off = {}, [], 0
    for name in keep:
        if name not in hdr:
            continue
        e = hdr[name]
        b0, b1 = e["data_offsets"]
        data = buf[base + b0:base + b1]
        shape = list(e["shape"])
        if len(shape) == 2 and name.startswith("logits") and rows and shape[0] > rows:
            data = data[:rows * shape[1] * ST_SIZE[e["dtype"]]]
            shape[0] = rows
        outh[name] = {"dtype": e["dtype"], "shape": shape, "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(outh, separators=(",", ":")).encode()
    h += b" " * ((-len(h)) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def logits(ids, binf, V, out):
    ids = [int(x) for x in ids.split(",")]
    with open(binf, "rb") as f:
        lg = f.read()
    assert len(lg) == 4 * len(ids) * V, "logits size"
    idb = struct.pack("<%di" % len(ids), *ids)
    h = {"input_ids": {"dtype": "I32", "shape": [len(ids)], "data_offsets": [0, len(idb)]},
         "logits": {"dtype": "F32", "shape": [len(ids), V], "data_offsets": [len(idb), len(idb) + len(lg)]}}
    hb = json.dumps(h, separators=(",", ":")).encode()
    hb += b" " * ((-len(hb)) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb + idb + lg)


def main(argv):
    if len(argv) >= 4 and argv[1] == "manifest":
        manifest(argv[2], argv[3])
    elif len(argv) >= 4 and argv[1] == "vocab":
        vocab(argv[2], argv[3])
    elif len(argv) >= 4 and argv[1] == "reduce":
        rows = int(argv[5]) if len(argv) >= 6 and argv[4] == "--rows" else 0
        reduce(argv[2], argv[3], rows)
    elif len(argv) >= 6 and argv[1] == "logits":
        logits(argv[2], argv[3], int(argv[4]), argv[5])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
