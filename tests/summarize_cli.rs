//! `clv summarize` through the real binary: the CDNOW reference figures, and every bad-input case (exit status,
//! message with file, line and column, no output file left behind).

use std::fs;
use std::process::{Command, Output};

mod common;
use common::*;

/// Parses a summary CSV into (header, rows of fields).
fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

/// Summarises `file` with the CDNOW flags in a scratch folder of its own (`tag`: tests run in parallel).
fn summarize_cdnow(tag: &str, file: &str, extra: &[&str]) -> (Output, String) {
    let dir = scratch(&format!("cdnow-{tag}"));
    let out = dir.join("summary.csv");
    let mut args = vec!["summarize", file];
    args.extend(CDNOW_ARGS);
    args.extend(["-o", out.to_str().unwrap()]);
    args.extend(extra);
    let result = clv(&args);
    assert!(result.status.success(), "{}", stderr(&result));
    (result, fs::read_to_string(out).unwrap())
}

#[test]
fn cdnow_sample_reproduces_the_published_summary_statistics() {
    let (result, csv_text) = summarize_cdnow(
        "cdnow_sample_reproduces_the_published_summary_statistics",
        &repo("data/cdnow/CDNOW_sample.txt"),
        &[],
    );
    let (header, rows) = read_csv(&csv_text);
    assert_eq!(
        header,
        [
            "customer_id",
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "frequency_holdout",
            "monetary_value_holdout",
            "duration_holdout"
        ]
    );
    let col = |name: &str| {
        let i = header.iter().position(|h| h == name).unwrap();
        rows.iter().map(|r| r[i].parse::<f64>().unwrap()).collect::<Vec<f64>>()
    };
    let stats = &reference()["cdnow_sample"]["summary_stats"];
    let want = |key: &str| stats[key].as_f64().unwrap();
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    let (x, t_x, t, m) = (col("frequency"), col("recency"), col("T"), col("monetary_value"));
    assert_eq!(rows.len() as f64, want("n_customers"));
    assert_eq!(x.iter().filter(|&&v| v > 0.0).count() as f64, want("n_repeaters"));
    assert_eq!(sum(&x), want("sum_frequency"));
    assert_eq!(x.iter().cloned().fold(0.0, f64::max), want("max_frequency"));
    // Sums of 2357 values printed at full precision: only summation-order rounding may differ.
    let close = |got: f64, key: &str| assert!((got - want(key)).abs() <= 1e-9 * want(key), "{key}: {got}");
    close(sum(&t_x), "sum_recency");
    close(sum(&t), "sum_T");
    close(sum(&m), "sum_monetary_value");
    assert_eq!(t.iter().cloned().fold(f64::INFINITY, f64::min), want("min_T"));
    assert_eq!(t.iter().cloned().fold(0.0, f64::max), want("max_T"));
    let holdout = reference()["cdnow_sample"]["holdout_actual_total_repeat_purchases"].as_f64().unwrap();
    assert_eq!(sum(&col("frequency_holdout")), holdout);
    // Holdout: 1997-10-01 to 1998-06-30 is 273 days = 39 weeks.
    assert!(col("duration_holdout").iter().all(|&d| d == 39.0));
    // First rows in order of first purchase, ties by id; customer 1 bought 1997-01-01, -18 and -08-02.
    assert_eq!(rows[0][..5], ["0001", "2", &(213.0f64 / 7.0).to_string(), &(272.0f64 / 7.0).to_string(), "22.345"]);
    let report = stderr(&result);
    for needle in ["rows read             6919", "223 merged", "customers             2357", "1882 purchases"] {
        assert!(report.contains(needle), "report lacks '{needle}':\n{report}");
    }
}

#[test]
fn the_summary_matches_the_published_per_customer_file() {
    let (_, csv_text) = summarize_cdnow(
        "the_summary_matches_the_published_per_customer_file",
        &repo("data/cdnow/CDNOW_sample.txt"),
        &[],
    );
    let (_, rows) = read_csv(&csv_text);
    let published = fs::read_to_string(repo("tests/reference/cdnow_customers_summary_with_transactions.csv")).unwrap();
    let (_, want) = read_csv(&published);
    assert_eq!(rows.len(), want.len());
    for (got, want) in rows.iter().zip(&want) {
        assert_eq!(got[0].parse::<u32>().unwrap(), want[0].parse::<u32>().unwrap());
        assert_eq!(got[1], want[1], "frequency of {}", want[0]);
        // The published file is rounded to 2 decimals.
        for (g, w) in [(2, 2), (3, 3), (4, 4)] {
            let (g, w) = (got[g].parse::<f64>().unwrap(), want[w].parse::<f64>().unwrap());
            assert!((g - w).abs() <= 0.005 + 1e-9, "customer {}: {g} vs {w}", want[0]);
        }
    }
}

