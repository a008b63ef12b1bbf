"""Driving the chat through Textual's pilot: type a question, wait for what should follow."""

from __future__ import annotations

from collections.abc import Callable


async def submit(app, pilot, question: str) -> None:
    """Type ``question`` into the question box and press Enter."""
    await pilot.click("#question")
    app.chat.query_one("#question").value = question
    await pilot.press("enter")


async def wait_until(pilot, condition: Callable[[], bool], timeout_s: float = 300,
                     step_s: float = 0.02) -> None:
    for _ in range(int(timeout_s / step_s)):
        await pilot.pause(step_s)
        if condition():
            await pilot.pause()
            return
    raise AssertionError("the chat did not get there in time")


async def ask(app, pilot, question: str, timeout_s: float = 300) -> None:
    """Ask and wait until the answer worker has finished and recorded the new turn."""
    turns = len(app.chat.conversation.turns)
    await submit(app, pilot, question)
    await wait_for_answer(app, pilot, turns, timeout_s)


async def wait_for_answer(app, pilot, turns_before: int, timeout_s: float = 300) -> None:
    await wait_until(pilot, lambda: len(app.chat.conversation.turns) > turns_before
                     and not app.chat.answering, timeout_s)
