"""`inferwire serve`'s HTTP door on SIGTERM while a streamed /v1 chat request is still arriving:
the fast path reads it, then hands it to the route; the stream must be answered in full and the
connection closed after it, so the drain ends.
Usage: check_http_drain_handover.py PORT SERVER_PID. Prints one line per failed check and, last,
a JSON summary {"checks": n, "failed": [names]}; exits 1 when a check failed."""
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, expect, finish  # noqa: E402

PORT, PID = int(sys.argv[1]), int(sys.argv[2])


@check("SIGTERM mid-body of a streamed /v1 request: the stream is answered whole, then the connection closes")
def handover():
    body = json.dumps({"model": "openai-chat-completions", "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode()
    s = socket.create_connection(("127.0.0.1", PORT))
    s.settimeout(10)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
              + body[:10])
    time.sleep(0.3)
    os.kill(PID, signal.SIGTERM)
    time.sleep(0.5)
    s.sendall(body[10:])
    data = b""
    started = time.time()
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    expect(data.startswith(b"HTTP/1.1 200") and b"data: [DONE]" in data, data[:300])
    expect(time.time() - started < 8, f"the connection stayed open {time.time() - started:.1f} s after the stream")


finish()
