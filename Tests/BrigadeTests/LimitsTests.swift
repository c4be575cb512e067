import Brigade
import BrigadeTesting
import Foundation
import Testing

struct Echo: Workflow {
    struct Params: Codable, Sendable { var text: String }
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> String {
        try await step.do("echo") { event.payload.text }
    }
}

struct BigResult: Workflow {
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
        let big = try await step.do("big", .init(retries: .none)) { String(repeating: "x", count: 1 << 20) }
        return big.count
    }
}

struct LongStepName: Workflow {
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
        do {
            try await step.do(String(repeating: "n", count: 257)) { 1 }
        } catch {
            // Even if run swallows it, an invalid step is fatal for the instance.
        }
        return 0
    }
}

struct ManySteps: Workflow {
    struct Params: Codable, Sendable { var count: Int }
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Int {
        for index in 0..<event.payload.count {
            try await step.do("step \(index)") { index }
            // Sleeps do not count toward the step limit.
            try await step.sleep("breath \(index)", for: .milliseconds(0))
        }
        return event.payload.count
    }
}

@Suite struct LimitsTests {
    @Test func duplicateIdsAreRejectedWithinRetention() async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            let client = brigade.runtime.workflow(Echo.self)
            let first = try await client.create(id: "order-42", params: .init(text: "a"))
            try await first.waitForStatus(.complete)
            await #expect { _ = try await client.create(id: "order-42", params: .init(text: "b")) } throws: { error in
                let error = error as? BrigadeError
                return error?.code == .instanceAlreadyExists && error?.message.contains("order-42") == true
            }
            #expect(try await first.status().output == "a", "the existing instance is untouched")
        }
    }

    @Test(arguments: ["", "-leading-dash", "has space", "dot.ted", String(repeating: "x", count: 101), "ünïcode"])
    func invalidInstanceIdsAreRejected(_ id: String) async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            await #expect { _ = try await brigade.runtime.workflow(Echo.self).create(id: id, params: .init(text: "")) } throws: {
                ($0 as? BrigadeError)?.code == .invalidInstanceId
            }
        }
    }

    @Test func batchSkipsExistingIdsAndEnforcesItsSize() async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            let client = brigade.runtime.workflow(Echo.self)
            _ = try await client.create(id: "existing", params: .init(text: "old"))
            let created = try await client.createBatch([
                .init(id: "existing", params: .init(text: "new")),
                .init(id: "fresh-1", params: .init(text: "1")),
                .init(id: "fresh-1", params: .init(text: "dup in batch")),
                .init(id: "fresh-2", params: .init(text: "2")),
            ])
            #expect(created.map(\.id) == ["fresh-1", "fresh-2"])
            #expect(try await client.get("fresh-1").waitForStatus(.complete).output == "1")
            #expect(try await client.get("existing").waitForStatus(.complete).output == "old")

            let tooMany = (0..<101).map { CreateOptions<Echo.Params>(id: "b\($0)", params: .init(text: "")) }
            await #expect { _ = try await client.createBatch(tooMany) } throws: { ($0 as? BrigadeError)?.code == .invalidBatch }
            await #expect { _ = try await client.createBatch([]) } throws: { ($0 as? BrigadeError)?.code == .invalidBatch }
            let hundred = (0..<100).map { CreateOptions<Echo.Params>(id: "c\($0)", params: .init(text: "")) }
            #expect(try await client.createBatch(hundred).count == 100)
        }
    }

    @Test func paramsLargerThanOneMiBAreRejected() async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            await #expect {
                _ = try await brigade.runtime.workflow(Echo.self).create(params: .init(text: String(repeating: "x", count: 1 << 20)))
            } throws: { error in
                let error = error as? BrigadeError
                return error?.code == .payloadTooLarge && error?.message.contains("1048576") == true
            }
        }
    }

    @Test func stepResultLargerThanOneMiBFailsTheStep() async throws {
        try await TestBrigade.run(register: { try $0.register(BigResult()) }) { brigade in
            let instance = try await brigade.runtime.workflow(BigResult.self).create(params: Empty())
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.message.contains("output is too large") == true)
            #expect(try await instance.stepRecord("big")?.value == nil)
        }
    }

    @Test(arguments: [
        (#"{}"#, "the field `text` is missing"),
        (#"{"text":5}"#, "`text` is not a string"),
        (#"{"text":null}"#, "`text` is null where a string is expected"),
    ])
    func paramsThatDoNotDecodeErrorTheInstanceSayingWhatIsWrong(_ params: String, _ expected: String) async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            let id = try await brigade.runtime.createInstance(workflow: Echo.name, params: Data(params.utf8))
            let final = try await brigade.runtime.workflow(Echo.self).get(id).waitForStatus(.errored)
            #expect(final.error?.name == BrigadeError.Code.notSerializable.rawValue)
            let message = final.error?.message ?? ""
            #expect(message.contains(expected), "\(message)")
            #expect(!message.contains("CodingKeys"), "no decoder internals in \(message)")
        }
    }

    @Test func stepNameLongerThan256IsFatal() async throws {
        try await TestBrigade.run(register: { try $0.register(LongStepName()) }) { brigade in
            let instance = try await brigade.runtime.workflow(LongStepName.self).create(params: Empty())
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.name == BrigadeError.Code.invalidStepName.rawValue)
            #expect(final.error?.message.contains("1–256") == true)
        }
    }

    @Test func stepLimitIsASetting() async throws {
        var settings = BrigadeSettings()
        settings.maxStepsPerInstance = 3
        try await TestBrigade.run(settings: settings, register: { try $0.register(ManySteps()) }) { brigade in
            let client = brigade.runtime.workflow(ManySteps.self)
            let atLimit = try await client.create(params: .init(count: 3))
            #expect(try await atLimit.waitForStatus(.complete).output == 3)
            let over = try await client.create(params: .init(count: 4))
            let final = try await over.waitForStatus(.errored)
            #expect(final.error?.name == BrigadeError.Code.stepLimitExceeded.rawValue)
            #expect(final.error?.message.contains("limit of 3 steps") == true)
        }
    }

    @Test func unregisteredWorkflowsAndBadNamesAreClearErrors() async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            await #expect {
                try await brigade.runtime.createInstance(workflow: "Unknown", params: Data("{}".utf8))
            } throws: { ($0 as? BrigadeError)?.code == .workflowNotRegistered }
            await #expect {
                try await brigade.runtime.createInstance(workflow: "bad name!", params: Data("{}".utf8))
            } throws: { ($0 as? BrigadeError)?.code == .invalidWorkflowName }
            #expect(throws: BrigadeError.self) { try brigade.runtime.register(Echo()) }
        }
    }
}

struct SleepsTooLong: Workflow {
    struct Params: Codable, Sendable { var days: Int }
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Bool {
        try await step.sleep("long", for: .days(event.payload.days))
        return true
    }
}

@Suite struct SleepLimitTests {
    @Test func sleepsLongerThan365DaysAreRejected() async throws {
        try await TestBrigade.run(register: { try $0.register(SleepsTooLong()) }) { brigade in
            let client = brigade.runtime.workflow(SleepsTooLong.self)
            let tooLong = try await client.create(params: .init(days: 366))
            let final = try await tooLong.waitForStatus(.errored)
            #expect(final.error?.name == BrigadeError.Code.invalidDuration.rawValue)
            #expect(final.error?.message.contains("365 days") == true)
            let maximal = try await client.create(params: .init(days: 365))
            try await maximal.waitForStatus(.waiting)
            brigade.clock.advance(by: .days(365))
            try await maximal.waitForStatus(.complete)
        }
    }
}
