//! Search: the request model in, the response model out. Query building (analyst syntax and
//! filters), ranking (BM25F over title and body), exact facets, date histograms and snippets.

pub mod combined;
pub mod cursor;
pub mod disjunction;
pub mod entities;
pub mod export;
pub mod facets;
pub mod instant;
pub mod lexicon;
pub mod ranking;
pub mod related;
pub mod relevance_eval;
pub mod request;
pub mod snippets;
pub mod suggest;

use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;

use tantivy::collector::Count;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::query_grammar::{Occur as GrammarOccur, UserInputAst, UserInputLeaf};
use tantivy::schema::{IndexRecordOption, TantivyDocument, Value};
use tantivy::{DateTime, DocAddress, Searcher, Term};

use crate::error::{Error, Result};
use crate::index::schema::keyword_term_text;
use crate::index::{KeywordField, SearchIndex};
use crate::ingest::aliases::Aliases;
use crate::model::EntityKind;
use cursor::{Cursor, Snapshots};
use facets::FacetCollector;
use facets::StoryCollector;
use ranking::{Freshness, Order, Position, Ranker};
use request::{Duplicates, Highlights, Hit, HitEntity, Matches, Mode, SearchRequest, SearchResponse, Sort};
use snippets::{Highlighter, SnippetShape};

/// The title's weight by default: in the combined title+body frequency of a word (BM25F, see
/// [`combined`]) one occurrence in the headline counts as three in a body of average length.
pub const DEFAULT_TITLE_BOOST: f32 = 3.0;

/// The search engine over one index.
pub struct Engine {
    index: Arc<SearchIndex>,
    /// One parser per analysis (stemmed language or neutral): the query is analysed as that
    /// language's text is, and each language's query runs on that language's articles.
    parsers: Vec<(&'static str, QueryParser)>,
    /// The same, with words ORed (`match=any`): more matching words rank higher.
    any_parsers: Vec<(&'static str, QueryParser)>,
    /// Per analysis with a stop-word list: an analyzer that yields nothing for a stop word.
    stop_words: std::collections::HashMap<&'static str, tantivy::tokenizer::TextAnalyzer>,
    ranking: RankingSettings,
    /// Index snapshots kept open for cursors.
    snapshots: Snapshots,
    suggester: suggest::Suggester,
    /// The index's words, for typo and prefix expansion.
    lexicon: lexicon::Lexicon,
}

/// Rebuilds of an in-memory view of the index (suggestions, the word list) while articles keep
/// arriving: at most one every `every`, however often the index changes.
pub(crate) struct RebuildThrottle {
    last: std::sync::Mutex<Option<Instant>>,
    every: std::time::Duration,
}

impl RebuildThrottle {
    pub(crate) fn new(every: std::time::Duration) -> RebuildThrottle {
        RebuildThrottle { last: std::sync::Mutex::new(None), every }
    }

    /// True when a rebuild may start now (and counts it as started).
    pub(crate) fn try_start(&self) -> Result<bool> {
        let mut last = self.last.lock().map_err(|_| Error::Internal("rebuild throttle lock poisoned".into()))?;
        if last.is_some_and(|started| started.elapsed() < self.every) {
            return Ok(false);
        }
        *last = Some(Instant::now());
        Ok(true)
    }
}

/// A query as read from the user's text (`None`: nothing to match on), with the words the
/// highlighter should match loosely (typos, prefixes).
pub type UserQuery = (Option<Box<dyn Query>>, Vec<instant::LooseWord>);

/// How relevance is blended with recency, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankingSettings {
    /// The weight of recency, 0 (off) to 1.
    pub freshness_weight: f64,
    /// After this many days an article's recency bonus has halved.
    pub freshness_half_life_days: f64,
    /// How much more a word in the title weighs than the same word in the body.
    pub title_boost: f32,
    /// With words ORed (`match=any`), leave stop words out of the query.
    pub drop_stop_words: bool,
    /// Score a word over title and body together (BM25F); `false` scores each field on its own
    /// and adds the scores (Tantivy's parser), kept to measure the difference.
    pub combine_fields: bool,
}

impl Default for RankingSettings {
    fn default() -> Self {
        RankingSettings {
            freshness_weight: 0.25,
            freshness_half_life_days: 14.0,
            title_boost: DEFAULT_TITLE_BOOST,
            drop_stop_words: true,
            combine_fields: true,
        }
    }
}

impl Engine {
    pub fn new(index: Arc<SearchIndex>) -> Engine {
        Engine::with_ranking(index, RankingSettings::default())
    }

