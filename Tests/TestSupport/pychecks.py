"""The harness every Python check script of the tests shares: named checks that record their
failure and go on, and a last line the Swift test reads: {"checks": n, "failed": [names]}."""
import importlib
import json
import os
import subprocess
import sys
import tempfile

FAILED = []
COUNT = [0]


def check(name):
    def wrap(function):
        COUNT[0] += 1
        try:
            function()
        except Exception as error:  # noqa: BLE001 - every failure is reported by name
            FAILED.append(name)
            print(f"FAILED {name}: {error!r}")
        return function
    return wrap


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def finish():
    print(json.dumps({"checks": COUNT[0], "failed": FAILED}))
    sys.exit(1 if FAILED else 0)


def inference_stubs(proto_dir):
    """grpcio stubs generated from proto_dir/inference.proto at test time (grpcio-tools), as
    MLServer's own clients use: returns (inference_pb2, inference_pb2_grpc)."""
    generated = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{proto_dir}", f"--python_out={generated}",
                    f"--grpc_python_out={generated}", os.path.join(proto_dir, "inference.proto")], check=True)
    sys.path.insert(0, generated)
    return importlib.import_module("inference_pb2"), importlib.import_module("inference_pb2_grpc")
