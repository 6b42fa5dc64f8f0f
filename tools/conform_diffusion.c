/* conform_diffusion.c — the sampler part of a masked-diffusion golden case (included at the end
 * of conform.c). DIR/info.json holds one object per run, "run0", "run1", ...:
 *   {"prompt_len", "steps", "gen_length", "block_length", "cfg_scale", "remasking",
 *    "temperature" [, "logits_eos_inf", "confidence_eos_eot_inf", "eos_id", "eot_id", "mask_id"]}
 * and golden.safetensors runK_prompt [prompt_len] and runK_output [prompt_len + gen_length], the
 * canvas the reference's generate() returned. Each run must match token for token. Runs that
 * draw random numbers (temperature > 0 or random remasking) cannot be reproduced (the reference
 * uses torch's RNG) and are reported as skipped. */

/* info.json number (or bool) at key, def if absent; *bad set on a wrong type. */
static double cf_conform_jnum(const smx__jv *o, const char *key, double def, int *bad)
{
    const smx__jv *v = smx__jget(o, key);
    double d;
    if (!v || v->type == SMX__J_NULL) return def;
    if (v->type == SMX__J_TRUE) return 1.0;
    if (v->type == SMX__J_FALSE) return 0.0;
    if (!smx__jnum(v, &d)) { *bad = 1; return def; }
    return d;
}

static int cf_conform_diffusion_runs(const smx_model *m, cf_golden *g, const char *dir, const char *cs, FILE *out, int *fails)
{
    char path[4096], key[64];
    unsigned char *text = NULL;
    size_t n = 0;
    smx__arena a;
    const smx__jv *root = NULL;
    smx_error err;
    int k, nrun = 0, rc = 0;
    memset(&a, 0, sizeof a);
    cf_path(path, sizeof path, dir, "info.json");
    if (!(text = txt_read_file(path, &n)) ||
        smx__json_parse((const char *)text, n, &a, 1, "info.json", (smx__jv **)&root, &err) != SMX_OK || root->type != SMX__J_OBJ) {
        if (out) fprintf(out, "%s: sampler runs: %s\n", cs, !text ? "no info.json" : root && root->type != SMX__J_OBJ ? "info.json is not an object" : err.msg);
        free(text);
        smx__arena_free(&a);
        return 1;
    }
    for (k = 0;; k++) {
        const smx__jv *run;
        const char *rm;
        smx_diffuse_options o;
        smx_diffuse_stats stt;
        int np = 0, nout = 0, bad = 0, i, match = 0, random;
        int32_t *pr, *ref, *got = NULL;
        snprintf(key, sizeof key, "run%d", k);
        if (!(run = smx__jget(root, key))) break;
        nrun++;
        smx_diffuse_default_options(&o);
        o.gen_length = (int)cf_conform_jnum(run, "gen_length", 0, &bad);
        o.steps = (int)cf_conform_jnum(run, "steps", 0, &bad);
        o.block_length = (int)cf_conform_jnum(run, "block_length", o.gen_length, &bad);
        o.cfg_scale = (float)cf_conform_jnum(run, "cfg_scale", 0.0, &bad);
        o.temperature = (float)cf_conform_jnum(run, "temperature", 0.0, &bad);
        o.logits_eos_inf = cf_conform_jnum(run, "logits_eos_inf", 0, &bad) != 0.0;
        o.confidence_eos_eot_inf = cf_conform_jnum(run, "confidence_eos_eot_inf", 0, &bad) != 0.0;
        o.eos_id = (int32_t)cf_conform_jnum(run, "eos_id", o.eos_id, &bad);
        o.eot_id = (int32_t)cf_conform_jnum(run, "eot_id", o.eot_id, &bad);
        o.mask_id = (int32_t)cf_conform_jnum(run, "mask_id", -1, &bad);
        rm = smx__jget(run, "remasking") && smx__jget(run, "remasking")->type == SMX__J_STR ? smx__jget(run, "remasking")->str
                                                                                          : "low_confidence";
        if (!strcmp(rm, "random")) o.remasking = SMX_REMASK_RANDOM;
        else if (strcmp(rm, "low_confidence")) bad = 1;
        snprintf(key, sizeof key, "run%d_prompt", k);
        pr = cf_golden_ids(g, key, &np);
        snprintf(key, sizeof key, "run%d_output", k);
        ref = cf_golden_ids(g, key, &nout);
        random = o.temperature > 0.0f || o.remasking == SMX_REMASK_RANDOM;
        if (bad || !pr || !ref || nout != np + o.gen_length) {
            if (out) fprintf(out, "%s: run%d: settings in info.json or golden tensors are malformed\n", cs, k);
            (*fails)++;
        } else if (random) {
            if (out) fprintf(out, "%s: run%d skipped: it draws random numbers (the reference's torch RNG is not reproduced)\n", cs, k);
        } else if (!(got = (int32_t *)malloc(sizeof(int32_t) * (size_t)nout))) {
            if (out) fprintf(out, "%s: run%d: out of memory\n", cs, k);
            rc = 1;
        } else if (smx_diffuse(m, pr, np, &o, got, nout, &stt, &err) != SMX_OK) {
            if (out) fprintf(out, "%s: run%d: %s\n", cs, k, err.msg);
            (*fails)++;
        } else {
            for (i = 0; i < nout; i++) match += got[i] == ref[i];
            if (out)
                fprintf(out, "%s: run%d (prompt %d, gen %d, block %d, steps %d, cfg %g, %s) %d/%d tokens %s\n", cs, k, np,
                        o.gen_length, o.block_length, o.steps, (double)o.cfg_scale, rm, match, nout, match == nout ? "ok" : "MISMATCH");
            if (match != nout) (*fails)++;
        }
        free(pr); free(ref); free(got);
        if (rc) break;
    }
    if (!nrun && out) fprintf(out, "%s: info.json lists no sampler runs\n", cs);
    free(text);
    smx__arena_free(&a);
    return rc;
}
