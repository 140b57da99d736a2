//! BG/BB through the binary: a log of yearly donations summarised as discrete opportunities reproduces the
//! published donation patterns and their MLE; predictions, values and simulations of the model.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

mod common;
use common::*;

/// The bundled donations table: (frequency, recency, periods) -> donors.
fn donation_patterns() -> BTreeMap<(u32, u32, u32), u32> {
    let mut reader = csv::Reader::from_path(repo("data/donations/donations.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let v = |i: usize| r[i].parse::<u32>().unwrap();
            ((v(0), v(1), v(2)), v(3))
        })
        .collect()
}

/// A donation log behind the published patterns: every donor first gives in 1995, then in the x years ending
/// with 1995 + t_x; some give twice in a year (merged), some rows are out of date order, and donors 2, 4, ...
/// of each pattern with t_x = 6 give again in 2002 (the holdout year).
fn write_donation_log(path: &Path) -> u32 {
    let mut text = String::from("donor,date,amount\n");
    let mut holdout = 0;
    for (row, (&(x, t_x, _), &donors)) in donation_patterns().iter().enumerate() {
        for donor in 1..=donors {
            let id = format!("d{row}-{donor}");
            let month = 1 + (donor % 12);
            let mut rows = vec![format!("{id},1995-{month:02}-15,{}", 20 + donor % 7)];
            for year in (1995 + t_x - x + 1)..=(1995 + t_x) {
                rows.push(format!("{id},{year}-{month:02}-{:02},{}", 1 + donor % 28, 10 + (year + donor) % 30));
                if donor % 5 == 0 && year == 1995 + t_x {
                    rows.push(format!("{id},{year}-12-31,5"));
                }
            }
            if t_x == 6 && donor % 2 == 0 {
                rows.push(format!("{id},2002-06-01,25"));
                holdout += 1;
            }
            if donor % 3 == 0 {
                rows.reverse();
            }
            rows.iter().for_each(|r| writeln!(text, "{r}").unwrap());
        }
    }
    fs::write(path, text).unwrap();
    holdout
}

/// Reads a summary CSV into (frequency, recency, periods) -> customers, with the holdout purchases summed.
fn summary_patterns(path: &Path) -> (BTreeMap<(u32, u32, u32), u32>, u64) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let (x, t_x, n) = (column("frequency"), column("recency"), column("periods"));
    let holdout = header.iter().position(|h| h == "frequency_holdout");
    let mut patterns = BTreeMap::new();
    let mut holdout_total = 0;
    for record in reader.records() {
        let r = record.unwrap();
        let v = |i: usize| r[i].parse::<u32>().unwrap();
        *patterns.entry((v(x), v(t_x), v(n))).or_insert(0) += 1;
        holdout_total += holdout.map_or(0, |h| u64::from(v(h)));
    }
    (patterns, holdout_total)
}

/// How the donation log is summarised: donors by calendar year, calibration to 2001.
const DONATION_FLAGS: [&str; 8] =
    ["--customer", "donor", "--amount", "amount", "--opportunities", "year", "--calibration-end", "2001-12-31"];

/// Summarises `log` into `summary` with `flags`; the report.
fn summarize_log(log: &Path, summary: &Path, flags: &[&str]) -> String {
    let mut args = vec!["summarize", log.to_str().unwrap(), "-o", summary.to_str().unwrap()];
    args.extend(flags);
    run_ok(&args)
}

fn run_ok(args: &[&str]) -> String {
    let out = clv(args);
    assert!(out.status.success(), "clv {args:?}: {}", stderr(&out));
    stderr(&out)
}

fn model_params(path: &Path) -> (Vec<f64>, Vec<f64>, f64) {
    let file = read_json(path);
    let get = |key: &str| ["alpha", "beta", "gamma", "delta"].map(|k| file[key][k].as_f64().unwrap()).to_vec();
    (get("params"), get("standard_errors"), file["log_likelihood"].as_f64().unwrap())
}

