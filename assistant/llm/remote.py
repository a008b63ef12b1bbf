"""A chat model behind an OpenAI-compatible server (``assistant serve``, llama.cpp's
server, vLLM, Ollama): the same prompts, checks and streaming as in-process.

With the model's GGUF on this machine (a catalog name or a path; only its vocabulary is
loaded, ~60 MB), the prompt is formatted here with the model's own chat template and sent
to ``/v1/completions``: the server evaluates exactly the text an in-process run would, token
counts are exact, and the yes/no verdict reads the server's ``logprobs`` when it gives them.
Without the file (a model only the server has), messages go to ``/v1/chat/completions``,
the server applies its template, token counts are estimated (conservatively, from the
text's length) and there is no verdict.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from assistant.llm.base import (
    ChatModel,
    Generation,
    GenerationStats,
    Message,
    NoLabelProbs,
    OnPrefill,
    OnToken,
    ServerError,
    ShouldStop,
    consume,
    finish,
)
from assistant.llm.budget import check_fits
from assistant.llm.local import load_llama
from assistant.llm.servers import LABEL_ROUTE

TOP_LOGPROBS = 20  # what vLLM allows by default; the labels are far inside it
CHARS_PER_TOKEN = 3.0  # an estimate that over-counts English for BPE vocabularies


class NoLogprobs(ServerError, NoLabelProbs):
    """The server gives no token probabilities, so there is no yes/no verdict."""


class RemoteLLM(ChatModel):
    """A model served over the OpenAI API; checked (reachable, serves ``model``) on
    construction so that a wrong URL or name fails before any retrieval work."""

    def __init__(self, url: str, model: str, *, n_ctx: int, api_key: str = "",
                 timeout: float = 120.0, vocab_path: Path | None = None,
                 label_route: bool | None = None) -> None:
        self.url = url.rstrip("/")
        self.model = model
        self.name = f"{model} @ {self.url}"
        self.backend = self.url
        self.timeout = timeout
        self._n_ctx = n_ctx
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=self.url, headers=headers,
                                   timeout=httpx.Timeout(timeout, connect=5.0))
        self.served = self._served_models()
        if model not in self.served:
            self.client.close()
            raise ServerError(f"the model server at {self.url} serves "
                              f"{', '.join(self.served) or 'no model'}, not '{model}'; set "
                              f"ASSISTANT_MODEL (or --model) to one of those")
        self.vocab = load_llama(vocab_path, vocab_only=True) if vocab_path else None
        self.logprobs: bool | None = None  # known after the first verdict
        # `assistant serve`'s label-probability route (None: not known yet, tried first)
        self.label_route = label_route

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    # --- HTTP ---------------------------------------------------------------------------

    def _fail(self, exc: Exception, what: str) -> ServerError:
        """One line for a request that failed before the server answered it."""
        if isinstance(exc, httpx.TimeoutException):
            return ServerError(f"the model server at {self.url} did not answer {what} within "
                               f"{self.timeout:g} s (set ASSISTANT_LLM_TIMEOUT to wait longer)")
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
            return ServerError(f"the model server at {self.url} closed the connection during "
                               f"{what} (it stopped or crashed); restart it (assistant serve) "
                               f"or unset ASSISTANT_LLM_URL")
        if isinstance(exc, httpx.ConnectError):
            return ServerError(f"cannot reach the model server at {self.url} ({exc}); start "
                               f"it (assistant serve) or unset ASSISTANT_LLM_URL to load the "
                               f"model in this process")
        return ServerError(f"the model server at {self.url} failed {what} "
                           f"({type(exc).__name__}: {exc})")

    def _status_error(self, response: httpx.Response, what: str) -> ServerError:
        if response.status_code == 401:
            return ServerError(f"the model server at {self.url} refused the API key "
                               f"(set ASSISTANT_LLM_API_KEY)")
        try:
            response.read()
            detail = response.text.strip().replace("\n", " ")[:200]
        except httpx.HTTPError:
            detail = ""
        return ServerError(f"the model server at {self.url} answered HTTP "
                           f"{response.status_code} to {what}: {detail}")

    def _served_models(self) -> list[str]:
        try:
            response = self.client.get("/models")
        except httpx.HTTPError as exc:
            raise self._fail(exc, "GET /models") from exc
        if response.status_code == 404:
            raise ServerError(f"no OpenAI-compatible API at {self.url} (GET /models: HTTP "
                              f"404); the base URL usually ends in /v1")
        if response.status_code != 200:
            raise self._status_error(response, "GET /models")
        try:
            return [m["id"] for m in response.json()["data"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ServerError(f"{self.url} does not answer like an OpenAI-compatible server "
                              f"(GET /models gave no model list); check the URL ends in /v1")\
                from exc

    def _post(self, path: str, payload: dict) -> httpx.Response:
        """POST and return the response, whatever its status; a failed request is a
        ServerError naming the URL."""
        try:
            return self.client.post(path, json=payload)
        except httpx.HTTPError as exc:
            raise self._fail(exc, f"POST {path}") from exc

    @contextmanager
    def _stream(self, path: str, payload: dict) -> Iterator[Iterator[dict]]:
        """POST a streaming request; yields the parsed server-sent events."""
        try:
            with self.client.stream("POST", path, json=payload) as response:
                if response.status_code != 200:
                    raise self._status_error(response, f"POST {path}")
                yield _events(response)
        except httpx.HTTPError as exc:
            raise self._fail(exc, f"POST {path}") from exc

    # --- prompts ------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        if self.vocab is not None:
            return super().count_tokens(text)
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    def prompt_tokens(self, messages: list[Message]) -> int:
        if self.vocab is not None:
            return super().prompt_tokens(messages)
        return sum(self.count_tokens(m.content) + 8 for m in messages)

    def _server_prompt(self, prompt: str) -> str:
        """The prompt as sent: a server adds BOS itself when the tokenizer asks for it, so a
        template's own BOS text is dropped (else the model would see it twice)."""
        bos = self.vocab._model.token_get_text(self.vocab.token_bos())  # noqa: SLF001
        if self._adds_bos() and bos and prompt.startswith(bos):
            return prompt[len(bos):]
        return prompt

    def _request(self, messages: list[Message], prefix: str, max_tokens: int
                 ) -> tuple[str, dict, list[str], int]:
        """The endpoint, the payload's prompt part, the stop strings and the prompt size."""
        if self.vocab is None:
            body = {"messages": [{"role": m.role, "content": m.content} for m in messages]}
            tokens = self.prompt_tokens(messages)
            check_fits(tokens, max_tokens, self.n_ctx)
            return "/chat/completions", body, [], tokens
        prompt, stop = self.format_prompt(messages)
        prompt += prefix
        tokens = len(self._tokens(prompt))
        check_fits(tokens, max_tokens, self.n_ctx)
        return "/completions", {"prompt": self._server_prompt(prompt)}, stop, tokens

    def warm_prefix(self, prefix: str, cache_dir: Path | None = None) -> int:
        """Have the server evaluate ``prefix`` (the fixed start of every answer prompt) so
        later prompts reuse it; returns its token count (0 where the server formats)."""
        if self.vocab is None:
            return 0
        self._post("/completions", {"model": self.model, "prompt": self._server_prompt(prefix),
                                    "max_tokens": 1, "temperature": 0.0})
        return len(self._tokens(prefix))

    # --- verdicts -----------------------------------------------------------------------

    def label_probs(self, messages: list[Message], prefix: str, labels: tuple[str, ...],
                    on_prefill: OnPrefill | None = None) -> dict[str, float]:
        """P(next token starts each label): from `assistant serve`'s label route (the
        in-process computation, run there), else from the server's top log-probabilities
        of one generated token (a label outside the top 20 counts as 0)."""
        if self.vocab is None:
            raise NoLogprobs(self._no_logprobs_reason())
        prompt, _stop = self.format_prompt(messages)
        tokens = self._tokens(prompt + prefix)
        check_fits(len(tokens), 1, self.n_ctx)
        label_ids = self.label_token_ids(labels)
        if self.label_route is not False:
            probs = self._route_probs(tokens, label_ids)
            if probs is not None:
                return probs
        if self.logprobs is False:
            raise NoLogprobs(self._no_logprobs_reason())
        return self._logprob_probs(prompt + prefix, label_ids)

    def _route_probs(self, tokens: list[int], label_ids: dict[str, list[int]]
                     ) -> dict[str, float] | None:
        response = self._post(LABEL_ROUTE, {"model": self.model, "tokens": tokens,
                                            "label_ids": label_ids})
        if response.status_code in (404, 405):  # not `assistant serve`
            self.label_route = False
            return None
        if response.status_code != 200:
            raise self._status_error(response, f"POST {LABEL_ROUTE}")
        self.label_route = True
        return {label: float(p) for label, p in response.json()["probs"].items()}

    def _logprob_probs(self, prompt: str, label_ids: dict[str, list[int]]
                       ) -> dict[str, float]:
        payload = {"model": self.model, "prompt": self._server_prompt(prompt),
                   "max_tokens": 1, "temperature": 0.0, "logprobs": TOP_LOGPROBS}
        response = self._post("/completions", payload)
        top = None
        if response.status_code == 200:
            try:
                top = response.json()["choices"][0]["logprobs"]["top_logprobs"][0]
            except (ValueError, KeyError, TypeError, IndexError):
                top = None
        elif response.status_code < 500 and response.status_code not in (400, 422):
            raise self._status_error(response, "POST /completions")
        if not top:
            self.logprobs = False
            raise NoLogprobs(self._no_logprobs_reason())
        self.logprobs = True
        texts = {label: {self.vocab.detokenize([i]).decode("utf-8", "ignore") for i in ids}
                 for label, ids in label_ids.items()}
        return {label: sum(math.exp(lp) for text, lp in top.items() if text in variants)
                for label, variants in texts.items()}

    def _no_logprobs_reason(self) -> str:
        if self.vocab is None:
            return (f"no yes/no verdict: the model '{self.model}' is not on this machine, "
                    f"so its template and tokens are unknown here")
        return (f"no yes/no verdict: the model server at {self.url} gives no token "
                f"probabilities (no logprobs; `assistant serve` has them)")

    # --- generation ---------------------------------------------------------------------

    def generate(self, messages: list[Message], max_tokens: int, temperature: float,
                 on_token: OnToken | None = None,
                 should_stop: ShouldStop | None = None, prefix: str = "", *,
                 top_p: float, repeat_penalty: float,
                 on_prefill: OnPrefill | None = None,
                 grammar: str | None = None) -> Generation:
        """Stream a completion from the server (a ``grammar`` goes as llama.cpp's
        ``grammar`` field, which its server and llama-cpp-python's read). If the server
        fails mid-answer (dies, times out), what came is kept and marked stopped, with
        ``stats.error`` saying why; a failure before the first token is a ServerError."""
        path, body, stop, prompt_tokens = self._request(messages, prefix, max_tokens)
        payload = {**body, "model": self.model, "max_tokens": max_tokens,
                   "temperature": temperature, "top_p": top_p,
                   "repeat_penalty": repeat_penalty, "stream": True}
        if stop:
            payload["stop"] = stop
        if grammar:
            payload["grammar"] = grammar
        stats = GenerationStats(prompt_tokens=prompt_tokens)
        pieces: list[str] = [prefix] if prefix else []
        start = time.perf_counter()
        try:
            with self._stream(path, payload) as events:
                consume((_piece(event) for event in events), pieces, stats, start,
                        on_token, should_stop)
        except ServerError as exc:
            if not stats.completion_tokens:
                raise
            stats.stopped = True
            stats.error = f"{exc} — the answer stopped there"
        return finish(pieces, stats, start)

    def close(self) -> None:
        self.client.close()
        if self.vocab is not None:
            self.vocab.close()
            self.vocab = None


def _events(response: httpx.Response) -> Iterator[dict]:
    """The JSON payloads of a server-sent event stream, up to ``[DONE]``."""
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError:
            continue
        if isinstance(event, dict) and "error" in event:
            raise ServerError(f"the model server at {response.request.url.host} reported an "
                              f"error: {event['error']}")
        yield event
    raise httpx.RemoteProtocolError("the stream ended without [DONE]")


def _piece(event: dict) -> str:
    """The text of one streamed chunk (completions: ``text``; chat: ``delta.content``)."""
    try:
        choice = event["choices"][0]
    except (KeyError, IndexError, TypeError):
        return ""
    if "text" in choice:
        return choice["text"] or ""
    return (choice.get("delta") or {}).get("content") or ""
