@_spi(Stores) @testable import Brigade
import BrigadePostgres
import BrigadeTesting
import Foundation
import Logging
import Synchronization
import Testing

/// A workflow that waits for an event, then runs a step.
private struct AwaitsGo: Workflow {
    struct Params: Codable, Sendable {}
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> String {
        let go = try await step.waitForEvent("go", type: "go", as: String.self)
        return try await step.do("answer") { "went \(go.payload)" }
    }
}

/// Live event streams across nodes: a stream served by one node follows an instance that
/// another node runs, pushed by that node's wake-ups (DESIGN.md §4), not by polling.
@Suite(.enabled(if: PostgresTestServer.isAvailable)) struct ClusterStreamTests {
    @Test func aStreamOnOneNodeIsPushedByTheNodeThatRunsTheInstance() async throws {
        let url = try PostgresTestServer.shared().newDatabase()
        func node(_ id: String) throws -> (BrigadeRuntime, PostgresStore) {
            var settings = BrigadeSettings()
            settings.nodeID = id
            settings.leaseTTL = .milliseconds(1_500)
            settings.heartbeatInterval = .milliseconds(100)
            settings.shardsPerWorkflow = 8
            let store = try PostgresStore(url: url, maxConnections: 4)
            let runtime = BrigadeRuntime(store: store, settings: settings, logger: Logger(label: "brigade.test.\(id)"))
            try runtime.register(AwaitsGo())
            return (runtime, store)
        }
        let (a, storeA) = try node("a")
        let (b, storeB) = try node("b")
        try await storeA.migrate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await a.run() }
            group.addTask { try await b.run() }
            defer { group.cancelAll() }
            func held(_ runtime: BrigadeRuntime) -> Int { runtime.state.withLock { $0.owned?.count ?? 0 } }
            try await eventually("both nodes to hold slots", timeout: .seconds(20)) { held(a) > 0 && held(b) > 0 }

            // An instance whose shard node a runs, created and followed through node b.
            let client = b.workflow(AwaitsGo.self)
            var chosen: WorkflowInstance<AwaitsGo>?
            for index in 0..<64 where chosen == nil {
                let instance = try await client.create(id: "i\(index)", params: .init())
                let row = try await b.instanceRow(instance.key)
                if a.chef(for: row.shardKey) != nil && b.chef(for: row.shardKey) == nil { chosen = instance }
            }
            let instance = try #require(chosen, "no instance landed on node a")
            // Followed from the moment it waits: everything before is in the stream's first read.
            try await eventually("the wait to start", timeout: .seconds(20)) {
                try await instance.history().contains { $0.entry.type == .waitStarted }
            }
            let seen = Mutex<[HistoryEventType]>([])
            // The fallback read is an hour away: only node a's wake-ups can move this stream.
            let stream = b.subscribe(instance.key, pollInterval: .seconds(3_600))
            let reader = Task {
                for try await event in stream { seen.withLock { $0.append(event.entry.type) } }
            }
            defer { reader.cancel() }
            try await eventually("the stream's first read", timeout: .seconds(20)) { seen.withLock { $0.contains(.waitStarted) } }
            try await eventually("node a to hear of node b's stream", timeout: .seconds(20)) { a.signals.remoteWatchCount > 0 }
            try await instance.sendEvent(type: "go", payload: "now")
            try await eventually("the stream on node b to end with the instance", timeout: .seconds(20)) {
                seen.withLock { $0.last == .workflowCompleted }
            }
            let types = seen.withLock { $0 }
            #expect(types.contains(.stepCompleted), "\(types)")
            #expect(types.filter { $0 == .workflowCompleted }.count == 1)
        }
        await storeA.close()
        await storeB.close()
    }
}
