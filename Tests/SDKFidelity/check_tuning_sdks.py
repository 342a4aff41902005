"""Points the official Python SDKs at the tuning routes, the simulator's or InferWire's gateway:
openai's files and fine_tuning.jobs (upload, create, retrieve, list, events, checkpoints, cancel,
errors, models.delete, chat with the ft: model); google-genai's tunings and generate_content with
a tuned model; and, on the simulator, google-auth's service-account flow against its token
endpoint and google-genai's Vertex AI form. Run by Tests/ProvidersTests/SDKFidelityTests.swift
(simulator) and Tests/InferwireCLITests/TuneCommandTests.swift (through serve's gateway).

Usage: check_tuning_sdks.py BASE_URL [--gateway]   Prints one line per failed check and a JSON summary on
the last line; exits 1 when any check fails. --gateway skips what only a provider has (the token
endpoint, Vertex AI) and sends InferWire's own token instead of provider keys.
"""
import json
import os
import sys
import time
import urllib.request
import warnings

warnings.simplefilter("ignore")  # google-genai marks tuning experimental; the summary must stay last

import openai
import requests
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TestSupport"))
from pychecks import check, finish  # noqa: E402

BASE = sys.argv[1].rstrip("/")
GATEWAY = "--gateway" in sys.argv
OPENAI_KEY = "gateway-token" if GATEWAY else "sim-openai-key"
GEMINI_KEY = "gateway-token" if GATEWAY else "sim-gemini-key"
client = openai.OpenAI(base_url=BASE + "/v1", api_key=OPENAI_KEY, max_retries=0)
TRAINING = "".join(
    json.dumps({"messages": [{"role": "user", "content": str(i)}, {"role": "assistant", "content": str(i + 1)}]}) + "\n"
    for i in range(12)
).encode()
state = {}


def wait_job(job_id, until=("succeeded", "failed", "cancelled"), seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status in until:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {until}")


@check("openai: files.create uploads JSONL (multipart), files.retrieve and files.list see it")
def upload():
    uploaded = client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    assert uploaded.id.startswith("file-") and uploaded.bytes == len(TRAINING) and uploaded.purpose == "fine-tune", uploaded
    assert client.files.retrieve(uploaded.id).filename == "train.jsonl"
    assert uploaded.id in [f.id for f in client.files.list().data]
    state["file"] = uploaded.id


@check("openai: fine_tuning.jobs.create with method hyperparameters, retrieve until succeeded, an ft: model")
def create_job():
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=state["file"], suffix="sdk",
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 3}}})
    assert job.id.startswith("ftjob-") and job.status in ("validating_files", "queued"), job
    done = wait_job(job.id)
    assert done.status == "succeeded", done
    assert done.fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:") and ":sdk:" in done.fine_tuned_model, done
    assert done.method.supervised.hyperparameters.n_epochs == 2
    assert done.trained_tokens and done.finished_at and done.result_files
    state["job"], state["model"] = job.id, done.fine_tuned_model


@check("openai: jobs.list pages, list_events pages newest first with metrics, checkpoints.list")
def events():
    page = client.fine_tuning.jobs.list(limit=1)
    assert page.data[0].id == state["job"]
    first = client.fine_tuning.jobs.list_events(state["job"], limit=3)
    assert len(first.data) == 3 and first.has_more
    assert first.data[0].message == "The job has successfully completed", first.data[0]
    everything = list(client.fine_tuning.jobs.list_events(state["job"], limit=5))  # the SDK follows `after`
    metrics = [e for e in everything if e.type == "metrics"]
    assert len(metrics) == 8, len(metrics)
    assert metrics[-1].data["step"] == 1 and metrics[0].data["step"] == 8
    checkpoints = client.fine_tuning.jobs.checkpoints.list(state["job"])
    assert [c.step_number for c in checkpoints.data] == [8, 4], checkpoints
    assert checkpoints.data[0].fine_tuned_model_checkpoint == state["model"] + ":ckpt-step-8"
    assert checkpoints.data[0].metrics.train_loss > 0


@check("openai: chat.completions with the fine-tuned model (the provider's; InferWire's /v1 serves its repository)")
def chat():
    if GATEWAY:
        return
    answer = client.chat.completions.create(model=state["model"], messages=[{"role": "user", "content": "7"}])
    assert answer.choices[0].message.content == "received 1 part(s): text(1)", answer


@check("openai: cancel a running job; a second cancel and an unknown job are typed errors")
def cancel():
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=state["file"],
                                         extra_headers={"x-simulator-tuning-step-ms": "60000"})
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    try:
        client.fine_tuning.jobs.cancel(job.id)
        raise AssertionError("a second cancel was accepted")
    except openai.BadRequestError as error:
        assert "already completed" in str(error)
    try:
        client.fine_tuning.jobs.retrieve("ftjob-nope")
        raise AssertionError("an unknown job was found")
    except openai.NotFoundError:
        pass


