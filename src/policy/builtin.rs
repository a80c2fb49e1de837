//! The built-in pack: the Rego files under `policies/` at the root of the partnerctl source,
//! embedded in the binary. Each rule lives in its own file and package
//! (`data.partnerctl.rules.<rule_with_underscores>`) so that a rule switched off in
//! program.yaml is not even loaded; each has a `_test.rego` next to it.

/// One built-in rule.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinRule {
    /// The rule's name, as findings carry it in their `rule` key and as program.yaml
    /// `spec.policies` names it. Example: `beta-not-in-production`.
    pub name: &'static str,
    /// The severity its findings have by default.
    pub severity: crate::diag::Severity,
    /// What it asks for, one line.
    pub summary: &'static str,
    /// Path shown for the policy, e.g. `<built-in>/policies/max_live_keys.rego`.
    pub path: &'static str,
    pub source: &'static str,
    pub test_path: &'static str,
    pub test_source: &'static str,
}

/// Where built-in files appear in messages: they are not part of the program repository.
pub const BUILTIN_PREFIX: &str = "<built-in>/";

/// The helpers every built-in rule imports (`data.partnerctl.lib`); program policies may use
/// them too.
pub const LIB_PATH: &str = "<built-in>/policies/partnerctl.rego";
pub const LIB_SOURCE: &str = include_str!("../../policies/partnerctl.rego");

macro_rules! rules {
    ($( $name:literal, $file:literal, $sev:ident, $summary:literal; )*) => {
        /// Every built-in rule, in the order they are documented.
        pub const RULES: &[BuiltinRule] = &[ $(
            BuiltinRule {
                name: $name,
                severity: crate::diag::Severity::$sev,
                summary: $summary,
                path: concat!("<built-in>/policies/", $file, ".rego"),
                source: include_str!(concat!("../../policies/", $file, ".rego")),
                test_path: concat!("<built-in>/policies/", $file, "_test.rego"),
                test_source: include_str!(concat!("../../policies/", $file, "_test.rego")),
            },
        )* ];
    };
}

rules! {
    "beta-not-in-production", "beta_not_in_production", Error, "a beta product never reaches production: no production subscription to it";
    "production-quota", "production_quota", Warning, "a plan offered in production carries a quota";
    "max-live-keys", "max_live_keys", Error, "a partner keeps at most two live keys per environment";
    "key-rotation", "key_rotation", Warning, "a live key older than a year gets rotated";
    "listed-partner-live", "listed_partner_live", Warning, "a partner in the public directory is live (or awaiting production)";
    "retired-product-unsubscribed", "retired_product_unsubscribed", Error, "no partner subscribes to a retired product";
    "deprecated-no-new-subscriptions", "deprecated_no_new_subscriptions", Error, "a deprecated product takes no new subscribers (plan only)";
    "approval-teams-on-github", "approval_teams_on_github", Warning, "every team an approval rule needs has a github handle for CODEOWNERS";
    "secret-ref-placeholder", "secret_ref_placeholder", Warning, "a live credential's secretRef is not a placeholder such as vault://TODO/... (left by import)";
}

/// Looks a built-in rule up by name.
pub fn rule(name: &str) -> Option<&'static BuiltinRule> {
    RULES.iter().find(|r| r.name == name)
}
