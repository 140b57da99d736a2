//! The data a likelihood is summed over: distinct (x, t_x, T) rows with integer weights, column by column.
//! CDNOW's 2,357 customers are 1,016 distinct rows; terms that depend on x alone are computed once per distinct x.

/// Distinct summary rows with their counts, sorted by (x, t_x, T). For spend models `t_x` holds the customer's
/// mean spend and `age` is unused (0).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FitRows {
    /// Frequency x of each distinct row.
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

impl FitRows {
    /// Compresses per-customer columns into distinct rows (exact equality of the three values).
    pub fn compress(x: &[f64], t_x: &[f64], age: &[f64]) -> FitRows {
        use rayon::slice::ParallelSliceMut;
        let mut keys: Vec<(u64, u64, u64)> =
            (0..x.len()).map(|i| (x[i].to_bits(), t_x[i].to_bits(), age[i].to_bits())).collect();
        // Non-negative finite f64 values order like their bit patterns.
        keys.par_sort_unstable();
        let mut rows = FitRows { customers: x.len(), ..FitRows::default() };
        let mut i = 0;
        while i < keys.len() {
            let mut j = i + 1;
            while j < keys.len() && keys[j] == keys[i] {
                j += 1;
            }
            let (kx, kt, ka) = keys[i];
            let xv = f64::from_bits(kx);
            if rows.distinct_x.last() != Some(&xv) {
                rows.distinct_x.push(xv);
            }
            rows.x.push(xv);
            rows.t_x.push(f64::from_bits(kt));
            rows.age.push(f64::from_bits(ka));
            rows.weight.push((j - i) as f64);
            rows.x_slot.push((rows.distinct_x.len() - 1) as u32);
            i = j;
        }
        rows
    }

    /// Number of distinct rows.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// A 64-bit fingerprint of the data (a multiply-rotate hash over the rows' bits, word by word): the same
    /// customers give the same fingerprint whatever the file's formatting or row order.
    pub fn fingerprint(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for i in 0..self.len() {
            for value in [self.x[i], self.t_x[i], self.age[i], self.weight[i]] {
                hash = (hash ^ value.to_bits()).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
            }
        }
        format!("{hash:016x}")
    }

    /// Every `stride`-th row (a systematic subsample of the sorted rows), for a cheap warm start.
    pub fn subsample(&self, stride: usize) -> FitRows {
        let keep: Vec<usize> = (0..self.len()).step_by(stride.max(1)).collect();
        let x: Vec<f64> = keep.iter().map(|&i| self.x[i]).collect();
        let mut distinct_x: Vec<f64> = x.clone();
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
        let sub = rows.subsample(2);
        assert_eq!(
            (sub.x.clone(), sub.x_slot.clone(), sub.distinct_x.clone()),
            (vec![0.0, 2.0], vec![0, 1], vec![0.0, 2.0])
        );
    }
}
