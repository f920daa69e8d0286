import FluentKit
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// SQLKit over PostgreSQL with every statement text prepared once per connection and then only bound and run.
///
/// PostgresKit sends each statement unnamed, so PostgreSQL parses and plans it on every request: for a page of the
/// task list that was a third of the database's time (0.3 ms of planning; 1.5 ms on a new connection). A named
/// statement is planned once and then runs a cached plan when PostgreSQL finds it as good as a fresh one
/// (`plan_cache_mode = auto`). Statements with an argument it cannot send typed (NULL, or a type outside
/// `NamedStatements.append`), writes (of many shapes: a row per tag, an id list per batch) and statements that select
/// `*` (whose columns a migration may change under a cached plan) take the unnamed way, as do all statements once
/// `NamedStatements.limit` texts have names. A write whose text has one shape whatever its arguments opts in by
/// starting with `NamedStatements.write` (creating a task: parsing and planning were half of PostgreSQL's time for it);
/// its NULL arguments are sent untyped, for PostgreSQL to type by their column.
struct PostgresNamedStatementDatabase: SQLDatabase {
    /// The database as SQLKit sees it: FluentKit's pool, or PostgresKit's over a transaction's connection.
    let base: any SQLDatabase
    /// The same database as PostgresNIO sees it.
    let postgres: any PostgresDatabase
    /// The pool's closing flag; nil on a transaction's connection, which finishes what it began.
    let closing: ClosingFlag?

    init(base: any SQLDatabase, postgres: any PostgresDatabase, closing: ClosingFlag?) {
        self.base = base
        self.postgres = postgres
        self.closing = closing
    }

    /// FluentKit's pooled PostgreSQL database with named statements, refusing statements once `closing` is set.
    init(_ database: any Database, closing: ClosingFlag) {
        self.init(base: database as! any SQLDatabase, postgres: database as! any PostgresDatabase, closing: closing)
    }

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try closing?.check()
        let (sql, binds) = serialize(query)
        let write = sql.hasPrefix(NamedStatements.write)
        var bindings = PostgresBindings(capacity: binds.count)
        var types = ""
        for bind in binds {
            guard let type = NamedStatements.append(bind, to: &bindings, nulls: write) else { return try await base.execute(sql: query, onRow) }
            types += type
        }
        guard let name = NamedStatements.shared.name(for: sql, types: types) else { return try await base.execute(sql: query, onRow) }
        let (logger, statement) = (self.logger, NamedStatement(bindings: bindings))
        var delivered = false
        do {
            try await withConnection { connection in
                try await NamedStatement.$text.withValue(NamedStatement.Text(name: name, sql: sql)) {
                    var columns: ResultColumns?
                    for try await row in try await connection.execute(statement, logger: logger) {
                        let cells = Array(row)
                        if columns == nil { delivered = true }
                        let names = columns ?? ResultColumns(names: cells.map(\.columnName))
                        columns = names
                        onRow(PostgresResultRow(columns: names, cells: cells, row: row))
                    }
                }
            }
        } catch {
            // PostgresNIO remembers a failed preparation for the connection's lifetime and answers every later run
            // of that name with the same error, even once its cause is gone (a table another replica is still
            // migrating, say). A read that delivered nothing runs once more unnamed: that answers with the real
            // error, or with the rows. A write does so only when PostgreSQL refused its text (nothing ran); after
            // any other failure it may have run.
            guard !delivered, !write || NamedStatements.refusedText(error) else { throw error }
            try await base.execute(sql: query, onRow)
        }
    }
}

extension PostgresNamedStatementDatabase {
    /// Runs `body` in a transaction on one connection of the pool, committed when it returns and rolled back when it
    /// throws. FluentKit's `transaction` runs its body in a task of its own, away from the loop serving the request;
    /// this one runs it in the caller's task, so on a serving loop every statement of it stays on that loop's thread.
    func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await withConnection { connection in
            let sql = PostgresNamedStatementDatabase(base: connection.sql(queryLogLevel: base.queryLogLevel), postgres: connection, closing: nil)
            try await sql.raw("BEGIN").run()
            let result: T
            do {
                result = try await body(sql)
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
            try await sql.raw("COMMIT").run()
            return result
        }
    }

    /// Runs `body` with a connection of the pool, without the task PostgresKit's `withConnection` would start for an
    /// async body: on the loop that owns the connections the whole statement then stays on that loop's thread.
    private func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try closing?.check()
        let loop = postgres.eventLoop
        let leased = loop.makePromise(of: PostgresConnection.self)
        let finished = loop.makePromise(of: Void.self)
        postgres.withConnection { connection in
            leased.succeed(connection)
            return finished.futureResult
        }.whenFailure { error in
            // No connection (the closure above never ran): both promises end here.
            leased.fail(error)
            finished.succeed(())
        }
        let connection = try await leased.futureResult.get()
        defer { finished.succeed(()) }
        return try await body(connection)
    }
}

