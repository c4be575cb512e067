import Synchronization

/// Account ids the server has seen exist, at most ``capacity`` of them (past it, the set starts
/// again: a cache, never the authority). Only positive answers are kept, and tenants are never
/// deleted, so a kept id is never wrong.
final class KnownAccounts: Sendable {
    static let capacity = 100_000
    private let ids = Mutex<Set<String>>([])

    func contains(_ id: String) -> Bool {
        ids.withLock { $0.contains(id) }
    }

    func insert(_ id: String) {
        ids.withLock { ids in
            if ids.count >= Self.capacity { ids.removeAll(keepingCapacity: true) }
            ids.insert(id)
        }
    }
}
