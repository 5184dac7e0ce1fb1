-- tidings store, schema version 1. Append-only: never edit an applied migration.

create table articles (
    id            text primary key,          -- tidings' own stable id (hash of the source key)
    source_key    text not null unique,      -- the source's own id or url, e.g. "reuters:1234"
    url           text,
    content_hash  text not null,
    title         text not null,
    body          text not null,
    published_at  text,                      -- RFC 3339 UTC, null when unknown
    date_rule     text not null,             -- metadata | text | file_mtime | unknown
    source        text not null,
    lang          text not null,
    ingested_at   text not null,
    updated_at    text not null,
    seq           integer not null unique    -- bumped on every change, drives the index catch-up
);

create index articles_published_at on articles(published_at);

create table article_entities (
    article_id  text not null references articles(id) on delete cascade,
    kind        text not null,               -- person | org | place
    name        text not null,               -- canonical display name
    surfaces    text not null,               -- JSON array of the forms as written
    mentions    integer not null,
    primary key (article_id, kind, name)
);

create index article_entities_name on article_entities(kind, name collate nocase);

create table article_topics (
    article_id  text not null references articles(id) on delete cascade,
    topic       text not null,
    primary key (article_id, topic)
);

create table article_authors (
    article_id  text not null references articles(id) on delete cascade,
    author      text not null,
    primary key (article_id, author)
);

create table ingest_runs (
    id            integer primary key autoincrement,
    started_at    text not null,
    finished_at   text,
    paths         text not null,             -- JSON array
    read          integer not null default 0,
    new           integer not null default 0,
    updated       integer not null default 0,
    unchanged     integer not null default 0,
    rejected      integer not null default 0,
    date_unknown  integer not null default 0
);

create table ingest_rejections (
    run_id    integer not null references ingest_runs(id) on delete cascade,
    location  text not null,                 -- file:line
    reason    text not null
);
