/* cli_util.c — helpers shared by the seqmix tool's commands and the tests: a monotonic clock and
 * folders on POSIX and Windows, the typed flag parser every command uses, lists of integers, and
 * min / median / max statistics.
 * Included first, after seqmix.h; it uses nothing of the library.
 *
 * Flags. A command declares its flags in a table of cli_flag (name, optional alias such as "-n" or
 * "--temp", type, default, allowed range, allowed values) and how many positional arguments it
 * takes; cli_parse reads argv against it and refuses, with exit status 2 and a message naming the
 * flag: unknown flags, a flag given twice (under either spelling), a missing value, a malformed
 * number ("abc", "1e9" for an integer, trailing characters, overflow), a value outside the range,
 * a value outside the allowed set, a value given to a boolean flag, and too few or too many
 * positional arguments. "--flag=value" and "--flag value" are the same; "--" ends the flags. */
#ifndef CLI_UTIL_C
#define CLI_UTIL_C

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__) || defined(__clang__)
#define CLI_MAYBE_UNUSED __attribute__((unused))
#else
#define CLI_MAYBE_UNUSED
#endif

/* ---- the platform: a monotonic clock, folders, the terminal (POSIX or Windows) ---- */
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <direct.h>
#include <io.h>
#include <fcntl.h>
#else
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

/* Standard output as bytes: text, ids and decoded tokens come out as they are on every platform
 * (Windows' text mode would turn each \n into \r\n). */
CLI_MAYBE_UNUSED static void cli_binary_stdout(void)
{
#ifdef _WIN32
    fflush(stdout);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
}

/* Seconds from an arbitrary start, monotonic. */
CLI_MAYBE_UNUSED static double cli_now(void)
{
#ifdef _WIN32
    static LARGE_INTEGER freq;
    LARGE_INTEGER t;
    if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart / (double)freq.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
}

/* 1 if stderr is a terminal (a console on Windows). */
CLI_MAYBE_UNUSED static int cli_stderr_is_tty(void)
{
#ifdef _WIN32
    return _isatty(_fileno(stderr)) != 0;
#else
    return isatty(2);
#endif
}

/* Make folder path (an existing one is fine); 0 on success. */
CLI_MAYBE_UNUSED static int cli_mkdir(const char *path)
{
#ifdef _WIN32
    return _mkdir(path) == 0 || errno == EEXIST ? 0 : -1;
#else
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
#endif
}

CLI_MAYBE_UNUSED static int cli_rmdir(const char *path)
{
#ifdef _WIN32
    return _rmdir(path);
#else
    return rmdir(path);
#endif
}

/* 1 if path is a folder. */
CLI_MAYBE_UNUSED static int cli_is_dir(const char *path)
{
#ifdef _WIN32
    DWORD a = GetFileAttributesA(path);
    return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
#else
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
#endif
}

/* 1 if path is a file that can be opened for reading. */
CLI_MAYBE_UNUSED static int cli_is_file(const char *path)
{
    FILE *f = cli_is_dir(path) ? NULL : fopen(path, "rb");
    if (!f) return 0;
    fclose(f);
    return 1;
}

/* A new, empty folder of the system's temporary folder ($TMPDIR or /tmp; GetTempPath on
 * Windows) whose name starts with prefix, written to buf; NULL on failure. */
CLI_MAYBE_UNUSED static char *cli_mkdtemp(const char *prefix, char *buf, size_t cap)
{
#ifdef _WIN32
    char base[MAX_PATH + 1];
    DWORD n = GetTempPathA(sizeof base, base);
    unsigned k, seed = (unsigned)GetCurrentProcessId() * 2654435761u ^ (unsigned)GetTickCount();
    if (n == 0 || n > MAX_PATH) strcpy(base, ".\\");
    for (k = 0; k < 1000; k++) {
        unsigned long v = (unsigned long)((seed + k * 40503u) & 0xFFFFFFu);
        if ((size_t)snprintf(buf, cap, "%s%s_%06lx", base, prefix, v) >= cap) return NULL;
        if (_mkdir(buf) == 0) return buf;
        if (errno != EEXIST) return NULL;
    }
    return NULL;
#else
    const char *t = getenv("TMPDIR");
    if (!t || !*t) t = "/tmp";
    if ((size_t)snprintf(buf, cap, "%s/%s_XXXXXX", t, prefix) >= cap) return NULL;
    return mkdtemp(buf);
#endif
}

