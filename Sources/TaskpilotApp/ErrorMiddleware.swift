import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TaskpilotCore
import TaskpilotStore

/// The error body of DESIGN §4.
struct ErrorBody: Codable, Sendable {
    struct Detail: Codable, Sendable {
        var code: String
        var message: String
        var details: [FieldError]?
    }
    var error: Detail

    /// The body's JSON text.
    static func json(code: String, message: String, details: [FieldError]? = nil) -> Data {
        (try? AppRequestContext.encoder.encode(ErrorBody(error: .init(code: code, message: message, details: details)))) ?? Data()
    }
}

/// Turns every error into the JSON error body with the right status; unexpected errors are logged and answered 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes' methods by path, for a `405` where the router found the path but not the method.
    var allowed: AllowedMethods? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as TaskpilotError {
            return Self.response(for: error)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            // The router's own 404: no route for this method at this path. Another method may have one.
            let methods = allowed?.methods(at: request.uri.path) ?? []
            guard !methods.isEmpty else {
                return Self.response(
                    status: .notFound,
                    code: "not_found",
                    message: "No route matches \(request.method) \(request.uri.path).",
                    details: nil
                )
            }
            return Self.response(
                status: .methodNotAllowed,
                code: "method_not_allowed",
                message: "\(request.method) is not allowed on \(request.uri.path); use \(methods.joined(separator: ", ")).",
                details: nil,
                headers: [.allow: methods.joined(separator: ", ")]
            )
        } catch let error as HTTPError {
            let code: String
            switch error.status {
            case .notFound: code = "not_found"
            case .methodNotAllowed: code = "method_not_allowed"
            case .contentTooLarge: code = "payload_too_large"
            case .unauthorized: code = "unauthorized"
            default: code = error.status.code < 500 ? "bad_request" : "internal_error"
            }
            let message =
                error.body ?? (error.status == .notFound ? "No route matches \(request.method) \(request.uri.path)." : error.status.reasonPhrase)
            return Self.response(status: error.status, code: code, message: message, details: nil, headers: error.headers)
        } catch {
            if let failure = DatabaseUnavailable(error) {
                // The database's state, not a bug: the client may retry later, the operator reads why.
                context.logger.warning("database unavailable", metadata: ["reason": .string(failure.reason)])
                return Self.response(
                    status: failure.full ? HTTPResponse.Status(code: 507) : .serviceUnavailable,
                    code: failure.full ? "insufficient_storage" : "database_unavailable",
                    message: failure.full
                        ? "The request could not be completed: \(failure.reason); an operator must free space."
                        : "The request could not be completed: \(failure.reason). Try again in a moment.",
                    details: nil,
                    headers: failure.full ? [:] : [.retryAfter: "5"]
                )
            }
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return Self.response(
                status: .internalServerError,
                code: "internal_error",
                message: "Something went wrong on the server; it has been logged.",
                details: nil
            )
        }
    }

    static func response(for error: TaskpilotError) -> Response {
        switch error {
        case .invalidJSON(let message):
            response(status: .badRequest, code: "invalid_json", message: "Invalid JSON: \(message).", details: nil)
        case .invalidParameter(let field, let message):
            response(status: .badRequest, code: "invalid_parameter", message: "\(field) \(message)", details: [FieldError(field, message)])
        case .validationFailed(let errors):
            response(
                status: .unprocessableContent,
                code: "validation_failed",
                message: errors.map { "\($0.field) \($0.message)" }.joined(separator: "; "),
                details: errors
            )
        case .unauthorized(let message):
            response(status: .unauthorized, code: "unauthorized", message: message, details: nil, headers: [.wwwAuthenticate: "Bearer"])
        case .forbidden(let message):
            response(status: .forbidden, code: "forbidden", message: message, details: nil)
        case .notFound(let message):
            response(status: .notFound, code: "not_found", message: message, details: nil)
        case .conflict(let code, let message):
            response(status: .conflict, code: code, message: message, details: nil)
        case .preconditionFailed(let message):
            response(status: .preconditionFailed, code: "precondition_failed", message: message, details: nil)
        case .payloadTooLarge(let limit):
            response(status: .contentTooLarge, code: "payload_too_large", message: "The request body is larger than \(limit) bytes.", details: nil)
        case .rateLimited(let retryAfter):
            response(
                status: .tooManyRequests,
                code: "rate_limited",
                message: error.errorDescription ?? "Too many attempts.",
                details: nil,
                headers: [.retryAfter: String(retryAfter)]
            )
        }
    }

    static func response(status: HTTPResponse.Status, code: String, message: String, details: [FieldError]?, headers: HTTPFields = [:]) -> Response {
        let data = ErrorBody.json(code: code, message: message, details: details)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
