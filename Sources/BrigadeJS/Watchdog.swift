import CJavaScriptCore
import Foundation
import Synchronization

/// Enforces the CPU-time and memory limits of each entry into tenant code in one VM.
///
/// JavaScriptCore's (exported, unpublished) execution-time limit calls back once an entry into
/// the VM has used `firstCheck` of CPU time, and every `checkInterval` after that. The callback
/// compares the entry's thread CPU time with the CPU limit, and the growth of the process's
/// resident memory since the entry began with the memory limit, and asks the VM to stop the code
/// when either is over; the code then ends with an uncatchable termination. Resident memory is
/// read from `/proc/self/statm` (one `pread`) because the VM's own heap statistics walk every
/// object of every tenant in it — too slow to take every few milliseconds.
///
/// The process's memory is shared: other VMs' tenants and the engine grow it too, and an entry
/// must not be stopped for what they allocated while it ran. Memory becomes resident when a
/// thread first touches a page (a page fault, counted per thread), and tenant code allocates on
/// the thread of its entry. So an entry is stopped for memory only when the process grew by more
/// than the limit *and* the entry's own thread faulted in more than the limit. Faults also count
/// pages touched again after being given back, never fewer than were added — except for huge
/// pages, so where transparent huge pages are `always` on, a fault is counted as a huge page
/// (and the check falls back to the process's growth alone).
///
/// Why the first check comes later than the next: JavaScriptCore arms a timer on another thread
/// at every entry that finds the last one expired, and when it fires between entries the next
/// entry takes its slow path. A 5 ms limit expired between nearly every two wakes and cost a warm
/// wake a fifth of its time (BENCHMARKS.md); most entries end long before 25 ms.
final class Watchdog: @unchecked Sendable {
    let cpuLimitNanos: UInt64
    let memoryLimit: Int
    // Touched only on the runner's queue (the callback runs on the thread of the entry).
    private var entryStart: UInt64 = 0
    private var residentBaseline = 0
    private var faultBaseline = 0
    /// Why an entry was stopped.
    struct Stop {
        var reason: String
        /// Stopped for memory (rather than CPU time).
        var memory: Bool
        /// Stopped because its invocation was cancelled (its instance terminated, paused or
        /// stopped), not for a limit: nothing the tenant's code did wrong.
        var cancelled = false
    }
    /// The invocation whose entry is running (0 for a load), set by ``begin(invocation:)``.
    private var entryInvocation = 0
    /// An invocation whose entries are to be stopped at the next check; set from any thread.
    private let cancelledInvocation = Atomic<Int>(0)
    private(set) var stop: Stop?
    private(set) var checks = 0

    init(cpuLimit: Duration, memoryLimit: Int) {
        cpuLimitNanos = UInt64(max(1, cpuLimit.wholeMilliseconds)) * 1_000_000
        self.memoryLimit = memoryLimit
    }

    private var group: JSContextGroupRef?
    private var firstCheck = 0.025
    private var interval = 0.005
    /// The limit JavaScriptCore's timer is armed with now: `firstCheck` at the start of an entry,
    /// `interval` once the entry has been checked.
    private var armed = 0.0

    func install(on group: JSContextGroupRef, firstCheck: Duration, checkInterval: Duration) {
        self.group = group
        // A CPU limit shorter than the first check is checked when it runs out.
        self.firstCheck = Double(min(firstCheck.wholeMilliseconds, Int64(cpuLimitNanos / 1_000_000))) / 1_000
        interval = Double(checkInterval.wholeMilliseconds) / 1_000
        arm(self.firstCheck)
    }

