-- tidings store, schema version 4: a smaller store (issue 12: the store at most 0.7× its input).

-- zstd dictionaries trained on the store's own bodies (src/store/bodies.rs). A body frame names
-- its dictionary by `dict_id` (zstd's own id, written into the dictionary and into every frame
-- compressed with it); the newest row is the one new bodies are written with.
create table body_dictionaries (
    dict_id     integer not null unique,
    dictionary  blob not null,
    trained_at  text not null,
    samples     integer not null             -- how many bodies it was trained on
);

-- The entity, topic and author rows are keyed by article: as tables without a rowid they are
-- their own primary-key index instead of a table beside one. `surfaces` is null when the entity
-- was written only as its name (most are), `[name]` otherwise spelled out in every row.
create table article_entities_v4 (
    article_id  text not null references articles(id) on delete cascade,
    kind        text not null,               -- person | org | place
    name        text not null,               -- canonical display name
    surfaces    text,                        -- JSON array of the forms as written; null: [name]
    mentions    integer not null,
    primary key (article_id, kind, name)
) without rowid;
insert into article_entities_v4 (article_id, kind, name, surfaces, mentions)
    select article_id, kind, name, case when surfaces = json_array(name) then null else surfaces end, mentions
    from article_entities;
drop table article_entities;
alter table article_entities_v4 rename to article_entities;

-- The forms each entity was written in and in how many articles, kept up to date by every write
-- and delete: the entity profile's aliases, without an index over every entity row by name.
create table entity_surfaces (
    kind      text not null,
    name      text not null collate nocase,
    surface   text not null,
    articles  integer not null,
    primary key (kind, name, surface)
) without rowid;
insert into entity_surfaces (kind, name, surface, articles)
    select kind, name, surface, count(*)
    from (
        -- A form written twice in one row counts once, as every later write counts it.
        select distinct e.article_id, e.kind, e.name, s.value as surface
        from article_entities e, json_each(coalesce(e.surfaces, json_array(e.name))) s
    )
    group by kind, name collate nocase, surface;

create table article_topics_v4 (
    article_id  text not null references articles(id) on delete cascade,
    topic       text not null,
    primary key (article_id, topic)
) without rowid;
insert into article_topics_v4 select article_id, topic from article_topics;
drop table article_topics;
alter table article_topics_v4 rename to article_topics;

create table article_authors_v4 (
    article_id  text not null references articles(id) on delete cascade,
    author      text not null,
    primary key (article_id, author)
) without rowid;
insert into article_authors_v4 select article_id, author from article_authors;
drop table article_authors;
alter table article_authors_v4 rename to article_authors;

-- article_minhash.signature is written from this version as 64 little-endian u16, the low 16 bits
-- of each minimum (b-bit MinHash, src/model/signature.rs); rows written before hold the 64 u32
-- and read as the same signature.
