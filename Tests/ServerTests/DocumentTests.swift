import Foundation
import Metrics
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

@Suite struct DocumentTests {
    /// The OpenAPI document and the registered routes must match exactly.
    @Test func everyRegisteredRouteIsInTheOpenAPIDocumentAndNothingElse() throws {
        let server = try SandcastleServer(configuration: ServerFixture.configuration(open: true), dependencies: ServerFixture.fake())
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        let registered = Set(server.routes.filter(\.native).map { "\($0.method) \($0.openAPIPath)" })
        #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered).sorted())")
        #expect(registered.count == server.routes.filter(\.native).count, "no route registered twice")
    }

    /// The `$ref`s of an OpenAPI document that name no schema, and the schemas no `$ref` names
    /// (shared by the native and `/api` documents' tests).
    static func referenceProblems(_ document: [String: Any]) throws -> (unresolved: Set<String>, unreferenced: Set<String>) {
        let components = try #require(document["components"] as? [String: Any])
        let schemas = Set(try #require(components["schemas"] as? [String: Any]).keys)
        var referenced: Set<String> = []
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                if let ref = object["$ref"] as? String { referenced.insert(ref) }
                object.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document)
        let prefix = "#/components/schemas/"
        let unresolved = referenced.filter { !$0.hasPrefix(prefix) || !schemas.contains(String($0.dropFirst(prefix.count))) }
        return (unresolved, schemas.subtracting(referenced.map { String($0.dropFirst(prefix.count)) }))
    }

    /// A `$ref` to a missing schema would only show in a client generator; an unreferenced
    /// schema is a shape nothing returns or accepts any more.
    @Test func everyReferenceResolvesAndEverySchemaIsReferenced() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let (unresolved, unreferenced) = try DocumentTests.referenceProblems(document)
        #expect(unresolved.isEmpty, "unresolved: \(unresolved.sorted())")
        #expect(unreferenced.isEmpty, "never referenced: \(unreferenced.sorted())")
    }

    @Test func metricsRenderThePrometheusSeries() {
        let metrics = ServerMetrics()
        // The series SandboxService declares, by the names dashboards know them by.
        let execDuration = Metrics.Timer(label: "sandcastle_exec_duration_seconds", factory: metrics.factory)
        execDuration.record(duration: .milliseconds(3))
        execDuration.record(duration: .seconds(2))
        metrics.recordError(.atCapacity)
        Counter(label: "sandcastle_sandboxes_created_total", dimensions: [("source", "pool")], factory: metrics.factory).increment()
        let text = metrics.render(
            sandboxes: ["running": 2],
            pools: [
                PoolFigures(image: "base", profile: "default", target: 2, ready: 1, hits: 5, misses: 1)
            ])
        #expect(text.contains("sandcastle_sandboxes_active{status=\"running\"} 2"))
        #expect(text.contains("sandcastle_exec_duration_seconds_bucket{le=\"0.005\"} 1"))
        #expect(text.contains("sandcastle_exec_duration_seconds_bucket{le=\"+Inf\"} 2"))
        #expect(text.contains("sandcastle_exec_duration_seconds_count 2"))
        #expect(text.contains("sandcastle_errors_total{code=\"at_capacity\"} 1"))
        #expect(text.contains("sandcastle_pool_hits_total{image=\"base\",profile=\"default\"} 5"))
        #expect(text.contains("sandcastle_sandboxes_created_total{source=\"pool\"} 1"))
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "\(line)")
        }
    }
}

@Suite struct LoggingTests {
    @Test func jsonLogLinesCarryMetadataAsFields() throws {
        var handler = JSONLogHandler(label: "t")
        handler[metadataKey: "hb.request.id"] = "abc"
        #expect(handler[metadataKey: "hb.request.id"] == "abc")
        #expect(JSONLogHandler.plain(.array([.string("a"), .stringConvertible(3)])) as? [String] == ["a", "3"])
    }
}
