import GRDB

extension SQLiteStore {
    /// Named, ordered, append-only migrations. Never edit a shipped migration: add a new one, so a
    /// newer Brigade can open an older database with instances in flight.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: instances, steps, events, history") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenants (
                        id TEXT PRIMARY KEY NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE workflows (
                        tenant TEXT NOT NULL,
                        name TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        modified_at INTEGER NOT NULL,
                        PRIMARY KEY (tenant, name)
                    );
                    CREATE TABLE instances (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenant TEXT NOT NULL,
                        workflow TEXT NOT NULL,
                        id TEXT NOT NULL,
                        status TEXT NOT NULL,
                        params BLOB NOT NULL,
                        output BLOB,
                        error_name TEXT,
                        error_message TEXT,
                        created_at INTEGER NOT NULL,
                        modified_at INTEGER NOT NULL,
                        started_at INTEGER,
                        ended_at INTEGER,
                        paused_at INTEGER,
                        due_at INTEGER,
                        shard INTEGER NOT NULL,
                        epoch INTEGER NOT NULL DEFAULT 0,
                        success_retention_ms INTEGER,
                        error_retention_ms INTEGER,
                        expires_at INTEGER,
                        UNIQUE (tenant, workflow, id)
                    );
                    CREATE INDEX instances_due ON instances (tenant, workflow, shard, due_at) WHERE due_at IS NOT NULL;
                    CREATE INDEX instances_expiry ON instances (expires_at) WHERE expires_at IS NOT NULL;
                    CREATE INDEX instances_listing ON instances (tenant, workflow, created_at, seq);
                    CREATE TABLE steps (
                        instance_seq INTEGER NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        config BLOB,
                        value BLOB,
                        error_name TEXT,
                        error_message TEXT,
                        non_retryable INTEGER NOT NULL DEFAULT 0,
                        deadline INTEGER,
                        event_type TEXT,
                        started_at INTEGER NOT NULL,
                        ended_at INTEGER,
                        PRIMARY KEY (instance_seq, name, count)
                    ) WITHOUT ROWID;
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        instance_seq INTEGER NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
                        type TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        consumed INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX events_pending ON events (instance_seq, seq) WHERE consumed = 0;
                    CREATE TABLE history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        instance_seq INTEGER NOT NULL REFERENCES instances (seq) ON DELETE CASCADE,
                        at INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        step TEXT,
                        data TEXT
                    );
                    CREATE INDEX history_instance ON history (instance_seq, id);
                    """)
        }
        migrator.registerMigration("v2: per-status counts, cursor indexes") { db in
            // Counts per (tenant, workflow, status), kept exact by triggers on every path that
            // changes an instance (create, status change, delete, purge): listing counts and the
            // queued limit read one row instead of counting millions.
            try db.execute(
                sql: """
                    CREATE TABLE instance_counts (
                        tenant TEXT NOT NULL,
                        workflow TEXT NOT NULL,
                        status TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (tenant, workflow, status)
                    ) WITHOUT ROWID;
                    INSERT INTO instance_counts (tenant, workflow, status, count)
                        SELECT tenant, workflow, status, count(*) FROM instances GROUP BY tenant, workflow, status;
                    CREATE TRIGGER instance_counts_insert AFTER INSERT ON instances BEGIN
                        INSERT INTO instance_counts (tenant, workflow, status, count) VALUES (NEW.tenant, NEW.workflow, NEW.status, 1)
                            ON CONFLICT (tenant, workflow, status) DO UPDATE SET count = count + 1;
                    END;
                    CREATE TRIGGER instance_counts_update AFTER UPDATE OF status ON instances WHEN OLD.status <> NEW.status BEGIN
                        UPDATE instance_counts SET count = count - 1
                            WHERE tenant = OLD.tenant AND workflow = OLD.workflow AND status = OLD.status;
                        INSERT INTO instance_counts (tenant, workflow, status, count) VALUES (NEW.tenant, NEW.workflow, NEW.status, 1)
                            ON CONFLICT (tenant, workflow, status) DO UPDATE SET count = count + 1;
                    END;
                    CREATE TRIGGER instance_counts_delete AFTER DELETE ON instances BEGIN
                        UPDATE instance_counts SET count = count - 1
                            WHERE tenant = OLD.tenant AND workflow = OLD.workflow AND status = OLD.status;
                    END;
                    DROP INDEX instances_listing;
                    CREATE INDEX instances_cursor ON instances (tenant, workflow, created_at, id);
                    CREATE INDEX instances_status_cursor ON instances (tenant, workflow, status, created_at, id);
                    """)
        }
        migrator.registerMigration("v3: tenant tokens") { db in
            try db.execute(
                sql: """
                    ALTER TABLE tenants ADD COLUMN token_hash TEXT;
                    ALTER TABLE tenants ADD COLUMN token_rotated_at INTEGER;
                    CREATE UNIQUE INDEX tenants_token ON tenants (token_hash);
                    """)
        }
        migrator.registerMigration("v4: workflow definitions") { db in
            // A tenant's own workflows (PUT …/workflows/{name}): a name bound to a class of a
            // script, with defaults for the instances created under it.
            try db.execute(
                sql: """
                    CREATE TABLE workflow_definitions (
                        tenant TEXT NOT NULL,
                        name TEXT NOT NULL,
                        class_name TEXT NOT NULL,
                        script_name TEXT NOT NULL,
                        success_retention_ms INTEGER,
                        error_retention_ms INTEGER,
                        step_limit INTEGER,
                        created_at INTEGER NOT NULL,
                        modified_at INTEGER NOT NULL,
                        PRIMARY KEY (tenant, name)
                    ) WITHOUT ROWID;
                    ALTER TABLE instances ADD COLUMN step_limit INTEGER;
                    """)
        }
        migrator.registerMigration("v5: tenant code") { db in
            // Dynamic workflows: every deployed version of a tenant's code, kept while its
            // workflow exists (instances run the version they were created with).
            try db.execute(
                sql: """
                    CREATE TABLE workflow_code (
                        tenant TEXT NOT NULL,
                        workflow TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        version_id TEXT NOT NULL,
                        language TEXT NOT NULL,
                        source TEXT NOT NULL,
                        script TEXT NOT NULL,
                        env TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (tenant, workflow, version)
                    ) WITHOUT ROWID;
                    ALTER TABLE workflow_definitions ADD COLUMN code_version INTEGER;
                    """)
        }
        migrator.registerMigration("v6: terminate with rollback") { db in
            try db.execute(sql: "ALTER TABLE instances ADD COLUMN terminating INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v7: cron schedules, triggers and tenant limits") { db in
            // What created an instance (NULL: the API), and each workflow's cron schedules with
            // the time each next fires (the index finds the due ones).
            try db.execute(
                sql: """
                    ALTER TABLE instances ADD COLUMN trigger TEXT;
                    CREATE TABLE workflow_schedules (
                        tenant TEXT NOT NULL,
                        workflow TEXT NOT NULL,
                        cron TEXT NOT NULL,
                        next_at INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (tenant, workflow, cron)
                    ) WITHOUT ROWID;
                    CREATE INDEX workflow_schedules_due ON workflow_schedules (next_at);
                    CREATE TABLE tenant_limits (
                        tenant TEXT PRIMARY KEY NOT NULL,
                        max_running INTEGER,
                        max_running_per_workflow INTEGER,
                        max_queued_per_workflow INTEGER,
                        creation_rate REAL,
                        workflow_creation_rate REAL,
                        modified_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v8: tenant egress") { db in
            // JSON arrays of hosts; NULL: the server's setting.
            try db.execute(
                sql: """
                    ALTER TABLE tenant_limits ADD COLUMN fetch_hosts TEXT;
                    ALTER TABLE tenant_limits ADD COLUMN fetch_private_hosts TEXT;
                    """)
        }
        return migrator
    }
}
