import Foundation
import GRDB

/// The floor under W1 and W3 on SQLite: the rows Brigade writes for a step and for a creation,
/// written by plain SQL through GRDB with nothing of Brigade's engine, runtime or committer in the
/// loop, on the same settings (WAL, `synchronous = FULL`, one transaction per batch). The schema
/// is Brigade's own (the caller runs the store's migrations on the file first), so the triggers
/// and indexes cost what they cost Brigade.
///
/// Shapes, each the rows of one step (or one creation that parks in a sleep):
/// - `today`: what Brigade wrote before the fold — a step's start and its outcome as two items of
///   the batch, each in its own savepoint, each rewriting the instance row as its fence, the step
///   row twice, four history rows; a creation, its claim, the sleep's start and the hibernation
///   as four items over three transactions.
/// - `joined`: a step's start and outcome as one item (one fence, one step row), the four history
///   rows kept; a creation as today, the sleep's start joined with the hibernation.
/// - `folded`: as `joined`, with each item's history entries in one packed row (a JSON array of
///   them, the ids before it reserved), and a creation that is its own claim (written `running`
///   at epoch 1 with its three first entries in one row) — what Brigade writes now for an
///   instance that starts at once.
/// - `fewest`: the fewest rows the contract needs — a step's row read-fenced (a read of the
///   epoch, no rewrite) with its outcome in it, nothing else (its history events can be told from
///   the step row); a creation that is its own claim, then the sleep's row and the parking in one
///   write.
enum SQLiteFloor {
    enum Shape: String, CaseIterable, Sendable {
        case today, joined, folded, fewest
    }

    struct Result: BenchmarkResult {
        var shape: String
        var stepsPerS: Double
        var creationsPerS: Double
        var stepBatch: Int
        var creationBatch: Int
        var commits: Int
        /// One step's write alone in its transaction, one after another (W2's case): p50 and p99
        /// of each commit, fsync included.
        var loneCommitP50Ms: Double
        var loneCommitP99Ms: Double

        var summary: String {
            "sqlite-floor \(shape): \(stepsPerS) steps/s (\(stepBatch) per commit), \(creationsPerS) creations/s (\(creationBatch) per commit), \(commits) commits; a lone step's commit p50 \(loneCommitP50Ms) ms, p99 \(loneCommitP99Ms) ms"
        }
    }

