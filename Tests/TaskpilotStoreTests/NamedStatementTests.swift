import Foundation
import SQLKit
import TaskpilotCore
import TaskpilotTestSupport
import Testing

@testable import TaskpilotStore

/// `PostgresNamedStatementDatabase`: reads prepared once per connection, rows decoded straight from their cells.
@Suite("PostgreSQL named statements")
struct NamedStatementTests {
    @Test("a read is prepared once per connection and answers for any arguments; NULLs and SELECT * run unnamed")
    func preparedOnce() async throws {
        guard TestBackend.available.contains(.postgres) else { return }
        try await TestBackend.postgres.withDatabase { database in
            let user = try await database.newTestUser()
            for title in ["a", "b", "c"] {
                try await database.sql.raw(
                    "INSERT INTO tasks (user_id, title, created_at, updated_at) VALUES (\(bind: user.id.uuidString.lowercased()), \(bind: title), 1, 1)"
                ).run()
            }
            // A transaction keeps one connection, whose prepared statements PostgreSQL lists.
            try await database.transaction { sql in
                for limit in 1...3 {
                    let rows = try await sql.raw(
                        "SELECT title FROM tasks WHERE user_id = \(bind: user.id.uuidString.lowercased()) ORDER BY title LIMIT \(bind: limit)"
                    ).all()
                    #expect(try rows.map { try $0.decode(column: "title", as: String.self) } == Array(["a", "b", "c"].prefix(limit)))
                }
                // The same text with an argument of another type is another statement.
                #expect(try await sql.raw("SELECT \(bind: 7) AS v").first()?.decode(column: "v", as: Int.self) == 7)
                #expect(try await sql.raw("SELECT \(bind: "7") AS v").first()?.decode(column: "v", as: String.self) == "7")
                let absent: String? = nil
                #expect(try await sql.raw("SELECT COALESCE(\(bind: absent), 'none') AS v").first()?.decode(column: "v", as: String.self) == "none")
                #expect(try await sql.raw("SELECT * FROM tasks WHERE title = \(bind: "b")").all().count == 1)
                let statements = try await sql.raw("SELECT statement FROM pg_prepared_statements").all().map {
                    try $0.decode(column: "statement", as: String.self)
                }
                #expect(statements.filter { $0.contains("ORDER BY title LIMIT") }.count == 1)
                #expect(statements.filter { $0 == "SELECT $1 AS v" }.count == 2)
                #expect(!statements.contains { $0.contains("COALESCE") || $0.contains("SELECT *") })
            }
        }
    }

    @Test("a write that opts in is prepared once per NULL pattern, with arrays of text, and keeps its own error in a transaction")
    func namedWrites() async throws {
        guard TestBackend.available.contains(.postgres) else { return }
        try await TestBackend.postgres.withDatabase { database in
            let user = try await database.newTestUser().id.uuidString.lowercased()
            let write = NamedStatements.write
            try await database.transaction { sql in
                for (title, due) in [("a", nil), ("b", 5), ("c", nil), ("d", 6)] as [(String, Int64?)] {
                    try await sql.raw(
                        "\(unsafeRaw: write)INSERT INTO tasks (user_id, title, due_at, created_at, updated_at) VALUES (\(bind: user), \(bind: title), \(bind: due), 1, 1)"
                    ).run()
                }
                let tasks = try await sql.raw("SELECT id, title, due_at FROM tasks WHERE user_id = \(bind: user) ORDER BY title").all()
                #expect(try tasks.map { try $0.decode(column: "due_at", as: Int64?.self) } == [nil, 5, nil, 6])
                let id = try tasks[0].decode(column: "id", as: Int64.self)
                for tags in [["x", "y"], [], ["z"]] {
                    try await sql.raw(
                        "\(unsafeRaw: write)INSERT INTO task_tags (task_id, user_id, tag) SELECT \(bind: id), \(bind: user), unnest(\(bind: tags)::text[])"
                    ).run()
                }
                let tags = try await sql.raw("SELECT tag FROM task_tags WHERE task_id = \(bind: id) ORDER BY tag").all()
                #expect(try tags.map { try $0.decode(column: "tag", as: String.self) } == ["x", "y", "z"])
                let statements = try await sql.raw("SELECT statement FROM pg_prepared_statements").all().map {
                    try $0.decode(column: "statement", as: String.self)
                }
                // One statement with due_at NULL and one with it typed; one for the tags whatever their number.
                #expect(statements.filter { $0.hasPrefix(write + "INSERT INTO tasks") }.count == 2)
                #expect(statements.filter { $0.hasPrefix(write + "INSERT INTO task_tags") }.count == 1)
                // A write that ran and failed is not run again: the transaction reports its own error, not that it is aborted.
                try await sql.raw("SAVEPOINT before_error").run()
                do {
                    try await sql.raw(
                        "\(unsafeRaw: write)INSERT INTO tasks (id, user_id, title, created_at, updated_at) VALUES (\(bind: id), \(bind: user), 'again', 1, 1)"
                    ).run()
                    Issue.record("a duplicate id was inserted")
                } catch {
                    #expect(String(reflecting: error).contains("23505"), "\(String(reflecting: error))")
                }
                try await sql.raw("ROLLBACK TO SAVEPOINT before_error").run()
            }
        }
    }

