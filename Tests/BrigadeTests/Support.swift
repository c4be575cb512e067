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
