/* conform.c — golden-case conformance checks, shared by `seqmix conform` and the test suite.
 *
 * Included (not compiled alone) after seqmix.h with SEQMIX_IMPLEMENTATION and cli_util.c. A case folder holds a
 * checkpoint (config.json + safetensors) and golden.safetensors with the reference's inputs and
 * outputs; the kind of case follows from the tensors it holds:
 *   input_ids + logits [+ greedy_ids, step_logits]   token language model
 *   inputs + outputs [+ timespans, h_final, c_final] feature-sequence model
 *   fwd_input_ids + fwd_logits [+ runK_*]            masked-diffusion model
 */
#include <stdio.h>
#include "cli_text.c"   /* txt_read_file */

/* dir/name */
static void cf_path(char *dst, size_t cap, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    snprintf(dst, cap, "%s%s%s", dir, (n && dir[n - 1] == '/') ? "" : "/", name);
}

enum { CF_PASS = 0, CF_FAIL = 1, CF_ERROR = 2, CF_NOT_BUILT = 3 };

typedef struct cf_golden {
    smx__tensors ts;
} cf_golden;

/* A golden tensor as float32 (I32 converted) in a malloc'd buffer; NULL if absent. */
static float *cf_golden_f32(cf_golden *g, const char *name, int64_t *shape, int *ndim)
{
    smx__st_entry *en = smx__st_find(&g->ts, name);
    float *buf;
    if (!en || (en->dtype != SMX__DT_F32 && en->dtype != SMX__DT_I32 && en->dtype != SMX__DT_F16 && en->dtype != SMX__DT_BF16))
        return NULL;
    buf = (float *)malloc(sizeof(float) * (en->numel ? en->numel : 1));
    if (!buf) return NULL;
    if (smx__st_read_f32(&g->ts, en, buf, NULL) != SMX_OK) { free(buf); return NULL; }
    if (shape) memcpy(shape, en->shape, sizeof en->shape);
    if (ndim) *ndim = en->ndim;
    return buf;
}

static int32_t *cf_golden_ids(cf_golden *g, const char *name, int *n)
{
    int64_t sh[8];
    int nd, i;
    float *f = cf_golden_f32(g, name, sh, &nd);
    int32_t *ids;
    if (!f) return NULL;
    *n = (int)sh[0];
    ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)(*n ? *n : 1));
    if (ids)
        for (i = 0; i < *n; i++) ids[i] = (int32_t)f[i];
    free(f);
    return ids;
}

static double cf_max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d != d) return INFINITY;
        if (d > m) m = d;
    }
    return m;
}

static int cf_report(FILE *out, const char *cs, const char *check, double err, double tol, int *fails, double *worst)
{
    int ok = err <= tol;
    if (out) fprintf(out, "%s: %-14s max_abs_err=%.3g %s\n", cs, check, err, ok ? "ok" : "MISMATCH");
    if (!ok) (*fails)++;
    if (err > *worst) *worst = err;
    return ok;
}

/* Token LM: prefill, fresh step-by-step, prefill-then-step, greedy continuation. */
static int cf_conform_lm(const smx_model *m, cf_golden *g, const char *cs, double tol, FILE *out, double *worst)
{
    int T = 0, n_greedy = 0, V = smx_model_vocab(m), fails = 0, t, half;
    int32_t *ids = cf_golden_ids(g, "input_ids", &T), *greedy = cf_golden_ids(g, "greedy_ids", &n_greedy);
    int64_t sh[8];
    int nd;
    float *ref = cf_golden_f32(g, "logits", sh, &nd), *sref = cf_golden_f32(g, "step_logits", NULL, NULL);
    float *lg = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_error err;
    int rc = CF_ERROR;
    if (!ids || !ref || nd != 2 || sh[0] != T || sh[1] != V) {
        if (out) fprintf(out, "%s: golden logits [%lld, %lld] do not match %d tokens x vocab %d\n", cs, (long long)sh[0],
                         (long long)sh[1], T, V);
        goto done;
    }
    memset(&so, 0, sizeof so);
    so.capacity = T + n_greedy + 1;
    lg = (float *)malloc(sizeof(float) * (size_t)T * V);
    if (!lg || smx_session_new(m, &so, &s, &err)) { if (out) fprintf(out, "%s: session: %s\n", cs, lg ? err.msg : "out of memory"); goto done; }
    /* (a) prefill of the whole sequence */
    if (smx_session_prefill(s, ids, T, lg, 1)) goto session_error;
    cf_report(out, cs, "prefill", cf_max_abs_diff(lg, ref, (size_t)T * V), tol, &fails, worst);
    /* (b) a fresh session stepping token by token (vs step_logits where the reference has them) */
    smx_session_reset(s);
    for (t = 0; t < T; t++)
        if (smx_session_step(s, ids[t], lg + (size_t)t * V)) goto session_error;
    cf_report(out, cs, sref ? "step(ref step)" : "step", cf_max_abs_diff(lg, sref ? sref : ref, (size_t)T * V), tol, &fails, worst);
    /* (c) prefill a prefix, step the rest */
    smx_session_reset(s);
    half = T / 2;
    if (smx_session_prefill(s, ids, half, lg, 1)) goto session_error;
    for (t = half; t < T; t++)
        if (smx_session_step(s, ids[t], lg + (size_t)t * V)) goto session_error;
    cf_report(out, cs, "prefill+step", cf_max_abs_diff(lg, ref, (size_t)T * V), tol, &fails, worst);
    /* (d) greedy continuation, exact */
    if (greedy) {
        int match = 0;
        int32_t next;
        smx_session_reset(s);
        if (smx_session_prefill(s, ids, T, lg, 0)) goto session_error;
        for (t = 0; t < n_greedy; t++) {
            next = smx_argmax(lg, V);
            if (next == greedy[t]) match++;
            else break;
            if (t + 1 < n_greedy && smx_session_step(s, next, lg)) goto session_error;
        }
        if (out) fprintf(out, "%s: %-14s %d/%d tokens %s\n", cs, "greedy", match, n_greedy, match == n_greedy ? "ok" : "MISMATCH");
        if (match != n_greedy) fails++;
    }
    rc = fails ? CF_FAIL : CF_PASS;
    goto done;
session_error:
    if (out) fprintf(out, "%s: %s\n", cs, smx_session_error(s));
    rc = CF_ERROR;
done:
    smx_session_free(s);
    free(ids); free(greedy); free(ref); free(sref); free(lg);
    return rc;
}

