import Foundation
import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO
import VaporCSQLite

/// One connection to a SQLite file, driven through the SQLite C API directly, with the statements it has prepared kept
/// for reuse.
///
/// Statements run on the calling thread: for a read connection the task's own thread, for the writer the writer's
/// thread (see `SQLiteConnectionPool`). That costs far less than what SQLiteNIO does per statement: a hop to its
/// thread pool and back through an event loop, a new prepare, and an event-loop task per row (for a page of 50
/// tasks, more than the query itself). A pool hands a connection to one task at a time, which is what makes the
/// unchecked `Sendable` sound: the handle and the statement cache are never used by two threads at once.
final class SQLiteDirectConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var statements: [String: PreparedStatement] = [:]

    /// The most prepared statements kept per connection; list filters combine into a bounded number of shapes, and
    /// past this the cache starts over rather than grow without bound.
    static let statementCacheSize = 128

    private final class PreparedStatement {
        let handle: OpaquePointer
        /// The result columns as of the last (re-)prepare.
        var columns: ResultColumns
        /// How many times SQLite had re-prepared the statement when `columns` was read.
        var preparations: Int32

        init(handle: OpaquePointer) {
            self.handle = handle
            columns = Self.columns(of: handle)
            preparations = sqlite_nio_sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0)
        }

        /// Reads the columns again when SQLite re-prepared the statement, as it does after a schema change (a
        /// migration run by another process): `SELECT *` may then return other columns.
        func refreshColumns() {
            let now = sqlite_nio_sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0)
            guard now != preparations else { return }
            columns = Self.columns(of: handle)
            preparations = now
        }

        private static func columns(of handle: OpaquePointer) -> ResultColumns {
            let count = sqlite_nio_sqlite3_column_count(handle)
            return ResultColumns(
                names: (0..<count).map { column in sqlite_nio_sqlite3_column_name(handle, column).map { String(cString: $0) } ?? "" }
            )
        }
    }

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// Opens the file at `path` and runs `pragmas` on it.
    static func open(path: String, pragmas: [String]) throws -> SQLiteDirectConnection {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "status \(status)"
            if let handle { sqlite_nio_sqlite3_close_v2(handle) }
            throw SQLiteDirectError(code: status, message: "cannot open \(path): \(message)")
        }
        let connection = SQLiteDirectConnection(handle: handle)
        do {
            for pragma in pragmas { _ = try connection.rows(pragma, []) }
        } catch {
            connection.close()
            throw error
        }
        connection.clearStatements()
        return connection
    }

    /// The rows of `sql` with `binds`; the statement is prepared once per connection and reused.
    func rows(_ sql: String, _ binds: [SQLiteData]) throws -> [SQLiteResultRow] {
        guard let handle else { throw SQLiteDirectError(code: SQLITE_MISUSE, message: "the connection is closed") }
        let statement = try prepared(sql, on: handle)
        // Every parameter is bound again on each use; the old values are not cleared first, because SQLite plans a
        // bound LIMIT with its value and re-prepares the statement whenever that value changes (NULL to 51 included).
        defer { sqlite_nio_sqlite3_reset(statement.handle) }
        try bind(binds, to: statement.handle, on: handle)
        var rows: [SQLiteResultRow] = []
        while true {
            let status = sqlite_nio_sqlite3_step(statement.handle)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw error(status, on: handle) }
            if rows.isEmpty { statement.refreshColumns() }
            let count = Int32(statement.columns.names.count)
            var values: [SQLiteData] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(value(of: statement.handle, at: column)) }
            rows.append(SQLiteResultRow(columns: statement.columns, values: values))
        }
        return rows
    }

    /// Whether a transaction is open: false again after SQLite rolled one back by itself (on a full disk or an I/O
    /// error, say), which a failed statement inside the transaction can do.
    var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite_nio_sqlite3_get_autocommit(handle) == 0
    }

    /// Runs a statement that returns no rows.
    func run(_ sql: String) throws { _ = try rows(sql, []) }

    /// Replaces SQLite's checkpoint after each commit (`wal_autocheckpoint`) with `hook`, called with `context` and
    /// the log's size in pages.
    func setWALHook(
        _ hook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32,
        context: UnsafeMutableRawPointer
    ) {
        guard let handle else { return }
        _ = sqlite_nio_sqlite3_wal_hook(handle, hook, context)
    }

    /// A PASSIVE checkpoint: copies into the database file what no reader still needs from the log, without waiting
    /// for the writer or the readers. Returns SQLite's status, the log's size and how much of it is now copied, in pages.
    func checkpoint() -> (status: Int32, message: String, logPages: Int32, copiedPages: Int32) {
        guard let handle else { return (SQLITE_MISUSE, "the connection is closed", 0, 0) }
        var (logPages, copiedPages): (Int32, Int32) = (0, 0)
        let status = sqlite_nio_sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logPages, &copiedPages)
        return (status, String(cString: sqlite_nio_sqlite3_errmsg(handle)), logPages, copiedPages)
    }

    /// Finalizes every statement and closes the handle.
    func close() {
        clearStatements()
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
    }

    private func clearStatements() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.handle) }
        statements.removeAll(keepingCapacity: true)
    }

    private func prepared(_ sql: String, on handle: OpaquePointer) throws -> PreparedStatement {
        if let statement = statements[sql] { return statement }
        if statements.count >= Self.statementCacheSize { clearStatements() }
        var raw: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard status == SQLITE_OK, let raw else {
            if let raw { sqlite_nio_sqlite3_finalize(raw) }
            throw error(status, on: handle)
        }
        let statement = PreparedStatement(handle: raw)
        statements[sql] = statement
        return statement
    }

    private func bind(_ binds: [SQLiteData], to statement: OpaquePointer, on handle: OpaquePointer) throws {
        for (offset, bind) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch bind {
            case .integer(let value): status = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
            case .float(let value): status = sqlite_nio_sqlite3_bind_double(statement, index, value)
            case .null: status = sqlite_nio_sqlite3_bind_null(statement, index)
            case .text(let value):
                var text = value
                status = text.withUTF8 { bytes in
                    sqlite_nio_sqlite3_bind_text64(statement, index, bytes.baseAddress, UInt64(bytes.count), Self.transient, UInt8(SQLITE_UTF8))
                }
            case .blob(let value):
                status = value.withUnsafeReadableBytes { bytes in
                    sqlite_nio_sqlite3_bind_blob64(statement, index, bytes.baseAddress, UInt64(bytes.count), Self.transient)
                }
            }
            guard status == SQLITE_OK else { throw error(status, on: handle) }
        }
    }

    private func value(of statement: OpaquePointer, at column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(.init(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            // `column_text` before `column_bytes`: the length is that of the text just produced.
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length))
            }
            return .blob(buffer)
        default:
            return .null
        }
    }

    private func error(_ status: Int32, on handle: OpaquePointer) -> SQLiteDirectError {
        SQLiteDirectError(code: status, message: String(cString: sqlite_nio_sqlite3_errmsg(handle)))
    }

    /// `SQLITE_TRANSIENT`: SQLite copies a bound value before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A SQLite call on a direct connection failed.
