//! Budget lines: monthly and whole-period entries aggregated to the figures
//! of a report period, and the roll-up of lines into totals.

use std::collections::HashMap;
use std::hash::Hash;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::DomainError;
use super::money::{Amount, Percent, avvikelse_procent};
use super::period::{ReportPeriod, YearMonth, YearMonthError};
use super::structure::spelled_enum;

spelled_enum! {
    /// What a figure is.
    Measure {
        /// Actual outcome.
        Utfall => "utfall",
        /// Budgeted amount.
        Budget => "budget",
        /// Forecast for the full year, made at a given month.
        Prognos => "prognos",
    }
}

spelled_enum! {
    /// Kind of budget line: a row of the driftredovisning (verksamhetsområde) or
    /// of the investeringsredovisning (huvudprojekt). The rules are the same for
    /// both; for investments `avvikelse` is "Kvar av årets budget".
    BudgetLineKind {
        /// Operating line (verksamhetsområde).
        Drift => "drift",
        /// Investment line (huvudprojekt).
        Investering => "investering",
    }
}

/// The months an entry covers: one month, or a whole period of consecutive
/// months inside one calendar year (e.g. all of 2024, or jan–aug 2024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawEntryPeriod")]
pub struct EntryPeriod {
    from: YearMonth,
    to: YearMonth,
}

#[derive(Deserialize)]
struct RawEntryPeriod {
    from: YearMonth,
    to: YearMonth,
}

impl TryFrom<RawEntryPeriod> for EntryPeriod {
    type Error = EntryError;
    fn try_from(r: RawEntryPeriod) -> Result<Self, Self::Error> {
        EntryPeriod::range(r.from, r.to)
    }
}

/// Invalid entries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// A whole-period entry must lie within one calendar year, from ≤ to.
    #[error("entry period {from}–{to} must lie within one calendar year with from <= to")]
    Range {
        /// First month given.
        from: YearMonth,
        /// Last month given.
        to: YearMonth,
    },
    /// Invalid month.
    #[error(transparent)]
    Month(#[from] YearMonthError),
    /// Two utfall (or budget) entries of one line share a month without one
    /// lying strictly inside the other (they cross, or repeat a period).
    #[error("{measure:?} entries overlap in {month} without one lying wholly inside the other")]
    Overlap {
        /// The measure of the overlapping entries.
        measure: Measure,
        /// The first month covered twice.
        month: YearMonth,
    },
}

impl EntryPeriod {
    /// A single month.
    pub const fn month(ym: YearMonth) -> Self {
        EntryPeriod { from: ym, to: ym }
    }

    /// Months `from..=to`, which must lie in one calendar year.
    pub fn range(from: YearMonth, to: YearMonth) -> Result<Self, EntryError> {
        if from.year() != to.year() || from > to {
            return Err(EntryError::Range { from, to });
        }
        Ok(EntryPeriod { from, to })
    }

    /// All twelve months of `year` (a whole-year value).
    pub fn whole_year(year: i32) -> Result<Self, EntryError> {
        Ok(EntryPeriod {
            from: YearMonth::new(year, 1)?,
            to: YearMonth::new(year, 12)?,
        })
    }

    /// First month covered.
    pub const fn from(self) -> YearMonth {
        self.from
    }

    /// Last month covered.
    pub const fn to(self) -> YearMonth {
        self.to
    }

    /// The calendar year.
    pub const fn year(self) -> i32 {
        self.from.year()
    }

    /// Whether the entry covers exactly one month.
    pub fn is_single_month(self) -> bool {
        self.from == self.to
    }

    /// Bit `m` set for each month `m` (1..=12) covered.
    fn mask(self) -> u16 {
        months_mask(self.from.month(), self.to.month())
    }
}

/// Bit `m` set for each month `m` in `from..=to` (1 <= from <= to <= 12).
fn months_mask(from: u32, to: u32) -> u16 {
    // No shift overflows a u16 for months 1..=12.
    ((1u16 << (to + 1)) - 1) & !((1u16 << from) - 1)
}

/// Whether the months of `inner` all lie in `outer`.
fn within(inner: u16, outer: u16) -> bool {
    inner & !outer == 0
}

/// One figure of a budget line. For `Prognos` the value is the full-year
/// forecast for the year of `period`, and the last month of `period` is the
/// month the forecast was made (as in flat planning-system exports: year-month,
/// measure, amount).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineEntry {
    /// Month or whole period.
    pub period: EntryPeriod,
    /// Utfall, budget or prognos.
    pub measure: Measure,
    /// Amount in kronor, result convention.
    pub amount: Amount,
}

impl LineEntry {
    /// An entry.
    pub const fn new(period: EntryPeriod, measure: Measure, amount: Amount) -> Self {
        LineEntry {
            period,
            measure,
            amount,
        }
    }

    /// An utfall entry.
    pub const fn utfall(period: EntryPeriod, amount: Amount) -> Self {
        Self::new(period, Measure::Utfall, amount)
    }

    /// A budget entry.
    pub const fn budget(period: EntryPeriod, amount: Amount) -> Self {
        Self::new(period, Measure::Budget, amount)
    }

    /// A full-year prognos for `made_at.year()`, made in month `made_at`.
    pub const fn prognos(made_at: YearMonth, amount: Amount) -> Self {
        Self::new(EntryPeriod::month(made_at), Measure::Prognos, amount)
    }

    /// For a prognos: the month it was made (the last month of its period).
    pub const fn made_at(&self) -> YearMonth {
        self.period.to
    }
}

/// Checks the exact-cover rule for the utfall and budget entries of one line:
/// two entries of one measure may share months only when one lies wholly
/// inside the other and is shorter (a month beside its whole year, jan–aug
/// beside the year). Such nested entries are two readings of the same money,
/// never added up ([`line_figures`] counts the coarsest one that fits a
/// window); entries that cross (jan–aug and jul–dec) or repeat a period would
/// count a month twice and are refused. Prognos entries are not checked: they
/// are alternatives, of which the latest is used.
pub fn validate_entries(entries: &[LineEntry]) -> Result<(), EntryError> {
    let mut seen: HashMap<(i32, Measure), Vec<u16>> = HashMap::new();
    for e in entries {
        if e.measure == Measure::Prognos {
            continue;
        }
        let mask = e.period.mask();
        let masks = seen.entry((e.period.year(), e.measure)).or_default();
        // A laminar family of month ranges of one year has at most 23
        // members, so this scan stays short before it either succeeds or fails.
        for &other in masks.iter() {
            let shared = other & mask;
            let nested = other != mask && (shared == mask || shared == other);
            if shared != 0 && !nested {
                let month = YearMonth::new(e.period.year(), shared.trailing_zeros())?;
                return Err(EntryError::Overlap {
                    measure: e.measure,
                    month,
                });
            }
        }
        masks.push(mask);
    }
    Ok(())
}

