"""Names shared by the stages and the model zoo: the one spelling of a λ in file names and keys."""

from __future__ import annotations

__all__ = ["lambda_tag"]


def lambda_tag(lmbda: float) -> str:
    """λ as it appears in artifact names and results keys: four decimals (``0.0067``)."""
    return f"{lmbda:.4f}"