    pub fn with_ranking(index: Arc<SearchIndex>, ranking: RankingSettings) -> Engine {
        let parsers_for = |conjunction: bool| {
            index
                .fields
                .text
                .iter()
                .map(|text| {
                    let mut parser = QueryParser::for_index(&index.index, vec![text.title, text.body]);
                    parser.set_field_boost(text.title, ranking.title_boost);
                    if conjunction {
                        parser.set_conjunction_by_default();
                    }
                    (text.analysis, parser)
                })
                .collect::<Vec<_>>()
        };
        let parsers = parsers_for(true);
        let any_parsers = parsers_for(false);
        let suggester = suggest::Suggester::new(&index);
        let stop_words = crate::index::schema::STEMMED_LANGUAGES
            .iter()
            .filter_map(|(code, language)| {
                // Snowball's lists, as Tantivy ships them for the other languages (its English
                // one is Lucene's 33 words).
                let filter = match code {
                    &"en" => {
                        tantivy::tokenizer::StopWordFilter::remove(ENGLISH_STOP_WORDS.iter().map(|w| w.to_string()))
                    }
                    _ => tantivy::tokenizer::StopWordFilter::new(*language)?,
                };
                let analyzer =
                    tantivy::tokenizer::TextAnalyzer::builder(tantivy::tokenizer::SimpleTokenizer::default())
                        .filter(tantivy::tokenizer::LowerCaser)
                        .filter(filter)
                        .build();
                Some((*code, analyzer))
            })
            .collect();
        Engine {
            index,
            parsers,
            any_parsers,
            stop_words,
            ranking,
            snapshots: Snapshots::default(),
            suggester,
            lexicon: Default::default(),
        }
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Search-box suggestions (entity names and headlines).
    pub fn suggester(&self) -> &suggest::Suggester {
        &self.suggester
    }

    /// Brings the in-memory views of the index (suggestions, the word list for typos) up to the
    /// index's current state, off the request path.
    pub fn refresh_views(&self) -> Result<()> {
        self.suggester.refresh(&self.index)?;
        self.lexicon.refresh(&self.index)?;
        Ok(())
    }

    pub fn ranking(&self) -> RankingSettings {
        self.ranking
    }

    /// Parses the analyst query syntax for every analysis. Errors say where in the query it went
    /// wrong. See [`Engine::parse_query_for`].
    pub fn parse_query(&self, text: &str) -> Result<Option<Box<dyn Query>>> {
        self.parse_query_for(text, None)
    }

    /// Parses the analyst query syntax once per analysis in `languages` (ISO codes; `None` for all
    /// the index holds): each analysis' query is restricted to its own articles, and the union is
    /// returned. A query of only keyword terms (`person:Putin`) is the same in every language and
    /// runs once, unrestricted.
    pub fn parse_query_for(&self, text: &str, languages: Option<&[String]>) -> Result<Option<Box<dyn Query>>> {
        self.parse_query_matching(text, languages, false)
    }

    /// [`Engine::parse_query_for`] with words ORed when `match_any`.
    pub fn parse_query_matching(
        &self,
        text: &str,
        languages: Option<&[String]>,
        match_any: bool,
    ) -> Result<Option<Box<dyn Query>>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let ast = tantivy::query_grammar::parse_query(text).map_err(|_| {
            describe_query_error(text, &tantivy::query::QueryParserError::SyntaxError(text.to_string()))
        })?;
        let ast = normalise_negations(ast);
        let parsers = if match_any { &self.any_parsers } else { &self.parsers };
        self.per_analysis(languages, |analysis, position| {
            let mut localised = localise_fields(ast.clone(), analysis);
            if match_any && self.ranking.drop_stop_words {
                // ORed, a word like "the" only adds noise: left out when other words remain.
                if let Some(stop_words) = self.stop_words.get(analysis) {
                    localised = drop_stop_words(localised, &mut stop_words.clone());
                }
            }
            if !self.ranking.combine_fields {
                return parsers[position]
                    .1
                    .build_query_from_user_input_ast(localised)
                    .map(Some)
                    .map_err(|error| describe_query_error(text, &error));
            }
            let fields = &self.index.fields.text[position];
            let mut combiner = combined::Combiner {
                parser: &parsers[position].1,
                title: fields.title,
                body: fields.body,
                title_weight: self.ranking.title_boost,
                analyzer: self.index.index.tokenizer_for_field(fields.body).map_err(Error::from)?,
                default_occur: if match_any { Occur::Should } else { Occur::Must },
            };
            let query = combiner.build(localised).map_err(|error| describe_query_error(text, &error))?;
            // Nothing left to match on: no article matches (as the parser answers).
            Ok(Some(query.unwrap_or_else(|| Box::new(tantivy::query::EmptyQuery))))
        })
    }

