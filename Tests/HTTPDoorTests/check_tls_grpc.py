"""grpcio over TLS against the gRPC door: health and ModelInfer with the CA given, and (for a
door that requires client certificates) a client without one refused in the handshake.
Usage: check_tls_grpc.py HOST:PORT PROTO_DIR CA.pem [CLIENT.pem CLIENT.key]. Prints one line per
failed check and, last, a JSON summary {"checks": n, "failed": [names]}."""
import os
import sys

# The refused handshake makes gRPC's C core log to stderr, after the summary line otherwise.
os.environ["GRPC_VERBOSITY"] = "NONE"
import grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, expect, finish, inference_stubs  # noqa: E402

TARGET, PROTO_DIR, CA = sys.argv[1], sys.argv[2], open(sys.argv[3], "rb").read()
CLIENT = (open(sys.argv[4], "rb").read(), open(sys.argv[5], "rb").read()) if len(sys.argv) > 5 else None
pb, pb_grpc = inference_stubs(PROTO_DIR)


def channel(with_certificate=True):
    chain, key = CLIENT if CLIENT and with_certificate else (None, None)
    return grpc.secure_channel(TARGET, grpc.ssl_channel_credentials(root_certificates=CA, private_key=key, certificate_chain=chain))


@check("health over TLS")
def health():
    status = health_pb2_grpc.HealthStub(channel()).Check(health_pb2.HealthCheckRequest(), timeout=10).status
    expect(status == health_pb2.HealthCheckResponse.SERVING, status)


@check("ModelInfer over TLS")
def infer():
    request = pb.ModelInferRequest(model_name="echo")
    request.inputs.add(name="x", datatype="BYTES", shape=[1])
    request.raw_input_contents.append(b"\x02\x00\x00\x00hi")
    answer = pb_grpc.GRPCInferenceServiceStub(channel()).ModelInfer(request, timeout=10)
    expect(answer.raw_output_contents[0] == b"\x02\x00\x00\x00hi", answer)


if CLIENT:
    @check("no client certificate: refused in the handshake")
    def refused():
        try:
            health_pb2_grpc.HealthStub(channel(with_certificate=False)).Check(health_pb2.HealthCheckRequest(), timeout=10)
        except grpc.RpcError as error:
            expect(error.code() == grpc.StatusCode.UNAVAILABLE, error)
            return
        raise AssertionError("a client without a certificate was served")

finish()
