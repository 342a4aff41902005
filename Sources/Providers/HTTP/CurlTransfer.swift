import CCurl
import Foundation
import NIOConcurrencyHelpers

/// One transfer's state, shared by the curl driver thread (callbacks) and the Swift tasks that
/// await its head and read its body. Everything mutable sits behind `lock`.
final class CurlTransfer: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    let request: HTTPRequest
    var headerList: UnsafeMutablePointer<curl_slist>?
    private let lock = NIOLock()
    private unowned let engine: CurlEngine

    // Guarded by `lock`.
    private var status = 0
    private var headers: [(name: String, value: String)] = []
    private var headContinuation: CheckedContinuation<HTTPResponseHead, Error>?
    private var headDelivered = false
    private var chunks: [[UInt8]] = []
    private var chunkIndex = 0
    private var bufferedBytes = 0
    private var paused = false
    private var outcome: Result<Void, HTTPClientError>?
    private var bodyWaiter: CheckedContinuation<[UInt8]?, Error>?

    /// Above this many buffered body bytes the transfer pauses until the reader catches up.
    static let highWatermark = 256 << 10
    static let lowWatermark = 64 << 10

    init(handle: UnsafeMutableRawPointer, request: HTTPRequest, engine: CurlEngine) {
        self.handle = handle
        self.request = request
        self.engine = engine
    }

    func setHeadContinuation(_ continuation: CheckedContinuation<HTTPResponseHead, Error>) {
        let finished: HTTPClientError? = lock.withLock {
            if case .failure(let error) = outcome, !headDelivered { return error }
            headContinuation = continuation
            return nil
        }
        if let finished { continuation.resume(throwing: finished) }
    }

    // MARK: Driver thread (curl callbacks)

    func receiveHeaderLine(_ line: String) {
        let trimmed = line.trimmingCharacters(in: ["\r", "\n"])
        lock.withLock {
            if trimmed.hasPrefix("HTTP/") {
                // A new response (after 100 Continue or a redirect): start over.
                let parts = trimmed.split(separator: " ", maxSplits: 2)
                status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                headers = []
            } else if let colon = trimmed.firstIndex(of: ":") {
                let name = String(trimmed[..<colon])
                let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
                headers.append((name, value))
            }
        }
    }

    /// Body bytes from curl. Returns how many were taken, or the pause value when the reader is
    /// behind (curl then keeps them and delivers them again after the unpause).
    func receiveBody(_ data: UnsafeRawBufferPointer) -> Int {
        var resumeHead: (CheckedContinuation<HTTPResponseHead, Error>, HTTPResponseHead)?
        var resumeBody: CheckedContinuation<[UInt8]?, Error>?
        var chunk: [UInt8] = []
        let taken: Int = lock.withLock {
            if !headDelivered, let continuation = headContinuation {
                headDelivered = true
                headContinuation = nil
                resumeHead = (continuation, HTTPResponseHead(status: status, headers: headers))
            }
            if bufferedBytes >= Self.highWatermark && bodyWaiter == nil {
                paused = true
                return IW_CURL_WRITEFUNC_PAUSE == 0 ? 0 : Int(IW_CURL_WRITEFUNC_PAUSE)
            }
            chunk = Array(data)
            if let waiter = bodyWaiter {
                bodyWaiter = nil
                resumeBody = waiter
            } else {
                chunks.append(chunk)
                bufferedBytes += chunk.count
            }
            return data.count
        }
        resumeHead.map { $0.0.resume(returning: $0.1) }
        resumeBody?.resume(returning: chunk)
        return taken
    }

    /// The transfer ended (successfully or not), or was removed.
    func complete(_ result: Result<Void, HTTPClientError>) {
        var resumeHead: CheckedContinuation<HTTPResponseHead, Error>?
        var head = HTTPResponseHead(status: 0, headers: [])
        var resumeBody: CheckedContinuation<[UInt8]?, Error>?
        lock.withLock {
            guard outcome == nil else { return }
            outcome = result
            if !headDelivered, let continuation = headContinuation, case .success = result {
                headDelivered = true
                headContinuation = nil
                resumeHead = continuation
                head = HTTPResponseHead(status: status, headers: headers)
            } else if !headDelivered, let continuation = headContinuation {
                headContinuation = nil
                resumeHead = continuation
            }
            if chunkIndex >= chunks.count, let waiter = bodyWaiter {
                bodyWaiter = nil
                resumeBody = waiter
            }
        }
        if let resumeHead {
            switch result {
            case .success: resumeHead.resume(returning: head)
            case .failure(let error): resumeHead.resume(throwing: error)
            }
        }
        if let resumeBody {
            switch result {
            case .success: resumeBody.resume(returning: nil)
            case .failure(let error): resumeBody.resume(throwing: error)
            }
        }
    }

    // MARK: Reader side

    /// The next body chunk, nil at the end; throws the transfer's error.
    func nextChunk() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, Error>) in
                var unpause = false
                let immediate: Result<[UInt8]?, Error>? = lock.withLock {
                    if chunkIndex < chunks.count {
                        let chunk = chunks[chunkIndex]
                        chunkIndex += 1
                        bufferedBytes -= chunk.count
                        if chunkIndex == chunks.count {
                            chunks.removeAll(keepingCapacity: true)
                            chunkIndex = 0
                        }
                        if paused && bufferedBytes <= Self.lowWatermark {
                            paused = false
                            unpause = true
                        }
                        return .success(chunk)
                    }
                    switch outcome {
                    case .success: return .success(nil)
                    case .failure(let error): return .failure(error)
                    case nil:
                        if paused {
                            paused = false
                            unpause = true
                        }
                        bodyWaiter = continuation
                        return nil
                    }
                }
                if unpause { engine.unpause(self) }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            engine.cancel(self)
        }
    }

    var isFinished: Bool { lock.withLock { outcome != nil } }
}
