"""The gRPC door driven by tritonclient.grpc, unchanged. Usage: check_triton_grpc.py HOST:PORT.
Prints one line per failed check and, last, a JSON summary; exits 1 when a check failed."""
import os
import sys

import numpy as np
import tritonclient.grpc as grpcclient

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, expect, finish  # noqa: E402

TARGET = sys.argv[1]


@check("tritonclient.grpc, unchanged: raw FP32 and BYTES tensors, and streaming")
def triton():
    client = grpcclient.InferenceServerClient(url=TARGET)
    expect(client.is_server_live() and client.is_model_ready("echo"), "ready")
    floats = np.arange(6, dtype=np.float32).reshape(2, 3)
    strings = np.array([b"a", b"\x00\xffb"], dtype=np.object_)
    inputs = [grpcclient.InferInput("f", [2, 3], "FP32"), grpcclient.InferInput("s", [2], "BYTES")]
    inputs[0].set_data_from_numpy(floats)
    inputs[1].set_data_from_numpy(strings)
    result = client.infer("echo", inputs)
    expect(np.array_equal(result.as_numpy("f"), floats), result.as_numpy("f"))
    expect(list(result.as_numpy("s")) == [b"a", b"\x00\xffb"], result.as_numpy("s"))
    received = []
    client.start_stream(callback=lambda result, error: received.append((result, error)))
    client.async_stream_infer("echo", inputs, request_id="t-1")
    client.stop_stream()
    expect(len(received) == 1 and received[0][1] is None, received)
    expect(np.array_equal(received[0][0].as_numpy("f"), floats), received)


finish()
