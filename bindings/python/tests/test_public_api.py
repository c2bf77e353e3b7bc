"""Only the documented API is public: each public module's ``__all__`` is exactly the list below,
``from module import *`` gives exactly that, and every other public-looking (non-underscore)
attribute of the module is an import the module needs, never an API of its own.

What may sit on a public module besides ``__all__``, and why (``allowed_reason`` below):

- ``annotations``: ``from __future__ import annotations``, a compiler directive.
- a submodule of ``hmacsig`` (``hmacsig.requests`` appears on the package once imported).
- a ``typing`` or ``collections.abc`` name under its own name (``Union``, ``TYPE_CHECKING``):
  annotations only.
- a standard-library module or object imported under its own name (``io``, ``quote``).
- the framework the module integrates, imported under its own name (``requests`` and
  ``AuthBase`` in ``hmacsig.requests``, ``httpx`` in ``hmacsig.httpx``, Starlette's
  ``HTTPConnection`` in ``hmacsig.asgi``): what the integration is written against.
- in the integration modules, a name of ``hmacsig.__all__`` bound to that very object
  (``Signer``, ``Verifier``, ``HmacSigError``): no new surface, the documented one.

Anything else is listed in ``KNOWN_LEAKS``: internal helpers and type aliases that are
reachable without an underscore today. The list is checked exactly both ways, so a new leak
fails, and so does a fixed one until it is taken off the list.

``bindings/python/api.txt`` (checked by ``cargo xtask test``, from the sources) lists the same
``__all__`` with every public function's and method's signature.
"""

from __future__ import annotations

import __future__
import collections.abc
import importlib
import pkgutil
import sys
import types
import typing

import pytest

import hmacsig

EXPECTED_ALL = {
    "hmacsig": [
        "DEFAULT_CHUNK_SIZE",
        "BodyDigest",
        "BodyHasher",
        "CallableKeyLookup",
        "ContentDigest",
        "Credentials",
        "Header",
        "HeaderStyle",
        "HmacSigError",
        "InternalError",
        "KeyInfo",
        "KeyLookup",
        "KeyLookupError",
        "KeyState",
        "KeyStore",
        "KeyStoreError",
        "Policy",
        "ReplayGuard",
        "Request",
        "Response",
        "Scheme",
        "SignatureType",
        "SignedRequest",
        "Signer",
        "Verifier",
        "extract_key_id",
        "generate_secret",
        "hash_body",
        "http_status",
        "sign_request",
        "sign_response",
        "verify_request",
        "verify_response",
    ],
    "hmacsig.requests": ["HmacSigAuth"],
    "hmacsig.httpx": ["HmacSigAuth"],
    "hmacsig.asgi": ["HmacSigMiddleware", "KEY_ID", "request_target", "verified_key_id"],
    "hmacsig.wsgi": ["HmacSigMiddleware", "KEY_ID", "request_target", "verified_key_id"],
}

PUBLIC_MODULES = list(EXPECTED_ALL)

PRIVATE_MODULES = ["_call", "_errors", "_objects", "_signer", "_store", "_streaming", "_verifier", "_http", "_ffi"]

# The third-party packages each integration module is written against (top-level names).
FRAMEWORKS = {
    "hmacsig": set(),
    "hmacsig.requests": {"requests"},
    "hmacsig.httpx": {"httpx"},
    "hmacsig.asgi": {"starlette"},
    "hmacsig.wsgi": set(),
}

# Public-looking names that are not API: helpers from the private modules and module-level
# type aliases and constants. To fix one, import it with an underscore (``from ._http import
# check_signer as _check_signer``), or use it through its module (``from . import _http``),
# and take it off this list.
KNOWN_LEAKS: dict[str, set[str]] = {}


def load(name: str) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as e:  # an integration whose framework is not installed
        pytest.skip(f"{name}: {e}")


def imported_under_own_name(name: str, value: object, top_levels: set[str]) -> bool:
    """Whether ``value`` is a module, or an object of a module, whose top-level package is in
    ``top_levels``, bound here under the name it has there."""
    if isinstance(value, types.ModuleType):
        return value.__name__.split(".")[0] in top_levels and value.__name__.rsplit(".", 1)[-1] == name
    origin = getattr(value, "__module__", None)
    if not isinstance(origin, str) or origin.split(".")[0] not in top_levels:
        return False
    module = sys.modules.get(origin)
    return module is not None and getattr(module, name, None) is value


