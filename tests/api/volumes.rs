//! Volymmått: CRUD, values (monthly, whole-period, prognos), access, and the
//! period figures of seeds 000 (årsredovisning 2024) and 001 (delår 2024).

use std::str::FromStr;

use kommunrapport::auth::Role;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

async fn create_measure(
    app: &TestApp,
    token: &str,
    namnd_id: &str,
    name: &str,
    unit: &str,
    aggregation: &str,
) -> Value {
    let response = app
        .post(
            "/api/v1/volume-measures",
            token,
            &json!({"namnd_id": namnd_id, "name": name, "unit": unit, "aggregation": aggregation}),
        )
        .send()
        .await
        .unwrap();
    let (status, value) = body(response).await;
    assert_eq!(status, 201, "create measure {name}: {value}");
    value
}

/// Katrineholm's VON with one measure, as its admin; returns the app, the
/// admin token and the measure's id.
async fn von_measure(
    backend: Backend,
    name: &str,
    unit: &str,
    aggregation: &str,
) -> (TestApp, String, String) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let m = create_measure(&app, &admin, &id_of(&von), name, unit, aggregation).await;
    let id = id_of(&m);
    (app, admin, id)
}

async fn put_values(app: &TestApp, token: &str, id: &str, values: Value) -> Value {
    let path = format!("/api/v1/volume-measures/{id}/values");
    app.put(&path, token, &json!({ "values": values }))
        .returns(200)
        .await
}

async fn create_period(app: &TestApp, token: &str, body_: Value) -> String {
    let value = app
        .post("/api/v1/periods", token, &body_)
        .returns(201)
        .await;
    id_of(&value)
}

fn dec(value: &Value) -> Option<Decimal> {
    if value.is_null() {
        None
    } else {
        Some(Decimal::from_str(&value.to_string()).unwrap())
    }
}

fn d(text: &str) -> Option<Decimal> {
    Some(Decimal::from_str(text).unwrap())
}

async fn create_read_update_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let von_id = id_of(&von);
    let created = create_measure(
        &app,
        &admin,
        &von_id,
        "Belagda platser på särskilt boende för äldre",
        "platser",
        "sista_manad",
    )
    .await;
    assert_eq!(
        (
            created["namnd"].as_str(),
            created["namnd_id"].as_str(),
            created["unit"].as_str(),
            created["aggregation"].as_str(),
            created["position"].as_i64(),
            created["version"].as_i64(),
        ),
        (
            Some("VON"),
            Some(von_id.as_str()),
            Some("platser"),
            Some("sista_manad"),
            Some(1),
            Some(1)
        )
    );
    let second = create_measure(
        &app,
        &admin,
        &von_id,
        "Planerade hemtjänsttimmar per månad, intern regi",
        "timmar",
        "snitt_per_manad",
    )
    .await;
    assert_eq!(second["position"], 2, "placed last");

    let id = id_of(&created);
    let path = format!("/api/v1/volume-measures/{id}");
    app.assert_etag(&path, &admin, 1).await;

    // Duplicate name in the same nämnd.
    let p = app
        .post(
            "/api/v1/volume-measures",
            &admin,
            &json!({"namnd_id": von_id, "name": "Belagda platser på särskilt boende för äldre",
                    "unit": "platser", "aggregation": "summa"}),
        )
        .problem(409)
        .await;
    assert_eq!(error_fields(&p), ["name"]);
    // The same name in another nämnd is fine.
    let socn = app.create_namnd(&admin, "SOCN", "namnd").await;
    create_measure(
        &app,
        &admin,
        &id_of(&socn),
        "Belagda platser på särskilt boende för äldre",
        "platser",
        "sista_manad",
    )
    .await;

    app.patch(&path, &admin, &json!({"unit": "platser"}))
        .problem(428)
        .await;
    app.patch(&path, &admin, &json!({"unit": "platser"}))
        .if_match(9)
        .problem(412)
        .await;
    let p = app
        .patch(
            &path,
            &admin,
            &json!({"name": "Planerade hemtjänsttimmar per månad, intern regi"}),
        )
        .if_match(1)
        .problem(409)
        .await;
    assert_eq!(error_fields(&p), ["name"]);
    app.patch(&path, &admin, &json!({"namnd": "SOCN"}))
        .if_match(1)
        .invalid(&["namnd"])
        .await;
    let response = app
        .patch(
            &path,
            &admin,
            &json!({"aggregation": "summa", "unit": "antal", "position": 5}),
        )
        .if_match(1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"2\"");
    let (status, changed) = body(response).await;
    assert_eq!(
        (
            status,
            changed["aggregation"].as_str(),
            changed["unit"].as_str(),
            changed["position"].as_i64(),
            changed["namnd"].as_str()
        ),
        (200, Some("summa"), Some("antal"), Some(5), Some("VON"))
    );

    // Lists: filters and pages.
    let list: Value = app
        .get("/api/v1/volume-measures", &admin)
        .returns(200)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    for filter in ["namnd=VON".to_string(), format!("namnd_id={von_id}")] {
        let list: Value = app
            .get(&format!("/api/v1/volume-measures?{filter}"), &admin)
            .returns(200)
            .await;
        let names: Vec<&str> = texts(&list["items"], "namnd");
        assert_eq!(names, ["VON", "VON"], "{filter}");
    }
    let page: Value = app
        .get("/api/v1/volume-measures?limit=2", &admin)
        .returns(200)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get(
            &format!("/api/v1/volume-measures?limit=2&cursor={cursor}"),
            &admin,
        )
        .returns(200)
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    let none: Value = app
        .get("/api/v1/volume-measures?namnd=NOPE", &admin)
        .returns(200)
        .await;
    assert_eq!(none["items"], json!([]));

    // Deleting takes the values with it.
    put_values(
        &app,
        &admin,
        &id,
        json!([{"month": "2024-01", "kind": "utfall", "value": 3}]),
    )
    .await;
    app.delete(&path, &admin).problem(428).await;
    app.delete(&path, &admin).if_match(1).problem(412).await;
    assert_eq!(app.delete(&path, &admin).if_match(2).status().await, 204);
    app.get(&path, &admin).problem(404).await;
    app.get(&format!("{path}/values"), &admin)
        .problem(404)
        .await;
}
both_databases!(create_read_update_delete);

