"""1,536 calls through every way a call or stream ends leave nothing of genai-otel behind.

The harness is ``tests/hardening/_leaks.py`` (``benchmarks/leaks.py`` runs it for 100,000 calls and measures memory):
the real ``openai`` and ``anthropic`` SDKs, sync and async, against the fake LLM server, 48 times through the 32 kinds
(streams consumed, broken by the server mid-stream, closed early, left early through ``with``, abandoned, failed with
an HTTP status; non-streamed calls succeeding and failing), every optional step on (message content on spans and in
events, cost, a hook on every phase). After a warm-up of 8 rounds, and at the end, a full collection runs and:

- no span is open, at the end nor after any single call (an abandoned stream's span ends when the caller drops it,
  not at some later collection);
- every call ended exactly one span, carrying the stream ending and ``error.type`` that match what the application
  did and caught (``completed``, ``error``, ``closed``, ``abandoned``, none), and its chunk count;
- the live objects of genai-otel's types and functions at the end are exactly those after the warm-up, type by type.
  The index of recent response ids (``RESPONSE_INDEX_SIZE``, 4,096 entries, a bounded LRU) would still be filling
  after 1,536 calls, so it is shrunk to 64 entries here: full after the warm-up, it must stay at exactly 64.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from genai_otel.genai import evaluation
from genai_otel.testing.fake_llm import FakeLLMServer
from tests.conftest import Telemetry
from tests.hardening._leaks import ENDING, ERROR_TYPE, KINDS, EndingTally, Run, leaked, sample
from tests.hardening._scenarios import Clients
from tests.hardening.conftest import EXPORT, FIGURES, TRACKER

ROUNDS_WARMUP = 8
ROUNDS = 48
INDEX_SIZE = 64


@contextmanager
def small_response_index(size: int) -> Iterator[None]:
    saved = evaluation._index
    evaluation._index = evaluation._ResponseIndex(size)
    try:
        yield
    finally:
        evaluation._index = saved


def test_every_ending_leaves_nothing_behind(clients: Clients, fake_llm: FakeLLMServer,
                                            recorded: Telemetry) -> None:
    calls, warmup = ROUNDS * len(KINDS), ROUNDS_WARMUP * len(KINDS)
    tally = EndingTally()
    started, ended = TRACKER.started, TRACKER.ended
    left_open: list[tuple[str, list[str]]] = []
    run = Run(clients)
    EXPORT.target = tally
    began = time.monotonic()
    try:
        with small_response_index(INDEX_SIZE):
            for index in range(calls):
                kind = run.call(index)
                still_open = TRACKER.open_spans("genai_otel")
                if still_open:
                    left_open.append((kind.name, still_open))
                if run.calls == warmup:
                    fake_llm.clear()
                    base = sample(run, TRACKER, began, scope="genai_otel")
            fake_llm.clear()
            last = sample(run, TRACKER, began, scope="genai_otel")
    finally:
        EXPORT.target = None
        run.close()

    assert left_open == []
    assert base.open_spans == last.open_spans == 0
    assert (TRACKER.started - started, TRACKER.ended - ended) == (calls, calls)
    spans = recorded.genai_spans()
    assert len(spans) == calls
    assert Counter(span.name for span in spans) == {"chat gpt-4o-mini": calls // 2, "chat claude-haiku-4-5": calls // 2}

    per_kind = ROUNDS  # each kind ran once per round
    assert sum(run.expected.values()) == calls
    assert tally.seen == run.expected
    assert Counter(ending for ending, _ in tally.seen.elements()) == {
        "completed": 4 * per_kind, "error": 4 * per_kind, "closed": 8 * per_kind, "abandoned": 4 * per_kind,
        None: 12 * per_kind}
    assert Counter(error for _, error in tally.seen.elements() if error is not None) == {
        "openai.RateLimitError": 2 * per_kind, "anthropic.OverloadedError": 2 * per_kind,
        "openai.InternalServerError": 2 * per_kind, "anthropic.InternalServerError": 2 * per_kind,
        "openai.APIConnectionError": 2 * per_kind, "httpx2.RemoteProtocolError": 2 * per_kind}
    # chunks the caller got: OpenAI a role chunk, a chunk per word, a finish chunk; Anthropic message_start,
    # content_block_start, a delta per word, content_block_stop, message_delta, message_stop
    chunks = Counter((span.attributes["gen_ai.provider.name"], span.attributes[ENDING],
                      span.attributes["genai_otel.stream.chunk_count"], ERROR_TYPE in span.attributes)
                     for span in spans if span.attributes and ENDING in span.attributes)
    each = 2 * per_kind  # a kind per SDK and mode: sync and async
    assert chunks == {
        ("openai", "completed", 1 + 6 + 1, False): each, ("anthropic", "completed", 2 + 6 + 3, False): each,
        ("openai", "error", 1 + 2, True): each, ("anthropic", "error", 2 + 2, True): each,
        ("openai", "closed", 2, False): each, ("anthropic", "closed", 2, False): each,  # close() after two chunks
        ("openai", "closed", 1, False): each, ("anthropic", "closed", 1, False): each,  # with-block left after one
        ("openai", "abandoned", 1, False): each, ("anthropic", "abandoned", 1, False): each}

    assert base.ours["genai_otel.genai.evaluation._Call"] == INDEX_SIZE
    assert leaked(base, last) == {}
    assert last.ours == base.ours
    FIGURES["leaks: calls, seconds, genai-otel live objects after warm-up / end"] = (
        f"{calls}, {last.seconds:.1f} s, {sum(base.ours.values())} / {sum(last.ours.values())}")
