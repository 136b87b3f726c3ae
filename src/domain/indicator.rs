//! Indicators: bedömning against the riktvärde and trend between the latest
//! two available utfall.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::Ratio;
use super::structure::spelled_enum;

spelled_enum! {
    /// Whether a higher or a lower utfall is better.
    Polarity {
        /// Higher is better (andel nöjda …).
        HogreArBattre => "hogre_ar_battre",
        /// Lower is better (arbetslöshet, sjukfrånvaro, väntetid …).
        LagreArBattre => "lagre_ar_battre",
    }
}

spelled_enum! {
    /// Where an indicator value came from.
    ValueSource {
        /// Fetched from Kolada (`POST /imports/kolada/fetch` or the sync).
        Kolada => "kolada",
        /// Imported from a file (a Kolada file, a seed).
        Import => "import",
        /// Written by a person (`PUT /indicators/{id}/values`): a sync never
        /// overwrites it unless asked to.
        Manual => "manual",
    }
}

spelled_enum! {
    /// Assessment colour.
    Bedomning {
        /// Target reached (ratio ≥ 100 %).
        Gron => "gron",
        /// 95 % ≤ ratio < 100 %.
        Gul => "gul",
        /// Ratio < 95 %.
        Rod => "rod",
        /// Not assessed (no utfall or no riktvärde).
        Ingen => "ingen",
    }
}

impl Bedomning {
    /// Rank for comparisons: gron 2, gul 1, rod 0, ingen none.
    pub fn rank(self) -> Option<u8> {
        match self {
            Bedomning::Gron => Some(2),
            Bedomning::Gul => Some(1),
            Bedomning::Rod => Some(0),
            Bedomning::Ingen => None,
        }
    }
}

spelled_enum! {
    /// Development of the utfall compared with the previous available one.
    Trend {
        /// Better (↗).
        Forbattrad => "forbattrad",
        /// Change below the threshold (→).
        Oforandrad => "oforandrad",
        /// Worse (↘).
        Forsamrad => "forsamrad",
        /// Not comparable: a value is missing (—).
        EjJamforbar => "ej_jamforbar",
    }
}

impl Trend {
    /// The arrow printed in reports.
    pub fn arrow(self) -> char {
        match self {
            Trend::Forbattrad => '↗',
            Trend::Oforandrad => '→',
            Trend::Forsamrad => '↘',
            Trend::EjJamforbar => '—',
        }
    }

    /// The trend a printed arrow stands for.
    pub fn from_arrow(c: char) -> Option<Trend> {
        match c {
            '↗' => Some(Trend::Forbattrad),
            '→' => Some(Trend::Oforandrad),
            '↘' => Some(Trend::Forsamrad),
            '—' => Some(Trend::EjJamforbar),
            _ => None,
        }
    }
}

/// A value's status (Kolada's, or one a nämnd records) is at most this many
/// characters.
pub const STATUS_MAX_CHARS: usize = 40;

/// Which derived figure of an indicator's year a nämnd overrides. Stored
/// (and read) by `as_str`/`FromStr` like the `spelled_enum!` enums; its
/// serde spelling stays the variant name (`Trend`, `Bedomning`), as the
/// audit log records overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum OverrideKind {
    Trend,
    Bedomning,
}

impl OverrideKind {
    pub const ALL: &'static [OverrideKind] = &[OverrideKind::Trend, OverrideKind::Bedomning];

    pub fn as_str(self) -> &'static str {
        match self {
            OverrideKind::Trend => "trend",
            OverrideKind::Bedomning => "bedomning",
        }
    }
}

impl std::str::FromStr for OverrideKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "trend" => Ok(OverrideKind::Trend),
            "bedomning" => Ok(OverrideKind::Bedomning),
            _ => Err(format!("{s:?} is not one of trend, bedomning")),
        }
    }
}

impl std::fmt::Display for OverrideKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

spelled_enum! {
    /// Gender as in Kolada: totalt, kvinnor, män.
    Gender {
        /// Totalt.
        T => "T",
        /// Kvinnor.
        K => "K",
        /// Män.
        M => "M",
    }
}

