"""The Chroma server as a home for the vectors (setting ``chroma_url``): its client, and
the error when it cannot be reached."""

from __future__ import annotations

from assistant.errors import AssistantError


class IndexUnavailable(AssistantError):
    """The Chroma server the settings name cannot be used."""


def http_client(url: str, settings):
    """A client for a Chroma server (``chroma run --path DIR --port N``): the vectors live
    there, shared by everyone pointing at it; each user's records and keyword index are
    derived from it like those of the embedded store."""
    from urllib.parse import urlparse

    import chromadb

    parts = urlparse(url)
    try:
        client = chromadb.HttpClient(host=parts.hostname or "127.0.0.1",
                                     port=parts.port or (443 if parts.scheme == "https" else 8000),
                                     ssl=parts.scheme == "https", settings=settings)
        client.heartbeat()
    except Exception as exc:  # connection refused, timeout, not a Chroma server
        raise IndexUnavailable(
            f"cannot reach the Chroma server at {url} ({type(exc).__name__}); start it with "
            "`chroma run --path DIR --port N`, or unset chroma_url (ASSISTANT_CHROMA_URL) to "
            "use the embedded store") from exc
    return client
