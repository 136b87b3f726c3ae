//! Tracing set-up. `RUST_LOG` decides the level (default `info`); the writer
//! is a parameter so tests can silence the output.

use tracing_subscriber::{
    EnvFilter, Layer, Registry, filter::Targets, fmt::MakeWriter, layer::SubscriberExt,
    util::SubscriberInitExt,
};

use crate::config::LogFormat;

/// Installs the global subscriber. Returns silently when one is already set
/// (tests initialise once per process).
pub fn init<W>(format: LogFormat, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let directives = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let output = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let output = match format {
        LogFormat::Json => output.json().flatten_event(true).boxed(),
        LogFormat::Text => output.boxed(),
    };
    let result = tracing_subscriber::registry()
        .with(filter(&directives))
        .with(output)
        .try_init();
    // A second initialisation in the same process is harmless.
    drop(result);
}

/// The filter of `RUST_LOG`'s directives. Plain `target=level` directives
/// (the usual ones) become a [`Targets`] filter, decided once per call
/// site; only directives on spans or fields need an [`EnvFilter`], which
/// looks each span up behind a lock whenever it is entered or left. sqlx
/// enters the current span once per row it decodes, so with `EnvFilter`
/// that lock was about 5 % of a large read's time.
fn filter(directives: &str) -> Box<dyn Layer<Registry> + Send + Sync> {
    let env_filter = || {
        EnvFilter::try_new(directives)
            .unwrap_or_else(|_| EnvFilter::new("info"))
            .boxed()
    };
    // `Targets` would read a span directive (`[span{field}]=level`) as a
    // target name, so those go to EnvFilter before parsing.
    if is_dynamic(directives) {
        return env_filter();
    }
    match directives.parse::<Targets>() {
        Ok(targets) => targets.boxed(),
        Err(_) => env_filter(),
    }
}

/// Whether the directives filter on spans or fields.
fn is_dynamic(directives: &str) -> bool {
    directives.contains(['[', '{'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn plain_directives_are_a_targets_filter() {
        let targets: Targets = "kommunrapport=debug,info".parse().expect("directives");
        assert_eq!(targets.default_level(), Some(Level::INFO.into()));
        assert!(targets.would_enable("kommunrapport::service", &Level::DEBUG));
        assert!(!targets.would_enable("sqlx::query", &Level::DEBUG));
        // Span and field directives are EnvFilter's.
        assert!(is_dynamic("info,[request{path}]=debug"));
        assert!(is_dynamic("kommunrapport[write]=trace"));
        assert!(!is_dynamic("kommunrapport=debug,sqlx=warn,info"));
    }
}
