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
    CHECK(r.status == 0 && strstr(r.out, "generate") && strstr(r.out, "bench-models") && strstr(r.out, "conform"),
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
    t_cli_refused("generate --prompt Hi", "DIR");
    t_cli_refused("generate /nonexistent/model --prompt Hi", "/nonexistent/model");
    t_cli_refused("conform " T_CLI_MODEL " --tol abc", "--tol");
    t_cli_refused("conform " T_CLI_MODEL " --tol -1", "--tol");
    t_cli_refused("info", "DIR");
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
}
