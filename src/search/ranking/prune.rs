//! Dropping what can no longer enter the page, while a search runs.
//!
//! An as-you-type word matches in tiers (exactly, with a typo, as a prefix), and a document takes
//! its best tier. Once a page is full of documents that hold every word exactly, a document that
//! holds one only with a typo cannot enter any more, so that word's typo and prefix tiers — often
//! the longest lists of the query (`under` for `ander`, every word starting `pre`) — need not be
//! walked at all. [`BestOf`] is a best-of union that knows each member's [ceiling](super::ceiling)
//! and drops the members that cannot lift a document above a threshold; [`AllOf`] is the
//! conjunction of words that hands each word the threshold less what the other words can score.
//! [`EarlyStop`](super::early::EarlyStop) prunes with the worst score its segment keeps.
//!
//! This is the MaxScore idea (Turtle & Flood, 1995) on the query's own structure.

use std::sync::{Arc, OnceLock};

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, Term, TERMINATED};

use super::bm25f::CombinedTermScorer;
use super::ceiling::{ceiling, Ceiling, QueryCeiling, SegmentCeiling};
use super::in_step::{Combine, InStep};

/// Drops, from `scorer` and what it is made of, the parts that can no longer give a document at
/// or after `doc` a score above `threshold`. True when something was dropped (the scorer may then
/// stand on a later document).
pub fn prune(scorer: &mut dyn Scorer, threshold: Score, doc: DocId, reader: &SegmentReader) -> bool {
    if let Some(best) = scorer.downcast_mut::<BestOf>() {
        return best.prune(threshold, doc, reader);
    }
    if let Some(all) = scorer.downcast_mut::<AllOfScorer>() {
        return all.prune(threshold, doc, reader);
    }
    if let Some(word) = scorer.downcast_mut::<CombinedTermScorer>() {
        return word.skip_below(threshold);
    }
    false
}

/// A best-of union whose members know their ceilings in the segment.
pub struct BestOf {
    union: InStep<Box<dyn Scorer>, Combine>,
    /// Each member's position among the query's children.
    positions: Vec<usize>,
    ceilings: MemberCeilings,
}

impl BestOf {
    /// `members` with their positions among the query's children.
    pub fn new(members: Vec<(Box<dyn Scorer>, usize)>, ceilings: MemberCeilings) -> BestOf {
        let (members, positions): (Vec<_>, Vec<_>) = members.into_iter().unzip();
        BestOf { union: InStep::new(members, Combine::Max), positions, ceilings }
    }

    fn prune(&mut self, threshold: Score, doc: DocId, reader: &SegmentReader) -> bool {
        let mut changed = false;
        let mut position = 0;
        while position < self.positions.len() {
            let below = match self.ceilings.at(self.positions[position], reader).map(|ceiling| ceiling.at(doc)) {
                Some(Ceiling::At(ceiling)) => ceiling <= threshold,
                Some(Ceiling::Nothing) => true,
                Some(Ceiling::Unknown) => false,
                None => return changed_and_settled(&mut self.union, changed),
            };
            if below && self.positions.len() > 1 {
                self.positions.remove(position);
                self.union.remove(position);
                changed = true;
            } else {
                // A member's score is the union's: the same threshold holds inside it.
                changed |= prune(self.union.member_mut(position).as_mut(), threshold, doc, reader);
                position += 1;
            }
        }
        changed_and_settled(&mut self.union, changed)
    }
}

/// After a prune: the union stands on its members' lowest document again.
fn changed_and_settled(union: &mut InStep<Box<dyn Scorer>, Combine>, changed: bool) -> bool {
    if changed {
        union.settle();
    }
    changed
}

impl DocSet for BestOf {
    fn advance(&mut self) -> DocId {
        self.union.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.union.seek(target)
    }

    fn doc(&self) -> DocId {
        self.union.doc()
    }

    fn size_hint(&self) -> u32 {
        self.union.size_hint()
    }
}

impl Scorer for BestOf {
    fn score(&mut self) -> Score {
        self.union.score()
    }
}

/// Matches what every child matches; scores are added.
#[derive(Debug)]
pub struct AllOf {
    children: Arc<Vec<Box<dyn Query>>>,
}

impl AllOf {
    pub fn new(children: Vec<Box<dyn Query>>) -> AllOf {
        AllOf { children: Arc::new(children) }
    }

    pub fn children(&self) -> &[Box<dyn Query>] {
        &self.children
    }
}

impl Clone for AllOf {
    fn clone(&self) -> Self {
        AllOf { children: Arc::clone(&self.children) }
    }
}

impl Query for AllOf {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self.children.iter().map(|child| child.weight(scoring)).collect::<tantivy::Result<_>>()?;
        Ok(Box::new(AllOfWeight { weights, ceilings: LazyCeilings::of(&self.children, scoring) }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for child in self.children.iter() {
            child.query_terms(visitor);
        }
    }
}

/// A union's or conjunction's children's ceilings, worked out only when a search first prunes:
/// most searches never need them (their page fills before their total is counted), and working
/// them out costs a lookup of every word in every segment.
pub struct LazyCeilings {
    searcher: Searcher,
    children: Arc<Vec<Box<dyn Query>>>,
    /// `None` when a bound could not be worked out (the search then just does not prune).
    global: OnceLock<Option<Vec<QueryCeiling>>>,
}

impl LazyCeilings {
    /// The children's ceilings when scores count (`None` when they do not).
    pub fn of(children: &Arc<Vec<Box<dyn Query>>>, scoring: EnableScoring<'_>) -> Option<Arc<LazyCeilings>> {
        match scoring {
            EnableScoring::Enabled { searcher, .. } => Some(Arc::new(LazyCeilings {
                searcher: searcher.clone(),
                children: Arc::clone(children),
                global: OnceLock::new(),
            })),
            EnableScoring::Disabled { .. } => None,
        }
    }

