import GRPCCore
import NIOCore
import ProtoWire

/// grpc-swift's message coding done by ProtoWire (no swift-protobuf in the server path). The
/// transport hands over a contiguous byte container: decoding copies it once into a ByteBuffer
/// (the raw tensors are then slices of that buffer); encoding writes one allocation.
struct ProtoWireSerializer<Message: ProtoMessage>: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        Bytes(message.serializedBytes())
    }
}

struct ProtoWireDeserializer<Message: ProtoMessage>: MessageDeserializer {
    let limits: DecodingLimits

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        let buffer = serializedMessageBytes.withUnsafeBytes { ByteBuffer(bytes: $0) }
        do {
            return try Message(decoding: buffer, limits: limits)
        } catch {
            let code: RPCError.Code = switch error.kind {
            case .messageTooLarge, .tooManyElements, .tooManyTensors, .nestingTooDeep: .resourceExhausted
            default: .invalidArgument
            }
            throw RPCError(code: code, message: "malformed \(Message.self): \(error)")
        }
    }
}
