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

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

use super::ceiling::{ceiling, Ceiling, QueryCeiling, SegmentCeiling};
use super::in_step::{Combine, InStep};

/// Drops, from `scorer` and what it is made of, the parts that can no longer give a document at
/// or after `doc` a score above `threshold`. True when something was dropped (the scorer may then
/// stand on a later document).
pub fn prune(scorer: &mut dyn Scorer, threshold: Score, doc: DocId) -> bool {
    if let Some(best) = scorer.downcast_mut::<BestOf>() {
        return best.prune(threshold, doc);
    }
    if let Some(all) = scorer.downcast_mut::<AllOfScorer>() {
        return all.prune(threshold, doc);
    }
    false
}

/// A best-of union whose members each know their ceiling in the segment.
pub struct BestOf {
    union: InStep<Box<dyn Scorer>, Combine>,
    ceilings: Vec<SegmentCeiling>,
}

impl BestOf {
    pub fn new(members: Vec<(Box<dyn Scorer>, SegmentCeiling)>) -> BestOf {
        let (members, ceilings): (Vec<_>, Vec<_>) = members.into_iter().unzip();
        BestOf { union: InStep::new(members, Combine::Max), ceilings }
    }

    fn prune(&mut self, threshold: Score, doc: DocId) -> bool {
        let mut changed = false;
        let mut position = 0;
        while position < self.ceilings.len() {
            let below = matches!(self.ceilings[position].at(doc), Ceiling::At(ceiling) if ceiling <= threshold)
                || self.ceilings[position].at(doc) == Ceiling::Nothing;
            if below && self.ceilings.len() > 1 {
                self.ceilings.remove(position);
                self.union.remove(position);
                changed = true;
            } else {
                // A member's score is the union's: the same threshold holds inside it.
                changed |= prune(self.union.member_mut(position).as_mut(), threshold, doc);
                position += 1;
            }
        }
        if changed {
            self.union.settle();
        }
        changed
    }
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
    children: Vec<Box<dyn Query>>,
}

impl AllOf {
    pub fn new(children: Vec<Box<dyn Query>>) -> AllOf {
        AllOf { children }
    }

    pub fn children(&self) -> &[Box<dyn Query>] {
        &self.children
    }
}

impl Clone for AllOf {
    fn clone(&self) -> Self {
        AllOf { children: self.children.iter().map(|child| child.box_clone()).collect() }
    }
}

impl Query for AllOf {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self.children.iter().map(|child| child.weight(scoring)).collect::<tantivy::Result<_>>()?;
        Ok(Box::new(AllOfWeight { weights, ceilings: child_ceilings(&self.children, scoring)? }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for child in &self.children {
            child.query_terms(visitor);
        }
    }
}

/// The children's ceilings, when scores count.
pub fn child_ceilings(
    children: &[Box<dyn Query>],
    scoring: EnableScoring<'_>,
) -> tantivy::Result<Option<Vec<QueryCeiling>>> {
    match scoring {
        EnableScoring::Enabled { searcher, .. } => {
            Ok(Some(children.iter().map(|child| ceiling(child.as_ref(), searcher)).collect::<tantivy::Result<_>>()?))
        }
        EnableScoring::Disabled { .. } => Ok(None),
    }
}

/// The children's ceilings in `reader` (unknown when scores do not count).
pub fn in_segment(
    ceilings: &Option<Vec<QueryCeiling>>,
    count: usize,
    reader: &SegmentReader,
) -> tantivy::Result<Vec<SegmentCeiling>> {
    match ceilings {
        Some(ceilings) => ceilings.iter().map(|ceiling| ceiling.in_segment(reader)).collect(),
        None => Ok(vec![SegmentCeiling::Unknown; count]),
    }
}

struct AllOfWeight {
    weights: Vec<Box<dyn Weight>>,
    ceilings: Option<Vec<QueryCeiling>>,
}

impl Weight for AllOfWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let ceilings = in_segment(&self.ceilings, self.weights.len(), reader)?;
        let mut members = Vec::with_capacity(self.weights.len());
        for (weight, ceiling) in self.weights.iter().zip(ceilings) {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() == TERMINATED {
                return Ok(Box::new(EmptyScorer));
            }
            members.push((scorer, ceiling));
        }
        if members.len() == 1 {
            return Ok(members.pop().expect("one member").0);
        }
        Ok(Box::new(AllOfScorer::new(members)))
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
    ceilings: Vec<SegmentCeiling>,
    doc: DocId,
}

impl AllOfScorer {
    fn new(mut members: Vec<(Box<dyn Scorer>, SegmentCeiling)>) -> AllOfScorer {
        members.sort_by_key(|(scorer, _)| scorer.size_hint());
        let (members, ceilings): (Vec<_>, Vec<_>) = members.into_iter().unzip();
        let mut all = AllOfScorer { members, ceilings, doc: 0 };
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

    fn prune(&mut self, threshold: Score, doc: DocId) -> bool {
        let bounds: Vec<Ceiling> = self.ceilings.iter().map(|ceiling| ceiling.at(doc)).collect();
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
            changed |= prune(member.as_mut(), threshold - others - margin, doc);
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
