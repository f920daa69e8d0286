public import Foundation
public import Logging
public import TaskpilotCore
import TaskpilotStore

/// Operator tasks run from the command line against the configured database.
public struct Administration: Sendable {
    private let settings: Settings
    private let logger: Logger

    /// Tasks against the database of these settings.
    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Runs pending migrations (or reverts the last batch) and returns what was applied.
    public func migrate(revert: Bool) async throws -> [String] {
        try await withDatabase { database in
            if revert { return try await database.revertLastBatch() }
            return try await database.migrate()
        }
    }

    /// Creates an account with validated fields.
    public func createUser(email rawEmail: String, password: String, name: String, timezone rawTimezone: String) async throws -> User {
        var errors: [FieldError] = []
        var email = ""
        switch AccountRules.email(rawEmail) {
        case .success(let value): email = value
        case .failure(let error): errors.append(error)
        }
        if let error = AccountRules.password(password) { errors.append(error) }
        // The name as the API takes it, or the account could not send its own profile back unchanged.
        var name = name
        switch AccountRules.name(name) {
        case .success(let value): name = value
        case .failure(let error): errors.append(error)
        }
        var timezone = "UTC"
        switch AccountRules.timezone(rawTimezone) {
        case .success(let value): timezone = value
        case .failure(let error): errors.append(error)
        }
        guard errors.isEmpty else { throw TaskpilotError.validationFailed(errors) }
        let hash = Credentials.bcrypt(password, cost: settings.bcryptCost)
        return try await withDatabase { database in
            try await database.migrate()
            return try await SQLAccountRepository(database: database).create(
                email: email,
                name: name,
                passwordHash: hash,
                timezone: timezone,
                now: Date()
            )
        }
    }

    /// Every account.
    public func listUsers() async throws -> [User] {
        // Reading creates nothing: a mistyped data folder is named, not answered with a new, empty database.
        if case .sqliteFile(let path) = settings.database, !FileManager.default.fileExists(atPath: path) {
            throw DatabaseSetupError(
                "there is no database at \(path): check TASKPILOT_DATA_DIR or TASKPILOT_DATABASE_URL (`taskpilot serve` or `migrate` creates it)"
            )
        }
        return try await withDatabase { database in
            try await database.migrate()
            return try await SQLAccountRepository(database: database).all()
        }
    }

    private func withDatabase<T: Sendable>(_ body: (TaskpilotDatabase) async throws -> T) async throws -> T {
        try await TaskpilotDatabase.using(settings.database, logger: logger, maxConnections: 2, body)
    }
}
