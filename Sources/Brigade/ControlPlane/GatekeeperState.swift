/// The Gatekeeper's bookkeeping: slots leased to each SousChef (a lessee), how many of them run
/// an instance, and what each asked for in its latest request. Held in the Gatekeeper's `Mutex`.
///
/// Invariants (checked by a property test): `0 ≤ inUse ≤ leased` for every lessee, and
/// `Σ leased == leasedTotal`, and `leasedTotal - Σ owed ≤ capacity` (equal to `leasedTotal ≤
/// capacity` unless the capacity was lowered while instances ran: their slots are owed back).
/// In a cluster the capacity is the node's share of the account's slots (``SlotShare``), which
/// changes.
struct GatekeeperState: Sendable {
    /// What a SousChef is waiting to run, by class: woken (resumed) instances go first.
    struct Demand: Sendable, Hashable {
        var woken: Int
        var fresh: Int
        static let zero = Demand(woken: 0, fresh: 0)
        var total: Int { woken + fresh }
    }

    struct Lessee: Sendable {
        var workflow: String
        var leased = 0
        var inUse = 0
        var demand = Demand.zero
        /// Slots to give back as running instances finish (its fair share shrank).
        var owed = 0
    }

    private(set) var capacity: Int
    /// Running instances per workflow; nil for none. Changed by a tenant's own limits.
    var workflowCap: Int?
    var lessees: [LesseeID: Lessee] = [:]
    var leasedTotal = 0
    /// Instances running over all lessees. Bounded by the capacity as well as by each lessee's
    /// lease: after the capacity was lowered, a lessee whose lease was not cut may not start what
    /// another's slots still owed back would put past it.
    var inUseTotal = 0
    /// A request or a returned slot since the last cycle.
    var pending = false

    init(capacity: Int, workflowCap: Int?) {
        self.capacity = capacity
        self.workflowCap = workflowCap
    }

    /// Changes the capacity and divides it again at once: idle slots beyond it are taken back now,
    /// slots in use are owed back as their instances stop, and no lessee starts an instance past
    /// its new share meanwhile. Returns the lessees that received slots.
    mutating func setCapacity(_ capacity: Int) -> [LesseeID] {
        self.capacity = max(0, capacity)
        return cycle()
    }

    /// Every lessee's running instances and demand, summed: what this node reports when it asks
    /// for its share of a cluster's slots.
    var totals: (inUse: Int, woken: Int, fresh: Int) {
        lessees.values.reduce((0, 0, 0)) { ($0.0 + $1.inUse, $0.1 + $1.demand.woken, $0.2 + $1.demand.fresh) }
    }

    mutating func register(_ id: LesseeID, workflow: String) {
        if lessees[id] == nil { lessees[id] = Lessee(workflow: workflow) }
    }

    /// Uses a slot the lessee already holds: no cycle of latency. False when it holds no free one.
    mutating func tryStart(_ id: LesseeID) -> Bool {
        guard var lessee = lessees[id], lessee.inUse < lessee.leased - lessee.owed, inUseTotal < capacity else { return false }
        lessee.inUse += 1
        inUseTotal += 1
        // The instance that starts was part of the recorded request (woken ones start first):
        // it is met. Left as it was, the lessee's next request for as many again — a new
        // instance arriving just after — would equal the stale one and be ignored, and nothing
        // would run a cycle for it.
        if lessee.demand.woken > 0 {
            lessee.demand.woken -= 1
        } else if lessee.demand.fresh > 0 {
            lessee.demand.fresh -= 1
        }
        lessees[id] = lessee
        return true
    }

    /// Slots the lessee holds and could start an instance on now, as ``tryStart(_:)`` judges.
    func freeSlots(_ id: LesseeID) -> Int {
        guard let lessee = lessees[id] else { return 0 }
        return max(0, min(lessee.leased - lessee.owed - lessee.inUse, capacity - inUseTotal))
    }

    /// A running instance parked, paused or ended: its slot returns to the lessee's lease, or to
    /// the account if the lessee owes slots.
    mutating func finished(_ id: LesseeID) {
        guard var lessee = lessees[id] else { return }
        precondition(lessee.inUse > 0, "Gatekeeper: an instance finished that held no slot")
        lessee.inUse -= 1
        inUseTotal -= 1
        if lessee.owed > 0 {
            lessee.owed -= 1
            lessee.leased -= 1
            leasedTotal -= 1
            pending = true
        }
        lessees[id] = lessee
        // A lessee that asked while every slot was taken asks nothing new when one frees up (its
        // demand has not changed, and neither has this one's, if it is idle now): the cycle
        // must run anyway, to move the idle slot or wake a lessee that holds one.
        if !pending, lessees.values.contains(where: { $0.demand.total > 0 }) { pending = true }
    }

    /// Records the lessee's latest request (it replaces the previous one: one batched request per
    /// lessee per cycle). Returns true when the cycle must run.
    mutating func request(_ id: LesseeID, _ demand: Demand) -> Bool {
        guard var lessee = lessees[id], lessee.demand != demand else { return false }
        lessee.demand = demand
        lessees[id] = lessee
        pending = true
        return true
    }

