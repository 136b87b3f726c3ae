//! Volymmått: period values by aggregation rule.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::DomainError;
use super::period::{ReportPeriod, YearMonth};
use super::structure::spelled_enum;

spelled_enum! {
    /// How a volume measure's monthly values make a period value.
    Aggregation {
        /// Mean of the months present in the period (hours per month).
        SnittPerManad => "snitt_per_manad",
        /// The value of the last month present in the period (places,
        /// placements).
        SistaManad => "sista_manad",
        /// Sum of the months.
        Summa => "summa",
    }
}

/// A volume's value for one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MonthValue {
    /// The month.
    pub month: YearMonth,
    /// The value.
    pub value: Decimal,
}

/// A forecast of the volume's full-year value (by its aggregation rule),
/// made in month `made_at` for `made_at.year()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VolumePrognos {
    /// When the forecast was made.
    pub made_at: YearMonth,
    /// Forecast full-year value.
    pub value: Decimal,
}

/// The value of `values` over months `from..=to` by `rule`; `None` when no
/// month in the window has a value. Months without a value are left out
/// (the mean is over the months present). Values are expected one per month;
/// a repeated month counts as a separate value (summed, or averaged as two
/// values; for `sista_manad` the later one in the slice wins). The mean keeps
/// full `Decimal` precision (28 significant digits). Errors only on `Decimal`
/// overflow of the sum.
pub fn aggregate_volume(
    values: &[MonthValue],
    from: YearMonth,
    to: YearMonth,
    rule: Aggregation,
) -> Result<Option<Decimal>, DomainError> {
    let inside = values.iter().filter(|v| from <= v.month && v.month <= to);
    match rule {
        Aggregation::SistaManad => Ok(inside
            .fold(None::<&MonthValue>, |best, v| match best {
                Some(b) if b.month > v.month => Some(b),
                _ => Some(v),
            })
            .map(|v| v.value)),
        Aggregation::Summa | Aggregation::SnittPerManad => {
            let mut sum: Option<Decimal> = None;
            let mut count: u32 = 0;
            for v in inside {
                sum = Some(match sum {
                    None => v.value,
                    Some(s) => s.checked_add(v.value).ok_or(DomainError::Overflow)?,
                });
                count = count.saturating_add(1);
            }
            match (rule, sum) {
                (Aggregation::SnittPerManad, Some(s)) => s
                    .checked_div(Decimal::from(count))
                    .map(Some)
                    .ok_or(DomainError::Overflow),
                (_, s) => Ok(s),
            }
        }
    }
}

/// The figures a report shows for a volume (seed 001: Delår 2024, Progn
/// 2024, Delår 2023, Helår 2023).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeFigures {
    /// The report period's value.
    pub period: Option<Decimal>,
    /// The latest full-year prognos for the period's year made at or before
    /// the period end.
    pub prognos: Option<Decimal>,
    /// The same months of the previous year.
    pub same_period_last_year: Option<Decimal>,
    /// The whole previous year.
    pub last_year: Option<Decimal>,
}