/* The names in a folder ("." and ".." left out): cli_dir_open, cli_dir_next until NULL,
 * cli_dir_close. */
typedef struct cli_dir {
#ifdef _WIN32
    HANDLE h;
    WIN32_FIND_DATAA fd;
    int first;
#else
    DIR *d;
#endif
} cli_dir;

CLI_MAYBE_UNUSED static int cli_dir_open(cli_dir *d, const char *path)
{
#ifdef _WIN32
    char pat[MAX_PATH + 8];
    if ((size_t)snprintf(pat, sizeof pat, "%s\\*", path) >= sizeof pat) return -1;
    d->h = FindFirstFileA(pat, &d->fd);
    d->first = 1;
    return d->h == INVALID_HANDLE_VALUE ? -1 : 0;
#else
    d->d = opendir(path);
    return d->d ? 0 : -1;
#endif
}

CLI_MAYBE_UNUSED static const char *cli_dir_next(cli_dir *d)
{
    const char *name;
    do {
#ifdef _WIN32
        if (!d->first && !FindNextFileA(d->h, &d->fd)) return NULL;
        d->first = 0;
        name = d->fd.cFileName;
#else
        struct dirent *de = readdir(d->d);
        if (!de) return NULL;
        name = de->d_name;
#endif
    } while (!strcmp(name, ".") || !strcmp(name, ".."));
    return name;
}

CLI_MAYBE_UNUSED static void cli_dir_close(cli_dir *d)
{
#ifdef _WIN32
    FindClose(d->h);
#else
    closedir(d->d);
#endif
}

/* ---- flag tables ---- */

/* CLI_NAME: a CLI_STR whose value must be one of its choices, matched in any case (type names such
 * as q4_K, which the library also takes in any case). */
typedef enum cli_type { CLI_BOOL, CLI_INT, CLI_FLOAT, CLI_STR, CLI_NAME } cli_type;

typedef struct cli_flag {
    const char *name;       /* "--temperature" */
    const char *alias;      /* another spelling, "-n" or "--temp"; NULL for none */
    cli_type type;
    const char *meta;       /* the value in the usage text: "N", "X", "FILE"; NULL for booleans */
    const char *def;        /* default value as text, parsed like a given one; NULL: none */
    double lo, hi;          /* CLI_INT / CLI_FLOAT: allowed range, inclusive */
    const char *choices;    /* CLI_STR, CLI_NAME: allowed values "a|b|c", or NULL for any */
    int list;               /* with choices: a comma-separated list of them is allowed */
    const char *help;
} cli_flag;

/* Ranges that mean "any value of the type". */
#define CLI_INT_ANY (double)LLONG_MIN, (double)LLONG_MAX
#define CLI_COUNT (double)0, (double)INT_MAX      /* a non-negative int */

typedef struct cli_value {
    int given;              /* on the command line (not the default) */
    int has;                /* given or defaulted */
    long long i;            /* CLI_INT, CLI_BOOL */
    double f;               /* CLI_FLOAT (also set for CLI_INT) */
    const char *s;          /* the text */
} cli_value;

#define CLI_MAX_FLAGS 40
#define CLI_MAX_POS 8

typedef struct cli_args {
    const char *cmd;                /* "generate", for messages */
    const cli_flag *flags;
    int n_flags;
    cli_value v[CLI_MAX_FLAGS];
    int n_pos;
    char *pos[CLI_MAX_POS];
} cli_args;

/* "seqmix CMD: msg" on stderr, then a pointer to the usage; returns 2 (the usage exit status). */
CLI_MAYBE_UNUSED static int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "seqmix%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(seqmix %s%s--help for usage)\n", cmd ? cmd : "", cmd ? " " : "");
    return 2;
}

/* A usage error about flag name of a's command (name may be NULL); returns 2. */
CLI_MAYBE_UNUSED static int cli_fail(const cli_args *a, const char *flag, const char *fmt, ...)
{
    va_list ap;
    char msg[512];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (flag) return cli_usage_error(a->cmd, "%s: %s", flag, msg);
    return cli_usage_error(a->cmd, "%s", msg);
}

