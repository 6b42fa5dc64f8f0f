/* libFuzzer: builder patterns (the input as the pattern text), then the config the builder writes
 * is parsed back. */
#define SEQMIX_IMPLEMENTATION
#include "../../seqmix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smx_builder *b = NULL;
    smx_error e;
    char *p = (char *)malloc(size + 1);
    if (!p) return 0;
    memcpy(p, data, size);
    p[size] = 0;
    if (smx_builder_new(16, 16, &b, &e) == SMX_OK) {
        if (smx_builder_pattern(b, p, NULL) == SMX_OK && b->n <= 64) {
            const char *cfg = smx_builder_config(b);
            smx__arena a;
            smx__jv *root;
            memset(&a, 0, sizeof a);
            if (cfg && smx__json_parse(cfg, strlen(cfg), &a, 0, "builder", &root, &e) != SMX_OK) __builtin_trap();
            smx__arena_free(&a);
        }
        (void)smx_builder_error(b);
        smx_builder_free(b);
    }
    free(p);
    return 0;
}
