//! The tantivy-cli peer: the same articles in a tantivy-cli index (title and body, English
//! stemming, stored), served by `tantivy serve`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::error::{Error, Result};
use crate::store::Store;

/// The `tantivy` binary of tantivy-cli, from PATH or ~/.cargo/bin.
pub fn find_tantivy_cli() -> Option<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|dir| dir.join("tantivy")).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo/bin/tantivy")));
    candidates.into_iter().find(|candidate| candidate.is_file())
}

/// tantivy-cli's `new` only asks interactively, so the schema is written as the meta.json it
/// would produce.
const META_JSON: &str = r#"{"index_settings":{"docstore_compression":"lz4","docstore_blocksize":16384},"segments":[],"schema":[{"name":"title","type":"text","options":{"indexing":{"record":"position","fieldnorms":true,"tokenizer":"en_stem"},"stored":true,"fast":false}},{"name":"body","type":"text","options":{"indexing":{"record":"position","fieldnorms":true,"tokenizer":"en_stem"},"stored":true,"fast":false}}],"opstamp":0}"#;

/// Builds a tantivy-cli index of every stored article in `dir`; returns the seconds it took.
pub fn build_index(binary: &Path, store: &Store, dir: &Path) -> Result<f64> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("meta.json"), META_JSON)?;
    let documents = dir.with_extension("jsonl");
    let mut writer = std::io::BufWriter::new(std::fs::File::create(&documents)?);
    let mut statement = store.connection().prepare("select title, body from articles order by seq")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let title: String = row.get(0)?;
        let body: String = row.get(1)?;
        serde_json::to_writer(&mut writer, &serde_json::json!({"title": title, "body": body}))
            .map_err(|error| Error::Internal(error.to_string()))?;
        writer.write_all(b"\n")?;
    }
    writer.flush()?;
    let started = std::time::Instant::now();
    let status = Command::new(binary)
        .arg("index")
        .arg("-i")
        .arg(dir)
        .arg("-f")
        .arg(&documents)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(Error::Internal(format!("tantivy index failed: {status}")));
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Starts `tantivy serve` on `port`.
pub fn serve(binary: &Path, dir: &Path, port: u16) -> Result<Child> {
    Ok(Command::new(binary)
        .arg("serve")
        .arg("-i")
        .arg(dir)
        .arg("--host")
        .arg("127.0.0.1")
        .arg("-p")
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}
