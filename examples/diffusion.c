/* diffusion.c — text from a masked-diffusion model: the canvas fills in step by step.
 *
 *   make build/diffusion
 *   ./build/diffusion --model models/llada --prompt "The " -n 64 --steps 32 --block 32
 *
 * The canvas is the prompt followed by n mask tokens. Every step runs the whole canvas through the
 * bidirectional network and commits the most confident predictions of the current block (LLaDA's
 * low-confidence remasking); the blocks are filled left to right. Each line below is the canvas after
 * one step: '_' is a position still masked, '|' a newline. Options: --temp T (0 = argmax, the
 * reference's deterministic sampler), --seed S, --threads N. The prompt is encoded with the
 * model's tokenizer and every token is shown as its text. */
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
    int i;
    for (i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return def;
}

typedef struct view { const smx_tokenizer *tok; int32_t mask; int steps; } view;

/* One token as its text ('_' while masked); on one line, newlines as '|'. */
static void put_token(int32_t id, const view *v, int oneline)
{
    char text[64];
    size_t len = 0, i;
    if (id == v->mask) { putchar('_'); return; }
    if (smx_detokenize(v->tok, &id, 1, SMX_TOK_SKIP_SPECIAL, text, sizeof text, &len, NULL) != SMX_OK) return;
    for (i = 0; i < len; i++) putchar(oneline && text[i] == '\n' ? '|' : oneline && text[i] == '\t' ? ' ' : text[i]);
}

/* Called by smx_diffuse after every step: print the canvas on one line. */
static int show(const int32_t *canvas, int n, int step, void *user)
{
    const view *v = (const view *)user;
    int i;
    printf("step %3d/%d  ", step + 1, v->steps);
    for (i = 0; i < n; i++) put_token(canvas[i], v, 1);
    putchar('\n');
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = opt(argc, argv, "--model", "models/llada"), *prompt = opt(argc, argv, "--prompt", "The ");
    smx_model *m;
    smx_error err;
    smx_diffuse_options o;
    smx_diffuse_stats st;
    view v;
    int32_t ids[512], *out;
    size_t n_ids = 0;
    int n, i;
    const char *why;

    if (smx_model_load(dir, &m, &err) != SMX_OK) { fprintf(stderr, "%s: %s\n", dir, err.msg); return 1; }
    v.mask = smx_model_mask_token(m);
    if (v.mask < 0) { fprintf(stderr, "%s is not a masked-diffusion model (no mask token)\n", dir); return 1; }
    if (!(v.tok = smx_model_tokenizer(m, &why))) { fprintf(stderr, "%s has no tokenizer: %s\n", dir, why); return 1; }
    if (smx_tokenize(v.tok, prompt, strlen(prompt), SMX_TOK_ADD_SPECIAL | SMX_TOK_PARSE_SPECIAL, ids, 512, &n_ids, &err) != SMX_OK) {
        fprintf(stderr, "the prompt: %s\n", err.msg);
        return 1;
    }
    n = (int)n_ids;

    smx_diffuse_default_options(&o);
    o.gen_length = atoi(opt(argc, argv, "-n", "64"));
    o.steps = atoi(opt(argc, argv, "--steps", "32"));
    o.block_length = atoi(opt(argc, argv, "--block", "32"));
    o.temperature = (float)atof(opt(argc, argv, "--temp", "0"));
    o.seed = strtoull(opt(argc, argv, "--seed", "1"), NULL, 10);
    o.n_threads = atoi(opt(argc, argv, "--threads", "0"));
    o.callback = show;
    o.user = &v;
    v.steps = o.steps;
    out = (int32_t *)malloc(sizeof(int32_t) * (size_t)(n + o.gen_length));
    if (!out) return 1;

    if (smx_diffuse(m, ids, n, &o, out, n + o.gen_length, &st, &err) != SMX_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("\n");
    for (i = 0; i < n + o.gen_length; i++) put_token(out[i], &v, 0);
    printf("\n\n[%d steps, %d network passes over %lld token positions]\n", st.steps, st.forwards, st.tokens);
    free(out);
    smx_model_free(m);
    return 0;
}