/// Whether some utfall or budget entries of the same measure and year share a
/// month (nested entries). Without any, every entry counts on its own and
/// figures of several lines may be computed from their entries pooled.
pub fn entries_nest(entries: &[LineEntry]) -> bool {
    let mut covered: HashMap<(i32, Measure), u16> = HashMap::new();
    entries
        .iter()
        .filter(|e| e.measure != Measure::Prognos)
        .any(|e| {
            let seen = covered.entry((e.period.year(), e.measure)).or_insert(0);
            let mask = e.period.mask();
            let clash = *seen & mask != 0;
            *seen |= mask;
            clash
        })
}

/// The figures of one budget line (or of a total) for a report period.
/// Every figure is absent (`None`) when no entry contributes to it; derived
/// figures are absent when one of their inputs is.
///
/// * `utfall`, `budget`: sums over the period's months.
/// * `*_manad`: the period's last month alone (whole-period entries never
///   count here unless they cover just that month).
/// * `*_ack`: January to the period's last month.
/// * `helarsbudget`: all budget entries of the year (12 months or a whole-year
///   value).
/// * `helarsprognos`: see [`line_figures`].
/// * `utfall_foregaende_ar`, `utfall_ack_foregaende_ar`: the same months, and
///   January to the same last month, of the previous year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineFigures {
    /// Utfall of the period.
    pub utfall: Option<Amount>,
    /// Budget of the period.
    pub budget: Option<Amount>,
    /// `utfall − budget` of the period.
    pub avvikelse: Option<Amount>,
    /// `avvikelse / |budget| × 100` of the period.
    pub avvikelse_procent: Option<Percent>,
    /// Utfall of the last month.
    pub utfall_manad: Option<Amount>,
    /// Budget of the last month.
    pub budget_manad: Option<Amount>,
    /// Avvikelse of the last month.
    pub avvikelse_manad: Option<Amount>,
    /// Utfall January..=last month.
    pub utfall_ack: Option<Amount>,
    /// Budget January..=last month.
    pub budget_ack: Option<Amount>,
    /// Avvikelse January..=last month.
    pub avvikelse_ack: Option<Amount>,
    /// Avvikelse % January..=last month.
    pub avvikelse_procent_ack: Option<Percent>,
    /// Budget for the full year.
    pub helarsbudget: Option<Amount>,
    /// Latest full-year prognos made at or before the period end.
    pub helarsprognos: Option<Amount>,
    /// `helarsprognos − helarsbudget`.
    pub prognos_avvikelse: Option<Amount>,
    /// `utfall_ack − helarsbudget`: what is left of the year's budget
    /// ("Kvar av årets budget" of an investeringsredovisning; seed 001 in
    /// August: −400 − (−3 089) = 2 689). For a full-year period it equals
    /// `avvikelse` when the budget is entered for the whole year.
    pub kvar_av_arets_budget: Option<Amount>,
    /// Utfall of the same months of the previous year.
    pub utfall_foregaende_ar: Option<Amount>,
    /// Utfall January..=last month of the previous year.
    pub utfall_ack_foregaende_ar: Option<Amount>,
}

fn opt_add(a: Option<Amount>, b: Option<Amount>) -> Result<Option<Amount>, DomainError> {
    match (a, b) {
        (Some(x), Some(y)) => fast_add(x.0, y.0).map(|d| Some(Amount(d))),
        (x, None) => Ok(x),
        (None, y) => Ok(y),
    }
}

fn opt_sub(a: Option<Amount>, b: Option<Amount>) -> Result<Option<Amount>, DomainError> {
    match (a, b) {
        (Some(x), Some(y)) => x.checked_sub(y).map(Some),
        _ => Ok(None),
    }
}

fn opt_pct(avvikelse: Option<Amount>, budget: Option<Amount>) -> Option<Percent> {
    avvikelse_procent(avvikelse?, budget?)
}

impl LineFigures {
    /// Recomputes the derived fields (avvikelser, percentages,
    /// prognos_avvikelse) from the base fields. Use after setting base fields
    /// by hand.
    pub fn derive(mut self) -> Result<Self, DomainError> {
        self.avvikelse = opt_sub(self.utfall, self.budget)?;
        self.avvikelse_procent = opt_pct(self.avvikelse, self.budget);
        self.avvikelse_manad = opt_sub(self.utfall_manad, self.budget_manad)?;
        self.avvikelse_ack = opt_sub(self.utfall_ack, self.budget_ack)?;
        // When the period starts in January, ack equals the period: reuse
        // the percentage instead of dividing again.
        self.avvikelse_procent_ack =
            if self.avvikelse_ack == self.avvikelse && self.budget_ack == self.budget {
                self.avvikelse_procent
            } else {
                opt_pct(self.avvikelse_ack, self.budget_ack)
            };
        self.prognos_avvikelse = opt_sub(self.helarsprognos, self.helarsbudget)?;
        self.kvar_av_arets_budget = opt_sub(self.utfall_ack, self.helarsbudget)?;
        Ok(self)
    }

    /// The total of two lines: base fields summed (absent + absent = absent,
    /// absent + x = x), derived fields recomputed from the sums.
    pub fn checked_add(&self, other: &LineFigures) -> Result<LineFigures, DomainError> {
        self.add_base(other)?.derive()
    }

    /// Sums the base fields only; derived fields are left stale.
    fn add_base(&self, other: &LineFigures) -> Result<LineFigures, DomainError> {
        Ok(LineFigures {
            utfall: opt_add(self.utfall, other.utfall)?,
            budget: opt_add(self.budget, other.budget)?,
            utfall_manad: opt_add(self.utfall_manad, other.utfall_manad)?,
            budget_manad: opt_add(self.budget_manad, other.budget_manad)?,
            utfall_ack: opt_add(self.utfall_ack, other.utfall_ack)?,
            budget_ack: opt_add(self.budget_ack, other.budget_ack)?,
            helarsbudget: opt_add(self.helarsbudget, other.helarsbudget)?,
            helarsprognos: opt_add(self.helarsprognos, other.helarsprognos)?,
            utfall_foregaende_ar: opt_add(self.utfall_foregaende_ar, other.utfall_foregaende_ar)?,
            utfall_ack_foregaende_ar: opt_add(
                self.utfall_ack_foregaende_ar,
                other.utfall_ack_foregaende_ar,
            )?,
            ..LineFigures::default()
        })
    }
}

#[inline]
fn add(acc: &mut Option<Decimal>, v: Decimal) -> Result<(), DomainError> {
    *acc = Some(match *acc {
        None => v,
        Some(a) => fast_add(a, v)?,
    });
    Ok(())
}

/// `a + b`; for equal scales (the usual case: kronor and öre) an exact
/// integer addition of the mantissas (each below 2⁹⁶, so the `i128` sum
/// cannot overflow; a sum beyond the 96-bit `Decimal` mantissa is an
/// overflow).
#[inline]
fn fast_add(a: Decimal, b: Decimal) -> Result<Decimal, DomainError> {
    if a.scale() == b.scale() {
        Decimal::try_from_i128_with_scale(a.mantissa() + b.mantissa(), a.scale())
            .map_err(|_| DomainError::Overflow)
    } else {
        a.checked_add(b).ok_or(DomainError::Overflow)
    }
}

