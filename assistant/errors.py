"""The base of every error a user can fix: front ends show its message as one line."""


class AssistantError(Exception):
    """Bad input, a missing model, a broken config: reported without a traceback."""
