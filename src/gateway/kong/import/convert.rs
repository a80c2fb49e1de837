//! Kong values as program values: names that match the name pattern, Kong route paths as
//! endpoint paths, `rate-limiting` configurations as plan limits.

use crate::spec::{PlanSpec, QuotaUnit, RateUnit};
use serde_json::Value;

/// A resource name from anything: lower case, dashes, at most 63 characters, so it matches
/// `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$` (`test_consumer_3x` → `test-consumer-3x`).
pub fn to_name(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(63).collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "imported".to_string() } else { out }
}

/// A value for a one-line field (`displayName`, a label): control and separator characters
/// replaced, so it passes the schema's line pattern.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The endpoint-path pattern of the Product schema.
pub(crate) fn is_endpoint_path(p: &str) -> bool {
    p.starts_with('/')
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~!$&'()*+,;=:@%/{}-".contains(c))
}

/// A Kong route path as an endpoint path, and whether the two match the same requests.
///
/// A plain path (`/v1/x`) is kept. A regular expression (`~/v1/x/(?<id>[^/]+)$`, what the
/// `kong` target writes) becomes `/v1/x/{id}` (an unnamed `[^/]+` becomes `{param}`). An
/// expression no endpoint can say (`~/v1/example/?$`, `.*`, alternatives) becomes the
/// nearest plain path, its literal beginning (`/v1/example`), and is not exact.
pub fn endpoint_path(kong: &str) -> (String, bool) {
    let Some(re) = kong.strip_prefix('~') else {
        return if is_endpoint_path(kong) {
            (kong.to_string(), true)
        } else {
            ("/".to_string(), false)
        };
    };
    let re = re.strip_prefix('^').unwrap_or(re);
    let (re, mut exact) = match re.strip_suffix('$') {
        Some(r) => (r, true),
        None => (re, false),
    };
    let chars: Vec<char> = re.chars().collect();
    let mut out = String::new();
    let mut unnamed = 0;
    let mut param = |name: Option<String>| {
        name.unwrap_or_else(|| {
            unnamed += 1;
            if unnamed == 1 {
                "param".to_string()
            } else {
                format!("param{unnamed}")
            }
        })
    };
    let starts = |i: usize, s: &str| chars[i..].iter().collect::<String>().starts_with(s);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '(' {
            let mut depth = 0;
            let mut j = i;
            while j < chars.len() {
                match chars[j] {
                    '\\' => j += 1,
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let group: String = chars[i + 1..j.min(chars.len())].iter().collect();
            let (name, body) = match group.strip_prefix("?<").or_else(|| group.strip_prefix("?P<")) {
                Some(g) => match g.split_once('>') {
                    Some((n, b)) => (Some(n.to_string()), b.to_string()),
                    None => (None, g.to_string()),
                },
                None => (None, group.clone()),
            };
            if body != "[^/]+" {
                exact = false;
            }
            let name = name.filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            out.push_str(&format!("{{{}}}", param(name)));
            i = j + 1;
        } else if c == '[' && starts(i, "[^/]+") {
            out.push_str(&format!("{{{}}}", param(None)));
            i += 5;
        } else if c == '\\' && i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() {
            out.push(chars[i + 1]);
            i += 2;
        } else if c == '/' && starts(i, "/?") && i + 2 == chars.len() {
            // An optional trailing slash: the nearest plain path has none.
            exact = false;
            i += 2;
        } else if "?*+|{}[]()^$\\.".contains(c) {
            // Anything else an expression can say ends the plain part.
            exact = false;
            break;
        } else {
            out.push(c);
            i += 1;
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    if !is_endpoint_path(&out) {
        return ("/".to_string(), false);
    }
    (out, exact)
}

/// A plan's limits read from a `rate-limiting` configuration: the rate limit (the smallest of
/// second/minute/hour/day) and the quota (day or month, when a larger unit is also set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub rate: (u64, RateUnit),
    pub quota: Option<(u64, QuotaUnit)>,
}

impl Limits {
    pub(crate) fn of_plan(p: &PlanSpec) -> Option<Limits> {
        limits(&crate::gateway::kong::render::rate_limiting_config(p))
    }

    pub(crate) fn name(&self) -> String {
        format!("{}-per-{}", self.rate.0, self.rate.1.as_str())
    }
}

/// The limits of a `rate-limiting` configuration, if it sets any.
pub fn limits(config: &Value) -> Option<Limits> {
    let get = |k: &str| {
        config
            .get(k)
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_f64().filter(|f| *f >= 1.0).map(|f| f as u64))
            })
            .filter(|n| *n > 0)
    };
    let units = [RateUnit::Second, RateUnit::Minute, RateUnit::Hour, RateUnit::Day];
    let (ri, rate) = units
        .iter()
        .enumerate()
        .find_map(|(i, u)| get(u.as_str()).map(|n| (i, (n, *u))))?;
    let quota = match (get("day"), get("month")) {
        (Some(d), _) if ri < 3 => Some((d, QuotaUnit::Day)),
        (_, Some(m)) => Some((m, QuotaUnit::Month)),
        _ => None,
    };
    Some(Limits { rate, quota })
}

