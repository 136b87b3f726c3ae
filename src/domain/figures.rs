//! Budget lines: monthly and whole-period entries aggregated to the figures
//! of a report period, and the roll-up of lines into totals.

use std::collections::HashMap;
use std::hash::Hash;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::DomainError;
use super::money::{Amount, Percent, avvikelse_procent};
use super::period::{ReportPeriod, YearMonth, YearMonthError};

/// What a figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Actual outcome.
    Utfall,
    /// Budgeted amount.
    Budget,
    /// Forecast for the full year, made at a given month.
    Prognos,
}

/// Kind of budget line: a row of the driftredovisning (verksamhetsområde) or
/// of the investeringsredovisning (huvudprojekt). The rules are the same for
/// both; for investments `avvikelse` is "Kvar av årets budget".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetLineKind {
    /// Operating line (verksamhetsområde).
    Drift,
    /// Investment line (huvudprojekt).
    Investering,
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
    /// Two utfall (or budget) entries of one line cover the same month.
    #[error("{measure:?} entries cover {month} more than once")]
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
        let (f, t) = (self.from.month(), self.to.month());
        // 1 <= f <= t <= 12: no shift overflows a u16.
        ((1u16 << (t + 1)) - 1) & !((1u16 << f) - 1)
    }
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

/// Checks that no two utfall entries, and no two budget entries, of one line
/// cover the same month (entries are added up, so an overlap would count a
/// month twice). Prognos entries are not checked: they are alternatives, of
/// which the latest is used.
pub fn validate_entries(entries: &[LineEntry]) -> Result<(), EntryError> {
    let mut covered: HashMap<(i32, Measure), u16> = HashMap::new();
    for e in entries {
        if e.measure == Measure::Prognos {
            continue;
        }
        let mask = e.period.mask();
        let seen = covered.entry((e.period.year(), e.measure)).or_insert(0);
        let clash = *seen & mask;
        if clash != 0 {
            let month = YearMonth::new(e.period.year(), clash.trailing_zeros())?;
            return Err(EntryError::Overlap {
                measure: e.measure,
                month,
            });
        }
        *seen |= mask;
    }
    Ok(())
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

/// Computes a line's [`LineFigures`] for `period` from its entries, in one
/// pass.
///
/// An entry counts towards a window (the period, its last month, January to
/// its last month, the year, and the same windows of the previous year) when
/// all the months it covers lie in the window; whole-period entries are never
/// split. Entries are added up (see [`validate_entries`]).
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
    let year = period.year();
    let prev_year = year - 1;
    let first = period.first_month();
    let last = period.last_month();

    // Each utfall/budget entry lands in exactly one bucket (period, before
    // the period, after it), plus the month bucket when it is the last
    // month; ack and full-year values are sums of buckets.
    let mut utfall = None;
    let mut utfall_before = None;
    let mut utfall_manad = None;
    let mut budget = None;
    let mut budget_before = None;
    let mut budget_after = None;
    let mut budget_manad = None;
    let mut utfall_fg = None;
    let mut utfall_fg_before = None;
    let mut prognos: Option<Decimal> = None;
    let mut prognos_made: Option<YearMonth> = None;

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
            Measure::Prognos => {
                let made = e.period.to;
                if ey == year && tm <= last {
                    match prognos_made {
                        Some(p) if made < p => {}
                        Some(p) if made == p => add(&mut prognos, v)?,
                        _ => {
                            prognos_made = Some(made);
                            prognos = Some(v);
                        }
                    }
                }
            }
        }
    }

    let utfall = utfall.map(Amount);
    let budget = budget.map(Amount);
    let utfall_fg = utfall_fg.map(Amount);
    let utfall_ack = opt_add(utfall_before.map(Amount), utfall)?;
    let budget_ack = opt_add(budget_before.map(Amount), budget)?;
    LineFigures {
        utfall,
        budget,
        utfall_manad: utfall_manad.map(Amount),
        budget_manad: budget_manad.map(Amount),
        utfall_ack,
        budget_ack,
        helarsbudget: opt_add(budget_ack, budget_after.map(Amount))?,
        helarsprognos: prognos.map(Amount),
        utfall_foregaende_ar: utfall_fg,
        utfall_ack_foregaende_ar: opt_add(utfall_fg_before.map(Amount), utfall_fg)?,
        ..LineFigures::default()
    }
    .derive()
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
        assert_eq!(
            validate_entries(&e),
            Err(EntryError::Overlap {
                measure: Measure::Utfall,
                month: ym(2024, 3)
            })
        );
        let whole_and_month = [
            LineEntry::budget(EntryPeriod::whole_year(2024).unwrap(), amt(dec!(1))),
            LineEntry::budget(month(2024, 12), amt(dec!(1))),
        ];
        assert!(validate_entries(&whole_and_month).is_err());
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