    /// Reads as-you-type text (see [`instant`]): the query, and the words the highlighter should
    /// match loosely (with typos, or as a prefix).
    pub fn instant_query(&self, text: &str, languages: Option<&[String]>) -> Result<UserQuery> {
        let typed = instant::read(text);
        let mut fold = crate::index::schema::text_analyzer(&self.index.index, crate::index::schema::NEUTRAL);
        let loose = typed.loose_words(&mut fold);
        if !self.lexicon.is_built() {
            self.lexicon.refresh(&self.index)?;
        }
        let fields = &self.index.fields;
        let query = self.per_analysis(languages, |analysis, _| {
            let mut analyzer = crate::index::schema::text_analyzer(&self.index.index, analysis);
            let text = fields.text_for(analysis);
            let mut expand =
                |word: &str, typos: u8, prefix: bool| self.lexicon.expand(analysis, text.body, word, typos, prefix);
            Ok(typed.query(text, self.ranking.title_boost, &mut analyzer, &mut fold, &mut expand))
        })?;
        Ok((query, loose))
    }

    /// Builds a query once per analysis in `languages` (all when `None`; analyses without articles
    /// are skipped) and restricts each to its own articles. Identical queries (only keyword terms)
    /// run once, unrestricted.
    fn per_analysis(
        &self,
        languages: Option<&[String]>,
        mut build: impl FnMut(&'static str, usize) -> Result<Option<Box<dyn Query>>>,
    ) -> Result<Option<Box<dyn Query>>> {
        let searcher = self.index.reader.searcher();
        let wanted: Option<Vec<&str>> =
            languages.map(|codes| codes.iter().map(|code| crate::index::schema::analysis_for(code)).collect());
        let fields = &self.index.fields;
        let mut built: Vec<(&'static str, Box<dyn Query>, String)> = Vec::new();
        for (position, (analysis, _)) in self.parsers.iter().enumerate() {
            if wanted.as_ref().is_some_and(|wanted| !wanted.contains(analysis)) {
                continue;
            }
            let term = Term::from_field_text(fields.analysis, analysis);
            if searcher.doc_freq(&term).unwrap_or(0) == 0 && !built.is_empty() {
                continue;
            }
            let Some(query) = build(analysis, position)? else { continue };
            let shape = format!("{query:?}");
            built.push((analysis, query, shape));
        }
        let Some((_, first, first_shape)) = built.first() else { return Ok(None) };
        let first_shape = first_shape.clone();
        if built.len() == 1 || built.iter().all(|(_, _, shape)| *shape == first_shape) {
            // Only keyword terms (or one language): no language restriction needed.
            return Ok(Some(first.box_clone()));
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = built
            .into_iter()
            .map(|(analysis, query, _)| {
                let only_this_language: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(fields.analysis, analysis),
                    IndexRecordOption::Basic,
                ));
                let restricted = BooleanQuery::new(vec![
                    (Occur::Must, query),
                    (Occur::Must, Box::new(ConstScoreQuery::new(only_this_language, 0.0))),
                ]);
                (Occur::Should, Box::new(restricted) as Box<dyn Query>)
            })
            .collect();
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    /// The request's query text read in its mode, with the words to highlight loosely.
    pub fn user_query(&self, request: &SearchRequest) -> Result<UserQuery> {
        let languages = request
            .filters
            .iter()
            .find(|(keyword, _)| *keyword == KeywordField::Lang)
            .map(|(_, values)| values.as_slice())
            .filter(|values| !values.is_empty());
        match request.mode {
            Mode::Analyst => Ok((self.parse_query_matching(&request.q, languages, request.match_any)?, Vec::new())),
            Mode::Instant => self.instant_query(&request.q, languages),
        }
    }

    /// The recency blend of a request, if any: only when ranking by relevance without an explicit
    /// date range. `reference` is a cursor's, else the newest article (or now, if earlier).
    fn freshness(
        &self,
        request: &SearchRequest,
        order: Order,
        reference: Option<i64>,
        searcher: &Searcher,
    ) -> Option<Freshness> {
        let weight = request.freshness.unwrap_or(self.ranking.freshness_weight);
        if order != Order::Relevance || request.from.is_some() || request.to.is_some() || weight <= 0.0 {
            return None;
        }
        Some(Freshness {
            reference_secs: reference.unwrap_or_else(|| newest_publication(searcher)),
            half_life_secs: self.ranking.freshness_half_life_days.max(1e-3) * 86_400.0,
            weight,
        })
    }

    /// Runs a validated request.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        let started = Instant::now();
        request.validate()?;
        let fingerprint = cursor::fingerprint(request);
        let cursor = request.cursor.as_deref().map(Cursor::decode).transpose()?;
        if cursor.is_some_and(|cursor| cursor.fingerprint != fingerprint) {
            return Err(Error::BadParameter(
                "this cursor belongs to another query: keep q, mode, filters, dates, sort and freshness as they \
                 were on the first page"
                    .into(),
            ));
        }
        let searcher = match &cursor {
            Some(cursor) => self.snapshots.get(cursor.generation)?,
            None => self.index.reader.searcher(),
        };
        let (user_query, loose) = self.user_query(request)?;
        let query = self.build_query(request, user_query.as_deref().map(|query| query.box_clone()));
        // Without query text there is nothing to rank: list newest first.
        let order = if request.sort == Sort::Date || user_query.is_none() { Order::Date } else { Order::Relevance };
        let freshness = self.freshness(request, order, cursor.map(|cursor| cursor.reference_secs), &searcher);
        let ranker = |limit: usize, after: Option<Position>| Ranker {
            order,
            limit,
            after,
            freshness,
            tiered: request.mode == Mode::Instant,
        };
        let facet_collector = (!request.facets.is_empty() || request.histogram.is_some())
            .then(|| FacetCollector { fields: request.facets.clone(), histogram: request.histogram.is_some() });
        let stories = request.collapse.then_some(StoryCollector);
        let mut duplicates = Vec::new();
        let mut next = None;
        let (top, total, facet_fruit, story_count) = if request.collapse {
            // Collapsing needs more ranked candidates than hits shown: several may share a story.
            let mut wanted = ((request.offset + request.limit) * 4).max(50);
            let (mut top, total, fruit, stories) =
                self.ranked(&searcher, &query, ranker(wanted, None), 0, (facet_collector, stories))?;
            loop {
                let chosen = first_of_each_story(&searcher, &top, request.offset + request.limit)?;
                if chosen.len() >= request.offset + request.limit || top.len() < wanted || wanted >= total {
                    top = chosen.into_iter().skip(request.offset).collect();
                    break;
                }
                wanted = (wanted * 4).min(total.max(1));
                top = self.ranked(&searcher, &query, ranker(wanted, None), 0, (None, None))?.0;
            }
            for position in &top {
                duplicates.push(Some(self.duplicates_of(&searcher, &query, ranker(0, None), position.address)?));
            }
            (top, total, fruit, stories)
        } else {
            // One more than shown tells whether there is a next page.
            let after = cursor.map(|cursor| cursor.position);
            let (mut top, total, fruit, stories) = self.ranked(
                &searcher,
                &query,
                ranker(request.limit + 1, after),
                request.offset,
                (facet_collector, stories),
            )?;
            if top.len() > request.limit {
                top.truncate(request.limit);
                if let Some(last) = top.last() {
                    next = Some(
                        Cursor {
                            generation: self.snapshots.keep(&searcher),
                            position: *last,
                            reference_secs: freshness.map(|freshness| freshness.reference_secs).unwrap_or(0),
                            fingerprint,
                        }
                        .encode(),
                    );
                }
            }
            (top, total, fruit, stories)
        };
        let highlighter = Highlighter::new(&searcher, &self.index, user_query.as_deref(), &loose);
        let shape = SnippetShape { fragments: request.snippets, chars: request.snippet_chars };
        let mut hits = top
            .into_iter()
            .map(|position| {
                let score = (order == Order::Relevance).then_some(position.key as f32);
                self.hit(&searcher, &highlighter, shape, score, position.address)
            })
            .collect::<Result<Vec<_>>>()?;
        for (hit, others) in hits.iter_mut().zip(duplicates) {
            hit.duplicates = others;
        }
        let mut facets = std::collections::BTreeMap::new();
        let mut histogram = None;
        if let Some(fruit) = facet_fruit {
            for (field, counts) in request.facets.iter().zip(fruit.fields) {
                facets.insert(field.name().to_string(), facets::top_values(counts, request.facet_size));
            }
            histogram = request.histogram.map(|interval| facets::histogram(&fruit.days, interval));
        }
        Ok(SearchResponse {
            total: total as u64,
            total_stories: story_count.map(|count| count as u64),
            took_ms: (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            hits,
            facets,
            histogram,
            cursor: next,
        })
    }

    /// The ranked window of a query with its total and the optional facet and story counts over
    /// every match.
    #[allow(clippy::type_complexity)]
    fn ranked(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        mut ranker: Ranker,
        offset: usize,
        (facets, stories): (Option<FacetCollector>, Option<StoryCollector>),
    ) -> Result<(Vec<Position>, usize, Option<facets::FacetFruit>, Option<usize>)> {
        ranker.limit += offset;
        let (top, total, fruit, stories) =
            searcher.search(query, &(ranker, Count, facets, stories)).map_err(query_time_error)?;
        Ok((top.into_iter().skip(offset).collect(), total, fruit, stories))
    }

    /// The other matching articles of a hit's story, best first.
    fn duplicates_of(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        mut ranker: Ranker,
        address: DocAddress,
    ) -> Result<Duplicates> {
        let cluster = cluster_of(searcher, address)?;
        let same_story =
            TermQuery::new(Term::from_field_u64(self.index.fields.cluster, cluster), IndexRecordOption::Basic);
        let members = BooleanQuery::new(vec![
            (Occur::Must, query.box_clone()),
            (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(same_story), 0.0))),
        ]);
        ranker.limit = MAX_DUPLICATE_IDS + 1;
        let (top, total, _, _) = self.ranked(searcher, &members, ranker, 0, (None, None))?;
        let mut ids = Vec::new();
        for position in top.into_iter().filter(|position| position.address != address).take(MAX_DUPLICATE_IDS) {
            let document: TantivyDocument = searcher.doc(position.address)?;
            if let Some(id) = document.get_first(self.index.fields.id).and_then(|value| value.as_str()) {
                ids.push(id.to_string());
            }
        }
        Ok(Duplicates { count: total.saturating_sub(1) as u64, ids })
    }

