"""Secret values the tests send as headers, with no imports: apps run as subprocesses read them too."""

from __future__ import annotations

HEADER_SECRETS = (
    "hdr-secret-4d9a71c0e2",  # an ``extra_headers`` value (tests/content/test_redaction.py, test_no_secrets.py)
    "Bearer bearer-secret-5b2f8e7a91",
    "bearer-secret-5b2f8e7a91",
    "xapikey-secret-0c6d2b9f44",
    "azure-apikey-secret-83e1a5d7c2",
    "session=cookie-secret-19fa7c3e6b",
    "cookie-secret-19fa7c3e6b",
    "custom-header-secret-6e0b4d2a8f",
)
"""Header values tests send (``tests/content/test_no_secrets.py``); never to be recorded."""