async fn bad_measures_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let von_id = id_of(&von);
    let post = |body: Value| app.post("/api/v1/volume-measures", &admin, &body);
    post(json!({"namnd_id": von_id, "name": " ", "unit": "", "aggregation": "summa"}))
        .invalid(&["name", "unit"])
        .await;
    post(json!({"namnd_id": von_id, "name": "X", "unit": "st", "aggregation": "median"}))
        .invalid(&["aggregation"])
        .await;
    post(json!({"namnd_id": von_id, "namnd": "VON", "name": "X", "unit": "st", "aggregation": "summa"})).invalid(&["namnd"])
    .await;
    // A nämnd that is not in the kommun.
    post(json!({"namnd_id": uuid::Uuid::now_v7(), "name": "X", "unit": "st", "aggregation": "summa"})).problem(404)
    .await;
    let list: Value = app
        .get("/api/v1/volume-measures", &admin)
        .returns(200)
        .await;
    assert_eq!(list["items"], json!([]));
}
both_databases!(bad_measures_are_refused);

async fn values_are_validated_all_or_nothing(backend: Backend) {
    let (app, admin, id) = von_measure(
        backend,
        "Externa placeringar SoL",
        "placeringar",
        "sista_manad",
    )
    .await;
    let path = format!("/api/v1/volume-measures/{id}/values");
    let send = |values: Value| app.put(&path, &admin, &json!({ "values": values }));

    let p = send(json!([
            {"month": "2024-01", "kind": "utfall", "value": 6},
            {"month": "2024-13", "kind": "utfall", "value": 6},
            {"month": "2024-02", "period": {"from": "2024-01", "to": "2024-02"}, "kind": "utfall", "value": 6},
            {"month": "2024-03", "kind": "utfall", "value": "sex"},
            {"period": {"from": "2024-01", "to": "2024-12"}, "kind": "prognos", "value": 7},
            {"period": {"from": "2023-09", "to": "2024-08"}, "kind": "utfall", "value": 7},
            {"period": {"from": "2024-08", "to": "2024-01"}, "kind": "utfall", "value": 7},
            {"period": {"from": "2024-01", "to": "2024-8"}, "kind": "utfall", "value": 7},
            {"kind": "utfall", "value": 7},
            {"month": "2024-01", "kind": "utfall", "value": 5},
            {"month": "2024-04", "kind": "utfall", "value": true}
        ])).problem(422)
    .await;
    assert_eq!(
        error_fields(&p),
        [
            "values[1].month",
            "values[2]",
            "values[3].value",
            "values[4].period",
            "values[5].period",
            "values[6].period",
            "values[7].period.to",
            "values[8]",
            "values[9]",
            "values[10].value",
        ],
        "{p}"
    );
    // Unknown kind and unknown fields are named by path too.
    let p = send(json!([
        {"month": "2024-01", "kind": "utfall", "value": 6},
        {"month": "2024-02", "kind": "budget", "value": 6}
    ]))
    .problem(422)
    .await;
    assert_eq!(error_fields(&p), ["values[1].kind"]);
    let p = send(json!([{"month": "2024-02", "kind": "utfall", "value": 6, "gender": "K"}]))
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["values[0].gender"]);
    let p = send(json!([{"month": "2024-02", "kind": "utfall"}]))
        .problem(422)
        .await;
    assert!(p["detail"].as_str().unwrap().contains("value"), "{p}");

    // Nothing was written by any of them.
    let (status, values) = app.get(&path, &admin).reply().await;
    assert_eq!((status, &values["values"]), (200, &json!([])));
}
both_databases!(values_are_validated_all_or_nothing);

