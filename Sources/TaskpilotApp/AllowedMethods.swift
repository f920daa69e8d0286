import HTTPTypes
import Hummingbird
import Synchronization

/// The methods the routes answer at each path, for a `405` with `Allow` when a path is routed but not for the method
/// of the request (the router itself answers `404` for both).
final class AllowedMethods: Sendable {
    private let routes = Mutex<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    /// Takes the routes of `router` once they are all added.
    func record(_ router: Router<some RequestContext>) {
        let table = router.routes.map { (path: $0.path, method: $0.method) }
        routes.withLock { $0 = table }
    }

    /// The methods routed at `path`, sorted, with HEAD wherever GET is (the router answers it); empty when no route
    /// has that path.
    func methods(at path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var matching = routes.withLock { routes in routes.filter { Self.path($0.path, matches: parts) } }
        // The router follows a literal component before a parameter and does not come back: `/api/v1/tasks/1` never
        // reaches `/api/{user_id}/tasks/{id}`. Where a route matching so far has a literal, the others are out of reach.
        var index = 0
        while matching.contains(where: { $0.path.components.count > index }) {
            if matching.contains(where: { Self.isLiteral($0.path, at: index) }) {
                matching.removeAll { !Self.isLiteral($0.path, at: index) }
            }
            index += 1
        }
        var methods = Set(matching.map(\.method.rawValue))
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }

    private static func isLiteral(_ route: RouterPath, at index: Int) -> Bool {
        guard index < route.components.count else { return false }
        let text = route.components[index].description
        return !text.contains("{") && !text.contains("*")
    }

    private static func path(_ route: RouterPath, matches parts: [Substring]) -> Bool {
        var index = 0
        for element in route.components {
            if element.description == "**" { return true }
            guard index < parts.count, element ~= parts[index] else { return false }
            index += 1
        }
        return index == parts.count
    }
}