/* Index of the flag spelled s (name or alias; s may carry "=value", len is the part before it). */
static int cli_find(const cli_flag *fl, int n, const char *s, size_t len)
{
    int i;
    for (i = 0; i < n; i++)
        if ((strlen(fl[i].name) == len && !strncmp(fl[i].name, s, len)) ||
            (fl[i].alias && strlen(fl[i].alias) == len && !strncmp(fl[i].alias, s, len)))
            return i;
    return -1;
}

/* Edit distance, for "did you mean" (short strings only). */
static int cli_edit_distance(const char *a, const char *b)
{
    int d[64], la = (int)strlen(a), lb = (int)strlen(b), i, j;
    if (la > 62 || lb > 62) return 99;
    for (j = 0; j <= lb; j++) d[j] = j;
    for (i = 1; i <= la; i++) {
        int prev = d[0], t;
        d[0] = i;
        for (j = 1; j <= lb; j++) {
            t = d[j];
            d[j] = a[i - 1] == b[j - 1] ? prev : 1 + (prev < d[j] ? (prev < d[j - 1] ? prev : d[j - 1]) : (d[j] < d[j - 1] ? d[j] : d[j - 1]));
            prev = t;
        }
    }
    return d[lb];
}

/* The flag's spelling for messages: "--tokens (-n)". */
static const char *cli_flag_label(const cli_flag *f, char *buf, size_t cap)
{
    if (f->alias) snprintf(buf, cap, "%s (%s)", f->name, f->alias);
    else snprintf(buf, cap, "%s", f->name);
    return buf;
}

/* Whether v[0..len) is one of "a|b|c" (icase: in any case). */
static int cli_in_choices(const char *choices, const char *v, size_t len, int icase)
{
    const char *c = choices;
    while (*c) {
        const char *e = strchr(c, '|');
        size_t n = e ? (size_t)(e - c) : strlen(c), i = 0;
        if (n == len && icase)
            for (i = 0; i < len && tolower((unsigned char)c[i]) == tolower((unsigned char)v[i]); i++) {}
        if (n == len && (icase ? i == len : !strncmp(c, v, len))) return 1;
        if (!e) break;
        c = e + 1;
    }
    return 0;
}

/* An integer in [lo, hi]: whole text, base 10. 0 ok; else an error was printed (returns 2). */
CLI_MAYBE_UNUSED static int cli_parse_int(const cli_args *a, const char *label, const char *s, double lo, double hi, long long *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (end == s || *end || !*s || isspace((unsigned char)s[0])) {
        if (strpbrk(s, ".eE") && strtod(s, &end) && !*end)
            return cli_fail(a, label, "'%s' is not an integer (write it out in digits)", s);
        return cli_fail(a, label, "'%s' is not an integer", s);
    }
    if (errno == ERANGE || (double)v < lo || (double)v > hi) {
        if (lo == 0 && (double)v < 0) return cli_fail(a, label, "must not be negative (got %s)", s);
        return cli_fail(a, label, "%s is out of range [%.0f, %.0f]", s, lo, hi);
    }
    *out = v;
    return 0;
}

CLI_MAYBE_UNUSED static int cli_parse_float(const cli_args *a, const char *label, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end || !*s || isspace((unsigned char)s[0])) return cli_fail(a, label, "'%s' is not a number", s);
    if (v != v || v == HUGE_VAL || v == -HUGE_VAL)
        return cli_fail(a, label, "'%s' is not a finite number", s);
    if (v < lo || v > hi) return cli_fail(a, label, "%s is out of range [%g, %g]", s, lo, hi);
    *out = v;
    return 0;
}

/* Parse and check the value text s for flag k into a->v[k]. 0 ok, 2 error (printed). */
static int cli_set_value(cli_args *a, int k, const char *s)
{
    const cli_flag *f = &a->flags[k];
    cli_value *v = &a->v[k];
    char label[96];
    cli_flag_label(f, label, sizeof label);
    v->s = s;
    switch (f->type) {
    case CLI_BOOL:
        v->i = 1;
        break;
    case CLI_INT:
        if (cli_parse_int(a, label, s, f->lo, f->hi, &v->i)) return 2;
        v->f = (double)v->i;
        break;
    case CLI_FLOAT:
        if (cli_parse_float(a, label, s, f->lo, f->hi, &v->f)) return 2;
        break;
    case CLI_STR:
    case CLI_NAME:
        if (f->choices) {
            const char *p = s;
            if (!*s) return cli_fail(a, label, "needs one of %s", f->choices);
            for (;;) {
                const char *e = f->list ? strchr(p, ',') : NULL;
                size_t n = e ? (size_t)(e - p) : strlen(p);
                if (!cli_in_choices(f->choices, p, n, f->type == CLI_NAME))
                    return cli_fail(a, label, "'%.*s' is not one of %s%s", (int)n, p, f->choices,
                                    f->list ? " (or a comma-separated list of them)" : "");
                if (!e) break;
                p = e + 1;
            }
        }
        break;
    }
    v->has = 1;
    return 0;
}