async fn values_are_upserted_exactly(backend: Backend) {
    let (app, admin, id) = von_measure(
        backend,
        "Beviljade timmar boendestöd per månad",
        "timmar",
        "snitt_per_manad",
    )
    .await;
    let written = put_values(
        &app,
        &admin,
        &id,
        json!([
            {"month": "2024-03", "kind": "utfall", "value": 1234.5},
            {"period": {"from": "2024-01", "to": "2024-12"}, "kind": "utfall", "value": "33.5"},
            {"month": "2024-08", "kind": "prognos", "value": 120},
            {"month": "2024-04", "kind": "utfall", "value": "123456789012.3456789"},
            {"period": {"from": "2024-05", "to": "2024-05"}, "kind": "utfall", "value": "1e3"},
            {"month": "2024-06", "kind": "utfall", "value": null}
        ]),
    )
    .await;
    // Utfall before prognos, each by first month; parsed from text so the
    // expected numbers are exact too.
    let expected: Value = serde_json::from_str(&format!(
        r#"{{"measure_id": "{id}", "values": [
            {{"month": null, "period": {{"from": "2024-01", "to": "2024-12"}}, "kind": "utfall", "value": 33.5}},
            {{"month": "2024-03", "period": null, "kind": "utfall", "value": 1234.5}},
            {{"month": "2024-04", "period": null, "kind": "utfall", "value": 123456789012.3456789}},
            {{"month": "2024-05", "period": null, "kind": "utfall", "value": 1000}},
            {{"month": "2024-08", "period": null, "kind": "prognos", "value": 120}}
        ]}}"#
    ))
    .unwrap();
    assert_eq!(written, expected);
    // Exact: the served text is the decimal, not an f64 rendering.
    let text = app
        .get(&format!("/api/v1/volume-measures/{id}/values"), &admin)
        .text()
        .await;
    assert!(text.contains("123456789012.3456789"), "{text}");
    let read: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(read, expected);

    // Re-sending changes nothing; the measure's version stays.
    let again = put_values(
        &app,
        &admin,
        &id,
        json!([
            {"month": "2024-03", "kind": "utfall", "value": "1234.50"},
            {"period": {"from": "2024-01", "to": "2024-12"}, "kind": "utfall", "value": 33.5}
        ]),
    )
    .await;
    assert_eq!(again, expected);
    // Change one, delete two, add one.
    let changed = put_values(
        &app,
        &admin,
        &id,
        json!([
            {"month": "2024-03", "kind": "utfall", "value": -2},
            {"month": "2024-04", "kind": "utfall", "value": null},
            {"period": {"from": "2024-01", "to": "2024-12"}, "kind": "utfall", "value": null},
            {"month": "2024-09", "kind": "prognos", "value": 0}
        ]),
    )
    .await;
    assert_eq!(
        changed["values"],
        json!([
            {"period": null, "month": "2024-03", "kind": "utfall", "value": -2},
            {"period": null, "month": "2024-05", "kind": "utfall", "value": 1000},
            {"period": null, "month": "2024-08", "kind": "prognos", "value": 120},
            {"period": null, "month": "2024-09", "kind": "prognos", "value": 0}
        ])
    );
    let measure: Value = app
        .get(&format!("/api/v1/volume-measures/{id}"), &admin)
        .returns(200)
        .await;
    assert_eq!(measure["version"], 1);
}
both_databases!(values_are_upserted_exactly);

