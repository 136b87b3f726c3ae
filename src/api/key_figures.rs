//! Stub: filled in by the volumes/key-figures work.

pub fn configure(_cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {}
