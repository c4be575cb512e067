import Brigade
import BrigadeTesting
import Foundation
import Testing

/// Bounded memory in the SousChef: new instances past `sweepPage` wait in the store, and the
/// sweep pages through the alarm index with cursors instead of re-reading what it holds.
@Suite struct SweepTests {
    @Test func newInstancesBeyondTheQueueInMemoryWaitInTheStoreAndRunOldestFirst() async throws {
        var settings = BrigadeSettings()
        settings.sweepPage = 4
        settings.shardsPerWorkflow = 1
        settings.maxRunningPerAccount = 1  // one at a time: the start order is the queue order
        let board = Board()
        try await TestBrigade.run(settings: settings, register: { try $0.register(Held<First>(board: board)) }) { brigade in
            let ids = (0..<30).map { String(format: "n%02d", $0) }
            let instances = try await brigade.runtime.workflow(Held<First>.self).createBatch(
                ids.map { CreateOptions(id: $0, params: Empty()) })
            for id in ids { board.gate(id).open() }
            for instance in instances { try await instance.waitForStatus(.complete) }
            #expect(board.startedIds(Held<First>.name) == ids, "queued instances start oldest first, also after waiting in the store")
        }
    }

    @Test func moreAlarmsThanAPageAreAllInMemoryBeforeTheyComeDue() async throws {
        var settings = BrigadeSettings()
        settings.sweepPage = 3
        settings.shardsPerWorkflow = 1
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("brigade.sqlite")
        let clock = ManualClock()
        let wakeAt = clock.now().addingTimeInterval(10)
        try await TestBrigade.run(settings: settings, databasePath: path, clock: clock, register: { try $0.register(SleepsUntil()) }) {
            brigade in
            for index in 0..<10 {
                let instance = try await brigade.runtime.workflow(SleepsUntil.self).create(id: "s\(index)", params: .init(wakeAt: wakeAt))
                try await instance.waitForStatus(.waiting)
            }
        }
        // A new runtime knows of no timer: its sweeps read them in, three per page.
        try await TestBrigade.run(settings: settings, databasePath: path, clock: clock, register: { try $0.register(SleepsUntil()) }) {
            brigade in
            for _ in 0..<20 {
                clock.advance(by: .milliseconds(10))
                try await Task.sleep(for: .milliseconds(20))
            }
            clock.advance(to: wakeAt)
            // The clock stays at the deadline: every one of the ten fires from memory, none
            // waits for a sweep after its due time.
            for index in 0..<10 {
                let instance = try await brigade.runtime.workflow(SleepsUntil.self).get("s\(index)")
                let done = try await instance.waitForStatus(.complete)
                #expect(done.endedAt.map { $0 >= wakeAt } == true, "never early")
            }
        }
    }
}
