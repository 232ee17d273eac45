"""Matrix decompositions: cholesky, eigh, eigvalsh, eig, eigvals, svd, qr, pinv.

A decomposition with several outputs is one primitive whose output packs
them side by side (each flattened over its matrix axes); the public function
unpacks the traced result, so the rules see every output's cotangent at once.
Rules are written with zymo.numpy operations, so they differentiate again
(any order, any mode). ``cholesky`` and ``eigh`` read only the lower triangle
of their input, as NumPy's do, so the upper triangle gets no gradient.

Complex inputs follow JAX's convention: a cotangent ``c`` pairs with a
tangent ``t`` as ``Re(sum(c * t))``. Eigenvectors and singular vectors are
defined up to a sign or phase per column; differentiate functions that do
not depend on it.
"""

from __future__ import annotations

from collections import namedtuple
from math import prod

import numpy as np
from numpy.typing import ArrayLike

from ..core.dispatch import implements
from ..core.errors import ZymoError, unsupported, user_location
from ..core.forward import defjvp, defjvp_all
from ..core.primitive import Primitive
from ..core.recording import observe, observed_call
from ..core.reverse import defvjp, defvjp_all
from ..core.tracer import Tracer, bottom
from .helpers import arange_in, dtype_of, eye_in, is_complex, shape_of

Array = np.ndarray  # or a traced value, which behaves as one

EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = namedtuple("QRResult", ["Q", "R"])


# --- helpers ------------------------------------------------------------------------------
def _mT(x):
    return np.swapaxes(x, -1, -2)


def _eye(n, like):
    return eye_in(like, n, dtype_of(like))


def _tril(x, k=0):
    n, m = shape_of(x)[-2:]
    if type(bottom(x)) is np.ndarray:
        return np.where(np.tri(n, m, k, dtype=bool), x, 0.0)
    rows, cols = arange_in(x, n)[:, None], arange_in(x, m)[None, :]
    return np.where(cols <= rows + k, x, 0.0)


def _diag_embed(v):
    n = shape_of(v)[-1]
    return np.expand_dims(v, -1) * eye_in(v, n, dtype_of(v))


def _diag_part(x):
    return np.diagonal(x, 0, -2, -1)


def _solve_right(x, r):
    """``x @ inv(r)``."""
    return _mT(np.linalg.solve(_mT(r), _mT(x)))


def _cj(x):
    return np.conj(x) if is_complex(x) else x


def _mH(x):
    return _cj(_mT(x))


def _lower_sym(t):
    """The Hermitian matrix a routine that reads only the lower triangle sees when its input moves by ``t``.

    LAPACK reads the strict lower triangle and the real part of the diagonal.
    """
    if not is_complex(t):
        return _tril(t) + _mT(_tril(t, -1))
    low = _tril(t, -1)
    return low + _mH(low) + _diag_embed(np.real(_diag_part(t)))


def _lower_sym_T(s):
    """Transpose of ``_lower_sym`` (under the pairing ``Re(sum(a * b))`` of JAX's convention)."""
    if not is_complex(s):
        return _tril(s) + _tril(_mT(s), -1)
    return _tril(s, -1) + _tril(_mH(s), -1) + _diag_embed(np.real(_diag_part(s)))


def _gap_inverse(w):
    """``F[..., i, j] = 1 / (w_j - w_i)``, and 0 where there is no gap (the diagonal, repeated values).

    With 0 at repeated values, functions that do not depend on the basis chosen inside a repeated
    eigenspace (eigenvalues, projectors) get their exact derivative; ``_check_basis_free`` refuses
    the others in reverse mode.
    """
    d = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    zero = d == 0
    return np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, d))


def _check_basis_free(w, k, name):
    """Raise if the cotangent ``k`` (a plain array) reaches the arbitrary basis of a repeated eigenspace."""
    if type(w) is not np.ndarray or type(k) is not np.ndarray:
        return
    n = w.shape[-1]
    repeated = (np.expand_dims(w, -2) == np.expand_dims(w, -1)) & ~np.eye(n, dtype=bool)
    if not repeated.any():
        return
    scale = float(np.max(np.abs(k))) if k.size else 0.0
    if np.any(np.abs(k[np.broadcast_to(repeated, k.shape)]) > 1e-9 * scale):
        raise ZymoError(
            f"the derivative of numpy.linalg.{name} with respect to the vectors of a repeated "
            f"eigenvalue or singular value does not exist (differentiated at {user_location()}): NumPy's choice "
            "of basis for that subspace jumps. Fix: differentiate a function that does not depend on that "
            "choice (the values, or projectors onto the whole subspace)."
        )