    /// The user's query (or all documents) restricted by the filters, which do not score.
    fn build_query(&self, request: &SearchRequest, user_query: Option<Box<dyn Query>>) -> Box<dyn Query> {
        let fields = &self.index.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        clauses.push((Occur::Must, user_query.unwrap_or_else(|| Box::new(AllQuery))));
        for (keyword, values) in &request.filters {
            if values.is_empty() {
                continue;
            }
            let field = fields.keyword(*keyword);
            // Each value matches as written and under its canonical name (articles stored before
            // an alias was added keep the old name).
            let mut keys: Vec<String> = values
                .iter()
                .flat_map(|value| [keyword_term_text(value), keyword_term_text(&resolve_alias(*keyword, value))])
                .collect();
            keys.sort();
            keys.dedup();
            let alternatives: Vec<(Occur, Box<dyn Query>)> = keys
                .iter()
                .map(|key| {
                    let term = Term::from_field_text(field, key);
                    (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(alternatives)), 0.0))));
        }
        if request.from.is_some() || request.to.is_some() {
            let bound = |date: Option<chrono::DateTime<chrono::Utc>>| match date {
                Some(date) => Bound::Included(Term::from_field_date(
                    fields.published_at,
                    DateTime::from_timestamp_secs(date.timestamp()),
                )),
                None => Bound::Unbounded,
            };
            let range = RangeQuery::new(bound(request.from), bound(request.to));
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(range), 0.0))));
        }
        if clauses.len() == 1 {
            return clauses.pop().map(|(_, query)| query).expect("one clause");
        }
        Box::new(BooleanQuery::new(clauses))
    }

    fn hit(
        &self,
        searcher: &Searcher,
        highlighter: &Highlighter,
        shape: SnippetShape,
        score: Option<f32>,
        address: DocAddress,
    ) -> Result<Hit> {
        let fields = &self.index.fields;
        let document: TantivyDocument = searcher.doc(address)?;
        let text = |field| document.get_first(field).and_then(|value| value.as_str()).unwrap_or("").to_string();
        let title = text(fields.title);
        let body = text(fields.body);
        let lang = text(fields.keyword(KeywordField::Lang));
        let entities: Vec<HitEntity> = serde_json::from_str(&text(fields.entities)).unwrap_or_default();
        let (title_html, title_spans) = highlighter.title(&title, &lang);
        let (body_html, body_spans) = highlighter.body(&body, &lang, shape);
        let published_at = document
            .get_first(fields.published_at)
            .and_then(|value| value.as_datetime())
            .and_then(|date| chrono::DateTime::from_timestamp(date.into_timestamp_secs(), 0))
            .map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        Ok(Hit {
            id: text(fields.id),
            url: document.get_first(fields.url).and_then(|value| value.as_str()).map(str::to_string),
            source: text(fields.keyword(KeywordField::Source)),
            lang: lang.clone(),
            published_at,
            score,
            entities,
            highlights: Highlights { title: title_html, body: body_html },
            matches: Matches { title: title_spans, body: body_spans },
            cluster_id: crate::index::schema::cluster_id(cluster_of(searcher, address)?),
            duplicates: None,
            title,
        })
    }
}

