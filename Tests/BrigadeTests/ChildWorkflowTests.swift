@_spi(Stores) @_spi(Sandbox) import Brigade
import BrigadeTesting
import Foundation
import Testing

/// A child that sleeps, then fails or answers.
struct Kid: Workflow {
    static var name: String { "kid" }
    struct Params: Codable, Sendable {
        var mode: String
        var hours: Int
    }
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> String {
        if event.payload.hours > 0 { try await step.sleep("nap", for: .hours(event.payload.hours)) }
        if event.payload.mode == "fail" { throw NonRetryableError("the kid gave up", name: "KidError") }
        if event.payload.mode == "wait" { _ = try await step.waitForEvent("forever", type: "never", timeout: .days(300)) }
        return try await step.do("answer") { "done \(event.payload.mode)" }
    }
}

/// A parent that starts a kid from a step and reports what came back.
struct Guardian: Workflow {
    static var name: String { "guardian" }
    struct Params: Codable, Sendable {
        var mode: String
        var hours: Int
        var catches: Bool
        var timeoutHours: Int?
        var workflow: String?
    }
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> String {
        let before = try await step.do("before") { "ready" }
        do {
            let timeout: Duration = .hours(event.payload.timeoutHours ?? 24 * 365)
            let output: String
            if let other = event.payload.workflow {
                let data = try await step.childJSON("kid", workflow: other, params: Data("{}".utf8), timeout: timeout)
                output = String(decoding: data, as: UTF8.self)
            } else {
                output = try await step.child(
                    "kid", Kid.self, params: .init(mode: event.payload.mode, hours: event.payload.hours), timeout: timeout)
            }
            return "\(before), got \(output)"
        } catch let error as ChildWorkflowError where event.payload.catches {
            return "caught \(error.status): \(error.error?.name ?? "-"): \(error.error?.message ?? "-")"
        }
    }
}

/// Child workflows: started once from a step, waited for durably with the parent hibernated,
/// their output or error delivered, linked both ways, and terminated with the parent on request.
@Suite struct ChildWorkflowTests {
    static func register(_ runtime: BrigadeRuntime) throws {
        try runtime.register(Kid())
        try runtime.register(Guardian())
    }

    static func params(_ mode: String, hours: Int = 0, catches: Bool = false, timeoutHours: Int? = nil, workflow: String? = nil)
        -> Guardian.Params
    {
        Guardian.Params(mode: mode, hours: hours, catches: catches, timeoutHours: timeoutHours, workflow: workflow)
    }

    static func kids(_ runtime: BrigadeRuntime) async throws -> [InstanceRow] {
        try await runtime.listInstances(workflow: Kid.name, InstanceQuery(limit: 100)).instances
    }

