"""Reading vcrpy cassettes of real provider traffic: the recorded requests, and what their responses say."""

from __future__ import annotations

import base64
import gzip
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class Interaction:
    cassette: Path
    index: int
    method: str
    uri: str
    request: dict[str, Any]
    status: int
    response_text: str
    events: list[dict[str, Any]] = field(default_factory=list)
    """Decoded SSE ``data:`` payloads when the response was a stream."""

    @property
    def id(self) -> str:
        return f"{self.cassette.parent.name}/{self.cassette.stem}#{self.index}"

    @property
    def is_stream(self) -> bool:
        return bool(self.request.get("stream"))

    def json(self) -> Any:
        return json.loads(self.response_text)


def _body_text(body: Any) -> str:
    if isinstance(body, dict):
        body = body.get("string", "")
    if isinstance(body, bytes):
        try:
            body = gzip.decompress(body)
        except OSError:
            pass
        return body.decode("utf-8")
    if isinstance(body, str) and body.startswith("H4sI"):  # base64 gzip, as some recorders write it
        return gzip.decompress(base64.b64decode(body)).decode("utf-8")
    return body or ""


def _sse_events(text: str) -> list[dict[str, Any]]:
    events = []
    for line in text.splitlines():
        if line.startswith("data:"):
            payload = line[5:].strip()
            if payload and payload != "[DONE]":
                events.append(json.loads(payload))
    return events


def load_interactions(folder: Path, path_suffix: str) -> list[Interaction]:
    """Every interaction in ``folder``'s cassettes whose request path ends with ``path_suffix``."""
    found: list[Interaction] = []
    for cassette in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(cassette.read_text())
        for index, item in enumerate(data.get("interactions") or []):
            request, response = item["request"], item["response"]
            uri = request["uri"]
            if not uri.split("?")[0].endswith(path_suffix):
                continue
            body_text = _body_text(request.get("body"))
            try:
                body = json.loads(body_text) if body_text else {}
            except json.JSONDecodeError:
                continue
            text = _body_text(response.get("body"))
            interaction = Interaction(cassette, index, request["method"], uri, body, response["status"]["code"], text)
            if body.get("stream") and interaction.status < 400:
                interaction.events = _sse_events(text)
            found.append(interaction)
    return found


def split_kwargs(method: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The request body as SDK keyword arguments; what the signature does not know goes to ``extra_body``."""
    known = set(inspect.signature(method).parameters)
    kwargs = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def vcr_for(interaction: Interaction, workdir: Path) -> Any:
    """A vcrpy context that replays just this interaction (cassettes may hold several for one URL)."""
    import vcr

    data = yaml.safe_load(interaction.cassette.read_text())
    single = dict(data, interactions=[data["interactions"][interaction.index]])
    path = workdir / f"{interaction.cassette.stem}-{interaction.index}.yaml"
    path.write_text(yaml.safe_dump(single))
    recorder = vcr.VCR(record_mode="none", match_on=["method", "uri"], decode_compressed_response=True)
    return recorder.use_cassette(str(path), allow_playback_repeats=True)
