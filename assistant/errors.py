"""The base of every error a user can fix: front ends show its message as one line."""


class AssistantError(Exception):
    """Bad input, a missing model, a broken config: reported without a traceback."""

    exit_code = 1  # the CLI's exit status for it: a data or user error


def error_line(exc: BaseException) -> str:
    """What a front end shows for a failure, as one line: a user-fixable error's own
    message, anything else named as unexpected with its type."""
    if isinstance(exc, AssistantError):
        text = str(exc)
    else:
        text = f"unexpected {type(exc).__name__}: {exc}"
    return " ".join(text.split())


class UsageError(AssistantError):
    """A command line the program cannot read (an option value it cannot parse): exit 2,
    like the usage errors typer itself reports."""

    exit_code = 2
