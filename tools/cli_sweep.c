/* cli_sweep.c — `seqmix bench`: scan layers against attention over sequence length.
 * Included by seqmix.c after cli_bench.c. For each layer type (one layer, no feed-forward) and
 * for a few whole hybrids, at equal width, it measures prefill time, per-token decode time at
 * each context length and per-sequence memory, then reports the crossover length where each
 * scan's decode beats attention's and the growth of time per doubling of length. With -m DIR
 * it sweeps that model instead, with decode as a fraction of the read-bandwidth roofline at each
 * length (bench_decode_bytes over the best bench_probe bandwidth, probe rounds right before and
 * after the decode steps). Every time is a median with its spread (min..max): prefill over
 * repeated runs after a warm-up, decode over single steps. Output: a table (stdout, or stderr
 * under --json), optional CSV and a hand-written SVG chart of the medians. The progress line
 * goes to stderr only when it is a terminal, and is cleared before each row. */

typedef struct sweep_cfg {
    char name[64];
    char pattern[64];       /* builder pattern */
    int ffn;                /* SMX_OP_MLP or -1 */
    int layers;             /* mixers in the stack, for the table */
} sweep_cfg;

typedef struct sweep_row {
    int cfg, len;
    double prefill_s, decode_s;   /* medians: prefill of len tokens; one decode step at context len */
    cli_stat prefill, decode;     /* seconds, with the spread */
    double mem_bytes;             /* per-sequence state at len tokens */
} sweep_row;

/* Prefill len tokens (reps runs after a warm-up) and time ND single decode steps at that context;
 * with a probe, a probe round right before and right after the decode steps. */
static int sweep_measure(const smx_model *m, int len, int nth, int reps, bench_probe *probe, sweep_row *row)
{
    enum { ND = 16 };
    smx_session_options so;
    smx_session *s = NULL;
    smx_error err;
    smx_model_info in;
    int V = smx_model_vocab(m), r, i, rc = 1;
    int32_t *ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)(len + ND));
    float *lg = (float *)malloc(sizeof(float) * (size_t)(V > 0 ? V : 1));
    double tp[16], td[ND];
    if (!ids || !lg) { fprintf(stderr, "seqmix bench: out of memory for %d tokens\n", len); goto done; }
    for (i = 0; i < len + ND; i++) ids[i] = (int32_t)(((i * 2654435761u) >> 8) % (unsigned)(V > 0 ? V : 1));
    memset(&so, 0, sizeof so);
    so.capacity = len + ND + 8;
    so.n_threads = nth;
    if (smx_session_new(m, &so, &s, &err)) { fprintf(stderr, "seqmix bench: %s\n", err.msg); goto done; }
    if (reps > 16) reps = 16;
    for (r = -1; r < reps; r++) {
        double t0;
        smx_session_reset(s);
        t0 = cli_now();
        if (smx_session_prefill(s, ids, len, lg, 0)) { fprintf(stderr, "seqmix bench: %s\n", smx_session_error(s)); goto done; }
        if (r >= 0) tp[r] = cli_now() - t0;
    }
    if (probe) bench_probe_round(probe);
    for (i = 0; i < ND; i++) {   /* the context grows by ND tokens: negligible against len */
        double t0 = cli_now();
        if (smx_session_step(s, ids[len + i], lg)) { fprintf(stderr, "seqmix bench: %s\n", smx_session_error(s)); goto done; }
        td[i] = cli_now() - t0;
    }
    if (probe) bench_probe_round(probe);
    smx_model_get_info(m, &in);
    row->prefill = cli_stats(tp, reps);
    row->decode = cli_stats(td, ND);
    row->prefill_s = row->prefill.med;
    row->decode_s = row->decode.med;
    row->mem_bytes = (double)in.state_bytes + (double)in.kv_bytes_per_token * len;
    rc = 0;
done:
    smx_session_free(s);
    free(ids); free(lg);
    return rc;
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

