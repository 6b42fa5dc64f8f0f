/* A program that uses an installed or vendored seqmix: built and run by tests/install/check.sh
 * (make test-install) against the pkg-config file, find_package(seqmix), add_subdirectory and
 * FetchContent. It builds a small hybrid stack, runs it on two threads and prints a line. */
#define SEQMIX_IMPLEMENTATION
#include <seqmix.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    smx_error err;
    smx_builder *b = NULL;
    smx_model *m = NULL;
    smx_session *s = NULL;
    smx_session_options o = { 0, 0, 2 };
    int32_t ids[4] = { 3, 1, 4, 1 }, next = 0;
    float *logits;
    int i, V;
    if (smx_builder_new(64, 32, &b, &err) || smx_builder_pattern(b, "A M", NULL) || smx_builder_build(b, 7, &m, &err)) {
        fprintf(stderr, "consumer: %s\n", b ? smx_builder_error(b) : err.msg);
        return 1;
    }
    smx_builder_free(b);
    V = smx_model_vocab(m);
    logits = (float *)malloc(sizeof(float) * (size_t)V);
    if (!logits || smx_session_new(m, &o, &s, &err) || smx_session_prefill(s, ids, 4, logits, 0)) {
        fprintf(stderr, "consumer: %s\n", s ? smx_session_error(s) : err.msg);
        return 1;
    }
    for (i = 0; i < 8; i++) {
        next = smx_argmax(logits, V);
        if (smx_session_step(s, next, logits)) { fprintf(stderr, "consumer: %s\n", smx_session_error(s)); return 1; }
    }
    printf("seqmix %s (%s, %d default threads): 12 tokens through an A M stack, last token %d\n", smx_version(), smx_simd_name(),
           smx_default_threads(), (int)next);
    smx_session_free(s);
    smx_model_free(m);
    free(logits);
    return 0;
}
