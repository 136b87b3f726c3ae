//! Calendar feeds: a user's secret URL serves the process calendar as
//! iCalendar (parsed here with the `icalendar` crate, as a calendar client
//! would), narrowed to a nämnd-scoped user's nämnder; the secret opens
//! nothing else; a revoked or unknown secret is 404.

use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDate, Utc};
use icalendar::{Calendar, CalendarComponent, Component, DatePerhapsTime};
use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

fn day(offset: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(offset)
}

/// The kommun with VON and SOCN, a delårsrapport period, deadlines for
/// every nämnd, for each of the two, and KF's date. Returns the admin token.
async fn calendar(app: &TestApp) -> String {
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let socn = app.create_namnd(&admin, "SOCN", "namnd").await;
    // A name that needs escaping in iCalendar text.
    app.patch(
        &format!("/api/v1/namnder/{}", id_of(&von)),
        &admin,
        &json!({"name": "Vård- och omsorgsnämnden; äldre, LSS \\ övrigt"}),
    )
    .if_match(1)
    .returns(200)
    .await;
    let period = app.create_period(&admin, "delar", 2024).await;
    let deadline = |kind: &str, due: NaiveDate, namnd: Option<&Value>| {
        let mut body = json!({"period_id": period["id"], "type": "delarsrapport",
            "kind": kind, "due_date": due.to_string()});
        if let Some(n) = namnd {
            body["namnd_id"] = n["id"].clone();
        }
        app.post("/api/v1/deadlines", &admin, &body).returns(201)
    };
    deadline("underlag", day(5), None).await;
    deadline("inlamning", day(10), Some(&von)).await;
    deadline("inlamning", day(12), Some(&socn)).await;
    deadline("kf", day(40), None).await;
    admin
}

/// The URL's path and query (the answer names the test server's host).
fn feed_path(feed: &Value) -> String {
    let url = feed["url"].as_str().unwrap();
    let start = url.find("/api/v1/calendar.ics?token=").unwrap();
    url[start..].to_string()
}

fn secret(feed: &Value) -> String {
    feed_path(feed).rsplit('=').next().unwrap().to_string()
}

/// GET of the feed without any token: status, content type, body.
async fn fetch(app: &TestApp, path: &str) -> (u16, String, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, content_type, response.text().await.unwrap())
}

