/* libFuzzer: model.safetensors.index.json from memory (shard names, weight maps) with two tiny
 * valid shards. */
#define SEQMIX_IMPLEMENTATION
#include "../../seqmix.h"

/* a safetensors file holding one F32 tensor "t" of shape [1] */
static unsigned char shard[8 + 64 + 4];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smx_file f[3];
    smx__tensors t;
    smx__src src;
    smx_error e;
    const char *hdr = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    size_t hl = strlen(hdr);
    memset(shard, ' ', sizeof shard);
    shard[0] = 64;
    memset(shard + 1, 0, 7);
    memcpy(shard + 8, hdr, hl);
    memset(shard + 72, 0, 4);
    f[0].name = "model.safetensors.index.json"; f[0].data = data; f[0].size = size;
    f[1].name = "a.safetensors"; f[1].data = shard; f[1].size = sizeof shard;
    f[2].name = "b.safetensors"; f[2].data = shard; f[2].size = sizeof shard;
    memset(&t, 0, sizeof t);
    memset(&src, 0, sizeof src);
    src.files = f; src.nfiles = 3; src.max_text = 1 << 20;
    smx__st_open_dir(&t, &src, &e);
    smx__st_close(&t);
    return 0;
}
