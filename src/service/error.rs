//! What a service call can fail with, in the service's own words. The api
//! layer maps each case to its HTTP status and problem+json
//! ([`crate::error::ApiError`]); nothing here knows about HTTP.

use sea_orm::DbErr;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Path of the field in the request (`items[3].amount`), or the query parameter.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The change contradicts the state of other data (still referred to,
    /// already submitted, a locked report).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The change would give a second row a key that must be unique (a
    /// code or a name already taken): a conflict with the data as it is,
    /// not invalid input (the same request is valid once the other row is
    /// gone or renamed). Names the field that holds the key.
    #[error("taken: {}: {}", .0.field, .0.message)]
    Taken(FieldError),
    /// The resource is no longer at the version the caller read.
    #[error("stale version: {0}")]
    PreconditionFailed(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database aborted the transaction because a concurrent one held
    /// what it needed (a deadlock, a serialisation failure, a busy SQLite
    /// file). Nothing was changed; the same call again can succeed.
    #[error("write contended: {0}")]
    Contended(String),
    /// A server this service fetches from (Kolada) failed or sent something
    /// unusable; the detail says what.
    #[error("upstream failed: {0}")]
    BadGateway(String),
    /// A server this service fetches from did not answer in time.
    #[error("upstream timed out: {0}")]
    GatewayTimeout(String),
    #[error("database error: {0}")]
    Db(DbErr),
    #[error("unexpected: {0}")]
    Unexpected(String),
}

impl From<crate::auth::Denied> for ServiceError {
    fn from(denied: crate::auth::Denied) -> Self {
        use crate::auth::Denied;
        match denied {
            Denied::Forbidden(d) => ServiceError::Forbidden(d),
            Denied::NotFound(d) => ServiceError::NotFound(d),
            Denied::Conflict(d) => ServiceError::Conflict(d),
        }
    }
}

impl ServiceError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: &str) -> Self {
        ServiceError::NotFound(format!("{what} was not found"))
    }
}

/// True when the error means the database cannot be reached (as opposed to
/// a bad query): those map to 503.
pub fn is_connection_error(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let lost = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        // The connection broke while a statement ran (the database went
        // away mid-import): an I/O error, or the driver's connection task
        // ended; nothing was committed.
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
            )
        }
        _ => false,
    };
    lost || err.to_string().contains("PoolTimedOut")
        || err.to_string().contains("Connection refused")
}

/// The code the database gave an error: PostgreSQL's SQLSTATE or SQLite's
/// extended result code. Told apart by the driver, not the text: SQLSTATE
/// 22021 (a NUL byte in text) is also a number, whose low byte is SQLite's
/// BUSY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseCode {
    Postgres(String),
    Sqlite(u32),
}

fn database_code(err: &DbErr) -> Option<DatabaseCode> {
    use sea_orm::{RuntimeErr, sqlx};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sqlx::Error::Database(d) => {
                    let code = d.code()?;
                    if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                        code.parse().ok().map(DatabaseCode::Sqlite)
                    } else {
                        Some(DatabaseCode::Postgres(code.into_owned()))
                    }
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// True when a database code means the transaction lost to a concurrent
/// one: PostgreSQL's deadlock (40P01), serialisation failure (40001) or
/// lock timeout (55P03), or SQLite's BUSY or LOCKED (primary codes 5 and
/// 6, with any extended code).
pub fn is_contention(code: &DatabaseCode) -> bool {
    match code {
        DatabaseCode::Postgres(c) => matches!(c.as_str(), "40P01" | "40001" | "55P03"),
        DatabaseCode::Sqlite(c) => matches!(c & 0xff, 5 | 6),
    }
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        let code = database_code(&err);
        // 22021: a NUL byte in text (a query parameter; bodies are checked
        // before they reach the database). The caller's input, not ours.
        if code == Some(DatabaseCode::Postgres("22021".into())) {
            return ServiceError::validation(
                "",
                "text must not contain the NUL character (U+0000)",
            );
        }
        if code.is_some_and(|c| is_contention(&c)) {
            ServiceError::Contended(cause_chain(&err))
        } else if is_connection_error(&err) {
            ServiceError::Unavailable(cause_chain(&err))
        } else {
            ServiceError::Db(err)
        }
    }
}

/// An error and every cause behind it, outermost first, for the log (never
/// for the client): "Execution Error: …: error returned from database: …".
pub fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let more = cause.to_string();
        // Wrappers often repeat their cause's text; say each part once.
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        next = cause.source();
    }
    text
}

/// A unique index: its name (PostgreSQL reports it) and its table and
/// columns (SQLite reports `table.column` instead).
pub struct UniqueKey {
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

impl UniqueKey {
    fn matches(&self, message: &str) -> bool {
        message.contains(self.name)
            || self
                .columns
                .iter()
                .all(|c| message.contains(&format!("{}.{c}", self.table)))
    }
}

/// A unique key with the field its violation names and the message.
pub struct Taken {
    pub key: UniqueKey,
    pub field: &'static str,
    pub message: &'static str,
}

impl Taken {
    /// A violation of the key as [`ServiceError::Taken`]; other errors unchanged.
    pub fn db(&self, err: DbErr) -> ServiceError {
        unique_violation(err, &self.key, self.field, self.message)
    }

    /// As [`Taken::db`], for an error already in the service's type.
    pub fn service(&self, err: ServiceError) -> ServiceError {
        match err {
            ServiceError::Db(db_err) => self.db(db_err),
            other => other,
        }
    }
}

/// Maps a violation of `key` to [`ServiceError::Taken`] naming `field`;
/// every other database error passes through.
pub fn unique_violation(err: DbErr, key: &UniqueKey, field: &str, message: &str) -> ServiceError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(text)) if key.matches(&text) => {
            ServiceError::Taken(FieldError::new(field, message))
        }
        _ => ServiceError::from(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contention_codes_of_both_databases() {
        use DatabaseCode::{Postgres, Sqlite};
        // PostgreSQL: deadlock, serialisation failure, lock timeout.
        for code in ["40P01", "40001", "55P03"] {
            assert!(is_contention(&Postgres(code.into())), "{code}");
        }
        // Unique and foreign-key violations, and 22021 (a NUL byte), whose
        // number's low byte is SQLite's BUSY.
        for code in ["23505", "23503", "22021", "", "40P0"] {
            assert!(!is_contention(&Postgres(code.into())), "{code}");
        }
        // SQLite: BUSY, LOCKED and their extended codes (BUSY_SNAPSHOT 517,
        // LOCKED_SHAREDCACHE 262); not CONSTRAINT (19, 2067).
        for code in [5, 6, 517, 262] {
            assert!(is_contention(&Sqlite(code)), "{code}");
        }
        for code in [19, 2067, 1] {
            assert!(!is_contention(&Sqlite(code)), "{code}");
        }
    }

    #[test]
    fn a_cause_chain_names_every_cause_once() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("query failed")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = Outer(std::io::Error::other("connection reset"));
        assert_eq!(cause_chain(&err), "query failed: connection reset");
    }

    #[test]
    fn unique_key_matches_both_dialects() {
        let key = UniqueKey {
            name: "uq_namnd_kommun_code",
            table: "namnd",
            columns: &["kommun_id", "code"],
        };
        assert!(key.matches("UNIQUE constraint failed: namnd.kommun_id, namnd.code"));
        assert!(
            key.matches("duplicate key value violates unique constraint \"uq_namnd_kommun_code\"")
        );
        assert!(!key.matches("UNIQUE constraint failed: period.kommun_id, period.kind"));
    }
}