#[test]
fn a_donation_log_summarises_to_the_published_patterns_and_fits_the_mle() {
    let dir = scratch("bg_bb_donation_log");
    let log = dir.join("donations_log.csv");
    let holdout = write_donation_log(&log);
    let summary = dir.join("yearly.csv");
    let report = summarize_log(&log, &summary, &[&DONATION_FLAGS[..], &["--observation-end", "2002-12-31"]].concat());
    assert!(report.contains("merged into a purchase of the same year"), "{report}");
    assert!(report.contains("not in date order"), "{report}");
    let (patterns, holdout_total) = summary_patterns(&summary);
    assert_eq!(patterns, donation_patterns(), "the summary has exactly the published patterns");
    assert_eq!(holdout_total, u64::from(holdout));
    let meta = read_json(&dir.join("yearly.csv.meta.json"));
    assert_eq!(meta["time_unit"], "year");

    let model = dir.join("bg_bb.json");
    let fit = run_ok(&["fit", summary.to_str().unwrap(), "--model", "bg-bb", "-o", model.to_str().unwrap()]);
    assert!(fit.contains("opportunities of one year"), "{fit}");
    let reference = reference();
    let (params, _, log_likelihood) = model_params(&model);
    for (name, got) in ["alpha", "beta", "gamma", "delta"].iter().zip(&params) {
        let want = reference["donations_bg_bb"]["mle"]["params"][name].as_f64().unwrap();
        assert!(((got - want) / want).abs() < 1e-6, "{name}: {got} vs {want}");
    }
    let want_ll = reference["donations_bg_bb"]["mle"]["log_likelihood"].as_f64().unwrap();
    assert!((log_likelihood - want_ll).abs() < 1e-4, "{log_likelihood} vs {want_ll}");

    // The same fit from the bundled pattern table, whose rows stand for `weights` donors each.
    let table_model = dir.join("table.json");
    let table = repo("data/donations/donations.csv");
    run_ok(&["fit", &table, "--model", "bg-bb", "--unit", "year", "-q", "-o", table_model.to_str().unwrap()]);
    let (table_params, ..) = model_params(&table_model);
    for (a, b) in params.iter().zip(&table_params) {
        assert!(((a - b) / b).abs() < 1e-9, "{a} vs {b}");
    }

    // The holdout year against the model: one opportunity.
    let out = clv(&["compare", "--model", model.to_str().unwrap(), summary.to_str().unwrap()]);
    let compare = String::from_utf8_lossy(&out.stdout);
    assert!(
        compare.contains(&format!("actual total {holdout}.00")) && compare.contains("holdout 1 year\n"),
        "{compare}"
    );
}

#[test]
fn opportunity_windows_must_be_whole_periods_and_models_must_match_the_summary() {
    let dir = scratch("bg_bb_windows");
    let log = dir.join("log.csv");
    fs::write(&log, "c,date\na,1995-03-01\na,1996-05-01\nb,1995-07-07\n").unwrap();
    let summarize = |extra: &[&str]| {
        let mut args = vec!["summarize", log.to_str().unwrap(), "--customer", "c", "--opportunities", "year"];
        args.extend(extra);
        clv(&args)
    };
    let out = summarize(&["--calibration-end", "1996-09-30"]);
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(
        message.contains("1996-09-30 is not the last day of a year") && message.contains("1995-12-31"),
        "{message}"
    );
    let out = summarize(&[]);
    assert!(!out.status.success() && stderr(&out).contains("needs --calibration-end"), "{}", stderr(&out));
    let out = summarize(&["--calibration-end", "1996-12-31", "--observation-end", "1997-02-01"]);
    assert!(stderr(&out).contains("observation end 1997-02-01 is not the last day"), "{}", stderr(&out));

    let summary = dir.join("s.csv");
    let s = summary.to_str().unwrap();
    summarize_log(
        &log,
        &summary,
        &["--customer", "c", "--opportunities", "month", "--calibration-end", "1996-12-31", "-q"],
    );
    let text = fs::read_to_string(&summary).unwrap();
    // a: first in March 1995, again in May 1996 (14 months later), 21 monthly opportunities to December 1996.
    assert_eq!(text, "customer_id,frequency,recency,periods\na,1,14,21\nb,0,0,17\n");
    let out = clv(&["fit", s, "--model", "bg-nbd"]);
    assert!(stderr(&out).contains("counts discrete opportunities (periods): use bg-bb"), "{}", stderr(&out));
    let cdnow = cdnow_summary(&dir);
    let out = clv(&["fit", cdnow.to_str().unwrap(), "--model", "bg-bb"]);
    assert!(stderr(&out).contains("summarise with --opportunities"), "{}", stderr(&out));

    let bad = dir.join("bad.csv");
    fs::write(&bad, "frequency,recency,periods,weights\n3,2,6,10\n").unwrap();
    let out = clv(&["fit", bad.to_str().unwrap(), "--model", "bg-bb", "--unit", "year"]);
    assert!(
        stderr(&out).contains("line 2") && stderr(&out).contains("at most one per opportunity"),
        "{}",
        stderr(&out)
    );
    fs::write(&bad, "frequency,recency,periods,weights\n1,2.5,6,10\n").unwrap();
    let out = clv(&["fit", bad.to_str().unwrap(), "--model", "bg-bb", "--unit", "year"]);
    assert!(stderr(&out).contains("not a whole number of opportunities"), "{}", stderr(&out));
}

