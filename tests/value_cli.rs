//! `clv value` through the real binary: the published monthly-convention total, the report, and refusals.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::*;

/// Summary and fitted BG/NBD and Gamma-Gamma files of the CDNOW sample in `dir`.
fn fitted(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let summary = cdnow_summary(dir);
    let (count, spend) = (dir.join("bg.json"), dir.join("gg.json"));
    for (model, out) in [("bg-nbd", &count), ("gamma-gamma", &spend)] {
        let result = clv(&["fit", summary.to_str().unwrap(), "--model", model, "-q", "-o", out.to_str().unwrap()]);
        assert!(result.status.success(), "{}", stderr(&result));
    }
    (summary, count, spend)
}

/// `clv compare` of the fitted CDNOW models with `extra` flags; its standard output.
fn compare_cdnow(dir: &Path, extra: &[&str]) -> String {
    let (summary, count, spend) = fitted(dir);
    let mut args = vec!["compare", "--model", count.to_str().unwrap(), "--spend", spend.to_str().unwrap()];
    args.push(summary.to_str().unwrap());
    args.extend(extra);
    let result = clv(&args);
    assert!(result.status.success(), "{}", stderr(&result));
    String::from_utf8(result.stdout).unwrap()
}

fn column(text: &str, name: &str) -> Vec<f64> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let i = reader.headers().unwrap().iter().position(|h| h == name).unwrap();
    reader.records().map(|r| r.unwrap()[i].parse().unwrap()).collect()
}

