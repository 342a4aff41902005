import Foundation
import InferWireCore
import InferWireProtocol
import InferenceService
import ProtoWire
import Testing
@testable import inferwire

/// health, models and infer, run in process against a loopback server with an echo model.
@Suite("inferwire client commands", .timeLimit(.minutes(2)))
struct ClientCommandTests {
    @Test("health: live and ready, model ready, exit 0; a missing model exits 1")
    func health() async throws {
        try await EchoServer.with { (server: EchoServer) async throws in
            let port = "\(server.port)"

            let ready = try await runCommand(["health", "--port", port, "--model", "echo"])
            #expect(ready.exitCode == 0)
            #expect(ready.lines == ["server live: true", "server ready: true", "model echo ready: true"])

            let missing = try await runCommand(["health", "--port", port, "--model", "missing"])
            #expect(missing.exitCode == 1)
            #expect(missing.lines.last == "model missing ready: false")

            let json = try await runCommand(["health", "--port", port, "--json"])
            #expect(json.output == #"{"live":true,"ready":true,"healthy":true}"#)
        }
    }

    @Test("models index, unload, load")
    func models() async throws {
        try await EchoServer.with { (server: EchoServer) async throws in
            let port = "\(server.port)"

            #expect(try await runCommand(["models", "--port", port]).lines == [
                "NAME  VERSION  STATE  REASON",
                "echo  -        READY",
            ])
            #expect(try await runCommand(["models", "unload", "echo", "--port", port]).output == "unloaded echo")
            #expect(try await runCommand(["models", "index", "--port", port]).lines == [
                "NAME  VERSION  STATE        REASON",
                "echo  -        UNAVAILABLE  unloaded",
            ])
            let notReady = await expectFailure(["infer", "echo", "--port", port, "--input", "a=b"], exitCode: 1, code: "UNAVAILABLE")
            #expect(notReady?.message.contains("not ready") == true)
            #expect(try await runCommand(["models", "load", "echo", "--port", port]).output == "loaded echo")
            #expect(try await runCommand(["models", "index", "--port", port, "--json"]).output
                == #"{"models":[{"name":"echo","version":"","state":"READY","reason":""}]}"#)
            _ = await expectFailure(["models", "load", "nope", "--port", port], exitCode: 1, code: "NOT_FOUND")
        }
    }

    @Test("infer --input prints each BYTES element as text")
    func inferText() async throws {
        try await EchoServer.with { (server: EchoServer) async throws in
            let result = try await runCommand([
                "infer", "echo", "--port", "\(server.port)", "--input", "text=hello wörld", "--input", "b=x=y", "--id", "r1",
            ])
            #expect(result.exitCode == 0)
            #expect(result.lines == [
                "model echo id r1",
                "output text BYTES [1]",
                "  [0] hello wörld",
                "output b BYTES [1]",
                "  [0] x=y",
            ])

            let file = FileManager.default.temporaryDirectory.appendingPathComponent("blob-\(UUID().uuidString).bin")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data([0xFF, 0xD8, 0xFF, 0x00, 0x80, 0x41]).write(to: file)
            let binary = try await runCommand([
                "infer", "echo", "--port", "\(server.port)", "--file", file.path, "--type", "application/octet-stream", "--id", "r2",
            ])
            #expect(binary.lines == [
                "model echo id r2",
                "output file BYTES [1] content_type=application/octet-stream",
                "  [0] <6 bytes>",
            ])
        }
    }

    @Test("infer --request: BYTES, numbers, BOOL and nested data; --json is the V2 REST response")
    func inferRequestFile() async throws {
        try await EchoServer.with { (server: EchoServer) async throws in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("request-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data("""
                {"id": "req-1", "parameters": {"temperature": 0.5},
                 "inputs": [
                  {"name": "prompt", "shape": [2], "datatype": "BYTES", "data": ["hello", "wörld"]},
                  {"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2.5], [3, -4]]},
                  {"name": "n", "shape": [3], "datatype": "INT64", "data": [1, -2, 9007199254740993]},
                  {"name": "u", "shape": [2], "datatype": "UINT8", "data": [0, 255]},
                  {"name": "mask", "shape": [2], "datatype": "BOOL", "data": [true, false]}
                 ]}
                """.utf8).write(to: file)
            let port = "\(server.port)"

            let text = try await runCommand(["infer", "echo", "--port", port, "--request", file.path])
            #expect(text.lines == [
                "model echo id req-1",
                "output prompt BYTES [2]", "  [0] hello", "  [1] wörld",
                "output x FP32 [2, 2]", "  1.0 2.5 3.0 -4.0",
                "output n INT64 [3]", "  1 -2 9007199254740993",
                "output u UINT8 [2]", "  0 255",
                "output mask BOOL [2]", "  true false",
            ])

            let json = try await runCommand(["infer", "echo", "--port", port, "--request", file.path, "--json"])
            #expect(json.output == #"{"model_name":"echo","model_version":"","id":"req-1","parameters":{},"outputs":["#
                + #"{"name":"prompt","datatype":"BYTES","shape":[2],"data":["hello","wörld"]},"#
                + #"{"name":"x","datatype":"FP32","shape":[2,2],"data":[1.0,2.5,3.0,-4.0]},"#
                + #"{"name":"n","datatype":"INT64","shape":[3],"data":[1,-2,9007199254740993]},"#
                + #"{"name":"u","datatype":"UINT8","shape":[2],"data":[0,255]},"#
                + #"{"name":"mask","datatype":"BOOL","shape":[2],"data":[true,false]}]}"#)
        }
    }

    @Test("the request the flags build: raw BYTES layout, content_type, typed parameters")
    func builtRequest() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("photo-\(UUID().uuidString).jpg")
        defer { try? FileManager.default.removeItem(at: file) }
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0x00, 0x80, 0x41]
        try Data(bytes).write(to: file)
        let command = try #require(try Inferwire.parseAsRoot([
            "infer", "vision", "--input", "prompt=what is this?", "--file", file.path, "--type", "image/jpeg",
            "--file-input", "image", "--parameter", "max_tokens=16", "--parameter", "temperature=0.2",
            "--parameter", "stream=true", "--parameter", "name=bob", "--parameter", #"schema={"a":1}"#,
        ]) as? InferCommand)
        let request = try command.buildRequest()
        #expect(request.modelName == "vision")
        #expect(request.inputs.map(\.name) == ["prompt", "image"])
        #expect(request.inputs.map(\.datatype) == ["BYTES", "BYTES"])
        #expect(request.inputs.map(\.shape) == [[1], [1]])
        #expect(request.inputs[1].parameters == ["content_type": .string("image/jpeg")])
        #expect(request.inputs[0].parameters.isEmpty)
        #expect(Array(request.rawInputContents[0].readableBytesView) == [13, 0, 0, 0] + Array("what is this?".utf8))
        #expect(Array(request.rawInputContents[1].readableBytesView) == [6, 0, 0, 0] + bytes)
        #expect(request.parameters == [
            "max_tokens": .int64(16), "temperature": .double(0.2), "stream": .bool(true),
            "name": .string("bob"), "schema": .string(#"{"a":1}"#),
        ])
        #expect(InferRequestBuilder.parameter("-3") == .int64(-3))
        #expect(InferRequestBuilder.parameter("1e3") == .double(1000))
        #expect(InferRequestBuilder.parameter("nan") == .string("nan"))
        #expect(InferRequestBuilder.parameter("True") == .string("True"))
    }

    @Test("infer --stream prints every response as it arrives")
    func stream() async throws {
        try await EchoServer.with { (server: EchoServer) async throws in
            let port = "\(server.port)"
            let result = try await runCommand([
                "infer", "echo", "--port", port, "--input", "prompt=hi", "--stream", "--parameter", "stream_count=3", "--id", "s",
            ])
            let block = ["model echo id s", "output prompt BYTES [1]", "  [0] hi"]
            #expect(result.lines == ["response 1:"] + block + ["response 2:"] + block + ["response 3:"] + block)

            let json = try await runCommand([
                "infer", "echo", "--port", port, "--input", "prompt=hi", "--stream", "--parameter", "stream_count=2", "--json", "--id", "s",
            ])
            let line = #"{"model_name":"echo","model_version":"","id":"s","parameters":{},"outputs":[{"name":"prompt","datatype":"BYTES","shape":[1],"data":["hi"]}]}"#
            #expect(json.lines == [line, line])
        }
    }

    @Test("errors: server status exits 1, no server exits 2, bad input exits 64, timeout")
    func errors() async throws {
        let server = try await EchoServer.start()
        let port = "\(server.port)"
        let missing = await expectFailure(["infer", "missing", "--port", port, "--input", "a=b"], exitCode: 1, code: "NOT_FOUND")
        #expect(missing?.description == "NOT_FOUND: model 'missing' not found")
        _ = await expectFailure(["infer", "echo", "--port", port, "--input", "a=b", "--parameter", "delay_ms=3000", "--timeout", "0.2"],
                                exitCode: 1, code: "DEADLINE_EXCEEDED")
        _ = await expectFailure(["infer", "echo", "--port", port], exitCode: 64, code: "INVALID_ARGUMENT")
        _ = await expectFailure(["infer", "echo", "--port", port, "--input", "novalue"], exitCode: 64, code: "INVALID_ARGUMENT")
        _ = await expectFailure(["infer", "echo", "--port", port, "--request", "/nonexistent/request.json"], exitCode: 64, code: "INVALID_ARGUMENT")
        #expect(throws: (any Error).self) { try Inferwire.parseAsRoot(["infer", "echo", "--file", "x.jpg"]) }
        await server.stop()

        // Nobody listens on the port any more.
        let refused = await expectFailure(["health", "--port", port], exitCode: 2, code: "UNAVAILABLE")
        #expect(refused?.message.contains("cannot connect to 127.0.0.1:\(port)") == true)
    }

    @Test("serve settings: defaults, then file, then environment, then flags")
    func serveSettings() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"host": "10.0.0.1", "binary_port": 9001, "model_repository_root": "/file", "drain_timeout": 5}"#.utf8).write(to: file)

        let defaults = try #require(try Inferwire.parseAsRoot(["serve"]) as? ServeCommand).resolveSettings(environment: [:])
        #expect(defaults == ServerSettings())

        let fileOnly = try #require(try Inferwire.parseAsRoot(["serve", "--settings", file.path]) as? ServeCommand)
            .resolveSettings(environment: [:])
        #expect(fileOnly.host == "10.0.0.1")
        #expect(fileOnly.binaryPort == 9001)
        #expect(fileOnly.drainTimeoutSeconds == 5)

        let environment = ["INFERWIRE_BINARY_PORT": "9002", "MLSERVER_MODEL_REPOSITORY_ROOT": "/env"]
        let withEnvironment = try #require(try Inferwire.parseAsRoot(["serve", "--settings", file.path]) as? ServeCommand)
            .resolveSettings(environment: environment)
        #expect(withEnvironment.binaryPort == 9002)
        #expect(withEnvironment.modelRepositoryRoot == "/env")
        #expect(withEnvironment.host == "10.0.0.1")

        let withFlags = try #require(try Inferwire.parseAsRoot([
            "serve", "--settings", file.path, "--port", "9003", "--repository", "/flag", "--host", "127.0.0.1",
        ]) as? ServeCommand).resolveSettings(environment: environment)
        #expect(withFlags.binaryPort == 9003)
        #expect(withFlags.modelRepositoryRoot == "/flag")
        #expect(withFlags.host == "127.0.0.1")
        #expect(withFlags.drainTimeoutSeconds == 5)

        #expect(throws: CLIError.self) {
            try #require(try Inferwire.parseAsRoot(["serve"]) as? ServeCommand)
                .resolveSettings(environment: ["INFERWIRE_BINARY_PORT": "http"])
        }
    }

    @Test("client port: flag, else INFERWIRE_BINARY_PORT, else 8083")
    func clientPort() throws {
        let options = try ClientOptions.parse([])
        #expect(try options.resolvedPort(environment: [:]) == 8083)
        #expect(try options.resolvedPort(environment: ["INFERWIRE_BINARY_PORT": "9100"]) == 9100)
        #expect(try ClientOptions.parse(["--port", "9200"]).resolvedPort(environment: ["INFERWIRE_BINARY_PORT": "9100"]) == 9200)
        #expect(throws: CLIError.self) { try options.resolvedPort(environment: ["INFERWIRE_BINARY_PORT": "x"]) }
    }

    @Test("exit codes: a lost connection (raised by the client library) is 2, a server's UNAVAILABLE is 1")
    func exitCodes() {
        #expect(CLIError.from(InferenceError.connectionLost("connection closed")).exitCode == 2)
        #expect(CLIError.from(InferenceError.connectionLost("server sent GOAWAY (OK): draining")).exitCode == 2)
        // The same text from the server is a server status.
        #expect(CLIError.from(InferenceError(.unavailable, "connection closed")).exitCode == 1)
        #expect(CLIError.from(InferenceError(.unavailable, "model 'echo' is not ready (UNAVAILABLE: unloaded)")).exitCode == 1)
        #expect(CLIError.from(InferenceError(.notFound, "model 'x' not found")).description == "NOT_FOUND: model 'x' not found")
    }
}
