//! Dimension mapping: how a ledger's codes (ansvar, verksamhet, konto) reach
//! our nämnd and budget-line codes. A kommun keeps one mapping per ledger
//! and reuses it for every monthly file.
//!
//! A mapping is an ordered list of rules; the first rule whose every
//! condition holds decides the target. A condition is a [`Pattern`] on one
//! dimension: an exact code (`510`), a prefix (`11*`), any code (`*`), or an
//! inclusive numeric range (`3000-3999`, for konto in particular). A rule
//! with a condition on a dimension matches only rows that carry that
//! dimension; a dimension without a condition is not looked at.

use std::fmt;

/// The dimensions a rule can look at, as ledgers call them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// Ansvar (responsibility): who spends; in SIE usually dimension 1,
    /// kostnadsställe.
    Ansvar,
    /// Verksamhet (activity): what the money is spent on.
    Verksamhet,
    /// Konto: the account of the kontoplan (Kommun-Bas).
    Konto,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [Dimension::Ansvar, Dimension::Verksamhet, Dimension::Konto];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Ansvar => "ansvar",
            Dimension::Verksamhet => "verksamhet",
            Dimension::Konto => "konto",
        }
    }
}

/// Longest code a pattern may hold.
pub const MAX_PATTERN_LEN: usize = 40;

/// A condition on one dimension's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// `*`: any code, as long as the row has one.
    Any,
    /// The code itself.
    Exact(String),
    /// `11*`: codes starting with `11`.
    Prefix(String),
    /// `3000-3999`: numeric codes in the range, both ends included.
    Range { from: u64, to: u64 },
}

/// Why a pattern text is not a pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("is empty; give a code, a prefix like 11* or a range like 3000-3999")]
    Empty,
    #[error("is longer than {MAX_PATTERN_LEN} characters")]
    TooLong,
    #[error("may not contain spaces")]
    Whitespace,
    #[error("may have * only at the end (a prefix like 11*)")]
    InnerWildcard,
    #[error("range {0}: the first number must not be greater than the second")]
    EmptyRange(String),
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        if text.is_empty() {
            return Err(PatternError::Empty);
        }
        if text.chars().count() > MAX_PATTERN_LEN {
            return Err(PatternError::TooLong);
        }
        if text.chars().any(char::is_whitespace) {
            return Err(PatternError::Whitespace);
        }
        if text == "*" {
            return Ok(Pattern::Any);
        }
        if let Some(prefix) = text.strip_suffix('*') {
            if prefix.contains('*') {
                return Err(PatternError::InnerWildcard);
            }
            return Ok(Pattern::Prefix(prefix.to_string()));
        }
        if text.contains('*') {
            return Err(PatternError::InnerWildcard);
        }
        if let Some((from, to)) = numeric_range(text) {
            if from > to {
                return Err(PatternError::EmptyRange(text.to_string()));
            }
            return Ok(Pattern::Range { from, to });
        }
        Ok(Pattern::Exact(text.to_string()))
    }

    pub fn matches(&self, code: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(e) => code == e,
            Pattern::Prefix(p) => code.starts_with(p.as_str()),
            Pattern::Range { from, to } => all_digits(code)
                .then(|| code.parse::<u64>().ok())
                .flatten()
                .is_some_and(|n| (*from..=*to).contains(&n)),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Any => f.write_str("*"),
            Pattern::Exact(e) => f.write_str(e),
            Pattern::Prefix(p) => write!(f, "{p}*"),
            Pattern::Range { from, to } => write!(f, "{from}-{to}"),
        }
    }
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `3000-3999` as numbers; None when either side is not all digits.
fn numeric_range(text: &str) -> Option<(u64, u64)> {
    let (from, to) = text.split_once('-')?;
    if !all_digits(from) || !all_digits(to) {
        return None;
    }
    Some((from.parse().ok()?, to.parse().ok()?))
}

/// Where a matching row goes: a budget line of a nämnd, by their codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingTarget {
    pub namnd: String,
    pub line: String,
}

/// One rule: conditions on dimensions (at least one) and a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRule {
    pub conditions: Vec<(Dimension, Pattern)>,
    pub target: MappingTarget,
}

/// The codes of one ledger row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DimensionCodes {
    pub ansvar: Option<String>,
    pub verksamhet: Option<String>,
    pub konto: Option<String>,
}

impl DimensionCodes {
    pub fn get(&self, dimension: Dimension) -> Option<&str> {
        match dimension {
            Dimension::Ansvar => self.ansvar.as_deref(),
            Dimension::Verksamhet => self.verksamhet.as_deref(),
            Dimension::Konto => self.konto.as_deref(),
        }
    }

    pub fn is_empty(&self) -> bool {
        Dimension::ALL.iter().all(|d| self.get(*d).is_none())
    }
}

