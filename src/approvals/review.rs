//! Approvals (SPEC §11 `approvals`): whether a pull request has every approval its plan
//! needs, from the plan, GitHub's reviews of the pull request and the members of each team.
//!
//! It sits after `plan/` in the pipeline and reads only what it is handed: the plan JSON (as
//! `plan --format json` prints it, or a saved plan), the JSON array of GitHub's
//! `GET /repos/{owner}/{repo}/pulls/{number}/reviews`, and a map from each team's GitHub
//! handle to its members. All three are untrusted; a malformed one is an [`InputError`]
//! naming the file and what is wrong, never a panic.
//!
//! The rule, GitHub's own: a member's *latest review* is the last one, by `submitted_at` (ties
//! by `id`), among the reviews that change a review decision — `APPROVED`,
//! `CHANGES_REQUESTED`, `DISMISSED`. A `COMMENTED` review does not override an earlier
//! approval, nor does a `PENDING` one (not submitted yet). A team has approved when one of its
//! members' latest review is `APPROVED` and, with `--head`, was given on that commit (an
//! approval of an older commit is stale). The pull request's author's own review never
//! counts. Logins (and handles) compare without regard to letter case, as GitHub's do. A team
//! without a GitHub handle, or whose handle has no known member, can never be satisfied, and
//! [`TeamStatus::why`] says so.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A malformed input file: which, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {why}")]
pub struct InputError {
    pub file: String,
    pub why: String,
}

fn bad(file: &str, why: impl Into<String>) -> InputError {
    InputError {
        file: file.to_string(),
        why: why.into(),
    }
}

/// A team whose approval the plan needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredTeam {
    pub team: String,
    pub handle: Option<String>,
    pub resources: Vec<String>,
    pub classes: Vec<String>,
}

/// What the plan file holds: the teams it needs, and whether it named their handles
/// (`approvalTeams`) or only their names (an older plan's `approvals`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanNeeds {
    pub teams: Vec<RequiredTeam>,
    /// `false` when the plan had no `approvalTeams`: handles must come from the base's
    /// program.yaml.
    pub has_handles: bool,
    /// The plan's `baseId` (`git:<commit>`, `file:<digest>`, `none`), when it has one.
    pub base_id: Option<String>,
    /// Why the plan itself fails (error findings, outputs that did not render); `None` when it
    /// is sound. A plan that fails cannot be approved (SPEC §16).
    pub broken: Option<String>,
}

/// Why a plan fails, from its `ok`, its `diagnostics` of severity error and its
/// `renderErrors`: `None` when none of them says it does.
fn broken(file: &str, plan: &serde_json::Map<String, Value>) -> Result<Option<String>, InputError> {
    let ok = match plan.get("ok") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(bad(file, "`ok` is not true or false")),
    };
    let errors = match plan.get("diagnostics") {
        None | Some(Value::Null) => 0,
        Some(Value::Array(a)) => a
            .iter()
            .filter(|d| d.get("severity").and_then(Value::as_str) == Some("error"))
            .count(),
        Some(_) => return Err(bad(file, "`diagnostics` is not an array")),
    };
    let render = match plan.get("renderErrors") {
        None | Some(Value::Null) => 0,
        Some(Value::Array(a)) => a.len(),
        Some(_) => return Err(bad(file, "`renderErrors` is not an array")),
    };
    if ok != Some(false) && errors == 0 && render == 0 {
        return Ok(None);
    }
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(format!(
            "{errors} finding{} of severity error",
            if errors == 1 { "" } else { "s" }
        ));
    }
    if render > 0 {
        parts.push(format!(
            "{render} output{} that could not be rendered",
            if render == 1 { "" } else { "s" }
        ));
    }
    let what = if parts.is_empty() {
        "the plan is not ok".to_string()
    } else {
        format!("the plan has {}", parts.join(" and "))
    };
    Ok(Some(format!(
        "{what}: no approval can pass a pull request that CI fails; fix them and plan again"
    )))
}

fn strings(file: &str, v: Option<&Value>, at: &str) -> Result<Vec<String>, InputError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad(file, format!("{at}[{i}] is not a string")))
            })
            .collect(),
        Some(_) => Err(bad(file, format!("{at} is not an array of strings"))),
    }
}

