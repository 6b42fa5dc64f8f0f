/* libFuzzer: a model loaded from memory with a fixed small config and the input as
 * model.safetensors (header and data), then one forward pass. */
#define SEQMIX_IMPLEMENTATION
#include "../../seqmix.h"

static const char cfg[] = "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"vocab_size\": 8, "
                          "\"hidden_size\": 8, \"num_hidden_layers\": 1, \"intermediate_size\": 16, \"num_attention_heads\": 2, "
                          "\"tie_word_embeddings\": true}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smx_file f[2];
    smx_load_options o;
    smx_model *m = NULL;
    smx_error e;
    smx__tensors t;
    smx__src src;
    /* the reader alone */
    memset(&t, 0, sizeof t);
    memset(&src, 0, sizeof src);
    f[0].name = "model.safetensors"; f[0].data = data; f[0].size = size;
    src.files = f; src.nfiles = 1; src.max_text = 1 << 20;
    if (smx__st_open_file(&t, &src, "model.safetensors", &e) == SMX_OK && smx__st_index(&t, &e) == SMX_OK) {
        int i;
        for (i = 0; i < t.nent && i < 16; i++) {
            float *buf = (float *)malloc(sizeof(float) * (t.ent[i].numel ? t.ent[i].numel : 1));
            if (buf && t.ent[i].numel < (1 << 20) && t.ent[i].dtype <= SMX__DT_I32) smx__st_read_f32(&t, &t.ent[i], buf, &e);
            free(buf);
        }
    }
    smx__st_close(&t);
    /* a whole load */
    smx_load_default_options(&o);
    f[0].name = "config.json"; f[0].data = cfg; f[0].size = sizeof cfg - 1;
    f[1].name = "model.safetensors"; f[1].data = data; f[1].size = size;
    o.files = f;
    o.n_files = 2;
    if (smx_model_load_ex(NULL, &o, &m, &e) == SMX_OK) {
        smx_session *s = NULL;
        float lg[8];
        int32_t ids[2] = { 1, 2 };
        if (smx_session_new(m, NULL, &s, &e) == SMX_OK) smx_session_prefill(s, ids, 2, lg, 0);
        smx_session_free(s);
    }
    smx_model_free(m);
    return 0;
}
