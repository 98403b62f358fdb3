"""Provider detection: one data table (``providers.json``), the client's class, and ``GENAI_OTEL_PROVIDER_HOSTS``.

End to end through the real SDK: recorded exchanges replayed (vcrpy) against the real hosts of OpenAI-compatible
providers, ``AzureOpenAI`` against the fake server, and the environment variable mapping the fake server's host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml
from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import GenAiProviderNameValues

from genai_otel.instrumentation.openai import providers
from tests.cassette_support import load_interactions, split_kwargs, vcr_for
from tests.conftest import FAKE_API_KEY, SHARED_CASSETTES

MESSAGES = [{"role": "user", "content": "hi"}]
SEMCONV_PROVIDERS = {value.value for value in GenAiProviderNameValues}


@pytest.fixture
def fresh_table() -> Iterator[None]:
    """Let the process-wide table be read again from the (monkeypatched) environment, and forget it afterwards."""
    providers._reset(None)
    yield
    providers._reset(None)


def _data() -> dict[str, Any]:
    return json.loads(resources.files(providers.__package__).joinpath("providers.json").read_text("utf-8"))


class _Client:
    """Stands in for a client class in table lookups (the table keys client rules by module.qualname)."""


def test_every_provider_in_the_table_is_a_semconv_provider_name() -> None:
    data = _data()
    named = {entry["provider"] for entry in data["hosts"] + data["clients"]}
    assert named <= SEMCONV_PROVIDERS, named - SEMCONV_PROVIDERS
    assert {"groq", "deepseek", "x_ai", "mistral_ai", "perplexity", "azure.ai.openai", "openai"} <= named
    for entry in data["hosts"]:
        assert set(entry) <= {"host", "provider", "stream_usage", "min_api_version"}, entry


@pytest.mark.parametrize(("host", "provider", "stream_usage"), [
    ("api.openai.com", "openai", True),
    ("API.OpenAI.com", "openai", True),
    ("myres.openai.azure.com", "azure.ai.openai", True),
    ("myres.cognitiveservices.azure.com", "azure.ai.openai", True),
    ("openai.azure.com.attacker.example", "openai", False),
    ("api.groq.com", "groq", False),
    ("api.deepseek.com", "deepseek", False),
    ("api.x.ai", "x_ai", False),
    ("api.mistral.ai", "mistral_ai", False),
    ("api.perplexity.ai", "perplexity", False),
    ("generativelanguage.googleapis.com", "gcp.gemini", False),
    ("us-central1-aiplatform.googleapis.com", "gcp.vertex_ai", False),
    ("bedrock-runtime.us-east-1.amazonaws.com", "aws.bedrock", False),
    ("my-model.eastus2.models.ai.azure.com", "azure.ai.inference", False),
    ("localhost", "openai", False),
    (None, "openai", False),
])
def test_table_hosts(host: str | None, provider: str, stream_usage: bool) -> None:
    rule = providers.load_table(environ={}).rule_for(_Client, host)
    assert (rule.provider, rule.stream_usage) == (provider, stream_usage)


def test_client_class_comes_before_hosts_and_user_hosts_before_both() -> None:
    azure = openai.AzureOpenAI
    table = providers.load_table(environ={})
    assert table.rule_for(azure, "gateway.internal.example").provider == "azure.ai.openai"
    assert table.rule_for(azure, "api.groq.com").provider == "azure.ai.openai"
    assert table.rule_for(azure, "x").min_api_version == "2024-08-01"
    user = providers.load_table(environ={"GENAI_OTEL_PROVIDER_HOSTS": "gateway.internal.example=deepseek"})
    assert user.rule_for(azure, "gateway.internal.example").provider == "deepseek"
    assert user.rule_for(azure, "other.example").provider == "azure.ai.openai"


def test_env_var_adds_hosts_and_warns_once_about_bad_pairs(caplog: pytest.LogCaptureFixture) -> None:
    value = ("llm.example.com=together_ai, *.corp.example = ibm.watsonx.ai,broken,=groq,host=,Bad Host=x,"
             "api.groq.com=acme")
    with caplog.at_level("WARNING", logger="genai_otel"):
        table = providers.load_table(environ={"GENAI_OTEL_PROVIDER_HOSTS": value})
    [record] = caplog.records
    message = record.getMessage()
    assert "GENAI_OTEL_PROVIDER_HOSTS" in message
    for bad in ("'broken'", "'=groq'", "'host='", "'Bad Host=x'"):
        assert bad in message, bad
    assert table.rule_for(_Client, "llm.example.com").provider == "together_ai"
    assert table.rule_for(_Client, "a.b.corp.example").provider == "ibm.watsonx.ai"
    assert table.rule_for(_Client, "api.groq.com").provider == "acme"  # the user's word wins over the table
    assert table.rule_for(_Client, "llm.example.com").stream_usage is False


def _replayed_chat(tmp_path: Path, base_url: str) -> Any:
    """A recorded chat exchange, moved to ``base_url``'s host, replayed through the real SDK."""
    source = SHARED_CASSETTES / "openai-python-genai" / "test_chat_completion_with_content.yaml"
    if not source.exists():
        pytest.skip(f"recorded cassettes not found at {SHARED_CASSETTES}")
    data = yaml.safe_load(source.read_text())
    data["interactions"][0]["request"]["uri"] = base_url.rstrip("/") + "/chat/completions"
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "chat.yaml").write_text(yaml.safe_dump(data))
    [interaction] = load_interactions(moved, "/chat/completions")
    with vcr_for(interaction, tmp_path), openai.OpenAI(api_key="k", base_url=base_url, max_retries=0) as client:
        return client.chat.completions.create(**split_kwargs(client.chat.completions.create, interaction.request))


