import CJavaScriptCore
import Foundation
import Synchronization

/// One JavaScriptCore VM (a context group) that many tenants' runners share, each in its own
/// global context, with the thread all of its JavaScript runs on (``queue``, a ``VMThread``) and
/// the watchdog that bounds every entry into it.
///
/// Why shared: a VM of its own costs a tenant ~2 ms to boot and runs the prelude, promise
/// machinery and its own code cold in the interpreter on every wake; in a VM that other tenants
/// already ran, a new context boots in a fraction of that and reuses the VM's compiled code
/// (measured in BENCHMARKS.md). Contexts do not share objects: each has its own global object and
/// built-ins, and the host never hands a value from one context to another. What they do share is
/// the heap, the JIT and the garbage collector — the isolation of realms in one engine, not of
/// processes.
///
/// Entries run one at a time on ``queue``, so the watchdog's CPU clock and memory baseline belong
/// to the tenant whose code is running.
final class JSMachine: @unchecked Sendable {
    let group: JSContextGroupRef
    let queue: VMThread
    let watchdog: Watchdog
    let number: Int
    /// The VM isolated tenants are booted into (see ``JSMachinePool``).
    let isIsolation: Bool
    private let settings: JavaScriptSandbox.Settings
    private let retiredFlag = Atomic<Bool>(false)
    /// Runners booted into this VM and not yet released (placement picks the least loaded).
    let runnerCount = Atomic<Int>(0)
    /// Runners ever booted into this VM.
    private let bootCount = Atomic<Int>(0)
    private let surveyInterval: UInt64
    /// ``JavaScriptSandbox/Settings/isolationThreshold``, in nanoseconds of CPU time.
    let isolationThreshold: UInt64
    /// What only the VM's thread touches.
    private struct Confined {
        /// When ``JSMachine/survey(in:)`` may next look at the VM's heap (monotonic nanoseconds).
        var nextSurvey: UInt64
        /// Times ``JSMachine/survey(in:)`` walked the heap.
        var surveys = 0
        /// The context the next boot adopts (see ``PreparedContext``).
        var standby: PreparedContext?
        /// Set when a boot took the standby context (or found none): ``JSMachine/replenish()`` makes another.
        var standbyWanted = false
        /// Guarded entries under way on the queue (see ``JSMachine/entry(in:_:)``).
        var entryDepth = 0
    }
    private let confined: VMBound<Confined>
    /// Times ``survey(in:)`` walked the heap. On the queue.
    var surveys: Int { confined.value.surveys }

    /// Told when the VM is retired (the pool lets go of it then, so it is freed with its last runner).
    private let onRetire: @Sendable (JSMachine) -> Void

    init(
        number: Int, settings: JavaScriptSandbox.Settings, isolation: Bool = false,
        onRetire: @escaping @Sendable (JSMachine) -> Void = { _ in }
    ) {
        self.number = number
        isIsolation = isolation
        self.onRetire = onRetire
        self.settings = settings
        group = JSContextGroupCreate()
        // At most 15 characters, what Linux keeps of a thread's name.
        queue = VMThread(name: "js-vm-\(number)", niceness: isolation ? settings.isolationNiceness : 0)
        watchdog = Watchdog(cpuLimit: settings.cpuTimeLimit, memoryLimit: settings.memoryLimit)
        watchdog.install(on: group, firstCheck: settings.firstCheck, checkInterval: settings.checkInterval)
        surveyInterval = UInt64(max(0, settings.surveyInterval.wholeMilliseconds)) * 1_000_000
        isolationThreshold = UInt64(max(0, settings.isolationThreshold.wholeMilliseconds)) * 1_000_000
        confined = VMBound(Confined(nextSurvey: Counters.monotonicNanos() &+ surveyInterval), on: queue)
    }

    deinit {
        // The last runner is gone, so nothing else can be in the VM: releasing here is safe.
        confined.unsafeValue.standby?.release()
        JSContextGroupClearExecutionTimeLimit(group)
        JSContextGroupRelease(group)
        queue.stop()
    }

    /// Set once the VM may hold garbage a tenant left over a limit, grew past
    /// ``JavaScriptSandbox/Settings/machineMemoryLimit``, or hosted
    /// ``JavaScriptSandbox/Settings/machineLifetime`` runners: no new runner is booted into it, and the
    /// runners in it are booted again elsewhere at their next run. It is freed when the last of
    /// them is released.
    var isRetired: Bool { retiredFlag.load(ordering: .relaxed) }

    func retire() {
        guard !retiredFlag.exchange(true, ordering: .relaxed) else { return }
        Counters.machinesRetired.add(1, ordering: .relaxed)
        onRetire(self)
        queue.async { [self] in
            confined.value.standby?.release()
            confined.value.standby = nil
        }
    }