#[test]
fn an_unsorted_log_gives_the_same_summary_as_a_sorted_one() {
    let dir = scratch("unsorted");
    let text = fs::read_to_string(repo("data/cdnow/CDNOW_sample.txt")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    // A fixed permutation that scrambles dates within customers (no randomness: reproducible).
    let n = lines.len();
    let mut shuffled = Vec::with_capacity(n);
    for i in 0..n {
        shuffled.push(lines[(i * 2741) % n]);
    }
    lines.sort_by_key(|l| std::cmp::Reverse(l.split_whitespace().nth(2).unwrap().to_string()));
    let reversed = dir.join("reversed.txt");
    fs::write(&reversed, lines.join("\n")).unwrap();
    let scrambled = dir.join("scrambled.txt");
    fs::write(&scrambled, shuffled.join("\n") + "\n").unwrap();
    let (_, sorted) = summarize_cdnow(
        "an_unsorted_log_gives_the_same_summary_as_a_sorted_one",
        &repo("data/cdnow/CDNOW_sample.txt"),
        &[],
    );
    for file in [&reversed, &scrambled] {
        let (result, csv_text) =
            summarize_cdnow(&file.file_name().unwrap().to_string_lossy(), file.to_str().unwrap(), &[]);
        let differing = csv_text.lines().zip(sorted.lines()).find(|(a, b)| a != b);
        assert_eq!(differing, None, "{}", file.display());
        assert_eq!(csv_text.len(), sorted.len());
        assert!(stderr(&result).contains("not in date order"));
    }
}

/// `clv summarize -` with `args`, the CDNOW sample on standard input; the summary from standard output.
fn summarize_cdnow_stdin(args: &[&str]) -> String {
    let data = fs::read(repo("data/cdnow/CDNOW_sample.txt")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(["summarize", "-", "-q"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn standard_input_and_standard_output() {
    let (_, file_text) =
        summarize_cdnow("standard_input_and_standard_output", &repo("data/cdnow/CDNOW_sample.txt"), &[]);
    assert_eq!(summarize_cdnow_stdin(&CDNOW_ARGS), file_text);
    // A holdout at the end of standard input: the log is read once and held until its last date is known.
    let flags = ["--whitespace", "--no-header", "--customer", "2", "--date", "3", "--amount", "5", "--holdout", "39w"];
    assert_eq!(summarize_cdnow_stdin(&flags), file_text);
}

#[test]
fn a_csv_with_a_header_count_only_and_no_holdout() {
    let dir = scratch("header");
    let log = dir.join("log.csv");
    fs::write(
        &log,
        "\u{feff}Customer,When,Spend\r\n\"b, inc\",2020-01-01 09:00,10\r\na,2020-01-01,5\r\na,2020-01-01 18:00,1\r\n\
         a,2020-01-15,4\r\n\r\n\"b, inc\",2020-01-29,2\r\n",
    )
    .unwrap();
    let out = dir.join("s.csv");
    let result = clv(&[
        "summarize",
        log.to_str().unwrap(),
        "--customer",
        "customer",
        "--date",
        "When",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    // No amount column named: count-only; no calibration end: no holdout; T to the last date (2020-01-29).
    assert_eq!(fs::read_to_string(&out).unwrap(), "customer_id,frequency,recency,T\na,1,2,4\n\"b, inc\",1,4,4\n");
    let report = stderr(&result);
    assert!(report.contains("1 merged") && report.contains("blank lines           1"), "{report}");

    let result = clv(&[
        "summarize",
        log.to_str().unwrap(),
        "--customer",
        "1",
        "--date",
        "2",
        "--amount",
        "Spend",
        "--unit",
        "day",
        "--calibration-end",
        "2020-01-20",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        "customer_id,frequency,recency,T,monetary_value,frequency_holdout,monetary_value_holdout,duration_holdout\n\
         a,1,14,19,4,0,0,9\n\"b, inc\",0,0,19,0,1,2,9\n"
    );
}

#[test]
fn customers_first_seen_after_the_calibration_end_are_left_out_and_counted() {
    let dir = scratch("later");
    let log = dir.join("log.csv");
    fs::write(&log, "id,date\n1,2020-01-01\n2,2020-03-01\n2,2020-03-05\n1,2020-04-01\n1,2020-06-01\n").unwrap();
    let out = dir.join("s.csv");
    let result = clv(&[
        "summarize",
        log.to_str().unwrap(),
        "--calibration-end",
        "2020-02-01",
        "--observation-end",
        "2020-05-01",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    let report = stderr(&result);
    assert!(report.contains("2 (of 1 customer whose first purchase is after the calibration end)"), "{report}");
    assert!(report.contains("1 dated after the observation end"), "{report}");
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        format!(
            "customer_id,frequency,recency,T,frequency_holdout,duration_holdout\n1,0,0,{},1,{}\n",
            31.0 / 7.0,
            90.0 / 7.0
        )
    );
}

/// Runs summarize on `content` expecting a failure; checks the status, the message and that no output exists.
fn expect_failure(name: &str, content: &[u8], extra: &[&str], needles: &[&str]) {
    let dir = scratch(&format!("bad-{name}"));
    let log = dir.join("log.csv");
    fs::write(&log, content).unwrap();
    let out = dir.join("summary.csv");
    let mut args = vec!["summarize", log.to_str().unwrap(), "--amount", "3", "-o", out.to_str().unwrap()];
    args.extend(extra);
    let result = clv(&args);
    assert_eq!(result.status.code(), Some(1), "{name}");
    let message = stderr(&result);
    assert!(message.contains(log.to_str().unwrap()), "{name}: the message names the file: {message}");
    for needle in needles {
        assert!(message.contains(needle), "{name}: message lacks '{needle}': {message}");
    }
    assert!(!out.exists(), "{name}: no output file");
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "{name}: no temporary file left");
}

const GOOD: &str = "id,date,amount\n1,2020-01-01,1.5\n2,2020-01-02,2\n";

#[test]
fn unparseable_date() {
    let content = format!("{GOOD}3,2020-02-30,1\n");
    expect_failure(
        "date",
        content.as_bytes(),
        &[],
        &["line 4", "column 2 'date' (date)", "'2020-02-30' is not a date"],
    );
}

#[test]
fn non_numeric_amount() {
    let content = format!("{GOOD}3,2020-02-03,12,50\n3,2020-02-03,1 2\n");
    expect_failure(
        "amount",
        content.as_bytes(),
        &[],
        &["line 5", "column 3 'amount' (amount)", "'1 2' is not a number"],
    );
}

#[test]
fn missing_column_in_the_header_and_in_a_row() {
    expect_failure("header", GOOD.as_bytes(), &["--date", "day"], &["line 1", "no column named 'day'", "2 'date'"]);
    let content = format!("{GOOD}3,2020-02-03\n");
    expect_failure("row", content.as_bytes(), &[], &["line 4", "column 3 'amount' (amount)", "only 2 fields"]);
}

#[test]
fn empty_file() {
    expect_failure("empty", b"", &[], &["the file is empty"]);
    expect_failure("header-only", b"id,date,amount\n\n", &[], &["no purchase rows"]);
}

#[test]
fn blank_customer_id() {
    let content = format!("{GOOD}  ,2020-02-03,1\n");
    expect_failure("blank", content.as_bytes(), &[], &["line 4", "column 1 'id' (customer)", "customer id is blank"]);
}

#[test]
fn negative_amount_is_refused_with_the_way_out_named() {
    let content = format!("{GOOD}2,2020-02-03,-2\n");
    expect_failure("negative", content.as_bytes(), &[], &["line 4", "-2 is negative", "--negative skip"]);
}

#[test]
fn bad_rows_are_skipped_and_counted_only_when_asked() {
    let dir = scratch("skip");
    let log = dir.join("log.csv");
    fs::write(&log, format!("{GOOD}3,2020-02-30,1\n4,2020-02-03,x\n2,2020-02-03,-2\n,2020-02-03,1\n2,2020-02-04,3\n"))
        .unwrap();
    let out = dir.join("s.csv");
    let args = ["summarize", log.to_str().unwrap(), "--amount", "3", "--unit", "day", "-o", out.to_str().unwrap()];
    let result = clv(&[&args[..], &["--skip-bad-rows", "--negative", "skip"]].concat());
    assert!(result.status.success(), "{}", stderr(&result));
    let report = stderr(&result);
    for needle in [
        "rows read             7",
        "rows used             3",
        "1 (unparseable date; first at line 4",
        "1 (non-numeric amount; first at line 5",
        "1 (negative amount; first at line 6",
        "1 (blank customer id; first at line 7",
    ] {
        assert!(report.contains(needle), "report lacks '{needle}':\n{report}");
    }
    assert_eq!(fs::read_to_string(&out).unwrap().lines().nth(2), Some("2,1,33,33,3"));
    // --skip-bad-rows alone does not skip negative amounts: that is its own choice.
    let result = clv(&[&args[..], &["--skip-bad-rows"]].concat());
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("line 6"), "{}", stderr(&result));
}

#[test]
fn bad_options_are_explained() {
    let dir = scratch("options");
    let log = dir.join("log.csv");
    fs::write(&log, GOOD).unwrap();
    let log = log.to_str().unwrap();
    let result = clv(&["summarize", log, "--calibration-end", "2020-03-01", "--observation-end", "2020-02-01"]);
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("calibration end 2020-03-01 is after the observation end 2020-02-01"));
    let result = clv(&["summarize", log, "--date-format", "%H:%M"]);
    assert!(stderr(&result).contains("does not name a full date"), "{}", stderr(&result));
    let result = clv(&["summarize", log, "--no-header", "--date", "date"]);
    assert!(stderr(&result).contains("no header"), "{}", stderr(&result));
    let result = clv(&["summarize", "/nonexistent/log.csv"]);
    assert!(stderr(&result).contains("/nonexistent/log.csv"), "{}", stderr(&result));
    assert_eq!(result.status.code(), Some(1));
}

#[test]
fn the_output_does_not_depend_on_the_thread_count() {
    let run = |threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_clv"))
            .env("RAYON_NUM_THREADS", threads)
            .args(["summarize", &repo("data/cdnow/CDNOW_sample.txt"), "-q"])
            .args(CDNOW_ARGS)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let one = run("1");
    assert!(one.len() > 100_000);
    assert_eq!(run("2"), one);
    assert_eq!(run("5"), one);
}

#[test]
fn a_closed_standard_output_is_not_an_error() {
    // `clv summarize ... | head -1`: the reader goes away after the first bytes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(["summarize", &repo("data/cdnow/CDNOW_sample.txt"), "-q"])
        .args(CDNOW_ARGS)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    use std::io::Read;
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
}

#[test]
fn a_holdout_length_ends_calibration_that_long_before_the_end() {
    let (_, dated) = summarize_cdnow(
        "a_holdout_length_ends_calibration_that_long_before_the_end",
        &repo("data/cdnow/CDNOW_sample.txt"),
        &[],
    );
    let dir = scratch("holdout-length");
    let file = repo("data/cdnow/CDNOW_sample.txt");
    let flags = ["--whitespace", "--no-header", "--customer", "2", "--date", "3", "--amount", "5"];
    // 39 weeks before the log's last date (1998-06-30, the log held until it is known), and before a given end.
    for extra in [&["--holdout", "39w"][..], &["--holdout", "273d", "--observation-end", "1998-06-30"]] {
        let out = dir.join("s.csv");
        let mut args = vec!["summarize", file.as_str(), "-o", out.to_str().unwrap()];
        args.extend(flags);
        args.extend(extra);
        let result = clv(&args);
        assert!(result.status.success(), "{}", stderr(&result));
        assert_eq!(fs::read_to_string(&out).unwrap(), dated, "{extra:?}");
    }
    let result = clv(&["summarize", &file, "--holdout", "39w", "--calibration-end", "1997-09-30"]);
    assert!(stderr(&result).contains("cannot be used with"), "{}", stderr(&result));
}
