//! The seeds in `shared/seeds/` as test tables.
//!
//! * Seed 000's indicator appendix (all 41 rows): trend arrow and bedömning.
//! * Driftredovisning of seeds 000, 001, 003; investeringsredovisning of 000
//!   and 001 ("Kvar av årets budget"); seed 002's cost-positive tables after
//!   conversion, its intäkt/kostnad split and its investments.
//!
//! Money figures are transcribed in tkr as printed. Printed rows are rounded
//! to whole tkr, so a printed avvikelse or Summa may be 1 tkr off the value
//! computed from printed rows; the tests allow exactly that and no more.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;

// ---------------------------------------------------------------------------
// Seed 000: indicator appendix (000_8a9f5a46abb72d8b.txt, lines 1164–1210)
// ---------------------------------------------------------------------------

/// The printed colour glyphs did not survive extraction consistently: on
/// the page with lines 1176–1185 ◐ is gul and ◑ is rod, on the page with
/// lines 1188–1198 it is the other way round (every row on each page fits
/// one mapping, checked below). The other two pages lost their glyphs.
#[derive(Clone, Copy, Debug)]
enum Glyph {
    None,
    /// Page with lines 1176–1185: ● gron, ◐ gul, ◑ rod, ○ ingen.
    P2(char),
    /// Page with lines 1188–1198: ● gron, ◐ rod, ◑ gul.
    P3(char),
}

impl Glyph {
    fn decode(self) -> Option<Bedomning> {
        use Bedomning::*;
        match self {
            Glyph::None => None,
            Glyph::P2('●') | Glyph::P3('●') => Some(Gron),
            Glyph::P2('○') | Glyph::P3('○') => Some(Ingen),
            Glyph::P2('◐') | Glyph::P3('◑') => Some(Gul),
            Glyph::P2('◑') | Glyph::P3('◐') => Some(Rod),
            _ => None,
        }
    }
}

struct IndicatorRow {
    name: &'static str,
    /// Utfall 2022, 2023, 2024; `None` for "-" or blank.
    utfall: [Option<Decimal>; 3],
    polarity: Polarity,
    riktvarde: Decimal,
    /// Printed trend arrow.
    arrow: char,
    /// Printed bedömning glyph, where it survived.
    glyph: Glyph,
    /// Bedömning computed by the rules (asserted).
    bedomning: Bedomning,
}

const H: Polarity = Polarity::HogreArBattre;
const L: Polarity = Polarity::LagreArBattre;
const N: Option<Decimal> = None;

macro_rules! s {
    ($v:literal) => {
        Some(dec!($v))
    };
}

const BRA_BEMOTANDE: &str =
    "Medborgarundersökningen - Bra bemötande vid kontakt med tjänsteperson i kommunen, andel (%)";
const BOENDESTOD: &str =
    "Brukarbedömning boendestöd SoL - Brukaren får den hjälp hen vill ha, andel (%)";

