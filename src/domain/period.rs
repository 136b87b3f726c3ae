//! Months and report periods.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Earliest year accepted in a [`YearMonth`].
pub const MIN_YEAR: i32 = 1900;
/// Latest year accepted in a [`YearMonth`].
pub const MAX_YEAR: i32 = 2200;

/// A calendar month, written `YYYY-MM` (e.g. `2024-08`). Ordered
/// chronologically. Years are limited to [`MIN_YEAR`]..=[`MAX_YEAR`], so
/// stepping a year back or forth never overflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    // Field order gives the chronological derived ordering.
    year: i32,
    month: u8,
}

/// Why a [`YearMonth`] could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YearMonthError {
    /// Not of the form `YYYY-MM`.
    #[error("expected a month written YYYY-MM, got {0:?}")]
    Format(String),
    /// Year outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    #[error("year {0} is outside {MIN_YEAR}..={MAX_YEAR}")]
    Year(i32),
    /// Month outside 1..=12.
    #[error("month {0} is outside 1..=12")]
    Month(u32),
}

impl YearMonth {
    /// A validated month.
    pub fn new(year: i32, month: u32) -> Result<Self, YearMonthError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(YearMonthError::Year(year));
        }
        match u8::try_from(month) {
            Ok(m @ 1..=12) => Ok(YearMonth { year, month: m }),
            _ => Err(YearMonthError::Month(month)),
        }
    }

    /// The year.
    pub const fn year(self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    pub const fn month(self) -> u32 {
        self.month as u32
    }

    /// A running month number (`year × 12 + month − 1`), handy for distances.
    pub const fn index(self) -> i32 {
        self.year * 12 + self.month as i32 - 1
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = YearMonthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            let shown: String = s.chars().take(32).collect();
            YearMonthError::Format(shown)
        };
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return Err(bad());
        }
        let digits = |r: &[u8]| -> Option<u32> {
            r.iter().try_fold(0u32, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let year = digits(&b[0..4]).ok_or_else(bad)?;
        let month = digits(&b[5..7]).ok_or_else(bad)?;
        // year has at most 4 digits, so it fits in i32
        YearMonth::new(year as i32, month)
    }
}

impl TryFrom<String> for YearMonth {
    type Error = YearMonthError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<YearMonth> for String {
    fn from(ym: YearMonth) -> String {
        ym.to_string()
    }
}

/// A report period: months `first_month..=last_month` of one year (a
/// månadsrapport is one month, a delårsrapport jan–aug, an årsredovisning
/// jan–dec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawPeriod")]
pub struct ReportPeriod {
    year: i32,
    first_month: u8,
    last_month: u8,
}

#[derive(Deserialize)]
struct RawPeriod {
    year: i32,
    first_month: u32,
    last_month: u32,
}

impl TryFrom<RawPeriod> for ReportPeriod {
    type Error = PeriodError;
    fn try_from(r: RawPeriod) -> Result<Self, Self::Error> {
        ReportPeriod::new(r.year, r.first_month, r.last_month)
    }
}

/// Why a [`ReportPeriod`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Invalid year or month.
    #[error(transparent)]
    Month(#[from] YearMonthError),
    /// The first month is after the last month.
    #[error("first month {first} is after last month {last}")]
    Order {
        /// First month given.
        first: u32,
        /// Last month given.
        last: u32,
    },
}

impl ReportPeriod {
    /// Months `first_month..=last_month` of `year`.
    pub fn new(year: i32, first_month: u32, last_month: u32) -> Result<Self, PeriodError> {
        let first = YearMonth::new(year, first_month)?;
        let last = YearMonth::new(year, last_month)?;
        if first > last {
            return Err(PeriodError::Order {
                first: first_month,
                last: last_month,
            });
        }
        Ok(ReportPeriod {
            year,
            first_month: first.month,
            last_month: last.month,
        })
    }

    /// A single month (månadsrapport).
    pub fn month(ym: YearMonth) -> Self {
        ReportPeriod {
            year: ym.year,
            first_month: ym.month,
            last_month: ym.month,
        }
    }

    /// January to August (delår).
    pub fn delar(year: i32) -> Result<Self, PeriodError> {
        Self::new(year, 1, 8)
    }

