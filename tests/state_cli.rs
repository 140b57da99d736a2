//! Incremental summaries through the binary (`clv summarize --state`): the CDNOW sample split in files and applied
//! in any order gives exactly the summary of one full read; repeated and overlapping files follow the documented
//! rules; a killed update leaves the previous state whole.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::*;

/// The CDNOW layout flags (no periods).
const LAYOUT: [&str; 8] = ["--whitespace", "--no-header", "--customer", "2", "--date", "3", "--amount", "5"];

/// `clv summarize` with the CDNOW layout, `extra` flags and files, writing `out`.
fn summarize(extra: &[&str], files: &[&Path], out: &Path) -> std::process::Output {
    let mut args: Vec<&str> = vec!["summarize", "-q", "-o", out.to_str().unwrap()];
    args.extend(LAYOUT);
    args.extend(extra);
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    clv(&args)
}

const PERIODS: [&str; 4] = ["--calibration-end", "1997-09-30", "--observation-end", "1998-06-30"];

#[test]
fn several_logs_read_together_give_the_full_summary() {
    let dir = scratch("several-logs");
    let cdnow = PathBuf::from(repo("data/cdnow/CDNOW_sample.txt"));
    // Three files dealt row by row (so every customer's rows are spread over them), given in reverse order.
    let parts = split_cdnow(&dir, |i, _| format!("part{}.txt", i % 3));
    let reversed: Vec<&Path> = parts.iter().rev().map(PathBuf::as_path).collect();
    for periods in [&PERIODS[..], &["--holdout", "39w"]] {
        let (full, together) = (dir.join("full.csv"), dir.join("together.csv"));
        assert!(summarize(periods, &[&cdnow], &full).status.success());
        let out = summarize(periods, &reversed, &together);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fs::read(&together).unwrap(), fs::read(&full).unwrap(), "{periods:?}");
    }
    // Standard input once at most.
    let twice = summarize(&PERIODS, &[Path::new("-"), Path::new("-")], &dir.join("x.csv"));
    assert_eq!(twice.status.code(), Some(1));
    assert!(stderr(&twice).contains("standard input (-) can be read once only"), "{}", stderr(&twice));
}

#[test]
fn monthly_files_in_any_order_give_the_full_summary() {
    let dir = scratch("state-monthly");
    let full = dir.join("full.csv");
    let cdnow = PathBuf::from(repo("data/cdnow/CDNOW_sample.txt"));
    assert!(summarize(&PERIODS, &[&cdnow], &full).status.success());
    // 18 monthly files (by the date field), applied in a scrambled order, one to three at a time.
    let months = split_cdnow(&dir, |_, line| format!("{}.txt", &line.split_whitespace().nth(2).unwrap()[..6]));
    assert_eq!(months.len(), 18);
    let order: Vec<&Path> = (0..18).map(|k| months[(k * 7 + 5) % 18].as_path()).collect();
    let state = dir.join("cdnow.state");
    let state_flag = ["--state", state.to_str().unwrap()];
    let out = dir.join("incremental.csv");
    for batch in order.chunks(3).flat_map(|c| [&c[..1], &c[1..]]) {
        let flags = [&state_flag[..], &PERIODS].concat();
        let update = summarize(&flags, batch, &out);
        assert!(update.status.success(), "{}", stderr(&update));
    }
    assert_eq!(fs::read(&out).unwrap(), fs::read(&full).unwrap(), "the same summary, byte for byte");
    assert_eq!(
        fs::read(dir.join("incremental.csv.meta.json")).unwrap(),
        fs::read(dir.join("full.csv.meta.json")).unwrap()
    );
    // The state alone, with other periods: a 39-week holdout at the end of the data, and by calendar month.
    for periods in [&["--holdout", "39w"][..], &["--opportunities", "month", "--calibration-end", "1997-09-30"]] {
        let (from_full, from_state) = (dir.join("full2.csv"), dir.join("state2.csv"));
        assert!(summarize(periods, &[&cdnow], &from_full).status.success());
        let again = summarize(&[&state_flag[..], periods].concat(), &[], &from_state);
        assert!(again.status.success(), "{}", stderr(&again));
        assert_eq!(fs::read(&from_state).unwrap(), fs::read(&from_full).unwrap(), "{periods:?}");
    }
    // A file applied again is passed over and changes nothing; a file of days already applied is refused.
    let before = fs::read(&state).unwrap();
    let mut args: Vec<&str> = vec!["summarize", "-o", out.to_str().unwrap(), order[4].to_str().unwrap()];
    args.extend(LAYOUT.iter().chain(&state_flag).chain(&PERIODS));
    let repeated = clv(&args);
    assert!(repeated.status.success(), "{}", stderr(&repeated));
    assert!(stderr(&repeated).contains("in the state already"), "{}", stderr(&repeated));
    assert_eq!(fs::read(&state).unwrap(), before);
    assert_eq!(fs::read(&out).unwrap(), fs::read(&full).unwrap());
    let late = dir.join("late.txt");
    fs::write(&late, " 00001 0001 19970315  1   10.00\n").unwrap();
    let overlapping = summarize(&[&state_flag[..], &PERIODS].concat(), &[&late], &out);
    assert_eq!(overlapping.status.code(), Some(1));
    assert!(
        stderr(&overlapping).contains("199703.txt (1997-03-01 to 1997-03-31) already in the state"),
        "{}",
        stderr(&overlapping)
    );
    assert_eq!(fs::read(&state).unwrap(), before);
}

