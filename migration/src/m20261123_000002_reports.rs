//! Reports with sections, budget lines and their values, volumes, staff key
//! figures, action plans, and the audit log. Months are stored as integers
//! `yyyymm`; money as exact integer öre (BIGINT) on both databases.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut report = versioned_table("report");
        report
            .col(uuid(a("namnd_id")))
            .col(uuid(a("period_id")))
            .col(string_len(a("report_type"), 20))
            .col(string_len(a("status"), 20))
            .col(date_null(a("beslut_datum")))
            .col(string_len_null(a("beslut_paragraf"), 50))
            .col(text_null(a("status_reason")))
            .col(timestamp_with_time_zone_null(a("submitted_at")))
            .col(timestamp_with_time_zone_null(a("approved_at")))
            .foreign_key(&mut fk("report", "namnd_id", "namnd", false))
            .foreign_key(&mut fk("report", "period_id", "period", false));
        m.create_table(report).await?;
        m.create_index(unique(
            "uq_report_namnd_period_type",
            "report",
            &["namnd_id", "period_id", "report_type"],
        ))
        .await?;
        m.create_index(index(
            "ix_report_kommun_period",
            "report",
            &["kommun_id", "period_id"],
        ))
        .await?;

        let mut section = versioned_table("report_section");
        section
            .col(uuid(a("report_id")))
            .col(string_len(a("key"), 60))
            .col(string_len(a("title"), 200))
            .col(text(a("body")))
            .col(integer(a("position")))
            .foreign_key(&mut fk("report_section", "report_id", "report", true));
        m.create_table(section).await?;
        m.create_index(unique(
            "uq_report_section_report_key",
            "report_section",
            &["report_id", "key"],
        ))
        .await?;

        let mut line = versioned_table("budget_line");
        line.col(uuid(a("namnd_id")))
            .col(string_len(a("kind"), 20))
            .col(string_len(a("code"), 40))
            .col(string_len(a("name"), 200))
            .col(uuid_null(a("parent_id")))
            .col(integer_null(a("planned_completion")))
            .col(integer(a("position")))
            .foreign_key(&mut fk("budget_line", "namnd_id", "namnd", false))
            .foreign_key(&mut fk("budget_line", "parent_id", "budget_line", false));
        m.create_table(line).await?;
        m.create_index(unique(
            "uq_budget_line_namnd_kind_code",
            "budget_line",
            &["namnd_id", "kind", "code"],
        ))
        .await?;

        let mut value = Table::create();
        value
            .table(a("budget_value"))
            .col(uuid(a("id")).primary_key())
            .col(uuid(a("kommun_id")))
            .col(uuid(a("line_id")))
            .col(string_len(a("measure"), 10))
            .col(integer(a("from_month")))
            .col(integer(a("to_month")))
            .col(big_integer(a("amount_ore")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .foreign_key(&mut fk("budget_value", "line_id", "budget_line", true))
            .foreign_key(&mut fk("budget_value", "kommun_id", "kommun", false));
        m.create_table(value).await?;
        m.create_index(unique(
            "uq_budget_value_line_measure_months",
            "budget_value",
            &["line_id", "measure", "from_month", "to_month"],
        ))
        .await?;
        m.create_index(index(
            "ix_budget_value_kommun_months",
            "budget_value",
            &["kommun_id", "from_month"],
        ))
        .await?;

        let mut volume = versioned_table("volume_measure");
        volume
            .col(uuid(a("namnd_id")))
            .col(string_len(a("name"), 200))
            .col(string_len(a("unit"), 40))
            .col(string_len(a("aggregation"), 20))
            .col(integer(a("position")))
            .foreign_key(&mut fk("volume_measure", "namnd_id", "namnd", false));
        m.create_table(volume).await?;
        m.create_index(unique(
            "uq_volume_measure_namnd_name",
            "volume_measure",
            &["namnd_id", "name"],
        ))
        .await?;

        let mut volume_value = Table::create();
        volume_value
            .table(a("volume_value"))
            .col(uuid(a("id")).primary_key())
            .col(uuid(a("kommun_id")))
            .col(uuid(a("measure_id")))
            .col(string_len(a("kind"), 10))
            .col(integer(a("from_month")))
            .col(integer(a("to_month")))
            .col(string_len(a("value"), 40))
            .col(timestamp_with_time_zone(a("updated_at")))
            .foreign_key(&mut fk(
                "volume_value",
                "measure_id",
                "volume_measure",
                true,
            ))
            .foreign_key(&mut fk("volume_value", "kommun_id", "kommun", false));
        m.create_table(volume_value).await?;
        m.create_index(unique(
            "uq_volume_value_measure_kind_months",
            "volume_value",
            &["measure_id", "kind", "from_month", "to_month"],
        ))
        .await?;

        let mut key_figure = versioned_table("key_figure");
        key_figure
            .col(uuid(a("namnd_id")))
            .col(string_len(a("name"), 200))
            .col(string_len(a("unit"), 20))
            .col(integer(a("year")))
            .col(string_len(a("measured"), 60))
            .col(string_len_null(a("value_t"), 40))
            .col(string_len_null(a("value_k"), 40))
            .col(string_len_null(a("value_m"), 40))
            .col(integer(a("position")))
            .foreign_key(&mut fk("key_figure", "namnd_id", "namnd", false));
        m.create_table(key_figure).await?;
        m.create_index(unique(
            "uq_key_figure_namnd_name_year",
            "key_figure",
            &["namnd_id", "name", "year"],
        ))
        .await?;

        let mut action_plan = versioned_table("action_plan");
        action_plan
            .col(uuid(a("report_id")))
            .col(text(a("avvikelse")))
            .col(text(a("atgard")))
            .col(text(a("ekonomisk_effekt")))
            .col(text(a("verksamhetseffekt")))
            .col(integer(a("position")))
            .foreign_key(&mut fk("action_plan", "report_id", "report", true));
        m.create_table(action_plan).await?;

        let mut audit = Table::create();
        audit
            .table(a("audit_log"))
            .col(uuid(a("id")).primary_key())
            .col(uuid(a("kommun_id")))
            .col(timestamp_with_time_zone(a("occurred_at")))
            .col(string_len(a("principal"), 200))
            .col(string_len(a("role"), 30))
            .col(string_len(a("resource_type"), 40))
            .col(uuid_null(a("resource_id")))
            .col(string_len(a("action"), 40))
            .col(text_null(a("before_json")))
            .col(text_null(a("after_json")))
            .col(string_len_null(a("request_id"), 128));
        m.create_table(audit).await?;
        m.create_index(index(
            "ix_audit_kommun_time",
            "audit_log",
            &["kommun_id", "occurred_at"],
        ))
        .await?;
        m.create_index(index("ix_audit_resource", "audit_log", &["resource_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_log",
            "action_plan",
            "key_figure",
            "volume_value",
            "volume_measure",
            "budget_value",
            "budget_line",
            "report_section",
            "report",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
