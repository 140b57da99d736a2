//! What changed between two runs on the same business: each parameter's move in standard errors, the
//! log-likelihood gained by refitting, customer equity and where its change came from (customers in both runs,
//! new customers, customers no longer summarised), the customers whose value moved most, and customers who lapsed
//! (P(alive) fell below [`LAPSED_BELOW`]) or revived.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A customer counts as alive at P(alive) >= 0.5 and as lapsed when a run puts them below it after the previous
/// run put them at or above it.
pub const LAPSED_BELOW: f64 = 0.5;

/// Customers listed as having moved most (by absolute change in CLV).
pub const MOVERS_LISTED: usize = 10;

/// One parameter before and after a refit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterChange {
    /// The model (file name, e.g. `bg_nbd`).
    pub model: String,
    /// The parameter.
    pub name: String,
    /// The previous estimate.
    pub previous: f64,
    /// The new estimate.
    pub new: f64,
    /// The new estimate's standard error; none at a boundary.
    pub standard_error: Option<f64>,
    /// (new - previous) / standard error; none without a standard error.
    pub change_in_se: Option<f64>,
}

/// Each parameter's change measured in its new standard error (a non-finite or zero error gives none).
pub fn parameter_changes(
    model: &str,
    names: &[&str],
    previous: &[f64],
    new: &[f64],
    standard_errors: &[f64],
) -> Vec<ParameterChange> {
    names
        .iter()
        .zip(previous.iter().zip(new))
        .zip(standard_errors)
        .map(|((name, (&previous, &new)), &se)| {
            let se = (se.is_finite() && se > 0.0).then_some(se);
            ParameterChange {
                model: model.to_owned(),
                name: (*name).to_owned(),
                previous,
                new,
                standard_error: se,
                change_in_se: se.map(|se| (new - previous) / se),
            }
        })
        .collect()
}

/// The parameter that moved most in standard errors, if any has one.
pub fn largest_change(changes: &[ParameterChange]) -> Option<&ParameterChange> {
    changes
        .iter()
        .filter(|c| c.change_in_se.is_some())
        .max_by(|a, b| a.change_in_se.unwrap_or(0.0).abs().total_cmp(&b.change_in_se.unwrap_or(0.0).abs()))
}

/// A customer's figures in a run (currency for CLV; probability; repeat purchases in calibration).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomerFigures {
    /// Lifetime value, in currency.
    pub clv: f64,
    /// Probability of being alive at the calibration end.
    pub p_alive: f64,
    /// Repeat purchases in calibration.
    pub frequency: f64,
}

/// Reads the previous run's `customers.csv` (columns `customer_id`, `clv`, `p_alive`, `frequency`).
pub fn read_customers(path: &Path) -> Result<HashMap<String, CustomerFigures>, String> {
    let name = path.display();
    let mut reader = csv::Reader::from_path(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let header = reader.headers().map_err(|e| format!("{name}: {e}"))?.clone();
    let column = |wanted: &str| {
        header.iter().position(|h| h == wanted).ok_or_else(|| format!("{name}: no column '{wanted}' in the header"))
    };
    let (id, clv, alive, frequency) =
        (column("customer_id")?, column("clv")?, column("p_alive")?, column("frequency")?);
    let mut customers = HashMap::new();
    for (k, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("{name}: {e}"))?;
        let line = k + 2;
        let number = |index: usize, field: &str| -> Result<f64, String> {
            let text = record.get(index).unwrap_or("");
            text.parse().map_err(|_| format!("{name}, line {line}, field {field}: '{text}' is not a number"))
        };
        let figures = CustomerFigures {
            clv: number(clv, "clv")?,
            p_alive: number(alive, "p_alive")?,
            frequency: number(frequency, "frequency")?,
        };
        customers.insert(record.get(id).unwrap_or("").to_owned(), figures);
    }
    Ok(customers)
}

