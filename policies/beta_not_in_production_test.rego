package partnerctl.rules.beta_not_in_production_test

import data.partnerctl.rules.beta_not_in_production.deny
import rego.v1

products := {
	"rates": {"spec": {"lifecycle": "beta"}},
	"shipments": {"spec": {"lifecycle": "ga"}},
}

test_beta_in_production_is_denied if {
	partners := {"acme": {"spec": {"subscriptions": [
		{"product": "shipments", "plan": "standard", "environment": "production"},
		{"product": "rates", "plan": "standard", "environment": "production"},
	]}}}
	findings := deny with input as {"products": products, "partners": partners, "today": "2026-11-01"}
	count(findings) == 1
	some f in findings
	f.resource == "partner/acme"
	f.path == "/spec/subscriptions/1"
	f.rule == "beta-not-in-production"
}

test_beta_in_sandbox_is_allowed if {
	partners := {"acme": {"spec": {"subscriptions": [{"product": "rates", "plan": "starter", "environment": "sandbox"}]}}}
	count(deny) == 0 with input as {"products": products, "partners": partners, "today": "2026-11-01"}
}

test_ga_in_production_is_allowed if {
	partners := {"acme": {"spec": {"subscriptions": [{"product": "shipments", "plan": "standard", "environment": "production"}]}}}
	count(deny) == 0 with input as {"products": products, "partners": partners, "today": "2026-11-01"}
}
