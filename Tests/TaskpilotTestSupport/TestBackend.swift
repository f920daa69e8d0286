public import Configuration
public import Foundation
public import Logging
import SQLKit
public import TaskpilotCore
public import TaskpilotStore

/// A database kind the integration suites run against: SQLite always, PostgreSQL when `make test` started one
/// (it sets `TASKPILOT_TEST_POSTGRES_URL`).
public enum TestBackend: String, Sendable, CaseIterable {
    case sqlite, postgres

    /// The backends available in this run.
    public static var available: [TestBackend] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// The administrative URL of the test PostgreSQL server.
    public static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["TASKPILOT_TEST_POSTGRES_URL"]
        return value?.isEmpty == false ? value : nil
    }()

    /// A logger that only prints warnings, so test output stays readable.
    public static var logger: Logger {
        var logger = Logger(label: "taskpilot-test")
        logger.logLevel = .warning
        return logger
    }

    /// Creates a fresh, empty database for one test, runs `body` with its URL, then removes it.
    public func withFreshDatabaseURL<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskpilot-test-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            return try await body("sqlite://\(folder.path)/test.sqlite")
        case .postgres:
            guard let admin = Self.postgresURL, var components = URLComponents(string: admin) else {
                throw DatabaseUnavailable()
            }
            let name = "tp_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
            let server = try await TaskpilotDatabase(location: .postgres(admin), logger: Self.logger, maxConnections: 2)
            try await server.sql.raw("CREATE DATABASE \(unsafeRaw: String(name))").run()
            components.path = "/" + name
            do {
                let result = try await body(components.string!)
                try? await server.sql.raw("DROP DATABASE \(unsafeRaw: String(name)) WITH (FORCE)").run()
                await server.shutdown()
                return result
            } catch {
                try? await server.sql.raw("DROP DATABASE \(unsafeRaw: String(name)) WITH (FORCE)").run()
                await server.shutdown()
                throw error
            }
        }
    }

    /// A migrated database for one test.
    public func withDatabase<T: Sendable>(_ body: (TaskpilotDatabase) async throws -> T) async throws -> T {
        try await withFreshDatabaseURL { url in
            try await TaskpilotDatabase.using(DatabaseLocation(url: url)!, logger: Self.logger) { database in
                try await database.migrate()
                return try await body(database)
            }
        }
    }

    /// Server configuration for tests: this database, a fixed secret, cheap bcrypt.
    public static func configReader(databaseURL: String, overrides: [String: String] = [:]) -> ConfigReader {
        var values: [String: String] = [
            "taskpilot.database.url": databaseURL,
            "taskpilot.jwt.secret": "test-secret-test-secret-test-secret-0123456789",
            "taskpilot.bcrypt.cost": "4",
            "taskpilot.log.level": "warning",
        ]
        values.merge(overrides) { $1 }
        var configValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in values {
            configValues[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = ConfigValue(.string(value), isSecret: false)
        }
        return ConfigReader(provider: InMemoryProvider(values: configValues))
    }
}

/// `TASKPILOT_TEST_POSTGRES_URL` is not set.
public struct DatabaseUnavailable: Error {}

extension TaskpilotDatabase {
    /// A user with a random address, in UTC: the owner a storage test needs.
    public func newTestUser(now: Date = Date()) async throws -> User {
        try await SQLAccountRepository(database: self).create(
            email: "\(UUID().uuidString.prefix(8))@example.com",
            name: "",
            passwordHash: "x",
            timezone: "UTC",
            now: now
        )
    }
}
