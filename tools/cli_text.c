/* cli_text.c — text for the CLI and the tests: the evaluators of `seqmix eval` (bits per byte and
 * perplexity of a model on a text file, tokenized with the model's own tokenizer, or the
 * masked-token loss of a masked-diffusion model; the command itself is in cli_eval.c) and reading
 * whole files.
 *
 * Included (not compiled alone) after seqmix.h with SEQMIX_IMPLEMENTATION, by tools/seqmix.c and by the
 * test suite, after cli_util.c (the clock); it uses only the public API.
 *
 * Bits per byte. The text is tokenized as plain text (no BOS/EOS added, special-token text not
 * recognised) and the ids are cut into consecutive windows of `window` positions, each run from a
 * fresh session:
 *   - a tokenizer that adds no BOS (the byte-level toy models): windows of `window` ids, no
 *     overlap (a last shorter window counts if it holds at least 2 ids); for t = 1 .. len-1
 *         bits += -log2 softmax(logits[t-1])[id_t]          (log-softmax in double)
 *   - a tokenizer that adds a BOS (as encode with special tokens would): each window is the BOS
 *     followed by the next window-1 ids, and every id of the text is predicted once.
 * Per token: bits per token = bits / predicted ids, perplexity = 2^(bits per token). Per byte:
 * bits per byte = bits per token x ids / bytes of the text, i.e. the total bits over the text's
 * bytes (exactly so with a BOS, where every id is predicted). For a byte-level model (one id per
 * byte) this is bits / predicted bytes, the number tools/train_toys.py records in
 * models/<name>/eval.json. */
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

/* Whole file ("-": standard input) in a malloc'd buffer (NULL on failure). */
TXT_UNUSED static unsigned char *txt_read_file(const char *path, size_t *n)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0, got;
    if (!f) return NULL;
    do {
        if (len == cap) {
            unsigned char *nb = (unsigned char *)realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!nb) { free(buf); if (f != stdin) fclose(f); return NULL; }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    if (ferror(f)) { free(buf); buf = NULL; }
    if (f != stdin) fclose(f);
    *n = len;
    return buf;
}