#[rustfmt::skip]
fn indicator_rows() -> Vec<IndicatorRow> {
    use Bedomning::*;
    use Glyph::{None as G0, P2, P3};
    let r = |name, utfall, polarity, riktvarde, arrow, glyph, bedomning| IndicatorRow {
        name, utfall, polarity, riktvarde, arrow, glyph, bedomning,
    };
    vec![
        // Tillväxt, bostäder & fler jobb
        r("Arbetslöshet 16-64 år (%)", [s!(9.0), s!(9.1), s!(9.3)], L, dec!(8.0), '↘', G0, Rod),
        r("Resultat vid avslut i kommunens arbetsmarknadsverksamhet, deltagare som börjat arbeta eller studera", [s!(36), s!(30), N], H, dec!(40), '↘', G0, Rod),
        r("Vuxna biståndsmottagare med långvarigt ekonomiskt bistånd, andel (%) av befolkningen", [s!(1.69), s!(1.57), N], L, dec!(1.5), '↗', G0, Gul),
        // Ökad trygghet & säkerhet
        r("Invånare som uppger att de har en tillräcklig hemberedskap, andel", [N, s!(35.7), N], H, dec!(20), '—', G0, Gron),
        r("Medarbetare som uppger att de har en tillräcklig hemberedskap, andel", [N, N, N], H, dec!(20), '—', G0, Ingen),
        // Trygg omsorg & vård
        r("Brukarbedömning hemtjänst äldreomsorg - helhetssyn, andel (%)", [s!(88), s!(87), s!(83)], H, dec!(90), '↘', G0, Rod),
        r("Brukarbedömning särskilt boende äldreomsorg - helhetssyn, andel (%)", [s!(78), s!(83), s!(78)], H, dec!(82), '↘', G0, Gul),
        r("Brukarbedömning gruppbostad LSS - Brukaren får den hjälp hen vill ha, andel (%)", [N, s!(80), N], H, dec!(88), '—', G0, Rod),
        r("Brukarbedömning servicebostad LSS - Brukaren får den hjälp hen vill ha, andel (%)", [N, s!(79), N], H, dec!(92), '—', G0, Rod),
        r("Brukarbedömning daglig verksamhet LSS - Brukaren får den hjälp hen vill ha, andel (%)", [N, s!(85), N], H, dec!(88), '—', G0, Gul),
        r(BOENDESTOD, [N, s!(72), N], H, dec!(91), '—', P2('○'), Rod),
        r("Brukare som är ganska/mycket nöjda med aktiviteterna på sitt särskilda boende, andel (%)", [s!(67), s!(62), s!(67)], H, dec!(70), '↗', P2('◐'), Gul),
        r("Brukare i särskilt boende som upplever att möjligheterna att komma utomhus är ganska/mycket bra, andel (%)", [s!(64), s!(69), s!(71)], H, dec!(67), '↗', P2('●'), Gron),
        r("Personal inom vård och omsorg som följer basala hygienrutiner och klädregler, andel (%)", [s!(73), s!(69), s!(58)], H, dec!(75), '↘', P2('◑'), Rod),
        r("Personer i särskilt boende med risk för fallskada m.m. där minst en åtgärd utförts, andel (%)", [s!(71), s!(67), s!(77)], H, dec!(68), '↗', P2('●'), Gron),
        r("Personer i ordinärt boende med hemsjukvård med risk för fallskada m.m. där minst en åtgärd utförts, andel (%)", [N, N, N], H, dec!(50), '—', P2('○'), Ingen),
        r("Informationstillfällen av socialsekreterare i verksamheter med anmälningsskyldighet, antal enheter", [s!(5), s!(19), s!(20)], H, dec!(25), '↗', P2('◑'), Rod),
        r("Föräldrastödsutbildning, antal utbildade föräldrar", [s!(86), s!(42), s!(114)], H, dec!(150), '↗', P2('◑'), Rod),
        r("Besök på familjecentralens öppna förskola", [s!(6568), s!(7454), s!(8988)], H, dec!(8000), '↗', P2('●'), Gron),
        r("HVB-placerade barn och unga (0–20 år), antal vårddygn", [N, s!(10073), s!(5959)], L, dec!(8000), '↗', P2('●'), Gron),
        // Attraktiva & hälsofrämjande livsmiljöer
        r("Könsfördelning besök på Perrongens fritidsverksamhet, andel flickor/kvinnor (%)", [s!(30), s!(32), s!(35)], H, dec!(35), '↗', P3('●'), Gron),
        r("Könsfördelning besök på Lyckliga Gatornas fritids- och lovverksamhet, andel flickor (%)", [s!(47), s!(46), s!(44)], H, dec!(50), '↘', P3('◐'), Rod),
        r("Könsfördelning deltagartillfällen 7-20 år idrottsföreningar med LOK-stöd, andel flickor/kvinnor (%)", [s!(38.3), s!(38.4), N], H, dec!(39.5), '→', P3('◑'), Gul),
        r("Barn och unga på Norr som är aktiva i en idrottsförening, andel (%)", [s!(20), s!(21), N], H, dec!(23), '↗', P3('◐'), Rod),
        r("Brukare som svarar att maten smakar ganska/mycket bra på sitt särskilda boende, andel (%)", [s!(63), s!(71), s!(72)], H, dec!(74), '→', P3('◑'), Gul),
        r("Brukare som svarar att måltiderna oftast/alltid är en trevlig stund på dagen, andel (%)", [s!(63), s!(65), s!(69)], H, dec!(69), '↗', P3('●'), Gron),
        r("Personer med biståndsbedömd matdistribution som anger att maten smakar ganska/mycket bra, andel (%)", [N, s!(82), s!(83)], H, dec!(85), '→', P3('◑'), Gul),
        r("Riskbedömningar med bedömd risk för undernäring som har en utförd förebyggande åtgärd, andel (%)", [s!(67), s!(71), s!(81)], H, dec!(72), '↗', P3('●'), Gron),
        // Klimatsmart & hållbar kommun
        r("Fossiloberoende fordon i kommunorganisationen, andel (%)", [s!(81.8), s!(87.3), N], H, dec!(90), '↗', P3('◑'), Gul),
        r("Kommunens förbrukning av fossilt bränsle, antal liter diesel och bensin", [s!(95071), s!(96600), s!(75200)], L, dec!(86000), '↗', P3('●'), Gron),
        r("Minskad energiintensitet (el och värme) i lokaler som förvaltas av KFAB jämfört med basår 2007 (%)", [s!(26.5), s!(33.7), s!(36.3)], H, dec!(27.5), '↗', P3('●'), Gron),
        r("Energianvändning per gatubelysning, kWh/ljuspunkt", [s!(242.6), s!(241.5), N], L, dec!(238), '→', G0, Gul),
        r("Insamlat kommunalt avfall totalt, kg/invånare (justerat)", [s!(435), s!(423), N], L, dec!(425), '↗', G0, Gron),
        r("Kommunalt avfall som samlats in för materialåtervinning, inkl. biologisk behandling, andel (%)", [s!(46), s!(47), N], H, dec!(48), '↗', G0, Gul),
        r("Återbruk genom Fritidsbanken, antal utlån", [s!(9945), s!(15051), s!(33579)], H, dec!(10750), '↗', G0, Gron),
        r("Återbruk genom Bytestorget, beräknad besparing (mnkr)", [s!(4), s!(5.6), s!(4.0)], H, dec!(6), '↘', G0, Rod),
        // Hållbart arbetsliv & effektiv organisation
        r("Hållbart medarbetarengagemang, HME totalt", [s!(81), s!(81), s!(81)], H, dec!(82), '→', G0, Gul),
        r("Sjukfrånvaro totalt (%)", [s!(8.5), s!(8.5), s!(8.2)], L, dec!(6), '↗', G0, Rod),
        r("Tillsvidareanställda med upprepad sjukfrånvaro (mer än 5 tillfällen på 12 månader), andel (%)", [s!(20.3), s!(16.4), s!(14.9)], L, dec!(15), '↗', G0, Gron),
        r(BRA_BEMOTANDE, [N, s!(81.6), s!(84.3)], H, dec!(89), '→', G0, Rod),
        r("Medborgarundersökningen - Att få svar på frågor till kommunen fungerar bra, andel (%)", [N, s!(72.1), s!(71.5)], H, dec!(76), '→', G0, Rod),
    ]
}

