// The C harness's replay (../jsc-harness/replay.c) on QuickJS-ng, the second engine
// `js-sandbox.md` recommends keeping ready: N contexts in one runtime (as JavaScriptCore's contexts
// in one VM), Brigade's prelude, the same 10-step waiter, the journal's answers returned as values
// and the wait resolved from C. The interrupt handler is armed, checking the thread's CPU time
// against a deadline as a CPU limit would (QuickJS calls it every few thousand operations, not at
// every entry), and the runtime has a memory limit. Microtasks are drained explicitly
// (JS_ExecutePendingJob), where JavaScriptCore drains them when the API lock is released.
// For comparison only: Brigade does not build or ship QuickJS.
//
// usage: qreplay CONTEXTS ROUNDS PRELUDE.js IDLE_US [LIMIT 0|1]; HOST_CALLS as in ../jsc-harness.
#include "quickjs.h"
#include "../jsc-harness/harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


static JSValue pendingResolve[4096];
static int current = 0;
static int settled[4096];
static double deadline = 0;
static long interrupts = 0;

static double thread_cpu_us(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static int interrupt(JSRuntime *rt, void *opaque) {
    interrupts++;
    return thread_cpu_us() > deadline;
}
static JSValue stepDo(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
    int32_t id; JS_ToInt32(ctx, &id, argv[0]);
    size_t len; const char *name = JS_ToCStringLen(ctx, &len, argv[1]);
    char buf[256]; snprintf(buf, sizeof buf, "%s", name); JS_FreeCString(ctx, name);
    return JS_ParseJSON(ctx, "3", 1, "<journal>");
}
static JSValue waitForEvent(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
    JSValue funcs[2];
    JSValue p = JS_NewPromiseCapability(ctx, funcs);
    pendingResolve[current] = funcs[0];
    JS_FreeValue(ctx, funcs[1]);
    return p;
}
static JSValue runSettled(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) { settled[current]++; return JS_UNDEFINED; }
static JSValue noop(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) { return JS_UNDEFINED; }

static void drain(JSRuntime *rt) {
    JSContext *c;
    int r;
    while ((r = JS_ExecutePendingJob(rt, &c)) > 0) {}
    if (r < 0) { JSValue e = JS_GetException(c); const char *s = JS_ToCString(c, e); fprintf(stderr, "job threw: %s\n", s); exit(1); }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    char *prelude = slurp(argc > 3 ? argv[3] : "prelude.js");
    useconds_t idle = argc > 4 ? (useconds_t)atol(argv[4]) : 0;
    int limit = argc > 5 ? atoi(argv[5]) : 1;
    JSRuntime *rt = JS_NewRuntime();
    JS_SetMemoryLimit(rt, (size_t)512 << 20);
    if (limit) JS_SetInterruptHandler(rt, interrupt, NULL);
    JSContext *ctxs[4096]; JSValue controls[4096];
    double t0 = now_us();
    deadline = thread_cpu_us() + 1e9;
    for (int i = 0; i < n; i++) {
        JSContext *c = JS_NewContext(rt);
        ctxs[i] = c;
        JSValue host = JS_NewObject(c);
        JS_SetPropertyStr(c, host, "stepDo", JS_NewCFunction(c, stepDo, "stepDo", 4));
        JS_SetPropertyStr(c, host, "waitForEvent", JS_NewCFunction(c, waitForEvent, "waitForEvent", 4));
        JS_SetPropertyStr(c, host, "runSettled", JS_NewCFunction(c, runSettled, "runSettled", 3));
        const char *noops[] = { "log", "sleep", "sleepUntil", "fnSettled" };
        for (int k = 0; k < 4; k++) JS_SetPropertyStr(c, host, noops[k], JS_NewCFunction(c, noop, noops[k], 4));
        if (getenv("HOST_CALLS")) JS_SetPropertyStr(c, host, "hostCalls", JS_TRUE);
        JSValue global = JS_GetGlobalObject(c);
        JS_SetPropertyStr(c, global, "__brigadeHost", host);
        JSValue ctl = JS_Eval(c, prelude, strlen(prelude), "prelude.js", JS_EVAL_TYPE_GLOBAL);
        if (JS_IsException(ctl)) { JSValue e = JS_GetException(c); fprintf(stderr, "prelude threw: %s\n", JS_ToCString(c, e)); return 1; }
        controls[i] = ctl;
        char code[1024];
        tenant_source(code, sizeof code, i, 10);
        JSValue r = JS_Eval(c, code, strlen(code), "tenant.js", JS_EVAL_TYPE_GLOBAL);
        if (JS_IsException(r)) { fprintf(stderr, "tenant threw\n"); return 1; }
        JS_FreeValue(c, r);
        JSValue bind = JS_GetPropertyStr(c, ctl, "bind");
        JSValue ex = JS_GetPropertyStr(c, global, "__tenant");
        JSValue b = JS_Call(c, bind, ctl, 1, &ex);
        JS_FreeValue(c, b); JS_FreeValue(c, bind); JS_FreeValue(c, ex); JS_FreeValue(c, global);
    }
    printf("boot mean %.1f us\n", (now_us() - t0) / n);
    double *e1 = malloc(sizeof(double) * n), *e2 = malloc(sizeof(double) * n);
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            JSContext *c = ctxs[i]; current = i;
            if (idle) usleep(idle);
            double a = now_us();
            deadline = thread_cpu_us() + 1e6; // a 1 s CPU limit, Brigade's default
            JSValue start = JS_GetPropertyStr(c, controls[i], "start");
            JSValue args[3] = { JS_NewInt32(c, r * 10000 + i), JS_NewString(c, HARNESS_EVENT), JS_NewString(c, HARNESS_ENV) };
            JSValue res = JS_Call(c, start, controls[i], 3, args);
            if (JS_IsException(res)) { JSValue e = JS_GetException(c); fprintf(stderr, "start threw: %s\n", JS_ToCString(c, e)); return 1; }
            JS_FreeValue(c, res); JS_FreeValue(c, start);
            for (int k = 0; k < 3; k++) JS_FreeValue(c, args[k]);
            drain(JS_GetRuntime(c));
            double b = now_us();
            JSValue v = JS_ParseJSON(c, HARNESS_GO, sizeof HARNESS_GO - 1, "<event>");
            JSValue x = JS_Call(c, pendingResolve[i], JS_UNDEFINED, 1, &v);
            JS_FreeValue(c, x); JS_FreeValue(c, v); JS_FreeValue(c, pendingResolve[i]);
            drain(JS_GetRuntime(c));
            double d = now_us();
            e1[i] = b - a; e2[i] = d - b;
        }
        qsort(e1, n, sizeof(double), cmp); qsort(e2, n, sizeof(double), cmp);
        int ok = 0; for (int i = 0; i < n; i++) ok += settled[i] == r + 1;
        printf("round %d: entry1 p50 %.1f us, entry2 p50 %.1f us, settled %d/%d\n", r + 1, e1[n / 2], e2[n / 2], ok, n);
    }
    printf("interrupt checks %ld\n", interrupts);
    return 0;
}
