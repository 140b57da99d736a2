//! Per-customer accumulation of purchases: a compact id index and the running state from which a summary row
//! is derived. Memory is proportional to customers: an id's bytes once, a 4-byte index slot and a 48-byte state.

use super::dates::Day;
use super::money::Money;
use hashbrown::HashTable;
use std::cmp::Ordering;
use std::hash::BuildHasher;

/// Customer ids stored back to back: no allocation per id.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct IdArena {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl IdArena {
    /// Appends an id and returns its index. Fails when the ids exceed 4 GiB in total.
    pub fn push(&mut self, id: &[u8]) -> Result<u32, String> {
        self.bytes.extend_from_slice(id);
        let end = u32::try_from(self.bytes.len()).map_err(|_| "customer ids exceed 4 GiB in total".to_string())?;
        let index = u32::try_from(self.ends.len()).map_err(|_| "more than 4 billion customers".to_string())?;
        self.ends.push(end);
        Ok(index)
    }

    /// The id at `index`.
    pub fn get(&self, index: usize) -> &[u8] {
        let start = if index == 0 { 0 } else { self.ends[index - 1] as usize };
        &self.bytes[start..self.ends[index] as usize]
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when no id is stored.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Bytes of heap held.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + 4 * self.ends.capacity()
    }

    /// The ids' bytes back to back, and where each id ends in them (for compact storage).
    pub fn raw_parts(&self) -> (&[u8], &[u32]) {
        (&self.bytes, &self.ends)
    }

    /// Ids from [`IdArena::raw_parts`]; `None` unless the ends are non-decreasing and the last is the length.
    pub fn from_raw_parts(bytes: Vec<u8>, ends: Vec<u32>) -> Option<IdArena> {
        let ordered = ends.windows(2).all(|w| w[0] <= w[1]);
        let whole = ends.last().map_or(bytes.is_empty(), |&end| end as usize == bytes.len());
        (ordered && whole).then_some(IdArena { bytes, ends })
    }

    /// Releases spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// Orders ids for output ties: ids made only of digits compare as numbers (`9` before `10`, leading zeros
/// ignored, then shorter first) and come before any other id; other ids compare byte by byte. A total order (a
/// mixed comparison such as bytes between `1a` and `10` but numbers between `2` and `10` would not be one).
pub fn compare_ids(a: &[u8], b: &[u8]) -> Ordering {
    let numeric = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    match (numeric(a), numeric(b)) {
        (true, true) => {
            let strip = |s: &[u8]| s.len() - s.iter().take_while(|&&c| c == b'0').count();
            let (x, y) = (&a[a.len() - strip(a)..], &b[b.len() - strip(b)..]);
            x.len().cmp(&y.len()).then_with(|| x.cmp(y)).then_with(|| a.len().cmp(&b.len()))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// The hasher of customer ids. Its seed may differ between runs; no output depends on hash order.
pub type IdHasher = hashbrown::DefaultHashBuilder;

/// Maps customer ids to dense indices 0, 1, 2... in order of first appearance.
#[derive(Default)]
pub struct CustomerIndex {
    table: HashTable<u32>,
    ids: IdArena,
    hasher: IdHasher,
}

impl CustomerIndex {
    /// An empty index hashing ids with `hasher` (shared with the parsing threads and the other shards).
    pub fn with_hasher(hasher: IdHasher) -> CustomerIndex {
        CustomerIndex { table: HashTable::new(), ids: IdArena::default(), hasher }
    }

    /// An index of distinct `ids` (index i for the i-th), hashing with `hasher`; fails on a repeated id.
    pub fn from_ids(ids: IdArena, hasher: IdHasher) -> Result<CustomerIndex, String> {
        let mut index = CustomerIndex::with_hasher(hasher);
        for i in 0..ids.len() {
            let id = ids.get(i);
            let (_, new) = index.find_or_insert(id, index.hasher.hash_one(id))?;
            if !new {
                return Err(format!("customer '{}' is listed twice", String::from_utf8_lossy(id)));
            }
        }
        Ok(index)
    }

    /// The hash of an id under this index's hasher (computed by parsing threads ahead of the lookup).
    pub fn hash_id(hasher: &IdHasher, id: &[u8]) -> u64 {
        hasher.hash_one(id)
    }

    /// The hasher, to be shared with parsing threads.
    pub fn hasher(&self) -> &IdHasher {
        &self.hasher
    }

    /// The index of `id` (whose hash is `hash`) and whether it is new.
    pub fn find_or_insert(&mut self, id: &[u8], hash: u64) -> Result<(u32, bool), String> {
        let ids = &self.ids;
        if let Some(&index) = self.table.find(hash, |&i| ids.get(i as usize) == id) {
            return Ok((index, false));
        }
        let index = self.ids.push(id)?;
        let (ids, hasher) = (&self.ids, &self.hasher);
        self.table.insert_unique(hash, index, |&i| hasher.hash_one(ids.get(i as usize)));
        Ok((index, true))
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no customer was seen.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Bytes of heap held (ids and table slots).
    pub fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes() + self.table.capacity() * 5
    }

    /// Drops the lookup table and keeps the ids in order of first appearance.
    pub fn into_ids(self) -> IdArena {
        self.ids
    }
}

/// Which period a purchase day falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// On or before the calibration end.
    Calibration,
    /// After the calibration end, on or before the observation end.
    Holdout,
}

/// What adding a row did to a customer's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// The row opened a new purchase day.
    NewDay,
    /// The row fell on a day the customer already bought on: merged (amount summed).
    Merged,
    /// The row is earlier than the customer's last day: the input is not in date order for this customer.
    OutOfOrder,
}

/// Running totals of one customer, fed with purchase days in non-decreasing order.
/// Frequency counts distinct calibration days after the first (Fader, Hardie & Lee 2005 conventions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomerState {
    /// Day of the first purchase.
    pub first: Day,
    /// Latest purchase day seen in any period.
    pub last: Day,
    /// Latest purchase day in the calibration period.
    pub last_calibration: Day,
    /// Distinct purchase days in calibration, the first included.
    pub calibration_days: u32,
    /// Distinct purchase days in the holdout period.
    pub holdout_days: u32,
    /// Rows absorbed (before same-day merging).
    pub rows: u32,
    /// Amount spent on the first purchase day.
    pub first_amount: Money,
    /// Amount spent on repeat purchase days in calibration (the first day excluded).
    pub repeat_amount: Money,
    /// Amount spent in the holdout period.
    pub holdout_amount: Money,
}

