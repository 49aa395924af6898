import JSONValues
import ModelProviders
import Sandbox

/// `WebFetch {url, prompt?}`: fetches a page with `curl` **inside the sandbox**, so the sandbox's
/// network policy decides what is reachable, and returns its text (HTML reduced to readable text).
///
/// Offered only to sandboxes whose profile has network. Unlike Claude Code, no second model
/// applies `prompt` to the page: the page's text comes back and the calling model applies its
/// own prompt. Only `http` and `https` are fetched (curl's `--proto`), redirects included.
public struct WebFetchTool: AgentTool {
    public init() {}

    public let definition = ToolDefinition(
        name: "WebFetch",
        description: """
            Fetches a URL from inside the sandbox and returns the page's content as text (HTML is reduced to \
            readable text, JSON and plain text come back as they are).

            - `url` must be a full http:// or https:// URL; redirects are followed.
            - `prompt` says what you are looking for; the page text is returned for you to read with it in mind.
            - Long pages are cut.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "url": ["type": "string", "description": "The URL to fetch content from"],
                "prompt": ["type": "string", "description": "What to look for in the fetched content"],
            ],
            "required": ["url"],
            "additionalProperties": false,
        ])

    /// Body on stdout (cut by `head`, which also stops curl), curl's errors and then one line
    /// `<status> <content type>` on stderr.
    static let script = """
        curl -sS -L --max-redirs 10 --proto '=http,https' --proto-redir '=http,https' --max-time "$3" \
            -A 'Sandcastle-WebFetch/1' -w '%{stderr}\\n%{http_code} %{content_type}\\n' -- "$1" | head -c "$2"
        status=${PIPESTATUS[0]}
        # 23: curl could not write because head stopped reading: the page was cut, not broken.
        [ "$status" -eq 0 ] || [ "$status" -eq 23 ] || exit "$status"
        """

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        let url = try input.string("url")
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw ToolFailure("`url` must start with http:// or https://, got \(url.debugDescription)")
        }
        let maxBytes = context.limits.maxReadBytes
        let seconds = max(1, Int(context.limits.webFetchTimeout.components.seconds))
        let output = try await ToolProcess.run(
            ["bash", "-c", Self.script, "webfetch", url, String(maxBytes), String(seconds)], context: context,
            timeout: context.limits.webFetchTimeout + .seconds(5), maxOutputBytes: maxBytes + 64 * 1024)
        let stderrLines = output.stderrText.split(separator: "\n", omittingEmptySubsequences: true)
        let status = stderrLines.last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        if output.result.exitCode != 0 || status == 0 {
            let problem = stderrLines.filter { !$0.allSatisfy { $0.isNumber || $0 == " " } }.joined(separator: "\n")
            throw ToolFailure("Fetching \(url) failed: \(problem.isEmpty ? "exit code \(output.result.exitCode)" : String(problem.prefix(2000)))")
        }
        let contentType = stderrLines.last.map { String($0.drop { $0.isNumber }.drop { $0 == " " }) } ?? ""
        let body = output.stdout
        var text: String
        if NumberedLines.looksBinary(body) {
            text = "(binary content, \(body.count) bytes, not shown)"
        } else if contentType.lowercased().contains("html") {
            text = HTMLText.extract(String(decoding: body, as: UTF8.self))
        } else {
            text = String(decoding: body, as: UTF8.self)
        }
        if UInt64(body.count) >= maxBytes {
            text += "\n[content truncated after \(maxBytes) bytes of the page]"
        }
        let header = "URL: \(url)\nHTTP \(status)\(contentType.isEmpty ? "" : " " + contentType)\n\n"
        return ToolOutput(header + text, isError: status >= 400)
    }
}