/// An utfall of an indicator for a year. A missing utfall is simply absent
/// from the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Observation {
    /// The year the utfall is for.
    pub year: i32,
    /// The utfall.
    pub value: Decimal,
}

/// The relative change below which a trend is `oforandrad`, as a fraction in
/// 0..=1 (default 0.015 = 1.5 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct TrendThreshold(Decimal);

/// Invalid trend threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    /// Outside 0..=1 (0 %..=100 %).
    #[error("trend threshold must be a fraction in 0..=1 (0–100 %)")]
    OutOfRange,
}

impl TrendThreshold {
    /// 1.5 %.
    pub const DEFAULT: TrendThreshold = TrendThreshold(Decimal::from_parts(15, 0, 0, false, 3));

    /// From a fraction (0.015 = 1.5 %), which must lie in 0..=1.
    pub fn from_fraction(f: Decimal) -> Result<Self, ThresholdError> {
        if f < Decimal::ZERO || f > Decimal::ONE {
            return Err(ThresholdError::OutOfRange);
        }
        Ok(TrendThreshold(f))
    }

    /// From a percentage (1.5 = 1.5 %), which must lie in 0..=100.
    pub fn from_percent(p: Decimal) -> Result<Self, ThresholdError> {
        p.checked_div(Decimal::ONE_HUNDRED)
            .ok_or(ThresholdError::OutOfRange)
            .and_then(Self::from_fraction)
    }

    /// The threshold as a fraction.
    pub const fn fraction(self) -> Decimal {
        self.0
    }
}

