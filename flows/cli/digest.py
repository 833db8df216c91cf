"""The digest command: the week's digest for every recipient, written, recorded, sent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.checks import check_config
from flows.cli.options import DbOption, OutOption, SendOption, ToOption, WeekOption
from flows.cli.report import print_digest
from flows.cli.session import orchestrate

PreviewOption = Annotated[
    bool, typer.Option("--preview", help="write the digests without sending; print the paths")
]
ResendOption = Annotated[
    bool, typer.Option("--resend", help="send again to recipients the week already went to")
]
RecipientsOption = Annotated[
    Path | None,
    typer.Option(
        "--recipients", help="recipients file [default: CITYRADAR_RECIPIENTS or recipients.yaml]"
    ),
]


def digest(
    db: DbOption = None,
    week: WeekOption = None,
    out: OutOption = None,
    send: SendOption = False,
    to: ToOption = None,
    preview: PreviewOption = False,
    resend: ResendOption = False,
    recipients: RecipientsOption = None,
) -> None:
    """Make the weekly digest of every story and each recipient's (and send them with --send).

    Each is written as .html, .txt and .eml to digests/<week>/ beside the warehouse (or under
    --out) and recorded in the warehouse; a preview goes to digests/<week>/preview/ and never
    replaces what was sent. A week already sent to a recipient is not sent again unless --resend.
    """
    orchestrate("digest")
    from flows.weekly_digest import weekly_digest

    if preview and send:
        raise typer.BadParameter("--preview writes without sending; drop one of --preview, --send")
    check_config(digest=True, recipients=recipients, to=to, send=send)
    result = weekly_digest(
        week=week,
        db_path=db,
        out_dir=out,
        send=send,
        to=to or None,
        resend=resend,
        recipients_path=recipients,
    )
    print_digest(result)
