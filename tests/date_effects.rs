//! Date effects (SPEC §16) as a partner manager meets them, in git repositories built in temp
//! dirs: a future revocation, an expiry and a terms version's effective date are classed when
//! written, listed by `due` before their day, shown by `plan` on their day with no commit
//! (class `date-effect`, exit 3 with `--detailed-exitcode`), and applied that day to every
//! gateway output and the portal. Also: no output changes with the date alone.

mod plan_common;

use plan_common::Repo;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The five gateway targets, each rendering the production environment.
const GATEWAYS: [(&str, &str); 5] = [
    ("kong", "dist/gateway/kong-production.yaml"),
    ("nginx", "dist/gateway/nginx-production.conf"),
    ("envoy-ratelimit", "dist/gateway/envoy-ratelimit-production.yaml"),
    ("envoy-gateway", "dist/k8s/envoy-gateway-production"),
    ("kong-ingress", "dist/k8s/kong-ingress-production"),
];

/// The example with an NGINX output for production too (the others are there), applied once
/// as of 2026-11-01.
fn applied() -> Repo {
    let r = Repo::northwind();
    r.edit(
        "program.yaml",
        "    - {target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}\n",
        "    - {target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}\n    - {target: nginx, environment: production, path: dist/gateway/nginx-production.conf, keysFile: /etc/nginx/keys-production.map}\n",
    );
    r.commit("serve production with NGINX too");
    let (code, out, err) = r.run(&["apply", "--initial"]);
    assert_eq!(code, 0, "{out}{err}");
    r
}

/// Every file of an output (a file, or a folder's files), by path.
fn files(root: &Path, rel: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let p = root.join(rel);
    if p.is_file() {
        out.insert(rel.to_string(), std::fs::read_to_string(&p).unwrap());
    } else if p.is_dir() {
        for e in std::fs::read_dir(&p).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().to_string();
            out.extend(files(root, &format!("{rel}/{name}")));
        }
    }
    out
}

/// For each gateway target, whether any of its files names the credential.
fn holding(r: &Repo, id: &str) -> Vec<(&'static str, bool)> {
    GATEWAYS
        .iter()
        .map(|(target, rel)| {
            let f = files(r.root(), rel);
            assert!(!f.is_empty(), "{rel} was not written");
            (*target, f.values().any(|t| t.contains(id)))
        })
        .collect()
}

/// envoyproxy/ratelimit limits by partner and product, never by key: the key is in no
/// descriptor of it, before or after, and the partner's limits stay while it is subscribed.
/// Every other gateway target carries the key (a decK key-auth, a map line, an
/// ExternalSecret and the allow-list).
fn carries_keys(target: &str) -> bool {
    target != "envoy-ratelimit"
}

fn assert_everywhere(r: &Repo, id: &str) {
    for (target, has) in holding(r, id) {
        assert_eq!(has, carries_keys(target), "{target} and {id}");
    }
}

