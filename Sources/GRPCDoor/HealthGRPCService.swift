import GRPCCore
import InferWireCore
import InferenceService
import NIOConcurrencyHelpers
import ProtoWire

/// `grpc.health.v1.Health`, so that Kubernetes' gRPC probes (and `grpc_health_probe`) work
/// without a token, as the HTTP door's health routes do. The server ("") and
/// `inference.GRPCInferenceService` are SERVING when every model is ready (the V2 ServerReady
/// answer), NOT_SERVING otherwise and from the moment a drain begins; any other name is
/// NOT_FOUND for Check and SERVICE_UNKNOWN for Watch. Watch sends the status, then each change;
/// a drain ends it (with NOT_SERVING) so it never holds the drain open.
struct HealthGRPCService: RegistrableRPCService {
    let dataPlane: DataPlane
    let draining: DrainFlag

    static let service = "grpc.health.v1.Health"
    /// How often Watch looks at readiness (a probe period is seconds).
    static let watchInterval = Duration.milliseconds(200)

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: Self.service, method: "Check"),
            deserializer: ProtoWireDeserializer<HealthCheckRequest>(limits: .default),
            serializer: ProtoWireSerializer<HealthCheckResponse>()
        ) { request, _ in
            let single = try await ServerRequest(stream: request)
            guard let status = await status(of: single.message.service) else {
                return StreamingServerResponse(error: RPCError(code: .notFound, message: "unknown service \(single.message.service)"))
            }
            return StreamingServerResponse(single: ServerResponse(message: HealthCheckResponse(status: status)))
        }
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: Self.service, method: "Watch"),
            deserializer: ProtoWireDeserializer<HealthCheckRequest>(limits: .default),
            serializer: ProtoWireSerializer<HealthCheckResponse>()
        ) { request, _ in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse { writer in
                var sent: HealthCheckResponse.ServingStatus?
                while !Task.isCancelled {
                    let status = await status(of: single.message.service) ?? .serviceUnknown
                    if status != sent {
                        try await writer.write(HealthCheckResponse(status: status))
                        sent = status
                    }
                    if draining.isSet { break }
                    try? await Task.sleep(for: Self.watchInterval)
                }
                return [:]
            }
        }
    }

    private func status(of service: String) async -> HealthCheckResponse.ServingStatus? {
        guard service.isEmpty || service == InferenceGRPCService.service else { return nil }
        if draining.isSet { return .notServing }
        let ready = await dataPlane.serverReady(ServerReadyRequest(), context: RequestContext(requestID: "grpc-health")).ready
        return ready ? .serving : .notServing
    }
}

/// Set once when the door starts draining.
final class DrainFlag: Sendable {
    private let value = NIOLockedValueBox(false)
    var isSet: Bool { value.withLockedValue { $0 } }
    func set() { value.withLockedValue { $0 = true } }
}
