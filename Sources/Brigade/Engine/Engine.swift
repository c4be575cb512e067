import Foundation
import Logging
import Synchronization

/// Owns one instance while it runs: claims it (or starts from the claim its creation made),
/// replays `run` against its stored steps, executes new steps, parks and hibernates it, and writes
/// its outcome.
///
/// An Engine exists only while the instance is in memory: created when the instance is started,
/// dropped when it hibernates, pauses or ends. Every write it makes carries the epoch of its claim,
/// so once someone else changes the instance (terminate, restart, delete, another claim) its
/// writes are rejected and it stops.
final class Engine: Sendable {
    let seq: Int64
    let key: InstanceKey
    var instanceId: String { key.id }
    let runner: AnyWorkflowRunner
    let store: any WorkflowStore
    let clock: any WorkflowClock
    let settings: BrigadeSettings
    let logger: Logger
    /// The node's lease on the instance's shard, carried by the claim and every write.
    let lease: LeaseFence?
    /// With a lease, until when the node may act on it: no step body starts past it.
    let leaseValidity: LeaseValidity?

    /// The engine's state machine, from before its claim to its end.
    let state = Mutex(EngineState())
    /// Wakes the monitor: quiescence, pause requests and cancellations, stop requests.
    let monitorSignal = WakeSignal()
    /// Counts this runtime's Engine objects, so that tests can prove a hibernated instance
    /// leaves none behind.
    let tally: EngineTally
    let metrics: EngineMetrics
    /// Told after every write with history (see ``persist(_:awaitCommit:)``).
    let signals: InstanceSignals
    /// Child workflows and parents' wake-ups go through the runtime.
    let host: EngineHost
    /// The instance as its creation claimed it for this engine (``NewInstance/claimed``): the
    /// engine starts from it instead of claiming.
    private let claimedAtCreation: ReplaySnapshot?

    init(
        seq: Int64, key: InstanceKey, runner: AnyWorkflowRunner, store: any WorkflowStore,
        clock: any WorkflowClock, lease: LeaseFence? = nil, settings: BrigadeSettings, logger: Logger, tally: EngineTally,
        metrics: EngineMetrics, signals: InstanceSignals, host: EngineHost = .none, leaseValidity: LeaseValidity? = nil,
        claimedAtCreation: ReplaySnapshot? = nil
    ) {
        self.leaseValidity = leaseValidity
        self.claimedAtCreation = claimedAtCreation
        self.host = host
        self.tally = tally
        self.metrics = metrics
        self.signals = signals
        tally.count.add(1, ordering: .relaxed)
        self.seq = seq
        self.key = key
        self.runner = runner
        self.store = store
        self.clock = clock
        self.lease = lease
        self.settings = settings
        var logger = logger
        logger[metadataKey: "instance.id"] = "\(key.id)"
        logger[metadataKey: "workflow.name"] = "\(runner.name)"
        self.logger = logger
    }

    deinit {
        tally.count.subtract(1, ordering: .relaxed)
        tally.freed.add(1, ordering: .relaxed)
    }

    /// Runs one lifetime of the instance and reports how it ended.
    func run() async -> EngineOutcome {
        let snapshot: ReplaySnapshot
        if let claimedAtCreation {
            // Claimed by its creation: the queue wait is the time until this start.
            snapshot = claimedAtCreation
            EngineMetrics.record(metrics.queueWait, milliseconds: clock.nowMilliseconds() - snapshot.row.createdAt)
        } else {
            let claimedAt = clock.nowMilliseconds()
            do {
                switch try await store.claim(seq: seq, now: claimedAt, lease: lease) {
                case .gone: return .gone
                case .notRunnable: return .notRunnable
                case .claimed(let claimed): snapshot = claimed
                }
            } catch {
                logger.error("claiming the instance failed: \(error)")
                return .failed
            }
            // The claim sets `startedAt` only the first time: that claim ends the queue wait.
            if snapshot.row.startedAt == claimedAt {
                EngineMetrics.record(metrics.queueWait, milliseconds: claimedAt - snapshot.row.createdAt)
            }
        }
        // Stopped or asked to drain while it claimed: the next start takes the instance.
        guard state.withLock({ $0.claimed(snapshot) }) else { return .stopped }
        logger.debug("engine started", metadata: ["epoch": "\(snapshot.row.epoch)", "steps": "\(snapshot.steps.count)"])

        enum Branch: Sendable {
            case user(Result<Data, any Error>)
            case monitor
        }
        let userResult: Result<Data, any Error>? = await withTaskGroup(of: Branch.self) { group in
            group.addTask {
                let step = WorkflowStep(engine: self)
                let meta = AnyWorkflowRunner.EventMeta(
                    instanceId: snapshot.row.key.id,
                    workflowName: snapshot.row.key.workflow,
                    tenant: snapshot.row.key.tenant,
                    createdAt: snapshot.row.createdAt,
                    trigger: snapshot.row.trigger
                )
                do {
                    let output = try await self.runner.run(snapshot.row.params, meta, step)
                    // Asked to terminate with rollback, `run` ends in rollbacks however it ends.
                    guard self.state.withLock({ $0.terminating }) else { return .user(.success(output)) }
                    try? await self.rollBack(after: TerminationRequest())
                    return .user(.failure(TerminationRequest()))
                } catch {
                    let terminating = self.state.withLock { $0.terminating }
                    // Unwinding meanwhile ends the chain; `finish` reads why from the phase.
                    try? await self.rollBack(after: terminating ? TerminationRequest() : error)
                    return .user(.failure(error))
                }
            }
            group.addTask {
                await self.monitor()
                return .monitor
            }
            var result: Result<Data, any Error>?
            for await branch in group {
                switch branch {
                case .user(let outcome):
                    result = outcome
                    group.cancelAll()
                case .monitor:
                    // The monitor returns once the engine unwinds (hibernation, pause, stop):
                    // every parked branch was released; cancel whatever still runs.
                    group.cancelAll()
                }
            }
            return result
        }
        // A registered rollback's closure may hold the workflow's `step`, and so this engine:
        // the lifetime is over, so the cycle is broken here.
        state.withLock { $0.rollbacks = [:] }
        return await finish(userResult)
    }

