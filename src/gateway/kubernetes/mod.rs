//! What every Kubernetes gateway target shares: valid resource names, the labels every
//! resource carries, the external-secrets `ExternalSecret` a credential becomes, and the
//! `kustomization.yaml` that lists a folder's manifests for Argo CD or Flux.
//!
//! Manifests are built as data and written by the YAML serializer (SPEC §9): no value of the
//! program is pasted into YAML text. No key value is ever written (SPEC §12): a credential
//! becomes a reference to its `secretRef` in the secret store.
//!
//! Reading goes the other way for `audit --gateway FILE`: [`read`] takes what
//! `kubectl get … -o yaml` prints (a `List`) or a stream of manifests, as hostile input, and
//! keeps the resources of the kinds the targets render, never a Secret's data.
//!
//! [`manifests`] writes, [`limits`] holds manifests against what the cluster accepts before
//! they are written, [`read`] reads back, [`audit`] holds what both audits share.

pub mod audit;
pub mod limits;
pub mod manifests;
pub mod read;

pub use audit::*;
pub use limits::Doc;
pub use manifests::*;
pub use read::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_read_from_a_list_keeps_no_key() {
        let text = br#"apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Secret
    metadata:
      name: partnerctl-key-acme-prd-2
      labels: {partnerctl.dev/credential: acme-prd-2}
      annotations:
        kubectl.kubernetes.io/last-applied-configuration: '{"data":{"key":"c2VjcmV0"}}'
        note: c2VjcmV0
    data: {key: c2VjcmV0}
    stringData: {key: secret}
"#;
        let m = parse("list.yaml", text).unwrap().unwrap();
        assert_eq!(m.items.len(), 1);
        let s = &m.items[0];
        assert_eq!(s.at.line, 4);
        let kept = serde_json::to_string(&s.body).unwrap() + &format!("{:?}", s.annotations);
        assert!(!kept.contains("c2VjcmV0") && !kept.contains("secret\""), "{kept}");
        assert_eq!(
            m.secret_credentials()
                .get("partnerctl-key-acme-prd-2")
                .map(String::as_str),
            Some("acme-prd-2")
        );
    }

    #[test]
    fn a_deck_file_is_not_read_as_manifests() {
        assert!(
            parse("kong.yaml", b"_format_version: \"3.0\"\nconsumers: []\n")
                .unwrap()
                .is_none()
        );
        assert!(parse("kong.json", b"{\"_format_version\": \"3.0\"}").unwrap().is_none());
    }

    #[test]
    fn names_are_dns_1123_and_hashed_when_cut() {
        assert_eq!(label(&["shipments", "starter"]), "shipments-starter");
        assert!(label(&["Acme_Prd", "1"]).len() <= 63);
        let long = "a".repeat(80);
        let n = label(&[&long]);
        assert_eq!(n.len(), 63);
        assert_ne!(n, label(&[&format!("{long}b")]));
        assert_eq!(n, label(&[&long]));
        let re = regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap();
        assert!(re.is_match(&n));
        assert!(re.is_match(&label(&["-x.y-"])));
        assert_eq!(remote_key("vault://partners/acme/prd-1"), "partners/acme/prd-1");
        assert_eq!(
            remote_ref("vault://partners/acme/prd-1"),
            ("partners/acme/prd-1", "key")
        );
        assert_eq!(
            remote_ref("vault://secret/partners/acme#api-key"),
            ("secret/partners/acme", "api-key")
        );
        assert_eq!(dotted(&["rates", "pro-annual"]), "rates.pro-annual");
        assert_ne!(dotted(&["rates", "pro-annual"]), dotted(&["rates-pro", "annual"]));
    }
}
