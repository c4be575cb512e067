import Foundation
import Synchronization

enum Counters {
    static let boots = Atomic<Int>(0)
    static let bootNanos = Atomic<UInt64>(0)
    static let standbyBoots = Atomic<Int>(0)
    static let entries = Atomic<Int>(0)
    static let entryNanos = Atomic<UInt64>(0)
    static let entryCPUNanos = Atomic<UInt64>(0)
    static let startEntries = Atomic<Int>(0)
    static let startEntryNanos = Atomic<UInt64>(0)
    static let startEntryCPUNanos = Atomic<UInt64>(0)
    static let hostNanos = Atomic<UInt64>(0)
    static let limitStops = Atomic<Int>(0)
    static let journalAnswers = Atomic<Int>(0)
    static let machinesRetired = Atomic<Int>(0)
    static let heapSurveys = Atomic<Int>(0)
    static let tenantsIsolated = Atomic<Int>(0)
    static let backoffWaits = Atomic<Int>(0)

    static func monotonicNanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
