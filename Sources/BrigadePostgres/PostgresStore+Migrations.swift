import Logging
import PostgresNIO

extension PostgresStore {
    /// One named migration: statements run in one transaction.
    struct Migration: Sendable {
        let name: String
        let statements: [String]
    }

    /// Named, ordered, append-only migrations, with the SQLite store's schema concepts. Never
    /// edit a shipped migration: add a new one, so that a newer Brigade can open an older
    /// database with instances in flight.
    static let migrations: [Migration] = [
        Migration(
            name: "v1: tenants, workflows, code, instances, steps, events, history, counts",
            statements: [
                """
                CREATE TABLE tenants (
                    id text PRIMARY KEY,
                    token_hash text UNIQUE,
                    created_at bigint NOT NULL,
                    token_rotated_at bigint
                )
                """,
                """
                CREATE TABLE workflow_definitions (
                    tenant text NOT NULL,
                    name text NOT NULL,
                    class_name text NOT NULL,
                    script_name text NOT NULL,
                    success_retention_ms bigint,
                    error_retention_ms bigint,
                    step_limit bigint,
                    code_version bigint,
                    created_at bigint NOT NULL,
                    modified_at bigint NOT NULL,
                    PRIMARY KEY (tenant, name)
                )
                """,
                """
                CREATE TABLE workflow_code (
                    tenant text NOT NULL,
                    workflow text NOT NULL,
                    version bigint NOT NULL,
                    version_id text NOT NULL,
                    language text NOT NULL,
                    source text NOT NULL,
                    script text NOT NULL,
                    env text NOT NULL,
                    created_at bigint NOT NULL,
                    PRIMARY KEY (tenant, workflow, version)
                )
                """,
                """
                CREATE TABLE instances (
                    seq bigserial PRIMARY KEY,
                    tenant text NOT NULL,
                    workflow text NOT NULL,
                    id text NOT NULL,
                    status text NOT NULL,
                    params bytea NOT NULL,
                    output bytea,
                    error_name text,
                    error_message text,
                    created_at bigint NOT NULL,
                    modified_at bigint NOT NULL,
                    started_at bigint,
                    ended_at bigint,
                    paused_at bigint,
                    due_at bigint,
                    shard bigint NOT NULL,
                    epoch bigint NOT NULL DEFAULT 0,
                    success_retention_ms bigint,
                    error_retention_ms bigint,
                    expires_at bigint,
                    step_limit bigint,
                    UNIQUE (tenant, workflow, id)
                )
                """,
                "CREATE INDEX instances_due ON instances (tenant, workflow, shard, due_at, seq) WHERE due_at IS NOT NULL",
                "CREATE INDEX instances_expiry ON instances (expires_at) WHERE expires_at IS NOT NULL",
                "CREATE INDEX instances_cursor ON instances (tenant, workflow, created_at, id)",
                "CREATE INDEX instances_status_cursor ON instances (tenant, workflow, status, created_at, id)",
                """
                CREATE TABLE steps (
                    instance_seq bigint NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
                    name text NOT NULL,
                    count bigint NOT NULL,
                    kind text NOT NULL,
                    position bigint NOT NULL,
                    status text NOT NULL,
                    attempts bigint NOT NULL DEFAULT 0,
                    config bytea,
                    value bytea,
                    error_name text,
                    error_message text,
                    non_retryable boolean NOT NULL DEFAULT false,
                    deadline bigint,
                    event_type text,
                    started_at bigint NOT NULL,
                    ended_at bigint,
                    PRIMARY KEY (instance_seq, name, count)
                )
                """,
                """
                CREATE TABLE events (
                    seq bigserial PRIMARY KEY,
                    instance_seq bigint NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
                    type text NOT NULL,
                    payload bytea NOT NULL,
                    created_at bigint NOT NULL,
                    consumed boolean NOT NULL DEFAULT false
                )
                """,
                "CREATE INDEX events_pending ON events (instance_seq, seq) WHERE NOT consumed",
                // History ids count per instance, taken under the instance row's lock (every
                // append comes with a write of that row): a live stream that resumes after an id
                // never misses an entry committed later with a smaller one, as it could with a
                // bigserial whose values are taken before commit.
                """
                CREATE TABLE history (
                    instance_seq bigint NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
                    id bigint NOT NULL,
                    at bigint NOT NULL,
                    type text NOT NULL,
                    step text,
                    data text,
                    PRIMARY KEY (instance_seq, id)
                )
                """,
                """
                CREATE TABLE instance_counts (
                    tenant text NOT NULL,
                    workflow text NOT NULL,
                    status text NOT NULL,
                    count bigint NOT NULL,
                    PRIMARY KEY (tenant, workflow, status)
                )
                """,
                // Counts per (tenant, workflow, status), kept exact by a trigger on every path that
                // changes an instance. The two rows of a status change are locked in the order of
                // their statuses, so that two transactions moving instances in opposite
                // directions cannot deadlock on them.
                """
                CREATE FUNCTION brigade_count_instances() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    first_status text;
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        INSERT INTO instance_counts AS c (tenant, workflow, status, count)
                            VALUES (NEW.tenant, NEW.workflow, NEW.status, 1)
                            ON CONFLICT (tenant, workflow, status) DO UPDATE SET count = c.count + 1;
                    ELSIF TG_OP = 'DELETE' THEN
                        UPDATE instance_counts SET count = count - 1
                            WHERE tenant = OLD.tenant AND workflow = OLD.workflow AND status = OLD.status;
                    ELSIF OLD.status <> NEW.status THEN
                        first_status := least(OLD.status, NEW.status);
                        IF first_status = OLD.status THEN
                            UPDATE instance_counts SET count = count - 1
                                WHERE tenant = OLD.tenant AND workflow = OLD.workflow AND status = OLD.status;
                        END IF;
                        INSERT INTO instance_counts AS c (tenant, workflow, status, count)
                            VALUES (NEW.tenant, NEW.workflow, NEW.status, 1)
                            ON CONFLICT (tenant, workflow, status) DO UPDATE SET count = c.count + 1;
                        IF first_status <> OLD.status THEN
                            UPDATE instance_counts SET count = count - 1
                                WHERE tenant = OLD.tenant AND workflow = OLD.workflow AND status = OLD.status;
                        END IF;
                    END IF;
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER instance_counts AFTER INSERT OR DELETE OR UPDATE OF status ON instances
                    FOR EACH ROW EXECUTE FUNCTION brigade_count_instances()
                """,
            ]),
        Migration(
            name: "v2: nodes, shard leases, account slots",
            statements: [
                // Times are the database's clock: nodes' clocks may disagree.
                """
                CREATE TABLE nodes (
                    node text PRIMARY KEY,
                    started_at timestamptz NOT NULL,
                    heartbeat_at timestamptz NOT NULL,
                    expires_at timestamptz NOT NULL
                )
                """,
                // `owner` is '' once released: a renewal matches its owner only.
                """
                CREATE TABLE shard_leases (
                    slot integer PRIMARY KEY,
                    owner text NOT NULL,
                    epoch bigint NOT NULL,
                    expires_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX shard_leases_owner ON shard_leases (owner)",
                // Each node's holding of an account's concurrency slots (SlotShare).
                """
                CREATE TABLE account_slots (
                    tenant text NOT NULL,
                    node text NOT NULL,
                    held integer NOT NULL,
                    in_use integer NOT NULL,
                    woken integer NOT NULL,
                    fresh integer NOT NULL,
                    PRIMARY KEY (tenant, node)
                )
                """,
            ]),
        Migration(
            name: "v3: instance counts kept per connection",
            statements: [
                // Each connection counts into rows of its own (`slot` is its backend's pid), so
                // writers on several connections never wait for each other, or deadlock, on a
                // shared counts row. A count is the sum over slots; the rows of connections that
                // are gone are folded into slot 0 (``foldCounts``).
                "ALTER TABLE instance_counts ADD COLUMN slot integer NOT NULL DEFAULT 0",
                "ALTER TABLE instance_counts DROP CONSTRAINT instance_counts_pkey",
                "ALTER TABLE instance_counts ADD PRIMARY KEY (tenant, workflow, status, slot)",
                """
                CREATE OR REPLACE FUNCTION brigade_count_instances() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN
                        INSERT INTO instance_counts AS c (tenant, workflow, status, slot, count)
                            VALUES (NEW.tenant, NEW.workflow, NEW.status, pg_backend_pid(), 1)
                            ON CONFLICT (tenant, workflow, status, slot) DO UPDATE SET count = c.count + 1;
                    END IF;
                    IF TG_OP = 'DELETE' OR TG_OP = 'UPDATE' THEN
                        INSERT INTO instance_counts AS c (tenant, workflow, status, slot, count)
                            VALUES (OLD.tenant, OLD.workflow, OLD.status, pg_backend_pid(), -1)
                            ON CONFLICT (tenant, workflow, status, slot) DO UPDATE SET count = c.count - 1;
                    END IF;
                    RETURN NULL;
                END
                $$
                """,
                // The trigger now runs only when the status changes.
                "DROP TRIGGER instance_counts ON instances",
                """
                CREATE TRIGGER instance_counts_insert_delete AFTER INSERT OR DELETE ON instances
                    FOR EACH ROW EXECUTE FUNCTION brigade_count_instances()
                """,
                """
                CREATE TRIGGER instance_counts_status AFTER UPDATE OF status ON instances
                    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION brigade_count_instances()
                """,
            ]),
        Migration(
            name: "v4: an instance's rows go with it by a trigger on its delete, not by foreign keys",
            statements: [
                // A foreign key checks every inserted step, history and event row against the
                // instance (a query per row, on the hot path of every step); every such insert
                // already follows a write or lock of the instance row in its statement or
                // transaction, so it cannot outlive its instance. What the keys also did, removing
                // an instance's rows with it, a statement-level trigger on delete does.
                "ALTER TABLE steps DROP CONSTRAINT steps_instance_seq_fkey",
                "ALTER TABLE events DROP CONSTRAINT events_instance_seq_fkey",
                "ALTER TABLE history DROP CONSTRAINT history_instance_seq_fkey",
                """
                CREATE FUNCTION brigade_forget_instances() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM steps WHERE instance_seq IN (SELECT seq FROM gone);
                    DELETE FROM events WHERE instance_seq IN (SELECT seq FROM gone);
                    DELETE FROM history WHERE instance_seq IN (SELECT seq FROM gone);
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER instances_forget AFTER DELETE ON instances REFERENCING OLD TABLE AS gone
                    FOR EACH STATEMENT EXECUTE FUNCTION brigade_forget_instances()
                """,
            ]),
        Migration(
            name: "v5: terminate with rollback",
            statements: ["ALTER TABLE instances ADD COLUMN terminating boolean NOT NULL DEFAULT false"]),
        Migration(
            name: "v6: cron schedules, triggers and tenant limits",
            statements: [
                // What created an instance (NULL: the API).
                "ALTER TABLE instances ADD COLUMN trigger text",
                """
                CREATE TABLE workflow_schedules (
                    tenant text NOT NULL,
                    workflow text NOT NULL,
                    cron text NOT NULL,
                    next_at bigint NOT NULL,
                    created_at bigint NOT NULL,
                    PRIMARY KEY (tenant, workflow, cron)
                )
                """,
                "CREATE INDEX workflow_schedules_due ON workflow_schedules (next_at)",
                """
                CREATE TABLE tenant_limits (
                    tenant text PRIMARY KEY,
                    max_running bigint,
                    max_running_per_workflow bigint,
                    max_queued_per_workflow bigint,
                    creation_rate double precision,
                    workflow_creation_rate double precision,
                    modified_at bigint NOT NULL
                )
                """,
            ]),
        Migration(
            name: "v7: tenant egress",
            statements: [
                // JSON arrays of hosts; NULL: the server's setting.
                "ALTER TABLE tenant_limits ADD COLUMN fetch_hosts text",
                "ALTER TABLE tenant_limits ADD COLUMN fetch_private_hosts text",
            ]),
        Migration(
            name: "v8: history feed",
            statements: [
                // The transaction that wrote each history row: the feed's commit order (see
                // PostgresStore+Feed.swift). Rows already there get the migration's.
                "ALTER TABLE history ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()",
                "CREATE INDEX history_feed ON history (txid, instance_seq, id)",
            ]),
    ]

    /// Applies the migrations not yet applied, under an advisory lock so that nodes starting
    /// together migrate once; only the first `count` of them when given (upgrade tests start from
    /// an older schema).
    static func migrate(_ client: PostgresClient, logger: Logger, count: Int = migrations.count) async throws {
        try await client.withConnection { connection in
            // Any constant works as the lock's key; this one spells "brigade".
            _ = try await connection.query("SELECT pg_advisory_lock(6272034918565)", logger: logger).collect()
            do {
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS brigade_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                    logger: logger)
                var applied = Set<String>()
                for try await name in try await connection.query("SELECT name FROM brigade_migrations", logger: logger).decode(String.self) {
                    applied.insert(name)
                }
                for migration in migrations.prefix(count) where !applied.contains(migration.name) {
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        for statement in migration.statements {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query("INSERT INTO brigade_migrations (name) VALUES (\(migration.name))", logger: logger)
                        try await connection.query("COMMIT", logger: logger)
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                    logger.info("applied migration \"\(migration.name)\"")
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(6272034918565)", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(6272034918565)", logger: logger)
        }
    }
}
