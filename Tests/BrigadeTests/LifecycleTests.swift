import Brigade
import BrigadeTesting
import Foundation
import Testing

struct Blocking: Workflow {
    let ledger: Ledger
    let gate: Gate
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        try await step.do("slow") {
            ledger.record("slow")
            await gate.wait()
        }
        try await step.do("next") { ledger.record("next") }
        return "done"
    }
}

struct ThreeSteps: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        var parts: [String] = []
        for name in ["a", "b", "c"] {
            parts.append(
                try await step.do(name) { () -> String in
                    ledger.record(name)
                    return name.uppercased()
                })
        }
        return parts.joined()
    }
}

@Suite struct LifecycleTests {
    @Test func pauseWhileAStepRunsWaitsForItThenPauses() async throws {
        let ledger = Ledger()
        let gate = Gate()
        try await TestBrigade.run(register: { try $0.register(Blocking(ledger: ledger, gate: gate)) }) { brigade in
            let instance = try await brigade.runtime.workflow(Blocking.self).create(params: Empty())
            try await eventually("the slow step to start") { ledger.count("slow") == 1 }
            try await instance.pause()
            #expect(try await instance.status().status == .waitingForPause)
            gate.open()
            try await instance.waitForStatus(.paused)
            #expect(try await instance.stepRecord("slow")?.status == .complete, "the running step finished")
            try await Task.sleep(for: .milliseconds(30))
            #expect(ledger.count("next") == 0, "no step starts while paused")
            #expect(brigade.runtime.liveInstanceCount == 0 && brigade.runtime.runningSlots() == 0)

            try await instance.resume()
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == "done")
            #expect(ledger.count("slow") == 1 && ledger.count("next") == 1)
            let history = try await instance.historyTypes()
            #expect(history.contains(.workflowWaitingForPause) && history.contains(.workflowPaused))
        }
    }

    @Test func resumeBeforeThePauseTakesEffectCancelsIt() async throws {
        let ledger = Ledger()
        let gate = Gate()
        try await TestBrigade.run(register: { try $0.register(Blocking(ledger: ledger, gate: gate)) }) { brigade in
            let instance = try await brigade.runtime.workflow(Blocking.self).create(params: Empty())
            try await eventually("the slow step to start") { ledger.count("slow") == 1 }
            try await instance.pause()
            try await instance.resume()
            #expect(try await instance.status().status == .running)
            gate.open()
            try await instance.waitForStatus(.complete)
            #expect(ledger.count("slow") == 1)
        }
    }

    @Test func pausingAHibernatedInstanceFreezesItsTimers() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(SleepsADay(ledger: ledger)) }) { brigade in
            let start = brigade.clock.now()
            let instance = try await brigade.runtime.workflow(SleepsADay.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            brigade.clock.advance(by: .hours(1))
            try await instance.pause()
            #expect(try await instance.status().status == .paused)
            brigade.clock.advance(by: .hours(30))
            try await Task.sleep(for: .milliseconds(30))
            #expect(try await instance.status().status == .paused, "a paused instance does not wake")
            try await instance.resume()
            // 23 hours of the sleep were left when it was paused for 30 hours.
            try await instance.waitForStatus(.waiting)
            let nap = try #require(try await instance.stepRecord("nap"))
            #expect(nap.deadline == start.millisecondsSince1970 + (24 + 30) * 3_600_000)
            brigade.clock.advance(by: .hours(22))
            try await Task.sleep(for: .milliseconds(30))
            #expect(try await instance.status().status == .waiting)
            brigade.clock.advance(by: .hours(1))
            try await instance.waitForStatus(.complete)
        }
    }

    @Test func pauseAndResumeHaveNoEffectOnQueuedOrFinishedInstances() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(ThreeSteps(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(ThreeSteps.self).create(params: Empty())
            try await instance.waitForStatus(.complete)
            try await instance.pause()
            try await instance.resume()
            #expect(try await instance.status().status == .complete)
        }
    }

    @Test func terminateRules() async throws {
        let ledger = Ledger()
        let gate = Gate()
        try await TestBrigade.run(register: {
            try $0.register(Blocking(ledger: ledger, gate: gate))
            try $0.register(ThreeSteps(ledger: ledger))
        }) { brigade in
            let running = try await brigade.runtime.workflow(Blocking.self).create(params: Empty())
            try await eventually("the slow step to start") { ledger.count("slow") == 1 }
            try await running.terminate()
            #expect(try await running.status().status == .terminated)
            try await eventually("the engine to stop") { brigade.runtime.liveInstanceCount == 0 }
            gate.open()
            try await Task.sleep(for: .milliseconds(30))
            #expect(try await running.status().status == .terminated, "a terminated instance's engine writes nothing more")
            #expect(ledger.count("next") == 0)
            #expect(try await running.stepRecord("slow")?.status != .complete)
            #expect(try await running.historyTypes().last == .workflowTerminated)

            await #expect { try await running.terminate() } throws: { ($0 as? BrigadeError)?.code == .cannotTerminate }
            let complete = try await brigade.runtime.workflow(ThreeSteps.self).create(params: Empty())
            try await complete.waitForStatus(.complete)
            await #expect { try await complete.terminate() } throws: { ($0 as? BrigadeError)?.code == .cannotTerminate }
            await #expect { try await complete.sendEvent(type: "late", payload: 1) } throws: {
                ($0 as? BrigadeError)?.code == .instanceFinished
            }
        }
    }

    @Test func restartFromAStepReusesEarlierResults() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(ThreeSteps(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(ThreeSteps.self).create(params: Empty())
            try await instance.waitForStatus(.complete)
            try await instance.restart(from: StepSelector(name: "b", count: 1, kind: .do))
            let again = try await instance.waitForStatus(.complete)
            #expect(again.output == "ABC")
            #expect(ledger.count("a") == 1, "steps before the target keep their results")
            #expect(ledger.count("b") == 2 && ledger.count("c") == 2)

            try await instance.restart()
            try await instance.waitForStatus(.complete)
            #expect(ledger.count("a") == 2 && ledger.count("b") == 3 && ledger.count("c") == 3)

            await #expect { try await instance.restart(from: StepSelector(name: "zzz")) } throws: { error in
                let error = error as? BrigadeError
                return error?.code == .cannotRestart && error?.message.contains("zzz-1") == true
            }
            await #expect { try await instance.restart(from: StepSelector(name: "a", kind: .sleep)) } throws: {
                ($0 as? BrigadeError)?.code == .cannotRestart
            }
        }
    }

    @Test func deleteStopsAndRemovesAnInstance() async throws {
        let ledger = Ledger()
        let gate = Gate()
        try await TestBrigade.run(register: { try $0.register(Blocking(ledger: ledger, gate: gate)) }) { brigade in
            let client = brigade.runtime.workflow(Blocking.self)
            let instance = try await client.create(id: "doomed", params: Empty())
            try await eventually("the slow step to start") { ledger.count("slow") == 1 }
            try await instance.delete()
            await #expect { _ = try await client.get("doomed") } throws: { ($0 as? BrigadeError)?.code == .instanceNotFound }
            try await eventually("the engine to stop") { brigade.runtime.liveInstanceCount == 0 }
            // The id is free again.
            _ = try await client.create(id: "doomed", params: Empty())
            gate.open()
        }
    }
}