fn assert_nowhere(r: &Repo, id: &str) {
    for (target, has) in holding(r, id) {
        assert!(!has, "{target} still names {id}");
    }
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn change<'a>(plan: &'a Value, resource: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["resource"] == resource)
        .unwrap_or_else(|| panic!("no change for {resource}: {plan:#}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect()
}

/// `due --format json` items of one kind.
fn due(r: &Repo, as_of: &str, kind: &str) -> Vec<Value> {
    let (code, out, err) = r.run_at(as_of, &["due", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    json(&out)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == kind)
        .cloned()
        .collect()
}

#[test]
fn a_future_revocation_is_classed_when_written_listed_ahead_and_applied_on_its_day() {
    let r = applied();
    const CARIBE: &str = "partners/caribe-shipping.yaml";
    r.edit(
        CARIBE,
        "id: caribe-prd-1, environment: production,",
        "id: caribe-prd-1, environment: production, revoked: 2026-11-20,",
    );
    r.commit("caribe moves off its production key on 2026-11-20");

    // Written: a revocation, with its day, in the credentials that stop working.
    let (code, out, err) = r.run_at("2026-11-05", &["plan", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(code, 3, "{err}");
    let plan = json(&out);
    let c = change(&plan, "partner/caribe-shipping");
    let classes = strings(&c["classes"]);
    assert!(
        classes.contains(&"credential-revoked") && classes.contains(&"access-revoked"),
        "{classes:?}"
    );
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("credential caribe-prd-1 revoked on 2026-11-20 (production)"),
        "{c:#}"
    );
    let stop = c["effects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "credentials-stop")
        .unwrap_or_else(|| panic!("{c:#}"));
    assert_eq!(stop["by"], "2026-11-20");
    assert_eq!(stop["credentials"][0], "caribe-prd-1");
    let (_, text, _) = r.run_at("2026-11-05", &["plan"]);
    assert!(
        text.contains("→ credentials that stop working on 2026-11-20: caribe-prd-1 (caribe-shipping)"),
        "{text}"
    );

    // Applied before the day: the key still works.
    let (code, out, err) = r.run_at("2026-11-05", &["apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_everywhere(&r, "caribe-prd-1");

    // `due` lists it ahead, as a date effect (not as an expiry).
    let items = due(&r, "2026-11-10", "date-effect");
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["date"], "2026-11-20");
    assert_eq!(items[0]["daysLeft"], 10);
    assert_eq!(items[0]["partner"], "caribe-shipping");
    assert!(
        !due(&r, "2026-11-10", "credential-expiry")
            .iter()
            .any(|i| i["message"].as_str().unwrap().contains("caribe-prd-1")),
        "listed twice"
    );

    // The day before, nothing of it; on the day, with no commit, a change.
    let (_, out, _) = r.run_at("2026-11-19", &["plan", "--format", "json"]);
    assert!(
        !out.contains("caribe-prd-1 revoked on 2026-11-20 takes effect"),
        "{out}"
    );
    let (code, out, err) = r.run_at("2026-11-20", &["plan", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(code, 3, "{err}");
    let plan = json(&out);
    assert_eq!(plan["baseAsOf"], "2026-11-05");
    let c = change(&plan, "partner/caribe-shipping");
    assert_eq!(strings(&c["classes"]), ["date-effect"]);
    assert_eq!(c["action"], "update");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("credential caribe-prd-1 revoked on 2026-11-20 takes effect"),
        "{c:#}"
    );
    assert_eq!(c["dateEffects"][0]["type"], "credential-revoked");
    assert_eq!(c["dateEffects"][0]["credential"], "caribe-prd-1");
    assert!(
        plan["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["path"] == "dist/gateway/kong-production.yaml"),
        "{plan:#}"
    );
    let (_, text, _) = r.run_at("2026-11-20", &["plan"]);
    assert!(text.contains("classes: date-effect"), "{text}");
    assert!(text.contains("applied as of 2026-11-05"), "{text}");

    // Applied that day: gone from every gateway output.
    let (code, out, err) = r.run_at("2026-11-20", &["apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("~ partner/caribe-shipping: credential caribe-prd-1 revoked on 2026-11-20 takes effect"),
        "{out}"
    );
    assert_nowhere(&r, "caribe-prd-1");
    // The day is recorded: nothing more to do that day or the next.
    assert_eq!(r.run_at("2026-11-20", &["plan", "--detailed-exitcode"]).0, 0);
    let (_, out, _) = r.run_at("2026-11-21", &["plan", "--format", "json"]);
    assert!(!out.contains("caribe-prd-1"), "{out}");
}

#[test]
fn an_expiry_is_listed_ahead_and_applied_on_its_day() {
    let r = applied();
    // lumen-prd-1 (production) expires on 2026-12-01.
    let items: Vec<Value> = due(&r, "2026-11-25", "credential-expiry")
        .into_iter()
        .filter(|i| i["message"].as_str().unwrap().contains("lumen-prd-1"))
        .collect();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["daysLeft"], 6);
    assert!(
        due(&r, "2026-11-25", "date-effect").is_empty(),
        "an expiry keeps its kind"
    );
    assert_everywhere(&r, "lumen-prd-1");

    let (code, out, err) = r.run_at("2026-12-01", &["plan", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(code, 3, "{err}");
    let plan = json(&out);
    let c = change(&plan, "partner/lumen-parcel");
    assert!(strings(&c["classes"]).contains(&"date-effect"), "{c:#}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("credential lumen-prd-1 expired on 2026-12-01 takes effect"),
        "{c:#}"
    );
    assert_eq!(c["dateEffects"][0]["type"], "credential-expired");
    let (code, out, err) = r.run_at("2026-12-01", &["apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_nowhere(&r, "lumen-prd-1");
    assert_eq!(r.run_at("2026-12-01", &["plan", "--detailed-exitcode"]).0, 0);
}

#[test]
fn a_terms_version_taking_effect_updates_the_portal_on_its_day() {
    let r = applied();
    r.edit(
        "terms/partner-tos.yaml",
        "reacceptBy: 2026-06-01}\n",
        "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2026-12-15, file: partner-tos/3.0.md}\n",
    );
    r.write(
        "terms/partner-tos/3.0.md",
        "# Partner API Terms 3.0\n\nThe third version.\n",
    );
    r.commit("publish partner-tos 3.0, effective 2026-12-15");
    let (code, out, err) = r.run_at("2026-11-05", &["apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("~ terms/partner-tos"), "{out}");
    let page = "dist/docs/terms/partner-tos/3.0.html";
    assert!(r.read(page).contains("status-upcoming"), "{}", r.read(page));

    let items = due(&r, "2026-12-10", "effective");
    assert!(
        items
            .iter()
            .any(|i| i["resource"] == "terms/partner-tos" && i["date"] == "2026-12-15"),
        "{items:?}"
    );

    let (code, out, err) = r.run_at("2026-12-15", &["plan", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(code, 3, "{err}");
    let plan = json(&out);
    let c = change(&plan, "terms/partner-tos");
    assert_eq!(strings(&c["classes"]), ["date-effect"]);
    assert_eq!(c["summary"], "terms partner-tos 3.0 takes effect on 2026-12-15");
    let (code, out, err) = r.run_at("2026-12-15", &["apply"]);
    assert_eq!(code, 0, "{out}{err}");
    let page = r.read(page);
    assert!(
        page.contains("status-current") && !page.contains("status-upcoming"),
        "{page}"
    );
    let previous = r.read("dist/docs/terms/partner-tos/2.0.html");
    assert!(previous.contains("status-superseded"), "{previous}");
}

#[test]
fn a_record_without_its_day_is_read_as_applied_on_the_day_of_its_commit() {
    let r = applied();
    // A record of an older partnerctl: no `asOf`.
    let repo = r.repo.as_ref().unwrap();
    let head = r.applied_ref().unwrap();
    let note = repo.find_note(Some("refs/notes/partnerctl"), head).unwrap();
    let mut record: Value = serde_json::from_str(note.message().unwrap()).unwrap();
    record.as_object_mut().unwrap().remove("asOf");
    let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
    repo.note(
        &sig,
        &sig,
        Some("refs/notes/partnerctl"),
        head,
        &record.to_string(),
        true,
    )
    .unwrap();
    let committed = repo.find_commit(head).unwrap().committer().when().seconds();
    let day = chrono::DateTime::from_timestamp(committed, 0)
        .unwrap()
        .date_naive()
        .to_string();
    let (_, out, err) = r.run_at("2030-01-01", &["plan", "--format", "json"]);
    assert_eq!(json(&out)["baseAsOf"], day.as_str(), "{err}");
}

#[test]
fn a_pull_requests_plan_shows_what_it_changes_not_what_a_date_did() {
    let r = applied();
    r.edit(
        "partners/caribe-shipping.yaml",
        "displayName: Caribe Shipping",
        "displayName: Caribe Shipping Lines",
    );
    r.commit("rename caribe");
    // Against a revision, both sides are of today: lumen's expiry is no change of the branch.
    let (code, out, err) = r.run_at("2026-12-01", &["plan", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let plan = json(&out);
    let resources: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["resource"].as_str().unwrap())
        .collect();
    assert_eq!(resources, ["partner/caribe-shipping"]);
    assert!(plan.get("baseAsOf").is_none(), "{plan:#}");
}

/// SPEC §16: no output prints the date it was rendered, so a day passing changes an output
/// only on a day some date of the program takes effect. Renders the example on each day
/// something takes effect (and the day before) and on days spread over the year after the
/// day it is valid from (no history entry is dated after it), and compares each with the
/// day before.
#[test]
fn an_output_changes_from_one_day_to_the_next_only_through_a_date_effect() {
    use partnerctl::plan::date_effects::events;
    use partnerctl::spec::Date;
    let snapshot =
        partnerctl::source::Snapshot::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind"))
            .unwrap();
    let program = partnerctl::model::load(snapshot).program;
    let day = |s: &str| Date::parse(s).unwrap();
    let prev = |d: Date| Date(d.0.pred_opt().unwrap());
    let (first, last) = (day("2026-11-01"), day("2027-12-31"));
    let mut days: std::collections::BTreeSet<Date> = events(&program, prev(first), last)
        .into_iter()
        .map(|e| e.date)
        .collect();
    let effect_days = days.len();
    assert!(effect_days > 10, "the example holds dates of every kind: {effect_days}");
    let mut d = first;
    while d <= last {
        days.insert(d);
        d = Date(d.0 + chrono::Days::new(13));
    }
    let mut renders: BTreeMap<Date, Vec<partnerctl::output::RenderedFile>> = BTreeMap::new();
    let mut render = |d: Date| {
        renders
            .entry(d)
            .or_insert_with(|| partnerctl::render::render_all(&program, d).unwrap())
            .clone()
    };
    let (mut changed, mut quiet) = (0, 0);
    for d in days {
        let (before, after) = (render(prev(d)), render(d));
        let effects = events(&program, prev(d), d);
        if before != after {
            let paths: Vec<&str> = before
                .iter()
                .zip(&after)
                .filter(|(a, b)| a != b)
                .map(|(a, _)| a.path.as_str())
                .collect();
            assert!(
                !effects.is_empty(),
                "{d}: {paths:?} changed with no date of the program taking effect"
            );
            changed += 1;
        } else if effects.is_empty() {
            quiet += 1;
        }
    }
    assert!(
        changed > 5 && quiet > 15,
        "{changed} days changed an output, {quiet} were quiet"
    );
}
