#!/usr/bin/env python3
"""Writes the hand-made seeds of the targets other than FuzzDecode (which writes its own) into
Fuzz/seeds/TARGET/: valid inputs that start the fuzzer past each format's first checks.
Run from the repository root: python3 Fuzz/write-seeds.py"""
import json, os, struct, zlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# FuzzFrames: [shape][events] then a client's frames (the target puts the preface in front).
def frame(kind, flags, stream, payload=b""):
    return struct.pack(">IBBHI", len(payload), kind, flags, 0, stream) + payload


def field(number, value):  # a protobuf length-delimited string field
    data = value.encode()
    return bytes([number << 3 | 2, len(data)]) + data


settings = frame(0, 0, 0, struct.pack(">HIHI", 1, 1 << 20, 2, 8))
headers = bytes([0x08, 0x03]) + field(2, "echo") + field(4, "req-1") + bytes([0x28, 0xE8, 0x07])
infer = field(1, "echo")
session = (settings + frame(0, 1, 0) + frame(1, 0, 1, headers) + frame(2, 1, 1, infer) + frame(5, 0, 0, bytes(8))
           + frame(1, 0, 3, headers) + frame(4, 0, 3, struct.pack(">I", 8)) + frame(1, 0, 5, headers)
           + frame(6, 0, 0, struct.pack(">II", 5, 0) + b"bye"))
write("FuzzFrames", "session", bytes([0x00, 0x00]) + session)
write("FuzzFrames", "session-events", bytes([0x03, 0x27]) + session)
write("FuzzFrames", "many-streams", bytes([0x08, 0x01]) + settings + b"".join(frame(1, 0, 2 * i + 1, headers) for i in range(6)))
write("FuzzFrames", "oversized", bytes([0x08, 0x00]) + settings + struct.pack(">IBBHI", 1 << 20, 2, 1, 0, 1))

# FuzzGRPC: [shape] then a client's HTTP/2 frames (the target puts the preface in front).
def literal(name, value):  # an HPACK literal without indexing, no Huffman
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def grpc_headers(path, extra=()):
    return b"".join(literal(n, v) for n, v in [(b":method", b"POST"), (b":scheme", b"http"), (b":authority", b"fuzz"),
                                                (b":path", path), (b"content-type", b"application/grpc"), (b"te", b"trailers"), *extra])


def grpc_message(payload, compressed=False):
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(payload)) + payload


infer_path = b"/inference.GRPCInferenceService/ModelInfer"
h2_settings = frame(4, 0, 0, struct.pack(">HIHI", 3, 100, 4, 1 << 20))  # MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE
message = grpc_message(infer)
grpc_session = (h2_settings + frame(4, 1, 0) + frame(1, 4, 1, grpc_headers(infer_path)) + frame(0, 1, 1, message)
                + frame(1, 4, 3, grpc_headers(infer_path, [(b"grpc-timeout", b"100m")])) + frame(0, 0, 3, message[:4])
                + frame(0, 1, 3, message[4:]) + frame(1, 5, 5, grpc_headers(b"/inference.GRPCInferenceService/ServerLive"))
                + frame(0, 0, 5, b"") + frame(3, 0, 5, struct.pack(">I", 8)) + frame(8, 0, 0, struct.pack(">I", 1 << 20)))
write("FuzzGRPC", "session", bytes([0x00]) + grpc_session)
write("FuzzGRPC", "session-small-limit-status", bytes([0x19]) + grpc_session)
write("FuzzGRPC", "stream-messages-reset", bytes([0x23]) + h2_settings + frame(1, 4, 1, grpc_headers(b"/inference.GRPCInferenceService/ModelStreamInfer"))
      + frame(0, 0, 1, message * 3) + frame(0, 0, 1, grpc_message(b"", compressed=True)) + frame(0, 1, 1, message))
write("FuzzGRPC", "bad-requests", bytes([0x32]) + h2_settings + frame(1, 5, 1, grpc_headers(b"no-slash"))
      + frame(1, 5, 3, literal(b":method", b"GET") + literal(b":path", b"/x/y")) + frame(1, 4, 5, grpc_headers(infer_path))
      + frame(0, 1, 5, struct.pack(">BI", 0, 1 << 30)))

# FuzzTemplates: [options] then a template in the prompt_utils style.
write("FuzzTemplates", "chat", "\x00{% for m in messages %}<|{{ m.role }}|>{% if m.content is string %}{{ m.content | trim }}"
      "{% else %}{% for p in m.content %}{{ p.text | default('') }}{% endfor %}{% endif %}\n{% endfor %}"
      "{% if add_generation_prompt %}<|assistant|>{% endif %}")
