// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (JSON bodies here use the API's snake_case field names as Swift names.)
import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskpilotApp
import TaskpilotStore
import TaskpilotTestSupport
import Testing

/// The answer of a request, with its body decoded on demand.
struct APIResponse {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: Data

    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch {
            Issue.record("cannot decode \(T.self) from \(String(decoding: body, as: UTF8.self)): \(error)")
            throw error
        }
    }

    var error: ErrorBody.Detail? { (try? JSONDecoder().decode(ErrorBody.self, from: body))?.error }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Sends requests to the router, as a given user when a token is set.
struct APIClient {
    let client: any TestClientProtocol
    var token: String?

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ path: String, json: String? = nil, headers: HTTPFields = [:]) async throws -> APIResponse {
        var fields = headers
        if let token, fields[.authorization] == nil { fields[.authorization] = "Bearer \(token)" }
        if json != nil { fields[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) }) { response in
            APIResponse(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
        }
    }

    func get(_ path: String) async throws -> APIResponse { try await send(.get, path) }
    func post(_ path: String, _ json: String) async throws -> APIResponse { try await send(.post, path, json: json) }
    func patch(_ path: String, _ json: String) async throws -> APIResponse { try await send(.patch, path, json: json) }
    func delete(_ path: String) async throws -> APIResponse { try await send(.delete, path) }

    /// Registers a new account and returns a client acting as it.
    func registered(
        email: String = "user-\(UUID().uuidString.prefix(8).lowercased())@example.com",
        timezone: String = "UTC"
    ) async throws -> (APIClient, AuthBody) {
        let response = try await APIClient(client: client).post(
            "/api/v1/auth/register",
            #"{"email": "\#(email)", "password": "correct horse battery", "name": "Test", "timezone": "\#(timezone)"}"#
        )
        #expect(response.status == .created, "register: \(response.text)")
        let auth: AuthBody = try response.decode()
        return (APIClient(client: client, token: auth.token), auth)
    }

    /// Creates a task and returns it.
    func createTask(_ json: String) async throws -> TaskBody {
        let response = try await post("/api/v1/tasks", json)
        #expect(response.status == .created, "create: \(response.text)")
        return try response.decode()
    }
}

/// Runs `body` against a fresh server on the backend.
func withAPI(
    _ backend: TestBackend,
    settings overrides: [String: String] = [:],
    _ body: @Sendable (APIClient) async throws -> Void
) async throws {
    try await withServer(backend, settings: overrides) { api, _ in try await body(api) }
}

/// Runs `body` against a fresh server on the backend, with the server itself (its database, say).
func withServer(
    _ backend: TestBackend,
    settings overrides: [String: String] = [:],
    _ body: @Sendable (APIClient, TaskpilotServer) async throws -> Void
) async throws {
    try await backend.withFreshDatabaseURL { url in
        let reader = TestBackend.configReader(databaseURL: url, overrides: overrides)
        let server = try await buildServer(settings: try Settings(reader: reader), logger: TestBackend.logger)
        try await server.application.test(.router) { client in
            try await body(APIClient(client: client), server)
        }
        await server.database.shutdown()
    }
}

// MARK: - The contract's shapes, as a client sees them

struct ErrorBody: Decodable {
    struct Detail: Decodable {
        struct Field: Decodable {
            let field: String
            let message: String
        }
        let code: String
        let message: String
        let details: [Field]?
    }
    let error: Detail
}

struct UserBody: Decodable {
    let id: String
    let email: String
    let name: String
    let timezone: String
    let created_at: String
}

struct AuthBody: Decodable {
    let user: UserBody
    let token: String
    let expires_at: String
}

struct ReminderBody: Decodable, Equatable {
    let id: Int64
    let offset_minutes: Int?
    let at: String?
    let fire_at: String?
    let fired_at: String?
}

struct RecurrenceBody: Decodable, Equatable {
    let frequency: String
    let interval: Int
    let by_weekday: [String]
    let by_month_day: [Int]
    let by_set_position: [Int]
    let by_hour: [Int]
    let until: String?
    let count: Int?
    let from_completion: Bool
    let rrule: String
    let text: String
}

struct TaskBody: Decodable, Equatable {
    let id: Int64
    let title: String
    let description: String
    let status: String
    let completed: Bool
    let priority: String
    let tags: [String]
    let due_at: String?
    let all_day: Bool
    let overdue: Bool
    let reminders: [ReminderBody]
    let recurrence: RecurrenceBody?
    let series_id: Int64?
    let occurrence: Int
    let completed_at: String?
    let created_at: String
    let updated_at: String
}

struct TaskListBody: Decodable {
    let items: [TaskBody]
    let next_cursor: String?
}

struct TokenBody: Decodable {
    let id: String
    let name: String
    let prefix: String
    let token: String?
    let created_at: String
    let expires_at: String?
    let last_used_at: String?
}

struct TagBody: Decodable, Equatable {
    let name: String
    let count: Int
}
