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
        return migrator
    }
}
