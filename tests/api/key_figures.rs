//! Staff key figures: CRUD, validation, access, and seed 000's table
//! "Personalkostnader och personalstyrka" read back for 2024 and 2023.

use std::str::FromStr;

use kommunrapport::auth::Role;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

fn dec(value: &Value) -> Option<Decimal> {
    if value.is_null() {
        None
    } else {
        Some(Decimal::from_str(&value.to_string()).unwrap())
    }
}

fn d(text: Option<&str>) -> Option<Decimal> {
    text.map(|t| Decimal::from_str(t).unwrap())
}

async fn create(app: &TestApp, token: &str, figure: Value) -> Value {
    app.post("/api/v1/key-figures", token, &figure)
        .returns(201)
        .await
}

async fn create_read_update_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let von_id = id_of(&von);
    let created = create(
        &app,
        &admin,
        json!({"namnd_id": von_id, "name": "Sjukfrånvaro", "unit": "procent", "year": 2024,
               "measured": "1/12–30/11", "t": "9.8", "k": 10.4, "m": "7.1"}),
    )
    .await;
    assert_eq!(
        (
            created["namnd"].as_str(),
            created["unit"].as_str(),
            created["year"].as_i64(),
            created["measured"].as_str(),
            dec(&created["t"]),
            dec(&created["k"]),
            dec(&created["m"]),
            created["position"].as_i64(),
            created["version"].as_i64()
        ),
        (
            Some("VON"),
            Some("procent"),
            Some(2024),
            Some("1/12–30/11"),
            d(Some("9.8")),
            d(Some("10.4")),
            d(Some("7.1")),
            Some(1),
            Some(1)
        )
    );
    // Unique per nämnd, name and year.
    let p = app
        .post(
            "/api/v1/key-figures",
            &admin,
            &json!({"namnd_id": von_id, "name": "Sjukfrånvaro", "unit": "procent", "year": 2024}),
        )
        .problem(409)
        .await;
    assert_eq!(error_fields(&p), ["name"]);
    let last_year = create(
        &app,
        &admin,
        json!({"namnd_id": von_id, "name": "Sjukfrånvaro", "unit": "procent", "year": 2023}),
    )
    .await;
    assert!(last_year["measured"].is_null() && last_year["t"].is_null());

    let path = format!("/api/v1/key-figures/{}", id_of(&created));
    app.assert_etag(&path, &admin, 1).await;
    app.patch(&path, &admin, &json!({"t": 1}))
        .problem(428)
        .await;
    app.patch(&path, &admin, &json!({"t": 1}))
        .if_match(2)
        .problem(412)
        .await;
    let p = app
        .patch(&path, &admin, &json!({"year": 2023}))
        .if_match(1)
        .problem(409)
        .await;
    assert_eq!(error_fields(&p), ["name"]);
    // null clears a value, absent leaves it.
    let response = app
        .patch(
            &path,
            &admin,
            &json!({"m": null, "t": "9.80", "measured": ""}),
        )
        .if_match(1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"2\"");
    let (status, changed) = body(response).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            dec(&changed["t"]),
            dec(&changed["k"]),
            changed["m"].is_null(),
            changed["measured"].is_null()
        ),
        (d(Some("9.8")), d(Some("10.4")), true, true)
    );

    let list = |query: &str| {
        let request = app.get(&format!("/api/v1/key-figures{query}"), &admin);
        async move {
            let value: Value = request.returns(200).await;
            value["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(list("").await, 2);
    assert_eq!(list("?year=2023").await, 1);
    assert_eq!(list("?namnd=VON&year=2024").await, 1);
    assert_eq!(list(&format!("?namnd_id={von_id}")).await, 2);
    assert_eq!(list("?namnd=SOCN").await, 0);
    let page: Value = app
        .get("/api/v1/key-figures?limit=1", &admin)
        .returns(200)
        .await;
    assert!(page["next_cursor"].is_string());

    app.delete(&path, &admin).problem(428).await;
    assert_eq!(app.delete(&path, &admin).if_match(2).status().await, 204);
    app.get(&path, &admin).problem(404).await;
}
both_databases!(create_read_update_delete);

async fn bad_input_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let von_id = id_of(&von);
    let post = |body: Value| app.post("/api/v1/key-figures", &admin, &body);
    post(
        json!({"namnd_id": von_id, "name": "", "unit": "antal", "year": 1800,
                    "measured": "x".repeat(61)}),
    )
    .invalid(&["name", "year", "measured"])
    .await;
    post(json!({"namnd_id": von_id, "name": "X", "unit": "procentenheter", "year": 2024}))
        .invalid(&["unit"])
        .await;
    post(json!({"namnd_id": von_id, "name": "X", "unit": "antal", "year": 2024, "t": "många"}))
        .invalid(&["t"])
        .await;
    let p = post(
        json!({"namnd_id": von_id, "name": "X", "unit": "antal", "year": 2024,
                    "t_foregaende_ar": 3}),
    )
    .problem(422)
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("t_foregaende_ar"),
        "{p}"
    );
    post(json!({"namnd_id": uuid::Uuid::now_v7(), "name": "X", "unit": "antal", "year": 2024}))
        .problem(404)
        .await;
    // A missing or malformed parameter is named.
    for (query, field) in [("namnd=VON", "year"), ("namnd=VON&year=tjugo", "year")] {
        let p = app
            .get(&format!("/api/v1/key-figures/table?{query}"), &admin)
            .problem(400)
            .await;
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
    app.get_problems(
        &admin,
        &[
            ("/api/v1/key-figures/table?year=2024", 422),
            ("/api/v1/key-figures/table?namnd=VON", 400),
            ("/api/v1/key-figures/table?namnd=NOPE&year=2024", 404),
            ("/api/v1/key-figures/table?namnd=VON&year=1800", 422),
        ],
    )
    .await;
    // Both the code and the id: accepted when they name one nämnd.
    let socn = app.create_namnd(&admin, "SOCN", "namnd").await;
    let both = |id: &str| format!("/api/v1/key-figures/table?namnd=VON&namnd_id={id}&year=2024");
    let table: Value = app.get(&both(&von_id), &admin).returns(200).await;
    assert_eq!(table["namnd"], "VON");
    app.get(&both(&id_of(&socn)), &admin)
        .invalid(&["namnd_id"])
        .await;
    let empty: Value = app.get("/api/v1/key-figures", &admin).returns(200).await;
    assert_eq!(empty["items"], json!([]));
}
both_databases!(bad_input_is_refused);

async fn access_follows_the_namnd(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    app.create_namnd(&admin, "SOCN", "namnd").await;
    let figure = json!({"namnd_id": id_of(&von), "name": "Årsarbetare", "unit": "antal", "year": 2024, "t": 1});
    let socn_redaktor = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    app.post("/api/v1/key-figures", &socn_redaktor, &figure)
        .problem(403)
        .await;
    let von_redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    let created = create(&app, &von_redaktor, figure.clone()).await;
    let path = format!("/api/v1/key-figures/{}", id_of(&created));
    app.get(&path, &socn_redaktor).problem(403).await;
    app.patch(&path, &socn_redaktor, &json!({"t": 2}))
        .if_match(1)
        .problem(403)
        .await;
    app.delete(&path, &socn_redaktor)
        .if_match(1)
        .problem(403)
        .await;
    app.get(
        "/api/v1/key-figures/table?namnd=VON&year=2024",
        &socn_redaktor,
    )
    .problem(403)
    .await;
    let own: Value = app
        .get("/api/v1/key-figures", &socn_redaktor)
        .returns(200)
        .await;
    assert_eq!(own["items"], json!([]));

    let lasare = app.token(Role::Lasare);
    app.get_problems(
        &lasare,
        &[
            (&path, 403),
            ("/api/v1/key-figures", 403),
            ("/api/v1/key-figures/table?namnd=VON&year=2024", 403),
        ],
    )
    .await;
    let revisor = app.token(Role::Revisor);
    assert_eq!(app.get(&path, &revisor).status().await, 200);
    app.patch(&path, &revisor, &json!({"t": 2}))
        .if_match(1)
        .problem(403)
        .await;
    let integration = app.token(Role::Integration);
    assert_eq!(
        app.patch(&path, &integration, &json!({"t": 2}))
            .if_match(1)
            .status()
            .await,
        200
    );

    let other = app.create_kommun("1882", "Askersunds kommun").await;
    app.get(&path, &other).problem(404).await;
    app.delete(&path, &other).if_match(2).problem(404).await;
    app.post("/api/v1/key-figures", &other, &figure)
        .problem(404)
        .await;
    app.get(
        &format!(
            "/api/v1/key-figures/table?namnd_id={}&year=2024",
            id_of(&von)
        ),
        &other,
    )
    .problem(404)
    .await;
}
both_databases!(access_follows_the_namnd);

/// Seed 000 (VON årsredovisning 2024), "Personalkostnader och
/// personalstyrka": name, unit, mätdatum, T/K/M 2024, T/K/M 2023.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    [Option<&'static str>; 3],
    [Option<&'static str>; 3],
);
const SEED_000: [Row; 11] = [
    (
        "Lönekostnader totalt, tkr",
        "tkr",
        "1/1-31/12",
        [Some("738163"), None, None],
        [Some("680247"), None, None],
    ),
    (
        "Lönekostnader totalt, varav kostnader för timlöner tkr",
        "tkr",
        "1/1-31/12",
        [Some("83943"), None, None],
        [Some("82604"), None, None],
    ),
    (
        "Lönekostnader totalt, varav sjuklönekostnader tkr",
        "tkr",
        "1/1-31/12",
        [Some("25913"), None, None],
        [Some("25451"), None, None],
    ),
    (
        "Lönekostnader totalt, varav kostnader för övertid inkl mer-tid tkr",
        "tkr",
        "1/1-31/12",
        [Some("7966"), None, None],
        [Some("8037"), None, None],
    ),
    (
        "Lönekostnader som andel av verksamhetskostnaderna (%)",
        "procent",
        "1/1-31/12",
        [Some("63.3"), None, None],
        [Some("60.1"), None, None],
    ),
    (
        "Kostnad inhyrd personal, tkr",
        "tkr",
        "1/1-31/12",
        [Some("9948"), None, None],
        [Some("17712"), None, None],
    ),
    (
        "Årsarbetare, antal omräknade heltider",
        "antal",
        "1/1-31/12",
        [Some("1332.5"), Some("1061.7"), Some("270.8")],
        [Some("1296.7"), Some("1044.1"), Some("252.6")],
    ),
    (
        "Timanställda, andel av totalt antal årsarbetare (%)",
        "procent",
        "1/1-31/12",
        [Some("15.1"), Some("13.2"), Some("22.7")],
        [Some("15.7"), Some("14.6"), Some("20.6")],
    ),
    (
        "Månadsanställda, antal",
        "antal",
        "30-nov",
        [Some("1231"), Some("1012"), Some("219")],
        [Some("1230"), Some("1003"), Some("224")],
    ),
    (
        "Tillsvidareanställda, andel av månadsanställda (%)",
        "procent",
        "30-nov",
        [Some("96.5"), Some("96.5"), Some("96.4")],
        [Some("95.9"), Some("96.1"), Some("94.7")],
    ),
    (
        "Visstidsanställda, andel av månadsanställda (%)",
        "procent",
        "30-nov",
        [Some("3.5"), Some("3.5"), Some("3.7")],
        [Some("4.2"), Some("3.9"), Some("5.3")],
    ),
];

async fn seed_000_personnel_table_reads_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let von_id = id_of(&von);
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    // 2024 in print order (positions follow), 2023 backwards with explicit positions.
    for (name, unit, measured, values, _) in SEED_000 {
        create(
            &app,
            &redaktor,
            json!({"namnd_id": von_id, "name": name, "unit": unit, "year": 2024,
                   "measured": measured, "t": values[0], "k": values[1], "m": values[2]}),
        )
        .await;
    }
    for (position, (name, unit, measured, _, values)) in SEED_000.iter().enumerate().rev() {
        create(
            &app,
            &redaktor,
            json!({"namnd_id": von_id, "name": name, "unit": unit, "year": 2023,
                   "measured": measured, "t": values[0], "k": values[1], "m": values[2],
                   "position": position + 1}),
        )
        .await;
    }
    // Another nämnd's figures stay out of the table.
    let socn = app.create_namnd(&admin, "SOCN", "namnd").await;
    create(
        &app,
        &admin,
        json!({"namnd_id": id_of(&socn), "name": "Månadsanställda, antal", "unit": "antal",
               "year": 2024, "t": 1}),
    )
    .await;

    let table = app
        .get("/api/v1/key-figures/table?namnd=VON&year=2024", &redaktor)
        .returns(200)
        .await;
    assert_eq!(
        (table["namnd"].as_str(), table["year"].as_i64()),
        (Some("VON"), Some(2024))
    );
    let items = table["items"].as_array().unwrap();
    assert_eq!(items.len(), SEED_000.len());
    for (row, (name, unit, measured, this, last)) in items.iter().zip(SEED_000) {
        assert_eq!(
            (
                row["name"].as_str(),
                row["unit"].as_str(),
                row["measured"].as_str()
            ),
            (Some(name), Some(unit), Some(measured))
        );
        let got = [
            "t",
            "k",
            "m",
            "t_foregaende_ar",
            "k_foregaende_ar",
            "m_foregaende_ar",
        ]
        .map(|c| dec(&row[c]));
        let printed = [this[0], this[1], this[2], last[0], last[1], last[2]].map(d);
        assert_eq!(got, printed, "{name}");
    }

    // By id too, and 2023 with nothing from 2022.
    let (_, table) = app
        .get(
            &format!("/api/v1/key-figures/table?namnd_id={von_id}&year=2023"),
            &admin,
        )
        .reply()
        .await;
    let items = table["items"].as_array().unwrap();
    assert_eq!(items.len(), SEED_000.len());
    for (row, (name, _, _, _, last)) in items.iter().zip(SEED_000) {
        assert_eq!(row["name"].as_str(), Some(name));
        assert_eq!(
            ["t", "k", "m"].map(|c| dec(&row[c])),
            last.map(d),
            "{name} 2023"
        );
        assert!(row["t_foregaende_ar"].is_null());
    }
    // 2025 shows 2024 as last year, with nothing yet for 2025.
    let (_, table) = app
        .get("/api/v1/key-figures/table?namnd=VON&year=2025", &admin)
        .reply()
        .await;
    let first = &table["items"][0];
    assert_eq!(
        (
            first["name"].as_str(),
            first["t"].is_null(),
            dec(&first["t_foregaende_ar"])
        ),
        (Some("Lönekostnader totalt, tkr"), true, d(Some("738163")))
    );
}
both_databases!(seed_000_personnel_table_reads_back);
