public import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how to send email: parsed from `smtp://user:pass@host:port` or `smtps://…`.
public struct SMTPConfiguration: Sendable, Equatable {
    /// How the connection is protected.
    public enum Security: String, Sendable {
        /// Plain, upgraded with STARTTLS when the server offers it (`smtp://`).
        case startTLSIfOffered
        /// Plain, and STARTTLS must succeed (`smtp://…?starttls=required`).
        case startTLSRequired
        /// TLS from the first byte (`smtps://`).
        case implicitTLS
    }

    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var security: Security
    /// False only for testing against a self-signed certificate (`?tls_verify=false`).
    public var verifyCertificate: Bool
    /// The longest a whole SMTP session may take.
    public var timeout: Duration

    /// A configuration.
    public init(
        host: String,
        port: Int,
        username: String? = nil,
        password: String? = nil,
        security: Security = .startTLSIfOffered,
        verifyCertificate: Bool = true,
        timeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.security = security
        self.verifyCertificate = verifyCertificate
        self.timeout = timeout
    }

    /// Parses an SMTP URL; the error says what is wrong.
    public init(url text: String) throws(SMTPConfigurationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["smtp", "smtps"].contains(scheme)
        else { throw SMTPConfigurationError("'\(Self.redacted(text))' is not smtp://USER:PASSWORD@HOST:PORT or smtps://USER:PASSWORD@HOST:PORT") }
        guard let host = components.host, !host.isEmpty else { throw SMTPConfigurationError("'\(Self.redacted(text))' has no host") }
        self.host = host
        port = components.port ?? (scheme == "smtps" ? 465 : 587)
        guard (1...65535).contains(port) else { throw SMTPConfigurationError("port \(port) is not between 1 and 65535") }
        username = components.user.flatMap { $0.removingPercentEncoding ?? $0 }
        password = components.password.flatMap { $0.removingPercentEncoding ?? $0 }
        security = scheme == "smtps" ? .implicitTLS : .startTLSIfOffered
        verifyCertificate = true
        timeout = .seconds(30)
        for item in components.queryItems ?? [] {
            switch (item.name.lowercased(), item.value?.lowercased()) {
            case ("starttls", "required"?) where scheme == "smtp": security = .startTLSRequired
            case ("starttls", "optional"?) where scheme == "smtp": security = .startTLSIfOffered
            case ("tls_verify", "false"?): verifyCertificate = false
            case ("tls_verify", "true"?): verifyCertificate = true
            default:
                throw SMTPConfigurationError(
                    "unknown option '\(item.name)=\(item.value ?? "")'; use starttls=required (smtp://) or tls_verify=false (testing only)"
                )
            }
        }
    }

    /// The URL with its password replaced by `***`, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }
}

/// An SMTP URL that cannot be used.
public struct SMTPConfigurationError: Error, CustomStringConvertible {
    /// What is wrong.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// An email to send.
public struct EmailMessage: Sendable, Equatable {
    public var from: String
    public var to: String
    public var subject: String
    /// Plain text; line endings are normalised to CRLF.
    public var body: String
    public var date: Date
    public var messageID: String