/// Computes a line's [`LineFigures`] for `period` from its entries.
///
/// An entry counts towards a window (the period, its last month, January to
/// its last month, the year, and the same windows of the previous year) when
/// all the months it covers lie in the window; whole-period entries are never
/// split.
///
/// Nested entries (see [`validate_entries`]) follow the exact-cover rule:
/// a window counts the coarsest entries that fit inside it, never the finer
/// entries inside those (no month is counted twice). When a coarser entry
/// reaches beyond the window and holds months of it that no counted entry
/// covers (the whole year beside August, read for jan–aug), those months are
/// known only as part of a value that cannot be split, and the window's
/// figure is absent rather than a partial sum. Without nested entries every
/// entry counts on its own, in one pass.
///
/// `helarsprognos` is the prognos for the period's year with the latest
/// `made_at` month not after the period's last month; several prognoser made
/// in that same month are summed. Prognoser made after the period end, or for
/// another year, are ignored.
///
/// Errors only on `Decimal` overflow.
pub fn line_figures(
    entries: &[LineEntry],
    period: ReportPeriod,
) -> Result<LineFigures, DomainError> {
    let base = if entries_nest(entries) {
        nested_base_figures(entries, period)?
    } else {
        additive_base_figures(entries, period)?
    };
    LineFigures {
        helarsprognos: latest_prognos(entries, period)?,
        ..base
    }
    .derive()
}

/// The utfall and budget windows when no entries nest: each entry lands in
/// exactly one bucket (period, before the period, after it), plus the month
/// bucket when it is the last month; ack and full-year values are sums of
/// buckets.
fn additive_base_figures(
    entries: &[LineEntry],
    period: ReportPeriod,
) -> Result<LineFigures, DomainError> {
    let year = period.year();
    let prev_year = year - 1;
    let first = period.first_month();
    let last = period.last_month();

    let mut utfall = None;
    let mut utfall_before = None;
    let mut utfall_manad = None;
    let mut budget = None;
    let mut budget_before = None;
    let mut budget_after = None;
    let mut budget_manad = None;
    let mut utfall_fg = None;
    let mut utfall_fg_before = None;

    for e in entries {
        let ey = e.period.from.year();
        let fm = e.period.from.month();
        let tm = e.period.to.month();
        let v = e.amount.0;
        match e.measure {
            Measure::Utfall => {
                if ey == year {
                    if tm <= last {
                        if fm >= first {
                            add(&mut utfall, v)?;
                            if fm == last {
                                add(&mut utfall_manad, v)?;
                            }
                        } else {
                            add(&mut utfall_before, v)?;
                        }
                    }
                } else if ey == prev_year && tm <= last {
                    if fm >= first {
                        add(&mut utfall_fg, v)?;
                    } else {
                        add(&mut utfall_fg_before, v)?;
                    }
                }
            }
            Measure::Budget => {
                if ey == year {
                    if tm <= last {
                        if fm >= first {
                            add(&mut budget, v)?;
                            if fm == last {
                                add(&mut budget_manad, v)?;
                            }
                        } else {
                            add(&mut budget_before, v)?;
                        }
                    } else {
                        add(&mut budget_after, v)?;
                    }
                }
            }
            Measure::Prognos => {}
        }
    }

    let utfall = utfall.map(Amount);
    let budget = budget.map(Amount);
    let utfall_fg = utfall_fg.map(Amount);
    let utfall_ack = opt_add(utfall_before.map(Amount), utfall)?;
    let budget_ack = opt_add(budget_before.map(Amount), budget)?;
    Ok(LineFigures {
        utfall,
        budget,
        utfall_manad: utfall_manad.map(Amount),
        budget_manad: budget_manad.map(Amount),
        utfall_ack,
        budget_ack,
        helarsbudget: opt_add(budget_ack, budget_after.map(Amount))?,
        utfall_foregaende_ar: utfall_fg,
        utfall_ack_foregaende_ar: opt_add(utfall_fg_before.map(Amount), utfall_fg)?,
        ..LineFigures::default()
    })
}

/// The utfall and budget windows by the exact-cover rule, each window on its
/// own (see [`line_figures`]).
fn nested_base_figures(
    entries: &[LineEntry],
    period: ReportPeriod,
) -> Result<LineFigures, DomainError> {
    let year = period.year();
    let (first, last) = (period.first_month(), period.last_month());
    let utfall = |y: i32, from: u32, to: u32| cover_sum(entries, Measure::Utfall, y, from, to);
    let budget = |from: u32, to: u32| cover_sum(entries, Measure::Budget, year, from, to);
    Ok(LineFigures {
        utfall: utfall(year, first, last)?,
        budget: budget(first, last)?,
        utfall_manad: utfall(year, last, last)?,
        budget_manad: budget(last, last)?,
        utfall_ack: utfall(year, 1, last)?,
        budget_ack: budget(1, last)?,
        helarsbudget: budget(1, 12)?,
        utfall_foregaende_ar: utfall(year - 1, first, last)?,
        utfall_ack_foregaende_ar: utfall(year - 1, 1, last)?,
        ..LineFigures::default()
    })
}

/// One measure over months `from..=to` of `year` by the exact-cover rule:
/// the sum of the entries inside the window that lie inside no other such
/// entry, or absent when nothing counts or when an entry reaching beyond the
/// window encloses counted entries but holds months of the window that they
/// leave uncovered.
fn cover_sum(
    entries: &[LineEntry],
    measure: Measure,
    year: i32,
    from: u32,
    to: u32,
) -> Result<Option<Amount>, DomainError> {
    let window = months_mask(from, to);
    let of_measure: Vec<(u16, Decimal)> = entries
        .iter()
        .filter(|e| e.measure == measure && e.period.year() == year)
        .map(|e| (e.period.mask(), e.amount.0))
        .collect();
    let inside: Vec<(u16, Decimal)> = of_measure
        .iter()
        .copied()
        .filter(|&(m, _)| within(m, window))
        .collect();
    let mut covered = 0u16;
    let mut sum = None;
    for &(mask, amount) in &inside {
        let in_coarser = inside
            .iter()
            .any(|&(other, _)| other != mask && within(mask, other));
        if !in_coarser {
            covered |= mask;
            add(&mut sum, amount)?;
        }
    }
    let unsplittable = of_measure.iter().any(|&(mask, _)| {
        !within(mask, window) && mask & covered != 0 && mask & window & !covered != 0
    });
    Ok(if unsplittable { None } else { sum.map(Amount) })
}

