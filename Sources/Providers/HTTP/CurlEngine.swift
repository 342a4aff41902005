import CCurl
import Foundation
import NIOConcurrencyHelpers

/// Upstream HTTP on libcurl's multi interface: one driver thread runs every transfer
/// (`curl_multi_socket_action` on epoll, `CurlSocketPoller`), never a thread per request. Connections are reused across requests;
/// HTTP/2 is used where the server offers it over TLS; TLS and proxy variables are curl's.
///
/// `execute` returns once the response head has arrived; its body is read as an AsyncSequence
/// of chunks, and a reader that falls behind pauses the transfer (backpressure). Cancelling the
/// awaiting Task removes the transfer, which closes its upstream connection.
public final class CurlEngine: @unchecked Sendable {
    private enum Operation {
        case add(CurlTransfer)
        case remove(CurlTransfer)
        case unpause(CurlTransfer)
    }

    private let multi: UnsafeMutableRawPointer
    private let lock = NIOLock()
    private var pending: [Operation] = []
    /// A wake-up is on its way to the driver: later submissions need not send another.
    private var wakeSent = false
    private var running = true
    private let poller = CurlSocketPoller()
    // Driver thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var afterRound: [() -> Void] = []
    private let stopped = DispatchSemaphore(value: 0)

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(maxConnectionsPerHost: Int = 0) {
        _ = Self.globalInit
        multi = curl_multi_init()
        poller.attach(to: multi)
        if maxConnectionsPerHost > 0 {
            _ = iw_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        }
        let thread = Thread { [unowned self] in self.drive() }
        thread.name = "inferwire-curl"
        thread.start()
    }

    /// Stops the driver; transfers still running fail with `.shutdown`.
    public func shutdown() {
        let wasRunning = lock.withLock {
            let was = running
            running = false
            return was
        }
        guard wasRunning else { return }
        poller.wake()
        stopped.wait()
    }

    deinit {
        shutdown()
        curl_multi_cleanup(multi)
    }

