//! Benchmarks of the domain rules: derived fields for 100 000
//! indicator-years and period figures for 1 000 000 budget-line-months.
//!
//! Run with `cargo bench --bench domain`; figures are in BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kommunrapport::domain::{
    Amount, Bedomning, EntryPeriod, LineEntry, LineFigures, Observation, Polarity, ReportPeriod,
    Trend, TrendThreshold, YearMonth, derive_indicator_year, line_figures, summa,
};
use rust_decimal::Decimal;

const INDICATOR_YEARS: usize = 100_000;
const LINES: usize = 83_334; // × 12 months ≈ 1 000 000 line-months

/// Small deterministic generator (no extra dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

struct Indicator {
    observations: Vec<Observation>,
    riktvarde: Option<Decimal>,
    polarity: Polarity,
    threshold: TrendThreshold,
}

fn indicators() -> Vec<Indicator> {
    let mut rng = Lcg(42);
    (0..INDICATOR_YEARS)
        .map(|_| {
            let mut observations = Vec::with_capacity(3);
            for year in 2022..=2024 {
                // about 1 in 8 missing
                if !rng.next().is_multiple_of(8) {
                    observations.push(Observation {
                        year,
                        value: Decimal::new((rng.next() % 20_000) as i64 - 2_000, 1),
                    });
                }
            }
            Indicator {
                observations,
                riktvarde: (!rng.next().is_multiple_of(20))
                    .then(|| Decimal::new((rng.next() % 1_000) as i64, 0)),
                polarity: if rng.next().is_multiple_of(3) {
                    Polarity::LagreArBattre
                } else {
                    Polarity::HogreArBattre
                },
                threshold: TrendThreshold::DEFAULT,
            }
        })
        .collect()
}

/// Each line: utfall and budget for each month of 2024 (a budget-line-month
/// is one month's utfall and budget), plus two prognoser.
fn budget_lines() -> Vec<Vec<LineEntry>> {
    let mut rng = Lcg(7);
    (0..LINES)
        .map(|_| {
            let mut entries = Vec::with_capacity(26);
            for m in 1..=12 {
                let p = EntryPeriod::month(YearMonth::new(2024, m).unwrap());
                let base = (rng.next() % 10_000_000) as i64;
                entries.push(LineEntry::utfall(p, Amount::new(Decimal::new(-base, 2))));
                entries.push(LineEntry::budget(
                    p,
                    Amount::new(Decimal::new(
                        -base - (rng.next() % 100_000) as i64 + 50_000,
                        2,
                    )),
                ));
            }
            for m in [4, 8] {
                entries.push(LineEntry::prognos(
                    YearMonth::new(2024, m).unwrap(),
                    Amount::new(Decimal::new(-((rng.next() % 1_000_000_000) as i64), 2)),
                ));
            }
            entries
        })
        .collect()
}

fn bench_indicators(c: &mut Criterion) {
    let data = indicators();
    let mut g = c.benchmark_group("indicators");
    g.throughput(Throughput::Elements(INDICATOR_YEARS as u64));
    g.bench_function("trend_and_bedomning_100k_indicator_years", |b| {
        b.iter(|| {
            let mut counts = [0usize; 8];
            for ind in &data {
                let d = derive_indicator_year(
                    black_box(&ind.observations),
                    ind.riktvarde,
                    2024,
                    ind.polarity,
                    ind.threshold,
                );
                counts[match d.bedomning {
                    Bedomning::Gron => 0,
                    Bedomning::Gul => 1,
                    Bedomning::Rod => 2,
                    Bedomning::Ingen => 3,
                }] += 1;
                counts[4 + match d.trend {
                    Trend::Forbattrad => 0,
                    Trend::Oforandrad => 1,
                    Trend::Forsamrad => 2,
                    Trend::EjJamforbar => 3,
                }] += 1;
            }
            counts
        })
    });
    g.finish();
}

fn bench_budget_lines(c: &mut Criterion) {
    let data = budget_lines();
    let period = ReportPeriod::delar(2024).unwrap();
    let mut g = c.benchmark_group("budget_lines");
    g.throughput(Throughput::Elements((LINES * 12) as u64));
    g.bench_function("line_figures_1m_line_months", |b| {
        b.iter(|| {
            let mut out: Vec<LineFigures> = Vec::with_capacity(LINES);
            for entries in &data {
                if let Ok(f) = line_figures(black_box(entries), period) {
                    out.push(f);
                }
            }
            out
        })
    });
    let figures: Vec<LineFigures> = data
        .iter()
        .filter_map(|e| line_figures(e, period).ok())
        .collect();
    g.throughput(Throughput::Elements(LINES as u64));
    g.bench_function("summa_83k_lines", |b| b.iter(|| summa(black_box(&figures))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = bench_indicators, bench_budget_lines
}
criterion_main!(benches);
