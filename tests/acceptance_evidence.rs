//! `acceptance-evidence` (SPEC §15.4) as a user meets it: with `requireEvidence`, `plan` and
//! `validate` (reading the applied state from git) refuse an acceptance added without its
//! digest, method and evidence, and leave alone the acceptances already applied.

mod plan_common;

use plan_common::Repo;

const TOS_1: &str = "fe91f91e126005ed4ed2d2a3562012a2f259f6f3ea5f39dde0331c753fc04fd0";

#[test]
fn plan_and_validate_find_an_acceptance_added_without_evidence() {
    let r = Repo::northwind();
    r.only_csv_output();
    r.edit(
        "program.yaml",
        "  activeWithinDays: 30\n",
        "  activeWithinDays: 30\n  agreements: {requireEvidence: true}\n",
    );
    r.commit("evidence is required from now on");
    // The program's acceptances so far have none: without an applied state nothing tells
    // them from new ones, and once applied they are history.
    let (code, out, err) = r.run(&["validate"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = r.run(&["apply", "--initial"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = r.run(&["validate"]);
    assert_eq!(code, 0, "applied acceptances are not judged again: {out}{err}");

    r.edit(
        "partners/lone-star-dispatch.yaml",
        "    - {terms: data-sharing, version: \"1.0\", acceptedOn: 2026-10-07, signedBy: Maria Hernández}\n",
        "    - {terms: data-sharing, version: \"1.0\", acceptedOn: 2026-10-07, signedBy: Maria Hernández}\n    - {terms: partner-tos, version: \"1.0\", acceptedOn: 2026-10-08, signedBy: Maria Hernández}\n",
    );
    let (code, out, _) = r.run(&["validate", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "acceptance-evidence");
    assert_eq!(d["file"], "partners/lone-star-dispatch.yaml");
    assert_eq!(d["line"], 22);
    let (code, out, _) = r.run(&["plan"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("acceptance-evidence"), "{out}");

    // With its digest, method and evidence, the same acceptance passes.
    r.edit(
        "partners/lone-star-dispatch.yaml",
        "acceptedOn: 2026-10-08, signedBy: Maria Hernández}",
        &format!(
            "acceptedOn: 2026-10-08, signedBy: {{name: Maria Hernández, title: COO}}, textSha256: {TOS_1}, method: countersigned, evidence: \"https://contracts.northwind.example/lsd/1\"}}"
        ),
    );
    let (code, out, err) = r.run(&["validate"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = r.run(&["plan"]);
    assert_eq!(code, 0, "{out}{err}");
}
