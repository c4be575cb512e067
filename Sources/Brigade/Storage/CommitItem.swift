/// An item of a store's group committer: an engine's write, or any other change as the store's
/// `Body` (a closure over its connection), with those waiting for its result.
@_spi(Stores) public struct CommitItem<Body: Sendable>: JoinableCommitItem {
    /// What the item does.
    public enum Work: Sendable {
        case write(InstanceWrite)
        case body(Body)
    }

    public var work: Work
    /// Those waiting for this item's result (none for a lazy write; several once writes were
    /// joined).
    public var completions: [@Sendable (Result<any Sendable, any Error>) -> Void]

    public init(_ work: Work, completion: (@Sendable (Result<any Sendable, any Error>) -> Void)?) {
        self.work = work
        completions = completion.map { [$0] } ?? []
    }

    public var write: InstanceWrite? {
        if case .write(let write) = work { return write }
        return nil
    }

    public mutating func absorb(_ later: CommitItem, joined: InstanceWrite) {
        work = .write(joined)
        completions += later.completions
    }
}

extension CommitItem {
    /// Hands `work` to a committer's `enqueue` and returns its result once the transaction holding
    /// it has committed.
    public static func awaiting<T: Sendable>(_ work: Work, to enqueue: (CommitItem) -> Void) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(CommitItem(work, completion: { result in continuation.resume(with: result.map { $0 as! T }) }))
        }
    }

    /// Hands an engine's write to a committer's `enqueue`: returns once it has committed when
    /// `awaitCommit`, at once otherwise (a lazy write rides along with the next commit).
    public static func submit(_ write: InstanceWrite, awaitCommit: Bool, to enqueue: (CommitItem) -> Void) async throws {
        guard awaitCommit else { return enqueue(CommitItem(.write(write), completion: nil)) }
        let _: Void = try await awaiting(.write(write), to: enqueue)
    }
}
