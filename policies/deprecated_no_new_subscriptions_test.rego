package partnerctl.rules.deprecated_no_new_subscriptions_test

import data.partnerctl.rules.deprecated_no_new_subscriptions.deny
import rego.v1

products := {"legacy": {"spec": {"lifecycle": "deprecated"}}, "shipments": {"spec": {"lifecycle": "ga"}}}

partners := {"acme": {"spec": {"subscriptions": [
	{"product": "shipments", "plan": "p", "environment": "sandbox"},
	{"product": "legacy", "plan": "p", "environment": "sandbox"},
]}}}

test_new_partner_on_deprecated_product_is_denied if {
	changes := [{"resource": "partner/acme", "action": "create", "classes": ["partner-added", "sandbox-access"]}]
	findings := deny with input as {"products": products, "partners": partners, "changes": changes, "today": "2026-11-01"}
	count(findings) == 1
	some f in findings
	f.resource == "partner/acme"
	f.path == "/spec/subscriptions/1"
}

test_added_subscription_to_deprecated_product_is_denied if {
	changes := [{"resource": "partner/acme", "action": "update", "classes": ["sandbox-access"], "fields": [
		{"address": "partner/acme/subscriptions/legacy@sandbox", "op": "add"},
	]}]
	count(deny) == 1 with input as {"products": products, "partners": partners, "changes": changes, "today": "2026-11-01"}
}

test_existing_subscriber_may_change_other_access if {
	changes := [{"resource": "partner/acme", "action": "update", "classes": ["sandbox-access"], "fields": [
		{"address": "partner/acme/subscriptions/shipments@sandbox", "op": "add"},
		{"address": "partner/acme/subscriptions/legacy@sandbox/plan", "op": "change"},
	]}]
	count(deny) == 0 with input as {"products": products, "partners": partners, "changes": changes, "today": "2026-11-01"}
}

test_outside_plan_nothing_fires if {
	count(deny) == 0 with input as {"products": products, "partners": partners, "today": "2026-11-01"}
}
