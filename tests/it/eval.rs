//! The eval commands' output contracts: compared systems' lines start with `system=`, and
//! the last line holds tidings' own `micro_f1=… per_f1=… org_f1=… loc_f1=…`.

use std::process::Command;

use crate::helpers::repo_path;

fn field(line: &str, name: &str) -> f64 {
    line.split_whitespace()
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in {line:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is a number in {line:?}"))
}

#[test]
fn eval_ner_prints_comparisons_then_its_own_figures_last() {
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["eval", "ner", "--conll"])
        .arg(repo_path("tests/fixtures/ner/tiny.conll"))
        .arg("--reuters")
        .arg(repo_path("tests/fixtures/no-such-folder"))
        .output()
        .expect("the tidings binary runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let last = lines.last().expect("output");
    assert!(last.starts_with("micro_f1="), "last line is tidings' own: {last}");
    for name in ["micro_f1", "per_f1", "org_f1", "loc_f1"] {
        let value = field(last, name);
        assert!((0.0..=1.0).contains(&value), "{name}={value}");
    }
    // The sentences are easy: the shipped tagger gets most of the 9 entities.
    assert!(field(last, "micro_f1") >= 0.7, "{last}");
    let heuristic =
        lines.iter().find(|line| line.starts_with("system=heuristic micro_f1=")).expect("the heuristic is compared");
    assert!((0.0..=1.0).contains(&field(heuristic, "micro_f1")));
    assert!(lines[..lines.len() - 1].iter().all(|line| !line.starts_with("micro_f1=")));
}

#[test]
fn eval_ner_names_a_missing_file() {
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["eval", "ner", "--conll", "/nonexistent/dev.conll"])
        .output()
        .expect("the tidings binary runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/dev.conll"));
}

fn run(args: &[&std::ffi::OsStr]) -> Vec<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_tidings")).args(args).output().expect("the tidings binary runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(String::from).collect()
}

#[test]
fn eval_extraction_prints_candidates_then_its_own_figures_last() {
    // A three-page benchmark in the benchmark's own layout, from the committed real pages.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("html")).unwrap();
    std::fs::copy(repo_path("tests/fixtures/pages-ground-truth.json"), dir.path().join("ground-truth.json")).unwrap();
    for entry in std::fs::read_dir(repo_path("tests/fixtures/pages")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join("html").join(path.file_name().unwrap())).unwrap();
    }
    let lines = run(&["eval".as_ref(), "extraction".as_ref(), "--dir".as_ref(), dir.path().as_os_str()]);
    let last = lines.last().expect("output");
    assert!(last.starts_with("f1="), "last line is tidings' own: {last}");
    for name in ["f1", "precision", "recall"] {
        assert!((0.0..=1.0).contains(&field(last, name)), "{name} in {last}");
    }
    assert!(field(last, "f1") >= 0.9, "the three pages are extracted well: {last}");
    for system in ["rs-trafilatura", "dom_smoothie"] {
        let line = lines.iter().find(|line| line.starts_with(&format!("system={system} f1="))).expect(system);
        assert!((0.0..=1.0).contains(&field(line, "f1")));
    }
    assert!(lines[..lines.len() - 1].iter().all(|line| line.starts_with("system=")));
}

#[test]
fn eval_dedup_reports_each_collection_then_the_threshold_line_last() {
    // Reuters from the shipped sample (its stories 201-400), BBC from a two-file folder holding
    // one story twice: the copy must be joined.
    let dir = tempfile::tempdir().unwrap();
    let bbc = dir.path().join("bbc-news");
    std::fs::create_dir_all(bbc.join("bbc/business")).unwrap();
    let story = "Ferry crews strike\n\nFerry crews in the harbour walked out on Friday over a pay offer the union \
                 called an insult, cancelling every crossing to the islands for the weekend.\n";
    std::fs::write(bbc.join("bbc/business/001.txt"), story).unwrap();
    std::fs::write(bbc.join("bbc/business/002.txt"), story).unwrap();
    let lines = run(&[
        "eval".as_ref(),
        "dedup".as_ref(),
        "--reuters".as_ref(),
        repo_path("sample").as_os_str(),
        "--bbc".as_ref(),
        bbc.as_os_str(),
    ]);
    let last = lines.last().expect("output");
    assert!(last.starts_with("threshold=0.8 labelled="), "{last}");
    let bbc_line = lines.iter().find(|line| line.starts_with("collection=bbc ")).expect("a BBC line");
    assert_eq!(
        (field(bbc_line, "docs"), field(bbc_line, "exact_pairs"), field(bbc_line, "exact_recall")),
        (2.0, 1.0, 1.0)
    );
    assert!(lines.iter().any(|line| line.starts_with("collection=reuters docs=200 ")), "{lines:?}");
}

