/* cli_sweep.c — `seqmix bench`: scan layers against attention over sequence length.
 * Included by seqmix.c after cli_bench.c. For each layer type (one layer, no feed-forward) and
 * for a few whole hybrids, at equal width, it measures prefill time, per-token decode time at
 * each context length and per-sequence memory, then reports the crossover length where each
 * scan's decode beats attention's and the growth of time per doubling of length. Output: a
 * table on stdout, optional CSV and a hand-written SVG chart. */

typedef struct sweep_cfg {
    char name[64];
    char pattern[64];       /* builder pattern */
    int ffn;                /* SMX_OP_MLP or -1 */
    int layers;             /* mixers in the stack, for the table */
} sweep_cfg;

typedef struct sweep_row {
    int cfg, len;
    double prefill_s, decode_s;   /* prefill of len tokens; one decode step at context len */
    double mem_bytes;             /* per-sequence state at len tokens */
} sweep_row;

static int sweep_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double sweep_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, sweep_cmp_double);
    return v[n / 2];
}

/* Prefill len tokens (best-of/median over reps) and time decode steps at that context. */
static int sweep_measure(const smx_model *m, int len, int nth, int reps, sweep_row *row)
{
    smx_session_options so;
    smx_session *s = NULL;
    smx_error err;
    smx_model_info in;
    int32_t *ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)(len + 64));
    float *lg = (float *)malloc(sizeof(float) * 256);
    double tp[16], td[32];
    int r, i, nd = 16;
    if (!ids || !lg) { free(ids); free(lg); return 1; }
    for (i = 0; i < len + 64; i++) ids[i] = (int32_t)((i * 2654435761u) >> 24);
    memset(&so, 0, sizeof so);
    so.capacity = len + nd + 8;
    so.n_threads = nth;
    if (smx_session_new(m, &so, &s, &err)) { fprintf(stderr, "bench: %s\n", err.msg); free(ids); free(lg); return 1; }
    for (r = 0; r < reps; r++) {
        double t0;
        smx_session_reset(s);
        t0 = cli_now();
        smx_session_prefill(s, ids, len, lg, 0);
        tp[r] = cli_now() - t0;
    }
    for (i = 0; i < nd; i++) {   /* the context grows by nd tokens: negligible against len */
        double t0 = cli_now();
        smx_session_step(s, ids[len + i], lg);
        td[i] = cli_now() - t0;
    }
    smx_model_get_info(m, &in);
    row->prefill_s = sweep_median(tp, reps);
    row->decode_s = sweep_median(td, nd);
    row->mem_bytes = (double)in.state_bytes + (double)in.kv_bytes_per_token * len;
    smx_session_free(s);
    free(ids); free(lg);
    return 0;
}

/* ---- SVG: two log-log panels (prefill time, decode time per token) vs length ---- */
static void sweep_svg(FILE *f, const sweep_cfg *cfgs, int ncfg, const sweep_row *rows, int nrows, const int *lens, int nlen)
{
    static const char *colors[] = { "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#637939" };
    const int W = 1100, H = 480, pw = 430, ph = 330, top = 60, lefts[2] = { 80, 620 };
    int panel, c, i;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H + 20 * ((ncfg + 2) / 3));
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"16\" text-anchor=\"middle\">seqmix: scan layers vs attention (log-log)</text>\n", W / 2);
    for (panel = 0; panel < 2; panel++) {
        double lo = 1e30, hi = 0, lx0 = log10((double)lens[0]), lx1 = log10((double)lens[nlen - 1]), ly0, ly1;
        int x0 = lefts[panel], d;
        for (i = 0; i < nrows; i++) {
            double v = panel ? rows[i].decode_s : rows[i].prefill_s;
            if (v > 0 && v < lo) lo = v;
            if (v > hi) hi = v;
        }
        ly0 = floor(log10(lo));
        ly1 = ceil(log10(hi));
        if (ly1 <= ly0) ly1 = ly0 + 1;
        if (lx1 <= lx0) lx1 = lx0 + 1;
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" text-anchor=\"middle\">%s</text>\n", x0 + pw / 2, top - 10,
                panel ? "decode: time per token at context length" : "prefill: time for the whole sequence");
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", x0, top, pw, ph);
        for (d = (int)ly0; d <= (int)ly1; d++) {   /* y grid: decades */
            int y = top + ph - (int)((d - ly0) / (ly1 - ly0) * ph);
            double sec = pow(10.0, d);
            fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", x0, y, x0 + pw, y);
            if (sec >= 1) fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%g s</text>\n", x0 - 4, y + 4, sec);
            else if (sec >= 1e-3) fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%g ms</text>\n", x0 - 4, y + 4, sec * 1e3);
            else fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%g us</text>\n", x0 - 4, y + 4, sec * 1e6);
        }
        for (i = 0; i < nlen; i++) {   /* x ticks: the measured lengths */
            int x = x0 + (int)((log10((double)lens[i]) - lx0) / (lx1 - lx0) * pw);
            fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>\n", x, top, x, top + ph);
            fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, top + ph + 16, lens[i]);
        }
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">sequence length (tokens)</text>\n", x0 + pw / 2, top + ph + 36);
        for (c = 0; c < ncfg; c++) {
            int first = 1;
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colors[c % 12]);
            for (i = 0; i < nrows; i++) {
                double v = panel ? rows[i].decode_s : rows[i].prefill_s;
                if (rows[i].cfg != c || v <= 0) continue;
                fprintf(f, "%s%d,%d", first ? "" : " ", x0 + (int)((log10((double)rows[i].len) - lx0) / (lx1 - lx0) * pw),
                        top + ph - (int)((log10(v) - ly0) / (ly1 - ly0) * ph));
                first = 0;
            }
            fprintf(f, "\"/>\n");
        }
    }
    for (c = 0; c < ncfg; c++) {   /* legend below the panels */
        int x = 80 + (c % 3) * 340, y = top + ph + 62 + 20 * (c / 3);
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n", x, y - 4, x + 24, y - 4, colors[c % 12]);
        fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 30, y, cfgs[c].name);
    }
    fprintf(f, "</svg>\n");
}

