@_spi(Stores) import Brigade
import BrigadeSQLite
import BrigadeTesting
import Foundation
import Synchronization
import Testing

/// Per-instance gates and per-workflow running counts, for control-plane tests.
final class Board: Sendable {
    private struct State {
        var gates: [String: Gate] = [:]
        var running: [String: Int] = [:]
        var started: [String: [String]] = [:]
    }
    private let state = Mutex(State())

    func gate(_ id: String) -> Gate {
        state.withLock { state in
            if let gate = state.gates[id] { return gate }
            let gate = Gate()
            state.gates[id] = gate
            return gate
        }
    }

    func started(_ workflow: String, _ id: String) {
        state.withLock {
            $0.running[workflow, default: 0] += 1
            $0.started[workflow, default: []].append(id)
        }
    }

    func finished(_ workflow: String) { state.withLock { $0.running[workflow, default: 0] -= 1 } }
    func running(_ workflow: String) -> Int { state.withLock { $0.running[workflow] ?? 0 } }
    func startedIds(_ workflow: String) -> [String] { state.withLock { $0.started[workflow] ?? [] } }
}

/// Its single step blocks until the test opens the instance's gate.
struct Held<Tag: Sendable>: Workflow {
    static var name: String { "held-\(Tag.self)".lowercased() }
    let board: Board
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Bool {
        try await step.do("hold") {
            board.started(Self.name, event.instanceId)
            await board.gate(event.instanceId).wait()
            board.finished(Self.name)
        }
        return true
    }
}

enum First {}
enum Second {}

@Suite struct ControlPlaneTests {
    @Test func slotsAreSharedFairlyBetweenTwoWorkflows() async throws {
        var settings = BrigadeSettings()
        settings.maxRunningPerAccount = 10
        settings.shardsPerWorkflow = 1
        let board = Board()
        try await TestBrigade.run(
            settings: settings,
            register: {
                try $0.register(Held<First>(board: board))
                try $0.register(Held<Second>(board: board))
            }
        ) { brigade in
            let a = Held<First>.name
            let b = Held<Second>.name
            _ = try await brigade.runtime.workflow(Held<First>.self).createBatch(
                (0..<20).map { CreateOptions(id: "a\($0)", params: Empty()) })
            try await eventually("workflow a to take every slot") { board.running(a) == 10 }
            _ = try await brigade.runtime.workflow(Held<Second>.self).createBatch(
                (0..<20).map { CreateOptions(id: "b\($0)", params: Empty()) })
            try await Task.sleep(for: .milliseconds(30))
            #expect(board.running(b) == 0, "running instances are never preempted")
            // As a's first ten finish, its fair share (half) is enforced: the slots go to b.
            for id in board.startedIds(a) { board.gate(id).open() }
            try await eventually("five running instances each") { board.running(a) == 5 && board.running(b) == 5 }
            try await Task.sleep(for: .milliseconds(30))
            #expect(board.running(a) == 5 && board.running(b) == 5)
            #expect(brigade.runtime.runningSlots() == 10)
            for index in 0..<20 {
                board.gate("a\(index)").open()
                board.gate("b\(index)").open()
            }
            try await eventually("every instance to finish") {
                let counts = try await brigade.runtime.workflow(Held<Second>.self).counts()
                return counts[.complete] == 20
            }
        }
    }

    @Test func aWorkflowRunsAtMostItsOwnLimit() async throws {
        var settings = BrigadeSettings()
        settings.maxRunningPerWorkflow = 3
        let board = Board()
        try await TestBrigade.run(settings: settings, register: { try $0.register(Held<First>(board: board)) }) { brigade in
            let client = brigade.runtime.workflow(Held<First>.self)
            _ = try await client.createBatch((0..<10).map { CreateOptions(id: "c\($0)", params: Empty()) })
            try await eventually("three running") { board.running(Held<First>.name) == 3 }
            try await Task.sleep(for: .milliseconds(30))
            #expect(board.running(Held<First>.name) == 3)
            #expect(try await client.counts()[.queued] == 7)
            for index in 0..<10 { board.gate("c\(index)").open() }
            try await eventually("all complete") { try await client.counts()[.complete] == 10 }
        }
    }

