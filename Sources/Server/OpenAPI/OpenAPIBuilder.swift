/// A small vocabulary for writing an OpenAPI 3.1 document in Swift.
///
/// It covers only what the native API needs; the parts every operation shares (path
/// parameters, the `Error` body of error responses, a required request body) are filled in
/// here so a description lists only what is particular to each operation.
enum OpenAPI {
    /// A JSON Schema, built from the few shapes the API uses and refined with modifiers
    /// (`.string.described("…")`, `.integer.defaulting(to: 50)`).
    struct Schema: Sendable {
        private let fields: [String: JSON]
        var json: JSON { .object(fields) }

        static let string = Schema(fields: ["type": "string"])
        static let integer = Schema(fields: ["type": "integer"])
        static let number = Schema(fields: ["type": "number"])
        static let boolean = Schema(fields: ["type": "boolean"])
        static let dateTime = Schema(fields: ["type": "string", "format": "date-time"])
        static let binary = Schema(fields: ["type": "string", "format": "binary"])
        /// An object whose shape is not described.
        static let anyObject = Schema(fields: ["type": "object"])
        /// Any JSON value at all.
        static let anyValue = Schema(fields: [:])
        /// Only `null`.
        static let null = Schema(fields: ["type": "null"])
        /// Names to strings: environment variables, labels.
        static let stringMap = Schema(fields: ["type": "object", "additionalProperties": string.json])
        /// Text a sandbox takes as a C string (a path, an argument, a variable): no NUL byte, which
        /// would cut it short, so the server refuses one (400).
        static let text = string.matching(#"^[^\u0000]*$"#)
        /// ``text`` that is not empty.
        static let nonEmptyText = string.matching(#"^[^\u0000]+$"#)

        /// An object of any names matching `keys`, each to a value of `values`.
        static func map(keys: Schema, values: Schema) -> Schema {
            Schema(fields: ["type": "object", "propertyNames": keys.json, "additionalProperties": values.json])
        }

        static func array(of items: Schema) -> Schema {
            Schema(fields: ["type": "array", "items": items.json])
        }

        /// A string that is one of `values` (JSON Schema's `enum`).
        static func enumeration(_ values: String...) -> Schema {
            string.adding("enum", .array(values.map(JSON.string)))
        }

        /// A schema under `components/schemas`.
        static func ref(_ name: String) -> Schema {
            Schema(fields: ["$ref": .string("#/components/schemas/\(name)")])
        }

        /// `required` keeps its order; it is left out when empty.
        static func object(_ properties: KeyValuePairs<String, Schema>, required: [String] = []) -> Schema {
            let members = Dictionary(properties.map { ($0.key, $0.value.json) }, uniquingKeysWith: { _, last in last })
            let object = Schema(fields: ["type": "object", "properties": .object(members)])
            return required.isEmpty ? object : object.adding("required", .array(required.map(JSON.string)))
        }

        /// Exactly one of `schemas` (JSON Schema's `oneOf`).
        static func oneOf(_ schemas: Schema...) -> Schema {
            Schema(fields: ["oneOf": .array(schemas.map(\.json))])
        }

        func described(_ text: String) -> Schema { adding("description", .string(text)) }
        /// Values a client would send (a fuzzer's examples phase starts from them).
        func withExamples(_ values: JSON...) -> Schema { adding("examples", .array(values)) }
        /// An object that takes no properties but those it lists.
        var closed: Schema { adding("additionalProperties", false) }
        /// A string schema's `pattern` (an ECMA-262 regular expression).
        func matching(_ pattern: String) -> Schema { adding("pattern", .string(pattern)) }
        func limited(toLength length: Int) -> Schema { adding("maxLength", .integer(length)) }
        func lengths(_ range: ClosedRange<Int>) -> Schema {
            adding("minLength", .integer(range.lowerBound)).adding("maxLength", .integer(range.upperBound))
        }
        func atLeast(_ minimum: Int) -> Schema { adding("minimum", .integer(minimum)) }
        func atLeast(_ minimum: Double) -> Schema { adding("minimum", .number(minimum)) }
        func exclusivelyAbove(_ minimum: Double) -> Schema { adding("exclusiveMinimum", .number(minimum)) }
        /// A string whose text is a JSON document of `schema` (an SSE event's `data`).
        func carryingJSON(_ schema: Schema) -> Schema {
            adding("contentMediaType", "application/json").adding("contentSchema", schema.json)
        }
        func defaulting(to value: JSON) -> Schema { adding("default", value) }
        func bounded(_ range: ClosedRange<Int>) -> Schema {
            adding("minimum", .integer(range.lowerBound)).adding("maximum", .integer(range.upperBound))
        }
        func bounded(_ range: ClosedRange<Double>) -> Schema {
            adding("minimum", .number(range.lowerBound)).adding("maximum", .number(range.upperBound))
        }
        /// An array of at least one item, whose first item is `first` (an argv's program).
        func startingWith(_ first: Schema) -> Schema {
            adding("prefixItems", [first.json]).adding("minItems", 1)
        }
        /// An object with exactly one of the alternatives: each names the property it requires and
        /// the properties that may not come with it. A property given as `null` counts as absent,
        /// as the server reads it.
        func exactlyOne(of alternatives: [(required: String, without: [String])]) -> Schema {
            func present(_ name: String) -> [String: JSON] {
                ["required": [.string(name)], "properties": [name: ["not": ["type": "null"]]]]
            }
            return adding(
                "oneOf",
                .array(
                    alternatives.map { alternative in
                        var fields = present(alternative.required)
                        fields["not"] = ["anyOf": .array(alternative.without.map { .object(present($0)) })]
                        return .object(fields)
                    }))
        }
        /// The same, or `null`: an optional field the server reads `null` for as if it were absent.
        var orNull: Schema { Schema(fields: ["anyOf": [json, ["type": "null"]]]) }

        private func adding(_ key: String, _ value: JSON) -> Schema {
            var fields = fields
            fields[key] = value
            return Schema(fields: fields)
        }
    }

    struct Parameter: Sendable {
        let json: JSON

        /// OpenAPI insists a path parameter be `required`; all of ours are strings.
        static func path(_ name: String, _ schema: Schema = .string) -> Parameter {
            Parameter(json: ["in": "path", "name": .string(name), "required": true, "schema": schema.json])
        }

        /// `required: nil` leaves the field out, which OpenAPI reads as `false`.
        static func query(_ name: String, _ schema: Schema, description: String? = nil, required: Bool? = nil) -> Parameter {
            var fields: [String: JSON] = ["in": "query", "name": .string(name), "schema": schema.json]
            if let description { fields["description"] = .string(description) }
            if let required { fields["required"] = .boolean(required) }
            return Parameter(json: .object(fields))
        }

        /// A request header the operation reads (`Prefer`, `X-Callback-URL`); never required.
        static func header(_ name: String, _ schema: Schema, description: String? = nil) -> Parameter {
            var fields: [String: JSON] = ["in": "header", "name": .string(name), "schema": schema.json]
            if let description { fields["description"] = .string(description) }
            return Parameter(json: .object(fields))
        }
    }

    /// A body of one media type, requested or returned.
    struct Content: Sendable {
        let mediaType: String
        let schema: Schema
        /// A request body the client may leave out (Sandcastle's CLI sends none to some endpoints).
        var isOptional = false

        static func json(_ schema: Schema) -> Content { Content(mediaType: "application/json", schema: schema) }
        static func optionalJSON(_ schema: Schema) -> Content { Content(mediaType: "application/json", schema: schema, isOptional: true) }
        static let bytes = Content(mediaType: "application/octet-stream", schema: .binary)
        static let plainText = Content(mediaType: "text/plain", schema: .string)
        /// Server-sent events; `event` describes one event as a client parses it (`event` and `data`).
        static func eventStream(_ event: Schema) -> Content { Content(mediaType: "text/event-stream", schema: event) }

        var json: JSON { [mediaType: ["schema": schema.json]] }
    }

    /// An operation's one successful response.
    struct Response: Sendable {
        let status: Int
        let description: String
        let content: Content?

        static func ok(_ description: String, _ content: Content) -> Response {
            Response(status: 200, description: description, content: content)
        }

        static func created(_ description: String, _ content: Content) -> Response {
            Response(status: 201, description: description, content: content)
        }

        static func switchingProtocols(_ description: String) -> Response {
            Response(status: 101, description: description, content: nil)
        }

        var json: JSON {
            guard let content else { return ["description": .string(description)] }
            return ["description": .string(description), "content": content.json]
        }
    }

    /// Error responses by status. Each has its own description; all have the `Error` body.
    ///
    /// Sets shared by many operations are named and combined with `+`; on a status both sides
    /// describe, the right-hand side wins, so a shared set can be specialised per operation.
    struct ErrorResponses: Sendable, ExpressibleByDictionaryLiteral {
        let descriptions: [Int: String]

        init(dictionaryLiteral elements: (Int, String)...) {
            descriptions = Dictionary(elements, uniquingKeysWith: { _, last in last })
        }

        private init(descriptions: [Int: String]) { self.descriptions = descriptions }

        static func + (lhs: ErrorResponses, rhs: ErrorResponses) -> ErrorResponses {
            ErrorResponses(descriptions: lhs.descriptions.merging(rhs.descriptions, uniquingKeysWith: { _, right in right }))
        }

        /// What the connection guard may answer to any request before it reaches its route
        /// (docs/server.md, "Connections and hostile clients"); the connection closes after each.
        static let connection: ErrorResponses = [
            408: "the request head, or a body the server waited for, stalled (`request_timeout`)",
            429: "this client address has too many connections open (`too_many_connections`)",
            431: "the request line and headers are too large (`request_head_too_large`)",
        ]

        /// Each with the native `Error` body, or `body` (a compatibility API's own error shape).
        func responses(body: Schema = .ref("Error")) -> [String: JSON] {
            descriptions.reduce(into: [:]) { responses, error in
                responses[String(error.key)] = Response(status: error.key, description: error.value, content: .json(body)).json
            }
        }
    }

    /// A link from an operation's success to another operation: its path parameters (and
    /// body) taken from the answer (`$response.body#/data/run_id`), so a fuzzer can chain them.
    struct Link: Sendable {
        let name: String
        let operationID: String
        let parameters: [String: String]
        var body: JSON?

        var json: JSON {
            var fields: [String: JSON] = ["operationId": .string(operationID), "parameters": .object(parameters.mapValues(JSON.string))]
            if let body { fields["requestBody"] = body }
            return .object(fields)
        }
    }

    struct Operation: Sendable {
        enum Method: String, Sendable { case get, put, post, patch, delete }

        let method: Method
        /// In OpenAPI's template form; each `{name}` becomes a required string path parameter.
        let path: String
        let tag: String
        let summary: String
        let query: [Parameter]
        /// A JSON body is required (an empty one is 400); raw bytes may be none at all (an empty file).
        let body: Content?
        let returns: Response
        let errors: ErrorResponses
        let needsKey: Bool
        /// Schemas of path parameters that are not just any string (a workspace's name).
        let pathSchemas: [String: Schema]
        /// The body of this operation's errors: the native `Error`, or a compatibility API's own.
        let errorBody: Schema
        /// The status of a JSON body that is not of this operation's shape: 400 natively, 422
        /// where the API copied is FastAPI's (Sandstorm's).
        let invalidBodyStatus: Int
        /// Error statuses whose body is not ``errorBody`` (Sandcastle's auth failures and rate
        /// limit come in shapes of their own).
        let statusBodies: [Int: Schema]
        /// Response headers by status (`Retry-After`, `X-RateLimit-*`).
        let headers: [Int: [String: Schema]]
        /// The operation's `operationId`, which links name.
        let operationID: String?
        /// Links from the success answer.
        let links: [Link]
        /// Successes besides ``returns`` (a call answered at once with `Prefer: respond-async`).
        var alsoReturns: [Response] = []

        init(
            _ method: Method, _ path: String, tag: String, summary: String, pathSchemas: [String: Schema] = [:],
            query: [Parameter] = [], body: Content? = nil, returns: Response, errors: ErrorResponses = [:],
            needsKey: Bool = true, errorBody: Schema = .ref("Error"), invalidBodyStatus: Int = 400,
            statusBodies: [Int: Schema] = [:], headers: [Int: [String: Schema]] = [:], operationID: String? = nil, links: [Link] = []
        ) {
            self.operationID = operationID
            self.links = links
            self.statusBodies = statusBodies
            self.headers = headers
            self.errorBody = errorBody
            self.invalidBodyStatus = invalidBodyStatus
            self.method = method
            self.path = path
            self.tag = tag
            self.summary = summary
            self.query = query
            self.body = body
            self.returns = returns
            self.errors = errors
            self.needsKey = needsKey
            self.pathSchemas = pathSchemas
        }

        private var pathParameters: [Parameter] {
            path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }
                .map { segment in
                    let name = String(segment.dropFirst().dropLast())
                    return .path(name, pathSchemas[name] ?? .string)
                }
        }

        /// The errors every operation of this shape can answer, whatever it does: no key or a
        /// bad one, a body that is not JSON for it or is too large, a failure inside the server.
        /// An operation's own ``errors`` refine these (their descriptions win).
        private var sharedErrors: ErrorResponses {
            var shared: ErrorResponses = [:]
            if needsKey {
                shared = shared + [401: "missing or invalid API key (`unauthorized`)", 500: "a failure the client cannot fix (`internal`)"]
            }
            if let body {
                shared = shared + [413: "the body is larger than the server accepts (`body_too_large`)"]
                if body.mediaType == "application/json" {
                    shared = shared + [invalidBodyStatus: "the body is not JSON of this shape, or a field is invalid (`invalid_input`)"]
                }
            }
            return shared
        }

        var json: JSON {
            // The connection guard answers below any route, always in the native shape.
            var responses = ErrorResponses.connection.responses()
            responses.merge((sharedErrors + errors).responses(body: errorBody)) { _, own in own }
            responses[String(returns.status)] = returns.json
            for other in alsoReturns { responses[String(other.status)] = other.json }
            for (status, body) in statusBodies {
                let description = (sharedErrors + errors).descriptions[status] ?? ErrorResponses.connection.descriptions[status] ?? "an error"
                responses[String(status)] = Response(status: status, description: description, content: .json(body)).json
            }
            if !links.isEmpty, case .object(var response)? = responses[String(returns.status)] {
                response["links"] = .object(Dictionary(links.map { ($0.name, $0.json) }, uniquingKeysWith: { _, last in last }))
                responses[String(returns.status)] = .object(response)
            }
            for (status, fields) in headers {
                guard case .object(var response)? = responses[String(status)] else { continue }
                response["headers"] = .object(fields.mapValues { ["schema": $0.json] })
                responses[String(status)] = .object(response)
            }
            var fields: [String: JSON] = ["summary": .string(summary), "tags": [.string(tag)], "responses": .object(responses)]
            if let operationID { fields["operationId"] = .string(operationID) }
            let parameters = pathParameters + query
            if !parameters.isEmpty { fields["parameters"] = .array(parameters.map(\.json)) }
            if let body { fields["requestBody"] = ["content": body.json, "required": .boolean(body.mediaType == "application/json" && !body.isOptional)] }
            // An empty list overrides the document's default security: no key asked.
            if !needsKey { fields["security"] = [] }
            return .object(fields)
        }
    }

    /// The `paths` object: operations grouped by path, keyed by method.
    static func paths(_ operations: [Operation]) -> JSON {
        .object(
            Dictionary(grouping: operations, by: \.path).mapValues { operations in
                .object(Dictionary(operations.map { ($0.method.rawValue, $0.json) }, uniquingKeysWith: { _, last in last }))
            })
    }

    /// The `components/schemas` object, from one or more lists of named schemas.
    static func schemas(_ parts: KeyValuePairs<String, Schema>...) -> JSON {
        .object(Dictionary(parts.flatMap { $0.map { ($0.key, $0.value.json) } }, uniquingKeysWith: { _, last in last }))
    }
}
