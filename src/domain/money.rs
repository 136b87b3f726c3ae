//! Money in the result convention (income +, cost −), deviations and
//! presentation in tkr.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::DomainError;

const THOUSAND: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// An amount in kronor, in the result convention: money in is positive,
/// money out is negative (seed 000: "Äldreomsorg −314 902" tkr).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Amount(pub Decimal);

impl Amount {
    /// Zero kronor.
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// An amount of `kronor` in the result convention.
    pub const fn new(kronor: Decimal) -> Self {
        Amount(kronor)
    }

    /// The value in kronor.
    pub const fn kronor(self) -> Decimal {
        self.0
    }

    /// An amount given in tkr (thousands of kronor), as printed in reports.
    pub fn from_tkr(tkr: Decimal) -> Result<Self, DomainError> {
        tkr.checked_mul(THOUSAND)
            .map(Amount)
            .ok_or(DomainError::Overflow)
    }

    /// Converts a value from a source that writes costs as positive numbers
    /// (seed 002: "Äldreomsorg/LSS utfall 251 612"): the sign is flipped, so
    /// a cost of 251 612 becomes −251 612 and an income written −757 becomes
    /// +757. Negation of a `Decimal` is exact and cannot overflow.
    pub fn from_cost_positive(value: Decimal) -> Self {
        Amount(-value)
    }

    /// The value in the cost-positive convention (inverse of
    /// [`Amount::from_cost_positive`]).
    pub fn to_cost_positive(self) -> Decimal {
        -self.0
    }

    /// `self + other`, or [`DomainError::Overflow`].
    pub fn checked_add(self, other: Amount) -> Result<Amount, DomainError> {
        self.0
            .checked_add(other.0)
            .map(Amount)
            .ok_or(DomainError::Overflow)
    }

    /// `self − other`, or [`DomainError::Overflow`].
    pub fn checked_sub(self, other: Amount) -> Result<Amount, DomainError> {
        self.0
            .checked_sub(other.0)
            .map(Amount)
            .ok_or(DomainError::Overflow)
    }

    /// Sum of amounts, or [`DomainError::Overflow`].
    pub fn checked_sum<I: IntoIterator<Item = Amount>>(items: I) -> Result<Amount, DomainError> {
        items
            .into_iter()
            .try_fold(Amount::ZERO, |acc, a| acc.checked_add(a))
    }

    /// The exact value in tkr (kronor / 1000, full precision).
    pub fn tkr(self) -> Decimal {
        // Cannot fail: the divisor is non-zero and |x / 1000| < |x|.
        self.0.checked_div(THOUSAND).unwrap_or_default()
    }

    /// The value in whole tkr, rounded half away from zero, for presentation.
    /// Round only the final figure: totals are summed in kronor first.
    pub fn tkr_rounded(self) -> Decimal {
        self.tkr()
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
    }
}

/// A percentage (100 = 100 %), kept at full precision.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Percent(pub Decimal);

impl Percent {
    /// The percentage value (100 = 100 %).
    pub const fn value(self) -> Decimal {
        self.0
    }

    /// Rounded to `dp` decimals, half away from zero.
    pub fn rounded(self, dp: u32) -> Decimal {
        self.0
            .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
    }

    /// Rounded to one decimal, half away from zero, as reports print it.
    pub fn presented(self) -> Decimal {
        self.rounded(1)
    }
}

/// A ratio (1 = 100 %), e.g. a fulfilment ratio or a relative change.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Ratio(pub Decimal);

impl Ratio {
    /// The ratio as a fraction (1 = 100 %).
    pub const fn value(self) -> Decimal {
        self.0
    }

    /// The ratio in percent; `None` if ×100 does not fit in a `Decimal`.
    pub fn to_percent(self) -> Option<Percent> {
        self.0.checked_mul(Decimal::ONE_HUNDRED).map(Percent)
    }
}

