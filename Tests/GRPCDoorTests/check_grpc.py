"""The gRPC door driven by a plain grpcio client on stubs generated from proto/inference.proto
(the shape MLServer's own clients use); tritonclient.grpc is check_triton_grpc.py (its own
generated messages would clash with these in one process).
Usage: check_grpc.py HOST:PORT PROTO_DIR. Prints one line per failed check and, last, a JSON
summary {"checks": n, "failed": [names]}; exits 1 when a check failed."""
import json
import os
import struct
import sys
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, expect, finish, inference_stubs  # noqa: E402

TARGET, PROTO_DIR = sys.argv[1], sys.argv[2]
pb, pb_grpc = inference_stubs(PROTO_DIR)

channel = grpc.insecure_channel(TARGET)
stub = pb_grpc.GRPCInferenceServiceStub(channel)


def chat_request(model, content):
    """A user message in the chat convention, the BYTES tensors in raw_input_contents."""
    request = pb.ModelInferRequest(model_name=model)
    for name, value in [("role", b"user"), ("content", content), ("type", b"text")]:
        request.inputs.add(name=name, datatype="BYTES", shape=[1])
        request.raw_input_contents.append(struct.pack("<I", len(value)) + value)
    return request


def code_of(call):
    try:
        call()
    except grpc.RpcError as error:
        return error.code(), error.details()
    return None, None


@check("health, metadata, repository index")
def health():
    expect(stub.ServerLive(pb.ServerLiveRequest()).live, "live")
    expect(stub.ServerReady(pb.ServerReadyRequest()).ready, "ready")
    expect(stub.ModelReady(pb.ModelReadyRequest(name="echo")).ready, "echo ready")
    expect("model_repository" in stub.ServerMetadata(pb.ServerMetadataRequest()).extensions, "extensions")
    metadata = stub.ModelMetadata(pb.ModelMetadataRequest(name="gemini-chat-completions"))
    expect([t.name for t in metadata.inputs] == ["role", "content", "type"], metadata)
    names = [m.name for m in stub.RepositoryIndex(pb.RepositoryIndexRequest()).models]
    expect("echo" in names, names)


@check("ModelInfer: BYTES in raw_input_contents and FP32 in typed contents, echoed back")
def infer():
    request = pb.ModelInferRequest(model_name="echo", id="g-1")
    text = "héllo".encode()
    request.inputs.add(name="s", datatype="BYTES", shape=[1])
    request.raw_input_contents.append(struct.pack("<I", len(text)) + text)
    response = stub.ModelInfer(request)
    expect(response.id == "g-1" and response.raw_output_contents[0][4:] == text, response)
    typed = pb.ModelInferRequest(model_name="echo")
    tensor = typed.inputs.add(name="f", datatype="FP32", shape=[2])
    tensor.contents.fp32_contents.extend([0.5, -2.0])
    answer = stub.ModelInfer(typed)
    expect(list(answer.outputs[0].contents.fp32_contents) == [0.5, -2.0], answer)


@check("the seeds' chat request to Gemini over gRPC (raw bytes), llm_parameters as a JSON string")
def seed_chat():
    request = chat_request("gemini-chat-completions", b"Hello from gRPC!")
    request.parameters["llm_parameters"].string_param = json.dumps({"generation_config": {"top_k": 40}})
    response = stub.ModelInfer(request)
    expect("output_all" in [o.name for o in response.outputs], response.outputs)


@check("ModelStreamInfer: each request's stream of responses; a failed request gets error_message, the stream goes on")
def stream():
    def requests():
        ok = pb.ModelInferRequest(model_name="echo", id="s-1")
        ok.parameters["stream_count"].int64_param = 3
        ok.inputs.add(name="x", datatype="BYTES", shape=[1]).contents.bytes_contents.append(b"hi")
        yield ok
        yield pb.ModelInferRequest(model_name="nope", id="s-2")
        again = pb.ModelInferRequest(model_name="echo", id="s-3")
        again.inputs.add(name="x", datatype="BYTES", shape=[1]).contents.bytes_contents.append(b"again")
        yield again
    answers = list(stub.ModelStreamInfer(requests()))
    expect(len(answers) == 5, answers)
    expect([a.infer_response.id for a in answers[:3]] == ["s-1"] * 3, answers[:3])
    expect("NOT_FOUND" in answers[3].error_message and "nope" in answers[3].error_message, answers[3])
    expect(answers[4].infer_response.id == "s-3", answers[4])


