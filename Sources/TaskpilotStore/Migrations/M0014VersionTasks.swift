import FluentKit

/// Every task carries a `version` that changes whenever its row or one of its reminders does, whatever statement
/// changes them (triggers, so that no write path can forget it): a cache of written tasks
/// (`SQLTaskRepository.listJSON`) keeps a task under its id and version and trusts it only while the two match. Task
/// ids are never reused (AUTOINCREMENT, an identity column), so an id and a version name one state of one task.
struct M0014VersionTasks: AsyncMigration {
    var name: String { "0014_version_tasks" }

    func prepare(on database: any Database) async throws {
        let statements: [String]
        switch DDL(database).flavor {
        case .sqlite:
            let bump = { (task: String) in "UPDATE tasks SET version = version + 1 WHERE id = \(task).task_id;" }
            statements = [
                "ALTER TABLE tasks ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
                // SQLite cannot set NEW in a BEFORE trigger: the row is bumped once more unless the statement did.
                """
                CREATE TRIGGER tasks_version AFTER UPDATE ON tasks WHEN new.version = old.version BEGIN
                    UPDATE tasks SET version = old.version + 1 WHERE id = new.id;
                END
                """,
                "CREATE TRIGGER reminders_version_insert AFTER INSERT ON reminders BEGIN \(bump("new")) END",
                "CREATE TRIGGER reminders_version_update AFTER UPDATE ON reminders BEGIN \(bump("new")) END",
                "CREATE TRIGGER reminders_version_delete AFTER DELETE ON reminders BEGIN \(bump("old")) END",
            ]
        case .postgres:
            statements = [
                "ALTER TABLE tasks ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
                """
                CREATE FUNCTION tasks_version() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN NEW.version := OLD.version + 1; RETURN NEW; END $$
                """,
                "CREATE TRIGGER tasks_version BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION tasks_version()",
                """
                CREATE FUNCTION reminders_version() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE tasks SET version = version + 1 WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.task_id ELSE NEW.task_id END;
                    RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER reminders_version AFTER INSERT OR UPDATE OR DELETE ON reminders
                FOR EACH ROW EXECUTE FUNCTION reminders_version()
                """,
            ]
        }
        try await run(statements, on: database)
    }

    func revert(on database: any Database) async throws {
        switch DDL(database).flavor {
        case .sqlite:
            try await run(
                [
                    "DROP TRIGGER reminders_version_delete", "DROP TRIGGER reminders_version_update",
                    "DROP TRIGGER reminders_version_insert", "DROP TRIGGER tasks_version", "ALTER TABLE tasks DROP COLUMN version",
                ],
                on: database
            )
        case .postgres:
            try await run(
                [
                    "DROP TRIGGER reminders_version ON reminders", "DROP FUNCTION reminders_version()",
                    "DROP TRIGGER tasks_version ON tasks", "DROP FUNCTION tasks_version()", "ALTER TABLE tasks DROP COLUMN version",
                ],
                on: database
            )
        }
    }
}
