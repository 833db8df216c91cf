-- 0009: the time zone of the weeks, kept in the file so views and the digest share it.
--
-- items.week and week_start used to hard-code Asia/Seoul while the digest read
-- CITYRADAR_TIMEZONE: a deployment in another zone got a digest whose weeks disagreed with the
-- views'. The writer now stores the setting here (warehouse/db.py, store_timezone) and the views
-- read it, so any tool that opens the file sees the same weeks. One row; Asia/Seoul, the zone
-- every earlier view used, until a writer stores another.

create table core.settings (
    id integer primary key default 1 check (id = 1),
    timezone varchar not null
);

insert into core.settings (id, timezone) values (1, 'Asia/Seoul');
