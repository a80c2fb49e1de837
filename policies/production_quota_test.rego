package partnerctl.rules.production_quota_test

import data.partnerctl.rules.production_quota.warn
import rego.v1

test_production_plan_without_quota_warns if {
	products := {"shipments": {"spec": {"plans": [
		{"name": "starter", "environments": ["sandbox"]},
		{"name": "standard", "environments": ["sandbox", "production"]},
	]}}}
	findings := warn with input as {"products": products, "partners": {}, "today": "2026-11-01"}
	count(findings) == 1
	some f in findings
	f.resource == "product/shipments"
	f.path == "/spec/plans/1"
}

test_production_plan_with_quota_passes if {
	products := {"shipments": {"spec": {"plans": [{
		"name": "enterprise",
		"environments": ["production"],
		"quota": {"requests": 1000000, "per": "month"},
	}]}}}
	count(warn) == 0 with input as {"products": products, "partners": {}, "today": "2026-11-01"}
}

test_sandbox_plan_needs_no_quota if {
	products := {"shipments": {"spec": {"plans": [{"name": "starter", "environments": ["sandbox"]}]}}}
	count(warn) == 0 with input as {"products": products, "partners": {}, "today": "2026-11-01"}
}