fn observations(utfall: &[Option<Decimal>; 3]) -> Vec<Observation> {
    (2022..)
        .zip(utfall.iter())
        .filter_map(|(year, v)| v.map(|value| Observation { year, value }))
        .collect()
}

/// The trend as served: computed, with the nämnd's override where the
/// report overrides it.
fn served_trend(row: &IndicatorRow, computed: Trend) -> Assessed<Trend> {
    if row.name == BRA_BEMOTANDE {
        let reason = "Förändringen jämfört med föregående år är inte statistiskt säkerställd.";
        Assessed::with_override(computed, Override::new(Trend::Oforandrad, reason).unwrap())
    } else {
        Assessed::new(computed)
    }
}

#[test]
fn seed_000_indicator_table_is_complete() {
    let rows = indicator_rows();
    assert_eq!(rows.len(), 41);
    let with_glyph = rows.iter().filter(|r| r.glyph.decode().is_some()).count();
    assert_eq!(with_glyph, 21);
}

#[test]
fn seed_000_trend_arrows() {
    for row in indicator_rows() {
        let obs = observations(&row.utfall);
        let computed = trend_for_year(&obs, 2024, row.polarity, TrendThreshold::DEFAULT);
        let served = served_trend(&row, computed);
        assert_eq!(
            served.final_value().arrow(),
            row.arrow,
            "{}: computed {:?}",
            row.name,
            computed
        );
        if row.name == BRA_BEMOTANDE {
            // 81.6 → 84.3 is +3.3 %: the rule says forbattrad, the report
            // overrides it.
            assert_eq!(computed, Trend::Forbattrad);
            assert!(served.is_overridden());
        } else {
            assert_eq!(computed.arrow(), row.arrow, "{}", row.name);
        }
    }
}

#[test]
fn seed_000_bedomning() {
    for row in indicator_rows() {
        let obs = observations(&row.utfall);
        let d = derive_indicator_year(
            &obs,
            Some(row.riktvarde),
            2024,
            row.polarity,
            TrendThreshold::DEFAULT,
        );
        assert_eq!(d.bedomning, row.bedomning, "{}", row.name);
        assert_eq!(
            d.bedomning,
            bedomning_for_year(&obs, Some(row.riktvarde), 2024, row.polarity)
        );
        let Some(printed) = row.glyph.decode() else {
            continue;
        };
        if row.name == BOENDESTOD {
            // Measured odd years only: the latest available utfall (72 %,
            // 2023) against 91 % is rod by the rule; the report shows no
            // bedömning (○). Served as the nämnd's override.
            assert_eq!((d.bedomning, printed), (Bedomning::Rod, Bedomning::Ingen));
            let served = Assessed::with_override(
                d.bedomning,
                Override::new(Bedomning::Ingen, "Mäts vartannat år; inget utfall 2024.").unwrap(),
            );
            assert_eq!(served.final_value(), printed);
        } else {
            assert_eq!(d.bedomning, printed, "{}", row.name);
        }
    }
}

