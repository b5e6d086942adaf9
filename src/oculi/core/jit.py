"""numba for oculi's kernels: a cached kernel loads without numba's compiler tables.

numba's own disk cache (``cache=True``) starts every load by refreshing the CPU target: it
imports and registers all of numba's typing and lowering tables (``numba.cpython.*``,
``numba.np.*``, ``numba.typed``, ...; 0.2-0.3 s on this machine, and ``numba.np.arraymath``
then probes for a BLAS by importing all of ``scipy.linalg``, 0.1-0.2 s more). The tables are
what the compiler needs to type and lower Python code; machine code loaded from the cache needs
only numba's runtime (NRT, which allocates the arrays a kernel creates) and, for a parallel
kernel, its thread pool, which the cache entry starts itself. A kernel module therefore imports
numba from here::

    from oculi.core.jit import njit, prange

and its ``njit(cache=True)`` kernels load from the cache with the runtime initialised and
nothing else. A kernel the cache does not hold (first use, edited source, another CPU) compiles
exactly as with numba's ``njit``: numba's compiler refreshes the tables itself before it
compiles, and saves the result for the next process. Kernels are the same machine code either
way, so results do not change.
"""

from __future__ import annotations

from numba import get_num_threads, prange
from numba import njit as _numba_njit
from numba.core.caching import FunctionCache
from numba.core.dispatcher import Dispatcher
from numba.core.runtime import rtsys


class RuntimeOnlyCache(FunctionCache):
    """numba's per-function disk cache, loading without refreshing the target's tables."""

    def load_overload(self, sig, target_context):
        """The cached compile result for ``sig`` or None (numba then compiles and saves it)."""
        rtsys.initialize(target_context)  # what a loaded kernel calls into; idempotent
        # the one table module that gives LLVM symbols at import (the hash secret of str/bytes
        # hashing); already imported on the flow path, where it costs nothing
        import numba.cpython.hashing  # noqa: F401
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


#: the numba internals :class:`RuntimeOnlyCache` overrides around (numba is not pinned to a
#: version: where they are missing, kernels keep numba's own cache and its slower load)
SUPPORTED = all(hasattr(FunctionCache, name)
                for name in ("_load_overload", "_guard_against_spurious_io_errors"))


def _runtime_only(disp):
    if isinstance(disp, Dispatcher):  # (not with NUMBA_DISABLE_JIT: a plain function)
        disp._cache = RuntimeOnlyCache(disp.py_func)
    return disp


def njit(*args, **options):
    """numba's ``njit``, same arguments; with ``cache=True`` cached kernels load through
    :class:`RuntimeOnlyCache`. Explicit signatures (compiled at decoration) go to numba as
    they are."""
    if not SUPPORTED or not options.get("cache") or (args and not callable(args[0])):
        return _numba_njit(*args, **options)
    options["cache"] = False  # the dispatcher gets its cache below
    if args:  # @njit(cache=True) cannot get here; njit(func, cache=True)
        return _runtime_only(_numba_njit(args[0], **options))
    decorate = _numba_njit(**options)
    return lambda func: _runtime_only(decorate(func))


__all__ = ["RuntimeOnlyCache", "get_num_threads", "njit", "prange"]
