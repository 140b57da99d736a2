//! Contractual retention: the shifted-beta-geometric model of subscriptions, fitted on tenures from a cohort's
//! survival counts or a subscription log.

pub mod sbg;
pub mod simulate;
pub mod subscriptions;
pub mod tenures;
