//! Resultatmål: the bedömning suggested from the goal's indicators, and
//! which plan's goals a year's views show.

use super::indicator::Bedomning;
use super::structure::spelled_enum;

spelled_enum! {
    /// Whose goal it is.
    GoalKind {
        /// A goal of the kommun plan (resultatmål).
        Kommun => "kommun",
        /// A nämnd's own goal.
        Namnd => "namnd",
    }
}

/// Suggested bedömning of a goal from its indicators' bedömningar:
/// none assessed (no indicators, or all `ingen`) → `ingen`; all assessed ones
/// `gron` → `gron`; all assessed ones `rod` → `rod`; otherwise `gul`.
/// Indicators without bedömning (`ingen`) are ignored once at least one is
/// assessed: a missing statistic says nothing about the goal.
pub fn suggest_goal_bedomning<I: IntoIterator<Item = Bedomning>>(indicators: I) -> Bedomning {
    let (mut gron, mut rod, mut other) = (false, false, false);
    for b in indicators {
        match b {
            Bedomning::Gron => gron = true,
            Bedomning::Rod => rod = true,
            Bedomning::Gul => other = true,
            Bedomning::Ingen => {}
        }
    }
    match (gron, rod, other) {
        (false, false, false) => Bedomning::Ingen,
        (true, false, false) => Bedomning::Gron,
        (false, true, false) => Bedomning::Rod,
        _ => Bedomning::Gul,
    }
}

/// Whether a plan (goal area) running `from..=to` (open where absent) is in
/// force in `year`. A kommun keeps its earlier kommunplaner (2019–2022 beside
/// 2023–2026); a year's views (indicator appendix, goal matrix) show the
/// plan in force that year only.
pub fn plan_in_force(from: Option<i32>, to: Option<i32>, year: i32) -> bool {
    from.is_none_or(|f| f <= year) && to.is_none_or(|t| year <= t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_years_include_their_ends() {
        assert!(plan_in_force(Some(2023), Some(2026), 2023));
        assert!(plan_in_force(Some(2023), Some(2026), 2026));
        assert!(!plan_in_force(Some(2023), Some(2026), 2022));
        assert!(!plan_in_force(Some(2019), Some(2022), 2024));
        assert!(plan_in_force(None, Some(2022), 1990));
        assert!(plan_in_force(Some(2019), None, 2100));
        assert!(plan_in_force(None, None, 2024));
    }
    use Bedomning::*;

    #[test]
    fn rules() {
        assert_eq!(suggest_goal_bedomning([]), Ingen);
        assert_eq!(suggest_goal_bedomning([Ingen, Ingen]), Ingen);
        assert_eq!(suggest_goal_bedomning([Gron]), Gron);
        assert_eq!(suggest_goal_bedomning([Gron, Gron, Ingen]), Gron);
        assert_eq!(suggest_goal_bedomning([Rod, Rod]), Rod);
        assert_eq!(suggest_goal_bedomning([Ingen, Rod]), Rod);
        assert_eq!(suggest_goal_bedomning([Gron, Rod]), Gul);
        assert_eq!(suggest_goal_bedomning([Gul]), Gul);
        assert_eq!(suggest_goal_bedomning([Gron, Gul]), Gul);
        assert_eq!(suggest_goal_bedomning([Rod, Gul, Ingen]), Gul);
    }

    #[test]
    fn seed_000_goal_aktiviteter() {
        // "Ökade förutsättningar för aktiviteter": aktiviteter 67/70 gul,
        // utomhus 71/67 gron
        assert_eq!(suggest_goal_bedomning([Gul, Gron]), Gul);
        // "Ökad nöjdhet med verksamheterna inom funktionsstöd": four rod/gul
        assert_eq!(suggest_goal_bedomning([Rod, Rod, Gul, Rod]), Gul);
    }
}
