//! `kommunrapport bench-import`: generates a flat CSV (or, with
//! `--format json`, JSON) of N rows (default one
//! million: utfall and budget per month of 2024–2025 for lines spread over
//! the nämnder of a generated kommun), starts the service as a child
//! process (`kommunrapport serve` on a free local port, this same binary)
//! and posts the file to `POST /api/v1/imports/flat` twice: the first
//! import creates every line and value, the second (the same file) must
//! change nothing. Reports the wall time of each request and the service
//! process's peak resident memory (its VmHWM, reset before each request),
//! which the client's copy of the file is not part of (issue 9). On
//! PostgreSQL it then times the baseline in the same run: `COPY` of the
//! rows the import stored into a table with `budget_value`'s indexes, and
//! prints the ratio first import / COPY (issue 21).

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, sqlx};
use uuid::Uuid;

use crate::{
    auth::{Role, TokenService},
    config::Settings,
    entity::{kommun, namnd},
    startup::connect,
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
    /// CSV (the default) or JSON.
    #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
    pub format: FileFormat,
}

/// How the file is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    /// `text/csv` as a Swedish ledger exports it.
    Csv,
    /// `application/json`: `{"rows": [...]}`.
    Json,
}

/// One generated row, its amount as kronor and öre.
struct GeneratedRow<'a> {
    namnd: String,
    kind: &'a str,
    line: String,
    name: String,
    month: String,
    measure: &'a str,
    /// Signed whole kronor ("-0" for −0,50 kr).
    kronor: String,
    ore: i64,
}

/// `rows` rows: utfall and budget per month of 2024–2025, line by line,
/// the lines spread over `namnder` nämnder.
fn generate_rows(rows: usize, namnder: usize, mut emit: impl FnMut(GeneratedRow)) {
    let mut written = 0;
    let mut line = 0usize;
    while written < rows {
        let kind = if line % 5 == 4 {
            "investering"
        } else {
            "drift"
        };
        for year in [2024, 2025] {
            for month in 1..=12 {
                for measure in ["utfall", "budget"] {
                    if written == rows {
                        return;
                    }
                    let ore = -((line as i64 * 7919 + month as i64 * 104_729) % 2_000_000_000);
                    emit(GeneratedRow {
                        namnd: format!("N{:02}", line % namnder + 1),
                        kind,
                        line: format!("L{line:06}"),
                        name: format!("Rad {line}"),
                        month: format!("{year}-{month:02}"),
                        measure,
                        kronor: format!("{}{}", if ore < 0 { "-" } else { "" }, ore.abs() / 100),
                        ore: ore.abs() % 100,
                    });
                    written += 1;
                }
            }
        }
        line += 1;
    }
}

/// The file: `namnd;kind;line;name;month;measure;amount`, decimal comma,
/// CRLF (CSV), or the same rows as a JSON document with text amounts.
fn flat_file(rows: usize, namnder: usize, format: FileFormat) -> Vec<u8> {
    let mut out = String::with_capacity(rows * 120 + 64);
    match format {
        FileFormat::Csv => out.push_str("namnd;kind;line;name;month;measure;amount\r\n"),
        FileFormat::Json => out.push_str("{\"rows\": ["),
    }
    let mut first = true;
    generate_rows(rows, namnder, |row| {
        let GeneratedRow {
            namnd,
            kind,
            line,
            name,
            month,
            measure,
            kronor,
            ore,
        } = row;
        match format {
            FileFormat::Csv => out.push_str(&format!(
                "{namnd};{kind};{line};{name};{month};{measure};{kronor},{ore:02}\r\n"
            )),
            FileFormat::Json => out.push_str(&format!(
                "{}\n{{\"namnd\": \"{namnd}\", \"kind\": \"{kind}\", \"line\": \"{line}\", \"name\": \"{name}\", \
                 \"month\": \"{month}\", \"measure\": \"{measure}\", \"amount\": \"{kronor}.{ore:02}\"}}",
                if first { "" } else { "," }
            )),
        }
        first = false;
    });
    if format == FileFormat::Json {
        out.push_str("\n]}\n");
    }
    out.into_bytes()
}

/// Peak resident set size of process `pid` in kB (Linux).
fn peak_rss_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmHWM:")
}

