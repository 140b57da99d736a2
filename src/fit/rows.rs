//! The data a likelihood is summed over: distinct (x, t_x, T) rows with integer weights, column by column.
//! CDNOW's 2,357 customers are 1,016 distinct rows; terms that depend on x alone are computed once per distinct x.

/// Summary rows with their counts: distinct rows sorted by (x, t_x, T); or, when nearly every row is distinct
/// (continuous times, where sorting would cost more than it saves), the rows as given with weight 1. For spend
/// models `t_x` holds the customer's mean spend and `age` is unused (0).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FitRows {
    /// Frequency x of each row.
    pub x: Vec<f64>,
    /// Recency t_x (or mean spend for spend models).
    pub t_x: Vec<f64>,
    /// Age T.
    pub age: Vec<f64>,
    /// How many customers share the row.
    pub weight: Vec<f64>,
    /// Index of the row's x in `distinct_x`.
    pub x_slot: Vec<u32>,
    /// The distinct values of x, ascending.
    pub distinct_x: Vec<f64>,
    /// Number of customers (sum of weights).
    pub customers: usize,
}

/// Rows examined to decide whether compression pays.
const PROBE_ROWS: usize = 4096;
/// Compress unless more than this share of the probed rows is distinct.
const DISTINCT_SHARE: f64 = 0.9;

impl FitRows {
    /// Compresses per-customer columns into distinct rows (exact equality of the three values), unless a
    /// systematic probe of the rows finds them nearly all distinct.
    pub fn compress(x: &[f64], t_x: &[f64], age: &[f64]) -> FitRows {
        use rayon::prelude::*;
        let key = |i: usize| (x[i].to_bits(), t_x[i].to_bits(), age[i].to_bits());
        let mut probe: Vec<(u64, u64, u64)> = (0..x.len()).step_by((x.len() / PROBE_ROWS).max(1)).map(key).collect();
        probe.sort_unstable();
        let probed = probe.len();
        probe.dedup();
        if x.len() > PROBE_ROWS && probe.len() as f64 > DISTINCT_SHARE * probed as f64 {
            let mut distinct_x: Vec<f64> = x.to_vec();
            distinct_x.par_sort_unstable_by(f64::total_cmp);
            distinct_x.dedup();
            let x_slot = x.par_iter().map(|v| distinct_x.partition_point(|d| d < v) as u32).collect();
            return FitRows {
                x: x.to_vec(),
                t_x: t_x.to_vec(),
                age: age.to_vec(),
                weight: vec![1.0; x.len()],
                x_slot,
                distinct_x,
                customers: x.len(),
            };
        }
        Self::from_counts(x, t_x, age, &vec![1.0; x.len()])
    }

    /// Distinct rows from rows that already carry counts (a table of patterns with weights, such as the BG/BB
    /// donations data): equal rows merge and their counts add up.
    pub fn from_counts(x: &[f64], t_x: &[f64], age: &[f64], counts: &[f64]) -> FitRows {
        use rayon::prelude::*;
        let mut keys: Vec<((u64, u64, u64), usize)> =
            (0..x.len()).map(|i| ((x[i].to_bits(), t_x[i].to_bits(), age[i].to_bits()), i)).collect();
        // Non-negative finite f64 values order like their bit patterns; equal keys keep their input order.
        keys.par_sort_by_key(|&(key, _)| key);
        let mut rows = FitRows { customers: counts.iter().sum::<f64>() as usize, ..FitRows::default() };
        for group in keys.chunk_by(|a, b| a.0 == b.0) {
            let (kx, kt, ka) = group[0].0;
            let xv = f64::from_bits(kx);
            if rows.distinct_x.last() != Some(&xv) {
                rows.distinct_x.push(xv);
            }
            rows.x.push(xv);
            rows.t_x.push(f64::from_bits(kt));
            rows.age.push(f64::from_bits(ka));
            rows.weight.push(group.iter().map(|&(_, i)| counts[i]).sum());
            rows.x_slot.push((rows.distinct_x.len() - 1) as u32);
        }
        rows
    }

    /// The customers' mean age T (weighted by the counts).
    pub fn mean_age(&self) -> f64 {
        let weight: f64 = self.weight.iter().sum();
        self.age.iter().zip(&self.weight).map(|(t, w)| t * w).sum::<f64>() / weight
    }