    /// The whole year (helår).
    pub fn helar(year: i32) -> Result<Self, PeriodError> {
        Self::new(year, 1, 12)
    }

    /// The year.
    pub const fn year(self) -> i32 {
        self.year
    }

    /// The first month, 1..=12.
    pub const fn first_month(self) -> u32 {
        self.first_month as u32
    }

    /// The last month, 1..=12.
    pub const fn last_month(self) -> u32 {
        self.last_month as u32
    }

    /// The first month as a [`YearMonth`].
    pub const fn start(self) -> YearMonth {
        YearMonth {
            year: self.year,
            month: self.first_month,
        }
    }

    /// The last month as a [`YearMonth`].
    pub const fn end(self) -> YearMonth {
        YearMonth {
            year: self.year,
            month: self.last_month,
        }
    }

    /// Whether `ym` lies in the period.
    pub fn contains(self, ym: YearMonth) -> bool {
        self.start() <= ym && ym <= self.end()
    }

    /// The same months one year earlier; an error before [`MIN_YEAR`].
    pub fn previous_year(self) -> Result<Self, PeriodError> {
        Self::new(
            self.year - 1,
            self.first_month as u32,
            self.last_month as u32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        let ym: YearMonth = "2024-08".parse().unwrap();
        assert_eq!(ym.year(), 2024);
        assert_eq!(ym.month(), 8);
        assert_eq!(ym.to_string(), "2024-08");
        assert_eq!(String::from(ym), "2024-08");
        assert_eq!(
            YearMonth::new(1900, 1).map(|m| m.to_string()),
            Ok("1900-01".to_string())
        );
    }

    #[test]
    fn parse_errors_are_typed() {
        assert_eq!(
            "2024-13".parse::<YearMonth>(),
            Err(YearMonthError::Month(13))
        );
        assert_eq!(
            "2024-00".parse::<YearMonth>(),
            Err(YearMonthError::Month(0))
        );
        assert_eq!(
            "1899-12".parse::<YearMonth>(),
            Err(YearMonthError::Year(1899))
        );
        assert_eq!(
            "2201-01".parse::<YearMonth>(),
            Err(YearMonthError::Year(2201))
        );
        for bad in [
            "",
            "2024-8",
            "2024/08",
            "24-08",
            "2024-08-01",
            "-024-08",
            "２０２４-08",
            "+024-08",
            "2024-+8",
        ] {
            assert!(
                matches!(bad.parse::<YearMonth>(), Err(YearMonthError::Format(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ordering_is_chronological() {
        let a = YearMonth::new(2023, 12).unwrap();
        let b = YearMonth::new(2024, 1).unwrap();
        let c = YearMonth::new(2024, 2).unwrap();
        assert!(a < b && b < c);
        assert_eq!(b.index() - a.index(), 1);
    }

    #[test]
    fn new_validates() {
        assert_eq!(YearMonth::new(2024, 0), Err(YearMonthError::Month(0)));
        assert_eq!(YearMonth::new(2024, 256), Err(YearMonthError::Month(256)));
        assert_eq!(
            YearMonth::new(i32::MIN, 1),
            Err(YearMonthError::Year(i32::MIN))
        );
        assert_eq!(
            YearMonth::new(i32::MAX, 1),
            Err(YearMonthError::Year(i32::MAX))
        );
    }

    #[test]
    fn report_periods() {
        let p = ReportPeriod::delar(2024).unwrap();
        assert_eq!((p.first_month(), p.last_month(), p.year()), (1, 8, 2024));
        assert_eq!(p.end().to_string(), "2024-08");
        assert!(p.contains(p.start()));
        assert!(!p.contains(YearMonth::new(2024, 9).unwrap()));
        assert_eq!(
            ReportPeriod::new(2024, 9, 8),
            Err(PeriodError::Order { first: 9, last: 8 })
        );
        assert!(ReportPeriod::new(2024, 1, 13).is_err());
        assert!(
            ReportPeriod::helar(1900)
                .and_then(|p| p.previous_year())
                .is_err()
        );
        let prev = ReportPeriod::helar(2024).and_then(|p| p.previous_year());
        assert_eq!(prev.map(|p| p.year()), Ok(2023));
        let m = ReportPeriod::month(YearMonth::new(2023, 3).unwrap());
        assert_eq!((m.first_month(), m.last_month()), (3, 3));
    }
}
