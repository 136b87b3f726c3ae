//! Plan structure: goal areas (övergripande mål), goals (resultatmål and
//! nämnd-own goals) with their responsible nämnder, indicators with
//! riktvärden, values per year and gender, and overrides; per report the
//! nämnd's goal assessments and the assignments' (uppdrag) statuses.
//! Decimals other than money are canonical decimal strings; years integers.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut goal_area = versioned_table("goal_area");
        goal_area
            .col(string_len(a("plan"), 200))
            .col(string_len(a("name"), 200))
            .col(integer_null(a("from_year")))
            .col(integer_null(a("to_year")))
            .col(integer(a("position")));
        m.create_table(goal_area).await?;
        m.create_index(unique(
            "uq_goal_area_kommun_plan_name",
            "goal_area",
            &["kommun_id", "plan", "name"],
        ))
        .await?;

        let mut indicator = versioned_table("indicator");
        indicator
            .col(string_len(a("name"), 500))
            .col(string_len(a("unit"), 60))
            .col(string_len(a("polarity"), 20))
            .col(string_len(a("trend_threshold"), 40))
            .col(text_null(a("source")))
            .col(string_len_null(a("kolada_id"), 20))
            .col(boolean(a("divided_by_gender")))
            .col(integer(a("position")));
        m.create_table(indicator).await?;
        m.create_index(index(
            "ix_indicator_kommun_kolada",
            "indicator",
            &["kommun_id", "kolada_id"],
        ))
        .await?;

        let mut riktvarde = child_table("indicator_riktvarde");
        riktvarde
            .col(uuid(a("indicator_id")))
            .col(integer(a("year")))
            .col(string_len_null(a("value"), 40))
            .col(string_len_null(a("text"), 200))
            .col(timestamp_with_time_zone(a("updated_at")))
            .foreign_key(&mut fk(
                "indicator_riktvarde",
                "indicator_id",
                "indicator",
                true,
            ));
        m.create_table(riktvarde).await?;
        m.create_index(unique(
            "uq_indicator_riktvarde_year",
            "indicator_riktvarde",
            &["indicator_id", "year"],
        ))
        .await?;

        let mut value = child_table("indicator_value");
        value
            .col(uuid(a("indicator_id")))
            .col(integer(a("year")))
            .col(string_len(a("gender"), 1))
            .col(string_len_null(a("value"), 40))
            .col(string_len_null(a("status"), 40))
            .col(text_null(a("note")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .foreign_key(&mut fk(
                "indicator_value",
                "indicator_id",
                "indicator",
                true,
            ));
        m.create_table(value).await?;
        m.create_index(unique(
            "uq_indicator_value_year_gender",
            "indicator_value",
            &["indicator_id", "year", "gender"],
        ))
        .await?;

        let mut over = child_table("indicator_override");
        over.col(uuid(a("indicator_id")))
            .col(integer(a("year")))
            .col(string_len(a("kind"), 20))
            .col(string_len(a("value"), 20))
            .col(text(a("reason")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .foreign_key(&mut fk(
                "indicator_override",
                "indicator_id",
                "indicator",
                true,
            ));
        m.create_table(over).await?;
        m.create_index(unique(
            "uq_indicator_override_year_kind",
            "indicator_override",
            &["indicator_id", "year", "kind"],
        ))
        .await?;

        let mut goal = versioned_table("goal");
        goal.col(string_len(a("kind"), 20))
            .col(uuid_null(a("goal_area_id")))
            .col(text(a("title")))
            .col(text_null(a("description")))
            .col(uuid_null(a("huvudansvar_id")))
            .col(boolean(a("alla_namnder")))
            .col(string_len(a("agenda2030"), 60))
            .col(uuid_null(a("bar_pa_goal_id")))
            .col(text_null(a("bar_pa")))
            .col(integer_null(a("target_year")))
            .col(string_len_null(a("target_value"), 40))
            .col(string_len_null(a("target_text"), 200))
            .col(integer(a("position")))
            .foreign_key(&mut fk("goal", "goal_area_id", "goal_area", false))
            .foreign_key(&mut fk("goal", "huvudansvar_id", "namnd", false))
            .foreign_key(&mut fk("goal", "bar_pa_goal_id", "goal", false));
        m.create_table(goal).await?;
        m.create_index(index(
            "ix_goal_kommun_area",
            "goal",
            &["kommun_id", "goal_area_id"],
        ))
        .await?;

        let mut goal_namnd = child_table("goal_namnd");
        goal_namnd
            .col(uuid(a("goal_id")))
            .col(uuid(a("namnd_id")))
            .col(integer(a("position")))
            .foreign_key(&mut fk("goal_namnd", "goal_id", "goal", true))
            .foreign_key(&mut fk("goal_namnd", "namnd_id", "namnd", false));
        m.create_table(goal_namnd).await?;
        m.create_index(unique(
            "uq_goal_namnd_goal_namnd",
            "goal_namnd",
            &["goal_id", "namnd_id"],
        ))
        .await?;
        m.create_index(index("ix_goal_namnd_namnd", "goal_namnd", &["namnd_id"]))
            .await?;

        let mut goal_indicator = child_table("goal_indicator");
        goal_indicator
            .col(uuid(a("goal_id")))
            .col(uuid(a("indicator_id")))
            .col(integer(a("position")))
            .foreign_key(&mut fk("goal_indicator", "goal_id", "goal", true))
            .foreign_key(&mut fk("goal_indicator", "indicator_id", "indicator", true));
        m.create_table(goal_indicator).await?;
        m.create_index(unique(
            "uq_goal_indicator_goal_indicator",
            "goal_indicator",
            &["goal_id", "indicator_id"],
        ))
        .await?;
        m.create_index(index(
            "ix_goal_indicator_indicator",
            "goal_indicator",
            &["indicator_id"],
        ))
        .await?;

        let mut assessment = versioned_table("assessment");
        assessment
            .col(uuid(a("report_id")))
            .col(uuid(a("goal_id")))
            .col(string_len(a("bedomning"), 10))
            .col(text(a("comment")))
            .foreign_key(&mut fk("assessment", "report_id", "report", true))
            .foreign_key(&mut fk("assessment", "goal_id", "goal", false));
        m.create_table(assessment).await?;
        m.create_index(unique(
            "uq_assessment_report_goal",
            "assessment",
            &["report_id", "goal_id"],
        ))
        .await?;

        let mut assignment = versioned_table("assignment");
        assignment
            .col(string_len_null(a("plan"), 200))
            .col(uuid_null(a("goal_area_id")))
            .col(uuid_null(a("goal_id")))
            .col(text(a("title")))
            .col(text_null(a("description")))
            .col(uuid_null(a("huvudansvar_id")))
            .col(boolean(a("alla_namnder")))
            .col(date_null(a("planned_start")))
            .col(date_null(a("slutdatum")))
            .col(boolean(a("sarskilt")))
            .col(integer(a("position")))
            .foreign_key(&mut fk("assignment", "goal_area_id", "goal_area", false))
            .foreign_key(&mut fk("assignment", "goal_id", "goal", false))
            .foreign_key(&mut fk("assignment", "huvudansvar_id", "namnd", false));
        m.create_table(assignment).await?;

        let mut assignment_namnd = child_table("assignment_namnd");
        assignment_namnd
            .col(uuid(a("assignment_id")))
            .col(uuid(a("namnd_id")))
            .col(integer(a("position")))
            .foreign_key(&mut fk(
                "assignment_namnd",
                "assignment_id",
                "assignment",
                true,
            ))
            .foreign_key(&mut fk("assignment_namnd", "namnd_id", "namnd", false));
        m.create_table(assignment_namnd).await?;
        m.create_index(unique(
            "uq_assignment_namnd_assignment_namnd",
            "assignment_namnd",
            &["assignment_id", "namnd_id"],
        ))
        .await?;

        let mut status = versioned_table("assignment_status");
        status
            .col(uuid(a("report_id")))
            .col(uuid(a("assignment_id")))
            .col(string_len_null(a("status"), 20))
            .col(text_null(a("comment")))
            .foreign_key(&mut fk("assignment_status", "report_id", "report", true))
            .foreign_key(&mut fk(
                "assignment_status",
                "assignment_id",
                "assignment",
                false,
            ));
        m.create_table(status).await?;
        m.create_index(unique(
            "uq_assignment_status_report_assignment",
            "assignment_status",
            &["report_id", "assignment_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "assignment_status",
            "assignment_namnd",
            "assignment",
            "assessment",
            "goal_indicator",
            "goal_namnd",
            "goal",
            "indicator_override",
            "indicator_value",
            "indicator_riktvarde",
            "indicator",
            "goal_area",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