    /// One cycle: computes every lessee's fair share, takes back idle slots that others need, and
    /// grants slots. Returns the lessees that received slots.
    mutating func cycle() -> [LesseeID] {
        pending = false
        let ids = Array(lessees.keys)
        // Woken instances are served first; then everything else a lessee would run — its running
        // instances and its new ones — shares what is left max-min fairly. Running instances count
        // toward a lessee's share, so one that grabbed every slot early gives them back (as its
        // instances stop) when others ask.
        var first = ids.map { lessees[$0]!.demand.woken }
        var second = ids.map { lessees[$0]!.inUse + lessees[$0]!.demand.fresh }
        if let workflowCap {
            Self.capPerWorkflow(ids.map { lessees[$0]!.workflow }, &first, &second, cap: workflowCap)
        }
        let firstShare = Self.waterfill(first, capacity: capacity)
        let secondShare = Self.waterfill(second, capacity: capacity - firstShare.reduce(0, +))
        var targets = zip(firstShare, secondShare).map(+)
        // Spare capacity lets lessees keep idle slots, so that the next instance of a quiet
        // shard starts at once instead of waiting for a cycle.
        // Within the workflow's cap too: idle slots do not block a sibling shard.
        var spare = capacity - targets.reduce(0, +)
        var workflowSpare: [String: Int] = [:]
        if let workflowCap {
            for (index, id) in ids.enumerated() { workflowSpare[lessees[id]!.workflow, default: workflowCap] -= targets[index] }
        }
        for (index, id) in ids.enumerated() where spare > 0 {
            let workflow = lessees[id]!.workflow
            var keep = min(max(0, lessees[id]!.leased - targets[index]), spare)
            if let room = workflowSpare[workflow] { keep = min(keep, max(0, room)) }
            targets[index] += keep
            spare -= keep
            workflowSpare[workflow]? -= keep
        }
        // Take back first, so the slots can be granted in the same cycle.
        for (index, id) in ids.enumerated() {
            var lessee = lessees[id]!
            let excess = lessee.leased - targets[index]
            if excess > 0 {
                let idle = lessee.leased - lessee.inUse
                let now = min(excess, idle)
                lessee.leased -= now
                leasedTotal -= now
                lessee.owed = excess - now
            } else {
                lessee.owed = 0
            }
            lessees[id] = lessee
        }
        // A workflow's leases, including slots its lessees still owe, never exceed its cap.
        var workflowLeased: [String: Int] = [:]
        for lessee in lessees.values { workflowLeased[lessee.workflow, default: 0] += lessee.leased }
        var granted: [LesseeID] = []
        for (index, id) in ids.enumerated() {
            var lessee = lessees[id]!
            // One that holds a free slot and waits to run something is woken as well: the
            // capacity may have held it back.
            if lessee.demand.total > 0, lessee.inUse < lessee.leased - lessee.owed, inUseTotal < capacity {
                granted.append(id)
            }
            var missing = min(targets[index] - lessee.leased, capacity - leasedTotal)
            if let workflowCap { missing = min(missing, workflowCap - workflowLeased[lessee.workflow, default: 0]) }
            if missing > 0 {
                lessee.leased += missing
                leasedTotal += missing
                workflowLeased[lessee.workflow, default: 0] += missing
                lessees[id] = lessee
                if granted.last != id { granted.append(id) }
            }
        }
        return granted
    }

    /// Max-min fair division of `capacity` among `demands`: nobody gets more than it asked for,
    /// and nobody who got less than it asked for gets less than anyone else.
    static func waterfill(_ demands: [Int], capacity: Int) -> [Int] {
        var shares = Array(repeating: 0, count: demands.count)
        var remaining = max(0, capacity)
        var open = demands.indices.filter { demands[$0] > 0 }.sorted { demands[$0] < demands[$1] }
        while !open.isEmpty && remaining > 0 {
            let even = remaining / open.count
            if even == 0 {
                // Fewer slots than open demands: one each, largest demands last.
                for index in open.prefix(remaining) { shares[index] += 1 }
                return shares
            }
            let smallest = open[0]
            let give = min(even, demands[smallest] - shares[smallest])
            for index in open { shares[index] += give }
            remaining -= give * open.count
            open.removeAll { shares[$0] >= demands[$0] }
        }
        return shares
    }

    /// Caps each workflow's demand at `cap`, class 1 first, split max-min among its lessees.
    static func capPerWorkflow(_ workflows: [String], _ first: inout [Int], _ second: inout [Int], cap: Int) {
        for workflow in Set(workflows) {
            let members = workflows.indices.filter { workflows[$0] == workflow }
            let firstShare = waterfill(members.map { first[$0] }, capacity: cap)
            let secondShare = waterfill(members.map { second[$0] }, capacity: cap - firstShare.reduce(0, +))
            for (position, index) in members.enumerated() {
                first[index] = firstShare[position]
                second[index] = secondShare[position]
            }
        }
    }

    /// Checks the invariants; for tests.
    func check() -> String? {
        var total = 0
        for (id, lessee) in lessees {
            if lessee.inUse < 0 || lessee.leased < 0 || lessee.owed < 0 { return "negative count for \(id)" }
            if lessee.inUse > lessee.leased { return "\(id) runs \(lessee.inUse) instances on \(lessee.leased) slots" }
            total += lessee.leased
        }
        if total != leasedTotal { return "leased \(total) but counted \(leasedTotal)" }
        let running = lessees.values.reduce(0) { $0 + $1.inUse }
        if running != inUseTotal { return "\(running) running but counted \(inUseTotal)" }
        if let workflowCap {
            var running: [String: Int] = [:]
            for lessee in lessees.values { running[lessee.workflow, default: 0] += lessee.inUse }
            if let over = running.first(where: { $0.value > workflowCap }) {
                return "workflow \(over.key) runs \(over.value) instances; its cap is \(workflowCap)"
            }
        }
        let owed = lessees.values.reduce(0) { $0 + $1.owed }
        if leasedTotal - owed > capacity { return "leased \(leasedTotal) (\(owed) owed back) of \(capacity)" }
        return nil
    }
}
