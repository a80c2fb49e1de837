//! A plan's limits as an API Management product policy, and a policy's limits read back.
//!
//! API Management's `rate-limit-by-key` counts in a sliding window of at most 300 seconds
//! and `quota-by-key` in a fixed window of at least 300 seconds (tests/external/FACTS.md §h).
//! So a plan's rate limit per second or minute is a `rate-limit-by-key`, and one per hour
//! or day, like every quota, is a `quota-by-key` over that window: the same fixed windows
//! Kong counts in, where scaling to a 300-second rate would allow bursts the plan does not.
//! Both count per subscription (`context.Subscription.Id`), each window under a key of its
//! own so that two windows never share a counter. The document is built as an element tree
//! and written by the XML writer ([`crate::encode::xml`]); no text of the program's enters it.

use super::names::{WINDOWS, window_of};
use crate::encode::xml::{Element, document};
use crate::spec::{PlanSpec, QuotaUnit, RateUnit};
use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::BTreeMap;

/// The policy element that enforces a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `rate-limit-by-key` (sliding, at most 300 seconds).
    Rate,
    /// `quota-by-key` (fixed, at least 300 seconds).
    Quota,
}

/// One limit of a plan: so many calls per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Limit {
    pub kind: Kind,
    pub calls: u64,
    pub seconds: u64,
}

/// The longest window `rate-limit-by-key` takes.
pub const RATE_MAX_SECONDS: u64 = 300;

/// A plan's limits: its rate limit and quota, one per window (the smaller where both fall
/// in the same window), shortest window first.
pub fn limits(plan: &PlanSpec) -> Vec<Limit> {
    let rate_seconds = match plan.rate_limit.per {
        RateUnit::Second => 1,
        RateUnit::Minute => 60,
        RateUnit::Hour => 3_600,
        RateUnit::Day => 86_400,
    };
    let mut windows: BTreeMap<u64, u64> = BTreeMap::new();
    windows.insert(rate_seconds, plan.rate_limit.requests);
    if let Some(q) = plan.quota {
        let seconds = match q.per {
            QuotaUnit::Day => 86_400,
            QuotaUnit::Month => 2_592_000,
        };
        let calls = windows.get(&seconds).map_or(q.requests, |r| (*r).min(q.requests));
        windows.insert(seconds, calls);
    }
    windows
        .into_iter()
        .map(|(seconds, calls)| Limit {
            kind: if seconds <= RATE_MAX_SECONDS {
                Kind::Rate
            } else {
                Kind::Quota
            },
            calls,
            seconds,
        })
        .collect()
}

/// `window → calls` of a set of limits, by window name where it has one
/// (`86400` → `day`), else `<n>s`.
pub fn windows(limits: &[Limit]) -> BTreeMap<String, u64> {
    limits
        .iter()
        .map(|l| {
            let w = window_of(l.seconds).map_or_else(|| format!("{}s", l.seconds), str::to_string);
            (w, l.calls)
        })
        .collect()
}

/// The counter key of a window: the subscription, and the window for quotas.
fn counter_key(l: &Limit) -> String {
    match l.kind {
        Kind::Rate => "@(context.Subscription.Id)".to_string(),
        Kind::Quota => {
            let w = WINDOWS
                .iter()
                .find(|(_, s)| *s == l.seconds)
                .map_or("window", |(w, _)| *w);
            format!("@(context.Subscription.Id + \"/{w}\")")
        }
    }
}

/// The product policy of a plan, as XML.
pub fn document_of(plan: &PlanSpec) -> Result<String, String> {
    let base = || Element::new("base");
    let inbound = Element::new("inbound")
        .child(base())
        .children(limits(plan).iter().map(|l| {
            let name = match l.kind {
                Kind::Rate => "rate-limit-by-key",
                Kind::Quota => "quota-by-key",
            };
            Element::new(name)
                .attr("calls", l.calls.to_string())
                .attr("renewal-period", l.seconds.to_string())
                .attr("counter-key", counter_key(l))
        }));
    let root = Element::new("policies")
        .child(inbound)
        .child(Element::new("backend").child(base()))
        .child(Element::new("outbound").child(base()))
        .child(Element::new("on-error").child(base()));
    document(&root, 4)
}

