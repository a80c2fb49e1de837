//! Hostile input: encoding (see main.rs).

#[allow(unused_imports)]
use super::*;
