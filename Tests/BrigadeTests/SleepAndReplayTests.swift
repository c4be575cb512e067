import Brigade
import BrigadeTesting
import Foundation
import Testing

struct SleepsADay: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        let before = try await step.do("before") { () -> String in
            ledger.record("before")
            return "prepared"
        }
        try await step.sleep("nap", for: .hours(24))
        let after = try await step.do("after") { () -> String in
            ledger.record("after")
            return "woke"
        }
        return "\(before) then \(after)"
    }
}

struct SleepsUntil: Workflow {
    struct Params: Codable, Sendable { var wakeAt: Date }
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Bool {
        try await step.sleepUntil("alarm", event.payload.wakeAt)
        return true
    }
}

struct SameNameTwice: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> [Int] {
        var values: [Int] = []
        for _ in 0..<2 {
            let value = try await step.do("fetch") { (context: StepContext) -> Int in
                ledger.record("fetch-\(context.count)")
                return context.count * 100
            }
            values.append(value)
        }
        return values
    }
}

struct Parallel: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
        async let a = step.do("a") { () -> Int in
            ledger.record("a")
            return 1
        }
        async let b = step.do("b") { () -> Int in
            ledger.record("b")
            return 2
        }
        let pair = try await a + b
        let more = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<5 {
                group.addTask {
                    try await step.do("item \(index)") { () -> Int in
                        ledger.record("item \(index)")
                        return index
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        // A parallel sleep next to a step: the engine must not hibernate while the step runs.
        async let nap: Void = step.sleep("short nap", for: .hours(1))
        async let work = step.do("work") { () -> Int in
            ledger.record("work")
            return 100
        }
        let worked = try await work
        try await nap
        return pair + more + worked
    }
}

@Suite struct SleepAndReplayTests {
    @Test func sleepHibernatesAndWakes() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(SleepsADay(ledger: ledger)) }) { brigade in
            let start = brigade.clock.now()
            let instance = try await brigade.runtime.workflow(SleepsADay.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            let nap = try #require(try await instance.stepRecord("nap"))
            #expect(nap.kind == .sleep)
            #expect(nap.deadline == start.millisecondsSince1970 + 86_400_000, "the absolute wake-up time is stored")
            let row = try await brigade.runtime.instanceRow(instance.key)
            #expect(row.dueAt == nap.deadline, "the instance row carries the alarm")

            brigade.clock.advance(by: .hours(23))
            try await Task.sleep(for: .milliseconds(30))
            #expect(try await instance.status().status == .waiting, "a timer never fires early")
            #expect(ledger.count("after") == 0)

            brigade.clock.advance(by: .hours(1))
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == "prepared then woke")
            #expect(ledger.count("before") == 1, "a committed step never runs again on replay")
            #expect(ledger.count("after") == 1)
            #expect(try await instance.historyTypes().contains(.workflowWaiting))
        }
    }

    @Test func aNewRuntimeOnTheSameDatabaseResumesAndKeepsTheDeadline() async throws {
        let ledger = Ledger()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("brigade.sqlite")
        let clock = ManualClock()
        let start = clock.now()
        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(SleepsADay(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(SleepsADay.self).create(id: "survivor", params: Empty())
            try await brigade.waitForHibernation(instance)
        }
        clock.advance(by: .hours(20))
        // A second runtime, as a new process would: replays from the store, keeps the deadline.
        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(SleepsADay(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(SleepsADay.self).get("survivor")
            try await Task.sleep(for: .milliseconds(30))
            #expect(try await instance.status().status == .waiting)
            #expect(try await instance.stepRecord("nap")?.deadline == start.millisecondsSince1970 + 86_400_000)
            clock.advance(by: .hours(4))
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == "prepared then woke")
            #expect(ledger.count("before") == 1)
        }
    }

    @Test func sleepUntilStoresTheAbsoluteTimeAndAPastTimeCompletes() async throws {
        try await TestBrigade.run(register: { try $0.register(SleepsUntil()) }) { brigade in
            let wakeAt = brigade.clock.now().addingTimeInterval(7_200)
            let client = brigade.runtime.workflow(SleepsUntil.self)
            let future = try await client.create(params: .init(wakeAt: wakeAt))
            let past = try await client.create(params: .init(wakeAt: brigade.clock.now().addingTimeInterval(-60)))
            try await past.waitForStatus(.complete)
            try await future.waitForStatus(.waiting)
            #expect(try await future.stepRecord("alarm")?.deadline == wakeAt.millisecondsSince1970)
            brigade.clock.advance(to: wakeAt)
            try await future.waitForStatus(.complete)
        }
    }

    @Test func sameNameTwiceIsTwoSteps() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(SameNameTwice(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(SameNameTwice.self).create(params: Empty())
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == [100, 200])
            let steps = try await instance.steps()
            #expect(steps.map(\.displayName) == ["fetch-1", "fetch-2"])
            #expect(ledger.count("fetch-1") == 1 && ledger.count("fetch-2") == 1)
        }
    }

    @Test func parallelStepsWithAsyncLetAndTaskGroups() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(Parallel(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(Parallel.self).create(params: Empty())
            try await eventually("the parallel work step") { ledger.count("work") == 1 }
            try await instance.waitForStatus(.waiting)
            brigade.clock.advance(by: .hours(1))
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == 1 + 2 + (0 + 1 + 2 + 3 + 4) + 100)
            for name in ["a", "b", "item 0", "item 4", "work"] {
                #expect(ledger.count(name) == 1, "\(name) ran once across the hibernation")
            }
            #expect(try await instance.steps().count == 9)
        }
    }
}
