public import Foundation

/// Where the CLI and `taskpilot mcp` find the server: `TASKPILOT_SERVER_URL` and `TASKPILOT_TOKEN`, else what
/// `taskpilot login` stored in the user's config directory.
public struct ClientConfiguration: Sendable, Codable, Equatable {
    /// E.g. `http://127.0.0.1:8080`.
    public var serverURL: String
    /// A personal API token or a JWT.
    public var token: String?

    enum CodingKeys: String, CodingKey {
        case serverURL = "server_url"
        case token
    }

    /// A configuration.
    public init(serverURL: String, token: String?) {
        self.serverURL = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        self.token = token
    }

    /// The file `taskpilot login` writes: `$XDG_CONFIG_HOME/taskpilot/config.json` or `~/.config/taskpilot/config.json`.
    public static func storeURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        return base.appendingPathComponent("taskpilot").appendingPathComponent("config.json")
    }

    /// The stored login overridden by the environment.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> ClientConfiguration {
        var configuration =
            (try? Data(contentsOf: storeURL(environment: environment))).flatMap { try? JSONDecoder().decode(Self.self, from: $0) }
            ?? ClientConfiguration(serverURL: "http://127.0.0.1:8080", token: nil)
        if let url = environment["TASKPILOT_SERVER_URL"], !url.isEmpty { configuration.serverURL = url.hasSuffix("/") ? String(url.dropLast()) : url }
        if let token = environment["TASKPILOT_TOKEN"], !token.isEmpty { configuration.token = token }
        return configuration
    }

    /// Writes the login with mode 0600 (the folder 0700).
    public func save(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let url = Self.storeURL(environment: environment)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}
