//! The layers depend one way: `domain` ← `service` ← `api`. These tests
//! read the source, so a new import that runs back up fails here rather
//! than in review.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("source folder is readable") {
            let path = entry.expect("source entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// Files under `src/<folder>` (or the file `src/<folder>`) whose text names
/// any of `forbidden`, or uses `crate::{…}` groups naming `grouped::`.
fn offenders(folder: &str, forbidden: &[&str], grouped: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder);
    let files = if root.is_dir() {
        rust_files(&root)
    } else {
        vec![root]
    };
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source file is readable");
        for word in forbidden {
            if text.contains(word) {
                found.push(format!("{} names {word}", file.display()));
            }
        }
        // `use crate::{ x, api::y }`: the group form of `crate::api`.
        let mut rest = text.as_str();
        while let Some(start) = rest.find("crate::{") {
            let group = &rest[start..];
            let end = group.find(';').unwrap_or(group.len());
            for module in grouped {
                let needle = format!("{module}::");
                let hit = group[..end].match_indices(&needle).any(|(i, _)| {
                    !group[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                });
                if hit {
                    found.push(format!(
                        "{} imports {module} in a crate group",
                        file.display()
                    ));
                }
            }
            rest = &group[end..];
        }
    }
    found
}

#[test]
fn domain_and_service_know_nothing_of_the_api_or_its_frameworks() {
    let forbidden = ["crate::api", "actix", "utoipa"];
    let mut found = offenders("domain", &forbidden, &["api"]);
    found.extend(offenders("service", &forbidden, &["api"]));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn domain_is_pure() {
    let found = offenders(
        "domain",
        &[
            "sea_orm",
            "crate::service",
            "crate::entity",
            "tokio",
            "reqwest",
        ],
        &["service", "entity"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn auth_and_shared_state_do_not_depend_on_startup_or_the_api() {
    let forbidden = ["crate::startup", "crate::api"];
    let mut found = offenders("auth", &forbidden, &["startup", "api"]);
    found.extend(offenders("state.rs", &forbidden, &["startup", "api"]));
    assert!(found.is_empty(), "{found:#?}");
}

/// Authentication and the access policy stand below the service and the
/// api: they answer in their own terms (`token::Refused`, `Denied`), which
/// the layers above map to theirs.
#[test]
fn auth_answers_in_its_own_terms() {
    let forbidden = ["crate::service", "crate::error", "actix", "sea_orm"];
    let found = offenders("auth", &forbidden, &["service", "error"]);
    assert!(found.is_empty(), "{found:#?}");
}

/// Query strings are read by `ApiQuery` (or `common::query_values`), which
/// answer a parameter that does not parse with a problem naming it.
#[test]
fn the_api_reads_query_strings_one_way() {
    let found = offenders("api", &["web::Query<", "web::Query::"], &[]);
    assert!(found.is_empty(), "{found:#?}");
}

/// The service and the api take the time from `service::clock::now`
/// (microseconds, as PostgreSQL keeps them), so a stored time reads back
/// the same on both databases.
#[test]
fn the_time_comes_from_one_clock() {
    let mut found = offenders("api", &["Utc::now()"], &[]);
    found.extend(offenders("service", &["Utc::now()"], &[]));
    found.retain(|f| !f.contains("clock.rs"));
    assert!(found.is_empty(), "{found:#?}");
}

/// Every service function a caller outside its file starts (a top-level
/// `pub async fn`) opens a tracing span, so a log line and a database
/// error's cause chain name the operation they happened in.
#[test]
fn service_entry_points_open_a_span() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/service");
    let mut missing = Vec::new();
    for file in rust_files(&root) {
        let text = std::fs::read_to_string(&file).expect("source file is readable");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let public = ["pub async fn ", "pub(crate) async fn "];
            if !public.iter().any(|p| line.starts_with(p)) {
                continue;
            }
            let spanned = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.starts_with("#[") || l.starts_with("//"))
                .any(|l| l.starts_with("#[tracing::instrument"));
            if !spanned {
                missing.push(format!("{}:{}: {line}", file.display(), i + 1));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no #[tracing::instrument]: {missing:#?}"
    );
}
