import Brigade
import BrigadeTesting
import Foundation
import Testing

struct Adder: Workflow {
    struct Params: Codable, Sendable {
        var a: Int
        var b: Int
    }
    let ledger: Ledger

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Int {
        let a = try await step.do("load a") { () -> Int in
            ledger.record("a")
            return event.payload.a
        }
        let b = try await step.do("load b") { () -> Int in
            ledger.record("b")
            return event.payload.b
        }
        return try await step.do("sum") { () -> Int in
            ledger.record("sum")
            return a + b
        }
    }
}

@Suite struct BasicWorkflowTests {
    @Test func runsStepsAndStoresOutput() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(Adder(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(Adder.self).create(id: "add-1", params: .init(a: 2, b: 3))
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == 5)
            #expect(try await instance.stepResult("sum", as: Int.self) == 5)
            #expect(ledger.count("a") == 1 && ledger.count("b") == 1 && ledger.count("sum") == 1)
            let types = try await instance.historyTypes()
            #expect(types.first == .workflowQueued)
            #expect(types.last == .workflowCompleted)
            #expect(types.filter { $0 == .stepCompleted }.count == 3)
        }
    }
}
