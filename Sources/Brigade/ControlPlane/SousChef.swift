import Foundation
import Logging
import Synchronization

/// Runs one shard of one workflow's instances: keeps their due timers and runnable queue, leases
/// slots from the account's Gatekeeper, starts an Engine per runnable instance, and sweeps the
/// store so that no instance whose alarm passed is ever left behind (after a crash, a lost
/// wake-up or a bug).
final class SousChef: Sendable {
    let shard: ShardKey
    let runner: AnyWorkflowRunner
    let account: Account
    let store: any WorkflowStore
    let clock: any WorkflowClock
    let settings: BrigadeSettings
    let logger: Logger
    let tally: EngineTally
    let completions: CompletionWaiters

    private let state = Mutex(SousChefState())
    private let signal = WakeSignal()
    private let lessee: LesseeID

    init(
        shard: ShardKey, runner: AnyWorkflowRunner, account: Account, store: any WorkflowStore,
        clock: any WorkflowClock, settings: BrigadeSettings, logger: Logger, tally: EngineTally,
        completions: CompletionWaiters
    ) {
        self.tally = tally
        self.completions = completions
        self.shard = shard
        self.runner = runner
        self.account = account
        self.store = store
        self.clock = clock
        self.settings = settings
        var logger = logger
        logger[metadataKey: "shard"] = "\(shard)"
        self.logger = logger
        self.lessee = LesseeID(shard: shard)
        account.gatekeeper.register(lessee, signal: signal)
    }

    /// The SousChef's loop. Engines run as child tasks; cancelling the loop stops them.
    func run() async {
        await withDiscardingTaskGroup { group in
            var nextSweep = Int64.min
            while !Task.isCancelled {
                var now = clock.nowMilliseconds()
                if now >= nextSweep {
                    // The sweep covers up to `now + horizon`; the next one is due relative to the
                    // same `now`, so that time moving on during the sweep cannot skip a window.
                    await sweep(now: now)
                    nextSweep = now + settings.sweepInterval.wholeMilliseconds
                    now = clock.nowMilliseconds()
                }
                state.withLock { $0.fireDue(now: now) }
                startRunnable(in: &group)
                let nextDue = state.withLock { $0.nextDue() }
                let wakeAt = min(nextDue ?? .max, nextSweep)
                await signal.wait(until: Date(millisecondsSince1970: wakeAt), clock: clock)
            }
        }
    }

    /// Starts runnable instances on the slots this SousChef leases, then tells the Gatekeeper
    /// what is still waiting (its one request for the next cycle).
    private func startRunnable(in group: inout DiscardingTaskGroup) {
        let gatekeeper = account.gatekeeper
        while state.withLock({ $0.hasRunnable }), gatekeeper.tryStart(lessee) {
            let started = state.withLock { state in
                state.startNext { seq, id in
                    Engine(
                        seq: seq, instanceId: id, runner: runner, store: store, clock: clock,
                        settings: settings, logger: logger, tally: tally
                    )
                }
            }
            guard let (seq, engine) = started else {
                gatekeeper.finished(lessee)
                break
            }
            group.addTask {
                let outcome = await engine.run()
                self.engineExited(seq: seq, outcome: outcome)
            }
        }
        gatekeeper.request(lessee, state.withLock { $0.demand })
    }

    private func engineExited(seq: Int64, outcome: EngineOutcome) {
        account.gatekeeper.finished(lessee)
        let now = clock.nowMilliseconds()
        let horizon = now + settings.timerHorizon.wholeMilliseconds
        let id = state.withLock { state -> String? in
            guard let entry = state.entries[seq], case .live(_, let wakeRequested) = entry.place else { return nil }
            state.entries[seq] = nil
            switch outcome {
            case .hibernated(let dueAt) where !wakeRequested:
                // Beyond the horizon the sweep brings it back in time; only the near future is
                // held in memory.
                if dueAt <= horizon { state.schedule(seq: seq, id: entry.id, dueAt: dueAt, woken: true) }
            case .failed:
                state.schedule(seq: seq, id: entry.id, dueAt: now + 1_000, woken: true)
            default:
                if wakeRequested { state.makeRunnable(seq: seq, id: entry.id, woken: true) }
            }
            return entry.id
        }
        if let id, outcome.isTerminal {
            completions.finished(InstanceKey(tenant: shard.tenant, workflow: shard.workflow, id: id))
        }
        signal.signal()
    }

    /// Loads due instances this SousChef does not know of: the liveness sweep.
    private func sweep(now: Int64) async {
        do {
            let due = try await store.dueInstances(
                shard, dueBefore: now + settings.timerHorizon.wholeMilliseconds, limit: 10_000
            )
            state.withLock { state in
                for instance in due {
                    state.schedule(seq: instance.seq, id: instance.id, dueAt: instance.dueAt, woken: instance.status != .queued)
                }
            }
        } catch {
            logger.error("sweeping for due instances failed: \(error)")
        }
    }

    // MARK: Notifications from the creation path and the instance operations

    /// A new instance was created in this shard.
    func created(seq: Int64, id: String) {
        if state.withLock({ $0.makeRunnable(seq: seq, id: id, woken: false) }) { signal.signal() }
    }

    /// An instance must run again now (resumed, restarted, woken).
    func wake(seq: Int64, id: String) {
        if state.withLock({ $0.makeRunnable(seq: seq, id: id, woken: true) }) { signal.signal() }
    }

    /// An event was stored for an instance of this shard.
    func eventArrived(seq: Int64, id: String, event: EventRecord, status: InstanceStatus) {
        if let engine = liveEngine(seq: seq) {
            if engine.receive(event) { return }
            // The engine is unwinding and will not see the event: run the instance again after.
            wake(seq: seq, id: id)
        } else if status == .waiting {
            wake(seq: seq, id: id)
        }
    }

    /// The live engine of an instance, if it runs here.
    func liveEngine(seq: Int64) -> Engine? {
        state.withLock { state in
            if case .live(let engine, _)? = state.entries[seq]?.place { return engine }
            return nil
        }
    }

    /// Stops the instance's engine if it runs, and forgets its timer.
    func stop(seq: Int64) {
        liveEngine(seq: seq)?.stop()
        state.withLock { $0.forget(seq: seq) }
    }

    /// Forgets a timer or queue entry (the instance was paused through the store).
    func forget(seq: Int64) {
        state.withLock { $0.forget(seq: seq) }
    }

    /// Engines currently in memory.
    var liveCount: Int { state.withLock { $0.liveCount } }
}
