-- tidings store, schema version 2: near-duplicate clusters and deletions.

-- The story an article belongs to: the id of the first article of its near-duplicate cluster
-- (its own id when it has no near-duplicate).
alter table articles add column cluster_id text;
update articles set cluster_id = id;
create index articles_cluster on articles(cluster_id);

-- MinHash signature of the body (64 little-endian u32). The LSH bands that find candidates are kept
-- in memory by each writer (Store::upsert_articles), refreshed from this table by rowid. No foreign
-- key (a lookup per row); Store::delete_article removes the row.
create table article_minhash (
    article_id  text primary key,
    signature   blob not null
);

-- Deleted articles: the deletion takes a change sequence like any other change, so the index
-- catch-up removes the document.
create table tombstones (
    id          text primary key,
    seq         integer not null unique,
    deleted_at  text not null
);
