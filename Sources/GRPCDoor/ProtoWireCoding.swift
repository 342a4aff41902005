import GRPCCore
import NIOCore
import ProtoWire

/// grpc-swift's message coding done by ProtoWire (no swift-protobuf in the server path). With
/// the door's transport (`GRPCBytes`) no byte is copied: a request is decoded from the received
/// buffer (raw tensors stay slices of it) and an answer is encoded into one buffer with room for
/// gRPC's 5-byte prefix in front. Other byte containers are copied once each way.
struct ProtoWireSerializer<Message: ProtoMessage>: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        guard Bytes.self == GRPCBytes.self else { return Bytes(message.serializedBytes()) }
        let prefix = GRPCMessageReader.prefixLength
        var buffer = ByteBufferAllocator().buffer(capacity: prefix + message.encodedSize)
        buffer.moveWriterIndex(forwardBy: prefix)
        buffer.moveReaderIndex(forwardBy: prefix)
        message.encode(into: &buffer)
        return GRPCBytes(buffer) as! Bytes
    }
}

struct ProtoWireDeserializer<Message: ProtoMessage>: MessageDeserializer {
    let limits: DecodingLimits

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        let buffer = (serializedMessageBytes as? GRPCBytes)?.buffer ?? serializedMessageBytes.withUnsafeBytes { ByteBuffer(bytes: $0) }
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
