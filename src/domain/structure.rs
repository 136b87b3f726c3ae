//! The organisation and calendar of a kommun: codes users know resources by
//! (parsed once at the edge), kinds of nämnd, and reporting periods with
//! their derived dates and labels.

use std::fmt;

use chrono::NaiveDate;

/// SCB kommunkod: four digits, e.g. `0483` (Katrineholm).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KommunKod(String);

impl KommunKod {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) && text != "0000" {
            Ok(KommunKod(text.to_string()))
        } else {
            Err(format!(
                "{text:?} is not a kommunkod: expected four digits, e.g. 0483"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KommunKod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Short code of a nämnd, styrelse or bolag: `VON`, `KS/KLF`, `SOCN`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamndCode(String);

impl NamndCode {
    pub const MAX_LEN: usize = 20;

    pub fn parse(text: &str) -> Result<Self, String> {
        let valid_chars = text.chars().all(|c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '/' | '-' | 'Å' | 'Ä' | 'Ö')
        });
        let starts_well = text.chars().next().is_some_and(|c| c.is_alphanumeric());
        if !text.is_empty() && text.chars().count() <= Self::MAX_LEN && valid_chars && starts_well {
            Ok(NamndCode(text.to_string()))
        } else {
            Err(
                "must be 1–20 characters: upper-case letters, digits, / and -, e.g. VON or KS/KLF"
                    .into(),
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NamndCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Generates an enum with its API spelling, `as_str`, `FromStr` and the list
/// of accepted values for error messages. The spelling is also the stored
/// one: the entities store these enums by `as_str` and read them by
/// `FromStr`.
macro_rules! spelled_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "{s:?} is not one of {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use spelled_enum;

spelled_enum! {
    /// What kind of organisational unit reports.
    NamndKind { Namnd => "namnd", Styrelse => "styrelse", Bolag => "bolag" }
}

spelled_enum! {
    /// The length of a reporting period.
    PeriodKind {
        Manad => "manad",
        Tertial => "tertial",
        Delar => "delar",
        Halvar => "halvar",
        Helar => "helar",
    }
}

spelled_enum! {
    /// What kind of report: each needs its own kind of period.
    ReportType {
        Manadsrapport => "manadsrapport",
        Tertialrapport => "tertialrapport",
        Delarsrapport => "delarsrapport",
        Arsredovisning => "arsredovisning",
        Plan => "plan",
    }
}

spelled_enum! {
    /// Unit of a staff key figure.
    KeyFigureUnit {
        Antal => "antal",
        Procent => "procent",
        Tkr => "tkr",
        Index => "index",
        Timmar => "timmar",
    }
}

spelled_enum! {
    /// Whether a volume value is an outcome (a month or a whole period) or
    /// a full-year forecast, recorded for the month it was made.
    VolumeValueKind { Utfall => "utfall", Prognos => "prognos" }
}

spelled_enum! {
    /// Status of an assignment (uppdrag) in a report.
    AssignmentStatus {
        EjStartad => "ej_startad",
        Paborjad => "paborjad",
        Klar => "klar",
        Stoppad => "stoppad",
    }
}

spelled_enum! {
    /// Workflow: utkast → for_beslut → godkand (and back, see `allowed`).
    ReportStatus { Utkast => "utkast", ForBeslut => "for_beslut", Godkand => "godkand" }
}

impl ReportType {
    /// The period kinds this report type is made for.
    pub fn period_kinds(self) -> &'static [PeriodKind] {
        match self {
            ReportType::Manadsrapport => &[PeriodKind::Manad],
            ReportType::Tertialrapport => &[PeriodKind::Tertial],
            ReportType::Delarsrapport => &[PeriodKind::Delar, PeriodKind::Halvar],
            ReportType::Arsredovisning | ReportType::Plan => &[PeriodKind::Helar],
        }
    }

    /// Whether the report shows the last month's own and the accumulated
    /// figures beside the period's (month and delår reports do).
    pub fn shows_month_and_ack(self) -> bool {
        matches!(
            self,
            ReportType::Manadsrapport | ReportType::Tertialrapport | ReportType::Delarsrapport
        )
    }

    /// The standard headings offered when a report is created (key, title),
    /// as the seed reports use them.
    pub fn standard_sections(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ReportType::Manadsrapport => &[
                ("verksamhetsrapport", "Verksamhetsrapport"),
                ("ekonomisk_uppfoljning", "Ekonomisk uppföljning"),
                ("personal", "Personal"),
                ("forvantad_utveckling", "Förväntad utveckling"),
            ],
            ReportType::Tertialrapport | ReportType::Delarsrapport => &[
                ("inledning", "Inledning"),
                ("verksamhetsrapport", "Verksamhetsrapport"),
                ("volymutveckling", "Volymutveckling"),
                ("malbedomning", "Förväntad måluppfyllelse"),
                ("driftredovisning", "Driftredovisning"),
                ("investeringsredovisning", "Investeringsredovisning"),
                ("atgardsplan", "Åtgärdsplan"),
                ("personal", "Personal"),
                ("forvantad_utveckling", "Förväntad utveckling"),
            ],
            ReportType::Arsredovisning => &[
                ("inledning", "Inledning"),
                ("ansvarsomrade", "Ansvarsområde och organisation"),
                ("verksamhetsrapport", "Verksamhetsrapport"),
                ("volymutveckling", "Volymutveckling"),
                ("hallbarhet", "Hållbarhet"),
                ("samlad_bedomning", "Samlad bedömning"),
                ("driftredovisning", "Driftredovisning"),
                ("investeringsredovisning", "Investeringsredovisning"),
                ("personal", "Väsentliga personalförhållanden"),
                ("forvantad_utveckling", "Förväntad utveckling"),
                ("sarskilda_uppdrag", "Särskilda uppdrag"),
            ],
            ReportType::Plan => &[
                ("inledning", "Inledning"),
                ("ansvarsomrade", "Ansvarsområde"),
                ("omvarldsanalys", "Omvärldsanalys"),
                ("resultatmal", "Resultatmål"),
                ("volymer", "Volymer"),
                ("ekonomi", "Ekonomi"),
                ("investeringar", "Investeringar"),
            ],
        }
    }
}

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Mars",
    "April",
    "Maj",
    "Juni",
    "Juli",
    "Augusti",
    "September",
    "Oktober",
    "November",
    "December",
];

/// A period as users name it: kind, year and, for months, tertials and
/// halvår, which one. Dates and label are derived from these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodSpec {
    pub kind: PeriodKind,
    pub year: i32,
    /// 1–12 for manad, 1–3 for tertial, 1–2 for halvar; 0 otherwise.
    pub number: u32,
}

impl PeriodSpec {
    pub const MIN_YEAR: i32 = 1900;
    pub const MAX_YEAR: i32 = 2200;

    /// Checks the combination; the error names the offending field.
    pub fn new(
        kind: PeriodKind,
        year: i32,
        number: Option<u32>,
    ) -> Result<Self, (&'static str, String)> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err((
                "year",
                format!("must be between {} and {}", Self::MIN_YEAR, Self::MAX_YEAR),
            ));
        }
        let max = match kind {
            PeriodKind::Manad => 12,
            PeriodKind::Tertial => 3,
            PeriodKind::Halvar => 2,
            PeriodKind::Delar | PeriodKind::Helar => 0,
        };
        let number = match (max, number) {
            (0, None) => 0,
            (0, Some(_)) => return Err(("number", format!("must be left out for kind {kind}"))),
            (_, None) => return Err(("number", format!("is required for kind {kind}: 1–{max}"))),
            (_, Some(n)) if (1..=max).contains(&n) => n,
            (_, Some(_)) => return Err(("number", format!("must be 1–{max} for kind {kind}"))),
        };
        Ok(PeriodSpec { kind, year, number })
    }

    /// First and last month (1–12) of the period.
    pub fn months(&self) -> (u32, u32) {
        match self.kind {
            PeriodKind::Manad => (self.number, self.number),
            PeriodKind::Tertial => (self.number * 4 - 3, self.number * 4),
            PeriodKind::Halvar => (self.number * 6 - 5, self.number * 6),
            // Delår is January–August in Swedish municipal reporting.
            PeriodKind::Delar => (1, 8),
            PeriodKind::Helar => (1, 12),
        }
    }

    pub fn start_date(&self) -> NaiveDate {
        let (first, _) = self.months();
        NaiveDate::from_ymd_opt(self.year, first, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn end_date(&self) -> NaiveDate {
        let (_, last) = self.months();
        let next = if last == 12 {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year, last + 1, 1)
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    /// The Swedish label, e.g. "Delår 2024", "Mars 2023", "Tertial 1 2024".
    pub fn label(&self) -> String {
        match self.kind {
            PeriodKind::Manad => {
                let name = MONTHS
                    .get((self.number as usize).wrapping_sub(1))
                    .copied()
                    .unwrap_or("Månad");
                format!("{name} {}", self.year)
            }
            PeriodKind::Tertial => format!("Tertial {} {}", self.number, self.year),
            PeriodKind::Halvar => format!("Halvår {} {}", self.number, self.year),
            PeriodKind::Delar => format!("Delår {}", self.year),
            PeriodKind::Helar => format!("Helår {}", self.year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kommunkod_accepts_four_digits_only() {
        assert!(KommunKod::parse("0483").is_ok());
        assert!(KommunKod::parse("1882").is_ok());
        for bad in ["483", "04830", "04a3", "", " 0483", "0000"] {
            assert!(KommunKod::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn namnd_codes_of_the_seeds_parse() {
        for code in [
            "VON", "KS/KLF", "KS/SBF", "SOCN", "KFAB", "KVAAB", "VSR", "SN",
        ] {
            assert_eq!(NamndCode::parse(code).unwrap().as_str(), code);
        }
        for bad in ["", "von", "/VON", "A B", "ABCDEFGHIJKLMNOPQRSTU"] {
            assert!(NamndCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn period_dates_and_labels() {
        let delar = PeriodSpec::new(PeriodKind::Delar, 2024, None).unwrap();
        assert_eq!(delar.start_date().to_string(), "2024-01-01");
        assert_eq!(delar.end_date().to_string(), "2024-08-31");
        assert_eq!(delar.label(), "Delår 2024");
        let feb = PeriodSpec::new(PeriodKind::Manad, 2024, Some(2)).unwrap();
        assert_eq!(feb.end_date().to_string(), "2024-02-29");
        assert_eq!(feb.label(), "Februari 2024");
        let t3 = PeriodSpec::new(PeriodKind::Tertial, 2023, Some(3)).unwrap();
        assert_eq!(
            (t3.start_date().to_string(), t3.end_date().to_string()),
            ("2023-09-01".into(), "2023-12-31".into())
        );
        let h2 = PeriodSpec::new(PeriodKind::Halvar, 2024, Some(1)).unwrap();
        assert_eq!(h2.end_date().to_string(), "2024-06-30");
        assert_eq!(
            PeriodSpec::new(PeriodKind::Helar, 2024, None)
                .unwrap()
                .label(),
            "Helår 2024"
        );
    }

    #[test]
    fn period_numbers_are_checked() {
        assert_eq!(
            PeriodSpec::new(PeriodKind::Manad, 2024, None)
                .unwrap_err()
                .0,
            "number"
        );
        assert_eq!(
            PeriodSpec::new(PeriodKind::Manad, 2024, Some(13))
                .unwrap_err()
                .0,
            "number"
        );
        assert_eq!(
            PeriodSpec::new(PeriodKind::Tertial, 2024, Some(0))
                .unwrap_err()
                .0,
            "number"
        );
        assert_eq!(
            PeriodSpec::new(PeriodKind::Helar, 2024, Some(1))
                .unwrap_err()
                .0,
            "number"
        );
        assert_eq!(
            PeriodSpec::new(PeriodKind::Helar, 1800, None)
                .unwrap_err()
                .0,
            "year"
        );
    }

    #[test]
    fn kinds_parse_their_spelling() {
        for kind in PeriodKind::ALL {
            assert_eq!(kind.as_str().parse::<PeriodKind>().unwrap(), *kind);
        }
        assert!("year".parse::<PeriodKind>().is_err());
        assert_eq!("bolag".parse::<NamndKind>().unwrap(), NamndKind::Bolag);
    }

    /// `as_str` is the stored spelling and serde the API's: they must agree,
    /// and `FromStr` must read back what `as_str` wrote.
    #[test]
    fn spelled_enums_agree_with_their_serde_spelling() {
        fn check<T>(all: &[T], as_str: fn(T) -> &'static str)
        where
            T: Copy + fmt::Debug + PartialEq + std::str::FromStr + serde::Serialize,
            T::Err: fmt::Debug,
        {
            for &v in all {
                let text = as_str(v);
                assert_eq!(text.parse::<T>().unwrap(), v);
                assert_eq!(serde_json::to_value(v).unwrap(), text, "{v:?}");
            }
            assert!("no such value".parse::<T>().is_err());
        }
        use crate::domain::{
            Aggregation, Bedomning, BudgetLineKind, Gender, GoalKind, Measure, Polarity, Trend,
        };
        check(NamndKind::ALL, NamndKind::as_str);
        check(PeriodKind::ALL, PeriodKind::as_str);
        check(ReportType::ALL, ReportType::as_str);
        check(ReportStatus::ALL, ReportStatus::as_str);
        check(KeyFigureUnit::ALL, KeyFigureUnit::as_str);
        check(VolumeValueKind::ALL, VolumeValueKind::as_str);
        check(AssignmentStatus::ALL, AssignmentStatus::as_str);
        check(Measure::ALL, Measure::as_str);
        check(BudgetLineKind::ALL, BudgetLineKind::as_str);
        check(Aggregation::ALL, Aggregation::as_str);
        check(Polarity::ALL, Polarity::as_str);
        check(Bedomning::ALL, Bedomning::as_str);
        check(Trend::ALL, Trend::as_str);
        check(Gender::ALL, Gender::as_str);
        check(GoalKind::ALL, GoalKind::as_str);
    }

    #[test]
    fn override_kinds_read_back_their_stored_spelling() {
        use crate::domain::OverrideKind;
        for &k in OverrideKind::ALL {
            assert_eq!(k.as_str().parse::<OverrideKind>().unwrap(), k);
        }
        assert!("Trend".parse::<OverrideKind>().is_err());
    }

    #[test]
    fn every_report_type_has_a_period_kind_and_sections() {
        for t in ReportType::ALL {
            assert!(!t.period_kinds().is_empty());
            assert!(!t.standard_sections().is_empty());
            let keys: std::collections::HashSet<_> =
                t.standard_sections().iter().map(|s| s.0).collect();
            assert_eq!(keys.len(), t.standard_sections().len(), "{t}: unique keys");
        }
        assert_eq!(
            ReportType::Delarsrapport.period_kinds()[0],
            PeriodKind::Delar
        );
        assert!(!ReportType::Arsredovisning.shows_month_and_ack());
    }
}