#[test]
fn seed_000_polarity_consistent_with_arrows() {
    // Every directional arrow agrees with the polarity chosen: flipping the
    // polarity would flip the arrow.
    for row in indicator_rows() {
        let obs = observations(&row.utfall);
        let flipped = match row.polarity {
            H => L,
            L => H,
        };
        let t = trend_for_year(&obs, 2024, flipped, TrendThreshold::DEFAULT);
        if matches!(row.arrow, '↗' | '↘') && row.name != BRA_BEMOTANDE {
            assert_ne!(t.arrow(), row.arrow, "{}", row.name);
        }
    }
}

#[test]
fn seed_000_goal_suggestions() {
    // Goals of the appendix with their indicators' computed bedömningar.
    let rows = indicator_rows();
    let b = |prefix: &str| {
        rows.iter()
            .find(|r| r.name.starts_with(prefix))
            .map(|r| r.bedomning)
            .unwrap()
    };
    // Ökad beredskap för samhällsstörningar: gron + ingen → gron
    assert_eq!(
        suggest_goal_bedomning([b("Invånare som uppger"), b("Medarbetare som uppger")]),
        Bedomning::Gron
    );
    // Minskad klimatpåverkan: gul + gron → gul
    assert_eq!(
        suggest_goal_bedomning([b("Fossiloberoende"), b("Kommunens förbrukning")]),
        Bedomning::Gul
    );
    // Ökad nöjdhet med hemtjänsten: rod → rod
    assert_eq!(
        suggest_goal_bedomning([b("Brukarbedömning hemtjänst")]),
        Bedomning::Rod
    );
}

// ---------------------------------------------------------------------------
// Money tables
// ---------------------------------------------------------------------------

fn tkr(v: i64) -> Amount {
    Amount::from_tkr(Decimal::from(v)).unwrap()
}

/// A cost-positive printed figure in tkr, converted on import.
fn tkr_cp(v: i64) -> Amount {
    Amount::from_cost_positive(tkr(v).kronor())
}

fn whole_year(year: i32) -> EntryPeriod {
    EntryPeriod::whole_year(year).unwrap()
}

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

/// `computed` (kronor) rounds to within 1 tkr of `printed` (tkr).
fn within_1_tkr(computed: Option<Amount>, printed: i64) -> bool {
    computed.is_some_and(|a| (a.tkr_rounded() - Decimal::from(printed)).abs() <= Decimal::ONE)
}

fn exact_tkr(computed: Option<Amount>, printed: i64) -> bool {
    computed == Some(tkr(printed))
}

#[test]
fn seed_000_driftredovisning() {
    // Verksamhetsområde, Utfall ack 2023, Utfall ack 2024, Budget ack 2024,
    // Avvikelse ack 2024 (tkr), årsredovisning 2024.
    let rows: [(&str, i64, i64, i64, i64); 5] = [
        ("Förvaltningsgemensamt", -17_013, -20_790, -29_814, 9_024),
        ("Förvaltningskontor", -228_762, -235_172, -234_029, -1_143),
        ("Funktionsstöd", -232_833, -255_840, -253_584, -2_256),
        ("Hälsa- och sjukvård", -80_359, -81_171, -80_857, -314),
        ("Äldreomsorg", -308_457, -314_902, -309_142, -5_761),
    ];
    let summa_printed = (-867_424, -907_875, -907_426, -450);
    let period = ReportPeriod::helar(2024).unwrap();

    let mut lines = Vec::new();
    for (i, &(name, u23, u24, b24, avv)) in rows.iter().enumerate() {
        // Whole-year entries: the årsredovisning has no months.
        let entries = [
            LineEntry::utfall(whole_year(2023), tkr(u23)),
            LineEntry::utfall(whole_year(2024), tkr(u24)),
            LineEntry::budget(whole_year(2024), tkr(b24)),
        ];
        validate_entries(&entries).unwrap();
        let f = line_figures(&entries, period).unwrap();
        assert!(within_1_tkr(f.avvikelse, avv), "{name}: {:?}", f.avvikelse);
        assert_eq!(f.avvikelse_ack, f.avvikelse);
        assert_eq!(f.utfall_foregaende_ar, Some(tkr(u23)));
        if name != "Äldreomsorg" {
            assert!(exact_tkr(f.avvikelse, avv), "{name}");
        }
        lines.push(BudgetLine {
            id: i + 1,
            parent: Some(0),
            figures: f,
        });
    }
    // Äldreomsorg: −314 902 − (−309 142) = −5 760 from the printed rows,
    // printed −5 761 (rounded from kronor).
    lines.insert(
        0,
        BudgetLine {
            id: 0,
            parent: None,
            figures: LineFigures::default(),
        },
    );
    let tree = roll_up(&lines).unwrap();
    let s = tree[0].figures;
    assert!(exact_tkr(s.utfall_foregaende_ar, summa_printed.0));
    assert!(exact_tkr(s.utfall, summa_printed.1));
    assert!(exact_tkr(s.budget, summa_printed.2));
    // −907 875 − (−907 426) = −449 from printed rows; printed −450.
    assert!(exact_tkr(s.avvikelse, -449));
    assert!(within_1_tkr(s.avvikelse, summa_printed.3));
    assert_eq!(s.avvikelse_procent.map(|p| p.presented()), Some(dec!(-0.0)));
    // The sum of the printed avvikelser is also within 1 tkr.
    let printed_sum: i64 = rows.iter().map(|r| r.4).sum();
    assert_eq!(printed_sum, -450);
}