impl Default for TrendThreshold {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<Decimal> for TrendThreshold {
    type Error = ThresholdError;
    fn try_from(d: Decimal) -> Result<Self, Self::Error> {
        Self::from_fraction(d)
    }
}

impl From<TrendThreshold> for Decimal {
    fn from(t: TrendThreshold) -> Decimal {
        t.0
    }
}

const P95: Decimal = Decimal::from_parts(95, 0, 0, false, 2);
const P05: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

/// `x × factor` for a factor in 0..=1, which cannot overflow.
fn scaled(x: Decimal, factor: Decimal) -> Decimal {
    x.checked_mul(factor).unwrap_or(x)
}

/// Bedömning of an utfall against a riktvärde (DOMAIN.md):
///
/// * `ingen` when either is missing;
/// * with the fulfilment ratio ([`fulfilment_ratio`]): `gron` ≥ 100 %,
///   `gul` 95 %..100 %, `rod` < 95 %;
/// * riktvärde exactly 0: `gron` on the right side or on it, `rod` otherwise;
/// * lower is better with a positive riktvärde and utfall ≤ 0: `gron`.
///
/// Utfall equal to the riktvärde reaches it (`gron`). The bounds are tested as
/// exact comparisons equivalent to the ratio (e.g. `utfall ≥ 0.95 ×
/// riktvärde` for higher is better with a positive riktvärde), so nothing is
/// divided, nothing overflows, and the result is monotone in the utfall.
pub fn bedomning(
    utfall: Option<Decimal>,
    riktvarde: Option<Decimal>,
    polarity: Polarity,
) -> Bedomning {
    match (utfall, riktvarde) {
        (Some(u), Some(rv)) => assess(u, rv, polarity),
        _ => Bedomning::Ingen,
    }
}

fn assess(u: Decimal, rv: Decimal, polarity: Polarity) -> Bedomning {
    let gul_if = |ok: bool| if ok { Bedomning::Gul } else { Bedomning::Rod };
    match polarity {
        Polarity::HogreArBattre => {
            // ratio ≥ 1 ⇔ u ≥ rv for every sign of rv (rv = 0: right side).
            if u >= rv {
                Bedomning::Gron
            } else if rv.is_zero() {
                Bedomning::Rod
            } else if rv.is_sign_positive() {
                // u / rv ≥ 0.95 ⇔ u ≥ 0.95 rv
                gul_if(u >= scaled(rv, P95))
            } else {
                // 1 + (u − rv)/|rv| ≥ 0.95 ⇔ u − rv ≥ −0.05 |rv|; here
                // u < rv < 0, so u − rv cannot overflow.
                gul_if(
                    u.checked_sub(rv)
                        .is_some_and(|d| d >= -scaled(rv.abs(), P05)),
                )
            }
        }
        Polarity::LagreArBattre => {
            // ratio ≥ 1 ⇔ u ≤ rv; covers rv > 0 with u ≤ 0, and rv = 0.
            if u <= rv {
                Bedomning::Gron
            } else if rv.is_zero() {
                Bedomning::Rod
            } else if rv.is_sign_positive() {
                // u > rv > 0: rv / u ≥ 0.95 ⇔ 0.95 u ≤ rv
                gul_if(scaled(u, P95) <= rv)
            } else {
                // 1 + (rv − u)/|rv| ≥ 0.95 ⇔ u − rv ≤ 0.05 |rv|; an
                // overflowing difference is far beyond that.
                gul_if(
                    u.checked_sub(rv)
                        .is_some_and(|d| d <= scaled(rv.abs(), P05)),
                )
            }
        }
    }
}

/// The fulfilment ratio (1 = 100 %) for presentation: `utfall / riktvärde`
/// (higher is better) or `riktvärde / utfall` (lower is better); for a
/// negative riktvärde `1 + (utfall − riktvärde)/|riktvärde|` (mirrored for
/// lower is better). `None` when it is undefined (riktvärde 0; lower is
/// better with utfall ≤ 0 and a positive riktvärde) or not representable.
/// [`bedomning`] never needs it.
pub fn fulfilment_ratio(utfall: Decimal, riktvarde: Decimal, polarity: Polarity) -> Option<Ratio> {
    if riktvarde.is_zero() {
        return None;
    }
    let r = if riktvarde.is_sign_positive() {
        match polarity {
            Polarity::HogreArBattre => utfall.checked_div(riktvarde)?,
            Polarity::LagreArBattre => {
                if utfall <= Decimal::ZERO {
                    return None;
                }
                riktvarde.checked_div(utfall)?
            }
        }
    } else {
        let diff = match polarity {
            Polarity::HogreArBattre => utfall.checked_sub(riktvarde)?,
            Polarity::LagreArBattre => riktvarde.checked_sub(utfall)?,
        };
        Decimal::ONE.checked_add(diff.checked_div(riktvarde.abs())?)?
    };
    Some(Ratio(r))
}

/// The latest utfall with `year ≤ up_to_year` (statistics lag: "riktvärdet
/// jämförs med ett så aktuellt utfall som möjligt"). On a repeated year the
/// first one in the slice wins.
pub fn latest_available(observations: &[Observation], up_to_year: i32) -> Option<&Observation> {
    latest_two_available(observations, up_to_year).0
}

/// The latest utfall up to `up_to_year` and the latest one of an earlier
/// year (the previous available), in one pass.
pub fn latest_two_available(
    observations: &[Observation],
    up_to_year: i32,
) -> (Option<&Observation>, Option<&Observation>) {
    let mut latest: Option<&Observation> = None;
    let mut previous: Option<&Observation> = None;
    for o in observations {
        if o.year > up_to_year {
            continue;
        }
        match latest {
            None => latest = Some(o),
            Some(l) if o.year > l.year => {
                previous = latest;
                latest = Some(o);
            }
            Some(l) if o.year < l.year && previous.is_none_or(|p| o.year > p.year) => {
                previous = Some(o);
            }
            _ => {}
        }
    }
    (latest, previous)
}

/// Bedömning for `year`: the latest utfall up to `year` against that year's
/// riktvärde.
pub fn bedomning_for_year(
    observations: &[Observation],
    riktvarde: Option<Decimal>,
    year: i32,
    polarity: Polarity,
) -> Bedomning {
    bedomning(
        latest_available(observations, year).map(|o| o.value),
        riktvarde,
        polarity,
    )
}

/// Trend from `gammal` to `ny`: relative change `(ny − gammal)/|gammal|`;
/// strictly below the threshold in absolute value → `oforandrad` (exactly at
/// the threshold is a change); otherwise `forbattrad`/`forsamrad` by polarity.
/// An unchanged value is `oforandrad`; with gammal = 0 any other value is a
/// change in the direction of its sign. Evaluated as
/// `|ny − gammal| < threshold × |gammal|`, so nothing is divided.
pub fn trend_between(
    gammal: Decimal,
    ny: Decimal,
    polarity: Polarity,
    threshold: TrendThreshold,
) -> Trend {
    if ny == gammal {
        return Trend::Oforandrad;
    }
    let band = scaled(gammal.abs(), threshold.0);
    // An overflowing difference is certainly outside the band.
    if ny.checked_sub(gammal).is_some_and(|d| d.abs() < band) {
        return Trend::Oforandrad;
    }
    match (ny > gammal, polarity) {
        (true, Polarity::HogreArBattre) | (false, Polarity::LagreArBattre) => Trend::Forbattrad,
        _ => Trend::Forsamrad,
    }
}

/// Trend for `year`: the latest available utfall up to `year` against the
/// previous available one; `ej_jamforbar` if either is missing.
pub fn trend_for_year(
    observations: &[Observation],
    year: i32,
    polarity: Polarity,
    threshold: TrendThreshold,
) -> Trend {
    match latest_two_available(observations, year) {
        (Some(ny), Some(gammal)) => trend_between(gammal.value, ny.value, polarity, threshold),
        _ => Trend::EjJamforbar,
    }
}

/// Utfall series of an indicator divided by gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenderSeries<'a> {
    /// Totalt.
    pub total: &'a [Observation],
    /// Kvinnor.
    pub kvinnor: &'a [Observation],
    /// Män.
    pub man: &'a [Observation],
}