typedef struct txt_eval_stats {
    double bits;            /* total -log2 p over the predicted ids */
    long long predicted;    /* ids predicted */
    long long tokens;       /* ids of the text */
    long long bytes;        /* bytes of the text */
    int windows;
    int bos;                /* the windows start with the tokenizer's BOS */
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

/* text[0..n) as ids of the model's tokenizer (plain text: flags 0) in a malloc'd array; NULL with
 * err filled (no tokenizer, out of memory, an id outside the model's vocabulary). */
TXT_UNUSED static int32_t *txt_tokenize_model(const smx_model *m, const unsigned char *text, size_t n, int flags, size_t *n_ids,
                                              smx_error *err)
{
    const char *why = NULL;
    const smx_tokenizer *tok = smx_model_tokenizer(m, &why);
    int32_t *ids;
    size_t cap = n + 16, got = 0, i;
    smx_error e;
    smx_status st;
    if (!tok) { txt_fail(err, SMX_E_UNSUPPORTED, "the model has no tokenizer (%s)", why); return NULL; }
    for (;;) {
        if (!(ids = (int32_t *)malloc(sizeof(int32_t) * (cap ? cap : 1)))) {
            txt_fail(err, SMX_E_NOMEM, "out of memory for the ids of %lu bytes of text", (unsigned long)n);
            return NULL;
        }
        st = smx_tokenize(tok, (const char *)text, n, flags, ids, cap, &got, &e);
        if (st != SMX_E_CAPACITY || got <= cap) break;
        free(ids);
        cap = got;
    }
    if (st != SMX_OK) { free(ids); txt_fail(err, st, "tokenizing the text: %s", e.msg); return NULL; }
    for (i = 0; i < got; i++)
        if (ids[i] < 0 || ids[i] >= smx_model_vocab(m)) {
            txt_fail(err, SMX_E_RANGE, "the tokenizer gave id %ld, outside the model's vocabulary of %d", (long)ids[i], smx_model_vocab(m));
            free(ids);
            return NULL;
        }
    *n_ids = got;
    return ids;
}

/* The BOS id the tokenizer puts before a text when it adds special tokens, or -1. */
static int32_t txt_added_bos(const smx_tokenizer *tok)
{
    int32_t ids[4], bos = smx_tokenizer_bos(tok);
    size_t n = 0;
    if (bos < 0 || smx_tokenize(tok, "", 0, SMX_TOK_ADD_SPECIAL, ids, 4, &n, NULL) != SMX_OK) return -1;
    return n >= 1 && ids[0] == bos ? bos : -1;
}

/* Bits of an autoregressive token model over the ids text[0..n) in windows (see the top of this
 * file); bos >= 0 starts every window with it. 0 ok, else err filled; st receives the totals. */
static smx_status txt_eval_windows(const smx_model *m, const int32_t *text, size_t n, int32_t bos, int window, int n_threads,
                                   txt_eval_stats *st, smx_error *err)
{
    smx_session_options so;
    smx_session *s = NULL;
    int V = smx_model_vocab(m), t, L = 0, h = bos >= 0;
    float *lg = NULL;               /* [window, V] logits of every position of a window */
    int32_t *ids = NULL;            /* [window] */
    size_t off;
    smx_status rc = SMX_E_NOMEM;
    memset(&so, 0, sizeof so);
    so.capacity = window;
    so.n_threads = n_threads;
    if (smx_session_new(m, &so, &s, err) != SMX_OK) return err ? err->status : SMX_E_NOMEM;
    lg = (float *)malloc(sizeof(float) * (size_t)window * (size_t)V);
    ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)window);
    if (!lg || !ids) { txt_fail(err, SMX_E_NOMEM, "out of memory for %d x %d logits", window, V); goto done; }
    ids[0] = bos;
    for (off = 0; off < n; off += (size_t)(L - h)) {
        L = h + (n - off < (size_t)(window - h) ? (int)(n - off) : window - h);
        if (L < 2) break;
        memcpy(ids + h, text + off, sizeof(int32_t) * (size_t)(L - h));
        smx_session_reset(s);
        if (smx_session_prefill(s, ids, L, lg, 1) != SMX_OK) {
            rc = txt_fail(err, SMX_E_ARG, "window at token %lu: %s", (unsigned long)off, smx_session_error(s));
            goto done;
        }
        /* bits += -log2 p(id_t | the ids before t in the window), t = 1 .. L-1 */
        for (t = 1; t < L; t++) st->bits -= txt_logprob(lg + (size_t)(t - 1) * V, V, ids[t]) / log(2.0);
        st->predicted += L - 1;
        st->windows++;
    }
    rc = SMX_OK;
done:
    smx_session_free(s);
    free(lg); free(ids);
    return rc;
}

/* Bits per byte of an autoregressive token model on text[0..n), tokenized with the model's
 * tokenizer (see the top of this file). Returns it, or -1 with err filled. st (may be NULL)
 * receives the totals: bits / st->predicted is the loss per token. */
