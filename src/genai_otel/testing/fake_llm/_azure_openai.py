"""Azure OpenAI paths, answered by the same OpenAI endpoints (``openai.AzureOpenAI`` against the fake server).

``AzureOpenAI(base_url=server.url + "/openai", api_version=...)`` sends deployment-scoped calls to
``/openai/deployments/{deployment}/chat/completions`` (``/completions``, ``/embeddings``) and the Responses API to
``/openai/responses``; the ``api-version`` query parameter is accepted and ignored. The v1 API
(``base_url=server.url + "/openai/v1"``) is served too.
"""

from __future__ import annotations

from genai_otel.testing.fake_llm._openai_chat import chat_completion
from genai_otel.testing.fake_llm._openai_legacy import embeddings, text_completion
from genai_otel.testing.fake_llm._openai_responses import cancel_response, create_response, retrieve_response

_DEPLOYMENT = r"/openai/deployments/(?P<deployment>[^/]+)"
_RESPONSES = r"/openai(?:/v1)?/responses"

AZURE_OPENAI_PATHS = (
    ("POST", _DEPLOYMENT + r"/chat/completions", chat_completion),
    ("POST", _DEPLOYMENT + r"/completions", text_completion),
    ("POST", _DEPLOYMENT + r"/embeddings", embeddings),
    ("POST", r"/openai/v1/chat/completions", chat_completion),
    ("POST", r"/openai/v1/completions", text_completion),
    ("POST", r"/openai/v1/embeddings", embeddings),
    ("POST", _RESPONSES, create_response),
    ("GET", _RESPONSES + r"/(?P<response_id>[^/]+)", retrieve_response),
    ("POST", _RESPONSES + r"/(?P<response_id>[^/]+)/cancel", cancel_response),
)
"""(method, path pattern, handler) for the router, all in the OpenAI wire format."""
