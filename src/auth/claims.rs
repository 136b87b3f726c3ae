use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The roles of DOMAIN.md. What each may do is decided in `policy.rs` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Kommunledning,
    Redaktor,
    Namndsekreterare,
    Revisor,
    Integration,
    Lasare,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Kommunledning,
        Role::Redaktor,
        Role::Namndsekreterare,
        Role::Revisor,
        Role::Integration,
        Role::Lasare,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Kommunledning => "kommunledning",
            Role::Redaktor => "redaktor",
            Role::Namndsekreterare => "namndsekreterare",
            Role::Revisor => "revisor",
            Role::Integration => "integration",
            Role::Lasare => "lasare",
        }
    }

    /// Roles whose rights are limited to the nämnder named in the token.
    pub fn is_namnd_scoped(self) -> bool {
        matches!(self, Role::Redaktor | Role::Namndsekreterare)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {s:?}; expected one of {}", names.join(", "))
            })
    }
}

/// A subject is 1–200 characters: the record (audit log, decisions, Kolada
/// settings, calendar feeds) keeps it whole.
pub const SUBJECT_MAX_CHARS: usize = 200;

/// Why a subject cannot be recorded, or `None` when it can.
pub fn subject_problem(subject: &str) -> Option<&'static str> {
    if subject.is_empty() {
        Some("the token's sub is empty")
    } else if subject.chars().count() > SUBJECT_MAX_CHARS {
        Some("the token's sub is longer than 200 characters")
    } else {
        None
    }
}

/// The claims of a kommunrapport token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// SCB kommunkod of the tenant, e.g. `0483`.
    pub kommun: String,
    pub role: Role,
    /// Nämnd codes for nämnd-scoped roles.
    #[serde(default)]
    pub namnder: Vec<String>,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}
