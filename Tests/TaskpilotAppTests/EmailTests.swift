import Configuration
import Foundation
import TaskpilotApp
import TaskpilotTestSupport
import TaskpilotWorkers
import Testing

@Suite("Email: SMTP settings and message format")
struct EmailTests {
    @Test(
        "SMTP URLs",
        arguments: [
            ("smtp://mail.example.com", SMTPConfiguration(host: "mail.example.com", port: 587)),
            (
                "smtp://me%40x.org:p%3Ass@mail.example.com:2525?starttls=required",
                SMTPConfiguration(host: "mail.example.com", port: 2525, username: "me@x.org", password: "p:ss", security: .startTLSRequired)
            ),
            (
                "smtps://u:p@127.0.0.1?tls_verify=false",
                SMTPConfiguration(host: "127.0.0.1", port: 465, username: "u", password: "p", security: .implicitTLS, verifyCertificate: false)
            ),
        ]
    )
    func urls(_ text: String, _ expected: SMTPConfiguration) throws {
        #expect(try SMTPConfiguration(url: text) == expected)
    }

    @Test(
        "bad SMTP settings stop start-up naming the key",
        arguments: [
            (["taskpilot.smtp.url": "http://mail.example.com"], "TASKPILOT_SMTP_URL"),
            (["taskpilot.smtp.url": "smtp://"], "TASKPILOT_SMTP_URL"),
            (["taskpilot.smtp.url": "smtp://mail.example.com?tls=maybe"], "TASKPILOT_SMTP_URL"),
            (["taskpilot.smtp.url": "smtp://mail.example.com"], "TASKPILOT_SMTP_FROM"),
            (["taskpilot.smtp.url": "smtp://mail.example.com", "taskpilot.smtp.from": "nobody"], "TASKPILOT_SMTP_FROM"),
            (["taskpilot.delivery.retry.base": "soon"], "TASKPILOT_DELIVERY_RETRY_BASE"),
            (["taskpilot.delivery.retry.base": "0"], "TASKPILOT_DELIVERY_RETRY_BASE"),
        ]
    )
    func badSettings(_ values: [String: String], _ key: String) {
        let reader = TestBackend.configReader(databaseURL: "sqlite::memory:", overrides: values)
        #expect {
            _ = try Settings(reader: reader)
        } throws: { error in
            (error as? Settings.Invalid)?.key == key && !(error as! Settings.Invalid).description.contains("\n")
        }
    }

    @Test("SMTP settings are read; the password never shows in messages")
    func goodSettings() throws {
        let reader = TestBackend.configReader(
            databaseURL: "sqlite::memory:",
            overrides: [
                "taskpilot.smtp.url": "smtps://bot:hunter2@mail.example.com", "taskpilot.smtp.from": "Taskpilot <bot@example.com>",
                "taskpilot.delivery.retry.base": "0.5",
            ]
        )
        let settings = try Settings(reader: reader)
        #expect(settings.smtp?.security == .implicitTLS && settings.smtpFrom == "Taskpilot <bot@example.com>")
        #expect(settings.deliveryRetryBase == .milliseconds(500))
        #expect(SMTPConfiguration.redacted("smtps://bot:hunter2@mail.example.com") == "smtps://bot:***@mail.example.com")
    }

    @Test("the message has the headers, CRLF line endings and dot-stuffed lines")
    func wireFormat() {
        let message = EmailMessage(
            from: "Taskpilot <bot@example.com>",
            to: "ann@example.com",
            subject: "Reminder: Pay rent",
            body: "Pay rent\n.hidden dot\n..two\nlast\r\nline",
            date: Date(timeIntervalSince1970: 1_800_000_000),
            messageID: "<m1@example.com>"
        )
        let lines = message.wireFormat.components(separatedBy: "\r\n")
        #expect(
            Array(lines.prefix(8)) == [
                "From: Taskpilot <bot@example.com>", "To: ann@example.com", "Subject: Reminder: Pay rent", "Date: Fri, 15 Jan 2027 08:00:00 +0000",
                "Message-ID: <m1@example.com>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit",
            ]
        )
        #expect(Array(lines.dropFirst(8)) == ["", "Pay rent", "..hidden dot", "...two", "last", "line"])
        #expect(!message.wireFormat.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test("non-ASCII subjects and bodies are encoded; header line breaks cannot inject headers")
    func encoding() {
        let message = EmailMessage(from: "bot@example.com", to: "zoë@example.com", subject: "Café\r\nBcc: evil@example.com", body: "Payer le café ☕")
        let text = message.wireFormat
        #expect(text.contains("Subject: =?UTF-8?B?"))
        #expect(!text.contains("\r\nBcc:"))
        #expect(text.contains("Content-Transfer-Encoding: base64"))
        let encoded = text.components(separatedBy: "\r\n\r\n").last ?? ""
        #expect(
            Data(base64Encoded: encoded.replacingOccurrences(of: "\r\n", with: "")).map { String(decoding: $0, as: UTF8.self) } == "Payer le café ☕"
        )
        #expect(message.messageID.hasSuffix("@example.com>"))
    }
}
