//! The one place that decides who may do what. Handlers describe the access
//! ([`Action`] on a [`Target`]) and call [`authorize`]; nothing else checks
//! roles.

use super::{Principal, Role};
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

/// What is being accessed. Plan structure belongs to the whole kommun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// The tenant itself, by kommunkod.
    Kommun { code: &'a str },
    /// Organisation and calendar of a kommun: nämnder, periods.
    Structure { kommun: &'a str },
}

impl Target<'_> {
    fn kommun(&self) -> &str {
        match self {
            Target::Kommun { code } => code,
            Target::Structure { kommun } => kommun,
        }
    }
}

/// Ok when `principal` may do `action` on `target`. Another kommun's data is
/// reported as not found, so its existence is never revealed.
pub fn authorize(
    principal: &Principal,
    action: Action,
    target: Target<'_>,
) -> Result<(), ApiError> {
    if principal.kommun_code != target.kommun() {
        return Err(ApiError::not_found("the resource"));
    }
    let allowed = match (target, action) {
        (_, Action::Read) => true,
        (Target::Kommun { .. }, Action::Create | Action::Update) => {
            matches!(principal.role, Role::Admin)
        }
        (Target::Kommun { .. }, Action::Delete) => false,
        (Target::Structure { .. }, _) => {
            matches!(principal.role, Role::Admin | Role::Kommunledning)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "role {} may not {} this resource",
            principal.role,
            match action {
                Action::Read => "read",
                Action::Create => "create",
                Action::Update => "change",
                Action::Delete => "delete",
            }
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(matches!(err, Err(ApiError::NotFound(_))), "{role}");
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
                assert!(matches!(result, Err(ApiError::Forbidden(_))));
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
}