async fn access_follows_the_namnd(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let socn = app.create_namnd(&admin, "SOCN", "namnd").await;
    let von_measure = create_measure(
        &app,
        &admin,
        &id_of(&von),
        "Belagda platser på LSS-boende",
        "platser",
        "sista_manad",
    )
    .await;
    let path = format!("/api/v1/volume-measures/{}", id_of(&von_measure));
    let values = format!("{path}/values");
    let one =
        json!({"values": [{"period": null, "month": "2024-01", "kind": "utfall", "value": 149}]});
    let new_in_von =
        json!({"namnd_id": id_of(&von), "name": "Ny", "unit": "st", "aggregation": "summa"});

    let socn_redaktor = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    app.put(&values, &socn_redaktor, &one).problem(403).await;
    app.post("/api/v1/volume-measures", &socn_redaktor, &new_in_von)
        .problem(403)
        .await;
    app.get(&path, &socn_redaktor).problem(403).await;
    app.get("/api/v1/volume-measures?namnd=VON", &socn_redaktor)
        .problem(403)
        .await;
    app.patch(&path, &socn_redaktor, &json!({"unit": "x"}))
        .if_match(1)
        .problem(403)
        .await;
    app.delete(&path, &socn_redaktor)
        .if_match(1)
        .problem(403)
        .await;
    // Its own nämnd is fine, and its list shows only its own.
    create_measure(
        &app,
        &socn_redaktor,
        &id_of(&socn),
        "Externa placeringar SoL",
        "placeringar",
        "sista_manad",
    )
    .await;
    let own: Value = app
        .get("/api/v1/volume-measures", &socn_redaktor)
        .returns(200)
        .await;
    let codes: Vec<&str> = texts(&own["items"], "namnd");
    assert_eq!(codes, ["SOCN"]);

    let von_redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    put_values(
        &app,
        &von_redaktor,
        &id_of(&von_measure),
        one["values"].clone(),
    )
    .await;
    let integration = app.token(Role::Integration);
    put_values(
        &app,
        &integration,
        &id_of(&von_measure),
        one["values"].clone(),
    )
    .await;

    let lasare = app.token(Role::Lasare);
    app.get_problems(
        &lasare,
        &[
            (&path, 403),
            ("/api/v1/volume-measures", 403),
            (&values, 403),
        ],
    )
    .await;

    let revisor = app.token(Role::Revisor);
    assert_eq!(app.get(&values, &revisor).status().await, 200);
    app.put(&values, &revisor, &one).problem(403).await;

    // Another kommun never sees it.
    let other = app.create_kommun("1882", "Askersunds kommun").await;
    app.get(&path, &other).problem(404).await;
    app.get(&values, &other).problem(404).await;
    app.put(&values, &other, &one).problem(404).await;
    app.post("/api/v1/volume-measures", &other, &new_in_von)
        .problem(404)
        .await;
    let theirs: Value = app
        .get("/api/v1/volume-measures", &other)
        .returns(200)
        .await;
    assert_eq!(theirs["items"], json!([]));
    let period = create_period(&app, &admin, json!({"kind": "helar", "year": 2024})).await;
    app.get(&format!("{path}/figures?period_id={period}"), &other)
        .problem(404)
        .await;
    // Their own period does not unlock ours either.
    let their_period = create_period(&app, &other, json!({"kind": "helar", "year": 2024})).await;
    app.get(&format!("{path}/figures?period_id={their_period}"), &admin)
        .problem(404)
        .await;
    app.get(&format!("{path}/figures"), &admin)
        .problem(400)
        .await;
}
both_databases!(access_follows_the_namnd);

/// A volume row as seeds 001 (delår 2024) and 000 (helår 2024) print it.
struct SeedVolume {
    name: &'static str,
    unit: &'static str,
    aggregation: &'static str,
    delar_2024: &'static str,
    /// Made in 2024-08.
    prognos_2024: &'static str,
    delar_2023: &'static str,
    /// Printed in both seeds.
    helar_2023: &'static str,
    helar_2024: &'static str,
}

