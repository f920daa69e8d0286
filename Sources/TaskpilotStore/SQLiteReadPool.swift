import FluentSQLiteDriver
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Read-only connections to a SQLite file, used beside the one writing connection.
///
/// In WAL mode readers never wait for the writer and see every transaction committed before they start, so the hot
/// read paths (get, list, search, tags, sign-in lookups) run in parallel with each other and with writes instead of
/// queueing behind them on the single writing connection.
final class SQLiteReadPool: Sendable {
    private struct State {
        var idle: [SQLiteConnection]
        var waiters: [CheckedContinuation<SQLiteConnection, Never>] = []
        var closed = false
    }

    private let connections: [SQLiteConnection]
    private let state: Mutex<State>

    /// Per-connection settings: wait for locks instead of failing, keep an 8 MB page cache, refuse writes.
    static let pragmas = ["PRAGMA busy_timeout=5000", "PRAGMA cache_size=-8000", "PRAGMA query_only=ON"]

    private init(connections: [SQLiteConnection]) {
        self.connections = connections
        state = Mutex(State(idle: connections))
    }

    /// Opens `size` read-only connections on the file at `path`.
    static func open(path: String, size: Int, logger: Logger, on eventLoop: any EventLoop) async throws -> SQLiteReadPool {
        var connections: [SQLiteConnection] = []
        do {
            for _ in 0..<size {
                let connection = try await SQLiteConnection.open(
                    storage: .file(path: path),
                    threadPool: .singleton,
                    logger: logger,
                    on: eventLoop
                )
                connections.append(connection)
                for pragma in pragmas { try await connection.query(pragma, []) { _ in } }
            }
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
        return SQLiteReadPool(connections: connections)
    }

    /// Runs `body` on an idle connection, waiting for one when all are busy.
    func withConnection<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let connection = try await acquire()
        defer { release(connection) }
        return try await body(SQLiteReadDatabase(connection: connection))
    }

    private func acquire(evenIfClosed: Bool = false) async throws -> SQLiteConnection {
        enum Next {
            case ready(SQLiteConnection)
            case wait, closed
        }
        let next = state.withLock { state -> Next in
            if state.closed && !evenIfClosed { return .closed }
            if let connection = state.idle.popLast() { return .ready(connection) }
            return .wait
        }
        switch next {
        case .ready(let connection): return connection
        case .closed: throw DatabaseSetupError("the database is shutting down")
        case .wait: break
        }
        return await withCheckedContinuation { continuation in
            let handed: SQLiteConnection? = state.withLock { state in
                if let connection = state.idle.popLast() { return connection }
                state.waiters.append(continuation)
                return nil
            }
            if let handed { continuation.resume(returning: handed) }
        }
    }

    private func release(_ connection: SQLiteConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<SQLiteConnection, Never>? in
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: connection)
    }

    /// Refuses new readers, waits for the running ones to finish, then closes every connection.
    func close() async {
        // `shutdown` can run twice (the service on graceful shutdown, then its owner): only the first closes.
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        for _ in connections {
            guard let connection = try? await acquire(evenIfClosed: true) else { continue }
            try? await connection.close()
        }
    }
}

/// SQLKit over one read connection, with rows that decode the column types Taskpilot stores (text, integers) without
/// SQLiteKit's generic `Decodable` path, which dominated the cost of reading a page of tasks.
private struct SQLiteReadDatabase: SQLDatabase {
    let connection: SQLiteConnection

    var eventLoop: any EventLoop { connection.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var logger: Logger { connection.logger }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    private func prepare(_ query: any SQLExpression) throws -> (String, [SQLiteData]) {
        let (sql, binds) = serialize(query)
        return (sql, try binds.map { try SQLiteReadRow.encoder.encode($0) })
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        do {
            let (sql, binds) = try prepare(query)
            return connection.query(sql, binds, logger: logger) { onRow(SQLiteReadRow(row: $0)) }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = try prepare(query)
        try await connection.query(sql, binds) { onRow(SQLiteReadRow(row: $0)) }
    }
}

/// A row of a read connection: `String`, `Int64` and `Int` straight from the stored value, anything else through
/// SQLiteKit's decoder.
private struct SQLiteReadRow: SQLRow {
    let row: SQLiteRow

    static let encoder = SQLiteDataEncoder()
    static let decoder = SQLiteDataDecoder()

    struct MissingColumn: Error, CustomStringConvertible {
        let column: String
        var description: String { "the query returned no column \(column)" }
    }

    var allColumns: [String] { row.columns.map(\.name) }

    func contains(column: String) -> Bool { row.column(column) != nil }

    func decodeNil(column: String) throws -> Bool { (row.column(column) ?? .null) == .null }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let data = row.column(column) else { throw MissingColumn(column: column) }
        switch data {
        case .text(let text) where D.self == String.self: return unsafeBitCast(text, to: D.self)
        case .integer(let number) where D.self == Int64.self: return unsafeBitCast(Int64(number), to: D.self)
        case .integer(let number) where D.self == Int.self: return unsafeBitCast(Int(number), to: D.self)
        default: return try Self.decoder.decode(D.self, from: data)
        }
    }
}
