"""User-facing errors: the CLI prints them as one line and exits non-zero, without a traceback."""


class OpencoderError(Exception):
    """A problem with the user's input, recipe or environment; the message names the file, line or key."""
