//! `kommunrapport bench-views`: generates a large kommun (by default 25
//! nämnder × 300 budget lines × 12 months × 5 years, 400 indicators × 10
//! years, goals, uppdrag and reports) with bulk inserts, starts the real
//! application in-process on 127.0.0.1:0 and times sequential HTTP GETs of
//! the kommunledning's consolidated views (issue 8).
//!
//! Tooling, not a request path: rows are written straight through the
//! entities (`insert_many` in chunks, one transaction for the whole kommun,
//! so a kommun that exists is complete) and the HTTP client is a tiny
//! blocking HTTP/1.1 client over a keep-alive `std::net::TcpStream`.
//!
//! `--kommuner N` is the scale simulation: N − 1 more kommuner of the same
//! size (codes 9000, 9001, …) share every table with the measured one, so
//! the timings show whether one kommun's views grow with the number of
//! kommuner on a deployment (they must not: `kommun_id` leads every index).

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    auth::{Role, TokenService},
    config::Settings,
    domain::{
        Bedomning, BudgetLineKind, Gender, GoalKind, Measure, OverrideKind, Polarity, ValueSource,
        structure::{
            AssignmentStatus, NamndKind, PeriodKind, PeriodSpec, ReportStatus, ReportType,
        },
    },
    entity::{
        action_plan, assessment, assignment, assignment_namnd, assignment_status, audit_log,
        budget_line, budget_prognos_step, budget_value, budget_value_total, change_counter,
        change_feed, goal, goal_area, goal_indicator, goal_namnd, indicator, indicator_override,
        indicator_riktvarde, indicator_value, key_figure, kommun, namnd, period, report,
        report_section, report_version, volume_measure, volume_value,
    },
    service::{self, versions},
    startup::{Application, connect},
};

/// SCB-style code of the generated kommun (not a real kommun).
pub const BENCH_KOMMUN_CODE: &str = "9999";
const BENCH_KOMMUN_NAME: &str = "Benchkommun";
/// The last year generated; earlier years count back from it.
const LAST_YEAR: i32 = 2025;
/// Rows per INSERT statement.
const CHUNK: usize = 1000;
/// Warm-up requests per view before timing.
const WARMUP: usize = 3;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Database to generate into and serve from (default: DATABASE_URL).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Number of nämnder.
    #[arg(long, default_value_t = 25)]
    pub namnder: usize,
    /// Budget lines per nämnd (a fifth investering, the rest drift; every
    /// tenth line of a kind is a parent of the nine after it).
    #[arg(long, default_value_t = 300)]
    pub lines: usize,
    /// Years of monthly utfall and budget (ending 2025), plus a prognos per line and year.
    #[arg(long, default_value_t = 5)]
    pub years: usize,
    /// Number of indicators (linked five to a resultatmål).
    #[arg(long, default_value_t = 400)]
    pub indicators: usize,
    /// Years of indicator values and riktvärden (ending 2025).
    #[arg(long, default_value_t = 10)]
    pub indicator_years: usize,
    /// Timed requests per view.
    #[arg(long, default_value_t = 50)]
    pub iterations: usize,
    /// Kommuner on the deployment: the measured one and N − 1 more of the
    /// same size (codes 9000–9899), generated when missing and removed when
    /// beyond N.
    #[arg(long, default_value_t = 1)]
    pub kommuner: usize,
    /// Delete the bench kommun first if it exists and generate it again.
    #[arg(long)]
    pub regenerate: bool,
}

/// SCB-style code of the `index`th other kommun of the scale simulation.
fn peer_code(index: usize) -> String {
    format!("9{index:03}")
}

