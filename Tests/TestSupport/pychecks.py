"""The harness every Python check script of the tests shares: named checks that record their
failure and go on, and a last line the Swift test reads: {"checks": n, "failed": [names]}."""
import json
import sys

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
