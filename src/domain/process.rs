//! The follow-up process: the kommun's deadlines per period and report type
//! (underlag, nämndbeslut, inlämning, KS, KF) and where a nämnd stands
//! against one.

use chrono::NaiveDate;

use super::structure::spelled_enum;

spelled_enum! {
    /// A step of the process with a date.
    DeadlineKind {
        /// The nämnd's underlag reaches the förvaltning: met when the
        /// report is submitted (for_beslut).
        Underlag => "underlag",
        /// The nämnd decides: met by the report's beslut_datum.
        Namndbeslut => "namndbeslut",
        /// The decided report reaches the kommunledningsförvaltning: met
        /// when the report is approved in the service.
        Inlamning => "inlamning",
        /// Kommunstyrelsen: a date of the kommun, not met by a nämnd.
        Ks => "ks",
        /// Kommunfullmäktige: a date of the kommun, not met by a nämnd.
        Kf => "kf",
    }
}

impl DeadlineKind {
    /// Whether a nämnd meets it (KS and KF are the kommun's own dates).
    pub fn is_namnd_step(self) -> bool {
        matches!(
            self,
            DeadlineKind::Underlag | DeadlineKind::Namndbeslut | DeadlineKind::Inlamning
        )
    }
}

spelled_enum! {
    /// A nämnd against a deadline.
    DeadlineState {
        /// Met on or before the date.
        OnTime => "on_time",
        /// Met after the date.
        Late => "late",
        /// Not met, and the date has passed.
        Missing => "missing",
        /// Not met, and the date is still ahead (or today).
        Pending => "pending",
    }
}

/// Where a step met on `met` (if at all) stands against `due`, as of
/// `today`, and by how many days it is or was late.
pub fn deadline_state(
    due: NaiveDate,
    met: Option<NaiveDate>,
    today: NaiveDate,
) -> (DeadlineState, Option<i64>) {
    match met {
        Some(met) if met <= due => (DeadlineState::OnTime, None),
        Some(met) => (DeadlineState::Late, Some((met - due).num_days())),
        None if today > due => (DeadlineState::Missing, Some((today - due).num_days())),
        None => (DeadlineState::Pending, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_step_is_on_time_late_missing_or_pending() {
        let due = d("2025-02-15");
        let today = d("2025-03-01");
        assert_eq!(
            deadline_state(due, Some(d("2025-02-15")), today),
            (DeadlineState::OnTime, None)
        );
        assert_eq!(
            deadline_state(due, Some(d("2025-02-20")), today),
            (DeadlineState::Late, Some(5))
        );
        assert_eq!(
            deadline_state(due, None, today),
            (DeadlineState::Missing, Some(14))
        );
        assert_eq!(
            deadline_state(due, None, d("2025-02-15")),
            (DeadlineState::Pending, None)
        );
    }
}

/// "A report whose helårsprognos deviates below −X % (or −N kr) of its
/// full-year budget requires an åtgärdsplan within D days of approval."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationRule {
    /// X: the deviation as a share of the budget's size, in percent.
    pub min_percent: Option<rust_decimal::Decimal>,
    /// N: the deviation in kronor.
    pub min_kr: Option<rust_decimal::Decimal>,
    pub within_days: u32,
}

/// The deviation that makes `rule` apply: `prognos_avvikelse`
/// (helårsprognos − helårsbudget, negative when the prognos is worse) as
/// kronor and as percent of the budget's size, when it is negative and at
/// least −N kr or −X % (either suffices). Absent figures never oblige.
pub fn obliges(
    rule: &ObligationRule,
    prognos_avvikelse: Option<rust_decimal::Decimal>,
    helarsbudget: Option<rust_decimal::Decimal>,
) -> Option<(rust_decimal::Decimal, Option<rust_decimal::Decimal>)> {
    use rust_decimal::Decimal;
    let deviation = prognos_avvikelse.filter(|d| d.is_sign_negative() && !d.is_zero())?;
    let percent = helarsbudget.filter(|b| !b.is_zero()).and_then(|b| {
        deviation
            .checked_mul(Decimal::ONE_HUNDRED)?
            .checked_div(b.abs())
    });
    let by_kr = rule.min_kr.is_some_and(|n| deviation <= -n.abs());
    let by_percent = match (rule.min_percent, percent) {
        (Some(x), Some(p)) => p <= -x.abs(),
        _ => false,
    };
    (by_kr || by_percent).then_some((deviation, percent))
}

#[cfg(test)]
mod obligation_tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn a_deviation_below_either_threshold_obliges() {
        let rule = ObligationRule {
            min_percent: Some(dec!(5)),
            min_kr: Some(dec!(500000)),
            within_days: 30,
        };
        // −10 % of a −1 000 000 budget (costs are negative).
        assert_eq!(
            obliges(&rule, Some(dec!(-100000)), Some(dec!(-1000000))),
            Some((dec!(-100000), Some(dec!(-10))))
        );
        // −1 %, but −600 000 kr.
        assert!(obliges(&rule, Some(dec!(-600000)), Some(dec!(-60000000))).is_some());
        // −1 % and −10 000 kr: neither.
        assert_eq!(
            obliges(&rule, Some(dec!(-10000)), Some(dec!(-1000000))),
            None
        );
        // A better prognos, or none, never obliges.
        assert_eq!(
            obliges(&rule, Some(dec!(100000)), Some(dec!(-1000000))),
            None
        );
        assert_eq!(obliges(&rule, None, Some(dec!(-1000000))), None);
    }
}
