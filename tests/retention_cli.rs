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
