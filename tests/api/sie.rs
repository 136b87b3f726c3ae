//! SIE 4 imports: period balances of a CP437 file placed on Katrineholm's
//! VON lines through a dimension mapping, with dry runs, row errors, all or
//! nothing and idempotent re-imports.

use kommunrapport::auth::Role;
use reqwest::RequestBuilder;
use serde_json::json;

use crate::{
    both_databases,
    dimension_mappings::{create_von_mapping, von_values},
    helpers::*,
};

/// CP437 bytes of `text` (Swedish letters and ASCII only).
fn cp437(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'å' => 0x86,
            'ä' => 0x84,
            'ö' => 0x94,
            'Å' => 0x8f,
            'Ä' => 0x8e,
            'Ö' => 0x99,
            c if c.is_ascii() => c as u8,
            c => panic!("{c} is not in this test's CP437 table"),
        })
        .collect()
}

const HEAD: &str = "#FLAGGA 0\r\n#PROGRAM \"Raindance\" 1.0\r\n#FORMAT PC8\r\n#GEN 20260205\r\n\
    #SIETYP 4\r\n#FNAMN \"Katrineholms kommun\"\r\n#RAR 0 20250101 20251231\r\n\
    #RAR -1 20240101 20241231\r\n#DIM 1 \"Ansvar\"\r\n#DIM 20 \"Verksamhet\"\r\n\
    #OBJEKT 1 \"110\" \"Vård och omsorg Öst\"\r\n#OBJEKT 1 \"111\" \"Äldreboende Åsen\"\r\n\
    #OBJEKT 20 \"510\" \"Äldreomsorg\"\r\n#OBJEKT 20 \"520\" \"Funktionsstöd\"\r\n\
    #KONTO 3010 \"Avgifter\"\r\n#KONTO 4010 \"Inköp\"\r\n#KONTO 1910 \"Kassa\"\r\n";

/// January and February of 2025: utfall of two ansvar on äldreomsorg (with
/// revenue), a total row that must not count twice, funktionsstöd, a
/// balance-sheet account, last year, and budget.
fn ledger_file() -> Vec<u8> {
    cp437(&format!(
        "{HEAD}#PSALDO 0 202501 4010 {{1 \"110\" 20 \"510\"}} 1000000.00\r\n\
         #PSALDO 0 202501 4010 {{1 \"111\" 20 \"510\"}} 250000.50 12\r\n\
         #PSALDO 0 202501 3010 {{1 \"110\" 20 \"510\"}} -50000\r\n\
         #PSALDO 0 202501 4010 {{}} 1550000.50\r\n\
         #PSALDO 0 202501 4010 {{1 \"110\" 20 \"520\"}} 300000\r\n\
         #PSALDO 0 202502 4010 {{1 \"110\" 20 \"510\"}} 900000\r\n\
         #PSALDO 0 202501 1910 {{}} -1500000.50\r\n\
         #PSALDO -1 202401 4010 {{1 \"110\" 20 \"510\"}} 800000\r\n\
         #PBUDGET 0 202501 4010 {{1 \"110\" 20 \"510\"}} 1100000\r\n\
         #PBUDGET 0 202501 4010 {{1 \"110\" 20 \"599\"}} 20000\r\n\
         #VER A 1 20250115 \"Inköp\"\r\n{{\r\n#TRANS 4010 {{1 \"110\" 20 \"510\"}} 1000000.00\r\n\
         #TRANS 1910 {{}} -1000000.00\r\n}}\r\n"
    ))
}

fn post_sie(app: &TestApp, token: &str, query: &str, file: Vec<u8>) -> RequestBuilder {
    app.upload(
        &format!("/api/v1/imports/sie{query}"),
        token,
        "application/octet-stream",
        file,
    )
}

async fn sie_balances_become_monthly_utfall_and_budget(backend: Backend) {
    let app = demo_app(backend).await;
    let mapping = create_von_mapping(&app).await;
    let token = app.token(Role::Integration);
    let query = format!("?mapping_id={mapping}");

    let dry = post_sie(
        &app,
        &token,
        &format!("{query}&dry_run=true"),
        ledger_file(),
    )
    .returns(200)
    .await;
    assert_eq!(
        (
            dry["format"].clone(),
            dry["rows"].clone(),
            dry["values_changed"].clone(),
            dry["applied"].clone(),
            dry["errors"].clone()
        ),
        (json!("sie"), json!(10), json!(5), json!(false), json!([]))
    );
    assert_eq!(
        dry["skipped"],
        json!({"balance_accounts": 1, "other_years": 1, "other_breakdowns": 1})
    );
    // The first change is äldreomsorg's January, from the file's line 18.
    assert_eq!(dry["changes"][0]["line_number"], 18, "{dry}");
    assert!(
        von_values(&app, 2025).await.is_empty(),
        "a dry run writes nothing"
    );

    let applied = post_sie(&app, &token, &query, ledger_file())
        .returns(200)
        .await;
    assert_eq!(applied["applied"], true);
    let values = von_values(&app, 2025).await;
    let expected = [
        ("aldreomsorg", "utfall", "2025-01", json!(-1200000.5)),
        ("aldreomsorg", "budget", "2025-01", json!(-1100000)),
        ("aldreomsorg", "utfall", "2025-02", json!(-900000)),
        ("forvaltningsgemensamt", "budget", "2025-01", json!(-20000)),
        ("funktionsstod", "utfall", "2025-01", json!(-300000)),
    ];
    for (line, measure, month, amount) in &expected {
        assert!(
            values
                .iter()
                .any(|(l, m, mo, a)| l == line && m == measure && mo == month && a == amount),
            "{line} {measure} {month} {amount} missing from {values:?}"
        );
    }
    assert_eq!(values.len(), expected.len(), "{values:?}");

    // The same file again changes nothing.
    let again = post_sie(&app, &token, &query, ledger_file())
        .returns(200)
        .await;
    assert_eq!(
        (
            again["values_changed"].clone(),
            again["unchanged"].clone(),
            again["applied"].clone()
        ),
        (json!(0), json!(5), json!(false))
    );
    assert_eq!(von_values(&app, 2025).await, values);

    // A redaktör of another nämnd may not write VON's figures.
    let socn = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    post_sie(&app, &socn, &query, ledger_file())
        .problem(403)
        .await;
    let lasare = app.token(Role::Lasare);
    post_sie(&app, &lasare, &query, ledger_file())
        .problem(403)
        .await;
}
both_databases!(sie_balances_become_monthly_utfall_and_budget);

