//! `clv fit`, `clv predict` and `clv simulate` through the real binary and through the library, against the
//! published CDNOW results; bad summaries and model files; determinism; recovery of known parameters.

use clv::count::simulate::{SimulationPlan, simulate};
use clv::count::{BgNbd, CountModel, ParetoNbd};
use clv::data::{TimeUnit, read_summary};
use clv::fit::FitRows;
use clv::models::ModelKind;
use std::fs;
use std::process::Command;

mod common;
use common::*;

fn relative(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

/// Fits through the binary and checks the model file against the reference MLE.
fn check_binary_fit(model: &str, key: &str, tolerance: f64) {
    let dir = scratch(model);
    let summary = cdnow_summary(&dir);
    let file = dir.join("model.json");
    let result = clv(&["fit", summary.to_str().unwrap(), "--model", model, "-o", file.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(stderr(&result).contains("converged           yes"), "{}", stderr(&result));
    let fitted = read_json(&file);
    let mle = &reference()["cdnow_sample"][key]["mle"];
    for (name, want) in mle["params"].as_object().unwrap() {
        let got = fitted["params"][name].as_f64().unwrap();
        assert!(relative(got, want.as_f64().unwrap()) < tolerance, "{model} {name}: {got} vs {want}");
        assert!(fitted["standard_errors"][name].as_f64().unwrap() > 0.0);
    }
    let ll = fitted["log_likelihood"].as_f64().unwrap();
    assert!((ll - mle["log_likelihood"].as_f64().unwrap()).abs() < 1e-4, "{model} log-likelihood {ll}");
    assert_eq!(fitted["model"], key);
    assert_eq!(fitted["time_unit"], "week");
    assert_eq!(fitted["n_customers"], 2357);
    assert_eq!(fitted["n_distinct_rows"], reference()["cdnow_sample"]["distinct_x_tx_T_rows"]);
    assert_eq!(fitted["converged"], true);
    assert_eq!(fitted["calibration_end"], "1997-09-30");
}

#[test]
fn bg_nbd_through_the_binary_matches_the_mle() {
    check_binary_fit("bg-nbd", "bg_nbd", 1e-6);
}

#[test]
fn pareto_nbd_through_the_binary_matches_the_mle() {
    check_binary_fit("pareto-nbd", "pareto_nbd", 1e-5);
}

#[test]
fn bg_nbd_standard_errors_match_the_observed_information() {
    let dir = scratch("se");
    let table = read_summary(&cdnow_summary(&dir), None, TimeUnit::Week).unwrap();
    let x: Vec<f64> = table.frequency.iter().map(|&v| f64::from(v)).collect();
    let estimate = ModelKind::BgNbd.fit(&FitRows::compress(&x, &table.recency, &table.age), None);
    let want = &reference()["cdnow_sample"]["bg_nbd"]["standard_errors_at_mle_observed_information"];
    for (name, se) in estimate.names.iter().zip(&estimate.standard_errors) {
        // The Hessian is a central difference of the analytic gradient: about 6 correct digits.
        let w = want[*name].as_f64().unwrap();
        assert!(relative(*se, w) < 1e-4, "{name}: {se} vs {w}");
    }
}

#[test]
fn predictions_through_the_binary() {
    let dir = scratch("predict");
    let summary = cdnow_summary(&dir);
    let model = dir.join("bg.json");
    assert!(
        clv(&["fit", summary.to_str().unwrap(), "--model", "bg-nbd", "-o", model.to_str().unwrap(), "-q"])
            .status
            .success()
    );
    let out = dir.join("pred.csv");
    let result = clv(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        summary.to_str().unwrap(),
        "--horizon",
        "273d",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    let text = fs::read_to_string(&out).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["customer_id", "expected_purchases", "p_alive"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2357);
    assert_eq!(&rows[0][0], "0001");
    let value = |r: &csv::StringRecord, i: usize| r[i].parse::<f64>().unwrap();
    // Customer 1 is (2, 30.43, 38.86) in weeks: the paper's example customer, 1.226 over 39 weeks.
    assert!((value(&rows[0], 1) - 1.226).abs() < 5e-4, "{}", &rows[0][1]);
    let total: f64 = rows.iter().map(|r| value(r, 1)).sum();
    assert!((total - 1653.41).abs() < 0.01, "total holdout purchases {total}");
    assert!(rows.iter().all(|r| (0.0..=1.0).contains(&value(r, 2))));
    assert!(stderr(&result).contains("horizon             39 weeks"), "{}", stderr(&result));
}

#[test]
fn a_summary_made_elsewhere_with_aliases_and_an_explicit_unit() {
    let dir = scratch("foreign");
    let foreign = dir.join("from_sql.csv");
    fs::copy(repo("tests/reference/cdnow_customers_summary_with_transactions.csv"), &foreign).unwrap();
    let out = dir.join("m.json");
    let result =
        clv(&["fit", foreign.to_str().unwrap(), "--model", "bg-nbd", "--unit", "week", "-o", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    // The published file is rounded to 2 decimals, so the estimates differ slightly from the exact data's.
    let fitted = read_json(&out);
    assert!(relative(fitted["params"]["r"].as_f64().unwrap(), 0.2426) < 1e-3);
}

fn expect_fit_failure(name: &str, csv_text: &str, needles: &[&str]) {
    let dir = scratch(name);
    let summary = dir.join("s.csv");
    fs::write(&summary, csv_text).unwrap();
    let out = dir.join("m.json");
    let result = clv(&["fit", summary.to_str().unwrap(), "--model", "bg-nbd", "-o", out.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(1), "{name}");
    for needle in needles {
        assert!(stderr(&result).contains(needle), "{name}: lacks '{needle}': {}", stderr(&result));
    }
    assert!(!out.exists(), "{name}: no model file");
}

#[test]
fn bad_summaries_are_refused_with_the_row_named() {
    let head = "customer_id,frequency,recency,T\n";
    expect_fit_failure(
        "negative",
        &format!("{head}a,1,2,5\nb,-1,0,5\n"),
        &["line 3", "'frequency'", "'-1' is not a whole number"],
    );
    expect_fit_failure("missing", &format!("{head}a,1,2,5\nb,1,,5\n"), &["line 3", "'recency'", "missing value"]);
    expect_fit_failure("recency", &format!("{head}a,1,2,5\nb,1,6,5\n"), &["line 3", "recency 6 is greater than T 5"]);
    expect_fit_failure("fraction", &format!("{head}a,1.5,2,5\n"), &["line 2", "whole number"]);
    expect_fit_failure("no-repeat", &format!("{head}a,0,0,5\nb,0,0,7\n"), &["no customer has a repeat purchase"]);
    expect_fit_failure("columns", "id,x,T\na,1,2\n", &["line 1", "no column named recency or t_x"]);
}

#[test]
fn wrong_model_files_are_refused() {
    let dir = scratch("wrong");
    let summary = cdnow_summary(&dir);
    let s = summary.to_str().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let spend =
        write("gg.json", r#"{"model": "gamma_gamma", "time_unit": "week", "params": {"p": 6, "q": 4, "gamma": 15}}"#);
    let result = clv(&["predict", "--model", &spend, s, "--horizon", "39"]);
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("not a purchase-count model"), "{}", stderr(&result));
    let days = write(
        "d.json",
        r#"{"model": "bg_nbd", "time_unit": "day", "params": {"r": 0.24, "alpha": 31, "a": 0.8, "b": 2.4}}"#,
    );
    let result = clv(&["predict", "--model", &days, s, "--horizon", "39"]);
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("in weeks but the model"), "{}", stderr(&result));
    let missing =
        write("m.json", r#"{"model": "bg_nbd", "time_unit": "week", "params": {"r": 0.24, "alpha": 4.4, "a": 0.8}}"#);
    let result = clv(&["predict", "--model", &missing, s, "--horizon", "39"]);
    assert!(stderr(&result).contains("parameter b is missing"), "{}", stderr(&result));
    let broken = write("b.json", "{\"model\": ");
    let result = clv(&["predict", "--model", &broken, s, "--horizon", "39"]);
    assert!(stderr(&result).contains("not a clv model file"), "{}", stderr(&result));
}

#[test]
fn fits_and_simulations_do_not_depend_on_the_thread_count() {
    let dir = scratch("threads");
    let summary = cdnow_summary(&dir);
    let run = |threads: &str, args: &[&str]| {
        let out =
            Command::new(env!("CARGO_BIN_EXE_clv")).env("RAYON_NUM_THREADS", threads).args(args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        out.stdout
    };
    let mut params = Vec::new();
    for threads in ["1", "2", "3"] {
        let file = dir.join(format!("m{threads}.json"));
        run(threads, &["fit", summary.to_str().unwrap(), "--model", "pareto-nbd", "-q", "-o", file.to_str().unwrap()]);
        let fitted = read_json(&file);
        params.push((fitted["params"].clone(), fitted["log_likelihood"].clone()));
    }
    assert!(params.windows(2).all(|w| w[0] == w[1]), "{params:?}");
    let model = dir.join("m1.json");
    let sim = |threads| {
        run(threads, &["simulate", "--model", model.to_str().unwrap(), "--customers", "3000", "--seed", "9", "-q"])
    };
    let one = sim("1");
    assert!(one.len() > 30_000);
    assert_eq!(sim("2"), one);
}

#[test]
fn a_simulated_log_summarises_and_fits() {
    let dir = scratch("simlog");
    let model = dir.join("truth.json");
    fs::write(
        &model,
        r#"{"model": "bg_nbd", "time_unit": "week", "params": {"r": 0.5, "alpha": 5, "a": 0.8, "b": 2.5}}"#,
    )
    .unwrap();
    let spend = dir.join("spend.json");
    fs::write(&spend, r#"{"model": "gamma_gamma", "time_unit": "week", "params": {"p": 6, "q": 4, "gamma": 15}}"#)
        .unwrap();
    let (model, spend) = (model.to_str().unwrap(), spend.to_str().unwrap());
    let log = dir.join("log.csv");
    let common = ["simulate", "--model", model, "--spend", spend, "--seed", "4", "-q"];
    let result = clv(&[&common[..], &["--customers", "20000", "-o", log.to_str().unwrap()]].concat());
    assert!(result.status.success(), "{}", stderr(&result));
    let summary = dir.join("s.csv");
    let result = clv(&[
        "summarize",
        log.to_str().unwrap(),
        "--amount",
        "amount",
        "--calibration-end",
        "2001-06-30",
        "-o",
        summary.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(stderr(&result).contains("customers             20000"), "{}", stderr(&result));
    for kind in ["bg-nbd", "gamma-gamma"] {
        let fitted = dir.join(format!("{kind}.json"));
        let result = clv(&["fit", summary.to_str().unwrap(), "--model", kind, "-o", fitted.to_str().unwrap()]);
        assert!(result.status.success(), "{}", stderr(&result));
    }

    // Gamma-Gamma recovers its parameters from 100,000 simulated customers' mean repeat spends.
    let big = dir.join("big.csv");
    let result = clv(&[&common[..], &["--customers", "100000", "--summary", "-o", big.to_str().unwrap()]].concat());
    assert!(result.status.success(), "{}", stderr(&result));
    let fitted = dir.join("gg.json");
    let result = clv(&["fit", big.to_str().unwrap(), "--model", "gamma-gamma", "-q", "-o", fitted.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    let file = read_json(&fitted);
    for (name, want) in [("p", 6.0), ("q", 4.0), ("gamma", 15.0)] {
        let (got, se) = (file["params"][name].as_f64().unwrap(), file["standard_errors"][name].as_f64().unwrap());
        assert!((got - want).abs() < 3.0 * se, "{name}: {got} ± {se}, truth {want}");
    }
}

/// Simulates `n` customers in continuous time from `truth`, fits, and checks every estimate is within three
/// standard errors of the truth.
fn recovery(kind: ModelKind, truth: &dyn CountModel, n: usize, seed: u64) {
    let plan =
        SimulationPlan { customers: n, seed, cohort: 12.0, observation_end: 52.0, max_purchases: 100_000, spend: None };
    let customers = simulate(truth, &plan);
    let (mut x, mut t_x, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for c in &customers {
        let (a, b, c) = c.summary(plan.observation_end);
        x.push(a);
        t_x.push(b);
        t.push(c);
    }
    let estimate = kind.fit(&FitRows::compress(&x, &t_x, &t), None);
    assert!(estimate.diagnostics.converged, "{:?}", estimate.diagnostics);
    for ((name, (got, se)), (_, want)) in
        estimate.names.iter().zip(estimate.params.iter().zip(&estimate.standard_errors)).zip(truth.parameters())
    {
        assert!((got - want).abs() < 3.0 * se, "{}: {name} = {got} ± {se}, truth {want}", kind.file_name());
    }
}

#[test]
fn bg_nbd_recovers_known_parameters_from_200000_simulated_customers() {
    recovery(ModelKind::BgNbd, &BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, 200_000, 11);
}

#[test]
fn pareto_nbd_recovers_known_parameters_from_200000_simulated_customers() {
    recovery(ModelKind::ParetoNbd, &ParetoNbd { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 }, 200_000, 12);
}

#[test]
fn a_library_fit_in_days_matches_the_fit_in_weeks() {
    let dir = scratch("days");
    let table = read_summary(&cdnow_summary(&dir), Some(TimeUnit::Week), TimeUnit::Week).unwrap();
    let x: Vec<f64> = table.frequency.iter().map(|&v| f64::from(v)).collect();
    let days = |v: &[f64]| v.iter().map(|t| t * 7.0).collect::<Vec<f64>>();
    let weeks = ModelKind::BgNbd.fit(&FitRows::compress(&x, &table.recency, &table.age), None);
    let in_days = ModelKind::BgNbd.fit(&FitRows::compress(&x, &days(&table.recency), &days(&table.age)), None);
    assert!(in_days.diagnostics.converged);
    // alpha scales with the unit; r, a, b do not; the log-likelihood shifts by -sum(x) ln 7.
    assert!(relative(in_days.params[1] / 7.0, weeks.params[1]) < 1e-6);
    for j in [0, 2, 3] {
        assert!(relative(in_days.params[j], weeks.params[j]) < 1e-6);
    }
    let shift = -x.iter().sum::<f64>() * 7f64.ln();
    assert!((in_days.log_likelihood - (weeks.log_likelihood + shift)).abs() < 1e-6);
}

#[test]
fn a_population_that_never_drops_out_is_fitted_at_the_boundary_and_says_so() {
    // Nobody drops out (p ~ Beta(1e-5, 1000)): the drop-out parameters go to their limit, the purchase-rate
    // parameters are still estimated, with standard errors.
    let truth = BgNbd { r: 0.5, alpha: 5.0, a: 1e-5, b: 1000.0 };
    let plan = SimulationPlan {
        customers: 20_000,
        seed: 5,
        cohort: 12.0,
        observation_end: 78.0,
        max_purchases: 100_000,
        spend: None,
    };
    let (mut x, mut t_x, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for c in simulate(&truth, &plan) {
        let (a, b, c) = c.summary(plan.observation_end);
        x.push(a);
        t_x.push(b);
        t.push(c);
    }
    let rows = FitRows::compress(&x, &t_x, &t);
    for kind in [ModelKind::BgNbd, ModelKind::ParetoNbd] {
        let e = kind.fit(&rows, None);
        let d = &e.diagnostics;
        assert!(!d.converged && !d.boundary.is_empty(), "{}: {d:?}", kind.file_name());
        assert!(d.message.contains("boundary"), "{}", d.message);
        for (j, want) in [(0, 0.5), (1, 5.0)] {
            let (got, se) = (e.params[j], e.standard_errors[j]);
            assert!(
                se.is_finite() && (got - want).abs() < 3.0 * se,
                "{}: {} = {got} ± {se}",
                kind.file_name(),
                e.names[j]
            );
        }
    }
    // Through the binary: a model file is written, with the boundary recorded, and the exit status is 0.
    let dir = scratch("boundary");
    let summary = dir.join("s.csv");
    let mut text = String::from("customer_id,frequency,recency,T\n");
    for i in 0..x.len() {
        text.push_str(&format!("{i},{},{},{}\n", x[i], t_x[i], t[i]));
    }
    fs::write(&summary, text).unwrap();
    let out = dir.join("m.json");
    let result = clv(&["fit", summary.to_str().unwrap(), "--model", "bg-nbd", "-o", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(stderr(&result).contains("at the boundary"), "{}", stderr(&result));
    let fitted = read_json(&out);
    assert_eq!(fitted["converged"], false);
    assert!(!fitted["diagnostics"]["boundary"].as_array().unwrap().is_empty());
}

#[test]
fn gamma_gamma_through_the_binary_matches_the_mle_and_the_expected_spends() {
    let dir = scratch("gamma-gamma");
    let summary = cdnow_summary(&dir);
    let out = dir.join("gg.json");
    let result = clv(&["fit", summary.to_str().unwrap(), "--model", "gamma-gamma", "-o", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    let fitted = read_json(&out);
    let gg = &reference()["cdnow_sample"]["gamma_gamma"];
    for (name, want) in gg["mle"]["params"].as_object().unwrap() {
        let got = fitted["params"][name].as_f64().unwrap();
        assert!(relative(got, want.as_f64().unwrap()) < 1e-6, "{name}: {got} vs {want}");
    }
    let ll = fitted["log_likelihood"].as_f64().unwrap();
    assert!((ll - gg["mle"]["log_likelihood"].as_f64().unwrap()).abs() < 1e-4, "{ll}");
    assert_eq!(fitted["n_customers"], 946, "fitted on the repeat customers only");
    // The first ten customers' conditional expected spend, through the library from the written file.
    let model = clv::fit::model_file::ModelFile::read(&out).unwrap().spend_model().unwrap();
    let table = read_summary(&summary, None, TimeUnit::Week).unwrap();
    let spend = table.monetary_value.as_ref().unwrap();
    let want = &gg["conditional_expected_spend_first_10_customers"];
    let tolerance = want["tolerance_abs"].as_f64().unwrap();
    for (i, w) in want["value"].as_array().unwrap().iter().enumerate() {
        let got = model.expected_spend(f64::from(table.frequency[i]), spend[i]).unwrap();
        assert!((got - w.as_f64().unwrap()).abs() <= tolerance.min(0.005), "customer {}: {got} vs {w}", i + 1);
    }
    // A count-model command refuses the spend model, and a spend model needs amounts.
    let result = clv(&["predict", "--model", out.to_str().unwrap(), summary.to_str().unwrap(), "--horizon", "39"]);
    assert!(stderr(&result).contains("not a purchase-count model"), "{}", stderr(&result));
    let counts_only = dir.join("counts.csv");
    fs::write(&counts_only, "customer_id,frequency,recency,T\na,1,2,5\nb,2,3,5\n").unwrap();
    let result = clv(&["fit", counts_only.to_str().unwrap(), "--model", "gamma-gamma"]);
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("no monetary_value column"), "{}", stderr(&result));
}

#[test]
fn a_spend_distribution_without_a_finite_mean_is_refused() {
    // Mean spends spread over seven orders of magnitude: the fit gives q <= 1.
    let dir = scratch("heavy");
    let summary = dir.join("heavy.csv");
    let mut text = String::from("customer_id,frequency,recency,T,monetary_value\n");
    for i in 0..2000u32 {
        let u = f64::from((i * 7919) % 2000) / 2000.0;
        text.push_str(&format!("{i},{},1,10,{}\n", 1 + i % 5, 10f64.powf(-1.0 + 7.0 * u)));
    }
    fs::write(&summary, text).unwrap();
    let out = dir.join("gg.json");
    let result = clv(&["fit", summary.to_str().unwrap(), "--model", "gamma-gamma", "-o", out.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("<= 1: spend per transaction then has no finite mean"), "{}", stderr(&result));
    assert!(!out.exists());
}

/// δ = ln(1.15)/52 per week: 15% a year, continuous.
fn dert_delta() -> f64 {
    1.15f64.ln() / 52.0
}

#[test]
fn discounted_residual_purchases_match_the_published_cases() {
    let r = reference();
    let dert = &r["dert"];
    let pareto =
        ParetoNbd::from_params(&["r", "alpha", "s", "beta"].map(|k| dert["pareto_nbd_params"][k].as_f64().unwrap()));
    let bg_params = &r["cdnow_sample"]["bg_nbd"]["mle"]["params"];
    let bg = BgNbd::from_params(&["r", "alpha", "a", "b"].map(|k| bg_params[k].as_f64().unwrap()));
    for case in dert["cases"].as_array().unwrap() {
        let (x, t_x, t) = (case["x"].as_f64().unwrap(), case["t_x"].as_f64().unwrap(), case["T"].as_f64().unwrap());
        let (want_p, want_b) = (case["pareto_nbd"].as_f64().unwrap(), case["bg_nbd"].as_f64().unwrap());
        let got_p = pareto.discounted_residual_purchases(x, t_x, t, dert_delta());
        let got_b = bg.discounted_residual_purchases(x, t_x, t, dert_delta());
        // Pareto/NBD values are printed to 6 significant digits; the BG/NBD ones to 8 (quadrature, ~1e-8).
        assert!(relative(got_p, want_p) < 1e-5, "Pareto/NBD x = {x}: {got_p} vs {want_p}");
        assert!(relative(got_b, want_b) < 1e-7, "BG/NBD x = {x}: {got_b} vs {want_b}");
    }
}

#[test]
fn bg_nbd_and_mbg_nbd_dert_agree_with_a_discounted_sum_of_expected_increments() {
    // Σ_k e^(−δ (k − 1/2) h) (E[Y(kh)] − E[Y((k−1)h)]) over 0.5-week steps to 4,000 weeks (midpoint
    // discounting), plus the discounted tail bounded by the last increment's trend: a numeric check of the
    // closed-form-plus-quadrature value, to 1e-3.
    let bg = BgNbd { r: 0.242595, alpha: 4.413602, a: 0.792922, b: 2.425907 };
    let mbg = clv::count::MbgNbd { r: 0.524843, alpha: 6.183085, a: 0.891359, b: 1.614002 };
    let delta = dert_delta();
    for model in [&bg as &dyn CountModel, &mbg] {
        for (x, t_x, t) in [(2.0, 30.43, 38.86), (0.0, 0.0, 38.86), (7.0, 35.0, 38.86)] {
            let h = 0.5;
            let (mut sum, mut previous) = (0.0, 0.0);
            for k in 1..=8000 {
                let e = model.expected_purchases(x, t_x, t, k as f64 * h);
                sum += (-delta * (k as f64 - 0.5) * h).exp() * (e - previous);
                previous = e;
            }
            let dert = model.discounted_residual_purchases(x, t_x, t, delta);
            assert!(relative(sum, dert) < 1e-3, "{} x = {x}: sum {sum} vs DERT {dert}", model.name());
        }
    }
}

#[test]
fn mbg_nbd_through_the_binary_matches_the_mle() {
    check_binary_fit("mbg-nbd", "mbg_nbd", 1e-6);
}

#[test]
fn mbg_nbd_predictions_match_the_published_customers_and_recover_known_parameters() {
    let r = reference();
    let p = &r["cdnow_sample"]["customers_1_to_3"]["params_used"]["mbg_nbd"];
    let m = clv::count::MbgNbd::from_params(&["r", "alpha", "a", "b"].map(|k| p[k].as_f64().unwrap()));
    for id in ["1", "2", "3"] {
        let c = &r["cdnow_sample"]["customers_1_to_3"]["values"][id];
        let f = |k: &str| c[k].as_f64().unwrap();
        let (e, a) = (
            m.expected_purchases(f("frequency"), f("recency"), f("T"), 39.0),
            m.p_alive(f("frequency"), f("recency"), f("T")),
        );
        assert!(relative(e, f("mbg_exp_purchases_39w")) < 1e-9, "customer {id}: {e}");
        assert!(relative(a, f("mbg_p_alive")) < 1e-9, "customer {id}: {a}");
    }
    recovery(ModelKind::MbgNbd, &clv::count::MbgNbd { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 }, 200_000, 13);
}

#[test]
fn auto_fits_every_count_model_and_keeps_the_best_by_the_stated_rule() {
    let dir = scratch("auto");
    let summary = cdnow_summary(&dir);
    let out = dir.join("auto.json");
    let result = clv(&["fit", summary.to_str().unwrap(), "--model", "auto", "-o", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    let report = stderr(&result);
    for needle in [
        "bg_nbd",
        "pareto_nbd",
        "mbg_nbd",
        "AIC",
        "BIC",
        "holdout MAE",
        "lowest mean absolute error of holdout purchases",
    ] {
        assert!(report.contains(needle), "lacks '{needle}':\n{report}");
    }
    // The kept model is the one marked, and the one written.
    let kept = report.lines().find(|l| l.starts_with('*')).unwrap().split_whitespace().nth(1).unwrap().to_string();
    assert_eq!(read_json(&out)["model"], kept.as_str());
    assert!(report.contains(&format!("kept {kept} (*)")));
    // Without a holdout the rule is BIC.
    let no_holdout = dir.join("calibration_only.csv");
    let text = fs::read_to_string(&summary).unwrap();
    let trimmed: String = text.lines().map(|l| l.split(',').take(5).collect::<Vec<_>>().join(",") + "\n").collect();
    fs::write(&no_holdout, trimmed).unwrap();
    let result =
        clv(&["fit", no_holdout.to_str().unwrap(), "--model", "auto", "--unit", "week", "-o", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(stderr(&result).contains("lowest BIC"), "{}", stderr(&result));
    // MBG/NBD has the highest log-likelihood on CDNOW with the same number of parameters.
    assert_eq!(read_json(&out)["model"], "mbg_nbd");
}