static const cli_flag bench_flags[] = {
    { "--model", "-m", CLI_STR, "DIR", NULL, 0, 0, NULL, 0, "sweep this model folder instead of the built-in layer types" },
    { "--quick", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "lengths 128..4096 and fewer repetitions" },
    { "--lengths", NULL, CLI_STR, "L1,L2,...", NULL, 0, 0, NULL, 0, "sequence lengths (default 128..32768 doubling)" },
    { "--width", NULL, CLI_INT, "W", "512", 16, 8192, NULL, 0, "width of the built-in stacks" },
    { "--threads", "-t", CLI_INT, "N", "0", 0, 1024, NULL, 0, "threads; 0 = the default (the physical cores)" },
    { "--csv", NULL, CLI_STR, "FILE", NULL, 0, 0, NULL, 0, "also write the rows as CSV" },
    { "--svg", NULL, CLI_STR, "FILE", NULL, 0, 0, NULL, 0, "also write a chart of the medians" },
    { "--json", NULL, CLI_BOOL, NULL, NULL, 0, 0, NULL, 0, "results as JSON on stdout (the table goes to stderr)" },
    CLI_FLAG_WEIGHTS,
    CLI_FLAG_EXACT,
};

/* the builder's pattern letters, indexed by smx_op_type (from SMX_LAYER_TYPES in seqmix.h) */
#define SWEEP_LETTER(ID, id, letter, doc) letter,
static const char sweep_letters[SMX_OP_COUNT + 1] = { SMX_LAYER_TYPES(SWEEP_LETTER) 0 };
#undef SWEEP_LETTER

/* Whether this build has layer type t (the builder refuses one that is not built in). */
static int sweep_has_type(int t)
{
    smx_builder *b;
    smx_error err;
    int ok;
    if (smx_builder_new(256, 64, &b, &err) != SMX_OK) return 0;
    ok = smx_builder_add(b, (smx_op_type)t, NULL) == SMX_OK;
    smx_builder_free(b);
    return ok;
}

