import Foundation
import Synchronization

/// The JavaScriptCore VMs a sandbox boots tenant runners into. A runner goes to the VM with the
/// fewest runners; a new VM is made when there are fewer than
/// ``JavaScriptSandbox/Settings/machines`` or when every VM holds
/// ``JavaScriptSandbox/Settings/runnersPerMachine``. A retired VM leaves the pool when it is
/// retired, an empty one beyond the minimum at the next boot; either lives on while its runners do.
///
/// Why a cap per VM: each context links and profiles its own copy of the code, and the more
/// contexts a VM holds the slower a warm wake in it (measured in BENCHMARKS.md); a VM's boot,
/// shared by the runners in it, is what the cap trades against.
///
/// Heavy tenants are kept apart. A VM runs one entry at a time, so a tenant whose entry computes
/// for a second holds up every other tenant in its VM for that second. A tenant with an entry
/// (its module's load included) that used more than
/// ``JavaScriptSandbox/Settings/isolationThreshold`` of CPU time, or that a limit stopped, is
/// isolated for ``JavaScriptSandbox/Settings/isolationTime``: its runners are booted into a VM of
/// their own kind (one, shared by all isolated tenants), where it slows down only other heavy
/// tenants.
final class JSMachinePool: Sendable {
    private let settings: JavaScriptSandbox.Settings
    private let now: @Sendable () -> UInt64
    private struct State {
        var machines: [JSMachine] = []
        var made = 0
        /// The VM isolated tenants are booted into, made when the first one is.
        var isolation: JSMachine?
        /// Isolated tenants, until when (``now`` nanoseconds).
        var isolated: [String: UInt64] = [:]
        /// Tenants whose code was stopped by a limit lately, and how long their code waits.
        var backoff: LimitBackoff
    }
    private let state: Mutex<State>

    /// `now`: a monotonic clock in nanoseconds (tests pass their own).
    init(settings: JavaScriptSandbox.Settings, now: @escaping @Sendable () -> UInt64) {
        self.settings = settings
        self.now = now
        func nanoseconds(_ duration: Duration) -> UInt64 { UInt64(max(0, duration.wholeMilliseconds)) * 1_000_000 }
        state = Mutex(
            State(
                backoff: LimitBackoff(
                    base: nanoseconds(settings.limitBackoff), cap: nanoseconds(settings.limitBackoffCap),
                    memory: nanoseconds(settings.isolationTime))))
    }

    /// Counts a stop of `tenant`'s code by a limit (see ``LimitBackoff``).
    func strike(_ tenant: String) {
        let time = now()
        state.withLock { _ = $0.backoff.strike(tenant, at: time) }
    }

    /// How long `tenant`'s code must wait before it runs again, if it must.
    func backoff(for tenant: String) -> Duration? {
        let time = now()
        let wait = state.withLock { $0.backoff.wait(for: tenant, at: time) }
        return wait == 0 ? nil : .nanoseconds(Int64(clamping: wait))
    }

    /// The VM the next runner of `tenant` should live in, counted in its
    /// ``JSMachine/runnerCount`` now (so that boots at the same time spread out); the runner's
    /// release gives the count back.
    func machine(for tenant: String) -> JSMachine {
        let time = now()
        return state.withLock { state -> JSMachine in
            if Self.isIsolated(tenant, at: time, in: &state) { return isolationMachine(&state) }
            let minimum = max(1, settings.machines)
            while state.machines.count > minimum, let empty = state.machines.firstIndex(where: { $0.runnerCount.load(ordering: .relaxed) == 0 }) {
                state.machines.remove(at: empty)
            }
            let least = state.machines.min { $0.runnerCount.load(ordering: .relaxed) < $1.runnerCount.load(ordering: .relaxed) }
            if let least, state.machines.count >= minimum, least.runnerCount.load(ordering: .relaxed) < max(1, settings.runnersPerMachine) {
                least.runnerCount.add(1, ordering: .relaxed)
                return least
            }
            let machine = makeMachine(&state, isolation: false)
            state.machines.append(machine)
            return machine
        }
    }

    /// Isolates `tenant` from now for ``JavaScriptSandbox/Settings/isolationTime`` (see the type's
    /// comment). Its runners in other VMs are retired by their caller.
    func isolate(_ tenant: String) {
        let time = now()
        let until = time &+ UInt64(max(0, settings.isolationTime.wholeMilliseconds)) * 1_000_000
        state.withLock { state in
            // Bounded by the tenants that ran heavy code in the last isolation time; the expired
            // go when there are many.
            if state.isolated.count >= 10_000 { state.isolated = state.isolated.filter { $0.value > time } }
            if !Self.isIsolated(tenant, at: time, in: &state) { Counters.tenantsIsolated.add(1, ordering: .relaxed) }
            state.isolated[tenant] = until
        }
    }

    /// Whether `tenant` is isolated now.
    func isIsolated(_ tenant: String) -> Bool {
        let time = now()
        return state.withLock { state in Self.isIsolated(tenant, at: time, in: &state) }
    }

    /// Whether `tenant` is isolated at `time`; an isolation that has ended is forgotten.
    private static func isIsolated(_ tenant: String, at time: UInt64, in state: inout State) -> Bool {
        guard let until = state.isolated[tenant] else { return false }
        if time < until { return true }
        state.isolated[tenant] = nil
        return false
    }

    private func isolationMachine(_ state: inout State) -> JSMachine {
        if let machine = state.isolation, !machine.isRetired {
            machine.runnerCount.add(1, ordering: .relaxed)
            return machine
        }
        let machine = makeMachine(&state, isolation: true)
        state.isolation = machine
        return machine
    }

    private func makeMachine(_ state: inout State, isolation: Bool) -> JSMachine {
        state.made += 1
        let machine = JSMachine(number: state.made, settings: settings, isolation: isolation) { [weak self] retired in self?.remove(retired) }
        machine.runnerCount.add(1, ordering: .relaxed)
        return machine
    }

    private func remove(_ machine: JSMachine) {
        state.withLock { state in
            state.machines.removeAll { $0 === machine }
            if state.isolation === machine { state.isolation = nil }
        }
    }

    /// VMs in the pool now, the isolation VM included (retired ones, which leave it when
    /// retired, are not counted).
    var liveCount: Int { state.withLock { $0.machines.count + ($0.isolation == nil ? 0 : 1) } }
}
