-- tidings store, schema version 5: people named in full, by surname and week (issue 13: a lone
-- "Baker" resolves to the full name the corpus uses for that surname in nearby articles).

-- For each surname (the last word of a person's name of two words or more), each full name and
-- each week (days since 1970-01-01 divided by 7, of the article's publication time, else of its
-- ingestion), the number of articles naming that person. Kept up to date by every write and
-- delete, like entity_surfaces.
create table person_surnames (
    surname   text not null collate nocase,
    name      text not null,
    week      integer not null,
    articles  integer not null,
    primary key (surname, week, name)
) without rowid;

insert into person_surnames (surname, name, week, articles)
    select substr(e.name, length(rtrim(e.name, replace(e.name, ' ', ''))) + 1),
           e.name,
           -- whole weeks since 1970, rounded down (before 1970 too), from the time in seconds
           (cast(strftime('%s', coalesce(a.published_at, a.ingested_at)) as integer)
            - ((cast(strftime('%s', coalesce(a.published_at, a.ingested_at)) as integer) % 604800) + 604800) % 604800)
           / 604800,
           count(*)
    from article_entities e join articles a on a.id = e.article_id
    where e.kind = 'person' and instr(e.name, ' ') > 0
      and strftime('%s', coalesce(a.published_at, a.ingested_at)) is not null
    group by 1, 2, 3;
