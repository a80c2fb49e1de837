//! The audit of a Kong Ingress Controller cluster (`audit --gateway FILE` with a
//! `kubectl get kongconsumers,kongconsumergroups,kongplugins,externalsecrets -o yaml` list):
//! what its `KongConsumer`s, consumer groups and plugins let partners do, against the
//! program, with the findings of the decK audit (`gateway::kong::audit`).
//!
//! How the resources name program entities, as the `kong-ingress` target writes them:
//! - a `KongConsumer` names its partner by `custom_id`, else `username`;
//! - its `credentials` are Secret names; the Secret's credential is the
//!   `partnerctl.dev/credential` label of the ExternalSecret (or Secret) that makes it, else
//!   the name after `partnerctl-key-`;
//! - a credential Secret that is an `acl` credential (a listed Secret labelled
//!   `konghq.com/credential: acl`, or named `partnerctl-acl.<partner>.<product>` as the
//!   target names them) puts the consumer in an ACL group: the Secret's
//!   `partnerctl.dev/product` label, else the last part of its name (a Secret's data is never
//!   read);
//! - a consumer can call a product when one of its ACL groups, or with
//!   `include_consumer_groups: true` one of its `consumerGroups`, is in the `allow` list of
//!   the product's `acl` KongPlugin (`partnerctl.dev/product` label, else the name after
//!   `acl.` or `acl-`), or, with only a `deny` list, when none is in it. Its limits there are
//!   the `rate-limiting` KongPlugins its groups are annotated with, and those of the
//!   product (`partnerctl.dev/product` label) it is annotated with itself
//!   (`konghq.com/plugins`), compared window by window with the plan's.

use crate::gateway::audit::{AuditCode, Finding};
use crate::gateway::kong::render::rate_limiting_config;
use crate::gateway::kubernetes::{self as k8s, AuditContext, Manifest, Manifests};
use std::collections::{BTreeMap, BTreeSet};

/// The kinds only this target renders.
const KINDS: [&str; 3] = ["KongConsumer", "KongConsumerGroup", "KongPlugin"];

/// An `acl` KongPlugin: the product it guards and whom it lets through.
struct Acl<'a> {
    plugin: &'a Manifest,
    product: String,
    allow: Vec<String>,
    deny: Vec<String>,
    /// `include_consumer_groups: true`: consumer groups count as ACL groups. Without it the
    /// groups the target relies on let nobody through.
    by_groups: bool,
}

impl Acl<'_> {
    /// The groups through which it lets a consumer call, if it does: of its ACL groups
    /// (`acl` credentials) and, with `include_consumer_groups`, its consumer groups, those in
    /// `allow`; with only a `deny` list, every group, when none is denied.
    fn lets(&self, consumer_groups: &[String], acl_groups: &[String]) -> Option<Vec<String>> {
        let mut groups: Vec<String> = acl_groups.to_vec();
        if self.by_groups {
            groups.extend(consumer_groups.iter().cloned());
        }
        if !self.allow.is_empty() {
            let through: Vec<String> = groups.iter().filter(|g| self.allow.contains(g)).cloned().collect();
            return (!through.is_empty()).then_some(through);
        }
        if self.deny.is_empty() || groups.iter().any(|g| self.deny.contains(g)) {
            return None;
        }
        Some(groups)
    }
}

/// The product an `acl` plugin guards.
fn acl_product(m: &Manifest) -> String {
    m.label_value(k8s::PRODUCT_LABEL)
        .map(str::to_string)
        .or_else(|| {
            m.name
                .strip_prefix("acl.")
                .or_else(|| m.name.strip_prefix("acl-"))
                .map(str::to_string)
        })
        .unwrap_or_else(|| m.name.clone())
}

/// The ACL group a credential Secret puts its consumer in, if it is an `acl` credential.
fn acl_group(m: &Manifests, secret: &str) -> Option<String> {
    let listed = m.of("Secret").find(|s| s.name == secret);
    if let Some(s) = listed
        && s.label_value("konghq.com/credential") == Some("acl")
    {
        return s
            .label_value(k8s::PRODUCT_LABEL)
            .map(str::to_string)
            .or_else(|| secret.rsplit('.').next().map(str::to_string));
    }
    let rest = secret.strip_prefix("partnerctl-acl.")?;
    rest.rsplit_once('.').map(|(_, product)| product.to_string())
}