@pytest.mark.parametrize(("base_url", "provider", "address", "port"), [
    ("https://api.groq.com/openai/v1", "groq", "api.groq.com", 443),
    ("https://api.deepseek.com/v1", "deepseek", "api.deepseek.com", 443),
    ("https://api.x.ai/v1", "x_ai", "api.x.ai", 443),
    ("https://api.mistral.ai/v1", "mistral_ai", "api.mistral.ai", 443),
    ("https://api.perplexity.ai", "perplexity", "api.perplexity.ai", 443),
    ("https://myres.openai.azure.com/openai/v1", "azure.ai.openai", "myres.openai.azure.com", 443),
    ("https://llm.internal.example:8443/v1", "openai", "llm.internal.example", 8443),
    ("http://llm.internal.example/v1", "openai", "llm.internal.example", 80),
])
def test_compatible_hosts_report_their_provider_and_real_address(telemetry: Any, tmp_path: Path, base_url: str,
                                                                 provider: str, address: str, port: int) -> None:
    completion = _replayed_chat(tmp_path, base_url)
    span = telemetry.only_span()
    attrs = dict(span.attributes)
    assert (attrs["gen_ai.provider.name"], attrs["server.address"], attrs["server.port"]) == (provider, address, port)
    assert attrs["gen_ai.response.id"] == completion.id
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"]["gen_ai.provider.name"] == provider
    assert duration["attributes"]["server.address"] == address


def test_azure_clients_report_azure_for_every_surface(fake_llm: Any, telemetry: Any) -> None:
    with openai.AzureOpenAI(api_key=FAKE_API_KEY, api_version="2024-10-21", base_url=f"{fake_llm.url}/openai",
                            max_retries=0) as client:
        responses = hasattr(client, "responses")  # openai >= 1.66
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        if responses:
            client.responses.create(model="gpt-4o-mini", input="hi")
        client.embeddings.create(model="text-embedding-3-small", input="hi")
        client.completions.create(model="gpt-35-turbo-instruct", prompt="hi")
    spans = telemetry.genai_spans()
    assert [dict(s.attributes)["gen_ai.operation.name"] for s in spans] == [
        "chat", *(["chat"] if responses else []), "embeddings", "text_completion"]
    for span in spans:
        attrs = dict(span.attributes)
        assert attrs["gen_ai.provider.name"] == "azure.ai.openai"
        assert attrs["server.address"] == "127.0.0.1"
        assert attrs["server.port"] == int(fake_llm.url.rsplit(":", 1)[1])


async def test_async_azure_client(fake_llm: Any, telemetry: Any) -> None:
    client = openai.AsyncAzureOpenAI(api_key=FAKE_API_KEY, api_version="2024-10-21",
                                     base_url=f"{fake_llm.url}/openai", max_retries=0)
    try:
        await client.embeddings.create(model="text-embedding-3-small", input="hi")
    finally:
        await client.close()
    assert dict(telemetry.only_span().attributes)["gen_ai.provider.name"] == "azure.ai.openai"


def test_env_var_maps_a_host_end_to_end(client: openai.OpenAI, telemetry: Any, monkeypatch: pytest.MonkeyPatch,
                                        fresh_table: None, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("GENAI_OTEL_PROVIDER_HOSTS", "127.0.0.1=deepseek,oops")
    with caplog.at_level("WARNING", logger="genai_otel"):
        client.chat.completions.create(model="deepseek-chat", messages=MESSAGES)
        if hasattr(client, "responses"):  # openai >= 1.66
            client.responses.create(model="deepseek-chat", input="hi")
        else:
            client.embeddings.create(model="deepseek-chat", input="hi")
    assert [dict(s.attributes)["gen_ai.provider.name"] for s in telemetry.genai_spans()] == ["deepseek", "deepseek"]
    assert len([r for r in caplog.records if "GENAI_OTEL_PROVIDER_HOSTS" in r.getMessage()]) == 1  # read once


def test_unknown_hosts_keep_openai(client: openai.OpenAI, telemetry: Any, fresh_table: None) -> None:
    client.embeddings.create(model="text-embedding-3-small", input="hi")
    assert dict(telemetry.only_span().attributes)["gen_ai.provider.name"] == "openai"


def test_a_missing_table_still_gives_every_call_its_span(client: openai.OpenAI, telemetry: Any, fresh_table: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_otel.genai import _safety

    real = providers.load_table

    def broken(environ: Any = None, data: Any = None) -> Any:
        if data is None:
            raise FileNotFoundError("providers.json")
        return real(environ, data)

    monkeypatch.setattr(providers, "load_table", broken)
    before = _safety.error_counts().get("openai.providers", 0)
    previous = _safety._raise
    _safety.raise_internal_errors(False)
    try:
        client.embeddings.create(model="text-embedding-3-small", input="hi")
    finally:
        _safety.raise_internal_errors(previous)
    assert _safety.error_counts()["openai.providers"] == before + 1
    assert dict(telemetry.only_span().attributes)["gen_ai.provider.name"] == "openai"