/// The prognos for the period's year with the latest `made_at` month not
/// after the period's last month; several made in that month are summed.
fn latest_prognos(
    entries: &[LineEntry],
    period: ReportPeriod,
) -> Result<Option<Amount>, DomainError> {
    let mut prognos: Option<Decimal> = None;
    let mut prognos_made: Option<YearMonth> = None;
    for e in entries.iter().filter(|e| e.measure == Measure::Prognos) {
        let made = e.period.to;
        if e.period.from.year() != period.year() || made.month() > period.last_month() {
            continue;
        }
        match prognos_made {
            Some(p) if made < p => {}
            Some(p) if made == p => add(&mut prognos, e.amount.0)?,
            _ => {
                prognos_made = Some(made);
                prognos = Some(e.amount.0);
            }
        }
    }
    Ok(prognos.map(Amount))
}

/// The Summa row of some lines: their figures added with
/// [`LineFigures::checked_add`]. Empty input gives all-absent figures.
pub fn summa<'a, I>(figures: I) -> Result<LineFigures, DomainError>
where
    I: IntoIterator<Item = &'a LineFigures>,
{
    figures
        .into_iter()
        .try_fold(LineFigures::default(), |acc, f| acc.add_base(f))?
        .derive()
}

/// A budget line with its own figures and optional parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine<Id> {
    /// The line's id.
    pub id: Id,
    /// The parent line's id, `None` for a top-level line.
    pub parent: Option<Id>,
    /// The line's own figures (from its own entries).
    pub figures: LineFigures,
}

/// A line after roll-up: its figures are its own plus the sum of its
/// children's rolled-up figures, with the children nested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolledUpLine<Id> {
    /// The line's id.
    pub id: Id,
    /// Own figures plus the children's totals.
    pub figures: LineFigures,
    /// Child lines, in input order.
    pub children: Vec<RolledUpLine<Id>>,
}

/// Deepest nesting accepted by [`roll_up`] (reports have two or three
/// levels; the limit keeps recursion in callers and drops shallow).
pub const MAX_ROLLUP_DEPTH: usize = 32;

/// Why lines could not be rolled up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RollupError {
    /// Two lines share an id.
    #[error("line {index} repeats an id")]
    DuplicateId {
        /// Index of the second line with the id.
        index: usize,
    },
    /// A line's parent is not among the lines.
    #[error("line {index} has a parent that is not among the lines")]
    UnknownParent {
        /// Index of the line.
        index: usize,
    },
    /// Parent links form a cycle.
    #[error("the parent links form a cycle")]
    Cycle,
    /// Nesting deeper than [`MAX_ROLLUP_DEPTH`].
    #[error("lines are nested deeper than {MAX_ROLLUP_DEPTH} levels")]
    TooDeep,
    /// Decimal overflow while summing.
    #[error(transparent)]
    Overflow(#[from] DomainError),
}

