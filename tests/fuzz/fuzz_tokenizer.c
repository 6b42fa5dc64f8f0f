/* fuzz_tokenizer.c - libFuzzer harness for the tokenizers (make fuzz FUZZ=tokenizer).
 * The first input byte picks the target:
 *   0  tokenizer.json from memory; when it loads, encode/decode the input's tail with it
 *   1  GGUF vocabulary from memory (smx__gguf_open, then the tokenizer); encode/decode when it loads
 *   2  tokenize / detokenize / stream arbitrary bytes with a fixed tokenizer (FUZZ_TOK_DIR: a folder
 *      with tokenizer.json, or a .gguf; default the golden hf-llama3 case)
 *   3  regex: pattern = first half, subject = second half, both semantics
 * Nothing may crash, leak, hang or trip the sanitizers; errors are fine. */
#define SEQMIX_IMPLEMENTATION
#include "../../seqmix.h"


#ifndef FUZZ_TOK_DIR
#define FUZZ_TOK_DIR "tests/golden/tok/hf-llama3"
#endif

/* encode data, decode the ids, stream them, decode random ids */
static void fuzz_roundtrip(const smx_tokenizer *t, const uint8_t *d, size_t n)
{
    int32_t ids[4096];
    char out[65536];
    size_t cnt = 0, len, k;
    int flags = n ? d[0] & 7 : 0;
    smx_detok_stream ds;
    if (smx_tokenize(t, (const char *)d, n, flags, ids, 4096, &cnt, NULL) != SMX_OK) cnt = cnt > 4096 ? 4096 : 0;
    smx_detokenize(t, ids, cnt, flags, out, sizeof out, &len, NULL);
    smx_detokenize(t, ids, cnt, flags, NULL, 0, &len, NULL);
    smx_detok_stream_init(&ds, t, flags);
    for (k = 0; k < cnt; k++) smx_detok_stream_push(&ds, ids[k], out, 64, &len);
    smx_detok_stream_flush(&ds, out, sizeof out, &len);
    /* arbitrary ids from the bytes */
    for (k = 0; k + 2 <= n && k < 512; k += 2) ids[k / 2] = (int32_t)((d[k] | d[k + 1] << 8) % (smx_tokenizer_vocab_size(t) + 8)) - 4;
    smx_detokenize(t, ids, k / 2, flags, out, sizeof out, &len, NULL);
}

static void fuzz_json(const uint8_t *d, size_t n)
{
    smx_tokenizer *t;
    size_t split = n > 64 ? n - 64 : n;
    if (smx_tokenizer_from_memory((const char *)d, split, NULL, 0, &t, NULL) == SMX_OK) {
        fuzz_roundtrip(t, d + split, n - split);
        smx_tokenizer_free(t);
    }
}

static void fuzz_gguf(const uint8_t *d, size_t n)
{
    smx__gguf g;
    smx_tokenizer *t;
    if (smx__gguf_open(&g, d, n, "fuzz", NULL) == SMX_OK) {
        size_t i;
        int64_t v;
        double f;
        const char *s;
        size_t sl;
        for (i = 0; i < g.n_kv; i++) {   /* every getter on every key */
            smx__gguf_get_i64(&g, g.kv[i].key, &v);
            smx__gguf_get_f64(&g, g.kv[i].key, &f);
            smx__gguf_get_str(&g, g.kv[i].key, &s, &sl);
        }
        smx__gguf_close(&g);
    }
    if (smx_tokenizer_from_gguf_memory(d, n, &t, NULL) == SMX_OK) {
        fuzz_roundtrip(t, d, n > 256 ? 256 : n);
        smx_tokenizer_free(t);
    }
}

static void fuzz_text(const uint8_t *d, size_t n)
{
    static smx_tokenizer *t;
    if (!t && smx_tokenizer_load(FUZZ_TOK_DIR, &t, NULL) != SMX_OK) return;
    fuzz_roundtrip(t, d, n);
}

static void fuzz_regex(const uint8_t *d, size_t n)
{
    size_t h = n / 2;
    int mode;
    for (mode = 0; mode < 2; mode++) {
        smx__rx *rx;
        if (smx__rx_compile((const char *)d, h, mode, "fuzz", &rx, NULL) == SMX_OK) {
            smx__tok_ctx cx;
            smx__tok_split sp;
            smx__tok_buf valid;
            memset(&cx, 0, sizeof cx);
            memset(&sp, 0, sizeof sp);
            memset(&valid, 0, sizeof valid);
            smx__tok_lossy(&valid, (const char *)d + h, n - h);   /* subjects are valid UTF-8 inside */
            sp.kind = SMX__SP_REGEX;
            sp.rx = rx;
            smx__tok_find_matches(&cx, &sp, valid.p ? valid.p : "", valid.n);
            smx__tok_ctx_free(&cx);
            smx__tok_buf_free(&valid);
            smx__rx_free(rx);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_MODE
    int mode = FUZZ_MODE;
#else
    int mode;
    if (!size) return 0;
    mode = data[0] & 3;
    data++; size--;
#endif
    switch (mode) {
    case 0: fuzz_json(data, size); break;
    case 1: fuzz_gguf(data, size); break;
    case 2: fuzz_text(data, size); break;
    default: fuzz_regex(data, size); break;
    }
    return 0;
}
