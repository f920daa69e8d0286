public import Foundation
public import Hummingbird
public import Logging
public import TaskpilotCore

/// The context of every request: Hummingbird's core storage plus the identity set by authentication.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user, once the authentication middleware has run and succeeded.
    public var identity: User?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var requestDecoder: JSONDecoder { JSONDecoder() }
    public var responseEncoder: JSONEncoder { AppRequestContext.encoder }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()
}

/// The context of routes that need a user: it cannot be created without one, so no handler can forget the check.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user.
    public let user: User

    public init(context: AppRequestContext) throws {
        guard let user = context.identity else {
            throw TaskpilotError.unauthorized("Authentication required: send Authorization: Bearer <token> (log in or create an API token).")
        }
        coreContext = context.coreContext
        self.user = user
    }

    public var requestDecoder: JSONDecoder { JSONDecoder() }
    public var responseEncoder: JSONEncoder { AppRequestContext.encoder }
}
