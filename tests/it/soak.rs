//! The soak command, briefly, through the real binary: mixed traffic over a real server with
//! feed ingests beside it, reported per tenth of the run.

use std::process::Command;

/// A field `name=value` of the soak's last line.
fn figure<'a>(line: &'a str, name: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {name}= in {line:?}"))
}

#[test]
fn a_short_soak_answers_every_kind_of_request_without_a_server_error() {
    let work = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["bench", "--soak", "10", "--connections", "16", "--reuters", "sample/reut2-000-stories-201-400.sgm"])
        .arg("--work-dir")
        .arg(work.path().join("soak"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("tidings runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let last = report.lines().rev().find(|line| line.starts_with("soak ")).unwrap_or_else(|| panic!("{report}"));
    assert_eq!(figure(last, "status_5xx"), "0", "{report}");
    assert_eq!(figure(last, "errors"), "0", "{report}");
    assert_eq!(figure(last, "panics"), "0", "{report}");
    assert!(figure(last, "requests").parse::<u64>().unwrap() > 100, "{report}");
    // Ten parts reported, each with the server's memory, descriptors and threads.
    let rows: Vec<&str> = report.lines().filter(|line| line.starts_with("| ") && !line.starts_with("| part")).collect();
    assert_eq!(rows.len(), 10, "{report}");
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).filter(|cell| !cell.is_empty()).collect();
        assert!(cells[6].parse::<f64>().unwrap() > 0.0 && cells[8].parse::<u64>().unwrap() > 0, "{row}");
    }
    for kind in ["Instant", "Suggest", "Search", "Article", "Write"] {
        assert!(report.contains(&format!("{kind} ")), "{kind} requests were sent: {report}");
    }
    // The exit status is the verdict of the last line.
    assert_eq!(output.status.success(), last.ends_with("result=ok"), "{report}");
}