#[test]
fn seed_000_investeringsredovisning() {
    // Huvudprojekt, Utfall ack, Budget ack, Kvar av årets budget (tkr),
    // printed with expenditure positive: converted on import.
    let rows: [(&str, i64, i64, i64); 3] = [
        ("770022 Inventarier Norrgläntan", 583, 3_089, 2_506),
        ("770023 Inventarier brukar-miljö", 738, 1_300, 562),
        ("770026 Furuliden", 4_616, 7_034, 2_418),
    ];
    let period = ReportPeriod::helar(2024).unwrap();
    let mut figs = Vec::new();
    for &(name, u, b, kvar) in &rows {
        let entries = [
            LineEntry::utfall(whole_year(2024), tkr_cp(u)),
            LineEntry::budget(whole_year(2024), tkr_cp(b)),
        ];
        let f = line_figures(&entries, period).unwrap();
        assert!(exact_tkr(f.utfall, -u), "{name}");
        assert!(exact_tkr(f.avvikelse, kvar), "{name}");
        assert!(exact_tkr(f.kvar_av_arets_budget, kvar), "{name}");
        figs.push(f);
    }
    let s = summa(&figs).unwrap();
    assert!(exact_tkr(s.utfall, -5_937));
    assert!(exact_tkr(s.budget, -11_423));
    assert!(exact_tkr(s.avvikelse, 5_486));
}

#[test]
fn seed_001_driftredovisning_august() {
    // Verksamhetsområde, Utfall Aug, Budget Aug, Avvikelse Aug,
    // Avvikelse ack. Aug, Prognos helår 2024 (a deviation) — tkr.
    let rows: [(&str, i64, i64, i64, i64, i64); 5] = [
        ("Förvaltningsgemensamt", -333, -2_357, 2_024, 10_760, 13_600),
        ("Förvaltningskontor", -20_370, -19_659, -711, -3_975, -4_600),
        ("Hälso- och sjukvård", -6_324, -8_176, 1_852, -1_348, -2_000),
        ("Äldreomsorg", -31_167, -31_568, 401, -6_867, -7_000),
        ("Funktionsstöd", -24_315, -24_174, -141, -2_196, 0),
    ];
    let resultat = (-82_509, -85_934, 3_425, -3_626, 0);
    let period = ReportPeriod::delar(2024).unwrap();
    let aug = EntryPeriod::month(ym(2024, 8));
    let mut figs = Vec::new();
    for &(name, u, b, avv, _, _) in &rows {
        let entries = [
            LineEntry::utfall(aug, tkr(u)),
            LineEntry::budget(aug, tkr(b)),
        ];
        let f = line_figures(&entries, period).unwrap();
        assert!(exact_tkr(f.utfall_manad, u), "{name}");
        assert!(exact_tkr(f.avvikelse_manad, avv), "{name}");
        figs.push(f);
    }
    let s = summa(&figs).unwrap();
    assert!(exact_tkr(s.utfall_manad, resultat.0));
    assert!(exact_tkr(s.budget_manad, resultat.1));
    assert!(exact_tkr(s.avvikelse_manad, resultat.2));
    // Columns printed only as deviations: their Summa is their sum.
    let ack = Amount::checked_sum(rows.iter().map(|r| tkr(r.4))).ok();
    assert!(exact_tkr(ack, resultat.3));
    let prognos = Amount::checked_sum(rows.iter().map(|r| tkr(r.5))).ok();
    assert!(exact_tkr(prognos, resultat.4));
}

