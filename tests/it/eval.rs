//! The `eval ner` command's output contract: compared systems' lines start with `system=`, and
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
