import DequeModule

/// The in-memory state of one Engine lifetime, from before its claim to its end: the engine's
/// state machine. A plain value, mutated only inside the Engine's `Mutex`; its mutating methods
/// (`EngineState+Steps`, `+Requests`, `+Monitor`) decide, and return what the engine does outside
/// the lock. Tested on its own in `EngineStateTests`.
struct EngineState: Sendable {
    enum Phase: Sendable, Equatable {
        /// The engine exists, its claim has not answered yet: no step, event or pause is taken
        /// (a request meanwhile goes through the store); a stop or a drain is kept for the claim.
        case claiming
        /// Running `run`; steps execute.
        case running
        /// A pause was requested: no new step starts; when no step body runs, the engine pauses.
        case pausing
        /// Every branch was parked long enough: the engine is writing `waiting` and unwinding.
        case hibernating(dueAt: Int64)
        /// The pause took effect; unwinding.
        case paused
        /// Terminated, restarted, deleted, fenced, or shutting down; unwinding.
        case stopping
    }

    struct Parked: Sendable {
        var ticket: ParkTicket
        /// nil for a step blocked by a pending pause.
        var deadline: Int64?
        var eventType: String?
        /// Short waits keep the engine busy (no hibernation for them).
        var short: Bool
    }

    var phase: Phase = .claiming
    var epoch: Int64 = 0
    var records: [StepIdentity: StepRecord] = [:]
    var counts: [String: Int] = [:]
    var nextPosition = 0
    /// Positions taken by ``Engine/reserveCount(_:)`` for new steps not yet entered: a
    /// sandbox's step calls are listed in the order the code made them, not the order the
    /// engine happens to perform them in.
    var reservedPositions: [StepIdentity: Int] = [:]
    var doSteps = 0
    /// Step calls in progress that are not parked on a long wait.
    var busy = 0
    var parked: [UInt64: Parked] = [:]
    var nextParkID: UInt64 = 0
    /// Per event type, parked waiters in registration order.
    var waiters: [String: Deque<UInt64>] = [:]
    /// Unconsumed events per type, oldest first.
    var buffered: [String: Deque<EventRecord>] = [:]
    var knownEvents: Set<Int64> = []
    /// Bumped on every step entry and exit; the hibernation check uses it to see activity.
    var activity: UInt64 = 0
    /// A fatal condition (non-determinism, step limit, invalid step): the instance will error.
    var fatal: BrigadeError?
    var fenced = false
    /// The store failed a write of this lifetime (``BrigadeError/isStorageFailure``): it ends
    /// as `failed`, to run again shortly, not as the workflow's error.
    var storageFailed = false
    /// The process is shutting down gracefully: no new step starts; once no step body runs,
    /// the engine stops and leaves the instance to the next start.
    var draining = false
    /// ``Engine/stop()`` was called (terminate, restart, delete, shutdown): the lifetime ends as
    /// stopped, whatever `run` does.
    var stopRequested = false
    /// The instance's own retention, for the outcome's expiry.
    var retention: Retention?
    /// For a child workflow: its parent, told of the outcome in the write that ends it.
    var parent: ParentLink?
    /// The instance's own step limit, if it has one.
    var stepLimit: Int?
    /// True while `run` is only re-reaching steps this instance already finished: logs written
    /// outside steps are then repeats of an earlier lifetime's and are not stored again.
    var replaying = false
    /// Log lines stored by this lifetime (bounded by ``BrigadeSettings/maxLogLinesPerRun``).
    var logLines = 0
    /// The rollbacks this lifetime's `step.do` calls registered (Swift workflows), by the
    /// forward step's position: when `run` fails they run last first (``Engine/rollBack(after:)``).
    var rollbacks: [Int: RegisteredRollback] = [:]
    /// Set once a rollback started or answered from the journal in this lifetime: `run` failed
    /// and its rollback phase is under way, so no other step may start.
    var rollingBack = false
    /// The first rollback that failed for good: the chain halted there.
    var rollbackFailure: ErrorInfo?
    /// The finished steps of earlier lifetimes that this lifetime's `run` has not reached again.
    /// Replay reaches each at once (the journal answers it), so one left when every branch is
    /// blocked, or when `run` returns, means the code no longer takes the path it took.
    var unreached: Set<StepIdentity> = []
    /// New steps held back while ``unreached`` is not empty (their ``parked`` ids), by the step
    /// they are: a new step runs its side effect only once every earlier finished step has been
    /// reached again, or the instance fails with non-determinism.
    var held: [UInt64: StepIdentity] = [:]
    /// A terminate with rollback was asked for (``InstanceRow/terminating``): `run` goes only as
    /// far as its finished steps, then the rollbacks run and the instance ends `terminated`.
    var terminating = false

    /// The state of an engine whose claim has not answered yet (``Phase/claiming``).
    init() {}

    /// The state of an engine claimed with `snapshot` (for tests; the engine calls ``claimed(_:)``).
    init(snapshot: ReplaySnapshot) {
        _ = claimed(snapshot)
    }

