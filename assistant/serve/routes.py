"""The one route this program adds to llama-cpp-python's server app: the probability that
the next token after a prompt starts each answer label, for the yes/no verdict.

OpenAI's ``logprobs`` would do, but llama-cpp-python gives them only with ``logits_all``,
which computes the output layer for every prompt token (about a fifth more prefill on the
1.5B model) and keeps all those logits (~0.6 MB a token). This route needs the last
position's logits only; it runs the in-process function
(:func:`assistant.llm.local.next_token_probs`) under the server's own model lock and API-key
check, so a verdict is the same computation as in-process.

(No ``from __future__ import annotations`` here: FastAPI reads these annotations at run
time.)
"""

from typing import Annotated

from fastapi import Depends, FastAPI
from llama_cpp.server.app import authenticate, get_llama_proxy
from llama_cpp.server.model import LlamaProxy
from pydantic import BaseModel

from assistant.llm.local import next_token_probs
from assistant.llm.servers import LABEL_PROBS_PATH


class LabelProbsRequest(BaseModel):
    model: str | None = None
    tokens: list[int]                 # the prompt, tokenized by the client
    label_ids: dict[str, list[int]]   # each label's first-token ids


class LabelProbsResponse(BaseModel):
    probs: dict[str, float]


def add_label_probs_route(app: FastAPI, chunk: int) -> None:
    """The route, reading the prompt ``chunk`` tokens at a time as the in-process model
    does (``prefill_chunk``): the same batches give the same probabilities."""

    def label_probs(body: LabelProbsRequest,
                    proxy: Annotated[LlamaProxy, Depends(get_llama_proxy)]
                    ) -> LabelProbsResponse:
        llama = proxy(body.model)
        return LabelProbsResponse(probs=next_token_probs(llama, body.tokens, body.label_ids,
                                                         chunk))

    app.post(LABEL_PROBS_PATH, dependencies=[Depends(authenticate)],
             tags=["paper assistant"])(label_probs)
