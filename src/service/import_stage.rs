//! A staging table for large value writes on PostgreSQL (issue 21).
//!
//! sea-orm's transaction does not expose its connection, so `COPY` cannot
//! run inside the audited write. Instead the values are streamed with
//! `COPY … FROM STDIN (FORMAT binary)` on another connection of the pool
//! into an unlogged table `import_stage_<uuid>` (the name from a fresh
//! uuid v7, never from input), and the audited transaction moves them into
//! `budget_value` with one `INSERT … SELECT`, one `UPDATE … FROM` and one
//! `DELETE … USING`. The table is dropped after the transaction has ended,
//! on every path; tables a crash left behind are swept once they are an
//! hour old (at startup, and before a new stage is made).

use std::{
    collections::HashSet,
    time::{Duration, SystemTime},
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseConnectionType, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement,
    sea_query::LockType,
    sqlx::{
        self, Postgres,
        pool::PoolConnection,
        postgres::{PgCopyIn, PgPool, PgPoolCopyExt},
    },
};
use uuid::Uuid;

use super::{
    budget_lines::ValueKey,
    error::{ServiceError, UniqueKey, unique_violation},
};
use crate::entity::budget_line;

/// Every staging table's name starts so.
pub const PREFIX: &str = "import_stage_";
/// Bytes of `COPY` data gathered before they are sent.
const SEND_BYTES: usize = 1 << 20;
/// A staging table older than this is left over from an import that died.
const STALE_AFTER: Duration = Duration::from_secs(3600);

pub const UQ_VALUE: UniqueKey = UniqueKey {
    name: "uq_budget_value_line_measure_months",
    table: "budget_value",
    columns: &["line_id", "measure", "from_month", "to_month"],
};

/// What a staged value does.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(i16)]
pub enum Op {
    Insert = 0,
    Update = 1,
    Delete = 2,
}

/// The pool of `db` when it is PostgreSQL.
pub fn postgres_pool(db: &DatabaseConnection) -> Option<&PgPool> {
    match &db.inner {
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            Some(db.get_postgres_connection_pool())
        }
        _ => None,
    }
}

fn db_err(e: sqlx::Error) -> ServiceError {
    ServiceError::from(sea_orm::DbErr::Custom(format!("staging: {e}")))
}

/// A staging table, made when the first value is staged.
pub struct Stage {
    pool: PgPool,
    name: String,
    created: bool,
    copy: Option<PgCopyIn<PoolConnection<Postgres>>>,
    buf: Vec<u8>,
    staged: [usize; 3],
    /// Lines created in the import's own transaction: nobody else can
    /// see them, so their new values need no reference check.
    made_here: HashSet<Uuid>,
    /// Other lines that new values were staged for (may repeat).
    inserted_into: Vec<Uuid>,
    last_inserted_into: Option<Uuid>,
}

impl Stage {
    /// A stage on `db`'s pool, or None when `db` is not PostgreSQL.
    pub fn on(db: &DatabaseConnection) -> Option<Stage> {
        postgres_pool(db).map(|pool| Stage {
            pool: pool.clone(),
            name: format!("{PREFIX}{}", Uuid::now_v7().simple()),
            created: false,
            copy: None,
            buf: Vec::new(),
            staged: [0; 3],
            made_here: HashSet::new(),
            inserted_into: Vec::new(),
            last_inserted_into: None,
        })
    }

    /// Marks a line as created by the import's own transaction.
    pub fn made_here(&mut self, line_id: Uuid) {
        self.made_here.insert(line_id);
    }

    /// Values staged with `op` so far.
    pub fn staged(&self, op: Op) -> usize {
        self.staged[op as usize]
    }

    /// Whether anything was staged.
    pub fn is_used(&self) -> bool {
        self.created
    }

