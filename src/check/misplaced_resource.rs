use super::Context;
use crate::diag::Diagnostic;

pub fn check(_cx: &Context, _out: &mut Vec<Diagnostic>) {}
