package partnerctl.rules.retired_product_unsubscribed_test

import data.partnerctl.rules.retired_product_unsubscribed.deny
import rego.v1

products := {"old": {"spec": {"lifecycle": "retired"}}, "new": {"spec": {"lifecycle": "ga"}}}

test_subscription_to_retired_product_is_denied if {
	partners := {"acme": {"spec": {"subscriptions": [
		{"product": "new", "plan": "p", "environment": "sandbox"},
		{"product": "old", "plan": "p", "environment": "sandbox"},
	]}}}
	findings := deny with input as {"products": products, "partners": partners, "today": "2026-11-01"}
	count(findings) == 1
	some f in findings
	f.path == "/spec/subscriptions/1"
}

test_no_subscription_to_retired_product_passes if {
	partners := {"acme": {"spec": {"subscriptions": [{"product": "new", "plan": "p", "environment": "sandbox"}]}}}
	count(deny) == 0 with input as {"products": products, "partners": partners, "today": "2026-11-01"}
}
