import Synchronization

/// Leases an account's concurrency slots to its SousChefs in cycles. Only `running` instances
/// hold a slot: an instance that parks, pauses or ends gives it back to its SousChef's lease.
///
/// A SousChef that has a free leased slot starts an instance at once. One that needs more
/// records a request (its runnable demand, by class); the Gatekeeper reads every request once per
/// cycle (``BrigadeSettings/gatekeeperCycle``), divides the slots max-min fairly, woken instances
/// before new ones and within per-workflow caps, takes back idle slots that others need, and wakes
/// the SousChefs it granted slots to.
final class Gatekeeper: Sendable {
    let tenant: String
    private let cycleLength: Duration
    private let state: Mutex<GatekeeperState>
    private let signals = Mutex<[LesseeID: WakeSignal]>([:])
    private let wake = WakeSignal()

    init(tenant: String, settings: BrigadeSettings) {
        self.tenant = tenant
        self.cycleLength = settings.gatekeeperCycle
        self.state = Mutex(GatekeeperState(capacity: settings.maxRunningPerAccount, workflowCap: settings.maxRunningPerWorkflow))
    }

    /// Registers a SousChef; `signal` wakes it when it is granted slots.
    func register(_ id: LesseeID, signal: WakeSignal) {
        signals.withLock { $0[id] = signal }
        state.withLock { $0.register(id, workflow: id.shard.workflow) }
    }

    /// Starts an instance on a slot the SousChef already leases. False when it has none free.
    func tryStart(_ id: LesseeID) -> Bool {
        state.withLock { $0.tryStart(id) }
    }

    /// An instance of this SousChef stopped running.
    func finished(_ id: LesseeID) {
        let pending = state.withLock { state -> Bool in
            state.finished(id)
            return state.pending
        }
        if pending { wake.signal() }
    }

    /// Records what the SousChef is waiting to run; read at the next cycle.
    func request(_ id: LesseeID, _ demand: GatekeeperState.Demand) {
        if state.withLock({ $0.request(id, demand) }) { wake.signal() }
    }

    /// The cycle loop: runs a cycle when something changed, at most once per cycle length.
    func run() async {
        let clock = ContinuousClock()
        var last = clock.now - cycleLength
        while !Task.isCancelled {
            await wake.wait()
            if Task.isCancelled { return }
            let next = last + cycleLength
            if clock.now < next {
                try? await clock.sleep(until: next)
            }
            last = clock.now
            let granted = state.withLock { $0.cycle() }
            let wakeUp = signals.withLock { signals in granted.compactMap { signals[$0] } }
            for signal in wakeUp { signal.signal() }
        }
    }

    /// Sets how many slots the account has on this node (its share of a cluster's) and divides
    /// them again at once. Returns how many instances run now, which no lower capacity stops:
    /// their slots come back as they end.
    @discardableResult
    func setCapacity(_ capacity: Int) -> Int {
        let (granted, inUse) = state.withLock { state in (state.setCapacity(capacity), state.totals.inUse) }
        let wakeUp = signals.withLock { signals in granted.compactMap { signals[$0] } }
        for signal in wakeUp { signal.signal() }
        return inUse
    }

    /// Sets the per-workflow cap (a tenant's own limits changed); the next cycle applies it.
    func setWorkflowCap(_ cap: Int?) {
        state.withLock { $0.workflowCap = cap }
        wake.signal()
    }

    /// The slots this node has for the account.
    var capacity: Int { state.withLock { $0.capacity } }

    /// Running instances and waiting demand over every SousChef of this node.
    var totals: (inUse: Int, woken: Int, fresh: Int) { state.withLock { $0.totals } }

    /// Instances currently running on leased slots.
    var inUse: Int { state.withLock { $0.lessees.values.reduce(0) { $0 + $1.inUse } } }

    /// Slots the SousChef leases and could start an instance on now (taken only by `tryStart`).
    func freeSlots(_ id: LesseeID) -> Int {
        state.withLock { $0.freeSlots(id) }
    }
}
