import Crypto
import Foundation
import Hummingbird
import HummingbirdBcrypt
import JWTKit
import NIOPosix
import Synchronization
import TaskpilotCore

/// The claims of an access token.
struct AccessTokenPayload: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Issues and checks credentials: HS256 access tokens, personal API tokens and bcrypt passwords.
struct Credentials: Sendable {
    let keys: JWTKeyCollection
    let lifetime: Duration
    let bcryptCost: UInt8
    let users: any UserRepository
    let tokens: any APITokenRepository
    let cache = UserCache()
    private let decoy = Decoy()

    /// The decoy hash once made (see ``decoyHash()``), shared by copies of the credentials.
    private final class Decoy: Sendable {
        let hash = Mutex<String?>(nil)
    }
    let verified = BoundedCache<String, VerifiedToken>()

    /// The marker that starts every personal API token, so a token can be told from a JWT at a glance.
    static let apiTokenMarker = "tp_"

    init(secret: String, lifetime: Duration, bcryptCost: UInt8, users: any UserRepository, tokens: any APITokenRepository) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.lifetime = lifetime
        self.bcryptCost = bcryptCost
        self.users = users
        self.tokens = tokens
    }

    /// A signed access token for the user and when it expires.
    func accessToken(for user: User, now: Date = Date()) async throws -> (token: String, expiresAt: Date) {
        let expiresAt = now.addingTimeInterval(Double(lifetime.components.seconds))
        let payload = AccessTokenPayload(sub: .init(value: user.id.uuidString.lowercased()), exp: .init(value: expiresAt), iat: .init(value: now))
        return (try await keys.sign(payload), expiresAt)
    }

    /// The user a bearer token (JWT or personal API token) belongs to.
    func authenticate(bearer token: String, now: Date = Date()) async throws -> User {
        if token.hasPrefix(Self.apiTokenMarker) {
            guard let record = try await tokens.authenticate(secretHash: Self.hash(token), now: now) else {
                throw TaskpilotError.unauthorized("This API token is unknown, revoked or expired; create a new one.")
            }
            return try await users.user(id: record.userID)
        }
        let id = try await subject(of: token, now: now)
        if let cached = cache.user(id) { return cached }
        let user = try await users.user(id: id)
        cache.store(user)
        return user
    }

    /// The user id an access token was issued to, once its signature and expiry are checked.
    private func subject(of token: String, now: Date) async throws -> UUID {
        let expired = TaskpilotError.unauthorized("The access token is invalid or expired; log in again.")
        if let entry = verified[token] {
            guard now < entry.expiresAt else { throw expired }
            return entry.subject
        }
        let payload: AccessTokenPayload
        do {
            payload = try await keys.verify(token, as: AccessTokenPayload.self)
        } catch {
            throw expired
        }
        guard let id = UUID(uuidString: payload.sub.value) else {
            throw TaskpilotError.unauthorized("The access token is invalid; log in again.")
        }
        guard now < payload.exp.value else { throw expired }
        verified.store(VerifiedToken(subject: id, expiresAt: payload.exp.value), for: token)
        return id
    }

    /// A new personal API token secret and its display prefix.
    static func newAPIToken() -> (secret: String, prefix: String) {
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let body = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "A").replacingOccurrences(of: "/", with: "B")
            .replacingOccurrences(of: "=", with: "")
        let secret = apiTokenMarker + body
        return (secret, String(secret.prefix(10)))
    }

    /// The stored form of a token secret: SHA-256, hex. Secrets are long and random, so a fast hash is enough.
    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A bcrypt hash of the password, computed off the event loop.
    func hashPassword(_ password: String) async throws -> String {
        let cost = bcryptCost
        return try await NIOThreadPool.singleton.runIfActive { Self.bcrypt(password, cost: cost) }
    }

    /// Whether the password matches the hash, computed off the event loop.
    func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(Self.bcryptInput(password), hash: hash) }
    }

    /// The bcrypt hash of a password.
    static func bcrypt(_ password: String, cost: UInt8) -> String {
        Bcrypt.hash(bcryptInput(password), cost: cost)
    }

    /// What bcrypt reads of a password: bcrypt reads at most 72 bytes, so a longer password (up to 200 characters are
    /// accepted) is hashed first, to 51 bytes that depend on every byte of it. Passwords of 72 bytes or fewer go as
    /// they are (their hashes predate this).
    static func bcryptInput(_ password: String) -> String {
        guard password.utf8.count > 72 else { return password }
        return "sha256:" + Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }

    /// A bcrypt hash to compare against when the email is unknown, so timing does not reveal which emails exist: at the
    /// configured cost (a fixed cost answered an unknown email in a quarter of the time), made once, on first need.
    func decoyHash() async throws -> String {
        if let made = decoy.hash.withLock({ $0 }) { return made }
        let made = try await hashPassword("decoy-password-for-timing")
        decoy.hash.withLock { $0 = made }
        return made
    }
}

