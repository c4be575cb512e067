// The JavaScript of a warm wake, engine excluded: N tenant contexts in one JavaScriptCore VM,
// each with the real prelude (extracted from Sources/BrigadeJS/Prelude.swift by run.sh) and its
// own copy of the bench's 10-step waiter. Each round starts `run` in every context: the ten
// step.do calls are answered at once, each with its value, as the journal answers them in
// Brigade (entry 1), then the pending waitForEvent is resolved (entry 2). It prints the
// median of each entry per round, so the cost of the sandbox's JavaScript can be told apart from
// the engine's and the host's in `brigade-bench js-replay`.
//
// THRASH_LINES > 0 touches that many random cache lines of a 256 MiB buffer before each context's
// entry (outside the timed part): a stand-in for what an engine does between two wakes of one
// tenant (other tenants' wakes, SQLite, the runtime), which leaves the processor's caches and
// TLB holding other data when the tenant's context is entered again.
//
// IDLE_US > 0 sleeps that long before each context's entry (outside the timed part), as a VM's
// thread waits between wakes in an engine: on this project's host (a KVM guest whose idle vCPUs
// halt at once) the thread then starts its entry on caches and branch predictors that other work
// of the host has used meanwhile, with no memory traffic of this process in between. With the
// environment variable SPIN set, the harness spins for IDLE_US instead of sleeping: the same gap
// with the vCPU kept busy, to tell the cost of the halt from the cost of the time passing.
//
// STEPS (default 10) sets how many journaled steps the waiter replays. With HOST_CALLS set, the
// host object tells bare-prelude.js to ask the host at each step (run.sh's PRELUDE=bare-host).
//
// usage: replay CONTEXTS TIME_LIMIT(0|1) ROUNDS PRELUDE.js [THRASH_LINES] [IDLE_US] [STEPS]
#include <JavaScriptCore/JavaScript.h>
#include "shim.h"
#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


static JSObjectRef pendingResolve[4096];
static int current = 0;
static int settled[4096];

static JSValueRef stepDo(JSContextRef ctx, JSObjectRef f, JSObjectRef t, size_t argc, const JSValueRef argv[], JSValueRef *exc) {
    // id and name read as the host reads them
    JSValueToNumber(ctx, argv[0], NULL);
    JSStringRef s = JSValueToStringCopy(ctx, argv[1], NULL);
    char buf[256]; JSStringGetUTF8CString(s, buf, sizeof buf); JSStringRelease(s);
    // The journal's answers are JSON, parsed as the host parses them and returned as the value
    // (the prelude settles a promise with it).
    JSStringRef j = JSStringCreateWithUTF8CString("3");
    JSValueRef v = JSValueMakeFromJSONString(ctx, j);
    JSStringRelease(j);
    return v;
}
static JSValueRef waitForEvent(JSContextRef ctx, JSObjectRef f, JSObjectRef t, size_t argc, const JSValueRef argv[], JSValueRef *exc) {
    JSObjectRef res, rej;
    JSObjectRef p = JSObjectMakeDeferredPromise(ctx, &res, &rej, NULL);
    JSValueProtect(ctx, res);
    pendingResolve[current] = res;
    return p;
}
static JSValueRef runSettled(JSContextRef ctx, JSObjectRef f, JSObjectRef t, size_t argc, const JSValueRef argv[], JSValueRef *exc) {
    settled[current]++;
    return JSValueMakeUndefined(ctx);
}
static JSValueRef noop(JSContextRef ctx, JSObjectRef f, JSObjectRef t, size_t argc, const JSValueRef argv[], JSValueRef *exc) { return JSValueMakeUndefined(ctx); }

