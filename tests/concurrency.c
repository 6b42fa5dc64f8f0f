/* Concurrency test: several threads share one model, each with its own sessions (two threads of
 * their own each), doing prefill, steps, state save/load; every thread's logits must be
 * bit-identical to a serial run. Built with -fsanitize=thread by `make test`, and for Windows by
 * `make test-windows`. */
#define SEQMIX_IMPLEMENTATION
#include "../seqmix.h"
#ifdef _WIN32
#include <windows.h>
#include <process.h>
typedef HANDLE t_thread;
#define T_THREAD_FN(name, arg) static unsigned __stdcall name(void *arg)
#define T_THREAD_RET 0
#define t_thread_start(th, fn, arg) (*(th) = (HANDLE)_beginthreadex(NULL, 0, fn, arg, 0, NULL))
#define t_thread_join(th) (WaitForSingleObject(th, INFINITE), CloseHandle(th))
#else
#include <pthread.h>
typedef pthread_t t_thread;
#define T_THREAD_FN(name, arg) static void *name(void *arg)
#define T_THREAD_RET NULL
#define t_thread_start(th, fn, arg) pthread_create(th, NULL, fn, arg)
#define t_thread_join(th) pthread_join(th, NULL)
#endif

#define T_THREADS 4
#define T_STEPS 6

typedef struct t_job {
    const smx_model *m;
    int seed, ok;
    float *out;     /* [T_STEPS + 1, V] */
    char msg[1100];
} t_job;

T_THREAD_FN(t_run, arg)
{
    t_job *j = (t_job *)arg;
    const int V = smx_model_vocab(j->m);
    smx_session *s = NULL, *r = NULL;
    smx_session_options o;
    smx_error e;
    int32_t ids[12];
    void *blob = NULL;
    size_t n;
    int i;
    memset(&o, 0, sizeof o);
    o.n_threads = 2;
    o.capacity = 64;
    for (i = 0; i < 12; i++) ids[i] = (int32_t)((j->seed * 7 + i * 3) % V);
    j->ok = 0;
    if (smx_session_new(j->m, &o, &s, &e) || smx_session_new(j->m, &o, &r, &e)) { snprintf(j->msg, sizeof j->msg, "%s", e.msg); goto done; }
    if (smx_session_prefill(s, ids, 6, j->out, 0)) goto fail;
    n = smx_session_state_size(s);
    if (!(blob = malloc(n)) || smx_session_state_save(s, blob, n, &n) || smx_session_state_load(r, blob, n)) goto fail;
    for (i = 0; i < T_STEPS; i++)   /* alternate the two sessions: the restored one continues */
        if (smx_session_step(i % 2 ? s : r, ids[6 + i], j->out + (size_t)(i + 1) * V)) goto fail;
    j->ok = 1;
    goto done;
fail:
    snprintf(j->msg, sizeof j->msg, "%s / %s", smx_session_error(s), smx_session_error(r));
done:
    free(blob);
    smx_session_free(s);
    smx_session_free(r);
    return T_THREAD_RET;
}

int main(void)
{
    /* the golden models, and a stack wide enough that its loops run on the session's workers */
    static const char *dirs[] = { "tests/golden/llama", "tests/golden/mamba2", "tests/golden/xlstm_lm", "tests/golden/lfm2", "wide stack" };
    static const char *wide = "{\"architectures\": [\"SeqmixForCausalLM\"], \"model_type\": \"seqmix\", \"vocab_size\": 300, "
                              "\"hidden_size\": 384, \"layers\": [{\"type\": \"attention\", \"num_heads\": 6}, {\"type\": \"mlp\"}, "
                              "{\"type\": \"mamba2\", \"head_dim\": 32, \"state_size\": 32}, {\"type\": \"mamba\"}, "
                              "{\"type\": \"mlstm\", \"num_heads\": 4}, {\"type\": \"moe\", \"num_experts\": 4}]}";
    int pass = 0, fail = 0, k, t;
    for (k = 0; k < 5; k++) {
        smx_model *m = NULL;
        smx_error e;
        t_job serial[T_THREADS], par[T_THREADS];
        t_thread th[T_THREADS];
        int V, bad = 0;
        if ((k < 4 ? smx_model_load(dirs[k], &m, &e) : smx_model_from_config(wide, 3, &m, &e)) != SMX_OK) {
            printf("FAIL %s: %s\n", dirs[k], e.msg);
            fail++;
            continue;
        }
        V = smx_model_vocab(m);
        for (t = 0; t < T_THREADS; t++) {
            serial[t].m = par[t].m = m;
            serial[t].seed = par[t].seed = t;
            serial[t].out = (float *)calloc((size_t)(T_STEPS + 1) * V, sizeof(float));
            par[t].out = (float *)calloc((size_t)(T_STEPS + 1) * V, sizeof(float));
            t_run(&serial[t]);
        }
        for (t = 0; t < T_THREADS; t++) t_thread_start(&th[t], t_run, &par[t]);
        for (t = 0; t < T_THREADS; t++) t_thread_join(th[t]);
        for (t = 0; t < T_THREADS; t++) {
            if (!serial[t].ok || !par[t].ok) { printf("FAIL %s thread %d: %s%s\n", dirs[k], t, serial[t].msg, par[t].msg); bad = 1; }
            else if (memcmp(serial[t].out, par[t].out, sizeof(float) * (size_t)(T_STEPS + 1) * V)) {
                printf("FAIL %s thread %d: logits differ from the serial run\n", dirs[k], t);
                bad = 1;
            }
            free(serial[t].out);
            free(par[t].out);
        }
        printf("%s %s: %d threads x 2 sessions x 2 workers, bit-identical to serial\n", bad ? "FAIL" : "ok  ", dirs[k], T_THREADS);
        if (bad) fail++;
        else pass++;
        smx_model_free(m);
    }
    printf("%d passed, %d failed, 0 skipped\n", pass, fail);
    return fail ? 1 : 0;
}