pub(crate) fn title(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn describe(l: &Limits) -> String {
    let mut s = format!("{} a {}", l.rate.0, l.rate.1.as_str());
    if let Some((n, per)) = l.quota {
        s.push_str(&format!(" and {n} a {}", per.as_str()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kong_paths_become_endpoint_paths() {
        assert_eq!(endpoint_path("/v1/shipments"), ("/v1/shipments".into(), true));
        assert_eq!(
            endpoint_path("~/v1/shipments/(?<id>[^/]+)$"),
            ("/v1/shipments/{id}".into(), true)
        );
        assert_eq!(
            endpoint_path("~^/v1/shipments/(?<id>[^/]+)/labels$"),
            ("/v1/shipments/{id}/labels".into(), true)
        );
        assert_eq!(
            endpoint_path("~/v1/a/[^/]+/b/([^/]+)$"),
            ("/v1/a/{param}/b/{param2}".into(), true)
        );
        assert_eq!(endpoint_path("~/v1/rates\\.json$"), ("/v1/rates.json".into(), true));
        assert_eq!(endpoint_path("~/v1/example/?$"), ("/v1/example".into(), false));
        assert!(!endpoint_path("~/v1/(a|b)$").1);
        assert_eq!(endpoint_path("~/v1/x.*$"), ("/v1/x".into(), false));
        assert_eq!(endpoint_path("~/v1/x"), ("/v1/x".into(), false));
        assert_eq!(endpoint_path("/a b"), ("/".into(), false));
    }

    #[test]
    fn rate_limiting_configs_become_limits() {
        let l = limits(&json!({"second": 10, "day": 10000, "policy": "local"})).unwrap();
        assert_eq!(
            l,
            Limits {
                rate: (10, RateUnit::Second),
                quota: Some((10000, QuotaUnit::Day))
            }
        );
        let l = limits(&json!({"second": 250, "month": 5000000})).unwrap();
        assert_eq!(l.quota, Some((5000000, QuotaUnit::Month)));
        assert_eq!(
            limits(&json!({"minute": 60, "hour": null})).unwrap().rate,
            (60, RateUnit::Minute)
        );
        assert_eq!(limits(&json!({})), None);
        assert_eq!(limits(&json!({"limit": [5], "window_size": [30]})), None);
    }

    #[test]
    fn names_follow_the_pattern() {
        assert_eq!(to_name("ACME Logistics GmbH"), "acme-logistics-gmbh");
        assert_eq!(to_name("test_consumer_3x"), "test-consumer-3x");
        assert_eq!(to_name("_route_(x)_"), "route-x");
        assert_eq!(to_name(&"a".repeat(80)).len(), 63);
        assert_eq!(to_name("__"), "imported");
    }
}
