public import Foundation
import PostgresKit

/// Where the data lives, read from `TASKPILOT_DATABASE_URL`.
public enum DatabaseLocation: Sendable, Equatable {
    /// A SQLite file (created with its folder if missing).
    case sqliteFile(String)
    /// A private in-memory SQLite database, for tests.
    case sqliteMemory
    /// A PostgreSQL server URL (`postgres://user:password@host:5432/db`).
    case postgres(String)

    /// Reads `sqlite://./data/taskpilot.sqlite`, `sqlite:///var/lib/taskpilot.sqlite`, `sqlite::memory:` or `postgres://…`.
    public init?(url: String) {
        let text = url.trimmingCharacters(in: .whitespaces)
        if text == "sqlite::memory:" || text == "sqlite://:memory:" {
            self = .sqliteMemory
        } else if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { return nil }
            self = .sqliteFile(path)
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { return nil }
            self = .sqliteFile(path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            guard URLComponents(string: text)?.host?.isEmpty == false else { return nil }
            self = .postgres(text)
        } else {
            return nil
        }
    }

    /// Why `url` cannot be used, in words for a configuration error (without the URL, which may hold a password);
    /// nil when it can. A PostgreSQL port past 65535 would be taken modulo 65536 by the driver (74474 is 8938).
    public static func problem(url: String) -> String? {
        guard let location = DatabaseLocation(url: url) else {
            return "is not sqlite://PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST:PORT/DB"
        }
        guard case .postgres(let text) = location else { return nil }
        guard let components = URLComponents(string: text) else { return "is not a URL: check its %-escapes" }
        if let port = components.port, !(1...65535).contains(port) { return "has port \(port); a port is 1 to 65535" }
        if (components.user ?? "").isEmpty { return "names no user: write postgres://USER:PASSWORD@HOST:PORT/DB" }
        if (try? SQLPostgresConfiguration(url: text)) == nil {
            return "cannot be read as a PostgreSQL URL: check its sslmode (disable, prefer or require) and its %-escapes"
        }
        return nil
    }

    /// Whether this is a PostgreSQL server.
    public var isPostgres: Bool {
        if case .postgres = self { return true }
        return false
    }

    /// The URL with any password hidden, for logs.
    public var redacted: String {
        switch self {
        case .sqliteFile(let path): return "sqlite://\(path)"
        case .sqliteMemory: return "sqlite::memory:"
        case .postgres(let url):
            guard var components = URLComponents(string: url), components.password != nil else { return url }
            components.password = "***"
            return components.string ?? "postgres://…"
        }
    }
}
