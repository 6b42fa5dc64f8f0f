/* Compiles the whole header as C++ (and, built as C with SEQMIX_STATIC, checks the static
 * build), then makes a few calls so the linker sees the API. */
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#include <stdio.h>

int main(void)
{
    smx_model *m = NULL;
    smx_error err;
    smx_status st = smx_model_load("tests/golden/llama", &m, &err);
    int32_t ids[3] = { 1, 2, 3 };
    float logits[96];
    smx_session *s = NULL;
    if (st != SMX_OK) { printf("load failed: %s\n", err.msg); return 1; }
    if (smx_session_new(m, NULL, &s, &err) != SMX_OK || smx_session_prefill(s, ids, 3, logits, 0) != SMX_OK) return 1;
    printf("header check ok (%s, simd %s, next token %d)\n", smx_version(), smx_simd_name(), (int)smx_argmax(logits, 96));
    smx_session_free(s);
    smx_model_free(m);
    return 0;
}
