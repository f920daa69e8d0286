public import Foundation

/// An account.
public struct User: Sendable, Equatable {
    public var id: UUID
    /// Lowercase email, unique.
    public var email: String
    public var name: String
    /// The IANA time zone that dates without an offset and "today" are read in.
    public var timezone: String
    public var createdAt: Date

    /// Creates a user value.
    public init(id: UUID, email: String, name: String, timezone: String, createdAt: Date) {
        self.id = id
        self.email = email
        self.name = name
        self.timezone = timezone
        self.createdAt = createdAt
    }

    /// The user's time zone (UTC if the stored name is no longer known).
    public var timeZone: TimeZone { TimeZone(identifier: timezone) ?? TimeZone(identifier: "UTC")! }
}

/// A personal API token as listed (never with its secret).
public struct APIToken: Sendable, Equatable {
    public var id: UUID
    public var userID: UUID
    public var name: String
    /// The first characters of the secret, to recognise it.
    public var prefix: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?

    /// Creates a token value.
    public init(id: UUID, userID: UUID, name: String, prefix: String, createdAt: Date, expiresAt: Date?, lastUsedAt: Date?) {
        self.id = id
        self.userID = userID
        self.name = name
        self.prefix = prefix
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
    }
}

/// Validation of account fields.
public enum AccountRules {
    /// The shortest accepted password.
    public static let minPasswordLength = 10
    /// The longest accepted password (the server hashes passwords over 72 bytes before bcrypt, which reads no more).
    public static let maxPasswordLength = 200

    /// The normalised email, or a field error.
    public static func email(_ raw: String) -> Result<String, FieldError> {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.codePointCount <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), !email.contains(where: { $0.isWhitespace })
        else { return .failure(FieldError("email", "must be an email address like ada@example.com")) }
        return .success(email)
    }

    /// A field error if the password is too short or too long.
    public static func password(_ password: String) -> FieldError? {
        if password.codePointCount < minPasswordLength {
            return FieldError("password", "must be at least \(minPasswordLength) characters")
        }
        if password.codePointCount > maxPasswordLength {
            return FieldError("password", "must be at most \(maxPasswordLength) characters")
        }
        if password.allSatisfy(\.isWhitespace) {
            return FieldError("password", "must not be only spaces; choose one with letters, digits or symbols")
        }
        return nil
    }

    /// The canonical IANA name of a time zone, or a field error.
    public static func timezone(_ raw: String) -> Result<String, FieldError> {
        var name = raw.trimmingCharacters(in: .whitespaces)
        // "europe/paris" is Europe/Paris: zone names are looked up as the database spells them.
        if TimeZone(identifier: name) == nil, let known = zoneNames[name.lowercased()] { name = known }
        guard !name.isEmpty, name.count <= 64, let zone = TimeZone(identifier: name),
            name.contains("/") || name == "UTC" || name == "GMT" || zone.identifier == name
        else { return .failure(FieldError("timezone", "must be an IANA time zone like Europe/Paris or UTC")) }
        // Keep the name as given: Foundation reports "UTC" as "GMT", which is not what the user chose.
        return .success(name)
    }

    /// The known time zone names by their lower-case spelling.
    private static let zoneNames: [String: String] = Dictionary(
        (TimeZone.knownTimeZoneIdentifiers + ["UTC", "GMT"]).map { ($0.lowercased(), $0) },
        uniquingKeysWith: { first, _ in first }
    )

    /// The trimmed display name, or a field error.
    public static func name(_ raw: String) -> Result<String, FieldError> {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard raw.codePointCount <= 100 else { return .failure(FieldError("name", "must be at most 100 characters")) }
        return .success(name)
    }
}
