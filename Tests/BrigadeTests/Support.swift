import Brigade
import BrigadeTesting
import Foundation
import Synchronization

/// Counts how often each step body really ran: a ledger outside the engine.
final class Ledger: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func record(_ key: String) {
        counts.withLock { $0[key, default: 0] += 1 }
    }

    func count(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

struct Empty: Codable, Sendable {}

/// A latch a test opens to let a blocked step body continue.
final class Gate: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A flag a test flips to simulate a code change between two runs of the same instance.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom" }
}

extension TestBrigade {
    /// Waits until the instance hibernated: `waiting`, no engine in memory, no slot held.
    func waitForHibernation<W: Workflow>(_ instance: WorkflowInstance<W>) async throws {
        try await instance.waitForStatus(.waiting)
        try await eventually("no live engine, no Engine object and no leased slot") {
            runtime.liveInstanceCount == 0 && runtime.engineObjectCount == 0 && runtime.runningSlots() == 0
        }
    }
}
