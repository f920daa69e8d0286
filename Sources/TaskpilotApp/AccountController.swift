import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TaskpilotCore

/// Register, log in, the current user, and personal API tokens.
struct AccountController: Sendable {
    let users: any UserRepository
    let tokens: any APITokenRepository
    let credentials: Credentials
    let limiter: LoginRateLimiter
    let maxBodyBytes: Int

    /// `/auth/register` and `/auth/login`, open to anyone.
    func addPublicRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("auth/register", use: register)
        group.post("auth/login", use: login)
    }

    /// `/auth/me` and `/tokens`.
    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("auth/me") { _, context in UserDTO(context.user) }
        group.patch("auth/me", use: updateMe)
        group.post("tokens", use: createToken)
        group.get("tokens") { _, context in ListDTO(try await tokens.list(userID: context.user.id).map { APITokenDTO(token: $0, secret: nil) }) }
        group.delete("tokens/:id") { _, context in
            try await tokens.delete(id: try context.parameters.uuid("id"), userID: context.user.id)
            return Response(status: .noContent)
        }
    }

    func register(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<AuthDTO> {
        var fields = JSONFields(try await request.jsonObject(limit: maxBodyBytes))
        fields.refuseUnknown(["email", "password", "name", "timezone"])
        var email: String?
        if let raw = fields.string("email") {
            switch AccountRules.email(raw) {
            case .success(let value): email = value
            case .failure(let error): fields.fail("email", error.message)
            }
        } else if !fields.has("email") || fields.isNull("email") {
            fields.fail("email", "is required")
        }
        let password = fields.string("password")
        if let password {
            if let error = AccountRules.password(password) { fields.fail("password", error.message) }
        } else if !fields.has("password") || fields.isNull("password") {
            fields.fail("password", "is required (at least \(AccountRules.minPasswordLength) characters)")
        }
        var name = ""
        if let raw = fields.string("name") {
            switch AccountRules.name(raw) {
            case .success(let value): name = value
            case .failure(let error): fields.fail("name", error.message)
            }
        }
        var timezone = "UTC"
        if let raw = fields.string("timezone") {
            switch AccountRules.timezone(raw) {
            case .success(let value): timezone = value
            case .failure(let error): fields.fail("timezone", error.message)
            }
        }
        guard fields.errors.isEmpty, let email, let password else { throw TaskpilotError.validationFailed(fields.errors) }
        let hash = try await credentials.hashPassword(password)
        let user = try await users.create(email: email, name: name, passwordHash: hash, timezone: timezone, now: Date())
        let issued = try await credentials.accessToken(for: user)
        context.logger.info("account created", metadata: ["user_id": .string(user.id.uuidString.lowercased())])
        return EditedResponse(
            status: .created,
            response: AuthDTO(user: UserDTO(user), token: issued.token, expires_at: Timestamp.format(issued.expiresAt))
        )
    }

    func login(_ request: Request, context: AppRequestContext) async throws -> AuthDTO {
        var fields = JSONFields(try await request.jsonObject(limit: maxBodyBytes))
        fields.refuseUnknown(["email", "password"])
        let rawEmail = fields.string("email")
        let password = fields.string("password")
        if rawEmail == nil && !fields.failed("email") { fields.fail("email", "is required") }
        if password == nil && !fields.failed("password") { fields.fail("password", "is required") }
        guard fields.errors.isEmpty, let rawEmail, let password else { throw TaskpilotError.validationFailed(fields.errors) }
        let email = rawEmail.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let client = context.clientAddress(forwarded: request.headers[.forwardedFor])
        let keys = ["email:\(email)", "client:\(client)"]
        try await limiter.check(keys)
        let found = try await users.credentials(email: email)
        let hash: String
        if let stored = found?.1 { hash = stored } else { hash = try await credentials.decoyHash() }
        let matches = try await credentials.verifyPassword(password, hash: hash)
        guard let (user, _) = found, matches else {
            await limiter.recordFailure(keys)
            context.logger.notice("login failed", metadata: ["client": .string(client)])
            throw TaskpilotError.unauthorized("The email or password is wrong.")
        }
        await limiter.reset(keys[0])
        let issued = try await credentials.accessToken(for: user)
        return AuthDTO(user: UserDTO(user), token: issued.token, expires_at: Timestamp.format(issued.expiresAt))
    }

    func updateMe(_ request: Request, context: AuthenticatedContext) async throws -> UserDTO {
        var fields = JSONFields(try await request.jsonObject(limit: maxBodyBytes))
        // The user as `me` shows it may come back whole; its email and id cannot be changed here.
        fields.refuseUnknown(["name", "timezone"], alsoAccepted: ["id", "email", "created_at"])
        // …as they are: a different one is refused rather than ignored, so nobody believes it changed.
        if let email = fields.string("email"), email.trimmingCharacters(in: .whitespaces).lowercased() != context.user.email.lowercased() {
            fields.fail("email", "cannot be changed; register a new account for another address")
        }
        if let id = fields.string("id"), UUID(uuidString: id) != context.user.id {
            fields.fail("id", "is your account's and cannot be changed")
        }
        var name: String? = fields.isNull("name") ? "" : nil
        var timezone: String?
        if let raw = fields.string("name") {
            switch AccountRules.name(raw) {
            case .success(let value): name = value
            case .failure(let error): fields.fail("name", error.message)
            }
        }
        if let raw = fields.string("timezone") {
            switch AccountRules.timezone(raw) {
            case .success(let value): timezone = value
            case .failure(let error): fields.fail("timezone", error.message)
            }
        }
        guard fields.errors.isEmpty else { throw TaskpilotError.validationFailed(fields.errors) }
        let updated = try await users.update(id: context.user.id, name: name, timezone: timezone)
        credentials.cache.forget(updated.id)
        return UserDTO(updated)
    }

    func createToken(_ request: Request, context: AuthenticatedContext) async throws -> EditedResponse<APITokenDTO> {
        var fields = JSONFields(try await request.jsonObject(limit: maxBodyBytes))
        fields.refuseUnknown(["name", "expires_in_days"])
        let raw = fields.string("name")
        let name = raw?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let name, name.isEmpty || (raw?.codePointCount ?? 0) > 100 {
            fields.fail("name", "must be 1 to 100 characters")
        } else if name == nil && !fields.failed("name") {
            fields.fail("name", "is required, e.g. \"laptop CLI\"")
        }
        let days = fields.int("expires_in_days", in: 1...3650)
        guard fields.errors.isEmpty, let name else { throw TaskpilotError.validationFailed(fields.errors) }
        // A personal API token makes no others: a leaked one could otherwise make itself a lasting copy that survives
        // its own revocation or expiry. Tokens are made with a session's token (the CLI's login does so).
        if let bearer = request.headers[.authorization].flatMap(AuthenticationMiddleware.bearerToken), bearer.hasPrefix(Credentials.apiTokenMarker) {
            throw TaskpilotError.forbidden(
                "a personal API token cannot create tokens; sign in (POST /api/v1/auth/login) and create it with that token"
            )
        }
        let now = Date()
        let expiresAt = days.map { now.addingTimeInterval(Double($0) * 86_400) }
        let (secret, prefix) = Credentials.newAPIToken()
        let token = try await tokens.create(
            userID: context.user.id,
            name: name,
            secretHash: Credentials.hash(secret),
            prefix: prefix,
            expiresAt: expiresAt,
            now: now
        )
        return EditedResponse(status: .created, response: APITokenDTO(token: token, secret: secret))
    }
}