    /// Number of distinct rows.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// A 64-bit fingerprint of the data: the wrapping sum of a hash of each customer's row, so that the same
    /// customers give the same fingerprint whatever the file's formatting, the row order or the compression.
    pub fn fingerprint(&self) -> String {
        let mix = |mut h: u64| {
            // splitmix64's finaliser.
            h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            h ^ (h >> 31)
        };
        let mut total: u64 = 0;
        for i in 0..self.len() {
            let row = mix(mix(mix(self.x[i].to_bits()) ^ self.t_x[i].to_bits()) ^ self.age[i].to_bits());
            total = total.wrapping_add(row.wrapping_mul(self.weight[i] as u64));
        }
        format!("{total:016x}")
    }

    /// Every `stride`-th row (a systematic subsample), for a cheap warm start.
    pub fn subsample(&self, stride: usize) -> FitRows {
        let keep: Vec<usize> = (0..self.len()).step_by(stride.max(1)).collect();
        let x: Vec<f64> = keep.iter().map(|&i| self.x[i]).collect();
        let mut distinct_x: Vec<f64> = x.clone();
        distinct_x.sort_unstable_by(f64::total_cmp);
        distinct_x.dedup();
        let x_slot = x.iter().map(|v| distinct_x.partition_point(|d| d < v) as u32).collect();
        let weight: Vec<f64> = keep.iter().map(|&i| self.weight[i]).collect();
        FitRows {
            customers: weight.iter().sum::<f64>() as usize,
            t_x: keep.iter().map(|&i| self.t_x[i]).collect(),
            age: keep.iter().map(|&i| self.age[i]).collect(),
            x,
            weight,
            x_slot,
            distinct_x,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_rows_merge_with_counts() {
        let rows =
            FitRows::compress(&[0.0, 2.0, 0.0, 2.0, 1.0], &[0.0, 5.0, 0.0, 4.0, 3.0], &[9.0, 9.0, 9.0, 9.0, 9.0]);
        assert_eq!(rows.x, [0.0, 1.0, 2.0, 2.0]);
        assert_eq!(rows.t_x, [0.0, 3.0, 4.0, 5.0]);
        assert_eq!(rows.weight, [2.0, 1.0, 1.0, 1.0]);
        assert_eq!(rows.distinct_x, [0.0, 1.0, 2.0]);
        assert_eq!(rows.x_slot, [0, 1, 2, 2]);
        assert_eq!(rows.customers, 5);
        let shuffled = FitRows::compress(&[2.0, 1.0, 0.0, 2.0, 0.0], &[4.0, 3.0, 0.0, 5.0, 0.0], &[9.0; 5]);
        assert_eq!(rows.fingerprint(), shuffled.fingerprint());
        let continuous: Vec<f64> = (0..10_000).map(|i| f64::from(i) * 0.37).collect();
        let x: Vec<f64> = (0..10_000).map(|i| f64::from(i % 7)).collect();
        let as_given = FitRows::compress(&x, &continuous, &continuous);
        assert_eq!((as_given.len(), as_given.weight[5], as_given.distinct_x.len()), (10_000, 1.0, 7));
        assert_eq!(as_given.x_slot[12], 5);
        let mut sorted_order: Vec<usize> = (0..10_000).collect();
        sorted_order.sort_by_key(|&i| (x[i] as u64, i));
        let pick = |v: &[f64]| sorted_order.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let reordered = FitRows::compress(&pick(&x), &pick(&continuous), &pick(&continuous));
        assert_eq!(as_given.fingerprint(), reordered.fingerprint());
        let sub_given = as_given.subsample(3);
        assert_eq!(sub_given.distinct_x.len(), 7);
        assert!((0..sub_given.len()).all(|i| sub_given.distinct_x[sub_given.x_slot[i] as usize] == sub_given.x[i]));
        let sub = rows.subsample(2);
        assert_eq!(
            (sub.x.clone(), sub.x_slot.clone(), sub.distinct_x.clone()),
            (vec![0.0, 2.0], vec![0, 1], vec![0.0, 2.0])
        );
    }
}