/// Ids of other articles listed with a collapsed hit.
const MAX_DUPLICATE_IDS: usize = 20;

/// The story (cluster number) of a document, from its fast column.
fn cluster_of(searcher: &Searcher, address: DocAddress) -> Result<u64> {
    let column = searcher.segment_reader(address.segment_ord).fast_fields().u64("cluster")?;
    Ok(column.first(address.doc_id).unwrap_or(0))
}

/// The newest publication time in a snapshot (now, if that is earlier or nothing is dated): the
/// reference recency is counted back from.
pub fn newest_publication(searcher: &Searcher) -> i64 {
    let now = chrono::Utc::now().timestamp();
    searcher
        .segment_readers()
        .iter()
        .filter_map(|segment| segment.fast_fields().date("published_at").ok())
        .filter(|column| column.values.num_vals() > 0)
        .map(|column| column.max_value().into_timestamp_secs())
        .max()
        .map_or(now, |newest| newest.min(now))
}

/// The first-ranked hit of each story, in rank order, until `wanted` stories.
fn first_of_each_story(searcher: &Searcher, ranked: &[Position], wanted: usize) -> Result<Vec<Position>> {
    let mut seen = std::collections::HashSet::new();
    let mut chosen = Vec::new();
    for &position in ranked {
        if seen.insert(cluster_of(searcher, position.address)?) {
            chosen.push(position);
            if chosen.len() == wanted {
                break;
            }
        }
    }
    Ok(chosen)
}

