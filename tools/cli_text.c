/* cli_text.c — byte-level text for the CLI and the tests: `seqmix eval` (bits per byte of a model on a
 * text file, or the masked-token loss of a masked-diffusion model; the command itself is in cli_eval.c)
 * and printing byte-level tokens as text.
 *
 * Included (not compiled alone) after seqmix.h with SEQMIX_IMPLEMENTATION, by tools/seqmix.c and by the
 * test suite, after cli_util.c (the clock); it uses only the public API.
 *
 * Bits per byte, as tools/train_toys.py records it in models/<name>/eval.json:
 *   the text is cut into consecutive windows of `window` bytes (no overlap; a last shorter window counts
 *   if it holds at least 2 bytes); each window runs from a fresh session; for t = 1 .. len-1
 *       bits += -log2 softmax(logits[t-1])[byte_t]          (log-softmax in double)
 *   and bits per byte = bits / (number of predicted bytes). Perplexity per byte = 2^(bits per byte). */
#ifndef CLI_TEXT_C
#define CLI_TEXT_C

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__) || defined(__clang__)
#define TXT_UNUSED __attribute__((unused))
#else
#define TXT_UNUSED
#endif

/* Fill err (may be NULL) and return its status. */
static smx_status txt_fail(smx_error *err, smx_status st, const char *fmt, ...)
{
    va_list ap;
    if (!err) return st;
    va_start(ap, fmt);
    err->status = st;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}

/* A byte-level model: its ids are bytes (vocabulary 256), maybe plus a [MASK] id 256 (257). */
TXT_UNUSED static int txt_is_bytes(const smx_model *m)
{
    int V = smx_model_vocab(m);
    return V == 256 || V == 257;
}

/* Print one token of a byte-level model: printable bytes, newline and tab as themselves, the mask id
 * as mask_char, other ids as \xNN (bytes) or <id>. */
TXT_UNUSED static void txt_put(FILE *f, int32_t id, int32_t mask_id, int mask_char)
{
    if (id == mask_id) fputc(mask_char, f);
    else if (id == '\n' || id == '\t' || (id >= 32 && id < 127)) fputc((int)id, f);
    else if (id >= 0 && id < 256) fprintf(f, "\\x%02x", (unsigned)id);
    else fprintf(f, "<%ld>", (long)id);
}

/* Bytes of s as ids; returns the count (at most cap). */
TXT_UNUSED static int txt_encode(const char *s, int32_t *ids, int cap)
{
    int n = 0;
    while (s[n] && n < cap) { ids[n] = (int32_t)(unsigned char)s[n]; n++; }
    return n;
}

/* Whole file in a malloc'd buffer (NULL on failure). */
TXT_UNUSED static unsigned char *txt_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0, got;
    if (!f) return NULL;
    do {
        if (len == cap) {
            unsigned char *nb = (unsigned char *)realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    fclose(f);
    *n = len;
    return buf;
}

typedef struct txt_eval_stats {
    double bits;            /* total -log2 p over the predicted bytes */
    long long predicted;    /* bytes predicted (window length - 1 per window) */
    int windows;
    double seconds;
} txt_eval_stats;

/* log p(target) from one row of logits [V], in double. */
static double txt_logprob(const float *row, int V, int target)
{
    double mx = row[0], sum = 0.0;
    int j;
    for (j = 1; j < V; j++) if (row[j] > mx) mx = row[j];
    for (j = 0; j < V; j++) sum += exp((double)row[j] - mx);
    return (double)row[target] - mx - log(sum);
}

/* Bits per byte of an autoregressive byte-level model on text[0..n) (see the top of this file).
 * Returns it, or -1 with err filled. st (may be NULL) receives the totals. */
TXT_UNUSED static double txt_eval_bpb(const smx_model *m, const unsigned char *text, size_t n, int window, int n_threads,
                           txt_eval_stats *st, smx_error *err)
{
    smx_model_info info;
    smx_session_options so;
    smx_session *s = NULL;
    int V = smx_model_vocab(m), t, L;
    float *lg = NULL;               /* [window, V] logits of every position of a window */
    int32_t *ids = NULL;            /* [window] */
    size_t off;
    txt_eval_stats acc;
    double t0 = cli_now(), res = -1.0;
    memset(&acc, 0, sizeof acc);
    if (st) *st = acc;
    smx_model_get_info(m, &info);
    if (window < 2) { txt_fail(err, SMX_E_ARG, "window must be at least 2 (found %d)", window); return -1.0; }
    if (info.kind != SMX_KIND_TOKENS || !info.causal || smx_model_mask_token(m) >= 0 || V < 256) {
        txt_fail(err, SMX_E_UNSUPPORTED, "bits per byte needs an autoregressive byte-level model (%s: %s, vocabulary %d)",
                      info.architecture, info.kind != SMX_KIND_TOKENS ? "feature model"
                      : info.causal && smx_model_mask_token(m) < 0 ? "causal" : "masked diffusion", V);
        return -1.0;
    }
    if (info.max_context > 0 && window > info.max_context) {
        txt_fail(err, SMX_E_CAPACITY, "window %d is longer than the model's context (%d)", window, info.max_context);
        return -1.0;
    }
    memset(&so, 0, sizeof so);
    so.capacity = window;
    so.n_threads = n_threads;
    if (smx_session_new(m, &so, &s, err) != SMX_OK) return -1.0;
    lg = (float *)malloc(sizeof(float) * (size_t)window * (size_t)V);
    ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)window);
    if (!lg || !ids) { txt_fail(err, SMX_E_NOMEM, "out of memory for %d x %d logits", window, V); goto done; }
    for (off = 0; off < n; off += (size_t)window) {
        L = n - off < (size_t)window ? (int)(n - off) : window;
        if (L < 2) break;
        for (t = 0; t < L; t++) ids[t] = text[off + (size_t)t];
        smx_session_reset(s);
        if (smx_session_prefill(s, ids, L, lg, 1) != SMX_OK) {
            txt_fail(err, SMX_E_ARG, "window at byte %lu: %s", (unsigned long)off, smx_session_error(s));
            goto done;
        }
        /* bits += -log2 p(byte_t | bytes before t in the window), t = 1 .. L-1 */
        for (t = 1; t < L; t++) acc.bits -= txt_logprob(lg + (size_t)(t - 1) * V, V, ids[t]) / log(2.0);
        acc.predicted += L - 1;
        acc.windows++;
    }
    if (!acc.predicted) { txt_fail(err, SMX_E_ARG, "text of %lu bytes has nothing to predict", (unsigned long)n); goto done; }
    acc.seconds = cli_now() - t0;
    res = acc.bits / (double)acc.predicted;
    if (err) { err->status = SMX_OK; err->msg[0] = 0; }