/// `avvikelse = utfall − budget` (positive is favourable, whatever the kind
/// of line). Seed 000: −20 790 − (−29 814) = 9 024. For investments this is
/// "Kvar av årets budget": −583 − (−3 089) = 2 506.
pub fn avvikelse(utfall: Amount, budget: Amount) -> Result<Amount, DomainError> {
    utfall.checked_sub(budget)
}

/// `avvikelse_procent = avvikelse / |budget| × 100`, at full precision.
/// Absent when the budget is 0, and when the quotient is not representable
/// (only for absurdly small budgets against huge deviations).
pub fn avvikelse_procent(avvikelse: Amount, budget: Amount) -> Option<Percent> {
    if budget.0.is_zero() {
        return None;
    }
    avvikelse
        .0
        .checked_div(budget.0.abs())
        .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
        .map(Percent)
}

/// `prognos_avvikelse = prognos − budget`, both for the full year.
pub fn prognos_avvikelse(
    helarsprognos: Amount,
    helarsbudget: Amount,
) -> Result<Amount, DomainError> {
    helarsprognos.checked_sub(helarsbudget)
}

/// The deviation as a cost-positive source prints it (`budget − utfall`,
/// seed 002: 245 397 − 251 612 = −6 215), returned in the result convention.
/// It equals [`avvikelse`] of the converted values.
pub fn cost_positive_avvikelse(
    utfall_cost_positive: Decimal,
    budget_cost_positive: Decimal,
) -> Result<Amount, DomainError> {
    avvikelse(
        Amount::from_cost_positive(utfall_cost_positive),
        Amount::from_cost_positive(budget_cost_positive),
    )
}

/// The largest amount one value may have, either way: 10^12 kr (a million
/// million; a kommun's whole budget is a small fraction of it). Values are
/// summed per nämnd and month in 64-bit öre; with [`MAX_LINES_PER_KIND`] the
/// bound keeps every such total exact instead of overflowing.
pub const MAX_AMOUNT_KR: i64 = 1_000_000_000_000;

/// The most budget lines of one kind (drift or investering) one nämnd may
/// have: far beyond any real driftredovisning (a few hundred rows), and low
/// enough that a nämnd's total of one value per line, and any change of it
/// (at most twice that, from every line at -max to every line at +max),
/// fits in 64-bit öre.
pub const MAX_LINES_PER_KIND: usize = 40_000;

const _: () =
    assert!(2 * (MAX_AMOUNT_KR as i128) * 100 * (MAX_LINES_PER_KIND as i128) <= i64::MAX as i128);

/// Kronor to integer öre: at most two decimals, at most [`MAX_AMOUNT_KR`]
/// either way.
pub fn to_ore(kronor: Decimal) -> Result<i64, String> {
    if kronor.abs() > Decimal::from(MAX_AMOUNT_KR) {
        return Err(amount_too_large());
    }
    let ore = kronor
        .checked_mul(Decimal::ONE_HUNDRED)
        .ok_or_else(amount_too_large)?;
    if ore.fract() != Decimal::ZERO {
        return Err("has more than two decimals (amounts are in kronor and öre)".into());
    }
    i64::try_from(ore).map_err(|_| amount_too_large())
}

/// [`MAX_AMOUNT_KR`] in öre, as values are kept.
pub const MAX_AMOUNT_ORE: i64 = MAX_AMOUNT_KR * 100;

/// The bound of an amount, as a refusal says it.
pub const AMOUNT_BOUND: &str = "an amount is at most 1000000000000 kronor (10^12) either way";

/// What an amount beyond [`MAX_AMOUNT_KR`] is told.
fn amount_too_large() -> String {
    format!("is too large: {AMOUNT_BOUND}")
}

/// Integer öre to kronor.
pub fn from_ore(ore: i64) -> Decimal {
    Decimal::new(ore, 2).normalize()
}

