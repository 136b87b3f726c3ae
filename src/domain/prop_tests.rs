//! Property tests of the domain rules.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

/// Any `Decimal`, over its whole range and all scales.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        0u32..=28,
    )
        .prop_map(|(lo, mid, hi, neg, scale)| Decimal::from_parts(lo, mid, hi, neg, scale))
}

/// Values as they occur in reports: up to ±10⁹ with up to 4 decimals.
fn moderate() -> impl Strategy<Value = Decimal> {
    (-1_000_000_000i64..=1_000_000_000, 0u32..=4).prop_map(|(m, s)| Decimal::new(m, s))
}

/// Any value, biased towards zero, extremes and report-sized values.
fn value() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        4 => moderate(),
        3 => any_decimal(),
        1 => Just(Decimal::ZERO),
        1 => Just(Decimal::MAX),
        1 => Just(Decimal::MIN),
        1 => (-100i64..=100).prop_map(Decimal::from),
    ]
}

fn polarity() -> impl Strategy<Value = Polarity> {
    prop_oneof![Just(Polarity::HogreArBattre), Just(Polarity::LagreArBattre)]
}

fn threshold() -> impl Strategy<Value = TrendThreshold> {
    (0i64..=1000).prop_map(|permille| {
        TrendThreshold::from_fraction(Decimal::new(permille, 3)).unwrap_or_default()
    })
}

fn measure() -> impl Strategy<Value = Measure> {
    prop_oneof![
        Just(Measure::Utfall),
        Just(Measure::Budget),
        Just(Measure::Prognos)
    ]
}

fn entry_period() -> impl Strategy<Value = EntryPeriod> {
    (2022i32..=2025, 1u32..=12, 0u32..=11).prop_map(|(y, m, len)| {
        let from = YearMonth::new(y, m).unwrap();
        let to = YearMonth::new(y, (m + len).min(12)).unwrap();
        EntryPeriod::range(from, to).unwrap()
    })
}

fn entry(amount: BoxedStrategy<Decimal>) -> impl Strategy<Value = LineEntry> {
    (entry_period(), measure(), amount).prop_map(|(p, m, a)| LineEntry::new(p, m, Amount::new(a)))
}

fn report_period() -> impl Strategy<Value = ReportPeriod> {
    (2022i32..=2025, 1u32..=12, 1u32..=12)
        .prop_map(|(y, a, b)| ReportPeriod::new(y, a.min(b), a.max(b)).unwrap())
}

