#!/usr/bin/env python3
"""Null V2 servers: answer every inference request with a canned, valid echo response and do no
other work, so a load run against them measures the load client's own ceiling.

  null_servers.py rest --port 18090 [--payload chat] [--processes N]
  null_servers.py grpc --port 18091 [--payload chat] [--processes N]

REST: a raw asyncio Protocol speaking keep-alive HTTP/1.1 (pipelining-safe): it finds each
request's end from Content-Length, skips the body without parsing it and writes the precomputed
response (the echo of --payload, so v2load's first-response check passes). Any path/method gets
the same 200 answer, so GET /v2/health/ready works as a readiness probe.
gRPC: grpc.aio with a generic handler for /inference.GRPCInferenceService/ModelInfer, no
(de)serializers: request bytes are ignored and fixed serialized response bytes are returned.
--processes N > 1 runs N copies on the same port with SO_REUSEPORT (the kernel spreads
connections), for when one server process is the bottleneck. Stops on SIGTERM / SIGINT.
"""

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payloads  # noqa: E402


def rest_response(inputs, model) -> bytes:
    outs = []
    for name, dtype, shape, params, elems in inputs:
        o = {"name": name, "shape": shape, "datatype": dtype}
        try:
            data = [e.decode("utf-8") for e in elems]
            if params:
                o["parameters"] = params
        except UnicodeDecodeError:
            o["parameters"] = {"content_type": "base64"}
            data = [base64.b64encode(e).decode("ascii") for e in elems]
        o["data"] = data
        outs.append(o)
    body = json.dumps(
        {"model_name": model, "id": payloads.REQUEST_ID, "parameters": {}, "outputs": outs},
        separators=(",", ":"),
    ).encode()
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    ) + body


def grpc_response(inputs, model) -> bytes:
    from mlserver.grpc import dataplane_pb2 as pb

    r = pb.ModelInferResponse(model_name=model, id=payloads.REQUEST_ID)
    for name, dtype, shape, params, elems in inputs:
        o = r.outputs.add(name=name, datatype=dtype, shape=shape)
        for k, v in (params or {}).items():
            o.parameters[k].string_param = v
        o.contents.bytes_contents.extend(elems)
    return r.SerializeToString()


class NullHTTP(asyncio.Protocol):
    response = b""

    def connection_made(self, transport):
        self.t = transport
        self.buf = bytearray()
        self.skip = 0  # body bytes of the current request still to arrive

    def data_received(self, data):
        if self.skip:
            n = min(self.skip, len(data))
            self.skip -= n
            if self.skip:
                return
            self.t.write(self.response)
            data = data[n:]
            if not data:
                return
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            i = head.find(b"\r\ncontent-length:")
            clen = 0
            if i >= 0:
                j = head.find(b"\r\n", i + 2)
                clen = int(head[i + 17:j if j >= 0 else len(head)])
            have = len(self.buf) - end - 4
            if have >= clen:
                del self.buf[:end + 4 + clen]
                self.t.write(self.response)
            else:
                self.skip = clen - have
                self.buf = bytearray()
                return


async def serve_rest(port, response):
    NullHTTP.response = response
    loop = asyncio.get_running_loop()
    server = await loop.create_server(NullHTTP, "127.0.0.1", port, reuse_port=True, backlog=1024)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    async with server:
        await stop.wait()


async def serve_grpc(port, response):
    import grpc

    async def model_infer(request, context):
        return response

    handler = grpc.method_handlers_generic_handler(
        "inference.GRPCInferenceService",
        {"ModelInfer": grpc.unary_unary_rpc_method_handler(model_infer)},
    )
    server = grpc.aio.server(
        options=[
            ("grpc.so_reuseport", 1),
            ("grpc.max_send_message_length", 64 << 20),
            ("grpc.max_receive_message_length", 64 << 20),
        ]
    )
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    await server.stop(0.5)


def run_one(kind, port, response):
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run((serve_rest if kind == "rest" else serve_grpc)(port, response))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["rest", "grpc"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--payload", default="chat", choices=["chat", "image-1m", "image-5m"])
    ap.add_argument("--model", default="echo")
    ap.add_argument("--processes", type=int, default=1)
    a = ap.parse_args()
    inputs = payloads.logical_inputs(a.payload)
    response = rest_response(payloads.rest_inputs(inputs), a.model) if a.kind == "rest" else grpc_response(inputs, a.model)
    if a.processes == 1:
        run_one(a.kind, a.port, response)
        return
    ctx = mp.get_context("fork")  # before any grpc state exists in this process
    procs = [ctx.Process(target=run_one, args=(a.kind, a.port, response)) for _ in range(a.processes)]
    for p in procs:
        p.start()

    def forward(sig, _frame):
        for p in procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for p in procs:
        p.join()


if __name__ == "__main__":
    main()