#[test]
fn overlapping_files_merged_give_the_full_summary() {
    let dir = scratch("state-merged");
    let cdnow = PathBuf::from(repo("data/cdnow/CDNOW_sample.txt"));
    let full = dir.join("full.csv");
    assert!(summarize(&PERIODS, &[&cdnow], &full).status.success());
    // Rows dealt to three files in turn: every file spans (nearly) the whole period, and same-day purchases of a
    // customer are split across files.
    let parts = split_cdnow(&dir, |i, _| format!("part{}.txt", i % 3));
    let state = dir.join("dealt.state");
    let out = dir.join("merged.csv");
    let flags = [&["--state", state.to_str().unwrap(), "--overlap", "merge"][..], &PERIODS].concat();
    for part in [&parts[2], &parts[0], &parts[1]] {
        let update = summarize(&flags, &[part], &out);
        assert!(update.status.success(), "{}", stderr(&update));
    }
    assert_eq!(fs::read(&out).unwrap(), fs::read(&full).unwrap());
    // Without --overlap merge the second file would have been refused.
    let strict = dir.join("strict.state");
    let strict_flags = [&["--state", strict.to_str().unwrap()][..], &PERIODS].concat();
    assert!(summarize(&strict_flags, &[&parts[0]], &out).status.success());
    let refused = summarize(&strict_flags, &[&parts[1]], &out);
    assert!(!refused.status.success() && stderr(&refused).contains("--overlap merge"), "{}", stderr(&refused));
    // A missing state without files, and a state that is not one, are errors naming the file.
    let missing = summarize(&["--state", dir.join("none.state").to_str().unwrap()], &[], &out);
    assert!(stderr(&missing).contains("none.state: no such state"), "{}", stderr(&missing));
    let not_state = dir.join("bad.state");
    fs::write(&not_state, "customer,date\n1,2020-01-01\n").unwrap();
    let bad = summarize(&["--state", not_state.to_str().unwrap()], &[], &out);
    assert!(stderr(&bad).contains("bad.state, line 1: not a clv summary state"), "{}", stderr(&bad));
}

#[test]
fn a_killed_update_leaves_the_previous_state_whole() {
    let dir = scratch("state-killed");
    // A large log from the simulator, in two halves of customers: the first starts the state, the second is
    // added by updates killed at several moments.
    let (a, b) = simulated_halves(&dir, 400_000, 5);
    let log = dir.join("log.csv");
    let state = dir.join("big.state");
    let flags = ["summarize", "-q", "--state", state.to_str().unwrap(), "--overlap", "merge"];
    let out = dir.join("summary.csv");
    let started = clv(&[&flags[..], &[a.to_str().unwrap(), "-o", out.to_str().unwrap()]].concat());
    assert!(started.status.success(), "{}", stderr(&started));
    let before = fs::read(&state).unwrap();
    for delay_ms in [100, 400, 900, 1600] {
        run_and_kill(&[&flags[..], &[b.to_str().unwrap(), "-o", out.to_str().unwrap()]].concat(), delay_ms);
        // The state is the previous one, byte for byte, or (the update had written it) a whole new one: it reads
        // back with its fingerprint checked.
        let now = fs::read(&state).unwrap();
        let readable = clv(&["summarize", "-q", "--state", state.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert!(readable.status.success(), "after a kill at {delay_ms} ms: {}", stderr(&readable));
        if now != before {
            break;
        }
    }
    // Whatever was killed, the next update (or a repeat of a finished one, refused) leaves a whole state with both.
    let next = clv(&[&flags[..], &[b.to_str().unwrap(), "-o", out.to_str().unwrap()]].concat());
    assert!(next.status.success() || stderr(&next).contains("in the state already"), "{}", stderr(&next));
    let both = clv(&["summarize", "-q", "--state", state.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(both.status.success(), "{}", stderr(&both));
    let full = dir.join("full.csv");
    assert!(clv(&["summarize", "-q", log.to_str().unwrap(), "-o", full.to_str().unwrap()]).status.success());
    assert_eq!(fs::read(&out).unwrap(), fs::read(&full).unwrap());
}

#[test]
fn a_scheduled_run_reads_only_the_new_files_and_reports_what_changed() {
    let dir = scratch("state-run");
    let months = split_cdnow(&dir, |_, line| format!("{}.txt", &line.split_whitespace().nth(2).unwrap()[..6]));
    let (state, out) = (dir.join("orders.state"), dir.join("run"));
    let run = |files: &[PathBuf], extra: &[&str]| {
        let mut args = vec!["run", "--state", state.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"];
        args.extend(LAYOUT.iter().chain(&["--holdout", "13w"]).chain(extra));
        args.extend(files.iter().map(|f| f.to_str().unwrap()));
        clv(&args)
    };
    // 1997, then the first quarter of 1998 added to the state and the run refitted.
    let first = run(&months[..12], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = run(&months[12..15], &["--refit"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let record = read_json(&out.join("run.json"));
    assert!(record["input"].as_str().unwrap().contains("summary state: 15 files"), "{}", record["input"]);
    assert_eq!(record["drift"]["customers"]["counts"]["previous"].as_u64(), Some(2357));
    // The run's summary is the summary of the fifteen months read together.
    let together = dir.join("together.txt");
    fs::write(&together, months[..15].iter().map(|m| fs::read_to_string(m).unwrap()).collect::<String>()).unwrap();
    let direct = dir.join("direct.csv");
    assert!(summarize(&["--holdout", "13w"], &[&together], &direct).status.success());
    assert_eq!(fs::read(out.join("summary.csv")).unwrap(), fs::read(&direct).unwrap());
    // The same job again: its files are passed over, the run is unchanged, nothing is written.
    let state_before = fs::read(&state).unwrap();
    let again = run(&months[12..15], &["--refit"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(fs::read(&state).unwrap(), state_before);
    assert_eq!(read_json(&out.join("run.json")), record);
}