    /// A message; the Message-ID's domain is the sender's.
    public init(from: String, to: String, subject: String, body: String, date: Date = Date(), messageID: String? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.date = date
        let domain = from.split(separator: "@").last.map(String.init) ?? "taskpilot.local"
        self.messageID = messageID ?? "<\(UUID().uuidString.lowercased())@\(domain.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")))>"
    }

    /// The message as DATA sends it: headers, a blank line, the body; CRLF line endings, dot-stuffed, without the final `.` line.
    public var wireFormat: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss +0000"
        let ascii = body.unicodeScalars.allSatisfy(\.isASCII)
        let encodedBody: String
        if ascii {
            encodedBody = body
        } else {
            // Base64 keeps non-ASCII bodies intact without relying on the server's 8BITMIME.
            let encoded = Data(body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
                .base64EncodedString()
            encodedBody = stride(from: 0, to: encoded.count, by: 76).map { offset in
                let start = encoded.index(encoded.startIndex, offsetBy: offset)
                return String(encoded[start..<(encoded.index(start, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex)])
            }.joined(separator: "\n")
        }
        let headers = [
            "From: \(from)", "To: \(to)", "Subject: \(Self.encodedHeader(subject))", "Date: \(formatter.string(from: date))",
            "Message-ID: \(messageID)", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: \(ascii ? "7bit" : "base64")",
        ]
        let lines =
            (headers + [""]
                + encodedBody.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        // Dot-stuffing (RFC 5321 §4.5.2): a line that starts with "." gets another, so it cannot end the data.
        return lines.map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
    }

    /// A header value, as an RFC 2047 encoded word when it is not plain ASCII; line breaks are removed.
    static func encodedHeader(_ value: String) -> String {
        let single = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        guard !single.unicodeScalars.allSatisfy(\.isASCII) else { return single }
        return "=?UTF-8?B?\(Data(single.utf8).base64EncodedString())?="
    }
}

/// The SMTP conversation failed.
public enum SMTPError: Error, CustomStringConvertible, Equatable {
    /// The server answered `code` where another reply was expected.
    case reply(code: Int, message: String, command: String)
    /// The server does not offer what the configuration requires (STARTTLS, an AUTH mechanism).
    case unsupported(String)
    /// The connection closed, could not be made, or the answer made no sense.
    case connection(String)
    /// The session took longer than the timeout.
    case timeout

    /// Whether trying again later may help: 4xx replies and network trouble; 5xx replies and missing features do not.
    public var isTransient: Bool {
        switch self {
        case .reply(let code, _, _): (400..<500).contains(code)
        case .unsupported: false
        case .connection, .timeout: true
        }
    }

    public var description: String {
        switch self {
        case .reply(let code, let message, let command): "the SMTP server answered \(code) \(message) to \(command)"
        case .unsupported(let what): what
        case .connection(let what): "SMTP connection: \(what)"
        case .timeout: "the SMTP session timed out"
        }
    }
}

/// A small SMTP client (RFC 5321) on SwiftNIO: EHLO, STARTTLS, AUTH PLAIN or LOGIN, MAIL, RCPT, DATA, QUIT.
public struct SMTPClient: Sendable {
    let configuration: SMTPConfiguration

    /// A client of one server.
    public init(configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    /// Sends one message in its own session.
    public func send(_ message: EmailMessage) async throws {
        let tls = try makeTLSContext()
        let configuration = configuration
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if configuration.security == .implicitTLS {
                            try channel.pipeline.syncOperations.addHandler(try Self.tlsHandler(tls, host: configuration.host))
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyLineDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError.connection("cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    var session = SMTPSession(lines: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel, tls: tls)
                    try await session.run(message, configuration: configuration)
                }
            }
            group.addTask {
                try await Task.sleep(for: configuration.timeout)
                channel.channel.close(promise: nil)
                throw SMTPError.timeout
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func makeTLSContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !configuration.verifyCertificate { tls.certificateVerification = .none }
        return try NIOSSLContext(configuration: tls)
    }

    /// The TLS handler; SNI and name checks use the host unless it is an IP address.
    static func tlsHandler(_ context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }
}

/// One SMTP conversation over an open connection.
private struct SMTPSession {
    var lines: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel
    let tls: NIOSSLContext
    var secured = false

    mutating func run(_ message: EmailMessage, configuration: SMTPConfiguration) async throws {
        secured = configuration.security == .implicitTLS
        try await expect(220, after: "connect")
        var extensions = try await hello()
        if !secured, extensions["STARTTLS"] != nil || configuration.security == .startTLSRequired {
            guard extensions["STARTTLS"] != nil else {
                throw SMTPError.unsupported("the SMTP server does not offer STARTTLS, which starttls=required asks for")
            }
            _ = try await command("STARTTLS", expecting: 220)
            try await channel.pipeline.addHandler(try SMTPClient.tlsHandler(tls, host: configuration.host), position: .first).get()
            secured = true
            extensions = try await hello()
        }
        if let username = configuration.username {
            try await authenticate(username: username, password: configuration.password ?? "", offered: extensions["AUTH"] ?? [])
        }
        _ = try await command("MAIL FROM:<\(Self.address(message.from))>", expecting: 250)
        _ = try await command("RCPT TO:<\(Self.address(message.to))>", expecting: 250, 251)
        _ = try await command("DATA", expecting: 354)
        _ = try await command(message.wireFormat + "\r\n.", expecting: 250, logged: "the message data")
        _ = try? await command("QUIT", expecting: 221)
    }

    /// EHLO, answering the offered extensions by keyword with their parameters.
    mutating func hello() async throws -> [String: [String]] {
        let reply = try await command(
            "EHLO \(ProcessInfo.processInfo.hostName.isEmpty ? "taskpilot" : ProcessInfo.processInfo.hostName)",
            expecting: 250
        )
        var extensions: [String: [String]] = [:]
        for line in reply.dropFirst() {
            let words = line.split(separator: " ").map { String($0).uppercased() }
            if let keyword = words.first { extensions[keyword] = Array(words.dropFirst()) }
        }
        return extensions
    }

    mutating func authenticate(username: String, password: String, offered: [String]) async throws {
        if offered.contains("PLAIN") {
            let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
            _ = try await command("AUTH PLAIN \(token)", expecting: 235, logged: "AUTH PLAIN")
        } else if offered.contains("LOGIN") {
            _ = try await command("AUTH LOGIN", expecting: 334)
            _ = try await command(Data(username.utf8).base64EncodedString(), expecting: 334, logged: "AUTH LOGIN username")
            _ = try await command(Data(password.utf8).base64EncodedString(), expecting: 235, logged: "AUTH LOGIN password")
        } else {
            let why = secured ? "offers neither AUTH PLAIN nor AUTH LOGIN" : "offers no AUTH PLAIN or LOGIN on an unencrypted connection"
            throw SMTPError.unsupported("the SMTP server \(why), and the URL has credentials")
        }
    }

    /// Sends a line, reads the reply, and checks its code; answers the reply's text lines.
    mutating func command(_ line: String, expecting codes: Int..., logged: String? = nil) async throws -> [String] {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        return try await expect(codes, after: logged ?? String(line.prefix(40)))
    }

    @discardableResult
    mutating func expect(_ codes: Int..., after command: String) async throws -> [String] {
        try await expect(codes, after: command)
    }

    /// Reads one (possibly multi-line) reply: `250-…` lines until `250 …`.
    mutating func expect(_ codes: [Int], after command: String) async throws -> [String] {
        var texts: [String] = []
        while true {
            guard let buffer = try await lines.next() else { throw SMTPError.connection("the server closed the connection after \(command)") }
            let line = String(buffer: buffer)
            guard line.count >= 3, let code = Int(line.prefix(3)) else { throw SMTPError.connection("unreadable reply '\(line.prefix(80))'") }
            texts.append(String(line.dropFirst(4)))
            guard line.count > 3, line[line.index(line.startIndex, offsetBy: 3)] == "-" else {
                guard codes.contains(code) else { throw SMTPError.reply(code: code, message: texts.joined(separator: " "), command: command) }
                return texts
            }
        }
    }

    /// The bare address of `Name <a@b>` or `a@b`.
    static func address(_ text: String) -> String {
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            return String(text[text.index(after: open)..<close])
        }
        return text.trimmingCharacters(in: .whitespaces)
    }
}

/// Splits the server's bytes into reply lines without their CRLF.
struct SMTPReplyLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096 { throw SMTPError.connection("a reply line longer than 4096 bytes") }
            return .needMoreData
        }
        var line = buffer.readSlice(length: newline - buffer.readerIndex + 1)!
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}
