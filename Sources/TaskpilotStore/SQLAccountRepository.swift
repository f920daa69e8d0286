import FluentKit
public import Foundation
import SQLKit
public import TaskpilotCore

/// Users and personal API tokens in SQL.
public struct SQLAccountRepository: UserRepository, APITokenRepository {
    private let store: TaskpilotDatabase

    /// A repository over the database.
    public init(database: TaskpilotDatabase) {
        self.store = database
    }

    public func create(email: String, name: String, passwordHash: String, timezone: String, now: Date) async throws -> User {
        let user = User(id: UUID(), email: email, name: name, timezone: timezone, createdAt: Date(millisecondsSince1970: now.millisecondsSince1970))
        let conflict = TaskpilotError.conflict(code: "email_taken", message: "An account with this email already exists; log in instead.")
        if try await store.sql.raw("SELECT id FROM users WHERE email = \(bind: email)").first() != nil { throw conflict }
        do {
            try await store.sql.raw(
                """
                INSERT INTO users (id, email, name, password_hash, timezone, created_at)
                VALUES (\(bind: user.id.storageKey), \(bind: email), \(bind: name), \(bind: passwordHash), \(bind: timezone), \(bind: now.millisecondsSince1970))
                """
            ).run()
        } catch {
            // Two sign-ups with one email racing: the unique index decides.
            if try await store.sql.raw("SELECT id FROM users WHERE email = \(bind: email)").first() != nil { throw conflict }
            throw error
        }
        return user
    }

    public func user(id: UUID) async throws -> User {
        guard let row = try await store.read({ try await $0.raw("SELECT * FROM users WHERE id = \(bind: id.storageKey)").first() }) else {
            throw TaskpilotError.unauthorized("The account of this token no longer exists.")
        }
        return try Self.user(from: row)
    }

    public func credentials(email: String) async throws -> (User, String)? {
        guard let row = try await store.read({ try await $0.raw("SELECT * FROM users WHERE email = \(bind: email)").first() }) else { return nil }
        return (try Self.user(from: row), try row.decode(column: "password_hash", as: String.self))
    }

    public func update(id: UUID, name: String?, timezone: String?) async throws -> User {
        try await store.transaction { sql in
            if let name { try await sql.raw("UPDATE users SET name = \(bind: name) WHERE id = \(bind: id.storageKey)").run() }
            guard let timezone else { return }
            let old = try await sql.raw("SELECT timezone FROM users WHERE id = \(bind: id.storageKey)").first()?
                .decode(column: "timezone", as: String.self)
            try await sql.raw("UPDATE users SET timezone = \(bind: timezone) WHERE id = \(bind: id.storageKey)").run()
            if let old, old != timezone, let from = TimeZone(identifier: old), let to = TimeZone(identifier: timezone) {
                try await Self.keepAllDayDates(userID: id, from: from, to: to, on: sql)
            }
        }
        return try await user(id: id)
    }

    /// An all-day task is stored as the start of its day in its owner's time zone: when the zone changes, each one
    /// moves to the start of the same day in the new zone (and its pending reminders before the due time with it), so
    /// that "Dec 10" stays Dec 10 instead of becoming Dec 9 at 3pm. The same holds for a series' end given as a date.
    private static func keepAllDayDates(userID: UUID, from: TimeZone, to: TimeZone, on sql: any SQLDatabase) async throws {
        let rows = try await sql.raw(
            "SELECT id, due_at FROM tasks WHERE user_id = \(bind: userID.storageKey) AND all_day = 1 AND due_at IS NOT NULL"
        ).all()
        let (old, new) = (Calendar.taskpilot(from), Calendar.taskpilot(to))
        for row in rows {
            let id = try row.decode(column: "id", as: Int64.self)
            let due = try row.decode(column: "due_at", as: Int64.self)
            let day = old.dateComponents([.year, .month, .day], from: Date(millisecondsSince1970: due))
            guard let moved = new.date(from: day)?.millisecondsSince1970, moved != due else { continue }
            try await sql.raw("UPDATE tasks SET due_at = \(bind: moved) WHERE id = \(bind: id)").run()
            try await sql.raw(
                """
                UPDATE reminders SET fire_at = fire_at + \(bind: moved - due)
                WHERE task_id = \(bind: id) AND offset_minutes IS NOT NULL AND fired_at IS NULL
                """
            ).run()
        }
        // A series' end given as a date ("until Dec 31") is the end of that day in the owner's zone: it stays Dec 31.
        let series = try await sql.raw(
            "SELECT id, recurrence FROM tasks WHERE user_id = \(bind: userID.storageKey) AND recurrence LIKE '%UNTIL=%'"
        ).all()
        for row in series {
            let text = try row.decode(column: "recurrence", as: String.self)
            guard let rule = try? RecurrenceRule(rrule: text), let moved = rule.keepingUntilDay(from: from, to: to) else { continue }
            let id = try row.decode(column: "id", as: Int64.self)
            try await sql.raw("UPDATE tasks SET recurrence = \(bind: moved.rrule) WHERE id = \(bind: id)").run()
        }
    }

