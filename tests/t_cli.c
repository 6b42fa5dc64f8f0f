/* Tests of the seqmix command-line tool (included by tests/test.c after t_core.c, whose
 * temporary-folder helpers they use). They run build/seqmix (make test builds it before it runs
 * the suite) as a user would, through the shell, and check the exit status, that a refused
 * command names the flag at fault on stderr, and what the good commands print. Skipped when
 * build/seqmix or models/hybrid is absent. $SMX_TEST_CLI, when set, is the command run instead of
 * build/seqmix (make test-arm: the aarch64 tool under qemu). On Windows the tool is
 * build/seqmix.exe, started with CreateProcess (the arguments split as sh would split them, then
 * quoted for the C runtime), so no shell is involved. */
#ifdef _WIN32
#define T_CLI_BIN "build/seqmix.exe"
#else
#include <sys/wait.h>
#define T_CLI_BIN "build/seqmix"
#endif
#define T_CLI_MODEL "models/hybrid"

/* A whole file, NUL-terminated, malloc'd ("" when unreadable). */
static char *t_cli_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        char *nb;
        if (n + 4096 + 1 > cap) {
            if (!(nb = (char *)realloc(buf, cap = 2 * cap + 8192))) break;
            buf = nb;
        }
        got = f ? fread(buf + n, 1, cap - n - 1, f) : 0;
        n += got;
    } while (got > 0);
    if (f) fclose(f);
    if (buf) buf[n] = 0;
    return buf;
}

typedef struct t_cli_result {
    int status;         /* exit status, -1 if it did not exit normally */
    char *out, *err;    /* stdout, stderr */
} t_cli_result;

static void t_cli_free(t_cli_result *r) { free(r->out); free(r->err); r->out = r->err = NULL; }

#ifdef _WIN32
/* Append args, split into words as sh splits them (blanks separate words, '...' and "..." quote
 * without escapes), to the command line cmd (capacity cap), each word quoted the way the C
 * runtime's argv parser reads it back. 0 if it does not fit. */
static int t_cli_winargs(char *cmd, size_t cap, const char *args)
{
    size_t o = strlen(cmd);
    const char *p = args;
#define T_PUT(c) do { if (o + 1 >= cap) return 0; cmd[o++] = (c); } while (0)
    for (;;) {
        char word[65536];
        size_t n = 0, i, bs;
        int any = 0;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                while (*p && *p != q) { if (n + 1 < sizeof word) word[n++] = *p; p++; }
                if (*p) p++;
            } else if (n + 1 < sizeof word) word[n++] = *p++;
            else p++;
            any = 1;
        }
        if (!any) continue;
        T_PUT(' ');
        T_PUT('"');
        for (i = 0; i < n; i++) {   /* backslashes are literal unless they precede a quote */
            for (bs = 0; i < n && word[i] == '\\'; i++) bs++;
            if (i == n) { while (bs--) { T_PUT('\\'); T_PUT('\\'); } break; }
            if (word[i] == '"') { bs = 2 * bs + 1; while (bs--) T_PUT('\\'); }
            else while (bs--) T_PUT('\\');
            T_PUT(word[i]);
        }
        T_PUT('"');
    }
#undef T_PUT
    cmd[o] = 0;
    return 1;
}

/* Run `build/seqmix.exe ARGS`, stdout and stderr to files po and pe, stdin from NUL; the exit
 * status, or -1 when it could not run or it crashed. */
