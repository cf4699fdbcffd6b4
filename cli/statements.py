"""`concordat statements export`: an authority's public page of statements as static files.

During an incident the council's own web site may be down. The page `/public/{code}` serves is
written here as files another host can publish: `index.html` with Welsh first,
`en/index.html` with English first, and the stylesheet and icons they use copied beside them,
every link relative, so the pages work from any address (or from the disk) and fetch nothing
from anywhere else. Both pages are rendered by `web.pages.public.public_page`, as the site
renders its own; exported twice from the same statements, the files are the same.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

import web
from cli.common import with_database
from domain.vocabulary import Language
from models import Authority
from runtime.database import Database
from services.directory import authority_by_code
from services.statements import PublishedStatement, public_statements
from web.pages.public import PublicAssets, public_page

statements_app = typer.Typer(help="Public statements.", no_args_is_help=True)

STATIC = Path(web.__file__).parent / "static"
STYLESHEET = STATIC / "govuk" / "concordat.min.css"
ICONS = ("favicon.ico", "favicon.svg")
#: A stylesheet's reference to one of this site's files, as `url(...)` writes it.
_SITE_URL = re.compile(r"""url\(\s*(["']?)(/static/[^"')\s]+)\1\s*\)""")


@dataclass(frozen=True)
class Exported:
    pages: list[Path]
    statements: int


def _stylesheet(out: Path) -> str:
    """The stylesheet with each of this site's files it uses copied under `out/assets` and
    referred to relatively; one the site does not have is dropped (`none`), never fetched."""

    def relative(found: re.Match[str]) -> str:
        path = found[2].removeprefix("/static/")
        source = STATIC / path
        if not source.is_file():
            return "none"
        # The site's /static/govuk/assets/ is the export's assets/, where the stylesheet is.
        target = Path(path.removeprefix("govuk/assets/"))
        (out / "assets" / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out / "assets" / target)
        return f'url("{target.as_posix()}")'

    return _SITE_URL.sub(relative, STYLESHEET.read_text(encoding="utf-8"))


def export_public_site(
    authority: Authority, statements: list[PublishedStatement], out: Path
) -> Exported:
    """Write the authority's public page under `out`, Welsh first and English first."""
    assets = out / "assets"
    (assets / "images").mkdir(parents=True, exist_ok=True)
    (assets / "concordat.min.css").write_text(_stylesheet(out), encoding="utf-8")
    for icon in ICONS:
        shutil.copyfile(STATIC / "govuk" / "assets" / "images" / icon, assets / "images" / icon)
    welsh, english = out / "index.html", out / "en" / "index.html"
    english.parent.mkdir(parents=True, exist_ok=True)
    for page, first, depth, other in (
        (welsh, Language.WELSH, "", "en/index.html"),
        (english, Language.ENGLISH, "../", "../index.html"),
    ):
        html = public_page(
            authority,
            statements,
            first=first,
            assets=PublicAssets(f"{depth}assets/concordat.min.css", f"{depth}assets/images/"),
            switch_href=other,
        )
        page.write_text(html, encoding="utf-8")
    return Exported([welsh, english], len(statements))


@statements_app.command("export")
def export(
    code: Annotated[str, typer.Argument(help="The authority's code, e.g. CDF.")],
    out: Annotated[
        Path, typer.Option("--out", help="The folder to write the pages and their assets in.")
    ],
) -> None:
    """Write the authority's public page of statements as static files: index.html (Welsh
    first), en/index.html (English first) and their assets, for another host to publish."""

    async def read(database: Database) -> tuple[Authority, list[PublishedStatement]] | None:
        async with database.reading() as session:
            authority = await authority_by_code(code, session=session)
            if authority is None or authority.id is None:
                return None
            return authority, await public_statements(authority.id, session=session)

    found = with_database(read)
    if found is None:
        typer.echo(f"No authority with code {code!r}.", err=True)
        raise typer.Exit(2)
    exported = export_public_site(*found, out)
    typer.echo(
        f"{exported.statements} published statement(s) of {found[0].code} written to {out}: "
        + ", ".join(str(page.relative_to(out)) for page in exported.pages)
    )
