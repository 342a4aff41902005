import ArgumentParser
import InferWireCore
import InferWireProtocol
import Providers

/// A failure the CLI reports as "error: CODE: message" and turns into an exit code.
struct CLIError: Error, CustomStringConvertible {
    /// The status name printed (gRPC style: UNAVAILABLE, INVALID_ARGUMENT, NOT_FOUND, ...).
    var code: String
    var message: String
    var exitCode: Int32

    var description: String { "\(code): \(message)" }

    /// Exit codes: 1 server error, 2 connection failure, 64 bad argument or input file.
    static let serverErrorExit: Int32 = 1
    static let connectionExit: Int32 = 2
    static let usageExit: Int32 = 64

    static func usage(_ message: String) -> CLIError {
        CLIError(code: "INVALID_ARGUMENT", message: message, exitCode: usageExit)
    }

    static func unavailable(_ message: String) -> CLIError {
        CLIError(code: "UNAVAILABLE", message: message, exitCode: connectionExit)
    }

    /// Maps whatever a command threw: server status errors exit 1, transport errors exit 2.
    static func from(_ error: Error) -> CLIError {
        switch error {
        case let error as CLIError: error
        case let error as InferenceError where isTransportFailure(error):
            CLIError(code: error.code.description, message: error.message, exitCode: connectionExit)
        case let error as InferenceError:
            CLIError(code: error.code.description, message: error.message, exitCode: serverErrorExit)
        // Upstream providers (the tune commands): unreachable is a connection failure.
        case let error as ProviderError:
            CLIError(code: error.code.rawValue, message: error.message, exitCode: error.code == .unavailable ? connectionExit : serverErrorExit)
        case let error as TuningDataset.Invalid:
            CLIError.usage(error.description)
        default:
            CLIError.unavailable("connection to the server failed: \(error)")
        }
    }
}

extension CLIError {
    /// A lost connection: UNAVAILABLE raised by the client library itself (marked in its
    /// details), as opposed to a status the server sent.
    static func isTransportFailure(_ error: InferenceError) -> Bool {
        error.isConnectionFailure
    }
}

/// Runs a command body for the shell: prints its results, reports a failure on standard error
/// and exits with the command's code.
func runForShell(_ body: (CommandOutput) async throws -> Int32) async throws {
    let code: Int32
    do {
        code = try await body(StandardOutput())
    } catch let error as ExitCode {
        throw error
    } catch {
        let failure = CLIError.from(error)
        printError("error: \(failure)")
        throw ExitCode(failure.exitCode)
    }
    if code != 0 { throw ExitCode(code) }
}
