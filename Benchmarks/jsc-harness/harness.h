// What the two C harnesses (replay.c on JavaScriptCore, ../qjs-harness/qreplay.c on QuickJS-ng)
// share, so that they time the same tenant and the same inputs: a comparison between them is only
// fair while these stay one.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static char *slurp(const char *p) { FILE *f = fopen(p, "r"); fseek(f, 0, SEEK_END); long n = ftell(f); rewind(f); char *b = malloc(n + 1); fread(b, 1, n, f); b[n] = 0; fclose(f); return b; }
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

// The bench's waiter, distinct per context (`salt`): `steps` journaled step.do calls, then a wait.
static void tenant_source(char *code, size_t size, int salt, int steps) {
    snprintf(code, size, "var __tenant = (() => { class TenantWorkflow { async run(event, step) { const salt = %d; "
             "let total = 0; for (let i = 0; i < %d; i++) total += await step.do(`step ${i}`, async () => i + salt * 0); "
             "await step.waitForEvent('go', { type: 'go', timeout: '1 hour' }); return total; } } return { TenantWorkflow }; })();", salt, steps);
}

// What `start` gets (the event, the env) and what resolves the wait.
#define HARNESS_EVENT "{\"payload\":{},\"timestamp\":0,\"instanceId\":\"x\"}"
#define HARNESS_ENV "{}"
#define HARNESS_GO "{\"type\":\"go\",\"payload\":{},\"timestamp\":0}"
