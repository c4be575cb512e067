import Brigade
import Foundation

/// The workflow of `brigade crash-probe`: K sequential steps, each appending a line to a ledger
/// (instance, step, pid, start time) outside the engine before it returns, with a durable sleep half-way (long enough, by default,
/// for the instances to hibernate). With `rollBack`, every step registers a rollback that logs
/// `rollback step N` the same way, and `run` fails after the last step, so the rollbacks run.
struct CrashProbe: Workflow {
    static var name: String { "crash-probe" }

    struct Params: Codable, Sendable {
        var steps: Int
        var stepMillis: Int
        var sleepMillis: Int
        /// Optional, so that params written without it (the serve and cluster tests') decode.
        var rollBack: Bool?
        /// Each step is a child workflow (``CrashProbeChild``) the instance waits for.
        var children: Bool?
    }

    let ledger: LedgerFile

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Int {
        var sum = 0
        let params = event.payload
        for index in 0..<params.steps {
            let body = { @Sendable () async throws -> Int in
                // The start (ms since 1970) lets a cluster test tell whether two nodes ran one
                // step's body at the same time.
                ledger.append("\(event.instanceId)\tstep \(index)\t\(getpid())\t\(Date().millisecondsSince1970)")
                try await Task.sleep(for: .milliseconds(params.stepMillis))
                return index
            }
            if params.children == true {
                sum += try await step.child(
                    "step \(index)", CrashProbeChild.self,
                    params: .init(parent: event.instanceId, index: index, stepMillis: params.stepMillis))
            } else if params.rollBack == true {
                sum += try await step.do(
                    "step \(index)", nil, body,
                    rollback: { _ in
                        ledger.append("\(event.instanceId)\trollback step \(index)\t\(getpid())\t\(Date().millisecondsSince1970)")
                        try await Task.sleep(for: .milliseconds(params.stepMillis))
                    })
            } else {
                sum += try await step.do("step \(index)", nil, body)
            }
            if index == event.payload.steps / 2 && event.payload.sleepMillis > 0 {
                try await step.sleep("midway", for: .milliseconds(event.payload.sleepMillis))
            }
        }
        if params.rollBack == true { throw NonRetryableError("the probe fails after its last step", name: "ProbeFailure") }
        return sum
    }
}

/// A step of `brigade crash-probe --children`: one `step.do` that appends `<parent>\tchild step N`
/// to the ledger, as the probe's own steps do.
struct CrashProbeChild: Workflow {
    static var name: String { "crash-probe-child" }

    struct Params: Codable, Sendable {
        var parent: String
        var index: Int
        var stepMillis: Int
    }

    let ledger: LedgerFile

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Int {
        let params = event.payload
        return try await step.do("work") {
            ledger.append("\(params.parent)\tchild step \(params.index)\t\(getpid())\t\(Date().millisecondsSince1970)")
            try await Task.sleep(for: .milliseconds(params.stepMillis))
            return params.index
        }
    }
}
