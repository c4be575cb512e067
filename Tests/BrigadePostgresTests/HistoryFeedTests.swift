import BrigadeTesting
import Foundation
import Logging
import PostgresNIO
import Testing

@_spi(Stores) @testable import Brigade
@testable import BrigadePostgres

/// Three steps, for a feed to follow.
struct Trio: Workflow {
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> Int {
        var total = 0
        for index in 1...3 { total += try await step.do("add \(index)") { index } }
        return total
    }
}

/// A tenant's feed: every event of many instances once, in commit order, resumable from any
/// cursor; on PostgreSQL, an event of a transaction still open is not passed over.
@Suite struct HistoryFeedTests {
    @Test(arguments: StoreKind.available)
    func aFeedGivesEveryInstancesEventsOnceAndResumesFromAnyCursor(_ kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.makeStore()
        let runtime = BrigadeRuntime(store: store)
        try runtime.register(Trio())
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runtime.run() }
                defer { group.cancelAll() }
                let ids = (0..<40).map { "t\($0)" }
                // Followed from the first event, while the instances are made and run.
                let follower = Task {
                    var seen: [FeedEvent] = []
                    var finished = Set<String>()
                    for try await event in runtime.feed(
                        tenant: BrigadeRuntime.defaultTenant, workflow: Trio.name, pollInterval: .milliseconds(200))
                    {
                        seen.append(event)
                        if event.event.entry.type == .workflowCompleted { finished.insert(event.event.instanceId) }
                        if finished.count == ids.count { break }
                    }
                    return seen
                }
                for chunk in stride(from: 0, to: ids.count, by: 10) {
                    _ = try await runtime.createInstanceBatch(
                        workflow: Trio.name, ids[chunk..<chunk + 10].map { NewInstanceRequest(id: $0, params: Data("{}".utf8)) })
                }
                let seen = try await follower.value
                // Every instance's history, each event once, in each instance's own order.
                for id in ids {
                    let own = try await runtime.history(InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Trio.name, id: id))
                    let fed = seen.filter { $0.event.instanceId == id }.map(\.event)
                    #expect(fed == own, "\(kind): \(id)'s events on the feed are its history")
                }
                #expect(Set(seen.map(\.cursor)).count == seen.count, "no event twice")

                // From any cursor: exactly what followed it.
                for cut in [0, seen.count / 3, seen.count - 1] {
                    var rest: [FeedEvent] = []
                    var cursor: String? = seen[cut].cursor
                    while true {
                        let page = try await runtime.feedPage(
                            tenant: BrigadeRuntime.defaultTenant, workflow: Trio.name, after: cursor, limit: 37)
                        guard let last = page.last else { break }
                        rest += page
                        cursor = last.cursor
                    }
                    #expect(rest.map(\.cursor) == seen[(cut + 1)...].map(\.cursor), "\(kind): resumed after event \(cut)")
                }
                // Filters, another workflow's and another tenant's events, a cursor of nonsense.
                let completions = try await runtime.feedPage(tenant: BrigadeRuntime.defaultTenant, after: nil, limit: 1_000)
                    .filter { $0.event.entry.type == .workflowCompleted }
                #expect(completions.count == ids.count && completions.allSatisfy { $0.status == .complete && $0.workflow == Trio.name })
                #expect(try await runtime.feedPage(tenant: "someone-else", after: nil).isEmpty)
                #expect(try await runtime.feedPage(tenant: BrigadeRuntime.defaultTenant, workflow: "other", after: nil).isEmpty)
                await #expect(throws: BrigadeError.self) {
                    _ = try await runtime.feedPage(tenant: BrigadeRuntime.defaultTenant, after: "1.x")
                }
                // From now: nothing of the past.
                let head = try await runtime.feedHead()
                #expect(try await runtime.feedPage(tenant: BrigadeRuntime.defaultTenant, after: head).isEmpty)
                let onlyDone = runtime.feed(
                    tenant: BrigadeRuntime.defaultTenant, after: head, types: [.workflowCompleted], pollInterval: .milliseconds(100))
                try await runtime.createInstance(workflow: Trio.name, id: "late", params: Data("{}".utf8))
                var iterator = onlyDone.makeAsyncIterator()
                let next = try await iterator.next()
                #expect(next?.event.instanceId == "late" && next?.event.entry.type == .workflowCompleted)
            }
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }

    /// Cursors and limits a caller should not send: refused as cursors, or held to the page size;
    /// never a trap, never an unlimited read.
    @Test(arguments: StoreKind.available)
    func oddCursorsAreRefusedAndOddLimitsHeld(_ kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.makeStore()
        let runtime = BrigadeRuntime(store: store)
        try runtime.register(Trio())
        let tenant = BrigadeRuntime.defaultTenant
        do {
            for index in 0..<3 { try await runtime.createInstance(workflow: Trio.name, id: "q\(index)", params: Data("{}".utf8)) }
            var all: [FeedEvent] = []
            try await eventually("the three creations on the feed") {
                all = try await runtime.feedPage(tenant: tenant, after: nil)
                return all.count >= 3
            }
            for limit in [0, -5, Int.min] {
                #expect(try await runtime.feedPage(tenant: tenant, after: nil, limit: limit).count == 1, "\(kind): limit \(limit)")
            }
            #expect(try await runtime.feedPage(tenant: tenant, after: nil, limit: Int.max).count == all.count)
            for cursor in [
                "99999999999999999999", "-1", "", "1.2", "1.2.3.4", "0x10", " 1", "18446744073709551616.0.0",
                "18446744073709551615.9223372036854775807.9223372036854775807", String(repeating: "9", count: 10_000),
            ] {
                do {
                    let page = try await runtime.feedPage(tenant: tenant, after: cursor)
                    #expect(page.count <= all.count, "\(kind): \(cursor.prefix(40))")
                } catch let error as BrigadeError {
                    #expect(error.code == .invalidFeedCursor, "\(kind): \(cursor.prefix(40)): \(error)")
                }
            }
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }

    /// PostgreSQL's writers commit in parallel: a history row of a transaction that started
    /// first but commits last must still come on the feed, after a reader has read past the rows
    /// committed meanwhile. Held open here by a transaction of the test's own.
    @Test func anOpenTransactionsEventIsNotPassedOver() async throws {
        guard PostgresTestServer.isAvailable else { return }
        let url = try PostgresTestServer.shared().newDatabase()
        let store = try PostgresStore(url: url, maxConnections: 4)
        try await store.migrate()
        let runtime = BrigadeRuntime(store: store)
        try runtime.register(Trio())
        let tenant = BrigadeRuntime.defaultTenant
        do {
            try await runtime.createInstance(workflow: Trio.name, id: "early", params: Data("{}".utf8))
            // Transactions of other tests on the same server can hold the horizon back a moment.
            var first: [FeedEvent] = []
            try await eventually("the first instance's event on the feed") {
                first = try await runtime.feedPage(tenant: tenant, after: nil)
                return !first.isEmpty
            }
            let start = try #require(first.last?.cursor)

            let connection = try await PostgresConnection.connect(
                configuration: try PostgresLocation(url: url).connectionConfiguration, id: 1, logger: Logger(label: "feed-test"))
            try await connection.query("BEGIN", logger: connection.logger)
            try await connection.query(
                "INSERT INTO history (instance_seq, id, at, type, data) SELECT seq, 1000, 0, 'log', '{\"message\":\"held\"}' FROM instances WHERE id = 'early'",
                logger: connection.logger)
            // Committed after the open transaction began: its row must wait for the open one.
            try await runtime.createInstance(workflow: Trio.name, id: "later", params: Data("{}".utf8))
            let whileOpen = try await runtime.feedPage(tenant: tenant, after: start)
            #expect(whileOpen.isEmpty, "nothing past an open transaction: \(whileOpen.map(\.event.instanceId))")
            try await connection.query("COMMIT", logger: connection.logger)
            try await connection.close()
            var after: [FeedEvent] = []
            try await eventually("both events once the transaction committed") {
                after = try await runtime.feedPage(tenant: tenant, after: start)
                return after.count >= 2
            }
            #expect(after.map(\.event.instanceId) == ["early", "later"])
            #expect(after.first?.event.entry.data["message"] == "held")
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