#[test]
fn eval_relevance_prints_baselines_then_its_own_line_per_collection() {
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["eval", "relevance", "--time"])
        .arg(repo_path("tests/fixtures/relevance/time"))
        .arg("--cranfield")
        .arg(repo_path("tests/fixtures/relevance/cranfield"))
        .output()
        .expect("the tidings binary runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Counts read from the fixtures: 13 TIME documents and 3 queries; 47 Cranfield abstracts, 2 queries.
    assert!(stderr.contains("time: 13 documents, 3 queries"), "{stderr}");
    assert!(stderr.contains("cranfield: 47 documents, 2 queries"), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    for collection in ["time", "cranfield"] {
        let mine: Vec<&&str> =
            lines.iter().filter(|line| line.contains(&format!("collection={collection} "))).collect();
        let own = mine.last().unwrap_or_else(|| panic!("{collection}: {stdout}"));
        assert!(own.starts_with(&format!("collection={collection} ndcg@10=")), "tidings' own line last: {own}");
        assert!(mine[..mine.len() - 1].iter().all(|line| line.starts_with("system=")), "{stdout}");
        assert!(mine.iter().any(|line| line.starts_with("system=tidings-plain-bm25 ")), "{stdout}");
        for line in &mine {
            for name in ["ndcg@10", "map", "recall@100"] {
                let value = field(line, name);
                assert!((0.0..=1.0).contains(&value), "{name}={value} in {line}");
            }
        }
        // Requiring every word of a long natural-language query finds (almost) nothing.
        let all_words = mine.iter().find(|line| line.starts_with("system=tidings-all-words ")).unwrap();
        assert!(field(all_words, "map") < field(own, "map"), "{stdout}");
        assert!(field(own, "recall@100") > 0.8, "{own}");
    }
    // Collections one at a time.
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["eval", "relevance", "--collection", "time", "--time"])
        .arg(repo_path("tests/fixtures/relevance/time"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.lines().last().unwrap().starts_with("collection=time "), "{stdout}");
    assert!(!stdout.contains("cranfield"));
}

#[test]
fn eval_entities_judges_the_facets_and_prints_its_purities_last() {
    // Eight Reuters-21578 stories with a title and a body (four with PEOPLE tags) and Reuters'
    // own vocabularies, as the full collection's folder holds them.
    let fixture = repo_path("tests/fixtures/reuters-entities");
    let stories = std::fs::read_to_string(fixture.join("reut2-000.sgm")).unwrap().matches("<BODY>").count();
    let lines = run(&[
        "eval".as_ref(),
        "entities".as_ref(),
        "--reuters".as_ref(),
        fixture.as_os_str(),
        "--judgments".as_ref(),
        repo_path("eval/entity-judgments.tsv").as_os_str(),
    ]);
    let last = lines.last().expect("output");
    assert!(last.starts_with("people_purity="), "last line is tidings' own: {last}");
    for name in ["people_purity", "org_purity", "place_purity"] {
        assert!((0.0..=1.0).contains(&field(last, name)), "{name} in {last}");
    }
    let heuristic = lines.iter().find(|line| line.starts_with("system=heuristic people_purity=")).expect("compared");
    assert!((0.0..=1.0).contains(&field(heuristic, "people_purity")));
    let run_line = lines.iter().find(|line| line.starts_with("stories=")).expect("the run's line");
    assert_eq!(field(run_line, "stories") as usize, stories, "{run_line}");
    assert_eq!(field(run_line, "stored") as usize, stories, "{run_line}");
    let seed = lines.iter().find(|line| line.starts_with("seed_people=")).expect("the seed article's people");
    assert_eq!(field(seed, "seed_people"), 4.0, "the seed article names four people: {seed}");
    let recall = lines.iter().find(|line| line.starts_with("reuters_people_recall=")).expect("recall");
    assert!(field(recall, "reuters_people_recall") >= 0.5, "{recall}");
    assert!(lines[..lines.len() - 1].iter().all(|line| !line.starts_with("people_purity=")));
}

#[test]
fn eval_entities_names_a_bad_judgment_line() {
    let dir = tempfile::tempdir().unwrap();
    let judgments = dir.path().join("judgments.tsv");
    std::fs::write(&judgments, "person\tReuter\tmaybe\tthe sign-off\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["eval", "entities", "--reuters"])
        .arg(repo_path("tests/fixtures/reuters-entities"))
        .arg("--judgments")
        .arg(&judgments)
        .output()
        .expect("the tidings binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("judgments.tsv:1") && stderr.contains("yes or no"), "{stderr}");
}