/// Makes the other kommuner of the simulation exactly `count` (0 when only
/// the measured one is wanted): generates the missing ones, each in its own
/// transaction, and deletes those beyond.
async fn provide_peers(
    db: &DatabaseConnection,
    args: &BenchArgs,
    count: usize,
) -> Result<(), String> {
    let existing = kommun::Entity::find()
        // 9000–9899: 9998 is bench-import's kommun, 9999 the measured one.
        .filter(kommun::Column::Code.between("9000", "9899"))
        .all(db)
        .await
        .map_err(db_err)?;
    for k in &existing {
        let wanted = (0..count).any(|i| peer_code(i) == k.code);
        if !wanted || args.regenerate {
            delete_kommun(db, k.id).await.map_err(db_err)?;
        }
    }
    let started = Instant::now();
    let mut generated = 0;
    for i in 0..count {
        let code = peer_code(i);
        let kept = existing.iter().any(|k| k.code == code) && !args.regenerate;
        if kept {
            continue;
        }
        let txn = db.begin().await.map_err(db_err)?;
        generate(&txn, args, &code, &format!("Kommun {code}"))
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        generated += 1;
    }
    if generated > 0 {
        eprintln!(
            "generated {generated} other kommuner in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Generates (unless present) and benchmarks; prints the figures to stdout.
pub async fn run(mut settings: Settings, args: BenchArgs) -> Result<(), String> {
    if let Some(url) = &args.database_url {
        settings.database_url = url.clone();
    }
    if args.namnder == 0 || args.lines == 0 || args.years == 0 || args.iterations == 0 {
        return Err("--namnder, --lines, --years and --iterations must be at least 1".into());
    }
    if args.kommuner == 0 || args.kommuner > 901 {
        return Err("--kommuner must be 1–901".into());
    }
    let db = connect(&settings.database_url)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    {
        use migration::{Migrator, MigratorTrait};
        Migrator::up(&db, None)
            .await
            .map_err(|e| format!("migrations failed: {e}"))?;
    }
    let existing = kommun::Entity::find()
        .filter(kommun::Column::Code.eq(BENCH_KOMMUN_CODE))
        .one(&db)
        .await
        .map_err(db_err)?;
    let kommun_id = match existing {
        Some(k) if !args.regenerate => {
            eprintln!(
                "{BENCH_KOMMUN_NAME} ({BENCH_KOMMUN_CODE}) exists: generation skipped \
                 (--regenerate to generate it again)"
            );
            k.id
        }
        existing => {
            if let Some(k) = existing {
                let started = Instant::now();
                delete_kommun(&db, k.id).await.map_err(db_err)?;
                eprintln!(
                    "deleted the old {BENCH_KOMMUN_NAME} in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
            let started = Instant::now();
            let txn = db.begin().await.map_err(db_err)?;
            let id = generate(&txn, &args, BENCH_KOMMUN_CODE, BENCH_KOMMUN_NAME)
                .await
                .map_err(db_err)?;
            txn.commit().await.map_err(db_err)?;
            eprintln!(
                "generated {BENCH_KOMMUN_NAME} in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            tidy_after_load(&db).await?;
            id
        }
    };
    provide_peers(&db, &args, args.kommuner - 1).await?;
    print_counts(&db, kommun_id).await.map_err(db_err)?;
    let kommuner = kommun::Entity::find().count(&db).await.map_err(db_err)?;
    let values = budget_value::Entity::find()
        .count(&db)
        .await
        .map_err(db_err)?;
    println!("kommuner on the deployment: {kommuner}; budget values of all: {values}");
    let views = views(&db, kommun_id).await?;

    settings.bind_address = "127.0.0.1:0".into();
    settings.run_migrations = false;
    settings.auto_seed_demo = false;
    settings.rate_limit_per_minute = 0;
    let token = TokenService::new(&settings.jwt).issue(
        "bench-views",
        Role::Kommunledning,
        BENCH_KOMMUN_CODE,
        &[],
        Duration::from_secs(3600),
    )?;
    let app = Application::build(settings).await?;
    let port = app.port();
    let server = tokio::spawn(app.run_until_stopped());
    let iterations = args.iterations;
    let results = tokio::task::spawn_blocking(move || measure(port, &token, &views, iterations))
        .await
        .map_err(|e| format!("benchmark thread: {e}"))?;
    server.abort();
    let results = results?;
    println!();
    println!(
        "{iterations} sequential requests per view after {WARMUP} warm-up, one keep-alive connection:"
    );
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "view", "first ms", "median ms", "p95 ms", "max ms", "min ms", "body bytes"
    );
    for r in &results {
        match &r.timings {
            Some(t) => println!(
                "{:<34} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>10}",
                r.name, r.first_ms, t.median, t.p95, t.max, t.min, r.body_bytes
            ),
            None => println!("{:<34} not available ({})", r.name, r.path),
        }
    }
    Ok(())
}

/// On PostgreSQL, what the service and autovacuum would have done after
/// the generator's bulk writes around the service: `VACUUM` the rows of a
/// deleted earlier bench kommun (the planner otherwise walks a million dead
/// index entries to find a column's range: 15 ms to plan the drill-down
/// where 0.5 ms is usual; this machine's cluster runs without autovacuum)
/// and `ANALYZE` the new rows, as the service does after a bulk import.
async fn tidy_after_load(db: &DatabaseConnection) -> Result<(), String> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let started = Instant::now();
    db.execute_unprepared("VACUUM ANALYZE")
        .await
        .map_err(db_err)?;
    eprintln!("VACUUM ANALYZE in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn db_err(e: DbErr) -> String {
    format!("database: {e}")
}

// ---------------------------------------------------------------------------
// Generation

/// Deterministic pseudo-random numbers (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (hi > lo).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.saturating_sub(lo).max(1) as u64;
        lo + (self.next() % span) as i64
    }
}

/// Rows buffered and written `CHUNK` at a time.
struct Bulk<A: ActiveModelTrait> {
    rows: Vec<A>,
    written: u64,
}

impl<A: ActiveModelTrait + Send> Bulk<A> {
    fn new() -> Self {
        Bulk {
            rows: Vec::with_capacity(CHUNK),
            written: 0,
        }
    }

    async fn push(&mut self, db: &impl ConnectionTrait, row: A) -> Result<(), DbErr> {
        self.rows.push(row);
        if self.rows.len() >= CHUNK {
            self.flush(db).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, db: &impl ConnectionTrait) -> Result<u64, DbErr> {
        if !self.rows.is_empty() {
            let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(CHUNK));
            self.written += A::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await?;
        }
        Ok(self.written)
    }
}

/// Writes `rows` in chunks (for children collected until their parents are written).
async fn insert_all<A: ActiveModelTrait + Send>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
) -> Result<u64, DbErr> {
    let mut bulk = Bulk::new();
    for row in rows {
        bulk.push(db, row).await?;
    }
    bulk.flush(db).await
}

fn bad(what: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("bench data: {what}"))
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, DbErr> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| bad(format!("date {y}-{m}-{d}")))
}