    /// Starts a transfer and waits for the response head.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try makeTransfer(request)
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.setHeadContinuation(continuation)
                submit(.add(transfer))
            }
        } onCancel: {
            self.cancel(transfer)
        }
        return HTTPResponse(head: head, body: HTTPBody(transfer: transfer, engine: self))
    }

    func unpause(_ transfer: CurlTransfer) { submit(.unpause(transfer)) }

    /// Driver thread only: work to run once the current round of curl callbacks and completions
    /// is over (waking readers then saves them a second wake-up for the end of a small body).
    func afterThisRound(_ work: @escaping () -> Void) { afterRound.append(work) }

    func cancel(_ transfer: CurlTransfer) { submit(.remove(transfer)) }

    private func submit(_ operation: Operation) {
        let (accepted, wake) = lock.withLock {
            guard running else { return (false, false) }
            pending.append(operation)
            let wake = !wakeSent
            wakeSent = true
            return (true, wake)
        }
        if wake { poller.wake() }
        if !accepted, case .add(let transfer) = operation {
            transfer.complete(.failure(HTTPClientError(.shutdown, "the HTTP engine is shut down")))
        }
    }

    // MARK: Setting up a transfer

    private func makeTransfer(_ request: HTTPRequest) throws -> CurlTransfer {
        guard let handle = curl_easy_init() else { throw HTTPClientError(.invalidRequest, "curl_easy_init failed") }
        let transfer = CurlTransfer(handle: handle, request: request, engine: self)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        _ = iw_easy_setopt_string(handle, CURLOPT_URL, request.url)
        _ = iw_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        _ = iw_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = iw_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, IW_CURL_HTTP_VERSION_2TLS)
        _ = iw_easy_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        _ = iw_easy_setopt_pointer(handle, CURLOPT_PRIVATE, context)
        _ = iw_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = iw_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
        }
        _ = iw_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        _ = iw_easy_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
            transfer.receiveHeaderLine(bytes)
            return size * count
        }
        if let timeout = request.connectTimeout { _ = iw_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeout.milliseconds) }
        if let timeout = request.totalTimeout { _ = iw_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeout.milliseconds) }
        if request.longLived && request.url.utf8.count > 7 && request.url.prefix(7).lowercased() == "http://" {
            _ = iw_easy_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1)
            _ = iw_easy_setopt_long(handle, CURLOPT_FORBID_REUSE, 1)
        }
        if let timeout = request.idleTimeout {
            _ = iw_easy_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
            _ = iw_easy_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, timeout.milliseconds / 1000))
        }
        for header in request.headers {
            transfer.headerList = curl_slist_append(transfer.headerList, "\(header.name): \(header.value)")
        }
        if let body = request.body {
            // No copy: curl reads the request's own storage, kept alive by the transfer.
            transfer.request.body!.withUnsafeBytes { bytes in
                _ = iw_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                _ = iw_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, bytes.baseAddress)
            }
            if request.headers.first(where: { $0.name.lowercased() == "expect" }) == nil {
                transfer.headerList = curl_slist_append(transfer.headerList, "Expect:")
            }
        }
        if let list = transfer.headerList { _ = iw_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, list) }
        return transfer
    }

    // MARK: Driver thread

    private func drive() {
        var stillRunning: Int32 = 0
        while true {
            let (operations, keepRunning) = lock.withLock {
                let taken = pending
                pending.removeAll()
                wakeSent = false
                return (taken, running)
            }
            guard keepRunning else { break }
            for operation in operations {
                switch operation {
                case .add(let transfer):
                    if transfer.isFinished {  // cancelled before it started
                        release(transfer)
                    } else {
                        active[transfer.handle] = transfer
                        curl_multi_add_handle(multi, transfer.handle)
                    }
                case .remove(let transfer):
                    guard active.removeValue(forKey: transfer.handle) != nil else {
                        transfer.complete(.failure(HTTPClientError(.cancelled, "cancelled")))
                        continue
                    }
                    curl_multi_remove_handle(multi, transfer.handle)
                    transfer.complete(.failure(HTTPClientError(.cancelled, "cancelled")))
                    release(transfer)
                case .unpause(let transfer):
                    if active[transfer.handle] != nil { curl_easy_pause(transfer.handle, IW_CURLPAUSE_CONT) }
                }
            }
            // Adding a handle or unpausing sets curl's timer to 0: this wait then returns at once.
            poller.wait(limitMilliseconds: 1000) { descriptor, mask in
                curl_multi_socket_action(multi, descriptor, mask, &stillRunning)
            }
            if poller.takeDueTimer() { curl_multi_socket_action(multi, IW_CURL_SOCKET_TIMEOUT, 0, &stillRunning) }
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                    let transfer = active.removeValue(forKey: handle)
                else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, handle)
                transfer.complete(code == CURLE_OK ? .success(()) : .failure(Self.error(code)))
                release(transfer)
            }
            let resumptions = afterRound
            afterRound.removeAll(keepingCapacity: true)
            for resume in resumptions { resume() }
        }
        for transfer in active.values {
            curl_multi_remove_handle(multi, transfer.handle)
            transfer.complete(.failure(HTTPClientError(.shutdown, "the HTTP engine is shut down")))
            release(transfer)
        }
        active.removeAll()
        stopped.signal()
    }

    private func release(_ transfer: CurlTransfer) {
        curl_easy_cleanup(transfer.handle)
        if let list = transfer.headerList { curl_slist_free_all(list) }
        transfer.headerList = nil
    }

    static func error(_ code: CURLcode) -> HTTPClientError {
        let message = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return HTTPClientError(.timeout, message)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR:
            return HTTPClientError(.connect, message)
        default: return HTTPClientError(.transfer, message)
        }
    }
}

/// A response: its head, and its body to read.
public struct HTTPResponse: Sendable {
    public let head: HTTPResponseHead
    public let body: HTTPBody

    /// Reads the whole body (for small JSON answers).
    public func collect(limit: Int = 64 << 20) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            bytes += chunk
            guard bytes.count <= limit else { throw HTTPClientError(.transfer, "response body over \(limit) bytes") }
        }
        return bytes
    }
}

/// A response body as it arrives. Dropping it unread cancels the transfer.
public final class HTTPBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    private let transfer: CurlTransfer
    private let engine: CurlEngine

    init(transfer: CurlTransfer, engine: CurlEngine) {
        self.transfer = transfer
        self.engine = engine
    }

    deinit {
        if !transfer.isFinished { engine.cancel(transfer) }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPBody
        public mutating func next() async throws -> [UInt8]? {
            try await body.transfer.nextChunk()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
