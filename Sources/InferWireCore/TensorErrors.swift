import NIOCore
import ProtoWire

/// ProtoWire's tensor readers with the status runtimes answer for bad tensor data:
/// INVALID_ARGUMENT, naming the tensor and the element (it is always the caller's mistake).
extension ModelInferRequest {
    public func requireBytesElements(ofInput index: Int) throws(InferenceError) -> [ByteBuffer] {
        do {
            return try bytesElements(ofInput: index)
        } catch {
            throw InferenceError(.invalidArgument, error.description)
        }
    }

    public func requireStrings(ofInput index: Int) throws(InferenceError) -> [String] {
        do {
            return try strings(ofInput: index)
        } catch {
            throw InferenceError(.invalidArgument, error.description)
        }
    }
}

extension BytesText {
    public static func requireUTF8(_ buffer: ByteBuffer, tensor: String, element: Int) throws(InferenceError) -> String {
        do {
            return try utf8(buffer, tensor: tensor, element: element)
        } catch {
            throw InferenceError(.invalidArgument, error.description)
        }
    }
}
