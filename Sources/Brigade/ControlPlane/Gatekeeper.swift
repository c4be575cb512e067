import Synchronization

/// Leases an account's concurrency slots to its SousChefs. Only `running` instances hold a slot:
/// an instance that parks, pauses or ends gives it back.
///
/// The policy here is first come, first served, with SousChefs that found no free slot woken
/// when one is returned. Cycles with batched requests and max-min fair shares are the next
/// step of the control plane; callers only see `acquire`/`release`, so they will not change.
final class Gatekeeper: Sendable {
    private struct State {
        var capacity: Int
        var leased = 0
        var waiting: [ObjectIdentifier: WakeSignal] = [:]
    }

    private let state: Mutex<State>

    init(capacity: Int) {
        state = Mutex(State(capacity: capacity))
    }

    /// Leases one slot to the SousChef behind `signal`, or registers it to be woken when a slot is
    /// returned.
    func tryAcquire(for signal: WakeSignal) -> Bool {
        state.withLock { state in
            if state.leased < state.capacity {
                state.leased += 1
                return true
            }
            state.waiting[ObjectIdentifier(signal)] = signal
            return false
        }
    }

    /// Returns a slot.
    func release() {
        let waiting = state.withLock { state -> [WakeSignal] in
            precondition(state.leased > 0, "Gatekeeper: a slot was returned twice")
            state.leased -= 1
            let waiting = Array(state.waiting.values)
            state.waiting.removeAll()
            return waiting
        }
        for signal in waiting { signal.signal() }
    }

    /// Slots currently leased.
    var leased: Int { state.withLock { $0.leased } }
}
