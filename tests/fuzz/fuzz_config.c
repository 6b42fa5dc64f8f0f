/* libFuzzer: config.json text through every family's builder with generated weights (the input
 * is the config; a first byte below 32 picks a family and prepends its architecture so the
 * mutations reach that builder's reader), under a small generated-weight budget. */
#define SEQMIX_IMPLEMENTATION
#include "../../seqmix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smx_model *m = NULL;
    smx_error e;
    char *text;
    size_t n = 0;
    int k = size ? data[0] % SMX__N_FAMILIES : 0;
    if (size < 2 || size > (1 << 16)) return 0;
    text = (char *)malloc(size + 128);
    if (!text) return 0;
    if (data[0] < 32 && data[1] == '{') {
        n = (size_t)sprintf(text, "{\"architectures\": [\"%s\"], ", smx__families[k]->archs[0]);
        memcpy(text + n, data + 2, size - 2);
        n += size - 2;
    } else {
        memcpy(text, data, size);
        n = size;
    }
    text[n] = 0;
    {
        smx_load_options o;
        smx_load_default_options(&o);
        o.max_generated_bytes = (size_t)64 << 20;
        o.max_layers = 256;
        if (smx__model_make(NULL, &o, text, n, 1, &m, &e) == SMX_OK) {
            smx_session *s = NULL;
            smx_session_options so;
            memset(&so, 0, sizeof so);
            so.n_threads = 1;
            so.capacity = 8;
            if (smx_session_new(m, &so, &s, &e) == SMX_OK && smx_model_vocab(m) > 0) {
                float *lg = (float *)malloc(sizeof(float) * (size_t)smx_model_vocab(m));
                int32_t ids[3] = { 0, 1 % smx_model_vocab(m), 2 % smx_model_vocab(m) };
                if (lg) {
                    smx_session_prefill(s, ids, 3, lg, 0);
                    smx_session_step(s, 0, lg);
                }
                free(lg);
            }
            smx_session_free(s);
            smx_model_free(m);
        }
    }
    free(text);
    return 0;
}
