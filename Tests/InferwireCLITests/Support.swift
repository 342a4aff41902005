import ArgumentParser
import Foundation
import InferenceService
import NIOCore
import NIOPosix
import Providers
import TestSupport
import Testing
@testable import inferwire

/// A temporary model repository with an `echo` model, served in process on 127.0.0.1 with an
/// ephemeral port.
struct EchoServer {
    let server: InferWireServer
    let port: Int
    let repository: URL

    static func makeRepository() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("inferwire-cli-\(UUID().uuidString)")
        let echo = root.appendingPathComponent("echo")
        try FileManager.default.createDirectory(at: echo, withIntermediateDirectories: true)
        try Data(#"{"name":"echo","implementation":"echo"}"#.utf8).write(to: echo.appendingPathComponent("model-settings.json"))
        return root
    }

    static func start() async throws -> EchoServer {
        let repository = try makeRepository()
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.binaryPort = 0
        settings.modelRepositoryRoot = repository.path
        // Any other listener the server grows (the metrics server) gets an ephemeral port too.
        try settings.apply(environment: ["MLSERVER_METRICS_PORT": "0"])
        let server = try await InferWireServer.start(settings: settings)
        let port = try #require(server.server.localAddress?.port)
        return EchoServer(server: server, port: port, repository: repository)
    }

    /// Runs `body` with a fresh server and stops it afterwards, whatever happens.
    static func with(_ body: (EchoServer) async throws -> Void) async throws {
        let server = try await start()
        do {
            try await body(server)
            await server.stop()

        } catch {
            await server.stop()
            throw error
        }
    }

    func stop() async {
        await server.server.shutdown(timeout: .seconds(2))
        try? FileManager.default.removeItem(at: repository)
    }
}

/// What a command printed and returned.
struct CommandResult {
    var exitCode: Int32
    var output: String
    var lines: [String]
}

/// Parses `arguments` like the shell would and runs the command's `execute` against a
/// collector. Failures come back as `CLIError` with the exit code the shell would see.
func runCommand(_ arguments: [String]) async throws -> CommandResult {
    let command = try Inferwire.parseAsRoot(arguments)
    let output = CollectedOutput()
    let code: Int32
    do {
        switch command {
        case let command as HealthCommand: code = try await command.execute(output)
        case let command as ModelsCommand.Index: code = try await command.execute(output)
        case let command as ModelsCommand.Load: code = try await command.execute(output)
        case let command as ModelsCommand.Unload: code = try await command.execute(output)
        case let command as InferCommand: code = try await command.execute(output)
        case let command as LoadCommand: code = try await command.execute(output, progress: nil)
        default:
            Issue.record("no execute for \(type(of: command))")
            code = -1
        }
    } catch {
        throw CLIError.from(error)
    }
    return CommandResult(exitCode: code, output: output.text, lines: output.lines)
}

/// Expects the command to fail with this exit code and status name.
func expectFailure(
    _ arguments: [String], exitCode: Int32, code: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> CLIError? {
    do {
        let result = try await runCommand(arguments)
        Issue.record("expected \(code), got success: \(result.output)", sourceLocation: sourceLocation)
        return nil
    } catch let error as CLIError {
        #expect(error.exitCode == exitCode, "\(error)", sourceLocation: sourceLocation)
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected CLIError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

// MARK: - The built binary

/// The `inferwire` executable next to the test bundle (or in an ancestor folder), if built.
func inferwireBinary() -> URL? {
    var starts: [URL] = []
    if let executable = Bundle.main.executableURL { starts.append(executable) }
    starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL)
    starts.append(Bundle.main.bundleURL)
    for start in starts {
        var directory = start.deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("inferwire")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
    }
    return nil
}

/// A running (or finished) `inferwire` process whose output goes to temporary files (no pipe
/// can fill up and block it).
final class BinaryProcess {
    let process: SpawnedProcess
    let stdoutURL: URL
    let stderrURL: URL

    /// `environment` is laid over the test's own, after the provider keys were taken out.
    init(_ binary: URL, _ arguments: [String], stdin: Data? = nil, environment overlay: [String: String] = [:]) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("inferwire-proc-\(UUID().uuidString)")
        stdoutURL = base.appendingPathExtension("out")
        stderrURL = base.appendingPathExtension("err")
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "INFERWIRE_BINARY_PORT")
        // The metrics server's default port (8082) may be taken by another test run.
        environment["MLSERVER_METRICS_PORT"] = "0"
        environment["MLSERVER_HTTP_PORT"] = "0"  // likewise MLServer's REST and gRPC ports (8080, 8081)
        environment["MLSERVER_GRPC_PORT"] = "0"
        // Tests never reach a real provider, whatever keys the machine has.
        for names in APIKeys.environmentNames.values { for name in names { environment.removeValue(forKey: name) } }
        environment.removeValue(forKey: GoogleAuthorization.credentialsVariable)
        environment.removeValue(forKey: GoogleAuthorization.accessTokenVariable)
        environment.merge(overlay) { $1 }
        var input: String?
        if let stdin {
            let file = base.appendingPathExtension("in")
            try stdin.write(to: file)
            input = file.path
        }
        process = try SpawnedProcess(
            executable: binary.path, arguments: arguments, environment: environment, stdin: input,
            stdout: stdoutURL.path, stderr: stderrURL.path)
    }

    var stdout: Data { (try? Data(contentsOf: stdoutURL)) ?? Data() }
    var stderr: String { String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self) }

    /// Waits for the exit; false if it is still running after `timeout`.
    func waitForExit(timeout: Duration) async throws -> Bool {
        try await process.waitForExit(timeout: timeout)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: stdoutURL)
        try? FileManager.default.removeItem(at: stderrURL)
    }
}

/// Runs the binary to completion (at most `timeout`).
func runBinary(
    _ binary: URL, _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], timeout: Duration = .seconds(30)
) async throws -> (status: Int32, stdout: Data, stderr: String) {
    let running = try BinaryProcess(binary, arguments, stdin: stdin, environment: environment)
    guard try await running.waitForExit(timeout: timeout) else {
        Issue.record("inferwire \(arguments) still running after \(timeout)")
        return (-1, running.stdout, running.stderr)
    }
    return (running.process.terminationStatus, running.stdout, running.stderr)
}

/// A loopback port nobody listens on right now, bound and then released for a process to take.
/// Picked at random below Linux's ephemeral range (32768 and up): a port handed out there could
/// be taken, between this release and the process's bind, by anything on the machine that binds
/// port 0 or connects out (which happened: another server got it, and the test talked to that).
func freePort() async throws -> Int {
    for _ in 0..<100 {
        let candidate = Int.random(in: 20_000..<32_000)
        guard let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: candidate).get()
        else { continue }
        try await channel.close()
        return candidate
    }
    throw ChildProcess.Missing(description: "no free port in 20000..<32000 after 100 tries")
}
