//! `clv refit` through the binary: a warm-started refit on more data becomes a new version beside the old with a
//! `latest` pointer, equal to a cold fit; the same data again write nothing.

use std::fs;

mod common;
use common::*;

#[test]
fn a_refit_writes_a_new_version_once_per_data() {
    let dir = scratch("refit");
    let summary = cdnow_summary(&dir);
    let models = dir.join("models");
    let first = models.join("summary.bg_nbd.json");
    let out = clv(&["fit", summary.to_str().unwrap(), "--model", "bg-nbd", "-q", "-o", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The same summary again: nothing new.
    let same = clv(&["refit", "--previous", first.to_str().unwrap(), summary.to_str().unwrap()]);
    assert!(same.status.success(), "{}", stderr(&same));
    assert!(stderr(&same).contains("unchanged"), "{}", stderr(&same));
    // No new version; the pointer now names the first file.
    assert_eq!(fs::read_dir(&models).unwrap().count(), 2);
    assert_eq!(read_json(&models.join("summary.bg_nbd.latest.json"))["model_file"], "summary.bg_nbd.json");

    // Six more months of calibration: a new version and the pointer to it.
    let longer = dir.join("longer.csv");
    let file = repo("data/cdnow/CDNOW_sample.txt");
    let mut args = vec!["summarize", file.as_str(), "-q", "-o", longer.to_str().unwrap()];
    args.extend(["--whitespace", "--no-header", "--customer", "2", "--date", "3", "--amount", "5"]);
    args.extend(["--calibration-end", "1998-03-31", "--observation-end", "1998-06-30"]);
    assert!(clv(&args).status.success());
    let refit = clv(&["refit", "--previous", first.to_str().unwrap(), longer.to_str().unwrap()]);
    assert!(refit.status.success(), "{}", stderr(&refit));
    assert!(stderr(&refit).contains("change in SEs"), "{}", stderr(&refit));
    let latest = read_json(&models.join("summary.bg_nbd.latest.json"));
    let version = models.join(latest["model_file"].as_str().unwrap());
    assert!(version.is_file(), "{}", version.display());
    assert_eq!(latest["previous"], "summary.bg_nbd.json");
    assert!(first.is_file(), "the previous version is kept");
    // Warm-started, it reaches the cold fit's estimates.
    let cold = dir.join("cold.json");
    assert!(
        clv(&["fit", longer.to_str().unwrap(), "--model", "bg-nbd", "-q", "-o", cold.to_str().unwrap()])
            .status
            .success()
    );
    let (warm, cold) = (read_json(&version), read_json(&cold));
    for name in ["r", "alpha", "a", "b"] {
        let (w, c) = (warm["params"][name].as_f64().unwrap(), cold["params"][name].as_f64().unwrap());
        assert!(((w - c) / c).abs() < 1e-6, "{name}: {w} vs {c}");
    }
    // The same new data again, from either version: unchanged, still two versions and the pointer.
    for previous in [&version, &first] {
        let again = clv(&["refit", "--previous", previous.to_str().unwrap(), longer.to_str().unwrap(), "--json"]);
        assert!(again.status.success(), "{}", stderr(&again));
        let said: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
        assert_eq!(said["unchanged"], true);
        assert_eq!(fs::read_dir(&models).unwrap().count(), 3);
    }

    // A drift limit: three more months move the parameters; past 0.01 standard errors the status is 3, and the
    // version is written all the same.
    let later = dir.join("later.csv");
    let mut args = vec!["summarize", file.as_str(), "-q", "-o", later.to_str().unwrap()];
    args.extend(["--whitespace", "--no-header", "--customer", "2", "--date", "3", "--amount", "5"]);
    args.extend(["--calibration-end", "1998-06-30"]);
    assert!(clv(&args).status.success());
    // Through the pointer, as a scheduled job would: it names the newest version.
    let pointer = models.join("summary.bg_nbd.latest.json");
    let drift = clv(&[
        "refit",
        "--previous",
        pointer.to_str().unwrap(),
        later.to_str().unwrap(),
        "--max-drift",
        "0.01",
        "--json",
    ]);
    assert_eq!(drift.status.code(), Some(3), "{}", stderr(&drift));
    assert!(stderr(&drift).contains("standard errors, more than --max-drift 0.01"), "{}", stderr(&drift));
    let said: serde_json::Value = serde_json::from_slice(&drift.stdout).unwrap();
    assert_eq!(said["parameters"].as_array().unwrap().len(), 4);
    assert!(said["log_likelihood_gain_over_previous_parameters"].as_f64().unwrap() >= 0.0);
    assert_eq!(fs::read_dir(&models).unwrap().count(), 4);
    assert_eq!(said["previous"], version.display().to_string(), "the pointer was followed to the newest version");
    let newest = said["model_file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    assert_eq!(read_json(&pointer)["model_file"], newest.as_str());

    // A refit killed after writing its version but before the pointer: the pointer still names the version before.
    // The same job again finds today's version of these data, says unchanged, and brings the pointer up to it.
    let behind = fs::read(&pointer).unwrap();
    fs::write(&pointer, serde_json::json!({"model_file": version.file_name().unwrap().to_str().unwrap()}).to_string())
        .unwrap();
    let again = clv(&["refit", "--previous", pointer.to_str().unwrap(), later.to_str().unwrap()]);
    assert!(again.status.success() && stderr(&again).contains("unchanged"), "{}", stderr(&again));
    assert_eq!(read_json(&pointer)["model_file"], newest.as_str());
    assert_eq!(read_json(&pointer)["previous"], version.file_name().unwrap().to_str().unwrap());
    assert_eq!(fs::read_dir(&models).unwrap().count(), 4, "no new version");
    assert_eq!(fs::read(&pointer).unwrap(), behind, "the pointer the killed refit would have written");
}
