import CJavaScriptCore
import Foundation

/// Enforces a runner's CPU-time and memory limits while tenant code runs.
///
/// JavaScriptCore's (exported, unpublished) execution-time limit calls back every
/// `checkInterval` of CPU time spent inside one entry into the VM. The callback compares the
/// entry's thread CPU time with the limit and the VM's heap (JavaScript objects plus the memory
/// they own outside it, such as array buffers) with the memory limit, and asks the VM to stop the
/// code when either is over. The code then ends with an uncatchable termination.
final class Watchdog: @unchecked Sendable {
    let cpuLimitNanos: UInt64
    let memoryLimit: Int
    // Touched only on the runner's queue (the callback runs on the thread of the entry).
    private var entryStart: UInt64 = 0
    private(set) var reason: String?
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
        reason = nil
        entryStart = Self.threadCPUNanos()
    }

    /// The reason the entry was stopped, if it was.
    func end() -> String? {
        defer { reason = nil }
        return reason
    }

    private func shouldTerminate(_ context: JSContextRef?) -> Bool {
        checks += 1
        let used = Self.threadCPUNanos() &- entryStart
        if used > cpuLimitNanos {
            reason = "it ran for more than its CPU time limit of \(cpuLimitNanos / 1_000_000) ms without yielding (a busy loop?)"
            return true
        }
        if let context {
            let bytes = Self.heapBytes(context)
            if bytes > memoryLimit {
                reason = "its heap grew to \(bytes >> 20) MiB, over its memory limit of \(memoryLimit >> 20) MiB"
                return true
            }
        }
        return false
    }

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
