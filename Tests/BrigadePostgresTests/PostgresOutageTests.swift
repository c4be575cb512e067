@_spi(Stores) import Brigade
@testable import BrigadePostgres
import BrigadeTesting
import Foundation
import Testing

/// PostgreSQL going away under a store and coming back (R6, at the store's level): calls made
/// meanwhile fail as the store's failure (503 material, with a Retry-After), never as the
/// caller's, and the same store works again once the server is back, with nothing lost.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable)) struct PostgresOutageTests {
    static func create(_ store: PostgresStore, _ id: String) async throws {
        _ = try await store.createInstances(
            [NewInstance(key: InstanceKey(tenant: "t", workflow: "w", id: id), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1)],
            skipExisting: false, maxQueued: .max)
    }

    /// Waits until `store` writes instance `id` (default "after"), its storage failures meanwhile
    /// being what it answers while the server comes back (or while a loaded machine is slow to
    /// answer within these tests' short lease timeout). A retry that finds the id taken wrote it.
    static func writesAgain(_ store: PostgresStore, id: String = "after", within timeout: Duration = .seconds(30)) async throws {
        try await eventually("the store to write again", timeout: timeout) {
            do {
                try await create(store, id)
                return true
            } catch let error as BrigadeError where error.isStorageFailure {
                return false
            } catch let error as BrigadeError where error.code == .instanceAlreadyExists {
                return true
            }
        }
    }

    /// `store` migrated, retried while a loaded machine answers slower than the short lease
    /// timeout these tests use.
    static func migrated(_ store: PostgresStore) async throws -> PostgresStore {
        try await eventually("the store to migrate", timeout: .seconds(30)) {
            do {
                try await store.migrate()
                return true
            } catch let error as BrigadeError where error.isStorageFailure {
                return false
            }
        }
        return store
    }

    @Test func aStoppedServerIsTheStoresFailureAndTheStoreRecovers() async throws {
        let server = try PostgresTestServer.startPrivate()
        defer { try? server.stop() }
        // A short lease timeout: each call refused meanwhile fails after it, not after the pool's
        // own minute.
        let store = try PostgresStore(url: try server.newDatabase(), maxConnections: 2, leaseTimeout: .seconds(1))
        _ = try await Self.migrated(store)
        try await Self.writesAgain(store, id: "before")

        try server.stop()
        for call in 0..<3 {
            do {
                try await Self.create(store, "during-\(call)")
                Issue.record("a write succeeded with the server stopped")
            } catch let error as BrigadeError {
                #expect(error.isStorageFailure, "\(error)")
                #expect(error.retryAfter != nil)
            }
            do {
                _ = try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "before"))
                Issue.record("a read succeeded with the server stopped")
            } catch let error as BrigadeError {
                #expect(error.code == .storageUnavailable, "\(error)")
            }
        }

        try server.start()
        // The lanes and the pool reconnect on their own (the pool after its back-off): no new
        // store, no restart. A lane may write again before the pool reads again.
        try await Self.writesAgain(store, within: .seconds(60))
        var before: InstanceRow?
        try await eventually("the store to read again", timeout: .seconds(60)) {
            do {
                before = try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "before"))
                return true
            } catch let error as BrigadeError where error.isStorageFailure {
                return false
            }
        }
        #expect(before != nil, "nothing committed was lost")
        #expect(try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "during-0")) == nil, "nothing refused was written")
        await store.close()
    }

    /// A server that takes the connection but never answers (its postmaster stopped with
    /// SIGSTOP): a writer lane's connect gives up within the lease timeout as the store's
    /// failure, instead of holding the lane and every write queued behind it; once the server
    /// answers again, the lane connects and writes.
    @Test func aServerThatNeverAnswersTheConnectIsTheStoresFailureWithinTheTimeout() async throws {
        let server = try PostgresTestServer.startPrivate()
        defer { try? server.stop() }
        let store = try await Self.migrated(PostgresStore(url: try server.newDatabase(), writerLanes: 1, leaseTimeout: .seconds(1)))
        let pidText = try String(contentsOfFile: server.directory + "/data/postmaster.pid", encoding: .utf8)
        let postmaster = try #require(pidText.split(separator: "\n").first.flatMap { pid_t($0) })
        // Stopped before the lane's first commit: the lane has no connection yet.
        #expect(kill(postmaster, SIGSTOP) == 0)
        let start = ContinuousClock.now
        do {
            try await Self.create(store, "while-stopped")
            Issue.record("a write succeeded with the server not answering")
        } catch let error as BrigadeError {
            #expect(error.code == .storageUnavailable, "\(error)")
        }
        let waited = ContinuousClock.now - start
        #expect(kill(postmaster, SIGCONT) == 0)
        #expect(waited < .seconds(10), "the connect gave up after \(waited), not within the 1 s timeout")
        try await Self.writesAgain(store)
        #expect(try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "while-stopped")) == nil)
        await store.close()
    }

    /// The server dying while a lane's transaction is on the wire: the outcome is unknown (it may
    /// have committed just before), and the error says so, so that a client reads back before it
    /// retries; the lane connects again once the server is back.
    @Test func aConnectionLostMidRequestSaysTheOutcomeIsUnknown() async throws {
        let server = try PostgresTestServer.startPrivate()
        defer { try? server.stop() }
        let store = try await Self.migrated(PostgresStore(url: try server.newDatabase(), writerLanes: 1, leaseTimeout: .seconds(1)))
        let logger = store.logger
        let started = AsyncStream<Void>.makeStream()
        let request = Task {
            try await store.lanes[0].submit { connection in
                started.continuation.yield()
                _ = try await connection.query("SELECT pg_sleep(30)", logger: logger).collect()
                return 1
            }
        }
        for await _ in started.stream { break }
        try await Task.sleep(for: .milliseconds(200))
        try server.stop()
        do {
            _ = try await request.value
            Issue.record("the request succeeded with its server gone")
        } catch let error as BrigadeError {
            #expect(error.code == .storageUnavailable && error.retryAfter != nil, "\(error)")
            #expect(error.message.contains("unknown"), "\(error.message)")
        }
        try server.start()
        try await Self.writesAgain(store)
        await store.close()
    }

    /// A request that runs past the run limit (here a statement that sleeps, standing for a
    /// server gone silent): the lane's commit and a pooled read each fail within the limit, as the
    /// store's failure saying the outcome is unknown, their connections are closed, and the store
    /// goes on (the lane connects again).
    @Test func aRequestPastItsRunLimitFailsSayingItsOutcomeIsUnknown() async throws {
        let store = try await Self.migrated(
            PostgresStore(url: try PostgresTestServer.shared().newDatabase(), writerLanes: 1, leaseTimeout: .seconds(1), runTimeout: .seconds(1)))
        let logger = store.logger
        for (what, call) in [
            ("a lane's commit", { @Sendable in _ = try await store.lanes[0].submit { try await $0.query("SELECT pg_sleep(20)", logger: logger).collect() } }),
            ("a pooled read", { @Sendable in _ = try await store.read { connection, logger in try await connection.query("SELECT pg_sleep(20)", logger: logger).collect() } }),
        ] as [(String, @Sendable () async throws -> Void)] {
            let start = ContinuousClock.now
            do {
                try await call()
                Issue.record("\(what) ran past its limit and succeeded")
            } catch let error as BrigadeError {
                #expect(error.code == .storageUnavailable && error.message.contains("unknown"), "\(what): \(error)")
            }
            let waited = ContinuousClock.now - start
            #expect(waited < .seconds(10), "\(what) failed after \(waited), not at its 1 s + 1 s limit")
        }
        try await Self.writesAgain(store)
        await store.close()
    }

    /// A store dropped without `close()` closes its connections, the writer lanes' included
    /// (postgres-nio traps in debug builds on a connection released unclosed).
    @Test func aStoreDroppedWithoutCloseClosesItsConnections() async throws {
        let server = try PostgresTestServer.shared()
        let url = try server.newDatabase()
        let database = try PostgresLocation(url: url).database
        let checker = try PostgresStore(url: server.url(database: "postgres"), maxConnections: 2)
        @Sendable func connections() async throws -> Int {
            try await checker.read { connection, logger in
                var count = 0
                for try await value in try await connection.query(
                    "SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = \(database)", logger: logger
                ).decode(Int.self) { count = value }
                return count
            }
        }
        do {
            let store = try PostgresStore(url: url, writerLanes: 2)
            try await store.migrate()
            try await Self.create(store, "dropped")
            #expect(try await connections() >= 2, "the pool's and a lane's")
        }
        try await eventually("the dropped store's connections to close", timeout: .seconds(20)) { try await connections() == 0 }
        await checker.close()
    }
}
