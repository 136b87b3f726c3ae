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
