import Foundation

/// A step call admitted by the engine.
struct StepEntry: Sendable {
    var identity: StepIdentity
    /// The stored record from an earlier lifetime, if any.
    var record: StepRecord?
    /// The recording position for a new record.
    var position: Int
}

extension Engine {
    /// Admits a step call: validates it, assigns its count (or takes the one the
    /// caller reserved with ``reserveCount(_:)``), detects non-determinism, and blocks it
    /// while a pause is pending. Every successful call must be balanced by ``exitStep()``.
    func enterStep(_ kind: StepKind, _ name: String, count: Int? = nil) async throws -> StepEntry {
        do {
            try Validation.stepName(name, settings: settings)
        } catch let error as BrigadeError {
            throw fail(error)
        }
        while true {
            let admission = state.withLock { state in
                state.admit(kind, name, count: count, maxSteps: settings.maxStepsPerInstance, instanceId: instanceId)
            }
            switch admission {
            case .entered(let entry):
                // A `step.do` registers its rollback first (``runDo``), then stops the same way.
                if kind != .do && kind != .rollback && stopsForTermination(entry) {
                    exitStep()
                    throw TerminationRequest()
                }
                return entry
            case .failed(let error):
                throw error
            case .fatal(let error):
                throw fail(error)
            case .held(let entry, let id, let ticket):
                // A new step while finished steps are still to be replayed: it waits for them to
                // be reached (proceed) or for the monitor to find they never will be (fatal).
                signalIfQuiescent()
                do {
                    _ = try await ticket.outcome()
                } catch {
                    state.withLock { state in
                        state.unpark(id)
                        state.held[id] = nil
                    }
                    throw error
                }
                if kind != .do && kind != .rollback && stopsForTermination(entry) {
                    exitStep()
                    throw TerminationRequest()
                }
                return entry
            case .blocked(let id, let ticket):
                // A pause is pending: the step waits until it is cancelled (proceed) or takes
                // effect (unwind).
                signalIfQuiescent()
                do {
                    _ = try await ticket.outcome()
                    state.withLock { $0.unpark(id) }
                } catch {
                    state.withLock { $0.unpark(id) }
                    throw error
                }
            }
        }
    }

    /// Whether `run` must stop at `entry` (throwing ``TerminationRequest``): a terminate with
    /// rollback was asked for, and `run` goes no further than the steps it finished.
    func stopsForTermination(_ entry: StepEntry) -> Bool {
        guard state.withLock({ $0.terminating }) else { return false }
        switch entry.record?.status {
        case .complete?, .failed?, .timedOut?: return false
        default: return true
        }
    }

    /// Takes the next count of `name` now, for a step call that reaches the engine later:
    /// a sandbox's step calls are made in order but performed side by side, and two calls of one
    /// name must be told apart in the order the code made them, on every replay. The call has
    /// reached its step: a step no earlier lifetime finished ends the replay now, in the order
    /// of the code (see ``isReplaying``), and a new step takes its place in the listing now.
    func reserveCount(_ name: String) -> Int {
        state.withLock { $0.reserveCount(name) }
    }

    /// Balances ``enterStep(_:_:count:)``.
    func exitStep() {
        if state.withLock({ $0.exitStep() }) { monitorSignal.signal() }
    }

    func signalIfQuiescent() {
        if state.withLock({ $0.isQuiescent }) { monitorSignal.signal() }
    }

    /// Records a fatal condition: the instance will end `errored` with it, whatever `run` does.
    /// Parked branches are released with it so that `run` ends promptly.
    func fail(_ error: BrigadeError) -> BrigadeError {
        let tickets = state.withLock { $0.fail(error) }
        for ticket in tickets { ticket.settle(.failure(error)) }
        return error
    }

