//! Reports: the onboarding funnel and usage logs (SPEC §3 `funnel`, §8).
//!
//! These sit beside the pipeline rather than in it: they read the resolved program (and the
//! logs of what partners called) and return plain data that `cli/` prints. [`usage`] streams
//! usage logs, [`funnel`] builds the funnel. The gateway audit and import live with their
//! gateway, in [`crate::gateway`].

pub mod funnel;
pub mod usage;
