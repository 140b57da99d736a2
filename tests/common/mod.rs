//! Helpers shared by the integration tests: running the real binary, paths, scratch folders, reference values.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the clv binary with `args`.
pub fn clv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clv")).args(args).output().expect("the clv binary runs")
}

/// Starts the clv binary with `args` (output discarded) and kills it (SIGKILL) after `delay_ms` milliseconds,
/// or lets it finish if it ends sooner.
pub fn run_and_kill(args: &[&str], delay_ms: u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the clv binary starts");
    std::thread::sleep(std::time::Duration::from_millis(delay_ms));
    let _ = child.kill();
    let _ = child.wait();
}

/// The standard error of a run, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A path in the repository.
pub fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path).display().to_string()
}

/// A fresh folder under the target directory for one test's files (names are unique across test files).
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The published and recomputed reference values.
pub fn reference() -> serde_json::Value {
    read_json(Path::new(&repo("tests/reference/published.json")))
}

/// A JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The flags that read the bundled CDNOW sample with the literature's periods (calibration to 1997-09-30,
/// holdout to 1998-06-30, weeks).
pub const CDNOW_ARGS: [&str; 14] = [
    "--whitespace",
    "--no-header",
    "--customer",
    "2",
    "--date",
    "3",
    "--amount",
    "5",
    "--calibration-end",
    "1997-09-30",
    "--observation-end",
    "1998-06-30",
    "--unit",
    "week",
];

/// Summarises the bundled CDNOW sample into `dir/summary.csv` (with its metadata).
pub fn cdnow_summary(dir: &Path) -> PathBuf {
    let out = dir.join("summary.csv");
    let mut args = vec!["summarize", "-q", "-o", out.to_str().unwrap()];
    let file = repo("data/cdnow/CDNOW_sample.txt");
    args.push(&file);
    args.extend(CDNOW_ARGS);
    let result = clv(&args);
    assert!(result.status.success(), "{}", stderr(&result));
    out
}

/// The CDNOW sample's lines split by `key` (a line -> a file name) into files in `dir`, named in sorted order.
pub fn split_cdnow(dir: &Path, key: impl Fn(usize, &str) -> String) -> Vec<PathBuf> {
    let text = fs::read_to_string(repo("data/cdnow/CDNOW_sample.txt")).unwrap();
    let mut parts: std::collections::BTreeMap<String, String> = Default::default();
    for (i, line) in text.lines().enumerate() {
        let part = parts.entry(key(i, line)).or_default();
        part.push_str(line);
        part.push('\n');
    }
    parts
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

/// A purchase log simulated from BG/NBD (r 0.5, alpha 5, a 0.8, b 2.5, weeks) for `customers` customers with
/// `seed`, written in two halves of whole customers (even and odd ids): `dir/a.csv` and `dir/b.csv`.
pub fn simulated_halves(dir: &Path, customers: u64, seed: u64) -> (PathBuf, PathBuf) {
    let truth = dir.join("truth.json");
    let params = r#"{"r": 0.5, "alpha": 5, "a": 0.8, "b": 2.5}"#;
    fs::write(&truth, format!(r#"{{"model": "bg_nbd", "time_unit": "week", "params": {params}}}"#)).unwrap();
    let log = dir.join("log.csv");
    let (customers, seed) = (customers.to_string(), seed.to_string());
    let args = ["simulate", "--model", truth.to_str().unwrap(), "--customers", &customers, "--seed", &seed, "-q"];
    let made = clv(&[&args[..], &["-o", log.to_str().unwrap()]].concat());
    assert!(made.status.success(), "{}", stderr(&made));
    let text = fs::read_to_string(&log).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut first, mut second) = (format!("{header}\n"), format!("{header}\n"));
    for line in lines {
        let customer: u64 = line.split(',').next().unwrap().parse().unwrap();
        let half = if customer.is_multiple_of(2) { &mut first } else { &mut second };
        half.push_str(line);
        half.push('\n');
    }
    let (a, b) = (dir.join("a.csv"), dir.join("b.csv"));
    fs::write(&a, first).unwrap();
    fs::write(&b, second).unwrap();
    (a, b)
}
