public import Foundation

/// What a bulk action does.
public enum BulkAction: String, Sendable, CaseIterable {
    case complete, reopen, delete
}

/// Storage of tasks; every method is scoped to one user and throws `notFound` for another user's task.
public protocol TaskRepository: Sendable {
    /// Stores a new task (built with `TaskItem.applying`) with its tags and reminders in one transaction.
    func create(_ task: TaskItem) async throws -> TaskItem
    /// The task with this id owned by the user.
    func get(id: Int64, userID: UUID, now: Date) async throws -> TaskItem
    /// Applies validated changes to the user's task atomically and returns the new state; with `expected`, only if the
    /// task is still a version it accepts (else `preconditionFailed`, nothing written).
    func update(id: Int64, userID: UUID, changes: TaskChanges, now: Date, timeZone: TimeZone, expected: TaskPrecondition?) async throws -> TaskItem
    /// Deletes the user's task and returns it as it was; with `expected`, only if it is still a version it accepts.
    func delete(id: Int64, userID: UUID, expected: TaskPrecondition?) async throws -> TaskItem
    /// One page of the user's tasks.
    func list(_ query: TaskQuery, userID: UUID, now: Date) async throws -> TaskPage
    /// One page of the user's tasks as `list` finds it, written as the API shows them in `timeZone` (the REST list,
    /// which may keep written tasks between requests).
    func listJSON(_ query: TaskQuery, userID: UUID, now: Date, timeZone: TimeZone) async throws -> TaskJSONPage
    /// Applies an action to every task of the user that matches the filter; returns how many changed.
    func bulk(_ action: BulkAction, filter: TaskFilter, userID: UUID, now: Date) async throws -> Int
    /// The user's tags with the number of tasks carrying each.
    func tags(userID: UUID) async throws -> [TagCount]
}

extension TaskRepository {
    /// Applies validated changes to the user's task atomically, whatever version it is, and returns the new state.
    public func update(id: Int64, userID: UUID, changes: TaskChanges, now: Date, timeZone: TimeZone) async throws -> TaskItem {
        try await update(id: id, userID: userID, changes: changes, now: now, timeZone: timeZone, expected: nil)
    }

    /// Deletes the user's task, whatever version it is, and returns it as it was.
    public func delete(id: Int64, userID: UUID) async throws -> TaskItem {
        try await delete(id: id, userID: userID, expected: nil)
    }
}

/// Storage of accounts.
public protocol UserRepository: Sendable {
    /// Creates an account; throws `conflict` when the email is taken.
    func create(email: String, name: String, passwordHash: String, timezone: String, now: Date) async throws -> User
    /// The user with this id.
    func user(id: UUID) async throws -> User
    /// The user and password hash for an email, if the account exists.
    func credentials(email: String) async throws -> (User, String)?
    /// Changes the name and/or time zone.
    func update(id: UUID, name: String?, timezone: String?) async throws -> User
    /// Every account, oldest first.
    func all() async throws -> [User]
}

/// Storage of personal API tokens.
public protocol APITokenRepository: Sendable {
    /// Stores a token by the hash of its secret.
    func create(userID: UUID, name: String, secretHash: String, prefix: String, expiresAt: Date?, now: Date) async throws -> APIToken
    /// The user's tokens, newest first.
    func list(userID: UUID) async throws -> [APIToken]
    /// Revokes the user's token.
    func delete(id: UUID, userID: UUID) async throws
    /// The unexpired token with this secret hash, marking it used.
    func authenticate(secretHash: String, now: Date) async throws -> APIToken?
}