/// Customer equity then and now, and where the change came from: `new - previous = (continuing_new -
/// continuing_previous) + new_customers - gone_customers`. Currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EquityBridge {
    /// The previous run's customer equity (its customers' CLV summed).
    pub previous: f64,
    /// This run's.
    pub new: f64,
    /// Customers in both runs: their value in the previous run.
    pub continuing_previous: f64,
    /// Customers in both runs: their value now.
    pub continuing_new: f64,
    /// Customers new in this run: their value.
    pub new_customers: f64,
    /// Customers of the previous run not in this one: their previous value.
    pub gone_customers: f64,
}

/// How many customers are in each situation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCounts {
    /// Customers valued in the previous run.
    pub previous: usize,
    /// Customers valued in this run.
    pub current: usize,
    /// New in this run.
    pub new: usize,
    /// In the previous run and not in this one.
    pub gone: usize,
    /// In both, P(alive) at or above [`LAPSED_BELOW`] then and below it now.
    pub lapsed: usize,
    /// In both, below then and at or above now.
    pub revived: usize,
}

/// A customer whose value moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerMove {
    /// The customer id.
    pub id: String,
    /// CLV in the previous run and now (currency).
    pub clv: (f64, f64),
    /// P(alive) in the previous run and now.
    pub p_alive: (f64, f64),
    /// Repeat purchases in calibration in the previous run and now.
    pub frequency: (f64, f64),
}

/// The customers of two runs compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerDrift {
    /// Equity then and now, and its bridge.
    pub equity: EquityBridge,
    /// Counts of new, gone, lapsed and revived customers.
    pub counts: CustomerCounts,
    /// The customers in both runs whose CLV moved most (largest absolute change first, ties by id), at most
    /// [`MOVERS_LISTED`].
    pub movers: Vec<CustomerMove>,
}

/// Compares this run's customers (`current`: id and figures, in any order) with the previous run's.
pub fn compare_customers(
    previous: &HashMap<String, CustomerFigures>,
    current: impl Iterator<Item = (String, CustomerFigures)>,
) -> CustomerDrift {
    let mut equity = EquityBridge {
        previous: 0.0,
        new: 0.0,
        continuing_previous: 0.0,
        continuing_new: 0.0,
        new_customers: 0.0,
        gone_customers: 0.0,
    };
    let mut counts = CustomerCounts { previous: previous.len(), current: 0, new: 0, gone: 0, lapsed: 0, revived: 0 };
    let mut movers: Vec<CustomerMove> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::with_capacity(previous.len());
    for (id, now) in current {
        counts.current += 1;
        equity.new += now.clv;
        let Some((key, then)) = previous.get_key_value(&id) else {
            counts.new += 1;
            equity.new_customers += now.clv;
            continue;
        };
        seen.insert(key.as_str());
        equity.continuing_previous += then.clv;
        equity.continuing_new += now.clv;
        let (was_alive, is_alive) = (then.p_alive >= LAPSED_BELOW, now.p_alive >= LAPSED_BELOW);
        counts.lapsed += usize::from(was_alive && !is_alive);
        counts.revived += usize::from(!was_alive && is_alive);
        movers.push(CustomerMove {
            id,
            clv: (then.clv, now.clv),
            p_alive: (then.p_alive, now.p_alive),
            frequency: (then.frequency, now.frequency),
        });
    }
    // The customers no longer valued, summed in the order of their ids (a map's order changes from one process to
    // the next), so that the bridge is the same number in every run and is exactly zero when nobody is gone.
    let mut gone: Vec<(&str, f64)> =
        previous.iter().filter(|(id, _)| !seen.contains(id.as_str())).map(|(id, c)| (id.as_str(), c.clv)).collect();
    gone.sort_unstable_by(|a, b| a.0.cmp(b.0));
    counts.gone = gone.len();
    equity.gone_customers = gone.iter().map(|(_, clv)| clv).sum();
    equity.previous = equity.continuing_previous + equity.gone_customers;
    let moved = |m: &CustomerMove| (m.clv.1 - m.clv.0).abs();
    movers.sort_by(|a, b| moved(b).total_cmp(&moved(a)).then_with(|| a.id.cmp(&b.id)));
    movers.truncate(MOVERS_LISTED);
    CustomerDrift { equity, counts, movers }
}

