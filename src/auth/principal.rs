//! The authenticated caller. Built from a validated token by the api
//! layer's extractor.

use uuid::Uuid;

use super::claims::Role;
use super::policy::Denied;

/// Who is calling. Built only from a validated token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    /// SCB kommunkod from the token.
    pub kommun_code: String,
    /// The tenant's id, when the kommun exists in the database.
    pub kommun_id: Option<Uuid>,
    /// Nämnd codes of a nämnd-scoped role.
    pub namnder: Vec<String>,
}

impl Principal {
    /// The tenant's id, or a 404 when the kommun of the token does not exist
    /// yet (only an admin can create it).
    pub fn require_kommun(&self) -> Result<Uuid, Denied> {
        self.kommun_id.ok_or_else(|| {
            Denied::NotFound(format!(
                "kommun {} does not exist yet; an admin creates it with POST /api/v1/kommuner",
                self.kommun_code
            ))
        })
    }

    pub fn has_namnd(&self, code: &str) -> bool {
        self.namnder.iter().any(|n| n == code)
    }
}
