// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (JSON bodies here use the API's snake_case field names as Swift names.)
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TaskpilotCore

/// A task as the API shows it (DESIGN §4).
struct TaskDTO: ResponseGenerator, Encodable, Sendable {
    let task: TaskItem
    let now: Date
    let timeZone: TimeZone
    /// A task that is stored, whose answer carries its ETag (not a preview).
    let stored: Bool

    init(_ task: TaskItem, now: Date, timeZone: TimeZone, stored: Bool = true) {
        self.task = task
        self.now = now
        self.timeZone = timeZone
        self.stored = stored
    }

    func encode(to encoder: any Encoder) throws {
        try task.apiJSON(now: now, timeZone: timeZone).encode(to: encoder)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var writer = JSONWriter(capacity: 1024)
        task.writeAPIJSON(into: &writer, now: now, timeZone: timeZone)
        var response = JSONBody.response(writer)
        if stored { response.headers[.eTag] = TaskPrecondition.etag(of: task) }
        return response
    }
}

/// JSON responses written directly, for the hot list and task paths.
enum JSONBody {
    static func response(_ writer: JSONWriter) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes))
        )
    }
}

/// A page of tasks.
struct TaskListDTO: ResponseGenerator, Sendable {
    let items: [TaskJSONFragment]
    /// When the page is shown (for `overdue`).
    let now: Date
    let nextCursor: String?

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var writer = JSONWriter(capacity: 64 + items.reduce(0) { $0 + $1.size + 8 })
        writer.beginObject()
        writer.key("items")
        writer.beginArray()
        for item in items { item.write(into: &writer, now: now) }
        writer.endArray()
        writer.key("next_cursor")
        writer.string(nextCursor)
        writer.endObject()
        return JSONBody.response(writer)
    }
}

/// A user as the API shows it.
struct UserDTO: ResponseEncodable, Sendable {
    let id: String
    let email: String
    let name: String
    let timezone: String
    let created_at: String

    init(_ user: User) {
        id = user.id.uuidString.lowercased()
        email = user.email
        name = user.name
        timezone = user.timezone
        created_at = Timestamp.format(user.createdAt)
    }
}

/// The answer of register and login.
struct AuthDTO: ResponseEncodable, Sendable {
    let user: UserDTO
    let token: String
    let token_type = "Bearer"
    let expires_at: String
}

/// A personal API token as listed; `token` only in the answer that creates it.
struct APITokenDTO: ResponseEncodable, Sendable {
    let token: APIToken
    let secret: String?

    enum Keys: String, CodingKey {
        case id, name, prefix, token
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(token.id.uuidString.lowercased(), forKey: .id)
        try container.encode(token.name, forKey: .name)
        try container.encode(token.prefix, forKey: .prefix)
        try container.encode(Timestamp.format(token.createdAt), forKey: .createdAt)
        try container.encode(token.expiresAt.map(Timestamp.format), forKey: .expiresAt)
        try container.encode(token.lastUsedAt.map(Timestamp.format), forKey: .lastUsedAt)
        if let secret { try container.encode(secret, forKey: .token) }
    }
}

/// A JSON array as a response.
struct ListDTO<Element: Encodable & Sendable>: ResponseEncodable, Sendable {
    let items: [Element]

    init(_ items: [Element]) { self.items = items }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(items)
    }
}

/// The answer of a bulk action.
struct BulkResultDTO: ResponseEncodable, Sendable {
    let affected: Int
}
