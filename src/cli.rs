//! The command line: `serve` (default), `migrate`, `openapi`, `token`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use crate::{
    auth::{Role, TokenService, token::parse_ttl},
    config::Settings,
    startup::{Application, connect},
    telemetry,
};

#[derive(Parser)]
#[command(
    name = "kommunrapport",
    version,
    about = "System of record for municipal follow-up reporting"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP service (the default).
    Serve,
    /// Run the database migrations and exit.
    Migrate,
    /// Load the demo data (the seed reports) into the database; idempotent.
    SeedDemo,
    /// Generate a large kommun (unless present) and time the consolidated
    /// kommun views over HTTP against it.
    BenchViews(crate::benchgen::BenchArgs),
    /// Generate a large flat CSV and time importing it over HTTP (wall time
    /// and peak memory).
    BenchImport(crate::benchimport::BenchImportArgs),
    /// Recompute every decided report version's SHA-256 and check each
    /// report's chain; exits 1 and names each broken link when one fails.
    Verify,
    /// Print the OpenAPI document.
    Openapi,
    /// Print a signed JWT for local use (and nothing else on stdout).
    Token {
        #[arg(long)]
        role: Role,
        /// SCB kommunkod, e.g. 0483.
        #[arg(long)]
        kommun: String,
        /// Nämnd code for nämnd-scoped roles; repeat for several.
        #[arg(long = "namnd")]
        namnder: Vec<String>,
        /// Lifetime: 8h, 30m, 2d …
        #[arg(long, default_value = "8h")]
        ttl: String,
        /// The token's subject.
        #[arg(long, default_value = "local-user")]
        sub: String,
    },
}

impl clap::ValueEnum for Role {
    fn value_variants<'a>() -> &'a [Self] {
        &Role::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

pub async fn run() -> ExitCode {
    crate::memory::configure();
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::SeedDemo => seed_demo(&settings).await,
        Command::BenchViews(args) => crate::benchgen::run(settings, args).await,
        Command::BenchImport(args) => crate::benchimport::run(settings, args).await,
        Command::Verify => verify(&settings).await,
        Command::Openapi => {
            print!("{}", crate::api::openapi_json());
            Ok(())
        }
        Command::Token {
            role,
            kommun,
            namnder,
            ttl,
            sub,
        } => parse_ttl(&ttl).and_then(|ttl| {
            let token =
                TokenService::new(&settings.jwt).issue(&sub, role, &kommun, &namnder, ttl)?;
            println!("{token}");
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn warn_dev_secret(settings: &Settings) {
    if settings.jwt.is_dev_default {
        tracing::warn!(
            "JWT_SECRET is not set: using the PUBLIC DEVELOPMENT SECRET. Anyone can forge tokens. \
             Set JWT_SECRET (32+ bytes) before exposing this service."
        );
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    telemetry::init(settings.log_format, std::io::stdout);
    warn_dev_secret(&settings);
    let address = settings.bind_address.clone();
    let app = Application::build(settings).await?;
    // In the background: requests are served meanwhile.
    std::thread::spawn(crate::document::pdf::warm_up);
    tracing::info!(%address, port = app.port(), "kommunrapport listening; API docs at /docs");
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

async fn seed_demo(settings: &Settings) -> Result<(), String> {
    telemetry::init(settings.log_format, std::io::stderr);
    let db = connect(&settings.database_url)
        .await
        .map_err(|e| e.to_string())?;
    Migrator::up(&db, None).await.map_err(|e| e.to_string())?;
    let created = crate::demo::load(&db).await.map_err(|e| e.to_string())?;
    eprintln!("demo data loaded: {created} new report(s)");
    Ok(())
}

async fn verify(settings: &Settings) -> Result<(), String> {
    let db = connect(&settings.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let (checked, broken) = crate::service::versions::verify(&db)
        .await
        .map_err(|e| e.to_string())?;
    for link in &broken {
        println!(
            "BROKEN report {} version {}: {}",
            link.report_id, link.number, link.problem
        );
    }
    if broken.is_empty() {
        println!("{checked} decided version(s) verified: every hash and chain holds");
        Ok(())
    } else {
        Err(format!(
            "{} of {checked} decided version(s) fail verification",
            broken.len()
        ))
    }
}

async fn migrate(settings: &Settings) -> Result<(), String> {
    let db = connect(&settings.database_url)
        .await
        .map_err(|e| e.to_string())?;
    Migrator::up(&db, None).await.map_err(|e| e.to_string())?;
    eprintln!("migrations applied");
    Ok(())
}
