//! Purchases held in memory in one canonical order (customer ids byte by byte, then day, then amount), whatever
//! the order of the files and rows they came from: the content of a summary state.

use super::customers::IdArena;
use super::dates::Day;
use super::money::Money;
use rayon::prelude::*;
use std::cmp::Ordering;

/// Rows whose customers are numbered within their own ids: (ids, rows of (customer, day, amount)).
pub type NumberedRows = (IdArena, Vec<(u32, Day, Money)>);

/// One purchase row: a customer (index into the ids), a day and an amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Purchase {
    /// Index of the customer's id.
    pub customer: u32,
    /// The purchase day.
    pub day: Day,
    /// The amount (0 in count-only logs).
    pub amount: Money,
}

/// Purchase rows (same-day purchases not merged) with their customers' ids; ids sorted byte by byte and rows by
/// customer, day and amount, so that equal contents are equal values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Purchases {
    /// Whether the rows carry amounts.
    pub has_amounts: bool,
    /// Distinct customer ids, in byte order.
    pub ids: IdArena,
    /// The rows, in order.
    pub rows: Vec<Purchase>,
}

impl Purchases {
    /// Purchases from parts that each number their own customers: (ids, rows of (customer, day, amount)).
    pub fn from_parts(has_amounts: bool, parts: Vec<NumberedRows>) -> Result<Purchases, String> {
        let mut every: Vec<(usize, u32)> =
            parts.iter().enumerate().flat_map(|(p, (ids, _))| (0..ids.len() as u32).map(move |c| (p, c))).collect();
        let id = |&(p, c): &(usize, u32)| parts[p].0.get(c as usize);
        every.par_sort_unstable_by(|a, b| id(a).cmp(id(b)));
        let mut ids = IdArena::default();
        let mut renumber: Vec<Vec<u32>> = parts.iter().map(|(ids, _)| vec![0; ids.len()]).collect();
        let mut previous: Option<&[u8]> = None;
        for place in &every {
            let this = id(place);
            if previous != Some(this) {
                ids.push(this)?;
                previous = Some(this);
            }
            renumber[place.0][place.1 as usize] = ids.len() as u32 - 1;
        }
        let mut rows: Vec<Purchase> = parts
            .iter()
            .enumerate()
            .flat_map(|(p, (_, rows))| {
                let renumber = &renumber[p];
                rows.iter().map(move |&(c, day, amount)| Purchase { customer: renumber[c as usize], day, amount })
            })
            .collect();
        rows.par_sort_unstable();
        ids.shrink_to_fit();
        Ok(Purchases { has_amounts, ids, rows })
    }

    /// These purchases and `other`'s together (the rows of both kept, none merged), by a linear merge of the two
    /// canonical orders.
    pub fn combined(self, other: Purchases) -> Result<Purchases, String> {
        if self.has_amounts != other.has_amounts {
            return Err("one holds amounts and the other does not".into());
        }
        let (a, b) = (&self.ids, &other.ids);
        let mut ids = IdArena::default();
        let (mut from_a, mut from_b) = (Vec::with_capacity(a.len()), Vec::with_capacity(b.len()));
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let order = match (i < a.len(), j < b.len()) {
                (true, true) => a.get(i).cmp(b.get(j)),
                (true, false) => Ordering::Less,
                _ => Ordering::Greater,
            };
            ids.push(if order == Ordering::Greater { b.get(j) } else { a.get(i) })?;
            let index = ids.len() as u32 - 1;
            if order != Ordering::Greater {
                from_a.push(index);
                i += 1;
            }
            if order != Ordering::Less {
                from_b.push(index);
                j += 1;
            }
        }
        // Renumbering keeps each side's order, so the rows merge too.
        let renumbered = |rows: Vec<Purchase>, to: Vec<u32>| {
            rows.into_iter().map(move |r| Purchase { customer: to[r.customer as usize], ..r }).peekable()
        };
        let (mut x, mut y) = (renumbered(self.rows, from_a), renumbered(other.rows, from_b));
        let mut rows = Vec::with_capacity(x.len() + y.len());
        while let (Some(p), Some(q)) = (x.peek(), y.peek()) {
            rows.push(if p <= q { x.next() } else { y.next() }.expect("peeked"));
        }
        rows.extend(x.chain(y));
        Ok(Purchases { has_amounts: self.has_amounts, ids, rows })
    }

    /// The first and last purchase day, when there is a row.
    pub fn span(&self) -> Option<(Day, Day)> {
        let first = self.rows.iter().map(|r| r.day).min()?;
        Some((first, self.rows.iter().map(|r| r.day).max()?))
    }

    /// A 64-bit fingerprint of the rows (ids, days, amounts): equal contents, equal fingerprints, whatever the
    /// file's formatting or row order.
    pub fn fingerprint(&self) -> String {
        // splitmix64's finaliser.
        let mix = |mut h: u64| {
            h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            h ^ (h >> 31)
        };
        // Each id hashed once (FNV-1a), each row mixed in turn, in the canonical order.
        let id_hashes: Vec<u64> = (0..self.ids.len())
            .into_par_iter()
            .map(|i| {
                let id = self.ids.get(i);
                id.iter().fold(0xcbf2_9ce4_8422_2325 ^ id.len() as u64, |h, &b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
                })
            })
            .collect();
        let hash = self.rows.iter().fold(mix(self.ids.len() as u64), |h, row| {
            let day = u64::from(row.day.0 as u32);
            mix(h ^ mix(id_hashes[row.customer as usize] ^ mix(day ^ (row.amount.0 as u64).rotate_left(32))))
        });
        format!("{hash:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(rows: &[(&str, i32, i64)]) -> NumberedRows {
        let mut ids = IdArena::default();
        let mut names: Vec<&str> = Vec::new();
        let rows = rows
            .iter()
            .map(|&(id, day, amount)| {
                let c = names.iter().position(|n| *n == id).unwrap_or_else(|| {
                    names.push(id);
                    ids.push(id.as_bytes()).unwrap();
                    names.len() - 1
                });
                (c as u32, Day(day), Money(amount))
            })
            .collect();
        (ids, rows)
    }

    #[test]
    fn the_same_rows_in_any_split_and_order_give_the_same_purchases() {
        let rows = [("b", 3, 10), ("a", 1, 5), ("b", 1, 7), ("a", 1, 5), ("10", 2, 1), ("9", 2, 1)];
        let whole = Purchases::from_parts(true, vec![part(&rows)]).unwrap();
        let split = Purchases::from_parts(true, vec![part(&rows[3..]), part(&rows[..3])]).unwrap();
        assert_eq!(whole, split);
        assert_eq!(whole.fingerprint(), split.fingerprint());
        let ids: Vec<&[u8]> = (0..whole.ids.len()).map(|i| whole.ids.get(i)).collect();
        assert_eq!(ids, [&b"10"[..], b"9", b"a", b"b"]);
        assert_eq!(whole.rows.len(), 6, "same-day rows are kept, not merged");
        assert_eq!(whole.span(), Some((Day(1), Day(3))));
        let later = Purchases::from_parts(true, vec![part(&rows[..3])]).unwrap();
        let earlier = Purchases::from_parts(true, vec![part(&rows[3..])]).unwrap();
        assert_eq!(later.combined(earlier).unwrap(), whole);
        assert_ne!(Purchases::from_parts(true, vec![part(&rows[1..])]).unwrap().fingerprint(), whole.fingerprint());
    }
}
