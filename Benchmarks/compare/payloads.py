#!/usr/bin/env python3
"""The benchmark payloads, built once per protocol, and their wire encodings for MLServer.

Logical content (identical on both servers):
  chat      role BYTES [1] "user"; content BYTES [1,1] "What is the capital of France? ...";
            type BYTES [1,1] "text"
  image-1m  file BYTES [1] {"content_type": "image/jpeg"}, 1,048,576 pseudo-random bytes
  image-5m  same with 5,242,880 bytes

Image bytes are deterministic (random.Random(seed).randbytes) and written at run time to
results/payloads/ (`python3 payloads.py write [DIR]`) so InferWire's client can send the very same
files; nothing binary is committed.

Wire encodings (REST: MLServer and InferWire's HTTP door get the very same body):
  REST  JSON body. Text elements as JSON strings. Image: in the chat convention (rest_inputs):
        role ["user"], content [<base64 text>] with parameters {"content_type": "base64"},
        type ["image/jpeg"], shapes [1], [1,1], [1,1]; the MIME type rides in `type` (it cannot
        also ride in content_type, which MLServer reserves for its codec name). MLServer's echo
        model b64-decodes content to the real bytes and re-encodes them for the JSON response
        (see echo_model.py); InferWire's door decodes a content element whose type is a MIME
        type to raw bytes before its echo sees it, and its response carries them as base64.
        (v2load --rest-media file sends the older form: one input "file" [1], base64.)
  gRPC  ModelInferRequest, raw bytes. Default (v2load --grpc-encoding raw): raw_input_contents,
        the V2 BYTES raw encoding (per element a 4-byte little-endian length, then the bytes),
        what Triton clients / perf_analyzer send. MLServer unpacks it into a list of Python
        bytes for the model and, because the request was raw, packs the reply into
        raw_output_contents. Measured ~5-10 % less MLServer CPU per 1 MiB request than the
        alternative (--grpc-encoding contents): one protobuf `bytes` per element in
        InferTensorContents.bytes_contents, returned the same way; equal for chat and 5 MiB.
        The image input keeps {"content_type": "image/jpeg"} as on InferWire.
"""

import base64
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PAYLOAD_DIR = os.path.join(HERE, "results", "payloads")

CHAT_CONTENT = "What is the capital of France? Answer in one word."
IMAGE_SIZES = {"image-1m": 1 << 20, "image-5m": 5 << 20}
IMAGE_SEEDS = {"image-1m": 1, "image-5m": 5}
REQUEST_ID = "bench-1"


def image_bytes(name: str) -> bytes:
    # Deterministic and incompressible; same seed -> same bytes on every machine/run.
    return random.Random(IMAGE_SEEDS[name]).randbytes(IMAGE_SIZES[name])


def write_payload_files(directory: str = DEFAULT_PAYLOAD_DIR) -> dict:
    """Write image-1m.jpg / image-5m.jpg (the raw bytes) if missing; return name -> path."""
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for name in IMAGE_SIZES:
        path = os.path.join(directory, f"{name}.jpg")
        if not os.path.exists(path) or os.path.getsize(path) != IMAGE_SIZES[name]:
            data = image_bytes(name)
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        paths[name] = path
    return paths


def logical_inputs(payload: str = None, file: str = None, mime: str = None):
    """[(name, datatype, shape, parameters|None, [elements as bytes])]"""
    if file is not None:
        with open(file, "rb") as f:
            data = f.read()
        return [("file", "BYTES", [1], {"content_type": mime or "application/octet-stream"}, [data])]
    if payload == "chat":
        return [
            ("role", "BYTES", [1], None, [b"user"]),
            ("content", "BYTES", [1, 1], None, [CHAT_CONTENT.encode()]),
            ("type", "BYTES", [1, 1], None, [b"text"]),
        ]
    if payload in IMAGE_SIZES:
        path = os.path.join(DEFAULT_PAYLOAD_DIR, f"{payload}.jpg")
        if os.path.exists(path) and os.path.getsize(path) == IMAGE_SIZES[payload]:
            with open(path, "rb") as f:
                data = f.read()
        else:
            data = image_bytes(payload)
        return [("file", "BYTES", [1], {"content_type": "image/jpeg"}, [data])]
    raise ValueError(f"unknown payload {payload!r}")


def rest_inputs(inputs):
    """For REST: a lone media input (the image payloads, --file) as one chat message in the
    chat convention, role/content/type with the MIME type in type; anything else unchanged."""
    if len(inputs) != 1:
        return inputs
    _name, dtype, _shape, params, elems = inputs[0]
    mime = (params or {}).get("content_type", "")
    if dtype != "BYTES" or len(elems) != 1 or "/" not in mime:
        return inputs
    return [
        ("role", "BYTES", [1], None, [b"user"]),
        ("content", "BYTES", [1, 1], None, elems),
        ("type", "BYTES", [1, 1], None, [mime.encode()]),
    ]


def _is_text(elem: bytes) -> bool:
    try:
        elem.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def rest_body(inputs, request_id: str = REQUEST_ID) -> bytes:
    """V2 JSON request. Binary elements go as base64 with content_type "base64"."""
    out = []
    for name, dtype, shape, params, elems in inputs:
        binary = any(not _is_text(e) for e in elems) or (
            params is not None and not str(params.get("content_type", "")).startswith("text")
        )
        tensor = {"name": name, "shape": shape, "datatype": dtype}
        if binary:
            tensor["parameters"] = {"content_type": "base64"}
            tensor["data"] = [base64.b64encode(e).decode("ascii") for e in elems]
        else:
            if params:
                tensor["parameters"] = params
            tensor["data"] = [e.decode("utf-8") for e in elems]
        out.append(tensor)
    return json.dumps({"id": request_id, "inputs": out}, separators=(",", ":")).encode()


def grpc_request(inputs, model: str, raw: bool = False, request_id: str = REQUEST_ID):
    """Serialized inference.ModelInferRequest (bytes) using MLServer's bundled protos."""
    from mlserver.grpc import dataplane_pb2 as pb

    req = pb.ModelInferRequest(model_name=model, id=request_id)
    for name, dtype, shape, params, elems in inputs:
        t = req.inputs.add(name=name, datatype=dtype, shape=shape)
        for k, v in (params or {}).items():
            t.parameters[k].string_param = v
        if raw:
            req.raw_input_contents.append(
                b"".join(len(e).to_bytes(4, "little") + e for e in elems)
            )
        else:
            t.contents.bytes_contents.extend(elems)
    return req.SerializeToString()


def expected_elements(inputs):
    """name -> list of element bytes the echo must return."""
    return {name: elems for name, _, _, _, elems in inputs}


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "write":
        for name, path in write_payload_files(*(sys.argv[2:3] or [])).items():
            print(f"{name} {path}")
    else:
        print(f"usage: {sys.argv[0]} write [DIR]", file=sys.stderr)
        sys.exit(2)
