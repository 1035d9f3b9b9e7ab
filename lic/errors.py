"""Exceptions raised by :mod:`lic` for bad input.

Every user-facing failure (bad image, missing directory, corrupt bitstream, missing
artifact, bad parameter) is one of these, with a one-line message naming the culprit.
"""

__all__ = ["LicError", "DataError", "BitstreamError", "ArtifactError", "ParameterError"]


class LicError(Exception):
    """Base class of the errors :mod:`lic` raises on purpose."""


class DataError(LicError, ValueError):
    """An image file or data directory cannot be used."""


class BitstreamError(LicError, ValueError):
    """A compressed file is corrupt, truncated or made by another model."""


class ArtifactError(LicError, FileNotFoundError):
    """A stage's input artifact is missing (run the named notebook first)."""


class ParameterError(LicError, ValueError):
    """A parameter is out of range or of the wrong kind."""
