"""The codec: models (hyperprior, GDN variants), the ``.lic`` container, the read-only zoo and the API.

``lic.codec.compress(image, model) -> bytes`` and ``lic.codec.decompress(data, model)`` are
:mod:`lic.codec.api`'s; ``python -m lic.codec`` is its command line.
"""

from lic.codec.api import compress, decompress, load_model

__all__ = ["compress", "decompress", "load_model"]