    /// The claim answered with `snapshot`: true when the engine now runs, false when it was
    /// stopped or asked to drain while it claimed (it then stops at once).
    mutating func claimed(_ snapshot: ReplaySnapshot) -> Bool {
        guard phase == .claiming, !draining else { return false }
        phase = .running
        epoch = snapshot.row.epoch
        retention = snapshot.row.retention
        parent = snapshot.row.trigger.parent
        stepLimit = snapshot.row.stepLimit
        terminating = snapshot.row.terminating
        var records: [StepIdentity: StepRecord] = [:]
        records.reserveCapacity(snapshot.steps.count)
        var maxPosition = -1
        var doSteps = 0
        for step in snapshot.steps {
            records[StepIdentity(name: step.name, count: step.count)] = step
            if step.kind != .rollback, [.complete, .failed, .timedOut].contains(step.status) {
                unreached.insert(StepIdentity(name: step.name, count: step.count))
            }
            maxPosition = max(maxPosition, step.position)
            if step.kind == .do { doSteps += 1 }
        }
        self.records = records
        // A replay counts every recorded step's name again, one at a time: sized for them now,
        // the table is not rebuilt as it grows.
        counts.reserveCapacity(snapshot.steps.count)
        replaying = !records.isEmpty
        nextPosition = maxPosition + 1
        self.doSteps = doSteps
        for event in snapshot.events {
            buffered[event.type, default: []].append(event)
            knownEvents.insert(event.seq)
        }
        return true
    }

    var isUnwinding: Bool {
        switch phase {
        case .running, .pausing: false
        case .claiming, .hibernating, .paused, .stopping: true
        }
    }

    var unwindReason: EngineUnwind.Reason {
        switch phase {
        case .hibernating: .hibernate
        case .paused: .pause
        case .claiming, .running, .pausing, .stopping: .stop
        }
    }

    /// Whether the monitor should look at the engine: nothing executing, and either branches
    /// parked (hibernation candidate) or a pause pending.
    var isQuiescent: Bool {
        busy == 0 && (phase == .pausing || draining || !parked.isEmpty)
    }

    /// Takes the oldest buffered event of `type` sent no later than `notAfter`.
    mutating func takeBuffered(type: String, notAfter: Int64?) -> EventRecord? {
        guard var queue = buffered[type], let first = queue.first else { return nil }
        if let notAfter, first.createdAt > notAfter { return nil }
        queue.removeFirst()
        buffered[type] = queue.isEmpty ? nil : queue
        return first
    }

    /// The count the next call of `name` has (the 2 of `fetch-2`): one more than the calls of
    /// that name so far in this lifetime.
    func nextCount(of name: String) -> Int { (counts[name] ?? 0) + 1 }

    /// Counts a call of `name` and returns its count (see ``nextCount(of:)``).
    mutating func takeCount(of name: String) -> Int {
        let count = nextCount(of: name)
        counts[name] = count
        return count
    }

    /// `run` reached the step `identity`: unless an earlier lifetime finished it, the replay is
    /// over and what `run` does from here on is new.
    mutating func reach(_ identity: StepIdentity) {
        // A pattern, not an array of statuses: this runs on every step call.
        switch records[identity]?.status {
        case .complete?, .failed?, .timedOut?: markReached(identity)
        default: replaying = false
        }
    }

    /// A finished step of an earlier lifetime was reached again; once none is left, the new
    /// steps held back (``held``) go on.
    mutating func markReached(_ identity: StepIdentity) {
        guard !unreached.isEmpty, unreached.remove(identity) != nil, unreached.isEmpty else { return }
        for id in held.keys {
            guard let ticket = parked[id]?.ticket else { continue }
            // Counted busy in the same critical section (see ``wake(_:)``).
            if ticket.settle(.success(.proceed)) { wake(id) }
        }
        held = [:]
    }

    /// A rollback an earlier lifetime started and did not finish, of a step started after
    /// `step`: when the chain (last-started first) reaches `step`'s rollback, that one was skipped.
    func skippedRollback(before step: StepIdentity) -> StepIdentity? {
        guard let position = records[step]?.position else { return nil }
        return records.values.first { record in
            guard record.kind == .rollback, record.status == .running || record.status == .retrying else { return false }
            let forward = StepIdentity(name: record.name, count: -record.count)
            return (records[forward]?.position ?? -1) > position
        }.map { StepIdentity(name: $0.name, count: -$0.count) }
    }

    /// The finished step of an earlier lifetime that comes first among those not reached again.
    var firstUnreached: StepRecord? {
        unreached.compactMap { records[$0] }.min { $0.position < $1.position }
    }

    /// Removes a parked branch (after it woke).
    mutating func unpark(_ id: UInt64) {
        guard let entry = parked.removeValue(forKey: id) else { return }
        if let type = entry.eventType, var queue = waiters[type] {
            queue.removeAll { $0 == id }
            waiters[type] = queue.isEmpty ? nil : queue
        }
    }

    /// Counts a parked branch as woken, in the same critical section as the one that resolves
    /// its ticket: from then on it is busy, so the monitor cannot hibernate the engine in the gap
    /// before the branch resumes (an event delivered there would be dropped with the engine and
    /// wait, unconsumed, for the wait's timeout). Returns false if it was woken already.
    @discardableResult
    mutating func wake(_ id: UInt64) -> Bool {
        guard let entry = parked[id] else { return false }
        unpark(id)
        if !entry.short { busy += 1 }
        activity += 1
        return true
    }

    /// The earliest deadline among parked branches.
    var earliestDeadline: Int64? {
        parked.values.compactMap(\.deadline).min()
    }

    /// Takes every parked ticket, to resolve them outside the lock.
    mutating func takeParkedTickets() -> [ParkTicket] {
        let tickets = parked.values.map(\.ticket)
        return tickets
    }
}