/// The events of a calendar as a client reads them: summary, date and
/// description, after checking the lines are CRLF and at most 75 octets.
fn events(text: &str) -> Vec<(String, NaiveDate, String)> {
    assert!(text.ends_with("\r\n"), "{text}");
    for line in text.split_terminator("\r\n") {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line end: {line:?}"
        );
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    let calendar: Calendar = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .map(|e| {
            let date = match e.get_start() {
                Some(DatePerhapsTime::Date(d)) => d,
                other => panic!("not an all-day event: {other:?}"),
            };
            assert!(e.get_uid().is_some_and(|u| u.ends_with("@kommunrapport")));
            assert!(e.get_timestamp().is_some(), "DTSTAMP");
            (
                e.get_summary().unwrap_or_default().to_string(),
                date,
                e.get_description().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn a_namnd_users_feed_shows_its_namnd_and_parses(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = calendar(&app).await;
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    // Another nämnd's feed is not the redaktör's to make.
    problem(
        app.post(
            "/api/v1/calendar-feeds",
            &redaktor,
            &json!({"namnd": "SOCN"}),
        )
        .send()
        .await
        .unwrap(),
        403,
    )
    .await;
    let feed = app
        .post(
            "/api/v1/calendar-feeds",
            &redaktor,
            &json!({"name": "Outlook"}),
        )
        .returns(201)
        .await;
    assert_eq!(feed["namnder"], json!(["VON"]));

    let (status, content_type, text) = fetch(&app, &feed_path(&feed)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "text/calendar; charset=utf-8");
    let got = events(&text);
    let summaries: Vec<&str> = got.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "Underlag: Delårsrapport 2024",
            "Inlämning: Delårsrapport 2024 – VON",
            "KF: Delårsrapport 2024",
        ],
        "VON's and the kommun's dates, not SOCN's"
    );
    assert_eq!(got[1].1, day(10));
    // Escaped in the feed, read back as written.
    assert!(
        got[1]
            .2
            .contains("Vård- och omsorgsnämnden; äldre, LSS \\ övrigt"),
        "{}",
        got[1].2
    );
    assert!(
        text.contains("omsorgsnämnden\\; äldre\\, LSS \\\\ övrigt"),
        "{text}"
    );

    // The whole kommun's feed has SOCN's date too.
    let everything = app
        .post("/api/v1/calendar-feeds", &admin, &json!({}))
        .returns(201)
        .await;
    assert_eq!(everything["namnder"], Value::Null);
    let (_, _, text) = fetch(&app, &feed_path(&everything)).await;
    let got = events(&text);
    assert!(
        got.iter()
            .any(|(s, d, _)| s == "Inlämning: Delårsrapport 2024 – SOCN" && *d == day(12)),
        "{got:?}"
    );
    assert_eq!(got.len(), 4);
}

both_databases!(a_namnd_users_feed_shows_its_namnd_and_parses);

async fn the_secret_opens_the_feed_only_and_revoking_ends_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = calendar(&app).await;
    let feed = app
        .post(
            "/api/v1/calendar-feeds",
            &admin,
            &json!({"name": "Outlook"}),
        )
        .returns(201)
        .await;
    let path = feed_path(&feed);
    let secret = secret(&feed);
    assert_eq!(secret.len(), 43, "32 random bytes");

    // ETag: an unchanged calendar is 304.
    let response = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let tag = response.headers()["etag"].to_str().unwrap().to_string();
    let again = app
        .client
        .get(app.url(&path))
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    // Nothing else opens with the secret: not as a query token, not as a
    // bearer token, not even the feed list.
    for other in [
        "/api/v1/deadlines",
        "/api/v1/calendar-feeds",
        "/api/v1/namnder",
        "/api/v1/reports",
    ] {
        let with_query = app
            .client
            .get(app.url(&format!("{other}?token={secret}")))
            .send()
            .await
            .unwrap();
        problem(with_query, 401).await;
        let with_bearer = app
            .client
            .get(app.url(other))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        problem(with_bearer, 401).await;
    }

    // The owner lists it without its URL; another user neither sees nor
    // revokes it.
    let listed = app.get("/api/v1/calendar-feeds", &admin).returns(200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["url"], Value::Null);
    let someone = app
        .tokens
        .issue(
            "someone-else",
            Role::Admin,
            "0483",
            &[],
            StdDuration::from_secs(600),
        )
        .unwrap();
    let item = format!("/api/v1/calendar-feeds/{}", id_of(&feed));
    let theirs = app
        .get("/api/v1/calendar-feeds", &someone)
        .returns(200)
        .await;
    assert_eq!(theirs["items"], json!([]));
    problem(app.delete(&item, &someone).send().await.unwrap(), 404).await;

    app.delete(&item, &admin).returns(204).await;
    let (status, content_type, revoked) = fetch(&app, &path).await;
    assert_eq!(status, 404, "{revoked}");
    assert_eq!(content_type, "application/problem+json");
    let (status, _, unknown) = fetch(&app, "/api/v1/calendar.ics?token=nothing-like-it").await;
    assert_eq!(status, 404);
    let detail = |text: &str| serde_json::from_str::<Value>(text).unwrap()["detail"].clone();
    assert_eq!(
        detail(&revoked),
        detail(&unknown),
        "a revoked secret answers as an unknown one"
    );
    let (status, _, _) = fetch(&app, "/api/v1/calendar.ics").await;
    assert_eq!(status, 404);

    // Made and revoked are in the audit log.
    let audit = app
        .get("/api/v1/audit?resource_type=calendar_feed", &admin)
        .returns(200)
        .await;
    let actions: Vec<&str> = array(&audit["items"])
        .iter()
        .filter(|e| e["resource_id"] == feed["id"])
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 2, "{audit}");
    assert!(actions.contains(&"create") && actions.contains(&"delete"));
    assert!(
        !audit.to_string().contains(&secret),
        "the audit log holds no secret"
    );
}

both_databases!(the_secret_opens_the_feed_only_and_revoking_ends_it);