static int cmd_bench(int argc, char **argv)
{
    int i, c, li, nth = 0, quick = 0, width = 512, lens[32], nlen = 0, ncfg = 0, nrows = 0, attn = -1;
    const char *csv = NULL, *svg = NULL, *ls = NULL;
    sweep_cfg cfgs[32];
    sweep_row *rows;
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: seqmix bench [--quick] [--lengths 128,256,...] [--width 512] [--threads N] [--csv FILE] [--svg FILE]\n\n"
                 "Scan layers vs attention: for every layer type built in (one layer, width W) and for\n"
                 "whole hybrids (pure attention, 1:7 attention:Mamba, pure Mamba; 8 blocks with SwiGLU),\n"
                 "prefill time and per-token decode time at each context length (medians after warm-up),\n"
                 "per-sequence memory (KV cache vs fixed state), the crossover length where each scan's\n"
                 "decode beats attention's, and the time ratio per doubling of length.\n"
                 "Default lengths 128..32768 doubling; --quick: 128..4096.");
            return 0;
        }
        if (!strcmp(argv[i], "--quick")) quick = 1;
        if (i + 1 < argc) {
            if (!strcmp(argv[i], "--csv")) csv = argv[i + 1];
            if (!strcmp(argv[i], "--svg")) svg = argv[i + 1];
            if (!strcmp(argv[i], "--lengths")) ls = argv[i + 1];
            if (!strcmp(argv[i], "--threads")) nth = atoi(argv[i + 1]);
            if (!strcmp(argv[i], "--width")) width = atoi(argv[i + 1]);
        }
    }
    if (width < 16 || width > 8192) { fprintf(stderr, "seqmix: --width must be in [16, 8192]\n"); return 2; }
    if (ls) {
        while (*ls && nlen < 32) {
            char *end;
            long v = strtol(ls, &end, 10);
            if (end == ls || v < 1 || v > 1 << 20) { fprintf(stderr, "seqmix: bad --lengths\n"); return 2; }
            lens[nlen++] = (int)v;
            ls = *end == ',' ? end + 1 : end;
        }
    } else {
        int top = quick ? 4096 : 32768, L;
        for (L = 128; L <= top; L *= 2) lens[nlen++] = L;
    }
    /* one layer of each type built in */
    for (i = 0; i < SMX_OP_COUNT; i++) {
        if (i == SMX_OP_MLP || i == SMX_OP_MOE || !smx__layer_types[i].load) continue;
        if (i == SMX_OP_ATTENTION) attn = ncfg;
        snprintf(cfgs[ncfg].name, sizeof cfgs[ncfg].name, "%s (1 layer)", smx__layer_types[i].name);
        snprintf(cfgs[ncfg].pattern, sizeof cfgs[ncfg].pattern, "%c", smx__layer_types[i].letter);
        cfgs[ncfg].ffn = -1;
        cfgs[ncfg].layers = 1;
        ncfg++;
    }
    /* whole hybrids: 8 blocks with SwiGLU */
    snprintf(cfgs[ncfg].name, sizeof cfgs[ncfg].name, "hybrid: pure attention (8 blocks)");
    strcpy(cfgs[ncfg].pattern, "(A)x8");
    cfgs[ncfg].ffn = SMX_OP_MLP; cfgs[ncfg].layers = 8; ncfg++;
    if (smx__layer_types[SMX_OP_MAMBA].load) {
        snprintf(cfgs[ncfg].name, sizeof cfgs[ncfg].name, "hybrid: 1:7 attention:Mamba");
        strcpy(cfgs[ncfg].pattern, "(M)x7 A");
        cfgs[ncfg].ffn = SMX_OP_MLP; cfgs[ncfg].layers = 8; ncfg++;
        snprintf(cfgs[ncfg].name, sizeof cfgs[ncfg].name, "hybrid: pure Mamba (8 blocks)");
        strcpy(cfgs[ncfg].pattern, "(M)x8");
        cfgs[ncfg].ffn = SMX_OP_MLP; cfgs[ncfg].layers = 8; ncfg++;
    }
    rows = (sweep_row *)calloc((size_t)ncfg * nlen, sizeof *rows);
    printf("seqmix bench: width %d, simd %s, threads %d\n", width, smx_simd_name(), nth);
    printf("%-36s %7s %12s %14s %14s %12s\n", "layers", "length", "prefill ms", "prefill tok/s", "decode us/tok", "state KiB");
    for (c = 0; c < ncfg; c++) {
        smx_builder *b;
        smx_model *m = NULL;
        smx_error err;
        smx_builder_new(256, width, &b, &err);
        smx_builder_set_ffn(b, cfgs[c].ffn, NULL);
        smx_builder_set_max_context(b, lens[nlen - 1] + 64);
        if (smx_builder_pattern(b, cfgs[c].pattern, NULL) || smx_builder_build(b, 1, &m, &err)) {
            fprintf(stderr, "bench: cannot build %s: %s\n", cfgs[c].name, err.msg);
            smx_builder_free(b);
            continue;
        }
        smx_builder_free(b);
        for (li = 0; li < nlen; li++) {
            sweep_row *r = &rows[nrows];
            int reps = lens[li] <= 1024 ? 5 : lens[li] <= 8192 ? 3 : 1;
            fprintf(stderr, "\r[%d/%d] %-36s length %6d", c + 1, ncfg, cfgs[c].name, lens[li]);
            fflush(stderr);
            r->cfg = c; r->len = lens[li];
            if (sweep_measure(m, lens[li], nth, quick ? (reps > 3 ? 3 : reps) : reps, r)) continue;
            printf("%-36s %7d %12.2f %14.0f %14.1f %12.1f\n", cfgs[c].name, r->len, r->prefill_s * 1e3, r->len / r->prefill_s,
                   r->decode_s * 1e6, r->mem_bytes / 1024.0);
            fflush(stdout);
            nrows++;
        }
        smx_model_free(m);
    }
    fprintf(stderr, "\r%70s\r", "");
    /* crossover and growth */
    printf("\n%-36s %14s %16s %16s\n", "layers", "decode beats", "decode x per", "prefill x per");
    printf("%-36s %14s %16s %16s\n", "", "attention at", "doubling (last)", "doubling (last)");
    for (c = 0; c < ncfg; c++) {
        const sweep_row *last = NULL, *prev = NULL;
        int cross = -1;
        for (i = 0; i < nrows; i++) {
            if (rows[i].cfg != c) continue;
            prev = last; last = &rows[i];
            if (attn >= 0 && c != attn && cross < 0 && cfgs[c].layers == 1) {
                int k;
                for (k = 0; k < nrows; k++)
                    if (rows[k].cfg == attn && rows[k].len == rows[i].len && rows[i].decode_s < rows[k].decode_s) cross = rows[i].len;
            }
        }
        if (!last || !prev) continue;
        {
            char cs[32];
            if (c == attn || cfgs[c].layers != 1) strcpy(cs, "-");
            else if (cross < 0) strcpy(cs, "not measured");
            else snprintf(cs, sizeof cs, "%d", cross);
            printf("%-36s %14s %16.2f %16.2f\n", cfgs[c].name, cs, last->decode_s / prev->decode_s, last->prefill_s / prev->prefill_s);
        }
    }
    if (csv) {
        FILE *f = fopen(csv, "w");
        if (!f) { fprintf(stderr, "seqmix: cannot write %s\n", csv); }
        else {
            fprintf(f, "layers,pattern,length,prefill_s,decode_s_per_token,state_bytes\n");
            for (i = 0; i < nrows; i++)
                fprintf(f, "\"%s\",\"%s\",%d,%.6g,%.6g,%.0f\n", cfgs[rows[i].cfg].name, cfgs[rows[i].cfg].pattern, rows[i].len,
                        rows[i].prefill_s, rows[i].decode_s, rows[i].mem_bytes);
            fclose(f);
            printf("wrote %s\n", csv);
        }
    }
    if (svg) {
        FILE *f = fopen(svg, "w");
        if (!f) { fprintf(stderr, "seqmix: cannot write %s\n", svg); }
        else {
            sweep_svg(f, cfgs, ncfg, rows, nrows, lens, nlen);
            fclose(f);
            printf("wrote %s\n", svg);
        }
    }
    free(rows);
    return 0;
}
