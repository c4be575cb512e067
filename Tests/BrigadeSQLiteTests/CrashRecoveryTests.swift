@_spi(Stores) import Brigade
import BrigadeTesting
import Foundation
import GRDB
import Testing

/// Crash recovery with real processes: `brigade crash-probe` runs N instances of K steps, each step
/// body appending a line (instance, step, pid) to a ledger file outside the engine. The test kills
/// the child with SIGKILL twice mid-run, snapshots which steps the database had committed at each
/// kill, and lets a third child finish. On SQLite (R1) and on PostgreSQL (R2).
@Suite(.serialized) struct CrashRecoveryTests {
    static let instances = 30
    static let steps = 10

    @Test(arguments: StoreKind.available)
    func killedProcessesResumeAndNoCommittedStepRunsAgain(_ kind: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "brigade-crash")
        defer { directory.remove() }
        let db = try kind.newDatabase(in: directory)
        // One reader for the whole test, opened (and the schema made) before the first child: a
        // look at what is committed must cost little, or the child finishes between two looks.
        let reader = try await StoreKind.open(db)
        let ledger = directory.file("ledger.tsv")
        let arguments = [
            "crash-probe", "--db", db, "--ledger", ledger,
            "--instances", "\(Self.instances)", "--steps", "\(Self.steps)", "--step-millis", "400",
        ]
        let total = Self.instances * Self.steps

        var snapshots: [(committed: Set<String>, pidsBefore: Set<String>)] = []
        var inFlightAtKills = 0
        for _ in 0..<2 {
            // Relative to what already ran, so that each child is killed after doing some work.
            let killAfter = ProbeLedger.lines(at: ledger).count + total / 6
            let log = directory.file("child-\(snapshots.count).log")
            let child = try BrigadeExecutable.launch(arguments, standardError: log)
            // Kill once it has run some bodies: with thirty instances each running a 400 ms body
            // after the other, about thirty bodies are in flight at any moment (checked below,
            // after the kill). The look reads only the ledger file: one that awaited reads of
            // the store made hops over a cooperative pool the other suites keep busy, and the
            // child once finished between two looks.
            do {
                try await eventually("the child to run \(killAfter) step bodies", timeout: .seconds(120)) {
                    guard child.isRunning else { throw ChildExited() }
                    return ProbeLedger.lines(at: ledger).count >= killAfter
                }
            } catch {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                Issue.record(
                    "child running: \(child.isRunning), ledger lines: \(ProbeLedger.lines(at: ledger).count), its stderr: \(output.suffix(2_000))"
                )
                kill(child.processIdentifier, SIGKILL)
                throw error
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.wasSignalled)
            // A COMMIT the server had received when its client died still completes, perhaps
            // after this read: let the server's side of the dead connections settle first.
            if kind != .sqlite { try await Task.sleep(for: .milliseconds(500)) }
            let committed = try await Self.committedSteps(reader)
            #expect(committed.count < total, "the kill must land mid-run, not after everything was done")
            try await Self.expectWholeStepHistories(reader)
            let linesAtKill = ProbeLedger.lines(at: ledger)
            // Bodies that started but whose result was not committed when the process died.
            let started = Set(linesAtKill.map(\.step))
            inFlightAtKills += started.subtracting(committed).count
            print("crash recovery: kill after \(linesAtKill.count) body executions, \(committed.count) steps committed")
            snapshots.append((committed, Set(linesAtKill.map(\.pid))))
        }

        try await Self.runToTheEnd(arguments)

        // Every instance completed with the value a fresh run gives.
        for index in 0..<Self.instances {
            let row = try await reader.instance(Self.key(index))
            #expect(row?.status == .complete)
            #expect(row?.output.map { String(decoding: $0, as: UTF8.self) } == "\((0..<Self.steps).reduce(0, +))")
        }
        #expect(try await Self.committedSteps(reader).count == total)
        try await Self.expectWholeStepHistories(reader)
        await StoreKind.close(reader)
        if kind == .sqlite {
            let queue = try DatabaseQueue(path: db)
            let integrity = try await queue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
            #expect(integrity == "ok")
        }

