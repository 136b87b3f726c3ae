//! Authentication (bearer JWT → [`Principal`]) and authorisation (one
//! [`policy::authorize`] function that answers every access question).

pub mod claims;
pub mod jwks;
pub mod policy;
pub mod principal;
pub mod token;

pub use claims::{Claims, Role};
pub use policy::{Action, Denied, Kind, ReportState, Target, authorize, may_attempt};
pub use principal::Principal;
pub use token::TokenService;
