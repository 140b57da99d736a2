//! `clv refit` through the binary: a warm-started refit on more data becomes a new version beside the old with a
//! `latest` pointer, equal to a cold fit; the same data again write nothing.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::*;

#[test]
fn a_refit_writes_a_new_version_once_per_data() {
    let dir = scratch("refit");
    let summary = cdnow_summary(&dir);
    let models = dir.join("models");
    let first = models.join("summary.bg_nbd.json");
    fit_bg_nbd(&summary, &first);

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

/// The CDNOW layout flags (no periods).
const LAYOUT: [&str; 8] = ["--whitespace", "--no-header", "--customer", "2", "--date", "3", "--amount", "5"];

/// `clv refit --previous PREVIOUS FILES... FLAGS...`.
fn refit(previous: &Path, files: &[&Path], flags: &[&str]) -> std::process::Output {
    let mut args = vec!["refit", "--previous", previous.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.extend(flags);
    clv(&args)
}

/// The first BG/NBD model file, fitted on `summary`.
fn fit_bg_nbd(summary: &Path, model: &Path) {
    let out = clv(&["fit", summary.to_str().unwrap(), "--model", "bg-nbd", "-q", "-o", model.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A model's four parameters.
fn params_of(path: &Path) -> Vec<f64> {
    let file = read_json(path);
    ["r", "alpha", "a", "b"].iter().map(|n| file["params"][n].as_f64().unwrap()).collect()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(a, b)| ((a - b) / b).abs() < 1e-6)
}

#[test]
fn a_refit_reads_purchase_logs_and_states_as_the_summary_they_make() {
    let dir = scratch("refit-logs");
    let summary = cdnow_summary(&dir);
    let models = dir.join("models");
    let first = models.join("summary.bg_nbd.json");
    fit_bg_nbd(&summary, &first);
    let cdnow = PathBuf::from(repo("data/cdnow/CDNOW_sample.txt"));

    // The log the summary was made from, with the same periods: the same fitted rows, so unchanged.
    let same = refit(&first, &[&cdnow], &CDNOW_ARGS);
    assert!(same.status.success() && stderr(&same).contains("unchanged"), "{}", stderr(&same));

    // Three files dealt row by row, in another order, with six more months of calibration: a new version equal
    // to a cold fit on the summary of the whole log with those periods.
    let parts = split_cdnow(&dir, |i, _| format!("part{}.txt", i % 3));
    let shuffled: Vec<&Path> = [2, 0, 1].iter().map(|&i| parts[i].as_path()).collect();
    let longer = ["--calibration-end", "1998-03-31", "--observation-end", "1998-06-30"];
    let flags = [&LAYOUT[..], &longer].concat();
    let grown = refit(&first, &shuffled, &flags);
    assert!(grown.status.success(), "{}", stderr(&grown));
    let names = shuffled.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" + ");
    assert!(stderr(&grown).contains(&names), "{}", stderr(&grown));
    let pointer = models.join("summary.bg_nbd.latest.json");
    let version = models.join(read_json(&pointer)["model_file"].as_str().unwrap());
    let longer_summary = dir.join("longer.csv");
    let mut args = vec!["summarize", cdnow.to_str().unwrap(), "-q", "-o", longer_summary.to_str().unwrap()];
    args.extend(&flags);
    assert!(clv(&args).status.success());
    let cold = dir.join("cold.json");
    assert!(
        clv(&["fit", longer_summary.to_str().unwrap(), "--model", "bg-nbd", "-q", "-o", cold.to_str().unwrap()])
            .status
            .success()
    );
    assert!(close(&params_of(&version), &params_of(&cold)), "{:?} against {:?}", params_of(&version), params_of(&cold));
    // Its summary CSV, through the pointer: the same data, unchanged.
    let again = refit(&pointer, &[&longer_summary], &[]);
    assert!(again.status.success() && stderr(&again).contains("unchanged"), "{}", stderr(&again));
    // Logs in another unit than the model's are refused, naming the unit to give; nothing is written.
    let files_before = fs::read_dir(&models).unwrap().count();
    let days = refit(&pointer, &shuffled, &[&flags[..], &["--unit", "day"]].concat());
    assert_eq!(days.status.code(), Some(1));
    assert!(stderr(&days).contains("give --unit week"), "{}", stderr(&days));
    // No data at all is an error too.
    let nothing = refit(&pointer, &[], &[]);
    assert!(!nothing.status.success() && stderr(&nothing).contains("give the new data"), "{}", stderr(&nothing));
    assert_eq!(fs::read_dir(&models).unwrap().count(), files_before);

    // From a summary state, a file a night: two thirds of the log first (a new version), then the last third,
    // which completes the log of the first fit: a version with the first fit's estimates. (The files share days,
    // being dealt row by row, so their rows are merged as further purchases.)
    let state = dir.join("cdnow.state");
    let state_flags = ["--state", state.to_str().unwrap(), "--overlap", "merge"];
    let with_state = [&LAYOUT[..], &state_flags, &CDNOW_ARGS[8..]].concat();
    let night = refit(&pointer, &[&parts[0], &parts[1]], &with_state);
    assert!(night.status.success(), "{}", stderr(&night));
    assert!(state.is_file(), "the state is written once the refit succeeded");
    let two_thirds = models.join(read_json(&pointer)["model_file"].as_str().unwrap());
    assert!(!close(&params_of(&two_thirds), &params_of(&first)));
    let next = refit(&pointer, &[&parts[2]], &with_state);
    assert!(next.status.success(), "{}", stderr(&next));
    let whole = models.join(read_json(&pointer)["model_file"].as_str().unwrap());
    assert!(close(&params_of(&whole), &params_of(&first)), "{:?} against {:?}", params_of(&whole), params_of(&first));
    // The same night's job again: the file is in the state already, the data unchanged, nothing written.
    let before = (fs::read(&state).unwrap(), fs::read_dir(&models).unwrap().count());
    let repeated = refit(&pointer, &[&parts[2]], &with_state);
    assert!(repeated.status.success() && stderr(&repeated).contains("unchanged"), "{}", stderr(&repeated));
    assert_eq!((fs::read(&state).unwrap(), fs::read_dir(&models).unwrap().count()), before);
}

#[test]
fn a_refit_of_a_run_folder_keeps_the_runs_settings() {
    let dir = scratch("refit-folder").join("run");
    let out = dir.to_str().unwrap();
    let first = clv(&["run", "--out", out, "-q", "--discount-rate", "0.15", "--margin", "0.3", "--json"]);
    assert!(first.status.success(), "{}", stderr(&first));
    // The bundled sample again: with the run's own rate and margin, nothing has changed.
    let same = clv(&["refit", "--previous", out]);
    assert!(same.status.success() && stderr(&same).contains("unchanged"), "{}", stderr(&same));
    // Six more months of calibration: the drift report, past 3 standard errors status 3, said as drift.
    let cdnow = PathBuf::from(repo("data/cdnow/CDNOW_sample.txt"));
    let longer = ["--calibration-end", "1998-03-31", "--observation-end", "1998-06-30", "--max-drift", "3"];
    let drifted = refit(&dir, &[&cdnow], &[&LAYOUT[..], &longer].concat());
    assert_eq!(drifted.status.code(), Some(3), "{}", stderr(&drifted));
    assert!(stderr(&drifted).starts_with("drift: s of pareto_nbd moved by"), "{}", stderr(&drifted));
    let record = read_json(&dir.join("run.json"));
    assert_eq!(record["settings"]["annual_discount_rate"], 0.15);
    assert_eq!(record["settings"]["margin"], 0.3);
    assert_eq!(record["settings"]["calibration_end"], "1998-03-31");
    assert_eq!(record["drift"]["settings_changed"].as_array().map(Vec::len), Some(0));
    assert_eq!(fs::read_dir(dir.join("history")).unwrap().count(), 1);
}

#[test]
fn a_killed_refit_leaves_the_models_and_the_state_usable() {
    let dir = scratch("refit-killed");
    // A large simulated log in two halves of customers: the first starts the state and the model, the second comes
    // with refits killed at several moments.
    let (a, b) = simulated_halves(&dir, 300_000, 3);
    let state = dir.join("big.state");
    let with_state = ["--state", state.to_str().unwrap(), "--overlap", "merge", "-q"];
    let summary = dir.join("a-summary.csv");
    let started =
        clv(&[&["summarize", a.to_str().unwrap(), "-o", summary.to_str().unwrap()], &with_state[..]].concat());
    assert!(started.status.success(), "{}", stderr(&started));
    let models = dir.join("models");
    let model = models.join("big.bg_nbd.json");
    fit_bg_nbd(&summary, &model);
    let state_before = fs::read(&state).unwrap();
    let refit_args = [&["refit", "--previous", model.to_str().unwrap(), b.to_str().unwrap()], &with_state[..]].concat();
    // (An uninterrupted refit of these 300,000 customers takes about 0.4 s here: the kills fall before, during and
    // after its writes.) Every file of the models folder is a whole model file or pointer, and a pointer names a version that exists.
    let models_whole = |when: &str| {
        for entry in fs::read_dir(&models).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue; // a killed writer's temporary (removed by the next write) or the lock
            }
            let json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{when}: {name} is not whole: {e}"));
            if let Some(version) = json["model_file"].as_str() {
                assert!(read_json(&models.join(version))["params"].is_object(), "{when}: {name} -> {version}");
            }
        }
    };
    for delay_ms in [60, 160, 260, 360, 1000] {
        run_and_kill(&refit_args, delay_ms);
        let when = format!("after a kill at {delay_ms} ms");
        models_whole(&when);
        let now = fs::read(&state).unwrap();
        let readable = clv(&["summarize", "-q", "--state", state.to_str().unwrap(), "-o", summary.to_str().unwrap()]);
        assert!(readable.status.success(), "{when}: {}", stderr(&readable));
        if now != state_before {
            break; // the refit had finished: nothing left to interrupt
        }
    }
    // Whatever was killed, the job run again ends with a version fitted on both halves, equal to a cold fit.
    let again = clv(&refit_args);
    assert!(again.status.success(), "{}", stderr(&again));
    models_whole("after the job ran again");
    let whole = dir.join("whole.csv");
    assert!(
        clv(&["summarize", "-q", "--state", state.to_str().unwrap(), "-o", whole.to_str().unwrap()]).status.success()
    );
    let cold = dir.join("cold.json");
    assert!(
        clv(&["fit", whole.to_str().unwrap(), "--model", "bg-nbd", "-q", "-o", cold.to_str().unwrap()])
            .status
            .success()
    );
    let latest = read_json(&models.join("big.bg_nbd.latest.json"));
    let version = models.join(latest["model_file"].as_str().unwrap());
    assert!(close(&params_of(&version), &params_of(&cold)), "{:?} against {:?}", params_of(&version), params_of(&cold));
}
