import FluentKit

/// SQLite only (PostgreSQL's search index already leads with the user): the full-text index's rowid carries the
/// user, so a search reads only the user's matches. Each user gets a `search_key` (1, 2, …; kept, unlike SQLite's own
/// rowid, which VACUUM may renumber), and a task is indexed under `search_key << 40 | id`: the user's matches are one
/// rowid range of the index, which FTS5 seeks to, instead of every user's matches read by id and most thrown away.
/// The index keeps no copy of the text (`content=''`): the triggers pass the old title and description to delete an
/// entry, and searches read only rowids.
///
/// Holds for task ids below 2^40 and up to 2^23 − 1 users; beyond that a search may miss some of the user's tasks or
/// find some that do not match, never another user's (the search still checks the owner).
struct M0011KeySearchByUser: AsyncMigration {
    var name: String { "0011_key_search_by_user" }

    func prepare(on database: any Database) async throws {
        guard DDL(database).flavor == .sqlite else { return }
        let key = { (task: String) in "((SELECT search_key FROM users WHERE id = \(task).user_id) << 40) + \(task).id" }
        try await run(
            [
                "ALTER TABLE users ADD COLUMN search_key INTEGER",
                """
                UPDATE users SET search_key = k.n
                FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM users) k WHERE k.id = users.id
                """,
                "CREATE UNIQUE INDEX users_search_key ON users (search_key)",
                """
                CREATE TRIGGER users_search_key AFTER INSERT ON users WHEN new.search_key IS NULL BEGIN
                    UPDATE users SET search_key = (SELECT COALESCE(MAX(search_key), 0) + 1 FROM users) WHERE id = new.id;
                END
                """,
            ] + M0003CreateTaskSearch.sqliteIndexRemoval + [
                "CREATE VIRTUAL TABLE tasks_fts USING fts5(title, description, content='', tokenize='unicode61 remove_diacritics 2')",
                // Merge segments as soon as two of a size meet (FTS5's default waits for four): each task is its own
                // transaction, so its own segment, and a search seeks in every segment (fewer segments: 62 → 48 µs a
                // lookup on 40,000 tasks, for about the same cost per insert).
                "INSERT INTO tasks_fts(tasks_fts, rank) VALUES ('automerge', 2)",
                """
                INSERT INTO tasks_fts(rowid, title, description)
                SELECT (u.search_key << 40) + t.id, t.title, t.description FROM tasks t JOIN users u ON u.id = t.user_id
                """,
                """
                CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
                    INSERT INTO tasks_fts(rowid, title, description) VALUES (\(key("new")), new.title, new.description);
                END
                """,
                """
                CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
                    INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', \(key("old")), old.title, old.description);
                END
                """,
                """
                CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks BEGIN
                    INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', \(key("old")), old.title, old.description);
                    INSERT INTO tasks_fts(rowid, title, description) VALUES (\(key("new")), new.title, new.description);
                END
                """,
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        guard DDL(database).flavor == .sqlite else { return }
        try await run(
            M0003CreateTaskSearch.sqliteIndexRemoval + M0003CreateTaskSearch.sqliteIndex + [
                "INSERT INTO tasks_fts(tasks_fts) VALUES ('rebuild')",
                "DROP TRIGGER users_search_key",
                "DROP INDEX users_search_key",
                "ALTER TABLE users DROP COLUMN search_key",
            ],
            on: database
        )
    }
}