def _pack(parts):
    batch = np.shape(parts[0])[:-2] if np.ndim(parts[0]) >= 2 else ()
    flat = [np.reshape(p, batch + (-1,)) for p in parts]
    return np.concatenate(flat, axis=-1)


def _unpack(packed, shapes):
    """Split a packed value (plain or traced) into parts of the given trailing shapes."""
    batch = shape_of(packed)[:-1]
    out, start = [], 0
    for s in shapes:
        n = prod(s)
        out.append(np.reshape(packed[..., start : start + n], batch + tuple(s)))
        start += n
    return out


def _check_matrix(a):
    nd = np.ndim(bottom(a))
    if nd < 2:
        raise np.linalg.LinAlgError(f"{nd}-dimensional array given. Array must be at least two-dimensional")


# --- cholesky -------------------------------------------------------------------------------
def _phi(x):
    """Strict lower triangle plus half the (real part of the) diagonal; its own transpose."""
    d = _diag_part(x)
    return _tril(x, -1) + 0.5 * _diag_embed(np.real(d) if is_complex(d) else d)


def _cholesky_jvp(t, L, a):
    s = _lower_sym(t)
    m = np.linalg.solve(L, _mH(np.linalg.solve(L, _mH(s))))  # L^-1 S L^-H
    return np.matmul(L, _phi(m))


def _cholesky_vjp(g, L, a):
    p = _phi(np.matmul(_mT(L), g))
    y = np.linalg.solve(_mT(L), p)  # L^-T P
    s = _mT(np.linalg.solve(_mH(L), _mT(y)))  # L^-T P conj(L)^-1
    return _lower_sym_T(s)


cholesky_p = Primitive(np.linalg.cholesky, "cholesky")
defvjp(cholesky_p, _cholesky_vjp, saves=("ans",))
defjvp(cholesky_p, _cholesky_jvp)


@implements(np.linalg.cholesky)
def cholesky(a: ArrayLike, /, *, upper: bool = False) -> Array:
    """``numpy.linalg.cholesky`` (reads the lower triangle, as NumPy does).

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> g = zymo.grad(lambda a: znp.trace(znp.linalg.cholesky(a)))(2 * np.eye(2))
        >>> np.round(g, 4).tolist()
        [[0.3536, 0.0], [0.0, 0.3536]]
    """
    _check_matrix(a)
    if type(a) is not Tracer:
        return np.linalg.cholesky(a, upper=upper)
    return _mH(cholesky_p(_mH(a))) if upper else cholesky_p(a)  # the upper factor reads the upper triangle


# --- eigh ----------------------------------------------------------------------------------------
def _eigh_impl(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO)
    return _pack([w[..., None, :], v])


def _eigh_parts(packed, n):
    w, v = _unpack(packed, [(1, n), (n, n)])
    return w[..., 0, :], v


def _real_eigh_parts(packed, n):
    """Eigenvalues (real, as NumPy's) and eigenvectors of a packed ``eigh`` result."""
    w, v = _eigh_parts(packed, n)
    return (np.real(w) if is_complex(w) else w), v


def _sym_from(a, t, UPLO):
    return _lower_sym(t) if UPLO == "L" else _mT(_lower_sym(_mT(t)))


def _eigh_jvp(t, ans, a, UPLO="L"):
    n = shape_of(a)[-1]
    w, v = _real_eigh_parts(ans, n)
    m = np.matmul(_mH(v), np.matmul(_sym_from(a, t, UPLO), v))
    dw = _diag_part(m)
    dv = np.matmul(v, _gap_inverse(w) * m)
    return _pack([np.expand_dims(np.real(dw) if is_complex(dw) else dw, -2), dv])


