//! The `nginx` target: an `http`-level include for one environment (SPEC §7).
//!
//! How a request is decided, in NGINX's own phases:
//! 1. `perl_set` looks the `X-Api-Key` header up in the run-time keys file (never the
//!    repository), exactly, letter case included (SPEC §12; NGINX's own `map` lowercases
//!    both sides), and gives the credential id; none → **401** (server `if`, rewrite phase).
//! 2. `map` credential → partner, listing only live credentials of partners whose stage
//!    allows the environment; none (revoked, expired, suspended, offboarded) → **403**.
//! 3. The endpoint's `location` (an anchored regex per path) checks the method (405) and
//!    the partner's plan for the product; no subscription → **403**.
//! 4. `limit_req` per plan zone, keyed by partner (an empty key is not counted, so each
//!    partner is limited only by its own plan); over the limit → **429**, a JSON body and
//!    `Retry-After` (the seconds the plan's rate takes to let one more call through).
//! 5. Otherwise `proxy_pass` to the product's upstream for the environment.
//!
//! Every request is logged as one JSON line in the usage format of SPEC §8; every refusal
//! has a JSON body.
//!
//! NGINX keeps map keys and variable names in hash tables of fixed-size buckets, and refuses
//! a configuration whose longest key does not fit one (tests/external/FACTS.md §g): with the
//! default 64 bytes, any key over 46 bytes, while names may have 63 characters. So the
//! include sets `map_hash_bucket_size` and `map_hash_max_size` from its own longest key and
//! largest map ([`hash_sizes`]), and its variables and zones are named by a hash of the
//! product (and plan) they stand for ([`short_name`]): short enough for the default
//! variables hash, and never the same for two products or plans, where joining names with
//! `_` made `rates` + `pro-annual` and `rates-pro` + `annual` one zone.
//!
//! Every value reaches the template through [`crate::encode::nginx`] ([`arg`], `quoted`,
//! [`map_key`], [`word`], [`comment`]), which writes it as one NGINX token or refuses it:
//! no value can end a comment, a string or a directive, or add a block (SPEC §9). Comments
//! carry names only, never display names.

use crate::access::Gateway;
use crate::encode::nginx::{Refused, arg, comment, escape_inner, map_key, regex, word};
use crate::model::Program;
use crate::output::RenderError;
use crate::spec::{Date, Environment, OutputSpec, PlanSpec, RateUnit};
use crate::template as templates;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const DEFAULT_KEYS_FILE: &str = "/etc/nginx/partnerctl-keys.map";
pub const DEFAULT_LISTEN: &str = "8080";
pub const DEFAULT_ACCESS_LOG: &str = "/var/log/nginx/partnerctl-usage.jsonl";

/// The `limit_req_zone` rate and the `limit_req` burst of a plan.
///
/// NGINX counts in requests per second or per minute; a plan per hour or per day becomes
/// its per-minute rate rounded up. The burst lets a partner spend its whole allowance at
/// once (`requests - 1` beyond the first), as "N per unit" promises, and then refills at
/// the plan's rate. Quotas (per day or month) need counters NGINX does not keep; Kong
/// enforces them (see docs/render.md).
pub fn rate(plan: &PlanSpec) -> (String, u64) {
    let n = plan.rate_limit.requests;
    let rate = match plan.rate_limit.per {
        RateUnit::Second => format!("{n}r/s"),
        RateUnit::Minute => format!("{n}r/m"),
        RateUnit::Hour | RateUnit::Day => {
            let per_minute = (n * 60).div_ceil(plan.rate_limit.per.seconds()).max(1);
            format!("{per_minute}r/m")
        }
    };
    (rate, n.saturating_sub(1))
}

/// The seconds a client over the plan's rate waits before one more call gets through: NGINX
/// refills the allowance at the zone's rate ([`rate`]), one call per `1/rate` of its unit.
pub fn retry_after(plan: &PlanSpec) -> u64 {
    let n = plan.rate_limit.requests.max(1);
    match plan.rate_limit.per {
        RateUnit::Second => 1,
        RateUnit::Minute => 60u64.div_ceil(n).max(1),
        RateUnit::Hour | RateUnit::Day => {
            let per_minute = (n * 60).div_ceil(plan.rate_limit.per.seconds()).max(1);
            60u64.div_ceil(per_minute).max(1)
        }
    }
}

/// A variable or zone name of the include for what `parts` name: `<prefix>_<kind>_` and 16
/// hex digits of a SHA-256 of the parts, each ended by a NUL (which no name holds, so
/// different parts never hash the same input). At most 40 characters with the longest
/// prefix (`partnerctl_production`), so it fits NGINX's default 64-byte variables hash
/// bucket (46 bytes a name), whatever the length of the names behind it.
pub fn short_name(prefix: &str, kind: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{kind}_{hex}")
}

/// The bytes a key takes in an NGINX hash: a pointer, the key and two bytes of length,
/// rounded up to a pointer (`NGX_HASH_ELT_SIZE`, with 8-byte pointers).
fn hash_element(key_len: usize) -> usize {
    (8 + key_len + 2).div_ceil(8) * 8
}

