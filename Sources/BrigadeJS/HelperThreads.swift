import CBrigadeShims
import Foundation
import Synchronization

/// JavaScriptCore's own threads — the JIT's compiler workers and the collector's helpers — at a
/// nice value above the engine's.
///
/// They compile and collect for every tenant of the process, a hostile one's busy loop and memory
/// bomb included, and under load they took a seventh of both cores away from the engine and the
/// neighbours (per-thread CPU of `brigade-bench js-abuse`). Reniced, they still run whenever a
/// core is free; when the cores are busy, the engine's and the VMs' own threads come first.
/// JavaScriptCore starts them lazily, so the process's threads are looked at again now and then
/// (``apply(niceness:)`` is cheap: one directory listing of `/proc/self/task`).
enum HelperThreads {
    /// Thread names JavaScriptCore gives its helpers (Linux keeps 15 bytes of a name).
    static let prefixes = ["JITWorker", "HeapHelper"]
    /// Threads already reniced, by thread id.
    private static let reniced = Mutex<Set<Int32>>([])
    /// When the next scan may run (monotonic nanoseconds): one a second for the whole process,
    /// however many VMs ask.
    private static let nextScan = Atomic<UInt64>(0)

    /// At most once a second for the process: renices the helper threads started since.
    static func applyIfDue(niceness: Int32) {
        let now = Counters.monotonicNanos()
        let due = nextScan.load(ordering: .relaxed)
        guard now >= due, nextScan.compareExchange(expected: due, desired: now &+ 1_000_000_000, ordering: .relaxed).exchanged else {
            return
        }
        apply(niceness: niceness)
    }

    /// Renices every helper thread not reniced yet; returns how many it reniced.
    @discardableResult
    static func apply(niceness: Int32) -> Int {
        guard niceness > 0, let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return 0 }
        var count = 0
        for task in tasks {
            guard let tid = Int32(task), !reniced.withLock({ $0.contains(tid) }),
                let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                prefixes.contains(where: { name.hasPrefix($0) })
            else { continue }
            if brigade_set_niceness_of_thread(tid, niceness) == 0 {
                reniced.withLock { _ = $0.insert(tid) }
                count += 1
            }
        }
        return count
    }
}