/// A statement whose name and text are the task's: PostgresNIO's prepared statements are types with a fixed text,
/// and it reads `name` and `sql` once per call, before it sends anything.
private struct NamedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        let name: String
        let sql: String
    }

    @TaskLocal static var text = Text(name: "", sql: "")
    static var name: String { text.name }
    static var sql: String { text.sql }

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The names given to statement texts, process-wide: the same text with the same argument types always has the same
/// name, so each connection prepares it once. A name stands for the types too: a statement keeps the argument types
/// it was first prepared with.
final class NamedStatements: Sendable {
    static let shared = NamedStatements()
    /// The most texts that get names; each costs memory in every server connection that ran it.
    static let limit = 256

    private struct Key: Hashable {
        let types: String
        let sql: String
    }

    private let names = Mutex<[Key: String]>([:])

    /// The start of a write that is named: its text has one shape whatever its arguments.
    static let write = "/* named */ "

    /// The name of `sql` with arguments of `types`, nil when it runs unnamed.
    func name(for sql: String, types: String) -> String? {
        // Reads and the writes that opt in are named, so the other writes' many shapes take no names.
        guard (sql.hasPrefix("SELECT ") && !Self.selectsEverything(sql)) || sql.hasPrefix(Self.write) else { return nil }
        let key = Key(types: types, sql: sql)
        return names.withLock { names in
            if let known = names[key] { return known }
            guard names.count < Self.limit else { return nil }
            let name = "taskpilot_\(names.count + 1)"
            names[key] = name
            return name
        }
    }

    private static func selectsEverything(_ sql: String) -> Bool {
        sql.utf8.contains(UInt8(ascii: "*")) && sql.replacingOccurrences(of: "(*)", with: "").contains("*")
    }

    /// Whether PostgreSQL refused a statement's text (SQLSTATE class 42: a syntax error, a column or table that is
    /// not there), so that nothing of it ran.
    static func refusedText(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState]?.hasPrefix("42") == true
    }

    /// Appends `value` typed, returning a letter for its type; nil when it cannot be sent typed. With `nulls`, an
    /// absent Optional is sent as an untyped NULL (`n`), which PostgreSQL types by where it goes: for a column's value,
    /// not for `$1 IS NULL`.
    static func append(_ value: any Encodable & Sendable, to bindings: inout PostgresBindings, nulls: Bool = false) -> String? {
        func typed(_ value: some PostgresNonThrowingEncodable, _ letter: String) -> String {
            bindings.append(value)
            return letter
        }
        // A present Optional casts to its value; an absent one matches only the last case.
        switch value {
        case let text as String: return typed(text, "t")
        case let number as Int: return typed(number, "i")
        case let number as Int64: return typed(number, "i")
        case let flag as Bool: return typed(flag, "b")
        case let number as Double: return typed(number, "d")
        // An empty array casts to an array of any element type: that one goes by the array's own type.
        case let numbers as [Int64] where !numbers.isEmpty || type(of: value) == [Int64].self: return typed(numbers, "a")
        case let texts as [String] where !texts.isEmpty || type(of: value) == [String].self: return typed(texts, "s")
        case let optional as any AbsentOrPresent where nulls && optional.isAbsent:
            bindings.appendNull()
            return "n"
        default: return nil
        }
    }
}

/// An Optional, whatever it wraps, as a value of unknown type: whether it is nil.
private protocol AbsentOrPresent {
    var isAbsent: Bool { get }
}

extension Optional: AbsentOrPresent {
    fileprivate var isAbsent: Bool { self == nil }
}

/// A row of a named statement: text, integers, booleans and doubles straight from the cell, anything else as
/// PostgresKit decodes it. PostgresKit's own rows find a column through a dictionary and decode every value through
/// dynamic casts: a third of the server's time for a page of tasks.
struct PostgresResultRow: ColumnarRow {
    let columns: ResultColumns
    let cells: [PostgresCell]
    let row: PostgresRow

    func isNull(at offset: Int) -> Bool { cells[offset].bytes == nil }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        let cell = cells[try offset(of: column)]
        if cell.bytes != nil {
            let type = cell.dataType
            let integer = type == .int2 || type == .int4 || type == .int8
            if D.self == String.self && (type == .text || type == .varchar) {
                return try cell.decode(String.self, context: .default) as! D
            } else if D.self == Int64.self && integer {
                return try cell.decode(Int64.self, context: .default) as! D
            } else if D.self == Int.self && integer {
                return try cell.decode(Int.self, context: .default) as! D
            } else if D.self == Bool.self && type == .bool {
                return try cell.decode(Bool.self, context: .default) as! D
            }
        }
        return try row.sql().decode(column: column, as: D.self)
    }
}

/// Set once a pool starts closing. A connection asked of an AsyncKit pool that has shut down leaves its promise
/// unfulfilled (a crash in debug builds, a request that never answers in release ones): statements check this first
/// and fail with `DatabaseClosed` instead, which the API answers 503.
final class ClosingFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .relaxed) }

    func check() throws(DatabaseClosed) {
        if value.load(ordering: .relaxed) { throw DatabaseClosed() }
    }
}
