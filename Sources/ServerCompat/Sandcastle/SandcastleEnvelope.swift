import Foundation
import Guardrails
import HTTPTypes
import Hummingbird
import JSONValues
import NIOCore
import Orchestrator
import ServerCore

/// Sandcastle 0.47's response envelope, which its SDK and CLI read: every answer is
/// `{"data", "error", "meta"}` with all three keys; a handler's error comes wrapped as FastAPI
/// wraps an `HTTPException`: `{"detail": {"data": null, "error": {code, message, details}, "meta": null}}`.
enum SandcastleEnvelope {
    static func ok(_ data: JSONValue, meta: JSONValue = .null, status: HTTPResponse.Status = .ok) -> Response {
        response(["data": data, "error": .null, "meta": meta], status: status)
    }

    /// A paginated list: `meta` carries `total`, `limit` and `offset`.
    static func page(_ items: [JSONValue], total: Int, limit: Int, offset: Int) -> Response {
        ok(.array(items), meta: ["total": .integer(total), "limit": .integer(limit), "offset": .integer(offset)])
    }

    static func error(code: String, message: String, details: JSONValue = .null, status: HTTPResponse.Status, headers: HTTPFields = [:])
        -> Response
    {
        let error: JSONValue = ["code": .string(code), "message": .string(message), "details": details]
        var response = response(["detail": ["data": .null, "error": error, "meta": .null]], status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    static func response(_ body: JSONValue, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body.jsonText)))
    }

    /// An orchestrator refusal as Sandcastle answers it: its HTTP status and error code.
    static func status(of error: OrchestratorError) -> (HTTPResponse.Status, String) {
        switch error.code {
        case .invalidWorkflow: (.badRequest, "INVALID_WORKFLOW")
        case .workflowNotFound: (.notFound, "WORKFLOW_NOT_FOUND")
        case .invalidName: (.badRequest, "INVALID_NAME")
        case .invalidInput: (.badRequest, "INVALID_INPUT")
        case .runNotFound: (.notFound, "RUN_NOT_FOUND")
        case .invalidStatus: (.badRequest, "INVALID_STATUS")
        case .activeRuns: (.conflict, "ACTIVE_RUNS")
        case .notAccepting: (.serviceUnavailable, "SERVICE_UNAVAILABLE")
        case .invalidCallbackURL: (.badRequest, "INVALID_CALLBACK_URL")
        case .approvalNotFound: (.notFound, "NOT_FOUND")
        case .invalidStep: (.badRequest, "INVALID_STEP")
        case .alreadyResolved: (.conflict, "ALREADY_RESOLVED")
        case .scheduleNotFound: (.notFound, "NOT_FOUND")
        case .scheduleDisabled: (.badRequest, "SCHEDULE_DISABLED")
        case .deadLetterNotFound: (.notFound, "NOT_FOUND")
        case .maxRetriesExceeded: (.badRequest, "MAX_RETRIES_EXCEEDED")
        case .retryFailed: (.internalServerError, "RETRY_ERROR")
        case .forbidden: (.forbidden, "FORBIDDEN")
        case .complianceRefused: (.unprocessableContent, "COMPLIANCE_VIOLATION")
        default: (.internalServerError, "DB_ERROR")
        }
    }

    /// The message a client shows: with the itemised problems, because Sandcastle's SDK keeps
    /// only `code` and `message` (its CLI prints "[INVALID_WORKFLOW]: the workflow has 2 errors"
    /// and nothing else otherwise). Joined with "; " as Sandcastle joins its validation errors,
    /// and capped: `details` still holds every one.
    static func message(of error: OrchestratorError, limit: Int = 4000) -> String {
        guard !error.details.isEmpty else { return error.message }
        var message = error.message + ": "
        for (index, detail) in error.details.enumerated() {
            let part = (index == 0 ? "" : "; ") + detail
            if message.count + part.count > limit {
                // A first problem longer than the cap is cut rather than left out.
                if index == 0 { message += String(part.prefix(limit)) + "…" }
                let rest = error.details.count - index - (index == 0 ? 1 : 0)
                if rest > 0 { message += " (and \(rest) more in `details`)" }
                break
            }
            message += part
        }
        return message
    }

    /// Sandcastle's timestamps: ISO 8601 in UTC with fractional seconds, which Python's
    /// `datetime.fromisoformat` reads (the SDK parses them so).
    static func timestamp(_ date: Date?) -> JSONValue {
        guard let date else { return .null }
        return .string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}

/// A refusal of the API itself (a malformed body, a bad query parameter), answered in the envelope.
struct SandcastleAPIError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    /// The request field at fault, as `details.field`.
    var field: String?

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = ScrubbingSystem.scrub(message)
        self.field = field
    }
}

/// Answers every error under `/api` in Sandcastle's envelope: the API's own refusals and the
/// orchestrator's wrapped in `detail` (as its handlers answer), authentication failures at the
/// top level (as its auth middleware answers), anything else as an internal error.
package struct SandcastleErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    package init(metrics: ServerMetrics) { self.metrics = metrics }

    /// The refusals of the auth middleware, answered at the top level as Sandcastle's auth answers them.
    static var authCodes: [ServerError.Code: String] {
        [.unauthorized: "UNAUTHORIZED", .forbidden: "FORBIDDEN", .keyExpired: "KEY_EXPIRED", .ipBlocked: "IP_BLOCKED"]
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix(SandcastleAPIController.prefix + "/") else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch let error as SandcastleAPIError {
            return SandcastleEnvelope.error(
                code: error.code, message: error.message, details: error.field.map { ["field": .string($0)] } ?? .null, status: error.status)
        } catch let error as OrchestratorError {
            let (status, code) = SandcastleEnvelope.status(of: error)
            if status.code >= 500 { context.logger.error("\(request.method) \(request.uri.path) failed: \(error)") }
            let details: JSONValue = error.details.isEmpty ? .null : .array(error.details.map(JSONValue.string))
            return SandcastleEnvelope.error(code: code, message: SandcastleEnvelope.message(of: error), details: details, status: status)
        } catch {
            let native = ServerError.from(error)
            metrics.recordError(native.code)
            var headers = native.headers
            native.addRetryAfter(to: &headers)
            if let code = Self.authCodes[native.code] {
                var response = SandcastleEnvelope.response(
                    ["data": .null, "error": ["code": .string(code), "message": .string(native.message)]], status: native.code.status)
                for field in headers { response.headers.append(field) }
                return response
            }
            if native.code.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(native.code) \(native.message)")
            }
            return SandcastleEnvelope.error(
                code: native.code.description.uppercased(), message: native.message, status: native.code.status, headers: headers)
        }
    }
}
