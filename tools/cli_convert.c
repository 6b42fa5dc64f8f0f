/* cli_convert.c — `seqmix convert`: a Hugging Face folder (or a GGUF file) written as the GGUF file
 * llama.cpp's converter and llama-quantize would write, with the folder's tokenizer.json as its
 * vocabulary when llama.cpp has that kind (else tokenizer "none" and a note on stderr saying why).
 * Included by seqmix.c after cli_util.c. The conversion itself is seqmix.h's
 * (smx__gguf_convert_hf, smx__gguf_convert_gguf; II.8; the vocabulary: smx__tok_to_gguf, II.11). */

static const cli_flag convert_flags[] = {
    { "--type", NULL, CLI_STR, "TYPE", "f16", 0, 0, "f32|f16|bf16|q8_0|q4_0|q4_k_m|q4_k|q6_k", 0,
      "tensor types: llama.cpp's F32/F16/BF16 or a llama-quantize mix (q4_k = q4_k_m)" },
};

static int cmd_convert(const cli_args *a)
{
    const char *in = a->pos[0], *out = a->pos[1], *type = cli_str(a, "--type");
    char note[400];
    smx_error err;
    smx_status st;
    size_t n = strlen(out);
    double t0 = cli_now();
    if (n < 5 || strcmp(out + n - 5, ".gguf") != 0) return cli_fail(a, NULL, "the output '%s' must be a .gguf file", out);
    note[0] = 0;
    if (smx__file_size(in) >= 0) st = smx__gguf_convert_gguf(in, out, type, &err);
    else st = smx__gguf_convert_hf(in, out, type, note, sizeof note, &err);
    if (st != SMX_OK) {
        fprintf(stderr, "seqmix convert: %s: %s\n", smx_status_str(err.status), err.msg);
        return st == SMX_E_IO || st == SMX_E_NOMEM ? 1 : 2;
    }
    if (note[0]) fprintf(stderr, "seqmix convert: %s\n", note);
    printf("%s -> %s (%s, %.2f s)\n", in, out, type, cli_now() - t0);
    return 0;
}
