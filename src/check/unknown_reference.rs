//! `unknown-reference`: a named team, product, plan, terms, terms version, environment or file
//! does not exist. Also covers names that must be unique inside one document (plan names,
//! terms versions) and the order of terms versions, which only code can check.

use super::Context;
use crate::diag::{Code, Diagnostic};
use crate::model::{Program, Terms};
use crate::schema::closest;
use crate::spec::Kind;

fn suggest(word: &str, options: impl Iterator<Item = String>) -> Option<String> {
    let opts: Vec<String> = options.collect();
    closest(word, &opts).map(|b| format!("did you mean `{b}`?"))
}

fn unknown(at: crate::diag::Location, what: String, hint: Option<String>) -> Diagnostic {
    let d = Diagnostic::new(Code::UnknownReference, &at, what);
    match hint {
        Some(h) => d.with_hint(h),
        None => d,
    }
}

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let p = cx.program;
    owners(p, out);
    program_refs(p, out);
    for product in p.products.values() {
        for (i, t) in product.spec.required_terms.iter().enumerate() {
            if !p.is_known(Kind::Terms, t) {
                let add =
                    format!("remove `{t}` from the product's requiredTerms, or add terms/{t}.yaml in the same change");
                out.push(unknown(
                    product.at(&format!("/spec/requiredTerms/{i}")),
                    format!("product {} requires terms `{t}`, which do not exist", product.name),
                    Some(match suggest(t, p.terms.keys().cloned()) {
                        Some(s) => format!("{s} Otherwise {add}"),
                        None => add,
                    }),
                ));
            }
        }
        let envs = product.spec.environments.names();
        for (i, plan) in product.spec.plans.iter().enumerate() {
            if product.spec.plans[..i].iter().any(|q| q.name == plan.name) {
                out.push(Diagnostic::new(
                    Code::DuplicateName,
                    &product.at(&format!("/spec/plans/{i}/name")),
                    format!("product {} already has a plan named `{}`", product.name, plan.name),
                ));
            }
            for (j, env) in plan.environments.iter().enumerate() {
                if !envs.contains(env) {
                    out.push(unknown(
                        product.at(&format!("/spec/plans/{i}/environments/{j}")),
                        format!(
                            "plan {} is offered in {env}, but product {} has no {env} environment",
                            plan.name, product.name
                        ),
                        Some(format!(
                            "add `{env}: {{upstream: ...}}` under spec.environments, or remove it from the plan"
                        )),
                    ));
                }
            }
        }
    }
    for terms in p.terms.values() {
        terms_refs(p, terms, out);
    }
    for partner in p.partners.values() {
        for (i, a) in partner.spec.agreements.iter().enumerate() {
            match p.terms.get(a.terms.0.as_str()) {
                Some(t) => {
                    if t.version(&a.version).is_none() {
                        out.push(unknown(
                            partner.at(&format!("/spec/agreements/{i}/version")),
                            format!("terms {} have no version \"{}\"", t.name, a.version),
                            Some(format!(
                                "versions of {}: {}",
                                t.name,
                                t.spec
                                    .versions
                                    .iter()
                                    .map(|v| format!("\"{}\"", v.version))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        ));
                    }
                }
                None if p.is_known(Kind::Terms, &a.terms) => {}
                None => out.push(unknown(
                    partner.at(&format!("/spec/agreements/{i}/terms")),
                    format!("agreement with terms `{}`, which do not exist", a.terms),
                    suggest(&a.terms, p.terms.keys().cloned()),
                )),
            }
        }
        for (i, s) in partner.spec.subscriptions.iter().enumerate() {
            let Some(product) = p.product(&s.product) else {
                if !p.is_known(Kind::Product, &s.product) {
                    out.push(unknown(
                        partner.at(&format!("/spec/subscriptions/{i}/product")),
                        format!("subscription to product `{}`, which does not exist", s.product),
                        suggest(&s.product, p.products.keys().cloned()),
                    ));
                }
                continue;
            };
            if p.plan(&s.product, &s.plan).is_none() {
                out.push(unknown(
                    partner.at(&format!("/spec/subscriptions/{i}/plan")),
                    format!("product {} has no plan `{}`", product.name, s.plan),
                    Some(format!(
                        "plans of {}: {}",
                        product.name,
                        product
                            .spec
                            .plans
                            .iter()
                            .map(|pl| pl.name.0.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ));
            }
            if product.spec.environments.get(s.environment).is_none() {
                out.push(unknown(
                    partner.at(&format!("/spec/subscriptions/{i}/environment")),
                    format!("product {} has no {} environment", product.name, s.environment),
                    None,
                ));
            }
        }
    }
}

fn owners(p: &Program, out: &mut Vec<Diagnostic>) {
    if p.program.is_none() {
        return;
    }
    let teams = || {
        p.spec()
            .map(|s| s.teams.keys().map(|t| t.0.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
    };
    for doc in &p.documents {
        // A typed resource's owner is in its metadata; only a document that did not load is
        // read as written (which may read its file again).
        let owner = match typed_metadata(p, doc) {
            Some(m) => m.owner.clone(),
            None => crate::model::raw::str_at(&doc.raw(), "/metadata/owner").map(str::to_string),
        };
        let Some(owner) = owner.as_deref() else {
            continue;
        };
        if !p.has_team(owner) {
            out.push(unknown(
                doc.at("/metadata/owner"),
                format!("owner `{owner}` is not a team declared in program.yaml"),
                suggest(owner, teams()).or_else(|| Some("declare it under spec.teams in program.yaml".into())),
            ));
        }
    }
}

/// The metadata of the typed resource a document became, if it loaded.
fn typed_metadata<'a>(p: &'a Program, doc: &crate::model::Document) -> Option<&'a crate::spec::Metadata> {
    let name = doc.name.as_deref()?;
    let same_file = |file: &str| file == doc.file;
    match doc.kind? {
        Kind::Program => p.program.as_ref().filter(|r| same_file(&r.file)).map(|r| &*r.metadata),
        Kind::Product => p
            .products
            .get(name)
            .filter(|r| same_file(&r.file))
            .map(|r| &*r.metadata),
        Kind::Terms => p.terms.get(name).filter(|r| same_file(&r.file)).map(|r| &*r.metadata),
        Kind::Partner => p
            .partners
            .get(name)
            .filter(|r| same_file(&r.file))
            .map(|r| &*r.metadata),
    }
}

fn program_refs(p: &Program, out: &mut Vec<Diagnostic>) {
    let Some(prog) = &p.program else { return };
    for (i, t) in prog.spec.required_terms.iter().enumerate() {
        if !p.is_known(Kind::Terms, t) {
            let add = format!(
                "remove `{t}` from requiredTerms, or add terms/{t}.yaml (a Terms document with its versions and their texts) in the same change"
            );
            out.push(unknown(
                prog.at(&format!("/spec/requiredTerms/{i}")),
                format!("required terms `{t}` do not exist, so no partner can accept them"),
                Some(match suggest(t, p.terms.keys().cloned()) {
                    Some(s) => format!("{s} Otherwise {add}"),
                    None => add,
                }),
            ));
        }
    }
    for (i, rule) in prog.spec.approvals.iter().enumerate() {
        for (j, team) in rule.require.iter().enumerate() {
            if team != "owner" && !p.has_team(team) {
                out.push(unknown(
                    prog.at(&format!("/spec/approvals/{i}/require/{j}")),
                    format!("approval rule requires team `{team}`, which is not declared under spec.teams"),
                    suggest(team, prog.spec.teams.keys().map(|t| t.0.clone())),
                ));
            }
        }
    }
    for (i, output) in prog.spec.outputs.iter().enumerate() {
        if let Some(t) = &output.template
            && !p.snapshot.contains(t)
        {
            out.push(unknown(
                prog.at(&format!("/spec/outputs/{i}/template")),
                format!("template `{t}` does not exist"),
                Some("templates live under templates/ in the program repository".into()),
            ));
        }
        if let Some(target) = output.target
            && target.needs_environment()
            && output.environment.is_none()
        {
            out.push(Diagnostic::new(
                Code::Schema,
                &prog.at(&format!("/spec/outputs/{i}")),
                format!(
                    "the {} output needs an `environment` (sandbox or production)",
                    target.as_str()
                ),
            ));
        }
    }
}

fn terms_refs(p: &Program, terms: &Terms, out: &mut Vec<Diagnostic>) {
    for (i, v) in terms.spec.versions.iter().enumerate() {
        let path = Terms::text_path(v);
        if !p.snapshot.contains(&path) {
            out.push(unknown(
                terms.at(&format!("/spec/versions/{i}/file")),
                format!(
                    "the text of {} version \"{}\" is missing: {path} does not exist",
                    terms.name, v.version
                ),
                Some("the file is relative to terms/".into()),
            ));
        }
        if terms.spec.versions[..i].iter().any(|w| w.version == v.version) {
            out.push(Diagnostic::new(
                Code::DuplicateName,
                &terms.at(&format!("/spec/versions/{i}/version")),
                format!("terms {} list version \"{}\" twice", terms.name, v.version),
            ));
        }
        if i > 0 && terms.spec.versions[i - 1].effective >= v.effective {
            out.push(
                Diagnostic::new(
                    Code::Schema,
                    &terms.at(&format!("/spec/versions/{i}/effective")),
                    format!(
                        "version \"{}\" takes effect {} , not after the version before it ({})",
                        v.version,
                        v.effective,
                        terms.spec.versions[i - 1].effective
                    ),
                )
                .with_hint("versions are listed oldest first, with strictly increasing effective dates"),
            );
        }
        if let Some(by) = v.reaccept_by
            && by < v.effective
        {
            out.push(Diagnostic::new(
                Code::Schema,
                &terms.at(&format!("/spec/versions/{i}/reacceptBy")),
                format!("reacceptBy {by} is before the version takes effect ({})", v.effective),
            ));
        }
    }
    if terms.is_data_sharing() && terms.spec.data_categories.is_empty() {
        out.push(
            Diagnostic::new(
                Code::Schema,
                &terms.at("/spec"),
                format!("data-sharing terms {} cover no dataCategories", terms.name),
            )
            .with_hint("list the data categories these terms cover, e.g. dataCategories: [location]"),
        );
    }
}