    /// Writes the outcome of `run` unless the engine is unwinding.
    private func finish(_ result: Result<Data, any Error>?) async -> EngineOutcome {
        let (phase, fatal, fenced, storageFailed, stopRequested) = state.withLock {
            ($0.phase, $0.fatal, $0.fenced, $0.storageFailed, $0.stopRequested)
        }
        if storageFailed { return .failed }
        if fenced || stopRequested { return .stopped }
        switch phase {
        case .hibernating(let dueAt):
            if case .success = result {
                logger.warning("run returned while hibernating: it caught the engine's unwind signal; the result is ignored")
            }
            return .hibernated(dueAt: dueAt)
        case .paused:
            return .paused
        case .stopping, .claiming:
            // `run` never starts before the claim: `.claiming` is here for completeness.
            return .stopped
        case .running, .pausing:
            break
        }
        guard let result else { return .stopped }
        let now = clock.nowMilliseconds()
        let retention = state.withLock { $0.retention }
        if let fatal {
            return await writeErrored(ErrorInfo(fatal), now: now, retention: retention)
        }
        if state.withLock({ $0.terminating }) {
            return await writeTerminated(now: now, retention: retention)
        }
        switch result {
        case .success(let output):
            // `run` returned without reaching a step an earlier run of it finished: the code no
            // longer takes that path, so what it returned is not the instance's outcome.
            if let expected = state.withLock({ $0.firstUnreached }) {
                var error = BrigadeError.nonDeterministicReplay(expected: expected, reached: nil)
                error.instanceId = instanceId
                if settings.onNonDeterminism == .pause {
                    return await pauseForNonDeterminism(error) ? .paused : .stopped
                }
                return await writeErrored(ErrorInfo(error), now: now, retention: retention)
            }
            if output.count > settings.maxStepResultBytes {
                let error = BrigadeError(
                    .stepOutputTooLarge,
                    "The output of run is \(output.count) bytes; the limit is \(settings.maxStepResultBytes) bytes.",
                    instanceId: instanceId
                )
                return await writeErrored(ErrorInfo(error), now: now, retention: retention)
            }
            let update = InstanceUpdate(
                status: .complete, output: output, endedAt: now,
                expiresAt: now + (retention?.success ?? settings.successRetention).wholeMilliseconds
            )
            let entry = HistoryEntry(
                .workflowCompleted, at: now, data: ["output": .string(String(decoding: output.prefix(4096), as: UTF8.self))])
            return await writeOutcome(update, [entry], now: now, outcome: .completed)
        case .failure(let error):
            if error is EngineUnwind || error is FencedWriteError { return .stopped }
            if error is CancellationError, Task.isCancelled { return .stopped }
            return await writeErrored(ErrorInfo(error), stack: HistoryEntry.stack(of: error), now: now, retention: retention)
        }
    }

    private func writeErrored(_ info: ErrorInfo, stack: JSONValue? = nil, now: Int64, retention: Retention?) async -> EngineOutcome {
        let update = InstanceUpdate(
            status: .errored, error: info, endedAt: now,
            expiresAt: now + (retention?.error ?? settings.errorRetention).wholeMilliseconds
        )
        var data: [String: JSONValue] = ["error": info.json]
        if let stack { data["stack"] = stack }
        let entries = [rollbackClosingEntry(at: now), HistoryEntry(.workflowErrored, at: now, data: data)].compactMap { $0 }
        return await writeOutcome(update, entries, now: now, outcome: .errored)
    }

