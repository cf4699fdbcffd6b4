"""The API's interactive documentation at /docs: Swagger UI, from this service's own files.

The viewer's script, stylesheet and icon are in `web/static/vendor/swagger-ui` (its README names
the version and the licence), so the page loads nothing from any other site and works on a
network that reaches nothing else. Swagger UI's online validator, which would send the
document elsewhere, is turned off.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

DOCS_PATH = "/docs"
ASSETS = "/static/vendor/swagger-ui"


def add_api_docs(app: FastAPI) -> None:
    """Serve Swagger UI at `DOCS_PATH`; the app is created with `docs_url=None`."""
    openapi_url = app.openapi_url
    assert openapi_url is not None, "the documentation needs the OpenAPI document"

    @app.get(DOCS_PATH, include_in_schema=False)
    async def api_docs(request: Request) -> HTMLResponse:
        root: str = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} API",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