write("FuzzTemplates", "filters", "\x06{% set xs = [3, 1, 2] %}{{ xs | sort | join(', ') }} {{ 'a-b' | replace('-', '+') | upper }} "
      "{{ tools | tojson }} {{ '%05.1f' | format(ratio) }} {{ range(n) | list | length }}{# comment #}")
write("FuzzTemplates", "macro", "\x01{% macro turn(m, loop) -%}{{ loop.index }}:{{ m.role }}{%- endmacro %}"
      "{% for m in messages if m.role != 'system' %}{{ turn(m, loop) }}{% else %}none{% endfor %}{{ none is none }}")
write("FuzzTemplates", "namespace", "\x08{% set ns = namespace(n=0) %}{% for i in range(5) %}{% set ns.n = ns.n + i %}{% endfor %}"
      "{{ ns.n }}{% raw %}{{ x }}{% endraw %}{{ {'k': [1, 2.5, none, true]} | dictsort }}")

# FuzzSSE: [chunking seed] then a stream.
write("FuzzSSE", "openai", "\x03data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n: keep-alive\n\ndata: [DONE]\n\n")
write("FuzzSSE", "gemini", "\x05data: {\"candidates\":[]}\r\n\r\nevent: x\r\nid: 1\r\nretry: 10\r\ndata: a\r\ndata: b\r\n\r\n")
write("FuzzSSE", "torn", "\x01data: one\rdata: two\r\rdata: cut")

# FuzzProviderAnswers: [parser] then a body.
openai = {"id": "c", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris", "tool_calls": [
    {"id": "t", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
gemini = {"candidates": [{"content": {"role": "model", "parts": [{"text": "Paris"}, {"functionCall": {"name": "f", "args": {"a": 1}}}]},
    "finishReason": "STOP", "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]}],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4}, "promptFeedback": {"blockReason": "OTHER"}}
chunk = {"choices": [{"index": 0, "delta": {"content": "Pa", "tool_calls": [{"index": 0, "id": "t", "function": {"name": "f", "arguments": "{"}}]},
    "finish_reason": None}], "usage": None}
write("FuzzProviderAnswers", "openai-answer", b"\x00" + json.dumps(openai).encode())
write("FuzzProviderAnswers", "gemini-answer", b"\x01" + json.dumps(gemini).encode())
write("FuzzProviderAnswers", "openai-chunk", b"\x02" + json.dumps(chunk).encode())
write("FuzzProviderAnswers", "openai-error", b"\x1b" + json.dumps({"error": {"message": "Rate limit", "type": "x", "code": "429"}}).encode())
write("FuzzProviderAnswers", "gemini-error", b"\x0c" + json.dumps({"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}).encode())
write("FuzzProviderAnswers", "tuning-jsonl", b"\x06" + b'{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n'
      b'{"text_input": "q", "output": "a"}\n')
write("FuzzProviderAnswers", "tuning-csv", b"\x0e" + b'text_input,output\n"q, with comma",a\nq2,"a ""quoted"""\n')


# FuzzMemoryRecord: [mode] then parts, or records.
def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80]); n >>= 7
    return out + bytes([n])


def parts(items):
    return b"\x01" + varint(len(items)) + b"".join(varint(len(t)) + t + varint(len(v)) + v for t, v in items)


entry = varint(4) + b"user" + parts([(b"text", b"What is the capital of France?"), (b"image", bytes(range(40)))])
write("FuzzMemoryRecord", "parts", b"\x00" + parts([(b"text", b"hello"), (b"image", b"\x89PNG\r\n")]))


def record(payload):
    length = struct.pack("<I", len(payload))
    return length + struct.pack("<II", zlib.crc32(length), zlib.crc32(payload)) + payload


file = record(b"IWMEM1\x00m") + record(entry) + record(b"\x00\x00IWKEY:req-1/chatbot/memory")
write("FuzzMemoryRecord", "file", b"\x01" + file)
write("FuzzMemoryRecord", "file-torn", b"\x01" + file[:-5])
write("FuzzMemoryRecord", "records", b"\x03" + bytes([len(entry)]) + entry + bytes([3]) + b"abc")
write("FuzzMemoryRecord", "records-cut", b"\x27" + bytes([len(entry)]) + entry)

# FuzzSettings: [format] then the file.
for folder in ["examples/models", "examples/chatbot"]:
    base = os.path.join(os.path.dirname(root), "..", folder)
    for name in sorted(os.listdir(base)):
        for file_name, selector in [("model-settings.json", b"\x00"), ("pipeline.yaml", b"\x01")]:
            path = os.path.join(base, name, file_name)
            if os.path.exists(path):
                write("FuzzSettings", f"{name}-{file_name}", selector + open(path, "rb").read())
