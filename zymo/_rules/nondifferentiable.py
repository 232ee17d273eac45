"""NumPy functions whose results carry no derivative: on traced values they run on the plain values."""

from __future__ import annotations

import numpy as np

from ..core.dispatch import NONDIFF_FUNCTIONS

_NAMES = """
shape ndim size result_type can_cast min_scalar_type iscomplexobj isrealobj isscalar
argmax argmin argsort argpartition nonzero flatnonzero argwhere count_nonzero searchsorted
isnan isinf isfinite isclose allclose array_equal array_equiv any all
may_share_memory shares_memory digitize
sign floor ceil rint round around trunc fix iscomplex isreal isneginf isposinf
array2string array_repr array_str lexsort unravel_index ravel_multi_index
diag_indices diag_indices_from tril_indices tril_indices_from triu_indices triu_indices_from mask_indices
indices tri ix_ isin nanargmax nanargmin packbits unpackbits isfortran iterable broadcast_shapes
einsum_path common_type mintypecode promote_types isdtype issubdtype typename base_repr binary_repr
format_float_positional format_float_scientific datetime_as_string datetime_data is_busday busday_count busday_offset
save savez savez_compressed savetxt
""".split()

for _name in _NAMES:
    _fn = getattr(np, _name, None)
    if _fn is not None:
        NONDIFF_FUNCTIONS.add(_fn)
