@_spi(Benchmarks) import BrigadePostgres
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `brigade-bench pg-commit --db URL`: the floor under one writer lane's lone writes, with nothing
/// of Brigade's engine or store in the loop: one postgres-nio connection sends, one at a time,
/// the statement a step's joined write is (the text of `Benchmarks/pg-floor/run.sh`, prepared),
/// each committing on its own, against 10,000 instances. Its latency per commit, times the
/// commits of a W2 workflow, is the floor under W2 for a Swift client on this machine.
enum PostgresCommitFloor {
    struct Result: BenchmarkResult {
        var n: Int
        var p50Ms: Double
        var p99Ms: Double
        var meanMs: Double

        var summary: String { "pg-commit: \(n) lone step writes one at a time: p50 \(p50Ms) ms, p99 \(p99Ms) ms, mean \(meanMs) ms" }
    }

    struct FloorWrite: PostgresPreparedStatement {
        typealias Row = (Int64, Int64)
        static let sql = """
            WITH fence AS (UPDATE instances SET modified_at = 2, status = coalesce(NULL::text, status),
                due_at = CASE WHEN NULL::text IS NULL THEN due_at ELSE NULL END, output = coalesce(NULL::bytea, output)
              WHERE seq = $1 AND epoch = 1 AND (NULL::integer IS NULL OR EXISTS (SELECT 1 FROM shard_leases WHERE slot = NULL::integer))
              RETURNING seq),
            written AS (INSERT INTO steps (instance_seq, name, count, kind, position, status, attempts, config, value, error_name,
                error_message, non_retryable, deadline, event_type, started_at, ended_at)
              SELECT fence.seq, s.* FROM fence, unnest(ARRAY['step ' || $2::bigint], ARRAY[1::bigint], ARRAY['do'], ARRAY[0::bigint], ARRAY['complete'],
                ARRAY[1::bigint], ARRAY[NULL::bytea], ARRAY['{"i":1}'::bytea], ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[false],
                ARRAY[NULL::bigint], ARRAY[NULL::text], ARRAY[2::bigint], ARRAY[2::bigint]) AS s
              ON CONFLICT (instance_seq, name, count) DO UPDATE SET status = excluded.status, value = excluded.value),
            consumed AS (UPDATE events SET consumed = true WHERE seq = ANY(ARRAY[]::bigint[]) AND instance_seq = (SELECT seq FROM fence) RETURNING seq),
            last AS (SELECT coalesce(max(id), 0) AS id FROM history WHERE instance_seq = $1),
            appended AS (INSERT INTO history (instance_seq, id, at, type, step, data)
              SELECT fence.seq, last.id + h.ord, h.at, h.type, h.step, h.data FROM fence, last,
                unnest(ARRAY[2, 2, 2, 2]::bigint[], ARRAY['step_started', 'attempt_started', 'attempt_completed', 'step_completed'],
                  ARRAY['step', 'step', 'step', 'step'], ARRAY['{"config":{}}', '{"attempt":1}', '{"attempt":1}', NULL]) WITH ORDINALITY AS h(at, type, step, data, ord))
            SELECT (SELECT count(*) FROM fence), (SELECT count(*) FROM consumed)
            """
        var seq: Int64
        var n: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(seq)
            bindings.append(n)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    static func measure(url: String, n: Int) async throws -> Result {
        let store = try PostgresStore(url: url)
        try await store.migrate()
        await store.close()
        let location = try PostgresLocation(url: url)
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password, database: location.database,
            tls: .disable)
        if let socket = location.socketDirectory {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: "\(socket)/.s.PGSQL.\(location.port)", username: location.user, password: location.password,
                database: location.database)
        }
        var logger = Logger(label: "brigade.bench")
        logger.logLevel = .warning
        let eventLoop = PostgresClient.defaultEventLoopGroup.next()
        let connection = try await PostgresConnection.connect(on: eventLoop, configuration: configuration, id: 1, logger: logger)
        try await connection.query("TRUNCATE instances, steps, history, events RESTART IDENTITY", logger: logger)
        try await connection.query(
            """
            INSERT INTO instances (tenant, workflow, id, status, params, created_at, modified_at, due_at, shard, epoch)
            SELECT 'default', 'bench', 'i-' || g, 'running', '{}'::bytea, 0, 0, 0, 0, 1 FROM generate_series(1, 10000) g
            """, logger: logger)
        // On the connection's event loop, as a writer lane runs: each answer resumes the loop there.
        let samples = try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop)) {
            var samples: [Double] = []
            samples.reserveCapacity(n)
            for index in 0..<(n + 100) {
                let start = ContinuousClock.now
                for try await _ in try await connection.execute(FloorWrite(seq: Int64(index % 10_000 + 1), n: Int64(index)), logger: logger)
                {}
                if index >= 100 { samples.append(ProcessMetrics.milliseconds(ContinuousClock.now - start)) }
            }
            return samples
        }
        try await connection.close()
        return Result(
            n: n, p50Ms: ProcessMetrics.round3(ProcessMetrics.percentile(samples, 50)),
            p99Ms: ProcessMetrics.round3(ProcessMetrics.percentile(samples, 99)),
            meanMs: ProcessMetrics.round3(samples.reduce(0, +) / Double(samples.count)))
    }
}
