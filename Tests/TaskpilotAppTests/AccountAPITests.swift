import Foundation
import HTTPTypes
import TaskpilotCore
import TaskpilotTestSupport
import Testing

@Suite("Accounts and tokens API")
struct AccountAPITests {
    @Test("register, me, update me, log in", arguments: TestBackend.available)
    func accountLifecycle(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, auth) = try await api.registered(email: "Ada@Example.com", timezone: "Europe/Paris")
            #expect(auth.user.email == "ada@example.com")
            #expect(auth.user.timezone == "Europe/Paris")
            let current: UserBody = try await me.get("/api/v1/auth/me").decode()
            #expect(current.id == auth.user.id)
            let updated: UserBody = try await me.patch("/api/v1/auth/me", #"{"name": "Ada L.", "timezone": "America/New_York"}"#).decode()
            #expect(updated.name == "Ada L." && updated.timezone == "America/New_York")
            // `me` sent back whole is accepted; another email or id is refused, not ignored, and nothing changes.
            let whole = try await me.patch("/api/v1/auth/me", #"{"email": "ADA@example.com", "id": "\#(auth.user.id)", "name": "Ada"}"#)
            #expect(whole.status == .ok, "\(whole.text)")
            for (body, field) in [(#"{"email": "x@y.z", "name": "X"}"#, "email"), (#"{"id": "00000000-0000-0000-0000-000000000001"}"#, "id")] {
                let refused = try await me.patch("/api/v1/auth/me", body)
                #expect(refused.status == .unprocessableContent && refused.error?.details?.map(\.field) == [field], "\(refused.text)")
            }
            #expect(try await me.get("/api/v1/auth/me").decode(UserBody.self).name == "Ada")
            // A null name clears it.
            #expect(try await me.patch("/api/v1/auth/me", #"{"name": null}"#).decode(UserBody.self).name == "")
            let login = try await api.post("/api/v1/auth/login", #"{"email": "ADA@example.com ", "password": "correct horse battery"}"#)
            #expect(login.status == .ok)
            let again: AuthBody = try login.decode()
            #expect(again.user.timezone == "America/New_York")
        }
    }

    @Test("'1 day before' is the day before at the same local time, across a daylight-saving change", arguments: TestBackend.available)
    func dayOffsetsAreCalendarDays(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "America/New_York")
            // Summer time starts on 2027-03-14: 9:00 on the 13th is 14:00 UTC, 9:00 on the 14th 13:00 UTC.
            let allDay = try await me.createTask(
                #"{"title": "a", "due_at": "2027-03-14", "reminders": [{"offset_minutes": 1440}, {"offset_minutes": 1500}]}"#
            )
            #expect(allDay.reminders.map(\.fire_at) == ["2027-03-13T14:00:00Z", "2027-03-13T13:00:00Z"])
            let timed = try await me.createTask(
                #"{"title": "b", "due_at": "2027-03-14T09:00", "reminders": [{"offset_minutes": 1440}, {"offset_minutes": 30}]}"#
            )
            #expect(timed.reminders.map(\.fire_at) == ["2027-03-13T14:00:00Z", "2027-03-14T12:30:00Z"])
            // A series may not be moved past its own end.
            let series = try await me.createTask(
                #"{"title": "c", "due_at": "2030-12-10T09:00", "recurrence": {"frequency": "daily", "until": "2030-12-12"}}"#
            )
            let late = try await me.patch("/api/v1/tasks/\(series.id)", #"{"due_at": "2030-12-20T09:00"}"#)
            #expect(late.status == .unprocessableContent && late.error?.details?.map(\.field) == ["recurrence.until"], "\(late.text)")
        }
    }

    @Test("a new time zone keeps all-day tasks on their day, reminders included; timed tasks keep their instant", arguments: TestBackend.available)
    func timeZoneChange(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let allDay = try await me.createTask(#"{"title": "all day", "due_at": "2026-12-10", "reminders": [{"offset_minutes": 60}]}"#)
            #expect(allDay.due_at == "2026-12-09T23:00:00Z" && allDay.all_day)
            // A relative reminder of an all-day task counts from 9:00 on its day: an hour before is 8:00 in Paris.
            #expect(allDay.reminders.map(\.fire_at) == ["2026-12-10T07:00:00Z"])
            let timed = try await me.createTask(#"{"title": "timed", "due_at": "2026-12-10T09:00"}"#)
            let series = try await me.createTask(
                #"{"title": "series", "due_at": "2026-12-10T09:00", "recurrence": {"frequency": "daily", "until": "2026-12-31"}}"#
            )
            let exact = try await me.createTask(
                #"{"title": "exact", "due_at": "2026-12-10T09:00", "recurrence": {"frequency": "daily", "until": "2026-12-31T12:00:00Z"}}"#
            )
            let patched = try await me.patch("/api/v1/auth/me", #"{"timezone": "America/Los_Angeles"}"#)
            #expect(patched.status == .ok)
            let moved: TaskBody = try await me.get("/api/v1/tasks/\(allDay.id)").decode()
            #expect(moved.due_at == "2026-12-10T08:00:00Z" && moved.all_day)
            #expect(moved.reminders.map(\.fire_at) == ["2026-12-10T16:00:00Z"])
            #expect(try await me.get("/api/v1/tasks/\(timed.id)").decode(TaskBody.self).due_at == "2026-12-10T08:00:00Z")
            // A series' end given as a date stays that day; one given as an instant keeps its instant.
            let ended: TaskBody = try await me.get("/api/v1/tasks/\(series.id)").decode()
            #expect(series.recurrence?.until == "2026-12-31T22:59:59Z")
            #expect(ended.recurrence?.until == "2027-01-01T07:59:59Z" && ended.recurrence?.text.hasSuffix("until Dec 31, 2026") == true)
            #expect(try await me.get("/api/v1/tasks/\(exact.id)").decode(TaskBody.self).recurrence?.until == "2026-12-31T12:00:00Z")
            let day: TaskListBody = try await me.get("/api/v1/tasks?due_after=2026-12-10&due_before=2026-12-11&sort=title:asc").decode()
            #expect(day.items.map(\.title) == ["all day", "exact", "series", "timed"])
        }
    }

    @Test("sign-up mistakes get field errors", arguments: TestBackend.available)
    func registerValidation(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let cases: [(String, HTTPResponse.Status, String, [String])] = [
                (#"{"email": "not-an-email", "password": "long enough pw"}"#, .unprocessableContent, "validation_failed", ["email"]),
                (#"{"email": "a@b.co", "password": "short"}"#, .unprocessableContent, "validation_failed", ["password"]),
                (#"{"email": "a@b.co", "password": "            "}"#, .unprocessableContent, "validation_failed", ["password"]),
                (
                    #"{"email": "a@b.co", "password": "long enough pw", "timezone": "Mars/Olympus"}"#, .unprocessableContent, "validation_failed",
                    ["timezone"]
                ),
                (#"{"password": "long enough pw"}"#, .unprocessableContent, "validation_failed", ["email"]),
                (#"{"email": 5, "password": ["x"]}"#, .unprocessableContent, "validation_failed", ["email", "password"]),
                (#"{"email": "a@b.co", "password": "long enough pw""#, .badRequest, "invalid_json", []),
                ("", .badRequest, "invalid_json", []),
            ]
            for (body, status, code, fields) in cases {
                let response = try await api.post("/api/v1/auth/register", body)
                #expect(response.status == status, "\(body): \(response.text)")
                #expect(response.error?.code == code, "\(body)")
                #expect((response.error?.details ?? []).map(\.field) == fields, "\(body)")
            }
            _ = try await api.registered(email: "taken@example.com")
            let duplicate = try await api.post("/api/v1/auth/register", #"{"email": "TAKEN@example.com", "password": "another long one"}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.error?.code == "email_taken")
        }
    }

    @Test("passwords of up to 200 characters count in full, past bcrypt's 72 bytes; time zones in any case", arguments: TestBackend.available)
    func longPasswords(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            // 80 bytes of "é" and 150 ASCII characters: a change in the last character must matter.
            for (index, password) in [String(repeating: "é", count: 40), String(repeating: "x", count: 149) + "1"].enumerated() {
                let email = "long\(index)@example.com"
                let registered = try await api.post(
                    "/api/v1/auth/register",
                    #"{"email": "\#(email)", "password": "\#(password)", "timezone": "europe/paris"}"#
                )
                #expect(registered.status == .created, "\(registered.text)")
                #expect(try registered.decode(AuthBody.self).user.timezone == "Europe/Paris")
                let login = try await api.post("/api/v1/auth/login", #"{"email": "\#(email)", "password": "\#(password)"}"#)
                #expect(login.status == .ok)
                let other = String(password.dropLast()) + "2"
                let wrong = try await api.post("/api/v1/auth/login", #"{"email": "\#(email)", "password": "\#(other)"}"#)
                #expect(wrong.status == .unauthorized)
            }
            let tooLong = try await api.post(
                "/api/v1/auth/register",
                #"{"email": "long@example.com", "password": "\#(String(repeating: "y", count: 201))"}"#
            )
            #expect(tooLong.status == .unprocessableContent)
            #expect(tooLong.error?.details?.first?.message == "must be at most 200 characters")
        }
    }

    @Test("wrong credentials are 401, and repeated failures are rate-limited", arguments: TestBackend.available)
    func loginFailures(_ backend: TestBackend) async throws {
        try await withAPI(backend, settings: ["taskpilot.login.attempts": "3"]) { api in
            _ = try await api.registered(email: "bob@example.com")
            for _ in 0..<3 {
                let response = try await api.post("/api/v1/auth/login", #"{"email": "bob@example.com", "password": "wrong password!"}"#)
                #expect(response.status == .unauthorized)
                #expect(response.error?.code == "unauthorized")
            }
            let limited = try await api.post("/api/v1/auth/login", #"{"email": "bob@example.com", "password": "correct horse battery"}"#)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.error?.code == "rate_limited")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
            // The wait in words a person reads: minutes once it is longer than one.
            let wait = Int(limited.headers[.retryAfter] ?? "") ?? 0
            #expect(wait > 60, "the lockout lasts minutes: \(wait) s")
            #expect(limited.error?.message == "Too many attempts; try again in \((wait + 59) / 60) minutes.", "\(limited.error?.message ?? "")")
            #expect(TaskpilotError.wait(1) == "1 second" && TaskpilotError.wait(45) == "45 seconds" && TaskpilotError.wait(61) == "2 minutes")
            // Another email from the same client is still heard, up to five times the per-email limit.
            let unknown = try await api.post("/api/v1/auth/login", #"{"email": "nobody@example.com", "password": "whatever123"}"#)
            #expect(unknown.status == .unauthorized)
            for _ in 0..<11 {
                _ = try await api.post(
                    "/api/v1/auth/login",
                    #"{"email": "carol-\#(UUID().uuidString.prefix(4))@example.com", "password": "whatever123"}"#
                )
            }
            let client = try await api.post("/api/v1/auth/login", #"{"email": "dave@example.com", "password": "whatever123"}"#)
            #expect(client.status == .tooManyRequests)
        }
    }

    @Test("bad or missing credentials are refused on every protected route", arguments: TestBackend.available)
    func authentication(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            // One character of the signature changed, away from its last one (whose low bits base64url ignores).
            var characters = Array(me.token!)
            characters[characters.count - 10] = characters[characters.count - 10] == "A" ? "B" : "A"
            let forged = String(characters)
            let otherKey =
                "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzMzQxMzdlMi1mNjk4LTQ0MTUtYjAxMC03MGU0MzM1MTA5MGYiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTc5NTQzMjk0Mn0.9-BpOapKdlyQXlaMp9fQaQiVRifPmgG0HPJDpiNQTTA"
            for headers: HTTPFields in [
                [:], [.authorization: "Bearer nonsense"], [.authorization: "Basic abc"], [.authorization: "Bearer \(forged)"],
                [.authorization: "Bearer \(otherKey)"], [.authorization: "Bearer tp_notarealtoken"],
            ] {
                for path in ["/api/v1/auth/me", "/api/v1/tasks", "/api/v1/tags", "/api/v1/tokens"] {
                    let response = try await APIClient(client: api.client).send(.get, path, headers: headers)
                    #expect(response.status == .unauthorized, "\(path) with \(headers)")
                    #expect(response.error?.code == "unauthorized")
                }
            }
            // Spaces and tabs around the token are HTTP's optional white space; the scheme's case does not matter.
            for header in ["Bearer  \(me.token!)\t ", "bearer \(me.token!)", "Bearer \t\(me.token!)"] {
                let response = try await APIClient(client: api.client).send(.get, "/api/v1/auth/me", headers: [.authorization: header])
                #expect(response.status == .ok, "\(header)")
            }
        }
    }

    @Test("personal API tokens: shown once, listed without secret, accepted, revocable", arguments: TestBackend.available)
    func apiTokens(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, auth) = try await api.registered()
            let created = try await me.post("/api/v1/tokens", #"{"name": "laptop CLI", "expires_in_days": 30}"#)
            #expect(created.status == .created)
            let token: TokenBody = try created.decode()
            let secret = try #require(token.token)
            #expect(secret.hasPrefix(token.prefix))
            #expect(token.expires_at != nil)
            let listed: [TokenBody] = try await me.get("/api/v1/tokens").decode()
            #expect(listed.map(\.id) == [token.id])
            #expect(listed.allSatisfy { $0.token == nil })
            #expect(!listed[0].prefix.isEmpty)

            let viaToken = APIClient(client: api.client, token: secret)
            let whoami: UserBody = try await viaToken.get("/api/v1/auth/me").decode()
            #expect(whoami.id == auth.user.id)
            _ = try await viaToken.createTask(#"{"title": "made with a token"}"#)
            // It makes no other tokens (a copy would survive its revocation).
            let child = try await viaToken.post("/api/v1/tokens", #"{"name": "forever"}"#)
            #expect(child.status == .forbidden && child.text.contains("sign in"), "\(child.text)")
            #expect(try await me.get("/api/v1/tokens").decode([TokenBody].self).count == 1)

            let (other, _) = try await api.registered()
            #expect(try await other.delete("/api/v1/tokens/\(token.id)").status == .notFound)
            #expect(try await me.delete("/api/v1/tokens/not-a-uuid").status == .badRequest)
            #expect(try await me.delete("/api/v1/tokens/\(token.id)").status == .noContent)
            #expect(try await viaToken.get("/api/v1/auth/me").status == .unauthorized)

            for body in [#"{}"#, #"{"name": ""}"#, #"{"name": "x", "expires_in_days": 0}"#, #"{"name": "x", "expires_in_days": "7"}"#] {
                #expect(try await me.post("/api/v1/tokens", body).status == .unprocessableContent, "\(body)")
            }
        }
    }
}
