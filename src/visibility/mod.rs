//! Visibility: what the provider sees of its program (SPEC §3 `funnel`, §8, §11 `due`, §14).
//!
//! [`usage`] reads usage logs in every dialect (partnerctl's own JSON Lines, Kong, Envoy,
//! daily rollups) and attributes calls to credentials; [`funnel`] computes the onboarding
//! funnel and its measures from the model and the usage; [`report`] is the `funnel-report`
//! target, the funnel as an internal HTML page (its charts in [`charts`]); [`due`] lists the deadlines ahead. They read
//! the resolved program and return plain data; `cli/` decides how it looks.

pub mod charts;
pub mod due;
pub mod funnel;
pub mod report;
pub mod usage;
