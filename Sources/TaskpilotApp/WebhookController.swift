// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (JSON bodies here use the API's snake_case field names as Swift names.)
import Foundation
import Hummingbird
import TaskpilotCore
import TaskpilotWorkers

/// The user's webhooks: create (the secret is shown once), list, delete, enable again after being disabled.
struct WebhookController: Sendable {
    let webhooks: any WebhookRepository
    let targets: WebhookTargetPolicy
    let maxBodyBytes: Int

    /// A webhook as the API shows it; `secret` only in the answer to its creation.
    struct WebhookDTO: ResponseEncodable, Sendable {
        let id: String
        let url: String
        let events: [String]
        let failures: Int
        let disabled_at: String?
        let created_at: String
        let secret: String?

        init(_ webhook: Webhook, secret: String? = nil) {
            id = webhook.id.uuidString.lowercased()
            url = webhook.url
            events = webhook.events
            failures = webhook.failures
            disabled_at = webhook.disabledAt.map(Timestamp.format)
            created_at = Timestamp.format(webhook.createdAt)
            self.secret = secret
        }

        enum CodingKeys: String, CodingKey {
            case id, url, events, failures, disabled_at, created_at, secret
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(url, forKey: .url)
            try container.encode(events, forKey: .events)
            try container.encode(failures, forKey: .failures)
            try container.encode(disabled_at, forKey: .disabled_at)
            try container.encode(created_at, forKey: .created_at)
            if let secret { try container.encode(secret, forKey: .secret) }
        }
    }

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("webhooks", use: create)
        group.get("webhooks") { _, context in ListDTO(try await webhooks.list(userID: context.user.id).map { WebhookDTO($0) }) }
        group.delete("webhooks/:id") { _, context in
            try await webhooks.delete(id: try context.parameters.uuid("id"), userID: context.user.id)
            return Response(status: .noContent)
        }
        group.post("webhooks/:id/enable") { _, context in
            WebhookDTO(try await webhooks.enable(id: try context.parameters.uuid("id"), userID: context.user.id))
        }
    }

    func create(_ request: Request, context: AuthenticatedContext) async throws -> EditedResponse<WebhookDTO> {
        var fields = JSONFields(try await request.jsonObject(limit: maxBodyBytes))
        fields.refuseUnknown(["url", "events"])
        var url: String?
        if let raw = fields.string("url") {
            switch WebhookRules.url(raw) {
            case .success(let value):
                if let refusal = await targets.refusal(for: value) { fields.fail("url", refusal) } else { url = value }
            case .failure(let error): fields.append([error])
            }
        } else if !fields.has("url") || fields.isNull("url") {
            fields.fail("url", "is required: the http(s) URL that receives the events")
        }
        var events = WebhookRules.defaultEvents
        if let items = fields.array("events") {
            let names = items.compactMap(\.stringValue)
            if names.count != items.count {
                fields.fail("events", "must be a list of event names (strings)")
            } else {
                switch WebhookRules.events(names) {
                case .success(let value): events = value
                case .failure(let error): fields.append([error])
                }
            }
        }
        guard fields.errors.isEmpty, let url else { throw TaskpilotError.validationFailed(fields.errors) }
        let secret = WebhookSignature.newSecret()
        let webhook = try await webhooks.create(userID: context.user.id, url: url, events: events, secret: secret, now: Date())
        return EditedResponse(status: .created, response: WebhookDTO(webhook, secret: secret))
    }
}
