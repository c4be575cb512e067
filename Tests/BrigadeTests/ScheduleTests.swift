import Brigade
import BrigadeTesting
import Foundation
import Testing

/// A workflow that reports how it was created.
struct Nightly: Workflow {
    static var name: String { "nightly" }
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> JSONValue {
        let run = try await step.do("report") { "ran" }
        return .object([
            "source": .string(event.trigger.source.rawValue), "cron": event.schedule.map { .string($0.cron) } ?? .null,
            "scheduledTime": event.schedule.map { .number(Double($0.scheduledTime)) } ?? .null, "run": .string(run),
        ])
    }
}

/// Cron schedules on one node: each firing creates one instance with its schedule on the event,
/// a restart catches up once, and bad schedules are refused before anything is stored.
@Suite struct ScheduleTests {
    /// ManualClock's start, 2027-01-15 08:00:00 UTC.
    static let start: Int64 = 1_800_000_000_000
    static let minute: Int64 = 60_000

    static func instances(_ runtime: BrigadeRuntime) async throws -> [InstanceRow] {
        try await runtime.listInstances(workflow: Nightly.name, InstanceQuery(limit: 100)).instances
    }

    @Test func eachFiringCreatesOneInstanceCarryingItsSchedule() async throws {
        try await TestBrigade.run(register: { try $0.register(Nightly()) }) { brigade in
            let runtime = brigade.runtime
            try await runtime.putWorkflow(name: Nightly.name, className: Nightly.name, schedules: ["*/5 * * * *"])
            let schedules = try await runtime.schedules(workflow: Nightly.name)
            #expect(schedules.map(\.cron) == ["*/5 * * * *"])
            #expect(schedules.first?.nextAt == Self.start + 5 * Self.minute)
            #expect(try await Self.instances(runtime).isEmpty, "nothing fires before its time")

            brigade.clock.advance(by: .minutes(5))
            try await eventually("the first firing's instance") { try await Self.instances(runtime).count == 1 }
            let firstTime = Self.start + 5 * Self.minute
            let id = BrigadeRuntime.cronInstanceId(cron: "*/5 * * * *", scheduledTime: firstTime)
            let done = try await runtime.waitForCompletion(
                InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Nightly.name, id: id))
            #expect(done.trigger == InstanceTrigger(source: .cron, schedule: CronFiring(cron: "*/5 * * * *", scheduledTime: firstTime)))
            let output = try JSONDecoder().decode(JSONValue.self, from: done.output ?? Data())
            #expect(output == ["source": "cron", "cron": "*/5 * * * *", "scheduledTime": .number(Double(firstTime)), "run": "ran"])
            try await eventually("the schedule moved on") {
                try await runtime.schedules(workflow: Nightly.name).first?.nextAt == Self.start + 10 * Self.minute
            }

            brigade.clock.advance(by: .minutes(5))
            try await eventually("the second firing's instance") { try await Self.instances(runtime).count == 2 }
            // An instance made through the API says so.
            let byHand = try await runtime.createInstance(workflow: Nightly.name, params: Data("{}".utf8))
            let handRow = try await runtime.waitForCompletion(
                InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Nightly.name, id: byHand))
            #expect(handRow.trigger == .api)
            #expect(try JSONDecoder().decode(JSONValue.self, from: handRow.output ?? Data())["source"] == "api")
            // A redeploy with the same cron keeps its next firing; removing it stops the firings.
            try await runtime.putWorkflow(name: Nightly.name, className: Nightly.name, schedules: ["*/5 * * * *", "@daily"])
            #expect(
                try await runtime.schedules(workflow: Nightly.name).map(\.nextAt).sorted() == [
                    Self.start + 15 * Self.minute, Self.start + 16 * 60 * Self.minute,
                ])
            try await runtime.putWorkflow(name: Nightly.name, className: Nightly.name, schedules: [])
            brigade.clock.advance(by: .minutes(30))
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await Self.instances(runtime).count == 3, "no firing after the schedules were removed")
        }
    }

    @Test func firingsMissedWhileDownFireOnceAsTheLatest() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("cron.sqlite")
        let clock = ManualClock()
        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(Nightly()) }) { brigade in
            try await brigade.runtime.putWorkflow(name: Nightly.name, className: Nightly.name, schedules: ["0 * * * *"])
        }
        // Down from 08:00 to 13:30: the firings of 09:00 to 13:00 were missed.
        clock.advance(by: .minutes(5 * 60 + 30))
        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(Nightly()) }) { brigade in
            let runtime = brigade.runtime
            try await eventually("the catch-up firing") { try await Self.instances(runtime).count == 1 }
            try await eventually("the schedule moved past now") {
                try await runtime.schedules(workflow: Nightly.name).first?.nextAt == Self.start + 6 * 60 * Self.minute
            }
            try await Task.sleep(for: .milliseconds(50))
            let rows = try await Self.instances(runtime)
            #expect(rows.count == 1, "missed firings collapse into one")
            #expect(rows.first?.trigger.schedule?.scheduledTime == Self.start + 5 * 60 * Self.minute, "the latest missed firing, 13:00")
            // Then on time again.
            clock.advance(by: .minutes(30))
            try await eventually("the 14:00 firing") { try await Self.instances(runtime).count == 2 }
        }
    }

    @Test func badSchedulesAreRefusedAndNothingIsStored() async throws {
        var settings = BrigadeSettings()
        settings.maxSchedulesPerAccount = 2
        try await TestBrigade.run(
            settings: settings,
            register: {
                try $0.register(Nightly())
                try $0.register(Echo())
            }
        ) { brigade in
            let runtime = brigade.runtime
            try await runtime.putWorkflow(name: Nightly.name, className: Nightly.name, schedules: ["@hourly"])
            await #expect {
                try await runtime.putWorkflow(name: Nightly.name, className: Nightly.name, schedules: ["@daily", "61 * * * *"])
            } throws: { error in
                guard let error = error as? BrigadeError else { return false }
                return error.code == .invalidSchedule && error.message.contains("61 is out of range 0–59")
            }
            #expect(try await runtime.schedules(workflow: Nightly.name).map(\.cron) == ["@hourly"], "a refused set changes nothing")
            // The account's limit counts every workflow's schedules.
            try await runtime.putWorkflow(name: "Echo", className: "Echo", schedules: ["@daily"])
            await #expect {
                try await runtime.putWorkflow(name: Nightly.name, className: Nightly.name, schedules: ["@hourly", "@weekly"])
            } throws: { ($0 as? BrigadeError)?.code == .invalidSchedule && "\($0)".contains("at most 1, not 2") }
            // Repeats count once.
            try await runtime.putWorkflow(name: Nightly.name, className: Nightly.name, schedules: ["@weekly", "@weekly"])
            #expect(try await runtime.schedules(workflow: Nightly.name).map(\.cron) == ["@weekly"])
            await #expect {
                try await runtime.replaceSchedules(workflow: "missing", ["@daily"])
            } throws: { ($0 as? BrigadeError)?.code == .workflowNotRegistered }
        }
    }
}
