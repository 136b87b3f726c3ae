//! The change feed: every write in commit order with its version, paged
//! with a cursor that never skips or repeats a change, also while many
//! writers commit at once, and never another kommun's changes.

use kommunrapport::error::ServiceError;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use kommunrapport::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// One page of the feed after `since` (from the start when empty).
async fn feed_page(app: &TestApp, token: &str, query: &str) -> Value {
    let page = app
        .get(&format!("/api/v1/changes?{query}"), token)
        .returns(200)
        .await;
    assert!(page["next_cursor"].is_string(), "{page}");
    page
}

/// Every change after `since`, following `next_cursor` with pages of
/// `limit`; returns them and the cursor to poll with.
async fn follow(app: &TestApp, token: &str, since: &str, limit: u32) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut cursor = since.to_string();
    loop {
        let page = feed_page(app, token, &format!("since={cursor}&limit={limit}")).await;
        let batch = page["items"].as_array().unwrap().clone();
        assert!(batch.len() <= limit as usize);
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if let Some(last) = batch.last() {
            assert_eq!(
                last["cursor"],
                cursor.as_str(),
                "next_cursor is the last item's"
            );
        }
        items.extend(batch);
        if page["has_more"] != true {
            return (items, cursor);
        }
    }
}

fn seqs(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["seq"].as_i64().unwrap()).collect()
}

fn assert_strictly_increasing(seqs: &[i64]) {
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seq not strictly increasing: {seqs:?}"
    );
}

/// (resource_type, resource_id, action, version) of each item.
fn summary(items: &[Value]) -> Vec<(String, String, String, Value)> {
    items
        .iter()
        .map(|i| {
            (
                i["resource_type"].as_str().unwrap().to_string(),
                i["resource_id"].as_str().unwrap_or_default().to_string(),
                i["action"].as_str().unwrap().to_string(),
                i["version"].clone(),
            )
        })
        .collect()
}

/// Renames nämnd `id` at `version`, expecting success.
async fn rename_namnd(app: &TestApp, token: &str, id: &str, name: &str, version: i64) {
    assert_eq!(
        app.patch(
            &format!("/api/v1/namnder/{id}"),
            token,
            &json!({ "name": name }),
        )
        .if_match(version)
        .status()
        .await,
        200
    );
}

async fn audit_count(app: &TestApp, admin: &str) -> usize {
    let page = app.get("/api/v1/audit?limit=500", admin).returns(200).await;
    assert!(page["next_cursor"].is_null(), "more than one page of audit");
    page["items"].as_array().unwrap().len()
}

