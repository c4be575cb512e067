import Brigade
import BrigadeTesting
import Foundation
import Synchronization
import Testing

/// A workflow whose code a test changes between two lifetimes (R14): the step before the sleep
/// renamed, removed, or the whole path after it gone.
struct Evolving: Workflow {
    enum Change: Sendable { case none, renamed, removed }
    let ledger: Ledger
    let change: ChangeBox

    final class ChangeBox: Sendable {
        private let value = Mutex<Change>(.none)
        var current: Change { value.withLock { $0 } }
        func set(_ change: Change) { value.withLock { $0 = change } }
    }

    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        switch change.current {
        case .none:
            try await step.do("reserve") { ledger.record("reserve") }
        case .renamed:
            try await step.do("book") { ledger.record("book") }
        case .removed:
            break
        }
        try await step.do("charge") { ledger.record("charge") }
        try await step.sleep("cool off", for: .hours(1))
        try await step.do("ship") { ledger.record("ship") }
        return "done"
    }
}

/// Two branches side by side; the second reaches its recorded step late (real time), after the
/// first has reached a new one. Sound code: the new step waits for it, and nothing fails.
struct LateBranch: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        async let first: Void = {
            try await step.do("a") { ledger.record("a") }
            try await step.sleep("nap", for: .hours(1))
            try await step.do("after nap") { ledger.record("after nap") }
        }()
        async let second: Void = {
            if ledger.count("a") > 0 && ledger.count("b") > 0 { try await Task.sleep(for: .milliseconds(300)) }
            try await step.do("b") { ledger.record("b") }
        }()
        _ = try await (first, second)
        return "both"
    }
}

@Suite struct NonDeterminismTests {
    static var settings: BrigadeSettings {
        var settings = BrigadeSettings()
        settings.nonDeterminismGrace = .milliseconds(500)
        return settings
    }

    /// R14: a renamed step. The replay reaches "book" where the journal has "reserve": the new
    /// step is held, never runs, and the instance fails naming both.
    @Test func aRenamedStepFailsTheInstanceBeforeTheNewPathRuns() async throws {
        let ledger = Ledger()
        let workflow = Evolving(ledger: ledger, change: .init())
        try await TestBrigade.run(settings: Self.settings, register: { try $0.register(workflow) }) { brigade in
            let instance = try await brigade.runtime.workflow(Evolving.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            workflow.change.set(.renamed)
            brigade.clock.advance(by: .hours(1))
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.name == BrigadeError.Code.nonDeterminism.rawValue)
            let message = final.error?.message ?? ""
            #expect(message.contains("\"reserve-1\"") && message.contains("\"book-1\""), "\(message)")
            #expect(ledger.count("book") == 0, "no side effect of the new path")
            #expect(ledger.count("ship") == 0)
        }
    }

    /// R14: a removed step. The replay reaches "charge" (recorded) but never "reserve": when it
    /// gets to the new "ship" the journal still holds "reserve", and it fails.
    @Test func aRemovedStepFailsTheInstance() async throws {
        let ledger = Ledger()
        let workflow = Evolving(ledger: ledger, change: .init())
        try await TestBrigade.run(settings: Self.settings, register: { try $0.register(workflow) }) { brigade in
            let instance = try await brigade.runtime.workflow(Evolving.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            workflow.change.set(.removed)
            brigade.clock.advance(by: .hours(1))
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.message.contains("\"reserve-1\"") == true)
            #expect(final.error?.message.contains("\"ship-1\"") == true)
            #expect(ledger.count("ship") == 0)
        }
    }

    /// A replay that runs short: `run` returns without reaching a finished step.
    @Test func aRunThatReturnsWithoutAFinishedStepFails() async throws {
        struct Shortened: Workflow {
            let ledger: Ledger
            let short: Flag
            func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
                if short.isSet { return "short" }
                try await step.do("work") { ledger.record("work") }
                try await step.sleep("nap", for: .hours(1))
                return "long"
            }
        }
        let ledger = Ledger()
        let short = Flag()
        try await TestBrigade.run(settings: Self.settings, register: { try $0.register(Shortened(ledger: ledger, short: short)) }) {
            brigade in
            let instance = try await brigade.runtime.workflow(Shortened.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            short.set()
            brigade.clock.advance(by: .hours(1))
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.message.contains("run returned without reaching it") == true)
            #expect(final.output == nil)
        }
    }

    /// Parallel branches replay in any order: a new step reached before another branch has
    /// re-reached its finished step waits for it, and the instance completes.
    @Test func aBranchThatReachesItsStepLateIsNotNonDeterminism() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(settings: Self.settings, register: { try $0.register(LateBranch(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(LateBranch.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            brigade.clock.advance(by: .hours(1))
            let final = try await instance.waitForStatus(.complete)
            #expect(final.output == "both")
            #expect(ledger.count("a") == 1 && ledger.count("b") == 1 && ledger.count("after nap") == 1)
        }
    }

    /// By a setting, the instance pauses instead, with the error on it; once the code it started
    /// with is back, a resume runs it on, and the error is gone.
    @Test func byASettingTheInstancePausesAndResumesOnceTheCodeIsBack() async throws {
        let ledger = Ledger()
        let workflow = Evolving(ledger: ledger, change: .init())
        var settings = Self.settings
        settings.onNonDeterminism = .pause
        try await TestBrigade.run(settings: settings, register: { try $0.register(workflow) }) { brigade in
            let instance = try await brigade.runtime.workflow(Evolving.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            workflow.change.set(.renamed)
            brigade.clock.advance(by: .hours(1))
            let paused = try await instance.waitForStatus(.paused)
            #expect(paused.error?.name == BrigadeError.Code.nonDeterminism.rawValue)
            #expect(ledger.count("book") == 0 && ledger.count("ship") == 0)
            let history = try await brigade.runtime.history(instance.key)
            #expect(history.last?.entry.type == .workflowPaused && history.last?.entry.data["reason"] != nil)
            workflow.change.set(.none)
            try await instance.resume()
            let final = try await instance.waitForStatus(.complete)
            #expect(final.error == nil)
            #expect(ledger.count("reserve") == 1 && ledger.count("ship") == 1, "replayed, then ran on")
        }
    }
}
