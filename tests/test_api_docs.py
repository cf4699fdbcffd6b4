"""The API documentation at /docs works with no network beyond this service: every file it
loads is served here, and its Content-Security-Policy names no other site."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

#: What each kind of file the page loads must be served as.
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}


def _references(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url.startswith("/")


async def test_docs_load_only_files_served_here(http: httpx.AsyncClient) -> None:
    page = await http.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")

    references = _references(page.text)
    assert len(references) >= 3, references  # the script, the stylesheet and the icon
    remote = [url for url in references if not _is_local(url)]
    assert not remote, f"/docs loads files from elsewhere: {remote}"
    assert not re.search(r"https?://", page.text), "the page names another site"

    for url in references:
        asset = await http.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rfind(".") :]
        assert asset.headers["content-type"].startswith(CONTENT_TYPES[suffix]), (
            url,
            asset.headers["content-type"],
        )
        assert asset.content, url


async def test_docs_read_the_openapi_document_served_here(http: httpx.AsyncClient) -> None:
    page = await http.get("/docs")
    assert "url: '/openapi.json'" in page.text
    document = await http.get("/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Concordat"


async def test_docs_policy_names_no_other_site(http: httpx.AsyncClient) -> None:
    policy = (await http.get("/docs")).headers["content-security-policy"]
    sources = [
        source
        for directive in policy.split(";")
        for source in directive.split()[1:]
        if not (source.startswith("'") and source.endswith("'")) and source != "data:"
    ]
    assert not sources, f"the policy for /docs allows other sites: {sources}"
    assert "frame-ancestors 'none'" in policy


async def test_redoc_is_not_served(http: httpx.AsyncClient) -> None:
    assert (await http.get("/redoc")).status_code == 404