done:
    if (st) *st = acc;
    smx_session_free(s);
    free(lg); free(ids);
    return res;
}

/* Masked-token loss of a masked-diffusion byte model: each of the first max_windows windows of the
 * text (windows as above) with every position i where i % period == phase replaced by the mask id
 * is run through the bidirectional network; returns the mean cross-entropy (nats, over the whole
 * vocabulary) at those positions, or -1 with err filled. *count (may be NULL) gets their number. */
TXT_UNUSED static double txt_eval_masked_ce(const smx_model *m, const unsigned char *text, size_t n, int window, int max_windows,
                                 int period, int phase, long long *count, smx_error *err)
{
    smx_model_info info;
    smx_session_options so;
    smx_session *s = NULL;
    int V = smx_model_vocab(m), mask = smx_model_mask_token(m), t, L, w = 0;
    float *lg = NULL;               /* [window, V] */
    int32_t *ids = NULL;            /* [window] the canvas */
    size_t off;
    double nats = 0.0, res = -1.0;
    long long cnt = 0;
    if (count) *count = 0;
    smx_model_get_info(m, &info);
    if (window < 2 || period < 1 || phase < 0 || phase >= period) {
        txt_fail(err, SMX_E_ARG, "window %d / mask period %d / phase %d are invalid", window, period, phase);
        return -1.0;
    }
    if (info.kind != SMX_KIND_TOKENS || mask < 0 || mask >= V) {
        txt_fail(err, SMX_E_UNSUPPORTED, "the masked-token loss needs a bidirectional model with a mask token (%s)", info.architecture);
        return -1.0;
    }
    memset(&so, 0, sizeof so);
    so.capacity = window;
    if (smx_session_new(m, &so, &s, err) != SMX_OK) return -1.0;
    lg = (float *)malloc(sizeof(float) * (size_t)window * (size_t)V);
    ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)window);
    if (!lg || !ids) { txt_fail(err, SMX_E_NOMEM, "out of memory for %d x %d logits", window, V); goto done; }
    for (off = 0; off < n && (max_windows <= 0 || w < max_windows); off += (size_t)window, w++) {
        L = n - off < (size_t)window ? (int)(n - off) : window;
        if (L < 2) break;
        for (t = 0; t < L; t++) ids[t] = t % period == phase ? mask : (int32_t)text[off + (size_t)t];
        smx_session_reset(s);
        if (smx_session_prefill(s, ids, L, lg, 1) != SMX_OK) {
            txt_fail(err, SMX_E_ARG, "window at byte %lu: %s", (unsigned long)off, smx_session_error(s));
            goto done;
        }
        /* nats += -log softmax(logits[t])[byte_t] at every masked position t */
        for (t = phase; t < L; t += period) {
            nats -= txt_logprob(lg + (size_t)t * V, V, (int)text[off + (size_t)t]);
            cnt++;
        }
    }
    if (!cnt) { txt_fail(err, SMX_E_ARG, "no masked positions"); goto done; }
    res = nats / (double)cnt;
    if (err) { err->status = SMX_OK; err->msg[0] = 0; }
done:
    if (count) *count = cnt;
    smx_session_free(s);
    free(lg); free(ids);
    return res;
}

#endif /* CLI_TEXT_C */