    public func all() async throws -> [User] {
        try await store.sql.raw("SELECT * FROM users ORDER BY created_at, email").all().map(Self.user(from:))
    }

    private static func user(from row: any SQLRow) throws -> User {
        User(
            id: UUID(uuidString: try row.decode(column: "id", as: String.self)) ?? UUID(),
            email: try row.decode(column: "email", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            timezone: try row.decode(column: "timezone", as: String.self),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
        )
    }

    // MARK: - API tokens

    public func create(userID: UUID, name: String, secretHash: String, prefix: String, expiresAt: Date?, now: Date) async throws -> APIToken {
        let token = APIToken(
            id: UUID(),
            userID: userID,
            name: name,
            prefix: prefix,
            createdAt: Date(millisecondsSince1970: now.millisecondsSince1970),
            expiresAt: expiresAt.map { Date(millisecondsSince1970: $0.millisecondsSince1970) },
            lastUsedAt: nil
        )
        try await store.sql.raw(
            """
            INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at)
            VALUES (\(bind: token.id.storageKey), \(bind: userID.storageKey), \(bind: name), \(bind: secretHash), \(bind: prefix),
                \(bind: now.millisecondsSince1970), \(bind: expiresAt?.millisecondsSince1970))
            """
        ).run()
        return token
    }

    public func list(userID: UUID) async throws -> [APIToken] {
        try await store.sql.raw("SELECT * FROM api_tokens WHERE user_id = \(bind: userID.storageKey) ORDER BY created_at DESC, id")
            .all().map(Self.token(from:))
    }

    public func delete(id: UUID, userID: UUID) async throws {
        let rows = try await store.sql.raw(
            "DELETE FROM api_tokens WHERE id = \(bind: id.storageKey) AND user_id = \(bind: userID.storageKey) RETURNING id"
        ).all()
        guard !rows.isEmpty else { throw TaskpilotError.notFound("Token \(id.storageKey) was not found.") }
    }

    public func authenticate(secretHash: String, now: Date) async throws -> APIToken? {
        guard let row = try await store.read({ try await $0.raw("SELECT * FROM api_tokens WHERE token_hash = \(bind: secretHash)").first() })
        else { return nil }
        let token = try Self.token(from: row)
        if let expiresAt = token.expiresAt, expiresAt <= now { return nil }
        // Recording every use would turn each read into a write; once a minute is precise enough.
        if token.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            try await store.sql.raw(
                "UPDATE api_tokens SET last_used_at = \(bind: now.millisecondsSince1970) WHERE id = \(bind: token.id.storageKey)"
            ).run()
        }
        return token
    }

    private static func token(from row: any SQLRow) throws -> APIToken {
        APIToken(
            id: UUID(uuidString: try row.decode(column: "id", as: String.self)) ?? UUID(),
            userID: UUID(uuidString: try row.decode(column: "user_id", as: String.self)) ?? UUID(),
            name: try row.decode(column: "name", as: String.self),
            prefix: try row.decode(column: "prefix", as: String.self),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            expiresAt: try row.decode(column: "expires_at", as: Int64?.self).map(Date.init(millisecondsSince1970:)),
            lastUsedAt: try row.decode(column: "last_used_at", as: Int64?.self).map(Date.init(millisecondsSince1970:))
        )
    }
}
