import ArgumentParser
import Brigade
import BrigadeSQLite
import Foundation
import Logging
import ServiceLifecycle

/// `brigade demo`: runs the example order workflow on a SQLite file in the current directory and
/// prints its step timeline. Interrupt it (Ctrl-C, or kill -9) and run it again: it resumes.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run an example workflow and print its step timeline; interrupt it and run it again to see it resume."
    )

    @Option(name: .long, help: "The SQLite database file.")
    var db: String = "brigade-demo.sqlite"

    @Flag(name: .long, help: "Start a new instance even if an unfinished one exists.")
    var new = false

    func run() async throws {
        let logger = CommandSupport.logger(defaultLevel: .warning)
        let store = try await CommandSupport.openStore(db)
        let runtime = BrigadeRuntime(store: store, logger: logger)
        try runtime.register(DemoOrder())
        let client = runtime.workflow(DemoOrder.self)

        let instance: WorkflowInstance<DemoOrder>
        let previous = try await client.list(InstanceQuery(limit: 1)).instances.first
        if let previous, !previous.status.isTerminal, !new {
            instance = try await client.get(previous.key.id)
            say("Resuming instance \(previous.key.id) (\(previous.status.rawValue)) from \(db): committed steps are not run again.\n")
        } else {
            let number =
                try await client.counts().values.reduce(0, +) + 1
            instance = try await client.create(id: "order-\(number)", params: .init(item: "espresso machine", quantity: 2))
            say("Started instance \(instance.id) of workflow \(DemoOrder.name) in \(db).")
            say("Interrupt with Ctrl-C (or kill -9) at any time, then run `brigade demo` again to resume it.\n")
        }
        let row = try await runtime.instanceRow(instance.key)
        let timeline = Timeline(start: row.createdAt)

        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: runtime)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            ))
        // `true` from the follower means the instance finished; `false` from the service group
        // means a signal stopped it first. Both results are collected: after a normal finish the
        // follower's shutdown request makes the group return too, in either order.
        let finished = try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                try await group.run()
                return false
            }
            tasks.addTask {
                do {
                    try await follow(instance, runtime: runtime, timeline: timeline)
                } catch is CancellationError {
                    return false
                }
                await group.triggerGracefulShutdown()
                return true
            }
            var finished = false
            for try await result in tasks {
                finished = finished || result
                // The group ended first (a signal): stop following. After a normal finish the
                // group is already shutting down gracefully and must not be cancelled.
                if !result { tasks.cancelAll() }
            }
            return finished
        }
        if finished {
            try await printSummary(instance)
        } else {
            say("\nInterrupted. Run `brigade demo` again: instance \(instance.id) resumes from its last committed step.")
        }
    }

    /// Prints history as it is written, sends the approval event once the workflow waits for it,
    /// and returns when the instance finishes.
    private func follow(_ instance: WorkflowInstance<DemoOrder>, runtime: BrigadeRuntime, timeline: Timeline) async throws {
        var lastId: Int64 = 0
        var sentApproval = false
        while true {
            for event in try await instance.history(afterId: lastId) {
                say(timeline.line(for: event))
                lastId = event.id
            }
            if !sentApproval, let wait = try await instance.steps().first(where: { $0.name == "manager approval" }) {
                sentApproval = true
                if wait.status == .waiting {
                    try await Task.sleep(for: .milliseconds(800))
                    say("          (demo) sending event \"approved\" to \(instance.id)")
                    try await instance.sendEvent(type: "approved", payload: DemoOrder.Approval(approver: "Marguerite"))
                }
            }
            let status = try await instance.status()
            if status.status.isTerminal {
                for event in try await instance.history(afterId: lastId) { say(timeline.line(for: event)) }
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func printSummary(_ instance: WorkflowInstance<DemoOrder>) async throws {
        let status = try await instance.status()
        say("\nInstance \(instance.id): \(status.status.rawValue)")
        say("\n  step                       kind          status     attempts  duration")
        for step in try await instance.steps() {
            let duration = step.endedAt.map { "\($0 - step.startedAt) ms" } ?? "-"
            let name = step.displayName.padding(toLength: 26, withPad: " ", startingAt: 0)
            let kind = step.kind.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
            let state = step.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
            let attempts = (step.kind == .do ? "\(step.attempts)" : "-").padding(toLength: 9, withPad: " ", startingAt: 0)
            say("  \(name) \(kind) \(state) \(attempts) \(duration)")
        }
        if let output = status.output {
            say(
                "\nOutput: charge \(output.charge), \(output.totalCents) cents, \(output.bin), approved by \(output.approvedBy), tracking \(output.tracking)"
            )
        }
        if let error = status.error { say("\nError: \(error)") }
    }
}
