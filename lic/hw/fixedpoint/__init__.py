"""The accelerator's fixed-point model: float transforms to integers (:mod:`.quantize`) and back (:mod:`.bridge`).

The bit-level spec itself (word formats, primitives, integer layers, the ``.npz`` format) is :mod:`lic.fixedpoint`,
one layer down, so that the codec's integer entropy model computes by the same rules; it is re-exported here.
"""


from lic.fixedpoint.arith import FixedPointConfig, FixedPointOverflow, isqrt, restoring_divide, rshift_round
from lic.hw.fixedpoint.bridge import dequantize, evaluate_int_codec, image_to_int, int_to_image
from lic.hw.fixedpoint.quantize import gdn_params, quantize_codec, quantize_transform
from lic.fixedpoint.transform import FORMAT, VERSION, IntLayer, IntTransform

__all__ = [
    "FixedPointConfig",
    "FixedPointOverflow",
    "IntLayer",
    "IntTransform",
    "rshift_round",
    "restoring_divide",
    "isqrt",
    "gdn_params",
    "quantize_transform",
    "quantize_codec",
    "image_to_int",
    "int_to_image",
    "dequantize",
    "evaluate_int_codec",
    "FORMAT",
    "VERSION",
]

