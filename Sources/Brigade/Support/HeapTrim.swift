import CBrigadeShims

/// When to give freed heap back to the system: once no engine has been alive for two looks and
/// some were freed since the last trim (instances that hibernated or finished). glibc's malloc
/// keeps what a wave of engines freed in its arenas: a process that parked 10,000 instances stayed
/// some 11 MiB larger than after a trim (`brigade-bench w3`, RSS before and after `malloc_trim`).
/// Never while engines run: a trim hands pages back that the next allocations fault in again, so
/// trimming under load (or between the engines of a slow stream) costs more than it saves. A pure
/// rule fed two counts; the runtime looks four times a second.
struct HeapTrim: Sendable {
    /// Engines freed since the last trim for another to be worth its cost (a walk over every
    /// arena, a few milliseconds).
    var minimumFreed = 64
    /// The count of freed engines at the last trim.
    private(set) var freedAtLastTrim = 0
    /// Looks in a row that found no engine alive.
    private(set) var quietLooks = 0

    /// Looks at the engines alive now and the count freed so far: true when a trim is due (it then
    /// counts as done).
    mutating func observe(engines: Int, freed: Int) -> Bool {
        quietLooks = engines == 0 ? quietLooks + 1 : 0
        guard quietLooks >= 2, freed - freedAtLastTrim >= minimumFreed else { return false }
        freedAtLastTrim = freed
        return true
    }

    /// Gives the free memory of every malloc arena back to the system (glibc only).
    static func releaseFreeHeap() {
        _ = brigade_release_free_heap()
    }
}