async fn writes_appear_in_commit_order_with_versions(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let kommun_id = app.id_of("/api/v1/kommuner", &admin).await;
    let namnd = app.create_namnd(&admin, "VON", "namnd").await;
    let namnd_id = id_of(&namnd);
    let path = format!("/api/v1/namnder/{namnd_id}");
    rename_namnd(&app, &admin, &namnd_id, "Vård- och omsorgsnämnden", 1).await;
    let period = app.create_period(&admin, "helar", 2024).await;
    let period_id = id_of(&period);
    assert_eq!(app.delete(&path, &admin).if_match(2).status().await, 204);

    let page = feed_page(&app, &admin, "").await;
    let items = page["items"].as_array().unwrap().clone();
    let expected = vec![
        ("kommun", kommun_id.as_str(), "create", json!(1)),
        ("namnd", namnd_id.as_str(), "create", json!(1)),
        ("namnd", namnd_id.as_str(), "update", json!(2)),
        ("period", period_id.as_str(), "create", json!(1)),
        ("namnd", namnd_id.as_str(), "delete", Value::Null),
    ];
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(t, id, a, v)| (t.to_string(), id.to_string(), a.to_string(), v))
        .collect();
    assert_eq!(summary(&items), expected);
    assert_strictly_increasing(&seqs(&items));
    assert_eq!(page["has_more"], false);
    assert_eq!(page["next_cursor"], items[4]["cursor"]);
    assert_eq!(items.len(), audit_count(&app, &admin).await);
    let times: Vec<&str> = items
        .iter()
        .map(|i| i["occurred_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    // One change per page: each exactly once, in the same order.
    let (paged, cursor) = follow(&app, &admin, "", 1).await;
    assert_eq!(summary(&paged), expected);
    assert_eq!(cursor, page["next_cursor"].as_str().unwrap());

    // Caught up: nothing new, the same cursor back; then only the new change.
    let idle = feed_page(&app, &admin, &format!("since={cursor}")).await;
    assert_eq!(idle["items"], json!([]));
    assert_eq!(idle["next_cursor"], cursor.as_str());
    assert_eq!(idle["has_more"], false);
    app.create_namnd(&admin, "SOCN", "namnd").await;
    let (new, _) = follow(&app, &admin, &cursor, 50).await;
    assert_eq!(new.len(), 1);
    assert_eq!(
        (&new[0]["resource_type"], &new[0]["action"]),
        (&json!("namnd"), &json!("create"))
    );

    // A filter by resource type keeps the order and the cursors.
    let namnder = feed_page(&app, &admin, "resource_type=namnd&limit=2").await;
    assert_eq!(
        summary(namnder["items"].as_array().unwrap()),
        expected[1..3].to_vec()
    );
    assert_eq!(namnder["has_more"], true);
    let rest = feed_page(
        &app,
        &admin,
        &format!(
            "resource_type=namnd&since={}",
            namnder["next_cursor"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);

    // Bad cursors and limits are refused; a cursor of another list is not one.
    app.create_namnd(&admin, "KS", "styrelse").await;
    let other_list = app.get("/api/v1/namnder?limit=1", &admin).reply().await.1["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    for query in [
        "since=not-a-cursor".to_string(),
        format!("since={other_list}"),
    ] {
        app.get(&format!("/api/v1/changes?{query}"), &admin)
            .invalid(&["since"])
            .await;
    }
    app.get("/api/v1/changes?limit=501", &admin)
        .invalid(&["limit"])
        .await;
}
both_databases!(writes_appear_in_commit_order_with_versions);

async fn only_roles_that_see_the_whole_kommun_read_the_feed(backend: Backend) {
    let app = spawn_app(backend).await;
    app.katrineholm().await;
    for role in [Role::Kommunledning, Role::Revisor, Role::Integration] {
        let page = feed_page(&app, &app.token(role), "").await;
        assert_eq!(page["items"][0]["resource_type"], "kommun", "{role}");
    }
    for role in [Role::Redaktor, Role::Namndsekreterare, Role::Lasare] {
        let token = app.token_in("0483", role, &["VON"]);
        app.get("/api/v1/changes", &token).problem(403).await;
    }
}
both_databases!(only_roles_that_see_the_whole_kommun_read_the_feed);

async fn another_kommuns_changes_never_appear(backend: Backend) {
    let app = spawn_app(backend).await;
    let katrineholm = app.katrineholm().await;
    app.create_namnd(&katrineholm, "VON", "namnd").await;
    let askersund = app.create_kommun("1882", "Askersunds kommun").await;
    let sn = app.create_namnd(&askersund, "SN", "namnd").await;
    app.create_namnd(&katrineholm, "SOCN", "namnd").await;

    let (ours, _) = follow(&app, &katrineholm, "", 50).await;
    let (theirs, _) = follow(&app, &askersund, "", 50).await;
    assert_eq!(ours.len(), 3);
    assert_eq!(theirs.len(), 2);
    assert!(
        ours.iter()
            .all(|i| i["resource_id"] != sn["id"] && i["resource_id"] != theirs[0]["resource_id"]),
        "{ours:?}"
    );
    assert_eq!(theirs[1]["resource_id"], sn["id"]);
    // Each kommun numbers its own changes.
    assert_eq!(seqs(&theirs), [1, 2]);
    assert_eq!(seqs(&ours), [1, 2, 3]);
    // Askersund's cursor read with Katrineholm's token shows Katrineholm's changes only.
    let page = feed_page(&app, &katrineholm, "since=AAAAAAAAAAE").await;
    assert_eq!(seqs(page["items"].as_array().unwrap()), [2, 3]);
}
both_databases!(another_kommuns_changes_never_appear);

/// 20 writers at a time (creates and updates) while a reader follows the
/// feed: what the reader saw is exactly the full feed read afterwards, in
/// strictly increasing order, one item per audited change.
async fn concurrent_writers_are_neither_skipped_nor_repeated(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let admin = app.katrineholm().await;
    let mut existing = Vec::new();
    for n in 0..10 {
        let namnd = app.create_namnd(&admin, &format!("A{n}"), "namnd").await;
        existing.push(id_of(&namnd));
    }
    let (_, start) = follow(&app, &admin, "", 500).await;

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (app, admin, done, start) = (app.clone(), admin.clone(), done.clone(), start.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut cursor = start;
            loop {
                let finished = done.load(Ordering::SeqCst);
                let (items, next) = follow(&app, &admin, &cursor, 3).await;
                seen.extend(items);
                cursor = next;
                if finished {
                    return seen;
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        })
    };
    for round in 0..2 {
        let mut writers = Vec::new();
        for (n, id) in existing.iter().enumerate() {
            let (client, token, id) = (app.clone(), admin.clone(), id.clone());
            writers.push(tokio::spawn(async move {
                let name = format!("Nämnd {n} v{}", round + 2);
                rename_namnd(&client, &token, &id, &name, round + 1).await;
            }));
            let (client, token) = (app.clone(), admin.clone());
            writers.push(tokio::spawn(async move {
                client
                    .create_namnd(&token, &format!("B{round}{n}"), "namnd")
                    .await;
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.await.unwrap();

    let (all, _) = follow(&app, &admin, &start, 500).await;
    assert_eq!(all.len(), 40, "20 updates and 20 creates");
    assert_strictly_increasing(&seqs(&seen));
    assert_eq!(
        seqs(&seen),
        seqs(&all),
        "the live reader skipped or repeated"
    );
    assert_eq!(summary(&seen), summary(&all));
    let updates = all.iter().filter(|i| i["action"] == "update").count();
    assert_eq!(updates, 20);
    let (everything, _) = follow(&app, &admin, "", 500).await;
    assert_eq!(everything.len(), audit_count(&app, &admin).await);
}
both_databases!(concurrent_writers_are_neither_skipped_nor_repeated);

/// The migration numbers audit rows written before it: the same feed as the
/// live one for changes made one after another.
async fn migration_backfills_the_feed_from_the_audit_log(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let namnd = app.create_namnd(&admin, "VON", "namnd").await;
    rename_namnd(&app, &admin, &id_of(&namnd), "VON", 1).await;
    let (live, _) = follow(&app, &admin, "", 50).await;

    let db = app.db().await;
    db.execute_unprepared("DELETE FROM change_feed")
        .await
        .unwrap();
    db.execute_unprepared("DELETE FROM change_counter")
        .await
        .unwrap();
    assert_eq!(follow(&app, &admin, "", 50).await.0.len(), 0);
    migration::backfill_change_feed(&db).await.unwrap();
    let (backfilled, _) = follow(&app, &admin, "", 50).await;
    assert_eq!(summary(&backfilled), summary(&live));
    assert_eq!(seqs(&backfilled), [1, 2, 3]);
    // The counter continues after the backfilled numbers.
    app.create_namnd(&admin, "SOCN", "namnd").await;
    let (after, _) = follow(&app, &admin, "", 50).await;
    assert_eq!(seqs(&after), [1, 2, 3, 4]);
}
both_databases!(migration_backfills_the_feed_from_the_audit_log);

/// A change without a resource, numbered in the feed as the write path
/// numbers every change, just before its commit.
async fn change(
    txn: &sea_orm::DatabaseTransaction,
    actor: &kommunrapport::service::audit::Actor,
    action: &str,
) {
    let change = kommunrapport::service::changes::Change {
        audit_id: uuid::Uuid::now_v7(),
        resource_type: "test",
        resource_id: None,
        action,
        version: None,
        occurred_at: chrono::Utc::now(),
    };
    kommunrapport::service::changes::append(txn, actor.kommun_id, &[change])
        .await
        .unwrap();
}

/// The order guarantee itself, step by step: while one transaction holds an
/// uncommitted change, a second writer of the kommun waits for it (so it
/// cannot take a number that a reader might see first), and a reader sees
/// neither until they commit, then both in commit order.
async fn a_later_writer_waits_for_the_uncommitted_change(backend: Backend) {
    use kommunrapport::service::audit::Actor;
    use sea_orm::TransactionTrait;

    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let (_, start) = follow(&app, &admin, "", 50).await;
    let kommun_id = app.id_of("/api/v1/kommuner", &admin).await.parse().unwrap();
    let actor = Actor {
        kommun_id,
        principal: "test".into(),
        role: "admin".into(),
        request_id: None,
    };
    let db = app.db().await;
    let first = db.begin().await.unwrap();
    change(&first, &actor, "first").await;
    let second = {
        let (db, actor) = (db.clone(), actor.clone());
        tokio::spawn(async move {
            let txn = db.begin().await.unwrap();
            change(&txn, &actor, "second").await;
            txn.commit().await.unwrap();
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!second.is_finished(), "the second writer did not wait");
    assert_eq!(follow(&app, &admin, &start, 50).await.0.len(), 0);
    first.commit().await.unwrap();
    second.await.unwrap();
    let (items, _) = follow(&app, &admin, &start, 50).await;
    let actions: Vec<&str> = items
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["first", "second"]);
    assert_strictly_increasing(&seqs(&items));
}
both_databases!(a_later_writer_waits_for_the_uncommitted_change);

/// A writer that loses a deadlock on PostgreSQL (as two multi-change
/// transactions of one kommun can, each holding what the other needs) gets
/// a 503 with `Retry-After` that says nothing was changed, not a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_deadlock_is_a_503_to_retry() {
    use actix_web::ResponseError;
    use kommunrapport::error::ApiError;
    use sea_orm::TransactionTrait;

    let database = fresh_database(Backend::Postgres).await;
    let db = kommunrapport::startup::connect(&database.url)
        .await
        .unwrap();
    db.execute_unprepared(
        "CREATE TABLE lock_probe (id INT PRIMARY KEY, n INT NOT NULL); \
         INSERT INTO lock_probe VALUES (1, 0), (2, 0)",
    )
    .await
    .unwrap();
    let bump = |id: i32| format!("UPDATE lock_probe SET n = n + 1 WHERE id = {id}");
    let first = db.begin().await.unwrap();
    let second = db.begin().await.unwrap();
    first.execute_unprepared(&bump(1)).await.unwrap();
    second.execute_unprepared(&bump(2)).await.unwrap();
    let (first_then_2, second_then_1) = (bump(2), bump(1));
    let (a, b) = tokio::join!(
        first.execute_unprepared(&first_then_2),
        second.execute_unprepared(&second_then_1)
    );
    let lost = match (a, b) {
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => e,
        other => panic!("expected exactly one deadlock victim, got {other:?}"),
    };
    let err = ApiError::from(lost);
    assert!(
        matches!(err, ApiError::Service(ServiceError::Contended(_))),
        "{err:?}"
    );
    let response = err.error_response();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let problem = err.problem();
    assert_eq!(problem.type_, "/problems/write-conflict");
    assert!(
        problem.detail.contains("nothing was changed"),
        "{}",
        problem.detail
    );
    first.rollback().await.ok();
    second.rollback().await.ok();
}