static void def(JSContextRef ctx, JSObjectRef o, const char *name, JSObjectCallAsFunctionCallback cb) {
    JSStringRef n = JSStringCreateWithUTF8CString(name);
    JSObjectSetProperty(ctx, o, n, JSObjectMakeFunctionWithCallback(ctx, n, cb), 0, NULL);
    JSStringRelease(n);
}
static bool cb(JSContextRef c, void *d) { return false; }
static char *junk;
static const size_t junkSize = (size_t)256 << 20;
static unsigned long long seed = 88172645463325252ULL;
static void thrash(long lines) {
    if (lines <= 0) return;
    if (!junk) { junk = malloc(junkSize); memset(junk, 1, junkSize); }
    for (long i = 0; i < lines; i++) {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        junk[(seed % junkSize) & ~(size_t)63]++;
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200;
    int limit = argc > 2 ? atoi(argv[2]) : 1;
    int rounds = argc > 3 ? atoi(argv[3]) : 4;
    const char *preludePath = argc > 4 ? argv[4] : "prelude.js";
    long thrashLines = argc > 5 ? atol(argv[5]) : 0;
    useconds_t idle = argc > 6 ? (useconds_t)atol(argv[6]) : 0;
    int steps = argc > 7 ? atoi(argv[7]) : 10;
    int spin = getenv("SPIN") != NULL;
    char *prelude = slurp(preludePath);
    JSContextGroupRef g = JSContextGroupCreate();
    // Armed as Brigade arms it: a first check after 25 ms of CPU (see Watchdog.swift).
    if (limit) JSContextGroupSetExecutionTimeLimit(g, 0.025, cb, NULL);
    JSGlobalContextRef ctxs[4096]; JSObjectRef controls[4096];
    double t0 = now_us();
    for (int i = 0; i < n; i++) {
        JSGlobalContextRef c = JSGlobalContextCreateInGroup(g, NULL);
        ctxs[i] = c;
        JSObjectRef host = JSObjectMake(c, NULL, NULL);
        def(c, host, "stepDo", stepDo); def(c, host, "waitForEvent", waitForEvent); def(c, host, "runSettled", runSettled);
        def(c, host, "log", noop); def(c, host, "sleep", noop); def(c, host, "sleepUntil", noop); def(c, host, "fnSettled", noop);
        if (getenv("HOST_CALLS")) {
            // Read by bare-prelude.js: ask the host at each step (run.sh's PRELUDE=bare-host).
            JSStringRef hc = JSStringCreateWithUTF8CString("hostCalls");
            JSObjectSetProperty(c, host, hc, JSValueMakeBoolean(c, true), 0, NULL); JSStringRelease(hc);
        }
        JSStringRef hn = JSStringCreateWithUTF8CString("__brigadeHost");
        JSObjectSetProperty(c, JSContextGetGlobalObject(c), hn, host, 0, NULL); JSStringRelease(hn);
        JSStringRef ps = JSStringCreateWithUTF8CString(prelude);
        JSValueRef exc = NULL;
        JSValueRef ctl = JSEvaluateScript(c, ps, NULL, NULL, 1, &exc); JSStringRelease(ps);
        if (exc) { fprintf(stderr, "prelude threw\n"); return 1; }
        controls[i] = JSValueToObject(c, ctl, NULL); JSValueProtect(c, controls[i]);
        char code[1024];
        tenant_source(code, sizeof code, i, steps);
        JSStringRef cs = JSStringCreateWithUTF8CString(code);
        JSEvaluateScript(c, cs, NULL, NULL, 1, &exc); JSStringRelease(cs);
        JSStringRef bn = JSStringCreateWithUTF8CString("bind"), tn = JSStringCreateWithUTF8CString("__tenant");
        JSObjectRef bind = JSValueToObject(c, JSObjectGetProperty(c, controls[i], bn, NULL), NULL);
        JSValueRef ex = JSObjectGetProperty(c, JSContextGetGlobalObject(c), tn, NULL);
        JSObjectCallAsFunction(c, bind, controls[i], 1, &ex, NULL);
        JSStringRelease(bn); JSStringRelease(tn);
    }
    printf("boot mean %.1f us\n", (now_us() - t0) / n);
    double *e1 = malloc(sizeof(double) * n), *e2 = malloc(sizeof(double) * n);
    JSStringRef sn = JSStringCreateWithUTF8CString("start");
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            JSGlobalContextRef c = ctxs[i]; current = i;
            thrash(thrashLines);
            if (idle && spin) { double until = now_us() + idle; while (now_us() < until) {} }
            else if (idle) usleep(idle);
            double a = now_us();
            JSObjectRef start = JSValueToObject(c, JSObjectGetProperty(c, controls[i], sn, NULL), NULL);
            JSStringRef ev = JSStringCreateWithUTF8CString(HARNESS_EVENT);
            JSStringRef en = JSStringCreateWithUTF8CString(HARNESS_ENV);
            JSValueRef args[3] = { JSValueMakeNumber(c, r * 10000 + i), JSValueMakeString(c, ev), JSValueMakeString(c, en) };
            JSStringRelease(ev); JSStringRelease(en);
            JSObjectCallAsFunction(c, start, controls[i], 3, args, NULL);
            double b = now_us();
            JSStringRef j = JSStringCreateWithUTF8CString(HARNESS_GO);
            JSValueRef v = JSValueMakeFromJSONString(c, j); JSStringRelease(j);
            JSObjectCallAsFunction(c, pendingResolve[i], NULL, 1, &v, NULL);
            JSValueUnprotect(c, pendingResolve[i]);
            double d = now_us();
            e1[i] = b - a; e2[i] = d - b;
        }
        qsort(e1, n, sizeof(double), cmp); qsort(e2, n, sizeof(double), cmp);
        int ok = 0; for (int i = 0; i < n; i++) ok += settled[i] == r + 1;
        printf("round %d: entry1 p50 %.1f us, entry2 p50 %.1f us, settled %d/%d\n", r + 1, e1[n / 2], e2[n / 2], ok, n);
    }
    return 0;
}
