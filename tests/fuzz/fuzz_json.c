/* libFuzzer: the JSON parser on arbitrary bytes (strict, and with each non-finite extension). */
#define SEQMIX_IMPLEMENTATION
#include "../../seqmix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smx__arena a;
    smx__jv *root;
    smx_error e;
    int mode;
    for (mode = 0; mode < 3; mode++) {
        memset(&a, 0, sizeof a);
        if (smx__json_parse((const char *)data, size, &a, mode, "fuzz", &root, &e) == SMX_OK) {
            double d;
            (void)smx__jget(root, "a");
            (void)smx__jat(root, 0);
            (void)smx__jnum(root, &d);
        }
        smx__arena_free(&a);
    }
    return 0;
}