    /// Each child's ceiling in `reader`, by the child's position.
    fn in_segment(&self, reader: &SegmentReader) -> Option<Vec<SegmentCeiling>> {
        let global = self
            .global
            .get_or_init(|| self.children.iter().map(|child| ceiling(child.as_ref(), &self.searcher).ok()).collect());
        global.as_ref()?.iter().map(|ceiling| ceiling.in_segment(reader).ok()).collect()
    }
}

/// Where a scorer finds its members' ceilings in its segment once it first prunes.
pub struct MemberCeilings {
    lazy: Arc<LazyCeilings>,
    /// By the members' original positions, once worked out (`Some(None)`: not known).
    resolved: Option<Option<Vec<SegmentCeiling>>>,
}

impl MemberCeilings {
    pub fn new(lazy: Arc<LazyCeilings>) -> MemberCeilings {
        MemberCeilings { lazy, resolved: None }
    }

    /// The ceiling of the member first at `position` among the children, in `reader` (the
    /// scorer's segment).
    fn at(&mut self, position: usize, reader: &SegmentReader) -> Option<&SegmentCeiling> {
        let resolved = self.resolved.get_or_insert_with(|| self.lazy.in_segment(reader));
        resolved.as_ref()?.get(position)
    }
}

struct AllOfWeight {
    weights: Vec<Box<dyn Weight>>,
    ceilings: Option<Arc<LazyCeilings>>,
}

impl Weight for AllOfWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut members = Vec::with_capacity(self.weights.len());
        for (position, weight) in self.weights.iter().enumerate() {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() == TERMINATED {
                return Ok(Box::new(EmptyScorer));
            }
            members.push((scorer, position));
        }
        if members.len() == 1 {
            return Ok(members.pop().expect("one member").0);
        }
        // The ceilings are of unboosted scores: a boosted conjunction is not pruned.
        let ceilings =
            self.ceilings.as_ref().filter(|_| boost == 1.0).map(|lazy| MemberCeilings::new(Arc::clone(lazy)));
        Ok(Box::new(AllOfScorer::new(members, ceilings)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        let mut explanation = Explanation::new("sum of", scorer.score());
        for weight in &self.weights {
            explanation.add_detail(weight.explain(reader, doc)?);
        }
        Ok(explanation)
    }
}

/// The members walked leapfrog, the rarest leading.
pub struct AllOfScorer {
    members: Vec<Box<dyn Scorer>>,
    /// Each member's position among the query's children.
    positions: Vec<usize>,
    ceilings: Option<MemberCeilings>,
    doc: DocId,
}

impl AllOfScorer {
    fn new(mut members: Vec<(Box<dyn Scorer>, usize)>, ceilings: Option<MemberCeilings>) -> AllOfScorer {
        members.sort_by_key(|(scorer, _)| scorer.size_hint());
        let (members, positions): (Vec<_>, Vec<_>) = members.into_iter().unzip();
        let mut all = AllOfScorer { members, positions, ceilings, doc: 0 };
        let first = all.members[0].doc();
        all.doc = all.align(first);
        all
    }

    /// The first document at or after `target` that every member holds.
    fn align(&mut self, mut target: DocId) -> DocId {
        'candidates: loop {
            for member in &mut self.members {
                let mut doc = member.doc();
                if doc < target {
                    doc = member.seek(target);
                }
                if doc > target {
                    target = doc;
                    continue 'candidates;
                }
            }
            return target;
        }
    }

    fn prune(&mut self, threshold: Score, doc: DocId, reader: &SegmentReader) -> bool {
        let Some(ceilings) = self.ceilings.as_mut() else { return false };
        let mut bounds = Vec::with_capacity(self.positions.len());
        for position in &self.positions {
            match ceilings.at(*position, reader) {
                Some(ceiling) => bounds.push(ceiling.at(doc)),
                None => return false,
            }
        }
        let mut changed = false;
        let count = self.members.len() as Score;
        for (position, member) in self.members.iter_mut().enumerate() {
            // What the other members can add at most (not known: this member is left as it is).
            let others = bounds.iter().enumerate().filter(|(other, _)| *other != position).try_fold(
                0.0,
                |sum: Score, (_, bound)| match bound {
                    Ceiling::At(score) => Some(sum + score),
                    Ceiling::Nothing | Ceiling::Unknown => None,
                },
            );
            let Some(others) = others else { continue };
            // The member must score above what is left once the others score their most; the
            // margin covers the rounding of the sums.
            let margin = (threshold.abs() + others.abs()) * Score::EPSILON * (count + 1.0);
            changed |= prune(member.as_mut(), threshold - others - margin, doc, reader);
        }
        if changed {
            let lead = self.members.iter().map(|member| member.doc()).max().unwrap_or(TERMINATED);
            self.doc = self.align(lead.max(self.doc));
        }
        changed
    }
}

impl DocSet for AllOfScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let next = self.members[0].advance();
        self.doc = self.align(next);
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let lead = self.members[0].seek(target);
        self.doc = self.align(lead);
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.members.iter().map(|member| member.size_hint()).min().unwrap_or(0)
    }
}

impl Scorer for AllOfScorer {
    fn score(&mut self) -> Score {
        self.members.iter_mut().map(|member| member.score()).sum()
    }
}
