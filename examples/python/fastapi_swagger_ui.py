"""A FastAPI app whose Swagger UI signs "Try it out" requests in the browser (hmacsig's
WebAssembly core, ``hmacsig/swagger-ui``), verified by hmacsig.asgi.HmacSigMiddleware.

    python examples/python/fastapi_swagger_ui.py        # http://127.0.0.1:8000/swagger/

The page (examples/swagger-ui/index.html with swagger-ui-dist and the npm package ``hmacsig``)
is assembled by ``cargo xtask demo`` into target/swagger-ui/, or HMACSIG_SWAGGER_UI_DIR. Its
Authorize dialog takes the key id (username) and secret (password): HMACSIG_KEY_ID /
HMACSIG_SECRET from the environment (the examples' demo key if unset). The scheme is
timestamped, the plugin's default: a browser does not let a page set ``Date``, which api-auth
signs, so the other examples' scheme cannot be used from a page.
"""

import os
from pathlib import Path
from typing import Any, Dict

from fastapi import Body, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

import hmacsig
from hmacsig.asgi import HmacSigMiddleware, verified_key_id

PAGE = Path(os.environ.get("HMACSIG_SWAGGER_UI_DIR", Path(__file__).resolve().parents[2] / "target" / "swagger-ui"))

verifier = hmacsig.Verifier.with_keys(
    hmacsig.Scheme.timestamped(),
    {os.environ.get("HMACSIG_KEY_ID", "demo-client"): os.environ.get("HMACSIG_SECRET", "demo-secret")},
)
api = FastAPI(title="Orders (signed)", version="1.0", docs_url=None, redoc_url=None)
api.add_middleware(HmacSigMiddleware, verifier=verifier, pass_paths=["/health", "/openapi.json"])


@api.get("/health")
def health() -> Dict[str, str]:
    return {"status": "ok"}


@api.post("/orders")
async def create_order(order: Dict[str, Any] = Body(...), key_id: str = Depends(verified_key_id)) -> Dict[str, Any]:
    return {"key_id": key_id, "order": order}


@api.get("/orders")
def list_orders(request: Request, key_id: str = Depends(verified_key_id)) -> Dict[str, Any]:
    return {"key_id": key_id, "query": request.url.query}


def openapi() -> Dict[str, Any]:
    """The document, with the Authorize dialog's two fields: a ``basic`` scheme named hmacsig."""
    if api.openapi_schema is None:
        schema = get_openapi(title=api.title, version=api.version, routes=api.routes)
        schema.setdefault("components", {})["securitySchemes"] = {
            "hmacsig": {
                "type": "http",
                "scheme": "basic",
                "description": "hmacsig: the key id as username, the secret as password. The page signs each "
                "request with them (timestamped) and never sends the secret.",
            }
        }
        schema["security"] = [{"hmacsig": []}]
        api.openapi_schema = schema
    return api.openapi_schema


api.openapi = openapi  # type: ignore[method-assign]

# The page and its files are public; everything else is the verified API.
app = Starlette(routes=[Mount("/swagger", app=StaticFiles(directory=PAGE, html=True, check_dir=False)), Mount("", app=api)])

if __name__ == "__main__":
    import uvicorn

    if not (PAGE / "index.html").is_file():
        raise SystemExit(f"no Swagger UI page in {PAGE}: run `cargo xtask demo` first (or set HMACSIG_SWAGGER_UI_DIR)")
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