const SEED_VOLUMES: [SeedVolume; 5] = [
    SeedVolume {
        name: "Planerade hemtjänsttimmar per månad, intern regi",
        unit: "timmar",
        aggregation: "snitt_per_manad",
        delar_2024: "20450",
        prognos_2024: "20900",
        delar_2023: "19057",
        helar_2023: "19364",
        helar_2024: "20934",
    },
    SeedVolume {
        name: "Belagda platser på särskilt boende för äldre",
        unit: "platser",
        aggregation: "sista_manad",
        delar_2024: "304",
        prognos_2024: "314",
        delar_2023: "304",
        helar_2023: "304",
        helar_2024: "307",
    },
    SeedVolume {
        name: "Personlig assistans enligt LSS, internt utförd",
        unit: "timmar",
        aggregation: "snitt_per_manad",
        delar_2024: "163",
        prognos_2024: "162",
        delar_2023: "365",
        helar_2023: "298",
        helar_2024: "163",
    },
    SeedVolume {
        name: "Externa placeringar SoL",
        unit: "placeringar",
        aggregation: "sista_manad",
        delar_2024: "6",
        prognos_2024: "6",
        delar_2023: "9",
        helar_2023: "3",
        helar_2024: "6",
    },
    SeedVolume {
        name: "Brukare med arbete/sysselsättning inom SoL per månad",
        unit: "brukare",
        aggregation: "snitt_per_manad",
        delar_2024: "46",
        prognos_2024: "44",
        delar_2023: "43",
        helar_2023: "42",
        helar_2024: "45",
    },
];

