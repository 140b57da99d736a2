//! BG/BB through the library on the donations data of Fader, Hardie & Shang (2010).

use clv::count::CountModel;
use clv::count::bg_bb::{BgBb, BgBbFamily};
use clv::fit::{FitRows, fit};

mod common;
use common::*;

/// The 22 (frequency, recency, periods, weights) patterns of the bundled donations table.
fn donations() -> FitRows {
    let mut reader = csv::Reader::from_path(repo("data/donations/donations.csv")).unwrap();
    let (mut x, mut t_x, mut n, mut w) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for record in reader.records() {
        let r = record.unwrap();
        let v = |i: usize| r[i].parse::<f64>().unwrap();
        x.push(v(0));
        t_x.push(v(1));
        n.push(v(2));
        w.push(v(3));
    }
    FitRows::from_counts(&x, &t_x, &n, &w)
}

#[test]
fn donations_fit_matches_the_mle_and_p_alive_the_published_values() {
    let rows = donations();
    assert_eq!((rows.len(), rows.customers), (22, 11_104));
    let estimate = fit(&BgBbFamily, &rows, None);
    assert!(estimate.diagnostics.converged, "{:?}", estimate.diagnostics);
    let r = reference();
    let reference = &r["donations_bg_bb"];
    for (name, got) in estimate.names.iter().zip(&estimate.params) {
        let want = reference["mle"]["params"][*name].as_f64().unwrap();
        assert!(((got - want) / want).abs() < 1e-6, "{name}: {got} vs {want}");
    }
    let want_ll = reference["mle"]["log_likelihood"].as_f64().unwrap();
    assert!((estimate.log_likelihood - want_ll).abs() < 1e-4, "{}", estimate.log_likelihood);
    let published = &reference["published"];
    let m = BgBb::from_params(&["alpha", "beta", "gamma", "delta"].map(|k| published[k].as_f64().unwrap()));
    for case in reference["p_alive_at_published_params_n6"].as_array().unwrap() {
        let (x, t_x, want) =
            (case["x"].as_f64().unwrap(), case["t_x"].as_f64().unwrap(), case["value"].as_f64().unwrap());
        // Printed to two decimals.
        let got = m.p_alive(x, t_x, 6.0);
        assert!((got - want).abs() <= 0.005, "P(alive | {x}, {t_x}, 6) = {got}, printed {want}");
    }
    // Expected transactions over the next 5 opportunities fall as the last donation recedes.
    let recent = m.expected_purchases(3.0, 6.0, 6.0, 5.0);
    let lapsed = m.expected_purchases(3.0, 3.0, 6.0, 5.0);
    assert!(recent > lapsed && lapsed > 0.0, "{recent} {lapsed}");
}