    /// Runs one shape on the (migrated, empty) database at `path`: `n` instances × `k` steps, then
    /// `n` creations that park.
    static func measure(path: String, shape: Shape, n: Int, k: Int, stepBatch: Int, creationBatch: Int) throws -> Result {
        var configuration = Configuration()
        configuration.label = "floor"
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        var commits = 0
        func transaction(_ body: (Database) throws -> Void) throws {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try body(db)
                    return .commit
                }
            }
            commits += 1
        }

        // Steps: n running instances (created untimed), then k rounds of one step each, in
        // transactions of `stepBatch` steps of distinct instances, as W1's batches hold them.
        let config = #"{"retries":{"backoff":"exponential","delay":10000,"limit":5},"timeout":600000}"#
        var seqs: [Int64] = []
        try transaction { db in
            for index in 0..<n {
                try db.executeCached(
                    sql: """
                        INSERT INTO instances (tenant, workflow, id, status, params, created_at, modified_at, started_at, due_at, shard, epoch)
                        VALUES ('floor', 'steps', ?, 'running', '{}', 1, 1, 1, 1, 0, 1)
                        """, arguments: ["s-\(index)"])
                seqs.append(db.lastInsertedRowID)
            }
        }
        let stepsStart = ContinuousClock.now
        for round in 0..<k {
            let name = "step \(round)"
            for chunk in stride(from: 0, to: seqs.count, by: stepBatch) {
                try transaction { db in
                    for seq in seqs[chunk..<min(chunk + stepBatch, seqs.count)] {
                        try writeStep(shape, seq: seq, name: name, position: round, config: config, db)
                    }
                }
            }
        }
        let stepsSeconds = seconds(ContinuousClock.now - stepsStart)

        // Creations: n instances created, claimed and parked in a sleep, `creationBatch` per
        // transaction for each stage (`folded` and `fewest` claim in the creation).
        let claimedAtCreation = shape == .folded || shape == .fewest
        let creationsStart = ContinuousClock.now
        for chunk in stride(from: 0, to: n, by: creationBatch) {
            let range = chunk..<min(chunk + creationBatch, n)
            var created: [Int64] = []
            try transaction { db in
                for index in range {
                    try item(shape != .fewest, db) {
                        try db.executeCached(
                            sql: """
                                INSERT INTO instances (tenant, workflow, id, status, params, created_at, modified_at, started_at, due_at, shard, epoch)
                                VALUES ('floor', 'sleepers', ?, ?, '{"sleepSeconds":3600}', 2, 2, ?, 2, 0, ?)
                                ON CONFLICT (tenant, workflow, id) DO NOTHING
                                """,
                            arguments: [
                                "c-\(index)", claimedAtCreation ? "running" : "queued", claimedAtCreation ? 2 : nil, claimedAtCreation ? 1 : 0,
                            ])
                        created.append(db.lastInsertedRowID)
                        switch shape {
                        case .today, .joined: try history(db, created.last!, "workflow_queued", nil, nil)
                        case .folded:
                            try packedHistory(
                                db, created.last!,
                                #"[["workflow_queued",2,null,null],["workflow_started",2,null,null],["workflow_running",2,null,null]]"#,
                                count: 3)
                        case .fewest: break
                        }
                    }
                }
            }
            if !claimedAtCreation {
                try transaction { db in
                    for seq in created {
                        try item(true, db) {
                            _ = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM instances WHERE seq = ?"), arguments: [seq])
                            try db.executeCached(
                                sql: """
                                    UPDATE instances SET status = 'running', started_at = 3, due_at = 3, epoch = 1, modified_at = 3
                                    WHERE seq = ? AND epoch = 0
                                    """, arguments: [seq])
                            try history(db, seq, "workflow_started", nil, nil)
                            try history(db, seq, "workflow_running", nil, nil)
                            _ = try Row.fetchAll(
                                db.cachedStatement(sql: "SELECT * FROM steps WHERE instance_seq = ? ORDER BY position"), arguments: [seq])
                            _ = try Row.fetchAll(
                                db.cachedStatement(sql: "SELECT seq FROM events WHERE instance_seq = ? AND consumed = 0 ORDER BY seq"),
                                arguments: [seq])
                        }
                    }
                }
            }
            try transaction { db in
                for seq in created {
                    if shape == .today {
                        try item(true, db) {
                            try fence(rewrite: true, seq, db)
                            try upsertStep(db, seq, "park", kind: "sleep", status: "waiting", config: nil, value: nil, deadline: 3_600_004)
                            try history(db, seq, "sleep_started", "park-1", #"{"durationMs":3600000}"#)
                        }
                    }
                    try item(shape != .fewest, db) {
                        if shape != .today {
                            try upsertStep(db, seq, "park", kind: "sleep", status: "waiting", config: nil, value: nil, deadline: 3_600_004)
                            if shape == .joined { try history(db, seq, "sleep_started", "park-1", #"{"durationMs":3600000}"#) }
                        }
                        try db.executeCached(
                            sql: "UPDATE instances SET status = 'waiting', due_at = 3600004, modified_at = 4 WHERE seq = ? AND epoch = 1",
                            arguments: [seq])
                        if shape == .folded {
                            try packedHistory(
                                db, seq,
                                #"[["sleep_started",4,"park-1",{"durationMs":3600000}],["workflow_waiting",4,null,{"until":3600004}]]"#,
                                count: 2)
                        } else if shape != .fewest {
                            try history(db, seq, "workflow_waiting", nil, #"{"until":3600004}"#)
                        }
                    }
                }
            }
        }
        let creationsSeconds = seconds(ContinuousClock.now - creationsStart)

        // W2's case: one step's write at a time, each its own commit, on the first 500 instances.
        var lone: [Double] = []
        for seq in seqs.prefix(500) {
            let started = ContinuousClock.now
            try transaction { db in try writeStep(shape, seq: seq, name: "lone", position: k, config: config, db) }
            lone.append(seconds(ContinuousClock.now - started) * 1_000)
        }
        lone.sort()
        return Result(
            shape: shape.rawValue, stepsPerS: ProcessMetrics.round3(Double(n * k) / stepsSeconds),
            creationsPerS: ProcessMetrics.round3(Double(n) / creationsSeconds), stepBatch: stepBatch, creationBatch: creationBatch,
            commits: commits, loneCommitP50Ms: ProcessMetrics.round3(lone[lone.count / 2]),
            loneCommitP99Ms: ProcessMetrics.round3(lone[min(lone.count - 1, lone.count * 99 / 100)]))
    }

    /// One step's rows in `shape`.
    private static func writeStep(_ shape: Shape, seq: Int64, name: String, position: Int, config: String, _ db: Database) throws {
        let step = "\(name)-1"
        switch shape {
        case .today:
            try item(true, db) {
                try fence(rewrite: true, seq, db)
                try upsertStep(db, seq, name, position: position, status: "running", config: config, value: nil, deadline: nil)
                try history(db, seq, "step_started", step, #"{"config":\#(config)}"#)
                try history(db, seq, "attempt_started", step, #"{"attempt":1}"#)
            }
            try item(true, db) {
                try fence(rewrite: true, seq, db)
                try upsertStep(
                    db, seq, name, position: position, status: "complete", config: config, value: #"{"i":\#(position)}"#, deadline: nil)
                try history(db, seq, "attempt_completed", step, #"{"attempt":1}"#)
                try history(db, seq, "step_completed", step, nil)
            }
        case .joined, .folded:
            try item(true, db) {
                try fence(rewrite: true, seq, db)
                try upsertStep(
                    db, seq, name, position: position, status: "complete", config: config, value: #"{"i":\#(position)}"#, deadline: nil)
                let rows: [(String, String?)] = [
                    ("step_started", #"{"config":\#(config)}"#), ("attempt_started", #"{"attempt":1}"#),
                    ("attempt_completed", #"{"attempt":1}"#), ("step_completed", nil),
                ]
                if shape == .folded {
                    let packed = "[" + rows.map { #"["\#($0.0)",5,"\#(step)",\#($0.1 ?? "null")]"# }.joined(separator: ",") + "]"
                    try packedHistory(db, seq, packed, count: rows.count)
                } else {
                    for (type, data) in rows { try history(db, seq, type, step, data) }
                }
            }
        case .fewest:
            try fence(rewrite: false, seq, db)
            try upsertStep(
                db, seq, name, position: position, status: "complete", config: config, value: #"{"i":\#(position)}"#, deadline: nil)
        }
    }

    /// An item of a batch, in a savepoint of its own as Brigade's committer keeps each (so one
    /// item's failure does not undo the others), or bare.
    private static func item(_ savepoint: Bool, _ db: Database, _ body: () throws -> Void) throws {
        guard savepoint else { return try body() }
        try db.executeCached(sql: "SAVEPOINT item")
        try body()
        try db.executeCached(sql: "RELEASE SAVEPOINT item")
    }

    /// The epoch fence: a rewrite of the instance row that matches only the current epoch, or a
    /// read of it.
    private static func fence(rewrite: Bool, _ seq: Int64, _ db: Database) throws {
        if rewrite {
            try db.executeCached(sql: "UPDATE instances SET modified_at = 5 WHERE seq = ? AND epoch = 1", arguments: [seq])
            guard db.changesCount == 1 else { throw DatabaseError(message: "fenced") }
        } else {
            guard try Int64.fetchOne(db.cachedStatement(sql: "SELECT epoch FROM instances WHERE seq = ?"), arguments: [seq]) == 1 else {
                throw DatabaseError(message: "fenced")
            }
        }
    }

    private static func upsertStep(
        _ db: Database, _ seq: Int64, _ name: String, kind: String = "do", position: Int = 0, status: String, config: String?,
        value: String?,
        deadline: Int64?
    ) throws {
        try db.executeCached(
            sql: """
                INSERT OR REPLACE INTO steps (instance_seq, name, count, kind, position, status, attempts, config,
                    value, error_name, error_message, non_retryable, deadline, event_type, started_at, ended_at)
                VALUES (?, ?, 1, ?, ?, ?, 1, ?, ?, NULL, NULL, 0, ?, NULL, 5, ?)
                """,
            arguments: [seq, name, kind, position, status, config, value, deadline, value == nil ? nil : 5])
    }

    private static func history(_ db: Database, _ seq: Int64, _ type: String, _ step: String?, _ data: String?) throws {
        try db.executeCached(
            sql: "INSERT INTO history (instance_seq, at, type, step, data) VALUES (?, 5, ?, ?, ?)", arguments: [seq, type, step, data])
    }

    /// One row for `count` entries of one write, at the id the last one gets (the ids before it
    /// taken too), its data a JSON array of them, as Brigade packs them.
    private static func packedHistory(_ db: Database, _ seq: Int64, _ packed: String, count: Int) throws {
        try db.executeCached(
            sql: """
                INSERT INTO history (id, instance_seq, at, type, step, data)
                VALUES (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'history'), 0) + ?, ?, 5, 'packed', NULL, ?)
                """,
            arguments: [count, seq, packed])
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension Database {
    /// Through GRDB's statement cache, as Brigade's store prepares its hot statements once.
    fileprivate func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