/* Feature-sequence model: whole sequence, then one step at a time; final states. The model's
 * single recurrent layer keeps [h | c] at the start of its state. */
static int cf_conform_features(const smx_model *m, cf_golden *g, const char *cs, double tol, FILE *out, double *worst)
{
    int64_t si[8], so_[8], sh[8], sc[8];
    int ni, no, nh = 0, nc = 0, fails = 0, t, T, din, dout, layer;
    float *in = cf_golden_f32(g, "inputs", si, &ni), *ref = cf_golden_f32(g, "outputs", so_, &no);
    float *ts = cf_golden_f32(g, "timespans", NULL, NULL);
    float *hf = cf_golden_f32(g, "h_final", sh, &nh), *cf = cf_golden_f32(g, "c_final", sc, &nc);
    float *o = NULL, *st;
    size_t bytes;
    smx_session *s = NULL;
    smx_error err;
    smx_model_info info;
    int rc = CF_ERROR;
    smx_model_get_info(m, &info);
    if (!in || !ref || ni != 2 || no != 2 || si[0] != so_[0] || si[1] != info.input_size || so_[1] != info.output_size) {
        if (out) fprintf(out, "%s: golden inputs/outputs do not match the model (%d in, %d out)\n", cs, info.input_size, info.output_size);
        goto done;
    }
    T = (int)si[0]; din = (int)si[1]; dout = (int)so_[1];
    o = (float *)malloc(sizeof(float) * (size_t)T * dout);
    if (!o || smx_session_new(m, NULL, &s, &err)) { if (out) fprintf(out, "%s: session: %s\n", cs, o ? err.msg : "out of memory"); goto done; }
    if (smx_session_run(s, in, ts, T, o)) goto session_error;
    cf_report(out, cs, "sequence", cf_max_abs_diff(o, ref, (size_t)T * dout), tol, &fails, worst);
    layer = info.n_layers - 1;
    st = smx_session_layer_state(s, layer, &bytes);
    if (hf) {
        if ((size_t)sh[0] * sizeof(float) > bytes) goto state_shape;
        cf_report(out, cs, "h_final", cf_max_abs_diff(st, hf, (size_t)sh[0]), tol, &fails, worst);
    }
    if (cf) {
        if ((size_t)(sh[0] + sc[0]) * sizeof(float) > bytes) goto state_shape;
        cf_report(out, cs, "c_final", cf_max_abs_diff(st + sh[0], cf, (size_t)sc[0]), tol, &fails, worst);
    }
    smx_session_reset(s);
    for (t = 0; t < T; t++)
        if (smx_session_run(s, in + (size_t)t * din, ts ? ts + t : NULL, 1, o + (size_t)t * dout)) goto session_error;
    cf_report(out, cs, "step", cf_max_abs_diff(o, ref, (size_t)T * dout), tol, &fails, worst);
    rc = fails ? CF_FAIL : CF_PASS;
    goto done;
state_shape:
    if (out) fprintf(out, "%s: golden final state is larger than the layer state (%lu bytes)\n", cs, (unsigned long)bytes);
    rc = CF_FAIL;
    goto done;
session_error:
    if (out) fprintf(out, "%s: %s\n", cs, smx_session_error(s));
done:
    smx_session_free(s);
    free(in); free(ref); free(ts); free(hf); free(cf); free(o);
    return rc;
}

#ifdef SMX_HAVE_DIFFUSION
static int cf_conform_diffusion_runs(const smx_model *m, cf_golden *g, const char *dir, const char *cs, FILE *out, int *fails);
#endif

