"""Points the official Python SDKs (openai, google-genai; pinned in scripts/python-requirements.txt)
at the InferWire provider simulator and checks that each SDK parses every answer: text, streaming,
an image, tools, errors, and the Azure form. Run by Tests/ProvidersTests/SDKFidelityTests.swift.

Usage: check_sdks.py BASE_URL   (e.g. http://127.0.0.1:9100). Prints one line per check and a JSON
summary on the last line; exits 1 when any check fails.
"""
import hashlib
import json
import sys
import traceback
import urllib.request

import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

BASE = sys.argv[1].rstrip("/")
OPENAI_KEY = "sim-openai-key"
GEMINI_KEY = "sim-gemini-key"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
results = []


def check(name):
    def run(function):
        try:
            function()
            results.append({"name": name, "ok": True})
            print(f"ok   {name}")
        except Exception as error:  # a failed assertion or an SDK that could not parse the answer
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            results.append({"name": name, "ok": False, "detail": detail})
            print(f"FAIL {name}: {detail}")
        return function
    return run


def last_received():
    with urllib.request.urlopen(f"{BASE}/_simulator/requests") as response:
        return json.load(response)[-1]


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


oa = openai.OpenAI(base_url=f"{BASE}/v1", api_key=OPENAI_KEY, max_retries=0)


@check("openai: text completion with system prompt and sampling parameters")
def _():
    answer = oa.chat.completions.create(
        model="gpt-4o-mini", max_completion_tokens=20, temperature=0.2,
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}])
    expect(answer.choices[0].message.content == "received 1 part(s): text(2)", answer)
    expect(answer.choices[0].finish_reason == "stop", answer)
    expect(answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens, answer.usage)
    received = last_received()
    expect(received["systemInstruction"] == "be brief", received)
    expect(json.loads(received["parameters"]) == {"max_completion_tokens": 20, "temperature": 0.2}, received["parameters"])


@check("openai: streaming with the usage chunk")
def _():
    text, usage, finish = "", None, None
    for chunk in oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                             stream=True, stream_options={"include_usage": True}):
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage:
            usage = chunk.usage
    expect(text == "received 1 part(s): text(2)", text)
    expect(finish == "stop" and usage is not None and usage.completion_tokens == 4, (finish, usage))


@check("openai: an image as a data URI arrives byte for byte")
def _():
    import base64
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    answer = oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": uri, "detail": "low"}}]}])
    expect(answer.choices[0].message.content == f"received 2 part(s): text(12), image/png({len(PNG)})", answer)
    expect(last_received()["parts"][1]["sha256"] == hashlib.sha256(PNG).hexdigest(), "SHA-256 differs")


@check("openai: tool calls, whole and streamed")
def _():
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    answer = oa.chat.completions.create(model="gpt-4o", tools=tools, messages=[{"role": "user", "content": "weather?"}])
    call = answer.choices[0].message.tool_calls[0]
    expect(call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "sim"}, call)
    expect(answer.choices[0].finish_reason == "tool_calls", answer)
    arguments = ""
    for chunk in oa.chat.completions.create(model="gpt-4o", tools=tools, stream=True, messages=[{"role": "user", "content": "weather?"}]):
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            arguments += delta.function.arguments or ""
    expect(json.loads(arguments) == {"city": "sim"}, arguments)


@check("openai: errors become the SDK's typed exceptions")
def _():
    try:
        openai.OpenAI(base_url=f"{BASE}/v1", api_key="wrong", max_retries=0).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}])
        raise AssertionError("a wrong key was accepted")
    except openai.AuthenticationError as error:
        expect(error.status_code == 401 and error.code == "invalid_api_key", error)
    try:
        oa.chat.completions.create(model="missing", messages=[{"role": "user", "content": "x"}])
        raise AssertionError("an unknown model was accepted")
    except openai.NotFoundError as error:
        expect(error.code == "model_not_found", error)
    try:
        oa.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}], extra_headers={"x-simulator-fault": "429"})
        raise AssertionError("the 429 fault was not raised")
    except openai.RateLimitError as error:
        expect(error.response.headers.get("retry-after") == "1", error.response.headers)


@check("openai: Azure deployment URL with api-version and api-key")
def _():
    azure = openai.AzureOpenAI(azure_endpoint=BASE, api_key=OPENAI_KEY, api_version="2024-10-21", max_retries=0)
    answer = azure.chat.completions.create(model="my-deployment", messages=[{"role": "user", "content": "hi"}])
    expect(answer.choices[0].message.content == "received 1 part(s): text(2)", answer)
    received = last_received()
    expect(received["api"] == "azure" and received["path"] == "/openai/deployments/my-deployment/chat/completions", received)