def allowed_reason(module: str, name: str, value: object) -> str | None:
    """Why ``name`` may sit on ``module`` outside ``__all__`` (None: it may not)."""
    if name == "annotations" and value is __future__.annotations:
        return "from __future__ import annotations"
    if isinstance(value, types.ModuleType) and value.__name__ == f"hmacsig.{name}":
        return "a submodule"
    if getattr(typing, name, None) is value or getattr(collections.abc, name, None) is value:
        return "a typing name"
    if imported_under_own_name(name, value, set(sys.stdlib_module_names) - {"typing"}):
        return "a standard-library import"
    if imported_under_own_name(name, value, FRAMEWORKS[module]):
        return "the integrated framework"
    if module == "hmacsig.asgi" and name == "HTTPConnection" and value is typing.Any:
        return "the integrated framework (Starlette not installed: typing.Any)"
    if module != "hmacsig" and name in hmacsig.__all__ and getattr(hmacsig, name) is value:
        return "a name of hmacsig.__all__"
    return None


def unexplained(module: str) -> set[str]:
    mod = load(module)
    return {
        name
        for name, value in vars(mod).items()
        if not name.startswith("_") and name not in mod.__all__ and allowed_reason(module, name, value) is None
    }


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_all_is_exactly_the_documented_list(module: str) -> None:
    mod = load(module)
    assert list(mod.__all__) == EXPECTED_ALL[module]
    assert len(set(mod.__all__)) == len(mod.__all__), "a name listed twice"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_name_in_all_exists(module: str) -> None:
    mod = load(module)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert missing == []


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_star_import_gives_exactly_all(module: str) -> None:
    mod = load(module)
    namespace: dict[str, object] = {}
    exec(f"from {module} import *", namespace)
    namespace.pop("__builtins__", None)
    assert sorted(namespace) == sorted(mod.__all__)
    for name, value in namespace.items():
        assert value is getattr(mod, name)


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_nothing_else_public_but_imports(module: str) -> None:
    # Import every public module first: importing one puts it on the package as an attribute.
    for other in PUBLIC_MODULES:
        try:
            importlib.import_module(other)
        except ImportError:
            pass
    leaks = unexplained(module)
    new = sorted(leaks - KNOWN_LEAKS.get(module, set()))
    fixed = sorted(KNOWN_LEAKS.get(module, set()) - leaks)
    assert new == [], f"{module}: not in __all__ yet public (prefix them with _): {new}"
    assert fixed == [], f"{module}: no longer public, take them off KNOWN_LEAKS: {fixed}"


def test_the_allowlist_is_not_too_broad() -> None:
    # A plain helper of the package is not excused by any rule.
    from hmacsig import _http, _objects

    assert allowed_reason("hmacsig.wsgi", "check_verifier", _http.check_verifier) is None
    assert allowed_reason("hmacsig", "as_bytes", _objects.as_bytes) is None
    assert allowed_reason("hmacsig.wsgi", "quote", __import__("urllib.parse").parse.quote) == "a standard-library import"
    assert allowed_reason("hmacsig.wsgi", "Signer", hmacsig.Signer) == "a name of hmacsig.__all__"
    assert allowed_reason("hmacsig.wsgi", "Verifier", hmacsig.Signer) is None  # a name bound to another object


def test_private_modules_are_not_exported() -> None:
    for name in PRIVATE_MODULES:
        assert name.startswith("_")
        assert name not in hmacsig.__all__
        importlib.import_module(f"hmacsig.{name}")  # it exists (the list is not stale)


def test_every_module_is_public_or_private() -> None:
    found = {m.name for m in pkgutil.iter_modules(hmacsig.__path__)}
    public = {name.split(".", 1)[1] for name in PUBLIC_MODULES if "." in name}
    assert {name for name in found if not name.startswith("_")} == public
    assert set(PRIVATE_MODULES) <= found
