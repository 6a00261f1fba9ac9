"""taskscout's exceptions, mirroring the C++ library's: every message is the one the CLI
prints after ``error:``. A stopped call (Ctrl-C) raises KeyboardInterrupt; a bug in taskscout
itself raises RuntimeError."""


class Error(Exception):
    """Anything the user can act on; the message says what is wrong, where, and what to do."""


class UsageError(Error, ValueError):
    """A wrong call: an unknown method, contradictory arguments."""


class InputError(Error, ValueError):
    """Contents that are malformed or inconsistent: a bad row, non-finite features."""


class IoError(Error, OSError):
    """A file that cannot be opened, read, written or renamed."""
