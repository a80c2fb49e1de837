//! Hostile input: paths (see main.rs).

#[allow(unused_imports)]
use super::*;