/* Whether argv holds --help or -h as a flag (not as another flag's value). */
static int cli_wants_help(const cli_flag *fl, int n_flags, int argc, char **argv)
{
    int i, k;
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--")) return 0;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
        k = argv[i][0] == '-' ? cli_find(fl, n_flags, argv[i], strcspn(argv[i], "=")) : -1;
        if (k >= 0 && fl[k].type != CLI_BOOL && !strchr(argv[i], '=')) i++;   /* skip its value */
    }
    return 0;
}

/* Parse argv (the arguments after the command name) against flags[0..n_flags). Returns 0 when
 * the command should run, 1 when --help was asked for (nothing checked), 2 on a usage error (a
 * message naming the flag was printed). */
CLI_MAYBE_UNUSED static int cli_parse(cli_args *a, const char *cmd, const cli_flag *flags, int n_flags, int min_pos, int max_pos,
                                      const char *pos_name, int argc, char **argv)
{
    int i, k, only_pos = 0;
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->flags = flags;
    a->n_flags = n_flags < CLI_MAX_FLAGS ? n_flags : CLI_MAX_FLAGS;
    if (cli_wants_help(flags, a->n_flags, argc, argv)) return 1;
    for (k = 0; k < a->n_flags; k++)
        if (flags[k].def && cli_set_value(a, k, flags[k].def)) return 2;   /* a bad default is a bug: say so */
    for (i = 0; i < argc; i++) {
        const char *arg = argv[i], *val;
        size_t len;
        char label[96];
        if (only_pos || arg[0] != '-' || !arg[1] || (arg[1] >= '0' && arg[1] <= '9')) {
            if (!only_pos && arg[0] == '-' && arg[1]) return cli_usage_error(cmd, "unexpected argument '%s'", arg);
            if (a->n_pos >= max_pos || a->n_pos >= CLI_MAX_POS) {
                if (max_pos == 0) return cli_usage_error(cmd, "takes no %s argument (got '%s')", "positional", arg);
                return cli_usage_error(cmd, "unexpected argument '%s' (%s takes %d: %s)", arg, cmd, max_pos, pos_name);
            }
            a->pos[a->n_pos++] = argv[i];
            continue;
        }
        if (!strcmp(arg, "--")) { only_pos = 1; continue; }
        len = strcspn(arg, "=");
        k = cli_find(flags, a->n_flags, arg, len);
        if (k < 0) {
            int best = -1, bd = 3, d, j;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len < 60 ? len : 60), arg);
            for (j = 0; j < a->n_flags; j++) {
                if ((d = cli_edit_distance(name, flags[j].name)) < bd) { bd = d; best = j; }
                if (flags[j].alias && (d = cli_edit_distance(name, flags[j].alias)) < bd) { bd = d; best = j; }
            }
            if (best >= 0) return cli_usage_error(cmd, "unknown flag '%s' (did you mean %s?)", name, flags[best].name);
            return cli_usage_error(cmd, "unknown flag '%s'", name);
        }
        cli_flag_label(&flags[k], label, sizeof label);
        if (a->v[k].given) return cli_usage_error(cmd, "%s given twice", label);
        if (flags[k].type == CLI_BOOL) {
            if (arg[len]) return cli_usage_error(cmd, "%s takes no value (got '%s')", label, arg);
            val = "1";
        } else if (arg[len] == '=') {
            val = arg + len + 1;
        } else {
            if (i + 1 >= argc) return cli_usage_error(cmd, "%s needs a value (%s)", label, flags[k].meta ? flags[k].meta : "VALUE");
            val = argv[++i];
        }
        if (cli_set_value(a, k, val)) return 2;
        a->v[k].given = 1;
    }
    if (a->n_pos < min_pos) return cli_usage_error(cmd, "missing %s", pos_name);
    return 0;
}

