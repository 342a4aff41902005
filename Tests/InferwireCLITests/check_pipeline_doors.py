"""The chatbot pipeline (examples/chatbot) through the HTTP and gRPC doors of a served InferWire:
REST infer as the seeds post it (requests), REST generate_stream (server-sent events), gRPC
ModelInfer with raw_input_contents and ModelStreamInfer (grpcio on stubs generated from
proto/inference.proto), a retried request id appending nothing twice, a step failure named.
Usage: check_pipeline_doors.py HTTP_BASE GRPC_TARGET PROTO_DIR. Prints one line per failed check
and, last, a JSON summary {"checks": n, "failed": [names]}; exits 1 when a check failed."""
import json
import os
import struct
import sys
import uuid

import grpc
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, expect, finish, inference_stubs  # noqa: E402

BASE, TARGET, PROTO_DIR = sys.argv[1], sys.argv[2], sys.argv[3]
pb, pb_grpc = inference_stubs(PROTO_DIR)
stub = pb_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(TARGET))


def turn(memory_id, text, request_id=None):
    body = {"inputs": [
        {"name": "memory_id", "shape": [1], "datatype": "BYTES", "data": [memory_id]},
        {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
        {"name": "content", "shape": [1], "datatype": "BYTES", "data": [text]},
        {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["text"]}]}
    if request_id:
        body["id"] = request_id
    return body


def history(memory_id):
    answer = requests.post(f"{BASE}/v2/models/chat-memory/infer", json={"inputs": [
        {"name": "memory_id", "shape": [1], "datatype": "BYTES", "data": [memory_id]}]}, timeout=10).json()
    return next(o for o in answer["outputs"] if o["name"] == "history")["data"]


def output(answer, name):
    return next(o for o in answer["outputs"] if o["name"] == name)["data"]


@check("REST infer: the seeds' JSON shape; the answer, then the memory holds question and answer")
def rest():
    memory_id = str(uuid.uuid4())
    answer = requests.post(f"{BASE}/v2/models/chatbot/infer", json=turn(memory_id, "Hi! How are you doing today?", "r-1"), timeout=10)
    expect(answer.status_code == 200, answer.text)
    expect(output(answer.json(), "content") == ["received 1 part(s): text(28)"], answer.text)
    expect(answer.json()["id"] == "r-1", answer.text)
    again = requests.post(f"{BASE}/v2/models/chatbot/infer", json=turn(memory_id, "Hi! How are you doing today?", "r-1"), timeout=10)
    expect(again.status_code == 200, again.text)
    entries = [json.loads(e) for e in history(memory_id)]
    expect([e["role"] for e in entries] == ["user", "assistant"], entries)


@check("REST generate_stream: deltas, then the final message; the answer is remembered")
def rest_stream():
    memory_id = str(uuid.uuid4())
    response = requests.post(f"{BASE}/v2/models/chatbot/generate_stream", json=turn(memory_id, "Tell me a story"), stream=True, timeout=10)
    expect(response.status_code == 200, response.text)
    events = [json.loads(line[len("data: "):]) for line in response.iter_lines(decode_unicode=True) if line.startswith("data: ")]
    expect(len(events) >= 3, events)
    expect(events[-1]["parameters"].get("final") is True, events[-1])
    deltas = "".join(output(e, "content")[0] for e in events[:-1])
    expect(deltas == "received 1 part(s): text(15)", deltas)
    expect(len(history(memory_id)) == 2, history(memory_id))


@check("gRPC ModelInfer with raw_input_contents, and ModelStreamInfer")
def grpc_calls():
    memory_id = str(uuid.uuid4())
    request = pb.ModelInferRequest(model_name="chatbot", id="g-1")
    for name, value in [("memory_id", memory_id.encode()), ("role", b"user"), ("content", b"What is the capital of France?"), ("type", b"text")]:
        request.inputs.add(name=name, datatype="BYTES", shape=[1])
        request.raw_input_contents.append(struct.pack("<I", len(value)) + value)
    answer = stub.ModelInfer(request, timeout=10)
    names = [o.name for o in answer.outputs]
    content = answer.raw_output_contents[names.index("content")] if answer.raw_output_contents else answer.outputs[names.index("content")].contents.bytes_contents[0]
    expect(b"received 1 part(s): text(30)" in content, answer)
    pieces = list(stub.ModelStreamInfer(iter([request]), timeout=10))
    expect(all(not p.error_message for p in pieces), pieces)
    expect(pieces[-1].infer_response.parameters["final"].bool_param, pieces[-1])
    # g-1 twice: the second turn (the stream) appended nothing again.
    expect(len(history(memory_id)) == 2, history(memory_id))


@check("a step failure names the step (REST 4xx/5xx with the V2 error body)")
def failure():
    bad = turn(str(uuid.uuid4()), "x")
    bad["inputs"] = bad["inputs"][:1]  # memory_id only: the memory reads, the LLM has nothing to answer
    answer = requests.post(f"{BASE}/v2/models/chatbot/infer", json=bad, timeout=10)
    expect(answer.status_code == 400, answer.text)
    expect("pipeline chatbot, step chat-llm" in answer.json()["error"], answer.text)


finish()
