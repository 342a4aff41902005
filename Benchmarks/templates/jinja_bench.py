#!/usr/bin/env python3
"""Times Python Jinja2's compiled `Template.render` on the same templates as TemplatesBench.

Usage: .venv/bin/python Benchmarks/jinja_bench.py [iterations]
Prints the median ns/render over several repeats (templates compiled once).
"""
import json
import os
import statistics
import sys
import timeit

from jinja2 import Environment

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read()


def bench(label, template, context, number):
    template.render(**context)  # warm up
    runs = timeit.repeat(lambda: template.render(**context), number=number, repeat=15)
    median_ns = statistics.median(runs) / number * 1e9
    out = template.render(**context)
    print(f"{label:<6} median {median_ns:10.0f} ns/render   ({number} renders x 15 repeats, output {len(out.encode())} bytes)")
    return median_ns


def main():
    number = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    env = Environment()
    seed = env.from_string(load("code.jinja"))
    chat = env.from_string(load("chat.jinja"))
    print(f"Python Jinja2 (compiled once), {sys.version.split()[0]}")
    bench("seed", seed, {"A": ["5"]}, number * 5)
    bench("chat", chat, json.loads(load("chat_context.json")), number)


if __name__ == "__main__":
    main()
