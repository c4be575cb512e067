/// The engine's decisions about step calls, as mutations of its state that say what the engine
/// does next (outside the lock): admit a call, block it behind a pause, park a branch.
extension EngineState {
    /// What ``admit(_:_:count:maxSteps:instanceId:)`` decided for a step call.
    enum Admission {
        /// Run (or answer from the record): the call is counted busy.
        case entered(StepEntry)
        /// Refused: the instance is already failing or unwinding.
        case failed(any Error)
        /// Refused, and the instance errors with it (non-determinism, the step limit).
        case fatal(BrigadeError)
        /// A pause is pending or the engine drains: wait on the ticket, then ask again.
        case blocked(UInt64, ParkTicket)
        /// A new step while finished steps of earlier lifetimes are still to be reached again:
        /// wait on the ticket; when it proceeds the call is entered (counted busy by the wake).
        case held(StepEntry, UInt64, ParkTicket)
    }

    /// Admits a step call of `kind` named `name`: assigns its count (or takes `count`,
    /// reserved earlier), matches it against the record of an earlier lifetime, and counts it.
    mutating func admit(_ kind: StepKind, _ name: String, count reserved: Int?, maxSteps: Int, instanceId: String) -> Admission {
        if let fatal { return .failed(fatal) }
        if isUnwinding { return .failed(EngineUnwind(reason: unwindReason)) }
        if phase == .pausing || draining {
            let ticket = ParkTicket()
            return .blocked(addParked(Parked(ticket: ticket, deadline: nil, eventType: nil, short: false)), ticket)
        }
        if rollingBack && kind != .rollback {
            return .failed(BrigadeError.stepDuringRollback(name))
        }
        let count = reserved ?? takeCount(of: name)
        let identity = StepIdentity(name: name, count: count)
        let record = records[identity]
        var position = record?.position ?? 0
        if let record, record.kind != kind {
            return .fatal(
                BrigadeError(
                    .nonDeterminism,
                    "Non-deterministic replay at step \"\(name)-\(count)\": it was recorded as step.\(record.kind.rawValue) but this run reached step.\(kind.rawValue) there. The workflow code changed, or it branches on something other than its params and step results. Restart the instance, or restore the code it started with.",
                    instanceId: instanceId,
                    stepName: "\(name)-\(count)"
                ))
        }
        if record == nil {
            if kind == .do {
                let limit = stepLimit ?? maxSteps
                if doSteps >= limit {
                    return .fatal(
                        BrigadeError(
                            .stepLimitExceeded,
                            "The limit of \(limit) steps has been reached for this instance; step \"\(name)-\(count)\" cannot run. Split the work over several instances or raise the limit (the workflow's limits.steps, or maxStepsPerInstance).",
                            instanceId: instanceId,
                            stepName: "\(name)-\(count)"
                        ))
                }
                doSteps += 1
            }
            if let reserved = reservedPositions.removeValue(forKey: identity) {
                position = reserved
            } else {
                position = nextPosition
                nextPosition += 1
            }
        }
        reach(identity)
        activity += 1
        let entry = StepEntry(identity: identity, record: record, position: position)
        // Not a rollback: `run` has failed by then, and a branch it cut short may leave finished
        // steps unreached for good.
        if record == nil && !unreached.isEmpty && kind != .rollback {
            let ticket = ParkTicket()
            let id = addParked(Parked(ticket: ticket, deadline: nil, eventType: nil, short: false))
            held[id] = identity
            return .held(entry, id, ticket)
        }
        busy += 1
        return .entered(entry)
    }

    /// What ``park(_:until:eventType:short:)`` decided.
    enum Registration {
        /// A buffered event answers the wait at once.
        case immediate(EventRecord)
        /// Parked under this id; the flag says whether the engine is now quiescent (wake the
        /// monitor).
        case parked(UInt64, quiescent: Bool)
        /// The engine unwinds: the branch must too.
        case failed(any Error)
    }

    /// Parks a branch on `ticket` until `deadline` or an event of `eventType`, unless a buffered
    /// event answers it. A long park (not `short`) stops counting the branch busy, which lets
    /// the engine hibernate.
    mutating func park(_ ticket: ParkTicket, until deadline: Int64, eventType: String?, short: Bool) -> Registration {
        if isUnwinding { return .failed(EngineUnwind(reason: unwindReason)) }
        if let eventType, let event = takeBuffered(type: eventType, notAfter: deadline) {
            return .immediate(event)
        }
        let id = addParked(Parked(ticket: ticket, deadline: deadline, eventType: eventType, short: short))
        if let eventType { waiters[eventType, default: []].append(id) }
        if !short { busy -= 1 }
        activity += 1
        return .parked(id, quiescent: isQuiescent)
    }

    private mutating func addParked(_ entry: Parked) -> UInt64 {
        let id = nextParkID
        nextParkID += 1
        parked[id] = entry
        return id
    }

    /// Answers a step call from the journal when an earlier lifetime finished the step it
    /// reaches (see ``Engine/answerFromJournal(_:_:)``): counted then, as the slow path would;
    /// nil, with nothing changed, whenever the slow path has more to say.
    mutating func answerFromJournal(_ kind: StepKind, _ name: String) -> JournaledOutcome? {
        // `fatal == nil` would copy the error out to compare it.
        guard case .none = fatal, !isUnwinding, phase == .running, !draining, !rollingBack else { return nil }
        // Counted only once the journal answers (below): otherwise the slow path counts it.
        let count = nextCount(of: name)
        guard let record = records[StepIdentity(name: name, count: count)], record.kind == kind else { return nil }
        let outcome: JournaledOutcome
        switch ReplayAnswer(record, name: name) {
        case .value(let value):
            outcome = .value(value)
        case .failed(let error):
            let info = ErrorInfo(error)
            outcome = .failed(name: info.name, message: info.message, nonRetryable: (error as? StepFailedError)?.isNonRetryable ?? false)
        case .resume:
            return nil
        }
        counts[name] = count
        activity += 1
        markReached(StepIdentity(name: name, count: count))
        return outcome
    }

    /// Takes the next count of `name` for a call that reaches the engine later (see
    /// ``Engine/reserveCount(_:)``), and, for a new step, its place in the listing now.
    mutating func reserveCount(_ name: String) -> Int {
        let count = takeCount(of: name)
        let identity = StepIdentity(name: name, count: count)
        if records[identity] == nil {
            reservedPositions[identity] = nextPosition
            nextPosition += 1
        }
        reach(identity)
        return count
    }

    /// A step call admitted by ``admit(_:_:count:maxSteps:instanceId:)`` ended: true when
    /// the engine is now quiescent (wake the monitor).
    mutating func exitStep() -> Bool {
        busy -= 1
        activity += 1
        return isQuiescent
    }

    /// What ``admitLog(inStep:maxLines:)`` decided for a log line.
    enum LogAdmission {
        case drop, store
        /// The line that reaches the limit is replaced by one saying so.
        case storeLimitNotice
    }

    /// A log line: dropped while unwinding, outside a step during the replay (an earlier
    /// lifetime stored it), and past `maxLines` in this lifetime.
    mutating func admitLog(inStep: Bool, maxLines: Int) -> LogAdmission {
        if isUnwinding || (!inStep && replaying) || logLines > maxLines { return .drop }
        logLines += 1
        return logLines - 1 == maxLines ? .storeLimitNotice : .store
    }
}
