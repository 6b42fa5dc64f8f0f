/* libFuzzer: the input as a GGUF file loaded from memory: the container reader, the translation
 * into the family's checkpoint, the weights in their types, the vocabulary; then, when the model
 * loads and is small, one forward pass of two tokens. */
#define SEQMIX_IMPLEMENTATION
#include "../../seqmix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smx_file f;
    smx_load_options o;
    smx_model *m = NULL;
    smx_error e;
    smx__gguf g;
    /* the reader alone */
    if (smx__gguf_open(&g, data, size, "fuzz.gguf", &e) == SMX_OK) smx__gguf_close(&g);
    /* a whole load, generous limits off */
    smx_load_default_options(&o);
    f.name = "model.gguf"; f.data = data; f.size = size;
    o.files = &f;
    o.n_files = 1;
    o.max_generated_bytes = (size_t)64 << 20;
    if (smx_model_load_ex(NULL, &o, &m, &e) == SMX_OK) {
        smx_model_info mi;
        smx_model_get_info(m, &mi);
        if (mi.kind == SMX_KIND_TOKENS && mi.weight_bytes < ((size_t)64 << 20) && mi.vocab_size < (1 << 20)) {
            smx_session *s = NULL;
            smx_session_options so;
            memset(&so, 0, sizeof so);
            so.capacity = 8;
            so.n_threads = 1;
            if (smx_session_new(m, &so, &s, &e) == SMX_OK) {
                int32_t ids[2] = { 0, 1 };
                float *lg = (float *)malloc(sizeof(float) * (size_t)mi.vocab_size);
                if (lg) smx_session_prefill(s, ids, mi.vocab_size > 1 ? 2 : 1, lg, 0);
                free(lg);
                smx_session_free(s);
            }
        }
        smx_model_free(m);
    }
    return 0;
}