    /// Ends a terminate with rollback: `terminated`, as a terminate without one is, after the
    /// rollback phase's closing entry.
    private func writeTerminated(now: Int64, retention: Retention?) async -> EngineOutcome {
        let update = InstanceUpdate(
            status: .terminated, endedAt: now, expiresAt: now + (retention?.error ?? settings.errorRetention).wholeMilliseconds)
        let terminated = HistoryEntry(
            .workflowTerminated, at: now, data: ["trigger": .object(["source": .string("api")]), "rollback": .bool(true)])
        return await writeOutcome(update, [rollbackClosingEntry(at: now), terminated].compactMap { $0 }, now: now, outcome: .terminated)
    }

    /// Writes the terminal outcome, fenced like every engine write: it is written once, by the
    /// engine that still owns the instance.
    private func writeOutcome(_ update: InstanceUpdate, _ entries: [HistoryEntry], now: Int64, outcome: EngineOutcome) async -> EngineOutcome {
        var write = newWrite(now: now)
        write.update = update
        write.history = entries
        if let parent = state.withLock({ $0.parent }) {
            write.notice = ParentNotice(link: parent, child: key, status: update.status, output: update.output, error: update.error)
        }
        do {
            try await persist(write, awaitCommit: true)
            logger.debug("instance \(update.status.rawValue)")
            if let notice = write.notice { await host.parentNotified(notice) }
            return outcome
        } catch {
            return outcomeOfFailedWrite(error)
        }
    }

    func outcomeOfFailedWrite(_ error: any Error) -> EngineOutcome {
        if error is FencedWriteError { return .stopped }
        logger.error("writing the outcome failed: \(error)")
        return .failed
    }

    var currentEpoch: Int64 { state.withLock { $0.epoch } }

    /// A write at the engine's claim epoch and under its node's lease: the fence every write of
    /// this engine passes.
    func newWrite(now: Int64) -> InstanceWrite {
        var write = InstanceWrite(seq: seq, epoch: currentEpoch, now: now)
        write.lease = lease
        return write
    }

    /// Every write of the engine goes through here: to the store (awaiting its commit or not),
    /// then, when it carries history, to the instance's streams (``InstanceSignals``).
    func persist(_ write: InstanceWrite, awaitCommit: Bool) async throws {
        try await store.write(write, awaitCommit: awaitCommit)
        if !write.history.isEmpty { signals.historyGrew(key) }
    }

    // MARK: Requests from the control plane

    /// Graceful shutdown: lets step bodies that are running finish and commit, starts no new
    /// step, then stops (see ``EngineState/draining``).
    func drain() {
        state.withLock { $0.draining = true }
        monitorSignal.signal()
    }

    /// Stops this lifetime at once (terminate, restart, delete, shutdown). Running step bodies are
    /// cancelled; nothing more is written.
    func stop() {
        let tickets = state.withLock { $0.stop() }
        for ticket in tickets { ticket.settle(.failure(EngineUnwind(reason: .stop))) }
        monitorSignal.signal()
    }

    /// Hands an event to a waiting branch or buffers it. Returns false when the engine is
    /// unwinding and will not see it: the caller must wake the instance again afterwards.
    func receive(_ event: EventRecord) -> Bool {
        state.withLock { $0.receive(event) } != .refused
    }

    /// Asks a running instance to pause. Returns false when the engine cannot take the request
    /// (not started yet, or already unwinding): the caller then pauses through the store.
    func requestPause() async throws -> Bool {
        guard state.withLock({ $0.requestPause() }) else { return false }
        let now = clock.nowMilliseconds()
        var write = newWrite(now: now)
        write.update = InstanceUpdate(status: .waitingForPause, dueAt: now)
        write.history = [HistoryEntry(.workflowWaitingForPause, at: now)]
        try await persist(write, awaitCommit: true)
        monitorSignal.signal()
        return true
    }

    /// Cancels a pending pause. Returns false when the engine is not pausing.
    func cancelPause() async throws -> Bool {
        guard let tickets = state.withLock({ $0.cancelPause() }) else { return false }
        let now = clock.nowMilliseconds()
        var write = newWrite(now: now)
        write.update = InstanceUpdate(status: .running, dueAt: now)
        write.history = [HistoryEntry(.workflowRunning, at: now)]
        try await persist(write, awaitCommit: true)
        for ticket in tickets { ticket.settle(.success(.proceed)) }
        monitorSignal.signal()
        return true
    }
}
