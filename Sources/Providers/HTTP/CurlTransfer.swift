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

    /// One header line as curl delivers it (CRLF included). Parsed on bytes: Foundation's
    /// trimming was a measurable part of a small request's cost.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        var end = line.count
        while end > 0, line[end - 1] == UInt8(ascii: "\r") || line[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        let bytes = UnsafeRawBufferPointer(rebasing: line[0..<end])
        if bytes.starts(with: "HTTP/".utf8) {
            // A new response (after 100 Continue or a redirect): start over.
            let fields = bytes.split(separator: UInt8(ascii: " "), maxSplits: 2)
            let code = fields.count > 1 ? Int(String(decoding: fields[1], as: UTF8.self)) ?? 0 : 0
            lock.withLock {
                status = code
                headers = []
            }
        } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            var start = colon + 1
            while start < bytes.count, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
            let name = String(decoding: bytes[..<colon], as: UTF8.self)
            let value = String(decoding: bytes[start...], as: UTF8.self)
            lock.withLock { headers.append((name, value)) }
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
        // Resumed after this round of curl's work: a small answer's last bytes and its completion
        // usually arrive in the same round, so the reader wakes once and finds everything.
        if resumeHead != nil || resumeBody != nil {
            let delivered = chunk
            engine.afterThisRound {
                resumeHead.map { $0.0.resume(returning: $0.1) }
                resumeBody?.resume(returning: delivered)
            }
        }
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
