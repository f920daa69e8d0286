import Foundation
import Hummingbird
import TaskpilotAPI
import TaskpilotStore

/// Health, metrics and the OpenAPI document.
struct OperationsController: Sendable {
    let database: TaskpilotDatabase
    let metrics: ServerMetrics

    struct Health: ResponseEncodable {
        let status: String
    }

    struct Readiness: ResponseEncodable {
        let status: String
        let checks: [String: String]
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("health/live") { _, _ in Health(status: "ok") }
        router.get("health/ready") { _, _ in
            let databaseOK = await database.ping()
            let body = Readiness(status: databaseOK ? "ready" : "not_ready", checks: ["database": databaseOK ? "ok" : "unreachable"])
            return EditedResponse(status: databaseOK ? .ok : .serviceUnavailable, response: body)
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition()))
            )
        }
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml))
            )
        }
    }
}
