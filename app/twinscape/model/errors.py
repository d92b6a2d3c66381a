"""Twinscape's exceptions: one root, mixed with builtins so callers can catch either.

Messages read ``<path>: <problem>; <hint>`` so that one line tells the user
which file, what is wrong and what to do.
"""

from __future__ import annotations

from os import PathLike, fsdecode


class TwinscapeError(Exception):
    """Root of every error Twinscape raises on purpose."""


class ReaderError(TwinscapeError, OSError):
    """A data file could not be read.

    Parameters
    ----------
    path
        The file that failed.
    problem
        What is wrong, in words a user understands.
    hint
        What the user can do about it, if anything.
    reader
        Name of the reader that failed, if one was chosen.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        problem: str,
        *,
        hint: str | None = None,
        reader: str | None = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        self.reader = reader
        message = f"{self.path}: {problem}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)

    def __str__(self) -> str:
        return self.args[0]


class NoReaderError(ReaderError):
    """No reader knows this kind of file."""


class CRSError(ReaderError, ValueError):
    """A file has no CRS, or one that cannot be used."""


class MissingCRSError(CRSError):
    """A file states no CRS (a reader may retry with one the user assumes)."""


class ProjectFileError(TwinscapeError, ValueError):
    """A project file is invalid.

    Parameters
    ----------
    path
        The project file.
    key
        Dotted key of the offending entry (``layers[2].style.opacity``), or ``""``.
    problem
        What is wrong with it.
    """

    def __init__(self, path: str | PathLike[str], key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        where = f" [{key}]" if key else ""
        super().__init__(f"{self.path}:{where} {problem}")


class LoadCancelled(TwinscapeError):
    """The user cancelled a load; nothing was changed."""


#: Longest message shown to the user (a 50 MB CRS string must not become a 50 MB line).
MESSAGE_LIMIT = 500
ELLIPSIS = "\u2026"
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    """A control, separator or undecodable character as a visible escape; others unchanged."""
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"\\x{code:02x}"
    if code in (0x2028, 0x2029, 0x85) or 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return char


def one_line(message: object, limit: int = MESSAGE_LIMIT) -> str:
    """``message`` as one printable line of at most ``limit`` characters.

    Line breaks and other control characters (in a file name, say) are shown as
    escapes (``\\n``, ``\\x1b``), and a longer message is cut, ending in ``…``.
    """
    text = str(message)
    if len(text) > 8 * limit:  # escaping never shrinks: cut before the work
        text = text[: 8 * limit]
    text = "".join(c if c.isprintable() else _escape_char(c) for c in text)
    if len(text) > limit:
        text = text[: max(limit - 1, 0)] + ELLIPSIS
    return text


def quote_path(path: str | PathLike[str]) -> str:
    """A file name for a message: as is when plain, quoted and escaped when it holds odd characters.

    ``/tmp/a.tif`` stays as it is; ``/tmp/a\\nb.tif`` (a newline in the name) becomes
    ``'/tmp/a\\nb.tif'``, so the message stays on one line and shows where the name ends.
    """
    text = str(path)
    odd = any(not c.isprintable() for c in text) or text != text.strip() or not text
    return f"'{''.join(_escape_char(c) for c in text)}'" if odd else text


def error_line(err: BaseException, limit: int = MESSAGE_LIMIT) -> str:
    """One line for the user about ``err`` (the CLI's and the dialogs' shared wording).

    Twinscape's own errors keep their ``<path>: <problem>; <hint>`` with an odd path
    quoted; an OS error names its file and says what went wrong without ``[Errno N]``;
    anything else gives its message. Line breaks are escaped and the length capped
    (:func:`one_line`).
    """
    if isinstance(err, TwinscapeError):
        text = str(err)
        path = getattr(err, "path", None)
        if isinstance(path, str) and text.startswith(path) and quote_path(path) != path:
            text = quote_path(path) + text[len(path) :]
    elif isinstance(err, OSError) and err.strerror:
        text = err.strerror
        if err.filename is not None:
            text = f"{quote_path(fsdecode(err.filename))}: {text}"
        if err.filename2 is not None:
            text += f" (and {quote_path(fsdecode(err.filename2))})"
    else:
        text = str(err) or type(err).__name__
    return one_line(text, limit)