    @Test func creationRateLimitsAnswerWithRetryAfter() async throws {
        var settings = BrigadeSettings()
        settings.creationRatePerWorkflow = 2
        try await TestBrigade.run(settings: settings, register: { try $0.register(Echo()) }) { brigade in
            let client = brigade.runtime.workflow(Echo.self)
            _ = try await client.create(params: .init(text: "1"))
            _ = try await client.create(params: .init(text: "2"))
            do {
                _ = try await client.create(params: .init(text: "3"))
                Issue.record("the third creation within a second must be rate limited")
            } catch let error as BrigadeError {
                #expect(error.code == .rateLimited)
                #expect(error.retryAfter == .milliseconds(500))
                #expect(error.message.contains("2 per second"))
            }
            brigade.clock.advance(by: .milliseconds(500))
            _ = try await client.create(params: .init(text: "3"))
            await #expect { _ = try await client.createBatch((0..<3).map { CreateOptions(params: .init(text: "\($0)")) }) } throws: {
                ($0 as? BrigadeError)?.code == .rateLimited
            }
        }
    }

    @Test func aFullQueueRefusesNewInstances() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("brigade.sqlite")
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        var settings = BrigadeSettings()
        settings.maxQueuedPerWorkflow = 3
        // Not running: instances stay queued.
        let runtime = BrigadeRuntime(store: store, settings: settings, clock: ManualClock())
        try runtime.register(Echo())
        let client = runtime.workflow(Echo.self)
        _ = try await client.createBatch((0..<3).map { CreateOptions(params: .init(text: "\($0)")) })
        await #expect { _ = try await client.create(params: .init(text: "one too many")) } throws: { error in
            let error = error as? BrigadeError
            return error?.code == .queueFull && error?.message.contains("limit is 3") == true
        }
        #expect(try await client.counts()[.queued] == 3)
    }

    @Test func cursorPagingIsStableUnderConcurrentInserts() async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            let client = brigade.runtime.workflow(Echo.self)
            for index in 0..<25 {
                _ = try await client.create(id: "i\(String(format: "%02d", index))", params: .init(text: ""))
                if index % 3 == 0 { brigade.clock.advance(by: .milliseconds(1)) }  // some share a timestamp
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await client.list(InstanceQuery(cursor: cursor, direction: .ascending, limit: 10))
                seen += page.instances.map(\.key.id)
                cursor = page.nextCursor
                pages += 1
                // Newer instances arrive while paging: they come after, nothing is skipped or repeated.
                brigade.clock.advance(by: .milliseconds(1))
                _ = try await client.create(id: "new\(pages)", params: .init(text: ""))
            } while cursor != nil
            let original = (0..<25).map { "i\(String(format: "%02d", $0))" }
            #expect(Array(seen.prefix(25)) == original)
            #expect(Set(seen).count == seen.count, "no instance twice")
            #expect(seen.dropFirst(25).allSatisfy { $0.hasPrefix("new") })

            let newestFirst = try await client.list(InstanceQuery(direction: .descending, limit: 5))
            #expect(newestFirst.instances.first?.key.id == "new\(pages)")
            let next = try await client.list(InstanceQuery(cursor: newestFirst.nextCursor, direction: .descending, limit: 5))
            #expect(next.instances.first?.createdAt ?? .max <= newestFirst.instances.last!.createdAt)

            try await eventually("everything complete") { try await client.counts()[.complete] == 25 + pages }
            let counts = try await client.counts()
            #expect(counts[.complete] == 25 + pages && counts[.queued] == 0 && counts[.running] == 0)
            let completed = try await client.list(InstanceQuery(status: .complete, limit: 1_000))
            #expect(completed.instances.count == 25 + pages && completed.nextCursor == nil)
            #expect(try await client.list(InstanceQuery(status: .errored)).instances.isEmpty)
        }
    }

    @Test func badCursorsAndPageSizesAreClearErrors() async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            let client = brigade.runtime.workflow(Echo.self)
            await #expect { _ = try await client.list(InstanceQuery(cursor: "not-a-cursor")) } throws: {
                ($0 as? BrigadeError)?.code == .invalidCursor
            }
            await #expect { _ = try await client.list(InstanceQuery(limit: 0)) } throws: { ($0 as? BrigadeError)?.code == .invalidQuery }
            let position = ListingPosition(createdAt: 123, id: "x-1")
            let decoded = try ListingPosition(cursor: position.cursor)
            #expect(decoded == position)
        }
    }
}

@Suite struct CompletionTests {
    @Test func waitForCompletionReturnsWhenTheInstanceFinishesOrIsTerminated() async throws {
        let board = Board()
        try await TestBrigade.run(register: { try $0.register(Held<First>(board: board)) }) { brigade in
            let client = brigade.runtime.workflow(Held<First>.self)
            let finishing = try await client.create(id: "finishing", params: Empty())
            let terminated = try await client.create(id: "terminated", params: Empty())
            async let finished = brigade.runtime.waitForCompletion(finishing.key)
            async let stopped = brigade.runtime.waitForCompletion(terminated.key)
            try await eventually("both started") { board.startedIds(Held<First>.name).count == 2 }
            board.gate("finishing").open()
            try await terminated.terminate()
            let (done, ended) = try await (finished, stopped)
            #expect(done.status == .complete)
            #expect(ended.status == .terminated)
            // Already finished: returns at once.
            #expect(try await brigade.runtime.waitForCompletion(finishing.key).status == .complete)
            board.gate("terminated").open()
        }
    }
}
