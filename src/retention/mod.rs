//! Contractual retention: the shifted-beta-geometric model of subscriptions.

pub mod sbg;
