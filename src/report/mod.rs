//! Reports: the onboarding funnel, the gateway audit and the Kong import (SPEC §3, §8).
//!
//! These sit beside the pipeline rather than in it: they read the resolved program (and, for
//! the audit and the import, what a gateway holds and logs) and return plain data that `cli/`
//! prints. [`usage`] streams usage logs, [`deck`] reads decK files, [`funnel`], [`audit`] and
//! [`import`] build the three reports.

pub mod audit;
pub mod deck;
pub mod funnel;
pub mod import;
pub mod usage;
