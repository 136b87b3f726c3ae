//! The audit log: who changed what, when, before and after. Written by
//! [`super::write::audited`] in the same transaction as the change, so a
//! change without its record (or the reverse) cannot exist. Nothing in the
//! API updates or deletes it.

use uuid::Uuid;

use crate::auth::Principal;

/// Who acts, and under which request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kommun_id: Uuid,
    pub principal: String,
    pub role: String,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn new(principal: &Principal, kommun_id: Uuid, request_id: Option<String>) -> Self {
        Actor {
            kommun_id,
            principal: principal.subject.clone(),
            role: principal.role.as_str().to_string(),
            request_id,
        }
    }
}