static int cmd_bench(const cli_args *a)
{
    const char *dir = cli_str(a, "--model"), *csv = cli_str(a, "--csv"), *svg = cli_str(a, "--svg");
    int i, c, li, nth = (int)cli_int(a, "--threads"), quick = cli_on(a, "--quick"), width = (int)cli_int(a, "--width");
    int lens[32], nlen = 0, ncfg = 0, nrows = 0, attn = -1, rc = 0, progress = cli_stderr_is_tty() && !cli_on(a, "--json"), pnth = nth;
    sweep_cfg cfgs[32];
    sweep_row *rows;
    smx_model *dm = NULL;
    smx_model_info din;
    char b1[64], b2[64];
    if (pnth == 0) pnth = smx_default_threads();   /* the probe reads with the session's threads */
    if (pnth < 1) pnth = 1;
    if (dir && cli_given(a, "--width")) return cli_fail(a, NULL, "--width applies to the built-in stacks, not to -m DIR");
    if (!dir && cli_given(a, "--weights")) return cli_fail(a, "--weights", "applies to -m MODEL (the built-in stacks are float32)");
    if (!dir && cli_given(a, "--exact")) return cli_fail(a, "--exact", "applies to -m MODEL");
    if (dir) {
        if ((rc = cli_load(a, dir, &dm, NULL))) return rc;
        smx_model_get_info(dm, &din);
        if (din.kind != SMX_KIND_TOKENS || !din.causal) {
            fprintf(stderr, "seqmix bench: %s: the sweep needs a causal token model (this is a %s model); try bench-models -m\n", dir,
                    din.kind != SMX_KIND_TOKENS ? "feature" : "bidirectional");
            smx_model_free(dm);
            return 2;
        }
    }
    if (cli_given(a, "--lengths")) {
        int32_t *v;
        int n;
        if ((rc = cli_int_list(a, "--lengths", 1, 1 << 20, &v, &n))) { smx_model_free(dm); return rc == 3 ? 1 : 2; }
        if (n > 32) { free(v); smx_model_free(dm); return cli_fail(a, "--lengths", "at most 32 lengths (got %d)", n); }
        for (i = 0; i < n; i++) lens[nlen++] = v[i];
        free(v);
        for (i = 1; i < nlen; i++)
            if (lens[i] <= lens[i - 1]) { smx_model_free(dm); return cli_fail(a, "--lengths", "lengths must increase (%d after %d)", lens[i], lens[i - 1]); }
    } else {
        int top = quick ? 4096 : 32768, L;
        if (dm && din.max_context > 0) while (top > 128 && top + 64 > din.max_context) top /= 2;
        for (L = 128; L <= top; L *= 2) lens[nlen++] = L;
    }
    if (dm && din.max_context > 0 && lens[nlen - 1] + 24 > din.max_context) {
        smx_model_free(dm);
        return cli_fail(a, "--lengths", "%d tokens (+24 decode steps) exceed the model's context of %d tokens", lens[nlen - 1],
                        din.max_context);
    }
    if (dm) {
        snprintf(cfgs[0].name, sizeof cfgs[0].name, "%.63s", din.architecture);
        snprintf(cfgs[0].pattern, sizeof cfgs[0].pattern, "%.63s", din.pattern);
        cfgs[0].ffn = -1;
        cfgs[0].layers = din.n_layers;
        ncfg = 1;
    } else {
        /* one layer of each type built in */
        for (i = 0; i < SMX_OP_COUNT; i++) {
            if (i == SMX_OP_MLP || i == SMX_OP_MOE || !sweep_has_type(i)) continue;
            if (i == SMX_OP_ATTENTION) attn = ncfg;
            snprintf(cfgs[ncfg].name, sizeof cfgs[ncfg].name, "%s (1 layer)", smx_op_name((smx_op_type)i));
            snprintf(cfgs[ncfg].pattern, sizeof cfgs[ncfg].pattern, "%c", sweep_letters[i]);
            cfgs[ncfg].ffn = -1;
            cfgs[ncfg].layers = 1;
            ncfg++;
        }
        /* whole hybrids: 8 blocks with SwiGLU */
        snprintf(cfgs[ncfg].name, sizeof cfgs[ncfg].name, "hybrid: pure attention (8 blocks)");
        strcpy(cfgs[ncfg].pattern, "(A)x8");
        cfgs[ncfg].ffn = SMX_OP_MLP; cfgs[ncfg].layers = 8; ncfg++;
        if (sweep_has_type(SMX_OP_MAMBA)) {
            snprintf(cfgs[ncfg].name, sizeof cfgs[ncfg].name, "hybrid: 1:7 attention:Mamba");
            strcpy(cfgs[ncfg].pattern, "(M)x7 A");
            cfgs[ncfg].ffn = SMX_OP_MLP; cfgs[ncfg].layers = 8; ncfg++;
            snprintf(cfgs[ncfg].name, sizeof cfgs[ncfg].name, "hybrid: pure Mamba (8 blocks)");
            strcpy(cfgs[ncfg].pattern, "(M)x8");
            cfgs[ncfg].ffn = SMX_OP_MLP; cfgs[ncfg].layers = 8; ncfg++;
        }
    }
    if (!(rows = (sweep_row *)calloc((size_t)ncfg * nlen, sizeof *rows))) {
        fprintf(stderr, "seqmix bench: out of memory\n");
        smx_model_free(dm);
        return 1;
    }
    bench_open("bench", cli_on(a, "--json"), nth, quick);
    if (dm) bench_printf("seqmix bench: %s (%s, pattern %s), simd %s, threads %d\n", dir, din.architecture, din.pattern, smx_simd_name(), nth);
    else bench_printf("seqmix bench: width %d, simd %s, threads %d\n", width, smx_simd_name(), nth);
    bench_printf("times: median (min..max); prefill over runs after a warm-up, decode over 16 single steps\n");
    bench_printf("%-36s %7s %24s %14s %22s %12s%s\n", "layers", "length", "prefill ms", "prefill tok/s", "decode us/tok", "state KiB",
                 dm ? "   decode of roof" : "");
    for (c = 0; c < ncfg; c++) {
        smx_model *m = dm;
        if (!dm) {
            smx_builder *b;
            smx_error err;
            if (smx_builder_new(256, width, &b, &err) != SMX_OK) { fprintf(stderr, "seqmix bench: %s\n", err.msg); continue; }
            smx_builder_set_ffn(b, cfgs[c].ffn, NULL);
            smx_builder_set_max_context(b, lens[nlen - 1] + 64);
            if (smx_builder_pattern(b, cfgs[c].pattern, NULL) || smx_builder_build(b, 1, &m, &err)) {
                fprintf(stderr, "seqmix bench: cannot build %s: %s\n", cfgs[c].name, err.msg);
                smx_builder_free(b);
                rc = 1;
                continue;
            }
            smx_builder_free(b);
        }
        for (li = 0; li < nlen; li++) {
            sweep_row *r = &rows[nrows];
            int reps = lens[li] <= 1024 ? 5 : lens[li] <= 8192 ? 3 : 2;
            if (progress) {
                fprintf(stderr, "\r[%d/%d] %-36s length %6d", c + 1, ncfg, cfgs[c].name, lens[li]);
                fflush(stderr);
            }
            bench_probe probe, *pr = NULL;
            double bytes = 0.0;
            r->cfg = c; r->len = lens[li];
            if (dm) {   /* a model folder: decode against the roofline of the bytes a step reads */
                bytes = bench_decode_bytes(m, lens[li] + 8);
                if (!bench_probe_init(&probe, bytes, din.hidden_size, pnth)) pr = &probe;
            }
            if (sweep_measure(m, lens[li], nth, quick ? (reps > 3 ? 3 : reps) : reps, pr, r)) {
                if (pr) bench_probe_free(pr);
                rc = 1;
                continue;
            }
            if (progress) fprintf(stderr, "\r%70s\r", "");   /* clear the progress line before the row */
            bench_printf("%-36s %7d %24s %14.0f %22s %12.1f", cfgs[c].name, r->len,
                         cli_fmt_stat(b1, sizeof b1, "%.2f", cli_stat_scale(r->prefill, 1e3)), r->len / r->prefill_s,
                         cli_fmt_stat(b2, sizeof b2, "%.1f", cli_stat_scale(r->decode, 1e6)), r->mem_bytes / 1024.0);
            if (pr) {
                cli_stat fr = cli_stat_inv(r->decode, 100.0 * bytes / probe.best);
                char key[48];
                bench_printf(" %18s\n", cli_fmt_stat(b1, sizeof b1, "%.0f%%", fr));
                snprintf(key, sizeof key, "decode_of_roof_at_%d", r->len);
                bench_rec("sweep", cfgs[c].name, key, "%", fr);
                bench_probe_free(pr);
            } else {
                bench_printf("\n");
            }
            {
                char key[48];
                snprintf(key, sizeof key, "prefill_%d", r->len);
                bench_rec("sweep", cfgs[c].name, key, "ms", cli_stat_scale(r->prefill, 1e3));
                snprintf(key, sizeof key, "decode_at_%d", r->len);
                bench_rec("sweep", cfgs[c].name, key, "us/token", cli_stat_scale(r->decode, 1e6));
                snprintf(key, sizeof key, "state_at_%d", r->len);
                bench_val("sweep", cfgs[c].name, key, "B", r->mem_bytes);
            }
            nrows++;
        }
        if (m != dm) smx_model_free(m);
    }
    if (progress) fprintf(stderr, "\r%70s\r", "");
    /* crossover and growth */
    bench_printf("\n%-36s %14s %16s %16s\n", "layers", "decode beats", "decode x per", "prefill x per");
    bench_printf("%-36s %14s %16s %16s\n", "", "attention at", "doubling (last)", "doubling (last)");
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
            if (c == attn || cfgs[c].layers != 1 || attn < 0) strcpy(cs, "-");
            else if (cross < 0) strcpy(cs, "not measured");
            else snprintf(cs, sizeof cs, "%d", cross);
            double dbl = log((double)last->len / prev->len) / log(2.0);   /* doublings between the last two lengths */
            bench_printf("%-36s %14s %16.2f %16.2f\n", cfgs[c].name, cs, pow(last->decode_s / prev->decode_s, 1.0 / dbl),
                         pow(last->prefill_s / prev->prefill_s, 1.0 / dbl));
        }
    }
    if (csv) {
        FILE *f = fopen(csv, "w");
        if (!f) { fprintf(stderr, "seqmix bench: cannot write %s\n", csv); rc = 1; }
        else {
            fprintf(f, "layers,pattern,length,prefill_s,prefill_s_min,prefill_s_max,decode_s_per_token,decode_s_min,decode_s_max,state_bytes\n");
            for (i = 0; i < nrows; i++)
                fprintf(f, "\"%s\",\"%s\",%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.0f\n", cfgs[rows[i].cfg].name, cfgs[rows[i].cfg].pattern,
                        rows[i].len, rows[i].prefill.med, rows[i].prefill.min, rows[i].prefill.max, rows[i].decode.med,
                        rows[i].decode.min, rows[i].decode.max, rows[i].mem_bytes);
            if (fclose(f)) { fprintf(stderr, "seqmix bench: cannot write %s\n", csv); rc = 1; }
            else bench_printf("wrote %s\n", csv);
        }
    }
    if (svg) {
        FILE *f = fopen(svg, "w");
        if (!f) { fprintf(stderr, "seqmix bench: cannot write %s\n", svg); rc = 1; }
        else {
            sweep_svg(f, cfgs, ncfg, rows, nrows, lens, nlen);
            if (fclose(f)) { fprintf(stderr, "seqmix bench: cannot write %s\n", svg); rc = 1; }
            else bench_printf("wrote %s\n", svg);
        }
    }
    bench_close();
    free(rows);
    smx_model_free(dm);
    return rc;
}