/* The value of flag name (a programming error if the command does not declare it). */
static const cli_value *cli_get(const cli_args *a, const char *name)
{
    static const cli_value none;
    int k = cli_find(a->flags, a->n_flags, name, strlen(name));
    if (k < 0) {
        fprintf(stderr, "seqmix %s: internal error: no flag %s\n", a->cmd, name);
        return &none;
    }
    return &a->v[k];
}

/* Whether the command declares flag name (shared helpers read flags only some commands have). */
CLI_MAYBE_UNUSED static int cli_has(const cli_args *a, const char *name)
{
    return cli_find(a->flags, a->n_flags, name, strlen(name)) >= 0;
}

CLI_MAYBE_UNUSED static int cli_given(const cli_args *a, const char *name) { return cli_get(a, name)->given; }
CLI_MAYBE_UNUSED static int cli_on(const cli_args *a, const char *name) { return cli_get(a, name)->has && cli_get(a, name)->i; }
CLI_MAYBE_UNUSED static long long cli_int(const cli_args *a, const char *name) { return cli_get(a, name)->i; }
CLI_MAYBE_UNUSED static double cli_num(const cli_args *a, const char *name) { return cli_get(a, name)->f; }
CLI_MAYBE_UNUSED static const char *cli_str(const cli_args *a, const char *name)
{
    const cli_value *v = cli_get(a, name);
    return v->has ? v->s : NULL;
}

/* Usage error unless at most one of the two flags is given. */
CLI_MAYBE_UNUSED static int cli_conflict(const cli_args *a, const char *f1, const char *f2)
{
    if (cli_given(a, f1) && cli_given(a, f2)) return cli_fail(a, NULL, "%s and %s cannot be used together", f1, f2);
    return 0;
}

/* Usage error unless exactly one of the two flags is given. */
CLI_MAYBE_UNUSED static int cli_one_of(const cli_args *a, const char *f1, const char *f2)
{
    if (cli_conflict(a, f1, f2)) return 2;
    if (!cli_given(a, f1) && !cli_given(a, f2)) return cli_fail(a, NULL, "needs %s or %s", f1, f2);
    return 0;
}

/* Whether a comma list flag (choices with list = 1) names item. */
CLI_MAYBE_UNUSED static int cli_list_has(const cli_args *a, const char *name, const char *item)
{
    const char *s = cli_str(a, name), *p;
    size_t n = strlen(item);
    if (!s) return 0;
    for (p = s; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, item, n) && (p[n] == ',' || !p[n])) return 1;
    return 0;
}

/* The comma-separated integers of flag name, each in [lo, hi], in a malloc'd array (*out, *n).
 * No limit on the count but memory. 0 ok; 2 on a usage error (printed, naming the flag and the
 * element); 3 out of memory (printed). */
CLI_MAYBE_UNUSED static int cli_int_list(const cli_args *a, const char *name, double lo, double hi, int32_t **out, int *n)
{
    const char *s = cli_str(a, name), *p;
    size_t cnt = 1, i = 0;
    int32_t *v;
    char item[64], label[96];
    int k = cli_find(a->flags, a->n_flags, name, strlen(name));
    *out = NULL;
    *n = 0;
    cli_flag_label(&a->flags[k < 0 ? 0 : k], label, sizeof label);
    if (!s || !*s) return cli_fail(a, label, "needs a comma-separated list of integers");
    for (p = s; *p; p++) cnt += *p == ',';
    if (cnt > (size_t)INT_MAX) return cli_fail(a, label, "more than %d items", INT_MAX);
    if (!(v = (int32_t *)malloc(sizeof(int32_t) * cnt))) {
        fprintf(stderr, "seqmix %s: out of memory for %lu items of %s\n", a->cmd, (unsigned long)cnt, name);
        return 3;
    }
    for (p = s;; i++) {
        size_t len = strcspn(p, ",");
        long long x;
        if (!len) { free(v); return cli_fail(a, label, "item %lu is empty (a stray comma?)", (unsigned long)i + 1); }
        snprintf(item, sizeof item, "%.*s", (int)(len < 60 ? len : 60), p);
        if (len >= 60) { free(v); return cli_fail(a, label, "item %lu '%s...' is not an integer", (unsigned long)i + 1, item); }
        if (cli_parse_int(a, label, item, lo, hi, &x)) { free(v); return 2; }
        v[i] = (int32_t)x;
        p += len;
        if (!*p) break;
        p++;
    }
    *out = v;
    *n = (int)(i + 1);
    return 0;
}