/* Masked-diffusion model: the bidirectional forward, then the reference sampler's runs. */
static int cf_conform_diffusion(const smx_model *m, cf_golden *g, const char *dir, const char *cs, double tol, FILE *out,
                                 double *worst)
{
    int T = 0, V = smx_model_vocab(m), fails = 0;
    int64_t sh[8];
    int nd;
    int32_t *ids = cf_golden_ids(g, "fwd_input_ids", &T);
    float *ref = cf_golden_f32(g, "fwd_logits", sh, &nd), *lg = NULL;
    smx_session *s = NULL;
    smx_session_options so;
    smx_error err;
    int rc = CF_ERROR;
    (void)dir;
    if (!ids || !ref || nd != 2 || sh[0] != T || sh[1] != V) {
        if (out) fprintf(out, "%s: golden fwd_logits do not match the model\n", cs);
        goto done;
    }
    memset(&so, 0, sizeof so);
    so.capacity = T;
    lg = (float *)malloc(sizeof(float) * (size_t)T * V);
    if (!lg || smx_session_new(m, &so, &s, &err)) { if (out) fprintf(out, "%s: session: %s\n", cs, lg ? err.msg : "out of memory"); goto done; }
    if (smx_session_prefill(s, ids, T, lg, 1)) {
        if (out) fprintf(out, "%s: %s\n", cs, smx_session_error(s));
        goto done;
    }
    cf_report(out, cs, "forward", cf_max_abs_diff(lg, ref, (size_t)T * V), tol, &fails, worst);
#ifdef SMX_HAVE_DIFFUSION
    if (cf_conform_diffusion_runs(m, g, dir, cs, out, &fails) != 0) goto done;
    rc = fails ? CF_FAIL : CF_PASS;
#else
    if (out) fprintf(out, "%s: sampler runs need the diffusion sampler, not in this build\n", cs);
    rc = fails ? CF_FAIL : CF_NOT_BUILT;
#endif
done:
    smx_session_free(s);
    free(ids); free(ref); free(lg);
    return rc;
}

#include "conform_gguf.c"

/* Check the case in dir, loaded with options lo (NULL: the defaults): a Hugging Face case, or a
 * GGUF case folder (conform_gguf.c). Prints one line per check and a last PASS/FAIL line. Returns CF_PASS, _FAIL, _ERROR (could not load) or _NOT_BUILT
 * (family not implemented). */
static int cf_conform_ex(const char *dir, const smx_load_options *lo, double tol, FILE *out, double *max_err)
{
    char path[4096];
    const char *cs = strrchr(dir, '/');
    cf_golden g;
    smx_model *m = NULL;
    smx_error err;
    double worst = 0.0;
    int rc;
    size_t n = strlen(dir);
    char name[256];
    /* case name: last path component, ignoring a trailing slash */
    while (n > 1 && dir[n - 1] == '/') n--;
    snprintf(name, sizeof name, "%.*s", (int)n, dir);
    cs = strrchr(name, '/');
    cs = cs ? cs + 1 : name;
    memset(&g, 0, sizeof g);
    cf_path(path, sizeof path, dir, "golden.safetensors");
    if (!cli_is_file(path) && cf_is_gguf_case(dir)) return cf_conform_gguf(dir, cs, lo, out, max_err);
    if (smx__st_open_path(&g.ts, path, &err) != SMX_OK) {
        if (out) fprintf(out, "FAIL %s could not load golden data: %s\n", cs, err.msg);
        smx__st_close(&g.ts);
        return CF_ERROR;
    }
    if (smx_model_load_ex(dir, lo, &m, &err) != SMX_OK) {
        int nb = err.status == SMX_E_UNSUPPORTED && strstr(err.msg, "not implemented");
        if (out) fprintf(out, "%s %s %s\n", nb ? "SKIP" : "FAIL", cs, err.msg);
        smx__st_close(&g.ts);
        return nb ? CF_NOT_BUILT : CF_ERROR;
    }
    if (smx__st_find(&g.ts, "fwd_logits")) rc = cf_conform_diffusion(m, &g, dir, cs, tol, out, &worst);
    else if (smx__st_find(&g.ts, "outputs")) rc = cf_conform_features(m, &g, cs, tol, out, &worst);
    else rc = cf_conform_lm(m, &g, cs, tol, out, &worst);
    if (out) {
        if (rc == CF_PASS) fprintf(out, "PASS %s max_abs_err=%.3g\n", cs, worst);
        else if (rc == CF_NOT_BUILT) fprintf(out, "SKIP %s partly checked (max_abs_err=%.3g): part of this family is not built\n", cs, worst);
        else fprintf(out, "FAIL %s max_abs_err=%.3g\n", cs, worst);
    }
    if (max_err) *max_err = worst;
    smx_model_free(m);
    smx__st_close(&g.ts);
    return rc;
}

CLI_MAYBE_UNUSED static int cf_conform(const char *dir, double tol, FILE *out, double *max_err)
{
    return cf_conform_ex(dir, NULL, tol, out, max_err);
}

#ifdef SMX_HAVE_DIFFUSION
#include "conform_diffusion.c"
#endif
