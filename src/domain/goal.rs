//! Resultatmål: the bedömning suggested from the goal's indicators.

use super::indicator::Bedomning;

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

#[cfg(test)]
mod tests {
    use super::*;
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
