"""The HTTP door driven by tritonclient.http, unchanged: health, metadata, and inference with and
without Triton's binary tensor extension. Usage: check_triton.py HOST:PORT. Prints one line per
failed check and, last, a JSON summary {"checks": n, "failed": [names]}; exits 1 on a failure."""
import json
import os
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, expect, finish  # noqa: E402

URL = sys.argv[1]


client = httpclient.InferenceServerClient(url=URL)


@check("health and metadata")
def health():
    expect(client.is_server_live() and client.is_server_ready(), "server")
    expect(client.is_model_ready("echo"), "echo ready")
    expect(not client.is_model_ready("nope"), "nope is not ready")
    expect("binary_tensor_data" in client.get_server_metadata()["extensions"], "extensions")
    expect(client.get_model_metadata("gemini-chat-completions")["name"] == "gemini-chat-completions", "metadata")


def tensors(binary):
    floats = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    integers = np.array([[-1, 2**40]], dtype=np.int64)
    strings = np.array([b"caf\xc3\xa9", b"\x00\xffraw"], dtype=np.object_)
    inputs = [
        httpclient.InferInput("f", list(floats.shape), "FP32"),
        httpclient.InferInput("i", list(integers.shape), "INT64"),
        httpclient.InferInput("s", list(strings.shape), "BYTES"),
    ]
    inputs[0].set_data_from_numpy(floats, binary_data=binary)
    inputs[1].set_data_from_numpy(integers, binary_data=binary)
    # Non-UTF-8 BYTES only travel as binary data in Triton's JSON; as JSON, send text.
    inputs[2].set_data_from_numpy(strings if binary else np.array([b"caf\xc3\xa9", b"tea"], dtype=np.object_), binary_data=binary)
    return inputs, floats, integers


@check("binary_data=True in and out (tritonclient's default path)")
def binary():
    inputs, floats, integers = tensors(True)
    outputs = [httpclient.InferRequestedOutput(name, binary_data=True) for name in ["f", "i", "s"]]
    result = client.infer("echo", inputs, outputs=outputs, request_id="triton-1")
    expect(np.array_equal(result.as_numpy("f"), floats), result.as_numpy("f"))
    expect(np.array_equal(result.as_numpy("i"), integers), result.as_numpy("i"))
    expect(list(result.as_numpy("s")) == [b"caf\xc3\xa9", b"\x00\xffraw"], result.as_numpy("s"))
    expect(result.get_response()["id"] == "triton-1", result.get_response())


@check("binary inputs, no outputs named: every output comes back binary")
def binary_all_outputs():
    inputs, floats, _ = tensors(True)
    result = client.infer("echo", inputs)
    expect(np.array_equal(result.as_numpy("f"), floats), result.as_numpy("f"))
    expect(all("binary_data_size" in output["parameters"] for output in result.get_response()["outputs"]), result.get_response())


@check("JSON in and out (binary_data=False)")
def json_only():
    inputs, floats, integers = tensors(False)
    outputs = [httpclient.InferRequestedOutput(name, binary_data=False) for name in ["f", "i", "s"]]
    result = client.infer("echo", inputs, outputs=outputs)
    expect(np.array_equal(result.as_numpy("f"), floats), result.as_numpy("f"))
    expect(np.array_equal(result.as_numpy("i"), integers), result.as_numpy("i"))
    expect([s.decode() if isinstance(s, bytes) else s for s in result.as_numpy("s")] == ["café", "tea"], result.as_numpy("s"))


@check("errors come back as InferenceServerException with the server's message")
def errors():
    inputs, _, _ = tensors(True)
    try:
        client.infer("nope", inputs)
        raise AssertionError("no error for an unknown model")
    except InferenceServerException as error:
        expect("nope" in str(error), str(error))


finish()