        let lines = ProbeLedger.lines(at: ledger)
        var executions: [String: Int] = [:]
        for line in lines { executions[line.step, default: 0] += 1 }
        #expect(executions.count == total, "every step body ran at least once")
        // The guarantee: once committed, a step body never runs again.
        for snapshot in snapshots {
            let later = lines.filter { !snapshot.pidsBefore.contains($0.pid) }
            let rerun = later.filter { snapshot.committed.contains($0.step) }
            #expect(rerun.isEmpty, "committed steps ran again after a kill: \(rerun.prefix(5).map(\.step))")
        }
        // Exactly the steps in flight at a kill ran twice: at-least-once, and no more. A body
        // run twice by one process is no kill's doing: on one SQLite node nothing does that; on
        // PostgreSQL a node that cannot renew its lease in time (a loaded machine) stops its
        // shards, bodies included, and runs them again once it holds them again — allowed by
        // at-least-once, and counted apart.
        let repeated = executions.values.reduce(0) { $0 + $1 - 1 }
        var perProcess: [String: Int] = [:]
        for line in lines { perProcess["\(line.pid)/\(line.step)", default: 0] += 1 }
        let sameProcess = perProcess.values.reduce(0) { $0 + $1 - 1 }
        if kind == .sqlite { #expect(sameProcess == 0, "one process ran a body twice") }
        #expect(repeated - sameProcess == inFlightAtKills, "re-runs \(repeated), of them in one process \(sameProcess), in flight at the kills \(inFlightAtKills)")
        #expect(inFlightAtKills <= Self.instances * snapshots.count, "at most one step in flight per instance per kill")
        #expect(inFlightAtKills > 0, "the kills must hit steps in flight, or this test proves nothing")
        print("crash recovery: \(total) steps, \(lines.count) body executions, \(repeated) re-run after \(snapshots.count) SIGKILLs, \(sameProcess) in one process")
    }

    /// R1/R2 for rollbacks: a process killed while the instances roll back resumes every chain
    /// where its journal left it; a rollback committed before the kill never runs again, and the
    /// instances end `errored` with every rollback done.
    @Test(arguments: StoreKind.available)
    func killedDuringRollbacksTheChainsResume(_ kind: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "brigade-crash-rollback")
        defer { directory.remove() }
        let db = try kind.newDatabase(in: directory)
        let reader = try await StoreKind.open(db)
        let ledger = directory.file("ledger.tsv")
        let (instances, steps) = (10, 4)
        let arguments = [
            "crash-probe", "--db", db, "--ledger", ledger, "--instances", "\(instances)", "--steps", "\(steps)",
            "--step-millis", "300", "--sleep-millis", "0", "--roll-back",
        ]
        func rollbackLines() -> [ProbeLedger.Line] { ProbeLedger.lines(at: ledger).filter { $0.step.contains("/rollback ") } }
        try await Self.killChild(arguments, log: directory.file("child.log"), once: "the child ran some rollbacks") {
            rollbackLines().count >= instances * steps / 2
        }
        var committed = Set<String>()
        for index in 0..<instances {
            for step in try await reader.steps(of: Self.key(index)) where step.kind == .rollback && step.status == .complete {
                committed.insert("probe-\(index)/rollback \(step.name)")
            }
        }
        #expect(committed.count < instances * steps, "the kill must land mid-chain")
        #expect(!committed.isEmpty, "and after some rollbacks committed, or this proves nothing of them")
        let pidsBefore = Set(ProbeLedger.lines(at: ledger).map(\.pid))

