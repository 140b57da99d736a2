//! Value segments of a customer base: deciles (or user thresholds) of CLV, each with its customers, share of
//! value, mean CLV, mean P(alive), and the acquisition cost it can bear at a target LTV:CAC ratio.

/// One segment of customers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    /// How the segment is named (`top 10%`, `clv 10 to 50`).
    pub label: String,
    /// Customers in the segment.
    pub customers: usize,
    /// Share of the base's total CLV.
    pub share_of_value: f64,
    /// Mean CLV.
    pub mean_clv: f64,
    /// Mean P(alive).
    pub mean_p_alive: f64,
}

impl Segment {
    /// LTV:CAC: mean CLV over the acquisition cost.
    pub fn ltv_to_cac(&self, cac: f64) -> f64 {
        self.mean_clv / cac
    }

    /// The highest acquisition cost at which the segment still returns `target` times its cost.
    pub fn max_cac(&self, target: f64) -> f64 {
        self.mean_clv / target
    }
}

fn segment(label: String, members: &[usize], clv: &[f64], p_alive: &[f64], total: f64) -> Segment {
    let n = members.len().max(1) as f64;
    let value: f64 = members.iter().map(|&i| clv[i]).sum();
    Segment {
        label,
        customers: members.len(),
        share_of_value: if total > 0.0 { value / total } else { 0.0 },
        mean_clv: value / n,
        mean_p_alive: members.iter().map(|&i| p_alive[i]).sum::<f64>() / n,
    }
}

/// The members of each decile of CLV, highest first (ties broken by position, so the split is reproducible),
/// with their labels.
pub fn decile_members(clv: &[f64]) -> Vec<(String, Vec<usize>)> {
    let mut order: Vec<usize> = (0..clv.len()).collect();
    order.sort_by(|&a, &b| clv[b].total_cmp(&clv[a]).then(a.cmp(&b)));
    let n = order.len();
    (0..10)
        .map(|d| (format!("decile {} (top {}0-{}0%)", d + 1, d, d + 1), order[d * n / 10..(d + 1) * n / 10].to_vec()))
        .collect()
}

/// The members of the segments between ascending CLV thresholds, highest first: [t_k, ∞), ..., [t_1, t_2),
/// below t_1, with their labels.
pub fn threshold_members(clv: &[f64], thresholds: &[f64]) -> Vec<(String, Vec<usize>)> {
    let mut bounds = vec![f64::NEG_INFINITY];
    bounds.extend_from_slice(thresholds);
    bounds.push(f64::INFINITY);
    (0..bounds.len() - 1)
        .rev()
        .map(|k| {
            let (lo, hi) = (bounds[k], bounds[k + 1]);
            let label = match (lo.is_finite(), hi.is_finite()) {
                (false, _) => format!("clv below {hi}"),
                (_, false) => format!("clv {lo} and above"),
                _ => format!("clv {lo} to {hi}"),
            };
            (label, (0..clv.len()).filter(|&i| clv[i] >= lo && clv[i] < hi).collect())
        })
        .collect()
}

/// The segments of a membership (from [`decile_members`] or [`threshold_members`]).
pub fn segments_of(members: &[(String, Vec<usize>)], clv: &[f64], p_alive: &[f64]) -> Vec<Segment> {
    let total: f64 = clv.iter().sum();
    members.iter().map(|(label, m)| segment(label.clone(), m, clv, p_alive, total)).collect()
}

/// Each customer's segment index in a membership.
pub fn segment_index(members: &[(String, Vec<usize>)], customers: usize) -> Vec<usize> {
    let mut index = vec![0; customers];
    for (s, (_, m)) in members.iter().enumerate() {
        m.iter().for_each(|&i| index[i] = s);
    }
    index
}

/// Deciles by CLV, highest first (ties broken by position, so the split is reproducible).
pub fn deciles(clv: &[f64], p_alive: &[f64]) -> Vec<Segment> {
    segments_of(&decile_members(clv), clv, p_alive)
}

/// Segments between ascending CLV thresholds, highest first: [t_k, ∞), ..., [t_1, t_2), below t_1.
pub fn by_thresholds(clv: &[f64], p_alive: &[f64], thresholds: &[f64]) -> Vec<Segment> {
    segments_of(&threshold_members(clv, thresholds), clv, p_alive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciles_split_the_value() {
        let clv: Vec<f64> = (0..100).map(f64::from).collect();
        let alive = vec![0.5; 100];
        let d = deciles(&clv, &alive);
        assert_eq!(d.len(), 10);
        assert!(d.iter().all(|s| s.customers == 10));
        assert!((d[0].mean_clv - 94.5).abs() < 1e-12);
        assert!((d.iter().map(|s| s.share_of_value).sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((d[0].max_cac(3.0) - 31.5).abs() < 1e-12);
        let t = by_thresholds(&clv, &alive, &[10.0, 50.0]);
        assert_eq!(t.iter().map(|s| s.customers).collect::<Vec<_>>(), [50, 40, 10]);
    }
}