fn rank(b: Bedomning) -> u8 {
    b.rank().unwrap_or(u8::MAX)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn indicator_rules_never_panic(
        u in value(), rv in value(), p in polarity(), t in threshold(),
        years in proptest::collection::vec((1990i32..2030, value()), 0..6),
        year in 1990i32..2030,
    ) {
        let _ = bedomning(Some(u), Some(rv), p);
        let _ = fulfilment_ratio(u, rv, p);
        let _ = trend_between(u, rv, p, t);
        let obs: Vec<Observation> = years.iter().map(|&(year, value)| Observation { year, value }).collect();
        let d = derive_indicator_year(&obs, Some(rv), year, p, t);
        prop_assert_eq!(d.trend, trend_for_year(&obs, year, p, t));
        prop_assert_eq!(d.bedomning, bedomning_for_year(&obs, Some(rv), year, p));
        let g = GenderSeries { total: &obs, kvinnor: &obs, man: &obs[..obs.len() / 2] };
        let _ = bedomning_gender_aware(&g, Some(rv), year, p, t);
    }

    #[test]
    fn money_rules_never_panic(
        entries in proptest::collection::vec(entry(value().boxed()), 0..30),
        period in report_period(),
        a in value(), b in value(),
    ) {
        let _ = avvikelse(Amount::new(a), Amount::new(b));
        let _ = avvikelse_procent(Amount::new(a), Amount::new(b));
        let _ = prognos_avvikelse(Amount::new(a), Amount::new(b));
        let _ = cost_positive_avvikelse(a, b);
        let _ = Amount::new(a).tkr_rounded();
        let _ = Amount::from_tkr(a);
        let _ = validate_entries(&entries);
        if let Ok(f) = line_figures(&entries, period) {
            let _ = summa([&f, &f, &f]);
            let lines = [
                BudgetLine { id: 1, parent: None, figures: f },
                BudgetLine { id: 2, parent: Some(1), figures: f },
            ];
            let _ = roll_up(&lines);
        }
        let values: Vec<MonthValue> = entries.iter()
            .map(|e| MonthValue { month: e.period.from(), value: e.amount.kronor() })
            .collect();
        for rule in [Aggregation::Summa, Aggregation::SnittPerManad, Aggregation::SistaManad] {
            let _ = volume_figures(&values, &[], period, rule);
        }
    }

    #[test]
    fn bedomning_is_monotone_in_utfall(u1 in value(), u2 in value(), rv in value(), p in polarity()) {
        let (lo, hi) = if u1 <= u2 { (u1, u2) } else { (u2, u1) };
        let (b_lo, b_hi) = (bedomning(Some(lo), Some(rv), p), bedomning(Some(hi), Some(rv), p));
        match p {
            Polarity::HogreArBattre => prop_assert!(rank(b_hi) >= rank(b_lo), "{lo} {b_lo:?} / {hi} {b_hi:?}"),
            Polarity::LagreArBattre => prop_assert!(rank(b_lo) >= rank(b_hi), "{lo} {b_lo:?} / {hi} {b_hi:?}"),
        }
    }

    #[test]
    fn bedomning_agrees_with_fulfilment_ratio(u in moderate(), rv in moderate(), p in polarity()) {
        let b = bedomning(Some(u), Some(rv), p);
        if let Some(r) = fulfilment_ratio(u, rv, p) {
            let expected = if r.value() >= Decimal::ONE {
                Bedomning::Gron
            } else if r.value() >= Decimal::new(95, 2) {
                Bedomning::Gul
            } else {
                Bedomning::Rod
            };
            prop_assert_eq!(b, expected);
        } else {
            prop_assert_ne!(b, Bedomning::Gul);
        }
    }

    #[test]
    fn trend_flips_when_values_swap(a in value(), b in value(), p in polarity(), t in threshold()) {
        let fwd = trend_between(a, b, p, t);
        let back = trend_between(b, a, p, t);
        prop_assert_ne!(fwd, Trend::EjJamforbar);
        let directional = |x: Trend| matches!(x, Trend::Forbattrad | Trend::Forsamrad);
        if directional(fwd) && directional(back) {
            prop_assert_ne!(fwd, back);
        }
        if a == b {
            prop_assert_eq!((fwd, back), (Trend::Oforandrad, Trend::Oforandrad));
        }
        // Outside the band seen from both values, both are directional.
        if let Some(d) = b.checked_sub(a) {
            let band = a.abs().max(b.abs()).checked_mul(t.fraction());
            if band.is_some_and(|band| d.abs() >= band) && !d.is_zero() {
                prop_assert!(directional(fwd) && directional(back), "{a} {b} {fwd:?} {back:?}");
                prop_assert_ne!(fwd, back);
            }
        }
    }

    #[test]
    fn twelve_months_make_the_full_year(
        u in proptest::collection::vec(moderate(), 12),
        b in proptest::collection::vec(moderate(), 12),
    ) {
        let mut entries = Vec::new();
        for m in 1..=12u32 {
            let p = EntryPeriod::month(YearMonth::new(2024, m).unwrap());
            entries.push(LineEntry::utfall(p, Amount::new(u[m as usize - 1])));
            entries.push(LineEntry::budget(p, Amount::new(b[m as usize - 1])));
        }
        prop_assert!(validate_entries(&entries).is_ok());
        let su: Decimal = u.iter().sum();
        let sb: Decimal = b.iter().sum();
        let f = line_figures(&entries, ReportPeriod::helar(2024).unwrap()).unwrap();
        prop_assert_eq!(f.utfall, Some(Amount::new(su)));
        prop_assert_eq!(f.utfall_ack, Some(Amount::new(su)));
        prop_assert_eq!(f.budget, Some(Amount::new(sb)));
        prop_assert_eq!(f.helarsbudget, Some(Amount::new(sb)));
        prop_assert_eq!(f.avvikelse, Some(Amount::new(su - sb)));
        prop_assert_eq!(f.utfall_manad, Some(Amount::new(u[11])));
        // The same as one whole-year entry.
        let whole = [
            LineEntry::utfall(EntryPeriod::whole_year(2024).unwrap(), Amount::new(su)),
            LineEntry::budget(EntryPeriod::whole_year(2024).unwrap(), Amount::new(sb)),
        ];
        let w = line_figures(&whole, ReportPeriod::helar(2024).unwrap()).unwrap();
        prop_assert_eq!((w.utfall, w.budget, w.avvikelse), (f.utfall, f.budget, f.avvikelse));
        // Quarters add up to the year.
        let q: Vec<LineFigures> = (0..4)
            .map(|i| line_figures(&entries, ReportPeriod::new(2024, 3 * i + 1, 3 * i + 3).unwrap()).unwrap())
            .collect();
        prop_assert_eq!(summa(&q).unwrap().utfall, f.utfall);
        // Volumes.
        let values: Vec<MonthValue> = (1..=12u32)
            .map(|m| MonthValue { month: YearMonth::new(2024, m).unwrap(), value: u[m as usize - 1] })
            .collect();
        let (jan, dec) = (YearMonth::new(2024, 1).unwrap(), YearMonth::new(2024, 12).unwrap());
        prop_assert_eq!(aggregate_volume(&values, jan, dec, Aggregation::Summa).unwrap(), Some(su));
        prop_assert_eq!(aggregate_volume(&values, jan, dec, Aggregation::SistaManad).unwrap(), Some(u[11]));
        prop_assert_eq!(aggregate_volume(&values, jan, dec, Aggregation::SnittPerManad).unwrap(), Some(su / Decimal::from(12)));
    }

    #[test]
    fn avvikelse_of_a_sum_is_the_sum_of_avvikelser(
        lines in proptest::collection::vec((moderate(), moderate()), 1..20),
    ) {
        let figs: Vec<LineFigures> = lines.iter().map(|&(u, b)| {
            LineFigures { utfall: Some(Amount::new(u)), budget: Some(Amount::new(b)), ..Default::default() }
                .derive().unwrap()
        }).collect();
        let total = summa(&figs).unwrap();
        let sum_avv = Amount::checked_sum(figs.iter().filter_map(|f| f.avvikelse)).unwrap();
        prop_assert_eq!(total.avvikelse, Some(sum_avv));
        let direct = avvikelse(
            Amount::checked_sum(lines.iter().map(|l| Amount::new(l.0))).unwrap(),
            Amount::checked_sum(lines.iter().map(|l| Amount::new(l.1))).unwrap(),
        ).unwrap();
        prop_assert_eq!(total.avvikelse, Some(direct));
    }

    #[test]
    fn line_figures_do_not_depend_on_entry_order(
        entries in proptest::collection::vec(entry(moderate().boxed()), 0..30),
        period in report_period(),
    ) {
        let mut rev = entries.clone();
        rev.reverse();
        prop_assert_eq!(line_figures(&entries, period), line_figures(&rev, period));
    }

    #[test]
    fn year_month_round_trips(y in 1900i32..=2200, m in 1u32..=12) {
        let ym = YearMonth::new(y, m).unwrap();
        prop_assert_eq!(ym.to_string().parse::<YearMonth>(), Ok(ym));
    }

    #[test]
    fn year_month_parse_never_panics(s in "\\PC{0,10}") {
        let _ = s.parse::<YearMonth>();
    }
}
