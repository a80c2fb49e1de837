//! `endpoint-conflict`: two products served in one environment declare the same method and
//! path. Gateways route a call by method and path, so one product would take the other's
//! calls: in the NGINX include the first location wins, its subscribers reach the wrong
//! upstream and the other product's subscribers are refused. Paths compare by shape
//! (`/v1/berths/{id}` and `/v1/berths/{x}` are one route), and endpoints derived from a
//! product's OpenAPI description count as declared. Retired products are not served, so they
//! conflict with nothing.

use super::Context;
use crate::diag::{Code, Diagnostic};
use crate::model::Product;
use crate::openapi::path_shape;
use crate::spec::{Environment, Lifecycle};
use std::collections::BTreeMap;

/// A route of an environment: (environment, method, path shape).
type RouteKey<'a> = (Environment, &'a str, String);
/// A product's endpoint: (product, index in its endpoints).
type Serving<'a> = (&'a Product, usize);
/// What one finding says: the environments, and the other products.
type Clash<'a> = (Vec<Environment>, Vec<&'a str>);

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    // Each route → the products serving it, each with its endpoint index.
    let mut routes: BTreeMap<RouteKey, Vec<Serving>> = BTreeMap::new();
    for product in cx.program.products.values() {
        if product.spec.lifecycle == Lifecycle::Retired {
            continue;
        }
        for env in product.spec.environments.names() {
            for (i, e) in product.spec.endpoints.iter().enumerate() {
                let list = routes.entry((env, e.method.as_str(), path_shape(&e.path))).or_default();
                // The same route twice in one product is the product's own business.
                if !list.iter().any(|(p, _)| p.name == product.name) {
                    list.push((product, i));
                }
            }
        }
    }
    // One finding per product and endpoint, naming the other products and every environment.
    let mut found: BTreeMap<(&str, usize), Clash> = BTreeMap::new();
    for ((env, _, _), list) in &routes {
        if list.len() < 2 {
            continue;
        }
        for (product, i) in list {
            let entry = found.entry((product.name.as_str(), *i)).or_default();
            entry.0.push(*env);
            for (other, _) in list.iter().filter(|(o, _)| o.name != product.name) {
                if !entry.1.contains(&other.name.as_str()) {
                    entry.1.push(&other.name);
                }
            }
        }
    }
    for ((name, i), (envs, others)) in found {
        let Some(product) = cx.program.products.get(name) else {
            continue;
        };
        let e = &product.spec.endpoints[i];
        // An endpoint the description gave has no line of its own in the product file.
        let at = if product.spec.openapi.is_some()
            && product.written.pos(&format!("/spec/endpoints/{i}")).line == product.written.pos("/spec").line
        {
            product.at("/spec/openapi")
        } else {
            product.at(&format!("/spec/endpoints/{i}"))
        };
        let envs: Vec<&str> = envs.iter().map(|e| e.as_str()).collect();
        let others: Vec<String> = others.iter().map(|o| format!("`{o}`")).collect();
        out.push(
            Diagnostic::new(
                Code::EndpointConflict,
                &at,
                format!(
                    "{} {} of product `{name}` is also served by product {} in {}: a gateway routes the call to one of them only",
                    e.method.as_str(),
                    e.path,
                    others.join(", "),
                    envs.join(" and ")
                ),
            )
            .with_hint("give each route one product: remove the endpoint from one of them, or serve it under another path"),
        );
    }
}
