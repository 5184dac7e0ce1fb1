//! The SQLite FTS5 peer, in process: the same articles in an FTS5 table (porter stemming), and for
//! each query the comparable work — top 10 by bm25 (title weighted 2×) with a snippet, plus the
//! total count.

use std::path::Path;
use std::time::Instant;

use rusqlite::Connection;

use crate::error::Result;
use crate::store::{RawBody, Store};

/// Builds the FTS5 database from the store; returns the connection and the build seconds.
pub fn build(store_path: &Path, fts_path: &Path) -> Result<(Connection, f64)> {
    let started = Instant::now();
    if fts_path.exists() {
        std::fs::remove_file(fts_path)?;
    }
    let connection = Connection::open(fts_path)?;
    connection.execute_batch("pragma journal_mode = off; pragma synchronous = off;")?;
    connection.execute_batch(
        "create virtual table fts using fts5(title, body, tokenize = 'porter unicode61 remove_diacritics 2');",
    )?;
    // Bodies are compressed in the store: decoded by the store, written as text.
    let store = Store::open(store_path)?;
    let mut articles = store.connection().prepare("select rowid, title, body from articles")?;
    let mut rows = articles.query([])?;
    let transaction = connection.unchecked_transaction()?;
    {
        let mut insert = transaction.prepare("insert into fts (rowid, title, body) values (?1, ?2, ?3)")?;
        while let Some(row) = rows.next()? {
            let (rowid, title, body): (i64, String, RawBody) = (row.get(0)?, row.get(1)?, row.get(2)?);
            insert.execute(rusqlite::params![rowid, title, store.decode_body(body)?])?;
        }
    }
    transaction.commit()?;
    Ok((connection, started.elapsed().as_secs_f64()))
}

/// Turns tidings' query text into FTS5 syntax: bare words quoted (so punctuation cannot break the
/// FTS5 grammar), phrases kept, AND / OR / NOT kept (`AND NOT` is FTS5's binary `NOT`).
pub fn translate(query: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut rest = query.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            let phrase: String = after[..end].chars().filter(|c| c.is_alphanumeric() || c.is_whitespace()).collect();
            if !phrase.trim().is_empty() {
                out.push(format!("\"{}\"", phrase.trim()));
            }
            rest = after.get(end + 1..).unwrap_or("").trim_start();
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = rest[end..].trim_start();
        match word {
            "AND" => {}
            "OR" | "NOT" => out.push(word.to_string()),
            _ => {
                let clean: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
                if !clean.is_empty() {
                    out.push(format!("\"{clean}\""));
                }
            }
        }
    }
    out.join(" ")
}

/// Runs each query once (top 10 with a snippet, then the count); per-query latencies in µs.
pub fn run(connection: &Connection, queries: &[String], passes: usize) -> Result<(Vec<u64>, usize)> {
    let mut top = connection.prepare(
        "select rowid, bm25(fts, 2.0, 1.0) as rank, snippet(fts, 1, '<mark>', '</mark>', '…', 24)
         from fts where fts match ?1 order by rank limit 10",
    )?;
    let mut count = connection.prepare("select count(*) from fts where fts match ?1")?;
    let mut latencies = Vec::with_capacity(queries.len() * passes);
    let mut errors = 0;
    for _ in 0..passes {
        for query in queries {
            let started = Instant::now();
            let hits: rusqlite::Result<Vec<(i64, f64, String)>> = top
                .query_map([query], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .and_then(|rows| rows.collect());
            let total: rusqlite::Result<i64> = count.query_row([query], |row| row.get(0));
            match (hits, total) {
                (Ok(_), Ok(_)) => latencies.push(started.elapsed().as_micros() as u64),
                _ => errors += 1,
            }
        }
    }
    latencies.sort_unstable();
    Ok((latencies, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_translate_to_fts5() {
        assert_eq!(translate("oil"), "\"oil\"");
        assert_eq!(translate("\"crude oil\" OR gas"), "\"crude oil\" OR \"gas\"");
        assert_eq!(translate("wheat AND NOT corn"), "\"wheat\" NOT \"corn\"");
        assert_eq!(translate("u.s. trade"), "\"us\" \"trade\"");
    }
}
