/* liquid.c — a CfC (closed-form continuous-time) network following a damped oscillator that is
 * sampled at irregular times, with gaps.
 *
 *   make build/liquid
 *   ./build/liquid --model models/cfc_oscillator [--seed 7] [-n 60]
 *
 * The signal is A exp(-gamma t) cos(omega t + phi); it is observed with noise (std 0.05) after
 * steps of 0.1 to 0.4 time units, and 1 time in 10 after a gap of 1 to 3 (the task in the model's
 * config.json, the one it was trained on by tools/train_toys.py). At each observation the network gets
 * [observation, time until the next observation] as input and the time since the previous one as dt,
 * and predicts the clean signal at the next observation time. The plot puts time downwards:
 * 'o' truth, '*' prediction ('@' where they meet), '.' the noisy observation the network gets next. */
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 61
#define RANGE 1.6   /* the plot spans [-RANGE, RANGE]; the labels below say 1.6 */

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
    int i;
    for (i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return def;
}

static double uniform(smx_rng *r, double lo, double hi) { return lo + (hi - lo) * smx_rng_uniform(r); }

static double gauss(smx_rng *r)     /* Box-Muller */
{
    double u = 1.0 - smx_rng_uniform(r), v = smx_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static double gap(smx_rng *r) { return smx_rng_uniform(r) < 0.1 ? uniform(r, 1.0, 3.0) : uniform(r, 0.1, 0.4); }

static int column(double x)
{
    int c = (int)floor((x + RANGE) / (2.0 * RANGE) * (WIDTH - 1) + 0.5);
    return c < 0 ? 0 : c >= WIDTH ? WIDTH - 1 : c;
}

int main(int argc, char **argv)
{
    const char *dir = opt(argc, argv, "--model", "models/cfc_oscillator");
    int n = atoi(opt(argc, argv, "-n", "60")), k, c;
    smx_model *m;
    smx_session *s;
    smx_error err;
    smx_rng r;
    double A, w, gam, phi, t = 0.0, dt, dt_next, y, truth, se = 0.0, se_last = 0.0;
    float in[2], ts, pred;
    char row[WIDTH + 1];

    if (smx_model_load(dir, &m, &err) != SMX_OK || smx_session_new(m, NULL, &s, &err) != SMX_OK) {
        fprintf(stderr, "%s: %s\n", dir, err.msg);
        return 1;
    }
    smx_rng_seed(&r, strtoull(opt(argc, argv, "--seed", "7"), NULL, 10));
    A = uniform(&r, 0.5, 1.5);
    w = uniform(&r, 0.6, 1.8);
    gam = uniform(&r, 0.02, 0.12);
    phi = uniform(&r, 0.0, 6.283185307179586);
    printf("signal %.2f exp(-%.3f t) cos(%.2f t + %.2f)\n\n", A, gam, w, phi);
    memset(row, ' ', WIDTH);                            /* axis labels over the plot columns */
    row[WIDTH] = 0;
    memcpy(row, "-1.6", 4);
    row[WIDTH / 2] = '0';
    memcpy(row + WIDTH - 4, "+1.6", 4);
    printf("  %6s  %5s      %s\n", "time", "step", row);

    dt = gap(&r);                                       /* time since an earlier, unseen sample */
    y = A * exp(-gam * t) * cos(w * t + phi) + 0.05 * gauss(&r);
    for (k = 0; k < n; k++) {
        dt_next = gap(&r);
        in[0] = (float)y;                               /* what the network sees now */
        in[1] = (float)dt_next;
        ts = (float)dt;
        if (smx_session_run(s, in, &ts, 1, &pred) != SMX_OK) { fprintf(stderr, "%s\n", smx_session_error(s)); return 1; }
        t += dt_next;                                   /* the next observation time */
        truth = A * exp(-gam * t) * cos(w * t + phi);
        se += (pred - truth) * (pred - truth);
        se_last += (y - truth) * (y - truth);
        y = truth + 0.05 * gauss(&r);                   /* the observation that arrives at time t */
        dt = dt_next;

        memset(row, ' ', WIDTH);
        row[WIDTH] = 0;
        row[WIDTH / 2] = ':';
        row[column(y)] = '.';
        row[column(truth)] = 'o';
        c = column(pred);
        row[c] = row[c] == 'o' ? '@' : '*';
        printf("  %6.2f  %5.2f%s |%s|\n", t, dt_next, dt_next > 0.5 ? " gap" : "    ", row);
    }
    printf("\nmean squared error of the prediction %.5f; of \"same as the last observation\" %.5f\n", se / n,
           se_last / n);
    smx_session_free(s);
    smx_model_free(m);
    return 0;
}
