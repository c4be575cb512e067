import CJavaScriptCore
import Foundation

/// Enforces the CPU-time and memory limits of each entry into tenant code in one VM.
///
/// JavaScriptCore's (exported, unpublished) execution-time limit calls back every
/// `checkInterval` of CPU time spent inside one entry into the VM. The callback compares the
/// entry's thread CPU time with the CPU limit, and the growth of the process's resident memory
/// since the entry's first check with the memory limit, and asks the VM to stop the code when
/// either is over; the code then ends with an uncatchable termination. Resident memory is read
/// from `/proc/self/statm` (a few microseconds) because the VM's own heap statistics walk every
/// object of every tenant in it — too slow to take every few milliseconds.
final class Watchdog: @unchecked Sendable {
    let cpuLimitNanos: UInt64
    let memoryLimit: Int
    // Touched only on the runner's queue (the callback runs on the thread of the entry).
    private var entryStart: UInt64 = 0
    private var residentBaseline: Int?
    /// Why an entry was stopped.
    struct Stop {
        var reason: String
        /// Stopped for memory (rather than CPU time).
        var memory: Bool
    }
    private(set) var stop: Stop?
    private(set) var checks = 0

    init(cpuLimit: Duration, memoryLimit: Int) {
        cpuLimitNanos = UInt64(max(1, cpuLimit.wholeMilliseconds)) * 1_000_000
        self.memoryLimit = memoryLimit
    }

    private var group: JSContextGroupRef?
    private var interval = 0.005

    func install(on group: JSContextGroupRef, checkInterval: Duration) {
        self.group = group
        interval = Double(checkInterval.wholeMilliseconds) / 1_000
        arm()
    }

    private func arm() {
        guard let group else { return }
        JSContextGroupSetExecutionTimeLimit(group, interval, { context, raw in
            guard let raw else { return false }
            let watchdog = Unmanaged<Watchdog>.fromOpaque(raw).takeUnretainedValue()
            if watchdog.shouldTerminate(context) { return true }
            // The VM does not call back a second time by itself: arm it for the next interval.
            watchdog.arm()
            return false
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    func begin() {
        stop = nil
        residentBaseline = nil
        entryStart = Self.threadCPUNanos()
    }

    /// Thread CPU time since ``begin()``.
    func cpuUsed() -> UInt64 { Self.threadCPUNanos() &- entryStart }

    /// Why the entry was stopped, if it was.
    func end() -> Stop? {
        defer { stop = nil }
        return stop
    }

    private func shouldTerminate(_ context: JSContextRef?) -> Bool {
        checks += 1
        let used = Self.threadCPUNanos() &- entryStart
        if used > cpuLimitNanos {
            stop = Stop(reason: "it ran for more than its CPU time limit of \(cpuLimitNanos / 1_000_000) ms without yielding (a busy loop?)", memory: false)
            return true
        }
        // Entries shorter than one interval are never measured; a long one from its first check.
        let resident = Self.residentBytes()
        guard let baseline = residentBaseline else {
            residentBaseline = resident
            return false
        }
        if resident - baseline > memoryLimit {
            stop = Stop(reason: "it grew the process's memory by \((resident - baseline) >> 20) MiB while it ran, over its memory limit of \(memoryLimit >> 20) MiB", memory: true)
            return true
        }
        return false
    }

    /// The process's resident set, from `/proc/self/statm` (0 where it cannot be read).
    static func residentBytes() -> Int {
        let file = open("/proc/self/statm", O_RDONLY)
        guard file >= 0 else { return 0 }
        defer { close(file) }
        var buffer = [UInt8](repeating: 0, count: 96)
        let count = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        // "size resident shared …", in pages.
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "), maxSplits: 2)
        guard fields.count >= 2, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
        return pages * Self.pageSize
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

    static func threadCPUNanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