fn rss_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS:")
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    crate::memory::status_kb(&pid.to_string(), field)
}

/// Resets the VmHWM of process `pid` to its current RSS, so the next peak
/// is the request's.
fn reset_peak_rss(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// The service as a child process on `port`: this binary's `serve`, with
/// the bench's settings (no migrations, no demo data, no rate limit, the
/// HS256 secret the token is signed with).
fn spawn_service(settings: &Settings, port: u16) -> Result<Child, String> {
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    Command::new(exe)
        .arg("serve")
        .env("DATABASE_URL", &settings.database_url)
        .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
        .env("RUN_MIGRATIONS", "false")
        .env("AUTO_SEED_DEMO", "false")
        .env("RATE_LIMIT_PER_MINUTE", "0")
        .env("MAX_IMPORT_BYTES", settings.max_import_bytes.to_string())
        .env("JWT_SECRET", &settings.jwt.secret)
        .env_remove("JWKS_FILE")
        .env_remove("JWKS_URL")
        // BENCH_SERVICE_LOG (e.g. `kommunrapport=debug`) shows the
        // service's log, with the import's phase timings.
        .env(
            "RUST_LOG",
            std::env::var("BENCH_SERVICE_LOG").unwrap_or_else(|_| "error".into()),
        )
        .stdout(if std::env::var_os("BENCH_SERVICE_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .map_err(|e| format!("cannot start the service: {e}"))
}

/// A local port nothing listens on now.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Waits until the service answers its liveness probe.
async fn wait_until_live(
    client: &reqwest::Client,
    base: &str,
    child: &mut Child,
) -> Result<(), String> {
    for _ in 0..300 {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the service exited at start: {status}"));
        }
        if let Ok(r) = client.get(format!("{base}/health/live")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the service did not start within 30 s".into())
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
            kind: crate::domain::structure::NamndKind::Namnd,
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
    let file = flat_file(args.rows, args.namnder, args.format);
    let lines = args.rows.div_ceil(ROWS_PER_LINE);
    println!(
        "file: {:?}, {} rows, {} lines over {} nämnder, {:.1} MB",
        args.format,
        args.rows,
        lines,
        args.namnder,
        file.len() as f64 / 1e6
    );

    let token = TokenService::new(&settings.jwt).issue(
        "bench-import",
        Role::Integration,
        KOMMUN_CODE,
        &[],
        Duration::from_secs(3600),
    )?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let url = format!("{base}/api/v1/imports/flat");
    let file = actix_web::web::Bytes::from(file);
    let content_type = match args.format {
        FileFormat::Csv => "text/csv",
        FileFormat::Json => "application/json",
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1800))
        .build()
        .map_err(|e| format!("http client: {e}"))?;
    let mut child = spawn_service(&settings, port)?;
    let pid = child.id();
    let result = async {
        wait_until_live(&client, &base, &mut child).await?;
        let mut first = 0.0;
        for run in ["first import", "same file again"] {
            checkpoint(&db).await;
            reset_peak_rss(pid);
            let before = rss_kb(pid).unwrap_or(0);
            let started = Instant::now();
            let response = client
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(file.clone())
                .send()
                .await
                .map_err(|e| format!("POST: {e}"))?;
            let status = response.status();
            let report: serde_json::Value =
                response.json().await.map_err(|e| format!("response: {e}"))?;
            let seconds = started.elapsed().as_secs_f64();
            if first == 0.0 {
                first = seconds;
            }
            let peak = peak_rss_kb(pid).unwrap_or(0);
            if !status.is_success() {
                return Err(format!("{run}: HTTP {status}: {report}"));
            }
            println!(
                "{run:<16} HTTP {} in {seconds:.1} s: {} lines created, {} values changed, {} unchanged; \
                 service RSS {:.0} MB before, peak {:.0} MB",
                status.as_u16(),
                report["lines_created"].as_array().map_or(0, Vec::len),
                report["values_changed"],
                report["unchanged"],
                before as f64 / 1024.0,
                peak as f64 / 1024.0
            );
        }
        Ok(first)
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let first = result?;
    // The baseline, in the same run: PostgreSQL's own COPY of the rows the
    // import stored into a table with the same indexes.
    if let Some(pool) = crate::service::import_stage::postgres_pool(&db) {
        for (format, keys) in [("text", false), ("binary", false), ("text", true)] {
            let (rows, seconds) = copy_baseline(pool, format, keys).await?;
            let what = if keys {
                "indexes and foreign keys"
            } else {
                "indexes"
            };
            println!(
                "COPY baseline ({format}) {rows} budget_value rows into a table with budget_value's \
                 {what} in {seconds:.1} s; first import / COPY = {:.2}",
                first / seconds
            );
        }
    }
    Ok(())
}

/// Waits (up to two minutes) until no VACUUM runs in this database: the
/// service vacuums the value tables in the background after a bulk import,
/// and that work belongs to neither the next import nor a baseline.
async fn wait_for_vacuum(pool: &sqlx::PgPool) {
    let running = "SELECT count(*) FROM pg_stat_progress_vacuum WHERE datname = current_database()";
    for _ in 0..1200 {
        match sqlx::query_scalar::<_, i64>(running).fetch_one(pool).await {
            Ok(0) => return,
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => {
                eprintln!("waiting for VACUUM: {e}");
                return;
            }
        }
    }
    eprintln!("a VACUUM still runs after two minutes; timing anyway");
}

/// Starts a timed step with no checkpoint due: a million rows write about
/// 500 MB of WAL, so with the default `max_wal_size` a checkpoint otherwise
/// falls at random into the import or into one of the baselines. Best
/// effort (it needs a superuser or `pg_checkpoint`).
async fn checkpoint(db: &sea_orm::DatabaseConnection) {
    if let Some(pool) = crate::service::import_stage::postgres_pool(db) {
        checkpoint_pool(pool).await;
    }
}

async fn checkpoint_pool(pool: &sqlx::PgPool) {
    wait_for_vacuum(pool).await;
    if let Err(e) = sqlx::raw_sql("CHECKPOINT").execute(pool).await {
        eprintln!("CHECKPOINT before a timed step failed: {e}");
    }
}

/// Copies this bench's stored values out, then (timed) into a new table
/// with `budget_value`'s columns and indexes (and, with `foreign_keys`, its
/// foreign keys, which the import's rows are checked against too), in
/// `format`; drops the table. Rows and seconds of the COPY FROM.
async fn copy_baseline(
    pool: &sqlx::PgPool,
    format: &str,
    foreign_keys: bool,
) -> Result<(u64, f64), String> {
    use futures_util::TryStreamExt;
    use sqlx::postgres::PgPoolCopyExt;
    let err = |e: sqlx::Error| format!("COPY baseline: {e}");
    const TABLE: &str = "bench_copy_baseline";
    let reset = format!(
        "DROP TABLE IF EXISTS {TABLE}; CREATE TABLE {TABLE} (LIKE budget_value INCLUDING ALL)"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(reset))
        .execute(pool)
        .await
        .map_err(err)?;
    if foreign_keys {
        let keys: Vec<(String,)> = sqlx::query_as(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = 'budget_value'::regclass AND contype = 'f'",
        )
        .fetch_all(pool)
        .await
        .map_err(err)?;
        for (definition,) in keys {
            let add = format!("ALTER TABLE {TABLE} ADD {definition}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(add))
                .execute(pool)
                .await
                .map_err(err)?;
        }
    }
    let out = format!(
        "COPY (SELECT v.* FROM budget_value v JOIN kommun k ON k.id = v.kommun_id \
         WHERE k.code = '{KOMMUN_CODE}') TO STDOUT (FORMAT {format})"
    );
    let chunks: Vec<actix_web::web::Bytes> = pool
        .copy_out_raw(&out)
        .await
        .map_err(err)?
        .try_collect()
        .await
        .map_err(err)?;
    checkpoint_pool(pool).await;
    let started = Instant::now();
    let mut copy = pool
        .copy_in_raw(&format!("COPY {TABLE} FROM STDIN (FORMAT {format})"))
        .await
        .map_err(err)?;
    for chunk in &chunks {
        copy.send(chunk.as_ref()).await.map_err(err)?;
    }
    let rows = copy.finish().await.map_err(err)?;
    let seconds = started.elapsed().as_secs_f64();
    drop(chunks);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE {TABLE}")))
        .execute(pool)
        .await
        .map_err(err)?;
    Ok((rows, seconds))
}
