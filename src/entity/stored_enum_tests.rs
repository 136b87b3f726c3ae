//! Every value of every stored enum is written through its entity and read
//! back on SQLite (the integration tests read them on both databases), found
//! by a filter on the typed value, and stored as its `as_str` spelling: the
//! text the tables have always held.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IdenStatic, IntoActiveModel,
    QueryFilter, Statement,
};
use uuid::Uuid;

use super::{
    assessment, assignment, assignment_status, budget_line, budget_value, budget_value_total, goal,
    indicator, indicator_override, indicator_value, key_figure, kommun, namnd, period, report,
    volume_measure, volume_value,
};
use crate::domain::{
    Aggregation, Bedomning, BudgetLineKind, Gender, GoalKind, Measure, OverrideKind, Polarity,
    ValueSource,
    structure::{
        AssignmentStatus, KeyFigureUnit, NamndKind, PeriodKind, ReportStatus, ReportType,
        VolumeValueKind,
    },
};

async fn database() -> DatabaseConnection {
    let db = crate::startup::connect("sqlite::memory:").await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    db
}

async fn insert<M: IntoActiveModel<A>, A: sea_orm::ActiveModelTrait + Send>(
    db: &DatabaseConnection,
    model: M,
) {
    <A::Entity as EntityTrait>::insert(model.into_active_model())
        .exec_without_returning(db)
        .await
        .unwrap();
}

/// The text stored in `column` of the row of `E` whose `id_column` is `id`.
async fn stored_text<E: EntityTrait>(
    db: &DatabaseConnection,
    id_column: E::Column,
    id: Uuid,
    column: E::Column,
) -> Option<String> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = ?",
        column.as_str(),
        E::default().table_name(),
        id_column.as_str()
    );
    db.query_one_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [id.into()],
    ))
    .await
    .unwrap()
    .expect("the row is there")
    .try_get_by_index::<Option<String>>(0)
    .unwrap()
}

/// Row `id` of `E`, found by `column` equal to `value`, after checking that
/// `value` is stored as `text`.
async fn read_back<E, T>(
    db: &DatabaseConnection,
    id_column: E::Column,
    id: Uuid,
    column: E::Column,
    value: T,
    text: &str,
) -> E::Model
where
    E: EntityTrait,
    T: Into<sea_orm::Value>,
{
    assert_eq!(
        stored_text::<E>(db, id_column, id, column).await.as_deref(),
        Some(text),
        "{}.{}",
        E::default().table_name(),
        column.as_str()
    );
    E::find()
        .filter(id_column.eq(id))
        .filter(column.eq(value))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{text}: not found by its value"))
}

/// The rows every other row hangs on.
struct Base {
    kommun: Uuid,
    namnd: Uuid,
    period: Uuid,
    report: Uuid,
    indicator: Uuid,
    line: Uuid,
    measure: Uuid,
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
}

/// Whole seconds, so that rows compare equal after the round trip.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap()
}

