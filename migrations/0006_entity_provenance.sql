-- tidings store, schema version 6: where each entity of an article came from (issue 13: stores
-- ingested before a better extractor get its entities with `tidings reindex --extract`, which must
-- keep what the records named and replace what the extractor found).

-- 1: the record named it (a JSON record's `entities`, a feed's tags, Reuters' PEOPLE/ORGS/
-- PLACES); 0: the extractor found it. Null on rows written before this migration: nothing says
-- which they were, and re-extraction takes them as extracted.
alter table article_entities add column brought integer;

-- Except where no extractor ever ran: an article in a language other than English (or
-- undetermined) was never tagged, so its entities are all its record's.
update article_entities set brought = 1
    where article_id in (select id from articles where lang not in ('en', 'und'));
