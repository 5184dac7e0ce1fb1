-- tidings store, schema version 4: article_entities becomes a WITHOUT ROWID table, clustered on
-- its primary key (article_id, kind, name). A rowid table kept that key a second time, in its own
-- index: 44 MB of a 665 MB store at 200k articles.
create table article_entities_clustered (
    article_id  text not null references articles(id) on delete cascade,
    kind        text not null,               -- person | org | place
    name        text not null,               -- canonical display name
    surfaces    text not null,               -- JSON array of the forms as written
    mentions    integer not null,
    primary key (article_id, kind, name)
) without rowid;
insert into article_entities_clustered (article_id, kind, name, surfaces, mentions)
    select article_id, kind, name, surfaces, mentions from article_entities;
drop table article_entities;
alter table article_entities_clustered rename to article_entities;
create index article_entities_name on article_entities(kind, name collate nocase);