@check("statuses as the binary door's: NOT_FOUND, INVALID_ARGUMENT (routing, malformed bytes), UNIMPLEMENTED, server alive after")
def statuses():
    code, details = code_of(lambda: stub.ModelInfer(pb.ModelInferRequest(model_name="nope")))
    expect(code == grpc.StatusCode.NOT_FOUND and "nope" in details, (code, details))
    bad = pb.ModelInferRequest(model_name="echo")
    bad.inputs.add(name="f", datatype="FP32", shape=[3]).contents.fp32_contents.append(1.0)
    code, details = code_of(lambda: stub.ModelInfer(bad))
    expect(code == grpc.StatusCode.INVALID_ARGUMENT and "the shape says 3" in details, (code, details))
    raw = channel.unary_unary("/inference.GRPCInferenceService/ModelInfer", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    code, details = code_of(lambda: raw(b"\x0a\xff\xff\xff\xff\x0f"))
    expect(code == grpc.StatusCode.INVALID_ARGUMENT and "malformed ModelInferRequest" in details, (code, details))
    unknown = channel.unary_unary("/inference.GRPCInferenceService/NoSuchMethod", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    code, _ = code_of(lambda: unknown(b""))
    expect(code == grpc.StatusCode.UNIMPLEMENTED, code)
    expect(stub.ServerLive(pb.ServerLiveRequest()).live, "alive")


@check("a 3 MiB tensor across many DATA frames and window updates, echoed whole; a 5 MiB message over the door's 4 MiB limit is RESOURCE_EXHAUSTED; the server alive after")
def large():
    big = bytes(range(256)) * (3 * 4096)
    request = pb.ModelInferRequest(model_name="echo")
    request.inputs.add(name="b", datatype="BYTES", shape=[1])
    request.raw_input_contents.append(struct.pack("<I", len(big)) + big)
    for _ in range(2):
        response = stub.ModelInfer(request, timeout=30)
        expect(response.raw_output_contents[0][4:] == big, "3 MiB echoed whole")
    over = pb.ModelInferRequest(model_name="echo")
    over.inputs.add(name="b", datatype="BYTES", shape=[1])
    over.raw_input_contents.append(struct.pack("<I", 5 << 20) + bytes(5 << 20))
    code, details = code_of(lambda: stub.ModelInfer(over, timeout=30))
    expect(code == grpc.StatusCode.RESOURCE_EXHAUSTED and "limit of 4194304 bytes" in details, (code, details))
    expect(stub.ServerLive(pb.ServerLiveRequest()).live, "alive")


@check("ModelStreamInfer: a client streaming more than the call has read (over max message + 1 MiB) gets RESOURCE_EXHAUSTED, not the server's memory")
def stream_budget():
    def requests():
        # The first call holds its stream for 5 s (a loaded CI machine took over 1 s to send the
        # rest); the 6 MiB behind it go over the 5 MiB budget (the door's 4 MiB message limit +
        # 1 MiB). Messages taken before that are answered first.
        for i in range(3):
            request = pb.ModelInferRequest(model_name="echo", id=f"b-{i}")
            request.parameters["delay_ms"].int64_param = 5000 if i == 0 else 0
            request.inputs.add(name="b", datatype="BYTES", shape=[1])
            request.raw_input_contents.append(struct.pack("<I", 3 << 20) + bytes(3 << 20))
            yield request
    responses = stub.ModelStreamInfer(requests(), timeout=30)
    code, details = code_of(lambda: list(responses))
    expect(code == grpc.StatusCode.RESOURCE_EXHAUSTED and "not read yet" in details, (code, details))
    expect(stub.ServerLive(pb.ServerLiveRequest()).live, "alive")


@check("a gzip-compressed request is UNIMPLEMENTED with the reason (the door reads uncompressed messages); the connection goes on")
def compressed():
    code, details = code_of(lambda: stub.ServerLive(pb.ServerLiveRequest(), compression=grpc.Compression.Gzip))
    expect(code == grpc.StatusCode.UNIMPLEMENTED and "compress" in details, (code, details))
    expect(stub.ServerLive(pb.ServerLiveRequest()).live, "alive")


@check("grpc.health.v1 (gRPC's own client): Check SERVING for the server and the V2 service, NOT_FOUND for others; Watch streams the status")
def grpc_health():
    health = health_pb2_grpc.HealthStub(channel)
    serving = health_pb2.HealthCheckResponse.SERVING
    for service in ["", "inference.GRPCInferenceService"]:
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        expect(answer.status == serving, (service, answer))
    code, details = code_of(lambda: health.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=5))
    expect(code == grpc.StatusCode.NOT_FOUND and "nope" in details, (code, details))
    watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=5)
    expect(next(watch).status == serving, "Watch starts with SERVING")
    watch.cancel()
    unknown = health.Watch(health_pb2.HealthCheckRequest(service="nope"), timeout=5)
    expect(next(unknown).status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN, "Watch of an unknown service")
    unknown.cancel()


@check("deadline: a 0.5 s grpc-timeout on a model whose provider takes 5 s is DEADLINE_EXCEEDED at once, the server alive after")
def deadline():
    request = chat_request("slow-chat", b"take your time")
    started = time.monotonic()
    code, _ = code_of(lambda: stub.ModelInfer(request, timeout=0.5))
    elapsed = time.monotonic() - started
    expect(code == grpc.StatusCode.DEADLINE_EXCEEDED, code)
    expect(elapsed < 2.0, f"took {elapsed:.2f} s")
    expect(stub.ServerLive(pb.ServerLiveRequest()).live, "alive")


finish()
