"""The HTTP door driven by Python's `requests`, as the seeds drive MLServer: every request below is
posted as the seeds write it. Usage: check_rest.py BASE_URL. Prints one line per failed check and,
last, a JSON summary {"checks": n, "failed": [names]}; exits 1 when a check failed."""
import base64
import json
import os
import sys
import uuid

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, expect, finish  # noqa: E402

BASE = sys.argv[1].rstrip("/")


def infer(model, body, **kwargs):
    return requests.post(f"{BASE}/v2/models/{model}/infer", json=body, timeout=30, **kwargs)


@check("health, server metadata, model metadata and readiness")
def health():
    expect(requests.get(f"{BASE}/v2/health/live", timeout=10).status_code == 200, "live")
    expect(requests.get(f"{BASE}/v2/health/ready", timeout=10).status_code == 200, "ready")
    server = requests.get(f"{BASE}/v2", timeout=10).json()
    expect(server["name"] == "inferwire" and "binary_tensor_data" in server["extensions"], server)
    metadata = requests.get(f"{BASE}/v2/models/gemini-chat-completions", timeout=10).json()
    expect(metadata["name"] == "gemini-chat-completions", metadata)
    expect([t["name"] for t in metadata["inputs"]] == ["role", "content", "type"], metadata)
    ready = requests.get(f"{BASE}/v2/models/echo/ready", timeout=10)
    expect(ready.status_code == 200 and ready.json() == {"name": "echo", "ready": True}, ready.text)
    versioned = requests.get(f"{BASE}/v2/models/echo-v2/versions/2/ready", timeout=10)
    expect(versioned.status_code == 200, versioned.text)
    wrong = requests.get(f"{BASE}/v2/models/echo-v2/versions/9", timeout=10)
    expect(wrong.status_code == 404 and "has no version '9'" in wrong.json()["error"], wrong.text)
    missing = requests.get(f"{BASE}/v2/models/nope", timeout=10)
    expect(missing.status_code == 404 and "nope" in missing.json()["error"], missing.text)
    index = requests.post(f"{BASE}/v2/repository/index", json={"ready": True}, timeout=10).json()
    expect({"name": "echo", "version": "", "state": "READY", "reason": ""} in index, index)


@check("every V2 datatype in JSON, nested and flat, round trips through echo")
def datatypes():
    inputs = [
        {"name": "i32", "shape": [2, 2], "datatype": "INT32", "data": [[1, -2], [3, 2147483647]]},
        {"name": "i64", "shape": [2], "datatype": "INT64", "data": [-9223372036854775808, 9007199254740993]},
        {"name": "u64", "shape": [1], "datatype": "UINT64", "data": [18446744073709551615]},
        {"name": "u8", "shape": [3], "datatype": "UINT8", "data": [0, 7, 255]},
        {"name": "f32", "shape": [2], "datatype": "FP32", "data": [0.5, -1.25]},
        {"name": "f64", "shape": [1, 1], "datatype": "FP64", "data": [[3.141592653589793]]},
        {"name": "b", "shape": [3], "datatype": "BOOL", "data": [True, False, True]},
        {"name": "s", "shape": [2], "datatype": "BYTES", "data": ["héllo", "wörld"], "parameters": {"content_type": "str"}},
    ]
    response = infer("echo", {"id": "types-1", "inputs": inputs, "parameters": {"tag": "x", "n": 3, "ratio": 0.5}})
    expect(response.status_code == 200, response.text)
    body = response.json()
    expect(body["id"] == "types-1" and body["model_name"] == "echo", body)
    outputs = {output["name"]: output for output in body["outputs"]}
    expect(outputs["i32"]["data"] == [1, -2, 3, 2147483647] and outputs["i32"]["shape"] == [2, 2], outputs["i32"])
    expect(outputs["i64"]["data"] == [-9223372036854775808, 9007199254740993], outputs["i64"])
    expect(outputs["u64"]["data"] == [18446744073709551615], outputs["u64"])
    expect(outputs["u8"]["data"] == [0, 7, 255], outputs["u8"])
    expect(outputs["f32"]["data"] == [0.5, -1.25], outputs["f32"])
    expect(outputs["f64"]["data"] == [3.141592653589793], outputs["f64"])
    expect(outputs["b"]["data"] == [True, False, True], outputs["b"])
    expect(outputs["s"]["data"] == ["héllo", "wörld"] and outputs["s"]["parameters"] == {"content_type": "str"}, outputs["s"])