/// Parses a JSON number or numeric string exactly ("1234.5", "-0.01", "1e3").
pub fn parse_decimal(value: &serde_json::Value) -> Result<Decimal, String> {
    let text = match value {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_string(),
        _ => return Err("must be a number or a numeric string".into()),
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| {
            if is_number_syntax(&text) {
                // A number, but beyond what an exact decimal holds (1.2e62).
                format!(
                    "{text:?} is too large: numbers must be between -{max} and {max}, with at most 28 decimals",
                    max = Decimal::MAX
                )
            } else {
                format!("{text:?} is not a number")
            }
        })
}

/// Whether `text` is written as a number: sign, digits, a fraction, an
/// exponent (JSON's grammar, with an optional leading `+`).
fn is_number_syntax(text: &str) -> bool {
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_number_too_large_says_so_and_names_the_range() {
        let err = parse_decimal(&serde_json::json!(1.2e62)).unwrap_err();
        assert!(
            err.contains("too large") && err.contains("79228162514264337593543950335"),
            "{err}"
        );
        let err = parse_decimal(&serde_json::json!("-1.2E+62")).unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let err = parse_decimal(&serde_json::json!("12,5")).unwrap_err();
        assert!(err.contains("not a number"), "{err}");
        let err = to_ore(Decimal::MAX).unwrap_err();
        assert!(err.contains("1000000000000 kronor"), "{err}");
        assert_eq!(to_ore(dec!(-1000000000000)), Ok(-100_000_000_000_000));
        assert!(to_ore(dec!(1000000000000.01)).is_err());
    }

    fn a(d: Decimal) -> Amount {
        Amount(d)
    }

    #[test]
    fn avvikelse_is_utfall_minus_budget() {
        assert_eq!(
            avvikelse(a(dec!(-20790)), a(dec!(-29814))),
            Ok(a(dec!(9024)))
        );
        assert_eq!(avvikelse(a(dec!(0)), a(dec!(0))), Ok(Amount::ZERO));
        assert_eq!(avvikelse(a(dec!(100)), a(dec!(-50))), Ok(a(dec!(150))));
        // income line above budget is favourable
        assert_eq!(
            avvikelse(a(dec!(64645)), a(dec!(42857))),
            Ok(a(dec!(21788)))
        );
    }

    #[test]
    fn avvikelse_overflow_is_an_error_not_a_panic() {
        assert_eq!(
            avvikelse(a(Decimal::MAX), a(Decimal::MIN)),
            Err(DomainError::Overflow)
        );
        assert_eq!(
            avvikelse(a(Decimal::MIN), a(Decimal::MAX)),
            Err(DomainError::Overflow)
        );
        assert_eq!(
            avvikelse(a(Decimal::MAX), a(Decimal::MAX)),
            Ok(Amount::ZERO)
        );
    }

    #[test]
    fn investment_kvar_av_budget() {
        let utfall = Amount::from_cost_positive(dec!(583));
        let budget = Amount::from_cost_positive(dec!(3089));
        assert_eq!(avvikelse(utfall, budget), Ok(a(dec!(2506))));
    }

    #[test]
    fn avvikelse_procent_uses_absolute_budget() {
        // cost line: -110 against budget -100 is 10 % worse
        assert_eq!(
            avvikelse_procent(a(dec!(-10)), a(dec!(-100))),
            Some(Percent(dec!(-10)))
        );
        // income line: 110 against 100 is 10 % better
        assert_eq!(
            avvikelse_procent(a(dec!(10)), a(dec!(100))),
            Some(Percent(dec!(10)))
        );
        assert_eq!(avvikelse_procent(a(dec!(10)), Amount::ZERO), None);
        assert_eq!(avvikelse_procent(Amount::ZERO, Amount::ZERO), None);
        assert_eq!(
            avvikelse_procent(Amount::ZERO, a(dec!(-5))),
            Some(Percent(dec!(0)))
        );
    }

    #[test]
    fn avvikelse_procent_keeps_precision_and_presents_one_decimal() {
        let p = avvikelse_procent(a(dec!(-450)), a(dec!(-907426))).unwrap_or_default();
        assert!(p.value() < dec!(-0.0495) && p.value() > dec!(-0.0497));
        assert_eq!(p.presented(), dec!(0.0));
        let p = avvikelse_procent(a(dec!(1)), a(dec!(-3))).unwrap_or_default();
        assert_eq!(p.presented(), dec!(33.3));
        assert_eq!(Percent(dec!(-0.05)).presented(), dec!(-0.1));
        assert_eq!(Percent(dec!(0.05)).presented(), dec!(0.1));
    }

    #[test]
    fn avvikelse_procent_unrepresentable_is_absent() {
        assert_eq!(
            avvikelse_procent(a(Decimal::MAX), a(dec!(0.0000000000000000000000000001))),
            None
        );
    }

    #[test]
    fn prognos_avvikelse_is_prognos_minus_budget() {
        assert_eq!(
            prognos_avvikelse(a(dec!(-1000)), a(dec!(-1200))),
            Ok(a(dec!(200)))
        );
        assert_eq!(
            prognos_avvikelse(a(Decimal::MIN), a(dec!(1))),
            Err(DomainError::Overflow)
        );
    }

    #[test]
    fn cost_positive_conversion() {
        assert_eq!(Amount::from_cost_positive(dec!(251612)), a(dec!(-251612)));
        assert_eq!(Amount::from_cost_positive(dec!(-757)), a(dec!(757)));
        assert_eq!(Amount::from_cost_positive(dec!(0)), Amount::ZERO);
        assert_eq!(a(dec!(-5)).to_cost_positive(), dec!(5));
        assert_eq!(Amount::from_cost_positive(Decimal::MIN), a(Decimal::MAX));
        assert_eq!(
            cost_positive_avvikelse(dec!(251612), dec!(245397)),
            Ok(a(dec!(-6215)))
        );
        assert_eq!(
            cost_positive_avvikelse(dec!(3), dec!(-757)),
            Ok(a(dec!(-760)))
        );
    }

    #[test]
    fn tkr_rounding_half_away_from_zero() {
        assert_eq!(a(dec!(1500)).tkr_rounded(), dec!(2));
        assert_eq!(a(dec!(-1500)).tkr_rounded(), dec!(-2));
        assert_eq!(a(dec!(1499.99)).tkr_rounded(), dec!(1));
        assert_eq!(a(dec!(-2500)).tkr_rounded(), dec!(-3));
        assert_eq!(a(dec!(499)).tkr_rounded(), dec!(0));
        assert_eq!(a(dec!(-907875400)).tkr_rounded(), dec!(-907875));
        assert_eq!(a(dec!(1234.5)).tkr(), dec!(1.2345));
        assert_eq!(
            a(Decimal::MAX).tkr_rounded(),
            (Decimal::MAX / dec!(1000)).round()
        );
    }

    #[test]
    fn totals_before_rounding() {
        let rows = [a(dec!(400)), a(dec!(400)), a(dec!(400))];
        let printed_rows: Decimal = rows.iter().map(|r| r.tkr_rounded()).sum();
        let total = Amount::checked_sum(rows).map(Amount::tkr_rounded);
        assert_eq!(printed_rows, dec!(0));
        assert_eq!(total, Ok(dec!(1)));
    }

    #[test]
    fn from_tkr_and_sum() {
        assert_eq!(Amount::from_tkr(dec!(-1.5)), Ok(a(dec!(-1500))));
        assert_eq!(Amount::from_tkr(Decimal::MAX), Err(DomainError::Overflow));
        assert_eq!(
            Amount::checked_sum([a(Decimal::MAX), a(dec!(1))]),
            Err(DomainError::Overflow)
        );
        assert_eq!(Amount::checked_sum([]), Ok(Amount::ZERO));
    }

    #[test]
    fn ratio_to_percent() {
        assert_eq!(Ratio(dec!(0.957)).to_percent(), Some(Percent(dec!(95.7))));
        assert_eq!(Ratio(Decimal::MAX).to_percent(), None);
    }
}
