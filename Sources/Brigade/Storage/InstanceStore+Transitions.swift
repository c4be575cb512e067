import Foundation

/// The administrative transitions by name.
extension InstanceStore {
    /// Pauses an instance that no engine is running (`waiting`, `running`, `waitingForPause`).
    /// Queued, paused and finished instances are left alone.
    @_spi(Stores) public func pause(_ key: InstanceKey, now: Int64) async throws -> InstanceRow {
        try await apply(.pause, to: key, now: now)
    }

    /// Resumes a paused instance: shifts its pending deadlines by the time it was paused and
    /// queues it. Other statuses are left alone.
    @_spi(Stores) public func resume(_ key: InstanceKey, now: Int64) async throws -> InstanceRow {
        try await apply(.resume, to: key, now: now)
    }

    /// Terminates a non-terminal instance; throws `instance.cannot_terminate` for a finished one.
    /// It expires after its own error retention, or `defaultRetention` if it has none.
    @_spi(Stores) public func terminate(_ key: InstanceKey, now: Int64, defaultRetention: Duration) async throws -> InstanceRow {
        try await apply(.terminate(defaultRetention: defaultRetention), to: key, now: now)
    }

    /// Asks for a terminate with rollback (``InstanceTransition/terminateWithRollback``).
    @_spi(Stores) public func terminateWithRollback(_ key: InstanceKey, now: Int64) async throws -> InstanceRow {
        try await apply(.terminateWithRollback, to: key, now: now)
    }

    /// Restarts an instance from any status: all steps are dropped, or only the step `from`
    /// and those recorded after it. Throws `instance.cannot_restart` if `from` is not in its history.
    @_spi(Stores) public func restart(_ key: InstanceKey, from: StepSelector?, now: Int64) async throws -> InstanceRow {
        try await apply(.restart(from: from), to: key, now: now)
    }
}
