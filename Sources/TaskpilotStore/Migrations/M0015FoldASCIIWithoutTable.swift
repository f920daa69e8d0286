import FluentKit

/// PostgreSQL only: `taskpilot_fold` (migration 0012) lowercases text without an accent as it is, instead of passing
/// it through `translate` with the accent table: `translate` compares every character with the table's ~400, which
/// cost ~47 µs a task (8% of PostgreSQL's CPU for a create, where the search column is computed) against ~3 µs now.
/// The function gives exactly what it gave before for every text (text whose bytes are as many as its characters
/// holds no accented letter), so the search column and its index stay as they are.
struct M0015FoldASCIIWithoutTable: AsyncMigration {
    var name: String { "0015_fold_ascii_without_table" }

    func prepare(on database: any Database) async throws {
        guard DDL(database).flavor == .postgres else { return }
        try await run([Self.fold("CASE WHEN octet_length($1) = char_length($1) THEN lower($1) ELSE \(Self.table) END")], on: database)
    }

    func revert(on database: any Database) async throws {
        guard DDL(database).flavor == .postgres else { return }
        try await run([Self.fold(Self.table)], on: database)
    }

    /// Folding through the accent table of migration 0012.
    static let table = "translate(lower($1), '\(M0012FoldAccentsInSearch.accented)', '\(M0012FoldAccentsInSearch.plain)')"

    /// `taskpilot_fold` as `expression` of its argument `$1`.
    static func fold(_ expression: String) -> String {
        "CREATE OR REPLACE FUNCTION taskpilot_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT \(expression) $$"
    }
}
