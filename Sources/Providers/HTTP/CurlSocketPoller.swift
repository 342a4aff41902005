import CCurl
import Foundation

/// What the curl driver thread waits on: an epoll set with the sockets curl asks to watch
/// (`CURLMOPT_SOCKETFUNCTION`), an eventfd other threads write to wake the driver, and the one
/// timer curl keeps (`CURLMOPT_TIMERFUNCTION`). A wake-up costs the sockets that are ready, not
/// every socket curl holds: 10,000 open streams with one chunk due cost one socket's work.
///
/// Driver thread only, except `wake()`.
final class CurlSocketPoller: @unchecked Sendable {
    private let epoll: Int32
    private let wakeDescriptor: Int32
    /// When curl wants `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)`, in monotonic ns.
    private var deadline: UInt64?
    private var readyDescriptors = [Int32](repeating: 0, count: 256)
    private var readyEvents = [UInt32](repeating: 0, count: 256)

    init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(epoll >= 0 && wakeDescriptor >= 0, "epoll or eventfd unavailable: errno \(errno)")
        precondition(iw_epoll_watch(epoll, wakeDescriptor, IW_EPOLLIN) == 0, "epoll_ctl failed: errno \(errno)")
    }

    deinit {
        close(wakeDescriptor)
        close(epoll)
    }

    /// Any thread: makes the driver's current or next `wait` return.
    func wake() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(wakeDescriptor, $0.baseAddress, 8) }
    }

    /// Hooks this poller into a multi handle's socket and timer callbacks.
    func attach(to multi: UnsafeMutableRawPointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = iw_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, context)
        _ = iw_multi_setopt_socket_callback(multi) { _, descriptor, what, context, _ in
            Unmanaged<CurlSocketPoller>.fromOpaque(context!).takeUnretainedValue().watch(descriptor, what)
            return 0
        }
        _ = iw_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, context)
        _ = iw_multi_setopt_timer_callback(multi) { _, milliseconds, context in
            Unmanaged<CurlSocketPoller>.fromOpaque(context!).takeUnretainedValue().setTimer(milliseconds)
            return 0
        }
    }

    /// curl's socket callback: what to watch a socket for, or to forget it.
    private func watch(_ descriptor: Int32, _ what: Int32) {
        if what == IW_CURL_POLL_REMOVE {
            iw_epoll_unwatch(epoll, descriptor)  // may already be closed: nothing to undo then
            return
        }
        var events: UInt32 = 0
        if what & IW_CURL_POLL_IN != 0 { events |= IW_EPOLLIN }
        if what & IW_CURL_POLL_OUT != 0 { events |= IW_EPOLLOUT }
        _ = iw_epoll_watch(epoll, descriptor, events)
    }

    /// curl's timer callback: -1 cancels the timer, 0 means "as soon as you can".
    private func setTimer(_ milliseconds: Int) {
        deadline = milliseconds < 0 ? nil : DispatchTime.now().uptimeNanoseconds + UInt64(milliseconds) * 1_000_000
    }

    /// Waits until a socket is ready, the driver is woken, or curl's timer is due (at most
    /// `limit` ms), then reports each ready socket as curl's `CURL_CSELECT_*` mask.
    func wait(limitMilliseconds limit: Int32, _ ready: (_ descriptor: Int32, _ mask: Int32) -> Void) {
        var timeout = limit
        if let deadline {
            let now = DispatchTime.now().uptimeNanoseconds
            timeout = deadline <= now ? 0 : Int32(min(UInt64(limit), (deadline - now + 999_999) / 1_000_000))
        }
        let count = iw_epoll_wait(epoll, &readyDescriptors, &readyEvents, Int32(readyDescriptors.count), timeout)
        guard count > 0 else { return }
        for i in 0..<Int(count) {
            let descriptor = readyDescriptors[i]
            let events = readyEvents[i]
            if descriptor == wakeDescriptor {
                var value: UInt64 = 0
                _ = withUnsafeMutableBytes(of: &value) { read(wakeDescriptor, $0.baseAddress, 8) }
                continue
            }
            var mask: Int32 = 0
            if events & (IW_EPOLLIN | IW_EPOLLHUP) != 0 { mask |= IW_CURL_CSELECT_IN }
            if events & IW_EPOLLOUT != 0 { mask |= IW_CURL_CSELECT_OUT }
            if events & IW_EPOLLERR != 0 { mask |= IW_CURL_CSELECT_ERR }
            ready(descriptor, mask)
        }
    }

    /// True once curl's timer has expired (then cleared: curl sets the next one itself).
    func takeDueTimer() -> Bool {
        guard let deadline, deadline <= DispatchTime.now().uptimeNanoseconds else { return false }
        self.deadline = nil
        return true
    }
}
