import Brigade

/// The JavaScript benchmarks' Swift twin: ten steps, then a wait for a `go` event.
struct BenchWaiter: Workflow {
    static var name: String { "bench-waiter" }

    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> Int {
        var total = 0
        for index in 0..<10 {
            total += try await step.do("step \(index)") { index }
        }
        _ = try await step.waitForEvent("go", type: "go", timeout: .hours(1))
        return total
    }
}