/// Reads the plan: `plan --format json` output, or a saved plan (`plan --out`), whose
/// `plan` key holds the same.
pub fn parse_plan(file: &str, text: &str) -> Result<PlanNeeds, InputError> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad(file, format!("not JSON: {e}")))?;
    let plan = match v.get("format") {
        None => &v,
        Some(f) if f.as_str() == Some(crate::plan::saved::FORMAT) => v
            .get("plan")
            .filter(|p| p.is_object())
            .ok_or_else(|| bad(file, "a saved plan without its `plan` object"))?,
        Some(f) => {
            return Err(bad(
                file,
                format!(
                    "a plan of format {f}; this partnerctl reads `{}` or `plan --format json` output",
                    crate::plan::saved::FORMAT
                ),
            ));
        }
    };
    let Some(obj) = plan.as_object() else {
        return Err(bad(
            file,
            "not a plan: expected a JSON object from `partnerctl plan --format json`",
        ));
    };
    let broken = broken(file, obj)?;
    let base_id = obj.get("baseId").and_then(Value::as_str).map(str::to_string);
    if !obj.contains_key("approvalTeams") && !obj.contains_key("approvals") {
        return Err(bad(
            file,
            "not a plan: it has neither `approvalTeams` nor `approvals` (write it with `partnerctl plan --format json`)",
        ));
    }
    if let Some(teams) = obj.get("approvalTeams") {
        let Some(teams) = teams.as_array() else {
            return Err(bad(file, "`approvalTeams` is not an array"));
        };
        let mut out: Vec<RequiredTeam> = Vec::new();
        for (i, t) in teams.iter().enumerate() {
            let at = format!("approvalTeams[{i}]");
            let team = t
                .get("team")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(file, format!("{at}.team is missing or not a string")))?;
            let handle = match t.get("handle") {
                None | Some(Value::Null) => None,
                Some(Value::String(h)) => Some(h.clone()),
                Some(_) => return Err(bad(file, format!("{at}.handle is not a string"))),
            };
            let resources = strings(file, t.get("resources"), &format!("{at}.resources"))?;
            let classes = strings(file, t.get("classes"), &format!("{at}.classes"))?;
            if out.iter().any(|o| o.team == team) {
                return Err(bad(file, format!("{at}: team `{team}` is listed twice")));
            }
            out.push(RequiredTeam {
                team: team.to_string(),
                handle,
                resources,
                classes,
            });
        }
        return Ok(PlanNeeds {
            teams: out,
            has_handles: true,
            base_id,
            broken,
        });
    }
    // An older plan: team names only; the resources come from the changes that name them.
    let names = strings(file, obj.get("approvals"), "approvals")?;
    let changes = match obj.get("changes") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => return Err(bad(file, "`changes` is not an array")),
    };
    let mut teams = Vec::new();
    for name in names {
        if teams.iter().any(|t: &RequiredTeam| t.team == name) {
            continue;
        }
        let mut resources = Vec::new();
        for (i, c) in changes.iter().enumerate() {
            let needs = strings(file, c.get("approvals"), &format!("changes[{i}].approvals"))?;
            if needs.contains(&name) {
                if let Some(r) = c.get("resource").and_then(Value::as_str) {
                    resources.push(r.to_string());
                }
            }
        }
        teams.push(RequiredTeam {
            team: name,
            handle: None,
            resources,
            classes: Vec::new(),
        });
    }
    Ok(PlanNeeds {
        teams,
        has_handles: false,
        base_id,
        broken,
    })
}

/// A review's state, as GitHub's REST API spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

impl ReviewState {
    fn parse(s: &str) -> Option<ReviewState> {
        Some(match s {
            "APPROVED" => ReviewState::Approved,
            "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
            "COMMENTED" => ReviewState::Commented,
            "DISMISSED" => ReviewState::Dismissed,
            "PENDING" => ReviewState::Pending,
            _ => return None,
        })
    }

    /// Whether a review in this state replaces the reviewer's earlier decision.
    pub fn decides(self) -> bool {
        matches!(
            self,
            ReviewState::Approved | ReviewState::ChangesRequested | ReviewState::Dismissed
        )
    }
}