/// The plugin names of a `konghq.com/plugins` annotation that are KongPlugins of the list
/// (a `namespace:` qualifier is dropped: the list is read as one namespace's).
fn annotated<'a>(r: &Manifest, plugins: &BTreeMap<&str, &'a Manifest>) -> Vec<&'a Manifest> {
    r.annotations
        .get("konghq.com/plugins")
        .map(|a| {
            a.split(',')
                .map(|s| s.trim())
                .map(|s| s.rsplit_once(':').map_or(s, |(_, n)| n))
                .filter_map(|n| plugins.get(n).copied())
                .collect()
        })
        .unwrap_or_default()
}

fn top_string(m: &Manifest, key: &str) -> Option<String> {
    match m.body.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Compares the manifests with the program.
pub fn audit(ctx: &mut AuditContext<'_>, m: &Manifests) {
    for k in KINDS {
        for r in m.of(k) {
            ctx.unmanaged(r);
        }
    }
    let secrets = m.secret_credentials();
    let groups: BTreeMap<&str, &Manifest> = m.of("KongConsumerGroup").map(|g| (g.name.as_str(), g)).collect();
    let plugins: BTreeMap<&str, &Manifest> = m.of("KongPlugin").map(|p| (p.name.as_str(), p)).collect();
    let acls: Vec<Acl> = m
        .of("KongPlugin")
        .filter(|p| p.body["plugin"] == "acl")
        .map(|p| Acl {
            plugin: p,
            product: acl_product(p),
            allow: p.strings("/config/allow"),
            deny: p.strings("/config/deny"),
            by_groups: p.body.pointer("/config/include_consumer_groups") == Some(&serde_json::Value::Bool(true)),
        })
        .collect();
    let gateway = ctx.gateway();
    let mut consumers: BTreeSet<String> = BTreeSet::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();

    for c in m.of("KongConsumer") {
        let label = top_string(c, "username").unwrap_or_else(|| c.name.clone());
        let partner_name = top_string(c, "custom_id").or_else(|| top_string(c, "username"));
        let Some(partner) = partner_name.as_deref().and_then(|n| ctx.program.partners.get(n)) else {
            let credentials = c.strings("/credentials").len();
            ctx.push(
                Finding::new(
                    AuditCode::UnknownConsumer,
                    format!(
                        "{} ({label}) is in the cluster with {credentials} key credential(s) but names no partner of the program",
                        c.label()
                    ),
                )
                .consumer_named(&label),
                c,
            );
            continue;
        };
        consumers.insert(partner.name.clone());
        let (acl_credentials, credentials): (Vec<String>, Vec<String>) = c
            .strings("/credentials")
            .into_iter()
            .partition(|s| acl_group(m, s).is_some());
        let acl_groups: Vec<String> = acl_credentials.iter().filter_map(|s| acl_group(m, s)).collect();
        let ids: Vec<String> = credentials.iter().map(|s| m.credential_of(&secrets, s)).collect();
        seen.extend(ids.iter().cloned());
        if partner.stage().is_exit() {
            ctx.push(
                Finding::new(
                    AuditCode::ExitedPartnerPresent,
                    format!(
                        "partner {} is {} but {} is still in the cluster with {} key credential(s)",
                        partner.name,
                        partner.stage(),
                        c.label(),
                        ids.len()
                    ),
                )
                .partner(&partner.name)
                .consumer_named(&label),
                c,
            );
            continue;
        }
        for id in &ids {
            ctx.credential(id, Some(partner), c, "credentials");
        }
        // What its groups let it call, and with which limits.
        let member_of = c.strings("/consumerGroups");
        let mut reach: BTreeMap<String, (Vec<String>, String)> = BTreeMap::new();
        for acl in &acls {
            let Some(through) = acl.lets(&member_of, &acl_groups) else {
                continue;
            };
            let via = &mut reach
                .entry(acl.product.clone())
                .or_insert_with(|| (Vec::new(), acl.plugin.label()))
                .0;
            via.extend(through);
        }
        for (product, (via, acl)) in &reach {
            let how = if via.is_empty() {
                format!("{acl} lets it through")
            } else {
                format!("{acl} allows its group(s) {}", via.join(", "))
            };
            ctx.access(partner, product, c, &how, Some(&label));
            let plan = gateway
                .as_ref()
                .and_then(|g| g.partner(&partner.name))
                .and_then(|p| p.plans.get(product.as_str()).copied());
            let Some(plan) = plan else { continue };
            let expected = k8s::kong_windows(&rate_limiting_config(plan));
            let mut found = false;
            // The plugins of its consumer groups, and those of the product it names itself.
            let mut limiting: Vec<&Manifest> = via
                .iter()
                .filter_map(|g| groups.get(g.as_str()))
                .flat_map(|group| annotated(group, &plugins))
                .collect();
            limiting.extend(
                annotated(c, &plugins)
                    .into_iter()
                    .filter(|pl| pl.label_value(k8s::PRODUCT_LABEL) == Some(product.as_str())),
            );
            {
                for pl in limiting {
                    if pl.body["plugin"] != "rate-limiting" {
                        continue;
                    }
                    found = true;
                    let actual = k8s::kong_windows(&pl.body["config"]);
                    if actual != expected {
                        ctx.limits(
                            &partner.name,
                            format!(
                                "{} limits partner {} on product {product} to {} but plan {} says {}",
                                pl.label(),
                                partner.name,
                                windows_text(&actual),
                                plan.name,
                                windows_text(&expected)
                            ),
                            Some(pl),
                        );
                    }
                }
            }
            if !found {
                ctx.limits(
                    &partner.name,
                    format!(
                        "{} calls product {product} with no rate-limiting KongPlugin on it or its consumer group, but plan {} says {}",
                        c.label(),
                        plan.name,
                        windows_text(&expected)
                    ),
                    Some(c),
                );
            }
        }
        if let Some(gp) = gateway.as_ref().and_then(|g| g.partner(&partner.name)) {
            for (product, plan) in &gp.plans {
                if !reach.contains_key(*product) {
                    ctx.missing(
                        &partner.name,
                        None,
                        format!(
                            "partner {} is subscribed to {product} ({}) but {} is in no group the product's acl KongPlugin allows",
                            partner.name,
                            plan.name,
                            c.label()
                        ),
                    );
                }
            }
        }
        let products: BTreeSet<&str> = reach.keys().map(String::as_str).collect();
        if !products.is_empty() {
            ctx.terms(partner, &products, c, Some(&label));
        }
    }

    if let Some(g) = &gateway {
        let env = g.environment;
        for p in &g.partners {
            if !consumers.contains(p.name) {
                let ids: Vec<&str> = p.credentials.iter().map(|c| c.id.0.as_str()).collect();
                ctx.missing(
                    p.name,
                    None,
                    format!(
                        "partner {} has {env} access in the program but no KongConsumer in the cluster (credentials: {})",
                        p.name,
                        if ids.is_empty() { "none".to_string() } else { ids.join(", ") }
                    ),
                );
                continue;
            }
            for c in &p.credentials {
                if !seen.contains(&c.id.0) {
                    ctx.missing(
                        p.name,
                        Some(&c.id),
                        format!(
                            "credential {} of partner {} gives {env} access in the program but its KongConsumer does not list it",
                            c.id, p.name
                        ),
                    );
                }
            }
        }
    }
}

/// `10/second, 10000/day`.
pub fn windows_text(w: &BTreeMap<String, u64>) -> String {
    let order = ["second", "minute", "hour", "day", "month"];
    let mut parts: Vec<(usize, String)> = w
        .iter()
        .map(|(k, v)| (order.iter().position(|o| o == k).unwrap_or(9), format!("{v}/{k}")))
        .collect();
    parts.sort();
    if parts.is_empty() {
        return "no limit".into();
    }
    parts.into_iter().map(|(_, s)| s).collect::<Vec<_>>().join(", ")
}