    /// On the queue: the context a boot adopts — the standby one if it is ready, a new one
    /// otherwise — and a note to make the next.
    func takePrepared() throws -> PreparedContext {
        confined.value.standbyWanted = true
        if let prepared = confined.value.standby {
            confined.value.standby = nil
            Counters.standbyBoots.add(1, ordering: .relaxed)
            return prepared
        }
        return try PreparedContext(machine: self)
    }

    /// On the queue, when an invocation has ended or a runner was released: prepares the next
    /// standby context, if a boot took the last one. Not at the boot itself — the booted tenant's
    /// first entries would queue behind it; an invocation's end is the first moment the tenant no
    /// longer waits on this queue.
    func replenish() {
        guard confined.value.standbyWanted else { return }
        confined.value.standbyWanted = false
        queue.async { [self] in
            guard confined.value.standby == nil, !isRetired else { return }
            confined.value.standby = try? PreparedContext(machine: self)
        }
    }

    /// On the queue: runs `body` — calls into `context` through the C API — as one entry into the
    /// VM together with the microtasks it queues, so that the CPU and memory limits bound both
    /// (shim.h's `BrigadeGuardedEntryBegin` says why). A call from inside an entry is part of it.
    func entry<T>(in context: JSContextRef, _ body: () -> T) -> T {
        guard confined.value.entryDepth == 0 else { return body() }
        confined.value.entryDepth += 1
        var guardStorage = BrigadeGuard()
        BrigadeGuardedEntryBegin(&guardStorage, group, context)
        let result = body()
        BrigadeGuardedEntryEnd(&guardStorage, group)
        confined.value.entryDepth -= 1
        return result
    }

    /// On the queue, after the watchdog stopped an entry in `context`: a limit that fired while
    /// the entry's microtasks ran leaves its termination pending for the next entry into the VM,
    /// which could be another tenant's (or the making of a context, which then aborts). An empty
    /// entry takes it.
    func absorbTermination(in context: JSContextRef) {
        _ = entry(in: context) { JS.evaluate("0", url: SourceMap.preludeURL, in: context) }
    }

    /// Whether a standby context is ready now. Not on the queue (it waits for it).
    func hasStandbyContext() -> Bool {
        queue.sync { [self] in confined.value.standby != nil }
    }

    /// Counts a runner booted into the VM. A VM keeps what every tenant it ever ran left in it —
    /// compiled code in its code cache, interned names, a fragmented heap — after their contexts
    /// are gone, so after ``JavaScriptSandbox/Settings/machineLifetime`` runners it is retired
    /// and its runners booted again in a fresh one: memory then depends on the tenants cached,
    /// not on how many ever ran.
    func countBoot() {
        if bootCount.add(1, ordering: .relaxed).newValue >= settings.machineLifetime { retire() }
    }

    /// Called on the queue after each entry and load: retires the VM when all its tenants
    /// together hold more than ``JavaScriptSandbox/Settings/machineMemoryLimit``.
    ///
    /// The VM's heap size is only known by walking every object of every tenant in it
    /// (`JSGetMemoryUsageStatistics`): 1–17 ms for heaps of 1–11 MiB on this project's bench host,
    /// during which no tenant of the VM runs. So the walk is skipped while the whole process's
    /// resident memory is below the limit (what a VM holds in memory is part of it; an array
    /// buffer it never touched holds none), and otherwise made at most once per
    /// ``JavaScriptSandbox/Settings/surveyInterval`` and at most 1% of the VM's thread time.
    func survey(in context: JSContextRef) {
        let now = Counters.monotonicNanos()
        guard now >= confined.value.nextSurvey else { return }
        confined.value.nextSurvey = now &+ surveyInterval
        // JavaScriptCore starts its helper threads lazily: looked for again now and then.
        HelperThreads.applyIfDue(niceness: settings.helperNiceness)
        guard Watchdog.residentBytes() > settings.machineMemoryLimit else { return }
        let heap = Watchdog.heapBytes(context)
        let took = Counters.monotonicNanos() &- now
        confined.value.surveys += 1
        Counters.heapSurveys.add(1, ordering: .relaxed)
        confined.value.nextSurvey = Self.nextSurvey(after: now, took: took, interval: surveyInterval)
        if heap > settings.machineMemoryLimit { retire() }
    }

    /// When the survey after one that started at `start` and took `took` may run: one
    /// `interval` later, or a hundred times `took` later if that is longer, so that surveying
    /// costs a VM at most 1% of its thread however large its heap grows.
    static func nextSurvey(after start: UInt64, took: UInt64, interval: UInt64) -> UInt64 {
        let spaced = took.multipliedReportingOverflow(by: 100)
        return start &+ max(interval, spaced.overflow ? UInt64.max / 2 : spaced.partialValue)
    }
}