/// One review of the pull request (the fields used of GitHub's object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    pub id: u64,
    pub login: String,
    pub state: ReviewState,
    pub commit_id: Option<String>,
    /// `submitted_at` as seconds since the epoch (`None` for a pending review).
    pub submitted: Option<i64>,
}

/// Reads GitHub's reviews array. A review whose `user` is `null` (a deleted account) is
/// skipped: nobody can be its team member.
pub fn parse_reviews(file: &str, text: &str) -> Result<Vec<Review>, InputError> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad(file, format!("not JSON: {e}")))?;
    let Some(list) = v.as_array() else {
        return Err(bad(
            file,
            "not a list of reviews: expected the JSON array of GET /repos/{owner}/{repo}/pulls/{number}/reviews",
        ));
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let at = |k: &str| format!("[{i}].{k}");
        if !r.is_object() {
            return Err(bad(file, format!("[{i}] is not a review object")));
        }
        let login = match r.get("user") {
            Some(Value::Null) => continue,
            Some(u) => u
                .get("login")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(file, format!("{} is missing or not a string", at("user.login"))))?,
            None => return Err(bad(file, format!("{} is missing", at("user")))),
        };
        let state = r
            .get("state")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(file, format!("{} is missing or not a string", at("state"))))?;
        let state = ReviewState::parse(state).ok_or_else(|| {
            bad(
                file,
                format!(
                    "{}: {state:?} is not a review state (APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING)",
                    at("state")
                ),
            )
        })?;
        let id = r
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad(file, format!("{} is missing or not a number", at("id"))))?;
        let commit_id = match r.get("commit_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(c)) => Some(c.clone()),
            Some(_) => return Err(bad(file, format!("{} is not a string", at("commit_id")))),
        };
        let submitted = match r.get("submitted_at") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                chrono::DateTime::parse_from_rfc3339(s)
                    .map_err(|e| {
                        bad(
                            file,
                            format!("{}: {s:?} is not an RFC 3339 time: {e}", at("submitted_at")),
                        )
                    })?
                    .timestamp(),
            ),
            Some(_) => return Err(bad(file, format!("{} is not a string", at("submitted_at")))),
        };
        out.push(Review {
            id,
            login: login.to_string(),
            state,
            commit_id,
            submitted,
        });
    }
    Ok(out)
}

/// The members of each team, by handle as the teams file writes it (lookups ignore case and a
/// leading `@`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Teams {
    members: BTreeMap<String, Vec<String>>,
}

fn handle_key(h: &str) -> String {
    h.trim_start_matches('@').to_lowercase()
}

impl Teams {
    /// The members of a handle; `None` when the file does not list it.
    pub fn members(&self, handle: &str) -> Option<&[String]> {
        self.members.get(&handle_key(handle)).map(Vec::as_slice)
    }
}

/// Reads the teams file: an object from handle to members, each member a login or an object
/// with `login` (as `GET /orgs/{org}/teams/{slug}/members` returns them).
pub fn parse_teams(file: &str, text: &str) -> Result<Teams, InputError> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad(file, format!("not JSON: {e}")))?;
    let Some(obj) = v.as_object() else {
        return Err(bad(
            file,
            r#"not a teams map: expected an object such as {"@northwind/legal": ["alice", "bob"]}"#,
        ));
    };
    let mut teams = Teams::default();
    for (handle, list) in obj {
        let Some(list) = list.as_array() else {
            return Err(bad(file, format!("{handle:?}: the members are not an array")));
        };
        let mut members = Vec::with_capacity(list.len());
        for (i, m) in list.iter().enumerate() {
            let login = match m {
                Value::String(s) => s.as_str(),
                Value::Object(o) => o.get("login").and_then(Value::as_str).ok_or_else(|| {
                    bad(
                        file,
                        format!("{handle:?}[{i}]: a member object without a string `login`"),
                    )
                })?,
                _ => {
                    return Err(bad(
                        file,
                        format!("{handle:?}[{i}]: a member is a login or an object with `login`"),
                    ));
                }
            };
            members.push(login.to_string());
        }
        let key = handle_key(handle);
        if teams.members.contains_key(&key) {
            return Err(bad(
                file,
                format!("{handle:?} is listed twice (handles ignore letter case)"),
            ));
        }
        teams.members.insert(key, members);
    }
    Ok(teams)
}