def _eigh_vjp(g, ans, a, UPLO="L"):
    n = shape_of(a)[-1]
    w, v = _real_eigh_parts(ans, n)
    gw, gv = _real_eigh_parts(g, n)
    k = np.matmul(_mT(v), gv)
    _check_basis_free(w, k - _mH(k), "eigh")
    inner = _diag_embed(gw) + _gap_inverse(w) * k
    s = np.matmul(_cj(v), np.matmul(inner, _mT(v)))
    return _lower_sym_T(s) if UPLO == "L" else _mT(_lower_sym_T(_mT(s)))


eigh_p = Primitive(_eigh_impl, "eigh")
defvjp(eigh_p, _eigh_vjp, saves=("ans",))
defjvp(eigh_p, _eigh_jvp)


@implements(np.linalg.eigh)
def eigh(a: ArrayLike, UPLO: str = "L") -> EighResult:
    """``numpy.linalg.eigh``: ``(eigenvalues, eigenvectors)``; distinct eigenvalues are needed for the vectors.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> g = zymo.grad(lambda a: znp.linalg.eigh(a)[0][-1])(np.diag([1.0, 2.0]))
        >>> g.tolist()
        [[0.0, 0.0], [0.0, 1.0]]
    """
    _check_matrix(a)
    if type(a) is not Tracer:
        return np.linalg.eigh(a, UPLO)
    w, v = _real_eigh_parts(eigh_p(a, UPLO=UPLO), shape_of(a)[-1])
    return EighResult(w, v)


def _eigvalsh_jvp(t, ans, a, UPLO="L"):
    w, v = eigh(a, UPLO)
    d = _diag_part(np.matmul(_mH(v), np.matmul(_sym_from(a, t, UPLO), v)))
    return np.real(d) if is_complex(d) else d


def _eigvalsh_vjp(g, ans, a, UPLO="L"):
    w, v = eigh(a, UPLO)
    s = np.matmul(_cj(v) * np.expand_dims(g, -2), _mT(v))
    return _lower_sym_T(s) if UPLO == "L" else _mT(_lower_sym_T(_mT(s)))


eigvalsh_p = Primitive(np.linalg.eigvalsh, "eigvalsh")
defvjp(eigvalsh_p, _eigvalsh_vjp, saves=(0,))
defjvp(eigvalsh_p, _eigvalsh_jvp)


@implements(np.linalg.eigvalsh)
def eigvalsh(a: ArrayLike, UPLO: str = "L") -> Array:
    """``numpy.linalg.eigvalsh`` (NumPy's values; the derivative comes from ``eigh``).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.linalg.eigvalsh(a)[-1])(znp.array([[2.0, 0.0], [0.0, 3.0]]))
        array([[0., 0.],
               [0., 1.]])
    """
    _check_matrix(a)
    return eigvalsh_p(a, UPLO=UPLO) if type(a) is Tracer else np.linalg.eigvalsh(a, UPLO)


# --- eig ---------------------------------------------------------------------------------------------
def _eig_impl(a):
    w, v = np.linalg.eig(a)
    w, v = w.astype(np.result_type(w, 1j)), v.astype(np.result_type(v, 1j))
    return _pack([w[..., None, :], v])


def _eig_jvp(t, ans, a):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    m = np.linalg.solve(v, np.matmul(t, v))  # V^-1 dA V
    dw = _diag_part(m)
    dv = np.matmul(v, _gap_inverse(w) * m)
    # NumPy's eigenvectors have unit norm: remove the change of norm.
    dv = dv - v * np.real(np.sum(np.conj(v) * dv, axis=-2, keepdims=True))
    return _pack([np.expand_dims(dw, -2), dv])


def _eig_vjp(g, ans, a):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    gw, gv = _eigh_parts(g, n)
    # Transpose of the unit-norm correction, then of V (F * V^-1 dA V) and diag(V^-1 dA V).
    gv = gv - np.conj(v) * np.real(np.sum(v * gv, axis=-2, keepdims=True))
    k = np.matmul(_mT(v), gv)
    _check_basis_free(w, k, "eig")
    inner = _diag_embed(gw) + _gap_inverse(w) * k
    r = np.matmul(_mT(np.linalg.inv(v)), np.matmul(inner, _mT(v)))
    return np.real(r) if not np.iscomplexobj(bottom(a)) else r


eig_p = Primitive(_eig_impl, "eig")
defvjp(eig_p, _eig_vjp, saves=("ans",))
defjvp(eig_p, _eig_jvp)