        try await Self.runToTheEnd(arguments)
        for index in 0..<instances {
            let row = try await reader.instance(Self.key(index))
            #expect(row?.status == .errored && row?.error?.name == "ProbeFailure")
            let recorded = try await reader.steps(of: Self.key(index))
            #expect(RollbackOutcome(status: row?.status ?? .running, steps: recorded) == RollbackOutcome(outcome: .complete))
            #expect(recorded.filter { $0.kind == .rollback }.count == steps)
        }
        await StoreKind.close(reader)
        let after = ProbeLedger.lines(at: ledger).filter { !pidsBefore.contains($0.pid) }
        let rerun = after.filter { committed.contains($0.step) }
        #expect(rerun.isEmpty, "committed rollbacks ran again after the kill: \(rerun.prefix(5).map(\.step))")
        #expect(!after.contains { !$0.step.contains("/rollback ") }, "no forward step ran again: they all finished before the chains")
        #expect(Set(rollbackLines().map(\.step)).count == instances * steps, "every rollback ran")
        print("crash recovery (rollbacks): \(committed.count) of \(instances * steps) rollbacks committed at the kill")
    }

    /// R1/R2 for child workflows: a process killed while parents wait for their children (some
    /// running, some ended and not yet seen by their parent) resumes them all; every parent
    /// ends with each child's output, no step starts a second child, and no committed child
    /// step runs again.
    @Test(arguments: StoreKind.available)
    func killedWhileChildrenRunEveryParentGetsItsChildsOutcome(_ kind: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "brigade-crash-children")
        defer { directory.remove() }
        let db = try kind.newDatabase(in: directory)
        let reader = try await StoreKind.open(db)
        let ledger = directory.file("ledger.tsv")
        let (instances, steps) = (10, 4)
        let arguments = [
            "crash-probe", "--db", db, "--ledger", ledger, "--instances", "\(instances)", "--steps", "\(steps)",
            "--step-millis", "300", "--sleep-millis", "0", "--children",
        ]
        func childKey(_ index: Int, _ step: Int) -> InstanceKey {
            InstanceKey(
                tenant: BrigadeRuntime.defaultTenant, workflow: "crash-probe-child",
                id: ChildWorkflow.instanceId(parent: Self.key(index), step: "step \(step)", count: 1))
        }
        try await Self.killChild(arguments, log: directory.file("child.log"), once: "some children ran") {
            ProbeLedger.lines(at: ledger).count >= instances * steps / 2
        }
        var committed = Set<String>()
        for index in 0..<instances {
            for step in 0..<steps where try await reader.steps(of: childKey(index, step)).contains(where: { $0.status == .complete }) {
                committed.insert("probe-\(index)/child step \(step)")
            }
        }
        #expect(committed.count < instances * steps, "the kill must land while children run")
        #expect(!committed.isEmpty, "and after some child steps committed, or this proves nothing of them")
        let pidsBefore = Set(ProbeLedger.lines(at: ledger).map(\.pid))

        try await Self.runToTheEnd(arguments)
        for index in 0..<instances {
            let row = try await reader.instance(Self.key(index))
            #expect(
                row?.status == .complete && row?.output == Data("\((0..<steps).reduce(0, +))".utf8),
                "probe-\(index): \(String(describing: row?.status))")
            for step in 0..<steps {
                let kid = try await reader.instance(childKey(index, step))
                #expect(kid?.status == .complete && kid?.trigger.parent?.id == "probe-\(index)")
            }
        }
        let kids = try await reader.instanceCounts(tenant: BrigadeRuntime.defaultTenant, workflow: "crash-probe-child")
        #expect(kids == [.complete: instances * steps], "one child per step, never a second: \(kids)")
        await StoreKind.close(reader)
        let after = ProbeLedger.lines(at: ledger).filter { !pidsBefore.contains($0.pid) }
        let rerun = after.filter { committed.contains($0.step) }
        #expect(rerun.isEmpty, "committed child steps ran again after the kill: \(rerun.prefix(5).map(\.step))")
        print("crash recovery (children): \(committed.count) of \(instances * steps) child steps committed at the kill")
    }

    /// Launches `brigade` with `arguments` and kills it (SIGKILL) once `condition` holds; its
    /// standard error goes to `log`, shown if it exits or never gets there.
    static func killChild(_ arguments: [String], log: String, once what: String, _ condition: @escaping () -> Bool) async throws {
        let child = try BrigadeExecutable.launch(arguments, standardError: log)
        do {
            try await eventually("\(what) before the kill", timeout: .seconds(120)) {
                guard child.isRunning else { throw ChildExited() }
                return condition()
            }
        } catch {
            Issue.record("its stderr: \(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").suffix(2_000))")
            kill(child.processIdentifier, SIGKILL)
            throw error
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.wasSignalled)
    }

    /// Runs `brigade` with `arguments` until it exits, which must be with status 0.
    static func runToTheEnd(_ arguments: [String]) async throws {
        let last = try BrigadeExecutable.launch(arguments)
        try await eventually("the last child to finish", timeout: .seconds(90)) { !last.isRunning }
        #expect(last.terminationStatus == 0)
    }

    static func key(_ index: Int) -> InstanceKey {
        InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: "crash-probe", id: "probe-\(index)")
    }

    /// What a kill leaves of each step's history is whole: an attempt's start and its outcome were
    /// two commits once and are one now (joined, their entries one row), so a step's events are
    /// `step_started`, then attempts, each an `attempt_started` followed by its outcome unless it
    /// was the one cut off, and `step_completed` only after an `attempt_completed`, last — never an
    /// outcome without its start, a start after its outcome, or half of one write's entries.
    static func expectWholeStepHistories(_ store: any WorkflowStore) async throws {
        for index in 0..<instances {
            let history = try await store.history(of: key(index), afterId: 0, limit: 10_000)
            #expect(zip(history, history.dropFirst()).allSatisfy { $0.id < $1.id }, "probe-\(index): ids in order")
            let stepTypes: Set<HistoryEventType> = [.stepStarted, .attemptStarted, .attemptCompleted, .attemptErrored, .stepCompleted]
            let byStep = Dictionary(
                grouping: history.filter { $0.entry.step != nil && stepTypes.contains($0.entry.type) }, by: { $0.entry.step! })
            for (step, events) in byStep {
                let types = events.map(\.entry.type)
                var whole = types.first == .stepStarted
                var open = false
                for (position, type) in types.enumerated().dropFirst() {
                    switch type {
                    case .attemptStarted:
                        open = true
                    case .attemptCompleted, .attemptErrored:
                        whole = whole && open
                        open = false
                    case .stepCompleted:
                        whole = whole && types[position - 1] == .attemptCompleted && position == types.count - 1
                    default:
                        whole = false
                    }
                }
                #expect(whole, "probe-\(index) \(step): \(types)")
            }
        }
    }

    /// Completed `step.do` records, as "instance/step name", read through a store of the test's
    /// own (as another process would read them).
    static func committedSteps(_ store: any WorkflowStore) async throws -> Set<String> {
        var committed = Set<String>()
        for index in 0..<instances {
            for step in try await store.steps(of: key(index)) where step.kind == .do && step.status == .complete {
                committed.insert("probe-\(index)/\(step.name)")
            }
        }
        return committed
    }

}

private struct ChildExited: Error, CustomStringConvertible {
    var description: String { "the child exited before it could be killed mid-run" }
}
