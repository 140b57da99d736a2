//! Summarising a generated purchase log of 10 million rows (1 million customers): rows per second, and the
//! peak heap the summary needs per customer; and the same purchases held in a summary state: summarising them,
//! adding a day's purchases, writing and reading the state file.
//!
//! Run: `cargo bench --bench summarize`. The log is written once to `target/bench-data/` (about 300 MB) and
//! reused; its path is printed so the release binary can be measured on it too (`/usr/bin/time -v`).

use clv::data::customers::IdArena;
use clv::data::money::Money;
use clv::data::purchases::Purchases;
use clv::data::state::SummaryState;
use clv::data::{
    ColumnRef, DateFormat, Day, Input, LogLayout, NegativeAmounts, Separator, SummarizeOptions, TimeUnit,
    read_purchases, summarize, summarize_purchases,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CUSTOMERS: u64 = 1_000_000;

/// A small deterministic generator (xorshift64*), enough for synthetic logs.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) % n
    }
}

/// Writes (once) a log in date order: each customer first buys in the first year, then on average 9 more times
/// within the following year; about 10 million rows. Returns the path and the number of rows.
fn generated_log() -> (PathBuf, u64) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let path = dir.join("log_10m.csv");
    if let Ok(text) = std::fs::read_to_string(dir.join("log_10m.rows"))
        && let (Ok(rows), true) = (text.trim().parse(), path.exists())
    {
        return (path, rows);
    }
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut purchases: Vec<(u16, u32)> = Vec::with_capacity(10_500_000);
    for customer in 0..CUSTOMERS as u32 {
        let first = rng.below(365) as u16;
        purchases.push((first, customer));
        for _ in 0..rng.below(19) {
            purchases.push((first + rng.below(365) as u16, customer));
        }
    }
    purchases.sort_unstable();
    let start = Day::from_ymd(2020, 1, 1).unwrap();
    let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(out, "customer_id,date,amount").unwrap();
    for &(day, customer) in &purchases {
        let cents = 100 + rng.below(20_000);
        writeln!(out, "C{customer:07},{},{}.{:02}", Day(start.0 + i32::from(day)), cents / 100, cents % 100).unwrap();
    }
    out.flush().unwrap();
    std::fs::write(dir.join("log_10m.rows"), purchases.len().to_string()).unwrap();
    (path, purchases.len() as u64)
}

fn layout() -> LogLayout {
    LogLayout {
        separator: Separator::Byte(b','),
        has_header: true,
        customer: ColumnRef::Number(1),
        date: ColumnRef::Number(2),
        amount: Some(ColumnRef::Number(3)),
        date_format: DateFormat::Auto,
    }
}

fn options() -> SummarizeOptions {
    SummarizeOptions {
        unit: TimeUnit::Week,
        calibration_end: Day::from_ymd(2020, 12, 31),
        observation_end: None,
        negative: NegativeAmounts::Refuse,
        skip_bad_rows: false,
        opportunities: None,
    }
}

fn run_once(path: &std::path::Path) -> usize {
    let (table, _) = summarize(&Input::File(path.to_path_buf()), &layout(), &options(), &|_| {}).unwrap();
    table.len()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn summarize_10m_rows(bencher: divan::Bencher) {
    let (path, rows) = generated_log();
    bencher.counter(divan::counter::ItemsCount::new(rows)).bench(|| run_once(&path));
}

/// The generated log's purchases, as a summary state holds them (read once).
fn state_purchases() -> &'static Purchases {
    static PURCHASES: OnceLock<Purchases> = OnceLock::new();
    PURCHASES.get_or_init(|| {
        let (path, _) = generated_log();
        read_purchases(&Input::File(path), &layout(), &options(), &|_| {}).unwrap().0
    })
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn summarize_state_10m_rows(bencher: divan::Bencher) {
    let purchases = state_purchases();
    bencher
        .counter(divan::counter::ItemsCount::new(purchases.rows.len()))
        .bench(|| summarize_purchases(purchases, &options()).unwrap().0.len());
}

/// A day's new purchases, 10,000 rows of existing customers, merged into the 10-million-row state.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn add_a_day_to_state_10m_rows(bencher: divan::Bencher) {
    let purchases = state_purchases();
    let mut ids = IdArena::default();
    let mut rng = Rng(7);
    let day = Day::from_ymd(2022, 1, 3).unwrap();
    let rows = (0..10_000)
        .map(|_| {
            let id = format!("C{:07}", rng.below(CUSTOMERS));
            (ids.push(id.as_bytes()).unwrap(), day, Money(1_000_000 + rng.below(99_000_000) as i64))
        })
        .collect();
    let new = Purchases::from_parts(true, vec![(ids, rows)]).unwrap();
    bencher.bench(|| purchases.clone().combined(new.clone()).unwrap().rows.len());
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn write_and_read_state_10m_rows(bencher: divan::Bencher) {
    let state = SummaryState { files: Vec::new(), purchases: state_purchases().clone() };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/log_10m.state");
    bencher.bench(|| {
        state.write(&path).unwrap();
        SummaryState::read(&path).unwrap().purchases.rows.len()
    });
}

fn main() {
    let (path, rows) = generated_log();
    let baseline = IN_USE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let customers = run_once(&path);
    let peak = PEAK.load(Ordering::Relaxed) - baseline;
    eprintln!(
        "log: {} ({rows} rows, {customers} customers)\npeak heap while summarising: {:.1} MB = {:.1} bytes per customer",
        path.display(),
        peak as f64 / 1e6,
        peak as f64 / customers as f64
    );
    divan::main();
}