/// The limits a policy document sets: every `rate-limit-by-key`, `quota-by-key`,
/// `rate-limit` and `quota` element with a `calls` and a `renewal-period`, wherever it is.
/// An element whose numbers are policy expressions is reported in the error, as is a
/// document that is not XML (a `rawxml` policy with `<` in an expression).
pub fn read_limits(xml: &str) -> Result<Vec<Limit>, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("the policy is not XML at byte {}: {e}", reader.buffer_position()))?;
        let e = match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => e,
            _ => continue,
        };
        let kind = match e.name().as_ref() {
            b"rate-limit-by-key" | b"rate-limit" => Kind::Rate,
            b"quota-by-key" | b"quota" => Kind::Quota,
            _ => continue,
        };
        let mut calls = None;
        let mut seconds = None;
        for a in e.attributes() {
            let a = a.map_err(|e| format!("a policy attribute does not parse: {e}"))?;
            let value = a
                .unescape_value()
                .map_err(|e| format!("a policy attribute does not parse: {e}"))?;
            let number = || {
                value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| format!("`{}` is no number of calls or seconds", value.trim()))
            };
            match a.key.as_ref() {
                b"calls" => calls = Some(number()?),
                b"renewal-period" => seconds = Some(number()?),
                _ => {}
            }
        }
        // A quota by bandwidth alone limits no calls.
        if let (Some(calls), Some(seconds)) = (calls, seconds) {
            out.push(Limit { kind, calls, seconds });
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Environment, Name, Quota, RateLimit};

    fn plan(rate: (u64, RateUnit), quota: Option<(u64, QuotaUnit)>) -> PlanSpec {
        PlanSpec {
            name: Name("p".into()),
            rate_limit: RateLimit {
                requests: rate.0,
                per: rate.1,
            },
            quota: quota.map(|(requests, per)| Quota { requests, per }),
            environments: vec![Environment::Sandbox],
        }
    }

    #[test]
    fn windows_by_element() {
        let p = plan((10, RateUnit::Second), Some((10_000, QuotaUnit::Day)));
        let l = limits(&p);
        assert_eq!(
            l[0],
            Limit {
                kind: Kind::Rate,
                calls: 10,
                seconds: 1
            }
        );
        assert_eq!(
            l[1],
            Limit {
                kind: Kind::Quota,
                calls: 10_000,
                seconds: 86_400
            }
        );
        let xml = document_of(&p).unwrap();
        assert!(
            xml.contains("<rate-limit-by-key calls=\"10\" renewal-period=\"1\""),
            "{xml}"
        );
        assert_eq!(read_limits(&xml).unwrap(), l);
        // Per hour is beyond rate-limit-by-key's 300 seconds: a quota over the hour.
        let l = limits(&plan((1000, RateUnit::Hour), None));
        assert_eq!(
            l,
            vec![Limit {
                kind: Kind::Quota,
                calls: 1000,
                seconds: 3600
            }]
        );
        // A rate and a quota in the same window: the smaller.
        let l = limits(&plan((5000, RateUnit::Day), Some((1000, QuotaUnit::Day))));
        assert_eq!(
            l,
            vec![Limit {
                kind: Kind::Quota,
                calls: 1000,
                seconds: 86_400
            }]
        );
        assert_eq!(
            windows(&limits(&plan((5, RateUnit::Minute), Some((9, QuotaUnit::Month))))).len(),
            2
        );
        assert!(read_limits("<policies><inbound><rate-limit-by-key calls=\"@(1)\" renewal-period=\"1\" counter-key=\"x\"/></inbound></policies>").is_err());
        assert!(read_limits("<policies><inbound></outbound></policies>").is_err());
    }
}