@check("requested outputs: only those come back; an unknown one is a 400 naming it")
def requested_outputs():
    inputs = [{"name": n, "shape": [1], "datatype": "INT32", "data": [i]} for i, n in enumerate(["a", "b", "c"])]
    body = infer("echo", {"inputs": inputs, "outputs": [{"name": "c"}, {"name": "a"}]}).json()
    expect([o["name"] for o in body["outputs"]] == ["a", "c"], body)
    bad = infer("echo", {"inputs": inputs, "outputs": [{"name": "zz"}]})
    expect(bad.status_code == 400 and "zz" in bad.json()["error"], bad.text)


@check("seed 000: one message to Gemini, then llm_parameters as a JSON object")
def seed_gemini():
    inference_request = {
        "inputs": [
            {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
            {"name": "content", "shape": [1], "datatype": "BYTES", "data": ["Hello from MLServer!"]},
            {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["text"]},
        ]
    }
    response = infer("gemini-chat-completions", inference_request)
    expect(response.status_code == 200, response.text)
    names = [output["name"] for output in response.json()["outputs"]]
    expect(names[:4] == ["role", "content", "type", "output_all"], names)
    inference_request = {
        "parameters": {
            "content_type": "gemini",
            "llm_parameters": {
                "generation_config": {"top_k": 40, "max_output_tokens": 50},
                "safety_settings": {"HATE": "BLOCK_NONE", "HARASSMENT": "BLOCK_NONE", "SEXUAL": "BLOCK_NONE", "DANGEROUS": "BLOCK_NONE"},
            },
        },
        "inputs": [
            {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
            {"name": "content", "shape": [1], "datatype": "BYTES", "data": ["Where is the best place to nap?"]},
            {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["text"]},
        ],
    }
    response = infer("gemini-chat-completions", inference_request)
    expect(response.status_code == 200, response.text)


@check("seed 000: the prompt template with the numeric 5 inside a BYTES tensor")
def seed_prompt():
    inference_request = {
        "inputs": [
            {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
            {"name": "A", "shape": [1], "datatype": "BYTES", "data": ["10"]},
            {"name": "B", "shape": [1], "datatype": "BYTES", "data": [5]},
            {"name": "C", "shape": [1], "datatype": "BYTES", "data": ["3"]},
            {"name": "D", "shape": [1], "datatype": "BYTES", "data": ["2"]},
        ]
    }
    response = infer("gemini-prompt-chat-completions", inference_request)
    expect(response.status_code == 200, response.text)


@check("seed 000: a base64 image is decoded at the door and reaches the provider as the image")
def seed_image():
    jpeg = bytes([0xFF, 0xD8, 0xFF, 0xE0]) + bytes(range(256)) * 8
    img_str = base64.b64encode(jpeg).decode()
    inference_request = {
        "inputs": [
            {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
            {"name": "content", "shape": [1, 2], "datatype": "BYTES", "data": ["Describe what you see!", img_str]},
            {"name": "type", "shape": [1, 2], "datatype": "BYTES", "data": ["text", "image/jpeg"]},
        ]
    }
    response = infer("gemini-chat-completions", inference_request)
    expect(response.status_code == 200, response.text)
    content = {o["name"]: o for o in response.json()["outputs"]}["content"]["data"][0]
    expect(f"image/jpeg({len(jpeg)})" in content, content)
    bad = dict(inference_request)
    bad["inputs"] = [dict(i) for i in inference_request["inputs"]]
    bad["inputs"][1]["data"] = ["Describe", "!!! not base64 !!!"]
    refused = infer("gemini-chat-completions", bad)
    expect(refused.status_code == 400 and "base64" in refused.json()["error"], refused.text)


@check("seed 002: five messages, a read, and a multimodal entry sent with shape [1]")
def seed_memory():
    def send_inference_request(role, content, type, memory_id, endpoint=f"{BASE}/v2/models/sqlite-memory/infer"):
        inference_request = {
            "inputs": [
                {"name": "memory_id", "shape": [1], "datatype": "BYTES", "data": [memory_id], "parameters": {"content_type": "str"}},
                {"name": "role", "shape": [1], "datatype": "BYTES", "data": role, "parameters": {"content_type": "str"}},
                {"name": "content", "shape": [1], "datatype": "BYTES", "data": content, "parameters": {"content_type": "str"}},
                {"name": "type", "shape": [1], "datatype": "BYTES", "data": type, "parameters": {"content_type": "str"}},
            ]
        }
        return requests.post(endpoint, json=inference_request, timeout=30)

    memory_id = str(uuid.uuid4())
    for role, content in [("user", "Hey how are you?"), ("assistant", "I'm good, how are you?"), ("user", "What is the capital of France?")]:
        expect(send_inference_request([role], [content], ["text"], memory_id).status_code == 200, "append")
    read = requests.post(f"{BASE}/v2/models/sqlite-memory/infer", timeout=30, json={
        "inputs": [{"name": "memory_id", "shape": [1], "datatype": "BYTES", "data": [memory_id], "parameters": {"content_type": "str"}}]})
    history = {o["name"]: o for o in read.json()["outputs"]}["history"]["data"]
    expect(history[0] == '{"role": "user", "content": [{"type": "text", "value": "Hey how are you?"}]}' and len(history) == 3, history)
    multimodal = send_inference_request(["user"], ["This is the first input", "This is the second input"], ["text", "text"], str(uuid.uuid4()))
    expect(multimodal.status_code == 200, multimodal.text)
    entry = {o["name"]: o for o in multimodal.json()["outputs"]}["history"]["data"]
    expect(entry == ['{"role": "user", "content": [{"type": "text", "value": "This is the first input"}, {"type": "text", "value": "This is the second input"}]}'], entry)


@check("bad input: each a clear error with its status, the server alive after")
def bad_input():
    url = f"{BASE}/v2/models/echo/infer"
    broken = requests.post(url, data=b'{"inputs": [', headers={"content-type": "application/json"}, timeout=10)
    expect(broken.status_code == 400 and "not valid JSON" in broken.json()["error"], broken.text)
    wrong_type = infer("echo", {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": ["seven"]}]})
    expect(wrong_type.status_code == 400 and "is not a INT32" in wrong_type.json()["error"], wrong_type.text)
    mismatch = infer("echo", {"inputs": [{"name": "x", "shape": [3], "datatype": "FP32", "data": [1.0]}]})
    expect(mismatch.status_code == 400 and "the data holds 1 elements, the shape [3] says 3" in mismatch.json()["error"], mismatch.text)
    unknown_datatype = infer("echo", {"inputs": [{"name": "x", "shape": [1], "datatype": "FLOAT", "data": [1]}]})
    expect(unknown_datatype.status_code == 400, unknown_datatype.text)
    missing = infer("nope", {"inputs": []})
    expect(missing.status_code == 404, missing.text)
    route = requests.get(f"{BASE}/v2/nowhere", timeout=10)
    expect(route.status_code == 404 and "no route" in route.json()["error"], route.text)
    huge = requests.post(url, data=b"x" * (3 << 20), headers={"content-type": "application/json"}, timeout=30)
    expect(huge.status_code == 413, f"{huge.status_code} {huge.text}")
    header = requests.post(url, data=b'{"inputs": []}', headers={"Inference-Header-Content-Length": "999"}, timeout=10)
    expect(header.status_code == 400 and "Inference-Header-Content-Length" in header.json()["error"], header.text)
    claim = json.dumps({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "parameters": {"binary_data_size": 1 << 40}}]}).encode()
    huge = requests.post(url, data=claim + b"1234", headers={"Inference-Header-Content-Length": str(len(claim))}, timeout=10)
    expect(huge.status_code == 400 and "runs past the end of the binary data" in huge.json()["error"], huge.text)
    expect(requests.get(f"{BASE}/v2/health/live", timeout=10).status_code == 200, "alive")


@check("pipelining: two requests written at once are answered in order on one connection")
def pipelining():
    import socket
    host, port = BASE.split("//")[1].split(":")
    body = json.dumps({"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["first"]}]}).encode()
    second = json.dumps({"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["second"]}]}).encode()
    request = lambda payload: (f"POST /v2/models/echo/infer HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                               f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request(body) + request(second))
        received = b""
        while received.count(b"HTTP/1.1 200") < 2 or not received.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    text = received.decode()
    expect(text.count("HTTP/1.1 200") == 2 and text.index('"first"') < text.index('"second"'), text)


@check("Triton's binary tensor extension, by hand: binary inputs in, binary outputs out")
def binary_extension():
    import struct
    floats = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    text = b"hi there"
    strings = struct.pack("<I", len(text)) + text
    header = json.dumps({
        "inputs": [
            {"name": "f", "shape": [2, 2], "datatype": "FP32", "parameters": {"binary_data_size": len(floats)}},
            {"name": "j", "shape": [1], "datatype": "INT64", "data": [42]},
            {"name": "s", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": len(strings)}},
        ],
        "outputs": [{"name": "f", "parameters": {"binary_data": True}}, {"name": "j"}, {"name": "s", "parameters": {"binary_data": True}}],
    }).encode()
    response = requests.post(f"{BASE}/v2/models/echo/infer", data=header + floats + strings, timeout=10, headers={
        "Inference-Header-Content-Length": str(len(header)), "content-type": "application/octet-stream"})
    expect(response.status_code == 200, response.text)
    length = int(response.headers["Inference-Header-Content-Length"])
    body = json.loads(response.content[:length])
    outputs = {o["name"]: o for o in body["outputs"]}
    expect(outputs["j"]["data"] == [42], outputs)
    expect(outputs["f"]["parameters"]["binary_data_size"] == 16 and "data" not in outputs["f"], outputs)
    expect(response.content[length:] == floats + strings, "binary section")


@check("server-sent events: infer_stream and generate_stream, MLServer's framing")
def streaming():
    body = {"parameters": {"stream_count": 3}, "inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["hi"]}]}
    response = requests.post(f"{BASE}/v2/models/echo/infer_stream", json=body, stream=True, timeout=30)
    expect(response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream"), response.headers)
    events = [json.loads(line[len("data: "):]) for line in response.iter_lines(decode_unicode=True) if line.startswith("data: ")]
    expect(len(events) == 3 and all(e["outputs"][0]["data"] == ["hi"] for e in events), events)
    chat = {"inputs": [
        {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
        {"name": "content", "shape": [1], "datatype": "BYTES", "data": ["Tell me a story"]},
        {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["text"]},
    ]}
    response = requests.post(f"{BASE}/v2/models/gemini-chat-completions/generate_stream", json=chat, stream=True, timeout=30)
    events = [json.loads(line[len("data: "):]) for line in response.iter_lines(decode_unicode=True) if line.startswith("data: ")]
    expect(len(events) >= 2, events)
    expect(events[-1]["parameters"].get("final") is True, events[-1])
    expect("output_all" in [o["name"] for o in events[-1]["outputs"]], events[-1])
    missing = requests.post(f"{BASE}/v2/models/nope/infer_stream", json=body, timeout=30)
    expect(missing.status_code == 404 and "nope" in missing.json()["error"], missing.text)


finish()