#[test]
fn seed_001_investeringsredovisning_delar() {
    // Huvudprojekt, Utfall Ack 2024-08, Budget helår 2024, Kvar av årets
    // budget, Avvikelse mot budget helår (tkr, expenditure positive).
    let rows: [(&str, i64, i64, i64, i64); 3] = [
        ("Inventarier Säbo, Norrgläntan", 400, 3_089, 2_689, 0),
        ("Inventarier, Furuliden", 1_310, 7_034, 5_724, 0),
        ("Inventarier i brukarmiljö", 639, 1_300, 661, 0),
    ];
    let period = ReportPeriod::delar(2024).unwrap();
    let jan_aug = EntryPeriod::range(ym(2024, 1), ym(2024, 8)).unwrap();
    let mut figs = Vec::new();
    for &(name, u, b, kvar, prog_avv) in &rows {
        let entries = [
            LineEntry::utfall(jan_aug, tkr_cp(u)),
            LineEntry::budget(whole_year(2024), tkr_cp(b)),
            // prognos in August: the whole budget will be used
            LineEntry::prognos(ym(2024, 8), tkr_cp(b)),
        ];
        let f = line_figures(&entries, period).unwrap();
        assert!(exact_tkr(f.utfall_ack, -u), "{name}");
        assert_eq!(f.budget, None, "{name}: a whole-year budget is not split");
        assert!(exact_tkr(f.helarsbudget, -b), "{name}");
        assert!(exact_tkr(f.kvar_av_arets_budget, kvar), "{name}");
        assert!(exact_tkr(f.prognos_avvikelse, prog_avv), "{name}");
        figs.push(f);
    }
    let s = summa(&figs).unwrap();
    assert!(exact_tkr(s.utfall_ack, -2_349));
    assert!(exact_tkr(s.helarsbudget, -11_423));
    assert!(exact_tkr(s.kvar_av_arets_budget, 9_074));
    assert!(exact_tkr(s.prognos_avvikelse, 0));
}

#[test]
fn seed_003_driftredovisning_march_2023() {
    // Periodens utfall, Periodens budget, Periodens avvikelse,
    // Ackumulerad avvikelse, Prognos helår (a deviation) — tkr.
    let rows: [(&str, i64, i64, i64, i64, i64); 4] = [
        ("Förvaltningsgemensamt", -1_431, -3_043, 1_612, 4_751, 8_500),
        (
            "Förvaltningskontor",
            -26_620,
            -24_107,
            -2_513,
            -4_421,
            -4_100,
        ),
        ("Äldreomsorg", -22_214, -23_554, 1_340, -1_704, -5_000),
        ("Funktionsstöd", -17_523, -18_793, 1_271, 3_711, 3_400),
    ];
    let summa_printed = (-67_788, -69_497, 1_710, 2_336, 2_800);
    let mar = ym(2023, 3);
    let period = ReportPeriod::month(mar);
    let mut figs = Vec::new();
    for &(name, u, b, avv, _, _) in &rows {
        let entries = [
            LineEntry::utfall(EntryPeriod::month(mar), tkr(u)),
            LineEntry::budget(EntryPeriod::month(mar), tkr(b)),
        ];
        let f = line_figures(&entries, period).unwrap();
        assert_eq!(f.avvikelse, f.avvikelse_manad);
        assert!(within_1_tkr(f.avvikelse, avv), "{name}");
        if name != "Funktionsstöd" {
            assert!(exact_tkr(f.avvikelse, avv), "{name}");
        }
        figs.push(f);
    }
    // Funktionsstöd: −17 523 − (−18 793) = 1 270, printed 1 271.
    let s = summa(&figs).unwrap();
    assert!(exact_tkr(s.utfall, summa_printed.0));
    assert!(exact_tkr(s.budget, summa_printed.1));
    // 1 709 from printed rows, printed 1 710.
    assert!(exact_tkr(s.avvikelse, 1_709));
    assert!(within_1_tkr(s.avvikelse, summa_printed.2));
    let printed_avv: i64 = rows.iter().map(|r| r.3).sum();
    assert_eq!(printed_avv, summa_printed.2);
    // Ackumulerad avvikelse: rows sum to 2 337, printed 2 336.
    let ack = Amount::checked_sum(rows.iter().map(|r| tkr(r.4))).ok();
    assert!(within_1_tkr(ack, summa_printed.3));
    let prognos = Amount::checked_sum(rows.iter().map(|r| tkr(r.5))).ok();
    assert!(exact_tkr(prognos, summa_printed.4));
}