    @Test("a named write whose text PostgreSQL refused once on a connection runs unnamed there once the cause is gone")
    func refusedWrite() async throws {
        guard TestBackend.available.contains(.postgres) else { return }
        try await TestBackend.postgres.withDatabase { database in
            try await database.transaction { sql in
                let insert: SQLQueryString = "\(unsafeRaw: NamedStatements.write)INSERT INTO arrives_later (v) VALUES (\(bind: 7))"
                try await sql.raw("SAVEPOINT before_error").run()
                await #expect(throws: (any Error).self) { try await sql.raw(insert).run() }
                try await sql.raw("ROLLBACK TO SAVEPOINT before_error").run()
                try await sql.raw("CREATE TABLE arrives_later (v bigint)").run()
                try await sql.raw(insert).run()
                #expect(try await sql.raw("SELECT v FROM arrives_later").first()?.decode(column: "v", as: Int.self) == 7)
            }
        }
    }

    @Test("reads and opted-in writes get names, one per text and argument types, up to the limit; other writes take none")
    func names() {
        let names = NamedStatements()
        for n in 0..<300 { #expect(names.name(for: "INSERT INTO t (a) VALUES (\(n))", types: "") == nil) }
        #expect(names.name(for: "UPDATE t SET a = $1", types: "i") == nil)
        #expect(names.name(for: NamedStatements.write + "UPDATE t SET a = $1", types: "i") != nil)
        #expect(names.name(for: "SELECT * FROM t", types: "") == nil)
        #expect(names.name(for: "SELECT COUNT(*) AS n FROM t", types: "") != nil)
        let first = names.name(for: "SELECT $1 AS v", types: "i")
        #expect(first != nil)
        #expect(names.name(for: "SELECT $1 AS v", types: "i") == first)
        #expect(names.name(for: "SELECT $1 AS v", types: "t") != first)
        for n in 0..<NamedStatements.limit { _ = names.name(for: "SELECT \(n) AS v", types: "") }
        #expect(names.name(for: "SELECT 'one more' AS v", types: "") == nil)
        #expect(names.name(for: "SELECT $1 AS v", types: "i") == first)
    }

    @Test("a statement whose preparation failed once on a connection still answers there once the cause is gone")
    func failedPreparation() async throws {
        guard TestBackend.available.contains(.postgres) else { return }
        try await TestBackend.postgres.withDatabase { database in
            try await database.transaction { sql in
                try await sql.raw("SAVEPOINT before_error").run()
                await #expect(throws: (any Error).self) { try await sql.raw("SELECT 1 / \(bind: 0) AS v").run() }
                // Prepared while the transaction is aborted: PostgresNIO keeps this failure for the name.
                await #expect(throws: (any Error).self) { try await sql.raw("SELECT \(bind: 41) + 1 AS v").first() }
                try await sql.raw("ROLLBACK TO SAVEPOINT before_error").run()
                #expect(try await sql.raw("SELECT \(bind: 41) + 1 AS v").first()?.decode(column: "v", as: Int.self) == 42)
            }
        }
    }

    @Test("row values: text, integers of every width, booleans, NULL, and through PostgresKit what is left")
    func rowValues() async throws {
        guard TestBackend.available.contains(.postgres) else { return }
        try await TestBackend.postgres.withDatabase { database in
            let row = try #require(
                try await database.sql.raw(
                    """
                    SELECT 'ünï'::text AS t, 'v'::varchar AS v, 2::int2 AS s, 40000::int4 AS i, 9007199254740993::int8 AS b, true AS f,
                        1.5::float8 AS d, NULL::text AS n, 12.5::numeric AS m, \(bind: "p") AS p
                    """
                ).first()
            )
            #expect(row is PostgresResultRow)
            #expect(try row.decode(column: "t", as: String.self) == "ünï")
            #expect(try row.decode(column: "v", as: String.self) == "v")
            #expect(try row.decode(column: "s", as: Int.self) == 2)
            #expect(try row.decode(column: "i", as: Int64.self) == 40000)
            #expect(try row.decode(column: "b", as: Int64.self) == 9_007_199_254_740_993)
            #expect(try row.decode(column: "f", as: Bool.self))
            #expect(try row.decode(column: "d", as: Double.self) == 1.5)
            #expect(try row.decodeNil(column: "n"))
            #expect(try row.decode(column: "n", as: String?.self) == nil)
            #expect(try row.decode(column: "m", as: Double.self) == 12.5)
            #expect(try row.decode(column: "p", as: String.self) == "p")
            #expect(throws: (any Error).self) { try row.decode(column: "t", as: Int.self) }
            #expect(throws: (any Error).self) { try row.decode(column: "absent", as: String.self) }
        }
    }
}
