import Foundation
import Testing

@testable import TaskpilotCore

@Suite("Webhook URLs")
struct WebhookURLTests {
    @Test(
        "a URL that cannot be sent to is named, whether checked when stored or at delivery",
        arguments: [
            ("http://8.8.8.8:99999/x", "port"), ("http://example.com:0/x", "port"), ("http://example.com/a b", "spaces"),
            ("http://example.com/x\r\nX-Injected: 1", "control"), ("http://example.com/%zz", "percent"),
        ]
    )
    func unsendable(_ url: String, _ said: String) throws {
        if let components = URLComponents(string: url) {
            #expect(WebhookRules.problem(of: url, components)?.contains(said) == true, "\(url)")
        }
        guard case .failure(let error) = WebhookRules.url(url) else {
            Issue.record("\(url) was accepted")
            return
        }
        #expect(error.field == "url")
    }

    @Test(
        "ordinary URLs pass",
        arguments: ["https://example.com/hooks/taskpilot", "http://example.com:8080/in?x=%20y", "https://[2001:db8::1]:443/x"]
    )
    func ordinary(_ url: String) throws {
        #expect(try WebhookRules.url(url).get() == url)
    }
}
