import Hummingbird
import InferWireCore

extension HTTPResponse.Status {
    /// The HTTP status of a failed call (`V2InferCall.httpStatus`: one table for both ways in).
    init(_ code: StatusCode) {
        self.init(code: V2InferCall.httpStatus(code))
    }
}
