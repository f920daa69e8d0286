import Foundation
import TaskpilotCore
import TaskpilotStore
import TaskpilotTestSupport
import Testing

@testable import TaskpilotApp

/// `Credentials.authenticate`: an access token checked once is remembered, but never past its expiry.
@Suite("Access tokens")
struct CredentialsTests {
    private static func credentials(on database: TaskpilotDatabase, lifetime: Duration) async -> Credentials {
        let accounts = SQLAccountRepository(database: database)
        return await Credentials(secret: String(repeating: "k", count: 64), lifetime: lifetime, bcryptCost: 4, users: accounts, tokens: accounts)
    }

    @Test("a token accepted before is refused once it has expired")
    func expiryAfterFirstUse() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            let user = try await database.newTestUser()
            let credentials = await Self.credentials(on: database, lifetime: .seconds(60))
            let issued = Date()
            let (token, expiresAt) = try await credentials.accessToken(for: user, now: issued)

            #expect(try await credentials.authenticate(bearer: token, now: issued).id == user.id)
            #expect(try await credentials.authenticate(bearer: token, now: issued.addingTimeInterval(30)).id == user.id)
            await #expect(throws: TaskpilotError.self) {
                try await credentials.authenticate(bearer: token, now: expiresAt.addingTimeInterval(1))
            }
        }
    }

    @Test("a token that expired before it was ever used is refused")
    func expiredBeforeFirstUse() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            let user = try await database.newTestUser()
            let credentials = await Self.credentials(on: database, lifetime: .seconds(60))
            let token = try await credentials.accessToken(for: user, now: Date().addingTimeInterval(-120)).token
            await #expect(throws: TaskpilotError.self) { try await credentials.authenticate(bearer: token) }
            await #expect(throws: TaskpilotError.self) { try await credentials.authenticate(bearer: token) }
        }
    }

    @Test("a token signed with another secret is refused, before and after a good one was accepted")
    func otherSecret() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            let user = try await database.newTestUser()
            let credentials = await Self.credentials(on: database, lifetime: .seconds(60))
            let accounts = SQLAccountRepository(database: database)
            let forger = await Credentials(
                secret: String(repeating: "f", count: 64),
                lifetime: .seconds(60),
                bcryptCost: 4,
                users: accounts,
                tokens: accounts
            )
            let forged = try await forger.accessToken(for: user).token
            await #expect(throws: TaskpilotError.self) { try await credentials.authenticate(bearer: forged) }
            _ = try await credentials.authenticate(bearer: try await credentials.accessToken(for: user).token)
            await #expect(throws: TaskpilotError.self) { try await credentials.authenticate(bearer: forged) }
        }
    }

    @Test("the login limit's client: the connection's address, or the entry a proxy on the own network added last")
    func clientAddress() {
        // Straight from the internet: whatever X-Forwarded-For says is the client's own word.
        #expect(AppRequestContext.clientAddress(remote: "8.8.4.4", forwarded: "1.2.3.4") == "8.8.4.4")
        #expect(AppRequestContext.clientAddress(remote: "2001:db8::7", forwarded: nil) == "2001:db8::7")
        // Through an ingress on a private address: the entry it added, not the ones the client sent before it.
        #expect(AppRequestContext.clientAddress(remote: "10.1.2.3", forwarded: "6.6.6.6, 198.51.100.20") == "198.51.100.20")
        #expect(AppRequestContext.clientAddress(remote: "::ffff:127.0.0.1", forwarded: "198.51.100.20") == "198.51.100.20")
        #expect(AppRequestContext.clientAddress(remote: "fd00::1", forwarded: nil) == "fd00::1")
        #expect(AppRequestContext.clientAddress(remote: nil, forwarded: nil) == "direct")
    }
}
