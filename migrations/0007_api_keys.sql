-- tidings store, schema version 7: API keys made through `POST /v1/keys` (issue 14). A key is
-- shown once, when it is made; the store keeps its SHA-256 digest, never the key.

create table api_keys (
    uid text primary key,
    name text not null,
    -- Hex SHA-256 of the key: what a presented key is compared with (and a tenant token's secret).
    digest text not null unique,
    -- The key's first characters, so an operator can tell keys apart in a listing.
    prefix text not null,
    -- Space-separated: search, write, export, admin.
    actions text not null,
    -- JSON object of keyword filters every request of the key is restricted to; null: none.
    filter text,
    -- Unix seconds; null: never.
    expires_at integer,
    created_at integer not null
);
