"""Echo model for MLServer, mirroring InferWire's echo runtime.

Every input tensor comes back as an output with the same name, datatype, shape, parameters and
data; the response id is the request id (MLServer's data plane also enforces that) and
model_name is "echo". A request parameter `delay_ms` (int) sleeps that long first.

Fast path: predict() works on the raw `InferenceRequest` pydantic objects and reuses each
input's `data` and `parameters` objects as-is; no numpy / codec decode-encode round trip.

The one place where a real model must do work is a BYTES input whose elements arrive as base64
text, i.e. over REST, where JSON cannot carry raw bytes and the client marks the input
`"parameters": {"content_type": "base64"}`. MLServer leaves such elements as `str` in the raw
request (its Base64Codec only runs when a model asks for it), so a model that wants the image
bytes has to b64decode them itself, and to send bytes back over JSON it has to base64 them
again. We do both, so the model really holds the decoded bytes (the same bytes InferWire's echo
holds) and the REST response carries them back base64-encoded with the same parameters.
Over gRPC the elements arrive as Python `bytes` (from `contents.bytes_contents` or
`raw_input_contents`) and are returned untouched.

Env (read at load time):
  ECHO_BASE64=decode        (default) decode base64 text to bytes and re-encode it, as above
  ECHO_BASE64=passthrough   return the base64 text as received (no decode; cheaper, less fair)
  ECHO_DEBUG=1              log the element sizes the model holds (to verify 1 MiB arrives as
                            1,048,576 bytes, not as 1.4 MB of base64 text)
"""

import asyncio
import binascii
import logging
import os

from mlserver import MLModel
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput

logger = logging.getLogger("mlserver.echo")


def _decode_b64(elem):
    # Only text elements (JSON) are base64; bytes elements (gRPC) are already raw.
    # binascii strict mode validates like MLServer's Base64Codec (b64decode(validate=True))
    # but skips its regex pass: ~16 ms instead of ~25 ms for 5 MiB here.
    if isinstance(elem, str):
        try:
            return binascii.a2b_base64(elem, strict_mode=True)
        except (binascii.Error, ValueError):
            # MLServer's own Base64Codec falls back to the raw value on invalid base64.
            return elem
    return elem


def _encode_b64(elem):
    if isinstance(elem, bytes):
        # str, not bytes: orjson serialises str natively; bytes would go through a fallback.
        return binascii.b2a_base64(elem, newline=False).decode("ascii")
    return elem


def _is_bytes(datatype) -> bool:
    # REST requests carry the Datatype enum, gRPC ones (built with construct()) a plain str.
    return getattr(datatype, "value", datatype) == "BYTES"


class EchoModel(MLModel):
    async def load(self) -> bool:
        self._decode_base64 = os.environ.get("ECHO_BASE64", "decode") != "passthrough"
        self._debug = os.environ.get("ECHO_DEBUG", "") not in ("", "0")
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        params = payload.parameters
        if params is not None:
            # Parameters allows extra fields; delay_ms lands as an attribute when present.
            delay_ms = getattr(params, "delay_ms", None)
            if delay_ms:
                await asyncio.sleep(int(delay_ms) / 1000.0)

        outputs = []
        for inp in payload.inputs:
            data = inp.data
            p = inp.parameters
            if (
                self._decode_base64
                and p is not None
                and p.content_type == "base64"
                and _is_bytes(inp.datatype)
            ):
                elems = data.root if hasattr(data, "root") else data
                if not isinstance(elems, list):
                    elems = [elems]
                raw = [_decode_b64(e) for e in elems]
                if self._debug:
                    logger.info(
                        "echo input %s: %s", inp.name,
                        [(type(e).__name__, len(e)) for e in raw],
                    )
                data = [_encode_b64(e) for e in raw]
            elif self._debug:
                elems = data.root if hasattr(data, "root") else data
                logger.info(
                    "echo input %s: %s", inp.name,
                    [(type(e).__name__, len(e)) for e in elems]
                    if isinstance(elems, list) else type(elems).__name__,
                )
            # model_construct: skip pydantic re-validation of data we are handing back as-is.
            outputs.append(
                ResponseOutput.model_construct(
                    name=inp.name,
                    shape=inp.shape,
                    datatype=inp.datatype,
                    parameters=p,
                    data=data,
                )
            )

        return InferenceResponse.model_construct(
            id=payload.id,
            model_name=self.name,
            model_version=None,
            parameters=None,
            outputs=outputs,
        )