#[test]
fn predictions_and_values_of_donors() {
    let dir = scratch("bg_bb_predict_value");
    let model = dir.join("bg_bb.json");
    let table = repo("data/donations/donations.csv");
    run_ok(&["fit", &table, "--model", "bg-bb", "--unit", "year", "-q", "-o", model.to_str().unwrap()]);
    let predictions = dir.join("p.csv");
    run_ok(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        &table,
        "--horizon",
        "5",
        "-q",
        "-o",
        predictions.to_str().unwrap(),
    ]);
    let mut reader = csv::Reader::from_path(&predictions).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 11_104, "one row per donor");
    // Row 2 of the table is (0, 0, 6) x 3464 donors: all the same, P(alive) near the published 0.11.
    assert_eq!(&rows[0][0], "row2-1");
    assert_eq!(&rows[3463][0], "row2-3464");
    let alive: f64 = rows[0][2].parse().unwrap();
    assert!((alive - 0.11).abs() < 0.005, "{alive}");
    let out = clv(&["predict", "--model", model.to_str().unwrap(), &table, "--horizon", "39w"]);
    assert!(stderr(&out).contains("not a whole number"), "{}", stderr(&out));

    // Values: an infinite horizon equals a 200-year one (the tail is discounted by 1.1^-200), computed by the
    // series and by the sum of yearly increments respectively.
    let dir_log = scratch("bg_bb_values_log");
    let log = dir_log.join("log.csv");
    write_donation_log(&log);
    let summary = dir_log.join("yearly.csv");
    let s = summary.to_str().unwrap();
    summarize_log(&log, &summary, &[&DONATION_FLAGS[..], &["-q"]].concat());
    let (count, spend) = (dir_log.join("bg_bb.json"), dir_log.join("gg.json"));
    run_ok(&["fit", s, "--model", "bg-bb", "-q", "-o", count.to_str().unwrap()]);
    run_ok(&["fit", s, "--model", "gamma-gamma", "-q", "-o", spend.to_str().unwrap()]);
    let value = |extra: &[&str], name: &str| -> Vec<f64> {
        let out = dir_log.join(name);
        let mut args = vec!["value", "--model", count.to_str().unwrap(), "--spend", spend.to_str().unwrap(), s, "-q"];
        args.extend(extra);
        args.extend(["-o", out.to_str().unwrap()]);
        run_ok(&args);
        let mut reader = csv::Reader::from_path(&out).unwrap();
        let column = reader.headers().unwrap().iter().position(|h| h == "discounted_purchases").unwrap();
        reader.records().map(|r| r.unwrap()[column].parse().unwrap()).collect()
    };
    let infinite = value(&[], "inf.csv");
    let long = value(&["--horizon", "200"], "long.csv");
    let five = value(&["--horizon", "5"], "five.csv");
    assert_eq!(infinite.len(), 11_104);
    for ((a, b), c) in infinite.iter().zip(&long).zip(&five) {
        assert!((a - b).abs() <= 1e-8 * a, "{a} vs {b}");
        assert!(c < b && *c > 0.0);
    }
}

#[test]
fn bg_bb_simulations_summarise_alike_and_recover_known_parameters() {
    let dir = scratch("bg_bb_simulate");
    let truth = dir.join("truth.json");
    fs::write(
        &truth,
        r#"{"model": "bg_bb", "time_unit": "year", "params": {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}}"#,
    )
    .unwrap();
    let t = truth.to_str().unwrap();
    // A log and a summary of the same simulated donors agree once the log is summarised by year.
    let (log, direct, from_log) = (dir.join("log.csv"), dir.join("direct.csv"), dir.join("from_log.csv"));
    let common = ["simulate", "--model", t, "--customers", "3000", "--seed", "5", "--start", "1995-01-01", "-q"];
    run_ok(&[&common[..], &["-o", log.to_str().unwrap()]].concat());
    run_ok(&[&common[..], &["--summary", "-o", direct.to_str().unwrap()]].concat());
    summarize_log(&log, &from_log, &["--opportunities", "year", "--calibration-end", "2001-12-31", "-q"]);
    assert_eq!(summary_patterns(&direct).0, summary_patterns(&from_log).0);

    // Recovery: 200,000 donors, six opportunities, every estimate within three standard errors.
    let big = dir.join("big.csv");
    run_ok(&[
        "simulate",
        "--model",
        t,
        "--customers",
        "200000",
        "--seed",
        "11",
        "--summary",
        "-q",
        "-o",
        big.to_str().unwrap(),
    ]);
    let fitted = dir.join("fitted.json");
    run_ok(&["fit", big.to_str().unwrap(), "--model", "bg-bb", "-q", "-o", fitted.to_str().unwrap()]);
    let (params, errors, _) = model_params(&fitted);
    for ((got, se), want) in params.iter().zip(&errors).zip([1.2, 0.75, 0.66, 2.8]) {
        assert!((got - want).abs() < 3.0 * se, "{got} ± {se}, truth {want}");
    }
}