static int t_cli_spawn(const char *args, const char *po, const char *pe)
{
    SECURITY_ATTRIBUTES sa;
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    HANDLE in, out, err;
    DWORD code = (DWORD)-1;
    size_t cap = strlen(args) * 2 + 64;
    char *cmd = (char *)malloc(cap);
    int st = -1;
    memset(&sa, 0, sizeof sa);
    sa.nLength = sizeof sa;
    sa.bInheritHandle = TRUE;
    in = CreateFileA("NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
    out = CreateFileA(po, GENERIC_WRITE, FILE_SHARE_READ, &sa, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    err = CreateFileA(pe, GENERIC_WRITE, FILE_SHARE_READ, &sa, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (cmd && in != INVALID_HANDLE_VALUE && out != INVALID_HANDLE_VALUE && err != INVALID_HANDLE_VALUE) {
        strcpy(cmd, "build\\seqmix.exe");
        memset(&si, 0, sizeof si);
        si.cb = sizeof si;
        si.dwFlags = STARTF_USESTDHANDLES;
        si.hStdInput = in;
        si.hStdOutput = out;
        si.hStdError = err;
        if (t_cli_winargs(cmd, cap, args) && CreateProcessA("build\\seqmix.exe", cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
            WaitForSingleObject(pi.hProcess, INFINITE);
            if (GetExitCodeProcess(pi.hProcess, &code) && code < 256) st = (int)code;
            CloseHandle(pi.hProcess);
            CloseHandle(pi.hThread);
        }
    }
    if (in != INVALID_HANDLE_VALUE) CloseHandle(in);
    if (out != INVALID_HANDLE_VALUE) CloseHandle(out);
    if (err != INVALID_HANDLE_VALUE) CloseHandle(err);
    free(cmd);
    return st;
}
#endif

/* The command that runs the tool: $SMX_TEST_CLI or build/seqmix. */
static const char *t_cli_cmd(void)
{
#ifndef _WIN32
    const char *c = getenv("SMX_TEST_CLI");
    if (c && *c) return c;
#endif
    return T_CLI_BIN;
}

/* Run `build/seqmix ARGS` (args as a shell would read them), stdin from /dev/null. */
static t_cli_result t_cli_run(const char *args)
{
    t_cli_result r;
    char po[600], pe[600], *cmd;
    const char *dir = t_tmpdir("cli");
    size_t cap = strlen(t_cli_cmd()) + strlen(args) + 2 * sizeof po + 64;
    int st = -1;
    snprintf(po, sizeof po, "%s/stdout", dir);
    snprintf(pe, sizeof pe, "%s/stderr", dir);
    remove(po);
    remove(pe);
    fflush(stdout);
#ifdef _WIN32
    (void)cmd; (void)cap; (void)st;
    r.status = t_cli_spawn(args, po, pe);
#else
    if ((cmd = (char *)malloc(cap))) {
        snprintf(cmd, cap, "%s %s >%s 2>%s </dev/null", t_cli_cmd(), args, po, pe);
        st = system(cmd);
        free(cmd);
    }
    r.status = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
#endif
    r.out = t_cli_slurp(po);
    r.err = t_cli_slurp(pe);
    if (!r.out) r.out = (char *)calloc(1, 1);
    if (!r.err) r.err = (char *)calloc(1, 1);
    return r;
}

/* The command must be refused with exit status 2, stderr naming `needle` (the flag), and
 * nothing on stdout. */
static void t_cli_refused(const char *args, const char *needle)
{
    t_cli_result r = t_cli_run(args);
    CHECK(r.status == 2, "seqmix %s: exit status %d, want 2 (stderr: %.200s)", args, r.status, r.err);
    CHECK(strstr(r.err, needle) != NULL, "seqmix %s: stderr does not name '%s': %.300s", args, needle, r.err);
    CHECK(!r.out[0], "seqmix %s: printed on stdout although refused: %.200s", args, r.out);
    t_cli_free(&r);
}

/* Parse "prefill N tokens: X tok/s; decode M tokens: Y tok/s" the way tools/peer_bench.sh does:
 * fields 4 and 9 once the semicolons are gone. */
static int t_cli_summary(const char *err, int *np, double *pp, int *nd, double *dd)
{
    const char *line = err;
    while (line && *line) {
        if (!strncmp(line, "prefill ", 8)) {
            char buf[512], *f[16], *save = NULL, *tok;
            size_t i, o = 0, len = strcspn(line, "\r\n");   /* \r: Windows text mode */
            int nf = 0;
            for (i = 0; i < len && o + 1 < sizeof buf; i++)
                if (line[i] != ';') buf[o++] = line[i];
            buf[o] = 0;
            for (tok = strtok_r(buf, " ", &save); tok && nf < 16; tok = strtok_r(NULL, " ", &save)) f[nf++] = tok;
            if (nf < 10 || strcmp(f[2], "tokens:") || strcmp(f[4], "tok/s") || strcmp(f[5], "decode") || strcmp(f[9], "tok/s"))
                return 0;
            *np = atoi(f[1]); *pp = atof(f[3]); *nd = atoi(f[6]); *dd = atof(f[8]);
            return 1;
        }
        line = strchr(line, '\n');
        if (line) line++;
    }
    return 0;
}

/* t_cli_run with printf-style arguments. */
static t_cli_result t_cli_runf(const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return t_cli_run(args);
}

/* The value after "label" on a line of text ("bits/byte    2.0880" -> 2.088); -1 when absent. */
static double t_cli_value(const char *text, const char *label)
{
    const char *p = strstr(text, label);
    return p ? atof(p + strlen(label)) : -1.0;
}

/* Comma-separated ids (stdout of --ids-only / --print-ids) into v[0..cap); returns the count. */
static int t_cli_ids(const char *s, int32_t *v, int cap)
{
    int n = 0;
    while (*s && *s != '\n' && *s != '\r' && n < cap) {
        char *end;
        v[n++] = (int32_t)strtol(s, &end, 10);
        if (end == s) return -1;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* --weights and --exact: the flag's types are the library's, conversion at load shows in info and
 * the converted model runs; refusals name the flag and list the types. */
static void t_cli_weights(void)
{
    t_cli_result r;
    char lib[512], *p;
    int np = 0, nd = 0;
    double pp = 0, dd = 0, b16, b8;
    /* the choices of --weights, as `generate --help` lists them, are the library's types */
    smx__list_wtypes(lib, sizeof lib);
    while ((p = strstr(lib, ", ")) != NULL) {   /* "stored, f32, ..." -> "stored|f32|..." */
        *p = '|';
        memmove(p + 1, p + 2, strlen(p + 2) + 1);
    }
    r = t_cli_run("generate --help");
    CHECK(r.status == 0 && strstr(r.out, lib) && strstr(r.out, "--weights") && strstr(r.out, "--exact"),
          "generate --help does not list the weight types '%s': %.2000s", lib, r.out);
    t_cli_free(&r);

    r = t_cli_run("generate " T_CLI_MODEL " --prompt 'The ' -n 8 --weights q8_0");
    CHECK(r.status == 0 && !strncmp(r.out, "The ", 4) && t_cli_summary(r.err, &np, &pp, &nd, &dd) && np == 4 && nd == 8,
          "generate --weights q8_0: %d '%.100s' %.300s", r.status, r.out, r.err);
    t_cli_free(&r);
    r = t_cli_run("generate " T_CLI_MODEL " --prompt 'The ' -n 8 --weights Q4_K --exact");
    CHECK(r.status == 0 && t_cli_summary(r.err, &np, &pp, &nd, &dd) && nd == 8, "generate --weights Q4_K --exact: %d %.300s", r.status, r.err);
    t_cli_free(&r);
    r = t_cli_run("info " T_CLI_MODEL " --weights q8_0");
    CHECK(r.status == 0 && strstr(r.out, "model.layers.*.feed_forward.up_proj.weight") && strstr(r.out, "x5") &&
          strstr(r.out, "q8_0   from f16") && strstr(r.out, "q8_0 x30") && strstr(r.out, "converted      30 of 30") &&
          strstr(r.out, "0 fell back from q8_0"), "info --weights q8_0: %d %.3000s", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("info " T_CLI_MODEL);   /* as stored: F16, copied (safetensors aligns to 8 bytes) */
    CHECK(r.status == 0 && strstr(r.out, "f16 x30") && strstr(r.out, "converted      0 of 30") && strstr(r.out, "30 copied") &&
          !strstr(r.out, "fell back") && strstr(r.out, "tokenizer      byte-level BPE (tokenizer.json), 256 ids"),
          "info: %d %.3000s", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("info " T_CLI_MODEL " --weights q4_k");   /* the head goes to q6_K's fallback, rows of 160 to q5_0 */
    CHECK(r.status == 0 && strstr(r.out, "q5_0") && strstr(r.out, "q4_K") && strstr(r.out, "25 fell back from q4_k"),
          "info --weights q4_k: %d %.3000s", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("info tests/golden/mamba");
    CHECK(r.status == 0 && strstr(r.out, "tokenizer      none: the checkpoint has no tokenizer.json"), "info (no tokenizer): %.2000s", r.out);
    t_cli_free(&r);
    r = t_cli_run("conform tests/golden/mamba --weights f32");
    CHECK(r.status == 0 && strstr(r.out, "PASS mamba"), "conform --weights f32: %d %.300s", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("eval " T_CLI_MODEL " --text models/data/heldout.txt --bytes 2048");
    b16 = t_cli_value(r.out, "bits/byte");
    t_cli_free(&r);
    r = t_cli_run("eval " T_CLI_MODEL " --text models/data/heldout.txt --bytes 2048 --weights q8_0");
    b8 = t_cli_value(r.out, "bits/byte");
    CHECK(r.status == 0 && b16 > 1 && b8 > 1 && fabs(b8 - b16) < 0.02 * b16, "eval --weights q8_0: %g bits/byte vs %g as stored", b8, b16);
    t_cli_free(&r);
    r = t_cli_run("diffuse models/llada --prompt 'The ' --gen-length 8 --steps 4 --weights bf16");
    CHECK(r.status == 0 && !strncmp(r.out, "The ", 4), "diffuse --weights bf16: %d '%.100s' %.300s", r.status, r.out, r.err);
    t_cli_free(&r);

    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --weights q3_k", "--weights");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --weights q3_k", "q4_k");           /* the types are listed */
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --weights ''", "--weights");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --exact=1", "--exact");
    t_cli_refused("info " T_CLI_MODEL " --weights f8", "--weights");
    t_cli_refused("info " T_CLI_MODEL " --exact", "--exact");                               /* info has no --exact */
    t_cli_refused("eval " T_CLI_MODEL " --text models/data/heldout.txt --weights int4", "--weights");
    t_cli_refused("conform tests/golden/mamba --weights q9", "--weights");
    t_cli_refused("diffuse models/llada --prompt Hi --weights fp16", "--weights");
    t_cli_refused("bench-models --weights q8_0", "--weights");                              /* only with -m */
    t_cli_refused("bench-models --exact", "--exact");
    t_cli_refused("bench-models -m " T_CLI_MODEL " --weights q2_k", "--weights");
    t_cli_refused("bench --weights q8_0", "--weights");
    t_cli_refused("bench -m " T_CLI_MODEL " --weights q8", "--weights");
}

/* Text in and out: --prompt through the model's tokenizer, streamed text, --print-ids, the stop
 * at an end-of-generation token, eval on the tokenizer's ids, models without a tokenizer. */
static void t_cli_text(void)
{
    t_cli_result r, g;
    smx__arena ar;
    const smx__jv *ev, *w, *e;
    int32_t ids[64], ids2[64];
    int n, n2, k, i, np = 0, nd = 0;
    double pp = 0, dd = 0, ref = 0.0, bpb;
    char dir[600], want[256];

    /* greedy ids after "The ": --print-ids gives the generated ids, the text is their bytes */
    g = t_cli_run("generate " T_CLI_MODEL " --prompt 'The ' -n 24 --print-ids");
    n = t_cli_ids(g.out, ids, 64);
    CHECK(g.status == 0 && n == 24, "generate --print-ids: %d '%.200s'", g.status, g.out);
    r = t_cli_run("generate " T_CLI_MODEL " --prompt 'The ' -n 24");
    for (i = 0; i < n && i < 24; i++) want[i] = (char)ids[i];
    want[n > 0 ? n : 0] = 0;
    CHECK(r.status == 0 && !strncmp(r.out, "The ", 4) && !strncmp(r.out + 4, want, strlen(want)) &&
              (r.out[4 + strlen(want)] == '\n' || r.out[4 + strlen(want)] == '\r'),
          "generate: text '%.100s' is not the bytes of the ids '%s'", r.out, want);
    t_cli_free(&r);
    r = t_cli_run("generate " T_CLI_MODEL " --ids 84,104,101,32 -n 24 --print-ids");   /* the same prompt as ids */
    CHECK(r.status == 0 && !strcmp(r.out, g.out), "--ids 84,104,101,32 vs --prompt 'The ': '%.100s' vs '%.100s'", r.out, g.out);
    t_cli_free(&r);
    r = t_cli_run("generate " T_CLI_MODEL " --prompt 'The ' -n 24 --no-special --print-ids");   /* no specials in this tokenizer */
    CHECK(r.status == 0 && !strcmp(r.out, g.out), "--no-special changed the ids: '%.100s'", r.out);
    t_cli_free(&r);

    /* end of generation: the same model with generation_config.json naming the 4th generated id
     * as EOS stops at its first occurrence (not printed); --ignore-eos goes on */
    snprintf(dir, sizeof dir, "%s", t_tmpdir("cli_eos"));
    if (n == 24) {
        static const char *const files[3] = { "config.json", "model.safetensors", "tokenizer.json" };
        char path[1024], gc[64];
        size_t len;
        for (k = 0; k < 3; k++) {
            unsigned char *data;
            snprintf(path, sizeof path, T_CLI_MODEL "/%s", files[k]);
            data = txt_read_file(path, &len);
            CHECK(data != NULL, "cannot read %s", path);
            if (data) t_write(dir, files[k], data, len);
            free(data);
        }
        snprintf(gc, sizeof gc, "{\"eos_token_id\": [%d]}", (int)ids[3]);
        t_write_str(dir, "generation_config.json", gc);
        for (k = 0; k < n && ids[k] != ids[3]; k++) {}   /* the first time the model emits it */
        r = t_cli_runf("info %s", dir);
        snprintf(gc, sizeof gc, "EOS %d\n", (int)ids[3]);
        CHECK(r.status == 0 && strstr(r.out, gc), "info of the EOS model: '%s' missing: %.2000s", gc, r.out);
        t_cli_free(&r);
        r = t_cli_runf("generate %s --prompt 'The ' -n 24", dir);
        want[k] = 0;
        CHECK(r.status == 0 && !strncmp(r.out, "The ", 4) && !strncmp(r.out + 4, want, (size_t)k) && r.out[4 + k] == '\n',
              "EOS %d: generated '%.100s', want 'The %s'", (int)ids[3], r.out, want);
        CHECK(t_cli_summary(r.err, &np, &pp, &nd, &dd) && nd == k + 1 && strstr(r.err, "stopped at the end-of-generation token"),
              "EOS: %d tokens, want %d: %.300s", nd, k + 1, r.err);
        t_cli_free(&r);
        r = t_cli_runf("generate %s --prompt 'The ' -n 24 --print-ids", dir);
        n2 = t_cli_ids(r.out, ids2, 64);
        CHECK(r.status == 0 && n2 == k, "EOS with --print-ids: %d ids, want %d", n2, k);
        t_cli_free(&r);
        r = t_cli_runf("generate %s --prompt 'The ' -n 24 --ignore-eos --print-ids", dir);
        CHECK(r.status == 0 && !strcmp(r.out, g.out) && t_cli_summary(r.err, &np, &pp, &nd, &dd) && nd == 24 && !strstr(r.err, "stopped"),
              "--ignore-eos: '%.100s' %.300s", r.out, r.err);
        t_cli_free(&r);
    }
    t_cli_free(&g);

    /* a model without a tokenizer: --prompt and eval refused, naming why; --ids works, prints ids */
    t_cli_refused("generate tests/golden/llama --prompt Hi", "no tokenizer.json");
    t_cli_refused("generate tests/golden/llama --prompt Hi", "--ids");
    t_cli_refused("diffuse tests/golden/llada --prompt Hi --gen-length 8", "no tokenizer");
    t_cli_refused("eval tests/golden/llama --text models/data/heldout.txt", "no tokenizer");
    r = t_cli_run("generate tests/golden/llama --ids 1,2,3 -n 4");
    CHECK(r.status == 0 && t_cli_ids(r.out, ids2, 64) == 4, "generate --ids without a tokenizer: %d '%.100s'", r.status, r.out);
    t_cli_free(&r);
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --parse-special", "--parse-special");   /* only with --no-special */
    t_cli_refused("generate " T_CLI_MODEL " --ids 1,2 --no-special", "--no-special");         /* text flags with ids */
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --print-ids=yes", "--print-ids");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --ignore-eos=1", "--ignore-eos");

    /* generate --parallel: greedy sequences all equal the one-sequence run; sampled ones use seeds
     * seed .. seed + K - 1, so sequence 0 of a sampled run equals the one-sequence run of that seed;
     * the summary sums the tokens */
    {
        t_cli_result one = t_cli_run("generate " T_CLI_MODEL " --ids 5,6,7 -n 12 --ignore-eos --print-ids --threads 1");
        t_cli_result par = t_cli_run("generate " T_CLI_MODEL " --ids 5,6,7 -n 12 --ignore-eos --print-ids --threads 1 --parallel 3");
        t_cli_result s1 = t_cli_run("generate " T_CLI_MODEL " --ids 5,6,7 -n 12 --ignore-eos --print-ids --temperature 0.9 --seed 4");
        t_cli_result s2 = t_cli_run("generate " T_CLI_MODEL " --ids 5,6,7 -n 12 --ignore-eos --print-ids --temperature 0.9 --seed 4 --parallel 2");
        char want[1024];
        int q;
        for (q = 0; q < 3; q++) {
            snprintf(want, sizeof want, "[%d] %s", q, one.out);
            CHECK(strstr(par.out, want) != NULL, "--parallel 3, greedy: sequence %d is not '%.100s': '%.400s'", q, one.out, par.out);
        }
        CHECK(par.status == 0 && t_cli_summary(par.err, &np, &pp, &nd, &dd) && nd == 36 && dd > 0 && strstr(par.err, "3 sequences in parallel"),
              "--parallel 3: status %d, %d tokens: %.300s", par.status, nd, par.err);
        snprintf(want, sizeof want, "[0] %s", s1.out);
        CHECK(s2.status == 0 && !strncmp(s2.out, want, strlen(want)), "--parallel 2 sampled: sequence 0 '%.200s' is not the seed's run '%.100s'",
              s2.out, s1.out);
        t_cli_free(&one); t_cli_free(&par); t_cli_free(&s1); t_cli_free(&s2);
        t_cli_refused("generate " T_CLI_MODEL " --ids 1 --parallel 0", "--parallel");
        t_cli_refused("generate " T_CLI_MODEL " --ids 1 --parallel 257", "--parallel");
    }

    /* conform on a GGUF case folder: one line per check, PASS last, exit 0 */
    r = t_cli_run("conform tests/golden/gguf/jamba_moe");
    CHECK(r.status == 0 && strstr(r.out, "ok   jamba_moe q4_0 prefill") && strstr(r.out, "vs logits_deq") && strstr(r.out, "\nPASS jamba_moe"),
          "conform on a GGUF case: %d '%.400s'", r.status, r.out);
    t_cli_free(&r);

    /* diffuse: text out through the tokenizer, or ids */
    r = t_cli_run("diffuse models/llada --prompt 'The ' --gen-length 16 --steps 8 --block-length 8");
    g = t_cli_run("diffuse models/llada --prompt 'The ' --gen-length 16 --steps 8 --block-length 8 --print-ids");
    n = t_cli_ids(g.out, ids, 64);
    for (i = 0; i < n && i < 16; i++) want[i] = (char)ids[i];
    want[n > 0 ? n : 0] = 0;
    CHECK(r.status == 0 && g.status == 0 && n == 16 && !strncmp(r.out, "The ", 4) && !strncmp(r.out + 4, want, 16),
          "diffuse text '%.100s' vs ids '%.100s'", r.out, g.out);
    t_cli_free(&r); t_cli_free(&g);
    if (n == 16) {   /* with the 6th generated id as EOS the text ends before its first occurrence */
        static const char *const files[3] = { "config.json", "model.safetensors", "tokenizer.json" };
        char path[1024], gc[64];
        size_t len;
        snprintf(dir, sizeof dir, "%s", t_tmpdir("cli_eos_llada"));
        for (k = 0; k < 3; k++) {
            unsigned char *data;
            snprintf(path, sizeof path, "models/llada/%s", files[k]);
            data = txt_read_file(path, &len);
            CHECK(data != NULL, "cannot read %s", path);
            if (data) t_write(dir, files[k], data, len);
            free(data);
        }
        snprintf(gc, sizeof gc, "{\"eos_token_id\": %d}", (int)ids[5]);
        t_write_str(dir, "generation_config.json", gc);
        for (k = 0; k < n && ids[k] != ids[5]; k++) {}
        r = t_cli_runf("diffuse %s --prompt 'The ' --gen-length 16 --steps 8 --block-length 8", dir);
        CHECK(r.status == 0 && !strncmp(r.out, "The ", 4) && !strncmp(r.out + 4, want, (size_t)k) && r.out[4 + k] == '\n' &&
              strstr(r.err, "end-of-generation token"), "diffuse EOS %d: '%.100s', want 'The %.*s'", (int)ids[5], r.out, k, want);
        t_cli_free(&r);
        r = t_cli_runf("diffuse %s --prompt 'The ' --gen-length 16 --steps 8 --block-length 8 --ignore-eos", dir);
        CHECK(r.status == 0 && !strncmp(r.out + 4, want, 16) && r.out[20] == '\n', "diffuse --ignore-eos: '%.100s'", r.out);
        t_cli_free(&r);
        r = t_cli_runf("diffuse %s --prompt 'The ' --no-special --gen-length 16 --steps 8 --block-length 8 --ignore-eos --print-ids", dir);
        CHECK(r.status == 0 && t_cli_ids(r.out, ids2, 64) == 16 && !memcmp(ids, ids2, sizeof(int32_t) * 16), "diffuse --no-special --print-ids: '%.100s'",
              r.out);
        t_cli_free(&r);
    }
    r = t_cli_run("diffuse models/llada --prompt 'The ' --gen-length 8 --steps 2 --show-steps");
    CHECK(r.status == 0 && strstr(r.out, "step   0: ") && strstr(r.out, "_"), "diffuse --show-steps: %.300s", r.out);
    t_cli_free(&r);

    /* eval: bits per byte on the tokenizer's ids, as PyTorch measured (eval.json, first 16 windows) */
    memset(&ar, 0, sizeof ar);
    ev = t_models_eval_json(T_CLI_MODEL, &ar);
    w = ev ? smx__jget(ev, "prefix_window_bpb") : NULL;
    for (k = 0, e = w ? w->child : NULL; e && k < 16; e = e->next, k++) ref += e->num;
    r = t_cli_run("eval " T_CLI_MODEL " --text models/data/heldout.txt --bytes 4096");
    bpb = t_cli_value(r.out, "bits/byte");
    CHECK(r.status == 0 && k == 16 && fabs(bpb - ref / 16) <= 0.01 * ref / 16 && strstr(r.out, "4096 tokens") &&
          strstr(r.out, "16 of 256 tokens, 4080 tokens predicted") && strstr(r.out, "perplexity") &&
          fabs(t_cli_value(r.out, "bits/token") - bpb) < 1e-3, "eval: %g bits/byte, PyTorch %g: %.600s", bpb, ref / 16, r.out);
    t_cli_free(&r);
    smx__arena_free(&ar);
    r = t_cli_run("eval models/llada --text models/data/heldout.txt --bytes 1024");
    CHECK(r.status == 0 && fabs(t_cli_value(r.out, "masked loss") - 0.5850) < 0.006, "eval llada: %.300s", r.out);
    t_cli_free(&r);
    t_cli_refused("eval models/cfc_oscillator --text models/data/heldout.txt", "feature model");
}

/* One golden tokenizer case of tests/golden/tok: tokenize / detokenize of a few of its texts
 * against expected.json (the reference's ids and decodes). */
static void t_cli_tok_case(const char *name, int gguf, const char *src)
{
    static const char *const pick[] = { "inp00", "inp01", "inp11", "inp17", "inp18", "inp19" };
    char path[1024], tdir[600], tfile[700], *texts_s, *exp_s, idl[4096];
    smx__arena a;
    smx__jv *texts = NULL, *exp = NULL;
    const smx__jv *tx, *rx;
    smx_error e;
    size_t tn = 0, en = 0;
    int k, checked = 0;
    memset(&a, 0, sizeof a);
    snprintf(path, sizeof path, "tests/golden/tok/%s/texts.json", name);
    texts_s = t_cli_slurp(path);
    snprintf(path, sizeof path, "tests/golden/tok/%s/expected.json", name);
    exp_s = t_cli_slurp(path);
    if (texts_s) tn = strlen(texts_s);
    if (exp_s) en = strlen(exp_s);
    if (!tn || !en || smx__json_parse(texts_s, tn, &a, 0, "texts.json", &texts, &e) || smx__json_parse(exp_s, en, &a, 0, "expected.json", &exp, &e)) {
        CHECK(0, "tests/golden/tok/%s: texts.json / expected.json unreadable", name);
        goto done;
    }
    snprintf(tdir, sizeof tdir, "%s", t_tmpdir("cli_tok"));
    snprintf(tfile, sizeof tfile, "%s/text", tdir);
    for (tx = smx__jget(texts, "texts")->child, rx = smx__jget(exp, "results")->child; tx && rx; tx = tx->next, rx = rx->next) {
        const smx__jv *txt = smx__jget(tx, "text"), *want, *alt, *dec;
        /* ids: HF encode(add_special_tokens=False) parses special text, GGUF's plain ids do not */
        static const char *const modes[3] = { "--no-special", "--no-special --parse-special", "" };
        int32_t got[512];
        int m;
        for (k = 0; k < (int)(sizeof pick / sizeof pick[0]) && strcmp(pick[k], smx__jget(tx, "id")->str); k++) {}
        if (k == (int)(sizeof pick / sizeof pick[0]) || !txt || txt->type != SMX__J_STR) continue;
        t_write(tdir, "text", txt->str, txt->slen);
        for (m = gguf ? 0 : 1; m < 3; m++) {
            t_cli_result r = t_cli_runf("tokenize %s --file %s --ids-only %s", src, tfile, modes[m]);
            const smx__jv *x;
            int ng = t_cli_ids(r.out, got, 512), i, same;
            want = smx__jget(rx, "ids");
            if (m >= 1 && gguf && (alt = smx__jget(rx, "ids_parse")) != NULL) want = alt;
            if (m == 2 && (alt = smx__jget(rx, "ids_special")) != NULL) want = alt;
            same = r.status == 0 && want && ng == want->n;
            for (i = 0, x = want ? want->child : NULL; same && x; x = x->next, i++) same = got[i] == (int32_t)x->num;
            CHECK(same, "tokenize %s '%s' %s: %d '%.200s' (%d ids, want %d)", name, txt->str, modes[m], r.status, r.out, ng, want ? want->n : -1);
            t_cli_free(&r);
            checked++;
        }
        /* decodes of the expected ids: plain, and without the special tokens */
        for (m = 0; m < 2; m++) {
            const smx__jv *src_ids = smx__jget(rx, "ids"), *x;
            const char *field = m ? (gguf ? "decode_special_skip" : "decode_skip") : "decode";
            size_t o = 0;
            t_cli_result r;
            dec = smx__jget(rx, field);
            if (m && gguf) {   /* llama.cpp's skip decode is of the ids with the specials added */
                const smx__jv *sp = smx__jget(rx, "ids_special"), *pp = smx__jget(rx, "ids_parse");
                src_ids = sp ? sp : pp ? pp : src_ids;
            }
            if (!dec || dec->type != SMX__J_STR || !src_ids || !src_ids->n) continue;
            for (x = src_ids->child; x && o + 16 < sizeof idl; x = x->next) o += (size_t)snprintf(idl + o, sizeof idl - o, "%s%d", o ? "," : "", (int)x->num);
            r = t_cli_runf("detokenize %s --ids %s%s", src, idl, m ? " --skip-special" : "");
            CHECK(r.status == 0 && strlen(r.out) == dec->slen + 1 && !memcmp(r.out, dec->str, dec->slen) && r.out[dec->slen] == '\n',
                  "detokenize %s %s (%s): '%.200s', want '%.200s'", name, idl, field, r.out, dec->str);
            t_cli_free(&r);
            checked++;
        }
    }
    CHECK(checked >= 12, "tests/golden/tok/%s: only %d checks ran", name, checked);
done:
    smx__arena_free(&a);
    free(texts_s); free(exp_s);
}

/* The tokenizer commands: golden cases, the table and round trips, bench-tokenizer, refusals. */
static void t_cli_tok(void)
{
    t_cli_result r;
    FILE *f;
    if (!(f = fopen("tests/golden/tok/hf-mistral/tokenizer.json", "rb"))) { SKIP("tests/golden/tok is absent"); return; }
    fclose(f);
    t_cli_tok_case("hf-llama3", 0, "tests/golden/tok/hf-llama3/tokenizer.json");   /* a tokenizer.json file */
    t_cli_tok_case("hf-mistral", 0, "tests/golden/tok/hf-mistral");                /* a folder */
    t_cli_tok_case("gguf-gpt-2", 1, "tests/golden/tok/gguf-gpt-2/ggml-vocab-gpt-2.gguf");
    t_cli_tok_case("gguf-llama-spm", 1, "tests/golden/tok/gguf-llama-spm/ggml-vocab-llama-spm.gguf");

    /* the table: id, vocabulary string, special; the count */
    r = t_cli_run("tokenize tests/golden/tok/hf-mistral --text 'Hello world'");
    CHECK(r.status == 0 && strstr(r.out, "       1  \"<s>\"  special\n") && strstr(r.out, "\"▁Hello\"") && strstr(r.out, "3 tokens for 11 bytes"),
          "tokenize table: %d %.500s", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("tokenize " T_CLI_MODEL " --text 'a\"b' --ids-only");
    CHECK(r.status == 0 && !strcmp(r.out, "97,34,98\n"), "tokenize the model folder: '%s'", r.out);
    t_cli_free(&r);
    r = t_cli_run("detokenize " T_CLI_MODEL " --ids 72,105,10,33");
    CHECK(r.status == 0 && !strcmp(r.out, "Hi\n!\n"), "detokenize the model folder: '%s'", r.out);
    t_cli_free(&r);
    r = t_cli_run("tokenize " T_CLI_MODEL " --file models/data/heldout.txt --ids-only");
    {   /* one id per byte of the file */
        const char *c;
        long commas = 0;
        for (c = r.out; *c; c++) commas += *c == ',';
        CHECK(r.status == 0 && commas == 32767, "tokenize --file: %d, %ld ids", r.status, commas + 1);
    }
    t_cli_free(&r);

    /* bench-tokenizer: speeds, the round trip (exact for the byte-level toy tokenizer; the trimmed
     * Llama-3 vocabulary lacks letters of the text, so --check fails there), JSON */
    r = t_cli_run("bench-tokenizer " T_CLI_MODEL " models/data/heldout.txt --rounds 2 --check");
    CHECK(r.status == 0 && strstr(r.out, "32768 bytes -> 32768 tokens") && strstr(r.out, "encode ") && strstr(r.out, "MB/s") &&
          strstr(r.out, "round trip   exact"), "bench-tokenizer: %d %.600s", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("bench-tokenizer tests/golden/tok/gguf-llama-spm/ggml-vocab-llama-spm.gguf models/data/heldout.txt --rounds 1 --check");
    CHECK(r.status == 0 && strstr(r.out, "SentencePiece (GGUF llama)") && strstr(r.out, "round trip   exact"), "bench-tokenizer spm: %d %.600s",
          r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("bench-tokenizer tests/golden/tok/hf-llama3 models/data/heldout.txt --rounds 1");
    CHECK(r.status == 0 && strstr(r.out, "round trip   differs"), "bench-tokenizer lossy: %d %.600s", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("bench-tokenizer tests/golden/tok/hf-llama3 models/data/heldout.txt --rounds 1 --check");
    CHECK(r.status == 1 && strstr(r.out, "round trip   differs"), "bench-tokenizer --check on a lossy round trip: %d", r.status);
    t_cli_free(&r);
    r = t_cli_run("bench-tokenizer " T_CLI_MODEL " models/data/heldout.txt --rounds 3 --json");
    CHECK(r.status == 0 && !strncmp(r.out, "{\"command\": \"bench-tokenizer\"", 29) && strstr(r.out, "\"encode\"") &&
          strstr(r.out, "\"round_trip_exact\", \"unit\": \"bool\", \"value\": 1") && strstr(r.out, "\"n\": 3"),
          "bench-tokenizer --json: %d %.600s", r.status, r.out);
    t_cli_free(&r);

    t_cli_refused("tokenize " T_CLI_MODEL, "--text");                                        /* neither */
    t_cli_refused("tokenize " T_CLI_MODEL " --text a --file models/data/heldout.txt", "--file");
    t_cli_refused("tokenize " T_CLI_MODEL " --file /nonexistent/text", "--file");
    t_cli_refused("tokenize --text a", "SRC");
    t_cli_refused("tokenize /nonexistent/tok --text a", "/nonexistent/tok");
    t_cli_refused("tokenize tests/golden/mamba --text a", "tests/golden/mamba");            /* a folder without tokenizer.json */
    t_cli_refused("tokenize " T_CLI_MODEL " --text a --parse-special", "--parse-special");
    t_cli_refused("tokenize " T_CLI_MODEL " --text a --ids", "--ids");
    t_cli_refused("detokenize " T_CLI_MODEL, "--ids");
    t_cli_refused("detokenize " T_CLI_MODEL " --ids 1,x", "--ids");
    t_cli_refused("detokenize " T_CLI_MODEL " --ids 256", "256");                             /* outside the tokenizer */
    t_cli_refused("detokenize " T_CLI_MODEL " --ids 256", "--ids");
    t_cli_refused("detokenize " T_CLI_MODEL " --ids -1", "--ids");
    t_cli_refused("bench-tokenizer " T_CLI_MODEL, "SRC FILE");
    t_cli_refused("bench-tokenizer " T_CLI_MODEL " models/data/heldout.txt --rounds 0", "--rounds");
    t_cli_refused("bench-tokenizer " T_CLI_MODEL " /nonexistent/text", "/nonexistent/text");
}

/* bench-kernels: the per-type table, as JSON, and its --types flag. */
static void t_cli_bench_kernels(void)
{
    t_cli_result r = t_cli_run("bench-kernels --quick --threads 1 --types q8_0,Q4_K --json");
    CHECK(r.status == 0 && strstr(r.out, "\"weight_types\", \"name\": \"q8_0 rounded, 1 thread\", \"metric\": \"decode_matvec\"") &&
          strstr(r.out, "\"q4_K float32, 1 thread\", \"metric\": \"prefill_matmul\"") && strstr(r.out, "\"decode_of_bandwidth\"") &&
          !strstr(r.out, "\"f16 ") && strstr(r.err, "rounded to q8_K") && strstr(r.err, "per weight type"),
          "bench-kernels --types: %d %.800s %.800s", r.status, r.out, r.err);
    t_cli_free(&r);
    t_cli_refused("bench-kernels --types q3_k", "--types");
    t_cli_refused("bench-kernels --types f32,,q8_0", "--types");
}

static void test_cli(void)
{
    FILE *f;
    t_cli_result r;
    char args[1024];
    int np = 0, nd = 0, i;
    double pp = 0, dd = 0;
    if (!strcmp(t_cli_cmd(), T_CLI_BIN)) {   /* the tool of this build, not $SMX_TEST_CLI */
        if (!(f = fopen(T_CLI_BIN, "rb"))) { SKIP("%s is not built (make %s)", T_CLI_BIN, T_CLI_BIN); return; }
        fclose(f);
    }
    if (!(f = fopen(T_CLI_MODEL "/config.json", "rb"))) { SKIP("%s is absent", T_CLI_MODEL); return; }
    fclose(f);

    /* --version, help, help generate, COMMAND --help */
    r = t_cli_run("--version");
    CHECK(r.status == 0 && !strncmp(r.out, "seqmix ", 7) && strstr(r.out, smx_version()), "--version: %d '%s'", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("help");
    CHECK(r.status == 0 && strstr(r.out, "generate") && strstr(r.out, "bench-models") && strstr(r.out, "conform") &&
          strstr(r.out, "tokenize") && strstr(r.out, "detokenize") && strstr(r.out, "bench-tokenizer"),
          "help: %d '%.200s'", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("--help");
    CHECK(r.status == 0 && strstr(r.out, "generate"), "--help: %d", r.status);
    t_cli_free(&r);
    r = t_cli_run("help generate");
    CHECK(r.status == 0 && strstr(r.out, "usage: seqmix generate") && strstr(r.out, "--temperature") && strstr(r.out, "--temp") &&
          strstr(r.out, "-n, --tokens"), "help generate: %d '%.300s'", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("generate --help");
    CHECK(r.status == 0 && strstr(r.out, "usage: seqmix generate"), "generate --help: %d", r.status);
    t_cli_free(&r);
    r = t_cli_run("");
    CHECK(r.status == 2 && strstr(r.err, "usage"), "no command: %d", r.status);
    t_cli_free(&r);
    t_cli_refused("frobnicate", "frobnicate");
    t_cli_refused("help frobnicate", "frobnicate");
    t_cli_refused("--verbose", "--verbose");

    /* generate: a valid run prints the summary line that tools/peer_bench.sh parses */
    r = t_cli_run("generate " T_CLI_MODEL " --prompt 'The ' -n 8");
    CHECK(r.status == 0, "generate: exit %d: %.300s", r.status, r.err);
    CHECK(!strncmp(r.out, "The ", 4) && strlen(r.out) > 5, "generate: stdout '%.100s'", r.out);
    CHECK(strstr(r.err, "load " T_CLI_MODEL) != NULL, "generate: no load time on stderr: %.200s", r.err);
    CHECK(t_cli_summary(r.err, &np, &pp, &nd, &dd) && np == 4 && nd == 8 && pp > 0 && dd > 0,
          "generate: summary line not parsed (%d %g %d %g): %.300s", np, pp, nd, dd, r.err);
    CHECK(strstr(r.err, "ms/token") != NULL, "generate: no ms/token: %.200s", r.err);
    CHECK(!strstr(r.out, "tok/s"), "generate: the summary went to stdout");
    t_cli_free(&r);
    r = t_cli_run("generate " T_CLI_MODEL " --ids 72,101,108 -n 4 --temperature 0.9 --top-k 20 --seed 3");
    CHECK(r.status == 0 && t_cli_summary(r.err, &np, &pp, &nd, &dd) && np == 3 && nd == 4, "generate --ids sampled: %d %.300s",
          r.status, r.err);
    t_cli_free(&r);
    {   /* --temperature and its alias --temp sample the same tokens; temperature 0 is greedy */
        t_cli_result a = t_cli_run("generate " T_CLI_MODEL " --prompt 'The ' -n 24 --temperature 1.5 --seed 7");
        t_cli_result b = t_cli_run("generate " T_CLI_MODEL " --prompt 'The ' -n 24 --temp 1.5 --seed 7");
        t_cli_result g = t_cli_run("generate " T_CLI_MODEL " --prompt 'The ' -n 24");
        CHECK(a.status == 0 && b.status == 0 && !strcmp(a.out, b.out), "--temperature vs --temp: '%s' vs '%s'", a.out, b.out);
        CHECK(g.status == 0 && strcmp(a.out, g.out), "--temperature 1.5 generated the greedy text '%s'", g.out);
        t_cli_free(&a); t_cli_free(&b); t_cli_free(&g);
    }
    /* any number of ids (no fixed limit): 5000 ids is refused only for the model's context of 4096 */
    {
        static const int counts[2] = { 5000, 3800 };
        char *big = (char *)malloc(5000 * 4 + 256);
        size_t o;
        int c;
        CHECK(big != NULL, "out of memory");
        for (c = 0; big && c < 2; c++) {
            o = (size_t)sprintf(big, "generate %s -n 1 --ids ", T_CLI_MODEL);
            for (i = 0; i < counts[c]; i++) o += (size_t)sprintf(big + o, "%s%d", i ? "," : "", 32 + i % 90);
            r = t_cli_run(big);
            if (c == 0)
                CHECK(r.status == 2 && strstr(r.err, "5000") && strstr(r.err, "4096") && strstr(r.err, "--ids"),
                      "5000 ids: %d %.300s", r.status, r.err);
            else
                CHECK(r.status == 0 && t_cli_summary(r.err, &np, &pp, &nd, &dd) && np == 3800, "3800 ids: %d %.300s", r.status, r.err);
            t_cli_free(&r);
        }
        free(big);
    }

    /* every bad input: exit status 2 and stderr names the flag */
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi -n abc", "-n");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi -n abc", "--tokens");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi -n 1e9", "-n");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi -n -5", "-n");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi -n 2147483647", "-n");       /* n_ids + n overflows */
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi -n 5000", "-n");             /* past the context */
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi -n", "-n");                  /* missing value */
    t_cli_refused("generate " T_CLI_MODEL " --ids 4294967297", "--ids");
    t_cli_refused("generate " T_CLI_MODEL " --ids 1,x,3", "--ids");
    t_cli_refused("generate " T_CLI_MODEL " --ids 1,,3", "--ids");
    t_cli_refused("generate " T_CLI_MODEL " --ids -1", "--ids");
    t_cli_refused("generate " T_CLI_MODEL " --ids 300", "--ids");                    /* outside the vocabulary */
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --ids 1,2", "--prompt");     /* conflicting inputs */
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --ids 1,2", "--ids");
    t_cli_refused("generate " T_CLI_MODEL, "--prompt");                               /* neither */
    t_cli_refused("generate " T_CLI_MODEL " --prompt ''", "--prompt");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --temperature abc", "--temperature");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --temperature -1", "--temperature");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --temperatur 0.9", "--temperatur");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --bogus", "--bogus");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --top-p 2 --temperature 1", "--top-p");
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --top-k 5", "--top-k");      /* no effect when greedy */
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --temp 1 --temperature 1", "--temperature");   /* given twice */
    t_cli_refused("generate " T_CLI_MODEL " --prompt Hi --threads 1.5", "--threads");
    t_cli_refused("generate " T_CLI_MODEL " extra --prompt Hi", "extra");            /* positional arguments */
    t_cli_refused("generate --prompt Hi", "MODEL");
    t_cli_refused("generate /nonexistent/model --prompt Hi", "/nonexistent/model");
    t_cli_refused("conform " T_CLI_MODEL " --tol abc", "--tol");
    t_cli_refused("conform " T_CLI_MODEL " --tol -1", "--tol");
    t_cli_refused("info", "MODEL");
    t_cli_refused("info " T_CLI_MODEL " " T_CLI_MODEL, T_CLI_MODEL);
    t_cli_refused("eval " T_CLI_MODEL, "--text");
    t_cli_refused("eval " T_CLI_MODEL " --text models/data/heldout.txt --window 1", "--window");
    t_cli_refused("diffuse models/llada --prompt Hi --gen-length 32 --block-length 7", "--block-length");
    t_cli_refused("diffuse models/llada --prompt Hi --prefix-cache sometimes", "--prefix-cache");
    t_cli_refused("bench-models --only foo", "--only");
    t_cli_refused("bench-models --only ssm,foo", "--only");
    t_cli_refused("bench-models --threads 0", "--threads");
    t_cli_refused("bench-models -m /nonexistent/model", "/nonexistent/model");
    t_cli_refused("bench-models -m " T_CLI_MODEL " --only ssm", "--only");
    t_cli_refused("bench --width 3", "--width");
    t_cli_refused("bench --lengths 128,abc", "--lengths");
    t_cli_refused("bench --lengths 256,128", "--lengths");
    t_cli_refused("bench-kernels --threads -2", "--threads");
    t_cli_refused("bench-kernels --quick=yes", "--quick");

    /* info and conform on the shipped model; conform on a folder without golden data fails */
    r = t_cli_run("info " T_CLI_MODEL);
    CHECK(r.status == 0 && strstr(r.out, "BambaForCausalLM") && strstr(r.out, "max context"), "info: %d %.200s", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("conform " T_CLI_MODEL);
    CHECK(r.status == 2 && strstr(r.out, "golden"), "conform without golden data: %d %.200s", r.status, r.out);
    t_cli_free(&r);
    r = t_cli_run("conform tests/golden/mamba --tol=1e-3");
    CHECK(r.status == 0 && strstr(r.out, "PASS mamba"), "conform tests/golden/mamba: %d %.300s", r.status, r.out);
    t_cli_free(&r);

    /* a benchmark of the shipped model, as JSON: no fraction above 100% */
    snprintf(args, sizeof args, "bench-models -m %s --quick --json", T_CLI_MODEL);
    r = t_cli_run(args);
    CHECK(r.status == 0 && !strncmp(r.out, "{\"command\": \"bench-models\"", 26) && strstr(r.out, "\"decode_of_roof\"") &&
          strstr(r.out, "\"prefill_128\"") && strstr(r.out, "\"median\"") && strstr(r.out, "]}"),
          "bench-models -m --json: %d out '%.300s' err '%.300s'", r.status, r.out, r.err);
    {
        const char *p = strstr(r.out, "\"decode_of_roof\"");
        const char *mx = p ? strstr(p, "\"max\": ") : NULL;
        CHECK(mx && atof(mx + 7) > 0 && atof(mx + 7) <= 100.0, "decode_of_roof max %s", mx ? mx + 7 : "(none)");
    }
    {   /* the JSON document parses with the library's own reader */
        smx__arena ar;
        smx__jv *root = NULL;
        smx_error e;
        memset(&ar, 0, sizeof ar);
        CHECK(smx__json_parse(r.out, strlen(r.out), &ar, 0, "bench json", &root, &e) == SMX_OK && root && root->type == SMX__J_OBJ &&
              smx__jget(root, "results") && smx__jget(root, "results")->type == SMX__J_ARR,
              "bench-models --json is not a JSON object with results: %s", e.msg);
        smx__arena_free(&ar);
    }
    t_cli_free(&r);

    t_cli_weights();
    t_cli_text();
    t_cli_tok();
    t_cli_bench_kernels();
}