/// [`VolumeFigures`] for `period` by `rule`. Of several prognoser made in the
/// same latest month, the later one in the slice wins.
pub fn volume_figures(
    values: &[MonthValue],
    prognoser: &[VolumePrognos],
    period: ReportPeriod,
    rule: Aggregation,
) -> Result<VolumeFigures, DomainError> {
    let end = period.end();
    let prognos = prognoser
        .iter()
        .filter(|p| p.made_at.year() == period.year() && p.made_at <= end)
        .fold(None::<&VolumePrognos>, |best, p| match best {
            Some(b) if b.made_at > p.made_at => Some(b),
            _ => Some(p),
        })
        .map(|p| p.value);
    let (same_period_last_year, last_year) = match period.previous_year() {
        Ok(prev) => {
            let whole = (
                YearMonth::new(prev.year(), 1),
                YearMonth::new(prev.year(), 12),
            );
            let last_year = match whole {
                (Ok(a), Ok(b)) => aggregate_volume(values, a, b, rule)?,
                _ => None,
            };
            (
                aggregate_volume(values, prev.start(), prev.end(), rule)?,
                last_year,
            )
        }
        // No year before MIN_YEAR.
        Err(_) => (None, None),
    };
    Ok(VolumeFigures {
        period: aggregate_volume(values, period.start(), end, rule)?,
        prognos,
        same_period_last_year,
        last_year,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }
    fn series(y: i32, vals: &[Decimal]) -> Vec<MonthValue> {
        vals.iter()
            .enumerate()
            .map(|(i, &value)| MonthValue {
                month: ym(y, i as u32 + 1),
                value,
            })
            .collect()
    }

    #[test]
    fn three_rules() {
        let v = series(2024, &[dec!(10), dec!(20), dec!(30), dec!(40)]);
        let (a, b) = (ym(2024, 1), ym(2024, 3));
        assert_eq!(
            aggregate_volume(&v, a, b, Aggregation::Summa),
            Ok(Some(dec!(60)))
        );
        assert_eq!(
            aggregate_volume(&v, a, b, Aggregation::SnittPerManad),
            Ok(Some(dec!(20)))
        );
        assert_eq!(
            aggregate_volume(&v, a, b, Aggregation::SistaManad),
            Ok(Some(dec!(30)))
        );
    }

    #[test]
    fn missing_months_are_left_out() {
        let mut v = series(2024, &[dec!(10), dec!(20)]);
        v.push(MonthValue {
            month: ym(2024, 5),
            value: dec!(60),
        });
        let (a, b) = (ym(2024, 1), ym(2024, 8));
        assert_eq!(
            aggregate_volume(&v, a, b, Aggregation::SnittPerManad),
            Ok(Some(dec!(30)))
        );
        assert_eq!(
            aggregate_volume(&v, a, b, Aggregation::SistaManad),
            Ok(Some(dec!(60)))
        );
        assert_eq!(aggregate_volume(&[], a, b, Aggregation::Summa), Ok(None));
        assert_eq!(
            aggregate_volume(&v, ym(2024, 9), ym(2024, 12), Aggregation::SnittPerManad),
            Ok(None)
        );
    }

    #[test]
    fn unsorted_and_negative_and_zero() {
        let v = [
            MonthValue {
                month: ym(2024, 3),
                value: dec!(-3),
            },
            MonthValue {
                month: ym(2024, 1),
                value: dec!(0),
            },
            MonthValue {
                month: ym(2024, 2),
                value: dec!(1),
            },
        ];
        let (a, b) = (ym(2024, 1), ym(2024, 12));
        assert_eq!(
            aggregate_volume(&v, a, b, Aggregation::SistaManad),
            Ok(Some(dec!(-3)))
        );
        assert_eq!(
            aggregate_volume(&v, a, b, Aggregation::SnittPerManad),
            Ok(Some(dec!(-0.6666666666666666666666666667)))
        );
    }

    #[test]
    fn overflow_is_an_error() {
        let v = series(2024, &[Decimal::MAX, Decimal::MAX]);
        let (a, b) = (ym(2024, 1), ym(2024, 12));
        assert_eq!(
            aggregate_volume(&v, a, b, Aggregation::Summa),
            Err(DomainError::Overflow)
        );
        assert_eq!(
            aggregate_volume(&v, a, b, Aggregation::SistaManad),
            Ok(Some(Decimal::MAX))
        );
    }

    #[test]
    fn figures_for_delar() {
        let mut v = series(
            2023,
            &[
                dec!(300),
                dec!(302),
                dec!(304),
                dec!(301),
                dec!(300),
                dec!(299),
                dec!(298),
                dec!(303),
                dec!(305),
                dec!(306),
                dec!(304),
                dec!(304),
            ],
        );
        v.extend(series(
            2024,
            &[
                dec!(305),
                dec!(306),
                dec!(307),
                dec!(308),
                dec!(309),
                dec!(310),
                dec!(311),
                dec!(312),
            ],
        ));
        let prognoser = [
            VolumePrognos {
                made_at: ym(2024, 4),
                value: dec!(327),
            },
            VolumePrognos {
                made_at: ym(2024, 8),
                value: dec!(314),
            },
            VolumePrognos {
                made_at: ym(2024, 10),
                value: dec!(1),
            },
            VolumePrognos {
                made_at: ym(2023, 8),
                value: dec!(2),
            },
        ];
        let p = ReportPeriod::delar(2024).unwrap();
        let f = volume_figures(&v, &prognoser, p, Aggregation::SistaManad).unwrap();
        assert_eq!(f.period, Some(dec!(312)));
        assert_eq!(f.prognos, Some(dec!(314)));
        assert_eq!(f.same_period_last_year, Some(dec!(303)));
        assert_eq!(f.last_year, Some(dec!(304)));
        let s = volume_figures(&v, &prognoser, p, Aggregation::SnittPerManad).unwrap();
        assert_eq!(s.period, Some(dec!(308.5)));
        assert_eq!(s.same_period_last_year, Some(dec!(300.875)));
        let t = volume_figures(
            &v,
            &[],
            ReportPeriod::new(2024, 1, 3).unwrap(),
            Aggregation::Summa,
        )
        .unwrap();
        assert_eq!(t.period, Some(dec!(918)));
        assert_eq!(t.prognos, None);
        let old = volume_figures(
            &v,
            &[],
            ReportPeriod::helar(1900).unwrap(),
            Aggregation::Summa,
        )
        .unwrap();
        assert_eq!(old, VolumeFigures::default());
    }
}
