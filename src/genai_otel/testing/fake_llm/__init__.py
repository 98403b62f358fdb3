"""A fake LLM server: the OpenAI and Anthropic HTTP APIs, served locally, deterministically, over real HTTP.

The real ``openai`` and ``anthropic`` SDKs talk to it exactly as they talk to the providers, so tests and the
demo exercise the SDKs' own parsing, streaming, retries and errors. It uses only the standard library.

Start it in Python::

    from genai_otel.testing.fake_llm import FakeLLMServer

    with FakeLLMServer() as server:                      # 127.0.0.1, a free port
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="fake")
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}],
                                       extra_headers={"x-fake-llm": "chunks=3,cached=2"})
        server.requests[-1].body["model"]                # "gpt-4o-mini"

or from a shell (prints ``fake-llm listening on http://127.0.0.1:PORT``; stops cleanly on SIGTERM or SIGINT)::

    python -m genai_otel.testing.fake_llm [--host 127.0.0.1] [--port N] [--url-file PATH]

Base URLs: ``server.openai_base_url`` (``url + "/v1"``) for ``openai.OpenAI``; ``server.anthropic_base_url``
(``url``) for ``anthropic.Anthropic``; ``server.bedrock_base_url`` (``url``) for ``anthropic.AnthropicBedrock``;
``server.vertex_base_url`` (``url + "/v1"``) for ``anthropic.AnthropicVertex``.

Endpoints
---------
* OpenAI ``POST /v1/chat/completions`` (JSON and SSE; ``n``; tools; ``response_format`` ``json_schema`` and
  ``json_object``; ``stream_options.include_usage``), ``POST /v1/responses`` (JSON and SSE, background mode),
  ``GET /v1/responses/{id}`` (``?stream=true&starting_after=N`` replays the events),
  ``POST /v1/responses/{id}/cancel``, ``POST /v1/embeddings`` (``float`` / ``base64``, ``dimensions``) and the
  legacy ``POST /v1/completions`` (JSON and SSE).
* Anthropic ``POST /v1/messages`` (also ``?beta=true``; JSON and SSE; tools; extended thinking; structured output
  via ``output_config.format``), Bedrock ``POST /model/{model}/invoke`` and ``/invoke-with-response-stream``
  (AWS event-stream frames wrapping the same events), Vertex
  ``POST /v1/projects/{p}/locations/{l}/publishers/anthropic/models/{model}:rawPredict`` / ``:streamRawPredict``.

What it answers
---------------
* Text: ``"word0 word1 ... word{N-1}"`` with N = 5 by default (0 when tool calls are requested). Streams send
  one delta per word, each carrying the space before it (``"word0"``, ``" word1"``, ...). Every choice of an
  ``n > 1`` request says the same. With ``response_format`` / ``text.format`` / ``output_config.format`` of type
  ``json_schema`` the text is a JSON object filling every property of the schema with a value of its type
  (strings ``"word0"``, integers 1, numbers 1.5, booleans ``true``, arrays of one item, enums their first value);
  ``json_object`` gives ``{"answer": "word0 ... word4"}``.
* Tool calls: the i-th call uses the i-th tool the request declares (cycling), or ``get_weather`` when it declares
  none. Arguments fill the tool's parameter schema, or are ``{"location": <Paris, London, Tokyo, ...>[i],
  "unit": "celsius"}``; they are streamed in 5-character fragments (OpenAI: id, type and name in the first
  delta with ``arguments: ""``; Anthropic: ``content_block_start`` with ``input: {}`` then ``input_json_delta``s).
* Anthropic extended thinking (``thinking: {type: enabled|adaptive}`` or ``reasoning=N``): a first ``thinking``
  block ``"thought0 ... thought{N-1}"`` (N = 8 unless ``reasoning`` says otherwise) with a fixed signature.
* Token usage is arithmetic, not a tokenizer. A *word* is a whitespace-separated piece of text.

  - input tokens = for every message: 3 + the words of its text (string content, ``text`` parts, tool-call
    ``arguments`` / ``input``, tool results); a system prompt or ``instructions`` counts as one more message; a
    plain-string Responses ``input`` is one message. Embeddings and legacy completions: words of each input /
    prompt (a token array counts its length), no per-message overhead.
  - output tokens = words of the text + words of each tool call's JSON arguments (4 for the default
    arguments) + thinking words (Anthropic) + ``reasoning`` (OpenAI); times the number of choices.
  - ``cached=N``: OpenAI counts N more prompt tokens and reports them as ``cached_tokens``; Anthropic reports
    ``cache_read_input_tokens: N`` beside an unchanged ``input_tokens`` (as the providers do).
* Finish reasons: ``stop`` / ``end_turn`` / Responses ``completed``; ``tool_calls`` / ``tool_use`` with tool calls;
  ``length`` / ``max_tokens`` / ``incomplete`` (``max_output_tokens``) when the text has more words than the
  request's ``max_tokens`` / ``max_completion_tokens`` / ``max_output_tokens`` (the text is cut to fit).
* Models: a few aliases come back dated (``gpt-4o-mini`` -> ``gpt-4o-mini-2024-07-18``, ``gpt-4`` ->
  ``gpt-4-0613``, ``claude-haiku-4-5`` -> ``claude-haiku-4-5-20251001``, ...); other names are echoed.
  Bedrock ids lose their ``[region.]anthropic.`` prefix and ``-vN:M`` suffix.
* Ids are ``<prefix>fake<NNNNNN>`` where NNNNNN numbers the requests the server has received
  (``chatcmpl-fake000001``, ``msg_fake000002``, ``resp_fake000003``, ``call_fake000001_0``, ``toolu_...``).
  Every reply carries a request id: ``x-request-id`` (OpenAI), ``request-id`` (Anthropic, Vertex),
  ``x-amzn-requestid`` (Bedrock), plus ``openai-processing-ms``, ``openai-version`` and the like.

Directives
----------
Steer one request with the ``x-fake-llm`` request header (``extra_headers={"x-fake-llm": "chunks=3,status=429"}``),
a comma-separated list. An unknown or malformed directive is answered with a 400 that names it.

``chunks=N``
    N words of text, so N content deltas in a stream (default 5; 0 when tool calls are requested).
``tool_calls=N``
    Answer with N tool calls (see above); finish reason ``tool_calls`` / ``tool_use``.
``status=CODE``
    Fail with that HTTP status and the provider's error body: OpenAI
    ``{"error": {"message", "type", "param": null, "code"}}`` (429: type ``requests``, code
    ``rate_limit_exceeded``; 400: ``invalid_request_error``; 5xx: ``server_error``), Anthropic
    ``{"type": "error", "error": {"type", "message"}, "request_id"}`` (``rate_limit_error``, ``api_error``,
    ``overloaded_error`` for 529, ...) with ``x-should-retry``, Bedrock ``{"message"}`` with ``x-amzn-errortype``,
    Vertex ``{"error": {"code", "message", "status"}}``. A 429 carries ``retry-after: 0``. The SDKs retry 408, 409,
    429 and 5xx on their own: pass ``max_retries=0`` to see the error at once.
``fail_first=N`` (with ``fail_status=CODE``, default 500)
    The first N attempts of a request with the same ``x-fake-llm`` value, method, path and body fail; later ones
    succeed. With the SDKs' own retries, ``fail_first=2`` and ``max_retries=2`` succeed on the third attempt.
    ``server.clear()`` resets the counts.
``retry_after_ms=MS``
    Add ``retry-after-ms: MS`` to error replies (both SDKs honour it, which keeps retry tests fast).
``break_after=K``
    Streams: send K content frames (text, refusal, thinking or tool-argument deltas), then drop the connection
    with no terminating event, no ``[DONE]`` and no closing chunk, so the SDK raises mid-stream (``openai``
    raises ``APIConnectionError``; ``anthropic`` lets ``httpx2.RemoteProtocolError`` through). Non-streaming
    requests: the connection is closed with no response at all (``APIConnectionError``, which the SDKs retry).
``delay_ms=MS``
    Wait before sending the first byte (the reply's headers).
``chunk_delay_ms=MS``
    Wait between stream frames (a slow stream).
``cached=N``
    N cached prompt tokens (OpenAI ``prompt_tokens_details.cached_tokens`` / ``input_tokens_details.cached_tokens``;
    Anthropic ``cache_read_input_tokens``).
``cache_write=N``
    Anthropic ``cache_creation_input_tokens`` (and ``cache_creation.ephemeral_5m_input_tokens``) = N. OpenAI
    (chat and Responses): N more prompt tokens, reported as ``cache_write_tokens`` (sent only when N > 0, as
    the recorded exchanges have no such field).
``reasoning=N``
    OpenAI: N reasoning tokens (``completion_tokens_details`` / ``output_tokens_details.reasoning_tokens``, added
    to the output tokens); the Responses API also adds a ``reasoning`` output item. Anthropic: a thinking block of
    N words.
``finish=REASON``
    Force the finish / stop reason of chat, legacy completions and Anthropic (``length``, ``content_filter``,
    ``max_tokens``, ``stop_sequence``, ``pause_turn``, ...; the Responses API uses ``response_status``).
    ``finish=refusal`` is a refusal: OpenAI chat answers ``content: null`` with ``message.refusal`` (streamed as
    ``refusal`` deltas) and finish reason ``stop``; Anthropic answers ``stop_reason: "refusal"`` with
    ``stop_details``; the Responses API answers a ``refusal`` content part. ``finish=stop_sequence`` on Anthropic
    sets ``stop_sequence`` to the request's first one (or ``"STOP"``).
``response_status=STATUS`` (Responses API)
    ``completed``, ``incomplete`` (``incomplete_details.reason: max_output_tokens``, stream ends with
    ``response.incomplete``), ``failed`` (``error.code: server_error``, no output, stream ends with
    ``response.failed``), ``cancelled``, ``queued`` or ``in_progress``. A pending status (or ``background:
    true``, which starts ``queued``) advances one step per ``GET /v1/responses/{id}``:
    queued -> in_progress -> the final response.
``ratelimit``
    Add rate-limit headers: OpenAI ``x-ratelimit-limit-requests`` / ``-limit-tokens`` / ``-remaining-requests`` /
    ``-remaining-tokens`` / ``-reset-requests`` / ``-reset-tokens``; Anthropic and Vertex
    ``anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}``. Remaining counts
    are 0 on a 429.

Assertions
----------
``server.requests`` is a snapshot list of :class:`RecordedRequest` (``method``, ``path`` without the query,
``query``, ``headers`` with lower-cased names, ``body`` parsed from JSON). ``server.clear()`` forgets them, the
``fail_first`` counts and the stored Responses-API responses. ``server.stop()`` closes every connection, joins
every thread and frees the port.
"""

from genai_otel.testing.fake_llm._call import RecordedRequest
from genai_otel.testing.fake_llm._directives import DIRECTIVE_HEADER, Directives, parse_directives
from genai_otel.testing.fake_llm._server import FakeLLMServer

__all__ = ["DIRECTIVE_HEADER", "Directives", "FakeLLMServer", "RecordedRequest", "parse_directives"]
