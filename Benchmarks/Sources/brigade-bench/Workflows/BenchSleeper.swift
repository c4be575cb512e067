import Brigade

/// W3: sleeps durably at once for `sleepSeconds`.
struct BenchSleeper: Workflow {
    static var name: String { "bench-sleeper" }

    struct Params: Codable, Sendable { var sleepSeconds: Int }

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Int {
        try await step.sleep("park", for: .seconds(Int64(event.payload.sleepSeconds)))
        return 0
    }
}
