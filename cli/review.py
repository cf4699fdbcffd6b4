"""`concordat review`: open an authority's annual review now, rather than waiting for the
yearly schedule (the central team's page and the API do the same)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer

from cli.common import exit_now, settings_with_logging, with_database, with_payload_keys
from domain.commitments import review_year_label, review_year_of, uk_day
from models import AnnualReview
from runtime.database import Database
from runtime.temporal import connect
from services.directory import authority_by_code
from services.reviews import ReviewNotStarted, ReviewTimings, open_review

review_app = typer.Typer(
    help="Annual reviews of the Concordat's commitments.", no_args_is_help=True
)


@review_app.command("open")
def review_open(
    code: Annotated[str, typer.Argument(help="The authority's code, e.g. CDF.")],
    year: Annotated[
        int, typer.Argument(help="The review year by the year it starts: 2026 is 2026-27.")
    ],
) -> None:
    """Open the authority's review of YEAR now; one already open is left as it is."""
    settings = with_payload_keys(settings_with_logging())
    if not settings.temporal_address:
        typer.echo("Set CONCORDAT_TEMPORAL_ADDRESS to the Temporal server.", err=True)
        exit_now(2)
    if not 2000 <= year <= review_year_of(uk_day(datetime.now(UTC))):
        typer.echo(f"{year} is not a review year begun or ended.", err=True)
        exit_now(2)

    async def run(database: Database) -> tuple[AnnualReview, bool]:
        async with database.session() as session:
            authority = await authority_by_code(code, session=session)
            if authority is None:
                typer.echo(f"No authority with code {code!r}.", err=True)
                exit_now(2)
            try:
                async with asyncio.timeout(30):
                    temporal = await connect(settings)
            except (RuntimeError, TimeoutError, OSError) as unreachable:
                typer.echo(f"Temporal is not reachable ({unreachable}).", err=True)
                exit_now(2)
            try:
                return await open_review(
                    authority,
                    year,
                    opened_by="concordat review open",
                    timings=ReviewTimings(
                        settings.review_response_days, settings.review_reminder_days
                    ),
                    base_url=settings.base_url,
                    session=session,
                    temporal=temporal,
                    task_queue=settings.task_queue,
                )
            except ReviewNotStarted as not_started:
                typer.echo(str(not_started).split(" / ")[0], err=True)
                exit_now(1)

    review, created = with_database(run)
    label = review_year_label(year)
    if created:
        typer.echo(
            f"Opened the review of {label} for {code.upper()}; due {review.due_at:%Y-%m-%d}."
        )
    else:
        typer.echo(f"The review of {label} for {code.upper()} is already {review.state}.")
    exit_now(0)