/// Entity values are matched through the alias table: `person=Zelenskyy` finds Zelensky.
fn resolve_alias(keyword: KeywordField, value: &str) -> String {
    let kind = match keyword {
        KeywordField::Person => EntityKind::Person,
        KeywordField::Org => EntityKind::Org,
        KeywordField::Place => EntityKind::Place,
        _ => return value.to_string(),
    };
    Aliases::global().resolve(kind, value)
}

/// `person:Zelenskyy` in query text goes through the alias table like a filter: it matches the
/// value as written or its canonical name.
fn resolve_leaf_alias(leaf: UserInputLeaf) -> UserInputAst {
    if let UserInputLeaf::Literal(literal) = &leaf {
        if let Some(keyword) = literal.field_name.as_deref().and_then(KeywordField::parse) {
            let canonical = resolve_alias(keyword, &literal.phrase);
            if keyword_term_text(&canonical) != keyword_term_text(&literal.phrase) {
                let mut resolved = literal.clone();
                resolved.phrase = canonical;
                return UserInputAst::Clause(vec![
                    (Some(GrammarOccur::Should), UserInputAst::Leaf(Box::new(leaf))),
                    (Some(GrammarOccur::Should), UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(resolved)))),
                ]);
            }
        }
    }
    UserInputAst::Leaf(Box::new(leaf))
}