/// `map_hash_bucket_size` and `map_hash_max_size` for maps whose longest key has
/// `longest` bytes and whose largest map has `entries` keys: a bucket holds four of the
/// longest elements and its end pointer, rounded up to 64 bytes (a cache line), and never
/// less than 128; the table may grow to twice the largest map's entries (a power of two,
/// at least NGINX's default 2048), so NGINX finds a table without warning.
pub fn hash_sizes(longest: usize, entries: usize) -> (usize, usize) {
    let bucket = (8 + 4 * hash_element(longest)).div_ceil(64) * 64;
    let max = (2 * entries).next_power_of_two().max(2048);
    (bucket.max(128), max)
}

/// Splits an upstream URL into what `proxy_pass` takes (`https://host:port`) and a path
/// prefix (`/base`, or empty): a `proxy_pass` inside a regex location cannot carry a URI.
fn split_upstream(url: &str) -> (String, String) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), String::new());
    };
    match rest.find('/') {
        Some(i) => {
            let path = rest[i..].trim_end_matches('/');
            (format!("{scheme}://{}", &rest[..i]), path.to_string())
        }
        None => (url.to_string(), String::new()),
    }
}

/// The Perl that `perl_set` runs per request: the `X-Api-Key` header looked up exactly in the
/// keys file, which is parsed once per worker and again whenever its device, inode, size or
/// modification time changes (an atomic replace or an edit). A file that cannot be read
/// gives no key at all: every request is refused with 401, never let through.
fn key_lookup(keys_file: &str) -> Result<String, Refused> {
    let path = keys_file.replace('\\', "\\\\").replace('\'', "\\'");
    let code = KEY_LOOKUP.replace("KEYS_FILE", &path);
    Ok(format!("\"{}\"", escape_inner(&code, true, true)?))
}

const KEY_LOOKUP: &str = r#"sub {
    my $r = shift;
    my $key = $r->header_in('X-Api-Key');
    return '' unless defined $key && length $key;
    my $file = 'KEYS_FILE';
    my @st = stat $file;
    my $stamp = @st ? join(':', @st[0, 1, 7, 9]) : '';
    my $cache = $partnerctl::keys{$file};
    if (!$cache || $cache->[0] ne $stamp) {
        my %ids;
        if (open my $fh, '<', $file) {
            while (my $line = <$fh>) {
                next unless $line =~ /^\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"';#]+))\s+([^\s;]+)\s*;/;
                my ($q, $bare, $id) = ($1, $2, $3);
                my $secret = defined $q ? ($q =~ s/\\(.)/$1/gr) : $bare;
                $ids{$secret} = $id;
            }
            close $fh;
        }
        $cache = $partnerctl::keys{$file} = [$stamp, \%ids];
    }
    my $id = $cache->[1]{$key};
    return defined $id ? $id : '';
}"#;

fn refused(output: &OutputSpec, what: &str, e: Refused) -> RenderError {
    RenderError::Output(format!(
        "output `{}`: {what} cannot be written into an NGINX configuration: {}",
        output.path, e.0
    ))
}