/// What changed since the previous run (`run.json`'s `drift`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftSection {
    /// When the previous run was made.
    pub previous_created_at: String,
    /// Its calibration end.
    pub previous_calibration_end: String,
    /// The folder (inside the run folder) where the previous run's files are kept.
    pub previous_kept_in: String,
    /// The settings that differ from the previous run's, in words (besides the dates).
    pub settings_changed: Vec<String>,
    /// Every parameter of the count and the spend model, before and after.
    pub parameters: Vec<ParameterChange>,
    /// The count model's log-likelihood on this run's data at the new estimates.
    pub log_likelihood: f64,
    /// The same at the previous run's estimates (the refit gains the difference).
    pub previous_parameters_log_likelihood: f64,
    /// The customers compared.
    pub customers: CustomerDrift,
    /// The limit on a parameter's change in standard errors, when one was given.
    pub max_drift: Option<f64>,
}

impl DriftSection {
    /// The parameter that moved most, when a limit was given and it was exceeded.
    pub fn exceeded(&self) -> Option<&ParameterChange> {
        let limit = self.max_drift?;
        largest_change(&self.parameters).filter(|c| c.change_in_se.is_some_and(|z| z.abs() > limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(clv: f64, p_alive: f64) -> CustomerFigures {
        CustomerFigures { clv, p_alive, frequency: 1.0 }
    }

    #[test]
    fn the_equity_bridge_adds_up_and_customers_are_classified() {
        let previous: HashMap<String, CustomerFigures> = [
            ("a".to_string(), figures(100.0, 0.9)),
            ("b".to_string(), figures(50.0, 0.6)),
            ("c".to_string(), figures(20.0, 0.2)),
            ("gone".to_string(), figures(7.0, 0.8)),
        ]
        .into();
        let current = [
            ("a", figures(90.0, 0.8)),
            ("b", figures(10.0, 0.3)),
            ("c", figures(25.0, 0.7)),
            ("new", figures(30.0, 1.0)),
        ];
        let drift = compare_customers(&previous, current.iter().map(|(id, f)| (id.to_string(), *f)));
        let e = &drift.equity;
        assert_eq!((e.previous, e.new), (177.0, 155.0));
        assert_eq!(
            (e.continuing_previous, e.continuing_new, e.new_customers, e.gone_customers),
            (170.0, 125.0, 30.0, 7.0)
        );
        assert_eq!(e.new - e.previous, (e.continuing_new - e.continuing_previous) + e.new_customers - e.gone_customers);
        assert_eq!(drift.counts, CustomerCounts { previous: 4, current: 4, new: 1, gone: 1, lapsed: 1, revived: 1 });
        let order: Vec<&str> = drift.movers.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(order, ["b", "a", "c"]);
    }

    #[test]
    fn changes_are_in_standard_errors_and_none_without_one() {
        let changes = parameter_changes("bg_nbd", &["r", "alpha"], &[1.0, 2.0], &[1.5, 2.0], &[0.25, f64::NAN]);
        assert_eq!(changes[0].change_in_se, Some(2.0));
        assert_eq!(changes[1].change_in_se, None);
        assert_eq!(largest_change(&changes).map(|c| c.name.as_str()), Some("r"));
        let section = |limit| DriftSection {
            previous_created_at: String::new(),
            previous_calibration_end: String::new(),
            previous_kept_in: String::new(),
            settings_changed: Vec::new(),
            parameters: changes.clone(),
            log_likelihood: 0.0,
            previous_parameters_log_likelihood: 0.0,
            customers: compare_customers(&HashMap::new(), std::iter::empty()),
            max_drift: limit,
        };
        assert!(section(Some(1.5)).exceeded().is_some());
        assert!(section(Some(2.5)).exceeded().is_none());
        assert!(section(None).exceeded().is_none());
    }
}
