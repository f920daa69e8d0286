import FluentKit

/// PostgreSQL only: the full-text index keys each word by its owner, as SQLite's does (migration 0011). The index over
/// the user and the words (migration 0010, with `btree_gin`) found a search's matches by intersecting the word's
/// entries with the user's, and the user's entries are every task they have; now each indexed word carries a short
/// hash of its owner (`taskpilot_user_words`), and a search looks up only the user's own entries of its words (with
/// the same hash put on them by `taskpilot_user_query`). The hash is not a secret and two users may share one: the
/// search still checks the owner. The index is made from the search column as it is, so the table is not rewritten,
/// and it needs no extension.
struct M0016KeySearchWordsByUser: AsyncMigration {
    var name: String { "0016_key_search_words_by_user" }

    func prepare(on database: any Database) async throws {
        guard DDL(database).flavor == .postgres else { return }
        try await run(
            [
                // A lexeme holds at most 2,047 bytes (a longer one would be cut short): a word too long for the key in
                // front is left out, as PostgreSQL leaves out one too long without it.
                """
                CREATE FUNCTION taskpilot_user_words(owner text, words tsvector) RETURNS tsvector
                LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                AS $$
                    SELECT array_to_tsvector(ARRAY(SELECT \(Self.ownerKey) || lexeme FROM unnest(words) WHERE octet_length(lexeme) <= 2039))
                $$
                """,
                // Each quoted lexeme of the query's text ('' is a quote inside one) gets the owner's key in front.
                """
                CREATE FUNCTION taskpilot_user_query(owner text, query tsquery) RETURNS tsquery
                LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                AS $$ SELECT regexp_replace(query::text, '''((?:[^'']|'''')*)''', '''' || \(Self.ownerKey) || '\\1''', 'g')::tsquery $$
                """,
                "CREATE INDEX tasks_user_words ON tasks USING GIN (taskpilot_user_words(user_id, search)) WITH (fastupdate = off)",
                // Whichever index 0010 left (an object of another kind under one of those names stays).
                """
                DO $$
                DECLARE
                    name text;
                BEGIN
                    FOREACH name IN ARRAY ARRAY['tasks_user_search', 'tasks_search'] LOOP
                        IF EXISTS (SELECT 1 FROM pg_class WHERE relname = name AND relkind = 'i') THEN
                            EXECUTE format('DROP INDEX %I', name);
                        END IF;
                    END LOOP;
                END $$
                """,
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        guard DDL(database).flavor == .postgres else { return }
        try await run(
            [
                """
                DO $$ BEGIN
                    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
                        CREATE INDEX tasks_user_search ON tasks USING GIN (user_id, search) WITH (fastupdate = off);
                    ELSE
                        CREATE INDEX tasks_search ON tasks USING GIN (search) WITH (fastupdate = off);
                    END IF;
                END $$
                """,
                "DROP INDEX tasks_user_words",
                "DROP FUNCTION taskpilot_user_query(text, tsquery)",
                "DROP FUNCTION taskpilot_user_words(text, tsvector)",
            ],
            on: database
        )
    }

    /// The key of the owner (`owner`) put in front of each of their words: 8 hexadecimal digits of its MD5.
    static let ownerKey = "left(md5(owner), 8)"
}
