"""Chatbot turns against a load balancer for a fixed time, recording what was acknowledged.

Each turn is a new conversation (a fresh memory_id) with a request id; a turn that fails (a
connection reset by a killed replica, a 5xx) is retried with the same id, RETRIES times (default
2), 100 ms apart, as a careful client would (scripts/chaos.sh allows enough retries to outlast a
restart). Writes a JSON report: turns sent, acknowledged, failed after the retry, retries,
requests/s, latency percentiles, and every acknowledged memory_id (for the store check).

Usage: client.py URL SECONDS CONCURRENCY REPORT.json [RETRIES]
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse
import uuid

URL, SECONDS, CONCURRENCY, REPORT = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
RETRIES = int(sys.argv[5]) if len(sys.argv) > 5 else 2
target = urllib.parse.urlparse(URL)
lock = threading.Lock()
acknowledged, failed, latencies = [], [], []
retries = [0]
stop_at = time.time() + SECONDS


def body(memory_id, request_id):
    return json.dumps({"id": request_id, "inputs": [
        {"name": "memory_id", "shape": [1], "datatype": "BYTES", "data": [memory_id]},
        {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
        {"name": "content", "shape": [1], "datatype": "BYTES", "data": ["What is the capital of France?"]},
        {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["text"]}]})


def worker():
    connection = None
    while time.time() < stop_at:
        memory_id, request_id = str(uuid.uuid4()), str(uuid.uuid4())
        payload = body(memory_id, request_id)
        for attempt in range(RETRIES + 1):
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                connection.request("POST", "/v2/models/chatbot/infer", payload, {"content-type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                ok = False
                if connection is not None:
                    connection.close()
                connection = None
            if ok:
                with lock:
                    acknowledged.append(memory_id)
                    latencies.append(time.perf_counter() - started)
                break
            if attempt < RETRIES:
                with lock:
                    retries[0] += 1
                time.sleep(0.1)
        else:
            with lock:
                failed.append(memory_id)


threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
began = time.time()
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
elapsed = time.time() - began
latencies.sort()


def percentile(share):
    return round(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000, 2) if latencies else None


json.dump({"seconds": round(elapsed, 2), "acknowledged": len(acknowledged), "failed": len(failed), "retries": retries[0],
           "requests_per_second": round(len(acknowledged) / elapsed, 1), "p50_ms": percentile(0.5), "p99_ms": percentile(0.99),
           "acknowledged_ids": acknowledged, "failed_ids": failed}, open(REPORT, "w"))
