/// The OpenAPI 3.1 document of the HTTP API: the contract that clients and the server's tests rely on.
public enum OpenAPIDocument {
    /// The YAML text, as served at `/openapi.yaml` (embedded in the binary at build time).
    public static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
}
