//! Hostile input: secrets (see main.rs).

#[allow(unused_imports)]
use super::*;
