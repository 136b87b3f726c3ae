//! sea-orm entities, one per table. Plain data: rules live in `domain`,
//! queries in `service`.

pub mod kommun;
pub mod namnd;
pub mod period;
