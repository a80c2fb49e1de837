//! A saved plan (`plan --out FILE`): the plan as JSON plus what `apply FILE` must find
//! unchanged: the identity of the base it was made against and a digest of the desired program.
//! A plan made from `--rev REV` also keeps the commit, so `apply` applies exactly that.

use super::Plan;
use serde::{Deserialize, Serialize};

/// The `format` value of a saved plan.
pub const FORMAT: &str = "partnerctl-plan/v1";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedPlan {
    pub format: String,
    /// The applied state's identity when the plan was made (`git:<commit>`, `file:<digest>`, `none`).
    pub base_id: String,
    pub base: String,
    /// [`crate::state::snapshot_digest`] of the desired program.
    pub desired_digest: String,
    /// The commit the desired program was read from (`plan --rev`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_commit: Option<String>,
    pub as_of: crate::spec::Date,
    /// The plan as `plan --format json` prints it.
    pub plan: serde_json::Value,
}

impl SavedPlan {
    pub fn new(plan: &Plan, desired_commit: Option<String>) -> SavedPlan {
        SavedPlan {
            format: FORMAT.into(),
            base_id: plan.base_id.clone(),
            base: plan.base.clone(),
            desired_digest: plan.desired_digest.clone(),
            desired_commit,
            as_of: plan.as_of,
            plan: serde_json::to_value(plan).expect("a plan serializes"),
        }
    }

    /// Reads a saved plan, saying plainly when the file is something else.
    pub fn parse(text: &str) -> Result<SavedPlan, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        match v.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => return Err(format!("a plan of format `{other}`; this partnerctl reads `{FORMAT}`")),
            None => return Err("not a saved plan (write one with `partnerctl plan --out FILE`)".into()),
        }
        serde_json::from_value(v).map_err(|e| format!("a damaged saved plan: {e}"))
    }

    /// Why the plan no longer fits, if it does not: the applied state moved, or the program did.
    pub fn staleness(&self, applied_id: &str, applied_label: &str, desired_digest: &str) -> Option<String> {
        let mut why = Vec::new();
        if self.base_id != applied_id {
            why.push(format!(
                "the applied state moved since the plan was made (plan made against {}, now {})",
                self.base, applied_label
            ));
        }
        if self.desired_digest != desired_digest {
            why.push("the program changed since the plan was made (its files differ from those planned)".to_string());
        }
        (!why.is_empty()).then(|| why.join("; "))
    }
}
