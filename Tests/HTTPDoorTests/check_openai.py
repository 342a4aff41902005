"""The OpenAI-compatible door driven by the official openai SDK, unchanged: models, chat
completions plain and streamed (with usage), n, tools, an image data: URI, input_audio, errors.
Usage: check_openai.py BASE_URL (…/v1). Prints one line per failed check and, last, a JSON
summary {"checks": n, "failed": [names]}; exits 1 when a check failed."""
import base64
import json
import os
import sys

import openai

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, expect, finish  # noqa: E402

client = openai.OpenAI(base_url=sys.argv[1], api_key="unused", max_retries=0, timeout=30)


@check("models.list: the repository's LLM models, not echo or memory")
def models():
    ids = {model.id for model in client.models.list()}
    expect({"openai-chat-completions", "gemini-chat-completions"} <= ids, ids)
    expect("echo" not in ids and "sqlite-memory" not in ids, ids)


@check("a chat completion with usage, and n=2 choices")
def completion():
    answer = client.chat.completions.create(model="openai-chat-completions", messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}])
    expect(answer.object == "chat.completion" and answer.model == "openai-chat-completions", answer)
    expect("received" in answer.choices[0].message.content and answer.choices[0].finish_reason == "stop", answer)
    expect(answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens > 0, answer.usage)
    two = client.chat.completions.create(model="openai-chat-completions", n=2, messages=[{"role": "user", "content": "Two"}])
    expect(len(two.choices) == 2 and [c.index for c in two.choices] == [0, 1], two)


@check("streamed, with stream_options usage: deltas add up to the answer")
def streamed():
    chunks = list(client.chat.completions.create(model="gemini-chat-completions", stream=True, stream_options={"include_usage": True},
                                                 messages=[{"role": "user", "content": "Tell me a story"}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    expect(chunks[0].choices[0].delta.role == "assistant", chunks[0])
    expect("received" in text, text)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    expect(finishes == ["stop"], finishes)
    expect(chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0, chunks[-1])


@check("tools: the model's call comes back as tool_calls with finish_reason tool_calls")
def tools():
    answer = client.chat.completions.create(model="openai-chat-completions", messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])
    call = answer.choices[0].message.tool_calls[0]
    expect(call.function.name == "get_weather" and "city" in json.loads(call.function.arguments), call)
    expect(answer.choices[0].finish_reason == "tool_calls", answer.choices[0])


@check("an image data: URI and input_audio reach the provider as their bytes")
def media():
    png = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + bytes(100)
    wav = b"RIFF" + bytes(4) + b"WAVE" + bytes(40)
    answer = client.chat.completions.create(model="openai-chat-completions", messages=[{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}},
        {"type": "input_audio", "input_audio": {"data": base64.b64encode(wav).decode(), "format": "wav"}},
    ]}])
    content = answer.choices[0].message.content
    expect(f"image/png({len(png)})" in content and f"audio/wav({len(wav)})" in content, content)


@check("errors in OpenAI's shape: unknown model 404, bad request 400, the server alive after")
def errors():
    try:
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
        raise AssertionError("no error for an unknown model")
    except openai.NotFoundError as error:
        expect("nope" in error.message, error.message)
    try:
        client.chat.completions.create(model="openai-chat-completions", messages=[{"role": "wizard", "content": "hi"}])
        raise AssertionError("no error for a bad role")
    except openai.BadRequestError as error:
        expect("wizard" in error.message, error.message)
    expect(client.models.list() is not None, "alive")


finish()
