//! Hostile input: budgets (see main.rs).

#[allow(unused_imports)]
use super::*;
