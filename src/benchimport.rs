//! `kommunrapport bench-import`: generates a flat CSV of N rows (default one
//! million: utfall and budget per month of 2024–2025 for lines spread over
//! the nämnder of a generated kommun), starts the real application
//! in-process on 127.0.0.1:0 and posts the file to `POST
//! /api/v1/imports/flat` twice: the first import creates every line and
//! value, the second (the same file) must change nothing. Reports the wall
//! time of each request and the process's peak resident memory (VmHWM,
//! reset before each request) — server and client share the process, so the
//! client's copy of the file is included (issue 9).

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::{Role, TokenService},
    config::Settings,
    entity::{kommun, namnd},
    startup::{Application, connect},
};

/// SCB-style code of the generated kommun (not a real kommun, and not the
/// `bench-views` one).
const KOMMUN_CODE: &str = "9998";
const KOMMUN_NAME: &str = "Importkommun";
/// Rows per line: utfall and budget for each month of two years.
const ROWS_PER_LINE: usize = 48;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchImportArgs {
    /// Database to import into (default: DATABASE_URL).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Data rows in the file.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: usize,
    /// Nämnder the lines are spread over.
    #[arg(long, default_value_t = 25)]
    pub namnder: usize,
}

/// The file: `namnd;kind;line;name;month;measure;amount`, decimal comma, as
/// a Swedish ledger exports it.
fn flat_csv(rows: usize, namnder: usize) -> Vec<u8> {
    let mut out = String::with_capacity(rows * 56 + 64);
    out.push_str("namnd;kind;line;name;month;measure;amount\r\n");
    let mut written = 0;
    let mut line = 0usize;
    while written < rows {
        let namnd = line % namnder + 1;
        let kind = if line % 5 == 4 {
            "investering"
        } else {
            "drift"
        };
        for year in [2024, 2025] {
            for month in 1..=12 {
                for measure in ["utfall", "budget"] {
                    if written == rows {
                        break;
                    }
                    let ore = -((line as i64 * 7919 + month as i64 * 104_729) % 2_000_000_000);
                    out.push_str(&format!(
                        "N{namnd:02};{kind};L{line:06};Rad {line};{year}-{month:02};{measure};{},{:02}\r\n",
                        ore / 100,
                        (ore % 100).abs()
                    ));
                    written += 1;
                }
            }
        }
        line += 1;
    }
    out.into_bytes()
}

/// Peak resident set size of this process in kB (Linux).
fn peak_rss_kb() -> Option<u64> {
    status_kb("VmHWM:")
}

fn rss_kb() -> Option<u64> {
    status_kb("VmRSS:")
}

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets VmHWM to the current RSS, so the next peak is the request's.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn fresh_kommun(db: &sea_orm::DatabaseConnection, namnder: usize) -> Result<(), String> {
    let db_err = |e: sea_orm::DbErr| format!("database: {e}");
    if let Some(k) = kommun::Entity::find()
        .filter(kommun::Column::Code.eq(KOMMUN_CODE))
        .one(db)
        .await
        .map_err(db_err)?
    {
        crate::benchgen::delete_kommun(db, k.id)
            .await
            .map_err(db_err)?;
    }
    let now = Utc::now();
    let kommun_id = Uuid::now_v7();
    kommun::Entity::insert(
        kommun::Model {
            id: kommun_id,
            code: KOMMUN_CODE.into(),
            name: KOMMUN_NAME.into(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await
    .map_err(db_err)?;
    let models = (1..=namnder).map(|i| {
        namnd::Model {
            id: Uuid::now_v7(),
            kommun_id,
            code: format!("N{i:02}"),
            name: format!("Importnämnd {i:02}"),
            kind: "namnd".into(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
        .into_active_model()
    });
    namnd::Entity::insert_many(models)
        .exec_without_returning(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Generates, imports twice and prints the figures to stdout.
pub async fn run(mut settings: Settings, args: BenchImportArgs) -> Result<(), String> {
    if let Some(url) = &args.database_url {
        settings.database_url = url.clone();
    }
    if args.rows == 0 || args.namnder == 0 || args.namnder > 99 {
        return Err("--rows must be at least 1 and --namnder 1–99".into());
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
    fresh_kommun(&db, args.namnder).await?;
    let file = flat_csv(args.rows, args.namnder);
    let lines = args.rows.div_ceil(ROWS_PER_LINE);
    println!(
        "file: {} rows, {} lines over {} nämnder, {:.1} MB",
        args.rows,
        lines,
        args.namnder,
        file.len() as f64 / 1e6
    );

    settings.bind_address = "127.0.0.1:0".into();
    settings.run_migrations = false;
    settings.auto_seed_demo = false;
    settings.rate_limit_per_minute = 0;
    let token = TokenService::new(&settings.jwt).issue(
        "bench-import",
        Role::Integration,
        KOMMUN_CODE,
        &[],
        Duration::from_secs(3600),
    )?;
    let app = Application::build(settings).await?;
    let url = format!("http://127.0.0.1:{}/api/v1/imports/flat", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1800))
        .build()
        .map_err(|e| format!("http client: {e}"))?;
    let result = async {
        for run in ["first import", "same file again"] {
            reset_peak_rss();
            let before = rss_kb().unwrap_or(0);
            let started = Instant::now();
            let response = client
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body(file.clone())
                .send()
                .await
                .map_err(|e| format!("POST: {e}"))?;
            let status = response.status();
            let report: serde_json::Value =
                response.json().await.map_err(|e| format!("response: {e}"))?;
            let seconds = started.elapsed().as_secs_f64();
            let peak = peak_rss_kb().unwrap_or(0);
            if !status.is_success() {
                return Err(format!("{run}: HTTP {status}: {report}"));
            }
            println!(
                "{run:<16} HTTP {} in {seconds:.1} s: {} lines created, {} values changed, {} unchanged; \
                 process RSS {:.0} MB before, peak {:.0} MB",
                status.as_u16(),
                report["lines_created"].as_array().map_or(0, Vec::len),
                report["values_changed"],
                report["unchanged"],
                before as f64 / 1024.0,
                peak as f64 / 1024.0
            );
        }
        Ok(())
    }
    .await;
    server.abort();
    result
}
