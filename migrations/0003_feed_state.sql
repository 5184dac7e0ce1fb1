-- tidings store, schema version 3: the state of `tidings watch`, one row per feed url, so a restart
-- resumes its schedule and its conditional requests.
create table feed_state (
    url             text primary key,
    etag            text,
    last_modified   text,
    last_fetch_at   text,                    -- RFC 3339 UTC of the last attempt
    next_fetch_at   text not null,           -- RFC 3339 UTC: not polled before this
    failures        integer not null default 0,
    last_status     text,                    -- "200 (12 items)", "304", "error: …"
    items_seen      integer not null default 0
);
