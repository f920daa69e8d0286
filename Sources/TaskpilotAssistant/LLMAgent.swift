public import AsyncHTTPClient
public import Foundation
public import Logging
import Metrics
import NIOCore
import NIOHTTP1
public import TaskpilotCore

/// Drives the task tools with a language model over the OpenAI-compatible Chat Completions API.
public struct LLMAgent: Sendable {
    /// Where and which model.
    public struct Configuration: Sendable {
        /// E.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`.
        public var baseURL: String
        public var apiKey: String?
        public var model: String
        /// Per request to the provider.
        public var timeout: Duration
        /// Tool-calling rounds before giving up.
        public var maxSteps: Int
        /// Attempts per request on 429, 5xx and connection errors.
        public var maxAttempts: Int
        /// The longest answer per request, so a runaway model cannot stall a chat.
        public var maxTokens: Int
        /// `tool_choice` of the first request of a turn: `auto`, `required`, `none`, or a tool name to force that tool;
        /// later steps use `auto`. Forcing helps small models that otherwise never call a tool.
        public var firstToolChoice: String

        /// A configuration with sensible limits.
        public init(
            baseURL: String,
            apiKey: String?,
            model: String,
            timeout: Duration = .seconds(60),
            maxSteps: Int = 6,
            maxAttempts: Int = 3,
            maxTokens: Int = 1024,
            firstToolChoice: String = "auto"
        ) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.apiKey = apiKey
            self.model = model
            self.timeout = timeout
            self.maxSteps = maxSteps
            self.maxAttempts = maxAttempts
            self.maxTokens = maxTokens
            self.firstToolChoice = firstToolChoice
        }
    }

    let configuration: Configuration
    let client: HTTPClient
    let logger: Logger

    /// The process-wide client for providers: a refused or unreachable provider fails at once (our own retries
    /// with backoff apply) instead of being retried by the pool until the request deadline.
    public static let httpClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// An agent using the process-wide provider client.
    public init(configuration: Configuration, client: HTTPClient = LLMAgent.httpClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    /// The provider failed; the message is safe to show.
    struct ProviderError: Error {
        let reason: String
        let detail: String
    }

    /// Answers one message with the conversation so far, running the tools the model asks for.
    public func respond(to message: String, history: [ChatMessage], context: ToolContext) async -> AssistantReply {
        var messages: [JSONValue] = [["role": "system", "content": .string(systemPrompt(context))]]
        for past in history.suffix(20) where past.role != .tool && !past.content.isEmpty {
            messages.append(["role": .string(past.role.rawValue), "content": .string(past.content)])
        }
        messages.append(["role": "user", "content": .string(message)])
        var calls: [ToolCallRecord] = []
        for step in 0..<configuration.maxSteps {
            let answer: JSONValue
            do {
                answer = try await complete(messages, toolChoice: step == 0 ? configuration.firstToolChoice : "auto")
            } catch let error as ProviderError {
                Counter(label: "taskpilot_llm_errors_total", dimensions: [("reason", error.reason)]).increment()
                logger.error("language model request failed", metadata: ["reason": .string(error.reason), "detail": .string(error.detail)])
                let done = calls.isEmpty ? "Nothing was changed." : "The actions listed below were already carried out."
                return AssistantReply(
                    text: "Sorry — I couldn't reach the language model (\(error.reason)). \(done) Please try again in a moment.",
                    toolCalls: calls
                )
            } catch {
                return AssistantReply(text: "Sorry — the language model request failed. Please try again.", toolCalls: calls)
            }
            let toolCalls = answer["tool_calls"]?.arrayValue ?? []
            if toolCalls.isEmpty {
                let text = answer["content"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                return AssistantReply(text: text.isEmpty ? Self.fallbackSummary(calls) : text, toolCalls: calls)
            }
            messages.append(["role": "assistant", "content": answer["content"] ?? .null, "tool_calls": .array(toolCalls)])
            for call in toolCalls {
                let id = call["id"]?.stringValue ?? UUID().uuidString
                let name = call["function"]?["name"]?.stringValue ?? ""
                let rawArguments = call["function"]?["arguments"]
                let (arguments, result) = await execute(name: name, rawArguments: rawArguments, context: context)
                calls.append(ToolCallRecord(name: name, arguments: arguments, result: result))
                messages.append(["role": "tool", "tool_call_id": .string(id), "content": .string(result.jsonText)])
            }
        }
        return AssistantReply(
            text: "I stopped after \(configuration.maxSteps) steps without finishing. " + Self.fallbackSummary(calls),
            toolCalls: calls
        )
    }

    /// Runs one tool call; bad names and bad arguments become tool errors the model can read and correct.
    func execute(name: String, rawArguments: JSONValue?, context: ToolContext) async -> (JSONValue, JSONValue) {
        var arguments: [String: JSONValue] = [:]
        switch rawArguments {
        case .string(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty {
                guard let parsed = JSONValue.parse(trimmed), let object = parsed.objectValue else {
                    return (.string(text), ["error": .string("The arguments are not a JSON object: \(String(trimmed.prefix(200)))")])
                }
                arguments = object
            }
        case .object(let object)?:
            arguments = object
        case nil, .null?:
            break
        case let other?:
            return (other, ["error": "The arguments must be a JSON object."])
        }
        guard let tool = TaskTools.named(name) else {
            let names = TaskTools.all.map(\.name).joined(separator: ", ")
            return (.object(arguments), .object(["error": .string("Unknown tool '\(name)'. Available tools: \(names).")]))
        }
        do {
            return (.object(arguments), try await tool.call(arguments, context: context))
        } catch {
            return (.object(arguments), .object(["error": .string(error.message)]))
        }
    }

    func systemPrompt(_ context: ToolContext) -> String {
        let zone = context.user.timeZone
        let local = context.now.formatted(
            Date.VerbatimFormatStyle(
                format:
                    "\(weekday: .wide) \(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
                locale: Locale(identifier: "en_US_POSIX"),
                timeZone: zone,
                calendar: Calendar.taskpilot(zone)
            )
        )
        return """
            You are Taskpilot, a task manager assistant. You manage the user's tasks only through the tools.
            The user's time zone is \(zone.identifier); it is now \(local) there (\(Timestamp.format(context.now)) UTC).
            Rules: never invent task ids — call list_tasks to find a task by its title first. Dates without an offset are read in the \
            user's time zone. Before deleting more than \(TaskTools.confirmationThreshold) tasks, ask the user to confirm. If a tool \
            returns an error, fix the arguments or explain the problem. Answer briefly in Markdown; show lists of tasks as tables.
            """
    }

    /// The wire form of a tool choice: the keywords as strings, a tool name as a named function.
    static func toolChoice(_ choice: String) -> JSONValue {
        ["auto", "required", "none"].contains(choice) ? .string(choice) : ["type": "function", "function": ["name": .string(choice)]]
    }

    static func fallbackSummary(_ calls: [ToolCallRecord]) -> String {
        guard !calls.isEmpty else { return "I have no answer to that." }
        return "I ran: " + calls.map { "`\($0.name)`" }.joined(separator: ", ") + "."
    }

    /// One Chat Completions request with retries; returns the assistant message.
    func complete(_ messages: [JSONValue], toolChoice: String) async throws -> JSONValue {
        let tools: [JSONValue] = TaskTools.all.map { tool in
            ["type": "function", "function": ["name": .string(tool.name), "description": .string(tool.description), "parameters": tool.inputSchema]]
        }
        let body: JSONValue = [
            "model": .string(configuration.model), "messages": .array(messages), "tools": .array(tools), "tool_choice": Self.toolChoice(toolChoice),
            "temperature": .number(0.2),
            "max_tokens": .number(Double(configuration.maxTokens)),
        ]
        var request = HTTPClientRequest(url: configuration.baseURL + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = configuration.apiKey, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(string: body.jsonText))
        var lastError = ProviderError(reason: "unknown", detail: "")
        for attempt in 1...max(1, configuration.maxAttempts) {
            let started = ContinuousClock.now
            do {
                let response = try await client.execute(request, timeout: .seconds(Int64(configuration.timeout.components.seconds)))
                let data = try await response.body.collect(upTo: 8 * 1024 * 1024)
                Timer(label: "taskpilot_llm_request_duration_seconds").recordNanoseconds(
                    (ContinuousClock.now - started).components.attoseconds / 1_000_000_000 + (ContinuousClock.now - started).components.seconds
                        * 1_000_000_000
                )
                let text = String(buffer: data)
                switch response.status.code {
                case 200..<300:
                    guard let json = JSONValue.parse(text), let message = json["choices"]?.arrayValue?.first?["message"] else {
                        throw ProviderError(reason: "malformed response", detail: String(text.prefix(300)))
                    }
                    return message
                case 429, 500...599:
                    lastError = ProviderError(reason: "HTTP \(response.status.code)", detail: String(text.prefix(300)))
                    let retryAfter = response.headers.first(name: "retry-after").flatMap(Double.init).map { min($0, 10) }
                    if attempt < configuration.maxAttempts {
                        try await Task.sleep(for: .milliseconds(Int((retryAfter ?? 0.5 * pow(2, Double(attempt - 1))) * 1000)))
                        continue
                    }
                default:
                    throw ProviderError(reason: "HTTP \(response.status.code)", detail: String(text.prefix(300)))
                }
            } catch let error as ProviderError {
                throw error
            } catch is CancellationError {
                throw ProviderError(reason: "cancelled", detail: "")
            } catch {
                lastError = ProviderError(reason: "connection failed", detail: String(describing: error))
                if attempt < configuration.maxAttempts {
                    try? await Task.sleep(for: .milliseconds(Int(500 * pow(2, Double(attempt - 1)))))
                    continue
                }
            }
        }
        throw lastError
    }
}
