// JavaScriptCore's C API from Debian's libjavascriptcoregtk-4.1-dev, plus the few symbols the
// library exports without declaring them in its public headers. BrigadeJS needs them for the
// CPU-time watchdog and the heap statistics; a test exercises both, so a library update that
// drops them fails CI loudly instead of silently losing the limits.
#include <JavaScriptCore/JavaScript.h>
#include <stdbool.h>

typedef bool (*JSShouldTerminateCallback)(JSContextRef ctx, void *context);
void JSContextGroupSetExecutionTimeLimit(JSContextGroupRef group, double limit, JSShouldTerminateCallback callback, void *context);
void JSContextGroupClearExecutionTimeLimit(JSContextGroupRef group);
JSObjectRef JSGetMemoryUsageStatistics(JSContextRef ctx);

// One entry into the VM that also covers the microtasks it queues.
//
// Through the public API every call is an entry of its own, and the microtasks it queues run
// after it, when the VM's lock is released, each as another entry. The execution-time limit
// measures one entry, so an endless chain of short microtasks
// (`const loop = () => Promise.resolve().then(loop)`) was never stopped, and a limit that fired
// inside a microtask left the VM in a state in which the next context it made aborted the
// process. Holding the lock and an entry scope around the call, and draining the microtasks
// inside that scope, makes the call and its microtasks one entry, as the limit expects.
//
// These are JavaScriptCore's own C++ functions (exported by the library, Itanium ABI: the object
// is the first argument); BrigadeJS's hostile-tenant tests fail if a library update changes them.
void _ZN3JSC12JSLockHolderC1EPNS_2VME(void *holder, void *vm);  // JSC::JSLockHolder::JSLockHolder(JSC::VM*)
void _ZN3JSC12JSLockHolderD1Ev(void *holder);                   // JSC::JSLockHolder::~JSLockHolder()
void _ZN3JSC12VMEntryScope9setUpSlowEv(void *scope);            // JSC::VMEntryScope::setUpSlow()
void _ZN3JSC12VMEntryScope12tearDownSlowEv(void *scope);        // JSC::VMEntryScope::tearDownSlow()
void _ZN3JSC2VM15drainMicrotasksEv(void *vm);                   // JSC::VM::drainMicrotasks()

// Room for a JSC::JSLockHolder (a RefPtr<VM>) and a JSC::VMEntryScope (a VM& and the
// JSGlobalObject*), with space to spare. A context group is the VM, a global context its global
// object (JavaScriptCore's APICast.h).
typedef struct { void *words[4]; } BrigadeVMEntry;
typedef struct { BrigadeVMEntry lock; BrigadeVMEntry scope; } BrigadeGuard;

/// Takes the VM's lock and opens an entry scope for `context`: call only on the VM's thread,
/// with no entry under way, and close it with BrigadeGuardedEntryEnd.
static inline void BrigadeGuardedEntryBegin(BrigadeGuard *guard, JSContextGroupRef group, JSContextRef context) {
    *guard = (BrigadeGuard){0};
    _ZN3JSC12JSLockHolderC1EPNS_2VME(&guard->lock, (void *)group);
    guard->scope.words[0] = (void *)group;
    guard->scope.words[1] = (void *)context;
    _ZN3JSC12VMEntryScope9setUpSlowEv(&guard->scope);
}

/// Runs the microtasks the entry queued inside it, then closes the scope and releases the lock.
static inline void BrigadeGuardedEntryEnd(BrigadeGuard *guard, JSContextGroupRef group) {
    _ZN3JSC2VM15drainMicrotasksEv((void *)group);
    _ZN3JSC12VMEntryScope12tearDownSlowEv(&guard->scope);
    _ZN3JSC12JSLockHolderD1Ev(&guard->lock);
}