fn namnd_row(kommun: Uuid, code: &str, kind: NamndKind) -> namnd::Model {
    let now = now();
    namnd::Model {
        id: Uuid::now_v7(),
        kommun_id: kommun,
        code: code.into(),
        name: format!("Nämnd {code}"),
        kind,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

fn period_row(kommun: Uuid, kind: PeriodKind, year: i32) -> period::Model {
    let now = now();
    period::Model {
        id: Uuid::now_v7(),
        kommun_id: kommun,
        kind,
        year,
        number: 0,
        start_date: date(),
        end_date: date(),
        closed_at: None,
        closed_by: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

fn report_row(
    b: &Base,
    namnd: Uuid,
    period: Uuid,
    report_type: ReportType,
    status: ReportStatus,
) -> report::Model {
    let now = now();
    report::Model {
        id: Uuid::now_v7(),
        kommun_id: b.kommun,
        namnd_id: namnd,
        period_id: period,
        report_type,
        status,
        beslut_datum: None,
        beslut_paragraf: None,
        status_reason: None,
        submitted_at: None,
        approved_at: None,
        diarienummer: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

fn goal_row(kommun: Uuid, kind: GoalKind) -> goal::Model {
    let now = now();
    goal::Model {
        id: Uuid::now_v7(),
        kommun_id: kommun,
        kind,
        goal_area_id: None,
        title: "Mål".into(),
        description: None,
        huvudansvar_id: None,
        alla_namnder: true,
        agenda2030: String::new(),
        bar_pa_goal_id: None,
        bar_pa: None,
        target_year: None,
        target_value: None,
        target_text: None,
        position: 1,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

fn assignment_row(kommun: Uuid) -> assignment::Model {
    let now = now();
    assignment::Model {
        id: Uuid::now_v7(),
        kommun_id: kommun,
        plan: None,
        goal_area_id: None,
        goal_id: None,
        title: "Uppdrag".into(),
        description: None,
        huvudansvar_id: None,
        alla_namnder: true,
        planned_start: None,
        slutdatum: None,
        sarskilt: false,
        position: 1,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

fn indicator_row(kommun: Uuid, polarity: Polarity) -> indicator::Model {
    let now = now();
    indicator::Model {
        id: Uuid::now_v7(),
        kommun_id: kommun,
        name: "Indikator".into(),
        unit: "%".into(),
        polarity,
        trend_threshold: "1.5".into(),
        source: None,
        kolada_id: None,
        divided_by_gender: true,
        position: 1,
        version: 1,
        created_at: now,
        updated_at: now,
        description: None,
        polarity_confirmed: true,
    }
}

fn line_row(b: &Base, kind: BudgetLineKind, code: &str) -> budget_line::Model {
    let now = now();
    budget_line::Model {
        id: Uuid::now_v7(),
        kommun_id: b.kommun,
        namnd_id: b.namnd,
        kind,
        code: code.into(),
        name: code.into(),
        parent_id: None,
        planned_completion: None,
        position: 1,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

fn measure_row(b: &Base, name: &str, aggregation: Aggregation) -> volume_measure::Model {
    let now = now();
    volume_measure::Model {
        id: Uuid::now_v7(),
        kommun_id: b.kommun,
        namnd_id: b.namnd,
        name: name.into(),
        unit: "antal".into(),
        aggregation,
        position: 1,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

async fn base(db: &DatabaseConnection) -> Base {
    let now = now();
    let kommun = kommun::Model {
        id: Uuid::now_v7(),
        code: "0483".into(),
        name: "Katrineholm".into(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    insert(db, kommun.clone()).await;
    let namnd = namnd_row(kommun.id, "VON", NamndKind::Namnd);
    insert(db, namnd.clone()).await;
    let period = period_row(kommun.id, PeriodKind::Helar, 2024);
    insert(db, period.clone()).await;
    let mut b = Base {
        kommun: kommun.id,
        namnd: namnd.id,
        period: period.id,
        report: Uuid::nil(),
        indicator: Uuid::nil(),
        line: Uuid::nil(),
        measure: Uuid::nil(),
    };
    let report = report_row(
        &b,
        b.namnd,
        b.period,
        ReportType::Arsredovisning,
        ReportStatus::Utkast,
    );
    insert(db, report.clone()).await;
    b.report = report.id;
    let indicator = indicator_row(b.kommun, Polarity::HogreArBattre);
    insert(db, indicator.clone()).await;
    b.indicator = indicator.id;
    let line = line_row(&b, BudgetLineKind::Drift, "base");
    insert(db, line.clone()).await;
    b.line = line.id;
    let measure = measure_row(&b, "base", Aggregation::Summa);
    insert(db, measure.clone()).await;
    b.measure = measure.id;
    b
}

#[tokio::test]
async fn structure_enums_survive_write_and_read() {
    let db = database().await;
    let b = base(&db).await;
    use namnd::Column as N;
    for (i, &kind) in NamndKind::ALL.iter().enumerate() {
        let row = namnd_row(b.kommun, &format!("K{i}"), kind);
        insert(&db, row.clone()).await;
        let read =
            read_back::<namnd::Entity, _>(&db, N::Id, row.id, N::Kind, kind, kind.as_str()).await;
        assert_eq!(read, row);
    }
    use period::Column as P;
    for (i, &kind) in PeriodKind::ALL.iter().enumerate() {
        let row = period_row(b.kommun, kind, 2030 + i as i32);
        insert(&db, row.clone()).await;
        let read =
            read_back::<period::Entity, _>(&db, P::Id, row.id, P::Kind, kind, kind.as_str()).await;
        assert_eq!(read, row);
    }
    let other_period = period_row(b.kommun, PeriodKind::Delar, 2024);
    insert(&db, other_period.clone()).await;
    use report::Column as R;
    for &report_type in ReportType::ALL {
        let row = report_row(
            &b,
            b.namnd,
            other_period.id,
            report_type,
            ReportStatus::Utkast,
        );
        insert(&db, row.clone()).await;
        let text = report_type.as_str();
        let read =
            read_back::<report::Entity, _>(&db, R::Id, row.id, R::ReportType, report_type, text)
                .await;
        assert_eq!(read, row);
    }
    for (i, &status) in ReportStatus::ALL.iter().enumerate() {
        let namnd = namnd_row(b.kommun, &format!("S{i}"), NamndKind::Styrelse);
        insert(&db, namnd.clone()).await;
        let row = report_row(&b, namnd.id, b.period, ReportType::Plan, status);
        insert(&db, row.clone()).await;
        let read =
            read_back::<report::Entity, _>(&db, R::Id, row.id, R::Status, status, status.as_str())
                .await;
        assert_eq!(read, row);
    }
}

#[tokio::test]
async fn budget_and_volume_enums_survive_write_and_read() {
    let db = database().await;
    let b = base(&db).await;
    let now = now();
    use budget_line::Column as L;
    for (i, &kind) in BudgetLineKind::ALL.iter().enumerate() {
        let row = line_row(&b, kind, &format!("L{i}"));
        insert(&db, row.clone()).await;
        let read =
            read_back::<budget_line::Entity, _>(&db, L::Id, row.id, L::Kind, kind, kind.as_str())
                .await;
        assert_eq!(read, row);
    }
    use budget_value::Column as V;
    for &measure in Measure::ALL {
        let row = budget_value::Model {
            id: Uuid::now_v7(),
            kommun_id: b.kommun,
            line_id: b.line,
            measure,
            from_month: 202401,
            to_month: 202401,
            amount_ore: 100,
            updated_at: now,
        };
        insert(&db, row.clone()).await;
        let text = measure.as_str();
        let read =
            read_back::<budget_value::Entity, _>(&db, V::Id, row.id, V::Measure, measure, text)
                .await;
        assert_eq!(read, row);
    }
    // Kind and measure are part of the totals' primary key.
    for &kind in BudgetLineKind::ALL {
        for &measure in Measure::ALL {
            let row = budget_value_total::Model {
                kommun_id: b.kommun,
                namnd_id: b.namnd,
                kind,
                measure,
                from_month: 202401,
                to_month: 202412,
                amount_ore: 1200,
                entries: 12,
            };
            insert(&db, row.clone()).await;
            let key = (b.namnd, kind, measure, 202401, 202412);
            let read = budget_value_total::Entity::find_by_id(key)
                .one(&db)
                .await
                .unwrap();
            assert_eq!(read.as_ref(), Some(&row));
            use budget_value_total::Column as T;
            let sql = "SELECT kind, measure FROM budget_value_total \
                       WHERE namnd_id = ? AND kind = ? AND measure = ?";
            let stored = db
                .query_one_raw(Statement::from_sql_and_values(
                    db.get_database_backend(),
                    sql,
                    [
                        b.namnd.into(),
                        kind.as_str().into(),
                        measure.as_str().into(),
                    ],
                ))
                .await
                .unwrap()
                .expect("stored as spelled");
            assert_eq!(
                stored.try_get_by_index::<String>(1).unwrap(),
                measure.as_str()
            );
            let found = budget_value_total::Entity::find()
                .filter(T::NamndId.eq(b.namnd))
                .filter(T::Kind.eq(kind))
                .filter(T::Measure.eq(measure))
                .all(&db)
                .await
                .unwrap();
            assert_eq!(found, vec![row]);
        }
    }
    use volume_measure::Column as M;
    for (i, &aggregation) in Aggregation::ALL.iter().enumerate() {
        let row = measure_row(&b, &format!("M{i}"), aggregation);
        insert(&db, row.clone()).await;
        let text = aggregation.as_str();
        let read = read_back::<volume_measure::Entity, _>(
            &db,
            M::Id,
            row.id,
            M::Aggregation,
            aggregation,
            text,
        )
        .await;
        assert_eq!(read, row);
    }
    use volume_value::Column as VV;
    for &kind in VolumeValueKind::ALL {
        let row = volume_value::Model {
            id: Uuid::now_v7(),
            kommun_id: b.kommun,
            measure_id: b.measure,
            kind,
            from_month: 202401,
            to_month: 202401,
            value: "12".into(),
            updated_at: now,
        };
        insert(&db, row.clone()).await;
        let read = read_back::<volume_value::Entity, _>(
            &db,
            VV::Id,
            row.id,
            VV::Kind,
            kind,
            kind.as_str(),
        )
        .await;
        assert_eq!(read, row);
    }
    use key_figure::Column as KF;
    for (i, &unit) in KeyFigureUnit::ALL.iter().enumerate() {
        let row = key_figure::Model {
            id: Uuid::now_v7(),
            kommun_id: b.kommun,
            namnd_id: b.namnd,
            name: format!("Nyckeltal {i}"),
            unit,
            year: 2024,
            measured: String::new(),
            value_t: None,
            value_k: None,
            value_m: None,
            position: 1,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        insert(&db, row.clone()).await;
        let read =
            read_back::<key_figure::Entity, _>(&db, KF::Id, row.id, KF::Unit, unit, unit.as_str())
                .await;
        assert_eq!(read, row);
    }
}

#[tokio::test]
async fn plan_enums_survive_write_and_read() {
    let db = database().await;
    let b = base(&db).await;
    let now = now();
    use goal::Column as G;
    for &kind in GoalKind::ALL {
        let row = goal_row(b.kommun, kind);
        insert(&db, row.clone()).await;
        let read =
            read_back::<goal::Entity, _>(&db, G::Id, row.id, G::Kind, kind, kind.as_str()).await;
        assert_eq!(read, row);
    }
    use indicator::Column as I;
    for &polarity in Polarity::ALL {
        let row = indicator_row(b.kommun, polarity);
        insert(&db, row.clone()).await;
        let text = polarity.as_str();
        let read =
            read_back::<indicator::Entity, _>(&db, I::Id, row.id, I::Polarity, polarity, text)
                .await;
        assert_eq!(read, row);
    }
    use indicator_value::Column as IV;
    for &gender in Gender::ALL {
        let row = indicator_value::Model {
            id: Uuid::now_v7(),
            kommun_id: b.kommun,
            indicator_id: b.indicator,
            year: 2024,
            gender,
            value: Some("83".into()),
            status: None,
            note: None,
            updated_at: now,
            source: ValueSource::Kolada,
            fetched_at: Some(now),
            kolada_value: Some("83".into()),
            kolada_status: None,
        };
        insert(&db, row.clone()).await;
        let text = gender.as_str();
        let read =
            read_back::<indicator_value::Entity, _>(&db, IV::Id, row.id, IV::Gender, gender, text)
                .await;
        assert_eq!(read, row);
    }
    for (i, &source) in ValueSource::ALL.iter().enumerate() {
        let row = indicator_value::Model {
            id: Uuid::now_v7(),
            kommun_id: b.kommun,
            indicator_id: b.indicator,
            year: 2020 + i as i32,
            gender: Gender::T,
            value: Some("83".into()),
            status: None,
            note: None,
            updated_at: now,
            source,
            fetched_at: None,
            kolada_value: None,
            kolada_status: None,
        };
        insert(&db, row.clone()).await;
        let text = source.as_str();
        let read =
            read_back::<indicator_value::Entity, _>(&db, IV::Id, row.id, IV::Source, source, text)
                .await;
        assert_eq!(read, row);
    }
    use indicator_override::Column as IO;
    for &kind in OverrideKind::ALL {
        let row = indicator_override::Model {
            id: Uuid::now_v7(),
            kommun_id: b.kommun,
            indicator_id: b.indicator,
            year: 2024,
            kind,
            value: "gul".into(),
            reason: "Bedömd för hand".into(),
            updated_at: now,
        };
        insert(&db, row.clone()).await;
        let read = read_back::<indicator_override::Entity, _>(
            &db,
            IO::Id,
            row.id,
            IO::Kind,
            kind,
            kind.as_str(),
        )
        .await;
        assert_eq!(read, row);
    }
    use assessment::Column as A;
    for &bedomning in Bedomning::ALL {
        let goal = goal_row(b.kommun, GoalKind::Kommun);
        insert(&db, goal.clone()).await;
        let row = assessment::Model {
            id: Uuid::now_v7(),
            kommun_id: b.kommun,
            report_id: b.report,
            goal_id: goal.id,
            bedomning,
            comment: String::new(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        insert(&db, row.clone()).await;
        let text = bedomning.as_str();
        let read =
            read_back::<assessment::Entity, _>(&db, A::Id, row.id, A::Bedomning, bedomning, text)
                .await;
        assert_eq!(read, row);
    }
    use assignment_status::Column as S;
    for status in AssignmentStatus::ALL
        .iter()
        .copied()
        .map(Some)
        .chain([None])
    {
        let assignment = assignment_row(b.kommun);
        insert(&db, assignment.clone()).await;
        let row = assignment_status::Model {
            id: Uuid::now_v7(),
            kommun_id: b.kommun,
            report_id: b.report,
            assignment_id: assignment.id,
            status,
            comment: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        insert(&db, row.clone()).await;
        let text = stored_text::<assignment_status::Entity>(&db, S::Id, row.id, S::Status).await;
        assert_eq!(text.as_deref(), status.map(AssignmentStatus::as_str));
        let read = assignment_status::Entity::find_by_id(row.id)
            .one(&db)
            .await
            .unwrap();
        assert_eq!(read, Some(row));
    }
}

/// A spelling the enum does not know is an error when the row is read, not
/// a value made up.
#[tokio::test]
async fn an_unknown_stored_spelling_is_an_error() {
    let db = database().await;
    let b = base(&db).await;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE volume_measure SET aggregation = 'median' WHERE id = ?",
        [b.measure.into()],
    ))
    .await
    .unwrap();
    let err = volume_measure::Entity::find_by_id(b.measure)
        .one(&db)
        .await
        .expect_err("median is no aggregation");
    assert!(err.to_string().contains("median"), "{err}");
}