struct SQLiteDirectError: Error, CustomStringConvertible {
    /// The SQLite result code.
    let code: Int32
    /// SQLite's message.
    let message: String

    var description: String { "SQLite error \(code): \(message)" }
}

/// The column names of a statement's result, shared by all its rows (SQLite and PostgreSQL).
final class ResultColumns: Sendable {
    let names: [String]
    /// The UTF-8 length of each name: most names are told apart by it without comparing their text.
    private let lengths: [Int]

    init(names: [String]) {
        self.names = names
        self.lengths = names.map(\.utf8.count)
    }

    /// The first column with this name, like SQLite's own lookup. A scan of a few short names costs less than hashing
    /// the name for a dictionary, and a row is decoded once per column.
    func offset(of name: String) -> Int? {
        let length = name.utf8.count
        for index in lengths.indices where lengths[index] == length && names[index] == name { return index }
        return nil
    }
}

/// A row whose columns `ResultColumns` finds: what the SQLite and PostgreSQL rows of this package share.
protocol ColumnarRow: SQLRow {
    var columns: ResultColumns { get }
    func isNull(at offset: Int) -> Bool
}

/// A column a row was asked for and does not have.
struct MissingColumn: Error, CustomStringConvertible {
    let column: String
    var description: String { "the query returned no column \(column)" }
}

extension ColumnarRow {
    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.offset(of: column) != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let offset = columns.offset(of: column) else { return true }
        return isNull(at: offset)
    }

    /// The position of `column`; throws when the row has no such column.
    func offset(of column: String) throws -> Int {
        guard let offset = columns.offset(of: column) else { throw MissingColumn(column: column) }
        return offset
    }
}

/// A row of a direct connection: `String`, `Int64` and `Int` straight from the stored value, anything else
/// through SQLiteKit's decoder.
struct SQLiteResultRow: ColumnarRow {
    let columns: ResultColumns
    let values: [SQLiteData]

    static let decoder = SQLiteDataDecoder()

    func isNull(at offset: Int) -> Bool { values[offset] == .null }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        let offset = try offset(of: column)
        let data = values[offset]
        switch data {
        case .text(let text) where D.self == String.self: return unsafeBitCast(text, to: D.self)
        case .integer(let number) where D.self == Int64.self: return unsafeBitCast(Int64(number), to: D.self)
        case .integer(let number) where D.self == Int.self: return unsafeBitCast(Int(number), to: D.self)
        default: return try Self.decoder.decode(D.self, from: data)
        }
    }
}

/// SQLKit over SQLite as this package drives it: the SQLite dialect, statements not logged by SQLKit.
protocol SQLiteSQLDatabase: SQLDatabase {}

extension SQLiteSQLDatabase {
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }
}

/// SQLKit over one direct connection. Each statement runs to completion on the calling thread (see
/// `SQLiteDirectConnection`).
struct SQLiteDirectDatabase: SQLiteSQLDatabase {
    let connection: SQLiteDirectConnection
    let eventLoop: any EventLoop
    let logger: Logger

    static let encoder = SQLiteDataEncoder()

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> Void) throws {
        let (sql, binds) = serialize(query)
        let values = try binds.map(Self.data(of:))
        for row in try connection.rows(sql, values) { onRow(row) }
    }

    /// The stored form of a bound value; the common types without going through `Encoder`.
    private static func data(of value: any Encodable & Sendable) throws -> SQLiteData {
        switch value {
        case let text as String: .text(text)
        case let number as Int: .integer(.init(number))
        case let number as Int64: .integer(.init(number))
        default: try encoder.encode(value)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }
}
