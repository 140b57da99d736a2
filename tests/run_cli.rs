//! `clv run` and `clv report` through the binary: the bundled CDNOW sample end to end, the folder rules (no
//! overwrite without --force, a failed run changes nothing), determinism, and the report rendered in headless
//! Chromium with every chart present and drawn.

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;
use common::*;

fn run_into(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--out", dir.to_str().unwrap(), "-q"];
    args.extend(extra);
    clv(&args)
}

/// A purchase log with amounts in `dir/log.csv`: `customers` drawn from BG/NBD with `params` (JSON) and
/// Gamma-Gamma spend.
fn simulated_log(dir: &Path, params: &str, customers: usize) -> std::path::PathBuf {
    let (truth, spend, log) = (dir.join("truth.json"), dir.join("spend.json"), dir.join("log.csv"));
    fs::write(&truth, format!(r#"{{"model": "bg_nbd", "time_unit": "week", "params": {params}}}"#)).unwrap();
    fs::write(&spend, r#"{"model": "gamma_gamma", "time_unit": "week", "params": {"p": 6, "q": 4, "gamma": 15}}"#)
        .unwrap();
    let n = customers.to_string();
    let args = ["simulate", "--model", truth.to_str().unwrap(), "--spend", spend.to_str().unwrap(), "--customers", &n];
    let made = clv(&[&args[..], &["--seed", "3", "-q", "-o", log.to_str().unwrap()]].concat());
    assert!(made.status.success(), "{}", stderr(&made));
    log
}

fn csv_column(path: &Path, name: &str) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let column = reader.headers().unwrap().iter().position(|h| h == name).unwrap_or_else(|| panic!("{name}"));
    reader.records().map(|r| r.unwrap()[column].parse().unwrap()).collect()
}

#[test]
fn the_bundled_sample_runs_end_to_end() {
    let dir = scratch("run-cdnow").join("out");
    let result = run_into(&dir, &[]);
    assert!(result.status.success(), "{}", stderr(&result));
    let summary = String::from_utf8_lossy(&result.stdout).into_owned();
    for needle in ["2357 customers", "pareto_nbd", "customer equity", "holdout", "report.html"] {
        assert!(summary.contains(needle), "lacks '{needle}':\n{summary}");
    }
    for file in ["summary.csv", "summary.csv.meta.json", "model.pareto_nbd.json", "model.gamma_gamma.json"] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    let record = read_json(&dir.join("run.json"));
    assert_eq!(record["data"]["customers"], 2357);
    assert_eq!(record["data"]["holdout_purchases"], 1882);
    assert_eq!(record["count_model"]["model"], "pareto_nbd", "auto keeps the lowest holdout error on CDNOW");
    let reference = &reference()["cdnow_sample"];
    let want_ll = reference["pareto_nbd"]["mle"]["log_likelihood"].as_f64().unwrap();
    assert!((record["count_model"]["log_likelihood"].as_f64().unwrap() - want_ll).abs() < 1e-4);
    assert_eq!(record["candidates"].as_array().unwrap().len(), 3);

    // Every repeat purchase of the log is in the tracking series: calibration and holdout.
    let summary_csv = dir.join("summary.csv");
    let repeats: f64 = csv_column(&summary_csv, "frequency").iter().sum::<f64>()
        + csv_column(&summary_csv, "frequency_holdout").iter().sum::<f64>();
    let tracking = &record["diagnostics"]["tracking"];
    let weekly: Vec<f64> = tracking["actual"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let actual: f64 = weekly.iter().sum();
    assert_eq!(actual, repeats);
    assert_eq!(tracking["period_days"], 7);
    // ... and week by week the published cumulative series (78 weeks from 1997-01-01).
    let cumulative: Vec<f64> = weekly.iter().scan(0.0, |sum, w| Some(*sum + w).inspect(|s| *sum = *s)).collect();
    let want: Vec<f64> = reference["holdout_weekly_actual_cumulative_repeat_purchases"]["cumulative"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(cumulative, want);
    // The model's expected repeat purchases by the end of the holdout, summed over the weeks, are close to the
    // actual (Pareto/NBD on CDNOW: within 3%).
    let expected: f64 = tracking["expected"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).sum();
    assert!((expected / actual - 1.0).abs() < 0.03, "{expected} vs {actual}");

    // customers.csv: one row per customer, its CLV summing to the customer equity.
    let customers = dir.join("customers.csv");
    let clv_column = csv_column(&customers, "clv");
    assert_eq!(clv_column.len(), 2357);
    let equity = record["value"]["customer_equity"].as_f64().unwrap();
    assert!((clv_column.iter().sum::<f64>() / equity - 1.0).abs() < 1e-9);
    let deciles = csv_column(&customers, "decile");
    // The same deciles as the report's segment table: decile d holds ranks d x n / 10 to (d + 1) x n / 10.
    assert_eq!(deciles.iter().filter(|&&d| d == 1.0).count(), 235);
    let record = read_json(&dir.join("run.json"));
    for (d, segment) in record["value"]["segments"].as_array().unwrap().iter().enumerate() {
        let members = deciles.iter().filter(|&&x| x == (d + 1) as f64).count() as u64;
        assert_eq!(Some(members), segment["customers"].as_u64(), "decile {}", d + 1);
    }

    // The same model as `clv fit` on the same summary.
    let fitted = dir.parent().unwrap().join("fit.json");
    let out =
        clv(&["fit", summary_csv.to_str().unwrap(), "--model", "pareto-nbd", "-q", "-o", fitted.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (read_json(&fitted), read_json(&dir.join("model.pareto_nbd.json")));
    for name in ["r", "alpha", "s", "beta"] {
        assert_eq!(a["params"][name], b["params"][name], "{name}");
    }

    // `clv report` remakes the same page from run.json.
    let first = fs::read_to_string(dir.join("report.html")).unwrap();
    fs::remove_file(dir.join("report.html")).unwrap();
    let out = clv(&["report", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(dir.join("report.html")).unwrap(), first);
    for id in ["tracking-weekly", "conditional", "grid-alive", "deciles"] {
        assert!(first.contains(&format!("data-chart=\"{id}\"")), "{id}");
    }
    // Self-contained: nothing is fetched (the only URL is the SVG namespace).
    assert!(!first.contains("src=\"") && !first.contains("href=\"http"), "no external resources");
}

#[test]
fn a_folder_holding_a_run_is_kept_unless_forced_and_a_failed_run_changes_nothing() {
    let base = scratch("run-folder");
    let dir = base.join("out");
    assert!(run_into(&dir, &[]).status.success());
    let before = fs::read(dir.join("run.json")).unwrap();
    let again = run_into(&dir, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("holds another run") && stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(fs::read(dir.join("run.json")).unwrap(), before);

    // A log without any repeat purchase cannot be fitted: step 2 fails, the earlier run stays as it was.
    let log = base.join("once.csv");
    fs::write(&log, "customer,date,amount\na,2020-01-01,5\nb,2020-02-01,7\nc,2020-03-01,9\n").unwrap();
    let failed =
        run_into(&dir, &[log.to_str().unwrap(), "--amount", "amount", "--calibration-end", "2020-02-15", "--force"]);
    assert_eq!(failed.status.code(), Some(1));
    let message = stderr(&failed);
    assert!(message.contains("step 2 of 6 (fitting the purchase-count model)"), "{message}");
    assert!(message.contains("nothing in") && message.contains("no customer has a repeat purchase"), "{message}");
    assert_eq!(fs::read(dir.join("run.json")).unwrap(), before);
    let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(leftovers.iter().all(|name| !name.to_string_lossy().starts_with(".clv-run")), "{leftovers:?}");

    // A log without amounts is refused at the first step.
    let failed = run_into(&base.join("other"), &[log.to_str().unwrap()]);
    assert!(stderr(&failed).contains("step 1 of 6") && stderr(&failed).contains("--amount"), "{}", stderr(&failed));
    assert!(!base.join("other").join("run.json").exists());

    // --force replaces the run; --json prints the record.
    let forced = run_into(&dir, &["--force", "--json", "--model", "bg-nbd", "--horizon", "1y"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let printed: serde_json::Value = serde_json::from_slice(&forced.stdout).unwrap();
    assert_eq!(printed["count_model"]["model"], "bg_nbd");
    assert_eq!(printed, read_json(&dir.join("run.json")));
    assert!(dir.join("model.bg_nbd.json").is_file());
}

#[test]
fn the_run_does_not_depend_on_the_thread_count() {
    let base = scratch("run-threads");
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let dir = base.join(threads);
        let result = Command::new(env!("CARGO_BIN_EXE_clv"))
            .args(["run", "--out", dir.to_str().unwrap(), "-q"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(result.status.success(), "{}", stderr(&result));
        outputs.push(fs::read(dir.join("customers.csv")).unwrap());
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}

/// Chromium as Debian installs it, when present.
fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        let found = Command::new("sh").args(["-c", &format!("command -v {name}")]).output().ok()?;
        found.status.success().then(|| String::from_utf8_lossy(&found.stdout).trim().to_string())
    })
}

#[test]
fn the_report_renders_in_headless_chromium_with_every_chart_drawn() {
    let Some(browser) = chromium() else {
        // CI installs Chromium (.ci/run); without it the test cannot run, and in CI that is a failure.
        assert!(std::env::var_os("CI").is_none(), "Chromium is missing in CI");
        eprintln!("skipped: no Chromium on this machine (apt-get install chromium)");
        return;
    };
    let dir = scratch("run-chromium").join("out");
    assert!(run_into(&dir, &[]).status.success());
    let page = format!("file://{}", dir.join("report.html").display());
    let out = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", &page])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let rendered = dom
        .split("data-rendered=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the page did not report its charts: {}", String::from_utf8_lossy(&out.stderr)));
    let charts: Vec<(&str, &str, usize)> = rendered
        .split_whitespace()
        .map(|entry| {
            let mut parts = entry.split(':');
            (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap().parse().unwrap())
        })
        .collect();
    let names: Vec<&str> = charts.iter().map(|c| c.0).collect();
    assert_eq!(
        names,
        [
            "tracking-weekly",
            "tracking-cumulative",
            "conditional",
            "grid-expected",
            "grid-alive",
            "clv-distribution",
            "value-concentration",
            "deciles"
        ]
    );
    for (name, size, marks) in charts {
        let (w, h) = size.split_once('x').unwrap();
        let (w, h): (u32, u32) = (w.parse().unwrap(), h.parse().unwrap());
        assert!(w > 300 && h > 150, "{name} drawn at {size}");
        assert!(marks >= 2, "{name} has {marks} drawn marks");
    }
}

#[test]
fn a_population_without_drop_out_runs_with_its_boundary_model_said() {
    let dir = scratch("run-boundary");
    let log = simulated_log(&dir, r#"{"r": 0.7, "alpha": 9, "a": 1e-9, "b": 1}"#, 3000);
    let out = dir.join("out");
    let result = run_into(&out, &[log.to_str().unwrap(), "--amount", "amount", "--holdout", "26w", "--json"]);
    assert!(result.status.success(), "{}", stderr(&result));
    let record: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    let boundary = record["count_model"]["boundary"].as_array().unwrap();
    assert!(!boundary.is_empty(), "{}", record["count_model"]);
    assert!(record["count_model"]["params"].as_array().unwrap().iter().any(|p| p[2].is_null()), "no SE at a boundary");
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("at the boundary"));
    let remade = clv(&["report", out.to_str().unwrap()]);
    assert!(remade.status.success(), "{}", stderr(&remade));
    assert_eq!(fs::read_to_string(out.join("report.html")).unwrap(), page);
}

#[test]
fn a_run_with_intervals_and_the_sensitivity_table() {
    let dir = scratch("run-intervals").join("out");
    let result = run_into(&dir, &["--intervals", "40", "--level", "0.8", "--seed", "5", "--margin", "0.3"]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(String::from_utf8_lossy(&result.stdout).contains("80% interval"));
    let record = read_json(&dir.join("run.json"));
    let value = &record["value"];
    let equity = value["customer_equity"].as_f64().unwrap();
    let intervals = &value["intervals"];
    assert_eq!((intervals["replicates"].as_u64(), intervals["seed"].as_u64()), (Some(40), Some(5)));
    let purchases = &intervals["expected_purchases_delta_method"];
    assert!(purchases["low"].as_f64().unwrap() < purchases["high"].as_f64().unwrap());
    for key in ["equity", "equity_delta_method"] {
        let (low, high) = (intervals[key]["low"].as_f64().unwrap(), intervals[key]["high"].as_f64().unwrap());
        assert!(low < equity && equity < high, "{key}: {low} {equity} {high}");
    }
    assert_eq!(intervals["segments"].as_array().unwrap().len(), 10);
    // The sensitivity table holds the run's own figure: 10% a year, no limit, at margin 1 (x 0.3).
    let table = &value["sensitivity"];
    let column = table["rates"].as_array().unwrap().iter().position(|r| r.as_f64() == Some(0.1)).unwrap();
    let no_limit = table["equity"][3][column].as_f64().unwrap();
    assert!((no_limit * 0.3 / equity - 1.0).abs() < 1e-12, "{no_limit} vs {equity}");
    let header = fs::read_to_string(dir.join("customers.csv")).unwrap().lines().next().unwrap().to_string();
    assert!(
        header.ends_with(
            "clv_low,clv_high,expected_purchases_52_low,expected_purchases_52_high,p_alive_low,p_alive_high"
        )
    );
    let page = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("With 80% confidence") && page.contains("a year"), "report shows intervals and sensitivity");
}

#[test]
fn a_folder_in_use_by_another_process_is_left_alone_with_status_75() {
    let dir = scratch("run-locked").join("out");
    fs::create_dir_all(&dir).unwrap();
    // A live holder (this test process): the run exits at once with the busy status and writes nothing.
    fs::write(dir.join(".clv.lock"), std::process::id().to_string()).unwrap();
    let busy = run_into(&dir, &[]);
    assert_eq!(busy.status.code(), Some(75), "{}", stderr(&busy));
    let message = stderr(&busy);
    assert!(
        message.contains(&format!("in use by another clv process (pid {}, lock file", std::process::id())),
        "{message}"
    );
    assert!(!dir.join("run.json").exists());
    let report = clv(&["report", dir.to_str().unwrap()]);
    assert_eq!(report.status.code(), Some(75));
    // A lock left by a process that died is taken over, and released when the run ends.
    if cfg!(target_os = "linux") {
        fs::write(dir.join(".clv.lock"), "4294967294").unwrap();
        let result = run_into(&dir, &[]);
        assert!(result.status.success(), "{}", stderr(&result));
        assert!(dir.join("run.json").is_file());
        assert!(!dir.join(".clv.lock").exists(), "the lock is released");
    }
}

#[test]
fn a_run_killed_midway_leaves_the_previous_run_usable() {
    let base = scratch("run-killed");
    let dir = base.join("out");
    assert!(run_into(&dir, &[]).status.success());
    let before = fs::read(dir.join("run.json")).unwrap();
    // A log large enough that the run is still working when it is killed.
    let log = simulated_log(&base, r#"{"r": 0.5, "alpha": 5, "a": 0.8, "b": 2.5}"#, 300_000);
    // Replacing the run (--force) and refitting it (--refit, which also moves the previous run to history/).
    for (mode, delay_ms) in [("--force", 50), ("--force", 300), ("--force", 800), ("--refit", 400), ("--refit", 5000)] {
        let args = ["run", log.to_str().unwrap(), "--amount", "amount", "--holdout", "26w", mode, "-q", "--out"];
        run_and_kill(&[&args[..], &[dir.to_str().unwrap()]].concat(), delay_ms);
        // Whatever the moment of the kill, the folder holds a whole run: the previous one, or (had it finished)
        // the new one, and its report can be remade.
        let now = fs::read(dir.join("run.json")).unwrap();
        let record: serde_json::Value = serde_json::from_slice(&now).unwrap();
        assert!(now == before || record["data"]["customers"].as_u64().is_some());
        let remade = clv(&["report", dir.to_str().unwrap()]);
        assert!(remade.status.success(), "after a {mode} killed at {delay_ms} ms: {}", stderr(&remade));
        // Every previous run kept by a refit is whole.
        for kept in fs::read_dir(dir.join("history")).into_iter().flatten() {
            let kept = kept.unwrap().path();
            assert!(serde_json::from_slice::<serde_json::Value>(&fs::read(kept.join("run.json")).unwrap()).is_ok());
        }
    }
    // The killed run's lock does not block the next one, which clears the staging folders of killed runs (one is
    // made here as a run killed while writing would leave it: the kills above come before the writing step).
    let stale = dir.join(".clv-run-4294967294");
    fs::create_dir_all(&stale).unwrap();
    fs::write(stale.join("customers.csv"), "customer_id,clv\n1,").unwrap();
    let next = run_into(&dir, &["--force"]);
    assert!(next.status.success(), "{}", stderr(&next));
    let names: Vec<String> =
        fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert!(names.iter().all(|n| !n.starts_with(".clv")), "{names:?}");
}

/// Customer id -> p_alive of a run's customers.csv.
fn p_alive_by_id(path: &Path) -> std::collections::HashMap<String, f64> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let (id, alive) =
        (header.iter().position(|h| h == "customer_id").unwrap(), header.iter().position(|h| h == "p_alive").unwrap());
    reader.records().map(|r| r.unwrap()).map(|r| (r[id].to_string(), r[alive].parse().unwrap())).collect()
}

#[test]
fn a_refit_of_a_run_folder_reports_what_changed_and_keeps_the_previous_run() {
    let base = scratch("run-refit");
    let dir = base.join("out");
    assert!(run_into(&dir, &[]).status.success());
    let first_record = fs::read(dir.join("run.json")).unwrap();
    let first: serde_json::Value = serde_json::from_slice(&first_record).unwrap();
    // Six more months of calibration, and two customers who first bought in them.
    let mut log = fs::read_to_string(repo("data/cdnow/CDNOW_sample.txt")).unwrap();
    log.push_str(" 90001 9001 19980110  1   25.00\n 90001 9001 19980301  2   30.00\n 90002 9002 19980215  1   12.50\n");
    let log_path = base.join("grown.txt");
    fs::write(&log_path, log).unwrap();
    let flags = ["--whitespace", "--no-header", "--customer", "2", "--date", "3", "--amount", "5"];
    let periods = ["--calibration-end", "1998-03-31", "--observation-end", "1998-06-30"];
    let refit = |extra: &[&str]| {
        let mut args = vec!["run", log_path.to_str().unwrap(), "--out", dir.to_str().unwrap(), "--refit"];
        args.extend(flags.iter().chain(&periods));
        args.extend(extra);
        clv(&args)
    };
    // Pareto/NBD's s moves by about 6.5 standard errors on CDNOW with six more months: past a limit of 3.
    let drifted = refit(&["--max-drift", "3"]);
    assert_eq!(drifted.status.code(), Some(3), "{}", stderr(&drifted));
    let text = String::from_utf8_lossy(&drifted.stdout);
    assert!(text.contains("DRIFT") && text.contains("since"), "{text}");
    let record = read_json(&dir.join("run.json"));
    let drift = &record["drift"];
    // The previous run is kept whole, byte for byte, in the history folder named in the record.
    let kept = dir.join(drift["previous_kept_in"].as_str().unwrap());
    assert_eq!(fs::read(kept.join("run.json")).unwrap(), first_record);
    assert!(kept.join("customers.csv").exists() && kept.join("report.html").exists());
    // The equity bridge starts at the previous run's equity and adds up to this run's.
    let e = &drift["customers"]["equity"];
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    assert!(close(f(&e["previous"]), f(&first["value"]["customer_equity"])));
    assert!(close(f(&e["new"]), f(&record["value"]["customer_equity"])));
    let bridged = f(&e["previous"]) + f(&e["continuing_new"]) - f(&e["continuing_previous"]) + f(&e["new_customers"])
        - f(&e["gone_customers"]);
    assert!(close(bridged, f(&e["new"])));
    let counts = &drift["customers"]["counts"];
    assert_eq!((counts["previous"].as_u64(), counts["current"].as_u64()), (Some(2357), Some(2359)));
    assert_eq!((counts["new"].as_u64(), counts["gone"].as_u64()), (Some(2), Some(0)));
    // Lapsed and revived customers, counted again here from the two customers.csv files.
    let (before, after) = (p_alive_by_id(&kept.join("customers.csv")), p_alive_by_id(&dir.join("customers.csv")));
    let crossed = |from_alive: bool| {
        before.iter().filter(|(id, p)| (**p >= 0.5) == from_alive && (after[id.as_str()] >= 0.5) != from_alive).count()
            as u64
    };
    assert_eq!(counts["lapsed"].as_u64(), Some(crossed(true)));
    assert_eq!(counts["revived"].as_u64(), Some(crossed(false)));
    assert!(crossed(true) > 0 && crossed(false) > 0);
    let movers: Vec<f64> = drift["customers"]["movers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (f(&m["clv"][1]) - f(&m["clv"][0])).abs())
        .collect();
    assert_eq!(movers.len(), 10);
    assert!(movers.windows(2).all(|w| w[0] >= w[1]));
    // The warm-started refit finds the cold fit's estimates.
    let cold_dir = base.join("cold");
    let mut cold = vec!["run", log_path.to_str().unwrap(), "--out", cold_dir.to_str().unwrap(), "-q"];
    cold.extend(flags.iter().chain(&periods));
    cold.extend(["--model", "pareto-nbd"]);
    assert!(clv(&cold).status.success());
    let cold_params = &read_json(&cold_dir.join("run.json"))["count_model"]["params"];
    for (warm, cold) in record["count_model"]["params"].as_array().unwrap().iter().zip(cold_params.as_array().unwrap())
    {
        assert!((f(&warm[1]) - f(&cold[1])).abs() <= 1e-6 * f(&cold[1]), "{warm} against {cold}");
    }
    let change = drift["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "s").unwrap();
    assert!(f(&change["change_in_se"]) < -3.0, "{change}");
    let page = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("What changed since the previous run") && page.contains("Customers whose value moved most"));
    // The same data and settings again: unchanged, nothing written, status 0.
    let now = fs::read(dir.join("run.json")).unwrap();
    let again = refit(&["--max-drift", "3"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("unchanged"));
    assert_eq!(fs::read(dir.join("run.json")).unwrap(), now);
    assert_eq!(fs::read_dir(dir.join("history")).unwrap().count(), 1);
    // A refit keeps the model; a folder without a run has nothing to refit.
    let other = refit(&["--model", "bg-nbd"]);
    assert_eq!(other.status.code(), Some(1));
    assert!(stderr(&other).contains("keeps its model"), "{}", stderr(&other));
    let empty = run_into(&base.join("empty"), &["--refit"]);
    assert!(!empty.status.success() && stderr(&empty).contains("holds no run"), "{}", stderr(&empty));
}
