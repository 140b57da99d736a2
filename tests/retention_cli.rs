//! `clv retention` through the binary on Fader & Hardie's (2007) high-end cohort, and bad cohort files.

use std::fs;

mod common;
use common::*;

#[test]
fn the_high_end_cohort_and_its_projection() {
    let r = reference();
    let c = &r["sbg_retention"]["high_end"];
    let dir = scratch("retention-cli");
    let cohort = dir.join("cohort.csv");
    let mut text = String::from("period,alive\n");
    for (t, p) in c["percent_alive_years_0_to_7"].as_array().unwrap().iter().enumerate() {
        text.push_str(&format!("{t},{}\n", p.as_f64().unwrap() * 10.0));
    }
    fs::write(&cohort, text).unwrap();
    let out = dir.join("projection.csv");
    let result =
        clv(&["retention", cohort.to_str().unwrap(), "--fee", "100", "--margin", "0.5", "-o", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    let report = stderr(&result);
    // The published estimates (4-5 digits) and log-likelihood (2 decimals), printed to the same precision.
    for needle in ["0.6681", "3.8061", "-1611.16", "value of an active subscriber"] {
        assert!(report.contains(needle), "lacks '{needle}':\n{report}");
    }
    let projection = fs::read_to_string(&out).unwrap();
    for (i, want) in c["projected_percent_alive_years_8_to_12"].as_array().unwrap().iter().enumerate() {
        let line = projection.lines().find(|l| l.starts_with(&format!("{},", 8 + i))).unwrap();
        let fitted: f64 = line.split(',').nth(2).unwrap().parse().unwrap();
        assert!((fitted - want.as_f64().unwrap()).abs() <= 0.05 + 1e-9, "year {}: {fitted}", 8 + i);
    }
}

#[test]
fn bad_cohort_files_name_the_line() {
    let dir = scratch("retention-bad");
    for (name, text, needle) in [
        (
            "rising",
            "period,alive\n0,100\n1,80\n2,90\n",
            "line 4: 90 subscribers alive after 2 periods is more than the 80",
        ),
        ("order", "period,alive\n0,100\n2,80\n3,70\n", "line 3: period 2 is out of order"),
        ("columns", "year,count\n0,100\n", "needs columns period and alive"),
        ("short", "period,alive\n0,100\n1,80\n", "at least two periods"),
        ("text", "period,alive\n0,100\n1,many\n2,50\n", "'many' is not a count"),
    ] {
        let path = dir.join(format!("{name}.csv"));
        fs::write(&path, text).unwrap();
        let result = clv(&["retention", path.to_str().unwrap()]);
        assert_eq!(result.status.code(), Some(1), "{name}");
        assert!(stderr(&result).contains(needle), "{name}: {}", stderr(&result));
    }
}

/// The published high-end cohort as a subscription log: 1000 yearly subscriptions starting on different days of
/// January 2000, the cancellations of year t dated 100 days into it, watched until every survivor has renewed 7
/// times and none an 8th time.
fn high_end_log(path: &std::path::Path) {
    let r = reference();
    let percent: Vec<f64> = r["sbg_retention"]["high_end"]["percent_alive_years_0_to_7"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let alive: Vec<usize> = percent.iter().map(|p| (p * 10.0).round() as usize).collect();
    let mut text = String::from("customer_id,start,end\n");
    let mut customer = 0;
    let mut write = |end_year: Option<usize>| {
        customer += 1;
        let day = 1 + customer % 28;
        let end = end_year.map_or(String::new(), |t| {
            // 100 days into year t of the subscription (April of that year).
            format!("{}-04-{day:02}", 2000 + t - 1)
        });
        text.push_str(&format!("s{customer},2000-01-{day:02},{end}\n"));
    };
    for t in 1..alive.len() {
        (0..alive[t - 1] - alive[t]).for_each(|_| write(Some(t)));
    }
    (0..alive[alive.len() - 1]).for_each(|_| write(None));
    fs::write(path, text).unwrap();
}

#[test]
fn a_subscription_log_of_the_high_end_cohort_fits_as_the_cohort_does() {
    let dir = scratch("retention-log");
    let log = dir.join("subscriptions.csv");
    high_end_log(&log);
    let (model, subscribers) = (dir.join("sbg.json"), dir.join("subscribers.csv"));
    let result = clv(&[
        "retention",
        "--subscriptions",
        log.to_str().unwrap(),
        "--observation-end",
        "2007-01-31",
        "--fee",
        "100",
        "--margin",
        "0.5",
        "--subscribers",
        subscribers.to_str().unwrap(),
        "--save-model",
        model.to_str().unwrap(),
        "-o",
        dir.join("projection.csv").to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    let report = stderr(&result);
    for needle in ["0.6681", "3.8061", "-1611.16", "1000 read, 1000 kept", "8: 46.0%"] {
        assert!(report.contains(needle), "lacks '{needle}':\n{report}");
    }
    let file = read_json(&model);
    assert_eq!((file["model"].as_str(), file["time_unit"].as_str()), (Some("sbg"), Some("year")));
    let (alpha, beta) = (file["params"]["alpha"].as_f64().unwrap(), file["params"]["beta"].as_f64().unwrap());
    // Survivors renewed 7 times: the chance of renewing at the end of year 8 is r(8) = (β + 7)/(α + β + 7).
    let text = fs::read_to_string(&subscribers).unwrap();
    let active = text.lines().find(|l| l.ends_with(|c: char| c.is_ascii_digit()) && l.contains(",,7,1,")).unwrap();
    let fields: Vec<f64> = active.split(',').skip(5).map(|v| v.parse().unwrap()).collect();
    assert!((fields[0] - (beta + 7.0) / (alpha + beta + 7.0)).abs() < 1e-12, "{active}");
    assert!((fields[2] - 0.5 * 100.0 * fields[1]).abs() < 1e-9, "value = margin x fee x lifetime: {active}");
    let cancelled = text.lines().filter(|l| l.contains(",0,,,0")).count();
    assert_eq!(cancelled, 1000 - text.lines().filter(|l| l.contains(",7,1,")).count());

    // The model file serves simulation, and is refused where a purchase-count model is needed.
    let out = clv(&["predict", "--model", model.to_str().unwrap(), log.to_str().unwrap(), "--horizon", "1"]);
    assert!(stderr(&out).contains("'sbg' is a retention model"), "{}", stderr(&out));
}

#[test]
fn subscription_logs_follow_the_documented_rules() {
    let dir = scratch("retention-log-rules");
    let run = |name: &str, text: &str, extra: &[&str]| {
        let path = dir.join(format!("{name}.csv"));
        fs::write(&path, text).unwrap();
        let mut args = vec!["retention", "--subscriptions", path.to_str().unwrap(), "-o", "/dev/null"];
        args.extend(extra);
        clv(&args)
    };
    let header = "customer_id,start,end\n";
    let out = run("backwards", &format!("{header}a,2020-01-01,2021-06-01\nb,2020-05-01,2020-04-01\n"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("line 3") && stderr(&out).contains("ends on 2020-04-01, before it starts"),
        "{}",
        stderr(&out)
    );
    let out = run("overlap", &format!("{header}a,2020-01-01,\nb,2020-01-01,2021-02-01\na,2021-03-01,\n"), &[]);
    assert!(
        stderr(&out).contains("line 4") && stderr(&out).contains("line 2 (from 2020-01-01, still active)"),
        "{}",
        stderr(&out)
    );
    let out = run("overlap2", &format!("{header}a,2020-01-01,2021-06-01\na,2021-03-01,\n"), &[]);
    assert!(stderr(&out).contains("must not overlap"), "{}", stderr(&out));
    // A return after a cancellation, a start after the observation end, an end after it; yearly periods.
    let text = format!(
        "{header}a,2018-01-01,2019-06-01\na,2019-06-01,\nb,2018-03-01,2023-01-01\nc,2022-06-01,\nd,2018-02-01,2020-02-01\n"
    );
    // (Five subscriptions cannot tell heterogeneity apart: the fit may end at the boundary; the data report comes
    // first either way.)
    let out = run("rules", &text, &["--observation-end", "2021-12-31"]);
    let report = stderr(&out);
    assert!(
        report.contains("5 read, 4 kept (2 active at the end, 1 of them ending later), 1 left out (starting after the end), 1 following"),
        "{report}"
    );
}

#[test]
fn sbg_recovers_known_parameters_from_a_simulated_log() {
    let dir = scratch("retention-recovery");
    let truth = dir.join("truth.json");
    fs::write(&truth, r#"{"model": "sbg", "time_unit": "month", "params": {"alpha": 1.3, "beta": 6.5}}"#).unwrap();
    let log = dir.join("log.csv");
    let common = ["simulate", "--model", truth.to_str().unwrap(), "--customers", "100000", "--seed", "4", "-q"];
    let result = clv(&[&common[..], &["--cohort", "12", "--length", "24", "-o", log.to_str().unwrap()]].concat());
    assert!(result.status.success(), "{}", stderr(&result));
    let fitted = dir.join("fitted.json");
    let result = clv(&[
        "retention",
        "--subscriptions",
        log.to_str().unwrap(),
        "--period",
        "month",
        "--observation-end",
        "2002-01-01",
        "-q",
        "-o",
        "/dev/null",
        "--save-model",
        fitted.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    let file = read_json(&fitted);
    for (name, want) in [("alpha", 1.3), ("beta", 6.5)] {
        let (got, se) = (file["params"][name].as_f64().unwrap(), file["standard_errors"][name].as_f64().unwrap());
        assert!((got - want).abs() < 3.0 * se, "{name}: {got} ± {se}, truth {want}");
    }
}
