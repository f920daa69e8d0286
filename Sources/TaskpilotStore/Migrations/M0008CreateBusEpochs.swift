import FluentKit

/// The generation of each event bus's log, shared by every process: when a broker comes back without its log, the
/// process that notices advances it, and every process rewinds its consumers.
struct M0008CreateBusEpochs: AsyncMigration {
    var name: String { "0008_create_bus_epochs" }

    func prepare(on database: any Database) async throws {
        try await run(["CREATE TABLE bus_epochs (bus TEXT PRIMARY KEY, epoch TEXT NOT NULL, changed_at BIGINT NOT NULL)"], on: database)
    }

    func revert(on database: any Database) async throws {
        try await run(["DROP TABLE bus_epochs"], on: database)
    }
}
