import CBrigadeShims

/// When to give freed heap back to the system: once many engines have been freed (instances
/// that hibernated or finished) and few are alive compared with the most seen since the last
/// trim. glibc's malloc keeps what such a wave freed in its arenas: a process that parked 10,000
/// instances stayed some 11 MiB larger than after a trim (`brigade-bench w3`, RSS before and
/// after `malloc_trim`). A pure rule fed two counts; the runtime looks a few times a second.
struct HeapTrim: Sendable {
    /// Engines freed since the last trim before another is worth its cost (a walk over every
    /// arena, a few milliseconds) while some are still alive.
    var minimumFreed = 1_000
    /// Engines freed since the last trim for one when none is alive: the tail of a wave that an
    /// earlier trim cut into.
    var minimumFreedWhenIdle = 64
    /// The most engines alive since the last trim.
    private(set) var peak = 0
    /// The count of freed engines at the last trim.
    private(set) var freedAtLastTrim = 0

    /// Looks at the engines alive now and the count freed so far: true when a trim is due (it then
    /// counts as done). Due when `minimumFreed` were freed since the last one and at most a
    /// quarter of the peak is alive (after a wave, not in the middle of a steady churn), or when
    /// none is alive and `minimumFreedWhenIdle` were freed since.
    mutating func observe(engines: Int, freed: Int) -> Bool {
        peak = max(peak, engines)
        let sinceLast = freed - freedAtLastTrim
        let afterWave = sinceLast >= minimumFreed && engines <= peak / 4
        let idle = engines == 0 && sinceLast >= minimumFreedWhenIdle
        guard afterWave || idle else { return false }
        peak = engines
        freedAtLastTrim = freed
        return true
    }

    /// Gives the free memory of every malloc arena back to the system (glibc only).
    static func releaseFreeHeap() {
        _ = brigade_release_free_heap()
    }
}
