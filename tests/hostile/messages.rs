//! Hostile input: messages (see main.rs).

#[allow(unused_imports)]
use super::*;