    async fn begin(&mut self) -> Result<(), ServiceError> {
        sweep_stale(&self.pool).await;
        // The name is ours (a uuid), never input.
        let create = format!(
            "CREATE UNLOGGED TABLE {} (op int2 NOT NULL, id uuid, line_id uuid NOT NULL, \
             measure text NOT NULL, from_month int4 NOT NULL, to_month int4 NOT NULL, amount_ore int8)",
            self.name
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        self.created = true;
        tracing::debug!(table = %self.name, "staging values with COPY");
        let copy = format!("COPY {} FROM STDIN (FORMAT binary)", self.name);
        let copy = self.pool.copy_in_raw(&copy).await.map_err(db_err)?;
        self.copy = Some(copy);
        self.buf = Vec::with_capacity(SEND_BYTES + 256);
        // Binary COPY header: signature, flags, header extension length.
        self.buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        self.buf.extend_from_slice(&0i32.to_be_bytes());
        self.buf.extend_from_slice(&0i32.to_be_bytes());
        Ok(())
    }

    /// Stages one value of `line_id`: a new one (with its row id), a changed
    /// amount, or a deletion.
    pub async fn push(
        &mut self,
        op: Op,
        id: Option<Uuid>,
        line_id: Uuid,
        (measure, from, to): ValueKey,
        amount_ore: Option<i64>,
    ) -> Result<(), ServiceError> {
        if self.copy.is_none() {
            self.begin().await?;
        }
        let b = &mut self.buf;
        b.extend_from_slice(&7i16.to_be_bytes());
        field(b, &(op as i16).to_be_bytes());
        match id {
            Some(id) => field(b, id.as_bytes()),
            None => b.extend_from_slice(&(-1i32).to_be_bytes()),
        }
        field(b, line_id.as_bytes());
        field(b, measure.as_str().as_bytes());
        field(b, &from.to_be_bytes());
        field(b, &to.to_be_bytes());
        match amount_ore {
            Some(a) => field(b, &a.to_be_bytes()),
            None => b.extend_from_slice(&(-1i32).to_be_bytes()),
        }
        self.staged[op as usize] += 1;
        // A line's values are staged one after another.
        if op == Op::Insert && self.last_inserted_into != Some(line_id) {
            self.last_inserted_into = Some(line_id);
            if !self.made_here.contains(&line_id) {
                self.inserted_into.push(line_id);
            }
        }
        if self.buf.len() >= SEND_BYTES {
            self.send().await?;
        }
        Ok(())
    }

    async fn send(&mut self) -> Result<(), ServiceError> {
        if let Some(copy) = self.copy.as_mut() {
            copy.send(self.buf.as_slice()).await.map_err(db_err)?;
        }
        self.buf.clear();
        Ok(())
    }

    /// Ends the `COPY` and moves the staged values into `budget_value` in
    /// `txn`: new values inserted (a value inserted by a concurrent import
    /// meanwhile is a 409 to retry), changed amounts updated, removed
    /// values deleted.
    pub async fn apply(
        &mut self,
        txn: &DatabaseTransaction,
        kommun_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let Some(mut copy) = self.copy.take() else {
            return Ok(());
        };
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        copy.send(std::mem::take(&mut self.buf).as_slice())
            .await
            .map_err(db_err)?;
        copy.finish().await.map_err(db_err)?;
        let name = &self.name;
        if self.staged(Op::Insert) > 0 {
            // The two foreign keys of `budget_value` would check each new row
            // with a trigger (half the time of a million-row import): when
            // this connection may, they are checked once for the whole stage
            // instead, with the same locks, and the row triggers are off
            // for the one `INSERT`.
            let checked_as_a_set = may_skip_row_triggers(txn).await?;
            if checked_as_a_set {
                let mut existing = std::mem::take(&mut self.inserted_into);
                existing.sort_unstable();
                existing.dedup();
                check_references(txn, kommun_id, &existing).await?;
                txn.execute_unprepared("SET LOCAL session_replication_role = replica")
                    .await?;
            }
            let insert = format!(
                "INSERT INTO budget_value \
                 (id, kommun_id, line_id, measure, from_month, to_month, amount_ore, updated_at) \
                 SELECT id, $1, line_id, measure, from_month, to_month, amount_ore, $2 \
                 FROM {name} WHERE op = 0"
            );
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                insert,
                [kommun_id.into(), now.into()],
            ))
            .await
            .map_err(|e| match unique_violation(e, &UQ_VALUE, "", "") {
                ServiceError::Taken(_) => ServiceError::Conflict(
                    "another import wrote these values at the same time; retry".into(),
                ),
                other => other,
            })?;
            if checked_as_a_set {
                txn.execute_unprepared("SET LOCAL session_replication_role = origin")
                    .await?;
            }
        }
        if self.staged(Op::Update) > 0 {
            let update = format!(
                "UPDATE budget_value v SET amount_ore = s.amount_ore, updated_at = $1 \
                 FROM {name} s WHERE s.op = 1 AND v.line_id = s.line_id \
                 AND v.measure = s.measure AND v.from_month = s.from_month AND v.to_month = s.to_month"
            );
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                update,
                [now.into()],
            ))
            .await?;
        }
        if self.staged(Op::Delete) > 0 {
            let delete = format!(
                "DELETE FROM budget_value v USING {name} s WHERE s.op = 2 \
                 AND v.line_id = s.line_id AND v.measure = s.measure \
                 AND v.from_month = s.from_month AND v.to_month = s.to_month"
            );
            txn.execute_unprepared(&delete).await?;
        }
        Ok(())
    }

    /// Aborts an unfinished `COPY` and drops the table. Call after the
    /// transaction that read it has ended (it holds a lock on the table
    /// until then). Failures are logged: the sweep removes the table later.
    pub async fn close(mut self) {
        if let Some(copy) = self.copy.take()
            && let Err(e) = copy.abort("import ended").await
        {
            tracing::warn!(table = %self.name, error = %e, "aborting the staging COPY failed");
        }
        if self.created {
            drop_table(&self.pool, &self.name).await;
        }
    }
}

