/* libFuzzer: state blobs loaded into a session of a small generated hybrid model, once as given
 * and once with the checksum repaired (so mutations reach the body's checks). */
#define SEQMIX_IMPLEMENTATION
#include "../../seqmix.h"

static smx_model *g_m;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smx_session *s = NULL;
    smx_session_options o;
    smx_error e;
    unsigned char *b;
    float lg[40];
    if (!g_m) {
        const char *cfg = "{\"architectures\": [\"SeqmixForCausalLM\"], \"model_type\": \"seqmix\", \"vocab_size\": 40, "
                          "\"hidden_size\": 16, \"layers\": [{\"type\": \"mamba\"}, {\"type\": \"attention\", \"num_heads\": 2}, "
                          "{\"type\": \"mlstm\", \"num_heads\": 2}]}";
        if (smx_model_from_config(cfg, 1, &g_m, &e) != SMX_OK) return 0;
    }
    memset(&o, 0, sizeof o);
    o.capacity = 16;
    o.n_threads = 1;
    if (smx_session_new(g_m, &o, &s, &e) != SMX_OK) return 0;
    smx_session_state_load(s, data, size);
    if (size >= 40 && (b = (unsigned char *)malloc(size)) != NULL) {
        uint64_t sum;
        int32_t id = 1;
        memcpy(b, data, size);
        memcpy(b + 8, &g_m->fp, 8);       /* the right model, so the body is read */
        sum = smx__fnv(SMX__FNV_INIT, b, size - 8);
        memcpy(b + size - 8, &sum, 8);
        if (smx_session_state_load(s, b, size) == SMX_OK) {
            smx_session_logits(s, lg);
            smx_session_step(s, id, lg);
        }
        free(b);
    }
    smx_session_free(s);
    return 0;
}
