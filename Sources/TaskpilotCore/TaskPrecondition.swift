public import Foundation

/// What an `If-Match` header asks of a task: to be as one of the versions the client read, each named by the task's
/// ETag, its `updated_at` in milliseconds (`"1796471174418"`). A change made meanwhile (in another tab, on another
/// device, by the assistant) moves `updated_at`, so a save made against the old version is refused instead of
/// silently writing over it. Reminders firing do not move it: they change nothing the user edits.
public struct TaskPrecondition: Sendable, Equatable {
    /// The `updated_at` values, in milliseconds, that the request accepts.
    public let updatedAt: [Int64]

    /// A precondition accepting the versions of these `updated_at` values.
    public init(updatedAt: [Int64]) { self.updatedAt = updatedAt }

    /// The ETag of the task as stored (strong: the same for the same `updated_at`).
    public static func etag(of task: TaskItem) -> String { "\"\(task.updatedAt.millisecondsSince1970)\"" }

    /// The precondition of an `If-Match` value; nil for `*` (any version of a task that exists). Weak tags (`W/"…"`)
    /// never match, as RFC 9110 compares `If-Match` strongly.
    public static func parse(ifMatch value: String) throws(TaskpilotError) -> TaskPrecondition? {
        let items = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if items == ["*"] { return nil }
        var accepted: [Int64] = []
        for item in items {
            let tag = item.hasPrefix("W/") ? item.dropFirst(2) : Substring(item)
            guard tag.count >= 2, tag.first == "\"", tag.last == "\"", !tag.dropFirst().dropLast().contains("\"") else {
                throw .invalidParameter(
                    field: "If-Match",
                    message: "must be * or the task's ETag in quotes as a read of it answered (e.g. \"1796471174418\"), not "
                        + (item.isEmpty ? "an empty value" : String(item.prefix(60)))
                )
            }
            if !item.hasPrefix("W/"), let milliseconds = Int64(tag.dropFirst().dropLast()) { accepted.append(milliseconds) }
        }
        return TaskPrecondition(updatedAt: accepted)
    }

    /// Throws `preconditionFailed` unless `task` is one of the accepted versions.
    public func check(_ task: TaskItem) throws(TaskpilotError) {
        guard !updatedAt.contains(task.updatedAt.millisecondsSince1970) else { return }
        throw .preconditionFailed(
            "Task \(task.id) was changed since you read it (last changed \(Timestamp.format(task.updatedAt)), ETag "
                + "\(Self.etag(of: task))): read it again and make your change on what it is now."
        )
    }
}