    private func arm(_ seconds: Double) {
        guard let group else { return }
        armed = seconds
        JSContextGroupSetExecutionTimeLimit(group, seconds, { context, raw in
            guard let raw else { return false }
            let watchdog = Unmanaged<Watchdog>.fromOpaque(raw).takeUnretainedValue()
            if watchdog.shouldTerminate(context) { return true }
            // The VM does not call back a second time by itself: arm it for the next interval.
            watchdog.arm(watchdog.interval)
            return false
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Stops the running entry of `invocation` at its next check (after the first check's CPU
    /// time, then every check interval), and any later one: `terminate` of an instance whose
    /// code is in a long entry takes effect within milliseconds, not at the CPU limit.
    func cancel(invocation: Int) {
        cancelledInvocation.store(invocation, ordering: .relaxed)
    }

    func begin(invocation: Int = 0) {
        stop = nil
        entryInvocation = invocation
        // After an entry that ran long enough to be checked, the next starts from the first check again.
        if armed != firstCheck { arm(firstCheck) }
        residentBaseline = Self.residentBytes()
        let usage = ThreadUsage.now()
        entryStart = usage.cpuNanos
        faultBaseline = usage.faults
    }

    /// Thread CPU time since ``begin()``.
    func cpuUsed() -> UInt64 { ThreadUsage.now().cpuNanos &- entryStart }

    /// Why the entry was stopped, if it was.
    func end() -> Stop? {
        defer { stop = nil }
        return stop
    }

    private func shouldTerminate(_ context: JSContextRef?) -> Bool {
        checks += 1
        if entryInvocation != 0 && cancelledInvocation.load(ordering: .relaxed) == entryInvocation {
            stop = Stop(reason: "its instance was stopped while its code ran", memory: false, cancelled: true)
            return true
        }
        let usage = ThreadUsage.now()
        if usage.cpuNanos &- entryStart > cpuLimitNanos {
            stop = Stop(reason: "it ran for more than its CPU time limit of \(cpuLimitNanos / 1_000_000) ms without yielding (a busy loop?)", memory: false)
            return true
        }
        // The smaller of the two is what this entry can have added (see the type's comment).
        let grown = min(Self.residentBytes() - residentBaseline, (usage.faults - faultBaseline) * Self.faultBytes)
        if grown > memoryLimit {
            stop = Stop(reason: Self.memoryReason(grown: grown, limit: memoryLimit), memory: true)
            return true
        }
        return false
    }

    /// Why an entry that grew memory by `grown` bytes was stopped. Rounded up, so that a growth
    /// just over the limit does not read as equal to it.
    static func memoryReason(grown: Int, limit: Int) -> String {
        "it grew the process's memory by \((grown + (1 << 20) - 1) >> 20) MiB while it ran, over its memory limit of \(limit >> 20) MiB"
    }

    /// The calling thread's CPU time and page faults, in one system call.
    struct ThreadUsage {
        var cpuNanos: UInt64
        /// Minor page faults: pages the thread made resident (or touched again after they were given back).
        var faults: Int

        static func now() -> ThreadUsage {
            var usage = rusage()
            // RUSAGE_THREAD (Linux): the calling thread only. Glibc declares it only for _GNU_SOURCE.
            getrusage(__rusage_who_t(1), &usage)
            func nanos(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1_000 }
            return ThreadUsage(cpuNanos: nanos(usage.ru_utime) + nanos(usage.ru_stime), faults: usage.ru_minflt)
        }
    }

    /// What one page fault can make resident: a page, or a huge page where transparent huge pages
    /// are always on (so that faults never under-count a tenant's growth).
    static let faultBytes: Int = {
        let mode = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
        guard mode.contains("[always]") else { return pageSize }
        let huge = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return huge ?? 2 << 20
    }()

    /// `/proc/self/statm`, open for the life of the process: read at the start of every entry,
    /// one `pread` instead of an open, a read and a close.
    private static let statm = open("/proc/self/statm", O_RDONLY)

    /// The process's resident set, from `/proc/self/statm` (0 where it cannot be read).
    static func residentBytes() -> Int {
        guard statm >= 0 else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buffer -> Int in
            let count = pread(statm, buffer.baseAddress, buffer.count, 0)
            guard count > 0 else { return 0 }
            // "size resident shared …", in pages: the second field.
            var field = 0
            var pages = 0
            for byte in buffer[..<count] {
                if byte == UInt8(ascii: " ") {
                    field += 1
                    if field == 2 { break }
                } else if field == 1, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                    pages = pages * 10 + Int(byte - UInt8(ascii: "0"))
                }
            }
            return pages * Self.pageSize
        }
    }

    private static let pageSize = sysconf(Int32(_SC_PAGESIZE))

    /// The VM's heap size plus the memory its objects own outside it.
    static func heapBytes(_ context: JSContextRef) -> Int {
        guard let statistics = JSGetMemoryUsageStatistics(context) else { return 0 }
        func number(_ name: String) -> Int {
            guard let value = JS.property(statistics, name, in: context), JSValueIsNumber(context, value) else { return 0 }
            return Int(JSValueToNumber(context, value, nil))
        }
        return number("heapSize") + number("extraMemorySize")
    }
}
