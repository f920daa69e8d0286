public import Foundation

/// A problem with one field of the input, reported back to the client.
public struct FieldError: Error, Sendable, Equatable, Codable {
    /// The dotted path of the field, e.g. `title` or `recurrence.interval`.
    public var field: String
    /// What is wrong and what would be accepted.
    public var message: String

    /// Creates a field error.
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// Every failure the domain can report; the app maps each case to an HTTP status and error body.
public enum TaskpilotError: Error, Sendable, Equatable {
    /// The body is not valid JSON or not a JSON object.
    case invalidJSON(String)
    /// A query or path parameter cannot be read.
    case invalidParameter(field: String, message: String)
    /// One or more fields of the input are invalid.
    case validationFailed([FieldError])
    /// Credentials are missing, expired or wrong.
    case unauthorized(String)
    /// The caller is authenticated but may not do this.
    case forbidden(String)
    /// The resource does not exist for this user.
    case notFound(String)
    /// The change conflicts with existing data, e.g. a taken email.
    case conflict(code: String, message: String)
    /// The request body is larger than allowed.
    case payloadTooLarge(limit: Int)
    /// Too many attempts; retry after the given number of seconds.
    case rateLimited(retryAfter: Int)
    /// The resource changed since the version the request was made against (`If-Match`).
    case preconditionFailed(String)

    /// A validation failure of a single field.
    public static func invalid(_ field: String, _ message: String) -> TaskpilotError {
        .validationFailed([FieldError(field, message)])
    }
}

extension TaskpilotError: LocalizedError {
    /// A one-line description, used in logs and CLI output.
    public var errorDescription: String? {
        switch self {
        case .invalidJSON(let message): "Invalid JSON: \(message)"
        case .invalidParameter(let field, let message): "Invalid parameter \(field): \(message)"
        case .validationFailed(let errors): errors.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        case .unauthorized(let message), .forbidden(let message), .notFound(let message), .preconditionFailed(let message): message
        case .conflict(_, let message): message
        case .payloadTooLarge(let limit): "The request body is larger than \(limit) bytes."
        case .rateLimited(let retryAfter): "Too many attempts; try again in \(Self.wait(retryAfter))."
        }
    }

    /// A wait in words a person reads: "40 seconds", "1 minute", "15 minutes" (whole minutes rounded up past a minute).
    public static func wait(_ seconds: Int) -> String {
        guard seconds > 60 else { return seconds == 1 ? "1 second" : "\(max(seconds, 0)) seconds" }
        let minutes = (seconds + 59) / 60
        return minutes == 1 ? "1 minute" : "\(minutes) minutes"
    }
}
