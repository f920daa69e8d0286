import FluentKit

/// Full-text search over title and description: FTS5 kept in step by triggers on SQLite, a generated
/// tsvector with a GIN index on PostgreSQL.
struct M0003CreateTaskSearch: AsyncMigration {
    var name: String { "0003_create_task_search" }

    /// SQLite: the FTS5 index over the tasks' text, keyed by task id, and the triggers that keep it in step (migration 0011
    /// replaces them with an index keyed by user and task, and brings them back when reverted).
    static let sqliteIndex = [
        """
        CREATE VIRTUAL TABLE tasks_fts USING fts5(
            title, description, content='tasks', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
        )
        """,
        """
        CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
            INSERT INTO tasks_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
        END
        """,
        """
        CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
            INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
        END
        """,
        """
        CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks BEGIN
            INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
            INSERT INTO tasks_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
        END
        """,
    ]

    /// SQLite: drops the full-text index and its triggers, either kind.
    static let sqliteIndexRemoval = [
        "DROP TRIGGER tasks_fts_update", "DROP TRIGGER tasks_fts_delete", "DROP TRIGGER tasks_fts_insert", "DROP TABLE tasks_fts",
    ]

    func prepare(on database: any Database) async throws {
        switch DDL(database).flavor {
        case .sqlite:
            try await run(Self.sqliteIndex, on: database)
        case .postgres:
            try await run(
                [
                    """
                    ALTER TABLE tasks ADD COLUMN search tsvector GENERATED ALWAYS AS (
                        to_tsvector('simple', title || ' ' || description)
                    ) STORED
                    """,
                    "CREATE INDEX tasks_search ON tasks USING GIN (search)",
                ],
                on: database
            )
        }
    }

    func revert(on database: any Database) async throws {
        switch DDL(database).flavor {
        case .sqlite:
            try await run(Self.sqliteIndexRemoval, on: database)
        case .postgres:
            try await run(["DROP INDEX tasks_search", "ALTER TABLE tasks DROP COLUMN search"], on: database)
        }
    }
}