/// Whether the connection of `txn` may set `session_replication_role`
/// (a superuser, or on PostgreSQL 15 and later a role granted
/// `SET ON PARAMETER session_replication_role`). Otherwise the foreign keys
/// check each row as usual.
async fn may_skip_row_triggers(txn: &DatabaseTransaction) -> Result<bool, ServiceError> {
    let row = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('is_superuser') = 'on' AS superuser, \
             current_setting('server_version_num')::int >= 150000 AS grantable",
        ))
        .await?;
    let Some(row) = row else { return Ok(false) };
    if row.try_get::<bool>("", "superuser")? {
        return Ok(true);
    }
    if !row.try_get::<bool>("", "grantable")? {
        return Ok(false);
    }
    let granted = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT has_parameter_privilege('session_replication_role', 'SET') AS granted",
        ))
        .await?;
    Ok(match granted {
        Some(row) => row.try_get::<bool>("", "granted")?,
        None => false,
    })
}

/// What the foreign keys `budget_value.kommun_id` → `kommun` and
/// `budget_value.line_id` → `budget_line` check for each new row, for all
/// the staged new rows at once: the kommun and every line exist (and the
/// lines are the kommun's), locked `FOR KEY SHARE` as the row checks lock
/// them, so neither can be deleted before the transaction ends. `existing`
/// are the lines new values were staged for that the transaction did not
/// create (the ones it created are its own until it commits).
async fn check_references(
    txn: &DatabaseTransaction,
    kommun_id: Uuid,
    existing: &[Uuid],
) -> Result<(), ServiceError> {
    let kommun = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM kommun WHERE id = $1 FOR KEY SHARE",
            [kommun_id.into()],
        ))
        .await?;
    if kommun.is_none() {
        return Err(ServiceError::Unexpected(
            "the kommun of the staged values does not exist".into(),
        ));
    }
    for ids in existing.chunks(LINES_PER_CHECK) {
        let found: Vec<Uuid> = budget_line::Entity::find()
            .select_only()
            .column(budget_line::Column::Id)
            .filter(budget_line::Column::KommunId.eq(kommun_id))
            .filter(budget_line::Column::Id.is_in(ids.iter().copied()))
            .lock(LockType::KeyShare)
            .into_tuple()
            .all(txn)
            .await?;
        if found.len() != ids.len() {
            return Err(ServiceError::Unexpected(format!(
                "staged values name {} budget lines the kommun does not have",
                ids.len() - found.len()
            )));
        }
    }
    Ok(())
}