/// A member whose latest review approved another commit than `--head`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stale {
    pub login: String,
    /// The commit the approval was given on (`null` when GitHub did not say).
    pub commit: Option<String>,
}

/// Whether one required team has approved, and if not, why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamStatus {
    pub team: String,
    pub handle: Option<String>,
    pub satisfied: bool,
    /// Members whose latest review approves (on `--head`, when given).
    pub approved_by: Vec<String>,
    pub resources: Vec<String>,
    pub classes: Vec<String>,
    /// Why the team has not approved; `null` when it has.
    pub why: Option<String>,
    /// Members whose latest review approved an older commit.
    pub stale: Vec<Stale>,
    /// Members whose latest review requests changes. Listed for a team that has approved
    /// too: GitHub counts one member's approval for the team, but the request stands until
    /// it is dismissed or withdrawn, and whoever reads "approved" must see it.
    pub changes_requested_by: Vec<String>,
}

/// The verdict on a pull request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approvals {
    /// Every required team has approved (also when none is required), and the plan itself has
    /// no error.
    pub ok: bool,
    /// Why the plan itself fails ([`PlanNeeds::broken`]); `null` when it does not.
    pub plan_error: Option<String>,
    pub required: Vec<TeamStatus>,
    /// `--head`, when given.
    pub head: Option<String>,
    /// `--author`, when given.
    pub author: Option<String>,
}

impl Approvals {
    /// A plan that fails is never satisfied, whatever the reviews say (SPEC §16): the one status
    /// a repository requires must not pass a pull request that CI fails.
    pub fn with_plan(mut self, broken: Option<&str>) -> Approvals {
        if let Some(why) = broken {
            self.ok = false;
            self.plan_error = Some(why.to_string());
        }
        self
    }
}