/// Nests lines under their parents and computes each parent's figures as its
/// own figures plus the sum of its children's (Summa rows are computed, never
/// entered). Returns the top-level lines in input order; the grand total is
/// `summa(result.iter().map(|l| &l.figures))`.
pub fn roll_up<Id: Copy + Eq + Hash>(
    lines: &[BudgetLine<Id>],
) -> Result<Vec<RolledUpLine<Id>>, RollupError> {
    let n = lines.len();
    let mut index = HashMap::with_capacity(n);
    for (i, l) in lines.iter().enumerate() {
        if index.insert(l.id, i).is_some() {
            return Err(RollupError::DuplicateId { index: i });
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut roots = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        match l.parent {
            None => roots.push(i),
            Some(p) => match index.get(&p) {
                Some(&pi) => children[pi].push(i),
                None => return Err(RollupError::UnknownParent { index: i }),
            },
        }
    }
    // Pre-order walk from the roots; nodes on a cycle are never reached.
    let mut order = Vec::with_capacity(n);
    let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 1)).collect();
    while let Some((i, depth)) = stack.pop() {
        if depth > MAX_ROLLUP_DEPTH {
            return Err(RollupError::TooDeep);
        }
        order.push(i);
        stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
    }
    if order.len() != n {
        return Err(RollupError::Cycle);
    }
    let mut totals: Vec<LineFigures> = lines.iter().map(|l| l.figures).collect();
    for &i in order.iter().rev() {
        let mut t = totals[i];
        for &c in &children[i] {
            t = t.add_base(&totals[c])?;
        }
        totals[i] = t.derive()?;
    }
    let mut built: Vec<Option<RolledUpLine<Id>>> = (0..n).map(|_| None).collect();
    for &i in order.iter().rev() {
        let kids = children[i]
            .iter()
            .filter_map(|&c| built[c].take())
            .collect();
        built[i] = Some(RolledUpLine {
            id: lines[i].id,
            figures: totals[i],
            children: kids,
        });
    }
    Ok(roots.iter().filter_map(|&r| built[r].take()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }
    fn amt(d: Decimal) -> Amount {
        Amount(d)
    }
    fn month(y: i32, m: u32) -> EntryPeriod {
        EntryPeriod::month(ym(y, m))
    }
    fn delar(y: i32) -> ReportPeriod {
        ReportPeriod::delar(y).unwrap()
    }

    /// utfall −10 per month, budget −11 per month, 2023 and 2024.
    fn monthly_line() -> Vec<LineEntry> {
        let mut v = Vec::new();
        for y in [2023, 2024] {
            for m in 1..=12 {
                v.push(LineEntry::utfall(month(y, m), amt(dec!(-10))));
                v.push(LineEntry::budget(month(y, m), amt(dec!(-11))));
            }
        }
        v
    }

    #[test]
    fn entry_period_validation() {
        assert!(EntryPeriod::range(ym(2024, 1), ym(2024, 8)).is_ok());
        assert_eq!(
            EntryPeriod::range(ym(2024, 9), ym(2024, 8)),
            Err(EntryError::Range {
                from: ym(2024, 9),
                to: ym(2024, 8)
            })
        );
        assert!(EntryPeriod::range(ym(2023, 12), ym(2024, 1)).is_err());
        assert!(EntryPeriod::whole_year(1899).is_err());
        let p = EntryPeriod::whole_year(2024).unwrap();
        assert_eq!(
            (p.from(), p.to(), p.year()),
            (ym(2024, 1), ym(2024, 12), 2024)
        );
        assert!(!p.is_single_month());
        assert!(month(2024, 3).is_single_month());
    }

    #[test]
    fn masks() {
        assert_eq!(month(2024, 1).mask(), 0b10);
        assert_eq!(month(2024, 12).mask(), 1 << 12);
        assert_eq!(EntryPeriod::whole_year(2024).unwrap().mask(), 0x1FFE);
        assert_eq!(
            EntryPeriod::range(ym(2024, 2), ym(2024, 3)).unwrap().mask(),
            0b1100
        );
    }

    #[test]
    fn validate_detects_double_months() {
        let mut e = monthly_line();
        assert_eq!(validate_entries(&e), Ok(()));
        e.push(LineEntry::prognos(ym(2024, 8), amt(dec!(1))));
        e.push(LineEntry::prognos(ym(2024, 8), amt(dec!(1))));
        assert_eq!(validate_entries(&e), Ok(()));
        e.push(LineEntry::utfall(
            EntryPeriod::range(ym(2024, 3), ym(2024, 5)).unwrap(),
            amt(dec!(1)),
        ));
        assert_eq!(validate_entries(&e), Ok(()), "a quarter over its months");
        e.push(LineEntry::utfall(
            EntryPeriod::range(ym(2024, 4), ym(2024, 6)).unwrap(),
            amt(dec!(1)),
        ));
        assert_eq!(
            validate_entries(&e),
            Err(EntryError::Overlap {
                measure: Measure::Utfall,
                month: ym(2024, 4)
            })
        );
        let whole_and_month = [
            LineEntry::budget(EntryPeriod::whole_year(2024).unwrap(), amt(dec!(1))),
            LineEntry::budget(month(2024, 12), amt(dec!(1))),
        ];
        assert_eq!(
            validate_entries(&whole_and_month),
            Ok(()),
            "nested: two readings"
        );
        let crossing = [
            LineEntry::budget(
                EntryPeriod::range(ym(2024, 1), ym(2024, 8)).unwrap(),
                amt(dec!(1)),
            ),
            LineEntry::budget(
                EntryPeriod::range(ym(2024, 7), ym(2024, 12)).unwrap(),
                amt(dec!(1)),
            ),
        ];
        assert_eq!(
            validate_entries(&crossing),
            Err(EntryError::Overlap {
                measure: Measure::Budget,
                month: ym(2024, 7)
            })
        );
        let repeated = [
            LineEntry::budget(month(2024, 2), amt(dec!(1))),
            LineEntry::budget(month(2024, 2), amt(dec!(2))),
        ];
        assert!(validate_entries(&repeated).is_err());
        let other_years = [
            LineEntry::budget(EntryPeriod::whole_year(2024).unwrap(), amt(dec!(1))),
            LineEntry::budget(EntryPeriod::whole_year(2023).unwrap(), amt(dec!(1))),
            LineEntry::utfall(EntryPeriod::whole_year(2024).unwrap(), amt(dec!(1))),
        ];
        assert_eq!(validate_entries(&other_years), Ok(()));
    }

    #[test]
    fn delar_figures_from_monthly_entries() {
        let f = line_figures(&monthly_line(), delar(2024)).unwrap();
        assert_eq!(f.utfall, Some(amt(dec!(-80))));
        assert_eq!(f.budget, Some(amt(dec!(-88))));
        assert_eq!(f.avvikelse, Some(amt(dec!(8))));
        assert_eq!(
            f.avvikelse_procent.map(|p| p.rounded(4)),
            Some(dec!(9.0909))
        );
        assert_eq!(f.utfall_manad, Some(amt(dec!(-10))));
        assert_eq!(f.budget_manad, Some(amt(dec!(-11))));
        assert_eq!(f.avvikelse_manad, Some(amt(dec!(1))));
        assert_eq!(f.utfall_ack, f.utfall);
        assert_eq!(f.avvikelse_ack, Some(amt(dec!(8))));
        assert_eq!(f.helarsbudget, Some(amt(dec!(-132))));
        assert_eq!(f.kvar_av_arets_budget, Some(amt(dec!(52))));
        assert_eq!(f.helarsprognos, None);
        assert_eq!(f.prognos_avvikelse, None);
        assert_eq!(f.utfall_foregaende_ar, Some(amt(dec!(-80))));
        assert_eq!(f.utfall_ack_foregaende_ar, Some(amt(dec!(-80))));
    }

    #[test]
    fn single_month_period_has_ack_from_january() {
        let p = ReportPeriod::month(ym(2024, 3));
        let f = line_figures(&monthly_line(), p).unwrap();
        assert_eq!(f.utfall, Some(amt(dec!(-10))));
        assert_eq!(f.utfall_manad, Some(amt(dec!(-10))));
        assert_eq!(f.utfall_ack, Some(amt(dec!(-30))));
        assert_eq!(f.budget_ack, Some(amt(dec!(-33))));
        assert_eq!(f.avvikelse_ack, Some(amt(dec!(3))));
        assert_eq!(f.utfall_foregaende_ar, Some(amt(dec!(-10))));
        assert_eq!(f.utfall_ack_foregaende_ar, Some(amt(dec!(-30))));
    }

    #[test]
    fn period_not_starting_in_january() {
        let p = ReportPeriod::new(2024, 5, 8).unwrap();
        let f = line_figures(&monthly_line(), p).unwrap();
        assert_eq!(f.utfall, Some(amt(dec!(-40))));
        assert_eq!(f.utfall_ack, Some(amt(dec!(-80))));
        assert_eq!(f.utfall_foregaende_ar, Some(amt(dec!(-40))));
        assert_eq!(f.utfall_ack_foregaende_ar, Some(amt(dec!(-80))));
    }

    #[test]
    fn whole_year_entries() {
        let e = [
            LineEntry::utfall(EntryPeriod::whole_year(2024).unwrap(), amt(dec!(-314902))),
            LineEntry::budget(EntryPeriod::whole_year(2024).unwrap(), amt(dec!(-309142))),
            LineEntry::utfall(EntryPeriod::whole_year(2023).unwrap(), amt(dec!(-308457))),
        ];
        let f = line_figures(&e, ReportPeriod::helar(2024).unwrap()).unwrap();
        assert_eq!(f.utfall, Some(amt(dec!(-314902))));
        assert_eq!(f.avvikelse, Some(amt(dec!(-5760))));
        assert_eq!(f.utfall_ack, Some(amt(dec!(-314902))));
        assert_eq!(f.helarsbudget, Some(amt(dec!(-309142))));
        assert_eq!(f.utfall_manad, None, "a whole-year value is not December's");
        assert_eq!(f.utfall_foregaende_ar, Some(amt(dec!(-308457))));
        // For the delår the whole-year value cannot be split: absent, except
        // the full-year budget.
        let d = line_figures(&e, delar(2024)).unwrap();
        assert_eq!(d.utfall, None);
        assert_eq!(d.budget, None);
        assert_eq!(d.avvikelse, None);
        assert_eq!(d.helarsbudget, Some(amt(dec!(-309142))));
    }

    #[test]
    fn whole_period_jan_aug_entry() {
        let jan_aug = EntryPeriod::range(ym(2024, 1), ym(2024, 8)).unwrap();
        let e = [
            LineEntry::utfall(jan_aug, amt(dec!(-800))),
            LineEntry::budget(jan_aug, amt(dec!(-880))),
            LineEntry::utfall(month(2024, 9), amt(dec!(-100))),
        ];
        let d = line_figures(&e, delar(2024)).unwrap();
        assert_eq!(d.utfall, Some(amt(dec!(-800))));
        assert_eq!(d.avvikelse, Some(amt(dec!(80))));
        assert_eq!(d.utfall_manad, None);
        let sept = line_figures(&e, ReportPeriod::month(ym(2024, 9))).unwrap();
        assert_eq!(sept.utfall, Some(amt(dec!(-100))));
        assert_eq!(sept.utfall_ack, Some(amt(dec!(-900))));
        assert_eq!(sept.budget, None);
        assert_eq!(sept.budget_ack, Some(amt(dec!(-880))));
        assert_eq!(sept.avvikelse, None);
        assert_eq!(sept.avvikelse_ack, Some(amt(dec!(-20))));
        let h = line_figures(&e, ReportPeriod::helar(2024).unwrap()).unwrap();
        assert_eq!(h.utfall, Some(amt(dec!(-900))));
        assert_eq!(h.helarsbudget, Some(amt(dec!(-880))));
    }

    /// Seed 000's whole years beside seed 001's August and seed 003's March
    /// (Äldreomsorg, tkr as kronor for brevity).
    fn year_and_months_line() -> Vec<LineEntry> {
        vec![
            LineEntry::utfall(EntryPeriod::whole_year(2024).unwrap(), amt(dec!(-314902))),
            LineEntry::budget(EntryPeriod::whole_year(2024).unwrap(), amt(dec!(-309142))),
            LineEntry::utfall(EntryPeriod::whole_year(2023).unwrap(), amt(dec!(-308457))),
            LineEntry::utfall(month(2024, 8), amt(dec!(-31167))),
            LineEntry::budget(month(2024, 8), amt(dec!(-31568))),
            LineEntry::utfall(month(2023, 3), amt(dec!(-22214))),
            LineEntry::budget(month(2023, 3), amt(dec!(-23554))),
        ]
    }

    #[test]
    fn whole_year_beside_months_counts_each_reading_once() {
        let e = year_and_months_line();
        assert_eq!(validate_entries(&e), Ok(()));
        assert!(entries_nest(&e));
        // The year reads the whole-year values, not the year plus August.
        let h = line_figures(&e, ReportPeriod::helar(2024).unwrap()).unwrap();
        assert_eq!(h.utfall, Some(amt(dec!(-314902))));
        assert_eq!(h.avvikelse, Some(amt(dec!(-5760))));
        assert_eq!(h.helarsbudget, Some(amt(dec!(-309142))));
        assert_eq!(h.utfall_foregaende_ar, Some(amt(dec!(-308457))));
        assert_eq!(h.utfall_manad, None, "the year is not December's");
        // The delår reads August as its month; jan–aug would need to split
        // the year: absent, never August passed off as the delår.
        let d = line_figures(&e, delar(2024)).unwrap();
        assert_eq!(d.utfall_manad, Some(amt(dec!(-31167))));
        assert_eq!(d.avvikelse_manad, Some(amt(dec!(401))));
        assert_eq!((d.utfall, d.budget, d.avvikelse), (None, None, None));
        assert_eq!((d.utfall_ack, d.avvikelse_ack), (None, None));
        assert_eq!(d.helarsbudget, Some(amt(dec!(-309142))));
        assert_eq!(d.kvar_av_arets_budget, None);
        assert_eq!(d.utfall_foregaende_ar, None);
        // March 2023 as a month of its own.
        let m = line_figures(&e, ReportPeriod::month(ym(2023, 3))).unwrap();
        assert_eq!(m.utfall, Some(amt(dec!(-22214))));
        assert_eq!(m.avvikelse, Some(amt(dec!(1340))));
        assert_eq!(m.avvikelse_manad, Some(amt(dec!(1340))));
        assert_eq!(m.utfall_ack, None, "jan–feb are only inside the year");
        // No 2023 budget beside March: the year's budget is March's, as for
        // any line with months only.
        assert_eq!(m.helarsbudget, Some(amt(dec!(-23554))));
    }

    #[test]
    fn a_year_fully_given_in_months_reads_the_months_inside_it() {
        let mut e = monthly_line();
        e.push(LineEntry::utfall(
            EntryPeriod::whole_year(2024).unwrap(),
            amt(dec!(-125)),
        ));
        assert_eq!(validate_entries(&e), Ok(()));
        let d = line_figures(&e, delar(2024)).unwrap();
        assert_eq!(d.utfall, Some(amt(dec!(-80))), "jan–aug from its months");
        assert_eq!(d.utfall_ack, Some(amt(dec!(-80))));
        let h = line_figures(&e, ReportPeriod::helar(2024).unwrap()).unwrap();
        assert_eq!(h.utfall, Some(amt(dec!(-125))), "the year's own value");
        assert_eq!(h.utfall_manad, Some(amt(dec!(-10))));
        assert_eq!(h.budget, Some(amt(dec!(-132))));
    }

    #[test]
    fn three_levels_count_the_coarsest_that_fits() {
        let jan_aug = EntryPeriod::range(ym(2024, 1), ym(2024, 8)).unwrap();
        let e = [
            LineEntry::utfall(EntryPeriod::whole_year(2024).unwrap(), amt(dec!(-1200))),
            LineEntry::utfall(jan_aug, amt(dec!(-800))),
            LineEntry::utfall(month(2024, 8), amt(dec!(-100))),
            LineEntry::utfall(month(2024, 3), amt(dec!(-90))),
        ];
        assert_eq!(validate_entries(&e), Ok(()));
        let f = |p| line_figures(&e, p).unwrap();
        assert_eq!(f(delar(2024)).utfall, Some(amt(dec!(-800))));
        assert_eq!(f(delar(2024)).utfall_manad, Some(amt(dec!(-100))));
        assert_eq!(
            f(ReportPeriod::helar(2024).unwrap()).utfall,
            Some(amt(dec!(-1200)))
        );
        assert_eq!(
            f(ReportPeriod::month(ym(2024, 3))).utfall,
            Some(amt(dec!(-90)))
        );
        assert_eq!(f(ReportPeriod::month(ym(2024, 3))).utfall_ack, None);
        assert_eq!(
            f(ReportPeriod::new(2024, 1, 9).unwrap()).utfall,
            None,
            "september only in the year"
        );
        // A month outside every coarser value is a reading of its own.
        assert_eq!(f(ReportPeriod::new(2024, 3, 8).unwrap()).utfall, None);
    }

    #[test]
    fn entries_nest_only_when_months_are_shared() {
        assert!(!entries_nest(&monthly_line()));
        let mut e = monthly_line();
        e.push(LineEntry::prognos(ym(2024, 8), amt(dec!(1))));
        assert!(!entries_nest(&e), "prognoser are alternatives");
        e.push(LineEntry::budget(
            EntryPeriod::whole_year(2023).unwrap(),
            amt(dec!(1)),
        ));
        assert!(entries_nest(&e));
    }

    #[test]
    fn prognos_latest_at_or_before_period_end() {
        let mut e = monthly_line();
        e.push(LineEntry::prognos(ym(2024, 4), amt(dec!(-140))));
        e.push(LineEntry::prognos(ym(2024, 8), amt(dec!(-130))));
        e.push(LineEntry::prognos(ym(2024, 10), amt(dec!(-120))));
        e.push(LineEntry::prognos(ym(2023, 12), amt(dec!(-999))));
        let d = line_figures(&e, delar(2024)).unwrap();
        assert_eq!(d.helarsprognos, Some(amt(dec!(-130))));
        assert_eq!(d.prognos_avvikelse, Some(amt(dec!(2))));
        let apr = line_figures(&e, ReportPeriod::new(2024, 1, 4).unwrap()).unwrap();
        assert_eq!(apr.helarsprognos, Some(amt(dec!(-140))));
        let mar = line_figures(&e, ReportPeriod::new(2024, 1, 3).unwrap()).unwrap();
        assert_eq!(mar.helarsprognos, None, "2023's prognos is not for 2024");
        let dec_ = line_figures(&e, ReportPeriod::helar(2024).unwrap()).unwrap();
        assert_eq!(dec_.helarsprognos, Some(amt(dec!(-120))));
        assert_eq!(dec_.prognos_avvikelse, Some(amt(dec!(12))));
    }

    #[test]
    fn prognos_order_independent_and_same_month_summed() {
        let e = [
            LineEntry::prognos(ym(2024, 8), amt(dec!(-100))),
            LineEntry::prognos(ym(2024, 2), amt(dec!(-1))),
            LineEntry::prognos(ym(2024, 8), amt(dec!(-30))),
        ];
        let d = line_figures(&e, delar(2024)).unwrap();
        assert_eq!(d.helarsprognos, Some(amt(dec!(-130))));
        assert_eq!(d.prognos_avvikelse, None, "no budget");
    }

    mod exact_cover {
        use super::*;
        use proptest::prelude::*;

        /// A month range of 2024 as (first month, last month).
        fn range() -> impl Strategy<Value = (u32, u32)> {
            (1u32..=12, 0u32..=11).prop_map(|(m, len)| (m, (m + len).min(12)))
        }

        fn utfall(from: u32, to: u32, amount: Decimal) -> LineEntry {
            let p = EntryPeriod::range(ym(2024, from), ym(2024, to)).unwrap();
            LineEntry::utfall(p, amt(amount))
        }

        /// Money per month and the ranges of a laminar family built greedily
        /// from random ranges (those that would cross are dropped). Every
        /// entry holds exactly the money of its months: consistent readings.
        fn consistent_family(
            money: &[Decimal],
            ranges: &[(u32, u32)],
            with_all_months: bool,
        ) -> Vec<LineEntry> {
            let sum = |f: u32, t: u32| (f..=t).map(|m| money[m as usize - 1]).sum::<Decimal>();
            let mut entries: Vec<LineEntry> = Vec::new();
            if with_all_months {
                entries.extend((1..=12).map(|m| utfall(m, m, money[m as usize - 1])));
            }
            for &(f, t) in ranges {
                let candidate = utfall(f, t, sum(f, t));
                entries.push(candidate);
                if validate_entries(&entries).is_err() {
                    entries.pop();
                }
            }
            entries
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1000))]

            /// Whatever coarser values sit beside a complete month ledger,
            /// every window reads exactly the money of its months.
            #[test]
            fn complete_months_read_exactly_beside_any_coarser_values(
                money in proptest::collection::vec(-1_000_000i64..=1_000_000, 12),
                ranges in proptest::collection::vec(range(), 0..12),
                (first, last) in range(),
            ) {
                let money: Vec<Decimal> = money.into_iter().map(Decimal::from).collect();
                let entries = consistent_family(&money, &ranges, true);
                prop_assert_eq!(validate_entries(&entries), Ok(()));
                let f = line_figures(&entries, ReportPeriod::new(2024, first, last).unwrap()).unwrap();
                let sum = |a: u32, b: u32| (a..=b).map(|m| money[m as usize - 1]).sum::<Decimal>();
                prop_assert_eq!(f.utfall, Some(amt(sum(first, last))));
                prop_assert_eq!(f.utfall_ack, Some(amt(sum(1, last))));
                prop_assert_eq!(f.utfall_manad, Some(amt(money[last as usize - 1])));
            }

            /// With money that is never negative, no reading of any laminar
            /// family ever exceeds the money of the window: no month is
            /// counted twice.
            #[test]
            fn no_reading_counts_a_month_twice(
                money in proptest::collection::vec(0i64..=1_000_000, 12),
                ranges in proptest::collection::vec(range(), 0..16),
                with_all_months in any::<bool>(),
                (first, last) in range(),
            ) {
                let money: Vec<Decimal> = money.into_iter().map(Decimal::from).collect();
                let entries = consistent_family(&money, &ranges, with_all_months);
                prop_assert_eq!(validate_entries(&entries), Ok(()));
                let f = line_figures(&entries, ReportPeriod::new(2024, first, last).unwrap()).unwrap();
                let sum = |a: u32, b: u32| (a..=b).map(|m| money[m as usize - 1]).sum::<Decimal>();
                for (read, window) in [(f.utfall, sum(first, last)), (f.utfall_ack, sum(1, last)), (f.utfall_manad, money[last as usize - 1])] {
                    if let Some(r) = read {
                        prop_assert!(r.0 <= window, "{} > {}", r.0, window);
                    }
                }
            }

            /// Validation accepts exactly the families in which any two
            /// ranges are disjoint or strictly nested.
            #[test]
            fn validation_is_the_laminar_rule(ranges in proptest::collection::vec(range(), 0..6)) {
                let entries: Vec<LineEntry> = ranges.iter().map(|&(f, t)| utfall(f, t, Decimal::ONE)).collect();
                let laminar = ranges.iter().enumerate().all(|(i, &(f1, t1))| {
                    ranges[i + 1..].iter().all(|&(f2, t2)| {
                        let disjoint = t1 < f2 || t2 < f1;
                        let one_in_other = (f1 <= f2 && t2 <= t1) || (f2 <= f1 && t1 <= t2);
                        disjoint || (one_in_other && (f1, t1) != (f2, t2))
                    })
                });
                prop_assert_eq!(validate_entries(&entries).is_ok(), laminar);
            }

            /// Without nested entries the exact-cover reading is the additive
            /// one-pass reading.
            #[test]
            fn both_readings_agree_without_nesting(
                ranges in proptest::collection::vec((2023i32..=2024, range(), -1000i64..=1000, any::<bool>()), 0..16),
                (first, last) in range(),
            ) {
                let mut entries: Vec<LineEntry> = Vec::new();
                for (y, (f, t), a, is_budget) in ranges {
                    let p = EntryPeriod::range(ym(y, f), ym(y, t)).unwrap();
                    let measure = if is_budget { Measure::Budget } else { Measure::Utfall };
                    entries.push(LineEntry::new(p, measure, amt(Decimal::from(a))));
                    if entries_nest(&entries) {
                        entries.pop();
                    }
                }
                let period = ReportPeriod::new(2024, first, last).unwrap();
                prop_assert_eq!(
                    nested_base_figures(&entries, period).unwrap(),
                    additive_base_figures(&entries, period).unwrap()
                );
            }
        }
    }

    #[test]
    fn no_entries_all_absent() {
        let f = line_figures(&[], delar(2024)).unwrap();
        assert_eq!(f, LineFigures::default());
    }

    #[test]
    fn zero_budget_has_no_percent() {
        let e = [
            LineEntry::utfall(month(2024, 1), amt(dec!(-5))),
            LineEntry::budget(month(2024, 1), Amount::ZERO),
        ];
        let f = line_figures(&e, ReportPeriod::month(ym(2024, 1))).unwrap();
        assert_eq!(f.avvikelse, Some(amt(dec!(-5))));
        assert_eq!(f.avvikelse_procent, None);
    }

    #[test]
    fn overflow_is_an_error() {
        let e = [
            LineEntry::utfall(month(2024, 1), amt(Decimal::MAX)),
            LineEntry::utfall(month(2024, 2), amt(Decimal::MAX)),
        ];
        assert_eq!(line_figures(&e, delar(2024)), Err(DomainError::Overflow));
        let e = [
            LineEntry::utfall(month(2024, 1), amt(Decimal::MAX)),
            LineEntry::budget(month(2024, 1), amt(Decimal::MIN)),
        ];
        assert_eq!(line_figures(&e, delar(2024)), Err(DomainError::Overflow));
        let e = [
            LineEntry::prognos(ym(2024, 1), amt(Decimal::MAX)),
            LineEntry::prognos(ym(2024, 1), amt(Decimal::MAX)),
        ];
        assert_eq!(line_figures(&e, delar(2024)), Err(DomainError::Overflow));
    }

    fn fig(utfall: Option<Decimal>, budget: Option<Decimal>) -> LineFigures {
        LineFigures {
            utfall: utfall.map(Amount),
            budget: budget.map(Amount),
            ..Default::default()
        }
        .derive()
        .unwrap()
    }

    #[test]
    fn summing_options() {
        let a = fig(Some(dec!(-10)), Some(dec!(-12)));
        let b = fig(Some(dec!(-5)), None);
        let c = fig(None, None);
        let s = summa([&a, &b, &c]).unwrap();
        assert_eq!(s.utfall, Some(amt(dec!(-15))));
        assert_eq!(s.budget, Some(amt(dec!(-12))));
        assert_eq!(s.avvikelse, Some(amt(dec!(-3))), "recomputed from sums");
        assert_eq!(s.helarsbudget, None);
        assert_eq!(summa([&c, &c]).unwrap(), LineFigures::default());
        assert_eq!(summa([]).unwrap(), LineFigures::default());
        let huge = fig(Some(Decimal::MAX), None);
        assert_eq!(summa([&huge, &huge]), Err(DomainError::Overflow));
    }

    #[test]
    fn roll_up_nests_and_sums() {
        let lines = [
            BudgetLine {
                id: 51,
                parent: None,
                figures: LineFigures::default(),
            },
            BudgetLine {
                id: 10,
                parent: None,
                figures: fig(Some(dec!(-833)), Some(dec!(-904))),
            },
            BudgetLine {
                id: 511,
                parent: Some(51),
                figures: fig(Some(dec!(-3)), Some(dec!(757))),
            },
            BudgetLine {
                id: 512,
                parent: Some(51),
                figures: fig(Some(dec!(-64170)), Some(dec!(-63507))),
            },
            BudgetLine {
                id: 5121,
                parent: Some(512),
                figures: fig(Some(dec!(-1)), Some(dec!(-1))),
            },
        ];
        let tree = roll_up(&lines).unwrap();
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[0].id, 51);
        assert_eq!(tree[1].id, 10);
        let ao = &tree[0];
        assert_eq!(
            ao.children.iter().map(|c| c.id).collect::<Vec<_>>(),
            [511, 512]
        );
        assert_eq!(ao.children[1].children[0].id, 5121);
        assert_eq!(ao.children[1].figures.utfall, Some(amt(dec!(-64171))));
        assert_eq!(ao.figures.utfall, Some(amt(dec!(-64174))));
        assert_eq!(ao.figures.budget, Some(amt(dec!(-62751))));
        assert_eq!(ao.figures.avvikelse, Some(amt(dec!(-1423))));
        let total = summa(tree.iter().map(|l| &l.figures)).unwrap();
        assert_eq!(total.utfall, Some(amt(dec!(-65007))));
        assert_eq!(total.avvikelse, Some(amt(dec!(-1352))));
    }

    #[test]
    fn roll_up_errors() {
        let l = |id: u32, parent: Option<u32>| BudgetLine {
            id,
            parent,
            figures: LineFigures::default(),
        };
        assert_eq!(
            roll_up(&[l(1, None), l(1, None)]),
            Err(RollupError::DuplicateId { index: 1 })
        );
        assert_eq!(
            roll_up(&[l(1, None), l(2, Some(9))]),
            Err(RollupError::UnknownParent { index: 1 })
        );
        assert_eq!(
            roll_up(&[l(1, None), l(2, Some(3)), l(3, Some(2))]),
            Err(RollupError::Cycle)
        );
        assert_eq!(roll_up(&[l(1, Some(1))]), Err(RollupError::Cycle));
        let chain: Vec<_> = (0..=MAX_ROLLUP_DEPTH as u32)
            .map(|i| l(i, i.checked_sub(1)))
            .collect();
        assert_eq!(roll_up(&chain), Err(RollupError::TooDeep));
        assert_eq!(roll_up(&chain[..MAX_ROLLUP_DEPTH]).map(|t| t.len()), Ok(1));
        assert_eq!(roll_up::<u32>(&[]), Ok(vec![]));
        let huge = BudgetLine {
            id: 2,
            parent: Some(1),
            figures: fig(Some(Decimal::MAX), None),
        };
        let huge2 = BudgetLine {
            id: 3,
            parent: Some(1),
            ..huge
        };
        assert_eq!(
            roll_up(&[l(1, None), huge, huge2]),
            Err(RollupError::Overflow(DomainError::Overflow))
        );
    }

    #[test]
    fn parent_own_entries_are_added_to_children() {
        let lines = [
            BudgetLine {
                id: "p",
                parent: None,
                figures: fig(Some(dec!(-1)), None),
            },
            BudgetLine {
                id: "c",
                parent: Some("p"),
                figures: fig(Some(dec!(-2)), Some(dec!(-2))),
            },
        ];
        let tree = roll_up(&lines).unwrap();
        assert_eq!(tree[0].figures.utfall, Some(amt(dec!(-3))));
        assert_eq!(tree[0].figures.avvikelse, Some(amt(dec!(-1))));
    }
}