TXT_UNUSED static double txt_eval_bpb(const smx_model *m, const unsigned char *text, size_t n, int window, int n_threads,
                                      txt_eval_stats *st, smx_error *err)
{
    smx_model_info info;
    txt_eval_stats acc;
    int32_t *ids = NULL;
    size_t n_ids = 0;
    double t0 = cli_now(), res = -1.0;
    memset(&acc, 0, sizeof acc);
    if (st) *st = acc;
    smx_model_get_info(m, &info);
    if (window < 2) { txt_fail(err, SMX_E_ARG, "window must be at least 2 (found %d)", window); return -1.0; }
    if (info.kind != SMX_KIND_TOKENS || !info.causal || smx_model_mask_token(m) >= 0) {
        txt_fail(err, SMX_E_UNSUPPORTED, "bits per byte needs an autoregressive token model (%s is a %s)", info.architecture,
                 info.kind != SMX_KIND_TOKENS ? "feature model" : "masked-diffusion model");
        return -1.0;
    }
    if (info.max_context > 0 && window > info.max_context) {
        txt_fail(err, SMX_E_CAPACITY, "window %d is longer than the model's context (%d)", window, info.max_context);
        return -1.0;
    }
    if (!(ids = txt_tokenize_model(m, text, n, 0, &n_ids, err))) return -1.0;
    acc.tokens = (long long)n_ids;
    acc.bytes = (long long)n;
    acc.bos = txt_added_bos(smx_model_tokenizer(m, NULL));
    if (txt_eval_windows(m, ids, n_ids, acc.bos, window, n_threads, &acc, err) != SMX_OK) goto done;
    acc.bos = acc.bos >= 0;
    if (!acc.predicted) { txt_fail(err, SMX_E_ARG, "a text of %lu bytes (%lu tokens) has nothing to predict", (unsigned long)n, (unsigned long)n_ids); goto done; }
    acc.seconds = cli_now() - t0;
    res = acc.bits / (double)acc.predicted * (double)acc.tokens / (double)acc.bytes;
    if (err) { err->status = SMX_OK; err->msg[0] = 0; }
done:
    if (st) *st = acc;
    free(ids);
    return res;
}

/* Masked-token loss of a masked-diffusion model on text[0..n), tokenized with the model's
 * tokenizer: each of the first max_windows windows of `window` ids (windows as above, no BOS)
 * with every position i where i % period == phase replaced by the mask id is run through the
 * bidirectional network; returns the mean cross-entropy (nats, over the whole vocabulary) at
 * those positions, or -1 with err filled. *count (may be NULL) gets their number. */
TXT_UNUSED static double txt_eval_masked_ce(const smx_model *m, const unsigned char *text, size_t n, int window, int max_windows,
                                            int period, int phase, long long *count, smx_error *err)
{
    smx_model_info info;
    smx_session_options so;
    smx_session *s = NULL;
    int V = smx_model_vocab(m), mask = smx_model_mask_token(m), t, L, w = 0;
    float *lg = NULL;               /* [window, V] */
    int32_t *ids = NULL;            /* [window] the canvas */
    int32_t *tx = NULL;             /* the text's ids */
    size_t off, n_ids = 0;
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
    if (!(tx = txt_tokenize_model(m, text, n, 0, &n_ids, err))) return -1.0;
    memset(&so, 0, sizeof so);
    so.capacity = window;
    if (smx_session_new(m, &so, &s, err) != SMX_OK) { free(tx); return -1.0; }
    lg = (float *)malloc(sizeof(float) * (size_t)window * (size_t)V);
    ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)window);
    if (!lg || !ids) { txt_fail(err, SMX_E_NOMEM, "out of memory for %d x %d logits", window, V); goto done; }
    for (off = 0; off < n_ids && (max_windows <= 0 || w < max_windows); off += (size_t)window, w++) {
        L = n_ids - off < (size_t)window ? (int)(n_ids - off) : window;
        if (L < 2) break;
        for (t = 0; t < L; t++) ids[t] = t % period == phase ? mask : tx[off + (size_t)t];
        smx_session_reset(s);
        if (smx_session_prefill(s, ids, L, lg, 1) != SMX_OK) {
            txt_fail(err, SMX_E_ARG, "window at token %lu: %s", (unsigned long)off, smx_session_error(s));
            goto done;
        }
        /* nats += -log softmax(logits[t])[id_t] at every masked position t */
        for (t = phase; t < L; t += period) {
            nats -= txt_logprob(lg + (size_t)t * V, V, tx[off + (size_t)t]);
            cnt++;
        }
    }
    if (!cnt) { txt_fail(err, SMX_E_ARG, "no masked positions"); goto done; }
    res = nats / (double)cnt;
    if (err) { err->status = SMX_OK; err->msg[0] = 0; }
done:
    if (count) *count = cnt;
    smx_session_free(s);
    free(lg); free(ids); free(tx);
    return res;
}

#endif /* CLI_TEXT_C */
