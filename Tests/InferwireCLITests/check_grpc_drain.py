"""`inferwire serve`'s gRPC door on SIGTERM, seen by grpcio: a health Watch reports NOT_SERVING
and ends, an in-flight ModelInfer (echo with delay_ms) finishes with its answer, and a new call
after the drain is refused.
Usage: check_grpc_drain.py HOST:PORT PROTO_DIR SERVER_PID. Prints one line per failed check
and, last, a JSON summary {"checks": n, "failed": [names]}; exits 1 when a check failed."""
import os
import signal
import sys
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, expect, finish, inference_stubs  # noqa: E402

TARGET, PROTO_DIR, PID = sys.argv[1], sys.argv[2], int(sys.argv[3])
pb, pb_grpc = inference_stubs(PROTO_DIR)

channel = grpc.insecure_channel(TARGET)
stub = pb_grpc.GRPCInferenceServiceStub(channel)
health = health_pb2_grpc.HealthStub(channel)


@check("SIGTERM: Watch goes NOT_SERVING and ends, the in-flight call finishes with its answer, a new call is refused")
def drain():
    watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=20)
    expect(next(watch).status == health_pb2.HealthCheckResponse.SERVING, "SERVING before the signal")
    slow = pb.ModelInferRequest(model_name="echo", id="slow")
    slow.parameters["delay_ms"].int64_param = 1500
    slow.inputs.add(name="x", datatype="BYTES", shape=[1]).contents.bytes_contents.append(b"slow")
    result = {}

    def call():
        try:
            result["answer"] = stub.ModelInfer(slow, timeout=20)
        except grpc.RpcError as error:
            result["error"] = (error.code(), error.details())

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.5)
    os.kill(PID, signal.SIGTERM)
    rest = [answer.status for answer in watch]
    expect(rest == [health_pb2.HealthCheckResponse.NOT_SERVING], f"after the signal: {rest}")
    caller.join(20)
    answer = result.get("answer")
    expect(answer is not None and answer.id == "slow" and list(answer.outputs[0].contents.bytes_contents) == [b"slow"], result)
    try:
        stub.ServerLive(pb.ServerLiveRequest(), timeout=5)
        expect(False, "a call after the drain was answered")
    except grpc.RpcError as error:
        expect(error.code() == grpc.StatusCode.UNAVAILABLE, error.code())


finish()