/* The flags as a usage table. */
CLI_MAYBE_UNUSED static void cli_print_flags(FILE *f, const cli_flag *fl, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        char left[96], tail[160];
        const char *ty = fl[i].type == CLI_INT ? "integer" : fl[i].type == CLI_FLOAT ? "number" : NULL;
        size_t o = 0;
        if (fl[i].alias && fl[i].alias[1] != '-')
            snprintf(left, sizeof left, "%s, %s%s%s", fl[i].alias, fl[i].name, fl[i].meta ? " " : "", fl[i].meta ? fl[i].meta : "");
        else
            snprintf(left, sizeof left, "%s%s%s%s%s", fl[i].name, fl[i].meta ? " " : "", fl[i].meta ? fl[i].meta : "",
                     fl[i].alias ? ", " : "", fl[i].alias ? fl[i].alias : "");
        tail[0] = 0;
        if (fl[i].def && fl[i].type != CLI_BOOL) o += (size_t)snprintf(tail + o, sizeof tail - o, "default %s", fl[i].def);
        if (ty && !(fl[i].lo == (double)LLONG_MIN && fl[i].hi == (double)LLONG_MAX) && o < sizeof tail) {
            if (fl[i].type == CLI_INT && fl[i].hi >= (double)INT_MAX)
                o += (size_t)snprintf(tail + o, sizeof tail - o, "%s%s >= %.0f", o ? "; " : "", ty, fl[i].lo);
            else if (fl[i].type == CLI_INT)
                o += (size_t)snprintf(tail + o, sizeof tail - o, "%s%s %.0f..%.0f", o ? "; " : "", ty, fl[i].lo, fl[i].hi);
            else
                o += (size_t)snprintf(tail + o, sizeof tail - o, "%s%s %g..%g", o ? "; " : "", ty, fl[i].lo, fl[i].hi);
        }
        if (fl[i].choices && o < sizeof tail)
            o += (size_t)snprintf(tail + o, sizeof tail - o, "%s%s%s", o ? "; " : "", fl[i].list ? "one or more of " : "", fl[i].choices);
        if (strlen(left) > 26) fprintf(f, "  %s\n  %-26s  %s", left, "", fl[i].help);
        else fprintf(f, "  %-26s  %s", left, fl[i].help);
        if (o) fprintf(f, " (%s)", tail);
        fputc('\n', f);
    }
}

/* ---- statistics over repetitions ---- */

typedef struct cli_stat { double min, med, max; int n; } cli_stat;

static int cli_cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* min / median / max of v[0..n) (v is sorted in place). */
CLI_MAYBE_UNUSED static cli_stat cli_stats(double *v, int n)
{
    cli_stat s;
    memset(&s, 0, sizeof s);
    if (n <= 0) return s;
    qsort(v, (size_t)n, sizeof *v, cli_cmp_double);
    s.min = v[0];
    s.max = v[n - 1];
    s.med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    s.n = n;
    return s;
}

/* k / x for every figure of s (times to rates): min and max swap. */
CLI_MAYBE_UNUSED static cli_stat cli_stat_inv(cli_stat s, double k)
{
    cli_stat r = s;
    r.min = s.max > 0 ? k / s.max : 0.0;
    r.max = s.min > 0 ? k / s.min : 0.0;
    r.med = s.med > 0 ? k / s.med : 0.0;
    return r;
}

CLI_MAYBE_UNUSED static cli_stat cli_stat_scale(cli_stat s, double k)
{
    s.min *= k; s.med *= k; s.max *= k;
    return s;
}

/* "35.2 (34.1..35.9)" with the printf format fmt for each figure; one figure when n < 2. */
CLI_MAYBE_UNUSED static const char *cli_fmt_stat(char *buf, size_t cap, const char *fmt, cli_stat s)
{
    char a[24], b[24], c[24], t[80];
    snprintf(b, sizeof b, fmt, s.med);
    if (s.n < 2) { snprintf(buf, cap, "%s", b); return buf; }
    snprintf(a, sizeof a, fmt, s.min);
    snprintf(c, sizeof c, fmt, s.max);
    snprintf(t, sizeof t, "%s (%s..%s)", b, a, c);
    memcpy(buf, t, cap < sizeof t ? cap : sizeof t);
    buf[cap - 1] = 0;
    return buf;
}

#endif /* CLI_UTIL_C */
