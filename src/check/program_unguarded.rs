//! `program-unguarded`: no approval rule names `program-changed`, so a pull request may loosen
//! the program's own rules (its teams, approval rules, policies, exceptions, limits, outputs,
//! `policies/`, `templates/`) with nobody's approval (SPEC §16).

use super::Context;
use crate::diag::{Code, Diagnostic};
use crate::spec::ChangeClass;

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(program) = &cx.program.program else {
        return;
    };
    let guarded = program
        .spec
        .approvals
        .iter()
        .any(|r| r.on.contains(&ChangeClass::ProgramChanged) && !r.require.is_empty());
    if guarded {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::ProgramUnguarded,
            &program.at("/spec/approvals"),
            "no approval rule names `program-changed`: a pull request can change the program's teams, approval rules, policies, exceptions, limits, outputs, policies/ or templates/ with nobody's approval",
        )
        .with_hint(
            "add a rule such as `- {on: [program-changed, exception-changed], require: [partnerships]}` to `spec.approvals`",
        ),
    );
}