/// Points `title:` and `body:` in the query at the fields of one analysis (`title_de`, `body_de`).
fn localise_fields(ast: UserInputAst, analysis: &str) -> UserInputAst {
    let localise = |field: Option<String>| match field.as_deref() {
        Some(name @ ("title" | "body")) => Some(format!("{name}_{analysis}")),
        _ => field,
    };
    match ast {
        UserInputAst::Clause(items) => UserInputAst::Clause(
            items.into_iter().map(|(occur, item)| (occur, localise_fields(item, analysis))).collect(),
        ),
        UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(localise_fields(*inner, analysis)), boost),
        UserInputAst::Leaf(leaf) => UserInputAst::Leaf(Box::new(match *leaf {
            UserInputLeaf::Literal(mut literal) => {
                literal.field_name = localise(literal.field_name);
                UserInputLeaf::Literal(literal)
            }
            UserInputLeaf::Range { field, lower, upper } => {
                UserInputLeaf::Range { field: localise(field), lower, upper }
            }
            UserInputLeaf::Set { field, elements } => UserInputLeaf::Set { field: localise(field), elements },
            UserInputLeaf::Regex { field, pattern } => UserInputLeaf::Regex { field: localise(field), pattern },
            UserInputLeaf::Exists { field } => {
                UserInputLeaf::Exists { field: localise(Some(field.clone())).unwrap_or(field) }
            }
            other => other,
        })),
    }
}

/// The Snowball project's English stop words (snowballstem.org, english/stop.txt), without the
/// contractions, which the tokenizer splits anyway.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "would",
    "should",
    "could",
    "ought",
    "cannot",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
];

/// Removes single plain words that are stop words (for `stop_words`, an analyzer that yields no
/// token for one) from a clause, unless nothing else would remain.
fn drop_stop_words(ast: UserInputAst, stop_words: &mut tantivy::tokenizer::TextAnalyzer) -> UserInputAst {
    let mut is_stop_word = |item: &(Option<GrammarOccur>, UserInputAst)| match item {
        (None | Some(GrammarOccur::Should), UserInputAst::Leaf(leaf)) => match leaf.as_ref() {
            UserInputLeaf::Literal(literal) => {
                literal.field_name.is_none()
                    && !literal.phrase.contains(char::is_whitespace)
                    && !stop_words.token_stream(&literal.phrase).advance()
            }
            _ => false,
        },
        _ => false,
    };
    match ast {
        UserInputAst::Clause(items) => {
            let keep: Vec<bool> = items.iter().map(|item| !is_stop_word(item)).collect();
            if !keep.iter().any(|kept| *kept) {
                return UserInputAst::Clause(items);
            }
            UserInputAst::Clause(
                items
                    .into_iter()
                    .zip(keep)
                    .filter(|(_, kept)| *kept)
                    .map(|((occur, item), _)| (occur, drop_stop_words(item, stop_words)))
                    .collect(),
            )
        }
        UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(drop_stop_words(*inner, stop_words)), boost),
        leaf => leaf,
    }
}