/// Gender-aware bedömning: as [`bedomning_for_year`] on the total, except
/// that `gron` also needs each gender to reach the riktvärde or to show a
/// `forbattrad` trend; when the total reaches it but a gender does neither,
/// the result is `gul`. A gender without any utfall up to `year` is not held
/// against the total (the rule cannot be applied to it).
pub fn bedomning_gender_aware(
    series: &GenderSeries<'_>,
    riktvarde: Option<Decimal>,
    year: i32,
    polarity: Polarity,
    threshold: TrendThreshold,
) -> Bedomning {
    let total = bedomning_for_year(series.total, riktvarde, year, polarity);
    if total != Bedomning::Gron {
        return total;
    }
    for s in [series.kvinnor, series.man] {
        let (latest, previous) = latest_two_available(s, year);
        let Some(latest) = latest else { continue };
        let reaches = bedomning(Some(latest.value), riktvarde, polarity) == Bedomning::Gron;
        let improved = previous.is_some_and(|p| {
            trend_between(p.value, latest.value, polarity, threshold) == Trend::Forbattrad
        });
        if !reaches && !improved {
            return Bedomning::Gul;
        }
    }
    Bedomning::Gron
}

/// Derived fields of an indicator for one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorYear {
    /// The utfall used (latest available up to the year).
    pub utfall: Option<Observation>,
    /// The previous available utfall, compared for the trend.
    pub foregaende: Option<Observation>,
    /// Computed bedömning.
    pub bedomning: Bedomning,
    /// Computed trend.
    pub trend: Trend,
}

/// Bedömning and trend of an (undivided) indicator for `year`, in one pass
/// over its utfall.
pub fn derive_indicator_year(
    observations: &[Observation],
    riktvarde: Option<Decimal>,
    year: i32,
    polarity: Polarity,
    threshold: TrendThreshold,
) -> IndicatorYear {
    let (latest, previous) = latest_two_available(observations, year);
    let trend = match (latest, previous) {
        (Some(ny), Some(gammal)) => trend_between(gammal.value, ny.value, polarity, threshold),
        _ => Trend::EjJamforbar,
    };
    IndicatorYear {
        utfall: latest.copied(),
        foregaende: previous.copied(),
        bedomning: bedomning(latest.map(|o| o.value), riktvarde, polarity),
        trend,
    }
}