/// The template context.
pub fn context(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
) -> Result<Value, RenderError> {
    let gw = Gateway::new(program, environment, today);
    let p = format!("partnerctl_{}", environment.as_str());
    let e = |what: &str| {
        let what = what.to_string();
        move |r: Refused| refused(output, &what, r)
    };
    let mut credentials = Vec::new();
    for partner in &gw.partners {
        for c in &partner.credentials {
            credentials.push(json!({
                "id": map_key(&c.id.0).map_err(e("a credential id"))?,
                "partner": arg(partner.name).map_err(e("a partner name"))?,
                "sort": c.id.0,
            }));
        }
    }
    credentials.sort_by(|a, b| a["sort"].as_str().cmp(&b["sort"].as_str()));
    // Every map key, for the hash sizes: credential ids, partner names, plan names.
    let mut longest = gw
        .partners
        .iter()
        .flat_map(|pa| std::iter::once(pa.name.len()).chain(pa.credentials.iter().map(|c| c.id.0.len())))
        .max()
        .unwrap_or(0);
    let mut entries = credentials.len().max(gw.partners.len());
    // Variable names stand for their product or plan; two that hash alike are refused
    // rather than merged.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut name = |kind: &str, parts: &[&str]| -> Result<String, RenderError> {
        let n = short_name(&p, kind, parts);
        let what = parts.join("/");
        match names.insert(n.clone(), what.clone()) {
            Some(other) if other != what => Err(RenderError::Output(format!(
                "output `{}`: {other} and {what} would share the NGINX name {n}",
                output.path
            ))),
            _ => Ok(n),
        }
    };
    let mut products = Vec::new();
    for product in &gw.products {
        let subscribers = gw.subscribers(product.name);
        let mut plans = Vec::new();
        for plan in product
            .product
            .spec
            .plans
            .iter()
            .filter(|plan| plan.environments.contains(&environment))
        {
            let (rate, burst) = rate(plan);
            let mut partners = Vec::new();
            for (pa, _) in subscribers.iter().filter(|(_, pl)| pl.name == plan.name) {
                partners.push(json!({
                    "key": map_key(pa.name).map_err(e("a partner name"))?,
                    "value": arg(pa.name).map_err(e("a partner name"))?,
                }));
            }
            longest = longest.max(plan.name.len());
            plans.push(json!({
                "comment": comment(&format!("{} {}", product.name, plan.name)),
                "zone": name("zone", &[product.name, &plan.name])?,
                "name": map_key(&plan.name).map_err(e("a plan name"))?,
                "rate": rate,
                "burst": burst,
                "retryAfter": retry_after(plan),
                "partners": partners,
            }));
        }
        entries = entries.max(plans.len());
        let (upstream, upstream_path) = split_upstream(product.upstream);
        let rewrite = if upstream_path.is_empty() {
            String::new()
        } else {
            format!(
                "\"{}$1\"",
                escape_inner(&upstream_path, false, false).map_err(e("an upstream path"))?
            )
        };
        let mut routes = Vec::new();
        for r in &product.routes {
            let methods: Vec<&str> = r.methods.iter().map(|m| m.as_str()).collect();
            routes.push(json!({
                "comment": comment(&format!("{}: {} {}", product.name, methods.join(" "), r.path)),
                "regex": regex(&r.regex).map_err(e("an endpoint path"))?,
                "methods": methods.join("|"),
            }));
        }
        let mut subs = Vec::new();
        for (pa, pl) in &subscribers {
            subs.push(json!({
                "partner": map_key(pa.name).map_err(e("a partner name"))?,
                "plan": arg(&pl.name.0).map_err(e("a plan name"))?,
            }));
        }
        products.push(json!({
            "name": word(product.name).map_err(e("a product name"))?,
            "comment": comment(product.name),
            "ident": crate::access::ident(product.name),
            "plan": name("plan", &[product.name])?,
            "retry": name("retry", &[product.name])?,
            "rateLimited": name("rate_limited", &[product.name])?,
            "upstream": arg(&upstream).map_err(e("an upstream"))?,
            "rewrite": rewrite,
            "routes": routes,
            "plans": plans,
            "subscribers": subs,
        }));
    }
    let keys_file = output.keys_file.as_deref().unwrap_or(DEFAULT_KEYS_FILE);
    let (bucket, max) = hash_sizes(longest, entries);
    Ok(json!({
        "mapHashBucketSize": bucket,
        "mapHashMaxSize": max,
        "environment": environment.as_str(),
        "asOf": today.to_string(),
        "program": {"comment": comment(program.name())},
        "p": p,
        "keysFile": comment(keys_file),
        "keyLookup": key_lookup(keys_file).map_err(e("`keysFile`"))?,
        "listen": arg(output.listen.as_deref().unwrap_or(DEFAULT_LISTEN)).map_err(e("`listen`"))?,
        "accessLog": arg(output.access_log.as_deref().unwrap_or(DEFAULT_ACCESS_LOG)).map_err(e("`accessLog`"))?,
        "credentials": credentials,
        "products": products,
    }))
}

/// Renders the include through `nginx/nginx.conf.j2`.
pub fn render(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
    env: &minijinja::Environment<'static>,
) -> Result<String, RenderError> {
    templates::render(
        env,
        "nginx/nginx.conf.j2",
        context(program, today, environment, output)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_distinct_and_hashes_fit_the_longest_key() {
        let a = short_name("partnerctl_production", "zone", &["rates", "pro-annual"]);
        let b = short_name("partnerctl_production", "zone", &["rates-pro", "annual"]);
        assert_ne!(a, b);
        assert!(a.len() <= 46, "{a}");
        // 63-character keys: 80 bytes an element, four a bucket.
        assert_eq!(hash_sizes(63, 10), (384, 2048));
        assert_eq!(hash_sizes(10, 5000), (128, 16384));
        let plan = |n, per| PlanSpec {
            name: crate::spec::Name("p".into()),
            rate_limit: crate::spec::RateLimit { requests: n, per },
            quota: None,
            environments: vec![Environment::Sandbox],
        };
        assert_eq!(retry_after(&plan(50, RateUnit::Second)), 1);
        assert_eq!(retry_after(&plan(2, RateUnit::Minute)), 30);
        // 100 an hour is NGINX's 2r/m: one call every 30 seconds.
        assert_eq!(retry_after(&plan(100, RateUnit::Hour)), 30);
    }

    #[test]
    fn upstreams() {
        assert_eq!(
            split_upstream("https://a.internal"),
            ("https://a.internal".into(), "".into())
        );
        assert_eq!(
            split_upstream("http://127.0.0.1:81/base/"),
            ("http://127.0.0.1:81".into(), "/base".into())
        );
    }
}
