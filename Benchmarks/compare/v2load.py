#!/usr/bin/env python3
"""Multi-process KServe V2 load client for MLServer (gRPC or REST) and InferWire's HTTP door (REST).

Closed loop (default): every process keeps --concurrency requests in flight, each sent as soon
as the previous one on that slot completes.
Open loop (--rate R): R requests/s in total, request i of a process is due at start + i/rate and is
sent at that time whether or not earlier ones completed (up to --max-inflight); its latency counts
from the due time, not the actual send time (wrk2's coordinated-omission correction), so a stalled
server shows up as latency instead of silently lowering the offered load.

Requests are serialized once (same bytes every time, fixed id) so the client spends its time on
I/O, not on building messages. Each process verifies its first response really echoes the
payload, then only counts bytes and status. Per-process latencies (µs) go into an HdrHistogram
(1 µs..1 h, 3 significant digits) that the parent merges (hdrh encode/decode).

Output: a human summary, or with --json the same JSON object `inferwire load --json` prints.
"""

import argparse
import array
import asyncio
import base64
import json
import multiprocessing as mp
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payloads  # noqa: E402

HIST_LOW, HIST_HIGH, HIST_DIGITS = 1, 3_600_000_000, 3  # µs
PERCENTILES = [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99_9", 99.9), ("p99_99", 99.99)]
GRPC_METHOD = "/inference.GRPCInferenceService/ModelInfer"
MAX_MSG = 64 << 20


# ---------------------------------------------------------------------------------------------
# Response verification (first response of every process)

def verify_rest(body: bytes, model: str, inputs) -> str:
    resp = json.loads(body)
    want = payloads.expected_elements(inputs)
    if resp.get("model_name") != model:
        return f"model_name {resp.get('model_name')!r}"
    if resp.get("id") != payloads.REQUEST_ID:
        return f"id {resp.get('id')!r}"
    outs = {o["name"]: o for o in resp.get("outputs", [])}
    if set(outs) != set(want):
        return f"outputs {sorted(outs)} != inputs {sorted(want)}"
    for name, dtype, shape, _params, _ in inputs:
        o = outs[name]
        if o["datatype"] != dtype or o["shape"] != shape:
            return f"{name}: datatype/shape {o['datatype']} {o['shape']}"
        b64 = (o.get("parameters") or {}).get("content_type") == "base64" or o.get("data_encoding") == "base64"
        got = [base64.b64decode(e) if b64 else e.encode() for e in o["data"]]
        if got != want[name]:
            return f"{name}: data differs ({[len(g) for g in got]} bytes)"
    return ""


def verify_grpc(body: bytes, model: str, inputs) -> str:
    from mlserver.grpc import dataplane_pb2 as pb

    resp = pb.ModelInferResponse.FromString(body)
    want = payloads.expected_elements(inputs)
    if resp.model_name != model:
        return f"model_name {resp.model_name!r}"
    if resp.id != payloads.REQUEST_ID:
        return f"id {resp.id!r}"
    raw = list(resp.raw_output_contents)
    for i, (name, dtype, shape, params, _) in enumerate(inputs):
        if i >= len(resp.outputs) or resp.outputs[i].name != name:
            return f"output {i} is not {name}"
        o = resp.outputs[i]
        if o.datatype != dtype or list(o.shape) != shape:
            return f"{name}: datatype/shape {o.datatype} {list(o.shape)}"
        got_params = {k: v.string_param for k, v in o.parameters.items()}
        if got_params != (params or {}):
            return f"{name}: parameters {got_params}"
        if raw:
            buf, got, off = raw[i], [], 0
            while off < len(buf):
                n = int.from_bytes(buf[off:off + 4], "little")
                got.append(buf[off + 4:off + 4 + n])
                off += 4 + n
        else:
            got = list(o.contents.bytes_contents)
        if got != want[name]:
            return f"{name}: data differs ({[len(g) for g in got]} bytes)"
    return ""


# ---------------------------------------------------------------------------------------------
# Transports. Each `send()` returns (ok, status, bytes_received, body_or_None).

class RawHTTPConnection(asyncio.Protocol):
    """Minimal keep-alive HTTP/1.1 client: one request in flight, Content-Length responses.

    Much cheaper per request than aiohttp (no header objects, no stream readers); used to
    push the client's own ceiling up. Chunked responses are reported as errors.
    """

    def __init__(self):
        self.transport = None
        self.buf = bytearray()
        self.waiter = None
        self.need = None
        self.keep = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        if self.waiter is None:
            return  # nothing outstanding (e.g. a late byte after an error): ignore
        if self.need is None:
            self.buf += data
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            self.status = int(head[9:12])
            i = head.find(b"\r\ncontent-length:")
            if i < 0:
                self._fail(ConnectionError("response without content-length"))
                return
            j = head.find(b"\r\n", i + 2)
            self.need = int(head[i + 17:j if j >= 0 else len(head)])
            rest = self.buf[end + 4:]
            self.buf = bytearray()
            self.body = rest if self.keep else None
            self.left = self.need - len(rest)
        else:
            # Body bytes: count them, copy only when the caller wants the body.
            self.left -= len(data)
            if self.keep:
                self.body += data
        if self.left <= 0:
            body = bytes(self.body) if self.keep else None
            w, self.waiter, self.need, n = self.waiter, None, None, self.need
            w.set_result((self.status, n, body))

    def _fail(self, exc):
        w, self.waiter = self.waiter, None
        if w is not None and not w.done():
            w.set_exception(exc)

    def connection_lost(self, exc):
        self.transport = None
        self._fail(exc or ConnectionError("connection closed"))

    def request(self, data: bytes, keep_body: bool):
        self.keep = keep_body
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter


class RestRaw:
    def __init__(self, host, port, path, body, slots):
        self.host, self.port = host, port
        self.req = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nAccept-Encoding: identity\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        self.slots = slots
        self.pool = None

    async def open(self):
        # Connections are opened on demand up to `slots` (closed loop: C; open loop: the
        # in-flight cap), so an open-loop run holds only as many as it ever had in flight.
        self.pool = asyncio.Queue()
        self.opened = 1
        self.pool.put_nowait(await self._connect())

    async def _connect(self):
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_connection(RawHTTPConnection, self.host, self.port)
        return proto

    async def _get(self):
        if self.pool.empty() and self.opened < self.slots:
            self.opened += 1
            try:
                return await self._connect()
            except Exception:
                self.opened -= 1
                raise
        return await self.pool.get()

    async def send(self, keep_body=False):
        try:
            conn = await self._get()
        except Exception as e:  # noqa: BLE001 - any failure is a counted error
            return False, type(e).__name__, 0, None
        try:
            if conn.transport is None:
                conn = await self._connect()
            status, n, body = await conn.request(self.req, keep_body)
            return status == 200, f"HTTP {status}", n, body
        except Exception as e:  # noqa: BLE001
            if conn.transport is not None:
                conn.transport.close()
            conn.transport = None
            return False, type(e).__name__, 0, None
        finally:
            self.pool.put_nowait(conn)

    async def close(self):
        while self.pool is not None and not self.pool.empty():
            c = self.pool.get_nowait()
            if c.transport is not None:
                c.transport.close()


class RestAiohttp:
    def __init__(self, host, port, path, body, slots):
        self.url = f"http://{host}:{port}{path}"
        self.body = body
        self.slots = slots
        self.headers = {"Content-Type": "application/json", "Accept-Encoding": "identity"}

    async def open(self):
        import aiohttp

        conn = aiohttp.TCPConnector(limit=self.slots, keepalive_timeout=60)
        self.session = aiohttp.ClientSession(
            connector=conn, timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False
        )

    async def send(self, keep_body=False):
        try:
            async with self.session.post(self.url, data=self.body, headers=self.headers) as r:
                body = await r.read()
                return r.status == 200, f"HTTP {r.status}", len(body), body if keep_body else None
        except Exception as e:  # noqa: BLE001
            return False, type(e).__name__, 0, None

    async def close(self):
        await self.session.close()


class Grpc:
    def __init__(self, host, port, body, timeout):
        self.target = f"{host}:{port}"
        self.body = body
        self.timeout = timeout

    async def open(self):
        import grpc

        self.grpc = grpc
        self.channel = grpc.aio.insecure_channel(
            self.target,
            options=[
                ("grpc.max_send_message_length", MAX_MSG),
                ("grpc.max_receive_message_length", MAX_MSG),
            ],
        )
        # No (de)serializers: the request is pre-serialized bytes and the reply stays bytes.
        self.call = self.channel.unary_unary(GRPC_METHOD)
        await asyncio.wait_for(self.channel.channel_ready(), 10)

    async def send(self, keep_body=False):
        try:
            resp = await self.call(self.body, timeout=self.timeout)
            return True, "OK", len(resp), resp if keep_body else None
        except self.grpc.aio.AioRpcError as e:
            return False, e.code().name, 0, None
        except Exception as e:  # noqa: BLE001
            return False, type(e).__name__, 0, None

    async def close(self):
        await self.channel.close()


# ---------------------------------------------------------------------------------------------
# Worker process

def worker_main(idx, cfg, body, inputs, ready_q, go, t0_val, result_q):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C
    if cfg["uvloop"]:
        import uvloop  # faster event loop; see --loop

        uvloop.install()
    try:
        res = asyncio.run(worker_async(idx, cfg, body, inputs, ready_q, go, t0_val))
    except Exception as e:  # noqa: BLE001
        ready_q.put(("error", idx, f"{type(e).__name__}: {e}"))
        res = {"fatal": f"{type(e).__name__}: {e}"}
    result_q.put(res)


async def worker_async(idx, cfg, body, inputs, ready_q, go, t0_val):
    from hdrh.histogram import HdrHistogram

    P, C = cfg["processes"], cfg["concurrency"]
    rate = cfg["rate"]
    if rate:
        slots = max(1, -(-cfg["max_inflight"] // P))
    else:
        slots = C
    if cfg["protocol"] == "grpc":
        tr = Grpc(cfg["host"], cfg["port"], body, cfg["timeout"])
    elif cfg["http_client"] == "raw":
        tr = RestRaw(cfg["host"], cfg["port"], cfg["path"], body, slots)
    else:
        tr = RestAiohttp(cfg["host"], cfg["port"], cfg["path"], body, slots)
    await tr.open()

    # Check the server really echoes the payload before measuring anything.
    ok, status, _, resp = await tr.send(keep_body=True)
    if not ok:
        raise RuntimeError(f"first request failed: {status}")
    verify = verify_grpc if cfg["protocol"] == "grpc" else verify_rest
    problem = verify(resp, cfg["model"], inputs)
    if problem:
        raise RuntimeError(f"response does not echo the request: {problem}")

    ready_q.put(("ready", idx, ""))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, go.wait)  # all processes start together
    t0 = t0_val.value
    m_start = t0 + cfg["warmup"]
    m_end = m_start + cfg["duration"]
    now = time.monotonic
    lat = array.array("d")  # µs; recorded into the histogram after the run (cheap hot path)
    st = {"ok": 0, "errors": {}, "rx": 0, "tx": 0, "last": m_start}
    nbody = len(body)

    def account(ok, status, nrx, latency_s):
        if ok:
            st["ok"] += 1
            lat.append(latency_s * 1e6)
        else:
            st["errors"][status] = st["errors"].get(status, 0) + 1
        st["rx"] += nrx
        st["tx"] += nbody

    # Client CPU (all threads of this process, grpc's included) over the measured window.
    cpu = {}
    loop.call_later(max(0.0, m_start - now()), lambda: cpu.setdefault("a", time.process_time()))
    loop.call_later(max(0.0, m_end - now()), lambda: cpu.setdefault("b", time.process_time()))

    while now() < t0:
        await asyncio.sleep(t0 - now())

    if not rate:
        async def slot():
            while True:
                t1 = now()
                if t1 >= m_end:
                    return
                ok, status, nrx, _ = await tr.send()
                t2 = now()
                if m_start <= t2 < m_end:  # completed inside the measured window
                    account(ok, status, nrx, t2 - t1)

        tasks = [asyncio.ensure_future(slot()) for _ in range(C)]
    else:
        sem = asyncio.Semaphore(slots)
        per_proc = rate / P
        first = t0 + idx / rate  # interleave the processes' schedules

        async def one(due):
            # Latency starts at the due time when we are late (coordinated-omission
            # correction), at the actual send when uvloop's 1 ms timers woke us a bit early.
            due = min(due, now())
            try:
                ok, status, nrx, _ = await tr.send()
            finally:
                sem.release()
            if due >= m_start:  # due inside the window; latency from the due time
                t2 = now()
                st["last"] = max(st["last"], t2)
                account(ok, status, nrx, t2 - due)

        async def scheduler():
            i, inflight = 0, set()
            while True:
                due = first + i / per_proc
                if due >= m_end:
                    break
                d = due - now()
                if d > 0:
                    await asyncio.sleep(d)
                await sem.acquire()  # at max in-flight: wait, the due time keeps counting
                t = asyncio.ensure_future(one(due))
                inflight.add(t)
                t.add_done_callback(inflight.discard)
                i += 1
            if inflight:
                await asyncio.wait(inflight, timeout=cfg["timeout"])

        tasks = [asyncio.ensure_future(scheduler())]

    # Bound the run: window end plus the request timeout for stragglers, then cancel.
    done, pending = await asyncio.wait(tasks, timeout=max(0.0, m_end - now()) + cfg["timeout"])
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending, timeout=2)
    await tr.close()

    h = HdrHistogram(HIST_LOW, HIST_HIGH, HIST_DIGITS)
    for v in lat:
        iv = int(v + 0.5)
        h.record_value(min(max(iv, HIST_LOW), HIST_HIGH))
    return {
        "ok": st["ok"], "errors": st["errors"], "rx": st["rx"], "tx": st["tx"],
        "hist": h.encode(), "cpu": cpu.get("b", time.process_time()) - cpu.get("a", 0.0),
        "last_rel": st["last"] - m_start,
    }


# ---------------------------------------------------------------------------------------------
# Parent

def check_once(cfg, body, inputs) -> int:
    async def go():
        if cfg["protocol"] == "grpc":
            tr = Grpc(cfg["host"], cfg["port"], body, cfg["timeout"])
        else:
            tr = RestRaw(cfg["host"], cfg["port"], cfg["path"], body, 1)
        await tr.open()
        t = time.monotonic()
        ok, status, nrx, resp = await tr.send(keep_body=True)
        ms = (time.monotonic() - t) * 1000
        await tr.close()
        if not ok:
            return f"request failed: {status}"
        verify = verify_grpc if cfg["protocol"] == "grpc" else verify_rest
        problem = verify(resp, cfg["model"], inputs)
        if problem:
            return f"response does not echo the request: {problem}"
        return f"ok: {cfg['protocol']} request {len(body)} B -> response {nrx} B echoes " + \
            ", ".join(f"{n} {[len(e) for e in el]} B" for n, _, _, _, el in inputs) + f" ({ms:.1f} ms)"

    msg = asyncio.run(go())
    print(msg)
    return 0 if msg.startswith("ok") else 1


def write_hgrm(h, path):
    """HdrHistogram percentile distribution (.hgrm), values in milliseconds."""
    scale = 1000.0  # µs -> ms
    with open(path, "w") as f:
        f.write("%12s %14s %10s %14s\n\n" % ("Value", "Percentile", "TotalCount", "1/(1-Percentile)"))
        for it in h.get_percentile_iterator(5):
            v = it.value_iterated_to / scale
            p = it.percentile_level_iterated_to / 100.0
            if it.percentile_level_iterated_to != 100:
                f.write("%12.3f %2.12f %10d %14.2f\n" % (v, p, it.total_count_to_this_value, 1 / (1 - p)))
            else:
                f.write("%12.3f %2.12f %10d\n" % (v, p, it.total_count_to_this_value))
        f.write("#[Mean    = %12.3f, StdDeviation   = %12.3f]\n" % (h.get_mean_value() / scale, h.get_stddev() / scale))
        f.write("#[Max     = %12.3f, Total count    = %12d]\n" % (h.get_max_value() / scale, h.get_total_count()))
        f.write("#[Buckets = %12d, SubBuckets     = %12d]\n" % (h.bucket_count, h.sub_bucket_count))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--protocol", choices=["grpc", "rest"], required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--model", default="echo")
    ap.add_argument("--payload", choices=["chat", "image-1m", "image-5m"])
    ap.add_argument("--file", help="send this file as one BYTES element named 'file'")
    ap.add_argument("--type", default="application/octet-stream", help="MIME type for --file")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=1, help="in-flight requests per process (closed loop)")
    ap.add_argument("--rate", type=float, help="total requests/s: open loop, latency from due time")
    ap.add_argument("--max-inflight", type=int, default=256, help="open loop: total in-flight cap")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    ap.add_argument("--grpc-encoding", choices=["raw", "contents"], default="raw",
                    help="gRPC tensor data: raw_input_contents (default; V2 BYTES raw encoding, what "
                         "Triton clients send, ~5-10%% less MLServer CPU for 1 MiB) or "
                         "contents.bytes_contents")
    ap.add_argument("--grpc-raw", dest="grpc_encoding", action="store_const", const="raw",
                    help=argparse.SUPPRESS)
    ap.add_argument("--http-client", choices=["raw", "aiohttp"], default="raw",
                    help="REST client: minimal HTTP/1.1 (default, faster) or aiohttp")
    ap.add_argument("--rest-media", choices=["chat", "file"], default="chat",
                    help="REST image/--file body: the chat convention (default; role/content/type, the "
                         "MIME type in type, content base64) or one input 'file' [1] in base64")
    ap.add_argument("--loop", choices=["uvloop", "asyncio"], default=None,
                    help="client event loop (default uvloop: faster for both protocols here)")
    ap.add_argument("--server-pid", type=int, action="append",
                    help="sample this process tree's CPU/RSS over the window (repeatable)")
    ap.add_argument("--check", action="store_true",
                    help="send one request, verify the response echoes the payload, exit 0/1")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--hdr-file")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    if (a.payload is None) == (a.file is None):
        ap.error("give exactly one of --payload or --file")
    if a.duration > 20 or a.warmup > 20:
        ap.error("runs are bounded: --duration and --warmup at most 20 s each")

    inputs = payloads.logical_inputs(a.payload, a.file, a.type)
    if a.protocol == "rest" and a.rest_media == "chat":
        inputs = payloads.rest_inputs(inputs)
    path = f"/v2/models/{a.model}/infer"
    body = (
        payloads.grpc_request(inputs, a.model, raw=a.grpc_encoding == "raw")
        if a.protocol == "grpc" else payloads.rest_body(inputs)
    )
    cfg = {
        "protocol": a.protocol, "host": a.host, "port": a.port, "path": path, "model": a.model,
        "processes": a.processes, "concurrency": a.concurrency, "rate": a.rate,
        "max_inflight": a.max_inflight, "duration": a.duration, "warmup": a.warmup,
        "timeout": a.timeout, "http_client": a.http_client,
        "uvloop": (a.loop or "uvloop") == "uvloop",
    }

    if a.check:
        sys.exit(check_once(cfg, body, inputs))

    ctx = mp.get_context("fork")  # children inherit the prebuilt body; nothing grpc is live yet
    ready_q, result_q = ctx.Queue(), ctx.Queue()
    go = ctx.Event()
    t0_val = ctx.Value("d", 0.0)
    procs = [
        ctx.Process(target=worker_main, args=(i, cfg, body, inputs, ready_q, go, t0_val, result_q), daemon=True)
        for i in range(a.processes)
    ]
    for p in procs:
        p.start()
    deadline = time.monotonic() + 60
    ready = 0
    while ready < a.processes:
        kind, idx, msg = ready_q.get(timeout=max(0.1, deadline - time.monotonic()))
        if kind == "error":
            go.set()
            for p in procs:
                p.kill()
            sys.exit(f"v2load: process {idx}: {msg}")
        ready += 1
    t0_val.value = time.monotonic() + 0.05  # CLOCK_MONOTONIC is shared by all processes
    go.set()

    # Sampled at the window's edges: the server's process-tree CPU and RSS (procstats.py), and
    # the whole machine's busy CPU, so CPU used by anything else (a build next door) shows up.
    import procstats

    def sample():
        cpu, rss = 0.0, 0.0
        for root in a.server_pid or []:
            for pid in procstats.tree(root):
                try:
                    cpu += procstats.cpu_seconds(pid)
                    rss += procstats.rss_kib(pid) / 1024
                except (FileNotFoundError, ProcessLookupError):
                    pass
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        busy = (sum(v[:8]) - v[3] - v[4]) / procstats.TICKS  # all but idle, iowait, guest
        return cpu, rss, busy

    m_start = t0_val.value + a.warmup
    time.sleep(max(0.0, m_start - time.monotonic()))
    c0, r0, b0 = sample()
    time.sleep(max(0.0, m_start + a.duration - time.monotonic()))
    c1, r1, b1 = sample()
    server = {"cpu": c1 - c0, "rss": max(r0, r1)} if a.server_pid else None
    machine_cpu = b1 - b0

    results = [result_q.get(timeout=a.warmup + a.duration + a.timeout + 60) for _ in procs]
    for p in procs:
        p.join(5)
    fatal = [r["fatal"] for r in results if "fatal" in r]
    if fatal:
        sys.exit(f"v2load: {fatal[0]}")

    from hdrh.histogram import HdrHistogram

    h = HdrHistogram(HIST_LOW, HIST_HIGH, HIST_DIGITS)
    ok, errors, rx, tx, ccpu = 0, {}, 0, 0, 0.0
    for r in results:
        ccpu += r["cpu"]
        h.add(HdrHistogram.decode(r["hist"]))
        ok += r["ok"]
        rx += r["rx"]
        tx += r["tx"]
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    dur = a.duration
    if a.rate:
        # Open loop counts requests due in the window; if the server fell behind they finish
        # later, so the measured duration runs to the last completion (throughput stays honest).
        dur = max(dur, max(r["last_rel"] for r in results))
        if (ok + sum(errors.values())) / dur < 0.95 * a.rate:
            print(f"v2load: warning: server did not keep up with --rate {a.rate:g} "
                  f"(completed {(ok + sum(errors.values())) / dur:.1f}/s)", file=sys.stderr)
    nreq = ok + sum(errors.values())
    lat = {"min": h.get_min_value() if ok else 0, "mean": round(h.get_mean_value(), 1) if ok else 0}
    for k, p in PERCENTILES:
        lat[k] = h.get_value_at_percentile(p) if ok else 0
    lat["max"] = h.get_max_value() if ok else 0
    slots_rest = a.concurrency if not a.rate else -(-a.max_inflight // a.processes)
    summary = {
        "tool": "v2load.py",
        "label": a.label,
        "target": f"{a.host}:{a.port}",
        "protocol": a.protocol,
        "model": a.model,
        "mode": "open" if a.rate else "closed",
        "connections": a.processes,
        "concurrency": a.concurrency,
        "rate": a.rate,
        "duration_s": round(dur, 3),
        "requests": nreq,
        "ok": ok,
        "errors": errors,
        "requests_per_second": nreq / dur,
        "bytes_sent_per_second": tx / dur,
        "bytes_received_per_second": rx / dur,
        "latency_us": lat,
        # extras (not in inferwire load's output): what the numbers above mean here
        "payload": a.payload or os.path.basename(a.file),
        "request_bytes": len(body),
        "processes": a.processes,
        "tcp_connections": a.processes * (1 if a.protocol == "grpc" else slots_rest),
        "client_cpu_seconds": round(ccpu, 3),  # all client processes, measured window only
        "client_cpu_seconds_per_1k": round(1000 * ccpu / nreq, 4) if nreq else None,
        "server_cpu_seconds": round(server["cpu"], 3) if server else None,
        "server_cpu_seconds_per_1k": round(1000 * server["cpu"] / nreq, 4) if server and nreq else None,
        "server_rss_mib": round(server["rss"], 1) if server else None,
        "machine_cpu_seconds": round(machine_cpu, 3),  # all processes, measured window
        "client": "grpc.aio" + ("+raw_input_contents" if a.grpc_encoding == "raw" else "+bytes_contents")
        if a.protocol == "grpc" else f"rest-{a.http_client}",
    }
    if a.hdr_file:
        write_hgrm(h, a.hdr_file)
    if a.json:
        print(json.dumps(summary))
    else:
        print(f"{a.label or 'v2load'}: {a.protocol} {summary['target']} {summary['payload']} "
              f"{summary['mode']} P={a.processes} C={a.concurrency} rate={a.rate}")
        print(f"  {nreq} requests in {dur:.1f}s = {nreq / dur:.1f} req/s, ok {ok}, errors {errors}")
        print(f"  tx {tx / dur / 1e6:.1f} MB/s rx {rx / dur / 1e6:.1f} MB/s, "
              f"client CPU {ccpu:.2f} s ({summary['client_cpu_seconds_per_1k']} s per 1k requests)")
        if server:
            print(f"  server CPU {server['cpu']:.2f} s ({summary['server_cpu_seconds_per_1k']} s per 1k requests), "
                  f"RSS {server['rss']:.1f} MiB")
        print("  latency ms: " + " ".join(f"{k}={v / 1000:.3f}" for k, v in lat.items()))


if __name__ == "__main__":
    main()