fn at(y: i32, m: u32, d: u32) -> Result<DateTime<Utc>, DbErr> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0)
        .single()
        .ok_or_else(|| bad(format!("time {y}-{m}-{d}")))
}

struct Period {
    id: Uuid,
    year: i32,
    kind: PeriodKind,
}

/// One report: its nämnd index and year.
struct GenReport {
    id: Uuid,
    namnd: usize,
    year: i32,
    godkand: bool,
}

async fn generate(
    db: &impl ConnectionTrait,
    args: &BenchArgs,
    code: &str,
    name: &str,
) -> Result<Uuid, DbErr> {
    let now = Utc::now();
    let mut rng = Rng(0x6b6f_6d6d_756e);
    let kommun_id = Uuid::now_v7();
    let first_year = LAST_YEAR - args.years as i32 + 1;
    kommun::Entity::insert(
        kommun::Model {
            id: kommun_id,
            code: code.into(),
            name: name.into(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await?;

    // Nämnder.
    let width = args.namnder.to_string().len().max(2);
    let mut namnder = Vec::with_capacity(args.namnder);
    let mut bulk = Bulk::new();
    for i in 0..args.namnder {
        let id = Uuid::now_v7();
        namnder.push(id);
        bulk.push(
            db,
            namnd::Model {
                id,
                kommun_id,
                code: format!("N{:0width$}", i + 1),
                name: format!("Benchnämnd {:0width$}", i + 1),
                kind: NamndKind::Namnd,
                version: 1,
                created_at: now,
                updated_at: now,
            }
            .into_active_model(),
        )
        .await?;
    }
    bulk.flush(db).await?;

    // Periods: helår and delår of every year of either series.
    let first_period_year = first_year.min(LAST_YEAR - args.indicator_years.max(1) as i32 + 1);
    let mut periods = Vec::new();
    let mut bulk = Bulk::new();
    for year in first_period_year..=LAST_YEAR {
        for kind in [PeriodKind::Delar, PeriodKind::Helar] {
            let spec =
                PeriodSpec::new(kind, year, None).map_err(|(f, e)| bad(format!("{f}: {e}")))?;
            let id = Uuid::now_v7();
            periods.push(Period { id, year, kind });
            bulk.push(
                db,
                period::Model {
                    id,
                    kommun_id,
                    kind,
                    year,
                    number: 0,
                    start_date: spec.start_date(),
                    end_date: spec.end_date(),
                    closed_at: None,
                    closed_by: None,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                }
                .into_active_model(),
            )
            .await?;
        }
    }
    bulk.flush(db).await?;

    // Budget lines (a parent always before its children), then their values.
    let investering_per_namnd = args.lines / 5;
    let mut line_ids = Vec::with_capacity(args.namnder * args.lines);
    let mut lines = Bulk::new();
    for &namnd_id in &namnder {
        for (kind, count) in [
            (BudgetLineKind::Drift, args.lines - investering_per_namnd),
            (BudgetLineKind::Investering, investering_per_namnd),
        ] {
            let (prefix, name) = if kind == BudgetLineKind::Drift {
                ("D", "Verksamhet")
            } else {
                ("I", "Projekt")
            };
            let mut parent = None;
            for i in 0..count {
                let id = Uuid::now_v7();
                let is_parent = i % 10 == 0;
                line_ids.push(id);
                lines
                    .push(
                        db,
                        budget_line::Model {
                            id,
                            kommun_id,
                            namnd_id,
                            kind,
                            code: format!("{prefix}{:04}", i + 1),
                            name: format!("{name} {:04}", i + 1),
                            parent_id: if is_parent { None } else { parent },
                            planned_completion: (kind == BudgetLineKind::Investering)
                                .then_some(LAST_YEAR + (i % 3) as i32),
                            position: i as i32,
                            version: 1,
                            created_at: now,
                            updated_at: now,
                        }
                        .into_active_model(),
                    )
                    .await?;
                if is_parent {
                    parent = Some(id);
                }
            }
        }
    }
    lines.flush(db).await?;
    let mut values = Bulk::new();
    for &line_id in &line_ids {
        // Yearly budget 0.5–20 Mkr (in öre), costs negative.
        let yearly = -rng.range(50_000_000, 2_000_000_000);
        let monthly = yearly / 12;
        for year in first_year..=LAST_YEAR {
            for month in 1..=12 {
                let key = year * 100 + month;
                let utfall = monthly / 100 * rng.range(90, 111);
                for (measure, amount) in [(Measure::Budget, monthly), (Measure::Utfall, utfall)] {
                    values
                        .push(
                            db,
                            budget_value::Model {
                                id: Uuid::now_v7(),
                                kommun_id,
                                line_id,
                                measure,
                                from_month: key,
                                to_month: key,
                                amount_ore: amount,
                                updated_at: now,
                            }
                            .into_active_model(),
                        )
                        .await?;
                }
            }
            // A prognos for the year, made in August.
            values
                .push(
                    db,
                    budget_value::Model {
                        id: Uuid::now_v7(),
                        kommun_id,
                        line_id,
                        measure: Measure::Prognos,
                        from_month: year * 100 + 8,
                        to_month: year * 100 + 8,
                        amount_ore: yearly / 100 * rng.range(95, 106),
                        updated_at: now,
                    }
                    .into_active_model(),
                )
                .await?;
        }
    }
    values.flush(db).await?;
    // The values went in around the service: sum them as it would have.
    crate::service::budget_totals::rebuild_kommun(db, kommun_id).await?;

    // Reports: an årsredovisning per nämnd and year; in the last year one in
    // four nämnder has none yet and the others are in utkast, for_beslut or
    // godkand.
    let mut reports = Vec::new();
    let mut bulk = Bulk::new();
    for p in periods
        .iter()
        .filter(|p| p.kind == PeriodKind::Helar && p.year >= first_year)
    {
        for (n, &namnd_id) in namnder.iter().enumerate() {
            let status = if p.year < LAST_YEAR {
                ReportStatus::Godkand
            } else {
                match n % 4 {
                    0 => continue,
                    1 => ReportStatus::Utkast,
                    2 => ReportStatus::ForBeslut,
                    _ => ReportStatus::Godkand,
                }
            };
            let next = p.year + 1;
            let id = Uuid::now_v7();
            let godkand = status == ReportStatus::Godkand;
            reports.push(GenReport {
                id,
                namnd: n,
                year: p.year,
                godkand,
            });
            bulk.push(
                db,
                report::Model {
                    id,
                    kommun_id,
                    namnd_id,
                    period_id: p.id,
                    report_type: ReportType::Arsredovisning,
                    status,
                    beslut_datum: godkand.then(|| date(next, 2, 27)).transpose()?,
                    beslut_paragraf: godkand.then(|| format!("§ {}", 10 + n)),
                    status_reason: None,
                    submitted_at: (status != ReportStatus::Utkast)
                        .then(|| at(next, 2, 10))
                        .transpose()?,
                    approved_at: godkand.then(|| at(next, 2, 27)).transpose()?,
                    diarienummer: None,
                    version: 1,
                    created_at: at(next, 1, 15)?,
                    updated_at: at(next, 2, 27)?,
                }
                .into_active_model(),
            )
            .await?;
        }
    }
    bulk.flush(db).await?;

    // Goal areas, resultatmål (five indicators each) and their nämnder.
    let area_count = 8;
    let mut areas = Vec::new();
    let mut bulk = Bulk::new();
    for a in 0..area_count {
        let id = Uuid::now_v7();
        areas.push(id);
        bulk.push(
            db,
            goal_area::Model {
                id,
                kommun_id,
                plan: format!("Benchplan {first_year}–{LAST_YEAR}"),
                name: format!("Målområde {}", a + 1),
                from_year: Some(first_year),
                to_year: Some(LAST_YEAR),
                position: a,
                version: 1,
                created_at: now,
                updated_at: now,
            }
            .into_active_model(),
        )
        .await?;
    }
    bulk.flush(db).await?;

    let goal_count = args.indicators.div_ceil(5).max(1);
    let n = namnder.len();
    // Per goal: (id, alla, responsible nämnd indexes).
    let mut goals: Vec<(Uuid, Vec<usize>)> = Vec::with_capacity(goal_count);
    let mut bulk = Bulk::new();
    let mut links = Vec::new();
    for g in 0..goal_count {
        let id = Uuid::now_v7();
        let alla = g % 10 == 0;
        let huvud = g % n;
        let medansvar: Vec<usize> = if alla {
            vec![]
        } else {
            [(g + 1) % n, (g + 2) % n]
                .into_iter()
                .filter(|m| *m != huvud)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let responsible = if alla {
            (0..n).collect()
        } else {
            std::iter::once(huvud)
                .chain(medansvar.iter().copied())
                .collect()
        };
        goals.push((id, responsible));
        bulk.push(
            db,
            goal::Model {
                id,
                kommun_id,
                kind: GoalKind::Kommun,
                goal_area_id: Some(areas[g % areas.len()]),
                title: format!("Resultatmål {}", g + 1),
                description: Some("Genererat för prestandamätning".into()),
                huvudansvar_id: Some(namnder[huvud]),
                alla_namnder: alla,
                agenda2030: format!("{}", g % 17 + 1),
                bar_pa_goal_id: None,
                bar_pa: None,
                target_year: Some(LAST_YEAR),
                target_value: None,
                target_text: None,
                position: g as i32,
                version: 1,
                created_at: now,
                updated_at: now,
            }
            .into_active_model(),
        )
        .await?;
        for (pos, m) in medansvar.iter().enumerate() {
            links.push(
                goal_namnd::Model {
                    id: Uuid::now_v7(),
                    kommun_id,
                    goal_id: id,
                    namnd_id: namnder[*m],
                    position: pos as i32,
                }
                .into_active_model(),
            );
        }
    }
    bulk.flush(db).await?;
    insert_all(db, links).await?;

    // Indicators with values per year (and gender for every fourth),
    // riktvärden (a text target for every twentieth) and a few overrides.
    let first_ind_year = LAST_YEAR - args.indicator_years as i32 + 1;
    let mut inds = Bulk::new();
    let mut goal_links = Vec::new();
    let mut ind_values = Vec::new();
    let mut riktvarden = Vec::new();
    let mut overrides = Vec::new();
    for k in 0..args.indicators {
        let id = Uuid::now_v7();
        let higher_better = k % 3 != 0;
        let gendered = k % 4 == 0;
        inds.push(
            db,
            indicator::Model {
                id,
                kommun_id,
                name: format!("Benchindikator {:04}, andel (%)", k + 1),
                unit: "%".into(),
                polarity: if higher_better {
                    Polarity::HogreArBattre
                } else {
                    Polarity::LagreArBattre
                },
                trend_threshold: "2".into(),
                source: Some("Kolada".into()),
                kolada_id: Some(format!("B{:05}", k + 1)),
                divided_by_gender: gendered,
                position: k as i32,
                version: 1,
                created_at: now,
                updated_at: now,
                description: None,
                polarity_confirmed: true,
            }
            .into_active_model(),
        )
        .await?;
        // Every indicator to one goal; every seventh to the next goal as well.
        let mut linked = vec![k % goal_count];
        if k % 7 == 0 && goal_count > 1 {
            linked.push((k + 1) % goal_count);
        }
        for g in linked {
            goal_links.push(
                goal_indicator::Model {
                    id: Uuid::now_v7(),
                    kommun_id,
                    goal_id: goals[g].0,
                    indicator_id: id,
                    position: (k / goal_count) as i32,
                }
                .into_active_model(),
            );
        }
        let base = rng.range(300, 900); // tenths of a percent
        let slope = rng.range(-15, 16);
        for (y, year) in (first_ind_year..=LAST_YEAR).enumerate() {
            let total = base + slope * y as i64 + rng.range(-20, 21);
            let genders: &[(Gender, i64)] = if gendered {
                &[(Gender::T, 0), (Gender::K, 15), (Gender::M, -15)]
            } else {
                &[(Gender::T, 0)]
            };
            for &(gender, offset) in genders {
                let v = (total + offset).clamp(0, 1000);
                ind_values.push(
                    indicator_value::Model {
                        id: Uuid::now_v7(),
                        kommun_id,
                        indicator_id: id,
                        year,
                        gender,
                        value: Some(format!("{}.{}", v / 10, v % 10)),
                        status: None,
                        note: None,
                        updated_at: now,
                        source: ValueSource::Import,
                        fetched_at: None,
                        kolada_value: None,
                        kolada_status: None,
                    }
                    .into_active_model(),
                );
            }
            let (value, text) = if k % 20 == 19 {
                (None, Some("öka".to_string()))
            } else {
                let target = (base + slope * y as i64 + 20).clamp(0, 1000);
                (Some(format!("{}", target / 10)), None)
            };
            riktvarden.push(
                indicator_riktvarde::Model {
                    id: Uuid::now_v7(),
                    kommun_id,
                    indicator_id: id,
                    year,
                    value,
                    text,
                    updated_at: now,
                }
                .into_active_model(),
            );
        }
        if k % 50 == 0 {
            overrides.push(
                indicator_override::Model {
                    id: Uuid::now_v7(),
                    kommun_id,
                    indicator_id: id,
                    year: LAST_YEAR,
                    kind: OverrideKind::Bedomning,
                    value: Bedomning::Gul.as_str().into(),
                    reason: "Bedömd för hand i prestandamätningen".into(),
                    updated_at: now,
                }
                .into_active_model(),
            );
        }
    }
    inds.flush(db).await?;
    insert_all(db, goal_links).await?;
    insert_all(db, ind_values).await?;
    insert_all(db, riktvarden).await?;
    insert_all(db, overrides).await?;

    // Assessments: every report assesses the goals its nämnd answers for.
    let colours = [
        Bedomning::Gron,
        Bedomning::Gul,
        Bedomning::Rod,
        Bedomning::Gron,
        Bedomning::Ingen,
    ];
    let mut bulk = Bulk::new();
    for r in &reports {
        for (g, (goal_id, responsible)) in goals.iter().enumerate() {
            if !responsible.contains(&r.namnd) {
                continue;
            }
            bulk.push(
                db,
                assessment::Model {
                    id: Uuid::now_v7(),
                    kommun_id,
                    report_id: r.id,
                    goal_id: *goal_id,
                    bedomning: colours[(g + r.namnd + r.year as usize) % colours.len()],
                    comment: format!("Bedömning av resultatmål {} för {}", g + 1, r.year),
                    version: 1,
                    created_at: now,
                    updated_at: now,
                }
                .into_active_model(),
            )
            .await?;
        }
    }
    bulk.flush(db).await?;

    // Uppdrag: four per nämnd, every tenth for all nämnder, with a
    // medansvarig; a status per report of each responsible nämnd.
    let statuses = [
        AssignmentStatus::EjStartad,
        AssignmentStatus::Paborjad,
        AssignmentStatus::Klar,
        AssignmentStatus::Paborjad,
        AssignmentStatus::Stoppad,
    ];
    let mut bulk = Bulk::new();
    let mut links = Vec::new();
    let mut assignments: Vec<(Uuid, Vec<usize>)> = Vec::new();
    for u in 0..4 * n {
        let id = Uuid::now_v7();
        let alla = u % 10 == 0;
        let huvud = u % n;
        let med = (u + 3) % n;
        let responsible: Vec<usize> = if alla {
            (0..n).collect()
        } else if med != huvud {
            vec![huvud, med]
        } else {
            vec![huvud]
        };
        bulk.push(
            db,
            assignment::Model {
                id,
                kommun_id,
                plan: Some(format!("Benchplan {first_year}–{LAST_YEAR}")),
                goal_area_id: Some(areas[u % areas.len()]),
                goal_id: Some(goals[u % goals.len()].0),
                title: format!("Uppdrag {}", u + 1),
                description: Some("Genererat för prestandamätning".into()),
                huvudansvar_id: Some(namnder[huvud]),
                alla_namnder: alla,
                planned_start: Some(date(first_year, 1, 1)?),
                slutdatum: Some(date(LAST_YEAR, 12, 31)?),
                sarskilt: u % 3 == 0,
                position: u as i32,
                version: 1,
                created_at: now,
                updated_at: now,
            }
            .into_active_model(),
        )
        .await?;
        if !alla && med != huvud {
            links.push(
                assignment_namnd::Model {
                    id: Uuid::now_v7(),
                    kommun_id,
                    assignment_id: id,
                    namnd_id: namnder[med],
                    position: 0,
                }
                .into_active_model(),
            );
        }
        assignments.push((id, responsible));
    }
    bulk.flush(db).await?;
    insert_all(db, links).await?;
    let mut bulk = Bulk::new();
    for r in &reports {
        for (u, (assignment_id, responsible)) in assignments.iter().enumerate() {
            if !responsible.contains(&r.namnd) {
                continue;
            }
            bulk.push(
                db,
                assignment_status::Model {
                    id: Uuid::now_v7(),
                    kommun_id,
                    report_id: r.id,
                    assignment_id: *assignment_id,
                    status: Some(statuses[(u + r.year as usize) % statuses.len()]),
                    comment: Some(format!("Lägesrapport {}", r.year)),
                    version: 1,
                    created_at: now,
                    updated_at: now,
                }
                .into_active_model(),
            )
            .await?;
        }
    }
    bulk.flush(db).await?;
    decide_approved(db, kommun_id, &reports).await?;
    Ok(kommun_id)
}

/// Stores the decided version of every approved report, as approving
/// through the service does: the kommun's compilation and a report's reads
/// serve what was decided, not live figures.
async fn decide_approved(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    reports: &[GenReport],
) -> Result<(), DbErr> {
    let failed = |e: String| DbErr::Custom(format!("decided version: {e}"));
    let mut bulk = Bulk::new();
    for r in reports.iter().filter(|r| r.godkand) {
        let ctx = service::reports::load(db, kommun_id, r.id)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let document = crate::api::reports::document(db, &ctx)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let (Some(beslut_datum), Some(beslut_paragraf), Some(decided_at)) = (
            ctx.report.beslut_datum,
            ctx.report.beslut_paragraf.clone(),
            ctx.report.approved_at,
        ) else {
            return Err(failed(format!("report {} has no decision", r.id)));
        };
        let decision = versions::Decision {
            beslut_datum,
            beslut_paragraf,
            diarienummer: None,
        };
        bulk.push(
            db,
            versions::next_version(
                &ctx.report,
                None,
                &decision,
                &document,
                (decided_at, "bench".into()),
            )
            .into_active_model(),
        )
        .await?;
    }
    bulk.flush(db).await?;
    Ok(())
}

/// Deletes every row of the kommun, children before parents.
pub(crate) async fn delete_kommun(db: &DatabaseConnection, kommun_id: Uuid) -> Result<(), DbErr> {
    macro_rules! delete {
        ($txn:expr, $($entity:ident),+) => {
            $(
                $entity::Entity::delete_many()
                    .filter($entity::Column::KommunId.eq(kommun_id))
                    .exec($txn)
                    .await?;
            )+
        };
    }
    let txn = db.begin().await?;
    delete!(
        &txn,
        assignment_status,
        assessment,
        assignment_namnd,
        assignment,
        goal_indicator,
        goal_namnd,
        goal,
        indicator_override,
        indicator_value,
        indicator_riktvarde,
        indicator,
        goal_area,
        budget_value_total,
        budget_prognos_step,
        budget_value,
        budget_line,
        report_section,
        action_plan,
        volume_value,
        volume_measure,
        key_figure,
        report_version,
        report,
        period,
        namnd,
        audit_log,
        change_feed,
        change_counter
    );
    kommun::Entity::delete_by_id(kommun_id).exec(&txn).await?;
    txn.commit().await
}

async fn print_counts(db: &DatabaseConnection, kommun_id: Uuid) -> Result<(), DbErr> {
    macro_rules! counts {
        ($($entity:ident),+) => {
            vec![$(
                (
                    stringify!($entity),
                    $entity::Entity::find()
                        .filter($entity::Column::KommunId.eq(kommun_id))
                        .count(db)
                        .await?,
                ),
            )+]
        };
    }
    let counts = counts!(
        namnd,
        period,
        report,
        report_version,
        budget_line,
        budget_value,
        goal_area,
        goal,
        goal_namnd,
        indicator,
        goal_indicator,
        indicator_value,
        indicator_riktvarde,
        indicator_override,
        assessment,
        assignment,
        assignment_namnd,
        assignment_status
    );
    println!("rows of {BENCH_KOMMUN_NAME} ({BENCH_KOMMUN_CODE}):");
    for (table, count) in counts {
        println!("  {table:<20} {count:>9}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Measurement

struct View {
    name: &'static str,
    path: String,
}

async fn views(db: &DatabaseConnection, kommun_id: Uuid) -> Result<Vec<View>, String> {
    let periods = period::Entity::find()
        .filter(period::Column::KommunId.eq(kommun_id))
        .all(db)
        .await
        .map_err(db_err)?;
    let latest = |kind: PeriodKind| {
        periods
            .iter()
            .filter(|p| p.kind == kind)
            .max_by_key(|p| p.year)
            .map(|p| p.id)
            .ok_or_else(|| format!("the bench kommun has no {kind} period"))
    };
    let helar = latest(PeriodKind::Helar)?;
    let delar = latest(PeriodKind::Delar)?;
    let plan = format!("period_id={helar}&type=arsredovisning");
    let views = [
        (
            "drift (helår)",
            format!("/api/v1/kommun/drift?period_id={helar}&unit=tkr"),
        ),
        (
            "drift (delår jan–aug)",
            format!("/api/v1/kommun/drift?period_id={delar}&unit=tkr"),
        ),
        (
            "investering (helår)",
            format!("/api/v1/kommun/investering?period_id={helar}&unit=tkr"),
        ),
        (
            "drift drill-down N01 (helår)",
            format!("/api/v1/kommun/drift?period_id={helar}&unit=tkr&namnd=N01"),
        ),
        (
            "drift CSV (helår)",
            format!("/api/v1/kommun/drift?period_id={helar}&unit=tkr&format=csv"),
        ),
        (
            "submissions (årsredovisning)",
            format!("/api/v1/kommun/submissions?{plan}"),
        ),
        ("goal matrix", format!("/api/v1/kommun/goal-matrix?{plan}")),
        (
            "indicator overview",
            "/api/v1/kommun/indicators".to_string(),
        ),
        (
            "uppdrag overview",
            format!("/api/v1/kommun/assignments?{plan}"),
        ),
    ];
    Ok(views
        .into_iter()
        .map(|(name, path)| View { name, path })
        .collect())
}

struct Timings {
    median: f64,
    p95: f64,
    max: f64,
    min: f64,
}

struct ViewResult {
    name: &'static str,
    path: String,
    body_bytes: usize,
    first_ms: f64,
    /// None: the endpoint does not exist (404).
    timings: Option<Timings>,
}

fn summarise(mut ms: Vec<f64>) -> Option<Timings> {
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    if n == 0 {
        return None;
    }
    let median = if n % 2 == 1 {
        *ms.get(n / 2)?
    } else {
        (ms.get(n / 2 - 1)? + ms.get(n / 2)?) / 2.0
    };
    let p95_index = (n * 95).div_ceil(100).saturating_sub(1);
    Some(Timings {
        median,
        p95: *ms.get(p95_index)?,
        max: *ms.last()?,
        min: *ms.first()?,
    })
}

fn measure(
    port: u16,
    token: &str,
    views: &[View],
    iterations: usize,
) -> Result<Vec<ViewResult>, String> {
    let mut client = Client::new(port, token);
    let mut results = Vec::new();
    for view in views {
        // The first request computes the view; later ones may be answered
        // from the read cache (READ_CACHE_BYTES=0 measures computing).
        let started = Instant::now();
        let (status, body) = client.get(&view.path)?;
        let first_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status == 404 {
            results.push(ViewResult {
                name: view.name,
                path: view.path.clone(),
                body_bytes: 0,
                first_ms,
                timings: None,
            });
            continue;
        }
        if status != 200 {
            let text = String::from_utf8_lossy(&body);
            return Err(format!("{} answered {status}: {text}", view.path));
        }
        for _ in 1..WARMUP {
            client.get(&view.path)?;
        }
        let mut ms = Vec::with_capacity(iterations);
        let mut body_bytes = body.len();
        for _ in 0..iterations {
            let started = Instant::now();
            let (status, body) = client.get(&view.path)?;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            if status != 200 {
                return Err(format!("{} answered {status}", view.path));
            }
            body_bytes = body.len();
        }
        eprintln!("  measured {}", view.name);
        results.push(ViewResult {
            name: view.name,
            path: view.path.clone(),
            body_bytes,
            first_ms,
            timings: summarise(ms),
        });
    }
    Ok(results)
}

/// A minimal HTTP/1.1 client: GET with a bearer token over one keep-alive
/// connection (reconnecting when the server closed it), reading
/// `Content-Length` or chunked bodies.
struct Client {
    port: u16,
    authorization: String,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    fn new(port: u16, token: &str) -> Self {
        Client {
            port,
            authorization: format!("Bearer {token}"),
            conn: None,
        }
    }

    fn connect(&self) -> Result<BufReader<TcpStream>, String> {
        let stream = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|e| format!("connect to 127.0.0.1:{}: {e}", self.port))?;
        stream
            .set_nodelay(true)
            .and_then(|()| stream.set_read_timeout(Some(Duration::from_secs(120))))
            .map_err(|e| format!("socket options: {e}"))?;
        Ok(BufReader::with_capacity(64 * 1024, stream))
    }

    /// Status and body; retries once on a fresh connection when a reused
    /// one fails.
    fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>), String> {
        let reused = self.conn.is_some();
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => self.connect()?,
        };
        match self.exchange(&mut conn, path) {
            Ok((status, body, keep)) => {
                if keep {
                    self.conn = Some(conn);
                }
                Ok((status, body))
            }
            Err(_) if reused => {
                let mut conn = self.connect()?;
                let (status, body, keep) = self
                    .exchange(&mut conn, path)
                    .map_err(|e| format!("GET {path}: {e}"))?;
                if keep {
                    self.conn = Some(conn);
                }
                Ok((status, body))
            }
            Err(e) => Err(format!("GET {path}: {e}")),
        }
    }

    fn exchange(
        &self,
        conn: &mut BufReader<TcpStream>,
        path: &str,
    ) -> std::io::Result<(u16, Vec<u8>, bool)> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: {}\r\n\
             Accept: */*\r\nConnection: keep-alive\r\n\r\n",
            self.port, self.authorization
        );
        conn.get_mut().write_all(request.as_bytes())?;
        let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        let mut line = String::new();
        if conn.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("bad status line"))?;
        let mut length = None;
        let mut chunked = false;
        let mut keep = true;
        loop {
            line.clear();
            if conn.read_line(&mut line)? == 0 {
                return Err(invalid("headers cut off"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => {
                        length = Some(
                            value
                                .parse::<usize>()
                                .map_err(|_| invalid("bad content-length"))?,
                        );
                    }
                    "transfer-encoding" => {
                        chunked = value.eq_ignore_ascii_case("chunked");
                    }
                    "connection" => keep = !value.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                conn.read_line(&mut line)?;
                let size_text = line.trim().split(';').next().unwrap_or_default();
                let size =
                    usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
                if size == 0 {
                    // Trailers up to the empty line.
                    loop {
                        line.clear();
                        if conn.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                conn.read_exact(&mut body[start..])?;
                line.clear();
                conn.read_line(&mut line)?;
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            conn.read_exact(&mut body)?;
        } else if status != 204 && status != 304 {
            conn.read_to_end(&mut body)?;
            keep = false;
        }
        Ok((status, body, keep))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_timings() {
        let t = summarise((1..=100).map(f64::from).collect()).unwrap_or(Timings {
            median: 0.0,
            p95: 0.0,
            max: 0.0,
            min: 0.0,
        });
        assert_eq!(t.median, 50.5);
        assert_eq!(t.p95, 95.0);
        assert_eq!(t.max, 100.0);
        assert_eq!(t.min, 1.0);
        assert!(summarise(vec![]).is_none());
    }
}
