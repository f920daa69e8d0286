import Hummingbird

/// Sends a connection to the back of the line once its answer is written, so that busy connections take turns.
///
/// A keep-alive connection is served by one task that writes an answer and then waits for the next request. Under
/// load the thread that wrote the answer is often preempted by the event loop sending it; by the time it runs again
/// the client has already sent its next request, which that task then serves at once, ahead of every connection
/// waiting in the executor's queue. About one request in six went that way at 32 clients, and the others waited
/// longer for it: the same throughput, but a long tail (filtered list on SQLite, p50 12 ms and p99 20–25 ms). Yielding
/// after the write puts the task behind the connections already waiting, so each request waits about the same:
/// p99 17–19 ms at the same throughput (paired quick runs). With one client the queue is empty and the yield costs
/// microseconds.
struct FairTurnMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            try await body.write(writer)
            await Task.yield()
        }
        return response
    }
}