    @Test func theParentHibernatesWhileItsChildRunsAndGetsItsOutput() async throws {
        try await TestBrigade.run(register: Self.register) { brigade in
            let runtime = brigade.runtime
            let parent = try await runtime.workflow(Guardian.self).create(id: "p1", params: Self.params("ok", hours: 2))
            try await eventually("the child started") { try await Self.kids(runtime).count == 1 }
            // Both wait: the kid sleeps, the parent waits for the kid; neither holds memory.
            try await parent.waitForStatus(.waiting)
            let kid = try #require(try await Self.kids(runtime).first)
            try await eventually("both hibernated") { runtime.engineObjectCount == 0 && runtime.liveInstanceCount == 0 }
            // Linked both ways.
            let parentKey = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Guardian.name, id: "p1")
            #expect(kid.key.id == ChildWorkflow.instanceId(parent: parentKey, step: "kid", count: 1))
            #expect(kid.trigger == InstanceTrigger(source: .binding, parent: ParentLink(workflow: Guardian.name, id: "p1", step: "kid-1")))
            let children = try await runtime.children(of: parentKey)
            #expect(children.map(\.child) == [kid.key] && children.map(\.step) == ["kid-1"])

            brigade.clock.advance(by: .hours(2))
            let done = try await runtime.waitForCompletion(parentKey)
            #expect(done.status == .complete)
            #expect(String(decoding: done.output ?? Data(), as: UTF8.self) == #""ready, got done ok""#)
            #expect(try await Self.kids(runtime).count == 1, "one child, however often the parent ran")
            let history = try await runtime.history(parentKey).map(\.entry.type)
            #expect(history.contains(.childStarted) && history.contains(.childCompleted))
        }
    }

    @Test func aChildsErrorReachesTheParentWhichMayCatchIt() async throws {
        try await TestBrigade.run(register: Self.register) { brigade in
            let runtime = brigade.runtime
            let caught = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Guardian.name, id: "catches")
            let uncaught = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Guardian.name, id: "throws")
            _ = try await runtime.workflow(Guardian.self).create(id: caught.id, params: Self.params("fail", catches: true))
            _ = try await runtime.workflow(Guardian.self).create(id: uncaught.id, params: Self.params("fail"))
            let handled = try await runtime.waitForCompletion(caught)
            #expect(handled.status == .complete)
            #expect(String(decoding: handled.output ?? Data(), as: UTF8.self) == #""caught errored: KidError: the kid gave up""#)
            let failed = try await runtime.waitForCompletion(uncaught)
            #expect(failed.status == .errored)
            #expect(failed.error?.name == ChildWorkflowError.errorName)
            #expect(failed.error?.message.contains("KidError: the kid gave up") == true)
        }
    }

    @Test func aTerminatedOrDeletedChildEndsTheWaitAndTerminatingTheParentCanTakeItsChildren() async throws {
        try await TestBrigade.run(register: Self.register) { brigade in
            let runtime = brigade.runtime
            let tenant = BrigadeRuntime.defaultTenant
            for id in ["a", "b", "c"] {
                _ = try await runtime.workflow(Guardian.self).create(id: id, params: Self.params("ok", hours: 5, catches: true))
            }
            try await eventually("three children") { try await Self.kids(runtime).count == 3 }
            func child(of id: String) -> InstanceKey {
                InstanceKey(
                    tenant: tenant, workflow: Kid.name,
                    id: ChildWorkflow.instanceId(
                        parent: InstanceKey(tenant: tenant, workflow: Guardian.name, id: id), step: "kid", count: 1))
            }
            // The child terminated: the parent hears of it.
            try await runtime.terminate(child(of: "a"))
            let a = try await runtime.waitForCompletion(InstanceKey(tenant: tenant, workflow: Guardian.name, id: "a"))
            #expect(String(decoding: a.output ?? Data(), as: UTF8.self).hasPrefix(#""caught terminated"#))
            // The child deleted: the parent hears of that too.
            try await runtime.delete(child(of: "b"))
            let b = try await runtime.waitForCompletion(InstanceKey(tenant: tenant, workflow: Guardian.name, id: "b"))
            #expect(String(decoding: b.output ?? Data(), as: UTF8.self).contains("ChildDeleted"))
            // The parent terminated with its children: the child ends too.
            try await runtime.terminate(InstanceKey(tenant: tenant, workflow: Guardian.name, id: "c"), children: true)
            #expect(try await runtime.instanceRow(child(of: "c")).status == .terminated)
            #expect(try await runtime.instanceRow(InstanceKey(tenant: tenant, workflow: Guardian.name, id: "c")).status == .terminated)
        }
    }

    @Test func aParentRestartedAfterItsChildEndedGetsTheSameChildsOutcome() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("children.sqlite")
        let clock = ManualClock()
        let key = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Guardian.name, id: "across")
        try await TestBrigade.run(databasePath: path, clock: clock, register: Self.register) { brigade in
            _ = try await brigade.runtime.workflow(Guardian.self).create(id: key.id, params: Self.params("ok", hours: 3))
            try await eventually("the child started") { try await Self.kids(brigade.runtime).count == 1 }
            try await brigade.runtime.workflow(Guardian.self).get(key.id).waitForStatus(.waiting)
        }
        // A new process: the child's sleep ends there, and the parent is woken by its outcome.
        clock.advance(by: .hours(3))
        try await TestBrigade.run(databasePath: path, clock: clock, register: Self.register) { brigade in
            let runtime = brigade.runtime
            let done = try await runtime.waitForCompletion(key)
            #expect(String(decoding: done.output ?? Data(), as: UTF8.self) == #""ready, got done ok""#)
            // Restarted whole: the step starts "its" child again, which exists and has ended, so
            // its outcome comes back at once and no second child is made.
            try await runtime.restart(key)
            try await eventually("the restarted parent completed") { try await runtime.instanceRow(key).status == .complete }
            #expect(String(decoding: try await runtime.instanceRow(key).output ?? Data(), as: UTF8.self) == #""ready, got done ok""#)
            #expect(try await Self.kids(runtime).count == 1)
        }
    }

    @Test func aWaitThatTimesOutLeavesTheChildRunning() async throws {
        try await TestBrigade.run(register: Self.register) { brigade in
            let runtime = brigade.runtime
            let key = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Guardian.name, id: "impatient")
            let parent = try await runtime.workflow(Guardian.self).create(
                id: key.id, params: Self.params("wait", catches: true, timeoutHours: 1))
            try await parent.waitForStatus(.waiting)
            try await eventually("the child waits") { try await Self.kids(runtime).first?.status == .waiting }
            brigade.clock.advance(by: .hours(1))
            let done = try await runtime.waitForCompletion(key)
            #expect(String(decoding: done.output ?? Data(), as: UTF8.self).hasPrefix(#""caught timedOut"#))
            #expect(try await Self.kids(runtime).first?.status == .waiting, "the child runs on")
        }
    }

    @Test func aChildOfNoSuchWorkflowFailsTheParentSayingSo() async throws {
        try await TestBrigade.run(register: Self.register) { brigade in
            let runtime = brigade.runtime
            let key = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Guardian.name, id: "orphan")
            _ = try await runtime.workflow(Guardian.self).create(id: key.id, params: Self.params("ok", catches: true, workflow: "nobody"))
            let done = try await runtime.waitForCompletion(key)
            #expect(done.status == .errored)
            #expect(done.error?.name == BrigadeError.Code.workflowNotRegistered.rawValue)
            #expect(done.error?.message.contains("nobody") == true)
        }
    }
}
