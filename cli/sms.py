"""`concordat sms`: be the member's phone when texts go to the local Notify catcher.

On embedded defaults (`make run`) texts go to a catcher standing in for GOV.UK Notify, not to
phones, so nobody can text back an acknowledgement. `concordat sms reply` sends the text a
member would: the catcher keeps it and posts it to Concordat's inbound callback as Notify does.
"""

from __future__ import annotations

from typing import Annotated

import typer

from runtime.settings import get_settings

sms_app = typer.Typer(
    help="Texts on embedded defaults, through the local Notify catcher.", no_args_is_help=True
)

#: Seconds to wait for the catcher, which answers at once when it is there at all.
REQUEST_TIMEOUT = 10.0


def catcher_url() -> str:
    settings = get_settings()
    return f"http://127.0.0.1:{getattr(settings, 'notify_catcher_port', 6011)}"


@sms_app.command("reply")
def reply(
    number: Annotated[str, typer.Argument(help="The member's mobile, e.g. +447700900123.")],
    message: Annotated[str, typer.Argument(help='What they text back, e.g. "ACK 482193".')],
) -> None:
    """Text MESSAGE from NUMBER to the service's number, as a member replying would."""
    import httpx  # only this command talks HTTP; the rest of the CLI need not load it

    base = catcher_url()
    try:
        answer = httpx.post(
            f"{base}/catcher/replies",
            json={"from_number": number, "message": message},
            timeout=REQUEST_TIMEOUT,
        )
    except httpx.ConnectError:
        typer.echo(f"Nothing is listening on {base}: is `make run` running?", err=True)
        raise typer.Exit(2) from None
    except httpx.HTTPError as error:
        typer.echo(
            f"The Notify catcher at {base} did not answer ({type(error).__name__}).", err=True
        )
        raise typer.Exit(2) from None
    if answer.status_code != 201:
        try:
            reason = answer.json().get("error") or answer.text
        except ValueError:
            reason = answer.text
        typer.echo(f"The reply was not taken: {reason} (HTTP {answer.status_code}).", err=True)
        raise typer.Exit(2)
    text = answer.json()
    typer.echo(
        f"Text from +{text['user_number']} to {text['notify_number']} received: "
        f"{text['content']!r} (id {text['id']})."
    )
