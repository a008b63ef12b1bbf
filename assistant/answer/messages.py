"""The messages an answer's model reads, laid out so that what stays the same comes first
and its evaluated state is reused: the instructions, then the numbered sources with the
question, fitted to the context window with room for the reply.

A follow-up continues the conversation's own prompt (:func:`follow_up`): the last turn's
messages as they were, the model's reply as it wrote it, then the new question with only
the sources not given before. The model has already read all of that but the new
question, so only the new tokens are read. When that does not fit, the follow-up starts
afresh (:func:`fit_messages`): the last ``history_turns`` turns as clipped text, then the
sources and the question."""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.answer.evidence import Source, follow_up_excerpt, split_sentences
from assistant.answer.prompts import data, render
from assistant.answer.result import Turn, clip_words
from assistant.llm.base import ChatModel, Message
from assistant.llm.budget import ContextError
from assistant.settings import Settings

# a follow-up that points back at what was just discussed ("how fast is it?", "which
# benchmarks did they use?") ...
_BACK_RE = re.compile(r"\b(?:it|its|they|them|their|theirs|this|these|those|the (?:paper|"
                      r"papers|method|methods|model|models|approach|authors|work|network))\b",
                      re.IGNORECASE)
# ... unless it asks for other papers ("is there a paper that improves on it?")
_OTHERS_RE = re.compile(r"\b(?:is|are) there\b|\b(?:another|other|others|similar|"
                        r"alternatives?)\b", re.IGNORECASE)


def refers_back(question: str) -> bool:
    """Whether a follow-up is about the papers just discussed and asks for no others:
    its new retrieval results (which a bare "which benchmarks did they use?" finds among
    unrelated papers) are then not brought in."""
    return bool(_BACK_RE.search(question)) and not _OTHERS_RE.search(question)


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


def follow_up(llm: ChatModel, last: Turn, question: str, sources: list[Source],
              settings: Settings, instructions: str = "answer_system",
              user_template: str = "answer_user"
              ) -> tuple[list[Message], list[Source], list[Source]] | None:
    """The follow-up laid after ``last``'s own prompt and reply, or None where it cannot
    be (a turn without its prompt, other instructions than an answer's, no room left).
    A yes/no question after an open one (or the reverse) continues it too, with the
    reply format of its kind asked in its own message (:func:`_switch_note`).

    Returns the messages, the question's sources numbered in the conversation (a paper
    given before keeps its number; for the papers the last answer cited, when the
    question brings in no new paper, the sentences the new question needs that they
    were not given are added under their numbers, without their titles (the first
    question's excerpt may lack them; see
    :func:`~assistant.answer.evidence.follow_up_excerpt`); a new paper is numbered after
    the others and appended), and the conversation's other sources, which the model may
    still cite."""
    note = _switch_note(last, instructions, user_template)
    if note is None:
        return None
    given = {s.paper_id: s for s in last.sources}
    after = max((s.n for s in last.sources), default=0)
    numbered, added = [], []
    only_given = all(s.paper_id in given for s in sources)
    for source in sources:
        if source.paper_id in given:
            before = given[source.paper_id]
            numbered.append(before)
            more = [x for x in split_sentences(source.text.replace(" … ", " "))
                    if x not in before.text]
            # the papers talked about, when the question is still about them (no new
            # paper is brought in: "embeddings" must not bring back FastDepth's
            # "embedded"); their titles were given with their numbers before
            if more and source.paper_id in last.paper_ids and only_given:
                excerpt = follow_up_excerpt(more, question, settings.follow_up_budget,
                                            llm.count_tokens, settings)
                if excerpt:
                    added.append(replace(before, title="", year=None, text=excerpt))
            continue
        after += 1
        numbered.append(replace(source, n=after))
        added.append(numbered[-1])
    asked = render(user_template, question=question, sources=added)
    messages = [*last.prompt, Message("assistant", data(last.draft)),
                Message("user", f"{asked}\n{note}" if note else asked)]
    if llm.prompt_tokens(messages) > settings.n_ctx - settings.max_tokens:
        return None
    chosen = {s.paper_id for s in numbered}
    return messages, numbered, [s for s in last.sources if s.paper_id not in chosen]


# the instructions of the two kinds of question, and the note that asks a follow-up of
# the other kind for its reply format
_SWITCHES = {("answer_system", "yesno_system"): "follow_up_yes_no",
             ("yesno_system", "answer_system"): "follow_up_open"}


def _switch_note(last: Turn, instructions: str, user_template: str) -> str | None:
    """"" when the follow-up has ``last``'s instructions; the note that asks for its
    reply format when it switches between an open and a yes/no question (laying the
    prompt afresh for that would read all of it again: ~500 tokens where a follow-up
    reads a few dozen); None when it cannot continue ``last``'s prompt."""
    if not last.prompt:
        return None
    if last.prompt[0] == Message("system", render(instructions)):
        return ""
    if user_template != "answer_user":
        return None
    for (before, now), note in _SWITCHES.items():
        if now == instructions and last.prompt[0] == Message("system", render(before)):
            return render(note)
    return None