/// Line ids per statement of the reference check.
const LINES_PER_CHECK: usize = 1000;

fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    buf.extend_from_slice(bytes);
}

async fn drop_table(pool: &PgPool, name: &str) {
    // A transaction abandoned on an error path is rolled back when its
    // connection returns to the pool; wait a little for its lock, not forever.
    let sql =
        format!("BEGIN; SET LOCAL lock_timeout = '10s'; DROP TABLE IF EXISTS {name}; COMMIT;");
    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await {
        tracing::warn!(table = %name, error = %e, "dropping the staging table failed");
    }
}

/// The time a staging table was made, from the uuid v7 in its name; None
/// when the name is not one of ours.
fn made_at(table: &str) -> Option<SystemTime> {
    let uuid = Uuid::try_parse(table.strip_prefix(PREFIX)?).ok()?;
    if uuid.simple().to_string() != table[PREFIX.len()..] {
        return None;
    }
    let (secs, nanos) = uuid.get_timestamp()?.to_unix();
    Some(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos))
}

/// Drops the staging tables of the current schema that are more than an
/// hour old (left by an import that died). Best effort: failures are logged.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sweep_stale(pool: &PgPool) {
    let tables: Vec<(String,)> = match sqlx::query_as(
        "SELECT tablename::text FROM pg_tables \
         WHERE schemaname = current_schema() AND tablename LIKE 'import\\_stage\\_%'",
    )
    .fetch_all(pool)
    .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "listing staging tables failed");
            return;
        }
    };
    let now = SystemTime::now();
    for (table,) in tables {
        let stale = made_at(&table)
            .and_then(|at| now.duration_since(at).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            tracing::info!(table = %table, "dropping a stale staging table");
            drop_table(pool, &table).await;
        }
    }
}

/// [`sweep_stale`] on `db` when it is PostgreSQL.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sweep_stale_on(db: &DatabaseConnection) {
    if let Some(pool) = postgres_pool(db) {
        sweep_stale(pool).await;
    }
}

/// `VACUUM (ANALYZE)` of the value tables after a bulk load, what
/// autovacuum would do later: the views plan with fresh statistics at once,
/// and the new rows' pages are marked all-visible, so a report table reads
/// its values from the covering index alone (an index-only scan visits the
/// table for every row on a page not so marked). Run in the background
/// after the import answered; best effort. VACUUM skips pages already
/// marked, so only what changed since the last one is read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn vacuum_values(db: &DatabaseConnection) {
    if postgres_pool(db).is_none() {
        return;
    }
    if let Err(e) = db
        .execute_unprepared("VACUUM (ANALYZE) budget_value, budget_value_total")
        .await
    {
        tracing::warn!(error = %e, "VACUUM after the import failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_names_have_a_time() {
        let id = Uuid::now_v7();
        let name = format!("{PREFIX}{}", id.simple());
        let at = made_at(&name).expect("a time");
        let age = SystemTime::now().duration_since(at).unwrap_or_default();
        assert!(age < Duration::from_secs(60));
        assert!(made_at("import_stage_x").is_none());
        assert!(made_at(&format!("{PREFIX}{}", id.hyphenated())).is_none());
        assert!(made_at("budget_value").is_none());
        // A v4 uuid holds no time.
        assert!(made_at(&format!("{PREFIX}{}", Uuid::nil().simple())).is_none());
    }
}
