-- digest_deliveries: one row per ISO week and recipient of the weekly digest.
create or replace view digest_deliveries as
select week, recipient, status, attempts, message_id, subject, items, html_path, eml_path, error,
       created_at, sent_at
from core.digest_deliveries;

comment on view digest_deliveries is 'One row per ISO week and recipient: the weekly digest made for them, and whether it was sent.';
comment on column digest_deliveries.week is 'ISO week of the digest (YYYY-Www, in the digest''s time zone).';
comment on column digest_deliveries.recipient is 'Email address; * for the digest of every story, archived and sent to nobody.';
comment on column digest_deliveries.status is 'preview (written, not sent) | pending (about to be sent; a crash leaves it for the next send run) | sending (going to the mail server now) | sent | failed (refused or unreachable; retried by the next send run) | unconfirmed (the connection broke or the run died while the server was receiving it: it may have arrived, and is never sent again without --resend) | skipped (an empty week, with CITYRADAR_DIGEST_SEND_EMPTY off).';
comment on column digest_deliveries.attempts is 'SMTP tries of the last sending run (0 when not sent).';
comment on column digest_deliveries.message_id is 'Message-ID header of the mail.';
comment on column digest_deliveries.subject is 'Subject of the mail.';
comment on column digest_deliveries.items is 'Stories in this recipient''s digest (after their filters).';
comment on column digest_deliveries.html_path is 'The archived .html (opens in a browser, chart embedded).';
comment on column digest_deliveries.eml_path is 'The archived .eml: the exact message sent or to be sent.';
comment on column digest_deliveries.error is 'Why the last try failed, or why it was skipped.';
comment on column digest_deliveries.created_at is 'When the digest was first made for this recipient (UTC).';
comment on column digest_deliveries.sent_at is 'When the server accepted it (UTC); null until then.';