def _any_imaginary(w) -> bool:
    return bool(np.any(np.imag(w)))


@implements(np.linalg.eig)
def eig(a: ArrayLike) -> EigResult:
    """``numpy.linalg.eig`` of a real matrix with distinct eigenvalues (outputs complex, as NumPy's).

    Eigenvectors are defined up to a complex phase: differentiate functions that do not depend
    on it (eigenvalues, ``abs(v)``, projectors).

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> g = zymo.grad(lambda a: znp.sum(znp.linalg.eigvals(a)).real)(np.array([[1.0, 2.0], [0.0, 3.0]]))
        >>> np.abs(np.round(g, 6)).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    _check_matrix(a)
    if type(a) is not Tracer:
        return np.linalg.eig(a)
    w, v = _eigh_parts(eig_p(a), shape_of(a)[-1])
    if not is_complex(a) and not observed_call(_any_imaginary, w):  # all real: NumPy returns real arrays
        w, v = np.real(w), np.real(v)
    return EigResult(w, v)


def _eigvals_jvp(t, ans, a):
    w, v = eig(a)
    dw = _diag_part(np.linalg.solve(v, np.matmul(t, v)))
    return dw if is_complex(ans) else np.real(dw)


def _eigvals_vjp(g, ans, a):
    w, v = eig(a)
    r = np.matmul(_mT(np.linalg.inv(v)), np.expand_dims(g, -1) * _mT(v))  # V^-T diag(g) V^T
    return r if is_complex(a) else np.real(r)


eigvals_p = Primitive(np.linalg.eigvals, "eigvals")
defvjp(eigvals_p, _eigvals_vjp, saves=(0,))
defjvp(eigvals_p, _eigvals_jvp)


@implements(np.linalg.eigvals)
def eigvals(a: ArrayLike) -> Array:
    """``numpy.linalg.eigvals`` (NumPy's values; the derivative comes from ``eig``).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.linalg.eigvals(znp.array([[2.0, 0.0], [0.0, 3.0]]))
        array([2., 3.])
    """
    _check_matrix(a)
    return eigvals_p(a) if type(a) is Tracer else np.linalg.eigvals(a)


# --- svd --------------------------------------------------------------------------------------------
def _svd_impl(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return _pack([u, s[..., None, :], vh])


def _svd_shapes(a):
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    return [(m, k), (1, k), (k, n)]


def _svd_parts(packed, a):
    u, s, vh = _unpack(packed, _svd_shapes(a))
    s = s[..., 0, :]
    return u, (np.real(s) if is_complex(s) else s), vh


def _inv_nonzero(s):
    z = s == 0
    return np.where(z, 0.0, 1.0 / np.where(z, 1.0, s))


def _svd_jvp(t, ans, a):
    u, s, vh = _svd_parts(ans, a)
    v = _mH(vh)
    sr = np.expand_dims(s, -2)  # s_j along columns
    sc = np.expand_dims(s, -1)  # s_i along rows
    inv_s = np.expand_dims(_inv_nonzero(s), -2)
    ds = np.matmul(_mH(u), np.matmul(t, v))
    f = _gap_inverse(s * s)
    du = np.matmul(u, f * (ds * sr + _mH(ds * sr)))
    dv = np.matmul(v, f * (sc * ds + _mH(sc * ds)))
    d = _diag_part(ds)
    if is_complex(d):  # the common phase of a pair of singular vectors: put on U (as JAX does)
        du = du + u * (1j * np.imag(d) * inv_s[..., 0, :])[..., None, :]
        d = np.real(d)
    tv = np.matmul(t, v)
    du = du + (tv - np.matmul(u, np.matmul(_mH(u), tv))) * inv_s
    tu = np.matmul(_mH(t), u)
    dv = dv + (tu - np.matmul(v, np.matmul(vh, tu))) * inv_s
    return _pack([du, np.expand_dims(d, -2), _mH(dv)])


def _svd_vjp(g, ans, a):
    u, s, vh = _svd_parts(ans, a)
    gu, gs, gvh = _svd_parts(g, a)
    v, gv = _mH(vh), _mH(gvh)
    f = _gap_inverse(s * s)
    sr = np.expand_dims(s, -2)
    sc = np.expand_dims(s, -1)
    inv_s = np.expand_dims(_inv_nonzero(s), -2)
    ut_gu = np.matmul(_mT(u), gu)
    vt_gv = np.matmul(_mT(v), gv)
    _check_basis_free(s, ut_gu - _mH(ut_gu), "svd")
    _check_basis_free(s, vt_gv - _mH(vt_gv), "svd")
    core = _diag_embed(gs) + (f * (ut_gu - _mH(ut_gu))) * sr + sc * (f * (vt_gv - _mH(vt_gv)))
    if is_complex(ut_gu):
        core = core + _diag_embed(1j * np.imag(_diag_part(ut_gu)) * inv_s[..., 0, :])
    r = np.matmul(_cj(u), np.matmul(core, _cj(vh)))
    r = r + np.matmul((gu - np.matmul(_cj(u), ut_gu)) * inv_s, _cj(vh))
    gvt = _mT(gv)
    r = r + _cj(np.matmul(u * inv_s, gvt - np.matmul(np.matmul(gvt, v), vh)))
    return r


svd_p = Primitive(_svd_impl, "svd")
defvjp(svd_p, _svd_vjp, saves=("ans",))
defjvp(svd_p, _svd_jvp)


def _svdvals_impl(a):
    return np.linalg.svd(a, compute_uv=False)


def _svdvals_jvp(t, s, a):
    u, _, vh = _svd_factors(a)
    d = _diag_part(np.matmul(_mH(u), np.matmul(t, _mH(vh))))
    return np.real(d) if is_complex(d) else d


def _svdvals_vjp(g, s, a):
    u, _, vh = _svd_factors(a)
    return _cj(np.matmul(u * np.expand_dims(g, -2), vh))


def _svd_factors(a):
    """``U, S, Vh`` for the singular-value rules (traced at higher order)."""
    if type(a) is not Tracer:
        return np.linalg.svd(a, full_matrices=False)
    return svd(a, full_matrices=False)


svdvals_p = Primitive(_svdvals_impl, "svd")
defvjp(svdvals_p, _svdvals_vjp, saves=(0,))
defjvp(svdvals_p, _svdvals_jvp)


@implements(np.linalg.svd)
def svd(
    a: ArrayLike, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> SVDResult | Array:
    """``numpy.linalg.svd``; distinct nonzero singular values are needed for ``U`` and ``Vh``.

    With ``compute_uv=True`` on a non-square matrix, pass ``full_matrices=False``: the extra
    columns of a full ``U`` or ``Vh`` are arbitrary and have no derivative.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> g = zymo.grad(lambda a: znp.linalg.svd(a, compute_uv=False)[0])(np.diag([3.0, 1.0]))
        >>> g.tolist()
        [[1.0, 0.0], [0.0, 0.0]]
    """
    _check_matrix(a)
    if type(a) is not Tracer:
        return np.linalg.svd(a, full_matrices, compute_uv, hermitian)
    if not compute_uv:
        return svdvals_p(a)
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise unsupported(
            "numpy.linalg.svd(full_matrices=True) of a non-square matrix",
            "pass full_matrices=False (the extra singular vectors are arbitrary)",
        )
    return SVDResult(*_svd_parts(svd_p(a), a))


# --- qr -------------------------------------------------------------------------------------------------
def _qr_impl(a):
    q, r = np.linalg.qr(a)
    return _pack([q, r])


def _qr_shapes(a):
    m, n = shape_of(a)[-2:]
    return [(m, n), (n, n)]


def _qr_jvp(t, ans, a):
    q, r = _unpack(ans, _qr_shapes(a))
    x = _solve_right(t, r)
    c = np.matmul(_mH(q), x)
    low = _tril(c, -1)
    om = low - _mH(low)
    if is_complex(c):  # LAPACK's R has a real diagonal: its phase stays fixed
        om = om + 1j * _diag_embed(np.imag(_diag_part(c)))
    dq = np.matmul(q, om - c) + x
    dr = np.matmul(c - om, r)
    return _pack([dq, dr])


def _qr_vjp(g, ans, a):
    q, r = _unpack(ans, _qr_shapes(a))
    gq, gr = _unpack(g, _qr_shapes(a))
    m = np.matmul(_mT(q), gq) - np.matmul(gr, _mT(r))
    gc = _tril(m - _mH(m), -1) - m
    if is_complex(m):
        gc = gc + 1j * _diag_embed(np.imag(_diag_part(m)))
    gx = gq + np.matmul(_cj(q), gc)
    return _mT(np.linalg.solve(r, _mT(gx)))  # gx R^-T


qr_p = Primitive(_qr_impl, "qr")
defvjp(qr_p, _qr_vjp, saves=("ans",))
defjvp(qr_p, _qr_jvp)


@implements(np.linalg.qr)
def qr(a: ArrayLike, mode: str = "reduced") -> QRResult | Array:
    """``numpy.linalg.qr`` (modes ``reduced`` and ``r``) of a matrix with at least as many rows as columns.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> g = zymo.grad(lambda a: znp.linalg.qr(a)[1][0, 0])(np.array([[3.0], [4.0]]))
        >>> np.round(g, 6).tolist()
        [[-0.6], [-0.8]]
    """
    _check_matrix(a)
    if type(a) is not Tracer:
        return np.linalg.qr(a, mode)
    m, n = shape_of(a)[-2:]
    if mode not in ("reduced", "r") or m < n:
        raise unsupported(
            f"numpy.linalg.qr(mode={mode!r}) of a {m}x{n} matrix",
            "use mode='reduced' on a matrix with at least as many rows as columns (QR of the transpose otherwise)",
        )
    q, r = _unpack(qr_p(a), _qr_shapes(a))
    return r if mode == "r" else QRResult(q, r)


# --- pinv ------------------------------------------------------------------------------------------------
def _pinv_impl(a, rcond=None, hermitian=False):
    if rcond is None:
        return np.linalg.pinv(a, hermitian=hermitian)
    return np.linalg.pinv(a, rcond, hermitian)


def _pinv_jvp(t, p, a, rcond=None, hermitian=False):
    # Golub & Pereyra, for a matrix of constant rank.
    ph = _mH(p)
    m, n = shape_of(a)[-2:]
    d = -np.matmul(p, np.matmul(t, p))
    d = d + np.matmul(np.matmul(p, ph), np.matmul(_mH(t), _eye(m, p) - np.matmul(a, p)))
    d = d + np.matmul(_eye(n, p) - np.matmul(p, a), np.matmul(_mH(t), np.matmul(ph, p)))
    return d


def _pinv_vjp(g, p, a, rcond=None, hermitian=False):
    pt, ph = _mT(p), _mH(p)
    m, n = shape_of(a)[-2:]
    r = -np.matmul(pt, np.matmul(g, pt))
    r = r + _cj(np.matmul(_eye(m, p) - np.matmul(a, p), np.matmul(_mT(g), np.matmul(p, ph))))
    r = r + _cj(np.matmul(np.matmul(ph, p), np.matmul(_mT(g), _eye(n, p) - np.matmul(p, a))))
    return r


pinv_p = Primitive(_pinv_impl, "pinv")
defvjp(pinv_p, _pinv_vjp, saves=(0, "ans"))
defjvp(pinv_p, _pinv_jvp)


@implements(np.linalg.pinv)
def pinv(
    a: ArrayLike, rcond: ArrayLike | None = None, hermitian: bool = False, *, rtol: ArrayLike | None = np._NoValue
) -> Array:
    """``numpy.linalg.pinv`` (``rcond=`` or NumPy 2's ``rtol=``); the derivative assumes a locally constant rank.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.sum(znp.linalg.pinv(a, rtol=1e-8)))(np.array([[2.0]])).tolist()
        [[-0.25]]
    """
    _check_matrix(a)
    if rtol is not np._NoValue:
        if rcond is not None:
            raise ValueError("`rtol` and `rcond` can't be both set.")
        # NumPy's meaning of rtol: the cutoff relative to the largest singular value (None: max(M, N) * eps).
        shape, dtype = shape_of(a), dtype_of(a)
        rcond = max(shape[-2:]) * np.finfo(dtype).eps if rtol is None else bottom(rtol)
    if type(a) is not Tracer:
        return _pinv_impl(a, rcond, hermitian)
    return pinv_p(a, rcond=rcond, hermitian=hermitian)


# --- lstsq ----------------------------------------------------------------------------------------------------
LstsqResult = namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])


def _lstsq_part(a, b, rcond=None, part=0):
    return np.linalg.lstsq(a, b, rcond=rcond)[part]


def _lstsq_x_jvp_a(t, x, a, b, rcond=None, part=0):
    p = pinv(a)
    dp = _pinv_jvp(t, p, a)
    return np.matmul(dp, b)


def _lstsq_x_vjp_a(g, x, a, b, rcond=None, part=0):
    p = pinv(a)
    gp = np.expand_dims(g, -1) * b if np.ndim(bottom(b)) == 1 else np.matmul(g, _mT(b))
    return _pinv_vjp(gp, p, a)


def _lstsq_x_vjp_b(g, x, a, b, rcond=None, part=0):
    return np.matmul(_mT(pinv(a)), g)


lstsq_x_p = Primitive(_lstsq_part, "lstsq")
defvjp(lstsq_x_p, _lstsq_x_vjp_a, _lstsq_x_vjp_b, saves=(0, 1))
defjvp(lstsq_x_p, _lstsq_x_jvp_a, lambda t, x, a, b, rcond=None, part=0: np.matmul(pinv(a), t))


def _lstsq_res_jvp(ts, ans, a, b, rcond=None, part=1):
    # d sum|b - a x|^2 = 2 Re sum(conj(r) (db - da x)): the a dx term vanishes (normal equations).
    x = lstsq_x_p(a, b, rcond=rcond, part=0)
    r = b - np.matmul(a, x)
    d = 0.0
    if ts[0] is not None:
        d = d - np.matmul(ts[0], x)
    if ts[1] is not None:
        d = d + ts[1]
    out = 2 * np.sum(_cj(r) * d, axis=0, keepdims=np.ndim(bottom(b)) == 1)  # NumPy's residuals of a vector: (1,)
    return np.real(out) if is_complex(out) else out


def _lstsq_res_vjp(g, ans, a, b, rcond=None, part=1):
    x = lstsq_x_p(a, b, rcond=rcond, part=0)
    r = b - np.matmul(a, x)
    gr = 2 * g * _cj(r)  # cotangent of the residual vector(s) b - a x, by JAX's convention
    ga = -(np.expand_dims(gr, -1) * x if np.ndim(bottom(x)) == 1 else np.matmul(gr, _mT(x)))
    return [ga, gr]


lstsq_res_p = Primitive(_lstsq_part, "lstsq residuals")
defvjp_all(lstsq_res_p, _lstsq_res_vjp, saves=(0, 1))
defjvp_all(lstsq_res_p, _lstsq_res_jvp)


@implements(np.linalg.lstsq)
def lstsq(a: ArrayLike, b: ArrayLike, rcond: float | None = None) -> LstsqResult:
    """``numpy.linalg.lstsq``: NumPy's values; the derivatives assume the rank does not change nearby.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> a = np.array([[1.0], [1.0]])
        >>> np.round(zymo.grad(lambda b: znp.linalg.lstsq(a, b)[0][0])(np.array([1.0, 3.0])), 6).tolist()
        [0.5, 0.5]
    """
    _check_matrix(a)
    if type(a) is not Tracer and type(b) is not Tracer:
        return np.linalg.lstsq(a, b, rcond=rcond)
    plain = np.linalg.lstsq(observe(a), observe(b), rcond=rcond)
    x = lstsq_x_p(a, b, rcond=rcond, part=0)
    res = lstsq_res_p(a, b, rcond=rcond, part=1) if np.size(plain[1]) else plain[1]
    sv = lstsq_sv_p(a, rcond=rcond) if type(a) is Tracer else plain[3]
    return LstsqResult(x, res, plain[2], sv)


def _lstsq_sv_impl(a, rcond=None):
    return np.linalg.lstsq(a, np.zeros(np.shape(a)[-2], dtype=a.dtype), rcond=rcond)[3]


lstsq_sv_p = Primitive(_lstsq_sv_impl, "lstsq singular values")
defvjp(lstsq_sv_p, lambda g, s, a, rcond=None: _svdvals_vjp(g, s, a), saves=(0,))
defjvp(lstsq_sv_p, lambda t, s, a, rcond=None: _svdvals_jvp(t, s, a))