async fn seed_volumes_read_back_as_printed(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let von_id = id_of(&von);
    let delar = create_period(&app, &admin, json!({"kind": "delar", "year": 2024})).await;
    let helar = create_period(&app, &admin, json!({"kind": "helar", "year": 2024})).await;
    let tertial = create_period(
        &app,
        &admin,
        json!({"kind": "tertial", "year": 2024, "number": 1}),
    )
    .await;
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    let figures = |id: &str, period: &str| {
        let path = format!("/api/v1/volume-measures/{id}/figures?period_id={period}");
        let request = app.get(&path, &redaktor);
        async move { request.returns(200).await }
    };
    let columns = |row: &Value| {
        (
            dec(&row["period_value"]),
            dec(&row["prognos"]),
            dec(&row["samma_period_foregaende_ar"]),
            dec(&row["foregaende_ar"]),
        )
    };

    // Seeds 000 and 001 print whole-period values only.
    for seed in SEED_VOLUMES {
        let SeedVolume {
            name,
            unit,
            aggregation,
            delar_2024: delar24,
            prognos_2024: prognos,
            delar_2023: delar23,
            helar_2023: helar23,
            helar_2024: helar24,
        } = seed;
        let m = create_measure(&app, &redaktor, &von_id, name, unit, aggregation).await;
        let id = id_of(&m);
        put_values(
            &app,
            &redaktor,
            &id,
            json!([
                {"period": {"from": "2024-01", "to": "2024-08"}, "kind": "utfall", "value": delar24},
                {"month": "2024-08", "kind": "prognos", "value": prognos},
                {"period": {"from": "2023-01", "to": "2023-08"}, "kind": "utfall", "value": delar23},
                {"period": {"from": "2023-01", "to": "2023-12"}, "kind": "utfall", "value": helar23},
                {"period": {"from": "2024-01", "to": "2024-12"}, "kind": "utfall", "value": helar24}
            ]),
        )
        .await;
        // Seed 001: Delår 2024, Progn 2024, Delår 2023, Helår 2023.
        let row = figures(&id, &delar).await;
        assert_eq!(
            (
                row["name"].as_str(),
                row["unit"].as_str(),
                row["aggregation"].as_str()
            ),
            (Some(name), Some(unit), Some(aggregation))
        );
        assert_eq!(
            columns(&row),
            (d(delar24), d(prognos), d(delar23), d(helar23)),
            "{name} delår"
        );
        // Seed 000: Helår 2024, Helår 2023.
        let row = figures(&id, &helar).await;
        assert_eq!(
            columns(&row),
            (d(helar24), d(prognos), d(helar23), d(helar23)),
            "{name} helår"
        );
        // No value was recorded for exactly jan–apr: nothing is invented.
        let row = figures(&id, &tertial).await;
        assert_eq!(
            columns(&row),
            (None, None, None, d(helar23)),
            "{name} tertial"
        );
    }

    // Monthly values: the period value follows the aggregation rule, and a
    // window without months falls back to its whole-period value.
    let timmar = create_measure(
        &app,
        &redaktor,
        &von_id,
        "Beviljade timmar boendestöd per månad",
        "timmar",
        "snitt_per_manad",
    )
    .await;
    let months_2024 = [
        1370, 1380, 1360, 1390, 1375, 1375, 1370, 1380, 1249, 1249, 1249, 1249,
    ];
    let mut values: Vec<Value> = months_2024
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"month": format!("2024-{:02}", i + 1), "kind": "utfall", "value": v}))
        .collect();
    values.push(
        json!({"period": {"from": "2023-01", "to": "2023-08"}, "kind": "utfall", "value": 1525}),
    );
    values.push(
        json!({"period": {"from": "2023-01", "to": "2023-12"}, "kind": "utfall", "value": 1541}),
    );
    values.push(json!({"month": "2024-04", "kind": "prognos", "value": 1450}));
    values.push(json!({"month": "2024-08", "kind": "prognos", "value": 1400}));
    values.push(json!({"month": "2024-10", "kind": "prognos", "value": 1340}));
    put_values(&app, &redaktor, &id_of(&timmar), Value::Array(values)).await;
    assert_eq!(
        columns(&figures(&id_of(&timmar), &delar).await),
        (d("1375"), d("1400"), d("1525"), d("1541")),
        "seed 001 boendestöd"
    );
    assert_eq!(
        columns(&figures(&id_of(&timmar), &helar).await),
        (d("1333"), d("1340"), d("1541"), d("1541")),
        "seed 000 boendestöd"
    );
    assert_eq!(
        columns(&figures(&id_of(&timmar), &tertial).await),
        (d("1375"), d("1450"), None, d("1541")),
        "tertial 1"
    );

    let platser = create_measure(
        &app,
        &redaktor,
        &von_id,
        "Belagda platser på LSS-boende",
        "platser",
        "sista_manad",
    )
    .await;
    let mut values = Vec::new();
    for (year, series) in [
        (
            2023,
            [148, 148, 147, 149, 150, 150, 146, 147, 150, 152, 154, 155],
        ),
        (
            2024,
            [155, 154, 152, 151, 150, 150, 149, 149, 148, 148, 149, 149],
        ),
    ] {
        for (i, v) in series.iter().enumerate() {
            values.push(
                json!({"month": format!("{year}-{:02}", i + 1), "kind": "utfall", "value": v}),
            );
        }
    }
    put_values(&app, &redaktor, &id_of(&platser), Value::Array(values)).await;
    assert_eq!(
        columns(&figures(&id_of(&platser), &delar).await),
        (d("149"), None, d("147"), d("155")),
        "seed 001 LSS-boende"
    );
    assert_eq!(
        columns(&figures(&id_of(&platser), &helar).await),
        (d("149"), None, d("155"), d("155")),
        "seed 000 LSS-boende"
    );
    // Exact decimals: the mean of three months is not rounded through f64.
    let snitt = create_measure(
        &app,
        &redaktor,
        &von_id,
        "Snitt",
        "timmar",
        "snitt_per_manad",
    )
    .await;
    put_values(
        &app,
        &redaktor,
        &id_of(&snitt),
        json!([
            {"month": "2024-01", "kind": "utfall", "value": "0.1"},
            {"month": "2024-02", "kind": "utfall", "value": "0.2"},
            {"month": "2024-03", "kind": "utfall", "value": "0.3"},
            {"month": "2024-04", "kind": "utfall", "value": "0.4"}
        ]),
    )
    .await;
    let text = app
        .get(
            &format!(
                "/api/v1/volume-measures/{}/figures?period_id={tertial}",
                id_of(&snitt)
            ),
            &redaktor,
        )
        .text()
        .await;
    assert!(text.contains("\"period_value\":0.25"), "{text}");
}
both_databases!(seed_volumes_read_back_as_printed);