/// Users of recent access tokens, kept a few seconds so a burst of requests reads the account once. Changes made
/// here are applied at once; another replica's show within the time to live.
final class UserCache: Sendable {
    private struct Entry: Sendable {
        let user: User
        let stored: ContinuousClock.Instant
    }

    private let entries = BoundedCache<UUID, Entry>()
    private let lifetime: Duration = .seconds(5)

    func user(_ id: UUID) -> User? {
        guard let entry = entries[id], ContinuousClock.now - entry.stored < lifetime else { return nil }
        return entry.user
    }

    func store(_ user: User) { entries.store(Entry(user: user, stored: .now), for: user.id) }

    func forget(_ id: UUID) { entries.forget(id) }
}

/// An access token whose signature has already been checked, with the user and expiry it carries. A client sends the
/// same token with every request; remembering it spares each one after the first the signature check and the decoding
/// of the claims. The expiry is still checked every time, and only a token that passed `JWTKeyCollection.verify` is
/// remembered.
struct VerifiedToken: Sendable {
    let subject: UUID
    let expiresAt: Date
}

/// A dictionary behind a lock, for what is worth remembering across requests; it starts over at `capacity` entries.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    subscript(key: Key) -> Value? { entries.withLock { $0[key] } }

    func store(_ value: Value, for key: Key) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
    }

    func forget(_ key: Key) { entries.withLock { $0[key] = nil } }
}

/// Sets the request's identity from `Authorization: Bearer …`; a bad token is refused at once.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let credentials: Credentials

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard let token = Self.bearerToken(header) else { throw TaskpilotError.unauthorized("Use Authorization: Bearer <token>.") }
        var context = context
        context.identity = try await credentials.authenticate(bearer: token)
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer …` header; nil for another scheme.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1].withoutOptionalWhiteSpace)
    }
}

extension Substring {
    /// Without the spaces and tabs around it (HTTP's optional white space). Foundation's `trimmingCharacters(in:)` cost
    /// 3% of the server's CPU when it trimmed every request's token.
    fileprivate var withoutOptionalWhiteSpace: Substring {
        let isWhiteSpace = { (character: Character) in character == " " || character == "\t" }
        var text = drop(while: isWhiteSpace)
        while let last = text.last, isWhiteSpace(last) { text = text.dropLast() }
        return text
    }
}

/// Counts failed logins per key in a sliding window; in memory, per replica. A client address gets
/// `clientFactor` times the failures of one email, so one address can host several people.
actor LoginRateLimiter {
    private let limit: Int
    private let window: Duration
    private let clientFactor = 5
    private var failures: [String: [ContinuousClock.Instant]] = [:]

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// Throws `rateLimited` when any of the keys has used up its failures.
    func check(_ keys: [String]) throws {
        let now = ContinuousClock.now
        for key in keys {
            let recent = (failures[key] ?? []).filter { now - $0 < window }
            failures[key] = recent.isEmpty ? nil : recent
            let allowed = key.hasPrefix("client:") ? limit * clientFactor : limit
            if recent.count >= allowed, let oldest = recent.first {
                let wait = window - (now - oldest)
                throw TaskpilotError.rateLimited(retryAfter: max(1, Int(wait.components.seconds) + 1))
            }
        }
    }

    /// Records a failed attempt under every key.
    func recordFailure(_ keys: [String]) {
        let now = ContinuousClock.now
        for key in keys { failures[key, default: []].append(now) }
        if failures.count > 100_000 { failures = failures.filter { now - ($0.value.last ?? now) < window } }
    }

    /// Forgets the failures of a key after a successful login.
    func reset(_ key: String) { failures[key] = nil }
}
