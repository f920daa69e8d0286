import FluentKit

/// PostgreSQL only: full-text search ignores accents, as SQLite's index does (`remove_diacritics`), so "cafe" finds
/// "Café" and "reunion" finds "Réunion" on either database. `taskpilot_fold` lowercases and takes the accents off
/// Latin letters (including Vietnamese) with a fixed table, in plain SQL: no extension to install (`unaccent` is not
/// immutable, so a generated column cannot use it). The search column is built again with it, and its index with it.
struct M0012FoldAccentsInSearch: AsyncMigration {
    var name: String { "0012_fold_accents_in_search" }

    /// The lowercase Latin letters with diacritics and their base letters, one for one: the letters that decompose
    /// into a base letter and marks, as SQLite's `remove_diacritics 2` folds them (so not ø, đ or ł).
    static let accented =
        "àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏőŕŗřśŝşšţťũūŭůűųŵŷźżžơưǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǵǹǻȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳḁḃḅḇḉḋḍḏḑḓḕḗḙḛḝḟḡḣḥḧḩḫḭḯḱḳḵḷḹḻḽḿṁṃṅṇṉṋṍṏṑṓṕṗṙṛṝṟṡṣṥṧṩṫṭṯṱṳṵṷṹṻṽṿẁẃẅẇẉẋẍẏẑẓẕẖẗẘẙạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    static let plain =
        "aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuuuuuuwyzzzouaiouuuuuaagkoojgnaaaeeiioorruusthaeooooyabbbcdddddeeeeefghhhhhiikkkllllmmmnnnnoooopprrrrsssssttttuuuuuvvwwwwwxxyzzzhtwyaaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyy"

    func prepare(on database: any Database) async throws {
        guard DDL(database).flavor == .postgres else { return }
        try await run(
            [
                """
                CREATE FUNCTION taskpilot_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                AS $$ SELECT translate(lower($1), '\(Self.accented)', '\(Self.plain)') $$
                """,
                Self.rebuild("to_tsvector('simple', taskpilot_fold(title || ' ' || description))"),
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        guard DDL(database).flavor == .postgres else { return }
        try await run(
            [Self.rebuild("to_tsvector('simple', title || ' ' || description)"), "DROP FUNCTION taskpilot_fold(text)"],
            on: database
        )
    }

    /// The search column again as `expression`, with the index it had: over the user and the words (migration 0010)
    /// or over the words alone where `btree_gin` could not be created. Dropping the column drops its index.
    static func rebuild(_ expression: String) -> String {
        """
        DO $$
        DECLARE
            per_user boolean := EXISTS (SELECT 1 FROM pg_class WHERE relname = 'tasks_user_search' AND relkind = 'i');
        BEGIN
            ALTER TABLE tasks DROP COLUMN search;
            ALTER TABLE tasks ADD COLUMN search tsvector GENERATED ALWAYS AS (\(expression)) STORED;
            IF per_user THEN
                CREATE INDEX tasks_user_search ON tasks USING GIN (user_id, search) WITH (fastupdate = off);
            ELSE
                CREATE INDEX tasks_search ON tasks USING GIN (search) WITH (fastupdate = off);
            END IF;
        END $$
        """
    }
}
