// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (JSON bodies here use the API's snake_case field names as Swift names.)
import Foundation
import HTTPTypes
import TaskpilotTestSupport
import Testing

struct WebhookBody: Decodable {
    let id: String
    let url: String
    let events: [String]
    let secret: String?
    let failures: Int
    let disabled_at: String?
    let created_at: String
}

@Suite("Webhooks API")
struct WebhookAPITests {
    @Test("create shows the secret once; list shows the user's own webhooks without secrets; delete removes them", arguments: TestBackend.available)
    func lifecycle(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            let created = try await me.post("/api/v1/webhooks", #"{"url": "https://example.com/hooks/taskpilot"}"#)
            #expect(created.status == .created, "\(created.text)")
            let hook: WebhookBody = try created.decode()
            #expect(hook.url == "https://example.com/hooks/taskpilot" && hook.events == ["reminder.due"])
            #expect(hook.secret?.hasPrefix("whsec_") == true && hook.secret?.count == 6 + 64)
            #expect(hook.failures == 0 && hook.disabled_at == nil)
            let second: WebhookBody = try await me.post(
                "/api/v1/webhooks",
                #"{"url": "http://hooks.example.net:8080/in", "events": ["task.completed", "task.created", "task.completed"]}"#
            ).decode()
            #expect(second.events == ["task.completed", "task.created"])
            #expect(second.secret != hook.secret)

            let listed = try await me.get("/api/v1/webhooks")
            #expect(listed.status == .ok)
            #expect(try listed.decode([WebhookBody].self).map(\.id) == [hook.id, second.id])
            // The answer to a create says what a read will: created_at to the stored millisecond.
            #expect(try listed.decode([WebhookBody].self).map(\.created_at) == [hook.created_at, second.created_at])
            #expect(!listed.text.contains("whsec_"))

            #expect(try await me.delete("/api/v1/webhooks/\(hook.id)").status == .noContent)
            #expect(try await me.delete("/api/v1/webhooks/\(hook.id)").status == .notFound)
            #expect(try await me.get("/api/v1/webhooks").decode([WebhookBody].self).map(\.id) == [second.id])
        }
    }

