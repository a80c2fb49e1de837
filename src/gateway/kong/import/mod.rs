//! `import kong`: program files from existing Kong declarative configurations, so that a
//! program run by hand in the gateway can be brought into the repository instead of being run
//! beside it.
//!
//! Services and their routes become products and endpoints, rate-limiting configurations
//! become plans, consumers become partners, the services their ACL groups reach
//! subscriptions, and their key-auth credentials credential entries. Every plan a
//! subscription names is written. What the gateway cannot know is left for a person in a way
//! that `validate` reports (no agreements: `terms-missing`; a history of one entry dated the
//! day of the import: `history-invalid`; a `vault://TODO/…` secretRef: the
//! `secret-ref-placeholder` policy), and every fact of the dump that the program cannot hold
//! is a [`Todo`], by consumer and kind.
//!
//! How each Kong name maps to the program name it became is written into the partner's
//! labels ([`super::mapping`]), so that `audit` of the same dump places every consumer and
//! credential. A key value is never written: a key that is a vault reference becomes the
//! `secretRef`; any other key gets a placeholder.
//!
//! New files are written with the YAML serializer. With `merge`, an existing partner or
//! product file is edited in place ([`crate::source::yaml_edit`]): what the gateway knows and
//! the file lacks (subscriptions, credentials, plans and their environments, endpoints) is
//! added, and nothing else in it changes.
//!
//! [`report`] is what an import returns, [`convert`] turns Kong values into program values,
//! [`importer`] reads the dump into drafts and the to-do list, [`write`] writes the drafts
//! as new files or merges them into existing ones.

pub mod convert;
pub mod importer;
pub mod report;
pub mod write;

pub use convert::{Limits, endpoint_path, limits, to_name};
pub use report::*;

use crate::gateway::kong::mapping::Mapping;
use crate::gateway::kong::model::Deck;
use crate::model::Program;
use crate::spec::{Environment, Kind, RateUnit};

use importer::{Importer, PlanDraft, todo};
use std::collections::{BTreeMap, BTreeSet};

/// Builds the files of an import from one or more decK files (one per environment).
pub fn import_kong(decks: &[Deck], existing: &Program, options: &ImportOptions) -> Result<Imported, ImportError> {
    let mut im = Importer {
        existing,
        mapping: Mapping::new(existing),
        options,
        products: BTreeMap::new(),
        partners: BTreeMap::new(),
        consumer_names: BTreeMap::new(),
        names_taken: Default::default(),
        taken_ids: existing
            .partners
            .values()
            .flat_map(|p| p.spec.credentials.iter().map(|c| c.id.0.clone()))
            .collect(),
        todo: BTreeSet::new(),
    };
    let mut environments = Vec::new();
    for deck in decks {
        let (env, from) = crate::gateway::kong::environment(options.environment, deck, existing)
            .ok_or_else(|| ImportError::NoEnvironment(deck.file.clone()))?;
        environments.push((deck.file.clone(), env, from.as_str()));
        for s in &deck.services {
            im.product(deck, env, s);
        }
        for c in &deck.consumers {
            im.consumer(deck, env, c);
        }
        im.leftovers(deck, env);
    }

    let owner = options
        .owner
        .clone()
        .or_else(|| existing.program.as_ref().and_then(|p| p.metadata.owner.clone()))
        .or_else(|| existing.spec().and_then(|p| p.teams.keys().next().map(|t| t.0.clone())))
        .unwrap_or_else(|| "TODO".to_string());
    let mut files = Vec::new();
    let products = std::mem::take(&mut im.products);
    for (name, mut p) in products {
        if p.plans.is_empty() && !existing.products.contains_key(&name) {
            p.plans.insert(
                "default".to_string(),
                PlanDraft {
                    limits: Limits {
                        rate: (10, RateUnit::Second),
                        quota: None,
                    },
                    environments: p.upstreams.keys().copied().collect(),
                    invented: true,
                },
            );
            im.note(todo(None, "rate-limit", Some(im.product_file(&name)), "no consumer of the gateway reaches this product and it sets no rate limit; the import wrote a `default` plan of 10 requests a second, set the real plans".to_string(), None));
        }
        if p.endpoints.is_empty() {
            p.endpoints.push(("GET".into(), "/".into()));
            im.note(todo(
                None,
                "route",
                Some(im.product_file(&name)),
                "the gateway has no route for this product; the import wrote `GET /`, list its endpoints".to_string(),
                None,
            ));
        }
        // A decK file does not know the HTTPRoute an envoy-gateway output attaches to; the
        // program's `validate` asks for it (output-invalid), so say so here too.
        let envoy_gateway: BTreeSet<Environment> = existing
            .spec()
            .into_iter()
            .flat_map(|s| s.outputs.iter())
            .filter(|o| o.target == Some(crate::spec::Target::EnvoyGateway))
            .filter_map(|o| o.environment)
            .collect();
        if !existing.products.contains_key(&name) {
            for env in p.upstreams.keys().filter(|e| envoy_gateway.contains(e)) {
                im.note(todo(
                    None,
                    "http-route",
                    Some(im.product_file(&name)),
                    format!("the program's envoy-gateway output for {env} needs spec.environments.{env}.route: {{name, namespace}}, the HTTPRoute that serves this product, which a decK file does not say"),
                    None,
                ));
            }
        }
        files.push(im.product_file_out(&name, &owner, &p));
    }
    let partners = std::mem::take(&mut im.partners);
    let outs: Vec<write::PartnerOut> = partners
        .iter()
        .map(|(name, p)| im.partner_file_out(name, &owner, p))
        .collect();
    // Writing a hundred thousand partners' YAML is most of an import's work: in parallel,
    // in the partners' order.
    {
        use rayon::prelude::*;
        files.extend(outs.into_par_iter().map(write::PartnerOut::written).collect::<Vec<_>>());
    }
    if files
        .iter()
        .any(|f| f.action == Action::Create && f.kind == Kind::Partner)
    {
        im.note(todo(None, "agreements", None, "every new partner: add the terms it accepted (spec.agreements) and its onboarding history (spec.history); `partnerctl validate` lists them".to_string(), None));
    }
    if files.iter().any(|f| f.action == Action::Create) {
        im.note(todo(None, "owner", None, format!("every new resource: check metadata.owner (the import wrote `{owner}`), and set products' requiredTerms and dataCategories"), None));
    }
    Ok(Imported {
        files,
        todo: im.todo.into_iter().collect(),
        environments,
    })
}
