"""The delivery state machine: what a run does for each reader and what it records, from the rows
earlier runs left (no Prefect, no mail server, no warehouse: the decisions are pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest.archive import Archived
from digest.delivery import (
    SKIPPED_EMPTY,
    Action,
    Mode,
    SendAttempt,
    beside_outcome,
    decide,
    everything_is_recorded,
    kept_outcome,
    message_id_of,
    pending,
    preview_may_record,
    preview_outcome,
    preview_row,
    resumed,
    send_or_skip,
    sending,
    settled,
    settled_outcome,
    skipped,
    skipped_outcome,
    to_resume,
)
from warehouse.deliveries import EVERYONE, Delivery

WEEK = "2026-W47"
READER = "staff@cityradar.example"
SENT_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def row(status: str, recipient: str = READER, week: str = WEEK, **changes: object) -> Delivery:
    """A delivery row as an earlier run left it."""
    fields: dict[str, object] = {
        "message_id": "<old@cityradar.example>",
        "subject": "cityradar weekly digest 2026-W47",
        "items": 12,
        "html_path": f"/data/digests/{week}/{recipient}.html",
        "eml_path": f"/data/digests/{week}/{recipient}.eml",
        **changes,
    }
    return Delivery(week, recipient, status, **fields)


def made(recipient: str = READER) -> Delivery:
    """The row of a digest this run just made and archived."""
    folder = Path("/data/digests") / WEEK
    files = Archived(folder / "r.html", folder / "r.txt", folder / "r.eml")
    return preview_row(WEEK, recipient, "the subject", 7, files, "<new@cityradar.example>")


# --- what to do for a reader ------------------------------------------------------------------


def test_the_flags_give_the_mode():
    assert Mode.of(send=False, resend=False) is Mode.PREVIEW
    assert Mode.of(send=False, resend=True) is Mode.PREVIEW  # --resend alone sends nothing
    assert Mode.of(send=True, resend=False) is Mode.SEND
    assert Mode.of(send=True, resend=True) is Mode.RESEND


@pytest.mark.parametrize(
    ("earlier", "action"),
    [
        (None, Action.PREVIEW),
        ("preview", Action.PREVIEW),
        # a preview never hides a delivery: its files are written beside, the row stays
        ("pending", Action.PREVIEW_BESIDE),
        ("sending", Action.PREVIEW_BESIDE),
        ("sent", Action.PREVIEW_BESIDE),
        ("failed", Action.PREVIEW_BESIDE),
        ("unconfirmed", Action.PREVIEW_BESIDE),
        ("skipped", Action.PREVIEW_BESIDE),
    ],
)
def test_a_preview_records_only_over_nothing_or_a_preview(earlier, action):
    assert decide(row(earlier) if earlier else None, Mode.PREVIEW) is action


@pytest.mark.parametrize(
    ("earlier", "action"),
    [
        (None, Action.SEND),
        ("preview", Action.SEND),
        ("pending", Action.SEND),  # the server never got it
        ("failed", Action.SEND),  # tried again
        ("skipped", Action.SEND),  # an empty week: send_or_skip decides again on the content
        ("sent", Action.KEEP),
        ("sending", Action.KEEP),  # a killed run was handing it over: it may have arrived
        ("unconfirmed", Action.KEEP),
    ],
)
def test_a_send_run_never_mails_what_the_server_has_or_may_have(earlier, action):
    assert decide(row(earlier) if earlier else None, Mode.SEND) is action


@pytest.mark.parametrize(
    "earlier", [None, "preview", "pending", "sending", "sent", "failed", "unconfirmed", "skipped"]
)
def test_a_resend_sends_whatever_earlier_runs_did(earlier):
    assert decide(row(earlier) if earlier else None, Mode.RESEND) is Action.SEND


def test_an_empty_digest_is_skipped_only_when_sending_empty_digests_is_off():
    assert send_or_skip(empty=True, send_empty=False) is Action.SKIP
    assert send_or_skip(empty=True, send_empty=True) is Action.SEND
    assert send_or_skip(empty=False, send_empty=False) is Action.SEND


# --- the digest of every story ----------------------------------------------------------------


def test_the_digest_of_everything_is_recorded_by_every_send_run():
    send_runs_copy = row("preview", EVERYONE)
    assert everything_is_recorded(send_runs_copy, Mode.SEND)
    assert everything_is_recorded(send_runs_copy, Mode.RESEND)
    assert everything_is_recorded(None, Mode.SEND)


def test_a_preview_records_the_digest_of_everything_only_over_an_earlier_preview():
    previewed = row("preview", EVERYONE, eml_path=f"/data/digests/{WEEK}/preview/everything.eml")
    send_runs_copy = row("preview", EVERYONE, eml_path=f"/data/digests/{WEEK}/everything.eml")
    assert everything_is_recorded(None, Mode.PREVIEW)
    assert everything_is_recorded(previewed, Mode.PREVIEW)
    assert not everything_is_recorded(send_runs_copy, Mode.PREVIEW)
    # a reader's preview is a preview wherever its files are
    assert preview_may_record(row("preview", READER))


# --- what is recorded -------------------------------------------------------------------------


def test_a_made_digest_is_recorded_as_a_preview_of_its_files():
    made_row = made()
    assert made_row == Delivery(
        WEEK,
        READER,
        "preview",
        message_id="<new@cityradar.example>",
        subject="the subject",
        items=7,
        html_path="/data/digests/2026-W47/r.html",
        eml_path="/data/digests/2026-W47/r.eml",
    )


def test_a_send_goes_pending_then_sending_then_sent():
    made_row = made()
    assert pending(made_row).status == "pending"
    assert sending(made_row).status == "sending"
    sent = settled(made_row, SendAttempt("sent", 2, at=SENT_AT))
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 2, SENT_AT)
    # nothing else of the row changes: it still points at the files that went out
    assert (sent.message_id, sent.eml_path) == (made_row.message_id, made_row.eml_path)


@pytest.mark.parametrize("status", ["failed", "unconfirmed"])
def test_a_send_that_did_not_get_through_records_why(status):
    settled_row = settled(made(), SendAttempt(status, 4, error="connection refused"))
    assert (settled_row.status, settled_row.attempts) == (status, 4)
    assert settled_row.error == "connection refused"
    assert settled_row.sent_at is None


def test_an_empty_week_is_recorded_skipped_with_the_reason():
    skipped_row = skipped(made())
    assert (skipped_row.status, skipped_row.error) == ("skipped", SKIPPED_EMPTY)
    outcome = skipped_outcome(made())
    assert (outcome.status, outcome.error, outcome.stories) == ("skipped", SKIPPED_EMPTY, 7)


def test_only_earlier_weeks_saved_deliveries_are_resumed():
    unfinished = [
        row("failed", week="2026-W45"),
        row("pending", week="2026-W46", recipient="other@cityradar.example"),
        row("failed", week="2026-W46", eml_path=None),  # nothing saved to send
        row("pending", week=WEEK),  # this run's own week is made and sent afresh
    ]
    resumable = to_resume(unfinished, WEEK)
    assert [(d.week, d.recipient) for d in resumable] == [
        ("2026-W45", READER),
        ("2026-W46", "other@cityradar.example"),
    ]


def test_a_resumed_delivery_records_the_message_id_of_the_saved_message():
    saved = message_from_bytes(
        b"Subject: x\r\nMessage-ID:\r\n <saved@cityradar.example>\r\n\r\nbody",
        _class=EmailMessage,
        policy=policy.default,
    )
    # read back from its .eml, the header is folded: the fold is not part of the id
    assert message_id_of(saved) == "<saved@cityradar.example>"
    again = resumed(row("failed", error="refused"), message_id_of(saved))
    assert again.message_id == "<saved@cityradar.example>"
    assert again.status == "failed"  # until it is recorded pending


# --- what the run reports ---------------------------------------------------------------------


def test_a_preview_reports_its_files():
    outcome = preview_outcome(made())
    assert (outcome.recipient, outcome.status, outcome.stories) == (READER, "preview", 7)
    assert (outcome.html_path, outcome.eml_path) == (
        "/data/digests/2026-W47/r.html",
        "/data/digests/2026-W47/r.eml",
    )
    assert outcome.message_id is None
    assert outcome.note is None


def test_a_preview_beside_a_delivery_says_where_that_one_stays():
    earlier = row("sent")
    outcome = beside_outcome(made(), earlier)
    assert outcome.status == "preview"
    assert outcome.note == f"the sent digest stays {earlier.eml_path}"


def test_a_sent_week_is_reported_already_sent_from_its_row():
    outcome = kept_outcome(row("sent", attempts=1, error="an old failure"))
    assert (outcome.status, outcome.error) == ("already sent", None)
    assert (outcome.message_id, outcome.stories) == ("<old@cityradar.example>", 12)
    assert outcome.eml_path == f"/data/digests/{WEEK}/{READER}.eml"


@pytest.mark.parametrize("status", ["unconfirmed", "sending"])
def test_a_delivery_the_server_may_have_is_reported_unconfirmed_with_the_reason(status):
    outcome = kept_outcome(row(status, error="the run ended while sending"))
    assert (outcome.status, outcome.error) == ("unconfirmed", "the run ended while sending")


@pytest.mark.parametrize(
    ("attempt", "status", "error"),
    [
        (SendAttempt("sent", 1, at=SENT_AT), "sent", None),
        (SendAttempt("failed", 4, error="refused"), "failed", "refused"),
        (SendAttempt("unconfirmed", 1, error="dropped"), "unconfirmed", "dropped"),
    ],
)
def test_a_send_reports_how_it_went_with_the_message_id(attempt, status, error):
    outcome = settled_outcome(made(), attempt)
    assert (outcome.status, outcome.attempts, outcome.error) == (status, attempt.attempts, error)
    assert outcome.message_id == "<new@cityradar.example>"
