import Foundation
import Testing

@testable import DockerEngine

@Suite struct ModelTests {
    @Test func nilFieldsAreOmittedAndKeysArePascalCase() throws {
        var config = ContainerConfig(image: "img")
        config.cmd = ["sh"]
        var host = HostConfig()
        host.capDrop = ["ALL"]
        host.initProcess = true
        host.mounts = [Mount(type: .tmpfs, target: "/tmp", tmpfsOptions: TmpfsOptions(sizeBytes: 1024, mode: 0o1777))]
        config.hostConfig = host
        let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(!json.contains("null"))
        #expect(json.contains("\"Image\":\"img\""))
        #expect(json.contains("\"CapDrop\":[\"ALL\"]"))
        #expect(json.contains("\"Init\":true"))
        #expect(json.contains("\"Type\":\"tmpfs\""))
        #expect(json.contains("\"SizeBytes\":1024"))
        #expect(!json.contains("Entrypoint"))
    }

    @Test func decodesAnInspectWithNulls() throws {
        let json = """
            {"Id":"abc","Name":"/x","State":{"Status":"exited","Running":false,"Paused":false,"Restarting":false,"OOMKilled":true,
             "Dead":false,"Pid":0,"ExitCode":137,"Error":"","StartedAt":"2024-01-01T00:00:00Z","FinishedAt":"2024-01-01T00:00:01Z"},
             "Config":{"Image":"img","Cmd":null,"Entrypoint":null,"Env":["A=1"],"Labels":null,"Tty":false},
             "HostConfig":{"CapAdd":null,"Memory":0,"Mounts":[{"Type":"volume","Target":"/w","VolumeOptions":{}}],"LogConfig":{"Type":"none","Config":{}}}}
            """
        let inspect = try JSONDecoder().decode(ContainerInspect.self, from: Data(json.utf8))
        #expect(inspect.state.oomKilled)
        #expect(inspect.state.exitCode == 137)
        #expect(inspect.config?.cmd == nil)
        #expect(inspect.hostConfig?.mounts?.first?.type == .volume)
        #expect(inspect.hostConfig?.logConfig?.type == "none")
    }

    @Test func filtersEncodeAsJSON() {
        var filters = DockerFilters.label("sandcastle.managed", "true")
        filters.add("type", "container")
        #expect(filters.queryValue == #"{"label":["sandcastle.managed=true"],"type":["container"]}"#)
        #expect(DockerFilters().queryValue == nil)
        #expect(jsonText("a\"b\\c\n") == #""a\"b\\c\n""#)
    }

    @Test func versionNegotiation() {
        #expect(DockerClient.negotiatedVersion(server: "1.41") == "1.41")
        #expect(DockerClient.negotiatedVersion(server: "1.52") == "1.47")
        #expect(DockerClient.negotiatedVersion(server: "1.47") == "1.47")
        #expect(DockerClient.compareVersions("1.9", "1.41") < 0)
    }

    @Test func timestampsUseSecondsDotNanoseconds() {
        #expect(DockerClient.timestamp(Date(timeIntervalSince1970: 1_700_000_000.5)) == "1700000000.500000000")
        #expect(DockerClient.timestamp(Date(timeIntervalSince1970: 12)) == "12.000000000")
    }

    @Test func lineSplitterHandlesSplitsAndCRLF() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Array("{\"a\":1}\r\n{\"b\"".utf8)).map { Array($0) } == [Array("{\"a\":1}".utf8)])
        #expect(splitter.feed(Array(":2}\n\n".utf8)).map { Array($0) } == [Array("{\"b\":2}".utf8), []])
        #expect(splitter.feed(Array("tail".utf8)).isEmpty)
        #expect(splitter.flush().map(Array.init) == Array("tail".utf8))
    }

    @Test func progressMessagesDecodeLeniently() throws {
        let decoder = JSONDecoder()
        let aux = try decoder.decode(ProgressMessage.self, from: Data(#"{"aux":{"ID":"sha256:abc"}}"#.utf8))
        #expect(aux.auxID == "sha256:abc")
        let error = try decoder.decode(ProgressMessage.self, from: Data(#"{"errorDetail":{"code":1,"message":"boom"},"error":"boom"}"#.utf8))
        #expect(error.errorMessage == "boom")
        let odd = try decoder.decode(ProgressMessage.self, from: Data(#"{"aux":[1,2],"progressDetail":{},"status":"x"}"#.utf8))
        #expect(odd.auxID == nil)
        #expect(odd.status == "x")
    }

    @Test func engineErrorBodiesKeepTheMessage() {
        let notFound = DockerError.fromResponse(status: 404, body: Array(#"{"message":"No such image: nope:latest"}"#.utf8), request: "x")
        #expect(notFound.code == .notFound)
        #expect(notFound.message == "No such image: nope:latest")
        #expect(notFound.statusCode == 404)
        let notRunning = DockerError.fromResponse(status: 409, body: Array(#"{"message":"Container abc is not running"}"#.utf8), request: "x")
        #expect(notRunning.code == .notRunning)
        let conflict = DockerError.fromResponse(status: 409, body: Array(#"{"message":"name in use"}"#.utf8), request: "x")
        #expect(conflict.code == .conflict)
        let plain = DockerError.fromResponse(status: 500, body: Array("page not found\n".utf8), request: "x")
        #expect(plain.code == .server)
        #expect(plain.message == "page not found")
    }
}
