"""NumPy's API for differentiable code: ``import zymo.numpy as znp``.

On plain arrays every function returns what NumPy returns. On traced values
(inside ``zymo.grad`` and friends) the operation is recorded. Plain ``numpy``
functions and ufuncs called on traced values reach the same rules through
NumPy's ``__array_ufunc__``/``__array_function__`` protocols, so code written
against ``numpy`` works too. Functions without a rule raise
``zymo.UnsupportedOperationError`` naming the call.

This module is only a list of names: NumPy's own, then zymo's versions of those
it has rules for (the rules live in ``zymo._rules``, one module per family).

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda x: znp.sum(znp.tanh(x) ** 2))(znp.zeros(3))
    array([0., 0., 0.])
"""

from numpy import *  # noqa: F403  (NumPy's names: constants, dtypes, and functions without a rule)

from .._rules.complex_numbers import (
    angle,
    imag,
    real,
    real_if_close,
)
from .._rules.counting import (
    bincount,
    histogram,
    histogram2d,
    histogram_bin_edges,
    histogramdd,
)
from .._rules.construction import (
    array,
    asanyarray,
    asarray,
    ascontiguousarray,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    identity,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from .._rules.contractions import (
    cross,
    dot,
    einsum,
    inner,
    kron,
    matmul,
    matvec,
    outer,
    tensordot,
    vdot,
    vecdot,
    vecmat,
)
from .._rules.elementwise import (
    clip,
    nan_to_num,
    select,
    sinc,
    where,
)
from .._rules.indexing import (
    astype_function as astype,
    c_,
    copy,
    copyto,
    put,
    r_,
    take,
    take_along_axis,
)
from .._rules.linear_algebra import (
    diag,
    diagonal,
    trace,
)
from .._rules.numpy_python import (
    apply_along_axis,
    apply_over_axes,
    arange,
    asarray_chkfinite,
    asfortranarray,
    choose,
    cumulative_prod,
    cumulative_sum,
    ediff1d,
    fromfunction,
    geomspace,
    i0,
    kaiser,
    logspace,
    matrix_transpose,
    piecewise,
    place,
    poly,
    polyadd,
    polyder,
    polydiv,
    polyfit,
    polyint,
    polymul,
    polysub,
    putmask,
    require,
    roots,
    sort_complex,
    trim_zeros,
    unwrap,
    vander,
)
from .._rules.reductions import (
    amax,
    amin,
    cumprod,
    cumsum,
    diff,
    gradient,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from .._rules.set_operations import (
    intersect1d,
    setdiff1d,
    setxor1d,
    union1d,
    unique,
    unique_all,
    unique_counts,
    unique_inverse,
    unique_values,
)
from .._rules.series import (
    convolve,
    correlate,
    interp,
    polyval,
    trapezoid,
)
from .._rules.shape_ops import (
    append,
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block,
    broadcast_arrays,
    broadcast_to,
    column_stack,
    compress,
    concatenate,
    delete,
    diagflat,
    dsplit,
    dstack,
    expand_dims,
    extract,
    flip,
    fliplr,
    flipud,
    hsplit,
    hstack,
    insert,
    meshgrid,
    moveaxis,
    rollaxis,
    pad,
    ravel,
    repeat,
    reshape,
    resize,
    roll,
    rot90,
    row_stack,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    tril,
    triu,
    unstack,
    vsplit,
    vstack,
)
from .._rules.sorting import (
    partition,
    sort,
)
from .._rules.statistics import (
    average,
    corrcoef,
    cov,
    median,
    nancumprod,
    nancumsum,
    nanmax,
    nanmean,
    nanmedian,
    nanmin,
    nanpercentile,
    nanprod,
    nanquantile,
    nanstd,
    nansum,
    nanvar,
    percentile,
    ptp,
    quantile,
)
from .._rules.ufuncs import (
    abs,
    absolute,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    cbrt,
    ceil,
    conj,
    conjugate,
    copysign,
    cos,
    cosh,
    deg2rad,
    degrees,
    divide,
    divmod,
    equal,
    exp,
    exp2,
    expm1,
    fabs,
    float_power,
    floor,
    floor_divide,
    fmax,
    fmin,
    fmod,
    frexp,
    greater,
    greater_equal,
    heaviside,
    hypot,
    invert,
    isfinite,
    isinf,
    isnan,
    ldexp,
    left_shift,
    less,
    less_equal,
    log,
    log10,
    log1p,
    log2,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    modf,
    multiply,
    negative,
    nextafter,
    not_equal,
    positive,
    power,
    rad2deg,
    radians,
    reciprocal,
    remainder,
    right_shift,
    rint,
    sign,
    signbit,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    trunc,
)

# ``import ... as`` binds zymo's subpackages over the star-imported ``numpy.fft`` and ``numpy.linalg``.
import zymo.numpy.fft as fft
import zymo.numpy.linalg as linalg


def __getattr__(name: str):
    # ``special``: the array API's anticipated extension, which SciPy's special functions look for in the
    # namespace of their inputs under SCIPY_ARRAY_API=1 (then ``scipy.special.expit(x)`` of a traced ``x``
    # runs ``zymo.scipy.special.expit``). Imported on first use: SciPy is optional.
    if name == "special":
        try:
            from ..scipy import special
        except ImportError:
            raise AttributeError("module 'zymo.numpy' has no attribute 'special' (SciPy is not installed)") from None
        return special
    raise AttributeError(f"module 'zymo.numpy' has no attribute {name!r}")
