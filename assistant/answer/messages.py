"""The messages an answer's model reads: instructions first (their evaluated state is
reused), then the remembered turns, then the question with its numbered sources, fitted
to the context window with room for the reply."""

from __future__ import annotations

from assistant.answer.evidence import Source
from assistant.answer.prompts import data, render
from assistant.answer.result import Turn, clip_words
from assistant.llm.base import ChatModel, Message
from assistant.llm.budget import ContextError
from assistant.settings import Settings


def prompt_prefix(llm: ChatModel) -> str:
    """The fixed start of every answer prompt, whose KV state is cached."""
    system = render("answer_system")
    marker = "\u0000QUESTION\u0000"
    prompt, _stop = llm.format_prompt([Message("system", system), Message("user", marker)])
    return prompt.split(marker)[0]


def recent(history: list[Turn], settings: Settings) -> list[Turn]:
    """The turns a follow-up sees (each remembered answer is clipped to
    ``history_words`` so follow-ups stay within budget)."""
    turns = settings.history_turns
    return history[-turns:] if turns else []


def retrieval_query(question: str, history: list[Turn], settings: Settings) -> str:
    """What retrieval searches for: the question, with the recent questions before it."""
    return render("condense_query", question=question,
                  history=[t.question for t in recent(history, settings)])


def build_messages(question: str, sources: list[Source], history: list[Turn],
                   settings: Settings, instructions: str = "answer_system",
                   user_template: str = "answer_user") -> list[Message]:
    messages = [Message("system", render(instructions))]
    for turn in recent(history, settings):  # earlier turns are text too: control tokens defused
        messages += [Message("user", data(turn.question)),
                     Message("assistant", data(clip_words(turn.answer,
                                                          settings.history_words)))]
    messages.append(Message("user", render(user_template, question=question,
                                           sources=sources)))
    return messages


def fit_messages(llm: ChatModel, question: str, sources: list[Source], history: list[Turn],
                 settings: Settings, instructions: str = "answer_system",
                 user_template: str = "answer_user") -> list[Message]:
    """The prompt, fitted to the context window with room for the answer: earlier turns
    are dropped first (the sources are already within their budget); a question that
    still does not fit is a ContextError."""
    room = settings.n_ctx - settings.max_tokens
    for turns in ([history, []] if history else [[]]):
        messages = build_messages(question, sources, turns, settings, instructions,
                                  user_template)
        tokens = llm.prompt_tokens(messages)
        if tokens <= room:
            return messages
    raise ContextError(f"the question is too long: with its sources the prompt is "
                       f"{tokens} tokens, and the model's context of "
                       f"{settings.n_ctx} tokens leaves {room} after the answer's "
                       f"{settings.max_tokens}")