impl CustomerState {
    /// The state after a customer's first purchase.
    pub fn open(day: Day, amount: Money, period: Period) -> CustomerState {
        let calibration = period == Period::Calibration;
        CustomerState {
            first: day,
            last: day,
            last_calibration: day,
            calibration_days: u32::from(calibration),
            holdout_days: u32::from(!calibration),
            rows: 1,
            first_amount: amount,
            repeat_amount: Money(0),
            holdout_amount: Money(0),
        }
    }

    /// Adds a purchase on `day` (not earlier than the last one) in `period`.
    pub fn add(&mut self, day: Day, amount: Money, period: Period) -> Added {
        let added = match day.cmp(&self.last) {
            Ordering::Less => return Added::OutOfOrder,
            Ordering::Equal => Added::Merged,
            Ordering::Greater => {
                self.last = day;
                match period {
                    Period::Calibration => {
                        self.calibration_days += 1;
                        self.last_calibration = day;
                    }
                    Period::Holdout => self.holdout_days += 1,
                }
                Added::NewDay
            }
        };
        self.rows += 1;
        match period {
            _ if day == self.first => self.first_amount += amount,
            Period::Calibration => self.repeat_amount += amount,
            Period::Holdout => self.holdout_amount += amount,
        }
        added
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_day_purchases_merge_and_the_first_day_is_not_a_repeat() {
        let d = |n| Day(n);
        let mut s = CustomerState::open(d(10), Money(5), Period::Calibration);
        assert_eq!(s.add(d(10), Money(3), Period::Calibration), Added::Merged);
        assert_eq!(s.add(d(12), Money(4), Period::Calibration), Added::NewDay);
        assert_eq!(s.add(d(12), Money(1), Period::Calibration), Added::Merged);
        assert_eq!(s.add(d(20), Money(7), Period::Holdout), Added::NewDay);
        assert_eq!(s.add(d(19), Money(7), Period::Holdout), Added::OutOfOrder);
        assert_eq!(s.first_amount, Money(8));
        assert_eq!(s.repeat_amount, Money(5));
        assert_eq!((s.calibration_days, s.holdout_days), (2, 1));
        assert_eq!((s.last_calibration, s.last), (d(12), d(20)));
        assert_eq!(s.holdout_amount, Money(7));
    }

    #[test]
    fn ids_order_numerically_when_numeric() {
        assert_eq!(compare_ids(b"9", b"10"), Ordering::Less);
        assert_eq!(compare_ids(b"0009", b"10"), Ordering::Less);
        assert_eq!(compare_ids(b"09", b"9"), Ordering::Greater);
        assert_eq!(compare_ids(b"a9", b"a10"), Ordering::Greater);
        // Transitive across numeric and other ids: every numeric id first.
        let mut ids: Vec<&[u8]> = vec![b"1a", b"2", b"10", b"b", b"007", b"7", b"A"];
        ids.sort_by(|a, b| compare_ids(a, b));
        assert_eq!(ids, [&b"2"[..], b"7", b"007", b"10", b"1a", b"A", b"b"]);
        for a in &ids {
            for b in &ids {
                assert_eq!(compare_ids(a, b), compare_ids(b, a).reverse());
            }
        }
    }

    #[test]
    fn index_assigns_dense_indices_in_order_of_appearance() {
        let mut index = CustomerIndex::default();
        let h = |index: &CustomerIndex, id: &[u8]| CustomerIndex::hash_id(index.hasher(), id);
        for (id, want) in [(&b"b"[..], (0, true)), (b"a", (1, true)), (b"b", (0, false)), (b"", (2, true))] {
            let hash = h(&index, id);
            assert_eq!(index.find_or_insert(id, hash).unwrap(), want);
        }
        for n in 0..10_000u32 {
            let id = n.to_string();
            let hash = h(&index, id.as_bytes());
            index.find_or_insert(id.as_bytes(), hash).unwrap();
        }
        assert_eq!(index.len(), 10_003);
        let ids = index.into_ids();
        assert_eq!(ids.get(1), b"a");
        assert_eq!(ids.get(10_002), b"9999");
    }
}
