import Brigade
import Foundation

/// The workflow of `brigade crash-probe`: K sequential steps, each appending a line to a ledger
/// (instance, step, pid, start time) outside the engine before it returns, with a durable sleep half-way (long enough, by default,
/// for the instances to hibernate).
struct CrashProbe: Workflow {
    static var name: String { "crash-probe" }

    struct Params: Codable, Sendable {
        var steps: Int
        var stepMillis: Int
        var sleepMillis: Int
    }

    let ledger: LedgerFile

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Int {
        var sum = 0
        for index in 0..<event.payload.steps {
            sum += try await step.do("step \(index)") { () -> Int in
                // The start (ms since 1970) lets a cluster test tell whether two nodes ran one
                // step's body at the same time.
                ledger.append("\(event.instanceId)\tstep \(index)\t\(getpid())\t\(Date().millisecondsSince1970)")
                try await Task.sleep(for: .milliseconds(event.payload.stepMillis))
                return index
            }
            if index == event.payload.steps / 2 && event.payload.sleepMillis > 0 {
                try await step.sleep("midway", for: .milliseconds(event.payload.sleepMillis))
            }
        }
        return sum
    }
}