#[test]
fn seed_002_driftredovisning_cost_positive() {
    // Verksamhet, Utfall, Budget, Avvikelse (tkr); costs positive, avvikelse
    // printed as budget − utfall (positive = favourable).
    let rows: [(&str, i64, i64, i64); 7] = [
        ("10 Politisk verksamhet", 833, 904, 71),
        ("51 Äldreomsorg/LSS", 251_612, 245_397, -6_215),
        ("55 Vård för vuxna med missbruksproblem", 1_952, 2_126, 174),
        ("56 Barn- och ungdomsvård", 13_145, 8_501, -4_644),
        ("57 Övr. insatser /Ekonomiskt bistånd", 6_995, 4_786, -2_209),
        ("60 Flyktingmottagande", 48, 48, 0),
        ("92 Gemensamma verksamheter", 57_297, 57_041, -256),
    ];
    let period = ReportPeriod::helar(2024).unwrap();
    let mut figs = Vec::new();
    for &(name, u, b, avv) in &rows {
        let entries = [
            LineEntry::utfall(whole_year(2024), tkr_cp(u)),
            LineEntry::budget(whole_year(2024), tkr_cp(b)),
        ];
        let f = line_figures(&entries, period).unwrap();
        assert!(
            exact_tkr(f.utfall, -u),
            "{name}: stored in result convention"
        );
        assert!(exact_tkr(f.avvikelse, avv), "{name}");
        assert_eq!(
            f.avvikelse,
            cost_positive_avvikelse(tkr(u).kronor(), tkr(b).kronor()).ok()
        );
        figs.push(f);
    }
    let s = summa(&figs).unwrap();
    assert!(exact_tkr(s.utfall, -331_882));
    assert!(exact_tkr(s.budget, -318_803));
    assert!(exact_tkr(s.avvikelse, -13_079));
}

#[test]
fn seed_002_verksamhet_51_second_level() {
    // "Redovisning verksamhet 51*" rolled up under 51 (costs positive; an
    // income budget is printed negative: Äldreomsorg −757).
    let rows: [(&str, i64, i64, i64); 16] = [
        ("Äldreomsorg", 3, -757, -760),
        ("Hemtjänst i ordinärt boende ink natt", 64_170, 63_507, -663),
        ("Trygghetslarm", 1_176, 1_047, -129),
        ("Korttidsboende / Korttidsvård", 10_182, 9_928, -254),
        ("Dagverksamhet", 1_268, 1_311, 43),
        ("Särskilt boende", 84_466, 82_077, -2_389),
        ("Sjuksköterskeverksamhet", 19_943, 19_930, -13),
        ("Inkontinens, rehab, omvårdnad", 7_217, 6_689, -528),
        ("Socialpsykiatri", 5_683, 6_905, 1_222),
        ("Bostadsanpassning", 1_529, 1_500, -29),
        ("Boende enl. LSS för vuxna", 29_127, 27_077, -2_050),
        ("Boende enligt LSS för barn och unga", 2_388, 0, -2_388),
        ("Personlig assistans enl. LSS/SFB", 14_401, 15_843, 1_442),
        ("Daglig verksamhet", 6_867, 6_526, -341),
        ("Ledsagare, kontaktpersoner", 811, 1_147, 336),
        ("Korttidsvistelse", 2_381, 2_667, 286),
    ];
    let period = ReportPeriod::helar(2024).unwrap();
    let mut lines = vec![
        BudgetLine {
            id: "10",
            parent: None,
            figures: LineFigures::default(),
        },
        BudgetLine {
            id: "51",
            parent: None,
            figures: LineFigures::default(),
        },
    ];
    for &(name, u, b, avv) in &rows {
        let entries = [
            LineEntry::utfall(whole_year(2024), tkr_cp(u)),
            LineEntry::budget(whole_year(2024), tkr_cp(b)),
        ];
        let f = line_figures(&entries, period).unwrap();
        assert!(exact_tkr(f.avvikelse, avv), "{name}");
        lines.push(BudgetLine {
            id: name,
            parent: Some("51"),
            figures: f,
        });
    }
    let tree = roll_up(&lines).unwrap();
    let v51 = &tree[1];
    assert_eq!(v51.children.len(), 16);
    assert!(exact_tkr(v51.figures.utfall, -251_612));
    assert!(exact_tkr(v51.figures.budget, -245_397));
    assert!(exact_tkr(v51.figures.avvikelse, -6_215));
    assert_eq!(
        tree[0].figures,
        LineFigures::default(),
        "no figures for 10 here"
    );
}