async fn a_broken_sie_file_is_refused_with_its_lines(backend: Backend) {
    let app = demo_app(backend).await;
    let mapping = create_von_mapping(&app).await;
    let token = app.token(Role::Integration);
    let query = format!("?mapping_id={mapping}");
    // Line 18 is fine; 19 is cut short, 20 has an ansvar no rule maps, 21 a
    // month outside #RAR 0.
    let file = cp437(&format!(
        "{HEAD}#PSALDO 0 202501 4010 {{1 \"110\" 20 \"510\"}} 1000\r\n\
         #PSALDO 0 202503\r\n\
         #PSALDO 0 202501 4010 {{1 \"999\" 20 \"510\"}} 5\r\n\
         #PSALDO 0 202601 4010 {{1 \"110\" 20 \"510\"}} 5\r\n"
    ));
    let p = post_sie(&app, &token, &query, file.clone())
        .problem(422)
        .await;
    let got: Vec<(u64, String)> = array(&p["errors"])
        .iter()
        .map(|e| {
            (
                e["line_number"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (19, "konto".to_string()),
            (20, "ansvar".to_string()),
            (21, "period".to_string())
        ],
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("3 rows"));
    assert!(von_values(&app, 2025).await.is_empty(), "nothing applied");
    let (status, dry) = post_sie(&app, &token, &format!("{query}&dry_run=true"), file)
        .reply()
        .await;
    assert_eq!((status, dry["errors"].as_array().unwrap().len()), (200, 3));

    // Not SIE at all, another encoding, no mapping, another content type.
    let p = post_sie(&app, &token, &query, b"namnd;line\r\nVON;x\r\n".to_vec())
        .invalid(&["file"])
        .await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("#SIETYP")
    );
    let p = post_sie(
        &app,
        &token,
        &query,
        b"#FORMAT UTF8\r\n#SIETYP 4\r\n".to_vec(),
    )
    .problem(422)
    .await;
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("PC8"));
    post_sie(&app, &token, "", ledger_file())
        .invalid(&["mapping_id"])
        .await;
    app.post(
        &format!("/api/v1/imports/sie{query}"),
        &token,
        &json!({"rows": []}),
    )
    .problem(415)
    .await;
    assert!(von_values(&app, 2025).await.is_empty());
}
both_databases!(a_broken_sie_file_is_refused_with_its_lines);

/// Postings that reach one line and month are summed into one value, which
/// keeps the bound of every amount (10^12 kr): two ansvar of 6·10^11 kr each
/// on äldreomsorg were stored as 1.2·10^12 kr (and enough such sums
/// overflowed the nämnd's totals).
async fn summed_postings_keep_the_bound_of_an_amount(backend: Backend) {
    let app = demo_app(backend).await;
    let mapping = create_von_mapping(&app).await;
    let token = app.token(Role::Integration);
    let query = format!("?mapping_id={mapping}");
    let file = |each: &str| {
        cp437(&format!(
            "{HEAD}#PSALDO 0 202501 4010 {{1 \"110\" 20 \"510\"}} {each}\r\n\
             #PSALDO 0 202501 4010 {{1 \"111\" 20 \"510\"}} {each}\r\n"
        ))
    };
    let p = post_sie(&app, &token, &query, file("600000000000"))
        .problem(422)
        .await;
    let errors = array(&p["errors"]);
    let got: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["line_number"].as_u64().unwrap(),
                e["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [(19, "amount")], "{p}");
    assert!(von_values(&app, 2025).await.is_empty(), "nothing applied");
    post_sie(&app, &token, &query, file("500000000000"))
        .returns(200)
        .await;
    let at_the_bound = json!(-1_000_000_000_000_i64);
    let value = (
        "aldreomsorg".into(),
        "utfall".into(),
        "2025-01".into(),
        at_the_bound,
    );
    assert_eq!(von_values(&app, 2025).await, [value]);
}
both_databases!(summed_postings_keep_the_bound_of_an_amount);