/// Each reviewer's latest decision, by lower-cased login.
fn latest_decisions(reviews: &[Review]) -> BTreeMap<String, &Review> {
    let mut latest: BTreeMap<String, &Review> = BTreeMap::new();
    for r in reviews.iter().filter(|r| r.state.decides()) {
        let key = r.login.to_lowercase();
        let newer = latest
            .get(&key)
            .is_none_or(|old| (r.submitted, r.id) > (old.submitted, old.id));
        if newer {
            latest.insert(key, r);
        }
    }
    latest
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

/// Judges every team the plan needs.
pub fn evaluate(
    needs: &[RequiredTeam],
    reviews: &[Review],
    teams: &Teams,
    head: Option<&str>,
    author: Option<&str>,
) -> Approvals {
    let latest = latest_decisions(reviews);
    let author_key = author.map(str::to_lowercase);
    let required: Vec<TeamStatus> = needs
        .iter()
        .map(|need| {
            let mut status = TeamStatus {
                team: need.team.clone(),
                handle: need.handle.clone(),
                satisfied: false,
                approved_by: Vec::new(),
                resources: need.resources.clone(),
                classes: need.classes.clone(),
                why: None,
                stale: Vec::new(),
                changes_requested_by: Vec::new(),
            };
            let Some(handle) = need.handle.as_deref() else {
                status.why = Some(format!(
                    "team `{}` has no GitHub handle (program.yaml `spec.teams.{}.github`), so no review can count for it",
                    need.team, need.team
                ));
                return status;
            };
            let members = match teams.members(handle) {
                None => {
                    status.why = Some(format!(
                        "`{handle}` is not in the teams file, so no member is known"
                    ));
                    return status;
                }
                Some([]) => {
                    status.why = Some(format!("`{handle}` has no members in the teams file"));
                    return status;
                }
                Some(m) => m,
            };
            let mut author_approved = false;
            let mut seen: Vec<String> = Vec::new();
            for member in members {
                let key = member.to_lowercase();
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key.clone());
                let Some(r) = latest.get(&key) else { continue };
                if author_key.as_deref() == Some(key.as_str()) {
                    author_approved |= r.state == ReviewState::Approved;
                    continue;
                }
                match r.state {
                    ReviewState::Approved => match (head, r.commit_id.as_deref()) {
                        (Some(h), c) if !c.is_some_and(|c| c.eq_ignore_ascii_case(h)) => status.stale.push(Stale {
                            login: r.login.clone(),
                            commit: r.commit_id.clone(),
                        }),
                        _ => status.approved_by.push(r.login.clone()),
                    },
                    ReviewState::ChangesRequested => status.changes_requested_by.push(r.login.clone()),
                    _ => {}
                }
            }
            status.satisfied = !status.approved_by.is_empty();
            if !status.satisfied {
                let mut why = vec![format!("no member of `{handle}` has approved")];
                for s in &status.stale {
                    why.push(format!(
                        "`{}` approved an older commit ({})",
                        s.login,
                        s.commit.as_deref().map(short).unwrap_or("unknown")
                    ));
                }
                for l in &status.changes_requested_by {
                    why.push(format!("`{l}` requested changes"));
                }
                if author_approved {
                    why.push(format!(
                        "`{}` is the author, whose own review does not count",
                        author.unwrap_or_default()
                    ));
                }
                status.why = Some(why.join("; "));
            }
            status
        })
        .collect();
    Approvals {
        ok: required.iter().all(|t| t.satisfied),
        plan_error: None,
        required,
        head: head.map(str::to_string),
        author: author.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(id: u64, login: &str, state: &str, commit: &str, at: &str) -> Value {
        serde_json::json!({"id": id, "user": {"login": login}, "state": state, "commit_id": commit, "submitted_at": at})
    }

    fn judge(reviews: Vec<Value>, head: Option<&str>) -> TeamStatus {
        let reviews = parse_reviews("r.json", &Value::Array(reviews).to_string()).unwrap();
        let teams = parse_teams("t.json", r#"{"@org/legal": ["Alice", {"login": "bob"}]}"#).unwrap();
        let need = RequiredTeam {
            team: "legal".into(),
            handle: Some("@ORG/legal".into()),
            resources: vec![],
            classes: vec![],
        };
        evaluate(&[need], &reviews, &teams, head, Some("carol"))
            .required
            .remove(0)
    }

    #[test]
    fn commented_does_not_override_but_changes_requested_does() {
        let t = judge(
            vec![
                review(1, "alice", "APPROVED", "a1", "2026-01-01T10:00:00Z"),
                review(2, "alice", "COMMENTED", "a1", "2026-01-01T11:00:00Z"),
            ],
            None,
        );
        assert_eq!(t.approved_by, ["alice"]);
        let t = judge(
            vec![
                review(1, "alice", "APPROVED", "a1", "2026-01-01T10:00:00Z"),
                review(2, "ALICE", "CHANGES_REQUESTED", "a1", "2026-01-01T11:00:00Z"),
            ],
            None,
        );
        assert!(!t.satisfied);
        assert_eq!(t.changes_requested_by, ["ALICE"]);
    }

    #[test]
    fn ties_in_time_go_by_id_and_head_makes_old_approvals_stale() {
        let t = judge(
            vec![
                review(5, "bob", "APPROVED", "b1", "2026-01-01T10:00:00Z"),
                review(4, "bob", "DISMISSED", "b1", "2026-01-01T10:00:00Z"),
            ],
            Some("B1"),
        );
        assert_eq!(t.approved_by, ["bob"]);
        let t = judge(
            vec![review(5, "bob", "APPROVED", "0123456789", "2026-01-01T10:00:00Z")],
            Some("fff"),
        );
        assert!(!t.satisfied);
        assert!(t.why.unwrap().contains("`bob` approved an older commit (0123456)"));
    }

    #[test]
    fn malformed_inputs_name_what_is_wrong() {
        let e = parse_reviews("r.json", r#"[{"id": 1, "user": {"login": "a"}, "state": "LGTM"}]"#).unwrap_err();
        assert!(e.to_string().starts_with("r.json: [0].state"), "{e}");
        let e = parse_teams("t.json", r#"{"@a/b": [1]}"#).unwrap_err();
        assert!(e.to_string().contains("a member is a login"), "{e}");
        let e = parse_plan("p.json", "{").unwrap_err();
        assert!(e.to_string().starts_with("p.json: not JSON"), "{e}");
        assert!(parse_plan("p.json", "[]").is_err());
        assert!(parse_plan("p.json", r#"{"format": "other/v9"}"#).is_err());
    }
}
