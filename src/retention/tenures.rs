//! How long subscriptions lasted, in whole contract periods: the data the shifted-beta-geometric model is fitted
//! on, from a cohort's survival counts or from a log of individual subscriptions (each observed for its own
//! length of time).

use crate::fit::FitRows;

/// Counts of subscriptions by tenure: `cancelled[t − 1]` ended during period t (T = t: renewed t − 1 times, then
/// not again), `active[k]` were still running when last seen, after k renewals (T > k).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tenures {
    /// Subscriptions cancelled in period t = 1, 2, ... (index t − 1).
    pub cancelled: Vec<f64>,
    /// Subscriptions still active after k = 0, 1, ... renewals (index k).
    pub active: Vec<f64>,
}

impl Tenures {
    /// The tenures of one cohort that started together: `alive[t]` subscribers remained after t periods
    /// (`alive[0]` is the cohort's size); those left after the last period are still active.
    pub fn from_cohort(alive: &[f64]) -> Tenures {
        let mut tenures = Tenures { cancelled: alive.windows(2).map(|w| w[0] - w[1]).collect(), active: Vec::new() };
        if let Some(&remaining) = alive.last() {
            tenures.add_active(alive.len() as u32 - 1, remaining);
        }
        tenures
    }

    /// Adds `count` subscriptions cancelled during period `t` ≥ 1.
    pub fn add_cancelled(&mut self, t: u32, count: f64) {
        let index = t.max(1) as usize - 1;
        grow(&mut self.cancelled, index);
        self.cancelled[index] += count;
    }

    /// Adds `count` subscriptions still active after `renewals` renewals.
    pub fn add_active(&mut self, renewals: u32, count: f64) {
        grow(&mut self.active, renewals as usize);
        self.active[renewals as usize] += count;
    }

    /// Number of subscriptions.
    pub fn subscriptions(&self) -> f64 {
        self.cancelled.iter().sum::<f64>() + self.active.iter().sum::<f64>()
    }

    /// The longest tenure observed, in periods.
    pub fn periods_observed(&self) -> u32 {
        self.cancelled.len().max(self.active.len().saturating_sub(1)) as u32
    }

    /// Rows for the fitting engine: (t, 1) weighted by the cancellations in period t and (k, 0) by the
    /// subscriptions active after k renewals; t in `x`, the cancellation flag in `t_x`.
    pub fn rows(&self) -> FitRows {
        let cancelled = self.cancelled.iter().enumerate().map(|(i, &n)| ((i + 1) as f64, 1.0, n));
        let active = self.active.iter().enumerate().map(|(k, &n)| (k as f64, 0.0, n));
        let (mut t, mut flag, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for (periods, cancelled, count) in cancelled.chain(active).filter(|r| r.2 > 0.0) {
            t.push(periods);
            flag.push(cancelled);
            counts.push(count);
        }
        FitRows::from_counts(&t, &flag, &vec![0.0; t.len()], &counts)
    }

    /// The observed survival S(0), S(1), ... (Kaplan-Meier): the product over periods j ≤ t of one minus the
    /// share cancelled in j of those at risk in j (cancelled in j or later, or seen to renew after j). For one
    /// cohort it is alive[t]/alive[0]. It stops where nobody is at risk.
    pub fn observed_survival(&self) -> Vec<f64> {
        let mut survival = vec![1.0];
        for j in 1..=self.periods_observed() as usize {
            let at_risk: f64 = self.cancelled.iter().skip(j - 1).sum::<f64>() + self.active.iter().skip(j).sum::<f64>();
            if at_risk <= 0.0 {
                break;
            }
            let lost = self.cancelled.get(j - 1).copied().unwrap_or(0.0);
            survival.push(survival[j - 1] * (1.0 - lost / at_risk));
        }
        survival
    }
}

fn grow(counts: &mut Vec<f64>, index: usize) {
    if counts.len() <= index {
        counts.resize(index + 1, 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cohort_becomes_cancellations_and_the_survivors() {
        let tenures = Tenures::from_cohort(&[1000.0, 869.0, 743.0, 653.0]);
        assert_eq!(tenures.cancelled, vec![131.0, 126.0, 90.0]);
        assert_eq!(tenures.active, vec![0.0, 0.0, 0.0, 653.0]);
        assert_eq!((tenures.subscriptions(), tenures.periods_observed()), (1000.0, 3));
        let survival = tenures.observed_survival();
        assert_eq!(survival.len(), 4);
        for (got, want) in survival.iter().zip([1.0, 0.869, 0.743, 0.653]) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
        let rows = tenures.rows();
        assert_eq!((rows.len(), rows.customers), (4, 1000));
    }

    #[test]
    fn censored_subscriptions_leave_the_risk_set_without_counting_as_cancelled() {
        // Two cancel in period 1; one is seen active after 1 renewal only; three cancel in period 2; one active
        // after 2. Period 1: 7 at risk, 2 lost. Period 2: 4 at risk (3 cancelled in 2, 1 active after 2), 3 lost.
        let mut tenures = Tenures::default();
        tenures.add_cancelled(1, 2.0);
        tenures.add_active(1, 1.0);
        tenures.add_cancelled(2, 3.0);
        tenures.add_active(2, 1.0);
        let survival = tenures.observed_survival();
        assert!((survival[1] - 5.0 / 7.0).abs() < 1e-15);
        assert!((survival[2] - 5.0 / 7.0 * 0.25).abs() < 1e-15);
    }
}