/// Makes negations mean what people expect: `a AND NOT b` excludes b (Tantivy reads it as
/// `+a +(-b)`, which matches nothing), and a query of only negations (`NOT b`) means everything
/// except b.
pub(crate) fn normalise_negations(ast: UserInputAst) -> UserInputAst {
    fn flatten(ast: UserInputAst) -> UserInputAst {
        match ast {
            UserInputAst::Clause(items) => {
                let mut flattened = Vec::with_capacity(items.len());
                for (occur, item) in items {
                    let item = flatten(item);
                    match item {
                        UserInputAst::Clause(inner)
                            if occur != Some(GrammarOccur::MustNot)
                                && !inner.is_empty()
                                && inner.iter().all(|(inner_occur, _)| *inner_occur == Some(GrammarOccur::MustNot)) =>
                        {
                            flattened.extend(inner);
                        }
                        item => flattened.push((occur, item)),
                    }
                }
                UserInputAst::Clause(flattened)
            }
            UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(flatten(*inner)), boost),
            UserInputAst::Leaf(leaf) => resolve_leaf_alias(*leaf),
        }
    }
    match flatten(ast) {
        UserInputAst::Clause(mut items)
            if !items.is_empty() && items.iter().all(|(occur, _)| *occur == Some(GrammarOccur::MustNot)) =>
        {
            items.push((Some(GrammarOccur::Must), UserInputAst::Leaf(Box::new(UserInputLeaf::All))));
            UserInputAst::Clause(items)
        }
        other => other,
    }
}

/// Errors Tantivy raises only when a parsed query meets the index (`title:*` on a field that has
/// no fast column) are the query's fault, not the server's.
fn query_time_error(error: tantivy::TantivyError) -> Error {
    match error {
        tantivy::TantivyError::SchemaError(message)
        | tantivy::TantivyError::InvalidArgument(message)
        | tantivy::TantivyError::FieldNotFound(message) => {
            Error::BadQuery { message: format!("the query cannot run on this index: {message}"), position: None }
        }
        other => other.into(),
    }
}

/// Turns a parser error into a message that says where the query went wrong.
fn describe_query_error(text: &str, error: &tantivy::query::QueryParserError) -> Error {
    let (_, errors) = tantivy::query_grammar::parse_query_lenient(text);
    if let Some(first) = errors.first() {
        let position = text[..first.pos.min(text.len())].chars().count();
        return Error::BadQuery {
            message: format!("syntax error at character {position} of the query: {}", first.message),
            position: Some(position),
        };
    }
    // An operator with nothing on one side: say which and where.
    let words: Vec<(usize, &str)> =
        text.split_whitespace().map(|word| (word.as_ptr() as usize - text.as_ptr() as usize, word)).collect();
    let is_operator = |word: &str| matches!(word, "AND" | "OR" | "NOT");
    if let Some((offset, word)) = words.last().filter(|(_, word)| is_operator(word)) {
        let position = text[..*offset].chars().count();
        return Error::BadQuery {
            message: format!("syntax error at character {position} of the query: {word} needs a term after it"),
            position: Some(position),
        };
    }
    if let Some((_, word)) = words.first().filter(|(_, word)| *word != "NOT" && is_operator(word)) {
        return Error::BadQuery {
            message: format!("syntax error at character 0 of the query: {word} needs a term before it"),
            position: Some(0),
        };
    }
    // The syntax is fine but something named in it is not: usually an unknown field.
    let detail = error.to_string();
    let position = detail
        .split('\'')
        .nth(1)
        .filter(|name| !name.is_empty())
        .and_then(|name| text.find(&format!("{name}:")))
        .map(|byte| text[..byte].chars().count());
    let message = match position {
        Some(position) => format!(
            "{detail} (at character {position} of the query); searchable fields are title, body, {}",
            keyword_names()
        ),
        None => format!("{detail}; searchable fields are title, body, {}", keyword_names()),
    };
    Error::BadQuery { message, position }
}

fn keyword_names() -> String {
    KeywordField::ALL.iter().map(|field| field.name()).collect::<Vec<_>>().join(", ") + ", published_at, id"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilds_are_throttled() {
        let throttle = RebuildThrottle::new(std::time::Duration::from_secs(60));
        assert!(throttle.try_start().unwrap(), "the first rebuild starts");
        assert!(!throttle.try_start().unwrap(), "a second one within the interval waits");
        let eager = RebuildThrottle::new(std::time::Duration::ZERO);
        assert!(eager.try_start().unwrap() && eager.try_start().unwrap());
    }
}