    /// Parks the calling branch until `deadline`, or until an event of `eventType` is handed to it.
    /// Long parks let the engine hibernate; then this throws ``EngineUnwind``.
    func park(until deadline: Int64, eventType: String? = nil) async throws -> WakeReason {
        let short = deadline - clock.nowMilliseconds() < settings.inMemoryWaitThreshold.wholeMilliseconds
        let ticket = ParkTicket()
        let registration = state.withLock { state in state.park(ticket, until: deadline, eventType: eventType, short: short) }
        let id: UInt64
        switch registration {
        case .immediate(let event): return .event(event)
        case .failed(let error): throw error
        case .parked(let parkedID, let quiescent):
            id = parkedID
            if quiescent { monitorSignal.signal() }
        }
        // The deadline is a timer on the clock, not a task racing the ticket: a parked branch
        // (every sleep and wait, every hibernating instance's last moment) costs no task for it.
        let timer = clock.schedule(at: Date(millisecondsSince1970: deadline)) {
            self.state.withLock { state in
                if ticket.settle(.success(.deadline)) { state.wake(id) }
            }
        }
        let result: Result<WakeReason, any Error>
        do {
            result = .success(try await ticket.outcome())
        } catch {
            result = .failure(error)
        }
        timer.cancel()
        // Woken by an event or the deadline: already counted busy by `wake`. Woken otherwise
        // (cancellation, unwinding): counted here.
        _ = state.withLock { state in state.wake(id) }
        return try result.get()
    }

    /// Waits until `deadline`: in memory when it is near, parked (and possibly hibernated) when not.
    func wait(until deadline: Int64) async throws {
        let remaining = deadline - clock.nowMilliseconds()
        if remaining <= 0 { return }
        if remaining < settings.inMemoryWaitThreshold.wholeMilliseconds {
            try await clock.sleep(until: Date(millisecondsSince1970: deadline))
        } else {
            _ = try await park(until: deadline)
        }
        try checkNotUnwinding()
    }

    func checkNotUnwinding() throws {
        try state.withLock { state in
            if state.isUnwinding { throw EngineUnwind(reason: state.unwindReason) }
        }
    }

    /// The oldest event of `type` sent no later than `deadline`: a buffered one at once (an
    /// event sent before the deadline wins even if this replay runs after it), otherwise the
    /// first to arrive while the instance is parked; nil once the deadline has passed.
    func awaitEvent(type: String, deadline: Int64) async throws -> EventRecord? {
        while true {
            if let event = takeBufferedEvent(type: type, notAfter: deadline) { return event }
            if clock.nowMilliseconds() >= deadline { return nil }
            let woken = try await park(until: deadline, eventType: type)
            try checkNotUnwinding()
            if case .event(let event) = woken { return event }
        }
    }

    /// Takes the oldest buffered event of `type` sent no later than `notAfter`.
    func takeBufferedEvent(type: String, notAfter: Int64) -> EventRecord? {
        state.withLock { $0.takeBuffered(type: type, notAfter: notAfter) }
    }

    /// Writes step records (and history) for this instance, fenced by the claim epoch.
    func commit(
        _ records: [StepRecord], history: [HistoryEntry], consumedEvents: [Int64] = [],
        awaitCommit: Bool
    ) async throws {
        let now = clock.nowMilliseconds()
        var write = newWrite(now: now)
        write.steps = records
        write.history = history
        write.consumedEvents = consumedEvents
        state.withLock { state in
            for record in records { state.records[StepIdentity(name: record.name, count: record.count)] = record }
        }
        try await persistFromStep(write, awaitCommit: awaitCommit)
    }

    /// A write made on a step's way (its records, the start of a rollback phase): a failure that
    /// ends the lifetime (fenced, the store failing) is not the workflow's, so it never reaches
    /// its code — the lifetime stops and the step unwinds.
    func persistFromStep(_ write: InstanceWrite, awaitCommit: Bool) async throws {
        do {
            try await persist(write, awaitCommit: awaitCommit)
        } catch where Self.endsLifetime(error) {
            markStopping(after: error)
            unwindParked()
            throw EngineUnwind(reason: .stop)
        }
    }
}
