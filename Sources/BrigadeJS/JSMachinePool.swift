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
final class JSMachinePool: Sendable {
    private let settings: JavaScriptSandbox.Settings
    private struct State {
        var machines: [JSMachine] = []
        var made = 0
    }
    private let state = Mutex(State())

    init(settings: JavaScriptSandbox.Settings) {
        self.settings = settings
    }

    /// The VM the next runner should live in, counted in its ``JSMachine/runnerCount`` now (so that
    /// boots at the same time spread out); the runner's release gives the count back.
    func machine() -> JSMachine {
        state.withLock { state -> JSMachine in
            let minimum = max(1, settings.machines)
            while state.machines.count > minimum, let empty = state.machines.firstIndex(where: { $0.runnerCount.load(ordering: .relaxed) == 0 }) {
                state.machines.remove(at: empty)
            }
            let least = state.machines.min { $0.runnerCount.load(ordering: .relaxed) < $1.runnerCount.load(ordering: .relaxed) }
            if let least, state.machines.count >= minimum, least.runnerCount.load(ordering: .relaxed) < max(1, settings.runnersPerMachine) {
                least.runnerCount.add(1, ordering: .relaxed)
                return least
            }
            state.made += 1
            let machine = JSMachine(number: state.made, settings: settings) { [weak self] retired in self?.remove(retired) }
            state.machines.append(machine)
            machine.runnerCount.add(1, ordering: .relaxed)
            return machine
        }
    }

    private func remove(_ machine: JSMachine) {
        state.withLock { $0.machines.removeAll { $0 === machine } }
    }

    /// VMs in the pool now (retired ones, which leave it when retired, are not counted).
    var liveCount: Int { state.withLock { $0.machines.count } }
}
