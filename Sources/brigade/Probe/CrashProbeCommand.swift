import ArgumentParser
import Brigade
import BrigadePostgres
import BrigadeSQLite
import Foundation
import Logging

/// `brigade crash-probe` (hidden): the child process of the crash-recovery tests. Creates N
/// instances (skipping those that exist) and runs until every one has finished.
struct CrashProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-probe",
        abstract: "Run the crash-recovery probe workflow (used by the test suite).",
        shouldDisplay: false
    )

    @Option var db: String
    @Option var ledger: String
    @Option var instances: Int = 20
    @Option var steps: Int = 10
    @Option var stepMillis: Int = 10
    @Option(help: "Length of the durable sleep half-way through each instance; 0 for none.") var sleepMillis: Int = 1_200
    @Flag(help: "Register a rollback on every step and fail run after the last: the rollbacks run.") var rollBack = false
    @Flag(help: "Make every step a child workflow the instance waits for.") var children = false

    func run() async throws {
        var logger = Logger(label: "brigade")
        logger.logLevel = .warning
        let store = try await CommandSupport.openStore(db)
        let runtime = BrigadeRuntime(store: store, logger: logger)
        let ledgerFile = try LedgerFile(path: ledger)
        try runtime.register(CrashProbe(ledger: ledgerFile))
        try runtime.register(CrashProbeChild(ledger: ledgerFile))
        let started = ContinuousClock.now
        let params = try JSONEncoder().encode(CrashProbe.Params(
                steps: steps, stepMillis: stepMillis, sleepMillis: sleepMillis, rollBack: rollBack, children: children))
        for chunk in stride(from: 0, to: instances, by: 100) {
            let requests = (chunk..<min(chunk + 100, instances)).map { NewInstanceRequest(id: "probe-\($0)", params: params) }
            _ = try await runtime.createInstanceBatch(workflow: CrashProbe.name, requests)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runtime.run() }
            while true {
                let counts = try await runtime.instanceCounts(workflow: CrashProbe.name)
                if InstanceStatus.allCases.filter(\.isTerminal).reduce(0, { $0 + counts[$1, default: 0] }) >= instances { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let commits = (store as? SQLiteStore)?.commitStatistics ?? (store as? PostgresStore)?.commitStatistics ?? CommitStatistics()
        await (store as? PostgresStore)?.close()
        say(
            "crash-probe: \(instances) instances × \(steps) steps finished in \(String(format: "%.3f", seconds)) s (this run); \(commits.batches) commits for \(commits.items) writes"
        )
    }
}