    @Test("receivers on loopback, private or link-local addresses are refused unless the operator allows them")
    func privateReceivers() async throws {
        let refused = [
            "http://127.0.0.1:9/in", "http://localhost:8080/hook", "http://[::1]/in", "http://10.0.0.8/in", "http://169.254.169.254/latest/meta-data",
            "https://192.168.1.20/hook", "http://[fd00::5]/in", "http://[::ffff:127.0.0.1]/in", "http://2130706433/in", "http://0.0.0.0:8080/",
            // A zone names an interface, known here or not: the address is still loopback or link-local.
            "http://[::1%25lo]/in", "http://[::1%25nosuchif]/in", "http://[fe80::1%25eth0]/in",
        ]
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered()
            for url in refused {
                let response = try await me.post("/api/v1/webhooks", "{\"url\": \"\(url)\"}")
                #expect(response.status == .unprocessableContent, "\(url): \(response.status)")
                let message = response.error?.details?.first { $0.field == "url" }?.message ?? ""
                #expect(message.contains("TASKPILOT_WEBHOOK_ALLOW_PRIVATE=true"), "\(url): \(response.text.prefix(300))")
            }
            #expect(try await me.get("/api/v1/webhooks").decode([WebhookBody].self).isEmpty)
            // A public address, or a name that does not resolve here, is taken (delivery checks again).
            for url in ["https://93.184.215.14/hook", "https://hooks.example.net/in"] {
                #expect(try await me.post("/api/v1/webhooks", "{\"url\": \"\(url)\"}").status == .created, "\(url)")
            }
        }
        try await withAPI(.sqlite, settings: ["taskpilot.webhook.allow.private": "true"]) { api in
            let (me, _) = try await api.registered()
            for url in refused {
                #expect(try await me.post("/api/v1/webhooks", "{\"url\": \"\(url)\"}").status == .created, "\(url)")
            }
        }
    }

    @Test("bad input is a 422 naming the field, a malformed id a 400", arguments: TestBackend.available)
    func validation(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            let long = "https://example.com/" + String(repeating: "a", count: 2048)
            let cases: [(String, String)] = [
                (#"{}"#, "url"),
                (#"{"url": null}"#, "url"),
                (#"{"url": 42}"#, "url"),
                (#"{"url": "ftp://example.com/x"}"#, "url"),
                (#"{"url": "https://"}"#, "url"),
                (#"{"url": "not a url"}"#, "url"),
                (#"{"url": "https://user:pw@example.com/x"}"#, "url"),
                (#"{"url": "http://8.8.8.8:99999/x"}"#, "url"),
                (#"{"url": "http://example.com:0/x"}"#, "url"),
                (#"{"url": "http://example.com/a b"}"#, "url"),
                (#"{"url": "http://example.com/x\r\nX-Injected: 1"}"#, "url"),
                (#"{"url": "http://example.com/%zz"}"#, "url"),
                ("{\"url\": \"\(long)\"}", "url"),
                (#"{"url": "https://example.com", "events": ["task.exploded"]}"#, "events"),
                (#"{"url": "https://example.com", "events": []}"#, "events"),
                (#"{"url": "https://example.com", "events": "task.created"}"#, "events"),
                (#"{"url": "https://example.com", "events": [1]}"#, "events"),
            ]
            for (body, field) in cases {
                let response = try await me.post("/api/v1/webhooks", body)
                #expect(response.status == .unprocessableContent, "\(body.prefix(80)): \(response.status)")
                #expect(response.error?.code == "validation_failed")
                #expect(response.error?.details?.map(\.field) == [field], "\(body.prefix(80)): \(response.text.prefix(300))")
            }
            #expect(try await me.post("/api/v1/webhooks", "[1]").status == .badRequest)
            #expect(try await me.post("/api/v1/webhooks", "{not json").error?.code == "invalid_json")
            #expect(try await me.delete("/api/v1/webhooks/42").error?.code == "invalid_parameter")
            #expect(try await me.post("/api/v1/webhooks/nope/enable", "{}").status == .badRequest)
            #expect(try await me.get("/api/v1/webhooks").decode([WebhookBody].self).isEmpty)
            #expect(try await APIClient(client: api.client).get("/api/v1/webhooks").status == .unauthorized)
        }
    }

    @Test("another user's webhook is 404 and stays; each user has at most 20", arguments: TestBackend.available)
    func isolationAndLimit(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (alice, _) = try await api.registered()
            let (bob, _) = try await api.registered()
            let hook: WebhookBody = try await alice.post("/api/v1/webhooks", #"{"url": "https://alice.example.com/in"}"#).decode()
            #expect(try await bob.get("/api/v1/webhooks").decode([WebhookBody].self).isEmpty)
            #expect(try await bob.delete("/api/v1/webhooks/\(hook.id)").status == .notFound)
            #expect(try await bob.post("/api/v1/webhooks/\(hook.id)/enable", "{}").status == .notFound)
            #expect(try await alice.get("/api/v1/webhooks").decode([WebhookBody].self).map(\.id) == [hook.id])
            let enabled = try await alice.post("/api/v1/webhooks/\(hook.id)/enable", "{}")
            #expect(enabled.status == .ok)
            #expect(try enabled.decode(WebhookBody.self).secret == nil)

            for index in 1..<20 {
                #expect(try await alice.post("/api/v1/webhooks", "{\"url\": \"https://alice.example.com/\(index)\"}").status == .created)
            }
            let over = try await alice.post("/api/v1/webhooks", #"{"url": "https://alice.example.com/21"}"#)
            #expect(over.status == .unprocessableContent)
            #expect(over.error?.details?.first?.field == "webhooks")
            #expect(try await bob.post("/api/v1/webhooks", #"{"url": "https://bob.example.com/1"}"#).status == .created)
        }
    }
}