/// Bedömning of a text target ("öka", "Öka jmf utfall 2023"): there is no
/// number to compare with, so it follows the (computed) trend: forbattrad
/// reaches it, oforandrad is gul, forsamrad rod, no trend no bedömning.
/// DOMAIN.md leaves this to the nämnd ("follows the trend, or is set by
/// hand"); an override sets it by hand.
pub fn bedomning_of_text_target(trend: Trend) -> Bedomning {
    match trend {
        Trend::Forbattrad => Bedomning::Gron,
        Trend::Oforandrad => Bedomning::Gul,
        Trend::Forsamrad => Bedomning::Rod,
        Trend::EjJamforbar => Bedomning::Ingen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Bedomning::*;
    use Polarity::*;
    use Trend::*;
    use rust_decimal_macros::dec;

    fn b(u: Decimal, rv: Decimal, p: Polarity) -> Bedomning {
        bedomning(Some(u), Some(rv), p)
    }
    fn obs(v: &[(i32, Decimal)]) -> Vec<Observation> {
        v.iter()
            .map(|&(year, value)| Observation { year, value })
            .collect()
    }
    const T: TrendThreshold = TrendThreshold::DEFAULT;

    #[test]
    fn bounds_higher_is_better() {
        assert_eq!(b(dec!(100), dec!(100), HogreArBattre), Gron);
        assert_eq!(b(dec!(101), dec!(100), HogreArBattre), Gron);
        assert_eq!(b(dec!(99.99), dec!(100), HogreArBattre), Gul);
        assert_eq!(b(dec!(95), dec!(100), HogreArBattre), Gul);
        assert_eq!(b(dec!(94.99), dec!(100), HogreArBattre), Rod);
        assert_eq!(b(dec!(0), dec!(100), HogreArBattre), Rod);
        assert_eq!(b(dec!(-5), dec!(100), HogreArBattre), Rod);
        // seed 000: 67 % against 70 % is 95.7 %
        assert_eq!(b(dec!(67), dec!(70), HogreArBattre), Gul);
    }

    #[test]
    fn bounds_lower_is_better() {
        assert_eq!(b(dec!(8), dec!(8), LagreArBattre), Gron);
        assert_eq!(b(dec!(7), dec!(8), LagreArBattre), Gron);
        // 95 / 100 ratio exactly
        assert_eq!(b(dec!(100), dec!(95), LagreArBattre), Gul);
        assert_eq!(b(dec!(100.01), dec!(95), LagreArBattre), Rod);
        assert_eq!(b(dec!(1.57), dec!(1.5), LagreArBattre), Gul);
        assert_eq!(b(dec!(9.3), dec!(8.0), LagreArBattre), Rod);
        // utfall ≤ 0 with positive riktvärde
        assert_eq!(b(dec!(0), dec!(8), LagreArBattre), Gron);
        assert_eq!(b(dec!(-3), dec!(8), LagreArBattre), Gron);
    }

    #[test]
    fn missing_values() {
        assert_eq!(bedomning(None, Some(dec!(1)), HogreArBattre), Ingen);
        assert_eq!(bedomning(Some(dec!(1)), None, LagreArBattre), Ingen);
        assert_eq!(bedomning(None, None, LagreArBattre), Ingen);
    }

    #[test]
    fn zero_riktvarde() {
        assert_eq!(b(dec!(0), dec!(0), HogreArBattre), Gron);
        assert_eq!(b(dec!(0.1), dec!(0), HogreArBattre), Gron);
        assert_eq!(b(dec!(-0.1), dec!(0), HogreArBattre), Rod);
        assert_eq!(b(dec!(0), dec!(0), LagreArBattre), Gron);
        assert_eq!(b(dec!(-1), dec!(0), LagreArBattre), Gron);
        assert_eq!(b(dec!(0.0001), dec!(0), LagreArBattre), Rod);
        assert_eq!(fulfilment_ratio(dec!(1), dec!(0), HogreArBattre), None);
    }

    #[test]
    fn negative_riktvarde() {
        // riktvärde −10 (e.g. a result in mnkr), higher is better
        assert_eq!(b(dec!(-10), dec!(-10), HogreArBattre), Gron);
        assert_eq!(b(dec!(-5), dec!(-10), HogreArBattre), Gron);
        assert_eq!(b(dec!(-10.5), dec!(-10), HogreArBattre), Gul); // 95 %
        assert_eq!(b(dec!(-10.51), dec!(-10), HogreArBattre), Rod);
        assert_eq!(
            fulfilment_ratio(dec!(-10.5), dec!(-10), HogreArBattre),
            Some(Ratio(dec!(0.95)))
        );
        // lower is better, mirrored
        assert_eq!(b(dec!(-10), dec!(-10), LagreArBattre), Gron);
        assert_eq!(b(dec!(-12), dec!(-10), LagreArBattre), Gron);
        assert_eq!(b(dec!(-9.5), dec!(-10), LagreArBattre), Gul);
        assert_eq!(b(dec!(-9.49), dec!(-10), LagreArBattre), Rod);
        assert_eq!(b(dec!(5), dec!(-10), LagreArBattre), Rod);
        assert_eq!(
            fulfilment_ratio(dec!(-9.5), dec!(-10), LagreArBattre),
            Some(Ratio(dec!(0.95)))
        );
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let vals = [
            Decimal::MAX,
            Decimal::MIN,
            Decimal::ZERO,
            dec!(0.0000000000000000000000000001),
            dec!(-0.0000000000000000000000000001),
        ];
        for &u in &vals {
            for &rv in &vals {
                for p in [HogreArBattre, LagreArBattre] {
                    let _ = b(u, rv, p);
                    let _ = fulfilment_ratio(u, rv, p);
                    let _ = trend_between(u, rv, p, T);
                }
            }
        }
        assert_eq!(b(Decimal::MAX, Decimal::MIN, LagreArBattre), Rod);
        assert_eq!(b(Decimal::MIN, Decimal::MAX, HogreArBattre), Rod);
        assert_eq!(b(Decimal::MAX, Decimal::MIN, HogreArBattre), Gron);
    }

    #[test]
    fn fulfilment_ratio_values() {
        assert_eq!(
            fulfilment_ratio(dec!(67), dec!(70), HogreArBattre).map(|r| r.0.round_dp(4)),
            Some(dec!(0.9571))
        );
        assert_eq!(
            fulfilment_ratio(dec!(5959), dec!(8000), LagreArBattre).map(|r| r.0.round_dp(4)),
            Some(dec!(1.3425))
        );
        assert_eq!(fulfilment_ratio(dec!(0), dec!(8), LagreArBattre), None);
    }

    #[test]
    fn trend_threshold_is_strict() {
        // exactly 1.5 % is a change
        assert_eq!(
            trend_between(dec!(100), dec!(101.5), HogreArBattre, T),
            Forbattrad
        );
        assert_eq!(
            trend_between(dec!(100), dec!(101.49), HogreArBattre, T),
            Oforandrad
        );
        assert_eq!(
            trend_between(dec!(100), dec!(98.5), HogreArBattre, T),
            Forsamrad
        );
        assert_eq!(
            trend_between(dec!(100), dec!(98.51), HogreArBattre, T),
            Oforandrad
        );
        assert_eq!(
            trend_between(dec!(100), dec!(101.5), LagreArBattre, T),
            Forsamrad
        );
        assert_eq!(
            trend_between(dec!(100), dec!(98.5), LagreArBattre, T),
            Forbattrad
        );
    }

    #[test]
    fn trend_zero_and_negative() {
        assert_eq!(
            trend_between(dec!(0), dec!(0), HogreArBattre, T),
            Oforandrad
        );
        assert_eq!(
            trend_between(dec!(0), dec!(0.001), HogreArBattre, T),
            Forbattrad
        );
        assert_eq!(
            trend_between(dec!(0), dec!(-0.001), HogreArBattre, T),
            Forsamrad
        );
        assert_eq!(trend_between(dec!(0), dec!(5), LagreArBattre, T), Forsamrad);
        // relative to |gammal|: −10 → −9 is +10 %
        assert_eq!(
            trend_between(dec!(-10), dec!(-9), HogreArBattre, T),
            Forbattrad
        );
        assert_eq!(
            trend_between(dec!(-10), dec!(-10.1), HogreArBattre, T),
            Oforandrad
        );
        assert_eq!(
            trend_between(dec!(-10), dec!(5), LagreArBattre, T),
            Forsamrad
        );
        assert_eq!(
            trend_between(Decimal::MIN, Decimal::MAX, HogreArBattre, T),
            Forbattrad
        );
        assert_eq!(
            trend_between(Decimal::MAX, Decimal::MIN, HogreArBattre, T),
            Forsamrad
        );
    }

    #[test]
    fn per_indicator_threshold() {
        let five = TrendThreshold::from_percent(dec!(5)).unwrap();
        assert_eq!(five.fraction(), dec!(0.05));
        assert_eq!(
            trend_between(dec!(100), dec!(104), HogreArBattre, five),
            Oforandrad
        );
        let zero = TrendThreshold::from_fraction(dec!(0)).unwrap();
        assert_eq!(
            trend_between(dec!(100), dec!(100.0001), HogreArBattre, zero),
            Forbattrad
        );
        assert_eq!(
            trend_between(dec!(100), dec!(100), HogreArBattre, zero),
            Oforandrad
        );
        assert_eq!(
            TrendThreshold::from_fraction(dec!(-0.01)),
            Err(ThresholdError::OutOfRange)
        );
        assert_eq!(
            TrendThreshold::from_fraction(dec!(1.01)),
            Err(ThresholdError::OutOfRange)
        );
        assert_eq!(
            TrendThreshold::from_percent(dec!(101)),
            Err(ThresholdError::OutOfRange)
        );
        assert!(TrendThreshold::from_fraction(dec!(-0)).is_ok());
        assert_eq!(TrendThreshold::default().fraction(), dec!(0.015));
    }

    #[test]
    fn latest_available_rule() {
        let o = obs(&[(2022, dec!(36)), (2023, dec!(30))]);
        assert_eq!(latest_available(&o, 2024).map(|o| o.year), Some(2023));
        assert_eq!(latest_available(&o, 2022).map(|o| o.year), Some(2022));
        assert_eq!(latest_available(&o, 2021), None);
        assert_eq!(
            bedomning_for_year(&o, Some(dec!(40)), 2024, HogreArBattre),
            Rod
        );
        assert_eq!(trend_for_year(&o, 2024, HogreArBattre, T), Forsamrad);
        assert_eq!(trend_for_year(&o, 2022, HogreArBattre, T), EjJamforbar);
        // unsorted input, later years ignored
        let o = obs(&[
            (2025, dec!(1)),
            (2021, dec!(10)),
            (2024, dec!(20)),
            (2022, dec!(15)),
        ]);
        let (l, p) = latest_two_available(&o, 2024);
        assert_eq!(
            (l.map(|o| o.year), p.map(|o| o.year)),
            (Some(2024), Some(2022))
        );
        assert_eq!(trend_for_year(&o, 2024, HogreArBattre, T), Forbattrad);
        // a repeated year: the first wins and is not its own predecessor
        let o = obs(&[(2024, dec!(1)), (2024, dec!(2))]);
        let (l, p) = latest_two_available(&o, 2024);
        assert_eq!((l.map(|o| o.value), p), (Some(dec!(1)), None));
        assert_eq!(trend_for_year(&[], 2024, HogreArBattre, T), EjJamforbar);
        assert_eq!(
            bedomning_for_year(&[], Some(dec!(1)), 2024, HogreArBattre),
            Ingen
        );
    }

    #[test]
    fn gender_aware() {
        let rv = Some(dec!(80));
        let total = obs(&[(2023, dec!(80)), (2024, dec!(85))]);
        let k_ok = obs(&[(2024, dec!(90))]);
        let m_improving = obs(&[(2023, dec!(70)), (2024, dec!(75))]);
        let m_flat = obs(&[(2023, dec!(75)), (2024, dec!(75))]);
        let s = |k, m| GenderSeries {
            total: &total,
            kvinnor: k,
            man: m,
        };
        assert_eq!(
            bedomning_gender_aware(&s(&k_ok, &k_ok), rv, 2024, HogreArBattre, T),
            Gron
        );
        assert_eq!(
            bedomning_gender_aware(&s(&k_ok, &m_improving), rv, 2024, HogreArBattre, T),
            Gron
        );
        assert_eq!(
            bedomning_gender_aware(&s(&k_ok, &m_flat), rv, 2024, HogreArBattre, T),
            Gul
        );
        assert_eq!(
            bedomning_gender_aware(&s(&m_flat, &k_ok), rv, 2024, HogreArBattre, T),
            Gul
        );
        // a gender without data is not held against the total
        assert_eq!(
            bedomning_gender_aware(&s(&[], &[]), rv, 2024, HogreArBattre, T),
            Gron
        );
        // a single value that misses the target: no trend, so gul
        let m_single = obs(&[(2024, dec!(70))]);
        assert_eq!(
            bedomning_gender_aware(&s(&k_ok, &m_single), rv, 2024, HogreArBattre, T),
            Gul
        );
        // total not reached: unchanged
        let low = obs(&[(2024, dec!(70))]);
        let s2 = GenderSeries {
            total: &low,
            kvinnor: &k_ok,
            man: &k_ok,
        };
        assert_eq!(bedomning_gender_aware(&s2, rv, 2024, HogreArBattre, T), Rod);
        let s3 = GenderSeries {
            total: &[],
            kvinnor: &k_ok,
            man: &k_ok,
        };
        assert_eq!(
            bedomning_gender_aware(&s3, rv, 2024, HogreArBattre, T),
            Ingen
        );
        // lower is better
        let total = obs(&[(2024, dec!(5))]);
        let k = obs(&[(2023, dec!(9)), (2024, dec!(7))]);
        let m = obs(&[(2024, dec!(4))]);
        let s4 = GenderSeries {
            total: &total,
            kvinnor: &k,
            man: &m,
        };
        assert_eq!(
            bedomning_gender_aware(&s4, Some(dec!(6)), 2024, LagreArBattre, T),
            Gron
        );
        let k_worse = obs(&[(2023, dec!(6.5)), (2024, dec!(7))]);
        let s5 = GenderSeries {
            total: &total,
            kvinnor: &k_worse,
            man: &m,
        };
        assert_eq!(
            bedomning_gender_aware(&s5, Some(dec!(6)), 2024, LagreArBattre, T),
            Gul
        );
    }

    #[test]
    fn derive_in_one_pass() {
        let o = obs(&[(2022, dec!(9.0)), (2023, dec!(9.1)), (2024, dec!(9.3))]);
        let d = derive_indicator_year(&o, Some(dec!(8.0)), 2024, LagreArBattre, T);
        assert_eq!(d.bedomning, Rod);
        assert_eq!(d.trend, Forsamrad);
        assert_eq!(d.utfall.map(|o| o.year), Some(2024));
        assert_eq!(d.foregaende.map(|o| o.year), Some(2023));
        assert_eq!(d.trend, trend_for_year(&o, 2024, LagreArBattre, T));
    }

    #[test]
    fn arrows_and_ranks() {
        for t in [Forbattrad, Oforandrad, Forsamrad, EjJamforbar] {
            assert_eq!(Trend::from_arrow(t.arrow()), Some(t));
        }
        assert_eq!(Trend::from_arrow('x'), None);
        assert_eq!(Gron.rank(), Some(2));
        assert_eq!(Ingen.rank(), None);
    }

    #[test]
    fn text_target_follows_the_trend() {
        assert_eq!(bedomning_of_text_target(Forbattrad), Gron);
        assert_eq!(bedomning_of_text_target(Oforandrad), Gul);
        assert_eq!(bedomning_of_text_target(Forsamrad), Rod);
        assert_eq!(bedomning_of_text_target(EjJamforbar), Ingen);
    }
}