#[test]
fn seed_002_intakt_kostnad_split() {
    // "Verksamhetsanalys driftbudget 2024": already in result convention,
    // intäkt and kostnad as child lines; the net avvikelse is printed once.
    let rows: [(&str, i64, i64, i64, i64, i64); 7] = [
        ("Politisk verksamhet", 0, 0, -833, -904, 71),
        (
            "Äldreomsorg/LSS",
            52_449,
            34_077,
            -304_062,
            -279_475,
            -6_215,
        ),
        (
            "Vård för vuxna med missbruksproblem",
            103,
            0,
            -2_055,
            -2_126,
            174,
        ),
        ("Barn- och ungdomsvård", 629, 240, -13_774, -8_741, -4_644),
        (
            "Övr. insatser vuxna/Ekonomiskt bistånd",
            1_705,
            1_597,
            -8_699,
            -6_382,
            -2_209,
        ),
        ("Flyktingmottagande", 7_661, 5_740, -7_709, -5_788, 0),
        (
            "Gemensamma verksamheter",
            2_098,
            1_204,
            -59_395,
            -58_245,
            -256,
        ),
    ];
    let period = ReportPeriod::helar(2024).unwrap();
    let mut lines = Vec::new();
    for (i, &(name, iu, ib, ku, kb, netto)) in rows.iter().enumerate() {
        let fig = |u, b| {
            line_figures(
                &[
                    LineEntry::utfall(whole_year(2024), tkr(u)),
                    LineEntry::budget(whole_year(2024), tkr(b)),
                ],
                period,
            )
            .unwrap()
        };
        let id = (i as u32) * 10;
        lines.push(BudgetLine {
            id,
            parent: None,
            figures: LineFigures::default(),
        });
        lines.push(BudgetLine {
            id: id + 1,
            parent: Some(id),
            figures: fig(iu, ib),
        });
        lines.push(BudgetLine {
            id: id + 2,
            parent: Some(id),
            figures: fig(ku, kb),
        });
        let _ = (name, netto);
    }
    let tree = roll_up(&lines).unwrap();
    for (node, &(name, _, _, _, _, netto)) in tree.iter().zip(rows.iter()) {
        assert!(within_1_tkr(node.figures.avvikelse, netto), "{name}");
        assert!(exact_tkr(node.figures.avvikelse, netto), "{name}");
    }
    // Äldreomsorg/LSS nets to −251 613 / −245 398 against the printed
    // 251 612 / 245 397 of the other table: printed rounding.
    assert!(within_1_tkr(tree[1].figures.utfall, -251_612));
    assert!(within_1_tkr(tree[1].figures.budget, -245_397));
    // "Driftresultat årsbokslut": Intäkter, Kostnader → Resultat.
    let intakter = (64_645, 42_857, 21_788);
    let kostnader = (-396_527, -361_660, -34_867);
    let f = |(u, b, _): (i64, i64, i64)| {
        line_figures(
            &[
                LineEntry::utfall(whole_year(2024), tkr(u)),
                LineEntry::budget(whole_year(2024), tkr(b)),
            ],
            period,
        )
        .unwrap()
    };
    let (fi, fk) = (f(intakter), f(kostnader));
    assert!(exact_tkr(fi.avvikelse, intakter.2));
    assert!(exact_tkr(fk.avvikelse, kostnader.2));
    let r = summa([&fi, &fk]).unwrap();
    assert!(exact_tkr(r.utfall, -331_882));
    assert!(exact_tkr(r.budget, -318_803));
    assert!(exact_tkr(r.avvikelse, -13_079));
}

#[test]
fn seed_002_investeringar() {
    // "Investeringsanalys 2024": result convention (expenditure negative).
    let rows: [(&str, i64, i64, i64); 7] = [
        ("IT-teknik äldrevård 2024", -65, -100, 35),
        ("Möbler, inventarier, inredning 2024", -417, -350, -67),
        ("Verksamhetssystem 2024", -668, -700, 32),
        ("Fordon 2024", 0, -100, 100),
        ("Larm 2024", -748, -900, 152),
        ("Sängar och lyftar 2024", 0, -100, 100),
        ("Skrivare 2024", 0, -50, 50),
    ];
    let period = ReportPeriod::helar(2024).unwrap();
    let mut figs = Vec::new();
    for &(name, u, b, avv) in &rows {
        let f = line_figures(
            &[
                LineEntry::utfall(whole_year(2024), tkr(u)),
                LineEntry::budget(whole_year(2024), tkr(b)),
            ],
            period,
        )
        .unwrap();
        assert!(exact_tkr(f.avvikelse, avv), "{name}");
        figs.push(f);
    }
    // "Nettoutgifter −1 898, budget −2 300, avvikelse 402"
    let s = summa(&figs).unwrap();
    assert!(exact_tkr(s.utfall, -1_898));
    assert!(exact_tkr(s.budget, -2_300));
    assert!(exact_tkr(s.avvikelse, 402));
}

#[test]
fn tkr_presentation_of_seed_totals_rounds_once() {
    // Kronor rows that each print as 0 tkr still add up in the Summa row.
    let rows = [dec!(499), dec!(499), dec!(499)].map(Amount::new);
    assert!(rows.iter().all(|r| r.tkr_rounded().is_zero()));
    let total = Amount::checked_sum(rows).unwrap();
    assert_eq!(total.tkr_rounded(), dec!(1));
}
