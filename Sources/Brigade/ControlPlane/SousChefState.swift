import DequeModule
import HeapModule

/// The bookkeeping of one SousChef: where each of its instances is (a due timer, the runnable
/// queue, or a live Engine). Mutated only inside the SousChef's `Mutex`.
struct SousChefState: Sendable {
    enum Place: Sendable {
        case timer(dueAt: Int64, woken: Bool)
        case queued(woken: Bool)
        case live(Engine, wakeRequested: Bool)
    }

    struct Entry: Sendable {
        var id: String
        var place: Place
    }

    struct Timer: Comparable, Sendable {
        var dueAt: Int64
        var seq: Int64
        static func < (lhs: Timer, rhs: Timer) -> Bool {
            (lhs.dueAt, lhs.seq) < (rhs.dueAt, rhs.seq)
        }
    }

    var entries: [Int64: Entry] = [:]
    /// Due timers; stale items (re-timed or started since) are skipped when popped.
    var timers = Heap<Timer>()
    /// Resumed and woken instances: they run before new ones.
    var woken: Deque<Int64> = []
    /// New instances, oldest first.
    var fresh: Deque<Int64> = []
    /// Where the next sweep reads on: through the overdue alarms (wrapping to the start after
    /// the last page), and through the upcoming ones not yet loaded.
    var overdueCursor: DueInstance.Position?
    var upcomingCursor: DueInstance.Position?
    /// New instances were left in the store because the queue in memory was full.
    var heldBack = false
    /// Bumped each time `heldBack` is set: a sweep whose reads began before an instance was held
    /// back must not clear the flag (it read the store before that instance was there).
    var heldBackMark = 0
    /// Instances in the runnable queue, by class (the queues may hold stale entries).
    private(set) var demand = GatekeeperState.Demand.zero
    /// What the engines of instances their creation claimed for this node replay from
    /// (``NewInstance/claimed``), by seq, while they wait in the runnable queue.
    private(set) var creationClaims: [Int64: ReplaySnapshot] = [:]
    /// Bumped each time the SousChef hears of an instance it does not hold (a sweep read it, an
    /// event or an operation names it). A creation claimed under an older mark cannot tell
    /// whether the notice was about its instance — a sweep may have run it already, an operation
    /// changed it — so its snapshot is not used and its engine claims as any other.
    private(set) var unknownNotices = 0
    /// Creations under way that claimed their instance (``claimCreations(_:freeSlots:)``): each
    /// holds one of the free slots until it has been written and queued.
    private(set) var pendingClaims = 0

    private mutating func enqueue(_ seq: Int64, id: String, woken isWoken: Bool) {
        entries[seq] = Entry(id: id, place: .queued(woken: isWoken))
        if isWoken {
            woken.append(seq)
            demand.woken += 1
        } else {
            fresh.append(seq)
            demand.fresh += 1
        }
    }

    private mutating func dequeued(woken isWoken: Bool) {
        if isWoken { demand.woken -= 1 } else { demand.fresh -= 1 }
    }

    /// Notes that an instance is due at `dueAt` (a timer, or found by a sweep).
    mutating func schedule(seq: Int64, id: String, dueAt: Int64, woken isWoken: Bool) {
        switch entries[seq]?.place {
        case .live, .queued:
            return
        case .timer(let existing, _) where existing <= dueAt:
            return
        default:
            entries[seq] = Entry(id: id, place: .timer(dueAt: dueAt, woken: isWoken))
            timers.insert(Timer(dueAt: dueAt, seq: seq))
        }
    }

    /// Puts an instance in the runnable queue now. A live one is marked to run again when its
    /// engine exits. Returns true when the queue changed.
    @discardableResult
    mutating func makeRunnable(seq: Int64, id: String, woken isWoken: Bool) -> Bool {
        switch entries[seq]?.place {
        case .live(let engine, _):
            entries[seq]!.place = .live(engine, wakeRequested: true)
            return false
        case .queued:
            return false
        case .timer?, nil:
            enqueue(seq, id: id, woken: isWoken)
            return true
        }
    }