/// "ansvar 11, verksamhet 510, konto 4010" (the codes the row has), for
/// row errors.
impl fmt::Display for DimensionCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = Dimension::ALL
            .iter()
            .filter_map(|d| self.get(*d).map(|c| format!("{} {c}", d.as_str())))
            .collect();
        if parts.is_empty() {
            f.write_str("no ansvar, verksamhet or konto")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

impl MappingRule {
    pub fn matches(&self, codes: &DimensionCodes) -> bool {
        self.conditions
            .iter()
            .all(|(d, p)| codes.get(*d).is_some_and(|c| p.matches(c)))
    }
}

/// The first rule that matches `codes`, with its position.
pub fn first_match<'r>(
    rules: &'r [MappingRule],
    codes: &DimensionCodes,
) -> Option<(usize, &'r MappingTarget)> {
    rules
        .iter()
        .enumerate()
        .find(|(_, r)| r.matches(codes))
        .map(|(i, r)| (i, &r.target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(conditions: &[(Dimension, &str)], namnd: &str, line: &str) -> MappingRule {
        MappingRule {
            conditions: conditions
                .iter()
                .map(|(d, p)| (*d, Pattern::parse(p).unwrap()))
                .collect(),
            target: MappingTarget {
                namnd: namnd.into(),
                line: line.into(),
            },
        }
    }

    fn codes(
        ansvar: Option<&str>,
        verksamhet: Option<&str>,
        konto: Option<&str>,
    ) -> DimensionCodes {
        DimensionCodes {
            ansvar: ansvar.map(String::from),
            verksamhet: verksamhet.map(String::from),
            konto: konto.map(String::from),
        }
    }

    #[test]
    fn patterns_parse_into_their_kinds() {
        assert_eq!(Pattern::parse("*"), Ok(Pattern::Any));
        assert_eq!(Pattern::parse("510"), Ok(Pattern::Exact("510".into())));
        assert_eq!(Pattern::parse("11*"), Ok(Pattern::Prefix("11".into())));
        assert_eq!(
            Pattern::parse("3000-3999"),
            Ok(Pattern::Range {
                from: 3000,
                to: 3999
            })
        );
        // Not numeric on both sides: an exact code with a dash.
        assert_eq!(Pattern::parse("A-1"), Ok(Pattern::Exact("A-1".into())));
        assert_eq!(Pattern::parse(""), Err(PatternError::Empty));
        assert_eq!(Pattern::parse("1*1"), Err(PatternError::InnerWildcard));
        assert_eq!(Pattern::parse("1**"), Err(PatternError::InnerWildcard));
        assert_eq!(Pattern::parse("1 1"), Err(PatternError::Whitespace));
        assert!(matches!(
            Pattern::parse("4000-3000"),
            Err(PatternError::EmptyRange(_))
        ));
        assert_eq!(Pattern::parse(&"1".repeat(41)), Err(PatternError::TooLong));
        for text in ["*", "510", "11*", "3000-3999"] {
            assert_eq!(Pattern::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn patterns_match_codes() {
        let p = |t: &str| Pattern::parse(t).unwrap();
        assert!(p("11*").matches("110"));
        assert!(p("11*").matches("11"));
        assert!(!p("11*").matches("120"));
        assert!(p("510").matches("510"));
        assert!(!p("510").matches("5100"));
        assert!(p("3000-3999").matches("3000"));
        assert!(p("3000-3999").matches("3999"));
        assert!(!p("3000-3999").matches("4000"));
        assert!(!p("3000-3999").matches("30a0"));
        assert!(p("*").matches("x"));
    }

    #[test]
    fn first_matching_rule_wins() {
        let rules = vec![
            rule(
                &[(Dimension::Ansvar, "11*"), (Dimension::Verksamhet, "510")],
                "VON",
                "aldreomsorg",
            ),
            rule(
                &[(Dimension::Ansvar, "11*")],
                "VON",
                "forvaltningsgemensamt",
            ),
            rule(&[(Dimension::Konto, "3000-3999")], "KS", "intakter"),
        ];
        let to = |c: &DimensionCodes| first_match(&rules, c).map(|(i, t)| (i, t.line.clone()));
        assert_eq!(
            to(&codes(Some("110"), Some("510"), Some("4010"))),
            Some((0, "aldreomsorg".into()))
        );
        assert_eq!(
            to(&codes(Some("110"), Some("520"), None)),
            Some((1, "forvaltningsgemensamt".into()))
        );
        // A condition on a dimension the row lacks does not hold.
        assert_eq!(
            to(&codes(None, Some("510"), Some("3010"))),
            Some((2, "intakter".into()))
        );
        assert_eq!(to(&codes(Some("999"), Some("510"), Some("4010"))), None);
        assert_eq!(to(&DimensionCodes::default()), None);
    }

    #[test]
    fn codes_describe_themselves() {
        assert_eq!(
            codes(Some("11"), None, Some("4010")).to_string(),
            "ansvar 11, konto 4010"
        );
        assert_eq!(
            DimensionCodes::default().to_string(),
            "no ansvar, verksamhet or konto"
        );
        assert!(DimensionCodes::default().is_empty());
    }
}
