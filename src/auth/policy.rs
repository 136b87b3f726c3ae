//! The one place that decides who may do what. Handlers describe the access
//! ([`Action`] on a [`Target`]) and call [`authorize`]; nothing else checks
//! roles.

use super::{Principal, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    /// Report workflow: utkast → for_beslut.
    Submit,
    /// Report workflow: for_beslut → godkand, with the nämnd's decision.
    Approve,
    /// Report workflow: for_beslut → utkast, with a reason.
    Return,
    /// Report workflow: godkand → utkast (admin only; recorded).
    Reopen,
}

/// Workflow state of a report, as the policy needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportState {
    Utkast,
    ForBeslut,
    Godkand,
}

/// What is being accessed. Plan structure belongs to the whole kommun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// The tenant itself, by kommunkod.
    Kommun { code: &'a str },
    /// Organisation and calendar of a kommun: nämnder, periods.
    Structure { kommun: &'a str },
    /// A nämnd's report and everything entered through it.
    Report {
        kommun: &'a str,
        namnd: &'a str,
        state: ReportState,
    },
    /// Figures a nämnd keeps outside any one report: budget lines and their
    /// values, volume measures, staff key figures. Written by admin,
    /// kommunledning, the nämnd's redaktör and integrations (narrowed to the
    /// nämnder of their token when it names any).
    NamndFigures { kommun: &'a str, namnd: &'a str },
    /// The kommun's plan: goal areas, goals, indicators with riktvärden and
    /// overrides, assignments. Read by every role of the kommun, written by
    /// admin and kommunledning.
    Plan { kommun: &'a str },
    /// Indicator values (utfall): as [`Target::Plan`], and also written by
    /// integrations (Kolada imports).
    IndicatorValues { kommun: &'a str },
    /// The kommunledningsförvaltning's views over every nämnd (read-only).
    Consolidated { kommun: &'a str },
    /// The audit log (read-only for everyone; nothing in the API changes it).
    AuditLog { kommun: &'a str },
    /// The change feed: ids, actions and versions of every change in the
    /// kommun, drafts of every nämnd included. Read by the roles that see
    /// the whole kommun; nämnd-scoped roles and läsare would learn ids of
    /// drafts they may not see, so they are refused rather than given a
    /// filtered feed (whether a change was visible depends on the report's
    /// state at the time, which the feed does not keep).
    ChangeFeed { kommun: &'a str },
    /// Dimension mappings (ledger codes to nämnd and line): written by admin
    /// and kommunledning, read by them, integrations and revisorer.
    DimensionMappings { kommun: &'a str },
    /// Sending a figure file whose nämnder are known only once its rows are
    /// mapped (SIE): the roles that may write some nämnd's figures. Each
    /// nämnd the rows reach is then checked as [`Target::NamndFigures`].
    FigureImport { kommun: &'a str },
    /// Webhook subscriptions and their deliveries: read and written by
    /// admin and integration (a subscription sees every change of the
    /// kommun, as the change feed does).
    Webhooks { kommun: &'a str },
    /// A user's own calendar feeds (a read-only view of the process
    /// calendar behind a secret URL): every role creates, lists and revokes
    /// its own; what a feed shows is narrowed to the role's nämnder.
    CalendarFeeds { kommun: &'a str },
}

impl Target<'_> {
    fn kommun(&self) -> &str {
        match self {
            Target::Kommun { code } => code,
            Target::Structure { kommun }
            | Target::Plan { kommun }
            | Target::IndicatorValues { kommun }
            | Target::Consolidated { kommun }
            | Target::AuditLog { kommun }
            | Target::ChangeFeed { kommun }
            | Target::DimensionMappings { kommun }
            | Target::FigureImport { kommun }
            | Target::Webhooks { kommun }
            | Target::CalendarFeeds { kommun } => kommun,
            Target::Report { kommun, .. } | Target::NamndFigures { kommun, .. } => kommun,
        }
    }
}

/// Why the policy refuses, in its own words; the service and the api map
/// each case to theirs (403, 404, 409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The role may not do this.
    Forbidden(String),
    /// Another kommun's, or a report the caller may not see: its existence
    /// is not revealed.
    NotFound(String),
    /// The role may, but not in the report's workflow state.
    Conflict(String),
}

/// Ok when `principal` may do `action` on `target`. Another kommun's data is
/// reported as not found, so its existence is never revealed.
pub fn authorize(principal: &Principal, action: Action, target: Target<'_>) -> Result<(), Denied> {
    if principal.kommun_code != target.kommun() {
        return Err(Denied::NotFound("the resource was not found".into()));
    }
    if let Target::Report { namnd, state, .. } = target {
        return authorize_report(principal, action, namnd, state);
    }
    let allowed = match (target, action) {
        (Target::NamndFigures { namnd, .. }, Action::Read) => {
            !matches!(principal.role, Role::Lasare) && sees_namnd(principal, namnd)
        }
        (Target::NamndFigures { namnd, .. }, _) => match principal.role {
            Role::Admin | Role::Kommunledning => true,
            // An integration token naming nämnder (a feed for some of them)
            // writes only theirs; without the claim, every nämnd's.
            Role::Integration => principal.namnder.is_empty() || principal.has_namnd(namnd),
            Role::Redaktor => principal.has_namnd(namnd),
            _ => false,
        },
        (Target::Consolidated { .. }, Action::Read) => {
            matches!(
                principal.role,
                Role::Admin | Role::Kommunledning | Role::Revisor
            )
        }
        (Target::AuditLog { .. }, Action::Read) => {
            matches!(principal.role, Role::Admin | Role::Revisor)
        }
        (Target::ChangeFeed { .. }, Action::Read) => matches!(
            principal.role,
            Role::Admin | Role::Kommunledning | Role::Revisor | Role::Integration
        ),
        (Target::Consolidated { .. } | Target::AuditLog { .. } | Target::ChangeFeed { .. }, _) => {
            false
        }
        (Target::DimensionMappings { .. }, Action::Read) => matches!(
            principal.role,
            Role::Admin | Role::Kommunledning | Role::Integration | Role::Revisor
        ),
        (Target::DimensionMappings { .. }, Action::Create | Action::Update | Action::Delete) => {
            matches!(principal.role, Role::Admin | Role::Kommunledning)
        }
        (Target::FigureImport { .. }, Action::Create | Action::Update) => matches!(
            principal.role,
            Role::Admin | Role::Kommunledning | Role::Integration | Role::Redaktor
        ),
        (Target::DimensionMappings { .. } | Target::FigureImport { .. }, _) => false,
        (
            Target::Webhooks { .. },
            Action::Read | Action::Create | Action::Update | Action::Delete,
        ) => {
            matches!(principal.role, Role::Admin | Role::Integration)
        }
        (Target::Webhooks { .. }, _) => false,
        (Target::CalendarFeeds { .. }, Action::Read | Action::Create | Action::Delete) => true,
        (Target::CalendarFeeds { .. }, _) => false,
        (_, Action::Read) => true,
        (Target::Kommun { .. }, Action::Create | Action::Update) => {
            matches!(principal.role, Role::Admin)
        }
        (Target::Kommun { .. }, _) => false,
        (Target::Structure { .. }, Action::Create | Action::Update | Action::Delete) => {
            matches!(principal.role, Role::Admin | Role::Kommunledning)
        }
        (Target::Structure { .. }, _) => false,
        (Target::Plan { .. }, Action::Create | Action::Update | Action::Delete) => {
            matches!(principal.role, Role::Admin | Role::Kommunledning)
        }
        (Target::IndicatorValues { .. }, Action::Create | Action::Update | Action::Delete) => {
            matches!(
                principal.role,
                Role::Admin | Role::Kommunledning | Role::Integration
            )
        }
        (Target::Plan { .. } | Target::IndicatorValues { .. }, _) => false,
        (Target::Report { .. }, _) => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(forbidden(principal, action))
    }
}

/// The kind of [`Target`] an operation acts on, before the request says
/// which one (its path ids, body and query are not read yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Kommun,
    Structure,
    Report,
    NamndFigures,
    Plan,
    IndicatorValues,
    Consolidated,
    AuditLog,
    ChangeFeed,
    DimensionMappings,
    FigureImport,
    Webhooks,
    CalendarFeeds,
}

/// Ok when `principal` may do `action` on at least one target of `kind` in
/// its own kommun: the check that runs before a request's input is read,
/// so a caller whose role may never do the operation gets 403 and learns
/// nothing about the input's rules. Derived from [`authorize`] itself by
/// trying the targets the principal could reach (its own nämnder, every
/// report state); the handler then authorises the actual target.
pub fn may_attempt(principal: &Principal, action: Action, kind: Kind) -> Result<(), Denied> {
    let kommun = principal.kommun_code.as_str();
    // A nämnd the principal's token names, or one no token names (which a
    // role that is not narrowed to nämnder reaches all the same).
    let namnder: Vec<&str> = if principal.namnder.is_empty() {
        vec![""]
    } else {
        principal.namnder.iter().map(String::as_str).collect()
    };
    let mut targets = Vec::new();
    for namnd in &namnder {
        match kind {
            Kind::Report => {
                for state in [
                    ReportState::Utkast,
                    ReportState::ForBeslut,
                    ReportState::Godkand,
                ] {
                    targets.push(Target::Report {
                        kommun,
                        namnd,
                        state,
                    });
                }
            }
            Kind::NamndFigures => targets.push(Target::NamndFigures { kommun, namnd }),
            _ => {}
        }
    }
    match kind {
        Kind::Kommun => targets.push(Target::Kommun { code: kommun }),
        Kind::Structure => targets.push(Target::Structure { kommun }),
        Kind::Plan => targets.push(Target::Plan { kommun }),
        Kind::IndicatorValues => targets.push(Target::IndicatorValues { kommun }),
        Kind::Consolidated => targets.push(Target::Consolidated { kommun }),
        Kind::AuditLog => targets.push(Target::AuditLog { kommun }),
        Kind::ChangeFeed => targets.push(Target::ChangeFeed { kommun }),
        Kind::DimensionMappings => targets.push(Target::DimensionMappings { kommun }),
        Kind::FigureImport => targets.push(Target::FigureImport { kommun }),
        Kind::Webhooks => targets.push(Target::Webhooks { kommun }),
        Kind::CalendarFeeds => targets.push(Target::CalendarFeeds { kommun }),
        Kind::Report | Kind::NamndFigures => {}
    }
    // Passing, or refused only for the state of the target (409), means
    // some target of the kind allows the role.
    let possible = targets.into_iter().any(|target| {
        !matches!(
            authorize(principal, action, target),
            Err(Denied::Forbidden(_) | Denied::NotFound(_))
        )
    });
    if possible {
        Ok(())
    } else {
        Err(forbidden(principal, action))
    }
}

/// Nämnd-scoped roles see only their own nämnder's data; others see all.
fn sees_namnd(principal: &Principal, namnd: &str) -> bool {
    !principal.role.is_namnd_scoped() || principal.has_namnd(namnd)
}

fn forbidden(principal: &Principal, action: Action) -> Denied {
    let verb = match action {
        Action::Read => "read",
        Action::Create => "create",
        Action::Update => "change",
        Action::Delete => "delete",
        Action::Submit => "submit",
        Action::Approve => "approve",
        Action::Return => "return",
        Action::Reopen => "reopen",
    };
    Denied::Forbidden(format!(
        "role {} may not {verb} this resource",
        principal.role
    ))
}

/// Reports: who may act (403 otherwise), then whether the workflow state
/// allows it (409 otherwise). A report nobody may see is "not found".
fn authorize_report(
    principal: &Principal,
    action: Action,
    namnd: &str,
    state: ReportState,
) -> Result<(), Denied> {
    let own = principal.has_namnd(namnd);
    let visible = match principal.role {
        Role::Admin | Role::Kommunledning | Role::Revisor | Role::Integration => true,
        Role::Redaktor | Role::Namndsekreterare => own || state == ReportState::Godkand,
        Role::Lasare => state == ReportState::Godkand,
    };
    // Creating concerns a report that does not exist yet: nothing to hide.
    if !visible && action != Action::Create {
        return Err(Denied::NotFound("the report was not found".into()));
    }
    let role_may = match action {
        Action::Read => true,
        Action::Create | Action::Update | Action::Delete | Action::Submit => match principal.role {
            Role::Admin | Role::Kommunledning => true,
            Role::Redaktor => own,
            _ => false,
        },
        Action::Approve => match principal.role {
            Role::Admin => true,
            Role::Namndsekreterare => own,
            _ => false,
        },
        Action::Return => match principal.role {
            Role::Admin | Role::Kommunledning => true,
            Role::Namndsekreterare => own,
            _ => false,
        },
        Action::Reopen => principal.role == Role::Admin,
    };
    if !role_may {
        return Err(forbidden(principal, action));
    }
    state_allows(action, state)
}

/// Whether a report's workflow state allows `action` (409 otherwise),
/// whoever asks: checked with the rest of the policy before a write, and
/// again by the write on the report as it is when the write holds it.
pub fn state_allows(action: Action, state: ReportState) -> Result<(), Denied> {
    let allowed = match action {
        Action::Read => Ok(()),
        Action::Create | Action::Update | Action::Delete | Action::Submit => match state {
            ReportState::Utkast => Ok(()),
            ReportState::ForBeslut => Err(
                "the report is for_beslut (awaiting decision); return it to utkast to change it",
            ),
            ReportState::Godkand => {
                Err("the report is godkand (approved) and locked; only an admin can reopen it")
            }
        },
        Action::Approve | Action::Return => match state {
            ReportState::ForBeslut => Ok(()),
            _ => Err("only a report that is for_beslut can be approved or returned"),
        },
        Action::Reopen => match state {
            ReportState::Godkand => Ok(()),
            _ => Err("only an approved (godkand) report can be reopened"),
        },
    };
    allowed.map_err(|why| Denied::Conflict(why.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scoped(role: Role, namnd: &str) -> Principal {
        Principal {
            namnder: vec![namnd.into()],
            ..principal(role)
        }
    }

    fn report(state: ReportState) -> Target<'static> {
        Target::Report {
            kommun: "0483",
            namnd: "VON",
            state,
        }
    }

    #[test]
    fn redaktor_reaches_only_its_own_drafts() {
        let own = scoped(Role::Redaktor, "VON");
        let other = scoped(Role::Redaktor, "SOCN");
        assert!(authorize(&own, Action::Update, report(ReportState::Utkast)).is_ok());
        assert!(matches!(
            authorize(&other, Action::Read, report(ReportState::Utkast)),
            Err(Denied::NotFound(_))
        ));
        assert!(authorize(&other, Action::Read, report(ReportState::Godkand)).is_ok());
        assert!(matches!(
            authorize(&other, Action::Update, report(ReportState::Godkand)),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            authorize(&own, Action::Update, report(ReportState::ForBeslut)),
            Err(Denied::Conflict(_))
        ));
        assert!(matches!(
            authorize(&own, Action::Update, report(ReportState::Godkand)),
            Err(Denied::Conflict(_))
        ));
    }

    #[test]
    fn workflow_actions_need_their_roles() {
        let sekreterare = scoped(Role::Namndsekreterare, "VON");
        assert!(
            authorize(
                &sekreterare,
                Action::Approve,
                report(ReportState::ForBeslut)
            )
            .is_ok()
        );
        assert!(matches!(
            authorize(
                &scoped(Role::Redaktor, "VON"),
                Action::Approve,
                report(ReportState::ForBeslut)
            ),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            authorize(&sekreterare, Action::Approve, report(ReportState::Utkast)),
            Err(Denied::Conflict(_))
        ));
        assert!(
            authorize(
                &principal(Role::Admin),
                Action::Reopen,
                report(ReportState::Godkand)
            )
            .is_ok()
        );
        assert!(matches!(
            authorize(
                &principal(Role::Kommunledning),
                Action::Reopen,
                report(ReportState::Godkand)
            ),
            Err(Denied::Forbidden(_))
        ));
        assert!(
            authorize(
                &principal(Role::Kommunledning),
                Action::Return,
                report(ReportState::ForBeslut)
            )
            .is_ok()
        );
    }

    #[test]
    fn lasare_sees_only_approved_reports() {
        let lasare = principal(Role::Lasare);
        assert!(matches!(
            authorize(&lasare, Action::Read, report(ReportState::Utkast)),
            Err(Denied::NotFound(_))
        ));
        assert!(matches!(
            authorize(&lasare, Action::Read, report(ReportState::ForBeslut)),
            Err(Denied::NotFound(_))
        ));
        assert!(authorize(&lasare, Action::Read, report(ReportState::Godkand)).is_ok());
        assert!(matches!(
            authorize(
                &principal(Role::Revisor),
                Action::Update,
                report(ReportState::Utkast)
            ),
            Err(Denied::Forbidden(_))
        ));
    }

    #[test]
    fn namnd_figures_are_written_by_their_redaktor_and_integrations() {
        let figures = Target::NamndFigures {
            kommun: "0483",
            namnd: "VON",
        };
        assert!(authorize(&scoped(Role::Redaktor, "VON"), Action::Update, figures).is_ok());
        assert!(authorize(&principal(Role::Integration), Action::Update, figures).is_ok());
        assert!(matches!(
            authorize(&scoped(Role::Redaktor, "SOCN"), Action::Update, figures),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            authorize(&scoped(Role::Redaktor, "SOCN"), Action::Read, figures),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            authorize(&principal(Role::Revisor), Action::Update, figures),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            authorize(&principal(Role::Lasare), Action::Read, figures),
            Err(Denied::Forbidden(_))
        ));
    }

    #[test]
    fn integration_narrowed_by_namnder_writes_only_theirs() {
        let figures = |namnd| Target::NamndFigures {
            kommun: "0483",
            namnd,
        };
        let feed = scoped(Role::Integration, "VON");
        assert!(authorize(&feed, Action::Update, figures("VON")).is_ok());
        assert!(matches!(
            authorize(&feed, Action::Create, figures("SOCN")),
            Err(Denied::Forbidden(_))
        ));
        // Reading is not narrowed: an integration reads what it reconciles.
        assert!(authorize(&feed, Action::Read, figures("SOCN")).is_ok());
        let values = Target::IndicatorValues { kommun: "0483" };
        assert!(authorize(&feed, Action::Update, values).is_ok());
    }

    #[test]
    fn integration_writes_nothing_but_figures_and_indicator_values() {
        let integration = principal(Role::Integration);
        let states = [
            ReportState::Utkast,
            ReportState::ForBeslut,
            ReportState::Godkand,
        ];
        let writes = [
            Action::Create,
            Action::Update,
            Action::Delete,
            Action::Submit,
            Action::Approve,
            Action::Return,
            Action::Reopen,
        ];
        for action in writes {
            for target in [
                Target::Kommun { code: "0483" },
                Target::Structure { kommun: "0483" },
                Target::Plan { kommun: "0483" },
                Target::Consolidated { kommun: "0483" },
                Target::AuditLog { kommun: "0483" },
            ] {
                assert!(
                    matches!(
                        authorize(&integration, action, target),
                        Err(Denied::Forbidden(_))
                    ),
                    "{action:?} {target:?}"
                );
            }
            for state in states {
                assert!(
                    matches!(
                        authorize(&integration, action, report(state)),
                        Err(Denied::Forbidden(_))
                    ),
                    "{action:?} {state:?}"
                );
            }
        }
    }

    fn principal(role: Role) -> Principal {
        Principal {
            subject: "t".into(),
            role,
            kommun_code: "0483".into(),
            kommun_id: None,
            namnder: vec![],
        }
    }

    #[test]
    fn other_kommun_is_not_found_for_every_role() {
        for role in Role::ALL {
            let err = authorize(
                &principal(role),
                Action::Read,
                Target::Structure { kommun: "1882" },
            );
            assert!(matches!(err, Err(Denied::NotFound(_))), "{role}");
        }
    }

    #[test]
    fn structure_writes_need_admin_or_kommunledning() {
        for role in Role::ALL {
            let result = authorize(
                &principal(role),
                Action::Create,
                Target::Structure { kommun: "0483" },
            );
            let expected = matches!(role, Role::Admin | Role::Kommunledning);
            assert_eq!(result.is_ok(), expected, "{role}");
            if !expected {
                assert!(matches!(result, Err(Denied::Forbidden(_))));
            }
        }
    }

    #[test]
    fn every_role_reads_its_own_kommun_structure() {
        for role in Role::ALL {
            assert!(
                authorize(
                    &principal(role),
                    Action::Read,
                    Target::Structure { kommun: "0483" }
                )
                .is_ok()
            );
        }
    }

    #[test]
    fn consolidated_views_and_audit_log_are_read_only_for_their_roles() {
        for role in Role::ALL {
            let views = authorize(
                &principal(role),
                Action::Read,
                Target::Consolidated { kommun: "0483" },
            );
            assert_eq!(
                views.is_ok(),
                matches!(role, Role::Admin | Role::Kommunledning | Role::Revisor),
                "{role}"
            );
            let audit = authorize(
                &principal(role),
                Action::Read,
                Target::AuditLog { kommun: "0483" },
            );
            assert_eq!(
                audit.is_ok(),
                matches!(role, Role::Admin | Role::Revisor),
                "{role}"
            );
            for action in [Action::Create, Action::Update, Action::Delete] {
                assert!(
                    authorize(
                        &principal(role),
                        action,
                        Target::AuditLog { kommun: "0483" }
                    )
                    .is_err()
                );
                assert!(
                    authorize(
                        &principal(role),
                        action,
                        Target::Consolidated { kommun: "0483" }
                    )
                    .is_err()
                );
            }
        }
    }

    #[test]
    fn change_feed_is_read_by_the_roles_that_see_the_whole_kommun() {
        let feed = Target::ChangeFeed { kommun: "0483" };
        for role in Role::ALL {
            let read = authorize(&principal(role), Action::Read, feed);
            let expected = matches!(
                role,
                Role::Admin | Role::Kommunledning | Role::Revisor | Role::Integration
            );
            assert_eq!(read.is_ok(), expected, "{role}");
            if !expected {
                assert!(matches!(read, Err(Denied::Forbidden(_))), "{role}");
            }
            assert!(authorize(&principal(role), Action::Update, feed).is_err());
        }
        assert!(matches!(
            authorize(
                &principal(Role::Admin),
                Action::Read,
                Target::ChangeFeed { kommun: "1882" }
            ),
            Err(Denied::NotFound(_))
        ));
    }

    #[test]
    fn plan_is_read_by_all_and_written_by_admin_and_kommunledning() {
        for role in Role::ALL {
            let plan = Target::Plan { kommun: "0483" };
            assert!(
                authorize(&principal(role), Action::Read, plan).is_ok(),
                "{role}"
            );
            for action in [Action::Create, Action::Update, Action::Delete] {
                let result = authorize(&principal(role), action, plan);
                let expected = matches!(role, Role::Admin | Role::Kommunledning);
                assert_eq!(result.is_ok(), expected, "{role} {action:?}");
                if !expected {
                    assert!(matches!(result, Err(Denied::Forbidden(_))), "{role}");
                }
            }
            assert!(matches!(
                authorize(&principal(role), Action::Submit, plan),
                Err(Denied::Forbidden(_))
            ));
            assert!(matches!(
                authorize(
                    &principal(role),
                    Action::Read,
                    Target::Plan { kommun: "1882" }
                ),
                Err(Denied::NotFound(_))
            ));
        }
    }

    #[test]
    fn indicator_values_are_also_written_by_integrations() {
        let values = Target::IndicatorValues { kommun: "0483" };
        for role in Role::ALL {
            let result = authorize(&principal(role), Action::Update, values);
            let expected = matches!(role, Role::Admin | Role::Kommunledning | Role::Integration);
            assert_eq!(result.is_ok(), expected, "{role}");
            assert!(authorize(&principal(role), Action::Read, values).is_ok());
        }
        assert!(matches!(
            authorize(
                &scoped(Role::Redaktor, "VON"),
                Action::Update,
                Target::Plan { kommun: "0483" }
            ),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            authorize(
                &principal(Role::Integration),
                Action::Update,
                Target::IndicatorValues { kommun: "1882" }
            ),
            Err(Denied::NotFound(_))
        ));
    }

    #[test]
    fn only_admin_changes_the_kommun() {
        for role in Role::ALL {
            let result = authorize(
                &principal(role),
                Action::Update,
                Target::Kommun { code: "0483" },
            );
            assert_eq!(result.is_ok(), role == Role::Admin, "{role}");
        }
    }

    #[test]
    fn every_role_keeps_calendar_feeds_of_its_own_kommun() {
        let feeds = Target::CalendarFeeds { kommun: "0483" };
        for role in Role::ALL {
            for action in [Action::Read, Action::Create, Action::Delete] {
                assert!(authorize(&principal(role), action, feeds).is_ok(), "{role}");
            }
            assert!(authorize(&principal(role), Action::Update, feeds).is_err());
            assert!(matches!(
                authorize(
                    &principal(role),
                    Action::Read,
                    Target::CalendarFeeds { kommun: "1882" }
                ),
                Err(Denied::NotFound(_))
            ));
        }
    }

    #[test]
    fn dimension_mappings_and_figure_imports() {
        let mappings = Target::DimensionMappings { kommun: "0483" };
        for role in Role::ALL {
            let p = principal(role);
            let reads = authorize(&p, Action::Read, mappings).is_ok();
            let writes = authorize(&p, Action::Update, mappings).is_ok();
            let imports = authorize(&p, Action::Create, Target::FigureImport { kommun: "0483" });
            assert_eq!(
                reads,
                matches!(
                    role,
                    Role::Admin | Role::Kommunledning | Role::Integration | Role::Revisor
                ),
                "{role}"
            );
            assert_eq!(
                writes,
                matches!(role, Role::Admin | Role::Kommunledning),
                "{role}"
            );
            assert_eq!(
                imports.is_ok(),
                matches!(
                    role,
                    Role::Admin | Role::Kommunledning | Role::Integration | Role::Redaktor
                ),
                "{role}"
            );
        }
    }
}