_clients = []  # the SDK closes a client when it is collected: keep each one alive


def gemini_client(api_version=None, key=GEMINI_KEY):
    client = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=BASE, api_version=api_version))
    _clients.append(client)
    return client


SAFETY = [types.SafetySetting(category=types.HarmCategory.HARM_CATEGORY_HARASSMENT, threshold=types.HarmBlockThreshold.BLOCK_ONLY_HIGH)]


@check("gemini: text with system instruction, generation config and safety settings (default API version)")
def _():
    answer = gemini_client().models.generate_content(
        model="gemini-2.0-flash", contents="hi",
        config=types.GenerateContentConfig(system_instruction="be brief", temperature=0.2, top_p=0.9, top_k=40, candidate_count=1,
                                           max_output_tokens=64, stop_sequences=["END"], seed=7, response_mime_type="text/plain",
                                           safety_settings=SAFETY))
    expect(answer.text == "received 1 part(s): text(2)", answer)
    expect(answer.candidates[0].finish_reason == types.FinishReason.STOP, answer.candidates[0])
    expect(answer.usage_metadata.total_token_count == 12, answer.usage_metadata)
    received = last_received()
    config = json.loads(received["parameters"])
    expect(config["topK"] == 40 and config["temperature"] == 0.2 and config["seed"] == 7 and config["stopSequences"] == ["END"], config)
    expect(received["safetySettings"] == {"HARM_CATEGORY_HARASSMENT": "BLOCK_ONLY_HIGH"}, received)
    expect(received["systemInstruction"] == "be brief", received)


@check("gemini: streaming over SSE, v1beta")
def _():
    text, finish, usage = "", None, None
    for chunk in gemini_client("v1beta").models.generate_content_stream(model="gemini-2.0-flash", contents="hi"):
        text += chunk.text or ""
        if chunk.candidates and chunk.candidates[0].finish_reason:
            finish = chunk.candidates[0].finish_reason
        usage = chunk.usage_metadata or usage
    expect(text == "received 1 part(s): text(2)", text)
    expect(finish == types.FinishReason.STOP and usage.candidates_token_count == 4, (finish, usage))
    expect(last_received()["path"] == "/v1beta/models/gemini-2.0-flash:streamGenerateContent", last_received())


@check("gemini: image bytes as inline data arrive byte for byte")
def _():
    answer = gemini_client().models.generate_content(
        model="gemini-2.0-flash", contents=["what is this", types.Part.from_bytes(data=PNG, mime_type="image/png")])
    expect(answer.text == f"received 2 part(s): text(12), image/png({len(PNG)})", answer.text)
    part = last_received()["parts"][1]
    expect(part["sha256"] == hashlib.sha256(PNG).hexdigest() and part["mimeType"] == "image/png", part)


@check("gemini: function calling")
def _():
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", description="w", parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]))])
    answer = gemini_client().models.generate_content(
        model="gemini-2.0-flash", contents="weather in Paris?",
        config=types.GenerateContentConfig(tools=[tool], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)))
    calls = answer.function_calls
    expect(calls and calls[0].name == "get_weather" and calls[0].args == {"city": "sim"}, answer)


@check("gemini: errors become the SDK's typed exceptions; a blocked prompt reads as blocked")
def _():
    try:
        gemini_client(key="wrong").models.generate_content(model="gemini-2.0-flash", contents="x")
        raise AssertionError("a wrong key was accepted")
    except genai_errors.ClientError as error:
        expect(error.code == 400 and error.status == "INVALID_ARGUMENT" and "API key not valid" in error.message, error)
    try:
        gemini_client().models.generate_content(model="missing", contents="x")
        raise AssertionError("an unknown model was accepted")
    except genai_errors.ClientError as error:
        expect(error.code == 404 and error.status == "NOT_FOUND", error)
    try:
        gemini_client().models.generate_content(
            model="gemini-2.0-flash", contents="x", config=types.GenerateContentConfig(http_options=types.HttpOptions(headers={"x-simulator-fault": "503"})))
        raise AssertionError("the 503 fault was not raised")
    except genai_errors.ServerError as error:
        expect(error.code == 503 and error.status == "UNAVAILABLE", error)
    blocked = gemini_client().models.generate_content(
        model="gemini-2.0-flash", contents="x", config=types.GenerateContentConfig(http_options=types.HttpOptions(headers={"x-simulator-fault": "block"})))
    expect(blocked.prompt_feedback.block_reason == types.BlockedReason.SAFETY and not blocked.candidates, blocked)


print(json.dumps({"openai": openai.__version__, "google-genai": genai.__version__, "checks": len(results),
                  "failed": [r for r in results if not r["ok"]]}))
sys.exit(0 if all(r["ok"] for r in results) else 1)
