"""zymo's engine: traced values, traces, primitives, reverse and forward mode, and ``zymo.jit``.

Each module imports only modules on its own layer or below (and nothing of zymo outside
``zymo.core``; ``tests/core/test_layering.py`` checks it)::

    errors, pytree, library_calls, collector,       foundations; the garbage collector's pause while recording;
    jit_externals                                   the check that zymo.jit's constants are unchanged
    tracer, namespace                               the traced value (data only); other array libraries
    recording, memory                               what zymo.jit writes down; copy-on-write of saved values
    trace                                           trace levels and the constant trace
    primitive, dispatch                             operations with rules; NumPy's protocols to rules
    reverse, forward                                the tape and backward pass; tangents
    mutation, flat, tracer_methods                  in-place writes; x.flat; the traced value's operators and methods
    differentiation                                 running a function under a reverse trace, gradient trees
    api                                             grad, value_and_grad, vjp, jvp, stop_gradient
    custom                                          custom_vjp (forward mode differentiates its bwd with vjp)
    jit_reorder, jit_codegen, jit_foreign, jit      zymo.jit: straight-line replay of a recording (reorder: batched;
                                                    jit_foreign: replay on other libraries' arrays)

Above the core: ``zymo._rules`` (NumPy's rules), ``zymo.numpy`` (their names), ``zymo.transforms``
(Jacobians, Hessians), ``zymo.checkpointing``, ``zymo.nn``, ``zymo.optim``.

Example:
    >>> import numpy as np
    >>> from zymo.core.api import grad
    >>> grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    array([2., 4.])
"""