#[test]
fn monthly_convention_total_and_the_report() {
    let dir = scratch("value-cli");
    let (summary, count, spend) = fitted(&dir);
    let out = dir.join("values.csv");
    let result = clv(&[
        "value",
        "--model",
        count.to_str().unwrap(),
        "--spend",
        spend.to_str().unwrap(),
        summary.to_str().unwrap(),
        "--schedule",
        "monthly-compat",
        "--months",
        "12",
        "--monthly-rate",
        "0.01",
        "--cac",
        "5",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    let text = fs::read_to_string(&out).unwrap();
    let header = text.lines().next().unwrap();
    for name in ["customer_id", "expected_purchases", "p_alive", "expected_spend", "clv", "simple_clv"] {
        assert!(header.split(',').any(|h| h == name), "{header}");
    }
    let clv_column = column(&text, "clv");
    assert_eq!(clv_column.len(), 2357);
    // The published total is at the lifetimes package's estimates; ours are the exact MLE, within 1e-6 of them.
    let want = reference()["cdnow_sample"]["clv_total_discrete_monthly_bg_gg"].as_f64().unwrap();
    let total: f64 = clv_column.iter().sum();
    assert!((total - want).abs() < 1e-4 * want, "{total} vs {want}");
    let meta = read_json(&dir.join("values.csv.meta.json"));
    assert_eq!(meta["time_unit"], "week");
    assert!(meta["discounting"].as_str().unwrap().contains("12 months of 4.345 weeks"));
    let report = stderr(&result);
    for needle in [
        "12 months of 4.345 weeks",
        "customer equity",
        "simple formula",
        "retention",
        "decile 1 (top 00-10%)",
        "LTV:CAC",
        "max CAC",
    ] {
        assert!(report.contains(needle), "report lacks '{needle}':\n{report}");
    }
}

#[test]
fn the_infinite_horizon_needs_a_rate_and_bad_inputs_are_refused() {
    let dir = scratch("value-refusals");
    let (summary, count, spend) = fitted(&dir);
    let base =
        ["value", "--model", count.to_str().unwrap(), "--spend", spend.to_str().unwrap(), summary.to_str().unwrap()];
    let run = |extra: &[&str]| clv(&[&base[..], extra].concat());
    for (extra, needle) in [
        (vec!["--discount-rate", "0"], "undiscounted infinite horizon"),
        (vec!["--discount-rate", "-0.1"], "must be 0 or more"),
        (vec!["--margin", "-0.2"], "margin -0.2 must be 0 or more"),
        (vec!["--horizon", "3q"], "not a time unit"),
        (vec!["--cac", "0"], "must be positive"),
    ] {
        let result = run(&extra);
        assert_eq!(result.status.code(), Some(1), "{extra:?}");
        assert!(stderr(&result).contains(needle), "{extra:?}: {}", stderr(&result));
    }
    // An undiscounted finite horizon is fine: its value is margin x spend x expected purchases.
    let result = run(&["--discount-rate", "0", "--horizon", "39", "-q"]);
    assert!(result.status.success(), "{}", stderr(&result));
    let text = String::from_utf8(result.stdout).unwrap();
    let (clv_col, spend_col, purchases) =
        (column(&text, "clv"), column(&text, "expected_spend"), column(&text, "expected_purchases"));
    assert!((clv_col[0] - spend_col[0] * purchases[0]).abs() < 1e-9 * clv_col[0]);
    // The acquisition cost from a period's spend and new customers: CAC = 100 / 10.
    let result = run(&["--acquisition-spend", "100", "--new-customers", "10", "--segments", "10,50"]);
    assert!(result.status.success(), "{}", stderr(&result));
    let report = stderr(&result);
    for needle in ["(CAC 10.00; max CAC = mean clv / 3", "clv 50 and above", "clv 10 to 50", "clv below 10"] {
        assert!(report.contains(needle), "lacks '{needle}':\n{report}");
    }
    // The simple formula with the user's own retention figure.
    let result = run(&["--retention", "0.6", "-q", "-o", dir.join("r.csv").to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    let simple = column(&fs::read_to_string(dir.join("r.csv")).unwrap(), "simple_clv");
    let result = run(&["-q", "-o", dir.join("e.csv").to_str().unwrap()]);
    assert!(result.status.success());
    let estimated = column(&fs::read_to_string(dir.join("e.csv")).unwrap(), "simple_clv");
    // Only the relationship length changes (2.5 years against the estimated ~1): one ratio for every customer.
    let ratios: Vec<f64> = simple.iter().zip(&estimated).filter(|(_, e)| **e > 0.0).map(|(s, e)| s / e).collect();
    assert!(ratios.len() > 100 && ratios[0] > 2.0, "{:?}", &ratios[..3]);
    assert!(ratios.iter().all(|r| (r - ratios[0]).abs() < 1e-12 * ratios[0]));
    let result = run(&["--retention", "1.2"]);
    assert!(stderr(&result).contains("must be at least 0 and below 1"), "{}", stderr(&result));
    // Models fitted on another summary are named in a warning.
    let other = dir.join("other.csv");
    fs::write(&other, fs::read_to_string(&summary).unwrap().replacen("0001,2,", "0001,3,", 1)).unwrap();
    let result = clv(&[
        "value",
        "--model",
        count.to_str().unwrap(),
        "--spend",
        spend.to_str().unwrap(),
        other.to_str().unwrap(),
        "-q",
    ]);
    assert!(result.status.success());
    assert!(stderr(&result).contains("was fitted on another summary"), "{}", stderr(&result));
}

#[test]
fn compare_on_the_cdnow_holdout() {
    let dir = scratch("compare-cli");
    let out = compare_cdnow(&dir, &[]);
    let count = dir.join("bg.json");
    // The BG/NBD fit implies 1653.41 holdout purchases (Fader, Hardie & Lee 2005); the actual count is 1882.
    let predicted = out.lines().find(|l| l.contains("predicted total")).unwrap();
    let model_total: f64 = predicted.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!((model_total - 1653.41).abs() < 0.005 * 1653.41, "{predicted}");
    for needle in
        ["purchases: actual total 1882.00", "revenue: actual total", "MAE per customer", "top 10% capture", "closer"]
    {
        assert!(out.contains(needle), "lacks '{needle}':\n{out}");
    }
    // Without a holdout there is nothing to compare.
    let no_holdout = dir.join("no_holdout.csv");
    fs::write(&no_holdout, "customer_id,frequency,recency,T\na,1,2,5\n").unwrap();
    let result = clv(&["compare", "--model", count.to_str().unwrap(), no_holdout.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("no holdout columns"), "{}", stderr(&result));
}

#[test]
fn bootstrap_intervals_through_the_binary() {
    let dir = scratch("value-intervals");
    let (summary, count, spend) = fitted(&dir);
    let run = |threads: &str, name: &str| {
        let out = dir.join(name);
        let result = std::process::Command::new(env!("CARGO_BIN_EXE_clv"))
            .args(["value", "--model", count.to_str().unwrap(), "--spend", spend.to_str().unwrap()])
            .args([summary.to_str().unwrap(), "--intervals", "60", "--seed", "3", "--horizon", "2y"])
            .args(["-o", out.to_str().unwrap()])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(result.status.success(), "{}", stderr(&result));
        (fs::read_to_string(out).unwrap(), stderr(&result))
    };
    let (one, report) = run("1", "one.csv");
    let (three, _) = run("3", "three.csv");
    assert_eq!(one, three, "the same seed gives the same intervals on 1 and 3 threads");
    assert!(report.contains("90% interval") && report.contains("60 replicates"), "{report}");
    // Every customer's value lies within its interval's ends or near them (percentile intervals of a smooth
    // function of the parameters), and the ends are ordered.
    let (values, low, high) = (column(&one, "clv"), column(&one, "clv_low"), column(&one, "clv_high"));
    assert!(low.iter().zip(&high).all(|(l, h)| l <= h));
    let inside = values.iter().zip(low.iter().zip(&high)).filter(|(v, (l, h))| l <= v && v <= h).count();
    assert!(inside as f64 > 0.95 * values.len() as f64, "{inside} of {}", values.len());
    let meta = read_json(&dir.join("one.csv.meta.json"));
    let equity: f64 = values.iter().sum();
    let interval = &meta["intervals"]["customer_equity"];
    assert!(interval["low"].as_f64().unwrap() < equity && equity < interval["high"].as_f64().unwrap());
    let bad = clv(&[
        "value",
        "--model",
        count.to_str().unwrap(),
        "--spend",
        spend.to_str().unwrap(),
        summary.to_str().unwrap(),
        "--intervals",
        "1",
    ]);
    assert!(stderr(&bad).contains("at least 2 replicates"), "{}", stderr(&bad));
}

#[test]
fn compare_with_intervals_of_the_expected_totals() {
    let out = compare_cdnow(&scratch("compare-intervals"), &["--intervals", "40", "--level", "0.8"]);
    assert!(out.contains("80% intervals of the model's expected totals"), "{out}");
    // The interval of expected holdout purchases surrounds the point prediction (1653.41 on CDNOW).
    let line = out.lines().find(|l| l.trim_start().starts_with("purchases ") && l.contains("the actual")).unwrap();
    let numbers: Vec<f64> = line.split_whitespace().filter_map(|w| w.trim_end_matches(':').parse().ok()).collect();
    assert!(numbers[0] < 1653.41 && 1653.41 < numbers[1], "{line}");
    assert!(line.contains("the actual 1882.00 is"), "{line}");
}