    /// Moves every timer due at `now` to the runnable queue.
    mutating func fireDue(now: Int64) {
        while let top = timers.min, top.dueAt <= now {
            timers.removeMin()
            guard let entry = entries[top.seq], case .timer(let dueAt, let isWoken) = entry.place, dueAt == top.dueAt else { continue }
            enqueue(top.seq, id: entry.id, woken: isWoken)
        }
    }

    /// The earliest pending timer.
    mutating func nextDue() -> Int64? {
        while let top = timers.min {
            if case .timer(let dueAt, _)? = entries[top.seq]?.place, dueAt == top.dueAt { return dueAt }
            timers.removeMin()
        }
        return nil
    }

    var hasRunnable: Bool { !woken.isEmpty || !fresh.isEmpty }

    /// How many of `count` creations under way may claim their instance for this node: as many
    /// as will start at once — the free slots less what the runnable queue and earlier claiming
    /// creations will take — so that a claimed instance is `running` only as long as it takes
    /// to start; none while new instances are held back in the store (they start first).
    /// Returns the mark to hand to ``created(seq:id:claimed:mark:)`` with them; they stay counted
    /// until ``releaseClaims(_:)``.
    mutating func claimCreations(_ count: Int, freeSlots: Int) -> (mark: Int, granted: Int) {
        let granted = heldBack ? 0 : max(0, min(count, freeSlots - demand.total - pendingClaims))
        pendingClaims += granted
        return (unknownNotices, granted)
    }

    /// Creations that claimed were written and queued (or failed).
    mutating func releaseClaims(_ count: Int) {
        pendingClaims = max(0, pendingClaims - count)
    }

    /// A new instance: runnable now, as ``makeRunnable(seq:id:woken:)``, replaying from `claimed`
    /// when its creation claimed it under `mark` and nothing was heard of an unknown instance
    /// since. Returns true when the queue changed.
    mutating func created(seq: Int64, id: String, claimed: ReplaySnapshot?, mark: Int?) -> Bool {
        let wasUnknown = entries[seq] == nil
        guard makeRunnable(seq: seq, id: id, woken: false) else { return false }
        if let claimed, wasUnknown, mark == unknownNotices { creationClaims[seq] = claimed }
        return true
    }

    /// Something outside the SousChef's own bookkeeping concerns `seq` (an event, an operation):
    /// a snapshot its creation claimed is stale from now on, and if the SousChef does not hold
    /// the instance, creations under way cannot trust theirs either.
    mutating func heard(of seq: Int64) {
        creationClaims[seq] = nil
        if entries[seq] == nil { unknownNotices &+= 1 }
    }

    /// A sweep read `seq` from the store: only news when the SousChef does not hold it.
    mutating func swept(_ seq: Int64) {
        if entries[seq] == nil { unknownNotices &+= 1 }
    }

    /// Takes the next runnable instance (woken before new) and marks it live with the engine
    /// `makeEngine` makes of it (given the snapshot its creation claimed, if any).
    mutating func startNext(_ makeEngine: (Int64, String, ReplaySnapshot?) -> Engine) -> (Int64, Engine)? {
        while let seq = woken.popFirst() ?? fresh.popFirst() {
            guard let entry = entries[seq], case .queued(let isWoken) = entry.place else { continue }
            dequeued(woken: isWoken)
            let engine = makeEngine(seq, entry.id, creationClaims.removeValue(forKey: seq))
            entries[seq]!.place = .live(engine, wakeRequested: false)
            return (seq, engine)
        }
        return nil
    }

    /// Forgets an instance that is not live (terminated, deleted, paused through the store).
    mutating func forget(seq: Int64) {
        creationClaims[seq] = nil
        switch entries[seq]?.place {
        case .live?: return
        case .queued(let isWoken)?: dequeued(woken: isWoken)
        default: break
        }
        entries[seq] = nil
    }

    var liveCount: Int {
        entries.values.reduce(0) { count, entry in
            if case .live = entry.place { return count + 1 }
            return count
        }
    }
}
