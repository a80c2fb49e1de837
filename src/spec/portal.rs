//! `program.yaml` `spec.portal` (SPEC §15.1): what the partner portal tells partners about
//! reaching the program. Every field is public: it is rendered into the portal and the issue
//! forms.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An `https://` URL (a host, an optional port, a path, query or fragment without spaces,
/// quotes, `<>`, `\`, `{}`, `|`, `^`, `` ` `` or `$`).
pub const HTTPS_URL_PATTERN: &str = r#"^[Hh][Tt][Tt][Pp][Ss]://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?([/?#][^\s\x00-\x1F\x7F-\x9F"'<>\\^`{|}$]*)?$"#;

/// The partner portal's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortalSpec {
    /// Where the rendered portal is published, so that issue forms can link to its terms
    /// pages. Example: `https://partners.northwind.example`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = HTTPS_URL_PATTERN), length(max = 2048))]
    pub url: Option<String>,
    /// How partners reach the program team, shown on every onboarding step.
    /// Example: `contact: {email: partners@northwind.example, url: "https://northwind.example/partners"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<PortalContactSpec>,
    /// Where partners ask for each step of the path: the issue forms of a GitHub repository
    /// (`github: OWNER/REPO`, see the `issue-forms` target), or a form of your own
    /// (`url: https://…`, called with `?action=register` and the other actions).
    /// Example: `intake: {github: northwind/partners}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake: Option<IntakeSpec>,
}

/// The program team's public contact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("anyOf" = [{"required": ["email"]}, {"required": ["url"]}]))]
pub struct PortalContactSpec {
    /// An address partners write to. Example: `partners@northwind.example`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        regex(pattern = r"^[^@\s\x00-\x1F\x7F-\x9F]+@[^@\s\x00-\x1F\x7F-\x9F]+$"),
        length(max = 254)
    )]
    pub email: Option<String>,
    /// A page about the program or a contact form. Example: `https://northwind.example/partners`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = HTTPS_URL_PATTERN), length(max = 2048))]
    pub url: Option<String>,
}

/// Where partners' requests come in: exactly one of `github` or `url`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("oneOf" = [{"required": ["github"]}, {"required": ["url"]}]))]
pub struct IntakeSpec {
    /// The GitHub repository whose issue forms take requests, `OWNER/REPO`.
    /// Example: `northwind/partners`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$"))]
    pub github: Option<String>,
    /// A form of your own that takes requests; each step links to it with `?action=<action>`.
    /// Example: `https://northwind.example/partners/apply`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = HTTPS_URL_PATTERN), length(max = 2048))]
    pub url: Option<String>,
}

/// The steps a partner asks for (SPEC §15.2), in path order.
pub const ACTIONS: [&str; 4] = ["register", "accept-terms", "request-sandbox", "request-production"];

impl IntakeSpec {
    /// The link that asks for `action`: the issue form of the repository
    /// (`https://github.com/OWNER/REPO/issues/new?template=partnerctl-<action>.yml`), or the
    /// intake URL with `?action=<action>` (`&action=` when it has a query already).
    pub fn link(&self, action: &str) -> Option<String> {
        if let Some(repo) = &self.github {
            return Some(format!(
                "https://github.com/{repo}/issues/new?template=partnerctl-{action}.yml"
            ));
        }
        let url = self.url.as_deref()?;
        let (base, fragment) = match url.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (url, None),
        };
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(format!(
            "{base}{sep}action={action}{}",
            fragment.map(|f| format!("#{f}")).unwrap_or_default()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_to_ask_for_a_step() {
        let gh = IntakeSpec {
            github: Some("northwind/partners".into()),
            url: None,
        };
        assert_eq!(
            gh.link("request-sandbox").unwrap(),
            "https://github.com/northwind/partners/issues/new?template=partnerctl-request-sandbox.yml"
        );
        let url = |u: &str| IntakeSpec {
            github: None,
            url: Some(u.into()),
        };
        assert_eq!(
            url("https://x.example/apply").link("register").unwrap(),
            "https://x.example/apply?action=register"
        );
        assert_eq!(
            url("https://x.example/apply?lang=de#form").link("register").unwrap(),
            "https://x.example/apply?lang=de&action=register#form"
        );
    }
}