@check("openai: a file with too few examples fails the job with an invalid_training_file error")
def invalid_file():
    small = client.files.create(file=("small.jsonl", TRAINING[: TRAINING.index(b"\n") + 1]), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=small.id)
    failed = wait_job(job.id)
    assert failed.status == "failed" and failed.error.code == "invalid_training_file", failed
    assert "at least 10 examples" in failed.error.message


@check("openai: models.delete of the ft: model, files.delete")
def delete():
    assert client.models.delete(state["model"]).deleted
    assert client.files.delete(state["file"]).deleted


gemini = genai.Client(api_key=GEMINI_KEY, http_options=types.HttpOptions(base_url=BASE))


@check("google-genai: tunings.tune on the Developer API (the SDK sends no examples: a typed 400)")
def tune():
    try:
        job = gemini.tunings.tune(
            base_model="models/gemini-1.5-flash-001-tuning",
            training_dataset=types.TuningDataset(examples=[types.TuningExample(text_input="1", output="2")]),
            config=types.CreateTuningJobConfig(epoch_count=2, batch_size=2, learning_rate=0.001, tuned_model_display_name="sdk"))
        assert job.name.startswith("tunedModels/"), job  # a later SDK that sends the examples
    except genai_errors.ClientError as error:
        assert error.code == 400 and "at least one example" in str(error), error


@check("seed 003 verbatim (requests, Bearer token, trailing commas), then google-genai tunings.get until JOB_STATE_SUCCEEDED")
def seed_then_get():
    body = """{"display_name": "number generator", "base_model": "models/gemini-1.0-pro-001",
      "tuning_task": {"hyperparameters": {"batch_size": 4, "learning_rate": 0.001, "epoch_count":5,},
        "training_data": {"examples": {"examples": [{"text_input": "1", "output": "2",},{"text_input": "3", "output": "4",},
          {"text_input": "-3", "output": "-2",},{"text_input": "twenty two", "output": "twenty three",}]}}}}"""
    headers = {"Content-Type": "application/json", "x-goog-user-project": "my-project",
               "Authorization": "Bearer " + ("gateway-token" if GATEWAY else "sim-access-token")}
    operation = requests.post(f"{BASE}/v1beta/tunedModels", headers=headers, data=body, timeout=10)
    assert operation.status_code == 200, operation.text
    name = operation.json()["metadata"]["tunedModel"]
    assert operation.json()["metadata"]["totalSteps"] == 5
    deadline = time.time() + 20
    while time.time() < deadline:
        job = gemini.tunings.get(name=name)
        if job.state == types.JobState.JOB_STATE_SUCCEEDED:
            break
        time.sleep(0.05)
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED, job
    assert job.tuned_model.model == name
    polled = requests.get(f"{BASE}/v1/{operation.json()['name']}", headers=headers, timeout=10).json()
    assert polled["done"] and polled["metadata"]["completedPercent"] == 100, polled
    state["tuned"] = name


@check("google-genai: generate_content with the tuned model; an unknown tuned model is a 404")
def generate():
    answer = gemini.models.generate_content(model=state["tuned"], contents="LXIII")
    assert answer.text == "received 1 part(s): text(5)", answer
    try:
        gemini.tunings.get(name="tunedModels/nope")
        raise AssertionError("an unknown tuned model was found")
    except genai_errors.ClientError as error:
        assert error.code == 404


if not GATEWAY:
    @check("google-auth: a service account's JWT exchanged at the simulator's token endpoint")
    def service_account():
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account
        info = json.load(urllib.request.urlopen(BASE + "/_simulator/service-account"))
        credentials = service_account.Credentials.from_service_account_info(
            info, scopes=["https://www.googleapis.com/auth/cloud-platform"])
        credentials.refresh(Request())
        assert credentials.token.startswith("ya29.sim-") and credentials.expiry is not None
        state["credentials"] = credentials

    @check("google-genai Vertex AI with those credentials: generate_content on the project/location path")
    def vertex():
        client = genai.Client(vertexai=True, project="my-proj", location="us-central1", credentials=state["credentials"],
                              http_options=types.HttpOptions(base_url=BASE))
        answer = client.models.generate_content(
            model="gemini-2.0-flash", contents="hello",
            config=types.GenerateContentConfig(safety_settings=[types.SafetySetting(
                category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_ONLY_HIGH", method="SEVERITY")]))
        assert answer.text == "received 1 part(s): text(5)", answer
        received = json.load(urllib.request.urlopen(BASE + "/_simulator/requests"))[-1]
        assert received["path"].endswith("/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent"), received
        assert received["safetyMethods"] == {"HARM_CATEGORY_HARASSMENT": "SEVERITY"}, received

finish()
